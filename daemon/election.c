/* SPDX-License-Identifier: MIT */
/* election.c: leader election state machine; pure, all time comes from the caller. */
#include "election.h"

#include <errno.h>
#include <string.h>

static uint64_t dead_ms(const struct election *e)
{
	return (uint64_t)e->p.interval_ms * e->p.dead_after;
}

static bool is_witness(const struct election *e, size_t i)
{
	return e->p.nodes[i].witness;
}

static bool quorum_mode(const struct election *e)
{
	return e->defence == DEFENCE_WITNESS;
}

/* How long a vote counts after its heartbeat arrived: D - interval, at least 1.5 intervals. */
static uint64_t lease_ms(const struct election *e)
{
	uint64_t iv = e->p.interval_ms, d = dead_ms(e);

	return d >= 2 * iv + iv / 2 ? d - iv : iv + iv / 2;
}

/* How long a node that stopped backing Q backs nobody else: >= lease + interval / 2. */
static uint64_t cooldown_ms(const struct election *e)
{
	return dead_ms(e);
}

static size_t votes_needed(const struct election *e)
{
	return e->p.n_nodes / 2 + 1;
}

bool election_peer_alive(const struct election *e, size_t idx, uint64_t now_ms)
{
	const struct election_peer *pp;

	if (idx >= e->p.n_nodes || idx == e->p.self)
		return false;
	pp = &e->peers[idx];
	if (!pp->heard)
		return false;
	return now_ms < pp->last_heard_ms || now_ms - pp->last_heard_ms < dead_ms(e);
}

static bool self_eligible(const struct election *e)
{
	return !is_witness(e, e->p.self) && e->eff_priority > 0 && e->role != ROLE_FAULT &&
	       e->role != ROLE_WITNESS && !e->maintenance && !e->fenced &&
	       (e->defence != DEFENCE_TIE_BREAKER || e->tb_reachable) &&
	       (e->defence != DEFENCE_COORD || e->coord_ok);
}

static bool coordinated(const struct election *e)
{
	return e->defence == DEFENCE_COORD;
}

static bool peer_eligible(const struct election *e, size_t i, uint64_t now)
{
	const struct election_peer *pp = &e->peers[i];

	return !is_witness(e, i) && election_peer_alive(e, i, now) && !pp->resigning &&
	       pp->eff_priority > 0 && pp->role != ROLE_FAULT && pp->role != ROLE_WITNESS;
}

static bool node_eligible(const struct election *e, size_t i, uint64_t now)
{
	return i == e->p.self ? self_eligible(e) : peer_eligible(e, i, now);
}

static uint32_t node_priority(const struct election *e, size_t i)
{
	return i == e->p.self ? e->eff_priority : e->peers[i].eff_priority;
}

/* Effective priority, then address, then (misconfigured equal addresses) index. */
static bool node_better(const struct election *e, size_t a, size_t b)
{
	uint32_t pa = node_priority(e, a), pb = node_priority(e, b);
	int c;

	if (pa != pb)
		return pa > pb;
	c = addr_cmp(&e->p.nodes[a].addr, &e->p.nodes[b].addr);
	if (c != 0)
		return c > 0;
	return a > b;
}

int election_best_eligible(const struct election *e, uint64_t now_ms)
{
	int best = -1;

	for (size_t i = 0; i < e->p.n_nodes; i++) {
		if (node_eligible(e, i, now_ms) && (best < 0 || node_better(e, i, (size_t)best)))
			best = (int)i;
	}
	return best;
}

uint32_t election_advertised_priority(const struct election *e)
{
	return self_eligible(e) ? e->eff_priority : 0;
}

static bool leader_candidate(const struct election *e, size_t i, uint64_t now)
{
	const struct election_peer *pp = &e->peers[i];

	return i != e->p.self && !is_witness(e, i) && election_peer_alive(e, i, now) &&
	       pp->role == ROLE_LEADER && !pp->resigning;
}

static int best_leader_candidate(const struct election *e, uint64_t now)
{
	int best = -1;

	for (size_t i = 0; i < e->p.n_nodes; i++) {
		if (leader_candidate(e, i, now) && (best < 0 || node_better(e, i, (size_t)best)))
			best = (int)i;
	}
	return best;
}

static bool other_eligible(const struct election *e, uint64_t now)
{
	for (size_t i = 0; i < e->p.n_nodes; i++) {
		if (i != e->p.self && peer_eligible(e, i, now))
			return true;
	}
	return false;
}

