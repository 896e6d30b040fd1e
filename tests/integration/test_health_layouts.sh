#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_health_layouts.sh: the backend checks (kcwatchd's health module, run by health_drive)
# against the lab's Keycloak stand-in (lab/nginx.conf itself) in both health layouts: Keycloak
# 25+ on the management port 9000 (/health/ready, as lab/kcwatch.conf and the example use) and
# Keycloak 22-24 on the main port (/health, their commented alternative). UP and DOWN each.
. "$(dirname "$0")/lib.sh"
t_require_root
t_require_tools nginx openssl unshare

DRIVE=$KCW_BUILD/tests/integration/health_drive
HOST=keycloak-rhbk.apps.sno1.local.mylab.io
t_lan sno1 lb1
IP=$(t_ip4 sno1)

# the lab's nginx.conf expects its instance directory at /run/kcwatch-lab/sno: a private mount
# namespace gets a tmpfs on /run and this test's directory bound there
sno=$T_DIR/sno1
mkdir -p "$sno/tmp" && chmod 755 "$sno" "$sno/tmp"
{ t_pki_ca "$T_DIR/pki" ca && t_pki_cert "$T_DIR/pki" sno1 "$HOST"; } ||
	{ t_notok "openssl: test certificates"; t_done; exit 1; }
cp "$T_DIR/pki/sno1.pem" "$sno/tls.pem"
cp "$T_DIR/pki/sno1.key" "$sno/tls.key"
CA=$T_DIR/pki/ca.pem
# not t_exec: $! must end up being nginx (ip netns exec, unshare and sh all exec)
ip netns exec "$(t_ns sno1)" unshare -m --propagation private sh -c \
	'mount -t tmpfs kcw-run /run && mkdir -p /run/kcwatch-lab/sno &&
	 mount --bind "$1" /run/kcwatch-lab/sno &&
	 exec nginx -e /run/kcwatch-lab/sno/nginx-error.log -p /run/kcwatch-lab/sno -c "$2"' \
	sh "$sno" "$KCW_TOP/lab/nginx.conf" >>"$T_DIR/nginx.log" 2>&1 &
T_PIDS+=($!)
listening() { [ "$(t_exec sno1 ss -Hltn '( sport = :443 or sport = :9000 )' | grep -c LISTEN)" -ge 2 ]; }
ms=$(t_wait 5000 listening); rc=$?
t_check "the lab's nginx.conf listens on 443 and 9000 (${ms} ms)" [ $rc -eq 0 ]

# The URLs as lab/kcwatch.conf has them ([backend sno1]: the active lines and the commented
# alternative), pointed at this test's address.
cur_url=$(sed -n '/^\[backend sno1\]/,/^\[/s/^url = //p' "$KCW_TOP/lab/kcwatch.conf")
cur_to=$(sed -n '/^\[backend sno1\]/,/^\[/s/^connect-to = \([^ ]*\).*/\1/p' "$KCW_TOP/lab/kcwatch.conf")
old_url=$(sed -n '/^\[backend sno1\]/,/^\[/s/^# url = \([^ ]*\).*/\1/p' "$KCW_TOP/lab/kcwatch.conf")
old_to=$(sed -n '/^\[backend sno1\]/,/^\[/s/^# connect-to = \([^ ]*\).*/\1/p' "$KCW_TOP/lab/kcwatch.conf")
t_eq "lab/kcwatch.conf uses Keycloak 25+'s layout" "$cur_url ${cur_to#*:}" \
	"https://$HOST:9000/health/ready 9000"
t_eq "and shows 22-24's as the commented alternative" "$old_url ${old_to#*:}" \
	"https://$HOST/health 443"
t_check "doc/kcwatch.conf.example uses the same layout" \
	grep -qx "url = https://$HOST:9000/health/ready" "$KCW_TOP/doc/kcwatch.conf.example"
t_check "lab/haproxy.cfg checks GET /health/ready on port 9000 over TLS" \
	bash -c "grep -qE '^ +option httpchk GET /health/ready\$' '$KCW_TOP/lab/haproxy.cfg' &&
		grep -qE '^ +default-server .*check-ssl port 9000' '$KCW_TOP/lab/haproxy.cfg'"

# check NAME URL PORT: one "RESULT" line per round (2 rounds) of kcwatchd's check, from lb1
check() {
	t_exec lb1 "$DRIVE" check -r 2 -w 5000 -b "$1" -u "$2" -c "$IP:$3" -a "$CA" -s 200 -j UP \
		-t 1000 -i 200 2>>"$T_DIR/drive.log" | awk '$1 == "RESULT" { print $4, $5 }' | sort -u
}
for state in up down; do
	if [ $state = down ]; then touch "$sno/health-down"; want="down 503"; else want="up 200"; fi
	t_eq "Keycloak 25+ layout, $state: $cur_url" "$(check current "$cur_url" 9000)" "$want"
	t_eq "Keycloak 22-24 layout, $state: $old_url" "$(check legacy "$old_url" 443)" "$want"
	for p in live started; do
		t_eq "9000/health/$p, $state" "$(check "$p" "https://$HOST:9000/health/$p" 9000)" "$want"
	done
done
rm -f "$sno/health-down"
t_eq "the management port does not serve the realm (404: not UP)" \
	"$(check realm "https://$HOST:9000/realms/mylab/" 9000)" "down 404"

t_done
