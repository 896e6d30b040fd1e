/* SPDX-License-Identifier: MIT */
/* health_drive.c: runs the health, backend and haproxy modules on the real loop for tests. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "haproxy.h"
#include "health.h"
#include "log.h"
#include "loop.h"

/*
 * health_drive check  [-r ROUNDS] [-w WALL_MS] [-z] BACKEND...
 *   prints "RESULT NAME ROUND up|down HTTP LATENCY_MS REASON" per finished check and
 *   exits 0 once every backend has ROUNDS results (1 when the wall clock runs out).
 *   -z: at the first result, health_stop() and health_start() again (from the callback).
 * health_drive apply SOCKET HABACKEND ACTIVE|- SERVER...
 *   haproxy_apply, prints "SERVER NAME ready|maint op=N admin=N" and "OK" or "FAIL reason".
 * health_drive show SOCKET HABACKEND
 *   haproxy_refresh, prints the same.
 * health_drive run [-S SOCKET -H HABACKEND] [-F immediate|never|MS] -w WALL_MS BACKEND...
 *   the whole chain: checks -> backend choice -> HAProxy; prints "STATE", "ACTIVE", "HAPROXY".
 * BACKEND: -b NAME -u URL [-c ADDR:PORT] [-a CA_FILE] [-t TIMEOUT_MS] [-i INTERVAL_MS]
 *          [-s STATUS] [-j JSON_STATUS] [-e BODY] [-R RISE] [-f FALL] [-x HAPROXY_SERVER]
 */

struct drive {
	struct loop *loop;
	struct cfg_backend *b;
	size_t n;
	unsigned rounds;
	bool restart;
	struct health *health;
	unsigned got[CFG_MAX_BACKENDS];
	struct cfg_backends opt;
	struct backend_view view;
	struct haproxy *hap;
	struct loop_timer *wall;
	struct loop_timer *failback;
	int rc;
};

static void usage(void) __attribute__((noreturn));

static void usage(void)
{
	fprintf(stderr, "usage: see the comment at the top of health_drive.c\n");
	exit(2);
}

static struct cfg_backend *new_backend(struct drive *d, const char *name)
{
	struct cfg_backend *b;

	if (d->n >= CFG_MAX_BACKENDS)
		usage();
	b = &d->b[d->n++];
	memset(b, 0, sizeof(*b));
	snprintf(b->name, sizeof(b->name), "%s", name);
	snprintf(b->haproxy_server, sizeof(b->haproxy_server), "%s", name);
	b->expect_status = 200;
	snprintf(b->expect_json_status, sizeof(b->expect_json_status), "UP");
	b->interval_ms = 10000;
	b->timeout_ms = 1000;
	b->rise = 2;
	b->fall = 3;
	return b;
}

static void backend_opt(struct drive *d, struct cfg_backend *b, int c, const char *arg)
{
	if (!b)
		usage();
	switch (c) {
	case 'u':
		snprintf(b->url, sizeof(b->url), "%s", arg);
		break;
	case 'c':
		if (addr_parse_hostport(arg, &b->connect_addr, &b->connect_port) < 0)
			usage();
		b->has_connect_to = true;
		break;
	case 'a':
		snprintf(b->ca_file, sizeof(b->ca_file), "%s", arg);
		break;
	case 't':
		b->timeout_ms = (uint32_t)strtoul(arg, NULL, 10);
		break;
	case 'i':
		b->interval_ms = (uint32_t)strtoul(arg, NULL, 10);
		break;
	case 's':
		b->expect_status = strtol(arg, NULL, 10);
		break;
	case 'j':
		snprintf(b->expect_json_status, sizeof(b->expect_json_status), "%s", arg);
		break;
	case 'e':
		snprintf(b->expect_body, sizeof(b->expect_body), "%s", arg);
		b->expect_json_status[0] = '\0';
		break;
	case 'R':
		b->rise = (unsigned)strtoul(arg, NULL, 10);
		break;
	case 'f':
		b->fall = (unsigned)strtoul(arg, NULL, 10);
		break;
	case 'x':
		snprintf(b->haproxy_server, sizeof(b->haproxy_server), "%s", arg);
		break;
	default:
		usage();
	}
}

