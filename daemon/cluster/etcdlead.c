/* SPDX-License-Identifier: MIT */
/* etcdlead.c: the etcd lease and leader key as a pure state machine (rules in etcdlead.h). */
#include "etcdlead.h"

#include <string.h>

static uint64_t deadline(const struct etcdlead *l)
{
	return l->last_renew_ms + l->p.ttl_ms - l->renew_ms;
}

static bool lease_valid(const struct etcdlead *l, uint64_t now)
{
	if (!l->lease)
		return false;
	return l->p.keep_on_lost || now < deadline(l);
}

static bool key_mine(const struct etcdlead *l)
{
	return l->key_present && l->lease && l->key_lease == l->lease;
}

uint64_t etcdlead_term(const struct etcdlead *l)
{
	return l->hold ? (uint64_t)l->key_term : 0;
}

uint64_t etcdlead_lease_left_ms(const struct etcdlead *l, uint64_t now_ms)
{
	if (!l->lease || now_ms >= deadline(l))
		return 0;
	return deadline(l) - now_ms;
}

void etcdlead_init(struct etcdlead *l, const struct etcdlead_params *p, uint64_t now_ms)
{
	memset(l, 0, sizeof(*l));
	l->p = *p;
	l->renew_ms = p->ttl_ms / 3;
	l->retry_ms = l->renew_ms / 4 > 100 ? l->renew_ms / 4 : 100;
	l->next_try_ms = now_ms;
}

/* The lease is gone on the server: so is the key bound to it. */
static void lease_gone(struct etcdlead *l, uint64_t now)
{
	if (key_mine(l))
		l->key_present = false;
	l->lease = 0;
	l->next_try_ms = now;
}

static void on_key(struct etcdlead *l, const struct etcdlead_event *ev)
{
	l->probe_busy = false;
	l->key_known = true;
	if (ev->rev < l->rev)
		return; /* older than a watch event already seen: that one is the truth */
	l->key_present = ev->won || ev->present;
	l->key_term = ev->term;
	l->key_lease = ev->won ? l->lease : ev->lease;
	l->rev = ev->rev;
}

static void on_watch(struct etcdlead *l, const struct etcdlead_event *ev, uint64_t now)
{
	if (ev->type != ELE_WATCH_FAIL && ev->rev <= l->rev)
		return; /* an answer about the key already covered it */
	if (ev->type != ELE_WATCH_FAIL)
		l->rev = ev->rev;
	if (ev->type == ELE_WATCH_PUT) {
		l->key_present = true;
		l->key_term = ev->term;
		l->key_lease = ev->lease;
	} else if (ev->type == ELE_WATCH_DELETE) {
		l->key_present = false;
		if (!l->first && l->probe_after_ms < now + l->retry_ms)
			l->probe_after_ms = now + l->retry_ms; /* the best node first */
	} else {
		/* state unknown until the next answer; a held key stays held meanwhile */
		l->watch_on = false;
		l->key_known = false;
	}
}

static void on_event(struct etcdlead *l, const struct etcdlead_event *ev, uint64_t now)
{
	switch (ev->type) {
	case ELE_WANT:
		l->want = ev->on;
		l->first = ev->first;
		break;
	case ELE_GRANT_OK:
		l->grant_busy = false;
		l->lease = ev->lease;
		l->last_renew_ms = ev->sent_ms;
		break;
	case ELE_GRANT_FAIL:
		l->grant_busy = false;
		l->next_try_ms = now + l->retry_ms;
		break;
	case ELE_KA_OK:
		l->ka_busy = false;
		if (ev->ttl_ms <= 0)
			lease_gone(l, now);
		else if (ev->sent_ms > l->last_renew_ms)
			l->last_renew_ms = ev->sent_ms;
		break;
	case ELE_KA_FAIL:
		l->ka_busy = false;
		l->next_try_ms = now + l->retry_ms;
		break;
	case ELE_KEY:
		on_key(l, ev);
		break;
	case ELE_KEY_FAIL:
		l->probe_busy = false;
		l->probe_after_ms = now + l->retry_ms;
		break;
	case ELE_WATCH_PUT:
	case ELE_WATCH_DELETE:
	case ELE_WATCH_FAIL:
		on_watch(l, ev, now);
		break;
	case ELE_RESIGN:
		l->want = false;
		break;
	case ELE_DEL_DONE:
		l->del_busy = false;
		break;
	case ELE_TICK:
	default:
		break;
	}
}

