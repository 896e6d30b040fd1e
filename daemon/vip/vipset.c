/* SPDX-License-Identifier: MIT */
/* vipset.c: the VIP manager the daemon calls: take, release, watch and announce its VIPs. */
#include "vipset.h"

#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "garp.h"
#include "linkwatch.h"
#include "log.h"
#include "vip.h"

/* Deleting a VIP found with another prefix length is retried this often (IPv4 allows the same
 * address twice with different masks). */
#define VIPSET_DEL_ROUNDS 4

enum ann_phase { ANN_IDLE, ANN_BURST1, ANN_BURST2, ANN_REFRESH };

struct vs_vip {
	struct vipset *set;
	struct cfg_vip cfg;
	struct vip_link link; /* last known state of cfg.interface; ifindex 0 = missing */
	bool present;	      /* on the interface, per netlink */
	int send_err;	      /* last announcement error, so it is logged once */
	struct loop_timer *timer;
	enum ann_phase phase;
	unsigned left;	      /* announcements left in the current burst */
	uint64_t started_ms;  /* start of the first burst */
	bool release_pending; /* a delete failed: retried until it works or we lead again */
};

struct vipset {
	struct loop *loop;
	struct vip_nl *nl;
	struct garp *garp;
	struct linkwatch *watch;
	struct loop_timer *fault_timer; /* reports fault changes from the loop */
	vipset_fault_cb cb;
	void *arg;
	bool taken;
	bool fault_reported; /* the last value given to cb */
	uint64_t announcements;
	struct loop_timer *release_timer; /* retries of failed releases */
	unsigned release_attempt;	  /* retries so far in this series (the backoff) */
	uint64_t release_failures;	  /* failed deletes, first tries and retries */
	size_t n;
	struct vs_vip vips[];
};

static const char *vip_text(const struct vs_vip *v, char *buf, size_t len)
{
	char a[ADDR_STRLEN];

	snprintf(buf, len, "%s/%d", addr_str(&v->cfg.addr, a, sizeof(a)), v->cfg.prefixlen);
	return buf;
}

static bool can_announce(const struct vs_vip *v)
{
	return v->link.mac_len == 6 && !(v->link.flags & IFF_NOARP);
}

/* --- announcements ---------------------------------------------------------------------------- */

static void ann_send(struct vs_vip *v)
{
	struct vipset *s = v->set;
	char buf[ADDR_STRLEN];
	int r;

	if (!vip_link_up(&v->link) || !can_announce(v))
		return;
	r = garp_send(s->garp, v->link.ifindex, v->link.mac, v->link.mac_len, &v->cfg.addr);
	if (r == 0) {
		s->announcements++;
		if (v->send_err)
			log_info("vip %s: announcements on %s work again", v->cfg.name,
				 v->cfg.interface);
		log_debug("vip %s: announced %s on %s", v->cfg.name, vip_text(v, buf, sizeof(buf)),
			  v->cfg.interface);
	} else if (r != v->send_err) {
		log_warn("%s: vip %s: announcing %s on %s failed: %s", __func__, v->cfg.name,
			 vip_text(v, buf, sizeof(buf)), v->cfg.interface, strerror(-r));
	}
	v->send_err = r;
}

static void ann_arm(struct vs_vip *v, uint64_t at_ms)
{
	int r = loop_timer_arm_at(v->timer, at_ms);

	if (r < 0)
		log_err("%s: vip %s: arming the announcement timer: %s", __func__, v->cfg.name,
			strerror(-r));
}

static void ann_next_phase(struct vs_vip *v)
{
	const struct cfg_vip *c = &v->cfg;

	if (v->phase == ANN_BURST1 && c->garp_repeat_after_ms > 0) {
		v->phase = ANN_BURST2;
		v->left = c->garp_count;
		ann_arm(v, v->started_ms + c->garp_repeat_after_ms);
	} else if (c->garp_refresh_ms > 0) {
		v->phase = ANN_REFRESH;
		ann_arm(v, loop_now_ms() + c->garp_refresh_ms);
	} else {
		v->phase = ANN_IDLE;
	}
}

