/* SPDX-License-Identifier: MIT */
/* test_backend.c: rise/fall, active choice, failback, manual use and adoption on a fake clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "backend.h"

#define HOLD 300000u /* failback after 5 min */
#define T0   1000000u

struct fx {
	struct cfg_backend cfg[3];
	struct cfg_backends opt;
	struct backend_view v;
	uint64_t now;
};

static int setup_mode_fall(void **state, enum failback_mode mode, unsigned fall)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *names[] = {"sno1", "sno2", "sno3"};

	if (!f)
		return -1;
	for (int i = 0; i < 3; i++) {
		snprintf(f->cfg[i].name, sizeof(f->cfg[i].name), "%s", names[i]);
		f->cfg[i].rise = 2;
		f->cfg[i].fall = fall;
	}
	f->opt.failback = mode;
	f->opt.failback_after_ms = HOLD;
	f->now = T0;
	backend_init(&f->v, f->cfg, 3, &f->opt, f->now);
	*state = f;
	return 0;
}

static int setup_mode(void **state, enum failback_mode mode)
{
	return setup_mode_fall(state, mode, 3);
}

/* fall = 1: the first failed check is enough, at a cold start as later. */
static int setup_fall1(void **state)
{
	return setup_mode_fall(state, FAILBACK_AFTER, 1);
}

static int setup_after(void **state)
{
	return setup_mode(state, FAILBACK_AFTER);
}

static int setup_never(void **state)
{
	return setup_mode(state, FAILBACK_NEVER);
}

static int setup_immediate(void **state)
{
	return setup_mode(state, FAILBACK_IMMEDIATE);
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static unsigned ok(struct fx *f, size_t i)
{
	return backend_result(&f->v, i, true, "", 12, f->now);
}

static unsigned bad(struct fx *f, size_t i)
{
	return backend_result(&f->v, i, false, "HTTP 503 (expected 200), status DOWN", 30, f->now);
}

/* Backend i fails n checks in a row, 1 s apart. Returns the change bits of the last one. */
static unsigned bad_n(struct fx *f, size_t i, int n)
{
	unsigned chg = 0;

	for (int k = 0; k < n; k++) {
		f->now += 1000;
		chg = bad(f, i);
	}
	return chg;
}

static const char *active(struct fx *f)
{
	const char *n = backend_active_name(&f->v);

	return n ? n : "(none)";
}

/* The active backend is name, after that many switches in all. */
static void assert_active(struct fx *f, const char *name, uint64_t switches)
{
	assert_string_equal(active(f), name);
	assert_int_equal(f->v.switches, switches);
}

/* sno1 and sno2 up, sno3 down (after `fall` failures), sno1 active: the usual start. */
static void start_all(struct fx *f)
{
	ok(f, 0);
	ok(f, 1);
	bad_n(f, 2, 3);
	assert_int_equal(f->v.b[2].state, BACKEND_DOWN);
	assert_string_equal(active(f), "sno1");
}

/* sno1 fails `fall` times: sno2 takes over. */
static void fail_primary(struct fx *f)
{
	for (int i = 0; i < 3; i++) {
		f->now += 2000;
		bad(f, 0);
	}
	assert_string_equal(active(f), "sno2");
}

/* sno1 comes back: rise good checks; returns the time it became up. */
static uint64_t recover_primary(struct fx *f)
{
	f->now += 2000;
	ok(f, 0);
	f->now += 2000;
	ok(f, 0);
	assert_int_equal(f->v.b[0].state, BACKEND_UP);
	return f->now;
}

/* --- start ---------------------------------------------------------------------------- */

static void starts_unknown_without_active(void **state)
{
	struct fx *f = *state;

	assert_null(backend_active_name(&f->v));
	for (int i = 0; i < 3; i++)
		assert_int_equal(f->v.b[i].state, BACKEND_UNKNOWN);
	assert_false(f->v.outage);
	assert_int_equal(backend_next_deadline(&f->v, f->now), UINT64_MAX);
	assert_int_equal(backend_tick(&f->v, f->now), 0);
}

static void first_good_check_is_up_and_first_up_is_active(void **state)
{
	struct fx *f = *state;
	unsigned chg = ok(f, 0);

	assert_int_equal(chg, BACKEND_CHG_STATE | BACKEND_CHG_ACTIVE);
	assert_int_equal(f->v.b[0].state, BACKEND_UP);
	assert_active(f, "sno1", 0); /* the initial choice logs nobody out */
	/* a failing backend leaves UNKNOWN only after `fall` failures in a row */
	assert_int_equal(bad_n(f, 1, 2), 0);
	assert_int_equal(f->v.b[1].state, BACKEND_UNKNOWN);
	assert_int_equal(f->v.b[1].since_ms, T0);
	f->now += 1000;
	assert_int_equal(bad(f, 1), BACKEND_CHG_STATE);
	assert_int_equal(f->v.b[1].state, BACKEND_DOWN);
	assert_int_equal(f->v.b[1].since_ms, f->now);
	assert_int_equal(f->v.b[1].checks, 3);
	assert_active(f, "sno1", 0);
}

static void fast_backup_waits_for_primary(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ok(f, 1), BACKEND_CHG_STATE);
	assert_null(backend_active_name(&f->v)); /* sno1 not known yet */
	f->now += 1000;
	assert_int_equal(ok(f, 0), BACKEND_CHG_STATE | BACKEND_CHG_ACTIVE);
	assert_active(f, "sno1", 0);
}

