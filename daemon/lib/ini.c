/* SPDX-License-Identifier: MIT */
/* ini.c: a small generic INI reader with typed, table-driven key handling. */
#include "ini.h"
#include "strutil.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ini_error(const struct ini_ctx *c, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!c->err || !c->errlen)
		return -EINVAL;
	if (line > 0)
		n = snprintf(c->err, c->errlen, "%s:%d: ", c->path, line);
	else
		n = snprintf(c->err, c->errlen, "%s: ", c->path);
	if (n < 0 || (size_t)n >= c->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Cuts a "#" or ";" comment that follows whitespace, then trims. */
static char *strip_comment(char *v)
{
	char *p;

	for (p = v; *p; p++) {
		if ((*p == '#' || *p == ';') && p > v && isspace((unsigned char)p[-1])) {
			*p = '\0';
			break;
		}
	}
	return str_trim(v);
}

static int add_entry(const struct ini_ctx *c, struct ini_file *f, enum ini_kind kind, int line,
		     const char *key, const char *value)
{
	struct ini_entry *e;

	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 32;

		e = realloc(f->e, cap * sizeof(*e));
		if (!e)
			goto oom;
		f->e = e;
		f->cap = cap;
	}
	e = &f->e[f->n];
	e->kind = kind;
	e->line = line;
	e->key = strdup(key);
	e->value = value ? strdup(value) : NULL;
	if (!e->key || (value && !e->value)) {
		free(e->key);
		free(e->value);
		goto oom;
	}
	f->n++;
	return 0;
oom:
	ini_error(c, line, "out of memory");
	return -ENOMEM;
}

static int parse_header(const struct ini_ctx *c, struct ini_file *f, char *s, int line)
{
	char *close = strchr(s, ']');
	char *inner, *rest, *name = NULL;

	if (!close)
		return ini_error(c, line, "section header '%.64s' has no closing ']'", s);
	rest = str_trim(close + 1);
	if (*rest && *rest != '#' && *rest != ';')
		return ini_error(c, line, "unexpected text after section header: '%.64s'", rest);
	*close = '\0';
	inner = str_trim(s + 1);
	if (!*inner)
		return ini_error(c, line, "empty section header []");
	for (rest = inner; *rest && !isspace((unsigned char)*rest); rest++)
		;
	if (*rest) {
		*rest = '\0';
		name = str_trim(rest + 1);
	}
	return add_entry(c, f, INI_SECTION, line, inner, name);
}

static int parse_line(const struct ini_ctx *c, struct ini_file *f, char *s, int line)
{
	char *eq, *key;

	s = str_trim(s);
	if (!*s || *s == '#' || *s == ';')
		return 0;
	if (*s == '[')
		return parse_header(c, f, s, line);
	eq = strchr(s, '=');
	if (!eq)
		return ini_error(c, line, "expected 'key = value' or '[section]', got '%.64s'", s);
	*eq = '\0';
	key = str_trim(s);
	if (!*key)
		return ini_error(c, line, "missing key before '='");
	return add_entry(c, f, INI_KEY, line, key, strip_comment(eq + 1));
}

static int set_dir(struct ini_ctx *c)
{
	char tmp[PATH_MAX];

	if (strlen(c->path) >= sizeof(tmp))
		return ini_error(c, 0, "path is too long");
	strcpy(tmp, c->path);
	if (!realpath(dirname(tmp), c->dir)) {
		int e = errno;

		ini_error(c, 0, "cannot resolve its directory: %s", strerror(e));
		return -e;
	}
	return 0;
}

static int read_lines(const struct ini_ctx *c, FILE *fp, struct ini_file *f)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	int line = 0, rc = 0;

	errno = 0;
	while (!rc && (n = getline(&buf, &cap, fp)) >= 0) {
		line++;
		if ((size_t)n != strlen(buf)) {
			rc = ini_error(c, line, "line contains a NUL byte");
			break;
		}
		if (n > 0 && buf[n - 1] == '\n')
			buf[--n] = '\0';
		if (n > INI_LINE_MAX)
			rc = ini_error(c, line, "line is too long (max %d characters)",
				       INI_LINE_MAX);
		else
			rc = parse_line(c, f, buf, line);
	}
	if (!rc && ferror(fp)) {
		rc = errno ? -errno : -EIO;
		ini_error(c, 0, "%s", strerror(-rc));
	}
	free(buf);
	return rc;
}

