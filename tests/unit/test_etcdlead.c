/* SPDX-License-Identifier: MIT */
/* test_etcdlead.c: the etcd lease state machine on a fake clock, by hand and against a model etcd.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etcdjson.h"
#include "etcdlead.h"

#define TTL   3000u
#define RENEW (TTL / 3)
#define T0    10000u

/* ------------------------------------------------------------------ helpers */

static uint64_t deadline_of(const struct etcdlead *l)
{
	return l->last_renew_ms + l->p.ttl_ms - l->renew_ms;
}

/* Every step: wakeup in (now, now + renew], hold only with a valid lease and the key. */
static struct etcdlead_actions step(struct etcdlead *l, const struct etcdlead_event *ev,
				    uint64_t now)
{
	struct etcdlead_actions a;
	bool was_hold = l->hold;

	memset(&a, 0xa5, sizeof(a));
	etcdlead_step(l, ev, now, &a);
	assert_true(a.wakeup_ms > now);
	assert_true(a.wakeup_ms <= now + l->renew_ms);
	if (l->hold) {
		assert_true(l->lease != 0);
		assert_true(l->key_present);
		assert_true(l->key_lease == l->lease);
		assert_true(l->want);
		if (!l->p.keep_on_lost)
			assert_true(now < deadline_of(l));
		assert_true(etcdlead_term(l) == (uint64_t)l->key_term);
	} else {
		assert_true(etcdlead_term(l) == 0);
	}
	if (a.flags & (ELA_KEEPALIVE | ELA_TXN))
		assert_true(a.lease == l->lease && (a.flags & ELA_TXN ? l->lease != 0 : 1));
	if (l->hold != was_hold)
		assert_true(a.flags & (l->hold ? ELA_HOLD : ELA_RELEASE));
	assert_false((a.flags & ELA_TXN) && (a.flags & ELA_RANGE));
	return a;
}

static struct etcdlead_actions ev0(struct etcdlead *l, enum etcdlead_event_type t, uint64_t now)
{
	struct etcdlead_event ev = {.type = t};

	return step(l, &ev, now);
}

static struct etcdlead_actions want(struct etcdlead *l, bool on, uint64_t now)
{
	struct etcdlead_event ev = {.type = ELE_WANT, .on = on, .first = true};

	return step(l, &ev, now);
}

static struct etcdlead_actions granted(struct etcdlead *l, int64_t lease, uint64_t sent,
				       uint64_t now)
{
	struct etcdlead_event ev = {.type = ELE_GRANT_OK, .lease = lease, .sent_ms = sent};

	return step(l, &ev, now);
}

static struct etcdlead_actions ka_ok(struct etcdlead *l, uint64_t sent, int64_t ttl, uint64_t now)
{
	struct etcdlead_event ev = {.type = ELE_KA_OK, .sent_ms = sent, .ttl_ms = ttl};

	return step(l, &ev, now);
}

static struct etcdlead_actions key(struct etcdlead *l, bool won, bool present, int64_t term,
				   int64_t lease, int64_t rev, uint64_t now)
{
	struct etcdlead_event ev = {.type = ELE_KEY,
				    .won = won,
				    .present = present,
				    .term = term,
				    .lease = lease,
				    .rev = rev};

	return step(l, &ev, now);
}

static void init(struct etcdlead *l, bool keep)
{
	struct etcdlead_params p = {.ttl_ms = TTL, .keep_on_lost = keep};

	etcdlead_init(l, &p, T0);
}

/* Lease 7 granted at T0, want on, key won with term 42 at revision 42: holding. */
static void to_holding(struct etcdlead *l, bool keep)
{
	struct etcdlead_actions a;

	init(l, keep);
	a = ev0(l, ELE_TICK, T0);
	assert_true(a.flags & ELA_GRANT);
	assert_true(a.flags & ELA_RANGE); /* no lease yet: only look */
	a = granted(l, 7, T0, T0 + 5);
	assert_false(a.flags & ELA_GRANT);
	a = key(l, false, false, 0, 0, 40, T0 + 6);
	assert_int_equal(a.flags & ELA_WATCH, ELA_WATCH);
	assert_int_equal(a.watch_rev, 41);
	a = want(l, true, T0 + 10);
	assert_true(a.flags & ELA_TXN);
	assert_int_equal(a.lease, 7);
	a = key(l, true, true, 42, 0, 42, T0 + 12);
	assert_true(a.flags & ELA_HOLD);
	assert_true(l->hold);
	assert_int_equal(etcdlead_term(l), 42);
}

