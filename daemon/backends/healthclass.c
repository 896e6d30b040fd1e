/* SPDX-License-Identifier: MIT */
/* healthclass.c: one finished health check (failure, HTTP status, body) to up/down + reason. */
#include "healthclass.h"

#include "strutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#define SNIPPET_MAX 40 /* body characters quoted in "body is not JSON" */

static const char *curl_text(const struct health_input *in)
{
	if (in->errbuf && in->errbuf[0])
		return in->errbuf;
	return in->code_text ? in->code_text : "libcurl error";
}

static const char *phase_name(enum health_phase p)
{
	switch (p) {
	case HEALTH_PHASE_CONNECT:
		return "connecting";
	case HEALTH_PHASE_TLS:
		return "TLS handshake";
	case HEALTH_PHASE_RESPONSE:
	default:
		return "waiting for the response";
	}
}

static void classify_connect(const struct health_input *in, char *reason, size_t len)
{
	switch (in->os_errno) {
	case ECONNREFUSED:
		str_append(reason, len, "connection refused");
		break;
	case EHOSTUNREACH:
		str_append(reason, len, "no route to host");
		break;
	case ENETUNREACH:
		str_append(reason, len, "network unreachable");
		break;
	case ETIMEDOUT:
		str_append(reason, len, "timeout after %u ms (%s)", in->timeout_ms,
			   phase_name(HEALTH_PHASE_CONNECT));
		break;
	default:
		str_append(reason, len, "connection failed: %s", curl_text(in));
	}
}

/* Curl reports a host name mismatch as a verification failure; its text tells them apart. */
static bool is_host_mismatch(const char *text)
{
	return strstr(text, "subject name") || strstr(text, "host name") ||
	       strstr(text, "Hostname mismatch") || strstr(text, "hostname mismatch");
}

/* Transfer-level failures (no usable HTTP response). */
static void classify_transport(const struct health_input *in, char *reason, size_t len)
{
	const char *text = curl_text(in);

	switch (in->failure) {
	case HEALTH_FAIL_CONNECT:
		classify_connect(in, reason, len);
		break;
	case HEALTH_FAIL_TIMEOUT:
		str_append(reason, len, "timeout after %u ms (%s)", in->timeout_ms,
			   phase_name(in->phase));
		break;
	case HEALTH_FAIL_RESOLVE:
		str_append(reason, len, "cannot resolve host name: %s", text);
		break;
	case HEALTH_FAIL_TLS_VERIFY:
		if (is_host_mismatch(text))
			str_append(reason, len, "TLS host name mismatch: %s", text);
		else
			str_append(reason, len, "TLS verification failed: %s", text);
		break;
	case HEALTH_FAIL_TLS_CA_FILE:
		str_append(reason, len, "TLS CA file problem: %s", text);
		break;
	case HEALTH_FAIL_TLS_CLIENT_CERT:
		str_append(reason, len, "TLS client certificate problem: %s", text);
		break;
	case HEALTH_FAIL_TLS_HANDSHAKE:
		str_append(reason, len, "TLS handshake failed: %s", text);
		break;
	case HEALTH_FAIL_EMPTY_REPLY:
		str_append(reason, len, "empty reply: the connection closed without a response");
		break;
	case HEALTH_FAIL_SEND_RECV:
		if (in->os_errno == ECONNRESET)
			str_append(reason, len, "connection reset by peer");
		else
			str_append(reason, len, "connection error: %s", text);
		break;
	case HEALTH_FAIL_BAD_URL:
		str_append(reason, len, "bad URL: %s", text);
		break;
	case HEALTH_FAIL_NONE:
	case HEALTH_FAIL_WRITE:
	case HEALTH_FAIL_OTHER:
	default:
		str_append(reason, len, "check failed: %s", text);
	}
}

/* The first characters of the body, made inert (str_escape). */
static void body_snippet(const struct health_input *in, char *out, size_t outlen)
{
	size_t n = in->body_len < SNIPPET_MAX ? in->body_len : SNIPPET_MAX;

	str_escape(out, outlen, in->body, n);
}

static bool only_space(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)p[i]))
			return false;
	return true;
}

/*
 * Parses the whole body as one JSON value. Returns the value (caller puts it),
 * or NULL with a reason appended.
 */
static struct json_object *parse_body(const struct health_input *in, char *reason, size_t len)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error jerr;
	char snip[4 * SNIPPET_MAX + 1];
	size_t used;

	if (in->body_len == 0 || !in->body) {
		str_append(reason, len, "body is not JSON: empty body");
		return NULL;
	}
	tok = json_tokener_new();
	if (!tok) {
		str_append(reason, len, "body is not JSON: out of memory");
		return NULL;
	}
	obj = json_tokener_parse_ex(tok, in->body, (int)in->body_len);
	jerr = json_tokener_get_error(tok);
	used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (obj && jerr == json_tokener_success && only_space(in->body + used, in->body_len - used))
		return obj;
	json_object_put(obj);
	body_snippet(in, snip, sizeof(snip));
	if (jerr == json_tokener_success)
		str_append(reason, len, "body is not JSON: trailing data after the value ('%s')",
			   snip);
	else if (jerr == json_tokener_continue)
		str_append(reason, len, "body is not JSON: incomplete ('%s')", snip);
	else
		str_append(reason, len, "body is not JSON: %s ('%s')",
			   json_tokener_error_desc(jerr), snip);
	return NULL;
}

