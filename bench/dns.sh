#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/dns.sh: time from a takeover (the VIP added on the new leader) to the DNS name answering
# with the new leader's address, over TRIALS failovers (kill -9 of the leader).
#   bench/dns.sh [TRIALS]     (default 20)
# Two kcwatchd (target = self, fence = yes) and a private named on one bridge of network
# namespaces (tests/integration/lib.sh). The takeover time is the new leader's log line
# "vip ...: added" (ms); the answer is seen by a poller in the named namespace that sends an A
# query every 2 ms (a dig per query is too slow to time this: each run costs several ms),
# and a dig then confirms it. The daemon's debug log gives the steps in between.
# Target: median under 50 ms.
set -euo pipefail
trials=${1:-20}
top=$(cd "$(dirname "$0")/.." && pwd)
export KCW_TOP=$top KCW_BUILD=${KCW_BUILD:-$top/build}
. "$top/tests/integration/lib.sh"
t_require_root
# KCW_KEEP_LOGS=DIR: copy the logs there before lib.sh's cleanup deletes them.
if [ -n "${KCW_KEEP_LOGS:-}" ] && [ "${KCW_KEEP_LOGS#/}" != "$KCW_KEEP_LOGS" ]; then
	trap 'rm -rf "$KCW_KEEP_LOGS"; cp -r "$T_DIR" "$KCW_KEEP_LOGS" 2>/dev/null; t_cleanup' EXIT
fi
[ -x "$KCWATCHD" ] || { echo "build first: ./tests/run.sh or make -C build" >&2; exit 1; }
t_require_tools named dig tsig-keygen jq

t_lan lb1 lb2 dns
ns_ip=$(t_ip4 dns)
zone=local.mylab.io
name=keycloak.$zone
key="$T_DIR/cluster.key"
t_keyfile "$key"
t_named_setup dns "$zone" "keycloak     IN A    192.0.2.1"
t_named_start 5000 || { echo "named did not start" >&2; tail "$T_DIR/named.log" >&2; exit 1; }

t_conf_cluster "$T_DIR/kcw.conf" name=bench preempt=no
t_conf_vip "$T_DIR/kcw.conf" keycloak 10.77.0.215/24
cat >>"$T_DIR/kcw.conf" <<CONF

[dns]
server = $ns_ip
zone = $zone
name = $name
ttl = 30
target = self
tsig-key-file = tsig.key
fence = yes
fence-renew = 10s
timeout = 1s
CONF

# poll.py IP PORT NAME WANT MAX_MS: an A query every 2 ms until WANT is in the answer; prints the
# ms of the day (local time, as the daemon logs) of that answer and the number of queries.
cat >"$T_DIR/poll.py" <<'PY'
import os, select, socket, struct, sys, time

def ms_of_day(t):
    lt = time.localtime(t)
    return ((lt.tm_hour * 60 + lt.tm_min) * 60 + lt.tm_sec) * 1000 + int((t % 1) * 1000)

def query(qid, name):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"
    return struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0) + q + struct.pack(">HH", 1, 1)

def answers(pkt):
    """(id, rcode, [A addresses]) of an answer."""
    hid, flags, qd, an, _, _ = struct.unpack(">HHHHHH", pkt[:12])
    off = 12
    for _ in range(qd):
        while pkt[off]:
            off += pkt[off] + 1
        off += 5
    out = []
    for _ in range(an):
        if pkt[off] & 0xC0 == 0xC0:
            off += 2
        else:
            while pkt[off]:
                off += pkt[off] + 1
            off += 1
        typ, _, _, rdlen = struct.unpack(">HHIH", pkt[off:off + 10])
        off += 10
        if typ == 1 and rdlen == 4:
            out.append(socket.inet_ntoa(pkt[off:off + 4]))
        off += rdlen
    return hid, flags & 0xF, out

ip, port, name, want, max_ms = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((ip, port))
end = time.time() + max_ms / 1000.0
n = 0
last = None
print("ready", ms_of_day(time.time()), flush=True)
while time.time() < end:
    n += 1
    qid = struct.unpack(">H", os.urandom(2))[0]
    sent = time.time()
    s.send(query(qid, name))
    while True:  # this query's answer (late answers to earlier ones are skipped), 50 ms at most
        r, _, _ = select.select([s], [], [], max(0.0, sent + 0.05 - time.time()))
        if not r:
            break
        try:
            hid, rcode, got = answers(s.recv(4096))
        except (IndexError, struct.error):
            continue
        if hid != qid:
            continue
        if want in got:
            print(ms_of_day(time.time()), n, flush=True)
            sys.exit(0)
        last = (rcode, got)
        break
    time.sleep(max(0.0, 0.002 - (time.time() - sent)))
