#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_cluster.sh: two kcwatchd nodes in namespaces: election, failover, handover, preemption,
# forged heartbeats, kcwatchctl and kcwatchd -t.
. "$(dirname "$0")/lib.sh"
t_require_root

t_lan lb1 lb2 lb3
key="$T_DIR/cluster.key"
t_keyfile "$key"

write_conf() { # FILE PREEMPT
	# lb3 runs no daemon: the tests speak for it with hbforge
	t_conf_cluster "$1" port=7112 preempt="$2" preempt-delay=0s lb1:150 lb2:100 lb3:50
}
conf="$T_DIR/kcwatch.conf"
conf_nopreempt="$T_DIR/kcwatch-nopreempt.conf"
write_conf "$conf" yes
write_conf "$conf_nopreempt" no

role_is() { [ "$(t_role "$1")" = "$2" ]; }
leader_of_is() { [ "$(t_field "$1" .leader)" = "$2" ]; }
one_leader_lb1() { role_is lb1 leader && role_is lb2 follower && leader_of_is lb2 lb1; }

# --- configuration check ----------------------------------------------------------------------
out=$(t_exec lb1 "$KCWATCHD" -t -c "$conf" 2>&1); rc=$?
t_eq "kcwatchd -t accepts a valid config" "$rc" 0
sed 's/^priority = 150/priority = 300/' "$conf" >"$T_DIR/bad.conf"
out=$(t_exec lb1 "$KCWATCHD" -t -c "$T_DIR/bad.conf" 2>&1); rc=$?
t_eq "kcwatchd -t rejects priority 300 (exit 1)" "$rc" 1
t_check "the error names file:line and the reason" \
	grep -q "$T_DIR/bad.conf:12: priority: 300 is out of range (1..254)" <<<"$out"

# --- election -------------------------------------------------------------------------------
t_start lb1 "$conf"
t_start lb2 "$conf"
ms=$(t_wait 2000 one_leader_lb1); rc=$?
t_check "one leader (lb1, the higher priority) within 2 s (took ${ms} ms)" [ $rc -eq 0 ]
term1=$(t_field lb1 .term)
t_eq "lb2 sees the same term" "$(t_field lb2 .term)" "$term1"
sleep 1
t_eq "still exactly one leader a second later" "$(t_role lb1)/$(t_role lb2)" "leader/follower"

# --- kcwatchctl ------------------------------------------------------------------------------
js=$(t_json lb2)
t_eq "status --json: node" "$(jq -r .node <<<"$js")" lb2
t_eq "status --json: role" "$(jq -r .role <<<"$js")" follower
t_eq "status --json: leader" "$(jq -r .leader <<<"$js")" lb1
t_eq "status --json: priority" "$(jq -r .priority <<<"$js")" 100
t_eq "status --json: peers[0].node" "$(jq -r '.peers[0].node' <<<"$js")" lb1
t_eq "status --json: peers[0].address" "$(jq -r '.peers[0].address' <<<"$js")" "$(t_ip4 lb1)"
t_eq "status --json: peers[0].role" "$(jq -r '.peers[0].role' <<<"$js")" leader
t_eq "status --json: peers[0].priority" "$(jq -r '.peers[0].priority' <<<"$js")" 150
t_check "status --json: peers[0].last_seen_ms below one interval" \
	[ "$(jq -r '.peers[0].last_seen_ms' <<<"$js")" -lt 400 ]
txt=$(t_ctl lb1 status)
t_check "status table shows role and leader" grep -qE '^role +leader' <<<"$txt"
t_check "status table lists the peer lb2 as follower" grep -qE '^lb2 +10\.77\.0\.12 +follower +100' <<<"$txt"
out=$("$KCWATCHCTL" -s "$T_DIR/nobody.sock" status 2>&1); rc=$?
t_eq "kcwatchctl exits 3 when the daemon is unreachable" "$rc" 3
t_check "and says so" grep -q "cannot reach kcwatchd at $T_DIR/nobody.sock" <<<"$out"

# --- forged heartbeats change nothing ---------------------------------------------------------
auth0=$(t_field lb1 .heartbeat.dropped.auth)
t_exec lb2 "$HBFORGE" -K -d "$(t_ip4 lb1):7112" -b "$(t_ip4 lb2)" -c keycloak -n lb2 -r 2 \
	-t 999 -p 254 -i $(( $(date +%s%3N) << 16 )) -x 20
# right key, wrong source address (lb2 impersonated from lb1's... the switch namespace has none:
# send from lb2's namespace but claim to be a node name that is not in the config).
t_exec lb2 "$HBFORGE" -k "$key" -d "$(t_ip4 lb1):7112" -b "$(t_ip4 lb2)" -c keycloak -n lb9 -r 2 \
	-t 999 -p 254 -x 5
