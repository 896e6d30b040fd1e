/* SPDX-License-Identifier: MIT */
/* test_election_quorum.c: the split-brain defences: witness quorum, tie-breaker, etcd. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "election_harness.h"

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

/*
 * R31: the leader did not hear the better node's turn (one-way cut while it turned): the
 * turn is made again every D, so the leader hands over soon after it hears the node.
 */
static void test_witness_turn_made_again(void **state)
{
	struct sim s;

	(void)state;
	witness_sim(&s, 150, 100, true);
	sim_start(&s, 1);
	sim_start(&s, 2);
	sim_run(&s, T0 + 3000);
	assert_int_equal(s.el[1].role, ROLE_LEADER);
	s.cut[0][1] = true; /* node 1 does not hear node 0, which hears it */
	sim_start(&s, 0);
	sim_run(&s, T0 + 6000);
	assert_int_equal(s.el[1].role, ROLE_LEADER);
	assert_int_equal(s.el[0].leader, 1);
	s.cut[0][1] = false;
	sim_run(&s, T0 + 6000 + 3 * D);
	assert_int_equal(s.el[0].role, ROLE_LEADER);
	assert_int_equal(s.el[1].leader, 0);
	assert_int_equal(s.el[2].leader, 0);
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
	    cmocka_unit_test(test_coord_claims_with_key),
	    cmocka_unit_test(test_coord_worse_waits),
	    cmocka_unit_test(test_coord_preempt),
	    cmocka_unit_test(test_coord_conflict),
	    cmocka_unit_test(test_witness_majority_claim),
	    cmocka_unit_test(test_witness_no_claim_without_majority),
	    cmocka_unit_test(test_witness_lost_majority_timing),
	    cmocka_unit_test(test_witness_sees_both),
	    cmocka_unit_test(test_witness_one_way),
	    cmocka_unit_test(test_witness_preempt_handover),
	    cmocka_unit_test(test_witness_turn_made_again),
	    cmocka_unit_test(test_witness_deaf_candidate),
	    cmocka_unit_test(test_witness_heal),
	    cmocka_unit_test(test_tiebreaker_alone),
	    cmocka_unit_test(test_tiebreaker_cluster),
	    cmocka_unit_test(test_witness_random_partitions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
