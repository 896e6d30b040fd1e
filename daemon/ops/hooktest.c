/* SPDX-License-Identifier: MIT */
/* hooktest.c: kcwatchctl hook test: one hook run now, its output captured, the result as JSON. */
#include "hooktest.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

#define HOOKTEST_POLL_MS 100 /* waitpid poll when pidfd_open is unavailable */

struct hooktest {
	struct loop *loop;
	hooktest_done_cb cb;
	void *arg;
	struct json_object *values; /* what the program got */
	char event[32], program[PATH_MAX];
	pid_t pid;
	int pidfd; /* -1: poll */
	int out;   /* read end of the program's stdout and stderr */
	char buf[HOOKTEST_OUTPUT_MAX];
	size_t len;
	bool truncated;
	uint64_t started_ms, deadline_ms;
	bool term_sent;
	struct loop_timer *timer;
};

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : fd;
#else
	return -ENOSYS;
#endif
}

/* Reads what the pipe holds now; the part beyond the buffer is dropped and flagged. */
static void drain(struct hooktest *t)
{
	char scratch[1024];

	for (int i = 0; t->out >= 0 && i < 64; i++) {
		size_t room = sizeof(t->buf) - t->len;
		ssize_t n = room ? read(t->out, t->buf + t->len, room)
				 : read(t->out, scratch, sizeof(scratch));

		if (n <= 0)
			return;
		if (room)
			t->len += (size_t)n;
		else
			t->truncated = true;
	}
}

static void on_output(void *arg, int fd, uint32_t events)
{
	struct hooktest *t = arg;

	drain(t);
	if (events & (EPOLLHUP | EPOLLERR) && !(events & EPOLLIN)) {
		loop_del_fd(t->loop, t->out); /* the writers are gone; the exit follows */
		close(t->out);
		t->out = -1;
	}
}

static struct json_object *result_json(struct hooktest *t, int status)
{
	struct json_object *o = json_object_new_object();
	bool exited = status >= 0 && WIFEXITED(status);
	bool killed = status >= 0 && WIFSIGNALED(status);

	json_object_object_add(o, "event", json_object_new_string(t->event));
	json_object_object_add(o, "program", json_object_new_string(t->program));
	json_object_object_add(o, "values", t->values);
	t->values = NULL;
	json_object_object_add(o, "exit_status",
			       exited ? json_object_new_int(WEXITSTATUS(status)) : NULL);
	json_object_object_add(o, "signal", killed ? json_object_new_int(WTERMSIG(status)) : NULL);
	json_object_object_add(o, "timed_out", json_object_new_boolean(t->term_sent));
	json_object_object_add(o, "duration_ms",
			       json_object_new_int64((int64_t)(loop_now_ms() - t->started_ms)));
	json_object_object_add(o, "output", json_object_new_string_len(t->buf, (int)t->len));
	json_object_object_add(o, "output_truncated", json_object_new_boolean(t->truncated));
	return o;
}

/* Reaped: the rest of the output, the result to the caller (who may free t). */
static bool finish_if_exited(struct hooktest *t)
{
	siginfo_t si = {0};
	int status = -1;

	if (waitid(P_PID, (id_t)t->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == 0)
		return false;
	kill(-t->pid, SIGKILL); /* what is left of its group; the zombie still holds the id */
	if (waitpid(t->pid, &status, 0) < 0)
		status = -1;
	t->pid = 0;
	drain(t);
	if (status >= 0 && WIFEXITED(status))
		log_notice("hook test: %s %s ended with exit status %d after %llu ms", t->program,
			   t->event, WEXITSTATUS(status),
			   (unsigned long long)(loop_now_ms() - t->started_ms));
	else
		log_notice("hook test: %s %s was killed by signal %d after %llu ms", t->program,
			   t->event, status >= 0 ? WTERMSIG(status) : -1,
			   (unsigned long long)(loop_now_ms() - t->started_ms));
	loop_timer_disarm(t->timer);
	t->cb(t->arg, result_json(t, status));
	return true;
}

static void on_pidfd(void *arg, int fd, uint32_t events)
{
	finish_if_exited(arg);
}

static void on_timer(void *arg)
{
	struct hooktest *t = arg;
	uint64_t now = loop_now_ms();

	if (finish_if_exited(t))
		return;
	if (now >= t->deadline_ms) {
		kill(-t->pid, t->term_sent ? SIGKILL : SIGTERM);
		t->term_sent = true;
		t->deadline_ms = now + HOOKS_KILL_GRACE_MS;
	}
	loop_timer_arm_at(t->timer, t->pidfd >= 0 || t->deadline_ms < now + HOOKTEST_POLL_MS
					? t->deadline_ms
					: now + HOOKTEST_POLL_MS);
}

static struct json_object *values_json(enum hook_event ev, const struct hook_info *in)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string(hooks_event_name(ev)));
	json_object_object_add(o, "node", json_object_new_string(in->node ? in->node : ""));
	json_object_object_add(o, "role", json_object_new_string(in->role ? in->role : ""));
	json_object_object_add(o, "term", json_object_new_int64((int64_t)in->term));
	json_object_object_add(o, "leader", json_object_new_string(in->leader ? in->leader : ""));
	json_object_object_add(o, "backend",
			       json_object_new_string(in->backend ? in->backend : ""));
	json_object_object_add(o, "previous",
			       json_object_new_string(in->previous ? in->previous : ""));
	return o;
}

