# SPDX-License-Identifier: MIT
# lab/lib_setup.sh: the lab's set-up and tear-down for demo.sh: packages, build, certificates,
# keys, namespaces, the daemons; status. Sourced after lib.sh, not run. Reads demo.sh's options
# (CMD, NO_INSTALL, PREEMPT, DNS_TARGET) and LAB_SRC, TOP; sets BIN, T0, HOLD_MS, CONF_PREEMPT,
# CONF_TARGET.
# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are used by demo.sh
# shellcheck source=tests/integration/lib_pki.sh
. "$TOP/tests/integration/lib_pki.sh"

BIN=""          # the build directory: daemon/kcwatchd, ctl/kcwatchctl
T0=0            # time zero of the timeline (epoch ms)
HOLD_MS=10000   # [backends] failback = after ... (read back from kcwatchd's status)
CONF_PREEMPT=no
CONF_TARGET=vip

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

build_kcwatch() {
	local b=$TOP/build log
	if [ -n "${KCW_BUILD:-}" ]; then
		BIN=$KCW_BUILD
		if [ ! -x "$BIN/daemon/kcwatchd" ] || [ ! -x "$BIN/ctl/kcwatchctl" ]; then
			die "KCW_BUILD=$KCW_BUILD holds no daemon/kcwatchd and ctl/kcwatchctl: build there first"
		fi
		say "using kcwatchd and kcwatchctl from KCW_BUILD=$KCW_BUILD"
		return 0
	fi
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

need_tools() {
	local tool
	for tool in ip named nginx haproxy openssl tsig-keygen dig curl jq python3; do
		command -v "$tool" >/dev/null || die "missing $tool (run without --no-install, or install it)"
	done
}

lab_refuse_if_up() {
	if [ -e "$LAB_DIR" ] || lab_any_ns; then
		die "a lab is already up (or was left behind): see ./lab/demo.sh status, or run ./lab/demo.sh down"
	fi
}

# --- files: certificates, keys, kcwatch.conf -------------------------------------------------
make_pki() {
	local d=$LAB_DIR/pki h
	# EC P-256 keys: quick to make (the reference uses RSA 3072).
	t_pki_ca "$d" ca ec || return 1
	# Each Keycloak answers for its own route and for the public name (as in the reference).
	for h in sno1 sno2; do
		t_pki_cert "$d" "$h" "keycloak-rhbk.apps.$h.local.mylab.io,$LAB_NAME" ec || return 1
		mv "$d/$h.pem" "$LAB_DIR/$h/tls.pem" && mv "$d/$h.key" "$LAB_DIR/$h/tls.key" || return 1
	done
	# HAProxy's frontend: certificate and key in one file (the reference's keycloak-bundle.pem).
	t_pki_cert "$d" keycloak "$LAB_NAME" ec || return 1
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

# --- the daemons -----------------------------------------------------------------------------
start_kcwatchd() { # NODE
	proc_start "$1-kcwatchd" "$1" "$LAB_DIR/$1:$LAB_DIR/lb" \
		"$BIN/daemon/kcwatchd" -c "$LAB_DIR/kcwatch/kcwatch.conf" --state-dir "$LAB_DIR/$1"
}
start_nginx() { # sno1|sno2
	proc_start "$1-nginx" "$1" "$LAB_DIR/$1:$LAB_DIR/sno" \
		nginx -e "$LAB_DIR/sno/nginx-error.log" -p "$LAB_DIR/sno" -c "$LAB_SRC/nginx.conf"
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

# lab_files_up: the state directory, certificates, keys, kcwatch.conf, the namespaces, and
# kcwatchd -t on both LBs.
lab_files_up() {
	local s
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
}

# lab_daemons_up: named, the two nginx, the two HAProxy, the two kcwatchd, each answering.
lab_daemons_up() {
	local h
	cp "$LAB_SRC/local.mylab.io.db" "$LAB_SRC/10.88.0.db" "$LAB_DIR/dns/"
	proc_start named dns - named -g -c "$LAB_SRC/named.conf"
	wait_until 10000 "named" dq_has "$LAB_ZONE" SOA ||
		{ warn "named does not answer (log: $LAB_DIR/logs/named.log)"; return 1; }
	say "  named answers for $LAB_ZONE on $LAB_DNS_SERVER ($WAIT_MS ms)"

	for h in sno1 sno2; do start_nginx "$h"; done
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

	for h in lb1 lb2; do start_kcwatchd "$h"; done
	for h in lb1 lb2; do
		wait_until 5000 "$h's kcwatchd" js "$h" ||
			{ warn "$h's kcwatchd does not answer (log: $LAB_DIR/logs/$h-kcwatchd.log)"; return 1; }
	done
	HOLD_MS=$(jf lb1 '.backend_failback_after_ms // empty')
	HOLD_MS=${HOLD_MS:-10000}
	say "  kcwatchd runs on lb1 and lb2 (election, VIP, backend checks + HAProxy, DNS updates)"
}

# lab_up: everything of step 1 up to the client. Returns non-zero (with a message) on failure.
lab_up() {
	T0=$(now_ms)
	lab_files_up && lab_daemons_up
}

# --- down, status ----------------------------------------------------------------------------
# lab_recorded_alive: true while a recorded process still runs.
lab_recorded_alive() {
	local f pid st
	for f in "$LAB_DIR"/pids/*.pid; do
		[ -f "$f" ] || continue
		read -r pid st <"$f"
		proc_alive "$pid" "$st" && return 0
	done
	return 1
}

lab_down() { # quiet(0|1)
	local f name pid st i
	[ -d "$LAB_DIR" ] || lab_any_ns || { [ "$1" -eq 1 ] || say "no lab is up"; return 0; }
	[ "$1" -eq 1 ] || head1 "stopping the lab"
	touch "$LAB_DIR/client/stop" 2>/dev/null
	# SIGTERM to everything recorded (kcwatchd releases its VIPs), then wait, then SIGKILL.
	for f in "$LAB_DIR"/pids/*.pid; do
		[ -f "$f" ] || continue
		read -r pid st <"$f"
		proc_alive "$pid" "$st" && kill -TERM "$pid" 2>/dev/null
	done
	for ((i = 0; i < 50; i++)); do
		lab_recorded_alive || break
		sleep 0.1
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
  echo "show servers state keycloakbackend" | ip netns exec $LAB_NS_PREFIX-lb1 \\
      bash -c 'exec 3<>/dev/tcp/127.0.0.1/9999; cat >&3; cat <&3'   # HAProxy's view
  touch $LAB_DIR/sno1/health-down       # sno1's health says DOWN (rm it again to recover)
  kill -9 \$(cut -d' ' -f1 $LAB_DIR/pids/lb1-kcwatchd.pid)   # the leader's kcwatchd dies
  tail -f $LAB_DIR/logs/lb1-kcwatchd.log
  ./lab/demo.sh down                    # stops everything, deletes the namespaces
EOF
}
