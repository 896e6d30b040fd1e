/* SPDX-License-Identifier: MIT */
/* healthclass.h: classify one backend health check result as up or down, with a reason (pure). */
#ifndef KCW_HEALTHCLASS_H
#define KCW_HEALTHCLASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define HEALTH_BODY_MAX	  (64 * 1024) /* bytes of response body kept; more aborts the check */
#define HEALTH_REASON_MAX 256	      /* reason buffer size (with the NUL) */

/* How far a transfer got before it ended: names the phase of a timeout. */
enum health_phase {
	HEALTH_PHASE_CONNECT = 0, /* TCP connect not done */
	HEALTH_PHASE_TLS,	  /* TCP connected, TLS handshake not done (https only) */
	HEALTH_PHASE_RESPONSE, /* connected (and TLS done), waiting for or reading the response */
};

/* How a transfer ended, as far as the verdict cares (health_failure_of() maps libcurl's codes). */
enum health_failure {
	HEALTH_FAIL_NONE = 0,	     /* the transfer completed */
	HEALTH_FAIL_CONNECT,	     /* the TCP connect failed: os_errno says why */
	HEALTH_FAIL_TIMEOUT,	     /* the check's timeout ran out: phase says where */
	HEALTH_FAIL_RESOLVE,	     /* the host name did not resolve */
	HEALTH_FAIL_TLS_VERIFY,	     /* the peer's certificate or host name did not verify */
	HEALTH_FAIL_TLS_CA_FILE,     /* the CA file could not be used */
	HEALTH_FAIL_TLS_CLIENT_CERT, /* the client certificate could not be used */
	HEALTH_FAIL_TLS_HANDSHAKE,   /* the TLS handshake failed otherwise */
	HEALTH_FAIL_EMPTY_REPLY,     /* the connection closed without a response */
	HEALTH_FAIL_SEND_RECV,	     /* sending or receiving failed: os_errno says why */
	HEALTH_FAIL_BAD_URL,	     /* unsupported scheme or malformed URL */
	HEALTH_FAIL_WRITE,	     /* the body was not taken (cut at HEALTH_BODY_MAX) */
	HEALTH_FAIL_OTHER,	     /* anything else: the code's text says what */
};

/* Everything one finished check produced, as libcurl reported it. */
struct health_input {
	enum health_failure failure; /* how the transfer ended */
	const char *errbuf;	     /* CURLOPT_ERRORBUFFER text; may be NULL or "" */
	const char *code_text;	     /* curl_easy_strerror() of the transfer's code; may be NULL */
	int os_errno;		     /* CURLINFO_OS_ERRNO (connect failures), 0 = none */
	enum health_phase phase;
	long http_code;	  /* CURLINFO_RESPONSE_CODE, 0 = no response */
	const char *body; /* response body, not NUL-terminated; may be NULL */
	size_t body_len;
	bool body_overflow;  /* the body exceeded HEALTH_BODY_MAX and the transfer was cut */
	uint32_t timeout_ms; /* the check's configured timeout, for "timeout after N ms" */
};

/*
 * Judges one check against the backend's expectations in b: expect_status,
 * then expect_body (plain substring) when set, else expect_json_status when
 * set (the TOP-LEVEL "status" member of a JSON object; nested members do not
 * count), else the status code alone.
 *
 * Returns true (up; reason = "") or false (down; reason is a sentence a person
 * can act on, e.g. "connection refused", "timeout after 1000 ms (TLS
 * handshake)", "TLS verification failed: <curl's text>", "TLS host name
 * mismatch: <curl's text>", "HTTP 503 (expected 200), status DOWN",
 * "JSON status DOWN (expected UP)", "body is not JSON: <parser's text>",
 * "body does not contain 'UP'"). The reason is truncated to fit len.
 */
bool healthclass_classify(const struct cfg_backend *b, const struct health_input *in, char *reason,
			  size_t len);

#endif
