#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/health.sh: N TLS backends on loopback (one nginx, one port, a name per backend under one
# test CA), checked every second by ONE kcwatchd for SECONDS: its CPU share, memory, the check
# latency distribution and whether any check round was delayed.
#   bench/health.sh [-n BACKENDS] [-d SECONDS] [-s SILENT]     (defaults: 200 backends, 30 s, 0)
#   -s SILENT: that many of the backends point at a listener that accepts and never answers
#              (each check times out): they must not delay the others.
#   -1:        every backend's connect-to is 127.0.0.1:PORT instead of an address of its own
#              (127.1.x.y). libcurl keeps connections in one bundle per connect-to address and
#              URL port, and before reusing one it peeks at every idle connection of that
#              bundle that comes first: with one address for all, each check costs O(N).
#
# kcwatchd runs in a network namespace as a single-node cluster: the config has a second node
# that never runs, so this one claims the lead after the dead interval and starts checking.
# It runs with -d: every check logs one line "health NAME: up|down... (N ms)", which gives the
# latency of every check and its start (end - latency). The CPU time comes from
# /proc/PID/task/*/schedstat (nanoseconds), measured over the window only, after the first
# round (N TLS handshakes), which is reported on its own.
#
# [backend] sections are limited to CFG_MAX_BACKENDS (daemon/lib/config.h). When BACKENDS is above
# it, a copy of the source tree with only that constant raised is built in $KCW_BENCH_BUILD
# (default $KCW_BUILD-wide, beside the build directory) and measured instead; the output says so.
set -euo pipefail
n=200 secs=30 silent=0 one_addr=""
while getopts "n:d:s:1h" o; do
	case $o in
	n) n=$OPTARG ;;
	d) secs=$OPTARG ;;
	s) silent=$OPTARG ;;
	1) one_addr=1 ;;
	*) sed -n '2,12p' "$0"; exit 2 ;;
	esac
done
top=$(cd "$(dirname "$0")/.." && pwd)
export KCW_TOP=$top KCW_BUILD=${KCW_BUILD:-$top/build}
. "$top/tests/integration/lib.sh"
t_require_root
t_require_tools nginx openssl jq awk
[ -x "$KCWATCHD" ] || { echo "build first: KCW_BUILD=$KCW_BUILD has no daemon/kcwatchd" >&2; exit 1; }
PY=$(command -v /usr/bin/python3 python3 | head -1)

# --- a kcwatchd that accepts N backends -------------------------------------------------------
limit=$(awk '$1 == "#define" && $2 == "CFG_MAX_BACKENDS" { print $3 }' "$top/daemon/lib/config.h")
variant=""
if [ "$n" -gt "$limit" ]; then
	wide=${KCW_BENCH_BUILD:-$KCW_BUILD-wide}
	want=$(( n > 256 ? n : 256 ))
	echo "# $n backends > CFG_MAX_BACKENDS ($limit): building kcwatchd with CFG_MAX_BACKENDS $want in $wide"
	mkdir -p "$wide/src" "$wide/build"
	# mtimes kept: the build directory stays incremental between runs
	(cd "$top" && tar --exclude=.git --exclude=./build -cf - .) | tar -xf - -C "$wide/src"
	sed -i "s/^#define CFG_MAX_BACKENDS .*/#define CFG_MAX_BACKENDS $want/" "$wide/src/daemon/lib/config.h"
	(cd "$wide/build" && { [ -f Makefile ] || "$wide/src/configure" -q; } && make -j2 >"$wide/make.log" 2>&1) ||
		{ echo "building the variant failed: see $wide/make.log" >&2; exit 1; }
	KCWATCHD=$wide/build/daemon/kcwatchd
	KCWATCHCTL=$wide/build/ctl/kcwatchctl
	[ -x "$KCWATCHCTL" ] || KCWATCHCTL=$KCW_BUILD/ctl/kcwatchctl
	variant=" (variant: CFG_MAX_BACKENDS $want, otherwise the same source)"
fi

t_lan bench1 bench2 # bench2's namespace exists, but no daemon runs there
chmod 755 "$T_DIR"
key="$T_DIR/cluster.key"
t_keyfile "$key"
DOM=kcw-bench.test
PORT=8443

# --- test CA and one certificate for *.kcw-bench.test (RSA 2048, as a typical router cert) ---
d=$T_DIR/pki
{ t_pki_ca "$d" ca && t_pki_cert "$d" srv "*.$DOM"; } || { echo "openssl: the test certificates" >&2; exit 1; }

# --- nginx: one server for every name, Keycloak's health JSON ----------------------------------
t_nginx_conf "$T_DIR/nginx" main="worker_processes 1;
worker_rlimit_nofile 4096;" events="worker_connections 2048;" http="access_log off;
keepalive_timeout 75s;
keepalive_requests 100000;" <<EOF
    server {
        listen $PORT ssl;
        server_name *.$DOM;
        ssl_certificate $d/srv.pem;
        ssl_certificate_key $d/srv.key;
        default_type application/json;
        location = /health { return 200 '{"status": "UP", "checks": []}'; }
    }
