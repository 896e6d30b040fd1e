#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_statefile.sh: the node state file: incarnations grow across restarts without the wall
# clock, a node whose incarnation went backwards is heard again after a dead interval (and never
# with two VIP holders after that), a missing or corrupt file falls back with a warning, and
# maintenance survives a restart.
. "$(dirname "$0")/lib.sh"
t_require_root
t_require_tools jq

t_lan lb1 lb2
t_keyfile "$T_DIR/cluster.key"
conf="$T_DIR/kcwatch.conf"
# dead-after 8: a killed node restarts well within the dead interval, also in a slow
# (sanitizer) build, so its first heartbeats meet the replay state it left behind
t_conf_cluster "$conf" port=7112 dead-after=8 preempt=yes preempt-delay=0s lb1:150 lb2:100
t_conf_vip "$conf" vip 10.77.0.100/24
state="$T_DIR/state" # t_start's --state-dir
dead_ms=1600         # dead-after 8 x interval 200 ms
limit=$((dead_ms + 1000))

role_is() { [ "$(t_role "$1")" = "$2" ]; }
lb1_leads() { role_is lb1 leader && role_is lb2 follower && t_holds lb1 10.77.0.100 && ! t_holds lb2 10.77.0.100; }
lb2_leads() { role_is lb2 leader && t_holds lb2 10.77.0.100 && ! t_holds lb1 10.77.0.100; }
# heard_in "NEW, was OLD": from lb1's start notice to lb2's "back with a lower incarnation"
# line (both logs, ms of the day): at most dead-after x interval + 1 s
heard_in() {
	local up back re="node lb1 is back with a lower incarnation \\($1\\)"
	t_wait $((limit + 3000)) grep -qE "$re" "$T_DIR/lb2.log" >/dev/null
	up=$(t_log_ms lb1 'notice: cluster key from')
	back=$(t_log_ms lb2 "$re")
	t_check "lb2 hears lb1 again within dead-after x interval + 1 s of its start ($((back - up)) ms <= $limit)" \
		[ "$up" -ge 0 -a "$back" -ge "$up" -a $((back - up)) -le $limit ]
}
inc_in_file() { sed -n 's/^incarnation=//p' "$state/$1.state"; }
# lb2 hears lb1: lb1 is alive in lb2's status and has sent something since COUNT
lb2_hears_lb1() { [ "$(t_field lb2 '[.peers[] | select(.node == "lb1")][0] | (.alive and .received > '"$1"')')" = true ]; }

# --- the state file: written before the first heartbeat, counted up by every start -------------
t_start lb1 "$conf" --incarnation 1000000
t_start lb2 "$conf"
ms=$(t_wait 3000 lb1_leads); rc=$?
t_check "lb1 leads and holds the VIP (${ms} ms)" [ $rc -eq 0 ]
t_eq "lb1's state file holds the incarnation given with --incarnation" "$(inc_in_file lb1)" 1000000
t_eq "and maintenance off" "$(sed -n 's/^maintenance=//p' "$state/lb1.state")" off
t_check "lb2 had no state file: it said so" grep -q "no state file $state/lb2.state yet: incarnation from the wall clock" "$T_DIR/lb2.log"
inc2=$(inc_in_file lb2)
t_check "lb2's file got its wall-clock incarnation ($inc2)" [ "${inc2:-0}" -gt $(( $(date +%s%3N - 60000) << 16 )) ]
t_eq "the state file is 0600" "$(stat -c %a "$state/lb1.state")" 600

# --- 14.1: lb1 comes back with a lower incarnation (a lost state file, a clock stepped back) ---
t_stop lb1
ms=$(t_wait 3000 lb2_leads); rc=$?
t_check "lb1 stopped: lb2 leads (${ms} ms)" [ $rc -eq 0 ]
rx=$(t_field lb2 '.peers[0].received')
t_sampler lb1 lb2 10.77.0.100 "$T_DIR/holders.txt" 2 20
# comeback INC WAS WHAT: lb1 started with --incarnation INC (start: then); lb2 hears it again
# (and says "INC, was WAS"), then lb1 (preempt) leads again, alone with the VIP.
comeback() {
	local ms rc
	start=$(t_now)
	t_start lb1 "$conf" --incarnation "$1"
	ms=$(t_wait 5000 lb2_hears_lb1 "$rx"); rc=$?
	t_check "$3: lb2 hears lb1 again (status: alive, receiving; ${ms} ms after the restart command)" [ $rc -eq 0 ]
	heard_in "$1, was $2"
	ms=$(t_wait 3000 lb1_leads); rc=$?
	t_check "$3: lb1 (preempt) leads again, alone with the VIP (${ms} ms later)" [ $rc -eq 0 ]
}
comeback 5 1000000 "lower incarnation"
# "after that": from the end of the bound on; before it, a claim racing the comeback may
# overlap with the other's for the one-way latency of a heartbeat (counted, shown)
check_holders() { # FILE
	local bound=$((start + limit)) after both early
	while [ "$(t_now)" -lt $((bound + 3000)) ]; do sleep 0.1; done
	t_sampler_stop
	after=$(awk -v t="$bound" '$1 >= t' "$1" | wc -l)
	both=$(awk -v t="$bound" '$1 >= t && $2 == 1 && $3 == 1' "$1" | wc -l)
	early=$(awk -v t="$bound" '$1 < t && $2 == 1 && $3 == 1' "$1" | wc -l)
	t_log "samples with the VIP on both before the bound: $early"
	t_check "the VIP sampler ran for 3 s after the bound ($after samples)" [ "$after" -gt 100 ]
	t_eq "no sample with the VIP on both nodes after the bound" "$both" 0
}
check_holders "$T_DIR/holders.txt"
t_check "lb2 logged the comeback with a lower incarnation" \
	grep -q "warning: node lb1 is back with a lower incarnation (5, was 1000000)" "$T_DIR/lb2.log"
