# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# tests/chaos/lib.sh: what the chaos scenarios share. Sourced by each tests/chaos/s*.sh.
#
# Builds on tests/integration/lib.sh (namespaces, t_start/t_stop/t_ctl, t_log_ms, the EXIT trap)
# and adds: a LAN of lb1 lb2 client w svc (10.77.0.11..15), a VIP 10.77.0.100/24 on eth0,
# configurations with optional [dns], [backend] and witness, a UDP answering service on both
# load balancers, a watcher in the client namespace (probes the VIP every C_PROBE_MS and
# follows who holds the VIP through netlink events plus a dump every ~10 ms), nftables
# faults, analysis of the watcher's log and of the daemons' logs, and the scenario's row.
#
# Times are milliseconds of the day (local time), the daemons' log timestamps: t_ms_of_day.
# A scenario: c_begin NAME; c_lan; c_conf ...; c_cluster_up; c_watch_start (the four, plain:
# c_start_watched; with c_begin and c_require nft jq: c_begin_watched); <fault>; c_assert ...;
# c_row_values ...; c_finish (or, for the usual end, c_finish_run). The row goes to $KCW_CHAOS_RESULTS (one line, tab-separated: name outage
# switches double verdict notes). With KCW_CHAOS_LOGS set, a failing scenario's daemon logs and
# watcher log are copied there (every scenario's with KCW_CHAOS_KEEP_ALL=1).

C_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KCW_TOP=${KCW_TOP:-$(cd "$C_LIB_DIR/../.." && pwd)}
# shellcheck source=tests/integration/lib.sh
. "$KCW_TOP/tests/integration/lib.sh"
unset JOURNAL_STREAM # the daemons must log with timestamps

C_PY=$(command -v /usr/bin/python3 || command -v python3)
C_IV=${KCW_CHAOS_INTERVAL_MS:-200}      # heartbeat interval
C_DEAD_AFTER=${KCW_CHAOS_DEAD_AFTER:-3}
C_D=$((C_IV * C_DEAD_AFTER))            # dead interval
C_PROBE_MS=${KCW_CHAOS_PROBE_MS:-10}    # client probe period
# Failover bound: a node claims at most D after it last heard the leader (<= the fault), plus
# one interval of slack for wake-ups and a loaded machine, plus 100 ms for the shared CI box.
C_FAILOVER_MS=$((C_D + C_IV + 100))
C_VIP=10.77.0.100
C_ECHO_PORT=9999
C_HB_PORT=7112
C_NAME=unnamed
C_FAILS=()
C_NOTES=()
C_SKIP=
C_OUTAGE=-
C_SWITCHES=-
C_DOUBLE=-
C_FINISHED=
declare -A C_ECHO_PID

# c_now: ms of the day like t_ms_of_day, without starting date(1) (on a loaded machine every
# process start costs tens of ms): EPOCHREALTIME and the local UTC offset taken once.
C_TZ_OFF_MS=$(date +%z | awk '{ s = substr($1, 1, 1) == "-" ? -1 : 1; print s * (substr($1, 2, 2) * 3600 + substr($1, 4, 2) * 60) * 1000 }')
c_now() {
	local e=${EPOCHREALTIME/[.,]/}
	echo $(((e / 1000 + C_TZ_OFF_MS) % 86400000))
}
# c_now_v VAR: the same into VAR, without a subshell.
c_now_v() {
	local e=${EPOCHREALTIME/[.,]/}
	printf -v "$1" '%d' $(((e / 1000 + C_TZ_OFF_MS) % 86400000))
}
c_sleep_ms() { [ "$1" -gt 0 ] && sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; return 0; }
c_sleep_until() { c_sleep_ms $(($1 - $(c_now))); } # MS-OF-DAY

