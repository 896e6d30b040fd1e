#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_etcd.sh: coordinator = etcd (issue 17) against a real 3-member etcd cluster in namespaces:
# election, kill -9 and SIGTERM failover, a leader cut off from etcd releases before its lease
# expires (a sampler on all LBs never sees two holders), etcd endpoint and etcd leader loss
# without a VIP move, compaction with the watches broken, a wrong password or client certificate
# never leads, etcd-lost = keep keeps the VIP (two holders, as documented).
. "$(dirname "$0")/lib.sh"
t_require_root
t_require_tools etcd etcdctl nft jq

t_lan lb1 lb2 lb3 e1 e2 e3 et
t_keyfile "$T_DIR/cluster.key"
VIP=10.77.0.100
# lease-ttl, ms: the shipped default. A renewal period (TTL / 3) must outlast an etcd leader
# election (election-timeout 500 ms here: 0.5-1.1 s) for "no VIP move" across one to hold.
TTL=5000
RENEW=$((TTL / 3)) # renewal period
PREFIX=/kcwatch/keycloak
EPS="http://$(t_ip4 e1):2379, http://$(t_ip4 e2):2379, http://$(t_ip4 e3):2379"
ALL_EPS=$(echo "$EPS" | tr -d ' ')
# etcd's write-ahead log wants fsync: a RAM disk keeps the handovers from measuring the disk
EDIR=$(mktemp -d "${KCW_ETCD_DIR:-/dev/shm}/kcw-etcd.XXXXXX")
# KCW_ETCD_KEEP=DIR: the daemons' and etcd's logs are copied there at the end (for a failure)
trap 'nft_all_off; [ -n "${KCW_ETCD_KEEP:-}" ] && cp "$T_DIR"/*.log "$KCW_ETCD_KEEP/"; t_cleanup; rm -rf "$EDIR"' EXIT

# --- etcd --------------------------------------------------------------------------------------
declare -A EPID
etcd_start() { # MEMBER [new|existing]
	local m=$1 ip cluster="" x
	ip=$(t_ip4 "$m")
	for x in e1 e2 e3; do cluster="$cluster${cluster:+,}$x=http://$(t_ip4 $x):2380"; done
	ip netns exec "$(t_ns "$m")" etcd --name "$m" --data-dir "$EDIR/$m" \
		--listen-client-urls "http://$ip:2379" --advertise-client-urls "http://$ip:2379" \
		--listen-peer-urls "http://$ip:2380" --initial-advertise-peer-urls "http://$ip:2380" \
		--initial-cluster "$cluster" --initial-cluster-state "${2:-new}" \
		--initial-cluster-token "$T_ID" --heartbeat-interval 50 --election-timeout 500 \
		--logger zap --log-level warn >>"$T_DIR/etcd-$m.log" 2>&1 &
	EPID[$m]=$!
	T_PIDS+=($!)
	t_execd $!
}
etcd_stop() { # MEMBER [SIGNAL]
	local p=${EPID[$1]}
	t_kill "${2:-TERM}" "$p"
	wait "$p" 2>/dev/null
	t_forget "$p"
}
ectl() { t_exec lb3 etcdctl --endpoints "$ALL_EPS" --command-timeout=2s "$@"; }
etcd_healthy() { ectl endpoint health >/dev/null 2>&1; }
etcd_leader_member() { # the member name of the raft leader
	ectl endpoint status -w json 2>/dev/null |
		jq -r '.[] | select(.Status.header.member_id == .Status.leader) | .Endpoint' |
		sed 's|http://10.77.0.\([0-9]*\):2379|\1|' | while read -r n; do echo "e$((n - 13))"; done
}
key_json() { ectl get "$PREFIX/leader" -w json 2>/dev/null; }
key_holder() { key_json | jq -r '.kvs[0].value // empty' | base64 -d 2>/dev/null; }
key_term() { key_json | jq -r '.kvs[0].create_revision // 0'; }

