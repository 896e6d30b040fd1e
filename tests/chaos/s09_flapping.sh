#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# s09_flapping.sh: the primary backend flaps: nginx for sno1 is stopped and started again
# every KCW_CHAOS_FLAP_MS (default 2000) for KCW_CHAOS_FLAP_S (default 30) seconds, ending
# up; sno2 stays up. Checks every 250ms (timeout 200ms), rise 2, fall 3, failback after 5s.
#
# The bound on active-backend switches: sno1 is down 2 s at a time, far longer than
# fall x interval (~0.75 s), so its first down phase switches the cluster to sno2 (1). The
# failback to sno1 needs sno1 up for 5 s without a break; its up phases last 2 s, so there
# is no failback while it flaps: exactly 1 switch during the flapping. When the flapping
# stops with sno1 up, one failback after rise x interval + 5 s: 2 switches in all.
# Asserts: exactly 1 switch during the flapping (and sno1 seen down at least once per two
# down phases: the flapping was observed); 2 switches in all; the failback not earlier
# than 5 s after sno1 was last up (by the daemon's log); sno1 active on both nodes at the end; the election
# undisturbed (no claim); the end state.
. "$(dirname "$0")/lib.sh"
c_begin flapping
c_require nft jq nginx openssl
flap_ms=${KCW_CHAOS_FLAP_MS:-2000}
flap_s=${KCW_CHAOS_FLAP_S:-30}
C_BE_INTERVAL=250ms C_BE_TIMEOUT=200ms C_BE_RISE=2 C_BE_FALL=3 C_BE_FAILBACK=5s

c_lan
c_backends_up
c_conf "$T_DIR/kcwatch.conf" backends
c_cluster_up "$T_DIR/kcwatch.conf"
ms=$(t_wait 5000 c_active_is lb1 sno1) || c_fail "sno1 did not become active"
t_wait 2000 c_active_is lb2 sno1 >/dev/null || c_fail "lb2 does not apply sno1"
sw0=$(t_field lb1 .backend_switches)
echo "# sno1 active after ${ms} ms; switches so far $sw0"
c_watch_start
sleep 0.5

t_flap=$(c_now)
downs=0
next=$t_flap
while [ $(($(c_now) - t_flap)) -lt $((flap_s * 1000)) ]; do
	c_nginx_stop sno1
	downs=$((downs + 1))
	next=$((next + flap_ms))
	c_sleep_until "$next"
	c_nginx_start sno1
	t_last_up=$(c_now)
	next=$((next + flap_ms))
	[ $((next - t_flap)) -ge $((flap_s * 1000)) ] && break
	c_sleep_until "$next"
done
t_flap_end=$(c_now)
sw_flap=$(( $(t_field lb1 .backend_switches) - sw0 ))
c_assert_eq "active-backend switches while sno1 flapped ($downs down phases)" "$sw_flap" 1
seen_down=$(c_log_count lb1 'backend sno1 is down' "$t_flap" "$t_flap_end")
c_assert_ge "sno1 seen down at least once per two down phases" "$seen_down" $(((downs + 1) / 2))
# sno1 stays up now: the failback comes after rise x interval + 5 s
t_wait 9000 c_active_is lb1 sno1 >/dev/null
t_wait 2000 c_active_is lb2 sno1 >/dev/null
t_fb=$(c_log_first lb1 'active backend is now sno1' "$t_flap")
c_assert_within "failback to sno1 within rise x interval + 5 s + 2 s of its last start" "$t_fb" "$t_last_up" 7500
t_up=$(c_log_first lb1 'backend sno1 is up' "$t_last_up")
# The hold runs from the tick that saw sno1 up; the "is up" line is stamped a moment later and
# both stamps are cut to the millisecond: 5 ms of slack below the hold (as in test_backends).
c_assert_ge "the failback waited 5 s after sno1 was last up (daemon's log, ms, 5 ms for stamps)" \
	$((t_fb - t_up)) 4995
sw_all=$(( $(t_field lb1 .backend_switches) - sw0 ))
c_assert_eq "active-backend switches in all" "$sw_all" 2
c_assert_eq "sno1 active on lb1" "$(c_active lb1)" sno1
c_assert_eq "sno1 active on lb2" "$(c_active lb2)" sno1
sleep 0.5
t_end=$(c_now)
c_watch_stop

c_analyze "$t_flap" "$t_end"
c_assert_eq "no leader change while the backend flapped" "$R_CLAIMS" 0
c_stalls
c_assert_le "client outage" "$W_OUTAGE" $((C_FAILOVER_MS + 50))
c_assert_eq "VIP never on both (ms)" "$W_DOUBLE" 0
c_note "sno1 down phases $downs, seen down $seen_down times; leader switches $R_CLAIMS"
c_assert_final
c_row_values "$W_OUTAGE" "$sw_all" "$W_DOUBLE"
c_finish
