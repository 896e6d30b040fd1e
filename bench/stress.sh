#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/stress.sh: false takeovers on a loaded host, kcwatchd next to keepalived.
#   bench/stress.sh [SECONDS] [INTERVALS]   (default 90 s of load per interval; 100,50,20,10 ms)
#   STRESS_TRIALS=3    crash failovers per implementation and interval, without load (reference)
#   STRESS_HARDEN=1    also the second table: kcwatchd with [cluster] realtime = yes (SCHED_RR 1,
#                      mlockall), keepalived with vrrp_rt_priority 1 and vrrp_no_swap; 0 = only
#                      the first table (both daemons at default scheduling)
#   STRESS_LOAD="--cpu 8 --vm 2 --vm-bytes 1G --hdd 2 --hdd-bytes 64M"   stress-ng's stressors
#   STRESS_KEEP=DIR    copies the logs and raw data there
# Topology: one bridge; kcwatchd on lb1 (priority 150) and lb2 (100) with the VIP 10.77.0.100,
# keepalived 2.x (VRRPv3, unicast, state BACKUP, nopreempt) on ka1 (150) and ka2 (100) with the
# VIP 10.77.0.101. kcwatchd has preempt = no and dead-after = 3 (VRRP: 3 adverts + skew). Both
# clusters run side by side, so they share the same load at the same time.
# Per interval: all four daemons start and settle (lb1 and ka1 lead); `ip monitor address` runs
# in every namespace; stress-ng loads the host for SECONDS. A takeover is an address event that
# adds the VIP to a node that did not hold it (netlink, not log lines): with nothing failing,
# every one of them is false. Then, without load, STRESS_TRIALS crash failovers per
# implementation: SIGKILL of the leader's daemon, time until the VIP is added on the other (the
# monitor's timestamp); the killed one is restarted and rejoins as follower (no preemption).
# The namespaces, daemons, monitors and stress-ng are removed at the end (lib.sh's trap).
set -uo pipefail
secs=${1:-90}
intervals=${2:-100,50,20,10}
trials=${STRESS_TRIALS:-3}
harden=${STRESS_HARDEN:-1}
load=${STRESS_LOAD:---cpu 8 --vm 2 --vm-bytes 1G --hdd 2 --hdd-bytes 64M}
top=$(cd "$(dirname "$0")/.." && pwd)
export KCW_TOP=$top KCW_BUILD=${KCW_BUILD:-$top/build}
. "$top/tests/integration/lib.sh"
# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"
t_require_root
case $secs in '' | *[!0-9]* | 0) echo "usage: $0 [SECONDS] [INTERVALS] (SECONDS > 0)" >&2; exit 2 ;; esac
case $trials in '' | *[!0-9]*) echo "STRESS_TRIALS must be a number" >&2; exit 2 ;; esac
intervals=${intervals//,/ }
for iv in $intervals; do
	case $iv in *[!0-9]* | '') echo "INTERVALS: a comma-separated list of ms (10..60000)" >&2; exit 2 ;; esac
	[ "$iv" -ge 10 ] || { echo "INTERVALS: kcwatchd's interval is at least 10 ms" >&2; exit 2; }
done
[ -x "$KCWATCHD" ] || { echo "build first: make -C build ($KCWATCHD is missing)" >&2; exit 1; }
t_require_tools keepalived stress-ng jq

VIPK=10.77.0.100 # kcwatch
VIPA=10.77.0.101 # keepalived
t_lan lb1 lb2 ka1 ka2
t_keyfile "$T_DIR/cluster.key"
RESULTS="$T_DIR/results"
: >"$RESULTS"