static void set_role(struct election *e, int role, struct election_actions *out)
{
	if (e->role == role)
		return;
	e->role = role;
	out->flags |= ACT_ROLE_CHANGED;
}

/*
 * Every change of the believed leader counts. no_preempt (set by a step-down)
 * ends when the peer that took over loses the leadership or this node claims.
 */
static void set_leader(struct election *e, int idx, struct election_actions *out)
{
	int old = e->leader, self = (int)e->p.self;

	if (idx == old)
		return;
	if (idx == self || (old >= 0 && old != self))
		e->no_preempt = false;
	e->leader = idx;
	e->stand_leader = -1; /* a preemption turn is towards one leader only */
	e->handover = -1;
	e->leader_changes++;
	e->preempt_since_ms = 0;
	out->flags |= ACT_ROLE_CHANGED;
}

static void learn_term(struct election *e, uint64_t term)
{
	if (term > e->max_term_seen)
		e->max_term_seen = term;
	if (e->role != ROLE_LEADER)
		e->term = e->max_term_seen;
}

static void on_term(struct election *e, uint64_t term, struct election_actions *out)
{
	learn_term(e, term);
	if (e->role != ROLE_LEADER || e->term > term || coordinated(e))
		return;
	e->max_term_seen = term + 1;
	e->term = e->max_term_seen;
	out->flags |= ACT_SEND_HEARTBEAT;
}

static void claim(struct election *e, struct election_actions *out)
{
	e->max_term_seen++;
	if (coordinated(e) && e->coord_term >= e->max_term_seen)
		e->max_term_seen = e->coord_term; /* etcd's order */
	e->term = e->max_term_seen;
	set_role(e, ROLE_LEADER, out);
	set_leader(e, (int)e->p.self, out);
	e->preempt_since_ms = 0;
	e->handover = -1;
	out->flags |= ACT_TAKE_VIPS | ACT_SEND_HEARTBEAT | ACT_ROLE_CHANGED;
}

/* A leader gives up: VIPs first, then tell the peers. */
static void give_up(struct election *e, int role, int new_leader, uint64_t now,
		    struct election_actions *out)
{
	out->flags |= ACT_RELEASE_VIPS | ACT_SEND_HEARTBEAT | ACT_ROLE_CHANGED;
	e->term = e->max_term_seen;
	e->role = role;
	set_leader(e, new_leader, out);
	e->leaderless_since_ms = now;
	e->preempt_since_ms = 0;
	e->stand_after_ms = now + e->p.interval_ms; /* stale votes in flight are void by then */
}

/* Two leaders: the worse steps down, the better re-announces above the other's term. */
/*
 * Re-announcing refreshes the neighbours' caches; a burst of queued heartbeats
 * (a leader resumed after a freeze) must not turn into a burst of announcements.
 */
static void reannounce(struct election *e, uint64_t now, struct election_actions *out)
{
	out->flags |= ACT_SEND_HEARTBEAT;
	if (e->last_reannounce_ms && now < e->last_reannounce_ms + e->p.interval_ms)
		return;
	e->last_reannounce_ms = now;
	out->flags |= ACT_REANNOUNCE;
}

/*
 * Two leaders (a healed partition, a leader resumed after a freeze): with
 * preempt the better node stays; without, the newer leadership (higher term)
 * stays, as a running leader keeps the role against a returning better node.
 */
static bool other_leader_wins(const struct election *e, size_t peer)
{
	uint64_t theirs = e->peers[peer].term;

	if ((coordinated(e) || !e->p.preempt) && theirs != e->term)
		return theirs > e->term;
	return node_better(e, peer, e->p.self);
}

static void resolve_conflict(struct election *e, size_t peer, uint64_t now,
			     struct election_actions *out)
{
	if (other_leader_wins(e, peer)) {
		e->coord_held = false; /* etcd: a newer holder means the key is no longer ours */
		give_up(e, ROLE_FOLLOWER, (int)peer, now, out);
		return;
	}
	if (e->term <= e->peers[peer].term && !coordinated(e)) {
		e->max_term_seen++;
		e->term = e->max_term_seen;
	}
	reannounce(e, now, out);
}

static void on_heartbeat(struct election *e, const struct election_event *ev, uint64_t now,
			 struct election_actions *out)
{
	struct election_peer *pp;
	uint64_t heard, arrival;
	bool back;
	int named;