# --- nftables: one table per namespace ---------------------------------------------------------
NFT_NS=()
nft_cut_etcd() { # HOST: drops all traffic between HOST and the etcd members (not the peers)
	local ns set
	ns=$(t_ns "$1")
	set="$(t_ip4 e1), $(t_ip4 e2), $(t_ip4 e3)"
	printf 'table inet kcwetcd {
	chain in { type filter hook input priority 0; policy accept; ip saddr { %s } drop; }
	chain out { type filter hook output priority 0; policy accept; ip daddr { %s } drop; }
}\n' "$set" "$set" | ip netns exec "$ns" nft -f - && NFT_NS+=("$ns")
}
nft_off() { # HOST: removes both tables (kcwall: nft_cut_all)
	ip netns exec "$(t_ns "$1")" nft delete table inet kcwetcd 2>/dev/null
	ip netns exec "$(t_ns "$1")" nft delete table inet kcwall 2>/dev/null
	return 0
}
nft_all_off() {
	local ns
	for ns in "${NFT_NS[@]}"; do
		ip netns exec "$ns" nft delete table inet kcwetcd 2>/dev/null
		ip netns exec "$ns" nft delete table inet kcwall 2>/dev/null
	done
	NFT_NS=()
}

# --- sampler: the VIP on lb1, lb2, lb3 every millisecond ---------------------------------------
# Each round dumps the addresses of lb1, lb2, lb3, then lb3, lb2, lb1 (netlink, no process per
# sample); a host counts as holding only when both passes saw the VIP. A clean handover (the
# old holder releases, then the new one takes) can never count as two, a real overlap does.
SAMPLER_PY=$T_DIR/sampler.py
cat >"$SAMPLER_PY" <<'PY'
import ctypes, os, signal, socket, struct, sys, time
RTM_GETADDR, RTM_NEWADDR, NLMSG_DONE, NLMSG_ERROR = 22, 20, 3, 2
libc = ctypes.CDLL(None, use_errno=True)
def sock_in(ns):
    fd = os.open("/run/netns/" + ns, os.O_RDONLY)
    if libc.setns(fd, 0x40000000) != 0:
        raise OSError(ctypes.get_errno(), "setns " + ns)
    os.close(fd)
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    s.bind((0, 0))
    return s
def has(s, want, seq):
    s.send(struct.pack("=IHHII", 24, RTM_GETADDR, 0x301, seq, 0) + struct.pack("=BBBBI", socket.AF_INET, 0, 0, 0, 0))
    found = False
    while True:
        buf = s.recv(65536); off = 0
        while off + 16 <= len(buf):
            ln, typ, _, _, _ = struct.unpack_from("=IHHII", buf, off)
            if ln < 16 or typ in (NLMSG_DONE, NLMSG_ERROR):
                return found
            if typ == RTM_NEWADDR:
                a = off + 24
                while a + 4 <= off + ln:
                    rl, rt = struct.unpack_from("=HH", buf, a)
                    if rl < 4: break
                    if rt in (1, 2) and buf[a + 4:a + rl] == want: found = True
                    a += (rl + 3) & ~3
            off += (ln + 3) & ~3
def main(addr, max_s, out, nss):
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    want = socket.inet_pton(socket.AF_INET, addr)
    socks = [sock_in(n) for n in nss]
    rounds = two = 0; seq = 0; end = time.monotonic() + max_s; first = ""
    while not stop and time.monotonic() < end:
        a = []
        for s in socks:
            seq += 1; a.append(has(s, want, seq))
        b = []
        for s in reversed(socks):
            seq += 1; b.append(has(s, want, seq))
        b.reverse()
        n = sum(1 for x, y in zip(a, b) if x and y)
        rounds += 1
        if n > 1:
            two += 1
            if not first: first = "%.3f" % time.time()
        time.sleep(0.001)
    with open(out, "w") as f:
        f.write("%d %d %s\n" % (rounds, two, first))
    return 0
sys.exit(main(sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4:]))
PY
sampler_start() { # OUT MAX_S
	"$T_PY" "$SAMPLER_PY" "$VIP" "$2" "$1" "$(t_ns lb1)" "$(t_ns lb2)" "$(t_ns lb3)" \
		2>>"$T_DIR/sampler.log" &
	SAMPLER=$!
	T_PIDS+=($!)
	t_execd $!
}
sampler_stop() { # prints "rounds overlaps"
	t_kill TERM "$SAMPLER"
	wait "$SAMPLER" 2>/dev/null
	t_forget "$SAMPLER"
	cat "$1" 2>/dev/null || echo "0 -1"
}

