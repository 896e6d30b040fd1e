#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# s08_dns.sh: named is stopped for KCW_CHAOS_NAMED_DOWN_S (default 10) seconds, and one
# second into that the leader dies (kill -9 of kcwatchd and its service, as in kill9).
# [dns] target = self (the name points at the leader's own address), fenced by the term,
# fence-renew 1s, timeout 500ms; named runs in namespace svc.
#
# Asserts: the failover is not held up by the DNS server being away: lb2 claims within
# C_FAILOVER_MS and the client outage stays below C_FAILOVER_MS + 50; once named answers
# again (named's "running" line) lb2 writes the A record (its log) within the updater's
# backoff cap (5 s) + timeout + 1 s, and the record and the fence name lb2 and its term;
# then lb1 is restarted, removes its leftover VIP, preempts, and writes the record within
# 3 s of its claim; the end state.
. "$(dirname "$0")/lib.sh"
c_begin named-down
c_require nft jq named dig tsig-keygen
down_s=${KCW_CHAOS_NAMED_DOWN_S:-10}
catchup_bound=$((5000 + ${C_DNS_TIMEOUT_MS:-500} + 1000))

c_lan
c_named_setup
t_named_start 10000 || { c_fail "named did not start"; c_finish; }
c_conf "$T_DIR/kcwatch.conf" dns
c_cluster_up "$T_DIR/kcwatch.conf"
ms=$(t_wait 5000 c_dns_a_is "$(t_ip4 lb1)")
c_assert "the A record points at the leader lb1 (${ms} ms)" c_dns_a_is "$(t_ip4 lb1)"
echo "# fence: $(c_dig _kcwatch.keycloak.local.mylab.io TXT)"
c_watch_start
sleep 0.5

t_nstop=$(c_now)
t_named_stop
sleep 1
t_kill=$(c_now)
{
	kill -KILL "${T_NODE_PID[lb1]}"
	c_echo_kill lb1
	t_stop lb1 KILL
} 2>/dev/null
c_assert_claimed "lb2 claims within the failover bound while named is away (log)" "$t_kill" "$t_kill"
t_wait 1000 t_holds lb2 "$C_VIP" >/dev/null
term2=$(t_field lb2 .term)
c_sleep_until $((t_nstop + down_s * 1000))
echo "# lb2 dns while named is away: $(t_json lb2 | jq -c .dns)"

t_named_start 10000 || c_fail "named did not start again"
t_nup=$(c_named_ready)
t_wait $((catchup_bound + 2000)) c_dns_a_is "$(t_ip4 lb2)" >/dev/null
fence=$(c_dig _kcwatch.keycloak.local.mylab.io TXT)
c_assert "after named returns the A record points at lb2" c_dns_a_is "$(t_ip4 lb2)"
# when, by lb2's own log (polling with dig on a loaded machine is late)
t_a=$(c_log_first lb2 "-> A $(t_ip4 lb2)" "$t_nstop")
c_assert_within "lb2 updated the record within the backoff cap + timeout + 1 s of named's return" \
	"$t_a" "$t_nup" "$catchup_bound"
catchup=$((t_a - t_nup))
c_assert "the fence names lb2's term $term2 ($fence)" grep -q "term=$term2 node=lb2 " <<<"$fence"

c_echo lb1 # the service first, as systemd would order it
t_restart=$(c_now)
t_start lb1 "$T_DIR/kcwatch.conf"
t_wait $((C_D + 3000)) c_one_leader lb1 lb2 >/dev/null
t_wait 3000 c_dns_a_is "$(t_ip4 lb1)" >/dev/null
c_assert "after lb1 preempts the A record points at lb1" c_dns_a_is "$(t_ip4 lb1)"
t_pre=$(c_log_first lb1 'role [a-z]+ -> leader' "$t_restart")
t_a1=$(c_log_first lb1 "-> A $(t_ip4 lb1)" "$t_restart")
c_assert_within "lb1 updated the record within 3 s of its claim (its log)" "$t_a1" "${t_pre#-}" 3000
sleep 0.5
t_end=$(c_now)
c_watch_stop

c_note "A record caught up ${catchup} ms after named answered again"
c_analyze "$t_kill" "$t_end"
c_stalls
c_assert_le "client outage" "$W_OUTAGE" $((C_FAILOVER_MS + 50))
outage=$W_OUTAGE
claims=$R_CLAIMS
t_rm=$(c_log_first lb1 'removed leftover' "$t_restart")
c_assert "the restarted lb1 removed its leftover VIP" [ "$t_rm" -ge 0 ]
c_analyze "${t_rm#-}" "$t_end"
c_assert_le "VIP on both while both daemons run (ms)" "$W_DOUBLE" "$C_IV"
double=$W_DOUBLE
c_assert_final
c_row_values "$outage" "$claims" "$double"
c_finish
