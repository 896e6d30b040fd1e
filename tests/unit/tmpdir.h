/* SPDX-License-Identifier: MIT */
/* tmpdir.h: where unit tests make scratch files: $TMPDIR, which tests/run.sh sets per run. */
#ifndef KCW_TESTS_TMPDIR_H
#define KCW_TESTS_TMPDIR_H

#include <stdlib.h>

static inline const char *test_tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	return t && *t ? t : "/tmp"; /* tmp-ok: the system default when TMPDIR is unset */
}

#endif
