#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/check-tmp-paths.sh: fails when a test, bench, lab or fuzz file names a fixed path under /tmp.
# Build products come only from the build directory that tests/run.sh, lab/demo.sh or a bench
# script made or was given, and scratch files from $TMPDIR (tests/run.sh gives every test its
# own): a fixed /tmp path can hide a missing build step on a machine where it exists from an
# earlier run. "${TMPDIR:-/tmp}" is fine. The allow-list is the marker "tmp-ok:" on the line
# itself, followed by the reason. Prints one TAP line per offending line and a verdict.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2

# /tmp not preceded by a name, a variable or a ":-"/"-" default, and followed by "/", a quote,
# ";", ")" or the end of the line: "$d/tmp" and "${TMPDIR:-/tmp}/x" pass, and so does prose
# such as "a /tmp path"; these fail: "/tmp/build-x" and "/tmp" # tmp-ok: examples
pattern='(^|[^A-Za-z0-9_.}$/-])/tmp([/"'"'"';)]|$)'
files=$(git ls-files tests bench lab fuzz .ci 2>/dev/null | grep -E '\.(sh|c|h|py|conf|mk)$|/run$')
[ -n "$files" ] || files=$(find tests bench lab fuzz .ci -type f \( -name '*.sh' -o -name '*.c' -o -name '*.py' \) 2>/dev/null)
bad=0
while IFS= read -r hit; do
	[ -n "$hit" ] || continue
	case "$hit" in *tmp-ok:*) continue ;; esac
	echo "# fixed /tmp path: $hit"
	bad=$((bad + 1))
done < <(printf '%s\n' $files | xargs grep -nE "$pattern" 2>/dev/null)
if [ "$bad" -eq 0 ]; then
	echo "ok - no fixed /tmp paths in test, bench, lab and fuzz files"
else
	echo "not ok - $bad fixed /tmp path(s) in test, bench, lab or fuzz files (use \$TMPDIR or the build directory)"
fi
[ "$bad" -eq 0 ]
