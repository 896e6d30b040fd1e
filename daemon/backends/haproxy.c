/* SPDX-License-Identifier: MIT */
/* haproxy.c: sets HAProxy server states over the runtime API socket and reads them back. */
#include "haproxy.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "strutil.h"

#define REQ_MAX 16384 /* HAProxy reads one CLI line into a 16 KiB buffer by default */
/* After the socket is re-created, the new process binds it before it listens: exchanges that
 * fail then are retried every RENEW_RETRY_MS for RENEW_BURST_MS before one is reported. */
#define RENEW_BURST_MS 2000u
#define RENEW_RETRY_MS 20u
#define RESP_MAX       65536

enum pending { PENDING_NONE = 0, PENDING_REFRESH, PENDING_APPLY };

struct haproxy {
	struct loop *loop;
	struct sockaddr_un sun;
	char backend[CFG_NAME_MAX];
	uint32_t timeout_ms;
	haproxy_cb cb;
	void *arg;
	struct loop_timer *timer;
	int fd;	   /* socket of the exchange in flight, -1 = none */
	bool busy; /* an exchange runs (it may have failed at connect: reported soon) */
	char early_err[HAPROXY_ERR_MAX]; /* connect failed: reported from the timer */
	bool cur_apply;			 /* the exchange in flight is an apply */
	char cur_active[CFG_NAME_MAX];
	size_t cur_n;
	char cur_servers[HAPROXY_MAX_SERVERS][CFG_NAME_MAX];
	enum pending pending; /* what to run when the current exchange ends */
	bool reachable;
	bool in_cb, free_after_cb;
	/* the newest apply request (copied to cur_* when its exchange starts) */
	char active[CFG_NAME_MAX];
	size_t n;
	char servers[HAPROXY_MAX_SERVERS][CFG_NAME_MAX];
	char req[REQ_MAX];
	size_t req_len, req_off;
	char resp[RESP_MAX + 1];
	size_t resp_len;
	uint64_t started_ms;
	bool has_apply;		  /* an apply was asked for: a new HAProxy process gets it again */
	int ino_fd;		  /* inotify on the socket's directory, -1 = none */
	uint64_t burst_until;	  /* socket re-created: failures until then are retried */
	struct loop_timer *retry; /* the next try of such a failure */
	char base[NAME_MAX + 1];  /* the socket's file name in that directory */
};

/* A name goes into a CLI command line: no separators, no spaces, not empty. */
static bool name_ok(const char *s)
{
	size_t len = s ? strlen(s) : 0;

	if (len == 0 || len >= CFG_NAME_MAX)
		return false;
	return strcspn(s, " \t\r\n;/\\#'\"") == len;
}

/* --- parsing "show servers state" --------------------------------------------- */

struct columns {
	int name, op, admin, count;
};

static int split_words(char *line, char **w, int max)
{
	int n = 0;
	char *save = NULL;

	for (char *t = strtok_r(line, " ", &save); t && n < max; t = strtok_r(NULL, " ", &save))
		w[n++] = t;
	return n;
}

static void header_columns(char *line, struct columns *c)
{
	char *w[64];
	int n = split_words(line + 1, w, 64); /* after '#' */

	c->name = c->op = c->admin = -1;
	c->count = n;
	for (int i = 0; i < n; i++) {
		if (!strcmp(w[i], "srv_name"))
			c->name = i;
		else if (!strcmp(w[i], "srv_op_state"))
			c->op = i;
		else if (!strcmp(w[i], "srv_admin_state"))
			c->admin = i;
	}
}

static struct haproxy_server *row_server(struct haproxy_report *r, const char *name, bool add_all)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->servers[i].name, name))
			return &r->servers[i];
	if (!add_all || r->n >= HAPROXY_MAX_SERVERS)
		return NULL;
	snprintf(r->servers[r->n].name, sizeof(r->servers[r->n].name), "%s", name);
	return &r->servers[r->n++];
}

