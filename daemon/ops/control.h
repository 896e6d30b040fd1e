/* SPDX-License-Identifier: MIT */
/* control.h: the control socket server (UNIX stream, one request line, one JSON reply). */
#ifndef KCW_CONTROL_H
#define KCW_CONTROL_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "loop.h"

struct json_object;
struct control;

#define CONTROL_REQUEST_MAX 1024
#define CONTROL_MAX_CLIENTS 512
#define CONTROL_IDLE_MS	    5000

/* Who sent a request: its SO_PEERCRED and its supplementary groups (SO_PEERGROUPS), both
 * as they were when it connected. */
struct control_peer {
	struct ucred cred;
	const gid_t *groups;
	size_t n_groups;
};

/* True when the peer's primary or one of its supplementary groups is gid. */
bool control_peer_in_group(const struct control_peer *p, gid_t gid);

/*
 * Protocol (doc/control-protocol.md): the client sends one line of text
 * ("status", "step-down", ...), the server answers with one JSON object and
 * a newline, then closes. The handler returns a new JSON object; the server
 * frees it.
 */
typedef struct json_object *(*control_handler)(void *arg, const char *request,
					       const struct control_peer *peer);

/* Binds path (mode 0660), replacing a stale socket but not a live one. */
struct control *control_open(struct loop *l, const char *path, control_handler h, void *arg,
			     char *err, size_t errlen);
/* The same with the socket file's mode (0666 for the status socket) and the name used in
 * messages ("control socket", "status socket"). */
struct control *control_open_mode(struct loop *l, const char *path, mode_t mode, const char *label,
				  control_handler h, void *arg, char *err, size_t errlen);
/* Closes all clients and the socket, and unlinks path. */
void control_close(struct control *c);
size_t control_clients(const struct control *c);

/*
 * For a request that takes time (kcwatchctl hook test): called by the handler while it
 * runs, it keeps the client open for up to timeout_ms and returns an id (0 outside a
 * handler); the handler then returns NULL. control_complete() sends the reply later (and
 * frees it, also when the client has gone in the meantime).
 */
uint64_t control_defer(struct control *ctl, uint32_t timeout_ms);
void control_complete(struct control *ctl, uint64_t id, struct json_object *reply);

#endif
