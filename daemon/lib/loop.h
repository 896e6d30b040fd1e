/* SPDX-License-Identifier: MIT */
/* loop.h: the one event loop: epoll, CLOCK_MONOTONIC timerfds and fd watchers. */
#ifndef KCW_LOOP_H
#define KCW_LOOP_H

#include <stdint.h>
#include <sys/epoll.h>

struct loop;
struct loop_timer;

/* Called with the epoll event mask (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP). */
typedef void (*loop_fd_cb)(void *arg, int fd, uint32_t events);
typedef void (*loop_timer_cb)(void *arg);

/* Milliseconds of CLOCK_MONOTONIC: the only clock timing decisions use. */
uint64_t loop_now_ms(void);

struct loop *loop_new(void);
/* Frees the loop; watchers and timers still registered are freed too. */
void loop_free(struct loop *l);

/* Watch fd (non-blocking, CLOEXEC: the caller's job). Negative errno on failure. */
int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb, void *arg);
int loop_mod_fd(struct loop *l, int fd, uint32_t events);
/* Safe from inside any callback, including fd's own. Does not close fd. */
int loop_del_fd(struct loop *l, int fd);

/* A one-shot timer on its own timerfd. NULL on failure (errno set). */
struct loop_timer *loop_timer_new(struct loop *l, loop_timer_cb cb, void *arg);
/* Fire once after delay_ms (0 = as soon as possible). Re-arming replaces. */
int loop_timer_arm(struct loop_timer *t, uint64_t delay_ms);
/* Fire once at the absolute loop_now_ms() time at_ms (past = at once). */
int loop_timer_arm_at(struct loop_timer *t, uint64_t at_ms);
void loop_timer_disarm(struct loop_timer *t);
/* Safe from inside any callback, including the timer's own. */
void loop_timer_free(struct loop_timer *t);

/*
 * cb runs each time epoll_wait returns with events, before any of them is handled: the
 * place to do first what must not wait behind other work after a stall. One per loop.
 */
void loop_on_wake(struct loop *l, loop_timer_cb cb, void *arg);

/* Runs until loop_stop(). Returns 0, or negative errno if epoll itself fails. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);
/* How many times loop_run() went round: sd_notify's watchdog proves progress with it. */
uint64_t loop_iterations(const struct loop *l);

#endif