	if (ev->peer >= e->p.n_nodes || ev->peer == e->p.self)
		return;
	pp = &e->peers[ev->peer];
	arrival = ev->heard_ms && ev->heard_ms < now ? ev->heard_ms : now;
	if (pp->heard && arrival < pp->last_arrival_ms)
		arrival = pp->last_arrival_ms;
	heard = now - arrival < dead_ms(e) ? now : arrival;
	if (pp->heard && heard < pp->last_heard_ms)
		heard = pp->last_heard_ms;
	back = pp->heard && !election_peer_alive(e, ev->peer, heard);
	named = ev->leader >= 0 && (size_t)ev->leader < e->p.n_nodes ? ev->leader : -1;
	if (named != pp->named || back || !pp->heard) {
		pp->prev_named = back || !pp->heard ? -1 : pp->named;
		pp->named_since_ms = now;
		pp->passed_until_ms = 0;
	}
	pp->named = named;
	if (back || !pp->heard)
		pp->alive_since_ms = now;
	/* the node last backed resigned: it holds nothing of ours any more */
	if (ev->resigning && (int)ev->peer == e->cool_node) {
		e->cool_node = -1;
		e->cool_until_ms = 0;
	}
	/*
	 * Resigned, and a leader has taken over: say at once that this node is no longer
	 * resigning. Until then the peers count it as not eligible, and a step-down of the
	 * new leader would be refused for up to an interval.
	 */
	if (e->resign_sent && e->role != ROLE_LEADER && ev->role == ROLE_LEADER && !ev->resigning)
		out->flags |= ACT_SEND_HEARTBEAT;
	int was_role = pp->heard ? pp->role : ROLE_INIT;

	pp->heard = true;
	pp->last_heard_ms = heard;
	pp->last_arrival_ms = arrival;
	pp->role = ev->role;
	pp->term = ev->term;
	pp->eff_priority = ev->eff_priority;
	pp->resigning = ev->resigning;
	learn_term(e, ev->term);
	if (e->role != ROLE_LEADER)
		return;
	if (leader_candidate(e, ev->peer, now)) {
		resolve_conflict(e, ev->peer, now, out);
	} else if (ev->term > e->term && !coordinated(e)) {
		/* a leader above our term gave up to us: raise above it, re-announce the VIPs */
		e->max_term_seen++;
		e->term = e->max_term_seen;
		reannounce(e, now, out);
	}
	/* a node counted dead is back (healed partition), or a node that led gave way to us:
	 * its side of the network may still send to it */
	if (e->role == ROLE_LEADER &&
	    (back || (was_role == ROLE_LEADER && ev->role != ROLE_LEADER)))
		reannounce(e, now, out);
}

static void on_priority(struct election *e, uint32_t priority, uint64_t now,
			struct election_actions *out)
{
	if (is_witness(e, e->p.self))
		return;
	e->eff_priority = priority;
	if (priority == 0) {
		if (e->role == ROLE_LEADER) {
			give_up(e, ROLE_FAULT, -1, now, out);
			out->resign = true;
		}
		set_role(e, ROLE_FAULT, out);
		e->preempt_since_ms = 0;
	} else if (e->role == ROLE_FAULT) {
		set_role(e, ROLE_FOLLOWER, out);
		e->leaderless_since_ms = now;
	}
}

static void on_step_down(struct election *e, uint64_t now, struct election_actions *out)
{
	if (e->role != ROLE_LEADER) {
		out->result = -EINVAL;
		return;
	}
	if (!other_eligible(e, now)) {
		out->result = -EAGAIN;
		return;
	}
	give_up(e, ROLE_FOLLOWER, -1, now, out);
	out->resign = true;
	e->no_preempt = true;
}

static void on_maintenance(struct election *e, bool on, uint64_t now, struct election_actions *out)
{
	e->maintenance = on;
	if (!on)
		return;
	e->preempt_since_ms = 0;
	if (e->role == ROLE_LEADER) {
		give_up(e, ROLE_FOLLOWER, -1, now, out);
		out->resign = true;
	}
}

static void on_fence(struct election *e, const struct election_event *ev, uint64_t now,
		     struct election_actions *out)
{
	learn_term(e, ev->term);
	e->fenced = ev->on;
	if (!ev->on)
		return;
	e->preempt_since_ms = 0;
	if (e->role == ROLE_LEADER)
		give_up(e, ROLE_FOLLOWER, -1, now, out);
}

