/* SPDX-License-Identifier: MIT */
/* peer.c: heartbeat transport over UDP: send to every node, receive, authenticate, drop and count.
 */
#include "peer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/*
 * Datagrams per recvmmsg, and recvmmsg calls per wake-up: a flood cannot starve the rest of
 * the loop, and the loop comes back (level-triggered) for what is left.
 */
#define PEER_RX_BATCH  32
#define PEER_RX_ROUNDS 8

/*
 * The receive buffer asked for (SO_RCVBUFFORCE, else SO_RCVBUF capped by net.core.rmem_max;
 * the kernel doubles the value for its bookkeeping): a small datagram takes 1 to 2 KiB of it,
 * so 4 MiB hold about 5,000 of them, 50 ms of a 100,000 datagrams/s flood. A heartbeat that
 * waits behind junk is not late: liveness counts from its kernel receive time.
 */
#define PEER_RCVBUF (4 * 1024 * 1024)

struct peer_rx {
	uint8_t bufs[PEER_RX_BATCH][HB_MAX_DATAGRAM + 1];
	struct sockaddr_storage srcs[PEER_RX_BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(uint32_t))];
		struct cmsghdr align;
	} ctl[PEER_RX_BATCH];
	struct mmsghdr msgs[PEER_RX_BATCH];
	struct iovec iovs[PEER_RX_BATCH];
	struct hb_msg msg; /* decoding scratch */
	/* the newest admitted heartbeat of each node in this drain, handed on at its end */
	struct hb_msg newest[CFG_MAX_NODES];
	uint64_t heard_ms[CFG_MAX_NODES];
	bool pending[CFG_MAX_NODES];
};

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
	uint64_t last_drop_log_ms;
	uint64_t drops_unlogged;
	uint64_t empty_ms;     /* when a read last found the socket empty (CLOCK_MONOTONIC) */
	uint32_t kernel_drops; /* SO_RXQ_OVFL: the kernel's count since the socket opened */
	int rcvbuf;	       /* SO_RCVBUF as the kernel set it */
	struct peer_rx *rx;
};

static int node_by_addr(const struct peers *p, const struct kcw_addr *a)
{
	for (size_t i = 0; i < p->cfg->n_nodes; i++)
		if (addr_eq(&p->cfg->nodes[i].addr, a))
			return (int)i;
	return -1;
}

