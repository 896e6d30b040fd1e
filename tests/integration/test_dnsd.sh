#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_dnsd.sh: kcwatchd's DNS updater end to end: two daemons (lb1, lb2) and a private named
# (namespace dns, port 53, TSIG key from tsig-keygen, zone local.mylab.io as in lab/) on one
# LAN. RFC 2136 updates with TSIG, the A and AAAA of the name (target = vip, then self), the
# fence TXT _kcwatch.<name>, kill -9 failover timed against dig, named down and back, a leader
# frozen and resumed, a stale leader (frozen, then cut off from its peer by nftables) that the
# fence stops, a wrong key, an implausible and an invalid fence term, two leaders with the
# same term (the higher node name wins), and the rest of the zone left alone. Every assertion about DNS reads
# what named serves with dig. About 80 s. KCW_KEEP_LOGS=/abs/dir keeps the logs there.
. "$(dirname "$0")/lib.sh"
t_require_root
# KCW_KEEP_LOGS=DIR: copy the logs there before lib.sh's cleanup deletes them.
if [ -n "${KCW_KEEP_LOGS:-}" ] && [ "${KCW_KEEP_LOGS#/}" != "$KCW_KEEP_LOGS" ]; then
	trap 'rm -rf "$KCW_KEEP_LOGS"; cp -r "$T_DIR" "$KCW_KEEP_LOGS" 2>/dev/null; t_cleanup' EXIT
fi
t_require_tools named dig tsig-keygen jq nft

t_lan lb1 lb2 dns
ns_ip=$(t_ip4 dns)
zone=local.mylab.io
name=keycloak.$zone
fence=_kcwatch.$name
vip4=10.77.0.215
vip6=fd77::215
key="$T_DIR/cluster.key"
t_keyfile "$key"

# --- named in the dns namespace -------------------------------------------------------------
# local.mylab.io as in lab/local.mylab.io.db, with this LAN's addresses
t_named_setup dns "$zone" "\
ns1          IN AAAA $(t_ip6 dns)
lb1          IN A    $(t_ip4 lb1)
lb2          IN A    $(t_ip4 lb2)
sno1         IN A    10.77.0.231
*.apps.sno1  CNAME   sno1
api.sno1     CNAME   sno1
api-int.sno1 CNAME   sno1
sno2         IN A    10.77.0.232
*.apps.sno2  CNAME   sno2
api.sno2     CNAME   sno2
api-int.sno2 CNAME   sno2
keycloak     IN A    192.0.2.1"
tsig-keygen -a hmac-sha256 kcwatch-key >"$T_DIR/wrong.key" # same key name, another secret
chmod 0600 "$T_DIR/wrong.key" # key files are not readable by others (kcwatch.conf(5))

served_is() { [ "$(t_dig "$1" "$2")" = "$3" ]; } # NAME TYPE WANT
fence_text() { t_dig "$fence" TXT | tr -d '"'; }
fence_term() { sed -n 's/^term=\([0-9]*\) .*/\1/p' <<<"$(fence_text)"; }

others() { # every record kcwatchd must not touch (SOA without its serial)
	t_dig "$zone" SOA | awk '{print $1, $2, $4, $5, $6, $7}'
	local q
	for q in "$zone NS" "ns1.$zone A" "ns1.$zone AAAA" "lb1.$zone A" "lb2.$zone A" \
		"sno1.$zone A" "x.apps.sno1.$zone CNAME" "api.sno1.$zone CNAME" \
		"api-int.sno1.$zone CNAME" "sno2.$zone A" "y.apps.sno2.$zone CNAME" \
		"api.sno2.$zone CNAME" "api-int.sno2.$zone CNAME"; do
		# shellcheck disable=SC2086
		echo "$q: $(t_dig $q | tr '\n' ' ')"
	done
}

# --- kcwatchd configuration -----------------------------------------------------------------
write_conf() { # FILE TARGET TSIG-KEY-FILE
	t_conf_cluster "$1" port=7112 preempt=no
	t_conf_vip "$1" keycloak4 "$vip4/24"
	t_conf_vip "$1" keycloak6 "$vip6/64"
	cat >>"$1" <<CONF

[dns]
server = $ns_ip
port = 53
zone = $zone
name = $name
ttl = 30
target = $2
tsig-key-file = $3
fence = yes
fence-renew = 1s
timeout = 1s
CONF
}
conf_vip=$T_DIR/vip.conf
conf_self=$T_DIR/self.conf
conf_wrong=$T_DIR/wrong.conf
write_conf "$conf_vip" vip tsig.key
write_conf "$conf_self" self tsig.key
write_conf "$conf_wrong" vip wrong.key