EOF
ip netns exec "$(t_ns bench1)" nginx -p "$T_DIR/nginx" -c "$T_DIR/nginx/nginx.conf" >>"$T_DIR/nginx.log" 2>&1 &
nginx_pid=$!
T_PIDS+=($!)
if [ "$silent" -gt 0 ]; then
	t_silent bench1 0.0.0.0 $((PORT + 1)) 1024
fi
for _ in $(seq 50); do
	ip netns exec "$(t_ns bench1)" "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 0.3)" 2>/dev/null && break
	sleep 0.1
done

# --- the config: a single-node cluster and N backends -----------------------------------------
conf=$T_DIR/kcwatch.conf
# bench2 never runs: bench1 leads after the dead interval
t_conf_cluster "$conf" name=bench interval=1s bench1:100 bench2:50
for i in $(seq 1 "$n"); do
	name=$(printf 'b%03d' "$i")
	port=$PORT
	[ "$i" -gt $((n - silent)) ] && port=$((PORT + 1))
	addr=127.1.$((i / 250)).$((i % 250 + 1)) # a host of its own, as real backends are
	[ -n "$one_addr" ] && addr=127.0.0.1
	t_conf_backend "$conf" "$name" "https://$name.$DOM:$PORT/health" "$addr:$port" "$d/ca.pem" \
		interval=1s timeout=800ms
done
t_exec bench1 "$KCWATCHD" -t -c "$conf" >/dev/null || { echo "kcwatchd -t rejects the generated config" >&2; exit 1; }

nginx_pids() { echo "$nginx_pid $(pgrep -P "$nginx_pid" | tr '\n' ' ')"; }
checks_json() { "$KCWATCHCTL" -s "$T_DIR/bench1.sock" status --json 2>/dev/null; }
min_checks() { checks_json | jq '[.backends[].checks] | min'; }

# --- run ----------------------------------------------------------------------------------------
t_now_ns() { date +%s%N; }
t_start bench1 "$conf"
pid=${T_NODE_PID[bench1]}
t_start_ns=$(t_now_ns)
# leader after the dead interval, then the first round (N TLS handshakes) and one more
for _ in $(seq 200); do [ "$(min_checks)" -ge 2 ] 2>/dev/null && break; sleep 0.1; done
[ "$(min_checks)" -ge 2 ] || { echo "kcwatchd did not get two rounds done" >&2; tail -20 "$T_DIR/bench1.log"; exit 1; }
warm_cpu=$(t_cpu_ns "$pid")
warm_ns=$(( $(t_now_ns) - t_start_ns ))
ra0=$(t_now_ns)
checks_json | jq -r '.backends[] | "\(.name) \(.checks)"' >"$T_DIR/checks0"
rb0=$(t_now_ns)
tcp_opens() { ip netns exec "$(t_ns bench1)" awk '$1 == "Tcp:" && $6 ~ /^[0-9]+$/ { print $6 }' /proc/net/snmp; }
o0=$(tcp_opens)
l0=$(wc -l <"$T_DIR/bench1.log")
c0=$(t_cpu_ns "$pid")
# shellcheck disable=SC2046 # one word per PID
g0=$(t_cpu_ns $(nginx_pids))
s0=$(t_now_ns)
read -r ut0 st0 < <(awk '{ print $14, $15 }' /proc/"$pid"/stat)
sleep "$secs"
c1=$(t_cpu_ns "$pid")
# shellcheck disable=SC2046
g1=$(t_cpu_ns $(nginx_pids))
s1=$(t_now_ns)
read -r ut1 st1 < <(awk '{ print $14, $15 }' /proc/"$pid"/stat)
o1=$(tcp_opens)
ra1=$(t_now_ns)
checks_json | jq -r '.backends[] | "\(.name) \(.checks) \(.state)"' >"$T_DIR/checks1"
rb1=$(t_now_ns)
tail -n +"$((l0 + 1))" "$T_DIR/bench1.log" >"$T_DIR/window.log"
rss=$(t_mem_kib Rss "$pid")
pss=$(t_mem_kib Pss "$pid")
fds=$(ls /proc/"$pid"/fd | wc -l)
hz=$(getconf CLK_TCK)

# --- figures -------------------------------------------------------------------------------------
win_ms=$(( (s1 - s0) / 1000000 ))
echo "kcwatchd health checks: $n TLS backends ($silent silent), interval 1 s, timeout 800 ms, window ${win_ms} ms$variant"
echo "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $(curl --version | head -1 | cut -d' ' -f1-2), $(openssl version | cut -d' ' -f1-2)"
awk -v c=$((c1 - c0)) -v w=$((s1 - s0)) -v u=$((ut1 - ut0)) -v s=$((st1 - st0)) -v hz="$hz" 'BEGIN {
	printf "CPU        %.2f %% of one core (schedstat: %.1f ms in %.1f s; user %.0f ms, system %.0f ms)\n",
		100 * c / w, c / 1e6, w / 1e9, 1000 * u / hz, 1000 * s / hz }'
