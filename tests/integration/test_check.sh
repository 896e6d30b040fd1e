#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_check.sh: `kcwatchd -t` checks what a start on this host checks: exactly one [node]
# address local (unless -n), the VIP interfaces, the TSIG key file, the CA files readable by
# the user it runs as (ExecStartPre runs it as kcwatch). Exact error texts.
. "$(dirname "$0")/lib.sh"
t_require_root
t_require_tools setpriv

t_lan lb1 lb2
chmod 0755 "$T_DIR" # the unprivileged checks below must reach the files
t_keyfile "$T_DIR/cluster.key"
conf="$T_DIR/kcwatch.conf"
t_conf_cluster "$conf"
check() { "$@" "$KCWATCHD" -t -c "$CONF" 2>&1; } # [PREFIX...]: the output of kcwatchd -t
CONF=$conf

# --- which node am I ------------------------------------------------------------------------------
out=$(check t_exec lb1); rc=$?
t_eq "in lb1's namespace the file passes (exit $rc)" "$out" \
	"$conf: configuration OK (cluster keycloak, 2 nodes, 0 VIPs, 0 backends)"
out=$(check); rc=$?
t_eq "on a host with neither address: exit 1" "$rc" 1
t_eq "and says so, naming the way out" "$out" \
	"kcwatchd: $conf: no [node] address is on a local interface: use -n NODE"
out=$("$KCWATCHD" -t -c "$conf" -n lb2 2>&1); rc=$?
t_eq "-n NODE skips the local-address check (exit $rc)" "$rc" 0
out=$("$KCWATCHD" -t -c "$conf" -n lb9 2>&1); rc=$?
t_eq "-n with an unknown node: exit 1, exact text" "$rc $out" \
	"1 kcwatchd: $conf: no [node lb9] in the configuration"
t_exec lb1 ip addr add "$(t_ip4 lb2)/32" dev lo
out=$(check t_exec lb1); rc=$?
t_eq "both node addresses local: exit 1, exact text" "$rc $out" \
	"1 kcwatchd: $conf: nodes lb1 and lb2 both have a local address: use -n NODE"
t_exec lb1 ip addr del "$(t_ip4 lb2)/32" dev lo

# --- VIP interfaces ---------------------------------------------------------------------------------
CONF="$T_DIR/vip.conf"
cp "$conf" "$CONF"
t_conf_vip "$CONF" keycloak 10.77.0.100/24
out=$(check t_exec lb1); rc=$?
t_eq "a VIP on eth0, which lb1 has: exit 0" "$rc" 0
t_conf_vip "$CONF" keycloak6 fd77::100/64 interface=bond7
out=$(check t_exec lb1); rc=$?
t_eq "a VIP on an interface this host lacks: exit 1, exact text" "$rc $out" \
	"1 kcwatchd: $CONF: [vip keycloak6] interface bond7: no such interface on this host"

# --- the TSIG key file ----------------------------------------------------------------------------------
CONF="$T_DIR/dns.conf"
cp "$conf" "$CONF"
cat >>"$CONF" <<CONF

[dns]
server = 10.77.0.53
zone = local.mylab.io
name = keycloak.local.mylab.io
target = self
tsig-key-file = $T_DIR/tsig.key
CONF
out=$(check t_exec lb1); rc=$?
t_check "a missing TSIG key file: exit 1, FILE:LINE and the file ($out)" eval '[ $rc -eq 1 ] &&
	grep -qxE "kcwatchd: $CONF:[0-9]+: tsig-key-file $T_DIR/tsig.key: No such file or directory" <<<"$out"'
printf 'key "kcwatch-key" {\n\talgorithm hmac-md5;\n\tsecret "AAAA";\n};\n' >"$T_DIR/tsig.key"
chmod 0600 "$T_DIR/tsig.key"
out=$(check t_exec lb1); rc=$?
t_check "a TSIG key file it cannot use: exit 1, FILE:LINE of the key file ($out)" \
	grep -qE "^kcwatchd: $CONF:[0-9]+: tsig-key-file $T_DIR/tsig.key:2: " <<<"$out"
tsig-keygen -a hmac-sha256 kcwatch-key >"$T_DIR/tsig.key" 2>/dev/null
chmod 0600 "$T_DIR/tsig.key"
out=$(check t_exec lb1); rc=$?
t_eq "a good TSIG key file: exit 0 ($out)" "$rc" 0

# --- files readable by the daemon's user -----------------------------------------------------------------
# as nobody (ExecStartPre runs -t as User=kcwatch): the cluster key is nobody's, the CA root's 0600
asuser() { t_exec lb1 setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
CONF="$T_DIR/ca.conf"
cp "$conf" "$CONF"
t_conf_backend "$CONF" sno1 https://keycloak.example/health/ready 10.77.0.31:9000 "$T_DIR/ca.pem"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T_DIR/ca.key" -subj /CN=test-ca \
	-days 1 -out "$T_DIR/ca.pem" >/dev/null 2>&1
chmod 0600 "$T_DIR/ca.pem"
chown root:nogroup "$T_DIR/cluster.key" && chmod 0640 "$T_DIR/cluster.key" # as with group kcwatch
out=$(check t_exec lb1); rc=$?
t_eq "as root the CA file is readable: exit 0 ($out)" "$rc" 0
out=$(check asuser); rc=$?
t_eq "as the daemon's user the CA file is not: exit 1, exact text" "$rc $out" \
	"1 kcwatchd: $CONF: [backend sno1] ca-file $T_DIR/ca.pem: Permission denied"
chmod 0644 "$T_DIR/ca.pem"
out=$(check asuser); rc=$?
t_eq "once readable: exit 0 ($out)" "$rc" 0
chgrp root "$T_DIR/cluster.key"
out=$(check asuser); rc=$?
t_check "a cluster key the daemon's user cannot read: exit 1, names the file ($out)" \
	grep -qE "^kcwatchd: $CONF:[0-9]+: key-file $T_DIR/cluster.key.*Permission denied" <<<"$out"

# --- a TSIG key passed as a systemd credential ($CREDENTIALS_DIRECTORY/<basename>) -----------
# the configured file stays root's 0600, as with LoadCredential=tsig.key:...
CONF="$T_DIR/dns.conf"
chgrp nogroup "$T_DIR/cluster.key"
chown root "$T_DIR/tsig.key" && chmod 0600 "$T_DIR/tsig.key"
out=$(check asuser); rc=$?
t_check "as the daemon's user, a root-only TSIG key file: exit 1, FILE:LINE and the reason ($out)" \
	eval '[ $rc -eq 1 ] && grep -qxE "kcwatchd: $CONF:[0-9]+: tsig-key-file $T_DIR/tsig.key: Permission denied" <<<"$out"'
mkdir -p "$T_DIR/creds" && chmod 0755 "$T_DIR/creds"
cp "$T_DIR/tsig.key" "$T_DIR/creds/tsig.key" && chown nobody "$T_DIR/creds/tsig.key"
out=$(check asuser env CREDENTIALS_DIRECTORY="$T_DIR/creds"); rc=$?
t_eq "with the key in \$CREDENTIALS_DIRECTORY it reads that one: exit 0 ($out)" "$rc" 0
chgrp root "$T_DIR/cluster.key"

t_done
