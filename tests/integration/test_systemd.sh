#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_systemd.sh: the installed unit under systemd as PID 1. systemd-nspawn boots this
# machine's /usr (with `make install` laid over it) on an empty /etc, in a private network;
# the test asserts start (Type=notify), the sandbox's user and capabilities, the VIPs, reload,
# the watchdog and Restart= (a stopped and a killed daemon come back), and a clean stop.
. "$(dirname "$0")/lib.sh"
t_require_root
t_require_tools systemd-nspawn nsenter

inst="$T_DIR/inst"
make -C "$KCW_BUILD" install DESTDIR="$inst" prefix=/usr sysconfdir=/etc \
	systemdsystemunitdir=/usr/lib/systemd/system >"$T_DIR/install.log" 2>&1
t_eq "make install succeeds" $? 0

# basic.target: nothing enabled by the presets of a first boot starts by itself (kcwatchd
# neither); wait-online would wait 2 minutes for a network that the test sets up by hand.
systemd-nspawn -D / --volatile=yes --private-network --register=no --keep-unit -M kcwtest \
	--overlay-ro="/usr:$inst/usr:/usr" -b --console=pipe -- systemd.unit=basic.target \
	systemd.mask=systemd-networkd-wait-online.service >"$T_DIR/nspawn.log" 2>&1 &
NSPAWN=$!
CPID=
# SIGTERM makes nspawn halt the container. Should that hang, SIGKILL to the container's init
# (nspawn's child) ends its whole PID namespace; SIGKILL to nspawn alone would leave it running.
container_down() {
	[ "$BASHPID" = "$$" ] || return 0 # (see t_cleanup)
	[ -n "${NSPAWN:-}" ] && kill -0 "$NSPAWN" 2>/dev/null || return 0
	kill -TERM "$NSPAWN" 2>/dev/null
	for _ in $(seq 150); do kill -0 "$NSPAWN" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$NSPAWN" 2>/dev/null; then
		[ -n "$CPID" ] && [ "$(ps -o ppid= -p "$CPID" | tr -d ' ')" = "$NSPAWN" ] &&
			kill -KILL "$CPID" 2>/dev/null
		sleep 1
		kill -KILL "$NSPAWN" 2>/dev/null
	fi
	wait "$NSPAWN" 2>/dev/null
	NSPAWN=
}
trap 'container_down; t_cleanup' EXIT
init_pid() { CPID=$(pgrep -P "$NSPAWN" -x systemd); }
booted() { case $(cx systemctl is-system-running 2>/dev/null) in running | degraded) ;; *) false ;; esac; }
# CMD... inside the container. Its /etc is empty but for what the test writes: commands
# behind /etc/alternatives (awk) do not run there.
cx() { nsenter -t "$CPID" -a "$@"; }
ms=$(t_wait 10000 init_pid); rc=$?
init_pid # (t_wait ran in a subshell)
t_check "systemd-nspawn starts systemd as PID 1 of the container (${ms} ms)" [ $rc -eq 0 ]
[ $rc -eq 0 ] || { cat "$T_DIR/nspawn.log"; t_done; exit 1; }
ms=$(t_wait 20000 booted); rc=$?
t_check "the container has booted (${ms} ms, $(cx systemctl is-system-running 2>&1))" [ $rc -eq 0 ]
t_eq "the kcwatch user exists (sysusers.d from make install)" \
	"$(cx getent passwd kcwatch | cut -d: -f1,7)" kcwatch:/sbin/nologin

# the host's side: a veth pair in the container's own network namespace
cx sh -c 'ip link add kcw0 type veth peer name kcw1 && ip link set kcw1 up && ip link set kcw0 up &&
	ip addr add 10.55.0.1/24 dev kcw0 && ip -6 addr add fd55::1/64 dev kcw0 nodad'
conf="$T_DIR/kcwatch.conf"
t_keyfile "$T_DIR/cluster.key"
cat >"$conf" <<EOF
[cluster]
name = keycloak
interval = 200ms
dead-after = 3
key-file = /etc/kcwatch/cluster.key

[node lb1]
address = 10.55.0.1
priority = 150

[node lb2]
address = 10.55.0.2
priority = 100

[vip keycloak4]
interface = kcw0
address = 10.55.0.100/24

