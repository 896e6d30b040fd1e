/* SPDX-License-Identifier: MIT */
/* precheck.c: what `kcwatchd -t` checks on this host beyond the file's syntax. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "curldl.h"
#include "precheck.h"

/* A regular file that this process can open and read a byte of (an empty one counts). */
static int readable(const char *path)
{
	struct stat st;
	char c;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (!S_ISREG(st.st_mode))
		rc = -EISDIR;
	else if (read(fd, &c, 1) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int check_vips(const struct kcw_config *cfg, char *err, size_t errlen)
{
	for (size_t i = 0; i < cfg->n_vips; i++) {
		const struct cfg_vip *v = &cfg->vips[i];

		if (if_nametoindex(v->interface) == 0) {
			snprintf(err, errlen,
				 "%s: [vip %s] interface %s: no such interface on this host",
				 cfg->path, v->name, v->interface);
			return -ENODEV;
		}
	}
	return 0;
}

static int check_file(const struct kcw_config *cfg, const char *section, const char *name,
		      const char *key, const char *path, char *err, size_t errlen)
{
	int rc;

	if (!path[0])
		return 0;
	rc = readable(path);
	if (rc < 0)
		snprintf(err, errlen, "%s: [%s%s%s] %s %s: %s", cfg->path, section, name ? " " : "",
			 name ? name : "", key, path,
			 rc == -EISDIR ? "not a regular file" : strerror(-rc));
	return rc;
}

static int check_backends(const struct kcw_config *cfg, char *err, size_t errlen)
{
	struct curldl cu = {0};
	char why[CFG_ERR_MAX];
	int rc = 0;

	for (size_t i = 0; i < cfg->n_backends && !rc; i++) {
		const struct cfg_backend *b = &cfg->backends[i];

		rc = check_file(cfg, "backend", b->name, "ca-file", b->ca_file, err, errlen);
		if (!rc)
			rc = check_file(cfg, "backend", b->name, "client-cert", b->client_cert, err,
					errlen);
		if (!rc)
			rc = check_file(cfg, "backend", b->name, "client-key", b->client_key, err,
					errlen);
	}
	if (rc || !cfg->n_backends)
		return rc;
	rc = curldl_open(&cu, why, sizeof(why));
	if (rc < 0)
		snprintf(err, errlen, "%s: [backend] sections need libcurl: %s", cfg->path, why);
	curldl_close(&cu);
	return rc;
}

int precheck_host(const struct kcw_config *cfg, char *err, size_t errlen)
{
	int rc = check_vips(cfg, err, errlen);

	if (!rc)
		rc = check_backends(cfg, err, errlen);
	return rc;
}
