/* SPDX-License-Identifier: MIT */
/* peer.h: heartbeat transport: the UDP socket, per-node replay state and counters. */
#ifndef KCW_PEER_H
#define KCW_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "heartbeat.h"
#include "loop.h"
#include "replay.h"

struct peer_node {
	struct replay_state replay;
	uint64_t rx;          /* accepted heartbeats */
	uint64_t dropped;     /* datagrams from its address that were dropped */
	uint64_t tx;          /* heartbeats sent to it */
	uint64_t tx_errors;
	int last_tx_errno;
	bool digest_differs;  /* its config digest is not ours (warned once per change) */
	uint64_t replay_drops;
	uint64_t replay_warn_ms; /* last warning about a replay drop (rate limit) */
};

struct peer_stats {
	uint64_t rx;
	uint64_t tx;
	uint64_t tx_errors;
	uint64_t drops[HB_DROP__COUNT];
};

struct peers;

/*
 * An authenticated, fresh heartbeat from node idx that the kernel received at heard_ms
 * (CLOCK_MONOTONIC ms, <= loop_now_ms()).
 */
typedef void (*peer_rx_cb)(void *arg, size_t idx, const struct hb_msg *m, uint64_t heard_ms);

/* Binds UDP cluster port on the own node address. NULL and err on failure. */
struct peers *peer_open(struct loop *l, const struct kcw_config *cfg, size_t self, struct hmac *h,
			peer_rx_cb cb, void *arg, char *err, size_t errlen);
void peer_close(struct peers *p);
/*
 * Reads and handles what waits in the socket now (bounded: a flood cannot hold the loop),
 * then calls the rx callback once per node that sent, with its newest heartbeat. Returns the
 * number of datagrams read. The loop calls it when the socket is readable; call it also
 * before judging a peer dead.
 */
int peer_drain(struct peers *p);
/* The receive buffer the kernel granted (bytes, as SO_RCVBUF reports it), 0 unknown. */
int peer_rcvbuf(const struct peers *p);
/* Signs m and sends it to every other node. Returns how many sends failed. */
int peer_send_all(struct peers *p, const struct hb_msg *m);
const struct peer_node *peer_node_stats(const struct peers *p, size_t idx);
const struct peer_stats *peer_stats(const struct peers *p);
/* The config changed (reload): node list and key. Replay state of kept nodes stays. */
void peer_set_config(struct peers *p, const struct kcw_config *cfg, size_t self, struct hmac *h);

#endif
