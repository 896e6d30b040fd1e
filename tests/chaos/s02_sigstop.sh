#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# s02_sigstop.sh: the leader's kcwatchd is frozen (SIGSTOP) for KCW_CHAOS_STOP_MS (default
# 5000), then continued.
#
# While frozen it cannot release anything: the VIP stays on lb1 beside the new leader lb2
# (reported, expected). The client keeps being answered (lb1's service is not frozen).
# Asserts: lb2 leads within C_FAILOVER_MS of the stop; after SIGCONT the resumed node must
# notice it is stale: the VIP is on both for at most one interval, and exactly one leader
# holds the VIP within two intervals; client outage <= C_FAILOVER_MS + 50; the end state.
. "$(dirname "$0")/lib.sh"
stop_ms=${KCW_CHAOS_STOP_MS:-5000}
c_begin_watched sigstop

t_stop=$(c_now)
kill -STOP "${T_NODE_PID[lb1]}"
c_assert_claimed "lb2 claims within the failover bound after SIGSTOP (log)" "$t_stop" "$t_stop"
c_sleep_until $((t_stop + stop_ms))

t_cont=$(c_now)
kill -CONT "${T_NODE_PID[lb1]}"
t_end=$(c_settle)
c_watch_stop

c_analyze "$t_stop" "$t_cont"
c_note "VIP on frozen lb1 beside lb2 for ${W_DOUBLE} ms while stopped (expected)"
c_analyze "$t_cont" "$t_end"
c_stalls
double=$W_DOUBLE
c_assert_le "after SIGCONT: VIP on both (ms)" "$W_DOUBLE" "$C_IV"
c_assert_eq "after SIGCONT: one VIP holder at the end" "$W_HOLDERS" 1
c_assert_le "after SIGCONT: one holder within two intervals (ms)" $((W_LAST_CHANGE - t_cont)) $((2 * C_IV))
winner=$([ "$W_HOLDER" = 0 ] && echo lb1 || echo lb2)
burst=$(c_log_count lb1 'announcing the VIPs again' "$t_cont" $((t_cont + C_IV)))
c_note "after SIGCONT $winner leads; lb1 re-announced $burst times in its first interval (about $((stop_ms / C_IV)) heartbeats of lb2 were queued)"
c_roles "$t_cont" "$t_end"
c_assert_le "after SIGCONT: two leaders by the logs (ms)" "$R_OVERLAP" "$C_IV"
c_finish_run "$t_stop" "$t_end" "$double"
