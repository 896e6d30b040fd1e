/* SPDX-License-Identifier: MIT */
/* fuzz_control.c: libFuzzer harness for control requests: line framing and command dispatch. */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "active.h"
#include "command.h"
#include "control.h"
#include "daemon.h"
#include "log.h"
#include "ops.h"
#include "loop.h"
#include "role.h"
#include "status.h"

/*
 * Each input is a control request, sent two ways:
 *  1. straight to command_handle (the line splitting, the command table, the caller
 *     check and each command's argument checks), as root, as a member of the admin
 *     group and as uid 65534, against a stand-in daemon whose state (leader or not,
 *     maintenance) the last input byte picks;
 *  2. over a real UNIX socket to a control server (control.c) on this process's own
 *     event loop, with command_handle as its handler: the client sends the input,
 *     shuts its side down and reads until the server closes. The reply, when there is
 *     one, must be exactly one JSON object and a newline.
 *
 * command_handle reads a few fields of struct kcwd and calls into the daemon to run
 * a command. This harness links its own status_json, daemon_election_event,
 * daemon_reload, active_use, the election accessors and log_* in place of libkcw.a's
 * (the linker then leaves status.o, daemon.o, active.o, election_view.o and log.o
 * out), so no daemon is needed and the logs stay quiet. When command.c starts to call
 * something else of daemon.o, the link fails with a duplicate symbol: add a stand-in
 * here. A cleaner seam would be a command_parse() in command.c that returns the
 * command, its arguments and whether the caller may run it (or the error reply),
 * leaving only the run step to need a daemon.
 *
 * Build: ./configure --enable-fuzzing CC=clang && make fuzz/fuzz_control
 * Run:   fuzz/fuzz_control -max_total_time=30 CORPUS_DIR   (seeds: fuzz/corpus/control)
 */

#define ADMIN_GID 4242

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* --- stand-ins for the daemon ------------------------------------------------------ */

static struct kcwd daemon_ctx;
static struct kcw_config daemon_cfg;
static int election_rc; /* what the stand-in election answers with */

struct json_object *status_json(const struct kcwd *d)
{
	struct json_object *o = json_object_new_object();

	if (d != &daemon_ctx)
		abort();
	json_object_object_add(o, "node", json_object_new_string("fuzz"));
	json_object_object_add(o, "role", json_object_new_string("leader"));
	return o;
}

int daemon_election_event(struct kcwd *d, const struct election_event *ev)
{
	if (d != &daemon_ctx || (ev->type != EV_STEP_DOWN && ev->type != EV_MAINTENANCE))
		abort(); /* the control socket asks for a step-down or maintenance only */
	return election_rc;
}

int daemon_state_save(struct kcwd *d, char *why, size_t whylen)
{
	if (d != &daemon_ctx || !whylen)
		abort();
	return 0; /* maintenance is kept in the state file: nothing to write under the fuzzer */
}

int daemon_reload(struct kcwd *d, char *msg, size_t len)
{
	if (d != &daemon_ctx || !len)
		abort();
	snprintf(msg, len, "%s", election_rc ? "kcwatch.conf:3: bad value" : "nothing changed");
	return election_rc;
}

/* The election as command.c reads it (election_view.c stays out of the link). */
static struct {
	enum kcw_role role;
	int leader;
	bool maintenance;
} election_ctx;

enum kcw_role election_role(const struct election *e)
{
	(void)e;
	return election_ctx.role;
}

int election_leader(const struct election *e)
{
	(void)e;
	return election_ctx.leader;
}

bool election_maintenance(const struct election *e)
{
	(void)e;
	return election_ctx.maintenance;
}

void daemon_ops_status(struct kcwd *d)
{
	(void)d;
}

struct json_object *daemon_ops_metrics_json(const struct kcwd *d)
{
	struct json_object *o = json_object_new_object();

	(void)d;
	json_object_object_add(o, "text", json_object_new_string("# stand-in\n"));
	return o;
}

struct json_object *daemon_ops_hook_test(struct kcwd *d, const char *event, char *err,
					 size_t errlen)
{
	(void)d;
	snprintf(err, errlen, "no hook test under the fuzzer (%.32s)", event);
	return NULL;
}

int active_use(struct active *a, const char *name, char *msg, size_t len)
{
	if (!name || !len)
		abort();
	snprintf(msg, len, "backend %.64s: %s", name, election_rc ? "no such backend" : "in use");
	return election_rc;
}

void log_init(int debug)
{
}

int log_debug_enabled(void)
{
	return 1; /* format the debug messages too */
}

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

/* The stand-in daemon's state, from one input byte. */
static void set_state(uint8_t b)
{
	daemon_ctx.cfg = &daemon_cfg;
	daemon_ctx.admin_gid_valid = b & 4;
	daemon_ctx.admin_gid = ADMIN_GID;
	election_ctx.role = b & 8 ? ROLE_LEADER : ROLE_FOLLOWER;
	election_ctx.leader = b & 16 ? -1 : b & 8 ? 0 : 1;
	election_ctx.maintenance = b & 32;
	election_rc = (int[]){0, -EINVAL, -EAGAIN, -ENOENT}[b & 3];
}

