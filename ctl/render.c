/* SPDX-License-Identifier: MIT */
/* render.c: kcwatchctl's tables: the daemon's JSON answers for people. */
#include "render.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

const char *jget_str(struct json_object *o, const char *key, const char *dflt)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return dflt;
	return json_object_get_string(v);
}

int64_t jget_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_int64(v) : 0;
}

struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

void print_peers(struct json_object *st)
{
	struct json_object *peers = jget(st, "peers");
	size_t n = peers ? json_object_array_length(peers) : 0;

	printf("\n%-12s %-28s %-9s %5s %6s %12s %9s %8s\n", "PEER", "ADDRESS", "ROLE", "PRIO",
	       "TERM", "LAST HEARD", "RECEIVED", "DROPPED");
	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(peers, i);
		struct json_object *seen = jget(p, "last_seen_ms");
		char heard[32];

		if (seen)
			snprintf(heard, sizeof(heard), "%lld ms ago",
				 (long long)json_object_get_int64(seen));
		else
			snprintf(heard, sizeof(heard), "never");
		printf("%-12s %-28s %-9s %5lld %6lld %12s %9lld %8lld%s\n",
		       jget_str(p, "node", "?"), jget_str(p, "address", "?"),
		       jget_str(p, "role", "?"), (long long)jget_int(p, "priority"),
		       (long long)jget_int(p, "term"), heard, (long long)jget_int(p, "received"),
		       (long long)jget_int(p, "dropped"),
		       json_object_get_boolean(jget(p, "config_matches")) || !seen
			   ? ""
			   : "  (config differs)");
	}
}

static void print_vips(struct json_object *st)
{
	struct json_object *vips = jget(st, "vips");
	size_t n = vips ? json_object_array_length(vips) : 0;

	if (!n)
		return;
	printf("\n%-12s %-40s %-12s %s\n", "VIP", "ADDRESS", "INTERFACE", "HELD");
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(vips, i);

		printf("%-12s %-40s %-12s %s\n", jget_str(v, "name", "?"),
		       jget_str(v, "address", "?"), jget_str(v, "interface", "?"),
		       json_object_get_boolean(jget(v, "held")) ? "yes" : "no");
	}
}

void print_backends(struct json_object *st)
{
	struct json_object *bes = jget(st, "backends");
	size_t n = bes ? json_object_array_length(bes) : 0;

	if (!n)
		return;
	printf("\n%-12s %-8s %-6s %8s %14s  %s\n", "BACKEND", "STATE", "ACTIVE", "LATENCY", "SINCE",
	       "LAST RESULT");
	for (size_t i = 0; i < n; i++) {
		struct json_object *b = json_object_array_get_idx(bes, i);
		const char *reason = jget_str(b, "reason", "");
		char since[32];

		snprintf(since, sizeof(since), "%lld s ago",
			 (long long)(jget_int(b, "since_ms_ago") / 1000));
		printf("%-12s %-8s %-6s %6lld ms %14s  %s\n", jget_str(b, "name", "?"),
		       jget_str(b, "state", "?"),
		       json_object_get_boolean(jget(b, "active")) ? "yes" : "",
		       (long long)jget_int(b, "latency_ms"), since, *reason ? reason : "ok");
	}
}

static bool jbool(struct json_object *o, const char *key)
{
	return json_object_get_boolean(jget(o, key));
}

/* "witness, satisfied (2 of 2 votes)", "tie-breaker 10.0.0.1, NOT satisfied (unreachable)" */
static void defence_text(struct json_object *st, char *buf, size_t len)
{
	struct json_object *d = jget(st, "defence");
	const char *kind = jget_str(d, "kind", "none");
	bool ok = jbool(d, "satisfied");

	if (!d || !strcmp(kind, "none")) {
		snprintf(buf, len, "none (a partition gives two leaders until it heals)");
		return;
	}
	if (!strcmp(kind, "tie-breaker"))
		snprintf(buf, len, "tie-breaker %s, %s", jget_str(d, "address", "?"),
			 ok ? "satisfied (reachable)"
			    : "NOT satisfied (unreachable): may not lead");
	else
		snprintf(buf, len, "witness %s, %s (%lld of %lld votes)",
			 jget_str(d, "witness", "?"), ok ? "satisfied" : "NOT satisfied",
			 (long long)jget_int(d, "votes"), (long long)jget_int(d, "needed"));
}

