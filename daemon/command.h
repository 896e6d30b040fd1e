/* SPDX-License-Identifier: MIT */
/* command.h: control requests ("status", "step-down", ...) and their JSON replies. */
#ifndef KCW_COMMAND_H
#define KCW_COMMAND_H

#include <sys/socket.h>

struct json_object;

/* control_handler for the daemon: arg is the struct kcwd. */
struct json_object *command_handle(void *arg, const char *request, const struct ucred *cred);

#endif
