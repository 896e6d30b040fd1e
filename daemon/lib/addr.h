/* SPDX-License-Identifier: MIT */
/* addr.h: IPv4/IPv6 address values, parsing, formatting and ordering. */
#ifndef KCW_ADDR_H
#define KCW_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

#define ADDR_STRLEN 64 /* fits "[v6]:port" and "v6/prefix" */

struct kcw_addr {
	int family; /* AF_INET or AF_INET6, 0 = unset */
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t bytes[16];
	} u;
};

/* "192.0.2.1" or "2001:db8::1" (no brackets, no prefix). 0 or -EINVAL. */
int addr_parse(const char *s, struct kcw_addr *out);
/* "192.0.2.1/24" or "2001:db8::5/64"; prefix required. 0 or -EINVAL. */
int addr_parse_prefix(const char *s, struct kcw_addr *out, int *prefixlen);
/* "192.0.2.1:443" or "[2001:db8::1]:443"; port required. 0 or -EINVAL. */
int addr_parse_hostport(const char *s, struct kcw_addr *out, uint16_t *port);
/* Writes the plain address text into buf (at least ADDR_STRLEN). Returns buf. */
const char *addr_str(const struct kcw_addr *a, char *buf, size_t len);
/* Orders by family, then bytes: the election's tie-break. <0, 0, >0. */
int addr_cmp(const struct kcw_addr *a, const struct kcw_addr *b);
bool addr_eq(const struct kcw_addr *a, const struct kcw_addr *b);
/* Fills a sockaddr for addr:port; returns its length. */
socklen_t addr_to_sockaddr(const struct kcw_addr *a, uint16_t port, struct sockaddr_storage *ss);
/* Reads the address of a sockaddr (port ignored); v4-mapped v6 becomes v4. 0 or -EAFNOSUPPORT. */
int addr_from_sockaddr(const struct sockaddr *sa, struct kcw_addr *out);

#endif
