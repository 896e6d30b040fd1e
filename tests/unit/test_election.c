/* SPDX-License-Identifier: MIT */
/* test_election.c: the election state machine on a fake clock, by hand and simulated. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "election_int.h"

#define IV    200u		  /* heartbeat interval */
#define DA    3u		  /* dead_after */
#define D     ((uint64_t)IV * DA) /* dead interval */
#define T0    10000u		  /* start of every test clock */
#define MAXN  4
#define PROPN 3 /* nodes in the plain property test */
#define QMAX  256

#define CLAIM_FLAGS   (ACT_TAKE_VIPS | ACT_SEND_HEARTBEAT | ACT_ROLE_CHANGED)
#define RELEASE_FLAGS (ACT_RELEASE_VIPS | ACT_SEND_HEARTBEAT | ACT_ROLE_CHANGED)

/* ------------------------------------------------------------------ helpers */

/* prio[i] == 0 makes node i a witness; addrs may be NULL (192.0.2.i+1). */
static void make_params(struct election_params *p, size_t n, const uint32_t *prio,
			const char *const *addrs, size_t self, bool preempt, uint32_t delay)
{
	memset(p, 0, sizeof(*p));
	p->interval_ms = IV;
	p->dead_after = DA;
	p->preempt = preempt;
	p->preempt_delay_ms = delay;
	p->n_nodes = n;
	p->self = self;
	for (size_t i = 0; i < n; i++) {
		char buf[32];

		snprintf(buf, sizeof(buf), "192.0.2.%zu", i + 1);
		assert_int_equal(addr_parse(addrs ? addrs[i] : buf, &p->nodes[i].addr), 0);
		p->nodes[i].priority = prio[i];
		p->nodes[i].witness = prio[i] == 0;
	}
}

static void init_node(struct election *e, size_t n, const uint32_t *prio, size_t self, bool preempt,
		      uint32_t delay, uint64_t now)
{
	struct election_params p;

	make_params(&p, n, prio, NULL, self, preempt, delay);
	election_init(e, &p, now);
}

/* Every step: wakeup in (now, now + 1.25 interval], terms never decrease, leader consistent. */
static struct election_actions step(struct election *e, const struct election_event *ev,
				    uint64_t now)
{
	struct election_actions a;
	uint64_t term = e->term, max_term = e->max_term_seen, changes = e->leader_changes;
	enum kcw_role role = e->role;
	int leader = e->leader;

	memset(&a, 0xa5, sizeof(a));
	election_step(e, ev, now, &a);
	assert_true(a.wakeup_ms > now);
	assert_true(a.wakeup_ms <= now + e->p.interval_ms + e->p.interval_ms / 4);
	assert_true(e->term >= term);
	assert_true(e->max_term_seen >= max_term);
	assert_true(e->max_term_seen >= e->term);
	if (a.resign)
		assert_true(a.flags & ACT_SEND_HEARTBEAT);
	if (e->role == ROLE_LEADER)
		assert_int_equal(e->leader, (int)e->p.self);
	else
		assert_int_not_equal(e->leader, (int)e->p.self);
	if (e->role != role || e->leader != leader)
		assert_true(a.flags & ACT_ROLE_CHANGED);
	if (e->leader != leader)
		assert_true(e->leader_changes > changes);
	else if (a.handover < 0) /* R13 may go leader -> none -> back in one step (R38) */
		assert_int_equal(e->leader_changes, changes);
	if (a.flags & ACT_TAKE_VIPS)
		assert_int_equal(e->role, ROLE_LEADER);
	if (ev->type != EV_STEP_DOWN)
		assert_int_equal(a.result, 0);
	return a;
}

static struct election_actions simple(struct election *e, enum election_event_type type,
				      uint64_t now)
{
	struct election_event ev = {.type = type};

	return step(e, &ev, now);
}

static struct election_actions tick(struct election *e, uint64_t now)
{
	return simple(e, EV_TICK, now);
}

/* Node self of n, started at T0 and stepped once (its first heartbeat). */
static struct election_actions start_node(struct election *e, size_t n, const uint32_t *prio,
					  size_t self, bool preempt, uint32_t delay)
{
	init_node(e, n, prio, self, preempt, delay, T0);
	return tick(e, T0);
}

static struct election_actions toggle(struct election *e, enum election_event_type type, bool on,
				      uint64_t term, uint64_t now)
{
	struct election_event ev = {.type = type, .on = on, .term = term};

	return step(e, &ev, now);
}

static struct election_actions set_priority(struct election *e, uint32_t prio, uint64_t now)
{
	struct election_event ev = {.type = EV_PRIORITY, .priority = prio};

	return step(e, &ev, now);
}

/* The heartbeat src would send now. */
static struct election_event hb_of(const struct election *src, bool resign)
{
	struct election_event ev = {
	    .type = EV_HEARTBEAT,
	    .peer = src->p.self,
	    .role = src->role,
	    .term = src->term,
	    .eff_priority = election_advertised_priority(src),
	    .resigning = resign,
	    .leader = election_vote(src),
	};

	return ev;
}

static struct election_actions hear(struct election *dst, const struct election *src, uint64_t now)
{
	struct election_event ev = hb_of(src, false);

	return step(dst, &ev, now);
}

/* A heartbeat from peer that backs named (-1 none). */
static struct election_actions hear_full(struct election *dst, size_t peer, int role, uint64_t term,
					 uint32_t prio, bool resign, int named, uint64_t now)
{
	struct election_event ev = {
	    .type = EV_HEARTBEAT,
	    .peer = peer,
	    .role = role,
	    .term = term,
	    .eff_priority = prio,
	    .resigning = resign,
	    .leader = named,
	};

	return step(dst, &ev, now);
}

static struct election_actions hear_raw(struct election *dst, size_t peer, int role, uint64_t term,
					uint32_t prio, bool resign, uint64_t now)
{
	return hear_full(dst, peer, role, term, prio, resign, -1, now);
}

static struct election_actions hear_vote(struct election *dst, size_t peer, int role, uint64_t term,
					 uint32_t prio, int named, uint64_t now)
{
	return hear_full(dst, peer, role, term, prio, false, named, now);
}

/* Ticks e at its own wakeups up to and including until; returns OR of flags. */
static unsigned run_alone(struct election *e, uint64_t from, uint64_t until, unsigned *hbs)
{
	struct election_actions a = tick(e, from);
	unsigned flags = a.flags;

	if (hbs)
		*hbs += !!(a.flags & ACT_SEND_HEARTBEAT);
	while (a.wakeup_ms <= until) {
		a = tick(e, a.wakeup_ms);
		flags |= a.flags;
		if (hbs)
			*hbs += !!(a.flags & ACT_SEND_HEARTBEAT);
	}
	return flags;
}

/* --------------------------------------------------------- cluster simulator */

struct msg {
	size_t from;
	struct election_event ev;
};

#define FMAX 512 /* heartbeats in flight with latency */

struct flight {
	size_t from, to;
	uint64_t sent, at;
	struct election_event ev;
};

static uint64_t rnd(uint64_t *s);

struct sim {
	size_t n;
	uint64_t now;
	struct election_params p[MAXN];
	struct election el[MAXN];
	bool up[MAXN];
	uint64_t wake[MAXN];
	unsigned hbs[MAXN];
	uint64_t last_sent[MAXN];
	unsigned acc[MAXN];	 /* OR of all flags since start or sim_clear() */
	bool cut[MAXN][MAXN];	 /* cut[a][b]: a's heartbeats do not reach b */
	bool single;		 /* assert at most one leader after every delivery */
	bool strict;		 /* ... and after every single step, and no vote held twice */
	uint64_t took[MAXN];	 /* when node i last claimed (ACT_TAKE_VIPS), 0 never */
	uint64_t released[MAXN]; /* when node i last released its VIPs, 0 never */
	struct msg q[QMAX];
	size_t qhead, qlen;
	/* latency > 0: each heartbeat reaches each peer after 0..latency ms (reordered; an
	 * older one than the last delivered is dropped, as replay protection does) */
	uint64_t latency, rng;
	struct flight fl[FMAX];
	size_t nfl;
	uint64_t last_rx[MAXN][MAXN];
};

static void sim_setup(struct sim *s, size_t n, const uint32_t *prio, const char *const *addrs,
		      bool preempt, uint32_t delay)
{
	memset(s, 0, sizeof(*s));
	s->n = n;
	s->now = T0;
	for (size_t i = 0; i < n; i++)
		make_params(&s->p[i], n, prio, addrs, i, preempt, delay);
}

static void sim_clear(struct sim *s)
{
	memset(s->acc, 0, sizeof(s->acc));
}

static void sim_record(struct sim *s, size_t i, const struct election_actions *a)
{
	s->acc[i] |= a->flags;
	if (a->flags & ACT_TAKE_VIPS)
		s->took[i] = s->now;
	if (a->flags & ACT_RELEASE_VIPS)
		s->released[i] = s->now;
	s->wake[i] = a->wakeup_ms;
	if (!(a->flags & ACT_SEND_HEARTBEAT))
		return;
	s->hbs[i]++;
	s->last_sent[i] = s->now;
	if (s->latency) {
		for (size_t j = 0; j < s->n; j++) {
			if (j == i || s->cut[i][j])
				continue;
			assert_true(s->nfl < FMAX);
			s->fl[s->nfl++] =
			    (struct flight){.from = i,
					    .to = j,
					    .sent = s->now,
					    .at = s->now + rnd(&s->rng) % (s->latency + 1),
					    .ev = hb_of(&s->el[i], a->resign)};
		}
		return;
	}
	assert_true(s->qlen < QMAX);
	s->q[(s->qhead + s->qlen) % QMAX].from = i;
	s->q[(s->qhead + s->qlen) % QMAX].ev = hb_of(&s->el[i], a->resign);
	s->qlen++;
}

static int sim_leaders(const struct sim *s)
{
	int n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += s->up[i] && s->el[i].role == ROLE_LEADER;
	return n;
}

/* Never two leaders; witness mode: no node's vote held by two nodes (down voters included). */
static void sim_check(const struct sim *s)
{
	assert_true(sim_leaders(s) <= 1);
	for (size_t v = 0; v < s->n; v++) {
		int holders = 0;

		for (size_t x = 0; x < s->n; x++)
			holders += s->up[x] && election_holds_vote(&s->el[x], v, s->now);
		assert_true(holders <= 1);
	}
	for (size_t x = 0; x < s->n; x++) {
		if (s->up[x] && s->el[x].role == ROLE_LEADER &&
		    s->el[x].defence == DEFENCE_WITNESS) {
			struct election_defence_state ds;

			/* unless its majority deadline is due now and not yet stepped */
			election_defence(&s->el[x], s->now, &ds);
			assert_true(ds.satisfied || s->wake[x] <= s->now);
		}
	}
}

/* Steps node i now; its heartbeat (if any) is queued, not yet delivered. */
static struct election_actions sim_step(struct sim *s, size_t i, const struct election_event *ev)
{
	struct election_actions a = step(&s->el[i], ev, s->now);

	sim_record(s, i, &a);
	if (s->strict)
		sim_check(s);
	return a;
}

/* Delivers queued heartbeats (and those they cause) at once, perfect network. */
static void sim_flush(struct sim *s)
{
	unsigned deliveries = 0;

	while (s->qlen) {
		assert_true(++deliveries < 1000); /* no heartbeat storm */
		struct msg m = s->q[s->qhead];

		s->qhead = (s->qhead + 1) % QMAX;
		s->qlen--;
		for (size_t j = 0; j < s->n; j++) {
			if (j != m.from && s->up[j] && !s->cut[m.from][j])
				sim_step(s, j, &m.ev);
		}
	}
	if (s->single)
		assert_true(sim_leaders(s) <= 1);
}

/* Drops queued heartbeats (a test delivers them by hand). */
static struct election_event sim_take_msg(struct sim *s)
{
	struct election_event ev;

	assert_true(s->qlen > 0);
	ev = s->q[(s->qhead + s->qlen - 1) % QMAX].ev;
	s->qlen = 0;
	return ev;
}

static void sim_event(struct sim *s, size_t i, const struct election_event *ev)
{
	sim_step(s, i, ev);
	sim_flush(s);
}

static void sim_start(struct sim *s, size_t i)
{
	struct election_event ev = {.type = EV_TICK};

	election_init(&s->el[i], &s->p[i], s->now);
	s->up[i] = true;
	sim_event(s, i, &ev);
}

/* Runs every node's timer up to and including time until. */
/* Delivers the earliest heartbeat in flight due by now; false when none is. */
static bool sim_deliver_one(struct sim *s)
{
	size_t k = s->nfl;
	struct flight f;

	for (size_t i = 0; i < s->nfl; i++) {
		if (s->fl[i].at <= s->now && (k == s->nfl || s->fl[i].at < s->fl[k].at))
			k = i;
	}
	if (k == s->nfl)
		return false;
	f = s->fl[k];
	memmove(&s->fl[k], &s->fl[k + 1], (s->nfl - k - 1) * sizeof(f));
	s->nfl--;
	if (s->up[f.to] && f.sent >= s->last_rx[f.from][f.to]) {
		s->last_rx[f.from][f.to] = f.sent;
		sim_event(s, f.to, &f.ev);
	}
	return true;
}

static void sim_run(struct sim *s, uint64_t until)
{
	for (;;) {
		uint64_t next = UINT64_MAX;

		for (size_t i = 0; i < s->n; i++) {
			if (s->up[i] && s->wake[i] < next)
				next = s->wake[i];
		}
		for (size_t i = 0; i < s->nfl; i++) {
			if (s->fl[i].at < next)
				next = s->fl[i].at;
		}
		if (next > until)
			break;
		assert_true(next >= s->now);
		s->now = next;
		while (sim_deliver_one(s))
			;
		for (size_t i = 0; i < s->n; i++) {
			struct election_event ev = {.type = EV_TICK};

			if (s->up[i] && s->wake[i] <= s->now)
				sim_event(s, i, &ev);
		}
	}
	s->now = until;
}

