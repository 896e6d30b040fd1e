/* SPDX-License-Identifier: MIT */
/* election_harness.c: the election unit tests' checked step(), helpers and simulated cluster. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "election_harness.h"

/* ------------------------------------------------------------------ helpers */

/* prio[i] == 0 makes node i a witness; addrs may be NULL (192.0.2.i+1). */
void make_params(struct election_params *p, size_t n, const uint32_t *prio,
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

void init_node(struct election *e, size_t n, const uint32_t *prio, size_t self, bool preempt,
	       uint32_t delay, uint64_t now)
{
	struct election_params p;

	make_params(&p, n, prio, NULL, self, preempt, delay);
	election_init(e, &p, now);
}

/* Every step: wakeup in (now, now + 1.25 interval], terms never decrease, leader consistent. */
struct election_actions step(struct election *e, const struct election_event *ev, uint64_t now)
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

struct election_actions simple(struct election *e, enum election_event_type type, uint64_t now)
{
	struct election_event ev = {.type = type};

	return step(e, &ev, now);
}

struct election_actions tick(struct election *e, uint64_t now)
{
	return simple(e, EV_TICK, now);
}

/* Node self of n, started at T0 and stepped once (its first heartbeat). */
struct election_actions start_node(struct election *e, size_t n, const uint32_t *prio, size_t self,
				   bool preempt, uint32_t delay)
{
	init_node(e, n, prio, self, preempt, delay, T0);
	return tick(e, T0);
}

struct election_actions toggle(struct election *e, enum election_event_type type, bool on,
			       uint64_t term, uint64_t now)
{
	struct election_event ev = {.type = type, .on = on, .term = term};

	return step(e, &ev, now);
}

struct election_actions set_priority(struct election *e, uint32_t prio, uint64_t now)
{
	struct election_event ev = {.type = EV_PRIORITY, .priority = prio};

	return step(e, &ev, now);
}

/* The heartbeat src would send now. */
struct election_event hb_of(const struct election *src, bool resign)
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

struct election_actions hear(struct election *dst, const struct election *src, uint64_t now)
{
	struct election_event ev = hb_of(src, false);

	return step(dst, &ev, now);
}

/* A heartbeat from peer that backs named (-1 none). */
struct election_actions hear_full(struct election *dst, size_t peer, int role, uint64_t term,
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

struct election_actions hear_raw(struct election *dst, size_t peer, int role, uint64_t term,
				 uint32_t prio, bool resign, uint64_t now)
{
	return hear_full(dst, peer, role, term, prio, resign, -1, now);
}

struct election_actions hear_vote(struct election *dst, size_t peer, int role, uint64_t term,
				  uint32_t prio, int named, uint64_t now)
{
	return hear_full(dst, peer, role, term, prio, false, named, now);
}

/* Ticks e at its own wakeups up to and including until; returns OR of flags. */
unsigned run_alone(struct election *e, uint64_t from, uint64_t until, unsigned *hbs)
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

void sim_setup(struct sim *s, size_t n, const uint32_t *prio, const char *const *addrs,
	       bool preempt, uint32_t delay)
{
	memset(s, 0, sizeof(*s));
	s->n = n;
	s->now = T0;
	for (size_t i = 0; i < n; i++)
		make_params(&s->p[i], n, prio, addrs, i, preempt, delay);
}

void sim_clear(struct sim *s)
{
	memset(s->acc, 0, sizeof(s->acc));
}

void sim_record(struct sim *s, size_t i, const struct election_actions *a)
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

int sim_leaders(const struct sim *s)
{
	int n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += s->up[i] && s->el[i].role == ROLE_LEADER;
	return n;
}

/* Never two leaders; witness mode: no node's vote held by two nodes (down voters included). */
void sim_check(const struct sim *s)
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
struct election_actions sim_step(struct sim *s, size_t i, const struct election_event *ev)
{
	struct election_actions a = step(&s->el[i], ev, s->now);

	sim_record(s, i, &a);
	if (s->strict)
		sim_check(s);
	return a;
}

/* Delivers queued heartbeats (and those they cause) at once, perfect network. */
void sim_flush(struct sim *s)
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
struct election_event sim_take_msg(struct sim *s)
{
	struct election_event ev;

	assert_true(s->qlen > 0);
	ev = s->q[(s->qhead + s->qlen - 1) % QMAX].ev;
	s->qlen = 0;
	return ev;
}

void sim_event(struct sim *s, size_t i, const struct election_event *ev)
{
	sim_step(s, i, ev);
	sim_flush(s);
}

void sim_start(struct sim *s, size_t i)
{
	struct election_event ev = {.type = EV_TICK};

	election_init(&s->el[i], &s->p[i], s->now);
	s->up[i] = true;
	sim_event(s, i, &ev);
}

/* Delivers the earliest heartbeat in flight due by now; false when none is. */
bool sim_deliver_one(struct sim *s)
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

/* Runs every node's timer up to and including time until. */
void sim_run(struct sim *s, uint64_t until)
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
void sim_boot(struct sim *s, size_t n, const uint32_t *prio, bool preempt, uint64_t until)
{
	sim_setup(s, n, prio, NULL, preempt, 0);
	for (size_t i = 0; i < n; i++)
		sim_start(s, i);
	sim_run(s, until);
}

/* Node 0 (prio 100) leads alone from T0 + D; returns with it. */
void lone_leader(struct election *e, size_t n, const uint32_t *prio, bool preempt)
{
	init_node(e, n, prio, 0, preempt, 0, T0);
	run_alone(e, T0, T0 + D, NULL);
	assert_int_equal(e->role, ROLE_LEADER);
	assert_int_equal(e->term, 1);
}

/* Node 0 of {200, 100}, leading alone from T0 + D. */
struct election leader_of_two(bool preempt)
{
	struct election e;

	lone_leader(&e, 2, (const uint32_t[]){200, 100}, preempt);
	return e;
}

/* ------------------------------------------------------ randomized property */

uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A random priority: 50..200, or also 0 (fault) when zero_ok. */
uint32_t pick_prio(uint64_t *seed, bool zero_ok)
{
	static const uint32_t choices[] = {0, 50, 100, 150, 200};

	return zero_ok ? choices[rnd(seed) % 5] : choices[1 + rnd(seed) % 4];
}
