#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# lab/demo.sh: the whole Keycloak HA topology of the reference deployment on one machine, in
# network namespaces, with a failure drill. See usage() below, or run ./lab/demo.sh --help.
set -uo pipefail

LAB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$LAB_SRC/.." && pwd)
# shellcheck source=lab/lib.sh
. "$LAB_SRC/lib.sh"

usage() {
	cat <<EOF
Usage: ./lab/demo.sh [drill] [OPTIONS]   set the lab up, run the failure drill, tear it all down
       ./lab/demo.sh up [OPTIONS]        set the lab up and leave it running
       ./lab/demo.sh status              what the running lab does now
       ./lab/demo.sh down                stop everything the lab started, delete its namespaces

The lab (Debian 12, as root): namespaces $LAB_NS_PREFIX-* on a bridge, 10.88.0.0/24 and fd88::/64:
  sno1, sno2   Keycloak stand-ins: nginx with TLS (lab CA), health on 9000 and 443, a page naming them
  lb1, lb2     HAProxy as in the reference deployment + kcwatchd (lab/kcwatch.conf)
  dns          named with the zone $LAB_ZONE, updated by kcwatchd with TSIG
  client       requests https://$LAB_NAME/realms/mylab/ every 50 ms during the drill
VIP $LAB_VIP4 / $LAB_VIP6 = $LAB_NAME. The first run installs the Debian packages it
needs (tests/deps.sh) and builds kcwatch in ./build; later runs reuse that build.

The drill, printed as a timeline in seconds.milliseconds, then a summary:
  1. everything up: kcwatchctl status of both LBs, dig answer, the client reaches sno1
  2. kill -9 of the leader's kcwatchd: the VIP moves, DNS follows, the client stays on sno1
  3. sno1 stops: both LBs switch to sno2, the client reaches sno2
  4. sno1 starts again: no fail-back before the hold ([backends] failback), then back to sno1
  5. the killed kcwatchd starts again: it rejoins as follower (or preempts with --preempt)
It exits 0 when every expectation held, 1 otherwise. Ctrl-C cleans up.

Options:
  --batch            plain output without colours or progress line (the default when stdout
                     is not a terminal); for scripts and tests
  --pause            wait for Enter between the steps of the drill
  --preempt          preempt = yes: the returning lb1 takes the VIP back in step 5
  --dns-target T     [dns] target = vip (default): the name keeps pointing at the VIP, the
                     new leader re-asserts it; self: it follows the leader's own address
  --keep             after the drill leave the lab running (then: status, down)
  --no-install       do not install Debian packages
  -h, --help         this help

Environment:
  KCW_BUILD=DIR      use kcwatchd and kcwatchctl built in DIR (no build), as tests/run.sh does
  KCW_LAB_KEEP_LOGS=1  keep the logs (copied to ${TMPDIR:-/tmp}/kcwatch-lab-logs.*) also when all went well

Once up: ./lab/demo.sh status; kcwatchctl -s $LAB_DIR/lb1/kcwatchd.sock status;
ip netns exec $LAB_NS_PREFIX-client curl ...; logs in $LAB_DIR/logs. Run ./lab/demo.sh up
and read what it prints for more.
EOF
}

# --- options ---------------------------------------------------------------------------------
CMD=drill
BATCH=0
PAUSE=0
PREEMPT=""
DNS_TARGET=""
KEEP=0
NO_INSTALL=0
while [ $# -gt 0 ]; do
	case $1 in
	drill | up | status | down) CMD=$1 ;;
	--batch) BATCH=1 ;;
	--pause) PAUSE=1 ;;
	--preempt) PREEMPT=yes ;;
	--dns-target)
		[ $# -ge 2 ] || { echo "--dns-target needs vip or self" >&2; exit 2; }
		DNS_TARGET=$2
		shift
		;;
	--dns-target=*) DNS_TARGET=${1#*=} ;;
	--keep) KEEP=1 ;;
	--no-install) NO_INSTALL=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case $DNS_TARGET in "" | vip | self) ;; *) echo "--dns-target: vip or self" >&2; exit 2 ;; esac
[ -t 1 ] || BATCH=1
lab_output_init "$BATCH"

# --- preparation: packages and build ---------------------------------------------------------
need_root() {
	[ "$(id -u)" -eq 0 ] || die "the lab needs root (network namespaces, named, HAProxy): sudo $0 $CMD"
}

install_packages() {
	[ "$NO_INSTALL" -eq 1 ] && return 0
	# shellcheck source=tests/deps.sh
	. "$TOP/tests/deps.sh"
	KCW_PACKAGES="$KCW_PACKAGES curl" # the lab's client
	head1 "Debian packages"
	local log
	log=$(mktemp "${TMPDIR:-/tmp}/kcwatch-lab-apt.XXXXXX")
	run_timed "checking (and installing what is missing)" 1800 "$log" deps_install ||
		die "could not install the packages (see $log)"
	rm -f "$log"
}

BIN=""
build_kcwatch() {
	local b
	if [ -n "${KCW_BUILD:-}" ]; then
		BIN=$KCW_BUILD
		if [ ! -x "$BIN/daemon/kcwatchd" ] || [ ! -x "$BIN/ctl/kcwatchctl" ]; then
			die "KCW_BUILD=$KCW_BUILD holds no daemon/kcwatchd and ctl/kcwatchctl: build there first"
		fi
		say "using kcwatchd and kcwatchctl from KCW_BUILD=$KCW_BUILD"
		return 0
	fi
	b=$TOP/build
	local log
	log=$(mktemp "${TMPDIR:-/tmp}/kcwatch-lab-build.XXXXXX")
	head1 "building kcwatch in $b"
	if [ ! -x "$TOP/configure" ] || [ "$TOP/configure.ac" -nt "$TOP/configure" ]; then
		run_timed "autoreconf -fi" 600 "$log" sh -c "cd '$TOP' && autoreconf -fi" ||
			die "autoreconf failed (log: $log)"
	fi
	mkdir -p "$b"
	if [ ! -f "$b/Makefile" ]; then
		run_timed "configure" 600 "$log" sh -c "cd '$b' && '$TOP/configure' -q" ||
			die "configure failed (log: $log)"
	fi
	run_timed "make -j$(nproc)" 1200 "$log" make -C "$b" -j"$(nproc)" ||
		die "the build failed (log: $log)"
	rm -f "$log"
	BIN=$b
}

# --- the lab ---------------------------------------------------------------------------------
T0=0            # time zero of the timeline (epoch ms)
HAS_BACKEND=0   # this kcwatchd checks backends and drives HAProxy (status: active_backend)
HAS_DNS=0       # this kcwatchd updates DNS (status: dns)
HOLD_MS=10000   # [backends] failback = after ...
CONF_PREEMPT=no
CONF_TARGET=vip

lab_refuse_if_up() {
	if [ -e "$LAB_DIR" ] || lab_any_ns; then
		die "a lab is already up (or was left behind): see ./lab/demo.sh status, or run ./lab/demo.sh down"
	fi
}