/* Sets up n nodes (no preempt delay), starts them all at T0 and runs them up to until. */
static void sim_boot(struct sim *s, size_t n, const uint32_t *prio, bool preempt, uint64_t until)
{
	sim_setup(s, n, prio, NULL, preempt, 0);
	for (size_t i = 0; i < n; i++)
		sim_start(s, i);
	sim_run(s, until);
}

/* --------------------------------------------------------------------- tests */

static void test_alone_claims_at_dead_interval(void **state)
{
	const uint32_t prio[] = {100, 150};
	struct election e;
	struct election_actions a;

	init_node(&e, 2, prio, 0, true, 0, T0);
	assert_int_equal(e.role, ROLE_INIT);
	assert_int_equal(e.leader, -1);
	a = tick(&e, T0);
	assert_int_equal(a.flags, ACT_SEND_HEARTBEAT);
	assert_int_equal(a.wakeup_ms, T0 + IV);
	assert_int_equal(run_alone(&e, T0 + IV, T0 + D - 2, NULL) & ~ACT_SEND_HEARTBEAT, 0);
	a = tick(&e, T0 + D - 1);
	assert_int_equal(a.flags, 0);
	assert_int_equal(a.wakeup_ms, T0 + D);
	assert_int_equal(e.role, ROLE_INIT);
	a = tick(&e, T0 + D);
	assert_int_equal(a.flags, CLAIM_FLAGS);
	assert_int_equal(e.role, ROLE_LEADER);
	assert_int_equal(e.leader, 0);
	assert_int_equal(e.term, 1);
	assert_int_equal(e.max_term_seen, 1);
	assert_int_equal(e.leader_changes, 1);
	/* stays leader, nothing but heartbeats */
	assert_int_equal(run_alone(&e, T0 + D + 1, T0 + 10000, NULL), ACT_SEND_HEARTBEAT);
	assert_int_equal(e.term, 1);
}

static void test_two_start_together(void **state)
{
	for (int order = 0; order < 2; order++) {
		const uint32_t prio[] = {order ? 150 : 100, order ? 100 : 150};
		size_t best = order ? 0 : 1, other = 1 - best;
		struct sim s;

		sim_boot(&s, 2, prio, true, T0 + D - 1);
		assert_int_equal(s.el[0].role, ROLE_INIT);
		assert_int_equal(s.el[1].role, ROLE_INIT);
		assert_int_equal(s.el[0].leader, -1);
		sim_run(&s, T0 + D);
		assert_int_equal(s.el[best].role, ROLE_LEADER);
		assert_int_equal(s.el[best].term, 1);
		assert_int_equal(s.el[other].role, ROLE_FOLLOWER);
		assert_int_equal(s.el[other].leader, (int)best);
		assert_int_equal(s.el[other].term, 1);
		sim_run(&s, T0 + 20000);
		assert_int_equal(s.acc[other] & (ACT_TAKE_VIPS | ACT_RELEASE_VIPS), 0);
		assert_int_equal(s.acc[best] & ACT_RELEASE_VIPS, 0);
		assert_int_equal(s.el[best].role, ROLE_LEADER);
		assert_int_equal(s.el[best].term, 1);
		assert_int_equal(s.el[best].leader_changes, 1);
		assert_int_equal(s.el[other].leader_changes, 1);
	}
}

static void test_leader_dies(void **state)
{
	struct sim s;
	uint64_t last;

	sim_setup(&s, 2, (const uint32_t[]){100, 150}, NULL, true, 0);
	sim_start(&s, 1);
	s.now = T0 + 70; /* off the leader's heartbeat grid */
	sim_start(&s, 0);
	sim_run(&s, T0 + 3050);
	assert_int_equal(s.el[1].role, ROLE_LEADER);
	assert_int_equal(s.el[0].leader, 1);
	s.up[1] = false;
	last = s.last_sent[1];
	/* the leader answers the follower's heartbeats, on the follower's grid (70 ms) */
	assert_int_equal(last, T0 + 2870);
	sim_clear(&s);
	sim_run(&s, last + D - 1);
	assert_int_equal(s.el[0].role, ROLE_FOLLOWER);
	assert_int_equal(s.el[0].leader, 1);
	assert_int_equal(s.acc[0] & ACT_TAKE_VIPS, 0);
	sim_run(&s, last + D);
	assert_int_equal(s.el[0].role, ROLE_LEADER);
	assert_int_equal(s.el[0].term, 2);
	assert_true(s.acc[0] & ACT_TAKE_VIPS);
	/* -1 -> 1, then 1 -> -1 -> 0 */
	assert_int_equal(s.el[0].leader_changes, 3);
}

/*
 * When a peer counts as heard: a heartbeat read less than D after its arrival counts from
 * the step (this node's own delay is not the sender's silence); one that waited D or more
 * counts from its arrival (a stale queue does not keep a dead leader alive). Vote leases
 * always run from the arrival.
 */
static void test_heard_at_arrival(void **state)
{
	const uint32_t prio[] = {100, 150};
	struct election e;
	struct election_event ev = {
	    .type = EV_HEARTBEAT,
	    .peer = 1,
	    .role = ROLE_LEADER,
	    .term = 1,
	    .eff_priority = 150,
	    .leader = 1,
	};
	struct election_actions a;

	init_node(&e, 2, prio, 0, false, 0, T0);
	ev.heard_ms = T0 + 5; /* handled 40 ms after it arrived: heard at the step */
	a = step(&e, &ev, T0 + 45);
	assert_int_equal(e.role, ROLE_FOLLOWER);
	assert_int_equal(e.leader, 1);
	assert_int_equal(e.peers[1].last_heard_ms, T0 + 45);
	assert_int_equal(e.peers[1].last_arrival_ms, T0 + 5);
	assert_true(a.wakeup_ms <= T0 + 45 + D);
	/* an older arrival handled later never moves either back; a future one counts as now */
	ev.heard_ms = T0 + 1;
	step(&e, &ev, T0 + 50);
	assert_int_equal(e.peers[1].last_arrival_ms, T0 + 5);
	assert_int_equal(e.peers[1].last_heard_ms, T0 + 50);
	ev.heard_ms = T0 + 500;
	step(&e, &ev, T0 + 60);
	assert_int_equal(e.peers[1].last_heard_ms, T0 + 60);
	assert_int_equal(e.peers[1].last_arrival_ms, T0 + 60);
	/* 0 is "now" */
	ev.heard_ms = 0;
	step(&e, &ev, T0 + 70);
	assert_int_equal(e.peers[1].last_heard_ms, T0 + 70);
	/* read D - 1 after its arrival: still heard at the step, alive until the step + D */
	ev.heard_ms = T0 + 80;
	step(&e, &ev, T0 + 80 + D - 1);
	assert_int_equal(e.peers[1].last_heard_ms, T0 + 80 + D - 1);
	assert_true(election_peer_alive(&e, 1, T0 + 80 + 2 * D - 2));
	/* this node stalls: the next heartbeat, sent at T0 + 100 + D, is read D + 10 later.
	 * It counts from its arrival, so the leader has been silent for longer than D; this
	 * node was stalled meanwhile, so the leader gets one interval to be heard (R45) */
	ev.heard_ms = T0 + 100 + D;
	a = step(&e, &ev, T0 + 110 + 2 * D);
	assert_int_equal(e.peers[1].last_arrival_ms, T0 + 100 + D);
	assert_int_equal(e.peers[1].last_heard_ms, T0 + 100 + D);
	assert_false(election_peer_alive(&e, 1, T0 + 110 + 2 * D + IV));
	assert_int_equal(e.role, ROLE_FOLLOWER);
	assert_int_equal(a.wakeup_ms, T0 + 110 + 2 * D + IV);
	a = tick(&e, a.wakeup_ms); /* nothing heard in that interval: claims */
	assert_int_equal(e.role, ROLE_LEADER);
	assert_true(a.flags & ACT_TAKE_VIPS);
}

/* R45 tests: the heartbeat of node 1, the leader (priority 150), as node 0 hears it. */
static const struct election_event r45_leader_hb = {.type = EV_HEARTBEAT,
						    .peer = 1,
						    .role = ROLE_LEADER,
						    .term = 1,
						    .eff_priority = 150,
						    .leader = 1};

/* A follower that heard the leader at T0 and then slept on until `late` after its wake-up. */
static struct election_actions r45_stalled(struct election *e, uint64_t *now, uint64_t late)
{
	const uint32_t prio[] = {100, 150};
	struct election_actions a;

	init_node(e, 2, prio, 0, false, 0, T0);
	a = step(e, &r45_leader_hb, T0);
	while (a.wakeup_ms < T0 + D) /* awake on time while the leader's silence runs */
		a = tick(e, a.wakeup_ms);
	*now = a.wakeup_ms + late;
	return tick(e, *now);
}

/*
 * R45: a follower stalled past the leader's deadline gives it one interval after resuming:
 * a leader that resumed with it is heard and nothing moves; a dead one is claimed from at
 * the end of that interval, and a second stall does not extend it again. A leader's own
 * judgement (witness quorum) does not change.
 */
static void test_r45_stalled_follower_waits_one_interval(void **state)
{
	struct election e;
	struct election_event hb = r45_leader_hb;
	struct election_actions a;
	uint64_t now;

	(void)state;
	/* the leader resumed with this node and is heard 10 ms later: no claim, no change */
	a = r45_stalled(&e, &now, 2 * IV);
	assert_true(now - T0 >= D + IV);
	assert_int_equal(e.role, ROLE_FOLLOWER);
	assert_int_equal(e.leader, 1);
	assert_false(a.flags & (ACT_TAKE_VIPS | ACT_ROLE_CHANGED));
	assert_int_equal(a.wakeup_ms, now + IV);
	a = step(&e, &hb, now + 10);
	assert_int_equal(e.role, ROLE_FOLLOWER);
	a = tick(&e, a.wakeup_ms);
	assert_int_equal(e.role, ROLE_FOLLOWER);
	/* the leader is dead: the claim comes one interval after the stall ended */
	a = r45_stalled(&e, &now, 2 * IV);
	a = tick(&e, now + IV - 1);
	assert_int_equal(e.role, ROLE_FOLLOWER);
	a = tick(&e, now + IV);
	assert_int_equal(e.role, ROLE_LEADER);
	assert_true(a.flags & ACT_TAKE_VIPS);
	/* now a leader, it stalls past its follower's deadline: that peer is dead at once */
	hb.role = ROLE_FOLLOWER;
	hb.leader = 0;
	now += IV;
	a = step(&e, &hb, now);
	while (a.wakeup_ms < now + D)
		a = tick(&e, a.wakeup_ms);
	a = tick(&e, a.wakeup_ms + 2 * IV);
	assert_int_equal(e.role, ROLE_LEADER);
	assert_false(election_peer_alive(&e, 1, a.wakeup_ms - 1));
	/* stalled again in the grace interval: no second grace, it claims at once */
	a = r45_stalled(&e, &now, 2 * IV);
	a = tick(&e, a.wakeup_ms + IV);
	assert_int_equal(e.role, ROLE_LEADER);
	/* late by less than an interval: no grace, the claim at the deadline as before (R7) */
	a = r45_stalled(&e, &now, IV - 1);
	assert_int_equal(e.role, ROLE_LEADER);
}

static void test_restart_learns_term(void **state)
{
	const uint32_t prio[] = {200, 100};
	struct election e;
	struct election_actions a;

	start_node(&e, 2, prio, 0, true, 0);
	for (uint64_t t = T0 + 10; t < T0 + D; t += IV) {
		hear_raw(&e, 1, ROLE_FOLLOWER, 7, 100, false, t);
		assert_int_equal(e.term, 7);
		assert_int_equal(e.max_term_seen, 7);
		assert_int_equal(e.role, ROLE_INIT);
	}
	a = tick(&e, T0 + D - 1);
	assert_int_equal(e.role, ROLE_INIT);
	a = tick(&e, T0 + D);
	assert_int_equal(a.flags, CLAIM_FLAGS);
	assert_int_equal(e.role, ROLE_LEADER);
	assert_int_equal(e.term, 8);
}

/* Node 0 (prio 100) leads alone from T0 + D; returns with it. */
static void lone_leader(struct election *e, size_t n, const uint32_t *prio, bool preempt)
{
	init_node(e, n, prio, 0, preempt, 0, T0);
	run_alone(e, T0, T0 + D, NULL);
	assert_int_equal(e->role, ROLE_LEADER);
	assert_int_equal(e->term, 1);
}

/*
 * The lone leader e got an event at T0 + 700 (r) that takes it out of service: it gave
 * up (resigning or not) into role, advertises 0 and only sends heartbeats for 10 s.
 */
/* Node 0 of {200, 100}, leading alone from T0 + D. */
static struct election leader_of_two(bool preempt)
{
	struct election e;

	lone_leader(&e, 2, (const uint32_t[]){200, 100}, preempt);
	return e;
}

static void assert_out_of_service(struct election *e, const struct election_actions *r, int role,
				  bool resign)
{
	assert_int_equal(r->flags, RELEASE_FLAGS);
	assert_int_equal(r->resign, resign);
	assert_int_equal(e->role, role);
	assert_int_equal(e->leader, -1);
	assert_int_equal(election_advertised_priority(e), 0);
	assert_int_equal(run_alone(e, T0 + 701, T0 + 10000, NULL), ACT_SEND_HEARTBEAT);
	assert_int_equal(e->role, role);
}

