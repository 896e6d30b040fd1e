/* SPDX-License-Identifier: MIT */
/* test_fence.c: the DNS fence logic on a fake monotonic clock: values, stale, quiet rule, retry. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "fence.h"

#define RENEW 10000u
#define T0    5000000u /* fake CLOCK_MONOTONIC ms: any origin works */

static enum fence_verdict read1(struct fence_state *st, const char *text, uint64_t now)
{
	const char *t[1] = {text};

	return fence_on_read(st, t, text ? 1 : 0, now);
}

/* st, new, on its way to lead term as node. */
static void leading(struct fence_state *st, uint64_t term, const char *node)
{
	fence_init(st, RENEW);
	fence_lead(st, term, node);
}

/* The value st would write next has term and seq. */
static void assert_next(const struct fence_state *st, uint64_t term, uint64_t seq)
{
	struct fence_value next;

	fence_next(st, &next);
	assert_int_equal(next.term, term);
	assert_int_equal(next.seq, seq);
}

static void test_parse_valid(void **state)
{
	struct fence_value v;

	(void)state;
	assert_int_equal(fence_parse("term=1 node=lb1 seq=3", &v), 0);
	assert_true(v.term == 1 && v.seq == 3);
	assert_string_equal(v.node, "lb1");
	assert_int_equal(fence_parse("term=9007199254740992 node=a.b_c-D seq=0", &v), 0);
	assert_true(v.term == FENCE_TERM_MAX && v.seq == 0);
	assert_string_equal(v.node, "a.b_c-D");
}

static void test_parse_garbage(void **state)
{
	static const char *const bad[] = {
	    "",
	    "term=1",
	    "term=1 node=lb1",
	    "term=1 node=lb1 seq=",
	    "term=1 node=lb1 seq=2 ",
	    "term=1  node=lb1 seq=2",
	    "term=01 node=lb1 seq=2",
	    "term=-1 node=lb1 seq=2",
	    "term=+1 node=lb1 seq=2",
	    "term=18446744073709551616 node=lb1 seq=2",
	    "term=18446744073709551615 node=lb1 seq=2",
	    "term=9007199254740993 node=lb1 seq=2", /* above 2^53: terms never wrap */
	    "seq=2 node=lb1 term=1",
	    "TERM=1 node=lb1 seq=2",
	    "term=1 node= seq=2",
	    "term=1 node=lb\"1 seq=2",
	    "term=1 node=lb1 seq=2x",
	    "term=1 node=0123456789012345678901234567890123456789012345678901234567890123 seq=2",
	    "hello world",
	};
	struct fence_value v = {.term = 77};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (fence_parse(bad[i], &v) != -EINVAL)
			fail_msg("accepted garbage fence '%s'", bad[i]);
		assert_int_equal(v.term, 77); /* untouched on error */
	}
}

static void test_format(void **state)
{
	struct fence_value v = {.term = 7, .seq = 42, .node = "lb1"}, back;
	char buf[FENCE_TEXT_MAX], tiny[10];

	(void)state;
	assert_int_equal(fence_format(&v, buf, sizeof(buf)), 22);
	assert_string_equal(buf, "term=7 node=lb1 seq=42");
	assert_int_equal(fence_parse(buf, &back), 0);
	assert_true(back.term == 7 && back.seq == 42);
	assert_string_equal(back.node, "lb1");
	assert_int_equal(fence_format(&v, tiny, sizeof(tiny)), -ENOSPC);
	strcpy(v.node, "two words");
	assert_int_equal(fence_format(&v, buf, sizeof(buf)), -EINVAL);
	v.node[0] = '\0';
	assert_int_equal(fence_format(&v, buf, sizeof(buf)), -EINVAL);
}

static void test_no_fence_write(void **state)
{
	struct fence_state st;
	struct fence_value next;

	(void)state;
	leading(&st, 4, "lb1");
	assert_false(st.known);
	assert_int_equal(read1(&st, NULL, T0), FENCE_WRITE);
	assert_true(st.known);
	assert_false(st.exists);
	fence_next(&st, &next);
	assert_true(next.term == 4 && next.seq == 1);
	assert_string_equal(next.node, "lb1");
	fence_on_written(&st, &next);
	assert_next(&st, 4, 2);
}

