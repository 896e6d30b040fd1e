#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_operator.sh: what an operator meets day to day: the read-only status socket for a
# monitoring user, status --check's exit codes, the human status, --json anywhere, SIGUSR1 and
# SIGUSR2, plain log lines off the journal, promtool on the metrics, the Grafana dashboard,
# kcwatchctl hook test, names starting with '-', and the firewall warning of a lonely node.
. "$(dirname "$0")/lib.sh"
t_require_root
t_require_tools jq setpriv promtool

key="$T_DIR/cluster.key"
t_keyfile "$key"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
role_is() { [ "$(t_role "$1")" = "$2" ]; }
ctl_rc() { "$@" >/dev/null 2>&1; echo $?; } # the exit status of a command, output dropped

# --- a two-node cluster with a VIP on a dummy interface of each node ----------------------------
t_lan lb1 lb2
for n in lb1 lb2; do # vip0: a VIP interface that can go down without cutting the heartbeats
	ip -n "$(t_ns "$n")" link add vip0 type veth peer name vip1
	ip -n "$(t_ns "$n")" link set vip1 up
	ip -n "$(t_ns "$n")" link set vip0 up
done
conf="$T_DIR/kcwatch.conf"
t_conf_cluster "$conf" interval=100ms
t_conf_vip "$conf" keycloak 10.77.9.1/32 interface=vip0
t_start lb1 "$conf"
t_wait 3000 role_is lb1 leader >/dev/null
t_start lb2 "$conf"
t_wait 3000 role_is lb2 follower >/dev/null

# --- the status socket: readable by anyone, answers only read commands --------------------------
t_check "lb1's status socket is next to its control socket, mode 0666" \
	eval '[ "$(stat -c %a "$T_DIR/lb1.status.sock" 2>/dev/null)" = 666 ]'
t_check "the control socket stays mode 0660" eval '[ "$(stat -c %a "$T_DIR/lb1.sock")" = 660 ]'
chmod 0711 "$T_DIR" # uid 65534 may pass through, as through /run/kcwatch
out=$(nobody "$KCWATCHCTL" -s "$T_DIR/lb1.sock" status --json 2>&1); rc=$?
t_eq "uid 65534: status --json is answered through the status socket" \
	"$rc $(jq -r .role <<<"$out" 2>/dev/null)" "0 leader"
out=$(nobody "$KCWATCHCTL" -s "$T_DIR/lb1.sock" metrics 2>&1); rc=$?
t_check "uid 65534: metrics too" eval '[ $rc -eq 0 ] && grep -qx "kcwatch_is_leader 1" <<<"$out"'
out=$(nobody "$KCWATCHCTL" -s "$T_DIR/lb1.sock" step-down 2>&1); rc=$?
t_eq "uid 65534: step-down is refused: control socket not permitted (exit 3)" "$rc" 3
t_check "with 'permission denied: ... (member of group kcwatch?)' ($out)" \
	grep -qF "kcwatchctl: permission denied: cannot connect to $T_DIR/lb1.sock (member of group kcwatch?)" <<<"$out"
out=$(nobody "$KCWATCHCTL" -s "$T_DIR/lb1.status.sock" step-down 2>&1); rc=$?
t_eq "uid 65534 sending step-down to the status socket itself: refused (exit 1)" "$rc" 1
t_check "the status socket says it only reads ($out)" \
	grep -qF "'step-down' is not served on the status socket" <<<"$out"
out=$("$KCWATCHCTL" -s "$T_DIR/lb1.status.sock" maintenance on 2>&1); rc=$?
t_eq "even root cannot change state over the status socket" "$rc/$(t_field lb1 .maintenance)" 1/false
t_check "lb1 still leads" role_is lb1 leader
chmod 0700 "$T_DIR"
out=$(nobody "$KCWATCHCTL" -s "$T_DIR/lb1.sock" status 2>&1); rc=$?
t_eq "status with neither socket reachable: exit 3" "$rc" 3
t_check "and the reason is permission, not 'is it running?' ($out)" \
	grep -qF "permission denied: cannot connect to $T_DIR/lb1.sock (member of group kcwatch?)" <<<"$out"
