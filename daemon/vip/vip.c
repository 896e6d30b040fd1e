/* SPDX-License-Identifier: MIT */
/* vip.c: libnl-3 route requests: VIP address add/delete/query, interface lookup and state. */
#include "vip.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "loop.h"

/*
 * The kernel handles rtnetlink requests inside sendmsg(), so the answer is
 * queued before the send returns and the non-blocking receive finds it. The
 * bounded poll() only covers a reply that is somehow late (a long dump).
 */
#define VIP_NL_WAIT_MS 1000
#define VIP_NL_RCVBUF  (256 * 1024)

struct vip_nl {
	struct nl_sock *sk;
};

/* One request/answer exchange. */
struct txn {
	uint32_t seq;
	bool done;
	int err; /* the kernel's negative errno, 0 = acknowledged */
	int (*valid)(struct nl_msg *msg, void *arg);
	void *arg;
};

int vip_nlerr_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case 0:
		return 0;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_INTR:
		return -EINTR;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_NODEV:
		return -ENODEV;
	case NLE_NOADDR:
		return -EADDRNOTAVAIL;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_INVAL:
	case NLE_NOATTR:
	case NLE_MISSING_ATTR:
		return -EINVAL;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_MSGSIZE:
		return -EMSGSIZE;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_BAD_SOCK:
		return -EBADF;
	default:
		return -EIO;
	}
}

int vip_nl_open(struct vip_nl **out)
{
	struct vip_nl *n = calloc(1, sizeof(*n));
	int fd, r;

	if (!n)
		return -ENOMEM;
	n->sk = nl_socket_alloc();
	if (!n->sk) {
		free(n);
		return -ENOMEM;
	}
	r = nl_connect(n->sk, NETLINK_ROUTE);
	if (r < 0) {
		nl_socket_free(n->sk);
		free(n);
		return vip_nlerr_errno(r);
	}
	fd = nl_socket_get_fd(n->sk);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || nl_socket_set_nonblocking(n->sk) < 0) {
		r = -errno;
		vip_nl_close(n);
		return r ? r : -EIO;
	}
	nl_socket_set_buffer_size(n->sk, VIP_NL_RCVBUF, 0);
	*out = n;
	return 0;
}

void vip_nl_close(struct vip_nl *n)
{
	if (!n)
		return;
	nl_socket_free(n->sk); /* closes the fd */
	free(n);
}

static int txn_seq_check(struct nl_msg *msg, void *arg)
{
	struct txn *t = arg;

	/* A late answer to an earlier request that timed out: not ours. */
	return nlmsg_hdr(msg)->nlmsg_seq == t->seq ? NL_OK : NL_SKIP;
}

static int txn_valid(struct nl_msg *msg, void *arg)
{
	struct txn *t = arg;

	return t->valid ? t->valid(msg, t->arg) : NL_OK;
}

static int txn_finish(struct nl_msg *msg, void *arg)
{
	struct txn *t = arg;

	t->done = true;
	return NL_STOP;
}

static int txn_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct txn *t = arg;

	t->done = true;
	t->err = e->error < 0 ? e->error : -e->error;
	return NL_STOP;
}

static int wait_readable(int fd, uint64_t deadline_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	uint64_t now = loop_now_ms();
	int r;

	if (now >= deadline_ms)
		return -ETIMEDOUT;
	r = poll(&p, 1, (int)(deadline_ms - now));
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

static struct nl_cb *txn_cb(struct txn *t)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);

	if (!cb)
		return NULL;
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, txn_seq_check, t);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, txn_valid, t);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, txn_finish, t);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, txn_finish, t);
	nl_cb_err(cb, NL_CB_CUSTOM, txn_error, t);
	return cb;
}

