# SPDX-License-Identifier: MIT
# lab/lib.sh: helpers of lab/demo.sh: output, timing, processes, namespaces, queries.
# Sourced, not run. Every process the lab starts is recorded in $LAB_DIR/pids/NAME.pid as
# "PID STARTTIME" and stopped by that PID only (the start time guards against a reused PID).
# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are used by demo.sh

LAB_DIR=/run/kcwatch-lab          # fixed, so that "demo.sh down" finds a lab made earlier
LAB_NS_PREFIX=kcwlab              # namespaces kcwlab-sw (the bridge), kcwlab-lb1, ...
LAB_HOSTS="dns lb1 lb2 sno1 sno2 client"
LAB_NAME=keycloak.local.mylab.io
LAB_ZONE=local.mylab.io
LAB_VIP4=10.88.0.215
LAB_VIP6=fd88::215
LAB_DNS_SERVER=10.88.0.10
declare -A LAB_OCTET=([dns]=10 [lb1]=213 [lb2]=214 [sno1]=231 [sno2]=232 [client]=100)

lab_ip4() { echo "10.88.0.${LAB_OCTET[$1]}"; }
lab_ip6() { echo "fd88::${LAB_OCTET[$1]}"; }
lab_ns() { echo "$LAB_NS_PREFIX-$1"; }
lab_exec() { local h=$1; shift; ip netns exec "$(lab_ns "$h")" "$@"; }

# --- output ----------------------------------------------------------------------------------
LAB_TTY=0
LAB_C_OK="" LAB_C_BAD="" LAB_C_DIM="" LAB_C_B="" LAB_C_0=""
lab_output_init() { # BATCH(0|1)
	if [ "$1" -eq 0 ] && [ -t 1 ]; then
		LAB_TTY=1
		LAB_C_OK=$'\e[32m' LAB_C_BAD=$'\e[31m' LAB_C_DIM=$'\e[2m' LAB_C_B=$'\e[1m' LAB_C_0=$'\e[0m'
	fi
}
say() { lab_progress_clear; printf '%s\n' "$*"; }
head1() { lab_progress_clear; printf '\n%s==> %s%s\n' "$LAB_C_B" "$*" "$LAB_C_0"; }
warn() { lab_progress_clear; printf '%swarning:%s %s\n' "$LAB_C_BAD" "$LAB_C_0" "$*" >&2; }
die() { lab_progress_clear; printf '%serror:%s %s\n' "$LAB_C_BAD" "$LAB_C_0" "$*" >&2; exit 1; }

# A transient "what and for how long" line, on a terminal only.
LAB_PROGRESS_SHOWN=0
lab_progress() { # TEXT ELAPSED_MS
	[ "$LAB_TTY" -eq 1 ] || return 0
	printf '\r\e[K%s  %s... %d.%d s%s' "$LAB_C_DIM" "$1" $(($2 / 1000)) $(($2 % 1000 / 100)) "$LAB_C_0"
	LAB_PROGRESS_SHOWN=1
}
lab_progress_clear() {
	[ "$LAB_PROGRESS_SHOWN" -eq 1 ] || return 0
	printf '\r\e[K'
	LAB_PROGRESS_SHOWN=0
}