/* Grant a lease when there is none, renew the one there is. */
static void lease_actions(struct etcdlead *l, uint64_t now, struct etcdlead_actions *out)
{
	if (!l->lease) {
		if (!l->grant_busy && now >= l->next_try_ms) {
			l->grant_busy = true;
			out->flags |= ELA_GRANT;
		}
		return;
	}
	if (l->ka_busy)
		return;
	if (now >= l->last_renew_ms + l->renew_ms && now >= l->next_try_ms) {
		l->ka_busy = true;
		out->flags |= ELA_KEEPALIVE;
		out->lease = l->lease;
	}
}

/* Ask about the key, follow it, claim it, give it up. */
static void key_actions(struct etcdlead *l, uint64_t now, struct etcdlead_actions *out)
{
	bool valid = lease_valid(l, now);
	bool recheck = l->key_present && !key_mine(l) && now >= l->probed_ms + l->p.ttl_ms;
	bool claim = l->want && valid && (!l->key_known || !l->key_present || recheck);

	if (!l->probe_busy && now >= l->probe_after_ms && (!l->key_known || claim)) {
		/* a transaction needs a lease to bind to; without one, only look */
		l->probe_busy = true;
		l->probed_ms = now;
		out->flags |= claim ? ELA_TXN : ELA_RANGE;
		out->lease = l->lease;
	}
	if (l->key_known && !l->watch_on) {
		l->watch_on = true;
		out->flags |= ELA_WATCH;
		out->watch_rev = l->rev + 1;
	}
	if (key_mine(l) && !l->want && !l->del_busy) {
		l->del_busy = true;
		out->flags |= ELA_DELETE;
		out->del_term = l->key_term;
		l->key_present = false; /* gone for this node: never counted as held again */
	}
}

static void outputs(struct etcdlead *l, uint64_t now, struct etcdlead_actions *out)
{
	bool ok = lease_valid(l, now);
	bool hold = ok && key_mine(l) && l->want;

	if (ok != l->ok) {
		l->ok = ok;
		out->flags |= ELA_OK_CHANGED;
	}
	if (hold == l->hold)
		return;
	if (!hold && !ok)
		l->released_ms = now;
	l->hold = hold;
	l->hold_changes++;
	out->flags |= hold ? ELA_HOLD : ELA_RELEASE;
}

static void earliest(uint64_t *w, uint64_t t, uint64_t now)
{
	if (t > now && t < *w)
		*w = t;
}

static uint64_t next_wakeup(const struct etcdlead *l, uint64_t now)
{
	uint64_t w = now + l->renew_ms;

	if (l->lease) {
		earliest(&w, l->last_renew_ms + l->renew_ms, now);
		earliest(&w, deadline(l), now);
	}
	earliest(&w, l->next_try_ms, now);
	earliest(&w, l->probe_after_ms, now);
	if (l->want && l->key_present && !key_mine(l))
		earliest(&w, l->probed_ms + l->p.ttl_ms, now);
	return w;
}

void etcdlead_step(struct etcdlead *l, const struct etcdlead_event *ev, uint64_t now_ms,
		   struct etcdlead_actions *out)
{
	memset(out, 0, sizeof(*out));
	on_event(l, ev, now_ms);
	/* hold ends first: a stale key must never be claimed from the old state */
	outputs(l, now_ms, out);
	lease_actions(l, now_ms, out);
	key_actions(l, now_ms, out);
	outputs(l, now_ms, out);
	out->wakeup_ms = next_wakeup(l, now_ms);
}
