/* SPDX-License-Identifier: MIT */
/* status.c: the daemon's state as one JSON object, for kcwatchctl and scripts. */
#include "status.h"

#include "build-config.h"

#include <json-c/json.h>
#include <stdio.h>

#include "active.h"
#include "backend.h"
#include "daemon.h"
#include "etcd.h"
#include "naming.h"
#include "peer.h"
#include "pinger.h"
#include "role.h"
#include "vipset.h"

static struct json_object *jstr_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

static void add_int(struct json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

/* A key id as 8 hex digits; null when unknown (not heard, or an older peer). */
static struct json_object *key_id_json(uint32_t id)
{
	char buf[16];

	if (!id)
		return NULL;
	snprintf(buf, sizeof(buf), "%08x", (unsigned)id);
	return json_object_new_string(buf);
}

static struct json_object *peer_json(const struct kcwd *d, size_t i, uint64_t now)
{
	const struct cfg_node *n = &d->cfg->nodes[i];
	struct election_peer_view ep;
	const struct peer_node *pn = peer_node_stats(d->peers, i);
	struct json_object *o = json_object_new_object();
	char buf[ADDR_STRLEN];

	election_peer_view(d->el, i, now, &ep);
	json_object_object_add(o, "node", json_object_new_string(n->name));
	json_object_object_add(o, "address",
			       json_object_new_string(addr_str(&n->addr, buf, sizeof(buf))));
	json_object_object_add(o, "role",
			       json_object_new_string(ep.heard ? role_name(ep.role) : "unknown"));
	add_int(o, "priority", n->priority);
	add_int(o, "effective_priority", ep.heard ? ep.eff_priority : 0);
	add_int(o, "term", (int64_t)ep.term);
	json_object_object_add(o, "last_seen_ms",
			       ep.heard ? json_object_new_int64((int64_t)(now - ep.last_heard_ms))
					: NULL);
	json_object_object_add(o, "alive", json_object_new_boolean(ep.alive));
	json_object_object_add(o, "leader", jstr_or_null(d->seen[i].leader));
	add_int(o, "received", (int64_t)pn->rx);
	add_int(o, "dropped", (int64_t)pn->dropped);
	add_int(o, "send_errors", (int64_t)pn->tx_errors);
	json_object_object_add(o, "config_matches",
			       json_object_new_boolean(ep.heard && !pn->digest_differs));
	json_object_object_add(o, "key_id", key_id_json(d->seen[i].key_id));
	return o;
}

static struct json_object *heartbeat_json(const struct kcwd *d)
{
	const struct peer_stats *st = peer_stats(d->peers);
	struct json_object *o = json_object_new_object();
	struct json_object *drops = json_object_new_object();

	add_int(o, "interval_ms", d->cfg->interval_ms);
	add_int(o, "dead_after", d->cfg->dead_after);
	add_int(o, "sent", (int64_t)st->tx);
	add_int(o, "received", (int64_t)st->rx);
	add_int(o, "send_errors", (int64_t)st->tx_errors);
	add_int(o, "receive_buffer", peer_rcvbuf(d->peers));
	add_int(o, "loop_stalls", (int64_t)election_stalls(d->el));
	add_int(o, "longest_stall_ms", (int64_t)election_longest_stall_ms(d->el));
	for (int i = 0; i < HB_DROP__COUNT; i++)
		add_int(drops, hb_drop_name((enum hb_drop)i), (int64_t)st->drops[i]);
	json_object_object_add(o, "dropped", drops);
	return o;
}

static struct json_object *vips_json(const struct kcwd *d)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; d->vips && i < vipset_count(d->vips); i++) {
		const struct cfg_vip *v = vipset_vip(d->vips, i);
		struct json_object *o = json_object_new_object();
		char buf[ADDR_STRLEN], full[ADDR_STRLEN + 8];

		snprintf(full, sizeof(full), "%s/%d", addr_str(&v->addr, buf, sizeof(buf)),
			 v->prefixlen);
		json_object_object_add(o, "name", json_object_new_string(v->name));
		json_object_object_add(o, "address", json_object_new_string(full));
		json_object_object_add(o, "interface", json_object_new_string(v->interface));
		json_object_object_add(o, "held", json_object_new_boolean(vipset_held(d->vips, i)));
		json_object_array_add(arr, o);
	}
	return arr;
}

