#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/check_completion.sh: loads completion/kcwatchctl in bash with the built kcwatchctl on
# PATH and completes commands, subcommands and arguments as a user's Tab would. TAP.
top=${srcdir:-.}
PATH=$PWD/ctl:$PATH # the built kcwatchctl (make check runs in the build directory)
command -v kcwatchctl >/dev/null || { echo "1..0 # SKIP kcwatchctl not built"; exit 0; }
# shellcheck source=completion/kcwatchctl
. "$top/completion/kcwatchctl" || { echo "1..1"; echo "not ok 1 - completion/kcwatchctl loads"; exit 1; }

n=0
bad=0
# expect WANT WORD...: completing the last WORD of "kcwatchctl WORD..." offers exactly WANT
expect() {
	local want=$1 got
	shift
	COMP_WORDS=(kcwatchctl "$@")
	COMP_CWORD=$#
	COMPREPLY=()
	_kcwatchctl
	got=${COMPREPLY[*]}
	n=$((n + 1))
	if [ "$got" = "$want" ]; then
		echo "ok $n - kcwatchctl $* <Tab>: $want"
	else
		echo "not ok $n - kcwatchctl $* <Tab>: got '$got', want '$want'"
		bad=$((bad + 1))
	fi
}
echo "1..10"
n0=$(complete -p kcwatchctl 2>/dev/null)
n=$((n + 1))
if [ "$n0" = "complete -F _kcwatchctl kcwatchctl" ]; then echo "ok $n - it registers _kcwatchctl for kcwatchctl"
else echo "not ok $n - registered: '$n0'"; bad=$((bad + 1)); fi
expect "reload" re
expect "status step-down" st
expect "maintenance" -s /nonexistent ma
expect "on off" maintenance ""
expect "use" backend u
expect "--json" status --j
expect "-s -S -h --help" -
expect "--check --json --help" status --
expect "test" hook ""
[ "$bad" -eq 0 ]
