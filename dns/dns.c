/* SPDX-License-Identifier: MIT */
/* dns.c: the DNS updater driver: non-blocking UDP exchanges with named on the event loop. */
#include "dns.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "fence.h"
#include "log.h"
#include "loop.h"
#include "keyfile.h"
#include "plan.h"
#include "tsigkey.h"
#include "dnsmsg.h"

_Static_assert(DNS_RESULTS == DNSR_COUNT, "dns.h DNS_RESULTS must match dnsmsg.h DNSR_COUNT");

#define NAME_BUF      (LDNS_MAX_DOMAINLEN + 16)
#define FENCE_RRS_MAX 8
#define RESULT_MAX    (DNSMSG_REASON_MAX + 96)

enum { T_IO, T_RETRY, T_RENEW, T_RECONCILE, T_COUNT };

struct dns_updater {
	struct loop *loop;
	struct cfg_dns cfg;
	char name[NAME_BUF];	   /* as configured, no trailing dot */
	char fence_name[NAME_BUF]; /* "_kcwatch.<name>." */
	char server[ADDR_STRLEN + 8];
	struct tsig_key key;
	bool has_key;
	dns_fence_cb cb;
	void *cb_arg;
	struct dnsplan plan; /* every decision: role, fence, pending work, deadlines */
	/* target */
	bool has_v4, has_v6;
	struct kcw_addr v4, v6;
	ldns_rr_list *fence_rrs; /* TXT RRset as last read or written */
	/* the exchange in flight */
	int fd;
	struct dnsmsg_req req;
	char writing_text[FENCE_TEXT_MAX];
	char ignored[96]; /* why the last datagram was ignored */
	struct loop_timer *timers[T_COUNT];
	uint64_t armed[T_COUNT]; /* the plan's deadline each timer is armed at, 0 = none */
	uint64_t rng;
	char logged[DNSMSG_REASON_MAX]; /* last failure logged (each is logged once) */
	uint64_t implausible_logged;	/* last implausible fence term logged */
	/* status */
	char served[160];
	char written[160]; /* addresses of the last successful update */
	char last_result[RESULT_MAX];
	bool fence_seen; /* the fence was read or written at least once */
	bool updated;
	uint64_t last_update_ms;
	struct dns_counters counters;
};

static void kick(struct dns_updater *d);

static void set_result(struct dns_updater *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_result(struct dns_updater *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->last_result, sizeof(d->last_result), fmt, ap);
	va_end(ap);
}

static uint64_t rng_next(struct dns_updater *d)
{
	uint64_t x = d->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	d->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static uint16_t new_id(struct dns_updater *d)
{
	uint16_t id;

	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != (ssize_t)sizeof(id))
		id = (uint16_t)(rng_next(d) >> 48);
	return id;
}

static void addrs_text(const struct dns_updater *d, char *buf, size_t len)
{
	char a[ADDR_STRLEN], b[ADDR_STRLEN];

	if (d->has_v4 && d->has_v6)
		snprintf(buf, len, "A %s AAAA %s", addr_str(&d->v4, a, sizeof(a)),
			 addr_str(&d->v6, b, sizeof(b)));
	else if (d->has_v4 || d->has_v6)
		snprintf(buf, len, "%s %s", d->has_v4 ? "A" : "AAAA",
			 addr_str(d->has_v4 ? &d->v4 : &d->v6, a, sizeof(a)));
	else
		snprintf(buf, len, "none");
}

static void exchange_close(struct dns_updater *d)
{
	if (d->fd >= 0) {
		loop_del_fd(d->loop, d->fd);
		close(d->fd);
		d->fd = -1;
	}
	dnsmsg_req_free(&d->req);
}

/* Arms (or disarms) each timer at the plan's deadline when that changed. */
static void sync_timers(struct dns_updater *d)
{
	const uint64_t at[T_COUNT] = {d->plan.io_at, d->plan.retry_at, d->plan.renew_at,
				      d->plan.reconcile_at};

	for (unsigned i = 0; i < T_COUNT; i++) {
		if (at[i] == d->armed[i])
			continue;
		d->armed[i] = at[i];
		if (at[i])
			loop_timer_arm_at(d->timers[i], at[i]);
		else
			loop_timer_disarm(d->timers[i]);
	}
}