/* "after 5m, hold: 42 s left before failback to sno1", "never", "immediate" */
static void failback_text(struct json_object *st, char *buf, size_t len)
{
	const char *mode = jget_str(st, "backend_failback", "?");
	struct json_object *left = jget(st, "backend_failback_in_ms");
	int n;

	if (strcmp(mode, "after") != 0) {
		snprintf(buf, len, "%s%s", mode, jbool(st, "backend_pinned") ? " (pinned)" : "");
		return;
	}
	n = snprintf(buf, len, "after %lld s",
		     (long long)jget_int(st, "backend_failback_after_ms") / 1000);
	if (n < 0 || (size_t)n >= len)
		return;
	if (left)
		snprintf(buf + n, len - (size_t)n, ", hold: %lld s left before failback to %s",
			 ((long long)json_object_get_int64(left) + 999) / 1000,
			 jget_str(st, "backend_failback_to", "?"));
	else if (jbool(st, "backend_pinned"))
		snprintf(buf + n, len - (size_t)n, " (pinned: no automatic failback)");
	else
		snprintf(buf + n, len - (size_t)n, ", no hold running");
}

static void print_fence(struct json_object *st)
{
	struct json_object *dns = jget(st, "dns");

	if (!dns)
		return;
	if (jget(dns, "fence_term"))
		printf("dns fence term %lld, held by %s%s\n",
		       (long long)jget_int(dns, "fence_term"), jget_str(dns, "fence_holder", "?"),
		       jbool(st, "fenced") ? " (FENCED: this node may not lead)" : "");
	else
		printf("dns fence not read yet%s\n",
		       jbool(st, "fenced") ? " (FENCED: this node may not lead)" : "");
}

/*
 * During a key rotation the nodes sign with different keys for a while: fine while every
 * node still verifies both, a split as soon as one drops the old key. Says so.
 */
static void warn_key_ids(struct json_object *st)
{
	struct json_object *peers = jget(st, "peers");
	const char *own = jget_str(st, "key_id", NULL);
	size_t n = peers ? json_object_array_length(peers) : 0;
	bool differ = false;

	for (size_t i = 0; own && i < n; i++) {
		const char *k = jget_str(json_object_array_get_idx(peers, i), "key_id", NULL);

		differ = differ || (k && strcmp(k, own) != 0);
	}
	if (!differ)
		return;
	printf("\nwarning: nodes sign with different keys (this node %s", own);
	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(peers, i);

		printf(", %s %s", jget_str(p, "node", "?"), jget_str(p, "key_id", "unknown"));
	}
	printf("): finish the key rotation on every node (kcwatchd(8))\n");
}

/* The etcd coordinator, when it is the one: endpoint, lease, and why this node cannot lead. */
static void print_coordinator(struct json_object *st)
{
	struct json_object *c = jget(st, "coordinator");
	struct json_object *v = jget(c, "lease_valid");

	if (!c || strcmp(jget_str(c, "kind", "heartbeat"), "etcd") != 0)
		return;
	printf("etcd      %s, lease %s (%lld ms left)%s\n", jget_str(c, "endpoint", "?"),
	       v && json_object_get_boolean(v) ? "valid" : "not valid",
	       (long long)jget_int(c, "lease_left_ms"),
	       json_object_get_boolean(jget(c, "holds_key")) ? ", holds the leader key" : "");
	if (!(v && json_object_get_boolean(v)) && jget(c, "released_at"))
		printf("          etcd unreachable: VIP released at %s\n",
		       jget_str(c, "released_at", "?"));
	if (jget(c, "last_error"))
		printf("          last error %s: %s\n", jget_str(c, "last_error_at", "?"),
		       jget_str(c, "last_error", "?"));
}

void print_status(struct json_object *st)
{
	char buf[256];

	printf("node      %s (%s)\n", jget_str(st, "node", "?"), jget_str(st, "address", "?"));
	printf("role      %s\n", jget_str(st, "role", "?"));
	printf("term      %lld\n", (long long)jget_int(st, "term"));
	printf("leader    %s\n", jget_str(st, "leader", "none"));
	printf("priority  %lld (effective %lld)\n", (long long)jget_int(st, "priority"),
	       (long long)jget_int(st, "effective_priority"));
	printf("cluster   %s\n", jget_str(st, "cluster", "?"));
	printf("maintenance %s\n", jbool(st, "maintenance")
				       ? "on: this node does not lead until 'maintenance off'"
				       : "off");
	defence_text(st, buf, sizeof(buf));
	printf("defence   %s\n", buf);
	print_fence(st);
	if (jget(st, "haproxy_reachable"))
		printf("haproxy   %s\n", jbool(st, "haproxy_reachable")
					     ? "reachable"
					     : "NOT reachable (this node advertises priority 1)");
	print_coordinator(st);
	if (jget(st, "backends")) {
		printf("active    %s\n", jget_str(st, "active_backend", "none"));
		failback_text(st, buf, sizeof(buf));
		printf("failback  %s\n", buf);
	}
	print_peers(st);
	warn_key_ids(st);
	print_vips(st);
	print_backends(st);
}

/* A leader's VIPs: held of configured. */
static void count_vips(struct json_object *st, int *held, int *all)
{
	struct json_object *vips = jget(st, "vips");
	size_t n = vips ? json_object_array_length(vips) : 0;

	*held = 0;
	*all = (int)n;
	for (size_t i = 0; i < n; i++)
		*held += jbool(json_object_array_get_idx(vips, i), "held");
}

