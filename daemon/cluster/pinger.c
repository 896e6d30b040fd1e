/* SPDX-License-Identifier: MIT */
/* pinger.c: ICMP/ICMPv6 echo requests on a timer, replies matched on an fd watcher. */
#include "pinger.h"

#include <errno.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

#define PING_MAGIC    "KCWP"
#define PING_PAYLOAD  16 /* magic, token, send time */
#define PING_RX_BATCH 16 /* datagrams read per wake-up */
#define PING_RX_BUF   1500
#define ICMP_HDR_LEN  8

struct pinger {
	struct loop *loop;
	struct loop_timer *timer;
	struct kcw_addr target;
	int fd;
	uint16_t id_net; /* identifier as on the wire */
	uint16_t seq;	 /* last sequence sent */
	uint32_t token;
	uint32_t interval_ms;
	unsigned dead_after;
	uint64_t next_send_ms;
	bool reachable;
	pinger_cb cb;
	void *arg;
	struct pinger_stats stats;
};

static uint64_t dead_ms(const struct pinger *p)
{
	return (uint64_t)p->interval_ms * p->dead_after;
}

static uint16_t inet_checksum(const uint8_t *b, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put_u32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Echo request: type, code, checksum, identifier, sequence, then the payload. */
static size_t build_request(const struct pinger *p, uint64_t now, uint8_t *b)
{
	uint16_t seq_net = htons(p->seq), sum;
	bool v4 = p->target.family == AF_INET;

	memset(b, 0, ICMP_HDR_LEN + PING_PAYLOAD);
	b[0] = v4 ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	memcpy(b + 4, &p->id_net, 2);
	memcpy(b + 6, &seq_net, 2);
	memcpy(b + 8, PING_MAGIC, 4);
	put_u32(b + 12, p->token);
	put_u32(b + 16, (uint32_t)(now >> 32));
	put_u32(b + 20, (uint32_t)now);
	/* ICMPv6 and datagram sockets: the kernel fills in the checksum */
	if (v4) {
		sum = htons(inet_checksum(b, ICMP_HDR_LEN + PING_PAYLOAD));
		memcpy(b + 2, &sum, 2);
	}
	return ICMP_HDR_LEN + PING_PAYLOAD;
}

static void send_failed(struct pinger *p, int e)
{
	char buf[ADDR_STRLEN];

	p->stats.send_errors++;
	/* once per distinct error: a firewall or a missing route is not worth a log flood */
	if (e != p->stats.last_errno)
		log_warn("%s: echo request to tie-breaker %s failed: %s (counted, retried)",
			 __func__, addr_str(&p->target, buf, sizeof(buf)), strerror(e));
	p->stats.last_errno = e;
}

static void send_request(struct pinger *p, uint64_t now)
{
	uint8_t b[ICMP_HDR_LEN + PING_PAYLOAD];
	size_t len;

	struct sockaddr_storage ss;
	socklen_t sl = addr_to_sockaddr(&p->target, 0, &ss);

	p->seq++;
	len = build_request(p, now, b);
	if (sendto(p->fd, b, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&ss, sl) < 0) {
		send_failed(p, errno);
		return;
	}
	p->stats.sent++;
	p->stats.last_errno = 0;
}

static void set_reachable(struct pinger *p, bool on)
{
	char buf[ADDR_STRLEN];

	if (p->reachable == on)
		return;
	p->reachable = on;
	log_info("tie-breaker %s is %s", addr_str(&p->target, buf, sizeof(buf)),
		 on ? "reachable" : "unreachable");
	p->cb(p->arg, on);
}

static void arm(struct pinger *p)
{
	uint64_t at = p->next_send_ms;

	if (p->reachable && p->stats.last_reply_ms + dead_ms(p) < at)
		at = p->stats.last_reply_ms + dead_ms(p);
	loop_timer_arm_at(p->timer, at);
}

static void on_timer(void *arg)
{
	struct pinger *p = arg;
	uint64_t now = loop_now_ms();

	if (p->reachable && now >= p->stats.last_reply_ms + dead_ms(p))
		set_reachable(p, false);
	if (now >= p->next_send_ms) {
		send_request(p, now);
		p->next_send_ms += p->interval_ms;
		if (p->next_send_ms <= now)
			p->next_send_ms = now + p->interval_ms; /* no burst after a pause */
	}
	arm(p);
}

/* The ICMP message in a datagram: raw IPv4 sockets deliver the IP header too. */
static const uint8_t *icmp_of(const struct pinger *p, const uint8_t *b, size_t *len)
{
	size_t ihl;

	if (!p->stats.raw || p->target.family != AF_INET)
		return b;
	if (*len < 20 || (b[0] >> 4) != 4)
		return NULL;
	ihl = (size_t)(b[0] & 0x0f) * 4;
	if (ihl < 20 || ihl > *len)
		return NULL;
	*len -= ihl;
	return b + ihl;
}

/* A reply to one of our last dead_after + 1 requests, with our token. */
static bool matches(const struct pinger *p, const uint8_t *m, size_t len)
{
	uint8_t reply = p->target.family == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY;
	uint16_t seq_net, age;

	if (len < ICMP_HDR_LEN + PING_PAYLOAD || m[0] != reply || m[1] != 0)
		return false;
	if (memcmp(m + 4, &p->id_net, 2) != 0 || memcmp(m + 8, PING_MAGIC, 4) != 0 ||
	    get_u32(m + 12) != p->token)
		return false;
	memcpy(&seq_net, m + 6, 2);
	age = (uint16_t)(p->seq - ntohs(seq_net));
	return age <= p->dead_after;
}

static void handle_reply(struct pinger *p, const uint8_t *m, uint64_t now)
{
	uint64_t sent = (uint64_t)get_u32(m + 16) << 32 | get_u32(m + 20);

	p->stats.received++;
	p->stats.last_reply_ms = now;
	p->stats.last_rtt_ms = now >= sent && now - sent < UINT32_MAX ? (uint32_t)(now - sent) : 0;
	set_reachable(p, true);
	arm(p);
}

static void on_readable(void *arg, int fd, uint32_t events)
{
	struct pinger *p = arg;
	uint8_t b[PING_RX_BUF];

	for (int i = 0; i < PING_RX_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		ssize_t n = recvfrom(fd, b, sizeof(b), MSG_DONTWAIT, (struct sockaddr *)&ss, &sl);
		struct kcw_addr src;
		const uint8_t *m;
		size_t len;

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != EWOULDBLOCK)
				continue; /* a queued ICMP error: just a miss */
			return;
		}
		len = (size_t)n;
		m = icmp_of(p, b, &len);
		if (m && addr_from_sockaddr((struct sockaddr *)&ss, &src) == 0 &&
		    addr_eq(&src, &p->target) && matches(p, m, len))
			handle_reply(p, m, loop_now_ms());
		else
			p->stats.ignored++;
	}
}

