/* SPDX-License-Identifier: MIT */
/* test_dnsplan.c: the DNS updater's planner on a fake clock, invariants checked every step. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "plan.h"

#define T0	10000u /* start of every test clock */
#define RENEW	700u   /* not a divisor of TTL: renewals and queries never coincide */
#define TTL	60u
#define TIMEOUT 500u

struct h {
	struct dnsplan p;
	uint64_t now;
	uint64_t rnd; /* the random value handed with every event */
	struct dnsplan_out out;
	unsigned act;
	enum dnsplan_op started; /* the last exchange dnsplan_next() started */
	unsigned stale_cbs, unfenced_cbs;
};

/* What must hold after every step, whatever the event. */
static void check_invariants(const struct h *h)
{
	const struct dnsplan *p = &h->p;

	assert_int_equal(p->op != DNSP_OP_NONE, p->io_at != 0);
	if (p->io_at)
		assert_true(p->io_at > h->now - TIMEOUT && p->io_at <= h->now + TIMEOUT);
	assert_int_equal(p->backing_off, p->retry_at != 0);
	if (p->retry_at)
		assert_true(p->retry_at <= h->now + DNSP_BACKOFF_CAP_MS);
	if (!p->leader)
		assert_int_equal(p->reconcile_at, 0);
	else
		assert_true(p->reconcile_at > h->now && p->reconcile_at <= h->now + TTL * 1000u);
	if (p->leader && p->cfg.fence)
		assert_true(p->renew_at > h->now && p->renew_at <= h->now + RENEW);
	if (!p->leader && !p->fence.stale) {
		assert_int_equal(p->renew_at, 0);
		assert_true(p->op == DNSP_OP_NONE || p->op == DNSP_OP_READ);
	}
	if (p->op == DNSP_OP_UPDATE || p->op == DNSP_OP_QUERY)
		assert_true(p->leader);
	if (p->fence.stale)
		assert_true(p->renew_at != 0 || p->leader);
}

/* Carries out one event like dns.c: step, callbacks, then the next exchange if told. */
static unsigned step(struct h *h, struct dnsplan_event ev)
{
	enum dnsplan_op before = h->p.op;

	ev.rnd = h->rnd;
	h->started = DNSP_OP_NONE;
	h->act = dnsplan_step(&h->p, &ev, h->now, &h->out);
	assert_int_equal(h->act, h->out.act);
	if (h->act & DNSP_ABANDON)
		assert_int_not_equal(before, DNSP_OP_NONE);
	if (h->act & DNSP_BACKOFF) {
		assert_true(h->p.backing_off);
		assert_int_equal(h->p.retry_at, h->now + h->out.delay_ms);
		assert_true(h->out.delay_ms >= DNSP_BACKOFF_BASE_MS / 2);
		assert_true(h->out.delay_ms <= DNSP_BACKOFF_CAP_MS);
		assert_false(h->act & DNSP_KICK);
	}
	if (h->act & DNSP_CB_STALE) {
		assert_false(h->p.leader);
		assert_true(h->p.fence.stale);
		assert_false(h->act & DNSP_KICK);
		h->stale_cbs++;
	}
	if (h->act & DNSP_CB_UNFENCED) {
		assert_false(h->p.fence.stale);
		h->unfenced_cbs++;
	}
	check_invariants(h);
	if (h->act & DNSP_KICK) {
		h->started = dnsplan_next(&h->p, h->now);
		if (h->started == DNSP_OP_UPDATE && h->p.cfg.fence) {
			/* a write carries our claim and never one below the fence as known */
			assert_true(h->p.fence.known);
			assert_int_equal(h->p.writing.term, h->p.term);
			assert_string_equal(h->p.writing.node, h->p.node);
			assert_true(fence_cmp(&h->p.fence.cur, h->p.term, h->p.node) <= 0);
		}
		if (h->started == DNSP_OP_READ)
			assert_true(h->p.leader || h->p.fence.stale);
		check_invariants(h);
	}
	return h->act;
}

static unsigned ev_type(struct h *h, enum dnsplan_event_type type)
{
	return step(h, (struct dnsplan_event){.type = type});
}

static void init(struct h *h, bool fence, bool target)
{
	memset(h, 0, sizeof(*h));
	h->now = T0;
	dnsplan_init(
	    &h->p, &(struct dnsplan_cfg){
		       .fence = fence, .fence_renew_ms = RENEW, .ttl = TTL, .timeout_ms = TIMEOUT});
	if (target)
		step(h, (struct dnsplan_event){.type = DNSP_EV_TARGET, .has_target = true});
	check_invariants(h);
}

