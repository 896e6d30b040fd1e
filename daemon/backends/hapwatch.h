/* SPDX-License-Identifier: MIT */
/* hapwatch.h: is the local HAProxy up, and is it a new process? Pure, on the caller's clock. */
#ifndef KCW_HAPWATCH_H
#define KCW_HAPWATCH_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Every exchange with HAProxy's runtime API is a probe. HAProxy counts as down only after
 * HAPWATCH_FAILS_DOWN failed probes in a row, and as up again after one good one, so a
 * reload (one slow or refused exchange) does not lower the node's priority and move the
 * VIP. While probes fail, the next one starts at most HAPWATCH_RETRY_MS after the last one
 * started; while they succeed, every HAPWATCH_PROBE_MS (a read-back that catches drift).
 *
 * A good probe after a failed one (the socket answers again), or from another process
 * (Pid changed, or Uptime_sec went back) means HAProxy lost the runtime server states:
 * HAPWATCH_REAPPLY, the active backend must be applied again at once.
 */
#define HAPWATCH_FAILS_DOWN 3
#define HAPWATCH_RETRY_MS   1000u
#define HAPWATCH_PROBE_MS   5000u

struct hapwatch {
	unsigned fails;	  /* failed probes in a row */
	bool down;	  /* counted as down */
	bool failed_last; /* the last probe failed */
	bool seen;	  /* a good probe told pid and uptime */
	long pid;
	int64_t uptime_s;
};

enum hapwatch_action {
	HAPWATCH_DOWN_CHANGED = 1u << 0, /* down flipped: the node's priority changes */
	HAPWATCH_REAPPLY = 1u << 1,	 /* a new or returning HAProxy: apply the backend now */
};

void hapwatch_init(struct hapwatch *w);
/*
 * One probe ended at now_ms; it started at started_ms. ok: HAProxy answered; pid and
 * uptime_s from its "show info" (pid <= 0 or uptime_s < 0: not told). Returns action bits
 * and sets *next_probe_ms (monotonic) for the next read-back.
 */
unsigned hapwatch_probe(struct hapwatch *w, bool ok, long pid, int64_t uptime_s,
			uint64_t started_ms, uint64_t now_ms, uint64_t *next_probe_ms);

#endif