/* Counted always; logged (debug) at most once a second: a flood must not become a log flood. */
static void drop(struct peers *p, int src_idx, enum hb_drop why, const struct kcw_addr *src)
{
	char buf[ADDR_STRLEN];
	uint64_t now;

	p->stats.drops[why]++;
	if (src_idx >= 0)
		p->nodes[src_idx].dropped++;
	p->drops_unlogged++;
	if (!log_debug_enabled())
		return;
	now = loop_now_ms();
	if (p->last_drop_log_ms && now - p->last_drop_log_ms < 1000)
		return;
	log_debug("%s: dropped heartbeat from %s: %s (%llu dropped since the last such line)",
		  __func__, addr_str(src, buf, sizeof(buf)), hb_drop_name(why),
		  (unsigned long long)p->drops_unlogged);
	p->last_drop_log_ms = now;
	p->drops_unlogged = 0;
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

/* Replay drops are warnings, at most one per node every 10 s, with both incarnations. */
static void replay_dropped(struct peers *p, size_t idx, const struct hb_msg *m)
{
	struct peer_node *n = &p->nodes[idx];
	uint64_t now = loop_now_ms();

	n->replay_drops++;
	if (n->replay_warn_ms && now - n->replay_warn_ms < 10000)
		return;
	n->replay_warn_ms = now;
	log_warn("dropped heartbeat from node %s as a replay: incarnation %llu seq %llu, last "
		 "accepted incarnation %llu seq %llu (%llu replay drops from it so far)",
		 p->cfg->nodes[idx].name, (unsigned long long)m->incarnation,
		 (unsigned long long)m->seq, (unsigned long long)n->replay.incarnation,
		 (unsigned long long)n->replay.seq, (unsigned long long)n->replay_drops);
}

/* Replay state is forgotten after a dead interval of silence: a restart is heard again. */
static bool replay_ok(struct peers *p, size_t idx, const struct hb_msg *m)
{
	struct replay_state *st = &p->nodes[idx].replay;
	uint64_t forget = (uint64_t)p->cfg->interval_ms * p->cfg->dead_after;
	uint64_t before = st->incarnation, now = loop_now_ms(), silent = now - st->last_ms;
	bool went_back;

	if (replay_admit(st, m->incarnation, m->seq, now, forget, &went_back) != REPLAY_OK) {
		replay_dropped(p, idx, m);
		return false;
	}
	if (went_back)
		log_warn("node %s is back with a lower incarnation (%llu, was %llu) after %llu ms "
			 "without a heartbeat: accepted (state file lost or clock stepped back?)",
			 p->cfg->nodes[idx].name, (unsigned long long)m->incarnation,
			 (unsigned long long)before, (unsigned long long)silent);
	return true;
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
	if (!replay_ok(p, (size_t)idx, m))
		return HB_DROP_REPLAY;
	return HB_DROP__COUNT; /* admitted */
}

static void handle_datagram(struct peers *p, const uint8_t *buf, size_t len,
			    const struct sockaddr_storage *ss, uint64_t heard_ms)
{
	struct hb_msg *m = &p->rx->msg;
	struct kcw_addr src;
	enum hb_drop why;
	int src_idx, idx;

	if (addr_from_sockaddr((const struct sockaddr *)ss, &src) < 0)
		memset(&src, 0, sizeof(src));
	src_idx = node_by_addr(p, &src);
	/* Junk from elsewhere costs a compare, never an HMAC. */
	if (src_idx < 0) {
		drop(p, src_idx, HB_DROP_UNKNOWN_SOURCE, &src);
	} else if (hb_decode(buf, len, p->hmac, p->cfg->cluster_name, m, &why) < 0) {
		drop(p, src_idx, why, &src);
	} else if ((why = admit(p, m, &src, &idx)) != HB_DROP__COUNT) {
		drop(p, src_idx, why, &src);
	} else {
		p->stats.rx++;
		p->nodes[idx].rx++;
		check_digest(p, (size_t)idx, m);
		p->rx->newest[idx] = *m;
		p->rx->heard_ms[idx] = heard_ms;
		p->rx->pending[idx] = true;
	}
}

/*
 * Only the newest heartbeat of each node in a drain goes to the election, after all of them
 * were read: after a stall, an old heartbeat handled first would find the node silent for
 * longer than the dead interval, and the election would act on that before it saw the newer
 * one waiting behind it. (Replay state and counters have seen every one.)
 */
static void deliver(struct peers *p)
{
	for (size_t i = 0; i < p->cfg->n_nodes && i < CFG_MAX_NODES; i++) {
		if (!p->rx->pending[i])
			continue;
		p->rx->pending[i] = false;
		p->cb(p->arg, i, &p->rx->newest[i], p->rx->heard_ms[i]);
	}
}

static uint64_t ts_ms(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000u + (uint64_t)ts->tv_nsec / 1000000u;
}

/*
 * The kernel stamps a datagram on arrival with CLOCK_REALTIME; liveness runs on
 * CLOCK_MONOTONIC: take its age on the wall clock and subtract it from the monotonic now.
 * A wall-clock step between arrival and read cannot make it look older than the last time
 * the socket was found empty (it arrived after that), nor newer than now.
 */
static uint64_t heard_at(const struct peers *p, const struct timespec *rx, uint64_t mono_now,
			 uint64_t real_now)
{
	uint64_t rx_real = ts_ms(rx), age, heard;

	if (rx->tv_sec == 0 || rx_real >= real_now)
		return mono_now;
	age = real_now - rx_real;
	heard = age < mono_now ? mono_now - age : 0;
	return heard > p->empty_ms ? heard : p->empty_ms;
}

/* Kernel receive time and the kernel's overflow count from one datagram's ancillary data. */
static uint64_t read_cmsgs(struct peers *p, struct msghdr *mh, uint64_t mono_now, uint64_t real_now)
{
	struct timespec rx = {0};

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			memcpy(&rx, CMSG_DATA(c), sizeof(rx));
		} else if (c->cmsg_type == SO_RXQ_OVFL &&
			   c->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
			uint32_t n;

			memcpy(&n, CMSG_DATA(c), sizeof(n));
			/* The kernel's counter only grows (modulo 2^32). */
			p->stats.drops[HB_DROP_RCVBUF] += (uint32_t)(n - p->kernel_drops);
			p->kernel_drops = n;
		}
	}
	return heard_at(p, &rx, mono_now, real_now);
}