/* ------------------------------------------------------------------ by hand */

static void test_grant_probe_watch_claim(void **state)
{
	struct etcdlead l;

	to_holding(&l, false);
	assert_true(l.ok);
}

static void test_keepalive_period(void **state)
{
	struct etcdlead l;
	struct etcdlead_actions a;

	to_holding(&l, false);
	a = ev0(&l, ELE_TICK, T0 + RENEW - 1);
	assert_false(a.flags & ELA_KEEPALIVE);
	assert_int_equal(a.wakeup_ms, T0 + RENEW);
	a = ev0(&l, ELE_TICK, T0 + RENEW);
	assert_true(a.flags & ELA_KEEPALIVE);
	assert_int_equal(a.lease, 7);
	a = ev0(&l, ELE_TICK, T0 + RENEW + 1); /* one in flight at a time */
	assert_false(a.flags & ELA_KEEPALIVE);
	a = ka_ok(&l, T0 + RENEW, TTL, T0 + RENEW + 300);
	assert_true(l.hold);
	assert_int_equal(a.wakeup_ms, T0 + 2 * RENEW);
	assert_int_equal(etcdlead_lease_left_ms(&l, T0 + RENEW + 300), TTL - RENEW - 300);
}

/* The deadline counts from the SEND time of the last answered renewal. */
static void test_release_deadline(void **state)
{
	struct etcdlead l;
	struct etcdlead_actions a;
	uint64_t sent = T0 + RENEW, dl = sent + TTL - RENEW;

	to_holding(&l, false);
	ev0(&l, ELE_TICK, sent);
	ka_ok(&l, sent, TTL, sent + 900); /* a slow answer: the send time counts */
	a = ev0(&l, ELE_TICK, sent + RENEW);
	assert_true(a.flags & ELA_KEEPALIVE);
	a = ev0(&l, ELE_KA_FAIL, sent + RENEW + 50);
	assert_true(l.hold);
	assert_int_equal(a.wakeup_ms, sent + RENEW + 50 + l.retry_ms);
	a = ev0(&l, ELE_TICK, sent + RENEW + 50 + l.retry_ms);
	assert_true(a.flags & ELA_KEEPALIVE); /* retried */
	a = ev0(&l, ELE_TICK, dl - 1);
	assert_true(l.hold);
	assert_int_equal(a.wakeup_ms, dl);
	a = ev0(&l, ELE_TICK, dl);
	assert_true(a.flags & ELA_RELEASE);
	assert_false(l.hold);
	assert_false(l.ok);
	assert_int_equal(l.released_ms, dl);
}

static void test_keep_on_lost(void **state)
{
	struct etcdlead l;
	struct etcdlead_actions a;

	to_holding(&l, true);
	ev0(&l, ELE_TICK, T0 + RENEW);
	ev0(&l, ELE_KA_FAIL, T0 + RENEW + 1);
	a = ev0(&l, ELE_TICK, T0 + 10 * TTL);
	assert_true(l.hold); /* etcd-lost = keep */
	assert_true(a.flags & ELA_KEEPALIVE);
	a = ka_ok(&l, T0 + 10 * TTL, 0, T0 + 10 * TTL + 5); /* the lease is gone */
	assert_true(a.flags & ELA_RELEASE);
	assert_true(a.flags & ELA_GRANT);
	assert_false(l.hold);
	assert_int_equal(l.lease, 0);
}

