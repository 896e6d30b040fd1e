/* SPDX-License-Identifier: MIT */
/* hooks.c: runs the [hooks] programs from a FIFO queue with posix_spawn, pidfds and a timeout. */
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "strutil.h"
#include "role.h"

extern char **environ;

#define HOOKS_POLL_MS	      100 /* waitpid poll when pidfd_open is unavailable */
#define HOOKS_STOP_POLL_MS    10  /* hooks_free() waiting for the exit */
#define HOOKS_ENV_INHERIT_MAX 256 /* inherited environment entries passed on */
#define HOOKS_ENV_OWN	      9	  /* KCWATCH_* variables */
#define HOOKS_ROLE_MAX	      16
#define HOOKS_VAR_MAX	      (CFG_NAME_MAX + 32)

struct hook_job {
	enum hook_event ev;
	uint64_t term;
	char node[CFG_NAME_MAX];
	char role[HOOKS_ROLE_MAX];
	char leader[CFG_NAME_MAX];
	char backend[CFG_NAME_MAX];
	char previous[CFG_NAME_MAX];
	char time[32];
};

struct hooks {
	struct loop *loop;
	char path[HOOK__COUNT][PATH_MAX];
	char cluster[CFG_NAME_MAX];
	uint32_t timeout_ms;
	uint32_t grace_ms;
	struct hook_job queue[HOOKS_QUEUE_MAX]; /* ring: head, len */
	size_t head, len;
	struct hook_job cur; /* the running one, valid while pid != 0 */
	pid_t pid;
	int pidfd; /* -1: poll with waitid instead */
	uint64_t started_ms;
	uint64_t deadline_ms; /* timeout, then the SIGKILL after SIGTERM */
	bool term_sent;
	bool was_busy; /* for the idle callback */
	struct loop_timer *timer;
	void (*idle_cb)(void *arg);
	void *idle_arg;
	struct hooks_stats stats;
};

static const char *const event_names[HOOK__COUNT] = {"leader", "follower", "fault",
						     "backend-change"};
static const char *const hook_keys[HOOK__COUNT] = {"on-leader", "on-follower", "on-fault",
						   "on-backend-change"};

const char *hooks_event_name(enum hook_event ev)
{
	return (unsigned)ev < HOOK__COUNT ? event_names[ev] : "unknown";
}

int hooks_event_for_role(enum kcw_role role)
{
	switch (role) {
	case ROLE_LEADER:
		return HOOK_LEADER;
	case ROLE_FOLLOWER:
		return HOOK_FOLLOWER;
	case ROLE_FAULT:
		return HOOK_FAULT;
	case ROLE_INIT:
	case ROLE_WITNESS:
	default:
		return -1;
	}
}

static bool env_dropped(const char *e)
{
	static const char *const drop[] = {
	    "KCWATCH_",	   "NOTIFY_SOCKET=", "WATCHDOG_USEC=", "WATCHDOG_PID=",
	    "LISTEN_FDS=", "LISTEN_PID=",    "LISTEN_FDNAMES="};

	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		if (strncmp(e, drop[i], strlen(drop[i])) == 0)
			return true;
	return false;
}