static void on_tiebreaker(struct election *e, bool on, uint64_t now, struct election_actions *out)
{
	e->tb_reachable = on;
	if (on || e->defence != DEFENCE_TIE_BREAKER)
		return;
	e->preempt_since_ms = 0;
	if (e->role == ROLE_LEADER) {
		give_up(e, ROLE_FOLLOWER, -1, now, out);
		out->resign = true;
	}
}

static void on_coord(struct election *e, const struct election_event *ev, uint64_t now,
		     struct election_actions *out)
{
	e->coord_ok = ev->ok;
	e->coord_held = ev->on;
	e->coord_term = ev->on ? ev->term : 0;
	if (!coordinated(e) || e->role != ROLE_LEADER || ev->on)
		return;
	give_up(e, ROLE_FOLLOWER, -1, now, out);
	out->resign = true;
}

/* etcd: a better follower names itself (preemption): hand over to it. */
static void coord_leader_check(struct election *e, uint64_t now, struct election_actions *out)
{
	for (size_t i = 0; e->p.preempt && i < e->p.n_nodes; i++) {
		const struct election_peer *pp = &e->peers[i];

		if (i == e->p.self || !peer_eligible(e, i, now) || pp->named != (int)i ||
		    pp->role == ROLE_LEADER || pp->eff_priority <= e->eff_priority)
			continue;
		give_up(e, ROLE_FOLLOWER, -1, now, out);
		out->resign = true;
		return;
	}
}

bool election_coord_want(const struct election *e)
{
	return e->role == ROLE_LEADER || e->coord_want;
}

static void on_shutdown(struct election *e, uint64_t now, struct election_actions *out)
{
	if (e->role == ROLE_LEADER)
		give_up(e, ROLE_FOLLOWER, -1, now, out);
	if (quorum_mode(e) && e->vote >= 0) {
		e->vote = -1; /* leaving: back nobody, not even itself */
		e->vote_since_ms = now;
	}
	out->flags |= ACT_SEND_HEARTBEAT;
	out->resign = true;
}

static uint64_t claim_skew(const struct election *e)
{
	uint64_t prio = e->eff_priority < 256 ? e->eff_priority : 256;

	return (256 - prio) * e->p.interval_ms / 256;
}

/* When a leaderless, eligible node claims (leaderless_since may have wrapped). */
static uint64_t claim_deadline(const struct election *e, uint64_t now)
{
	uint64_t d = dead_ms(e);

	if (election_best_eligible(e, now) == (int)e->p.self)
		return e->leaderless_since_ms + d;
	return e->leaderless_since_ms + 2 * d + claim_skew(e);
}

/* Follow the best alive, non-resigning leader; note when the old one went. */
static void track_leader(struct election *e, uint64_t now, struct election_actions *out)
{
	int cand = best_leader_candidate(e, now), old = e->leader;

	if (cand == old)
		return;
	if (cand < 0 && old >= 0 && old != (int)e->p.self) {
		const struct election_peer *pp = &e->peers[old];

		/* a resignation counts as heard D ago: the best claims at once */
		e->leaderless_since_ms = pp->resigning ? now - dead_ms(e) : pp->last_heard_ms;
	}
	set_leader(e, cand, out);
}

/* True when the preemption timer against the followed leader has run out. */
static bool preempt_ready(struct election *e, uint64_t now)
{
	const struct election_peer *lp = &e->peers[e->leader];

	if (!e->p.preempt || e->no_preempt || !self_eligible(e) ||
	    e->eff_priority <= lp->eff_priority) {
		e->preempt_since_ms = 0;
		return false;
	}
	if (e->preempt_since_ms == 0)
		e->preempt_since_ms = now ? now : 1;
	return now >= e->preempt_since_ms + e->p.preempt_delay_ms;
}

/*
 * Follow the best leader, and whether this node wants to lead: preemption
 * run out (following), claim deadline reached (leaderless).
 */
static bool follow_or_want(struct election *e, uint64_t now, struct election_actions *out)
{
	track_leader(e, now, out);
	if (e->leader >= 0) {
		if (e->role == ROLE_INIT)
			set_role(e, ROLE_FOLLOWER, out);
		return preempt_ready(e, now);
	}
	e->preempt_since_ms = 0;
	if (e->role == ROLE_INIT && now >= e->started_ms + dead_ms(e))
		set_role(e, ROLE_FOLLOWER, out);
	return self_eligible(e) && now >= claim_deadline(e, now);
}

