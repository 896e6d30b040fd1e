#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_vip.sh: the floating IP end to end (issue 3). Two kcwatchd nodes (lb1 priority 150, lb2
# priority 100) and a client on one bridge; an IPv4 and an IPv6 VIP on the LBs' eth0; a UDP echo
# service on both LBs that answers with the LB's name. Checks: the VIP is on exactly one LB, the
# client reaches the leader, kill -9 / SIGTERM / step-down / link down move the VIP (and the
# client's neighbour entry, by GARP / unsolicited NA), a removed VIP comes back, kcwatchctl shows
# the VIPs and refuses step-down to non-root, bad interfaces and leftover VIPs are handled.
. "$(dirname "$0")/lib.sh"
t_require_root
t_require_tools jq tcpdump setpriv "$T_PY"

t_lan lb1 lb2 client
key="$T_DIR/cluster.key"
t_keyfile "$key"
PORT=7777
VIP4=10.77.0.100
VIP6=fd77::100
IV=200 # heartbeat interval, ms
PY=$(t_tool_py)
mac_of() { ip -n "$(t_ns "$1")" -br link show dev eth0 | awk '{print $3}'; }
MAC1=$(mac_of lb1)
MAC2=$(mac_of lb2)

write_conf() { # FILE INTERFACE
	t_conf_cluster "$1" port=7112 interval="${IV}ms" preempt=yes preempt-delay=0s
	t_conf_vip "$1" v4 "$VIP4/24" interface="$2"
	t_conf_vip "$1" v6 "$VIP6/64" interface="$2"
}
conf="$T_DIR/kcwatch.conf"
write_conf "$conf" eth0

role_is() { [ "$(t_role "$1")" = "$2" ]; }
holds_both() { t_holds "$1" "$VIP4" && t_holds "$1" "$VIP6"; }
holds_none() { ! t_holds "$1" "$VIP4" && ! t_holds "$1" "$VIP6"; }
holds_only() { holds_both "$1" && holds_none "$2"; } # HOST OTHER
leads_alone() { role_is "$1" leader && role_is "$2" follower && holds_only "$1" "$2"; }
ask() { # ADDR: the responder's name (one datagram, 0.2 s timeout; three tries: UDP may get lost)
	local n
	for n in 1 2 3; do t_exec client "$T_PY" "$PY" ask "$1" "$PORT" 200 && return 0; done
	return 1
}
# until ADDR NAME MAX_MS: probes every 5 ms until NAME answers; prints "WALL_MS others..."
until_reply() { t_exec client "$T_PY" "$PY" until "$1" "$PORT" "$2" "$3"; }
neigh_mac() { ip -n "$(t_ns client)" neigh show "$1" dev eth0 | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}'; }
# stop_node NODE [SIGNAL]: t_stop, then the PID leaves T_PIDS (it was waited for)
stop_node() { local p=${T_NODE_PID[$1]:-}; t_stop "$@"; [ -z "$p" ] || t_forget "$p"; }
both_samples() { awk '$2 == 1 && $3 == 1' "$1" | wc -l; }
new_samples() { awk '$2 == 1 && $3 == 0' "$1" | wc -l; }
old_samples() { awk '$2 == 0 && $3 == 1' "$1" | wc -l; }

# --- a VIP on an interface that does not exist ----------------------------------------------------
write_conf "$T_DIR/eth9.conf" eth9
out=$(timeout 10 ip netns exec "$(t_ns lb1)" "$KCWATCHD" -c "$T_DIR/eth9.conf" -n lb1 \
	-s "$T_DIR/eth9.sock" 2>&1); rc=$?
t_eq "a VIP on a missing interface: kcwatchd refuses to start (exit 1)" "$rc" 1
t_check "and says why: 'cannot start: vip v4: interface eth9 does not exist'" \
	grep -q "error: cannot start: vip v4: interface eth9 does not exist$" <<<"$out"
t_check "and leaves no VIP behind" holds_none lb1

# the other start-up errors the VIP manager names: IPv6 VIP where IPv6 is off, no CAP_NET_ADMIN
ip -n "$(t_ns lb1)" link add kcwv0 type veth peer name kcwv1
t_exec lb1 sysctl -qw net.ipv6.conf.kcwv0.disable_ipv6=1
sed 's/^interface = eth0$/interface = kcwv0/' "$conf" >"$T_DIR/noipv6.conf"
out=$(timeout 10 ip netns exec "$(t_ns lb1)" "$KCWATCHD" -c "$T_DIR/noipv6.conf" -n lb1 \
	-s "$T_DIR/noipv6.sock" 2>&1); rc=$?