static void parse_row(char *line, const struct columns *c, struct haproxy_report *r, bool add_all)
{
	char *w[64];
	int n = split_words(line, w, 64);
	struct haproxy_server *s;

	if (c->name < 0 || c->op < 0 || c->admin < 0)
		return;
	if (n <= c->name || n <= c->op || n <= c->admin)
		return;
	s = row_server(r, w[c->name], add_all);
	if (!s)
		return;
	s->found = true;
	s->op_state = (int)strtol(w[c->op], NULL, 10);
	s->admin_state = (unsigned)strtoul(w[c->admin], NULL, 10);
	s->ready =
	    (s->admin_state & (HAPROXY_ADMF_FMAINT | HAPROXY_ADMF_IMAINT | HAPROXY_ADMF_CMAINT |
			       HAPROXY_ADMF_FDRAIN | HAPROXY_ADMF_IDRAIN | HAPROXY_ADMF_RMAINT |
			       HAPROXY_ADMF_HMAINT)) == 0;
}

int haproxy_parse_state(char *text, struct haproxy_report *r)
{
	struct columns cols = {-1, -1, -1, 0};
	bool add_all = r->n == 0, table = false, header = false;
	char *save = NULL;

	for (size_t i = 0; i < r->n; i++) {
		r->servers[i].found = false;
		r->servers[i].op_state = -1;
	}
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!table && !strcmp(line, "1")) {
			table = true;
		} else if (!table) {
			char msg[HAPROXY_ERR_MAX];

			str_escape(msg, sizeof(msg), line,
				   strlen(line)); /* HAProxy's text, inert */
			str_append(r->error, sizeof(r->error), "%sHAProxy: %s",
				   r->error[0] ? "; " : "", msg);
		} else if (line[0] == '#') {
			header_columns(line, &cols);
			header = true;
		} else if (header) {
			parse_row(line, &cols, r, add_all);
		}
	}
	if (table && header)
		return 0;
	if (!r->error[0])
		str_append(r->error, sizeof(r->error),
			   "HAProxy: no server state table in the answer");
	return -ENOENT;
}

/* "show info" comes first: "Key: value" lines up to an empty line. Takes Pid and
 * Uptime_sec into r; returns the rest of the answer. */
static char *take_info(char *text, struct haproxy_report *r)
{
	char *end, *p;

	r->pid = 0;
	r->uptime_s = -1;
	if (strncmp(text, "Name: ", 6) != 0)
		return text;
	end = strstr(text, "\n\n");
	if (end)
		*end = '\0';
	for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, "Pid: ", 5))
			r->pid = strtol(p + 5, NULL, 10);
		else if (!strncmp(p, "Uptime_sec: ", 12))
			r->uptime_s = strtoll(p + 12, NULL, 10);
	}
	return end ? end + 2 : text + strlen(text);
}

/* --- one exchange ------------------------------------------------------------- */

static void close_exchange(struct haproxy *h)
{
	if (h->fd >= 0) {
		loop_del_fd(h->loop, h->fd);
		close(h->fd);
		h->fd = -1;
	}
	h->busy = false;
	h->early_err[0] = '\0';
	loop_timer_disarm(h->timer);
}

static void check_apply(struct haproxy_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct haproxy_server *s = &r->servers[i];

		if (!s->found) {
			r->ok = false;
			str_append(r->error, sizeof(r->error), "%s%s: not in the HAProxy backend",
				   r->error[0] ? "; " : "", s->name);
		} else if (s->ready != s->want_ready) {
			r->ok = false;
			str_append(r->error, sizeof(r->error),
				   "%s%s: asked %s, HAProxy reads back %s (admin state 0x%x)",
				   r->error[0] ? "; " : "", s->name,
				   s->want_ready ? "ready" : "maint", s->ready ? "ready" : "maint",
				   s->admin_state);
		}
	}
}

