/* SPDX-License-Identifier: MIT */
/* linkwatch.h: netlink monitor of links and VIP addresses, registered in the event loop. */
#ifndef KCW_LINKWATCH_H
#define KCW_LINKWATCH_H

#include "addr.h"
#include "loop.h"
#include "vip.h"

struct linkwatch;

enum linkwatch_kind {
	LINKWATCH_ADDR_ADDED,	/* RTM_NEWADDR: ifindex, addr, prefixlen */
	LINKWATCH_ADDR_REMOVED, /* RTM_DELADDR: ifindex, addr, prefixlen */
	LINKWATCH_LINK,		/* RTM_NEWLINK: link (flags tell up/down: vip_link_up()) */
	LINKWATCH_LINK_GONE,	/* RTM_DELLINK: link.ifindex, link.name */
	LINKWATCH_RESYNC,	/* notifications were lost (socket overrun): re-read the state */
};

struct linkwatch_event {
	enum linkwatch_kind kind;
	int ifindex;
	struct kcw_addr addr;
	int prefixlen;
	struct vip_link link;
};

/* Called from the loop for each event; it may call linkwatch_free(). */
typedef void (*linkwatch_cb)(void *arg, const struct linkwatch_event *ev);

/* Opens the non-blocking, CLOEXEC monitor socket and registers it in l. 0 or negative errno. */
int linkwatch_new(struct loop *l, linkwatch_cb cb, void *arg, struct linkwatch **out);
/* Unregisters and closes. Safe from inside the callback. */
void linkwatch_free(struct linkwatch *w);

#endif