# --- the daemons ----------------------------------------------------------------------------------
declare -A PID # node -> daemon PID (keepalived: its parent process)
conf() { # INTERVAL_MS HARDEN: both configurations
	local s rt=() ka=
	s=$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))
	[ "$2" = 1 ] && rt=(realtime=yes) && ka=$'\tvrrp_rt_priority 1\n\tvrrp_no_swap'
	t_conf_cluster "$T_DIR/kcw.conf" name=stress interval="$1ms" dead-after=3 preempt=no "${rt[@]}"
	t_conf_vip "$T_DIR/kcw.conf" keycloak "$VIPK/24"
	ka_conf ka1 150 ka2 "$s" "$ka"
	ka_conf ka2 100 ka1 "$s" "$ka"
}
ka_conf() { # NODE PRIORITY PEER ADVERT_S GLOBAL_EXTRA: t_keepalived_conf's instance, nopreempt
	t_keepalived_conf "$1" "$2" "$3" "$4" "$VIPA/24" nopreempt "$5"
}
start() { # NODE
	local ns
	ns=$(t_ns "$1")
	case $1 in
	lb*) # as t_start, without -d: a debug log written to a file under --hdd load is a stall
		ip netns exec "$ns" "$KCWATCHD" -c "$T_DIR/kcw.conf" -n "$1" -s "$T_DIR/$1.sock" \
			>>"$T_DIR/$1.log" 2>&1 &
		PID[$1]=$!
		T_NODE_PID[$1]=$!
		T_PIDS+=($!)
		;;
	ka*)
		rm -f "$T_DIR/ka-$1.pid" "$T_DIR/ka-$1-vrrp.pid"
		ip netns exec "$ns" keepalived -n -l -D --vrrp -f "$T_DIR/ka-$1.conf" -p "$T_DIR/ka-$1.pid" \
			-r "$T_DIR/ka-$1-vrrp.pid" >>"$T_DIR/ka-$1.log" 2>&1 &
		PID[$1]=$!
		T_PIDS+=($!)
		;;
	esac
	disown "${PID[$1]}"
	t_execd "${PID[$1]}"
}
targets() { # NODE SIGNAL: the daemon's PIDs (keepalived: SIGKILL to the parent and its VRRP child)
	local p=${PID[$1]:-0}
	mine "$p" || return 1
	echo "$p"
	[ "$2" = KILL ] && pgrep -P "$p"
	return 0
}
kill_node() { # NODE SIGNAL
	local pids
	pids=$(targets "$1" "$2") || return 1
	kill -"$2" $pids 2>/dev/null # SC2086: one word per PID
}
stop() { # NODE
	[ -n "${PID[$1]:-}" ] || return 0
	kill_node "$1" TERM
	reap "${PID[$1]}" 5
	PID[$1]=
}
vip_of() { case $1 in lb*) echo "$VIPK" ;; *) echo "$VIPA" ;; esac; }
is_follower() { [ "$(t_role "$1")" = follower ]; }
alone() { t_holds "$1" "$(vip_of "$1")" && ! t_holds "$2" "$(vip_of "$2")"; } # HOLDER OTHER
# settled A B IV: A holds the VIP alone for 3 dead intervals, B is running (max 30 s)
settled() {
	local end=$(($(t_now) + 30000))
	until alone "$1" "$2" && sleep_ms $((12 * $3)) && alone "$1" "$2"; do
		[ "$(t_now)" -lt $end ] || return 1
		sleep 0.05
	done
	case $2 in lb*) t_wait 5000 is_follower "$2" >/dev/null ;; esac
}

# --- address events -------------------------------------------------------------------------------
declare -A MON
mon_start() { # TAG: ip monitor in every namespace, timestamps in UTC
	local n
	for n in lb1 lb2 ka1 ka2; do
		TZ=UTC ip -n "$(t_ns "$n")" -ts monitor address dev eth0 >"$T_DIR/mon-$n-$1" 2>&1 &
		MON[$n]=$!
		T_PIDS+=($!)
		disown $!
	done
	sleep 0.3 # subscribed
}
mon_stop() {
	local n
	for n in lb1 lb2 ka1 ka2; do
		mine "${MON[$n]}" && kill -TERM "${MON[$n]}"
		reap "${MON[$n]}" 5
	done
}
# adds FILE VIP HELD_AT_START: additions of VIP to a node that did not hold it, one line each:
# microseconds since midnight (UTC) of the event
adds() {
	awk -v vip=" $2/" -v held="$3" 'index($0, vip) && index($0, " inet ") {
		split(substr($1, 13, 15), t, ":")
		us = int((t[1] * 3600 + t[2] * 60 + t[3]) * 1000000 + 0.5)
		if ($2 == "Deleted") { held = 0; next }
		if (!held) print us
		held = 1 }' "$1"
}
day_us() { echo $(($1 % 86400000000)); } # EPOCH_US -> since midnight UTC

