/* SPDX-License-Identifier: MIT */
/* nodestate.h: the node's state file (incarnation counter, maintenance), written atomically. */
#ifndef KCW_NODESTATE_H
#define KCW_NODESTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NODESTATE_DEFAULT_DIR "/var/lib/kcwatch"

/*
 * <state-dir>/<node>.state, text, one "key=value" a line:
 *   incarnation=N      the incarnation of the last start (the next start uses N + 1)
 *   maintenance=on|off set by "kcwatchctl maintenance", kept across restarts
 * Lines starting with '#' are comments. Anything else makes the file corrupt.
 */
struct nodestate {
	uint64_t incarnation;
	bool maintenance;
};

/* "<dir>/<node>.state" into out; -ENAMETOOLONG when it does not fit. */
int nodestate_path(const char *dir, const char *node, char *out, size_t len);
/*
 * Reads the file: 0, -ENOENT when it does not exist, -EINVAL when it is corrupt (not a
 * regular file, unknown line, bad number, a key missing), another negative errno when it
 * cannot be read. why (starting with the path) says what was wrong.
 */
int nodestate_load(const char *dir, const char *node, struct nodestate *st, char *why,
		   size_t whylen);
/*
 * Replaces the file atomically: writes "<node>.state.tmp" in the same directory, fsyncs
 * it, renames it over the file and fsyncs the directory. 0 or a negative errno (why set).
 */
int nodestate_save(const char *dir, const char *node, const struct nodestate *st, char *why,
		   size_t whylen);
/* Parses the text of a state file (pure). 0 or -EINVAL with the reason in why. */
int nodestate_parse(const char *text, struct nodestate *st, char *why, size_t whylen);
/* The incarnation of this start: the stored one + 1 when there is one, else fallback. */
uint64_t nodestate_next_incarnation(const struct nodestate *prev, bool have_prev,
				    uint64_t fallback);

#endif
