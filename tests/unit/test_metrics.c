/* SPDX-License-Identifier: MIT */
/* test_metrics.c: Prometheus exposition (families, labels, histogram) and the HTTP endpoint. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build-config.h"
#include "loop.h"
#include "metrics.h"
#include "role.h"

/* Every family the exposition promises (doc/kcwatchd.8, METRICS). */
static const char *const families[] = {
    "kcwatch_build_info",
    "process_start_time_seconds",
    "kcwatch_is_leader",
    "kcwatch_role",
    "kcwatch_term",
    "kcwatch_maintenance",
    "kcwatch_fenced",
    "kcwatch_defence_satisfied",
    "kcwatch_leader_transitions_total",
    "kcwatch_peers_alive",
    "kcwatch_peer_up",
    "kcwatch_peer_last_seen_seconds",
    "kcwatch_heartbeats_sent_total",
    "kcwatch_heartbeats_received_total",
    "kcwatch_heartbeats_dropped_total",
    "kcwatch_heartbeat_send_errors_total",
    "kcwatch_vip_held",
    "kcwatch_vip_announcements_total",
    "kcwatch_backend_up",
    "kcwatch_backend_active",
    "kcwatch_backend_checks_total",
    "kcwatch_backend_check_duration_seconds",
    "kcwatch_backend_switches_total",
    "kcwatch_backend_outage",
    "kcwatch_haproxy_up",
    "kcwatch_dns_updates_total",
    "kcwatch_dns_last_success_timestamp_seconds",
    "kcwatch_hook_runs_total",
    "kcwatch_hook_events_dropped_total",
    "kcwatch_config_reloads_total",
    "kcwatch_config_reload_success",
    "kcwatch_config_reload_last_reload_timestamp_seconds",
};

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

/* Each of the NULL-terminated lines is a whole line of text. */
static void assert_lines(const char *text, const char *const *lines)
{
	for (; *lines; lines++)
		if (!has_line(text, *lines))
			fail_msg("no line \"%s\"", *lines);
}
#define ASSERT_LINES(text, ...) assert_lines(text, (const char *const[]){__VA_ARGS__, NULL})

static void fill_example(struct kcw_metrics *m)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->node, sizeof(m->node), "lb1");
	snprintf(m->cluster, sizeof(m->cluster), "keycloak");
	m->start_unix_ms = 1700000012345ull;
	m->role = ROLE_LEADER;
	m->term = 7;
	m->leader_changes = 3;
	m->defence_satisfied = true;
	m->n_peers = 2;
	snprintf(m->peers[0].name, CFG_NAME_MAX, "lb2");
	m->peers[0].up = true;
	m->peers[0].heard = true;
	m->peers[0].seen_ago_ms = 150;
	snprintf(m->peers[1].name, CFG_NAME_MAX, "lb3");
	m->peers_alive = 1;
	m->hb_sent = 100;
	m->hb_received = 90;
	m->hb_send_errors = 2;
	m->hb_dropped[HB_DROP_AUTH] = 20;
	m->hb_dropped[HB_DROP_REPLAY] = 4;
	m->n_vips = 2;
	snprintf(m->vips[0].name, CFG_NAME_MAX, "keycloak");
	m->vips[0].held = true;
	snprintf(m->vips[1].name, CFG_NAME_MAX, "keycloak6");
	m->has_haproxy = true;
	m->haproxy_up = true;
	m->dns_last_success_unix_ms = 1700000100500ull;
	m->last_reload_unix_ms = 1700000200000ull;
	m->vip_announcements = 10;
	m->n_backends = 2;
	snprintf(m->backends[0].name, CFG_NAME_MAX, "sno1");
	m->backends[0].up = true;
	m->backends[0].active = true;
	snprintf(m->backends[1].name, CFG_NAME_MAX, "sno\"2");
	metrics_checks_observe(&m->backends[0].checks, true, 3);
	metrics_checks_observe(&m->backends[0].checks, true, 40);
	metrics_checks_observe(&m->backends[0].checks, false, 1000);
	metrics_checks_observe(&m->backends[0].checks, false, 60000);
	m->backend_switches = 1;
	m->dns_updates[0] = 5;
	m->hooks.ok = 4;
	m->hooks.timed_out = 1;
	m->reloads_failed = 1;
	m->reload_failed_last = true;
}

/* The example snapshot in *m, rendered (the caller frees the text). */
static char *render_example(struct kcw_metrics *m)
{
	char *text;

	fill_example(m);
	text = metrics_render(m, NULL);
	assert_non_null(text);
	return text;
}

