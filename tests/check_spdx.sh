#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/check_spdx.sh: every source file (C, headers, scripts, Python, build files, .proto,
# XML, SELinux policy, completion) carries the SPDX licence line near its top, and LICENSE is
# the MIT licence. TAP, run by `make check`.
top=${srcdir:-.}
cd "$top" || exit 1

# Source files of the distribution: generated protobuf code and fuzz corpora excluded; build
# directories inside the source tree (build/, build-san/...) are not among these directories.
list() {
	printf '%s\n' Makefile.am configure.ac
	find daemon ctl dns proto tests fuzz lab bench rpm doc systemd firewalld selinux completion .ci -type f \
		\( -name '*.c' -o -name '*.h' -o -name '*.sh' -o -name '*.proto' -o -name '*.mk' \
		-o -name '*.te' -o -name '*.if' -o -name '*.fc' -o -name '*.xml' -o -name '*.py' -o -path '.ci/run' -o -path 'completion/*' \) \
		! -name '*.pb-c.[ch]' ! -path 'fuzz/corpus/*' 2>/dev/null | LC_ALL=C sort
}

out=$(mktemp "${TMPDIR:-/tmp}/kcw-spdx.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT
list >"$out"
echo "1..2"
n=0
missing=0
while read -r f; do
	n=$((n + 1))
	if ! head -n 3 "$f" | grep -Eq '^(/\*|//|#|<!--) SPDX-License-Identifier: MIT( \*/| -->)?$'; then
		echo "# $f: no 'SPDX-License-Identifier: MIT' in its first 3 lines"
		missing=$((missing + 1))
	fi
done <"$out"
if [ "$n" -gt 100 ] && [ "$missing" -eq 0 ]; then
	echo "ok 1 - all $n source files carry the SPDX line"
else
	echo "not ok 1 - $missing of $n source files lack the SPDX line"
fi
if [ -f LICENSE ] && grep -q '^MIT License$' LICENSE && grep -q 'kcwatch contributors' LICENSE; then
	echo "ok 2 - LICENSE is the MIT licence of the kcwatch contributors"
else
	echo "not ok 2 - LICENSE missing or not the MIT licence"
	missing=$((missing + 1))
fi
[ "$missing" -eq 0 ]
