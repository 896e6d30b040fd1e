#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# lab/demo.sh: the whole Keycloak HA topology of the reference deployment on one machine, in
# network namespaces, with a failure drill. See usage() below, or run ./lab/demo.sh --help.
set -uo pipefail

LAB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$LAB_SRC/.." && pwd)
# shellcheck source=lab/lib.sh
. "$LAB_SRC/lib.sh"
# shellcheck source=lab/lib_setup.sh
. "$LAB_SRC/lib_setup.sh"
# shellcheck source=lab/lib_drill.sh
. "$LAB_SRC/lib_drill.sh"
# shellcheck source=lab/lib_report.sh
. "$LAB_SRC/lib_report.sh"

usage() {
	cat <<EOF
Usage: ./lab/demo.sh [drill] [OPTIONS]   set the lab up, run the failure drill, tear it all down
       ./lab/demo.sh up [OPTIONS]        set the lab up and leave it running
       ./lab/demo.sh status              what the running lab does now
       ./lab/demo.sh down                stop everything the lab started, delete its namespaces

The lab (Debian 12, as root): namespaces $LAB_NS_PREFIX-* on a bridge, 10.88.0.0/24 and fd88::/64:
  sno1, sno2   Keycloak stand-ins: nginx with TLS (lab CA), health on 9000 and 443, a page naming them
  lb1, lb2     HAProxy as in the reference deployment + kcwatchd (lab/kcwatch.conf)
  dns          named with the zone $LAB_ZONE, updated by kcwatchd with TSIG
  client       requests https://$LAB_NAME/realms/mylab/ every 50 ms during the drill
VIP $LAB_VIP4 / $LAB_VIP6 = $LAB_NAME. The first run installs the Debian packages it
needs (tests/deps.sh) and builds kcwatch in ./build; later runs reuse that build.

The drill, printed as a timeline in seconds.milliseconds, then a summary:
  1. everything up: kcwatchctl status of both LBs, dig answer, the client reaches sno1
  2. kill -9 of the leader's kcwatchd: the VIP moves, DNS follows, the client stays on sno1
  3. sno1 stops: both LBs switch to sno2, the client reaches sno2
  4. sno1 starts again: no fail-back before the hold ([backends] failback), then back to sno1
  5. the killed kcwatchd starts again: it rejoins as follower (or preempts with --preempt)
It exits 0 when every expectation held, 1 otherwise. Ctrl-C cleans up.

Options:
  --batch            plain output without colours or progress line (the default when stdout
                     is not a terminal); for scripts and tests
  --pause            wait for Enter between the steps of the drill
  --preempt          preempt = yes: the returning lb1 takes the VIP back in step 5
  --dns-target T     [dns] target = vip (default): the name keeps pointing at the VIP, the
                     new leader re-asserts it; self: it follows the leader's own address
  --keep             after the drill leave the lab running (then: status, down)
  --no-install       do not install Debian packages
  -h, --help         this help

Environment:
  KCW_BUILD=DIR      use kcwatchd and kcwatchctl built in DIR (no build), as tests/run.sh does
  KCW_LAB_KEEP_LOGS=1  keep the logs (copied to ${TMPDIR:-/tmp}/kcwatch-lab-logs.*) also when all went well

Once up: ./lab/demo.sh status; kcwatchctl -s $LAB_DIR/lb1/kcwatchd.sock status;
ip netns exec $LAB_NS_PREFIX-client curl ...; logs in $LAB_DIR/logs. Run ./lab/demo.sh up
and read what it prints for more.
EOF
}

# --- options ---------------------------------------------------------------------------------
CMD=drill
BATCH=0
PAUSE=0
PREEMPT=""
DNS_TARGET=""
KEEP=0
NO_INSTALL=0
while [ $# -gt 0 ]; do
	case $1 in
	drill | up | status | down) CMD=$1 ;;
	--batch) BATCH=1 ;;
	--pause) PAUSE=1 ;;
	--preempt) PREEMPT=yes ;;
	--dns-target)
		[ $# -ge 2 ] || { echo "--dns-target needs vip or self" >&2; exit 2; }
		DNS_TARGET=$2
		shift
		;;
	--dns-target=*) DNS_TARGET=${1#*=} ;;
	--keep) KEEP=1 ;;
	--no-install) NO_INSTALL=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case $DNS_TARGET in "" | vip | self) ;; *) echo "--dns-target: vip or self" >&2; exit 2 ;; esac
[ -t 1 ] || BATCH=1
lab_output_init "$BATCH"

# --- the drill: five steps, each a timeline of what happened and what was checked -----------
VICTIM=lb1 # the leader at the start, whose kcwatchd step 2 kills
OTHER=lb2
SW0=0      # backend switches before the drill