static unsigned lead(struct h *h, uint64_t term, const char *node)
{
	return step(h, (struct dnsplan_event){.type = DNSP_EV_LEAD, .term = term, .node = node});
}

static unsigned read1(struct h *h, const char *text)
{
	const char *texts[1] = {text};

	assert_int_equal(h->p.op, DNSP_OP_READ);
	return step(h, (struct dnsplan_event){.type = DNSP_EV_READ, .texts = texts, .n = !!text});
}

static unsigned query(struct h *h, bool match)
{
	assert_int_equal(h->p.op, DNSP_OP_QUERY);
	return step(h, (struct dnsplan_event){.type = DNSP_EV_QUERIED, .match = match});
}

static unsigned updated(struct h *h)
{
	assert_int_equal(h->p.op, DNSP_OP_UPDATE);
	return ev_type(h, DNSP_EV_UPDATED);
}

/* Moves the fake clock to the earliest deadline and delivers its event. */
static unsigned fire_next(struct h *h)
{
	const uint64_t at[4] = {h->p.io_at, h->p.retry_at, h->p.renew_at, h->p.reconcile_at};
	const enum dnsplan_event_type type[4] = {DNSP_EV_FAILED, DNSP_EV_RETRY, DNSP_EV_RENEW,
						 DNSP_EV_RECONCILE};
	unsigned best = 4;

	for (unsigned i = 0; i < 4; i++)
		if (at[i] && (best == 4 || at[i] < at[best]))
			best = i;
	assert_true(best < 4);
	assert_true(at[best] >= h->now);
	h->now = at[best];
	return ev_type(h, type[best]);
}

/* Fires renewals (which start nothing while an exchange runs or a backoff waits) until the
 * deadline at *at is the earliest, then that one. */
static unsigned fire_at(struct h *h, const uint64_t *at)
{
	while (h->p.renew_at && h->p.renew_at < *at) {
		fire_next(h);
		assert_int_equal(h->started, DNSP_OP_NONE);
	}
	assert_true(*at != 0);
	return fire_next(h);
}

/* Leader of term 5 as lb1 with the fence written (seq 1) and the target confirmed. */
static void first_write(struct h *h)
{
	init(h, true, true);
	assert_true(lead(h, 5, "lb1") & DNSP_ROLE);
	assert_int_equal(h->started, DNSP_OP_READ);
	assert_int_equal(h->p.io_at, T0 + TIMEOUT);
	assert_int_equal(h->p.renew_at, T0 + RENEW);
	assert_int_equal(h->p.reconcile_at, T0 + TTL * 1000u);
	h->now += 20;
	read1(h, NULL); /* no fence yet */
	assert_int_equal(h->started, DNSP_OP_UPDATE);
	assert_true(h->p.with_addrs);
	assert_int_equal(h->p.writing.term, 5);
	assert_int_equal(h->p.writing.seq, 1);
	h->now += 20;
	assert_true(updated(h) & DNSP_WRITTEN);
	assert_int_equal(h->started, DNSP_OP_QUERY); /* check what the server serves */
	h->now += 20;
	query(h, true);
	assert_int_equal(h->started, DNSP_OP_NONE);
	assert_int_equal(h->p.op, DNSP_OP_NONE);
}

static void test_first_write(void **state)
{
	struct h h;

	(void)state;
	first_write(&h);
	assert_int_equal(h.p.failures, 0);
	assert_true(h.p.fence.known);
	assert_int_equal(h.p.fence.cur.seq, 1);
	assert_true(h.p.addrs_current);
	/* the same leadership again changes nothing */
	assert_int_equal(lead(&h, 5, "lb1"), 0);
}

static void test_first_write_no_fence(void **state)
{
	struct h h;

	(void)state;
	init(&h, false, true);
	lead(&h, 3, "lb1");
	assert_int_equal(h.started, DNSP_OP_UPDATE); /* no fence read */
	assert_int_equal(h.p.renew_at, 0);
	assert_true(h.p.with_addrs);
	updated(&h);
	assert_int_equal(h.started, DNSP_OP_QUERY);
	query(&h, true);
	/* without a target there is nothing to write */
	init(&h, false, false);
	lead(&h, 3, "lb1");
	assert_int_equal(h.started, DNSP_OP_NONE);
}