role_is() { [ "$(t_role "$1")" = "$2" ]; }
one_leader() { role_is "$1" leader && [ "$(t_field "$2" .leader)" = "$1" ]; } # LEADER OTHER
# The follower first: a leader stopping with a live follower hands over (and the fence moves on).
stop_all() { t_stop lb2; t_stop lb1; }
field_is() { [ "$(t_field "$1" "$2")" = "$3" ]; }           # NODE JQ-FILTER WANT
result_has() { t_field "$1" .dns.last_result | grep -Eq "$2"; } # NODE REGEX
fence_is_not() { [ "$(fence_text)" != "$1" ]; }
not_held() { ! t_holds "$1" "$2"; }

# dig_until TIMEOUT_MS NAME TYPE WANT: polls dig every 20 ms; prints the ms of the day of the
# first answer equal to WANT (taken after that dig returned); 1 on timeout.
dig_until() {
	local limit=$1 start now
	start=$(t_now)
	while :; do
		if served_is "$2" "$3" "$4"; then
			t_ms_of_day
			return 0
		fi
		now=$(t_now)
		[ $((now - start)) -lt "$limit" ] || { echo -1; return 1; }
		sleep 0.02
	done
}

# --- start ------------------------------------------------------------------------------------
t_named_start
t_check "named answers on $ns_ip#53 in the dns namespace" served_is "$zone" NS "ns1.$zone."
before=$(others)

# --- target = vip: the leader points A and AAAA at the VIPs and writes the fence --------------
t_start lb1 "$conf_vip"
t_start lb2 "$conf_vip"
ms=$(t_wait 3000 one_leader lb1 lb2); rc=$?
t_check "one leader, lb1, within 3 s (${ms} ms)" [ $rc -eq 0 ]
term1=$(t_field lb1 .term)
t_check "lb1 holds the VIPs" t_holds lb1 "$vip4"
ms=$(t_wait 3000 served_is "$name" A "$vip4"); rc=$?
t_check "A $name is the v4 VIP $vip4 (${ms} ms)" [ $rc -eq 0 ]
t_eq "AAAA $name is the v6 VIP" "$(t_dig "$name" AAAA)" "$vip6"
txt=$(fence_text)
t_check "fence TXT reads 'term=$term1 node=lb1 seq=N' (got '$txt')" \
	grep -Eq "^term=$term1 node=lb1 seq=[0-9]+\$" <<<"$txt"
js=$(t_json lb1)
t_eq "status dns.name" "$(jq -r .dns.name <<<"$js")" "$name"
t_eq "status dns.target" "$(jq -r .dns.target <<<"$js")" "A $vip4 AAAA $vip6"
t_eq "status dns.fence_term" "$(jq -r .dns.fence_term <<<"$js")" "$term1"
t_eq "status dns.fenced / fenced" "$(jq -r '"\(.dns.fenced)/\(.fenced)"' <<<"$js")" false/false
t_check "status dns.last_result 'updated: A $vip4 AAAA $vip6 (fence term=$term1 node=lb1 ...)'" \
	grep -q "^updated: A $vip4 AAAA $vip6 (fence term=$term1 node=lb1 seq=" \
	<<<"$(jq -r .dns.last_result <<<"$js")"
t_check "status dns.last_update_ms_ago is a number below 1500" \
	jq -e '.dns.last_update_ms_ago | type == "number" and . < 1500' <<<"$js" >/dev/null
t_check "status dns.updates.ok counts the update and renewals" \
	jq -e '.dns.updates.ok >= 1' <<<"$js" >/dev/null
# the reconcile query comes right after an update; allow it a moment
t_wait 2000 field_is lb1 .dns.served "A $vip4 AAAA $vip6" >/dev/null
t_eq "status dns.served is what named answers" "$(t_field lb1 .dns.served)" "A $vip4 AAAA $vip6"
t_eq "the follower does not write: its dns.last_result" "$(t_field lb2 .dns.last_result)" "none yet"
seq1=$(sed -n 's/.*seq=//p' <<<"$txt")
sleep 1.2
seq2=$(sed -n 's/.*seq=//p' <<<"$(fence_text)")
t_check "the leader renews the fence every fence-renew (seq $seq1 -> $seq2)" \
	[ "${seq2:-0}" -gt "${seq1:-0}" ]
