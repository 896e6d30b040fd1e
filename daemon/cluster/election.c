/* SPDX-License-Identifier: MIT */
/* election.c: leader election state machine; pure, all time comes from the caller. */
#include "election_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* R1: alive while heard within D; R45: or alive when this non-leader's stall began. */
bool election_peer_alive(const struct election *e, size_t idx, uint64_t now_ms)
{
	const struct election_peer *pp;
	uint64_t d = election_dead_ms(e);

	if (idx >= e->p.n_nodes || idx == e->p.self)
		return false;
	pp = &e->peers[idx];
	if (!pp->heard)
		return false;
	if (now_ms < pp->last_heard_ms || now_ms - pp->last_heard_ms < d)
		return true;
	return e->role != ROLE_LEADER && now_ms < e->grace_until_ms &&
	       pp->last_heard_ms + d >= e->stall_from_ms;
}

/* R2, R24, R34: who may lead (etcd: while the lease is valid). */
bool election_self_eligible(const struct election *e)
{
	return !election_is_witness(e, e->p.self) && e->eff_priority > 0 && e->role != ROLE_FAULT &&
	       e->role != ROLE_WITNESS && !e->maintenance && !e->fenced &&
	       (e->defence != DEFENCE_TIE_BREAKER || e->tb_reachable) &&
	       (e->defence != DEFENCE_COORD || e->coord_ok);
}

bool election_peer_eligible(const struct election *e, size_t i, uint64_t now)
{
	const struct election_peer *pp = &e->peers[i];

	return !election_is_witness(e, i) && election_peer_alive(e, i, now) && !pp->resigning &&
	       pp->eff_priority > 0 && pp->role != ROLE_FAULT && pp->role != ROLE_WITNESS;
}

static bool node_eligible(const struct election *e, size_t i, uint64_t now)
{
	return i == e->p.self ? election_self_eligible(e) : election_peer_eligible(e, i, now);
}

static uint32_t node_priority(const struct election *e, size_t i)
{
	return i == e->p.self ? e->eff_priority : e->peers[i].eff_priority;
}

/* R3: effective priority, then address, then (misconfigured equal addresses) index. */
bool election_node_better(const struct election *e, size_t a, size_t b)
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

int election_best_where(const struct election *e, uint64_t now, election_node_pred pred)
{
	int best = -1;

	for (size_t i = 0; i < e->p.n_nodes; i++) {
		if (pred(e, i, now) && (best < 0 || election_node_better(e, i, (size_t)best)))
			best = (int)i;
	}
	return best;
}

int election_best_eligible(const struct election *e, uint64_t now_ms)
{
	return election_best_where(e, now_ms, node_eligible);
}

/* R5: a peer that leads and may be followed (never a witness). */
static bool leader_candidate(const struct election *e, size_t i, uint64_t now)
{
	const struct election_peer *pp = &e->peers[i];

	return i != e->p.self && !election_is_witness(e, i) && election_peer_alive(e, i, now) &&
	       pp->role == ROLE_LEADER && !pp->resigning;
}

static bool other_eligible(const struct election *e, uint64_t now)
{
	for (size_t i = 0; i < e->p.n_nodes; i++) {
		if (i != e->p.self && election_peer_eligible(e, i, now))
			return true;
	}
	return false;
}

static void set_role(struct election *e, enum kcw_role role, struct election_actions *out)
{
	if (e->role == role)
		return;
	e->role = role;
	out->flags |= ACT_ROLE_CHANGED;
}

/*
 * R38: every change of the believed leader counts. R12: no_preempt (set by a step-down)
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

/* R22: any heartbeat raises max_term_seen. */
static void learn_term(struct election *e, uint64_t term)
{
	if (term > e->max_term_seen)
		e->max_term_seen = term;
	if (e->role != ROLE_LEADER)
		e->term = e->max_term_seen;
}

/* R23: lead above a term in use elsewhere (etcd orders terms itself). */
static void on_term(struct election *e, uint64_t term, struct election_actions *out)
{
	learn_term(e, term);
	if (e->role != ROLE_LEADER || e->term > term || election_coordinated(e))
		return;
	e->max_term_seen = term + 1;
	e->term = e->max_term_seen;
	out->flags |= ACT_SEND_HEARTBEAT;
}

