#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/chaos/run.sh [PATTERN...]: the chaos suite. Runs every scenario tests/chaos/sNN_*.sh
# (or those whose name contains a PATTERN), one at a time, each in its own process with its
# own namespaces (lb1 lb2 client w svc on one bridge), and prints one row per scenario:
#
#   scenario   the scenario's name (see the header of each sNN_*.sh for what it does,
#              what it asserts and why the bounds are what they are)
#   outage     client outage in ms: the longest gap between two replies to the client's
#              probes of the VIP (UDP, every 10 ms) during which probes were lost; a gap
#              without a lost probe is a stall of the prober or the service on a loaded
#              machine and is only noted
#   switches   leader claims (active-backend switches for the backend scenario)
#   double     ms the VIP was on both load balancers, in the window the scenario asserts on
#              (e.g. after SIGCONT, after healing; the expected overlap during a partition
#              without a witness is in the notes)
#   verdict    PASS, FAIL with the failed assertions, or SKIP with the reason
#
# Needs root, iproute2, nftables, python3, jq; some scenarios nginx, openssl, named, dig.
# Environment: KCW_BUILD (built tree; default $KCW_TOP/build), KCW_CHAOS_RESULTS (rows are
# appended there too, tab-separated), KCW_CHAOS_LOGS (where the output and logs of failing
# scenarios are kept; default a new kcw-chaos.* directory in $TMPDIR, removed when all passed),
# KCW_CHAOS_TIMEOUT (per scenario, default 150 s), KCW_CHAOS_BUDGET (default 420 s: a
# scenario that would start later is reported as skipped, so that the whole run stays
# inside tests/run.sh's 600 s per test), and each scenario's own KCW_CHAOS_* durations.
# Exit status 1 when a scenario failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
export KCW_TOP=${KCW_TOP:-$(cd "$here/../.." && pwd)}
export KCW_BUILD=${KCW_BUILD:-$KCW_TOP/build}
timeout_s=${KCW_CHAOS_TIMEOUT:-150}
budget_s=${KCW_CHAOS_BUDGET:-420}
logs=${KCW_CHAOS_LOGS:-}
own_logs=
[ -n "$logs" ] || { logs=$(mktemp -d "${TMPDIR:-/tmp}/kcw-chaos.XXXXXX"); own_logs=1; }
mkdir -p "$logs"
export KCW_CHAOS_LOGS=$logs
rows=$(mktemp "${TMPDIR:-/tmp}/kcw-chaos-rows.XXXXXX")
trap 'rm -f "$rows"' EXIT

selected() { # NAME
	[ $# -gt 0 ] || return 0
	local p
	for p in "${patterns[@]}"; do
		case "$1" in *"$p"*) return 0 ;; esac
	done
	return 1
}
patterns=("$@")

start=$(date +%s)
for f in "$here"/s[0-9][0-9]_*.sh; do
	name=$(basename "$f" .sh)
	[ ${#patterns[@]} -eq 0 ] || selected "$name" || continue
	before=$(wc -l <"$rows")
	if [ $(($(date +%s) - start)) -ge "$budget_s" ]; then
		printf '%s\t-\t-\t-\t%s\t-\n' "$name" "SKIP: the chaos run's time budget (${budget_s} s) is used up" >>"$rows"
		continue
	fi
	printf '==> %s ... ' "$name"
	t0=$(date +%s)
	KCW_CHAOS_RESULTS=$rows timeout --kill-after=15 "$timeout_s" bash "$f" >"$logs/$name.out" 2>&1
	rc=$?
	echo "$(($(date +%s) - t0)) s (exit $rc)"
	if [ "$(wc -l <"$rows")" -eq "$before" ]; then
		why="no result (exit $rc)"
		[ $rc -eq 124 ] && why="timed out after ${timeout_s} s"
		printf '%s\t-\t-\t-\tFAIL: %s\t-\n' "$name" "$why" >>"$rows"
	fi
	# a scenario that reports PASS but exits non-zero is not a pass
	if [ $rc -ne 0 ] && tail -1 "$rows" | cut -f5 | grep -q '^PASS'; then
		sed -i '$ s/\tPASS\t/\tFAIL: exit status '"$rc"'\t/' "$rows"
	fi
	tail -1 "$rows" | cut -f5 | grep -q '^FAIL' && echo "    output: $logs/$name.out"
done
elapsed=$(($(date +%s) - start))

echo
printf '%-18s %9s %9s %9s  %s\n' scenario "outage ms" switches "double ms" verdict
printf '%-18s %9s %9s %9s  %s\n' ------------------ --------- --------- --------- -------
failed=0
while IFS=$'\t' read -r name outage switches double verdict notes; do
	printf '%-18s %9s %9s %9s  %s\n' "$name" "$outage" "$switches" "$double" "$verdict"
	[ "$notes" != "-" ] && printf '%-18s %s\n' "" "notes: $notes"
	case "$verdict" in FAIL*) failed=$((failed + 1)) ;; esac
done <"$rows"
echo
echo "chaos run: $(wc -l <"$rows") scenarios in ${elapsed} s; $failed failed"
[ -n "${KCW_CHAOS_RESULTS:-}" ] && cat "$rows" >>"$KCW_CHAOS_RESULTS"
if [ "$failed" -gt 0 ]; then
	echo "outputs and logs of the failed scenarios: $logs"
	exit 1
fi
[ -n "$own_logs" ] && [ -z "${KCW_CHAOS_KEEP_ALL:-}" ] && rm -rf "$logs"
exit 0
