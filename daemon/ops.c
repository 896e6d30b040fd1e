/* SPDX-License-Identifier: MIT */
/* ops.c: the daemon's operations glue: sd_notify state and watchdog, hooks on events, metrics. */
#include "ops.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "active.h"
#include "daemon.h"
#include "etcd.h"
#include "dns.h"
#include "control.h"
#include "hooks.h"
#include "hooktest.h"
#include "log.h"
#include "metrics.h"
#include "naming.h"
#include "notify.h"
#include "peer.h"
#include "role.h"
#include "status.h"
#include "vipset.h"

struct daemon_ops {
	struct kcwd *d;
	struct notify *notify;
	struct loop_timer *watchdog;
	struct loop_timer *lonely; /* the firewall hint, once, OPS_LONELY_INTERVALS after start */
	uint64_t watchdog_ms;	   /* ping period: half of WATCHDOG_USEC */
	bool ready;
	struct hooks *hooks;
	struct hooktest *test; /* kcwatchctl hook test, one at a time */
	uint64_t test_client;  /* its control client (control_defer) */
	struct metrics_http *http;
	bool http_on; /* listening on http_addr:http_port */
	struct kcw_addr http_addr;
	uint16_t http_port;
	struct metrics_checks checks[CFG_MAX_BACKENDS];	  /* by backend index ... */
	char check_names[CFG_MAX_BACKENDS][CFG_NAME_MAX]; /* ... and name, for reloads */
	char backend[CFG_NAME_MAX]; /* the active backend the last hook reported */
	uint64_t reloads_ok, reloads_failed;
	bool reload_failed_last;
	uint64_t start_unix_ms;	      /* wall clock at the daemon's start */
	uint64_t last_reload_unix_ms; /* the last reload attempt, or the start */
};

/* Intervals after start without a datagram from any peer before the firewall hint. */
#define OPS_LONELY_INTERVALS 10

static uint64_t unix_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A loop_now_ms() instant in the past as wall-clock ms; 0 stays 0 (never). */
static uint64_t mono_to_unix_ms(uint64_t mono_ms)
{
	uint64_t now = loop_now_ms(), unix_now = unix_now_ms();

	if (!mono_ms)
		return 0;
	return now >= mono_ms && unix_now > now - mono_ms ? unix_now - (now - mono_ms) : unix_now;
}

static const char *leader_name(const struct kcwd *d)
{
	int leader = election_leader(d->el);

	return leader >= 0 ? d->cfg->nodes[leader].name : "";
}

static const char *active_name(const struct kcwd *d)
{
	const char *n = d->active ? backend_active_name(active_view(d->active)) : NULL;

	return n ? n : "";
}

static void status_line(const struct kcwd *d, char *buf, size_t len)
{
	const char *leader = leader_name(d);

	snprintf(buf, len, "%s, term %llu, leader %s%s", role_name(election_role(d->el)),
		 (unsigned long long)election_term(d->el), *leader ? leader : "none",
		 election_maintenance(d->el) ? ", maintenance" : "");
}

static void on_watchdog(void *arg)
{
	struct daemon_ops *o = arg;

	notify_watchdog(o->notify);
	loop_timer_arm(o->watchdog, o->watchdog_ms);
}

static int open_watchdog(struct daemon_ops *o)
{
	uint64_t usec = notify_watchdog_usec(o->notify);

	if (!usec)
		return 0;
	o->watchdog_ms = usec / 2000 ? usec / 2000 : 1;
	o->watchdog = loop_timer_new(o->d->loop, on_watchdog, o);
	if (!o->watchdog)
		return -errno;
	log_info("systemd watchdog: %llu ms, pinging every %llu ms",
		 (unsigned long long)(usec / 1000), (unsigned long long)o->watchdog_ms);
	return loop_timer_arm(o->watchdog, o->watchdog_ms);
}

/*
 * Nothing at all arrived on the heartbeat port (not even a datagram that was dropped) while
 * the own heartbeats leave: the classic closed firewall (firewalld's default zone drops UDP).
 */