static void parse_args(struct drive *d, int argc, char **argv, char **sock, char **habe)
{
	struct cfg_backend *b = NULL;
	int c;

	d->opt.failback = FAILBACK_AFTER;
	d->opt.failback_after_ms = 2000;
	while ((c = getopt(argc, argv, "r:w:zS:H:F:b:u:c:a:t:i:s:j:e:R:f:x:")) != -1) {
		switch (c) {
		case 'r':
			d->rounds = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'w':
			loop_timer_arm(d->wall, strtoull(optarg, NULL, 10));
			break;
		case 'z':
			d->restart = true;
			break;
		case 'S':
			*sock = optarg;
			break;
		case 'H':
			*habe = optarg;
			break;
		case 'F':
			if (!strcmp(optarg, "immediate"))
				d->opt.failback = FAILBACK_IMMEDIATE;
			else if (!strcmp(optarg, "never"))
				d->opt.failback = FAILBACK_NEVER;
			else
				d->opt.failback_after_ms = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'b':
			b = new_backend(d, optarg);
			break;
		default:
			backend_opt(d, b, c, optarg);
		}
	}
}

static void on_wall(void *arg)
{
	struct drive *d = arg;

	printf("WALL time is up\n");
	fflush(stdout);
	loop_stop(d->loop);
}

/* --- check ---------------------------------------------------------------------- */

static void on_check(void *arg, size_t idx, const struct health_result *r)
{
	struct drive *d = arg;
	bool done = true;

	d->got[idx]++;
	printf("RESULT %s %u %s %ld %u %s\n", d->b[idx].name, d->got[idx], r->up ? "up" : "down",
	       r->http_code, r->latency_ms, r->up ? "-" : r->reason);
	fflush(stdout);
	if (d->restart) {
		d->restart = false;
		health_stop(d->health);
		printf("RESTART\n");
		if (health_start(d->health) < 0)
			loop_stop(d->loop);
	}
	for (size_t i = 0; i < d->n; i++)
		if (d->got[i] < d->rounds)
			done = false;
	if (done) {
		d->rc = 0;
		loop_stop(d->loop);
	}
}

static int cmd_check(struct drive *d)
{
	char err[CFG_ERR_MAX];
	struct health *h = health_new(d->loop, d->b, d->n, on_check, d, err, sizeof(err));

	if (!h) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	d->rc = 1;
	d->health = h;
	if (health_start(h) < 0)
		return 1;
	loop_run(d->loop);
	health_free(h);
	return d->rc;
}

/* --- haproxy -------------------------------------------------------------------- */

static void print_report(const struct haproxy_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		printf("SERVER %s %s op=%d admin=%u%s\n", r->servers[i].name,
		       r->servers[i].ready ? "ready" : "maint", r->servers[i].op_state,
		       r->servers[i].admin_state, r->servers[i].found ? "" : " missing");
	if (r->ok)
		printf("OK\n");
	else
		printf("FAIL %s%s\n", r->reachable ? "" : "unreachable: ", r->error);
	fflush(stdout);
}

static void on_hap_once(void *arg, const struct haproxy_report *r)
{
	struct drive *d = arg;

	print_report(r);
	d->rc = r->ok ? 0 : 1;
	loop_stop(d->loop);
}

static int cmd_haproxy(struct drive *d, int argc, char **argv, bool apply)
{
	struct haproxy *h;
	int rc;

	if (argc < 2 || (apply && argc < 3))
		usage();
	h = haproxy_new(d->loop, argv[0], argv[1], 2000, on_hap_once, d);
	if (!h) {
		perror("haproxy_new");
		return 1;
	}
	d->rc = 1;
	if (apply)
		rc = haproxy_apply(h, strcmp(argv[2], "-") ? argv[2] : NULL,
				   (const char *const *)argv + 3, (size_t)(argc - 3));
	else
		rc = haproxy_refresh(h);
	if (rc < 0) {
		fprintf(stderr, "haproxy request: %s\n", strerror(-rc));
		haproxy_free(h);
		return 1;
	}
	loop_timer_arm(d->wall, 5000);
	loop_run(d->loop);
	haproxy_free(h);
	return d->rc;
}

