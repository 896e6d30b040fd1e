/* SPDX-License-Identifier: MIT */
/* test_healthclass.c: every branch of the health check classification. */
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

#include "healthclass.h"

#define KC_UP "{\"status\": \"UP\", \"checks\": []}"
#define KC_DOWN                                                                                    \
	"{\"status\":\"DOWN\",\"checks\":[{\"name\":\"db\",\"status\":\"DOWN\"},"                  \
	"{\"name\":\"x\",\"status\":\"UP\"},{\"name\":\"cache\",\"status\":\"DOWN\"}]}"
#define KC_NESTED "{\"status\":\"DOWN\",\"checks\":[{\"name\":\"x\",\"status\":\"UP\"}]}"

struct fx {
	struct cfg_backend b;
	struct health_input in;
	char reason[HEALTH_REASON_MAX];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->b.name, sizeof(f->b.name), "sno1");
	f->b.expect_status = 200;
	snprintf(f->b.expect_json_status, sizeof(f->b.expect_json_status), "UP");
	f->b.timeout_ms = 1000;
	f->in.curl_code = CURLE_OK;
	f->in.errbuf = "";
	f->in.http_code = 200;
	f->in.timeout_ms = 1000;
	f->in.phase = HEALTH_PHASE_RESPONSE;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void body(struct fx *f, const char *s)
{
	f->in.body = s;
	f->in.body_len = strlen(s);
}

static bool run(struct fx *f)
{
	return healthclass_classify(&f->b, &f->in, f->reason, sizeof(f->reason));
}

static void expect_down(struct fx *f, const char *reason)
{
	assert_false(run(f));
	assert_string_equal(f->reason, reason);
}

static void transport(struct fx *f, int code, int os_errno, const char *errbuf)
{
	f->in.curl_code = code;
	f->in.os_errno = os_errno;
	f->in.errbuf = errbuf;
	f->in.code_text = curl_easy_strerror((CURLcode)code);
	f->in.http_code = 0;
}

/* --- up ------------------------------------------------------------------------- */

static void up_keycloak_json(void **state)
{
	struct fx *f = *state;

	body(f, KC_UP);
	assert_true(run(f));
	assert_string_equal(f->reason, "");
}

static void up_top_level_wins_over_nested_down(void **state)
{
	struct fx *f = *state;

	body(f, "{\"status\":\"UP\",\"checks\":[{\"name\":\"x\",\"status\":\"DOWN\"}]}");
	assert_true(run(f));
}

static void up_status_only(void **state)
{
	struct fx *f = *state;

	f->b.expect_json_status[0] = '\0';
	body(f, "anything");
	assert_true(run(f));
}

static void up_custom_status_and_json_status(void **state)
{
	struct fx *f = *state;

	f->b.expect_status = 204;
	snprintf(f->b.expect_json_status, sizeof(f->b.expect_json_status), "ok");
	f->in.http_code = 204;
	body(f, " {\"status\":\"ok\"}\n ");
	assert_true(run(f));
}

/* --- connect ------------------------------------------------------------------------ */

static void connect_refused(void **state)
{
	struct fx *f = *state;

	transport(f, CURLE_COULDNT_CONNECT, ECONNREFUSED,
		  "Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn't connect to server");
	expect_down(f, "connection refused");
}

static void connect_no_route(void **state)
{
	struct fx *f = *state;

	transport(f, CURLE_COULDNT_CONNECT, EHOSTUNREACH, "x");
	expect_down(f, "no route to host");
}

static void connect_net_unreachable(void **state)
{
	struct fx *f = *state;

	transport(f, CURLE_COULDNT_CONNECT, ENETUNREACH, "x");
	expect_down(f, "network unreachable");
}

static void connect_os_timeout(void **state)
{
	struct fx *f = *state;

	transport(f, CURLE_COULDNT_CONNECT, ETIMEDOUT, "x");
	expect_down(f, "timeout after 1000 ms (connecting)");
}

static void connect_other(void **state)
{
	struct fx *f = *state;

	transport(f, CURLE_COULDNT_CONNECT, EACCES, "Failed to connect: Permission denied");
	expect_down(f, "connection failed: Failed to connect: Permission denied");
}

static void timeout_connecting(void **state)
{
	struct fx *f = *state;

	transport(f, CURLE_OPERATION_TIMEDOUT, 0, "Connection timed out after 1001 milliseconds");
	f->in.phase = HEALTH_PHASE_CONNECT;
	expect_down(f, "timeout after 1000 ms (connecting)");
}

static void timeout_tls(void **state)
{
	struct fx *f = *state;

	transport(f, CURLE_OPERATION_TIMEDOUT, 0, "Connection timed out after 1001 milliseconds");
	f->in.phase = HEALTH_PHASE_TLS;
	expect_down(f, "timeout after 1000 ms (TLS handshake)");
}

