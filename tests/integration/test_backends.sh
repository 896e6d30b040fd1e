#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_backends.sh: issue 4 end to end with the real daemon: two LBs (lb1, lb2) run kcwatchd and
# HAProxy, two Keycloak stand-ins (sno1, sno2) run nginx with TLS certificates of a test CA.
# The leader checks, picks one active backend for the cluster, and every LB's HAProxy follows.
#
# One config file serves both LBs, so haproxy-socket is one path. Each LB gets its own mount
# namespace (like a real host has its own /run): a holder process in the LB's network namespace
# runs `unshare -m` and bind-mounts the LB's private directory over $T_DIR/hap; HAProxy and
# kcwatchd of that LB are started inside it with nsenter. The same path then names a different
# socket on each LB, and the test reads each one from outside at $T_DIR/hap-lbN/.
. "$(dirname "$0")/lib.sh"
t_require_root

for tool in nginx haproxy openssl python3 jq nsenter unshare; do
	command -v "$tool" >/dev/null || { echo "missing $tool" >&2; t_notok "prerequisite $tool"; t_done; exit 1; }
done
PY=$(command -v /usr/bin/python3 python3 | head -1)

t_script_ms=$(t_now)
t_lan lb1 lb2 sno1 sno2
chmod 755 "$T_DIR" # nginx workers (nobody) look at the mode files
key="$T_DIR/cluster.key"
t_keyfile "$key"
N1=keycloak-rhbk.apps.sno1.local.mylab.io
N2=keycloak-rhbk.apps.sno2.local.mylab.io
IV=500 FALL=3 RISE=2 HOLD=5000 # [backend] interval, fall, rise; failback after 5s

# --- certificates: the test CA, one server certificate per sno, an unrelated CA ----------------
mkcerts() {
	local d=$T_DIR/pki n
	{ t_pki_ca "$d" ca ec && t_pki_ca "$d" otherca ec; } || return 1
	for n in sno1 sno2; do t_pki_cert "$d" "$n" "keycloak-rhbk.apps.$n.local.mylab.io" ec || return 1; done
}
mkcerts || { t_notok "openssl: test certificates"; t_done; exit 1; }
CA=$T_DIR/pki/ca.pem

# --- nginx in sno1 and sno2: /health is UP; $T_DIR/www/snoN.down -> 503 DOWN,
#     $T_DIR/www/snoN.nested -> 200 with a nested "UP" under a top-level "DOWN" ----------------
mkdir -p "$T_DIR/www"; chmod 755 "$T_DIR/www"
declare -A NGINX_PID
nginx_conf() { # SNO
	t_nginx_conf "$T_DIR/nginx-$1" <<EOF
    server {
        listen $(t_ip4 "$1"):443 ssl;
        server_name keycloak-rhbk.apps.$1.local.mylab.io;
        ssl_certificate $T_DIR/pki/$1.pem;
        ssl_certificate_key $T_DIR/pki/$1.key;
        default_type application/json;
        location = /health {
            if (-f $T_DIR/www/$1.down) { return 503 '{"status":"DOWN","checks":[{"name":"db","status":"DOWN"}]}'; }
            if (-f $T_DIR/www/$1.nested) { return 200 '{"status":"DOWN","checks":[{"name":"UP","status":"UP"}]}'; }
            return 200 '{"status": "UP", "checks": []}';
        }
    }
EOF
}
nginx_start() { # SNO
	# not t_exec: a function run with & is a subshell, and $! must be nginx itself
	ip netns exec "$(t_ns "$1")" nginx -p "$T_DIR/nginx-$1" -c "$T_DIR/nginx-$1/nginx.conf" >>"$T_DIR/nginx-$1.log" 2>&1 &
	NGINX_PID[$1]=$!
	T_PIDS+=($!)
}
nginx_stop() { # SNO: fast shutdown by PID, waits (max 3 s)
	local p=${NGINX_PID[$1]} n
	kill -TERM "$p" 2>/dev/null
	for n in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	wait "$p" 2>/dev/null
}
# up_in NS ADDR PORT: something accepts TCP there
up_in() { t_exec "$1" "$PY" -c "import socket; socket.create_connection(('$2', $3), 0.3)" 2>/dev/null; }

