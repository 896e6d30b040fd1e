/* SPDX-License-Identifier: MIT */
/* etcd.c: carries out etcdlead's actions as HTTP requests to etcd's v3 JSON gateway (libcurl). */
#include "etcd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "curldl.h"
#include "curlloop.h"
#include "etcdjson.h"
#include "etcdlead.h"
#include "log.h"
#include "strutil.h"

#define BODY_MAX      65536
#define WQ_MAX	      16
#define AUTH_RETRY_MS 5000 /* after etcd refused the credentials */

enum xkind { X_GRANT, X_KA, X_KEY, X_DEL, X_AUTH, X_WATCH, X_N };

static const char *const x_path[X_N] = {"/v3/lease/grant", "/v3/lease/keepalive",   "/v3/kv/txn",
					"/v3/kv/txn",	   "/v3/auth/authenticate", "/v3/watch"};
static const char *const x_name[X_N] = {"lease grant", "keepalive",    "leader key",
					"delete",      "authenticate", "watch"};

struct xfer {
	struct etcd *e;
	enum xkind kind;
	CURL *easy;
	bool busy;	  /* asked for, until its event is fed */
	bool in_multi;	  /* added to the multi handle */
	bool waiting;	  /* for a token */
	bool fail_soon;	  /* failed before it could start: reported from the soon timer */
	bool live;	  /* watch: events may still come */
	const char *path; /* range or txn for X_KEY */
	size_t ep;
	uint64_t sent_ms;
	char post[ETCDJSON_REQ_MAX];
	char url[CFG_URL_MAX + 32];
	char *body;
	size_t len, cap;
	char errbuf[CURL_ERROR_SIZE];
};

struct etcd {
	struct curldl cu;
	struct loop *loop;
	struct curlloop *cl;
	CURLM *multi; /* cl's */
	struct loop_timer *core_timer, *soon_timer;
	struct cfg_etcd cfg;
	char key[512], value[128]; /* base64 */
	struct etcdlead lead;
	size_t ep;
	char token[512];
	uint64_t auth_after_ms;
	struct curl_slist *hdrs;
	struct xfer x[X_N];
	struct etcdlead_event wq[WQ_MAX]; /* watch events read inside a curl callback */
	int nwq;
	char last_error[256];
	uint64_t last_error_ms;
	char logged[X_N][256]; /* the last error logged per request kind */
	uint64_t requests, failures;
	etcd_cb cb;
	void *arg;
	bool seen_hold, seen_ok;
	uint64_t seen_term;
};

static void drive(struct etcd *e, const struct etcdlead_event *ev);
static void process(struct etcd *e);