make_pki() {
	local d=$LAB_DIR/pki n
	# EC P-256 keys: quick to make (the reference uses RSA 3072).
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 -subj "/CN=kcwatch lab CA" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
		-keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null || return 1
	cert() { # NAME OUT_PEM OUT_KEY SAN...
		local name=$1 pem=$2 key=$3 san=""
		shift 3
		for n in "$@"; do san="$san${san:+,}DNS:$n"; done
		printf 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
			"$san" >"$d/$name.ext"
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$1" \
			-keyout "$key" -out "$d/$name.csr" \
			2>/dev/null || return 1
		openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
			-days 7 -extfile "$d/$name.ext" -out "$pem" 2>/dev/null || return 1
	}
	# Each Keycloak answers for its own route and for the public name (as in the reference).
	cert sno1 "$LAB_DIR/sno1/tls.pem" "$LAB_DIR/sno1/tls.key" \
		keycloak-rhbk.apps.sno1.local.mylab.io "$LAB_NAME" || return 1
	cert sno2 "$LAB_DIR/sno2/tls.pem" "$LAB_DIR/sno2/tls.key" \
		keycloak-rhbk.apps.sno2.local.mylab.io "$LAB_NAME" || return 1
	# HAProxy's frontend: certificate and key in one file (the reference's keycloak-bundle.pem).
	cert keycloak "$d/keycloak.pem" "$d/keycloak.key" "$LAB_NAME" || return 1
	cat "$d/keycloak.pem" "$d/ca.pem" "$d/keycloak.key" >"$d/keycloak-bundle.pem"
	chmod 600 "$d"/*.key "$d/keycloak-bundle.pem" "$LAB_DIR"/sno?/tls.key
}

make_config() {
	local c=$LAB_DIR/kcwatch/kcwatch.conf
	head -c 32 /dev/urandom | base64 >"$LAB_DIR/kcwatch/cluster.key"
	tsig-keygen -a hmac-sha256 kcwatch-key >"$LAB_DIR/kcwatch/tsig.key" 2>/dev/null || return 1
	chmod 600 "$LAB_DIR/kcwatch/cluster.key" "$LAB_DIR/kcwatch/tsig.key"
	cp "$LAB_SRC/kcwatch.conf" "$c"
	[ -n "$PREEMPT" ] && sed -i "s/^preempt = no\b/preempt = $PREEMPT/" "$c"
	if [ -n "$DNS_TARGET" ]; then sed -i "s/^target = vip\b/target = $DNS_TARGET/" "$c"; fi
}

# check_config: kcwatchd -t in each load balancer's namespace, where it finds its own [node]
# and the VIPs' interface, as a start there would.
check_config() {
	local h
	: >"$LAB_DIR/logs/config-check.log"
	for h in lb1 lb2; do
		lab_exec "$h" "$BIN/daemon/kcwatchd" -t -c "$LAB_DIR/kcwatch/kcwatch.conf" \
			>>"$LAB_DIR/logs/config-check.log" 2>&1 || return 1
	done
}

# lab_up: everything of step 1 up to the client. Returns non-zero (with a message) on failure.
lab_up() {
	local h s
	T0=$(now_ms)
	mkdir -p "$LAB_DIR" && chmod 755 "$LAB_DIR"
	for s in pids logs pki kcwatch dns lb lb1 lb2 sno sno1/tmp sno2/tmp client drill; do
		mkdir -p "$LAB_DIR/$s"
	done
	chmod -R a+rX "$LAB_DIR/sno1" "$LAB_DIR/sno2"
	printf 'started=%s\npid=%s\nbin=%s\n' "$(date '+%F %T')" "$$" "$BIN" >"$LAB_DIR/state"
	echo "$BIN" >"$LAB_DIR/bin"
	head1 "setting the lab up in $LAB_DIR"
	run_timed "lab CA and TLS certificates (openssl)" 60 "$LAB_DIR/logs/pki.log" make_pki ||
		{ warn "could not make the certificates"; return 1; }
	run_timed "keys (cluster key, TSIG key) and kcwatch.conf" 30 \
		"$LAB_DIR/logs/config.log" make_config || { warn "could not write the keys"; return 1; }
	CONF_PREEMPT=$(sed -n 's/^preempt *= *\([a-z]*\).*/\1/p' "$LAB_DIR/kcwatch/kcwatch.conf")
	CONF_TARGET=$(sed -n 's/^target *= *\([a-z]*\).*/\1/p' "$LAB_DIR/kcwatch/kcwatch.conf")
	run_timed "namespaces $LAB_NS_PREFIX-{sw,${LAB_HOSTS// /,}} and the bridge" 30 \
		"$LAB_DIR/logs/net.log" lab_net_up || { warn "could not make the namespaces"; return 1; }
	run_timed "kcwatch.conf checked on lb1 and lb2 (kcwatchd -t)" 30 "$LAB_DIR/logs/config.log" \
		check_config || {
		cat "$LAB_DIR/logs/config-check.log" >&2
		warn "kcwatchd -t refused the lab's configuration"
		return 1
	}
	say "    $(tail -1 "$LAB_DIR/logs/config-check.log")"

	cp "$LAB_SRC/local.mylab.io.db" "$LAB_SRC/10.88.0.db" "$LAB_DIR/dns/"
	proc_start named dns - named -g -c "$LAB_SRC/named.conf"
	wait_until 10000 "named" dq_has "$LAB_ZONE" SOA ||
		{ warn "named does not answer (log: $LAB_DIR/logs/named.log)"; return 1; }
	say "  named answers for $LAB_ZONE on $LAB_DNS_SERVER ($WAIT_MS ms)"

	for h in sno1 sno2; do
		proc_start "$h-nginx" "$h" "$LAB_DIR/$h:$LAB_DIR/sno" \
			nginx -e "$LAB_DIR/sno/nginx-error.log" -p "$LAB_DIR/sno" -c "$LAB_SRC/nginx.conf"
	done
	for h in sno1 sno2; do
		wait_until 10000 "$h's nginx" sno_healthy "$h" ||
			{ warn "$h's nginx does not answer /health/ready and /health (log: $LAB_DIR/logs/$h-nginx.log)"; return 1; }
		say "  $h: nginx answers https://keycloak-rhbk.apps.$h.local.mylab.io:9000/health/ready (Keycloak 25+) and :443/health (22-24) ($WAIT_MS ms)"
	done

	for h in lb1 lb2; do
		proc_start "$h-haproxy" "$h" "$LAB_DIR/$h:$LAB_DIR/lb" \
			env LAB_NODE="$h" haproxy -db -f "$LAB_SRC/haproxy.cfg"
	done
	for h in lb1 lb2; do
		wait_until 10000 "$h's HAProxy" hap_state "$h" ||
			{ warn "$h's HAProxy has no runtime socket (log: $LAB_DIR/logs/$h-haproxy.log)"; return 1; }
		say "  $h: HAProxy runs, runtime API at $LAB_DIR/$h/haproxy.sock ($WAIT_MS ms)"
	done

	for h in lb1 lb2; do
		start_kcwatchd "$h"
	done
	for h in lb1 lb2; do
		wait_until 5000 "$h's kcwatchd" js "$h" ||
			{ warn "$h's kcwatchd does not answer (log: $LAB_DIR/logs/$h-kcwatchd.log)"; return 1; }
	done
	js lb1 | jq -e 'has("active_backend")' >/dev/null && HAS_BACKEND=1
	js lb1 | jq -e 'has("dns")' >/dev/null && HAS_DNS=1
	local hold
	hold=$(jf lb1 '.backend_failback_after_ms // empty')
	[ -n "$hold" ] && HOLD_MS=$hold
	printf 'has_backend=%s\nhas_dns=%s\n' "$HAS_BACKEND" "$HAS_DNS" >>"$LAB_DIR/state"
	say "  kcwatchd runs on lb1 and lb2 ($(feature_text))"
	return 0
}

