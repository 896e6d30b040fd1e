#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_ops.sh: operations: the RPM and its file list, make install, systemd-analyze verify of the
# unit, sd_notify (READY, STATUS, WATCHDOG rate, RELOADING, STOPPING), hooks and metrics.
. "$(dirname "$0")/lib.sh"
t_require_root

PY=$(command -v /usr/bin/python3 python3 | head -1) # a real binary: cleanup kills by PID
RPM_TIMEOUT=420 # make dist + rpmbuild (configure, build, make check) takes ~2 min here

# --- the binary RPM from `make dist` ------------------------------------------------------------
rpmlog="$T_DIR/rpmbuild.log"
t_log "make rpm (make dist, then rpmbuild -tb --nodeps), at most ${RPM_TIMEOUT} s"
timeout --kill-after=10 "$RPM_TIMEOUT" make -C "$KCW_BUILD" rpm RPMBUILD_FLAGS=--nodeps \
	RPM_TOPDIR="$T_DIR/rpmbuild" >"$rpmlog" 2>&1
rc=$?
rpmfile=$(find "$T_DIR/rpmbuild/RPMS" -name 'kcwatch-[0-9]*.rpm' 2>/dev/null | head -1)
t_check "make rpm builds a binary package (exit $rc)" [ $rc -eq 0 -a -n "$rpmfile" ]
[ $rc -eq 0 ] || tail -30 "$rpmlog"
t_check "rpmbuild's %check ran the unit tests, none failed" \
	grep -qE '^# FAIL: +0$' "$rpmlog"

files=$(rpm -qlp "$rpmfile" 2>/dev/null)
for f in /usr/sbin/kcwatchd /usr/bin/kcwatchctl /usr/lib/systemd/system/kcwatchd.service \
	/etc/kcwatch/kcwatch.conf /usr/lib/sysusers.d/kcwatch.conf \
	/usr/lib/firewalld/services/kcwatch.xml /usr/lib/firewalld/services/kcwatch-metrics.xml \
	/usr/share/bash-completion/completions/kcwatchctl; do
	t_check "the package holds $f" grep -qx "$f" <<<"$files"
done
for m in man8/kcwatchd.8 man8/kcwatchctl.8 man5/kcwatch.conf.5; do
	t_check "the package holds the man page $m" grep -qE "^/usr/share/man/$m(\.gz)?$" <<<"$files"
done
t_check "the package holds README.md and control-protocol.md as documentation" \
	[ "$(rpm -qdp "$rpmfile" 2>/dev/null | grep -cE '/(README|control-protocol)\.md$')" -eq 2 ]
t_eq "kcwatch.conf is the only %config(noreplace) file" \
	"$(rpm -qcp "$rpmfile" 2>/dev/null)" /etc/kcwatch/kcwatch.conf
t_check "kcwatch.conf is root:kcwatch 0640, /etc/kcwatch root:kcwatch 0750" \
	[ "$(rpm -qlvp "$rpmfile" 2>/dev/null | awk '$NF ~ /^\/etc\/kcwatch/ {print $1, $3, $4, $NF}' | tr '\n' ';')" \
	= "drwxr-x--- root kcwatch /etc/kcwatch;-rw-r----- root kcwatch /etc/kcwatch/kcwatch.conf;" ]
scripts=$(rpm -qp --scripts "$rpmfile" 2>/dev/null)
t_check "%pre creates the kcwatch user and group" \
	grep -q 'useradd -r -g kcwatch' <<<"$scripts"
t_check "the package requires the five libraries kcwatchd links, by soname" \
	[ "$(rpm -qp --requires "$rpmfile" 2>/dev/null |
		grep -oE '^(libnl-route-3|libcrypto|libldns|libprotobuf-c|libjson-c)\.so' | sort -u | wc -l)" -eq 5 ]
