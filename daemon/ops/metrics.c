/* SPDX-License-Identifier: MIT */
/* metrics.c: renders a kcw_metrics snapshot in the Prometheus text exposition format (0.0.4). */
#include "metrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build-config.h"
#include "log.h"
#include "role.h"

#define LABEL_MAX (CFG_NAME_MAX * 2 + 1) /* every byte escaped, plus the NUL */

static const uint32_t latency_bounds_ms[METRICS_LATENCY_BUCKETS] = METRICS_LATENCY_BOUNDS_MS;

void metrics_checks_observe(struct metrics_checks *c, bool up, uint32_t latency_ms)
{
	size_t i = 0;

	if (up)
		c->up++;
	else
		c->down++;
	while (i < METRICS_LATENCY_BUCKETS && latency_ms > latency_bounds_ms[i])
		i++;
	c->latency.buckets[i]++;
	c->latency.count++;
	c->latency.sum_ms += latency_ms;
}

const char *metrics_escape_label(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; s && *s && o + 1 < len; s++) {
		const char *esc = *s == '\\'   ? "\\\\"
				  : *s == '"'  ? "\\\""
				  : *s == '\n' ? "\\n"
					       : NULL;

		if (esc) {
			if (o + 2 >= len)
				break;
			buf[o++] = esc[0];
			buf[o++] = esc[1];
		} else {
			buf[o++] = *s;
		}
	}
	buf[o] = '\0';
	return buf;
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(FILE *f, const char *name, uint64_t v)
{
	fprintf(f, "%s %llu\n", name, (unsigned long long)v);
}

/* A family with its one unlabelled sample. */
static void metric(FILE *f, const char *name, const char *type, const char *help, uint64_t v)
{
	family(f, name, type, help);
	sample(f, name, v);
}

/* One sample with one label. */
static void sample1(FILE *f, const char *name, const char *label, const char *value, uint64_t v)
{
	char esc[LABEL_MAX];

	fprintf(f, "%s{%s=\"%s\"} %llu\n", name, label,
		metrics_escape_label(value, esc, sizeof(esc)), (unsigned long long)v);
}

/* Milliseconds as seconds with three decimals. */
static void sample_ms(FILE *f, const char *name, uint64_t ms)
{
	fprintf(f, "%s %llu.%03llu\n", name, (unsigned long long)(ms / 1000),
		(unsigned long long)(ms % 1000));
}

static void render_node(FILE *f, const struct kcw_metrics *m)
{
	static const enum kcw_role roles[] = {ROLE_INIT, ROLE_FOLLOWER, ROLE_LEADER, ROLE_FAULT,
					      ROLE_WITNESS};
	char node[LABEL_MAX], cluster[LABEL_MAX];

	family(f, "kcwatch_build_info", "gauge",
	       "Always 1; labels name the version, the node and the cluster.");
	fprintf(f, "kcwatch_build_info{version=\"%s\",node=\"%s\",cluster=\"%s\"} 1\n",
		PACKAGE_VERSION, metrics_escape_label(m->node, node, sizeof(node)),
		metrics_escape_label(m->cluster, cluster, sizeof(cluster)));
	family(f, "process_start_time_seconds", "gauge",
	       "Start time of the process since unix epoch in seconds.");
	sample_ms(f, "process_start_time_seconds", m->start_unix_ms);
	metric(f, "kcwatch_is_leader", "gauge", "1 while this node is the leader, else 0.",
	       m->role == ROLE_LEADER);
	family(f, "kcwatch_role", "gauge", "1 for this node's current role, 0 for the others.");
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		sample1(f, "kcwatch_role", "role", role_name(roles[i]), m->role == roles[i]);
	metric(f, "kcwatch_term", "gauge", "The leader term this node knows.", m->term);
	metric(f, "kcwatch_maintenance", "gauge", "1 while the node is in maintenance.",
	       m->maintenance);
	metric(f, "kcwatch_fenced", "gauge",
	       "1 while the DNS fence holds a newer term: this node may not lead.", m->fenced);
	metric(f, "kcwatch_defence_satisfied", "gauge",
	       "1 while the split-brain defence (witness or tie-breaker) holds; 1 without one.",
	       m->defence_satisfied);
	metric(f, "kcwatch_leader_transitions_total", "counter",
	       "Times this node saw the leader change.", m->leader_changes);
}

static void render_peers(FILE *f, const struct kcw_metrics *m)
{
	size_t n = m->n_peers < CFG_MAX_NODES ? m->n_peers : CFG_MAX_NODES;
	char b[LABEL_MAX];

	metric(f, "kcwatch_peers_alive", "gauge",
	       "Other nodes heard from within the dead interval.", m->peers_alive);
	family(f, "kcwatch_peer_up", "gauge",
	       "1 while the peer was heard from within the dead interval.");
	for (size_t i = 0; i < n; i++)
		sample1(f, "kcwatch_peer_up", "node", m->peers[i].name, m->peers[i].up);
	family(f, "kcwatch_peer_last_seen_seconds", "gauge",
	       "Seconds since the peer's last accepted heartbeat (absent before the first).");
	for (size_t i = 0; i < n; i++) {
		if (!m->peers[i].heard)
			continue;
		fprintf(f, "kcwatch_peer_last_seen_seconds{node=\"%s\"} %llu.%03llu\n",
			metrics_escape_label(m->peers[i].name, b, sizeof(b)),
			(unsigned long long)(m->peers[i].seen_ago_ms / 1000),
			(unsigned long long)(m->peers[i].seen_ago_ms % 1000));
	}
}

