/* SPDX-License-Identifier: MIT */
/* election.h: leader election as a pure state machine (no syscalls, caller's clock). */
#ifndef KCW_ELECTION_H
#define KCW_ELECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "role.h"

/*
 * The rules are in doc/election.md, numbered R1..R45 (code comments and test names cite
 * them). In short, VRRP-like with terms:
 *
 * - A peer is alive while now - last_heard < D (D = dead_after * interval; R1, R39), and
 *   for a non-leader that was stalled past that, one interval longer (R45). A
 *   node is eligible when it is no witness, its effective priority is > 0, and it is not
 *   in fault, maintenance or fenced (R2); "better" is priority, then address (R3).
 * - Every node sends a heartbeat every interval, with the highest term it knows (R35,
 *   R22); the leader rides on its followers' cadence (R36).
 * - Leaderless, the best eligible node claims D after the leader was last heard, the
 *   others later (R7, R8); a resignation lets the best claim at once (R9). A claim takes
 *   max_term_seen + 1 (R10).
 * - Preemption needs a strictly higher priority and preempt on (R11-R13). Of two leaders,
 *   the better (preempt on) or the newer term (preempt off) stays (R14-R16).
 * - Fault, shutdown, step-down, maintenance (R18-R21); the DNS fence (R23, R24).
 * - Split-brain defence, at most one of: the witness quorum (R25-R33), the tie-breaker
 *   (R34), etcd (R42-R44).
 *
 * The caller carries out the actions in this order: release VIPs, take VIPs, re-announce,
 * send heartbeat; then it arms a timer for out->wakeup_ms and feeds EV_TICK when it fires
 * (R37).
 */

struct election_node {
	struct kcw_addr addr;
	uint32_t priority; /* configured; 0 for a witness */
	bool witness;
};

struct election_params {
	uint32_t interval_ms;
	unsigned dead_after;
	bool preempt;
	uint32_t preempt_delay_ms;
	size_t n_nodes;
	size_t self;	  /* index of this node in nodes[] */
	bool tie_breaker; /* [cluster] tie-breaker is set (ignored with a witness) */
	bool coordinated; /* coordinator = etcd (no witness, no tie-breaker then) */
	struct election_node nodes[CFG_MAX_NODES];
};

enum election_defence_kind {
	DEFENCE_NONE = 0,
	DEFENCE_WITNESS,
	DEFENCE_TIE_BREAKER,
	DEFENCE_COORD, /* etcd */
};

/* The state is private to election*.c (election_int.h); the daemon holds a pointer. */
struct election;

/* What this node last heard of a peer (status, metrics). */
struct election_peer_view {
	bool heard; /* at least one heartbeat this run */
	bool alive; /* R1 */
	enum kcw_role role; /* as the peer last said */
	uint64_t term;
	uint32_t eff_priority;
	uint64_t last_heard_ms; /* R39 */
};

enum election_event_type {
	EV_TICK = 0,  /* the timer fired (or any time the caller likes) */
	EV_HEARTBEAT, /* an authenticated, fresh heartbeat from peer */
	EV_PRIORITY,  /* own effective priority changed */
	EV_SHUTDOWN,
	EV_STEP_DOWN,
	EV_MAINTENANCE,
	EV_FENCE,
	EV_TERM,       /* term T is in use elsewhere (the DNS fence): lead above it */
	EV_TIEBREAKER, /* on = the tie-breaker address answers */
	EV_COORD,      /* etcd: on = holds the key (term = its create_revision), ok = lease valid */
};

struct election_event {
	enum election_event_type type;
	/* EV_HEARTBEAT (term also for EV_FENCE) */
	size_t peer;
	enum kcw_role role;
	uint64_t term;
	uint32_t eff_priority;
	bool resigning;
	/* its leader field as a node index, -1 none (witness mode: whom the sender
	 * backs). Always set it: 0 is node 0. */
	int leader;
	/* when the heartbeat arrived (the kernel's receive time, CLOCK_MONOTONIC ms): the
	 * peer was alive then, however late the caller got to it. 0 or after now_ms: now_ms */
	uint64_t heard_ms;
	/* EV_PRIORITY */
	uint32_t priority;
	/* EV_MAINTENANCE, EV_FENCE (term = the fence's term), EV_TIEBREAKER, EV_COORD */
	bool on;
	bool ok; /* EV_COORD */
};

