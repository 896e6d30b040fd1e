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
	       e->role != ROLE_WITNESS && !e->maintenance && !e->fenced;
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

static void claim(struct election *e, struct election_actions *out)
{
	e->max_term_seen++;
	e->term = e->max_term_seen;
	set_role(e, ROLE_LEADER, out);
	set_leader(e, (int)e->p.self, out);
	e->preempt_since_ms = 0;
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
}

/* Two leaders: the worse steps down, the better re-announces above the other's term. */
static void resolve_conflict(struct election *e, size_t peer, uint64_t now,
			     struct election_actions *out)
{
	if (node_better(e, peer, e->p.self)) {
		give_up(e, ROLE_FOLLOWER, (int)peer, now, out);
		return;
	}
	if (e->term <= e->peers[peer].term) {
		e->max_term_seen++;
		e->term = e->max_term_seen;
	}
	out->flags |= ACT_REANNOUNCE | ACT_SEND_HEARTBEAT;
}

static void on_heartbeat(struct election *e, const struct election_event *ev, uint64_t now,
			 struct election_actions *out)
{
	struct election_peer *pp;

	if (ev->peer >= e->p.n_nodes || ev->peer == e->p.self)
		return;
	pp = &e->peers[ev->peer];
	pp->heard = true;
	pp->last_heard_ms = now;
	pp->role = ev->role;
	pp->term = ev->term;
	pp->eff_priority = ev->eff_priority;
	pp->resigning = ev->resigning;
	learn_term(e, ev->term);
	if (e->role != ROLE_LEADER)
		return;
	if (leader_candidate(e, ev->peer, now)) {
		resolve_conflict(e, ev->peer, now, out);
	} else if (ev->term > e->term) {
		/* a leader above our term gave up to us: raise above it, re-announce the VIPs */
		e->max_term_seen++;
		e->term = e->max_term_seen;
		out->flags |= ACT_REANNOUNCE | ACT_SEND_HEARTBEAT;
	}
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

static void on_shutdown(struct election *e, uint64_t now, struct election_actions *out)
{
	if (e->role == ROLE_LEADER)
		give_up(e, ROLE_FOLLOWER, -1, now, out);
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

static void consider_preempt(struct election *e, uint64_t now, struct election_actions *out)
{
	const struct election_peer *lp = &e->peers[e->leader];

	if (!e->p.preempt || e->no_preempt || !self_eligible(e) ||
	    e->eff_priority <= lp->eff_priority) {
		e->preempt_since_ms = 0;
		return;
	}
	if (e->preempt_since_ms == 0)
		e->preempt_since_ms = now ? now : 1;
	if (now >= e->preempt_since_ms + e->p.preempt_delay_ms)
		claim(e, out);
}

/* Re-evaluates a non-leader after any event: follow, preempt or claim. */
static void settle(struct election *e, uint64_t now, struct election_actions *out)
{
	if (e->role == ROLE_LEADER)
		return;
	track_leader(e, now, out);
	if (e->leader >= 0) {
		if (e->role == ROLE_INIT)
			set_role(e, ROLE_FOLLOWER, out);
		consider_preempt(e, now, out);
		return;
	}
	e->preempt_since_ms = 0;
	if (self_eligible(e) && now >= claim_deadline(e, now)) {
		claim(e, out);
		return;
	}
	if (e->role == ROLE_INIT && now >= e->started_ms + dead_ms(e))
		set_role(e, ROLE_FOLLOWER, out);
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

static uint64_t next_wakeup(const struct election *e, uint64_t now)
{
	uint64_t w = now + e->p.interval_ms + e->p.interval_ms / 4, d = dead_ms(e);

	earliest(&w, e->next_hb_ms, now);
	for (size_t i = 0; i < e->p.n_nodes; i++) {
		if (election_peer_alive(e, i, now))
			earliest(&w, e->peers[i].last_heard_ms + d, now);
	}
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
	default:
		break;
	}
	settle(e, now_ms, out);
	if (out->flags & ACT_SEND_HEARTBEAT)
		e->last_hb_ms = now_ms;
	out->wakeup_ms = next_wakeup(e, now_ms);
}