step1() {
	local t
	step_begin "everything up"
	expect_within 5000 "one leader: lb1 (priority 150), lb2 follows it" leader_is lb1 lb2 ||
		{ leader_is lb2 lb1 && info "lb2 leads instead (election timing): the drill goes on with it"; }
	if leader_is lb2 lb1; then VICTIM=lb2 OTHER=lb1; else VICTIM=lb1 OTHER=lb2; fi
	expect_within 2000 "$VICTIM holds the VIPs $LAB_VIP4 and $LAB_VIP6" vip_where "$VICTIM"
	expect "$OTHER does not hold them" vip_not_on "$OTHER"
	expect_within 5000 "active backend sno1 on $VICTIM (the leader checks)" active_is "$VICTIM" sno1
	expect_within 3000 "active backend sno1 on $OTHER (adopted from the leader)" active_is "$OTHER" sno1
	expect "both backends up" backend_state_is "$VICTIM" sno2 up
	expect_hap_within 3000 lb1 lb2 sno1
	SW0=$(jf "$VICTIM" .backend_switches)
	info "backend switches so far: $SW0"
	expect_within 5000 "DNS: $VICTIM wrote the name and holds the fence (its term)" dns_fenced_by "$VICTIM"
	expect_within 5000 "dig @$LAB_DNS_SERVER $LAB_NAME A: $(dns_want_a "$VICTIM" sno1)" \
		dns_answer_is A "$(dns_want_a "$VICTIM" sno1)"
	expect "dig $LAB_NAME AAAA: $(dns_want_aaaa)" dns_answer_is AAAA "$(dns_want_aaaa)"
	info "dig TXT _kcwatch.$LAB_NAME (the fence): $(dq "_kcwatch.$LAB_NAME" TXT)"

	# The client starts now; it runs until the end of the drill (bounded to 10 minutes).
	: >"$CLIENT_LOG"
	proc_start client client - bash "$LAB_SRC/client.sh" "$CLIENT_LOG" 50 600
	t=$(now_ms)
	ev drill "client starts: https://$LAB_NAME/realms/mylab/ every 50 ms"
	expect_within 5000 "the client reaches sno1 through $VICTIM" client_ok_since "$t" sno1 "$VICTIM"
	expect "the admin console is not forwarded: /admin/ through the VIP is refused (403)" \
		http_code_is 403 "https://$LAB_NAME/admin/master/console/" "$LAB_VIP4"
	expect "... while sno1 itself serves it (200)" \
		http_code_is 200 "https://keycloak-rhbk.apps.sno1.local.mylab.io/admin/master/console/" "$(lab_ip4 sno1)"
	expect "http:// is redirected to https:// (302)" http_code_is 302 "http://$LAB_NAME/realms/mylab/" "$LAB_VIP4"
	expect "the VIP answers over IPv6 too (sno1 through $VICTIM)" ipv6_page_is sno1 "$VICTIM"
	sleep 0.5
	step_end
	say ""
	show_status lb1 lb2
}

step2() {
	local t term_before vt ot took pid
	step_begin "kill -9 the leader's kcwatchd ($VICTIM)"
	term_before=$(jf "$VICTIM" .term)
	pid=$(proc_pid "$VICTIM-kcwatchd")
	t=$(now_ms)
	kill -KILL "$pid"
	printf '%s\t%s\t%s\n' "$t" drill "kill -9 $VICTIM's kcwatchd (PID $pid)" >>"$EVENTS"
	proc_stop "$VICTIM-kcwatchd" KILL
	expect_within 4000 "$OTHER leads" leader_is "$OTHER"
	vt=$(grep -a 'role follower -> leader' "$LAB_DIR/logs/$OTHER-kcwatchd.log" | tail -n 1 | cut -c1-12)
	if [ -n "$vt" ]; then
		took=$(($(date -d "$vt" +%s%3N) - t))
		expect "$OTHER took over $took ms after the kill (dead after 3 x 200 ms; at most 3 s on a busy machine)" \
			[ "$took" -le 3000 ]
	fi
	ot=$(jf "$OTHER" .term)
	expect "with a higher term ($ot > $term_before)" [ "${ot:-0}" -gt "${term_before:-0}" ]
	expect_within 2000 "$OTHER holds the VIPs" vip_where "$OTHER"
	expect_within 5000 "the client reaches sno1 through $OTHER: the VIP moved" client_ok_since "$t" sno1 "$OTHER"
	info "$VICTIM still has '$(vips_on "$VICTIM")' on eth0: a killed kcwatchd cannot remove it; clients follow $OTHER's announcements, and $VICTIM's kcwatchd removes it when it starts again"
	expect "the active backend did not change: sno1 on $OTHER" active_is "$OTHER" sno1
	expect "no backend switch ($SW0)" switches_are "$OTHER" "$SW0"
	expect "HAProxy on $OTHER unchanged: sno1 ready" hap_is "$OTHER" "$(hap_want sno1)"
	expect_within 5000 "DNS: $OTHER took the fence over with its term $ot" dns_fenced_by "$OTHER"
	expect_within 5000 "dig $LAB_NAME A: $(dns_want_a "$OTHER" sno1)" dns_answer_is A "$(dns_want_a "$OTHER" sno1)"
	expect "dig $LAB_NAME AAAA: $(dns_want_aaaa)" dns_answer_is AAAA "$(dns_want_aaaa)"
	info "dig TXT _kcwatch.$LAB_NAME (the fence): $(dq "_kcwatch.$LAB_NAME" TXT)"
	sleep 1
	expect "the client was answered by sno1 only" [ "$(client_instances "${STEP_T[STEP]}" "$(now_ms)")" = sno1 ]
	step_end
}