# --- bookkeeping ------------------------------------------------------------------------------
c_begin() { # NAME
	C_NAME=$1
	echo "# scenario $C_NAME (interval ${C_IV} ms, dead-after $C_DEAD_AFTER, T_DIR $T_DIR)"
}
c_note() { C_NOTES+=("$*"); echo "# note: $*"; }
c_fail() { C_FAILS+=("$*"); T_FAIL=$((T_FAIL + 1)); echo "not ok - $*"; }
c_pass() { T_PASS=$((T_PASS + 1)); echo "ok - $*"; }
# c_assert DESC CMD...
c_assert() { local d=$1; shift; if "$@"; then c_pass "$d"; else c_fail "$d"; fi; }
# c_assert_num DESC VALUE -le|-ge BOUND: VALUE must be a number <= (-le) or >= (-ge) BOUND.
c_assert_num() {
	local ok='<=' ko='>'
	[ "$3" = -ge ] && ok='>=' ko='<'
	if [[ "$2" =~ ^-?[0-9]+$ ]] && test "$2" "$3" "$4"; then
		c_pass "$1 ($2 $ok $4)"
	else
		c_fail "$1 ($2 $ko $4)"
	fi
}
c_assert_le() { c_assert_num "$1" "$2" -le "$3"; } # DESC VALUE MAX
c_assert_ge() { c_assert_num "$1" "$2" -ge "$3"; } # DESC VALUE MIN
# c_assert_within DESC EVENT REF MAX: EVENT (a time, -1 = never) happened at most MAX ms
# after REF (earlier is fine).
c_assert_within() {
	if [ "$2" -lt 0 ]; then
		c_fail "$1 (never happened)"
	elif [ $(($2 - $3)) -le "$4" ]; then
		c_pass "$1 ($(($2 - $3)) <= $4 ms)"
	else
		c_fail "$1 ($(($2 - $3)) > $4 ms)"
	fi
}
c_assert_eq() {
	if [ "$2" = "$3" ]; then c_pass "$1 ($2)"; else c_fail "$1 (got '$2', want '$3')"; fi
}
c_skip() { C_SKIP="$*"; echo "# skip: $*"; c_finish; }
c_row_values() { C_OUTAGE=$1; C_SWITCHES=$2; C_DOUBLE=$3; }

