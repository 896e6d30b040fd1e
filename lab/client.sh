#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# lab/client.sh: the lab's user. Runs in the kcwlab-client namespace (demo.sh starts it).
# A resolver loop asks the lab's named for keycloak.local.mylab.io (dig @10.88.0.10) every
# 500 ms. The request loop fetches https://keycloak.local.mylab.io/realms/mylab/ from the
# address last found (curl --resolve, verifying the lab CA): one request every INTERVAL_MS,
# each on a new TLS connection ("Connection: close"), in batches of 20 per curl process
# (curl --rate) so that starting curl does not limit the rate; the address is read again
# before each batch. One line per event in LOG:
#   START END DNS ADDRESS                        the answer changed
#   START END OK  INSTANCE LB                    a page, from Keycloak INSTANCE through LB
#   START END ERR INSTANCE LB DETAIL...          anything else ("-" when unknown)
# START and END: when the query or request began and ended (epoch milliseconds).
# Both loops stop when /run/kcwatch-lab/client/stop appears, on SIGTERM, or after MAX_S s.
# Usage: client.sh LOG [INTERVAL_MS] [MAX_S]
set -u
log=$1
interval=${2:-50}
max_s=${3:-600}
name=keycloak.local.mylab.io
dns=10.88.0.10
ca=/run/kcwatch-lab/pki/ca.pem
dir=/run/kcwatch-lab/client
stopfile=$dir/stop
addrfile=$dir/address
url="https://$name/realms/mylab/"
batch=20

# Milliseconds without forking (bash 5).
now() { local t=$EPOCHREALTIME; T=$((${t%.*} * 1000 + 10#${t#*.} / 1000)); }
# Sleeping without forking: read with a timeout on a FIFO nobody writes to.
mkfifo "$dir/.sleep" "$dir/.curl" 2>/dev/null
exec 9<>"$dir/.sleep"
nap() { read -r -t "$1" -u 9 _; } # SECONDS (fraction allowed)

now
end=$((T + max_s * 1000))

# The resolver, in the background.
(
	trap 'exit 0' TERM
	ip=""
	while [ ! -e "$stopfile" ]; do
		now
		[ "$T" -lt "$end" ] || break
		t=$T
		a=$(dig "@$dns" +norec +time=1 +tries=1 +short "$name" A 2>/dev/null | grep -m1 -E '^[0-9.]+$')
		if [ -n "$a" ] && [ "$a" != "$ip" ]; then
			ip=$a
			echo "$ip" >"$addrfile.new" && mv "$addrfile.new" "$addrfile"
			now
			echo "$t $T DNS $ip" >>"$log"
		fi
		nap 0.5
	done
) &
resolver=$!
curlpid=""
trap 'kill $resolver $curlpid 2>/dev/null' EXIT
trap 'exit 0' TERM INT

ip=""
while [ ! -e "$stopfile" ]; do
	now
	[ "$T" -lt "$end" ] || break
	[ -s "$addrfile" ] && read -r ip <"$addrfile"
	if [ -z "$ip" ]; then
		nap 0.1
		continue
	fi
	stdbuf -oL curl -sS -o /dev/null --noproxy '*' --resolve "$name:443:$ip" --cacert "$ca" \
		--connect-timeout 1 --max-time 2 -H 'Connection: close' --rate "$((60000 / interval))/m" \
		-w '%{http_code}|%header{x-keycloak-instance}|%header{x-served-by}|%{exitcode}|%{time_total}|%{errormsg}\n' \
		"$url?n=[1-$batch]" >"$dir/.curl" 2>/dev/null &
	curlpid=$!
	while IFS='|' read -r code inst lb rc tt msg; do
		now
		tt=${tt:-0.000000}
		ms=$((10#${tt%.*} * 1000 + 10#${tt#*.} / 1000))
		inst=${inst:--}
		lb=${lb:--}
		if [ "$rc" = 0 ] && [ "$code" = 200 ] && [ "$inst" != - ]; then
			echo "$((T - ms)) $T OK $inst $lb" >>"$log"
		elif [ "$rc" = 0 ]; then
			echo "$((T - ms)) $T ERR $inst $lb HTTP $code" >>"$log"
		else
			echo "$((T - ms)) $T ERR $inst $lb curl $rc: ${msg:-failed}" >>"$log"
		fi
	done <"$dir/.curl"
	wait "$curlpid"
	curlpid=""
done