static void on_lonely(void *arg)
{
	struct daemon_ops *o = arg;
	const struct peer_stats *ps = peer_stats(o->d->peers);
	uint64_t heard = ps->rx;

	for (int i = 0; i < HB_DROP__COUNT; i++)
		heard += ps->drops[i];
	if (!heard && ps->tx > ps->tx_errors)
		log_warn(
		    "no heartbeat from any peer: is UDP %u open in the firewall on every node?",
		    (unsigned)o->d->cfg->port);
}

static int open_lonely(struct daemon_ops *o)
{
	if (o->d->cfg->n_nodes < 2)
		return 0;
	o->lonely = loop_timer_new(o->d->loop, on_lonely, o);
	if (!o->lonely)
		return -errno;
	return loop_timer_arm(o->lonely, (uint64_t)o->d->cfg->interval_ms * OPS_LONELY_INTERVALS);
}

static void fill_for_http(void *arg, struct kcw_metrics *m)
{
	struct daemon_ops *o = arg;

	daemon_ops_fill(o->d, m);
}

/* Opens (or moves, after a reload) the [metrics] listener. */
static int open_http(struct daemon_ops *o, char *err, size_t errlen)
{
	const struct kcw_config *c = o->d->cfg;

	if (o->http_on == c->has_metrics &&
	    (!c->has_metrics ||
	     (addr_eq(&o->http_addr, &c->metrics_addr) && o->http_port == c->metrics_port)))
		return 0;
	metrics_http_close(o->http);
	o->http = NULL;
	o->http_on = false;
	if (!c->has_metrics)
		return 0;
	o->http = metrics_http_open(o->d->loop, &c->metrics_addr, c->metrics_port, fill_for_http, o,
				    err, errlen);
	if (!o->http)
		return -EADDRNOTAVAIL;
	o->http_on = true;
	o->http_addr = c->metrics_addr;
	o->http_port = c->metrics_port;
	return 0;
}

static void remember_backends(struct daemon_ops *o)
{
	const struct kcw_config *c = o->d->cfg;

	for (size_t i = 0; i < CFG_MAX_BACKENDS; i++)
		snprintf(o->check_names[i], CFG_NAME_MAX, "%s",
			 i < c->n_backends ? c->backends[i].name : "");
}

int daemon_ops_open(struct kcwd *d, char *err, size_t errlen)
{
	struct daemon_ops *o = calloc(1, sizeof(*o));
	int rc;

	if (!o) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	d->ops = o;
	o->d = d;
	o->start_unix_ms = mono_to_unix_ms(d->started_ms ? d->started_ms : loop_now_ms());
	o->last_reload_unix_ms = o->start_unix_ms;
	o->notify = notify_new(true);
	if (!o->notify)
		log_warn("%s: sd_notify unusable (%s): running without it", __func__,
			 strerror(errno));
	o->hooks = hooks_new(d->loop, d->cfg);
	if (!o->hooks) {
		snprintf(err, errlen, "hooks: %s", strerror(errno));
		return -EIO;
	}
	rc = open_watchdog(o);
	if (rc < 0) {
		snprintf(err, errlen, "watchdog timer: %s", strerror(-rc));
		return rc;
	}
	rc = open_lonely(o);
	if (rc < 0) {
		snprintf(err, errlen, "timer: %s", strerror(-rc));
		return rc;
	}
	remember_backends(o);
	snprintf(o->backend, sizeof(o->backend), "%s", active_name(d));
	return open_http(o, err, errlen);
}

void daemon_ops_close(struct kcwd *d)
{
	struct daemon_ops *o = d->ops;

	if (!o)
		return;
	hooktest_free(o->test);
	hooks_free(o->hooks);
	metrics_http_close(o->http);
	if (o->watchdog)
		loop_timer_free(o->watchdog);
	if (o->lonely)
		loop_timer_free(o->lonely);
	notify_free(o->notify);
	free(o);
	d->ops = NULL;
}

static void fill_info(const struct kcwd *d, struct hook_info *in, const char *previous)
{
	in->node = d->cfg->nodes[d->self].name;
	in->role = role_name(election_role(d->el));
	in->term = election_term(d->el);
	in->leader = leader_name(d);
	in->backend = active_name(d);
	in->previous = previous;
}