/* ------------------------------------------------------------ witness mode */

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

static size_t held_votes(const struct election *e, uint64_t now)
{
	size_t n = 0;

	for (size_t i = 0; i < e->p.n_nodes; i++)
		n += election_holds_vote(e, i, now);
	return n;
}

/* When the held votes drop below a majority (now if they already have). */
static uint64_t majority_deadline(const struct election *e, uint64_t now)
{
	uint64_t exp[CFG_MAX_NODES];
	size_t n = 0, k = votes_needed(e) - 1; /* peers needed beside itself */

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

	return i != e->p.self && peer_eligible(e, i, now) && pp->role != ROLE_LEADER &&
	       pp->named == (int)i && now >= pp->passed_until_ms;
}

static int best_candidate(const struct election *e, uint64_t now)
{
	int best = -1;

	/* the node handed over to, while better than this one: choices only ever look upwards */
	if (e->handover >= 0 && peer_candidate(e, (size_t)e->handover, now) &&
	    node_better(e, (size_t)e->handover, e->p.self))
		return e->handover;
	for (size_t i = 0; i < e->p.n_nodes; i++) {
		if (peer_candidate(e, i, now) && (best < 0 || node_better(e, i, (size_t)best)))
			best = (int)i;
	}
	return best;
}

/* Whom this node would back now; want = it wants to lead (see follow_or_want). */
static int wanted_vote(const struct election *e, uint64_t now, bool want)
{
	int self = (int)e->p.self, best;

	if (e->role == ROLE_LEADER)
		return self;
	/* a candidate keeps standing while leaderless (a better peer may not want to lead) */
	want = (want || (e->vote == self && e->leader < 0)) && self_eligible(e) &&
	       now >= e->stand_after_ms;
	if (e->leader >= 0) {
		/* preempting: turn from backing the leader, so that it sees who hears it */
		if (want && ((e->vote == self && e->stand_leader == e->leader) ||
			     (e->vote == e->leader && e->vote_since_ms < now)))
			return self;
		return e->leader;
	}
	best = best_candidate(e, now);
	if (want && (best < 0 || node_better(e, e->p.self, (size_t)best)))
		return self;
	return best;
}

/*
 * Changes the vote. While cooling down only the node last backed, itself (its
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
 * A candidate backed for D that still does not lead (it does not hear its
 * voters, or the votes are split) is passed over for 2 * D, or until it
 * changes its mind: the voters turn to others.
 */
static void pass_over(struct election *e, uint64_t now)
{
	int v = e->vote;

	if (v >= 0 && v != (int)e->p.self && v != e->leader && now >= e->vote_since_ms + dead_ms(e))
		e->peers[v].passed_until_ms = now + 2 * dead_ms(e);
}

/* A better candidate that just (within D) turned from backing this leader to itself. */
static int handover_target(const struct election *e, uint64_t now)
{
	int best = -1;

	if (!e->p.preempt)
		return -1;
	for (size_t i = 0; i < e->p.n_nodes; i++) {
		const struct election_peer *pp = &e->peers[i];

		if (!peer_candidate(e, i, now) || pp->prev_named != (int)e->p.self ||
		    pp->eff_priority <= e->eff_priority || now - pp->named_since_ms >= dead_ms(e))
			continue;
		if (best < 0 || node_better(e, i, (size_t)best))
			best = (int)i;
	}
	return best;
}

/* A leader without a majority gives up; one facing a better candidate hands over to it. */
static void leader_check(struct election *e, uint64_t now, struct election_actions *out)
{
	int to = handover_target(e, now);

	if (held_votes(e, now) >= votes_needed(e) && to < 0)
		return;
	give_up(e, ROLE_FOLLOWER, -1, now, out);
	out->resign = true;
	e->handover = to;
}

static void settle_quorum(struct election *e, uint64_t now, struct election_actions *out)
{
	bool want = false;

	if (e->role == ROLE_LEADER)
		leader_check(e, now, out);
	if (e->role != ROLE_LEADER)
		want = follow_or_want(e, now, out);
	pass_over(e, now);
	set_vote(e, wanted_vote(e, now, want), now, out);
	/* its own vote among them (a leader keeps it: it never backs a peer) */
	if (e->role != ROLE_LEADER && election_holds_vote(e, e->p.self, now) &&
	    held_votes(e, now) >= votes_needed(e))
		claim(e, out);
}

