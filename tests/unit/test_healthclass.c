/* SPDX-License-Identifier: MIT */
/* test_healthclass.c: every branch of the health check classification, as a table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "health.h"
#include "healthclass.h"

#define KC_UP "{\"status\": \"UP\", \"checks\": []}"
#define KC_DOWN                                                                                    \
	"{\"status\":\"DOWN\",\"checks\":[{\"name\":\"db\",\"status\":\"DOWN\"},"                  \
	"{\"name\":\"x\",\"status\":\"UP\"},{\"name\":\"cache\",\"status\":\"DOWN\"}]}"
#define KC_NESTED "{\"status\":\"DOWN\",\"checks\":[{\"name\":\"x\",\"status\":\"UP\"}]}"

/* One check: what differs from the defaults (HTTP 200, expect 200 and JSON status UP, timeout
 * 1000 ms, response phase) and the verdict. A test is its named row and the unnamed rows after
 * it, each classified afresh. */
struct hc_case {
	const char *name;
	bool transport; /* a transfer error: curl, os_errno, errbuf (code text from curl) */
	int curl;	/* without transport: only the curl code (a cut transfer) */
	int os_errno;
	const char *errbuf;
	int phase;	  /* PHASE(x), 0 = the response phase */
	long http;	  /* 0 = 200 (none after a transfer error), NO_HTTP = none */
	uint32_t timeout; /* 0 = 1000 ms */
	const char *body; /* NULL = no body */
	bool overflow;
	long expect_status;	 /* 0 = 200 */
	const char *json_status; /* NULL = "UP", "" = no JSON check */
	const char *expect_body; /* NULL = none */
	bool up;
	const char *reason; /* for a down verdict */
};

#define PHASE(x) ((x) + 1)
#define NO_HTTP	 (-1L)
#define T(code)	 .transport = true, .curl = (code)

