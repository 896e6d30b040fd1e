/* SPDX-License-Identifier: MIT */
/* fuzz_dnsanswer.c: libFuzzer harness: arbitrary bytes as the answer to a signed update/query. */
/*
 * Build and run (from the source tree, out of tree output):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I. -Idaemon/lib -Idaemon/cluster -Idns \
 *     fuzz/fuzz_dnsanswer.c dns/dnsmsg.c dns/tsigkey.c daemon/lib/addr.c \
 *     $(pkg-config --cflags --libs ldns libcrypto) -o fuzz_dnsanswer
 *   ./fuzz_dnsanswer -max_total_time=30
 * Byte 0 picks the request (update, fence read, address query); the rest is the
 * datagram, its id forced to the request's so that parsing goes past the id check.
 * The TXT texts found then go through the fence logic of a leader with term 3 (seeds
 * fence-huge-term and fence-implausible-term: terms that must never fence or wrap).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fence.h"
#include "tsigkey.h"
#include "dnsmsg.h"

#define KEYTEXT                                                                                    \
	"key \"kcwatch-key\" { algorithm hmac-sha256; "                                            \
	"secret \"rPvWFLut1Qd5KbU2nFrbN0RbBgHRM+mki/3MRSC9nm4=\"; };"
#define ID 0x4b43

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fence_check(const char (*texts)[DNSMSG_TXT_MAX], size_t n)
{
	const char *ptrs[4];
	struct fence_state st;
	struct fence_value next;

	for (size_t i = 0; i < n && i < 4; i++)
		ptrs[i] = texts[i];
	fence_init(&st, 1000);
	fence_lead(&st, 3, "lb1");
	switch (fence_on_read(&st, ptrs, n < 4 ? n : 4, 5000)) {
	case FENCE_STALE: /* only a plausible claim above ours fences */
		if (st.stale_term > 3 + FENCE_IMPLAUSIBLE_GAP || st.stale_term < 3)
			abort();
		break;
	case FENCE_WRITE:
		fence_next(&st, &next);
		if (next.term != 3)
			abort();
		break;
	case FENCE_WAIT:
	case FENCE_UNFENCED:
	case FENCE_REREAD:
	case FENCE_IMPLAUSIBLE:
	default:
		break;
	}
	if (st.cur.term > FENCE_TERM_MAX)
		abort();
}

static int build(unsigned which, const struct tsig_key *k, struct dnsmsg_req *r)
{
	struct kcw_addr v4 = {.family = AF_INET, .u.bytes = {10, 0, 0, 5}};
	struct dnsmsg_update u = {.zone = "local.mylab.io",
				  .name = "keycloak.local.mylab.io",
				  .ttl = 30,
				  .v4 = &v4,
				  .fence = true,
				  .fence_text = "term=2 node=lb1 seq=1"};
	char err[256];

	if (which == 0)
		return dnsmsg_build_update(&u, k, ID, r, err, sizeof(err));
	if (which == 1)
		return dnsmsg_build_query("_kcwatch.keycloak.local.mylab.io", LDNS_RR_TYPE_TXT, k,
					  ID, r, err, sizeof(err));
	return dnsmsg_build_query("keycloak.local.mylab.io", LDNS_RR_TYPE_ANY,
				  which == 2 ? k : NULL, ID, r, err, sizeof(err));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsig_key k;
	struct dnsmsg_req r;
	struct dnsmsg_answer a;
	char err[256], texts[4][DNSMSG_TXT_MAX], text[256];
	uint8_t *copy;

	if (size < 1)
		return 0;
	if (tsigkey_parse(KEYTEXT, strlen(KEYTEXT), "fuzz", &k, err, sizeof(err)) < 0)
		abort();
	if (build(data[0] % 4, &k, &r) < 0)
		abort();
	copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	if (size - 1 >= 2) {
		copy[0] = ID >> 8;
		copy[1] = ID & 0xff;
	}
	if (dnsmsg_parse_answer(&r, copy, size - 1, &a) == 0) {
		dnsmsg_explain(&a, "local.mylab.io", "127.0.0.1#53", err, sizeof(err));
		fence_check(texts, dnsmsg_txt_texts(a.rrs, texts, 4));
		dnsmsg_addrs_text(a.rrs, text, sizeof(text));
		dnsmsg_addrs_match(a.rrs, NULL, NULL);
		dnsmsg_answer_clear(&a);
	}
	free(copy);
	dnsmsg_req_free(&r);
	tsigkey_clear(&k);
	return 0;
}