static const char *op_name(enum dnsplan_op op)
{
	return op == DNSP_OP_READ ? "fence read" : op == DNSP_OP_UPDATE ? "update" : "query";
}

static void report_stale(struct dns_updater *d, const struct dnsplan_out *o)
{
	uint64_t ft = o->fence_term, own = d->plan.term;

	if (d->cb)
		d->cb(d->cb_arg, true, ft, o->holder);
	/* The daemon may know the holder does not lead now and lead on above the fence. */
	if (d->plan.leader && d->plan.term > ft)
		return;
	d->counters.stale++;
	if (ft == own) { /* same term: the claim of the higher node name stands */
		set_result(d,
			   "stale: fence term %" PRIu64 " of node %s above own term %" PRIu64
			   " of node %s (same term: the higher node name wins)",
			   ft, o->holder, own, d->plan.node);
		log_err("%s: %s: stale: fence %s holds term %" PRIu64 " of node %s, above own term "
			"%" PRIu64 " of node %s (same term: the higher node name wins); leaving "
			"leadership",
			__func__, d->name, d->fence_name, ft, o->holder, own, d->plan.node);
	} else {
		set_result(d, "stale: fence term %" PRIu64 " above own term %" PRIu64, ft, own);
		log_err("%s: %s: stale: fence %s holds term %" PRIu64 " (node %s) above own term "
			"%" PRIu64 "; leaving leadership",
			__func__, d->name, d->fence_name, ft, o->holder, own);
	}
}

static void report_unfenced(struct dns_updater *d, const struct dnsplan_out *o)
{
	uint64_t ft = o->fence_term;

	set_result(d, "unfenced: fence term %" PRIu64 " quiet for %u ms", ft,
		   FENCE_QUIET_RENEWALS * d->cfg.fence_renew_ms);
	log_notice("%s: %s: fence term %" PRIu64 " unchanged for %u ms (or below ours): "
		   "may lead again",
		   __func__, d->name, ft, FENCE_QUIET_RENEWALS * d->cfg.fence_renew_ms);
	sync_timers(d);
	if (d->cb)
		d->cb(d->cb_arg, false, ft, o->holder);
}

/* A term far above ours is no newer leadership (terms grow by one per election): it does not
 * fence the cluster. The record is left alone (only a person should remove it) and read again
 * at every renewal; the addresses are not written while it is there. */
static void report_implausible(struct dns_updater *d, const struct dnsplan_out *o)
{
	uint64_t ft = o->fence_term;

	d->counters.implausible++;
	set_result(d,
		   "error: implausible fence term %" PRIu64 " (own term %" PRIu64
		   ", more than %llu above): not fencing, not writing; remove the record %s",
		   ft, d->plan.term, (unsigned long long)FENCE_IMPLAUSIBLE_GAP, d->fence_name);
	if (ft != d->implausible_logged) {
		d->implausible_logged = ft;
		log_err("%s: %s: implausible fence term %" PRIu64 " in %s (own term %" PRIu64
			", more than %llu above): ignored, this node keeps leading and does not "
			"write DNS until the record is removed",
			__func__, d->name, ft, d->fence_name, d->plan.term,
			(unsigned long long)FENCE_IMPLAUSIBLE_GAP);
	}
}

/* Steps the plan and carries out what it says, except starting the next exchange. */
static unsigned apply(struct dns_updater *d, struct dnsplan_event *ev)
{
	struct dnsplan_out o;
	unsigned act;

	ev->rnd = rng_next(d);
	act = dnsplan_step(&d->plan, ev, loop_now_ms(), &o);
	if (act & DNSP_ABANDON)
		exchange_close(d);
	if (act & DNSP_BACKOFF)
		log_debug("%s: retry in %" PRIu64 " ms", __func__, o.delay_ms);
	if (act & DNSP_GARBAGE) {
		d->counters.invalid++;
		log_warn("%s: %s: fence %s holds text that is not \"term=N node=NAME seq=K\" "
			 "(or a term above 2^53): invalid, it will be overwritten",
			 __func__, d->name, d->fence_name);
	}
	if (act & DNSP_IMPLAUSIBLE)
		report_implausible(d, &o);
	if (act & DNSP_MISMATCH) {
		char t[160];

		addrs_text(d, t, sizeof(t));
		log_info("%s: %s: server has %s, target %s: updating", __func__, d->name, d->served,
			 t);
	}
	if (act & DNSP_CB_STALE)
		report_stale(d, &o);
	if (act & DNSP_CB_UNFENCED)
		report_unfenced(d, &o);
	sync_timers(d);
	return act;
}