feature_text() {
	local f="election, VIP"
	[ "$HAS_BACKEND" -eq 1 ] && f="$f, backend checks + HAProxy" || f="$f; backend checks not available yet"
	[ "$HAS_DNS" -eq 1 ] && f="$f, DNS updates" || f="$f; DNS updates not available yet"
	echo "$f"
}

start_kcwatchd() { # NODE
	proc_start "$1-kcwatchd" "$1" "$LAB_DIR/$1:$LAB_DIR/lb" \
		"$BIN/daemon/kcwatchd" -c "$LAB_DIR/kcwatch/kcwatch.conf" --state-dir "$LAB_DIR/$1"
}

dq_has() { [ -n "$(dq "$@")" ]; }
sno_healthy() { # NAME: both health layouts answer UP (Keycloak 25+ on 9000, 22-24 on 443)
	local n=keycloak-rhbk.apps.$1.local.mylab.io ip
	ip=$(lab_ip4 "$1")
	lab_exec client curl -sf --noproxy '*' --max-time 1 --cacert "$LAB_DIR/pki/ca.pem" \
		--resolve "$n:9000:$ip" "https://$n:9000/health/ready" 2>/dev/null | grep -q '"UP"' &&
		lab_exec client curl -sf --noproxy '*' --max-time 1 --cacert "$LAB_DIR/pki/ca.pem" \
			--resolve "$n:443:$ip" "https://$n/health" 2>/dev/null | grep -q '"UP"'
}

