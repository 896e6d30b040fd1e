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
out=$(nobody "$KCWATCHCTL" -s "$T_DIR/nothing.sock" -S "$T_DIR/lb2.status.sock" status --json 2>&1)
t_eq "-S names the status socket: lb2's answers" "$(jq -r .node <<<"$out" 2>/dev/null)" lb2
chmod 0700 "$T_DIR"
out=$(nobody "$KCWATCHCTL" -s "$T_DIR/lb1.sock" status 2>&1); rc=$?
t_eq "status with neither socket reachable: exit 3" "$rc" 3
t_check "and the reason is permission, not 'is it running?' ($out)" \
	grep -qF "permission denied: cannot connect to $T_DIR/lb1.sock (member of group kcwatch?)" <<<"$out"

# --- --json anywhere ----------------------------------------------------------------------------
for args in "--json status" "status --json" "--json -s $T_DIR/lb1.sock status"; do
	# shellcheck disable=SC2086 # words on purpose
	out=$("$KCWATCHCTL" -s "$T_DIR/lb1.sock" $args 2>/dev/null)
	t_eq "kcwatchctl $args: JSON" "$(jq -r .node <<<"$out" 2>/dev/null)" lb1
done

# --- the human status ---------------------------------------------------------------------------
out=$(t_ctl lb1 status)
t_check "human status: maintenance line" grep -qx "maintenance off" <<<"$out"
t_check "human status: the defence and whether it holds" \
	grep -qx "defence   none (a partition gives two leaders until it heals)" <<<"$out"

# --- status --check in each state ----------------------------------------------------------------
# check_says WHEN RC GREP-OPTS PATTERN: lb1's status --check exits RC, its line matching PATTERN
check_says() {
	local out rc
	out=$(t_ctl lb1 status --check); rc=$?
	t_eq "--check $1: exit $2" "$rc" "$2"
	t_check "--check $1: saying why ($out)" grep "$3" -- "$4" <<<"$out"
}
out=$(t_ctl lb1 status --check); rc=$?
t_eq "--check on the leader holding its VIP: exit 0" "$rc" 0
t_eq "with one line" "$out" "KCWATCH OK - leader, term $(t_field lb1 .term), holding 1 of 1 VIPs"
out=$(t_ctl lb2 status --check); rc=$?
t_check "--check on a follower hearing the leader: exit 0 ($out)" \
	eval '[ $rc -eq 0 ] && grep -qE "^KCWATCH OK - follower, term [0-9]+, leader lb1 heard [0-9]+ ms ago$" <<<"$out"'
ip -n "$(t_ns lb1)" link set vip0 down
t_wait 3000 role_is lb1 fault >/dev/null
check_says "in fault" 1 -qxF "KCWATCH WARNING - fault: effective priority 0 (a VIP interface is down)"
t_wait 3000 role_is lb2 leader >/dev/null
ip -n "$(t_ns lb1)" link set vip0 up
t_wait 3000 role_is lb1 follower >/dev/null
t_stop lb2
t_wait 3000 role_is lb1 leader >/dev/null
t_ctl lb1 maintenance on >/dev/null
t_wait 3000 role_is lb1 follower >/dev/null
check_says "with no leader heard (the only node in maintenance)" 1 \
	-qE "^KCWATCH WARNING - follower, term [0-9]+: no leader heard, in maintenance$"
t_check "human status shows maintenance on" \
	grep -qx "maintenance on: this node does not lead until 'maintenance off'" <<<"$(t_ctl lb1 status)"
t_ctl lb1 maintenance off >/dev/null
t_stop lb1
check_says "with the daemon stopped" 3 \
	-qE "^KCWATCH UNKNOWN - cannot reach kcwatchd at $T_DIR/lb1.sock: .*\(is it running\?\)$"

# a tie-breaker nobody answers: the defence is not satisfied
tbconf="$T_DIR/tb.conf"
t_conf_cluster "$tbconf" interval=100ms tie-breaker=10.77.0.99
t_start lb1 "$tbconf"
t_wait 3000 role_is lb1 follower >/dev/null
sleep 0.5
check_says "with the tie-breaker unreachable" 1 \
	-qF "KCWATCH WARNING - split-brain defence: tie-breaker 10.77.0.99, NOT satisfied (unreachable): may not lead"
t_check "human status: the defence is not satisfied" \
	grep -qF "defence   tie-breaker 10.77.0.99, NOT satisfied" <<<"$(t_ctl lb1 status)"
