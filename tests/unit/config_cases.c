/* SPDX-License-Identifier: MIT */
/* config_cases.c: runs the config tests' table rows; the file helpers they share. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_cases.h"
#include "tmpdir.h"

void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
}

void path_in(const char *dir, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", dir, name);
}

void subst_dir(const char *in, const char *dir, char *out, size_t len)
{
	size_t n = 0;

	for (const char *m; (m = strstr(in, DIR_MARK)); in = m + strlen(DIR_MARK))
		n += (size_t)snprintf(out + n, len - n, "%.*s%s", (int)(m - in), in, dir);
	n += (size_t)snprintf(out + n, len - n, "%s", in);
	assert_true(n < len);
}

struct kcw_config *load_ok(const char *conf, const char *row)
{
	struct kcw_config *cfg = NULL;
	char err[CFG_ERR_MAX] = "";
	int rc = config_load(conf, &cfg, err, sizeof(err));

	if (rc != 0)
		fail_msg("%s: config_load failed (%d): %s", row, rc, err);
	assert_non_null(cfg);
	return cfg;
}

struct kcw_config *load_text(const char *dir, const char *text)
{
	char conf[PATH_MAX];

	path_in(dir, "kcwatch.conf", conf, sizeof(conf));
	write_file(conf, text, 0644);
	return load_ok(conf, "load_text");
}

void assert_addr(const struct kcw_addr *a, const char *text)
{
	char buf[ADDR_STRLEN];

	assert_string_equal(addr_str(a, buf, sizeof(buf)), text);
}

void assert_in_dir(const char *path, const char *dir, const char *name)
{
	char want[PATH_MAX + 32];

	path_in(dir, name, want, sizeof(want));
	assert_string_equal(path, want);
}

/* --- the runner ------------------------------------------------------------------------------- */

static void make_file(const char *dir, const struct conf_case *c)
{
	char path[PATH_MAX];

	path_in(dir, c->file, path, sizeof(path));
	if (c->file_text)
		write_file(path, c->file_text, c->file_mode);
	else
		assert_int_equal(mkdir(path, 0700), 0);
}

/* Loading conf must fail with exactly "conf:" want and leave *out untouched. */
static void expect_err(const char *conf, const char *want, const char *row)
{
	struct kcw_config *sentinel = malloc(sizeof(*sentinel));
	struct kcw_config *cfg = sentinel;
	char err[CFG_ERR_MAX] = "", full[CFG_ERR_MAX + PATH_MAX];
	bool untouched;
	int rc;

	assert_non_null(sentinel);
	rc = config_load(conf, &cfg, err, sizeof(err));
	snprintf(full, sizeof(full), "%s:%s", conf, want);
	untouched = cfg == sentinel;
	free(sentinel);
	if (rc >= 0 || !untouched || strcmp(err, full) != 0)
		fail_msg("%s: rc %d, *out %s, error\n  '%s', expected\n  '%s'", row, rc,
			 untouched ? "untouched" : "changed", err, full);
}

static void run_row(const char *dir, const struct conf_case *c, const char *row)
{
	char raw[TEXT_MAX], text[TEXT_MAX], want[CFG_ERR_MAX], conf[PATH_MAX];
	struct kcw_config *cfg;

	if (c->file)
		make_file(dir, c);
	if (c->gen)
		c->gen(raw, sizeof(raw));
	subst_dir(c->gen ? raw : c->text, dir, text, sizeof(text));
	path_in(dir, "kcwatch.conf", conf, sizeof(conf));
	write_file(conf, text, 0644);
	if (c->err) {
		subst_dir(c->err, dir, want, sizeof(want));
		expect_err(conf, want, row);
		return;
	}
	cfg = load_ok(conf, row);
	c->check(cfg, dir);
	config_free(cfg);
}

/* Runs the named row *state points at and the unnamed rows after it. */
static void run_case(void **state)
{
	const struct run *r = *state;
	const struct conf_case *c = r->row;

	char row[CFG_NAME_MAX + 32];

	do {
		snprintf(row, sizeof(row), "%s, row %d", r->row->name, (int)(c - r->row) + 1);
		run_row(r->dir, c, row);
		c++;
	} while (c < r->end && !c->name);
}

/* A fresh directory with DIR/cluster.key (bytes 0..31), its real path in dir. */
static int make_dir(char *dir, size_t len)
{
	char tmpl[PATH_MAX], key[PATH_MAX];

	snprintf(tmpl, sizeof(tmpl), "%s/kcw-test-config-XXXXXX", test_tmpdir());
	if (!mkdtemp(tmpl) || !realpath(tmpl, dir) || strlen(dir) >= len - 32)
		return -1;
	path_in(dir, "cluster.key", key, sizeof(key));
	write_file(key, KEY32_B64 "\n", 0600);
	return 0;
}

int config_cases_main(const struct conf_case *cases, size_t n_cases,
		      const struct CMUnitTest *others, size_t n_others)
{
	struct CMUnitTest *tests = calloc(n_cases + n_others, sizeof(*tests));
	struct run *runs = calloc(n_cases + n_others, sizeof(*runs));
	char dir[PATH_MAX], cmd[PATH_MAX + 16];
	size_t n = 0;
	int rc = 1;

	if (tests && runs && make_dir(dir, sizeof(dir)) == 0) {
		for (size_t i = 0; i < n_cases + n_others; i++) {
			bool row = i < n_cases;

			if (row && !cases[i].name)
				continue;
			runs[n] = (struct run){dir, row ? &cases[i] : NULL, cases + n_cases};
			tests[n] =
			    row ? (struct CMUnitTest){cases[i].name, run_case, NULL, NULL, NULL}
				: others[i - n_cases];
			tests[n].initial_state = &runs[n];
			n++;
		}
		rc = _cmocka_run_group_tests("tests", tests, n, NULL, NULL);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			rc = 1;
	}
	free(tests);
	free(runs);
	return rc;
}
