/* SPDX-License-Identifier: MIT */
/* dns_drive.c: runs one DNS updater on the event loop for tests/integration/test_dns.sh. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dns.h"
#include "log.h"
#include "loop.h"

/*
 * Usage: dns_drive --server ADDR --port N --zone Z --name NAME --key FILE --term N --node NODE
 *          [--a ADDR] [--aaaa ADDR] [--ttl S] [--renew-ms MS] [--timeout-ms MS] [--no-fence]
 *          [--run-ms MS] [--exit-on WORD]
 * Becomes leader at once. Prints one line per event on stdout:
 *   result TEXT        the updater's last_result changed
 *   fenced TERM        the callback said stale
 *   unfenced TERM      the callback said the fence went quiet
 *   status JSON        at exit (and on "status")
 * Reads commands on stdin: "a ADDR", "aaaa ADDR", "noa", "noaaaa", "leader TERM",
 * "follower", "status", "quit" (EOF on stdin just ends the commands). Exits 0 when a line
 * starting with --exit-on WORD was printed or on quit, 3 when --run-ms passed first.
 */

struct drive {
	struct loop *loop;
	struct dns_updater *d;
	struct loop_timer *poll, *deadline;
	char last[512];
	const char *exit_on;
	char node[64];
	struct kcw_addr v4, v6;
	bool has_v4, has_v6;
	int rc;
	char inbuf[1024];
	size_t inlen;
};

