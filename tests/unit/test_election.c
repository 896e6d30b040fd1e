/* SPDX-License-Identifier: MIT */
/* test_election.c: claims, liveness (R1, R39, R45), healing, cadence, and random runs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "election_harness.h"

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
	assert_int_equal(election_stalls(&e), 1); /* counted for the status (loop_stalls) */
	assert_int_equal(election_longest_stall_ms(&e), 2 * IV);
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
	assert_int_equal(election_stalls(&e), 0); /* late, but not a stall */
	assert_int_equal(election_longest_stall_ms(&e), IV - 1);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alone_claims_at_dead_interval),
	    cmocka_unit_test(test_two_start_together),
	    cmocka_unit_test(test_leader_dies),
	    cmocka_unit_test(test_heard_at_arrival),
	    cmocka_unit_test(test_restart_learns_term),
	    cmocka_unit_test(test_two_leaders_heal),
	    cmocka_unit_test(test_partition_heals),
	    cmocka_unit_test(test_follows_better_leader),
	    cmocka_unit_test(test_wakeup_deadlines),
	    cmocka_unit_test(test_r45_stalled_follower_waits_one_interval),
	    cmocka_unit_test(test_heartbeat_cadence),
	    cmocka_unit_test(test_leader_answers_follower),
	    cmocka_unit_test(test_two_leaders_newer_term_wins_without_preempt),
	    cmocka_unit_test(test_reannounce_once_per_interval),
	    cmocka_unit_test(test_reannounce_when_other_leader_gives_way),
	    cmocka_unit_test(test_random_property),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
