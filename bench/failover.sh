#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/failover.sh: how long clients of the VIP are cut off when the leader goes, kcwatchd next
# to keepalived (VRRPv3, unicast peers), on the same namespace topology (lb1, lb2, client on one
# bridge; lb1 priority 150, lb2 priority 100; VIP 10.77.0.100/24 on eth0).
#   bench/failover.sh [TRIALS]      (default 10 trials per implementation, interval and event)
#   FAILOVER_INTERVALS="1000 100"   heartbeat / advert intervals in ms (default: 1000 and 100)
#   FAILOVER_IMPLS="kcwatch keepalived"
#   FAILOVER_RT=20                  SCHED_FIFO priority of the daemons, echo services and prober
#                                   (the bench's own shell and tools run at FIFO priority - 10);
#                                   0 = normal scheduling. On a loaded host this keeps the run
#                                   queue of other jobs out of the figures, for both daemons alike.
# A prober in the client namespace sends a UDP datagram to the VIP every 5 ms; both LBs run an
# echo service that answers with the LB's name. Per trial:
#   crash     SIGKILL of the leader's daemon process(es) (the VIP stays on lb1, as after a
#             daemon crash) -> the first reply from lb2
#   graceful  SIGTERM of the leader's daemon -> the first reply from lb2
# Times run from just before the signal to the prober's receive time (wall clock, same host).
# In the graceful case a sampler dumps the addresses of lb2, then lb1, over netlink every 1 ms
# (no process start per sample) and counts the samples where both hold the VIP.
# Between trials the killed daemon is restarted and the bench waits (bounded) until lb1 holds the
# VIP alone again and answers the client. kcwatchd runs with dead-after = 3 (VRRP's 3 adverts).
set -uo pipefail
trials=${1:-10}
intervals=${FAILOVER_INTERVALS:-1000 100}
impls=${FAILOVER_IMPLS:-kcwatch keepalived}
top=$(cd "$(dirname "$0")/.." && pwd)
export KCW_TOP=$top KCW_BUILD=${KCW_BUILD:-$top/build}
. "$top/tests/integration/lib.sh"
# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"
t_require_root
# lib.sh's EXIT trap also runs in a child forked for "cmd &" that a signal hits before it has
# exec'd (bash runs the EXIT trap on a fatal signal): stopping a daemon right after starting it
# ran the whole cleanup in that child (namespaces, processes and T_DIR gone mid-run). Only the
# main shell cleans up here; every start also waits for the exec (t_execd).
trap '[ "$BASHPID" = "$$" ] && t_cleanup' EXIT
case $trials in '' | *[!0-9]* | 0) echo "usage: $0 [TRIALS] (a positive number)" >&2; exit 2 ;; esac
rt=${FAILOVER_RT:-20}
case $rt in *[!0-9]*) echo "FAILOVER_RT must be a number (0 = off)" >&2; exit 2 ;; esac
RT=() # the prefix that runs a measured process at SCHED_FIFO $rt
if [ "$rt" -gt 0 ]; then
	if chrt -f -p $((rt > 10 ? rt - 10 : 1)) $$ >/dev/null 2>&1; then
		RT=(chrt -f "$rt")
	else
		echo "# chrt failed: running with normal scheduling" >&2
		rt=0
	fi
fi
rt_pid() { [ "$rt" -eq 0 ] || chrt -f -p "$rt" "$1" >/dev/null 2>&1; } # PID
[ -x "$KCWATCHD" ] || { echo "build first: ./tests/run.sh or make -C build ($KCWATCHD is missing)" >&2; exit 1; }
for tool in keepalived jq "$T_PY"; do
	command -v "$tool" >/dev/null || { echo "$tool is not installed (keepalived: apt-get install keepalived)" >&2; exit 1; }
done

VIP=10.77.0.100
PORT=7777
t_lan lb1 lb2 client
key="$T_DIR/cluster.key"
t_keyfile "$key"
PY=$(t_tool_py)
t_echo lb1 "$PORT"
rt_pid "${T_PIDS[-1]}"
t_echo lb2 "$PORT"
rt_pid "${T_PIDS[-1]}"
RESULTS="$T_DIR/results"
: >"$RESULTS"

