/* SPDX-License-Identifier: MIT */
/* test_notify.c: sd_notify address and watchdog parsing, and datagrams on real path/abstract
 * sockets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"
#include "tmpdir.h"

static void test_parse_path(void **state)
{
	struct sockaddr_un sun;
	socklen_t len = 0;

	(void)state;
	assert_int_equal(notify_parse_address("/run/systemd/notify", &sun, &len), 0);
	assert_int_equal(sun.sun_family, AF_UNIX);
	assert_string_equal(sun.sun_path, "/run/systemd/notify");
	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) +
				  strlen("/run/systemd/notify") + 1);
}

static void test_parse_abstract(void **state)
{
	struct sockaddr_un sun;
	socklen_t len = 0;

	(void)state;
	assert_int_equal(notify_parse_address("@kcw/notify", &sun, &len), 0);
	assert_int_equal(sun.sun_path[0], '\0');
	assert_memory_equal(sun.sun_path + 1, "kcw/notify", 10);
	/* no trailing NUL in the length: the abstract name is exactly its bytes */
	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 11);
}

static void test_parse_rejects(void **state)
{
	struct sockaddr_un sun;
	socklen_t len;
	char longp[sizeof(sun.sun_path) + 2];

	(void)state;
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(notify_parse_address(NULL, &sun, &len), -EINVAL);
	assert_int_equal(notify_parse_address("", &sun, &len), -EINVAL);
	assert_int_equal(notify_parse_address("@", &sun, &len), -EINVAL);
	assert_int_equal(notify_parse_address("/", &sun, &len), -EINVAL);
	assert_int_equal(notify_parse_address("run/notify", &sun, &len), -EINVAL);
	assert_int_equal(notify_parse_address("vsock:2:1234", &sun, &len), -EINVAL);
	assert_int_equal(notify_parse_address(longp, &sun, &len), -EINVAL);
	longp[sizeof(sun.sun_path) - 1] = '\0'; /* 107 characters + NUL fit */
	assert_int_equal(notify_parse_address(longp, &sun, &len), 0);
}

static void test_parse_watchdog(void **state)
{
	(void)state;
	assert_int_equal(notify_parse_watchdog("10000000", NULL, 42), 10000000);
	assert_int_equal(notify_parse_watchdog("10000000", "", 42), 10000000);
	assert_int_equal(notify_parse_watchdog("10000000", "42", 42), 10000000);
	assert_int_equal(notify_parse_watchdog("10000000", "43", 42), 0);
	assert_int_equal(notify_parse_watchdog("10000000", "x", 42), 0);
	assert_int_equal(notify_parse_watchdog(NULL, NULL, 42), 0);
	assert_int_equal(notify_parse_watchdog("0", NULL, 42), 0);
	assert_int_equal(notify_parse_watchdog("-5", NULL, 42), 0);
	assert_int_equal(notify_parse_watchdog("12abc", NULL, 42), 0);
	assert_int_equal(notify_parse_watchdog("", NULL, 42), 0);
}

/* A datagram socket bound to name (a path, or "@x" for abstract); returns the fd. */
static int listener(const char *name)
{
	struct sockaddr_un sun;
	socklen_t len;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(notify_parse_address(name, &sun, &len), 0);
	if (name[0] == '/')
		unlink(name);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, len), 0);
	return fd;
}

static void expect_msg(int fd, const char *want)
{
	char buf[1100];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static void exchange(const char *name)
{
	int fd = listener(name);
	struct notify *n;
	char pid[24];

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("NOTIFY_SOCKET", name, 1);
	setenv("WATCHDOG_USEC", "2000000", 1);
	setenv("WATCHDOG_PID", pid, 1);
	n = notify_new(true);
	assert_non_null(n);
	assert_true(notify_enabled(n));
	assert_int_equal(notify_watchdog_usec(n), 2000000);
	assert_null(getenv("NOTIFY_SOCKET"));
	assert_null(getenv("WATCHDOG_USEC"));
	assert_null(getenv("WATCHDOG_PID"));
	assert_int_equal(notify_ready(n, "leader, term 3\nsecond line"), 0);
	expect_msg(fd, "READY=1\nSTATUS=leader, term 3 second line");
	assert_int_equal(notify_status(n, "follower"), 0);
	expect_msg(fd, "STATUS=follower");
	assert_int_equal(notify_watchdog(n), 0);
	expect_msg(fd, "WATCHDOG=1");
	assert_int_equal(notify_stopping(n), 0);
	expect_msg(fd, "STOPPING=1");
	assert_int_equal(notify_reloading(n), 0);
	{
		char buf[256];
		ssize_t len = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

		assert_true(len > 0);
		buf[len] = '\0';
		assert_true(strncmp(buf, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0);
	}
	notify_free(n);
	close(fd);
	if (name[0] == '/')
		unlink(name);
}

static void test_path_socket(void **state)
{
	char path[108]; /* sun_path */

	(void)state;
	snprintf(path, sizeof(path), "%s/kcw-notify-test.%d", test_tmpdir(), (int)getpid());
	exchange(path);
}

static void test_abstract_socket(void **state)
{
	char name[64];

	(void)state;
	snprintf(name, sizeof(name), "@kcw-notify-test/%d", (int)getpid());
	exchange(name);
}

static void test_unset_is_noop(void **state)
{
	struct notify *n;

	(void)state;
	unsetenv("NOTIFY_SOCKET");
	setenv("WATCHDOG_USEC", "1000000", 1);
	unsetenv("WATCHDOG_PID");
	n = notify_new(false);
	assert_non_null(n);
	assert_false(notify_enabled(n));
	/* a watchdog without a socket to ping is no watchdog */
	assert_int_equal(notify_watchdog_usec(n), 0);
	assert_int_equal(notify_ready(n, "x"), 0);
	assert_int_equal(notify_watchdog(n), 0);
	assert_int_equal(notify_stopping(n), 0);
	assert_string_equal(getenv("WATCHDOG_USEC"), "1000000"); /* unset_env = false */
	notify_free(n);
	unsetenv("WATCHDOG_USEC");
	notify_free(NULL);
}

static void test_bad_socket_refused(void **state)
{
	(void)state;
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	errno = 0;
	assert_null(notify_new(true));
	assert_int_equal(errno, EINVAL);
	assert_null(getenv("NOTIFY_SOCKET"));
}

static void test_peer_gone(void **state)
{
	char path[108]; /* sun_path */
	int fd;
	struct notify *n;

	(void)state;
	snprintf(path, sizeof(path), "%s/kcw-notify-gone.%d", test_tmpdir(), (int)getpid());
	fd = listener(path);
	setenv("NOTIFY_SOCKET", path, 1);
	n = notify_new(true);
	assert_non_null(n);
	close(fd);
	unlink(path);
	/* systemd gone: an error, never a crash or a block */
	assert_true(notify_watchdog(n) < 0);
	assert_true(notify_watchdog(n) < 0);
	notify_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_path),	  cmocka_unit_test(test_parse_abstract),
	    cmocka_unit_test(test_parse_rejects), cmocka_unit_test(test_parse_watchdog),
	    cmocka_unit_test(test_path_socket),	  cmocka_unit_test(test_abstract_socket),
	    cmocka_unit_test(test_unset_is_noop), cmocka_unit_test(test_bad_socket_refused),
	    cmocka_unit_test(test_peer_gone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
