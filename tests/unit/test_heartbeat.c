/* SPDX-License-Identifier: MIT */
/* test_heartbeat.c: the heartbeat codec: round trips, tampering, limits, encoder errors. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "heartbeat.h"
#include "heartbeat.pb-c.h"
#include "role.h"

#define HB_OVERHEAD (HB_MAGIC_LEN + HMAC_TAG_LEN)

static const uint8_t key_a[32] = "kcwatch-unit-test-key-0123456789";
static const uint8_t key_b[32] = "kcwatch-unit-test-key-0123456780";

/* --- helpers -------------------------------------------------------------- */

static void set_str(char *dst, size_t size, char c, size_t n)
{
	assert_true(n < size);
	memset(dst, c, n);
	dst[n] = '\0';
}

static void fill_msg(struct hb_msg *m)
{
	static const char *const reasons[] = {"HTTP 503, status DOWN", "", "connect: timed out"};
	size_t i;

	memset(m, 0, sizeof(*m));
	m->version = HB_VERSION;
	strcpy(m->cluster, "kc-prod");
	strcpy(m->node, "lb-a");
	m->incarnation = 0x6553f1a2deadbeefULL;
	m->seq = 0x0123456789abcdefULL;
	m->priority = 150;
	m->eff_priority = 140;
	m->role = ROLE_LEADER;
	m->term = 77;
	m->resigning = true;
	for (i = 0; i < sizeof(m->config_digest); i++)
		m->config_digest[i] = (uint8_t)(i * 7 + 1);
	strcpy(m->leader, "lb-b");
	m->interval_ms = 1000;
	m->vips_held = 2;
	m->key_id = 0xdeadbeef;
	strcpy(m->active_backend, "rhbk-2");
	m->backend_switches = 3;
	m->n_backends = 3;
	for (i = 0; i < m->n_backends; i++) {
		snprintf(m->backends[i].name, sizeof(m->backends[i].name), "rhbk-%zu", i + 1);
		m->backends[i].up = i == 1;
		m->backends[i].unknown = i == 2;
		strcpy(m->backends[i].reason, reasons[i]);
		m->backends[i].latency_ms = (uint32_t)(10 * i + 5);
	}
}

static void assert_msg_equal(const struct hb_msg *a, const struct hb_msg *b)
{
	size_t i;

	assert_int_equal(a->version, b->version);
	assert_string_equal(a->cluster, b->cluster);
	assert_string_equal(a->node, b->node);
	assert_int_equal(a->incarnation, b->incarnation);
	assert_int_equal(a->seq, b->seq);
	assert_int_equal(a->priority, b->priority);
	assert_int_equal(a->eff_priority, b->eff_priority);
	assert_int_equal(a->role, b->role);
	assert_int_equal(a->term, b->term);
	assert_int_equal(a->resigning, b->resigning);
	assert_memory_equal(a->config_digest, b->config_digest, sizeof(a->config_digest));
	assert_string_equal(a->leader, b->leader);
	assert_int_equal(a->interval_ms, b->interval_ms);
	assert_int_equal(a->vips_held, b->vips_held);
	assert_int_equal(a->key_id, b->key_id);
	assert_string_equal(a->active_backend, b->active_backend);
	assert_int_equal(a->backend_switches, b->backend_switches);
	assert_int_equal(a->n_backends, b->n_backends);
	for (i = 0; i < a->n_backends; i++) {
		assert_string_equal(a->backends[i].name, b->backends[i].name);
		assert_int_equal(a->backends[i].up, b->backends[i].up);
		assert_int_equal(a->backends[i].unknown, b->backends[i].unknown);
		assert_string_equal(a->backends[i].reason, b->backends[i].reason);
		assert_int_equal(a->backends[i].latency_ms, b->backends[i].latency_ms);
	}
}

