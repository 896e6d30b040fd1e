# SPDX-License-Identifier: MIT
# lab/lib_drill.sh: the drill's checks for demo.sh: events, expectations, and the predicates they
# test (kcwatchd's status, VIPs, HAProxy, DNS, the client's log). Sourced after lib.sh, not run.
# Every check is one line in $EVENTS ("ok ..." or "FAIL ..."), counted per step.
# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are used by demo.sh and lib_report.sh

EVENTS=$LAB_DIR/drill/events
CLIENT_LOG=$LAB_DIR/client/requests.log
STEP=0
declare -a STEP_T STEP_TITLE STEP_OK STEP_BAD STEP_MAXOUT
PASS=0
FAIL=0
WAIT_MS=0
SEEN=""  # what the last predicate saw, for failure messages

ev() { printf '%s\t%s\t%s\n' "$(now_ms)" "$1" "$2" >>"$EVENTS"; } # SOURCE TEXT
ok() { PASS=$((PASS + 1)); STEP_OK[STEP]=$((STEP_OK[STEP] + 1)); ev check "ok    $*"; }
bad() { FAIL=$((FAIL + 1)); STEP_BAD[STEP]=$((STEP_BAD[STEP] + 1)); ev check "FAIL  $*"; }
info() { ev info "$*"; }

# expect DESC CMD...: passes when CMD succeeds now.
expect() {
	local d=$1
	shift
	SEEN=""
	if "$@"; then ok "$d"; else bad "$d${SEEN:+ (saw: $SEEN)}"; fi
}
# expect_within LIMIT_MS DESC CMD...: passes when CMD succeeds within LIMIT_MS.
expect_within() {
	local limit=$1 d=$2
	shift 2
	SEEN=""
	if wait_until "$limit" "$d" "$@"; then
		ok "$d ($WAIT_MS ms)"
		return 0
	fi
	lab_progress_clear
	bad "$d: not within $limit ms${SEEN:+ (saw: $SEEN)}"
	return 1
}

