#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# s01_kill9.sh: kill -9 of the leader.
#
# The leader's kcwatchd and the service it fronts (the answering service on lb1) die by
# SIGKILL at once; the VIP stays on lb1's interface, as after any kill -9, so the client's
# neighbour entry keeps pointing at lb1 until lb2 announces the VIP: the client's outage is
# the failover as users see it. After KCW_CHAOS_RESTART_MS (default 1000) of lb2 leading,
# lb1 is started again (as systemd's Restart= would): it must remove the leftover VIP at
# start (before it does anything else), then preempts (priority 150 > 100).
# Asserts: lb2 leads and holds the VIP within C_FAILOVER_MS of the kill; client outage
# <= C_FAILOVER_MS + 50 (probe period and announcement); the restarted lb1 removes the
# leftover before its start notice; while both daemons run, the VIP is never on both for
# more than one interval; at the end one leader, the VIP on it alone, the client answered.
. "$(dirname "$0")/lib.sh"
restart_ms=${KCW_CHAOS_RESTART_MS:-1000}
c_begin_watched kill9

t_kill=$(c_now)
{
	kill -KILL "${T_NODE_PID[lb1]}"
	c_echo_kill lb1
	t_stop lb1 KILL
} 2>/dev/null # not bash's "Killed" job notice
c_assert_claimed "lb2 claims within the failover bound after kill -9 (log)" "$t_kill" "$t_kill"
t_wait 1000 t_holds lb2 "$C_VIP" >/dev/null
c_sleep_ms "$restart_ms"

c_echo lb1 # the service first, as systemd would order it
t_restart=$(c_now)
t_start lb1 "$T_DIR/kcwatch.conf"
t_wait 3000 sh -c "! ip -n $(t_ns lb1) addr show dev eth0 | grep -qF ' $C_VIP/'" >/dev/null
t_rm=$(c_log_first lb1 'removed leftover' "$t_restart")
t_up=$(c_log_first lb1 'node lb1 \(priority' "$t_restart")
at_start=no
[ "$t_rm" -ge 0 ] && [ "$t_rm" -le "$t_up" ] && at_start=yes
c_assert_eq "the restarted lb1 removed the leftover VIP at start (before its start notice)" "$at_start" yes
c_assert_le "leftover removed within 3 s of the restart command (process start)" $((t_rm - t_restart)) 3000
# lb1 preempts once it has heard lb2 (init ends after D at the latest)
t_wait $((C_D + 3000)) c_one_leader lb1 lb2 >/dev/null
sleep 0.5
t_end=$(c_now)
c_watch_stop

c_analyze "$t_kill" "$t_end"
c_stalls
c_assert_le "client outage" "$W_OUTAGE" $((C_FAILOVER_MS + 50))
outage=$W_OUTAGE
claims=$R_CLAIMS
c_analyze "$t_kill" "$t_restart"
c_note "VIP left on the killed lb1 beside lb2 for ${W_DOUBLE} ms until its restart (expected: kill -9)"
c_analyze "$t_rm" "$t_end"
c_assert_le "VIP on both while both daemons run (ms)" "$W_DOUBLE" "$C_IV"
double=$W_DOUBLE
c_assert_final
c_row_values "$outage" "$claims" "$double"
c_finish