/* The top-level "status" string of a JSON object, or NULL. */
static const char *top_status(struct json_object *obj)
{
	struct json_object *st;

	if (!json_object_is_type(obj, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(obj, "status", &st) ||
	    !json_object_is_type(st, json_type_string))
		return NULL;
	return json_object_get_string(st);
}

/* Appends "; failing checks: a, b" for Keycloak's checks[] whose status is not want. */
static void append_failing(struct json_object *obj, const char *want, char *reason, size_t len)
{
	struct json_object *checks;
	size_t n, shown = 0;

	if (!json_object_object_get_ex(obj, "checks", &checks) ||
	    !json_object_is_type(checks, json_type_array))
		return;
	n = json_object_array_length(checks);
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(checks, i);
		struct json_object *name;
		const char *st = top_status(c);

		if (!st || !strcmp(st, want))
			continue;
		if (!json_object_object_get_ex(c, "name", &name))
			continue;
		str_append(reason, len, "%s%s",
			   shown++ ? ", " : "; failing checks: ", json_object_get_string(name));
	}
}

static bool classify_json(const struct cfg_backend *b, const struct health_input *in, char *reason,
			  size_t len)
{
	struct json_object *obj;
	const char *st;
	bool up = false;

	if (in->body_overflow) {
		str_append(reason, len, "body larger than %d bytes", HEALTH_BODY_MAX);
		return false;
	}
	obj = parse_body(in, reason, len);
	if (!obj)
		return false;
	st = top_status(obj);
	if (!json_object_is_type(obj, json_type_object)) {
		str_append(reason, len, "JSON body is not an object");
	} else if (!st) {
		str_append(reason, len, "JSON body has no top-level string \"status\"");
	} else if (strcmp(st, b->expect_json_status) != 0) {
		str_append(reason, len, "JSON status %s (expected %s)", st, b->expect_json_status);
		append_failing(obj, b->expect_json_status, reason, len);
	} else {
		up = true;
	}
	json_object_put(obj);
	return up;
}

/* Wrong HTTP status: say so, and add Keycloak's own verdict when the body carries one. */
static void classify_status(const struct cfg_backend *b, const struct health_input *in,
			    char *reason, size_t len)
{
	struct json_tokener *tok;
	struct json_object *obj = NULL;
	const char *st;

	str_append(reason, len, "HTTP %ld (expected %ld)", in->http_code, b->expect_status);
	if (!in->body || in->body_len == 0 || in->body_overflow)
		return;
	tok = json_tokener_new();
	if (tok) {
		obj = json_tokener_parse_ex(tok, in->body, (int)in->body_len);
		json_tokener_free(tok);
	}
	st = obj ? top_status(obj) : NULL;
	if (st) {
		str_append(reason, len, ", status %s", st);
		append_failing(obj, b->expect_json_status[0] ? b->expect_json_status : "UP", reason,
			       len);
	}
	json_object_put(obj);
}

static bool classify(const struct cfg_backend *b, const struct health_input *in, char *reason,
		     size_t len)
{
	/* A body cut at HEALTH_BODY_MAX ends the transfer with a write error: judge what came. */
	if (in->failure != HEALTH_FAIL_NONE &&
	    !(in->failure == HEALTH_FAIL_WRITE && in->body_overflow)) {
		classify_transport(in, reason, len);
		return false;
	}
	if (in->http_code == 0) {
		str_append(reason, len, "no HTTP response");
		return false;
	}
	if (in->http_code != b->expect_status) {
		classify_status(b, in, reason, len);
		return false;
	}
	if (b->expect_body[0]) {
		if (in->body &&
		    memmem(in->body, in->body_len, b->expect_body, strlen(b->expect_body)))
			return true;
		if (in->body_overflow)
			str_append(reason, len, "body larger than %d bytes without '%s'",
				   HEALTH_BODY_MAX, b->expect_body);
		else
			str_append(reason, len, "body does not contain '%s'", b->expect_body);
		return false;
	}
	if (b->expect_json_status[0])
		return classify_json(b, in, reason, len);
	return true;
}

/* Everything the backend or libcurl said is made inert in one place, the reason as a whole:
 * Keycloak's status, the names of its checks, body snippets, curl's error text. */
bool healthclass_classify(const struct cfg_backend *b, const struct health_input *in, char *reason,
			  size_t len)
{
	bool up;

	if (!reason || len == 0)
		return false;
	reason[0] = '\0';
	up = classify(b, in, reason, len);
	str_escape_inplace(reason, len);
	return up;
}
