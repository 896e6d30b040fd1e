/* SPDX-License-Identifier: MIT */
/* hooktest.h: kcwatchctl hook test: one hook run now, its output captured, the result as JSON. */
#ifndef KCW_HOOKTEST_H
#define KCW_HOOKTEST_H

#include <stddef.h>

#include "hooks.h"
#include "loop.h"

struct json_object;
struct hooktest;

#define HOOKTEST_OUTPUT_MAX 8192 /* bytes of output kept; the rest is counted as cut */

/* result: {"event", "program", "values": {...}, "exit_status" (null when killed),
 * "signal" (null when it exited), "timed_out", "duration_ms", "output",
 * "output_truncated"}; the callee owns it. The test may be freed from inside the call. */
typedef void (*hooktest_done_cb)(void *arg, struct json_object *result);

/*
 * Runs the [hooks] program for ev with info's values (hooks_spawn_test) and collects its
 * output from a pipe inside the loop; after HOOKS_TIMEOUT_MS its process group gets SIGTERM,
 * HOOKS_KILL_GRACE_MS later SIGKILL. cb runs once, from the loop, when it has exited. NULL
 * with err filled (no program for ev, cannot run it).
 */
struct hooktest *hooktest_start(struct loop *l, const struct hooks *h, enum hook_event ev,
				const struct hook_info *info, hooktest_done_cb cb, void *arg,
				char *err, size_t errlen);
/* Kills a test still running (its group, SIGKILL), reaps it and frees; NULL is fine. */
void hooktest_free(struct hooktest *t);

#endif