static void test_own_and_lower_terms_write(void **state)
{
	struct fence_state st;

	(void)state;
	leading(&st, 5, "lb2");
	assert_int_equal(read1(&st, "term=5 node=lb1 seq=4", T0), FENCE_WRITE);
	assert_next(&st, 5, 5);
	assert_int_equal(read1(&st, "term=2 node=lb1 seq=40", T0 + 1), FENCE_WRITE);
	assert_next(&st, 5, 41);
	assert_false(st.stale);
}

static void test_garbage_fence_overwritten(void **state)
{
	struct fence_state st;

	(void)state;
	leading(&st, 3, "lb1");
	assert_int_equal(read1(&st, "v=spf1 -all", T0), FENCE_WRITE);
	assert_true(st.exists);
	assert_true(st.garbage);
	assert_int_equal(st.cur.term, 0);
	assert_next(&st, 3, 1);
}

static void test_stale_detection(void **state)
{
	struct fence_state st;

	(void)state;
	leading(&st, 1, "lb1");
	assert_int_equal(read1(&st, "term=2 node=lb2 seq=9", T0), FENCE_STALE);
	assert_true(st.stale);
	assert_false(st.leading);
	assert_int_equal(st.stale_term, 2);
	assert_int_equal(st.cur.term, 2);
	assert_string_equal(st.cur.node, "lb2");
	assert_int_equal(fence_quiet_at(&st), T0 + 3 * RENEW);
}

static void test_stale_highest_of_several_records(void **state)
{
	struct fence_state st;
	const char *t[3] = {"term=1 node=a seq=5", "junk", "term=3 node=b seq=1"};

	(void)state;
	leading(&st, 2, "a");
	assert_int_equal(fence_on_read(&st, t, 3, T0), FENCE_STALE);
	assert_int_equal(st.stale_term, 3);
	assert_true(st.garbage);
}

static void test_quiet_rule_exactly_3_renewals(void **state)
{
	struct fence_state st;
	const char *f = "term=2 node=lb2 seq=9";

	(void)state;
	leading(&st, 1, "lb1");
	assert_int_equal(read1(&st, f, T0), FENCE_STALE);
	fence_resign(&st);
	assert_int_equal(read1(&st, f, T0 + RENEW), FENCE_WAIT);
	assert_int_equal(read1(&st, f, T0 + 2 * RENEW), FENCE_WAIT);
	assert_int_equal(read1(&st, f, T0 + 3 * RENEW - 1), FENCE_WAIT);
	assert_true(st.stale);
	assert_int_equal(read1(&st, f, T0 + 3 * RENEW), FENCE_UNFENCED);
	assert_false(st.stale);
	assert_int_equal(st.cur.term, 2);
	assert_int_equal(fence_quiet_at(&st), 0);
	/* read again with the old term: stale again, with a fresh quiet period */
	assert_int_equal(read1(&st, f, T0 + 3 * RENEW + 1), FENCE_STALE);
	assert_int_equal(fence_quiet_at(&st), T0 + 6 * RENEW + 1);
}

static void test_quiet_restarts_on_change(void **state)
{
	struct fence_state st;
	uint64_t t1 = T0 + 2 * RENEW;

	(void)state;
	leading(&st, 1, "lb1");
	assert_int_equal(read1(&st, "term=2 node=lb2 seq=9", T0), FENCE_STALE);
	/* the newer leader renews: same term, new seq -> still stale, no new report */
	assert_int_equal(read1(&st, "term=2 node=lb2 seq=10", t1), FENCE_WAIT);
	assert_int_equal(fence_quiet_at(&st), t1 + 3 * RENEW);
	assert_int_equal(read1(&st, "term=2 node=lb2 seq=10", T0 + 3 * RENEW), FENCE_WAIT);
	assert_int_equal(read1(&st, "term=2 node=lb2 seq=10", t1 + 3 * RENEW - 1), FENCE_WAIT);
	assert_int_equal(read1(&st, "term=2 node=lb2 seq=10", t1 + 3 * RENEW), FENCE_UNFENCED);
}

