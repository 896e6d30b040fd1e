#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_hapreload.sh: an HAProxy reload on the leader's host does not move the VIP, and the
# active backend is back in HAProxy within 200 ms. Two LBs (lb1, lb2) run kcwatchd and HAProxy
# (each in its own mount namespace, as in test_backends), two Keycloak stand-ins (sno1, sno2) run
# nginx with TLS; the cluster's active backend is sno2, so a fresh HAProxy (which starts from
# its configuration: sno1 first, sno2 backup) would send clients to sno1, the inactive one.
# A client in its own namespace requests http://VIP:8443/ every 20 ms (a new connection each
# time) while a new HAProxy process is started with -sf on the leader's host, twice.
# Asserts: no VIP move, no leader change, HAProxy never counted as down, and the longest run of
# answers from the inactive backend is at most 200 ms. About 40 s.
. "$(dirname "$0")/lib.sh"
t_require_root
t_require_tools nginx haproxy openssl jq nsenter unshare

t_lan lb1 lb2 sno1 sno2 client
chmod 755 "$T_DIR"
t_keyfile "$T_DIR/cluster.key"
N1=keycloak-rhbk.apps.sno1.local.mylab.io
N2=keycloak-rhbk.apps.sno2.local.mylab.io
VIP=10.77.0.240
RELOADS=2

# --- PKI and the two Keycloak stand-ins: /health UP, / names the instance -----------------------
d=$T_DIR/pki
{ t_pki_ca "$d" ca ec && t_pki_cert "$d" sno1 "$N1" ec && t_pki_cert "$d" sno2 "$N2" ec; } ||
	{ t_notok "openssl: test certificates"; t_done; exit 1; }
CA=$d/ca.pem
for s in sno1 sno2; do
	t_nginx_conf "$T_DIR/nginx-$s" <<NG
    server {
        listen $(t_ip4 $s):443 ssl;
        server_name keycloak-rhbk.apps.$s.local.mylab.io;
        ssl_certificate $d/$s.pem;
        ssl_certificate_key $d/$s.key;
        default_type text/plain;
        location = /health { default_type application/json; return 200 '{"status": "UP", "checks": []}'; }
        location / { return 200 '$s'; }
    }
NG
	ip netns exec "$(t_ns $s)" nginx -p "$T_DIR/nginx-$s" -c "$T_DIR/nginx-$s/nginx.conf" >>"$T_DIR/nginx-$s.log" 2>&1 &
	T_PIDS+=($!)
done

# --- the LB hosts: a mount namespace each (one socket path, a socket per host), HAProxy -------
declare -A HOLDER HAP_PID
mkdir -p "$T_DIR/hap"
HAP_SOCK=$T_DIR/hap/haproxy.sock
for lb in lb1 lb2; do
	mkdir -p "$T_DIR/hap-$lb"
	ip netns exec "$(t_ns $lb)" unshare -m --propagation private \
		sh -c "mount --bind '$T_DIR/hap-$lb' '$T_DIR/hap' && exec sleep 600" >>"$T_DIR/holder-$lb.log" 2>&1 &
	HOLDER[$lb]=$!
	T_PIDS+=($!)
done
holder_ready() { [ "$(cat /proc/"${HOLDER[$1]}"/comm 2>/dev/null)" = sleep ]; }
for _ in $(seq 50); do holder_ready lb1 && holder_ready lb2 && break; sleep 0.1; done
hap_run() { # LB [-sf OLDPID]: an HAProxy process on the LB's host, on the same configuration
	nsenter -t "${HOLDER[$1]}" -m -n -- haproxy -f "$T_DIR/haproxy.cfg" -db "${@:2}" >>"$T_DIR/haproxy-$1.log" 2>&1 &
	HAP_PID[$1]=$!
	T_PIDS+=($!)
}
# bound on the wildcard address: the follower's HAProxy is ready when the VIP arrives
t_hap_conf "$T_DIR/haproxy.cfg" "$HAP_SOCK" ":8443" <<EOF
    server sno1 $(t_ip4 sno1):443 ssl sni str('$N1') verify required verifyhost '$N1' ca-file $CA
    server sno2 $(t_ip4 sno2):443 ssl sni str('$N2') verify required verifyhost '$N2' ca-file $CA backup
