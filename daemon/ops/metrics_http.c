/* SPDX-License-Identifier: MIT */
/* metrics_http.c: a minimal HTTP/1.0 server on the loop that answers GET /metrics, then closes. */
#include "metrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define SWEEP_MS 1000

struct mclient {
	struct metrics_http *srv;
	int fd;
	uint64_t since_ms;
	size_t in_len;
	char in[METRICS_HTTP_REQUEST_MAX];
	char *out; /* response being written, NULL while reading */
	size_t out_len, out_off;
	struct mclient *next;
};

struct metrics_http {
	struct loop *loop;
	int fd;
	uint16_t port;
	metrics_fill_cb fill;
	void *arg;
	struct loop_timer *sweep;
	struct mclient *clients;
	size_t n_clients;
};

static void client_close(struct mclient *c)
{
	struct metrics_http *s = c->srv;
	char sink[512];

	for (struct mclient **pp = &s->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	s->n_clients--;
	loop_del_fd(s->loop, c->fd);
	/* Unread input would make close() send a reset that can cut the response short. */
	while (recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
	close(c->fd);
	free(c->out);
	free(c);
}

static void client_flush(struct mclient *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			loop_mod_fd(c->srv->loop, c->fd, EPOLLOUT);
			return;
		}
		if (n <= 0)
			break;
		c->out_off += (size_t)n;
	}
	shutdown(c->fd, SHUT_WR);
	client_close(c);
}

/* Header plus (unless head_only) body into c->out, then starts writing. */
static void client_respond(struct mclient *c, const char *status, const char *extra,
			   const char *body, size_t body_len, bool head_only)
{
	const char *type = body_len && !strncmp(status, "200", 3)
			       ? "text/plain; version=0.0.4; charset=utf-8"
			       : "text/plain; charset=utf-8";
	char head[512];
	int hl = snprintf(head, sizeof(head),
			  "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			  "Cache-Control: no-store\r\nConnection: close\r\n%s\r\n",
			  status, type, body_len, extra ? extra : "");

	if (hl < 0 || (size_t)hl >= sizeof(head)) {
		client_close(c);
		return;
	}
	c->out_len = (size_t)hl + (head_only ? 0 : body_len);
	c->out = malloc(c->out_len);
	if (!c->out) {
		client_close(c);
		return;
	}
	memcpy(c->out, head, (size_t)hl);
	if (!head_only)
		memcpy(c->out + hl, body, body_len);
	client_flush(c);
}

static void respond_text(struct mclient *c, const char *status, const char *extra, const char *text,
			 bool head_only)
{
	client_respond(c, status, extra, text, strlen(text), head_only);
}

static void respond_metrics(struct mclient *c, bool head_only)
{
	struct kcw_metrics *m = calloc(1, sizeof(*m));
	size_t len = 0;
	char *text = NULL;

	if (m) {
		c->srv->fill(c->srv->arg, m);
		text = metrics_render(m, &len);
		free(m);
	}
	if (!text) {
		log_err("%s: cannot render the metrics: %s", __func__, strerror(errno));
		respond_text(c, "500 Internal Server Error", NULL, "cannot render metrics\n",
			     head_only);
		return;
	}
	client_respond(c, "200 OK", NULL, text, len, head_only);
	free(text);
}

/* The request line: METHOD SP TARGET [SP VERSION]; headers are read and ignored. */
static void client_request(struct mclient *c)
{
	char method[8] = "", target[256] = "";
	bool head;
	size_t plen;

	if (sscanf(c->in, "%7[A-Z] %255[^ \r\n]", method, target) != 2 || target[0] != '/') {
		respond_text(c, "400 Bad Request", NULL, "bad request\n", false);
		return;
	}
	head = !strcmp(method, "HEAD");
	if (!head && strcmp(method, "GET") != 0) {
		respond_text(c, "405 Method Not Allowed", "Allow: GET, HEAD\r\n",
			     "only GET and HEAD\n", false);
		return;
	}
	plen = strcspn(target, "?");
	if (plen == strlen("/metrics") && !strncmp(target, "/metrics", plen))
		respond_metrics(c, head);
	else
		respond_text(c, "404 Not Found", NULL, "metrics are at /metrics\n", head);
}