static void test_stale_higher_term_reported_again(void **state)
{
	struct fence_state st;

	(void)state;
	leading(&st, 1, "lb1");
	assert_int_equal(read1(&st, "term=2 node=lb2 seq=9", T0), FENCE_STALE);
	assert_int_equal(read1(&st, "term=4 node=lb3 seq=1", T0 + RENEW), FENCE_STALE);
	assert_int_equal(st.stale_term, 4);
	assert_int_equal(fence_quiet_at(&st), T0 + 4 * RENEW);
}

static void test_stale_fence_dropped_unfences(void **state)
{
	struct fence_state st;

	(void)state;
	leading(&st, 3, "lb1");
	assert_int_equal(read1(&st, "term=5 node=lb2 seq=9", T0), FENCE_STALE);
	assert_int_equal(read1(&st, "term=3 node=lb0 seq=10", T0 + 1), FENCE_UNFENCED);
	assert_int_equal(read1(&st, "term=5 node=lb2 seq=11", T0 + 2), FENCE_STALE);
	assert_int_equal(read1(&st, "term=3 node=lb2 seq=12", T0 + 3),
			 FENCE_WAIT);				    /* (3,lb2) > (3,lb1) */
	assert_int_equal(read1(&st, NULL, T0 + 3), FENCE_UNFENCED); /* fence deleted */
}

static void test_lead_above_fence_clears_stale(void **state)
{
	struct fence_state st;

	(void)state;
	leading(&st, 1, "lb1");
	assert_int_equal(read1(&st, "term=2 node=lb2 seq=9", T0), FENCE_STALE);
	fence_lead(&st, 3, "lb1");
	assert_false(st.stale);
	assert_false(st.known);
	assert_int_equal(read1(&st, "term=2 node=lb2 seq=9", T0 + 1), FENCE_WRITE);
	assert_next(&st, 3, 10);
}

static void test_stale_leader_again_without_higher_term(void **state)
{
	struct fence_state st;
	struct fence_value next;

	(void)state;
	leading(&st, 1, "lb3");
	assert_int_equal(read1(&st, "term=2 node=lb2 seq=9", T0), FENCE_STALE);
	fence_lead(&st, 1, "lb3"); /* not above the fence: still stale, and reported again */
	assert_true(st.stale);
	assert_int_equal(read1(&st, "term=2 node=lb2 seq=9", T0 + 1), FENCE_STALE);
	assert_int_equal(st.seen_since_ms, T0); /* same text: the quiet period goes on */
	fence_lead(&st, 2, "lb3"); /* same term, higher name: above the fence's claim */
	assert_false(st.stale);
	assert_int_equal(read1(&st, "term=2 node=lb2 seq=9", T0 + 2), FENCE_WRITE);
	fence_next(&st, &next);
	assert_true(next.term == 2 && next.seq == 10);
	assert_string_equal(next.node, "lb3");
	fence_lead(&st, 1, "lb3");
	assert_int_equal(read1(&st, "term=2 node=lb2 seq=9", T0 + 3), FENCE_STALE);
}

/* Claims are ordered by (term, node name): the same term of a higher name fences us. */
static void test_cmp_total_order(void **state)
{
	struct fence_value v = {.term = 5, .seq = 1, .node = "lb2"};

	(void)state;
	assert_true(fence_cmp(&v, 5, "lb1") > 0);
	assert_true(fence_cmp(&v, 5, "lb3") < 0);
	assert_true(fence_cmp(&v, 5, "lb2") == 0);
	assert_true(fence_cmp(&v, 4, "zz") > 0);
	assert_true(fence_cmp(&v, 6, "a") < 0);
	assert_true(fence_cmp(&v, 5, "lb10") > 0); /* byte order: "lb2" > "lb10" */
}