static void set_error(struct etcd *e, enum xkind k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_error(struct etcd *e, enum xkind k, const char *fmt, ...)
{
	char msg[sizeof(e->last_error)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* logged once per request kind and distinct error: a dead endpoint fails every retry
	 * the same way; a success in between logs it again */
	if (strcmp(msg, e->logged[k]))
		log_warn("etcd: %s", msg);
	str_copy(e->logged[k], sizeof(e->logged[k]), msg);
	str_copy(e->last_error, sizeof(e->last_error), msg);
	e->last_error_ms = loop_now_ms();
	e->failures++;
}

static void after_action(void *arg)
{
	process(arg);
}

static bool body_add(struct xfer *x, const char *data, size_t len)
{
	size_t cap;
	char *p;

	if (len >= BODY_MAX - x->len)
		return false;
	if (x->len + len + 1 > x->cap) {
		cap = x->cap ? x->cap : 1024;
		while (cap < x->len + len + 1)
			cap *= 2;
		p = realloc(x->body, cap);
		if (!p)
			return false;
		x->body = p;
		x->cap = cap;
	}
	memcpy(x->body + x->len, data, len);
	x->len += len;
	x->body[x->len] = '\0';
	return true;
}

/* The watch stream: one JSON object per line; events wait in wq until curl returns. */
static void watch_lines(struct xfer *x)
{
	struct etcd *e = x->e;
	char *nl, why[160];
	int n;

	while (x->live && (nl = memchr(x->body, '\n', x->len))) {
		*nl = '\0';
		n = etcdjson_watch_msg(x->body, e->wq + e->nwq, WQ_MAX - e->nwq, why, sizeof(why));
		if (n < 0 || (n > 0 && e->wq[e->nwq + n - 1].type == ELE_WATCH_FAIL)) {
			set_error(e, X_WATCH, "watch on %s: %s", e->cfg.endpoints[x->ep], why);
			x->live = false;
			if (n < 0 && e->nwq < WQ_MAX)
				e->wq[e->nwq++].type = ELE_WATCH_FAIL;
		}
		if (n > 0)
			e->nwq += n;
		x->len -= (size_t)(nl + 1 - x->body);
		memmove(x->body, nl + 1, x->len + 1);
	}
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * nmemb;

	if (!body_add(x, data, len))
		return 0;
	if (x->kind == X_WATCH) {
		watch_lines(x);
		if (!x->live || x->e->nwq >= WQ_MAX - 4)
			return 0; /* cancelled, or too much at once: ends it, a new one follows */
	}
	return len;
}

/* --- requests ----------------------------------------------------------------- */

static bool auth_needed(const struct etcd *e)
{
	return e->cfg.username[0] && !e->token[0];
}

static int set_headers(struct etcd *e)
{
	char auth[sizeof(e->token) + 32];

	e->cu.slist_free_all(e->hdrs);
	e->hdrs = e->cu.slist_append(NULL, "Content-Type: application/json");
	if (e->hdrs && e->token[0]) {
		snprintf(auth, sizeof(auth), "Authorization: %s", e->token);
		e->hdrs = e->cu.slist_append(e->hdrs, auth);
	}
	return e->hdrs ? 0 : -ENOMEM;
}

static void fail_soon(struct xfer *x)
{
	x->fail_soon = true;
	loop_timer_arm(x->e->soon_timer, 0);
}

static void launch(struct xfer *x)
{
	struct etcd *e = x->e;
	uint32_t renew = e->lead.renew_ms;
	long tmo = x->kind == X_WATCH ? 0L : (long)(renew / 2 > 200 ? renew / 2 : 200);
	CURLcode rc = CURLE_OK;

	x->ep = e->ep;
	x->len = 0;
	x->errbuf[0] = '\0';
	x->live = x->kind == X_WATCH;
	snprintf(x->url, sizeof(x->url), "%s%s", e->cfg.endpoints[x->ep], x->path);
	rc |= e->cu.easy_setopt(x->easy, CURLOPT_URL, x->url);
	rc |= e->cu.easy_setopt(x->easy, CURLOPT_POSTFIELDS, x->post);
	rc |= e->cu.easy_setopt(x->easy, CURLOPT_HTTPHEADER, e->hdrs);
	rc |= e->cu.easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, tmo);
	rc |= e->cu.easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)(renew / 2 + 1));
	x->sent_ms = loop_now_ms();
	e->requests++;
	if (rc != CURLE_OK || e->cu.multi_add_handle(e->multi, x->easy) != CURLM_OK) {
		set_error(e, x->kind, "%s: the request could not start", x_name[x->kind]);
		fail_soon(x);
		return;
	}
	x->in_multi = true;
}

static void start_auth(struct etcd *e)
{
	struct xfer *x = &e->x[X_AUTH];
	uint64_t now = loop_now_ms();

	if (x->busy)
		return;
	if (now < e->auth_after_ms) {
		for (int k = 0; k < X_N; k++)
			if (e->x[k].waiting) {
				e->x[k].waiting = false;
				fail_soon(&e->x[k]);
			}
		return;
	}
	x->busy = true;
	x->path = x_path[X_AUTH];
	if (etcdjson_auth_req(x->post, sizeof(x->post), e->cfg.username, e->cfg.password) < 0) {
		x->busy = false;
		return;
	}
	set_headers(e); /* without the stale token */
	launch(x);
}

static void request(struct etcd *e, enum xkind k, const char *path)
{
	struct xfer *x = &e->x[k];

	if (x->busy) /* etcdlead never asks twice; the old watch goes first */
		return;
	x->busy = true;
	x->path = path;
	if (auth_needed(e)) {
		x->waiting = true;
		start_auth(e);
		return;
	}
	launch(x);
}