t_eq "an IPv6 VIP on an interface without IPv6: exit 1" "$rc" 1
t_check "with 'vip v6: IPv6 is disabled on interface kcwv0'" \
	grep -q "error: cannot start: vip v6: IPv6 is disabled on interface kcwv0$" <<<"$out"
ip -n "$(t_ns lb1)" link del kcwv0
out=$(timeout 10 ip netns exec "$(t_ns lb1)" setpriv --bounding-set=-net_admin "$KCWATCHD" \
	-c "$conf" -n lb1 -s "$T_DIR/nocap.sock" 2>&1); rc=$?
t_eq "without CAP_NET_ADMIN: exit 1" "$rc" 1
t_check "with 'vip v4: adding addresses needs CAP_NET_ADMIN'" \
	grep -q "error: cannot start: vip v4: adding addresses needs CAP_NET_ADMIN: Operation not permitted$" <<<"$out"

# --- election: the VIP is on the leader only ------------------------------------------------------
t_echo lb1 "$PORT"
t_echo lb2 "$PORT"
t_start lb1 "$conf"
t_start lb2 "$conf"
ms=$(t_wait 6000 leads_alone lb1 lb2); rc=$?
t_check "lb1 leads and holds both VIPs, lb2 neither (${ms} ms)" [ $rc -eq 0 ]

# exactly one holder at every sample: one "ip -n ... addr show eth0" per LB and sample
# (bounded: 25 samples, 15 s)
bad=0 n=0 deadline=$(( $(t_now) + 15000 ))
while [ $n -lt 25 ] && [ "$(t_now)" -lt $deadline ]; do
	n=$((n + 1))
	a1=$(ip -n "$(t_ns lb1)" addr show dev eth0 2>/dev/null)
	a2=$(ip -n "$(t_ns lb2)" addr show dev eth0 2>/dev/null)
	for v in "$VIP4" "$VIP6"; do
		c=0
		[[ $a1 == *" $v/"* ]] && c=$((c + 1))
		[[ $a2 == *" $v/"* ]] && c=$((c + 1))
		[ $c -eq 1 ] || bad=$((bad + 1))
	done
done
t_eq "each VIP on exactly one LB in every sample (bad samples/samples)" "$bad/$n" "0/25"

t_eq "the client's IPv4 replies come from the leader" "$(ask $VIP4)" lb1
t_eq "the client's IPv6 replies come from the leader" "$(ask $VIP6)" lb1
t_eq "the client's neighbour entry for $VIP4 is lb1's MAC" "$(neigh_mac $VIP4)" "$MAC1"
t_eq "the client's neighbour entry for $VIP6 is lb1's MAC" "$(neigh_mac $VIP6)" "$MAC1"

# --- kcwatchctl status shows the VIPs -------------------------------------------------------------
txt=$(t_ctl lb1 status)
t_check "status (leader) lists v4 with address, interface, held yes" \
	grep -qE "^v4 +$VIP4/24 +eth0 +yes$" <<<"$txt"
t_check "status (leader) lists v6 with address, interface, held yes" \
	grep -qE "^v6 +$VIP6/64 +eth0 +yes$" <<<"$txt"
t_check "status (follower) lists v4 as not held" grep -qE "^v4 +$VIP4/24 +eth0 +no$" <<<"$(t_ctl lb2 status)"
t_eq "status --json (leader): vips [{address, interface, held}]" \
	"$(t_json lb1 | jq -c '[.vips[] | {address, interface, held}]')" \
	"[{\"address\":\"$VIP4/24\",\"interface\":\"eth0\",\"held\":true},{\"address\":\"$VIP6/64\",\"interface\":\"eth0\",\"held\":true}]"
t_eq "status --json (follower): held false for both" "$(t_json lb2 | jq -c '[.vips[].held]')" "[false,false]"