static void test_preempt_on(void **state)
{
	const uint32_t prio[] = {100, 200};
	struct election a, b;
	struct election_actions r;
	uint64_t t1 = T0 + D + 10;

	lone_leader(&a, 2, prio, true);
	init_node(&b, 2, prio, 1, true, 0, t1);
	r = tick(&b, t1);
	assert_int_equal(r.flags, ACT_SEND_HEARTBEAT);
	r = hear(&a, &b, t1); /* an init node is no threat to a leader */
	assert_int_equal(r.flags, 0);
	r = hear(&b, &a, t1 + 5);
	assert_int_equal(r.flags, CLAIM_FLAGS);
	assert_int_equal(b.role, ROLE_LEADER);
	assert_int_equal(b.term, 2);
	assert_int_equal(b.leader_changes, 2);
	r = hear(&a, &b, t1 + 6);
	assert_int_equal(r.flags, RELEASE_FLAGS);
	assert_false(r.resign);
	assert_int_equal(a.role, ROLE_FOLLOWER);
	assert_int_equal(a.leader, 1);
	assert_int_equal(a.term, 2);
	r = hear(&b, &a, t1 + 7);
	/* the old leader gave way: its side is told again where the VIP is */
	assert_int_equal(r.flags, ACT_REANNOUNCE | ACT_SEND_HEARTBEAT);
	assert_int_equal(b.role, ROLE_LEADER);
}

static void test_preempt_off(void **state)
{
	const uint32_t prio[] = {100, 200};
	struct sim s;
	uint64_t last;

	sim_setup(&s, 2, prio, NULL, false, 0);
	sim_start(&s, 0);
	sim_run(&s, T0 + 1030);
	assert_int_equal(s.el[0].role, ROLE_LEADER);
	sim_start(&s, 1);
	sim_run(&s, T0 + 8000);
	assert_int_equal(s.el[1].role, ROLE_FOLLOWER);
	assert_int_equal(s.el[1].leader, 0);
	assert_int_equal(s.acc[1] & ACT_TAKE_VIPS, 0);
	assert_int_equal(s.el[0].term, 1);
	s.up[0] = false;
	last = s.last_sent[0];
	sim_run(&s, last + D - 1);
	assert_int_equal(s.el[1].role, ROLE_FOLLOWER);
	sim_run(&s, last + D);
	assert_int_equal(s.el[1].role, ROLE_LEADER);
	assert_int_equal(s.el[1].term, 2);
}

/* Feeds leader heartbeats (node 0) every interval from first, prio chosen per time. */
static struct election_actions feed_leader(struct election *e, uint64_t t, uint32_t prio)
{
	return hear_raw(e, 0, ROLE_LEADER, 1, prio, false, t);
}

static void test_preempt_delay(void **state)
{
	const uint32_t prio[] = {100, 200};
	struct election b;
	struct election_actions r;
	uint64_t first = T0 + 100;

	/* plain: claims exactly delay after first seeing the leader */
	start_node(&b, 2, prio, 1, true, 1000);
	r = feed_leader(&b, first, 100);
	assert_int_equal(b.role, ROLE_FOLLOWER);
	assert_int_equal(b.preempt_since_ms, first);
	for (uint64_t t = first + IV; t < first + 1000; t += IV) {
		tick(&b, t - 100);
		r = feed_leader(&b, t, 100);
		assert_int_equal(b.role, ROLE_FOLLOWER);
	}
	assert_int_equal(r.wakeup_ms, T0 + 1000); /* own heartbeat first */
	r = tick(&b, T0 + 1000);
	assert_int_equal(r.wakeup_ms, first + 1000);
	r = tick(&b, first + 999);
	assert_int_equal(b.role, ROLE_FOLLOWER);
	r = tick(&b, first + 1000);
	assert_int_equal(r.flags, CLAIM_FLAGS);
	assert_int_equal(b.term, 2);

	/* the leader turns better for a while: the timer restarts */
	start_node(&b, 2, prio, 1, true, 1000);
	for (uint64_t t = first; t < first + 1600; t += IV) {
		uint32_t lp = (t >= first + 400 && t < first + 600) ? 250 : 100;

		feed_leader(&b, t, lp);
		assert_int_equal(b.preempt_since_ms,
				 lp == 250 ? 0 : (t < first + 400 ? first : first + 600));
		r = tick(&b, t + 50);
		assert_int_equal(b.role, ROLE_FOLLOWER);
	}
	r = tick(&b, first + 1599);
	assert_int_equal(b.role, ROLE_FOLLOWER);
	r = tick(&b, first + 1600);
	assert_int_equal(r.flags, CLAIM_FLAGS);
	assert_int_equal(b.role, ROLE_LEADER);
}

static void test_tie_higher_address_wins(void **state)
{
	const uint32_t prio[] = {100, 100, 100};
	const char *const rev[] = {"192.0.2.9", "192.0.2.3", "192.0.2.5"};
	struct sim s;

	sim_boot(&s, 2, prio, true, T0 + 5000);
	assert_int_equal(s.el[1].role, ROLE_LEADER);
	assert_int_equal(s.el[0].role, ROLE_FOLLOWER);

	sim_setup(&s, 3, prio, rev, true, 0);
	for (size_t i = 0; i < 3; i++)
		sim_start(&s, i);
	sim_run(&s, T0 + 5000);
	assert_int_equal(s.el[0].role, ROLE_LEADER);
	assert_int_equal(s.el[1].leader, 0);
	assert_int_equal(s.el[2].leader, 0);
	assert_int_equal(sim_leaders(&s), 1);
	/* equal priority never preempts: a restarted better-address node follows */
	s.up[0] = false;
	sim_run(&s, T0 + 8000);
	assert_int_equal(s.el[2].role, ROLE_LEADER);
	sim_start(&s, 0);
	sim_run(&s, T0 + 15000);
	assert_int_equal(s.el[2].role, ROLE_LEADER);
	assert_int_equal(s.el[0].role, ROLE_FOLLOWER);
	assert_int_equal(s.el[0].leader, 2);
}

/* Three nodes 150 / 100 / 50 (node 0 leads), steady at an off-grid time. */
static void steady_three(struct sim *s)
{
	const uint32_t prio[] = {150, 100, 50};

	sim_boot(s, 3, prio, true, T0 + 3037);
	assert_int_equal(s->el[0].role, ROLE_LEADER);
	assert_int_equal(s->el[1].leader, 0);
	assert_int_equal(s->el[2].leader, 0);
	sim_clear(s);
}

static void test_resign_hands_over_at_once(void **state)
{
	struct election_event ev = {.type = EV_SHUTDOWN}, m;
	struct election_actions r;
	struct sim s;

	steady_three(&s);
	r = sim_step(&s, 0, &ev);
	assert_int_equal(r.flags, RELEASE_FLAGS);
	assert_true(r.resign);
	assert_int_equal(s.el[0].role, ROLE_FOLLOWER);
	assert_int_equal(s.el[0].leader, -1);
	s.up[0] = false;
	m = sim_take_msg(&s);
	assert_true(m.resigning);
	s.now++;
	r = sim_step(&s, 1, &m);
	assert_int_equal(r.flags, CLAIM_FLAGS);
	assert_int_equal(s.el[1].role, ROLE_LEADER);
	assert_int_equal(s.el[1].term, 2);
	r = sim_step(&s, 2, &m);
	assert_int_equal(r.flags, ACT_ROLE_CHANGED);
	assert_int_equal(s.el[2].role, ROLE_FOLLOWER);
	assert_int_equal(s.el[2].leader, -1);
	sim_flush(&s);
	assert_int_equal(s.el[2].leader, 1);
	assert_int_equal(s.el[2].term, 2);
	sim_run(&s, T0 + 10000);
	assert_int_equal(s.acc[2] & ACT_TAKE_VIPS, 0);
	assert_int_equal(sim_leaders(&s), 1);

	/* a follower shutting down: one resigning heartbeat, no VIP action */
	ev.type = EV_SHUTDOWN;
	r = sim_step(&s, 2, &ev);
	assert_int_equal(r.flags, ACT_SEND_HEARTBEAT);
	assert_true(r.resign);
	s.up[2] = false;
	m = sim_take_msg(&s);
	assert_true(m.resigning);
	r = sim_step(&s, 1, &m);
	assert_int_equal(r.flags & ~ACT_SEND_HEARTBEAT, 0);
	assert_int_equal(s.el[1].role, ROLE_LEADER);
	assert_int_equal(s.el[1].term, 2);
}

static void test_step_down(void **state)
{
	struct election_event ev = {.type = EV_STEP_DOWN}, m;
	struct election_actions r;
	struct election lone;
	const uint32_t prio2[] = {100, 50};
	struct sim s;

	/* alone: nobody to hand over to */
	lone_leader(&lone, 2, prio2, true);
	r = step(&lone, &ev, T0 + 700);
	assert_int_equal(r.result, -EAGAIN);
	assert_int_equal(r.flags, 0);
	assert_false(r.resign);
	assert_int_equal(lone.role, ROLE_LEADER);
	assert_false(lone.no_preempt);

	steady_three(&s);
	r = sim_step(&s, 1, &ev);
	assert_int_equal(r.result, -EINVAL);
	assert_int_equal(r.flags, 0);
	r = sim_step(&s, 0, &ev);
	assert_int_equal(r.result, 0);
	assert_int_equal(r.flags, RELEASE_FLAGS);
	assert_true(r.resign);
	assert_true(s.el[0].no_preempt);
	assert_int_equal(s.el[0].role, ROLE_FOLLOWER);
	m = sim_take_msg(&s);
	s.now++;
	assert_int_equal(sim_step(&s, 1, &m).flags, CLAIM_FLAGS);
	assert_int_equal(sim_step(&s, 2, &m).flags, ACT_ROLE_CHANGED);
	assert_int_equal(s.el[2].role, ROLE_FOLLOWER);
	sim_flush(&s);
	assert_int_equal(s.el[0].leader, 1);
	/* the better node does not preempt back */
	sim_run(&s, T0 + 20000);
	assert_int_equal(s.acc[0] & ACT_TAKE_VIPS, 0);
	assert_int_equal(s.el[0].role, ROLE_FOLLOWER);
	assert_int_equal(s.el[1].role, ROLE_LEADER);
	assert_true(s.el[0].no_preempt);
	/* until the leadership changes: the node that took over dies */
	s.up[1] = false;
	sim_run(&s, T0 + 22000);
	assert_int_equal(s.el[0].role, ROLE_LEADER);
	assert_int_equal(s.el[0].term, 3);
	assert_false(s.el[0].no_preempt);
	assert_int_equal(s.el[2].leader, 0);
}

/*
 * Step-down, then at once step-down again: the node that resigned says it no longer
 * resigns as soon as it hears the new leader, so the second hand-over is not refused.
 */
static void test_step_down_twice(void **state)
{
	const uint32_t prio[] = {150, 100};
	struct election_event ev = {.type = EV_STEP_DOWN}, m;
	struct election_actions r;
	struct sim s;

	sim_boot(&s, 2, prio, true, T0 + 3037);
	assert_int_equal(s.el[0].role, ROLE_LEADER);
	r = sim_step(&s, 0, &ev);
	assert_int_equal(r.result, 0);
	assert_true(r.resign);
	m = sim_take_msg(&s);
	s.now++;
	assert_int_equal(sim_step(&s, 1, &m).flags, CLAIM_FLAGS);
	assert_true(s.el[1].peers[0].resigning);
	/* the new leader's claim reaches node 0: it answers at once, no longer resigning */
	m = sim_take_msg(&s);
	r = sim_step(&s, 0, &m);
	assert_true(r.flags & ACT_SEND_HEARTBEAT);
	assert_false(r.resign);
	assert_false(s.el[0].resign_sent);
	m = sim_take_msg(&s);
	assert_false(m.resigning);
	r = sim_step(&s, 1, &m);
	assert_false(s.el[1].peers[0].resigning);
	/* a second heartbeat of the leader is not answered out of turn */
	s.now++;
	m = hb_of(&s.el[1], false);
	assert_int_equal(sim_step(&s, 0, &m).flags & ACT_SEND_HEARTBEAT, 0);
	/* the second step-down, in the same interval: node 0 takes over again */
	r = sim_step(&s, 1, &ev);
	assert_int_equal(r.result, 0);
	assert_true(r.resign);
	m = sim_take_msg(&s);
	s.now++;
	assert_int_equal(sim_step(&s, 0, &m).flags & ACT_TAKE_VIPS, ACT_TAKE_VIPS);
	assert_int_equal(s.el[0].role, ROLE_LEADER);
	assert_int_equal(s.el[1].role, ROLE_FOLLOWER);
}

/*
 * R13: a leader that has become worse than a live eligible peer hands over at once,
 * preempt or not; unlike a step-down (R12) preemption takes the role back when the
 * priority returns.
 */
static void test_r13_priority_drop_hands_over(void **state)
{
	const uint32_t prio[] = {150, 100, 50};
	struct election_event ev = {.type = EV_PRIORITY, .priority = 60};
	struct election_actions r;
	struct sim s;

	for (int preempt = 0; preempt < 2; preempt++) {
		sim_boot(&s, 3, prio, preempt, T0 + 3037);
		assert_int_equal(s.el[0].role, ROLE_LEADER);
		ev.priority = 60;
		r = sim_step(&s, 0, &ev);
		assert_int_equal(r.flags, RELEASE_FLAGS);
		assert_true(r.resign);
		assert_int_equal(r.handover, 1);
		assert_int_equal(s.el[0].role, ROLE_FOLLOWER);
		assert_false(s.el[0].no_preempt);
		sim_flush(&s); /* the resignation: node 1 claims at once (R9) */
		assert_int_equal(s.el[1].role, ROLE_LEADER);
		assert_int_equal(s.took[1], s.now);
		assert_int_equal(s.el[0].leader, 1);
		assert_int_equal(s.el[2].leader, 1);
		ev.priority = 150;
		r = sim_step(&s, 0, &ev);
		assert_int_equal(r.handover, -1);
		sim_flush(&s);
		sim_run(&s, s.now + 2 * D);
		assert_int_equal(sim_leaders(&s), 1);
		assert_int_equal(s.el[0].role, preempt ? ROLE_LEADER : ROLE_FOLLOWER);
	}
}