# --- the LBs -----------------------------------------------------------------------------------
CONF=$T_DIR/kcwatch.conf
t_conf_cluster "$CONF" preempt=yes coordinator=etcd "etcd-endpoints=$EPS" lease-ttl=$((TTL / 1000))s \
	lb1:150 lb2:100 lb3:50
t_conf_vip "$CONF" kc "$VIP/24"

holders() { local h n=0; for h in lb1 lb2 lb3; do t_holds "$h" "$VIP" && n=$((n + 1)); done; echo $n; }
leads() { [ "$(t_role "$1")" = leader ] && t_holds "$1" "$VIP" && [ "$(holders)" = 1 ]; }
holds_alone() { t_holds "$1" "$VIP" && [ "$(holders)" = 1 ]; }
any_holds() { [ "$(holders)" = 1 ]; }
log_ms() { t_log_ms "$1" "$2"; } # NODE REGEX: ms of day of the last such line

# === configuration check ========================================================================
out=$(t_exec lb1 "$KCWATCHD" -t -c "$CONF" 2>&1); rc=$? # where lb1 is local
t_eq "kcwatchd -t accepts coordinator = etcd" "$rc" 0
bad=$T_DIR/bad.conf
t_conf_cluster "$bad" coordinator=etcd "etcd-endpoints=$EPS" lease-ttl=1s lb1:150 lb2:100
out=$("$KCWATCHD" -t -c "$bad" 2>&1)
t_check "kcwatchd -t names etcd's lease floor ($out)" \
	eval 'echo "$out" | grep -qF "lease-ttl: 1s is below etcd'"'"'s floor of 2s"'

# === etcd up, 3 LBs elect through it ===========================================================
for m in e1 e2 e3; do etcd_start "$m"; done
ms=$(t_wait 15000 etcd_healthy); rc=$?
t_check "a 3-member etcd cluster is healthy (${ms} ms)" [ $rc -eq 0 ]
for n in lb1 lb2 lb3; do t_start "$n" "$CONF"; done
ms=$(t_wait 8000 leads lb1); rc=$?
t_check "lb1 (best) leads through etcd and alone holds the VIP (${ms} ms)" [ $rc -eq 0 ]
t_eq "the etcd key $PREFIX/leader holds lb1" "$(key_holder)" lb1
t_eq "lb1's term is the key's create_revision" "$(t_field lb1 .term)" "$(key_term)"
t_wait 2000 eval '[ "$(t_field lb2 .leader)/$(t_field lb3 .leader)" = lb1/lb1 ]' >/dev/null
t_eq "lb2 and lb3 follow lb1" "$(t_field lb2 .leader)/$(t_field lb3 .leader)" lb1/lb1
t_eq "lb1 status: coordinator etcd, lease valid, holds the key, endpoint e1" \
	"$(t_json lb1 | jq -c '.coordinator | [.kind, .lease_valid, .holds_key, .endpoint]')" \
	"[\"etcd\",true,true,\"http://$(t_ip4 e1):2379\"]"
t_check "kcwatchctl status shows the etcd line" \
	eval 't_ctl lb1 status | grep -q "^etcd      http://$(t_ip4 e1):2379, lease valid"'

# === kill -9 of the leader: lb2 within lease-ttl + 1 s ==========================================
sampler_start "$T_DIR/s-kill.txt" 45
t_stop lb1 KILL
# the host is gone with its daemon: its VIP must not count as held (kill -9 cannot remove it)
ip -n "$(t_ns lb1)" addr del "$VIP/24" dev eth0
ms=$(t_wait $((TTL + 1000)) holds_alone lb2); rc=$?
t_check "kill -9 of lb1: lb2 holds the VIP within lease-ttl + 1 s (${ms} ms)" [ $rc -eq 0 ]
t_eq "the key now holds lb2" "$(key_holder)" lb2
KILL_MS=$ms

