/* SPDX-License-Identifier: MIT */
/* render.h: kcwatchctl's tables: the daemon's JSON answers for people. */
#ifndef KCW_RENDER_H
#define KCW_RENDER_H

#include <json-c/json.h>
#include <stdint.h>

const char *jget_str(struct json_object *o, const char *key, const char *dflt);
int64_t jget_int(struct json_object *o, const char *key);
struct json_object *jget(struct json_object *o, const char *key);

void print_status(struct json_object *st);
void print_peers(struct json_object *st);
void print_backends(struct json_object *st);
void print_dns(struct json_object *st);

#endif
