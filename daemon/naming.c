/* SPDX-License-Identifier: MIT */
/* naming.c: the DNS name in the daemon: which address it should point at, and when to update it. */
#include "naming.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "log.h"
#include "role.h"

const struct naming_io naming_io_real = {
    .dns_new = dns_new,
    .dns_free = dns_free,
    .dns_set_leader = dns_set_leader,
    .dns_set_target = dns_set_target,
    .dns_status_json = dns_status_json,
    .dns_get_counters = dns_get_counters,
    .dns_fenced = dns_fenced,
    .dns_last_success_ms = dns_last_success_ms,
};

struct naming {
	struct naming_env env;
	const struct naming_io *io;
	struct dns_updater *dns;
	enum dns_target target;
	struct kcw_addr vip4, vip6; /* the first VIP address of each family */
	struct kcw_addr self;	    /* this node's address */
	char self_name[CFG_NAME_MAX];
	enum kcw_role role; /* as of the last naming_sync() */
	bool leader; /* what the updater was last told */
	uint64_t term;
	struct kcw_addr v4, v6;
};

/* The first address of each family among the VIPs. */
static void target_vips(const struct kcw_config *cfg, struct kcw_addr *v4, struct kcw_addr *v6)
{
	for (size_t i = 0; i < cfg->n_vips; i++) {
		const struct kcw_addr *a = &cfg->vips[i].addr;

		if (a->family == AF_INET && !v4->family)
			*v4 = *a;
		else if (a->family == AF_INET6 && !v6->family)
			*v6 = *a;
	}
}

static void compute_target(const struct naming *n, const struct kcw_addr *backend,
			   struct kcw_addr *v4, struct kcw_addr *v6)
{
	memset(v4, 0, sizeof(*v4));
	memset(v6, 0, sizeof(*v6));
	switch (n->target) {
	case DNS_TARGET_VIP:
		*v4 = n->vip4;
		*v6 = n->vip6;
		break;
	case DNS_TARGET_SELF:
		*(n->self.family == AF_INET ? v4 : v6) = n->self;
		break;
	case DNS_TARGET_BACKEND:
		if (backend)
			*(backend->family == AF_INET ? v4 : v6) = *backend;
		break;
	}
}

static void on_fence(void *arg, bool fenced, uint64_t fence_term, const char *holder)
{
	struct naming *n = arg;
	struct election_event ev = {.type = EV_FENCE, .on = fenced, .term = fence_term};

	if (fenced && n->role == ROLE_LEADER && !n->env.holder_may_lead(n->env.ctx, holder)) {
		struct election_event up = {.type = EV_TERM, .term = fence_term};

		log_notice("the DNS fence holds term %llu of %s, which does not lead now: "
			   "leading with term %llu",
			   (unsigned long long)fence_term, holder,
			   (unsigned long long)fence_term + 1);
		n->env.election_event(n->env.ctx, &up); /* naming_sync then writes the new term */
		return;
	}
	/* dns.c has logged it (stale: error; unfenced: notice) */
	n->env.election_event(n->env.ctx, &ev);
}

struct naming *naming_new(const struct naming_env *env, const struct kcw_config *cfg, size_t self,
			  char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct naming *n;

	if (!cfg->dns.enabled)
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n->env = *env;
	n->io = env->io ? env->io : &naming_io_real;
	n->target = cfg->dns.target;
	n->self = cfg->nodes[self].addr;
	snprintf(n->self_name, sizeof(n->self_name), "%s", cfg->nodes[self].name);
	naming_reconfigure(n, cfg);
	snprintf(dir, sizeof(dir), "%s", cfg->path);
	n->dns = n->io->dns_new(env->loop, &cfg->dns, dirname(dir), on_fence, n, err, errlen);
	if (!n->dns) {
		free(n);
		return NULL;
	}
	return n;
}

void naming_reconfigure(struct naming *n, const struct kcw_config *cfg)
{
	if (!n)
		return;
	memset(&n->vip4, 0, sizeof(n->vip4));
	memset(&n->vip6, 0, sizeof(n->vip6));
	target_vips(cfg, &n->vip4, &n->vip6);
}

void naming_free(struct naming *n)
{
	if (!n)
		return;
	n->io->dns_free(n->dns);
	free(n);
}

void naming_sync(struct naming *n, enum kcw_role role, uint64_t term, bool stopping,
		 const struct kcw_addr *backend)
{
	struct kcw_addr v4, v6;
	bool leader;

	if (!n)
		return;
	n->role = role;
	leader = role == ROLE_LEADER && !stopping;
	compute_target(n, backend, &v4, &v6);
	if (!addr_eq(&v4, &n->v4) || !addr_eq(&v6, &n->v6) || v4.family != n->v4.family ||
	    v6.family != n->v6.family) {
		n->v4 = v4;
		n->v6 = v6;
		n->io->dns_set_target(n->dns, v4.family ? &v4 : NULL, v6.family ? &v6 : NULL);
	}
	if (leader != n->leader || (leader && term != n->term)) {
		n->leader = leader;
		n->term = term;
		n->io->dns_set_leader(n->dns, leader, term, n->self_name);
	}
}
void naming_status_json(const struct naming *n, struct json_object *root)
{
	if (n)
		n->io->dns_status_json(n->dns, root);
}

uint64_t naming_last_success_ms(const struct naming *n)
{
	return n && n->dns ? n->io->dns_last_success_ms(n->dns) : 0;
}

bool naming_fenced(const struct naming *n)
{
	return n && n->io->dns_fenced(n->dns);
}

void naming_get_counters(const struct naming *n, struct dns_counters *out)
{
	if (n && n->dns)
		n->io->dns_get_counters(n->dns, out);
	else
		memset(out, 0, sizeof(*out));
}