/* R13: no handover while this node is the best eligible one (alone, or still the best). */
static void test_r13_no_handover_while_best(void **state)
{
	const uint32_t prio[] = {100, 50};
	struct election e;
	struct election_actions r;
	struct sim s;

	lone_leader(&e, 2, prio, false);
	r = set_priority(&e, 10, T0 + D + 10);
	assert_int_equal(r.flags & ~ACT_SEND_HEARTBEAT, 0);
	assert_int_equal(r.handover, -1);
	assert_int_equal(e.role, ROLE_LEADER);
	/* a peer heard at 0 (maintenance, fault) is not counted on */
	hear_raw(&e, 1, ROLE_FOLLOWER, 1, 0, false, T0 + D + 20);
	r = set_priority(&e, 10, T0 + D + 30);
	assert_int_equal(r.handover, -1);
	assert_int_equal(e.role, ROLE_LEADER);
	steady_three(&s);
	set_priority(&s.el[0], 120, s.now);
	assert_int_equal(s.el[0].role, ROLE_LEADER);
}

/* R13 after R11 in one step: a raised priority preempts, but a better node is eligible. */
static void test_r13_preempt_and_hand_over_in_one_step(void **state)
{
	const uint32_t prio[] = {100, 50, 200};
	struct election e;
	struct election_actions r;

	start_node(&e, 3, prio, 1, true, 0);
	hear_raw(&e, 0, ROLE_LEADER, 1, 100, false, T0 + 10);
	hear_raw(&e, 2, ROLE_FOLLOWER, 1, 200, false, T0 + 20);
	assert_int_equal(e.leader, 0);
	r = set_priority(&e, 150, T0 + 30);
	assert_int_equal(r.flags & ACT_TAKE_VIPS, 0); /* never took them */
	assert_int_equal(r.flags & RELEASE_FLAGS, RELEASE_FLAGS);
	assert_true(r.resign);
	assert_int_equal(r.handover, 2);
	assert_int_equal(e.role, ROLE_FOLLOWER);
	assert_int_equal(e.leader, 0);
	assert_int_equal(e.term, 2);
	assert_int_equal(e.leader_changes, 4); /* -1 -> 0 earlier; 0 -> 1 -> -1 -> 0 here */
}

/* R41: a reload's timers and priorities; the node list must stay. */
static void test_r41_set_params(void **state)
{
	const uint32_t prio[] = {100, 200};
	struct election_params p;
	struct election_actions a;
	struct election e;

	start_node(&e, 2, prio, 0, false, 0);
	make_params(&p, 2, prio, NULL, 0, false, 0);
	p.interval_ms = 5 * IV; /* longer: the heartbeat already due stays */
	assert_int_equal(election_set_params(&e, &p, T0 + 10, &a), 0);
	assert_int_equal(a.flags, 0);
	assert_int_equal(a.wakeup_ms, T0 + IV);
	p.interval_ms = IV / 4; /* shorter: the next heartbeat within the new interval */
	assert_int_equal(election_set_params(&e, &p, T0 + 20, &a), 0);
	assert_int_equal(a.wakeup_ms, T0 + 20 + IV / 4);
	assert_int_equal(tick(&e, T0 + 20 + IV / 4).flags, ACT_SEND_HEARTBEAT);
	assert_int_equal(election_dead_ms(&e), (uint64_t)DA * IV / 4);
	/* preemption switched on: the better follower claims on its next step */
	p.interval_ms = IV;
	hear_raw(&e, 1, ROLE_LEADER, 1, 50, false, T0 + 100);
	tick(&e, T0 + 110);
	assert_int_equal(e.role, ROLE_FOLLOWER);
	p.preempt = true;
	assert_int_equal(election_set_params(&e, &p, T0 + 120, &a), 0);
	assert_int_equal(e.role, ROLE_FOLLOWER); /* nothing evaluated in that call */
	assert_int_equal(tick(&e, T0 + 121).flags, CLAIM_FLAGS);
	/* another node list, self or defence: refused, nothing changes */
	p.interval_ms = 2 * IV;
	p.self = 1;
	assert_int_equal(election_set_params(&e, &p, T0 + 130, &a), -EINVAL);
	p.self = 0;
	p.tie_breaker = true;
	assert_int_equal(election_set_params(&e, &p, T0 + 130, &a), -EINVAL);
	p.tie_breaker = false;
	assert_int_equal(addr_parse("192.0.2.77", &p.nodes[1].addr), 0);
	assert_int_equal(election_set_params(&e, &p, T0 + 130, &a), -EINVAL);
	assert_true(a.wakeup_ms > T0 + 130);
	assert_int_equal(e.p.interval_ms, IV);
}

/*
 * R23: a DNS fence holder may lead unless it is this node, or a peer heard alive for
 * an interval or more that does not say it leads.
 */
static void test_r23_holder_may_lead(void **state)
{
	const uint32_t prio[] = {100, 50, 70};
	struct election e;

	init_node(&e, 3, prio, 0, true, 0, T0);
	assert_false(election_holder_may_lead(&e, 0, T0)); /* a previous run of this node */
	assert_true(election_holder_may_lead(&e, -1, T0)); /* not a node of this cluster */
	assert_true(election_holder_may_lead(&e, 1, T0));  /* never heard */
	hear_raw(&e, 1, ROLE_FOLLOWER, 1, 50, false, T0 + 10);
	assert_true(election_holder_may_lead(&e, 1, T0 + 10 + IV - 1)); /* heard too briefly */
	hear_raw(&e, 1, ROLE_FOLLOWER, 1, 50, false, T0 + 10 + IV);
	assert_false(election_holder_may_lead(&e, 1, T0 + 10 + IV));
	hear_raw(&e, 2, ROLE_LEADER, 1, 70, false, T0 + 20);
	hear_raw(&e, 2, ROLE_LEADER, 1, 70, false, T0 + 20 + IV);
	assert_true(election_holder_may_lead(&e, 2, T0 + 20 + IV)); /* it says it leads */
	/* silent for D: it may lead on the other side of a partition */
	assert_true(election_holder_may_lead(&e, 1, T0 + 10 + IV + D));
	/* back: heard for less than an interval again */
	hear_raw(&e, 1, ROLE_FOLLOWER, 1, 50, false, T0 + 10 + IV + D);
	assert_true(election_holder_may_lead(&e, 1, T0 + 10 + IV + D));
}

/* The constructor refuses what is no cluster; the accessors show the state. */
static void test_new_and_accessors(void **state)
{
	const uint32_t prio[] = {100, 200};
	struct election_peer_view v;
	struct election_params p;
	struct election *e;
	char err[128];

	make_params(&p, 2, prio, NULL, 2, true, 0);
	assert_null(election_new(&p, T0, err, sizeof(err)));
	assert_string_equal(err, "election: 2 nodes, self 2, interval 200 ms, dead after 3");
	p.self = 0;
	p.dead_after = 0;
	assert_null(election_new(&p, T0, err, sizeof(err)));
	p.dead_after = DA;
	e = election_new(&p, T0, err, sizeof(err));
	assert_non_null(e);
	assert_int_equal(election_role(e), ROLE_INIT);
	assert_int_equal(election_leader(e), -1);
	assert_int_equal(election_eff_priority(e), 100);
	hear_raw(e, 1, ROLE_LEADER, 3, 200, false, T0 + 5);
	assert_int_equal(election_role(e), ROLE_FOLLOWER);
	assert_int_equal(election_leader(e), 1);
	assert_int_equal(election_term(e), 3);
	assert_int_equal(election_leader_changes(e), 1);
	election_peer_view(e, 1, T0 + 6, &v);
	assert_true(v.heard && v.alive);
	assert_int_equal(v.role, ROLE_LEADER);
	assert_int_equal(v.term, 3);
	assert_int_equal(v.eff_priority, 200);
	assert_int_equal(v.last_heard_ms, T0 + 5);
	election_peer_view(e, 1, T0 + 5 + D, &v);
	assert_false(v.alive);
	election_peer_view(e, 0, T0 + 6, &v); /* self */
	assert_false(v.heard);
	election_peer_view(e, 7, T0 + 6, &v);
	assert_false(v.heard);
	toggle(e, EV_MAINTENANCE, true, 0, T0 + 7);
	assert_true(election_maintenance(e));
	toggle(e, EV_FENCE, true, 9, T0 + 8);
	assert_true(election_fenced(e));
	assert_false(election_coord_ok(e));
	election_free(e);
}

static void test_two_leaders_heal(void **state)
{
	/* node 0 (200) and node 1 (100) led on both sides of a partition */
	for (int order = 0; order < 2; order++) {
		const uint32_t prio[] = {200, 100, 10};
		struct election a, b;
		struct election_event ha, hb;
		struct election_actions r;
		uint64_t t;

		init_node(&a, 3, prio, 0, true, 0, T0);
		init_node(&b, 3, prio, 1, true, 0, T0);
		run_alone(&a, T0, T0 + D, NULL);
		tick(&b, T0);
		hear_raw(&b, 2, ROLE_FOLLOWER, 4, 10, false, T0 + 1);
		run_alone(&b, T0 + 2, T0 + D, NULL);
		assert_int_equal(a.role, ROLE_LEADER);
		assert_int_equal(b.role, ROLE_LEADER);
		assert_int_equal(a.term, 1);
		assert_int_equal(b.term, 5);
		t = T0 + D + 50;
		ha = hb_of(&a, false);
		hb = hb_of(&b, false);
		if (order == 0) {
			r = step(&a, &hb, t);
			assert_int_equal(r.flags, ACT_REANNOUNCE | ACT_SEND_HEARTBEAT);
			assert_int_equal(a.term, 6);
			r = step(&b, &ha, t);
			assert_int_equal(r.flags, RELEASE_FLAGS);
		} else {
			/* the better one's heartbeat arrives first: b answers as follower */
			r = step(&b, &ha, t);
			assert_int_equal(r.flags, RELEASE_FLAGS);
			hb = hb_of(&b, false);
			r = step(&a, &hb, t + 1);
			assert_int_equal(r.flags, ACT_REANNOUNCE | ACT_SEND_HEARTBEAT);
			assert_int_equal(a.term, 6);
		}
		assert_int_equal(a.role, ROLE_LEADER);
		assert_int_equal(b.role, ROLE_FOLLOWER);
		assert_int_equal(b.leader, 0);
		assert_true(a.term > 5);
		r = hear(&b, &a, t + 2);
		assert_int_equal(r.flags, 0);
		assert_int_equal(b.term, a.term);
		r = hear(&a, &b, t + 3);
		/* b gave way: announced already within this interval, a heartbeat at most */
		assert_int_equal(r.flags & ~ACT_SEND_HEARTBEAT, 0);
	}
}

static void test_partition_heals(void **state)
{
	const uint32_t prio[] = {200, 100, 50};
	uint64_t t;
	struct sim s;

	sim_setup(&s, 3, prio, NULL, true, 0);
	for (size_t i = 0; i < 3; i++)
		sim_start(&s, i);
	sim_run(&s, T0 + 3000);
	assert_int_equal(s.el[0].role, ROLE_LEADER);
	/* node 0 on its own: it keeps leading, the other side elects node 1 */
	s.cut[0][1] = s.cut[0][2] = s.cut[1][0] = s.cut[2][0] = true;
	t = s.last_sent[0];
	sim_run(&s, t + D - 1);
	assert_int_equal(sim_leaders(&s), 1);
	sim_run(&s, t + D);
	assert_int_equal(sim_leaders(&s), 2);
	assert_int_equal(s.el[1].term, 2);
	assert_int_equal(s.el[2].leader, 1);
	sim_run(&s, T0 + 8000);
	assert_int_equal(s.el[0].term, 1);
	assert_int_equal(sim_leaders(&s), 2);
	/* healed: one heartbeat each and one leader is left, above both terms */
	memset(s.cut, 0, sizeof(s.cut));
	sim_clear(&s);
	sim_run(&s, T0 + 8000 + IV);
	assert_int_equal(sim_leaders(&s), 1);
	assert_int_equal(s.el[0].role, ROLE_LEADER);
	assert_true(s.el[0].term > 2);
	assert_true(s.acc[0] & ACT_REANNOUNCE);
	assert_int_equal(s.acc[0] & (ACT_TAKE_VIPS | ACT_RELEASE_VIPS), 0);
	assert_true(s.acc[1] & ACT_RELEASE_VIPS);
	assert_int_equal(s.el[1].leader, 0);
	assert_int_equal(s.el[2].leader, 0);
	assert_int_equal(s.el[2].term, s.el[0].term);
	sim_run(&s, T0 + 12000);
	assert_int_equal(sim_leaders(&s), 1);
}