static const struct hc_case cases[] = {
    /* --- up --- */
    {"up_keycloak_json", .body = KC_UP, .up = true},
    {"up_top_level_wins_over_nested_down",
     .body = "{\"status\":\"UP\",\"checks\":[{\"name\":\"x\",\"status\":\"DOWN\"}]}", .up = true},
    {"up_status_only", .json_status = "", .body = "anything", .up = true},
    {"up_custom_status_and_json_status", .expect_status = 204, .json_status = "ok", .http = 204,
     .body = " {\"status\":\"ok\"}\n ", .up = true},
    /* --- connect --- */
    {"connect_refused", T(CURLE_COULDNT_CONNECT), .os_errno = ECONNREFUSED,
     .errbuf = "Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn't connect to server",
     .reason = "connection refused"},
    {"connect_no_route", T(CURLE_COULDNT_CONNECT), .os_errno = EHOSTUNREACH, .errbuf = "x",
     .reason = "no route to host"},
    {"connect_net_unreachable", T(CURLE_COULDNT_CONNECT), .os_errno = ENETUNREACH, .errbuf = "x",
     .reason = "network unreachable"},
    {"connect_os_timeout", T(CURLE_COULDNT_CONNECT), .os_errno = ETIMEDOUT, .errbuf = "x",
     .reason = "timeout after 1000 ms (connecting)"},
    {"connect_other", T(CURLE_COULDNT_CONNECT), .os_errno = EACCES,
     .errbuf = "Failed to connect: Permission denied",
     .reason = "connection failed: Failed to connect: Permission denied"},
    {"timeout_connecting", T(CURLE_OPERATION_TIMEDOUT),
     .errbuf = "Connection timed out after 1001 milliseconds", .phase = PHASE(HEALTH_PHASE_CONNECT),
     .reason = "timeout after 1000 ms (connecting)"},
    {"timeout_tls", T(CURLE_OPERATION_TIMEDOUT),
     .errbuf = "Connection timed out after 1001 milliseconds", .phase = PHASE(HEALTH_PHASE_TLS),
     .reason = "timeout after 1000 ms (TLS handshake)"},
    {"timeout_response", T(CURLE_OPERATION_TIMEDOUT), .errbuf = "Operation timed out",
     .phase = PHASE(HEALTH_PHASE_RESPONSE), .timeout = 750,
     .reason = "timeout after 750 ms (waiting for the response)"},
    {"resolve_failed", T(CURLE_COULDNT_RESOLVE_HOST),
     .errbuf = "Could not resolve host: nowhere.invalid",
     .reason = "cannot resolve host name: Could not resolve host: nowhere.invalid"},
    /* --- TLS --- */
    {"tls_verify_failed", T(CURLE_PEER_FAILED_VERIFICATION),
     .errbuf = "SSL certificate problem: unable to get local issuer certificate",
     .reason = "TLS verification failed: SSL certificate problem: unable to get local "
	       "issuer certificate"},
    {"tls_host_mismatch_san", T(CURLE_PEER_FAILED_VERIFICATION),
     .errbuf = "SSL: no alternative certificate subject name matches target host name 'a.b'",
     .reason = "TLS host name mismatch: SSL: no alternative certificate subject name "
	       "matches target host name 'a.b'"},
    {"tls_host_mismatch_cn", T(CURLE_PEER_FAILED_VERIFICATION),
     .errbuf = "SSL: certificate subject name 'x' does not match target host name 'y'",
     .reason = "TLS host name mismatch: SSL: certificate subject name 'x' does not match "
	       "target host name 'y'"},
    {"tls_ca_file", T(CURLE_SSL_CACERT_BADFILE), .errbuf = "error setting certificate file: /nope",
     .reason = "TLS CA file problem: error setting certificate file: /nope"},
    {"tls_client_cert", T(CURLE_SSL_CERTPROBLEM), .errbuf = "could not load PEM client certificate",
     .reason = "TLS client certificate problem: could not load PEM client certificate"},
    {"tls_handshake", T(CURLE_SSL_CONNECT_ERROR),
     .errbuf = "OpenSSL SSL_connect: SSL_ERROR_SYSCALL",
     .reason = "TLS handshake failed: OpenSSL SSL_connect: SSL_ERROR_SYSCALL"},
    /* --- other transport errors --- */
    {"empty_reply", T(CURLE_GOT_NOTHING), .errbuf = "Empty reply from server",
     .reason = "empty reply: the connection closed without a response"},
    {"reset_by_peer", T(CURLE_RECV_ERROR), .os_errno = ECONNRESET,
     .errbuf = "Recv failure: Connection reset by peer", .reason = "connection reset by peer"},
    {"send_error", T(CURLE_SEND_ERROR), .os_errno = EPIPE, .errbuf = "Send failure: Broken pipe",
     .reason = "connection error: Send failure: Broken pipe"},
    {"bad_url", T(CURLE_UNSUPPORTED_PROTOCOL), .errbuf = "Protocol \"ftp\" not supported",
     .reason = "bad URL: Protocol \"ftp\" not supported"},
    {NULL, T(CURLE_URL_MALFORMAT), .errbuf = "",
     .reason = "bad URL: URL using bad/illegal format or missing URL"},
    {"other_error_without_errbuf", T(CURLE_WRITE_ERROR), .errbuf = NULL,
     .reason = "check failed: Failed writing received data to disk/application"},
    {"no_http_response", .http = NO_HTTP, .reason = "no HTTP response"},
    /* --- HTTP status --- */
    {"status_503_with_keycloak_down", .http = 503, .body = KC_DOWN,
     .reason = "HTTP 503 (expected 200), status DOWN; failing checks: db, cache"},
    {"status_503_nested_up", .http = 503, .body = KC_NESTED,
     .reason = "HTTP 503 (expected 200), status DOWN"},
    {"status_404_html", .http = 404, .body = "<html>Not Found</html>",
     .reason = "HTTP 404 (expected 200)"},
    {"status_500_no_body", .http = 500, .reason = "HTTP 500 (expected 200)"},
    /* --- JSON --- */
    {"json_down_at_200", .body = KC_DOWN,
     .reason = "JSON status DOWN (expected UP); failing checks: db, cache"},
    {"json_nested_up_under_down", .body = KC_NESTED, .reason = "JSON status DOWN (expected UP)"},
    {"json_not_json", .body = "<html>UP</html>",
     .reason = "body is not JSON: unexpected character ('<html>UP</html>')"},
    {"json_snippet_bounded_and_printable",
     .body = "\x01\tnot json at all, and a rather long line that goes on and on",
     .reason = "body is not JSON: unexpected character "
	       "('\\x01\\tnot json at all, and a rather long lin')"},
    /* text from the backend is inert (checked on every row) */
    {"json_forged_status_and_check_name",
     .body = "{\"status\":\"DOWN\\n<0>forged\",\"checks\":[{\"name\":\"\\u001b[2J\"}]}",
     .reason = "JSON status DOWN\\n<0>forged (expected UP)"},
    /* the same name in a failing check is listed, escaped */
    {NULL,
     .body = "{\"status\":\"DOWN\\n<0>forged\",\"checks\":[{\"name\":\"\\u001b[2J\","
	     "\"status\":\"DOWN\"}]}",
     .reason = "JSON status DOWN\\n<0>forged (expected UP); failing checks: \\x1b[2J"},
    /* at a 503, Keycloak's verdict is quoted the same way */
    {NULL, .http = 503,
     .body = "{\"status\":\"DOWN\\n<0>forged\",\"checks\":[{\"name\":\"\\u001b[2J\","
	     "\"status\":\"DOWN\"}]}",
     .reason = "HTTP 503 (expected 200), status DOWN\\n<0>forged; failing checks: \\x1b[2J"},
    {"curl_text_inert", T(CURLE_PEER_FAILED_VERIFICATION),
     .errbuf = "SSL: certificate subject name 'a\r\nb' bad",
     .reason = "TLS host name mismatch: SSL: certificate subject name 'a\\r\\nb' bad"},
    {"json_empty", .body = "", .reason = "body is not JSON: empty body"},
    {"json_incomplete",
     .body = "{\"status\":", .reason = "body is not JSON: incomplete ('{\"status\":')"},
    {"json_trailing", .body = "{\"status\":\"UP\"} {}",
     .reason = "body is not JSON: trailing data after the value ('{\"status\":\"UP\"} {}')"},
    {"json_not_object", .body = "[\"UP\"]", .reason = "JSON body is not an object"},
    {"json_no_status", .body = "{\"checks\":[{\"status\":\"UP\"}]}",
     .reason = "JSON body has no top-level string \"status\""},
    {"json_status_not_string", .body = "{\"status\":1}",
     .reason = "JSON body has no top-level string \"status\""},
    {"json_overflow", .curl = CURLE_WRITE_ERROR, .overflow = true,
     .body = "{\"status\":\"UP\",\"pad\":\"xxxx", .reason = "body larger than 65536 bytes"},
    /* --- plain body --- */
    {"body_contains", .expect_body = "UP", .body = "<html>all UP</html>", .up = true},
    {"body_missing", .expect_body = "UP", .body = "{\"status\":\"DOWN\"}",
     .reason = "body does not contain 'UP'"},
    {NULL, .expect_body = "UP", .body = NULL, .reason = "body does not contain 'UP'"},
    /* found in the part that came */
    {"body_overflow", .expect_body = "UP", .curl = CURLE_WRITE_ERROR, .overflow = true,
     .body = "...UP...", .up = true},
    {NULL, .expect_body = "UP", .curl = CURLE_WRITE_ERROR, .overflow = true, .body = "......",
     .reason = "body larger than 65536 bytes without 'UP'"},
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

struct fx {
	struct cfg_backend b;
	struct health_input in;
	char reason[HEALTH_REASON_MAX];
};

/* The defaults every row starts from. */
static void defaults(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->b.name, sizeof(f->b.name), "sno1");
	f->b.expect_status = 200;
	snprintf(f->b.expect_json_status, sizeof(f->b.expect_json_status), "UP");
	f->b.timeout_ms = 1000;
	f->in.failure = health_failure_of(CURLE_OK);
	f->in.errbuf = "";
	f->in.http_code = 200;
	f->in.timeout_ms = 1000;
	f->in.phase = HEALTH_PHASE_RESPONSE;
}