nginx_conf sno1; nginx_conf sno2
nginx_start sno1; nginx_start sno2

# A listener that accepts and never answers (the timeout case), in sno2 on port 8443.
t_silent sno2 "$(t_ip4 sno2)" 8443

# --- the LB hosts: a mount namespace each, HAProxy in it --------------------------------------
declare -A HOLDER HAP_PID
mkdir -p "$T_DIR/hap"
HAP_SOCK=$T_DIR/hap/haproxy.sock
for lb in lb1 lb2; do
	mkdir -p "$T_DIR/hap-$lb"
	ip netns exec "$(t_ns "$lb")" unshare -m --propagation private \
		sh -c "mount --bind '$T_DIR/hap-$lb' '$T_DIR/hap' && exec sleep 600" >>"$T_DIR/holder-$lb.log" 2>&1 &
	HOLDER[$lb]=$!
	T_PIDS+=($!)
done
holder_ready() { [ "$(cat /proc/"${HOLDER[$1]}"/comm 2>/dev/null)" = sleep ]; }
in_host() { local lb=$1; shift; nsenter -t "${HOLDER[$lb]}" -m -n -- "$@"; }

hap_start() { # LB
	t_hap_conf "$T_DIR/haproxy-$1.cfg" "$HAP_SOCK" "$(t_ip4 "$1"):8443" <<EOF
    server sno1 $(t_ip4 sno1):443 ssl sni str('$N1') verify required verifyhost '$N1' ca-file $CA
    server sno2 $(t_ip4 sno2):443 ssl sni str('$N2') verify required verifyhost '$N2' ca-file $CA backup
EOF
	nsenter -t "${HOLDER[$1]}" -m -n -- haproxy -f "$T_DIR/haproxy-$1.cfg" -db >>"$T_DIR/haproxy-$1.log" 2>&1 &
	HAP_PID[$1]=$!
	T_PIDS+=($!)
}

# hap_state LB: "sno1 ADMIN sno2 ADMIN" from HAProxy's own `show servers state`, read from
# outside the LB's mount namespace (its directory is $T_DIR/hap-LB here).
hap_state() { t_hap_servers "$T_DIR/hap-$1/haproxy.sock" keycloakbackend 2>/dev/null | sort | paste -sd ' '; }
# srv_admin_state: 0 = ready, 1 = forced maintenance (set server ... state maint)
HAP_SNO1="sno1 0 sno2 1"
HAP_SNO2="sno1 1 sno2 0"
hap_is() { [ "$(hap_state "$1")" = "$2" ]; }
haps_are() { hap_is lb1 "$1" && hap_is lb2 "$1"; }

for _ in $(seq 50); do holder_ready lb1 && holder_ready lb2 && break; sleep 0.1; done
hap_start lb1; hap_start lb2
ok=0
for _ in $(seq 50); do
	if up_in sno1 "$(t_ip4 sno1)" 443 && up_in sno2 "$(t_ip4 sno2)" 443 &&
		up_in sno2 "$(t_ip4 sno2)" 8443 && [ -S "$T_DIR/hap-lb1/haproxy.sock" ] &&
		[ -S "$T_DIR/hap-lb2/haproxy.sock" ]; then
		ok=1; break
	fi
	sleep 0.1
done
t_check "nginx (sno1, sno2), the silent listener and HAProxy (lb1, lb2) are up" [ $ok -eq 1 ]
t_check "each LB has its own HAProxy behind the one socket path" \
	[ "$(in_host lb1 readlink -f /proc/self/ns/mnt)" != "$(in_host lb2 readlink -f /proc/self/ns/mnt)" ]
# both start with the configuration's state: sno1 and sno2 ready (sno2 as backup)
t_eq "HAProxy lb1 before kcwatchd: nothing in maintenance" "$(hap_state lb1)" "sno1 0 sno2 0"

