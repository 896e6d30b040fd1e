/* SPDX-License-Identifier: MIT */
/* backend.c: rise/fall per backend, the cluster's one active backend and its failback policy. */
#include "backend.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "strutil.h"

const char *backend_state_name(enum backend_state s)
{
	switch (s) {
	case BACKEND_UP:
		return "up";
	case BACKEND_DOWN:
		return "down";
	case BACKEND_UNKNOWN:
	default:
		return "unknown";
	}
}

void backend_init(struct backend_view *v, const struct cfg_backend *b, size_t n,
		  const struct cfg_backends *opt, uint64_t now_ms)
{
	memset(v, 0, sizeof(*v));
	if (n > CFG_MAX_BACKENDS)
		n = CFG_MAX_BACKENDS;
	v->n = n;
	v->active = -1;
	v->failback = opt->failback;
	v->failback_after_ms = opt->failback_after_ms;
	for (size_t i = 0; i < n; i++) {
		struct backend_entry *e = &v->b[i];

		str_copy(e->name, sizeof(e->name), b[i].name);
		e->rise = b[i].rise ? b[i].rise : 1;
		e->fall = b[i].fall ? b[i].fall : 1;
		e->state = BACKEND_UNKNOWN;
		e->since_ms = now_ms;
		str_copy(e->reason, sizeof(e->reason), BACKEND_REASON_UNKNOWN);
	}
}

int backend_index(const struct backend_view *v, const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->b[i].name, name))
			return (int)i;
	return -1;
}

const char *backend_active_name(const struct backend_view *v)
{
	return v->active >= 0 ? v->b[v->active].name : NULL;
}

static int first_up(const struct backend_view *v)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->b[i].state == BACKEND_UP)
			return (int)i;
	return -1;
}

static void set_active(struct backend_view *v, int idx, bool counted, uint64_t now_ms,
		       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void set_active(struct backend_view *v, int idx, bool counted, uint64_t now_ms,
		       const char *fmt, ...)
{
	va_list ap;

	v->active = idx;
	v->active_since_ms = now_ms;
	if (counted)
		v->switches++;
	va_start(ap, fmt);
	vsnprintf(v->switch_reason, sizeof(v->switch_reason), fmt, ap);
	va_end(ap);
}

/* First UP backend, provided every one before it is known DOWN; else -1. */
static int initial_choice(const struct backend_view *v)
{
	for (size_t i = 0; i < v->n; i++) {
		if (v->b[i].state == BACKEND_UP)
			return (int)i;
		if (v->b[i].state == BACKEND_UNKNOWN)
			return -1;
	}
	return -1;
}

/* The failback target under the policy, or -1. Only called with an UP backend before active. */
static int failback_target(const struct backend_view *v, int up, uint64_t now_ms)
{
	switch (v->failback) {
	case FAILBACK_IMMEDIATE:
		return up;
	case FAILBACK_AFTER:
		for (int i = up; i < v->active; i++) {
			const struct backend_entry *e = &v->b[i];

			if (e->state == BACKEND_UP && now_ms - e->since_ms >= v->failback_after_ms)
				return i;
		}
		return -1;
	case FAILBACK_NEVER:
	default:
		return -1;
	}
}

static bool compute_outage(const struct backend_view *v)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->b[i].state != BACKEND_DOWN)
			return false;
	return v->n > 0;
}

/* Applies the rules in backend.h to the current states. Returns change bits. */
static unsigned evaluate(struct backend_view *v, uint64_t now_ms)
{
	unsigned chg = 0;
	int up = first_up(v), to;
	bool outage = compute_outage(v);

	if (outage != v->outage) {
		v->outage = outage;
		chg |= BACKEND_CHG_OUTAGE;
	}
	if (v->active < 0) {
		to = initial_choice(v);
		if (to < 0)
			return chg;
		set_active(v, to, false, now_ms, "initial choice: %s is the first backend up",
			   v->b[to].name);
		return chg | BACKEND_CHG_ACTIVE;
	}
	if (v->b[v->active].state == BACKEND_DOWN) {
		const struct backend_entry *old = &v->b[v->active];

		v->pinned = false;
		if (up < 0)
			return chg; /* outage: keep the last active */
		set_active(v, up, true, now_ms, "%s down (%s): switched to %s", old->name,
			   old->reason, v->b[up].name);
		return chg | BACKEND_CHG_ACTIVE;
	}
	if (v->pinned || up < 0 || up >= v->active)
		return chg;
	to = failback_target(v, up, now_ms);
	if (to < 0)
		return chg;
	if (v->failback == FAILBACK_IMMEDIATE)
		set_active(v, to, true, now_ms, "failback to %s (immediate)", v->b[to].name);
	else
		set_active(v, to, true, now_ms, "failback to %s after %llu ms up", v->b[to].name,
			   (unsigned long long)(now_ms - v->b[to].since_ms));
	return chg | BACKEND_CHG_ACTIVE;
}