static void test_renewal(void **state)
{
	struct h h;

	(void)state;
	first_write(&h);
	assert_int_equal(fire_next(&h), DNSP_KICK); /* renew_at */
	assert_int_equal(h.now, T0 + RENEW);
	assert_int_equal(h.started, DNSP_OP_UPDATE);
	assert_false(h.p.with_addrs); /* our own write: the fence only */
	assert_int_equal(h.p.writing.seq, 2);
	assert_int_equal(h.p.renew_at, T0 + 2 * RENEW);
	h.now += 10;
	updated(&h);
	assert_int_equal(h.started, DNSP_OP_NONE); /* no query after a fence-only write */
	/* renewals go on every fence-renew until the reconcile query */
	for (unsigned i = 3; h.p.reconcile_at > h.p.renew_at; i++) {
		fire_next(&h);
		assert_int_equal(h.started, DNSP_OP_UPDATE);
		assert_int_equal(h.p.writing.seq, i);
		updated(&h);
	}
	fire_next(&h);
	assert_int_equal(h.now, T0 + TTL * 1000u);
	assert_int_equal(h.started, DNSP_OP_QUERY);
	/* named serves something else: write the addresses again */
	assert_true(query(&h, false) & DNSP_MISMATCH);
	assert_int_equal(h.started, DNSP_OP_UPDATE);
	assert_true(h.p.with_addrs);
	/* a target change while leading writes the addresses */
	updated(&h);
	query(&h, true);
	step(&h, (struct dnsplan_event){.type = DNSP_EV_TARGET, .has_target = true});
	assert_int_equal(h.started, DNSP_OP_UPDATE);
	assert_true(h.p.with_addrs);
}

static void test_target_moves_mid_update(void **state)
{
	struct h h;

	(void)state;
	first_write(&h);
	step(&h, (struct dnsplan_event){.type = DNSP_EV_TARGET, .has_target = true});
	assert_int_equal(h.started, DNSP_OP_UPDATE);
	assert_true(h.p.with_addrs);
	/* the target moves again while that update is in flight: it waits, then is written */
	step(&h, (struct dnsplan_event){.type = DNSP_EV_TARGET, .has_target = true});
	assert_int_equal(h.started, DNSP_OP_NONE);
	updated(&h);
	assert_false(h.p.addrs_current);
	assert_int_equal(h.started, DNSP_OP_UPDATE);
	assert_true(h.p.with_addrs);
	updated(&h);
	assert_true(h.p.addrs_current);
	assert_int_equal(h.started, DNSP_OP_QUERY);
	/* no target at all: the fence is kept, the addresses are left alone, nothing queried */
	init(&h, true, false);
	lead(&h, 2, "lb1");
	read1(&h, NULL);
	assert_int_equal(h.started, DNSP_OP_UPDATE);
	assert_false(h.p.with_addrs);
	updated(&h);
	assert_int_equal(h.started, DNSP_OP_NONE);
}

static void test_prereq_then_reread(void **state)
{
	struct h h;
	unsigned act;

	(void)state;
	first_write(&h);
	fire_next(&h);
	assert_int_equal(h.started, DNSP_OP_UPDATE);
	/* the fence changed under us: read it again at once, then write on what was read */
	act = ev_type(&h, DNSP_EV_PREREQ);
	assert_int_equal(act, DNSP_KICK);
	assert_false(h.p.fence.known);
	assert_int_equal(h.started, DNSP_OP_READ);
	read1(&h, "term=4 node=lb9 seq=7");
	assert_int_equal(h.started, DNSP_OP_UPDATE);
	assert_int_equal(h.p.writing.seq, 8);
	/* a second failure in a row backs off instead of spinning */
	h.rnd = 0;
	act = ev_type(&h, DNSP_EV_PREREQ);
	assert_int_equal(act, DNSP_BACKOFF);
	assert_int_equal(h.out.delay_ms, DNSP_BACKOFF_BASE_MS / 2);
	assert_int_equal(h.started, DNSP_OP_NONE);
	fire_next(&h); /* retry_at */
	assert_int_equal(h.started, DNSP_OP_READ);
	read1(&h, "term=5 node=lb1 seq=9");
	updated(&h);
	assert_int_equal(h.p.prereq_streak, 0);
	assert_int_equal(h.p.fence.cur.seq, 10);
}

/* Reads the same fence every renewal until the planner says unfenced. */
static unsigned wait_unfenced(struct h *h, const char *text)
{
	unsigned reads = 0;

	while (!(h->act & DNSP_CB_UNFENCED)) {
		assert_true(reads < 10);
		fire_next(h);
		assert_int_equal(h->started, DNSP_OP_READ);
		h->now += 5;
		read1(h, text);
		reads++;
	}
	return reads;
}