/* Frames an arbitrary payload as "KCW1" | payload | valid tag; returns the length. */
static size_t sign_raw(struct hmac *h, const uint8_t *payload, size_t plen, uint8_t *out)
{
	memcpy(out, HB_MAGIC, HB_MAGIC_LEN);
	if (plen)
		memcpy(out + HB_MAGIC_LEN, payload, plen);
	assert_int_equal(hmac_sign(h, out, HB_MAGIC_LEN + plen, out + HB_MAGIC_LEN + plen), 0);
	return HB_OVERHEAD + plen;
}

/* Signs and decodes a hand-built protobuf; returns hb_decode's result, *why on failure. */
static int decode_pb(const Kcwatch__Heartbeat *pb, const char *cluster, struct hb_msg *out,
		     enum hb_drop *why)
{
	static uint8_t payload[HB_MAX_DATAGRAM], dgram[HB_MAX_DATAGRAM + HB_OVERHEAD];
	struct hmac *h = hmac_new(key_a, sizeof(key_a));
	size_t plen = kcwatch__heartbeat__get_packed_size(pb);
	size_t len;
	int rc;

	assert_non_null(h);
	assert_true(plen <= sizeof(payload));
	assert_int_equal(kcwatch__heartbeat__pack(pb, payload), plen);
	len = sign_raw(h, payload, plen, dgram);
	rc = hb_decode(dgram, len, h, cluster, out, why);
	hmac_free(h);
	return rc;
}

/* decode_pb() refuses pb for cluster, for reason want. */
static void assert_refused(const Kcwatch__Heartbeat *pb, const char *cluster, enum hb_drop want)
{
	struct hb_msg out;
	enum hb_drop why = HB_DROP__COUNT;

	assert_int_equal(decode_pb(pb, cluster, &out, &why), -1);
	assert_int_equal(why, want);
}

/* decode_pb() accepts pb for cluster, into *out. */
static void assert_decoded(const Kcwatch__Heartbeat *pb, const char *cluster, struct hb_msg *out)
{
	enum hb_drop why = HB_DROP__COUNT;

	assert_int_equal(decode_pb(pb, cluster, out, &why), 0);
	assert_int_equal(why, HB_DROP__COUNT);
}

static void base_pb(Kcwatch__Heartbeat *pb)
{
	kcwatch__heartbeat__init(pb);
	pb->version = HB_VERSION;
	pb->cluster = "kc-prod";
	pb->node = "lb-a";
	pb->seq = 1;
}

/* --- round trips ---------------------------------------------------------- */

static void roundtrip(const struct hb_msg *in)
{
	struct hmac *h = hmac_new(key_a, sizeof(key_a));
	uint8_t buf[HB_MAX_DATAGRAM], tag[HMAC_TAG_LEN];
	struct hb_msg *out = malloc(sizeof(*out));
	enum hb_drop why = HB_DROP__COUNT;
	int n;

	assert_non_null(h);
	assert_non_null(out);
	n = hb_encode(in, h, buf, sizeof(buf));
	assert_true(n > HB_OVERHEAD);
	assert_memory_equal(buf, "KCW1", 4);
	assert_int_equal(hmac_sign(h, buf, (size_t)n - HMAC_TAG_LEN, tag), 0);
	assert_memory_equal(buf + n - HMAC_TAG_LEN, tag, HMAC_TAG_LEN);
	memset(out, 0xA5, sizeof(*out));
	assert_int_equal(hb_decode(buf, (size_t)n, h, in->cluster, out, &why), 0);
	assert_int_equal(why, HB_DROP__COUNT);
	assert_msg_equal(in, out);
	free(out);
	hmac_free(h);
}

static void test_roundtrip_all_fields(void **state)
{
	struct hb_msg m;

	fill_msg(&m);
	roundtrip(&m);
}

static void test_roundtrip_defaults(void **state)
{
	struct hb_msg m;

	memset(&m, 0, sizeof(m));
	m.version = HB_VERSION;
	roundtrip(&m);
}

