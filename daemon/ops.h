/* SPDX-License-Identifier: MIT */
/* ops.h: the daemon's operations glue: sd_notify state and watchdog, hooks on events, metrics. */
#ifndef KCW_OPS_H
#define KCW_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "role.h"

struct kcwd;
struct kcw_metrics;
struct json_object;

/*
 * Lives in struct kcwd as `struct daemon_ops *ops` (NULL before daemon_ops_open; every
 * function below accepts that). Reads the daemon's state, never changes it.
 */
struct daemon_ops;

/*
 * After the other parts are open (loop, peers, VIPs, backends, DNS, control): reads
 * NOTIFY_SOCKET/WATCHDOG_USEC (and removes them from the environment), starts the
 * watchdog timer at half the period, prepares the hooks and opens the [metrics]
 * listener. 0, or negative errno with err filled.
 */
int daemon_ops_open(struct kcwd *d, char *err, size_t errlen);
/* In daemon_stop(), before loop_free(): lets a running hook finish (bounded), frees. */
void daemon_ops_close(struct kcwd *d);

/*
 * The role or the leader changed (after the election's actions are carried out):
 * READY=1 the first time the role is no longer init, STATUS= with role, term and
 * leader, and the on-leader / on-follower / on-fault hook when the role changed.
 */
void daemon_ops_role(struct kcwd *d, enum kcw_role old_role, int old_leader);
/* Something else STATUS= shows changed (maintenance on/off): STATUS= again. */
void daemon_ops_status(struct kcwd *d);
/* The active backend changed: the on-backend-change hook. */
void daemon_ops_backend(struct kcwd *d);
/* One health check result of backend idx, for the metrics. */
void daemon_ops_check(struct kcwd *d, size_t idx, bool up, uint32_t latency_ms);
/* SIGTERM/SIGINT: STOPPING=1. */
void daemon_ops_stopping(struct kcwd *d);
/* A reload begins: RELOADING=1. */
void daemon_ops_reloading(struct kcwd *d);
/* A reload ended (ok = the new file was applied): counts it, takes over the new hook
 * paths and [metrics] listener and the backend list, READY=1 with the status again. */
void daemon_ops_reloaded(struct kcwd *d, bool ok);

/* SIGUSR1: the status object (as "status" answers it) as one notice line "status: {...}". */
void daemon_ops_log_status(const struct kcwd *d);
/* SIGUSR2: the metrics exposition, each line a notice "metrics: LINE". */
void daemon_ops_log_metrics(const struct kcwd *d);

/*
 * The control command "hook test EVENT" (from inside the control handler): runs EVENT's
 * hook now with sample values and defers the reply until it ends (control_defer). NULL
 * either way; when it could not start, err says why and the caller answers with it.
 */
struct json_object *daemon_ops_hook_test(struct kcwd *d, const char *event, char *err,
					 size_t errlen);

/* The metrics snapshot of the daemon now. */
void daemon_ops_fill(const struct kcwd *d, struct kcw_metrics *m);
/* The control command "metrics": {"text": "<exposition>"} or {"error": ...}. */
struct json_object *daemon_ops_metrics_json(const struct kcwd *d);

#endif
