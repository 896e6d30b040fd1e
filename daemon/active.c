/* SPDX-License-Identifier: MIT */
/* active.c: the cluster's active backend in the daemon: the leader checks, every node applies it.
 */
#include "active.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "haproxy.h"
#include "hapwatch.h"
#include "health.h"
#include "log.h"
#include "role.h"

struct active {
	struct kcwd *d;
	struct backend_view view;
	struct health *health;
	struct haproxy *haproxy; /* NULL without [backends] haproxy-socket */
	struct loop_timer *failback;
	struct loop_timer *probe;
	struct hapwatch hw; /* down after 3 failed exchanges in a row, up after 1 good one */
	bool warned_unmapped;
};

const struct backend_view *active_view(const struct active *a)
{
	return &a->view;
}

bool active_haproxy_down(const struct active *a)
{
	return a && a->haproxy && a->hw.down;
}

static void apply_haproxy(struct active *a)
{
	const struct kcw_config *cfg = a->d->cfg;
	const char *servers[CFG_MAX_BACKENDS];
	const char *active = NULL;
	size_t n = 0;

	if (!a->haproxy || a->view.active < 0)
		return;
	for (size_t i = 0; i < cfg->n_backends; i++) {
		if (!cfg->backends[i].haproxy_server[0])
			continue;
		servers[n++] = cfg->backends[i].haproxy_server;
		if ((int)i == a->view.active)
			active = cfg->backends[i].haproxy_server;
	}
	if (!active) {
		if (!a->warned_unmapped)
			log_warn("active backend %s has no haproxy-server: HAProxy left as it is",
				 cfg->backends[a->view.active].name);
		a->warned_unmapped = true;
		return;
	}
	haproxy_apply(a->haproxy, active, servers, n);
}

static void arm_failback(struct active *a)
{
	uint64_t at = backend_next_deadline(&a->view, loop_now_ms());

	if (at == UINT64_MAX)
		loop_timer_disarm(a->failback);
	else
		loop_timer_arm_at(a->failback, at);
}

/* Carries out what a change of the view means: logs, HAProxy, peers, hooks. */
static void changed(struct active *a, unsigned chg, const char *origin)
{
	const char *name = backend_active_name(&a->view);

	if (chg & BACKEND_CHG_ACTIVE) {
		log_notice("active backend is now %s (%s%s%s)", name ? name : "none", origin,
			   a->view.switch_reason[0] ? ": " : "", a->view.switch_reason);
		apply_haproxy(a);
		daemon_backend_changed(a->d);
	}
	if ((chg & BACKEND_CHG_OUTAGE) && a->view.outage)
		log_err("no backend is up: keeping %s active", name ? name : "none");
	if (chg & (BACKEND_CHG_ACTIVE | BACKEND_CHG_STATE))
		daemon_send_heartbeat(a->d);
	arm_failback(a);
}

static void on_result(void *arg, size_t idx, const struct health_result *r)
{
	struct active *a = arg;
	enum backend_state before = a->view.b[idx].state;
	unsigned chg =
	    backend_result(&a->view, idx, r->up, r->reason, r->latency_ms, loop_now_ms());

	daemon_count_check(a->d, idx, r->up, r->latency_ms);
	if (a->view.b[idx].state != before && a->view.b[idx].state == BACKEND_DOWN)
		log_warn("backend %s is down: %s", a->view.b[idx].name, r->reason);
	else if (a->view.b[idx].state != before && a->view.b[idx].state == BACKEND_UP)
		log_notice("backend %s is up (%u ms)", a->view.b[idx].name, r->latency_ms);
	changed(a, chg, "health check");
}

static void on_failback(void *arg)
{
	struct active *a = arg;

	changed(a, backend_tick(&a->view, loop_now_ms()), "failback");
}

/* Does HAProxy's read-back show exactly the active backend's server ready? */
static bool haproxy_matches(const struct active *a, const struct haproxy_report *r)
{
	const struct kcw_config *cfg = a->d->cfg;

	for (size_t i = 0; i < cfg->n_backends; i++) {
		const char *srv = cfg->backends[i].haproxy_server;

		for (size_t j = 0; srv[0] && j < r->n; j++) {
			if (strcmp(r->servers[j].name, srv) != 0)
				continue;
			if (!r->servers[j].found ||
			    r->servers[j].ready != ((int)i == a->view.active))
				return false;
		}
	}
	return true;
}

static void haproxy_liveness(struct active *a, const struct haproxy_report *r, unsigned act)
{
	if (act & HAPWATCH_DOWN_CHANGED) {
		if (a->hw.down)
			log_err(
			    "local HAProxy is unreachable (%s; %d exchanges in a row): lowering "
			    "this node's priority",
			    r->error, HAPWATCH_FAILS_DOWN);
		else
			log_notice("local HAProxy answers again");
		daemon_priority_changed(a->d);
	} else if (!r->reachable && !a->hw.down) {
		log_warn("local HAProxy did not answer (%s): %u of %d failed exchanges before it "
			 "counts as down",
			 r->error, a->hw.fails, HAPWATCH_FAILS_DOWN);
	}
}