static void test_roundtrip_largest(void **state)
{
	struct hb_msg *m = calloc(1, sizeof(*m));
	size_t i;

	assert_non_null(m);
	fill_msg(m);
	set_str(m->cluster, sizeof(m->cluster), 'c', CFG_NAME_MAX - 1);
	set_str(m->node, sizeof(m->node), 'n', CFG_NAME_MAX - 1);
	set_str(m->leader, sizeof(m->leader), 'l', CFG_NAME_MAX - 1);
	set_str(m->active_backend, sizeof(m->active_backend), 'a', CFG_NAME_MAX - 1);
	m->incarnation = m->seq = m->backend_switches = UINT64_MAX;
	m->term = HB_TERM_MAX; /* the largest valid term */
	m->priority = m->eff_priority = m->interval_ms = m->vips_held = UINT32_MAX;
	m->role = ROLE_WITNESS;
	m->n_backends = CFG_MAX_BACKENDS;
	for (i = 0; i < CFG_MAX_BACKENDS; i++) {
		set_str(m->backends[i].name, sizeof(m->backends[i].name), 'b', CFG_NAME_MAX - 1);
		m->backends[i].name[0] = (char)('A' + i);
		set_str(m->backends[i].reason, sizeof(m->backends[i].reason), 'r',
			HB_REASON_MAX - 1);
		m->backends[i].up = i % 2;
		m->backends[i].latency_ms = UINT32_MAX - (uint32_t)i;
	}
	roundtrip(m);
	free(m);
}

/* --- tampering, truncation, size ------------------------------------------ */

static int encode_sample(struct hmac *h, uint8_t *buf, size_t size)
{
	struct hb_msg m;
	int n;

	fill_msg(&m);
	n = hb_encode(&m, h, buf, size);
	assert_true(n > HB_OVERHEAD);
	return n;
}

static void test_flip_every_byte(void **state)
{
	static const uint8_t masks[] = {0x01, 0x80, 0xff};
	struct hmac *h = hmac_new(key_a, sizeof(key_a));
	uint8_t buf[HB_MAX_DATAGRAM];
	struct hb_msg out;
	enum hb_drop why;
	size_t i, k;
	int n;

	assert_non_null(h);
	n = encode_sample(h, buf, sizeof(buf));
	for (i = 0; i < (size_t)n; i++) {
		for (k = 0; k < sizeof(masks); k++) {
			buf[i] ^= masks[k];
			why = HB_DROP__COUNT;
			assert_int_equal(hb_decode(buf, (size_t)n, h, NULL, &out, &why), -1);
			assert_int_equal(why, i < HB_MAGIC_LEN ? HB_DROP_MAGIC : HB_DROP_AUTH);
			buf[i] ^= masks[k];
		}
	}
	assert_int_equal(hb_decode(buf, (size_t)n, h, NULL, &out, &why), 0);
	hmac_free(h);
}

static void test_wrong_key(void **state)
{
	struct hmac *a = hmac_new(key_a, sizeof(key_a));
	struct hmac *b = hmac_new(key_b, sizeof(key_b));
	uint8_t buf[HB_MAX_DATAGRAM];
	struct hb_msg out;
	enum hb_drop why = HB_DROP__COUNT;
	int n;

	assert_non_null(a);
	assert_non_null(b);
	n = encode_sample(a, buf, sizeof(buf));
	assert_int_equal(hb_decode(buf, (size_t)n, b, "kc-prod", &out, &why), -1);
	assert_int_equal(why, HB_DROP_AUTH);
	assert_int_equal(hb_decode(buf, (size_t)n, a, "kc-prod", &out, &why), 0);
	hmac_free(a);
	hmac_free(b);
}

