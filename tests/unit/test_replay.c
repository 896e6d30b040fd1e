/* SPDX-License-Identifier: MIT */
/* test_replay.c: replay protection: sequences, incarnations, forgetting a silent node. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "replay.h"

static void test_replay_sequence(void **state)
{
	struct replay_state st = {0};

	assert_int_equal(replay_check(&st, 100, 5), REPLAY_OK);
	assert_true(st.seen);
	assert_int_equal(replay_check(&st, 100, 5), REPLAY_OLD_SEQ);
	assert_int_equal(replay_check(&st, 100, 4), REPLAY_OLD_SEQ);
	assert_int_equal(replay_check(&st, 100, 0), REPLAY_OLD_SEQ);
	assert_int_equal(replay_check(&st, 100, 6), REPLAY_OK);
	assert_int_equal(replay_check(&st, 100, 1000), REPLAY_OK);
	assert_int_equal(replay_check(&st, 100, 999), REPLAY_OLD_SEQ);
	assert_int_equal(st.incarnation, 100);
	assert_int_equal(st.seq, 1000);
}

static void test_replay_first_accepted(void **state)
{
	struct replay_state st = {0};

	/* the very first datagram is taken whatever its numbers */
	assert_int_equal(replay_check(&st, 0, 0), REPLAY_OK);
	assert_int_equal(replay_check(&st, 0, 0), REPLAY_OLD_SEQ);
}

static void test_replay_incarnation(void **state)
{
	struct replay_state st = {0};

	assert_int_equal(replay_check(&st, 100, 500), REPLAY_OK);
	/* a restart: higher incarnation, sequence starts over */
	assert_int_equal(replay_check(&st, 101, 1), REPLAY_OK);
	assert_int_equal(st.incarnation, 101);
	assert_int_equal(st.seq, 1);
	assert_int_equal(replay_check(&st, 101, 1), REPLAY_OLD_SEQ);
	assert_int_equal(replay_check(&st, 101, 2), REPLAY_OK);
	/* a recorded datagram of the old run, even with a higher seq */
	assert_int_equal(replay_check(&st, 100, 501), REPLAY_OLD_INCARNATION);
	assert_int_equal(replay_check(&st, 0, UINT64_MAX), REPLAY_OLD_INCARNATION);
	assert_int_equal(st.incarnation, 101);
	assert_int_equal(st.seq, 2);
}

/* A node silent for the forget time is forgotten: its restart with a lower incarnation is
 * taken; before that time it is a replay. Fake clock: the times are arguments. */
static void test_replay_forget_after_silence(void **state)
{
	struct replay_state st = {0};
	const uint64_t forget = 600; /* dead-after 3 x interval 200 ms */
	bool back = true;

	assert_int_equal(replay_admit(&st, 1000, 1, 10000, forget, &back), REPLAY_OK);
	assert_false(back);
	assert_int_equal(replay_admit(&st, 1000, 2, 10200, forget, &back), REPLAY_OK);
	/* the node restarts with a lower incarnation: dropped while its last beat is recent */
	assert_int_equal(replay_admit(&st, 5, 1, 10300, forget, &back), REPLAY_OLD_INCARNATION);
	assert_int_equal(replay_admit(&st, 5, 2, 10799, forget, &back), REPLAY_OLD_INCARNATION);
	/* drops do not refresh the state: 600 ms after the last accepted one it is forgotten */
	assert_int_equal(replay_admit(&st, 5, 3, 10800, forget, &back), REPLAY_OK);
	assert_true(back);
	assert_int_equal(st.incarnation, 5);
	assert_int_equal(st.last_ms, 10800);
	/* from then on the new run is protected as usual */
	assert_int_equal(replay_admit(&st, 5, 3, 10900, forget, &back), REPLAY_OLD_SEQ);
	assert_int_equal(replay_admit(&st, 1000, 3, 10950, forget, NULL), REPLAY_OK);
	assert_int_equal(replay_admit(&st, 5, 9, 11000, forget, &back), REPLAY_OLD_INCARNATION);
	/* a higher incarnation after a silence is not "back" */
	assert_int_equal(replay_admit(&st, 2000, 1, 20000, forget, &back), REPLAY_OK);
	assert_false(back);
	/* forget 0: never */
	assert_int_equal(replay_admit(&st, 1, 1, 99999999, 0, &back), REPLAY_OLD_INCARNATION);
}

static void test_replay_make_incarnation(void **state)
{
	assert_int_equal(replay_make_incarnation(0x18c0000000ULL, 0xbeef), 0x18c0000000beefULL);
	assert_int_equal(replay_make_incarnation(1, 0), 0x10000ULL);
	/* a restart one millisecond later wins whatever the random part */
	assert_true(replay_make_incarnation(1700000000001ULL, 0) >
		    replay_make_incarnation(1700000000000ULL, UINT16_MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_replay_sequence),
	    cmocka_unit_test(test_replay_first_accepted),
	    cmocka_unit_test(test_replay_incarnation),
	    cmocka_unit_test(test_replay_make_incarnation),
	    cmocka_unit_test(test_replay_forget_after_silence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