awk -v c="$warm_cpu" -v w="$warm_ns" 'BEGIN {
	printf "start-up   %.1f ms CPU from the start to two full rounds (%.1f s: election wait, %s TLS handshakes)\n",
		c / 1e6, w / 1e9, "the first round'"'"'s" }'
awk -v c=$((g1 - g0)) -v w=$((s1 - s0)) 'BEGIN { printf "nginx      %.2f %% of one core (the backends side, for scale)\n", 100 * c / w }'
echo "TCP        $((o1 - o0)) connections opened in the window ($(awk -v o=$((o1 - o0)) -v n=$((n * secs)) 'BEGIN { printf "%.1f", 100 * o / n }') % of the checks; 0 when every backend keeps its connection)"
echo "memory     RSS $((rss / 1024)).$(( (rss % 1024) * 10 / 1024 )) MiB, PSS $((pss / 1024)).$(( (pss % 1024) * 10 / 1024 )) MiB, $fds open fds"

# every check in the window: "NAME STATE LATENCY END_MS_OF_DAY"
awk '
	/ debug: health [^ ]+: (up|down)/ {
		split($1, t, /[:.]/)
		end = ((t[1] * 60 + t[2]) * 60 + t[3]) * 1000 + t[4]
		name = $5; sub(/:$/, "", name)
		state = $6; sub(/:$/, "", state)
		lat = $(NF - 1); sub(/^\(/, "", lat)
		print name, state, lat, end
	}' "$T_DIR/window.log" >"$T_DIR/checks.txt"
total=$(wc -l <"$T_DIR/checks.txt")
awk -v c=$((c1 - c0)) -v k="$total" 'BEGIN {
	if (k) printf "per check  %.0f us of CPU (the whole daemon over the window / checks logged in it)\n", c / 1000 / k }'
sort -n -k3 "$T_DIR/checks.txt" | awk -v n="$total" '
	{ l[NR] = $3 }
	function pct(p,  i) { i = int(p * n + 0.999999); if (i < 1) i = 1; if (i > n) i = n; return l[i] }
	END {
		if (n == 0) { print "latency    no checks logged"; exit }
		printf "latency    p50 %d ms, p90 %d ms, p99 %d ms, max %d ms over %d checks\n",
			pct(0.50), pct(0.90), pct(0.99), l[n], n
	}'
awk '$2 == "up"' "$T_DIR/checks.txt" | sort -n -k3 | awk '
	{ l[NR] = $3 } END { if (NR) printf "           healthy backends only: p50 %d ms, p99 %d ms, max %d ms\n", l[int(NR * 0.5 + 0.999)], l[int(NR * 0.99 + 0.999)], l[NR] }'
down=$(awk '$2 == "down"' "$T_DIR/checks.txt" | wc -l)
echo "results    $((total - down)) up, $down down$( [ "$down" -gt 0 ] && echo ": $(grep -m1 -o 'health b[0-9]*: down: .*' "$T_DIR/window.log")")"

# checks per backend between the two status reads (their counters): one a second means
# between floor(shortest gap) and ceil(longest gap) between the reads
join "$T_DIR/checks0" "$T_DIR/checks1" | awk -v lo=$(( (ra1 - rb0) / 1000000000 )) \
	-v hi=$(( (rb1 - ra0 + 999999999) / 1000000000 )) '
	{ d = $3 - $2; if (min == "" || d < min) min = d; if (d > max) max = d; sum += d; k++ }
	END { printf "rounds     checks per backend between two status reads: min %d, max %d, mean %.2f (one a second: %d..%d)\n",
		min, max, sum / k, lo, hi }'
# when did each check start (end - latency), against its own schedule (one per second)?
sort -k1,1 -k4,4n "$T_DIR/checks.txt" | awk '
	{
		start = $4 - $3
		if ($1 != cur) { cur = $1; k = 0; base = start; lo = 0; hi = 0 }
		else {
			gap = start - prev
			if (gap > 1500) skipped++
			k++
			off = start - (base + 1000 * k)
			if (off < lo) lo = off
			if (off > hi) hi = off
			if (hi - lo > spread) spread = hi - lo
			if (gap - 1000 > maxlate) maxlate = gap - 1000
			if (1000 - gap > maxearly) maxearly = 1000 - gap
		}
		prev = start
	}
	END {
		printf "schedule   check starts drift from their 1 s schedule by at most %d ms per backend; gaps between starts 1000 ms %+d/-%d ms; %d rounds missed\n",
			spread, maxlate, maxearly, skipped
	}'
skipped=$(grep -c 'previous check still running, round skipped' "$T_DIR/window.log" || true)
echo "           rounds skipped because the previous check still ran: $skipped"
errs=$(grep -cE ' (error|warning): ' "$T_DIR/window.log" || true)
echo "log        $errs warnings or errors in the window"
[ "$errs" -gt 0 ] && grep -E ' (error|warning): ' "$T_DIR/window.log" | sort | uniq -c | sort -rn | head -5
awk -v c=$((c1 - c0)) -v w=$((s1 - s0)) 'BEGIN { exit !(100 * c / w < 10) }' &&
	echo "target     CPU under 10 % of one core: met" || echo "target     CPU under 10 % of one core: MISSED"
exit 0