# The daemons are disowned once started: bash then does not print "Killed" for every SIGKILL,
# and the scripts below only signal PIDs that mine() confirms.
now_us() { echo "${EPOCHREALTIME//[!0-9]/}"; } # wall clock in us (EPOCHREALTIME has 6 decimals)

# --- kcwatchd -------------------------------------------------------------------------------------
kcwatch_conf() { # INTERVAL_MS
	t_conf_cluster "$T_DIR/kcw.conf" name=bench interval="$1ms" preempt=yes preempt-delay=0s
	t_conf_vip "$T_DIR/kcw.conf" keycloak "$VIP/24"
}
kcwatch_setup() { kcwatch_conf "$1"; }
kcwatch_start() { # NODE
	t_start "$1" "$T_DIR/kcw.conf"
	disown "${T_NODE_PID[$1]}"
	t_execd "${T_NODE_PID[$1]}"
	rt_pid "${T_NODE_PID[$1]}"
}
kcwatch_targets() { mine "${T_NODE_PID[$1]:-0}" && echo "${T_NODE_PID[$1]}"; } # NODE SIGNAL
kcwatch_reap() { # NODE
	[ -n "${T_NODE_PID[$1]:-}" ] && reap "${T_NODE_PID[$1]}"
	T_NODE_PID[$1]=
}
# teardown IMPL PIDS: SIGTERM to the daemon of lb1 and lb2 (array PIDS, by node), then IMPL_reap
teardown() {
	local -n pids=$2
	local n
	for n in lb1 lb2; do mine "${pids[$n]:-0}" && kill -TERM "${pids[$n]}"; done
	"$1_reap" lb1
	"$1_reap" lb2
}
kcwatch_teardown() { teardown kcwatch T_NODE_PID; }

# --- keepalived (started with bench/footprint.sh's options) ---------------------------------------
declare -A KA_PID
keepalived_setup() { # INTERVAL_MS
	local s
	s=$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))
	t_keepalived_conf lb1 150 lb2 "$s" "$VIP/24"
	t_keepalived_conf lb2 100 lb1 "$s" "$VIP/24"
}
keepalived_start() { # NODE
	rm -f "$T_DIR/ka-$1.pid" "$T_DIR/ka-$1-vrrp.pid"
	local ns
	ns=$(t_ns "$1")
	# ip netns exec directly (not the t_exec function): $! is then keepalived itself
	ip netns exec "$ns" "${RT[@]}" keepalived -n -l -D --vrrp -f "$T_DIR/ka-$1.conf" -p "$T_DIR/ka-$1.pid" \
		-r "$T_DIR/ka-$1-vrrp.pid" >>"$T_DIR/ka-$1.log" 2>&1 &
	KA_PID[$1]=$!
	T_PIDS+=($!)
	disown "$!"
	t_execd "$!"
}
# keepalived_targets NODE SIGNAL: SIGKILL goes to the parent and its VRRP child, SIGTERM to the
# parent (which stops the child)
keepalived_targets() {
	local p=${KA_PID[$1]:-0}
	mine "$p" || return 1
	if [ "$2" = KILL ]; then
		echo "$p" $(pgrep -P "$p") # SC2046: one word per PID is the point
	else
		echo "$p"
	fi
}
keepalived_reap() { # NODE: waits (max 10 s) for the parent to exit, then kills it and its child
	local p=${KA_PID[$1]:-} n
	[ -n "$p" ] || return 0
	for n in $(seq 100); do mine "$p" || break; sleep 0.1; done
	# shellcheck disable=SC2046
	mine "$p" && kill -KILL $(keepalived_targets "$1" KILL) 2>/dev/null
	reap "$p"
	KA_PID[$1]=
}
keepalived_teardown() { teardown keepalived KA_PID; }