static void primary_down_at_start_picks_backup_after_fall(void **state)
{
	struct fx *f = *state;

	ok(f, 1);
	assert_int_equal(bad_n(f, 0, 2), 0);
	assert_null(backend_active_name(&f->v));
	f->now += 1000;
	assert_int_equal(bad(f, 0), BACKEND_CHG_STATE | BACKEND_CHG_ACTIVE);
	assert_int_equal(f->v.b[0].state, BACKEND_DOWN);
	assert_active(f, "sno2", 0);
	assert_string_equal(f->v.switch_reason, "initial choice: sno2 is the first backend up");
}

/* --- cold start: a failed first check is not yet down ----------------------------------- */

static void cold_start_first_failure_keeps_primary_unknown(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ok(f, 1), BACKEND_CHG_STATE); /* the backup answers first */
	f->now += 1000;
	assert_int_equal(bad(f, 0), 0); /* one slow first check of the primary */
	assert_int_equal(f->v.b[0].state, BACKEND_UNKNOWN);
	assert_int_equal(f->v.b[0].fail_run, 1);
	assert_string_equal(f->v.b[0].reason, "HTTP 503 (expected 200), status DOWN");
	assert_int_equal(f->v.b[1].state, BACKEND_UP);
	assert_int_equal(f->v.active, -1);
	assert_null(backend_active_name(&f->v)); /* the backup is not chosen */
	assert_false(f->v.outage);
	assert_int_equal(f->v.switches, 0);
	assert_int_equal(backend_next_deadline(&f->v, f->now), UINT64_MAX);
	assert_int_equal(backend_tick(&f->v, f->now + 10u * HOLD), 0);
	assert_null(backend_active_name(&f->v));
	/* the second failure: still waiting */
	assert_int_equal(bad_n(f, 0, 1), 0);
	assert_int_equal(f->v.b[0].state, BACKEND_UNKNOWN);
	assert_null(backend_active_name(&f->v));
	/* the third (fall = 3): down, and the backup that is up becomes active */
	assert_int_equal(bad_n(f, 0, 1), BACKEND_CHG_STATE | BACKEND_CHG_ACTIVE);
	assert_int_equal(f->v.b[0].state, BACKEND_DOWN);
	assert_int_equal(f->v.b[0].since_ms, f->now);
	assert_int_equal(f->v.active, 1);
	assert_active(f, "sno2", 0); /* the initial choice, not a switch */
	assert_false(f->v.outage);
}

static void cold_start_primary_down_before_backup_known(void **state)
{
	struct fx *f = *state;

	/* sno1 down after fall; sno2 not known yet: nothing chosen until it is */
	assert_int_equal(bad_n(f, 0, 3), BACKEND_CHG_STATE);
	assert_int_equal(f->v.b[0].state, BACKEND_DOWN);
	assert_null(backend_active_name(&f->v));
	assert_int_equal(bad_n(f, 1, 1), 0);
	assert_int_equal(f->v.b[1].state, BACKEND_UNKNOWN);
	assert_null(backend_active_name(&f->v));
	f->now += 1000;
	assert_int_equal(ok(f, 1), BACKEND_CHG_STATE | BACKEND_CHG_ACTIVE);
	assert_active(f, "sno2", 0);
}

