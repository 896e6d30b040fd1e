#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_chaos.sh: the chaos suite (tests/chaos/run.sh: kill -9, SIGSTOP, link down, partitions
# with and without a witness, one-way partition, heartbeat loss, named away during a
# failover, backend flapping, 100 leader changes, host under load) as one integration test for
# tests/run.sh.
# One line per scenario; a skipped scenario (e.g. no witness support in this build) is
# neither passed nor failed. The last line is "N passed, N failed".
set -u
top=${KCW_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
rows=$(mktemp "${TMPDIR:-/tmp}/kcw-chaos-verdicts.XXXXXX")
trap 'rm -f "$rows"' EXIT
KCW_CHAOS_RESULTS=$rows bash "$top/tests/chaos/run.sh" "$@"
rc=$?
passed=0
failed=0
skipped=0
while IFS=$'\t' read -r name _ _ _ verdict _; do
	case "$verdict" in
	PASS) passed=$((passed + 1)); echo "ok - $name" ;;
	SKIP*) skipped=$((skipped + 1)); echo "ok - $name # ${verdict}" ;;
	*) failed=$((failed + 1)); echo "not ok - $name: $verdict" ;;
	esac
done <"$rows"
if [ $rc -ne 0 ] && [ $failed -eq 0 ]; then
	failed=1
	echo "not ok - tests/chaos/run.sh exited $rc"
fi
[ $((passed + failed + skipped)) -gt 0 ] || { failed=1; echo "not ok - no scenario ran"; }
[ $skipped -gt 0 ] && echo "# $skipped skipped"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
