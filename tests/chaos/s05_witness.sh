#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# s05_witness.sh: full partitions with a witness (a third kcwatchd in namespace w with
# role = witness): never two leaders, never the VIP on two nodes.
#
# Skipped when this build has no split-brain defence: `kcwatchctl status --json` of a node
# shows no "defence" object.
# A: the leader lb1 is cut off from lb2 and w (KCW_CHAOS_PART_MS, default 3000). lb1 loses
#    the majority and must release the VIP and step down before lb2 (with the witness) may
#    claim. Asserts: lb2 leads within 2 D + interval + 100 ms (a silent leader loss costs
#    about 2 D with a witness: D to call it dead, D of vote cooldown); lb1 released before
#    lb2 took; the VIP never on both; never two leaders by the logs; client outage within
#    that bound + 50; after healing (lb1 may preempt) the VIP never without a holder for
#    more than an interval, one holder at the end.
# B: only lb1 <-> lb2 is cut; both still reach the witness. Asserts: the VIP never on both,
#    never two leaders by the logs, one leader holding the VIP at the end of the cut and
#    within two intervals of healing.
. "$(dirname "$0")/lib.sh"
c_begin partition-witness
c_require nft jq
part_ms=${KCW_CHAOS_PART_MS:-3000}
bound=$((2 * C_D + C_IV + 100))

c_lan
c_conf "$T_DIR/kcwatch.conf" witness
c_cluster_up "$T_DIR/kcwatch.conf" lb1 lb2 w
defence=$(t_json lb1 | jq -c '.defence // empty' 2>/dev/null)
[ -n "$defence" ] || c_skip "no split-brain defence in this build (status --json has no defence object)"
echo "# lb1 defence: $defence"
echo "# w defence: $(t_json w | jq -c '.defence // empty')"
c_assert_eq "lb1's status names the witness defence" "$(jq -r .kind <<<"$defence")" witness
c_assert_eq "w runs as witness" "$(t_role w)" witness
t_wait 3000 sh -c "[ \"\$($KCWATCHCTL -s $T_DIR/lb1.sock status --json | jq -r .defence.satisfied)\" = true ]" >/dev/null
c_assert_eq "lb1's defence is satisfied" "$(t_field lb1 .defence.satisfied)" true
c_watch_start
sleep 0.5

# --- A: the leader isolated ---------------------------------------------------------------
t_cut=$(c_now)
c_cut lb1 lb2 w
t_cut_done=$(c_now)
c_cut lb2 lb1
c_cut w lb1
t_wait $((bound + 2000)) c_role_is lb2 leader >/dev/null
t_claim=$(c_log_first lb2 'role [a-z]+ -> leader' "$t_cut")
c_assert_within "A: lb2 claims with the witness within 2 D + interval + 100 ms (log)" "$t_claim" "$t_cut_done" "$bound"
c_sleep_until $((t_cut + part_ms))
role1=$(t_role lb1)
c_assert "A: the isolated lb1 runs and does not lead (role '$role1')" \
	test -n "$role1" -a "$role1" != leader
t_heal=$(c_now)
c_nft_clear lb1 lb2 w
t_healed=$(c_now)
t_a_end=$(c_settle)

c_analyze "$t_cut" "$t_healed"
c_assert "A: lb1 released the VIP" [ "$W_OFF0" -ge 0 ]
c_assert "A: lb2 took the VIP" [ "$W_ON1" -ge 0 ]
c_assert "A: lb1 released before lb2 took ($((W_OFF0 - t_cut)) <= $((W_ON1 - t_cut)) ms after the cut)" \
	[ "$W_OFF0" -le "$W_ON1" ]
c_note "A: lb1 released the VIP $((W_OFF0 - t_cut)) ms after the cut, lb2 took it $((W_ON1 - t_cut)) ms after"
c_analyze "$t_healed" "$t_a_end"
c_assert_eq "A: after healing one VIP holder" "$W_HOLDERS" 1
# lb1 (priority 150) may take the leadership back after healing: a handover, never a gap
c_assert_le "A: after healing the VIP never without a holder for more than one interval (ms)" \
	"$W_NONE_MAX" "$C_IV"
c_analyze "$t_cut" "$t_a_end"
c_assert_eq "A: the VIP never on both (ms)" "$W_DOUBLE" 0
double_a=$W_DOUBLE
c_assert_le "A: client outage" "$W_OUTAGE" $((bound + 50))
outage_a=$W_OUTAGE
c_roles "$t_cut" "$t_a_end"
c_assert_eq "A: never two leaders by the logs (ms)" "$R_OVERLAP" 0
claims_a=$R_CLAIMS

# --- B: only the load balancers cut, both reach the witness -----------------------------------
t_cut=$(c_now)
c_cut lb1 lb2
c_cut lb2 lb1
c_sleep_ms "$part_ms"
c_assert_eq "B: one leader during the cut" "$(c_leaders)" 1
c_nft_clear lb1 lb2
t_healed=$(c_now)
t_end=$(c_settle)
c_watch_stop

c_analyze "$t_cut" "$t_healed"
c_assert_eq "B: one VIP holder during the cut (at its end)" "$W_HOLDERS" 1
c_analyze "$t_healed" "$t_end"
c_assert_le "B: after healing one holder within two intervals (ms)" $((W_LAST_CHANGE - t_healed)) $((2 * C_IV))
c_analyze "$t_cut" "$t_end"
c_stalls
c_assert_eq "B: the VIP never on both (ms)" "$W_DOUBLE" 0
double_b=$W_DOUBLE
c_assert_le "B: client outage" "$W_OUTAGE" $((bound + 50))
outage=$((W_OUTAGE > outage_a ? W_OUTAGE : outage_a))
c_roles "$t_cut" "$t_end"
c_assert_eq "B: never two leaders by the logs (ms)" "$R_OVERLAP" 0
c_assert_final
c_row_values "$outage" "$((claims_a + R_CLAIMS))" "$((double_a + double_b))"
c_finish