# --- time ------------------------------------------------------------------------------------
now_ms() { local t=$EPOCHREALTIME; echo $((${t%.*} * 1000 + 10#${t#*.} / 1000)); }
fmt_s() { # MS -> "12.345"
	local ms=$1 sign=""
	[ "$ms" -lt 0 ] && { sign=-; ms=$((-ms)); }
	printf '%s%d.%03d' "$sign" $((ms / 1000)) $((ms % 1000))
}

# wait_until LIMIT_MS TEXT CMD...: polls CMD every 20 ms (a progress line on a terminal) until it
# succeeds; sets WAIT_MS to the time it took; status 1 after LIMIT_MS. No subshell, so that
# CMD can leave what it saw in a variable.
wait_until() {
	local limit=$1 text=$2 start now i=0
	shift 2
	start=$(now_ms)
	while :; do
		if "$@" >/dev/null 2>&1; then
			WAIT_MS=$(($(now_ms) - start))
			lab_progress_clear
			return 0
		fi
		now=$(now_ms)
		if [ $((now - start)) -ge "$limit" ]; then
			WAIT_MS=$limit
			lab_progress_clear
			return 1
		fi
		i=$((i + 1))
		[ $((i % 5)) -eq 0 ] && lab_progress "$text" $((now - start))
		sleep 0.02
	done
}

# run_timed TEXT LIMIT_S LOG CMD...: runs CMD in the background with its output in LOG, shows
# what it does and for how long, kills it (by PID) after LIMIT_S. Status of CMD.
run_timed() {
	local text=$1 limit=$2 log=$3 pid start now rc
	shift 3
	start=$(now_ms)
	[ "$LAB_TTY" -eq 1 ] || say "  $text ..."
	"$@" >"$log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		now=$(now_ms)
		if [ $((now - start)) -ge $((limit * 1000)) ]; then
			kill -TERM "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			lab_progress_clear
			warn "$text: still running after $limit s: stopped (log: $log)"
			return 124
		fi
		lab_progress "$text" $((now - start))
		sleep 0.2
	done
	wait "$pid"
	rc=$?
	now=$(now_ms)
	lab_progress_clear
	if [ $rc -eq 0 ]; then
		say "  $text: done in $(fmt_s $((now - start))) s"
	else
		say "  $text: FAILED after $(fmt_s $((now - start))) s (exit $rc); last lines of $log:"
		tail -n 20 "$log" | sed 's/^/    /'
	fi
	return $rc
}

# --- processes -------------------------------------------------------------------------------
proc_starttime() { # PID -> field 22 of /proc/PID/stat ("" when gone)
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	echo "${20}"
}
proc_state() { # PID -> R/S/D/Z/...
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	echo "${s%% *}"
}
# proc_alive PID [STARTTIME]: running (not a zombie) and, when given, the same process.
proc_alive() {
	local st
	st=$(proc_state "$1") || return 1
	[ "$st" != Z ] || return 1
	[ -z "${2:-}" ] || [ "$(proc_starttime "$1")" = "$2" ]
}

# proc_start NAME HOST BIND CMD...: runs CMD in HOST's namespace, output to
# $LAB_DIR/logs/NAME.log. BIND "SRC:DST" bind-mounts SRC on DST for this process only
# (each "ip netns exec" has its own mount namespace); "-" for none. CMD does not inherit demo.sh's
# fds 7 and 8 (its output, kept for the clean-up).
proc_start() {
	local name=$1 host=$2 bind=$3 pid
	shift 3
	if [ "$bind" = - ]; then
		ip netns exec "$(lab_ns "$host")" "$@" >>"$LAB_DIR/logs/$name.log" 2>&1 7>&- 8>&- &
	else
		# shellcheck disable=SC2016 # expanded by that sh
		ip netns exec "$(lab_ns "$host")" sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' \
			sh "${bind%%:*}" "${bind#*:}" "$@" >>"$LAB_DIR/logs/$name.log" 2>&1 7>&- 8>&- &
	fi
	pid=$!
	disown "$pid" # no "Killed" notice from bash when the drill kills it
	echo "$pid $(proc_starttime "$pid")" >"$LAB_DIR/pids/$name.pid"
}
proc_pid() { # NAME -> PID of a live recorded process
	local pid st
	[ -f "$LAB_DIR/pids/$1.pid" ] || return 1
	read -r pid st <"$LAB_DIR/pids/$1.pid"
	proc_alive "$pid" "$st" || return 1
	echo "$pid"
}
# proc_stop NAME [SIGNAL] [WAIT_TENTHS]: signals the recorded process, waits for it to go,
# then SIGKILL. Removes the record.
proc_stop() {
	local name=$1 sig=${2:-TERM} tenths=${3:-30} pid st i
	[ -f "$LAB_DIR/pids/$name.pid" ] || return 0
	read -r pid st <"$LAB_DIR/pids/$name.pid"
	if proc_alive "$pid" "$st"; then
		kill -"$sig" "$pid" 2>/dev/null
		for ((i = 0; i < tenths; i++)); do
			proc_alive "$pid" "$st" || break
			sleep 0.1
		done
		proc_alive "$pid" "$st" && kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null # reaps it when it is our child
	rm -f "$LAB_DIR/pids/$name.pid"
}

# --- namespaces ------------------------------------------------------------------------------
# lab_net_up: a bridge in kcwlab-sw; every host on it as eth0 with 10.88.0.X/24 and fd88::X/64.
lab_net_up() {
	local sw h ns
	sw=$(lab_ns sw)
	ip netns add "$sw" || return 1
	ip -n "$sw" link add br0 type bridge || return 1
	ip -n "$sw" link set br0 up
	for h in $LAB_HOSTS; do
		ns=$(lab_ns "$h")
		ip netns add "$ns" || return 1
		ip link add "$LAB_NS_PREFIX-$h" netns "$sw" type veth peer name eth0 netns "$ns" || return 1
		ip -n "$sw" link set "$LAB_NS_PREFIX-$h" master br0 up || return 1
		ip -n "$ns" -batch - <<-EOF || return 1
			link set lo up
			link set eth0 address 02:88:00:00:00:$(printf %02x "${LAB_OCTET[$h]}")
			addr add $(lab_ip4 "$h")/24 dev eth0
			addr add $(lab_ip6 "$h")/64 dev eth0 nodad
			link set eth0 up
		EOF
	done
}

# lab_net_down: stops what still runs in the lab's namespaces (by PID), deletes them.
lab_net_down() {
	local h ns p
	for h in $LAB_HOSTS sw; do
		ns=$(lab_ns "$h")
		ip netns list 2>/dev/null | grep -qw "^$ns" || continue
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	# A veth left in this namespace by an interrupted set-up.
	for h in $LAB_HOSTS; do
		ip link show "$LAB_NS_PREFIX-$h" >/dev/null 2>&1 && ip link del "$LAB_NS_PREFIX-$h" 2>/dev/null
	done
	return 0
}
lab_any_ns() { ip netns list 2>/dev/null | grep -q "^$LAB_NS_PREFIX-"; }

# --- queries ---------------------------------------------------------------------------------
KCWATCHCTL=${KCWATCHCTL:-kcwatchctl}
ctl() { local n=$1; shift; "$KCWATCHCTL" -s "$LAB_DIR/$n/kcwatchd.sock" "$@"; }
js() { ctl "$1" status --json 2>/dev/null; }
jf() { js "$1" | jq -r "$2" 2>/dev/null; } # NODE FILTER
role_of() { jf "$1" .role; }

# HAProxy's own view of keycloakbackend on NODE, from its read-only runtime socket on the node's
# loopback: "sno1:ready sno2:maint" in HAProxy's order. "maint" when an admin state bit puts the
# server in maintenance or drain; "ready" otherwise, with ",down" while HAProxy's own checks
# find it stopped. Status 1 when HAProxy does not answer within 2 s.
hap_state() {
	local out
	out=$(timeout 2 ip netns exec "$(lab_ns "$1")" bash -c \
		'exec 3<>/dev/tcp/127.0.0.1/9999 && echo "show servers state keycloakbackend" >&3 && cat <&3' \
		2>/dev/null | awk '
		/^# be_id/ { for (i = 2; i <= NF; i++) col[$i] = i - 1; next }
		/^#/ || !("srv_name" in col) || NF < col["srv_admin_state"] { next }
		{
			s = ($(col["srv_admin_state"]) % 128 != 0) ? "maint" : "ready"
			if (s == "ready" && $(col["srv_op_state"]) == 0) s = s ",down"
			printf "%s%s:%s", (n++ ? " " : ""), $(col["srv_name"]), s
		}')
	[ -n "$out" ] || return 1
	echo "$out"
}

# dig at the lab's named from the client's namespace: sorted short answers.
dq() { lab_exec client dig "@$LAB_DNS_SERVER" +norec +time=1 +tries=1 +short "$@" 2>/dev/null | sort | tr '\n' ' ' | sed 's/ $//'; }

# VIPs on NODE's eth0: "10.88.0.215 fd88::215" (those present)
vips_on() {
	local out=""
	ip -n "$(lab_ns "$1")" -4 addr show dev eth0 2>/dev/null | grep -q "inet $LAB_VIP4/" && out="$LAB_VIP4"
	ip -n "$(lab_ns "$1")" -6 addr show dev eth0 2>/dev/null | grep -q "inet6 $LAB_VIP6/" && out="$out${out:+ }$LAB_VIP6"
	echo "$out"
}
