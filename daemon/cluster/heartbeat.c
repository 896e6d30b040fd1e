/* SPDX-License-Identifier: MIT */
/* heartbeat.c: heartbeat datagram codec: "KCW1" | protobuf Heartbeat | HMAC-SHA256 tag. */
#include <errno.h>
#include <string.h>

#include "heartbeat.h"
#include "heartbeat.pb-c.h"
#include "role.h"
#include "strutil.h"

#define HB_DIGEST_LEN sizeof(((struct hb_msg *)0)->config_digest)

const char *hb_drop_name(enum hb_drop why)
{
	switch (why) {
	case HB_DROP_SHORT:
		return "short";
	case HB_DROP_OVERSIZE:
		return "oversize";
	case HB_DROP_MAGIC:
		return "magic";
	case HB_DROP_AUTH:
		return "auth";
	case HB_DROP_DECODE:
		return "decode";
	case HB_DROP_VERSION:
		return "version";
	case HB_DROP_CLUSTER:
		return "cluster";
	case HB_DROP_UNKNOWN_NODE:
		return "unknown_node";
	case HB_DROP_SOURCE:
		return "source";
	case HB_DROP_REPLAY:
		return "replay";
	case HB_DROP_SELF:
		return "self";
	case HB_DROP_UNKNOWN_SOURCE:
		return "unknown_source";
	case HB_DROP_RCVBUF:
		return "rcvbuf";
	case HB_DROP__COUNT:
	default:
		return "unknown";
	}
}

/* True when s holds a NUL within its size bytes (a usable C string). */
static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static bool role_valid(int role)
{
	return role >= ROLE_INIT && role <= ROLE_WITNESS;
}

static int check_out_msg(const struct hb_msg *m)
{
	size_t i;

	if (m->n_backends > CFG_MAX_BACKENDS || !role_valid(m->role))
		return -EINVAL;
	if (!terminated(m->cluster, sizeof(m->cluster)) || !terminated(m->node, sizeof(m->node)) ||
	    !terminated(m->leader, sizeof(m->leader)) ||
	    !terminated(m->active_backend, sizeof(m->active_backend)))
		return -EINVAL;
	for (i = 0; i < m->n_backends; i++) {
		const struct hb_backend *b = &m->backends[i];

		if (!terminated(b->name, sizeof(b->name)) ||
		    !terminated(b->reason, sizeof(b->reason)))
			return -EINVAL;
	}
	return 0;
}

/* Points pb at m's data (no copies); bs/bp hold the backend entries. */
static void to_pb(const struct hb_msg *m, Kcwatch__Heartbeat *pb, Kcwatch__BackendState *bs,
		  Kcwatch__BackendState **bp)
{
	size_t i;

	pb->version = m->version;
	pb->cluster = (char *)m->cluster;
	pb->node = (char *)m->node;
	pb->incarnation = m->incarnation;
	pb->seq = m->seq;
	pb->priority = m->priority;
	pb->eff_priority = m->eff_priority;
	pb->role = (Kcwatch__Role)m->role;
	pb->term = m->term;
	pb->resigning = m->resigning;
	pb->config_digest.data = (uint8_t *)m->config_digest;
	pb->config_digest.len = HB_DIGEST_LEN;
	pb->leader = (char *)m->leader;
	pb->interval_ms = m->interval_ms;
	pb->vips_held = m->vips_held;
	pb->key_id = m->key_id;
	pb->active_backend = (char *)m->active_backend;
	pb->backend_switches = m->backend_switches;
	for (i = 0; i < m->n_backends; i++) {
		kcwatch__backend_state__init(&bs[i]);
		bs[i].name = (char *)m->backends[i].name;
		bs[i].up = m->backends[i].up;
		bs[i].unknown = m->backends[i].unknown;
		bs[i].reason = (char *)m->backends[i].reason;
		bs[i].latency_ms = m->backends[i].latency_ms;
		bp[i] = &bs[i];
	}
	pb->n_backends = m->n_backends;
	pb->backends = m->n_backends ? bp : NULL;
}

int hb_encode(const struct hb_msg *m, struct hmac *h, uint8_t *buf, size_t buflen)
{
	Kcwatch__Heartbeat pb = KCWATCH__HEARTBEAT__INIT;
	Kcwatch__BackendState bs[CFG_MAX_BACKENDS];
	Kcwatch__BackendState *bp[CFG_MAX_BACKENDS];
	size_t plen, total;
	int rc;

	if (!m || !h || (!buf && buflen > 0))
		return -EINVAL;
	rc = check_out_msg(m);
	if (rc < 0)
		return rc;
	to_pb(m, &pb, bs, bp);
	plen = kcwatch__heartbeat__get_packed_size(&pb);
	total = HB_MAGIC_LEN + plen + HMAC_TAG_LEN;
	if (total > buflen || total > HB_MAX_DATAGRAM)
		return -EMSGSIZE;
	memcpy(buf, HB_MAGIC, HB_MAGIC_LEN);
	if (kcwatch__heartbeat__pack(&pb, buf + HB_MAGIC_LEN) != plen)
		return -EIO;
	if (hmac_sign(h, buf, HB_MAGIC_LEN + plen, buf + HB_MAGIC_LEN + plen) < 0)
		return -EIO;
	return (int)total;
}

