/* SPDX-License-Identifier: MIT */
/* tsigkey.c: reads the TSIG key clause of a BIND key file (as written by tsig-keygen). */
#include "tsigkey.h"
#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define KEYFILE_MAX (64 * 1024)
#define TOKEN_MAX   512
#define SECRET_MIN  16 /* bytes: tsig-keygen writes 32 (sha256) or 64 (sha512) */

enum tok_type { TOK_EOF = 0, TOK_WORD, TOK_STRING, TOK_LBRACE, TOK_RBRACE, TOK_SEMI, TOK_ERR };

struct lexer {
	const char *p, *end;
	int line;
	const char *fname;
	char *err;
	size_t errlen;
	/* the current token */
	enum tok_type type;
	int tok_line;
	char text[TOKEN_MAX];
};

static int fail(struct lexer *lx, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct lexer *lx, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(lx->err, lx->errlen, "%s:%d: %s", lx->fname, line, msg);
	return -EINVAL;
}

/* Skips blanks and the three comment styles BIND accepts. */
static int skip_space(struct lexer *lx)
{
	while (lx->p < lx->end) {
		char c = *lx->p;

		if (c == '\n') {
			lx->line++;
			lx->p++;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			lx->p++;
		} else if (c == '#' || (c == '/' && lx->p + 1 < lx->end && lx->p[1] == '/')) {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
		} else if (c == '/' && lx->p + 1 < lx->end && lx->p[1] == '*') {
			int start = lx->line;

			lx->p += 2;
			while (lx->p + 1 < lx->end && !(lx->p[0] == '*' && lx->p[1] == '/')) {
				if (*lx->p == '\n')
					lx->line++;
				lx->p++;
			}
			if (lx->p + 1 >= lx->end)
				return fail(lx, start, "unterminated /* comment");
			lx->p += 2;
		} else {
			break;
		}
	}
	return 0;
}

static int lex_string(struct lexer *lx)
{
	size_t n = 0;

	lx->p++; /* opening quote */
	while (lx->p < lx->end && *lx->p != '"') {
		if (*lx->p == '\n' || n + 1 >= sizeof(lx->text))
			return fail(lx, lx->tok_line, "unterminated or overlong quoted string");
		lx->text[n++] = *lx->p++;
	}
	if (lx->p >= lx->end)
		return fail(lx, lx->tok_line, "unterminated quoted string");
	lx->p++;
	lx->text[n] = '\0';
	lx->type = TOK_STRING;
	return 0;
}

static int lex_word(struct lexer *lx)
{
	size_t n = 0;

	while (lx->p < lx->end && !strchr(" \t\r\n{};\"#", *lx->p)) {
		if ((unsigned char)*lx->p < 0x20 || n + 1 >= sizeof(lx->text))
			return fail(lx, lx->tok_line, "invalid character or overlong word");
		lx->text[n++] = *lx->p++;
	}
	lx->text[n] = '\0';
	lx->type = TOK_WORD;
	return 0;
}

/* Reads the next token into lx; 0 or -EINVAL (err set). */
static int next(struct lexer *lx)
{
	int ret = skip_space(lx);

	if (ret < 0)
		return ret;
	lx->tok_line = lx->line;
	lx->text[0] = '\0';
	if (lx->p >= lx->end) {
		lx->type = TOK_EOF;
		return 0;
	}
	switch (*lx->p) {
	case '{':
		lx->type = TOK_LBRACE;
		break;
	case '}':
		lx->type = TOK_RBRACE;
		break;
	case ';':
		lx->type = TOK_SEMI;
		break;
	case '"':
		return lex_string(lx);
	default:
		return lex_word(lx);
	}
	lx->text[0] = *lx->p++;
	lx->text[1] = '\0';
	return 0;
}

/* The current token for a message: never a quoted string or a word that may be a secret. */
static const char *shown(const struct lexer *lx)
{
	size_t n = strspn(lx->text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				    "0123456789+/=");

	if (lx->type == TOK_EOF)
		return "end of file";
	if (lx->type == TOK_STRING)
		return "a quoted string";
	if (lx->text[n] == '\0' && n >= 16)
		return "a base64 word";
	return lx->text;
}