lab_down() { # quiet(0|1)
	local f name pid st any=0 i
	[ -d "$LAB_DIR" ] || lab_any_ns || { [ "$1" -eq 1 ] || say "no lab is up"; return 0; }
	[ "$1" -eq 1 ] || head1 "stopping the lab"
	touch "$LAB_DIR/client/stop" 2>/dev/null
	# SIGTERM to everything recorded (kcwatchd releases its VIPs), then wait, then SIGKILL.
	for f in "$LAB_DIR"/pids/*.pid; do
		[ -f "$f" ] || continue
		read -r pid st <"$f"
		proc_alive "$pid" "$st" && kill -TERM "$pid" 2>/dev/null && any=1
	done
	for ((i = 0; any && i < 50; i++)); do
		any=0
		for f in "$LAB_DIR"/pids/*.pid; do
			[ -f "$f" ] || continue
			read -r pid st <"$f"
			proc_alive "$pid" "$st" && any=1
		done
		[ $any -eq 1 ] && sleep 0.1
	done
	for f in "$LAB_DIR"/pids/*.pid; do
		[ -f "$f" ] || continue
		read -r pid st <"$f"
		name=$(basename "$f" .pid)
		if proc_alive "$pid" "$st"; then
			warn "$name (PID $pid) ignored SIGTERM: SIGKILL"
			kill -KILL "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null
		rm -f "$f"
	done
	lab_net_down
	if [ -n "${KCW_LAB_KEEP_LOGS:-}" ] || [ "${LAB_SAVE_LOGS:-0}" -eq 1 ]; then
		local keep
		keep=$(mktemp -d "${TMPDIR:-/tmp}/kcwatch-lab-logs.XXXXXX")
		cp -r "$LAB_DIR/logs" "$LAB_DIR/drill" "$LAB_DIR/client" "$LAB_DIR/kcwatch/kcwatch.conf" "$keep/" 2>/dev/null
		say "logs kept in $keep"
	fi
	rm -rf "$LAB_DIR"
	[ "$1" -eq 1 ] || say "  stopped every process the lab started and deleted its namespaces"
}

# --- the drill: events, checks, steps --------------------------------------------------------
EVENTS=$LAB_DIR/drill/events
CLIENT_LOG=$LAB_DIR/client/requests.log
STEP=0
declare -a STEP_T STEP_TITLE STEP_OK STEP_BAD STEP_NA STEP_MAXOUT
PASS=0
FAIL=0
NA=0
WAIT_MS=0
SEEN=""  # what the last predicate saw, for failure messages

ev() { printf '%s\t%s\t%s\n' "$(now_ms)" "$1" "$2" >>"$EVENTS"; } # SOURCE TEXT
ok() { PASS=$((PASS + 1)); STEP_OK[STEP]=$((STEP_OK[STEP] + 1)); ev check "ok    $*"; }
bad() { FAIL=$((FAIL + 1)); STEP_BAD[STEP]=$((STEP_BAD[STEP] + 1)); ev check "FAIL  $*"; }
na() { NA=$((NA + 1)); STEP_NA[STEP]=$((STEP_NA[STEP] + 1)); ev check "n/a   $* (not available yet)"; }
info() { ev info "$*"; }

# expect DESC CMD...: passes when CMD succeeds now.
expect() {
	local d=$1
	shift
	SEEN=""
	if "$@"; then ok "$d"; else bad "$d${SEEN:+ (saw: $SEEN)}"; fi
}
# expect_within LIMIT_MS DESC CMD...: passes when CMD succeeds within LIMIT_MS.
expect_within() {
	local limit=$1 d=$2
	shift 2
	SEEN=""
	if wait_until "$limit" "$d" "$@"; then
		ok "$d ($WAIT_MS ms)"
		return 0
	fi
	lab_progress_clear
	bad "$d: not within $limit ms${SEEN:+ (saw: $SEEN)}"
	return 1
}

# Predicates (set SEEN).
leader_is() { # NODE [OTHER]: NODE leads; OTHER (when given) follows it
	local r o
	r=$(role_of "$1")
	SEEN="$1 $r"
	[ "$r" = leader ] || return 1
	[ -z "${2:-}" ] && return 0
	o=$(jf "$2" '.role + " of " + (.leader // "nobody")')
	SEEN="$SEEN, $2 $o"
	[ "$o" = "follower of $1" ]
}
follows() { # NODE LEADER
	local o
	o=$(jf "$1" '.role + " of " + (.leader // "nobody")')
	SEEN="$1 $o"
	[ "$o" = "follower of $2" ]
}
active_is() { # NODE BACKEND
	local a
	a=$(jf "$1" '.active_backend // "none"')
	SEEN="$1 active_backend=$a"
	[ "$a" = "$2" ]
}
backend_state_is() { # NODE BACKEND STATE
	local s
	s=$(jf "$1" ".backends[] | select(.name == \"$2\") | .state")
	SEEN="$1: $2 is ${s:-?}"
	[ "$s" = "$3" ]
}
switches_are() { # NODE N
	local s
	s=$(jf "$1" .backend_switches)
	SEEN="$1 backend_switches=$s"
	[ "$s" = "$2" ]
}
hap_is() { # NODE "sno1:ready sno2:maint"
	local s
	s=$(hap_state "$1")
	SEEN="$1 HAProxy: ${s:-no answer}"
	[ "$s" = "$2" ]
}
vip_where() { # NODE: holds both VIPs and the status says so
	local v h
	v=$(vips_on "$1")
	h=$(jf "$1" '[.vips[].held] | all')
	SEEN="$1 has '${v}', status held=$h"
	[ "$v" = "$LAB_VIP4 $LAB_VIP6" ] && [ "$h" = true ]
}
vip_not_on() { # NODE
	local v
	v=$(vips_on "$1")
	SEEN="$1 has '$v'"
	[ -z "$v" ]
}
dns_answer_is() { # TYPE WANT
	local a
	a=$(dq "$LAB_NAME" "$1")
	SEEN="$LAB_NAME $1 $a"
	[ "$a" = "$2" ]
}
dns_fenced_by() { # NODE: the fence is NODE's current term and its last result an update
	local t f r
	t=$(jf "$1" .term)
	f=$(jf "$1" '.dns.fence_term // "none"')
	r=$(jf "$1" '.dns.last_result // ""')
	SEEN="$1 term $t, dns.fence_term $f, last_result '$r'"
	[ "$f" = "$t" ] && [[ $r == updated* ]]
}
# The address the DNS name should have with NODE leading and BACKEND active.
dns_want_a() { # LEADER BACKEND
	case $CONF_TARGET in
	self) lab_ip4 "$1" ;;
	*) echo "$LAB_VIP4" ;;
	esac
}
dns_want_aaaa() { # (self: the node addresses are IPv4, so no AAAA)
	case $CONF_TARGET in
	self) echo "" ;;
	*) echo "$LAB_VIP6" ;;
	esac
}
client_ok_since() { # SINCE_MS INSTANCE LB("*" = any): an answer like that since SINCE
	local n
	n=$(awk -v s="$1" -v i="$2" -v l="$3" '$1 >= s && $3 == "OK" && $4 == i && (l == "*" || $5 == l) { n++ } END { print n + 0 }' "$CLIENT_LOG" 2>/dev/null)
	SEEN="client: $n such answers; last: $(tail -n 1 "$CLIENT_LOG" 2>/dev/null | cut -d' ' -f3-)"
	[ "$n" -ge 1 ]
}
client_answers() { # FROM_MS TO_MS INSTANCE -> how many answers of INSTANCE arrived in between
	awk -v a="$1" -v b="$2" -v i="$3" '$2 >= a && $2 < b && $3 == "OK" && $4 == i { n++ } END { print n + 0 }' \
		"$CLIENT_LOG" 2>/dev/null
}
client_instances() { # FROM_MS TO_MS -> the instances that answered, sorted unique
	awk -v a="$1" -v b="$2" '$1 >= a && $1 < b && $3 == "OK" { print $4 }' "$CLIENT_LOG" 2>/dev/null |
		sort -u | tr '\n' ' ' | sed 's/ $//'
}

# What to expect from the HAProxy runtime API with BACKEND active.
hap_want() { [ "$1" = sno1 ] && echo "sno1:ready sno2:maint" || echo "sno1:maint sno2:ready"; }

step_begin() { # TITLE
	STEP=$((STEP + 1))
	STEP_T[STEP]=$(now_ms)
	[ "$STEP" -eq 1 ] && STEP_T[1]=$T0
	STEP_TITLE[STEP]=$1
	STEP_OK[STEP]=0
	STEP_BAD[STEP]=0
	STEP_NA[STEP]=0
	if [ "$STEP" -eq 1 ]; then # the set-up belongs to step 1: its marker goes first
		printf '%s\t%s\t%s\n' "$T0" drill "---- step 1: $1 (set-up from 0.000 s)" >>"$EVENTS"
	else
		ev drill "---- step $STEP: $1"
	fi
	[ "$LAB_TTY" -eq 1 ] && lab_progress "step $STEP: $1" 0
}

# The merged timeline of the window [FROM, TO): the drill's own events, the daemons' notices,
# HAProxy's server changes, named's updates of the name, and the client's transitions.
timeline() { # FROM TO
	local from=$1 to=$2 midnight h
	midnight=$(($(date -d 'today 00:00:00' +%s) * 1000))
	{
		awk -F '\t' -v a="$from" -v b="$to" '$1 >= a && $1 < b' "$EVENTS"
		for h in lb1 lb2; do
			# 12:34:56.789 kcwatchd[PID] notice: text
			awk -v a="$from" -v b="$to" -v m="$midnight" -v src="$h" -v now="$(now_ms)" '
				$1 ~ /^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9][0-9][0-9]$/ && $2 ~ /^kcwatchd\[/ &&
				$3 ~ /^(notice|warning|error):$/ {
					t = m + (substr($1,1,2)*3600 + substr($1,4,2)*60 + substr($1,7,2))*1000 + substr($1,10,3)
					if (t > now + 3600000) t -= 86400000
					if (t < a || t >= b) next
					lvl = $3; sub(/:$/, "", lvl)
					$1 = $2 = $3 = ""; sub(/^ +/, "")
					printf "%.0f\t%s\t%s%s\n", t, src, (lvl == "notice" ? "" : lvl ": "), $0
				}' "$LAB_DIR/logs/$h-kcwatchd.log" 2>/dev/null
			# 2026-11-28T11:00:00.123456+00:00 Server keycloakbackend/sno1 is DOWN. 0 active and ...
			# (HAProxy's own view; its health check lines are left out). Local time, as ours.
			awk -v a="$from" -v b="$to" -v m="$midnight" -v now="$(now_ms)" -v src="$h/haproxy" '
				$1 ~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9][0-9][0-9]/ &&
				/(Server|Backup Server) keycloakbackend\/|backend keycloakbackend has no server/ {
					t = m + (substr($1,12,2)*3600 + substr($1,15,2)*60 + substr($1,18,2))*1000 + substr($1,21,3)
					if (t > now + 3600000) t -= 86400000
					if (t < a || t >= b) next
					$1 = ""; sub(/^ +/, "")
					sub(/ [0-9]+ active and [0-9]+ backup servers.*/, "")
					printf "%.0f\t%s\t%s\n", t, src, $0
				}' "$LAB_DIR/logs/$h-haproxy.log" 2>/dev/null
		done
		# named logs every update; show only what changes: the name's addresses and the fence's
		# owner (a leader rewrites them with every fence renewal).
		# 28-Nov-2026 11:00:00.123 client @0x.. 10.88.0.213#1234/key kcwatch-key: updating zone
		#   'local.mylab.io/IN': adding an RR at 'keycloak.local.mylab.io' A 10.88.0.215
		awk -v a="$from" -v b="$to" -v m="$midnight" -v now="$(now_ms)" -v name="$LAB_NAME" '
			/updating zone/ && /adding an RR at/ {
				split($2, hms, /[:.]/)
				t = m + (hms[1]*3600 + hms[2]*60 + hms[3])*1000 + hms[4]
				if (t > now + 3600000) t -= 86400000
				who = $5; sub(/#.*/, "", who)
				txt = $0; sub(/.*adding an RR at /, "", txt)
				if (index(txt, "'\''" name "'\'' A ") == 1) { k = "A"; v = $NF }
				else if (index(txt, "'\''" name "'\'' AAAA ") == 1) { k = "AAAA"; v = $NF }
				else if (index(txt, "'\''_kcwatch." name "'\'' TXT ") == 1) {
					k = "fence"; v = txt; sub(/^[^"]*"/, "", v); sub(/ seq=.*/, "", v)
				} else next
				if (last[k] == v) next
				last[k] = v
				if (t >= a && t < b)
					printf "%.0f\tnamed\t%s\n", t, (k == "fence" ? "fence of " name ": " v : name " " k " " v) " (update from " who ")"
			}' "$LAB_DIR/logs/named.log" 2>/dev/null
		client_events "$from" "$to"
	} | sort -t "$(printf '\t')" -k1,1n -s | awk -F '\t' -v t0="$T0" -v ok="$LAB_C_OK" -v bad="$LAB_C_BAD" \
		-v b="$LAB_C_B" -v z="$LAB_C_0" '
		{
			ts = sprintf("[%7.3f]", ($1 - t0) / 1000)
			if ($3 ~ /^FAIL /) printf "%s%s %-12s %s%s\n", bad, ts, $2, $3, z
			else if ($3 ~ /^ok /) printf "%s %-12s %s%s%s\n", ts, $2, ok, $3, z
			else if ($3 ~ /^---- /) printf "%s%s %s%s\n", b, ts, $3, z
			else printf "%s %-12s %s\n", ts, $2, $3
		}'
}

