/* SPDX-License-Identifier: MIT */
/* etcdjson.c: builds and reads the bodies of etcd's v3 JSON gateway (int64 are strings). */
#include "etcdjson.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "strutil.h"

int etcdjson_b64(const char *s, char *out, size_t len)
{
	size_t n = strlen(s);

	if (4 * ((n + 2) / 3) + 1 > len)
		return -ENOSPC;
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
	return 0;
}

static int fmt(char *buf, size_t len, const char *f, ...) __attribute__((format(printf, 3, 4)));

static int fmt(char *buf, size_t len, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, len, f, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int etcdjson_grant_req(char *buf, size_t len, uint32_t ttl_s)
{
	return fmt(buf, len, "{\"TTL\":%" PRIu32 "}", ttl_s);
}

int etcdjson_keepalive_req(char *buf, size_t len, int64_t lease)
{
	return fmt(buf, len, "{\"ID\":\"%" PRId64 "\"}", lease);
}

int etcdjson_txn_req(char *buf, size_t len, const char *key, const char *value, int64_t lease)
{
	return fmt(
	    buf, len,
	    "{\"compare\":[{\"key\":\"%s\",\"target\":\"CREATE\",\"result\":\"EQUAL\","
	    "\"create_revision\":\"0\"}],"
	    "\"success\":[{\"request_put\":{\"key\":\"%s\",\"value\":\"%s\",\"lease\":\"%" PRId64
	    "\"}}],"
	    "\"failure\":[{\"request_range\":{\"key\":\"%s\"}}]}",
	    key, key, value, lease, key);
}

int etcdjson_range_req(char *buf, size_t len, const char *key)
{
	return fmt(buf, len, "{\"key\":\"%s\"}", key);
}

int etcdjson_delete_req(char *buf, size_t len, const char *key, int64_t term)
{
	return fmt(buf, len,
		   "{\"compare\":[{\"key\":\"%s\",\"target\":\"CREATE\",\"result\":\"EQUAL\","
		   "\"create_revision\":\"%" PRId64 "\"}],"
		   "\"success\":[{\"request_delete_range\":{\"key\":\"%s\"}}]}",
		   key, term, key);
}

int etcdjson_watch_req(char *buf, size_t len, const char *key, int64_t start_rev)
{
	return fmt(buf, len,
		   "{\"create_request\":{\"key\":\"%s\",\"start_revision\":\"%" PRId64 "\"}}", key,
		   start_rev);
}

int etcdjson_auth_req(char *buf, size_t len, const char *user, const char *password)
{
	json_object *o = json_object_new_object();
	int rc = -ENOMEM;

	if (o && !json_object_object_add(o, "name", json_object_new_string(user)) &&
	    !json_object_object_add(o, "password", json_object_new_string(password)))
		rc = fmt(buf, len, "%s", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return rc;
}

/* --- answers ------------------------------------------------------------------ */

static json_object *get(json_object *o, const char *k)
{
	json_object *v = NULL;

	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, k, &v))
		return NULL;
	return v;
}

/* An int64 field (a JSON string, or absent = 0). */
static int64_t get_i64(json_object *o, const char *k)
{
	json_object *v = get(o, k);

	return v ? json_object_get_int64(v) : 0;
}

