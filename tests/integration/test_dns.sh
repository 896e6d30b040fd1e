#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/integration/test_dns.sh: the DNS updater against a private named on 127.0.0.1 (TSIG, fence).
#
# Uses $KCW_BUILD/tests/integration/dns_drive (KCW_BUILD: the build directory tests/run.sh made,
# default build/ in the source tree), starts named from a temp dir (port
# $KCW_DNS_PORT, default 15353, 127.0.0.1 only) and checks with dig what the updater writes.
# KCW_KEEP_LOGS=1 keeps the temp dir. The last line is "N passed, N failed"; the exit status
# is non-zero on any failure.
set -u

top=${KCW_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${KCW_BUILD:-$top/build}
port=${KCW_DNS_PORT:-15353}
zone=local.mylab.io
name=keycloak.$zone
fence=_kcwatch.$name
dir=$(mktemp -d "${TMPDIR:-/tmp}/kcw-dns.XXXXXX")
pass=0
fail=0
named_pid=
drv_pids=()

cleanup() {
	local p n
	for p in "${drv_pids[@]}" $named_pid; do kill -TERM "$p" 2>/dev/null; done
	for p in "${drv_pids[@]}" $named_pid; do
		for n in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	{ exec 3>&-; } 2>/dev/null
	if [ "$fail" -gt 0 ]; then
		for n in "$dir"/*.log "$dir"/*.out; do
			[ -f "$n" ] && { echo "--- $n (last 20 lines)"; tail -20 "$n"; }
		done
	fi
	if [ -n "${KCW_KEEP_LOGS:-}" ]; then
		echo "# logs kept in $dir"
	else
		rm -rf "$dir"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { pass=$((pass + 1)); echo "ok - $*"; }
notok() { fail=$((fail + 1)); echo "not ok - $*"; }
eq() { if [ "$2" = "$3" ]; then ok "$1"; else notok "$1 (got '$2', want '$3')"; fi; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else notok "$d"; fi; }
now_ms() { date +%s%3N; }

# wait_for MS CMD...: polls CMD every 20 ms; prints the elapsed ms; 1 on timeout.
wait_for() {
	local limit=$1 start
	shift
	start=$(now_ms)
	until "$@" >/dev/null 2>&1; do
		if [ $(($(now_ms) - start)) -ge "$limit" ]; then
			echo "$limit"
			return 1
		fi
		sleep 0.02
	done
	echo $(($(now_ms) - start))
}

dq() { dig @127.0.0.1 -p "$port" +norec +time=1 +tries=1 +short "$@" 2>/dev/null | sort; }
served_is() { [ "$(dq "$1" "$2")" = "$3" ]; } # NAME TYPE WANT
fence_text() { dq "$fence" TXT | tr -d '"'; }

setup_named() {
	tsig-keygen -a hmac-sha256 kcwatch-key >"$dir/key.conf"
	tsig-keygen -a hmac-sha256 kcwatch-key >"$dir/wrong-secret.conf" # same name, other secret
	tsig-keygen -a hmac-sha256 other-key >"$dir/unknown-name.conf"
	# key files are not readable by others (kcwatch.conf(5), KEY FILE)
	chmod 0600 "$dir/key.conf" "$dir/wrong-secret.conf" "$dir/unknown-name.conf"
	cat >"$dir/$zone.db" <<-EOF
		\$ORIGIN $zone.
		\$TTL 300
		@            IN SOA ns1.$zone. hostmaster.$zone. ( 2024010101 3600 600 86400 300 )
		@            IN NS  ns1.$zone.
		ns1          IN A   127.0.0.1
		sno1         IN A   192.168.1.231
		*.apps.sno1  CNAME  sno1
		api.sno1     CNAME  sno1
		sno2         IN A   192.168.1.232
		api.sno2     CNAME  sno2
		; keycloak reverse proxy
		keycloak     IN A   192.168.1.215
	EOF
	cat >"$dir/named.conf" <<-EOF
		options {
			directory "$dir";
			pid-file "$dir/named.pid";
			session-keyfile "$dir/session.key";
			managed-keys-directory "$dir";
			listen-on port $port { 127.0.0.1; };
			listen-on-v6 { none; };
			recursion no;
			notify no;
			dnssec-validation no;
		};
		controls { };
		include "$dir/key.conf";
		zone "$zone" {
			type primary;
			file "$dir/$zone.db";
			allow-update { key kcwatch-key; };
		};
		zone "locked.test" {
			type primary;
			file "$dir/locked.test.db";
			allow-update { none; };
		};
	EOF
	cat >"$dir/locked.test.db" <<-EOF
		\$TTL 300
		@  IN SOA ns1.locked.test. hostmaster.locked.test. ( 1 3600 600 86400 300 )
		@  IN NS  ns1.locked.test.
		ns1 IN A  127.0.0.1
	EOF
}

start_named() {
	named -g -4 -c "$dir/named.conf" >>"$dir/named.log" 2>&1 &
	named_pid=$!
	wait_for 5000 served_is "$zone" NS "ns1.$zone." >/dev/null
}

stop_named() {
	local n
	[ -n "$named_pid" ] || return 0
	kill -TERM "$named_pid" 2>/dev/null
	for n in $(seq 50); do kill -0 "$named_pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$named_pid" 2>/dev/null
	wait "$named_pid" 2>/dev/null
	named_pid=
}

# drive ARGS...: one updater run (always bounded by --run-ms); exec so that $! of
# "drive ... &" is the driver itself and can be signalled.
drive() {
	exec "$dir/dns_drive" --server 127.0.0.1 --port "$port" --zone "$zone" --name "$name" \
		--timeout-ms 500 "$@"
}

others() { # every record the updater must not touch (SOA without its serial)
	dq "$zone" SOA | awk '{print $1, $2, $4, $5, $6, $7}'
	dq "$zone" NS
	dq "ns1.$zone" A
	dq "sno1.$zone" A
	dq "x.apps.sno1.$zone" CNAME
	dq "api.sno2.$zone" CNAME
}

# --- preparation -------------------------------------------------------------------------
for tool in named dig tsig-keygen jq python3 ss; do
	command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
if ss -Hlun "sport = :$port" 2>/dev/null | grep -q .; then
	echo "port $port is in use: set KCW_DNS_PORT" >&2
	exit 1
fi
# The driver comes only from the build directory: a copy compiled here could link a stale library.
if [ ! -x "$build/tests/integration/dns_drive" ]; then
	echo "not ok - no $build/tests/integration/dns_drive: build first (tests/run.sh does)"
	echo "0 passed, 1 failed"
	exit 1
fi
cp "$build/tests/integration/dns_drive" "$dir/dns_drive"
cd "$dir" || exit 1
setup_named
start_named
check "named answers on 127.0.0.1#$port" served_is "$zone" NS "ns1.$zone."
before=$(others)

# --- leader term 1 sets A and AAAA and writes the fence ------------------------------------
mkfifo "$dir/ctl"
drive --key key.conf --term 1 --node lb1 --a 10.0.0.5 --aaaa 2001:db8::5 --renew-ms 500 \
	--run-ms 60000 <"$dir/ctl" >"$dir/lb1.out" 2>"$dir/lb1.log" &
drv_pids+=($!)
lb1=$!
exec 3>"$dir/ctl"
ms=$(wait_for 5000 served_is "$name" A 10.0.0.5)
eq "leader term 1 sets A within 5 s ($ms ms)" "$(dq "$name" A)" 10.0.0.5
eq "and AAAA" "$(dq "$name" AAAA)" 2001:db8::5
txt=$(fence_text)
check "fence reads 'term=1 node=lb1 seq=N' (got '$txt')" \
	grep -Eq '^term=1 node=lb1 seq=[0-9]+$' <<<"$txt"
seq1=${txt##*seq=}
sleep 1.2
txt=$(fence_text)
seq2=${txt##*seq=}
check "the fence is renewed every fence-renew (seq $seq1 -> $seq2)" \
	test "${seq2:-0}" -gt "${seq1:-0}"

echo "a 10.0.0.6" >&3
ms=$(wait_for 1000 served_is "$name" A 10.0.0.6)
check "target change -> new A within 1 s ($ms ms)" served_is "$name" A 10.0.0.6
echo status >&3
sleep 0.3
st=$(grep '^status ' "$dir/lb1.out" | tail -1 | cut -d' ' -f2-)
eq "status dns.name" "$(jq -r .dns.name <<<"$st")" "$name"
eq "status dns.target" "$(jq -r .dns.target <<<"$st")" "A 10.0.0.6 AAAA 2001:db8::5"
eq "status dns.served (last reconcile)" "$(jq -r .dns.served <<<"$st")" \
	"A 10.0.0.6 AAAA 2001:db8::5"
eq "status dns.fence_term" "$(jq -r .dns.fence_term <<<"$st")" 1
check "status dns.last_update_ms_ago is a number" \
	jq -e '.dns.last_update_ms_ago | type == "number"' <<<"$st"
check "status dns.last_result says updated" grep -q '^updated' <<<"$(jq -r .dns.last_result <<<"$st")"

# --- named down, target changes, named back: applied after it returns ----------------------
stop_named
echo "a 10.0.0.7" >&3
sleep 1.5
check "named unreachable is reported" grep -Eq '^result error: .*(refused|timeout)' "$dir/lb1.out"
start_named
ms=$(wait_for 10000 served_is "$name" A 10.0.0.7)
check "update applied after named came back ($ms ms)" served_is "$name" A 10.0.0.7
echo quit >&3
exec 3>&-
wait "$lb1"
eq "driver term 1 exits cleanly" "$?" 0

# --- wrong key: TSIG error named, record unchanged ----------------------------------------
out=$(drive --key wrong-secret.conf --term 5 --node lb9 --a 10.0.0.66 --run-ms 4000 \
	--exit-on "result error" 2>"$dir/wrong.log")
check "wrong secret -> 'TSIG key rejected by server (BADSIG)'" \
	grep -q 'TSIG key rejected by server (BADSIG)' <<<"$out"
out=$(drive --key unknown-name.conf --term 5 --node lb9 --a 10.0.0.66 --run-ms 4000 \
	--exit-on "result error" 2>>"$dir/wrong.log")
check "unknown key name -> 'TSIG key rejected by server (BADKEY)'" \
	grep -q 'TSIG key rejected by server (BADKEY)' <<<"$out"
eq "record unchanged after the rejected keys" "$(dq "$name" A)" 10.0.0.7

# --- the other errors a person can act on ------------------------------------------------
out=$(drive --key key.conf --term 5 --node lb9 --a 10.0.0.66 --no-fence --zone other.test \
	--name keycloak.other.test --run-ms 4000 --exit-on "result error" 2>>"$dir/errors.log")
check "zone not served -> 'zone other.test not served by 127.0.0.1#$port' (update)" \
	grep -q "zone other.test not served by 127.0.0.1#$port (NOTAUTH)" <<<"$out"
out=$(drive --key key.conf --term 5 --node lb9 --a 10.0.0.66 --zone other.test \
	--name keycloak.other.test --run-ms 4000 --exit-on "result error" 2>>"$dir/errors.log")
check "zone not served -> 'zone other.test not served by 127.0.0.1#$port' (fence read)" \
	grep -q "zone other.test not served by 127.0.0.1#$port" <<<"$out"
out=$(drive --key key.conf --term 5 --node lb9 --a 10.0.0.66 --zone locked.test \
	--name keycloak.locked.test --run-ms 4000 --exit-on "result error" 2>>"$dir/errors.log")
check "allow-update none -> 'update refused by server policy'" \
	grep -q 'update refused by server policy (REFUSED)' <<<"$out"
bh_port=$((port + 1))
timeout 10 python3 -c "import socket,time
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('127.0.0.1',$bh_port))
end=time.time()+8
while time.time()<end:
    s.settimeout(max(0.01,end-time.time()))
    try: s.recv(4096)
    except OSError: pass" &
bh=$!
drv_pids+=("$bh")
wait_for 5000 sh -c "ss -Hlun 'sport = :$bh_port' | grep -q ." >/dev/null
start=$(now_ms)
out=$(drive --key key.conf --term 5 --node lb9 --a 10.0.0.66 --port "$bh_port" --run-ms 4000 \
	--exit-on "result error" 2>>"$dir/errors.log")
el=$(($(now_ms) - start))
check "server silent -> timeout reported after timeout-ms (${el} ms)" \
	grep -q "no answer from 127.0.0.1#$bh_port within 500 ms (timeout)" <<<"$out"
kill "$bh" 2>/dev/null
wait "$bh" 2>/dev/null
eq "record unchanged after the errors" "$(dq "$name" A)" 10.0.0.7

# --- term 2 takes over; term 1 afterwards is stale and changes nothing ---------------------
(drive --key key.conf --term 2 --node lb2 --a 10.0.0.8 --run-ms 5000 --exit-on "result updated" \
	>"$dir/lb2.out" 2>"$dir/lb2.log")
eq "leader term 2 sets A" "$(dq "$name" A)" 10.0.0.8
check "fence now term=2 node=lb2" grep -Eq '^term=2 node=lb2 seq=[0-9]+$' <<<"$(fence_text)"
f2=$(fence_text)
start=$(now_ms)
(drive --key key.conf --term 1 --node lb1 --a 10.0.0.9 --renew-ms 300 --run-ms 8000 \
	--exit-on unfenced >"$dir/stale.out" 2>"$dir/stale.log")
rc=$?
el=$(($(now_ms) - start))
check "term 1 after term 2 reports stale (fenced 2)" grep -qx 'fenced 2' "$dir/stale.out"
check "stale logged at error level with both terms" \
	grep -Eq 'error: .*stale.*term 2.*own term 1' "$dir/stale.log"
check "last_result says stale" grep -q '^result stale: fence term 2 above own term 1' \
	"$dir/stale.out"
eq "stale leader did not change A" "$(dq "$name" A)" 10.0.0.8
eq "stale leader did not change the fence" "$(fence_text)" "$f2"
eq "unfenced after the fence stayed quiet (rc $rc, ${el} ms)" \
	"$(grep -x 'unfenced 2' "$dir/stale.out")" "unfenced 2"
check "quiet period took at least 3 x fence-renew (${el} ms >= 900)" test "$el" -ge 900

# --- a live newer leader keeps renewing: the stale one stays fenced --------------------------
drive --key key.conf --term 3 --node lb2 --a 10.0.0.8 --renew-ms 300 --run-ms 6000 \
	>"$dir/live.out" 2>"$dir/live.log" &
lb2=$!
drv_pids+=("$lb2")
wait_for 3000 sh -c "dig @127.0.0.1 -p $port +short TXT $fence | grep -q term=3" >/dev/null
(drive --key key.conf --term 2 --node lb1 --a 10.0.0.9 --renew-ms 300 --run-ms 2500 \
	>"$dir/fenced.out" 2>"$dir/fenced.log")
check "stale while the newer leader renews (fenced 3)" grep -qx 'fenced 3' "$dir/fenced.out"
check "never unfenced while the fence keeps changing" \
	sh -c "! grep -q '^unfenced' '$dir/fenced.out'"
eq "A still the live leader's" "$(dq "$name" A)" 10.0.0.8
kill -TERM "$lb2" 2>/dev/null
wait "$lb2" 2>/dev/null

# --- two leaders at once (partition heal): the higher term wins ----------------------------
drive --key key.conf --term 4 --node lb1 --a 10.0.0.33 --renew-ms 300 --run-ms 3000 \
	>"$dir/t4.out" 2>"$dir/t4.log" &
p4=$!
drive --key key.conf --term 5 --node lb2 --a 10.0.0.44 --renew-ms 300 --run-ms 3000 \
	>"$dir/t5.out" 2>"$dir/t5.log" &
p5=$!
drv_pids+=("$p4" "$p5")
wait "$p4" "$p5"
eq "two leaders: the higher term's A stays" "$(dq "$name" A)" 10.0.0.44
check "two leaders: the fence holds term 5" grep -q '^term=5 node=lb2 ' <<<"$(fence_text)"
check "two leaders: term 4 found itself stale" grep -qx 'fenced 5' "$dir/t4.out"

# --- fence = no: plain replacement, fence TXT left alone ----------------------------------
f5=$(fence_text)
(drive --key key.conf --term 1 --node lb3 --a 10.0.0.10 --no-fence --run-ms 5000 \
	--exit-on "result updated" >"$dir/nofence.out" 2>"$dir/nofence.log")
eq "fence = no: A replaced" "$(dq "$name" A)" 10.0.0.10
eq "fence = no: AAAA of the family without target deleted" "$(dq "$name" AAAA)" ""
eq "fence = no: fence TXT untouched" "$(fence_text)" "$f5"

# --- the rest of the zone ------------------------------------------------------------------
eq "other records untouched (SOA names, NS, ns1, sno1, CNAMEs)" "$(others)" "$before"
check "named logged no update it could not apply" \
	sh -c "! grep -Eq 'update failed: .*(journal|internal)' '$dir/named.log'"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
