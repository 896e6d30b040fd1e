/* SPDX-License-Identifier: MIT */
/* vip.h: libnl-3 route requests: VIP address add/delete/query, interface lookup and state. */
#ifndef KCW_VIP_H
#define KCW_VIP_H

#include <net/if.h>
#include <linux/if.h> /* after net/if.h: IFF_LOWER_UP */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define VIP_MAC_MAX 32 /* MAX_ADDR_LEN of the kernel */

struct vip_nl; /* a non-blocking, CLOEXEC NETLINK_ROUTE request socket */
struct nl_msg; /* libnl message */

/* What the kernel says about an interface. */
struct vip_link {
	int ifindex;
	char name[IF_NAMESIZE];
	unsigned flags;	  /* IFF_UP, IFF_LOWER_UP, IFF_RUNNING, IFF_NOARP, ... */
	unsigned arptype; /* ARPHRD_* */
	uint8_t mac[VIP_MAC_MAX];
	size_t mac_len; /* 0 = no link-layer address (tun, ...) */
};

/* Opens the request socket. 0 or negative errno. */
int vip_nl_open(struct vip_nl **out);
void vip_nl_close(struct vip_nl *n);

/* Looks the interface up by name: 0, -ENODEV when it does not exist, or negative errno. */
int vip_link_get(struct vip_nl *n, const char *name, struct vip_link *out);
/* Up = administratively up (IFF_UP), carrier (IFF_LOWER_UP) and operationally up (IFF_RUNNING). */
bool vip_link_up(const struct vip_link *link);
/* IPv6 exists on the interface and is not disabled (net.ipv6.conf.IF.disable_ipv6). */
bool vip_link_ipv6_enabled(const char *name);

/* Probes for CAP_NET_ADMIN with a request that changes nothing: 0 or -EPERM. */
int vip_check_admin(struct vip_nl *n);

/* Adds addr/prefixlen to ifindex (NLM_F_CREATE|NLM_F_REPLACE: idempotent; IPv6 with
 * IFA_F_NODAD). 0 or negative errno. */
int vip_addr_add(struct vip_nl *n, int ifindex, const struct kcw_addr *addr, int prefixlen);
/* Deletes addr/prefixlen from ifindex; an absent address or interface is success (0). */
int vip_addr_del(struct vip_nl *n, int ifindex, const struct kcw_addr *addr, int prefixlen);
/* 1 when addr is on ifindex (its prefix length in *prefixlen, may be NULL), 0 when not,
 * or negative errno. */
int vip_addr_find(struct vip_nl *n, int ifindex, const struct kcw_addr *addr, int *prefixlen);

/* Message parsers shared with linkwatch: 0, or -EINVAL for a malformed message. */
int vip_link_from_msg(struct nl_msg *msg, struct vip_link *out);
int vip_addr_from_msg(struct nl_msg *msg, int *ifindex, struct kcw_addr *addr, int *prefixlen);

/* Maps a libnl error (negative NLE_*) to a negative errno. */
int vip_nlerr_errno(int nlerr);

#endif