# lb1 comes back and takes over again (preempt): it asks lb2 by heartbeat to hand over
t_start lb1 "$CONF"
ms=$(t_wait 8000 leads lb1); rc=$?
t_check "lb1 restarted preempts lb2 through etcd (${ms} ms)" [ $rc -eq 0 ]
t_eq "the key holds lb1 again" "$(key_holder)" lb1

# === SIGTERM: lb2 within 50 ms (the median of 3: one pause of the shared host is no verdict) ====
terms=()
for i in 1 2 3; do
	sleep 0.5
	t_stop lb1 TERM
	ms=$(t_wait 3000 holds_alone lb2); rc=$?
	t_check "SIGTERM $i of lb1: lb2 holds the VIP (${ms} ms after lb1 exited)" [ $rc -eq 0 ]
	terms+=($(($(log_ms lb2 "role follower -> leader") - $(log_ms lb1 "shutting down"))))
	t_start lb1 "$CONF"
	ms=$(t_wait 8000 leads lb1); rc=$?
	t_check "lb1 restarted leads again (${ms} ms)" [ $rc -eq 0 ]
done
TERM_MS=$(printf '%s\n' "${terms[@]}" | sort -n | sed -n 2p)
t_le "SIGTERM: from lb1's shutdown to lb2's claim (log stamps), median of ${terms[*]}" \
	"$TERM_MS" 50
read -r rounds two _ < <(sampler_stop "$T_DIR/s-kill.txt")
t_check "sampler: $rounds rounds across kill -9, restart, preemption and SIGTERM" [ "$rounds" -gt 1000 ]
t_eq "never two VIP holders in those rounds" "$two" 0

# === lb1 cut off from every etcd member (not from its peers) ==================================
sleep 0.5
sampler_start "$T_DIR/s-cut.txt" 30
nft_cut_etcd lb1
t_cut=$(t_ms_of_day) # the rules are in place: no renewal sent from now on can succeed
ms=$(t_wait $((TTL + 2000)) holds_alone lb2); rc=$?
t_check "lb1 cut from etcd: lb2 takes over once lb1's lease expired (${ms} ms)" [ $rc -eq 0 ]
t_rel=$(log_ms lb1 "role leader -> follower")
t_take=$(log_ms lb2 "role follower -> leader")
t_le "lb1 released the VIP no later than lease-ttl - one renewal after the cut (+ 100 ms slack)" \
	$((t_rel - t_cut)) $((TTL - RENEW + 100))
t_check "lb1 released ($t_rel) before lb2 took the key ($t_take)" [ "$t_rel" -lt "$t_take" ]
t_check "kcwatchctl status on lb1: etcd unreachable: VIP released at ..." \
	eval 't_ctl lb1 status | grep -q "etcd unreachable: VIP released at 20"'
t_eq "lb1 does not lead while cut off (role, lease valid)" \
	"$(t_json lb1 | jq -c '[.role, .coordinator.lease_valid]')" '["follower",false]'
nft_off lb1
ms=$(t_wait 8000 leads lb1); rc=$?
t_check "healed: lb1 (better) leads again, one holder (${ms} ms)" [ $rc -eq 0 ]
read -r rounds two _ < <(sampler_stop "$T_DIR/s-cut.txt")
t_check "sampler: $rounds rounds across the cut and the heal" [ "$rounds" -gt 1000 ]
t_eq "never two VIP holders while lb1 was cut off or healing" "$two" 0

# no_move_since NODE MS_OF_DAY: NODE logged no role change since then and still leads alone
no_move_since() {
	awk -v t="$2" '{ split($1, a, /[:.]/); ms = ((a[1] * 60 + a[2]) * 60 + a[3]) * 1000 + a[4]
		if (ms >= t && $0 ~ /role (leader|follower) -> /) n++ } END { exit n > 0 }' \
		"$T_DIR/$1.log" && leads "$1"
}

# === the etcd member lb1 talks to stops: another endpoint, no VIP move ==========================
term=$(t_field lb1 .term)
since=$(t_ms_of_day)
sampler_start "$T_DIR/s-member.txt" 60
etcd_stop e1
ms=$(t_wait 4000 eval '[ "$(t_field lb1 .coordinator.endpoint)" != "http://$(t_ip4 e1):2379" ]'); rc=$?
t_check "e1 stopped: lb1 moved to $(t_field lb1 .coordinator.endpoint) (${ms} ms)" [ $rc -eq 0 ]
sleep $((2 * TTL / 1000))
t_check "no VIP move: lb1 led throughout, its lease stayed valid" no_move_since lb1 "$since"
t_eq "the term did not change" "$(t_field lb1 .term)" "$term"
etcd_start e1 existing
t_wait 10000 etcd_healthy >/dev/null

