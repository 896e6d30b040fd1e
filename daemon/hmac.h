/* SPDX-License-Identifier: MIT */
/* hmac.h: HMAC-SHA256 with the cluster key (OpenSSL 3 EVP_MAC). */
#ifndef KCW_HMAC_H
#define KCW_HMAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HMAC_TAG_LEN 32

struct hmac;

/* Fetches the MAC once and keys one context, reused for every message. NULL on failure. */
struct hmac *hmac_new(const uint8_t *key, size_t keylen);
void hmac_free(struct hmac *h);
/* tag = HMAC-SHA256(key, data). 0 or -EIO. */
int hmac_sign(struct hmac *h, const uint8_t *data, size_t len, uint8_t tag[HMAC_TAG_LEN]);
/* Constant-time comparison (CRYPTO_memcmp). */
bool hmac_verify(struct hmac *h, const uint8_t *data, size_t len, const uint8_t tag[HMAC_TAG_LEN]);

#endif