/* Carries out one step's actions. */
static void act(struct etcd *e, const struct etcdlead_actions *a)
{
	char *p;
	size_t n = ETCDJSON_REQ_MAX;

	if (a->flags & ELA_GRANT) {
		etcdjson_grant_req(e->x[X_GRANT].post, n, e->cfg.lease_ttl_ms / 1000);
		request(e, X_GRANT, x_path[X_GRANT]);
	}
	if (a->flags & ELA_KEEPALIVE) {
		etcdjson_keepalive_req(e->x[X_KA].post, n, a->lease);
		request(e, X_KA, x_path[X_KA]);
	}
	if (a->flags & (ELA_TXN | ELA_RANGE)) {
		p = e->x[X_KEY].post;
		if (a->flags & ELA_TXN)
			etcdjson_txn_req(p, n, e->key, e->value, a->lease);
		else
			etcdjson_range_req(p, n, e->key);
		request(e, X_KEY, a->flags & ELA_TXN ? "/v3/kv/txn" : "/v3/kv/range");
	}
	if (a->flags & ELA_DELETE) {
		etcdjson_delete_req(e->x[X_DEL].post, n, e->key, a->del_term);
		request(e, X_DEL, x_path[X_DEL]);
	}
	if (a->flags & ELA_WATCH) {
		etcdjson_watch_req(e->x[X_WATCH].post, n, e->key, a->watch_rev);
		request(e, X_WATCH, x_path[X_WATCH]);
	}
}

static void drive(struct etcd *e, const struct etcdlead_event *ev)
{
	struct etcdlead_actions a;

	etcdlead_step(&e->lead, ev, loop_now_ms(), &a);
	act(e, &a);
	loop_timer_arm_at(e->core_timer, a.wakeup_ms);
	if (e->lead.hold != e->seen_hold || e->lead.ok != e->seen_ok ||
	    etcdlead_term(&e->lead) != e->seen_term)
		loop_timer_arm(e->soon_timer, 0);
}

/* --- answers ------------------------------------------------------------------ */

/* The watch on endpoint ep may be dead without knowing it (a silent cut): make it again. */
static void drop_watch(struct etcd *e, size_t ep)
{
	struct xfer *w = &e->x[X_WATCH];

	if (!w->busy || !w->in_multi || w->ep != ep)
		return;
	e->cu.multi_remove_handle(e->multi, w->easy);
	w->in_multi = false;
	if (w->live && e->nwq < WQ_MAX)
		e->wq[e->nwq++].type = ELE_WATCH_FAIL;
	w->live = false;
	w->busy = false;
}

/* Endpoint ep failed: the next one serves from now on; the watch is made again there. */
static void failover(struct etcd *e, size_t ep, const char *why)
{
	if (ep != e->ep)
		return;
	drop_watch(e, ep);
	if (e->cfg.n_endpoints < 2)
		return;
	e->ep = (ep + 1) % e->cfg.n_endpoints;
	log_warn("etcd %s: %s; using %s now", e->cfg.endpoints[ep], why, e->cfg.endpoints[e->ep]);
	e->token[0] = '\0'; /* a simple token is only known to the member that issued it */
	set_headers(e);
}

/* etcd answered with an error that another member may not have. */
static bool member_trouble(const char *why)
{
	return strstr(why, "leader changed") || strstr(why, "no leader") ||
	       strstr(why, "timed out") || strstr(why, "too many requests") ||
	       strstr(why, "not capable") || strstr(why, "stopped");
}

static bool token_trouble(const char *why)
{
	return strstr(why, "invalid auth token") || strstr(why, "user name is empty") ||
	       strstr(why, "auth token");
}

static int parse_answer(struct xfer *x, struct etcdlead_event *ev, char *why, size_t len)
{
	struct etcd *e = x->e;
	int rc;

	switch (x->kind) {
	case X_GRANT:
		rc = etcdjson_grant(x->body, ev, why, len);
		break;
	case X_KA:
		rc = etcdjson_keepalive(x->body, ev, why, len);
		if (rc == -EREMOTEIO && strstr(why, "lease not found")) {
			memset(ev, 0, sizeof(*ev));
			ev->type = ELE_KA_OK; /* TTL 0: the lease is gone */
			rc = 0;
		}
		break;
	case X_KEY:
		rc = etcdjson_key(x->body, ev, why, len);
		break;
	case X_AUTH:
		rc = etcdjson_token(x->body, e->token, sizeof(e->token), why, len);
		break;
	case X_WATCH:
	case X_DEL:
	case X_N:
	default:
		rc = 0;
		break;
	}
	ev->sent_ms = x->sent_ms;
	return rc;
}