static void cold_start_primary_fails_once_then_answers(void **state)
{
	struct fx *f = *state;

	ok(f, 1);
	assert_int_equal(bad_n(f, 0, 1), 0);
	assert_null(backend_active_name(&f->v));
	f->now += 1000;
	/* the first good check: up at once (no rise at a cold start) and active */
	assert_int_equal(ok(f, 0), BACKEND_CHG_STATE | BACKEND_CHG_ACTIVE);
	assert_int_equal(f->v.b[0].state, BACKEND_UP);
	assert_string_equal(f->v.b[0].reason, "");
	assert_int_equal(f->v.b[0].fail_run, 0);
	assert_int_equal(f->v.active, 0);
	assert_active(f, "sno1", 0);
	assert_string_equal(f->v.switch_reason, "initial choice: sno1 is the first backend up");
	/* no switch ever happened, and none is pending */
	assert_int_equal(backend_next_deadline(&f->v, f->now), UINT64_MAX);
	assert_int_equal(backend_tick(&f->v, f->now + 10u * HOLD), 0);
	assert_active(f, "sno1", 0);
	/* the early failure does not count towards fall later: two more leave it up */
	bad_n(f, 0, 2);
	assert_int_equal(f->v.b[0].state, BACKEND_UP);
	assert_string_equal(active(f), "sno1");
	assert_int_equal(bad_n(f, 0, 1), BACKEND_CHG_STATE | BACKEND_CHG_ACTIVE);
	assert_active(f, "sno2", 1);
}

static void cold_start_failures_must_be_consecutive(void **state)
{
	struct fx *f = *state;

	ok(f, 1);
	bad_n(f, 0, 2);
	f->now += 1000;
	ok(f, 0); /* up: the run is over */
	assert_string_equal(active(f), "sno1");
	bad_n(f, 2, 2);
	assert_int_equal(f->v.b[2].state, BACKEND_UNKNOWN);
	/* an UNKNOWN backend that answers is up at once, its failures forgotten */
	f->now += 1000;
	assert_int_equal(ok(f, 2), BACKEND_CHG_STATE);
	assert_int_equal(f->v.b[2].state, BACKEND_UP);
	assert_int_equal(f->v.b[2].fail_run, 0);
	assert_int_equal(f->v.switches, 0);
}

static void fall_1_first_failure_is_down(void **state)
{
	struct fx *f = *state;

	ok(f, 1);
	f->now += 1000;
	assert_int_equal(bad(f, 0), BACKEND_CHG_STATE | BACKEND_CHG_ACTIVE);
	assert_int_equal(f->v.b[0].state, BACKEND_DOWN);
	assert_active(f, "sno2", 0);
	assert_int_equal(bad(f, 2), BACKEND_CHG_STATE);
	assert_int_equal(f->v.b[2].state, BACKEND_DOWN);
}

