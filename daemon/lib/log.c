/* SPDX-License-Identifier: MIT */
/* log.c: leveled logging to stderr, journald-aware. */
#include "log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The only process-wide state: set once at start, read afterwards. */
static int log_debug_on;
static int log_journal;

bool log_stream_is_journal(const char *journal_stream, const struct stat *st)
{
	uintmax_t dev, ino;
	char end;

	if (!journal_stream || !st)
		return false;
	if (sscanf(journal_stream, "%ju:%ju%c", &dev, &ino, &end) != 2)
		return false;
	return dev == (uintmax_t)st->st_dev && ino == (uintmax_t)st->st_ino;
}

void log_init(int debug)
{
	struct stat st;

	log_debug_on = debug;
	/* systemd sets JOURNAL_STREAM for the unit's stderr; a shell started from the unit or
	 * a terminal inherits the variable but not the stream: compare the two. */
	log_journal =
	    fstat(STDERR_FILENO, &st) == 0 && log_stream_is_journal(getenv("JOURNAL_STREAM"), &st);
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
	case LOG_LVL_DEBUG:
	default:
		return "debug";
	}
}

static void emit(enum log_level lvl, const char *line)
{
	struct timespec ts;
	struct tm tm;

	if (log_journal) {
		fprintf(stderr, "<%d>%s\n", (int)lvl, line);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%02d:%02d:%02d.%03ld kcwatchd[%d] %s: %s\n", tm.tm_hour, tm.tm_min,
		tm.tm_sec, ts.tv_nsec / 1000000, (int)getpid(), level_name(lvl), line);
}

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	emit(lvl, line);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

void log_assert_failed(const char *cond, const char *file, int line, const char *func)
{
	log_msg(LOG_LVL_ERR, "assertion failed: %s (%s:%d, %s)", cond, file, line, func);
	abort();
}

void log_text(enum log_level lvl, const char *prefix, const char *text)
{
	const char *s = text;

	while (s && *s) {
		size_t n = strcspn(s, "\n");
		char *line = malloc(strlen(prefix) + n + 1);

		if (line) {
			memcpy(line, prefix, strlen(prefix));
			memcpy(line + strlen(prefix), s, n);
			line[strlen(prefix) + n] = '\0';
			emit(lvl, line);
			free(line);
		}
		s += n;
		if (*s == '\n')
			s++;
	}
}
