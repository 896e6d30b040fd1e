/* SPDX-License-Identifier: MIT */
/* test_hooks.c: hook programs on the real loop: order, arguments, environment, failures, timeout.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hooks.h"
#include "loop.h"
#include "tmpdir.h"

struct fx {
	char dir[160];
	char log[192];
	struct kcw_config *cfg;
	struct loop *loop;
	struct loop_timer *limit;
	struct hooks *h;
	int idle_calls;
};

static void on_limit(void *arg)
{
	loop_stop(arg);
}

static void on_idle(void *arg)
{
	struct fx *f = arg;

	f->idle_calls++;
	loop_stop(f->loop);
}

/* Writes an executable /bin/sh script NAME in the fixture's directory; returns its path. */
static const char *script(struct fx *f, const char *name, const char *body)
{
	static char path[4][256];
	static int next;
	char *p = path[next++ % 4];
	FILE *fp;

	snprintf(p, sizeof(path[0]), "%s/%s", f->dir, name);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fprintf(fp, "#!/bin/sh\nLOG='%s'\n%s\n", f->log, body);
	fclose(fp);
	assert_int_equal(chmod(p, 0755), 0);
	return p;
}

/* script(f, name, body) as the hook command in slot (one of f->cfg->hook_on_*). */
static void set_hook(struct fx *f, char *slot, const char *name, const char *body)
{
	snprintf(slot, PATH_MAX, "%s", script(f, name, body));
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "%s/kcw-hooks-test.XXXXXX", test_tmpdir());
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->log, sizeof(f->log), "%s/log", f->dir);
	f->cfg = calloc(1, sizeof(*f->cfg));
	assert_non_null(f->cfg);
	snprintf(f->cfg->cluster_name, sizeof(f->cfg->cluster_name), "keycloak");
	f->loop = loop_new();
	f->limit = loop_timer_new(f->loop, on_limit, f->loop);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[256];

	hooks_free(f->h);
	loop_timer_free(f->limit);
	loop_free(f->loop);
	free(f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void start(struct fx *f)
{
	f->h = hooks_new(f->loop, f->cfg);
	assert_non_null(f->h);
	hooks_set_idle_cb(f->h, on_idle, f);
}

/* Runs the loop until the queue is idle or limit_ms passed; returns the ms it took. */
static uint64_t run_until_idle(struct fx *f, uint64_t limit_ms)
{
	uint64_t t0 = loop_now_ms();

	loop_timer_arm(f->limit, limit_ms);
	loop_run(f->loop);
	return loop_now_ms() - t0;
}

static char *read_log(struct fx *f)
{
	static char buf[8192];
	FILE *fp = fopen(f->log, "r");
	size_t n = 0;

	if (fp) {
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	return buf;
}

static const struct hook_info info_leader = {.node = "lb1",
					     .role = "leader",
					     .term = 7,
					     .leader = "lb1",
					     .backend = "sno1",
					     .previous = "follower"};

static void test_order_args_env(void **state)
{
	struct fx *f = *state;
	const char *p =
	    script(f, "hook",
		   "echo \"start $1\" >>\"$LOG\"\n"
		   "sleep 0.05\n"
		   "echo \"args $# $*\" >>\"$LOG\"\n"
		   "echo \"env $KCWATCH_EVENT|$KCWATCH_NODE|$KCWATCH_CLUSTER|$KCWATCH_ROLE|"
		   "$KCWATCH_TERM|$KCWATCH_LEADER|$KCWATCH_BACKEND|$KCWATCH_PREVIOUS|"
		   "${NOTIFY_SOCKET-unset}|$KCWATCH_STALE\" >>\"$LOG\"\n"
		   "case \"$KCWATCH_TIME\" in [0-9]*.[0-9][0-9][0-9]) ;; *) echo badtime "
		   ">>\"$LOG\";; esac\n"
		   "read x && echo stdin-not-empty >>\"$LOG\"\n"
		   "echo \"end $1\" >>\"$LOG\"");
	struct hook_info follower = {.node = "lb1",
				     .role = "follower",
				     .term = 8,
				     .leader = "lb2",
				     .backend = "sno1",
				     .previous = "leader"};
	struct hook_info fault = {.node = "lb1", .role = "fault", .term = 8};
	struct hook_info backend = follower; /* the active backend changes: sno1 -> sno2 */
	struct hooks_stats st;

	backend.backend = "sno2";
	backend.previous = "sno1";
	snprintf(f->cfg->hook_on_leader, PATH_MAX, "%s", p);
	snprintf(f->cfg->hook_on_follower, PATH_MAX, "%s", p);
	snprintf(f->cfg->hook_on_fault, PATH_MAX, "%s", p);
	snprintf(f->cfg->hook_on_backend_change, PATH_MAX, "%s", p);
	setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1);
	setenv("KCWATCH_STALE", "from-outside", 1);
	start(f);
	assert_int_equal(hooks_event(f->h, HOOK_LEADER, &info_leader), 1);
	assert_int_equal(hooks_event(f->h, HOOK_FOLLOWER, &follower), 1);
	assert_int_equal(hooks_event(f->h, HOOK_FAULT, &fault), 1);
	assert_int_equal(hooks_event(f->h, HOOK_BACKEND_CHANGE, &backend), 1);
	assert_true(hooks_busy(f->h));
	run_until_idle(f, 5000);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("KCWATCH_STALE");
	assert_false(hooks_busy(f->h));
	assert_int_equal(f->idle_calls, 1);
	assert_string_equal(read_log(f),
			    "start leader\n"
			    "args 7 leader lb1 leader 7 lb1 sno1 follower\n"
			    "env leader|lb1|keycloak|leader|7|lb1|sno1|follower|unset|\n"
			    "end leader\n"
			    "start follower\n"
			    "args 7 follower lb1 follower 8 lb2 sno1 leader\n"
			    "env follower|lb1|keycloak|follower|8|lb2|sno1|leader|unset|\n"
			    "end follower\n"
			    "start fault\n"
			    "args 7 fault lb1 fault 8   \n"
			    "env fault|lb1|keycloak|fault|8||||unset|\n"
			    "end fault\n"
			    "start backend-change\n"
			    "args 7 backend-change lb1 follower 8 lb2 sno2 sno1\n"
			    "env backend-change|lb1|keycloak|follower|8|lb2|sno2|sno1|unset|\n"
			    "end backend-change\n");
	hooks_get_stats(f->h, &st);
	assert_int_equal(st.ok, 4);
	assert_int_equal(st.failed + st.timed_out + st.exec_failed + st.dropped, 0);
}

static void test_unconfigured_event(void **state)
{
	struct fx *f = *state;

	start(f);
	assert_int_equal(hooks_event(f->h, HOOK_LEADER, &info_leader), 0);
	assert_false(hooks_busy(f->h));
	assert_int_equal(hooks_event(f->h, HOOK__COUNT, &info_leader), -EINVAL);
	assert_int_equal(hooks_event(f->h, HOOK_LEADER, NULL), -EINVAL);
}

static void test_failures_do_not_stop_the_queue(void **state)
{
	struct fx *f = *state;
	struct hooks_stats st;

	snprintf(f->cfg->hook_on_leader, PATH_MAX, "%s/does-not-exist", f->dir);
	set_hook(f, f->cfg->hook_on_follower, "fail", "echo fail >>\"$LOG\"; exit 3");
	set_hook(f, f->cfg->hook_on_fault, "signal", "echo signal >>\"$LOG\"; kill -USR1 $$");
	set_hook(f, f->cfg->hook_on_backend_change, "ok", "echo ok >>\"$LOG\"");
	start(f);
	assert_int_equal(hooks_event(f->h, HOOK_LEADER, &info_leader), 1);
	assert_int_equal(hooks_event(f->h, HOOK_FOLLOWER, &info_leader), 1);
	assert_int_equal(hooks_event(f->h, HOOK_FAULT, &info_leader), 1);
	assert_int_equal(hooks_event(f->h, HOOK_BACKEND_CHANGE, &info_leader), 1);
	run_until_idle(f, 5000);
	assert_string_equal(read_log(f), "fail\nsignal\nok\n");
	hooks_get_stats(f->h, &st);
	assert_int_equal(st.exec_failed, 1);
	assert_int_equal(st.failed, 2);
	assert_int_equal(st.ok, 1);
}

/* A zombie counts as dead: whether anyone reaps orphans here is not the test's business. */
static bool pid_alive(const char *text)
{
	char path[64], stat[256] = "";
	const char *paren;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/stat", atoi(text));
	fp = fopen(path, "r");
	if (!fp)
		return false;
	if (!fgets(stat, sizeof(stat), fp))
		stat[0] = '\0';
	fclose(fp);
	paren = strrchr(stat, ')');
	return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

/* A signal is delivered at once, but dying takes the process a moment. */
static bool pid_gone_soon(const char *text)
{
	for (int i = 0; i < 100; i++) {
		if (!pid_alive(text))
			return true;
		usleep(10000);
	}
	return false;
}

static void test_timeout_kills_the_group(void **state)
{
	struct fx *f = *state;
	struct hooks_stats st;
	char *log;
	uint64_t ms;

	/* ignores SIGTERM and leaves a grandchild behind: both must go */
	set_hook(f, f->cfg->hook_on_leader, "stuck",
		 "trap '' TERM\nsleep 30 &\necho $! >>\"$LOG\"\nwait\nwait");
	set_hook(f, f->cfg->hook_on_follower, "after", "echo after >>\"$LOG\"");
	start(f);
	hooks_set_timeout(f->h, 200, 200);
	hooks_event(f->h, HOOK_LEADER, &info_leader);
	hooks_event(f->h, HOOK_FOLLOWER, &info_leader);
	ms = run_until_idle(f, 5000);
	assert_true(ms >= 400 && ms < 2000);
	log = read_log(f);
	assert_non_null(strstr(log, "\nafter\n"));
	assert_true(pid_gone_soon(log));
	hooks_get_stats(f->h, &st);
	assert_int_equal(st.timed_out, 1);
	assert_int_equal(st.ok, 1);
}

static void test_full_queue_drops_oldest(void **state)
{
	struct fx *f = *state;
	struct hooks_stats st;
	struct hook_info in = info_leader;
	char *log;

	set_hook(f, f->cfg->hook_on_leader, "slow", "sleep 0.2; echo $4 >>\"$LOG\"");
	set_hook(f, f->cfg->hook_on_follower, "quick", "echo $4 >>\"$LOG\"");
	start(f);
	hooks_event(f->h, HOOK_LEADER, &in); /* term 7 runs at once */
	for (int i = 0; i < HOOKS_QUEUE_MAX + 5; i++) {
		in.term = 100 + (uint64_t)i;
		hooks_event(f->h, HOOK_FOLLOWER, &in);
	}
	run_until_idle(f, 10000);
	hooks_get_stats(f->h, &st);
	assert_int_equal(st.dropped, 5);
	assert_int_equal(st.ok, 1 + HOOKS_QUEUE_MAX);
	log = read_log(f);
	assert_true(strncmp(log, "7\n105\n106\n", 10) == 0); /* 100..104 were dropped */
	assert_non_null(strstr(log, "\n136\n"));
}

static void test_free_terminates_a_running_hook(void **state)
{
	struct fx *f = *state;
	uint64_t t0;
	char *log;

	set_hook(f, f->cfg->hook_on_leader, "long", "sleep 30 &\necho $! >>\"$LOG\"\nwait");
	start(f);
	hooks_set_timeout(f->h, 30000, 300);
	hooks_event(f->h, HOOK_LEADER, &info_leader);
	hooks_event(f->h, HOOK_LEADER, &info_leader);
	loop_timer_arm(f->limit, 200);
	loop_run(f->loop);
	t0 = loop_now_ms();
	hooks_free(f->h); /* 300 ms to finish, SIGTERM, gone */
	f->h = NULL;
	assert_true(loop_now_ms() - t0 >= 300 && loop_now_ms() - t0 < 1500);
	log = read_log(f);
	assert_true(pid_gone_soon(log));
}

static void test_free_lets_a_quick_hook_finish(void **state)
{
	struct fx *f = *state;

	set_hook(f, f->cfg->hook_on_follower, "last", "sleep 0.1; echo finished >>\"$LOG\"");
	start(f);
	hooks_event(f->h, HOOK_FOLLOWER, &info_leader);
	hooks_free(f->h); /* right after the start, as at a shutdown */
	f->h = NULL;
	assert_string_equal(read_log(f), "finished\n");
}

static void test_role_mapping(void **state)
{
	(void)state;
	assert_int_equal(hooks_event_for_role(2), HOOK_LEADER);
	assert_int_equal(hooks_event_for_role(1), HOOK_FOLLOWER);
	assert_int_equal(hooks_event_for_role(3), HOOK_FAULT);
	assert_int_equal(hooks_event_for_role(0), -1);
	assert_int_equal(hooks_event_for_role(4), -1);
	assert_string_equal(hooks_event_name(HOOK_BACKEND_CHANGE), "backend-change");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_order_args_env, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unconfigured_event, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failures_do_not_stop_the_queue, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timeout_kills_the_group, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_full_queue_drops_oldest, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_terminates_a_running_hook, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_lets_a_quick_hook_finish, setup, teardown),
	    cmocka_unit_test(test_role_mapping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
