/* SPDX-License-Identifier: MIT */
/* replay.h: per-peer replay protection by (incarnation, sequence). */
#ifndef KCW_REPLAY_H
#define KCW_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A node picks its incarnation at start as (wall-clock milliseconds << 16 |
 * 16 random bits), so a restart (even within the same second) yields a larger
 * incarnation and a recorded
 * datagram of an older run is refused. Within one incarnation the sequence
 * must grow strictly: a replayed, duplicated or reordered datagram is dropped.
 */
struct replay_state {
	bool seen;
	uint64_t incarnation;
	uint64_t seq;
};

enum replay_verdict {
	REPLAY_OK = 0,         /* accepted; state updated */
	REPLAY_OLD_SEQ,        /* same incarnation, seq not above the last one */
	REPLAY_OLD_INCARNATION /* incarnation below the last one seen */
};

enum replay_verdict replay_check(struct replay_state *st, uint64_t incarnation, uint64_t seq);
uint64_t replay_make_incarnation(uint64_t realtime_ms, uint16_t random16);

#endif
