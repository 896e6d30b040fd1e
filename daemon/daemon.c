/* SPDX-License-Identifier: MIT */
/* daemon.c: kcwatchd wiring: carries out election actions, handles signals and peers' heartbeats.
 */
#include "daemon.h"

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "active.h"
#include "command.h"
#include "control.h"
#include "etcd.h"
#include "log.h"
#include "naming.h"
#include "ops.h"
#include "peer.h"
#include "pinger.h"
#include "realtime.h"
#include "replay.h"
#include "role.h"
#include "vipset.h"
#include "strutil.h"

uint32_t daemon_effective_priority(const struct kcwd *d)
{
	const struct cfg_node *me = &d->cfg->nodes[d->self];

	if (me->kind == NODE_KIND_WITNESS || d->vip_fault)
		return 0;
	/* Eligible, but any node whose HAProxy works is better. */
	if (active_haproxy_down(d->active))
		return 1;
	return (uint32_t)me->priority;
}

static void build_heartbeat(struct kcwd *d, bool resigning)
{
	struct hb_msg *m = &d->hb;
	const struct election *e = d->el;

	memset(m, 0, sizeof(*m));
	m->version = HB_VERSION;
	str_copy(m->cluster, sizeof(m->cluster), d->cfg->cluster_name);
	str_copy(m->node, sizeof(m->node), d->cfg->nodes[d->self].name);
	m->incarnation = d->incarnation;
	m->seq = ++d->seq;
	m->priority = (uint32_t)d->cfg->nodes[d->self].priority;
	m->eff_priority = election_advertised_priority(e);
	m->role = election_role(e);
	m->term = election_term(e);
	m->resigning = resigning;
	memcpy(m->config_digest, d->cfg->digest, sizeof(m->config_digest));
	/* With a witness this is the node this one backs (its vote); else whom it follows. */
	int backs = election_vote(e);

	if (backs >= 0)
		str_copy(m->leader, sizeof(m->leader), d->cfg->nodes[backs].name);
	m->interval_ms = d->cfg->interval_ms;
	m->key_id = d->cfg->key_id;
	for (size_t i = 0; d->vips && i < vipset_count(d->vips); i++)
		m->vips_held += vipset_held(d->vips, i);
	active_export(d->active, m);
}

static void send_heartbeat(struct kcwd *d, bool resigning)
{
	build_heartbeat(d, resigning);
	peer_send_all(d->peers, &d->hb);
}

void daemon_send_heartbeat(struct kcwd *d)
{
	/* Only a leader's view is authoritative: others' changes wait for the next beat. */
	if (election_role(d->el) == ROLE_LEADER && !d->stopping)
		send_heartbeat(d, false);
}

void daemon_naming_sync(struct kcwd *d)
{
	naming_sync(d->naming, election_role(d->el), election_term(d->el), d->stopping,
		    active_connect_addr(d->active));
}

void daemon_backend_changed(struct kcwd *d)
{
	daemon_naming_sync(d);
	daemon_ops_backend(d);
}

void daemon_count_check(struct kcwd *d, size_t idx, bool up, uint32_t latency_ms)
{
	daemon_ops_check(d, idx, up, latency_ms);
}

static void log_role_change(struct kcwd *d, enum kcw_role old_role, int old_leader)
{
	enum kcw_role role = election_role(d->el);
	int now_leader = election_leader(d->el);
	unsigned long long term = election_term(d->el);
	const char *leader = now_leader >= 0 ? d->cfg->nodes[now_leader].name : "none";
	struct election_peer_view old = {0};

	if (old_leader >= 0)
		election_peer_view(d->el, (size_t)old_leader, loop_now_ms(), &old);
	if (old_role != role && role == ROLE_LEADER && old.heard)
		/* a claim after silence: how long it was, the first question after a failover */
		log_notice("role %s -> %s (term %llu, leader %s; %s last heard %llu ms ago)",
			   role_name(old_role), role_name(role), term, leader,
			   d->cfg->nodes[old_leader].name,
			   (unsigned long long)(loop_now_ms() - old.last_heard_ms));
	else if (old_role != role)
		log_notice("role %s -> %s (term %llu, leader %s)", role_name(old_role),
			   role_name(role), term, leader);
	else if (old_leader != now_leader)
		log_info("leader is now %s (term %llu)", leader, term);
}

