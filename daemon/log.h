/* SPDX-License-Identifier: MIT */
/* log.h: leveled logging to stderr (journald reads the <N> priority prefix). */
#ifndef KCW_LOG_H
#define KCW_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERR = 3, LOG_LVL_WARN = 4, LOG_LVL_NOTICE = 5, LOG_LVL_INFO = 6,
		 LOG_LVL_DEBUG = 7 };

/* debug: also print LOG_LVL_DEBUG; the journal prefix is used when stderr is
 * connected to journald (JOURNAL_STREAM set), else a timestamped plain line. */
void log_init(int debug);
int log_debug_enabled(void);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level lvl, const char *fmt, va_list ap);

#define log_err(...)    log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)   log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...)   log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)                                                                             \
	do {                                                                                       \
		if (log_debug_enabled())                                                           \
			log_msg(LOG_LVL_DEBUG, __VA_ARGS__);                                       \
	} while (0)

#endif
