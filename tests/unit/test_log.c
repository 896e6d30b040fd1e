/* SPDX-License-Identifier: MIT */
/* test_log.c: the journal prefix only when stderr is JOURNAL_STREAM's stream, plain lines else. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "tmpdir.h"

static void test_stream_match(void **state)
{
	struct stat st = {0};
	char v[64];

	(void)state;
	st.st_dev = 27;
	st.st_ino = 123456;
	assert_true(log_stream_is_journal("27:123456", &st));
	assert_false(log_stream_is_journal("27:123457", &st));
	assert_false(log_stream_is_journal("28:123456", &st));
	assert_false(log_stream_is_journal("27:123456x", &st));
	assert_false(log_stream_is_journal("27", &st));
	assert_false(log_stream_is_journal("", &st));
	assert_false(log_stream_is_journal(NULL, &st));
	snprintf(v, sizeof(v), "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
	assert_true(log_stream_is_journal(v, &st));
}

/* Runs log_init() and one message with stderr on a file; returns the file's first line. */
static void logged_line(const char *journal_stream, char *out, size_t len, bool use_file_ids)
{
	char path[512];
	int fd, saved = dup(STDERR_FILENO);
	struct stat st;
	char v[64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/kcw-test-log.XXXXXX", test_tmpdir());
	fd = mkstemp(path);
	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	snprintf(v, sizeof(v), "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
	setenv("JOURNAL_STREAM", use_file_ids ? v : journal_stream, 1);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	log_init(0);
	log_warn("hello %d", 42);
	log_text(LOG_LVL_NOTICE, "metrics: ", "a 1\nb 2\n");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	f = fopen(path, "r");
	assert_non_null(f);
	out[0] = '\0';
	assert_non_null(fgets(out, (int)len, f));
	fclose(f);
	close(fd);
	unlink(path);
	unsetenv("JOURNAL_STREAM");
	log_init(0);
}

static void test_prefix_only_on_the_journal(void **state)
{
	char line[256];

	(void)state;
	logged_line(NULL, line, sizeof(line), true);
	assert_string_equal(line, "<4>hello 42\n");
	/* the variable is inherited, the stream is another one: a plain line */
	logged_line("1:2", line, sizeof(line), false);
	assert_null(strchr(line, '<'));
	assert_non_null(strstr(line, " warning: hello 42\n"));
	assert_true(line[2] == ':' && line[5] == ':' && line[8] == '.');
}

/* In a child with stderr on fd: a true KCW_ASSERT passes, a false one aborts. */
static void assert_child(int fd)
{
	const struct rlimit no_core = {0, 0};

	setrlimit(RLIMIT_CORE, &no_core);
	dup2(fd, STDERR_FILENO);
	unsetenv("JOURNAL_STREAM");
	log_init(0);
	KCW_ASSERT(1 + 1 == 2);
	fputs("passed\n", stderr);
	KCW_ASSERT(1 + 1 == 3);
	_exit(0);
}

static void test_assert_logs_and_aborts(void **state)
{
	char out[512] = "";
	size_t n = 0;
	ssize_t r;
	int fds[2], status;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		assert_child(fds[1]);
	close(fds[1]);
	while (n < sizeof(out) - 1 && (r = read(fds[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	assert_non_null(strstr(out, "passed\n"));
	assert_non_null(strstr(out, " error: assertion failed: 1 + 1 == 3 ("));
	assert_non_null(strstr(out, "test_log.c:"));
	assert_non_null(strstr(out, ", assert_child)\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stream_match),
	    cmocka_unit_test(test_prefix_only_on_the_journal),
	    cmocka_unit_test(test_assert_logs_and_aborts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
