/* SPDX-License-Identifier: MIT */
/* fuzz_heartbeat.c: libFuzzer harness for hb_decode (plus the seed corpus generator). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heartbeat.h"
#include "role.h"

/*
 * Each input is decoded twice with a fixed key:
 *  1. as is, which exercises the framing checks (size, magic, tag);
 *  2. framed and signed with the right key ("KCW1" | payload | tag, where the
 *     payload is the input without its magic and tag when it looks like a
 *     datagram, else the whole input), so the fuzzer reaches the protobuf
 *     parser and the field checks behind the tag.
 * Whatever decodes must survive encode -> decode unchanged.
 *
 * Seeds: cc -DKCW_FUZZ_SEED_MAIN (without -fsanitize=fuzzer) builds a main()
 * that writes a few valid datagrams: ./gen fuzz/corpus/heartbeat
 */

#define FUZZ_CLUSTER  "kc-prod"
#define FUZZ_OVERHEAD (HB_MAGIC_LEN + HMAC_TAG_LEN)

static const uint8_t fuzz_key[32] = {
    0x6b, 0x63, 0x77, 0x61, 0x74, 0x63, 0x68, 0x2d, 0x66, 0x75, 0x7a, 0x7a, 0x2d, 0x6b, 0x65, 0x79,
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The keyed MAC lives for the whole process (libFuzzer calls us repeatedly). */
static struct hmac *fuzz_hmac(void)
{
	static struct hmac *h;

	if (!h)
		h = hmac_new(fuzz_key, sizeof(fuzz_key));
	if (!h)
		abort();
	return h;
}

static void check_reencode(const struct hb_msg *m, struct hmac *h)
{
	static uint8_t buf[HB_MAX_DATAGRAM];
	static struct hb_msg again;
	enum hb_drop why;
	int n;

	n = hb_encode(m, h, buf, sizeof(buf));
	if (n < 0)
		abort();
	if (hb_decode(buf, (size_t)n, h, m->cluster, &again, &why) != 0)
		abort();
	if (memcmp(m, &again, sizeof(*m)) != 0)
		abort();
}

static void decode_signed(const uint8_t *data, size_t size, struct hmac *h)
{
	static uint8_t dgram[HB_MAX_DATAGRAM];
	static struct hb_msg m;
	enum hb_drop why;
	size_t plen, len;

	if (size >= FUZZ_OVERHEAD && memcmp(data, HB_MAGIC, HB_MAGIC_LEN) == 0) {
		data += HB_MAGIC_LEN;
		size -= FUZZ_OVERHEAD;
	}
	plen = size < HB_MAX_DATAGRAM - FUZZ_OVERHEAD ? size : HB_MAX_DATAGRAM - FUZZ_OVERHEAD;
	len = plen + FUZZ_OVERHEAD;
	memcpy(dgram, HB_MAGIC, HB_MAGIC_LEN);
	if (plen)
		memcpy(dgram + HB_MAGIC_LEN, data, plen);
	if (hmac_sign(h, dgram, len - HMAC_TAG_LEN, dgram + len - HMAC_TAG_LEN) != 0)
		abort();
	if (hb_decode(dgram, len, h, NULL, &m, &why) == 0) {
		if (m.version != HB_VERSION || m.n_backends > CFG_MAX_BACKENDS)
			abort();
		check_reencode(&m, h);
	}
	(void)hb_decode(dgram, len, h, FUZZ_CLUSTER, &m, &why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hb_msg m;
	struct hmac *h = fuzz_hmac();
	enum hb_drop why = HB_DROP__COUNT;

	if (hb_decode(data, size, h, FUZZ_CLUSTER, &m, &why) != 0 && why >= HB_DROP__COUNT)
		abort();
	decode_signed(data, size, h);
	return 0;
}

#ifdef KCW_FUZZ_SEED_MAIN
static void seed_base(struct hb_msg *m, const char *node, int role)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	m->version = HB_VERSION;
	snprintf(m->cluster, sizeof(m->cluster), "%s", FUZZ_CLUSTER);
	snprintf(m->node, sizeof(m->node), "%s", node);
	m->incarnation = 0x6553f1a200c0ffeeULL;
	m->seq = 17;
	m->priority = 150;
	m->eff_priority = 150;
	m->role = role;
	m->term = 3;
	for (i = 0; i < sizeof(m->config_digest); i++)
		m->config_digest[i] = (uint8_t)(0xa0 + i);
	m->interval_ms = 1000;
}

static void seed_backends(struct hb_msg *m)
{
	snprintf(m->active_backend, sizeof(m->active_backend), "rhbk-1");
	m->backend_switches = 1;
	m->n_backends = 2;
	snprintf(m->backends[0].name, sizeof(m->backends[0].name), "rhbk-1");
	m->backends[0].up = true;
	m->backends[0].latency_ms = 12;
	snprintf(m->backends[1].name, sizeof(m->backends[1].name), "rhbk-2");
	snprintf(m->backends[1].reason, sizeof(m->backends[1].reason), "HTTP 503, status DOWN");
	m->backends[1].latency_ms = 840;
}

static int seed_write(const char *dir, const char *name, const struct hb_msg *m)
{
	uint8_t buf[HB_MAX_DATAGRAM];
	char path[4096];
	int n = hb_encode(m, fuzz_hmac(), buf, sizeof(buf));
	FILE *f;

	if (n < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	if (fwrite(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

int main(int argc, char **argv)
{
	struct hb_msg m;
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	seed_base(&m, "lb-a", ROLE_LEADER);
	snprintf(m.leader, sizeof(m.leader), "lb-a");
	m.vips_held = 2;
	seed_backends(&m);
	rc |= seed_write(argv[1], "leader", &m);
	seed_base(&m, "lb-b", ROLE_FOLLOWER);
	m.priority = m.eff_priority = 100;
	snprintf(m.leader, sizeof(m.leader), "lb-a");
	rc |= seed_write(argv[1], "follower", &m);
	seed_base(&m, "wit", ROLE_WITNESS);
	m.priority = m.eff_priority = 0;
	rc |= seed_write(argv[1], "witness", &m);
	seed_base(&m, "lb-a", ROLE_LEADER);
	m.resigning = true;
	m.eff_priority = 0;
	seed_backends(&m);
	rc |= seed_write(argv[1], "resigning", &m);
	seed_base(&m, "lb-a", ROLE_LEADER); /* terms never wrap: dropped as "decode" */
	m.term = UINT64_MAX;
	rc |= seed_write(argv[1], "huge-term", &m);
	return rc ? 1 : 0;
}
#endif
