#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# s04_partition.sh: full partition between lb1 and lb2 (nftables in both namespaces drops
# everything to and from the other, input and output: sends fail with EPERM) for
# KCW_CHAOS_PART_MS (default 3000), then healed. No witness.
#
# Without a witness each side must lead on its own: two leaders during the partition are
# expected (reported, not asserted). A failing send (EPERM) must never make a node fault.
# Asserts: lb2 claims within C_FAILOVER_MS (the partition took effect); failed sends are
# counted (status heartbeat.send_errors) and logged at most once a second; no node faults;
# after healing exactly one leader holds the VIP within two intervals, the remaining leader
# re-announces, the client is answered by it within two intervals and loses no more than
# two intervals of probes; the end state.
. "$(dirname "$0")/lib.sh"
part_ms=${KCW_CHAOS_PART_MS:-3000}
c_begin_watched partition

t_cut=$(c_now)
c_cut lb1 lb2
t_cut_done=$(c_now) # lb1 neither sends to nor hears lb2 any more: lb2 last heard it before this
c_cut lb2 lb1
c_assert_claimed "lb2 claims within the failover bound (log)" "$t_cut" "$t_cut_done"
c_sleep_until $((t_cut + part_ms))

t_heal=$(c_now)
c_nft_clear lb1 lb2
t_healed=$(c_now) # the bounds count from here: both rule sets are gone
t_end=$(c_settle)
c_watch_stop

for n in lb1 lb2; do
	c_assert_ge "$n counted its failed sends (EPERM) in status" "$(t_field "$n" .heartbeat.send_errors)" 1
	c_assert_le "$n logged its failed sends at a limited rate (lines, at most one a second)" \
		"$(c_log_count "$n" 'heartbeat to .* failed' "$t_cut" "$t_end")" $((part_ms / 1000 + 1))
done
c_assert_eq "no node entered fault (EPERM on send is not a fault)" "$(c_faults "$t_cut" "$t_end")" 0
c_note_double "$t_cut" "$t_healed" "the partition"
c_assert_healed "$t_heal" "$t_healed" "$t_end"
double=$W_DOUBLE
winner=$C_WINNER
t_re=$(c_log_first "$winner" 'announcing the VIPs again' "$t_heal")
c_assert_within "after healing: the remaining leader $winner re-announced within two intervals" \
	"$t_re" "$t_healed" $((2 * C_IV))
c_assert_within "after healing: the client is answered by $winner within two intervals" \
	"$(c_first_reply "$winner" "$t_heal")" "$t_healed" $((2 * C_IV))
c_finish_run "$t_cut" "$t_end" "$double"
