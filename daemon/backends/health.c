/* SPDX-License-Identifier: MIT */
/* health.c: drives the backends' HTTPS health checks on one CURLM wired into the event loop. */
#include "health.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "curldl.h"
#include "curlloop.h"

#include "log.h"

/* One backend: its own easy handle (reused: keeps the connection and TLS session) and schedule. */
struct hcheck {
	struct health *h;
	size_t idx;
	struct cfg_backend cfg;
	CURL *easy;
	struct curl_slist *connect_to;
	struct loop_timer *timer;
	char errbuf[CURL_ERROR_SIZE];
	char *body;
	size_t body_len, body_cap;
	bool overflow;
	bool in_flight;
	bool tcp_up; /* curl waited for input: the TCP connect is done */
	uint64_t started_ms;
	uint64_t next_ms; /* when the next check is due */
};

struct health {
	struct curldl cu; /* libcurl, opened by health_new() */
	struct loop *loop;
	struct curlloop *cl;
	CURLM *multi; /* cl's */
	health_result_cb cb;
	void *arg;
	bool running;
	size_t n;
	struct hcheck *c;
};

static void drain(struct health *h);

/* A connecting socket is watched for output only: input means connected. */
static void on_poll(void *arg, CURL *easy, int what)
{
	struct health *h = arg;
	char *priv = NULL;

	if (what == CURL_POLL_IN && h->cu.easy_getinfo(easy, CURLINFO_PRIVATE, &priv) == CURLE_OK &&
	    priv)
		((struct hcheck *)(void *)priv)->tcp_up = true;
}

static void after_action(void *arg)
{
	drain(arg);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct hcheck *c = arg;
	size_t len = size * nmemb, cap;
	char *p;

	if (len > HEALTH_BODY_MAX - c->body_len) {
		c->overflow = true;
		return 0; /* ends the transfer with CURLE_WRITE_ERROR */
	}
	if (c->body_len + len > c->body_cap) {
		cap = c->body_cap ? c->body_cap : 4096;
		while (cap < c->body_len + len)
			cap *= 2;
		if (cap > HEALTH_BODY_MAX)
			cap = HEALTH_BODY_MAX;
		p = realloc(c->body, cap);
		if (!p)
			return 0;
		c->body = p;
		c->body_cap = cap;
	}
	memcpy(c->body + c->body_len, data, len);
	c->body_len += len;
	return len;
}

/* --- one check ---------------------------------------------------------------- */

static long info_long(const struct hcheck *c, CURLINFO what)
{
	long v = 0;

	c->h->cu.easy_getinfo(c->easy, what, &v);
	return v;
}

static curl_off_t info_off(const struct hcheck *c, CURLINFO what)
{
	curl_off_t v = 0;

	c->h->cu.easy_getinfo(c->easy, what, &v);
	return v;
}

/*
 * How far the transfer got. Curl (7.87+) sets the connect time only once TLS
 * is done too, so the TCP step is seen in on_poll; the pretransfer time is set
 * once the request could be sent (also on a reused connection).
 */
static enum health_phase phase_of(struct hcheck *c)
{
	if (info_off(c, CURLINFO_PRETRANSFER_TIME_T) > 0)
		return HEALTH_PHASE_RESPONSE;
	if (c->tcp_up || info_off(c, CURLINFO_CONNECT_TIME_T) > 0)
		return strncmp(c->cfg.url, "https:", 6) == 0 ? HEALTH_PHASE_TLS
							     : HEALTH_PHASE_RESPONSE;
	return HEALTH_PHASE_CONNECT;
}

enum health_failure health_failure_of(int curl_code)
{
	switch (curl_code) {
	case CURLE_OK:
		return HEALTH_FAIL_NONE;
	case CURLE_COULDNT_CONNECT:
		return HEALTH_FAIL_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return HEALTH_FAIL_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
		return HEALTH_FAIL_RESOLVE;
	case CURLE_PEER_FAILED_VERIFICATION:
		return HEALTH_FAIL_TLS_VERIFY;
	case CURLE_SSL_CACERT_BADFILE:
		return HEALTH_FAIL_TLS_CA_FILE;
	case CURLE_SSL_CERTPROBLEM:
		return HEALTH_FAIL_TLS_CLIENT_CERT;
	case CURLE_SSL_CONNECT_ERROR:
		return HEALTH_FAIL_TLS_HANDSHAKE;
	case CURLE_GOT_NOTHING:
		return HEALTH_FAIL_EMPTY_REPLY;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		return HEALTH_FAIL_SEND_RECV;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return HEALTH_FAIL_BAD_URL;
	case CURLE_WRITE_ERROR:
		return HEALTH_FAIL_WRITE;
	default:
		return HEALTH_FAIL_OTHER;
	}
}

