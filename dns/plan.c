/* SPDX-License-Identifier: MIT */
/* plan.c: the DNS updater's decisions: which exchange next, when to retry, what to report. */
#include "plan.h"

#include <stdio.h>
#include <string.h>

void dnsplan_init(struct dnsplan *p, const struct dnsplan_cfg *cfg)
{
	memset(p, 0, sizeof(*p));
	p->cfg = *cfg;
	p->target_gen = 1; /* writing_gen 0 means "no addresses in flight" */
	fence_init(&p->fence, cfg->fence_renew_ms);
}

uint64_t dnsplan_backoff_ms(unsigned failures, uint64_t rnd)
{
	unsigned shift = failures < 6 ? failures : 6;
	uint64_t delay = (uint64_t)DNSP_BACKOFF_BASE_MS << shift;

	if (delay > DNSP_BACKOFF_CAP_MS)
		delay = DNSP_BACKOFF_CAP_MS;
	return delay / 2 + rnd % (delay / 2 + 1);
}

static unsigned backoff(struct dnsplan *p, uint64_t now, uint64_t rnd, struct dnsplan_out *out)
{
	out->delay_ms = dnsplan_backoff_ms(p->failures, rnd);
	p->failures++;
	p->backing_off = true;
	p->retry_at = now + out->delay_ms;
	return DNSP_BACKOFF;
}

/* The exchange in flight is over (answered, failed or abandoned). */
static enum dnsplan_op exchange_done(struct dnsplan *p)
{
	enum dnsplan_op op = p->op;

	p->op = DNSP_OP_NONE;
	p->io_at = 0;
	return op;
}

/* A failed exchange gives its work item back and retries later. */
static unsigned on_failed(struct dnsplan *p, uint64_t now, uint64_t rnd, struct dnsplan_out *out)
{
	enum dnsplan_op op = exchange_done(p);

	if (op == DNSP_OP_NONE)
		return 0;
	if (op == DNSP_OP_READ)
		p->need_read = true;
	else if (op == DNSP_OP_UPDATE)
		p->need_update = true;
	else
		p->need_query = true;
	return backoff(p, now, rnd, out);
}

static void holder(struct dnsplan_out *out, uint64_t term, const char *node)
{
	out->fence_term = term;
	snprintf(out->holder, sizeof(out->holder), "%s", node);
}

/* Stale: stop writing at once, keep re-reading the fence every renewal. */
static unsigned on_stale(struct dnsplan *p, uint64_t now, struct dnsplan_out *out)
{
	holder(out, p->fence.stale_term, p->fence.cur.node);
	p->leader = false;
	p->need_update = p->need_query = false;
	p->reconcile_at = 0;
	p->renew_at = now + p->cfg.fence_renew_ms;
	return DNSP_CB_STALE;
}

static unsigned on_read(struct dnsplan *p, const struct dnsplan_event *ev, uint64_t now,
			struct dnsplan_out *out)
{
	enum fence_verdict v;
	unsigned act = DNSP_KICK;

	exchange_done(p);
	p->failures = 0;
	v = fence_on_read(&p->fence, ev->texts, ev->n, now);
	if (p->fence.garbage)
		act |= DNSP_GARBAGE;
	switch (v) {
	case FENCE_WRITE:
		p->need_update = true;
		break;
	case FENCE_STALE:
		return (act & ~DNSP_KICK) | on_stale(p, now, out);
	case FENCE_UNFENCED:
		holder(out, p->fence.cur.term, p->fence.cur.node);
		if (p->leader)
			p->need_update = true; /* leading with a term not below the fence's */
		else
			p->renew_at = 0;
		return act | DNSP_CB_UNFENCED;
	case FENCE_IMPLAUSIBLE:
		/* Neither fenced nor allowed to write: drop the pending write and read again at the
		 * next renewal, not as soon as this read is answered (a read every few ms). */
		holder(out, p->fence.implausible_term, "");
		p->need_update = false;
		p->renew_at = now + p->cfg.fence_renew_ms;
		return act | DNSP_IMPLAUSIBLE;
	case FENCE_WAIT:
	case FENCE_REREAD:
		if (p->fence.stale) { /* re-read every renew, and when the quiet period ends */
			uint64_t at = now + p->cfg.fence_renew_ms;
			uint64_t quiet = fence_quiet_at(&p->fence);

			p->renew_at = quiet && quiet < at ? quiet : at;
		}
		break;
	}
	return act;
}

