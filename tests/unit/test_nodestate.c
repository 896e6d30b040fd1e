/* SPDX-License-Identifier: MIT */
/* test_nodestate.c: unit tests for the node state file: parse, missing, corrupt, atomic save. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nodestate.h"
#include "tmpdir.h"

struct fx {
	char dir[256];
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "%s/kcw-test-nodestate-XXXXXX", test_tmpdir());
	if (!mkdtemp(fx->dir))
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	DIR *d = opendir(fx->dir);
	struct dirent *e;
	char p[600];

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || e->d_name[1] == '.'))
			continue;
		snprintf(p, sizeof(p), "%s/%s", fx->dir, e->d_name);
		if (unlink(p) < 0)
			rmdir(p);
	}
	if (d)
		closedir(d);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static void put(const struct fx *fx, const char *name, const char *text)
{
	char p[600];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", fx->dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_parse(void **state)
{
	struct nodestate st;
	char why[128];

	assert_int_equal(
	    nodestate_parse("# c\nincarnation=42\nmaintenance=on\n", &st, why, sizeof(why)), 0);
	assert_int_equal(st.incarnation, 42);
	assert_true(st.maintenance);
	assert_int_equal(nodestate_parse("maintenance=off\nincarnation=18446744073709551615", &st,
					 why, sizeof(why)),
			 0);
	assert_int_equal(st.incarnation, UINT64_MAX);
	assert_false(st.maintenance);
}

static void test_parse_corrupt(void **state)
{
	static const char *bad[] = {
	    "",
	    "incarnation=42\n",					  /* maintenance missing */
	    "maintenance=on\n",					  /* incarnation missing */
	    "incarnation=4x2\nmaintenance=on\n",		  /* not a number */
	    "incarnation=-1\nmaintenance=on\n",			  /* negative */
	    "incarnation=\nmaintenance=on\n",			  /* empty */
	    "incarnation=99999999999999999999\nmaintenance=on\n", /* overflow */
	    "incarnation=42\nmaintenance=yes\n",		  /* not on/off */
	    "incarnation=42\nmaintenance=on\nx=1\n",		  /* unknown key */
	    "incarnation 42\nmaintenance=on\n",			  /* no '=' */
	    "\x01\x02garbage",
	};
	struct nodestate st;
	char why[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(nodestate_parse(bad[i], &st, why, sizeof(why)), -EINVAL);
}

static void test_missing(void **state)
{
	struct fx *fx = *state;
	struct nodestate st;
	char why[600];

	assert_int_equal(nodestate_load(fx->dir, "lb1", &st, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "/lb1.state: No such file or directory"));
}

static void test_corrupt_file(void **state)
{
	struct fx *fx = *state;
	struct nodestate st;
	char why[600], p[600];

	put(fx, "lb1.state", "incarnation=12\n\nmaintenance=maybe\n");
	assert_int_equal(nodestate_load(fx->dir, "lb1", &st, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "lb1.state: corrupt (line 3: "));
	/* truncated, as a torn write of an older version would leave it */
	put(fx, "lb1.state", "incarn");
	assert_int_equal(nodestate_load(fx->dir, "lb1", &st, why, sizeof(why)), -EINVAL);
	/* not a regular file */
	snprintf(p, sizeof(p), "%s/lb2.state", fx->dir);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(nodestate_load(fx->dir, "lb2", &st, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "not a regular file"));
}

static void test_save_load(void **state)
{
	struct fx *fx = *state;
	struct nodestate st = {.incarnation = 7, .maintenance = true}, got;
	char why[600], p[600];
	struct stat sb;

	assert_int_equal(nodestate_save(fx->dir, "lb1", &st, why, sizeof(why)), 0);
	assert_int_equal(nodestate_load(fx->dir, "lb1", &got, why, sizeof(why)), 0);
	assert_int_equal(got.incarnation, 7);
	assert_true(got.maintenance);
	snprintf(p, sizeof(p), "%s/lb1.state", fx->dir);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* no temp file is left behind */
	snprintf(p, sizeof(p), "%s/lb1.state.tmp", fx->dir);
	assert_int_equal(access(p, F_OK), -1);
	/* nodes sharing a directory do not collide */
	st.incarnation = 100;
	st.maintenance = false;
	assert_int_equal(nodestate_save(fx->dir, "lb2", &st, why, sizeof(why)), 0);
	assert_int_equal(nodestate_load(fx->dir, "lb1", &got, why, sizeof(why)), 0);
	assert_int_equal(got.incarnation, 7);
}

/* The old file stays whole until the new one is complete: a stale temp file (a crash
 * between write and rename) is overwritten, never read, and never replaces the file. */
static void test_atomic(void **state)
{
	struct fx *fx = *state;
	struct nodestate st = {.incarnation = 7}, got;
	char why[600], p[600];
	int fd;

	assert_int_equal(nodestate_save(fx->dir, "lb1", &st, why, sizeof(why)), 0);
	put(fx, "lb1.state.tmp", "incarnation=1\nmaint"); /* a crash mid-write */
	assert_int_equal(nodestate_load(fx->dir, "lb1", &got, why, sizeof(why)), 0);
	assert_int_equal(got.incarnation, 7);
	st.incarnation = 8;
	assert_int_equal(nodestate_save(fx->dir, "lb1", &st, why, sizeof(why)), 0);
	assert_int_equal(nodestate_load(fx->dir, "lb1", &got, why, sizeof(why)), 0);
	assert_int_equal(got.incarnation, 8);
	/* a directory that cannot take the temp file: the old file is untouched */
	snprintf(p, sizeof(p), "%s/lb1.state.tmp", fx->dir);
	assert_int_equal(mkdir(p, 0700), 0);
	st.incarnation = 9;
	assert_true(nodestate_save(fx->dir, "lb1", &st, why, sizeof(why)) < 0);
	assert_int_equal(nodestate_load(fx->dir, "lb1", &got, why, sizeof(why)), 0);
	assert_int_equal(got.incarnation, 8);
	assert_int_equal(rmdir(p), 0);
	/* a symlink planted as the temp file is not followed */
	snprintf(why, sizeof(why), "%s/elsewhere", fx->dir);
	assert_int_equal(symlink(why, p), 0);
	assert_true(nodestate_save(fx->dir, "lb1", &st, why, sizeof(why)) < 0);
	snprintf(p, sizeof(p), "%s/elsewhere", fx->dir);
	fd = open(p, O_RDONLY);
	assert_int_equal(fd, -1);
	/* missing directory */
	assert_int_equal(nodestate_save("/nonexistent-kcw-dir", "lb1", &st, why, sizeof(why)),
			 -ENOENT);
	assert_non_null(strstr(why, "/nonexistent-kcw-dir/lb1.state: write:"));
}

static void test_next_incarnation(void **state)
{
	struct nodestate prev = {.incarnation = 41};

	assert_int_equal(nodestate_next_incarnation(&prev, true, 999999), 42);
	/* the counter does not look at the clock: a smaller wall clock changes nothing */
	assert_int_equal(nodestate_next_incarnation(&prev, true, 1), 42);
	assert_int_equal(nodestate_next_incarnation(&prev, false, 999999), 999999);
	prev.incarnation = UINT64_MAX;
	assert_int_equal(nodestate_next_incarnation(&prev, true, 5), 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_parse_corrupt),
	    cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_atomic, setup, teardown),
	    cmocka_unit_test(test_next_incarnation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
