# tests/integration/lib.sh: namespaces, daemons and assertions shared by the integration tests.
# Every test sources it; the EXIT trap stops what the test started (by PID) and deletes its
# namespaces and temp dir, also when the test fails or is interrupted.

KCW_TOP=${KCW_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
KCW_BUILD=${KCW_BUILD:-$KCW_TOP/build}
KCWATCHD=$KCW_BUILD/daemon/kcwatchd
KCWATCHCTL=$KCW_BUILD/ctl/kcwatchctl
HBFORGE=$KCW_BUILD/tests/integration/hbforge

T_ID="kt$$"
T_DIR=$(mktemp -d "/tmp/kcw-test.XXXXXX")
T_PIDS=()
T_NS=()
T_PASS=0
T_FAIL=0
declare -A T_NODE_PID

t_now() { date +%s%3N; }
t_log() { printf '# %s\n' "$*"; }

t_cleanup() {
	local p n
	for p in "${T_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${T_PIDS[@]}"; do
		for n in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	for n in "${T_NS[@]}"; do ip netns del "$n" 2>/dev/null; done
	if [ "$T_FAIL" -gt 0 ] && [ -z "${KCW_KEEP_LOGS:-}" ]; then
		for n in "$T_DIR"/*.log; do [ -f "$n" ] && { echo "--- $n (last 30 lines)"; tail -30 "$n"; }; done
	fi
	rm -rf "$T_DIR"
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

# t_start NODE CONF [ARGS...]: kcwatchd for NODE inside its namespace.
t_start() {
	local node=$1 conf=$2; shift 2
	ip netns exec "$(t_ns "$node")" "$KCWATCHD" -c "$conf" -n "$node" \
		-s "$T_DIR/$node.sock" -d "$@" >>"$T_DIR/$node.log" 2>&1 &
	T_NODE_PID[$node]=$!
	T_PIDS+=($!)
}

# t_stop NODE [SIGNAL]: signals the node's kcwatchd and waits (max 5 s) for it to exit.
t_stop() {
	local node=$1 sig=${2:-TERM} pid=${T_NODE_PID[$1]:-} n
	[ -n "$pid" ] || return 0
	kill -"$sig" "$pid" 2>/dev/null
	for n in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	wait "$pid" 2>/dev/null
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