static void test_follows_better_leader(void **state)
{
	const uint32_t prio[] = {100, 200, 10};
	struct election c;
	struct election_actions r;

	start_node(&c, 3, prio, 2, true, 0);
	r = hear_raw(&c, 0, ROLE_LEADER, 3, 100, false, T0 + 10);
	assert_int_equal(r.flags, ACT_ROLE_CHANGED);
	assert_int_equal(c.leader, 0);
	assert_int_equal(c.role, ROLE_FOLLOWER);
	r = hear_raw(&c, 1, ROLE_LEADER, 2, 200, false, T0 + 20);
	assert_int_equal(r.flags, ACT_ROLE_CHANGED);
	assert_int_equal(c.leader, 1);
	assert_int_equal(c.term, 3);
	r = hear_raw(&c, 0, ROLE_LEADER, 3, 100, false, T0 + 30);
	assert_int_equal(r.flags, 0);
	assert_int_equal(c.leader, 1);
	assert_int_equal(c.leader_changes, 2);
	/* the better one resigns: the other leader is still there, no claim */
	r = hear_raw(&c, 1, ROLE_LEADER, 2, 200, true, T0 + 40);
	assert_int_equal(r.flags, ACT_ROLE_CHANGED);
	assert_int_equal(c.leader, 0);
	assert_int_equal(c.leader_changes, 3);
	/* a leader that stops leading without resigning counts as heard now */
	r = hear_raw(&c, 0, ROLE_FOLLOWER, 3, 100, false, T0 + 50);
	assert_int_equal(c.leader, -1);
	r = hear_raw(&c, 0, ROLE_FOLLOWER, 3, 0, false, T0 + 60); /* it went ineligible */
	r = tick(&c, T0 + 50 + D - 1);
	assert_int_equal(c.role, ROLE_FOLLOWER);
	r = tick(&c, T0 + 50 + D);
	assert_int_equal(c.role, ROLE_LEADER);
	assert_int_equal(c.term, 4);
}

static void test_priority_zero_faults(void **state)
{
	const uint32_t prio[] = {100, 50};
	struct election e, f;
	struct election_actions r;
	struct election_event m;

	lone_leader(&e, 2, prio, true);
	r = set_priority(&e, 0, T0 + 700);
	assert_out_of_service(&e, &r, ROLE_FAULT, true);
	r = set_priority(&e, 0, T0 + 10001);
	assert_int_equal(r.flags, 0);
	r = set_priority(&e, 90, T0 + 10002);
	assert_int_equal(r.flags, ACT_ROLE_CHANGED);
	assert_int_equal(e.role, ROLE_FOLLOWER);
	assert_int_equal(election_advertised_priority(&e), 90);
	tick(&e, T0 + 10002 + D - 1);
	assert_int_equal(e.role, ROLE_FOLLOWER);
	r = tick(&e, T0 + 10002 + D);
	assert_int_equal(r.flags & CLAIM_FLAGS, CLAIM_FLAGS);
	assert_int_equal(e.term, 2);

	/* the faulting leader's resignation hands over at once */
	lone_leader(&e, 2, prio, true);
	init_node(&f, 2, prio, 1, true, 0, T0 + 650);
	tick(&f, T0 + 650);
	hear(&e, &f, T0 + 651);
	hear(&f, &e, T0 + 652);
	assert_int_equal(f.leader, 0);
	r = set_priority(&e, 0, T0 + 660);
	m = hb_of(&e, r.resign);
	r = step(&f, &m, T0 + 661);
	assert_int_equal(r.flags, CLAIM_FLAGS);
	assert_int_equal(f.term, 2);
	/* a follower going to fault only changes role */
	r = set_priority(&e, 70, T0 + 670);
	assert_int_equal(e.role, ROLE_FOLLOWER);
	r = set_priority(&e, 0, T0 + 680);
	assert_int_equal(r.flags, ACT_ROLE_CHANGED);
	assert_int_equal(e.role, ROLE_FAULT);
}

static void test_maintenance(void **state)
{
	const uint32_t prio[] = {200, 100};
	struct election e = leader_of_two(true), f;
	struct election_actions r = toggle(&e, EV_MAINTENANCE, true, 0, T0 + 700);
	struct election_event ev = {.type = EV_STEP_DOWN};

	assert_out_of_service(&e, &r, ROLE_FOLLOWER, true);
	r = toggle(&e, EV_MAINTENANCE, false, 0, T0 + 10001);
	assert_int_equal(r.flags, CLAIM_FLAGS); /* no leader heard for long: at once */
	assert_int_equal(e.term, 2);

	/* a peer in maintenance is not counted on: no step-down, the other claims at D */
	init_node(&e, 2, prio, 0, true, 0, T0);
	init_node(&f, 2, prio, 1, true, 0, T0);
	toggle(&e, EV_MAINTENANCE, true, 0, T0);
	tick(&e, T0);
	tick(&f, T0);
	for (uint64_t t = T0; t <= T0 + D; t += IV) {
		hear(&f, &e, t + 1);
		hear(&e, &f, t + 1);
		r = tick(&e, t + IV);
		/* init ends at D also for a node that is not eligible */
		assert_int_equal(e.role, t + IV < T0 + D ? ROLE_INIT : ROLE_FOLLOWER);
		r = tick(&f, t + IV);
		if (t + IV < T0 + D)
			assert_int_equal(f.role, ROLE_INIT);
	}
	assert_int_equal(f.role, ROLE_LEADER);
	assert_int_equal(e.role, ROLE_FOLLOWER);
	assert_int_equal(e.leader, 1);
	r = step(&f, &ev, T0 + D + 300);
	assert_int_equal(r.result, -EAGAIN);
	/* back from maintenance, the better node preempts the leader it follows */
	r = toggle(&e, EV_MAINTENANCE, false, 0, T0 + D + 310);
	assert_int_equal(r.flags, CLAIM_FLAGS);
	assert_int_equal(e.term, 2);
	r = hear(&f, &e, T0 + D + 311);
	assert_int_equal(r.flags, RELEASE_FLAGS);
	assert_int_equal(f.leader, 0);
}

static void test_fence(void **state)
{
	struct election e = leader_of_two(true);
	struct election_actions r = toggle(&e, EV_FENCE, true, 9, T0 + 700);

	assert_int_equal(e.term, 9);
	assert_int_equal(e.max_term_seen, 9);
	assert_out_of_service(&e, &r, ROLE_FOLLOWER, false);
	r = toggle(&e, EV_FENCE, true, 8, T0 + 10001);
	assert_int_equal(r.flags, 0);
	assert_int_equal(e.term, 9);
	r = toggle(&e, EV_FENCE, false, 0, T0 + 10002);
	assert_int_equal(r.flags, CLAIM_FLAGS);
	assert_int_equal(e.term, 10);
	/* fenced again (a higher term): steps down again; repeated, nothing more */
	r = toggle(&e, EV_FENCE, true, 12, T0 + 10003);
	assert_int_equal(r.flags, RELEASE_FLAGS);
	r = toggle(&e, EV_FENCE, true, 12, T0 + 10004);
	assert_int_equal(r.flags, 0);
	assert_int_equal(e.term, 12);
}

static void test_shutdown_flags(void **state)
{
	struct election e = leader_of_two(true);
	struct election_actions r = simple(&e, EV_SHUTDOWN, T0 + 700);

	assert_int_equal(r.flags, RELEASE_FLAGS);
	assert_true(r.resign);
	assert_int_equal(e.role, ROLE_FOLLOWER);
	assert_int_equal(e.leader, -1);
	assert_int_equal(e.term, 1);

	start_node(&e, 2, (const uint32_t[]){200, 100}, 0, true, 0);
	r = simple(&e, EV_SHUTDOWN, T0 + 10);
	assert_int_equal(r.flags, ACT_SEND_HEARTBEAT);
	assert_true(r.resign);
	assert_int_equal(e.role, ROLE_INIT);
	/* leaving at the very moment it would claim: it does not */
	r = simple(&e, EV_SHUTDOWN, T0 + D);
	assert_int_equal(r.flags & ACT_TAKE_VIPS, 0);
	assert_int_not_equal(e.role, ROLE_LEADER);
}

static void test_witness_never_leads(void **state)
{
	const uint32_t prio[] = {100, 50, 0};
	struct election w, e;
	struct election_actions r;

	/* a witness alone for 10 s */
	init_node(&w, 3, prio, 2, true, 0, T0);
	assert_int_equal(w.role, ROLE_WITNESS);
	assert_int_equal(w.eff_priority, 0);
	assert_int_equal(run_alone(&w, T0, T0 + 10000, NULL), ACT_SEND_HEARTBEAT);
	assert_int_equal(w.role, ROLE_WITNESS);
	r = set_priority(&w, 200, T0 + 10001);
	assert_int_equal(r.flags, 0);
	assert_int_equal(w.eff_priority, 0);
	r = simple(&w, EV_STEP_DOWN, T0 + 10002);
	assert_int_equal(r.result, -EINVAL);
	/* it tracks the leader but stays a witness; its heartbeats never make it leader */
	r = hear_raw(&w, 0, ROLE_LEADER, 4, 100, false, T0 + 10003);
	/* witness mode: it backs the leader, and says so at once */
	assert_int_equal(r.flags, ACT_ROLE_CHANGED | ACT_SEND_HEARTBEAT);
	assert_int_equal(w.leader, 0);
	assert_int_equal(election_vote(&w), 0);
	assert_int_equal(w.role, ROLE_WITNESS);
	assert_int_equal(w.term, 4);
	r = hear_raw(&w, 0, ROLE_LEADER, 4, 100, true, T0 + 10004);
	assert_int_equal(r.flags & ACT_SEND_HEARTBEAT, ACT_SEND_HEARTBEAT);
	assert_int_equal(w.leader, -1);
	assert_int_equal(election_vote(&w), -1);
	assert_int_equal(w.cool_until_ms, 0); /* a resignation frees the vote at once */
	assert_int_equal(run_alone(&w, T0 + 10005, T0 + 20000, NULL) & ACT_TAKE_VIPS, 0);
	assert_int_equal(w.role, ROLE_WITNESS);

	/* a witness peer is never eligible nor followed, whatever it says */
	start_node(&e, 3, prio, 1, true, 0);
	for (uint64_t t = T0 + 5; t < T0 + D; t += IV) {
		hear_raw(&e, 2, ROLE_LEADER, 1, 255, false, t);
		assert_int_equal(e.leader, -1);
		assert_int_equal(election_best_eligible(&e, t), 1);
	}
	/* witness mode: at D it stands (backs itself) and claims once the witness backs it */
	r = tick(&e, T0 + D);
	assert_int_equal(r.flags, ACT_SEND_HEARTBEAT | ACT_ROLE_CHANGED);
	assert_int_equal(e.role, ROLE_FOLLOWER);
	assert_int_equal(election_vote(&e), 1);
	r = hear_vote(&e, 2, ROLE_WITNESS, 1, 0, 1, T0 + D + 1);
	assert_int_equal(r.flags, CLAIM_FLAGS);
	assert_int_equal(e.term, 2);
}

static void test_wakeup_deadlines(void **state)
{
	const uint32_t prio[] = {128, 200};
	struct election e;
	struct election_actions r;

	/* follower: wakes exactly at the leader's death, off its heartbeat grid */
	start_node(&e, 2, prio, 0, true, 0);
	r = hear_raw(&e, 1, ROLE_LEADER, 1, 200, false, T0 + 50);
	assert_int_equal(r.wakeup_ms, T0 + IV);
	r = tick(&e, T0 + IV);
	r = tick(&e, T0 + 2 * IV);
	r = tick(&e, T0 + 3 * IV);
	assert_int_equal(r.wakeup_ms, T0 + 50 + D);
	r = tick(&e, T0 + 50 + D);
	assert_int_equal(r.flags, CLAIM_FLAGS);

	/* not the best: waits 2*D + skew, skew = (256 - 128) * 200 / 256 = 100 */
	init_node(&e, 2, prio, 0, true, 0, T0);
	r = tick(&e, T0);
	for (uint64_t t = T0; t < T0 + 2 * D + 100; t = r.wakeup_ms) {
		if (t % IV == T0 % IV)
			hear_raw(&e, 1, ROLE_FOLLOWER, 0, 200, false, t);
		r = tick(&e, t);
		/* not the best: follower at D, before anyone leads */
		assert_int_equal(e.role, t < T0 + D ? ROLE_INIT : ROLE_FOLLOWER);
		assert_int_equal(e.leader, -1);
		assert_true(r.wakeup_ms <= T0 + 2 * D + 100);
	}
	assert_int_equal(r.wakeup_ms, T0 + 2 * D + 100);
	r = tick(&e, T0 + 2 * D + 100);
	assert_int_equal(r.flags, CLAIM_FLAGS);
	assert_int_equal(e.term, 1);
}

/* Follower heartbeats arrive at offset ms into every interval; returns what the leader sent. */
static unsigned run_with_follower(struct election *e, uint64_t offset, uint64_t *last_wakeup,
				  unsigned *answered)
{
	struct election_actions r;
	unsigned sent = 0;

	*last_wakeup = 0;
	for (uint64_t t = T0; t < T0 + 5000; t++) {
		bool follower_hb = t % IV == offset;

		if (follower_hb)
			r = hear_raw(e, 1, ROLE_FOLLOWER, e->term, 100, false, t);
		else if (t == *last_wakeup || t == T0)
			r = tick(e, t);
		else
			continue;
		*last_wakeup = r.wakeup_ms;
		sent += !!(r.flags & ACT_SEND_HEARTBEAT);
		*answered += follower_hb && (r.flags & ACT_SEND_HEARTBEAT);
		/* once leading and in step, no timer fires before the next follower heartbeat */
		if (t > T0 + D + 2 * IV && follower_hb)
			assert_true(r.wakeup_ms > t + IV);
	}
	return sent;
}

/* Two leaders: with preempt off the newer leadership (higher term) stays, even if worse. */
static void test_two_leaders_newer_term_wins_without_preempt(void **state)
{
	/* node 0 (better) led at term 1 and was frozen; node 1 took over with term 2 */
	struct election e = leader_of_two(false);
	struct election_actions r = hear_raw(&e, 1, ROLE_LEADER, 2, 100, false, T0 + D + 10);
	assert_true(r.flags & ACT_RELEASE_VIPS);
	assert_int_equal(e.role, ROLE_FOLLOWER);
	assert_int_equal(e.leader, 1);

	/* with preempt on the better node stays and outbids the term */
	e = leader_of_two(true);
	r = hear_raw(&e, 1, ROLE_LEADER, 2, 100, false, T0 + D + 10);
	assert_int_equal(r.flags & ACT_RELEASE_VIPS, 0);
	assert_true(r.flags & ACT_REANNOUNCE);
	assert_int_equal(e.role, ROLE_LEADER);
	assert_true(e.term > 2);

	/* preempt off, equal terms: the better node stays */
	e = leader_of_two(false);
	r = hear_raw(&e, 1, ROLE_LEADER, 1, 100, false, T0 + D + 10);
	assert_int_equal(e.role, ROLE_LEADER);
}

