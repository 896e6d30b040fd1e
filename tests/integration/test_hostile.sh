#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_hostile.sh: hostile input: forged, replayed, reordered, truncated, oversized heartbeats; control socket abuse; key file and secrets.
# lb1 leads, lb2 follows, lb3 runs no daemon: it is where the forged traffic comes from.
# Every phase ends with the same check: lb1 still leads with the term it had, lb2 still
# follows it, and nothing was counted anywhere but under the expected drop reason.
. "$(dirname "$0")/lib.sh"
t_require_root

PY=${T_PY:-$(command -v /usr/bin/python3 || command -v python3)}
# ASan keeps freed memory in quarantine: RSS says nothing about leaks in such a build.
sanitized=no
{ [ -n "${ASAN_OPTIONS:-}" ] || grep -qa '__asan_init' "$KCWATCHD" 2>/dev/null; } && sanitized=yes

t_lan lb1 lb2 lb3
key="$T_DIR/cluster.key"
t_keyfile "$key"
conf="$T_DIR/kcwatch.conf"
# lb3 runs no daemon: the test sends from its address
t_conf_cluster "$conf" port=7112 preempt=yes lb1:150 lb2:100 lb3:50
lb1=$(t_ip4 lb1)
lb3=$(t_ip4 lb3)

# --- helper: raw datagrams and control socket clients --------------------------------------------
hp="$T_DIR/hostile.py"
cat >"$hp" <<'PY'
# hostile.py: raw heartbeat datagrams and abusive control socket clients for test_hostile.sh.
import json, os, resource, selectors, socket, sys, time

def send(src, dst, port, payloads):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    for p in payloads:
        s.sendto(p, (dst, port))
        time.sleep(0.002)

def capture(addr, port, timeout, out):
    """One datagram sent to addr:port (by hbforge), written to out."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    s.settimeout(timeout)
    data = s.recv(65536)
    open(out, "wb").write(data)

def one(sock, payload, hold_s):
    """Sends payload (maybe nothing), reads until the server closes or hold_s passes.
    Prints the elapsed seconds and the reply."""
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(sock)
    if payload:
        c.sendall(payload)
    c.settimeout(hold_s)
    start = time.monotonic()
    reply = b""
    try:
        while True:
            d = c.recv(65536)
            if not d:
                break
            reply += d
    except socket.timeout:
        print("%.2f OPEN" % (time.monotonic() - start))
        return 1
    except ConnectionResetError:
        pass
    print("%.2f %s" % (time.monotonic() - start, reply.decode(errors="replace").strip()))
    return 0

def storm(sock, n, mode, max_s):
    """n clients at once. active: each sends "status" and reads its answer. idle: each
    connects and sends nothing until the server closes it. Prints a JSON summary."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (n + 256, n + 256))
    sel = selectors.DefaultSelector()
    st = {"connected": 0, "answered": 0, "busy": 0, "closed_silent": 0, "other": 0,
          "connect_errors": 0, "open_at_end": 0, "max_s": 0.0}
    pending = n
    end = time.monotonic() + max_s
    start = time.monotonic()
    open_socks = {}
    while (pending or open_socks) and time.monotonic() < end:
        # connect what the backlog takes now
        while pending:
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.setblocking(False)
            try:
                c.connect(sock)
            except BlockingIOError:
                c.close()
                break
            except OSError:
                c.close()
                st["connect_errors"] += 1
                pending -= 1
                continue
            pending -= 1
            st["connected"] += 1
            if mode == "active":
                c.send(b"status\n")
            open_socks[c] = b""
            sel.register(c, selectors.EVENT_READ)
        for k, _ in sel.select(timeout=0.05):
            c = k.fileobj
            try:
                d = c.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except ConnectionResetError:
                d = b""
            if d:
                open_socks[c] += d
                continue
            reply = open_socks.pop(c)
            sel.unregister(c)
            c.close()
            st["max_s"] = max(st["max_s"], time.monotonic() - start)
            try:
                o = json.loads(reply) if reply else None
            except ValueError:
                o = "bad"
            if o is None:
                st["closed_silent"] += 1
            elif isinstance(o, dict) and "too many control clients" in o.get("error", ""):
                st["busy"] += 1
            elif isinstance(o, dict) and "role" in o:
                st["answered"] += 1
            else:
                st["other"] += 1
    st["open_at_end"] = len(open_socks) + pending
    st["max_s"] = round(st["max_s"], 2)
    print(json.dumps(st, sort_keys=True))
    return 0