static void apply(struct fx *f, const struct hc_case *c)
{
	if (c->transport) {
		f->in.failure = health_failure_of(c->curl);
		f->in.os_errno = c->os_errno;
		f->in.errbuf = c->errbuf;
		f->in.code_text = curl_easy_strerror((CURLcode)c->curl);
		f->in.http_code = 0;
	} else if (c->curl) {
		f->in.failure = health_failure_of(c->curl);
	}
	if (c->phase)
		f->in.phase = (enum health_phase)(c->phase - 1);
	if (c->http)
		f->in.http_code = c->http == NO_HTTP ? 0 : c->http;
	if (c->timeout)
		f->in.timeout_ms = c->timeout;
	if (c->body) {
		f->in.body = c->body;
		f->in.body_len = strlen(c->body);
	}
	f->in.body_overflow = c->overflow;
	if (c->expect_status)
		f->b.expect_status = c->expect_status;
	if (c->json_status)
		snprintf(f->b.expect_json_status, sizeof(f->b.expect_json_status), "%s",
			 c->json_status);
	if (c->expect_body)
		snprintf(f->b.expect_body, sizeof(f->b.expect_body), "%s", c->expect_body);
}

/* Text from the backend is inert: no raw control character or newline reaches a log line,
 * a status field or a terminal. */
static void assert_inert(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			fail_msg("byte 0x%02x in reason", (unsigned char)*s);
}

/* Runs the named row *state points at and the unnamed rows after it. */
static void run_case(void **state)
{
	const struct hc_case *c = *state;
	struct fx f;

	do {
		defaults(&f);
		apply(&f, c);
		if (c->up) {
			assert_true(healthclass_classify(&f.b, &f.in, f.reason, sizeof(f.reason)));
			assert_string_equal(f.reason, "");
		} else {
			assert_false(healthclass_classify(&f.b, &f.in, f.reason, sizeof(f.reason)));
			assert_string_equal(f.reason, c->reason);
			assert_inert(f.reason);
		}
		c++;
	} while (c < cases + N_CASES && !c->name);
}

/* --- the reason buffer ------------------------------------------------------------------ */

static void reason_truncated(void **state)
{
	static const struct hc_case c = {T(CURLE_COULDNT_CONNECT), .os_errno = ECONNREFUSED,
					 .errbuf = ""};
	struct fx f;
	char small[11];

	(void)state;
	defaults(&f);
	apply(&f, &c);
	assert_false(healthclass_classify(&f.b, &f.in, small, sizeof(small)));
	assert_string_equal(small, "connection");
	assert_false(healthclass_classify(&f.b, &f.in, small, 0));
}

int main(void)
{
	struct CMUnitTest tests[N_CASES + 1];
	size_t n = 0;

	for (size_t i = 0; i < N_CASES; i++)
		if (cases[i].name)
			tests[n++] = (struct CMUnitTest){cases[i].name, run_case, NULL, NULL,
							 (void *)&cases[i]};
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(reason_truncated);
	return _cmocka_run_group_tests("tests", tests, n, NULL, NULL);
}