t_check "the package requires libcurl.so.4, which kcwatchd opens at run time (no soname link)" \
	grep -qxF 'libcurl.so.4()(64bit)' <<<"$(rpm -qp --requires "$rpmfile" 2>/dev/null)"

# --- kcwatch-selinux, the source RPM and rpmlint ---------------------------------------------------
selrpm=$(find "$T_DIR/rpmbuild/RPMS" -name 'kcwatch-selinux-[0-9]*.noarch.rpm' 2>/dev/null | head -1)
t_check "make rpm builds the kcwatch-selinux subpackage too" [ -n "$selrpm" ]
selfiles=$(rpm -qlp "$selrpm" 2>/dev/null)
for f in /usr/share/selinux/packages/targeted/kcwatch.pp.bz2 \
	/usr/share/selinux/devel/include/distributed/kcwatch.if; do
	t_check "kcwatch-selinux holds $f" grep -qx "$f" <<<"$selfiles"
done
mkdir -p "$T_DIR/sel"
rpm2archive - <"$selrpm" | tar -xzf - -C "$T_DIR/sel"
t_check "its module is a policy package that semodule_unpackage reads" bash -c \
	"bzip2 -dc '$T_DIR/sel/usr/share/selinux/packages/targeted/kcwatch.pp.bz2' >'$T_DIR/sel/k.pp' &&
	 semodule_unpackage '$T_DIR/sel/k.pp' '$T_DIR/sel/k.mod' '$T_DIR/sel/k.fc' && grep -qa kcwatchd_t '$T_DIR/sel/k.mod'"
selscripts=$(rpm -qp --scripts "$selrpm" 2>/dev/null)
t_check "its %post labels the heartbeat port kcwatch_port_t (udp 7112)" \
	grep -q 'semanage port -a -t kcwatch_port_t -p udp 7112' <<<"$selscripts"
t_check "it requires the same version-release of kcwatch" \
	grep -qxE 'kcwatch = [0-9.]+-[0-9]+.*' <<<"$(rpm -qp --requires "$selrpm" 2>/dev/null)"
timeout --kill-after=10 "$RPM_TIMEOUT" make -C "$KCW_BUILD" srpm RPMBUILD_FLAGS=--nodeps \
	RPM_TOPDIR="$T_DIR/srpmbuild" >"$T_DIR/srpm.log" 2>&1
srpm=$(find "$T_DIR/srpmbuild/SRPMS" -name 'kcwatch-[0-9]*.src.rpm' 2>/dev/null | head -1)
t_check "make srpm builds the source package" [ -n "$srpm" ]
rpmlint -r "$KCW_TOP/rpm/kcwatch.rpmlintrc" "$rpmfile" "$selrpm" "$srpm" >"$T_DIR/rpmlint.out" 2>&1
summary=$(grep -oE '[0-9]+ errors, [0-9]+ warnings' "$T_DIR/rpmlint.out")
t_eq "rpmlint -r rpm/kcwatch.rpmlintrc on the binary and source RPMs" "$summary" "0 errors, 0 warnings"
grep -E ': [EW]: ' "$T_DIR/rpmlint.out"
t_eq "every rpmlintrc filter has a comment saying why" \
	"$(awk '/^addFilter/ { if (prev !~ /^#/) n++; next } { prev = $0 } END { print n + 0 }' "$KCW_TOP/rpm/kcwatch.rpmlintrc")" 0
t_eq "License: MIT" "$(rpm -qp --qf '%{LICENSE}' "$rpmfile" 2>/dev/null)" MIT
t_check "URL: is set" grep -q '^https://' <<<"$(rpm -qp --qf '%{URL}' "$rpmfile" 2>/dev/null)"
t_check "%license LICENSE" grep -q '/LICENSE$' <<<"$(rpm -qLp "$rpmfile" 2>/dev/null)"
t_check "a %changelog" grep -q '^\* ' <<<"$(rpm -qp --changelog "$rpmfile" 2>/dev/null)"