# --- the load window ------------------------------------------------------------------------------
window() { # IV HARDEN
	local iv=$1 h=$2 pid k a sk sa n s
	mon_start "w$iv-$h"
	say "interval $iv ms, hardening $h: stress-ng $load for $secs s"
	mkdir -p "$T_DIR/stress"
	# shellcheck disable=SC2086 # the stressors are words
	stress-ng $load --timeout "${secs}s" --temp-path "$T_DIR/stress" -q >>"$T_DIR/stress.log" 2>&1 &
	pid=$!
	T_PIDS+=($!)
	wait "$pid"
	t_forget "$pid"
	sleep_ms $((4 * iv)) # events of the last moments
	mon_stop
	k=$(($(adds "$T_DIR/mon-lb1-w$iv-$h" "$VIPK" 1 | wc -l) + $(adds "$T_DIR/mon-lb2-w$iv-$h" "$VIPK" 0 | wc -l)))
	a=$(($(adds "$T_DIR/mon-ka1-w$iv-$h" "$VIPA" 1 | wc -l) + $(adds "$T_DIR/mon-ka2-w$iv-$h" "$VIPA" 0 | wc -l)))
	sk=0
	for n in lb1 lb2; do
		s=$(t_field "$n" '.heartbeat.loop_stalls // 0')
		sk=$((sk + ${s:-0}))
	done
	sa=$(cat "$T_DIR"/ka-ka[12].log 2>/dev/null | grep -ci 'timer expired\|delay in running')
	echo "takeovers $iv $h $k $a $sk $sa" >>"$RESULTS"
	say "  takeovers: kcwatch $k, keepalived $a (kcwatchd loop stalls $sk; keepalived timer warnings so far $sa)"
}