rc=$(ctl_rc nobody "$KCWATCHCTL" -s "$T_DIR/lb1.sock" -S "$T_DIR/lb2.status.sock" status)
t_eq "-S names the status socket explicitly" "$rc" 3 # still behind the 0700 directory

# --- --json anywhere ----------------------------------------------------------------------------
for args in "--json status" "status --json" "-s $T_DIR/lb1.sock --json status"; do
	# shellcheck disable=SC2086 # words on purpose
	out=$("$KCWATCHCTL" $args 2>/dev/null)
	[ "${args#-s}" = "$args" ] && out=$(t_ctl lb1 $args 2>/dev/null)
	t_eq "kcwatchctl $args: JSON" "$(jq -r .node <<<"$out" 2>/dev/null)" lb1
done

# --- the human status ---------------------------------------------------------------------------
out=$(t_ctl lb1 status)
t_check "human status: maintenance line" grep -qx "maintenance off" <<<"$out"
t_check "human status: the defence and whether it holds" \
	grep -qx "defence   none (a partition gives two leaders until it heals)" <<<"$out"

# --- status --check in each state ----------------------------------------------------------------
out=$(t_ctl lb1 status --check); rc=$?
t_eq "--check on the leader holding its VIP: exit 0" "$rc" 0
t_eq "with one line" "$out" "KCWATCH OK - leader, term $(t_field lb1 .term), holding 1 of 1 VIPs"
out=$(t_ctl lb2 status --check); rc=$?
t_check "--check on a follower hearing the leader: exit 0 ($out)" \
	eval '[ $rc -eq 0 ] && grep -qE "^KCWATCH OK - follower, term [0-9]+, leader lb1 heard [0-9]+ ms ago$" <<<"$out"'
ip -n "$(t_ns lb1)" link set vip0 down
t_wait 3000 role_is lb1 fault >/dev/null
out=$(t_ctl lb1 status --check); rc=$?
t_eq "--check in fault: exit 1" "$rc" 1
t_eq "saying why" "$out" "KCWATCH WARNING - fault: effective priority 0 (a VIP interface is down)"
t_wait 3000 role_is lb2 leader >/dev/null
ip -n "$(t_ns lb1)" link set vip0 up
t_wait 3000 role_is lb1 follower >/dev/null
t_stop lb2
t_wait 3000 role_is lb1 leader >/dev/null
t_ctl lb1 maintenance on >/dev/null
t_wait 3000 role_is lb1 follower >/dev/null
out=$(t_ctl lb1 status --check); rc=$?
t_eq "--check with no leader heard (the only node in maintenance): exit 1" "$rc" 1
t_check "saying why ($out)" \
	grep -qE "^KCWATCH WARNING - follower, term [0-9]+: no leader heard, in maintenance$" <<<"$out"
t_check "human status shows maintenance on" \
	grep -qx "maintenance on: this node does not lead until 'maintenance off'" <<<"$(t_ctl lb1 status)"
t_ctl lb1 maintenance off >/dev/null
t_stop lb1
out=$(t_ctl lb1 status --check); rc=$?
t_eq "--check with the daemon stopped: exit 3" "$rc" 3
t_check "one line: UNKNOWN, cannot reach ($out)" \
	grep -qE "^KCWATCH UNKNOWN - cannot reach kcwatchd at $T_DIR/lb1.sock: .*\(is it running\?\)$" <<<"$out"

# a tie-breaker nobody answers: the defence is not satisfied
tbconf="$T_DIR/tb.conf"
t_conf_cluster "$tbconf" interval=100ms tie-breaker=10.77.0.99
t_start lb1 "$tbconf"
t_wait 3000 role_is lb1 follower >/dev/null
sleep 0.5
out=$(t_ctl lb1 status --check); rc=$?
t_eq "--check with the tie-breaker unreachable: exit 1" "$rc" 1
t_check "saying why ($out)" \
	grep -qF "KCWATCH WARNING - split-brain defence: tie-breaker 10.77.0.99, NOT satisfied (unreachable): may not lead" <<<"$out"
t_check "human status: the defence is not satisfied" \
	grep -qF "defence   tie-breaker 10.77.0.99, NOT satisfied" <<<"$(t_ctl lb1 status)"
t_stop lb1

t_done