# --- a VIP removed by hand on the leader comes back within one interval ---------------------------
# A netlink sampler on lb1 (every 2 ms) times how long the VIP was gone.
gone_ms() { # SAMPLES: ms from the first sample without the VIP on lb1 to the next one with it
	awk '$2 == 0 && !g { g = $1 } $2 == 1 && g { printf "%d\n", $1 - g + 0.5; f = 1; exit }
		END { if (!f) print (g ? "never back" : 0) }' "$1"
}
for v in "$VIP4/24" "$VIP6/64"; do
	smp="$T_DIR/restore.${v%%/*}"
	t_sampler lb1 lb2 "${v%/*}" "$smp" 2 10
	t_wait 2000 test -s "$smp" >/dev/null
	ip -n "$(t_ns lb1)" addr del "$v" dev eth0
	t_wait 2000 t_holds lb1 "${v%/*}" >/dev/null
	sleep 0.05
	t_sampler_stop
	ms=$(gone_ms "$smp")
	seen="gone for ${ms} ms"
	[ "$ms" = 0 ] && seen="not missing in any of $(wc -l <"$smp") samples 2 ms apart"
	t_check "$v deleted by hand on lb1 is back within one interval ($seen; <= $IV ms)" \
		[ "$ms" -le $IV ] 2>/dev/null
	t_check "and lb1 logged the restore" grep -q "${v} was removed from eth0 by someone else; restored" "$T_DIR/lb1.log"
done
t_eq "lb2 did not take it meanwhile" "$(t_role lb2)/$(t_holds lb2 $VIP4 && echo holds)" "follower/"

# --- a leftover VIP on a starting non-leader is removed -------------------------------------------
stop_node lb2
ip -n "$(t_ns lb2)" addr add "$VIP4/24" dev eth0
ip -n "$(t_ns lb2)" addr add "$VIP6/64" dev eth0 nodad
t_start lb2 "$conf"
leftovers_gone() { grep -q "removed leftover $VIP6/64" "$T_DIR/lb2.log" && holds_none lb2; }
ms=$(t_wait 6000 leftovers_gone); rc=$?
t_check "lb2 restarted with both VIPs left on eth0 removes them (${ms} ms)" [ $rc -eq 0 ]
t_check "and logs it" grep -q "vip v4: removed leftover $VIP4/24 from eth0 (this node is not the leader)" "$T_DIR/lb2.log"
ms=$(t_wait 6000 leads_alone lb1 lb2); rc=$?
t_check "lb1 still leads alone (${ms} ms)" [ $rc -eq 0 ]

# --- kill -9 of the leader: the client follows the GARP / unsolicited NA --------------------------
tcpdump_start() { # FILE: ARP and neighbour discovery seen by the client (bounded: count, time)
	local ns
	ns=$(t_ns client)
	timeout -s INT 15 ip netns exec "$ns" tcpdump -i eth0 -nn -e -tt -l -c 2000 \
		'arp or (icmp6 and (ip6[40] == 135 or ip6[40] == 136))' >"$1" 2>"$1.err" &
	TCPDUMP_PID=$!
	T_PIDS+=($!)
	t_wait 3000 grep -q "listening on" "$1.err" >/dev/null
}
# lines of a capture between two wall-clock ms
cap_window() { awk -v a="$2" -v b="$3" '{ t = $1 * 1000 } t >= a && t <= b' "$1"; }

cap="$T_DIR/kill9.cap"
tcpdump_start "$cap" || t_notok "tcpdump in the client namespace starts"
t0=$(t_now)
t0d=$(t_ms_of_day)
stop_node lb1 KILL
r4=$(until_reply $VIP4 lb2 5000); rc4=$?
r6=$(until_reply $VIP6 lb2 5000); rc6=$?
t4=${r4%%.*} t6=${r6%%.*}
t_check "after kill -9 of lb1 the client's IPv4 replies come from lb2 ($(( t4 - t0 )) ms; before: ${r4#* })" [ $rc4 -eq 0 ]
t_check "after kill -9 of lb1 the client's IPv6 replies come from lb2 ($(( t6 - t0 )) ms)" [ $rc6 -eq 0 ]
ms=$(( $(t_log_ms lb2 "vip v4: added $VIP4/24 to eth0") - t0d ))
t_check "lb2 added the VIPs within dead-after x interval + 300 ms of the kill (${ms} ms)" \
	eval '[ "$ms" -ge 0 ] && [ "$ms" -le $((3 * IV + 300)) ]'