static void render_heartbeats(FILE *f, const struct kcw_metrics *m)
{
	metric(f, "kcwatch_heartbeats_sent_total", "counter", "Heartbeat datagrams sent.",
	       m->hb_sent);
	metric(f, "kcwatch_heartbeats_received_total", "counter",
	       "Authenticated, fresh heartbeats accepted.", m->hb_received);
	family(f, "kcwatch_heartbeats_dropped_total", "counter",
	       "Datagrams on the heartbeat port that were dropped, by reason.");
	for (int i = 0; i < HB_DROP__COUNT; i++)
		sample1(f, "kcwatch_heartbeats_dropped_total", "reason",
			hb_drop_name((enum hb_drop)i), m->hb_dropped[i]);
	metric(f, "kcwatch_heartbeat_send_errors_total", "counter", "Heartbeat sends that failed.",
	       m->hb_send_errors);
}

static void render_vips(FILE *f, const struct kcw_metrics *m)
{
	size_t n = m->n_vips < CFG_MAX_VIPS ? m->n_vips : CFG_MAX_VIPS;

	family(f, "kcwatch_vip_held", "gauge", "1 while this node holds the virtual address.");
	for (size_t i = 0; i < n; i++)
		sample1(f, "kcwatch_vip_held", "vip", m->vips[i].name, m->vips[i].held);
	metric(f, "kcwatch_vip_announcements_total", "counter",
	       "Gratuitous ARPs and unsolicited neighbour advertisements sent.",
	       m->vip_announcements);
	metric(f, "kcwatch_vip_release_failures_total", "counter",
	       "Failed VIP deletes (netlink errors), each retried with backoff.",
	       m->vip_release_failures);
}

static void render_histogram(FILE *f, const char *backend, const struct metrics_histogram *h)
{
	const char *name = "kcwatch_backend_check_duration_seconds";
	uint64_t cum = 0;

	for (size_t i = 0; i < METRICS_LATENCY_BUCKETS; i++) {
		cum += h->buckets[i];
		fprintf(f, "%s_bucket{backend=\"%s\",le=\"%g\"} %llu\n", name, backend,
			latency_bounds_ms[i] / 1000.0, (unsigned long long)cum);
	}
	cum += h->buckets[METRICS_LATENCY_BUCKETS];
	fprintf(f, "%s_bucket{backend=\"%s\",le=\"+Inf\"} %llu\n", name, backend,
		(unsigned long long)cum);
	fprintf(f, "%s_sum{backend=\"%s\"} %llu.%03llu\n", name, backend,
		(unsigned long long)(h->sum_ms / 1000), (unsigned long long)(h->sum_ms % 1000));
	fprintf(f, "%s_count{backend=\"%s\"} %llu\n", name, backend, (unsigned long long)h->count);
}

static void render_backends(FILE *f, const struct kcw_metrics *m)
{
	size_t n = m->n_backends;
	char b[LABEL_MAX];

	KCW_ASSERT(n <= CFG_MAX_BACKENDS); /* the daemon fills at most backends[CFG_MAX_BACKENDS] */

	family(f, "kcwatch_backend_up", "gauge", "1 while the backend's health state is up.");
	for (size_t i = 0; i < n; i++)
		sample1(f, "kcwatch_backend_up", "backend", m->backends[i].name, m->backends[i].up);
	family(f, "kcwatch_backend_active", "gauge", "1 for the backend clients are sent to.");
	for (size_t i = 0; i < n; i++)
		sample1(f, "kcwatch_backend_active", "backend", m->backends[i].name,
			m->backends[i].active);
	family(f, "kcwatch_backend_checks_total", "counter",
	       "Health checks run by this node, by backend and result.");
	for (size_t i = 0; i < n; i++) {
		metrics_escape_label(m->backends[i].name, b, sizeof(b));
		fprintf(f, "kcwatch_backend_checks_total{backend=\"%s\",result=\"up\"} %llu\n", b,
			(unsigned long long)m->backends[i].checks.up);
		fprintf(f, "kcwatch_backend_checks_total{backend=\"%s\",result=\"down\"} %llu\n", b,
			(unsigned long long)m->backends[i].checks.down);
	}
	family(f, "kcwatch_backend_check_duration_seconds", "histogram",
	       "Duration of health checks, by backend.");
	for (size_t i = 0; i < n; i++)
		render_histogram(f, metrics_escape_label(m->backends[i].name, b, sizeof(b)),
				 &m->backends[i].checks.latency);
	metric(f, "kcwatch_backend_switches_total", "counter", "Times the active backend changed.",
	       m->backend_switches);
	metric(f, "kcwatch_backend_outage", "gauge", "1 while every backend is checked down.",
	       m->backend_outage);
	family(
	    f, "kcwatch_haproxy_up", "gauge",
	    "1 while the local HAProxy answers on its runtime socket (only with haproxy-socket).");
	if (m->has_haproxy)
		sample(f, "kcwatch_haproxy_up", m->haproxy_up);
}