static void run(struct dns_updater *d, struct dnsplan_event *ev)
{
	if (apply(d, ev) & DNSP_KICK)
		kick(d);
}

static void run_type(struct dns_updater *d, enum dnsplan_event_type type)
{
	struct dnsplan_event ev = {.type = type};

	run(d, &ev);
}

/* A failed exchange: count, record, log once per distinct reason, retry later. */
static void exchange_failed(struct dns_updater *d, enum dnsplan_op op, enum dnsmsg_result r,
			    const char *reason)
{
	bool actionable =
	    r == DNSR_TSIG || r == DNSR_NOTAUTH || r == DNSR_REFUSED || r == DNSR_OTHER;

	if (op == DNSP_OP_UPDATE)
		d->counters.updates[r]++;
	set_result(d, "error: %s: %s", op_name(op), reason);
	if (strcmp(d->logged, reason) != 0) {
		snprintf(d->logged, sizeof(d->logged), "%s", reason);
		if (actionable)
			log_err("%s: %s %s: %s", __func__, d->name, op_name(op), reason);
		else
			log_warn("%s: %s %s: %s (retrying)", __func__, d->name, op_name(op),
				 reason);
	} else {
		log_debug("%s: %s %s: %s", __func__, d->name, op_name(op), reason);
	}
	run_type(d, DNSP_EV_FAILED);
}

static void succeeded(struct dns_updater *d)
{
	if (d->logged[0])
		log_notice("%s: %s: server answers again", __func__, d->name);
	d->logged[0] = '\0';
}

static void handle_read(struct dns_updater *d, struct dnsmsg_answer *a)
{
	char texts[FENCE_RRS_MAX][DNSMSG_TXT_MAX];
	const char *ptrs[FENCE_RRS_MAX];
	size_t n = dnsmsg_txt_texts(a->rrs, texts, FENCE_RRS_MAX);
	struct dnsplan_event ev = {.type = DNSP_EV_READ, .texts = ptrs, .n = n};

	for (size_t i = 0; i < n; i++)
		ptrs[i] = texts[i];
	ldns_rr_list_deep_free(d->fence_rrs);
	d->fence_rrs = a->rrs;
	a->rrs = NULL;
	d->fence_seen = true;
	d->counters.reads++;
	succeeded(d);
	run(d, &ev);
	log_debug("%s: fence %s: %zu record(s), term %" PRIu64, __func__, d->fence_name, n,
		  d->plan.fence.cur.term);
}

static void handle_prereq(struct dns_updater *d, struct dnsmsg_answer *a)
{
	char rc[DNSMSG_REASON_MAX];

	dnsmsg_explain(a, d->cfg.zone, d->server, rc, sizeof(rc));
	set_result(d, "retry: %s; re-reading it", rc);
	log_notice("%s: %s: %s; re-reading it", __func__, d->name, rc);
	run_type(d, DNSP_EV_PREREQ);
}