static void all_down_at_start_is_outage_without_active(void **state)
{
	struct fx *f = *state;

	/* failing but still UNKNOWN everywhere: not an outage yet */
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(bad_n(f, i, 2), 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(f->v.b[i].state, BACKEND_UNKNOWN);
	assert_false(f->v.outage);
	assert_int_equal(bad_n(f, 0, 1), BACKEND_CHG_STATE);
	assert_int_equal(bad_n(f, 1, 1), BACKEND_CHG_STATE);
	assert_false(f->v.outage); /* sno3 is not known down yet */
	assert_int_equal(bad_n(f, 2, 1), BACKEND_CHG_STATE | BACKEND_CHG_OUTAGE);
	assert_true(f->v.outage);
	assert_null(backend_active_name(&f->v));
	/* sno3 rises first: nothing else is up, it becomes active */
	f->now += 2000;
	assert_int_equal(ok(f, 2), 0);
	f->now += 2000;
	assert_int_equal(ok(f, 2), BACKEND_CHG_STATE | BACKEND_CHG_ACTIVE | BACKEND_CHG_OUTAGE);
	assert_string_equal(active(f), "sno3");
	assert_false(f->v.outage);
}

/* --- rise / fall ------------------------------------------------------------------------ */

static void fall_counts_consecutive_failures(void **state)
{
	struct fx *f = *state;

	start_all(f);
	assert_int_equal(bad(f, 0), 0);
	assert_int_equal(bad(f, 0), 0);
	assert_int_equal(f->v.b[0].state, BACKEND_UP);
	assert_string_equal(f->v.b[0].reason, "HTTP 503 (expected 200), status DOWN");
	assert_int_equal(ok(f, 0), 0); /* resets the run */
	assert_string_equal(f->v.b[0].reason, "");
	bad(f, 0);
	bad(f, 0);
	assert_string_equal(active(f), "sno1");
	f->now += 5;
	assert_int_equal(bad(f, 0), BACKEND_CHG_STATE | BACKEND_CHG_ACTIVE);
	assert_int_equal(f->v.b[0].state, BACKEND_DOWN);
	assert_int_equal(f->v.b[0].since_ms, f->now);
	assert_int_equal(f->v.b[0].checks, 7);
	assert_int_equal(f->v.b[0].latency_ms, 30);
}

static void primary_down_moves_to_sno2_after_exactly_fall(void **state)
{
	struct fx *f = *state;

	start_all(f);
	f->now += 2000;
	bad(f, 0);
	f->now += 2000;
	bad(f, 0);
	assert_string_equal(active(f), "sno1");
	f->now += 2000;
	assert_int_equal(bad(f, 0), BACKEND_CHG_STATE | BACKEND_CHG_ACTIVE);
	assert_active(f, "sno2", 1);
	assert_int_equal(f->v.active_since_ms, f->now);
	assert_string_equal(f->v.switch_reason,
			    "sno1 down (HTTP 503 (expected 200), status DOWN): switched to sno2");
}

static void rise_counts_consecutive_successes(void **state)
{
	struct fx *f = *state;

	start_all(f);
	fail_primary(f);
	f->now += 2000;
	assert_int_equal(ok(f, 0), 0);
	assert_int_equal(f->v.b[0].state, BACKEND_DOWN);
	assert_string_equal(f->v.b[0].reason, "recovering: 1 of 2 good checks");
	bad(f, 0); /* the run starts over */
	f->now += 2000;
	ok(f, 0);
	assert_int_equal(f->v.b[0].state, BACKEND_DOWN);
	f->now += 2000;
	assert_int_equal(ok(f, 0), BACKEND_CHG_STATE);
	assert_int_equal(f->v.b[0].state, BACKEND_UP);
	assert_string_equal(f->v.b[0].reason, "");
	assert_int_equal(f->v.b[0].since_ms, f->now);
}

/* --- failback ----------------------------------------------------------------------------- */

static void failback_after_hold(void **state)
{
	struct fx *f = *state;
	uint64_t up_at;

	start_all(f);
	fail_primary(f);
	up_at = recover_primary(f);
	assert_string_equal(active(f), "sno2");
	assert_int_equal(backend_next_deadline(&f->v, f->now), up_at + HOLD);
	/* good checks during the hold change nothing */
	f->now = up_at + HOLD / 2;
	assert_int_equal(ok(f, 0), 0);
	assert_int_equal(backend_tick(&f->v, up_at + HOLD - 1), 0);
	assert_string_equal(active(f), "sno2");
	f->now = up_at + HOLD;
	assert_int_equal(backend_tick(&f->v, f->now), BACKEND_CHG_ACTIVE);
	assert_active(f, "sno1", 2);
	assert_string_equal(f->v.switch_reason, "failback to sno1 after 300000 ms up");
	assert_int_equal(backend_next_deadline(&f->v, f->now), UINT64_MAX);
}

static void failback_single_failure_keeps_hold(void **state)
{
	struct fx *f = *state;
	uint64_t up_at;

	start_all(f);
	fail_primary(f);
	up_at = recover_primary(f);
	f->now += 1000;
	bad(f, 0); /* below fall: still up, hold goes on */
	assert_int_equal(backend_tick(&f->v, up_at + HOLD), BACKEND_CHG_ACTIVE);
	assert_string_equal(active(f), "sno1");
}

static void flapping_primary_restarts_hold(void **state)
{
	struct fx *f = *state;
	uint64_t up1, up2;

	start_all(f);
	fail_primary(f);
	up1 = recover_primary(f);
	f->now = up1 + 100000;
	bad(f, 0);
	bad(f, 0);
	bad(f, 0);
	assert_int_equal(f->v.b[0].state, BACKEND_DOWN);
	assert_int_equal(backend_next_deadline(&f->v, f->now), UINT64_MAX);
	up2 = recover_primary(f);
	assert_int_equal(backend_tick(&f->v, up1 + HOLD), 0);
	assert_string_equal(active(f), "sno2");
	assert_int_equal(backend_next_deadline(&f->v, up1 + HOLD), up2 + HOLD);
	assert_int_equal(backend_tick(&f->v, up2 + HOLD - 1), 0);
	assert_int_equal(backend_tick(&f->v, up2 + HOLD), BACKEND_CHG_ACTIVE);
	assert_active(f, "sno1", 2);
}

static void failback_picks_most_preferred_that_held(void **state)
{
	struct fx *f = *state;
	uint64_t t;

	/* sno1 and sno2 down, sno3 active */
	bad_n(f, 0, 3);
	bad_n(f, 1, 3);
	ok(f, 2);
	assert_string_equal(active(f), "sno3");
	f->now += 2000;
	ok(f, 1);
	f->now += 2000;
	ok(f, 1); /* sno2 up at t */
	t = f->now;
	f->now += 60000;
	ok(f, 0);
	f->now += 2000;
	ok(f, 0); /* sno1 up a minute later */
	assert_int_equal(backend_next_deadline(&f->v, f->now), t + HOLD);
	assert_int_equal(backend_tick(&f->v, t + HOLD), BACKEND_CHG_ACTIVE);
	assert_string_equal(active(f), "sno2");
	assert_int_equal(backend_next_deadline(&f->v, t + HOLD), f->now + HOLD);
	assert_int_equal(backend_tick(&f->v, f->now + HOLD), BACKEND_CHG_ACTIVE);
	assert_string_equal(active(f), "sno1");
}

static void failback_never_stays(void **state)
{
	struct fx *f = *state;

	start_all(f);
	fail_primary(f);
	recover_primary(f);
	assert_int_equal(backend_next_deadline(&f->v, f->now), UINT64_MAX);
	assert_int_equal(backend_tick(&f->v, f->now + 100u * HOLD), 0);
	assert_string_equal(active(f), "sno2");
	assert_int_equal(backend_use(&f->v, "sno1", f->now), BACKEND_CHG_ACTIVE);
	assert_active(f, "sno1", 2);
}

static void failback_immediate_at_rise(void **state)
{
	struct fx *f = *state;

	start_all(f);
	fail_primary(f);
	f->now += 2000;
	assert_int_equal(ok(f, 0), 0);
	assert_string_equal(active(f), "sno2");
	f->now += 2000;
	assert_int_equal(ok(f, 0), BACKEND_CHG_STATE | BACKEND_CHG_ACTIVE);
	assert_active(f, "sno1", 2);
	assert_string_equal(f->v.switch_reason, "failback to sno1 (immediate)");
}

/* --- outage ------------------------------------------------------------------------------ */

static void no_healthy_backend_keeps_last(void **state)
{
	struct fx *f = *state;

	start_all(f);
	fail_primary(f);
	bad(f, 1);
	bad(f, 1);
	assert_int_equal(bad(f, 1), BACKEND_CHG_STATE | BACKEND_CHG_OUTAGE);
	assert_string_equal(active(f), "sno2");
	assert_true(f->v.outage);
	assert_int_equal(f->v.switches, 1);
	assert_int_equal(backend_next_deadline(&f->v, f->now), UINT64_MAX);
	/* sno3 comes back first: the cluster moves there */
	f->now += 2000;
	ok(f, 2);
	f->now += 2000;
	assert_int_equal(ok(f, 2), BACKEND_CHG_STATE | BACKEND_CHG_ACTIVE | BACKEND_CHG_OUTAGE);
	assert_string_equal(active(f), "sno3");
	assert_false(f->v.outage);
	assert_int_equal(f->v.switches, 2);
}

/* --- manual use ---------------------------------------------------------------------------- */

static void manual_use(void **state)
{
	struct fx *f = *state;

	start_all(f);
	assert_int_equal(backend_use(&f->v, "nope", f->now), -ENOENT);
	assert_int_equal(backend_use(&f->v, "sno3", f->now), -EHOSTDOWN);
	assert_int_equal(backend_use(&f->v, "sno1", f->now), 0);
	assert_int_equal(f->v.switches, 0);
	assert_int_equal(backend_use(&f->v, "sno2", f->now), BACKEND_CHG_ACTIVE);
	assert_active(f, "sno2", 1);
	assert_string_equal(f->v.switch_reason, "manual use of sno2");
	assert_true(f->v.pinned);
	/* pinned: sno1 has been up far longer than the hold, still no failback */
	assert_int_equal(backend_next_deadline(&f->v, f->now), UINT64_MAX);
	assert_int_equal(backend_tick(&f->v, f->now + 10u * HOLD), 0);
	assert_string_equal(active(f), "sno2");
	/* the pin ends when sno2 fails */
	bad(f, 1);
	bad(f, 1);
	assert_int_equal(bad(f, 1), BACKEND_CHG_STATE | BACKEND_CHG_ACTIVE);
	assert_string_equal(active(f), "sno1");
	assert_false(f->v.pinned);
	assert_int_equal(f->v.switches, 2);
}

/* --- adoption -------------------------------------------------------------------------------- */

static void leader_msg(struct hb_msg *m, const char *act, uint64_t switches)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->active_backend, sizeof(m->active_backend), "%s", act);
	m->backend_switches = switches;
	m->n_backends = 3;
	snprintf(m->backends[0].name, sizeof(m->backends[0].name), "sno1");
	m->backends[0].up = true;
	m->backends[0].latency_ms = 7;
	snprintf(m->backends[1].name, sizeof(m->backends[1].name), "sno2");
	m->backends[1].up = true;
	m->backends[1].latency_ms = 8;
	snprintf(m->backends[2].name, sizeof(m->backends[2].name), "sno3");
	snprintf(m->backends[2].reason, sizeof(m->backends[2].reason), "connection refused");
}

