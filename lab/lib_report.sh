# SPDX-License-Identifier: MIT
# lab/lib_report.sh: what demo.sh's drill prints: the steps' markers, the merged timeline of each
# step, kcwatchctl status, and the summary. Sourced after lib.sh and lib_drill.sh, not run.
# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are used by demo.sh

step_begin() { # TITLE
	STEP=$((STEP + 1))
	STEP_T[STEP]=$(now_ms)
	[ "$STEP" -eq 1 ] && STEP_T[1]=$T0
	STEP_TITLE[STEP]=$1
	STEP_OK[STEP]=0
	STEP_BAD[STEP]=0
	if [ "$STEP" -eq 1 ]; then # the set-up belongs to step 1: its marker goes first
		printf '%s\t%s\t%s\n' "$T0" drill "---- step 1: $1 (set-up from 0.000 s)" >>"$EVENTS"
	else
		ev drill "---- step $STEP: $1"
	fi
	[ "$LAB_TTY" -eq 1 ] && lab_progress "step $STEP: $1" 0
}

# The merged timeline of the window [FROM, TO): the drill's own events, the daemons' notices,
# HAProxy's server changes, named's updates of the name, and the client's transitions.
timeline() { # FROM TO
	local from=$1 to=$2 midnight h
	midnight=$(($(date -d 'today 00:00:00' +%s) * 1000))
	{
		awk -F '\t' -v a="$from" -v b="$to" '$1 >= a && $1 < b' "$EVENTS"
		for h in lb1 lb2; do
			# 12:34:56.789 kcwatchd[PID] notice: text
			awk -v a="$from" -v b="$to" -v m="$midnight" -v src="$h" -v now="$(now_ms)" '
				$1 ~ /^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9][0-9][0-9]$/ && $2 ~ /^kcwatchd\[/ &&
				$3 ~ /^(notice|warning|error):$/ {
					t = m + (substr($1,1,2)*3600 + substr($1,4,2)*60 + substr($1,7,2))*1000 + substr($1,10,3)
					if (t > now + 3600000) t -= 86400000
					if (t < a || t >= b) next
					lvl = $3; sub(/:$/, "", lvl)
					$1 = $2 = $3 = ""; sub(/^ +/, "")
					printf "%.0f\t%s\t%s%s\n", t, src, (lvl == "notice" ? "" : lvl ": "), $0
				}' "$LAB_DIR/logs/$h-kcwatchd.log" 2>/dev/null
			# 2026-11-28T11:00:00.123456+00:00 Server keycloakbackend/sno1 is DOWN. 0 active and ...
			# (HAProxy's own view; its health check lines are left out). Local time, as ours.
			awk -v a="$from" -v b="$to" -v m="$midnight" -v now="$(now_ms)" -v src="$h/haproxy" '
				$1 ~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9][0-9][0-9]/ &&
				/(Server|Backup Server) keycloakbackend\/|backend keycloakbackend has no server/ {
					t = m + (substr($1,12,2)*3600 + substr($1,15,2)*60 + substr($1,18,2))*1000 + substr($1,21,3)
					if (t > now + 3600000) t -= 86400000
					if (t < a || t >= b) next
					$1 = ""; sub(/^ +/, "")
					sub(/ [0-9]+ active and [0-9]+ backup servers.*/, "")
					printf "%.0f\t%s\t%s\n", t, src, $0
				}' "$LAB_DIR/logs/$h-haproxy.log" 2>/dev/null
		done
		# named logs every update; show only what changes: the name's addresses and the fence's
		# owner (a leader rewrites them with every fence renewal).
		# 28-Nov-2026 11:00:00.123 client @0x.. 10.88.0.213#1234/key kcwatch-key: updating zone
		#   'local.mylab.io/IN': adding an RR at 'keycloak.local.mylab.io' A 10.88.0.215
		awk -v a="$from" -v b="$to" -v m="$midnight" -v now="$(now_ms)" -v name="$LAB_NAME" '
			/updating zone/ && /adding an RR at/ {
				split($2, hms, /[:.]/)
				t = m + (hms[1]*3600 + hms[2]*60 + hms[3])*1000 + hms[4]
				if (t > now + 3600000) t -= 86400000
				who = $5; sub(/#.*/, "", who)
				txt = $0; sub(/.*adding an RR at /, "", txt)
				if (index(txt, "'\''" name "'\'' A ") == 1) { k = "A"; v = $NF }
				else if (index(txt, "'\''" name "'\'' AAAA ") == 1) { k = "AAAA"; v = $NF }
				else if (index(txt, "'\''_kcwatch." name "'\'' TXT ") == 1) {
					k = "fence"; v = txt; sub(/^[^"]*"/, "", v); sub(/ seq=.*/, "", v)
				} else next
				if (last[k] == v) next
				last[k] = v
				if (t >= a && t < b)
					printf "%.0f\tnamed\t%s\n", t, (k == "fence" ? "fence of " name ": " v : name " " k " " v) " (update from " who ")"
			}' "$LAB_DIR/logs/named.log" 2>/dev/null
		client_events "$from" "$to"
	} | sort -t "$(printf '\t')" -k1,1n -s | awk -F '\t' -v t0="$T0" -v ok="$LAB_C_OK" -v bad="$LAB_C_BAD" \
		-v b="$LAB_C_B" -v z="$LAB_C_0" '
		{
			ts = sprintf("[%7.3f]", ($1 - t0) / 1000)
			if ($3 ~ /^FAIL /) printf "%s%s %-12s %s%s\n", bad, ts, $2, $3, z
			else if ($3 ~ /^ok /) printf "%s %-12s %s%s%s\n", ts, $2, ok, $3, z
			else if ($3 ~ /^---- /) printf "%s%s %s%s\n", b, ts, $3, z
			else printf "%s %-12s %s\n", ts, $2, $3
		}'
}

# The client's transitions in [FROM, TO): first answer, errors, recoveries, other instance or LB.
client_events() { # FROM TO
	awk -v a="$1" -v b="$2" '
		function flush_err() {
			if (nerr > 0 && errstart >= a && errstart < b)
				printf "%.0f\tclient\t%s\n", errstart, "error: " errtxt " (through " errlb ")"
		}
		# START END DNS|OK|ERR ...: errors at their start, answers when they arrived (END)
		$3 == "DNS" { if ($1 >= a && $1 < b) printf "%.0f\tclient\tdig: %s is %s\n", $1, "keycloak", $4; next }
		$3 == "OK" {
			if (nerr > 0) {
				flush_err()
				if ($2 >= a && $2 < b)
					printf "%.0f\tclient\tanswered again by %s through %s: %d ms without service (%d failed requests)\n", $2, $4, $5, $1 - errstart, nerr
				nerr = 0
			} else if ($2 >= a && $2 < b) {
				if (inst == "") printf "%.0f\tclient\tfirst answer: %s through %s\n", $2, $4, $5
				else if ($4 != inst) printf "%.0f\tclient\tnow answered by %s (was %s)\n", $2, $4, inst
				if (inst != "" && $5 != lb) printf "%.0f\tclient\tnow through %s (was %s): the VIP moved\n", $2, $5, lb
			}
			inst = $4; lb = $5; next
		}
		$3 == "ERR" {
			if (nerr == 0) { errstart = $1; errlb = $5; errtxt = $6; for (i = 7; i <= NF; i++) errtxt = errtxt " " $i }
			nerr++
		}
		END { flush_err() }' "$CLIENT_LOG" 2>/dev/null
}

step_end() {
	local now
	now=$(now_ms)
	lab_progress_clear
	timeline "${STEP_T[STEP]}" "$now"
	STEP_END=$now
	if [ "$PAUSE" -eq 1 ] && [ -r /dev/tty ]; then
		printf '%s-- Enter for the next step --%s' "$LAB_C_DIM" "$LAB_C_0"
		read -r -t 600 _ </dev/tty
		printf '\n'
	fi
}
STEP_END=0

show_status() { # NODE...
	local h
	for h in "$@"; do
		say "  \$ kcwatchctl -s $LAB_DIR/$h/kcwatchd.sock status      (on $h)"
		ctl "$h" status 2>&1 | sed 's/^/    /'
	done
}

# --- summary ---------------------------------------------------------------------------------
# summary_steps: one line per step: its longest client outage (from a failed request to the next
# answer, counted in the step in which the outage began), its failed requests, its checks. An
# outage over the step's STEP_MAXOUT is a failed check of that step.
summary_steps() {
	local i bounds="" out_ms nfail open maxo res line
	for ((i = 1; i <= STEP; i++)); do bounds="$bounds ${STEP_T[i]}"; done
	awk -v bounds="$bounds" -v end="$STEP_END" '
		BEGIN { n = split(bounds, b, " ") }
		function stepof(t,   k) { for (k = n; k >= 1; k--) if (t >= b[k]) return k; return 1 }
		$3 == "OK" { if (nerr > 0) { d = $1 - es; s = stepof(es); if (d > mx[s]) mx[s] = d; nerr = 0 } }
		$3 == "ERR" { if (nerr == 0) es = $1; nerr++; fl[stepof($1)]++ }
		END {
			if (nerr > 0) { d = end - es; s = stepof(es); if (d > mx[s]) mx[s] = d; open[s] = 1 }
			for (k = 1; k <= n; k++) printf "%d %.0f %d %d\n", k, mx[k] + 0, fl[k] + 0, open[k] + 0
		}' "$CLIENT_LOG" >"$LAB_DIR/drill/outages"
	printf '%-4s %-58s %14s %9s  %s\n' step what "longest outage" "failed" result
	while read -r i out_ms nfail open; do
		maxo=${STEP_MAXOUT[i]:-0}
		if [ "$maxo" -gt 0 ] && { [ "$out_ms" -gt "$maxo" ] || [ "$open" -eq 1 ]; }; then
			STEP=$i bad "step $i: client outage $out_ms ms > $maxo ms"
		fi
		if [ "${STEP_BAD[i]}" -gt 0 ]; then
			res="FAIL (${STEP_BAD[i]} of $((STEP_OK[i] + STEP_BAD[i])) checks failed)"
		else
			res="ok (${STEP_OK[i]} checks)"
		fi
		line=$(printf '%-4s %-58s %11s ms %9s  %s' "$i" "${STEP_TITLE[i]:0:58}" "$out_ms" "$nfail" "$res")
		[ "${STEP_BAD[i]}" -gt 0 ] && line="$LAB_C_BAD$line$LAB_C_0"
		say "$line"
	done <"$LAB_DIR/drill/outages"
}

# summary_client: backend switches (planned 2: to sno2 and back) as kcwatchd on LEADER counted
# them since SW0 and as the client saw them; the client's errors, rate and load balancers.
summary_client() { # LEADER SW0
	local planned=2 count seen n_req n_err kinds span moves
	count=$(($(jf "$1" '.backend_switches // 0') - $2))
	seen=$(awk '$3 == "OK" { if (p != "" && $4 != p) n++; p = $4 } END { print n + 0 }' "$CLIENT_LOG")
	say "backend switches: $count (planned $planned; seen by the client: $seen)"
	if [ "$count" -eq "$planned" ] && [ "$seen" -eq "$planned" ]; then
		PASS=$((PASS + 1))
	else
		FAIL=$((FAIL + 1))
		ev check "FAIL  backend switches: kcwatchd counted $count, the client saw $seen, planned $planned"
	fi
	n_req=$(awk '$3 == "OK" || $3 == "ERR"' "$CLIENT_LOG" | wc -l)
	n_err=$(awk '$3 == "ERR"' "$CLIENT_LOG" | wc -l)
	kinds=$(awk '$3 == "ERR" { $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); c[$0]++ } END { for (k in c) printf "%s%d x %s", (s++ ? ", " : ""), c[k], k }' "$CLIENT_LOG")
	span=$(awk '$3 == "OK" || $3 == "ERR" { if (!a) a = $1; b = $1 } END { print b - a + 0 }' "$CLIENT_LOG")
	say "client errors: $n_err of $n_req requests${kinds:+ ($kinds)}"
	[ "$n_req" -gt 1 ] && say "client requests: one every $((span / (n_req - 1))) ms on average (aim: 50 ms; each is a new TLS connection made by curl)"
	moves=$(awk '$3 == "OK" { if (p != "" && $5 != p) printf "%s%s -> %s", (n++ ? ", " : ""), p, $5; p = $5 }' "$CLIENT_LOG")
	say "load balancer changes seen by the client: ${moves:-none}"
}

# summary_result: PASS or FAIL with the counts, then the failed checks. tests/integration/test_lab.sh
# reads the result line in its established format, which still counts "0 not available yet".
summary_result() {
	local took
	took=$(fmt_s $(($(now_ms) - T0)))
	if [ "$FAIL" -eq 0 ]; then
		say "${LAB_C_OK}result: PASS ($PASS checks passed, 0 failed, 0 not available yet) in $took s (set-up included)$LAB_C_0"
		return 0
	fi
	say "${LAB_C_BAD}result: FAIL ($PASS checks passed, $FAIL failed, 0 not available yet) in $took s (set-up included)$LAB_C_0"
	say "failed checks:"
	awk -F '\t' '$2 == "check" && $3 ~ /^FAIL/ { sub(/^FAIL +/, "", $3); print "  " $3 }' "$EVENTS"
	return 1
}