static void ann_step(struct vs_vip *v)
{
	switch (v->phase) {
	case ANN_IDLE:
		return;
	case ANN_REFRESH:
		ann_send(v);
		ann_arm(v, loop_now_ms() + v->cfg.garp_refresh_ms);
		return;
	case ANN_BURST1:
	case ANN_BURST2:
		if (v->left > 0) {
			ann_send(v);
			v->left--;
		}
		if (v->left > 0)
			ann_arm(v, loop_now_ms() + v->cfg.garp_interval_ms);
		else
			ann_next_phase(v);
		return;
	}
}

static void ann_fired(void *arg)
{
	struct vs_vip *v = arg;

	if (v->set->taken)
		ann_step(v);
}

static void ann_start(struct vs_vip *v)
{
	v->phase = ANN_BURST1;
	v->left = v->cfg.garp_count;
	v->started_ms = loop_now_ms();
	ann_step(v);
}

static void ann_stop(struct vs_vip *v)
{
	v->phase = ANN_IDLE;
	loop_timer_disarm(v->timer);
}

/* --- fault reporting -------------------------------------------------------------------------- */

bool vipset_faulted(const struct vipset *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (!vip_link_up(&s->vips[i].link))
			return true;
	return false;
}

static void fault_fired(void *arg)
{
	struct vipset *s = arg;
	bool fault = vipset_faulted(s);

	if (fault == s->fault_reported)
		return;
	s->fault_reported = fault;
	s->cb(s->arg, fault); /* last: it may free s */
}

static void fault_check(struct vipset *s)
{
	if (vipset_faulted(s) != s->fault_reported && s->cb)
		loop_timer_arm(s->fault_timer, 0);
}

/* --- addresses -------------------------------------------------------------------------------- */

/* Makes sure v is on its interface: 1 when it had to be added, 0 when it was there, or -errno. */
static int ensure_present(struct vipset *s, struct vs_vip *v)
{
	char buf[ADDR_STRLEN];
	int r = vip_addr_find(s->nl, v->link.ifindex, &v->cfg.addr, NULL);

	if (r == 1) {
		v->present = true;
		return 0;
	}
	r = vip_addr_add(s->nl, v->link.ifindex, &v->cfg.addr, v->cfg.prefixlen);
	if (r < 0) {
		log_err("%s: vip %s: adding %s to %s failed: %s", __func__, v->cfg.name,
			vip_text(v, buf, sizeof(buf)), v->cfg.interface, strerror(-r));
		return r;
	}
	v->present = true;
	return 1;
}

/* Deletes v from its interface whatever its prefix length: 1 when something was deleted, 0 when
 * it was absent, or -errno. */
static int remove_vip(struct vipset *s, struct vs_vip *v, int *plen_out)
{
	int removed = 0, plen = v->cfg.prefixlen, r = 0;

	if (v->link.ifindex <= 0)
		return 0; /* no interface, no address */
	for (int round = 0; round < VIPSET_DEL_ROUNDS; round++) {
		r = vip_addr_find(s->nl, v->link.ifindex, &v->cfg.addr, &plen);
		if (r == 0)
			break;
		if (r < 0) { /* cannot look: delete the configured one anyway */
			plen = v->cfg.prefixlen;
			r = vip_addr_del(s->nl, v->link.ifindex, &v->cfg.addr, plen);
			break;
		}
		r = vip_addr_del(s->nl, v->link.ifindex, &v->cfg.addr, plen);
		if (r < 0)
			break;
		removed = 1;
		*plen_out = plen;
	}
	if (r < 0) {
		char a[ADDR_STRLEN];

		log_err("%s: vip %s: deleting %s/%d from %s failed: %s", __func__, v->cfg.name,
			addr_str(&v->cfg.addr, a, sizeof(a)), plen, v->cfg.interface, strerror(-r));
		return r;
	}
	v->present = false;
	return removed;
}

