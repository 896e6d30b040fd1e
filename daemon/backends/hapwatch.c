/* SPDX-License-Identifier: MIT */
/* hapwatch.c: the local HAProxy's liveness with hysteresis, and new-process detection. */
#include "hapwatch.h"

#include <string.h>

void hapwatch_init(struct hapwatch *w)
{
	memset(w, 0, sizeof(*w));
}

static unsigned probe_failed(struct hapwatch *w, uint64_t started_ms, uint64_t now_ms,
			     uint64_t *next)
{
	unsigned act = 0;

	w->failed_last = true;
	if (w->fails < HAPWATCH_FAILS_DOWN)
		w->fails++;
	if (w->fails >= HAPWATCH_FAILS_DOWN && !w->down) {
		w->down = true;
		act |= HAPWATCH_DOWN_CHANGED;
	}
	*next = started_ms + HAPWATCH_RETRY_MS > now_ms ? started_ms + HAPWATCH_RETRY_MS : now_ms;
	return act;
}

/* Another process answers: a new Pid, or an uptime below the last one. */
static bool new_process(const struct hapwatch *w, long pid, int64_t uptime_s)
{
	if (!w->seen)
		return false;
	if (pid > 0 && w->pid > 0 && pid != w->pid)
		return true;
	return uptime_s >= 0 && w->uptime_s >= 0 && uptime_s < w->uptime_s;
}

unsigned hapwatch_probe(struct hapwatch *w, bool ok, long pid, int64_t uptime_s,
			uint64_t started_ms, uint64_t now_ms, uint64_t *next_probe_ms)
{
	unsigned act = 0;

	if (!ok)
		return probe_failed(w, started_ms, now_ms, next_probe_ms);
	if (w->failed_last || new_process(w, pid, uptime_s))
		act |= HAPWATCH_REAPPLY;
	if (w->down)
		act |= HAPWATCH_DOWN_CHANGED;
	w->down = false;
	w->fails = 0;
	w->failed_last = false;
	if (pid > 0 || uptime_s >= 0) {
		w->seen = true;
		w->pid = pid;
		w->uptime_s = uptime_s;
	}
	*next_probe_ms = now_ms + HAPWATCH_PROBE_MS;
	return act;
}
