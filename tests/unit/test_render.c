/* SPDX-License-Identifier: MIT */
/* test_render.c: kcwatchctl's human status and status --check verdicts from status JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "render.h"

#define LEADER_OK                                                                                  \
	"{\"node\":\"lb1\",\"role\":\"leader\",\"term\":4,\"leader\":\"lb1\",\"maintenance\":"     \
	"false,"                                                                                   \
	"\"fenced\":false,\"defence\":{\"kind\":\"none\",\"satisfied\":true},"                     \
	"\"peers\":[{\"node\":\"lb2\",\"alive\":true,\"last_seen_ms\":80}],"                       \
	"\"vips\":[{\"name\":\"v\",\"held\":true},{\"name\":\"v6\",\"held\":true}]}"

/* status_health's verdict on json is want_rc, with the line want (when not NULL). */
static void check_verdict(const char *json, int want_rc, const char *want)
{
	struct json_object *st = json_tokener_parse(json);
	char line[256];

	assert_non_null(st);
	assert_int_equal(status_health(st, line, sizeof(line)), want_rc);
	json_object_put(st);
	if (want)
		assert_string_equal(line, want);
}

static void test_check_healthy(void **state)
{
	(void)state;
	check_verdict(LEADER_OK, 0, "leader, term 4, holding 2 of 2 VIPs");
	check_verdict("{\"role\":\"follower\",\"term\":4,\"leader\":\"lb2\","
		      "\"peers\":[{\"node\":\"lb2\",\"alive\":true,\"last_seen_ms\":120}],"
		      "\"maintenance\":true}",
		      0, "follower, term 4, leader lb2 heard 120 ms ago, in maintenance");
}

static void test_check_degraded(void **state)
{
	(void)state;
	check_verdict("{\"role\":\"leader\",\"term\":4,\"leader\":\"lb1\",\"vips\":"
		      "[{\"held\":true},{\"held\":false}]}",
		      1, "leader, term 4, holding 1 of 2 VIPs");
	check_verdict("{\"role\":\"fault\"}", 1,
		      "fault: effective priority 0 (a VIP interface is down)");
	check_verdict("{\"role\":\"follower\",\"fenced\":true,\"dns\":{\"fence_term\":9,"
		      "\"fence_holder\":\"lb2\"}}",
		      1, "fenced: the DNS fence holds term 9 of lb2, newer than ours");
	check_verdict("{\"role\":\"follower\",\"term\":3,\"leader\":null,\"peers\":[]}", 1,
		      "follower, term 3: no leader heard");
	/* a leader named but no longer alive is not "heard" */
	check_verdict("{\"role\":\"follower\",\"term\":3,\"leader\":\"lb2\",\"peers\":"
		      "[{\"node\":\"lb2\",\"alive\":false}]}",
		      1, NULL);
	check_verdict("{\"role\":\"leader\",\"defence\":{\"kind\":\"witness\","
		      "\"witness\":\"w\",\"satisfied\":false,\"votes\":1,\"needed\":2}}",
		      1, "split-brain defence: witness w, NOT satisfied (1 of 2 votes)");
	check_verdict("{\"role\":\"init\"}", 1, NULL);
}

/* print_status's output for json, in out. */
static void human(const char *json, char *out, size_t len)
{
	struct json_object *st = json_tokener_parse(json);
	FILE *f = tmpfile();
	int saved = dup(STDOUT_FILENO);
	size_t n;

	assert_non_null(st);
	assert_non_null(f);
	fflush(stdout);
	dup2(fileno(f), STDOUT_FILENO);
	print_status(st);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	rewind(f);
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	fclose(f);
	json_object_put(st);
}

static void test_human_status(void **state)
{
	char out[8192];

	(void)state;
	human(
	    "{\"node\":\"lb1\",\"role\":\"leader\",\"maintenance\":false,"
	    "\"defence\":{\"kind\":\"tie-breaker\",\"address\":\"192.168.1.1\",\"satisfied\":true},"
	    "\"fenced\":false,\"dns\":{\"fence_term\":7,\"fence_holder\":\"lb1\"},"
	    "\"haproxy_reachable\":false,\"backends\":[],\"active_backend\":\"sno2\","
	    "\"backend_failback\":\"after\",\"backend_failback_after_ms\":300000,"
	    "\"backend_failback_in_ms\":41200,\"backend_failback_to\":\"sno1\"}",
	    out, sizeof(out));
	assert_non_null(strstr(out, "\nmaintenance off\n"));
	assert_non_null(
	    strstr(out, "\ndefence   tie-breaker 192.168.1.1, satisfied (reachable)\n"));
	assert_non_null(strstr(out, "\ndns fence term 7, held by lb1\n"));
	assert_non_null(
	    strstr(out, "\nhaproxy   NOT reachable (this node advertises priority 1)\n"));
	assert_non_null(strstr(out, "\nactive    sno2\n"));
	assert_non_null(
	    strstr(out, "\nfailback  after 300 s, hold: 42 s left before failback to sno1\n"));
	human("{\"node\":\"lb2\",\"role\":\"follower\",\"maintenance\":true,\"fenced\":true,"
	      "\"dns\":{\"fence_term\":9,\"fence_holder\":\"lb1\"},\"backends\":[],"
	      "\"backend_failback\":\"never\"}",
	      out, sizeof(out));
	assert_non_null(
	    strstr(out, "\nmaintenance on: this node does not lead until 'maintenance off'\n"));
	assert_non_null(
	    strstr(out, "\ndefence   none (a partition gives two leaders until it heals)\n"));
	assert_non_null(
	    strstr(out, "\ndns fence term 9, held by lb1 (FENCED: this node may not lead)\n"));
	assert_non_null(strstr(out, "\nfailback  never\n"));
	assert_null(strstr(out, "haproxy "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check_healthy),
	    cmocka_unit_test(test_check_degraded),
	    cmocka_unit_test(test_human_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
