/* SPDX-License-Identifier: MIT */
/* loop.c: epoll event loop with fd watchers and timerfd timers. */
#include "loop.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/*
 * Every watched fd has a watcher; epoll hands its pointer back. Removing a
 * watcher while events for it may still sit in the current epoll batch would
 * leave a dangling pointer, so removal only marks it dead and the sweep at the
 * end of each round frees it.
 */
struct watcher {
	int fd;
	bool dead;
	loop_fd_cb cb;
	void *arg;
	struct loop_timer *timer; /* set when the fd is a timerfd */
	struct watcher *next;
};

struct loop_timer {
	struct loop *loop;
	int fd;
	loop_timer_cb cb;
	void *arg;
};

struct loop {
	int epfd;
	bool stop;
	uint64_t iterations;
	struct watcher *watchers;
	loop_timer_cb on_wake;
	void *on_wake_arg;
};

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	return l;
}

static void watcher_free(struct watcher *w)
{
	if (w->timer) {
		close(w->timer->fd);
		free(w->timer);
	}
	free(w);
}

void loop_free(struct loop *l)
{
	struct watcher *w, *next;

	if (!l)
		return;
	for (w = l->watchers; w; w = next) {
		next = w->next;
		watcher_free(w);
	}
	close(l->epfd);
	free(l);
}

static struct watcher *find_watcher(struct loop *l, int fd)
{
	for (struct watcher *w = l->watchers; w; w = w->next)
		if (w->fd == fd && !w->dead)
			return w;
	return NULL;
}

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb, void *arg)
{
	struct epoll_event ev = {.events = events};
	struct watcher *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->fd = fd;
	w->cb = cb;
	w->arg = arg;
	ev.data.ptr = w;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = -errno;

		free(w);
		return err;
	}
	w->next = l->watchers;
	l->watchers = w;
	return 0;
}

int loop_mod_fd(struct loop *l, int fd, uint32_t events)
{
	struct watcher *w = find_watcher(l, fd);
	struct epoll_event ev = {.events = events};

	if (!w)
		return -ENOENT;
	ev.data.ptr = w;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

int loop_del_fd(struct loop *l, int fd)
{
	struct watcher *w = find_watcher(l, fd);

	if (!w)
		return -ENOENT;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	w->dead = true;
	return 0;
}

static void timer_fired(void *arg, int fd, uint32_t events)
{
	struct loop_timer *t = arg;
	uint64_t expirations;

	if (read(fd, &expirations, sizeof(expirations)) < 0 && errno == EAGAIN)
		return; /* disarmed or re-armed after the event was queued */
	t->cb(t->arg);
}

struct loop_timer *loop_timer_new(struct loop *l, loop_timer_cb cb, void *arg)
{
	struct loop_timer *t = calloc(1, sizeof(*t));
	struct watcher *w;

	if (!t)
		return NULL;
	t->loop = l;
	t->cb = cb;
	t->arg = arg;
	t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->fd < 0 || loop_add_fd(l, t->fd, EPOLLIN, timer_fired, t) < 0) {
		int err = errno;

		if (t->fd >= 0)
			close(t->fd);
		free(t);
		errno = err;
		return NULL;
	}
	w = find_watcher(l, t->fd);
	w->timer = t;
	return t;
}

static int timer_set(struct loop_timer *t, uint64_t delay_ms)
{
	struct itimerspec its = {0};

	/* An all-zero it_value disarms a timerfd: "now" is one nanosecond. */
	its.it_value.tv_sec = (time_t)(delay_ms / 1000u);
	its.it_value.tv_nsec = (long)(delay_ms % 1000u) * 1000000L;
	if (delay_ms == 0)
		its.it_value.tv_nsec = 1;
	return timerfd_settime(t->fd, 0, &its, NULL) < 0 ? -errno : 0;
}

int loop_timer_arm(struct loop_timer *t, uint64_t delay_ms)
{
	return timer_set(t, delay_ms);
}

int loop_timer_arm_at(struct loop_timer *t, uint64_t at_ms)
{
	uint64_t now = loop_now_ms();

	return timer_set(t, at_ms > now ? at_ms - now : 0);
}

void loop_timer_disarm(struct loop_timer *t)
{
	struct itimerspec its = {0};

	timerfd_settime(t->fd, 0, &its, NULL);
}

void loop_timer_free(struct loop_timer *t)
{
	if (t)
		loop_del_fd(t->loop, t->fd); /* the sweep closes the fd and frees t */
}

static void sweep(struct loop *l)
{
	struct watcher **pp = &l->watchers;

	while (*pp) {
		struct watcher *w = *pp;

		if (w->dead) {
			*pp = w->next;
			watcher_free(w);
		} else {
			pp = &w->next;
		}
	}
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[32];

	l->stop = false;
	while (!l->stop) {
		int n = epoll_wait(l->epfd, evs, 32, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n > 0 && l->on_wake)
			l->on_wake(l->on_wake_arg);
		for (int i = 0; i < n; i++) {
			struct watcher *w = evs[i].data.ptr;

			if (!w->dead)
				w->cb(w->arg, w->fd, evs[i].events);
		}
		sweep(l);
		l->iterations++;
	}
	return 0;
}

void loop_on_wake(struct loop *l, loop_timer_cb cb, void *arg)
{
	l->on_wake = cb;
	l->on_wake_arg = arg;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}

uint64_t loop_iterations(const struct loop *l)
{
	return l->iterations;
}
