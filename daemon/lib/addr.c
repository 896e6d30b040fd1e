/* SPDX-License-Identifier: MIT */
/* addr.c: IPv4/IPv6 address parsing, formatting and ordering. */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int addr_parse(const char *s, struct kcw_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, &out->u.v4) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &out->u.v6) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *end || *out > max)
		return -EINVAL;
	return 0;
}

int addr_parse_prefix(const char *s, struct kcw_addr *out, int *prefixlen)
{
	char buf[ADDR_STRLEN];
	char *slash;
	unsigned long plen;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	if (addr_parse(buf, out) < 0)
		return -EINVAL;
	if (parse_uint(slash + 1, out->family == AF_INET ? 32 : 128, &plen) < 0)
		return -EINVAL;
	*prefixlen = (int)plen;
	return 0;
}

int addr_parse_hostport(const char *s, struct kcw_addr *out, uint16_t *port)
{
	char buf[ADDR_STRLEN];
	char *host = buf, *colon;
	unsigned long p;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		*close = '\0';
		host = buf + 1;
		colon = close + 1;
	} else {
		colon = strrchr(buf, ':');
		if (!colon || strchr(buf, ':') != colon)
			return -EINVAL;
		*colon = '\0';
	}
	if (addr_parse(host, out) < 0 || parse_uint(colon + 1, 65535, &p) < 0 || p == 0)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

const char *addr_str(const struct kcw_addr *a, char *buf, size_t len)
{
	if (!a->family || !inet_ntop(a->family, &a->u, buf, (socklen_t)len))
		snprintf(buf, len, "-");
	return buf;
}

int addr_cmp(const struct kcw_addr *a, const struct kcw_addr *b)
{
	size_t n;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	n = a->family == AF_INET ? 4 : 16;
	return memcmp(a->u.bytes, b->u.bytes, n);
}

bool addr_eq(const struct kcw_addr *a, const struct kcw_addr *b)
{
	return a->family && addr_cmp(a, b) == 0;
}

socklen_t addr_to_sockaddr(const struct kcw_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr = a->u.v4;
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	sin6->sin6_addr = a->u.v6;
	return sizeof(*sin6);
}

int addr_from_sockaddr(const struct sockaddr *sa, struct kcw_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET) {
		out->family = AF_INET;
		out->u.v4 = ((const struct sockaddr_in *)sa)->sin_addr;
		return 0;
	}
	if (sa->sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	const struct in6_addr *v6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;

	if (IN6_IS_ADDR_V4MAPPED(v6)) {
		out->family = AF_INET;
		memcpy(&out->u.v4, &v6->s6_addr[12], 4);
		return 0;
	}
	out->family = AF_INET6;
	out->u.v6 = *v6;
	return 0;
}