int ini_read(struct ini_ctx *c, struct ini_file *f)
{
	FILE *fp;
	int rc;

	fp = fopen(c->path, "re");
	if (!fp) {
		rc = -errno;
		ini_error(c, 0, "%s", strerror(-rc));
		return rc;
	}
	rc = set_dir(c);
	if (!rc)
		rc = read_lines(c, fp, f);
	fclose(fp);
	if (rc)
		ini_free(f);
	return rc;
}

void ini_free(struct ini_file *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->e[i].key);
		free(f->e[i].value);
	}
	free(f->e);
	memset(f, 0, sizeof(*f));
}

const char *ini_label(const struct ini_entry *hdr, char *buf, size_t len)
{
	if (hdr->value)
		snprintf(buf, len, "[%s %s]", hdr->key, hdr->value);
	else
		snprintf(buf, len, "[%s]", hdr->key);
	return buf;
}

void ini_section_at(const struct ini_file *f, size_t i, struct ini_section *s)
{
	size_t j;

	for (j = i + 1; j < f->n && f->e[j].kind == INI_KEY; j++)
		;
	s->hdr = &f->e[i];
	s->keys = &f->e[i + 1];
	s->n = j - i - 1;
}

int ini_find_section(const struct ini_file *f, const char *type, const char *name,
		     struct ini_section *out)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct ini_entry *e = &f->e[i];

		if (e->kind != INI_SECTION || strcmp(e->key, type))
			continue;
		if (name && (!e->value || strcmp(e->value, name)))
			continue;
		ini_section_at(f, i, out);
		return 0;
	}
	return -ENOENT;
}

const struct ini_entry *ini_find_key(const struct ini_section *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->keys[i].key, key))
			return &s->keys[i];
	return NULL;
}

int ini_parse_ms(const char *v, unsigned long long *ms)
{
	unsigned long long n = 0, mult;
	const char *p = v;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (n > (ULLONG_MAX - 9) / 10)
			return -ERANGE;
		n = n * 10 + (unsigned)(*p - '0');
	}
	if (!*p) {
		*ms = 0;
		return n == 0 ? 0 : -EDOM;
	}
	if (!strcmp(p, "ms"))
		mult = 1;
	else if (!strcmp(p, "s"))
		mult = 1000;
	else if (!strcmp(p, "m"))
		mult = 60000;
	else
		return -EINVAL;
	if (n > ULLONG_MAX / mult)
		return -ERANGE;
	*ms = n * mult;
	return 0;
}

