/* SPDX-License-Identifier: MIT */
/* fence.h: the DNS fence lease as pure logic (no I/O, the caller's monotonic clock). */
#ifndef KCW_FENCE_H
#define KCW_FENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The fence is the TXT RRset _kcwatch.<name> holding "term=N node=NAME seq=K".
 * Every update a leader sends carries the fence exactly as it last read (or
 * wrote) it as a prerequisite and replaces it with its own term and the next
 * seq: a compare-and-swap, so a stale leader can never overwrite a newer one.
 *
 *  - fence_lead(): the leader must read the fence before writing.
 *  - Claims are ordered totally by (term, node name), node names compared
 *    byte by byte (strcmp): "term=5 node=lb2" is above "term=5 node=lb1".
 *  - fence_on_read(): the highest claim in the RRset above ours (a higher
 *    term, or the same term of a node whose name sorts higher) -> FENCE_STALE
 *    (the caller reports it, steps down and keeps re-reading); otherwise
 *    FENCE_WRITE (leading) or FENCE_WAIT. Unparsable text (including a term
 *    above FENCE_TERM_MAX) counts as term 0: it is overwritten (the
 *    prerequisite still names it exactly).
 *  - A term more than FENCE_IMPLAUSIBLE_GAP above our own is no claim at all:
 *    it never makes us stale; a leader gets FENCE_IMPLAUSIBLE (report it, do
 *    not write, read again at the next renewal) until it is gone.
 *  - while stale, once the fence read back stayed the same text for
 *    3 x renew (first seen at t0, read again at t >= t0 + 3 x renew) or fell to
 *    our term or below -> FENCE_UNFENCED: the node may lead again with a term
 *    above the fence's. A changed fence restarts the quiet period.
 *  - fence_on_prereq_failed(): the fence changed under us -> FENCE_REREAD;
 *    the next read decides (write again with the value read, or stale).
 */

#define FENCE_NODE_MAX	     64
#define FENCE_TEXT_MAX	     160 /* one formatted value with the NUL */
#define FENCE_SEEN_MAX	     512 /* the whole RRset text kept to detect changes */
#define FENCE_QUIET_RENEWALS 3
/* Terms never wrap: above 2^53 (the last integer a JSON double holds exactly) is invalid. */
#define FENCE_TERM_MAX	      (1ULL << 53)
#define FENCE_IMPLAUSIBLE_GAP 1000000ULL

struct fence_value {
	uint64_t term;
	uint64_t seq;
	char node[FENCE_NODE_MAX];
};

/* "term=N node=NAME seq=K" (single spaces, that order, N <= FENCE_TERM_MAX). 0 or -EINVAL. */
int fence_parse(const char *text, struct fence_value *out);
/* Writes the text form; its length, or -EINVAL (bad node) / -ENOSPC. */
int fence_format(const struct fence_value *v, char *buf, size_t len);
/* NAME may appear in a fence: 1..63 of [A-Za-z0-9._-]. */
bool fence_node_valid(const char *node);
/* Orders claims by (term, node): <0, 0 or >0 as v is below, equal to or above (term, node). */
int fence_cmp(const struct fence_value *v, uint64_t term, const char *node);

enum fence_verdict {
	FENCE_WAIT = 0,	   /* nothing to do now */
	FENCE_WRITE,	   /* fence term <= ours: write with the fence as read as prerequisite */
	FENCE_STALE,	   /* fence term above ours (first seen, or a higher term): report it */
	FENCE_UNFENCED,	   /* was stale; fence quiet for 3 x renew or below our term */
	FENCE_REREAD,	   /* prerequisite failed: read again, then retry */
	FENCE_IMPLAUSIBLE, /* leading; a term > own + FENCE_IMPLAUSIBLE_GAP: report, no write */
};

struct fence_state {
	uint32_t renew_ms;
	uint64_t own_term;
	char own_node[FENCE_NODE_MAX];
	bool leading;
	/* the fence as last read or written */
	bool known;		   /* false: read before writing */
	bool exists;		   /* the RRset has at least one record */
	bool garbage;		   /* some record did not parse */
	bool implausible;	   /* some record had a term > own + FENCE_IMPLAUSIBLE_GAP */
	uint64_t implausible_term; /* the highest such term */
	struct fence_value cur;	   /* highest plausible claim that parsed (zero if none) */
	/* stale tracking */
	bool stale;
	uint64_t stale_term;
	char stale_node[FENCE_NODE_MAX]; /* with stale_term: the highest claim that fenced us */
	char seen[FENCE_SEEN_MAX];	 /* RRset text as last read while stale */
	uint64_t seen_since_ms;		 /* monotonic time that text was first read */
};

void fence_init(struct fence_state *st, uint32_t renew_ms);
/* Becoming leader with term: the fence must be read first. */
void fence_lead(struct fence_state *st, uint64_t term, const char *node);
/* Leadership lost; stale tracking goes on. */
void fence_resign(struct fence_state *st);

/* The fence RRset was read: texts[i] is the text of record i (n = 0: no fence). */
enum fence_verdict fence_on_read(struct fence_state *st, const char *const *texts, size_t n,
				 uint64_t now_ms);
/* The value to write next: own term and node, seq one above the fence as known. */
void fence_next(const struct fence_state *st, struct fence_value *out);
/* An update carrying v succeeded: the fence is now v. */
void fence_on_written(struct fence_state *st, const struct fence_value *v);
/* An update failed its prerequisite (YXRRSET/NXRRSET/...): FENCE_REREAD. */
enum fence_verdict fence_on_prereq_failed(struct fence_state *st);
/* While stale: the monotonic time from which an unchanged read unfences (0 if not stale). */
uint64_t fence_quiet_at(const struct fence_state *st);

#endif