# --- the cluster configuration -----------------------------------------------------------------
write_conf() { # FILE FAILBACK
	local f=$1 timing=(interval="${IV}ms" timeout=400ms)
	t_conf_cluster "$f" port=7112
	t_conf_backend "$f" sno1 "https://$N1/health" "$(t_ip4 sno1):443" "$CA" "${timing[@]}" \
		rise="$RISE" fall="$FALL" haproxy-server=sno1
	t_conf_backend "$f" sno2 "https://$N2/health" "$(t_ip4 sno2):443" "$CA" "${timing[@]}" \
		rise="$RISE" fall="$FALL" haproxy-server=sno2
	# Never healthy: they prove the reasons, and come last so they never win.
	t_conf_backend "$f" badca "https://$N1/health" "$(t_ip4 sno1):443" "$T_DIR/pki/otherca.pem" "${timing[@]}"
	t_conf_backend "$f" badhost "https://$N1/health" "$(t_ip4 sno2):443" "$CA" "${timing[@]}"
	t_conf_backend "$f" silent "https://$N1/health" "$(t_ip4 sno2):8443" "$CA" "${timing[@]}"
	printf '\n[backends]\nfailback = %s\nhaproxy-socket = %s\nhaproxy-backend = keycloakbackend\n' \
		"$2" "$HAP_SOCK" >>"$f"
}
conf=$T_DIR/kcwatch.conf
conf_never=$T_DIR/kcwatch-never.conf
write_conf "$conf" "after 5s"
write_conf "$conf_never" never
out=$(t_exec lb1 "$KCWATCHD" -t -c "$conf" 2>&1); rc=$?
t_eq "kcwatchd -t accepts the backend config" "$rc" 0
[ $rc -eq 0 ] || echo "# $out"

start_lb() { # LB CONF: kcwatchd inside the LB's network and mount namespace (as t_start)
	nsenter -t "${HOLDER[$1]}" -m -n -- "$KCWATCHD" -c "$2" -n "$1" -s "$T_DIR/$1.sock" -d \
		>>"$T_DIR/$1.log" 2>&1 &
	T_NODE_PID[$1]=$!
	T_PIDS+=($!)
}

role_is() { [ "$(t_role "$1")" = "$2" ]; }
active_is() { [ "$(t_field "$1" .active_backend)" = "$2" ]; }
both_active() { active_is lb1 "$1" && active_is lb2 "$1"; }
be() { t_field "$1" ".backends[] | select(.name == \"$2\") | .$3"; } # LB BACKEND FIELD
state_is() { [ "$(be "$1" "$2" state)" = "$3" ]; }
reason_has() { be "$1" "$2" reason | grep -qF -- "$3"; }
# lines of LOG after line FROM matching REGEX
log_after() { tail -n +"$(($2 + 1))" "$T_DIR/$1.log" | grep -E -- "$3"; }
log_lines() { wc -l <"$T_DIR/$1.log"; }
# ms of the day of the first line after line FROM matching REGEX
log_ms_after() {
	local line
	line=$(log_after "$1" "$2" "$3" | head -1)
	[ -n "$line" ] || { echo -1; return 1; }
	t_ms_of_day "${line:0:12}"
}
wait_all() { t_wait "$1" "${@:2}" >/dev/null; }

# === 1. start: sno1 is active everywhere ======================================================
t_start_ms=$(t_now)
t_log "set-up took $(( t_start_ms - t_script_ms )) ms"
start_lb lb1 "$conf"
start_lb lb2 "$conf"
leader_lb1() { role_is lb1 leader && role_is lb2 follower; }
wait_all 4000 leader_lb1; rc=$?
t_check "lb1 leads, lb2 follows" [ $rc -eq 0 ]
ms=$(t_wait 4000 both_active sno1); rc=$?
t_check "active_backend = sno1 on both LBs (${ms} ms after the leader was known)" [ $rc -eq 0 ]
ms=$(t_wait 2000 haps_are "$HAP_SNO1"); rc=$?
t_check "HAProxy on every LB: sno1 ready, sno2 in maintenance (${ms} ms)" [ $rc -eq 0 ]
t_eq "HAProxy lb1 show servers state" "$(hap_state lb1)" "$HAP_SNO1"
t_eq "HAProxy lb2 show servers state" "$(hap_state lb2)" "$HAP_SNO1"
# the never-healthy ones need their first result (the silent one a whole timeout)
all_known() { [ "$(t_field "$1" '[.backends[].state] | index("unknown")')" = null ]; }
wait_all 3000 all_known lb1
js=$(t_json lb1)
t_eq "status --json on the leader: backends in file order with state and active" \
	"$(jq -c '[.backends[] | [.name, .state, .active]]' <<<"$js")" \
	'[["sno1","up",true],["sno2","up",false],["badca","down",false],["badhost","down",false],["silent","down",false]]'
