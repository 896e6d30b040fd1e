/* SPDX-License-Identifier: MIT */
/* notify.c: sd_notify datagrams to systemd's NOTIFY_SOCKET, written out without libsystemd. */
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define NOTIFY_MSG_MAX	  1024 /* our longest message is a STATUS= line */
#define NOTIFY_STATUS_MAX 256

struct notify {
	int fd; /* -1 when NOTIFY_SOCKET is unset */
	struct sockaddr_un addr;
	socklen_t addrlen;
	uint64_t watchdog_usec;
	bool warned; /* a send failed once: later failures are debug only */
};

int notify_parse_address(const char *s, struct sockaddr_un *sun, socklen_t *len)
{
	size_t n;

	if (!s || (s[0] != '/' && s[0] != '@'))
		return -EINVAL;
	n = strlen(s);
	if (n < 2 || n >= sizeof(sun->sun_path))
		return -EINVAL;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, s, n);
	if (s[0] == '@')
		sun->sun_path[0] = '\0'; /* abstract: the length, not a NUL, ends the name */
	/* A path includes its NUL; an abstract name is exactly its bytes. */
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (s[0] == '/'));
	return 0;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

uint64_t notify_parse_watchdog(const char *usec, const char *pid, pid_t self)
{
	uint64_t v, p;

	if (!parse_u64(usec, &v) || v == 0)
		return 0;
	if (pid && *pid && (!parse_u64(pid, &p) || p != (uint64_t)self))
		return 0;
	return v;
}

static int open_socket(struct notify *n, const char *path)
{
	int rc = notify_parse_address(path, &n->addr, &n->addrlen);

	if (rc < 0) {
		log_err("%s: NOTIFY_SOCKET=%.200s is not an absolute path or @name", __func__,
			path);
		return rc;
	}
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (n->fd < 0) {
		rc = -errno;
		log_err("%s: socket: %s", __func__, strerror(errno));
		return rc;
	}
	return 0;
}

struct notify *notify_new(bool unset_env)
{
	struct notify *n = calloc(1, sizeof(*n));
	const char *path = getenv("NOTIFY_SOCKET");
	int rc = 0;

	if (!n)
		return NULL;
	n->fd = -1;
	n->watchdog_usec =
	    notify_parse_watchdog(getenv("WATCHDOG_USEC"), getenv("WATCHDOG_PID"), getpid());
	if (path && *path)
		rc = open_socket(n, path);
	if (unset_env) {
		unsetenv("NOTIFY_SOCKET");
		unsetenv("WATCHDOG_USEC");
		unsetenv("WATCHDOG_PID");
	}
	if (rc < 0) {
		free(n);
		errno = -rc;
		return NULL;
	}
	if (n->fd < 0)
		n->watchdog_usec = 0; /* nobody to ping */
	return n;
}

void notify_free(struct notify *n)
{
	if (!n)
		return;
	if (n->fd >= 0)
		close(n->fd);
	free(n);
}

bool notify_enabled(const struct notify *n)
{
	return n && n->fd >= 0;
}

uint64_t notify_watchdog_usec(const struct notify *n)
{
	return n ? n->watchdog_usec : 0;
}

int notify_send(struct notify *n, const char *msg)
{
	ssize_t sent;
	int rc;

	if (!notify_enabled(n))
		return 0;
	sent =
	    sendto(n->fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&n->addr, n->addrlen);
	if (sent >= 0)
		return 0;
	rc = -errno;
	/* EAGAIN: systemd's queue is full; the next message will carry the news. */
	if (!n->warned && rc != -EAGAIN) {
		n->warned = true;
		log_warn("%s: %s", __func__, strerror(-rc));
	} else {
		log_debug("%s: %s", __func__, strerror(-rc));
	}
	return rc;
}

int notify_sendf(struct notify *n, const char *fmt, ...)
{
	char msg[NOTIFY_MSG_MAX];
	va_list ap;

	if (!notify_enabled(n))
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return notify_send(n, msg);
}

/* A STATUS= value is one line: a newline would start another assignment. */
static void one_line(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; src && src[i] && i + 1 < len; i++)
		dst[i] = (src[i] == '\n' || src[i] == '\r') ? ' ' : src[i];
	dst[i] = '\0';
}

int notify_ready(struct notify *n, const char *status)
{
	char s[NOTIFY_STATUS_MAX];

	if (!status)
		return notify_send(n, "READY=1");
	one_line(s, sizeof(s), status);
	return notify_sendf(n, "READY=1\nSTATUS=%s", s);
}

int notify_status(struct notify *n, const char *status)
{
	char s[NOTIFY_STATUS_MAX];

	one_line(s, sizeof(s), status);
	return notify_sendf(n, "STATUS=%s", s);
}

int notify_watchdog(struct notify *n)
{
	return notify_send(n, "WATCHDOG=1");
}

int notify_reloading(struct notify *n)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return notify_sendf(n, "RELOADING=1\nMONOTONIC_USEC=%llu",
			    (unsigned long long)ts.tv_sec * 1000000ull +
				(unsigned long long)ts.tv_nsec / 1000ull);
}

int notify_stopping(struct notify *n)
{
	return notify_send(n, "STOPPING=1");
}
