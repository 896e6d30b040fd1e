/* SPDX-License-Identifier: MIT */
/* election_view.c: what the rest of the daemon may read of the election (no changes). */
#include "election_int.h"

#include <string.h>

enum kcw_role election_role(const struct election *e)
{
	return e->role;
}

uint64_t election_term(const struct election *e)
{
	return e->term;
}

int election_leader(const struct election *e)
{
	return e->leader;
}

uint32_t election_eff_priority(const struct election *e)
{
	return e->eff_priority;
}

bool election_maintenance(const struct election *e)
{
	return e->maintenance;
}

bool election_fenced(const struct election *e)
{
	return e->fenced;
}

bool election_coord_ok(const struct election *e)
{
	return e->coord_ok;
}

uint64_t election_leader_changes(const struct election *e)
{
	return e->leader_changes;
}

uint64_t election_stalls(const struct election *e)
{
	return e->stalls;
}

uint64_t election_longest_stall_ms(const struct election *e)
{
	return e->stall_max_ms;
}

void election_peer_view(const struct election *e, size_t idx, uint64_t now_ms,
			struct election_peer_view *out)
{
	const struct election_peer *pp;

	memset(out, 0, sizeof(*out));
	if (idx >= e->p.n_nodes || idx == e->p.self)
		return;
	pp = &e->peers[idx];
	out->heard = pp->heard;
	out->alive = election_peer_alive(e, idx, now_ms);
	out->role = pp->role;
	out->term = pp->term;
	out->eff_priority = pp->eff_priority;
	out->last_heard_ms = pp->last_heard_ms;
}

/*
 * R23: the fence's holder cannot be leading when it is this node (a previous run) or a
 * peer heard alive now that says it is not the leader: then the fence is only old, not a
 * newer leadership (a whole cluster restarted, terms began at 1 again). A holder that
 * cannot be heard might lead on the other side of a partition, so that case stays stale.
 * So does one heard for less than an interval: after a freeze this node first drains
 * heartbeats queued while it slept, sent before the holder took over, all "now" and
 * right after a gap.
 */
bool election_holder_may_lead(const struct election *e, int idx, uint64_t now_ms)
{
	const struct election_peer *pp;

	if (idx == (int)e->p.self)
		return false;
	if (idx < 0 || !election_peer_alive(e, (size_t)idx, now_ms))
		return true;
	pp = &e->peers[idx];
	return pp->role == ROLE_LEADER || now_ms < pp->alive_since_ms + e->p.interval_ms;
}

/* R4: 0 while not eligible, so the peers never count on this node. */
uint32_t election_advertised_priority(const struct election *e)
{
	return election_self_eligible(e) ? e->eff_priority : 0;
}

bool election_coord_want(const struct election *e)
{
	return e->role == ROLE_LEADER || e->coord_want;
}

int election_vote(const struct election *e)
{
	if (election_coordinated(e) && e->coord_want && e->leader >= 0)
		return (int)e->p.self; /* preemption: asks the leader to hand over */
	return election_quorum_mode(e) ? e->vote : e->leader;
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
		out->needed = (unsigned)election_votes_needed(e);
		out->votes = e->vote == (int)e->p.self ? (unsigned)election_held_votes(e, now_ms)
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
	case DEFENCE_NONE:
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
	case DEFENCE_NONE:
	default:
		return "none";
	}
}
