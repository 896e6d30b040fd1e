/* SPDX-License-Identifier: MIT */
/* control.c: control socket server: accept, read one request line, answer JSON, close. */
#include "control.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

struct client {
	struct control *ctl;
	int fd;
	uint64_t id; /* for control_complete() */
	uint64_t since_ms;
	uint64_t deadline_ms; /* closed by the sweep from then on */
	bool deferred;	      /* the handler answers later (control_defer) */
	size_t in_len;
	char in[CONTROL_REQUEST_MAX];
	char *out; /* reply being written, NULL while reading */
	size_t out_len, out_off;
	struct client *next;
};

struct control {
	struct loop *loop;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *label; /* "control socket" or "status socket", for messages */
	mode_t mode;
	int fd;
	control_handler handler;
	void *arg;
	struct loop_timer *sweep;
	struct loop_timer *resume; /* re-enables accepting after a pause */
	struct client *clients;
	size_t n_clients;
	uint64_t next_id;
	struct client *current; /* the client whose request the handler runs now */
};

static void client_close(struct client *c)
{
	struct control *ctl = c->ctl;

	for (struct client **pp = &ctl->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	ctl->n_clients--;
	loop_del_fd(ctl->loop, c->fd);
	close(c->fd);
	free(c->out);
	free(c);
}

static void client_flush(struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			loop_mod_fd(c->ctl->loop, c->fd, EPOLLOUT);
			return;
		}
		if (n <= 0)
			break;
		c->out_off += (size_t)n;
	}
	client_close(c);
}

static void client_reply(struct client *c, struct json_object *reply)
{
	const char *s = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(s);

	c->out = malloc(len + 2);
	if (!c->out) {
		json_object_put(reply);
		client_close(c);
		return;
	}
	memcpy(c->out, s, len);
	c->out[len] = '\n';
	c->out_len = len + 1;
	json_object_put(reply);
	client_flush(c);
}

static struct json_object *error_reply(const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

bool control_peer_in_group(const struct control_peer *p, gid_t gid)
{
	if (p->cred.gid == gid)
		return true;
	for (size_t i = 0; i < p->n_groups; i++)
		if (p->groups[i] == gid)
			return true;
	return false;
}

/*
 * The client's supplementary groups from the socket (SO_PEERGROUPS, Linux 4.13), as they
 * were at connect time: no look into /proc, which the unit's ProtectProc=invisible hides
 * for other users' processes anyway. NULL with *n = 0 when it has none or they cannot be
 * read (then only the primary group counts). The caller frees the array.
 */
static gid_t *peer_groups(int fd, size_t *n)
{
	socklen_t len = 64 * sizeof(gid_t);
	gid_t *g = NULL;

	*n = 0;
	for (int tries = 0; tries < 2; tries++) {
		gid_t *bigger = realloc(g, len ? len : sizeof(gid_t));

		if (!bigger)
			break;
		g = bigger;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == 0) {
			*n = len / sizeof(gid_t);
			return g;
		}
		if (errno != ERANGE)
			break; /* len now holds the size needed: one more try */
	}
	free(g);
	return NULL;
}

static void client_request(struct client *c, char *line)
{
	struct control_peer peer = {.cred = {.pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1}};
	socklen_t len = sizeof(peer.cred);
	struct json_object *reply;
	gid_t *groups = NULL;

	line[strcspn(line, "\r\n")] = '\0';
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &peer.cred, &len) < 0)
		reply = error_reply("cannot identify the client (SO_PEERCRED failed)");
	else {
		groups = peer_groups(c->fd, &peer.n_groups);
		peer.groups = groups;
		c->ctl->current = c;
		reply = c->ctl->handler(c->ctl->arg, line, &peer);
		c->ctl->current = NULL;
		free(groups);
	}
	if (!reply && c->deferred)
		return; /* control_complete() answers */
	if (!reply)
		reply = error_reply("internal error");
	c->deferred = false;
	client_reply(c, reply);
}

static void client_readable(struct client *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len, 0);
		char *nl;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			client_close(c); /* gone before asking anything */
			return;
		}
		c->in_len += (size_t)n;
		c->in[c->in_len] = '\0';
		nl = memchr(c->in, '\n', c->in_len);
		if (nl || memchr(c->in, '\0', c->in_len)) {
			client_request(c, c->in);
			return;
		}
		if (c->in_len == sizeof(c->in) - 1) {
			client_reply(c, error_reply("request too long"));
			return;
		}
	}
}

/* Waiting for a deferred reply: more input is ignored, a hang-up ends the wait. */
static void client_waiting(struct client *c)
{
	char buf[256];
	ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		client_close(c);
}

static void client_event(void *arg, int fd, uint32_t events)
{
	struct client *c = arg;

	if (c->out)
		client_flush(c);
	else if (c->deferred)
		client_waiting(c);
	else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		client_readable(c);
}

