#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# s03_linkdown.sh: the leader's link goes down for KCW_CHAOS_LINK_DOWN_MS (default 2000),
# then up again (ip -n lb1 link set eth0 down/up).
#
# With its VIP interface down, lb1 must enter fault and release the VIP; lb2 stops hearing
# it and claims. When the link returns lb1 leaves fault and (preempt = yes, priority 150)
# takes the leadership back in a handover.
# Asserts: lb1 releases the VIP within one interval of the link going down; lb2 leads
# within C_FAILOVER_MS; client outage <= C_FAILOVER_MS + 50; after the link is up again the
# VIP is on both for at most one interval; one leader holding the VIP alone within
# D + 2 s of the link coming back (it has to be heard first); the end state.
. "$(dirname "$0")/lib.sh"
down_ms=${KCW_CHAOS_LINK_DOWN_MS:-2000}
c_begin_watched linkdown

t_down=$(c_now)
ip -n "$(t_ns lb1)" link set eth0 down
c_assert_claimed "lb2 claims within the failover bound (log)" "$t_down" "$t_down"
t_fault=$(c_log_first lb1 'role leader -> fault' "$t_down")
c_assert "lb1 entered fault" [ "$t_fault" -ge 0 ]
c_sleep_until $((t_down + down_ms))

t_up=$(c_now)
ip -n "$(t_ns lb1)" link set eth0 up
t_end=$(c_settle $((C_D + 2000)) 0.5)
c_watch_stop

c_analyze "$t_down" "$t_up"
c_stalls
c_assert_within "lb1 released the VIP within one interval of its link going down" "$W_OFF0" "$t_down" "$C_IV"
c_analyze "$t_up" "$t_end"
double=$W_DOUBLE
c_assert_le "after the link is back: VIP on both (ms)" "$W_DOUBLE" "$C_IV"
c_assert_eq "after the link is back: one VIP holder" "$W_HOLDERS" 1
c_assert_le "after the link is back: one holder within D + 2 s (ms)" $((W_LAST_CHANGE - t_up)) $((C_D + 2000))
c_finish_run "$t_down" "$t_end" "$double"