static void finish(struct hcheck *c, CURLcode code)
{
	struct health *h = c->h;
	struct health_result r = {0};
	struct health_input in = {0};
	uint64_t elapsed = loop_now_ms() - c->started_ms;

	in.failure = health_failure_of((int)code);
	in.errbuf = c->errbuf;
	in.code_text = h->cu.easy_strerror(code);
	in.os_errno = (int)info_long(c, CURLINFO_OS_ERRNO);
	in.phase = phase_of(c);
	in.http_code = info_long(c, CURLINFO_RESPONSE_CODE);
	in.body = c->body;
	in.body_len = c->body_len;
	in.body_overflow = c->overflow;
	in.timeout_ms = c->cfg.timeout_ms;
	h->cu.multi_remove_handle(h->multi, c->easy);
	c->in_flight = false;
	r.up = healthclass_classify(&c->cfg, &in, r.reason, sizeof(r.reason));
	r.http_code = in.http_code;
	r.latency_ms = elapsed > UINT32_MAX ? UINT32_MAX : (uint32_t)elapsed;
	log_debug("health %s: %s%s%s (%u ms)", c->cfg.name, r.up ? "up" : "down", r.up ? "" : ": ",
		  r.reason, r.latency_ms);
	h->cb(h->arg, c->idx, &r);
}

static void drain(struct health *h)
{
	CURLMsg *msg;
	int left;

	while ((msg = h->cu.multi_info_read(h->multi, &left))) {
		CURL *easy = msg->easy_handle;
		CURLcode code = msg->data.result;
		struct hcheck *c;
		char *priv = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		h->cu.easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		c = (struct hcheck *)(void *)priv;
		if (c && c->in_flight)
			finish(c, code);
	}
}

static void start_check(struct hcheck *c, uint64_t now_ms)
{
	struct health *h = c->h;
	struct health_result r = {0};
	CURLMcode rc;

	c->body_len = 0;
	c->overflow = false;
	c->tcp_up = false;
	c->errbuf[0] = '\0';
	c->started_ms = now_ms;
	rc = h->cu.multi_add_handle(h->multi, c->easy);
	if (rc == CURLM_OK) {
		c->in_flight = true;
		return;
	}
	log_err("%s: %s: %s", __func__, c->cfg.name, h->cu.multi_strerror(rc));
	snprintf(r.reason, sizeof(r.reason), "check could not start: %s", h->cu.multi_strerror(rc));
	h->cb(h->arg, c->idx, &r);
}

static void on_check_timer(void *arg)
{
	struct hcheck *c = arg;
	uint64_t now = loop_now_ms();

	if (!c->h->running)
		return;
	c->next_ms += c->cfg.interval_ms;
	if (c->next_ms <= now)
		c->next_ms = now + c->cfg.interval_ms;
	loop_timer_arm_at(c->timer, c->next_ms);
	if (c->in_flight) {
		log_debug("health %s: previous check still running, round skipped", c->cfg.name);
		return;
	}
	start_check(c, now);
}

/* --- setup -------------------------------------------------------------------- */

static int set_connect_to(struct hcheck *c)
{
	char addr[ADDR_STRLEN], line[ADDR_STRLEN + 16];
	const struct cfg_backend *b = &c->cfg;
	struct health *h = c->h;

	if (!b->has_connect_to)
		return 0;
	addr_str(&b->connect_addr, addr, sizeof(addr));
	/* Empty host and port match the URL's: SNI and Host stay the URL's name. */
	if (b->connect_addr.family == AF_INET6)
		snprintf(line, sizeof(line), "::[%s]:%u", addr, (unsigned)b->connect_port);
	else
		snprintf(line, sizeof(line), "::%s:%u", addr, (unsigned)b->connect_port);
	c->connect_to = h->cu.slist_append(NULL, line);
	if (!c->connect_to)
		return -ENOMEM;
	return h->cu.easy_setopt(c->easy, CURLOPT_CONNECT_TO, c->connect_to) == CURLE_OK ? 0
											 : -EINVAL;
}

#if LIBCURL_VERSION_NUM >= 0x075500
static CURLcode only_http(const struct curldl *cu, CURL *e)
{
	return cu->easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
}
#else
static CURLcode only_http(const struct curldl *cu, CURL *e)
{
	return cu->easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
}
#endif

static int setup_easy(struct hcheck *c)
{
	const struct cfg_backend *b = &c->cfg;
	struct health *h = c->h;
	CURL *e = c->easy;
	const struct curlloop_tls tls = {b->ca_file, b->client_cert, b->client_key};
	CURLcode rc = CURLE_OK;

	if (curlloop_easy_setup(&h->cu, e, &tls, "kcwatch health check", c->errbuf, c, on_body) < 0)
		return -EINVAL;
	rc |= h->cu.easy_setopt(e, CURLOPT_URL, b->url);
	rc |= only_http(&h->cu, e);
	rc |= h->cu.easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)b->timeout_ms);
	rc |= h->cu.easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)b->timeout_ms);
	if (rc != CURLE_OK)
		return -EINVAL;
	return set_connect_to(c);
}

