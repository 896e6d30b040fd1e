/* SPDX-License-Identifier: MIT */
/* vipset.h: the VIP manager the daemon calls: take, release, watch and announce its VIPs. */
#ifndef KCW_VIPSET_H
#define KCW_VIPSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "loop.h"

struct vipset;

/* on_fault(arg, true) when a VIP interface goes down / is missing, (arg, false) when all are up
 * again. Always called from a loop timer of its own, never from inside a vipset_* call, so the
 * callback may call vipset_release() or even vipset_free(). When an interface is already down at
 * vipset_new(), on_fault(arg, true) follows from the loop right away. */
typedef void (*vipset_fault_cb)(void *arg, bool fault);

/* Validates every VIP (interface exists, address family matches); opens netlink + raw sockets;
 * registers the watch in the loop. On error returns NULL and writes a clear reason into err (e.g.
 * "vip keycloak: interface eth9 does not exist", "vip keycloak: adding addresses needs
 * CAP_NET_ADMIN: Operation not permitted"). The VIPs are copied. */
struct vipset *vipset_new(struct loop *l, const struct cfg_vip *vips, size_t n, vipset_fault_cb cb,
			  void *arg, char *err, size_t errlen);
/* Does NOT remove addresses. */
void vipset_free(struct vipset *s);

/* Adds all VIPs (IPv6 with IFA_F_NODAD, NLM_F_CREATE|NLM_F_REPLACE) then starts the announcement
 * burst per VIP: garp-count announcements garp-interval apart, a second burst garp-repeat-after
 * after the first started (0 = off), then one every garp-refresh (0 = off) while held. Every VIP is
 * tried; returns 0 or the first negative errno, and the VIPs that were added stay (the caller
 * releases). */
int vipset_take(struct vipset *s);
/* Stops announcements, deletes all VIPs synchronously (absent = fine); complete when it returns.
 * Works on a down link. 0 or the first negative errno (the others are still tried). A delete
 * that failed is counted and retried from the loop with backoff (vipset_release_backoff_ms)
 * until it works or vipset_take() is called (the node leads again); so are leftovers. */
int vipset_release(struct vipset *s);
/* A fresh burst now (after a healed partition); nothing when not taken. */
void vipset_reannounce(struct vipset *s);
/* At start on a non-leader: deletes configured VIPs found on the interfaces (whatever their
 * prefix length), logging each. -EBUSY while taken; else 0 or the first negative errno. */
int vipset_remove_leftovers(struct vipset *s);

size_t vipset_count(const struct vipset *s);
/* Currently on the interface per the netlink state we track. */
bool vipset_held(const struct vipset *s, size_t i);
const struct cfg_vip *vipset_vip(const struct vipset *s, size_t i);
/* Failed VIP deletes (first tries and retries), for metrics. */
uint64_t vipset_release_failures(const struct vipset *s);
#define VIPSET_RELEASE_RETRY_MS	    100u
#define VIPSET_RELEASE_RETRY_MAX_MS 5000u
/* The delay before release retry number attempt (0-based): 100 ms doubling to 5 s. */
uint64_t vipset_release_backoff_ms(unsigned attempt);
/* Total GARP/NA sent, for metrics. */
uint64_t vipset_announcements(const struct vipset *s);
/* Between vipset_take() and vipset_release(). */
bool vipset_taken(const struct vipset *s);
/* A VIP interface is down or missing now (what on_fault reports, without the loop's delay). */
bool vipset_faulted(const struct vipset *s);

#endif