c_finish() {
	local verdict notes
	C_FINISHED=1
	if [ -n "$C_SKIP" ]; then
		verdict="SKIP: $C_SKIP"
	elif [ ${#C_FAILS[@]} -gt 0 ]; then
		verdict="FAIL: $(printf '%s; ' "${C_FAILS[@]}")"
		verdict=${verdict%; }
	else
		verdict=PASS
	fi
	notes=$(printf '%s; ' "${C_NOTES[@]}")
	notes=${notes%; }
	echo "# $C_NAME: outage ${C_OUTAGE} ms, switches ${C_SWITCHES}, double ${C_DOUBLE} ms: $verdict"
	if [ -n "${KCW_CHAOS_RESULTS:-}" ]; then
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$C_NAME" "$C_OUTAGE" "$C_SWITCHES" "$C_DOUBLE" \
			"$verdict" "${notes:--}" >>"$KCW_CHAOS_RESULTS"
	fi
	[ -z "$C_SKIP" ] && [ ${#C_FAILS[@]} -gt 0 ] && exit 1
	exit 0
}

# The EXIT trap: wake stopped processes (so TERM works), keep the logs of a failure, and let
# the integration lib stop everything by PID and delete the namespaces.
c_cleanup() {
	local p rc=$?
	for p in "${T_PIDS[@]}"; do kill -CONT "$p" 2>/dev/null; done
	[ -n "${C_WATCH_PID:-}" ] && kill -TERM "$C_WATCH_PID" 2>/dev/null
	if [ -z "$C_FINISHED" ]; then
		echo "# scenario $C_NAME ended early (exit $rc)"
		T_FAIL=$((T_FAIL + 1))
		if [ -n "${KCW_CHAOS_RESULTS:-}" ]; then
			printf '%s\t-\t-\t-\t%s\t-\n' "$C_NAME" "FAIL: ended early (exit $rc)" \
				>>"$KCW_CHAOS_RESULTS"
		fi
	fi
	if [ -n "${KCW_CHAOS_LOGS:-}" ] && { [ "$T_FAIL" -gt 0 ] || [ -n "${KCW_CHAOS_KEEP_ALL:-}" ]; }; then
		mkdir -p "$KCW_CHAOS_LOGS/$C_NAME"
		cp "$T_DIR"/*.log "$T_DIR"/*.out "$T_DIR"/*.conf "$KCW_CHAOS_LOGS/$C_NAME/" 2>/dev/null
	fi
	t_cleanup
}
trap c_cleanup EXIT

c_require() { # tools...
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || c_skip "missing tool $t"
	done
	[ "$(id -u)" -eq 0 ] || c_skip "needs root (network namespaces)"
	[ -x "$KCWATCHD" ] && [ -x "$KCWATCHCTL" ] || c_skip "no kcwatchd/kcwatchctl in $KCW_BUILD"
}

# --- the network ------------------------------------------------------------------------------
# lb1 .11, lb2 .12, client .13, w .14 (witness), svc .15 (named, nginx).
c_lan() {
	t_lan lb1 lb2 client w svc
	C_KEY=$T_DIR/cluster.key
	t_keyfile "$C_KEY"
}

# --- nftables faults inside a namespace (table inet chaos) -------------------------------------
c_nft() { # HOST RULESET-TEXT
	printf '%s\n' "$2" | t_exec "$1" nft -f -
}
c_nft_clear() { # HOST...
	local h
	for h in "$@"; do t_exec "$h" nft delete table inet chaos 2>/dev/null; done
	return 0
}
# c_drop_in HOST NFT-MATCH...: HOST drops what matches on input only (one nft call).
c_drop_in() {
	local h=$1
	shift
	c_nft "$h" "table inet chaos {
	chain in { type filter hook input priority 0; policy accept; }
}
add rule inet chaos in $*"
}
# c_cut HOST PEER...: HOST drops everything to and from each PEER (both directions); one nft
# call, so the fault starts at once.
c_cut() {
	local h=$1 p rules=
	shift
	for p in "$@"; do
		rules+="add rule inet chaos in ip saddr $(t_ip4 "$p") drop
add rule inet chaos out ip daddr $(t_ip4 "$p") drop
"
	done
	c_nft "$h" "table inet chaos {
	chain in { type filter hook input priority 0; policy accept; }
	chain out { type filter hook output priority 0; policy accept; }
}
$rules"
}

# --- configuration ----------------------------------------------------------------------------
# c_conf FILE [witness] [dns] [backends] [nopreempt]: lb1 (150) and lb2 (100), the VIP.
c_conf() {
	local f=$1 o witness='' dns='' backends='' preempt=yes
	shift
	for o in "$@"; do
		case $o in
		witness) witness=1 ;;
		dns) dns=1 ;;
		backends) backends=1 ;;
		nopreempt) preempt=no ;;
		*) echo "c_conf: unknown option $o" >&2; return 1 ;;
		esac
	done
	local w=()
	if [ -n "$witness" ]; then w=(witness=w w:witness); fi
	t_conf_cluster "$f" name=chaos port="$C_HB_PORT" interval="${C_IV}ms" dead-after="$C_DEAD_AFTER" \
		key-file="$C_KEY" preempt="$preempt" preempt-delay=0s lb1:150 lb2:100 "${w[@]}"
	t_conf_vip "$f" keycloak "$C_VIP/24"
	{
		if [ -n "$backends" ]; then
			local n port
			for n in sno1 sno2; do
				port=$([ $n = sno1 ] && echo 8443 || echo 8444)
				t_conf_backend "$f" "$n" "https://keycloak-rhbk.apps.$n.local.mylab.io/health" \
					"$(t_ip4 svc):$port" "$T_DIR/pki/ca.pem" interval="${C_BE_INTERVAL:-250ms}" \
					timeout="${C_BE_TIMEOUT:-200ms}" rise="${C_BE_RISE:-2}" fall="${C_BE_FALL:-3}"
			done
			printf '\n[backends]\nfailback = after %s\n' "${C_BE_FAILBACK:-5s}"
		fi
		if [ -n "$dns" ]; then
			cat <<-EOF

				[dns]
				server = $(t_ip4 svc)
				port = 53
				zone = local.mylab.io
				name = keycloak.local.mylab.io
				ttl = 30
				target = self
				tsig-key-file = $T_DIR/tsig.key
				fence = yes
				fence-renew = 1s
				timeout = ${C_DNS_TIMEOUT_MS:-500}ms
			EOF
		fi
	} >>"$f"
	local err
	err=$(t_exec lb1 "$KCWATCHD" -t -c "$f" -n lb1 2>&1) || { c_fail "kcwatchd -t refuses the configuration: $err"; c_finish; }
}

# --- the answering service on the load balancers ------------------------------------------------
c_tool() { echo "$KCW_TOP/tests/tools/chaos.py"; } # its modes: see the file

c_echo() { # HOST: the answering service on HOST (replies "HOST seq" from the VIP), once it listens
	local py n0
	py=$(c_tool)
	n0=$(grep -c '^serving' "$T_DIR/echo-$1.log" 2>/dev/null)
	# ip netns exec directly (not the t_exec function): $! must be the service itself
	ip netns exec "$(t_ns "$1")" "$C_PY" "$py" serve "$1" "$C_ECHO_PORT" >>"$T_DIR/echo-$1.log" 2>&1 &
	C_ECHO_PID[$1]=$!
	T_PIDS+=($!)
	t_wait 5000 c_echo_serving "$1" "${n0:-0}" >/dev/null
}
c_echo_serving() { [ "$(grep -c '^serving' "$T_DIR/echo-$1.log" 2>/dev/null)" -gt "$2" ]; }
c_echo_kill() { # HOST [SIGNAL]
	kill -"${2:-KILL}" "${C_ECHO_PID[$1]}" 2>/dev/null
	wait "${C_ECHO_PID[$1]}" 2>/dev/null
	C_ECHO_PID[$1]=
}

# --- cluster ----------------------------------------------------------------------------------
# c_state NODE: "ROLE LEADER" from one status call, without jq (a poll loop should not pay
# for jq's start-up on a loaded machine); "none none" when the daemon does not answer.
c_state() {
	t_json "$1" | sed -n 's/^  "role": "\([a-z]*\)",*$/R \1/p; s/^  "leader": \(null\|"\([^"]*\)"\),*$/L \2/p' |
		awk '$1 == "R" { r = $2 } $1 == "L" { l = $2 } END { print (r ? r : "none"), (l ? l : "none") }'
}
c_role_is() { [ "$(t_role "$1")" = "$2" ]; }
# c_one_leader LEADER OTHER: LEADER leads and holds the VIP, OTHER follows it and holds nothing.
c_one_leader() {
	[ "$(c_state "$1")" = "leader $1" ] && [ "$(c_state "$2")" = "follower $1" ] &&
		c_holds_only "$1" "$2"
}
# c_holds_only A B: the VIP is on A and not on B (one ip call).
c_holds_only() {
	local a b
	a=$(ip -n "$(t_ns "$1")" -4 -o addr show dev eth0 2>/dev/null | grep -cF " $C_VIP/")
	b=$(ip -n "$(t_ns "$2")" -4 -o addr show dev eth0 2>/dev/null | grep -cF " $C_VIP/")
	[ "$a" = 1 ] && [ "$b" = 0 ]
}
# c_cluster_up CONF [NODES...]: echo services on lb1/lb2, the daemons (default lb1 lb2), and
# waits until lb1 leads and holds the VIP alone and the client gets its answers.
c_cluster_up() {
	local conf=$1 n ms
	shift
	c_echo lb1
	c_echo lb2
	if [ $# -eq 0 ]; then set -- lb1 lb2; fi
	for n in "$@"; do t_start "$n" "$conf"; done
	ms=$(t_wait 5000 c_one_leader lb1 lb2) || { c_fail "cluster did not settle with lb1 leading"; c_finish; }
	c_ask_is lb1 || { sleep 0.3; c_ask_is lb1; } ||
		{ c_fail "the client gets no answer from lb1 through the VIP"; c_finish; }
	echo "# cluster up in ${ms} ms: lb1 leads (term $(t_field lb1 .term))"
}
# c_start_watched: the usual start of a scenario: c_lan, c_conf $T_DIR/kcwatch.conf (no
# witness, DNS or backends), c_cluster_up, c_watch_start, then 0.5 s of undisturbed probes.
c_start_watched() {
	c_lan
	c_conf "$T_DIR/kcwatch.conf"
	c_cluster_up "$T_DIR/kcwatch.conf"
	c_watch_start
	sleep 0.5
}
# c_begin_watched NAME: c_begin NAME, c_require nft jq, c_start_watched.
c_begin_watched() {
	c_begin "$1"
	c_require nft jq
	c_start_watched
}
# c_assert_claimed DESC FROM REF: lb2 leads within 3 s, and its first claim in its log at or after
# FROM came at most C_FAILOVER_MS after REF (the fault took effect).
c_assert_claimed() {
	local t_claim
	t_wait 3000 c_role_is lb2 leader >/dev/null
	t_claim=$(c_log_first lb2 'role follower -> leader' "$2")
	c_assert_within "$1" "$t_claim" "$3" "$C_FAILOVER_MS"
}
c_ask_is() { # NAME: one probe to the VIP from the client is answered by NAME
	local got
	got=$(t_exec client "$C_PY" -c "
import socket,select
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
s.sendto(b'0',('$C_VIP',$C_ECHO_PORT))
r,_,_=select.select([s],[],[],0.3)
print(s.recv(100).split()[0].decode() if r else '-')" 2>/dev/null)
	[ "$got" = "$1" ]
}

# c_leaders: how many of lb1 lb2 say they lead (a stopped or dead daemon counts as none).
c_leaders() {
	local n c=0
	for n in lb1 lb2; do [ "$(t_role "$n")" = leader ] && c=$((c + 1)); done
	echo $c
}
# c_converged: exactly one leader (the other follows it) and it alone holds the VIP.
c_converged() {
	local s1 s2
	s1=$(c_state lb1)
	s2=$(c_state lb2)
	if [ "$s1" = "leader lb1" ] && [ "$s2" = "follower lb1" ]; then
		c_holds_only lb1 lb2
	elif [ "$s2" = "leader lb2" ] && [ "$s1" = "follower lb2" ]; then
		c_holds_only lb2 lb1
	else
		return 1
	fi
}
c_the_leader() { if c_role_is lb1 leader; then echo lb1; elif c_role_is lb2 leader; then echo lb2; else echo none; fi; }

# c_assert_final [MAX_MS]: the end state: one leader, the VIP on it alone, the client answered by
# it; waits at most MAX_MS (default 3000) for it.
# shellcheck disable=SC2120 # no caller needs another bound so far
c_assert_final() {
	local ms leader
	ms=$(t_wait "${1:-3000}" c_converged)
	c_assert "end: exactly one leader, followed by the other, the VIP on it alone (${ms} ms)" c_converged
	leader=$(c_the_leader)
	c_assert "end: the client is answered by the leader ($leader)" c_ask_is "$leader"
}

# --- watcher ----------------------------------------------------------------------------------
c_watch_start() {
	local py
	py=$(c_tool)
	C_WATCH_LOG=$T_DIR/watch.out # not *.log: the integration lib prints those on failure
	"$C_PY" "$py" watch "$C_WATCH_LOG" "$(t_ns client)" "$C_VIP" "$C_ECHO_PORT" "$C_PROBE_MS" \
		"$(t_ns lb1)" "$(t_ns lb2)" 2>>"$T_DIR/watch-err.log" &
	C_WATCH_PID=$!
	T_PIDS+=($!)
	t_wait 3000 grep -q '^R ' "$C_WATCH_LOG" >/dev/null ||
		{ c_fail "watcher: no reply from the VIP"; c_finish; }
}
c_watch_stop() {
	[ -n "${C_WATCH_PID:-}" ] || return 0
	kill -TERM "$C_WATCH_PID" 2>/dev/null
	wait "$C_WATCH_PID" 2>/dev/null
	C_WATCH_PID=
}
# c_analyze FROM TO: W_OUTAGE (longest gap between replies with lost probes in it) W_OUTAGE_AT
# W_GAP_RAW (longest gap between replies) W_HANDOVER_GAP (the outage across a change of node)
# W_DOUBLE W_DOUBLE_MAX W_NONE_MAX (longest time nobody held it) W_HOLDERS W_HOLDER (0 = lb1,
# 1 = lb2) W_LAST_CHANGE W_TAKES W_REPLIES W_LAST_NAME W_STALL_MAX for the window, and the
# first time each node took (W_ON0 lb1, W_ON1 lb2) and released (W_OFF0, W_OFF1) it, or -1.
c_analyze() {
	local out
	out=$("$C_PY" "$(c_tool)" analyze "$C_WATCH_LOG" "$1" "$2" 2 "$T_DIR/lb1.log" "$T_DIR/lb2.log") || return 1
	eval "$out"
	C_ANALYZED="$1 $2"
}
# c_roles FROM TO: R_OVERLAP (ms with two leaders by the logs), R_CLAIMS, R_LEADERS (c_analyze
# sets them too: nothing to do when it just ran for the same window).
c_roles() {
	local out
	[ "${C_ANALYZED:-}" = "$1 $2" ] && return 0
	out=$("$C_PY" "$(c_tool)" roles "$1" "$2" "$T_DIR/lb1.log" "$T_DIR/lb2.log") || return 1
	eval "$out"
}
# The REGEX goes to awk through the environment: "-v re=..." runs escape processing first, and
# gawk turns "\(" into "(" (an unmatched parenthesis) where mawk keeps it.
# c_log_count NODE REGEX FROM TO: log lines of NODE matching REGEX within [FROM, TO].
c_log_count() {
	C_RE="$2" awk -v from="$3" -v to="$4" '
		$0 ~ ENVIRON["C_RE"] { t = ((substr($0, 1, 2) * 60 + substr($0, 4, 2)) * 60 + substr($0, 7, 2)) * 1000 + substr($0, 10, 3)
			if (t >= from && t <= to) c++ }
		END { print c + 0 }' "$T_DIR/$1.log"
}
# c_faults FROM TO: how many times lb1 and lb2 entered fault within [FROM, TO], by their logs.
c_faults() {
	echo $(($(c_log_count lb1 'role [a-z]+ -> fault' "$1" "$2") + $(c_log_count lb2 'role [a-z]+ -> fault' "$1" "$2")))
}
# c_log_first NODE REGEX FROM: time of NODE's first log line matching REGEX at or after FROM
# (-1 and status 1 when there is none).
c_log_first() {
	C_RE="$2" awk -v from="$3" '
		$0 ~ ENVIRON["C_RE"] { t = ((substr($0, 1, 2) * 60 + substr($0, 4, 2)) * 60 + substr($0, 7, 2)) * 1000 + substr($0, 10, 3)
			if (t >= from) { print t; found = 1; exit } }
		END { if (!found) { print -1; exit 1 } }' "$T_DIR/$1.log"
}
# Following a daemon's log with shell builtins only (no process per poll, for tight loops):
# c_nap SECONDS sleeps by a read timeout on a private FIFO; c_follow_open NODE opens NODE's
# log at its current end; c_follow_wait NODE REGEX MS reads NODE's new lines until one
# matches REGEX (bash =~) and sets C_FOLLOW_T to its time (ms of day) and C_FOLLOW_LINE, or
# returns 1 after MS.
declare -A C_FOLLOW_FD C_FOLLOW_PART
c_nap() {
	if [ -z "${C_NAP_FD:-}" ]; then
		mkfifo "$T_DIR/nap.fifo" && exec {C_NAP_FD}<>"$T_DIR/nap.fifo"
	fi
	read -r -t "$1" -u "$C_NAP_FD" _ 2>/dev/null
	return 0
}
c_follow_open() {
	local fd line
	exec {fd}<"$T_DIR/$1.log"
	while IFS= read -r -u "$fd" line; do :; done
	C_FOLLOW_FD[$1]=$fd
	C_FOLLOW_PART[$1]=$line
}
c_follow_wait() {
	local node=$1 re=$2 limit=$3 fd=${C_FOLLOW_FD[$1]} line start now
	c_now_v start
	while :; do
		while :; do
			if IFS= read -r -u "$fd" line; then
				line=${C_FOLLOW_PART[$node]}$line
				C_FOLLOW_PART[$node]=
			else
				C_FOLLOW_PART[$node]+=$line # a line still being written
				break
			fi
			if [[ $line =~ $re ]] && [[ $line =~ ^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} ]]; then
				C_FOLLOW_LINE=$line
				C_FOLLOW_T=$(((10#${line:0:2} * 3600 + 10#${line:3:2} * 60 + 10#${line:6:2}) * 1000 + 10#${line:9:3}))
				return 0
			fi
		done
		c_now_v now
		[ $((now - start)) -ge "$limit" ] && return 1
		c_nap 0.01
	done
}

# c_stalls: notes measurement stalls (a loaded machine) of the last c_analyze, if any.
c_stalls() {
	[ "${W_STALL_MAX:-0}" -gt 50 ] && c_note "watcher loop stalled up to ${W_STALL_MAX} ms (loaded machine)"
	[ "${W_GAP_RAW:-0}" -gt $((${W_OUTAGE:-0} + 50)) ] &&
		c_note "longest gap between replies ${W_GAP_RAW} ms, without a lost probe (a stall, not an outage)"
	return 0
}

# c_note_double FROM TO WHAT: c_analyze FROM TO, c_stalls, and a note of how long the VIP was on
# both nodes during WHAT (expected there, without a witness).
c_note_double() {
	c_analyze "$1" "$2"
	c_stalls
	c_note "two VIP holders during $3 for ${W_DOUBLE} ms (expected without a witness)"
}

# c_settle [MAX_MS] [SETTLE_S]: waits (at most MAX_MS, default 3000) until c_converged, then
# SETTLE_S seconds more (default 1), and prints that time (ms of day): a window's end.
c_settle() {
	t_wait "${1:-3000}" c_converged >/dev/null
	sleep "${2:-1}"
	c_now
}

# c_first_reply NAME FROM: the time of the client's first reply from NAME at or after FROM (the
# watcher's log), -1 if none.
c_first_reply() {
	local t
	t=$(awk -v t="$2" -v w="$1" '$1 == "R" && $2 >= t && $3 == w { print int($2); exit }' "$C_WATCH_LOG")
	echo "${t:--1}"
}

# c_assert_healed HEAL HEALED END: a partition was healed (its rules removed between HEAL and
# HEALED): the client's outage from HEAL to END at most two intervals; from HEALED, one VIP
# holder within two intervals and at most two intervals with two leaders by the logs. Sets
# C_WINNER (the holder at END) and leaves c_analyze's W_* of [HEALED, END] (W_DOUBLE...).
c_assert_healed() {
	c_analyze "$1" "$3"
	c_assert_le "after healing: client outage (ms)" "$W_OUTAGE" $((2 * C_IV))
	c_analyze "$2" "$3"
	c_assert_eq "after healing: one VIP holder" "$W_HOLDERS" 1
	c_assert_le "after healing: one holder within two intervals (ms)" $((W_LAST_CHANGE - $2)) $((2 * C_IV))
	# shellcheck disable=SC2034 # for the scenario
	C_WINNER=$([ "$W_HOLDER" = 0 ] && echo lb1 || echo lb2)
	c_roles "$2" "$3"
	c_assert_le "after healing: two leaders by the logs (ms)" "$R_OVERLAP" $((2 * C_IV))
}

# c_finish_run FROM TO DOUBLE: the scenario's common end: over [FROM, TO] the client outage is at
# most C_FAILOVER_MS + 50; the end state (c_assert_final); the row with that outage, the window's
# leader claims and DOUBLE (ms with two VIP holders); c_finish.
c_finish_run() {
	local outage
	c_analyze "$1" "$2"
	c_assert_le "client outage" "$W_OUTAGE" $((C_FAILOVER_MS + 50))
	outage=$W_OUTAGE
	c_roles "$1" "$2"
	c_assert_final
	c_row_values "$outage" "$R_CLAIMS" "$3"
	c_finish
}

# --- named (in svc, 10.77.0.15:53, zone local.mylab.io, TSIG key kcwatch-key) -----------------
# named itself is the integration lib's: t_named_start [TIMEOUT_MS], t_named_stop, t_dig.
c_named_setup() { t_named_setup svc local.mylab.io "keycloak     IN A    192.0.2.1"; }
c_dig() { # NAME TYPE: the answer of named (short form, no quotes), empty when it does not answer
	t_dig "$1" "$2" | grep -v '^;' | tr -d '"'
}
c_dns_a_is() { [ "$(c_dig keycloak.local.mylab.io A)" = "$1" ]; }
# c_named_ready: when named last said "running" (ms of day, by its log), -1 if never.
c_named_ready() {
	awk '$3 == "running" && NF == 3 { split($2, a, /[:.]/); t = ((a[1] * 60 + a[2]) * 60 + a[3]) * 1000 + a[4] }
		END { print t == "" ? -1 : t }' "$T_DIR/named.log"
}

# --- nginx TLS backends sno1 (svc:8443) and sno2 (svc:8444), Keycloak's health JSON -------------
c_pki() {
	local d=$T_DIR/pki n
	chmod 755 "$T_DIR"
	t_pki_ca "$d" ca || return 1
	for n in sno1 sno2; do t_pki_cert "$d" "$n" "keycloak-rhbk.apps.$n.local.mylab.io" || return 1; done
}
# c_nginx_conf NAME PORT: one single-process nginx per backend, so it can be stopped alone.
c_nginx_conf() {
	t_nginx_conf "$T_DIR/nginx-$1" main="master_process off;" <<-EOF2
		    server {
		        listen $(t_ip4 svc):$2 ssl;
		        server_name keycloak-rhbk.apps.$1.local.mylab.io;
		        ssl_certificate $T_DIR/pki/$1.pem;
		        ssl_certificate_key $T_DIR/pki/$1.key;
		        default_type application/json;
		        location = /health { return 200 '{"status": "UP", "checks": []}'; }
		    }
	EOF2
}
declare -A C_NGINX_PID
c_nginx_port() { [ "$1" = sno1 ] && echo 8443 || echo 8444; }
c_nginx_listening() { t_exec svc ss -Hltn "sport = :$(c_nginx_port "$1")" 2>/dev/null | grep -q .; }
c_nginx_start() { # NAME
	ip netns exec "$(t_ns svc)" nginx -p "$T_DIR/nginx-$1" -c "$T_DIR/nginx-$1/nginx.conf" \
		2>>"$T_DIR/nginx-$1.log" &
	C_NGINX_PID[$1]=$!
	T_PIDS+=($!)
	t_wait 3000 c_nginx_listening "$1" >/dev/null
}
c_nginx_stop() { # NAME: fast shutdown (SIGTERM), connections refused from then on
	local p=${C_NGINX_PID[$1]:-} n
	[ -n "$p" ] || return 0
	kill -TERM "$p" 2>/dev/null
	for n in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.02; done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	C_NGINX_PID[$1]=
}
c_backends_up() {
	c_pki || { c_fail "openssl: test certificates"; c_finish; }
	c_nginx_conf sno1 8443
	c_nginx_conf sno2 8444
	c_nginx_start sno1 && c_nginx_start sno2 || { c_fail "nginx did not start"; c_finish; }
}
# c_active NODE: the active backend NODE applies (no jq).
c_active() {
	t_json "$1" | sed -n 's/^  "active_backend": "\([^"]*\)",*$/\1/p'
}
c_active_is() { [ "$(c_active "$1")" = "$2" ]; }