/* First own result after adopting a leader's view: this node now decides. */
static void take_over(struct backend_view *v)
{
	v->adopted = false;
	v->pinned = false;
	if (v->active < 0 || v->b[v->active].state == BACKEND_DOWN)
		return;
	for (int i = 0; i < v->active; i++)
		if (v->b[i].state == BACKEND_UP)
			v->pinned = true;
}

static unsigned apply_result(struct backend_entry *e, bool up, const char *reason, uint64_t now_ms)
{
	enum backend_state old = e->state;

	if (up) {
		e->ok_run++;
		e->fail_run = 0;
		if (e->state != BACKEND_DOWN)
			e->reason[0] = '\0';
		else if (e->ok_run < e->rise)
			snprintf(e->reason, sizeof(e->reason), "recovering: %u of %u good checks",
				 e->ok_run, e->rise);
		if (e->state == BACKEND_UNKNOWN ||
		    (e->state == BACKEND_DOWN && e->ok_run >= e->rise))
			e->state = BACKEND_UP;
	} else {
		e->fail_run++;
		e->ok_run = 0;
		str_copy(e->reason, sizeof(e->reason),
			 reason && reason[0] ? reason : "check failed");
		/* UNKNOWN too: one slow first check must not hand a cold start to the backup */
		if (e->state != BACKEND_DOWN && e->fail_run >= e->fall)
			e->state = BACKEND_DOWN;
	}
	if (e->state == old)
		return 0;
	e->since_ms = now_ms;
	if (e->state == BACKEND_UP)
		e->reason[0] = '\0';
	return BACKEND_CHG_STATE;
}

unsigned backend_result(struct backend_view *v, size_t idx, bool up, const char *reason,
			uint32_t latency_ms, uint64_t now_ms)
{
	struct backend_entry *e;
	unsigned chg;

	if (idx >= v->n)
		return 0;
	if (v->adopted)
		take_over(v);
	e = &v->b[idx];
	e->checks++;
	e->latency_ms = latency_ms;
	chg = apply_result(e, up, reason, now_ms);
	return chg | evaluate(v, now_ms);
}

unsigned backend_tick(struct backend_view *v, uint64_t now_ms)
{
	if (v->adopted)
		return 0; /* a follower: the leader decides */
	return evaluate(v, now_ms);
}

uint64_t backend_next_deadline(const struct backend_view *v, uint64_t now_ms)
{
	uint64_t next = UINT64_MAX;

	if (v->adopted || v->pinned || v->active < 0 || v->failback != FAILBACK_AFTER ||
	    v->b[v->active].state == BACKEND_DOWN)
		return UINT64_MAX;
	for (int i = 0; i < v->active; i++) {
		const struct backend_entry *e = &v->b[i];
		uint64_t due = e->since_ms + v->failback_after_ms;

		if (e->state != BACKEND_UP)
			continue;
		if (due < next)
			next = due;
	}
	return next != UINT64_MAX && next < now_ms ? now_ms : next;
}

int backend_use(struct backend_view *v, const char *name, uint64_t now_ms)
{
	int idx = backend_index(v, name);

	if (idx < 0)
		return -ENOENT;
	if (v->adopted)
		take_over(v); /* this node leads now and decides */
	if (v->b[idx].state == BACKEND_DOWN)
		return -EHOSTDOWN;
	v->pinned = true;
	if (idx == v->active)
		return 0;
	set_active(v, idx, v->active >= 0, now_ms, "manual use of %s", v->b[idx].name);
	return BACKEND_CHG_ACTIVE;
}

