/* SPDX-License-Identifier: MIT */
/* nodestate.c: the node's state file (incarnation counter, maintenance), written atomically. */
#include "nodestate.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NODESTATE_TEXT_MAX 1024

int nodestate_path(const char *dir, const char *node, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%s.state", dir, node);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

static int parse_line(char *line, struct nodestate *st, unsigned *seen)
{
	char *eq = strchr(line, '=');

	if (!eq)
		return -EINVAL;
	*eq = '\0';
	if (!strcmp(line, "incarnation")) {
		*seen |= 1;
		return parse_u64(eq + 1, &st->incarnation);
	}
	if (!strcmp(line, "maintenance")) {
		*seen |= 2;
		st->maintenance = !strcmp(eq + 1, "on");
		return st->maintenance || !strcmp(eq + 1, "off") ? 0 : -EINVAL;
	}
	return -EINVAL;
}

int nodestate_parse(const char *text, struct nodestate *st, char *why, size_t whylen)
{
	char buf[NODESTATE_TEXT_MAX + 1], *l, *nl;
	unsigned seen = 0;
	int lineno = 0;

	if (strlen(text) > NODESTATE_TEXT_MAX) {
		snprintf(why, whylen, "too large");
		return -EINVAL;
	}
	memset(st, 0, sizeof(*st));
	strcpy(buf, text);
	for (l = buf; *l; l = nl ? nl + 1 : l + strlen(l)) {
		nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		lineno++;
		if (l[0] == '#' || l[0] == '\0')
			continue;
		if (parse_line(l, st, &seen) < 0) {
			snprintf(why, whylen,
				 "line %d: not 'incarnation=N' or 'maintenance=on|off'", lineno);
			return -EINVAL;
		}
	}
	if (seen != 3) {
		snprintf(why, whylen, "%s missing", seen & 1 ? "maintenance" : "incarnation");
		return -EINVAL;
	}
	return 0;
}

static int read_text(int fd, char *buf, size_t len)
{
	size_t used = 0;
	ssize_t n;

	while (used < len - 1) {
		n = read(fd, buf + used, len - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	return used == len - 1 ? -EFBIG : 0;
}

int nodestate_load(const char *dir, const char *node, struct nodestate *st, char *why,
		   size_t whylen)
{
	char path[4096], text[NODESTATE_TEXT_MAX + 2], reason[128];
	struct stat sb;
	int fd, rc;

	if (nodestate_path(dir, node, path, sizeof(path)) < 0) {
		snprintf(why, whylen, "%s/%s.state: path too long", dir, node);
		return -ENAMETOOLONG;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0) {
		rc = -errno;
		snprintf(why, whylen, "%s: %s", path, strerror(-rc));
		return rc == -ELOOP ? -EINVAL : rc;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		snprintf(why, whylen, "%s: not a regular file", path);
		return -EINVAL;
	}
	rc = read_text(fd, text, sizeof(text));
	close(fd);
	if (rc == 0)
		rc = nodestate_parse(text, st, reason, sizeof(reason));
	else
		snprintf(reason, sizeof(reason), "%s", rc == -EFBIG ? "too large" : strerror(-rc));
	if (rc < 0) {
		snprintf(why, whylen, "%s: corrupt (%s)", path, reason);
		return -EINVAL;
	}
	return 0;
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The temp file with the new content, on disk (fsync) before it may replace the file. */
static int write_temp(const char *tmp, const struct nodestate *st)
{
	char text[256];
	int fd, rc, n;

	n = snprintf(text, sizeof(text),
		     "# kcwatchd node state: written by kcwatchd at every start, do not edit\n"
		     "incarnation=%" PRIu64 "\nmaintenance=%s\n",
		     st->incarnation, st->maintenance ? "on" : "off");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	rc = write_all(fd, text, (size_t)n);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	return rc;
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int nodestate_save(const char *dir, const char *node, const struct nodestate *st, char *why,
		   size_t whylen)
{
	char path[4096], tmp[4096 + 8];
	const char *step = "write";
	int rc;

	if (nodestate_path(dir, node, path, sizeof(path)) < 0) {
		snprintf(why, whylen, "%s/%s.state: path too long", dir, node);
		return -ENAMETOOLONG;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	rc = write_temp(tmp, st);
	if (!rc && rename(tmp, path) < 0) {
		rc = -errno;
		step = "rename";
	}
	if (rc)
		unlink(tmp);
	else if ((rc = sync_dir(dir)) < 0)
		step = "sync directory";
	if (rc)
		snprintf(why, whylen, "%s: %s: %s", path, step, strerror(-rc));
	return rc;
}

uint64_t nodestate_next_incarnation(const struct nodestate *prev, bool have_prev, uint64_t fallback)
{
	if (!have_prev || prev->incarnation == UINT64_MAX)
		return fallback;
	return prev->incarnation + 1;
}