static void send_state(struct daemon_ops *o)
{
	char status[160];

	status_line(o->d, status, sizeof(status));
	if (o->ready) {
		notify_status(o->notify, status);
	} else if (election_role(o->d->el) != ROLE_INIT) {
		o->ready = true;
		notify_ready(o->notify, status);
	}
}

void daemon_ops_role(struct kcwd *d, enum kcw_role old_role, int old_leader)
{
	struct daemon_ops *o = d->ops;
	struct hook_info in;
	enum kcw_role role = election_role(d->el);
	int ev;

	if (!o || (old_role == role && old_leader == election_leader(d->el)))
		return;
	send_state(o);
	ev = hooks_event_for_role(role);
	if (old_role == role || ev < 0)
		return;
	fill_info(d, &in, role_name(old_role));
	hooks_event(o->hooks, (enum hook_event)ev, &in);
}

void daemon_ops_status(struct kcwd *d)
{
	if (d->ops)
		send_state(d->ops);
}

void daemon_ops_backend(struct kcwd *d)
{
	struct daemon_ops *o = d->ops;
	struct hook_info in;
	char previous[CFG_NAME_MAX];

	if (!o || !strcmp(o->backend, active_name(d)))
		return;
	snprintf(previous, sizeof(previous), "%s", o->backend);
	snprintf(o->backend, sizeof(o->backend), "%s", active_name(d));
	fill_info(d, &in, previous);
	hooks_event(o->hooks, HOOK_BACKEND_CHANGE, &in);
}

void daemon_ops_check(struct kcwd *d, size_t idx, bool up, uint32_t latency_ms)
{
	KCW_ASSERT(idx < CFG_MAX_BACKENDS); /* an index into the configured backends */
	if (d->ops)
		metrics_checks_observe(&d->ops->checks[idx], up, latency_ms);
}

void daemon_ops_stopping(struct kcwd *d)
{
	if (d->ops)
		notify_stopping(d->ops->notify);
}

void daemon_ops_reloading(struct kcwd *d)
{
	if (d->ops)
		notify_reloading(d->ops->notify);
}

/* Check counters follow their backend by name when the list changed. */
static void remap_checks(struct daemon_ops *o)
{
	const struct kcw_config *c = o->d->cfg;
	struct metrics_checks old[CFG_MAX_BACKENDS];

	memcpy(old, o->checks, sizeof(old));
	memset(o->checks, 0, sizeof(o->checks));
	for (size_t i = 0; i < c->n_backends; i++)
		for (size_t j = 0; j < CFG_MAX_BACKENDS; j++)
			if (!strcmp(c->backends[i].name, o->check_names[j]))
				o->checks[i] = old[j];
	remember_backends(o);
}

void daemon_ops_reloaded(struct kcwd *d, bool ok)
{
	struct daemon_ops *o = d->ops;
	char status[160], err[CFG_ERR_MAX];

	if (!o)
		return;
	o->reload_failed_last = !ok;
	o->last_reload_unix_ms = unix_now_ms();
	if (ok) {
		o->reloads_ok++;
		hooks_set_config(o->hooks, d->cfg);
		remap_checks(o);
		if (open_http(o, err, sizeof(err)) < 0)
			log_err("%s: %s", __func__, err);
		daemon_ops_backend(d);
	} else {
		o->reloads_failed++;
	}
	status_line(d, status, sizeof(status));
	if (o->ready)
		notify_ready(o->notify, status);
}

static void fill_backends(const struct kcwd *d, struct kcw_metrics *m)
{
	const struct backend_view *v = d->active ? active_view(d->active) : NULL;

	if (!v)
		return;
	KCW_ASSERT(v->n <= CFG_MAX_BACKENDS); /* backend_init() holds the view to it */
	m->n_backends = v->n;
	for (size_t i = 0; i < v->n; i++) {
		snprintf(m->backends[i].name, CFG_NAME_MAX, "%s", v->b[i].name);
		m->backends[i].up = v->b[i].state == BACKEND_UP;
		m->backends[i].active = v->active == (int)i;
		if (d->ops)
			m->backends[i].checks = d->ops->checks[i];
	}
	m->backend_switches = v->switches;
	m->backend_outage = v->outage;
}