root="$T_DIR/root"
mkdir -p "$root"
rpm2archive - <"$rpmfile" | tar -xzf - -C "$root"
comp=$(PATH="$root/usr/bin:$PATH" bash -c '. "$1/usr/share/bash-completion/completions/kcwatchctl" &&
	COMP_WORDS=(kcwatchctl mai) COMP_CWORD=1 && _kcwatchctl && echo "${COMPREPLY[*]}"' sh "$root")
t_eq "the packaged bash completion completes 'kcwatchctl mai' to maintenance" "$comp" maintenance
mkdir -p "$root/etc"
systemd-sysusers --root="$root" >/dev/null 2>&1
t_check "systemd-sysusers creates user and group kcwatch from the packaged file" \
	grep -qE '^kcwatch:x:[0-9]+:[0-9]+:.*:/sbin/nologin$' "$root/etc/passwd"
t_check "the packaged kcwatch.conf is the minimal file without nodes (rpm/kcwatch.conf)" \
	cmp -s "$root/etc/kcwatch/kcwatch.conf" "$KCW_TOP/rpm/kcwatch.conf"
t_check "the commented example is in the documentation directory" \
	cmp -s "$root/usr/share/doc/kcwatch/kcwatch.conf.example" "$KCW_TOP/doc/kcwatch.conf.example"
out=$("$root/usr/sbin/kcwatchd" -t -c "$root/etc/kcwatch/kcwatch.conf" 2>&1); rc=$?
t_eq "kcwatchd -t on the packaged kcwatch.conf: exit 1, pointing at the example" "$rc $out" \
	"1 kcwatchd: $root/etc/kcwatch/kcwatch.conf: no [node] sections: see kcwatch.conf(5) and /usr/share/doc/kcwatch/kcwatch.conf.example"
# %post's cluster key block, run against the unpacked tree instead of /etc
post_key() { # ARG ($1 of the scriptlet: 1 = first install, 2 = upgrade)
	sed -n '/^postinstall scriptlet/,/^[a-z]* scriptlet/p' <<<"$scripts" |
		sed -n '/^if \[ "\$1" -eq 1 \] && \[ ! -e \/etc\/kcwatch\/cluster.key/,/^fi$/p' |
		sed "s|/etc/kcwatch|$root/etc/kcwatch|g" | sh -s -- "$1"
}
post_key 1
t_eq "%post creates /etc/kcwatch/cluster.key on first install: root:root 0600" \
	"$(stat -c '%U:%G %a' "$root/etc/kcwatch/cluster.key" 2>&1)" "root:root 600"
t_eq "with 32 random bytes in base64" "$(base64 -d <"$root/etc/kcwatch/cluster.key" | wc -c)" 32
k1=$(cat "$root/etc/kcwatch/cluster.key")
post_key 1
t_eq "%post keeps a key that is there" "$(cat "$root/etc/kcwatch/cluster.key")" "$k1"
rm "$root/etc/kcwatch/cluster.key"
post_key 2
t_check "%post creates no key on an upgrade" [ ! -e "$root/etc/kcwatch/cluster.key" ]

# --- make install --------------------------------------------------------------------------------
inst="$T_DIR/inst"
make -C "$KCW_BUILD" install DESTDIR="$inst" prefix=/usr sysconfdir=/etc \
	systemdsystemunitdir=/usr/lib/systemd/system >"$T_DIR/install.log" 2>&1
t_eq "make install succeeds" $? 0
for f in /usr/sbin/kcwatchd /usr/bin/kcwatchctl /usr/lib/systemd/system/kcwatchd.service \
	/etc/kcwatch/kcwatch.conf.example /usr/lib/sysusers.d/kcwatch.conf \
	/usr/share/man/man8/kcwatchd.8 /usr/share/man/man8/kcwatchctl.8 \
	/usr/share/man/man5/kcwatch.conf.5 /usr/lib/firewalld/services/kcwatch.xml \
	/usr/lib/firewalld/services/kcwatch-metrics.xml /usr/share/bash-completion/completions/kcwatchctl; do
	t_check "make install puts $f in place" [ -f "$inst$f" ]
done

# --- the unit ------------------------------------------------------------------------------------
unit="$root/usr/lib/systemd/system/kcwatchd.service"
ud="$T_DIR/unit"
mkdir -p "$ud"
# verify only fails on a missing ExecStart binary: point it at the packaged one and let it find
# the packaged man pages; any line on stderr is a finding.
sed -e "s#/usr/sbin/kcwatchd#$root/usr/sbin/kcwatchd#g" -e "s#/usr/bin/kcwatchctl#$root/usr/bin/kcwatchctl#g" \
	"$unit" >"$ud/kcwatchd.service"
MANPATH="$root/usr/share/man" systemd-analyze verify "$ud/kcwatchd.service" >"$T_DIR/verify.out" 2>&1
rc=$?
t_check "systemd-analyze verify: exit 0 and no warnings" [ $rc -eq 0 -a ! -s "$T_DIR/verify.out" ]
[ -s "$T_DIR/verify.out" ] && cat "$T_DIR/verify.out"
# the check itself must see a warning when there is one
sed 's/^ProtectSystem=/ProtectSytem=/' "$ud/kcwatchd.service" >"$ud/broken.service"
MANPATH="$root/usr/share/man" systemd-analyze verify "$ud/broken.service" >"$T_DIR/verify2.out" 2>&1
t_check "the verify check catches a misspelt directive" grep -q ProtectSytem "$T_DIR/verify2.out"

ukey() { sed -n "s/^$1=//p" "$unit"; }
t_eq "Type=notify" "$(ukey Type)" notify
t_eq "User=kcwatch" "$(ukey User)" kcwatch
t_eq "Group=kcwatch" "$(ukey Group)" kcwatch
t_eq "AmbientCapabilities= exactly the two" "$(ukey AmbientCapabilities)" "CAP_NET_ADMIN CAP_NET_RAW"
t_eq "CapabilityBoundingSet= exactly the two" "$(ukey CapabilityBoundingSet)" "CAP_NET_ADMIN CAP_NET_RAW"
t_check "WatchdogSec= is set" [ -n "$(ukey WatchdogSec)" ]
t_eq "Restart=on-failure" "$(ukey Restart)" on-failure
t_eq "RuntimeDirectory=kcwatch" "$(ukey RuntimeDirectory)" kcwatch
t_eq "ExecReload runs kcwatchctl reload, which waits for the result" "$(ukey ExecReload)" \
	'/usr/bin/kcwatchctl reload'
t_check "ExecStartPre checks the configuration" grep -qE '^ExecStartPre=/usr/sbin/kcwatchd -t ' "$unit"
for k in ProtectSystem=strict ProtectHome=yes NoNewPrivileges=yes PrivateTmp=yes PrivateDevices=yes \
	"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET"; do
	t_check "sandbox: $k" grep -qx "$k" "$unit"
done
level=$(systemd-analyze security --offline=true "$ud/kcwatchd.service" 2>/dev/null |
	sed -n 's/.*Overall exposure level for kcwatchd.service: \([0-9.]*\).*/\1/p')
t_check "systemd-analyze security: exposure ${level:-?} at most 2.0" \
	eval '[ -n "$level" ] && awk -v l="$level" "BEGIN { exit !(l <= 2.0) }"'
for k in PrivateMounts=yes SystemCallFilter=@system-service 'SystemCallFilter=~@privileged @resources'; do
	t_check "sandbox: $k" grep -qx "$k" "$unit"
done

# --- a two-node cluster for the daemon's side ------------------------------------------------------
t_lan lb1 lb2
key="$T_DIR/cluster.key"
t_keyfile "$key"
hook="$T_DIR/hook.sh"
cat >"$hook" <<'HOOK'
#!/bin/sh
# writes its arguments and two variables to hooks-NODE.log
echo "$* | $KCWATCH_EVENT $KCWATCH_TERM" >>"$(dirname "$0")/hooks-$2.log"
# and its time slice (kernels with se.slice in /proc/PID/sched) to slice-NODE
awk '$1 == "se.slice" { print $3 }' /proc/$$/sched >"$(dirname "$0")/slice-$2" 2>/dev/null
HOOK
chmod 0755 "$hook"
conf="$T_DIR/kcwatch.conf"
t_conf_cluster "$conf" interval=100ms
cat >>"$conf" <<CONF

[hooks]
on-leader = $hook
on-follower = $hook
on-fault = $hook
on-backend-change = $hook

[metrics]
listen = 127.0.0.1:9412
CONF

listener="$T_DIR/notify_listen.py"
cat >"$listener" <<'PY'
# notify_listen.py ADDR OUT SECONDS: records sd_notify datagrams as "MONOTONIC_MS<TAB>a|b|c".
import socket, sys, time
addr, out, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
s.settimeout(0.1)
open(out + ".ready", "w").close()
end = time.monotonic() + seconds
with open(out, "a", buffering=1) as f:
    while time.monotonic() < end:
        try:
            data = s.recv(4096)
        except socket.timeout:
            continue
        f.write("%d\t%s\n" % (time.monotonic() * 1000, data.decode(errors="replace").replace("\n", "|")))
PY

# start_notified NODE ADDR OUT WATCHDOG_USEC: a listener on ADDR (in NODE's namespace: abstract
# sockets belong to it) and kcwatchd with NOTIFY_SOCKET=ADDR.
start_notified() {
	local node=$1 addr=$2 out=$3 wd=$4
	# not through t_exec: $! must be the listener itself (ip netns exec execs it)
	ip netns exec "$(t_ns "$node")" "$PY" "$listener" "$addr" "$out" 60 &
	T_PIDS+=($!)
	for _ in $(seq 100); do [ -f "$out.ready" ] && break; sleep 0.02; done
	NOTIFY_SOCKET="$addr" WATCHDOG_USEC="$wd" t_start "$node" "$conf"
}
msgs() { cut -f2 "$1"; }
has_msg() { msgs "$1" | grep -qE "$2"; }
no_msg() { ! has_msg "$@"; }

# --- sd_notify ----------------------------------------------------------------------------------
nsock="$T_DIR/notify.sock"
nout="$T_DIR/notify-lb1.txt"
start_notified lb1 "$nsock" "$nout" 400000
ms=$(t_wait 3000 has_msg "$nout" '^READY=1'); rc=$?
t_check "READY=1 arrives (${ms} ms after the start)" [ $rc -eq 0 ]
t_check "READY=1 comes with a STATUS= naming the role" has_msg "$nout" '^READY=1\|STATUS=(follower|leader), term [0-9]+'
t_check "the control socket answers once READY=1 was sent" [ -n "$(t_role lb1)" ]
leading='(^|[|])STATUS=leader, term [0-9]+, leader lb1$'
t_wait 3000 has_msg "$nout" "$leading" >/dev/null
t_check "STATUS= follows the role: leader, term, leader lb1" has_msg "$nout" "$leading"
t_eq "READY=1 is sent once" "$(msgs "$nout" | grep -c '^READY=1')" 1

# WATCHDOG_USEC=400000: a ping every 200 ms, never a gap near 400 ms
sleep 2.2
read -r count maxgap < <(awk -F'\t' '$2 == "WATCHDOG=1" { t[n++] = $1 }
	END { m = 0; for (i = n - 10; i < n; i++) if (i > 0 && t[i] - t[i-1] > m) m = t[i] - t[i-1];
	      c = 0; for (i = 0; i < n; i++) if (t[i] >= t[n-1] - 2000) c++; print c, m }' "$nout")
t_check "WATCHDOG=1 at half of WATCHDOG_USEC: ${count:-0} in 2 s (want 9..12)" \
	[ "${count:-0}" -ge 9 -a "${count:-0}" -le 12 ]
t_check "no watchdog gap reaches the 400 ms period (longest ${maxgap:-?} ms)" \
	eval '[ -n "$maxgap" ] && [ "$maxgap" -lt 350 ]'

t_ctl lb1 reload >/dev/null
t_wait 2000 has_msg "$nout" '^RELOADING=1\|MONOTONIC_USEC=[0-9]+$' >/dev/null
t_check "reload: RELOADING=1, then READY=1 again" \
	[ "$(msgs "$nout" | grep -E '^(READY|RELOADING)=1' | cut -c1-11 | tr '\n' ' ')" = "READY=1|STA RELOADING=1 READY=1|STA " ]

kill -TERM "${T_NODE_PID[lb1]}"
ms=$(t_wait 2000 has_msg "$nout" '^STOPPING=1$'); rc=$?
t_check "SIGTERM: STOPPING=1 (${ms} ms)" [ $rc -eq 0 ]
t_stop lb1

aout="$T_DIR/notify-abstract.txt"
start_notified lb1 "@kcw-test-$$" "$aout" 0
ms=$(t_wait 3000 has_msg "$aout" '^READY=1'); rc=$?
t_check "an abstract NOTIFY_SOCKET (@name) gets READY=1 (${ms} ms)" [ $rc -eq 0 ]
t_check "WATCHDOG_USEC=0 means no watchdog pings" no_msg "$aout" '^WATCHDOG=1'
t_stop lb1
rm -f "$T_DIR"/hooks-*.log

# --- hooks ----------------------------------------------------------------------------------------
role_is() { [ "$(t_role "$1")" = "$2" ]; }
t_start lb1 "$conf"
t_wait 3000 role_is lb1 leader >/dev/null
t_start lb2 "$conf"
t_wait 3000 role_is lb2 follower >/dev/null
term1=$(t_field lb1 .term)
hooklog_has() { grep -qF "$2" "$T_DIR/hooks-$1.log" 2>/dev/null; }
t_wait 2000 hooklog_has lb2 "follower lb2 follower" >/dev/null
t_check "on-leader ran on lb1: EVENT NODE ROLE TERM LEADER BACKEND PREVIOUS" \
	grep -qxE "leader lb1 leader $term1 lb1  (init|follower) \| leader $term1" "$T_DIR/hooks-lb1.log"
t_check "on-follower ran on lb2 with lb1 as leader" \
	grep -qxE "follower lb2 follower $term1 lb1  init \| follower $term1" "$T_DIR/hooks-lb2.log"
kill -TERM "${T_NODE_PID[lb1]}"
t_wait 3000 role_is lb2 leader >/dev/null
term2=$(t_field lb2 .term)
t_wait 2000 hooklog_has lb2 "leader lb2 leader $term2" >/dev/null
t_eq "after lb1 stops, lb2's hooks ran in order: follower, then leader" \
	"$(cut -d' ' -f1 "$T_DIR/hooks-lb2.log" | tr '\n' ' ')" "follower leader "
t_check "lb2's on-leader got the new term, itself as leader, no backend, follower before" \
	grep -qxF "leader lb2 leader $term2 lb2  follower | leader $term2" "$T_DIR/hooks-lb2.log"

# --- scheduling: a 0.1 ms time slice for kcwatchd, the kernel's default for its hooks ----------
slice_of() { awk '$1 == "se.slice" { print $3 }' "$1" 2>/dev/null; }
default_slice=$(slice_of /proc/$$/sched)
if [ -n "$default_slice" ]; then
	t_eq "kcwatchd asked for a 0.1 ms time slice (se.slice in ns)" \
		"$(slice_of "/proc/${T_NODE_PID[lb2]}/sched")" 100000
	t_eq "its hooks start with the kernel's default slice" "$(cat "$T_DIR/slice-lb2")" "$default_slice"
else
	t_ok "# skip: this kernel shows no se.slice (before Linux 6.6 or without sched debug)"
	t_ok "# skip: the hooks' slice"
fi
t_stop lb1

# --- metrics after the failover ----------------------------------------------------------------
families="kcwatch_build_info process_start_time_seconds kcwatch_is_leader kcwatch_role
 kcwatch_term kcwatch_maintenance kcwatch_fenced kcwatch_defence_satisfied
 kcwatch_leader_transitions_total kcwatch_peers_alive kcwatch_peer_up
 kcwatch_peer_last_seen_seconds kcwatch_heartbeats_sent_total
 kcwatch_heartbeats_received_total kcwatch_heartbeats_dropped_total
 kcwatch_heartbeat_send_errors_total kcwatch_vip_held
 kcwatch_vip_announcements_total kcwatch_backend_up kcwatch_backend_active
 kcwatch_backend_checks_total kcwatch_backend_check_duration_seconds
 kcwatch_backend_switches_total kcwatch_backend_outage kcwatch_haproxy_up
 kcwatch_dns_updates_total kcwatch_dns_last_success_timestamp_seconds
 kcwatch_hook_runs_total kcwatch_hook_events_dropped_total kcwatch_config_reloads_total
 kcwatch_config_reload_success kcwatch_config_reload_last_reload_timestamp_seconds"
hooks_done() { t_ctl lb2 metrics | grep -qx 'kcwatch_hook_runs_total{result="ok"} 2'; }
t_wait 2000 hooks_done >/dev/null
text=$(t_ctl lb2 metrics 2>&1)
missing=""
for f in $families; do grep -q "^# TYPE $f " <<<"$text" || missing="$missing $f"; done
t_eq "kcwatchctl metrics: every metric family present after the failover" "$missing" ""
t_check "kcwatch_role{role=\"leader\"} 1 on lb2" grep -qx 'kcwatch_role{role="leader"} 1' <<<"$text"
t_check "kcwatch_term is lb2's term" grep -qx "kcwatch_term $term2" <<<"$text"
t_check "leader transitions counted" grep -qE '^kcwatch_leader_transitions_total [1-9]' <<<"$text"
t_check "kcwatch_is_leader 1 on lb2" grep -qx 'kcwatch_is_leader 1' <<<"$text"
t_check "heartbeats received counted" grep -qE '^kcwatch_heartbeats_received_total [1-9]' <<<"$text"
t_check "lb2's two hook runs counted" grep -qx 'kcwatch_hook_runs_total{result="ok"} 2' <<<"$text"
http() { # NODE PATH: status line and body of http://127.0.0.1:9412/PATH from inside NODE
	t_exec "$1" "$PY" -c 'import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen("http://127.0.0.1:9412" + sys.argv[1], timeout=3)
    print(r.status); sys.stdout.write(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code)' "$2"
}
body=$(http lb2 /metrics)
t_eq "GET /metrics answers 200" "$(head -1 <<<"$body")" 200
missing=""
for f in $families; do grep -q "^# TYPE $f " <<<"$body" || missing="$missing $f"; done
t_eq "the HTTP exposition has every family too" "$missing" ""
t_eq "GET / answers 404" "$(http lb2 / | head -1)" 404
for py in /usr/bin/python3 python3; do
	if "$py" -c 'import prometheus_client' 2>/dev/null; then
		t_check "prometheus_client parses the exposition" "$py" -c '
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = list(text_string_to_metric_families(sys.stdin.read()))
sys.exit(0 if len(fams) >= 25 else 1)' <<<"$(tail -n +2 <<<"$body")"
		break
	fi
done
t_stop lb2

t_done