[vip keycloak6]
interface = kcw0
address = fd55::100/64
EOF
put() { # SRC DST MODE: a root:kcwatch file in the container
	cx sh -c "mkdir -p /etc/kcwatch && cat >'$2' && chgrp kcwatch '$2' && chmod '$3' '$2'" <"$1"
}
# root:root 0600, unreadable for the kcwatch user: the unit's LoadCredential= hands it over
cx sh -c 'mkdir -p /etc/kcwatch && umask 077 && cat >/etc/kcwatch/cluster.key' <"$T_DIR/cluster.key"
jl() { cx journalctl -u kcwatchd --no-pager -o cat 2>/dev/null; }
prop() { cx systemctl show kcwatchd -p "$1" --value; }
main_pid() { prop MainPID; }
vips() { cx ip -br addr show kcw0 | grep -oE '10\.55\.0\.100/24|fd55::100/64' | sort | tr '\n' ' '; }
leads() { [ "$(cx kcwatchctl status --json 2>/dev/null | jq -r .role)" = leader ] && [ "$(vips)" = "10.55.0.100/24 fd55::100/64 " ]; }

# --- a broken configuration: ExecStartPre (kcwatchd -t) stops the start --------------------------
sed 's/^priority = 150$/priority = 255/' "$conf" >"$T_DIR/bad.conf"
put "$T_DIR/bad.conf" /etc/kcwatch/kcwatch.conf 0640
out=$(cx timeout 30 systemctl start kcwatchd 2>&1); rc=$?
t_check "systemctl start with a bad configuration fails (exit $rc)" [ $rc -ne 0 ]
t_check "the journal names the file, the line and why" \
	grep -q '^kcwatchd: /etc/kcwatch/kcwatch.conf:9: ' <<<"$(jl)"
t_eq "ExecStartPre stopped it: no kcwatchd ran" "$(jl | grep -c 'role .* -> ')" 0

# --- start ---------------------------------------------------------------------------------------
put "$conf" /etc/kcwatch/kcwatch.conf 0640
cx systemctl stop kcwatchd 2>/dev/null # ends the restart loop of the failed start
cx systemctl reset-failed kcwatchd 2>/dev/null
out=$(cx timeout 30 systemctl start kcwatchd 2>&1); rc=$?
t_check "systemctl start returns once kcwatchd says READY=1 (exit $rc $out)" \
	[ $rc -eq 0 -a "$(prop ActiveState)/$(prop SubState)" = active/running ]
ms=$(t_wait 3000 leads); rc=$?
t_check "alone, lb1 leads and holds both VIPs on kcw0 (${ms} ms)" [ $rc -eq 0 ]
t_check "STATUS= shows the role in systemctl status ($(prop StatusText))" \
	grep -qE '^leader, term [0-9]+, leader lb1$' <<<"$(prop StatusText)"
pid=$(main_pid)
t_eq "it runs as user and group kcwatch" "$(cx ps -o user=,group= -p "$pid" | tr -s ' ')" "kcwatch kcwatch"
caps=$(cx grep -E '^Cap(Eff|Bnd|Amb):' "/proc/$pid/status" | awk '{print $2}' | sort -u)
t_eq "its capabilities: CAP_NET_ADMIN and CAP_NET_RAW only (effective, bounding, ambient)" \
	"$caps" 0000000000003000
t_eq "NoNewPrivileges is set" "$(cx grep '^NoNewPrivs:' "/proc/$pid/status" | tr -dc 0-9)" 1
t_eq "the control socket: /run/kcwatch/kcwatchd.sock, kcwatch:kcwatch 0660" \
	"$(cx stat -c '%U:%G %a' /run/kcwatch/kcwatchd.sock)" "kcwatch:kcwatch 660"
out=$(cx nsenter -t "$pid" -m touch /etc/kcwatch/probe 2>&1); rc=$?
t_check "ProtectSystem=strict: in its mount namespace /etc is read-only ($out)" \
	[ $rc -ne 0 -a -n "$(grep -o 'Read-only file system' <<<"$out")" ]

# --- credentials and the state file (root-only keys, LoadCredential=, StateDirectory=) ----------
t_eq "the key file is root:root 0600" "$(cx stat -c '%U:%G %a' /etc/kcwatch/cluster.key)" "root:root 600"
t_check "kcwatchd read the key from its systemd credential and said so" \
	grep -q '^cluster key from /run/credentials/kcwatchd.service/cluster.key (systemd credential)' <<<"$(jl)"
t_eq "its state file: /var/lib/kcwatch/lb1.state, kcwatch 0600" \
	"$(cx stat -c '%U %a' /var/lib/kcwatch/lb1.state 2>&1)" "kcwatch 600"
inc0=$(cx sed -n 's/^incarnation=//p' /var/lib/kcwatch/lb1.state)
out=$(cx kcwatchctl maintenance on 2>&1); rc=$?
t_eq "kcwatchctl maintenance on (exit 0: $out)" "$rc" 0
cx timeout 30 systemctl restart kcwatchd
in_maint() { [ "$(cx kcwatchctl status --json 2>/dev/null | jq -r .maintenance)" = true ]; }
ms=$(t_wait 3000 in_maint); rc=$?
t_check "after systemctl restart it is still in maintenance (${ms} ms)" [ $rc -eq 0 ]
t_eq "and does not lead: follower, no VIP" "$(cx kcwatchctl status --json | jq -r .role)/$(vips)" "follower/"
t_eq "the incarnation counted up in the state file" \
	"$(cx sed -n 's/^incarnation=//p' /var/lib/kcwatch/lb1.state)" "$((inc0 + 1))"