/* The pipe, the child, the watches. 0 or negative errno with err filled. */
static int launch(struct hooktest *t, const struct hooks *h, enum hook_event ev,
		  const struct hook_info *info, char *err, size_t errlen)
{
	int p[2], rc;

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -errno;
	}
	t->out = p[0];
	rc = hooks_spawn_test(h, ev, info, p[1], &t->pid);
	close(p[1]);
	if (rc == -ENOENT)
		snprintf(err, errlen, "no program for event %s: [hooks] %s is not set",
			 hooks_event_name(ev), hooks_key(ev));
	else if (rc < 0)
		snprintf(err, errlen, "hook %s: cannot run %s: %s", hooks_key(ev), t->program,
			 strerror(-rc));
	if (rc < 0)
		return rc;
	if (loop_add_fd(t->loop, t->out, EPOLLIN, on_output, t) < 0) {
		close(t->out);
		t->out = -1; /* output lost, the result still comes */
	}
	t->pidfd = open_pidfd(t->pid);
	if (t->pidfd >= 0 && loop_add_fd(t->loop, t->pidfd, EPOLLIN, on_pidfd, t) < 0) {
		close(t->pidfd);
		t->pidfd = -1;
	}
	t->started_ms = loop_now_ms();
	t->deadline_ms = t->started_ms + HOOKS_TIMEOUT_MS;
	return loop_timer_arm(t->timer, t->pidfd >= 0 ? HOOKS_TIMEOUT_MS : HOOKTEST_POLL_MS);
}

struct hooktest *hooktest_start(struct loop *l, const struct hooks *h, enum hook_event ev,
				const struct hook_info *info, hooktest_done_cb cb, void *arg,
				char *err, size_t errlen)
{
	struct hooktest *t = calloc(1, sizeof(*t));

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->loop = l;
	t->cb = cb;
	t->arg = arg;
	t->out = t->pidfd = -1;
	snprintf(t->event, sizeof(t->event), "%s", hooks_event_name(ev));
	snprintf(t->program, sizeof(t->program), "%s", hooks_path(h, ev));
	t->values = values_json(ev, info);
	t->timer = loop_timer_new(l, on_timer, t);
	if (!t->timer) {
		snprintf(err, errlen, "timer: %s", strerror(errno));
		hooktest_free(t);
		return NULL;
	}
	if (launch(t, h, ev, info, err, errlen) < 0) {
		hooktest_free(t);
		return NULL;
	}
	log_notice("hook test: running %s %s (pid %d)", t->program, t->event, (int)t->pid);
	return t;
}

void hooktest_free(struct hooktest *t)
{
	int status;

	if (!t)
		return;
	if (t->pid > 0) {
		kill(-t->pid, SIGKILL);
		waitpid(t->pid, &status, 0);
	}
	if (t->pidfd >= 0) {
		loop_del_fd(t->loop, t->pidfd);
		close(t->pidfd);
	}
	if (t->out >= 0) {
		loop_del_fd(t->loop, t->out);
		close(t->out);
	}
	loop_timer_free(t->timer);
	json_object_put(t->values);
	free(t);
}
