/* SPDX-License-Identifier: MIT */
/* naming.c: the DNS name in the daemon: which address it should point at, and when to update it. */
#include "naming.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "active.h"
#include "daemon.h"
#include "dns.h"
#include "log.h"
#include "role.h"

struct naming {
	struct kcwd *d;
	struct dns_updater *dns;
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

static void target_backend(const struct kcwd *d, struct kcw_addr *v4, struct kcw_addr *v6)
{
	const struct backend_view *v = d->active ? active_view(d->active) : NULL;
	const struct cfg_backend *b;

	if (!v || v->active < 0)
		return;
	b = &d->cfg->backends[v->active];
	if (!b->has_connect_to)
		return;
	if (b->connect_addr.family == AF_INET)
		*v4 = b->connect_addr;
	else
		*v6 = b->connect_addr;
}

static void compute_target(const struct kcwd *d, struct kcw_addr *v4, struct kcw_addr *v6)
{
	const struct kcw_addr *self = &d->cfg->nodes[d->self].addr;

	memset(v4, 0, sizeof(*v4));
	memset(v6, 0, sizeof(*v6));
	switch (d->cfg->dns.target) {
	case DNS_TARGET_VIP:
		target_vips(d->cfg, v4, v6);
		break;
	case DNS_TARGET_SELF:
		*(self->family == AF_INET ? v4 : v6) = *self;
		break;
	case DNS_TARGET_BACKEND:
		target_backend(d, v4, v6);
		break;
	}
}

/*
 * The fence's holder cannot be leading when it is this node (a previous run)
 * or a peer heard alive now that says it is not the leader: then the fence is
 * only old, not a newer leadership (a whole cluster restarted, terms began at
 * 1 again). A holder that cannot be heard might lead on the other side of a
 * partition, so that case stays stale. So does one heard for less than an
 * interval: after a freeze this node first drains heartbeats queued while it
 * slept, sent before the holder took over, all "now" and right after a gap.
 */
static bool holder_not_leading(const struct kcwd *d, const char *holder)
{
	int idx = config_node_index(d->cfg, holder);
	uint64_t now = loop_now_ms();
	const struct election_peer *p;

	if (idx == (int)d->self)
		return true;
	if (idx < 0 || !election_peer_alive(&d->el, (size_t)idx, now))
		return false;
	p = &d->el.peers[idx];
	return p->role != ROLE_LEADER && now >= p->alive_since_ms + d->cfg->interval_ms;
}

static void on_fence(void *arg, bool fenced, uint64_t fence_term, const char *holder)
{
	struct naming *n = arg;
	struct election_event ev = {.type = EV_FENCE, .on = fenced, .term = fence_term};

	if (fenced && n->d->el.role == ROLE_LEADER && holder_not_leading(n->d, holder)) {
		struct election_event up = {.type = EV_TERM, .term = fence_term};

		log_notice("the DNS fence holds term %llu of %s, which does not lead now: "
			   "leading with term %llu",
			   (unsigned long long)fence_term, holder, (unsigned long long)fence_term + 1);
		daemon_election_event(n->d, &up); /* naming_sync then writes with the new term */
		return;
	}
	/* dns.c has logged it (stale: error; unfenced: notice) */
	daemon_election_event(n->d, &ev);
}

struct naming *naming_new(struct kcwd *d, const struct kcw_config *cfg, char *err, size_t errlen)
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
	n->d = d;
	snprintf(dir, sizeof(dir), "%s", cfg->path);
	n->dns = dns_new(d->loop, &cfg->dns, dirname(dir), on_fence, n, err, errlen);
	if (!n->dns) {
		free(n);
		return NULL;
	}
	return n;
}

void naming_free(struct naming *n)
{
	if (!n)
		return;
	dns_free(n->dns);
	free(n);
}

void naming_sync(struct naming *n)
{
	const struct election *e;
	struct kcw_addr v4, v6;
	bool leader;

	if (!n)
		return;
	e = &n->d->el;
	leader = e->role == ROLE_LEADER && !n->d->stopping;
	compute_target(n->d, &v4, &v6);
	if (!addr_eq(&v4, &n->v4) || !addr_eq(&v6, &n->v6) || v4.family != n->v4.family ||
	    v6.family != n->v6.family) {
		n->v4 = v4;
		n->v6 = v6;
		dns_set_target(n->dns, v4.family ? &v4 : NULL, v6.family ? &v6 : NULL);
	}
	if (leader != n->leader || (leader && e->term != n->term)) {
		n->leader = leader;
		n->term = e->term;
		dns_set_leader(n->dns, leader, e->term, n->d->cfg->nodes[n->d->self].name);
	}
}

void naming_status_json(const struct naming *n, struct json_object *root)
{
	if (n)
		dns_status_json(n->dns, root);
}

uint64_t naming_last_success_ms(const struct naming *n)
{
	return n && n->dns ? dns_last_success_ms(n->dns) : 0;
}

bool naming_fenced(const struct naming *n)
{
	return n && dns_fenced(n->dns);
}

void naming_get_counters(const struct naming *n, struct dns_counters *out)
{
	if (n && n->dns)
		dns_get_counters(n->dns, out);
	else
		memset(out, 0, sizeof(*out));
}