stop_all

# --- target = self: kill -9 of the leader, the name follows the new leader within 1 s ----------
ip1=$(t_ip4 lb1)
ip2=$(t_ip4 lb2)
t_start lb1 "$conf_self"
t_start lb2 "$conf_self"
t_wait 3000 one_leader lb1 lb2 >/dev/null
ms=$(t_wait 3000 served_is "$name" A "$ip1"); rc=$?
t_check "target = self: A is the leader lb1's address $ip1 (${ms} ms)" [ $rc -eq 0 ]
t_eq "target = self: no AAAA (lb1's address is IPv4 only): the VIP's AAAA is deleted" \
	"$(t_dig "$name" AAAA)" ""
term1=$(t_field lb1 .term)
t_stop lb1 KILL
seen=$(dig_until 3000 "$name" A "$ip2"); rc=$?
took=$(t_log_ms lb2 'role [a-z]+ -> leader')
t_check "after kill -9 of lb1, A is lb2's $ip2 within 1 s of the takeover ($((seen - took)) ms)" \
	eval "[ $rc -eq 0 ] && [ $took -ge 0 ] && [ $((seen - took)) -le 1000 ]"
term2=$(t_field lb2 .term)
t_check "the new term is above the old ($term2 > $term1)" [ "$term2" -gt "$term1" ]
t_check "the fence holds lb2's term: 'term=$term2 node=lb2 seq=N'" \
	grep -Eq "^term=$term2 node=lb2 seq=[0-9]+\$" <<<"$(fence_text)"
t_eq "AAAA still absent" "$(t_dig "$name" AAAA)" ""

# --- named down: failover is not delayed; the update is applied once named is back ------------
t_start lb1 "$conf_self" # preempt = no: it follows lb2
t_wait 3000 one_leader lb2 lb1 >/dev/null
t_named_stop
t0=$(t_ms_of_day)
t_stop lb2 KILL
ms=$(t_wait 3000 t_holds lb1 "$vip4"); rc=$?
took=$(( $(t_log_ms lb1 'role [a-z]+ -> leader') - t0 ))
t_check "named down: lb1 took the VIP ${ms} ms after kill -9 of lb2 (leader ${took} ms; normal: <= 900)" \
	eval "[ $rc -eq 0 ] && [ $ms -le 900 ] && [ $took -le 900 ]"
term3=$(t_field lb1 .term)
t_wait 3000 result_has lb1 '^error' >/dev/null
res=$(t_field lb1 .dns.last_result)
t_check "named down: last_result names the failure (got '$res')" \
	grep -Eq '^error: (fence read|update): 10\.77\.0\.13#53: Connection refused \(named not running\?\)' <<<"$res"
t_check "named down: logged as a warning with 'retrying'" \
	grep -Eq 'warning: exchange_failed: .*Connection refused \(named not running\?\) \(retrying\)' \
	"$T_DIR/lb1.log"
t_eq "named down: lb1 leads with the VIPs all the same" "$(t_role lb1)" leader
t_start lb2 "$conf_self"
t_wait 3000 role_is lb2 follower >/dev/null
t_eq "named down: lb2 back as follower; lb1 still leads" "$(t_role lb1)/$(t_role lb2)" leader/follower
t_named_start
back=$(t_ms_of_day)
seen=$(dig_until 10000 "$name" A "$ip1"); rc=$?
t_check "named back: A is lb1's $ip1 within 10 s ($((seen - back)) ms after named answered)" \
	[ $rc -eq 0 ]
t_check "named back: the fence is 'term=$term3 node=lb1 seq=N'" \
	grep -Eq "^term=$term3 node=lb1 seq=[0-9]+\$" <<<"$(fence_text)"
t_check "named back: logged 'server answers again'" grep -q 'server answers again' "$T_DIR/lb1.log"