static struct json_object *tiebreaker_json(const struct kcwd *d, struct json_object *o,
					   uint64_t now)
{
	const struct pinger_stats *st = pinger_stats(d->pinger);
	char buf[ADDR_STRLEN];

	json_object_object_add(
	    o, "address", json_object_new_string(addr_str(&d->cfg->tie_breaker, buf, sizeof(buf))));
	json_object_object_add(o, "reachable",
			       json_object_new_boolean(pinger_reachable(d->pinger)));
	json_object_object_add(o, "socket", json_object_new_string(st->raw ? "raw" : "datagram"));
	add_int(o, "echo_sent", (int64_t)st->sent);
	add_int(o, "echo_received", (int64_t)st->received);
	add_int(o, "send_errors", (int64_t)st->send_errors);
	json_object_object_add(
	    o, "last_reply_ms",
	    st->last_reply_ms ? json_object_new_int64((int64_t)(now - st->last_reply_ms)) : NULL);
	add_int(o, "rtt_ms", st->last_rtt_ms);
	return o;
}

/* Which split-brain defence is active and whether it holds. */
static struct json_object *defence_json(const struct kcwd *d, uint64_t now)
{
	struct json_object *o = json_object_new_object();
	struct election_defence_state ds;

	election_defence(d->el, now, &ds);
	json_object_object_add(o, "kind", json_object_new_string(election_defence_name(ds.kind)));
	json_object_object_add(o, "satisfied", json_object_new_boolean(ds.satisfied));
	add_int(o, "votes", ds.votes);
	add_int(o, "needed", ds.needed);
	json_object_object_add(o, "backs",
			       ds.backs >= 0 ? json_object_new_string(d->cfg->nodes[ds.backs].name)
					     : NULL);
	if (ds.kind == DEFENCE_WITNESS)
		json_object_object_add(o, "witness", json_object_new_string(d->cfg->witness));
	if (ds.kind == DEFENCE_TIE_BREAKER && d->pinger)
		tiebreaker_json(d, o, now);
	return o;
}

/* A running failback hold (leader, failback = after): how long it has left and for whom. */
static void failback_hold_json(const struct kcwd *d, struct json_object *o, uint64_t now)
{
	const struct backend_view *v = d->active ? active_view(d->active) : NULL;
	uint64_t due = v ? backend_next_deadline(v, now) : UINT64_MAX;
	int to = -1;

	if (!v)
		return;
	for (int i = 0; due != UINT64_MAX && i < v->active; i++)
		if (v->b[i].state == BACKEND_UP && (to < 0 || v->b[i].since_ms < v->b[to].since_ms))
			to = i;
	json_object_object_add(o, "backend_failback_in_ms",
			       to >= 0 ? json_object_new_int64((int64_t)(due - now)) : NULL);
	json_object_object_add(o, "backend_failback_to",
			       to >= 0 ? json_object_new_string(v->b[to].name) : NULL);
}

struct json_object *status_json(const struct kcwd *d)
{
	const struct cfg_node *me = &d->cfg->nodes[d->self];
	struct json_object *o = json_object_new_object();
	struct json_object *peers = json_object_new_array();
	uint64_t now = loop_now_ms();
	int leader = election_leader(d->el);
	char buf[ADDR_STRLEN];

	json_object_object_add(o, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(o, "node", json_object_new_string(me->name));
	json_object_object_add(o, "cluster", json_object_new_string(d->cfg->cluster_name));
	json_object_object_add(o, "address",
			       json_object_new_string(addr_str(&me->addr, buf, sizeof(buf))));
	json_object_object_add(o, "role", json_object_new_string(role_name(election_role(d->el))));
	add_int(o, "term", (int64_t)election_term(d->el));
	json_object_object_add(
	    o, "leader", leader >= 0 ? json_object_new_string(d->cfg->nodes[leader].name) : NULL);
	add_int(o, "priority", me->priority);
	add_int(o, "effective_priority", election_eff_priority(d->el));
	json_object_object_add(o, "preempt", json_object_new_boolean(d->cfg->preempt));
	json_object_object_add(o, "maintenance",
			       json_object_new_boolean(election_maintenance(d->el)));
	add_int(o, "uptime_ms", (int64_t)(now - d->started_ms));
	add_int(o, "leader_changes", (int64_t)election_leader_changes(d->el));
	for (size_t i = 0; i < d->cfg->n_nodes; i++)
		if (i != d->self)
			json_object_array_add(peers, peer_json(d, i, now));
	json_object_object_add(o, "peers", peers);
	json_object_object_add(o, "vips", vips_json(d));
	active_status_json(d->active, o);
	failback_hold_json(d, o, now);
	naming_status_json(d->naming, o);
	json_object_object_add(o, "fenced", json_object_new_boolean(election_fenced(d->el)));
	json_object_object_add(o, "maintenance",
			       json_object_new_boolean(election_maintenance(d->el)));
	json_object_object_add(o, "key_id", key_id_json(d->cfg->key_id));
	json_object_object_add(o, "key_id_verify_only", key_id_json(d->cfg->key2_id));
	json_object_object_add(o, "heartbeat", heartbeat_json(d));
	json_object_object_add(o, "defence", defence_json(d, now));
	json_object_object_add(o, "coordinator", etcd_status_json(d->etcd));
	return o;
}