static void adopt_takes_the_view(void **state)
{
	struct fx *f = *state;
	struct hb_msg m;

	leader_msg(&m, "sno2", 7);
	assert_int_equal(backend_adopt(&f->v, &m, f->now), BACKEND_CHG_STATE | BACKEND_CHG_ACTIVE);
	assert_active(f, "sno2", 7);
	assert_int_equal(f->v.b[0].state, BACKEND_UP);
	assert_int_equal(f->v.b[0].latency_ms, 7);
	assert_int_equal(f->v.b[2].state, BACKEND_DOWN);
	assert_string_equal(f->v.b[2].reason, "connection refused");
	assert_true(f->v.adopted);
	/* a follower does not decide */
	assert_int_equal(backend_tick(&f->v, f->now + 10u * HOLD), 0);
	assert_int_equal(backend_next_deadline(&f->v, f->now), UINT64_MAX);
	assert_int_equal(backend_adopt(&f->v, &m, f->now + 1000), 0);
}

static void adopt_keeps_active_until_own_checks_see_it_fall(void **state)
{
	struct fx *f = *state;
	struct hb_msg m;

	leader_msg(&m, "sno2", 7);
	backend_adopt(&f->v, &m, f->now);
	/* this node leads now: its own checks agree, nothing switches, no failback */
	for (int i = 0; i < 5; i++) {
		f->now += 2000;
		assert_int_equal(ok(f, 0), 0);
		assert_int_equal(ok(f, 1), 0);
	}
	assert_false(f->v.adopted);
	assert_true(f->v.pinned);
	assert_int_equal(backend_tick(&f->v, f->now + 10u * HOLD), 0);
	assert_string_equal(active(f), "sno2");
	bad(f, 1);
	bad(f, 1);
	assert_string_equal(active(f), "sno2");
	assert_int_equal(bad(f, 1), BACKEND_CHG_STATE | BACKEND_CHG_ACTIVE);
	assert_active(f, "sno1", 8);
}