static void timeout_response(void **state)
{
	struct fx *f = *state;

	transport(f, CURLE_OPERATION_TIMEDOUT, 0, "Operation timed out");
	f->in.phase = HEALTH_PHASE_RESPONSE;
	f->in.timeout_ms = 750;
	expect_down(f, "timeout after 750 ms (waiting for the response)");
}

static void resolve_failed(void **state)
{
	struct fx *f = *state;

	transport(f, CURLE_COULDNT_RESOLVE_HOST, 0, "Could not resolve host: nowhere.invalid");
	expect_down(f, "cannot resolve host name: Could not resolve host: nowhere.invalid");
}

/* --- TLS ------------------------------------------------------------------------------ */

static void tls_verify_failed(void **state)
{
	struct fx *f = *state;

	transport(f, CURLE_PEER_FAILED_VERIFICATION, 0,
		  "SSL certificate problem: unable to get local issuer certificate");
	expect_down(f, "TLS verification failed: SSL certificate problem: unable to get local "
		       "issuer certificate");
}

static void tls_host_mismatch_san(void **state)
{
	struct fx *f = *state;

	transport(f, CURLE_PEER_FAILED_VERIFICATION, 0,
		  "SSL: no alternative certificate subject name matches target host name 'a.b'");
	expect_down(f, "TLS host name mismatch: SSL: no alternative certificate subject name "
		       "matches target host name 'a.b'");
}

static void tls_host_mismatch_cn(void **state)
{
	struct fx *f = *state;

	transport(f, CURLE_PEER_FAILED_VERIFICATION, 0,
		  "SSL: certificate subject name 'x' does not match target host name 'y'");
	expect_down(f, "TLS host name mismatch: SSL: certificate subject name 'x' does not match "
		       "target host name 'y'");
}

static void tls_ca_file(void **state)
{
	struct fx *f = *state;

	transport(f, CURLE_SSL_CACERT_BADFILE, 0, "error setting certificate file: /nope");
	expect_down(f, "TLS CA file problem: error setting certificate file: /nope");
}

static void tls_client_cert(void **state)
{
	struct fx *f = *state;

	transport(f, CURLE_SSL_CERTPROBLEM, 0, "could not load PEM client certificate");
	expect_down(f, "TLS client certificate problem: could not load PEM client certificate");
}

static void tls_handshake(void **state)
{
	struct fx *f = *state;

	transport(f, CURLE_SSL_CONNECT_ERROR, 0, "OpenSSL SSL_connect: SSL_ERROR_SYSCALL");
	expect_down(f, "TLS handshake failed: OpenSSL SSL_connect: SSL_ERROR_SYSCALL");
}

/* --- other transport errors ------------------------------------------------------------- */

static void empty_reply(void **state)
{
	struct fx *f = *state;

	transport(f, CURLE_GOT_NOTHING, 0, "Empty reply from server");
	expect_down(f, "empty reply: the connection closed without a response");
}

static void reset_by_peer(void **state)
{
	struct fx *f = *state;

	transport(f, CURLE_RECV_ERROR, ECONNRESET, "Recv failure: Connection reset by peer");
	expect_down(f, "connection reset by peer");
}

static void send_error(void **state)
{
	struct fx *f = *state;

	transport(f, CURLE_SEND_ERROR, EPIPE, "Send failure: Broken pipe");
	expect_down(f, "connection error: Send failure: Broken pipe");
}

static void bad_url(void **state)
{
	struct fx *f = *state;

	transport(f, CURLE_UNSUPPORTED_PROTOCOL, 0, "Protocol \"ftp\" not supported");
	expect_down(f, "bad URL: Protocol \"ftp\" not supported");
	transport(f, CURLE_URL_MALFORMAT, 0, "");
	assert_false(run(f));
	assert_string_equal(f->reason, "bad URL: URL using bad/illegal format or missing URL");
}

static void other_error_without_errbuf(void **state)
{
	struct fx *f = *state;

	transport(f, CURLE_WRITE_ERROR, 0, NULL);
	expect_down(f, "check failed: Failed writing received data to disk/application");
}

static void no_http_response(void **state)
{
	struct fx *f = *state;

	f->in.http_code = 0;
	expect_down(f, "no HTTP response");
}

/* --- HTTP status ------------------------------------------------------------------------ */

static void status_503_with_keycloak_down(void **state)
{
	struct fx *f = *state;

	f->in.http_code = 503;
	body(f, KC_DOWN);
	expect_down(f, "HTTP 503 (expected 200), status DOWN; failing checks: db, cache");
}

static void status_503_nested_up(void **state)
{
	struct fx *f = *state;

	f->in.http_code = 503;
	body(f, KC_NESTED);
	expect_down(f, "HTTP 503 (expected 200), status DOWN");
}