static void test_observe_buckets(void **state)
{
	struct metrics_checks c = {0};

	(void)state;
	metrics_checks_observe(&c, true, 0);
	metrics_checks_observe(&c, true, 5);	  /* on the bound: le="0.005" */
	metrics_checks_observe(&c, false, 6);	  /* le="0.01" */
	metrics_checks_observe(&c, true, 10000);  /* the last bound */
	metrics_checks_observe(&c, false, 10001); /* +Inf only */
	assert_int_equal(c.up, 3);
	assert_int_equal(c.down, 2);
	assert_int_equal(c.latency.buckets[0], 2);
	assert_int_equal(c.latency.buckets[1], 1);
	assert_int_equal(c.latency.buckets[METRICS_LATENCY_BUCKETS - 1], 1);
	assert_int_equal(c.latency.buckets[METRICS_LATENCY_BUCKETS], 1);
	assert_int_equal(c.latency.count, 5);
	assert_int_equal(c.latency.sum_ms, 20012);
}

static void test_escape(void **state)
{
	char buf[16];

	(void)state;
	assert_string_equal(metrics_escape_label("plain", buf, sizeof(buf)), "plain");
	assert_string_equal(metrics_escape_label("a\"b\\c\nd", buf, sizeof(buf)),
			    "a\\\"b\\\\c\\nd");
	assert_string_equal(metrics_escape_label(NULL, buf, sizeof(buf)), "");
	/* never cuts an escape in half */
	assert_string_equal(metrics_escape_label("abcdefghijklmn\"", buf, sizeof(buf)),
			    "abcdefghijklmn");
}

static void test_zero_snapshot_has_every_family(void **state)
{
	struct kcw_metrics m;
	char line[128];
	size_t len = 0;
	char *text;

	(void)state;
	memset(&m, 0, sizeof(m));
	text = metrics_render(&m, &len);
	assert_non_null(text);
	assert_int_equal(len, strlen(text));
	assert_true(len > 0 && text[len - 1] == '\n');
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		snprintf(line, sizeof(line), "# TYPE %s ", families[i]);
		assert_non_null(strstr(text, line));
		snprintf(line, sizeof(line), "# HELP %s ", families[i]);
		assert_non_null(strstr(text, line));
	}
	ASSERT_LINES(text, "kcwatch_role{role=\"init\"} 1",
		     "kcwatch_heartbeats_dropped_total{reason=\"self\"} 0",
		     "kcwatch_dns_updates_total{result=\"network\"} 0",
		     "process_start_time_seconds 0.000", "kcwatch_is_leader 0",
		     "kcwatch_config_reload_success 1");
	assert_null(strstr(text, "\nkcwatch_haproxy_up ")); /* no haproxy-socket, no sample */
	free(text);
}

static void test_values(void **state)
{
	struct kcw_metrics m;
	char *text;

	(void)state;
	text = render_example(&m);
	ASSERT_LINES(text, "kcwatch_role{role=\"leader\"} 1", "kcwatch_role{role=\"follower\"} 0",
		     "kcwatch_term 7", "process_start_time_seconds 1700000012.345",
		     "kcwatch_is_leader 1", "kcwatch_leader_transitions_total 3",
		     "kcwatch_defence_satisfied 1", "kcwatch_fenced 0",
		     "kcwatch_peer_up{node=\"lb2\"} 1", "kcwatch_peer_up{node=\"lb3\"} 0",
		     "kcwatch_peer_last_seen_seconds{node=\"lb2\"} 0.150");
	assert_null(strstr(text, "kcwatch_peer_last_seen_seconds{node=\"lb3\"}"));
	ASSERT_LINES(
	    text, "kcwatch_vip_held{vip=\"keycloak\"} 1", "kcwatch_vip_held{vip=\"keycloak6\"} 0",
	    "kcwatch_haproxy_up 1", "kcwatch_dns_last_success_timestamp_seconds 1700000100.500",
	    "kcwatch_config_reload_success 0",
	    "kcwatch_config_reload_last_reload_timestamp_seconds 1700000200.000",
	    "kcwatch_heartbeats_dropped_total{reason=\"auth\"} 20",
	    "kcwatch_heartbeats_dropped_total{reason=\"replay\"} 4",
	    "kcwatch_heartbeat_send_errors_total 2", "kcwatch_vip_announcements_total 10",
	    "kcwatch_backend_up{backend=\"sno1\"} 1", "kcwatch_backend_up{backend=\"sno\\\"2\"} 0",
	    "kcwatch_backend_active{backend=\"sno1\"} 1",
	    "kcwatch_backend_checks_total{backend=\"sno1\",result=\"up\"} 2",
	    "kcwatch_backend_checks_total{backend=\"sno1\",result=\"down\"} 2",
	    "kcwatch_dns_updates_total{result=\"ok\"} 5",
	    "kcwatch_hook_runs_total{result=\"ok\"} 4",
	    "kcwatch_hook_runs_total{result=\"timeout\"} 1",
	    "kcwatch_config_reloads_total{result=\"failed\"} 1",
	    "kcwatch_build_info{version=\"" PACKAGE_VERSION
	    "\",node=\"lb1\",cluster=\"keycloak\"} 1");
	free(text);
}