sleep 0.2
kill -INT "$TCPDUMP_PID" 2>/dev/null; wait "$TCPDUMP_PID" 2>/dev/null; t_forget "$TCPDUMP_PID"
t_eq "the client's neighbour entry for $VIP4 is now lb2's MAC" "$(neigh_mac $VIP4)" "$MAC2"
t_eq "the client's neighbour entry for $VIP6 is now lb2's MAC" "$(neigh_mac $VIP6)" "$MAC2"
[ $rc4 -eq 0 ] || t4=$((t0 + 5000))
[ $rc6 -eq 0 ] || t6=$((t0 + 5000))
# t4 and t6 are the replies' times truncated to the ms: the window ends 1 ms later, so that
# an announcement in the same millisecond as the first reply still counts as before it
w4=$(cap_window "$cap" "$t0" "$((t4 + 1))")
w6=$(cap_window "$cap" "$t0" "$((t6 + 1))")
t_check "lb2 sent a gratuitous ARP for $VIP4 before the first reply from lb2" \
	grep -qE "^[0-9.]+ $MAC2 > ff:ff:ff:ff:ff:ff, .* Request who-has $VIP4 tell $VIP4," <<<"$w4"
t_eq "no ARP request for $VIP4 from the client between kill and that reply" \
	"$(grep -cE "Request who-has $VIP4 tell $(t_ip4 client)," <<<"$w4")" 0
t_eq "no ARP reply from lb2 for $VIP4 in that time (the entry came from the GARP)" \
	"$(grep -cE "^[0-9.]+ $MAC2 > .* Reply $VIP4 is-at" <<<"$w4")" 0
t_check "lb2 sent an unsolicited NA for $VIP6 to all nodes before the first reply from lb2" \
	grep -qE "^[0-9.]+ $MAC2 > 33:33:00:00:00:01, .* neighbor advertisement, tgt is $VIP6," <<<"$w6"
t_eq "no neighbour solicitation for $VIP6 from the client in that time" \
	"$(grep -cE "^[0-9.]+ $(mac_of client) > .* neighbor solicitation, who has $VIP6," <<<"$w6")" 0

# lb1 comes back: it removes the VIPs the killed daemon left, then preempts
t_start lb1 "$conf"
ms=$(t_wait 6000 leads_alone lb1 lb2); rc=$?
t_check "restarted lb1 preempts and holds the VIPs alone (${ms} ms)" [ $rc -eq 0 ]
t_check "it first removed the VIP the killed daemon left" \
	grep -q "vip v4: removed leftover $VIP4/24 from eth0" "$T_DIR/lb1.log"
follows() { until_reply "$1" "$2" 2000 >/dev/null; } # ADDR NAME
t_check "the client follows lb1 again" follows $VIP4 lb1

# --- clean handovers: SIGTERM, step-down ----------------------------------------------------------
# handover FROM TO DESC CMD...: runs CMD while netlink samplers (every 2 ms, TO read before FROM)
# watch both VIPs; checks the client moves, FROM released before TO took (log times, ms) and
# no sample has both LBs holding a VIP.
handover() {
	local from=$1 to=$2 desc=$3 s4="$T_DIR/h4.$RANDOM" s6="$T_DIR/h6.$RANDOM" t0 r rc p4 p6 rel add
	shift 3
	t_sampler "$to" "$from" "$VIP4" "$s4" 2 10; p4=$T_SAMPLER_PID
	t_sampler "$to" "$from" "$VIP6" "$s6" 2 10; p6=$T_SAMPLER_PID
	t_wait 2000 bash -c "[ -s '$s4' ] && [ -s '$s6' ]" >/dev/null
	t0=$(t_now)
	"$@" >"$T_DIR/handover.out" 2>&1
	t_eq "$desc: the command succeeds" "$?" 0
	r=$(until_reply $VIP4 "$to" 2000); rc=$?
	t_check "$desc: the client's replies come from $to (first one $(( ${r%%.*} - t0 )) ms after)" [ $rc -eq 0 ]
	t_check "$desc: $to holds both VIPs, $from neither" holds_only "$to" "$from"
	rel=$(t_log_ms "$from" "vip v6: removed $VIP6/64 from eth0") # the last VIP to go
	add=$(t_log_ms "$to" "vip v4: added $VIP4/24 to eth0")      # the first VIP to come
	t_check "$desc: $from released the VIPs before $to took them, without waiting for the dead time ($(( add - rel )) ms <= $IV ms)" \
		eval '[ "$rel" -ge 0 ] && [ "$add" -ge "$rel" ] && [ $(( add - rel )) -le $IV ]'
	sleep 0.1
	kill -TERM "$p4" "$p6" 2>/dev/null; wait "$p4" "$p6" 2>/dev/null; t_forget "$p4" "$p6"
	t_eq "$desc: no sample with $VIP4 on both LBs ($(wc -l <"$s4") samples)" "$(both_samples "$s4")" 0
	t_eq "$desc: no sample with $VIP6 on both LBs ($(wc -l <"$s6") samples)" "$(both_samples "$s6")" 0
	t_check "$desc: the samplers saw the VIPs on $from, then on $to" \
		eval '[ "$(old_samples "$s4")" -gt 0 ] && [ "$(new_samples "$s4")" -gt 0 ] &&
		[ "$(old_samples "$s6")" -gt 0 ] && [ "$(new_samples "$s6")" -gt 0 ]'
}

