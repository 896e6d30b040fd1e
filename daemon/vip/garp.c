/* SPDX-License-Identifier: MIT */
/* garp.c: VIP announcements: gratuitous ARP over AF_PACKET, unsolicited NA over raw ICMPv6. */
#include "garp.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/if_ether.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define GARP_HOP_LIMIT 255 /* RFC 4861: receivers drop ND packets with any other hop limit */
#define GARP_MAC_LEN   ETH_ALEN

struct garp {
	int arp_fd; /* AF_PACKET, SOCK_DGRAM, protocol 0: sends only, queues no frames */
	int na_fd;  /* raw ICMPv6, every incoming type filtered out */
};

static const struct in6_addr all_nodes = {{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}};

struct garp *garp_new(void)
{
	struct garp *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->arp_fd = -1;
	g->na_fd = -1;
	return g;
}

void garp_free(struct garp *g)
{
	if (!g)
		return;
	if (g->arp_fd >= 0)
		close(g->arp_fd);
	if (g->na_fd >= 0)
		close(g->na_fd);
	free(g);
}

int garp_open_arp(struct garp *g)
{
	if (g->arp_fd >= 0)
		return 0;
	/* Protocol 0 binds no ethertype, so nothing is received; sendto() names ETH_P_ARP. */
	g->arp_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	return g->arp_fd < 0 ? -errno : 0;
}

static int na_sockopts(int fd)
{
	int hops = GARP_HOP_LIMIT, off = 0;
	struct icmp6_filter filter;

	ICMP6_FILTER_SETBLOCKALL(&filter);
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof(off)) < 0 ||
	    setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof(filter)) < 0)
		return -errno;
	return 0;
}

int garp_open_na(struct garp *g)
{
	int r;

	if (g->na_fd >= 0)
		return 0;
	g->na_fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (g->na_fd < 0)
		return -errno;
	r = na_sockopts(g->na_fd);
	if (r < 0) {
		close(g->na_fd);
		g->na_fd = -1;
	}
	return r;
}

static int send_arp(struct garp *g, int ifindex, const uint8_t *mac, const struct in_addr *ip)
{
	struct ether_arp p;
	struct sockaddr_ll to = {
	    .sll_family = AF_PACKET,
	    .sll_protocol = htons(ETH_P_ARP),
	    .sll_ifindex = ifindex,
	    .sll_halen = GARP_MAC_LEN,
	};

	/* RFC 5227 announcement: a request for our own address, target hardware zero. */
	memset(&p, 0, sizeof(p));
	p.arp_hrd = htons(ARPHRD_ETHER);
	p.arp_pro = htons(ETHERTYPE_IP);
	p.arp_hln = GARP_MAC_LEN;
	p.arp_pln = sizeof(*ip);
	p.arp_op = htons(ARPOP_REQUEST);
	memcpy(p.arp_sha, mac, GARP_MAC_LEN);
	memcpy(p.arp_spa, ip, sizeof(*ip));
	memcpy(p.arp_tpa, ip, sizeof(*ip));
	memset(to.sll_addr, 0xff, GARP_MAC_LEN);
	if (sendto(g->arp_fd, &p, sizeof(p), MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

/* Builds the NA into buf (at least 32 bytes); returns its length. */
static size_t build_na(uint8_t *buf, const uint8_t *mac, const struct in6_addr *target)
{
	struct nd_neighbor_advert na;
	struct nd_opt_hdr opt = {.nd_opt_type = ND_OPT_TARGET_LINKADDR, .nd_opt_len = 1};

	memset(&na, 0, sizeof(na));
	na.nd_na_type = ND_NEIGHBOR_ADVERT;
	na.nd_na_code = 0;
	na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE; /* unsolicited: S clear; not a router */
	na.nd_na_target = *target;
	memcpy(buf, &na, sizeof(na));
	memcpy(buf + sizeof(na), &opt, sizeof(opt));
	memcpy(buf + sizeof(na) + sizeof(opt), mac, GARP_MAC_LEN);
	return sizeof(na) + sizeof(opt) + GARP_MAC_LEN; /* the option is 8 bytes: len 1 */
}

static int send_na_from(struct garp *g, int ifindex, const uint8_t *pkt, size_t len,
			const struct in6_addr *src)
{
	struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_addr = all_nodes};
	struct in6_pktinfo pi = {.ipi6_addr = *src, .ipi6_ifindex = (unsigned)ifindex};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cbuf;
	struct iovec iov = {.iov_base = (void *)pkt, .iov_len = len};
	struct msghdr m = {
	    .msg_name = &to,
	    .msg_namelen = sizeof(to),
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = cbuf.buf,
	    .msg_controllen = sizeof(cbuf.buf),
	};
	struct cmsghdr *c;

	to.sin6_scope_id = (uint32_t)ifindex;
	memset(&cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	if (sendmsg(g->na_fd, &m, MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}

static int send_na(struct garp *g, int ifindex, const uint8_t *mac, const struct in6_addr *ip)
{
	uint8_t pkt[64];
	size_t len = build_na(pkt, mac, ip);
	int r = send_na_from(g, ifindex, pkt, len, ip);

	/* The VIP is not (yet) usable as a source: let the kernel pick the link-local one. */
	if (r == -EINVAL || r == -EADDRNOTAVAIL)
		r = send_na_from(g, ifindex, pkt, len, &in6addr_any);
	return r;
}

int garp_send(struct garp *g, int ifindex, const uint8_t *mac, size_t mac_len,
	      const struct kcw_addr *addr)
{
	if (mac_len != GARP_MAC_LEN)
		return -EOPNOTSUPP;
	if (addr->family == AF_INET)
		return g->arp_fd < 0 ? -EBADF : send_arp(g, ifindex, mac, &addr->u.v4);
	if (addr->family == AF_INET6)
		return g->na_fd < 0 ? -EBADF : send_na(g, ifindex, mac, &addr->u.v6);
	return -EAFNOSUPPORT;
}