/* The peer called name, or NULL. */
static struct json_object *find_peer(struct json_object *st, const char *name)
{
	struct json_object *peers = jget(st, "peers");
	size_t n = peers ? json_object_array_length(peers) : 0;

	for (size_t i = 0; name && i < n; i++) {
		struct json_object *p = json_object_array_get_idx(peers, i);

		if (!strcmp(jget_str(p, "node", ""), name))
			return p;
	}
	return NULL;
}

static int role_health(struct json_object *st, const char *maint, char *buf, size_t len)
{
	const char *role = jget_str(st, "role", "?"), *leader = jget_str(st, "leader", NULL);
	long long term = (long long)jget_int(st, "term");
	struct json_object *lp = find_peer(st, leader);
	int held, all;

	if (!strcmp(role, "leader")) {
		count_vips(st, &held, &all);
		snprintf(buf, len, "leader, term %lld, holding %d of %d VIPs%s", term, held, all,
			 maint);
		return held == all ? 0 : 1;
	}
	if (!strcmp(role, "init")) {
		snprintf(buf, len, "starting: no role yet%s", maint);
		return 1;
	}
	if (!leader || !lp || !jbool(lp, "alive")) {
		snprintf(buf, len, "%s, term %lld: no leader heard%s", role, term, maint);
		return 1;
	}
	snprintf(buf, len, "%s, term %lld, leader %s heard %lld ms ago%s", role, term, leader,
		 (long long)jget_int(lp, "last_seen_ms"), maint);
	return 0;
}

int status_health(struct json_object *st, char *buf, size_t len)
{
	const char *maint = jbool(st, "maintenance") ? ", in maintenance" : "";
	struct json_object *d = jget(st, "defence");
	char def[160];

	if (!strcmp(jget_str(st, "role", "?"), "fault")) {
		snprintf(buf, len, "fault: effective priority 0 (a VIP interface is down)%s",
			 maint);
		return 1;
	}
	if (jbool(st, "fenced")) {
		snprintf(buf, len, "fenced: the DNS fence holds term %lld of %s, newer than ours",
			 (long long)jget_int(jget(st, "dns"), "fence_term"),
			 jget_str(jget(st, "dns"), "fence_holder", "?"));
		return 1;
	}
	if (d && !jbool(d, "satisfied")) {
		defence_text(st, def, sizeof(def));
		snprintf(buf, len, "split-brain defence: %s%s", def, maint);
		return 1;
	}
	return role_health(st, maint, buf, len);
}

void print_dns(struct json_object *st)
{
	struct json_object *dns = jget(st, "dns");
	struct json_object *ago;

	if (!dns) {
		printf("no [dns] section is configured\n");
		return;
	}
	ago = jget(dns, "last_update_ms_ago");
	printf("name         %s\n", jget_str(dns, "name", "?"));
	printf("target       %s\n", jget_str(dns, "target", "none"));
	printf("served       %s\n", jget_str(dns, "served", "unknown"));
	printf("last result  %s\n", jget_str(dns, "last_result", "none yet"));
	if (ago)
		printf("last update  %lld ms ago\n", (long long)json_object_get_int64(ago));
	else
		printf("last update  never\n");
	printf("fence term   %s\n", jget_str(dns, "fence_term", "none"));
	printf("fence holder %s\n", jget_str(dns, "fence_holder", "none"));
	printf("fenced       %s\n", json_object_get_boolean(jget(st, "fenced")) ? "yes" : "no");
}

void print_hook_test(struct json_object *r)
{
	struct json_object *v = jget(r, "values"), *st = jget(r, "exit_status");
	const char *out = jget_str(r, "output", "");
	size_t n = strlen(out);

	printf("ran %s %s %s %s %lld %s %s %s\n", jget_str(r, "program", "?"),
	       jget_str(v, "event", "?"), jget_str(v, "node", ""), jget_str(v, "role", ""),
	       (long long)jget_int(v, "term"), jget_str(v, "leader", ""),
	       jget_str(v, "backend", ""), jget_str(v, "previous", ""));
	if (st)
		printf("exit status %lld after %lld ms%s\n", (long long)json_object_get_int64(st),
		       (long long)jget_int(r, "duration_ms"),
		       jbool(r, "timed_out") ? " (timed out)" : "");
	else
		printf("killed by signal %lld after %lld ms%s\n", (long long)jget_int(r, "signal"),
		       (long long)jget_int(r, "duration_ms"),
		       jbool(r, "timed_out") ? " (timed out)" : "");
	printf("output%s:\n%s%s", jbool(r, "output_truncated") ? " (cut)" : "", out,
	       n && out[n - 1] != '\n' ? "\n" : "");
}
