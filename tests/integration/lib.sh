# SPDX-License-Identifier: MIT
# tests/integration/lib.sh: namespaces, daemons and assertions shared by the integration tests,
# and what they, the chaos scenarios (tests/chaos/lib.sh) and the benchmarks (bench/) set up alike:
# kcwatchd configurations, a private named, keepalived, TLS backends (test CA, nginx, HAProxy).
# Every test sources it; the EXIT trap stops what the test started (by PID) and deletes its
# namespaces and temp dir, also when the test fails or is interrupted.

KCW_TOP=${KCW_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
KCW_BUILD=${KCW_BUILD:-$KCW_TOP/build}
KCWATCHD=$KCW_BUILD/daemon/kcwatchd
KCWATCHCTL=$KCW_BUILD/ctl/kcwatchctl
HBFORGE=$KCW_BUILD/tests/integration/hbforge

T_ID="kt$$"
T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kcw-test.XXXXXX") # tests/run.sh points TMPDIR at its scratch dir
T_PIDS=()
T_NS=()
T_PASS=0
T_FAIL=0
declare -A T_NODE_PID

t_now() { date +%s%3N; }
t_log() { printf '# %s\n' "$*"; }

# t_own PID: true while PID is a child of the test's shell. Every recorded PID is a "cmd &"
# of that shell; once reaped, the number may be reused by any process, which is not ours.
t_own() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) } # after "pid (comm) ": state, ppid, ...
	set -- $s
	[ "${2:-}" = "$$" ]
}
# t_kill SIGNAL PID...: signals each PID that is still the test's own (t_own); always 0.
t_kill() {
	local sig=$1 p
	shift
	for p in "$@"; do t_own "$p" && kill -"$sig" "$p" 2>/dev/null; done
	return 0
}

