/* SPDX-License-Identifier: MIT */
/* replay.c: per-peer replay protection by (incarnation, sequence). */
#include "replay.h"

enum replay_verdict replay_check(struct replay_state *st, uint64_t incarnation, uint64_t seq)
{
	if (st->seen) {
		if (incarnation < st->incarnation)
			return REPLAY_OLD_INCARNATION;
		if (incarnation == st->incarnation && seq <= st->seq)
			return REPLAY_OLD_SEQ;
	}
	/* first datagram, a newer incarnation (its seq starts afresh) or a newer seq */
	st->seen = true;
	st->incarnation = incarnation;
	st->seq = seq;
	return REPLAY_OK;
}

enum replay_verdict replay_admit(struct replay_state *st, uint64_t incarnation, uint64_t seq,
				 uint64_t now_ms, uint64_t forget_ms, bool *went_back)
{
	bool stale = st->seen && forget_ms && now_ms - st->last_ms >= forget_ms;
	uint64_t before = st->incarnation;
	enum replay_verdict v;

	if (went_back)
		*went_back = false;
	if (stale)
		st->seen =
		    false; /* dead for a dead interval: whatever it sends next is a new run */
	v = replay_check(st, incarnation, seq);
	if (v == REPLAY_OK) {
		st->last_ms = now_ms;
		if (went_back)
			*went_back = stale && incarnation < before;
	}
	return v;
}

uint64_t replay_make_incarnation(uint64_t realtime_ms, uint16_t random16)
{
	return realtime_ms << 16 | random16;
}