static unsigned adopt_one(struct backend_entry *e, const struct hb_backend *hb, uint64_t now_ms)
{
	enum backend_state st = BACKEND_DOWN;

	if (hb->up)
		st = BACKEND_UP;
	else if (hb->unknown)
		st = BACKEND_UNKNOWN;
	str_copy(e->reason, sizeof(e->reason), hb->reason);
	e->latency_ms = hb->latency_ms;
	e->ok_run = 0;
	e->fail_run = 0;
	if (st == e->state)
		return 0;
	e->state = st;
	e->since_ms = now_ms;
	return BACKEND_CHG_STATE;
}

unsigned backend_adopt(struct backend_view *v, const struct hb_msg *m, uint64_t now_ms)
{
	unsigned chg = 0;
	int active = m->active_backend[0] ? backend_index(v, m->active_backend) : -1;
	bool outage;

	for (size_t j = 0; j < m->n_backends && j < CFG_MAX_BACKENDS; j++) {
		int i = backend_index(v, m->backends[j].name);

		if (i >= 0)
			chg |= adopt_one(&v->b[i], &m->backends[j], now_ms);
	}
	if (active != v->active) {
		v->active = active;
		v->active_since_ms = now_ms;
		str_copy(v->switch_reason, sizeof(v->switch_reason), "adopted from the leader");
		chg |= BACKEND_CHG_ACTIVE;
	}
	v->switches = m->backend_switches;
	v->pinned = false;
	v->adopted = true;
	outage = compute_outage(v);
	if (outage != v->outage) {
		v->outage = outage;
		chg |= BACKEND_CHG_OUTAGE;
	}
	return chg;
}

void backend_export(const struct backend_view *v, struct hb_msg *m)
{
	str_copy(m->active_backend, sizeof(m->active_backend), backend_active_name(v));
	m->backend_switches = v->switches;
	m->n_backends = v->n;
	for (size_t i = 0; i < v->n; i++) {
		const struct backend_entry *e = &v->b[i];
		struct hb_backend *hb = &m->backends[i];

		str_copy(hb->name, sizeof(hb->name), e->name);
		hb->up = e->state == BACKEND_UP;
		hb->unknown = e->state == BACKEND_UNKNOWN;
		str_copy(hb->reason, sizeof(hb->reason), e->reason);
		hb->latency_ms = e->latency_ms;
	}
}

static const char *failback_name(enum failback_mode f)
{
	switch (f) {
	case FAILBACK_NEVER:
		return "never";
	case FAILBACK_IMMEDIATE:
		return "immediate";
	case FAILBACK_AFTER:
	default:
		return "after";
	}
}

static struct json_object *entry_json(const struct backend_view *v, size_t i, uint64_t now_ms)
{
	const struct backend_entry *e = &v->b[i];
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "name", json_object_new_string(e->name));
	json_object_object_add(o, "state", json_object_new_string(backend_state_name(e->state)));
	json_object_object_add(o, "active", json_object_new_boolean(v->active == (int)i));
	json_object_object_add(o, "reason", json_object_new_string(e->reason));
	json_object_object_add(o, "latency_ms", json_object_new_int64(e->latency_ms));
	json_object_object_add(
	    o, "since_ms_ago",
	    json_object_new_int64(now_ms > e->since_ms ? (int64_t)(now_ms - e->since_ms) : 0));
	json_object_object_add(o, "checks", json_object_new_int64((int64_t)e->checks));
	return o;
}

void backend_status_json_at(const struct backend_view *v, struct json_object *root, uint64_t now_ms)
{
	struct json_object *arr = json_object_new_array();
	const char *active = backend_active_name(v);

	for (size_t i = 0; arr && i < v->n; i++) {
		struct json_object *o = entry_json(v, i, now_ms);

		if (o)
			json_object_array_add(arr, o);
	}
	json_object_object_add(root, "backends", arr);
	json_object_object_add(root, "active_backend",
			       active ? json_object_new_string(active) : NULL);
	json_object_object_add(root, "backend_switches",
			       json_object_new_int64((int64_t)v->switches));
	json_object_object_add(root, "backend_outage", json_object_new_boolean(v->outage));
	json_object_object_add(root, "backend_pinned", json_object_new_boolean(v->pinned));
	json_object_object_add(root, "backend_failback",
			       json_object_new_string(failback_name(v->failback)));
	json_object_object_add(root, "backend_failback_after_ms",
			       json_object_new_int64(v->failback_after_ms));
	json_object_object_add(root, "backend_switch_reason",
			       json_object_new_string(v->switch_reason));
}