/* Sends msg (consumed) and reads until the ack, the end of the dump or an error. */
static int txn_run(struct vip_nl *n, struct nl_msg *msg, int (*valid)(struct nl_msg *, void *),
		   void *arg)
{
	struct txn t = {.valid = valid, .arg = arg};
	struct nl_cb *cb = txn_cb(&t);
	uint64_t deadline = loop_now_ms() + VIP_NL_WAIT_MS;
	int r;

	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	r = nl_send_auto(n->sk, msg);
	t.seq = nlmsg_hdr(msg)->nlmsg_seq;
	nlmsg_free(msg);
	if (r < 0) {
		nl_cb_put(cb);
		return vip_nlerr_errno(r);
	}
	while (!t.done) {
		r = nl_recvmsgs(n->sk, cb);
		if (t.done)
			break;
		if (r < 0 && r != -NLE_AGAIN) {
			t.err = vip_nlerr_errno(r);
			break;
		}
		r = wait_readable(nl_socket_get_fd(n->sk), deadline);
		if (r < 0) {
			t.err = r;
			break;
		}
	}
	nl_cb_put(cb);
	return t.err;
}

static int build_addr(int ifindex, const struct kcw_addr *a, int prefixlen, struct rtnl_addr **out)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *local;

	if (!ra)
		return -ENOMEM;
	local = nl_addr_build(a->family, a->u.bytes, a->family == AF_INET ? 4 : 16);
	if (!local) {
		rtnl_addr_put(ra);
		return -ENOMEM;
	}
	nl_addr_set_prefixlen(local, prefixlen);
	rtnl_addr_set_ifindex(ra, ifindex);
	rtnl_addr_set_family(ra, a->family);
	rtnl_addr_set_local(ra, local);
	rtnl_addr_set_prefixlen(ra, prefixlen);
	nl_addr_put(local);
	*out = ra;
	return 0;
}

/* Adds (add) or deletes the address on ifindex, one netlink transaction. */
static int addr_change(struct vip_nl *n, int ifindex, const struct kcw_addr *addr, int prefixlen,
		       bool add)
{
	struct rtnl_addr *ra;
	struct nl_msg *msg;
	int r = build_addr(ifindex, addr, prefixlen, &ra);

	if (r < 0)
		return r;
	if (add && addr->family == AF_INET6)
		rtnl_addr_set_flags(ra, IFA_F_NODAD);
	r = add ? rtnl_addr_build_add_request(ra, NLM_F_CREATE | NLM_F_REPLACE, &msg)
		: rtnl_addr_build_delete_request(ra, 0, &msg);
	rtnl_addr_put(ra);
	if (r < 0)
		return vip_nlerr_errno(r);
	return txn_run(n, msg, NULL, NULL);
}

int vip_addr_add(struct vip_nl *n, int ifindex, const struct kcw_addr *addr, int prefixlen)
{
	return addr_change(n, ifindex, addr, prefixlen, true);
}

int vip_addr_del(struct vip_nl *n, int ifindex, const struct kcw_addr *addr, int prefixlen)
{
	int r = addr_change(n, ifindex, addr, prefixlen, false);

	/* Already gone, or its interface is: either way it is not there. */
	if (r == -EADDRNOTAVAIL || r == -ENODEV || r == -ESRCH)
		return 0;
	return r;
}

int vip_addr_from_msg(struct nl_msg *msg, int *ifindex, struct kcw_addr *addr, int *prefixlen)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[IFA_MAX + 1];
	struct ifaddrmsg *ifa;
	struct nlattr *a;
	size_t len;

	if (nlmsg_parse(h, sizeof(*ifa), tb, IFA_MAX, NULL) < 0)
		return -EINVAL;
	ifa = nlmsg_data(h);
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	len = ifa->ifa_family == AF_INET ? 4 : 16;
	if (!a || (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) ||
	    (size_t)nla_len(a) != len)
		return -EINVAL;
	memset(addr, 0, sizeof(*addr));
	addr->family = ifa->ifa_family;
	memcpy(addr->u.bytes, nla_data(a), len);
	*ifindex = (int)ifa->ifa_index;
	*prefixlen = ifa->ifa_prefixlen;
	return 0;
}

struct find_ctx {
	int ifindex;
	const struct kcw_addr *addr;
	bool found;
	int prefixlen;
};

