/* SPDX-License-Identifier: MIT */
/* replay.h: per-peer replay protection by (incarnation, sequence). */
#ifndef KCW_REPLAY_H
#define KCW_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A node's incarnation grows with each start: it is a counter kept in the node's state
 * file (nodestate.h), or, without a usable state file, (wall-clock milliseconds << 16 |
 * 16 random bits). Within one incarnation the sequence must grow strictly: a replayed,
 * duplicated or reordered datagram is dropped, and so is an older incarnation.
 *
 * A node silent for the forget time (dead-after x interval) is forgotten: its next
 * datagram is taken whatever its incarnation, so a node whose incarnation went backwards
 * (state file lost, clock stepped back) is heard again once it was dead long enough.
 */
struct replay_state {
	bool seen;
	uint64_t incarnation;
	uint64_t seq;
	uint64_t last_ms; /* when the last datagram was accepted (replay_admit's clock) */
};

enum replay_verdict {
	REPLAY_OK = 0,         /* accepted; state updated */
	REPLAY_OLD_SEQ,        /* same incarnation, seq not above the last one */
	REPLAY_OLD_INCARNATION /* incarnation below the last one seen */
};

/* Never forgets: the check alone. */
enum replay_verdict replay_check(struct replay_state *st, uint64_t incarnation, uint64_t seq);
/*
 * The check at now_ms: a state whose last accepted datagram is forget_ms or more ago is
 * forgotten first (forget_ms 0: never). *went_back (may be NULL) is set when a forgotten
 * state let a lower incarnation than the last one in.
 */
enum replay_verdict replay_admit(struct replay_state *st, uint64_t incarnation, uint64_t seq,
				 uint64_t now_ms, uint64_t forget_ms, bool *went_back);
uint64_t replay_make_incarnation(uint64_t realtime_ms, uint16_t random16);

#endif
