/* SPDX-License-Identifier: MIT */
/* sockpath.c: where the status socket is when nothing names it (kcwatchd and kcwatchctl). */
#include "sockpath.h"

#include <stdio.h>
#include <string.h>

int sockpath_status_for(const char *ctl, char *out, size_t len)
{
	const char *base = strrchr(ctl, '/');
	size_t n = strlen(ctl), dir;
	int w;

	base = base ? base + 1 : ctl;
	dir = (size_t)(base - ctl);
	if (!strcmp(base, "kcwatchd.sock"))
		w = snprintf(out, len, "%.*sstatus.sock", (int)dir, ctl);
	else if (n - dir > 5 && !strcmp(ctl + n - 5, ".sock"))
		w = snprintf(out, len, "%.*s.status.sock", (int)(n - 5), ctl);
	else
		w = snprintf(out, len, "%s.status.sock", ctl);
	return w < 0 || (size_t)w >= len ? -1 : 0;
}