# --- crash failovers without load -----------------------------------------------------------------
crash() { # IMPL(lb|ka) IV HARDEN N
	local p=$1 iv=$2 h=$3 n=$4 leader other vip t0 first ms pids
	vip=$(vip_of "${p}1")
	# the leader right before the kill: on a host that is still busy after the load, the
	# roles can change once more while the trial settles (then it settles again, max 3 times)
	for _ in 1 2 3; do
		if alone "${p}1" "${p}2"; then leader=${p}1 other=${p}2; else leader=${p}2 other=${p}1; fi
		settled "$leader" "$other" "$iv" && alone "$leader" "$other" && break
	done
	alone "$leader" "$other" || say "$p: $leader does not hold the VIP alone before trial $n"
	mon_start "c$p$iv-$h-$n"
	sleep_ms $((RANDOM % iv))
	pids=$(targets "$leader" KILL) || say "$p: $leader is not running before trial $n"
	t0=${EPOCHREALTIME//[!0-9]/} # inline: a fork between the clock and the kill would count
	kill -KILL $pids 2>/dev/null # SC2086: one word per PID
	t_wait $((20 * iv + 5000)) t_holds "$other" "$vip" >/dev/null
	sleep 0.05
	mon_stop
	# the first addition after the kill (a takeover just before it, on a loaded host, is not it)
	first=$(adds "$T_DIR/mon-$other-c$p$iv-$h-$n" "$vip" 0 | awk -v t="$(day_us "$t0")" '$1 >= t' | head -1)
	if [ -n "$first" ]; then
		ms=$(( (first - $(day_us "$t0") + 500) / 1000 ))
	else
		ms=fail
	fi
	echo "crash $p $iv $h $n $ms" >>"$RESULTS"
	say "  crash $n, ${p}: $leader killed, $other holds the VIP after $ms ms"
	echo "crash-raw $p $iv $h $n $leader $other t0=$t0 first=$first" >>"$T_DIR/crash.log"
	reap "${PID[$leader]}" 5
	ip -n "$(t_ns "$leader")" addr del "$vip/24" dev eth0 2>/dev/null
	start "$leader"
	settled "$other" "$leader" "$iv" || say "$p: $leader did not rejoin as follower"
}

run() { # IV HARDEN
	local iv=$1 h=$2 n
	conf "$iv" "$h"
	start lb1
	start ka1
	t_wait 10000 t_holds lb1 "$VIPK" >/dev/null || say "lb1 does not take the VIP"
	t_wait 10000 t_holds ka1 "$VIPA" >/dev/null || say "ka1 does not take the VIP"
	start lb2
	start ka2
	settled lb1 lb2 "$iv" || say "kcwatch at $iv ms does not settle with lb1 leading"
	settled ka1 ka2 "$iv" || say "keepalived at $iv ms does not settle with ka1 leading"
	window "$iv" "$h"
	settled lb1 lb2 "$iv" >/dev/null 2>&1 || settled lb2 lb1 "$iv" >/dev/null 2>&1
	for n in $(seq "$trials"); do crash lb "$iv" "$h" "$n"; done
	for n in $(seq "$trials"); do crash ka "$iv" "$h" "$n"; done
	for n in lb1 lb2 ka1 ka2; do stop "$n"; done
	for n in lb1 lb2; do ip -n "$(t_ns "$n")" addr del "$VIPK/24" dev eth0 2>/dev/null; done
	for n in ka1 ka2; do ip -n "$(t_ns "$n")" addr del "$VIPA/24" dev eth0 2>/dev/null; done
}

modes=0
[ "$harden" = 1 ] && modes="0 1"
for h in $modes; do
	for iv in $intervals; do run "$iv" "$h"; done
done

# --- the tables -----------------------------------------------------------------------------------
median() { # IMPL IV HARDEN
	awk -v p="$1" -v v="$2" -v h="$3" '$1 == "crash" && $2 == p && $3 == v && $4 == h && $6 != "fail" { print $6 }' "$RESULTS" |
		sort -n | awk '{ a[NR] = $1 } END {
			if (NR == 0) { print "-"; exit }
			printf "%g\n", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
goal=0
for h in $modes; do
	echo
	if [ "$h" = 0 ]; then
		echo "Both daemons at default scheduling. stress-ng $load, $secs s per interval; crash failover: median of $trials, without load."
	else
		echo "Hardening on: kcwatchd realtime = yes (SCHED_RR 1, mlockall); keepalived vrrp_rt_priority 1, vrrp_no_swap. Same load."
	fi
	echo
	echo "| interval | load time | keepalived: takeovers by the backup | kcwatch: takeovers by the follower | crash failover ms keepalived / kcwatch | kcwatchd loop stalls |"
	echo "|---|---|---|---|---|---|"
	for iv in $intervals; do
		read -r _ _ _ k a sk _ <<<"$(awk -v v="$iv" -v h="$h" '$1 == "takeovers" && $2 == v && $3 == h' "$RESULTS")"
		echo "| $iv ms | $secs s | ${a:--} | ${k:--} | $(median ka "$iv" "$h") / $(median lb "$iv" "$h") | ${sk:--} |"
		# the goal holds for the default scheduling: at most keepalived's, and none at >= 50 ms
		if [ "$h" = 0 ]; then
			[ -n "${k:-}" ] && [ "$k" -le "${a:-0}" ] || goal=1
			[ "$iv" -lt 50 ] || [ "${k:-1}" -eq 0 ] || goal=1
		fi
	done
done
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${STRESS_KEEP:-}" ]; then
	mkdir -p "$STRESS_KEEP" && cp -r "$T_DIR"/. "$STRESS_KEEP"/ && echo "raw data and logs copied to $STRESS_KEEP"
fi
[ "$goal" -eq 0 ] && echo "goal met: kcwatch <= keepalived at every interval, 0 at >= 50 ms" ||
	echo "goal NOT met (see the first table)"
exit "$goal"
