/* SPDX-License-Identifier: MIT */
/* test_election_roles.c: preemption, step-down, hand-over, fault, maintenance and fence. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "election_harness.h"

/*
 * The lone leader e got an event at T0 + 700 (r) that takes it out of service: it gave
 * up (resigning or not) into role, advertises 0 and only sends heartbeats for 10 s.
 */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
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
	    cmocka_unit_test(test_priority_zero_faults),
	    cmocka_unit_test(test_maintenance),
	    cmocka_unit_test(test_fence),
	    cmocka_unit_test(test_shutdown_flags),
	    cmocka_unit_test(test_witness_never_leads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
