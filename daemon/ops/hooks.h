/* SPDX-License-Identifier: MIT */
/* hooks.h: notify hooks: programs run on role and backend events, one at a time, off the loop. */
#ifndef KCW_HOOKS_H
#define KCW_HOOKS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "loop.h"
#include "role.h"

/*
 * [hooks] on-leader / on-follower / on-fault / on-backend-change name
 * programs. Each event is queued; the queue runs in event order, one
 * program at a time, so a hook never races the one before it. A hook gets
 *
 *   argv: PROGRAM EVENT NODE ROLE TERM LEADER BACKEND PREVIOUS
 *   env:  the daemon's environment without NOTIFY_SOCKET, WATCHDOG_*,
 *         LISTEN_* and KCWATCH_*, plus
 *         KCWATCH_EVENT    leader | follower | fault | backend-change
 *         KCWATCH_NODE     this node's [node] name
 *         KCWATCH_CLUSTER  [cluster] name
 *         KCWATCH_ROLE     this node's role when the event happened
 *         KCWATCH_TERM     the leader term then
 *         KCWATCH_LEADER   the leader then ("" = none known)
 *         KCWATCH_BACKEND  the active backend then ("" = none)
 *         KCWATCH_PREVIOUS the role before (role events) or the backend
 *                          before (backend-change); "" = none
 *         KCWATCH_TIME     when the event happened: Unix time, seconds.millis
 *
 * stdin is /dev/null; stdout and stderr are the daemon's (the journal under
 * systemd). The program runs in a process group of its own with the default
 * signal mask and dispositions. After HOOKS_TIMEOUT_MS the group gets SIGTERM,
 * HOOKS_KILL_GRACE_MS later SIGKILL. Exit status, signal, timeout and exec
 * failures are logged and counted; the next queued hook starts either way.
 * Exits are seen through a pidfd watched by the loop (a 100 ms waitpid poll
 * on kernels without pidfd_open): the daemon must not ignore SIGCHLD nor
 * reap children with waitpid(-1).
 */

#define HOOKS_TIMEOUT_MS    30000
#define HOOKS_KILL_GRACE_MS 2000
#define HOOKS_QUEUE_MAX	    32 /* a full queue drops its oldest event (counted) */

enum hook_event { HOOK_LEADER = 0, HOOK_FOLLOWER, HOOK_FAULT, HOOK_BACKEND_CHANGE, HOOK__COUNT };

/* The state an event reports; strings are copied, NULL means "". */
struct hook_info {
	const char *node;
	const char *role; /* role_name() of the role now */
	uint64_t term;
	const char *leader;
	const char *backend;  /* active backend */
	const char *previous; /* role or backend before the event */
};

struct hooks_stats {
	uint64_t ok;	      /* exited 0 */
	uint64_t failed;      /* exited non-zero or killed by a signal (not ours) */
	uint64_t timed_out;   /* killed after the timeout */
	uint64_t exec_failed; /* could not be started */
	uint64_t dropped;     /* events pushed out of a full queue */
};

struct hooks;

/* Copies the four paths and the cluster name of cfg. NULL with errno on failure. */
struct hooks *hooks_new(struct loop *l, const struct kcw_config *cfg);
/* Shutdown: drops queued events (logged) and gives a running hook the grace time to
 * finish, then SIGTERM, the grace time again, SIGKILL for its group. This blocks (at most
 * twice the grace time). Call before loop_free(). NULL is fine. */
void hooks_free(struct hooks *h);

/* Reload: new paths apply to hooks that start from now on. */
void hooks_set_config(struct hooks *h, const struct kcw_config *cfg);
/* Overrides HOOKS_TIMEOUT_MS and HOOKS_KILL_GRACE_MS (tests). */
void hooks_set_timeout(struct hooks *h, uint32_t timeout_ms, uint32_t grace_ms);
/* cb runs from the loop whenever the last queued hook has finished. */
void hooks_set_idle_cb(struct hooks *h, void (*cb)(void *arg), void *arg);

/*
 * Queues event ev (started at once when nothing runs). Returns 1 when
 * queued, 0 when no program is configured for ev, negative errno when it
 * cannot be queued.
 */
int hooks_event(struct hooks *h, enum hook_event ev, const struct hook_info *info);

/* The event a role change to role (enum kcw_role) reports, or -1 for none. */
int hooks_event_for_role(enum kcw_role role);
/* "leader", "follower", "fault", "backend-change". */
const char *hooks_event_name(enum hook_event ev);
/*
 * kcwatchctl hook test: starts the program for ev at once, outside the queue, as a real
 * event would (same arguments, environment, process group), with info's values and its
 * stdout and stderr on out_fd. 0 with *pid (the caller reaps it and kills its group on a
 * timeout), -ENOENT when no program is configured for ev, or negative errno.
 */
int hooks_spawn_test(const struct hooks *h, enum hook_event ev, const struct hook_info *info,
		     int out_fd, pid_t *pid);
/* The configured program for ev ("" = none). */
const char *hooks_path(const struct hooks *h, enum hook_event ev);
/* "on-leader", "on-follower", "on-fault", "on-backend-change". */
const char *hooks_key(enum hook_event ev);
/* The event called name ("leader", ...), or -1. */
int hooks_event_from_name(const char *name);
/* A hook runs or waits. */
bool hooks_busy(const struct hooks *h);
void hooks_get_stats(const struct hooks *h, struct hooks_stats *out);

#endif