step3() {
	local t
	step_begin "stop sno1"
	t=$(now_ms)
	ev drill "stop sno1's nginx (SIGTERM)"
	proc_stop sno1-nginx TERM 30
	expect_within 3000 "$OTHER (leader): sno1 down" backend_state_is "$OTHER" sno1 down
	expect_within 1000 "$OTHER: active backend sno2" active_is "$OTHER" sno2
	expect_hap_within 3000 "$OTHER" sno2
	expect "one backend switch ($((SW0 + 1)))" switches_are "$OTHER" $((SW0 + 1))
	expect_within 5000 "the client reaches sno2 through $OTHER" client_ok_since "$t" sno2 "$OTHER"
	info "$VICTIM: kcwatchd is down since step 2, so its HAProxy keeps its last state ($(hap_state "$VICTIM")); it carries no traffic, and step 5 brings it in line"
	sleep 0.5
	step_end
}

# expect_failback_held T T_UP T_SW: the switch came after sno1 stayed up for the hold, by
# kcwatchd's own account (the reason says "failback to sno1 after N ms up"; with sno1's
# since_ms_ago it also dates the switch, no earlier than sw_lower), and no answer from sno1 reached
# the client before it.
expect_failback_held() {
	local t=$1 t_up=$2 t_sw=$3 now since reason held sw_lower
	now=$(now_ms)
	IFS=$'\t' read -r since reason < <(js "$OTHER" |
		jq -r '[(.backends[] | select(.name == "sno1") | .since_ms_ago), .backend_switch_reason] | @tsv')
	held=$(sed -n 's/.*after \([0-9]*\) ms up.*/\1/p' <<<"$reason")
	[ -n "$held" ] || held=$((t_sw - t_up))
	sw_lower=$((now - ${since:-0} + held))
	info "switch reason: $reason"
	if [ "$held" -ge "$HOLD_MS" ] && [ "$held" -le $((HOLD_MS + 2000)) ]; then
		ok "fail-back to sno1 after sno1 stayed up $(fmt_s "$held") s (hold $((HOLD_MS / 1000)) s)"
	else
		bad "fail-back to sno1 after sno1 stayed up $(fmt_s "$held") s (want $((HOLD_MS / 1000)) s .. +2 s)"
	fi
	expect "no answer from sno1 reached the client before the fail-back" \
		[ "$(client_answers "$t" "$sw_lower" sno1)" -eq 0 ]
}

step4() {
	local t t_up since start t_sw
	step_begin "start sno1 again: fail-back only after the hold ($((HOLD_MS / 1000)) s)"
	t=$(now_ms)
	ev drill "start sno1's nginx"
	start_nginx sno1
	expect_within 5000 "$OTHER: sno1 up again" backend_state_is "$OTHER" sno1 up
	start=$(now_ms)
	since=$(jf "$OTHER" '.backends[] | select(.name == "sno1") | .since_ms_ago')
	t_up=$((start - ${since:-0}))
	info "sno1 counts as up since $(fmt_s $((t_up - T0))) s: fail-back due at $(fmt_s $((t_up + HOLD_MS - T0))) s"
	expect "no fail-back yet: active backend still sno2" active_is "$OTHER" sno2
	# The switch back: due HOLD_MS after t_up; waited for until 5 s later.
	start=$(now_ms)
	t_sw=0
	if wait_until $((t_up + HOLD_MS + 5000 - start)) "waiting for the fail-back ($((HOLD_MS / 1000)) s hold)" \
		active_is "$OTHER" sno1; then
		t_sw=$((start + WAIT_MS))
		expect_failback_held "$t" "$t_up" "$t_sw"
	else
		bad "fail-back to sno1 within the hold + 5 s (active: $(jf "$OTHER" .active_backend))"
	fi
	expect_hap_within 3000 "$OTHER" sno1
	expect "two backend switches ($((SW0 + 2)))" switches_are "$OTHER" $((SW0 + 2))
	expect_within 5000 "the client reaches sno1 through $OTHER" client_ok_since "${t_sw:-$t}" sno1 "$OTHER"
	sleep 0.5
	step_end
}