t_eq "every backend object has name, state, active, reason, latency_ms, since_ms_ago, checks" \
	"$(jq -c '[.backends[] | has("name", "state", "active", "reason", "latency_ms", "since_ms_ago", "checks")] | unique' <<<"$js")" '[true]'
t_check "kcwatchctl status (table): 'active sno1' and a row 'sno1 up yes'" \
	eval 'grep -qE "^sno1 +up +yes " <<<"$(t_ctl lb1 status)" && grep -qE "^active +sno1\$" <<<"$(t_ctl lb1 status)"'
t_eq "haproxy_reachable true on lb1" "$(jq -r .haproxy_reachable <<<"$js")" true
t_eq "haproxy_reachable true on lb2" "$(t_field lb2 .haproxy_reachable)" true
t_check "sno1's latency_ms is a small number ($(jq -r '.backends[0].latency_ms' <<<"$js"))" \
	[ "$(jq -r '.backends[0].latency_ms' <<<"$js")" -lt 300 ]
t_eq "backend_switches starts at 0" "$(jq -r .backend_switches <<<"$js")" 0

# --- the reasons of the never-healthy backends (leader's own checks; lb2 gets them by heartbeat)
r=$(be lb1 badca reason)
t_check "wrong CA: down, 'TLS verification failed: ...' ($r)" grep -q '^TLS verification failed: SSL certificate problem' <<<"$r"
r=$(be lb1 badhost reason)
t_check "wrong host name: down, 'TLS host name mismatch: ...' naming the name ($r)" \
	grep -qE "^TLS host name mismatch: .*$N1" <<<"$r"
r=$(be lb1 silent reason)
t_check "silent listener: down, 'timeout after 400 ms (TLS handshake)' ($r)" \
	grep -qx 'timeout after 400 ms (TLS handshake)' <<<"$r"
wait_all 2000 all_known lb2
t_eq "the follower shows the leader's view of the backends" \
	"$(t_field lb2 '[.backends[] | [.name, .state, .active]]' | jq -c .)" \
	'[["sno1","up",true],["sno2","up",false],["badca","down",false],["badhost","down",false],["silent","down",false]]'
t_check "the follower shows the wrong-CA reason too" reason_has lb2 badca "TLS verification failed"
t_eq "the follower does not check (its own checks: 0)" "$(t_field lb2 '[.backends[].checks] | add')" 0

# === 2. primary down: nginx in sno1 stopped ===================================================
n0=$(log_lines lb1)
t0=$(t_ms_of_day)
nginx_stop sno1
wait_all 4000 both_active sno2; rc=$?
t_check "nginx sno1 stopped: active_backend = sno2 on both LBs" [ $rc -eq 0 ]
t_sw=$(log_ms_after lb1 "$n0" 'active backend is now sno2')
ms=$(( t_sw - t0 ))
lo=$(( (FALL - 1) * IV - 50 )) hi=$(( FALL * IV + 500 ))
t_check "switched ${ms} ms after the stop: within (fall-1)..fall intervals + slack [$lo, $hi]" \
	[ "$ms" -ge "$lo" -a "$ms" -le "$hi" ]
ms=$(( t_sw - $(log_ms_after lb1 "$n0" 'health sno1: down') ))
t_check "from the first failed check to the switch: ${ms} ms, about (fall-1) x interval = $(( (FALL - 1) * IV ))" \
	[ "$ms" -ge $(( (FALL - 2) * IV )) -a "$ms" -le $(( (FALL - 1) * IV + 300 )) ]
nf=$(log_after lb1 "$n0" 'health sno1: down|active backend is now sno2' | sed '/active backend is now/q' |
	grep -c 'health sno1: down')
t_eq "it took exactly fall = $FALL failed checks" "$nf" "$FALL"
ms=$(t_wait 1000 haps_are "$HAP_SNO2"); rc=$?
t_check "both HAProxys: sno1 maint, sno2 ready (${ms} ms after the switch was seen)" [ $rc -eq 0 ]
t_eq "sno1 down: connection refused" "$(be lb1 sno1 state)/$(be lb1 sno1 reason)" "down/connection refused"
t_eq "backend_switches = 1 on both" "$(t_field lb1 .backend_switches)/$(t_field lb2 .backend_switches)" 1/1
t_check "the switch reason names sno1 and why" \
	grep -q '^sno1 down (connection refused): switched to sno2$' <<<"$(t_field lb1 .backend_switch_reason)"