static void fill_election(const struct kcwd *d, struct kcw_metrics *m, uint64_t now)
{
	struct election_defence_state ds;

	m->role = election_role(d->el);
	m->term = election_term(d->el);
	m->maintenance = election_maintenance(d->el);
	m->fenced = election_fenced(d->el);
	election_defence(d->el, now, &ds);
	m->defence_satisfied = ds.satisfied;
	m->leader_changes = election_leader_changes(d->el);
	for (size_t i = 0; i < d->cfg->n_nodes && m->n_peers < CFG_MAX_NODES; i++) {
		struct metrics_peer *p = &m->peers[m->n_peers];
		struct election_peer_view ep;

		if (i == d->self)
			continue;
		election_peer_view(d->el, i, now, &ep);
		m->n_peers++;
		snprintf(p->name, sizeof(p->name), "%s", d->cfg->nodes[i].name);
		p->up = ep.alive;
		p->heard = ep.heard;
		p->seen_ago_ms = ep.heard && now >= ep.last_heard_ms ? now - ep.last_heard_ms : 0;
		m->peers_alive += p->up;
	}
}

static void fill_vips(const struct kcwd *d, struct kcw_metrics *m)
{
	for (size_t i = 0; d->vips && i < vipset_count(d->vips) && i < CFG_MAX_VIPS; i++) {
		snprintf(m->vips[i].name, CFG_NAME_MAX, "%s", vipset_vip(d->vips, i)->name);
		m->vips[i].held = vipset_held(d->vips, i);
		m->n_vips++;
	}
	m->vip_announcements = d->vips ? vipset_announcements(d->vips) : 0;
}

static void fill_etcd(const struct kcwd *d, struct kcw_metrics *m)
{
	struct etcd_status st;

	if (!d->etcd)
		return;
	etcd_status(d->etcd, &st);
	m->etcd = true;
	snprintf(m->etcd_endpoint, sizeof(m->etcd_endpoint), "%s", st.endpoint);
	m->etcd_lease_valid = st.ok;
	m->etcd_holds_key = st.hold;
	m->etcd_lease_left_ms = st.lease_left_ms;
	m->etcd_requests = st.requests;
	m->etcd_failures = st.failures;
}

void daemon_ops_fill(const struct kcwd *d, struct kcw_metrics *m)
{
	const struct peer_stats *ps = peer_stats(d->peers);
	uint64_t now = loop_now_ms();
	struct dns_counters dc;

	memset(m, 0, sizeof(*m));
	snprintf(m->node, sizeof(m->node), "%s", d->cfg->nodes[d->self].name);
	snprintf(m->cluster, sizeof(m->cluster), "%s", d->cfg->cluster_name);
	fill_election(d, m, now);
	m->hb_sent = ps->tx;
	m->hb_received = ps->rx;
	m->hb_send_errors = ps->tx_errors;
	memcpy(m->hb_dropped, ps->drops, sizeof(m->hb_dropped));
	fill_vips(d, m);
	m->vip_release_failures = d->vips ? vipset_release_failures(d->vips) : 0;
	fill_backends(d, m);
	m->has_haproxy = d->active && d->cfg->backends_opt.haproxy_socket[0];
	m->haproxy_up = m->has_haproxy && !active_haproxy_down(d->active);
	naming_get_counters(d->naming, &dc);
	memcpy(m->dns_updates, dc.updates, sizeof(m->dns_updates));
	m->dns_last_success_unix_ms = mono_to_unix_ms(naming_last_success_ms(d->naming));
	m->dns_fence_invalid = dc.invalid;
	m->dns_fence_implausible = dc.implausible;
	if (d->ops) {
		m->start_unix_ms = d->ops->start_unix_ms;
		hooks_get_stats(d->ops->hooks, &m->hooks);
		m->reloads_ok = d->ops->reloads_ok;
		m->reloads_failed = d->ops->reloads_failed;
		m->reload_failed_last = d->ops->reload_failed_last;
		m->last_reload_unix_ms = d->ops->last_reload_unix_ms;
	}
	fill_etcd(d, m);
}

