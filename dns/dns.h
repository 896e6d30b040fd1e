/* SPDX-License-Identifier: MIT */
/* dns.h: the DNS updater: points NAME at the leader's target via RFC 2136, fenced by term. */
#ifndef KCW_DNS_H
#define KCW_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct cfg_dns;
struct kcw_addr;
struct json_object;
struct dns_updater;

/*
 * Everything runs on the daemon's loop: one non-blocking UDP exchange with
 * the server at a time, TSIG-signed, answers verified. A DNS failure never
 * blocks anything else: the updater retries with capped exponential backoff
 * (250 ms doubling to 5 s, with jitter) and reports through the status.
 *
 * Leader (dns_set_leader(true)): with fence = yes it first reads the fence
 * TXT _kcwatch.<name>, then sends one update replacing the A and AAAA RRsets
 * and the fence (prerequisite: the fence as read). It renews the fence every
 * fence-renew and re-queries the name every ttl, updating again when named
 * serves something else. A fence term above ours: cb(arg, true, fence_term)
 * (stale: release the VIPs and leave leadership; the updater stops writing at
 * once). It keeps re-reading; once the fence stayed unchanged for
 * 3 x fence-renew (or fell to our term or below) cb(arg, false, fence_term):
 * the node may lead again with a term above fence_term.
 * With fence = no: no prerequisite and no TXT, no fence reads.
 *
 * Targets: v4 and/or v6; the RRset of a family without target is deleted.
 * No target at all: the addresses are left alone (only the fence is kept).
 *
 * The callback runs from inside the loop; it may call dns_set_leader() and
 * dns_set_target(), but not dns_free().
 */
typedef void (*dns_fence_cb)(void *arg, bool fenced, uint64_t fence_term, const char *holder);

/* Reads the TSIG key file (relative paths are taken from config_dir; an empty
 * tsig-key-file means unsigned messages). NULL with err on failure. */
struct dns_updater *dns_new(struct loop *l, const struct cfg_dns *cfg, const char *config_dir,
			    dns_fence_cb cb, void *arg, char *err, size_t errlen);
void dns_free(struct dns_updater *d);

/* Becoming leader (term, node = this node's name): read the fence, then update.
 * Not leader: stop writing (an exchange in flight is abandoned). */
void dns_set_leader(struct dns_updater *d, bool leader, uint64_t term, const char *node);
/* The A and/or AAAA target (NULL = none); a change while leader triggers an update. */
void dns_set_target(struct dns_updater *d, const struct kcw_addr *v4, const struct kcw_addr *v6);

/* Adds "dns": {name, target, served, last_result, last_update_ms_ago (null = never),
 * fence_term (null = no fence read), fenced, updates: {ok, prereq, tsig, notauth,
 * refused, servfail, other, timeout, network}} to root. */
void dns_status_json(const struct dns_updater *d, struct json_object *root);

#define DNS_RESULTS 9 /* = DNSR_COUNT in dnsmsg.h */

struct dns_counters {
	uint64_t updates[DNS_RESULTS]; /* updates sent, by result (index: dns_result_name) */
	uint64_t reads;		       /* fence reads answered */
	uint64_t queries;	       /* reconcile queries answered */
	uint64_t stale;		       /* times this node found itself stale */
	uint64_t invalid;	       /* fence reads with a record that does not parse */
	uint64_t implausible;	       /* fence reads with a term > own + 1,000,000 */
};

void dns_get_counters(const struct dns_updater *d, struct dns_counters *out);
/* "ok", "prereq", "tsig", "notauth", "refused", "servfail", "other", "timeout", "network". */
const char *dns_result_name(unsigned idx);
/* The last outcome as text (also in the status). */
const char *dns_last_result(const struct dns_updater *d);
/* True while this node is fenced (stale, waiting for the fence to go quiet). */
bool dns_fenced(const struct dns_updater *d);
/* loop_now_ms() of the last successful update, 0 before the first. */
uint64_t dns_last_success_ms(const struct dns_updater *d);

#endif
