/* SPDX-License-Identifier: MIT */
/* etcdjson.h: request bodies and answers of etcd's v3 JSON gateway (pure, no I/O). */
#ifndef KCW_ETCDJSON_H
#define KCW_ETCDJSON_H

#include <stddef.h>
#include <stdint.h>

#include "etcdlead.h"

#define ETCDJSON_REQ_MAX 2048

/* base64 of s into out (NUL-terminated). 0 or -ENOSPC. */
int etcdjson_b64(const char *s, char *out, size_t len);

/* Request bodies; each returns 0 or -ENOSPC. Keys and values are base64 already. */
int etcdjson_grant_req(char *buf, size_t len, uint32_t ttl_s);
int etcdjson_keepalive_req(char *buf, size_t len, int64_t lease);
/* create key = value bound to lease if create_revision == 0; else range the key */
int etcdjson_txn_req(char *buf, size_t len, const char *key, const char *value, int64_t lease);
int etcdjson_range_req(char *buf, size_t len, const char *key);
/* delete key if its create_revision == term */
int etcdjson_delete_req(char *buf, size_t len, const char *key, int64_t term);
int etcdjson_watch_req(char *buf, size_t len, const char *key, int64_t start_rev);
int etcdjson_auth_req(char *buf, size_t len, const char *user, const char *password);

/*
 * Answers. Each returns 0 with ev filled (type set), or a negative errno with
 * a one-line reason in why: -EPROTO for a body that is not the expected JSON,
 * -EREMOTEIO when etcd answered {"error": ...} (why = its message).
 */
int etcdjson_grant(const char *body, struct etcdlead_event *ev, char *why, size_t len);
int etcdjson_keepalive(const char *body, struct etcdlead_event *ev, char *why, size_t len);
/* txn (won = succeeded) or range answer: ev->type = ELE_KEY */
int etcdjson_key(const char *body, struct etcdlead_event *ev, char *why, size_t len);
int etcdjson_token(const char *body, char *token, size_t toklen, char *why, size_t len);

/*
 * One message of the watch stream. Fills up to max events (PUT/DELETE in
 * order; ELE_WATCH_FAIL when the server cancelled the watch) and returns how
 * many, or a negative errno as above.
 */
int etcdjson_watch_msg(const char *msg, struct etcdlead_event *ev, int max, char *why, size_t len);

#endif