# an operator whose group kcwatch is a supplementary one (its primary group is its own): the
# daemon takes its groups from the socket, since ProtectProc=invisible hides its process
cx useradd -M -N -g users -G kcwatch kcwop
asop() { cx setpriv --reuid=kcwop --regid=users --init-groups "$@"; }
out=$(asop kcwatchctl maintenance off 2>&1); rc=$?
t_eq "a member of group kcwatch (supplementary) may change state: maintenance off (exit 0: $out)" \
	"$rc" 0
ms=$(t_wait 3000 leads); rc=$?
t_check "maintenance off: it leads with both VIPs again (${ms} ms)" [ $rc -eq 0 ]
out=$(cx setpriv --reuid=nobody --regid=nogroup --clear-groups kcwatchctl step-down 2>&1); rc=$?
t_check "a user outside the group is refused (exit $rc: $out)" \
	eval '[ $rc -ne 0 ] && grep -qF "permission denied" <<<"$out"'
# (no awk in the container: Debian's /usr/bin/awk points into the empty /etc)
slice=$(cx sed -n 's/^se\.slice *: *//p' "/proc/$(main_pid)/sched" 2>&1)
if [ -n "$(awk '$1 == "se.slice"' /proc/$$/sched 2>/dev/null)" ]; then
	t_eq "under the unit kcwatchd got its 0.1 ms time slice (sched_setattr allowed)" "$slice" 100000
else
	t_ok "# skip: this kernel shows no se.slice"
fi
# the TSIG key through the documented drop-in, root:root 0600 as well
tsig-keygen -a hmac-sha256 kcwatch-key >"$T_DIR/tsig.key"
cx sh -c 'umask 077 && cat >/etc/kcwatch/tsig.key' <"$T_DIR/tsig.key"
cx sh -c 'mkdir -p /etc/systemd/system/kcwatchd.service.d && printf "[Service]\nLoadCredential=tsig.key:/etc/kcwatch/tsig.key\n" >/etc/systemd/system/kcwatchd.service.d/tsig.conf && systemctl daemon-reload'
{ cat "$conf"; printf '\n[dns]\nserver = 10.55.0.53\nzone = local.mylab.io\nname = keycloak.local.mylab.io\ntarget = self\ntsig-key-file = /etc/kcwatch/tsig.key\n'; } >"$T_DIR/dns.conf"
put "$T_DIR/dns.conf" /etc/kcwatch/kcwatch.conf 0640
out=$(cx timeout 30 systemctl restart kcwatchd 2>&1); rc=$?
t_eq "with [dns] and the drop-in it starts (exit 0: $out)" "$rc" 0
t_check "kcwatchd read the TSIG key from its credential" \
	grep -q '^TSIG key from /run/credentials/kcwatchd.service/tsig.key (systemd credential)' <<<"$(jl)"
cx sh -c 'rm -r /etc/systemd/system/kcwatchd.service.d && systemctl daemon-reload'
put "$conf" /etc/kcwatch/kcwatch.conf 0640
cx timeout 30 systemctl restart kcwatchd
ms=$(t_wait 3000 leads); rc=$?
t_check "back without [dns]: it leads (${ms} ms)" [ $rc -eq 0 ]
pid=$(main_pid)
level=$(cx systemd-analyze security kcwatchd.service 2>/dev/null |
	sed -n 's/.*Overall exposure level for kcwatchd.service: \([0-9.]*\).*/\1/p')
t_check "systemd-analyze security of the running unit: exposure ${level:-?} at most 2.0" \
	eval '[ -n "$level" ] && awk -v l="$level" "BEGIN { exit !(l <= 2.0) }"'

# --- reload --------------------------------------------------------------------------------------
cx systemctl reload kcwatchd; rc=$?
t_check "systemctl reload: kcwatchd reloads (exit $rc)" grep -q 'configuration reloaded' <<<"$(jl)"
t_eq "reload keeps the process" "$(main_pid)" "$pid"
# ExecReload=kcwatchctl reload: a bad file fails the reload visibly, the daemon keeps running
put "$T_DIR/bad.conf" /etc/kcwatch/kcwatch.conf 0640
out=$(cx timeout 30 systemctl reload kcwatchd 2>&1); rc=$?
t_check "systemctl reload with a bad file fails (exit $rc)" [ $rc -ne 0 ]
t_check "the journal has kcwatchctl's FILE:LINE: reason" \
	grep -q '^kcwatchctl: /etc/kcwatch/kcwatch.conf:9: priority' <<<"$(jl)"
