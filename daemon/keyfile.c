/* SPDX-License-Identifier: MIT */
/* keyfile.c: loading the cluster's shared secret from a base64 key file. */
#include "keyfile.h"
#include "strutil.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define KEYFILE_TEXT_MAX 1024 /* bytes read at most: far more than any sane key */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int open_checked(const char *path, char *why, size_t whylen)
{
	struct stat st;
	int fd, e;
	unsigned mode;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		snprintf(why, whylen, "%s: %s", path, strerror(e));
		return -e;
	}
	if (fstat(fd, &st) < 0) {
		e = errno;
		snprintf(why, whylen, "%s: %s", path, strerror(e));
		close(fd);
		return -e;
	}
	mode = (unsigned)st.st_mode & 07777;
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s is not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if (mode & 007) {
		snprintf(why, whylen, "%s is %s by others (mode %04o); chmod 0600 or 0640", path,
			 (mode & 004)	? "readable"
			 : (mode & 002) ? "writable"
					: "accessible",
			 mode);
		close(fd);
		return -EACCES;
	}
	return fd;
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
			snprintf(why, whylen, "%s is too large for a key file (one line of base64)",
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

int keyfile_load(const char *path, uint8_t *key, size_t min, size_t max, size_t *len, char *why,
		 size_t whylen)
{
	char text[KEYFILE_TEXT_MAX + 3]; /* room for padding added by check_b64 */
	int fd, rc;

	fd = open_checked(path, why, whylen);
	if (fd < 0)
		return fd;
	rc = read_all(fd, path, text, KEYFILE_TEXT_MAX + 1, why, whylen);
	close(fd);
	if (!rc)
		rc = decode(path, str_trim(text), key, min, max, len, why, whylen);
	OPENSSL_cleanse(text, sizeof(text));
	return rc;
}
