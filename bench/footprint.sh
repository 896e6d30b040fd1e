#!/usr/bin/env bash
# bench/footprint.sh: memory (PSS, RSS) and idle CPU of a two-node kcwatchd cluster, next to
# keepalived (VRRPv3, unicast peers) with the same interval on the same namespace topology.
#   bench/footprint.sh [SECONDS]     (default 20 s of idle measurement per run)
# CPU time comes from /proc/PID/task/*/schedstat (nanoseconds), so a process that uses a few
# milliseconds a minute is still measured, not rounded to clock ticks.
set -euo pipefail
secs=${1:-20}
top=$(cd "$(dirname "$0")/.." && pwd)
export KCW_TOP=$top KCW_BUILD=${KCW_BUILD:-$top/build}
. "$top/tests/integration/lib.sh"
t_require_root
[ -x "$KCWATCHD" ] || { echo "build first: ./tests/run.sh or make -C build" >&2; exit 1; }
command -v keepalived >/dev/null || { echo "keepalived is not installed (apt-get install keepalived)" >&2; exit 1; }

t_lan lb1 lb2
key="$T_DIR/cluster.key"
t_keyfile "$key"

cpu_ns() { # PID...: CPU nanoseconds of all threads of all PIDs
	local total=0 p t
	for p in "$@"; do
		for t in /proc/"$p"/task/*/schedstat; do
			[ -r "$t" ] && total=$((total + $(cut -d' ' -f1 "$t")))
		done
	done
	echo "$total"
}
mem_kib() { # FIELD PID...: sum of Pss or Rss (kB) from smaps_rollup
	local f=$1 total=0 p; shift
	for p in "$@"; do
		total=$((total + $(awk -v f="$f:" '$1 == f {print $2}' /proc/"$p"/smaps_rollup)))
	done
	echo "$total"
}
children_of() { pgrep -P "$1" 2>/dev/null | tr '\n' ' '; }

measure() { # LABEL PID...: prints one table row for the leader's processes
	local label=$1; shift
	local c0 c1 pss rss
	sleep 3 # settle: election done, caches warm
	c0=$(cpu_ns "$@")
	sleep "$secs"
	c1=$(cpu_ns "$@")
	pss=$(mem_kib Pss "$@")
	rss=$(mem_kib Rss "$@")
	printf '%-34s %9.2f %9.2f %10.4f\n' "$label" "$(echo "$pss/1024" | bc -l)" \
		"$(echo "$rss/1024" | bc -l)" "$(echo "($c1-$c0)/($secs*10^7)" | bc -l)"
}

kcw_conf() { # INTERVAL
	t_conf_cluster "$T_DIR/kcw.conf" name=bench interval="$1"
	t_conf_vip "$T_DIR/kcw.conf" keycloak 10.77.0.100/24 garp-refresh=0
}

ka_conf() { t_keepalived_conf "$@" 10.77.0.100/24; } # NODE PRIO PEER INTERVAL_S

run_kcwatch() { # INTERVAL
	kcw_conf "$1"
	t_start lb1 "$T_DIR/kcw.conf"
	t_start lb2 "$T_DIR/kcw.conf"
	t_wait 5000 bash -c "[ \"\$('$KCWATCHCTL' -s '$T_DIR/lb1.sock' status --json | jq -r .role)\" = leader ]" >/dev/null
	measure "kcwatchd leader, interval $1" "${T_NODE_PID[lb1]}"
	measure "kcwatchd follower, interval $1" "${T_NODE_PID[lb2]}"
	t_stop lb1; t_stop lb2
}

run_keepalived() { # INTERVAL_S LABEL
	local n p ns pids=()
	ka_conf lb1 150 lb2 "$1"
	ka_conf lb2 100 lb1 "$1"
	for n in lb1 lb2; do
		# ip netns exec itself in the background ("t_exec ... &" would background a subshell)
		ns=$(t_ns "$n")
		ip netns exec "$ns" keepalived -n -l -D --vrrp -f "$T_DIR/ka-$n.conf" -p "$T_DIR/ka-$n.pid" \
			-r "$T_DIR/ka-$n-vrrp.pid" >"$T_DIR/ka-$n.log" 2>&1 &
		pids+=($!); T_PIDS+=($!)
	done
	t_wait 10000 bash -c "ip -n $(t_ns lb1) -4 addr show dev eth0 | grep -q 10.77.0.100" >/dev/null ||
		echo "# keepalived did not take the VIP" >&2
	p="${pids[0]} $(children_of "${pids[0]}")"
	# shellcheck disable=SC2086
	measure "keepalived master, advert_int $2" $p
	p="${pids[1]} $(children_of "${pids[1]}")"
	# shellcheck disable=SC2086
	measure "keepalived backup, advert_int $2" $p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	ip -n "$(t_ns lb1)" addr del 10.77.0.100/24 dev eth0 2>/dev/null || true
}

printf '%-34s %9s %9s %10s\n' "process (idle, ${secs} s)" "PSS MiB" "RSS MiB" "CPU %"
run_kcwatch 1s
run_kcwatch 10ms
run_keepalived 1 1s
run_keepalived 0.01 10ms
