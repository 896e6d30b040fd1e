/* SPDX-License-Identifier: MIT */
/* election_harness.h: the election unit tests' fake clock, checked step() and simulated cluster. */
#ifndef KCW_ELECTION_HARNESS_H
#define KCW_ELECTION_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "election_int.h"

#define IV	      200u		  /* heartbeat interval */
#define DA	      3u		  /* dead_after */
#define D	      ((uint64_t)IV * DA) /* dead interval */
#define T0	      10000u		  /* start of every test clock */
#define MAXN	      4
#define PROPN	      3 /* nodes in the plain property test */
#define QMAX	      256
#define CLAIM_FLAGS   (ACT_TAKE_VIPS | ACT_SEND_HEARTBEAT | ACT_ROLE_CHANGED)
#define RELEASE_FLAGS (ACT_RELEASE_VIPS | ACT_SEND_HEARTBEAT | ACT_ROLE_CHANGED)
#define FMAX	      512 /* heartbeats in flight with latency */

/* --------------------------------------------------------- cluster simulator */

struct msg {
	size_t from;
	struct election_event ev;
};

struct flight {
	size_t from, to;
	uint64_t sent, at;
	struct election_event ev;
};

struct sim {
	size_t n;
	uint64_t now;
	struct election_params p[MAXN];
	struct election el[MAXN];
	bool up[MAXN];
	uint64_t wake[MAXN];
	unsigned hbs[MAXN];
	uint64_t last_sent[MAXN];
	unsigned acc[MAXN];	 /* OR of all flags since start or sim_clear() */
	bool cut[MAXN][MAXN];	 /* cut[a][b]: a's heartbeats do not reach b */
	bool single;		 /* assert at most one leader after every delivery */
	bool strict;		 /* ... and after every single step, and no vote held twice */
	uint64_t took[MAXN];	 /* when node i last claimed (ACT_TAKE_VIPS), 0 never */
	uint64_t released[MAXN]; /* when node i last released its VIPs, 0 never */
	struct msg q[QMAX];
	size_t qhead, qlen;
	/* latency > 0: each heartbeat reaches each peer after 0..latency ms (reordered; an
	 * older one than the last delivered is dropped, as replay protection does) */
	uint64_t latency, rng;
	struct flight fl[FMAX];
	size_t nfl;
	uint64_t last_rx[MAXN][MAXN];
};

/* ------------------------------------------------------------------ helpers */
/* prio[i] == 0 makes node i a witness; addrs may be NULL (192.0.2.i+1). */
void make_params(struct election_params *p, size_t n, const uint32_t *prio,
		 const char *const *addrs, size_t self, bool preempt, uint32_t delay);

void init_node(struct election *e, size_t n, const uint32_t *prio, size_t self, bool preempt,
	       uint32_t delay, uint64_t now);

/* Every step: wakeup in (now, now + 1.25 interval], terms never decrease, leader consistent. */
struct election_actions step(struct election *e, const struct election_event *ev, uint64_t now);

struct election_actions simple(struct election *e, enum election_event_type type, uint64_t now);

struct election_actions tick(struct election *e, uint64_t now);

/* Node self of n, started at T0 and stepped once (its first heartbeat). */
struct election_actions start_node(struct election *e, size_t n, const uint32_t *prio, size_t self,
				   bool preempt, uint32_t delay);

struct election_actions toggle(struct election *e, enum election_event_type type, bool on,
			       uint64_t term, uint64_t now);

struct election_actions set_priority(struct election *e, uint32_t prio, uint64_t now);

/* The heartbeat src would send now. */
struct election_event hb_of(const struct election *src, bool resign);

struct election_actions hear(struct election *dst, const struct election *src, uint64_t now);

/* A heartbeat from peer that backs named (-1 none). */
struct election_actions hear_full(struct election *dst, size_t peer, int role, uint64_t term,
				  uint32_t prio, bool resign, int named, uint64_t now);

struct election_actions hear_raw(struct election *dst, size_t peer, int role, uint64_t term,
				 uint32_t prio, bool resign, uint64_t now);

struct election_actions hear_vote(struct election *dst, size_t peer, int role, uint64_t term,
				  uint32_t prio, int named, uint64_t now);

/* Ticks e at its own wakeups up to and including until; returns OR of flags. */
unsigned run_alone(struct election *e, uint64_t from, uint64_t until, unsigned *hbs);

void sim_setup(struct sim *s, size_t n, const uint32_t *prio, const char *const *addrs,
	       bool preempt, uint32_t delay);

void sim_clear(struct sim *s);

void sim_record(struct sim *s, size_t i, const struct election_actions *a);

int sim_leaders(const struct sim *s);

/* Never two leaders; witness mode: no node's vote held by two nodes (down voters included). */
void sim_check(const struct sim *s);

/* Steps node i now; its heartbeat (if any) is queued, not yet delivered. */
struct election_actions sim_step(struct sim *s, size_t i, const struct election_event *ev);

/* Delivers queued heartbeats (and those they cause) at once, perfect network. */
void sim_flush(struct sim *s);

/* Drops queued heartbeats (a test delivers them by hand). */
struct election_event sim_take_msg(struct sim *s);

void sim_event(struct sim *s, size_t i, const struct election_event *ev);

void sim_start(struct sim *s, size_t i);

/* Delivers the earliest heartbeat in flight due by now; false when none is. */
bool sim_deliver_one(struct sim *s);

/* Runs every node's timer up to and including time until. */
void sim_run(struct sim *s, uint64_t until);

/* Sets up n nodes (no preempt delay), starts them all at T0 and runs them up to until. */
void sim_boot(struct sim *s, size_t n, const uint32_t *prio, bool preempt, uint64_t until);

/* Node 0 (prio 100) leads alone from T0 + D; returns with it. */
void lone_leader(struct election *e, size_t n, const uint32_t *prio, bool preempt);

/* Node 0 of {200, 100}, leading alone from T0 + D. */
struct election leader_of_two(bool preempt);

/* ------------------------------------------------------ randomized property */
uint64_t rnd(uint64_t *s);

/* A random priority: 50..200, or also 0 (fault) when zero_ok. */
uint32_t pick_prio(uint64_t *seed, bool zero_ok);

#endif
