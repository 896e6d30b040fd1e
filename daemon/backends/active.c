/* SPDX-License-Identifier: MIT */
/* active.c: the cluster's active backend in the daemon: the leader checks, every node applies it.
 */
#include "active.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hapwatch.h"
#include "log.h"
#include "role.h"

const struct active_io active_io_real = {
    .now_ms = loop_now_ms,
    .timer_new = loop_timer_new,
    .timer_arm = loop_timer_arm,
    .timer_arm_at = loop_timer_arm_at,
    .timer_disarm = loop_timer_disarm,
    .timer_free = loop_timer_free,
    .health_new = health_new,
    .health_start = health_start,
    .health_stop = health_stop,
    .health_running = health_running,
    .health_free = health_free,
    .haproxy_new = haproxy_new,
    .haproxy_apply = haproxy_apply,
    .haproxy_refresh = haproxy_refresh,
    .haproxy_busy = haproxy_busy,
    .haproxy_free = haproxy_free,
};

/* What the module keeps of one backend's configuration beyond the view. */
struct active_backend {
	char haproxy_server[CFG_NAME_MAX]; /* "" = not mapped */
	bool has_connect_to;
	struct kcw_addr connect_addr;
};

struct active {
	struct active_env env;
	const struct active_io *io;
	struct active_backend cfg[CFG_MAX_BACKENDS]; /* file order, view.n of them */
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

const struct kcw_addr *active_connect_addr(const struct active *a)
{
	if (!a || a->view.active < 0 || !a->cfg[a->view.active].has_connect_to)
		return NULL;
	return &a->cfg[a->view.active].connect_addr;
}

static void apply_haproxy(struct active *a)
{
	const char *servers[CFG_MAX_BACKENDS];
	const char *active = NULL;
	size_t n = 0;

	if (!a->haproxy || a->view.active < 0)
		return;
	for (size_t i = 0; i < a->view.n; i++) {
		if (!a->cfg[i].haproxy_server[0])
			continue;
		servers[n++] = a->cfg[i].haproxy_server;
		if ((int)i == a->view.active)
			active = a->cfg[i].haproxy_server;
	}
	if (!active) {
		if (!a->warned_unmapped)
			log_warn("active backend %s has no haproxy-server: HAProxy left as it is",
				 a->view.b[a->view.active].name);
		a->warned_unmapped = true;
		return;
	}
	a->io->haproxy_apply(a->haproxy, active, servers, n);
}

static void arm_failback(struct active *a)
{
	uint64_t at = backend_next_deadline(&a->view, a->io->now_ms());

	if (at == UINT64_MAX)
		a->io->timer_disarm(a->failback);
	else
		a->io->timer_arm_at(a->failback, at);
}

/* Carries out what a change of the view means: logs, HAProxy, peers, hooks. */
static void changed(struct active *a, unsigned chg, const char *origin)
{
	const char *name = backend_active_name(&a->view);

	if (chg & BACKEND_CHG_ACTIVE) {
		log_notice("active backend is now %s (%s%s%s)", name ? name : "none", origin,
			   a->view.switch_reason[0] ? ": " : "", a->view.switch_reason);
		apply_haproxy(a);
		a->env.backend_changed(a->env.ctx);
	}
	if ((chg & BACKEND_CHG_OUTAGE) && a->view.outage)
		log_err("no backend is up: keeping %s active", name ? name : "none");
	if (chg & (BACKEND_CHG_ACTIVE | BACKEND_CHG_STATE))
		a->env.view_changed(a->env.ctx);
	arm_failback(a);
}

static void on_result(void *arg, size_t idx, const struct health_result *r)
{
	struct active *a = arg;
	enum backend_state before = a->view.b[idx].state;
	unsigned chg =
	    backend_result(&a->view, idx, r->up, r->reason, r->latency_ms, a->io->now_ms());

	a->env.check_done(a->env.ctx, idx, r->up, r->latency_ms);
	if (a->view.b[idx].state != before && a->view.b[idx].state == BACKEND_DOWN)
		log_warn("backend %s is down: %s", a->view.b[idx].name, r->reason);
	else if (a->view.b[idx].state != before && a->view.b[idx].state == BACKEND_UP)
		log_notice("backend %s is up (%u ms)", a->view.b[idx].name, r->latency_ms);
	changed(a, chg, "health check");
}

static void on_failback(void *arg)
{
	struct active *a = arg;

	changed(a, backend_tick(&a->view, a->io->now_ms()), "failback");
}

/* Does HAProxy's read-back show exactly the active backend's server ready? */
static bool haproxy_matches(const struct active *a, const struct haproxy_report *r)
{
	for (size_t i = 0; i < a->view.n; i++) {
		const char *srv = a->cfg[i].haproxy_server;

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
		a->env.haproxy_changed(a->env.ctx);
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
				      a->io->now_ms(), &next);

	a->io->timer_arm_at(a->probe, next);
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

	if (!a->io->haproxy_busy(a->haproxy))
		a->io->haproxy_refresh(a->haproxy);
	a->io->timer_arm(a->probe, HAPWATCH_PROBE_MS); /* until the exchange reports */
}

static int open_haproxy(struct active *a, const struct cfg_backends *o, char *err, size_t errlen)
{

	if (!o->haproxy_socket[0])
		return 0;
	hapwatch_init(&a->hw);
	a->haproxy = a->io->haproxy_new(a->env.loop, o->haproxy_socket, o->haproxy_backend,
					HAPWATCH_RETRY_MS, on_haproxy, a);
	a->probe = a->haproxy ? a->io->timer_new(a->env.loop, on_probe, a) : NULL;
	if (!a->probe) {
		snprintf(err, errlen, "HAProxy runtime API %s: %s", o->haproxy_socket,
			 strerror(errno));
		return -EINVAL;
	}
	a->io->timer_arm(a->probe, 0);
	return 0;
}

static void keep_config(struct active *a, const struct cfg_backend *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		snprintf(a->cfg[i].haproxy_server, sizeof(a->cfg[i].haproxy_server), "%s",
			 b[i].haproxy_server);
		a->cfg[i].has_connect_to = b[i].has_connect_to;
		a->cfg[i].connect_addr = b[i].connect_addr;
	}
}

