/* SPDX-License-Identifier: MIT */
/* etcd.h: the etcd coordinator's I/O: lease, leader key and watch over the v3 JSON gateway. */
#ifndef KCW_ETCD_H
#define KCW_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "loop.h"

struct etcd;

/* hold (may lead), ok (lease valid: eligible), term changed. Called from the loop, never from
 * inside etcd_want() or etcd_resign(). */
typedef void (*etcd_cb)(void *arg);

/*
 * Drives etcdlead (the pure state machine) with HTTP requests on a libcurl multi handle run by
 * the loop: one lease, the key <prefix>/leader with the node name as value, a watch on it.
 * Endpoints are tried in turn: a transport error or an etcd that cannot serve moves to the next
 * one (and reopens the watch there). With a user, a token from /v3/auth/authenticate goes in
 * the Authorization header. NULL with err on failure (libcurl missing, out of memory).
 */
struct etcd *etcd_new(struct loop *l, const struct kcw_config *cfg, size_t self, etcd_cb cb,
		      void *arg, char *err, size_t errlen);
/* The election's wish: hold the key (leader) or ask for it (claim due); first = this node is
 * the best eligible one and tries at once when the key goes. */
void etcd_want(struct etcd *e, bool on, bool first);
/* Give the key up now (delete if it is still this node's term). */
void etcd_resign(struct etcd *e);
bool etcd_hold(const struct etcd *e);
bool etcd_ok(const struct etcd *e);
uint64_t etcd_term(const struct etcd *e);

struct etcd_status {
	const char *endpoint;	/* in use */
	uint64_t lease_left_ms; /* until this node must give up, 0 = no valid lease */
	const char *last_error; /* "" = none */
	uint64_t last_error_ms; /* monotonic */
	uint64_t released_ms;	/* monotonic: hold last ended for lack of renewal, 0 = never */
	bool hold, ok;
	uint64_t term;
	uint64_t requests, failures;
};
void etcd_status(const struct etcd *e, struct etcd_status *out);

/* status.c: the "coordinator" object ({"kind": "heartbeat"} when e is NULL). */
struct json_object;
struct json_object *etcd_status_json(const struct etcd *e);

/* Waits up to max_ms for a delete in flight (at exit), then frees. NULL is fine. */
void etcd_free(struct etcd *e, unsigned max_ms);

#endif