/* Copies src into dst, truncated to size-1 bytes without splitting a UTF-8 sequence. */
static void copy_trunc(char *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

static bool from_pb_backends(const Kcwatch__Heartbeat *pb, struct hb_msg *out)
{
	size_t i;

	if (pb->n_backends > CFG_MAX_BACKENDS || (pb->n_backends > 0 && !pb->backends))
		return false;
	for (i = 0; i < pb->n_backends; i++) {
		const Kcwatch__BackendState *b = pb->backends[i];
		struct hb_backend *o = &out->backends[i];

		if (!b || !str_copy(o->name, sizeof(o->name), b->name))
			return false;
		o->up = b->up;
		o->unknown = b->unknown;
		copy_trunc(o->reason, sizeof(o->reason), b->reason);
		str_escape_inplace(o->name, sizeof(o->name)); /* peer text is made inert */
		str_escape_inplace(o->reason, sizeof(o->reason));
		o->latency_ms = b->latency_ms;
	}
	out->n_backends = pb->n_backends;
	return true;
}

/* Validates and copies a parsed message; false when a field is out of range. */
static bool from_pb(const Kcwatch__Heartbeat *pb, struct hb_msg *out)
{
	int role = (int)pb->role;
	size_t dlen = pb->config_digest.len;

	if (!role_valid(role) || pb->term > HB_TERM_MAX || (dlen != 0 && dlen != HB_DIGEST_LEN) ||
	    (dlen && !pb->config_digest.data))
		return false;
	if (!str_copy(out->cluster, sizeof(out->cluster), pb->cluster) ||
	    !str_copy(out->node, sizeof(out->node), pb->node) ||
	    !str_copy(out->leader, sizeof(out->leader), pb->leader) ||
	    !str_copy(out->active_backend, sizeof(out->active_backend), pb->active_backend))
		return false;
	/* peer text is made inert before anything logs or shows it (a node name with control
	 * characters matches no [node] and is dropped as unknown_node) */
	str_escape_inplace(out->cluster, sizeof(out->cluster));
	str_escape_inplace(out->node, sizeof(out->node));
	str_escape_inplace(out->leader, sizeof(out->leader));
	str_escape_inplace(out->active_backend, sizeof(out->active_backend));
	out->version = pb->version;
	out->incarnation = pb->incarnation;
	out->seq = pb->seq;
	out->priority = pb->priority;
	out->eff_priority = pb->eff_priority;
	out->role = (enum kcw_role)role; /* in range: role_valid() above */
	out->term = pb->term;
	out->resigning = pb->resigning;
	if (dlen)
		memcpy(out->config_digest, pb->config_digest.data, HB_DIGEST_LEN);
	out->interval_ms = pb->interval_ms;
	out->vips_held = pb->vips_held;
	out->key_id = pb->key_id;
	out->backend_switches = pb->backend_switches;
	return from_pb_backends(pb, out);
}

/* Checks a parsed message in order: version, cluster, then every field. */
static int check_in_msg(const Kcwatch__Heartbeat *pb, const char *cluster, struct hb_msg *out,
			enum hb_drop *why)
{
	if (pb->version != HB_VERSION) {
		*why = HB_DROP_VERSION;
		return -1;
	}
	if (cluster && (!pb->cluster || strcmp(pb->cluster, cluster) != 0)) {
		*why = HB_DROP_CLUSTER;
		return -1;
	}
	if (!from_pb(pb, out)) {
		*why = HB_DROP_DECODE;
		return -1;
	}
	return 0;
}

/* The framing checks before any parsing: size, magic, tag. */
static int check_frame(const uint8_t *buf, size_t len, struct hmac *h, enum hb_drop *why)
{
	if (!buf || len < HB_MAGIC_LEN + HMAC_TAG_LEN)
		*why = HB_DROP_SHORT;
	else if (len > HB_MAX_DATAGRAM)
		*why = HB_DROP_OVERSIZE;
	else if (memcmp(buf, HB_MAGIC, HB_MAGIC_LEN) != 0)
		*why = HB_DROP_MAGIC;
	else if (!h || !hmac_verify(h, buf, len - HMAC_TAG_LEN, buf + len - HMAC_TAG_LEN))
		*why = HB_DROP_AUTH;
	else
		return 0;
	return -1;
}

int hb_decode(const uint8_t *buf, size_t len, struct hmac *h, const char *cluster,
	      struct hb_msg *out, enum hb_drop *why)
{
	enum hb_drop dummy;
	Kcwatch__Heartbeat *pb;
	size_t plen;
	int rc;

	if (!why)
		why = &dummy;
	if (check_frame(buf, len, h, why) < 0)
		return -1;
	if (!out) {
		*why = HB_DROP_DECODE;
		return -1;
	}
	/* authenticated: now the protobuf between magic and tag may be parsed */
	plen = len - HB_MAGIC_LEN - HMAC_TAG_LEN;
	pb = kcwatch__heartbeat__unpack(NULL, plen, buf + HB_MAGIC_LEN);
	if (!pb) {
		*why = HB_DROP_DECODE;
		return -1;
	}
	memset(out, 0, sizeof(*out));
	rc = check_in_msg(pb, cluster, out, why);
	kcwatch__heartbeat__free_unpacked(pb, NULL);
	return rc;
}