/* The inherited environment (filtered, bounded) plus the KCWATCH_* variables in vars. */
static char **build_env(const struct hooks *h, const struct hook_job *j,
			char vars[HOOKS_ENV_OWN][HOOKS_VAR_MAX])
{
	char **envp = calloc(HOOKS_ENV_INHERIT_MAX + HOOKS_ENV_OWN + 1, sizeof(*envp));
	size_t n = 0;

	if (!envp)
		return NULL;
	for (char **e = environ; e && *e && n < HOOKS_ENV_INHERIT_MAX; e++)
		if (!env_dropped(*e))
			envp[n++] = *e;
	snprintf(vars[0], HOOKS_VAR_MAX, "KCWATCH_EVENT=%s", event_names[j->ev]);
	snprintf(vars[1], HOOKS_VAR_MAX, "KCWATCH_NODE=%s", j->node);
	snprintf(vars[2], HOOKS_VAR_MAX, "KCWATCH_CLUSTER=%s", h->cluster);
	snprintf(vars[3], HOOKS_VAR_MAX, "KCWATCH_ROLE=%s", j->role);
	snprintf(vars[4], HOOKS_VAR_MAX, "KCWATCH_TERM=%llu", (unsigned long long)j->term);
	snprintf(vars[5], HOOKS_VAR_MAX, "KCWATCH_LEADER=%s", j->leader);
	snprintf(vars[6], HOOKS_VAR_MAX, "KCWATCH_BACKEND=%s", j->backend);
	snprintf(vars[7], HOOKS_VAR_MAX, "KCWATCH_PREVIOUS=%s", j->previous);
	snprintf(vars[8], HOOKS_VAR_MAX, "KCWATCH_TIME=%s", j->time);
	for (size_t i = 0; i < HOOKS_ENV_OWN; i++)
		envp[n++] = vars[i];
	return envp;
}

/* Own process group, default signal mask and dispositions, stdin from /dev/null, stdout and
 * stderr on out_fd unless it is -1. */