def main(a):
    if a[0] == "send":
        kinds = {
            "empty": [b""],
            "short": [b"KCW1" + os.urandom(20) for _ in range(5)],
            "garbage": [b"\x00" + os.urandom(99) for _ in range(5)],
            "http": [b"GET / HTTP/1.0\r\n\r\n" + b"x" * 40],
            "oversize": [b"KCW1" + os.urandom(9000), b"KCW1" + os.urandom(8189),
                         b"KCW1" + os.urandom(60000)],
        }
        send(a[1], a[2], int(a[3]), kinds[a[4]])
    elif a[0] == "signed":  # SRC DST PORT KEYFILE: signed with the right key, no valid protobuf
        import base64, hashlib, hmac
        key = base64.b64decode(open(a[4]).read().strip())
        bodies = [b"\xff" * 11,            # a field key that is an overlong varint
                  b"\x12\x50abc"]         # field 2, 80 bytes long, 3 there
        dgrams = []
        for body in bodies:
            d = b"KCW1" + body
            dgrams.append(d + hmac.new(key, d, hashlib.sha256).digest())
        send(a[1], a[2], int(a[3]), dgrams)
    elif a[0] == "sendfile":  # SRC DST PORT FILE KEEP_BYTES (negative: drop that many at the end)
        data = open(a[4], "rb").read()
        k = int(a[5])
        send(a[1], a[2], int(a[3]), [data[:k]])
    elif a[0] == "capture":
        capture(a[1], int(a[2]), float(a[3]), a[4])
    elif a[0] == "one":
        kinds = {"none": b"", "partial": b"stat", "garbage": b"garbage \x01\x02 words\n",
                 "long": b"status " + b"A" * 10240 + b"\n",
                 "binary": bytes(range(256)) * 4, "many": b"a b c d e f g h\n",
                 "crlf": b"status\r\n"}
        return one(a[1], kinds[a[2]], float(a[3]))
    elif a[0] == "storm":
        return storm(a[1], int(a[2]), a[3], float(a[4]))
    return 0

sys.exit(main(sys.argv[1:]))
PY

# --- helpers ----------------------------------------------------------------------------------
role_is() { [ "$(t_role "$1")" = "$2" ]; }
leader_of_is() { [ "$(t_field "$1" .leader)" = "$2" ]; }
one_leader_lb1() { role_is lb1 leader && role_is lb2 follower && leader_of_is lb2 lb1; }
drops() { t_field lb1 ".heartbeat.dropped.$1"; }
pid1() { echo "${T_NODE_PID[lb1]}"; }
fds() { find "/proc/$(pid1)/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$(pid1)/status"; }
# Total of all drop counters: a phase must not spill into reasons it does not expect.
drops_total() { t_json lb1 | jq '[.heartbeat.dropped[]] | add'; }
lb2_takeovers() { grep -c 'role follower -> leader' "$T_DIR/lb2.log"; }

# steady PHASE: lb1 leads with the term it had, lb2 follows it, lb2 never took over.
steady() {
	t_eq "$1: lb1 still leads with the same term" "$(t_role lb1)/$(t_field lb1 .term)" \
		"leader/$term1"
	t_eq "$1: lb2 still follows lb1 and never led" \
		"$(t_role lb2)/$(t_field lb2 .leader)/$(lb2_takeovers)" "follower/lb1/0"
}
# expect_drop PHASE REASON N CMD...: runs CMD, then the REASON counter grew by N and no other.
expect_drop() {
	local phase=$1 reason=$2 n=$3 r0 t0 r1 t1
	shift 3
	r0=$(drops "$reason"); t0=$(drops_total)
	"$@"
	sleep 0.4
	r1=$(drops "$reason"); t1=$(drops_total)
	t_eq "$phase: $n counted as dropped.$reason" "$((r1 - r0))" "$n"
	t_eq "$phase: nothing counted under another reason" "$((t1 - t0))" "$n"
}
forge() { t_exec lb3 "$HBFORGE" -d "$lb1:7112" -b "$lb3" -c keycloak -n lb3 -r 1 -p 50 -L lb1 "$@"; }
raw() { t_exec lb3 "$PY" "$hp" send "$lb3" "$lb1" 7112 "$1"; }

