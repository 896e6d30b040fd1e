/* SPDX-License-Identifier: MIT */
/* metrics.h: Prometheus text exposition of the daemon's counters, and a tiny HTTP/1.0 endpoint. */
#ifndef KCW_METRICS_H
#define KCW_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "dns.h"
#include "heartbeat.h"
#include "hooks.h"
#include "loop.h"
#include "role.h"

/* Upper bounds of the backend check latency histogram, in milliseconds (+Inf is implicit). */
#define METRICS_LATENCY_BOUNDS_MS                                                                  \
	{                                                                                          \
		5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000                              \
	}
#define METRICS_LATENCY_BUCKETS 11

/* Non-cumulative counts: buckets[i] = observations <= bound i and > bound i-1; the
 * last slot counts those above every bound. Rendering makes them cumulative. */
struct metrics_histogram {
	uint64_t buckets[METRICS_LATENCY_BUCKETS + 1];
	uint64_t count;
	uint64_t sum_ms;
};

/* What the daemon accumulates per backend from its health results. */
struct metrics_checks {
	uint64_t up;   /* checks that passed */
	uint64_t down; /* checks that failed */
	struct metrics_histogram latency;
};

struct metrics_backend {
	char name[CFG_NAME_MAX];
	bool up;     /* state now (unknown = not up) */
	bool active; /* the backend the cluster sends clients to */
	struct metrics_checks checks;
};

/*
 * A snapshot the daemon fills right before rendering. Everything is plain
 * data: the renderer makes no calls into the daemon. Zero means "none" for
 * every field, so a memset struct renders a valid exposition.
 */
/* One other node of the configuration. */
struct metrics_peer {
	char name[CFG_NAME_MAX];
	bool up;	      /* heard within the dead interval */
	bool heard;	      /* at least one accepted heartbeat since start */
	uint64_t seen_ago_ms; /* since its last accepted heartbeat (when heard) */
};

struct metrics_vip {
	char name[CFG_NAME_MAX];
	bool held;
};

/*
 * A snapshot the daemon fills right before rendering. Everything is plain
 * data: the renderer makes no calls into the daemon. Zero means "none" for
 * every field, so a memset struct renders a valid exposition. Times called
 * *_unix_ms are wall-clock milliseconds since the epoch (0 = never).
 */
struct kcw_metrics {
	char node[CFG_NAME_MAX];
	char cluster[CFG_NAME_MAX];
	uint64_t start_unix_ms; /* process_start_time_seconds */
	/* election */
	enum kcw_role role;
	uint64_t term;
	bool maintenance;
	bool fenced;		/* the DNS fence holds a newer term */
	bool defence_satisfied; /* split-brain defence holds (always with none) */
	uint64_t leader_changes;
	struct metrics_peer peers[CFG_MAX_NODES]; /* the other nodes */
	size_t n_peers;
	size_t peers_alive;
	/* heartbeat transport */
	uint64_t hb_sent;
	uint64_t hb_received;
	uint64_t hb_send_errors;
	uint64_t hb_dropped[HB_DROP__COUNT]; /* label reason = hb_drop_name(i) */
	/* VIPs */
	struct metrics_vip vips[CFG_MAX_VIPS];
	size_t n_vips;
	uint64_t vip_announcements;
	uint64_t vip_release_failures; /* failed VIP deletes, retried with backoff */
	/* backends, file order */
	struct metrics_backend backends[CFG_MAX_BACKENDS];
	size_t n_backends;
	uint64_t backend_switches;
	bool backend_outage;
	bool has_haproxy; /* [backends] haproxy-socket is set */
	bool haproxy_up;
	/* DNS */
	uint64_t dns_updates[DNS_RESULTS]; /* label result = dns_result_name(i) */
	uint64_t dns_last_success_unix_ms;
	uint64_t dns_fence_invalid;	   /* fence reads with a record that does not parse */
	uint64_t dns_fence_implausible;	   /* fence reads with a term > own + 1,000,000 */
	/* hooks and reloads */
	struct hooks_stats hooks;
	uint64_t reloads_ok;
	uint64_t reloads_failed;
	bool reload_failed_last;      /* the last reload was refused */
	uint64_t last_reload_unix_ms; /* the last reload attempt, or the start */
	/* coordinator = etcd (nothing rendered unless etcd is set) */
	bool etcd;
	char etcd_endpoint[CFG_URL_MAX];
	bool etcd_lease_valid;
	bool etcd_holds_key;
	uint64_t etcd_lease_left_ms;
	uint64_t etcd_requests;
	uint64_t etcd_failures;
};

/* Counts one check result of a backend into its accumulator. */
void metrics_checks_observe(struct metrics_checks *c, bool up, uint32_t latency_ms);

/*
 * The exposition (text format 0.0.4) of m: every metric family always has
 * its # HELP and # TYPE lines. A new NUL-terminated buffer (free() it) whose
 * length goes to *len when len is not NULL; NULL with errno on failure.
 */
char *metrics_render(const struct kcw_metrics *m, size_t *len);

/* Writes s into buf as a label value ('\\', '"' and newline escaped). Returns buf. */
const char *metrics_escape_label(const char *s, char *buf, size_t len);

/* ---- HTTP endpoint ([metrics] listen = ADDR:PORT) ------------------------------------------- */

#define METRICS_HTTP_MAX_CLIENTS 16   /* more are closed at once */
#define METRICS_HTTP_REQUEST_MAX 2048 /* request line and headers */
#define METRICS_HTTP_TIMEOUT_MS	 5000 /* a whole exchange, from accept to the last byte */

/* Fills the snapshot for one scrape. */
typedef void (*metrics_fill_cb)(void *arg, struct kcw_metrics *m);

struct metrics_http;

/*
 * Listens on addr:port (TCP, non-blocking, CLOEXEC, SO_REUSEADDR) inside
 * the loop. Each connection carries one request: "GET /metrics" (or HEAD)
 * answers 200 with the exposition, any other path 404, any other method
 * 405, an oversized or malformed request 400; then the connection closes.
 * NULL with err filled on failure.
 */
struct metrics_http *metrics_http_open(struct loop *l, const struct kcw_addr *addr, uint16_t port,
				       metrics_fill_cb fill, void *arg, char *err, size_t errlen);
/* Closes the listener and every connection. NULL is fine. */
void metrics_http_close(struct metrics_http *h);
/* The bound port (useful with port 0 in tests). */
uint16_t metrics_http_port(const struct metrics_http *h);

#endif
