#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_sanitizers.sh: an ASan + UBSan build (--enable-sanitizers) runs the unit tests and integration tests with no report.
#   KCW_SAN_BUILD   build directory (default $KCW_BUILD-san; configured when it has no Makefile)
#   KCW_SAN_CC      compiler (default gcc)
#   KCW_SAN_TESTS   integration tests to run against it (default "test_cluster test_hostile")
# Reports are looked for in three places: ASan/LSan reports go to files (ASAN_OPTIONS
# log_path) in $KCW_SAN_BUILD/sanlogs; kcwatchd runs behind a wrapper that copies its
# stderr there too (gcc's UBSan ignores log_path, and the tests delete their own logs);
# and the output of make check and of each test is searched as well.
. "$(dirname "$0")/lib.sh"
t_require_root

sbuild=${KCW_SAN_BUILD:-$KCW_BUILD-san}
scc=${KCW_SAN_CC:-gcc}
tests=${KCW_SAN_TESTS:-test_cluster test_hostile}
REPORT='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: [A-Za-z]*Sanitizer|AddressSanitizer:DEADLYSIGNAL'

# --- build ----------------------------------------------------------------------------------------
began=$(t_now)
t0=$began
mkdir -p "$sbuild"
if [ ! -f "$sbuild/Makefile" ] || ! grep -q -- '--enable-sanitizers' "$sbuild/config.status" 2>/dev/null; then
	(cd "$sbuild" && "$KCW_TOP/configure" -q --enable-sanitizers CC="$scc") >"$T_DIR/configure.log" 2>&1
	rc=$?
	t_check "configure --enable-sanitizers CC=$scc" [ $rc -eq 0 ]
	[ $rc -eq 0 ] || { tail -20 "$T_DIR/configure.log"; t_done; exit; }
fi
# A changed Makefile.am regenerates the Makefile on the first run: make a second time then.
make -C "$sbuild" -j"$(nproc)" >"$T_DIR/make.log" 2>&1 ||
	make -C "$sbuild" -j"$(nproc)" >"$T_DIR/make.log" 2>&1
rc=$?
t_check "the sanitizer build builds ($(( ($(t_now) - t0) / 1000 )) s)" [ $rc -eq 0 ]
[ $rc -eq 0 ] || { grep -E 'error|Error' "$T_DIR/make.log" | head -20; t_done; exit; }
t_check "kcwatchd is built with ASan" grep -qa '__asan_init' "$sbuild/daemon/kcwatchd"

# --- where reports go -------------------------------------------------------------------------------
logs="$sbuild/sanlogs"
rm -rf "$logs"
mkdir -p "$logs"
chmod 1777 "$logs" # test_hostile runs kcwatchctl as uid 65534
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$logs/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan"

# A build directory for the tests: everything links to the sanitizer build, but
# daemon/kcwatchd is a wrapper that keeps a copy of the daemon's stderr in $logs.
shadow="$sbuild/shadow"
rm -rf "$shadow"
mkdir -p "$shadow/daemon"
for f in "$sbuild"/*; do
	case "$(basename "$f")" in daemon | shadow | sanlogs) continue ;; esac
	ln -s "$f" "$shadow/"
done
for f in "$sbuild"/daemon/*; do
	[ "$(basename "$f")" = kcwatchd ] || ln -s "$f" "$shadow/daemon/"
done
cat >"$shadow/daemon/kcwatchd" <<WRAP
#!/usr/bin/env bash
# kcwatchd under test_sanitizers.sh: the sanitizer build, its stderr also kept in $logs.
exec "$sbuild/daemon/kcwatchd" "\$@" 2> >(tee -a "$logs/kcwatchd.\$\$.log" >&2)
WRAP
chmod 0755 "$shadow/daemon/kcwatchd"

# reports WHERE FILE...: no sanitizer report in FILEs; prints the first lines of any.
reports() {
	local where=$1 hits
	shift
	hits=$(grep -lE "$REPORT" "$@" 2>/dev/null)
	t_check "$where: no sanitizer report" [ -z "$hits" ]
	[ -z "$hits" ] || for f in $hits; do
		echo "# --- $f"
		grep -E -A12 "$REPORT" "$f" | head -40 | sed 's/^/#   /'
	done
}
san_files() { find "$logs" -type f \( -name 'asan.*' -o -name 'ubsan.*' -o -name '*.log' \) "$@"; }

# --- unit tests --------------------------------------------------------------------------------------
t0=$(t_now)
make -C "$sbuild" -j"$(nproc)" check >"$T_DIR/check.out" 2>&1
rc=$?
pass=$(grep -c '^PASS:' "$T_DIR/check.out")
fail=$(grep -cE '^(FAIL|ERROR|XPASS):' "$T_DIR/check.out")
[ "$fail" -eq 0 ] || rc=1
t_check "make check under ASan + UBSan: $pass passed, $fail failed ($(( ($(t_now) - t0) / 1000 )) s)" \
	[ $rc -eq 0 ]
[ $rc -eq 0 ] || grep -E '^(FAIL|ERROR)' "$T_DIR/check.out" | head
# The TAP driver ignores exit codes: a leak found at exit would pass unseen. Not here.
mapfile -t unit_logs < <(find "$sbuild/tests/unit" -name '*.log')
mapfile -t san < <(san_files)
reports "make check" "$T_DIR/check.out" "${unit_logs[@]}" "${san[@]}"

# --- integration tests --------------------------------------------------------------------------
# A test that fails without any sanitizer report is run once more: ASan makes the daemons
# 2 to 5 times slower, and the tests' timing bounds are made for the normal build. Both
# runs are searched for reports; the second run's verdict counts, and the retry is shown.
for t in $tests; do
	mark="$T_DIR/mark-$t"
	touch "$mark"
	for run in 1 2; do
		t0=$(t_now)
		KCW_BUILD="$shadow" timeout -k 10 500 bash "$KCW_TOP/tests/integration/$t.sh" \
			>"$T_DIR/$t.$run.out" 2>&1
		rc=$?
		summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$T_DIR/$t.$run.out" | tail -1)
		secs=$(( ($(t_now) - t0) / 1000 ))
		[ $rc -eq 0 ] && break
		grep -E '^not ok' "$T_DIR/$t.$run.out" | head -20 | sed "s/^/# run $run: /"
		grep -qE "$REPORT" "$T_DIR/$t.$run.out" && break
		mapfile -t new < <(san_files -newer "$mark")
		[ "${#new[@]}" -gt 0 ] && grep -qE "$REPORT" "${new[@]}" && break
		# tests/run.sh stops a test after 600 s: no retry late in the run
		if [ $(( ($(t_now) - began) / 1000 )) -gt 300 ]; then
			t_log "$t failed without a sanitizer report; no time left for a second run"
			break
		fi
		t_log "$t failed without a sanitizer report ($summary): once more"
	done
	t_check "$t against the sanitizer build: ${summary:-no summary} (run $run, $secs s)" [ $rc -eq 0 ]
	mapfile -t new < <(san_files -newer "$mark")
	t_check "$t: the daemons ran under the wrapper (${#new[@]} logs)" [ "${#new[@]}" -gt 0 ]
	reports "$t" "$T_DIR/$t".*.out "${new[@]}"
done

t_done