static void handle_update(struct dns_updater *d, struct dnsmsg_answer *a)
{
	struct dnsplan_event ev = {.type = DNSP_EV_UPDATED};
	ldns_rr_list *rrs;
	char t[160];

	d->counters.updates[a->result]++;
	if (a->result == DNSR_PREREQ) {
		handle_prereq(d, a);
		return;
	}
	succeeded(d);
	d->updated = true;
	d->last_update_ms = loop_now_ms();
	addrs_text(d, t, sizeof(t));
	if (d->cfg.fence) {
		d->fence_seen = true;
		rrs = dnsmsg_fence_rrset(d->fence_name, d->writing_text, d->cfg.ttl);
		ldns_rr_list_deep_free(d->fence_rrs);
		d->fence_rrs = rrs;
		ev.rrset_failed = !rrs;
		set_result(d, "updated: %s (fence %s)", t, d->writing_text);
	} else {
		set_result(d, "updated: %s", t);
	}
	if (strcmp(t, d->written) != 0) /* fence renewals are routine: debug only */
		log_info("%s: %s -> %s%s%s", __func__, d->name, t, d->cfg.fence ? ", fence " : "",
			 d->cfg.fence ? d->writing_text : "");
	else
		log_debug("%s: %s: fence renewed: %s", __func__, d->name, d->writing_text);
	snprintf(d->written, sizeof(d->written), "%s", t);
	run(d, &ev);
}

static void handle_query(struct dns_updater *d, struct dnsmsg_answer *a)
{
	const struct kcw_addr *v4 = d->has_v4 ? &d->v4 : NULL, *v6 = d->has_v6 ? &d->v6 : NULL;
	struct dnsplan_event ev = {.type = DNSP_EV_QUERIED};

	d->counters.queries++;
	succeeded(d);
	dnsmsg_addrs_text(a->rrs, d->served, sizeof(d->served));
	ev.match = (!v4 && !v6) || dnsmsg_addrs_match(a->rrs, v4, v6);
	run(d, &ev);
}

static void handle_answer(struct dns_updater *d, enum dnsplan_op op, struct dnsmsg_answer *a)
{
	char reason[DNSMSG_REASON_MAX];

	if (a->result != DNSR_OK && !(op == DNSP_OP_UPDATE && a->result == DNSR_PREREQ)) {
		dnsmsg_explain(a, d->cfg.zone, d->server, reason, sizeof(reason));
		exchange_failed(d, op, a->result, reason);
		return;
	}
	if (op == DNSP_OP_READ)
		handle_read(d, a);
	else if (op == DNSP_OP_UPDATE)
		handle_update(d, a);
	else
		handle_query(d, a);
}

static void on_io(void *arg, int fd, uint32_t events)
{
	struct dns_updater *d = arg;
	uint8_t buf[4096];

	for (;;) {
		struct dnsmsg_answer a;
		enum dnsplan_op op = d->plan.op;
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		char reason[DNSMSG_REASON_MAX];
		int ret;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			int err = errno;

			snprintf(reason, sizeof(reason), "%s: %s%s", d->server, strerror(err),
				 err == ECONNREFUSED ? " (named not running?)" : "");
			exchange_close(d);
			exchange_failed(d, op, DNSR_NETWORK, reason);
			return;
		}
		ret = dnsmsg_parse_answer(&d->req, buf, (size_t)n, &a);
		if (ret < 0) {
			snprintf(d->ignored, sizeof(d->ignored), "%s",
				 ret == -ESRCH ? "an answer to another message"
					       : "a malformed packet");
			log_debug("%s: ignored %s from %s", __func__, d->ignored, d->server);
			continue;
		}
		exchange_close(d);
		handle_answer(d, op, &a);
		dnsmsg_answer_clear(&a);
		return;
	}
}

static void on_io_timeout(void *arg)
{
	struct dns_updater *d = arg;
	enum dnsplan_op op = d->plan.op;
	char reason[DNSMSG_REASON_MAX];

	d->armed[T_IO] = 0;
	if (op == DNSP_OP_NONE)
		return;
	snprintf(reason, sizeof(reason), "no answer from %s within %u ms (timeout)%s%s", d->server,
		 d->cfg.timeout_ms, d->ignored[0] ? "; ignored " : "", d->ignored);
	exchange_close(d);
	exchange_failed(d, op, DNSR_TIMEOUT, reason);
}