t_exec lb2 "$HBFORGE" -k "$key" -d "$(t_ip4 lb1):7112" -b "$(t_ip4 lb2)" -c other -n lb2 -r 2 \
	-t 999 -p 254 -x 5
sleep 0.5
auth1=$(t_field lb1 .heartbeat.dropped.auth)
t_eq "20 wrong-key heartbeats counted as auth drops" "$((auth1 - auth0))" 20
t_check "unknown node counted" [ "$(t_field lb1 .heartbeat.dropped.unknown_node)" -ge 5 ]
t_check "other cluster counted" [ "$(t_field lb1 .heartbeat.dropped.cluster)" -ge 5 ]
t_eq "lb1 still leads with the same term" "$(t_role lb1)/$(t_field lb1 .term)" "leader/$term1"
# a replay: a validly signed datagram sent three times is accepted once
rp0=$(t_field lb1 .heartbeat.dropped.replay)
t_exec lb3 "$HBFORGE" -k "$key" -d "$(t_ip4 lb1):7112" -b "$(t_ip4 lb3)" -c keycloak -n lb3 -r 1 \
	-t "$term1" -p 50 -i 1000 -s 5 -x 3 -R
sleep 0.3
t_eq "a datagram sent three times: two dropped as replays" \
	"$(( $(t_field lb1 .heartbeat.dropped.replay) - rp0 ))" 2
t_eq "lb3's one accepted heartbeat is shown" "$(t_field lb1 '.peers[] | select(.node == "lb3") | .received')" 1
t_eq "lb1 still leads" "$(t_role lb1)" leader

# --- kill -9 of the leader --------------------------------------------------------------------
t0=$(t_ms_of_day)
t_stop lb1 KILL
t_wait 3000 role_is lb2 leader >/dev/null; rc=$?
ms=$(( $(t_log_ms lb2 'role follower -> leader') - t0 ))
t_check "after kill -9 of lb1, lb2 leads within dead-after x interval + 300 ms (${ms} ms)" \
	[ $rc -eq 0 -a "$ms" -le 900 ]
term2=$(t_field lb2 .term)
t_check "the new term is above the old one ($term2 > $term1)" [ "$term2" -gt "$term1" ]

# --- the higher-priority node returns and preempts ---------------------------------------------
t_start lb1 "$conf"
ms=$(t_wait 3000 one_leader_lb1); rc=$?
t_check "restarted lb1 preempts (${ms} ms)" [ $rc -eq 0 ]
term3=$(t_field lb1 .term)
t_check "with a term above lb2's ($term3 > $term2)" [ "$term3" -gt "$term2" ]
t_check "lb2 logged its step-down" grep -q "role leader -> follower" "$T_DIR/lb2.log"

# --- step-down, and at once step-down again ----------------------------------------------------
# The node that stepped down says it no longer resigns as soon as it hears the new leader, so a
# second step-down right away has a node to hand over to (it waited up to an interval before).
out=$(t_ctl lb1 step-down 2>&1); rc=$?
t_check "step-down of lb1 is accepted (exit $rc: $out)" [ $rc -eq 0 ]
ms=$(t_wait 2000 role_is lb2 leader); rc=$?
t_check "lb2 leads after the step-down (${ms} ms)" [ $rc -eq 0 ]
out=$(t_ctl lb2 step-down 2>&1); rc=$?
t_check "step-down of lb2 right away is accepted too (exit $rc: $out)" [ $rc -eq 0 ]
ms=$(t_wait 2000 one_leader_lb1); rc=$?
t_check "lb1 leads again (${ms} ms)" [ $rc -eq 0 ]

# --- SIGTERM: resign and instant handover ----------------------------------------------------
t0=$(t_ms_of_day)
kill -TERM "${T_NODE_PID[lb1]}"
t_wait 2000 role_is lb2 leader >/dev/null; rc=$?
ms=$(( $(t_log_ms lb2 'role follower -> leader') - t0 ))
t_check "after SIGTERM of lb1, lb2 leads within 100 ms (${ms} ms)" [ $rc -eq 0 -a "$ms" -le 100 ]
t_stop lb1

# --- preempt = no -----------------------------------------------------------------------------
t_stop lb2
t_start lb2 "$conf_nopreempt"
t_wait 3000 role_is lb2 leader >/dev/null
t_start lb1 "$conf_nopreempt"
t_wait 3000 leader_of_is lb1 lb2 >/dev/null
sleep 2
t_eq "with preempt = no the returning lb1 stays follower" "$(t_role lb1)/$(t_role lb2)" "follower/leader"
t_stop lb2 KILL
ms=$(t_wait 3000 role_is lb1 leader); rc=$?
t_check "but takes over when lb2 dies (${ms} ms)" [ $rc -eq 0 ]

t_done