t_eq "the daemon keeps running, the same process, still active" \
	"$(main_pid) $(prop ActiveState)" "$pid active"
put "$conf" /etc/kcwatch/kcwatch.conf 0640
cx timeout 30 systemctl reload kcwatchd; rc=$?
t_eq "with the file fixed, systemctl reload succeeds" "$rc" 0

# --- watchdog: a stuck loop is killed and restarted ------------------------------------------------
w0=$(prop WatchdogTimestampMonotonic)
sleep 6 # WatchdogSec=10s: kcwatchd pings at least every 5 s
w1=$(prop WatchdogTimestampMonotonic)
t_check "the watchdog pings reach systemd ($w0 -> $w1)" [ "$w1" -gt "$w0" ]
[ "${pid:-0}" -gt 0 ] && cx kill -STOP "$pid" # (a PID of the container: signalled from inside it)
restarted() { local p; p=$(main_pid); [ "$p" != 0 ] && [ "$p" != "$1" ]; }
ms=$(t_wait 16000 restarted "$pid"); rc=$?
t_check "a stopped kcwatchd is killed by the watchdog and started again (${ms} ms)" \
	[ $rc -eq 0 -a "$(prop NRestarts)" = 1 ]
t_check "the journal says so" grep -q 'Watchdog timeout' <<<"$(cx journalctl --no-pager -o cat)"
ms=$(t_wait 3000 leads); rc=$?
t_check "the new kcwatchd leads with both VIPs (${ms} ms)" [ $rc -eq 0 ]

# --- kill -9: Restart=on-failure ----------------------------------------------------------------
pid=$(main_pid)
cx kill -KILL "$pid"
ms=$(t_wait 5000 restarted "$pid"); rc=$?
t_check "after kill -9, systemd starts it again (RestartSec=1s: ${ms} ms)" \
	[ $rc -eq 0 -a "$(prop NRestarts)" = 2 ]
ms=$(t_wait 3000 leads); rc=$?
t_check "and it leads with both VIPs again (${ms} ms)" [ $rc -eq 0 ]

# --- stop ----------------------------------------------------------------------------------------
cx timeout 30 systemctl stop kcwatchd; rc=$?
t_eq "systemctl stop: inactive, Result=success, exit status 0 (exit $rc)" \
	"$(prop ActiveState) $(prop Result) $(prop ExecMainStatus)" "inactive success 0"
t_eq "the VIPs are gone from kcw0" "$(vips)" ""
t_check "the journal shows both VIPs removed" \
	[ "$(jl | grep -cE 'removed (10\.55\.0\.100/24|fd55::100/64) from kcw0')" -ge 2 ]

# --- no VIP left behind: kcwatchd killed for good (ExecStopPost= kcwatchd --release-vips) ---------
# kcwatchd leads with both VIPs; its configuration is then broken (as an operator's bad edit),
# so after kill -9 every restart fails in ExecStartPre and systemd gives up: the daemon is gone
# for good. The unit's ExecStopPost removes the VIPs all the same.
put "$conf" /etc/kcwatch/kcwatch.conf 0640
cx systemctl reset-failed kcwatchd 2>/dev/null
out=$(cx timeout 30 systemctl start kcwatchd 2>&1); rc=$?
ms=$(t_wait 3000 leads); rc2=$?
t_check "release: kcwatchd started again and leads with both VIPs (${ms} ms)" [ $rc -eq 0 -a $rc2 -eq 0 ]
put "$T_DIR/bad.conf" /etc/kcwatch/kcwatch.conf 0640
pid=$(main_pid)
cx kill -KILL "$pid"
gone() { [ "$(vips)" = "" ]; }
ms=$(t_wait 5000 gone); rc=$?
t_check "release: after kill -9 the VIPs are gone from kcw0 (${ms} ms)" [ $rc -eq 0 ]
t_check "release: ExecStopPost's kcwatchd --release-vips removed both" \
	[ "$(jl | grep -cE 'removed (10\.55\.0\.100/24|fd55::100/64) from kcw0 \(--release-vips\)')" -ge 2 ]
t_check "release: it read the [vip] sections of the broken file" \
	grep -q 'taking the \[vip\] sections as written' <<<"$(jl)"
given_up() { [ "$(prop ActiveState)" = failed ]; }
ms=$(t_wait 20000 given_up); rc=$?
t_check "release: systemd gave up restarting it (start limit; ${ms} ms; $(prop ActiveState)/$(prop Result))" \
	[ $rc -eq 0 ]
t_eq "release: no kcwatchd runs" "$(main_pid)/$(cx pgrep -c -x kcwatchd)" "0/0"
t_eq "release: and no VIP came back on kcw0" "$(vips)" ""

t_done