/* Builds the message for op into d->req, as the plan says. */
static int build(struct dns_updater *d, enum dnsplan_op op, char *err, size_t errlen)
{
	const struct tsig_key *key = d->has_key ? &d->key : NULL;
	bool addrs = d->plan.with_addrs;
	struct dnsmsg_update u = {
	    .zone = d->cfg.zone,
	    .name = d->name,
	    .ttl = d->cfg.ttl,
	    .v4 = addrs && d->has_v4 ? &d->v4 : NULL,
	    .v6 = addrs && d->has_v6 ? &d->v6 : NULL,
	    .fence = d->cfg.fence,
	    .fence_read = d->fence_rrs,
	    .fence_text = d->writing_text,
	};
	int ret;

	if (op == DNSP_OP_READ)
		return dnsmsg_build_query(d->fence_name, LDNS_RR_TYPE_TXT, key, new_id(d), &d->req,
					  err, errlen);
	if (op == DNSP_OP_QUERY)
		return dnsmsg_build_query(d->name, LDNS_RR_TYPE_ANY, key, new_id(d), &d->req, err,
					  errlen);
	if (d->cfg.fence) {
		ret = fence_format(&d->plan.writing, d->writing_text, sizeof(d->writing_text));
		if (ret < 0) {
			snprintf(err, errlen, "cannot write node name '%s' into the fence",
				 d->plan.node);
			return ret;
		}
	}
	return dnsmsg_build_update(&u, key, new_id(d), &d->req, err, errlen);
}

static int open_socket(struct dns_updater *d)
{
	struct sockaddr_storage ss;
	socklen_t sl = addr_to_sockaddr(&d->cfg.server, d->cfg.port, &ss);
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int ret;

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = loop_add_fd(d->loop, fd, EPOLLIN, on_io, d);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	return fd;
}

static void exchange_start(struct dns_updater *d, enum dnsplan_op op)
{
	char err[DNSMSG_REASON_MAX];
	ssize_t n;
	int ret;

	d->ignored[0] = '\0';
	ret = build(d, op, err, sizeof(err));
	if (ret < 0) {
		exchange_failed(d, op, DNSR_OTHER, err);
		return;
	}
	d->fd = open_socket(d);
	if (d->fd < 0) {
		snprintf(err, sizeof(err), "socket to %s: %s", d->server, strerror(-d->fd));
		d->fd = -1;
		exchange_close(d);
		exchange_failed(d, op, DNSR_NETWORK, err);
		return;
	}
	n = send(d->fd, d->req.wire, d->req.len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n != (ssize_t)d->req.len) {
		snprintf(err, sizeof(err), "send to %s: %s", d->server,
			 n < 0 ? strerror(errno) : "short write");
		exchange_close(d);
		exchange_failed(d, op, DNSR_NETWORK, err);
		return;
	}
	sync_timers(d); /* the answer timeout */
	log_debug("%s: %s sent to %s (id %u, %zu bytes)", __func__, op_name(op), d->server,
		  d->req.id, d->req.len);
}

/* Starts the exchange the plan picks, if any. */
static void kick(struct dns_updater *d)
{
	enum dnsplan_op op = dnsplan_next(&d->plan, loop_now_ms());

	if (op != DNSP_OP_NONE)
		exchange_start(d, op);
}

static void on_retry(void *arg)
{
	struct dns_updater *d = arg;

	d->armed[T_RETRY] = 0;
	run_type(d, DNSP_EV_RETRY);
}

/* Leader: renew the fence. Stale: re-read it. */
static void on_renew(void *arg)
{
	struct dns_updater *d = arg;

	d->armed[T_RENEW] = 0;
	run_type(d, DNSP_EV_RENEW);
}

static void on_reconcile(void *arg)
{
	struct dns_updater *d = arg;

	d->armed[T_RECONCILE] = 0;
	run_type(d, DNSP_EV_RECONCILE);
}

void dns_set_leader(struct dns_updater *d, bool leader, uint64_t term, const char *node)
{
	struct dnsplan_event ev = {
	    .type = leader ? DNSP_EV_LEAD : DNSP_EV_RESIGN, .term = term, .node = node};
	unsigned act = apply(d, &ev);

	if (!(act & DNSP_ROLE))
		return;
	if (!leader)
		log_info("%s: %s: not leader: no more updates", __func__, d->name);
	else
		log_info("%s: %s: leader with term %" PRIu64 "%s", __func__, d->name, term,
			 d->cfg.fence ? ": reading the fence first" : "");
	if (act & DNSP_KICK)
		kick(d);
}