# --- frozen and resumed while it hears the new leader: the election settles it ----------------
# lb1 (the better node) resumes, sees lb2 leading with a higher term and outbids it: the
# election, not the fence, decides. Whatever the outcome, the name must follow the fence.
kill -STOP "${T_NODE_PID[lb1]}"
t_wait 3000 role_is lb2 leader >/dev/null
t_wait 3000 served_is "$name" A "$ip2" >/dev/null
term4=$(fence_term)
kill -CONT "${T_NODE_PID[lb1]}"
t_wait 3000 fence_is_not "$(fence_text)" >/dev/null
sleep 1.5
ldr=lb2; role_is lb1 leader && ldr=lb1
lip=$(t_ip4 $ldr)
t_eq "frozen lb1 resumed: one leader ($(t_role lb1)/$(t_role lb2))" \
	"$(t_role lb1)/$(t_role lb2)" "$([ $ldr = lb1 ] && echo leader/follower || echo follower/leader)"
t_check "frozen lb1 resumed: the fence names the leader $ldr with its term ($(fence_text))" \
	grep -Eq "^term=$(t_field $ldr .term) node=$ldr seq=" <<<"$(fence_text)"
t_check "frozen lb1 resumed: the fence term went up ($(fence_term) >= $term4)" [ "$(fence_term)" -ge "$term4" ]
t_eq "frozen lb1 resumed: A is the leader's address" "$(t_dig "$name" A)" "$lip"
if [ $ldr = lb2 ]; then # the next part needs lb1 leading (if lb1 got fenced: 3 s of quiet)
	t_stop lb2
	t_wait 8000 role_is lb1 leader >/dev/null
	t_start lb2 "$conf_self"
	t_wait 3000 role_is lb2 follower >/dev/null
fi

# --- a stale leader (frozen, then cut off from lb2) cannot overwrite the record ----------------
# lb1 leads. Frozen past the dead interval, lb2 takes over with a higher term and writes the
# fence. While lb1 is frozen its heartbeats are cut (nftables in its namespace, UDP 7112) so
# that, resumed, it still believes it leads and only the fence can tell it otherwise.
t_wait 3000 one_leader lb1 lb2 >/dev/null
t_eq "stale: lb1 leads before the freeze" "$(t_role lb1)" leader
terma=$(t_field lb1 .term)
kill -STOP "${T_NODE_PID[lb1]}"
t_exec lb1 nft -f - <<'NFT'
table inet kcwpart {
	chain in { type filter hook input priority 0; udp dport 7112 drop; }
	chain out { type filter hook output priority 0; udp dport 7112 drop; }
}
NFT
t_wait 3000 role_is lb2 leader >/dev/null
termb=$(t_field lb2 .term)
ms=$(t_wait 3000 served_is "$name" A "$ip2"); rc=$?
t_check "stale: lb2 took over with term $termb > $terma and wrote A $ip2 (${ms} ms)" \
	eval "[ $rc -eq 0 ] && [ $termb -gt $terma ]"
t_check "stale: the fence holds lb2's term $termb" grep -q "^term=$termb node=lb2 " <<<"$(fence_text)"
t_check "stale: frozen lb1 still has the VIP on its interface" t_holds lb1 "$vip4"
t0=$(t_ms_of_day)
kill -CONT "${T_NODE_PID[lb1]}"
ms=$(t_wait 5000 grep -Eq 'error: .*stale.*term '"$termb"'.*own term '"$terma" "$T_DIR/lb1.log"); rc=$?
line=$(grep -E 'error: .*stale' "$T_DIR/lb1.log" | tail -1)
t_check "stale: lb1 logs at error level with 'stale' and both terms within 5 s (${ms} ms): ${line:13}" \
	[ $rc -eq 0 ]
ms=$(t_wait 2000 not_held lb1 "$vip4"); rc=$?
t_check "stale: lb1 released its VIPs (${ms} ms)" eval "[ $rc -eq 0 ] && ! t_holds lb1 $vip6"
js=$(t_json lb1)
t_eq "stale: lb1's role is follower" "$(jq -r .role <<<"$js")" follower
t_eq "stale: status fenced / dns.fenced" "$(jq -r '"\(.fenced)/\(.dns.fenced)"' <<<"$js")" true/true
t_eq "stale: status dns.last_result" "$(jq -r .dns.last_result <<<"$js")" \
	"stale: fence term $termb above own term $terma"
