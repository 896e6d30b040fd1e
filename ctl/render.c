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
	printf("node      %s (%s)\n", jget_str(st, "node", "?"), jget_str(st, "address", "?"));
	printf("role      %s\n", jget_str(st, "role", "?"));
	printf("term      %lld\n", (long long)jget_int(st, "term"));
	printf("leader    %s\n", jget_str(st, "leader", "none"));
	printf("priority  %lld (effective %lld)\n", (long long)jget_int(st, "priority"),
	       (long long)jget_int(st, "effective_priority"));
	printf("cluster   %s\n", jget_str(st, "cluster", "?"));
	print_coordinator(st);
	if (jget(st, "backends"))
		printf("active    %s\n", jget_str(st, "active_backend", "none"));
	print_peers(st);
	print_vips(st);
	print_backends(st);
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
	printf("fenced       %s\n", json_object_get_boolean(jget(st, "fenced")) ? "yes" : "no");
}
