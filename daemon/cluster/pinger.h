/* SPDX-License-Identifier: MIT */
/* pinger.h: ICMP/ICMPv6 echo to one address from the event loop: is the tie-breaker reachable? */
#ifndef KCW_PINGER_H
#define KCW_PINGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "loop.h"

struct pinger;

/* Reachability changed. A pinger starts unreachable: the first reply reports true. */
typedef void (*pinger_cb)(void *arg, bool reachable);

struct pinger_stats {
	uint64_t sent;		/* echo requests handed to the kernel */
	uint64_t received;	/* matching echo replies (identifier, sequence, payload) */
	uint64_t ignored;	/* other datagrams read from the socket */
	uint64_t send_errors;	/* failed sends (no route, firewall): counted, never fatal */
	int last_errno;		/* of the last failed send, 0 after a good one */
	uint64_t last_reply_ms; /* loop_now_ms() of the last matching reply, 0 never */
	uint32_t last_rtt_ms;
	bool raw; /* raw socket; false: unprivileged ICMP datagram socket */
};

/*
 * Sends one echo request to target every interval_ms, from the loop, and
 * calls cb when the target turns reachable (a matching reply) or unreachable
 * (no matching reply for dead_after * interval_ms). A reply matches when its
 * identifier is this pinger's, its sequence one of the last dead_after + 1
 * sent, and its payload carries this pinger's random token.
 *
 * Opens a raw ICMP / ICMPv6 socket (root or CAP_NET_RAW), or, when that is
 * not permitted, an ICMP datagram socket (Linux, allowed by
 * net.ipv4.ping_group_range). Non-blocking, close-on-exec; replies count
 * only from target. A failing send (no route yet, a firewall) is counted
 * and logged once per distinct error: just a missed reply. Link-local IPv6
 * targets are not supported (no scope). NULL and err when the socket
 * cannot be opened.
 */
struct pinger *pinger_new(struct loop *l, const struct kcw_addr *target, uint32_t interval_ms,
			  unsigned dead_after, pinger_cb cb, void *arg, char *err, size_t errlen);
/* New timing (config reload): the next request follows the new interval. */
void pinger_set_timing(struct pinger *p, uint32_t interval_ms, unsigned dead_after);
/* Stops and frees; NULL is fine. Never calls cb. */
void pinger_free(struct pinger *p);
bool pinger_reachable(const struct pinger *p);
const struct pinger_stats *pinger_stats(const struct pinger *p);

#endif