static int find_valid(struct nl_msg *msg, void *arg)
{
	struct find_ctx *c = arg;
	struct kcw_addr a;
	int ifindex, plen;

	if (nlmsg_hdr(msg)->nlmsg_type != RTM_NEWADDR ||
	    vip_addr_from_msg(msg, &ifindex, &a, &plen) < 0)
		return NL_OK;
	if (ifindex == c->ifindex && addr_eq(&a, c->addr)) {
		c->found = true;
		c->prefixlen = plen;
	}
	return NL_OK;
}

/* A new address message (TYPE, FLAGS) with only its ifaddrmsg header, in *out. */
static int ifaddr_msg(int type, int flags, int family, struct nl_msg **out)
{
	struct ifaddrmsg ifa = {.ifa_family = (uint8_t)family};
	struct nl_msg *msg = nlmsg_alloc_simple(type, flags);
	int r;

	if (!msg)
		return -ENOMEM;
	r = nlmsg_append(msg, &ifa, sizeof(ifa), NLMSG_ALIGNTO);
	if (r < 0) {
		nlmsg_free(msg);
		return vip_nlerr_errno(r);
	}
	*out = msg;
	return 0;
}

int vip_addr_find(struct vip_nl *n, int ifindex, const struct kcw_addr *addr, int *prefixlen)
{
	struct find_ctx c = {.ifindex = ifindex, .addr = addr};
	struct nl_msg *msg;
	int r = ifaddr_msg(RTM_GETADDR, NLM_F_DUMP, addr->family, &msg);

	if (r < 0)
		return r;
	r = txn_run(n, msg, find_valid, &c);
	if (r < 0)
		return r;
	if (c.found && prefixlen)
		*prefixlen = c.prefixlen;
	return c.found ? 1 : 0;
}

int vip_link_from_msg(struct nl_msg *msg, struct vip_link *out)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[IFLA_MAX + 1];
	struct ifinfomsg *ifi;

	if (nlmsg_parse(h, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0)
		return -EINVAL;
	ifi = nlmsg_data(h);
	memset(out, 0, sizeof(*out));
	out->ifindex = ifi->ifi_index;
	out->flags = ifi->ifi_flags;
	out->arptype = ifi->ifi_type;
	if (tb[IFLA_IFNAME])
		nla_strlcpy(out->name, tb[IFLA_IFNAME], sizeof(out->name));
	if (tb[IFLA_ADDRESS] && (size_t)nla_len(tb[IFLA_ADDRESS]) <= sizeof(out->mac)) {
		out->mac_len = (size_t)nla_len(tb[IFLA_ADDRESS]);
		memcpy(out->mac, nla_data(tb[IFLA_ADDRESS]), out->mac_len);
	}
	return 0;
}

static int link_valid(struct nl_msg *msg, void *arg)
{
	struct vip_link *out = arg;

	if (nlmsg_hdr(msg)->nlmsg_type == RTM_NEWLINK)
		vip_link_from_msg(msg, out);
	return NL_OK;
}

int vip_link_get(struct vip_nl *n, const char *name, struct vip_link *out)
{
	struct nl_msg *msg;
	int r = rtnl_link_build_get_request(0, name, &msg);

	if (r < 0)
		return vip_nlerr_errno(r);
	memset(out, 0, sizeof(*out));
	r = txn_run(n, msg, link_valid, out);
	if (r < 0)
		return r;
	return out->ifindex > 0 ? 0 : -ENODEV;
}

bool vip_link_up(const struct vip_link *link)
{
	unsigned need = IFF_UP | IFF_LOWER_UP | IFF_RUNNING;

	return link->ifindex > 0 && (link->flags & need) == need;
}

bool vip_link_ipv6_enabled(const char *name)
{
	char path[128];
	char buf[8] = "";
	int fd;
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return len > 0 && buf[0] == '0';
}

int vip_check_admin(struct vip_nl *n)
{
	/* An RTM_NEWADDR without IFA_LOCAL: EPERM without the capability, else EINVAL. */
	struct nl_msg *msg;
	int r = ifaddr_msg(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, AF_INET, &msg);

	if (r < 0)
		return r;
	r = txn_run(n, msg, NULL, NULL);
	return r == -EPERM || r == -EACCES ? r : 0;
}