static void test_stale_then_unfenced(void **state)
{
	struct h h;
	uint64_t stale_at;

	(void)state;
	first_write(&h);
	fire_next(&h);
	ev_type(&h, DNSP_EV_PREREQ);
	/* a newer leadership holds the fence: stop writing at once, no next exchange */
	assert_true(read1(&h, "term=6 node=lb2 seq=3") & DNSP_CB_STALE);
	assert_int_equal(h.out.fence_term, 6);
	assert_string_equal(h.out.holder, "lb2");
	assert_int_equal(h.started, DNSP_OP_NONE);
	assert_false(h.p.leader);
	assert_int_equal(h.p.reconcile_at, 0);
	assert_int_equal(h.p.renew_at, h.now + RENEW);
	stale_at = h.now;
	/* the daemon resigns; re-reads go on every renewal until the fence was quiet 3 x */
	assert_int_equal(step(&h, (struct dnsplan_event){.type = DNSP_EV_RESIGN}), 0);
	assert_int_equal(wait_unfenced(&h, "term=6 node=lb2 seq=3"), FENCE_QUIET_RENEWALS);
	assert_true(h.now >= stale_at + FENCE_QUIET_RENEWALS * RENEW);
	assert_int_equal(h.out.fence_term, 6);
	assert_string_equal(h.out.holder, "lb2");
	assert_int_equal(h.p.renew_at, 0); /* not leading: nothing more to read */
	assert_int_equal(h.started, DNSP_OP_NONE);
	assert_int_equal(h.stale_cbs, 1);
	assert_int_equal(h.unfenced_cbs, 1);
	/* leading again above the fence reads it first */
	lead(&h, 7, "lb1");
	assert_int_equal(h.started, DNSP_OP_READ);
	read1(&h, "term=6 node=lb2 seq=3");
	assert_int_equal(h.started, DNSP_OP_UPDATE);
	assert_int_equal(h.p.writing.seq, 4);
}

static void test_stale_same_term_and_changes(void **state)
{
	struct h h;

	(void)state;
	init(&h, true, true);
	lead(&h, 5, "lb1");
	/* same term, higher node name: that claim stands */
	assert_true(read1(&h, "term=5 node=lb2 seq=1") & DNSP_CB_STALE);
	assert_int_equal(h.out.fence_term, 5);
	/* a changed fence restarts the quiet period */
	fire_next(&h);
	read1(&h, "term=5 node=lb2 seq=2");
	assert_false(h.act & DNSP_CB_UNFENCED);
	assert_int_equal(wait_unfenced(&h, "term=5 node=lb2 seq=2"), FENCE_QUIET_RENEWALS);
	/* a lower name of the same term never fences */
	init(&h, true, true);
	lead(&h, 5, "lb2");
	read1(&h, "term=5 node=lb1 seq=4");
	assert_int_equal(h.started, DNSP_OP_UPDATE);
	assert_int_equal(h.stale_cbs, 0);
}

static void test_implausible_and_garbage(void **state)
{
	struct h h;

	(void)state;
	init(&h, true, true);
	lead(&h, 5, "lb1");
	/* far above our term: reported, no fencing, no write; the fence is read again at the
	 * next renewal (not at once: that was a read every few ms while the record stayed) */
	for (unsigned i = 0; i < 3; i++) {
		uint64_t read_at = h.now;

		assert_true(read1(&h, "term=9000000 node=lbx seq=1") & DNSP_IMPLAUSIBLE);
		assert_int_equal(h.out.fence_term, 9000000);
		assert_true(h.p.leader);
		assert_false(h.p.fence.stale);
		assert_false(h.p.fence.known);
		assert_int_equal(h.started, DNSP_OP_NONE);
		assert_int_equal(h.p.op, DNSP_OP_NONE);
		fire_next(&h);
		assert_true(h.now >= read_at + RENEW);
		assert_int_equal(h.started, DNSP_OP_READ);
	}
	/* text that does not parse (a term above 2^53 included) is overwritten */
	assert_true(read1(&h, "term=9007199254740993 node=lbx seq=1") & DNSP_GARBAGE);
	assert_int_equal(h.started, DNSP_OP_UPDATE);
	assert_int_equal(h.stale_cbs, 0);
}

