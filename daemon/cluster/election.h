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
 * Rules (VRRP-like, with terms):
 *
 * dead interval D = dead_after * interval. A peer is ALIVE while
 * now - last_heard < D. A node is ELIGIBLE to lead when it is not a witness,
 * its effective priority is > 0, its role is not fault, it is not in
 * maintenance, not fenced, (tie-breaker defence) it reaches the tie-breaker,
 * and (for a peer) it is alive and not resigning.
 * "Better" orders nodes by effective priority, then by address (higher wins).
 *
 * Every node sends a heartbeat every interval (ACT_SEND_HEARTBEAT) in every
 * role; its term field is the highest term the node knows (its own while
 * leading). Any heartbeat raises max_term_seen.
 *
 * init: after election_init(). A heartbeat from an alive, non-resigning leader
 *   makes the node a follower of it. Otherwise after D from start the node
 *   claims if it is the best eligible node, else becomes follower. (A restarted
 *   node thus learns the current term before it can lead.)
 * follower, leaderless (no alive non-resigning leader): leaderless_since is
 *   the last time the old leader was heard (or the start). The best eligible
 *   node claims at leaderless_since + D; any other eligible node claims at
 *   leaderless_since + 2*D + skew, skew = (256 - eff_priority) * interval / 256,
 *   in case the best one cannot claim (it only sees part of the cluster).
 * follower, resign received from the leader: the leader counts as gone at
 *   once; if this node is then the best eligible node it claims immediately
 *   (no dead interval); others wait as above with leaderless_since = now - D.
 * claim: term = max_term_seen + 1, role leader, leader = self,
 *   ACT_TAKE_VIPS | ACT_SEND_HEARTBEAT | ACT_ROLE_CHANGED.
 * preemption: a follower with preempt on whose effective priority is strictly
 *   above the alive leader's starts a timer; after preempt_delay (still
 *   better) it claims. With preempt off it never claims while a leader is
 *   alive. After EV_STEP_DOWN the node does not preempt the leader that
 *   took over from it (until the leadership changes again).
 * leader sees another leader (healed partition, preemption, a leader resumed
 *   after a freeze): the other wins when it is better (with preempt on), or
 *   when its term is higher (with preempt off: the newer leadership keeps the
 *   role; equal terms fall back to "better"). The loser steps down
 *   (ACT_RELEASE_VIPS | ACT_SEND_HEARTBEAT | ACT_ROLE_CHANGED, follower of
 *   it); the winner stays, raises its term above the other's if needed and
 *   re-announces (ACT_REANNOUNCE | ACT_SEND_HEARTBEAT; ACT_REANNOUNCE at most
 *   once per interval, so queued heartbeats do not cause a burst).
 *   Either way exactly one leader remains once both have heard each other.
 * EV_PRIORITY with 0: role fault (a leader releases its VIPs first), back to
 *   follower (leaderless_since = now) when the priority is > 0 again. With any
 *   priority, a leader that is then not the best eligible node hands over as
 *   with EV_STEP_DOWN, but may preempt back (R13; out->handover names the node).
 * EV_SHUTDOWN: a leader releases its VIPs; every role sends one heartbeat
 *   with resigning set (out->resign). The caller then exits.
 * EV_STEP_DOWN: a leader with at least one other eligible alive node releases
 *   its VIPs, sends a resigning heartbeat and becomes follower; otherwise
 *   out->result = -EAGAIN (nobody to hand over to) and nothing changes.
 *   A non-leader gets -EINVAL.
 * EV_MAINTENANCE on: not eligible; a leader steps down as with EV_STEP_DOWN
 *   (even without another node). off: eligible again.
 * EV_TERM (term T written by a node that no longer leads, e.g. the fence of a
 *   previous run): max_term_seen >= T; a leader at or below T takes T + 1 and
 *   sends a heartbeat (the caller then writes the fence with the new term).
 * EV_FENCE on (the DNS fence holds a term above ours: this node is stale):
 *   max_term_seen = max(max_term_seen, ev->term); a leader releases its VIPs
 *   and becomes follower (ACT_RELEASE_VIPS | ACT_SEND_HEARTBEAT |
 *   ACT_ROLE_CHANGED); the node is not eligible while fenced. off: eligible
 *   again (a later claim takes a term above ev->term via max_term_seen).
 *
 * Actions are carried out by the caller in this order: release VIPs, take
 * VIPs, re-announce, send heartbeat. Then it arms a timer for out->wakeup_ms
 * and feeds EV_TICK when it fires.
 *
 * Details the rules above leave open, as implemented:
 * - Advertised priority: maintenance and fencing are not on the wire, so the
 *   heartbeat's eff_priority must be election_advertised_priority(), which is
 *   0 while this node is not eligible. Peers then never count on a node in
 *   maintenance, fenced or in fault (e.g. a step-down does not hand over to it).
 * - Heartbeat cadence: a due heartbeat goes out with whichever step comes
 *   first (any event, not only EV_TICK); next_hb_ms then advances by interval,
 *   or to now + interval when that would still be due (no burst after a
 *   pause). Extra heartbeats (claim, step-down, re-announce) do not move it.
 * - A follower's (non-resigning) heartbeat moves a leader's next scheduled
 *   heartbeat to now + interval + interval / 4, and the leader answers it at
 *   once unless it sent one within the last interval / 4: the leader rides on
 *   the followers' cadence and an idle leader wakes up once per interval; its
 *   own timer is the fallback. Its gap between heartbeats is at most
 *   1.5 intervals (once, while falling into step).
 * - wakeup_ms: everything due at now is done within the step, so it is always
 *   in (now, now + interval + interval / 4]: the next heartbeat, a peer's death
 *   (last_heard + D), the claim deadline, the end of init, the preemption
 *   deadline.
 * - The leader is tracked in every role (also fault and witness), so status
 *   shows who leads. When several peers claim leadership the better is
 *   followed. Peers that are witnesses are never followed nor eligible.
 * - Losing the followed leader: dead -> leaderless_since = its last heartbeat;
 *   resigned -> now - D (computed modulo 2^64, so early in the monotonic clock
 *   it may wrap: only ever use it as leaderless_since_ms + D); heard alive but
 *   no longer leading without resigning (fenced, or it yielded to a leader
 *   this node cannot see) -> leaderless_since = now (last time heard).
 * - Init: a node that is not eligible (maintenance, fence) also becomes
 *   follower at start + D. A resign from a followed leader may make an init
 *   node claim before start + D: it has learnt the term from that leader.
 * - Preemption needs a strictly higher effective priority (the address never
 *   preempts). The timer restarts whenever the leader changes or the
 *   condition lapses. preempt_since_ms = 0 means none pending, so a timer
 *   started at now_ms 0 counts from 1 ms. preempt_delay 0 preempts at once.
 * - no_preempt (EV_STEP_DOWN only) ends when the peer that took over loses
 *   the leadership (dies, resigns, is replaced) or this node claims.
 *   Maintenance does not set it: a better node back from maintenance
 *   preempts like any returning node (with preempt on).
 * - A leader going to fault (priority 0) also resigns (out->resign), like
 *   VRRP's priority-0 advertisement, so the best peer takes over at once
 *   instead of after D. A fenced leader does not resign (flags as above).
 * - Leader conflict: the winner raises its term only when its term <= the
 *   other's, and then to max_term_seen + 1 (above any term it knows). It
 *   re-announces on every heartbeat of the other leader until that one stops.
 *   When the loser heard the winner first, the winner only ever sees the
 *   loser's step-down heartbeat (a follower with a term above the winner's):
 *   so a leader hearing any heartbeat with a term above its own also raises
 *   its term to max_term_seen + 1 and re-announces (the loser held the VIPs
 *   until just now; ARP caches may still point at it). In normal operation
 *   nobody reports a term above the leader's, so this never fires. (In a
 *   partial partition, a follower hearing two leaders that cannot hear each
 *   other makes both keep raising; the DNS fence ends that.)
 * - Fault back to follower uses leaderless_since = now (waits D when
 *   leaderless); maintenance off and fence off keep leaderless_since, so a
 *   node that has been leaderless past its claim deadline claims at once.
 * - EV_SHUTDOWN: a leader becomes follower of nobody (RELEASE, ROLE_CHANGED);
 *   nothing is re-evaluated in that step, so it never claims while leaving.
 * - leader_changes counts every intermediate change: leader lost and claimed
 *   in one step counts 2. A witness ignores EV_PRIORITY (stays 0).
 *   Heartbeats from self or an index >= n_nodes are ignored; an ev->leader
 *   outside 0..n_nodes-1 counts as -1.
 * - When a peer counts as heard: a heartbeat that waited in the socket for less than D
 *   counts from the step that handles it (now), so a busy host's own delay in reading
 *   is never taken for the sender's silence (no false takeover under load); one that
 *   waited D or more counts from its arrival (ev->heard_ms, the kernel's receive time),
 *   so a queue this node could not read while it was stalled does not keep a dead
 *   leader alive for another D. Vote leases (witness) always run from the arrival
 *   (last_arrival_ms): a lease must not outlast what the voter granted. Neither goes
 *   backwards.
 * - Equal addresses (misconfiguration): the higher node index is better.
 * - A leader that hears a node it had counted dead (heard before, silent for D:
 *   a healed partition, a restarted node) re-announces (ACT_REANNOUNCE |
 *   ACT_SEND_HEARTBEAT): hosts on the far side may still have the old
 *   leader's MAC in their caches.
 *
 * Split-brain defence. Exactly one is active (election_defence()):
 *
 * witness (some node has witness set): quorum mode. Voters are all nodes (the
 *   LBs and the witness); a majority is n_nodes / 2 + 1 (2 of 3 for two LBs
 *   and a witness). A node leads only while it holds a majority of the votes,
 *   its own among them. In every role the other rules above still apply; a
 *   claim is always made as below.
 *   - Backing. Every node backs at most one node at a time: election_vote(),
 *     sent as the heartbeat's leader field (ev->leader: whom the sender
 *     backs, -1 none). A leader backs itself; a follower the leader it
 *     follows; a leaderless node the best eligible CANDIDATE it hears (a
 *     non-leader whose heartbeat backs itself), a node it handed over to
 *     first while that one is better than itself; a node that stands backs
 *     itself. Every change of the vote sends a heartbeat at once.
 *   - Holding. X holds P's vote while X backs itself, P's last heartbeat
 *     backs X, arrived within the lease L = D - interval (at least 1.5
 *     intervals) and after X began backing itself. X holds its own vote
 *     once its cooldown is over.
 *   - Cooldown. A node that stops backing a peer Q backs no node but Q or
 *     itself for D (cooldown > L + interval/2), and holds its own vote only
 *     after that; not when Q's last heartbeat resigned, and a resigning
 *     heartbeat from Q ends the cooldown (Q holds nothing any more). A
 *     (re)started node backs nobody and holds nothing for D.
 *   Safety: a vote is held by at most one node at any time, even with
 *   one-way links and delivery delays below D - L (an interval; half of one
 *   with dead-after 2): Q's hold on P's
 *   vote ends L after the last heartbeat of P backing Q arrived, and no other
 *   node holds P's vote before D after P stopped backing Q. Two majorities
 *   share a voter, hence never two leaders. (With one-way delivery a leader
 *   may hear its voters long after they stopped hearing it: so the lease
 *   runs from the vote's arrival, and the voters, not the claimers, wait.)
 *   - Standing. A leaderless eligible node stands (backs itself) from its
 *     claim deadline (D, or 2*D + skew, after leaderless_since as above) and
 *     keeps standing while leaderless, unless it hears a better candidate:
 *     then it backs that one. A node that gave up the leadership does not
 *     stand for one interval (stale votes in flight). A node standing claims
 *     as soon as it holds a majority (claim flags and terms as above).
 *   - A leader whose held votes drop below a majority gives up (ACT_RELEASE_VIPS
 *     | ACT_SEND_HEARTBEAT | ACT_ROLE_CHANGED, resign) at its majority
 *     deadline: last_majority + D - interval, last_majority being the arrival
 *     of the oldest vote it still needs. The others stand no earlier than D
 *     after they stopped backing it (last heard + D when it fell silent), so
 *     its VIPs are gone at least an interval before anyone else may claim.
 *   - Preemption (preempt on, the follower's timer as above): the better
 *     follower first backs the leader (one heartbeat), then turns to back
 *     itself; a leader seeing a strictly better candidate whose previous
 *     heartbeat backed it (it hears the leader), within D of that turn, hands
 *     over: gives up with resign and backs it, which then holds a majority.
 *     A node that stepped down (EV_STEP_DOWN) does not turn (no_preempt).
 *   - Passing over: a node that has backed a candidate for D without it
 *     leading (the candidate does not hear its voters, or votes are split)
 *     ignores it for 2*D or until that node backs someone else.
 *   - Resignations (shutdown, step-down, fault, maintenance, lost majority,
 *     handover) free the resigner's voters at once: handovers stay instant.
 *   - Costs: after a silent leader loss a new leader needs 2*D (D to call it
 *     dead, D of cooldown); a started node backs nobody for D; an init node
 *     never stands before start + D; preemption by a started node takes D
 *     (its cooldown) and a heartbeat.
 * tie-breaker (params.tie_breaker and no witness): a node is eligible only
 *   while the last EV_TIEBREAKER said the address is reachable (initially
 *   not). A leader told it is unreachable gives up at once with resign; the
 *   pinger says so after D without an echo reply ("loses it for D").
 * etcd (params.coordinated: [cluster] coordinator = etcd): etcd decides who
 *   leads, through a key bound to a lease (etcdlead.h); the rules above decide
 *   who asks for it and when. A node is eligible only while its lease is
 *   valid (EV_COORD ok: etcd reachable). A node claims only while it holds the
 *   key (EV_COORD on), at the moment the rules above would claim, with the
 *   key's create_revision as its term (or max_term_seen + 1 if a higher term
 *   was seen). election_coord_want() says when to ask for the key: while
 *   leading, and whenever the rules above want to claim. A leader whose key
 *   goes (EV_COORD off) gives up at once with resign. Two leaders: the higher
 *   term stays (etcd ordered it), terms are never raised. Preemption: a better
 *   follower whose preemption timer ran out names itself in its heartbeat's
 *   leader field (and wants the key); a leader hearing that from an eligible
 *   node with a strictly higher effective priority hands over (gives up with
 *   resign; the caller deletes the key in the same step). EV_TERM only raises
 *   max_term_seen.
 * none: the rules above only.
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
	int role;   /* as the peer last said */
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
	int role;
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
int election_role(const struct election *e);
uint64_t election_term(const struct election *e);
int election_leader(const struct election *e);
uint32_t election_eff_priority(const struct election *e);
bool election_maintenance(const struct election *e);
bool election_fenced(const struct election *e);
bool election_coord_ok(const struct election *e);
uint64_t election_leader_changes(const struct election *e);
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