static int expect(struct lexer *lx, enum tok_type type, const char *what)
{
	int ret = next(lx);

	if (ret < 0)
		return ret;
	if (lx->type != type)
		return fail(lx, lx->tok_line, "expected %s, found '%s'", what, shown(lx));
	return 0;
}

/* Length of the decoded base64 text s, or -1 when s is not canonical base64. */
static long b64_decoded_len(const char *s)
{
	size_t len = strlen(s), pad = 0;

	if (len == 0 || len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool alnum =
		    (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (c == '=') {
			if (i < len - 2)
				return -1;
			pad++;
		} else if (pad || !(alnum || c == '+' || c == '/')) {
			return -1;
		}
	}
	return (long)(len / 4 * 3 - pad);
}

static int set_algorithm(struct lexer *lx, struct tsig_key *out)
{
	char alg[TSIG_ALG_MAX];
	size_t n = strlen(lx->text);

	if (n == 0 || n >= sizeof(alg) - 1)
		return fail(lx, lx->tok_line, "invalid algorithm");
	memcpy(alg, lx->text, n + 1);
	if (alg[n - 1] == '.')
		alg[n - 1] = '\0';
	if (strcasecmp(alg, "hmac-sha384") == 0)
		return fail(lx, lx->tok_line,
			    "algorithm hmac-sha384 is not usable (ldns cannot sign with it); "
			    "use hmac-sha256 or hmac-sha512");
	if (strcasecmp(alg, "hmac-sha256") != 0 && strcasecmp(alg, "hmac-sha512") != 0)
		return fail(lx, lx->tok_line,
			    "unsupported algorithm '%s' (use hmac-sha256 or hmac-sha512)", alg);
	for (char *c = alg; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
	snprintf(out->algorithm, sizeof(out->algorithm), "%s.", alg);
	return 0;
}

static int set_secret(struct lexer *lx, struct tsig_key *out)
{
	long n = b64_decoded_len(lx->text);

	if (n < 0)
		return fail(lx, lx->tok_line, "secret is not valid base64");
	if (n < SECRET_MIN)
		return fail(lx, lx->tok_line, "secret too short (%ld bytes, at least %d)", n,
			    SECRET_MIN);
	if (strlen(lx->text) >= sizeof(out->secret))
		return fail(lx, lx->tok_line, "secret too long");
	strcpy(out->secret, lx->text);
	out->secret_len = (size_t)n;
	explicit_bzero(lx->text, sizeof(lx->text));
	return 0;
}

static int set_name(struct lexer *lx, struct tsig_key *out)
{
	size_t n = strlen(lx->text);

	if (n == 0 || n > 253)
		return fail(lx, lx->tok_line, "invalid key name");
	for (size_t i = 0; i < n; i++) {
		char c = lx->text[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.') ||
		    (c == '.' && (i == 0 || lx->text[i - 1] == '.')))
			return fail(lx, lx->tok_line, "invalid key name '%s'", lx->text);
	}
	snprintf(out->name, sizeof(out->name), "%s%s", lx->text, lx->text[n - 1] == '.' ? "" : ".");
	return 0;
}

/* One "algorithm X;" or "secret X;" statement; the keyword is the current token. */
static int statement(struct lexer *lx, struct tsig_key *out, int *alg_line, int *secret_line)
{
	bool is_alg = strcasecmp(lx->text, "algorithm") == 0;
	int line = lx->tok_line, ret;

	if (lx->type != TOK_WORD || (!is_alg && strcasecmp(lx->text, "secret") != 0))
		return fail(lx, line, "unexpected '%s' in key clause (want algorithm or secret)",
			    shown(lx));
	if (is_alg ? *alg_line : *secret_line)
		return fail(lx, line, "%s given twice (first on line %d)",
			    is_alg ? "algorithm" : "secret", is_alg ? *alg_line : *secret_line);
	ret = next(lx);
	if (ret < 0)
		return ret;
	if (lx->type != TOK_WORD && lx->type != TOK_STRING)
		return fail(lx, lx->tok_line, "%s needs a value", is_alg ? "algorithm" : "secret");
	ret = is_alg ? set_algorithm(lx, out) : set_secret(lx, out);
	if (ret < 0)
		return ret;
	*(is_alg ? alg_line : secret_line) = line;
	return expect(lx, TOK_SEMI, "';'");
}

static int parse_clause(struct lexer *lx, struct tsig_key *out)
{
	int alg_line = 0, secret_line = 0, ret;

	ret = next(lx);
	if (ret < 0)
		return ret;
	if (lx->type == TOK_EOF)
		return fail(lx, lx->tok_line, "no key clause found");
	if (lx->type != TOK_WORD || strcasecmp(lx->text, "key") != 0)
		return fail(lx, lx->tok_line, "expected 'key', found '%s'", shown(lx));
	ret = next(lx);
	if (ret < 0)
		return ret;
	if (lx->type != TOK_WORD && lx->type != TOK_STRING)
		return fail(lx, lx->tok_line, "key needs a name");
	ret = set_name(lx, out);
	if (ret < 0 || (ret = expect(lx, TOK_LBRACE, "'{'")) < 0)
		return ret;
	for (;;) {
		if ((ret = next(lx)) < 0)
			return ret;
		if (lx->type == TOK_RBRACE)
			break;
		if (lx->type == TOK_EOF)
			return fail(lx, lx->tok_line, "key clause not closed with '}'");
		if ((ret = statement(lx, out, &alg_line, &secret_line)) < 0)
			return ret;
	}
	if (!alg_line)
		return fail(lx, lx->tok_line, "key %s has no algorithm", out->name);
	if (!secret_line)
		return fail(lx, lx->tok_line, "key %s has no secret", out->name);
	return expect(lx, TOK_SEMI, "';' after '}'");
}

int tsigkey_parse(const char *text, size_t len, const char *fname, struct tsig_key *out, char *err,
		  size_t errlen)
{
	struct lexer lx = {
	    .p = text, .end = text + len, .line = 1, .fname = fname, .err = err, .errlen = errlen};
	struct tsig_key k = {0};
	int ret;

	if (memchr(text, '\0', len))
		ret = fail(&lx, 1, "contains a NUL byte: not a key file");
	else
		ret = parse_clause(&lx, &k);
	if (ret == 0 && (ret = next(&lx)) == 0 && lx.type != TOK_EOF)
		ret = fail(&lx, lx.tok_line,
			   "unexpected '%s' after the key clause (one key per file)", shown(&lx));
	explicit_bzero(lx.text, sizeof(lx.text));
	if (ret == 0)
		*out = k;
	explicit_bzero(&k, sizeof(k));
	return ret;
}

int tsigkey_load(const char *path, struct tsig_key *out, char *err, size_t errlen)
{
	char *buf = malloc(KEYFILE_MAX + 1);
	size_t len = 0;
	ssize_t n = 0;
	int fd, ret = 0;

	if (!buf)
		return -ENOMEM;
	/* the cluster key's rules: regular file (opened O_NONBLOCK), private, owned right */
	fd = keyfile_open(path, err, errlen);
	if (fd < 0) {
		free(buf);
		return fd;
	}
	while (len <= KEYFILE_MAX && (n = read(fd, buf + len, KEYFILE_MAX + 1 - len)) != 0) {
		if (n < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		if (n > 0)
			len += (size_t)n;
	}
	close(fd);
	if (ret < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	} else if (len > KEYFILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes: not a key file", path,
			 KEYFILE_MAX);
		ret = -EFBIG;
	} else {
		ret = tsigkey_parse(buf, len, path, out, err, errlen);
	}
	explicit_bzero(buf, len);
	free(buf);
	return ret;
}

void tsigkey_clear(struct tsig_key *k)
{
	explicit_bzero(k, sizeof(*k));
}