EOF
hap_run lb1; hap_run lb2
hap_state() { t_hap_servers "$T_DIR/hap-$1/haproxy.sock" keycloakbackend 2>/dev/null | sort | paste -sd ' '; }
socks_up() { [ -S "$T_DIR/hap-lb1/haproxy.sock" ] && [ -S "$T_DIR/hap-lb2/haproxy.sock" ]; }
t_wait 5000 socks_up >/dev/null

# --- kcwatchd on both LBs ----------------------------------------------------------------------
conf=$T_DIR/kcwatch.conf
t_conf_cluster "$conf" port=7112 preempt=no
t_conf_vip "$conf" keycloak "$VIP/24"
for s in sno1 sno2; do
	n=$N1; [ $s = sno2 ] && n=$N2
	t_conf_backend "$conf" $s "https://$n/health" "$(t_ip4 $s):443" "$CA" interval=500ms \
		timeout=400ms rise=2 fall=3 haproxy-server=$s
done
printf '\n[backends]\nfailback = never\nhaproxy-socket = %s\nhaproxy-backend = keycloakbackend\n' \
	"$HAP_SOCK" >>"$conf"
for lb in lb1 lb2; do
	nsenter -t "${HOLDER[$lb]}" -m -n -- "$KCWATCHD" -c "$conf" -n $lb -s "$T_DIR/$lb.sock" -d \
		>>"$T_DIR/$lb.log" 2>&1 &
	T_NODE_PID[$lb]=$!
	T_PIDS+=($!)
done
role_is() { [ "$(t_role "$1")" = "$2" ]; }
leader_lb1() { role_is lb1 leader && role_is lb2 follower; }
ms=$(t_wait 5000 leader_lb1); rc=$?
t_check "lb1 leads, lb2 follows (${ms} ms)" [ $rc -eq 0 ]
active_is() { [ "$(t_field "$1" .active_backend)" = "$2" ]; }
t_wait 5000 active_is lb1 sno1 >/dev/null
out=$(t_ctl lb1 backend use sno2 2>&1)
t_check "backend use sno2 on the leader ($out)" active_is lb1 sno2
haps_sno2() { [ "$(hap_state lb1)" = "sno1 1 sno2 0" ] && [ "$(hap_state lb2)" = "sno1 1 sno2 0" ]; }
ms=$(t_wait 3000 haps_sno2); rc=$?
t_check "both HAProxys: sno1 in maintenance, sno2 ready (${ms} ms)" [ $rc -eq 0 ]
t_check "lb1 holds the VIP" t_holds lb1 "$VIP"

# --- the client: GET / through the VIP every 20 ms, a new connection each time -------------------
cat >"$T_DIR/client.py" <<'PY'
import socket, sys, time
vip, port, secs, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
end = time.monotonic() + secs
with open(out, "w") as f:
    nxt = time.monotonic()
    while time.monotonic() < end:
        t = time.time()
        try:
            s = socket.create_connection((vip, port), 0.5)
            s.settimeout(0.5)
            s.sendall(b"GET / HTTP/1.0\r\nHost: keycloak\r\n\r\n")
            data = b"".join(iter(lambda: s.recv(4096), b""))  # until the server closes
            s.close()
            body = data.split(b"\r\n\r\n", 1)[-1].decode(errors="replace").strip() or "empty"
            ok = data.startswith(b"HTTP/1.") and b" 200 " in data.split(b"\r\n")[0]
            res = body if ok else "http-" + body[:20]
        except Exception as e:
            res = "error-" + type(e).__name__
        f.write("%d %s\n" % (int(t * 1000), res.replace(" ", "_")))
        f.flush()
        nxt += 0.02
        time.sleep(max(0.0, nxt - time.monotonic()))