static const enum etcdlead_event_type fail_type[X_N] = {
    ELE_GRANT_FAIL, ELE_KA_FAIL, ELE_KEY_FAIL, ELE_DEL_DONE, ELE_TICK, ELE_WATCH_FAIL};

static void auth_done(struct etcd *e, bool ok)
{
	if (!ok && e->auth_after_ms < loop_now_ms() + AUTH_RETRY_MS)
		e->auth_after_ms = loop_now_ms() + AUTH_RETRY_MS;
	set_headers(e);
	for (int k = 0; k < X_N; k++) {
		struct xfer *x = &e->x[k];

		if (!x->waiting)
			continue;
		x->waiting = false;
		if (ok)
			launch(x);
		else
			fail_soon(x);
	}
}

/* A transfer ended: its event (answer or failure) goes to the state machine. */
static void finish(struct xfer *x, CURLcode code)
{
	struct etcd *e = x->e;
	struct etcdlead_event ev = {.type = fail_type[x->kind]};
	char why[200] = "";
	long http = 0;
	int rc = -EIO;

	e->cu.easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &http);
	e->cu.multi_remove_handle(e->multi, x->easy);
	x->in_multi = false;
	x->busy = false;
	if (code != CURLE_OK && !(x->kind == X_WATCH && !x->live))
		str_copy(why, sizeof(why), x->errbuf[0] ? x->errbuf : e->cu.easy_strerror(code));
	else if (x->kind != X_WATCH && x->len == 0)
		snprintf(why, sizeof(why), "HTTP %ld without a body", http);
	else if (x->kind != X_WATCH)
		rc = parse_answer(x, &ev, why, sizeof(why));
	if (rc < 0 && why[0]) {
		set_error(e, x->kind, "%s on %s: %s", x_name[x->kind], e->cfg.endpoints[x->ep],
			  why);
		if (rc == -EIO || rc == -EPROTO || http >= 500 || member_trouble(why))
			failover(e, x->ep, why);
		if (token_trouble(why))
			e->token[0] = '\0';
	}
	if (rc == 0)
		e->logged[x->kind][0] = '\0';
	if (x->kind == X_AUTH) {
		auth_done(e, rc == 0);
		return;
	}
	if (x->kind == X_WATCH) {
		if (x->live && e->nwq < WQ_MAX)
			e->wq[e->nwq++].type = ELE_WATCH_FAIL;
		x->live = false;
		return;
	}
	if (rc < 0)
		ev.type = fail_type[x->kind];
	drive(e, &ev);
}

/* Watch events first (they came before the ends read now), then ended transfers. */
static void process(struct etcd *e)
{
	CURLMsg *msg;
	int left;

	for (;;) {
		while (e->nwq > 0) {
			struct etcdlead_event ev = e->wq[0];

			e->nwq--;
			memmove(e->wq, e->wq + 1, (size_t)e->nwq * sizeof(e->wq[0]));
			drive(e, &ev);
		}
		msg = e->cu.multi_info_read(e->multi, &left);
		if (!msg)
			break;
		if (msg->msg == CURLMSG_DONE) {
			char *priv = NULL;
			struct xfer *x;

			e->cu.easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
			x = (struct xfer *)(void *)priv;
			if (x && x->in_multi)
				finish(x, msg->data.result);
		}
	}
}

static void on_core_timer(void *arg)
{
	struct etcd *e = arg;
	struct etcdlead_event ev = {.type = ELE_TICK};

	drive(e, &ev);
}

/* Failures of requests that never started, and news for the caller. */
static void on_soon(void *arg)
{
	struct etcd *e = arg;

	for (int k = 0; k < X_N; k++) {
		struct xfer *x = &e->x[k];
		struct etcdlead_event ev = {.type = fail_type[k]};

		if (!x->fail_soon)
			continue;
		x->fail_soon = false;
		x->busy = false;
		if (k == X_WATCH)
			x->live = false;
		if (k != X_AUTH)
			drive(e, &ev);
	}
	process(e);
	if (e->lead.hold == e->seen_hold && e->lead.ok == e->seen_ok &&
	    etcdlead_term(&e->lead) == e->seen_term)
		return;
	e->seen_hold = e->lead.hold;
	e->seen_ok = e->lead.ok;
	e->seen_term = etcdlead_term(&e->lead);
	e->cb(e->arg);
}