t_eq "stale: status dns.fence_term" "$(jq -r .dns.fence_term <<<"$js")" "$termb"
t_eq "stale: A still lb2's" "$(t_dig "$name" A)" "$ip2"
t_check "stale: the fence still holds lb2's term" grep -q "^term=$termb node=lb2 " <<<"$(fence_text)"
t_check "stale: lb1's update was refused by its prerequisite (updates.prereq >= 1)" \
	[ "$(jq -r .dns.updates.prereq <<<"$js")" -ge 1 ]
t_eq "stale: lb2 kept leading" "$(t_role lb2)" leader
# the partition heals: lb1 follows lb2 and stays fenced while lb2 renews the fence
t_exec lb1 nft delete table inet kcwpart
sleep 3.5
t_eq "stale: healed, lb1 stays fenced while lb2 renews (3.5 s > 3 x fence-renew)" \
	"$(t_role lb1)/$(t_field lb1 .fenced)/$(t_field lb1 .leader)" "follower/true/lb2"
t_eq "stale: A still lb2's" "$(t_dig "$name" A)" "$ip2"
# lb2 stops for good: once the fence stayed still for 3 x fence-renew lb1 may lead again
t_stop lb2
ms=$(t_wait 8000 role_is lb1 leader); rc=$?
last=$(t_log_ms lb2 "fence renewed: term=$termb node=lb2 |-> A .*fence term=$termb node=lb2 ")
lead=$(t_log_ms lb1 'role [a-z]+ -> leader')
t_check "stale: lb2 stopped; lb1 leads again $((lead - last)) ms after lb2's last fence write (>= 3 x fence-renew less a round trip: 2900)" \
	eval "[ $rc -eq 0 ] && [ $((lead - last)) -ge 2900 ]"
t_check "stale: logged that the fence stayed still" \
	grep -q 'fence term '"$termb"' unchanged for 3000 ms' "$T_DIR/lb1.log"
termc=$(t_field lb1 .term)
t_check "stale: with a term above the fence's ($termc > $termb)" [ "$termc" -gt "$termb" ]
ms=$(t_wait 2000 served_is "$name" A "$ip1"); rc=$?
t_check "stale: A is lb1's again (${ms} ms)" [ $rc -eq 0 ]
t_check "stale: the fence is 'term=$termc node=lb1 seq=N'" \
	grep -Eq "^term=$termc node=lb1 seq=[0-9]+\$" <<<"$(fence_text)"
t_eq "stale: status fenced false" "$(t_field lb1 .fenced)" false
stop_all

# --- a wrong TSIG key: a clear error, and nothing changes ------------------------------------
a_before=$(t_dig "$name" A)
f_before=$(fence_text)
t_start lb1 "$conf_wrong"
t_start lb2 "$conf_wrong"
t_wait 3000 one_leader lb1 lb2 >/dev/null
want="error: fence read: TSIG key rejected by server (BADSIG)"
ms=$(t_wait 3000 field_is lb1 .dns.last_result "$want"); rc=$?
t_check "wrong key: last_result '$want' (${ms} ms)" [ $rc -eq 0 ]
t_check "wrong key: logged at error level 'error: exchange_failed: $name fence read: TSIG key rejected by server (BADSIG)'" \
	grep -qF "error: exchange_failed: $name fence read: TSIG key rejected by server (BADSIG)" "$T_DIR/lb1.log"
t_check "wrong key: no update went through (updates.ok 0)" \
	[ "$(t_field lb1 .dns.updates.ok)" = 0 ]
t_eq "wrong key: lb1 leads and holds the VIP all the same" "$(t_role lb1)/$(t_holds lb1 "$vip4" && echo held)" leader/held
sleep 1
t_eq "wrong key: A unchanged" "$(t_dig "$name" A)" "$a_before"
t_eq "wrong key: AAAA unchanged" "$(t_dig "$name" AAAA)" ""
t_eq "wrong key: fence unchanged" "$(fence_text)" "$f_before"
stop_all