/* A peer that led and now follows (it gave way after a one-way partition) makes the leader
 * announce again, even when nothing else in its heartbeat is new. */
static void test_reannounce_when_other_leader_gives_way(void **state)
{
	struct election e = leader_of_two(true);
	struct election_actions r = hear_raw(&e, 1, ROLE_FOLLOWER, e.term, 100, false, T0 + D + 10);

	assert_int_equal(r.flags & ACT_REANNOUNCE, 0); /* a follower all along: nothing to do */
	r = hear_raw(&e, 1, ROLE_LEADER, e.term, 100, false, T0 + D + 20 + IV);
	assert_int_equal(e.role, ROLE_LEADER);
	r = hear_raw(&e, 1, ROLE_FOLLOWER, e.term, 100, false, T0 + D + 30 + 2 * IV);
	assert_true(r.flags & ACT_REANNOUNCE);
}

/* Heartbeats queued while frozen re-announce the VIPs once per interval, not once each. */
static void test_reannounce_once_per_interval(void **state)
{
	struct election e = leader_of_two(true);
	struct election_actions r;
	unsigned announces = 0;

	for (int i = 0; i < 35; i++) {
		r = hear_raw(&e, 1, ROLE_LEADER, 1 + i, 100, false, T0 + D + 10);
		announces += !!(r.flags & ACT_REANNOUNCE);
		assert_int_equal(e.role, ROLE_LEADER);
	}
	assert_int_equal(announces, 1);
	/* an interval later the next conflict re-announces again */
	r = hear_raw(&e, 1, ROLE_LEADER, 40, 100, false, T0 + D + 10 + IV);
	assert_true(r.flags & ACT_REANNOUNCE);
}

/* An idle leader sends with the follower's heartbeats and needs no wake-up of its own. */
static void test_leader_answers_follower(void **state)
{
	const uint32_t prio[] = {200, 100};
	const uint64_t offsets[] = {130, 57, 1, 0, 199};
	struct election e;
	struct election_actions r;
	uint64_t last_wakeup;

	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		unsigned answered = 0, sent;

		init_node(&e, 2, prio, 0, true, 0, T0);
		sent = run_with_follower(&e, offsets[i], &last_wakeup, &answered);
		assert_int_equal(e.role, ROLE_LEADER);
		/* 25 follower heartbeats: every one after the claim is answered */
		assert_true(answered >= 25 - (D + IV) / IV - 1);
		/* about one heartbeat per interval, not two */
		assert_true(sent >= 24 && sent <= 27);
		/* the follower goes silent: the timer takes over within 1.25 intervals */
		r = tick(&e, last_wakeup);
		assert_true(r.flags & ACT_SEND_HEARTBEAT);
		assert_true(last_wakeup <= T0 + 5000 + IV + IV / 4);
	}
}

static void test_heartbeat_cadence(void **state)
{
	const uint32_t prio[] = {100, 200};
	struct election e;
	struct election_actions r;
	unsigned hbs = 0;

	/* by its own wakeups: 50 in 10 s, claim included */
	init_node(&e, 2, prio, 0, true, 0, T0);
	run_alone(&e, T0, T0 + 9999, &hbs);
	assert_int_equal(hbs, 50);
	assert_int_equal(e.role, ROLE_LEADER);

	/* every millisecond, with a leader heard off-grid: still 50 */
	hbs = 0;
	init_node(&e, 2, prio, 0, true, 0, T0);
	for (uint64_t t = T0; t < T0 + 10000; t++) {
		if (t % IV == 37)
			hear_raw(&e, 1, ROLE_LEADER, 1, 200, false, t);
		r = tick(&e, t);
		hbs += !!(r.flags & ACT_SEND_HEARTBEAT);
	}
	assert_int_equal(hbs, 50);
	assert_int_equal(e.role, ROLE_FOLLOWER);

	/* late tick: no drift; long pause: one heartbeat, then a fresh schedule */
	start_node(&e, 2, prio, 0, true, 0);
	r = tick(&e, T0 + 250);
	assert_int_equal(r.flags & ACT_SEND_HEARTBEAT, ACT_SEND_HEARTBEAT);
	assert_int_equal(r.wakeup_ms, T0 + 400);
	r = tick(&e, T0 + 5000);
	assert_int_equal(r.flags & ACT_SEND_HEARTBEAT, ACT_SEND_HEARTBEAT);
	assert_int_equal(e.next_hb_ms, T0 + 5200);
	r = tick(&e, T0 + 5001);
	assert_int_equal(r.flags & ACT_SEND_HEARTBEAT, 0);
	r = tick(&e, T0 + 5199);
	assert_int_equal(r.flags & ACT_SEND_HEARTBEAT, 0);
	r = tick(&e, T0 + 5200);
	assert_int_equal(r.flags & ACT_SEND_HEARTBEAT, ACT_SEND_HEARTBEAT);
}

/* ------------------------------------------------------ randomized property */

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A random priority: 50..200, or also 0 (fault) when zero_ok. */
static uint32_t pick_prio(uint64_t *seed, bool zero_ok)
{
	static const uint32_t choices[] = {0, 50, 100, 150, 200};

	return zero_ok ? choices[rnd(seed) % 5] : choices[1 + rnd(seed) % 4];
}

/* Exactly one leader, of the highest priority among the eligible alive nodes, all agree. */
static void check_settled(const struct sim *s, const uint32_t *prio, const bool *maint)
{
	uint32_t top = 0;
	int leader = -1, n = 0, uniq = 0;

	for (size_t i = 0; i < s->n; i++) {
		if (s->up[i] && !maint[i] && prio[i] > top)
			top = prio[i];
	}
	for (size_t i = 0; i < s->n; i++) {
		if (s->up[i] && !maint[i] && prio[i] == top)
			uniq++;
		if (s->up[i] && s->el[i].role == ROLE_LEADER) {
			leader = (int)i;
			n++;
		}
	}
	if (top == 0) {
		assert_int_equal(n, 0);
		return;
	}
	assert_int_equal(n, 1);
	assert_int_equal(prio[leader], top);
	assert_false(maint[leader]);
	for (size_t i = 0; i < s->n && uniq == 1; i++) {
		if (s->up[i] && !maint[i] && prio[i] == top)
			assert_int_equal(leader, (int)i);
	}
	for (size_t i = 0; i < s->n; i++) {
		if (s->up[i])
			assert_int_equal(s->el[i].leader, leader);
	}
}

static void random_event(struct sim *s, uint64_t *seed, uint32_t *prio, bool *maint)
{
	size_t i = rnd(seed) % s->n;
	struct election_event ev = {.type = EV_TICK};

	switch (rnd(seed) % 4) {
	case 0:
		if (s->up[i]) {
			s->up[i] = false;
			return;
		}
		sim_start(s, i);
		prio[i] = s->p[i].nodes[i].priority;
		maint[i] = false;
		return;
	case 1:
	case 2:
		ev.type = EV_PRIORITY;
		ev.priority = pick_prio(seed, true);
		break;
	default:
		ev.type = EV_MAINTENANCE;
		ev.on = !maint[i];
		break;
	}
	if (!s->up[i])
		return;
	sim_event(s, i, &ev);
	if (ev.type == EV_PRIORITY)
		prio[i] = ev.priority;
	else
		maint[i] = ev.on;
}

static void property_run(uint64_t seed)
{
	uint32_t base[MAXN], prio[MAXN];
	bool maint[MAXN] = {false};
	struct sim s;

	for (size_t i = 0; i < PROPN; i++)
		base[i] = prio[i] = pick_prio(&seed, false);
	sim_setup(&s, PROPN, base, NULL, true, (uint32_t)(rnd(&seed) % 2) * 300);
	s.single = true; /* zero-latency delivery: never two leaders, not even briefly */
	for (size_t i = 0; i < PROPN; i++) {
		sim_run(&s, s.now + rnd(&seed) % 700);
		sim_start(&s, i);
	}
	for (int round = 0; round < 60; round++) {
		random_event(&s, &seed, prio, maint);
		if (rnd(&seed) % 3) {
			sim_run(&s, s.now + 1 + rnd(&seed) % D);
			continue;
		}
		sim_run(&s, s.now + 2 * D);
		check_settled(&s, prio, maint);
	}
	sim_run(&s, s.now + 2 * D);
	check_settled(&s, prio, maint);
}

static void test_random_property(void **state)
{
	for (uint64_t run = 1; run <= 400; run++)
		property_run(run * 7919);
}

/* ---------------------------------------------------- split-brain defence */

#define LEASE (D - IV) /* how long a vote counts after it arrived */

/* Two LBs (node 0: p0, node 1: p1) and a witness (node 2); every step is checked. */
static void witness_sim(struct sim *s, uint32_t p0, uint32_t p1, bool preempt)
{
	const uint32_t prio[] = {p0, p1, 0};

	sim_setup(s, 3, prio, NULL, preempt, 0);
	s->strict = true;
}

static void cut_both(struct sim *s, size_t a, size_t b, bool on)
{
	s->cut[a][b] = s->cut[b][a] = on;
}

/* Witness cluster, node 0 (150) leads, steady at an off-grid time. */
static void witness_steady(struct sim *s, bool preempt)
{
	witness_sim(s, 150, 100, preempt);
	for (size_t i = 0; i < 3; i++)
		sim_start(s, i);
	sim_run(s, T0 + 3037);
	assert_int_equal(s->el[0].role, ROLE_LEADER);
	assert_int_equal(s->el[1].leader, 0);
	assert_int_equal(s->el[2].leader, 0);
	sim_clear(s);
}

static void test_witness_majority_claim(void **state)
{
	struct election_defence_state ds;
	struct sim s;

	witness_sim(&s, 150, 100, true);
	for (size_t i = 0; i < 3; i++)
		sim_start(&s, i);
	assert_int_equal(s.el[2].role, ROLE_WITNESS);
	sim_run(&s, T0 + D - 1);
	assert_int_equal(sim_leaders(&s), 0);
	election_defence(&s.el[0], s.now, &ds);
	assert_int_equal(ds.kind, DEFENCE_WITNESS);
	assert_string_equal(election_defence_name(ds.kind), "witness");
	assert_int_equal(ds.needed, 2);
	assert_int_equal(ds.votes, 3); /* not standing: the voters in reach */
	assert_true(ds.satisfied);
	assert_int_equal(ds.backs, -1); /* a started node backs nobody for D */
	/* the best stands at D, both others back it at once: it leads */
	sim_run(&s, T0 + D);
	assert_int_equal(s.el[0].role, ROLE_LEADER);
	assert_int_equal(s.took[0], T0 + D);
	assert_int_equal(s.el[0].term, 1);
	assert_int_equal(s.el[1].leader, 0);
	assert_int_equal(s.el[2].leader, 0);
	assert_int_equal(s.el[2].role, ROLE_WITNESS);
	assert_int_equal(election_vote(&s.el[1]), 0);
	assert_int_equal(election_vote(&s.el[2]), 0);
	election_defence(&s.el[0], s.now, &ds);
	assert_int_equal(ds.votes, 3);
	assert_true(ds.satisfied);
	assert_int_equal(ds.backs, 0);
	sim_clear(&s);
	sim_run(&s, T0 + 20000);
	assert_int_equal(s.acc[0] & ACT_RELEASE_VIPS, 0);
	assert_int_equal(s.acc[1] & ACT_TAKE_VIPS, 0);
	/* the other LB dies: leader and witness are a majority */
	s.up[1] = false;
	sim_run(&s, T0 + 30000);
	assert_int_equal(s.el[0].role, ROLE_LEADER);
	assert_int_equal(s.el[0].term, 1);
	election_defence(&s.el[0], s.now, &ds);
	assert_int_equal(ds.votes, 2);
	assert_true(ds.satisfied);
	/* it comes back: it follows, the leader re-announces (a node counted dead is back) */
	sim_clear(&s);
	sim_start(&s, 1);
	sim_run(&s, T0 + 32000);
	assert_int_equal(s.el[1].leader, 0);
	assert_int_equal(election_vote(&s.el[1]), 0);
	assert_true(s.acc[0] & ACT_REANNOUNCE);
	assert_int_equal(s.acc[0] & ACT_RELEASE_VIPS, 0);
	assert_int_equal(s.el[0].term, 1);
}

static void test_witness_no_claim_without_majority(void **state)
{
	const uint32_t prio[] = {150, 100, 0};
	struct election_defence_state ds;
	struct election_actions r;
	struct election e;
	struct sim s;

	/* an LB alone stands (backs itself) but never leads */
	witness_sim(&s, 150, 100, true);
	sim_start(&s, 1);
	sim_run(&s, T0 + 20000);
	assert_int_equal(s.el[1].role, ROLE_FOLLOWER);
	assert_int_equal(s.acc[1] & ACT_TAKE_VIPS, 0);
	assert_int_equal(election_vote(&s.el[1]), 1);
	election_defence(&s.el[1], s.now, &ds);
	assert_int_equal(ds.votes, 1);
	assert_int_equal(ds.needed, 2);
	assert_false(ds.satisfied);
	/* a witness backing a leader this node cannot hear, or backing nobody, does not count */
	for (int named = 0; named >= -1; named--) {
		start_node(&e, 3, prio, 1, true, 0);
		for (uint64_t t = T0 + 7; t < T0 + 20000; t += IV) {
			hear_vote(&e, 2, ROLE_WITNESS, 1, 0, named, t);
			tick(&e, t + 50);
			assert_int_not_equal(e.role, ROLE_LEADER);
		}
		assert_int_equal(election_vote(&e), 1);
		election_defence(&e, T0 + 20000, &ds);
		assert_int_equal(ds.votes, 1);
		/* the witness turns to it: it leads */
		r = hear_vote(&e, 2, ROLE_WITNESS, 1, 0, 1, T0 + 20001);
		assert_int_equal(r.flags, CLAIM_FLAGS);
		assert_int_equal(e.term, 2);
		/* a vote lasts the lease from its arrival: the witness falls silent */
		r = tick(&e, T0 + 20001 + LEASE - 1);
		assert_int_equal(e.role, ROLE_LEADER);
		assert_int_equal(r.wakeup_ms, T0 + 20001 + LEASE);
		r = tick(&e, T0 + 20001 + LEASE);
		assert_int_equal(r.flags, RELEASE_FLAGS);
		assert_true(r.resign);
	}
}