# --- start ------------------------------------------------------------------------------------
t_start lb1 "$conf"
t_start lb2 "$conf"
ms=$(t_wait 3000 one_leader_lb1); rc=$?
t_check "lb1 leads, lb2 follows (${ms} ms)" [ $rc -eq 0 ]
term1=$(t_field lb1 .term)
sleep 1 # let the first control clients and heartbeats settle before taking the baseline
fd0=$(fds); rss0=$(rss_kb)
t_log "lb1 pid $(pid1): $fd0 fds, VmRSS $rss0 kB, term $term1"

# --- heartbeats ---------------------------------------------------------------------------------
inc=$(( $(date +%s%3N) << 16 ))
expect_drop "forged (wrong key)" auth 20 forge -K -t "$term1" -i "$inc" -x 20
expect_drop "forged, claiming to lead with a huge term" auth 10 \
	forge -K -r 2 -t 999999 -p 254 -i "$inc" -x 10
# lb3's first signed heartbeat is accepted; then the same datagram again (a replay)
forge -k "$key" -t "$term1" -i "$inc" -s 100 -x 1
sleep 0.3
t_eq "a valid heartbeat of lb3 is accepted" \
	"$(t_field lb1 '.peers[] | select(.node == "lb3") | .received')" 1
# A node silent for dead-after x interval (600 ms) is forgotten, and then any incarnation is
# taken (a restart whose incarnation went backwards must be heard again). So each replay
# below follows a fresh heartbeat of lb3 within that time: lb3 is alive, its state is kept.
fresh=100
alive_then() { fresh=$((fresh + 1)); forge -k "$key" -t "$term1" -i "$inc" -s "$fresh" -x 1 && "$@"; }
expect_drop "replayed (the same datagram 5 times)" replay 5 \
	alive_then forge -k "$key" -t "$term1" -i "$inc" -s 100 -x 5 -R
expect_drop "reordered (sequence below the last one)" replay 3 \
	alive_then forge -k "$key" -t "$term1" -i "$inc" -s 50 -x 3
expect_drop "older incarnation" replay 2 \
	alive_then forge -k "$key" -t "$term1" -i $((inc - 1)) -s 500 -x 2
expect_drop "unknown protocol version" version 2 \
	forge -k "$key" -t "$term1" -i "$inc" -s 200 -x 2 -V 9
expect_drop "signed with the right key, but no protobuf inside" decode 2 \
	t_exec lb3 "$PY" "$hp" signed "$lb3" "$lb1" 7112 "$key"
# lb3_claims CLUSTER NODE: 3 heartbeats with the right key from lb3's address, as NODE of CLUSTER
lb3_claims() {
	t_exec lb3 "$HBFORGE" -k "$key" -d "$lb1:7112" -b "$lb3" -c "$1" -n "$2" -r 2 -t 999999 \
		-p 254 -i "$inc" -x 3
}
expect_drop "right key, from lb3's address, claiming to be lb2" source 3 \
	lb3_claims keycloak lb2
expect_drop "right key, claiming to be lb1 itself" self 3 \
	lb3_claims keycloak lb1
expect_drop "right key, a node that is not configured" unknown_node 3 \
	lb3_claims keycloak lb9
expect_drop "right key, another cluster" cluster 3 \
	lb3_claims other lb3
# a valid datagram captured on the wire (in lb3's namespace), then sent cut short
t_exec lb3 "$PY" "$hp" capture "$lb3" 7999 5 "$T_DIR/valid.dgram" &
cap=$!
for _ in $(seq 40); do # until the capture has bound its socket and got the datagram
	t_exec lb3 "$HBFORGE" -k "$key" -d "$lb3:7999" -c keycloak -n lb3 -r 1 -p 50 \
		-t "$term1" -i "$inc" -s 1000 -x 1
	sleep 0.1
	kill -0 "$cap" 2>/dev/null || break