static void render_others(FILE *f, const struct kcw_metrics *m)
{
	static const char *const hook_results[] = {"ok", "failed", "timeout", "exec_failed"};
	const uint64_t hook_counts[] = {m->hooks.ok, m->hooks.failed, m->hooks.timed_out,
					m->hooks.exec_failed};

	family(f, "kcwatch_dns_updates_total", "counter", "RFC 2136 updates sent, by result.");
	for (unsigned i = 0; i < DNS_RESULTS; i++)
		sample1(f, "kcwatch_dns_updates_total", "result", dns_result_name(i),
			m->dns_updates[i]);
	family(f, "kcwatch_dns_last_success_timestamp_seconds", "gauge",
	       "Unix time of the last successful DNS update; 0 before the first.");
	sample_ms(f, "kcwatch_dns_last_success_timestamp_seconds", m->dns_last_success_unix_ms);
	family(f, "kcwatch_dns_fence_rejected_total", "counter",
	       "DNS fence reads that found a record rejected: invalid text or a term above 2^53, "
	       "or an implausible term (more than 1000000 above the own).");
	sample1(f, "kcwatch_dns_fence_rejected_total", "reason", "invalid", m->dns_fence_invalid);
	sample1(f, "kcwatch_dns_fence_rejected_total", "reason", "implausible",
		m->dns_fence_implausible);
	family(f, "kcwatch_hook_runs_total", "counter", "Hook programs run, by result.");
	for (size_t i = 0; i < sizeof(hook_results) / sizeof(hook_results[0]); i++)
		sample1(f, "kcwatch_hook_runs_total", "result", hook_results[i], hook_counts[i]);
	metric(f, "kcwatch_hook_events_dropped_total", "counter",
	       "Hook events dropped from a full queue.", m->hooks.dropped);
	family(f, "kcwatch_config_reloads_total", "counter", "Configuration reloads, by result.");
	sample1(f, "kcwatch_config_reloads_total", "result", "ok", m->reloads_ok);
	sample1(f, "kcwatch_config_reloads_total", "result", "failed", m->reloads_failed);
	family(
	    f, "kcwatch_config_reload_success", "gauge",
	    "1 when the last configuration reload succeeded (or none was tried), 0 when refused.");
	sample(f, "kcwatch_config_reload_success", !m->reload_failed_last);
	family(f, "kcwatch_config_reload_last_reload_timestamp_seconds", "gauge",
	       "Unix time of the last reload attempt; the start time before the first.");
	sample_ms(f, "kcwatch_config_reload_last_reload_timestamp_seconds", m->last_reload_unix_ms);
}

static void render_etcd(FILE *f, const struct kcw_metrics *m)
{
	if (!m->etcd)
		return;
	family(f, "kcwatch_etcd_info", "gauge",
	       "Always 1 with coordinator = etcd; endpoint is the one in use.");
	sample1(f, "kcwatch_etcd_info", "endpoint", m->etcd_endpoint, 1);
	metric(f, "kcwatch_etcd_lease_valid", "gauge",
	       "1 while this node's etcd lease was renewed in time (it may lead).",
	       m->etcd_lease_valid);
	metric(f, "kcwatch_etcd_holds_key", "gauge", "1 while this node holds the leader key.",
	       m->etcd_holds_key);
	family(f, "kcwatch_etcd_lease_remaining_seconds", "gauge",
	       "Time before this node must give up leadership without a renewal.");
	fprintf(f, "kcwatch_etcd_lease_remaining_seconds %llu.%03llu\n",
		(unsigned long long)(m->etcd_lease_left_ms / 1000),
		(unsigned long long)(m->etcd_lease_left_ms % 1000));
	metric(f, "kcwatch_etcd_requests_total", "counter", "Requests sent to etcd.",
	       m->etcd_requests);
	metric(f, "kcwatch_etcd_request_failures_total", "counter",
	       "etcd requests that failed (transport, etcd error, unreadable answer).",
	       m->etcd_failures);
}

char *metrics_render(const struct kcw_metrics *m, size_t *len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	render_node(f, m);
	render_peers(f, m);
	render_heartbeats(f, m);
	render_vips(f, m);
	render_backends(f, m);
	render_others(f, m);
	render_etcd(f, m);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		errno = ENOMEM;
		return NULL;
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	if (len)
		*len = size;
	return buf;
}