static void test_lease_gone_regrant(void **state)
{
	struct etcdlead l;
	struct etcdlead_actions a;

	to_holding(&l, false);
	ev0(&l, ELE_TICK, T0 + RENEW);
	a = ka_ok(&l, T0 + RENEW, 0, T0 + RENEW + 5);
	assert_true(a.flags & ELA_RELEASE);
	assert_true(a.flags & ELA_GRANT);
	a = granted(&l, 9, T0 + RENEW + 5, T0 + RENEW + 10);
	assert_false(l.hold); /* the old key died with the old lease: claim again */
	assert_true(a.flags & ELA_TXN);
	assert_int_equal(a.lease, 9);
}

static void test_follower_claims_on_delete(void **state)
{
	struct etcdlead l;
	struct etcdlead_actions a;
	struct etcdlead_event del = {.type = ELE_WATCH_DELETE, .rev = 60};

	init(&l, false);
	ev0(&l, ELE_TICK, T0);
	granted(&l, 8, T0, T0 + 1);
	a = want(&l, true, T0 + 2);
	assert_false(a.flags & ELA_TXN); /* the range is still in flight */
	a = key(&l, false, true, 50, 3, 55, T0 + 3);
	assert_false(a.flags & ELA_TXN); /* held by another: wait for the watch */
	assert_true(a.flags & ELA_WATCH);
	assert_int_equal(a.watch_rev, 56);
	a = step(&l, &del, T0 + 500);
	assert_true(a.flags & ELA_TXN);
	a = key(&l, false, true, 61, 4, 61, T0 + 502); /* someone else was faster */
	assert_false(l.hold);
	assert_false(a.flags & ELA_WATCH); /* the watch is still open */
	a = ev0(&l, ELE_TICK, T0 + 503);
	assert_false(a.flags & ELA_TXN);
	/* a silent watch costs at most a ttl: the wanting follower asks again */
	for (uint64_t t = T0 + RENEW; t <= T0 + 3 * RENEW; t += RENEW) {
		a = ev0(&l, ELE_TICK, t);
		assert_true(a.flags & ELA_KEEPALIVE);
		ka_ok(&l, t, TTL, t + 5);
	}
	a = ev0(&l, ELE_TICK, T0 + 500 + TTL - 1);
	assert_false(a.flags & ELA_TXN);
	a = ev0(&l, ELE_TICK, T0 + 500 + TTL);
	assert_true(a.flags & ELA_TXN);
}

/* A node that is not the best waits one retry period before it tries for a freed key. */
static void test_not_first_yields(void **state)
{
	struct etcdlead l;
	struct etcdlead_actions a;
	struct etcdlead_event w = {.type = ELE_WANT, .on = true, .first = false};
	struct etcdlead_event del = {.type = ELE_WATCH_DELETE, .rev = 60};

	init(&l, false);
	ev0(&l, ELE_TICK, T0);
	granted(&l, 8, T0, T0 + 1);
	step(&l, &w, T0 + 2);
	key(&l, false, true, 50, 3, 55, T0 + 3);
	a = step(&l, &del, T0 + 500);
	assert_false(a.flags & ELA_TXN);
	assert_int_equal(a.wakeup_ms, T0 + 500 + l.retry_ms);
	a = ev0(&l, ELE_TICK, T0 + 500 + l.retry_ms);
	assert_true(a.flags & ELA_TXN);
}

static void test_resign_deletes_own_term(void **state)
{
	struct etcdlead l;
	struct etcdlead_actions a;
	struct etcdlead_event del = {.type = ELE_WATCH_DELETE, .rev = 43};

	to_holding(&l, false);
	a = ev0(&l, ELE_RESIGN, T0 + 100);
	assert_true(a.flags & ELA_RELEASE);
	assert_true(a.flags & ELA_DELETE);
	assert_int_equal(a.del_term, 42);
	assert_false(l.hold);
	a = step(&l, &del, T0 + 102); /* its own delete: it does not claim back */
	assert_false(a.flags & ELA_TXN);
	a = want(&l, true, T0 + 700); /* the election's turn again */
	assert_true(a.flags & ELA_TXN);
}