done
wait "$cap"
len=$(stat -c %s "$T_DIR/valid.dgram" 2>/dev/null || echo 0)
t_check "captured a valid heartbeat ($len bytes)" [ "$len" -gt 36 ]
expect_drop "truncated (last byte cut: the tag no longer matches)" auth 1 \
	t_exec lb3 "$PY" "$hp" sendfile "$lb3" "$lb1" 7112 "$T_DIR/valid.dgram" -1
expect_drop "truncated (20 bytes left)" short 1 \
	t_exec lb3 "$PY" "$hp" sendfile "$lb3" "$lb1" 7112 "$T_DIR/valid.dgram" 20
expect_drop "truncated (magic and 1 byte)" short 1 \
	t_exec lb3 "$PY" "$hp" sendfile "$lb3" "$lb1" 7112 "$T_DIR/valid.dgram" 5
expect_drop "empty datagram" short 1 raw empty
expect_drop "short garbage after the magic" short 5 raw short
expect_drop "garbage without the magic" magic 5 raw garbage
expect_drop "an HTTP request" magic 1 raw http
expect_drop "oversized (8193, 9004 and 60004 bytes)" oversize 3 raw oversize
t_exec lb3 ip addr add 10.77.0.99/24 dev eth0
expect_drop "from an address that is no node (dropped before any HMAC work)" unknown_source 5 \
	t_exec lb3 "$PY" "$hp" send 10.77.0.99 "$lb1" 7112 garbage
# the captured datagram whole, right after lb3 sent a newer one: a replay
newer_then() { forge -k "$key" -t "$term1" -i "$inc" -s 2000 -x 1 && "$@"; }
expect_drop "the captured datagram after newer ones" replay 1 \
	newer_then t_exec lb3 "$PY" "$hp" sendfile "$lb3" "$lb1" 7112 "$T_DIR/valid.dgram" 100000
# a flood of forged heartbeats must not starve the real ones
t0=$(t_now)
forge -K -r 2 -t 999999 -p 254 -i "$inc" -x 20000
t_log "20000 forged heartbeats sent in $(( $(t_now) - t0 )) ms"
sleep 1
steady "after all the heartbeat attacks"
# rcvbuf is the kernel's count of datagrams a full receive buffer dropped: test_flood
t_eq "every drop reason was seen (but rcvbuf)" \
	"$(t_json lb1 | jq -c '[.heartbeat.dropped | to_entries[] | select(.value == 0 and .key != "rcvbuf") | .key]')" "[]"
t_check "lb1 kept sending its own heartbeats to lb2" \
	[ "$(t_field lb2 '.peers[] | select(.node == "lb1") | .last_seen_ms')" -lt 400 ]

# --- control socket: a caller that is not root -------------------------------------------------
sock="$T_DIR/lb1.sock"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
out=$(nobody "$KCWATCHCTL" -s "$sock" step-down 2>&1); rc=$?
t_eq "uid 65534 cannot reach the socket (mode 0660, exit 3)" "$rc" 3
# an operator opens the socket to everyone by mistake: the daemon still checks the caller
chmod 0711 "$T_DIR"
chmod 0666 "$sock"
out=$(nobody "$KCWATCHCTL" -s "$sock" step-down 2>&1); rc=$?
t_eq "step-down from uid 65534 is refused (exit 1)" "$rc" 1
t_check "with 'permission denied' ($out)" grep -q "permission denied: 'step-down' needs root" <<<"$out"
for c in "maintenance on" reload; do
	# shellcheck disable=SC2086 # two words on purpose
	out=$(nobody "$KCWATCHCTL" -s "$sock" $c 2>&1); rc=$?
	t_eq "'$c' from uid 65534 is refused" "$rc/$(grep -c 'permission denied' <<<"$out")" 1/1
