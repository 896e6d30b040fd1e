/* SPDX-License-Identifier: MIT */
/* daemon.h: the kcwatchd context: wires config, loop, peers, election, VIPs and control. */
#ifndef KCW_DAEMON_H
#define KCW_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "election.h"
#include "heartbeat.h"
#include "hmac.h"
#include "loop.h"
#include "nodestate.h"

/* What the last heartbeat of each peer said beyond what the election keeps. */
struct peer_seen {
	char leader[CFG_NAME_MAX];
	uint32_t priority;
	uint32_t vips_held;
	uint64_t incarnation;
	uint32_t key_id; /* which key it signs with (hmac_key_id), 0 = not sent */
};

/* Members of this group may use the mutating control commands, like root. */
#define DAEMON_ADMIN_GROUP "kcwatch"

struct kcwd {
	struct kcw_config *cfg;
	char ctl_path[PATH_MAX];
	char status_path[PATH_MAX]; /* the read-only status socket */
	size_t self;
	struct loop *loop;
	struct hmac *hmac;
	struct peers *peers;
	struct election *el; /* made by daemon_start; election.h has the accessors */
	struct loop_timer *el_timer;
	uint64_t el_wakeup_ms; /* what el_timer is armed for, 0 = not armed */
	struct control *ctl;
	struct vipset *vips;	/* NULL without [vip] sections */
	struct active *active;	/* NULL without [backend] sections */
	struct naming *naming;	/* NULL without [dns] */
	struct pinger *pinger;	/* tie-breaker echo; NULL without one or with a witness */
	struct etcd *etcd;	/* coordinator = etcd; NULL with the heartbeat coordinator */
	struct daemon_ops *ops; /* sd_notify, hooks, metrics (ops.h) */
	struct control *status; /* read-only commands, mode 0666 */
	int sigfd;
	uint64_t incarnation;
	uint64_t seq;
	char state_dir[PATH_MAX]; /* --state-dir, else [cluster] state-dir */
	struct nodestate state;	  /* what <state_dir>/<node>.state holds */
	uint64_t started_ms;
	bool vip_fault; /* a VIP interface is down */
	bool stopping;
	struct peer_seen seen[CFG_MAX_NODES];
	bool admin_gid_valid;
	gid_t admin_gid;
	struct hb_msg hb; /* scratch for building heartbeats */
};

/*
 * Takes ownership of cfg. ctl_path is the control socket, status_path the status socket.
 * state_dir overrides [cluster] state-dir when not NULL;
 * incarnation, when not 0, replaces the one from the state file (a debug aid for tests).
 * On failure err says why (already fit for the user).
 */
int daemon_start(struct kcwd *d, struct kcw_config *cfg, size_t self, const char *ctl_path,
		 const char *status_path, const char *state_dir, uint64_t incarnation, char *err,
		 size_t errlen);
/* Writes d->state to the node's state file; logs and returns -errno on failure. */
int daemon_state_save(struct kcwd *d, char *why, size_t whylen);
/*
 * Reads the config file again. Invalid: nothing changes and msg holds
 * "FILE:LINE: reason". Valid: the difference is applied and msg says what
 * changed. Returns 0 or a negative errno.
 */
int daemon_reload(struct kcwd *d, char *msg, size_t len);
/* Runs the loop until SIGTERM/SIGINT; returns the exit status. */
int daemon_run(struct kcwd *d);
void daemon_stop(struct kcwd *d);

/* Feeds one event to the election and carries out its actions; returns out->result. */
int daemon_election_event(struct kcwd *d, const struct election_event *ev);
/* Gives the election the timers, preemption and priorities of d->cfg (a reload). */
int daemon_election_params(struct kcwd *d);
/* Effective priority after fault and health tracking. */
uint32_t daemon_effective_priority(const struct kcwd *d);
/* Something effective_priority depends on changed. */
void daemon_priority_changed(struct kcwd *d);
/* A VIP interface went down (fault) or all are up again. */
void daemon_vip_fault(struct kcwd *d, bool fault);
/* A leader sends a heartbeat now (its view changed); others do nothing. */
void daemon_send_heartbeat(struct kcwd *d);
/* The active backend changed (on any node). */
void daemon_backend_changed(struct kcwd *d);
/* One backend check result, for metrics. */
void daemon_count_check(struct kcwd *d, size_t idx, bool up, uint32_t latency_ms);
/* Tells the DNS name the role, term and active backend that hold now. */
void daemon_naming_sync(struct kcwd *d);
/* The backend and DNS modules for cfg (this daemon's or a reload's), wired to d. */
struct active *daemon_active_new(struct kcwd *d, const struct kcw_config *cfg, char *err,
				 size_t errlen);
struct naming *daemon_naming_new(struct kcwd *d, const struct kcw_config *cfg, char *err,
				 size_t errlen);

#endif