static void status_404_html(void **state)
{
	struct fx *f = *state;

	f->in.http_code = 404;
	body(f, "<html>Not Found</html>");
	expect_down(f, "HTTP 404 (expected 200)");
}

static void status_500_no_body(void **state)
{
	struct fx *f = *state;

	f->in.http_code = 500;
	expect_down(f, "HTTP 500 (expected 200)");
}

/* --- JSON ------------------------------------------------------------------------------ */

static void json_down_at_200(void **state)
{
	struct fx *f = *state;

	body(f, KC_DOWN);
	expect_down(f, "JSON status DOWN (expected UP); failing checks: db, cache");
}

static void json_nested_up_under_down(void **state)
{
	struct fx *f = *state;

	body(f, KC_NESTED);
	expect_down(f, "JSON status DOWN (expected UP)");
}

static void json_not_json(void **state)
{
	struct fx *f = *state;

	body(f, "<html>UP</html>");
	expect_down(f, "body is not JSON: unexpected character ('<html>UP</html>')");
}

static void json_snippet_bounded_and_printable(void **state)
{
	struct fx *f = *state;

	body(f, "\x01\tnot json at all, and a rather long line that goes on and on");
	expect_down(f, "body is not JSON: unexpected character "
		       "('\\x01\\tnot json at all, and a rather long lin')");
}

/* Text from the backend is inert: no raw control character or newline reaches a log line,
 * a status field or a terminal. */
static void assert_inert(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			fail_msg("byte 0x%02x in reason", (unsigned char)*s);
}

static void json_forged_status_and_check_name(void **state)
{
	struct fx *f = *state;

	body(f, "{\"status\":\"DOWN\\n<0>forged\",\"checks\":[{\"name\":\"\\u001b[2J\"}]}");
	expect_down(f, "JSON status DOWN\\n<0>forged (expected UP)");
	assert_inert(f->reason);
	/* the same name in a failing check is listed, escaped */
	body(f, "{\"status\":\"DOWN\\n<0>forged\",\"checks\":[{\"name\":\"\\u001b[2J\","
		"\"status\":\"DOWN\"}]}");
	expect_down(f, "JSON status DOWN\\n<0>forged (expected UP); failing checks: \\x1b[2J");
	assert_inert(f->reason);
	/* at a 503, Keycloak's verdict is quoted the same way */
	f->in.http_code = 503;
	expect_down(f,
		    "HTTP 503 (expected 200), status DOWN\\n<0>forged; failing checks: \\x1b[2J");
	assert_inert(f->reason);
}

static void curl_text_inert(void **state)
{
	struct fx *f = *state;

	transport(f, CURLE_PEER_FAILED_VERIFICATION, 0,
		  "SSL: certificate subject name 'a\r\nb' bad");
	expect_down(f, "TLS host name mismatch: SSL: certificate subject name 'a\\r\\nb' bad");
}

static void json_empty(void **state)
{
	struct fx *f = *state;

	body(f, "");
	expect_down(f, "body is not JSON: empty body");
}

static void json_incomplete(void **state)
{
	struct fx *f = *state;

	body(f, "{\"status\":");
	expect_down(f, "body is not JSON: incomplete ('{\"status\":')");
}

static void json_trailing(void **state)
{
	struct fx *f = *state;

	body(f, "{\"status\":\"UP\"} {}");
	expect_down(f,
		    "body is not JSON: trailing data after the value ('{\"status\":\"UP\"} {}')");
}

static void json_not_object(void **state)
{
	struct fx *f = *state;

	body(f, "[\"UP\"]");
	expect_down(f, "JSON body is not an object");
}

static void json_no_status(void **state)
{
	struct fx *f = *state;

	body(f, "{\"checks\":[{\"status\":\"UP\"}]}");
	expect_down(f, "JSON body has no top-level string \"status\"");
}

static void json_status_not_string(void **state)
{
	struct fx *f = *state;

	body(f, "{\"status\":1}");
	expect_down(f, "JSON body has no top-level string \"status\"");
}

static void json_overflow(void **state)
{
	struct fx *f = *state;

	f->in.curl_code = CURLE_WRITE_ERROR;
	f->in.body_overflow = true;
	body(f, "{\"status\":\"UP\",\"pad\":\"xxxx");
	expect_down(f, "body larger than 65536 bytes");
}

/* --- plain body ------------------------------------------------------------------------ */

static void body_contains(void **state)
{
	struct fx *f = *state;

	snprintf(f->b.expect_body, sizeof(f->b.expect_body), "UP");
	body(f, "<html>all UP</html>");
	assert_true(run(f));
}