/* --- setup -------------------------------------------------------------------- */

static int setup_easy(struct etcd *e, struct xfer *x)
{
	const struct cfg_etcd *c = &e->cfg;
	CURL *h = x->easy;
	const struct curlloop_tls tls = {c->ca_file, c->client_cert, c->client_key};
	CURLcode rc = CURLE_OK;

	if (curlloop_easy_setup(&e->cu, h, &tls, "kcwatch", x->errbuf, x, on_body) < 0)
		return -EINVAL;
	rc |= e->cu.easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	/* a watch stream is idle for long: keepalive probes find a dead peer (about 11 s) */
	rc |= e->cu.easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	rc |= e->cu.easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 2L);
	rc |= e->cu.easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 1L);
	return rc == CURLE_OK ? 0 : -EINVAL;
}

static int setup(struct etcd *e, const struct kcw_config *cfg, size_t self, char *err,
		 size_t errlen)
{
	char path[sizeof(e->cfg.prefix) + 16];

	snprintf(path, sizeof(path), "%s/leader", e->cfg.prefix);
	if (etcdjson_b64(path, e->key, sizeof(e->key)) < 0 ||
	    etcdjson_b64(cfg->nodes[self].name, e->value, sizeof(e->value)) < 0) {
		snprintf(err, errlen, "etcd: key or node name too long");
		return -EINVAL;
	}
	e->cl = curlloop_new(e->loop, &e->cu, after_action, NULL, e);
	if (!e->cl)
		return -errno;
	e->multi = curlloop_multi(e->cl);
	e->core_timer = loop_timer_new(e->loop, on_core_timer, e);
	e->soon_timer = loop_timer_new(e->loop, on_soon, e);
	if (!e->core_timer || !e->soon_timer)
		return -ENOMEM;
	for (int k = 0; k < X_N; k++) {
		e->x[k].e = e;
		e->x[k].kind = (enum xkind)k;
		e->x[k].easy = e->cu.easy_init();
		if (!e->x[k].easy || setup_easy(e, &e->x[k]) < 0)
			return -ENOMEM;
	}
	return set_headers(e);
}

struct etcd *etcd_new(struct loop *l, const struct kcw_config *cfg, size_t self, etcd_cb cb,
		      void *arg, char *err, size_t errlen)
{
	struct etcd *e = calloc(1, sizeof(*e));
	struct etcdlead_params p = {.ttl_ms = cfg->etcd.lease_ttl_ms,
				    .keep_on_lost = cfg->etcd.lost_keep};
	struct etcdlead_event tick = {.type = ELE_TICK};
	char why[256];

	if (!e) {
		snprintf(err, errlen, "etcd: out of memory");
		return NULL;
	}
	e->loop = l;
	e->cfg = cfg->etcd;
	e->cb = cb;
	e->arg = arg;
	if (curldl_open(&e->cu, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "etcd: %s", why);
		free(e);
		return NULL;
	}
	e->cu.global_init(CURL_GLOBAL_DEFAULT);
	if (setup(e, cfg, self, err, errlen) < 0) {
		if (!err[0])
			snprintf(err, errlen, "etcd: cannot set up libcurl");
		etcd_free(e, 0);
		return NULL;
	}
	etcdlead_init(&e->lead, &p, loop_now_ms());
	log_notice("etcd coordinator: key %s/leader, lease-ttl %u ms, endpoints %s%s",
		   e->cfg.prefix, e->cfg.lease_ttl_ms, e->cfg.endpoints[0],
		   e->cfg.n_endpoints > 1 ? " ..." : "");
	drive(e, &tick);
	return e;
}

void etcd_want(struct etcd *e, bool on, bool first)
{
	struct etcdlead_event ev = {.type = ELE_WANT, .on = on, .first = first};

	if (e && (e->lead.want != on || e->lead.first != first))
		drive(e, &ev);
}

void etcd_resign(struct etcd *e)
{
	struct etcdlead_event ev = {.type = ELE_RESIGN};

	if (e)
		drive(e, &ev);
}

bool etcd_hold(const struct etcd *e)
{
	return e && e->lead.hold;
}

bool etcd_ok(const struct etcd *e)
{
	return e && e->lead.ok;
}