static void test_timeout_backoff_jitter(void **state)
{
	static const uint64_t caps[] = {250, 500, 1000, 2000, 4000, 5000, 5000, 5000};
	struct h h;

	(void)state;
	init(&h, true, true);
	lead(&h, 5, "lb1");
	for (unsigned i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		uint64_t sent = h.now;

		assert_int_equal(h.p.op, DNSP_OP_READ);
		/* alternate the extremes of the jitter: [cap/2, cap] */
		h.rnd = i % 2 ? caps[i] / 2 : 0;
		assert_int_equal(fire_at(&h, &h.p.io_at), DNSP_BACKOFF); /* no answer */
		assert_int_equal(h.now, sent + TIMEOUT);
		assert_int_equal(h.out.delay_ms, i % 2 ? caps[i] : caps[i] / 2);
		assert_int_equal(h.p.failures, i + 1);
		assert_true(h.p.need_read); /* the read is given back */
		/* a renewal during the backoff starts nothing; the retry reads again */
		fire_at(&h, &h.p.retry_at);
		assert_int_equal(h.started, DNSP_OP_READ);
	}
	/* every jitter value stays in bounds */
	for (uint64_t r = 0; r < 20000; r += 7)
		for (unsigned f = 0; f < 10; f++) {
			uint64_t d = dnsplan_backoff_ms(f, r * 2654435761u);
			uint64_t cap = f < 5 ? DNSP_BACKOFF_BASE_MS << f : DNSP_BACKOFF_CAP_MS;

			assert_true(d >= cap / 2 && d <= cap);
		}
	/* an answer resets the backoff */
	read1(&h, NULL);
	assert_int_equal(h.p.failures, 0);
	h.rnd = 0;
	assert_int_equal(fire_at(&h, &h.p.io_at), DNSP_BACKOFF);
	assert_int_equal(h.out.delay_ms, DNSP_BACKOFF_BASE_MS / 2);
}

static void test_leader_lost_mid_exchange(void **state)
{
	struct h h;

	(void)state;
	first_write(&h);
	fire_next(&h);
	assert_int_equal(h.p.op, DNSP_OP_UPDATE);
	/* losing leadership abandons the update; nothing is retried or renewed */
	assert_int_equal(step(&h, (struct dnsplan_event){.type = DNSP_EV_RESIGN}),
			 DNSP_ABANDON | DNSP_ROLE);
	assert_int_equal(h.p.op, DNSP_OP_NONE);
	assert_int_equal(h.p.io_at | h.p.retry_at | h.p.renew_at | h.p.reconcile_at, 0);
	assert_int_equal(dnsplan_next(&h.p, h.now), DNSP_OP_NONE);
	assert_int_equal(step(&h, (struct dnsplan_event){.type = DNSP_EV_RESIGN}), 0);
	/* a new term mid-exchange abandons it and reads the fence first */
	lead(&h, 6, "lb1");
	read1(&h, "term=5 node=lb1 seq=2");
	assert_int_equal(h.p.op, DNSP_OP_UPDATE);
	assert_true(lead(&h, 8, "lb1") & DNSP_ABANDON);
	assert_int_equal(h.started, DNSP_OP_READ);
	/* while backing off, resigning clears the retry too */
	assert_int_equal(fire_at(&h, &h.p.io_at), DNSP_BACKOFF);
	step(&h, (struct dnsplan_event){.type = DNSP_EV_RESIGN});
	assert_false(h.p.backing_off);
	/* stale: leading again abandons the read in flight and reads anew */
	lead(&h, 9, "lb1");
	read1(&h, "term=10 node=lb3 seq=1");
	fire_next(&h);
	assert_int_equal(h.p.op, DNSP_OP_READ);
	assert_true(lead(&h, 10, "lb1") & DNSP_ABANDON); /* lb1 < lb3: still fenced */
	assert_int_equal(h.started, DNSP_OP_READ);
	assert_true(h.p.fence.stale);
	/* but a stale node's fence read in flight goes on after resigning */
	assert_int_equal(step(&h, (struct dnsplan_event){.type = DNSP_EV_RESIGN}), DNSP_ROLE);
	assert_int_equal(h.p.op, DNSP_OP_READ);
	assert_true(h.p.fence.stale);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_write),
	    cmocka_unit_test(test_first_write_no_fence),
	    cmocka_unit_test(test_renewal),
	    cmocka_unit_test(test_target_moves_mid_update),
	    cmocka_unit_test(test_prereq_then_reread),
	    cmocka_unit_test(test_stale_then_unfenced),
	    cmocka_unit_test(test_stale_same_term_and_changes),
	    cmocka_unit_test(test_implausible_and_garbage),
	    cmocka_unit_test(test_timeout_backoff_jitter),
	    cmocka_unit_test(test_leader_lost_mid_exchange),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
