/* SPDX-License-Identifier: MIT */
/* reload.c: applies a changed configuration file to a running daemon, all or nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "active.h"
#include "daemon.h"
#include "log.h"
#include "naming.h"
#include "ops.h"
#include "peer.h"
#include "pinger.h"
#include "role.h"
#include "vipset.h"

/* Everything the new configuration needs, built before anything is switched. */
struct staged {
	struct kcw_config *cfg;
	struct hmac *hmac;
	struct vipset *vips;   /* new set when the VIPs changed */
	struct active *active; /* new module when the backends changed */
	struct naming *naming; /* new module when [dns] changed */
	bool vips_changed, backends_changed, dns_changed;
	char what[256]; /* what changed, for the operator */
};

static void note(struct staged *s, const char *what)
{
	size_t len = strlen(s->what);

	snprintf(s->what + len, sizeof(s->what) - len, "%s%s", len ? ", " : "", what);
}

/* What only a restart can change: the cluster's identity and the node list. */
static const char *needs_restart(const struct kcw_config *o, const struct kcw_config *n)
{
	if (strcmp(o->cluster_name, n->cluster_name) != 0)
		return "[cluster] name";
	if (o->port != n->port)
		return "[cluster] port";
	if (strcmp(o->control_socket, n->control_socket) != 0)
		return "[cluster] control-socket";
	if (strcmp(o->status_socket, n->status_socket) != 0)
		return "[cluster] status-socket";
	if (strcmp(o->state_dir, n->state_dir) != 0)
		return "[cluster] state-dir";
	if (strcmp(o->witness, n->witness) != 0 || o->has_tie_breaker != n->has_tie_breaker ||
	    (o->has_tie_breaker && !addr_eq(&o->tie_breaker, &n->tie_breaker)))
		return "[cluster] witness or tie-breaker";
	if (o->realtime != n->realtime)
		return "[cluster] realtime";
	if (o->coordinator != n->coordinator || memcmp(&o->etcd, &n->etcd, sizeof(o->etcd)) != 0)
		return "[cluster] coordinator or etcd-*";
	if (o->n_nodes != n->n_nodes)
		return "the list of [node] sections";
	for (size_t i = 0; i < o->n_nodes; i++) {
		if (strcmp(o->nodes[i].name, n->nodes[i].name) != 0 ||
		    !addr_eq(&o->nodes[i].addr, &n->nodes[i].addr) ||
		    o->nodes[i].kind != n->nodes[i].kind)
			return "the list of [node] sections (names, addresses, roles)";
	}
	return NULL;
}

static bool vips_equal(const struct kcw_config *o, const struct kcw_config *n)
{
	return o->n_vips == n->n_vips && !memcmp(o->vips, n->vips, sizeof(o->vips[0]) * o->n_vips);
}

static bool backends_equal(const struct kcw_config *o, const struct kcw_config *n)
{
	return o->n_backends == n->n_backends &&
	       !memcmp(o->backends, n->backends, sizeof(o->backends[0]) * o->n_backends) &&
	       !memcmp(&o->backends_opt, &n->backends_opt, sizeof(o->backends_opt));
}

static void vipset_fault_relay(void *arg, bool fault);

static int stage(struct kcwd *d, struct staged *s, char *err, size_t errlen)
{
	const struct kcw_config *o = d->cfg, *n = s->cfg;

	s->hmac = hmac_new_pair(n->key, n->key_len, n->key2, n->key2_len);
	if (!s->hmac) {
		snprintf(err, errlen, "cannot set up HMAC-SHA256 with the new key");
		return -EIO;
	}
	s->vips_changed = !vips_equal(o, n);
	if (s->vips_changed && n->n_vips) {
		s->vips =
		    vipset_new(d->loop, n->vips, n->n_vips, vipset_fault_relay, d, err, errlen);
		if (!s->vips)
			return -EINVAL;
	}
	s->backends_changed = !backends_equal(o, n);
	if (s->backends_changed && n->n_backends) {
		s->active = daemon_active_new(d, n, err, errlen);
		if (!s->active)
			return -EINVAL;
	}
	s->dns_changed = memcmp(&o->dns, &n->dns, sizeof(o->dns)) != 0;
	if (s->dns_changed && n->dns.enabled) {
		s->naming = daemon_naming_new(d, n, err, errlen);
		if (!s->naming)
			return -EINVAL;
	}
	return 0;
}

static void unstage(struct staged *s)
{
	hmac_free(s->hmac);
	if (s->vips)
		vipset_free(s->vips);
	active_free(s->active);
	naming_free(s->naming);
	config_free(s->cfg);
}

/* The fault callback of a new vipset must reach the daemon as the first one does. */
static void vipset_fault_relay(void *arg, bool fault)
{
	daemon_vip_fault(arg, fault);
}

static void ignore_fault(void *arg, bool fault)
{
}