done
out=$(nobody "$KCWATCHCTL" -s "$sock" status --json 2>/dev/null | jq -r .role); rc=$?
t_eq "status from uid 65534 is answered" "$out" leader
t_check "the refusal is logged with the uid" grep -q "refused 'step-down' from uid 65534" "$T_DIR/lb1.log"
chmod 0660 "$sock"
chmod 0700 "$T_DIR"
steady "after the refused step-down"

# --- control socket: clients that misbehave -------------------------------------------------------
one() { "$PY" "$hp" one "$sock" "$@"; }
out=$(one none 10)
secs=${out%% *}
t_check "a client that sends nothing is closed after the idle timeout (${secs} s, 5..7)" \
	awk -v s="$secs" 'BEGIN { exit !(s >= 4.9 && s <= 7.0) }'
t_check "without an answer" [ "${out#* }" = "" ]
out=$(one partial 10)
secs=${out%% *}
t_check "a client that sends half a line is closed after the idle timeout (${secs} s)" \
	awk -v s="$secs" 'BEGIN { exit !(s >= 4.9 && s <= 7.0) }'
out=$(one garbage 5)
t_check "garbage is answered with an error ($out)" grep -q '"error":"unknown command' <<<"$out"
out=$(one long 5)
t_check "a 10 KB line is answered 'request too long' ($out)" grep -q '"error":"request too long"' <<<"$out"
out=$(one binary 5)
t_check "binary bytes are answered with an error" grep -q '"error"' <<<"$out"
out=$(one many 5)
t_check "too many words are answered with an error ($out)" grep -q '"error":"too many arguments"' <<<"$out"
out=$(one crlf 5)
t_check "CRLF line ends are accepted" grep -q '"role":"leader"' <<<"$out"
# 1000 idle clients at once: the oldest idle ones make room for newcomers, so nobody is
# turned away and the operator is never locked out; the rest close at the idle timeout
t0=$(t_now)
"$PY" "$hp" storm "$sock" 1000 idle 20 >"$T_DIR/idle.json" &
storm=$!
sleep 1
ms=$(t_wait 3000 t_json lb1); rc=$?
t_check "kcwatchctl status is answered while 1000 idle clients hold on (${ms} ms)" [ $rc -eq 0 ]
wait "$storm"
out=$(cat "$T_DIR/idle.json")
t_log "1000 idle clients: $out ($(( $(t_now) - t0 )) ms)"
t_eq "1000 idle clients: all connected, none turned away, all closed by the daemon" \
	"$(jq -r '"\(.connected) \(.closed_silent) \(.busy) \(.open_at_end)"' <<<"$out")" "1000 1000 0 0"
t_check "and the idle ones were closed within 7 s" [ "$(jq -r '.max_s | floor' <<<"$out")" -le 7 ]
# 1000 clients asking at once, while an operator asks too
"$PY" "$hp" storm "$sock" 1000 active 30 >"$T_DIR/storm.json" &
storm=$!
ok=0
for _ in $(seq 10); do
	[ "$(t_field lb1 .role)" = leader ] && ok=$((ok + 1))
	sleep 0.05
done
wait "$storm"
out=$(cat "$T_DIR/storm.json")
t_log "1000 active clients: $out"
t_eq "1000 active clients: every one answered with the status" \
	"$(jq -r '"\(.answered) \(.other) \(.closed_silent) \(.open_at_end)"' <<<"$out")" "1000 0 0 0"
t_eq "kcwatchctl status answered during the storm (10 of 10)" "$ok" 10
# a second round: memory and fds must come back to where they were
"$PY" "$hp" storm "$sock" 1000 active 30 >/dev/null
"$PY" "$hp" storm "$sock" 600 idle 20 >/dev/null
sleep 1.2 # the sweep of the last clients
steady "after the control socket abuse"

# --- no leaks ---------------------------------------------------------------------------------
t_eq "lb1's open fds are back to the baseline" "$(fds)" "$fd0"
rss1=$(rss_kb)
t_log "VmRSS ${rss0} kB before, ${rss1} kB after"
if [ "$sanitized" = no ]; then
	t_le "VmRSS grew by less than 1 MB" "$((rss1 - rss0))" 1024
else
	t_log "sanitizer build: the RSS bound is not checked (ASan quarantine)"
fi

