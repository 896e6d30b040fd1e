/* SPDX-License-Identifier: MIT */
/* backend.h: per-backend rise/fall state and the one active backend for the cluster (pure). */
#ifndef KCW_BACKEND_H
#define KCW_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "healthclass.h"
#include "heartbeat.h"

struct json_object;

/*
 * Rules (all times are the caller's CLOCK_MONOTONIC milliseconds):
 *
 * State: every backend starts UNKNOWN. An UNKNOWN backend becomes UP on its
 *   first good check, and DOWN only after `fall` consecutive failed checks
 *   (until then it stays UNKNOWN with the failed check's reason): one slow
 *   first check of the primary must not make the backup active at a cold
 *   start, since the fail-back that follows logs every user out. An UP
 *   backend becomes DOWN after `fall` consecutive failed checks and a DOWN
 *   one UP after `rise` consecutive good checks.
 * Start: no active backend until one is UP and every backend before it in
 *   file order is known DOWN (so a fast backup never wins the race against a
 *   primary whose first check is still running); then the first UP backend
 *   in file order becomes active. Not counted as a switch.
 * Active fails (its state becomes DOWN): the first UP backend in file order
 *   becomes active at once. None UP: the last active stays and `outage` is
 *   set until a backend is UP again.
 * Failback (a backend before the active one is UP):
 *   immediate: switch to the first UP backend in file order at once;
 *   after:     switch to the first backend before the active one that has been
 *              UP continuously for failback_after_ms, counted from the moment
 *              it became UP (going DOWN restarts the count); a wakeup for the
 *              earliest pending hold is given by backend_next_deadline();
 *   never:     only backend_use() moves back.
 * Manual: backend_use() switches at once and pins the choice: no failback
 *   happens while pinned. The pin ends when the pinned backend goes DOWN.
 * Adopting a leader's view (followers, backend_adopt()): states, reasons,
 *   latencies, the active backend and the switch count are taken over; run
 *   counters are cleared. When this node later feeds its own first result
 *   (it became leader), it takes the adopted view as its starting point: the
 *   active backend stays until its own checks see it DOWN after `fall`
 *   failures; the adopted active is pinned when a more preferred backend is
 *   UP then (the old leader had a reason not to fail back that the heartbeat
 *   does not carry: a manual choice, a hold in progress or `never`), so an
 *   LB failover never switches the backend by itself.
 * Every switch increments `switches` and records a human-readable
 * `switch_reason`.
 */

enum backend_state { BACKEND_UNKNOWN = 0, BACKEND_UP, BACKEND_DOWN };

/* Returned by the update functions: what changed (bits). */
enum backend_change {
	BACKEND_CHG_STATE = 1u << 0,  /* a backend's UP/DOWN state changed */
	BACKEND_CHG_ACTIVE = 1u << 1, /* the active backend changed: apply it */
	BACKEND_CHG_OUTAGE = 1u << 2, /* `outage` flipped */
};

#define BACKEND_REASON_UNKNOWN "not checked yet"

struct backend_entry {
	char name[CFG_NAME_MAX];
	unsigned rise, fall;
	enum backend_state state;
	unsigned ok_run, fail_run;   /* consecutive good / failed checks */
	uint64_t since_ms;           /* when state last changed (init or adopt time at first) */
	char reason[HEALTH_REASON_MAX]; /* last check: "" when good */
	uint32_t latency_ms;         /* last check */
	uint64_t checks;             /* own results fed */
};

struct backend_view {
	size_t n;
	struct backend_entry b[CFG_MAX_BACKENDS]; /* file order = preference */
	int active;                  /* index, -1 = none chosen */
	uint64_t active_since_ms;
	uint64_t switches;
	bool outage;                 /* nothing UP (and nothing unknown) */
	bool pinned;                 /* no failback (manual use or adopted) */
	bool adopted;                /* view came from a leader; cleared by the first own result */
	enum failback_mode failback;
	uint32_t failback_after_ms;
	char switch_reason[HEALTH_REASON_MAX + CFG_NAME_MAX * 2]; /* why the last switch */
};

/* n backends from the config, file order. All UNKNOWN, no active. */
void backend_init(struct backend_view *v, const struct cfg_backend *b, size_t n,
		  const struct cfg_backends *opt, uint64_t now_ms);

/* Feeds one own check result of backend idx. Returns enum backend_change bits. */
unsigned backend_result(struct backend_view *v, size_t idx, bool up, const char *reason,
			uint32_t latency_ms, uint64_t now_ms);

/* Re-evaluates the failback hold; call at backend_next_deadline(). Returns change bits. */
unsigned backend_tick(struct backend_view *v, uint64_t now_ms);

/* When backend_tick() has something to do next, or UINT64_MAX for never. */
uint64_t backend_next_deadline(const struct backend_view *v, uint64_t now_ms);

/*
 * Manual switch (kcwatchctl backend use NAME): at once, pinned. 0 (also when
 * already active), -ENOENT for an unknown name, -EHOSTDOWN when it is DOWN.
 */
int backend_use(struct backend_view *v, const char *name, uint64_t now_ms);

/*
 * Takes over the view of the leader's heartbeat m (matched by backend name;
 * names this node does not know are ignored). Returns change bits.
 */
unsigned backend_adopt(struct backend_view *v, const struct hb_msg *m, uint64_t now_ms);

/* Writes active_backend, backend_switches, n_backends and backends[] of m. */
void backend_export(const struct backend_view *v, struct hb_msg *m);

/* The active backend's name, or NULL. */
const char *backend_active_name(const struct backend_view *v);

/* Index of the backend called name, or -1. */
int backend_index(const struct backend_view *v, const char *name);

/* "up", "down" or "unknown". */
const char *backend_state_name(enum backend_state s);

/*
 * Adds to root: "active_backend" (name or null), "backend_switches",
 * "backend_outage", "failback" and "backends": [{name, state ("up"|"down"|
 * "unknown"), active, reason, latency_ms, since_ms_ago, checks}], ages
 * measured against now_ms.
 */
void backend_status_json_at(const struct backend_view *v, struct json_object *root,
			    uint64_t now_ms);

#endif