/* R10: a term above every term known. */
void election_claim(struct election *e, struct election_actions *out)
{
	e->max_term_seen++;
	if (election_coordinated(e) && e->coord_term >= e->max_term_seen)
		e->max_term_seen = e->coord_term; /* R43: etcd's order */
	e->term = e->max_term_seen;
	set_role(e, ROLE_LEADER, out);
	set_leader(e, (int)e->p.self, out);
	e->preempt_since_ms = 0;
	e->handover = -1;
	out->flags |= ACT_TAKE_VIPS | ACT_SEND_HEARTBEAT | ACT_ROLE_CHANGED;
}

/* R14, R29: a leader gives up: VIPs first, then tell the peers; no standing for an interval. */
void election_give_up(struct election *e, enum kcw_role role, int new_leader, uint64_t now,
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

/*
 * R15, R17: re-announcing refreshes the neighbours' caches; a burst of queued heartbeats
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
 * R14: two leaders (a healed partition, a leader resumed after a freeze): with
 * preempt the better node stays; without, the newer leadership (higher term)
 * stays, as a running leader keeps the role against a returning better node.
 */
static bool other_leader_wins(const struct election *e, size_t peer)
{
	uint64_t theirs = e->peers[peer].term;

	if ((election_coordinated(e) || !e->p.preempt) && theirs != e->term)
		return theirs > e->term;
	return election_node_better(e, peer, e->p.self);
}

/* R14, R15: the worse steps down, the better re-announces above the other's term. */
static void resolve_conflict(struct election *e, size_t peer, uint64_t now,
			     struct election_actions *out)
{
	if (other_leader_wins(e, peer)) {
		e->coord_held = false; /* etcd: a newer holder means the key is no longer ours */
		election_give_up(e, ROLE_FOLLOWER, (int)peer, now, out);
		return;
	}
	if (e->term <= e->peers[peer].term && !election_coordinated(e)) {
		e->max_term_seen++;
		e->term = e->max_term_seen;
	}
	reannounce(e, now, out);
}

/* R5, R39, R40 (heard, arrival), R16, R17 (a leader re-announces), R33. */
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
	heard = now - arrival < election_dead_ms(e) ? now : arrival;
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
	enum kcw_role was_role = pp->heard ? pp->role : ROLE_INIT;

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
	} else if (ev->term > e->term && !election_coordinated(e)) {
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

/* R18: priority 0 is fault; a leader resigns. */
static void on_priority(struct election *e, uint32_t priority, uint64_t now,
			struct election_actions *out)
{
	if (election_is_witness(e, e->p.self))
		return;
	e->eff_priority = priority;
	if (priority == 0) {
		if (e->role == ROLE_LEADER) {
			election_give_up(e, ROLE_FAULT, -1, now, out);
			out->resign = true;
		}
		set_role(e, ROLE_FAULT, out);
		e->preempt_since_ms = 0;
	} else if (e->role == ROLE_FAULT) {
		set_role(e, ROLE_FOLLOWER, out);
		e->leaderless_since_ms = now;
	}
}

/*
 * R13: after a priority change, a leader that is not the best eligible node hands over
 * as in a step-down (R20), preempt or not, also one that has just preempted in this
 * step (its VIPs are then never taken). no_preempt holds for the rest of this step
 * only (election_step() clears it): unlike R12 preemption may undo it later.
 */
static bool priority_handover(struct election *e, uint64_t now, struct election_actions *out)
{
	int best;

	if (e->role != ROLE_LEADER)
		return false;
	best = election_best_eligible(e, now);
	if (best < 0 || best == (int)e->p.self)
		return false;
	election_give_up(e, ROLE_FOLLOWER, -1, now, out);
	out->flags &= ~ACT_TAKE_VIPS; /* claimed (preempted) in this very step: undone */
	out->resign = true;
	out->handover = best;
	e->no_preempt = true;
	return true;
}

/* R20, R12. */
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
	election_give_up(e, ROLE_FOLLOWER, -1, now, out);
	out->resign = true;
	e->no_preempt = true;
}

/* R21: off keeps leaderless_since, so an overdue claim comes at once. */
static void on_maintenance(struct election *e, bool on, uint64_t now, struct election_actions *out)
{
	e->maintenance = on;
	if (!on)
		return;
	e->preempt_since_ms = 0;
	if (e->role == ROLE_LEADER) {
		election_give_up(e, ROLE_FOLLOWER, -1, now, out);
		out->resign = true;
	}
}