uint64_t etcd_term(const struct etcd *e)
{
	return e ? etcdlead_term(&e->lead) : 0;
}

void etcd_status(const struct etcd *e, struct etcd_status *out)
{
	memset(out, 0, sizeof(*out));
	out->endpoint = e->cfg.endpoints[e->ep];
	out->lease_left_ms = e->lead.ok ? etcdlead_lease_left_ms(&e->lead, loop_now_ms()) : 0;
	out->last_error = e->last_error;
	out->last_error_ms = e->last_error_ms;
	out->released_ms = e->lead.released_ms;
	out->hold = e->lead.hold;
	out->ok = e->lead.ok;
	out->term = etcdlead_term(&e->lead);
	out->requests = e->requests;
	out->failures = e->failures;
}

/* A monotonic time as UTC wall time, "2026-12-07T03:58:01.123Z". */
static struct json_object *wall_of(uint64_t mono_ms)
{
	struct timespec ts;
	struct tm tm;
	char buf[80];
	uint64_t ms;
	time_t s;

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u -
	     (loop_now_ms() - mono_ms);
	s = (time_t)(ms / 1000u);
	gmtime_r(&s, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(ms % 1000u));
	return json_object_new_string(buf);
}

struct json_object *etcd_status_json(const struct etcd *e)
{
	struct json_object *o = json_object_new_object();
	struct etcd_status st;

	json_object_object_add(o, "kind", json_object_new_string(e ? "etcd" : "heartbeat"));
	if (!e)
		return o;
	etcd_status(e, &st);
	json_object_object_add(o, "endpoint", json_object_new_string(st.endpoint));
	json_object_object_add(o, "lease_valid", json_object_new_boolean(st.ok));
	json_object_object_add(o, "lease_left_ms",
			       json_object_new_int64((int64_t)st.lease_left_ms));
	json_object_object_add(o, "holds_key", json_object_new_boolean(st.hold));
	json_object_object_add(o, "term", json_object_new_int64((int64_t)st.term));
	json_object_object_add(o, "last_error",
			       st.last_error[0] ? json_object_new_string(st.last_error) : NULL);
	json_object_object_add(o, "last_error_at",
			       st.last_error[0] ? wall_of(st.last_error_ms) : NULL);
	json_object_object_add(o, "released_at", st.released_ms ? wall_of(st.released_ms) : NULL);
	json_object_object_add(o, "requests", json_object_new_int64((int64_t)st.requests));
	json_object_object_add(o, "failures", json_object_new_int64((int64_t)st.failures));
	return o;
}

/* At exit: the delete of a resigned key should reach etcd, or followers wait for the lease. */
static void flush_delete(struct etcd *e, unsigned max_ms)
{
	struct xfer *d = &e->x[X_DEL];
	uint64_t end = loop_now_ms() + max_ms;
	int running = 1, left;
	CURLMsg *msg;

	for (int k = 0; k < X_N; k++)
		if (k != X_DEL && e->x[k].in_multi) {
			e->cu.multi_remove_handle(e->multi, e->x[k].easy);
			e->x[k].in_multi = false;
		}
	while (d->in_multi && running && loop_now_ms() < end) {
		e->cu.multi_poll(e->multi, NULL, 0, 20, NULL);
		e->cu.multi_perform(e->multi, &running);
		while ((msg = e->cu.multi_info_read(e->multi, &left)))
			if (msg->msg == CURLMSG_DONE && msg->easy_handle == d->easy) {
				e->cu.multi_remove_handle(e->multi, d->easy);
				d->in_multi = false;
			}
	}
}

void etcd_free(struct etcd *e, unsigned max_ms)
{
	if (!e)
		return;
	if (e->multi)
		flush_delete(e, max_ms);
	for (int k = 0; k < X_N; k++) {
		if (e->x[k].in_multi)
			e->cu.multi_remove_handle(e->multi, e->x[k].easy);
		if (e->x[k].easy)
			e->cu.easy_cleanup(e->x[k].easy);
		free(e->x[k].body);
	}
	curlloop_free(e->cl);
	e->cu.slist_free_all(e->hdrs);
	loop_timer_free(e->core_timer);
	loop_timer_free(e->soon_timer);
	e->cu.global_cleanup();
	curldl_close(&e->cu);
	memset(e->cfg.password, 0, sizeof(e->cfg.password));
	free(e);
}
