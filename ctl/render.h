/* SPDX-License-Identifier: MIT */
/* render.h: kcwatchctl's tables: the daemon's JSON answers for people. */
#ifndef KCW_RENDER_H
#define KCW_RENDER_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

const char *jget_str(struct json_object *o, const char *key, const char *dflt);
int64_t jget_int(struct json_object *o, const char *key);
struct json_object *jget(struct json_object *o, const char *key);

void print_status(struct json_object *st);
void print_peers(struct json_object *st);
void print_backends(struct json_object *st);
void print_dns(struct json_object *st);
/* hook test: the command line it ran, its exit status or signal, its output. */
void print_hook_test(struct json_object *r);
/* status --check: one line into buf; 0 healthy in its role, 1 degraded. */
int status_health(struct json_object *st, char *buf, size_t len);

#endif