static void adopt_then_normal_failback_when_nothing_better_was_up(void **state)
{
	struct fx *f = *state;
	struct hb_msg m;
	uint64_t up_at;

	leader_msg(&m, "sno2", 3);
	m.backends[0].up = false;
	snprintf(m.backends[0].reason, sizeof(m.backends[0].reason), "connection refused");
	backend_adopt(&f->v, &m, f->now);
	assert_int_equal(f->v.b[0].state, BACKEND_DOWN);
	f->now += 2000;
	assert_int_equal(bad(f, 0), 0);
	assert_false(f->v.pinned);
	up_at = recover_primary(f);
	assert_string_equal(active(f), "sno2");
	assert_int_equal(backend_next_deadline(&f->v, f->now), up_at + HOLD);
	assert_int_equal(backend_tick(&f->v, up_at + HOLD), BACKEND_CHG_ACTIVE);
	assert_active(f, "sno1", 4);
}

static void manual_use_right_after_takeover_stays_pinned(void **state)
{
	struct fx *f = *state;
	struct hb_msg m;

	leader_msg(&m, "sno1", 2);
	m.backends[0].up = false;
	snprintf(m.backends[0].reason, sizeof(m.backends[0].reason), "connection refused");
	m.backends[1].up = false;
	backend_adopt(&f->v, &m, f->now);
	/* leader now; before its first own result the operator picks sno3 */
	m.backends[2].up = true;
	backend_adopt(&f->v, &m, f->now);
	assert_int_equal(backend_use(&f->v, "sno3", f->now), BACKEND_CHG_ACTIVE);
	assert_false(f->v.adopted);
	assert_true(f->v.pinned);
	assert_int_equal(f->v.switches, 3);
	recover_primary(f);
	assert_int_equal(backend_tick(&f->v, f->now + 10u * HOLD), 0);
	assert_string_equal(active(f), "sno3");
}