static json_object *parse(const char *body, char *why, size_t len, int *rc)
{
	json_object *o = json_tokener_parse(body);
	json_object *err;

	*rc = 0;
	if (!o || !json_object_is_type(o, json_type_object)) {
		snprintf(why, len, "not a JSON object: %.60s", body);
		*rc = -EPROTO;
	} else if ((err = get(o, "error"))) {
		json_object *m = get(o, "message");

		snprintf(why, len, "%s", json_object_get_string(m ? m : err));
		*rc = -EREMOTEIO;
	}
	if (*rc) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int etcdjson_grant(const char *body, struct etcdlead_event *ev, char *why, size_t len)
{
	int rc;
	json_object *o = parse(body, why, len, &rc);

	if (!o)
		return rc;
	memset(ev, 0, sizeof(*ev));
	ev->type = ELE_GRANT_OK;
	ev->lease = get_i64(o, "ID");
	json_object_put(o);
	if (!ev->lease) {
		snprintf(why, len, "lease grant without an ID");
		return -EPROTO;
	}
	return 0;
}

int etcdjson_keepalive(const char *body, struct etcdlead_event *ev, char *why, size_t len)
{
	int rc;
	json_object *o = parse(body, why, len, &rc), *r;

	if (!o)
		return rc;
	r = get(o, "result");
	memset(ev, 0, sizeof(*ev));
	ev->type = ELE_KA_OK;
	ev->ttl_ms = get_i64(r, "TTL") * 1000; /* absent: the lease is gone */
	json_object_put(o);
	if (!r) {
		snprintf(why, len, "keepalive answer without a result");
		return -EPROTO;
	}
	return 0;
}

/* kvs[0] of a range answer into ev. */
static void read_kvs(json_object *range, struct etcdlead_event *ev)
{
	json_object *kvs = get(range, "kvs"), *kv;

	if (!kvs || !json_object_is_type(kvs, json_type_array) || !json_object_array_length(kvs))
		return;
	kv = json_object_array_get_idx(kvs, 0);
	ev->present = true;
	ev->term = get_i64(kv, "create_revision");
	ev->lease = get_i64(kv, "lease");
}

int etcdjson_key(const char *body, struct etcdlead_event *ev, char *why, size_t len)
{
	int rc;
	json_object *o = parse(body, why, len, &rc), *resp, *range;

	if (!o)
		return rc;
	memset(ev, 0, sizeof(*ev));
	ev->type = ELE_KEY;
	ev->rev = get_i64(get(o, "header"), "revision");
	ev->won = json_object_get_boolean(get(o, "succeeded"));
	if (ev->won) {
		ev->present = true;
		ev->term = ev->rev; /* created by this transaction */
	} else if ((resp = get(o, "responses"))) {
		range = get(json_object_array_get_idx(resp, 0), "response_range");
		read_kvs(range, ev);
	} else {
		read_kvs(o, ev); /* a plain range answer */
	}
	json_object_put(o);
	if (!ev->rev) {
		snprintf(why, len, "answer without a revision");
		return -EPROTO;
	}
	return 0;
}

int etcdjson_token(const char *body, char *token, size_t toklen, char *why, size_t len)
{
	int rc;
	json_object *o = parse(body, why, len, &rc), *t;

	if (!o)
		return rc;
	t = get(o, "token");
	rc =
	    t && json_object_get_string_len(t) > 0 && (size_t)json_object_get_string_len(t) < toklen
		? 0
		: -EPROTO;
	if (!rc)
		str_copy(token, toklen, json_object_get_string(t));
	else
		snprintf(why, len, "authenticate answer without a usable token");
	json_object_put(o);
	return rc;
}

static void read_event(json_object *evo, struct etcdlead_event *ev)
{
	json_object *kv = get(evo, "kv"), *type = get(evo, "type");

	memset(ev, 0, sizeof(*ev));
	ev->rev = get_i64(kv, "mod_revision");
	if (type && !strcmp(json_object_get_string(type), "DELETE")) {
		ev->type = ELE_WATCH_DELETE;
		return;
	}
	ev->type = ELE_WATCH_PUT;
	ev->term = get_i64(kv, "create_revision");
	ev->lease = get_i64(kv, "lease");
}

int etcdjson_watch_msg(const char *msg, struct etcdlead_event *ev, int max, char *why, size_t len)
{
	int rc, n = 0;
	json_object *o = parse(msg, why, len, &rc), *r, *evs;

	if (!o)
		return rc;
	r = get(o, "result");
	if (json_object_get_boolean(get(r, "canceled"))) {
		memset(ev, 0, sizeof(*ev));
		ev->type = ELE_WATCH_FAIL;
		snprintf(why, len, "watch cancelled by the server (compact revision %" PRId64 ")",
			 get_i64(r, "compact_revision"));
		json_object_put(o);
		return max > 0 ? 1 : 0;
	}
	evs = get(r, "events");
	for (size_t i = 0; evs && json_object_is_type(evs, json_type_array) &&
			   i < json_object_array_length(evs) && n < max;
	     i++)
		read_event(json_object_array_get_idx(evs, i), &ev[n++]);
	json_object_put(o);
	return n;
}