# === the etcd leader is killed: no VIP move ======================================================
lm=$(etcd_leader_member)
etcd_stop "$lm" KILL
others=$(for m in e1 e2 e3; do [ "$m" = "$lm" ] || printf 'http://%s:2379,' "$(t_ip4 $m)"; done)
new_leader() { # both live members name one of themselves as the raft leader
	t_exec lb3 etcdctl --endpoints "${others%,}" --command-timeout=1s endpoint status -w json \
		2>/dev/null | jq -e '[.[].Status.header.member_id] as $ids | length == 2 and
			all(.[]; .Status.leader as $l | $ids | index([$l]) != null)' >/dev/null
}
ms=$(t_wait 5000 new_leader); rc=$?
t_check "etcd leader $lm killed: the cluster elects another (${ms} ms)" [ $rc -eq 0 ]
sleep $((2 * TTL / 1000))
t_check "no VIP move: lb1 led throughout the etcd leader change" no_move_since lb1 "$since"
t_eq "the term did not change" "$(t_field lb1 .term)" "$term"
etcd_start "$lm" existing
t_wait 10000 etcd_healthy >/dev/null

# === compaction, every watch broken and made again after it ====================================
for i in $(seq 50); do echo "put $PREFIX/noise $i"; done | ectl txn >/dev/null 2>&1
for i in $(seq 100); do ectl put "$PREFIX/noise" "$i" >/dev/null || break; done
rev=$(ectl endpoint status -w json | jq -r '.[0].Status.header.revision')
ectl compact "$rev" >/dev/null
t_check "the keyspace is compacted at revision $rev" \
	eval '! ectl get "$PREFIX/leader" --rev=$((rev - 1)) >/dev/null 2>&1'
for m in e1 e2 e3; do # each member in turn: every watch ends and is made again
	etcd_stop "$m"
	sleep 0.5
	etcd_start "$m" existing
	t_wait 10000 etcd_healthy >/dev/null
done
sleep 1
t_check "no VIP move across compaction and the broken watches" no_move_since lb1 "$since"
t_eq "no stale leadership: the key holds lb1 with lb1's term" "$(key_holder)/$(key_term)" "lb1/$term"
read -r rounds two _ < <(sampler_stop "$T_DIR/s-member.txt")
t_eq "never two VIP holders in $rounds rounds across the etcd member changes" "$two" 0
# the watches work after all that: a crash of lb1 is seen through them
t_stop lb1 KILL
ip -n "$(t_ns lb1)" addr del "$VIP/24" dev eth0
ms=$(t_wait $((TTL + 1000)) holds_alone lb2); rc=$?
t_check "after compaction, kill -9 of lb1: lb2 holds the VIP within lease-ttl + 1 s (${ms} ms)" \
	[ $rc -eq 0 ]

# === etcd unreachable for every LB: nobody holds the VIP =========================================
for n in lb2 lb3; do nft_cut_etcd "$n"; done
ms=$(t_wait $((TTL + 1000)) eval '[ "$(holders)" = 0 ]'); rc=$?
t_check "lb2 and lb3 cut from etcd: nobody holds the VIP (${ms} ms)" [ $rc -eq 0 ]
sleep 1
t_eq "still nobody after another second" "$(holders)" 0
for n in lb2 lb3; do nft_off "$n"; done
ms=$(t_wait 8000 leads lb2); rc=$?
t_check "etcd reachable again: lb2 (best alive) leads, one holder (${ms} ms)" [ $rc -eq 0 ]
t_stop lb2
t_stop lb3

