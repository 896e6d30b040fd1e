/* SPDX-License-Identifier: MIT */
/* election_quorum.c: the witness mode of the election (R25-R33): votes, leases, standing. */
#include "election_int.h"

/* R27: how long a vote counts after its heartbeat arrived: D - interval, >= 1.5 intervals. */
static uint64_t lease_ms(const struct election *e)
{
	uint64_t iv = e->p.interval_ms, d = election_dead_ms(e);

	return d >= 2 * iv + iv / 2 ? d - iv : iv + iv / 2;
}

/* R28: how long a node that stopped backing Q backs nobody else: >= lease + interval / 2. */
static uint64_t cooldown_ms(const struct election *e)
{
	return election_dead_ms(e);
}

/* R25 */
size_t election_votes_needed(const struct election *e)
{
	return e->p.n_nodes / 2 + 1;
}

/* R27, R40 */
bool election_holds_vote(const struct election *e, size_t idx, uint64_t now_ms)
{
	const struct election_peer *pp;

	if (idx >= e->p.n_nodes || e->vote != (int)e->p.self)
		return false;
	if (idx == e->p.self)
		return now_ms >= e->cool_until_ms; /* until then a node it backed may hold it */
	pp = &e->peers[idx];
	if (!pp->heard || pp->named != (int)e->p.self || pp->last_arrival_ms < e->vote_since_ms)
		return false;
	return now_ms < pp->last_arrival_ms || now_ms - pp->last_arrival_ms < lease_ms(e);
}

size_t election_held_votes(const struct election *e, uint64_t now)
{
	size_t n = 0;

	for (size_t i = 0; i < e->p.n_nodes; i++)
		n += election_holds_vote(e, i, now);
	return n;
}

/* R30: when the held votes drop below a majority (now if they already have). */
static uint64_t majority_deadline(const struct election *e, uint64_t now)
{
	uint64_t exp[CFG_MAX_NODES];
	size_t n = 0, k = election_votes_needed(e) - 1; /* peers needed beside itself */

	for (size_t i = 0; i < e->p.n_nodes; i++) {
		uint64_t t;
		size_t j;

		if (i == e->p.self || !election_holds_vote(e, i, now))
			continue;
		t = e->peers[i].last_arrival_ms + lease_ms(e);
		for (j = n++; j > 0 && exp[j - 1] < t; j--)
			exp[j] = exp[j - 1];
		exp[j] = t; /* descending */
	}
	if (k == 0)
		return UINT64_MAX;
	return n < k ? now : exp[k - 1];
}

/* A peer standing for leader: eligible, not leading, backs itself, not passed over here. */
static bool peer_candidate(const struct election *e, size_t i, uint64_t now)
{
	const struct election_peer *pp = &e->peers[i];

	return i != e->p.self && election_peer_eligible(e, i, now) && pp->role != ROLE_LEADER &&
	       pp->named == (int)i && now >= pp->passed_until_ms;
}

/* R26 */
static int best_candidate(const struct election *e, uint64_t now)
{
	/* the node handed over to, while better than this one: choices only ever look upwards */
	if (e->handover >= 0 && peer_candidate(e, (size_t)e->handover, now) &&
	    election_node_better(e, (size_t)e->handover, e->p.self))
		return e->handover;
	return election_best_where(e, now, peer_candidate);
}

/* R26, R29, R31: whom this node would back now; want = it wants to lead. */
static int wanted_vote(const struct election *e, uint64_t now, bool want)
{
	int self = (int)e->p.self, best;

	if (e->role == ROLE_LEADER)
		return self;
	/* a candidate keeps standing while leaderless (a better peer may not want to lead) */
	want = (want || (e->vote == self && e->leader < 0)) && election_self_eligible(e) &&
	       now >= e->stand_after_ms;
	if (e->leader >= 0) {
		/*
		 * preempting: turn from backing the leader, so that it sees who hears it; a turn
		 * it has not acted on within D (missed, or heard too late) is made again
		 */
		if (want && ((e->vote == self && e->stand_leader == e->leader &&
			      now < e->vote_since_ms + election_dead_ms(e)) ||
			     (e->vote == e->leader && e->vote_since_ms < now)))
			return self;
		return e->leader;
	}
	best = best_candidate(e, now);
	if (want && (best < 0 || election_node_better(e, e->p.self, (size_t)best)))
		return self;
	return best;
}