# === 3. primary back: stays on sno2 until the failback hold (5 s) has passed ===================
n0=$(log_lines lb1) n0_lb2=$(log_lines lb2)
nginx_start sno1
wait_all 3000 state_is lb1 sno1 up; rc=$?
t_check "sno1 up again after rise = $RISE good checks" [ $rc -eq 0 ]
t_up=$(log_ms_after lb1 "$n0" 'backend sno1 is up')
# half-way through the hold: still sno2 everywhere (the reads must end before the hold does)
now=$(t_ms_of_day); sleep "$(awk -v d=$(( t_up + HOLD / 2 - now )) 'BEGIN { print (d > 0 ? d : 0) / 1000 }')"
got="$(t_field lb1 .active_backend)/$(t_field lb2 .active_backend) $(hap_state lb1) / $(hap_state lb2)"
read_ms=$(( $(t_ms_of_day) - t_up ))
t_check "during the hold (read by ${read_ms} ms of ${HOLD}): still sno2 on both LBs and both HAProxys ($got)" \
	[ "$got" = "sno2/sno2 $HAP_SNO2 / $HAP_SNO2" -a "$read_ms" -lt "$HOLD" ]
human=$(t_ctl lb1 status)
t_check "during the hold, lb1's kcwatchctl status shows the time left and HAProxy reachable" \
	eval 'grep -qE "^failback  after 5 s, hold: [1-5] s left before failback to sno1\$" <<<"$human" && grep -qx "haproxy   reachable" <<<"$human"'
wait_all 4000 both_active sno1; rc=$?
t_check "after the hold: sno1 active on both LBs" [ $rc -eq 0 ]
# The daemons' own time stamps: the first change of the active backend after sno1 came up is
# the failback, on the leader and on the follower, not before the hold. The hold is timed from
# the tick that saw sno1 up; its log line is stamped a little later and both stamps are cut to
# the millisecond, so the lower bound allows 5 ms (a run measured 4999 ms for a correct hold).
for lb in lb1 lb2; do
	from=$n0; [ $lb = lb2 ] && from=$n0_lb2
	first=$(log_after $lb "$from" 'active backend is now' | head -1)
	held=$(( $(t_ms_of_day "${first:0:12}") - t_up ))
	t_check "$lb: the first switch after sno1 came up is the failback to sno1, ${held} ms later (hold $HOLD, -5/+300 ms slack)" \
		bash -c 'grep -q "active backend is now sno1" <<<"$1" && [ "$2" -ge "$3" ] && [ "$2" -le "$4" ]' \
		_ "$first" "$held" $((HOLD - 5)) $((HOLD + 300))
done
ms=$(t_wait 1000 haps_are "$HAP_SNO1"); rc=$?
t_check "both HAProxys follow the failback: sno1 ready, sno2 maint" [ $rc -eq 0 ]
t_check "switch reason: failback after the hold" \
	grep -qE '^failback to sno1 after [0-9]+ ms up$' <<<"$(t_field lb1 .backend_switch_reason)"

# === 4. 503 DOWN, then a 200 with a nested "UP" under a top-level "DOWN" ========================
touch "$T_DIR/www/sno1.down"
wait_all 3000 both_active sno2; rc=$?
t_check "sno1 answers 503 DOWN: active_backend = sno2 on both LBs" [ $rc -eq 0 ]
r=$(be lb1 sno1 reason)
t_check "sno1 down with the HTTP reason ($r)" \
	eval '[ "$(be lb1 sno1 state)" = down ] && grep -qx "HTTP 503 (expected 200), status DOWN; failing checks: db" <<<"$r"'