# --- key file ------------------------------------------------------------------------------------
chmod 0644 "$key"
out=$(t_exec lb1 "$KCWATCHD" -t -c "$conf" 2>&1); rc=$?
t_eq "a key file readable by others is refused (exit 1)" "$rc" 1
t_check "with a clear message ($out)" \
	grep -q "key-file $key is readable by others (mode 0644); chmod 0600 or 0640" <<<"$out"
chmod 0602 "$key"
out=$(t_exec lb1 "$KCWATCHD" -t -c "$conf" 2>&1); rc=$?
grep -q "is writable by others" <<<"$out" || rc=$((rc + 10))
t_eq "a key file writable by others is refused ($out)" "$rc" 1
chmod 0640 "$key"
out=$(t_exec lb1 "$KCWATCHD" -t -c "$conf" 2>&1); rc=$?
t_eq "mode 0640 is accepted" "$rc" 0
ln -s "$key" "$T_DIR/link.key"
chmod 0644 "$key"
sed "s|^key-file = .*|key-file = $T_DIR/link.key|" "$conf" >"$T_DIR/link.conf"
out=$(t_exec lb1 "$KCWATCHD" -t -c "$T_DIR/link.conf" 2>&1); rc=$?
grep -q "readable by others" <<<"$out" || rc=$((rc + 10))
t_eq "a symlink to a key file readable by others is refused too" "$rc" 1
chmod 0600 "$key"
# the daemon itself does not start with an open key file
chmod 0644 "$key"
t_exec lb3 "$KCWATCHD" -c "$conf" -n lb3 -s "$T_DIR/lb3.sock" >"$T_DIR/lb3.log" 2>&1 &
p3=$!
T_PIDS+=("$p3")
ms=$(t_wait 3000 bash -c "! kill -0 $p3 2>/dev/null"); rc=$?
wait "$p3"; rc3=$?
chmod 0600 "$key"
[ $rc -eq 0 ] || rc3=0 # still running after 3 s: it started
t_check "kcwatchd refuses to start with it (exit $rc3, ${ms} ms)" [ $rc3 -ne 0 ]
t_check "and says why" grep -q "readable by others" "$T_DIR/lb3.log"

# --- key file rules (issue 14.4): group-writable, owner, FIFO for the cluster key ---------------
kt() { out=$(t_exec lb1 timeout 5 "$KCWATCHD" -t -c "$1" 2>&1); rc=$?; } # CONF: -t where lb1 is local, bounded
chmod 0660 "$key"
kt "$conf"
t_eq "a group-writable cluster key is refused (exit 1)" "$rc" 1
t_check "naming the rule ($out)" grep -q "key-file $key is writable by its group (mode 0660); chmod 0600 or 0640" <<<"$out"
chmod 0600 "$key"
chown 65534 "$key"
kt "$conf"
t_eq "a cluster key owned by another user is refused (exit 1)" "$rc" 1
t_check "naming the rule ($out)" grep -q "key-file $key is owned by uid 65534, not by root or the daemon's user; chown root" <<<"$out"
chown 0 "$key"
mkfifo -m 0600 "$T_DIR/fifo.key"
sed "s|^key-file = .*|key-file = $T_DIR/fifo.key|" "$conf" >"$T_DIR/fifo.conf"
kt "$T_DIR/fifo.conf"
t_eq "a FIFO as the cluster key is refused at once, without blocking (exit 1)" "$rc" 1
t_check "naming the rule ($out)" grep -q "key-file $T_DIR/fifo.key is not a regular file" <<<"$out"

# --- the TSIG key file follows the same rules (FILE:LINE of tsig-key-file) ----------------------
tsig="$T_DIR/tsig.key"
tsig-keygen -a hmac-sha256 kcwatch-key >"$tsig"
chmod 0600 "$tsig"
dconf="$T_DIR/dns.conf"
cp "$conf" "$dconf"
printf '\n[dns]\nserver = %s\nzone = local.mylab.io\nname = keycloak.local.mylab.io\ntarget = self\ntsig-key-file = %s\n' \
	"$lb3" "$tsig" >>"$dconf"