static void adopt_ignores_unknown_names(void **state)
{
	struct fx *f = *state;
	struct hb_msg m;

	start_all(f);
	leader_msg(&m, "sno9", 1);
	snprintf(m.backends[1].name, sizeof(m.backends[1].name), "other");
	m.backends[0].up = false;
	assert_int_equal(backend_adopt(&f->v, &m, f->now), BACKEND_CHG_STATE | BACKEND_CHG_ACTIVE);
	assert_null(backend_active_name(&f->v));
	assert_int_equal(f->v.b[1].state, BACKEND_UP); /* untouched */
	assert_int_equal(f->v.b[0].state, BACKEND_DOWN);
}

static void export_then_adopt_round_trip(void **state)
{
	struct fx *f = *state;
	struct backend_view *w = calloc(1, sizeof(*w));
	struct hb_msg *m = calloc(1, sizeof(*m));

	assert_non_null(w);
	assert_non_null(m);
	ok(f, 0);
	bad(f, 1); /* one failure: still unknown */
	bad_n(f, 2, 3);
	backend_export(&f->v, m); /* sno2 still unknown */
	assert_string_equal(m->active_backend, "sno1");
	assert_int_equal(m->n_backends, 3);
	assert_true(m->backends[0].up);
	assert_string_equal(m->backends[0].reason, "");
	assert_false(m->backends[1].up);
	/* unknown travels as its own flag, with the failed check's reason */
	assert_true(m->backends[1].unknown);
	assert_string_equal(m->backends[1].reason, "HTTP 503 (expected 200), status DOWN");
	assert_false(m->backends[0].unknown);
	assert_false(m->backends[2].unknown);
	assert_false(m->backends[2].up);
	assert_string_equal(m->backends[2].reason, "HTTP 503 (expected 200), status DOWN");
	assert_int_equal(m->backends[2].latency_ms, 30);
	backend_init(w, f->cfg, 3, &f->opt, f->now);
	backend_adopt(w, m, f->now);
	assert_string_equal(backend_active_name(w), "sno1");
	assert_int_equal(w->b[0].state, BACKEND_UP);
	assert_int_equal(w->b[1].state, BACKEND_UNKNOWN);
	assert_string_equal(w->b[1].reason, "HTTP 503 (expected 200), status DOWN");
	assert_int_equal(w->b[2].state, BACKEND_DOWN);
	free(w);
	free(m);
}

/* --- status JSON ---------------------------------------------------------------------------- */