/* Raw sockets see every ICMP message of the host: let only echo replies through. */
static void filter_replies(int fd, int family)
{
	if (family == AF_INET) {
		struct icmp_filter f = {.data = ~(1u << ICMP_ECHOREPLY)};

		setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f));
	} else {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	}
}

/* A datagram ping socket's identifier is its "port": bind to any, and read it back. */
static int bind_ident(struct pinger *p, int fd)
{
	struct sockaddr_storage ss;
	struct kcw_addr any = {.family = p->target.family};
	socklen_t sl = addr_to_sockaddr(&any, 0, &ss);

	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		return -errno;
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return -errno;
	if (p->target.family == AF_INET)
		memcpy(&p->id_net, &((struct sockaddr_in *)&ss)->sin_port, 2);
	else
		memcpy(&p->id_net, &((struct sockaddr_in6 *)&ss)->sin6_port, 2);
	return 0;
}

/*
 * Raw if permitted, else an ICMP datagram socket. Not connected: a target
 * without a route at start is just unreachable until it has one.
 */
static int open_socket(struct pinger *p)
{
	int family = p->target.family;
	int proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	int fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto), rc;

	p->stats.raw = fd >= 0;
	if (fd < 0 && (errno == EPERM || errno == EACCES))
		fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return -errno;
	if (p->stats.raw) {
		filter_replies(fd, family);
		return fd;
	}
	rc = bind_ident(p, fd);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

static void random_ids(struct pinger *p)
{
	uint8_t r[6] = {0};

	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		uint64_t t = loop_now_ms() ^ (uint64_t)getpid() << 20;

		memcpy(r, &t, sizeof(r));
	}
	memcpy(&p->id_net, r, 2);
	p->token = get_u32(r + 2);
}

static int start(struct pinger *p, char *err, size_t errlen)
{
	char buf[ADDR_STRLEN];

	random_ids(p);
	p->fd = open_socket(p);
	if (p->fd < 0) {
		snprintf(err, errlen, "tie-breaker %s: cannot open an ICMP socket: %s",
			 addr_str(&p->target, buf, sizeof(buf)), strerror(-p->fd));
		return p->fd;
	}
	p->timer = loop_timer_new(p->loop, on_timer, p);
	if (!p->timer || loop_add_fd(p->loop, p->fd, EPOLLIN, on_readable, p) < 0) {
		snprintf(err, errlen, "tie-breaker: cannot watch the ICMP socket: %s",
			 strerror(errno));
		return -EIO;
	}
	p->next_send_ms = loop_now_ms();
	loop_timer_arm(p->timer, 0);
	return 0;
}

struct pinger *pinger_new(struct loop *l, const struct kcw_addr *target, uint32_t interval_ms,
			  unsigned dead_after, pinger_cb cb, void *arg, char *err, size_t errlen)
{
	struct pinger *p;

	if (!target || (target->family != AF_INET && target->family != AF_INET6) ||
	    interval_ms == 0 || dead_after == 0 || !cb) {
		snprintf(err, errlen, "tie-breaker: invalid pinger parameters");
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->loop = l;
	p->target = *target;
	p->fd = -1;
	p->interval_ms = interval_ms;
	p->dead_after = dead_after;
	p->cb = cb;
	p->arg = arg;
	if (start(p, err, errlen) < 0) {
		pinger_free(p);
		return NULL;
	}
	return p;
}

void pinger_set_timing(struct pinger *p, uint32_t interval_ms, unsigned dead_after)
{
	uint64_t now = loop_now_ms();

	if (interval_ms == 0 || dead_after == 0)
		return;
	p->interval_ms = interval_ms;
	p->dead_after = dead_after;
	if (p->next_send_ms > now + interval_ms)
		p->next_send_ms = now + interval_ms;
	arm(p);
}

void pinger_free(struct pinger *p)
{
	if (!p)
		return;
	if (p->timer)
		loop_timer_free(p->timer);
	if (p->fd >= 0) {
		loop_del_fd(p->loop, p->fd);
		close(p->fd);
	}
	free(p);
}

bool pinger_reachable(const struct pinger *p)
{
	return p->reachable;
}

const struct pinger_stats *pinger_stats(const struct pinger *p)
{
	return &p->stats;
}