/* Re-arming costs a syscall; most heartbeats leave the deadline where it was. */
static void arm_election(struct kcwd *d, uint64_t wakeup_ms)
{
	if (!d->stopping && wakeup_ms != d->el_wakeup_ms) {
		d->el_wakeup_ms = wakeup_ms;
		loop_timer_arm_at(d->el_timer, wakeup_ms);
	}
}

/* Order matters: VIPs leave before a resigning heartbeat tells others to take them. */
static void apply_actions(struct kcwd *d, const struct election_actions *a, enum kcw_role old_role,
			  int old_leader)
{
	if ((a->flags & ACT_RELEASE_VIPS) && d->vips)
		vipset_release(d->vips);
	if ((a->flags & ACT_TAKE_VIPS) && d->vips)
		vipset_take(d->vips);
	if ((a->flags & ACT_REANNOUNCE) && d->vips) {
		log_notice(
		    "a peer came back or another leader gave way: announcing the VIPs again");
		vipset_reannounce(d->vips);
	}
	if (a->flags & ACT_ROLE_CHANGED) {
		log_role_change(d, old_role, old_leader);
		active_role(d->active, election_role(d->el));
	}
	daemon_naming_sync(d); /* role or term may have changed: cheap when nothing did */
	if (a->flags & ACT_SEND_HEARTBEAT) {
		send_heartbeat(d, a->resign);
		/* A resignation must not get lost: it is what makes the handover instant. */
		if (a->resign)
			send_heartbeat(d, true);
	}
	/* etcd: a leader that gave up deletes its key in the same step as its resignation */
	if (d->etcd && old_role == ROLE_LEADER && election_role(d->el) != ROLE_LEADER)
		etcd_resign(d->etcd);
	if (d->etcd)
		etcd_want(d->etcd, election_coord_want(d->el),
			  election_best_eligible(d->el, loop_now_ms()) == (int)d->self);
	arm_election(d, a->wakeup_ms);
	/* Last: hooks and systemd hear of the change after the peers did. */
	daemon_ops_role(d, old_role, old_leader);
}

int daemon_election_event(struct kcwd *d, const struct election_event *ev)
{
	struct election_actions a = {0};
	enum kcw_role old_role = election_role(d->el);
	int old_leader = election_leader(d->el);

	election_step(d->el, ev, loop_now_ms(), &a);
	if (a.handover >= 0)
		log_notice("node %s is now better placed to lead: handing over",
			   d->cfg->nodes[a.handover].name);
	apply_actions(d, &a, old_role, old_leader);
	return a.result;
}

/*
 * Before a deadline is acted on, the heartbeats already waiting in the socket are heard:
 * after a stall the timer and the socket are ready together, and a peer whose heartbeat
 * arrived in time must not be judged dead by the order the events are handled in.
 */
static void election_due(struct kcwd *d)
{
	struct election_event ev = {.type = EV_TICK};

	peer_drain(d->peers);
	d->el_wakeup_ms = 0; /* fired: the next deadline must be armed again */
	daemon_election_event(d, &ev);
}

static void on_election_timer(void *arg)
{
	election_due(arg);
}

/*
 * First thing after every wake-up: when the election's deadline has passed (the loop was
 * stalled, or the timer is among the events), its work comes before any other event, so a
 * leader sends its due heartbeat at once and a follower hears the waiting heartbeats first.
 */
static void on_wake(void *arg)
{
	struct kcwd *d = arg;
	uint64_t now = loop_now_ms();

	if (d->stopping || d->el_wakeup_ms == 0 || now < d->el_wakeup_ms)
		return;
	/* a late wake-up is counted by the election (R45), not logged: a log line per stall
	 * would add to what stalls it */
	election_due(d);
}

