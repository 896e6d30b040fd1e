/* SPDX-License-Identifier: MIT */
/* plan.h: the DNS updater's decisions as a pure planner (no I/O, the caller's clock). */
#ifndef KCW_DNSPLAN_H
#define KCW_DNSPLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "fence.h"

/*
 * The planner decides what the updater does; dns.c carries it out (socket,
 * timers, messages, logs). One exchange with the server at a time:
 *
 *  - dnsplan_step(p, ev, now) applies an event and returns DNSP_* bits; the
 *    caller runs the callbacks they name and then, if DNSP_KICK is set, asks
 *    dnsplan_next() for the exchange to start.
 *  - dnsplan_next(p, now) picks the next exchange (fence read, update, query)
 *    when none is in flight and no backoff runs; it marks it in flight and
 *    sets io_at. For an update, p->writing (the fence value to write) and
 *    p->with_addrs (addresses in the message) say what to send.
 *  - Four deadlines (0 = none) are the caller's timers: io_at (answer
 *    timeout), retry_at (backoff), renew_at (renew the fence / re-read it
 *    while stale), reconcile_at (re-query the name). When one passes the
 *    caller steps the matching event.
 *  - Backoff: 250 ms doubling to 5 s, equal jitter [delay/2, delay]; the
 *    random value comes with the event (ev.rnd), so tests choose it.
 */

#define DNSP_BACKOFF_BASE_MS 250u
#define DNSP_BACKOFF_CAP_MS  5000u

enum dnsplan_op { DNSP_OP_NONE = 0, DNSP_OP_READ, DNSP_OP_UPDATE, DNSP_OP_QUERY };

enum dnsplan_event_type {
	DNSP_EV_LEAD = 1,  /* became leader: term, node */
	DNSP_EV_RESIGN,	   /* no longer leader */
	DNSP_EV_TARGET,	   /* the target changed: has_target */
	DNSP_EV_FAILED,	   /* the exchange in flight failed (no answer, error rcode, send) */
	DNSP_EV_READ,	   /* fence read answered: texts, n */
	DNSP_EV_UPDATED,   /* update answered NOERROR: rrset_failed */
	DNSP_EV_PREREQ,	   /* update failed its prerequisite */
	DNSP_EV_QUERIED,   /* reconcile query answered: match */
	DNSP_EV_RETRY,	   /* retry_at passed */
	DNSP_EV_RENEW,	   /* renew_at passed */
	DNSP_EV_RECONCILE, /* reconcile_at passed */
};

struct dnsplan_event {
	enum dnsplan_event_type type;
	uint64_t rnd; /* a random value, used for backoff jitter */
	/* DNSP_EV_LEAD */
	uint64_t term;
	const char *node;
	/* DNSP_EV_TARGET */
	bool has_target;
	/* DNSP_EV_READ */
	const char *const *texts;
	size_t n;
	/* DNSP_EV_UPDATED: the fence RRset could not be kept (out of memory): read it first */
	bool rrset_failed;
	/* DNSP_EV_QUERIED: the server serves the target */
	bool match;
};

enum dnsplan_action {
	DNSP_KICK = 1u << 0,	    /* then call dnsplan_next() */
	DNSP_ABANDON = 1u << 1,	    /* close the exchange in flight without an answer */
	DNSP_BACKOFF = 1u << 2,	    /* a retry is scheduled at retry_at (delay in out) */
	DNSP_CB_STALE = 1u << 3,    /* report stale: cb(true, out.fence_term, out.holder) */
	DNSP_CB_UNFENCED = 1u << 4, /* report unfenced: cb(false, out.fence_term, out.holder) */
	DNSP_IMPLAUSIBLE = 1u << 5, /* fence term implausible (out.fence_term): report */
	DNSP_GARBAGE = 1u << 6,	    /* the fence read holds unparsable text */
	DNSP_MISMATCH = 1u << 7,    /* the server serves something else: updating */
	DNSP_WRITTEN = 1u << 8,	    /* the update succeeded */
	DNSP_ROLE = 1u << 9,	    /* the role changed (dns_set_leader was no repeat) */
};

struct dnsplan_out {
	unsigned act;
	uint64_t delay_ms; /* DNSP_BACKOFF */
	uint64_t fence_term;
	char holder[FENCE_NODE_MAX];
};

struct dnsplan_cfg {
	bool fence;
	uint32_t fence_renew_ms;
	uint32_t ttl;
	uint32_t timeout_ms;
};

struct dnsplan {
	struct dnsplan_cfg cfg;
	/* role and target */
	bool leader;
	uint64_t term;
	char node[FENCE_NODE_MAX];
	bool has_target;
	struct fence_state fence;
	/* pending work; an exchange takes its item and gives it back on failure */
	bool need_read, need_update, need_query;
	enum dnsplan_op op; /* the exchange in flight */
	/* the update in flight */
	struct fence_value writing;
	bool with_addrs;
	bool addrs_current;   /* this leadership wrote the current target: renew the fence only */
	uint64_t target_gen;  /* bumped by every target change */
	uint64_t writing_gen; /* target_gen of the addresses in the update in flight, 0 = none */
	unsigned failures;
	unsigned prereq_streak;
	bool backing_off;
	/* deadlines (the caller's monotonic clock, 0 = none) */
	uint64_t io_at, retry_at, renew_at, reconcile_at;
};

void dnsplan_init(struct dnsplan *p, const struct dnsplan_cfg *cfg);
/* Applies ev at now; out tells what to do. Returns out->act. */
unsigned dnsplan_step(struct dnsplan *p, const struct dnsplan_event *ev, uint64_t now,
		      struct dnsplan_out *out);
/* The exchange to start now (DNSP_OP_NONE: none); it is then in flight. */
enum dnsplan_op dnsplan_next(struct dnsplan *p, uint64_t now);
/* Capped exponential backoff with equal jitter for the current failure count. */
uint64_t dnsplan_backoff_ms(unsigned failures, uint64_t rnd);

#endif
