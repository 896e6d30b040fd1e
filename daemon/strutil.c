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