static void on_heartbeat(void *arg, size_t idx, const struct hb_msg *m, uint64_t heard_ms)
{
	struct kcwd *d = arg;
	struct election_event ev = {
	    .type = EV_HEARTBEAT,
	    .heard_ms = heard_ms,
	    .peer = idx,
	    .role = m->role,
	    .term = m->term,
	    .eff_priority = m->eff_priority,
	    .resigning = m->resigning,
	    .leader = config_node_index(d->cfg, m->leader),
	};
	struct peer_seen *s = &d->seen[idx];

	str_copy(s->leader, sizeof(s->leader), m->leader);
	s->priority = m->priority;
	s->vips_held = m->vips_held;
	s->incarnation = m->incarnation;
	s->key_id = m->key_id;
	/*
	 * Take a leader's backend view before the election sees the heartbeat: the same step
	 * may make this node leader (preemption), and a new leader must start from the
	 * cluster's choice, never from nothing.
	 */
	bool leads = m->role == ROLE_LEADER && !m->resigning;
	bool adopted = leads && election_role(d->el) != ROLE_LEADER &&
		       (election_leader(d->el) < 0 || election_leader(d->el) == (int)idx);

	if (adopted)
		active_leader_heartbeat(d->active, m);
	daemon_election_event(d, &ev);
	if (!adopted && leads && election_leader(d->el) == (int)idx &&
	    election_role(d->el) != ROLE_LEADER)
		active_leader_heartbeat(d->active, m); /* it became the leader this node follows */
}

/* The etcd lease or key changed: the election hears it (etcd.c calls from the loop). */
static void on_etcd(void *arg)
{
	struct kcwd *d = arg;
	struct election_event ev = {.type = EV_COORD,
				    .on = etcd_hold(d->etcd),
				    .ok = etcd_ok(d->etcd),
				    .term = etcd_term(d->etcd)};

	if (ev.ok != election_coord_ok(d->el))
		log_notice(ev.ok ? "etcd lease valid: this node may lead"
				 : "etcd lease not renewed in time: this node must not lead");
	daemon_election_event(d, &ev);
}

/* A leader that became worse than a live peer hands over in the same step (R13). */
static void priority_changed(struct kcwd *d)
{
	struct election_event ev = {.type = EV_PRIORITY, .priority = daemon_effective_priority(d)};

	daemon_election_event(d, &ev);
}

void daemon_priority_changed(struct kcwd *d)
{
	priority_changed(d);
}

void daemon_vip_fault(struct kcwd *d, bool fault)
{
	if (d->vip_fault == fault)
		return;
	d->vip_fault = fault;
	if (fault)
		log_err("a VIP interface is down: entering fault (priority 0, VIPs released)");
	else
		log_notice("VIP interfaces are up again: leaving fault");
	priority_changed(d);
}

static void on_vip_fault(void *arg, bool fault)
{
	daemon_vip_fault(arg, fault);
}

static void shutdown_now(struct kcwd *d)
{
	struct election_event ev = {.type = EV_SHUTDOWN};

	log_notice("shutting down (role %s)", role_name(election_role(d->el)));
	daemon_ops_stopping(d);
	d->stopping = true;
	daemon_election_event(d, &ev);
	loop_stop(d->loop);
}

static void reload_on_signal(struct kcwd *d)
{
	char msg[CFG_ERR_MAX + 64];

	if (daemon_reload(d, msg, sizeof(msg)) < 0)
		log_err("reload refused, still running the previous configuration: %s", msg);
}

static void on_signal(void *arg, int fd, uint32_t events)
{
	struct kcwd *d = arg;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			shutdown_now(d);
			return;
		case SIGHUP:
			reload_on_signal(d);
			break;
		case SIGUSR1:
			daemon_ops_log_status(d);
			break;
		case SIGUSR2:
			daemon_ops_log_metrics(d);
			break;
		default:
			break;
		}
	}
}