enum election_action {
	ACT_SEND_HEARTBEAT = 1u << 0,
	ACT_TAKE_VIPS = 1u << 1,
	ACT_RELEASE_VIPS = 1u << 2,
	ACT_REANNOUNCE = 1u << 3,
	ACT_ROLE_CHANGED = 1u << 4, /* role or leader changed: log it, notify */
};

struct election_actions {
	unsigned flags;	    /* enum election_action bits */
	bool resign;	    /* the heartbeat to send carries resigning = true */
	int result;	    /* EV_STEP_DOWN: 0, -EAGAIN or -EINVAL */
	int handover;	    /* EV_PRIORITY: the better node a leader handed over to (R13), -1 */
	uint64_t wakeup_ms; /* feed EV_TICK at this time at the latest */
};

/*
 * Starts in init (witness: role witness, never leads), first heartbeat due now (R6).
 * NULL with err filled when p is not a valid cluster (no nodes, too many, self outside).
 */
struct election *election_new(const struct election_params *p, uint64_t now_ms, char *err,
			      size_t errlen);
void election_free(struct election *e);
/*
 * New timers, preemption and priorities (a reload; R41). The nodes, self and the defence
 * must stay as they are: -EINVAL otherwise, and nothing changes. out->wakeup_ms is the
 * new deadline; nothing else is evaluated (the caller follows with EV_PRIORITY).
 */
int election_set_params(struct election *e, const struct election_params *p, uint64_t now_ms,
			struct election_actions *out);
void election_step(struct election *e, const struct election_event *ev, uint64_t now_ms,
		   struct election_actions *out);
/* True when peer idx is alive at now_ms. */
bool election_peer_alive(const struct election *e, size_t idx, uint64_t now_ms);
/* Index of the best eligible node (self included) at now_ms, -1 if none. */
int election_best_eligible(const struct election *e, uint64_t now_ms);
/* The eff_priority to put in heartbeats: own effective priority, 0 when not eligible. */
uint32_t election_advertised_priority(const struct election *e);
/* The node to name in the heartbeat's leader field, -1 none: the vote with a
 * witness, else the leader this node follows (itself when leading). */
int election_vote(const struct election *e);
/* etcd: this node should hold (leader) or ask for (claim due, preemption) the key. */
bool election_coord_want(const struct election *e);
/* Witness mode: this node, standing or leading, counts the vote of node idx (self included). */
bool election_holds_vote(const struct election *e, size_t idx, uint64_t now_ms);

/* What the daemon shows: role (enum kcw_role), term, leader index (-1 none), ... */
enum kcw_role election_role(const struct election *e);
uint64_t election_term(const struct election *e);
int election_leader(const struct election *e);
uint32_t election_eff_priority(const struct election *e);
bool election_maintenance(const struct election *e);
bool election_fenced(const struct election *e);
bool election_coord_ok(const struct election *e);
uint64_t election_leader_changes(const struct election *e);
/* R45: steps an interval or more after the wakeup_ms promised; the latest step, ms late. */
uint64_t election_stalls(const struct election *e);
uint64_t election_longest_stall_ms(const struct election *e);
/* Peer idx as last heard; all zero (not heard) for self or an index out of range. */
void election_peer_view(const struct election *e, size_t idx, uint64_t now_ms,
			struct election_peer_view *out);
/*
 * R23: the DNS fence's holder (a node index, -1 unknown) may be leading now. Not when it
 * is this node (a previous run), nor a peer heard alive for an interval or more that
 * says it does not lead: then the fence is only old.
 */
bool election_holder_may_lead(const struct election *e, int idx, uint64_t now_ms);

struct election_defence_state {
	enum election_defence_kind kind;
	bool satisfied;
	/* witness: votes held while standing or leading, else voters in reach (self +
	 * alive peers); needed = a majority. tie-breaker: 1/1 reachable, 0/1 not.
	 * none: 0/0, always satisfied. */
	unsigned votes;
	unsigned needed;
	int backs; /* election_vote() */
};

void election_defence(const struct election *e, uint64_t now_ms,
		      struct election_defence_state *out);
/* "none", "witness", "tie-breaker". */
const char *election_defence_name(enum election_defence_kind kind);

#endif