static void test_watch_cancel_keeps_hold(void **state)
{
	struct etcdlead l;
	struct etcdlead_actions a;

	to_holding(&l, false);
	a = ev0(&l, ELE_WATCH_FAIL, T0 + 200); /* compaction, server cancel */
	assert_true(l.hold);
	assert_true(a.flags & ELA_TXN); /* ask again */
	assert_false(a.flags & ELA_WATCH);
	a = key(&l, false, true, 42, 7, 90, T0 + 205); /* still its own key */
	assert_true(l.hold);
	assert_int_equal(etcdlead_term(&l), 42);
	assert_true(a.flags & ELA_WATCH);
	assert_int_equal(a.watch_rev, 91);
}

static void test_watch_shows_other_holder(void **state)
{
	struct etcdlead l;
	struct etcdlead_actions a;
	struct etcdlead_event put = {.type = ELE_WATCH_PUT, .term = 70, .lease = 99, .rev = 70};

	to_holding(&l, false);
	ev0(&l, ELE_WATCH_FAIL, T0 + 200);
	a = key(&l, false, true, 70, 99, 70, T0 + 205); /* deleted meanwhile, taken by another */
	assert_true(a.flags & ELA_RELEASE);
	assert_false(l.hold);
	to_holding(&l, false);
	a = step(&l, &put, T0 + 300);
	assert_true(a.flags & ELA_RELEASE);
}

static void test_want_off_deletes(void **state)
{
	struct etcdlead l;
	struct etcdlead_actions a;

	to_holding(&l, false);
	a = want(&l, false, T0 + 100);
	assert_true(a.flags & ELA_RELEASE);
	assert_true(a.flags & ELA_DELETE);
	a = ev0(&l, ELE_DEL_DONE, T0 + 105);
	assert_false(a.flags & ELA_DELETE);
}

static void test_grant_retry(void **state)
{
	struct etcdlead l;
	struct etcdlead_actions a;

	init(&l, false);
	ev0(&l, ELE_TICK, T0);
	a = ev0(&l, ELE_GRANT_FAIL, T0 + 100);
	assert_false(a.flags & ELA_GRANT);
	assert_int_equal(a.wakeup_ms, T0 + 100 + l.retry_ms);
	a = ev0(&l, ELE_TICK, T0 + 100 + l.retry_ms);
	assert_true(a.flags & ELA_GRANT);
	assert_false(l.ok);
}

/* ------------------------------------------------------------ model etcd */

#define SIMN 3
#define HIST 4096
#define RTO  (RENEW / 2) /* the adapter's request timeout */

enum req_kind { RQ_GRANT, RQ_KA, RQ_TXN, RQ_RANGE, RQ_DEL, RQ_N };

struct req {
	bool on;
	uint64_t sent, at_server, reply_at, fail_at;
	bool processed;
	int64_t lease, term;
	struct etcdlead_event reply;
};

struct server {
	int64_t rev, next_lease;
	int64_t lease_id[64];
	uint64_t lease_exp[64];
	size_t n_leases;
	bool present;
	int64_t term, klease;
	struct {
		bool put;
		int64_t rev, term, lease;
	} hist[HIST];
	size_t n_hist;
	int64_t compacted;
};

struct simnode {
	struct etcdlead l;
	struct req rq[RQ_N];
	bool watch_on;
	int64_t watch_next;   /* next history revision to deliver */
	uint64_t watch_ready; /* deliver no earlier than this */
	bool cut;	      /* cut off from etcd */
	uint64_t resume_want;
};

static unsigned rnd(unsigned *s, unsigned n)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 8) % n;
}

static bool lease_alive(const struct server *sv, int64_t id, uint64_t now)
{
	for (size_t i = 0; i < sv->n_leases; i++)
		if (sv->lease_id[i] == id)
			return now < sv->lease_exp[i];
	return false;
}

