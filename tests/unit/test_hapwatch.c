/* SPDX-License-Identifier: MIT */
/* test_hapwatch.c: HAProxy liveness hysteresis and new-process detection on a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hapwatch.h"

#define T0 1000000u

static unsigned ok(struct hapwatch *w, long pid, int64_t up, uint64_t now, uint64_t *next)
{
	return hapwatch_probe(w, true, pid, up, now - 2, now, next);
}

static unsigned bad(struct hapwatch *w, uint64_t started, uint64_t now, uint64_t *next)
{
	return hapwatch_probe(w, false, 0, -1, started, now, next);
}

/* Down only after 3 failed probes in a row; the VIP does not move for one or two. */
static void three_failures_make_down(void **state)
{
	struct hapwatch w;
	uint64_t next;

	(void)state;
	hapwatch_init(&w);
	assert_int_equal(ok(&w, 100, 50, T0, &next), 0);
	assert_int_equal(next, T0 + HAPWATCH_PROBE_MS);
	assert_int_equal(bad(&w, T0 + 5000, T0 + 5001, &next), 0);
	assert_false(w.down);
	assert_int_equal(bad(&w, T0 + 6000, T0 + 6001, &next), 0);
	assert_false(w.down);
	assert_int_equal(bad(&w, T0 + 7000, T0 + 7001, &next), HAPWATCH_DOWN_CHANGED);
	assert_true(w.down);
	assert_int_equal(bad(&w, T0 + 8000, T0 + 8001, &next), 0); /* reported once */
	assert_true(w.down);
}

/* Up again after one good probe, and the backend is applied again at once. */
static void one_success_makes_up(void **state)
{
	struct hapwatch w;
	uint64_t next;

	(void)state;
	hapwatch_init(&w);
	for (int i = 0; i < 3; i++)
		bad(&w, T0 + 1000u * (unsigned)i, T0 + 1000u * (unsigned)i + 1, &next);
	assert_true(w.down);
	assert_int_equal(ok(&w, 200, 0, T0 + 3000, &next),
			 HAPWATCH_DOWN_CHANGED | HAPWATCH_REAPPLY);
	assert_false(w.down);
	assert_int_equal(w.fails, 0);
}

/* Two failures then a success: the count starts again from zero. */
static void failures_must_be_in_a_row(void **state)
{
	struct hapwatch w;
	uint64_t next;

	(void)state;
	hapwatch_init(&w);
	bad(&w, T0, T0 + 1, &next);
	bad(&w, T0 + 1000, T0 + 1001, &next);
	assert_int_equal(ok(&w, 100, 5, T0 + 2000, &next), HAPWATCH_REAPPLY);
	bad(&w, T0 + 7000, T0 + 7001, &next);
	bad(&w, T0 + 8000, T0 + 8001, &next);
	assert_false(w.down);
}

/* While failing, probes start at most 1 s apart; a slow failure is followed at once. */
static void retry_at_most_1s_apart(void **state)
{
	struct hapwatch w;
	uint64_t next;

	(void)state;
	hapwatch_init(&w);
	bad(&w, T0, T0 + 3, &next); /* refused at once */
	assert_int_equal(next, T0 + HAPWATCH_RETRY_MS);
	bad(&w, T0 + 1000, T0 + 2000, &next); /* timed out after 1000 ms */
	assert_int_equal(next, T0 + 2000);
	bad(&w, T0 + 2000, T0 + 3500, &next);
	assert_int_equal(next, T0 + 3500);
}

/* A new process (another Pid, or an uptime that went back) loses the runtime states. */
static void new_process_reapplies(void **state)
{
	struct hapwatch w;
	uint64_t next;

	(void)state;
	hapwatch_init(&w);
	assert_int_equal(ok(&w, 100, 50, T0, &next), 0); /* the first one: nothing to compare */
	assert_int_equal(ok(&w, 100, 55, T0 + 5000, &next), 0);
	assert_int_equal(ok(&w, 101, 0, T0 + 10000, &next), HAPWATCH_REAPPLY); /* -sf reload */
	assert_int_equal(ok(&w, 101, 5, T0 + 15000, &next), 0);
	assert_int_equal(ok(&w, 101, 1, T0 + 20000, &next),
			 HAPWATCH_REAPPLY);		       /* same pid, restarted */
	assert_int_equal(ok(&w, 0, -1, T0 + 25000, &next), 0); /* not told: no guess */
	assert_int_equal(ok(&w, 101, 7, T0 + 30000, &next), 0);
	assert_false(w.down);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(three_failures_make_down),	 cmocka_unit_test(one_success_makes_up),
	    cmocka_unit_test(failures_must_be_in_a_row), cmocka_unit_test(retry_at_most_1s_apart),
	    cmocka_unit_test(new_process_reapplies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
