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

/* The default of [cluster] control-socket. */
#define DEFAULT_SOCKET "/run/kcwatch/kcwatchd.sock"
#define REPLY_MAX      (1024 * 1024)
#define TIMEOUT_MS     5000

/* Exit codes (documented in kcwatchctl(8)). */
enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

static void usage(FILE *f)
{
	fprintf(f, "Usage: kcwatchctl [-s SOCKET] COMMAND [ARGS]\n\n"
		   "Commands:\n"
		   "  status [--json]   this node, role, term, leader, peers and VIPs\n"
		   "  step-down         hand leadership to another node (root)\n"
		   "  backend use NAME  make NAME the active backend now, on the leader (root)\n"
		   "  version           print the version\n\n"
		   "Options:\n"
		   "  -s SOCKET         control socket (default " DEFAULT_SOCKET ")\n"
		   "  -h, --help        this help\n\n"
		   "Exit status: 0 ok, 1 the daemon refused or failed the request,\n"
		   "2 usage error, 3 the daemon is unreachable.\n");
}

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

static const char *jget_str(struct json_object *o, const char *key, const char *dflt)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return dflt;
	return json_object_get_string(v);
}

static int64_t jget_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_int64(v) : 0;
}

static struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static void print_peers(struct json_object *st)
{
	struct json_object *peers = jget(st, "peers");
	size_t n = peers ? json_object_array_length(peers) : 0;

	printf("\n%-12s %-28s %-9s %5s %6s %12s %9s %8s\n", "PEER", "ADDRESS", "ROLE", "PRIO",
	       "TERM", "LAST HEARD", "RECEIVED", "DROPPED");
	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(peers, i);
		struct json_object *seen = jget(p, "last_seen_ms");
		char heard[32];

		if (seen)
			snprintf(heard, sizeof(heard), "%lld ms ago",
				 (long long)json_object_get_int64(seen));
		else
			snprintf(heard, sizeof(heard), "never");
		printf("%-12s %-28s %-9s %5lld %6lld %12s %9lld %8lld%s\n",
		       jget_str(p, "node", "?"), jget_str(p, "address", "?"),
		       jget_str(p, "role", "?"), (long long)jget_int(p, "priority"),
		       (long long)jget_int(p, "term"), heard, (long long)jget_int(p, "received"),
		       (long long)jget_int(p, "dropped"),
		       json_object_get_boolean(jget(p, "config_matches")) || !seen
			   ? ""
			   : "  (config differs)");
	}
}

static void print_vips(struct json_object *st)
{
	struct json_object *vips = jget(st, "vips");
	size_t n = vips ? json_object_array_length(vips) : 0;

	if (!n)
		return;
	printf("\n%-12s %-40s %-12s %s\n", "VIP", "ADDRESS", "INTERFACE", "HELD");
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(vips, i);

		printf("%-12s %-40s %-12s %s\n", jget_str(v, "name", "?"),
		       jget_str(v, "address", "?"), jget_str(v, "interface", "?"),
		       json_object_get_boolean(jget(v, "held")) ? "yes" : "no");
	}
}

static void print_backends(struct json_object *st)
{
	struct json_object *bes = jget(st, "backends");
	size_t n = bes ? json_object_array_length(bes) : 0;

	if (!n)
		return;
	printf("\n%-12s %-8s %-6s %8s %14s  %s\n", "BACKEND", "STATE", "ACTIVE", "LATENCY", "SINCE",
	       "LAST RESULT");
	for (size_t i = 0; i < n; i++) {
		struct json_object *b = json_object_array_get_idx(bes, i);
		const char *reason = jget_str(b, "reason", "");
		char since[32];

		snprintf(since, sizeof(since), "%lld s ago",
			 (long long)(jget_int(b, "since_ms_ago") / 1000));
		printf("%-12s %-8s %-6s %6lld ms %14s  %s\n", jget_str(b, "name", "?"),
		       jget_str(b, "state", "?"),
		       json_object_get_boolean(jget(b, "active")) ? "yes" : "",
		       (long long)jget_int(b, "latency_ms"), since, *reason ? reason : "ok");
	}
}

static void print_status(struct json_object *st)
{
	printf("node      %s (%s)\n", jget_str(st, "node", "?"), jget_str(st, "address", "?"));
	printf("role      %s\n", jget_str(st, "role", "?"));
	printf("term      %lld\n", (long long)jget_int(st, "term"));
	printf("leader    %s\n", jget_str(st, "leader", "none"));
	printf("priority  %lld (effective %lld)\n", (long long)jget_int(st, "priority"),
	       (long long)jget_int(st, "effective_priority"));
	printf("cluster   %s\n", jget_str(st, "cluster", "?"));
	if (jget(st, "backends"))
		printf("active    %s\n", jget_str(st, "active_backend", "none"));
	print_peers(st);
	print_vips(st);
	print_backends(st);
}

static int report(struct json_object *reply, bool json, void (*show)(struct json_object *))
{
	const char *err = jget_str(reply, "error", NULL);

	if (err) {
		fprintf(stderr, "kcwatchctl: %s\n", err);
		return EXIT_REFUSED;
	}
	if (json)
		printf("%s\n", json_object_to_json_string_ext(
				   reply, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
					      JSON_C_TO_STRING_NOSLASHESCAPE));
	else if (show)
		show(reply);
	else
		printf("%s\n", jget_str(reply, "message", "ok"));
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

int main(int argc, char **argv)
{
	const char *sock = DEFAULT_SOCKET;
	char request[1024];
	struct json_object *reply;
	bool json = false;
	int i = 1, rc;

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
	if (!strcmp(argv[i], "version")) {
		printf("kcwatchctl %s\n", PACKAGE_VERSION);
		return EXIT_OK;
	}
	if (!strcmp(argv[i], "status")) {
		json = i + 1 < argc && !strcmp(argv[i + 1], "--json");
		if (i + 1 + json != argc) {
			usage(stderr);
			return EXIT_USAGE;
		}
	} else if (!(!strcmp(argv[i], "step-down") && i + 1 == argc) &&
		   !(!strcmp(argv[i], "backend") && i + 3 == argc && !strcmp(argv[i + 1], "use"))) {
		fprintf(stderr, "kcwatchctl: unknown command or wrong arguments: '%s'\n", argv[i]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (join_request(request, sizeof(request), argc - i - json, argv + i) < 0) {
		fprintf(stderr, "kcwatchctl: request too long\n");
		return EXIT_USAGE;
	}
	reply = ask(sock, request);
	if (!reply)
		return EXIT_UNREACHABLE;
	rc = report(reply, json, !strcmp(argv[i], "status") ? print_status : NULL);
	json_object_put(reply);
	return rc;
}