t_check "the follower shows 'HTTP 503' too" reason_has lb2 sno1 "HTTP 503"
wait_all 1000 haps_are "$HAP_SNO2"; rc=$?
t_check "both HAProxys: sno2 ready" [ $rc -eq 0 ]
rm -f "$T_DIR/www/sno1.down"
wait_all 3000 state_is lb1 sno1 up; rc=$?
t_check "sno1 up again (the hold starts)" [ $rc -eq 0 ]
touch "$T_DIR/www/sno1.nested"
wait_all 3000 state_is lb1 sno1 down; rc=$?
r=$(be lb1 sno1 reason)
t_check "HTTP 200 with a nested UP under top-level DOWN: sno1 down, JSON reason ($r)" \
	eval '[ $rc -eq 0 ] && grep -q "^JSON status DOWN (expected UP)" <<<"$r"'
t_eq "still sno2, no extra switch (backend_switches 3)" \
	"$(t_field lb1 .active_backend)/$(t_field lb1 .backend_switches)" sno2/3
rm -f "$T_DIR/www/sno1.nested"
n0=$(log_lines lb1)
wait_all 3000 state_is lb1 sno1 up; rc=$?
t_check "sno1 up again: a new hold starts" [ $rc -eq 0 ]
t_up=$(log_ms_after lb1 "$n0" 'backend sno1 is up')

# === 5. leader failover during the hold: kill -9 lb1's kcwatchd ================================
sw=$(t_field lb2 .backend_switches)
t0=$(t_ms_of_day)
t_stop lb1 KILL
wait_all 3000 role_is lb2 leader; rc=$?
t_check "kill -9 of lb1's kcwatchd: lb2 leads ($(( $(t_ms_of_day) - t0 )) ms)" [ $rc -eq 0 ]
t_eq "the new leader reports the same active_backend" "$(t_field lb2 .active_backend)" sno2
for _ in $(seq 30); do [ "$(be lb2 sno1 checks)" -gt 0 ] 2>/dev/null && break; sleep 0.1; done
t_check "lb2 checks the backends itself now" [ "$(be lb2 sno1 checks)" -gt 0 ]
# beyond the end of the hold the old leader had running: no switch by itself
now=$(t_ms_of_day); sleep "$(awk -v d=$(( t_up + HOLD + 1000 - now )) 'BEGIN { print (d > 0 ? d : 0) / 1000 }')"
t_eq "past the failback hold: lb2 keeps sno2 (sno1 up), backend_switches unchanged" \
	"$(t_field lb2 .active_backend)/$(be lb2 sno1 state)/$(t_field lb2 .backend_switches)" "sno2/up/$sw"
t_eq "lb2's HAProxy unchanged: sno2 ready" "$(hap_state lb2)" "$HAP_SNO2"
t_eq "lb2 reports the choice as pinned" "$(t_field lb2 .backend_pinned)" true

# === 6. lb1 returns and preempts: still no switch by itself =====================================
start_lb lb1 "$conf"
wait_all 4000 leader_lb1; rc=$?
t_check "restarted lb1 preempts (higher priority)" [ $rc -eq 0 ]
sleep $(( HOLD / 1000 + 1 ))
t_eq "$((HOLD / 1000 + 1)) s later: sno2 still active on both, backend_switches unchanged" \
	"$(t_field lb1 .active_backend)/$(t_field lb2 .active_backend)/$(t_field lb1 .backend_switches)" "sno2/sno2/$sw"
t_eq "both HAProxys still sno2" "$(hap_state lb1) / $(hap_state lb2)" "$HAP_SNO2 / $HAP_SNO2"

# === 7. kcwatchctl backend use ==================================================================
wait_all 3000 leader_lb1
before=$(t_field lb1 .active_backend)/$(t_field lb1 .backend_switches)
out=$(t_ctl lb2 backend use sno1 2>&1); rc=$?
t_check "backend use on the follower is refused (exit $rc): '$out'" [ $rc -eq 1 ]
t_check "and the message names the leader lb1" grep -qw lb1 <<<"$out"
t_eq "nothing changed" "$(t_field lb1 .active_backend)/$(t_field lb1 .backend_switches)" "$before"
for target in sno1 sno2; do
	want=$HAP_SNO1; [ $target = sno2 ] && want=$HAP_SNO2
	n1=$(log_lines lb1) n2=$(log_lines lb2)
	t0=$(t_ms_of_day)
	out=$(t_ctl lb1 backend use $target 2>&1); rc=$?
	t1=$(t_ms_of_day)
	t_check "backend use $target on the leader lb1 as root: accepted (exit $rc: '$out')" [ $rc -eq 0 ]
	wait_all 3000 both_active $target; rc=$?
	wait_all 3000 haps_are "$want"; rc2=$?
	t_check "both LBs and both HAProxys on $target" [ $rc -eq 0 -a $rc2 -eq 0 ]
	# at once: the daemons' time stamps, not the polling (jq and python are slow on a busy host)
	s1=$(log_ms_after lb1 "$n1" "active backend is now $target") s2=$(log_ms_after lb2 "$n2" "active backend is now $target")
	t_check "at once: lb1 switched while kcwatchctl ran ($t0 <= $s1 <= $t1), lb2 $(( s2 - s1 )) ms later" \
		[ "$s1" -ge "$t0" -a "$s1" -le "$t1" -a "$s2" -ge "$s1" -a $(( s2 - s1 )) -le 100 ]