static int open_signals(struct kcwd *d, char *err, size_t errlen)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1); /* status to the log, as keepalived's data dump */
	sigaddset(&set, SIGUSR2); /* metrics to the log */
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0 || loop_add_fd(d->loop, d->sigfd, EPOLLIN, on_signal, d) < 0) {
		snprintf(err, errlen, "signalfd: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static void election_params_of(const struct kcwd *d, struct election_params *p)
{
	*p = (struct election_params){
	    .interval_ms = d->cfg->interval_ms,
	    .dead_after = d->cfg->dead_after,
	    .preempt = d->cfg->preempt,
	    .preempt_delay_ms = d->cfg->preempt_delay_ms,
	    .n_nodes = d->cfg->n_nodes,
	    .self = d->self,
	    .tie_breaker = d->cfg->has_tie_breaker,
	    .coordinated = d->cfg->coordinator == COORD_ETCD,
	};
	for (size_t i = 0; i < d->cfg->n_nodes; i++) {
		p->nodes[i].addr = d->cfg->nodes[i].addr;
		p->nodes[i].priority = (uint32_t)d->cfg->nodes[i].priority;
		p->nodes[i].witness = d->cfg->nodes[i].kind == NODE_KIND_WITNESS;
	}
}

static int election_setup(struct kcwd *d, char *err, size_t errlen)
{
	struct election_params p;

	election_params_of(d, &p);
	d->el = election_new(&p, loop_now_ms(), err, errlen);
	return d->el ? 0 : -EINVAL;
}

int daemon_election_params(struct kcwd *d)
{
	struct election_params p;
	struct election_actions a;
	int rc;

	election_params_of(d, &p);
	rc = election_set_params(d->el, &p, loop_now_ms(), &a);
	if (rc < 0)
		log_err("the election cannot take the new parameters: %s", strerror(-rc));
	arm_election(d, a.wakeup_ms);
	return rc;
}

static uint64_t wallclock_incarnation(void)
{
	uint16_t r = 0;
	struct timespec ts;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint16_t)(getpid() ^ (pid_t)loop_now_ms());
	/* Wall time only orders this start after the previous one; timing uses CLOCK_MONOTONIC. */
	clock_gettime(CLOCK_REALTIME, &ts);
	return replay_make_incarnation(
	    (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u, r);
}

int daemon_state_save(struct kcwd *d, char *why, size_t whylen)
{
	int rc = nodestate_save(d->state_dir, d->cfg->nodes[d->self].name, &d->state, why, whylen);

	if (rc < 0)
		log_warn("cannot write the state file: %s", why);
	return rc;
}

/*
 * The incarnation of this start, from the state file's counter (the wall clock only when
 * there is no usable file), written back before the first heartbeat leaves.
 */
static void load_state(struct kcwd *d, uint64_t forced)
{
	const char *node = d->cfg->nodes[d->self].name;
	struct nodestate prev = {0};
	char why[PATH_MAX + 128];
	int rc = nodestate_load(d->state_dir, node, &prev, why, sizeof(why));

	if (rc == -ENOENT)
		log_warn("no state file %s/%s.state yet: incarnation from the wall clock",
			 d->state_dir, node);
	else if (rc < 0)
		log_warn("state file unusable (%s): incarnation from the wall clock, maintenance "
			 "off",
			 why);
	d->state.maintenance = rc == 0 && prev.maintenance;
	d->state.incarnation =
	    forced ? forced : nodestate_next_incarnation(&prev, rc == 0, wallclock_incarnation());
	d->incarnation = d->state.incarnation;
	if (daemon_state_save(d, why, sizeof(why)) < 0)
		log_warn("the next start cannot count on the state file: keep %s writable",
			 d->state_dir);
	log_info("incarnation %llu%s", (unsigned long long)d->incarnation,
		 forced ? " (--incarnation)" : "");
}

static void restore_maintenance(struct kcwd *d)
{
	struct election_event ev = {.type = EV_MAINTENANCE, .on = true};

	if (!d->state.maintenance)
		return;
	log_notice("in maintenance (kept in the state file): this node does not lead until "
		   "'kcwatchctl maintenance off'");
	daemon_election_event(d, &ev);
}

static void on_tiebreaker(void *arg, bool reachable)
{
	struct kcwd *d = arg;
	struct election_event ev = {.type = EV_TIEBREAKER, .on = reachable};

	if (reachable)
		log_notice("tie-breaker reachable: this node may lead");
	else
		log_warn("tie-breaker unreachable for %u ms: this node must not lead",
			 d->cfg->interval_ms * d->cfg->dead_after);
	daemon_election_event(d, &ev);
}

static int open_tiebreaker(struct kcwd *d, char *err, size_t errlen)
{
	if (!d->cfg->has_tie_breaker || d->cfg->witness[0])
		return 0; /* with a witness, the witness is the defence */
	d->pinger = pinger_new(d->loop, &d->cfg->tie_breaker, d->cfg->interval_ms,
			       d->cfg->dead_after, on_tiebreaker, d, err, errlen);
	return d->pinger ? 0 : -EIO;
}

static int open_vips(struct kcwd *d, char *err, size_t errlen)
{
	if (d->cfg->n_vips == 0)
		return 0;
	d->vips = vipset_new(d->loop, d->cfg->vips, d->cfg->n_vips, on_vip_fault, d, err, errlen);
	if (!d->vips)
		return -EINVAL;
	/* Nobody is leader yet from this node's point of view: a VIP left here is stale. */
	vipset_remove_leftovers(d->vips);
	return 0;
}

static void active_backend_changed(void *ctx)
{
	daemon_backend_changed(ctx);
}

static void active_view_changed(void *ctx)
{
	daemon_send_heartbeat(ctx);
}

static void active_haproxy_changed(void *ctx)
{
	daemon_priority_changed(ctx);
}

static void active_check_done(void *ctx, size_t idx, bool up, uint32_t latency_ms)
{
	daemon_count_check(ctx, idx, up, latency_ms);
}

struct active *daemon_active_new(struct kcwd *d, const struct kcw_config *cfg, char *err,
				 size_t errlen)
{
	const struct active_env env = {
	    .loop = d->loop,
	    .ctx = d,
	    .backend_changed = active_backend_changed,
	    .view_changed = active_view_changed,
	    .haproxy_changed = active_haproxy_changed,
	    .check_done = active_check_done,
	};

	return active_new(&env, cfg->backends, cfg->n_backends, &cfg->backends_opt, err, errlen);
}

/* R23, decided by the election: the DNS fence's holder may be leading now. */
static bool holder_may_lead(void *ctx, const char *holder)
{
	const struct kcwd *d = ctx;

	return election_holder_may_lead(d->el, config_node_index(d->cfg, holder), loop_now_ms());
}

static void naming_election_event(void *ctx, const struct election_event *ev)
{
	daemon_election_event(ctx, ev);
}

struct naming *daemon_naming_new(struct kcwd *d, const struct kcw_config *cfg, char *err,
				 size_t errlen)
{
	const struct naming_env env = {
	    .loop = d->loop,
	    .ctx = d,
	    .holder_may_lead = holder_may_lead,
	    .election_event = naming_election_event,
	};

	return naming_new(&env, cfg, d->self, err, errlen);
}

static int open_parts(struct kcwd *d, char *err, size_t errlen)
{
	d->loop = loop_new();
	if (!d->loop) {
		snprintf(err, errlen, "cannot create the event loop: %s", strerror(errno));
		return -errno;
	}
	d->hmac = hmac_new_pair(d->cfg->key, d->cfg->key_len, d->cfg->key2, d->cfg->key2_len);
	if (!d->hmac) {
		snprintf(err, errlen, "cannot set up HMAC-SHA256 (OpenSSL)");
		return -EIO;
	}
	if (open_signals(d, err, errlen) < 0)
		return -EIO;
	d->peers = peer_open(d->loop, d->cfg, d->self, d->hmac, on_heartbeat, d, err, errlen);
	if (!d->peers)
		return -EIO;
	if (open_tiebreaker(d, err, errlen) < 0)
		return -EIO;
	if (d->cfg->coordinator == COORD_ETCD &&
	    !(d->etcd = etcd_new(d->loop, d->cfg, d->self, on_etcd, d, err, errlen)))
		return -EIO;
	if (open_vips(d, err, errlen) < 0)
		return -EIO;
	d->active = daemon_active_new(d, d->cfg, err, errlen);
	if (!d->active && d->cfg->n_backends)
		return -EIO;
	d->naming = daemon_naming_new(d, d->cfg, err, errlen);
	if (!d->naming && d->cfg->dns.enabled)
		return -EIO;
	d->ctl = control_open(d->loop, d->ctl_path, command_handle, d, err, errlen);
	if (!d->ctl)
		return -EIO;
	d->status = control_open_mode(d->loop, d->status_path, 0666, "status socket",
				      command_handle_status, d, err, errlen);
	if (!d->status)
		return -EIO;
	d->el_timer = loop_timer_new(d->loop, on_election_timer, d);
	if (!d->el_timer) {
		snprintf(err, errlen, "cannot create a timer: %s", strerror(errno));
		return -EIO;
	}
	loop_on_wake(d->loop, on_wake, d);
	if (daemon_ops_open(d, err, errlen) < 0)
		return -EIO;
	return 0;
}

/*
 * The group comes from /etc/group (sysusers.d writes it there): getgrnam() would load NSS
 * modules into a long-running daemon for one lookup at start.
 */
static void find_admin_group(struct kcwd *d)
{
	FILE *f = fopen("/etc/group", "re");
	struct group *g;

	d->admin_gid_valid = false;
	while (f && (g = fgetgrent(f)) != NULL) {
		if (strcmp(g->gr_name, DAEMON_ADMIN_GROUP) == 0) {
			d->admin_gid_valid = true;
			d->admin_gid = g->gr_gid;
			break;
		}
	}
	if (f)
		fclose(f);
}

int daemon_start(struct kcwd *d, struct kcw_config *cfg, size_t self, const char *ctl_path,
		 const char *status_path, const char *state_dir, uint64_t incarnation, char *err,
		 size_t errlen)
{
	memset(d, 0, sizeof(*d));
	d->cfg = cfg;
	d->self = self;
	d->sigfd = -1;
	snprintf(d->ctl_path, sizeof(d->ctl_path), "%s", ctl_path);
	snprintf(d->status_path, sizeof(d->status_path), "%s", status_path);
	snprintf(d->state_dir, sizeof(d->state_dir), "%s", state_dir ? state_dir : cfg->state_dir);
	log_notice("cluster key from %s%s%s", cfg->key_read,
		   cfg->key_from_credential ? " (systemd credential)" : "",
		   cfg->key2_len ? ", with a second key that verifies only (rotation)" : "");
	load_state(d, incarnation);
	find_admin_group(d);
	realtime_short_slice();
	if (cfg->realtime)
		realtime_apply();
	d->started_ms = loop_now_ms();
	if (open_parts(d, err, errlen) < 0)
		return -1;
	if (election_setup(d, err, errlen) < 0)
		return -1;
	restore_maintenance(d);
	priority_changed(d);
	log_notice(
	    "node %s (priority %d) in cluster %s with %zu nodes, interval %u ms, dead after %u",
	    cfg->nodes[self].name, cfg->nodes[self].priority, cfg->cluster_name, cfg->n_nodes,
	    cfg->interval_ms, cfg->dead_after);
	loop_timer_arm(d->el_timer, 0);
	return 0;
}

int daemon_run(struct kcwd *d)
{
	int rc = loop_run(d->loop);

	if (rc < 0) {
		log_err("%s: event loop failed: %s", __func__, strerror(-rc));
		return 1;
	}
	return 0;
}

void daemon_stop(struct kcwd *d)
{
	daemon_ops_close(d); /* may wait a moment for a running hook */
	control_close(d->status);
	control_close(d->ctl);
	naming_free(d->naming);
	active_free(d->active);
	if (d->vips)
		vipset_free(d->vips);
	pinger_free(d->pinger);
	etcd_free(d->etcd, 500); /* lets a resigned key's delete reach etcd */
	peer_close(d->peers);
	if (d->sigfd >= 0)
		close(d->sigfd);
	hmac_free(d->hmac);
	loop_free(d->loop);
	config_free(d->cfg);
	election_free(d->el);
	memset(d, 0, sizeof(*d));
}