void dns_set_target(struct dns_updater *d, const struct kcw_addr *v4, const struct kcw_addr *v6)
{
	bool same = (v4 != NULL) == d->has_v4 && (v6 != NULL) == d->has_v6 &&
		    (!v4 || addr_eq(v4, &d->v4)) && (!v6 || addr_eq(v6, &d->v6));
	struct dnsplan_event ev = {.type = DNSP_EV_TARGET};

	if (same)
		return;
	d->has_v4 = v4 && v4->family == AF_INET;
	d->has_v6 = v6 && v6->family == AF_INET6;
	memset(&d->v4, 0, sizeof(d->v4));
	memset(&d->v6, 0, sizeof(d->v6));
	if (d->has_v4)
		d->v4 = *v4;
	if (d->has_v6)
		d->v6 = *v6;
	ev.has_target = d->has_v4 || d->has_v6;
	run(d, &ev);
}

/* Checks cfg and fills the names of d; 0 or -EINVAL with err. */
static int setup_names(struct dns_updater *d, const struct cfg_dns *cfg, char *err, size_t len)
{
	char a[ADDR_STRLEN], fz[NAME_BUF];
	size_t n = strlen(cfg->name), zl = strlen(cfg->zone);

	if (!cfg->enabled || n == 0 || zl == 0 || n >= sizeof(d->name) - 1 || cfg->ttl == 0 ||
	    cfg->timeout_ms == 0 || cfg->port == 0 || (cfg->fence && cfg->fence_renew_ms == 0) ||
	    (cfg->server.family != AF_INET && cfg->server.family != AF_INET6)) {
		snprintf(err, len,
			 "dns: incomplete configuration (server, zone, name, ttl, timeout "
			 "and fence-renew are needed)");
		return -EINVAL;
	}
	snprintf(d->name, sizeof(d->name), "%s", cfg->name);
	if (d->name[n - 1] == '.')
		d->name[n - 1] = '\0';
	snprintf(fz, sizeof(fz), "%s", cfg->zone);
	if (fz[zl - 1] == '.')
		fz[zl - 1] = '\0';
	n = strlen(d->name);
	zl = strlen(fz);
	if (!(n == zl || (n > zl && d->name[n - zl - 1] == '.')) ||
	    strcasecmp(d->name + n - zl, fz) != 0) {
		snprintf(err, len, "dns: name %s is not inside zone %s", cfg->name, cfg->zone);
		return -EINVAL;
	}
	if (dnsmsg_fence_name(d->name, d->fence_name, sizeof(d->fence_name)) < 0) {
		snprintf(err, len, "dns: name %s too long for the fence record", cfg->name);
		return -EINVAL;
	}
	snprintf(d->server, sizeof(d->server), "%s#%u", addr_str(&cfg->server, a, sizeof(a)),
		 (unsigned)cfg->port);
	return 0;
}

static int load_key(struct dns_updater *d, const char *config_dir, char *err, size_t len)
{
	const char *f = d->cfg.tsig_key_file;
	char path[PATH_MAX], read_from[PATH_MAX];

	if (!f[0]) {
		log_notice("%s: no tsig-key-file: DNS messages are not signed", __func__);
		return 0;
	}
	if (f[0] != '/' && config_dir && config_dir[0]) {
		if (snprintf(path, sizeof(path), "%s/%s", config_dir, f) >= (int)sizeof(path)) {
			snprintf(err, len, "%s/%s: path too long", config_dir, f);
			return -ENAMETOOLONG;
		}
		f = path;
	}
	d->has_key = true;
	if (keyfile_credential(f, read_from, sizeof(read_from)))
		log_notice("TSIG key from %s (systemd credential)", read_from);
	else
		log_info("TSIG key from %s", read_from);
	return tsigkey_load(read_from, &d->key, err, len);
}

