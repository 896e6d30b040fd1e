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

uint64_t replay_make_incarnation(uint64_t realtime_ms, uint16_t random16)
{
	return realtime_ms << 16 | random16;
}
