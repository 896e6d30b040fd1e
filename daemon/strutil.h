/* SPDX-License-Identifier: MIT */
/* strutil.h: small string helpers shared by the parsers and the message builders. */
#ifndef KCW_STRUTIL_H
#define KCW_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Appends to the NUL-terminated buf of size len, truncating silently (messages, not data). */
void str_append(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/*
 * Copies src (NULL counts as "") into dst of size len (> 0), truncating; returns false when
 * it had to truncate. No printf machinery: heartbeats copy names with it on every message.
 */
bool str_copy(char *dst, size_t len, const char *src);
/* Strips leading and trailing white space in place; returns the first kept character. */
char *str_trim(char *s);

#endif