# === a wrong password: a clear error, never a leader =============================================
ectl user add root:rootpw >/dev/null
ectl user add kcw:goodpw >/dev/null
ectl role add kcw >/dev/null
ectl role grant-permission kcw --prefix=true readwrite "$PREFIX/" >/dev/null
ectl user grant-role kcw kcw >/dev/null
ectl user grant-role root root >/dev/null 2>&1
t_check "etcd authentication enabled" eval 'ectl auth enable >/dev/null'
printf 'wrongpw\n' >"$T_DIR/bad.pw"
printf 'goodpw\n' >"$T_DIR/good.pw"
chmod 600 "$T_DIR"/*.pw
for pw in bad good; do
	t_conf_cluster "$T_DIR/$pw.conf" preempt=yes coordinator=etcd "etcd-endpoints=$EPS" \
		lease-ttl=$((TTL / 1000))s etcd-username=kcw "etcd-password-file=$T_DIR/$pw.pw" lb1:150 lb2:100 lb3:50
	t_conf_vip "$T_DIR/$pw.conf" kc "$VIP/24"
done
t_start lb1 "$T_DIR/bad.conf"
ms=$(t_wait 3000 eval 't_field lb1 .coordinator.last_error | grep -q "authentication failed"'); rc=$?
t_check "wrong password: status says so ($(t_field lb1 .coordinator.last_error))" [ $rc -eq 0 ]
t_check "wrong password: the log says so" grep -q "authenticate on .*authentication failed" "$T_DIR/lb1.log"
sleep $((TTL / 1000))
t_eq "wrong password: never a leader, no VIP" "$(t_role lb1)/$(holders)" follower/0
t_stop lb1
t_start lb1 "$T_DIR/good.conf"
ms=$(t_wait 8000 leads lb1); rc=$?
t_check "the right password: lb1 leads (${ms} ms)" [ $rc -eq 0 ]
t_eq "the key holds lb1" "$(ectl --user root:rootpw get "$PREFIX/leader" --print-value-only)" lb1
t_stop lb1
ectl --user root:rootpw auth disable >/dev/null

# === etcd-lost = keep: availability over the single-holder guarantee (as documented) ==========
# A leader cut off from etcd but heard by its peers stays leader for them: nobody else asks for
# the key. Cut off from everything (a real partition), the other side takes the expired key.
nft_cut_all() { # HOST: all of HOST's traffic on eth0 (its own table: no gap when added to a cut)
	printf 'table inet kcwall {
	chain in { type filter hook input priority 0; policy accept; iifname "eth0" drop; }
	chain out { type filter hook output priority 0; policy accept; oifname "eth0" drop; }
}\n' | ip netns exec "$(t_ns "$1")" nft -f - && NFT_NS+=("$(t_ns "$1")")
}
t_conf_cluster "$T_DIR/keep.conf" preempt=yes coordinator=etcd "etcd-endpoints=$EPS" lease-ttl=$((TTL / 1000))s \
	etcd-lost=keep lb1:150 lb2:100 lb3:50
t_conf_vip "$T_DIR/keep.conf" kc "$VIP/24"
t_start lb1 "$T_DIR/keep.conf"
t_start lb2 "$T_DIR/keep.conf"
ms=$(t_wait 8000 leads lb1); rc=$?
t_check "etcd-lost = keep: lb1 leads (${ms} ms)" [ $rc -eq 0 ]
nft_cut_etcd lb1
sleep $((TTL / 1000 + 1))
t_eq "keep, lb1 cut from etcd only: lb1 keeps the VIP, lb2 does not ask (one holder)" \
	"$(t_holds lb1 "$VIP" && echo lb1)/$(holders)" lb1/1
nft_cut_all lb1 # before the etcd-only cut goes: etcd must not be heard in between
ip netns exec "$(t_ns lb1)" nft delete table inet kcwetcd
ms=$(t_wait $((TTL + 2000)) t_holds lb2 "$VIP"); rc=$?
t_check "keep, lb1 partitioned from everything: lb2 takes the key (${ms} ms)" [ $rc -eq 0 ]
t_eq "keep: lb1 still holds the VIP too (two holders in a partition, as documented)" "$(holders)" 2
nft_off lb1
ms=$(t_wait 8000 eval 'leads lb1 || leads lb2'); rc=$?
t_check "keep, healed: one holder again (${ms} ms)" [ $rc -eq 0 ]
t_stop lb2
t_stop lb1

# === mutual TLS: a single-member etcd on https that wants client certificates ===================
PKI=$T_DIR/pki
mkdir -p "$PKI"
pki_cert() { # NAME CA SUBJECT-ALT-NAME USAGE: an EC P-256 certificate signed by CA
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$1" \
		-keyout "$PKI/$1.key" -out "$PKI/$1.csr" 2>/dev/null &&
		printf 'subjectAltName=%s\nextendedKeyUsage=%s\nbasicConstraints=CA:FALSE\n' "$3" "$4" \
			>"$PKI/$1.ext" &&
		openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/$2.pem" -CAkey "$PKI/$2.key" \
			-CAcreateserial -days 2 -extfile "$PKI/$1.ext" -out "$PKI/$1.pem" 2>/dev/null
}
for ca in ca other; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=kcwatch test $ca" -addext "basicConstraints=critical,CA:TRUE" \
		-keyout "$PKI/$ca.key" -out "$PKI/$ca.pem" 2>/dev/null
done
ET=$(t_ip4 et)
# the server certificate also authenticates etcd's JSON gateway to etcd itself: clientAuth too
pki_cert server ca "IP:$ET" serverAuth,clientAuth
pki_cert client ca "DNS:lb1" clientAuth
pki_cert stranger other "DNS:lb1" clientAuth
ip netns exec "$(t_ns et)" etcd --name et --data-dir "$EDIR/et" \
	--listen-client-urls "https://$ET:2379" --advertise-client-urls "https://$ET:2379" \
	--listen-peer-urls "http://$ET:2380" --initial-advertise-peer-urls "http://$ET:2380" \
	--initial-cluster "et=http://$ET:2380" --cert-file "$PKI/server.pem" \
	--key-file "$PKI/server.key" --client-cert-auth --trusted-ca-file "$PKI/ca.pem" \
	--logger zap --log-level warn >>"$T_DIR/etcd-et.log" 2>&1 &
T_PIDS+=($!)
t_execd $!
for c in client stranger; do
	t_conf_cluster "$T_DIR/tls-$c.conf" coordinator=etcd "etcd-endpoints=https://$ET:2379" \
		lease-ttl=$((TTL / 1000))s "etcd-ca-file=$PKI/ca.pem" "etcd-client-cert=$PKI/$c.pem" \
		"etcd-client-key=$PKI/$c.key" lb1:150 lb2:100 lb3:50
	t_conf_vip "$T_DIR/tls-$c.conf" kc "$VIP/24"
done
t_start lb1 "$T_DIR/tls-client.conf"
t_start lb2 "$T_DIR/tls-client.conf"
ms=$(t_wait 10000 leads lb1); rc=$?
t_check "mutual TLS: lb1 leads through https://$ET:2379 with its client certificate (${ms} ms)" \
	[ $rc -eq 0 ]
# one endpoint only: no other member to move to; lb1 gives up, and takes over again when healed
nft_cut_etcd lb1
ip netns exec "$(t_ns lb1)" nft add rule inet kcwetcd in ip saddr "$ET" drop
ip netns exec "$(t_ns lb1)" nft add rule inet kcwetcd out ip daddr "$ET" drop
ms=$(t_wait $((TTL + 2000)) holds_alone lb2); rc=$?
t_check "one endpoint, lb1 cut from it: lb2 takes over (${ms} ms)" [ $rc -eq 0 ]
sleep 1
nft_off lb1
ms=$(t_wait 8000 leads lb1); rc=$?
t_check "healed: lb1 (better) preempts again through the single endpoint (${ms} ms)" [ $rc -eq 0 ]
t_stop lb2
t_stop lb1
t_start lb1 "$T_DIR/tls-stranger.conf"
ms=$(t_wait 4000 eval 't_field lb1 .coordinator.last_error | grep -q "https://$ET:2379"'); rc=$?
t_check "a client certificate etcd does not trust: status says why ($(t_field lb1 .coordinator.last_error))" \
	[ $rc -eq 0 ]
sleep $((TTL / 1000))
t_eq "that certificate: never a leader, no VIP" "$(t_role lb1)/$(holders)" follower/0
t_stop lb1

t_done