/* R24: a fenced leader gives up without resigning. */
static void on_fence(struct election *e, const struct election_event *ev, uint64_t now,
		     struct election_actions *out)
{
	learn_term(e, ev->term);
	e->fenced = ev->on;
	if (!ev->on)
		return;
	e->preempt_since_ms = 0;
	if (e->role == ROLE_LEADER)
		election_give_up(e, ROLE_FOLLOWER, -1, now, out);
}

/* R34 */
static void on_tiebreaker(struct election *e, bool on, uint64_t now, struct election_actions *out)
{
	e->tb_reachable = on;
	if (on || e->defence != DEFENCE_TIE_BREAKER)
		return;
	e->preempt_since_ms = 0;
	if (e->role == ROLE_LEADER) {
		election_give_up(e, ROLE_FOLLOWER, -1, now, out);
		out->resign = true;
	}
}

/* R42, R43: etcd's verdict; a leader whose key went gives up at once. */
static void on_coord(struct election *e, const struct election_event *ev, uint64_t now,
		     struct election_actions *out)
{
	e->coord_ok = ev->ok;
	e->coord_held = ev->on;
	e->coord_term = ev->on ? ev->term : 0;
	if (!election_coordinated(e) || e->role != ROLE_LEADER || ev->on)
		return;
	election_give_up(e, ROLE_FOLLOWER, -1, now, out);
	out->resign = true;
}

/* R44: a better follower names itself (preemption through etcd): hand over to it. */
static void coord_leader_check(struct election *e, uint64_t now, struct election_actions *out)
{
	for (size_t i = 0; e->p.preempt && i < e->p.n_nodes; i++) {
		const struct election_peer *pp = &e->peers[i];

		if (i == e->p.self || !election_peer_eligible(e, i, now) || pp->named != (int)i ||
		    pp->role == ROLE_LEADER || pp->eff_priority <= e->eff_priority)
			continue;
		election_give_up(e, ROLE_FOLLOWER, -1, now, out);
		out->resign = true;
		return;
	}
}

/* R19 */
static void on_shutdown(struct election *e, uint64_t now, struct election_actions *out)
{
	if (e->role == ROLE_LEADER)
		election_give_up(e, ROLE_FOLLOWER, -1, now, out);
	if (election_quorum_mode(e) && e->vote >= 0) {
		e->vote = -1; /* leaving: back nobody, not even itself */
		e->vote_since_ms = now;
	}
	out->flags |= ACT_SEND_HEARTBEAT;
	out->resign = true;
}

/* R7 */
static uint64_t claim_skew(const struct election *e)
{
	uint64_t prio = e->eff_priority < 256 ? e->eff_priority : 256;

	return (256 - prio) * e->p.interval_ms / 256;
}

/* R7: when a leaderless, eligible node claims (leaderless_since may have wrapped, R8). */
static uint64_t claim_deadline(const struct election *e, uint64_t now)
{
	uint64_t d = election_dead_ms(e);

	if (election_best_eligible(e, now) == (int)e->p.self)
		return e->leaderless_since_ms + d;
	return e->leaderless_since_ms + 2 * d + claim_skew(e);
}

/* R5, R8, R9: follow the best alive, non-resigning leader; note when the old one went. */
static void track_leader(struct election *e, uint64_t now, struct election_actions *out)
{
	int cand = election_best_where(e, now, leader_candidate), old = e->leader;

	if (cand == old)
		return;
	if (cand < 0 && old >= 0 && old != (int)e->p.self) {
		const struct election_peer *pp = &e->peers[old];

		/* a resignation counts as heard D ago: the best claims at once */
		e->leaderless_since_ms =
		    pp->resigning ? now - election_dead_ms(e) : pp->last_heard_ms;
	}
	set_leader(e, cand, out);
}

/* R11, R12: true when the preemption timer against the followed leader has run out. */
static bool preempt_ready(struct election *e, uint64_t now)
{
	const struct election_peer *lp = &e->peers[e->leader];

	if (!e->p.preempt || e->no_preempt || !election_self_eligible(e) ||
	    e->eff_priority <= lp->eff_priority) {
		e->preempt_since_ms = 0;
		return false;
	}
	if (e->preempt_since_ms == 0)
		e->preempt_since_ms = now ? now : 1;
	return now >= e->preempt_since_ms + e->p.preempt_delay_ms;
}

/*
 * R6, R7, R11: follow the best leader, and whether this node wants to lead: preemption
 * run out (following), claim deadline reached (leaderless); init ends at start + D.
 */
