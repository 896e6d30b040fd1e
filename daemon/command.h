/* SPDX-License-Identifier: MIT */
/* command.h: control requests ("status", "step-down", ...) and their JSON replies. */
#ifndef KCW_COMMAND_H
#define KCW_COMMAND_H

#include <sys/socket.h>

struct control_peer;
struct json_object;

/* control_handler for the daemon: arg is the struct kcwd. */
struct json_object *command_handle(void *arg, const char *request, const struct control_peer *peer);
/* The status socket's handler: the same, but commands that change state are refused to
 * everyone (whoever may connect to it may read, nothing more). */
struct json_object *command_handle_status(void *arg, const char *request,
					  const struct control_peer *peer);

#endif