# Predicates (set SEEN).
# status_is NODE FILTER LABEL WANT: FILTER on NODE's status --json gives WANT.
status_is() {
	local v
	v=$(jf "$1" "$2")
	SEEN="$1 $3=${v:-?}"
	[ "$v" = "$4" ]
}
follows() { status_is "$1" '.role + " of " + (.leader // "nobody")' role "follower of $2"; } # NODE LEADER
leader_is() { # NODE [OTHER]: NODE leads; OTHER (when given) follows it
	local rc=0 was
	status_is "$1" .role role leader || return 1
	[ -z "${2:-}" ] && return 0
	was=$SEEN
	follows "$2" "$1" || rc=1
	SEEN="$was, $SEEN"
	return $rc
}
active_is() { status_is "$1" '.active_backend // "none"' active_backend "$2"; } # NODE BACKEND
backend_state_is() { # NODE BACKEND STATE
	status_is "$1" ".backends[] | select(.name == \"$2\") | .state" "$2" "$3"
}
switches_are() { status_is "$1" .backend_switches backend_switches "$2"; } # NODE N
hap_is() { # NODE "sno1:ready sno2:maint"
	local s
	s=$(hap_state "$1")
	SEEN="$1 HAProxy: ${s:-no answer}"
	[ "$s" = "$2" ]
}
vip_where() { # NODE: holds both VIPs and the status says so
	local v h
	v=$(vips_on "$1")
	h=$(jf "$1" '[.vips[].held] | all')
	SEEN="$1 has '${v}', status held=$h"
	[ "$v" = "$LAB_VIP4 $LAB_VIP6" ] && [ "$h" = true ]
}
vip_not_on() { # NODE
	local v
	v=$(vips_on "$1")
	SEEN="$1 has '$v'"
	[ -z "$v" ]
}
dns_answer_is() { # TYPE WANT
	local a
	a=$(dq "$LAB_NAME" "$1")
	SEEN="$LAB_NAME $1 $a"
	[ "$a" = "$2" ]
}
dns_fenced_by() { # NODE: the fence is NODE's current term and its last result an update
	local t f r
	t=$(jf "$1" .term)
	f=$(jf "$1" '.dns.fence_term // "none"')
	r=$(jf "$1" '.dns.last_result // ""')
	SEEN="$1 term $t, dns.fence_term $f, last_result '$r'"
	[ "$f" = "$t" ] && [[ $r == updated* ]]
}
# The address the DNS name should have with NODE leading and BACKEND active.
dns_want_a() { # LEADER BACKEND
	case $CONF_TARGET in
	self) lab_ip4 "$1" ;;
	*) echo "$LAB_VIP4" ;;
	esac
}
dns_want_aaaa() { # (self: the node addresses are IPv4, so no AAAA)
	case $CONF_TARGET in
	self) echo "" ;;
	*) echo "$LAB_VIP6" ;;
	esac
}
client_ok_since() { # SINCE_MS INSTANCE LB("*" = any): an answer like that since SINCE
	local n
	n=$(awk -v s="$1" -v i="$2" -v l="$3" '$1 >= s && $3 == "OK" && $4 == i && (l == "*" || $5 == l) { n++ } END { print n + 0 }' "$CLIENT_LOG" 2>/dev/null)
	SEEN="client: $n such answers; last: $(tail -n 1 "$CLIENT_LOG" 2>/dev/null | cut -d' ' -f3-)"
	[ "$n" -ge 1 ]
}
client_answers() { # FROM_MS TO_MS INSTANCE -> how many answers of INSTANCE arrived in between
	awk -v a="$1" -v b="$2" -v i="$3" '$2 >= a && $2 < b && $3 == "OK" && $4 == i { n++ } END { print n + 0 }' \
		"$CLIENT_LOG" 2>/dev/null
}
client_instances() { # FROM_MS TO_MS -> the instances that answered, sorted unique
	awk -v a="$1" -v b="$2" '$1 >= a && $1 < b && $3 == "OK" { print $4 }' "$CLIENT_LOG" 2>/dev/null |
		sort -u | tr '\n' ' ' | sed 's/ $//'
}

# What to expect from the HAProxy runtime API with BACKEND active.
hap_want() { [ "$1" = sno1 ] && echo "sno1:ready sno2:maint" || echo "sno1:maint sno2:ready"; }
hap_text() { [ "$1" = sno1 ] && echo "sno1 ready, sno2 in maintenance" || echo "sno1 in maintenance, sno2 ready"; }
# expect_hap_within LIMIT_MS NODE... BACKEND: HAProxy on each NODE has BACKEND ready, the other in
# maintenance, within LIMIT_MS.
expect_hap_within() {
	local limit=$1 want=${*: -1} h
	for h in "${@:2:$#-2}"; do
		expect_within "$limit" "HAProxy on $h: $(hap_text "$want")" hap_is "$h" "$(hap_want "$want")"
	done
}

http_code_is() { # CODE URL ADDRESS
	local host port c
	host=${2#*://}
	host=${host%%/*}
	case $2 in https:*) port=443 ;; *) port=80 ;; esac
	c=$(lab_exec client curl -s -o /dev/null -w '%{http_code}' --noproxy '*' --max-time 2 \
		--cacert "$LAB_DIR/pki/ca.pem" --resolve "$host:$port:$3" "$2" 2>/dev/null)
	SEEN="HTTP $c"
	[ "$c" = "$1" ]
}
ipv6_page_is() { # INSTANCE LB
	local h
	h=$(lab_exec client curl -s -o /dev/null -w '%header{x-keycloak-instance} %header{x-served-by}' \
		--noproxy '*' --max-time 2 --cacert "$LAB_DIR/pki/ca.pem" \
		--resolve "$LAB_NAME:443:[$LAB_VIP6]" "https://$LAB_NAME/realms/mylab/" 2>/dev/null)
	SEEN="$h"
	[ "$h" = "$1 $2" ]
}