t_stop lb1

# --- SIGUSR1 and SIGUSR2: status and metrics to the log, the daemon keeps running ------------------
t_start lb1 "$conf"
t_wait 3000 role_is lb1 leader >/dev/null
pid=${T_NODE_PID[lb1]}
before=$(wc -l <"$T_DIR/lb1.log")
kill -USR1 "$pid"
got_status() { tail -n +"$((before + 1))" "$T_DIR/lb1.log" | grep -q " notice: status: {"; }
t_wait 2000 got_status >/dev/null
line=$(tail -n +"$((before + 1))" "$T_DIR/lb1.log" | grep " notice: status: {" | head -1)
logged=${line#* notice: status: }
t_check "SIGUSR1: kcwatchd still runs" kill -0 "$pid"
t_eq "SIGUSR1: one notice 'status: {...}' with the status JSON (node, role, term, vips)" \
	"$(jq -c '[.node, .role, .term, .vips[0].held]' <<<"$logged" 2>/dev/null)" \
	"$(t_json lb1 | jq -c '[.node, .role, .term, .vips[0].held]')"
t_eq "the same fields as kcwatchctl status --json" \
	"$(jq -c 'keys' <<<"$logged" 2>/dev/null)" "$(t_json lb1 | jq -c 'keys')"
before=$(wc -l <"$T_DIR/lb1.log")
kill -USR2 "$pid"
got_metrics() { tail -n +"$((before + 1))" "$T_DIR/lb1.log" | grep -q " notice: metrics: # TYPE kcwatch_config_reload_last_reload_timestamp_seconds "; }
t_wait 2000 got_metrics >/dev/null
t_check "SIGUSR2: kcwatchd still runs" kill -0 "$pid"
tail -n +"$((before + 1))" "$T_DIR/lb1.log" | sed -n 's/^.* notice: metrics: //p' >"$T_DIR/usr2.prom"
t_check "SIGUSR2: the metrics, one notice 'metrics: LINE' per line (kcwatch_is_leader 1)" \
	grep -qx "kcwatch_is_leader 1" "$T_DIR/usr2.prom"
out=$(promtool check metrics <"$T_DIR/usr2.prom" 2>&1); rc=$?
t_eq "promtool check metrics on the logged metrics: nothing to report" "$rc:$out" "0:"
t_check "the log lines are plain off the journal (time, pid, level; no <N>)" \
	eval '! grep -q "^<[0-9]>" "$T_DIR/lb1.log" && grep -qE "^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} kcwatchd\[$pid\] notice: " "$T_DIR/lb1.log"'

# --- promtool on the live metrics of a leader with VIPs, backends' absence, peers ------------------
t_start lb2 "$conf"
t_wait 3000 role_is lb2 follower >/dev/null
for n in lb1 lb2; do
	out=$(t_ctl "$n" metrics | promtool check metrics 2>&1); rc=$?
	t_eq "promtool check metrics on $n's kcwatchctl metrics: nothing to report" "$rc:$out" "0:"
done
text=$(t_ctl lb2 metrics)
for l in 'kcwatch_is_leader 0' 'kcwatch_peer_up{node="lb1"} 1' 'kcwatch_vip_held{vip="keycloak"} 0' \
	'kcwatch_fenced 0' 'kcwatch_defence_satisfied 1' 'kcwatch_config_reload_success 1'; do
	t_check "lb2 exports $l" grep -qxF "$l" <<<"$text"
done
t_check "lb2 exports kcwatch_peer_last_seen_seconds{node=\"lb1\"} below a second" \
	grep -qE '^kcwatch_peer_last_seen_seconds\{node="lb1"\} 0\.[0-9]{3}$' <<<"$text"
t_check "process_start_time_seconds is the start, in Unix time" \
	eval 'awk -v now="$(date +%s)" "/^process_start_time_seconds / { exit !(\$2 > now - 60 && \$2 <= now + 1) }" <<<"$text"'
# the Grafana dashboard: valid JSON, and every metric its queries use is one the daemon exports
dash="$KCW_TOP/doc/grafana-kcwatch.json"
t_check "doc/grafana-kcwatch.json is valid JSON with panels" \
	eval '[ "$(jq "[.panels[] | select(.type != \"row\")] | length" "$dash" 2>/dev/null)" -ge 8 ]'
exported=$(awk '$1 == "#" && $2 == "TYPE" { print $3; if ($4 == "histogram") { print $3 "_bucket"; print $3 "_sum"; print $3 "_count" } }' <<<"$text" | sort -u)
used=$(jq -r '.. | .expr? // empty' "$dash" | grep -oE '\b(kcwatch_[a-z_]+|process_start_time_seconds)\b' | sort -u)
t_check "the dashboard's queries use metrics ($(wc -l <<<"$used") names)" [ -n "$used" ]
t_eq "every metric the dashboard queries is exported" "$(comm -23 <(echo "$used") <(echo "$exported") | tr '\n' ' ')" ""
for m in kcwatch_is_leader kcwatch_leader_transitions_total kcwatch_backend_up \
	kcwatch_backend_check_duration_seconds_bucket kcwatch_dns_last_success_timestamp_seconds; do
	t_check "the dashboard shows $m" grep -qx "$m" <<<"$used"
done
t_eq "lb2 (started while lb1 ran) never logged the firewall hint" \
	"$(grep -c "no heartbeat from any peer" "$T_DIR/lb2.log")" 0
t_stop lb2
t_stop lb1

# --- the journal prefix: only when stderr is JOURNAL_STREAM's stream ----------------------------
# jd_start NAME [STREAM]: kcwatchd lb1 with stderr appended to $T_DIR/NAME.log and JOURNAL_STREAM
# set to STREAM (default: that file's own device:inode); its PID in jpid. jd_stop: SIGTERM, reaped.
jd_start() {
	: >"$T_DIR/$1.log"
	JOURNAL_STREAM=${2:-$(stat -c %d:%i "$T_DIR/$1.log")} ip netns exec "$(t_ns lb1)" "$KCWATCHD" \
		-c "$conf" -n lb1 -s "$T_DIR/$1.sock" >>"$T_DIR/$1.log" 2>&1 &
	T_PIDS+=($!)
	jpid=$!
}
jd_stop() {
	t_kill TERM "$jpid"
	wait "$jpid" 2>/dev/null
	t_forget "$jpid"
}
jd_start lbj
t_wait 3000 grep -q "^<5>node lb1 " "$T_DIR/lbj.log" >/dev/null
t_check "stderr is JOURNAL_STREAM's file: '<5>' priority prefixes, no time" \
	eval 'grep -q "^<5>node lb1 (priority 150)" "$T_DIR/lbj.log" && ! grep -q "kcwatchd\[" "$T_DIR/lbj.log"'
jd_stop
jd_start lbk 1:2
t_wait 3000 grep -q "notice: node lb1 " "$T_DIR/lbk.log" >/dev/null
t_check "JOURNAL_STREAM inherited but stderr is another file: plain lines" \
	eval 'grep -q "kcwatchd\[$jpid\] notice: node lb1 (priority 150)" "$T_DIR/lbk.log" && ! grep -q "^<" "$T_DIR/lbk.log"'
jd_stop

# --- kcwatchctl hook test ---------------------------------------------------------------------------
cat >"$T_DIR/hook-leader.sh" <<'HOOK'
#!/bin/sh
echo "args: $*"
echo "env: $KCWATCH_EVENT $KCWATCH_NODE $KCWATCH_ROLE uid=$(id -u)"
echo "to stderr" >&2
exit 3
HOOK
cat >"$T_DIR/hook-slow.sh" <<'HOOK'
#!/bin/sh
sleep 1.5
echo "slow done: $*"
HOOK
chmod 0755 "$T_DIR"/hook-*.sh
hconf="$T_DIR/hooks.conf"
t_conf_cluster "$hconf" interval=100ms
printf '\n[hooks]\non-leader = %s\non-backend-change = %s\n' "$T_DIR/hook-leader.sh" \
	"$T_DIR/hook-slow.sh" >>"$hconf"
t_start lb1 "$hconf"
t_wait 3000 role_is lb1 leader >/dev/null
term=$(t_field lb1 .term)
out=$(t_ctl lb1 hook test leader 2>&1); rc=$?
t_eq "hook test leader: the hook's exit status 3 makes kcwatchctl exit 1" "$rc" 1
t_check "it prints the command line with sample values ($(head -1 <<<"$out"))" \
	grep -qxF "ran $T_DIR/hook-leader.sh leader lb1 leader $term lb1  follower" <<<"$out"
t_check "its exit status" grep -qE "^exit status 3 after [0-9]+ ms$" <<<"$out"
t_check "and its output, stdout and stderr" eval 'grep -qxF "args: leader lb1 leader $term lb1  follower" <<<"$out" && grep -qxF "to stderr" <<<"$out"'
t_check "run by the daemon, with the hook environment" \
	grep -qxF "env: leader lb1 leader uid=0" <<<"$out"
out=$(t_ctl lb1 hook test leader --json 2>/dev/null)
t_eq "hook test --json: exit_status and output" \
	"$(jq -c '[.exit_status, .signal, .timed_out, (.output | test("to stderr"))]' <<<"$out")" \
	"[3,null,false,true]"
out=$(t_ctl lb1 hook test fault 2>&1); rc=$?
t_eq "hook test for an event without a program: exit 1" "$rc" 1
t_check "saying which key is not set ($out)" \
	grep -qF "no program for event fault: [hooks] on-fault is not set" <<<"$out"
out=$(t_ctl lb1 hook test sideways 2>&1); rc=$?
t_check "an unknown event is refused with the list ($out)" \
	eval '[ $rc -eq 1 ] && grep -qF "usage: hook test leader|follower|fault|backend-change" <<<"$out"'
t_ctl lb1 hook test backend-change >"$T_DIR/slow.out" 2>&1 &
slow=$!
sleep 0.3
start=$(t_now)
r=$(t_role lb1)
t_check "while a hook test runs (1.5 s), the daemon answers at once and still leads" \
	eval '[ "$r" = leader ] && [ $(( $(t_now) - start )) -lt 500 ]'
out=$(t_ctl lb1 hook test leader 2>&1); rc=$?
t_check "a second hook test meanwhile is refused ($out)" \
	eval '[ $rc -eq 1 ] && grep -qF "a hook test is already running" <<<"$out"'
wait "$slow"; rc=$?
t_eq "the slow hook test ends with exit 0" "$rc" 0
t_check "its output is there (no backends: empty BACKEND and PREVIOUS)" \
	grep -qxF "slow done: backend-change lb1 leader $term lb1  " "$T_DIR/slow.out"
man8="$KCW_TOP/doc/kcwatchd.8"
t_check "kcwatchd(8) has the section 'Hooks and privileges' with a polkit and a sudoers example" \
	eval 'grep -qx ".SS \"Hooks and privileges\"" "$man8" && grep -q "org.freedesktop.systemd1.manage\\\\-units" "$man8" && grep -q "^kcwatch ALL=(root) NOPASSWD: /usr/bin/systemctl restart haproxy.service" "$man8"'
chmod 0711 "$T_DIR"
out=$(nobody "$KCWATCHCTL" -s "$T_DIR/lb1.status.sock" hook test leader 2>&1); rc=$?
t_check "hook test is not served on the status socket ($out)" \
	eval '[ $rc -eq 1 ] && grep -qF "not served on the status socket" <<<"$out"'
chmod 0700 "$T_DIR"
t_stop lb1

# --- a node alone: the firewall hint, once ---------------------------------------------------------
# lb1 with a peer that never answers (nothing has its address; lb2's namespace is empty now)
T_IP4_ghost=10.77.0.99
lconf="$T_DIR/lone.conf"
t_conf_cluster "$lconf" port=7199 interval=100ms lb1:150 ghost:100
mv "$T_DIR/lb1.log" "$T_DIR/lb1-before.log"
t_start lb1 "$lconf"
hint="warning: no heartbeat from any peer: is UDP 7199 open in the firewall on every node?"
ms=$(t_wait 3000 grep -qF "$hint" "$T_DIR/lb1.log"); rc=$?
t_check "a node that hears nothing for 10 intervals logs the firewall hint (${ms} ms)" [ $rc -eq 0 ]
t_check "not before 10 intervals (1 s) after its start" \
	eval '[ $(( $(t_log_ms lb1 "no heartbeat from any peer") - $(t_log_ms lb1 "notice: node lb1 ") )) -ge 990 ]'
sleep 2 # 20 more intervals
t_eq "exactly once, naming the configured port" "$(grep -cF "$hint" "$T_DIR/lb1.log")" 1
t_check "its sends succeed meanwhile" eval '[ "$(t_field lb1 .heartbeat.sent)" -gt 20 ] && [ "$(t_field lb1 .heartbeat.send_errors)" -eq 0 ]'
t_stop lb1

t_done
