/* SPDX-License-Identifier: MIT */
/* test_hmac.c: HMAC-SHA256 against RFC 4231 test cases 1-4, 6, 7, and tag verification. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "hmac.h"

static const uint8_t key_a[32] = "kcwatch-unit-test-key-0123456789";

/* Signs data with key and checks the tag against want_hex (the RFC's 64 hex digits). */
static void check_hmac(const uint8_t *key, size_t keylen, const void *data, size_t len,
		       const char *want_hex)
{
	struct hmac *h = hmac_new(key, keylen);
	uint8_t tag[HMAC_TAG_LEN], want[HMAC_TAG_LEN];

	assert_int_equal(strlen(want_hex), 2 * HMAC_TAG_LEN);
	for (size_t i = 0; i < HMAC_TAG_LEN; i++)
		assert_int_equal(sscanf(want_hex + 2 * i, "%2hhx", &want[i]), 1);
	assert_non_null(h);
	memset(tag, 0, sizeof(tag));
	assert_int_equal(hmac_sign(h, data, len, tag), 0);
	assert_memory_equal(tag, want, HMAC_TAG_LEN);
	assert_true(hmac_verify(h, data, len, want));
	/* the keyed context is reused: another message in between leaves no trace */
	assert_int_equal(hmac_sign(h, (const uint8_t *)"other", 5, tag), 0);
	assert_memory_not_equal(tag, want, HMAC_TAG_LEN);
	memset(tag, 0, sizeof(tag));
	assert_int_equal(hmac_sign(h, data, len, tag), 0);
	assert_memory_equal(tag, want, HMAC_TAG_LEN);
	hmac_free(h);
}

static void test_rfc4231_case1(void **state)
{
	uint8_t key[20];

	memset(key, 0x0b, sizeof(key));
	check_hmac(key, sizeof(key), "Hi There", 8,
		   "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

static void test_rfc4231_case2(void **state)
{
	const char *data = "what do ya want for nothing?";

	check_hmac((const uint8_t *)"Jefe", 4, data, strlen(data),
		   "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_rfc4231_case3(void **state)
{
	uint8_t key[20], data[50];

	memset(key, 0xaa, sizeof(key));
	memset(data, 0xdd, sizeof(data));
	check_hmac(key, sizeof(key), data, sizeof(data),
		   "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
}

static void test_rfc4231_case4(void **state)
{
	uint8_t key[25], data[50];
	size_t i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i + 1);
	memset(data, 0xcd, sizeof(data));
	check_hmac(key, sizeof(key), data, sizeof(data),
		   "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
}

static void test_rfc4231_case6(void **state)
{
	const char *data = "Test Using Larger Than Block-Size Key - Hash Key First";
	uint8_t key[131];

	memset(key, 0xaa, sizeof(key));
	check_hmac(key, sizeof(key), data, strlen(data),
		   "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void test_rfc4231_case7(void **state)
{
	const char *data = "This is a test using a larger than block-size key and a larger "
			   "than block-size data. The key needs to be hashed before being "
			   "used by the HMAC algorithm.";
	uint8_t key[131];

	memset(key, 0xaa, sizeof(key));
	check_hmac(key, sizeof(key), data, strlen(data),
		   "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

static void test_hmac_verify_rejects(void **state)
{
	struct hmac *h = hmac_new(key_a, sizeof(key_a));
	uint8_t tag[HMAC_TAG_LEN];
	uint8_t data[] = "heartbeat";
	size_t i;

	assert_non_null(h);
	assert_null(hmac_new(NULL, 0));
	assert_int_equal(hmac_sign(h, data, sizeof(data), tag), 0);
	assert_true(hmac_verify(h, data, sizeof(data), tag));
	for (i = 0; i < HMAC_TAG_LEN; i++) {
		tag[i] ^= 0x01;
		assert_false(hmac_verify(h, data, sizeof(data), tag));
		tag[i] ^= 0x01;
	}
	data[0] ^= 0x80;
	assert_false(hmac_verify(h, data, sizeof(data), tag));
	assert_false(hmac_verify(h, data, sizeof(data) - 1, tag));
	hmac_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc4231_case1),	cmocka_unit_test(test_rfc4231_case2),
	    cmocka_unit_test(test_rfc4231_case3),	cmocka_unit_test(test_rfc4231_case4),
	    cmocka_unit_test(test_rfc4231_case6),	cmocka_unit_test(test_rfc4231_case7),
	    cmocka_unit_test(test_hmac_verify_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
