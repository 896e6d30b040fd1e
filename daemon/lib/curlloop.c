/* SPDX-License-Identifier: MIT */
/* curlloop.c: a libcurl multi handle driven by the event loop (sockets and timer) */
#include "curlloop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"

struct curlloop {
	const struct curldl *cu;
	struct loop *loop;
	CURLM *multi;
	struct loop_timer *curl_timer; /* libcurl's own timeout wakeup */
	curlloop_after_cb after;
	curlloop_poll_cb poll;
	void *arg;
};

static void on_sock(void *arg, int fd, uint32_t events)
{
	struct curlloop *cl = arg;
	int flags = 0, still;

	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	cl->cu->multi_socket_action(cl->multi, fd, flags, &still);
	cl->after(cl->arg);
}

static int sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct curlloop *cl = userp;
	uint32_t ev = 0;
	int rc;

	if (cl->poll)
		cl->poll(cl->arg, easy, what);
	if (what == CURL_POLL_REMOVE) {
		if (socketp) {
			loop_del_fd(cl->loop, s);
			cl->cu->multi_assign(cl->multi, s, NULL);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev |= EPOLLOUT;
	if (socketp) {
		rc = loop_mod_fd(cl->loop, s, ev);
	} else {
		loop_del_fd(cl->loop, s); /* a stale watcher of a reused fd number, if any */
		rc = loop_add_fd(cl->loop, s, ev, on_sock, cl);
		if (rc == 0)
			cl->cu->multi_assign(cl->multi, s, cl);
	}
	if (rc < 0) {
		log_err("%s: watching fd %d: %s", __func__, (int)s, strerror(-rc));
		return -1;
	}
	return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct curlloop *cl = userp;

	if (timeout_ms < 0) {
		loop_timer_disarm(cl->curl_timer);
		return 0;
	}
	return loop_timer_arm(cl->curl_timer, (uint64_t)timeout_ms) < 0 ? -1 : 0;
}

static void on_curl_timer(void *arg)
{
	struct curlloop *cl = arg;
	int still;

	cl->cu->multi_socket_action(cl->multi, CURL_SOCKET_TIMEOUT, 0, &still);
	cl->after(cl->arg);
}

curl_socket_t curlloop_open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	int fd = socket(a->family, a->socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->protocol);

	return fd < 0 ? CURL_SOCKET_BAD : fd;
}

struct curlloop *curlloop_new(struct loop *l, const struct curldl *cu, curlloop_after_cb after,
			      curlloop_poll_cb poll, void *arg)
{
	struct curlloop *cl = calloc(1, sizeof(*cl));
	CURLMcode rc = CURLM_OK;

	if (!cl)
		return NULL;
	*cl = (struct curlloop){.cu = cu, .loop = l, .after = after, .poll = poll, .arg = arg};
	cl->multi = cu->multi_init();
	if (!cl->multi) {
		free(cl);
		errno = ENOMEM;
		return NULL;
	}
	rc |= cu->multi_setopt(cl->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	rc |= cu->multi_setopt(cl->multi, CURLMOPT_SOCKETDATA, cl);
	rc |= cu->multi_setopt(cl->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	rc |= cu->multi_setopt(cl->multi, CURLMOPT_TIMERDATA, cl);
	if (rc != CURLM_OK) {
		curlloop_free(cl);
		errno = EINVAL;
		return NULL;
	}
	cl->curl_timer = loop_timer_new(l, on_curl_timer, cl);
	if (!cl->curl_timer) {
		int saved = errno ? errno : ENOMEM;

		curlloop_free(cl);
		errno = saved;
		return NULL;
	}
	return cl;
}

CURLM *curlloop_multi(const struct curlloop *cl)
{
	return cl ? cl->multi : NULL;
}

void curlloop_disarm(struct curlloop *cl)
{
	if (cl && cl->curl_timer)
		loop_timer_disarm(cl->curl_timer);
}

void curlloop_free(struct curlloop *cl)
{
	if (!cl)
		return;
	if (cl->multi)
		cl->cu->multi_cleanup(cl->multi);
	loop_timer_free(cl->curl_timer);
	free(cl);
}

int curlloop_easy_setup(const struct curldl *cu, CURL *e, const struct curlloop_tls *tls,
			const char *agent, char *errbuf, void *priv, curlloop_write_cb write)
{
	CURLcode rc = CURLE_OK;

	rc |= cu->easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	rc |= cu->easy_setopt(e, CURLOPT_NOPROXY, "*");
	rc |= cu->easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	rc |= cu->easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (tls->ca_file[0]) {
		rc |= cu->easy_setopt(e, CURLOPT_CAINFO, tls->ca_file);
		/*
		 * Only that file: a libcurl built with a default CA directory (Debian's:
		 * /etc/ssl/certs) would trust every CA there as well. Without a CA path,
		 * libcurl (7.87+) also keeps the parsed store for new connections instead of
		 * reading the file again for each one.
		 */
		rc |= cu->easy_setopt(e, CURLOPT_CAPATH, NULL);
	}
	if (tls->client_cert[0]) {
		rc |= cu->easy_setopt(e, CURLOPT_SSLCERT, tls->client_cert);
		rc |= cu->easy_setopt(e, CURLOPT_SSLKEY, tls->client_key);
	}
	rc |= cu->easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	rc |= cu->easy_setopt(e, CURLOPT_USERAGENT, agent);
	rc |= cu->easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	rc |= cu->easy_setopt(e, CURLOPT_PRIVATE, priv);
	rc |= cu->easy_setopt(e, CURLOPT_WRITEFUNCTION, write);
	rc |= cu->easy_setopt(e, CURLOPT_WRITEDATA, priv);
	rc |= cu->easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, curlloop_open_socket);
	return rc == CURLE_OK ? 0 : -EINVAL;
}
