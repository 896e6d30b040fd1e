#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_selinux.sh: the SELinux policy module compiles and packages with the selinux-policy devel
# Makefile (`make selinux`), declares what kcwatchd needs, and its file contexts cover every
# path the RPM installs for kcwatchd; a broken rule fails the build.
. "$(dirname "$0")/lib.sh"
t_require_tools checkmodule semodule_package semodule_unpackage
DEVEL=/usr/share/selinux/devel/Makefile
[ -f "$DEVEL" ] || { t_notok "$DEVEL missing: install selinux-policy-dev"; t_done; exit 1; }

out=$(make -C "$KCW_BUILD" selinux 2>&1); rc=$?
pp=$KCW_BUILD/selinux/kcwatch.pp
t_check "make selinux builds selinux/kcwatch.pp (exit $rc)" [ $rc -eq 0 -a -s "$pp" ]
[ $rc -eq 0 ] || echo "$out" | tail -20
t_check "the build log has no warnings" bash -c "! grep -i warning '$KCW_BUILD/selinux/build.log'"

# the package holds a module and its file contexts
mkdir -p "$T_DIR/un"
semodule_unpackage "$pp" "$T_DIR/un/kcwatch.mod" "$T_DIR/un/kcwatch.fc" >/dev/null 2>&1
t_check "semodule_unpackage splits it into the module and the file contexts" \
	[ -s "$T_DIR/un/kcwatch.mod" -a -s "$T_DIR/un/kcwatch.fc" ]
for ty in kcwatchd_t kcwatchd_exec_t kcwatchd_conf_t kcwatchd_runtime_t kcwatchd_var_lib_t \
	kcwatch_port_t kcwatch_metrics_port_t kcwatchd_connect_any; do
	t_check "the module declares $ty" grep -qa "$ty" "$T_DIR/un/kcwatch.mod"
done
t_check "the module is a loadable module named kcwatch, version 0.1.0" \
	bash -c "grep -qa 'kcwatch' '$T_DIR/un/kcwatch.mod' && grep -qa '0.1.0' '$T_DIR/un/kcwatch.mod'"

# every installed path of kcwatchd matches its .fc line's regular expression
fc_type() { # PATH: the type of the first .fc line whose regex matches PATH entirely
	awk -v p="$1" '!/^#/ && NF >= 2 {
		re = "^" $1 "$"
		if (p ~ re) { match($NF, /:object_r:[a-z_]+/); print substr($NF, RSTART + 10, RLENGTH - 10); exit }
	}' "$T_DIR/un/kcwatch.fc"
}
while read -r path want; do
	t_eq "file context of $path" "$(fc_type "$path")" "$want"
done <<EOF2
/usr/sbin/kcwatchd kcwatchd_exec_t
/etc/kcwatch kcwatchd_conf_t
/etc/kcwatch/kcwatch.conf kcwatchd_conf_t
/etc/kcwatch/cluster.key kcwatchd_conf_t
/run/kcwatch/kcwatchd.sock kcwatchd_runtime_t
/var/lib/kcwatch/lb1.state kcwatchd_var_lib_t
/usr/lib/systemd/system/kcwatchd.service kcwatchd_unit_file_t
EOF2

# the rules the daemon cannot do without
te=$KCW_TOP/selinux/kcwatch.te
for rule in 'self:capability { net_admin net_raw }' 'self:netlink_route_socket' \
	'self:packet_socket' 'self:rawip_socket' 'kcwatch_port_t:udp_socket name_bind' \
	'haproxy_t:unix_stream_socket connectto' 'sysnet_dns_name_resolve(kcwatchd_t)' \
	'corenet_tcp_connect_http_port(kcwatchd_t)'; do
	t_check "kcwatch.te allows $rule" grep -qF "$rule" "$te"
done
t_check "no capability beyond net_admin and net_raw is granted" \
	bash -c "[ \"\$(grep -E '^allow .*:capability ' '$te')\" = 'allow kcwatchd_t self:capability { net_admin net_raw };' ]"

# the build catches a broken module: an undeclared type
bad=$T_DIR/bad
mkdir -p "$bad"
cp "$KCW_TOP"/selinux/kcwatch.{te,fc,if} "$bad/"
echo 'allow kcwatchd_t no_such_type_t:file read;' >>"$bad/kcwatch.te"
make -C "$bad" -f "$DEVEL" kcwatch.pp >"$T_DIR/bad.log" 2>&1; rc=$?
t_check "a rule naming an undeclared type fails the build (exit $rc)" \
	[ $rc -ne 0 -a ! -e "$bad/kcwatch.pp" ]

t_done
