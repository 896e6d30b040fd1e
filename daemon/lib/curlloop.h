/* SPDX-License-Identifier: MIT */
/* curlloop.h: a libcurl multi handle driven by the event loop (sockets and timer) */
#ifndef KCW_CURLLOOP_H
#define KCW_CURLLOOP_H

#include <curl/curl.h>

#include "curldl.h"
#include "loop.h"

struct curlloop;

/* Called after each socket action with the context's arg: read the multi's messages there. */
typedef void (*curlloop_after_cb)(void *arg);
/* Optional: called first in the socket callback with libcurl's CURL_POLL_* for an easy. */
typedef void (*curlloop_poll_cb)(void *arg, CURL *easy, int what);

/*
 * A new multi handle with its socket and timer callbacks wired into loop l; cu must outlive
 * it. NULL with errno set (ENOMEM, EINVAL) on failure: the caller words the error.
 */
struct curlloop *curlloop_new(struct loop *l, const struct curldl *cu, curlloop_after_cb after,
			      curlloop_poll_cb poll, void *arg);
/* The multi handle, for the caller's own settings and transfers; NULL for a NULL cl. */
CURLM *curlloop_multi(const struct curlloop *cl);
/* Stops libcurl's timeout wakeup (the transfers are the caller's to remove). */
void curlloop_disarm(struct curlloop *cl);
/* Cleans up the multi handle (its sockets leave the loop), then frees the timer. */
void curlloop_free(struct curlloop *cl);
/* The TLS files of a transfer ("": none; a client certificate goes with its key). */
struct curlloop_tls {
	const char *ca_file; /* "": libcurl's default store */
	const char *client_cert;
	const char *client_key;
};
typedef size_t (*curlloop_write_cb)(char *data, size_t size, size_t nmemb, void *priv);
/*
 * The settings every transfer of the daemon shares on easy e: no signals, no proxy, no
 * redirects, the peer's certificate and name verified (against tls->ca_file alone when set),
 * the client certificate, the user agent, errbuf (CURL_ERROR_SIZE bytes), priv as
 * CURLOPT_PRIVATE and as write's argument, sockets from curlloop_open_socket. 0, or -EINVAL
 * when libcurl refuses one.
 */
int curlloop_easy_setup(const struct curldl *cu, CURL *e, const struct curlloop_tls *tls,
			const char *agent, char *errbuf, void *priv, curlloop_write_cb write);
/* For CURLOPT_OPENSOCKETFUNCTION: a CLOEXEC, non-blocking socket. */
curl_socket_t curlloop_open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a);

#endif