# The client's transitions in [FROM, TO): first answer, errors, recoveries, other instance or LB.
client_events() { # FROM TO
	awk -v a="$1" -v b="$2" '
		function flush_err() {
			if (nerr > 0 && errstart >= a && errstart < b)
				printf "%.0f\tclient\t%s\n", errstart, "error: " errtxt " (through " errlb ")"
		}
		# START END DNS|OK|ERR ...: errors at their start, answers when they arrived (END)
		$3 == "DNS" { if ($1 >= a && $1 < b) printf "%.0f\tclient\tdig: %s is %s\n", $1, "keycloak", $4; next }
		$3 == "OK" {
			if (nerr > 0) {
				flush_err()
				if ($2 >= a && $2 < b)
					printf "%.0f\tclient\tanswered again by %s through %s: %d ms without service (%d failed requests)\n", $2, $4, $5, $1 - errstart, nerr
				nerr = 0
			} else if ($2 >= a && $2 < b) {
				if (inst == "") printf "%.0f\tclient\tfirst answer: %s through %s\n", $2, $4, $5
				else if ($4 != inst) printf "%.0f\tclient\tnow answered by %s (was %s)\n", $2, $4, inst
				if (inst != "" && $5 != lb) printf "%.0f\tclient\tnow through %s (was %s): the VIP moved\n", $2, $5, lb
			}
			inst = $4; lb = $5; next
		}
		$3 == "ERR" {
			if (nerr == 0) { errstart = $1; errlb = $5; errtxt = $6; for (i = 7; i <= NF; i++) errtxt = errtxt " " $i }
			nerr++
		}
		END { flush_err() }' "$CLIENT_LOG" 2>/dev/null
}

step_end() {
	local now
	now=$(now_ms)
	lab_progress_clear
	timeline "${STEP_T[STEP]}" "$now"
	STEP_END=$now
	if [ "$PAUSE" -eq 1 ] && [ -r /dev/tty ]; then
		printf '%s-- Enter for the next step --%s' "$LAB_C_DIM" "$LAB_C_0"
		read -r -t 600 _ </dev/tty
		printf '\n'
	fi
}
STEP_END=0

show_status() { # NODE...
	local h
	for h in "$@"; do
		say "  \$ kcwatchctl -s $LAB_DIR/$h/kcwatchd.sock status      (on $h)"
		ctl "$h" status 2>&1 | sed 's/^/    /'
	done
}

# --- the five steps --------------------------------------------------------------------------
VICTIM=lb1
OTHER=lb2
SW0=0

step1() {
	local t
	step_begin "everything up"
	expect_within 5000 "one leader: lb1 (priority 150), lb2 follows it" leader_is lb1 lb2 ||
		{ leader_is lb2 lb1 && info "lb2 leads instead (election timing): the drill goes on with it"; }
	if leader_is lb2 lb1; then VICTIM=lb2 OTHER=lb1; else VICTIM=lb1 OTHER=lb2; fi
	expect_within 2000 "$VICTIM holds the VIPs $LAB_VIP4 and $LAB_VIP6" vip_where "$VICTIM"
	expect "$OTHER does not hold them" vip_not_on "$OTHER"
	if [ "$HAS_BACKEND" -eq 1 ]; then
		expect_within 5000 "active backend sno1 on $VICTIM (the leader checks)" active_is "$VICTIM" sno1
		expect_within 3000 "active backend sno1 on $OTHER (adopted from the leader)" active_is "$OTHER" sno1
		expect "both backends up" backend_state_is "$VICTIM" sno2 up
		expect_within 3000 "HAProxy on lb1: sno1 ready, sno2 in maintenance" hap_is lb1 "$(hap_want sno1)"
		expect_within 3000 "HAProxy on lb2: sno1 ready, sno2 in maintenance" hap_is lb2 "$(hap_want sno1)"
		SW0=$(jf "$VICTIM" .backend_switches)
		info "backend switches so far: $SW0"
	else
		na "backend checks and HAProxy switching (kcwatchd status has no active_backend)"
	fi
	if [ "$HAS_DNS" -eq 1 ]; then
		expect_within 5000 "DNS: $VICTIM wrote the name and holds the fence (its term)" dns_fenced_by "$VICTIM"
	else
		na "DNS updates (kcwatchd status has no dns)"
	fi
	expect_within 5000 "dig @$LAB_DNS_SERVER $LAB_NAME A: $(dns_want_a "$VICTIM" sno1)" \
		dns_answer_is A "$(dns_want_a "$VICTIM" sno1)"
	expect "dig $LAB_NAME AAAA: $(dns_want_aaaa)" dns_answer_is AAAA "$(dns_want_aaaa)"
	info "dig TXT _kcwatch.$LAB_NAME (the fence): $(dq "_kcwatch.$LAB_NAME" TXT)"

	# The client starts now; it runs until the end of the drill (bounded to 10 minutes).
	: >"$CLIENT_LOG"
	proc_start client client - bash "$LAB_SRC/client.sh" "$CLIENT_LOG" 50 600
	t=$(now_ms)
	ev drill "client starts: https://$LAB_NAME/realms/mylab/ every 50 ms"
	expect_within 5000 "the client reaches sno1 through $VICTIM" client_ok_since "$t" sno1 "$VICTIM"
	expect "the admin console is not forwarded: /admin/ through the VIP is refused (403)" \
		http_code_is 403 "https://$LAB_NAME/admin/master/console/" "$LAB_VIP4"
	expect "... while sno1 itself serves it (200)" \
		http_code_is 200 "https://keycloak-rhbk.apps.sno1.local.mylab.io/admin/master/console/" "$(lab_ip4 sno1)"
	expect "http:// is redirected to https:// (302)" http_code_is 302 "http://$LAB_NAME/realms/mylab/" "$LAB_VIP4"
	expect "the VIP answers over IPv6 too (sno1 through $VICTIM)" ipv6_page_is sno1 "$VICTIM"
	sleep 0.5
	step_end
	say ""
	show_status lb1 lb2
}

