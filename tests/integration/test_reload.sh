#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_reload.sh: reload (SIGHUP and kcwatchctl), maintenance, who may change state, and a
# daemon running unprivileged with only CAP_NET_ADMIN and CAP_NET_RAW.
. "$(dirname "$0")/lib.sh"
t_require_root

t_lan lb1 lb2
key="$T_DIR/cluster.key"
t_keyfile "$key"
conf="$T_DIR/kcwatch.conf"

write_conf() { # PRIO1 [EXTRA-VIP]
	t_conf_cluster "$conf" preempt=yes lb1:"$1" lb2:100
	t_conf_vip "$conf" keycloak 10.77.0.100/24 garp-refresh=0
	if [ -n "${2:-}" ]; then t_conf_vip "$conf" extra "$2" garp-refresh=0; fi
}
role_is() { [ "$(t_role "$1")" = "$2" ]; }
has_addr() { ip -n "$(t_ns "$1")" addr show dev eth0 | grep -q "inet6\? $2"; }

write_conf 150
t_start lb1 "$conf"
t_start lb2 "$conf"
t_wait 3000 role_is lb1 leader >/dev/null
t_wait 2000 has_addr lb1 10.77.0.100/24 >/dev/null
term=$(t_field lb1 .term)
t_check "lb1 leads and holds the VIP" has_addr lb1 10.77.0.100/24

# --- a broken file changes nothing and says file:line ---------------------------------------
cp "$conf" "$T_DIR/good.conf"
sed -i 's/^dead-after = 3/dead-after = three/' "$conf"
out=$(t_ctl lb1 reload 2>&1); rc=$?
t_eq "kcwatchctl reload of a broken file exits 1" "$rc" 1
t_check "and prints one line: kcwatchctl: FILE:LINE: reason (got: $out)" \
	grep -qxE "kcwatchctl: $conf:4: dead-after: .+" <<<"$out"
kill -HUP "${T_NODE_PID[lb1]}"
t_wait 2000 grep -q "reload refused, still running the previous configuration: $conf:4" \
	"$T_DIR/lb1.log" >/dev/null
t_check "SIGHUP with the broken file is refused in the log" \
	grep -q "reload refused, still running the previous configuration: $conf:4" "$T_DIR/lb1.log"
t_eq "lb1 still leads with the same term" "$(t_role lb1)/$(t_field lb1 .term)" "leader/$term"
t_check "and still holds the VIP" has_addr lb1 10.77.0.100/24

# --- a new VIP is added without a leadership change -------------------------------------------
write_conf 150 10.77.0.101/24
out=$(t_ctl lb1 reload 2>&1); rc=$?
t_eq "reload with a new VIP succeeds" "$rc" 0
t_check "and says what changed ($out)" grep -q "configuration reloaded (VIPs)" <<<"$out"
t_check "the new VIP is on the leader" t_wait 1000 has_addr lb1 10.77.0.101/24
t_check "the old VIP stayed" has_addr lb1 10.77.0.100/24
t_eq "no leadership change" "$(t_role lb1)/$(t_field lb1 .term)" "leader/$term"
kill -HUP "${T_NODE_PID[lb2]}"
t_wait 2000 grep -q "configuration reloaded" "$T_DIR/lb2.log" >/dev/null
t_check "the follower reloads too and does not take the VIP" \
	bash -c "! ip -n $(t_ns lb2) addr show dev eth0 | grep -q 10.77.0.101"
t_eq "status lists two VIPs, both held on the leader" \
	"$(t_field lb1 '[.vips[] | select(.held)] | length')" 2

# --- a dropped VIP is removed, the rest stays --------------------------------------------------
write_conf 150
t_ctl lb1 reload >/dev/null
t_check "the dropped VIP is gone from the leader" \
	t_wait 1000 bash -c "! ip -n $(t_ns lb1) addr show dev eth0 | grep -q 10.77.0.101"