/* Re-evaluates after any event: follow, preempt or claim (witness mode: vote, stand). */
static void settle(struct election *e, uint64_t now, struct election_actions *out)
{
	bool want;

	if (quorum_mode(e)) {
		settle_quorum(e, now, out);
		return;
	}
	if (e->role == ROLE_LEADER && coordinated(e))
		coord_leader_check(e, now, out);
	if (e->role == ROLE_LEADER)
		return;
	want = follow_or_want(e, now, out);
	e->coord_want = want && coordinated(e) && e->role != ROLE_INIT;
	if (want && (!coordinated(e) || e->coord_held))
		claim(e, out);
}

/* A due heartbeat goes out with whatever step comes first; no bursts after a pause. */
static void heartbeat_due(struct election *e, uint64_t now, struct election_actions *out)
{
	if (now < e->next_hb_ms)
		return;
	out->flags |= ACT_SEND_HEARTBEAT;
	e->next_hb_ms += e->p.interval_ms;
	if (e->next_hb_ms <= now)
		e->next_hb_ms = now + e->p.interval_ms;
}

/*
 * A leader rides on its followers' cadence: a follower's heartbeat pushes the
 * leader's own timer to now + 1.25 interval, and is answered at once unless
 * the leader sent one in the last quarter interval (then the next one is
 * answered, and the leader's gap stretches once by less than a quarter).
 * An idle leader then wakes up once per interval instead of twice: a wake-up
 * costs more CPU than the work done in it. The timer stays as the fallback,
 * late enough not to race the follower's next heartbeat.
 */
static void answer_follower(struct election *e, const struct election_event *ev, uint64_t now,
			    struct election_actions *out)
{
	uint32_t iv = e->p.interval_ms;

	if (e->role != ROLE_LEADER || ev->resigning || ev->role == ROLE_LEADER)
		return;
	if ((out->flags & ACT_SEND_HEARTBEAT) || now >= e->last_hb_ms + iv / 4)
		out->flags |= ACT_SEND_HEARTBEAT;
	e->next_hb_ms = now + iv + iv / 4;
}

static void earliest(uint64_t *w, uint64_t t, uint64_t now)
{
	if (t > now && t < *w)
		*w = t;
}

/* Witness mode: majority deadline (leader), end of cooldown, standing pause, passing over. */
static void quorum_wakeup(const struct election *e, uint64_t now, uint64_t *w)
{
	if (e->role == ROLE_LEADER) {
		earliest(w, majority_deadline(e, now), now);
		return;
	}
	earliest(w, e->cool_until_ms, now);
	earliest(w, e->stand_after_ms, now);
	if (e->vote >= 0 && e->vote != (int)e->p.self && e->vote != e->leader)
		earliest(w, e->vote_since_ms + dead_ms(e), now);
	for (size_t i = 0; i < e->p.n_nodes; i++)
		earliest(w, e->peers[i].passed_until_ms, now);
}

static uint64_t next_wakeup(const struct election *e, uint64_t now)
{
	uint64_t w = now + e->p.interval_ms + e->p.interval_ms / 4, d = dead_ms(e);

	earliest(&w, e->next_hb_ms, now);
	for (size_t i = 0; i < e->p.n_nodes; i++) {
		if (election_peer_alive(e, i, now))
			earliest(&w, e->peers[i].last_heard_ms + d, now);
	}
	if (quorum_mode(e))
		quorum_wakeup(e, now, &w);
	if (e->role == ROLE_LEADER)
		return w;
	if (e->leader < 0 && self_eligible(e))
		earliest(&w, claim_deadline(e, now), now);
	if (e->role == ROLE_INIT)
		earliest(&w, e->started_ms + d, now);
	if (e->preempt_since_ms)
		earliest(&w, e->preempt_since_ms + e->p.preempt_delay_ms, now);
	return w;
}