static void reject_busy(int fd)
{
	static const char busy[] = "{\"error\":\"too many control clients, try again\"}\n";

	(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

/*
 * Full: the oldest client that has not finished its request makes room, so
 * idle connections cannot lock out the operator. Only when every client is
 * being answered is the newcomer turned away.
 */
static bool make_room(struct control *ctl)
{
	struct client *oldest = NULL;

	for (struct client *c = ctl->clients; c; c = c->next)
		if (!c->out && !c->deferred)
			oldest = c; /* the list is newest first */
	if (!oldest)
		return false;
	client_close(oldest);
	return true;
}

/* Out of descriptors: stop accepting for a moment instead of spinning on a readable listener. */
static void pause_accept(struct control *ctl, int err)
{
	log_warn("%s: accept: %s; pausing new connections for 100 ms", ctl->label, strerror(err));
	loop_mod_fd(ctl->loop, ctl->fd, 0);
	loop_timer_arm(ctl->resume, 100);
}

static void on_resume(void *arg)
{
	struct control *ctl = arg;

	loop_mod_fd(ctl->loop, ctl->fd, EPOLLIN);
}

static void on_accept(void *arg, int lfd, uint32_t events)
{
	struct control *ctl = arg;

	for (int i = 0; i < 64; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *c;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				pause_accept(ctl, errno);
			return;
		}
		if (ctl->n_clients >= CONTROL_MAX_CLIENTS && !make_room(ctl)) {
			reject_busy(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c || loop_add_fd(ctl->loop, fd, EPOLLIN, client_event, c) < 0) {
			free(c);
			close(fd);
			continue;
		}
		c->ctl = ctl;
		c->fd = fd;
		c->id = ++ctl->next_id;
		c->since_ms = loop_now_ms();
		c->deadline_ms = c->since_ms + CONTROL_IDLE_MS;
		if (!ctl->clients)
			loop_timer_arm(ctl->sweep, 1000);
		c->next = ctl->clients;
		ctl->clients = c;
		ctl->n_clients++;
	}
}

/* Clients that neither ask nor read for CONTROL_IDLE_MS are closed. */
static void on_sweep(void *arg)
{
	struct control *ctl = arg;
	uint64_t now = loop_now_ms();
	struct client *c = ctl->clients, *next;

	for (; c; c = next) {
		next = c->next;
		if (now >= c->deadline_ms)
			client_close(c);
	}
	/* No clients, no timer: an idle daemon should not wake up for nothing. */
	if (ctl->clients)
		loop_timer_arm(ctl->sweep, 1000);
}

/* A socket file nobody answers on is left over from a crash: replace it. */
static int take_path(const char *label, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s %s exists and is not a socket", label, path);
		return -EEXIST;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	rc = fd >= 0 ? connect(fd, (struct sockaddr *)&sun, sizeof(sun)) : -1;
	if (fd >= 0)
		close(fd);
	if (rc == 0) {
		snprintf(err, errlen, "%s %s is in use by a running kcwatchd", label, path);
		return -EADDRINUSE;
	}
	unlink(path);
	return 0;
}

static int bind_listen(struct control *ctl, char *err, size_t errlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int rc;

	strcpy(sun.sun_path, ctl->path);
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->fd < 0 || bind(ctl->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(ctl->path, ctl->mode) < 0 || listen(ctl->fd, 128) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s %s: %s", ctl->label, ctl->path, strerror(errno));
		if (ctl->fd >= 0)
			close(ctl->fd);
		return rc;
	}
	return 0;
}

struct control *control_open(struct loop *l, const char *path, control_handler h, void *arg,
			     char *err, size_t errlen)
{
	return control_open_mode(l, path, 0660, "control socket", h, arg, err, errlen);
}

struct control *control_open_mode(struct loop *l, const char *path, mode_t mode, const char *label,
				  control_handler h, void *arg, char *err, size_t errlen)
{
	struct control *ctl;

	if (strlen(path) >= sizeof(ctl->path)) {
		snprintf(err, errlen, "%s path too long: %s", label, path);
		return NULL;
	}
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return NULL;
	strcpy(ctl->path, path);
	ctl->loop = l;
	ctl->handler = h;
	ctl->arg = arg;
	ctl->label = label;
	ctl->mode = mode;
	if (take_path(label, path, err, errlen) < 0 || bind_listen(ctl, err, errlen) < 0) {
		free(ctl);
		return NULL;
	}
	ctl->sweep = loop_timer_new(l, on_sweep, ctl);
	ctl->resume = loop_timer_new(l, on_resume, ctl);
	if (!ctl->sweep || !ctl->resume || loop_add_fd(l, ctl->fd, EPOLLIN, on_accept, ctl) < 0) {
		snprintf(err, errlen, "%s %s: cannot watch it", label, path);
		loop_timer_free(ctl->sweep);
		loop_timer_free(ctl->resume);
		close(ctl->fd);
		unlink(path);
		free(ctl);
		return NULL;
	}
	return ctl;
}

void control_close(struct control *c)
{
	if (!c)
		return;
	while (c->clients)
		client_close(c->clients);
	loop_timer_free(c->sweep);
	loop_timer_free(c->resume);
	loop_del_fd(c->loop, c->fd);
	close(c->fd);
	unlink(c->path);
	free(c);
}

size_t control_clients(const struct control *c)
{
	return c->n_clients;
}

uint64_t control_defer(struct control *ctl, uint32_t timeout_ms)
{
	struct client *c = ctl ? ctl->current : NULL;

	if (!c)
		return 0;
	c->deferred = true;
	c->deadline_ms = loop_now_ms() + timeout_ms;
	return c->id;
}

void control_complete(struct control *ctl, uint64_t id, struct json_object *reply)
{
	struct client *c = ctl ? ctl->clients : NULL;

	while (c && c->id != id)
		c = c->next;
	if (!c || !c->deferred || c->out) {
		json_object_put(reply); /* the client left or was timed out */
		return;
	}
	c->deferred = false;
	client_reply(c, reply);
}
