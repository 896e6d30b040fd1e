#!/bin/bash
# SPDX-License-Identifier: MIT
# test_health.sh: health checks, backend choice and HAProxy runtime API against real nginx/HAProxy on 127.0.0.1.
#
# Needs nginx, haproxy, openssl, python3 and a built tree: the driver is
# $KCW_BUILD/tests/integration/health_drive (KCW_BUILD: the build directory tests/run.sh
# made, default build/ in the source tree), or HEALTH_DRIVE when set.
# Only loopback addresses; every process is stopped by PID and the temp dir
# removed by the trap. Last line: "N passed, N failed"; exit status 1 on failure.
set -u

SRC=$(cd "$(dirname "$0")/../.." && pwd)
# lib.sh for its helpers (t_pki_ca, t_nginx_conf, t_hap_servers...) and its temp dir; no
# namespaces here, and this test keeps its own bookkeeping (PIDS, ok/not_ok) and EXIT trap.
. "$SRC/tests/integration/lib.sh"
DRIVE=${HEALTH_DRIVE:-$KCW_BUILD/tests/integration/health_drive}
PASS=0
FAIL=0
PIDS=()
DIR=$T_DIR # removed by cleanup (lib.sh's trap is replaced below)

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -QUIT "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 1 30); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	[ -n "$DIR" ] && rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $1"; [ $# -gt 1 ] && echo "#   $2"; }
finish() { echo "$PASS passed, $FAIL failed"; [ "$FAIL" -eq 0 ]; exit $?; }

for tool in nginx haproxy openssl python3; do
	if ! command -v "$tool" >/dev/null; then
		echo "missing $tool"
		not_ok "prerequisite $tool"
		finish
	fi
done

# The driver comes only from the build directory: a copy compiled here could link a stale library.
if [ ! -x "$DRIVE" ]; then
	not_ok "no $DRIVE: build first (tests/run.sh does)"
	finish
fi

chmod 755 "$DIR" # nginx workers run as nobody

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
P1=$(free_port)
P2=$(free_port)
PH=$(free_port)
PR=$(free_port)
PF=$(free_port)
N1=keycloak-rhbk.apps.sno1.local.mylab.io
N2=keycloak-rhbk.apps.sno2.local.mylab.io

# --- certificates: a test CA, one server cert per backend, and an unrelated CA -------
mkcerts() {
	local d=$DIR/pki n
	{ t_pki_ca "$d" ca && t_pki_ca "$d" otherca; } || return 1
	for n in sno1 sno2; do t_pki_cert "$d" "$n" "keycloak-rhbk.apps.$n.local.mylab.io" || return 1; done
}
if mkcerts; then ok "test CA and server certificates"; else not_ok "openssl certificates"; finish; fi
CA=$DIR/pki/ca.pem

# --- nginx: two TLS backends; $DIR/snoN.down turns /health into 503 DOWN -------------
server_block() { # name port
	cat <<EOF
    server {
        listen 127.0.0.1:$2 ssl;
        server_name keycloak-rhbk.apps.$1.local.mylab.io;
        ssl_certificate $DIR/pki/$1.pem;
        ssl_certificate_key $DIR/pki/$1.key;
        default_type application/json;
        location = /health {
            if (-f $DIR/$1.down) { return 503 '{"status":"DOWN","checks":[{"name":"db","status":"DOWN"}]}'; }
            return 200 '{"status": "UP", "checks": []}';
        }
        location = /down { return 503 '{"status":"DOWN","checks":[{"name":"x","status":"UP"}]}'; }
        location = /nested { return 200 '{"status":"DOWN","checks":[{"name":"x","status":"UP"}]}'; }
        location = /html { default_type text/html; return 200 '<html><body>UP</body></html>'; }
        location = /big.json { root $DIR/www; }
    }
EOF
}
mkdir -p "$DIR/www"
python3 -c 'import sys; sys.stdout.write("{\"status\":\"UP\",\"pad\":\"" + "x"*100000 + "\"}")' >"$DIR/www/big.json"
chmod -R a+rX "$DIR/www"
t_nginx_conf "$DIR" http="log_format conn '\$server_port \$uri \$status conn=\$connection req=\$connection_requests';
access_log $DIR/access.log conn;" <<EOF
$(server_block sno1 "$P1")
$(server_block sno2 "$P2")
EOF
nginx -p "$DIR" -c "$DIR/nginx.conf" 2>"$DIR/nginx.stderr" &
PIDS+=($!)

# --- a port that accepts (kernel backlog) but never answers; the refused port stays closed
python3 -c "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1',$PH)); s.listen(16); time.sleep(300)" &
PIDS+=($!)

wait_port() { # port: bounded wait until something listens
	for _ in $(seq 1 50); do
		python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
if wait_port "$P1" && wait_port "$P2" && wait_port "$PH"; then
	ok "nginx and the silent listener are up"
else
	not_ok "nginx start" "$(cat "$DIR/nginx.stderr" "$DIR/error.log" 2>/dev/null)"
	finish
fi

# --- one round of checks, all backends at once on one CURLM -----------------------------
B1=(-u "https://$N1/health" -c "127.0.0.1:$P1" -a "$CA")
"$DRIVE" check -w 8000 \
	-b up "${B1[@]}" \
	-b up2 -u "https://$N2/health" -c "127.0.0.1:$P2" -a "$CA" \
	-b down503 -u "https://$N1/down" -c "127.0.0.1:$P1" -a "$CA" \
	-b nested -u "https://$N1/nested" -c "127.0.0.1:$P1" -a "$CA" \
	-b html -u "https://$N1/html" -c "127.0.0.1:$P1" -a "$CA" \
	-b bodyok -u "https://$N1/html" -c "127.0.0.1:$P1" -a "$CA" -e UP \
	-b bodybad -u "https://$N1/health" -c "127.0.0.1:$P1" -a "$CA" -e NOPE \
	-b big -u "https://$N1/big.json" -c "127.0.0.1:$P1" -a "$CA" \
	-b wrongca -u "https://$N1/health" -c "127.0.0.1:$P1" -a "$DIR/pki/otherca.pem" \
	-b wronghost -u "https://$N2/health" -c "127.0.0.1:$P1" -a "$CA" \
	-b timeout -u "https://$N1/health" -c "127.0.0.1:$PH" -a "$CA" -t 1000 \
	-b refused -u "https://$N1/health" -c "127.0.0.1:$PR" -a "$CA" \
	>"$DIR/check.out" 2>"$DIR/check.err"
RC=$?
[ $RC -eq 0 ] && ok "every backend reported one result" || not_ok "check run exit $RC" "$(cat "$DIR/check.out" "$DIR/check.err")"

result() { # name -> "up|down HTTP LATENCY REASON"
	awk -v n="$1" '$1 == "RESULT" && $2 == n { $1 = $2 = $3 = ""; sub(/^ +/, ""); print; exit }' "$DIR/check.out"
}
expect_result() { # name state reason-regex (matched against "HTTP LATENCY REASON")
	local r
	r=$(result "$1")
	if [[ "$r" =~ ^$2\ [0-9]+\ [0-9]+\ $3$ ]]; then ok "$1: $2 ($r)"; else not_ok "$1: expected $2 /$3/" "got: $r"; fi
}
expect_result up up '-'
expect_result up2 up '-'
expect_result down503 down 'HTTP 503 \(expected 200\), status DOWN'
expect_result nested down 'JSON status DOWN \(expected UP\)'
expect_result html down "body is not JSON: .*\('<html><body>UP</body></html>'\)"
expect_result bodyok up '-'
expect_result bodybad down "body does not contain 'NOPE'"
expect_result big down 'body larger than 65536 bytes'
expect_result wrongca down 'TLS verification failed: SSL certificate problem: .*'
expect_result wronghost down "TLS host name mismatch: .*$N2.*"
expect_result timeout down 'timeout after 1000 ms \(TLS handshake\)'
expect_result refused down 'connection refused'

# The silent backend must not delay the others: they all finish before it, fast.
LAST=$(awk '$1 == "RESULT" { n = $2 } END { print n }' "$DIR/check.out")
UPLAT=$(result up | awk '{ print $3 }')
if [ "$LAST" = timeout ] && [ "${UPLAT:-9999}" -lt 900 ]; then
	ok "the timing-out backend did not delay the others (up in ${UPLAT} ms)"
else
	not_ok "independent checks" "last=$LAST up latency=$UPLAT"
fi
# Host and SNI stayed the URL's name although connect-to sent it to 127.0.0.1:port.
if grep -q "^$P1 /health 200" "$DIR/access.log"; then ok "connect-to kept the URL's name (nginx served it)"; else not_ok "access log"; fi

# --- rounds: own schedule per backend, the easy handle (and connection) reused ----------
: >"$DIR/access.log"
kill -USR1 "$(cat "$DIR/nginx.pid")" 2>/dev/null # reopen the log
sleep 0.2
"$DRIVE" check -r 3 -w 8000 \
	-b up "${B1[@]}" -i 300 -t 250 \
	-b timeout -u "https://$N1/health" -c "127.0.0.1:$PH" -a "$CA" -i 300 -t 250 \
	>"$DIR/rounds.out" 2>&1
RC=$?
N_UP=$(awk '$1 == "RESULT" && $2 == "up" && $4 == "up"' "$DIR/rounds.out" | wc -l)
N_TO=$(awk '$1 == "RESULT" && $2 == "timeout" && /timeout after 250 ms/' "$DIR/rounds.out" | wc -l)
if [ $RC -eq 0 ] && [ "$N_UP" -ge 3 ] && [ "$N_TO" -ge 3 ]; then
	ok "three rounds each, every 300 ms, timeouts of 250 ms"
else
	not_ok "rounds" "$(cat "$DIR/rounds.out")"
fi
CONNS=$(awk -v p="$P1" '$1 == p && $2 == "/health" { print $4 }' "$DIR/access.log" | sort -u | wc -l)
REQS=$(awk -v p="$P1" '$1 == p && $2 == "/health"' "$DIR/access.log" | wc -l)
if [ "$REQS" -ge 3 ] && [ "$CONNS" -eq 1 ]; then
	ok "checks of one backend reuse one connection ($REQS requests)"
else
	not_ok "connection reuse" "$(cat "$DIR/access.log")"
fi

# --- leader -> follower -> leader: stop cancels the transfer in flight without a callback --
"$DRIVE" check -z -w 8000 \
	-b up "${B1[@]}" -t 400 \
	-b timeout -u "https://$N1/health" -c "127.0.0.1:$PH" -a "$CA" -t 400 \
	>"$DIR/restart.out" 2>&1
RC=$?
N_UP=$(awk '$1 == "RESULT" && $2 == "up"' "$DIR/restart.out" | wc -l)
N_TO=$(awk '$1 == "RESULT" && $2 == "timeout"' "$DIR/restart.out" | wc -l)
if [ $RC -eq 0 ] && [ "$N_UP" -eq 2 ] && [ "$N_TO" -eq 1 ] && grep -q '^RESTART' "$DIR/restart.out"; then
	ok "health_stop/health_start from the callback: fresh rounds, the cancelled check never reports"
else
	not_ok "restart" "$(cat "$DIR/restart.out")"
fi

# --- HAProxy with its runtime API ----------------------------------------------------
SOCK=$DIR/haproxy.sock
t_hap_conf "$DIR/haproxy.cfg" "$SOCK" "127.0.0.1:$PF" <<EOF
    option httpchk GET /health
    http-check expect string UP
    default-server ssl check inter 500 on-marked-down shutdown-sessions on-marked-up shutdown-backup-sessions
    server sno1 127.0.0.1:$P1 sni str('$N1') check-sni '$N1' verify required verifyhost '$N1' ca-file $CA
    server sno2 127.0.0.1:$P2 sni str('$N2') check-sni '$N2' verify required verifyhost '$N2' ca-file $CA backup
EOF
haproxy -f "$DIR/haproxy.cfg" -db >"$DIR/haproxy.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
if [ -S "$SOCK" ]; then ok "haproxy up with its admin socket"; else not_ok "haproxy start" "$(cat "$DIR/haproxy.log")"; finish; fi

hap_admin() { t_hap_servers "$SOCK" keycloakbackend; } # independent read-back: "name admin_state" per server
expect_admin() { # label sno1-admin sno2-admin
	local got
	got=$(hap_admin | sort | tr '\n' ' ')
	if [ "$got" = "sno1 $2 sno2 $3 " ]; then ok "$1 ($got)"; else not_ok "$1" "got: $got"; fi
}

apply_active() { # ACTIVE OTHER: haproxy_apply with ACTIVE active reads back ACTIVE ready, OTHER maint
	local out="$DIR/apply-$1.out"
	if "$DRIVE" apply "$SOCK" keycloakbackend "$1" sno1 sno2 >"$out" 2>&1 &&
		grep -q "^SERVER $1 ready" "$out" && grep -q "^SERVER $2 maint" "$out"; then
		ok "haproxy_apply $1 active: read back as asked"
	else
		not_ok "apply $1" "$(cat "$out")"
	fi
}

apply_active sno1 sno2
expect_admin "HAProxy itself: sno1 ready, sno2 maint" 0 1
apply_active sno2 sno1
expect_admin "HAProxy itself: sno1 maint, sno2 ready" 1 0
if "$DRIVE" show "$SOCK" keycloakbackend >"$DIR/show.out" 2>&1 && grep -q '^OK' "$DIR/show.out" &&
	grep -q '^SERVER sno2 ready' "$DIR/show.out"; then
	ok "haproxy_refresh reads the states back"
else
	not_ok "show" "$(cat "$DIR/show.out")"
fi
if ! "$DRIVE" apply "$SOCK" keycloakbackend sno3 sno3 sno2 >"$DIR/apply3.out" 2>&1 &&
	grep -q '^FAIL .*sno3: not in the HAProxy backend' "$DIR/apply3.out"; then
	ok "unknown server reported as a mismatch"
else
	not_ok "unknown server" "$(cat "$DIR/apply3.out")"
fi
if ! "$DRIVE" show "$DIR/nothing.sock" keycloakbackend >"$DIR/unreach.out" 2>&1 &&
	grep -q '^FAIL unreachable: cannot connect' "$DIR/unreach.out"; then
	ok "missing socket reported unreachable"
else
	not_ok "unreachable" "$(cat "$DIR/unreach.out")"
fi
# A stuck HAProxy: accepts (backlog) and never answers; the exchange ends at its timeout.
python3 -c "import socket,time; s=socket.socket(socket.AF_UNIX); s.bind('$DIR/stuck.sock'); s.listen(4); time.sleep(300)" &
PIDS+=($!)
for _ in $(seq 1 50); do [ -S "$DIR/stuck.sock" ] && break; sleep 0.1; done
T0=$(date +%s%N)
"$DRIVE" show "$DIR/stuck.sock" keycloakbackend >"$DIR/stuck.out" 2>&1
T1=$(( ($(date +%s%N) - T0) / 1000000 ))
if grep -q '^FAIL unreachable: no answer from .* within 2000 ms' "$DIR/stuck.out" && [ "$T1" -lt 4000 ]; then
	ok "stuck HAProxy times out in ${T1} ms"
else
	not_ok "stuck haproxy" "$(cat "$DIR/stuck.out") after $T1 ms"
fi

# --- the chain: checks -> choice -> HAProxy; sno1 fails, then recovers with a hold --------
"$DRIVE" run -S "$SOCK" -H keycloakbackend -F 1500 -w 20000 \
	-b sno1 "${B1[@]}" -i 200 -t 150 -R 2 -f 2 \
	-b sno2 -u "https://$N2/health" -c "127.0.0.1:$P2" -a "$CA" -i 200 -t 150 -R 2 -f 2 \
	>"$DIR/run.out" 2>&1 &
RUNPID=$!
PIDS+=("$RUNPID")
wait_line() { # regex, tenths of a second
	for _ in $(seq 1 "$2"); do grep -Eq "$1" "$DIR/run.out" && return 0; sleep 0.1; done
	return 1
}
if wait_line '^HAPROXY ok ready=sno1' 50; then ok "chain: sno1 active, applied to HAProxy"; else not_ok "chain start" "$(cat "$DIR/run.out")"; fi
touch "$DIR/sno1.down"
if wait_line '^ACTIVE sno2 switches=1 reason=sno1 down \(HTTP 503 \(expected 200\), status DOWN; failing checks: db\)' 50 &&
	wait_line '^HAPROXY ok ready=sno2' 30; then
	ok "chain: sno1 down after fall -> sno2, applied"
else
	not_ok "chain failover" "$(cat "$DIR/run.out")"
fi
expect_admin "HAProxy itself after failover" 1 0
rm -f "$DIR/sno1.down"
if wait_line '^STATE sno1 up' 50; then
	T_UP=$(date +%s%N)
	if wait_line '^ACTIVE sno1 switches=2 reason=failback to sno1 after' 50 && wait_line '^HAPROXY ok ready=sno1' 30; then
		HELD=$(( ($(date +%s%N) - T_UP) / 1000000 ))
		if [ "$HELD" -ge 1200 ]; then ok "chain: failback after the hold (${HELD} ms)"; else not_ok "hold too short: $HELD ms"; fi
	else
		not_ok "chain failback" "$(cat "$DIR/run.out")"
	fi
else
	not_ok "chain: sno1 recovery" "$(cat "$DIR/run.out")"
fi
expect_admin "HAProxy itself after failback" 0 1
kill -TERM "$RUNPID" 2>/dev/null
if grep -l -E 'AddressSanitizer|LeakSanitizer|runtime error' "$DIR"/*.out >/dev/null 2>&1; then
	not_ok "sanitizer reports" "$(grep -l -E 'AddressSanitizer|LeakSanitizer|runtime error' "$DIR"/*.out)"
fi

finish
