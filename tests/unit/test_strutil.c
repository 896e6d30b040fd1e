/* SPDX-License-Identifier: MIT */
/* test_strutil.c: the small string helpers: copy, append, trim. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(copy_fits),
	    cmocka_unit_test(copy_truncates),
	    cmocka_unit_test(append_and_trim),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