/* A held VIP went missing: put it back unless its interface is down (the fault path's case). */
static void restore(struct vipset *s, struct vs_vip *v)
{
	char buf[ADDR_STRLEN];

	if (!vip_link_up(&v->link))
		return;
	if (ensure_present(s, v) != 1)
		return; /* still there (a stale event), or the error is logged */
	log_warn("vip %s: %s was removed from %s by someone else; restored", v->cfg.name,
		 vip_text(v, buf, sizeof(buf)), v->cfg.interface);
	ann_start(v);
}

/* --- interface state -------------------------------------------------------------------------- */

static void link_gone(struct vipset *s, struct vs_vip *v)
{
	if (v->link.ifindex > 0)
		log_warn("vip %s: interface %s disappeared", v->cfg.name, v->cfg.interface);
	memset(&v->link, 0, sizeof(v->link));
	v->present = false;
	fault_check(s);
}

/* A notification may leave out attributes (name, address): keep what is known. */
static void link_merge(struct vip_link *into, const struct vip_link *now)
{
	struct vip_link old = *into;
	bool same = now->ifindex == old.ifindex;

	*into = *now;
	if (same && !now->name[0])
		memcpy(into->name, old.name, sizeof(into->name));
	if (same && !now->mac_len) {
		memcpy(into->mac, old.mac, sizeof(into->mac));
		into->mac_len = old.mac_len;
	}
}

static void link_update(struct vipset *s, struct vs_vip *v, const struct vip_link *now_in)
{
	struct vip_link old = v->link;
	const struct vip_link *now = &v->link;
	bool was_up = vip_link_up(&old), is_up = vip_link_up(now_in);
	bool new_index = now_in->ifindex != old.ifindex;
	bool new_mac;

	link_merge(&v->link, now_in);
	new_mac = !new_index &&
		  (now->mac_len != old.mac_len || memcmp(now->mac, old.mac, old.mac_len) != 0);
	if (new_index)
		v->present = vip_addr_find(s->nl, now->ifindex, &v->cfg.addr, NULL) == 1;
	if (was_up && !is_up)
		log_warn("vip %s: interface %s is down (%s)", v->cfg.name, v->cfg.interface,
			 !(now->flags & IFF_UP)		? "administratively down"
			 : !(now->flags & IFF_LOWER_UP) ? "no carrier"
							: "not operational");
	else if (!was_up && is_up)
		log_notice("vip %s: interface %s is up", v->cfg.name, v->cfg.interface);
	if (s->taken && is_up && (!was_up || new_mac || new_index)) {
		/* Back (or changed) while held: the kernel may have flushed IPv6 addresses. */
		if (ensure_present(s, v) >= 0)
			ann_start(v);
	}
	fault_check(s);
}

/* Re-reads v's interface from the kernel: 0, or negative errno (logged). */
static int link_refresh(struct vipset *s, struct vs_vip *v)
{
	struct vip_link now;
	int r = vip_link_get(s->nl, v->cfg.interface, &now);

	if (r == -ENODEV) {
		link_gone(s, v);
		return r;
	}
	if (r < 0) {
		log_err("%s: vip %s: reading interface %s: %s", __func__, v->cfg.name,
			v->cfg.interface, strerror(-r));
		return r;
	}
	link_update(s, v, &now);
	return 0;
}

static void on_addr_removed(struct vipset *s, struct vs_vip *v)
{
	v->present = false;
	if (!s->taken)
		return;
	/* The link notification may still be queued behind this one: ask the kernel now. */
	if (link_refresh(s, v) == 0)
		restore(s, v);
}

static bool vip_matches(const struct vs_vip *v, const struct linkwatch_event *ev)
{
	return v->link.ifindex > 0 && v->link.ifindex == ev->ifindex &&
	       addr_eq(&v->cfg.addr, &ev->addr);
}

static bool link_matches(const struct vs_vip *v, const struct linkwatch_event *ev)
{
	if (v->link.ifindex > 0)
		return v->link.ifindex == ev->ifindex;
	/* Missing so far: the interface may come (back) under its name with a new index. */
	return ev->kind == LINKWATCH_LINK && strcmp(ev->link.name, v->cfg.interface) == 0;
}