/* A rotation: a ring of (b, a) verifies both, signs with b only; (a) alone refuses b's. */
static void test_two_keys(void **state)
{
	struct hmac *ring = hmac_new_pair(key_b, sizeof(key_b), key_a, sizeof(key_a));
	struct hmac *a = hmac_new(key_a, sizeof(key_a));
	struct hmac *b = hmac_new(key_b, sizeof(key_b));
	uint8_t buf[HB_MAX_DATAGRAM];
	struct hb_msg out;
	enum hb_drop why = HB_DROP__COUNT;
	int n;

	assert_non_null(ring);
	n = encode_sample(a, buf, sizeof(buf));
	assert_int_equal(hb_decode(buf, (size_t)n, ring, "kc-prod", &out, &why), 0);
	n = encode_sample(b, buf, sizeof(buf));
	assert_int_equal(hb_decode(buf, (size_t)n, ring, "kc-prod", &out, &why), 0);
	n = encode_sample(ring, buf, sizeof(buf)); /* signed with the first key: b */
	assert_int_equal(hb_decode(buf, (size_t)n, b, "kc-prod", &out, &why), 0);
	assert_int_equal(hb_decode(buf, (size_t)n, a, "kc-prod", &out, &why), -1);
	assert_int_equal(why, HB_DROP_AUTH);
	assert_int_equal(hmac_add_verify_key(ring, key_a, sizeof(key_a)), -EINVAL);
	/* key ids: stable, differ between keys, never the key */
	assert_int_equal(hmac_key_id(key_a, sizeof(key_a)), hmac_key_id(key_a, sizeof(key_a)));
	assert_int_not_equal(hmac_key_id(key_a, sizeof(key_a)), hmac_key_id(key_b, sizeof(key_b)));
	assert_int_not_equal(hmac_key_id(key_a, sizeof(key_a)), 0);
	hmac_free(ring);
	hmac_free(a);
	hmac_free(b);
}

static void test_truncate_every_length(void **state)
{
	struct hmac *h = hmac_new(key_a, sizeof(key_a));
	uint8_t buf[HB_MAX_DATAGRAM];
	struct hb_msg out;
	enum hb_drop why;
	size_t len;
	int n;

	assert_non_null(h);
	n = encode_sample(h, buf, sizeof(buf));
	for (len = 0; len < (size_t)n; len++) {
		/* a heap copy of exactly len bytes lets ASan catch any over-read */
		uint8_t *copy = malloc(len ? len : 1);

		assert_non_null(copy);
		memcpy(copy, buf, len);
		why = HB_DROP__COUNT;
		assert_int_equal(hb_decode(copy, len, h, NULL, &out, &why), -1);
		assert_int_equal(why, len < HB_OVERHEAD ? HB_DROP_SHORT : HB_DROP_AUTH);
		free(copy);
	}
	assert_int_equal(hb_decode(NULL, 0, h, NULL, &out, &why), -1);
	assert_int_equal(why, HB_DROP_SHORT);
	hmac_free(h);
}