static void rx_prepare(struct peer_rx *r)
{
	memset(r->msgs, 0, sizeof(r->msgs));
	for (int i = 0; i < PEER_RX_BATCH; i++) {
		r->iovs[i].iov_base = r->bufs[i];
		r->iovs[i].iov_len = sizeof(r->bufs[i]);
		r->msgs[i].msg_hdr.msg_iov = &r->iovs[i];
		r->msgs[i].msg_hdr.msg_iovlen = 1;
		r->msgs[i].msg_hdr.msg_name = &r->srcs[i];
		r->msgs[i].msg_hdr.msg_namelen = sizeof(r->srcs[i]);
		r->msgs[i].msg_hdr.msg_control = r->ctl[i].buf;
		r->msgs[i].msg_hdr.msg_controllen = sizeof(r->ctl[i].buf);
	}
}

/* One recvmmsg: returns how many datagrams it handled, 0 when the socket was empty. */
static int read_batch(struct peers *p)
{
	struct peer_rx *r = p->rx;
	struct timespec real;
	uint64_t mono_now;
	int n;

	rx_prepare(r);
	n = recvmmsg(p->fd, r->msgs, PEER_RX_BATCH, MSG_DONTWAIT, NULL);
	mono_now = loop_now_ms();
	if (n <= 0) {
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			log_warn("%s: recvmmsg: %s", __func__, strerror(errno));
		else
			p->empty_ms = mono_now;
		return 0;
	}
	clock_gettime(CLOCK_REALTIME, &real);
	for (int i = 0; i < n; i++) {
		size_t len = r->msgs[i].msg_len;
		uint64_t heard = read_cmsgs(p, &r->msgs[i].msg_hdr, mono_now, ts_ms(&real));

		/* A datagram longer than the buffer was truncated: oversize either way. */
		if (r->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
			len = sizeof(r->bufs[i]);
		handle_datagram(p, r->bufs[i], len, &r->srcs[i], heard);
	}
	if (n < PEER_RX_BATCH)
		p->empty_ms = mono_now; /* it held no more than that */
	return n;
}

int peer_drain(struct peers *p)
{
	int total = 0;

	for (int round = 0; round < PEER_RX_ROUNDS; round++) {
		int n = read_batch(p);

		total += n;
		if (n < PEER_RX_BATCH)
			break;
	}
	deliver(p);
	return total;
}

static void on_readable(void *arg, int fd, uint32_t events)
{
	(void)fd;
	(void)events;
	peer_drain(arg);
}

/* Receive-side options; none is essential, so a refusal is logged and the socket still used. */
static void tune_socket(struct peers *p)
{
	int one = 1, size = PEER_RCVBUF;
	socklen_t sl = sizeof(p->rcvbuf);

	if (setsockopt(p->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
	    setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0)
		log_warn("heartbeat socket: cannot set SO_RCVBUF: %s", strerror(errno));
	if (getsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &p->rcvbuf, &sl) < 0)
		p->rcvbuf = 0;
	if (setsockopt(p->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0)
		log_warn("heartbeat socket: no kernel receive times (SO_TIMESTAMPNS): %s",
			 strerror(errno));
	if (setsockopt(p->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) < 0)
		log_warn("heartbeat socket: kernel drops not counted (SO_RXQ_OVFL): %s",
			 strerror(errno));
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
	p->rx = calloc(1, sizeof(*p->rx));
	p->fd = p->rx ? open_socket(&cfg->nodes[self].addr, cfg->port, err, errlen) : -ENOMEM;
	if (p->fd < 0) {
		if (!p->rx)
			snprintf(err, errlen, "out of memory");
		free(p->rx);
		free(p);
		return NULL;
	}
	tune_socket(p);
	if (loop_add_fd(l, p->fd, EPOLLIN, on_readable, p) < 0) {
		snprintf(err, errlen, "cannot watch heartbeat socket");
		close(p->fd);
		free(p->rx);
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
	free(p->rx);
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

int peer_rcvbuf(const struct peers *p)
{
	return p->rcvbuf;
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