static void emit(struct drive *dr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void emit(struct drive *dr, const char *fmt, ...)
{
	char line[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("%s\n", line);
	fflush(stdout);
	if (dr->exit_on && strncmp(line, dr->exit_on, strlen(dr->exit_on)) == 0) {
		dr->rc = 0;
		loop_stop(dr->loop);
	}
}

static void print_status(struct drive *dr)
{
	struct json_object *root = json_object_new_object();

	dns_status_json(dr->d, root);
	printf("status %s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
	fflush(stdout);
	json_object_put(root);
}

static void on_fence(void *arg, bool fenced, uint64_t term, const char *holder)
{
	struct drive *dr = arg;

	emit(dr, "%s %" PRIu64, fenced ? "fenced" : "unfenced", term);
}

static void on_poll(void *arg)
{
	struct drive *dr = arg;
	const char *r = dns_last_result(dr->d);

	if (strcmp(r, dr->last) != 0) {
		snprintf(dr->last, sizeof(dr->last), "%s", r);
		emit(dr, "result %s", r);
	}
	loop_timer_arm(dr->poll, 20);
}

static void on_deadline(void *arg)
{
	struct drive *dr = arg;

	dr->rc = 3;
	loop_stop(dr->loop);
}

static void apply_target(struct drive *dr)
{
	dns_set_target(dr->d, dr->has_v4 ? &dr->v4 : NULL, dr->has_v6 ? &dr->v6 : NULL);
}

static void command(struct drive *dr, char *line)
{
	char *arg = strchr(line, ' ');

	if (arg)
		*arg++ = '\0';
	if (!strcmp(line, "a") && arg && addr_parse(arg, &dr->v4) == 0) {
		dr->has_v4 = true;
		apply_target(dr);
	} else if (!strcmp(line, "aaaa") && arg && addr_parse(arg, &dr->v6) == 0) {
		dr->has_v6 = true;
		apply_target(dr);
	} else if (!strcmp(line, "noa")) {
		dr->has_v4 = false;
		apply_target(dr);
	} else if (!strcmp(line, "noaaaa")) {
		dr->has_v6 = false;
		apply_target(dr);
	} else if (!strcmp(line, "leader") && arg) {
		dns_set_leader(dr->d, true, strtoull(arg, NULL, 10), dr->node);
	} else if (!strcmp(line, "follower")) {
		dns_set_leader(dr->d, false, 0, dr->node);
	} else if (!strcmp(line, "status")) {
		print_status(dr);
	} else if (!strcmp(line, "quit")) {
		loop_stop(dr->loop);
	} else {
		fprintf(stderr, "dns_drive: bad command '%s'\n", line);
	}
}

static void on_stdin(void *arg, int fd, uint32_t events)
{
	struct drive *dr = arg;
	ssize_t n = read(fd, dr->inbuf + dr->inlen, sizeof(dr->inbuf) - 1 - dr->inlen);
	char *nl;

	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		loop_del_fd(dr->loop,
			    fd); /* EOF: no more commands; --run-ms still bounds the run */
		return;
	}
	dr->inlen += (size_t)n;
	dr->inbuf[dr->inlen] = '\0';
	while ((nl = strchr(dr->inbuf, '\n'))) {
		*nl = '\0';
		command(dr, dr->inbuf);
		memmove(dr->inbuf, nl + 1, strlen(nl + 1) + 1);
		dr->inlen = strlen(dr->inbuf);
	}
	if (dr->inlen == sizeof(dr->inbuf) - 1)
		dr->inlen = 0;
}

static int parse_args(int argc, char **argv, struct cfg_dns *c, struct drive *dr, uint64_t *term,
		      uint64_t *run_ms)
{
	static const struct option opts[] = {
	    {"server", 1, 0, 's'},   {"port", 1, 0, 'p'},
	    {"zone", 1, 0, 'z'},     {"name", 1, 0, 'n'},
	    {"key", 1, 0, 'k'},	     {"term", 1, 0, 't'},
	    {"node", 1, 0, 'N'},     {"a", 1, 0, '4'},
	    {"aaaa", 1, 0, '6'},     {"ttl", 1, 0, 'T'},
	    {"renew-ms", 1, 0, 'r'}, {"timeout-ms", 1, 0, 'o'},
	    {"no-fence", 0, 0, 'F'}, {"run-ms", 1, 0, 'R'},
	    {"exit-on", 1, 0, 'x'},  {0, 0, 0, 0},
	};
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			if (addr_parse(optarg, &c->server) < 0)
				return -1;
			break;
		case 'p':
			c->port = (uint16_t)atoi(optarg);
			break;
		case 'z':
			snprintf(c->zone, sizeof(c->zone), "%s", optarg);
			break;
		case 'n':
			snprintf(c->name, sizeof(c->name), "%s", optarg);
			break;
		case 'k':
			snprintf(c->tsig_key_file, sizeof(c->tsig_key_file), "%s", optarg);
			break;
		case 't':
			*term = strtoull(optarg, NULL, 10);
			break;
		case 'N':
			snprintf(dr->node, sizeof(dr->node), "%s", optarg);
			break;
		case '4':
			if (addr_parse(optarg, &dr->v4) < 0)
				return -1;
			dr->has_v4 = true;
			break;
		case '6':
			if (addr_parse(optarg, &dr->v6) < 0)
				return -1;
			dr->has_v6 = true;
			break;
		case 'T':
			c->ttl = (uint32_t)atoi(optarg);
			break;
		case 'r':
			c->fence_renew_ms = (uint32_t)atoi(optarg);
			break;
		case 'o':
			c->timeout_ms = (uint32_t)atoi(optarg);
			break;
		case 'F':
			c->fence = false;
			break;
		case 'R':
			*run_ms = strtoull(optarg, NULL, 10);
			break;
		case 'x':
			dr->exit_on = optarg;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cfg_dns c = {.enabled = true,
			    .port = 53,
			    .ttl = 30,
			    .fence = true,
			    .fence_renew_ms = 1000,
			    .timeout_ms = 1000};
	struct drive dr = {.rc = 0, .node = "lb1"};
	uint64_t term = 1, run_ms = 20000;
	char err[512];

	log_init(1);
	if (parse_args(argc, argv, &c, &dr, &term, &run_ms) < 0) {
		fprintf(stderr, "dns_drive: bad arguments (see the comment at the top)\n");
		return 2;
	}
	dr.loop = loop_new();
	dr.d = dns_new(dr.loop, &c, ".", on_fence, &dr, err, sizeof(err));
	if (!dr.d) {
		printf("error %s\n", err);
		return 1;
	}
	dr.poll = loop_timer_new(dr.loop, on_poll, &dr);
	dr.deadline = loop_timer_new(dr.loop, on_deadline, &dr);
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	loop_add_fd(dr.loop, 0, EPOLLIN, on_stdin, &dr);
	loop_timer_arm(dr.poll, 20);
	loop_timer_arm(dr.deadline, run_ms);
	apply_target(&dr);
	dns_set_leader(dr.d, true, term, dr.node);
	loop_run(dr.loop);
	on_poll(&dr);
	print_status(&dr);
	dns_free(dr.d);
	loop_free(dr.loop);
	return dr.rc;
}