static void record(struct server *sv, bool put)
{
	sv->rev++;
	assert_true(sv->n_hist < HIST);
	sv->hist[sv->n_hist].put = put;
	sv->hist[sv->n_hist].rev = sv->rev;
	sv->hist[sv->n_hist].term = sv->term;
	sv->hist[sv->n_hist].lease = sv->klease;
	sv->n_hist++;
}

static void server_expire(struct server *sv, uint64_t now)
{
	if (sv->present && !lease_alive(sv, sv->klease, now)) {
		sv->present = false;
		record(sv, false);
	}
}

static void serve(struct server *sv, int kind, struct req *r, uint64_t now)
{
	struct etcdlead_event *e = &r->reply;

	server_expire(sv, now);
	memset(e, 0, sizeof(*e));
	e->sent_ms = r->sent;
	switch (kind) {
	case RQ_GRANT:
		assert_true(sv->n_leases < 64);
		sv->lease_id[sv->n_leases] = ++sv->next_lease;
		sv->lease_exp[sv->n_leases++] = now + TTL;
		e->type = ELE_GRANT_OK;
		e->lease = sv->next_lease;
		break;
	case RQ_KA:
		e->type = ELE_KA_OK;
		e->ttl_ms = 0;
		for (size_t i = 0; i < sv->n_leases; i++)
			if (sv->lease_id[i] == r->lease && now < sv->lease_exp[i]) {
				sv->lease_exp[i] = now + TTL;
				e->ttl_ms = TTL;
			}
		break;
	case RQ_TXN:
	case RQ_RANGE:
		e->type = ELE_KEY;
		if (kind == RQ_TXN && !sv->present) {
			if (!lease_alive(sv, r->lease, now)) {
				e->type = ELE_KEY_FAIL; /* "requested lease not found" */
				break;
			}
			sv->present = true;
			sv->term = sv->rev + 1;
			sv->klease = r->lease;
			record(sv, true);
			e->won = true;
		}
		e->present = sv->present;
		e->term = sv->present ? sv->term : 0;
		e->lease = sv->present ? sv->klease : 0;
		e->rev = sv->rev;
		break;
	default:
		e->type = ELE_DEL_DONE;
		if (sv->present && sv->term == r->term) {
			sv->present = false;
			record(sv, false);
		}
		break;
	}
}

static const unsigned act_of[RQ_N] = {ELA_GRANT, ELA_KEEPALIVE, ELA_TXN, ELA_RANGE, ELA_DELETE};

static void start_requests(struct simnode *n, const struct etcdlead_actions *a, uint64_t now,
			   unsigned *seed)
{
	for (int k = 0; k < RQ_N; k++) {
		struct req *r = &n->rq[k];

		if (!(a->flags & act_of[k]))
			continue;
		assert_false(r->on); /* one of each kind in flight */
		memset(r, 0, sizeof(*r));
		r->on = true;
		r->sent = now;
		r->lease = a->lease;
		r->term = a->del_term;
		r->at_server = now + rnd(seed, 200);
		r->reply_at = r->at_server + rnd(seed, 200);
		r->fail_at = now + RTO;
		if (n->cut || rnd(seed, 10) == 0)
			r->at_server = UINT64_MAX; /* lost on the way there */
		else if (rnd(seed, 10) == 0)
			r->reply_at = UINT64_MAX; /* or back */
	}
	if (a->flags & ELA_WATCH) {
		assert_false(n->watch_on);
		n->watch_on = true;
		n->watch_next = a->watch_rev;
		n->watch_ready = now + rnd(seed, 100);
	}
}

static void sim_feed(struct simnode *n, const struct etcdlead_event *ev, uint64_t now,
		     unsigned *seed)
{
	struct etcdlead_actions a = step(&n->l, ev, now);

	if (getenv("TRACE") && ev->type != ELE_TICK)
		print_message(
		    "%llu n%p ev %d won %d pres %d term %lld lease %lld rev %lld -> hold %d "
		    "flags %x mylease %lld\n",
		    (unsigned long long)now, (void *)n, ev->type, ev->won, ev->present,
		    (long long)ev->term, (long long)ev->lease, (long long)ev->rev, n->l.hold,
		    a.flags, (long long)n->l.lease);

	start_requests(n, &a, now, seed);
}