static void on_watch(void *arg, const struct linkwatch_event *ev)
{
	struct vipset *s = arg;

	for (size_t i = 0; i < s->n; i++) {
		struct vs_vip *v = &s->vips[i];

		switch (ev->kind) {
		case LINKWATCH_ADDR_ADDED:
			if (vip_matches(v, ev))
				v->present = true;
			break;
		case LINKWATCH_ADDR_REMOVED:
			if (vip_matches(v, ev))
				on_addr_removed(s, v);
			break;
		case LINKWATCH_LINK:
			if (link_matches(v, ev))
				link_update(s, v, &ev->link);
			break;
		case LINKWATCH_LINK_GONE:
			if (link_matches(v, ev))
				link_gone(s, v);
			break;
		case LINKWATCH_RESYNC:
			if (link_refresh(s, v) == 0) {
				v->present =
				    vip_addr_find(s->nl, v->link.ifindex, &v->cfg.addr, NULL) == 1;
				if (s->taken && !v->present)
					restore(s, v);
			}
			break;
		}
	}
}

/* --- construction ----------------------------------------------------------------------------- */

static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return r;
}

static int check_vip(struct vipset *s, struct vs_vip *v, char *err, size_t errlen)
{
	const struct cfg_vip *c = &v->cfg;
	int maxlen = c->addr.family == AF_INET ? 32 : 128;
	int r;

	if (c->addr.family != AF_INET && c->addr.family != AF_INET6)
		return fail(err, errlen, -EAFNOSUPPORT, "vip %s: no IPv4 or IPv6 address", c->name);
	if (c->prefixlen < 0 || c->prefixlen > maxlen)
		return fail(err, errlen, -EINVAL,
			    "vip %s: prefix length /%d does not fit an %s address", c->name,
			    c->prefixlen, c->addr.family == AF_INET ? "IPv4" : "IPv6");
	r = vip_link_get(s->nl, c->interface, &v->link);
	if (r == -ENODEV)
		return fail(err, errlen, r, "vip %s: interface %s does not exist", c->name,
			    c->interface);
	if (r < 0)
		return fail(err, errlen, r, "vip %s: looking up interface %s: %s", c->name,
			    c->interface, strerror(-r));
	if (c->addr.family == AF_INET6 && !vip_link_ipv6_enabled(c->interface))
		return fail(err, errlen, -EAFNOSUPPORT, "vip %s: IPv6 is disabled on interface %s",
			    c->name, c->interface);
	if (!can_announce(v))
		log_warn("vip %s: interface %s has no Ethernet address or does not do ARP/ND; "
			 "the VIP will not be announced",
			 c->name, c->interface);
	r = vip_addr_find(s->nl, v->link.ifindex, &c->addr, NULL);
	if (r < 0)
		return fail(err, errlen, r, "vip %s: reading the addresses of %s: %s", c->name,
			    c->interface, strerror(-r));
	v->present = r == 1;
	return 0;
}

static int open_announcer(struct vipset *s, char *err, size_t errlen)
{
	s->garp = garp_new();
	if (!s->garp)
		return fail(err, errlen, -ENOMEM, "vip: out of memory");
	for (size_t i = 0; i < s->n; i++) {
		const struct cfg_vip *c = &s->vips[i].cfg;
		bool v4 = c->addr.family == AF_INET;
		int r = v4 ? garp_open_arp(s->garp) : garp_open_na(s->garp);
		const char *what = v4 ? "gratuitous ARP" : "neighbour advertisements";

		if (r == -EPERM || r == -EACCES)
			return fail(err, errlen, r, "vip %s: sending %s needs CAP_NET_RAW: %s",
				    c->name, what, strerror(-r));
		if (r < 0)
			return fail(err, errlen, r, "vip %s: opening the socket for %s: %s",
				    c->name, what, strerror(-r));
	}
	return 0;
}

static int open_netlink(struct vipset *s, char *err, size_t errlen)
{
	const char *first = s->vips[0].cfg.name; /* only called with VIPs */
	int r = vip_nl_open(&s->nl);

	if (r < 0)
		return fail(err, errlen, r, "vip: opening a netlink route socket: %s",
			    strerror(-r));
	r = vip_check_admin(s->nl);
	if (r < 0)
		return fail(err, errlen, r, "vip %s: adding addresses needs CAP_NET_ADMIN: %s",
			    first, strerror(-r));
	r = linkwatch_new(s->loop, on_watch, s, &s->watch);
	if (r < 0)
		return fail(err, errlen, r, "vip: opening the netlink monitor socket: %s",
			    strerror(-r));
	return 0;
}

