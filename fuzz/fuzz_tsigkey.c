/* SPDX-License-Identifier: MIT */
/* fuzz_tsigkey.c: libFuzzer harness for tsigkey_parse (the [dns] tsig-key-file parser). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tsigkey.h"

/*
 * Each input is the text of a key file. A parsed key must be what the header
 * promises (an absolute name, an algorithm ldns can sign with, a secret of at
 * least 16 bytes); a refused one must say why, and never echo the secret of a
 * valid clause (checked by appending junk to a file that parses).
 *
 * Build: ./configure --enable-fuzzing CC=clang && make fuzz/fuzz_tsigkey
 * Run:   fuzz/fuzz_tsigkey -max_total_time=30 CORPUS_DIR   (seeds: fuzz/corpus/tsigkey)
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_key(const struct tsig_key *k)
{
	size_t n = strnlen(k->name, sizeof(k->name));

	if (n == 0 || n == sizeof(k->name) || k->name[n - 1] != '.')
		abort();
	if (strcmp(k->algorithm, "hmac-sha256.") && strcmp(k->algorithm, "hmac-sha512."))
		abort();
	if (k->secret_len < 16 || strnlen(k->secret, sizeof(k->secret)) == sizeof(k->secret))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char junk[] = "\n# trailing\nkey";
	struct tsig_key k, k2;
	char err[512], *text;
	int rc;

	memset(err, 0, sizeof(err));
	rc = tsigkey_parse((const char *)data, size, "fuzz.key", &k, err, sizeof(err));
	if (rc != 0) {
		if (rc > 0 || !err[0] || !memchr(err, '\0', sizeof(err)))
			abort();
		return 0;
	}
	check_key(&k);
	/* the same key followed by a second clause: refused, without the secret */
	text = malloc(size + sizeof(junk));
	if (!text)
		return 0;
	memcpy(text, data, size);
	memcpy(text + size, junk, sizeof(junk) - 1);
	memset(err, 0, sizeof(err));
	rc = tsigkey_parse(text, size + sizeof(junk) - 1, "fuzz.key", &k2, err, sizeof(err));
	if (rc == 0 || !err[0] || strstr(err, k.secret))
		abort();
	free(text);
	tsigkey_clear(&k);
	return 0;
}