/* --- 1: command_handle directly ---------------------------------------------------- */

static void check_reply(struct json_object *o)
{
	if (!o || !json_object_is_type(o, json_type_object))
		abort();
	json_object_put(o);
}

static void direct(const uint8_t *data, size_t size)
{
	static const gid_t extra[] = {100, ADMIN_GID};
	struct control_peer root = {.cred = {.pid = 1, .uid = 0, .gid = 0}};
	struct control_peer admin = {.cred = {.pid = 2, .uid = 1000, .gid = ADMIN_GID}};
	struct control_peer member = {
	    .cred = {.pid = 3, .uid = 1001, .gid = 1001}, .groups = extra, .n_groups = 2};
	struct control_peer nobody = {.cred = {.pid = 2, .uid = 65534, .gid = 65534}};
	char line[CONTROL_REQUEST_MAX];
	size_t n = size < sizeof(line) - 1 ? size : sizeof(line) - 1;

	/* what control.c hands over: the bytes up to the first NUL, without the line end */
	memcpy(line, data, n);
	line[n] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	check_reply(command_handle(&daemon_ctx, line, &root));
	check_reply(command_handle(&daemon_ctx, line, &admin));
	check_reply(command_handle(&daemon_ctx, line, &member));
	check_reply(command_handle(&daemon_ctx, line, &nobody));
}

/* --- 2: over the control socket ---------------------------------------------------- */

static struct loop *loop;
static struct control *ctl;
static struct loop_timer *deadline;
static char sock_dir[PATH_MAX], sock_path[PATH_MAX];

struct client {
	int fd;
	char in[64 * 1024];
	size_t len;
	bool closed;
};

static void cleanup(void)
{
	control_close(ctl);
	loop_timer_free(deadline);
	loop_free(loop);
	rmdir(sock_dir);
}

static void on_deadline(void *arg)
{
	fprintf(stderr, "fuzz_control: the server neither answered nor closed within 20 s\n");
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	char err[256];

	snprintf(sock_dir, sizeof(sock_dir), "%s/kcw-fuzz-control.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp"); /* tmp-ok: the system default when TMPDIR is unset */
	if (!mkdtemp(sock_dir)) {
		perror("fuzz_control: mkdtemp");
		abort();
	}
	snprintf(sock_path, sizeof(sock_path), "%s/ctl.sock", sock_dir);
	loop = loop_new();
	if (!loop)
		abort();
	snprintf(daemon_cfg.nodes[0].name, sizeof(daemon_cfg.nodes[0].name), "lb1");
	snprintf(daemon_cfg.nodes[1].name, sizeof(daemon_cfg.nodes[1].name), "lb2");
	daemon_cfg.n_nodes = 2;
	set_state(0);
	ctl = control_open(loop, sock_path, command_handle, &daemon_ctx, err, sizeof(err));
	deadline = loop_timer_new(loop, on_deadline, NULL);
	if (!ctl || !deadline) {
		fprintf(stderr, "fuzz_control: %s\n", err);
		abort();
	}
	atexit(cleanup);
	return 0;
}

static void on_client(void *arg, int fd, uint32_t events)
{
	struct client *c = arg;

	for (;;) {
		ssize_t n = recv(fd, c->in + c->len, sizeof(c->in) - 1 - c->len, MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0 || c->len + (size_t)n == sizeof(c->in) - 1) {
			c->len += n > 0 ? (size_t)n : 0;
			c->closed = true;
			loop_del_fd(loop, fd);
			loop_stop(loop);
			return;
		}
		c->len += (size_t)n;
	}
}

static void check_wire_reply(const struct client *c)
{
	struct json_object *o;
	char *nl;

	if (c->len == 0)
		return; /* closed without an answer: the client sent no complete line */
	nl = memchr(c->in, '\n', c->len);
	if (!nl || nl != c->in + c->len - 1)
		abort(); /* one line, ending the reply */
	o = json_tokener_parse(c->in);
	check_reply(o);
}

static void over_socket(const uint8_t *data, size_t size)
{
	static struct client c;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	memset(&c, 0, sizeof(c));
	c.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	strcpy(sun.sun_path, sock_path);
	if (c.fd < 0 || connect(c.fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		abort();
	/* the socket buffer takes any input libFuzzer makes (-max_len stays far below it) */
	if (size && send(c.fd, data, size, MSG_NOSIGNAL) != (ssize_t)size)
		abort();
	shutdown(c.fd, SHUT_WR);
	if (loop_add_fd(loop, c.fd, EPOLLIN | EPOLLRDHUP, on_client, &c) < 0)
		abort();
	loop_timer_arm(deadline, 20000); /* a hang, not a slow sweep (5 s) */
	while (!c.closed)
		if (loop_run(loop) < 0)
			abort();
	loop_timer_disarm(deadline);
	close(c.fd);
	c.in[c.len] = '\0';
	check_wire_reply(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 32 * 1024)
		return -1;
	set_state(size ? data[size - 1] : 0);
	direct(data, size);
	over_socket(data, size);
	if (control_clients(ctl) != 0)
		abort(); /* every connection is closed once answered */
	return 0;
}
