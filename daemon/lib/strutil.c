/* SPDX-License-Identifier: MIT */
/* strutil.c: small string helpers shared by the parsers and the message builders. */
#include "strutil.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void str_append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

bool str_copy(char *dst, size_t len, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	bool fits = n < len;

	if (!fits)
		n = len - 1;
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
	return fits;
}

/* Bytes one input byte takes once escaped. */
static size_t esc_len(unsigned char c)
{
	if (c >= 0x20 && c <= 0x7e)
		return 1;
	return c == '\n' || c == '\r' || c == '\t' ? 2 : 4;
}

static void esc_put(char *out, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";

	if (c >= 0x20 && c <= 0x7e) {
		out[0] = (char)c;
		return;
	}
	out[0] = '\\';
	if (c == '\n' || c == '\r' || c == '\t') {
		out[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		return;
	}
	out[1] = 'x';
	out[2] = hex[c >> 4];
	out[3] = hex[c & 0xf];
}

bool str_escape(char *dst, size_t len, const char *src, size_t n)
{
	size_t o = 0;

	if (!src)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];
		size_t k = esc_len(c);

		if (o + k >= len) {
			dst[o] = '\0';
			return false;
		}
		esc_put(dst + o, c);
		o += k;
	}
	dst[o] = '\0';
	return true;
}

/* Measures first, then writes from the end backwards: the escaped form of byte i starts at
 * or after i, so no byte is overwritten before it has been read. */
bool str_escape_inplace(char *s, size_t len)
{
	size_t n = strnlen(s, len), kept = 0, out = 0, end;
	bool fits = true;

	for (; kept < n; kept++) {
		size_t k = esc_len((unsigned char)s[kept]);

		if (out + k >= len) {
			fits = false;
			break;
		}
		out += k;
	}
	/* no raw byte stays behind the new end (a cut escape leaves the output shorter) */
	end = n < len ? n + 1 : len;
	if (end > out)
		memset(s + out, 0, end - out);
	else
		s[out] = '\0';
	while (kept > 0) {
		unsigned char c = (unsigned char)s[--kept];

		out -= esc_len(c);
		esc_put(s + out, c);
	}
	return fits;
}

char *str_trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}