struct active *active_new(const struct active_env *env, const struct cfg_backend *b, size_t n,
			  const struct cfg_backends *opt, char *err, size_t errlen)
{
	struct active *a;

	if (n == 0)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->env = *env;
	a->io = env->io ? env->io : &active_io_real;
	keep_config(a, b, n);
	backend_init(&a->view, b, n, opt, a->io->now_ms());
	a->health = a->io->health_new(env->loop, b, n, on_result, a, err, errlen);
	a->failback = a->health ? a->io->timer_new(env->loop, on_failback, a) : NULL;
	if (!a->failback || open_haproxy(a, opt, err, errlen) < 0) {
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
	if (a->health)
		a->io->health_free(a->health);
	if (a->haproxy)
		a->io->haproxy_free(a->haproxy);
	if (a->failback)
		a->io->timer_free(a->failback);
	if (a->probe)
		a->io->timer_free(a->probe);
	free(a);
}

void active_role(struct active *a, enum kcw_role role)
{
	if (!a)
		return;
	if (role == ROLE_LEADER && !a->io->health_running(a->health)) {
		log_info("checking %zu backends as leader (active: %s)", a->view.n,
			 backend_active_name(&a->view) ? backend_active_name(&a->view)
						       : "none yet");
		a->io->health_start(a->health);
	} else if (role != ROLE_LEADER && a->io->health_running(a->health)) {
		a->io->health_stop(a->health);
		a->io->timer_disarm(a->failback);
	}
}

void active_leader_heartbeat(struct active *a, const struct hb_msg *m)
{
	if (!a)
		return;
	unsigned chg = backend_adopt(&a->view, m, a->io->now_ms());

	if (chg & BACKEND_CHG_ACTIVE) {
		log_notice("active backend is now %s (chosen by leader %s)",
			   backend_active_name(&a->view) ? backend_active_name(&a->view) : "none",
			   m->node);
		apply_haproxy(a);
		a->env.backend_changed(a->env.ctx);
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
	rc = backend_use(&a->view, name, a->io->now_ms());
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
	backend_adopt(&a->view, m, a->io->now_ms());
	free(m);
}

void active_status_json(const struct active *a, struct json_object *root)
{
	if (!a)
		return;
	backend_status_json_at(&a->view, root, a->io->now_ms());
	if (a->haproxy)
		json_object_object_add(root, "haproxy_reachable",
				       json_object_new_boolean(!a->hw.down));
}