/* --- failed releases: retried with backoff until they work or the node leads again ------------ */

/* 100 ms doubling to 5 s, the delay before retry number `attempt` (0-based). */
uint64_t vipset_release_backoff_ms(unsigned attempt)
{
	uint64_t d = VIPSET_RELEASE_RETRY_MS << (attempt < 6 ? attempt : 6);

	return d < VIPSET_RELEASE_RETRY_MAX_MS ? d : VIPSET_RELEASE_RETRY_MAX_MS;
}

static void release_schedule(struct vipset *s)
{
	loop_timer_arm(s->release_timer, vipset_release_backoff_ms(s->release_attempt));
	s->release_attempt++;
}

/* A delete of v failed: count it, and make sure a retry is scheduled. */
static void release_failed(struct vipset *s, struct vs_vip *v)
{
	bool scheduled = false;

	s->release_failures++;
	for (size_t i = 0; i < s->n; i++)
		scheduled = scheduled || s->vips[i].release_pending;
	v->release_pending = true;
	if (!scheduled) /* else the retry of the others takes this one along */
		release_schedule(s);
}

static void release_stop(struct vipset *s)
{
	for (size_t i = 0; i < s->n; i++)
		s->vips[i].release_pending = false;
	s->release_attempt = 0;
	loop_timer_disarm(s->release_timer);
}

static void release_fired(void *arg)
{
	struct vipset *s = arg;
	bool left = false;

	if (s->taken) { /* leading again: the VIPs stay */
		release_stop(s);
		return;
	}
	for (size_t i = 0; i < s->n; i++) {
		struct vs_vip *v = &s->vips[i];
		char a[ADDR_STRLEN];
		int plen = v->cfg.prefixlen;

		if (!v->release_pending)
			continue;
		if (remove_vip(s, v, &plen) < 0) {
			s->release_failures++;
			left = true;
			continue;
		}
		v->release_pending = false;
		log_notice("vip %s: %s/%d released from %s on retry %u", v->cfg.name,
			   addr_str(&v->cfg.addr, a, sizeof(a)), plen, v->cfg.interface,
			   s->release_attempt);
	}
	if (left)
		release_schedule(s);
	else
		s->release_attempt = 0;
}

static int make_timers(struct vipset *s, char *err, size_t errlen)
{
	s->fault_timer = loop_timer_new(s->loop, fault_fired, s);
	s->release_timer = s->fault_timer ? loop_timer_new(s->loop, release_fired, s) : NULL;
	if (!s->release_timer)
		return fail(err, errlen, -errno, "vip: creating a timer: %s", strerror(errno));
	for (size_t i = 0; i < s->n; i++) {
		s->vips[i].timer = loop_timer_new(s->loop, ann_fired, &s->vips[i]);
		if (!s->vips[i].timer)
			return fail(err, errlen, -errno, "vip: creating a timer: %s",
				    strerror(errno));
	}
	return 0;
}

struct vipset *vipset_new(struct loop *l, const struct cfg_vip *vips, size_t n, vipset_fault_cb cb,
			  void *arg, char *err, size_t errlen)
{
	struct vipset *s = calloc(1, sizeof(*s) + n * sizeof(s->vips[0]));
	int r;

	if (!s) {
		fail(err, errlen, -ENOMEM, "vip: out of memory");
		return NULL;
	}
	s->loop = l;
	s->cb = cb;
	s->arg = arg;
	s->n = n;
	for (size_t i = 0; i < n; i++) {
		s->vips[i].set = s;
		s->vips[i].cfg = vips[i];
	}
	/* No VIPs: nothing to open, and no capability needed. The watch opens before the state
	 * is read, so no change falls between the two. */
	r = n ? open_netlink(s, err, errlen) : 0;
	for (size_t i = 0; r == 0 && i < n; i++)
		r = check_vip(s, &s->vips[i], err, errlen);
	if (r == 0 && n)
		r = open_announcer(s, err, errlen);
	if (r == 0)
		r = make_timers(s, err, errlen);
	if (r < 0) {
		vipset_free(s);
		return NULL;
	}
	fault_check(s); /* an interface already down: on_fault(true) from the loop */
	return s;
}

