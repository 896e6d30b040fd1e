/* SPDX-License-Identifier: MIT */
/* health.h: HTTPS health checks of all backends on one libcurl multi handle driven by the loop. */
#ifndef KCW_HEALTH_H
#define KCW_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "healthclass.h"
#include "loop.h"

struct health;

struct health_result {
	bool up;
	char reason[HEALTH_REASON_MAX]; /* "" when up */
	uint32_t latency_ms;            /* start of the check to its end */
	long http_code;                 /* 0 = no HTTP response */
};

/*
 * Called from the loop once per finished check of backend idx (index into the
 * array given to health_new). The callback may call health_stop() or
 * health_start(), but not health_free().
 */
typedef void (*health_result_cb)(void *arg, size_t idx, const struct health_result *r);

/*
 * Prepares checks of n backends (file order; copied, the caller's array may go
 * away): one reused easy handle per backend, with connect-to, CA file, client
 * certificate, peer and host verification, no proxy, timeout = timeout_ms.
 * Nothing runs before health_start(). NULL on failure with err filled.
 */
struct health *health_new(struct loop *l, const struct cfg_backend *b, size_t n,
			  health_result_cb cb, void *arg, char *err, size_t errlen);

/* health_start(): backends whose first checks start in the same instant... */
#define HEALTH_BURST 16
/* ...and the most time between two such groups. */
#define HEALTH_STAGGER_MAX_MS 10

/*
 * Leader: starts checking. Backend i's first check starts
 * (i / HEALTH_BURST) x min(interval_ms / groups, HEALTH_STAGGER_MAX_MS) from
 * now (with up to HEALTH_BURST backends: all at once); then each checks every
 * interval_ms on its own schedule (a slow backend never delays another).
 * Idempotent. 0 or negative errno.
 */
int health_start(struct health *h);

/* Follower: cancels every transfer in flight and every timer. No callback follows. */
void health_stop(struct health *h);

bool health_running(const struct health *h);

/* Stops and frees. NULL is fine. */
void health_free(struct health *h);

/* The kind of failure a CURLcode stands for (HEALTH_FAIL_NONE for CURLE_OK). */
enum health_failure health_failure_of(int curl_code);

#endif