static void sim_requests(struct server *sv, struct simnode *n, uint64_t now, unsigned *seed)
{
	for (int k = 0; k < RQ_N; k++) {
		struct req *r = &n->rq[k];
		struct etcdlead_event fail = {0};

		if (!r->on)
			continue;
		if (!r->processed && now >= r->at_server && !n->cut) {
			serve(sv, k, r, now);
			r->processed = true;
		}
		if (r->processed && now >= r->reply_at && r->reply_at <= r->fail_at) {
			r->on = false;
			sim_feed(n, &r->reply, now, seed);
		} else if (now >= r->fail_at) {
			static const enum etcdlead_event_type f[RQ_N] = {
			    ELE_GRANT_FAIL, ELE_KA_FAIL, ELE_KEY_FAIL, ELE_KEY_FAIL, ELE_DEL_DONE};

			r->on = false;
			fail.type = f[k];
			sim_feed(n, &fail, now, seed);
		}
	}
}

static void sim_watch(struct server *sv, struct simnode *n, uint64_t now, unsigned *seed)
{
	struct etcdlead_event ev = {0};

	if (!n->watch_on || now < n->watch_ready)
		return;
	if (n->cut || n->watch_next <= sv->compacted || rnd(seed, 2000) == 0) {
		n->watch_on = false;
		ev.type = ELE_WATCH_FAIL;
		sim_feed(n, &ev, now, seed);
		return;
	}
	for (size_t i = 0; i < sv->n_hist && n->watch_on; i++) {
		if (sv->hist[i].rev < n->watch_next)
			continue;
		ev.type = sv->hist[i].put ? ELE_WATCH_PUT : ELE_WATCH_DELETE;
		ev.rev = sv->hist[i].rev;
		ev.term = sv->hist[i].term;
		ev.lease = sv->hist[i].lease;
		n->watch_next = ev.rev + 1;
		n->watch_ready = now + rnd(seed, 50);
		sim_feed(n, &ev, now, seed);
		break; /* one event per ms */
	}
}

/* At most one holder, and a holder's key and lease are alive on the server. */
static void sim_check(const struct server *sv, const struct simnode *n, uint64_t now)
{
	int holders = 0;

	for (int i = 0; i < SIMN; i++) {
		if (!n[i].l.hold)
			continue;
		holders++;
		assert_true(lease_alive(sv, n[i].l.lease, now));
		if (!(sv->present && sv->klease == n[i].l.lease))
			print_message(
			    "t=%llu node %d lease %lld key_term %lld rev %lld; server present %d "
			    "term %lld lease %lld rev %lld\n",
			    (unsigned long long)now, i, (long long)n[i].l.lease,
			    (long long)n[i].l.key_term, (long long)n[i].l.rev, sv->present,
			    (long long)sv->term, (long long)sv->klease, (long long)sv->rev);
		assert_true(sv->present && sv->klease == n[i].l.lease);
	}
	assert_true(holders <= 1);
}

static void sim_policy(struct simnode *n, int i, uint64_t now, unsigned *seed)
{
	struct etcdlead_event ev = {.type = ELE_TICK};

	if (rnd(seed, 4000) == 0)
		n->cut = !n->cut;
	if (n->l.hold && rnd(seed, 5000) == 0) {
		ev.type = ELE_RESIGN;
		n->resume_want = now + 1000;
	} else if (!n->l.want && now >= n->resume_want) {
		ev.type = ELE_WANT;
		ev.on = true;
		ev.first = i == 0;
	} else if (now < n->l.next_try_ms && now < n->l.probe_after_ms &&
		   now < n->l.last_renew_ms + n->l.renew_ms && rnd(seed, 50)) {
		return; /* ticks only now and then, like the timer */
	}
	sim_feed(n, &ev, now, seed);
}