static unsigned on_updated(struct dnsplan *p, const struct dnsplan_event *ev)
{
	exchange_done(p);
	p->failures = 0;
	p->prereq_streak = 0;
	if (p->writing_gen) {
		p->need_query = true; /* check what the server serves after an address write */
		/* written, unless the target moved while the update was in flight */
		p->addrs_current = p->writing_gen == p->target_gen;
	}
	if (p->cfg.fence) {
		fence_on_written(&p->fence, &p->writing);
		if (ev->rrset_failed) /* the next update reads the fence first */
			fence_on_prereq_failed(&p->fence);
	}
	return DNSP_WRITTEN | DNSP_KICK;
}

static unsigned on_prereq(struct dnsplan *p, uint64_t now, uint64_t rnd, struct dnsplan_out *out)
{
	exchange_done(p);
	fence_on_prereq_failed(&p->fence);
	p->need_read = p->need_update = true;
	if (p->prereq_streak++ > 0)
		return backoff(p, now, rnd, out); /* changing again and again: do not spin */
	return DNSP_KICK;
}

static unsigned on_queried(struct dnsplan *p, const struct dnsplan_event *ev)
{
	unsigned act = DNSP_KICK;

	exchange_done(p);
	p->failures = 0;
	if (p->leader && p->has_target && !ev->match) {
		p->addrs_current = false;
		p->need_update = true;
		act |= DNSP_MISMATCH;
	}
	return act;
}

static unsigned on_resign(struct dnsplan *p)
{
	fence_resign(&p->fence);
	p->reconcile_at = 0;
	if (!p->fence.stale) {
		p->renew_at = 0;
		p->retry_at = 0;
		p->backing_off = false;
		p->need_read = false;
	}
	return DNSP_ROLE;
}

static unsigned on_lead(struct dnsplan *p, const struct dnsplan_event *ev, uint64_t now)
{
	p->term = ev->term;
	p->addrs_current = false;
	snprintf(p->node, sizeof(p->node), "%s", ev->node ? ev->node : "");
	fence_lead(&p->fence, ev->term, p->node);
	p->need_read = p->cfg.fence;
	p->need_update = true;
	p->failures = 0;
	p->prereq_streak = 0;
	p->backing_off = false;
	p->retry_at = 0;
	if (p->cfg.fence)
		p->renew_at = now + p->cfg.fence_renew_ms;
	p->reconcile_at = now + (uint64_t)p->cfg.ttl * 1000u;
	return DNSP_ROLE | DNSP_KICK;
}

static unsigned on_role(struct dnsplan *p, const struct dnsplan_event *ev, uint64_t now)
{
	bool leader = ev->type == DNSP_EV_LEAD;
	unsigned act = 0;

	if (leader && p->leader && ev->term == p->term)
		return 0;
	if (!leader && !p->leader)
		return 0;
	/* a fence read of a stale node goes on after resigning */
	if (p->op != DNSP_OP_NONE && !(p->op == DNSP_OP_READ && !leader && p->fence.stale)) {
		exchange_done(p);
		act |= DNSP_ABANDON;
	}
	p->leader = leader;
	p->need_update = p->need_query = false;
	return act | (leader ? on_lead(p, ev, now) : on_resign(p));
}