tl=$(grep -n '^tsig-key-file' "$dconf" | cut -d: -f1)
kt "$dconf"
t_eq "a TSIG key file 0600 owned by root is accepted ($out)" "$rc" 0
tsig_refused() { # DESC EXPECTED-REASON
	kt "$dconf"
	t_eq "TSIG key: $1 is refused by -t (exit 1)" "$rc" 1
	t_check "with $dconf:$tl and the rule ($out)" grep -qF "$dconf:$tl: tsig-key-file $tsig$2" <<<"$out"
}
chmod 0644 "$tsig"
tsig_refused "readable by others" " is readable by others (mode 0644); chmod 0600 or 0640"
chmod 0620 "$tsig"
tsig_refused "group-writable" " is writable by its group (mode 0620); chmod 0600 or 0640"
chmod 0600 "$tsig"
chown 65534 "$tsig"
tsig_refused "owned by another user" " is owned by uid 65534, not by root or the daemon's user; chown root"
chown 0 "$tsig"
mv "$tsig" "$T_DIR/tsig.real"
mkfifo -m 0600 "$tsig"
tsig_refused "a FIFO" " is not a regular file"
# the start refuses it the same way, and at once (a FIFO must not block the start)
ms=$(t_wait 5000 bash -c "! timeout 5 '$KCWATCHD' -c '$dconf' -n lb3 -s '$T_DIR/lb3t.sock' >'$T_DIR/lb3t.log' 2>&1"); rc=$?
t_check "kcwatchd does not start with a FIFO as TSIG key (${ms} ms)" [ $rc -eq 0 ]
t_check "and says why with FILE:LINE" grep -qF "$dconf:$tl: tsig-key-file $tsig is not a regular file" "$T_DIR/lb3t.log"
rm -f "$tsig"
ln -s /dev/null "$tsig"
tsig_refused "a device (through a symlink)" " is not a regular file"
rm -f "$tsig"
mv "$T_DIR/tsig.real" "$tsig"

# --- secrets --------------------------------------------------------------------------------------
says_not() { [ -n "$1" ] && ! grep -qE -- "$2" <<<"$1"; } # TEXT ERE: a message without ERE
file_lacks() { ! grep -qF -- "$2" "$1" && ! grep -qiF -- "$3" "$1"; } # FILE B64 HEX
proc_lacks() { ! tr '\0' '\n' <"/proc/$1/cmdline" | grep -qF -- "$2" &&
	! tr '\0' '\n' <"/proc/$1/environ" | grep -qF -- "$2"; } # PID TEXT
b64=$(tr -d '\n' <"$key")
hex=$(base64 -d <"$key" | od -An -tx1 | tr -d ' \n')
# bad key files: the messages name the file and the problem, never the text
printf 'SECRETSECRETSECRET!!\n' >"$T_DIR/bad.key"
printf 'c2VjcmV0LXNob3J0LWtleQ==\n' >"$T_DIR/short.key" # 16 bytes: too short
chmod 0600 "$T_DIR/bad.key" "$T_DIR/short.key"
for k in bad short; do
	sed "s|^key-file = .*|key-file = $T_DIR/$k.key|" "$conf" >"$T_DIR/$k.conf"
	out=$(t_exec lb1 "$KCWATCHD" -t -c "$T_DIR/$k.conf" 2>&1); rc=$?
	t_eq "a $k key file is refused (exit 1)" "$rc" 1
	t_check "without showing its text ($out)" says_not "$out" 'SECRETSECRET|c2VjcmV0'
done
t_ctl lb1 status >"$T_DIR/status.txt" 2>&1
t_json lb1 >"$T_DIR/status.json"
t_json lb2 >>"$T_DIR/status.json"
for f in lb1.log lb2.log lb3.log status.txt status.json; do
	t_check "$f holds neither the key's base64 nor its bytes in hex" \
		file_lacks "$T_DIR/$f" "${b64:0:16}" "${hex:0:24}"
done
for n in lb1 lb2; do
	p=${T_NODE_PID[$n]}
	t_check "$n's command line and environment do not hold the key" \
		proc_lacks "$p" "${b64:0:16}"
done

steady "at the end"
t_done