struct json_object *daemon_ops_metrics_json(const struct kcwd *d)
{
	struct kcw_metrics *m = calloc(1, sizeof(*m));
	struct json_object *o = json_object_new_object();
	char *text = NULL;

	if (m) {
		daemon_ops_fill(d, m);
		text = metrics_render(m, NULL);
		free(m);
	}
	if (text)
		json_object_object_add(o, "text", json_object_new_string(text));
	else
		json_object_object_add(o, "error",
				       json_object_new_string("cannot render the metrics"));
	free(text);
	return o;
}

void daemon_ops_log_status(const struct kcwd *d)
{
	struct json_object *st = status_json(d);

	log_text(LOG_LVL_NOTICE, "status: ",
		 json_object_to_json_string_ext(st, JSON_C_TO_STRING_PLAIN |
							JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(st);
}

void daemon_ops_log_metrics(const struct kcwd *d)
{
	struct kcw_metrics *m = calloc(1, sizeof(*m));
	char *text = NULL;

	if (m) {
		daemon_ops_fill(d, m);
		text = metrics_render(m, NULL);
		free(m);
	}
	if (text)
		log_text(LOG_LVL_NOTICE, "metrics: ", text);
	else
		log_err("SIGUSR2: cannot render the metrics");
	free(text);
}

static void on_test_done(void *arg, struct json_object *result)
{
	struct daemon_ops *o = arg;

	control_complete(o->d->ctl, o->test_client, result);
	hooktest_free(o->test);
	o->test = NULL;
}

/* Plausible values for a test of ev: the node's own, as the event would report them. */
static void sample_info(const struct kcwd *d, enum hook_event ev, struct hook_info *in)
{
	const struct kcw_config *c = d->cfg;
	const char *other = c->n_nodes > 1 ? c->nodes[d->self == 0 ? 1 : 0].name : "";
	const char *active = active_name(d);

	fill_info(d, in, "");
	in->term = election_term(d->el) ? election_term(d->el) : 1;
	if (!*active && c->n_backends)
		active = c->backends[0].name;
	in->backend = active;
	switch (ev) {
	case HOOK_LEADER:
		in->role = "leader";
		in->leader = in->node;
		in->previous = "follower";
		break;
	case HOOK_FOLLOWER:
		in->role = "follower";
		in->leader = *leader_name(d) && election_leader(d->el) != (int)d->self
				 ? leader_name(d)
				 : other;
		in->previous = "leader";
		break;
	case HOOK_FAULT:
		in->role = "fault";
		in->leader = "";
		in->previous = "leader";
		break;
	case HOOK_BACKEND_CHANGE:
	case HOOK__COUNT:
	default: /* backend-change: from another backend to the active one */
		for (size_t i = 0; i < c->n_backends && !*in->previous; i++)
			if (strcmp(c->backends[i].name, active) != 0)
				in->previous = c->backends[i].name;
		break;
	}
}

struct json_object *daemon_ops_hook_test(struct kcwd *d, const char *event, char *err,
					 size_t errlen)
{
	struct daemon_ops *o = d->ops;
	int ev = hooks_event_from_name(event);
	struct hook_info in;

	if (ev < 0) {
		snprintf(err, errlen, "usage: hook test leader|follower|fault|backend-change");
		return NULL;
	}
	if (!o || o->test) {
		snprintf(err, errlen, "a hook test is already running: try again when it ends");
		return NULL;
	}
	sample_info(d, (enum hook_event)ev, &in);
	o->test = hooktest_start(d->loop, o->hooks, (enum hook_event)ev, &in, on_test_done, o, err,
				 errlen);
	if (!o->test)
		return NULL;
	o->test_client = control_defer(d->ctl, HOOKS_TIMEOUT_MS + 2 * HOOKS_KILL_GRACE_MS + 1000);
	return NULL;
}