/* A leader drops the VIPs that the new file no longer has, and keeps the others up. */
static void release_removed(struct kcwd *d, const struct kcw_config *n)
{
	struct cfg_vip gone[CFG_MAX_VIPS];
	size_t k = 0;
	char err[CFG_ERR_MAX];

	for (size_t i = 0; i < d->cfg->n_vips; i++) {
		bool kept = false;

		for (size_t j = 0; j < n->n_vips && !kept; j++)
			kept = !memcmp(&d->cfg->vips[i], &n->vips[j], sizeof(n->vips[j]));
		if (!kept)
			gone[k++] = d->cfg->vips[i];
	}
	if (k == 0 || election_role(d->el) != ROLE_LEADER)
		return;
	struct vipset *rs = vipset_new(d->loop, gone, k, ignore_fault, NULL, err, sizeof(err));

	if (rs) {
		vipset_release(rs);
		vipset_free(rs);
	} else {
		log_err("%s: cannot remove dropped VIPs: %s", __func__, err);
	}
}

static void switch_vips(struct kcwd *d, struct staged *s)
{
	bool leader = election_role(d->el) == ROLE_LEADER;

	release_removed(d, s->cfg);
	if (d->vips)
		vipset_free(d->vips); /* keeps the addresses that stay */
	d->vips = s->vips;
	s->vips = NULL;
	if (d->vips && leader)
		vipset_take(d->vips);
	else if (d->vips)
		vipset_remove_leftovers(d->vips);
	note(s, "VIPs");
}

static void switch_modules(struct kcwd *d, struct staged *s)
{
	if (s->vips_changed)
		switch_vips(d, s);
	if (s->backends_changed) {
		active_take_over(s->active, d->active);
		active_free(d->active);
		d->active = s->active;
		s->active = NULL;
		note(s, "backends");
	}
	if (s->dns_changed) {
		naming_free(d->naming);
		d->naming = s->naming;
		s->naming = NULL;
		note(s, "DNS");
	} else {
		naming_reconfigure(d->naming, s->cfg); /* the VIPs may have changed */
	}
}

static void switch_election(struct kcwd *d, const struct kcw_config *n)
{
	daemon_election_params(d); /* from d->cfg, which is n by now */
	if (d->pinger)
		pinger_set_timing(d->pinger, n->interval_ms, n->dead_after);
}

/* From here on nothing can fail: the new configuration replaces the old one. */
static void commit(struct kcwd *d, struct staged *s)
{
	struct kcw_config *old = d->cfg;
	struct hmac *old_hmac = d->hmac;
	enum kcw_role role = election_role(d->el);

	switch_modules(d, s);
	if (memcmp(old->key, s->cfg->key, sizeof(old->key)) != 0 ||
	    memcmp(old->key2, s->cfg->key2, sizeof(old->key2)) != 0)
		note(s, "key");
	if (old->interval_ms != s->cfg->interval_ms || old->dead_after != s->cfg->dead_after ||
	    old->preempt != s->cfg->preempt || old->preempt_delay_ms != s->cfg->preempt_delay_ms)
		note(s, "timers or preemption");
	if (old->nodes[d->self].priority != s->cfg->nodes[d->self].priority)
		note(s, "own priority");
	d->cfg = s->cfg;
	d->hmac = s->hmac;
	s->cfg = NULL;
	s->hmac = NULL;
	peer_set_config(d->peers, d->cfg, d->self, d->hmac);
	switch_election(d, d->cfg);
	hmac_free(old_hmac);
	config_free(old);
	active_role(d->active, role);
	daemon_naming_sync(d);
	daemon_priority_changed(d); /* may hand over when the own priority dropped */
}

static int reload(struct kcwd *d, char *msg, size_t len);

int daemon_reload(struct kcwd *d, char *msg, size_t len)
{
	int rc;

	daemon_ops_reloading(d);
	rc = reload(d, msg, len);
	daemon_ops_reloaded(d, rc == 0);
	return rc;
}

static int reload(struct kcwd *d, char *msg, size_t len)
{
	struct staged s = {0};
	const char *restart;
	char err[CFG_ERR_MAX];

	if (config_load(d->cfg->path, &s.cfg, err, sizeof(err)) < 0) {
		snprintf(msg, len, "%s", err);
		return -EINVAL;
	}
	restart = needs_restart(d->cfg, s.cfg);
	if (restart) {
		snprintf(msg, len, "%s: %s changed: restart kcwatchd to apply it", d->cfg->path,
			 restart);
		unstage(&s);
		return -EBUSY;
	}
	if (stage(d, &s, err, sizeof(err)) < 0) {
		snprintf(msg, len, "%s: %s", d->cfg->path, err);
		unstage(&s);
		return -EINVAL;
	}
	commit(d, &s);
	snprintf(msg, len, "configuration reloaded (%s)", s.what[0] ? s.what : "nothing changed");
	log_notice("%s", msg);
	unstage(&s);
	return 0;
}
