/* SPDX-License-Identifier: MIT */
/* test_strutil.c: the small string helpers: copy, append, trim, escape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "strutil.h"

static void copy_fits(void **state)
{
	char buf[8];

	memset(buf, 'x', sizeof(buf));
	assert_true(str_copy(buf, sizeof(buf), "lb1"));
	assert_string_equal(buf, "lb1");
	assert_true(str_copy(buf, sizeof(buf), "1234567")); /* exactly fills, with the NUL */
	assert_string_equal(buf, "1234567");
	assert_true(str_copy(buf, sizeof(buf), NULL));
	assert_string_equal(buf, "");
}

static void copy_truncates(void **state)
{
	char buf[4];

	assert_false(str_copy(buf, sizeof(buf), "keycloak"));
	assert_string_equal(buf, "key");
	assert_false(str_copy(buf, 1, "x"));
	assert_string_equal(buf, "");
}

static void append_and_trim(void **state)
{
	char buf[12] = "a";
	char line[] = " \t value  \n";

	str_append(buf, sizeof(buf), "%s=%d", "b", 42);
	assert_string_equal(buf, "ab=42");
	str_append(buf, sizeof(buf), "%s", "0123456789");
	assert_string_equal(buf, "ab=42012345");
	assert_string_equal(str_trim(line), "value");
}

static void assert_printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			fail_msg("byte 0x%02x left in escaped text", (unsigned char)*s);
}

static void escape_controls(void **state)
{
	static const char in[] = "DOWN\n<0>forged\r\t\x1b[2J\x7f\xc3\xa9 a\\b";
	char buf[128];

	assert_true(str_escape(buf, sizeof(buf), in, sizeof(in) - 1));
	assert_string_equal(buf, "DOWN\\n<0>forged\\r\\t\\x1b[2J\\x7f\\xc3\\xa9 a\\b");
	assert_printable(buf);
	/* a NUL inside the counted bytes is escaped too, not an end */
	assert_true(str_escape(buf, sizeof(buf), "a\0b", 3));
	assert_string_equal(buf, "a\\x00b");
	assert_true(str_escape(buf, sizeof(buf), NULL, 5));
	assert_string_equal(buf, "");
}

static void escape_idempotent(void **state)
{
	char once[64], twice[64];
	unsigned char all[256];

	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	for (size_t off = 0; off < 256; off += 13) {
		size_t n = off + 13 <= 256 ? 13 : 256 - off;

		assert_true(str_escape(once, sizeof(once), (const char *)all + off, n));
		assert_printable(once);
		assert_true(str_escape(twice, sizeof(twice), once, strlen(once)));
		assert_string_equal(twice, once);
	}
}

static void escape_truncates_whole_escapes(void **state)
{
	char buf[8];

	/* "ab" + "\x1b" is 6 bytes; "\n" would make 8 with the NUL: cut before it */
	assert_false(str_escape(buf, sizeof(buf), "ab\x1b\ncd", 6));
	assert_string_equal(buf, "ab\\x1b");
	assert_false(str_escape(buf, 4, "\x01", 1)); /* 4 bytes + NUL do not fit in 4 */
	assert_string_equal(buf, "");
	assert_true(str_escape(buf, 5, "\x01", 1));
	assert_string_equal(buf, "\\x01");
}

static void escape_in_place(void **state)
{
	char buf[32] = "up\n\x1b[2Jx";
	char small[7] = "a\tb\tc";
	char plain[8] = "lb1";

	assert_true(str_escape_inplace(buf, sizeof(buf)));
	assert_string_equal(buf, "up\\n\\x1b[2Jx");
	assert_false(str_escape_inplace(small, sizeof(small)));
	assert_string_equal(small, "a\\tb\\t"); /* 6 bytes and the NUL: no room for "c" */
	assert_true(str_escape_inplace(plain, sizeof(plain)));
	assert_string_equal(plain, "lb1");
}

/* A cut escape leaves the text shorter than the raw one: nothing raw stays behind its end. */
static void escape_in_place_zeroes_tail(void **state)
{
	char buf[8] = "abcd\x01\x02";
	const char want[8] = "abcd";

	assert_false(str_escape_inplace(buf, sizeof(buf)));
	assert_memory_equal(buf, want, sizeof(buf));
	/* a full buffer without a NUL: stays inside it */
	char full[4] = {'\x01', 'a', 'b', 'c'};
	const char want_full[4] = {0};

	assert_false(str_escape_inplace(full, sizeof(full)));
	assert_memory_equal(full, want_full, sizeof(full));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(copy_fits),	 cmocka_unit_test(copy_truncates),
	    cmocka_unit_test(append_and_trim),	 cmocka_unit_test(escape_controls),
	    cmocka_unit_test(escape_idempotent), cmocka_unit_test(escape_truncates_whole_escapes),
	    cmocka_unit_test(escape_in_place),	 cmocka_unit_test(escape_in_place_zeroes_tail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
