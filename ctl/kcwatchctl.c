/* SPDX-License-Identifier: MIT */
/* kcwatchctl.c: asks kcwatchd over its control socket and prints the answer for people or scripts.
 */
#include <errno.h>
#include <limits.h>
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
#include "sockpath.h"

#define REPLY_MAX	(1024 * 1024)
#define TIMEOUT_MS	5000
#define HOOK_TIMEOUT_MS 40000 /* hook test: the daemon's 30 s hook timeout, the kill, margin */

/* Exit codes (documented in kcwatchctl(8)). */
enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

/* The sockets to ask: the control socket, and for read-only commands the status socket. */
struct sockets {
	const char *control;
	char status[PATH_MAX];
	bool quiet; /* status --check: one line of its own on failure */
};

/* A connected descriptor, or -errno. */
static int connect_to(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd, err;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

/* Why the daemon cannot be reached, in one line. */
static void unreachable_reason(const char *path, int err, char *buf, size_t len)
{
	if (err == EACCES || err == EPERM)
		snprintf(buf, len,
			 "permission denied: cannot connect to %s (member of group kcwatch?)",
			 path);
	else
		snprintf(buf, len, "cannot reach kcwatchd at %s: %s (is it running?)", path,
			 strerror(err));
}

/*
 * The control socket; for read-only commands the status socket when the control socket
 * cannot be opened (no permission, or not there). On failure the control socket's error
 * goes to why.
 */
static int connect_any(const struct sockets *sk, bool read_only, char *why, size_t len)
{
	int fd = connect_to(sk->control), fd2;

	if (fd >= 0)
		return fd;
	if (read_only && sk->status[0] && strcmp(sk->status, sk->control) != 0) {
		fd2 = connect_to(sk->status);
		if (fd2 >= 0)
			return fd2;
	}
	unreachable_reason(sk->control, -fd, why, len);
	return fd;
}

static char *read_reply(int fd, int timeout_ms, char *why, size_t whylen)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	snprintf(why, whylen, "out of memory");
	while (buf) {
		ssize_t n;

		if (poll(&pfd, 1, timeout_ms) <= 0) {
			snprintf(why, whylen, "no answer from kcwatchd within %d ms", timeout_ms);
			break;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0) {
			buf[len] = '\0';
			if (len)
				return buf;
			snprintf(why, whylen, "kcwatchd closed the connection without answering");
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

/* One request line out, one JSON object back. NULL when unreachable (said on stderr
 * unless sk->quiet; why holds it either way). */
static struct json_object *ask(const struct sockets *sk, bool read_only, const char *request,
			       char *why, size_t len)
{
	int fd = connect_any(sk, read_only, why, len);
	struct json_object *reply;
	char *text;

	if (fd < 0) {
		if (!sk->quiet)
			fprintf(stderr, "kcwatchctl: %s\n", why);
		return NULL;
	}
	if (dprintf(fd, "%s\n", request) < 0) {
		snprintf(why, len, "cannot send to kcwatchd: %s", strerror(errno));
		text = NULL;
	} else {
		text = read_reply(fd, strncmp(request, "hook ", 5) ? TIMEOUT_MS : HOOK_TIMEOUT_MS,
				  why, len);
	}
	close(fd);
	reply = text ? json_tokener_parse(text) : NULL;
	if (text && !reply)
		snprintf(why, len, "kcwatchd sent an answer that is not JSON");
	if (!reply && !sk->quiet)
		fprintf(stderr, "kcwatchctl: %s\n", why);
	free(text);
	return reply;
}

/* A command: its words, what it asks the daemon, and how the answer is shown. */
struct ctl_cmd {
	const char *name;
	const char *args;			 /* usage of the arguments, "" for none */
	int nargs;				 /* exact number of arguments after the name */
	bool json_ok;				 /* accepts --json */
	bool read_only;				 /* may be answered by the status socket */
	const char *request;			 /* fixed request, NULL = the words themselves */
	void (*show)(struct json_object *reply); /* NULL: print the message */
	const char *help;
};

static void show_metrics(struct json_object *reply)
{
	fputs(jget_str(reply, "text", ""), stdout);
}

static const struct ctl_cmd cmds[] = {
    {"status", "[--check]", 0, true, true, "status", print_status,
     "this node: role, leader, peers, VIPs, backends, DNS, defence; --check: Nagios-style"},
    {"peers", "", 0, true, true, "status", print_peers, "what every peer last said"},
    {"backends", "", 0, true, true, "status", print_backends, "the backends and the active one"},
    {"dns", "", 0, true, true, "status", print_dns, "the DNS name, its target and the fence"},
    {"step-down", "", 0, false, false, NULL, NULL,
     "hand leadership to another node (root or kcwatch)"},
    {"maintenance", "on|off", 1, false, false, NULL, NULL,
     "on: never lead (a leader hands over first); off: may lead again (root or kcwatch)"},
    {"backend", "use NAME", 2, false, false, NULL, NULL,
     "on the leader: make NAME the active backend now (root or kcwatch)"},
    {"reload", "", 0, false, false, NULL, NULL,
     "read the config file again; an invalid file changes nothing (root or kcwatch)"},
    {"hook", "test EVENT", 2, true, false, NULL, print_hook_test,
     "run EVENT's hook now with sample values: its exit status and output (root or kcwatch)"},
    {"metrics", "", 0, false, true, "metrics", show_metrics, "counters in Prometheus text format"},
    {"version", "", 0, false, true, NULL, NULL, "kcwatchctl's and kcwatchd's versions"},
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: kcwatchctl [-s SOCKET] [-S SOCKET] COMMAND [ARGS] [--json]\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-12s %-10s %s%s\n", cmds[i].name, cmds[i].args, cmds[i].help,
			cmds[i].json_ok ? " [--json]" : "");
	fprintf(f, "\nOptions:\n"
		   "  -s SOCKET    control socket (default " SOCKPATH_CONTROL_DEFAULT ")\n"
		   "  -S SOCKET    status socket, asked for reading when the control socket\n"
		   "               cannot be opened (default " SOCKPATH_STATUS_DEFAULT ",\n"
		   "               or next to the -s socket)\n"
		   "  --json       JSON output, anywhere on the command line\n"
		   "  -h, --help   this help; COMMAND --help for one command\n\n"
		   "Exit status: 0 ok, 1 the daemon refused or failed the request\n"
		   "(status --check: degraded), 2 usage error, 3 the daemon is unreachable.\n");
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
	int rc = EXIT_OK;

	if (err) {
		fprintf(stderr, "kcwatchctl: %s\n", err);
		json_object_put(reply);
		return EXIT_REFUSED;
	}
	if (!strcmp(c->name, "hook"))
		rc = jget(reply, "exit_status") && jget_int(reply, "exit_status") == 0
			 ? EXIT_OK
			 : EXIT_REFUSED;
	if (!json) {
		if (c->show)
			c->show(reply);
		else
			printf("%s\n", jget_str(reply, "message", "ok"));
		json_object_put(reply);
		return rc;
	}
	shown = json_view(c, reply);
	printf("%s\n", json_object_to_json_string_ext(shown, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_SPACED |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
	if (shown != reply && !strcmp(c->name, "backends"))
		json_object_put(shown);
	else
		json_object_put(reply);
	return rc;
}

static int version(const struct sockets *sk)
{
	char why[512];
	struct json_object *st;

	printf("kcwatchctl %s\n", PACKAGE_VERSION);
	st = ask(sk, true, "status", why, sizeof(why));
	if (!st)
		return EXIT_UNREACHABLE;
	printf("kcwatchd %s\n", jget_str(st, "version", "unknown"));
	json_object_put(st);
	return EXIT_OK;
}

/* status --check: one line, and 0 healthy, 1 degraded, 3 unreachable (Nagios' codes). */
static int check(struct sockets *sk)
{
	char why[512], line[512];
	struct json_object *st;
	int rc;

	sk->quiet = true;
	st = ask(sk, true, "status", why, sizeof(why));
	if (!st) {
		printf("KCWATCH UNKNOWN - %s\n", why);
		return EXIT_UNREACHABLE;
	}
	if (jget_str(st, "error", NULL)) {
		printf("KCWATCH UNKNOWN - %s\n", jget_str(st, "error", ""));
		json_object_put(st);
		return EXIT_UNREACHABLE;
	}
	rc = status_health(st, line, sizeof(line));
	printf("KCWATCH %s - %s\n", rc == 0 ? "OK" : "WARNING", line);
	json_object_put(st);
	return rc == 0 ? EXIT_OK : EXIT_REFUSED;
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

static int cmd_usage(const struct ctl_cmd *c, FILE *f)
{
	fprintf(f, "Usage: kcwatchctl %s%s%s%s\n", c->name, *c->args ? " " : "", c->args,
		c->json_ok ? " [--json]" : "");
	return EXIT_USAGE;
}

static int run(struct sockets *sk, const struct ctl_cmd *c, int argc, char **argv, bool json)
{
	bool check_opt = argc == 1 && !strcmp(c->name, "status") && !strcmp(argv[0], "--check");
	char request[1024], why[512];
	struct json_object *reply;

	if (argc == 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
		cmd_usage(c, stdout);
		printf("  %s\n", c->help);
		return EXIT_OK;
	}
	if ((json && !c->json_ok) || (argc != c->nargs && !check_opt) || (check_opt && json))
		return cmd_usage(c, stderr);
	if (check_opt)
		return check(sk);
	if (!strcmp(c->name, "version"))
		return version(sk);
	if (c->request)
		snprintf(request, sizeof(request), "%s", c->request);
	else if (join_request(request, sizeof(request), argc + 1, argv - 1) < 0) {
		fprintf(stderr, "kcwatchctl: bad arguments\n");
		return EXIT_USAGE;
	}
	reply = ask(sk, c->read_only, request, why, sizeof(why));
	return reply ? report(c, reply, json) : EXIT_UNREACHABLE;
}

/* Takes every "--json" out of argv (it may stand anywhere); true when there was one. */
static bool take_json(int *argc, char **argv)
{
	int o = 1;
	bool json = false;

	for (int i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else
			argv[o++] = argv[i];
	}
	*argc = o;
	argv[o] = NULL;
	return json;
}

int main(int argc, char **argv)
{
	struct sockets sk = {.control = SOCKPATH_CONTROL_DEFAULT};
	const char *status = NULL;
	bool json = take_json(&argc, argv);
	const struct ctl_cmd *c;
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-s") && i + 1 < argc) {
			sk.control = argv[++i];
		} else if (!strcmp(argv[i], "-S") && i + 1 < argc) {
			status = argv[++i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (status)
		snprintf(sk.status, sizeof(sk.status), "%s", status);
	else if (sockpath_status_for(sk.control, sk.status, sizeof(sk.status)) < 0)
		sk.status[0] = '\0';
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
	return run(&sk, c, argc - i - 1, argv + i + 1, json);
}