/* Node 0 is cut off; the witness stays with node 1. Exact times of release and claim. */
static void test_witness_lost_majority_timing(void **state)
{
	uint64_t last_vote, last_leader, release;
	struct sim s;

	witness_steady(&s, true);
	cut_both(&s, 0, 1, true);
	cut_both(&s, 0, 2, true);
	last_vote = s.last_sent[1] > s.last_sent[2] ? s.last_sent[1] : s.last_sent[2];
	last_leader = s.last_sent[0];
	release = last_vote + LEASE; /* last_majority + D - interval */
	sim_run(&s, release - 1);
	assert_int_equal(s.el[0].role, ROLE_LEADER);
	assert_int_equal(s.acc[0] & ACT_RELEASE_VIPS, 0);
	sim_run(&s, release);
	assert_int_equal(s.el[0].role, ROLE_FOLLOWER);
	assert_int_equal(s.released[0], release);
	sim_run(&s, T0 + 10000);
	assert_int_equal(s.el[1].role, ROLE_LEADER);
	assert_int_equal(s.el[2].leader, 1);
	/* D to call the leader dead, D of cooldown for the votes it may still hold */
	assert_int_equal(s.took[1], last_leader + 2 * D);
	assert_true(s.took[1] >= last_leader + D);
	assert_true(s.took[1] >= s.released[0] + IV);
	assert_true(s.el[1].term > s.el[0].term);
	/* the cut-off node stands again and again, never leads */
	sim_run(&s, T0 + 30000);
	assert_int_equal(s.acc[0] & ACT_TAKE_VIPS, 0);
	assert_int_equal(election_vote(&s.el[0]), 0);
	assert_int_equal(s.el[1].role, ROLE_LEADER);
}

/* The witness hears both LBs, which cannot hear each other: one leader, ever. */
static void test_witness_sees_both(void **state)
{
	struct sim s;

	witness_steady(&s, true);
	cut_both(&s, 0, 1, true);
	sim_run(&s, T0 + 20000);
	assert_int_equal(s.el[0].role, ROLE_LEADER);
	assert_int_equal(s.acc[0] & ACT_RELEASE_VIPS, 0);
	assert_int_equal(s.acc[1] & ACT_TAKE_VIPS, 0);
	assert_int_equal(election_vote(&s.el[1]), 1); /* stands, in vain */
	assert_int_equal(election_vote(&s.el[2]), 0);
	/* the witness with the follower only: the leader keeps the majority of the other side */
	cut_both(&s, 0, 1, false);
	sim_run(&s, T0 + 22000);
	assert_int_equal(election_vote(&s.el[1]), 0);
	cut_both(&s, 1, 2, true);
	sim_clear(&s);
	sim_run(&s, T0 + 40000);
	assert_int_equal(s.el[0].role, ROLE_LEADER);
	assert_int_equal(s.acc[1] & ACT_TAKE_VIPS, 0);
	/* started with the LBs cut: both stand at D, the witness picks one */
	for (size_t first = 0; first < 2; first++) {
		witness_sim(&s, 150, 100, true);
		cut_both(&s, 0, 1, true);
		sim_start(&s, 2);
		sim_start(&s, first);
		s.now += 13;
		sim_start(&s, 1 - first);
		sim_run(&s, T0 + 30000);
		assert_int_equal(sim_leaders(&s), 1);
		assert_int_equal(s.el[first].role, ROLE_LEADER);
		assert_int_equal(s.took[1 - first], 0);
		assert_int_equal(s.el[2].leader, (int)first);
	}
}

/* One-way links: the leader talks into the void, or is deaf. Never two leaders. */
static void test_witness_one_way(void **state)
{
	struct sim s;
	uint64_t last_leader;

	/* node 0 hears the others, they do not hear it: their withdrawal reaches it */
	witness_steady(&s, true);
	s.cut[0][1] = s.cut[0][2] = true;
	last_leader = s.last_sent[0];
	sim_run(&s, T0 + 20000);
	assert_int_equal(s.released[0], last_leader + D);
	assert_int_equal(s.took[1], last_leader + 2 * D);
	assert_int_equal(s.el[1].role, ROLE_LEADER);
	assert_int_equal(s.el[0].leader, 1);
	assert_int_equal(s.acc[0] & ACT_TAKE_VIPS, 0);
	/* node 0 is deaf: it gives up at its majority deadline and resigns: instant handover */
	witness_steady(&s, true);
	s.cut[1][0] = s.cut[2][0] = true;
	sim_run(&s, T0 + 20000);
	assert_true(s.released[0] > 0);
	assert_int_equal(s.took[1], s.released[0]);
	assert_int_equal(s.el[1].role, ROLE_LEADER);
	/* the deaf node stands (it is better) but never heard the leader: no handover to it */
	assert_int_equal(election_vote(&s.el[0]), 0);
	assert_int_equal(s.acc[1] & ACT_RELEASE_VIPS, 0);
	assert_int_equal(s.el[2].leader, 1);
}

/* A better node returns: it backs the leader, then turns; the leader hands over at once. */
static void test_witness_preempt_handover(void **state)
{
	struct election_event down = {.type = EV_STEP_DOWN};
	struct sim s;

	witness_sim(&s, 150, 100, true);
	sim_start(&s, 1);
	sim_start(&s, 2);
	sim_run(&s, T0 + 3000);
	assert_int_equal(s.el[1].role, ROLE_LEADER);
	sim_start(&s, 0);
	sim_run(&s, T0 + 3000 + D - 1);
	assert_int_equal(s.el[0].leader, 1);
	assert_int_equal(election_vote(&s.el[0]), -1); /* start cooldown */
	sim_run(&s, T0 + 3000 + D + IV + IV / 4);
	assert_int_equal(s.el[0].role, ROLE_LEADER);
	assert_int_equal(s.took[0], s.released[1]); /* handover: no gap, no overlap */
	assert_true(s.el[0].term > s.el[1].term - 1);
	assert_int_equal(s.el[2].leader, 0);
	/* a step-down hands over at once; the better node does not take it back */
	sim_run(&s, T0 + 10000);
	sim_clear(&s);
	sim_event(&s, 0, &down);
	assert_int_equal(s.el[1].role, ROLE_LEADER);
	assert_int_equal(s.took[1], s.released[0]);
	sim_run(&s, T0 + 30000);
	assert_int_equal(s.el[1].role, ROLE_LEADER);
	assert_int_equal(s.acc[0] & ACT_TAKE_VIPS, 0);
	assert_int_equal(election_vote(&s.el[0]), 1);
	/* with preempt off the returning node just follows */
	witness_sim(&s, 150, 100, false);
	sim_start(&s, 1);
	sim_start(&s, 2);
	sim_run(&s, T0 + 3000);
	sim_start(&s, 0);
	sim_run(&s, T0 + 30000);
	assert_int_equal(s.el[1].role, ROLE_LEADER);
	assert_int_equal(s.took[0], 0);
}

/* The leader hands over to a node that goes deaf at that moment: a leader again after ~3 D. */
static void test_witness_deaf_candidate(void **state)
{
	struct sim s;
	uint64_t t;

	witness_sim(&s, 150, 100, true);
	sim_start(&s, 1);
	sim_start(&s, 2);
	sim_run(&s, T0 + 3000);
	sim_start(&s, 0);
	/* node 0 backs node 1 at its start + D, then turns; deaf from just before */
	sim_run(&s, T0 + 3000 + D);
	assert_int_equal(election_vote(&s.el[0]), 1);
	s.cut[1][0] = s.cut[2][0] = true;
	sim_run(&s, T0 + 3000 + D + 2 * IV);
	assert_int_equal(sim_leaders(&s), 0);
	t = s.released[1];
	assert_true(t > 0);
	assert_int_equal(election_vote(&s.el[1]), 0);
	assert_int_equal(election_vote(&s.el[2]), 0);
	/* both pass node 0 over after D and cool down D; node 1 (not the best) stands at 2 D + skew
	 */
	sim_run(&s, t + 2 * D + IV);
	assert_int_equal(s.el[1].role, ROLE_LEADER);
	assert_int_equal(s.took[1], t + 2 * D + (256 - 100) * IV / 256);
	/* the deaf node keeps standing: no further handover */
	sim_clear(&s);
	sim_run(&s, T0 + 40000);
	assert_int_equal(s.acc[1] & ACT_RELEASE_VIPS, 0);
	assert_int_equal(s.acc[0] & ACT_TAKE_VIPS, 0);
	/* it hears again: it backs the leader, turns, and takes over */
	s.cut[1][0] = s.cut[2][0] = false;
	sim_run(&s, T0 + 40000 + 2 * IV);
	assert_int_equal(s.el[0].role, ROLE_LEADER);
	assert_int_equal(s.took[0], s.released[1]);
}

/* Partition and heal with the witness on the follower's side: one leader at once after. */
static void test_witness_heal(void **state)
{
	struct sim s;

	for (int preempt = 0; preempt < 2; preempt++) {
		uint64_t heal = T0 + 8013;
		int leader;

		witness_steady(&s, preempt);
		cut_both(&s, 0, 1, true);
		cut_both(&s, 0, 2, true);
		sim_run(&s, heal);
		assert_int_equal(s.el[1].role, ROLE_LEADER);
		memset(s.cut, 0, sizeof(s.cut));
		sim_clear(&s);
		sim_run(&s, heal + 2 * IV);
		assert_int_equal(sim_leaders(&s), 1);
		leader = preempt ? 0 : 1;
		assert_int_equal(s.el[leader].role, ROLE_LEADER);
		for (size_t i = 0; i < 3; i++)
			assert_int_equal(s.el[i].leader, leader);
		/* the side that had no leader got a re-announcement (or a fresh take) */
		assert_true(s.acc[1] & ACT_REANNOUNCE);
		if (preempt)
			assert_int_equal(s.took[0], s.released[1]);
		sim_run(&s, heal + 20000);
		assert_int_equal(s.el[leader].role, ROLE_LEADER);
	}
}

static void tb_node(struct election *e, size_t self, uint64_t now)
{
	const uint32_t prio[] = {150, 100};
	struct election_params p;

	make_params(&p, 2, prio, NULL, self, true, 0);
	p.tie_breaker = true;
	election_init(e, &p, now);
}

static void test_tiebreaker_alone(void **state)
{
	struct election_defence_state ds;
	struct election_actions r;
	struct election e;

	tb_node(&e, 0, T0);
	election_defence(&e, T0, &ds);
	assert_int_equal(ds.kind, DEFENCE_TIE_BREAKER);
	assert_string_equal(election_defence_name(ds.kind), "tie-breaker");
	assert_false(ds.satisfied);
	assert_int_equal(ds.votes, 0);
	assert_int_equal(ds.needed, 1);
	/* unreachable (never told otherwise): never leads, advertises 0 */
	assert_int_equal(run_alone(&e, T0, T0 + 10000, NULL) & ACT_TAKE_VIPS, 0);
	assert_int_equal(e.role, ROLE_FOLLOWER);
	assert_int_equal(election_advertised_priority(&e), 0);
	r = toggle(&e, EV_TIEBREAKER, false, 0, T0 + 10001);
	assert_int_equal(r.flags, 0);
	/* reachable: leaderless for long, it claims at once */
	r = toggle(&e, EV_TIEBREAKER, true, 0, T0 + 10002);
	assert_int_equal(r.flags, CLAIM_FLAGS);
	election_defence(&e, T0 + 10002, &ds);
	assert_true(ds.satisfied);
	assert_int_equal(ds.votes, 1);
	assert_int_equal(election_advertised_priority(&e), 150);
	/* lost (the pinger says so after D without a reply): gives up at once and resigns */
	r = toggle(&e, EV_TIEBREAKER, false, 0, T0 + 12000);
	assert_int_equal(r.flags, RELEASE_FLAGS);
	assert_true(r.resign);
	assert_int_equal(e.role, ROLE_FOLLOWER);
	assert_int_equal(election_advertised_priority(&e), 0);
	/* with a witness the tie-breaker is ignored */
	{
		const uint32_t prio[] = {150, 100, 0};
		struct election_params p;

		make_params(&p, 3, prio, NULL, 0, true, 0);
		p.tie_breaker = true;
		election_init(&e, &p, T0);
		assert_int_equal(e.defence, DEFENCE_WITNESS);
		assert_int_equal(election_advertised_priority(&e), 150);
	}
	init_node(&e, 2, (const uint32_t[]){150, 100}, 0, true, 0, T0);
	election_defence(&e, T0, &ds);
	assert_int_equal(ds.kind, DEFENCE_NONE);
	assert_true(ds.satisfied);
	assert_string_equal(election_defence_name(ds.kind), "none");
}

static void tb_event(struct sim *s, size_t i, bool on)
{
	struct election_event ev = {.type = EV_TIEBREAKER, .on = on};

	sim_event(s, i, &ev);
}