static unsigned on_timer(struct dnsplan *p, enum dnsplan_event_type type, uint64_t now)
{
	switch (type) {
	case DNSP_EV_RETRY:
		p->retry_at = 0;
		p->backing_off = false;
		return DNSP_KICK;
	case DNSP_EV_RENEW: /* leader: renew the fence; stale: re-read it */
		p->renew_at = 0;
		if (p->leader && p->cfg.fence) {
			p->need_update = true;
			p->renew_at = now + p->cfg.fence_renew_ms;
		} else if (p->fence.stale) {
			p->need_read = true;
			p->renew_at = now + p->cfg.fence_renew_ms;
		}
		return DNSP_KICK;
	case DNSP_EV_RECONCILE:
	case DNSP_EV_LEAD: /* this and the ones below are no timers: never passed here */
	case DNSP_EV_TARGET:
	case DNSP_EV_READ:
	case DNSP_EV_QUERIED:
	case DNSP_EV_UPDATED:
	case DNSP_EV_PREREQ:
	case DNSP_EV_FAILED:
	case DNSP_EV_RESIGN:
	default:
		p->reconcile_at = 0;
		if (!p->leader)
			return 0;
		p->need_query = true;
		p->reconcile_at = now + (uint64_t)p->cfg.ttl * 1000u;
		return DNSP_KICK;
	}
}

unsigned dnsplan_step(struct dnsplan *p, const struct dnsplan_event *ev, uint64_t now,
		      struct dnsplan_out *out)
{
	memset(out, 0, sizeof(*out));
	switch (ev->type) {
	case DNSP_EV_LEAD:
	case DNSP_EV_RESIGN:
		out->act = on_role(p, ev, now);
		break;
	case DNSP_EV_TARGET:
		p->has_target = ev->has_target;
		p->target_gen++;
		p->addrs_current = false;
		if (p->leader) {
			p->need_update = true;
			out->act = DNSP_KICK;
		}
		break;
	case DNSP_EV_FAILED:
		out->act = on_failed(p, now, ev->rnd, out);
		break;
	case DNSP_EV_READ:
		out->act = on_read(p, ev, now, out);
		break;
	case DNSP_EV_UPDATED:
		out->act = on_updated(p, ev);
		break;
	case DNSP_EV_PREREQ:
		out->act = on_prereq(p, now, ev->rnd, out);
		break;
	case DNSP_EV_QUERIED:
		out->act = on_queried(p, ev);
		break;
	case DNSP_EV_RETRY:
	case DNSP_EV_RENEW:
	case DNSP_EV_RECONCILE:
		out->act = on_timer(p, ev->type, now);
		break;
	}
	return out->act;
}

/* Drops work that cannot be done in the current role. */
static void prune(struct dnsplan *p)
{
	if (p->leader && p->cfg.fence && p->need_update && !p->fence.known)
		p->need_read = true;
	if (p->leader && !p->cfg.fence && !p->has_target)
		p->need_update = false; /* nothing to write */
	if (!p->leader && !p->fence.stale)
		p->need_read = p->need_update = p->need_query = false;
}

static void plan_update(struct dnsplan *p)
{
	/* A renewal of this leadership's own write leaves the addresses alone: the zone
	 * changes less, and the records cannot be older than the fence that guards them. */
	p->with_addrs = p->has_target && !(p->cfg.fence && p->addrs_current);
	p->writing_gen = p->with_addrs || !p->cfg.fence ? p->target_gen : 0;
	if (p->cfg.fence)
		fence_next(&p->fence, &p->writing);
}

enum dnsplan_op dnsplan_next(struct dnsplan *p, uint64_t now)
{
	enum dnsplan_op op = DNSP_OP_NONE;

	if (p->op != DNSP_OP_NONE || p->backing_off)
		return DNSP_OP_NONE;
	prune(p);
	if (p->need_read && (p->leader || p->fence.stale)) {
		p->need_read = false;
		op = DNSP_OP_READ;
	} else if (p->leader && p->need_update) {
		p->need_update = false;
		op = DNSP_OP_UPDATE;
		plan_update(p);
	} else if (p->leader && p->need_query) {
		p->need_query = false;
		if (p->has_target)
			op = DNSP_OP_QUERY;
	}
	if (op != DNSP_OP_NONE) {
		p->op = op;
		p->io_at = now + p->cfg.timeout_ms;
	}
	return op;
}