static int spawn_setup(posix_spawn_file_actions_t *fa, posix_spawnattr_t *at, int out_fd)
{
	static const int dfl[] = {SIGPIPE, SIGCHLD, SIGHUP,  SIGINT, SIGQUIT,
				  SIGTERM, SIGUSR1, SIGUSR2, SIGALRM};
	sigset_t none, def;
	int rc;

	sigemptyset(&none);
	sigemptyset(&def);
	for (size_t i = 0; i < sizeof(dfl) / sizeof(dfl[0]); i++)
		sigaddset(&def, dfl[i]);
	rc = posix_spawn_file_actions_init(fa);
	if (rc)
		return -rc;
	rc = posix_spawnattr_init(at);
	if (rc) {
		posix_spawn_file_actions_destroy(fa);
		return -rc;
	}
	rc = posix_spawn_file_actions_addopen(fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (!rc && out_fd >= 0)
		rc = posix_spawn_file_actions_adddup2(fa, out_fd, STDOUT_FILENO);
	if (!rc && out_fd >= 0)
		rc = posix_spawn_file_actions_adddup2(fa, out_fd, STDERR_FILENO);
	if (!rc)
		rc = posix_spawnattr_setflags(at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
						      POSIX_SPAWN_SETSIGDEF);
	if (!rc)
		rc = posix_spawnattr_setpgroup(at, 0);
	if (!rc)
		rc = posix_spawnattr_setsigmask(at, &none);
	if (!rc)
		rc = posix_spawnattr_setsigdefault(at, &def);
	if (rc) {
		posix_spawnattr_destroy(at);
		posix_spawn_file_actions_destroy(fa);
	}
	return -rc;
}

static int spawn_job(const struct hooks *h, struct hook_job *j, int out_fd, pid_t *pid)
{
	char vars[HOOKS_ENV_OWN][HOOKS_VAR_MAX];
	char term[24];
	char *argv[] = {(char *)h->path[j->ev],
			(char *)event_names[j->ev],
			j->node,
			j->role,
			term,
			j->leader,
			j->backend,
			j->previous,
			NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	char **envp;
	int rc;

	snprintf(term, sizeof(term), "%llu", (unsigned long long)j->term);
	envp = build_env(h, j, vars);
	if (!envp)
		return -ENOMEM;
	rc = spawn_setup(&fa, &at, out_fd);
	if (rc == 0) {
		/* glibc reports a failed exec here (posix_spawn waits for it). */
		rc = -posix_spawn(pid, h->path[j->ev], &fa, &at, argv, envp);
		posix_spawnattr_destroy(&at);
		posix_spawn_file_actions_destroy(&fa);
	}
	free(envp);
	return rc;
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	int fd = (int)syscall(SYS_pidfd_open, pid, 0); /* always CLOEXEC */

	return fd < 0 ? -errno : fd;
#else
	return -ENOSYS;
#endif
}

static void arm_timer(struct hooks *h)
{
	uint64_t at = h->deadline_ms;

	if (h->pidfd < 0 && at > loop_now_ms() + HOOKS_POLL_MS)
		at = loop_now_ms() + HOOKS_POLL_MS;
	loop_timer_arm_at(h->timer, at);
}

static void log_result(struct hooks *h, int status)
{
	const char *key = hook_keys[h->cur.ev];
	unsigned long long ms = (unsigned long long)(loop_now_ms() - h->started_ms);

	if (h->term_sent) {
		h->stats.timed_out++;
		log_warn("hook %s (%s, pid %d) timed out after %u ms and was killed", key,
			 h->path[h->cur.ev], (int)h->pid, h->timeout_ms);
	} else if (status < 0) {
		h->stats.failed++;
		log_warn("hook %s (%s, pid %d): exit status lost", key, h->path[h->cur.ev],
			 (int)h->pid);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		h->stats.ok++;
		log_info("hook %s (%s) for event %s finished in %llu ms", key, h->path[h->cur.ev],
			 event_names[h->cur.ev], ms);
	} else if (WIFEXITED(status)) {
		h->stats.failed++;
		log_warn("hook %s (%s) failed with exit status %d after %llu ms", key,
			 h->path[h->cur.ev], WEXITSTATUS(status), ms);
	} else {
		h->stats.failed++;
		log_warn("hook %s (%s) was killed by signal %d (%s) after %llu ms", key,
			 h->path[h->cur.ev], WTERMSIG(status), strsignal(WTERMSIG(status)), ms);
	}
}

static void on_pidfd(void *arg, int fd, uint32_t events);

static int run_job(struct hooks *h)
{
	struct hook_job *j = &h->cur;
	pid_t pid;
	int rc = spawn_job(h, j, -1, &pid);

	if (rc < 0) {
		h->stats.exec_failed++;
		log_warn("hook %s: cannot run %s: %s", hook_keys[j->ev], h->path[j->ev],
			 strerror(-rc));
		return rc;
	}
	h->pid = pid;
	h->term_sent = false;
	h->started_ms = loop_now_ms();
	h->deadline_ms = h->started_ms + h->timeout_ms;
	h->pidfd = open_pidfd(pid);
	if (h->pidfd >= 0 && loop_add_fd(h->loop, h->pidfd, EPOLLIN, on_pidfd, h) < 0) {
		close(h->pidfd);
		h->pidfd = -1;
	}
	if (h->pidfd < 0)
		log_debug("%s: no pidfd for pid %d: polling for its exit", __func__, (int)pid);
	arm_timer(h);
	log_info("hook %s: running %s %s (pid %d, term %llu)", hook_keys[j->ev], h->path[j->ev],
		 event_names[j->ev], (int)pid, (unsigned long long)j->term);
	return 0;
}

/* Starts queued jobs until one runs. When none is left, the idle callback is due. */
static void start_next(struct hooks *h)
{
	while (h->pid == 0 && h->len > 0) {
		h->cur = h->queue[h->head];
		h->head = (h->head + 1) % HOOKS_QUEUE_MAX;
		h->len--;
		if (!h->path[h->cur.ev][0])
			continue; /* removed by a reload while queued */
		h->was_busy = true;
		run_job(h);
	}
	if (h->pid == 0 && h->was_busy && h->idle_cb)
		loop_timer_arm(h->timer, 0); /* on_timer calls it, from the loop */
}

/* A finished hook is reaped; a timed-out one's group gets SIGKILL first (the zombie
 * still holds the process group id, so it cannot be someone else's yet). */
static bool reap_if_exited(struct hooks *h)
{
	siginfo_t si = {0};
	int status = -1;

	if (waitid(P_PID, (id_t)h->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == 0)
		return false;
	if (h->term_sent)
		kill(-h->pid, SIGKILL);
	if (waitpid(h->pid, &status, 0) < 0) {
		log_err("%s: waitpid %d: %s", __func__, (int)h->pid, strerror(errno));
		status = -1;
	}
	log_result(h, status);
	if (h->pidfd >= 0) {
		loop_del_fd(h->loop, h->pidfd);
		close(h->pidfd);
		h->pidfd = -1;
	}
	h->pid = 0;
	loop_timer_disarm(h->timer);
	start_next(h);
	return true;
}

static void on_pidfd(void *arg, int fd, uint32_t events)
{
	reap_if_exited(arg);
}

static void on_timer(void *arg)
{
	struct hooks *h = arg;
	uint64_t now;

	if (h->pid == 0) {
		if (h->len == 0 && h->was_busy && h->idle_cb) {
			h->was_busy = false;
			h->idle_cb(h->idle_arg);
		}
		return;
	}
	if (reap_if_exited(h))
		return;
	now = loop_now_ms();
	if (now >= h->deadline_ms) {
		int sig = h->term_sent ? SIGKILL : SIGTERM;

		log_warn("hook %s (%s, pid %d) still runs after %llu ms: %s to its process group",
			 hook_keys[h->cur.ev], h->path[h->cur.ev], (int)h->pid,
			 (unsigned long long)(now - h->started_ms),
			 sig == SIGKILL ? "SIGKILL" : "SIGTERM");
		kill(-h->pid, sig);
		h->term_sent = true;
		h->deadline_ms = now + h->grace_ms;
	}
	arm_timer(h);
}

void hooks_set_config(struct hooks *h, const struct kcw_config *cfg)
{
	str_copy(h->path[HOOK_LEADER], PATH_MAX, cfg->hook_on_leader);
	str_copy(h->path[HOOK_FOLLOWER], PATH_MAX, cfg->hook_on_follower);
	str_copy(h->path[HOOK_FAULT], PATH_MAX, cfg->hook_on_fault);
	str_copy(h->path[HOOK_BACKEND_CHANGE], PATH_MAX, cfg->hook_on_backend_change);
	str_copy(h->cluster, sizeof(h->cluster), cfg->cluster_name);
}

struct hooks *hooks_new(struct loop *l, const struct kcw_config *cfg)
{
	struct hooks *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->loop = l;
	h->pidfd = -1;
	h->timeout_ms = HOOKS_TIMEOUT_MS;
	h->grace_ms = HOOKS_KILL_GRACE_MS;
	h->timer = loop_timer_new(l, on_timer, h);
	if (!h->timer) {
		int err = errno;

		free(h);
		errno = err;
		return NULL;
	}
	hooks_set_config(h, cfg);
	return h;
}

void hooks_set_timeout(struct hooks *h, uint32_t timeout_ms, uint32_t grace_ms)
{
	h->timeout_ms = timeout_ms;
	h->grace_ms = grace_ms;
}

void hooks_set_idle_cb(struct hooks *h, void (*cb)(void *arg), void *arg)
{
	h->idle_cb = cb;
	h->idle_arg = arg;
}

static void fill_job(struct hook_job *j, enum hook_event ev, const struct hook_info *info)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	j->ev = ev;
	j->term = info->term;
	str_copy(j->node, sizeof(j->node), info->node);
	str_copy(j->role, sizeof(j->role), info->role);
	str_copy(j->leader, sizeof(j->leader), info->leader);
	str_copy(j->backend, sizeof(j->backend), info->backend);
	str_copy(j->previous, sizeof(j->previous), info->previous);
	snprintf(j->time, sizeof(j->time), "%lld.%03ld", (long long)ts.tv_sec,
		 ts.tv_nsec / 1000000L);
}

int hooks_event(struct hooks *h, enum hook_event ev, const struct hook_info *info)
{
	if (!h || (unsigned)ev >= HOOK__COUNT || !info)
		return -EINVAL;
	if (!h->path[ev][0])
		return 0;
	if (h->len == HOOKS_QUEUE_MAX) {
		const struct hook_job *old = &h->queue[h->head];

		log_warn("hook queue full (%d): dropping the oldest event %s (term %llu)",
			 HOOKS_QUEUE_MAX, event_names[old->ev], (unsigned long long)old->term);
		h->head = (h->head + 1) % HOOKS_QUEUE_MAX;
		h->len--;
		h->stats.dropped++;
	}
	fill_job(&h->queue[(h->head + h->len) % HOOKS_QUEUE_MAX], ev, info);
	h->len++;
	log_debug("hook event %s queued (%zu waiting)", event_names[ev], h->len);
	if (h->pid == 0)
		start_next(h);
	return 1;
}

int hooks_spawn_test(const struct hooks *h, enum hook_event ev, const struct hook_info *info,
		     int out_fd, pid_t *pid)
{
	struct hook_job j;

	if (!h || (unsigned)ev >= HOOK__COUNT || !info)
		return -EINVAL;
	if (!h->path[ev][0])
		return -ENOENT;
	fill_job(&j, ev, info);
	return spawn_job(h, &j, out_fd, pid);
}

const char *hooks_path(const struct hooks *h, enum hook_event ev)
{
	return h && (unsigned)ev < HOOK__COUNT ? h->path[ev] : "";
}

const char *hooks_key(enum hook_event ev)
{
	return (unsigned)ev < HOOK__COUNT ? hook_keys[ev] : "unknown";
}

int hooks_event_from_name(const char *name)
{
	for (int i = 0; i < HOOK__COUNT; i++)
		if (!strcmp(name, event_names[i]))
			return i;
	return -1;
}

bool hooks_busy(const struct hooks *h)
{
	return h && (h->pid != 0 || h->len > 0);
}

void hooks_get_stats(const struct hooks *h, struct hooks_stats *out)
{
	if (h)
		*out = h->stats;
	else
		memset(out, 0, sizeof(*out));
}

/* Waits up to ms for the running hook to exit, without reaping it. True when it has. */
static bool wait_exit(const struct hooks *h, uint32_t ms)
{
	struct timespec pause = {.tv_nsec = HOOKS_STOP_POLL_MS * 1000000L};

	for (uint32_t waited = 0;; waited += HOOKS_STOP_POLL_MS) {
		siginfo_t si = {0};

		if (waitid(P_PID, (id_t)h->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
		    si.si_pid != 0)
			return true;
		if (waited >= ms)
			return false;
		nanosleep(&pause, NULL);
	}
}

/* Shutdown: the grace time to finish, SIGTERM to the group, the grace time again, SIGKILL. */
static void stop_running(struct hooks *h)
{
	int status;

	if (!wait_exit(h, h->grace_ms)) {
		log_notice("hook %s (%s, pid %d) still runs at shutdown: terminating it",
			   hook_keys[h->cur.ev], h->path[h->cur.ev], (int)h->pid);
		kill(-h->pid, SIGTERM);
		wait_exit(h, h->grace_ms);
	}
	kill(-h->pid, SIGKILL); /* what is left of its group; the zombie still holds the id */
	if (waitpid(h->pid, &status, 0) == h->pid && !h->term_sent)
		log_result(h, status);
	if (h->pidfd >= 0) {
		loop_del_fd(h->loop, h->pidfd);
		close(h->pidfd);
	}
	h->pid = 0;
	h->pidfd = -1;
}

void hooks_free(struct hooks *h)
{
	if (!h)
		return;
	if (h->len)
		log_warn("%zu queued hook event(s) dropped at shutdown", h->len);
	if (h->pid)
		stop_running(h);
	loop_timer_free(h->timer);
	free(h);
}
