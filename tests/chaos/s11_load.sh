#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# s11_load.sh: host under load. stress-ng (KCW_CHAOS_LOAD, default the benchmark's "--cpu 8
# --vm 2 --vm-bytes 1G --hdd 2 --hdd-bytes 64M") loads the host for KCW_CHAOS_LOAD_S (default
# 30) seconds while lb1 leads and lb2 follows, at a KCW_CHAOS_LOAD_INTERVAL_MS (default 50) ms
# interval, dead-after 3, preempt = no. Nothing fails: every takeover would be false.
# Asserts: zero leader claims (the daemons' role lines) and zero VIP takes (the watcher's
# netlink events) during the load; lb1 holds the VIP at the end of it; the end state. The client
# outage is reported, not asserted: under this load the echo service and the prober stall too.
KCW_CHAOS_INTERVAL_MS=${KCW_CHAOS_LOAD_INTERVAL_MS:-50}
. "$(dirname "$0")/lib.sh"
c_begin load
c_require nft jq stress-ng
load=${KCW_CHAOS_LOAD:---cpu 8 --vm 2 --vm-bytes 1G --hdd 2 --hdd-bytes 64M}
secs=${KCW_CHAOS_LOAD_S:-30}

c_lan
c_conf "$T_DIR/kcwatch.conf" nopreempt
c_cluster_up "$T_DIR/kcwatch.conf"
c_watch_start
sleep 0.5

t_load=$(c_now)
mkdir -p "$T_DIR/stress"
# shellcheck disable=SC2086 # the stressors are words
stress-ng $load --timeout "${secs}s" --temp-path "$T_DIR/stress" -q >"$T_DIR/stress.out" 2>&1 &
stress=$!
T_PIDS+=($stress)
wait "$stress"
t_forget "$stress"
t_end=$(c_now)
sleep 0.5
c_watch_stop

c_analyze "$t_load" "$t_end"
c_stalls
c_roles "$t_load" "$t_end"
c_assert_eq "no leader claim in ${secs} s under load at ${C_IV} ms (role lines)" "$R_CLAIMS" 0
c_assert_eq "no VIP take in ${secs} s under load (netlink)" "$W_TAKES" 0
c_assert_eq "one VIP holder at the end, lb1 (with no take: throughout)" "$W_HOLDERS/$W_HOLDER" 1/0
c_note "client outage under load ${W_OUTAGE} ms (the prober and the echo service share the load)"
stalls() { echo "$1 $(t_field "$1" .heartbeat.loop_stalls) (longest $(t_field "$1" .heartbeat.longest_stall_ms) ms)"; }
c_note "kcwatchd woke an interval or more late: $(stalls lb1), $(stalls lb2) (heartbeat.loop_stalls)"
outage=$W_OUTAGE
double=$W_DOUBLE
c_assert_final
c_row_values "$outage" "$R_CLAIMS" "$double"
c_finish