t_check "the kept VIP is still there" has_addr lb1 10.77.0.100/24
t_eq "still no leadership change" "$(t_role lb1)/$(t_field lb1 .term)" "leader/$term"

# --- a node list change needs a restart -------------------------------------------------------
sed -i 's/^\[node lb2\]/[node lbX]/' "$conf"
out=$(t_ctl lb1 reload 2>&1); rc=$?
t_eq "renaming a node is refused" "$rc" 1
t_check "with the reason ($out)" grep -q "list of \[node\] sections.*changed: restart kcwatchd" <<<"$out"
write_conf 150

# --- maintenance -------------------------------------------------------------------------------
out=$(t_ctl lb1 maintenance on 2>&1); rc=$?
t_eq "maintenance on" "$rc" 0
t_check "lb2 takes over" t_wait 1000 role_is lb2 leader
t_check "lb1 released the VIP" bash -c "! ip -n $(t_ns lb1) addr show dev eth0 | grep -q 10.77.0.100"
sleep 1
t_eq "lb1 in maintenance does not preempt" "$(t_role lb1)" follower
t_ctl lb1 maintenance off >/dev/null
t_check "maintenance off: lb1 preempts again" t_wait 2000 role_is lb1 leader

# --- own priority lowered by reload: hands over -------------------------------------------------
write_conf 50
t_ctl lb1 reload >/dev/null
t_check "lb1 with priority 50 hands over to lb2" t_wait 1000 role_is lb2 leader
t_check "and follows it" t_wait 1000 role_is lb1 follower
write_conf 150
t_ctl lb1 reload >/dev/null
t_wait 2000 role_is lb1 leader >/dev/null

# --- who may change state --------------------------------------------------------------------
chmod 0755 "$T_DIR"
chmod 0666 "$T_DIR/lb1.sock"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$KCWATCHCTL" -s "$T_DIR/lb1.sock" \
	step-down 2>&1); rc=$?
t_eq "a non-root user is refused step-down (exit 1)" "$rc" 1
t_check "with a clear message ($out)" grep -q "permission denied: 'step-down' needs root or group kcwatch" <<<"$out"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$KCWATCHCTL" -s "$T_DIR/lb1.sock" \
	status 2>&1); rc=$?
t_eq "but may read the status" "$rc" 0
t_eq "lb1 still leads" "$(t_role lb1)" leader

# --- unprivileged, with only the two capabilities --------------------------------------------
t_stop lb2
chmod 0644 "$conf"
chown 65534:65534 "$key"
mkdir -p "$T_DIR/run" && chown 65534:65534 "$T_DIR/run"
ip netns exec "$(t_ns lb2)" setpriv --reuid=65534 --regid=65534 --clear-groups \
	--inh-caps=-all,+net_admin,+net_raw --ambient-caps=-all,+net_admin,+net_raw \
	--bounding-set=-all,+net_admin,+net_raw \
	"$KCWATCHD" -c "$conf" -n lb2 -s "$T_DIR/run/lb2u.sock" -d >>"$T_DIR/lb2u.log" 2>&1 &
T_PIDS+=($!)
upid=$!
t_wait 3000 test -S "$T_DIR/run/lb2u.sock" >/dev/null
t_eq "the unprivileged daemon runs as uid 65534" "$(awk '/^Uid:/ {print $2}' /proc/$upid/status)" 65534
t_eq "with exactly CAP_NET_ADMIN and CAP_NET_RAW effective" \
	"$(awk '/^CapEff:/ {print $2}' /proc/$upid/status)" 0000000000003000
t_stop lb1 KILL
t_check "after kill -9 of lb1 the unprivileged lb2 takes the VIP" \
	t_wait 3000 has_addr lb2 10.77.0.100/24
t_eq "and leads" "$("$KCWATCHCTL" -s "$T_DIR/run/lb2u.sock" status --json | jq -r .role)" leader

t_done
