/* SPDX-License-Identifier: MIT */
/* tsigkey.h: the TSIG key for DNS updates, read from a BIND key file (tsig-keygen output). */
#ifndef KCW_TSIGKEY_H
#define KCW_TSIGKEY_H

#include <stddef.h>

#define TSIG_NAME_MAX	256 /* absolute key name with the trailing dot and the NUL */
#define TSIG_ALG_MAX	32
#define TSIG_SECRET_MAX 256 /* base64 text as in the file */

struct tsig_key {
	char name[TSIG_NAME_MAX];     /* "kcwatch-key." */
	char algorithm[TSIG_ALG_MAX]; /* "hmac-sha256." or "hmac-sha512." (ldns spelling) */
	char secret[TSIG_SECRET_MAX]; /* base64, never logged */
	size_t secret_len;	      /* decoded length in bytes */
};

/*
 * Parses the text of a BIND key file holding exactly one clause
 *
 *     key "NAME" { algorithm hmac-sha256; secret "BASE64"; };
 *
 * (comments #, // and C style allowed). Accepts hmac-sha256 and hmac-sha512
 * only. fname is used in messages. 0, or -EINVAL with err = "FILE:LINE: reason"
 * (the secret never appears in a message).
 */
int tsigkey_parse(const char *text, size_t len, const char *fname, struct tsig_key *out, char *err,
		  size_t errlen);

/*
 * Reads and parses path (at most 64 KiB), checked first as keyfile_check_fd() says (a
 * regular file, nothing for others, not group-writable, owned by root or the daemon's
 * user). 0 or negative errno, err as above or naming the rule that failed.
 */
int tsigkey_load(const char *path, struct tsig_key *out, char *err, size_t errlen);

/* Wipes the key from memory. */
void tsigkey_clear(struct tsig_key *k);

#endif
