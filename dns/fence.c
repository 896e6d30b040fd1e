/* SPDX-License-Identifier: MIT */
/* fence.c: the DNS fence lease: parse/format the value and decide write/stale/unfenced. */
#include "fence.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

bool fence_node_valid(const char *node)
{
	size_t n = strlen(node);

	if (n == 0 || n >= FENCE_NODE_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = node[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* Reads "KEY=DIGITS" at *p (no sign, no leading zero, fits uint64); advances *p. */
static int parse_num(const char **p, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);
	const char *s = *p;
	uint64_t v = 0;

	if (strncmp(s, key, klen) != 0 || s[klen] != '=')
		return -EINVAL;
	s += klen + 1;
	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	*p = s;
	return 0;
}

int fence_parse(const char *text, struct fence_value *out)
{
	struct fence_value v = {0};
	const char *p = text, *end;
	size_t n;

	if (parse_num(&p, "term", &v.term) < 0 || v.term > FENCE_TERM_MAX || *p++ != ' ')
		return -EINVAL;
	if (strncmp(p, "node=", 5) != 0)
		return -EINVAL;
	p += 5;
	end = strchr(p, ' ');
	if (!end)
		return -EINVAL;
	n = (size_t)(end - p);
	if (n == 0 || n >= sizeof(v.node))
		return -EINVAL;
	memcpy(v.node, p, n);
	if (!fence_node_valid(v.node))
		return -EINVAL;
	p = end + 1;
	if (parse_num(&p, "seq", &v.seq) < 0 || *p != '\0')
		return -EINVAL;
	*out = v;
	return 0;
}

static int claim_cmp(uint64_t at, const char *an, uint64_t bt, const char *bn)
{
	if (at != bt)
		return at < bt ? -1 : 1;
	return strcmp(an, bn);
}

int fence_cmp(const struct fence_value *v, uint64_t term, const char *node)
{
	return claim_cmp(v->term, v->node, term, node);
}

int fence_format(const struct fence_value *v, char *buf, size_t len)
{
	int n;

	if (!fence_node_valid(v->node))
		return -EINVAL;
	n = snprintf(buf, len, "term=%" PRIu64 " node=%s seq=%" PRIu64, v->term, v->node, v->seq);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}

void fence_init(struct fence_state *st, uint32_t renew_ms)
{
	memset(st, 0, sizeof(*st));
	st->renew_ms = renew_ms;
}

void fence_lead(struct fence_state *st, uint64_t term, const char *node)
{
	st->leading = true;
	st->own_term = term;
	snprintf(st->own_node, sizeof(st->own_node), "%s", node);
	st->known = false;
	if (st->stale && claim_cmp(term, st->own_node, st->stale_term, st->stale_node) > 0) {
		st->stale = false; /* the election already chose a term above the fence */
		st->seen[0] = '\0';
	}
}

void fence_resign(struct fence_state *st)
{
	st->leading = false;
	st->known = false;
}

/* Joins the record texts with '\n' so two reads can be compared. */
static void join_texts(const char *const *texts, size_t n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++) {
		int w = snprintf(buf + off, len - off, "%s%s", i ? "\n" : "", texts[i]);

		if (w < 0)
			break;
		off += (size_t)w;
	}
}

static bool implausible(const struct fence_state *st, uint64_t term)
{
	return term > st->own_term && term - st->own_term > FENCE_IMPLAUSIBLE_GAP;
}

/* Records what the RRset holds: existence, garbage, implausible terms, the highest claim
 * by (term, node, seq). A leader that found an implausible term must read again before
 * writing (known stays false). */
static void take_rrset(struct fence_state *st, const char *const *texts, size_t n)
{
	struct fence_value best = {0}, v;
	int c;

	st->exists = n > 0;
	st->garbage = false;
	st->implausible = false;
	st->implausible_term = 0;
	for (size_t i = 0; i < n; i++) {
		if (fence_parse(texts[i], &v) < 0) {
			st->garbage = true;
		} else if (implausible(st, v.term)) {
			st->implausible = true;
			if (v.term > st->implausible_term)
				st->implausible_term = v.term;
		} else if ((c = fence_cmp(&v, best.term, best.node)) > 0 ||
			   (c == 0 && v.seq >= best.seq)) {
			best = v;
		}
	}
	st->cur = best;
	st->known = !st->implausible;
}

static void set_stale_claim(struct fence_state *st)
{
	if (fence_cmp(&st->cur, st->stale_term, st->stale_node) > 0) {
		st->stale_term = st->cur.term;
		snprintf(st->stale_node, sizeof(st->stale_node), "%s", st->cur.node);
	}
}

static enum fence_verdict stale_read(struct fence_state *st, const char *seen, uint64_t now_ms)
{
	bool higher = fence_cmp(&st->cur, st->stale_term, st->stale_node) > 0;

	if (strcmp(seen, st->seen) != 0) {
		snprintf(st->seen, sizeof(st->seen), "%s", seen);
		st->seen_since_ms = now_ms;
		set_stale_claim(st);
		return higher ? FENCE_STALE : FENCE_WAIT;
	}
	if (now_ms - st->seen_since_ms >= (uint64_t)FENCE_QUIET_RENEWALS * st->renew_ms) {
		st->stale = false;
		st->seen[0] = '\0';
		return FENCE_UNFENCED;
	}
	return FENCE_WAIT;
}

enum fence_verdict fence_on_read(struct fence_state *st, const char *const *texts, size_t n,
				 uint64_t now_ms)
{
	char seen[FENCE_SEEN_MAX];

	take_rrset(st, texts, n);
	join_texts(texts, n, seen, sizeof(seen));
	if (fence_cmp(&st->cur, st->own_term, st->own_node) > 0) {
		if (st->stale && !st->leading)
			return stale_read(st, seen, now_ms);
		if (!st->stale || strcmp(seen, st->seen) != 0) {
			snprintf(st->seen, sizeof(st->seen), "%s", seen);
			st->seen_since_ms = now_ms;
		}
		set_stale_claim(st);
		st->stale = true;
		st->leading = false;
		return FENCE_STALE;
	}
	if (st->stale) {
		/* the fence fell to our term or below: nobody newer holds it */
		st->stale = false;
		st->seen[0] = '\0';
		return FENCE_UNFENCED;
	}
	if (st->leading && st->implausible)
		return FENCE_IMPLAUSIBLE;
	return st->leading ? FENCE_WRITE : FENCE_WAIT;
}

void fence_next(const struct fence_state *st, struct fence_value *out)
{
	memset(out, 0, sizeof(*out));
	out->term = st->own_term;
	out->seq = st->cur.seq + 1;
	snprintf(out->node, sizeof(out->node), "%s", st->own_node);
}

void fence_on_written(struct fence_state *st, const struct fence_value *v)
{
	st->known = true;
	st->exists = true;
	st->garbage = false;
	st->implausible = false;
	st->cur = *v;
}

enum fence_verdict fence_on_prereq_failed(struct fence_state *st)
{
	st->known = false;
	return FENCE_REREAD;
}

uint64_t fence_quiet_at(const struct fence_state *st)
{
	if (!st->stale)
		return 0;
	return st->seen_since_ms + (uint64_t)FENCE_QUIET_RENEWALS * st->renew_ms;
}