static void test_oversize(void **state)
{
	static uint8_t payload[HB_MAX_DATAGRAM], dgram[HB_MAX_DATAGRAM + HB_OVERHEAD];
	struct hmac *h = hmac_new(key_a, sizeof(key_a));
	struct hb_msg out;
	enum hb_drop why = HB_DROP__COUNT;
	size_t len;

	assert_non_null(h);
	len = sign_raw(h, payload, HB_MAX_DATAGRAM - HB_OVERHEAD + 1, dgram);
	assert_int_equal(len, HB_MAX_DATAGRAM + 1);
	assert_int_equal(hb_decode(dgram, len, h, NULL, &out, &why), -1);
	assert_int_equal(why, HB_DROP_OVERSIZE);
	len = sign_raw(h, payload, sizeof(payload), dgram);
	assert_int_equal(hb_decode(dgram, len, h, NULL, &out, &why), -1);
	assert_int_equal(why, HB_DROP_OVERSIZE);
	hmac_free(h);
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* Exactly HB_MAX_DATAGRAM, padded with an unknown field: accepted (fields get added). */
static void test_max_size_with_unknown_field(void **state)
{
	static uint8_t payload[HB_MAX_DATAGRAM], dgram[HB_MAX_DATAGRAM];
	const size_t plen = HB_MAX_DATAGRAM - HB_OVERHEAD;
	struct hmac *h = hmac_new(key_a, sizeof(key_a));
	struct hb_msg out;
	enum hb_drop why = HB_DROP__COUNT;
	size_t n = 0, pad;

	assert_non_null(h);
	payload[n++] = 0x08; /* field 1 (version), varint */
	payload[n++] = HB_VERSION;
	payload[n++] = 0x28; /* field 5 (seq), varint */
	payload[n++] = 42;
	n += put_varint(payload + n, (100u << 3) | 2); /* field 100, length-delimited */
	pad = plen - n - 2;
	assert_int_equal(put_varint(payload + n, pad), 2);
	n += 2;
	memset(payload + n, 'x', pad);
	assert_int_equal(sign_raw(h, payload, plen, dgram), HB_MAX_DATAGRAM);
	assert_int_equal(hb_decode(dgram, HB_MAX_DATAGRAM, h, NULL, &out, &why), 0);
	assert_int_equal(out.version, HB_VERSION);
	assert_int_equal(out.seq, 42);
	assert_string_equal(out.node, "");
	hmac_free(h);
}

static void test_bad_magic_signed(void **state)
{
	struct hmac *h = hmac_new(key_a, sizeof(key_a));
	uint8_t buf[HB_MAX_DATAGRAM];
	struct hb_msg out;
	enum hb_drop why = HB_DROP__COUNT;
	int n;

	assert_non_null(h);
	n = encode_sample(h, buf, sizeof(buf));
	buf[3] = '2'; /* "KCW2", re-signed: the magic alone decides */
	assert_int_equal(hmac_sign(h, buf, (size_t)n - HMAC_TAG_LEN, buf + n - HMAC_TAG_LEN), 0);
	assert_int_equal(hb_decode(buf, (size_t)n, h, NULL, &out, &why), -1);
	assert_int_equal(why, HB_DROP_MAGIC);
	hmac_free(h);
}

/* --- validly signed but unacceptable ------------------------------------- */

static void test_other_cluster(void **state)
{
	Kcwatch__Heartbeat pb;
	struct hb_msg out;

	base_pb(&pb);
	pb.cluster = "kc-test";
	assert_refused(&pb, "kc-prod", HB_DROP_CLUSTER);
	assert_refused(&pb, "kc-tes", HB_DROP_CLUSTER);
	assert_decoded(&pb, "kc-test", &out);
	assert_decoded(&pb, NULL, &out);
	assert_string_equal(out.cluster, "kc-test");
}

static void test_signed_garbage(void **state)
{
	static const uint8_t bad[][6] = {
	    {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, /* endless varint */
	    {0x12, 0x50, 'a', 'b', 'c', 'd'},	  /* string longer than the data */
	    {0x0f, 0x01, 0x02, 0x03, 0x04, 0x05}, /* wire type 7 */
	    {0x00, 0x01, 0x02, 0x03, 0x04, 0x05}, /* field number 0 */
	};
	struct hmac *h = hmac_new(key_a, sizeof(key_a));
	uint8_t dgram[64];
	struct hb_msg out;
	enum hb_drop why;
	size_t i, len;

	assert_non_null(h);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = HB_DROP__COUNT;
		len = sign_raw(h, bad[i], sizeof(bad[i]), dgram);
		assert_int_equal(hb_decode(dgram, len, h, NULL, &out, &why), -1);
		assert_int_equal(why, HB_DROP_DECODE);
		/* unsigned, the same bytes never reach the parser */
		dgram[len - 1] ^= 0x01;
		assert_int_equal(hb_decode(dgram, len, h, NULL, &out, &why), -1);
		assert_int_equal(why, HB_DROP_AUTH);
	}
	hmac_free(h);
}

static void test_version(void **state)
{
	struct hmac *h = hmac_new(key_a, sizeof(key_a));
	uint8_t buf[HB_MAX_DATAGRAM];
	struct hb_msg m, out;
	enum hb_drop why = HB_DROP__COUNT;
	size_t len;
	int n;

	assert_non_null(h);
	fill_msg(&m);
	m.version = 2;
	n = hb_encode(&m, h, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(hb_decode(buf, (size_t)n, h, "kc-prod", &out, &why), -1);
	assert_int_equal(why, HB_DROP_VERSION);
	/* the empty protobuf is valid and means version 0 */
	len = sign_raw(h, NULL, 0, buf);
	assert_int_equal(len, HB_OVERHEAD);
	assert_int_equal(hb_decode(buf, len, h, NULL, &out, &why), -1);
	assert_int_equal(why, HB_DROP_VERSION);
	hmac_free(h);
}

static void test_long_strings(void **state)
{
	char fits[CFG_NAME_MAX], too_long[CFG_NAME_MAX + 1];
	char **fields[4];
	Kcwatch__Heartbeat pb;
	struct hb_msg out;
	size_t i;

	set_str(fits, sizeof(fits), 'x', CFG_NAME_MAX - 1);
	set_str(too_long, sizeof(too_long), 'x', CFG_NAME_MAX);
	base_pb(&pb);
	fields[0] = &pb.node;
	fields[1] = &pb.cluster;
	fields[2] = &pb.leader;
	fields[3] = &pb.active_backend;
	for (i = 0; i < 4; i++) {
		base_pb(&pb);
		*fields[i] = too_long;
		assert_refused(&pb, NULL, HB_DROP_DECODE);
		*fields[i] = fits;
		assert_decoded(&pb, NULL, &out);
	}
	assert_string_equal(out.active_backend, fits);
}

static void test_long_backend_name(void **state)
{
	char too_long[CFG_NAME_MAX + 1];
	Kcwatch__BackendState b = KCWATCH__BACKEND_STATE__INIT;
	Kcwatch__BackendState *bp[] = {&b};
	Kcwatch__Heartbeat pb;
	struct hb_msg out;

	set_str(too_long, sizeof(too_long), 'b', CFG_NAME_MAX);
	base_pb(&pb);
	pb.n_backends = 1;
	pb.backends = bp;
	b.name = too_long;
	assert_refused(&pb, NULL, HB_DROP_DECODE);
	too_long[CFG_NAME_MAX - 1] = '\0';
	assert_decoded(&pb, NULL, &out);
	assert_int_equal(out.n_backends, 1);
	assert_string_equal(out.backends[0].name, too_long);
}

static void test_too_many_backends(void **state)
{
	Kcwatch__BackendState b[CFG_MAX_BACKENDS + 1];
	Kcwatch__BackendState *bp[CFG_MAX_BACKENDS + 1];
	Kcwatch__Heartbeat pb;
	struct hb_msg out;
	size_t i;

	for (i = 0; i <= CFG_MAX_BACKENDS; i++) {
		kcwatch__backend_state__init(&b[i]);
		b[i].name = "be";
		bp[i] = &b[i];
	}
	base_pb(&pb);
	pb.backends = bp;
	pb.n_backends = CFG_MAX_BACKENDS + 1;
	assert_refused(&pb, NULL, HB_DROP_DECODE);
	pb.n_backends = CFG_MAX_BACKENDS;
	assert_decoded(&pb, NULL, &out);
	assert_int_equal(out.n_backends, CFG_MAX_BACKENDS);
}

static void test_role_range(void **state)
{
	Kcwatch__Heartbeat pb;
	struct hb_msg out;

	base_pb(&pb);
	pb.role = (Kcwatch__Role)5;
	assert_refused(&pb, NULL, HB_DROP_DECODE);
	pb.role = (Kcwatch__Role)-1;
	assert_refused(&pb, NULL, HB_DROP_DECODE);
	pb.role = KCWATCH__ROLE__ROLE_WITNESS;
	assert_decoded(&pb, NULL, &out);
	assert_int_equal(out.role, ROLE_WITNESS);
}

/* Terms never wrap: above 2^53 a heartbeat is invalid input, dropped and counted as decode. */
static void test_term_bound(void **state)
{
	Kcwatch__Heartbeat pb;
	struct hb_msg out;

	(void)state;
	base_pb(&pb);
	pb.term = HB_TERM_MAX;
	assert_decoded(&pb, NULL, &out);
	assert_true(out.term == HB_TERM_MAX);
	pb.term = HB_TERM_MAX + 1;
	assert_refused(&pb, NULL, HB_DROP_DECODE);
	pb.term = UINT64_MAX;
	assert_refused(&pb, NULL, HB_DROP_DECODE);
}

static void test_digest_length(void **state)
{
	uint8_t digest[33];
	Kcwatch__Heartbeat pb;
	struct hb_msg out;

	memset(digest, 0x5c, sizeof(digest));
	base_pb(&pb);
	pb.config_digest.data = digest;
	pb.config_digest.len = 31;
	assert_refused(&pb, NULL, HB_DROP_DECODE);
	pb.config_digest.len = 33;
	assert_refused(&pb, NULL, HB_DROP_DECODE);
	pb.config_digest.len = 32;
	assert_decoded(&pb, NULL, &out);
	assert_memory_equal(out.config_digest, digest, 32);
	pb.config_digest.len = 0;
	memset(&out, 0xA5, sizeof(out));
	assert_decoded(&pb, NULL, &out);
	memset(digest, 0, sizeof(digest));
	assert_memory_equal(out.config_digest, digest, 32);
}

static void test_reason_truncated(void **state)
{
	char reason[200];
	Kcwatch__BackendState b = KCWATCH__BACKEND_STATE__INIT;
	Kcwatch__BackendState *bp[] = {&b};
	Kcwatch__Heartbeat pb;
	struct hb_msg out;

	set_str(reason, sizeof(reason), 'r', sizeof(reason) - 1);
	base_pb(&pb);
	pb.n_backends = 1;
	pb.backends = bp;
	b.name = "rhbk-1";
	b.reason = reason;
	assert_decoded(&pb, NULL, &out);
	assert_int_equal(strlen(out.backends[0].reason), HB_REASON_MAX - 1);
	assert_memory_equal(out.backends[0].reason, reason, HB_REASON_MAX - 1);
	/* a two-byte UTF-8 character across the limit is dropped whole */
	reason[HB_REASON_MAX - 2] = (char)0xc3;
	reason[HB_REASON_MAX - 1] = (char)0xa9;
	assert_decoded(&pb, NULL, &out);
	assert_int_equal(strlen(out.backends[0].reason), HB_REASON_MAX - 2);
}

/* Peer text is inert: a reason or name relayed in a heartbeat never carries a control
 * character or a newline to a log line, a status field or a terminal. */
static void test_peer_text_inert(void **state)
{
	Kcwatch__BackendState b = KCWATCH__BACKEND_STATE__INIT;
	Kcwatch__BackendState *bp[] = {&b};
	Kcwatch__Heartbeat pb;
	struct hb_msg out;

	(void)state;
	base_pb(&pb);
	pb.n_backends = 1;
	pb.backends = bp;
	pb.leader = "lb\n<0>x";
	pb.active_backend = "sno\x1b[2J";
	b.name = "sno\x1b[2J";
	b.reason = "JSON status DOWN\n<0>forged (expected UP)\r";
	assert_decoded(&pb, NULL, &out);
	assert_string_equal(out.leader, "lb\\n<0>x");
	assert_string_equal(out.active_backend, "sno\\x1b[2J");
	assert_string_equal(out.backends[0].name, "sno\\x1b[2J");
	assert_string_equal(out.backends[0].reason,
			    "JSON status DOWN\\n<0>forged (expected UP)\\r");
	pb.node = "lb-a\x07";
	assert_decoded(&pb, NULL, &out);
	assert_string_equal(out.node, "lb-a\\x07");
}

/* --- encoder errors -------------------------------------------------------- */

static void test_encode_buffer_too_small(void **state)
{
	struct hmac *h = hmac_new(key_a, sizeof(key_a));
	uint8_t buf[HB_MAX_DATAGRAM];
	struct hb_msg m;
	size_t size, i;
	int n;

	assert_non_null(h);
	fill_msg(&m);
	n = hb_encode(&m, h, buf, sizeof(buf));
	assert_true(n > HB_OVERHEAD);
	for (size = 0; size < (size_t)n; size++) {
		memset(buf, 0xA5, sizeof(buf));
		assert_int_equal(hb_encode(&m, h, buf, size), -EMSGSIZE);
		for (i = 0; i < sizeof(buf); i++)
			assert_int_equal(buf[i], 0xA5);
	}
	assert_int_equal(hb_encode(&m, h, buf, (size_t)n), n);
	hmac_free(h);
}

static void test_encode_invalid(void **state)
{
	struct hmac *h = hmac_new(key_a, sizeof(key_a));
	uint8_t buf[HB_MAX_DATAGRAM];
	struct hb_msg m;

	assert_non_null(h);
	fill_msg(&m);
	m.n_backends = CFG_MAX_BACKENDS + 1;
	assert_int_equal(hb_encode(&m, h, buf, sizeof(buf)), -EINVAL);
	fill_msg(&m);
	m.role = ROLE_WITNESS + 1;
	assert_int_equal(hb_encode(&m, h, buf, sizeof(buf)), -EINVAL);
	fill_msg(&m);
	memset(m.node, 'n', sizeof(m.node));
	assert_int_equal(hb_encode(&m, h, buf, sizeof(buf)), -EINVAL);
	fill_msg(&m);
	memset(m.backends[2].reason, 'r', sizeof(m.backends[2].reason));
	assert_int_equal(hb_encode(&m, h, buf, sizeof(buf)), -EINVAL);
	fill_msg(&m);
	assert_int_equal(hb_encode(&m, NULL, buf, sizeof(buf)), -EINVAL);
	hmac_free(h);
}

static void test_drop_names(void **state)
{
	static const char *const want[HB_DROP__COUNT] = {
	    "short",	    "oversize", "magic",  "auth", "decode",	    "version", "cluster",
	    "unknown_node", "source",	"replay", "self", "unknown_source", "rcvbuf"};
	int i;

	for (i = 0; i < HB_DROP__COUNT; i++)
		assert_string_equal(hb_drop_name((enum hb_drop)i), want[i]);
	assert_string_equal(hb_drop_name(HB_DROP__COUNT), "unknown");
	assert_string_equal(hb_drop_name((enum hb_drop) - 1), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip_all_fields),
	    cmocka_unit_test(test_roundtrip_defaults),
	    cmocka_unit_test(test_roundtrip_largest),
	    cmocka_unit_test(test_flip_every_byte),
	    cmocka_unit_test(test_wrong_key),
	    cmocka_unit_test(test_truncate_every_length),
	    cmocka_unit_test(test_oversize),
	    cmocka_unit_test(test_max_size_with_unknown_field),
	    cmocka_unit_test(test_bad_magic_signed),
	    cmocka_unit_test(test_other_cluster),
	    cmocka_unit_test(test_signed_garbage),
	    cmocka_unit_test(test_version),
	    cmocka_unit_test(test_long_strings),
	    cmocka_unit_test(test_long_backend_name),
	    cmocka_unit_test(test_too_many_backends),
	    cmocka_unit_test(test_role_range),
	    cmocka_unit_test(test_term_bound),
	    cmocka_unit_test(test_digest_length),
	    cmocka_unit_test(test_reason_truncated),
	    cmocka_unit_test(test_peer_text_inert),
	    cmocka_unit_test(test_encode_buffer_too_small),
	    cmocka_unit_test(test_encode_invalid),
	    cmocka_unit_test(test_drop_names),
	    cmocka_unit_test(test_two_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
