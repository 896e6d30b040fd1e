/* SPDX-License-Identifier: MIT */
/* kcwatchctl.c: asks kcwatchd over its control socket and prints the answer for people or scripts.
 */
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "build-config.h"
#include "render.h"

/* The default of [cluster] control-socket. */
#define DEFAULT_SOCKET "/run/kcwatch/kcwatchd.sock"
#define REPLY_MAX      (1024 * 1024)
#define TIMEOUT_MS     5000

/* Exit codes (documented in kcwatchctl(8)). */
enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

static int connect_to(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "kcwatchctl: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "kcwatchctl: cannot reach kcwatchd at %s: %s (is it running?)\n",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static char *read_reply(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	while (buf) {
		ssize_t n;

		if (poll(&pfd, 1, TIMEOUT_MS) <= 0) {
			fprintf(stderr, "kcwatchctl: no answer from kcwatchd within %d ms\n",
				TIMEOUT_MS);
			break;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0) {
			buf[len] = '\0';
			if (len)
				return buf;
			fprintf(stderr,
				"kcwatchctl: kcwatchd closed the connection without answering\n");
			break;
		}
		len += (size_t)n;
		if (len + 1 == cap) {
			char *nbuf = cap < REPLY_MAX ? realloc(buf, cap * 2) : NULL;

			if (!nbuf)
				break;
			buf = nbuf;
			cap *= 2;
		}
	}
	free(buf);
	return NULL;
}

/* One request line out, one JSON object back. NULL when unreachable. */
static struct json_object *ask(const char *path, const char *request)
{
	int fd = connect_to(path);
	struct json_object *reply;
	char *text;

	if (fd < 0)
		return NULL;
	if (dprintf(fd, "%s\n", request) < 0) {
		fprintf(stderr, "kcwatchctl: cannot send to kcwatchd: %s\n", strerror(errno));
		close(fd);
		return NULL;
	}
	text = read_reply(fd);
	close(fd);
	if (!text)
		return NULL;
	reply = json_tokener_parse(text);
	if (!reply)
		fprintf(stderr, "kcwatchctl: kcwatchd sent an answer that is not JSON\n");
	free(text);
	return reply;
}

/* A command: its words, what it asks the daemon, and how the answer is shown. */
struct ctl_cmd {
	const char *name;
	const char *args;			 /* usage of the arguments, "" for none */
	int nargs;				 /* exact number of arguments after the name */
	bool json_ok;				 /* accepts --json */
	const char *request;			 /* fixed request, NULL = the words themselves */
	void (*show)(struct json_object *reply); /* NULL: print the message */
	const char *help;
};

static void show_metrics(struct json_object *reply)
{
	fputs(jget_str(reply, "text", ""), stdout);
}

static const struct ctl_cmd cmds[] = {
    {"status", "", 0, true, "status", print_status,
     "this node, role, term, leader, peers, VIPs, backends"},
    {"peers", "", 0, true, "status", print_peers, "what every peer last said"},
    {"backends", "", 0, true, "status", print_backends, "the backends and the active one"},
    {"dns", "", 0, true, "status", print_dns, "the DNS name, its target and the fence"},
    {"step-down", "", 0, false, NULL, NULL, "hand leadership to another node (root or kcwatch)"},
    {"maintenance", "on|off", 1, false, NULL, NULL,
     "on: never lead (a leader hands over first); off: may lead again (root or kcwatch)"},
    {"backend", "use NAME", 2, false, NULL, NULL,
     "on the leader: make NAME the active backend now (root or kcwatch)"},
    {"reload", "", 0, false, NULL, NULL,
     "read the config file again; an invalid file changes nothing (root or kcwatch)"},
    {"metrics", "", 0, false, "metrics", show_metrics, "counters in Prometheus text format"},
    {"version", "", 0, false, NULL, NULL, "kcwatchctl's and kcwatchd's versions"},
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: kcwatchctl [-s SOCKET] COMMAND [ARGS] [--json]\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-12s %-9s %s%s\n", cmds[i].name, cmds[i].args, cmds[i].help,
			cmds[i].json_ok ? " [--json]" : "");
	fprintf(f, "\nOptions:\n"
		   "  -s SOCKET    control socket (default " DEFAULT_SOCKET ")\n"
		   "  -h, --help   this help; COMMAND --help for one command\n\n"
		   "Exit status: 0 ok, 1 the daemon refused or failed the request,\n"
		   "2 usage error, 3 the daemon is unreachable.\n");
}

