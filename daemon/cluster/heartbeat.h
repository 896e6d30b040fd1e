/* SPDX-License-Identifier: MIT */
/* heartbeat.h: heartbeat datagram codec (protobuf + HMAC-SHA256), pure. */
#ifndef KCW_HEARTBEAT_H
#define KCW_HEARTBEAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "hmac.h"
#include "role.h"

/*
 * Wire format of one UDP datagram:
 *   "KCW1" (4 bytes) | protobuf Heartbeat (proto/heartbeat.proto) | HMAC-SHA256 tag (32 bytes)
 * The tag covers the magic and the protobuf bytes, i.e. the whole message.
 */
#define HB_MAGIC        "KCW1"
#define HB_MAGIC_LEN    4
#define HB_VERSION      1
#define HB_MAX_DATAGRAM 8192
#define HB_REASON_MAX   96
/* Terms never wrap: a term above 2^53 (the last integer a JSON double holds exactly) is
 * invalid input, dropped as "decode" (same bound as FENCE_TERM_MAX). */
#define HB_TERM_MAX     (1ULL << 53)

struct hb_backend {
	char name[CFG_NAME_MAX];
	bool up;
	bool unknown;               /* not up, not yet down: reason is the last failure */
	char reason[HB_REASON_MAX]; /* last check result, "" when up */
	uint32_t latency_ms;
};

struct hb_msg {
	uint32_t version;
	char cluster[CFG_NAME_MAX];
	char node[CFG_NAME_MAX];
	uint64_t incarnation;
	uint64_t seq;
	uint32_t priority;     /* configured */
	uint32_t eff_priority; /* after health tracking / fault */
	enum kcw_role role;
	uint64_t term;         /* highest leader term this node knows (its own when leading) */
	bool resigning;        /* leader handing over now */
	uint8_t config_digest[32];
	char leader[CFG_NAME_MAX]; /* who the sender believes leads; "" = nobody */
	uint32_t interval_ms;
	uint32_t vips_held;
	uint32_t key_id; /* hmac_key_id() of the signing key, 0 = not sent */
	/* the backend view; authoritative from a leader */
	char active_backend[CFG_NAME_MAX]; /* "" = none chosen yet */
	uint64_t backend_switches;
	size_t n_backends;
	struct hb_backend backends[CFG_MAX_BACKENDS];
};

/* Why a datagram was dropped; each has a counter and a metric label. */
enum hb_drop {
	HB_DROP_SHORT = 0,   /* shorter than magic + tag */
	HB_DROP_OVERSIZE,    /* longer than HB_MAX_DATAGRAM */
	HB_DROP_MAGIC,       /* not "KCW1" */
	HB_DROP_AUTH,        /* HMAC mismatch (wrong key or tampered) */
	HB_DROP_DECODE,      /* protobuf does not parse, or a field out of range */
	HB_DROP_VERSION,     /* unknown protocol version */
	HB_DROP_CLUSTER,     /* other cluster name */
	HB_DROP_UNKNOWN_NODE,/* node name not in our config */
	HB_DROP_SOURCE,      /* source address is not the node's configured address */
	HB_DROP_REPLAY,      /* old incarnation or sequence */
	HB_DROP_SELF,        /* our own name */
	HB_DROP_UNKNOWN_SOURCE, /* source address is no configured node: dropped before HMAC */
	HB_DROP_RCVBUF,      /* the kernel dropped it: the socket's receive buffer was full */
	HB_DROP__COUNT
};

/* "short", "oversize", "magic", "auth", "decode", "version", "cluster",
 * "unknown_node", "source", "replay", "self", "unknown_source", "rcvbuf". */
const char *hb_drop_name(enum hb_drop why);

/* Encodes and signs m into buf. Returns the datagram length, or -EMSGSIZE / -EINVAL / -EIO. */
int hb_encode(const struct hb_msg *m, struct hmac *h, uint8_t *buf, size_t buflen);

/*
 * Verifies and decodes one datagram. The tag is checked before the protobuf
 * is parsed. Checks magic, tag, protobuf, version and cluster name (cluster
 * may be NULL to skip). Returns 0, or -1 with *why set; *out is unspecified then.
 */
int hb_decode(const uint8_t *buf, size_t len, struct hmac *h, const char *cluster,
	      struct hb_msg *out, enum hb_drop *why);

#endif
