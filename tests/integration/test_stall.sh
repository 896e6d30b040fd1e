#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_stall.sh: stalled processes (a busy host) must not cause a false takeover, and a heartbeat
# that waited in the socket must not keep a dead leader alive. Two nodes, interval 100 ms,
# dead-after 3, preempt = no; SIGSTOP/SIGCONT stand in for the scheduler.
#  1. Both daemons stall past the dead interval; the leader resumes first and sends its heartbeat
#     at once, then the follower resumes: its election deadline and the heartbeat socket are
#     ready together. It must hear the heartbeat before it judges the leader: no takeover (VIP
#     additions on lb2 by netlink: none; the term does not change).
#  2. Both stall; the follower resumes first, the leader 20 ms later (a paused host or
#     hypervisor: both resume, in any order). The follower does not judge the silence it slept
#     through: it gives the leader one interval (R45), hears it, and nothing moves.
#  3. The follower stalls, the leader is killed meanwhile (its last heartbeats wait in the
#     follower's socket): the follower judges by the kernel's receive time, so it claims one
#     interval after it resumes (R45), not a dead interval later.
. "$(dirname "$0")/lib.sh"
t_require_root

ROUNDS=${KCW_STALL_ROUNDS:-6}
VIP=10.77.0.100
t_lan lb1 lb2
t_keyfile "$T_DIR/cluster.key"
conf="$T_DIR/kcwatch.conf"
t_conf_cluster "$conf" interval=100ms dead-after=3 preempt=no
t_conf_vip "$conf" keycloak "$VIP/24"

role_is() { [ "$(t_role "$1")" = "$2" ]; }
sent_after() { [ "$(t_field lb1 .heartbeat.sent)" -gt "$1" ]; } # COUNT: lb1 sent more
settled() { role_is lb1 leader && role_is lb2 follower && t_holds lb1 "$VIP" && ! t_holds lb2 "$VIP"; }

t_start lb1 "$conf"
t_wait 3000 t_holds lb1 "$VIP" >/dev/null
t_start lb2 "$conf"
ms=$(t_wait 5000 settled); rc=$?
t_check "lb1 leads, lb2 follows (${ms} ms)" [ $rc -eq 0 ]
term=$(t_field lb1 .term)

# mon_start / mon_adds: VIP additions on lb2, from netlink events
mon_start() {
	TZ=UTC ip -n "$(t_ns lb2)" monitor address dev eth0 >"$T_DIR/mon-lb2" 2>&1 &
	mon=$!
	T_PIDS+=($mon)
	sleep 0.3
}
mon_adds() {
	sleep 0.3
	t_kill TERM "$mon"
	wait "$mon" 2>/dev/null
	t_forget "$mon"
	grep -v Deleted "$T_DIR/mon-lb2" | grep -c "inet $VIP/"
}

# --- 1. both stall, the leader resumes first ----------------------------------------------------
mon_start
for r in $(seq "$ROUNDS"); do
	sent=$(t_field lb1 .heartbeat.sent)
	t_kill STOP "${T_NODE_PID[lb2]}"
	t_kill STOP "${T_NODE_PID[lb1]}"
	sleep 0.5 # > dead-after x interval: lb2's deadline expires while it is stopped
	t_kill CONT "${T_NODE_PID[lb1]}"
	# lb1 sends its due heartbeat at once; it waits in lb2's socket. (On a loaded host lb1 may
	# itself run late: resume lb2 only once lb1 has sent.)
	t_wait 3000 sent_after "$sent" >/dev/null
	sleep 0.1
	t_kill CONT "${T_NODE_PID[lb2]}"
	t_wait 3000 settled >/dev/null || break
	sleep 0.3
done
t_eq "no VIP added on lb2 in $ROUNDS stalls of both daemons (netlink events)" "$(mon_adds)" 0
t_eq "no claim: the term is unchanged" "$(t_field lb2 .term)" "$term"
t_check "lb1 still leads" settled
t_check "lb2 counted the late wake-ups (heartbeat.loop_stalls >= $ROUNDS)" \
	[ "$(t_field lb2 .heartbeat.loop_stalls)" -ge "$ROUNDS" ]
t_check "the receive buffer is sized (heartbeat.receive_buffer >= 1 MiB)" \
	[ "$(t_field lb2 .heartbeat.receive_buffer)" -ge 1048576 ]

# --- 2. both stall, the follower resumes first ---------------------------------------------------
stalls=$(t_field lb2 .heartbeat.loop_stalls)
mon_start
for r in $(seq "$ROUNDS"); do
	t_kill STOP "${T_NODE_PID[lb1]}"
	t_kill STOP "${T_NODE_PID[lb2]}"
	sleep 0.5
	t_kill CONT "${T_NODE_PID[lb2]}"
	sleep 0.02 # lb2's deadline has long passed, and nothing waits in its socket
	t_kill CONT "${T_NODE_PID[lb1]}"
	t_wait 3000 settled >/dev/null || break
	sleep 0.3
done
t_eq "no VIP added on lb2 in $ROUNDS stalls where lb2 resumed first (netlink events)" \
	"$(mon_adds)" 0
t_eq "no claim: the term is unchanged" "$(t_field lb2 .term)" "$term"
t_check "lb1 still leads" settled
t_check "lb2 counted those late wake-ups too" \
	[ "$(t_field lb2 .heartbeat.loop_stalls)" -ge $((stalls + ROUNDS)) ]

# --- 3. the follower stalls, the leader dies meanwhile ------------------------------------------
t_kill STOP "${T_NODE_PID[lb2]}"
sleep 0.2 # lb1's heartbeats queue up in lb2's socket
t_kill KILL "${T_NODE_PID[lb1]}"
sleep 0.5 # silent for longer than the dead interval (300 ms)
cont=$(t_ms_of_day)
t_kill CONT "${T_NODE_PID[lb2]}"
t_wait 3000 role_is lb2 leader >/dev/null
claim=$(t_log_ms lb2 'role follower -> leader')
# one interval (R45: 100 ms) at the earliest; a heartbeat counted as heard when read would put
# the claim a dead interval (300 ms) after SIGCONT: the bound sits just below that
t_check "lb2 claims one interval after it resumes ($((claim - cont)) ms after SIGCONT; a heartbeat that waited does not count as heard then)" \
	[ $((claim - cont)) -ge 99 -a $((claim - cont)) -lt 290 ]
t_check "and logs how long lb1 was silent" grep -qE 'role follower -> leader .*lb1 last heard [0-9]+ ms ago' "$T_DIR/lb2.log"

t_done
