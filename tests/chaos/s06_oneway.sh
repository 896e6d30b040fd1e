#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# s06_oneway.sh: one-way partition: everything from lb1 to lb2 is dropped (nftables on
# lb2's input), lb2 -> lb1 still works, for KCW_CHAOS_PART_MS (default 3000). No witness.
#
# lb2 stops hearing the leader and claims; lb1 hears lb2's claim, stays (it is better) and
# re-announces, but lb2 never hears it: two leaders are expected until the partition heals
# (the split-brain defence is what would prevent it; reported, not asserted).
# Asserts: lb2 claims within C_FAILOVER_MS (the partition took effect); the client is
# answered throughout (outage <= C_FAILOVER_MS + 50); after healing exactly one leader
# holds the VIP within two intervals, the client is answered by it within two intervals
# and loses no more than two intervals of probes; no node entered fault; the end state.
. "$(dirname "$0")/lib.sh"
part_ms=${KCW_CHAOS_PART_MS:-3000}
c_begin_watched oneway

t_cut=$(c_now)
c_drop_in lb2 ip saddr "$(t_ip4 lb1)" drop
t_cut_done=$(c_now)
c_assert_claimed "lb2 (it cannot hear lb1) claims within the failover bound (log)" "$t_cut" "$t_cut_done"
c_sleep_until $((t_cut + part_ms))
reann=$(c_log_count lb1 'announcing the VIPs again' "$t_cut" "$(c_now)")
t_heal=$(c_now)
c_nft_clear lb2
t_healed=$(c_now)
t_end=$(c_settle)
c_watch_stop

c_assert_eq "no node entered fault" "$(c_faults "$t_cut" "$t_end")" 0
c_note_double "$t_cut" "$t_healed" "the one-way partition"
c_note "lb1 re-announced $reann times"
c_assert_healed "$t_heal" "$t_healed" "$t_end"
double=$W_DOUBLE
winner=$C_WINNER
loser=$([ "$winner" = lb1 ] && echo lb2 || echo lb1)
t_rel=$(c_log_first "$loser" 'role leader -> follower' "$t_heal")
t_re=$(c_log_first "$winner" 'announcing the VIPs again' "${t_rel#-}")
if [ "$t_rel" -ge 0 ] && [ "$t_re" -lt 0 ]; then
	c_note "$winner did not re-announce after $loser released the VIP (only before: clients that followed $loser's last announcement wait for $winner's running burst)"
fi
c_assert_within "after healing: the client is answered by $winner within two intervals" \
	"$(c_first_reply "$winner" "$t_heal")" "$t_healed" $((2 * C_IV))
c_finish_run "$t_cut" "$t_end" "$double"
