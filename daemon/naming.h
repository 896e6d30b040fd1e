/* SPDX-License-Identifier: MIT */
/* naming.h: the DNS name in the daemon: which address it should point at, and when to update it. */
#ifndef KCW_NAMING_H
#define KCW_NAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "dns.h"
#include "election.h"

struct json_object;
struct loop;
struct naming;

/* The DNS updater the module drives (tests record the calls). */
struct naming_io {
	struct dns_updater *(*dns_new)(struct loop *l, const struct cfg_dns *cfg,
				       const char *config_dir, dns_fence_cb cb, void *arg,
				       char *err, size_t errlen);
	void (*dns_free)(struct dns_updater *d);
	void (*dns_set_leader)(struct dns_updater *d, bool leader, uint64_t term, const char *node);
	void (*dns_set_target)(struct dns_updater *d, const struct kcw_addr *v4,
			       const struct kcw_addr *v6);
	void (*dns_status_json)(const struct dns_updater *d, struct json_object *root);
	void (*dns_get_counters)(const struct dns_updater *d, struct dns_counters *out);
	bool (*dns_fenced)(const struct dns_updater *d);
	uint64_t (*dns_last_success_ms)(const struct dns_updater *d);
};

/* dns/dns.c. */
extern const struct naming_io naming_io_real;

/* Where the module runs and whom it asks and tells. */
struct naming_env {
	struct loop *loop;
	const struct naming_io *io; /* NULL = naming_io_real */
	void *ctx;		    /* the callbacks' first argument */
	/* May the node called holder be leading now (it holds the DNS fence)? */
	bool (*holder_may_lead)(void *ctx, const char *holder);
	/* Feeds the election what the DNS fence says (EV_FENCE, EV_TERM). */
	void (*election_event)(void *ctx, const struct election_event *ev);
};

/*
 * For cfg's [dns], as node self: NULL without [dns] (and no error), or NULL with err.
 * What it needs of cfg is copied; env is copied. Nothing is sent before the first naming_sync().
 */
struct naming *naming_new(const struct naming_env *env, const struct kcw_config *cfg, size_t self,
			  char *err, size_t errlen);
/* Reload that keeps [dns]: take cfg's VIPs (naming_sync() then updates the target). */
void naming_reconfigure(struct naming *n, const struct kcw_config *cfg);
void naming_free(struct naming *n);
/*
 * Role, term or target may have changed: tell the updater what holds now. backend is the
 * active backend's connect-to address (active_connect_addr()), NULL for none.
 */
void naming_sync(struct naming *n, enum kcw_role role, uint64_t term, bool stopping,
		 const struct kcw_addr *backend);
void naming_status_json(const struct naming *n, struct json_object *root);
bool naming_fenced(const struct naming *n);
/* loop_now_ms() of the last successful DNS update, 0 before the first or without [dns]. */
uint64_t naming_last_success_ms(const struct naming *n);
/* The updater's counters (all zero without [dns]). */
void naming_get_counters(const struct naming *n, struct dns_counters *out);

#endif
