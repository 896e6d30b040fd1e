#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/integration/test_lab.sh: runs the lab's failure drill (./lab/demo.sh --batch, with
# KCW_BUILD from tests/run.sh so that it does not build) and asserts its exit status and
# summary; then interrupts a second run as Ctrl-C would and checks that it cleaned up.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
t_require_root

demo=$KCW_TOP/lab/demo.sh
export KCW_BUILD

lab_gone() { # nothing of the lab is left: namespaces, state dir, processes
	! ip netns list 2>/dev/null | grep -q '^kcwlab-' &&
		[ ! -e /run/kcwatch-lab ] &&
		[ -z "$(ps -eo args= | awk '/\/run\/kcwatch-la[b]|lab\/(haproxy\.cf[g]|named\.con[f]|nginx\.con[f]|client\.s[h])/')" ]
}

if ! lab_gone; then
	t_notok "a lab is already up: not touching it (./lab/demo.sh down stops it)"
	t_done
	exit 1
fi

# --- the drill ------------------------------------------------------------------------------
out=$T_DIR/drill.out
start=$(t_now)
timeout --kill-after=10 300 "$demo" --batch >"$out" 2>&1 # installs curl, which tests/deps.sh lacks
rc=$?
el=$(($(t_now) - start))
sed 's/^/  | /' "$out"
t_eq "the drill exits 0" "$rc" 0
t_le "it takes less than 3 minutes (ms)" "$el" 180000
t_check "result: PASS, every step available, nothing failed" \
	grep -qE '^result: PASS \([0-9]+ checks passed, 0 failed, 0 not available yet\)' "$out"
t_check "no check failed" sh -c "! grep -q 'FAIL' '$out'"
for i in 1 2 3 4 5; do
	t_check "the timeline shows step $i" grep -q "\] ---- step $i: " "$out"
	t_check "summary: step $i ok" grep -qE "^$i +.* ms +[0-9]+  ok \([0-9]+ checks\)$" "$out"
done
t_check "summary: 2 backend switches as planned, and the client saw both" \
	grep -qx 'backend switches: 2 (planned 2; seen by the client: 2)' "$out"
t_check "summary: the client followed the VIP from lb1 to lb2" \
	grep -qx 'load balancer changes seen by the client: lb1 -> lb2' "$out"
outage() { awk -v s="$1" '$1 == s && $(NF - 4) == "ms" { print $(NF - 5) }' "$out" | grep -E '^[0-9]+$' || echo 999999; }
t_le "step 2 (kill -9 of the leader): client outage (ms)" "$(outage 2)" 1000
t_le "step 3 (sno1 stops): client outage (ms)" "$(outage 3)" 4000
t_le "step 4 (fail-back after the hold): client outage (ms)" "$(outage 4)" 1000
t_le "step 5 (lb1 returns): client outage (ms)" "$(outage 5)" 1000
t_check "the fail-back waited for the hold" grep -qE 'ok +fail-back to sno1 after sno1 stayed up 1[0-9]\.[0-9]{3} s' "$out"
t_check "the drill says it cleaned up" grep -qx 'cleaned up: every process and namespace of the lab is gone' "$out"
t_check "nothing of the lab is left" lab_gone

# --- Ctrl-C in the middle ----------------------------------------------------------------------
# With job control the drill gets its own process group, which then receives SIGINT like
# a terminal's foreground job on Ctrl-C.
set -m
"$demo" --batch --no-install >"$T_DIR/interrupted.out" 2>&1 &
pid=$!
set +m
t_wait 60000 test -f /run/kcwatch-lab/pids/lb2-kcwatchd.pid >/dev/null
sleep 5 # let the drill get going
kill -INT -- "-$pid" 2>/dev/null
for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && { kill -KILL -- "-$pid" 2>/dev/null; t_notok "the interrupted drill did not stop within 30 s"; }
wait "$pid"
rc=$?
t_eq "Ctrl-C: the drill exits with 130" "$rc" 130
t_check "Ctrl-C: it says it cleaned up" grep -qx 'cleaned up: every process and namespace of the lab is gone' "$T_DIR/interrupted.out"
t_check "Ctrl-C: nothing of the lab is left" lab_gone
[ "$T_FAIL" -gt 0 ] && sed 's/^/  | /' "$T_DIR/interrupted.out"

t_done