static void test_same_term_lower_name_is_stale(void **state)
{
	struct fence_state st;
	const char *f = "term=5 node=lb2 seq=3";

	(void)state;
	leading(&st, 5, "lb1");
	assert_int_equal(read1(&st, f, T0), FENCE_STALE);
	assert_true(st.stale);
	assert_false(st.leading);
	assert_int_equal(st.stale_term, 5);
	assert_string_equal(st.stale_node, "lb2");
	assert_string_equal(st.cur.node, "lb2");
	fence_resign(&st);
	/* as for a higher term: quiet for 3 x renew, then it may lead again (term 6) */
	assert_int_equal(read1(&st, f, T0 + 3 * RENEW - 1), FENCE_WAIT);
	assert_int_equal(read1(&st, f, T0 + 3 * RENEW), FENCE_UNFENCED);
	fence_lead(&st, 6, "lb1");
	assert_int_equal(read1(&st, f, T0 + 3 * RENEW + 1), FENCE_WRITE);
}

static void test_same_term_higher_name_writes(void **state)
{
	struct fence_state st;
	struct fence_value next;

	(void)state;
	leading(&st, 5, "lb2");
	assert_int_equal(read1(&st, "term=5 node=lb1 seq=3", T0), FENCE_WRITE);
	assert_false(st.stale);
	fence_next(&st, &next);
	assert_true(next.term == 5 && next.seq == 4);
	assert_string_equal(next.node, "lb2");
}

/* Two partitioned leaders with the same term: one round and the lower name is out, where
 * they used to rewrite the fence against each other forever. */
static void test_same_term_claims_converge(void **state)
{
	struct fence_state a, b;
	struct fence_value va, vb;
	char text[FENCE_TEXT_MAX];

	(void)state;
	fence_init(&a, RENEW);
	fence_init(&b, RENEW);
	fence_lead(&a, 7, "lb1");
	fence_lead(&b, 7, "lb2");
	assert_int_equal(read1(&a, NULL, T0), FENCE_WRITE);
	fence_next(&a, &va);
	fence_on_written(&a, &va);
	assert_true(fence_format(&va, text, sizeof(text)) > 0);
	assert_int_equal(read1(&b, text, T0 + 1), FENCE_WRITE); /* lb2 > lb1: writes over it */
	fence_next(&b, &vb);
	fence_on_written(&b, &vb);
	assert_true(fence_format(&vb, text, sizeof(text)) > 0);
	assert_int_equal(fence_on_prereq_failed(&a), FENCE_REREAD); /* lb1's renewal fails */
	assert_int_equal(read1(&a, text, T0 + 2), FENCE_STALE);
	assert_false(a.leading);
	/* lb2 renews undisturbed */
	assert_int_equal(read1(&b, text, T0 + 3), FENCE_WRITE);
}

static void test_highest_claim_of_several_records(void **state)
{
	struct fence_state st;
	const char *t[3] = {"term=4 node=lb3 seq=1", "term=4 node=lb1 seq=9",
			    "term=3 node=lb9 seq=50"};

	(void)state;
	leading(&st, 4, "lb2");
	assert_int_equal(fence_on_read(&st, t, 3, T0), FENCE_STALE);
	assert_string_equal(st.cur.node, "lb3");
	assert_string_equal(st.stale_node, "lb3");
}

/* A term above 2^53 is invalid input: garbage, overwritten, never learned. */
static void test_term_above_2_53_is_invalid(void **state)
{
	struct fence_state st;

	(void)state;
	leading(&st, 3, "lb1");
	assert_int_equal(read1(&st, "term=18446744073709551615 node=lb2 seq=1", T0), FENCE_WRITE);
	assert_true(st.garbage);
	assert_false(st.stale);
	assert_int_equal(st.cur.term, 0);
	assert_next(&st, 3, 1);
}