struct dns_updater *dns_new(struct loop *l, const struct cfg_dns *cfg, const char *config_dir,
			    dns_fence_cb cb, void *arg, char *err, size_t errlen)
{
	struct dns_updater *d = calloc(1, sizeof(*d));

	if (!d) {
		snprintf(err, errlen, "dns: out of memory");
		return NULL;
	}
	d->loop = l;
	d->cfg = *cfg;
	d->cb = cb;
	d->cb_arg = arg;
	d->fd = -1;
	if (setup_names(d, cfg, err, errlen) < 0 || load_key(d, config_dir, err, errlen) < 0) {
		dns_free(d);
		return NULL;
	}
	if (getrandom(&d->rng, sizeof(d->rng), GRND_NONBLOCK) != (ssize_t)sizeof(d->rng) ||
	    d->rng == 0)
		d->rng = loop_now_ms() ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ULL;
	dnsplan_init(&d->plan, &(struct dnsplan_cfg){.fence = cfg->fence,
						     .fence_renew_ms = cfg->fence_renew_ms,
						     .ttl = cfg->ttl,
						     .timeout_ms = cfg->timeout_ms});
	snprintf(d->served, sizeof(d->served), "unknown");
	snprintf(d->last_result, sizeof(d->last_result), "none yet");
	d->timers[T_IO] = loop_timer_new(l, on_io_timeout, d);
	d->timers[T_RETRY] = loop_timer_new(l, on_retry, d);
	d->timers[T_RENEW] = loop_timer_new(l, on_renew, d);
	d->timers[T_RECONCILE] = loop_timer_new(l, on_reconcile, d);
	if (!d->timers[T_IO] || !d->timers[T_RETRY] || !d->timers[T_RENEW] ||
	    !d->timers[T_RECONCILE]) {
		snprintf(err, errlen, "dns: timers: %s", strerror(errno));
		dns_free(d);
		return NULL;
	}
	return d;
}

void dns_free(struct dns_updater *d)
{
	if (!d)
		return;
	exchange_close(d);
	for (unsigned i = 0; i < T_COUNT; i++)
		loop_timer_free(d->timers[i]);
	ldns_rr_list_deep_free(d->fence_rrs);
	dnsmsg_req_free(&d->req);
	tsigkey_clear(&d->key);
	free(d);
}

void dns_status_json(const struct dns_updater *d, struct json_object *root)
{
	struct json_object *o = json_object_new_object(), *u = json_object_new_object();
	char t[160];

	if (!o || !u) {
		json_object_put(o);
		json_object_put(u);
		return;
	}
	addrs_text(d, t, sizeof(t));
	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "target", json_object_new_string(t));
	json_object_object_add(o, "served", json_object_new_string(d->served));
	json_object_object_add(o, "last_result", json_object_new_string(d->last_result));
	json_object_object_add(
	    o, "last_update_ms_ago",
	    d->updated ? json_object_new_int64((int64_t)(loop_now_ms() - d->last_update_ms))
		       : NULL);
	json_object_object_add(
	    o, "fence_term",
	    d->fence_seen ? json_object_new_int64((int64_t)d->plan.fence.cur.term) : NULL);
	json_object_object_add(o, "fence_holder",
			       d->fence_seen && d->plan.fence.cur.node[0]
				   ? json_object_new_string(d->plan.fence.cur.node)
				   : NULL);
	json_object_object_add(o, "fenced", json_object_new_boolean(d->plan.fence.stale));
	for (unsigned i = 0; i < DNS_RESULTS; i++)
		json_object_object_add(u, dns_result_name(i),
				       json_object_new_int64((int64_t)d->counters.updates[i]));
	json_object_object_add(o, "updates", u);
	json_object_object_add(root, "dns", o);
}

void dns_get_counters(const struct dns_updater *d, struct dns_counters *out)
{
	*out = d->counters;
}

const char *dns_result_name(unsigned idx)
{
	return dnsmsg_result_name((enum dnsmsg_result)idx);
}

const char *dns_last_result(const struct dns_updater *d)
{
	return d->last_result;
}

uint64_t dns_last_success_ms(const struct dns_updater *d)
{
	return d->updated ? d->last_update_ms : 0;
}

bool dns_fenced(const struct dns_updater *d)
{
	return d->plan.fence.stale;
}
