/* SPDX-License-Identifier: MIT */
/* command.c: control requests: parse the line, check the caller, run the command, reply JSON. */
#include "command.h"

#include <errno.h>
#include <grp.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "active.h"
#include "control.h"
#include "daemon.h"
#include "log.h"
#include "ops.h"
#include "role.h"
#include "status.h"

#define CMD_MAX_ARGS 4

struct command {
	const char *name;
	bool privileged; /* changes state: root or the kcwatch group only */
	struct json_object *(*run)(struct kcwd *d, int argc, char **argv);
};

static struct json_object *reply_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static struct json_object *reply_error(const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

static struct json_object *reply_ok(const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "message", json_object_new_string(msg));
	return o;
}

static struct json_object *cmd_status(struct kcwd *d, int argc, char **argv)
{
	return status_json(d);
}

static struct json_object *cmd_step_down(struct kcwd *d, int argc, char **argv)
{
	struct election_event ev = {.type = EV_STEP_DOWN};
	int rc = daemon_election_event(d, &ev);

	if (rc == -EINVAL)
		return reply_error("this node is not the leader");
	if (rc == -EAGAIN)
		return reply_error("no other eligible node is alive to take over");
	log_notice("stepped down on request of the operator");
	return reply_ok("stepped down; another node takes over");
}

static struct json_object *cmd_backend(struct kcwd *d, int argc, char **argv)
{
	char msg[256];

	if (argc != 3 || strcmp(argv[1], "use") != 0)
		return reply_error("usage: backend use NAME");
	int leader = election_leader(d->el);

	if (election_role(d->el) != ROLE_LEADER)
		return reply_error("this node is not the leader: run it on %s",
				   leader >= 0 ? d->cfg->nodes[leader].name : "the leader");
	if (active_use(d->active, argv[2], msg, sizeof(msg)) < 0)
		return reply_error("%s", msg);
	log_notice("operator: %s", msg);
	return reply_ok(msg);
}

static struct json_object *cmd_maintenance(struct kcwd *d, int argc, char **argv)
{
	struct election_event ev = {.type = EV_MAINTENANCE};
	char why[PATH_MAX + 128], msg[PATH_MAX + 256];

	if (argc != 2 || (strcmp(argv[1], "on") != 0 && strcmp(argv[1], "off") != 0))
		return reply_error("usage: maintenance on|off");
	ev.on = strcmp(argv[1], "on") == 0;
	if (ev.on == election_maintenance(d->el))
		return reply_ok(ev.on ? "already in maintenance" : "not in maintenance");
	log_notice("operator: maintenance %s", argv[1]);
	daemon_election_event(d, &ev);
	daemon_ops_status(d);	      /* STATUS= shows it, also when the role stays */
	d->state.maintenance = ev.on; /* kept across restarts in the state file */
	snprintf(msg, sizeof(msg), "%s",
		 ev.on ? "maintenance on: this node does not lead until 'maintenance off', also "
			 "after a restart"
		       : "maintenance off: this node may lead again");
	if (daemon_state_save(d, why, sizeof(why)) < 0)
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
			 " (not kept across a restart: %s)", why);
	return reply_ok(msg);
}

static struct json_object *cmd_reload(struct kcwd *d, int argc, char **argv)
{
	char msg[CFG_ERR_MAX + 64];

	if (daemon_reload(d, msg, sizeof(msg)) < 0)
		return reply_error("%s", msg);
	return reply_ok(msg);
}

static struct json_object *cmd_hook(struct kcwd *d, int argc, char **argv)
{
	char err[PATH_MAX + 128] = "";

	if (argc != 3 || strcmp(argv[1], "test") != 0)
		return reply_error("usage: hook test leader|follower|fault|backend-change");
	log_notice("operator: hook test %s", argv[2]);
	if (daemon_ops_hook_test(d, argv[2], err, sizeof(err)) == NULL && err[0])
		return reply_error("%s", err);
	return NULL; /* the reply comes when the hook has ended */
}

static struct json_object *cmd_metrics(struct kcwd *d, int argc, char **argv)
{
	return daemon_ops_metrics_json(d);
}

/* Commands that take no arguments refuse extra words, the others check their own. */
static const struct command commands[] = {
    {"status", false, cmd_status},  {"step-down", true, cmd_step_down},
    {"backend", true, cmd_backend}, {"maintenance", true, cmd_maintenance},
    {"reload", true, cmd_reload},   {"metrics", false, cmd_metrics},
    {"hook", true, cmd_hook},
};

/* Root, or a member of the daemon's admin group (kcwatch). */
static bool caller_privileged(const struct kcwd *d, const struct control_peer *peer)
{
	if (peer->cred.uid == 0)
		return true;
	return d->admin_gid_valid && control_peer_in_group(peer, d->admin_gid);
}

static int split(char *line, char **argv)
{
	int argc = 0;

	for (char *tok = strtok(line, " \t"); tok; tok = strtok(NULL, " \t")) {
		if (argc == CMD_MAX_ARGS)
			return -E2BIG;
		argv[argc++] = tok;
	}
	return argc;
}

static struct json_object *handle(struct kcwd *d, const char *request,
				  const struct control_peer *peer, bool read_only)
{
	char line[CONTROL_REQUEST_MAX];
	char *argv[CMD_MAX_ARGS];
	int argc;

	snprintf(line, sizeof(line), "%s", request);
	argc = split(line, argv);
	if (argc < 0)
		return reply_error("too many arguments");
	if (argc == 0)
		return reply_error("empty request");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[0], commands[i].name) != 0)
			continue;
		if (commands[i].privileged && read_only)
			return reply_error("'%s' is not served on the status socket, which only "
					   "reads: use the control socket (root or group %s)",
					   argv[0], DAEMON_ADMIN_GROUP);
		if (commands[i].privileged && !caller_privileged(d, peer)) {
			log_warn("refused '%s' from uid %u (pid %d): not root nor in group %s",
				 argv[0], (unsigned)peer->cred.uid, (int)peer->cred.pid,
				 DAEMON_ADMIN_GROUP);
			return reply_error("permission denied: '%s' needs root or group %s",
					   argv[0], DAEMON_ADMIN_GROUP);
		}
		return commands[i].run(d, argc, argv);
	}
	return reply_error("unknown command '%.64s'", argv[0]);
}

struct json_object *command_handle(void *arg, const char *request, const struct control_peer *peer)
{
	return handle(arg, request, peer, false);
}

struct json_object *command_handle_status(void *arg, const char *request,
					  const struct control_peer *peer)
{
	return handle(arg, request, peer, true);
}