static const struct ctl_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

/* JSON output of the views: the part of the status they show. */
static struct json_object *json_view(const struct ctl_cmd *c, struct json_object *reply)
{
	struct json_object *o;

	if (!strcmp(c->name, "peers"))
		return jget(reply, "peers");
	if (!strcmp(c->name, "dns"))
		return jget(reply, "dns");
	if (strcmp(c->name, "backends") != 0)
		return reply;
	o = json_object_new_object();
	json_object_object_add(o, "active_backend", json_object_get(jget(reply, "active_backend")));
	json_object_object_add(o, "backends", json_object_get(jget(reply, "backends")));
	json_object_put(reply); /* o holds references to what it shows */
	return o;
}

static int report(const struct ctl_cmd *c, struct json_object *reply, bool json)
{
	const char *err = jget_str(reply, "error", NULL);
	struct json_object *shown;

	if (err) {
		fprintf(stderr, "kcwatchctl: %s\n", err);
		json_object_put(reply);
		return EXIT_REFUSED;
	}
	if (!json) {
		if (c->show)
			c->show(reply);
		else
			printf("%s\n", jget_str(reply, "message", "ok"));
		json_object_put(reply);
		return EXIT_OK;
	}
	shown = json_view(c, reply);
	printf("%s\n", json_object_to_json_string_ext(shown, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_SPACED |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
	if (shown != reply && !strcmp(c->name, "backends"))
		json_object_put(shown);
	else
		json_object_put(reply);
	return EXIT_OK;
}

static int version(const char *sock)
{
	struct json_object *st = ask(sock, "status");

	printf("kcwatchctl %s\n", PACKAGE_VERSION);
	if (!st)
		return EXIT_UNREACHABLE;
	printf("kcwatchd %s\n", jget_str(st, "version", "unknown"));
	json_object_put(st);
	return EXIT_OK;
}

/* The request line: the command words joined by spaces. */
static int join_request(char *buf, size_t len, int n, char **words)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int k = 0; k < n; k++) {
		int w = snprintf(buf + off, len - off, "%s%s", k ? " " : "", words[k]);

		if (w < 0 || (size_t)w >= len - off || strpbrk(words[k], " \t\n"))
			return -1;
		off += (size_t)w;
	}
	return 0;
}

static int run(const char *sock, const struct ctl_cmd *c, int argc, char **argv)
{
	bool json = argc > 0 && !strcmp(argv[argc - 1], "--json");
	char request[1024];
	struct json_object *reply;

	if (argc == 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
		printf("Usage: kcwatchctl %s %s%s\n  %s\n", c->name, c->args,
		       c->json_ok ? " [--json]" : "", c->help);
		return EXIT_OK;
	}
	if ((json && !c->json_ok) || argc - json != c->nargs) {
		fprintf(stderr, "Usage: kcwatchctl %s %s%s\n", c->name, c->args,
			c->json_ok ? " [--json]" : "");
		return EXIT_USAGE;
	}
	if (!strcmp(c->name, "version"))
		return version(sock);
	if (c->request)
		snprintf(request, sizeof(request), "%s", c->request);
	else if (join_request(request, sizeof(request), argc + 1, argv - 1) < 0) {
		fprintf(stderr, "kcwatchctl: bad arguments\n");
		return EXIT_USAGE;
	}
	reply = ask(sock, request);
	return reply ? report(c, reply, json) : EXIT_UNREACHABLE;
}

int main(int argc, char **argv)
{
	const char *sock = DEFAULT_SOCKET;
	const struct ctl_cmd *c;
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-s") && i + 1 < argc) {
			sock = argv[++i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	c = find_cmd(argv[i]);
	if (!c) {
		fprintf(stderr, "kcwatchctl: unknown command '%s'\n", argv[i]);
		usage(stderr);
		return EXIT_USAGE;
	}
	return run(sock, c, argc - i - 1, argv + i + 1);
}
