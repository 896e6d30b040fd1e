/* SPDX-License-Identifier: MIT */
/* linkwatch.c: netlink monitor of links and VIP addresses, registered in the event loop. */
#include "linkwatch.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "log.h"

/* Datagrams read per wake-up, so a notification storm cannot starve the loop. */
#define LINKWATCH_RX_BUDGET 64
/* Room for bursts (an interface flap removes and re-adds many addresses at once). */
#define LINKWATCH_RCVBUF (1024 * 1024)

struct linkwatch {
	struct loop *loop;
	struct nl_sock *sk;
	int fd;
	linkwatch_cb cb;
	void *arg;
	bool dispatching; /* inside linkwatch_readable(): free later */
	bool dead;	  /* linkwatch_free() was called while dispatching */
};

static void destroy(struct linkwatch *w)
{
	loop_del_fd(w->loop, w->fd);
	nl_socket_free(w->sk); /* closes the fd */
	free(w);
}

void linkwatch_free(struct linkwatch *w)
{
	if (!w)
		return;
	if (w->dispatching) {
		w->dead = true;
		return;
	}
	destroy(w);
}

static void emit(struct linkwatch *w, const struct linkwatch_event *ev)
{
	if (!w->dead)
		w->cb(w->arg, ev);
}

static int on_message(struct nl_msg *msg, void *arg)
{
	struct linkwatch *w = arg;
	struct linkwatch_event ev;
	int type = nlmsg_hdr(msg)->nlmsg_type;

	if (w->dead)
		return NL_STOP;
	memset(&ev, 0, sizeof(ev));
	switch (type) {
	case RTM_NEWADDR:
	case RTM_DELADDR:
		if (vip_addr_from_msg(msg, &ev.ifindex, &ev.addr, &ev.prefixlen) < 0)
			return NL_OK;
		ev.kind = type == RTM_NEWADDR ? LINKWATCH_ADDR_ADDED : LINKWATCH_ADDR_REMOVED;
		break;
	case RTM_NEWLINK:
	case RTM_DELLINK:
		if (vip_link_from_msg(msg, &ev.link) < 0)
			return NL_OK;
		ev.ifindex = ev.link.ifindex;
		ev.kind = type == RTM_NEWLINK ? LINKWATCH_LINK : LINKWATCH_LINK_GONE;
		break;
	default:
		return NL_OK;
	}
	emit(w, &ev);
	return w->dead ? NL_STOP : NL_OK;
}

static void linkwatch_readable(void *arg, int fd, uint32_t events)
{
	struct linkwatch *w = arg;
	struct nl_cb *cb = nl_socket_get_cb(w->sk);

	w->dispatching = true;
	for (int i = 0; i < LINKWATCH_RX_BUDGET && !w->dead; i++) {
		int r = nl_recvmsgs_report(w->sk, cb);

		if (r == 0 || r == -NLE_AGAIN)
			break; /* drained */
		if (r == -NLE_NOMEM) {
			/* ENOBUFS: the kernel dropped notifications for us. */
			struct linkwatch_event ev = {.kind = LINKWATCH_RESYNC};

			log_warn("%s: netlink notifications were lost; re-reading the state",
				 __func__);
			emit(w, &ev);
		} else if (r < 0) {
			log_warn("%s: reading netlink notifications: %s", __func__, nl_geterror(r));
			break;
		}
	}
	nl_cb_put(cb);
	w->dispatching = false;
	if (w->dead)
		destroy(w);
}

static int open_socket(struct linkwatch *w)
{
	int r;

	w->sk = nl_socket_alloc();
	if (!w->sk)
		return -ENOMEM;
	nl_socket_disable_seq_check(w->sk);
	nl_socket_disable_auto_ack(w->sk);
	r = nl_socket_modify_cb(w->sk, NL_CB_VALID, NL_CB_CUSTOM, on_message, w);
	if (r >= 0)
		r = nl_connect(w->sk, NETLINK_ROUTE);
	if (r >= 0)
		r = nl_socket_add_memberships(w->sk, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
					      RTNLGRP_IPV6_IFADDR, 0);
	if (r >= 0)
		r = nl_socket_set_nonblocking(w->sk);
	if (r < 0)
		return vip_nlerr_errno(r);
	w->fd = nl_socket_get_fd(w->sk);
	if (fcntl(w->fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	nl_socket_set_buffer_size(w->sk, LINKWATCH_RCVBUF, 0);
	return 0;
}

int linkwatch_new(struct loop *l, linkwatch_cb cb, void *arg, struct linkwatch **out)
{
	struct linkwatch *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	w->loop = l;
	w->cb = cb;
	w->arg = arg;
	w->fd = -1;
	r = open_socket(w);
	if (r == 0)
		r = loop_add_fd(l, w->fd, EPOLLIN, linkwatch_readable, w);
	if (r < 0) {
		nl_socket_free(w->sk);
		free(w);
		return r;
	}
	*out = w;
	return 0;
}
