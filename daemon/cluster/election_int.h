/* SPDX-License-Identifier: MIT */
/* election_int.h: the election's state, shared by election*.c and its unit test only. */
#ifndef KCW_ELECTION_INT_H
#define KCW_ELECTION_INT_H

#include "election.h"

struct election_peer {
	bool heard;		  /* at least one heartbeat this run */
	uint64_t last_heard_ms;	  /* liveness: R39 */
	uint64_t last_arrival_ms; /* the newest heartbeat's arrival: vote leases (R40) */
	enum kcw_role role;	  /* as the peer last said */
	uint64_t term;
	uint32_t eff_priority;
	bool resigning;
	int named;		  /* whom its last heartbeat backs, -1 none */
	int prev_named;		  /* whom the heartbeat before the last change backed */
	uint64_t named_since_ms;  /* when named last changed, as heard here */
	uint64_t passed_until_ms; /* backed for D as candidate without result: ignored */
	uint64_t alive_since_ms;  /* start of the current run of heartbeats without a death */
};

struct election {
	struct election_params p;
	enum kcw_role role;
	uint64_t term; /* own term while leading, else max_term_seen */
	uint64_t max_term_seen;
	int leader; /* index of the node believed to lead, -1 = none */
	uint32_t eff_priority;
	bool maintenance;
	bool fenced;
	bool no_preempt; /* R12: set by step-down until the leadership changes */
	uint64_t started_ms;
	uint64_t leaderless_since_ms;
	uint64_t preempt_since_ms; /* 0 = no preemption pending */
	uint64_t next_hb_ms;
	uint64_t last_hb_ms;	     /* when this node last sent a heartbeat */
	bool resign_sent;	     /* that heartbeat said resigning: peers do not count on it */
	uint64_t last_reannounce_ms; /* at most one ACT_REANNOUNCE per interval */
	uint64_t leader_changes;     /* times this node saw the leader change */
	enum election_defence_kind defence;
	bool tb_reachable;	/* tie-breaker: the last EV_TIEBREAKER said reachable */
	bool coord_ok;		/* etcd: the lease is valid */
	bool coord_held;	/* etcd: this node holds the leader key */
	uint64_t coord_term;	/* its create_revision */
	bool coord_want;	/* etcd: a follower asks for the key */
	int vote;		/* witness mode: whom this node backs, -1 none */
	uint64_t vote_since_ms; /* when vote last changed */
	int cool_node;		/* during the cooldown only this node (or itself) may be backed */
	uint64_t cool_until_ms;
	uint64_t stand_after_ms; /* a node that gave up does not stand before this */
	int handover;		 /* the candidate a leader handed over to, -1 none */
	int stand_leader;	 /* the leader followed when the vote last changed: a
				  * preempting turn counts towards that leader only */
	uint64_t wake_at_ms;	 /* the wakeup_ms of the last step: the caller's promise */
	uint64_t stall_from_ms;	 /* R45: the last stall began at (its promised wake-up) */
	uint64_t grace_until_ms; /* R45: and peers alive then stay alive until */
	uint64_t stalls;	 /* steps an interval or more after the promised wake-up */
	uint64_t stall_max_ms;	 /* the latest step, ms after its promised wake-up */
	struct election_peer peers[CFG_MAX_NODES]; /* index = node index; self unused */
};

/* Starts in init (witness: role witness, never leads), first heartbeat due now (R6). */
void election_init(struct election *e, const struct election_params *p, uint64_t now_ms);

/* The dead interval D (R1). */
static inline uint64_t election_dead_ms(const struct election *e)
{
	return (uint64_t)e->p.interval_ms * e->p.dead_after;
}

static inline bool election_is_witness(const struct election *e, size_t i)
{
	return e->p.nodes[i].witness;
}

/* The split-brain defence in force (R25, R34; etcd) */
static inline bool election_quorum_mode(const struct election *e)
{
	return e->defence == DEFENCE_WITNESS;
}

static inline bool election_coordinated(const struct election *e)
{
	return e->defence == DEFENCE_COORD;
}

/* Lowers *w to t when t is still ahead of now. */
static inline void election_earliest(uint64_t *w, uint64_t t, uint64_t now)
{
	if (t > now && t < *w)
		*w = t;
}

/* election.c, for election_quorum.c and election_view.c */
typedef bool (*election_node_pred)(const struct election *e, size_t i, uint64_t now);
/* R3: the best node that pred accepts, -1 none. */
int election_best_where(const struct election *e, uint64_t now, election_node_pred pred);
bool election_self_eligible(const struct election *e);
bool election_peer_eligible(const struct election *e, size_t i, uint64_t now);
bool election_node_better(const struct election *e, size_t a, size_t b);
void election_claim(struct election *e, struct election_actions *out);
void election_give_up(struct election *e, enum kcw_role role, int new_leader, uint64_t now,
		      struct election_actions *out);
bool election_follow_or_want(struct election *e, uint64_t now, struct election_actions *out);

/* election_quorum.c: witness mode (R25-R33) */
size_t election_votes_needed(const struct election *e);
size_t election_held_votes(const struct election *e, uint64_t now);
void election_settle_quorum(struct election *e, uint64_t now, struct election_actions *out);
void election_quorum_wakeup(const struct election *e, uint64_t now, uint64_t *w);

#endif
