#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_named_policy.sh: the least-privilege update-policy that lab/named.conf and the README
# give named: the key may change only the name and its _kcwatch. fence, A/AAAA/TXT. kcwatchd
# (as leader, with the fence) updates the name under it; anything else with the key is REFUSED.
. "$(dirname "$0")/lib.sh"
t_require_root
t_require_tools named nsupdate dig

zone=local.mylab.io
name=keycloak.$zone
t_lan dns lb1 lb2
t_named_setup dns "$zone" "keycloak     IN A    192.0.2.1
www          IN A    192.0.2.80"
# the zone's update rules exactly as lab/named.conf has them, instead of allow-update
policy=$(sed -n '/^\tupdate-policy {$/,/^\t};$/p' "$KCW_TOP/lab/named.conf")
t_check "lab/named.conf has an update-policy with two grants" \
	[ "$(grep -c 'grant kcwatch-key name ' <<<"$policy")" -eq 2 ]
t_check "and no allow-update (outside comments)" \
	bash -c "! grep -v '^[[:space:]]*//' '$KCW_TOP/lab/named.conf' | grep -q 'allow-update'"
POLICY=$policy python3 - "$T_DIR/named/named.conf" <<'PY'
import os, sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("\tallow-update { key kcwatch-key; };\n", os.environ["POLICY"] + "\n")
open(p, "w").write(s)
PY
t_check "the test's named.conf now carries that policy" grep -q 'update-policy' "$T_DIR/named/named.conf"
t_named_start
t_check "named answers with the policy" t_named_up
ns_ip=$(t_ip4 dns)

upd() { # LINES...: one signed update; prints named's verdict
	local out
	out=$(printf 'server %s 53\nzone %s\n%s\nsend\n' "$ns_ip" "$zone" "$*" |
		t_exec dns nsupdate -k "$T_DIR/tsig.key" 2>&1)
	if [ $? -eq 0 ]; then echo NOERROR; else grep -oE 'REFUSED|NOTAUTH|BADSIG|SERVFAIL' <<<"$out" | head -1; fi
}
t_eq "the key may add an A record to $name" "$(upd "update add $name 30 A 192.0.2.5")" NOERROR
t_eq "an AAAA record to $name" "$(upd "update add $name 30 AAAA 2001:db8::5")" NOERROR
t_eq "the fence TXT at _kcwatch.$name" "$(upd "update add _kcwatch.$name 30 TXT \"term=1\"")" NOERROR
t_eq "but not touch another name (www)" "$(upd "update delete www.$zone A")" REFUSED
t_eq "nor add another type to $name (MX)" "$(upd "update add $name 30 MX 10 mail.$zone.")" REFUSED
t_eq "nor create a new name" "$(upd "update add evil.$zone 30 A 192.0.2.66")" REFUSED
t_eq "www is still there" "$(t_dig "www.$zone" A)" 192.0.2.80
upd "update delete _kcwatch.$name TXT" >/dev/null

# kcwatchd, with its fence and prerequisites, works under the policy
t_keyfile "$T_DIR/cluster.key"
conf=$T_DIR/kcwatch.conf
t_conf_cluster "$conf" lb1:150 lb2:100
cat >>"$conf" <<CONF

[dns]
server = $ns_ip
zone = $zone
name = $name
target = self
ttl = 30
tsig-key-file = $T_DIR/tsig.key
fence = yes
fence-renew = 1s
CONF
t_start lb1 "$conf"
lb1_ip=$(t_ip4 lb1)
a_is() { [ "$(t_dig "$name" A)" = "$lb1_ip" ]; }
ms=$(t_wait 8000 a_is); rc=$?
t_check "kcwatchd (lb1 alone leads) points $name at itself under the policy (${ms} ms)" [ $rc -eq 0 ]
t_check "and holds the fence ($(t_dig "_kcwatch.$name" TXT))" \
	grep -q '"term=[0-9]* node=lb1 seq=' <<<"$(t_dig "_kcwatch.$name" TXT)"
t_check "without a refused update in its log" bash -c "! grep -q REFUSED '$T_DIR/lb1.log'"
t_stop lb1
t_named_stop

t_done