PY
moves() { grep -cE 'vip .*: (added|removed)|role [a-z]+ -> ' "$T_DIR/$1.log"; }
before1=$(moves lb1) before2=$(moves lb2)
term=$(t_field lb1 .term)
n0=$(wc -l <"$T_DIR/lb1.log")
secs=$((2 + RELOADS * 4))
ip netns exec "$(t_ns client)" "$T_PY" "$T_DIR/client.py" "$VIP" 8443 "$secs" "$T_DIR/client.out" &
client=$!
T_PIDS+=($client)
sleep 2
for i in $(seq "$RELOADS"); do
	old=${HAP_PID[lb1]}
	hap_run lb1 -sf "$old" # what "systemctl reload haproxy" does without master-worker mode
	t_log "reload $i at $(date +%H:%M:%S.%3N): new HAProxy pid ${HAP_PID[lb1]} started with -sf $old"
	sleep 4
done
for _ in $(seq 100); do kill -0 "$client" 2>/dev/null || break; sleep 0.1; done
wait "$client" 2>/dev/null
t_forget "$client"

# --- the figures -------------------------------------------------------------------------------
total=$(wc -l <"$T_DIR/client.out")
t_check "the client made its requests ($total in ${secs} s)" [ "$total" -ge $((secs * 25)) ]
n_sno1=$(grep -c ' sno1$' "$T_DIR/client.out")
n_sno2=$(grep -c ' sno2$' "$T_DIR/client.out")
errs=$(grep -vcE ' sno[12]$' "$T_DIR/client.out")
# the longest run of answers from the inactive backend: from its first answer to the next
# answer that is not from it (the window in which a client could land there)
longest=$(awk '{ if ($2 == "sno1") { if (!in_run) { start = $1; in_run = 1 } }
	else if (in_run) { d = $1 - start; if (d > m) m = d; in_run = 0 } }
	END { if (in_run) m = 999999; print m + 0 }' "$T_DIR/client.out")
t_log "client: $total requests, sno2 (active) $n_sno2, sno1 (inactive) $n_sno1, other $errs; longest window on the inactive backend ${longest} ms"
grep -vE ' sno2$' "$T_DIR/client.out" | head -20 | sed 's/^/# not sno2: /'
t_le "no request served by the inactive backend for more than 200 ms (longest window, ms)" "$longest" 200
t_le "failed requests (a reload must not drop connections; allow 2)" "$errs" 2
t_eq "no VIP move and no role change on either LB during the reloads" \
	"$(( $(moves lb1) - before1 ))/$(( $(moves lb2) - before2 ))" 0/0
t_eq "lb1 still leads with the same term and holds the VIP" \
	"$(t_role lb1)/$(t_field lb1 .term)/$(t_holds lb1 "$VIP" && echo held)" "leader/$term/held"
t_check "lb1 never counted its HAProxy as down" \
	sh -c "! tail -n +$((n0 + 1)) '$T_DIR/lb1.log' | grep -q 'local HAProxy is unreachable'"
t_eq "haproxy_reachable true on lb1" "$(t_field lb1 .haproxy_reachable)" true
t_eq "the new HAProxy on lb1 has the active backend: sno1 maint, sno2 ready" "$(hap_state lb1)" "sno1 1 sno2 0"
n_re=$(tail -n +$((n0 + 1)) "$T_DIR/lb1.log" | grep -c 'socket re-created (a new HAProxy process): applying the active backend again')
t_eq "lb1 noticed each new HAProxy process by its socket and applied the backend again" "$n_re" "$RELOADS"
tail -n +$((n0 + 1)) "$T_DIR/lb1.log" | grep -E 'haproxy|HAProxy' | head -20 | sed 's/^/# lb1: /'
t_done
