/* SPDX-License-Identifier: MIT */
/* log.c: leveled logging to stderr, journald-aware. */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The only process-wide state: set once at start, read afterwards. */
static int log_debug_on;
static int log_journal;

void log_init(int debug)
{
	log_debug_on = debug;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

int log_debug_enabled(void)
{
	return log_debug_on;
}

static const char *level_name(enum log_level lvl)
{
	switch (lvl) {
	case LOG_LVL_ERR:
		return "error";
	case LOG_LVL_WARN:
		return "warning";
	case LOG_LVL_NOTICE:
		return "notice";
	case LOG_LVL_INFO:
		return "info";
	default:
		return "debug";
	}
}

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;

	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_journal) {
		fprintf(stderr, "<%d>%s\n", (int)lvl, line);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%02d:%02d:%02d.%03ld kcwatchd[%d] %s: %s\n", tm.tm_hour, tm.tm_min,
		tm.tm_sec, ts.tv_nsec / 1000000, (int)getpid(), level_name(lvl), line);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}