static void fill_request_servers(const struct haproxy *h, struct haproxy_report *r)
{
	if (!h->cur_apply)
		return;
	r->n = h->cur_n;
	for (size_t i = 0; i < h->cur_n; i++) {
		snprintf(r->servers[i].name, sizeof(r->servers[i].name), "%s", h->cur_servers[i]);
		r->servers[i].op_state = -1;
		r->servers[i].want_ready =
		    h->cur_active[0] && !strcmp(h->cur_servers[i], h->cur_active);
	}
}

static int start_exchange(struct haproxy *h);

/* Hands r to the callback, then runs what waits. Returns true when h was freed. */
static bool report(struct haproxy *h, struct haproxy_report *r)
{
	if (r->reachable != h->reachable)
		log_notice("haproxy %s: %s", h->sun.sun_path,
			   r->reachable ? "reachable" : r->error);
	h->reachable = r->reachable;
	if (r->reachable && !r->ok)
		log_warn("haproxy %s: %s", h->sun.sun_path, r->error);
	h->in_cb = true;
	h->cb(h->arg, r);
	h->in_cb = false;
	if (h->free_after_cb) {
		haproxy_free(h);
		return true;
	}
	if (h->pending != PENDING_NONE && !h->busy)
		start_exchange(h);
	return false;
}