t_cleanup() {
	local p n
	# A child forked for "cmd &" runs this trap too if signalled before it execs: only the
	# test's own shell may clean up.
	[ "$BASHPID" = "$$" ] || return 0
	# Scripts under "set -e" (the benchmarks) must not stop cleaning at the first process
	# that has already exited: the shell is on its way out anyway.
	set +e
	t_kill TERM "${T_PIDS[@]}"
	for p in "${T_PIDS[@]}"; do
		for n in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		t_kill KILL "$p"
	done
	for n in "${T_NS[@]}"; do ip netns del "$n" 2>/dev/null; done
	if [ "$T_FAIL" -gt 0 ] && [ -z "${KCW_KEEP_LOGS:-}" ]; then
		for n in "$T_DIR"/*.log; do [ -f "$n" ] && { echo "--- $n (last 30 lines)"; tail -30 "$n"; }; done
	fi
	# A failed test's files are what explains it (tests/run.sh keeps its TMPDIR and says where)
	if [ "$T_FAIL" -gt 0 ] || [ "${KCW_KEEP_LOGS:-}" = 1 ]; then
		echo "# files of this test kept in $T_DIR"
	else
		rm -rf "$T_DIR"
	fi
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

t_ns() { echo "$T_ID-$1"; }
t_exec() { local h=$1; shift; ip netns exec "$(t_ns "$h")" "$@"; }

# t_lan HOST...: a switch namespace with a bridge, each HOST on it as eth0 with
# 10.77.0.(10+i)/24 and fd77::(10+i)/64 (i = position, from 1).
t_lan() {
	local sw i=0 h ns
	sw=$(t_ns sw)
	ip netns add "$sw"; T_NS+=("$sw")
	ip -n "$sw" link add br0 type bridge
	ip -n "$sw" link set br0 up
	for h in "$@"; do
		i=$((i + 1))
		ns=$(t_ns "$h")
		ip netns add "$ns"; T_NS+=("$ns")
		ip link add "$T_ID$i" type veth peer name eth0 netns "$ns"
		ip link set "$T_ID$i" netns "$sw"
		ip -n "$sw" link set "$T_ID$i" master br0 up
		ip -n "$ns" link set lo up
		ip -n "$ns" link set eth0 address "02:00:00:77:00:$(printf %02x $((10 + i)))"
		ip -n "$ns" addr add "10.77.0.$((10 + i))/24" dev eth0
		ip -n "$ns" addr add "fd77::$((10 + i))/64" dev eth0 nodad
		ip -n "$ns" link set eth0 up
		eval "T_IP4_$h=10.77.0.$((10 + i))"
		eval "T_IP6_$h=fd77::$((10 + i))"
	done
}
t_ip4() { eval "echo \$T_IP4_$1"; }
t_ip6() { eval "echo \$T_IP6_$1"; }

t_keyfile() { # PATH
	head -c 32 /dev/urandom | base64 >"$1"
	chmod 0600 "$1"
}

# t_conf_cluster FILE [KEY=VALUE...] [NODE:PRIORITY|NODE:witness...]: writes FILE with the
# [cluster] section and one [node] section per NODE (address = its t_ip4; a witness gets
# "role = witness" instead of a priority), in the order given; no NODE: lb1:150 lb2:100. The
# caller appends its own [vip], [backend], [dns]... sections. [cluster] has name = keycloak,
# interval = 200ms, dead-after = 3 and key-file = $T_DIR/cluster.key unless a KEY=VALUE says
# otherwise (an empty VALUE leaves the key out). The keys come in the order name, port,
# interval, dead-after, key-file, preempt, preempt-delay, then any other key as given: tests
# that assert a file:line of the result count on that.
t_conf_cluster() {
	local f=$1 a k keys=(name port interval dead-after key-file preempt preempt-delay) nodes=()
	local -A v=([name]=keycloak [interval]=200ms [dead-after]=3 [key-file]=$T_DIR/cluster.key)
	shift
	for a in "$@"; do
		case $a in
		*=*)
			k=${a%%=*}
			case " ${keys[*]} " in *" $k "*) ;; *) keys+=("$k") ;; esac
			v[$k]=${a#*=}
			;;
		*:*) nodes+=("$a") ;;
		*) echo "t_conf_cluster: neither KEY=VALUE nor NODE:PRIORITY: $a" >&2; return 1 ;;
		esac
	done
	[ ${#nodes[@]} -gt 0 ] || nodes=(lb1:150 lb2:100)
	{
		echo "[cluster]"
		for k in "${keys[@]}"; do
			if [ -n "${v[$k]:-}" ]; then echo "$k = ${v[$k]}"; fi
		done
		for a in "${nodes[@]}"; do
			printf '\n[node %s]\naddress = %s\n' "${a%%:*}" "$(t_ip4 "${a%%:*}")"
			if [ "${a#*:}" = witness ]; then echo "role = witness"; else echo "priority = ${a#*:}"; fi
		done
	} >"$f"
}

# t_conf_vip FILE NAME ADDRESS/PREFIX [KEY=VALUE...]: appends a [vip NAME] section to FILE:
# address, interface = eth0 (unless interface=... is given), then the other keys as given.
t_conf_vip() {
	local f=$1 a iface=eth0 more=()
	for a in "${@:4}"; do
		case $a in
		interface=*) iface=${a#*=} ;;
		*) more+=("${a%%=*} = ${a#*=}") ;;
		esac
	done
	{
		printf '\n[vip %s]\naddress = %s\ninterface = %s\n' "$2" "$3" "$iface"
		if [ ${#more[@]} -gt 0 ]; then printf '%s\n' "${more[@]}"; fi
	} >>"$f"
}

# t_conf_backend FILE NAME URL CONNECT_TO CA_FILE [KEY=VALUE...]: appends a [backend NAME]
# section to FILE: url, connect-to, ca-file, then the other keys (interval, timeout, rise,
# fall, expect-json-status, haproxy-server...) as given.
t_conf_backend() {
	local f=$1 a
	{
		printf '\n[backend %s]\nurl = %s\nconnect-to = %s\nca-file = %s\n' "$2" "$3" "$4" "$5"
		for a in "${@:6}"; do printf '%s = %s\n' "${a%%=*}" "${a#*=}"; done
	} >>"$f"
}

# t_start NODE CONF [ARGS...]: kcwatchd for NODE inside its namespace. Its state file is in
# $T_DIR/state (never the host's /var/lib/kcwatch); an ARG --state-dir DIR overrides that.
t_start() {
	local node=$1 conf=$2 ns; shift 2
	ns=$(t_ns "$node") # before the fork: the child should exec at once
	mkdir -p "$T_DIR/state"
	ip netns exec "$ns" "$KCWATCHD" -c "$conf" -n "$node" --state-dir "$T_DIR/state" \
		-s "$T_DIR/$node.sock" -d "$@" >>"$T_DIR/$node.log" 2>&1 &
	T_NODE_PID[$node]=$!
	T_PIDS+=($!)
}

# t_stop NODE [SIGNAL]: signals the node's kcwatchd and waits (max 5 s) for it to exit.
t_stop() {
	local node=$1 sig=${2:-TERM} pid=${T_NODE_PID[$1]:-} n
	[ -n "$pid" ] || return 0
	t_kill "$sig" "$pid"
	for n in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	wait "$pid" 2>/dev/null
	t_forget "$pid"
	T_NODE_PID[$node]=
}

t_ctl() { local node=$1; shift; "$KCWATCHCTL" -s "$T_DIR/$node.sock" "$@"; }
t_json() { t_ctl "$1" status --json 2>/dev/null; }
t_field() { t_json "$1" | jq -r "$2" 2>/dev/null; } # NODE JQ-FILTER
# The top-level role without jq (a poll loop should not pay for jq's start-up).
t_role() { t_json "$1" | sed -n 's/^  "role": "\([a-z]*\)",*$/\1/p'; }

# Milliseconds of the day, as the daemons' log lines show them (same clock, same machine).
t_ms_of_day() { # [HH:MM:SS.mmm]
	local t=${1:-$(date +%H:%M:%S.%3N)}
	echo $(( (10#${t:0:2} * 3600 + 10#${t:3:2} * 60 + 10#${t:6:2}) * 1000 + 10#${t:9:3} ))
}
# t_log_ms NODE REGEX: the time of the last log line of NODE matching REGEX (ms of the day).
t_log_ms() {
	local line
	line=$(grep -E "$2" "$T_DIR/$1.log" | tail -1)
	[ -n "$line" ] || { echo -1; return 1; }
	t_ms_of_day "${line:0:12}"
}

# t_wait TIMEOUT_MS CMD...: polls CMD every 10 ms; prints the elapsed ms; 1 on timeout.
t_wait() {
	local limit=$1; shift
	local start now
	start=$(t_now)
	while :; do
		if "$@" >/dev/null 2>&1; then
			now=$(t_now)
			echo $((now - start))
			return 0
		fi
		now=$(t_now)
		if [ $((now - start)) -ge "$limit" ]; then
			echo "$limit"
			return 1
		fi
		sleep 0.01
	done
}

t_ok() { T_PASS=$((T_PASS + 1)); echo "ok - $*"; }
t_notok() { T_FAIL=$((T_FAIL + 1)); echo "not ok - $*"; }
# t_check DESC CMD...: passes when CMD succeeds.
# t_check DESC CMD...: one command decides. "t_check d [ a ] && [ b ]" would assert only
# [ a ]; write "[ a -a b ]" or "eval '[ a ] && [ b ]'" instead.
t_check() { local d=$1; shift; if "$@"; then t_ok "$d"; else t_notok "$d"; fi; }
# t_eq DESC GOT WANT
t_eq() {
	if [ "$2" = "$3" ]; then t_ok "$1"; else t_notok "$1 (got '$2', want '$3')"; fi
}
# t_le DESC VALUE MAX
t_le() {
	if [ "$2" -le "$3" ]; then t_ok "$1 ($2 <= $3)"; else t_notok "$1 ($2 > $3)"; fi
}

t_done() {
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}

t_require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "integration tests need root (network namespaces)" >&2
		exit 1
	fi
}

# t_require_tools TOOL...: exits 1 ("missing TOOL" on stderr) unless every TOOL is a command.
t_require_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 1; }
	done
}

# --- UDP echo service, probes and a VIP sampler for the VIP tests and benchmarks ---------------
# t_tool_py: prints the path of tests/tools/kcwtool.py. Modes:
#   serve NAME PORT MAX_S        answers each datagram with "NAME <payload>" from the address it
#                                was sent to (IP_PKTINFO / IPV6_PKTINFO), on 0.0.0.0 and ::
#   ask ADDR PORT TIMEOUT_MS     one datagram; prints the responder's name; exit 1 on timeout
#   until ADDR PORT NAME MAX_MS  a datagram every 5 ms until NAME answers; prints the wall-clock
#                                ms of that first reply and the replies seen before; exit 1 at MAX_MS
#   probe ADDR PORT PERIOD_MS MAX_S LOG
#                                a datagram every PERIOD_MS for at most MAX_S (or until SIGTERM);
#                                LOG gets "recv_ms name seq send_ms" per reply (wall-clock ms)
#   holders NS_NEW NS_OLD ADDR PERIOD_MS MAX_S OUT
#                                every PERIOD_MS, for at most MAX_S (or until SIGTERM), dumps the
#                                addresses of NS_NEW, then of NS_OLD (netlink, no process start
#                                per sample) and writes "wall_ms new old" (1 = holds ADDR) to OUT.
#                                New first: a clean handover (old releases, then new takes) can
#                                never show up as "1 1", a real overlap does.
t_tool_py() { echo "$KCW_TOP/tests/tools/kcwtool.py"; }

T_PY=${T_PY:-$(command -v /usr/bin/python3 || command -v python3)}

# t_echo HOST PORT [MAX_S]: the UDP echo service in HOST's namespace, answering with HOST's name.
t_echo() {
	local py ns
	py=$(t_tool_py)
	ns=$(t_ns "$1")
	# ip netns exec directly, not t_exec: $! must be the service itself, not a subshell
	ip netns exec "$ns" "$T_PY" "$py" serve "$1" "$2" "${3:-3600}" >>"$T_DIR/echo-$1.log" 2>&1 &
	T_PIDS+=($!)
	t_execd $!
}

# t_execd PID: waits (max 5 s) until the child started with "... &" has exec'd its program. Until
# then it is a copy of the test's shell, and a signal to it runs the test's EXIT trap there.
t_execd() {
	local n c
	for n in $(seq 500); do
		c=$(cat "/proc/$1/comm" 2>/dev/null) || return 0
		[ "$c" = bash ] || return 0
		sleep 0.01
	done
	return 1
}

# t_holds HOST ADDR: ADDR (without prefix) is on HOST's eth0.
t_holds() {
	ip -n "$(t_ns "$1")" addr show dev eth0 2>/dev/null | grep -qF " $2/"
}

# t_sampler NEW OLD ADDR OUT [PERIOD_MS] [MAX_S]: starts the kcwtool.py holders sampler (in the
# background, recorded in T_PIDS; T_SAMPLER_PID) for a handover from OLD to NEW.
t_sampler() {
	local py new old
	py=$(t_tool_py)
	new=$(t_ns "$1")
	old=$(t_ns "$2")
	"$T_PY" "$py" holders "$new" "$old" "$3" "${5:-2}" "${6:-10}" "$4" 2>>"$T_DIR/sampler.log" &
	T_SAMPLER_PID=$!
	T_PIDS+=($!)
	t_execd $!
}
# t_sampler_stop: stops the sampler (SIGTERM; it finishes its sample) and waits for it.
t_sampler_stop() {
	t_kill TERM "$T_SAMPLER_PID"
	wait "$T_SAMPLER_PID" 2>/dev/null
	t_forget "$T_SAMPLER_PID"
}

# t_forget PID...: drops PIDs that were waited for from T_PIDS, so that the cleanup does not
# signal their numbers again (a busy host reuses them within minutes).
t_forget() {
	local p q keep=()
	for p in "${T_PIDS[@]}"; do
		for q in "$@"; do [ "$p" = "$q" ] && continue 2; done
		keep+=("$p")
	done
	T_PIDS=("${keep[@]}")
}

# --- a private named (BIND) for the DNS tests and benchmarks -------------------------------------
# t_named_setup HOST ZONE [RECORDS]: the files of a named for HOST's namespace, in $T_DIR/named:
# it listens on HOST's IPv4 address, port 53 (no IPv6, no recursion) and serves ZONE as a primary
# that takes updates signed with the TSIG key kcwatch-key. The key goes to $T_DIR/tsig.key (mode
# 0600; named includes it, kcwatchd's tsig-key-file and nsupdate -k read it). The zone has its
# SOA, NS ns1.ZONE., ns1's A record (HOST's address), then RECORDS (zone file lines).
t_named_setup() {
	local d=$T_DIR/named ip
	T_NAMED_HOST=$1 T_NAMED_ZONE=$2
	ip=$(t_ip4 "$1")
	mkdir -p "$d"
	tsig-keygen -a hmac-sha256 kcwatch-key >"$T_DIR/tsig.key"
	chmod 0600 "$T_DIR/tsig.key"
	cat >"$d/$2.db" <<EOF
\$ORIGIN $2.
\$TTL 300
@            IN SOA  ns1.$2. hostmaster.$2. ( 1 3600 600 86400 5 )
@            IN NS   ns1.$2.
ns1          IN A    $ip
${3:-}
EOF
	cat >"$d/named.conf" <<EOF
options {
	directory "$d";
	pid-file "$d/named.pid";
	session-keyfile "$d/session.key";
	managed-keys-directory "$d";
	listen-on port 53 { $ip; };
	listen-on-v6 { none; };
	recursion no;
	notify no;
	dnssec-validation no;
};
controls { };
include "$T_DIR/tsig.key";
zone "$2" {
	type primary;
	file "$d/$2.db";
	allow-update { key kcwatch-key; };
};
EOF
}

# t_dig NAME TYPE: what that named serves (dig +short from HOST's namespace, one try of at most
# 1 s, sorted); nothing, or dig's ";;" error lines, when it does not answer.
t_dig() {
	t_exec "$T_NAMED_HOST" dig @"$(t_ip4 "$T_NAMED_HOST")" +norec +time=1 +tries=1 +short "$1" "$2" 2>/dev/null |
		sort
}
t_named_up() { [ "$(t_dig "$T_NAMED_ZONE" NS)" = "ns1.$T_NAMED_ZONE." ]; }

# t_named_start [TIMEOUT_MS]: starts that named (log $T_DIR/named.log; T_NAMED_PID, in T_PIDS)
# and waits until it serves ZONE's NS record (default 5 s); 1 on timeout.
t_named_start() {
	# ip netns exec directly, not t_exec: $! must be named itself
	ip netns exec "$(t_ns "$T_NAMED_HOST")" named -g -4 -c "$T_DIR/named/named.conf" \
		>>"$T_DIR/named.log" 2>&1 &
	T_NAMED_PID=$!
	T_PIDS+=($!)
	t_wait "${1:-5000}" t_named_up >/dev/null
}

# t_named_stop: SIGTERM to that named, SIGKILL after 5 s; waits for it and forgets its PID.
t_named_stop() {
	local n
	[ -n "${T_NAMED_PID:-}" ] || return 0
	t_kill TERM "$T_NAMED_PID" # (t_kill returns 0 and the "|| true": callers may use set -e)
	for n in $(seq 50); do kill -0 "$T_NAMED_PID" 2>/dev/null || break; sleep 0.1; done
	t_kill KILL "$T_NAMED_PID"
	wait "$T_NAMED_PID" 2>/dev/null || true
	t_forget "$T_NAMED_PID"
	T_NAMED_PID=
}

# --- what a process costs, for the benchmarks ----------------------------------------------------
# t_cpu_ns PID...: CPU nanoseconds of all threads of all PIDs, from /proc/PID/task/*/schedstat
# (not rounded to clock ticks).
t_cpu_ns() {
	local total=0 p t
	for p in "$@"; do
		for t in /proc/"$p"/task/*/schedstat; do
			[ -r "$t" ] && total=$((total + $(cut -d' ' -f1 "$t")))
		done
	done
	echo "$total"
}
# t_mem_kib FIELD PID...: the sum of FIELD (Pss, Rss...) in kB over the PIDs' smaps_rollup.
t_mem_kib() {
	local f=$1 total=0 p
	shift
	for p in "$@"; do
		total=$((total + $(awk -v f="$f:" '$1 == f {print $2}' /proc/"$p"/smaps_rollup)))
	done
	echo "$total"
}

# --- keepalived, the benchmarks' reference -------------------------------------------------------
# t_keepalived_conf NODE PRIORITY PEER ADVERT_INT VIP/PREFIX [INSTANCE_EXTRA [GLOBAL_EXTRA]]:
# $T_DIR/ka-NODE.conf, a VRRPv3 instance on eth0 (virtual_router_id 77, state BACKUP, unicast
# from NODE's address to PEER's) with the one virtual address VIP/PREFIX; INSTANCE_EXTRA and
# GLOBAL_EXTRA are lines added to the instance (e.g. nopreempt) and to global_defs.
t_keepalived_conf() {
	local inst=${6:+$'\n\t'$6} glob=${7:+$'\n'$7}
	cat >"$T_DIR/ka-$1.conf" <<CONF
global_defs {
	router_id $1
	vrrp_version 3
	script_user root
	enable_script_security$glob
}
vrrp_instance VI_1 {
	state BACKUP$inst
	interface eth0
	virtual_router_id 77
	priority $2
	advert_int $4
	unicast_src_ip $(t_ip4 "$1")
	unicast_peer {
		$(t_ip4 "$3")
	}
	virtual_ipaddress {
		$5
	}
}
CONF
}

# --- TLS backends: a test CA, nginx, a silent listener, HAProxy ---------------------------------
# t_pki_ca, t_pki_cert: in lib_pki.sh (the lab uses them too).
# shellcheck source=tests/integration/lib_pki.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_pki.sh"

# t_nginx_conf DIR [main=TEXT] [events=TEXT] [http=TEXT] <SERVERS: DIR/nginx.conf for an nginx
# that runs in the foreground (nginx -p DIR -c DIR/nginx.conf) and keeps all its files in DIR
# (nginx.pid, error.log, tmp/), with the http block's SERVERS (server { ... } text) from stdin.
# main, events and http replace the defaults "worker_processes 1;", "worker_connections 64;" and
# "access_log off;" (several directives: one per line).
t_nginx_conf() {
	local d=$1 a main="worker_processes 1;" events="worker_connections 64;" http="access_log off;"
	shift
	for a in "$@"; do
		case $a in
		main=*) main=${a#main=} ;;
		events=*) events=${a#events=} ;;
		http=*) http=${a#http=} ;;
		*) echo "t_nginx_conf: unknown $a" >&2; return 1 ;;
		esac
	done
	mkdir -p "$d/tmp"
	{
		printf 'daemon off;\n%s\npid %s/nginx.pid;\nerror_log %s/error.log;\n' "$main" "$d" "$d"
		printf 'events { %s }\nhttp {\n    %s\n' "$events" "${http//$'\n'/$'\n'    }"
		for a in client_body proxy fastcgi uwsgi scgi; do
			printf '    %s_temp_path %s/tmp/%s;\n' "$a" "$d" "${a#client_}"
		done
		cat
		echo "}"
	} >"$d/nginx.conf"
}

# t_silent HOST ADDR PORT [BACKLOG]: a TCP listener in HOST's namespace on ADDR:PORT that accepts
# connections (backlog default 64) and never answers: a backend check's timeout case.
t_silent() {
	local ns
	cat >"$T_DIR/silent-$3.py" <<EOF
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("$2", $3))
s.listen(${4:-64})
held = []
while True:
    held.append(s.accept()[0])
EOF
	ns=$(t_ns "$1")
	# ip netns exec directly, not t_exec: $! must be the listener itself
	ip netns exec "$ns" "$T_PY" "$T_DIR/silent-$3.py" >>"$T_DIR/silent.log" 2>&1 &
	T_PIDS+=($!)
}

# t_hap_conf FILE SOCKET BIND <LINES: an HAProxy configuration: the admin SOCKET (stats socket,
# level admin), mode http with timeouts of 1 s (connect) and 5 s (client, server), the frontend
# "keycloak" on BIND (ADDR:PORT) and the backend "keycloakbackend" (balance first) with LINES
# (its options and server lines, indented) from stdin.
t_hap_conf() {
	{
		cat <<EOF
global
    stats socket $2 mode 600 level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend keycloak
    bind $3
    default_backend keycloakbackend
backend keycloakbackend
    balance first
EOF
		cat
	} >"$1"
}

# t_hap_servers SOCKET BACKEND: "NAME ADMIN_STATE" per server of HAProxy's BACKEND, read from its
# admin SOCKET with "show servers state" (srv_admin_state: 0 = ready, 1 = forced maintenance);
# HAProxy's own view, independent of kcwatchd's client. 1 and no output when it does not answer.
t_hap_servers() {
	"${T_PY:-python3}" - "$1" "$2" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(3)
s.connect(sys.argv[1])
s.sendall(b"show servers state %s\n" % sys.argv[2].encode())
out = b"".join(iter(lambda: s.recv(4096), b""))  # until HAProxy closes
lines = out.decode().splitlines()
hdr = next(l for l in lines if l.startswith("# be_id")).split()[1:]
for l in lines:
    w = l.split()
    if len(w) == len(hdr) and not l.startswith("#"):
        row = dict(zip(hdr, w))
        print(row["srv_name"], row["srv_admin_state"])
EOF
}
