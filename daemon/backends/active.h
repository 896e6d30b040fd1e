/* SPDX-License-Identifier: MIT */
/* active.h: the cluster's active backend in the daemon: the leader checks, every node applies it. */
#ifndef KCW_ACTIVE_H
#define KCW_ACTIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "backend.h"
#include "config.h"
#include "haproxy.h"
#include "role.h"
#include "health.h"
#include "heartbeat.h"
#include "loop.h"

struct json_object;
struct active;

/* The clock, timers, health checks and HAProxy client the module drives (tests record them). */
struct active_io {
	uint64_t (*now_ms)(void);
	struct loop_timer *(*timer_new)(struct loop *l, loop_timer_cb cb, void *arg);
	int (*timer_arm)(struct loop_timer *t, uint64_t delay_ms);
	int (*timer_arm_at)(struct loop_timer *t, uint64_t at_ms);
	void (*timer_disarm)(struct loop_timer *t);
	void (*timer_free)(struct loop_timer *t);
	struct health *(*health_new)(struct loop *l, const struct cfg_backend *b, size_t n,
				     health_result_cb cb, void *arg, char *err, size_t errlen);
	int (*health_start)(struct health *h);
	void (*health_stop)(struct health *h);
	bool (*health_running)(const struct health *h);
	void (*health_free)(struct health *h);
	struct haproxy *(*haproxy_new)(struct loop *l, const char *socket_path, const char *backend,
				       uint32_t timeout_ms, haproxy_cb cb, void *arg);
	int (*haproxy_apply)(struct haproxy *h, const char *active, const char *const *servers,
			     size_t n);
	int (*haproxy_refresh)(struct haproxy *h);
	bool (*haproxy_busy)(const struct haproxy *h);
	void (*haproxy_free)(struct haproxy *h);
};

/* loop.c, health.c and haproxy.c. */
extern const struct active_io active_io_real;

/* Where the module runs and whom it tells. */
struct active_env {
	struct loop *loop;
	const struct active_io *io; /* NULL = active_io_real */
	void *ctx;		    /* the callbacks' first argument */
	/* The active backend changed (on any node). */
	void (*backend_changed)(void *ctx);
	/* The view changed: a leader sends it to its peers now. */
	void (*view_changed)(void *ctx);
	/* The local HAProxy went down or answers again: active_haproxy_down() changed. */
	void (*haproxy_changed)(void *ctx);
	/* One own check result of backend idx, for metrics. */
	void (*check_done)(void *ctx, size_t idx, bool up, uint32_t latency_ms);
};

/*
 * For backends b[0..n) and their options (copied: the caller's config may go away):
 * NULL without backends (n = 0), or NULL with err. env is copied.
 */
struct active *active_new(const struct active_env *env, const struct cfg_backend *b, size_t n,
			  const struct cfg_backends *opt, char *err, size_t errlen);
/* Reload: start from the view of the module this one replaces (matched by name). */
void active_take_over(struct active *a, const struct active *old);
void active_free(struct active *a);
/* The node's role changed: a leader checks the backends, others stop checking. */
void active_role(struct active *a, enum kcw_role role);
/* A heartbeat of the node this node follows as leader: take its view. */
void active_leader_heartbeat(struct active *a, const struct hb_msg *m);
/* The backend view for this node's heartbeat (leaders' views are authoritative). */
void active_export(const struct active *a, struct hb_msg *m);
/* kcwatchctl backend use NAME: 0, or negative errno with msg saying why. */
int active_use(struct active *a, const char *name, char *msg, size_t len);
void active_status_json(const struct active *a, struct json_object *root);
/* The local HAProxy did not answer its last exchange: this node should not lead. */
bool active_haproxy_down(const struct active *a);
const struct backend_view *active_view(const struct active *a);
/* The active backend's connect-to address, or NULL (none active, or it has no connect-to). */
const struct kcw_addr *active_connect_addr(const struct active *a);

#endif