print(-1, n, ms_of_day(time.time()), "last answer (rcode, A):", last, flush=True)
sys.exit(1)
PY

role_is() { [ "$(t_role "$1")" = "$2" ]; }
# ms_of NODE REGEX AFTER_MS: the first log line of NODE matching REGEX at or after AFTER_MS
ms_of() {
	awk -v re="$2" -v after="$3" '$0 ~ re {
		split(substr($1, 1, 8), t, ":")
		ms = ((t[1] * 60 + t[2]) * 60 + t[3]) * 1000 + substr($1, 10, 3)
		if (ms >= after) { print ms; found = 1; exit }
	} END { if (!found) print -1 }' "$T_DIR/$1.log"
}

t_start lb1 "$T_DIR/kcw.conf"
t_start lb2 "$T_DIR/kcw.conf"
t_wait 5000 role_is lb1 leader >/dev/null || { echo "no leader" >&2; exit 1; }
t_wait 5000 role_is lb2 follower >/dev/null
t_wait 3000 sh -c "[ \"\$(ip netns exec $(t_ns dns) dig @$ns_ip +short A $name)\" = $(t_ip4 lb1) ]" \
	>/dev/null || { echo "the name never pointed at lb1" >&2; exit 1; }
leader=lb1 follower=lb2
results=()
# kill->vip: the election (dead-after x interval); vip->seen: what this measures, in steps:
# ->read: VIP added to fence read sent; read: its round trip; update: answer read to update
# answered; ->visible: update answered to the poller's answer (negative: seen first)
printf '%5s %6s %9s %9s %7s %5s %7s %9s %7s\n' trial leader "kill->vip" "vip->seen" "->read" read update \
	"->visible" queries
for i in $(seq "$trials"); do
	want=$(t_ip4 "$follower")
	sleep 0.3
	out=$T_DIR/poll-$i.out
	t_exec dns "$T_PY" "$T_DIR/poll.py" "$ns_ip" 53 "$name" "$want" 10000 >"$out" 2>&1 &
	poller=$!
	t_wait 10000 grep -q ready "$out" >/dev/null || { echo "the poller did not start" >&2; exit 1; }
	kstart=$(t_ms_of_day)
	{ t_stop "$leader" KILL || true; } 2>/dev/null # (the shell reports the kill)
	wait "$poller" || true
	read -r seen nq < <(sed -n 2p "$out")
	seen=${seen:--1}
	if [ "$seen" -lt 0 ]; then
		echo "trial $i: the name never pointed at $follower within 10 s; poller: $(tr '\n' ' ' <"$out")" >&2
		grep -v announced "$T_DIR/$follower.log" | tail -20 >&2
		exit 1
	fi
	confirm=$(t_dig "$name" A)
	[ "$confirm" = "$want" ] || { echo "trial $i: dig says '$confirm', want $want" >&2; exit 1; }
	vip=$(ms_of "$follower" 'vip keycloak: added' "$kstart")
	rsent=$(ms_of "$follower" 'fence read sent' "$vip")
	rdone=$(ms_of "$follower" 'handle_read: fence' "$vip")
	udone=$(ms_of "$follower" "handle_update: $name -> A $want" "$vip")
	d=$((seen - vip))
	results+=("$d")
	printf '%5d %6s %9d %9d %7d %5d %7d %9d %7d\n' "$i" "$follower" $((vip - kstart)) "$d" $((rsent - vip)) \
		$((rdone - rsent)) $((udone - rdone)) $((seen - udone)) "$nq"
	t_start "$leader" "$T_DIR/kcw.conf"
	t_wait 5000 role_is "$leader" follower >/dev/null || { echo "restarted $leader did not follow" >&2; exit 1; }
	tmp=$leader leader=$follower follower=$tmp
done
sorted=$(printf '%s\n' "${results[@]}" | sort -n)
n=${#results[@]}
min=$(head -1 <<<"$sorted")
max=$(tail -1 <<<"$sorted")
if [ $((n % 2)) -eq 1 ]; then
	median=$(sed -n "$((n / 2 + 1))p" <<<"$sorted")
else
	a=$(sed -n "$((n / 2))p" <<<"$sorted"); b=$(sed -n "$((n / 2 + 1))p" <<<"$sorted")
	median=$(((a + b) / 2))
fi
echo "takeover (VIP added) -> name answers the new leader, $n trials: median $median ms, min $min ms, max $max ms (target < 50 ms)"
[ "$median" -lt 50 ]
