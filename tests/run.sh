#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/run.sh: installs what the suite needs (Debian 12, as root), builds, runs every test.
#   ./tests/run.sh            everything: unit tests, make distcheck, integration tests
#   ./tests/run.sh PATTERN    only integration tests whose file name contains PATTERN
# The last line is "N passed, N failed"; the exit status is non-zero when anything failed.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build"
pattern="${1:-}"

# shellcheck source=tests/deps.sh
. "$top/tests/deps.sh"
deps_install

log() { printf '\n==> %s\n' "$*"; }

# Scratch space: every test gets its own TMPDIR below one directory of this run, removed at the
# end (a failed test's directory is kept and named). Mode 0711: nginx workers and daemons that
# drop privileges must pass through to the tests' own world-readable dirs, not list them.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/kcw-run.XXXXXX")
chmod 0711 "$scratch"
keep_scratch=
trap '[ -n "$keep_scratch" ] && echo "scratch of failed tests kept in $scratch" || rm -rf "$scratch"' EXIT
export TMPDIR="$scratch"
# test_tmpdir NAME: a new private TMPDIR for test NAME.
test_tmpdir() {
	mkdir -m 0711 "$scratch/$1"
	echo "$scratch/$1"
}

# make_target SCRATCH TARGET: make TARGET with TMPDIR a new scratch directory SCRATCH, its output
# in $build/TARGET.out; its exit status in rc.
make_target() {
	set +e
	TMPDIR=$(test_tmpdir "$1") make -j"$(nproc)" "$2" >"$build/$2.out" 2>&1
	rc=$?
	set -e
}

log "building in $build"
cd "$top"
autoreconf -fi >/dev/null
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$top/configure" -q
make -j"$(nproc)" >/dev/null

passed=0
failed=0
failures=()
timings=()

record() { # name status
	if [ "$2" -eq 0 ]; then
		passed=$((passed + 1))
		rm -rf "${scratch:?}/$1"
	else
		failed=$((failed + 1))
		failures+=("$1")
		[ -e "$scratch/$1" ] && keep_scratch=1
	fi
}

# First: no test, bench or lab file names a fixed /tmp path (tests/check-tmp-paths.sh).
log "fixed /tmp paths"
set +e
bash "$top/tests/check-tmp-paths.sh"
record tmp-paths $?
set -e

if [ -z "$pattern" ]; then
	log "unit tests (make check)"
	make_target unit check
	grep -E '^(PASS|FAIL|ERROR|XPASS|SKIP)' "$build/check.out" || true
	grep -E '^# (TOTAL|PASS|FAIL|ERROR)' "$build/check.out" || true
	[ $rc -eq 0 ] || cat "$build"/tests/unit/*.log 2>/dev/null | grep -v '^ok' | tail -40
	unit_pass=$(grep -c '^PASS:' "$build/check.out" || true)
	unit_fail=$(grep -cE '^(FAIL|ERROR|XPASS):' "$build/check.out" || true)
	passed=$((passed + unit_pass))
	failed=$((failed + unit_fail))
	if [ "$unit_fail" -eq 0 ] && [ $rc -eq 0 ]; then
		rm -rf "${scratch:?}/unit"
	else
		failures+=("unit tests")
		keep_scratch=1
	fi
fi

if [ -z "$pattern" ]; then
	log "make distcheck (the release tarball builds and passes its tests out of tree)"
	make_target distcheck distcheck
	if [ $rc -eq 0 ]; then
		echo "ok - make distcheck"
	else
		tail -30 "$build/distcheck.out"
		echo "not ok - make distcheck"
	fi
	record distcheck $rc
fi

export KCW_BUILD="$build" KCW_TOP="$top"
for t in "$top"/tests/integration/test_*.sh; do
	name=$(basename "$t" .sh)
	case "$name" in *"$pattern"*) ;; *) continue ;; esac
	log "$name"
	t0=$SECONDS
	set +e
	# the output is also kept, for the summary of failed checks at the end
	TMPDIR=$(test_tmpdir "$name") timeout --kill-after=10 600 bash "$t" 2>&1 |
		tee "$build/$name.out"
	rc=${PIPESTATUS[0]}
	echo "$rc" >"$build/$name.rc"
	set -e
	record "$name" $rc
	timings+=("$((SECONDS - t0)) s $name")
done

# Where the time goes (the suite's budget: well under 20 minutes).
if [ ${#timings[@]} -gt 0 ]; then
	echo
	echo "integration tests, slowest first (whole run: $SECONDS s):"
	printf '%s\n' "${timings[@]}" | sort -rn | head -8 | sed 's/^/  /'
fi

echo
if [ ${#failures[@]} -gt 0 ]; then
	# A long run's log may reach a reader cut in the middle: its end names every failed check.
	for f in "${failures[@]}"; do
		[ -f "$build/$f.out" ] || continue
		echo "failed checks of $f:"
		grep -E '^not ok' "$build/$f.out" | head -20 | sed 's/^/  /'
		grep -qE '^not ok' "$build/$f.out" ||
			echo "  no failed check: exit status $(cat "$build/$f.rc") (124: the 600 s timeout)"
	done
	echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
