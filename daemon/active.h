/* SPDX-License-Identifier: MIT */
/* active.h: the cluster's active backend in the daemon: the leader checks, every node applies it. */
#ifndef KCW_ACTIVE_H
#define KCW_ACTIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "backend.h"
#include "config.h"
#include "heartbeat.h"

struct kcwd;
struct json_object;
struct active;

/* For cfg's backends (d->cfg is read later): NULL without [backend] sections, or NULL with err. */
struct active *active_new(struct kcwd *d, const struct kcw_config *cfg, char *err, size_t errlen);
/* Reload: start from the view of the module this one replaces (matched by name). */
void active_take_over(struct active *a, const struct active *old);
void active_free(struct active *a);
/* The node's role changed: a leader checks the backends, others stop checking. */
void active_role(struct active *a, int role);
/* A heartbeat of the node this node follows as leader: take its view. */
void active_leader_heartbeat(struct active *a, const struct hb_msg *m);
/* The backend view for this node's heartbeat (leaders' views are authoritative). */
void active_export(const struct active *a, struct hb_msg *m);
/* kcwatchctl backend use NAME: 0, or negative errno with msg saying why. */
int active_use(struct active *a, const char *name, char *msg, size_t len);
void active_status_json(const struct active *a, struct json_object *root);
/* The local HAProxy did not answer its last exchange: this node should not lead. */
bool active_haproxy_down(const struct active *a);
const struct backend_view *active_view(const struct active *a);

#endif