static void status_json_fields(void **state)
{
	struct fx *f = *state;
	struct json_object *root = json_object_new_object(), *arr, *e, *x;

	ok(f, 0);
	bad(f, 2);	/* failed once: unknown, with the check's reason */
	bad_n(f, 1, 3); /* down 3000 ms after sno1 came up */
	backend_status_json_at(&f->v, root, f->now + 1500);
	assert_true(json_object_object_get_ex(root, "active_backend", &x));
	assert_string_equal(json_object_get_string(x), "sno1");
	assert_true(json_object_object_get_ex(root, "backends", &arr));
	assert_int_equal(json_object_array_length(arr), 3);
	e = json_object_array_get_idx(arr, 0);
	assert_true(json_object_object_get_ex(e, "name", &x));
	assert_string_equal(json_object_get_string(x), "sno1");
	assert_true(json_object_object_get_ex(e, "state", &x));
	assert_string_equal(json_object_get_string(x), "up");
	assert_true(json_object_object_get_ex(e, "active", &x));
	assert_true(json_object_get_boolean(x));
	assert_true(json_object_object_get_ex(e, "latency_ms", &x));
	assert_int_equal(json_object_get_int64(x), 12);
	assert_true(json_object_object_get_ex(e, "since_ms_ago", &x));
	assert_int_equal(json_object_get_int64(x), 4500);
	e = json_object_array_get_idx(arr, 1);
	assert_true(json_object_object_get_ex(e, "state", &x));
	assert_string_equal(json_object_get_string(x), "down");
	assert_true(json_object_object_get_ex(e, "active", &x));
	assert_false(json_object_get_boolean(x));
	assert_true(json_object_object_get_ex(e, "reason", &x));
	assert_string_equal(json_object_get_string(x), "HTTP 503 (expected 200), status DOWN");
	assert_true(json_object_object_get_ex(e, "since_ms_ago", &x));
	assert_int_equal(json_object_get_int64(x), 1500);
	e = json_object_array_get_idx(arr, 2);
	assert_true(json_object_object_get_ex(e, "state", &x));
	assert_string_equal(json_object_get_string(x), "unknown");
	assert_true(json_object_object_get_ex(e, "reason", &x));
	assert_string_equal(json_object_get_string(x), "HTTP 503 (expected 200), status DOWN");
	assert_true(json_object_object_get_ex(e, "checks", &x));
	assert_int_equal(json_object_get_int64(x), 1);
	assert_true(json_object_object_get_ex(root, "backend_outage", &x));
	assert_false(json_object_get_boolean(x));
	json_object_put(root);
}

static void status_json_null_active(void **state)
{
	struct fx *f = *state;
	struct json_object *root = json_object_new_object(), *x = NULL;

	backend_status_json_at(&f->v, root, f->now);
	assert_true(json_object_object_get_ex(root, "active_backend", &x));
	assert_null(x);
	assert_true(json_object_object_get_ex(root, "backend_outage", &x));
	assert_false(json_object_get_boolean(x));
	json_object_put(root);
}

#define T(fn, s) cmocka_unit_test_setup_teardown(fn, s, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(starts_unknown_without_active, setup_after),
	    T(first_good_check_is_up_and_first_up_is_active, setup_after),
	    T(fast_backup_waits_for_primary, setup_after),
	    T(primary_down_at_start_picks_backup_after_fall, setup_after),
	    T(cold_start_first_failure_keeps_primary_unknown, setup_after),
	    T(cold_start_primary_down_before_backup_known, setup_after),
	    T(cold_start_primary_fails_once_then_answers, setup_after),
	    T(cold_start_failures_must_be_consecutive, setup_after),
	    T(fall_1_first_failure_is_down, setup_fall1),
	    T(all_down_at_start_is_outage_without_active, setup_after),
	    T(fall_counts_consecutive_failures, setup_after),
	    T(primary_down_moves_to_sno2_after_exactly_fall, setup_after),
	    T(rise_counts_consecutive_successes, setup_after),
	    T(failback_after_hold, setup_after),
	    T(failback_single_failure_keeps_hold, setup_after),
	    T(flapping_primary_restarts_hold, setup_after),
	    T(failback_picks_most_preferred_that_held, setup_after),
	    T(failback_never_stays, setup_never),
	    T(failback_immediate_at_rise, setup_immediate),
	    T(no_healthy_backend_keeps_last, setup_after),
	    T(manual_use, setup_after),
	    T(adopt_takes_the_view, setup_after),
	    T(adopt_keeps_active_until_own_checks_see_it_fall, setup_after),
	    T(adopt_then_normal_failback_when_nothing_better_was_up, setup_after),
	    T(manual_use_right_after_takeover_stays_pinned, setup_after),
	    T(adopt_ignores_unknown_names, setup_after),
	    T(export_then_adopt_round_trip, setup_after),
	    T(status_json_fields, setup_after),
	    T(status_json_null_active, setup_after),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