# --- a whole cluster restarted: the fence holds an old term of a node that does not lead now -----
# (terms start again at 1; the fence names lb2 with term 50). lb2 is heard alive as follower, so
# the fence is only old: lb1 leads on with a term above it, without a stale pause.
nsu() { # [TXT-TEXT]: replace the fence with one record; without one, delete it
	{
		printf 'server %s 53\nzone %s\nupdate delete %s TXT\n' "$ns_ip" "$zone" "$fence"
		[ $# -eq 0 ] || printf 'update add %s 30 TXT "%s"\n' "$fence" "$1"
		echo send
	} | t_exec dns nsupdate -k "$T_DIR/tsig.key"
}
nsu "term=50 node=lb2 seq=1"
t_eq "restart: the old fence is in place" "$(fence_text)" "term=50 node=lb2 seq=1"
lines=$(wc -l <"$T_DIR/lb1.log")
t_start lb1 "$conf_vip"
t_start lb2 "$conf_vip"
ms=$(t_wait 4000 fence_is_not "term=50 node=lb2 seq=1"); rc=$?
t_check "restart: lb1 writes the fence within 4 s (${ms} ms)" [ $rc -eq 0 ]
t_check "restart: with a term above the old one ($(fence_text))" \
	grep -q "^term=51 node=lb1 seq=" <<<"$(fence_text)"
t_eq "restart: lb1 leads" "$(t_role lb1)" leader
t_check "restart: lb1 was never stale and never gave the VIP up" \
	sh -c "tail -n +$((lines + 1)) '$T_DIR/lb1.log' | grep -Eq 'stale|vip .*: removed' && exit 1 || exit 0"
t_check "restart: lb1 logged why it took a higher term" \
	grep -q "the DNS fence holds term 50 of lb2, which does not lead now: leading with term 51" "$T_DIR/lb1.log"
t_eq "restart: A points at the VIP" "$(t_dig "$name" A)" "$vip4"
stop_all

# --- fence values outside the term range: a huge term never fences, never wraps ----------------
# lb1 leads with a small term. A fence term more than 1,000,000 above it is "implausible": an
# error in status and a metric, the record is left alone and lb1 keeps leading with its VIP. A
# term above 2^53 is no valid fence value at all: counted as invalid and overwritten.
metric() { t_ctl "$1" metrics | sed -n "s/^$2 //p"; } # NODE SERIES
fence_has() { grep -Eq "$1" <<<"$(fence_text)"; }      # REGEX
log_since() { tail -n +"$2" "$T_DIR/$1.log" | grep -Eq "$3"; } # NODE FIRST-LINE REGEX
t_start lb1 "$conf_vip"
t_start lb2 "$conf_vip"
t_wait 3000 one_leader lb1 lb2 >/dev/null
t_wait 3000 fence_has "node=lb1 " >/dev/null
tl=$(t_field lb1 .term)
big=$((tl + 2000000))
nsu "term=$big node=lb2 seq=1"
ms=$(t_wait 4000 result_has lb1 "^error: implausible fence term $big \\(own term $tl"); rc=$?
t_check "implausible: lb1's dns.last_result reports 'implausible fence term $big' (${ms} ms): $(t_field lb1 .dns.last_result)" \
	[ $rc -eq 0 ]
t_check "implausible: logged at error level" \
	grep -q "error: report_implausible: $name: implausible fence term $big" "$T_DIR/lb1.log"
t_check "implausible: metric kcwatch_dns_fence_rejected_total{reason=\"implausible\"} >= 1" \
	[ "$(metric lb1 'kcwatch_dns_fence_rejected_total{reason="implausible"}')" -ge 1 ]
sleep 2.2 # two renewals: still not fenced, still not written over
js=$(t_json lb1)
t_eq "implausible: lb1 still leads, not fenced, term unchanged" \
	"$(jq -r '"\(.role)/\(.fenced)/\(.dns.fenced)/\(.term)"' <<<"$js")" "leader/false/false/$tl"
t_check "implausible: lb1 still holds the VIP" t_holds lb1 "$vip4"
t_eq "implausible: lb2 is a follower that did not learn the term" \
	"$(t_role lb2)/$(t_field lb2 .term)" "follower/$tl"
t_eq "implausible: the record is left alone" "$(fence_text)" "term=$big node=lb2 seq=1"
# the operator removes it: lb1 writes again at its next renewal
nsu
ms=$(t_wait 3000 fence_has "^term=$tl node=lb1 "); rc=$?
t_check "implausible: removed, lb1 writes the fence with its term $tl within 3 s (${ms} ms)" [ $rc -eq 0 ]
# above 2^53: invalid text, overwritten
nsu "term=18446744073709551615 node=lb2 seq=1"
ms=$(t_wait 4000 fence_has "^term=$tl node=lb1 "); rc=$?
t_check "term above 2^53: invalid, lb1 writes over it with term $tl (${ms} ms)" [ $rc -eq 0 ]
t_check "term above 2^53: metric kcwatch_dns_fence_rejected_total{reason=\"invalid\"} >= 1" \
	[ "$(metric lb1 'kcwatch_dns_fence_rejected_total{reason="invalid"}')" -ge 1 ]
t_eq "term above 2^53: lb1 still leads with term $tl" "$(t_role lb1)/$(t_field lb1 .term)" "leader/$tl"
stop_all

# --- two leaders with the same term: the claim of the higher node name stands -----------------
# Both start cut off from each other (nftables, UDP 7112), so each leads with term 1 and claims
# the fence. Ordered by (term, node), lb1's claim is below lb2's: lb1 steps down as for a higher
# term and releases its VIPs; lb2 keeps leading and renewing, and the two do not rewrite the
# fence against each other.
nsu
for n in lb1 lb2; do
	t_exec $n nft -f - <<'NFT'
table inet kcwpart {
	chain in { type filter hook input priority 0; udp dport 7112 drop; }
	chain out { type filter hook output priority 0; udp dport 7112 drop; }
}
NFT
done
l1=$(wc -l <"$T_DIR/lb1.log")
t_start lb1 "$conf_vip"
t_start lb2 "$conf_vip"
ms=$(t_wait 5000 log_since lb1 $((l1 + 1)) \
	'stale: fence .* holds term 1 of node lb2, above own term 1 of node lb1 \(same term: the higher node name wins\)'); rc=$?
t_check "same term: lb1 logs that lb2's claim of term 1 is above its own (${ms} ms)" [ $rc -eq 0 ]
ms=$(t_wait 2000 not_held lb1 "$vip4"); rc=$?
t_check "same term: lb1 released its VIPs (${ms} ms)" eval "[ $rc -eq 0 ] && ! t_holds lb1 $vip6"
js=$(t_json lb1)
t_eq "same term: lb1 is a fenced follower" "$(jq -r '"\(.role)/\(.fenced)/\(.dns.fenced)"' <<<"$js")" \
	follower/true/true
t_eq "same term: lb1's dns.last_result" "$(jq -r .dns.last_result <<<"$js")" \
	"stale: fence term 1 of node lb2 above own term 1 of node lb1 (same term: the higher node name wins)"
t_eq "same term: lb2 leads with term 1 and holds the VIP" \
	"$(t_role lb2)/$(t_field lb2 .term)/$(t_holds lb2 "$vip4" && echo held)" leader/1/held
ok1=$(t_field lb1 .dns.updates.ok)
s1=$(sed -n 's/.*seq=//p' <<<"$(fence_text)")
sleep 3
s2=$(sed -n 's/.*seq=//p' <<<"$(fence_text)")
t_check "same term: the fence holds lb2's claim 'term=1 node=lb2' ($(fence_text))" \
	grep -Eq '^term=1 node=lb2 seq=[0-9]+$' <<<"$(fence_text)"
t_check "same term: no rewrite war: 3 s add $((s2 - s1)) to the seq (lb2's renewals: 2..4)" \
	eval "[ $((s2 - s1)) -ge 2 ] && [ $((s2 - s1)) -le 4 ]"
t_eq "same term: lb1 wrote nothing more (updates.ok)" "$(t_field lb1 .dns.updates.ok)" "$ok1"
t_eq "same term: lb1 still a fenced follower without the VIP" \
	"$(t_role lb1)/$(t_field lb1 .fenced)/$(t_holds lb1 "$vip4" && echo held)" follower/true/
t_eq "same term: A points at the VIP" "$(t_dig "$name" A)" "$vip4"
for n in lb1 lb2; do t_exec $n nft delete table inet kcwpart; done
stop_all

# --- the rest of the zone -----------------------------------------------------------------------
t_eq "the zone's other records are untouched (SOA but its serial, NS, ns1, lb1, lb2, sno*, CNAMEs)" \
	"$(others)" "$before"
t_check "named logged no update it could not apply" \
	sh -c "! grep -Eq 'update failed: .*(journal|internal)' '$T_DIR/named.log'"

t_done