void election_init(struct election *e, const struct election_params *p, uint64_t now_ms)
{
	memset(e, 0, sizeof(*e));
	e->p = *p;
	if (e->p.n_nodes > CFG_MAX_NODES)
		e->p.n_nodes = CFG_MAX_NODES;
	if (e->p.self >= e->p.n_nodes)
		e->p.self = 0;
	e->role = is_witness(e, e->p.self) ? ROLE_WITNESS : ROLE_INIT;
	e->leader = -1;
	e->eff_priority = is_witness(e, e->p.self) ? 0 : e->p.nodes[e->p.self].priority;
	e->started_ms = now_ms;
	e->leaderless_since_ms = now_ms;
	e->next_hb_ms = now_ms;
	for (size_t i = 0; i < CFG_MAX_NODES; i++)
		e->peers[i].named = e->peers[i].prev_named = -1;
	e->handover = -1;
	e->defence = DEFENCE_NONE;
	for (size_t i = 0; i < e->p.n_nodes; i++)
		if (is_witness(e, i))
			e->defence = DEFENCE_WITNESS;
	if (e->defence == DEFENCE_NONE && e->p.tie_breaker)
		e->defence = DEFENCE_TIE_BREAKER;
	if (e->defence == DEFENCE_NONE && e->p.coordinated)
		e->defence = DEFENCE_COORD;
	/* a restarted node may have backed someone a moment ago: back nobody for D */
	e->vote = -1;
	e->vote_since_ms = now_ms;
	e->cool_node = -1;
	e->cool_until_ms = now_ms + cooldown_ms(e);
}

void election_step(struct election *e, const struct election_event *ev, uint64_t now_ms,
		   struct election_actions *out)
{
	memset(out, 0, sizeof(*out));
	heartbeat_due(e, now_ms, out);
	switch (ev->type) {
	case EV_TICK:
		break;
	case EV_HEARTBEAT:
		on_heartbeat(e, ev, now_ms, out);
		answer_follower(e, ev, now_ms, out);
		break;
	case EV_PRIORITY:
		on_priority(e, ev->priority, now_ms, out);
		break;
	case EV_SHUTDOWN:
		on_shutdown(e, now_ms, out);
		out->wakeup_ms = next_wakeup(e, now_ms);
		return;
	case EV_STEP_DOWN:
		on_step_down(e, now_ms, out);
		break;
	case EV_MAINTENANCE:
		on_maintenance(e, ev->on, now_ms, out);
		break;
	case EV_FENCE:
		on_fence(e, ev, now_ms, out);
		break;
	case EV_TERM:
		on_term(e, ev->term, out);
		break;
	case EV_TIEBREAKER:
		on_tiebreaker(e, ev->on, now_ms, out);
		break;
	case EV_COORD:
		on_coord(e, ev, now_ms, out);
		break;
	default:
		break;
	}
	settle(e, now_ms, out);
	if (out->flags & ACT_SEND_HEARTBEAT) {
		e->last_hb_ms = now_ms;
		e->resign_sent = out->resign;
	}
	out->wakeup_ms = next_wakeup(e, now_ms);
}

int election_vote(const struct election *e)
{
	if (coordinated(e) && e->coord_want && e->leader >= 0)
		return (int)e->p.self; /* preemption: asks the leader to hand over */
	return quorum_mode(e) ? e->vote : e->leader;
}

static unsigned voters_in_reach(const struct election *e, uint64_t now)
{
	unsigned n = 1;

	for (size_t i = 0; i < e->p.n_nodes; i++)
		n += election_peer_alive(e, i, now);
	return n;
}

void election_defence(const struct election *e, uint64_t now_ms, struct election_defence_state *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = e->defence;
	out->backs = election_vote(e);
	switch (e->defence) {
	case DEFENCE_WITNESS:
		out->needed = (unsigned)votes_needed(e);
		out->votes = e->vote == (int)e->p.self ? (unsigned)held_votes(e, now_ms)
						       : voters_in_reach(e, now_ms);
		out->satisfied = out->votes >= out->needed;
		break;
	case DEFENCE_TIE_BREAKER:
		out->needed = 1;
		out->votes = e->tb_reachable;
		out->satisfied = e->tb_reachable;
		break;
	case DEFENCE_COORD:
		out->needed = 1;
		out->votes = e->coord_ok;
		out->satisfied = e->coord_ok;
		break;
	default:
		out->satisfied = true;
		break;
	}
}

const char *election_defence_name(enum election_defence_kind kind)
{
	switch (kind) {
	case DEFENCE_WITNESS:
		return "witness";
	case DEFENCE_TIE_BREAKER:
		return "tie-breaker";
	case DEFENCE_COORD:
		return "etcd";
	default:
		return "none";
	}
}