static void body_missing(void **state)
{
	struct fx *f = *state;

	snprintf(f->b.expect_body, sizeof(f->b.expect_body), "UP");
	body(f, "{\"status\":\"DOWN\"}");
	expect_down(f, "body does not contain 'UP'");
	f->in.body = NULL;
	f->in.body_len = 0;
	expect_down(f, "body does not contain 'UP'");
}

static void body_overflow(void **state)
{
	struct fx *f = *state;

	snprintf(f->b.expect_body, sizeof(f->b.expect_body), "UP");
	f->in.curl_code = CURLE_WRITE_ERROR;
	f->in.body_overflow = true;
	body(f, "...UP...");
	assert_true(run(f)); /* found in the part that came */
	body(f, "......");
	expect_down(f, "body larger than 65536 bytes without 'UP'");
}

/* --- the reason buffer ------------------------------------------------------------------ */

static void reason_truncated(void **state)
{
	struct fx *f = *state;
	char small[11];

	transport(f, CURLE_COULDNT_CONNECT, ECONNREFUSED, "");
	assert_false(healthclass_classify(&f->b, &f->in, small, sizeof(small)));
	assert_string_equal(small, "connection");
	assert_false(healthclass_classify(&f->b, &f->in, small, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(up_keycloak_json, setup, teardown),
	    cmocka_unit_test_setup_teardown(up_top_level_wins_over_nested_down, setup, teardown),
	    cmocka_unit_test_setup_teardown(up_status_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(up_custom_status_and_json_status, setup, teardown),
	    cmocka_unit_test_setup_teardown(connect_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(connect_no_route, setup, teardown),
	    cmocka_unit_test_setup_teardown(connect_net_unreachable, setup, teardown),
	    cmocka_unit_test_setup_teardown(connect_os_timeout, setup, teardown),
	    cmocka_unit_test_setup_teardown(connect_other, setup, teardown),
	    cmocka_unit_test_setup_teardown(timeout_connecting, setup, teardown),
	    cmocka_unit_test_setup_teardown(timeout_tls, setup, teardown),
	    cmocka_unit_test_setup_teardown(timeout_response, setup, teardown),
	    cmocka_unit_test_setup_teardown(resolve_failed, setup, teardown),
	    cmocka_unit_test_setup_teardown(tls_verify_failed, setup, teardown),
	    cmocka_unit_test_setup_teardown(tls_host_mismatch_san, setup, teardown),
	    cmocka_unit_test_setup_teardown(tls_host_mismatch_cn, setup, teardown),
	    cmocka_unit_test_setup_teardown(tls_ca_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(tls_client_cert, setup, teardown),
	    cmocka_unit_test_setup_teardown(tls_handshake, setup, teardown),
	    cmocka_unit_test_setup_teardown(empty_reply, setup, teardown),
	    cmocka_unit_test_setup_teardown(reset_by_peer, setup, teardown),
	    cmocka_unit_test_setup_teardown(send_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(bad_url, setup, teardown),
	    cmocka_unit_test_setup_teardown(other_error_without_errbuf, setup, teardown),
	    cmocka_unit_test_setup_teardown(no_http_response, setup, teardown),
	    cmocka_unit_test_setup_teardown(status_503_with_keycloak_down, setup, teardown),
	    cmocka_unit_test_setup_teardown(status_503_nested_up, setup, teardown),
	    cmocka_unit_test_setup_teardown(status_404_html, setup, teardown),
	    cmocka_unit_test_setup_teardown(status_500_no_body, setup, teardown),
	    cmocka_unit_test_setup_teardown(json_down_at_200, setup, teardown),
	    cmocka_unit_test_setup_teardown(json_nested_up_under_down, setup, teardown),
	    cmocka_unit_test_setup_teardown(json_not_json, setup, teardown),
	    cmocka_unit_test_setup_teardown(json_snippet_bounded_and_printable, setup, teardown),
	    cmocka_unit_test_setup_teardown(json_forged_status_and_check_name, setup, teardown),
	    cmocka_unit_test_setup_teardown(curl_text_inert, setup, teardown),
	    cmocka_unit_test_setup_teardown(json_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(json_incomplete, setup, teardown),
	    cmocka_unit_test_setup_teardown(json_trailing, setup, teardown),
	    cmocka_unit_test_setup_teardown(json_not_object, setup, teardown),
	    cmocka_unit_test_setup_teardown(json_no_status, setup, teardown),
	    cmocka_unit_test_setup_teardown(json_status_not_string, setup, teardown),
	    cmocka_unit_test_setup_teardown(json_overflow, setup, teardown),
	    cmocka_unit_test_setup_teardown(body_contains, setup, teardown),
	    cmocka_unit_test_setup_teardown(body_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(body_overflow, setup, teardown),
	    cmocka_unit_test_setup_teardown(reason_truncated, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
