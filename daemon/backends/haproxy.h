/* SPDX-License-Identifier: MIT */
/* haproxy.h: non-blocking client of the local HAProxy runtime API (UNIX socket, level admin). */
#ifndef KCW_HAPROXY_H
#define KCW_HAPROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "loop.h"

#define HAPROXY_MAX_SERVERS CFG_MAX_BACKENDS
#define HAPROXY_TIMEOUT_MS  2000 /* per exchange when 0 is given */
#define HAPROXY_ERR_MAX	    512

/* srv_admin_state bits of "show servers state" (HAProxy's SRV_ADMF_*). */
#define HAPROXY_ADMF_FMAINT 0x01u /* forced maintenance ("set server ... state maint") */
#define HAPROXY_ADMF_IMAINT 0x02u /* inherited maintenance (tracked server) */
#define HAPROXY_ADMF_CMAINT 0x04u /* disabled in the configuration */
#define HAPROXY_ADMF_FDRAIN 0x08u
#define HAPROXY_ADMF_IDRAIN 0x10u
#define HAPROXY_ADMF_RMAINT 0x20u /* DNS resolution failed */
#define HAPROXY_ADMF_HMAINT 0x40u /* host name not resolved yet */

struct haproxy;

struct haproxy_server {
	char name[CFG_NAME_MAX];
	bool found;   /* listed by "show servers state" */
	int op_state; /* srv_op_state: 0 stopped, 1 starting, 2 running, 3 stopping; -1 unknown */
	unsigned admin_state; /* srv_admin_state bits */
	bool ready;	 /* no maintenance and no drain bit: takes traffic when op_state allows */
	bool want_ready; /* apply: what was asked */
};

struct haproxy_report {
	bool reachable; /* the socket answered within the timeout */
	bool apply;	/* this exchange was an apply (else a read-back only) */
	bool ok; /* reachable, the backend exists and (apply) every server reads back as asked */
	char error[HAPROXY_ERR_MAX]; /* "" when ok: unreachable, timeout, HAProxy's messages,
					mismatch */
	size_t n;
	struct haproxy_server servers[HAPROXY_MAX_SERVERS]; /* apply: in the order given */
	long pid;	     /* HAProxy's "show info" Pid; 0 = not told */
	int64_t uptime_s;    /* its Uptime_sec; -1 = not told */
	uint64_t started_ms; /* when the exchange started (loop clock) */
};

/*
 * Called from the loop after every exchange. It may call haproxy_apply(),
 * haproxy_refresh() and haproxy_free().
 */
typedef void (*haproxy_cb)(void *arg, const struct haproxy_report *r);

/*
 * A client for socket_path managing the servers of HAProxy backend `backend`.
 * Every exchange starts with "show info" (the report carries Pid and Uptime_sec).
 * It watches the socket's directory (inotify): when HAProxy re-creates the socket
 * (a new process after a reload or restart, which lost the runtime server states),
 * the newest apply is sent again at once (a read-back when nothing was applied yet).
 * timeout_ms bounds each exchange (0 = HAPROXY_TIMEOUT_MS). Nothing is sent
 * yet. NULL with errno set (ENAMETOOLONG, EINVAL for a name with spaces or
 * ';', ENOMEM).
 */
struct haproxy *haproxy_new(struct loop *l, const char *socket_path, const char *backend,
			    uint32_t timeout_ms, haproxy_cb cb, void *arg);

/*
 * Asks for `active` -> "state ready" first, then every other of the n servers
 * -> "state maint" plus "shutdown sessions server" (Keycloak sessions are not
 * shared), then reads back "show servers state BACKEND" and reports (ok false
 * on any mismatch). active may be NULL (all maint). While an exchange runs the
 * newest request waits and replaces older waiting ones. 0 or -EINVAL (bad
 * name, n too large, active not among servers).
 */
int haproxy_apply(struct haproxy *h, const char *active, const char *const *servers, size_t n);

/* Reads back "show servers state BACKEND" only (a reachability probe). 0 or negative errno. */
int haproxy_refresh(struct haproxy *h);

/* Result of the last finished exchange (false before the first). */
bool haproxy_reachable(const struct haproxy *h);
bool haproxy_busy(const struct haproxy *h);

/* Closes any exchange in flight (no callback) and frees. NULL is fine. */
void haproxy_free(struct haproxy *h);

/*
 * Parses the text of "show servers state" (with any messages of earlier
 * commands before it) into r->servers: when r->n > 0 only those names are
 * filled in, else every row is added. Sets r->error for messages or a missing
 * table. Returns 0, or -ENOENT when there is no table (backend unknown).
 * Exposed for tests.
 */
int haproxy_parse_state(char *text, struct haproxy_report *r);

#endif
