/* SPDX-License-Identifier: MIT */
/* keyfile.c: loading the cluster's shared secret from a base64 key file. */
#include "keyfile.h"
#include "strutil.h"

#include <ctype.h>
#include <pwd.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define KEYFILE_DAEMON_USER "kcwatch" /* the unit's User= */
#define KEYFILE_TEXT_MAX 1024 /* bytes read at most: far more than any sane key */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/*
 * The user "kcwatch" the unit runs the daemon as, from /etc/passwd (no NSS modules in the
 * daemon): kcwatchd -t run by root accepts what the daemon itself accepts.
 */
static bool is_daemon_user(uid_t uid)
{
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw;
	bool found = false;

	while (f && !found && (pw = fgetpwent(f)) != NULL)
		found = pw->pw_uid == uid && strcmp(pw->pw_name, KEYFILE_DAEMON_USER) == 0;
	if (f)
		fclose(f);
	return found;
}

int keyfile_check_fd(int fd, const char *path, char *why, size_t whylen)
{
	struct stat st;
	unsigned mode;

	if (fstat(fd, &st) < 0) {
		int e = errno;

		snprintf(why, whylen, "%s: %s", path, strerror(e));
		return -e;
	}
	mode = (unsigned)st.st_mode & 07777;
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s is not a regular file", path);
		return -EINVAL;
	}
	if (mode & 007) {
		snprintf(why, whylen, "%s is %s by others (mode %04o); chmod 0600 or 0640", path,
			 (mode & 004)	? "readable"
			 : (mode & 002) ? "writable"
					: "accessible",
			 mode);
		return -EACCES;
	}
	if (mode & 020) {
		snprintf(why, whylen, "%s is writable by its group (mode %04o); chmod 0600 or 0640",
			 path, mode);
		return -EACCES;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid() && !is_daemon_user(st.st_uid)) {
		snprintf(why, whylen,
			 "%s is owned by uid %u, not by root or the daemon's user; chown root",
			 path, (unsigned)st.st_uid);
		return -EPERM;
	}
	return 0;
}

int keyfile_open(const char *path, char *why, size_t whylen)
{
	int fd, e;

	/* O_NONBLOCK: a FIFO put in place of the key must not block the open */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		snprintf(why, whylen, "%s: %s", path, strerror(e));
		return -e;
	}
	e = keyfile_check_fd(fd, path, why, whylen);
	if (e < 0) {
		close(fd);
		return e;
	}
	return fd;
}

bool keyfile_credential(const char *configured, char *out, size_t len)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	const char *base = strrchr(configured, '/');
	struct stat st;
	int n;

	base = base ? base + 1 : configured;
	if (dir && dir[0] == '/' && base[0]) {
		n = snprintf(out, len, "%s/%s", dir, base);
		if (n > 0 && (size_t)n < len && lstat(out, &st) == 0)
			return true;
	}
	snprintf(out, len, "%s", configured);
	return false;
}

/* Reads the whole file into buf (NUL-terminated, at most len - 1 bytes). */
static int read_all(int fd, const char *path, char *buf, size_t len, char *why, size_t whylen)
{
	size_t used = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, buf + used, len - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			snprintf(why, whylen, "%s: %s", path, strerror(e));
			return -e;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used == len - 1) {
			snprintf(why, whylen,
				 "%s is too large for a key file (one or two lines of base64)",
				 path);
			return -EFBIG;
		}
	}
	buf[used] = '\0';
	return 0;
}

/* Checks the text is one line of base64 and pads it to a multiple of 4 (s has room). */
static int check_b64(char *s, size_t *n, size_t *pad)
{
	size_t alpha = strspn(s, b64_alphabet), len = strlen(s);

	*pad = 0;
	while (s[alpha + *pad] == '=')
		(*pad)++;
	if (alpha + *pad != len || *pad > 2 || len % 4 == 1 || (*pad && len % 4))
		return -EINVAL;
	while (len % 4) {
		s[len++] = '=';
		(*pad)++;
	}
	s[len] = '\0';
	*n = len;
	return len ? 0 : -ENODATA;
}

static int decode(const char *path, char *s, uint8_t *key, size_t min, size_t max, size_t *len,
		  char *why, size_t whylen)
{
	unsigned char out[KEYFILE_TEXT_MAX / 4 * 3 + 3];
	size_t n, pad, dec;
	int ret, rc = 0;

	rc = check_b64(s, &n, &pad);
	if (rc == -ENODATA) {
		snprintf(why, whylen, "%s is empty", path);
		return -EINVAL;
	}
	ret = rc ? -1 : EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
	if (ret < 0) {
		snprintf(why, whylen, "%s: not valid base64 (expected one line of base64)", path);
		return -EINVAL;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes */
	dec = (size_t)ret - pad;
	if (dec < min) {
		snprintf(why, whylen, "%s: key is too short (%zu bytes, at least %zu needed)", path,
			 dec, min);
		rc = -EINVAL;
	} else if (dec > max) {
		snprintf(why, whylen, "%s: key is too long (%zu bytes, at most %zu)", path, dec,
			 max);
		rc = -EINVAL;
	} else {
		memcpy(key, out, dec);
		*len = dec;
	}
	OPENSSL_cleanse(out, sizeof(out));
	return rc;
}

/* Splits text into lines: the non-blank ones, trimmed, in lines[]. -E2BIG above max. */
static int split_lines(char *text, char **lines, size_t max, size_t *n)
{
	char *save = NULL;

	*n = 0;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		l = str_trim(l);
		if (!*l)
			continue;
		if (*n == max)
			return -E2BIG;
		lines[(*n)++] = l;
	}
	return 0;
}

static int decode_lines(const char *path, char *text, uint8_t *key, uint8_t *key2, size_t min,
			size_t max, size_t *len, size_t *len2, char *why, size_t whylen)
{
	char *lines[2], label[4200];
	size_t n = 0;
	int rc;

	rc = split_lines(text, lines, key2 ? 2 : 1, &n);
	if (rc < 0) {
		snprintf(why, whylen, "%s holds more than %d keys (one line of base64 each)", path,
			 key2 ? 2 : 1);
		return -EINVAL;
	}
	if (n == 0) {
		snprintf(why, whylen, "%s is empty", path);
		return -EINVAL;
	}
	rc = decode(path, lines[0], key, min, max, len, why, whylen);
	if (rc == 0 && n == 2) {
		snprintf(label, sizeof(label), "%s line 2", path);
		rc = decode(label, lines[1], key2, min, max, len2, why, whylen);
	}
	if (rc == 0 && n == 2 && *len == *len2 && !CRYPTO_memcmp(key, key2, *len)) {
		snprintf(why, whylen, "%s holds the same key twice", path);
		rc = -EINVAL;
	}
	if (rc == 0 && key2 && n == 1)
		*len2 = 0;
	return rc;
}

int keyfile_load(const char *path, uint8_t *key, uint8_t *key2, size_t min, size_t max, size_t *len,
		 size_t *len2, char *why, size_t whylen)
{
	char text[KEYFILE_TEXT_MAX + 3]; /* room for padding added by check_b64 */
	int fd, rc;

	fd = keyfile_open(path, why, whylen);
	if (fd < 0)
		return fd;
	rc = read_all(fd, path, text, KEYFILE_TEXT_MAX + 1, why, whylen);
	close(fd);
	if (!rc)
		rc = decode_lines(path, text, key, key2, min, max, len, len2, why, whylen);
	OPENSSL_cleanse(text, sizeof(text));
	return rc;
}