static void fail_exchange(struct haproxy *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail_exchange(struct haproxy *h, const char *fmt, ...)
{
	struct haproxy_report *r = calloc(1, sizeof(*r));
	va_list ap;

	close_exchange(h);
	if (loop_now_ms() < h->burst_until) { /* the new process does not listen yet */
		if (h->pending == PENDING_NONE || h->cur_apply)
			h->pending = h->cur_apply ? PENDING_APPLY : PENDING_REFRESH;
		loop_timer_arm(h->retry, RENEW_RETRY_MS);
		free(r);
		return;
	}
	if (!r) {
		log_err("%s: out of memory", __func__);
		return;
	}
	r->apply = h->cur_apply;
	r->started_ms = h->started_ms;
	r->uptime_s = -1;
	fill_request_servers(h, r);
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	report(h, r);
	free(r);
}

static void finish_exchange(struct haproxy *h)
{
	struct haproxy_report *r = calloc(1, sizeof(*r));

	close_exchange(h);
	if (!r) {
		log_err("%s: out of memory", __func__);
		return;
	}
	r->reachable = true;
	r->apply = h->cur_apply;
	r->started_ms = h->started_ms;
	fill_request_servers(h, r);
	h->resp[h->resp_len] = '\0';
	r->ok = haproxy_parse_state(take_info(h->resp, r), r) == 0;
	if (r->ok && r->apply)
		check_apply(r);
	if (r->ok)
		r->error[0] = '\0'; /* messages of commands that still read back right */
	report(h, r);
	free(r);
}

static void on_readable(struct haproxy *h)
{
	for (;;) {
		ssize_t got = read(h->fd, h->resp + h->resp_len, RESP_MAX - h->resp_len);

		if (got > 0) {
			h->resp_len += (size_t)got;
			if (h->resp_len >= RESP_MAX) {
				fail_exchange(h, "HAProxy answer larger than %d bytes", RESP_MAX);
				return;
			}
			continue;
		}
		if (got == 0) {
			finish_exchange(h);
			return;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			fail_exchange(h, "reading %s: %s", h->sun.sun_path, strerror(errno));
		return;
	}
}

static void on_writable(struct haproxy *h)
{
	while (h->req_off < h->req_len) {
		ssize_t put =
		    send(h->fd, h->req + h->req_off, h->req_len - h->req_off, MSG_NOSIGNAL);

		if (put < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				fail_exchange(h, "writing %s: %s", h->sun.sun_path,
					      strerror(errno));
			return;
		}
		h->req_off += (size_t)put;
	}
	loop_mod_fd(h->loop, h->fd, EPOLLIN);
}

static void on_fd(void *arg, int fd, uint32_t events)
{
	struct haproxy *h = arg;

	if (fd != h->fd)
		return;
	if (h->req_off < h->req_len) {
		if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLOUT)) {
			fail_exchange(h, "connection to %s failed", h->sun.sun_path);
			return;
		}
		on_writable(h);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		on_readable(h);
}

static void on_timeout(void *arg)
{
	struct haproxy *h = arg;
	char err[HAPROXY_ERR_MAX];

	if (!h->busy)
		return;
	if (h->early_err[0]) {
		memcpy(err, h->early_err, sizeof(err));
		fail_exchange(h, "%s", err);
		return;
	}
	fail_exchange(h, "no answer from %s within %u ms", h->sun.sun_path, h->timeout_ms);
}

static int build_request(struct haproxy *h)
{
	char *p = h->req;
	size_t left = sizeof(h->req);
	int w = 0;

#define ADD(...)                                                                                   \
	do {                                                                                       \
		w = snprintf(p, left, __VA_ARGS__);                                                \
		if (w < 0 || (size_t)w >= left)                                                    \
			return -E2BIG;                                                             \
		p += w;                                                                            \
		left -= (size_t)w;                                                                 \
	} while (0)

	ADD("show info;");
	if (h->cur_apply && h->cur_active[0])
		ADD("set server %s/%s state ready;", h->backend, h->cur_active);
	for (size_t i = 0; h->cur_apply && i < h->cur_n; i++) {
		if (!strcmp(h->cur_servers[i], h->cur_active))
			continue;
		ADD("set server %s/%s state maint;", h->backend, h->cur_servers[i]);
		ADD("shutdown sessions server %s/%s;", h->backend, h->cur_servers[i]);
	}
	ADD("show servers state %s\n", h->backend);
#undef ADD
	h->req_len = (size_t)(p - h->req);
	return 0;
}

static int start_exchange(struct haproxy *h)
{
	int rc;

	h->cur_apply = h->pending == PENDING_APPLY;
	h->pending = PENDING_NONE;
	if (h->cur_apply) {
		memcpy(h->cur_active, h->active, sizeof(h->cur_active));
		memcpy(h->cur_servers, h->servers, sizeof(h->cur_servers));
		h->cur_n = h->n;
	}
	h->req_off = 0;
	h->resp_len = 0;
	h->started_ms = loop_now_ms();
	rc = build_request(h);
	if (rc < 0) {
		log_err("%s: request too long", __func__);
		return rc;
	}
	h->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->fd < 0) {
		rc = -errno;
		log_err("%s: socket: %s", __func__, strerror(errno));
		return rc;
	}
	h->busy = true;
	if (connect(h->fd, (struct sockaddr *)&h->sun, sizeof(h->sun)) < 0 &&
	    errno != EINPROGRESS) {
		/* Reported from the loop, never from inside the caller's haproxy_apply(). */
		snprintf(h->early_err, sizeof(h->early_err), "cannot connect to %s: %s",
			 h->sun.sun_path, strerror(errno));
		close(h->fd);
		h->fd = -1;
		loop_timer_arm(h->timer, 0);
		return 0;
	}
	rc = loop_add_fd(h->loop, h->fd, EPOLLOUT, on_fd, h);
	if (rc < 0) {
		log_err("%s: %s", __func__, strerror(-rc));
		close_exchange(h);
		return rc;
	}
	loop_timer_arm(h->timer, h->timeout_ms);
	return 0;
}

/* --- a new HAProxy process: the socket is re-created --------------------------- */

static int request(struct haproxy *h, enum pending what);

static void on_socket_dir(void *arg, int fd, uint32_t events)
{
	struct haproxy *h = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool renewed = false;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (ev->len && !strcmp(ev->name, h->base))
				renewed = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	if (!renewed)
		return;
	log_notice("haproxy %s: socket re-created (a new HAProxy process): %s", h->sun.sun_path,
		   h->has_apply ? "applying the active backend again" : "reading it back");
	h->burst_until = loop_now_ms() + RENEW_BURST_MS;
	request(h, h->has_apply ? PENDING_APPLY : PENDING_REFRESH);
}

static void on_retry(void *arg)
{
	struct haproxy *h = arg;

	if (!h->busy && !h->in_cb && h->pending != PENDING_NONE)
		start_exchange(h);
}