/* --- run: the whole chain --------------------------------------------------------- */

static void on_hap_run(void *arg, const struct haproxy_report *r)
{
	const char *active = NULL;

	for (size_t i = 0; i < r->n; i++)
		if (r->servers[i].ready)
			active = r->servers[i].name;
	printf("HAPROXY %s ready=%s %s\n", r->ok ? "ok" : "fail", active ? active : "-", r->error);
	fflush(stdout);
	(void)arg;
}

static void apply_active(struct drive *d)
{
	const char *servers[CFG_MAX_BACKENDS];
	int a = d->view.active;

	printf("ACTIVE %s switches=%llu reason=%s\n", backend_active_name(&d->view),
	       (unsigned long long)d->view.switches, d->view.switch_reason);
	fflush(stdout);
	if (!d->hap || a < 0)
		return;
	for (size_t i = 0; i < d->n; i++)
		servers[i] = d->b[i].haproxy_server;
	haproxy_apply(d->hap, d->b[a].haproxy_server, servers, d->n);
}

static void changed(struct drive *d, unsigned chg)
{
	uint64_t next = backend_next_deadline(&d->view, loop_now_ms());

	if (chg & BACKEND_CHG_ACTIVE)
		apply_active(d);
	if (chg & BACKEND_CHG_OUTAGE)
		printf("OUTAGE %s\n", d->view.outage ? "on" : "off");
	if (next == UINT64_MAX)
		loop_timer_disarm(d->failback);
	else
		loop_timer_arm_at(d->failback, next);
	fflush(stdout);
}

static void on_run_check(void *arg, size_t idx, const struct health_result *r)
{
	struct drive *d = arg;
	unsigned chg =
	    backend_result(&d->view, idx, r->up, r->reason, r->latency_ms, loop_now_ms());

	if (chg & BACKEND_CHG_STATE)
		printf("STATE %s %s %s\n", d->b[idx].name, backend_state_name(d->view.b[idx].state),
		       d->view.b[idx].reason);
	changed(d, chg);
}

static void on_failback(void *arg)
{
	struct drive *d = arg;

	changed(d, backend_tick(&d->view, loop_now_ms()));
}

static int cmd_run(struct drive *d, const char *sock, const char *habe)
{
	char err[CFG_ERR_MAX];
	struct health *h;

	backend_init(&d->view, d->b, d->n, &d->opt, loop_now_ms());
	d->failback = loop_timer_new(d->loop, on_failback, d);
	if (sock && habe)
		d->hap = haproxy_new(d->loop, sock, habe, 2000, on_hap_run, d);
	h = health_new(d->loop, d->b, d->n, on_run_check, d, err, sizeof(err));
	if (!h || !d->failback || (sock && !d->hap)) {
		fprintf(stderr, "setup failed: %s\n", h ? "haproxy" : err);
		return 1;
	}
	health_start(h);
	loop_run(d->loop);
	health_free(h);
	haproxy_free(d->hap);
	return 0;
}

int main(int argc, char **argv)
{
	struct drive d = {.rounds = 1};
	char *sock = NULL, *habe = NULL;
	const char *cmd;
	int rc;

	if (argc < 2)
		usage();
	cmd = argv[1];
	log_init(getenv("KCW_DEBUG") != NULL);
	d.loop = loop_new();
	d.b = calloc(CFG_MAX_BACKENDS, sizeof(*d.b));
	if (!d.loop || !d.b)
		return 1;
	d.wall = loop_timer_new(d.loop, on_wall, &d);
	optind = 2;
	if (!strcmp(cmd, "apply") || !strcmp(cmd, "show"))
		rc = cmd_haproxy(&d, argc - 2, argv + 2, !strcmp(cmd, "apply"));
	else if (parse_args(&d, argc, argv, &sock, &habe), !strcmp(cmd, "check"))
		rc = cmd_check(&d);
	else if (!strcmp(cmd, "run"))
		rc = cmd_run(&d, sock, habe);
	else
		usage();
	loop_free(d.loop);
	free(d.b);
	return rc;
}