static void client_read(struct mclient *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			client_close(c); /* closed or failed before a whole request */
			return;
		}
		c->in_len += (size_t)n;
		c->in[c->in_len] = '\0';
		if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n")) {
			client_request(c);
			return;
		}
		if (c->in_len == sizeof(c->in) - 1) {
			respond_text(c, "431 Request Header Fields Too Large", NULL,
				     "request too large\n", false);
			return;
		}
	}
}

static void on_client(void *arg, int fd, uint32_t events)
{
	struct mclient *c = arg;

	if (c->out)
		client_flush(c);
	else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		client_read(c);
}

static void on_sweep(void *arg)
{
	struct metrics_http *s = arg;
	uint64_t now = loop_now_ms();
	struct mclient *c = s->clients, *next;

	for (; c; c = next) {
		next = c->next;
		if (now - c->since_ms >= METRICS_HTTP_TIMEOUT_MS) {
			log_debug("metrics client fd %d timed out", c->fd);
			client_close(c);
		}
	}
	if (s->clients)
		loop_timer_arm(s->sweep, SWEEP_MS);
}

static void client_add(struct metrics_http *s, int fd)
{
	struct mclient *c = calloc(1, sizeof(*c));

	if (!c || loop_add_fd(s->loop, fd, EPOLLIN, on_client, c) < 0) {
		free(c);
		close(fd);
		return;
	}
	c->srv = s;
	c->fd = fd;
	c->since_ms = loop_now_ms();
	c->next = s->clients;
	if (!s->clients)
		loop_timer_arm(s->sweep, SWEEP_MS);
	s->clients = c;
	s->n_clients++;
}

static void on_accept(void *arg, int fd, uint32_t events)
{
	struct metrics_http *s = arg;

	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				log_warn("%s: accept: %s", __func__, strerror(errno));
			return;
		}
		if (s->n_clients >= METRICS_HTTP_MAX_CLIENTS) {
			log_debug("metrics: %d clients already, closing a new one",
				  METRICS_HTTP_MAX_CLIENTS);
			close(cfd);
			continue;
		}
		client_add(s, cfd);
	}
}

static int bind_listen(struct metrics_http *s, const struct kcw_addr *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t sl = addr_to_sockaddr(addr, port, &ss);
	int one = 1;

	s->fd = socket(addr->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -errno;
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (addr->family == AF_INET6)
		setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(s->fd, (struct sockaddr *)&ss, sl) < 0 || listen(s->fd, 16) < 0)
		return -errno;
	sl = sizeof(ss);
	if (getsockname(s->fd, (struct sockaddr *)&ss, &sl) == 0)
		s->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
							: ((struct sockaddr_in6 *)&ss)->sin6_port);
	return loop_add_fd(s->loop, s->fd, EPOLLIN, on_accept, s);
}

struct metrics_http *metrics_http_open(struct loop *l, const struct kcw_addr *addr, uint16_t port,
				       metrics_fill_cb fill, void *arg, char *err, size_t errlen)
{
	struct metrics_http *s = calloc(1, sizeof(*s));
	char a[ADDR_STRLEN];
	int rc;

	if (!s) {
		snprintf(err, errlen, "metrics listener: out of memory");
		return NULL;
	}
	s->loop = l;
	s->fill = fill;
	s->arg = arg;
	s->fd = -1;
	s->sweep = loop_timer_new(l, on_sweep, s);
	rc = s->sweep ? bind_listen(s, addr, port) : -errno;
	if (rc < 0) {
		snprintf(err, errlen, "metrics listener %s:%u: %s", addr_str(addr, a, sizeof(a)),
			 (unsigned)port, strerror(-rc));
		metrics_http_close(s);
		return NULL;
	}
	log_info("metrics at http://%s%s%s:%u/metrics", addr->family == AF_INET6 ? "[" : "",
		 addr_str(addr, a, sizeof(a)), addr->family == AF_INET6 ? "]" : "",
		 (unsigned)s->port);
	return s;
}

void metrics_http_close(struct metrics_http *s)
{
	if (!s)
		return;
	while (s->clients)
		client_close(s->clients);
	if (s->fd >= 0) {
		loop_del_fd(s->loop, s->fd);
		close(s->fd);
	}
	if (s->sweep)
		loop_timer_free(s->sweep);
	free(s);
}

uint16_t metrics_http_port(const struct metrics_http *s)
{
	return s->port;
}