http_code_is() { # CODE URL ADDRESS
	local host port c
	host=${2#*://}
	host=${host%%/*}
	case $2 in https:*) port=443 ;; *) port=80 ;; esac
	c=$(lab_exec client curl -s -o /dev/null -w '%{http_code}' --noproxy '*' --max-time 2 \
		--cacert "$LAB_DIR/pki/ca.pem" --resolve "$host:$port:$3" "$2" 2>/dev/null)
	SEEN="HTTP $c"
	[ "$c" = "$1" ]
}
ipv6_page_is() { # INSTANCE LB
	local h
	h=$(lab_exec client curl -s -o /dev/null -w '%header{x-keycloak-instance} %header{x-served-by}' \
		--noproxy '*' --max-time 2 --cacert "$LAB_DIR/pki/ca.pem" \
		--resolve "$LAB_NAME:443:[$LAB_VIP6]" "https://$LAB_NAME/realms/mylab/" 2>/dev/null)
	SEEN="$h"
	[ "$h" = "$1 $2" ]
}

step2() {
	local t term_before vt ot took pid
	step_begin "kill -9 the leader's kcwatchd ($VICTIM)"
	term_before=$(jf "$VICTIM" .term)
	pid=$(proc_pid "$VICTIM-kcwatchd")
	t=$(now_ms)
	kill -KILL "$pid"
	printf '%s\t%s\t%s\n' "$t" drill "kill -9 $VICTIM's kcwatchd (PID $pid)" >>"$EVENTS"
	proc_stop "$VICTIM-kcwatchd" KILL
	expect_within 4000 "$OTHER leads" leader_is "$OTHER"
	vt=$(grep -a 'role follower -> leader' "$LAB_DIR/logs/$OTHER-kcwatchd.log" | tail -n 1 | cut -c1-12)
	if [ -n "$vt" ]; then
		took=$(($(date -d "$vt" +%s%3N) - t))
		expect "$OTHER took over $took ms after the kill (dead after 3 x 200 ms; at most 3 s on a busy machine)" \
			[ "$took" -le 3000 ]
	fi
	ot=$(jf "$OTHER" .term)
	expect "with a higher term ($ot > $term_before)" [ "${ot:-0}" -gt "${term_before:-0}" ]
	expect_within 2000 "$OTHER holds the VIPs" vip_where "$OTHER"
	expect_within 5000 "the client reaches sno1 through $OTHER: the VIP moved" client_ok_since "$t" sno1 "$OTHER"
	info "$VICTIM still has '$(vips_on "$VICTIM")' on eth0: a killed kcwatchd cannot remove it; clients follow $OTHER's announcements, and $VICTIM's kcwatchd removes it when it starts again"
	if [ "$HAS_BACKEND" -eq 1 ]; then
		expect "the active backend did not change: sno1 on $OTHER" active_is "$OTHER" sno1
		expect "no backend switch ($SW0)" switches_are "$OTHER" "$SW0"
		expect "HAProxy on $OTHER unchanged: sno1 ready" hap_is "$OTHER" "$(hap_want sno1)"
	else
		na "active backend unchanged through the LB failover"
	fi
	if [ "$HAS_DNS" -eq 1 ]; then
		expect_within 5000 "DNS: $OTHER took the fence over with its term $ot" dns_fenced_by "$OTHER"
	else
		na "DNS repointed by the new leader"
	fi
	expect_within 5000 "dig $LAB_NAME A: $(dns_want_a "$OTHER" sno1)" dns_answer_is A "$(dns_want_a "$OTHER" sno1)"
	expect "dig $LAB_NAME AAAA: $(dns_want_aaaa)" dns_answer_is AAAA "$(dns_want_aaaa)"
	info "dig TXT _kcwatch.$LAB_NAME (the fence): $(dq "_kcwatch.$LAB_NAME" TXT)"
	sleep 1
	expect "the client was answered by sno1 only" [ "$(client_instances "${STEP_T[STEP]}" "$(now_ms)")" = sno1 ]
	step_end
}

step3() {
	local t
	step_begin "stop sno1"
	if [ "$HAS_BACKEND" -eq 0 ]; then
		na "stop sno1: this kcwatchd does not check backends, so there is nothing of kcwatch to show"
		step_end
		return
	fi
	t=$(now_ms)
	ev drill "stop sno1's nginx (SIGTERM)"
	proc_stop sno1-nginx TERM 30
	expect_within 3000 "$OTHER (leader): sno1 down" backend_state_is "$OTHER" sno1 down
	expect_within 1000 "$OTHER: active backend sno2" active_is "$OTHER" sno2
	expect_within 3000 "HAProxy on $OTHER: sno1 in maintenance, sno2 ready" hap_is "$OTHER" "$(hap_want sno2)"
	expect "one backend switch ($((SW0 + 1)))" switches_are "$OTHER" $((SW0 + 1))
	expect_within 5000 "the client reaches sno2 through $OTHER" client_ok_since "$t" sno2 "$OTHER"
	info "$VICTIM: kcwatchd is down since step 2, so its HAProxy keeps its last state ($(hap_state "$VICTIM")); it carries no traffic, and step 5 brings it in line"
	sleep 0.5
	step_end
}

step4() {
	local t t_up since t_sw held reason i now sw_lower
	step_begin "start sno1 again: fail-back only after the hold ($((HOLD_MS / 1000)) s)"
	if [ "$HAS_BACKEND" -eq 0 ]; then
		na "fail-back after the hold: this kcwatchd does not check backends"
		step_end
		return
	fi
	t=$(now_ms)
	ev drill "start sno1's nginx"
	proc_start sno1-nginx sno1 "$LAB_DIR/sno1:$LAB_DIR/sno" \
		nginx -e "$LAB_DIR/sno/nginx-error.log" -p "$LAB_DIR/sno" -c "$LAB_SRC/nginx.conf"
	expect_within 5000 "$OTHER: sno1 up again" backend_state_is "$OTHER" sno1 up
	now=$(now_ms)
	since=$(jf "$OTHER" '.backends[] | select(.name == "sno1") | .since_ms_ago')
	t_up=$((now - ${since:-0}))
	info "sno1 counts as up since $(fmt_s $((t_up - T0))) s: fail-back due at $(fmt_s $((t_up + HOLD_MS - T0))) s"
	expect "no fail-back yet: active backend still sno2" active_is "$OTHER" sno2
	# Wait for the switch (bounded: the hold + 5 s).
	t_sw=0
	for ((i = 0; i < (HOLD_MS + 5000) / 20; i++)); do
		now=$(now_ms)
		if [ "$(jf "$OTHER" '.active_backend')" = sno1 ]; then
			t_sw=$now
			break
		fi
		[ $((now - t_up)) -ge $((HOLD_MS + 5000)) ] && break
		lab_progress "waiting for the fail-back ($((HOLD_MS / 1000)) s hold)" $((now - t_up))
		sleep 0.02
	done
	lab_progress_clear
	if [ "$t_sw" -eq 0 ]; then
		bad "fail-back to sno1 within the hold + 5 s (active: $(jf "$OTHER" .active_backend))"
	else
		# kcwatchd's own account: the reason says "failback to sno1 after N ms up"; with
		# sno1's since_ms_ago it also dates the switch (no earlier than sw_lower).
		now=$(now_ms)
		IFS=$'\t' read -r since reason < <(js "$OTHER" |
			jq -r '[(.backends[] | select(.name == "sno1") | .since_ms_ago), .backend_switch_reason] | @tsv')
		held=$(sed -n 's/.*after \([0-9]*\) ms up.*/\1/p' <<<"$reason")
		[ -n "$held" ] || held=$((t_sw - t_up))
		sw_lower=$((now - ${since:-0} + held))
		info "switch reason: $reason"
		if [ "$held" -ge "$HOLD_MS" ] && [ "$held" -le $((HOLD_MS + 2000)) ]; then
			ok "fail-back to sno1 after sno1 stayed up $(fmt_s "$held") s (hold $((HOLD_MS / 1000)) s)"
		else
			bad "fail-back to sno1 after sno1 stayed up $(fmt_s "$held") s (want $((HOLD_MS / 1000)) s .. +2 s)"
		fi
		expect "no answer from sno1 reached the client before the fail-back" \
			[ "$(client_answers "$t" "$sw_lower" sno1)" -eq 0 ]
	fi
	expect_within 3000 "HAProxy on $OTHER: sno1 ready, sno2 in maintenance" hap_is "$OTHER" "$(hap_want sno1)"
	expect "two backend switches ($((SW0 + 2)))" switches_are "$OTHER" $((SW0 + 2))
	expect_within 5000 "the client reaches sno1 through $OTHER" client_ok_since "${t_sw:-$t}" sno1 "$OTHER"
	sleep 0.5
	step_end
}

step5() {
	local t want_leader want_follower
	step_begin "restart $VICTIM's kcwatchd (preempt = $CONF_PREEMPT)"
	t=$(now_ms)
	ev drill "start $VICTIM's kcwatchd"
	start_kcwatchd "$VICTIM"
	if [ "$CONF_PREEMPT" = yes ] && [ "$VICTIM" = lb1 ]; then
		want_leader=$VICTIM want_follower=$OTHER
		expect_within 4000 "$VICTIM (priority 150) preempts: it leads, $OTHER follows" leader_is "$VICTIM" "$OTHER"
	else
		want_leader=$OTHER want_follower=$VICTIM
		expect_within 4000 "$VICTIM rejoins as follower of $OTHER" follows "$VICTIM" "$OTHER"
		sleep 1
		expect "a second later: $OTHER still leads, $VICTIM follows" leader_is "$OTHER" "$VICTIM"
	fi
	expect_within 2000 "$want_leader holds the VIPs" vip_where "$want_leader"
	expect_within 2000 "$want_follower holds none (leftovers removed)" vip_not_on "$want_follower"
	if [ "$HAS_BACKEND" -eq 1 ]; then
		expect_within 3000 "$VICTIM: active backend sno1 (adopted)" active_is "$VICTIM" sno1
		expect "$VICTIM counts the same switches ($((SW0 + 2)))" switches_are "$VICTIM" $((SW0 + 2))
		expect_within 3000 "HAProxy on lb1: sno1 ready, sno2 in maintenance" hap_is lb1 "$(hap_want sno1)"
		expect_within 3000 "HAProxy on lb2: sno1 ready, sno2 in maintenance" hap_is lb2 "$(hap_want sno1)"
	else
		na "active backend and HAProxy on the returning node"
	fi
	if [ "$HAS_DNS" -eq 1 ]; then
		expect_within 5000 "DNS: the fence is $want_leader's" dns_fenced_by "$want_leader"
	else
		na "DNS after the return"
	fi
	expect_within 5000 "dig $LAB_NAME A: $(dns_want_a "$want_leader" sno1)" \
		dns_answer_is A "$(dns_want_a "$want_leader" sno1)"
	expect_within 5000 "the client reaches sno1 through $want_leader" client_ok_since "$t" sno1 "$want_leader"
	sleep 1
	step_end
	say ""
	show_status lb1 lb2
}

# --- summary ---------------------------------------------------------------------------------
summary() {
	local i end planned seen count n_req n_err kinds out_ms nfail res line
	end=$STEP_END
	head1 "summary"
	# Longest outage per step: from a failed request to the next answer (attributed to the
	# step in which the outage began); failed requests per step.
	local bounds=""
	for ((i = 1; i <= STEP; i++)); do bounds="$bounds ${STEP_T[i]}"; done
	awk -v bounds="$bounds" -v end="$end" '
		BEGIN { n = split(bounds, b, " ") }
		function stepof(t,   k) { for (k = n; k >= 1; k--) if (t >= b[k]) return k; return 1 }
		$3 == "OK" { if (nerr > 0) { d = $1 - es; s = stepof(es); if (d > mx[s]) mx[s] = d; nerr = 0 } }
		$3 == "ERR" { if (nerr == 0) es = $1; nerr++; fl[stepof($1)]++ }
		END {
			if (nerr > 0) { d = end - es; s = stepof(es); if (d > mx[s]) mx[s] = d; open[s] = 1 }
			for (k = 1; k <= n; k++) printf "%d %.0f %d %d\n", k, mx[k] + 0, fl[k] + 0, open[k] + 0
		}' "$CLIENT_LOG" >"$LAB_DIR/drill/outages"
	printf '%-4s %-58s %14s %9s  %s\n' step what "longest outage" "failed" result
	while read -r i out_ms nfail open; do
		local maxo=${STEP_MAXOUT[i]:-0}
		if [ "$maxo" -gt 0 ] && { [ "$out_ms" -gt "$maxo" ] || [ "$open" -eq 1 ]; }; then
			STEP=$i bad "step $i: client outage $out_ms ms > $maxo ms"
		fi
		if [ "${STEP_BAD[i]}" -gt 0 ]; then res="FAIL (${STEP_BAD[i]} of $((STEP_OK[i] + STEP_BAD[i])) checks failed)"
		elif [ "${STEP_NA[i]}" -gt 0 ]; then res="ok, ${STEP_NA[i]} not available yet (${STEP_OK[i]} checks)"
		else res="ok (${STEP_OK[i]} checks)"; fi
		line=$(printf '%-4s %-58s %11s ms %9s  %s' "$i" "${STEP_TITLE[i]:0:58}" "$out_ms" "$nfail" "$res")
		[ "${STEP_BAD[i]}" -gt 0 ] && line="$LAB_C_BAD$line$LAB_C_0"
		say "$line"
	done <"$LAB_DIR/drill/outages"
	# Backend switches: planned 2 (to sno2 and back) when kcwatchd checks backends.
	if [ "$HAS_BACKEND" -eq 1 ]; then
		planned=2
		count=$(( $(jf "$OTHER" '.backend_switches // 0') - SW0 ))
		seen=$(awk '$3 == "OK" { if (p != "" && $4 != p) n++; p = $4 } END { print n + 0 }' "$CLIENT_LOG")
		say "backend switches: $count (planned $planned; seen by the client: $seen)"
		STEP=$STEP expect_switches "$count" "$planned" "$seen"
	else
		say "backend switches: not available yet (planned 0 without backend checks)"
	fi
	n_req=$(awk '$3 == "OK" || $3 == "ERR"' "$CLIENT_LOG" | wc -l)
	n_err=$(awk '$3 == "ERR"' "$CLIENT_LOG" | wc -l)
	kinds=$(awk '$3 == "ERR" { $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); c[$0]++ } END { for (k in c) printf "%s%d x %s", (s++ ? ", " : ""), c[k], k }' "$CLIENT_LOG")
	local span
	span=$(awk '$3 == "OK" || $3 == "ERR" { if (!a) a = $1; b = $1 } END { print b - a + 0 }' "$CLIENT_LOG")
	say "client errors: $n_err of $n_req requests${kinds:+ ($kinds)}"
	[ "$n_req" -gt 1 ] && say "client requests: one every $((span / (n_req - 1))) ms on average (aim: 50 ms; each is a new TLS connection made by curl)"
	local moves
	moves=$(awk '$3 == "OK" { if (p != "" && $5 != p) printf "%s%s -> %s", (n++ ? ", " : ""), p, $5; p = $5 }' "$CLIENT_LOG")
	say "load balancer changes seen by the client: ${moves:-none}"
	say "kcwatchd: $(feature_text)"
	if [ "$FAIL" -eq 0 ]; then
		say "${LAB_C_OK}result: PASS ($PASS checks passed, 0 failed, $NA not available yet) in $(fmt_s $(($(now_ms) - T0))) s (set-up included)$LAB_C_0"
	else
		say "${LAB_C_BAD}result: FAIL ($PASS checks passed, $FAIL failed, $NA not available yet) in $(fmt_s $(($(now_ms) - T0))) s (set-up included)$LAB_C_0"
		say "failed checks:"
		awk -F '\t' '$2 == "check" && $3 ~ /^FAIL/ { sub(/^FAIL +/, "", $3); print "  " $3 }' "$EVENTS"
	fi
}
expect_switches() { # COUNT PLANNED SEEN
	if [ "$1" -eq "$2" ] && [ "$3" -eq "$2" ]; then
		PASS=$((PASS + 1))
	else
		FAIL=$((FAIL + 1))
		ev check "FAIL  backend switches: kcwatchd counted $1, the client saw $3, planned $2"
	fi
}

drill() {
	STEP_MAXOUT=([1]=0 [2]=1000 [3]=4000 [4]=1000 [5]=1000)
	step1
	step2
	step3
	step4
	step5
	touch "$LAB_DIR/client/stop"
	proc_stop client TERM 30
	summary
	[ "$FAIL" -eq 0 ]
}

# --- status and up ---------------------------------------------------------------------------
lab_status() {
	local h p f name pid st
	[ -d "$LAB_DIR" ] || { say "no lab is up (./lab/demo.sh up starts one)"; return 1; }
	BIN=$(cat "$LAB_DIR/bin" 2>/dev/null)
	KCWATCHCTL=$BIN/ctl/kcwatchctl
	head1 "processes"
	for f in "$LAB_DIR"/pids/*.pid; do
		[ -f "$f" ] || continue
		read -r pid st <"$f"
		name=$(basename "$f" .pid)
		if proc_alive "$pid" "$st"; then p="running (PID $pid)"; else p="not running"; fi
		printf '  %-16s %s\n' "$name" "$p"
	done
	for h in lb1 lb2; do
		head1 "$h"
		ctl "$h" status 2>&1 | sed 's/^/  /'
		say "  VIPs on eth0: $(vips_on "$h")"
		say "  HAProxy keycloakbackend: $(hap_state "$h" || echo "no answer")"
	done
	head1 "DNS (dig @$LAB_DNS_SERVER)"
	say "  $LAB_NAME A: $(dq "$LAB_NAME" A)   AAAA: $(dq "$LAB_NAME" AAAA)"
	say "  _kcwatch.$LAB_NAME TXT: $(dq "_kcwatch.$LAB_NAME" TXT)"
	head1 "client: one request to https://$LAB_NAME/realms/mylab/ (at $LAB_VIP4)"
	say "  $(lab_exec client curl -sS -o /dev/null --noproxy '*' --max-time 2 --cacert "$LAB_DIR/pki/ca.pem" \
		--resolve "$LAB_NAME:443:$LAB_VIP4" \
		-w 'HTTP %{http_code}, Keycloak %header{x-keycloak-instance} through %header{x-served-by}' \
		"https://$LAB_NAME/realms/mylab/" 2>&1)"
}

up_help() {
	cat <<EOF

The lab is up; its state, logs and sockets are in $LAB_DIR. Try:
  ./lab/demo.sh status
  $BIN/ctl/kcwatchctl -s $LAB_DIR/lb1/kcwatchd.sock status
  ip netns exec $LAB_NS_PREFIX-client curl --cacert $LAB_DIR/pki/ca.pem \\
      --resolve $LAB_NAME:443:$LAB_VIP4 https://$LAB_NAME/realms/mylab/
  ip netns exec $LAB_NS_PREFIX-client dig @$LAB_DNS_SERVER $LAB_NAME
  ip netns exec $LAB_NS_PREFIX-client curl -u admin:lab http://10.88.0.213:8080/stats
  echo "show servers state keycloakbackend" | ip netns exec $LAB_NS_PREFIX-lb1 \
      bash -c 'exec 3<>/dev/tcp/127.0.0.1/9999; cat >&3; cat <&3'   # HAProxy's view
  touch $LAB_DIR/sno1/health-down       # sno1's health says DOWN (rm it again to recover)
  kill -9 \$(cut -d' ' -f1 $LAB_DIR/pids/lb1-kcwatchd.pid)   # the leader's kcwatchd dies
  tail -f $LAB_DIR/logs/lb1-kcwatchd.log
  ./lab/demo.sh down                    # stops everything, deletes the namespaces
EOF
}

# --- main ------------------------------------------------------------------------------------
on_exit() {
	local rc=$?
	lab_progress_clear
	if [ "$CLEANUP" -eq 1 ]; then
		[ $rc -ne 0 ] && [ $rc -ne 130 ] && LAB_SAVE_LOGS=1
		lab_down 1
		say "cleaned up: every process and namespace of the lab is gone"
		say "total run time: $(fmt_s $(($(now_ms) - START_MS))) s (packages, build, set-up, drill, clean-up)"
	fi
	exit $rc
}
CLEANUP=0
LAB_SAVE_LOGS=0
START_MS=$(now_ms)

case $CMD in
status)
	need_root
	lab_status
	;;
down)
	need_root
	lab_down 0
	;;
up | drill)
	need_root
	lab_refuse_if_up
	install_packages
	build_kcwatch
	KCWATCHCTL=$BIN/ctl/kcwatchctl
	for tool in ip named nginx haproxy openssl tsig-keygen dig curl jq python3; do
		command -v "$tool" >/dev/null || die "missing $tool (run without --no-install, or install it)"
	done
	lab_refuse_if_up
	CLEANUP=1
	trap on_exit EXIT
	trap 'exit 130' INT TERM HUP
	if ! lab_up; then
		say "the lab could not be set up; the logs are kept (see below)"
		exit 1
	fi
	if [ "$CMD" = up ]; then
		CLEANUP=0
		trap - EXIT INT TERM HUP
		wait_until 5000 "election" leader_is lb1 lb2 || wait_until 2000 "election" leader_is lb2 lb1
		[ "$HAS_BACKEND" -eq 1 ] && wait_until 5000 "backend choice" active_is lb2 sno1
		say "  $(feature_text)"
		show_status lb1 lb2
		up_help
		exit 0
	fi
	head1 "the drill (times in seconds since the start of the set-up)"
	drill
	rc=$?
	if [ "$KEEP" -eq 1 ]; then
		CLEANUP=0
		up_help
	fi
	exit $rc
	;;
esac