const char *ini_fmt_ms(unsigned long long ms, char *buf, size_t len)
{
	if (ms == 0)
		snprintf(buf, len, "0");
	else if (ms > 60000 && ms % 60000 == 0)
		snprintf(buf, len, "%llum", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%llus", ms / 1000);
	else
		snprintf(buf, len, "%llums", ms);
	return buf;
}

int ini_resolve_path(const struct ini_ctx *c, const char *p, char *out, size_t len)
{
	int n;

	if (p[0] == '/')
		n = snprintf(out, len, "%s", p);
	else
		n = snprintf(out, len, "%s/%s", c->dir, p);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* --- typed values ----------------------------------------------------------- */

static int set_str(const struct ini_ctx *c, const struct ini_key *k, const struct ini_entry *e,
		   char *dst)
{
	const char *v = e->value;

	if (k->type == INI_T_ABSPATH && v[0] != '/')
		return ini_error(c, e->line, "%s: '%s' must be an absolute path", k->name, v);
	if (k->type == INI_T_PATH) {
		if (ini_resolve_path(c, v, dst, k->size) < 0)
			return ini_error(c, e->line, "%s: path is too long (max %zu characters)",
					 k->name, k->size - 1);
		return 0;
	}
	if (strlen(v) >= k->size)
		return ini_error(c, e->line, "%s: '%.64s' is too long (max %zu characters)",
				 k->name, v, k->size - 1);
	strcpy(dst, v);
	return 0;
}

static int set_int(const struct ini_ctx *c, const struct ini_key *k, const struct ini_entry *e,
		   void *dst)
{
	const char *v = e->value;
	long long n;
	char *end;

	if (!isdigit((unsigned char)v[0]))
		return ini_error(c, e->line, "%s: '%s' is not a number", k->name, v);
	errno = 0;
	n = strtoll(v, &end, 10);
	if (*end)
		return ini_error(c, e->line, "%s: '%s' is not a number", k->name, v);
	if (errno || n < k->min || n > k->max)
		return ini_error(c, e->line, "%s: %s is out of range (%lld..%lld)", k->name, v,
				 k->min, k->max);
	switch (k->type) {
	case INI_T_U16:
		*(uint16_t *)dst = (uint16_t)n;
		break;
	case INI_T_UINT:
		*(unsigned *)dst = (unsigned)n;
		break;
	case INI_T_INT:
		*(int *)dst = (int)n;
		break;
	case INI_T_LONG:
	case INI_T_STR:
	case INI_T_PATH:
	case INI_T_ABSPATH:
	case INI_T_BOOL:
	case INI_T_MS:
	case INI_T_FN:
	default:
		*(long *)dst = (long)n;
		break;
	}
	return 0;
}

static int set_ms(const struct ini_ctx *c, const struct ini_key *k, const struct ini_entry *e,
		  uint32_t *dst)
{
	unsigned long long ms;
	char lo[32], hi[32];
	int rc = ini_parse_ms(e->value, &ms);

	if (rc == -EDOM)
		return ini_error(c, e->line, "%s: '%s' needs a unit (ms, s or m)", k->name,
				 e->value);
	if (rc == -EINVAL)
		return ini_error(c, e->line, "%s: '%s' is not a duration (e.g. 200ms, 2s, 5m)",
				 k->name, e->value);
	if (rc == 0 && ms == 0 && k->zero_ok) {
		*dst = 0;
		return 0;
	}
	if (rc < 0 || ms < (unsigned long long)k->min || ms > (unsigned long long)k->max)
		return ini_error(c, e->line, "%s: %s is out of range (%s%s..%s)", k->name, e->value,
				 k->zero_ok ? "0 or " : "",
				 ini_fmt_ms((unsigned long long)k->min, lo, sizeof(lo)),
				 ini_fmt_ms((unsigned long long)k->max, hi, sizeof(hi)));
	*dst = (uint32_t)ms;
	return 0;
}

static int set_bool(const struct ini_ctx *c, const struct ini_key *k, const struct ini_entry *e,
		    bool *dst)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcmp(e->value, yes[i]) || !strcmp(e->value, no[i])) {
			*dst = !strcmp(e->value, yes[i]);
			return 0;
		}
	}
	return ini_error(c, e->line, "%s: '%s' is not a boolean (yes/no, true/false, on/off, 1/0)",
			 k->name, e->value);
}

static int apply_one(const struct ini_ctx *c, const struct ini_key *k, const struct ini_entry *e,
		     void *obj)
{
	char *field = (char *)obj + k->off;

	switch (k->type) {
	case INI_T_STR:
	case INI_T_PATH:
	case INI_T_ABSPATH:
		return set_str(c, k, e, field);
	case INI_T_U16:
	case INI_T_UINT:
	case INI_T_INT:
	case INI_T_LONG:
		return set_int(c, k, e, field);
	case INI_T_MS:
		return set_ms(c, k, e, (uint32_t *)(void *)field);
	case INI_T_BOOL:
		return set_bool(c, k, e, (bool *)(void *)field);
	case INI_T_FN:
		return k->fn(c, k, e, obj);
	}
	return -EINVAL;
}

static const struct ini_key *lookup(const struct ini_key *keys, const char *name)
{
	for (; keys->name; keys++)
		if (!strcmp(keys->name, name))
			return keys;
	return NULL;
}

int ini_apply(const struct ini_ctx *c, const struct ini_section *s, const struct ini_key *keys,
	      void *obj)
{
	char label[160];
	int rc;

	ini_label(s->hdr, label, sizeof(label));
	for (size_t i = 0; i < s->n; i++) {
		const struct ini_entry *e = &s->keys[i];
		const struct ini_entry *first = ini_find_key(s, e->key);
		const struct ini_key *k = lookup(keys, e->key);

		if (!k)
			return ini_error(c, e->line, "unknown key '%.64s' in %s", e->key, label);
		if (first != e)
			return ini_error(c, e->line,
					 "duplicate key '%s' in %s (first set at line %d)", e->key,
					 label, first->line);
		if (!e->value[0])
			return ini_error(c, e->line, "%s: empty value", e->key);
		rc = apply_one(c, k, e, obj);
		if (rc < 0)
			return rc;
	}
	for (const struct ini_key *k = keys; k->name; k++)
		if (k->required && !ini_find_key(s, k->name))
			return ini_error(c, s->hdr->line, "missing key '%s' in %s", k->name, label);
	return 0;
}
