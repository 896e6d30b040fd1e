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
/* For CURLOPT_OPENSOCKETFUNCTION: a CLOEXEC, non-blocking socket. */
curl_socket_t curlloop_open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a);

#endif
