#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_flood.sh: junk datagrams cannot starve heartbeats. Two nodes at a 100 ms interval
# (dead-after 3); from a third namespace, hbflood sends KCW_FLOOD_RATE (default 100,000)
# datagrams/s of random bytes to the follower's heartbeat port for KCW_FLOOD_SECONDS (default 10).
# Asserts: no leader change on either node, no VIP added on the follower (netlink events), the
# follower's drop counters (unknown_source: dropped before any HMAC work; rcvbuf: dropped by the
# kernel, SO_RXQ_OVFL) account for every datagram the flooder sent, and the metrics say the same.
# Prints the CPU kcwatchd used during the flood.
. "$(dirname "$0")/lib.sh"
t_require_root
HBFLOOD=$KCW_BUILD/tests/integration/hbflood
[ -x "$HBFLOOD" ] || { echo "build first ($HBFLOOD is missing)"; exit 1; }

rate=${KCW_FLOOD_RATE:-100000}
secs=${KCW_FLOOD_SECONDS:-10}
VIP=10.77.0.100
PORT=7112
t_lan lb1 lb2 junk
t_keyfile "$T_DIR/cluster.key"
conf="$T_DIR/kcwatch.conf"
t_conf_cluster "$conf" port=$PORT interval=100ms dead-after=3 preempt=no
t_conf_vip "$conf" keycloak "$VIP/24"
printf '\n[metrics]\nlisten = 127.0.0.1:9469\n' >>"$conf"

role_is() { [ "$(t_role "$1")" = "$2" ]; }
settled() { role_is lb1 leader && role_is lb2 follower && t_holds lb1 "$VIP" && ! t_holds lb2 "$VIP"; }
drops() { t_field lb2 "[.heartbeat.dropped.unknown_source, .heartbeat.dropped.rcvbuf] | add"; }

t_start lb1 "$conf"
t_wait 3000 t_holds lb1 "$VIP" >/dev/null
t_start lb2 "$conf"
ms=$(t_wait 5000 settled); rc=$?
t_check "lb1 leads, lb2 follows (${ms} ms)" [ $rc -eq 0 ]
sleep 0.5
ch1=$(t_field lb1 .leader_changes)
ch2=$(t_field lb2 .leader_changes)
d0=$(drops)
rx0=$(t_field lb2 .heartbeat.received)
TZ=UTC ip -n "$(t_ns lb2)" monitor address dev eth0 >"$T_DIR/mon-lb2" 2>&1 &
mon=$!
T_PIDS+=($mon)
sleep 0.3

cpu0=$(t_cpu_ns "${T_NODE_PID[lb2]}")
t0=$(t_now)
out=$(timeout $((secs + 10)) ip netns exec "$(t_ns junk)" "$HBFLOOD" "$(t_ip4 lb2)" "$PORT" "$rate" "$secs")
t1=$(t_now)
cpu1=$(t_cpu_ns "${T_NODE_PID[lb2]}")
sent=$(awk '{print $2}' <<<"$out")
t_log "hbflood: $out in $((t1 - t0)) ms ($((${sent:-0} * 1000 / (t1 - t0 + 1))) datagrams/s)"
t_check "the flooder sent at least half its rate ($sent of $((rate * secs)))" [ "${sent:-0}" -ge $((rate * secs / 2)) ]
sleep 0.5 # the daemon reads what is left
t_kill TERM "$mon"
wait "$mon" 2>/dev/null
t_forget "$mon"

js=$(t_json lb2)
d1=$(jq '[.heartbeat.dropped.unknown_source, .heartbeat.dropped.rcvbuf] | add' <<<"$js")
us=$(jq '.heartbeat.dropped.unknown_source' <<<"$js")
ov=$(jq '.heartbeat.dropped.rcvbuf' <<<"$js")
rx1=$(jq '.heartbeat.received' <<<"$js")
t_log "lb2 dropped: unknown_source $us, rcvbuf (kernel) $ov; heartbeats received during the flood $((rx1 - rx0))"
t_eq "the drop counters account for the flood (unknown_source + rcvbuf = sent)" "$((d1 - d0))" "$sent"
t_eq "no leader change on lb1" "$(t_field lb1 .leader_changes)" "$ch1"
t_eq "no leader change on lb2" "$(jq .leader_changes <<<"$js")" "$ch2"
t_eq "no VIP added on lb2 (netlink events)" "$(grep -v Deleted "$T_DIR/mon-lb2" | grep -c "inet $VIP/")" 0
t_check "lb1 still leads" settled
t_check "lb2 kept hearing lb1 (>= $((secs * 10 / 2)) heartbeats in $secs s)" [ $((rx1 - rx0)) -ge $((secs * 10 / 2)) ]
m=$(t_exec lb2 curl -s --max-time 5 http://127.0.0.1:9469/metrics)
t_check "metrics: unknown_source in kcwatch_heartbeats_dropped_total" \
	grep -qx "kcwatch_heartbeats_dropped_total{reason=\"unknown_source\"} $us" <<<"$m"
t_check "metrics: rcvbuf in kcwatch_heartbeats_dropped_total" \
	grep -qx "kcwatch_heartbeats_dropped_total{reason=\"rcvbuf\"} $ov" <<<"$m"
cpu_pm=$(( (cpu1 - cpu0) / 1000 / (t1 - t0 + 1) )) # per mille of one core
t_log "kcwatchd (lb2) CPU during the flood: $((cpu_pm / 10)).$((cpu_pm % 10)) % of one core ($(((cpu1 - cpu0) / 1000000)) ms in $((t1 - t0)) ms)"

t_done
