#!/bin/bash
# SPDX-License-Identifier: MIT
# test_vipset.sh: the VIP manager for real, in two network namespaces joined by a veth pair.
#
# Runs tests/integration/vipset_drive in namespace A (which takes, holds and releases the VIPs)
# and checks from namespace B what a neighbour sees. Needs root (CAP_SYS_ADMIN for namespaces),
# iproute2, tcpdump, setpriv. The driver: $VIPSET_DRIVE, else $KCW_BUILD/tests/integration/
# vipset_drive (KCW_BUILD: the build directory tests/run.sh made, default build/).
# Exits 77 (skip) without root or tools, non-zero when a check fails; the last line is
# "N passed, N failed".
set -u

top=${KCW_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${KCW_BUILD:-$top/build}
DRIVE=${VIPSET_DRIVE:-}
NS_A=kcwvip-a-$$
NS_B=kcwvip-b-$$
IF_A=va
IF_B=vb
VIP4=10.99.0.100
VIP6=fd99::100
WRONG_MAC=02:00:00:00:00:99
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_vipset.XXXXXX")
PIDS=()
passed=0
failed=0

cleanup_keep_tmp() { # on failure: remove the namespaces but keep the logs
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
}
cleanup() {
	cleanup_keep_tmp
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() {
	echo "ok - $1"
	passed=$((passed + 1))
}

not_ok() {
	echo "FAIL - $1: $2"
	failed=$((failed + 1))
}

check() { # NAME COMMAND...: passes when the command succeeds
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name" "$*"; fi
}

now_ms() {
	date +%s%3N
}

# wait_for MS COMMAND...: polls every 20 ms until the command succeeds or MS pass.
wait_for() {
	local deadline=$(($(now_ms) + $1))
	shift
	while ! "$@"; do
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.02
	done
	return 0
}

has_line() { # FILE REGEX
	grep -Eq -- "$2" "$1" 2>/dev/null
}

count_lines() { # FILE REGEX
	grep -Ec -- "$2" "$1" 2>/dev/null
}

on_a() { # ADDR: the address is on A's interface
	ip -n "$NS_A" addr show dev "$IF_A" | grep -q "inet6\? $1/"
}

not_on_a() {
	! on_a "$1"
}

neigh_is() { # FAMILY ADDR MAC: B's neighbour entry for ADDR has MAC
	ip -n "$NS_B" "$1" neigh show "$2" dev "$IF_B" | grep -q "lladdr $3"
}

# drive NAME ARGS...: starts the driver in A, bounded by timeout; output in $TMP/NAME.{out,err}.
drive() {
	local name=$1
	shift
	timeout 20 ip netns exec "$NS_A" "$DRIVE" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	DRIVE_PID=$!
	PIDS+=("$DRIVE_PID")
}

# capture NAME COUNT SECONDS FILTER: tcpdump -c COUNT in B for at most SECONDS; waits until it listens.
capture() {
	local name=$1 count=$2 secs=$3 filter=$4
	timeout -s INT "$secs" ip netns exec "$NS_B" \
		tcpdump -i "$IF_B" -nn -l -c "$count" "$filter" >"$TMP/$name.cap" 2>"$TMP/$name.tderr" &
	PIDS+=("$!")
	CAPTURE_PID=$!
	wait_for 3000 has_line "$TMP/$name.tderr" "listening on"
}

hex4() { # dotted quad -> 0xAABBCCDD for BPF
	local IFS=.
	# shellcheck disable=SC2086
	printf '0x%02x%02x%02x%02x' $1
}

GARP_FILTER="arp and arp[6:2] = 1 and arp[14:4] = $(hex4 $VIP4) and arp[24:4] = $(hex4 $VIP4)"
NA_FILTER="icmp6 and ip6[40] = 136 and ip6[60:4] = 0x00000100"

setup() {
	ip netns add "$NS_A" && ip netns add "$NS_B" &&
		ip link add "$IF_A" netns "$NS_A" type veth peer name "$IF_B" netns "$NS_B" &&
		ip -n "$NS_A" link set lo up && ip -n "$NS_B" link set lo up &&
		ip -n "$NS_A" link set "$IF_A" up && ip -n "$NS_B" link set "$IF_B" up &&
		ip -n "$NS_A" addr add 10.99.0.1/24 dev "$IF_A" &&
		ip -n "$NS_B" addr add 10.99.0.2/24 dev "$IF_B" &&
		ip -n "$NS_A" addr add fd99::1/64 dev "$IF_A" nodad &&
		ip -n "$NS_B" addr add fd99::2/64 dev "$IF_B" nodad &&
		ip -n "$NS_B" neigh add "$VIP4" lladdr "$WRONG_MAC" dev "$IF_B" nud stale &&
		ip -n "$NS_B" -6 neigh add "$VIP6" lladdr "$WRONG_MAC" dev "$IF_B" nud stale
}

# Take, announce (one burst of 3), restore after a manual delete, release.
test_take_restore_release() {
	local dt
	capture garp 4 2 "$GARP_FILTER" || not_ok "tcpdump starts" "see $TMP/garp.tderr"
	local cap_garp=$CAPTURE_PID
	capture na 4 2 "$NA_FILTER" || not_ok "tcpdump starts" "see $TMP/na.tderr"
	local cap_na=$CAPTURE_PID
	drive take --hold 4000 --count 3 --interval 100 --repeat 0 --refresh 0 \
		"$IF_A" "$VIP4/24" "$VIP6/64"
	local pid=$DRIVE_PID
	check "take succeeds" wait_for 2000 has_line "$TMP/take.out" "^taken rc=0$"
	check "IPv4 VIP appears on A's interface" on_a "$VIP4"
	check "IPv6 VIP appears on A's interface" on_a "$VIP6"
	check "IPv6 VIP is added with nodad" \
		bash -c "ip -n $NS_A addr show dev $IF_A | grep -A0 '$VIP6/' | grep -q nodad"
	check "sockets are non-blocking and close-on-exec" fds_ok "$pid"
	wait "$cap_garp" "$cap_na" 2>/dev/null
	check "one burst = 3 gratuitous ARPs" \
		test "$(count_lines "$TMP/garp.cap" "Request who-has $VIP4 tell $VIP4")" -eq 3
	check "one burst = 3 neighbour advertisements" \
		test "$(count_lines "$TMP/na.cap" "neighbor advertisement, tgt is $VIP6")" -eq 3
	check "GARP updates B's stale IPv4 neighbour to A's MAC" neigh_is -4 "$VIP4" "$MAC_A"
	check "NA updates B's stale IPv6 neighbour to A's MAC" neigh_is -6 "$VIP6" "$MAC_A"

	# The kernel's own notifications time the restore: spawning ip/date here costs tens of ms.
	monitor_start
	for vip in "$VIP4/24" "$VIP6/64"; do
		ip -n "$NS_A" addr del "$vip" dev "$IF_A"
		if ! wait_for 1000 on_a "${vip%/*}"; then
			not_ok "$vip deleted by hand comes back" "still missing after 1 s"
			continue
		fi
		wait_for 1000 has_line "$TMP/monitor.out" "^\\[[^]]*\\] [0-9]+: $IF_A +inet6? ${vip%/*}/"
		dt=$(restore_ms "${vip%/*}")
		if [ -n "$dt" ] && awk -v d="$dt" 'BEGIN { exit !(d <= 200) }'; then
			ok "$vip deleted by hand is back in $dt ms"
		else
			not_ok "$vip deleted by hand is back within 200 ms" "took '$dt' ms"
		fi
	done
	check "the restore is logged as a warning" \
		test "$(count_lines "$TMP/take.err" "warning: vip vip[01]: .* was removed from $IF_A by someone else; restored")" -eq 2
	wait "$pid"
	check "driver exits 0" test $? -eq 0
	check "vipset_held() says held before the release" \
		bash -c "grep -q '^held 0 1$' $TMP/take.out && grep -q '^held 1 1$' $TMP/take.out"
	check "release succeeds" has_line "$TMP/take.out" "^released rc=0$"
	check "release removes the IPv4 VIP" not_on_a "$VIP4"
	check "release removes the IPv6 VIP" not_on_a "$VIP6"
}

fds_ok() { # PID of timeout: every socket of the driver is O_NONBLOCK|O_CLOEXEC
	local drv fd flags n=0
	drv=$(pgrep -P "$1" | head -1)
	[ -n "$drv" ] || return 1
	for fd in /proc/"$drv"/fd/*; do
		case $(readlink "$fd") in socket:*) ;; *) continue ;; esac
		flags=$(awk '/^flags:/ {print $2}' /proc/"$drv"/fdinfo/"${fd##*/}")
		(((8#$flags & 8#2004000) == 8#2004000)) || return 1
		n=$((n + 1))
	done
	[ "$n" -eq 4 ] # request + monitor netlink, AF_PACKET, raw ICMPv6
}

# monitor_start: ip -ts monitor address in A, ready once it has seen a probe address come and go.
monitor_start() {
	timeout 10 ip -n "$NS_A" -ts monitor address >"$TMP/monitor.out" 2>&1 &
	PIDS+=("$!")
	wait_for 3000 probe_monitor
}

probe_monitor() {
	ip -n "$NS_A" addr add 10.99.0.250/32 dev "$IF_A" 2>/dev/null
	ip -n "$NS_A" addr del 10.99.0.250/32 dev "$IF_A" 2>/dev/null
	has_line "$TMP/monitor.out" "Deleted .* 10\\.99\\.0\\.250/32"
}

# restore_ms ADDR: milliseconds from the "Deleted" notification of ADDR to its re-addition.
restore_ms() {
	awk -v a="$1/" '
		/^\[/ && index($0, " " a) {
			ts = substr($1, 2, length($1) - 2)
			split(ts, p, "T"); split(p[2], h, ":")
			t = h[1] * 3600 + h[2] * 60 + h[3]
			if ($2 == "Deleted") d = t
			else if (d != "") { printf "%.3f\n", (t - d) * 1000; exit }
		}' "$TMP/monitor.out"
}

# Burst, second burst after garp-repeat-after, then garp-refresh; and vipset_announcements().
test_schedule() {
	capture sched 20 2 "$GARP_FILTER" || not_ok "tcpdump starts" "see $TMP/sched.tderr"
	local cap=$CAPTURE_PID
	# 0, 50 ms; second burst 500, 550 ms; refresh 1150 ms (next 1750 > hold 1400)
	drive sched --hold 1400 --count 2 --interval 50 --repeat 500 --refresh 600 \
		"$IF_A" "$VIP4/24"
	local pid=$DRIVE_PID
	wait "$pid" "$cap" 2>/dev/null
	check "burst + second burst + refresh = 5 gratuitous ARPs" \
		test "$(count_lines "$TMP/sched.cap" "Request who-has $VIP4")" -eq 5
	check "vipset_announcements() counts 5" has_line "$TMP/sched.out" "^announcements 5$"
	check "schedule run releases" not_on_a "$VIP4"

	capture re 20 2 "$NA_FILTER" || not_ok "tcpdump starts" "see $TMP/re.tderr"
	cap=$CAPTURE_PID
	drive re --hold 1000 --count 2 --interval 50 --repeat 0 --refresh 0 --reannounce-at 500 \
		"$IF_A" "$VIP6/64"
	wait "$DRIVE_PID" "$cap" 2>/dev/null
	check "reannounce sends a fresh burst (2 + 2 NAs)" \
		test "$(count_lines "$TMP/re.cap" "neighbor advertisement, tgt is $VIP6")" -eq 4
}

# Link down (admin, then carrier) reports the fault; release works on the down link.
test_fault() {
	drive fault --hold 5000 --count 1 --release-on-fault "$IF_A" "$VIP4/24" "$VIP6/64"
	local pid=$DRIVE_PID
	check "fault run takes" wait_for 2000 has_line "$TMP/fault.out" "^taken rc=0$"
	ip -n "$NS_A" link set "$IF_A" down
	check "admin down reports fault 1" wait_for 1000 has_line "$TMP/fault.out" "^fault 1$"
	check "release on the down link succeeds" \
		wait_for 1000 has_line "$TMP/fault.out" "^released rc=0$"
	check "release removed the IPv4 VIP from the down link" not_on_a "$VIP4"
	ip -n "$NS_A" link set "$IF_A" up
	check "link up again reports fault 0" wait_for 2000 has_line "$TMP/fault.out" "^fault 0$"
	# The kernel's linkwatch passes carrier changes on at most once a second (the link
	# came up just before), so a carrier loss can take a second to be seen: wait 3 s.
	ip -n "$NS_B" link set "$IF_B" down
	check "carrier loss reports fault 1" \
		wait_for 3000 bash -c "test \$(grep -c '^fault 1$' $TMP/fault.out) -eq 2"
	ip -n "$NS_B" link set "$IF_B" up
	check "carrier back reports fault 0" \
		wait_for 3000 bash -c "test \$(grep -c '^fault 0$' $TMP/fault.out) -eq 2"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	# admin down flushed A's IPv6 addresses: put the base address back
	ip -n "$NS_A" addr replace fd99::1/64 dev "$IF_A" nodad

	# An interface that disappears is a fault; one re-created under its name heals it.
	add_d0
	drive gone --hold 5000 --count 1 --release-on-fault d0 10.98.0.100/24
	pid=$DRIVE_PID
	check "dummy run takes" wait_for 2000 has_line "$TMP/gone.out" "^taken rc=0$"
	ip -n "$NS_A" link del d0
	check "a deleted interface reports fault 1" \
		wait_for 1000 has_line "$TMP/gone.out" "^fault 1$"
	check "release with the interface gone succeeds" \
		wait_for 1000 has_line "$TMP/gone.out" "^released rc=0$"
	add_d0
	check "the interface re-created reports fault 0" \
		wait_for 1000 has_line "$TMP/gone.out" "^fault 0$"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null

	# Already down when the set is made: fault 1 comes from the loop.
	ip -n "$NS_A" link set d0 down
	drive down --watch --hold 300 d0 10.98.0.100/24
	wait "$DRIVE_PID"
	check "an interface down at start reports fault 1" has_line "$TMP/down.out" "^fault 1$"
	ip -n "$NS_A" link del d0
}

add_d0() { # a second interface in A (a veth pair: dummy may be missing from the kernel)
	ip -n "$NS_A" link add d0 type veth peer name d0p &&
		ip -n "$NS_A" link set d0p up && ip -n "$NS_A" link set d0 up
}

# A new MAC while held is announced at once.
test_mac_change() {
	local mac=02:00:00:00:00:aa
	# Before test_fault: after B's link flaps, B's kernel briefly drops multicast (Ip6InNoRoutes).
	ip -n "$NS_B" neigh replace "$VIP4" lladdr "$WRONG_MAC" dev "$IF_B" nud stale
	ip -n "$NS_B" -6 neigh replace "$VIP6" lladdr "$WRONG_MAC" dev "$IF_B" nud stale
	drive mac --debug --hold 3000 --count 2 --interval 50 --repeat 0 --refresh 0 \
		"$IF_A" "$VIP4/24" "$VIP6/64"
	local pid=$DRIVE_PID
	check "mac run takes" wait_for 2000 has_line "$TMP/mac.out" "^taken rc=0$"
	wait_for 1000 neigh_is -4 "$VIP4" "$MAC_A"
	ip -n "$NS_A" link set "$IF_A" address "$mac"
	check "a changed MAC reaches B's IPv4 neighbour" wait_for 1000 neigh_is -4 "$VIP4" "$mac"
	check "a changed MAC reaches B's IPv6 neighbour" wait_for 1000 neigh_is -6 "$VIP6" "$mac"
	ip -n "$NS_B" neigh show dev "$IF_B" >"$TMP/mac.neigh"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	ip -n "$NS_A" link set "$IF_A" address "$MAC_A"
	ip -n "$NS_A" addr del "$VIP4/24" dev "$IF_A" 2>/dev/null
	ip -n "$NS_A" addr del "$VIP6/64" dev "$IF_A" 2>/dev/null
}

# Leftovers are removed whatever their prefix; vipset_free() keeps held addresses.
test_leftovers_and_free() {
	ip -n "$NS_A" addr add "$VIP4/32" dev "$IF_A"
	ip -n "$NS_A" addr add "$VIP6/128" dev "$IF_A" nodad
	drive left --leftovers "$IF_A" "$VIP4/24" "$VIP6/64"
	wait "$DRIVE_PID"
	check "remove_leftovers succeeds" has_line "$TMP/left.out" "^leftovers rc=0$"
	check "leftover IPv4 VIP removed" not_on_a "$VIP4"
	check "leftover IPv6 VIP removed" not_on_a "$VIP6"
	check "each leftover is logged" \
		test "$(count_lines "$TMP/left.err" "removed leftover")" -eq 2
	check "leftovers report held 0" has_line "$TMP/left.out" "^held 0 0$"

	drive keep --hold 200 --no-release --count 1 "$IF_A" "$VIP4/24"
	wait "$DRIVE_PID"
	check "vipset_free() leaves the VIP on the interface" on_a "$VIP4"
	ip -n "$NS_A" addr del "$VIP4/24" dev "$IF_A"
}

# A release that fails (netlink EPERM: CAP_NET_ADMIN out of the effective set) is counted and
# retried with backoff (100 ms doubling) until it works.
test_release_retry() {
	drive retry --hold 300 --count 1 --eperm-release 700 "$IF_A" "$VIP4/24" "$VIP6/64"
	wait "$DRIVE_PID"
	check "release without CAP_NET_ADMIN fails (EPERM)" has_line "$TMP/retry.out" "^released rc=-1$"
	check "the VIPs are still there right after the failed release" \
		test "$(count_lines "$TMP/retry.out" "^held [01] 1$")" -ge 2
	check "the capability came back" has_line "$TMP/retry.out" "^admin restored rc=0$"
	check "the retry removed both VIPs" eval "not_on_a $VIP4 && not_on_a $VIP6"
	check "both are logged as released on a retry" \
		test "$(count_lines "$TMP/retry.err" "released from $IF_A on retry [0-9]+")" -eq 2
	local n
	n=$(sed -n 's/^release_failures //p' "$TMP/retry.out")
	# first try (2 VIPs) + retries at 100, 300, 700 ms after it (2 each, the last one works)
	check "failures are counted: first try and every failed retry ($n, 6..10)" \
		test "${n:-0}" -ge 6 -a "${n:-0}" -le 10
	check "held 0 at the end" eval "has_line $TMP/retry.out '^held 0 0$' && has_line $TMP/retry.out '^held 1 0$'"
}

# Construction errors come back as clear reasons.
test_errors() {
	drive noif "nosuch0" "$VIP4/24"
	wait "$DRIVE_PID"
	check "missing interface fails vipset_new" test $? -eq 3
	check "missing interface is named" \
		has_line "$TMP/noif.out" "^error: vip vip0: interface nosuch0 does not exist$"

	timeout 20 ip netns exec "$NS_A" setpriv --bounding-set=-net_admin --inh-caps=-net_admin \
		"$DRIVE" "$IF_A" "$VIP4/24" >"$TMP/noadmin.out" 2>&1
	check "no CAP_NET_ADMIN is reported" has_line "$TMP/noadmin.out" \
		"^error: vip vip0: adding addresses needs CAP_NET_ADMIN: Operation not permitted$"
	check "no CAP_NET_ADMIN adds nothing" not_on_a "$VIP4"

	timeout 20 ip netns exec "$NS_A" setpriv --bounding-set=-net_raw --inh-caps=-net_raw \
		"$DRIVE" "$IF_A" "$VIP4/24" >"$TMP/noraw.out" 2>&1
	check "no CAP_NET_RAW is reported" has_line "$TMP/noraw.out" \
		"^error: vip vip0: sending gratuitous ARP needs CAP_NET_RAW: Operation not permitted$"

	ip netns exec "$NS_A" sysctl -qw "net.ipv6.conf.$IF_A.disable_ipv6=1"
	drive nov6 "$IF_A" "$VIP6/64"
	wait "$DRIVE_PID"
	check "IPv6 VIP on an IPv6-disabled interface is refused" \
		has_line "$TMP/nov6.out" "^error: vip vip0: IPv6 is disabled on interface $IF_A$"
	ip netns exec "$NS_A" sysctl -qw "net.ipv6.conf.$IF_A.disable_ipv6=0"
}

find_driver() { # sets DRIVE; only from the build directory (a copy compiled here could link a stale library)
	[ -n "$DRIVE" ] || DRIVE=$build/tests/integration/vipset_drive
	[ -x "$DRIVE" ]
}

main() {
	if [ "$(id -u)" -ne 0 ] || ! command -v tcpdump >/dev/null || ! command -v setpriv >/dev/null; then
		echo "SKIP: needs root, tcpdump and setpriv"
		echo "0 passed, 0 failed"
		exit 77
	fi
	if ! find_driver; then
		not_ok "vipset_drive is available" "set VIPSET_DRIVE or build $build first"
		echo "$passed passed, $failed failed"
		exit 1
	fi
	if ! setup; then
		not_ok "namespace setup" "ip commands failed"
		echo "$passed passed, $failed failed"
		exit 1
	fi
	MAC_A=$(ip -n "$NS_A" link show "$IF_A" | awk '/link\/ether/ {print $2}')
	test_take_restore_release
	test_schedule
	test_mac_change
	test_fault
	test_leftovers_and_free
	test_release_retry
	test_errors
	if [ "$failed" -ne 0 ]; then
		echo "driver output kept in $TMP"
		trap - EXIT
		cleanup_keep_tmp
	fi
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

main "$@"