static void tb_sim(struct sim *s)
{
	const uint32_t prio[] = {150, 100};

	sim_setup(s, 2, prio, NULL, true, 0);
	s->p[0].tie_breaker = s->p[1].tie_breaker = true;
	s->single = true;
	sim_start(s, 0);
	sim_start(s, 1);
}

static void test_tiebreaker_cluster(void **state)
{
	uint64_t last_reply = T0 + 4000;
	struct sim s;

	/* the better node cannot reach it: the other leads */
	tb_sim(&s);
	tb_event(&s, 1, true);
	sim_run(&s, T0 + 20000);
	assert_int_equal(s.el[1].role, ROLE_LEADER);
	assert_int_equal(s.took[0], 0);
	assert_int_equal(s.el[0].leader, 1);
	/* it can: it preempts; it loses it for D: it hands over at once */
	tb_sim(&s);
	tb_event(&s, 0, true);
	tb_event(&s, 1, true);
	sim_run(&s, last_reply);
	assert_int_equal(s.el[0].role, ROLE_LEADER);
	sim_run(&s, last_reply + D);
	assert_int_equal(s.el[0].role, ROLE_LEADER);
	tb_event(&s, 0, false); /* the pinger: no reply for D since last_reply */
	assert_int_equal(s.el[1].role, ROLE_LEADER);
	assert_int_equal(s.released[0], last_reply + D);
	assert_int_equal(s.took[1], s.released[0]);
	sim_clear(&s);
	sim_run(&s, T0 + 20000);
	assert_int_equal(s.acc[0] & ACT_TAKE_VIPS, 0);
	tb_event(&s, 0, true);
	sim_run(&s, T0 + 20000 + IV + IV / 4);
	assert_int_equal(s.el[0].role, ROLE_LEADER);
	/* both reach it but not each other: two leaders (no witness); heal: one within 2 intervals
	 */
	s.single = false;
	cut_both(&s, 0, 1, true);
	sim_run(&s, T0 + 25000);
	assert_int_equal(sim_leaders(&s), 2);
	memset(s.cut, 0, sizeof(s.cut));
	sim_clear(&s);
	sim_run(&s, T0 + 25000 + 2 * IV);
	assert_int_equal(sim_leaders(&s), 1);
	assert_int_equal(s.el[0].role, ROLE_LEADER);
	assert_true(s.acc[0] & ACT_REANNOUNCE);
	assert_int_equal(s.el[1].leader, 0);
}

/* Random crashes, priorities, maintenance and directed cuts with a witness. */
static void witness_random_event(struct sim *s, uint64_t *seed, uint32_t *prio)
{
	size_t lbs = s->n - 1, i = rnd(seed) % s->n, j = rnd(seed) % s->n;
	struct election_event ev = {.type = EV_PRIORITY};

	switch (rnd(seed) % 7) {
	case 0:
		if (s->up[i])
			s->up[i] = false;
		else
			sim_start(s, i);
		prio[i] = s->p[i].nodes[i].priority;
		return;
	case 1:
		if (i >= lbs || !s->up[i])
			return;
		ev.priority = pick_prio(seed, true);
		sim_event(s, i, &ev);
		prio[i] = ev.priority;
		return;
	case 2:
	case 3:
		s->cut[i][j] = i != j && !s->cut[i][j]; /* one direction */
		return;
	case 4:
		for (size_t a = 0; a < s->n; a++)
			for (size_t b = 0; b < s->n; b++)
				s->cut[a][b] = a != b && rnd(seed) % 3 == 0;
		return;
	case 5:
		cut_both(s, i, j, i != j);
		return;
	default:
		memset(s->cut, 0, sizeof(s->cut));
		return;
	}
}

/* After healing: one leader if any LB can lead, and every node agrees on it. */
static void check_one_leader(const struct sim *s, const uint32_t *prio)
{
	bool any = false;
	int leader = -1;

	for (size_t i = 0; i + 1 < s->n; i++)
		any = any || (s->up[i] && prio[i] > 0);
	for (size_t i = 0; i < s->n; i++) {
		if (s->up[i] && s->el[i].role == ROLE_LEADER)
			leader = (int)i;
	}
	assert_int_equal(sim_leaders(s), any ? 1 : 0);
	for (size_t i = 0; i < s->n; i++) {
		if (s->up[i])
			assert_int_equal(s->el[i].leader, leader);
	}
}

static void witness_property_run(uint64_t seed)
{
	uint32_t prio[MAXN];
	size_t n = 3 + rnd(&seed) % 2;
	struct sim s;

	for (size_t i = 0; i < n; i++)
		prio[i] = i + 1 < n ? pick_prio(&seed, false) : 0;
	sim_setup(&s, n, prio, NULL, rnd(&seed) % 2, (uint32_t)(rnd(&seed) % 2) * 300);
	s.strict = true; /* never two leaders, no vote held twice, at every single step */
	s.latency = rnd(&seed) % 2 ? 1 + rnd(&seed) % (IV / 4) : 0;
	s.rng = seed;
	for (size_t i = 0; i < n; i++) {
		sim_run(&s, s.now + rnd(&seed) % 700);
		sim_start(&s, i);
	}
	for (int round = 0; round < 80; round++) {
		witness_random_event(&s, &seed, prio);
		sim_run(&s, s.now + 1 + rnd(&seed) % (2 * D));
	}
	memset(s.cut, 0, sizeof(s.cut));
	for (size_t i = 0; i < n; i++) {
		if (!s.up[i]) {
			sim_start(&s, i);
			prio[i] = s.p[i].nodes[i].priority;
		}
	}
	sim_run(&s, s.now + 8 * D);
	check_one_leader(&s, prio);
}

static void test_witness_random_partitions(void **state)
{
	for (uint64_t run = 1; run <= 400; run++)
		witness_property_run(run * 104729);
}

/* ------------------------------------------------------------ etcd coordinator */

static void init_coord(struct election *e, size_t n, const uint32_t *prio, size_t self,
		       bool preempt, uint64_t now)
{
	struct election_params p;

	make_params(&p, n, prio, NULL, self, preempt, 0);
	p.coordinated = true;
	election_init(e, &p, now);
	assert_int_equal(e->defence, DEFENCE_COORD);
}

static struct election_actions coord(struct election *e, bool ok, bool held, uint64_t term,
				     uint64_t now)
{
	struct election_event ev = {.type = EV_COORD, .ok = ok, .on = held, .term = term};

	return step(e, &ev, now);
}

/* Node self of two (prio), leading from T0 + D + 1 with etcd's key at term. */
static void coord_leader(struct election *e, const uint32_t *prio, size_t self, uint64_t term)
{
	init_coord(e, 2, prio, self, true, T0);
	coord(e, true, false, 0, T0);
	tick(e, T0 + D);
	coord(e, true, true, term, T0 + D + 1);
	assert_int_equal(e->role, ROLE_LEADER);
}

/* Claims only while holding the key, with etcd's term; asks for it when the rules say so. */
static void test_coord_claims_with_key(void **state)
{
	const uint32_t prio[] = {100, 50};
	struct election e;
	struct election_actions a;

	init_coord(&e, 2, prio, 0, true, T0);
	assert_int_equal(election_advertised_priority(&e), 0); /* no lease: not eligible */
	coord(&e, true, false, 0, T0 + 1);
	assert_int_equal(election_advertised_priority(&e), 100);
	tick(&e, T0 + D - 1);
	assert_false(election_coord_want(&e)); /* init: learns the cluster first */
	a = tick(&e, T0 + D);
	assert_true(election_coord_want(&e));
	assert_int_not_equal(e.role, ROLE_LEADER); /* no key yet */
	assert_false(a.flags & ACT_TAKE_VIPS);
	a = coord(&e, true, true, 57, T0 + D + 5);
	assert_int_equal(e.role, ROLE_LEADER);
	assert_int_equal(a.flags & CLAIM_FLAGS, CLAIM_FLAGS);
	assert_int_equal(e.term, 57);
	/* the key goes (lease not renewed in time): give up at once, resigning */
	a = coord(&e, false, false, 0, T0 + D + 100);
	assert_int_equal(e.role, ROLE_FOLLOWER);
	assert_int_equal(a.flags & RELEASE_FLAGS, RELEASE_FLAGS);
	assert_true(a.resign);
	assert_int_equal(election_advertised_priority(&e), 0);
}

/* A worse node holding the key waits for the better one's chance (2D + skew). */
static void test_coord_worse_waits(void **state)
{
	const uint32_t prio[] = {100, 50};
	struct election e;

	init_coord(&e, 2, prio, 1, true, T0);
	coord(&e, true, false, 0, T0);
	hear_raw(&e, 0, ROLE_FOLLOWER, 0, 100, false, T0 + 10);
	tick(&e, T0 + D);
	assert_false(election_coord_want(&e)); /* node 0 is better and alive */
	coord(&e, true, true, 9, T0 + D + 1);
	assert_int_not_equal(e.role, ROLE_LEADER);
}

/* Preemption: the better follower names itself; the leader hands over. */
static void test_coord_preempt(void **state)
{
	const uint32_t prio[] = {100, 50};
	struct election hi, lo;
	struct election_actions a;

	coord_leader(&lo, prio, 1, 20);
	init_coord(&hi, 2, prio, 0, true, T0 + D + 2);
	coord(&hi, true, false, 0, T0 + D + 2);
	hear(&hi, &lo, T0 + D + 3);
	assert_int_equal(hi.leader, 1);
	assert_true(election_coord_want(&hi));
	assert_int_equal(election_vote(&hi), 0); /* names itself */
	a = hear(&lo, &hi, T0 + D + 4);
	assert_int_equal(lo.role, ROLE_FOLLOWER);
	assert_true(a.resign);
	{ /* the resign */
		struct election_event rs = hb_of(&lo, true);

		a = step(&hi, &rs, T0 + D + 6);
	}
	assert_true(election_coord_want(&hi));
	assert_int_not_equal(hi.role, ROLE_LEADER);
	a = coord(&hi, true, true, 25, T0 + D + 20);
	assert_int_equal(hi.role, ROLE_LEADER);
	assert_int_equal(hi.term, 25);
}

/* Two leaders: the higher (etcd) term stays, nobody raises terms. */
static void test_coord_conflict(void **state)
{
	struct election e;
	struct election_actions a;

	coord_leader(&e, (const uint32_t[]){100, 50}, 0, 30);
	a = hear_raw(&e, 1, ROLE_LEADER, 29, 50, false, T0 + D + 2);
	assert_int_equal(e.role, ROLE_LEADER);
	assert_int_equal(e.term, 30);
	a = hear_raw(&e, 1, ROLE_LEADER, 31, 50, false, T0 + D + 3);
	assert_int_equal(e.role, ROLE_FOLLOWER); /* a worse node, but etcd's newer holder */
	assert_int_equal(e.leader, 1);
	assert_true(a.flags & ACT_RELEASE_VIPS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alone_claims_at_dead_interval),
	    cmocka_unit_test(test_coord_claims_with_key),
	    cmocka_unit_test(test_coord_worse_waits),
	    cmocka_unit_test(test_coord_preempt),
	    cmocka_unit_test(test_coord_conflict),
	    cmocka_unit_test(test_two_start_together),
	    cmocka_unit_test(test_leader_dies),
	    cmocka_unit_test(test_heard_at_arrival),
	    cmocka_unit_test(test_restart_learns_term),
	    cmocka_unit_test(test_preempt_on),
	    cmocka_unit_test(test_preempt_off),
	    cmocka_unit_test(test_preempt_delay),
	    cmocka_unit_test(test_tie_higher_address_wins),
	    cmocka_unit_test(test_resign_hands_over_at_once),
	    cmocka_unit_test(test_step_down),
	    cmocka_unit_test(test_step_down_twice),
	    cmocka_unit_test(test_r13_priority_drop_hands_over),
	    cmocka_unit_test(test_r13_no_handover_while_best),
	    cmocka_unit_test(test_r13_preempt_and_hand_over_in_one_step),
	    cmocka_unit_test(test_r41_set_params),
	    cmocka_unit_test(test_r23_holder_may_lead),
	    cmocka_unit_test(test_new_and_accessors),
	    cmocka_unit_test(test_two_leaders_heal),
	    cmocka_unit_test(test_partition_heals),
	    cmocka_unit_test(test_follows_better_leader),
	    cmocka_unit_test(test_priority_zero_faults),
	    cmocka_unit_test(test_maintenance),
	    cmocka_unit_test(test_fence),
	    cmocka_unit_test(test_shutdown_flags),
	    cmocka_unit_test(test_witness_never_leads),
	    cmocka_unit_test(test_wakeup_deadlines),
	    cmocka_unit_test(test_r45_stalled_follower_waits_one_interval),
	    cmocka_unit_test(test_heartbeat_cadence),
	    cmocka_unit_test(test_leader_answers_follower),
	    cmocka_unit_test(test_two_leaders_newer_term_wins_without_preempt),
	    cmocka_unit_test(test_reannounce_once_per_interval),
	    cmocka_unit_test(test_reannounce_when_other_leader_gives_way),
	    cmocka_unit_test(test_random_property),
	    cmocka_unit_test(test_witness_majority_claim),
	    cmocka_unit_test(test_witness_no_claim_without_majority),
	    cmocka_unit_test(test_witness_lost_majority_timing),
	    cmocka_unit_test(test_witness_sees_both),
	    cmocka_unit_test(test_witness_one_way),
	    cmocka_unit_test(test_witness_preempt_handover),
	    cmocka_unit_test(test_witness_deaf_candidate),
	    cmocka_unit_test(test_witness_heal),
	    cmocka_unit_test(test_tiebreaker_alone),
	    cmocka_unit_test(test_tiebreaker_cluster),
	    cmocka_unit_test(test_witness_random_partitions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
