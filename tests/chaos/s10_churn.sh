#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# s10_churn.sh: KCW_CHAOS_CHANGES (default 100) leader changes in a row: `kcwatchctl
# step-down` on whoever leads, alternately lb1 and lb2, with backends (the leader starts
# and stops its health checks at every change) and [dns] (the leader writes the fence).
#
# Both daemons run throughout: each is a long-running node. fd count (/proc/PID/fd) and
# VmRSS of each are taken after a warm-up of KCW_CHAOS_WARMUP (default 10) changes and
# again at the end, both times 1 s after a change with the node in the same role (the
# number of changes after the warm-up is even).
# Bounds: fds at the end <= warm-up + 2 (a kept-alive connection per backend may or may not
# be open at that moment; a leak of one fd per change would show as +45 at least);
# VmRSS <= warm-up + 256 KiB (under 3 KiB per change: the allocator keeps freed memory, so
# RSS is page- and arena-grained; a leak of a few KiB per change shows).
# Also: every step-down is taken over within one interval (by the daemons' log clocks); the
# VIP never on both; the client outage at most one interval (a handover is immediate: the
# old leader releases, then its resigning heartbeat lets the other claim at once); the end
# state with the DNS record on the last leader.
. "$(dirname "$0")/lib.sh"
c_begin churn100
c_require nft jq nginx openssl named dig tsig-keygen
changes=${KCW_CHAOS_CHANGES:-100}
warmup=${KCW_CHAOS_WARMUP:-10}
[ $(((changes - warmup) % 2)) -eq 0 ] || changes=$((changes + 1))

c_lan
c_backends_up
c_named_setup
t_named_start 10000 || { c_fail "named did not start"; c_finish; }
c_conf "$T_DIR/kcwatch.conf" backends dns
c_cluster_up "$T_DIR/kcwatch.conf"
t_wait 5000 c_active_is lb1 sno1 >/dev/null || c_fail "sno1 did not become active"
t_wait 5000 c_dns_a_is "$(t_ip4 lb1)" >/dev/null || c_fail "the A record does not name lb1"
c_watch_start
sleep 0.5

base_fd1='' base_fd2='' base_rss1='' base_rss2='' end_fd1='' end_fd2='' end_rss1='' end_rss2=''
fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
rss() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null; }
snapshot() { # PREFIX: PREFIX_fd1 PREFIX_rss1 PREFIX_fd2 PREFIX_rss2
	sleep 1
	eval "$1_fd1=$(fds "${T_NODE_PID[lb1]}") $1_rss1=$(rss "${T_NODE_PID[lb1]}")"
	eval "$1_fd2=$(fds "${T_NODE_PID[lb2]}") $1_rss2=$(rss "${T_NODE_PID[lb2]}")"
}

leader=lb1
other=lb2
slow=0
refused=0
takeover_max=0
done_changes=0
c_follow_open lb1
c_follow_open lb2
t_churn=$(c_now)
for i in $(seq "$changes"); do
	# the step-down is refused until the leader has heard the other's first heartbeat after
	# its resignation (a resigning node is not eligible): retry for up to 2 s
	ok=
	for try in $(seq 100); do
		if t_ctl "$leader" step-down >/dev/null 2>&1; then ok=1; break; fi
		c_nap 0.02
	done
	refused=$((refused + try - 1))
	[ -n "$ok" ] || { c_fail "change $i: $leader refused to step down for 2 s"; break; }
	# by the daemons' own clocks: from the old leader's role line (VIPs released, the
	# resigning heartbeat not yet sent) to the new leader's claim
	if ! c_follow_wait "$leader" 'role leader -> follower' 3000; then
		c_fail "change $i: $leader did not log its step-down"
		break
	fi
	t_sd=$C_FOLLOW_T
	if ! c_follow_wait "$other" 'role [a-z]+ -> leader' 3000; then
		c_fail "change $i: $other did not take over within 3 s"
		break
	fi
	took=$((C_FOLLOW_T - t_sd))
	[ "$took" -gt "$takeover_max" ] && takeover_max=$took
	[ "$took" -gt "$C_IV" ] && slow=$((slow + 1))
	[ -n "${KCW_CHAOS_DEBUG:-}" ] && echo "# change $i: tries $try, taken over in $took ms"
	done_changes=$i
	tmp=$leader leader=$other other=$tmp
	[ "$i" -eq "$warmup" ] && snapshot base
done
t_churn_end=$(c_now)
snapshot end
echo "# $done_changes changes in $((t_churn_end - t_churn)) ms; $refused step-downs refused (nobody eligible yet) and retried"
echo "# fds lb1 $base_fd1 -> $end_fd1, lb2 $base_fd2 -> $end_fd2; VmRSS kB lb1 $base_rss1 -> $end_rss1, lb2 $base_rss2 -> $end_rss2"
c_assert_eq "leader changes done" "$done_changes" "$changes"
c_assert_eq "step-downs taken over later than one interval (longest ${takeover_max} ms)" "$slow" 0
c_assert_le "lb1 fds after $((changes - warmup)) more changes (warm-up $base_fd1)" "${end_fd1:-x}" $((${base_fd1:-0} + 2))
c_assert_le "lb2 fds after $((changes - warmup)) more changes (warm-up $base_fd2)" "${end_fd2:-x}" $((${base_fd2:-0} + 2))
c_assert_le "lb1 VmRSS kB (warm-up $base_rss1)" "${end_rss1:-x}" $((${base_rss1:-0} + 256))
c_assert_le "lb2 VmRSS kB (warm-up $base_rss2)" "${end_rss2:-x}" $((${base_rss2:-0} + 256))
c_note "fds lb1 $base_fd1->$end_fd1 lb2 $base_fd2->$end_fd2, VmRSS kB lb1 $base_rss1->$end_rss1 lb2 $base_rss2->$end_rss2"
last=$leader
c_assert_final
t_wait 3000 c_dns_a_is "$(t_ip4 "$last")" >/dev/null
c_assert "the A record names the last leader $last" c_dns_a_is "$(t_ip4 "$last")"
t_end=$(c_now)
c_watch_stop

c_analyze "$t_churn" "$t_end"
c_stalls
c_assert_le "client outage across a handover" "$W_HANDOVER_GAP" "$C_IV"
c_assert_le "client outage" "$W_OUTAGE" "$C_IV"
c_assert_eq "VIP never on both (ms)" "$W_DOUBLE" 0
c_roles "$t_churn" "$t_end"
c_row_values "$W_OUTAGE" "$R_CLAIMS" "$W_DOUBLE"
c_finish