handover lb1 lb2 "SIGTERM of leader lb1" kill -TERM "${T_NODE_PID[lb1]}"
stop_node lb1
t_start lb1 "$conf"
ms=$(t_wait 6000 leads_alone lb1 lb2); rc=$?
t_check "restarted lb1 leads again (${ms} ms)" [ $rc -eq 0 ]

# step-down as a non-root user is refused
chmod 0711 "$T_DIR"
chmod 0666 "$T_DIR/lb1.sock"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
out=$(as_nobody "$KCWATCHCTL" -s "$T_DIR/lb1.sock" status 2>&1); rc=$?
t_eq "a non-root user can read the status" "$rc" 0
out=$(as_nobody "$KCWATCHCTL" -s "$T_DIR/lb1.sock" step-down 2>&1); rc=$?
t_eq "step-down as uid 65534 is refused with exit 1" "$rc" 1
t_check "with 'permission denied' ($out)" grep -q "^kcwatchctl: permission denied: 'step-down' needs root" <<<"$out"
t_check "lb1 logged the refusal" grep -q "refused 'step-down' from uid 65534" "$T_DIR/lb1.log"
t_check "and lb1 still leads alone" leads_alone lb1 lb2
out=$(t_ctl lb2 step-down 2>&1); rc=$?
t_eq "step-down on a follower: exit 1, 'not the leader'" "$rc/$out" "1/kcwatchctl: this node is not the leader"

# step-down as root, there and back
handover lb1 lb2 "step-down of lb1" t_ctl lb1 step-down
t_check "lb1 logged the operator's step-down" grep -q "stepped down on request of the operator" "$T_DIR/lb1.log"
handover lb2 lb1 "step-down of lb2" t_ctl lb2 step-down
ms=$(t_wait 3000 leads_alone lb1 lb2); rc=$?
t_check "lb1 leads alone again (${ms} ms)" [ $rc -eq 0 ]

# --- the leader's interface goes down: fault, and back --------------------------------------------
t0=$(t_now)
ip -n "$(t_ns lb1)" link set eth0 down
ms=$(t_wait 3000 role_is lb1 fault); rc=$?
t_check "eth0 down on leader lb1: lb1 goes to fault (${ms} ms)" [ $rc -eq 0 ]
t_eq "lb1 in fault advertises effective priority 0" "$(t_field lb1 .effective_priority)" 0
t_check "lb1 released the VIPs" holds_none lb1
t_check "lb1 logged the fault" grep -q "a VIP interface is down: entering fault" "$T_DIR/lb1.log"
ms=$(t_wait 5000 holds_both lb2); rc=$?
t_check "lb2 takes both VIPs ($(( $(t_now) - t0 )) ms after link down)" [ $rc -eq 0 ]
t_eq "lb2 leads" "$(t_role lb2)" leader
t_eq "the client's IPv4 replies come from lb2" "$(ask $VIP4)" lb2
t_eq "the client's IPv6 replies come from lb2" "$(ask $VIP6)" lb2
ip -n "$(t_ns lb1)" link set eth0 up
ms=$(t_wait 6000 leads_alone lb1 lb2); rc=$?
t_check "eth0 up again: lb1 leaves fault and, with preempt = yes, leads with both VIPs (${ms} ms)" [ $rc -eq 0 ]
t_check "lb1 logged the recovery" grep -q "VIP interfaces are up again: leaving fault" "$T_DIR/lb1.log"
t_eq "the client's IPv4 replies come from lb1 again" "$(ask $VIP4)" lb1
t_eq "the client's IPv6 replies come from lb1 again" "$(ask $VIP6)" lb1

t_done
