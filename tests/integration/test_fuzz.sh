#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_fuzz.sh: builds the libFuzzer harnesses (clang, --enable-fuzzing) out of tree and runs each for a bounded time.
#   KCW_FUZZ_SECONDS   seconds per harness (default 20)
#   KCW_FUZZ_BUILD     build directory (default $KCW_BUILD-fuzz; configured when it has no Makefile)
#   KCW_FUZZ_TARGETS   harnesses to run (default: all of fuzz/corpus/*)
# Every harness first replays its committed corpus (fuzz/corpus/NAME: seeds and regression
# inputs of fixed crashes), then fuzzes a copy of it. A crash, leak, timeout or sanitizer
# report fails the test; the input that caused it is kept in $KCW_FUZZ_BUILD/crashes/.
. "$(dirname "$0")/lib.sh"

secs=${KCW_FUZZ_SECONDS:-20}
fbuild=${KCW_FUZZ_BUILD:-$KCW_BUILD-fuzz}
targets=${KCW_FUZZ_TARGETS:-$(cd "$KCW_TOP/fuzz/corpus" && echo *)}
case "$secs" in '' | *[!0-9]*) echo "KCW_FUZZ_SECONDS must be a number" >&2; exit 2 ;; esac

# --- build --------------------------------------------------------------------------------------
t0=$(t_now)
if ! command -v clang >/dev/null; then
	t_notok "clang is installed (apt-get install clang libclang-rt-14-dev)"
	t_done; exit
fi
mkdir -p "$fbuild"
if [ ! -f "$fbuild/Makefile" ] || ! grep -q -- '--enable-fuzzing' "$fbuild/config.status" 2>/dev/null; then
	(cd "$fbuild" && "$KCW_TOP/configure" -q --enable-fuzzing CC=clang) >"$T_DIR/configure.log" 2>&1
	rc=$?
	t_check "configure --enable-fuzzing CC=clang" [ $rc -eq 0 ]
	[ $rc -eq 0 ] || { tail -20 "$T_DIR/configure.log"; t_done; exit; }
fi
progs=()
for t in $targets; do progs+=("fuzz/fuzz_$t"); done
# A changed Makefile.am regenerates the Makefile on the first run: make a second time then.
make -C "$fbuild" -j"$(nproc)" "${progs[@]}" >"$T_DIR/make.log" 2>&1 ||
	make -C "$fbuild" -j"$(nproc)" "${progs[@]}" >"$T_DIR/make.log" 2>&1
rc=$?
t_check "the harnesses build ($(( ($(t_now) - t0) / 1000 )) s): ${progs[*]}" [ $rc -eq 0 ]
[ $rc -eq 0 ] || { grep -E 'error|Error' "$T_DIR/make.log" | head -20; t_done; exit; }

# --- run ----------------------------------------------------------------------------------------
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export TMPDIR="$T_DIR" # the harnesses make their scratch files there
crashes="$fbuild/crashes"
mkdir -p "$crashes"

# keep NAME LOG: copies what libFuzzer wrote for NAME into $crashes and says where.
keep() {
	local f n=0
	for f in "$T_DIR/art-$1-"*; do
		[ -f "$f" ] || continue
		cp "$f" "$crashes/" && n=$((n + 1))
		echo "# kept $crashes/$(basename "$f")"
	done
	grep -E 'ERROR: |SUMMARY: |runtime error:|==[0-9]+==' "$2" | head -20 | sed 's/^/#   /'
	[ "$n" -gt 0 ] || tail -20 "$2" | sed 's/^/#   /'
}

for t in $targets; do
	bin="$fbuild/fuzz/fuzz_$t"
	seeds="$KCW_TOP/fuzz/corpus/$t"
	nseeds=$(find "$seeds" -maxdepth 1 -type f | wc -l)
	# 1. the committed inputs, each once (a fixed crash must stay fixed)
	(cd "$T_DIR" && timeout -k 5 120 "$bin" -runs=0 -timeout=30 -rss_limit_mb=2048 \
		-artifact_prefix="$T_DIR/art-$t-" "$seeds") >"$T_DIR/replay-$t.log" 2>&1
	rc=$?
	t_check "fuzz_$t replays its $nseeds corpus inputs without a report" [ $rc -eq 0 ]
	[ $rc -eq 0 ] || keep "$t" "$T_DIR/replay-$t.log"
	# 2. fuzzing a scratch copy of the corpus for $secs seconds
	work="$T_DIR/corpus-$t"
	mkdir -p "$work"
	cp "$seeds"/* "$work"/
	(cd "$T_DIR" && timeout -k 5 $((secs + 60)) "$bin" -max_total_time="$secs" -timeout=30 \
		-rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
		-artifact_prefix="$T_DIR/art-$t-" "$work") >"$T_DIR/fuzz-$t.log" 2>&1
	rc=$?
	done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$T_DIR/fuzz-$t.log" | tail -1)
	execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$done_line")
	cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$done_line")
	[ -n "$done_line" ] || [ "$rc" -ne 0 ] || rc=1 # no final statistics: it did not finish
	t_check "fuzz_$t: ${secs} s, ${execs:-?} inputs, coverage ${cov:-?}, no crash" [ "$rc" -eq 0 ]
	[ "$rc" -eq 0 ] || keep "$t" "$T_DIR/fuzz-$t.log"
done

t_log "total $(( ($(t_now) - t0) / 1000 )) s; crash inputs (if any) are in $crashes"
t_done