static int setup_multi(struct health *h)
{
	CURLMcode rc = CURLM_OK;

	h->cl = curlloop_new(h->loop, &h->cu, after_action, on_poll, h);
	if (!h->cl)
		return -errno;
	h->multi = curlloop_multi(h->cl);
	/*
	 * One kept-alive connection per backend. By default the multi's connection cache holds
	 * 4 x the easy handles *added*, and a check's handle is only added while it runs: with
	 * many backends the cache closed the oldest connections, and most checks paid a new TCP
	 * connect and TLS handshake.
	 */
	rc |= h->cu.multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)(h->n ? h->n : 1));
	return rc == CURLM_OK ? 0 : -EINVAL;
}

static int setup_check(struct health *h, size_t i, const struct cfg_backend *b)
{
	struct hcheck *c = &h->c[i];

	c->h = h;
	c->idx = i;
	c->cfg = *b;
	if (c->cfg.interval_ms == 0)
		c->cfg.interval_ms = 2000;
	c->easy = h->cu.easy_init();
	if (!c->easy)
		return -ENOMEM;
	c->timer = loop_timer_new(h->loop, on_check_timer, c);
	if (!c->timer)
		return -errno;
	return setup_easy(c);
}

static int open_curl(struct health *h, char *err, size_t errlen)
{
	char why[256];

	if (curldl_open(&h->cu, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "health: %s", why);
		return -ELIBACC;
	}
	if (h->cu.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "health: curl_global_init failed");
		curldl_close(&h->cu);
		return -EIO;
	}
	return 0;
}

struct health *health_new(struct loop *l, const struct cfg_backend *b, size_t n,
			  health_result_cb cb, void *arg, char *err, size_t errlen)
{
	struct health *h;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	h = calloc(1, sizeof(*h));
	if (h)
		h->c = calloc(n ? n : 1, sizeof(*h->c));
	if (!h || !h->c) {
		free(h);
		snprintf(err, errlen, "health: out of memory");
		return NULL;
	}
	if (open_curl(h, err, errlen) < 0) {
		free(h->c);
		free(h);
		return NULL;
	}
	h->loop = l;
	h->cb = cb;
	h->arg = arg;
	h->n = n;
	rc = setup_multi(h);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = setup_check(h, i, &b[i]);
		if (rc < 0)
			snprintf(err, errlen, "health: backend %s: %s", b[i].name, strerror(-rc));
	}
	if (rc < 0) {
		if (err && errlen && !err[0])
			snprintf(err, errlen, "health: libcurl setup: %s", strerror(-rc));
		health_free(h);
		return NULL;
	}
	return h;
}

int health_start(struct health *h)
{
	uint64_t now = loop_now_ms();
	int rc;

	if (h->running)
		return 0;
	h->running = true;
	for (size_t i = 0; i < h->n; i++) {
		struct hcheck *c = &h->c[i];
		size_t groups = (h->n + HEALTH_BURST - 1) / HEALTH_BURST;
		uint64_t step = c->cfg.interval_ms / groups, off;

		/*
		 * Backends start in groups of HEALTH_BURST in file order, a step apart (the
		 * interval / the number of groups, at most HEALTH_STAGGER_MAX_MS); each keeps
		 * that phase. A group shares its wakeups, and many backends never all connect,
		 * handshake and queue in the same instant. Up to HEALTH_BURST backends (any
		 * usual config) all start at once.
		 */
		if (step > HEALTH_STAGGER_MAX_MS)
			step = HEALTH_STAGGER_MAX_MS;
		off = step * (i / HEALTH_BURST);
		/* on_check_timer advances next_ms by one interval to the moment it fires */
		c->next_ms = now + off - c->cfg.interval_ms;
		rc = loop_timer_arm(c->timer, off);
		if (rc < 0) {
			log_err("%s: %s: %s", __func__, h->c[i].cfg.name, strerror(-rc));
			health_stop(h);
			return rc;
		}
	}
	return 0;
}

void health_stop(struct health *h)
{
	if (!h)
		return;
	h->running = false;
	for (size_t i = 0; i < h->n; i++) {
		struct hcheck *c = &h->c[i];

		if (c->timer)
			loop_timer_disarm(c->timer);
		if (c->in_flight) {
			h->cu.multi_remove_handle(h->multi, c->easy);
			c->in_flight = false;
		}
	}
	curlloop_disarm(h->cl);
}

bool health_running(const struct health *h)
{
	return h && h->running;
}

void health_free(struct health *h)
{
	if (!h)
		return;
	health_stop(h);
	curlloop_free(h->cl);
	for (size_t i = 0; i < h->n; i++) {
		struct hcheck *c = &h->c[i];

		if (c->easy)
			h->cu.easy_cleanup(c->easy);
		h->cu.slist_free_all(c->connect_to);
		loop_timer_free(c->timer);
		free(c->body);
	}
	free(h->c);
	h->cu.global_cleanup();
	curldl_close(&h->cu);
	free(h);
}