done
t_check "operator switch reason" grep -qx 'manual use of sno2' <<<"$(t_field lb1 .backend_switch_reason)"

# === 8. failback = never (both daemons restarted with that config) ==============================
t_stop lb2; t_stop lb1
start_lb lb1 "$conf_never"
start_lb lb2 "$conf_never"
wait_all 4000 leader_lb1
wait_all 4000 both_active sno1; rc=$?
t_check "failback = never: a fresh cluster starts on sno1" [ $rc -eq 0 ]
t_eq "status shows backend_failback never" "$(t_field lb1 .backend_failback)" never
nginx_stop sno1
wait_all 4000 both_active sno2; rc=$?
t_check "sno1 stopped: sno2 on both" [ $rc -eq 0 ]
nginx_start sno1
wait_all 3000 state_is lb1 sno1 up; rc=$?
t_check "sno1 up again" [ $rc -eq 0 ]
sleep $(( HOLD / 1000 + 1 ))
t_eq "$((HOLD / 1000 + 1)) s after sno1 came back (longer than the 'after' hold): still sno2" \
	"$(t_field lb1 .active_backend)/$(t_field lb2 .active_backend)/$(be lb1 sno1 state)" sno2/sno2/up
t_eq "both HAProxys: sno2 ready" "$(hap_state lb1) / $(hap_state lb2)" "$HAP_SNO2 / $HAP_SNO2"

# === 9. the leader's HAProxy becomes unreachable: leadership moves ==============================
sw=$(t_field lb1 .backend_switches)
t0=$(t_ms_of_day)
kill -TERM "${HAP_PID[lb1]}"
wait_all 10000 role_is lb2 leader; rc=$?
ms=$(( $(t_ms_of_day) - t0 ))
t_check "HAProxy on lb1 stopped: lb2 becomes leader (${ms} ms; a read-back every 5 s, then down after 3 failed ones at most 1 s apart)" [ $rc -eq 0 ]
t_check "lb1 counted HAProxy as down only after 3 failed exchanges" \
	eval "grep -q 'did not answer .*: 2 of 3 failed exchanges' '$T_DIR/lb1.log' && grep -q 'unreachable .*3 exchanges in a row' '$T_DIR/lb1.log'"
js=$(t_json lb1)
t_eq "lb1: role follower, haproxy_reachable false, effective_priority 1" \
	"$(jq -r '[.role, .haproxy_reachable, .effective_priority] | join(" ")' <<<"$js")" "follower false 1"
t_eq "lb2: haproxy_reachable true" "$(t_field lb2 .haproxy_reachable)" true
t_eq "the LB failover kept the active backend" "$(t_field lb2 .active_backend)/$(t_field lb2 .backend_switches)" "sno2/$sw"
t_check "lb1 logged why" grep -q 'local HAProxy is unreachable' "$T_DIR/lb1.log"

if grep -lE 'AddressSanitizer|LeakSanitizer|runtime error' "$T_DIR"/lb*.log >/dev/null 2>&1; then
	t_notok "sanitizer reports in the daemon logs"
fi
t_log "run time $(( ($(t_now) - t_script_ms) / 1000 )) s"
# KCW_SAVE_LOGS=DIR keeps every log of this run (the trap deletes $T_DIR)
[ -n "${KCW_SAVE_LOGS:-}" ] && mkdir -p "$KCW_SAVE_LOGS" && cp "$T_DIR"/*.log "$KCW_SAVE_LOGS"/
t_done
