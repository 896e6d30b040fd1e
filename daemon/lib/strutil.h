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
/*
 * Makes outside text inert (backend JSON and bodies, HAProxy messages, peer strings) before
 * it reaches a log line, a status field or a terminal: n bytes of src (NULL counts as "")
 * become printable ASCII in dst of size len (> 0). Bytes 0x20..0x7e are kept as they are,
 * newline, carriage return and tab become "\n", "\r", "\t", every other byte (control
 * characters, DEL, NUL, anything above 0x7e) "\xHH". An escape is never cut in half.
 * Idempotent: its own output comes back unchanged. Returns false when it had to truncate.
 */
bool str_escape(char *dst, size_t len, const char *src, size_t n);
/* The same in place on the NUL-terminated s held in a buffer of size len (> 0); the bytes
 * of s behind the escaped text are zeroed. */
bool str_escape_inplace(char *s, size_t len);
/* Strips leading and trailing white space in place; returns the first kept character. */
char *str_trim(char *s);

#endif