/* More than 1,000,000 above our term: reported, never fences, never written over. */
static void test_implausible_term(void **state)
{
	struct fence_state st;
	const char *t[2] = {"term=1000004 node=lb2 seq=1", "term=2 node=lb2 seq=8"};

	(void)state;
	leading(&st, 3, "lb1");
	assert_int_equal(read1(&st, "term=1000004 node=lb2 seq=1", T0), FENCE_IMPLAUSIBLE);
	assert_true(st.implausible);
	assert_true(st.implausible_term == 1000004);
	assert_false(st.stale);
	assert_true(st.leading);
	assert_false(st.known); /* read again before any write */
	assert_int_equal(st.cur.term, 0);
	/* next to a plausible record: still no write, the plausible one is the claim */
	assert_int_equal(fence_on_read(&st, t, 2, T0 + 1), FENCE_IMPLAUSIBLE);
	assert_int_equal(st.cur.term, 2);
	/* exactly 1,000,000 above is plausible: a real (if odd) newer leadership */
	assert_int_equal(read1(&st, "term=1000003 node=lb2 seq=1", T0 + 2), FENCE_STALE);
	assert_false(st.implausible);
	/* once removed, the leader writes again */
	fence_lead(&st, 1000004, "lb1");
	assert_int_equal(read1(&st, NULL, T0 + 3), FENCE_WRITE);
	assert_true(st.known);
}

static void test_implausible_unfences_a_stale_node(void **state)
{
	struct fence_state st;

	(void)state;
	leading(&st, 3, "lb1");
	assert_int_equal(read1(&st, "term=5 node=lb2 seq=9", T0), FENCE_STALE);
	fence_resign(&st);
	/* the only claim left is implausible: nobody plausible holds the fence */
	assert_int_equal(read1(&st, "term=900000000 node=lb2 seq=9", T0 + 1), FENCE_UNFENCED);
	assert_false(st.stale);
	assert_int_equal(st.stale_term, 5);
}

static void test_retry_path(void **state)
{
	struct fence_state st;
	struct fence_value next;

	(void)state;
	leading(&st, 1, "lb1");
	assert_int_equal(read1(&st, "term=1 node=lb0 seq=9", T0), FENCE_WRITE);
	fence_next(&st, &next);
	assert_true(next.term == 1 && next.seq == 10);
	fence_on_written(&st, &next);
	/* someone changed the fence: the prerequisite failed */
	assert_int_equal(fence_on_prereq_failed(&st), FENCE_REREAD);
	assert_false(st.known);
	assert_int_equal(read1(&st, "term=1 node=lb0 seq=12", T0 + 1), FENCE_WRITE);
	fence_next(&st, &next);
	assert_true(next.term == 1 && next.seq == 13);
	assert_string_equal(next.node, "lb1");
	assert_int_equal(fence_on_prereq_failed(&st), FENCE_REREAD);
	assert_int_equal(read1(&st, "term=2 node=lb2 seq=1", T0 + 2), FENCE_STALE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_valid),
	    cmocka_unit_test(test_parse_garbage),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_no_fence_write),
	    cmocka_unit_test(test_own_and_lower_terms_write),
	    cmocka_unit_test(test_garbage_fence_overwritten),
	    cmocka_unit_test(test_stale_detection),
	    cmocka_unit_test(test_stale_highest_of_several_records),
	    cmocka_unit_test(test_quiet_rule_exactly_3_renewals),
	    cmocka_unit_test(test_quiet_restarts_on_change),
	    cmocka_unit_test(test_stale_higher_term_reported_again),
	    cmocka_unit_test(test_stale_fence_dropped_unfences),
	    cmocka_unit_test(test_lead_above_fence_clears_stale),
	    cmocka_unit_test(test_stale_leader_again_without_higher_term),
	    cmocka_unit_test(test_retry_path),
	    cmocka_unit_test(test_cmp_total_order),
	    cmocka_unit_test(test_same_term_lower_name_is_stale),
	    cmocka_unit_test(test_same_term_higher_name_writes),
	    cmocka_unit_test(test_same_term_claims_converge),
	    cmocka_unit_test(test_highest_claim_of_several_records),
	    cmocka_unit_test(test_term_above_2_53_is_invalid),
	    cmocka_unit_test(test_implausible_term),
	    cmocka_unit_test(test_implausible_unfences_a_stale_node),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