static void on_haproxy(void *arg, const struct haproxy_report *r)
{
	struct active *a = arg;
	uint64_t next;
	unsigned act = hapwatch_probe(&a->hw, r->reachable, r->pid, r->uptime_s, r->started_ms,
				      loop_now_ms(), &next);

	loop_timer_arm_at(a->probe, next);
	haproxy_liveness(a, r, act);
	if (!r->reachable || a->view.active < 0)
		return;
	if (r->apply && !r->ok) {
		log_warn("HAProxy did not take the active backend: %s", r->error);
	} else if (r->apply) {
		return; /* this process has just been given the active backend */
	} else if (act & HAPWATCH_REAPPLY) {
		log_notice("local HAProxy (pid %ld, up %lld s) is a new process or answers again: "
			   "applying the active backend %s again",
			   r->pid, (long long)r->uptime_s, backend_active_name(&a->view));
		apply_haproxy(a);
	} else if (!haproxy_matches(a, r)) {
		log_warn("HAProxy's servers do not match the active backend %s: applying it again",
			 backend_active_name(&a->view));
		apply_haproxy(a);
	}
}

/* Reads HAProxy back: proves it reachable and catches drift (on_haproxy re-applies and sets
 * the next probe: 5 s while it answers, at most 1 s while it does not). */
static void on_probe(void *arg)
{
	struct active *a = arg;

	if (!haproxy_busy(a->haproxy))
		haproxy_refresh(a->haproxy);
	loop_timer_arm(a->probe, HAPWATCH_PROBE_MS); /* until the exchange reports */
}

static int open_haproxy(struct active *a, const struct cfg_backends *o, char *err, size_t errlen)
{

	if (!o->haproxy_socket[0])
		return 0;
	hapwatch_init(&a->hw);
	a->haproxy = haproxy_new(a->d->loop, o->haproxy_socket, o->haproxy_backend,
				 HAPWATCH_RETRY_MS, on_haproxy, a);
	a->probe = a->haproxy ? loop_timer_new(a->d->loop, on_probe, a) : NULL;
	if (!a->probe) {
		snprintf(err, errlen, "HAProxy runtime API %s: %s", o->haproxy_socket,
			 strerror(errno));
		return -EINVAL;
	}
	loop_timer_arm(a->probe, 0);
	return 0;
}

struct active *active_new(struct kcwd *d, const struct kcw_config *cfg, char *err, size_t errlen)
{
	struct active *a;

	if (cfg->n_backends == 0)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->d = d;
	backend_init(&a->view, cfg->backends, cfg->n_backends, &cfg->backends_opt, loop_now_ms());
	a->health = health_new(d->loop, cfg->backends, cfg->n_backends, on_result, a, err, errlen);
	a->failback = a->health ? loop_timer_new(d->loop, on_failback, a) : NULL;
	if (!a->failback || open_haproxy(a, &cfg->backends_opt, err, errlen) < 0) {
		if (a->health && !a->failback)
			snprintf(err, errlen, "cannot create a timer: %s", strerror(errno));
		active_free(a);
		return NULL;
	}
	return a;
}

void active_free(struct active *a)
{
	if (!a)
		return;
	health_free(a->health);
	haproxy_free(a->haproxy);
	loop_timer_free(a->failback);
	loop_timer_free(a->probe);
	free(a);
}

void active_role(struct active *a, int role)
{
	if (!a)
		return;
	if (role == ROLE_LEADER && !health_running(a->health)) {
		log_info("checking %zu backends as leader (active: %s)", a->view.n,
			 backend_active_name(&a->view) ? backend_active_name(&a->view)
						       : "none yet");
		health_start(a->health);
	} else if (role != ROLE_LEADER && health_running(a->health)) {
		health_stop(a->health);
		loop_timer_disarm(a->failback);
	}
}

void active_leader_heartbeat(struct active *a, const struct hb_msg *m)
{
	if (!a)
		return;
	unsigned chg = backend_adopt(&a->view, m, loop_now_ms());

	if (chg & BACKEND_CHG_ACTIVE) {
		log_notice("active backend is now %s (chosen by leader %s)",
			   backend_active_name(&a->view) ? backend_active_name(&a->view) : "none",
			   m->node);
		apply_haproxy(a);
		daemon_backend_changed(a->d);
	}
}

void active_export(const struct active *a, struct hb_msg *m)
{
	if (a)
		backend_export(&a->view, m);
}

int active_use(struct active *a, const char *name, char *msg, size_t len)
{
	int rc;

	if (!a) {
		snprintf(msg, len, "no [backend] is configured");
		return -ENOENT;
	}
	rc = backend_use(&a->view, name, loop_now_ms());
	if (rc == -ENOENT)
		snprintf(msg, len, "no backend called '%s'", name);
	else if (rc == -EHOSTDOWN)
		snprintf(msg, len, "backend %s is down: refusing to switch to it", name);
	if (rc < 0)
		return rc;
	snprintf(msg, len, "active backend is %s", name);
	if (rc > 0)
		changed(a, (unsigned)rc, "operator");
	return 0;
}

void active_take_over(struct active *a, const struct active *old)
{
	struct hb_msg *m;

	if (!a || !old || !(m = calloc(1, sizeof(*m))))
		return;
	/* The old view, as a leader would send it, is adopted by name. */
	backend_export(&old->view, m);
	backend_adopt(&a->view, m, loop_now_ms());
	free(m);
}

void active_status_json(const struct active *a, struct json_object *root)
{
	if (!a)
		return;
	backend_status_json_at(&a->view, root, loop_now_ms());
	if (a->haproxy)
		json_object_object_add(root, "haproxy_reachable",
				       json_object_new_boolean(!a->hw.down));
}