t_eq "lb1's state file counts on from the forced one" "$(inc_in_file lb1)" 5

# --- the same within a dead interval: lb1 killed and back at once, lower again ------------------
# replay warnings are rate-limited to one per node every 10 s: let the last one age
w=$(t_log_ms lb2 'as a replay')
while [ "$w" -ge 0 ] && [ "$(t_ms_of_day)" -lt $((w + 10500)) ] && [ "$(t_ms_of_day)" -ge "$w" ]; do sleep 0.2; done
t_sampler lb1 lb2 10.77.0.100 "$T_DIR/holders2.txt" 2 20
t_stop lb1 KILL
rx=$(t_field lb2 '.peers[0].received')
comeback 3 5 "killed and restarted at once"
check_holders "$T_DIR/holders2.txt"
t_check "lb2 logged the replay drops at warning with both incarnations" \
	grep -qE "warning: dropped heartbeat from node lb1 as a replay: incarnation 3 seq [0-9]+, last accepted incarnation 5 " "$T_DIR/lb2.log"
n=$(grep -c "dropped heartbeat from node lb1 as a replay: incarnation 3 " "$T_DIR/lb2.log")
t_check "rate-limited: $n warning for the whole dead interval" [ "$n" -eq 1 ]
t_check "then the comeback" grep -q "node lb1 is back with a lower incarnation (3, was 5)" "$T_DIR/lb2.log"

# --- a restart without the flag: the counter, not the clock ------------------------------------
t_stop lb1
t_start lb1 "$conf"
ms=$(t_wait 3000 lb1_leads); rc=$?
t_check "lb1 restarted and leads (${ms} ms)" [ $rc -eq 0 ]
t_eq "its incarnation is the stored one + 1" "$(inc_in_file lb1)" 4

# --- a corrupt file: wall clock, a warning, and the file is whole again -------------------------
t_stop lb1
printf 'incarnation=12\nmaintenance=maybe\n' >"$state/lb1.state"
t_start lb1 "$conf"
ms=$(t_wait 3000 lb1_leads); rc=$?
t_check "with a corrupt state file lb1 still starts and leads (${ms} ms)" [ $rc -eq 0 ]
t_check "it warned that the file is unusable" \
	grep -q "warning: state file unusable ($state/lb1.state: corrupt (line 2" "$T_DIR/lb1.log"
inc=$(inc_in_file lb1)
t_check "and wrote a wall-clock incarnation ($inc)" [ "${inc:-0}" -gt $(( $(date +%s%3N - 60000) << 16 )) ]

# --- 16.6: maintenance survives a restart --------------------------------------------------------
out=$(t_ctl lb1 maintenance on); rc=$?
t_eq "maintenance on (exit 0): $out" "$rc" 0
ms=$(t_wait 3000 lb2_leads); rc=$?
t_check "lb2 takes over (${ms} ms)" [ $rc -eq 0 ]
t_eq "the state file says maintenance=on" "$(sed -n 's/^maintenance=//p' "$state/lb1.state")" on
t_stop lb1
t_start lb1 "$conf"
ms=$(t_wait 3000 bash -c "[ \"\$('$KCWATCHCTL' -s '$T_DIR/lb1.sock' status --json 2>/dev/null | jq -r .role)\" = follower ]"); rc=$?
t_check "restarted lb1 comes up as follower (${ms} ms)" [ $rc -eq 0 ]
t_eq "status --json: maintenance true after the restart" "$(t_field lb1 .maintenance)" true
t_check "kcwatchctl status shows it" grep -q "^maintenance  *on" <<<"$(t_ctl lb1 status)"
t_check "the log says why it does not lead" grep -q "in maintenance (kept in the state file)" "$T_DIR/lb1.log"
sleep 2 # preempt = yes, priority 150 > 100: only maintenance keeps it from leading
t_eq "2 s later lb1 still follows and lb2 holds the VIP" \
	"$(t_role lb1)/$(t_role lb2)/$(t_holds lb1 10.77.0.100 && echo held)" "follower/leader/"
t_check "lb2 holds the VIP" t_holds lb2 10.77.0.100
out=$(t_ctl lb1 maintenance off); rc=$?
t_eq "maintenance off (exit 0)" "$rc" 0
ms=$(t_wait 3000 lb1_leads); rc=$?
t_check "lb1 leads again (preempt) (${ms} ms)" [ $rc -eq 0 ]
t_eq "the state file says maintenance=off" "$(sed -n 's/^maintenance=//p' "$state/lb1.state")" off
t_eq "status --json: maintenance false" "$(t_field lb1 .maintenance)" false

# --- an unwritable state dir: a warning, the daemon still runs ----------------------------------
t_stop lb2
t_start lb2 "$conf" --state-dir "$T_DIR/nonexistent"
ms=$(t_wait 3000 bash -c "[ \"\$('$KCWATCHCTL' -s '$T_DIR/lb2.sock' status --json 2>/dev/null | jq -r .role)\" = follower ]"); rc=$?
t_check "lb2 runs without a usable state dir (${ms} ms)" [ $rc -eq 0 ]
t_check "and warns that it cannot write the state file" \
	grep -q "warning: cannot write the state file: $T_DIR/nonexistent/lb2.state" "$T_DIR/lb2.log"

t_done
