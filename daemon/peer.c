/* SPDX-License-Identifier: MIT */
/* peer.c: heartbeat transport over UDP: send to every node, receive, authenticate, drop and count.
 */
#include "peer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <assert.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

/* Datagrams read per wake-up: a flood cannot starve the rest of the loop. */
#define PEER_RX_BATCH 8

struct peers {
	struct loop *loop;
	const struct kcw_config *cfg;
	size_t self;
	struct hmac *hmac;
	int fd;
	peer_rx_cb cb;
	void *arg;
	struct peer_stats stats;
	struct peer_node nodes[CFG_MAX_NODES];
	uint64_t last_warn_ms; /* rate limit for send-failure warnings */
};

static int node_by_addr(const struct peers *p, const struct kcw_addr *a)
{
	for (size_t i = 0; i < p->cfg->n_nodes; i++)
		if (addr_eq(&p->cfg->nodes[i].addr, a))
			return (int)i;
	return -1;
}

static void drop(struct peers *p, int src_idx, enum hb_drop why, const struct kcw_addr *src)
{
	char buf[ADDR_STRLEN];

	p->stats.drops[why]++;
	if (src_idx >= 0)
		p->nodes[src_idx].dropped++;
	log_debug("%s: dropped heartbeat from %s: %s", __func__, addr_str(src, buf, sizeof(buf)),
		  hb_drop_name(why));
}

static void check_digest(struct peers *p, size_t idx, const struct hb_msg *m)
{
	bool differs = memcmp(m->config_digest, p->cfg->digest, sizeof(m->config_digest)) != 0;

	if (differs && !p->nodes[idx].digest_differs)
		log_warn("node %s runs a different configuration than this node (digest differs)",
			 p->cfg->nodes[idx].name);
	else if (!differs && p->nodes[idx].digest_differs)
		log_info("node %s now runs the same configuration as this node",
			 p->cfg->nodes[idx].name);
	p->nodes[idx].digest_differs = differs;
}

static enum hb_drop admit(struct peers *p, const struct hb_msg *m, const struct kcw_addr *src,
			  int *idx_out)
{
	int idx = config_node_index(p->cfg, m->node);

	*idx_out = idx;
	if (idx < 0)
		return HB_DROP_UNKNOWN_NODE;
	if ((size_t)idx == p->self)
		return HB_DROP_SELF;
	if (!addr_eq(&p->cfg->nodes[idx].addr, src))
		return HB_DROP_SOURCE;
	if (replay_check(&p->nodes[idx].replay, m->incarnation, m->seq) != REPLAY_OK)
		return HB_DROP_REPLAY;
	return HB_DROP__COUNT; /* admitted */
}

static void handle_datagram(struct peers *p, const uint8_t *buf, size_t len,
			    const struct sockaddr_storage *ss)
{
	struct hb_msg *m = malloc(sizeof(*m));
	struct kcw_addr src;
	enum hb_drop why;
	int src_idx, idx;

	if (!m)
		return;
	if (addr_from_sockaddr((const struct sockaddr *)ss, &src) < 0)
		memset(&src, 0, sizeof(src));
	src_idx = node_by_addr(p, &src);
	if (hb_decode(buf, len, p->hmac, p->cfg->cluster_name, m, &why) < 0) {
		drop(p, src_idx, why, &src);
	} else if ((why = admit(p, m, &src, &idx)) != HB_DROP__COUNT) {
		drop(p, src_idx, why, &src);
	} else {
		p->stats.rx++;
		p->nodes[idx].rx++;
		check_digest(p, (size_t)idx, m);
		p->cb(p->arg, (size_t)idx, m);
	}
	free(m);
}