# --- the client -----------------------------------------------------------------------------------
probe_start() { # LOG: a prober for at most 120 s; PROBE_PID
	local ns
	ns=$(t_ns client)
	ip netns exec "$ns" "${RT[@]}" "$T_PY" "$PY" probe "$VIP" "$PORT" 5 120 "$1" 2>>"$T_DIR/probe.err" &
	PROBE_PID=$!
	T_PIDS+=($!)
	t_execd "$PROBE_PID"
}
probe_stop() { kill -TERM "$PROBE_PID" 2>/dev/null; wait "$PROBE_PID" 2>/dev/null; t_forget "$PROBE_PID"; }
# first_reply LOG NAME AFTER_US: the receive time (us) of the first reply from NAME after AFTER_US
first_reply() {
	[ -f "$1" ] || return 0
	awk -v n="$2" -v a="$3" '$2 == n && $1 * 1000 > a { printf "%.0f\n", $1 * 1000; exit }' "$1"
}
# wait_reply LOG NAME AFTER_US MAX_MS: polls (every 25 ms, bounded) for first_reply; prints it
wait_reply() {
	local end=$(( $(t_now) + $4 )) r
	while :; do
		r=$(first_reply "$1" "$2" "$3")
		[ -n "$r" ] && { echo "$r"; return 0; }
		[ "$(t_now)" -ge $end ] && return 1
		sleep 0.025
	done
}
lb1_alone() { t_holds lb1 "$VIP" && ! t_holds lb2 "$VIP"; }

# ready IMPL INTERVAL_MS: lb1 holds the VIP alone (stable for two intervals) and answers the client
ready() {
	local iv=$2 log="$T_DIR/ready.log" start end=$(( $(t_now) + 30000 ))
	until lb1_alone && sleep_ms $((2 * iv)) && lb1_alone; do
		[ "$(t_now)" -lt $end ] || { say "$1: lb1 does not hold the VIP alone (for two intervals) within 30 s"; return 1; }
		sleep 0.05
	done
	probe_start "$log"
	start=$(now_us)
	wait_reply "$log" lb1 "$start" 10000 >/dev/null; local rc=$?
	probe_stop
	[ $rc -eq 0 ] || say "$1: the client gets no reply from lb1 within 10 s"
	return $rc
}

# trial IMPL INTERVAL_MS KIND N: one failover; appends "IMPL IV KIND N MS BOTH SAMPLES" to RESULTS
trial() {
	local impl=$1 iv=$2 kind=$3 n=$4 sig=KILL log="$T_DIR/probe-$1-$2-$3-$4.log"
	local smp="$T_DIR/sample-$1-$2-$3-$4" t0 r ms both=- samples=- pids
	[ "$kind" = graceful ] && sig=TERM
	ready "$impl" "$iv" || { echo "$impl $iv $kind $n fail - -" >>"$RESULTS"; return 1; }
	probe_start "$log"
	wait_reply "$log" lb1 "$(now_us)" 5000 >/dev/null || say "$impl: the prober hears nothing from lb1"
	[ "$kind" = graceful ] && t_sampler lb2 lb1 "$VIP" "$smp" 1 $((30 + 10 * iv / 1000))
	sleep_ms $((RANDOM % iv)) # a random phase against the heartbeats / adverts
	pids=$("${impl}_targets" lb1 "$sig") || say "$impl on lb1 is not running before trial $n"
	t0=${EPOCHREALTIME//[!0-9]/} # inline: $(now_us) would fork between the clock and the kill
	kill -"$sig" $pids 2>/dev/null # SC2086: one word per PID
	r=$(wait_reply "$log" lb2 "$t0" $((20 * iv + 10000)))
	if [ -n "$r" ]; then
		ms=$(( (r - t0 + 500) / 1000 ))
	else
		ms=fail
		say "$impl $iv ms $kind trial $n: no reply from lb2 within $((20 * iv + 10000)) ms"
	fi
	if [ "$kind" = graceful ]; then
		sleep_ms $((2 * iv)) # the sampler goes on past the handover
		t_sampler_stop
		samples=$(wc -l <"$smp")
		both=$(awk '$2 == 1 && $3 == 1' "$smp" | wc -l)
	fi
	probe_stop
	echo "$impl $iv $kind $n $ms $both $samples" >>"$RESULTS"
	if [ "$kind" = graceful ]; then
		say "$impl, interval $iv ms, $kind $n/$trials: $ms ms ($both of $samples samples with the VIP on both)"
	else
		say "$impl, interval $iv ms, $kind $n/$trials: $ms ms"
	fi
	"${impl}_reap" lb1
	"${impl}_start" lb1
}

run() { # IMPL INTERVAL_MS
	local impl=$1 iv=$2 n kind
	say "--- $impl, interval $iv ms"
	"${impl}_setup" "$iv"
	"${impl}_start" lb1
	"${impl}_start" lb2
	if ! ready "$impl" "$iv"; then
		say "$impl does not come up: skipping its trials at $iv ms (logs: FAILOVER_KEEP=DIR keeps them)"
		for kind in crash graceful; do
			for n in $(seq "$trials"); do echo "$impl $iv $kind $n fail - -" >>"$RESULTS"; done
		done
	else
		for kind in crash graceful; do
			for n in $(seq "$trials"); do
				trial "$impl" "$iv" "$kind" "$n"
			done
		done
	fi
	"${impl}_teardown"
	ip -n "$(t_ns lb1)" addr del "$VIP/24" dev eth0 2>/dev/null
	ip -n "$(t_ns lb2)" addr del "$VIP/24" dev eth0 2>/dev/null
}

# --- the table ------------------------------------------------------------------------------------
stats() { # IMPL IV KIND: "median min max n"
	awk -v i="$1" -v v="$2" -v k="$3" '$1 == i && $2 == v && $3 == k && $5 != "fail" { print $5 }' "$RESULTS" |
		sort -n | awk '{ a[NR] = $1 } END {
			if (NR == 0) { print "- - - 0"; exit }
			m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
			printf "%g %d %d %d\n", m, a[1], a[NR], NR }'
}
both() { # IMPL IV: "both-held samples/all samples" in the graceful trials
	awk -v i="$1" -v v="$2" '$1 == i && $2 == v && $3 == "graceful" && $6 != "-" { b += $6; s += $7 }
		END { printf "%d/%d\n", b, s }' "$RESULTS"
}
cell() { # median min max n
	[ "$4" -gt 0 ] || { echo "-"; return; }
	echo "$1 ($2–$3)"
}