/* The kcwatch_etcd_* families appear with coordinator = etcd only. */
static void test_etcd(void **state)
{
	struct kcw_metrics m;
	char *text;

	(void)state;
	text = render_example(&m);
	assert_null(strstr(text, "kcwatch_etcd_"));
	free(text);
	m.etcd = true;
	snprintf(m.etcd_endpoint, sizeof(m.etcd_endpoint), "http://10.0.0.5:2379");
	m.etcd_lease_valid = true;
	m.etcd_holds_key = true;
	m.etcd_lease_left_ms = 2345;
	m.etcd_requests = 17;
	m.etcd_failures = 2;
	text = metrics_render(&m, NULL);
	ASSERT_LINES(text, "kcwatch_etcd_info{endpoint=\"http://10.0.0.5:2379\"} 1",
		     "kcwatch_etcd_lease_valid 1", "kcwatch_etcd_holds_key 1",
		     "kcwatch_etcd_lease_remaining_seconds 2.345", "kcwatch_etcd_requests_total 17",
		     "kcwatch_etcd_request_failures_total 2",
		     "# TYPE kcwatch_etcd_requests_total counter");
	free(text);
}

static void test_histogram_cumulative(void **state)
{
	struct kcw_metrics m;
	const char *h = "kcwatch_backend_check_duration_seconds";
	static const char *const le[] = {"0.005", "0.025", "0.05", "1", "2.5", "10", "+Inf"};
	static const int count[] = {1, 1, 2, 3, 3, 3, 4}; /* cumulative */
	char line[160];
	char *text;

	(void)state;
	text = render_example(&m); /* sno1: 3 ms, 40 ms, 1000 ms, 60000 ms */
	for (size_t i = 0; i < sizeof(le) / sizeof(le[0]); i++) {
		snprintf(line, sizeof(line), "%s_bucket{backend=\"sno1\",le=\"%s\"} %d", h, le[i],
			 count[i]);
		assert_true(has_line(text, line));
	}
	snprintf(line, sizeof(line), "%s_sum{backend=\"sno1\"} 61.043", h);
	assert_true(has_line(text, line));
	snprintf(line, sizeof(line), "%s_count{backend=\"sno1\"} 4", h);
	assert_true(has_line(text, line));
	snprintf(line, sizeof(line), "%s_count{backend=\"sno\\\"2\"} 0", h);
	assert_true(has_line(text, line));
	free(text);
}

/* Every line is a comment or "name[{labels}] value" with a name that starts a family. */
static void test_line_syntax(void **state)
{
	struct kcw_metrics m;
	char *text, *save = NULL;

	(void)state;
	text = render_example(&m);
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char name[128];
		const char *sp = strrchr(l, ' ');
		char *end;

		if (l[0] == '#')
			continue;
		assert_non_null(sp);
		strtod(sp + 1, &end);
		assert_true(*end == '\0');
		assert_int_equal(sscanf(l, "%127[a-z_]", name), 1);
		assert_true(strncmp(name, "kcwatch_", 8) == 0 ||
			    strcmp(name, "process_start_time_seconds") == 0);
	}
	free(text);
}

/* ---- HTTP ---------------------------------------------------------------------------------- */

static void fill_cb(void *arg, struct kcw_metrics *m)
{
	int *calls = arg;

	(*calls)++;
	fill_example(m);
}

static void stop_cb(void *arg)
{
	loop_stop(arg);
}

struct http_fixture {
	struct loop *loop;
	struct loop_timer *stop;
	struct metrics_http *srv;
	int calls;
};

static int http_setup(void **state)
{
	struct http_fixture *f = calloc(1, sizeof(*f));
	struct kcw_addr a;
	char err[256];

	assert_non_null(f);
	assert_int_equal(addr_parse("127.0.0.1", &a), 0);
	f->loop = loop_new();
	f->stop = loop_timer_new(f->loop, stop_cb, f->loop);
	f->srv = metrics_http_open(f->loop, &a, 0, fill_cb, &f->calls, err, sizeof(err));
	assert_non_null(f->srv);
	assert_true(metrics_http_port(f->srv) > 0);
	*state = f;
	return 0;
}

static int http_teardown(void **state)
{
	struct http_fixture *f = *state;

	metrics_http_close(f->srv);
	loop_timer_free(f->stop);
	loop_free(f->loop);
	free(f);
	return 0;
}

static int connect_to(struct http_fixture *f)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(metrics_http_port(f->srv))};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

