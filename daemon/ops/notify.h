/* SPDX-License-Identifier: MIT */
/* notify.h: the systemd readiness and watchdog protocol (sd_notify datagrams) without libsystemd.
 */
#ifndef KCW_NOTIFY_H
#define KCW_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

/*
 * systemd passes NOTIFY_SOCKET (a path, or "@name" for an abstract socket)
 * to a Type=notify service; the service sends one datagram per message of
 * newline-separated KEY=VALUE assignments. With WatchdogSec= it also sets
 * WATCHDOG_USEC (and WATCHDOG_PID, the pid meant); the service must then
 * send WATCHDOG=1 more often than that, or be killed and restarted.
 *
 * Without NOTIFY_SOCKET every call is a no-op that returns 0, so the daemon
 * calls them unconditionally.
 */
struct notify;

/*
 * Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID and, when unset_env,
 * removes them from the environment so that child processes (hooks) do not
 * inherit them. Opens a non-blocking CLOEXEC datagram socket when
 * NOTIFY_SOCKET is set. NULL with errno on failure (ENOMEM, EINVAL for an
 * unusable NOTIFY_SOCKET, or the socket() error).
 */
struct notify *notify_new(bool unset_env);
void notify_free(struct notify *n);

/* True when NOTIFY_SOCKET was set (messages go somewhere). */
bool notify_enabled(const struct notify *n);

/*
 * The watchdog period in microseconds that systemd expects WATCHDOG=1
 * within, 0 = no watchdog (unset, invalid, or WATCHDOG_PID names another
 * process). Ping at half of it.
 */
uint64_t notify_watchdog_usec(const struct notify *n);

/* Sends msg ("KEY=VALUE\nKEY=VALUE") as one datagram. 0 or negative errno. */
int notify_send(struct notify *n, const char *msg);
int notify_sendf(struct notify *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* READY=1 with a STATUS= line: sockets bound, state known. */
int notify_ready(struct notify *n, const char *status);
/* STATUS=text: one line for `systemctl status` (newlines become spaces). */
int notify_status(struct notify *n, const char *status);
/* WATCHDOG=1: the loop is alive. */
int notify_watchdog(struct notify *n);
/* RELOADING=1 (and MONOTONIC_USEC=): a reload starts; send notify_ready() after it. */
int notify_reloading(struct notify *n);
/* STOPPING=1: the shutdown has begun. */
int notify_stopping(struct notify *n);

/*
 * Pure helpers (unit tests):
 * notify_parse_address: NOTIFY_SOCKET value into a sockaddr_un; "@x" is the
 * abstract name "\0x". Absolute paths and "@" names only. 0 or -EINVAL.
 * notify_parse_watchdog: WATCHDOG_USEC / WATCHDOG_PID (either may be NULL)
 * into a period for process self, 0 when none applies.
 */
int notify_parse_address(const char *s, struct sockaddr_un *sun, socklen_t *len);
uint64_t notify_parse_watchdog(const char *usec, const char *pid, pid_t self);

#endif