for iv in $intervals; do
	for impl in $impls; do
		run "$impl" "$iv"
	done
done

load=$(cut -d' ' -f1-3 /proc/loadavg)
echo
echo "Failover in ms, median (min–max) of $trials trials; $([ "$rt" -gt 0 ] && echo "daemons, echo services and prober at SCHED_FIFO $rt" || echo "normal scheduling"); load average at the end: $load"
echo
echo "| interval | event | kcwatch | keepalived | ratio kcwatch/keepalived | VIP on both (samples) kcwatch / keepalived |"
echo "| --- | --- | --- | --- | --- | --- |"
for iv in $intervals; do
	for kind in crash graceful; do
		read -r km kmin kmax kn <<<"$(stats kcwatch "$iv" "$kind")"
		read -r am amin amax an <<<"$(stats keepalived "$iv" "$kind")"
		ratio=-
		if [ "$kn" -gt 0 ] && [ "$an" -gt 0 ] && [ "$am" != 0 ]; then
			ratio=$(awk -v a="$km" -v b="$am" 'BEGIN { printf "%.2f", a / b }')
		fi
		dbl=-
		[ "$kind" = graceful ] && dbl="$(both kcwatch "$iv") / $(both keepalived "$iv")"
		echo "| $iv ms | $kind | $(cell "$km" "$kmin" "$kmax" "$kn") | $(cell "$am" "$amin" "$amax" "$an") | $ratio | $dbl |"
	done
done
nf=$(awk '$5 == "fail"' "$RESULTS" | wc -l)
[ "$nf" -eq 0 ] || { echo; echo "failed trials (no reply from lb2, or not ready): $nf"; awk '$5 == "fail"' "$RESULTS"; }
if [ -n "${FAILOVER_KEEP:-}" ]; then
	mkdir -p "$FAILOVER_KEEP" && cp -r "$T_DIR"/. "$FAILOVER_KEEP"/ && echo "raw data and logs copied to $FAILOVER_KEEP"
fi
[ "$nf" -eq 0 ]