/*
 * R26, R28: changes the vote. While cooling down only the node last backed, itself (its
 * own vote held only afterwards) or nobody may be backed.
 */
static void set_vote(struct election *e, int idx, uint64_t now, struct election_actions *out)
{
	int old = e->vote, self = (int)e->p.self;

	if (idx == old)
		return;
	if (old >= 0 && old != self) {
		if (e->peers[old].resigning) {
			e->cool_node = -1;
			e->cool_until_ms = 0;
		} else {
			e->cool_node = old;
			e->cool_until_ms = now + cooldown_ms(e);
		}
	}
	if (idx >= 0 && idx != self && idx != e->cool_node && now < e->cool_until_ms)
		idx = -1;
	if (idx == old)
		return;
	e->vote = idx;
	e->vote_since_ms = now;
	e->stand_leader = e->leader;
	out->flags |= ACT_SEND_HEARTBEAT;
}

/*
 * R32: a candidate backed for D that still does not lead (it does not hear its
 * voters, or the votes are split) is passed over for 2 * D, or until it
 * changes its mind: the voters turn to others.
 */
static void pass_over(struct election *e, uint64_t now)
{
	int v = e->vote;

	if (v >= 0 && v != (int)e->p.self && v != e->leader &&
	    now >= e->vote_since_ms + election_dead_ms(e))
		e->peers[v].passed_until_ms = now + 2 * election_dead_ms(e);
}

/* R31: a better candidate that just (within D) turned from backing this leader to itself. */
static int handover_target(const struct election *e, uint64_t now)
{
	int best = -1;

	if (!e->p.preempt)
		return -1;
	for (size_t i = 0; i < e->p.n_nodes; i++) {
		const struct election_peer *pp = &e->peers[i];

		if (!peer_candidate(e, i, now) || pp->prev_named != (int)e->p.self ||
		    pp->eff_priority <= e->eff_priority ||
		    now - pp->named_since_ms >= election_dead_ms(e))
			continue;
		if (best < 0 || election_node_better(e, i, (size_t)best))
			best = (int)i;
	}
	return best;
}

/* R30, R31, R33: a leader without a majority gives up; one facing a better candidate hands over. */
static void leader_check(struct election *e, uint64_t now, struct election_actions *out)
{
	int to = handover_target(e, now);

	if (election_held_votes(e, now) >= election_votes_needed(e) && to < 0)
		return;
	election_give_up(e, ROLE_FOLLOWER, -1, now, out);
	out->resign = true;
	e->handover = to;
}

/* R29: a node standing claims as soon as it holds a majority (R25). */
void election_settle_quorum(struct election *e, uint64_t now, struct election_actions *out)
{
	bool want = false;

	if (e->role == ROLE_LEADER)
		leader_check(e, now, out);
	if (e->role != ROLE_LEADER)
		want = election_follow_or_want(e, now, out);
	pass_over(e, now);
	set_vote(e, wanted_vote(e, now, want), now, out);
	/* its own vote among them (a leader keeps it: it never backs a peer) */
	if (e->role != ROLE_LEADER && election_holds_vote(e, e->p.self, now) &&
	    election_held_votes(e, now) >= election_votes_needed(e))
		election_claim(e, out);
}

/* R37: majority deadline (leader), end of cooldown, standing pause, passing over. */
void election_quorum_wakeup(const struct election *e, uint64_t now, uint64_t *w)
{
	if (e->role == ROLE_LEADER) {
		election_earliest(w, majority_deadline(e, now), now);
		return;
	}
	election_earliest(w, e->cool_until_ms, now);
	election_earliest(w, e->stand_after_ms, now);
	if (e->vote >= 0 && e->vote != e->leader)
		election_earliest(w, e->vote_since_ms + election_dead_ms(e), now); /* R32, R31 */
	for (size_t i = 0; i < e->p.n_nodes; i++)
		election_earliest(w, e->peers[i].passed_until_ms, now);
}