bool election_follow_or_want(struct election *e, uint64_t now, struct election_actions *out)
{
	track_leader(e, now, out);
	if (e->leader >= 0) {
		if (e->role == ROLE_INIT)
			set_role(e, ROLE_FOLLOWER, out);
		return preempt_ready(e, now);
	}
	e->preempt_since_ms = 0;
	if (e->role == ROLE_INIT && now >= e->started_ms + election_dead_ms(e))
		set_role(e, ROLE_FOLLOWER, out);
	return election_self_eligible(e) && now >= claim_deadline(e, now);
}

/* Re-evaluates after any event: follow, preempt or claim (witness mode: vote, stand). */
static void settle(struct election *e, uint64_t now, struct election_actions *out)
{
	bool want;

	if (election_quorum_mode(e)) {
		election_settle_quorum(e, now, out);
		return;
	}
	if (e->role == ROLE_LEADER && election_coordinated(e))
		coord_leader_check(e, now, out);
	if (e->role == ROLE_LEADER)
		return;
	want = election_follow_or_want(e, now, out);
	e->coord_want = want && election_coordinated(e) && e->role != ROLE_INIT; /* R42 */
	if (want && (!election_coordinated(e) || e->coord_held)) /* R43: only with the key */
		election_claim(e, out);
}

/* R35: a due heartbeat goes out with whatever step comes first; no bursts after a pause. */
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
 * R36: a leader rides on its followers' cadence: a follower's heartbeat pushes the
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

/* R37: everything due at now is done; the next deadline within 1.25 intervals. */
static uint64_t next_wakeup(const struct election *e, uint64_t now)
{
	uint64_t w = now + e->p.interval_ms + e->p.interval_ms / 4, d = election_dead_ms(e);

	election_earliest(&w, e->next_hb_ms, now);
	for (size_t i = 0; i < e->p.n_nodes; i++) {
		if (election_peer_alive(e, i, now))
			election_earliest(&w, e->peers[i].last_heard_ms + d, now);
	}
	if (election_quorum_mode(e))
		election_quorum_wakeup(e, now, &w);
	if (e->role == ROLE_LEADER)
		return w;
	election_earliest(&w, e->grace_until_ms, now); /* R45 */
	if (e->leader < 0 && election_self_eligible(e))
		election_earliest(&w, claim_deadline(e, now), now);
	if (e->role == ROLE_INIT)
		election_earliest(&w, e->started_ms + d, now);
	if (e->preempt_since_ms)
		election_earliest(&w, e->preempt_since_ms + e->p.preempt_delay_ms, now);
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
	e->role = election_is_witness(e, e->p.self) ? ROLE_WITNESS : ROLE_INIT;
	e->leader = -1;
	e->eff_priority = election_is_witness(e, e->p.self) ? 0 : e->p.nodes[e->p.self].priority;
	e->started_ms = now_ms;
	e->leaderless_since_ms = now_ms;
	e->next_hb_ms = now_ms;
	for (size_t i = 0; i < CFG_MAX_NODES; i++)
		e->peers[i].named = e->peers[i].prev_named = -1;
	e->handover = -1;
	e->defence = DEFENCE_NONE;
	for (size_t i = 0; i < e->p.n_nodes; i++)
		if (election_is_witness(e, i))
			e->defence = DEFENCE_WITNESS;
	if (e->defence == DEFENCE_NONE && e->p.tie_breaker)
		e->defence = DEFENCE_TIE_BREAKER;
	if (e->defence == DEFENCE_NONE && e->p.coordinated)
		e->defence = DEFENCE_COORD;
	/* a restarted node may have backed someone a moment ago: back nobody for D */
	e->vote = -1;
	e->vote_since_ms = now_ms;
	e->cool_node = -1;
	e->cool_until_ms = now_ms + election_dead_ms(e); /* R28: the cooldown */
}

/* The event's own rule; false when nothing more is evaluated in this step. */
static bool dispatch(struct election *e, const struct election_event *ev, uint64_t now,
		     struct election_actions *out)
{
	switch (ev->type) {
	case EV_HEARTBEAT:
		on_heartbeat(e, ev, now, out);
		answer_follower(e, ev, now, out);
		break;
	case EV_PRIORITY:
		on_priority(e, ev->priority, now, out);
		settle(e, now, out);
		return priority_handover(e, now, out); /* R13: then settles once more */
	case EV_STEP_DOWN:
		on_step_down(e, now, out);
		break;
	case EV_MAINTENANCE:
		on_maintenance(e, ev->on, now, out);
		break;
	case EV_FENCE:
		on_fence(e, ev, now, out);
		break;
	case EV_TERM:
		on_term(e, ev->term, out);
		break;
	case EV_TIEBREAKER:
		on_tiebreaker(e, ev->on, now, out);
		break;
	case EV_COORD:
		on_coord(e, ev, now, out);
		break;
	case EV_TICK:
	case EV_SHUTDOWN:
	default: /* EV_TICK */
		break;
	}
	return true;
}

