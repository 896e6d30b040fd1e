#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_valgrind.sh: one kcwatchd under valgrind beside a normal one, through 20 failovers: no leak, no invalid access.
#   KCW_VG_FAILOVERS   number of failovers (default 20)
# lbv runs under valgrind --leak-check=full, lbn runs normally; both hold an IPv4 and an IPv6
# VIP in turn. The failovers are step-downs back and forth, except that every fourth one
# is a kill -9 of lbn while it leads (it is restarted and follows). Then lbv gets SIGTERM, and its
# valgrind report must show no error: definitely lost 0 bytes, no invalid read or write.
. "$(dirname "$0")/lib.sh"
t_require_root
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
if grep -qa '__asan_init' "$KCWATCHD"; then
	echo "$KCWATCHD is built with ASan: valgrind needs a build without sanitizers" >&2
	exit 1
fi

n_failovers=${KCW_VG_FAILOVERS:-20}
t_lan lbv lbn
key="$T_DIR/cluster.key"
t_keyfile "$key"
VIP4=10.77.0.100
VIP6=fd77::100
conf="$T_DIR/kcwatch.conf"
# valgrind slows lbv down 20 to 50 times: a generous dead interval keeps the election calm.
t_conf_cluster "$conf" port=7112 interval=250ms dead-after=4 preempt=no lbv:100 lbn:150
t_conf_vip "$conf" v4 "$VIP4/24"
t_conf_vip "$conf" v6 "$VIP6/64"
vglog="$T_DIR/valgrind.log"

start_lbv() {
	ip netns exec "$(t_ns lbv)" valgrind --leak-check=full --errors-for-leak-kinds=definite \
		--error-exitcode=99 --track-fds=yes --num-callers=30 --log-file="$vglog" \
		"$KCWATCHD" -c "$conf" -n lbv -s "$T_DIR/lbv.sock" -d >>"$T_DIR/lbv.log" 2>&1 &
	T_NODE_PID[lbv]=$!
	T_PIDS+=($!)
}

role_is() { [ "$(t_role "$1")" = "$2" ]; }
holds() { ip -n "$(t_ns "$1")" addr show dev eth0 | grep -qF " $2/"; }
other() { if [ "$1" = lbv ]; then echo lbn; else echo lbv; fi; }
# leads NODE: NODE leads, the other follows it and sees it alive, NODE holds both VIPs.
leads() {
	local o
	o=$(other "$1")
	role_is "$1" leader && role_is "$o" follower &&
		[ "$(t_field "$o" .leader)" = "$1" ] &&
		[ "$(t_field "$1" '.peers[0].alive')" = true ] &&
		holds "$1" "$VIP4" && holds "$1" "$VIP6" && ! holds "$o" "$VIP4" && ! holds "$o" "$VIP6"
}

# --- start ------------------------------------------------------------------------------------------
t0=$(t_now)
start_lbv
ms=$(t_wait 60000 role_is lbv leader); rc=$?
t_check "lbv under valgrind starts and leads alone (${ms} ms)" [ $rc -eq 0 ]
t_start lbn "$conf"
ms=$(t_wait 10000 leads lbv); rc=$?
t_check "lbn joins as follower: preempt = no (${ms} ms)" [ $rc -eq 0 ]

# --- failovers ----------------------------------------------------------------------------------------
done_n=0
kills=0
slowest=0
leader=lbv
for i in $(seq "$n_failovers"); do
	next=$(other "$leader")
	if [ "$leader" = lbn ] && [ $((i % 4)) -eq 0 ]; then
		how="kill -9 of lbn"
		t_stop lbn KILL
		kills=$((kills + 1))
	else
		how="step-down of $leader"
		# The node that stepped down last time is not eligible until its peer has heard it
		# again after its "resigning" heartbeat; under valgrind that can be late: retry.
		t_wait 3000 t_ctl "$leader" step-down >/dev/null 2>&1 ||
			t_log "failover $i: step-down of $leader refused for 3 s"
	fi
	ms=$(t_wait 10000 role_is "$next" leader); rc=$?
	if [ "$how" = "kill -9 of lbn" ]; then
		t_start lbn "$conf"
	fi
	ms2=$(t_wait 10000 leads "$next"); rc2=$?
	if [ $rc -eq 0 ] && [ $rc2 -eq 0 ]; then
		done_n=$((done_n + 1))
		[ "$ms" -gt "$slowest" ] && slowest=$ms
	else
		t_notok "failover $i ($how): $next did not take over with both VIPs (${ms} + ${ms2} ms)"
		break
	fi
	leader=$next
done
t_eq "$done_n of $n_failovers failovers ($kills by kill -9), each new leader in at most ${slowest} ms" \
	"$done_n" "$n_failovers"
t_check "lbv itself went through the roles" \
	[ "$(grep -c 'role follower -> leader' "$T_DIR/lbv.log")" -ge $((n_failovers / 2)) ]

# --- the report -----------------------------------------------------------------------------------------
pid=${T_NODE_PID[lbv]}
kill -TERM "$pid"
for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done # valgrind takes a while
wait "$pid"; rc=$?
T_NODE_PID[lbv]=
t_eq "lbv exits 0 on SIGTERM under valgrind (99 = valgrind found errors)" "$rc" 0
t_log "valgrind: $(grep -E 'in use at exit|definitely lost|indirectly lost|possibly lost|ERROR SUMMARY|FILE DESCRIPTORS' "$vglog" | sed 's/^==[0-9]*== *//' | paste -sd ';')"
grep -E 'Open (file descriptor|AF_)' "$vglog" | sed 's/^==[0-9]*== */# /'
t_check "valgrind: definitely lost 0 bytes (or no leak at all)" \
	grep -qE 'definitely lost: 0 bytes in 0 blocks|All heap blocks were freed' "$vglog"
t_check "valgrind: ERROR SUMMARY 0 errors" grep -qE 'ERROR SUMMARY: 0 errors from 0 contexts' "$vglog"
no_bad_access() { ! grep -qE 'Invalid (read|write|free)|uninitialised|Mismatched free|overlap' "$1"; }
t_check "valgrind: no invalid read, write or free, no uninitialised value" no_bad_access "$vglog"
if [ "$T_FAIL" -gt 0 ]; then
	grep -E -A20 'Invalid|uninitialised|definitely lost in' "$vglog" | head -80 | sed 's/^/#   /'
fi
t_log "total $(( ($(t_now) - t0) / 1000 )) s"
t_done