void vipset_free(struct vipset *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		loop_timer_free(s->vips[i].timer);
	loop_timer_free(s->fault_timer);
	loop_timer_free(s->release_timer);
	linkwatch_free(s->watch);
	garp_free(s->garp);
	vip_nl_close(s->nl);
	free(s);
}

/* --- the daemon's calls ----------------------------------------------------------------------- */

int vipset_take(struct vipset *s)
{
	int first = 0;

	s->taken = true;
	release_stop(s);
	for (size_t i = 0; i < s->n; i++) {
		struct vs_vip *v = &s->vips[i];
		char buf[ADDR_STRLEN];
		int r;

		link_refresh(s, v); /* fresh index and MAC; logs itself */
		if (v->link.ifindex <= 0) {
			log_err("%s: vip %s: interface %s does not exist", __func__, v->cfg.name,
				v->cfg.interface);
			first = first ? first : -ENODEV;
			continue;
		}
		r = vip_addr_add(s->nl, v->link.ifindex, &v->cfg.addr, v->cfg.prefixlen);
		if (r < 0) {
			log_err("%s: vip %s: adding %s to %s failed: %s", __func__, v->cfg.name,
				vip_text(v, buf, sizeof(buf)), v->cfg.interface, strerror(-r));
			first = first ? first : r;
			continue;
		}
		v->present = true;
		log_notice("vip %s: added %s to %s", v->cfg.name, vip_text(v, buf, sizeof(buf)),
			   v->cfg.interface);
		ann_start(v);
	}
	return first;
}

int vipset_release(struct vipset *s)
{
	int first = 0;

	s->taken = false;
	for (size_t i = 0; i < s->n; i++) {
		struct vs_vip *v = &s->vips[i];
		char a[ADDR_STRLEN];
		int plen = v->cfg.prefixlen;
		int r;

		ann_stop(v);
		r = remove_vip(s, v, &plen);
		if (r < 0)
			release_failed(s, v);
		if (r < 0)
			first = first ? first : r;
		else if (r > 0)
			log_notice("vip %s: removed %s/%d from %s", v->cfg.name,
				   addr_str(&v->cfg.addr, a, sizeof(a)), plen, v->cfg.interface);
	}
	return first;
}

void vipset_reannounce(struct vipset *s)
{
	if (!s->taken)
		return;
	for (size_t i = 0; i < s->n; i++)
		ann_start(&s->vips[i]);
}

int vipset_remove_leftovers(struct vipset *s)
{
	int first = 0;

	if (s->taken)
		return -EBUSY;
	for (size_t i = 0; i < s->n; i++) {
		struct vs_vip *v = &s->vips[i];
		char a[ADDR_STRLEN];
		int plen = v->cfg.prefixlen;
		int r = remove_vip(s, v, &plen);

		if (r < 0)
			release_failed(s, v);
		if (r < 0)
			first = first ? first : r;
		else if (r > 0)
			log_notice("vip %s: removed leftover %s/%d from %s (this node is not the "
				   "leader)",
				   v->cfg.name, addr_str(&v->cfg.addr, a, sizeof(a)), plen,
				   v->cfg.interface);
	}
	return first;
}

size_t vipset_count(const struct vipset *s)
{
	return s->n;
}

bool vipset_held(const struct vipset *s, size_t i)
{
	return i < s->n && s->vips[i].present;
}

const struct cfg_vip *vipset_vip(const struct vipset *s, size_t i)
{
	return i < s->n ? &s->vips[i].cfg : NULL;
}

uint64_t vipset_announcements(const struct vipset *s)
{
	return s->announcements;
}

uint64_t vipset_release_failures(const struct vipset *s)
{
	return s->release_failures;
}

bool vipset_taken(const struct vipset *s)
{
	return s->taken;
}