static void run_loop(struct http_fixture *f, uint64_t ms)
{
	loop_timer_arm(f->stop, ms);
	loop_run(f->loop);
}

/* Sends req on a new connection, runs the loop, returns everything the server wrote. */
static char *exchange(struct http_fixture *f, const char *req)
{
	static char buf[65536];
	size_t len = 0;
	int fd = connect_to(f);
	ssize_t n;

	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	run_loop(f, 100);
	while ((n = recv(fd, buf + len, sizeof(buf) - 1 - len, MSG_DONTWAIT)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fd);
	return buf;
}

static void test_http_get(void **state)
{
	struct http_fixture *f = *state;
	char *r = exchange(f, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
	const char *body = strstr(r, "\r\n\r\n");
	size_t clen = 0;

	assert_true(strncmp(r, "HTTP/1.0 200 OK\r\n", 17) == 0);
	assert_non_null(strstr(r, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	assert_non_null(body);
	assert_int_equal(sscanf(strstr(r, "Content-Length: "), "Content-Length: %zu", &clen), 1);
	assert_int_equal(clen, strlen(body + 4));
	assert_non_null(strstr(body, "\nkcwatch_term 7\n"));
	assert_int_equal(f->calls, 1);
}

static void test_http_head_query_and_errors(void **state)
{
	struct http_fixture *f = *state;
	char *r;

	r = exchange(f, "HEAD /metrics HTTP/1.0\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.0 200 OK\r\n", 17) == 0);
	assert_string_equal(strstr(r, "\r\n\r\n"), "\r\n\r\n"); /* no body */
	r = exchange(f, "GET /metrics?x=1 HTTP/1.0\n\n");
	assert_true(strncmp(r, "HTTP/1.0 200 OK\r\n", 17) == 0);
	r = exchange(f, "GET / HTTP/1.0\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.0 404 ", 13) == 0);
	r = exchange(f, "GET /metricsx HTTP/1.0\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.0 404 ", 13) == 0);
	r = exchange(f, "POST /metrics HTTP/1.0\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.0 405 ", 13) == 0);
	assert_non_null(strstr(r, "Allow: GET, HEAD\r\n"));
	r = exchange(f, "garbage\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.0 400 ", 13) == 0);
	assert_int_equal(f->calls, 2);
}

static void test_http_oversized(void **state)
{
	struct http_fixture *f = *state;
	char req[METRICS_HTTP_REQUEST_MAX + 100];
	char *r;

	memset(req, 'a', sizeof(req) - 1);
	memcpy(req, "GET /metrics HTTP/1.0\r\nX: ", 26);
	req[sizeof(req) - 1] = '\0';
	r = exchange(f, req);
	assert_true(strncmp(r, "HTTP/1.0 431 ", 13) == 0);
	assert_int_equal(f->calls, 0);
}

static void test_http_client_limit(void **state)
{
	struct http_fixture *f = *state;
	int fds[METRICS_HTTP_MAX_CLIENTS + 1];
	char c;

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		fds[i] = connect_to(f);
	run_loop(f, 50);
	/* the first ones wait for their request; the one too many is closed at once */
	assert_int_equal(recv(fds[0], &c, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(recv(fds[METRICS_HTTP_MAX_CLIENTS], &c, 1, MSG_DONTWAIT), 0);
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		close(fds[i]);
	run_loop(f, 50);
	/* closed clients are gone: a new one is served */
	assert_true(strncmp(exchange(f, "GET /metrics HTTP/1.0\r\n\r\n"), "HTTP/1.0 200 OK", 15) ==
		    0);
}

static void test_http_bind_error(void **state)
{
	struct http_fixture *f = *state;
	struct kcw_addr a;
	char err[256] = "";

	assert_int_equal(addr_parse("127.0.0.1", &a), 0);
	assert_null(metrics_http_open(f->loop, &a, metrics_http_port(f->srv), fill_cb, &f->calls,
				      err, sizeof(err)));
	assert_non_null(strstr(err, "Address already in use"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_observe_buckets),
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_zero_snapshot_has_every_family),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_histogram_cumulative),
	    cmocka_unit_test(test_line_syntax),
	    cmocka_unit_test_setup_teardown(test_http_get, http_setup, http_teardown),
	    cmocka_unit_test_setup_teardown(test_http_head_query_and_errors, http_setup,
					    http_teardown),
	    cmocka_unit_test(test_etcd),
	    cmocka_unit_test_setup_teardown(test_http_oversized, http_setup, http_teardown),
	    cmocka_unit_test_setup_teardown(test_http_client_limit, http_setup, http_teardown),
	    cmocka_unit_test_setup_teardown(test_http_bind_error, http_setup, http_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