/* One recvmmsg per wake-up takes everything queued: a syscall costs more than the decoding. */
static void on_readable(void *arg, int fd, uint32_t events)
{
	struct peers *p = arg;
	static_assert(PEER_RX_BATCH * (HB_MAX_DATAGRAM + 1) <= 80 * 1024, "rx buffers on the stack");
	uint8_t bufs[PEER_RX_BATCH][HB_MAX_DATAGRAM + 1];
	struct sockaddr_storage srcs[PEER_RX_BATCH];
	struct mmsghdr msgs[PEER_RX_BATCH];
	struct iovec iovs[PEER_RX_BATCH];
	int n;

	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < PEER_RX_BATCH; i++) {
		iovs[i].iov_base = bufs[i];
		iovs[i].iov_len = sizeof(bufs[i]);
		msgs[i].msg_hdr.msg_iov = &iovs[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &srcs[i];
		msgs[i].msg_hdr.msg_namelen = sizeof(srcs[i]);
	}
	n = recvmmsg(fd, msgs, PEER_RX_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("%s: recvmmsg: %s", __func__, strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		size_t len = msgs[i].msg_len;

		/* A datagram longer than the buffer was truncated: oversize either way. */
		if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
			len = sizeof(bufs[i]);
		handle_datagram(p, bufs[i], len, &srcs[i]);
	}
}

static int open_socket(const struct kcw_addr *a, uint16_t port, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = addr_to_sockaddr(a, port, &ss);
	char buf[ADDR_STRLEN];
	int fd = socket(a->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0) {
		snprintf(err, errlen, "heartbeat socket: %s", strerror(errno));
		return -errno;
	}
	if (a->family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot bind heartbeat socket to %s port %u: %s",
			 addr_str(a, buf, sizeof(buf)), port, strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

struct peers *peer_open(struct loop *l, const struct kcw_config *cfg, size_t self, struct hmac *h,
			peer_rx_cb cb, void *arg, char *err, size_t errlen)
{
	struct peers *p = calloc(1, sizeof(*p));

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->loop = l;
	p->cfg = cfg;
	p->self = self;
	p->hmac = h;
	p->cb = cb;
	p->arg = arg;
	p->fd = open_socket(&cfg->nodes[self].addr, cfg->port, err, errlen);
	if (p->fd < 0) {
		free(p);
		return NULL;
	}
	if (loop_add_fd(l, p->fd, EPOLLIN, on_readable, p) < 0) {
		snprintf(err, errlen, "cannot watch heartbeat socket");
		close(p->fd);
		free(p);
		return NULL;
	}
	return p;
}

void peer_close(struct peers *p)
{
	if (!p)
		return;
	loop_del_fd(p->loop, p->fd);
	close(p->fd);
	free(p);
}

static void send_failed(struct peers *p, size_t i, int e)
{
	uint64_t now = loop_now_ms();

	p->stats.tx_errors++;
	p->nodes[i].tx_errors++;
	p->nodes[i].last_tx_errno = e;
	/* A firewall or a missing route is counted, never a fault: warn at most every 10 s. */
	if (now - p->last_warn_ms >= 10000 || p->last_warn_ms == 0) {
		p->last_warn_ms = now;
		log_warn("heartbeat to %s failed: %s (%llu send failures so far)",
			 p->cfg->nodes[i].name, strerror(e),
			 (unsigned long long)p->stats.tx_errors);
	}
}

int peer_send_all(struct peers *p, const struct hb_msg *m)
{
	uint8_t buf[HB_MAX_DATAGRAM];
	int len = hb_encode(m, p->hmac, buf, sizeof(buf));
	int failed = 0;

	if (len < 0) {
		log_err("%s: cannot encode heartbeat: %s", __func__, strerror(-len));
		return (int)p->cfg->n_nodes - 1;
	}
	for (size_t i = 0; i < p->cfg->n_nodes; i++) {
		struct sockaddr_storage ss;
		socklen_t sl;

		if (i == p->self)
			continue;
		sl = addr_to_sockaddr(&p->cfg->nodes[i].addr, p->cfg->port, &ss);
		if (sendto(p->fd, buf, (size_t)len, 0, (struct sockaddr *)&ss, sl) < 0) {
			send_failed(p, i, errno);
			failed++;
			continue;
		}
		p->stats.tx++;
		p->nodes[i].tx++;
	}
	return failed;
}

const struct peer_node *peer_node_stats(const struct peers *p, size_t idx)
{
	return &p->nodes[idx];
}

const struct peer_stats *peer_stats(const struct peers *p)
{
	return &p->stats;
}

void peer_set_config(struct peers *p, const struct kcw_config *cfg, size_t self, struct hmac *h)
{
	struct peer_node old[CFG_MAX_NODES];

	memcpy(old, p->nodes, sizeof(old));
	memset(p->nodes, 0, sizeof(p->nodes));
	for (size_t i = 0; i < cfg->n_nodes; i++) {
		int j = config_node_index(p->cfg, cfg->nodes[i].name);

		if (j >= 0)
			p->nodes[i] = old[j];
	}
	p->cfg = cfg;
	p->self = self;
	p->hmac = h;
}
