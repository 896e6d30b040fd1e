/* command.c: control requests: parse the line, check the caller, run the command, reply JSON. */
#include "command.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "active.h"
#include "control.h"
#include "daemon.h"
#include "log.h"
#include "role.h"
#include "status.h"

#define CMD_MAX_ARGS 4

struct command {
	const char *name;
	bool privileged; /* changes state: root only */
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

static const struct command commands[] = {
    {"status", false, cmd_status},
    {"step-down", true, cmd_step_down},
};

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

struct json_object *command_handle(void *arg, const char *request, const struct ucred *cred)
{
	struct kcwd *d = arg;
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
		if (commands[i].privileged && cred->uid != 0) {
			log_warn("refused '%s' from uid %u (pid %d): not root", argv[0],
				 (unsigned)cred->uid, (int)cred->pid);
			return reply_error("permission denied: '%s' needs root", argv[0]);
		}
		return commands[i].run(d, argc, argv);
	}
	return reply_error("unknown command '%.64s'", argv[0]);
}