static void run_model(unsigned seed, uint64_t ms, int *holds_seen)
{
	static struct server sv;
	static struct simnode n[SIMN];
	struct etcdlead_params p = {.ttl_ms = TTL};

	memset(&sv, 0, sizeof(sv));
	memset(n, 0, sizeof(n));
	for (int i = 0; i < SIMN; i++)
		etcdlead_init(&n[i].l, &p, T0);
	for (uint64_t t = T0; t < T0 + ms; t++) {
		server_expire(&sv, t);
		if (rnd(&seed, 10000) == 0)
			sv.compacted = sv.rev;
		for (int i = 0; i < SIMN; i++) {
			if (t > T0 + ms - 4 * TTL)
				n[i].cut = false; /* heal for the end */
			sim_policy(&n[i], i, t, &seed);
			sim_requests(&sv, &n[i], t, &seed);
			sim_watch(&sv, &n[i], t, &seed);
			sim_check(&sv, n, t);
			*holds_seen += n[i].l.hold && rnd(&seed, 1000) == 0;
		}
	}
}

static void test_model_single_holder(void **state)
{
	int holds = 0;

	for (unsigned seed = 1; seed <= 12; seed++)
		run_model(seed, 60000, &holds);
	assert_true(holds > 100); /* leadership did happen, not just nobody holding */
}

/* ------------------------------------------------------- gateway bodies (etcd 3.4.23) */

static void test_json_requests(void **state)
{
	char buf[ETCDJSON_REQ_MAX], key[128];

	assert_int_equal(etcdjson_b64("/kcwatch/kc/leader", key, sizeof(key)), 0);
	assert_string_equal(key, "L2tjd2F0Y2gva2MvbGVhZGVy");
	assert_int_equal(etcdjson_txn_req(buf, sizeof(buf), key, "bGIx", 8756302034112933383LL), 0);
	assert_string_equal(
	    buf, "{\"compare\":[{\"key\":\"L2tjd2F0Y2gva2MvbGVhZGVy\",\"target\":"
		 "\"CREATE\",\"result\":\"EQUAL\",\"create_revision\":\"0\"}],"
		 "\"success\":[{\"request_put\":{\"key\":\"L2tjd2F0Y2gva2MvbGVhZGVy\","
		 "\"value\":\"bGIx\",\"lease\":\"8756302034112933383\"}}],"
		 "\"failure\":[{\"request_range\":{\"key\":\"L2tjd2F0Y2gva2MvbGVhZGVy\"}}]}");
	assert_int_equal(etcdjson_delete_req(buf, sizeof(buf), key, 2), 0);
	assert_non_null(strstr(buf, "\"create_revision\":\"2\""));
	assert_non_null(strstr(buf, "request_delete_range"));
	assert_int_equal(etcdjson_auth_req(buf, sizeof(buf), "kc\"w", "p\\w"), 0);
	assert_string_equal(buf, "{\"name\":\"kc\\\"w\",\"password\":\"p\\\\w\"}");
	assert_int_equal(etcdjson_grant_req(buf, 5, 5), -ENOSPC);
}

#define HDR                                                                                        \
	"{\"header\":{\"cluster_id\":\"2305831268998743699\",\"member_id\":\"1182\",\"revision\":" \
	"\"2\",\"raft_term\":\"2\"}"