/* HAProxy binds a new socket under a temporary name and renames it over the path. Without
 * the watch (no inotify, no directory) the periodic read-back notices the new Pid. */
static void watch_socket(struct haproxy *h)
{
	char dir[sizeof(h->sun.sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", h->sun.sun_path);
	slash = strrchr(dir, '/');
	snprintf(h->base, sizeof(h->base), "%s", slash ? slash + 1 : dir);
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	h->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (h->ino_fd >= 0 && inotify_add_watch(h->ino_fd, dir, IN_CREATE | IN_MOVED_TO) >= 0 &&
	    loop_add_fd(h->loop, h->ino_fd, EPOLLIN, on_socket_dir, h) == 0)
		return;
	log_info("haproxy %s: cannot watch %s (%s): a new HAProxy process is noticed at the "
		 "next read-back",
		 h->sun.sun_path, dir, strerror(errno));
	if (h->ino_fd >= 0)
		close(h->ino_fd);
	h->ino_fd = -1;
}

/* --- API ---------------------------------------------------------------------- */

struct haproxy *haproxy_new(struct loop *l, const char *socket_path, const char *backend,
			    uint32_t timeout_ms, haproxy_cb cb, void *arg)
{
	struct haproxy *h;

	if (!socket_path || !name_ok(backend) || !cb) {
		errno = EINVAL;
		return NULL;
	}
	if (strlen(socket_path) >= sizeof(h->sun.sun_path) || !socket_path[0]) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->loop = l;
	h->fd = -1;
	h->sun.sun_family = AF_UNIX;
	memcpy(h->sun.sun_path, socket_path, strlen(socket_path) + 1);
	snprintf(h->backend, sizeof(h->backend), "%s", backend);
	h->timeout_ms = timeout_ms ? timeout_ms : HAPROXY_TIMEOUT_MS;
	h->cb = cb;
	h->arg = arg;
	h->timer = loop_timer_new(l, on_timeout, h);
	h->retry = h->timer ? loop_timer_new(l, on_retry, h) : NULL;
	if (!h->retry) {
		int err = errno;

		loop_timer_free(h->timer);
		free(h);
		errno = err;
		return NULL;
	}
	watch_socket(h);
	return h;
}

static int request(struct haproxy *h, enum pending what)
{
	if (what == PENDING_APPLY || h->pending == PENDING_NONE)
		h->pending = what;
	if (h->busy || h->in_cb)
		return 0; /* runs when the current exchange has reported */
	return start_exchange(h);
}

int haproxy_apply(struct haproxy *h, const char *active, const char *const *servers, size_t n)
{
	bool found = !active;

	if (n > HAPROXY_MAX_SERVERS || (active && !name_ok(active)))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!name_ok(servers[i]))
			return -EINVAL;
		if (active && !strcmp(servers[i], active))
			found = true;
	}
	if (!found)
		return -EINVAL;
	snprintf(h->active, sizeof(h->active), "%s", active ? active : "");
	h->has_apply = true;
	h->n = n;
	for (size_t i = 0; i < n; i++)
		snprintf(h->servers[i], sizeof(h->servers[i]), "%s", servers[i]);
	return request(h, PENDING_APPLY);
}

int haproxy_refresh(struct haproxy *h)
{
	return request(h, PENDING_REFRESH);
}

bool haproxy_reachable(const struct haproxy *h)
{
	return h && h->reachable;
}

bool haproxy_busy(const struct haproxy *h)
{
	return h && (h->busy || h->pending != PENDING_NONE);
}

void haproxy_free(struct haproxy *h)
{
	if (!h)
		return;
	if (h->in_cb) {
		h->free_after_cb = true;
		return;
	}
	close_exchange(h);
	loop_timer_free(h->timer);
	loop_timer_free(h->retry);
	if (h->ino_fd >= 0) {
		loop_del_fd(h->loop, h->ino_fd);
		close(h->ino_fd);
	}
	free(h);
}
