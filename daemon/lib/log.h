/* SPDX-License-Identifier: MIT */
/* log.h: leveled logging to stderr (journald reads the <N> priority prefix). */
#ifndef KCW_LOG_H
#define KCW_LOG_H

#include <stdarg.h>
#include <stdbool.h>

struct stat;

enum log_level {
	LOG_LVL_ERR = 3,
	LOG_LVL_WARN = 4,
	LOG_LVL_NOTICE = 5,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7
};

/* debug: also print LOG_LVL_DEBUG. The journal's "<N>" priority prefix is used only when
 * stderr is the journal's stream (JOURNAL_STREAM's "DEV:INODE" is stderr's), else each
 * message is a plain line with the time, the pid and the level. */
void log_init(int debug);
/* JOURNAL_STREAM's value ("DEV:INODE", may be NULL) names the file st describes. */
bool log_stream_is_journal(const char *journal_stream, const struct stat *st);
int log_debug_enabled(void);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Each line of text as one message, prefix in front, without a length limit. */
void log_text(enum log_level lvl, const char *prefix, const char *text);

#define log_err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)                                                                             \
	do {                                                                                       \
		if (log_debug_enabled())                                                           \
			log_msg(LOG_LVL_DEBUG, __VA_ARGS__);                                       \
	} while (0)

/*
 * KCW_ASSERT(cond): for programmer errors only, where the code would otherwise clamp or ignore
 * silently. Peer, client and network input is never asserted on: it is dropped and counted.
 * A false cond logs "assertion failed: COND (file:line, function)" at error level and aborts;
 * systemd restarts the daemon (Restart=on-failure) and the unit's ExecStopPost releases the
 * VIPs. Not for the pure cores: log.c is not in libkcw_core.a.
 */
#define KCW_ASSERT(cond)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			log_assert_failed(#cond, __FILE__, __LINE__, __func__);                    \
	} while (0)
_Noreturn void log_assert_failed(const char *cond, const char *file, int line, const char *func);

#endif
