# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# bench/lib.sh: what bench/failover.sh and bench/stress.sh share, sourced after
# tests/integration/lib.sh: messages, sleeps in ms, and reaping only their own live children.

say() { printf '# %s\n' "$*" >&2; }
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }
# mine PID: PID is a live child of this shell (not a zombie, not a reused number)
mine() {
	local s
	s=$(ps -o ppid=,stat= -p "$1" 2>/dev/null) || return 1
	set -- $s # SC2086: two words
	[ "$1" = "$$" ] && [ "${2:0:1}" != Z ]
}
# reap PID [MAX_S]: waits (max MAX_S, default 10 s) for PID to exit, SIGKILLs it after that;
# forgets it
reap() {
	local n
	for n in $(seq $((${2:-10} * 10))); do mine "$1" || break; sleep 0.1; done
	mine "$1" && kill -KILL "$1" 2>/dev/null
	for n in $(seq 50); do mine "$1" || break; sleep 0.1; done
	t_forget "$1"
}
