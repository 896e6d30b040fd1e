#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/etcd.sh: failover time of the etcd coordinator next to the heartbeat coordinator, on
# the same namespaces (lb1 priority 150, lb2 priority 100, a client, a 3-member etcd cluster;
# VIP 10.77.0.100/24 on eth0). Both run heartbeats every 200 ms with dead-after 3 (a 600 ms dead
# interval); the etcd coordinator uses lease-ttl 2s (the shortest kcwatch accepts; etcd runs
# with --election-timeout 500). Per trial (lb1 leading for a second first):
#   crash     SIGKILL of lb1's kcwatchd (the VIP stays on lb1, as after a daemon crash)
#   graceful  SIGTERM of lb1's kcwatchd
# measured from just before the signal to the first reply from lb2 to a UDP datagram the
# client sends to the VIP every 5 ms (wall clock, same host; the prober runs before the signal). lb1 is restarted between trials
# and takes the VIP back (preempt) before the next one.
#   bench/etcd.sh [TRIALS]     (default 7 per coordinator and event)
set -uo pipefail
trials=${1:-7}
case $trials in '' | *[!0-9]* | 0) echo "usage: $0 [TRIALS]" >&2; exit 2 ;; esac
top=$(cd "$(dirname "$0")/.." && pwd)
export KCW_TOP=$top KCW_BUILD=${KCW_BUILD:-$top/build}
. "$top/tests/integration/lib.sh"
t_require_root
t_require_tools etcd etcdctl jq
[ -x "$KCWATCHD" ] || { echo "build first: make -C build ($KCWATCHD is missing)" >&2; exit 1; }
EDIR=$(mktemp -d "${KCW_ETCD_DIR:-/dev/shm}/kcw-etcd.XXXXXX")
trap '[ "$BASHPID" = "$$" ] && { t_cleanup; rm -rf "$EDIR"; }' EXIT

VIP=10.77.0.100
PORT=7777
t_lan lb1 lb2 client e1 e2 e3
t_keyfile "$T_DIR/cluster.key"
PY=$(t_tool_py)
t_echo lb1 "$PORT"
t_echo lb2 "$PORT"
say() { printf '# %s\n' "$*" >&2; }

cluster=""
for m in e1 e2 e3; do cluster="$cluster${cluster:+,}$m=http://$(t_ip4 $m):2380"; done
for m in e1 e2 e3; do
	ip=$(t_ip4 $m)
	ip netns exec "$(t_ns $m)" etcd --name "$m" --data-dir "$EDIR/$m" \
		--listen-client-urls "http://$ip:2379" --advertise-client-urls "http://$ip:2379" \
		--listen-peer-urls "http://$ip:2380" --initial-advertise-peer-urls "http://$ip:2380" \
		--initial-cluster "$cluster" --initial-cluster-token "$T_ID" \
		--heartbeat-interval 50 --election-timeout 500 --logger zap --log-level warn \
		>>"$T_DIR/etcd-$m.log" 2>&1 &
	T_PIDS+=($!)
	t_execd $!
done
EPS="http://$(t_ip4 e1):2379, http://$(t_ip4 e2):2379, http://$(t_ip4 e3):2379"
t_wait 15000 t_exec client etcdctl --endpoints "$(echo "$EPS" | tr -d ' ')" endpoint health >/dev/null ||
	{ say "etcd did not come up"; exit 1; }

t_conf_cluster "$T_DIR/heartbeat.conf" preempt=yes lb1:150 lb2:100
t_conf_cluster "$T_DIR/etcd.conf" preempt=yes coordinator=etcd "etcd-endpoints=$EPS" lease-ttl=2s \
	lb1:150 lb2:100
for c in heartbeat etcd; do t_conf_vip "$T_DIR/$c.conf" kc "$VIP/24"; done

alone() { t_holds "$1" "$VIP" && ! t_holds "$2" "$VIP"; }
answers() { t_exec client "$T_PY" "$PY" ask "$VIP" "$PORT" 200 | grep -qx "$1"; }
ready() { alone lb1 lb2 && answers lb1; }

RESULTS=$T_DIR/results
: >"$RESULTS"
for coord in heartbeat etcd; do
	conf=$T_DIR/$coord.conf
	t_start lb2 "$conf"
	t_start lb1 "$conf"
	for ev in crash graceful; do
		for i in $(seq "$trials"); do
			if ! t_wait 15000 ready >/dev/null; then
				say "$coord $ev $i: lb1 did not lead again, skipped"
				continue
			fi
			sleep 1
			sig=KILL
			[ $ev = graceful ] && sig=TERM
			# the prober runs (and hears lb1) before the signal: its start is not measured
			ip netns exec "$(t_ns client)" "$T_PY" "$PY" until "$VIP" "$PORT" lb2 12000 \
				>"$T_DIR/until.out" &
			prober=$!
			T_PIDS+=($prober)
			t_execd $prober
			sleep 0.5
			t0=$(t_now)
			t_kill "$sig" "${T_NODE_PID[lb1]}"
			wait $prober
			t_forget $prober
			out=$(cat "$T_DIR/until.out")
			t1=${out%% *}
			wait "${T_NODE_PID[lb1]}" 2>/dev/null
			t_forget "${T_NODE_PID[lb1]}"
			if [ "$t1" = none ]; then
				say "$coord $ev $i: no reply from lb2 within 10 s"
			else
				ms=$(echo "$t1 - $t0" | bc)
				echo "$coord $ev ${ms%.*}" >>"$RESULTS"
				say "$coord $ev $i: ${ms%.*} ms"
			fi
			t_start lb1 "$conf"
		done
	done
	t_stop lb1
	t_stop lb2
done

printf '%-10s %-9s %8s %8s %8s %3s\n' coordinator event median min max n
for coord in heartbeat etcd; do
	for ev in crash graceful; do
		awk -v c=$coord -v e=$ev '$1 == c && $2 == e { print $3 }' "$RESULTS" | sort -n |
			awk -v c=$coord -v e=$ev '{ v[NR] = $1 } END {
				if (NR == 0) { printf "%-10s %-9s %8s\n", c, e, "none"; exit }
				m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
				printf "%-10s %-9s %8d %8d %8d %3d\n", c, e, m, v[1], v[NR], NR }'
	done
done