/*
 * R45: a step an interval or more after the wake-up the last step asked for means this node
 * was not running in between. A peer whose silence ran out during that time gets one
 * interval from now to be heard: when the whole host (or hypervisor) paused, the leader
 * resumes alongside this node and sends at once, but may be scheduled just after it.
 */
static void note_stall(struct election *e, uint64_t now)
{
	uint64_t late;

	if (e->wake_at_ms == 0 || now < e->wake_at_ms)
		return;
	late = now - e->wake_at_ms;
	if (late > e->stall_max_ms)
		e->stall_max_ms = late;
	if (late < e->p.interval_ms)
		return;
	e->stalls++;
	e->stall_from_ms = e->wake_at_ms;
	e->grace_until_ms = now + e->p.interval_ms;
}

void election_step(struct election *e, const struct election_event *ev, uint64_t now_ms,
		   struct election_actions *out)
{
	memset(out, 0, sizeof(*out));
	out->handover = -1;
	note_stall(e, now_ms);
	heartbeat_due(e, now_ms, out); /* R35 */
	if (ev->type == EV_SHUTDOWN) {
		on_shutdown(e, now_ms, out); /* R19: nothing else in this step */
		out->wakeup_ms = e->wake_at_ms = next_wakeup(e, now_ms);
		return;
	}
	if (dispatch(e, ev, now_ms, out))
		settle(e, now_ms, out);
	if (out->handover >= 0)
		e->no_preempt = false; /* R13 */
	if (out->flags & ACT_SEND_HEARTBEAT) {
		e->last_hb_ms = now_ms;
		e->resign_sent = out->resign;
	}
	out->wakeup_ms = e->wake_at_ms = next_wakeup(e, now_ms);
}

struct election *election_new(const struct election_params *p, uint64_t now_ms, char *err,
			      size_t errlen)
{
	struct election *e;

	if (p->n_nodes == 0 || p->n_nodes > CFG_MAX_NODES || p->self >= p->n_nodes ||
	    p->interval_ms == 0 || p->dead_after == 0) {
		snprintf(err, errlen,
			 "election: %zu nodes, self %zu, interval %u ms, dead after %u", p->n_nodes,
			 p->self, p->interval_ms, p->dead_after);
		return NULL;
	}
	e = malloc(sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "election: out of memory");
		return NULL;
	}
	election_init(e, p, now_ms);
	return e;
}

void election_free(struct election *e)
{
	free(e);
}

/* The nodes, self and the defence are what election_init() set up from. */
static bool same_cluster(const struct election_params *a, const struct election_params *b)
{
	if (a->n_nodes != b->n_nodes || a->self != b->self || a->tie_breaker != b->tie_breaker ||
	    a->coordinated != b->coordinated)
		return false;
	for (size_t i = 0; i < a->n_nodes; i++) {
		if (!addr_eq(&a->nodes[i].addr, &b->nodes[i].addr) ||
		    a->nodes[i].witness != b->nodes[i].witness)
			return false;
	}
	return true;
}

/* R41: new timers, preemption and priorities; the next heartbeat within the new interval. */
int election_set_params(struct election *e, const struct election_params *p, uint64_t now_ms,
			struct election_actions *out)
{
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->handover = -1;
	if (!same_cluster(&e->p, p) || p->interval_ms == 0 || p->dead_after == 0) {
		rc = -EINVAL;
	} else {
		e->p.interval_ms = p->interval_ms;
		e->p.dead_after = p->dead_after;
		e->p.preempt = p->preempt;
		e->p.preempt_delay_ms = p->preempt_delay_ms;
		for (size_t i = 0; i < p->n_nodes; i++)
			e->p.nodes[i].priority = p->nodes[i].priority;
		if (e->next_hb_ms > now_ms + e->p.interval_ms)
			e->next_hb_ms = now_ms + e->p.interval_ms;
	}
	out->wakeup_ms = e->wake_at_ms = next_wakeup(e, now_ms);
	return rc;
}
