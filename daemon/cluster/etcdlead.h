/* SPDX-License-Identifier: MIT */
/* etcdlead.h: leadership as a key bound to an etcd lease: a pure state machine (no I/O). */
#ifndef KCW_ETCDLEAD_H
#define KCW_ETCDLEAD_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The node keeps one lease (granted, then renewed every ttl/3 by one keepalive
 * request each). Leadership is the key <prefix>/leader, created by a
 * transaction that succeeds only while the key does not exist (create_revision
 * == 0), bound to the node's lease, value the node name. The term is the key's
 * create_revision. A watch on the key (from the revision after the last answer)
 * tells who holds it and when it goes.
 *
 * Rules:
 * - renew: the lease is renewed at last_renew + renew (renew = ttl/3); a failed
 *   grant or keepalive is retried after retry (renew/4, at least 100 ms) with
 *   the next endpoint (the caller's business). last_renew is the SEND time of
 *   the last request that etcd answered with a live lease: etcd renewed it
 *   when it got the request, later than that.
 * - lease valid: lease held and now < last_renew + ttl - renew (the deadline).
 *   The server cannot expire it before last_renew + ttl: one renewal period
 *   of margin for the release itself and for clock rate differences.
 * - hold (may lead) = the key is known to be this node's (its lease) and the
 *   lease is valid. With keep_on_lost (etcd-lost = keep) the deadline does not
 *   end hold; only etcd saying the lease or key is gone does.
 * - ok (eligible) = the lease is valid: etcd is reachable.
 * - probe: when the key's state is not known (start, watch failed), a
 *   transaction (want) or a range (not want) asks for it; then a watch from
 *   the answer's revision + 1 follows it. An answer or a watch event older
 *   than what is known already (revision below, resp. not above, the last
 *   one seen) changes nothing: answers and events may cross.
 * - want (the election's policy: leaderless and this node's turn, or leading):
 *   while the key is known absent and the lease valid, a transaction tries to
 *   create it. A node that does not want the key but has it deletes it.
 * - a node that wants the key and knows it held by another asks again every
 *   ttl (a transaction): a watch that died without a word costs at most that.
 * - first (with want: the election ranks this node best): when the key goes
 *   (watch delete), a node that is not first waits retry before it tries, so
 *   that the best node, trying at once, normally wins the race.
 * - resign: a node holding the key stops holding at once and deletes it (a
 *   transaction that compares create_revision with its term, so it never
 *   deletes a successor's key); want is off until the caller sets it again.
 * - lease gone (a keepalive answered TTL 0): hold ends, key forgotten, a new
 *   lease is granted.
 * At most one request of each kind is in flight; each ends with one event.
 */

struct etcdlead_params {
	uint32_t ttl_ms;   /* lease-ttl */
	bool keep_on_lost; /* etcd-lost = keep */
};

struct etcdlead {
	struct etcdlead_params p;
	uint32_t renew_ms; /* ttl / 3 */
	uint32_t retry_ms;
	/* lease */
	int64_t lease; /* 0 = none */
	bool grant_busy, ka_busy;
	uint64_t last_renew_ms; /* send time of the last successful grant or keepalive */
	uint64_t next_try_ms;	/* grant retry, keepalive retry */
	/* key */
	bool want;
	bool first;	/* the preferred claimer: tries at once when the key goes */
	bool key_known; /* a probe answered since the last watch failure */
	bool key_present;
	int64_t key_term; /* create_revision */
	int64_t key_lease;
	int64_t rev; /* revision of the last answer about the key */
	bool probe_busy, watch_on, del_busy;
	uint64_t probe_after_ms;
	uint64_t probed_ms; /* when the last transaction or range was sent */
	/* outputs */
	bool hold;
	bool ok;
	uint64_t released_ms; /* when hold last ended because the lease could not be renewed */
	uint64_t hold_changes;
};

enum etcdlead_event_type {
	ELE_TICK = 0,
	ELE_WANT,     /* on */
	ELE_GRANT_OK, /* lease, sent_ms */
	ELE_GRANT_FAIL,
	ELE_KA_OK, /* sent_ms, ttl_ms (0 = the lease is gone) */
	ELE_KA_FAIL,
	ELE_KEY, /* txn or range answer: won, present, term, lease, rev */
	ELE_KEY_FAIL,
	ELE_WATCH_PUT,	  /* term, lease, rev */
	ELE_WATCH_DELETE, /* rev */
	ELE_WATCH_FAIL,	  /* closed, cancelled, compacted */
	ELE_RESIGN,
	ELE_DEL_DONE,
};

struct etcdlead_event {
	enum etcdlead_event_type type;
	bool on, first;
	int64_t lease;
	uint64_t sent_ms;
	int64_t ttl_ms;
	bool won, present;
	int64_t term, rev;
};

enum etcdlead_action {
	ELA_GRANT = 1u << 0,
	ELA_KEEPALIVE = 1u << 1, /* lease */
	ELA_TXN = 1u << 2,	 /* create <prefix>/leader if absent, bound to lease */
	ELA_RANGE = 1u << 3,
	ELA_WATCH = 1u << 4,   /* from watch_rev */
	ELA_DELETE = 1u << 5,  /* delete if create_revision == del_term */
	ELA_HOLD = 1u << 6,    /* hold became true: the caller may lead */
	ELA_RELEASE = 1u << 7, /* hold became false */
	ELA_OK_CHANGED = 1u << 8,
};

struct etcdlead_actions {
	unsigned flags;
	int64_t lease;	   /* for KEEPALIVE, TXN */
	int64_t watch_rev; /* for WATCH */
	int64_t del_term;  /* for DELETE */
	uint64_t wakeup_ms;
};

void etcdlead_init(struct etcdlead *l, const struct etcdlead_params *p, uint64_t now_ms);
void etcdlead_step(struct etcdlead *l, const struct etcdlead_event *ev, uint64_t now_ms,
		   struct etcdlead_actions *out);
/* The term while holding (the key's create_revision), else 0. */
uint64_t etcdlead_term(const struct etcdlead *l);
/* Time left before this node must give the key up, 0 without a valid lease. */
uint64_t etcdlead_lease_left_ms(const struct etcdlead *l, uint64_t now_ms);

#endif