step5() {
	local t want_leader want_follower
	step_begin "restart $VICTIM's kcwatchd (preempt = $CONF_PREEMPT)"
	t=$(now_ms)
	ev drill "start $VICTIM's kcwatchd"
	start_kcwatchd "$VICTIM"
	if [ "$CONF_PREEMPT" = yes ] && [ "$VICTIM" = lb1 ]; then
		want_leader=$VICTIM want_follower=$OTHER
		expect_within 4000 "$VICTIM (priority 150) preempts: it leads, $OTHER follows" leader_is "$VICTIM" "$OTHER"
	else
		want_leader=$OTHER want_follower=$VICTIM
		expect_within 4000 "$VICTIM rejoins as follower of $OTHER" follows "$VICTIM" "$OTHER"
		sleep 1
		expect "a second later: $OTHER still leads, $VICTIM follows" leader_is "$OTHER" "$VICTIM"
	fi
	expect_within 2000 "$want_leader holds the VIPs" vip_where "$want_leader"
	expect_within 2000 "$want_follower holds none (leftovers removed)" vip_not_on "$want_follower"
	expect_within 3000 "$VICTIM: active backend sno1 (adopted)" active_is "$VICTIM" sno1
	expect "$VICTIM counts the same switches ($((SW0 + 2)))" switches_are "$VICTIM" $((SW0 + 2))
	expect_hap_within 3000 lb1 lb2 sno1
	expect_within 5000 "DNS: the fence is $want_leader's" dns_fenced_by "$want_leader"
	expect_within 5000 "dig $LAB_NAME A: $(dns_want_a "$want_leader" sno1)" \
		dns_answer_is A "$(dns_want_a "$want_leader" sno1)"
	expect_within 5000 "the client reaches sno1 through $want_leader" client_ok_since "$t" sno1 "$want_leader"
	sleep 1
	step_end
	say ""
	show_status lb1 lb2
}

drill() {
	STEP_MAXOUT=([1]=0 [2]=1000 [3]=4000 [4]=1000 [5]=1000) # the longest client outage allowed (ms)
	step1
	step2
	step3
	step4
	step5
	touch "$LAB_DIR/client/stop"
	proc_stop client TERM 30
	head1 "summary"
	summary_steps
	summary_client "$OTHER" "$SW0"
	summary_result
}

# --- main ------------------------------------------------------------------------------------
on_exit() {
	local rc=$?
	# A signal may come while a command runs with its output elsewhere (wait_until sends a
	# predicate's to /dev/null): speak through the drill's own output, kept as 7 and 8.
	exec 1>&7 2>&8
	lab_progress_clear
	if [ "$CLEANUP" -eq 1 ]; then
		[ $rc -ne 0 ] && [ $rc -ne 130 ] && LAB_SAVE_LOGS=1
		lab_down 1
		say "cleaned up: every process and namespace of the lab is gone"
		say "total run time: $(fmt_s $(($(now_ms) - START_MS))) s (packages, build, set-up, drill, clean-up)"
	fi
	exit $rc
}
CLEANUP=0
LAB_SAVE_LOGS=0
START_MS=$(now_ms)

case $CMD in
status)
	need_root
	lab_status
	;;
down)
	need_root
	lab_down 0
	;;
up | drill)
	need_root
	lab_refuse_if_up
	install_packages
	build_kcwatch
	KCWATCHCTL=$BIN/ctl/kcwatchctl
	need_tools
	lab_refuse_if_up
	CLEANUP=1
	exec 7>&1 8>&2 # for on_exit; proc_start closes them for the daemons
	trap on_exit EXIT
	trap 'exit 130' INT TERM HUP
	if ! lab_up; then
		say "the lab could not be set up; the logs are kept (see below)"
		exit 1
	fi
	if [ "$CMD" = up ]; then
		CLEANUP=0
		trap - EXIT INT TERM HUP
		wait_until 5000 "election" leader_is lb1 lb2 || wait_until 2000 "election" leader_is lb2 lb1
		wait_until 5000 "backend choice" active_is lb2 sno1
		show_status lb1 lb2
		up_help
		exit 0
	fi
	head1 "the drill (times in seconds since the start of the set-up)"
	drill
	rc=$?
	if [ "$KEEP" -eq 1 ]; then
		CLEANUP=0
		up_help
	fi
	exit $rc
	;;
esac