static void test_json_answers(void **state)
{
	struct etcdlead_event ev;
	char why[128];

	assert_int_equal(etcdjson_grant(HDR ",\"ID\":\"8756302034112933381\",\"TTL\":\"2\"}", &ev,
					why, sizeof(why)),
			 0);
	assert_true(ev.type == ELE_GRANT_OK && ev.lease == 8756302034112933381LL);
	assert_int_equal(etcdjson_key(HDR ",\"succeeded\":true,\"responses\":[{\"response_put\":{"
					  "\"header\":{\"revision\":\"2\"}}}]}",
				      &ev, why, sizeof(why)),
			 0);
	assert_true(ev.won && ev.present && ev.term == 2 && ev.rev == 2);
	assert_int_equal(
	    etcdjson_key(
		HDR
		",\"responses\":[{\"response_range\":{\"header\":{\"revision\":\"2\"},\"kvs\":[{"
		"\"key\":\"L2tj\",\"create_revision\":\"2\",\"mod_revision\":\"2\",\"version\":"
		"\"1\",\"value\":\"bGIx\",\"lease\":\"2657865188704339973\"}],\"count\":\"1\"}}]}",
		&ev, why, sizeof(why)),
	    0);
	assert_true(!ev.won && ev.present && ev.term == 2 && ev.lease == 2657865188704339973LL);
	assert_int_equal(etcdjson_key(HDR "}", &ev, why, sizeof(why)), 0); /* range: absent */
	assert_true(!ev.present && ev.rev == 2);
	assert_int_equal(
	    etcdjson_key(
		"{\"error\":\"etcdserver: requested lease not found\",\"message\":\"etcdserver: "
		"requested lease not found\",\"code\":5}",
		&ev, why, sizeof(why)),
	    -EREMOTEIO);
	assert_string_equal(why, "etcdserver: requested lease not found");
	assert_int_equal(etcdjson_keepalive("{\"result\":" HDR ",\"ID\":\"26\",\"TTL\":\"20\"}}",
					    &ev, why, sizeof(why)),
			 0);
	assert_int_equal(ev.ttl_ms, 20000);
	assert_int_equal(
	    etcdjson_keepalive("{\"result\":" HDR ",\"ID\":\"26\"}}", &ev, why, sizeof(why)), 0);
	assert_int_equal(ev.ttl_ms, 0); /* gone */
	assert_int_equal(etcdjson_keepalive("<html>", &ev, why, sizeof(why)), -EPROTO);
}

static void test_json_watch(void **state)
{
	struct etcdlead_event ev[4];
	char why[128];

	assert_int_equal(
	    etcdjson_watch_msg("{\"result\":" HDR ",\"created\":true}}", ev, 4, why, sizeof(why)),
	    0);
	assert_int_equal(
	    etcdjson_watch_msg(
		"{\"result\":" HDR
		",\"events\":[{\"kv\":{\"key\":\"L2tj\",\"create_revision\":\"2\",\"mod_revision\":"
		"\"2\",\"version\":\"1\",\"value\":\"bGIx\",\"lease\":\"875\"}},{\"type\":"
		"\"DELETE\",\"kv\":{\"key\":\"L2tj\",\"mod_revision\":\"3\"}}]}}",
		ev, 4, why, sizeof(why)),
	    2);
	assert_true(ev[0].type == ELE_WATCH_PUT && ev[0].term == 2 && ev[0].lease == 875 &&
		    ev[0].rev == 2);
	assert_true(ev[1].type == ELE_WATCH_DELETE && ev[1].rev == 3);
	assert_int_equal(etcdjson_watch_msg("{\"result\":{\"header\":{\"raft_term\":\"2\"},"
					    "\"canceled\":true,\"compact_revision\":\"3\"}}",
					    ev, 4, why, sizeof(why)),
			 1);
	assert_int_equal(ev[0].type, ELE_WATCH_FAIL);
	assert_string_equal(why, "watch cancelled by the server (compact revision 3)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_grant_probe_watch_claim),
	    cmocka_unit_test(test_keepalive_period),
	    cmocka_unit_test(test_release_deadline),
	    cmocka_unit_test(test_keep_on_lost),
	    cmocka_unit_test(test_lease_gone_regrant),
	    cmocka_unit_test(test_follower_claims_on_delete),
	    cmocka_unit_test(test_not_first_yields),
	    cmocka_unit_test(test_resign_deletes_own_term),
	    cmocka_unit_test(test_watch_cancel_keeps_hold),
	    cmocka_unit_test(test_watch_shows_other_holder),
	    cmocka_unit_test(test_want_off_deletes),
	    cmocka_unit_test(test_grant_retry),
	    cmocka_unit_test(test_model_single_holder),
	    cmocka_unit_test(test_json_requests),
	    cmocka_unit_test(test_json_answers),
	    cmocka_unit_test(test_json_watch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
