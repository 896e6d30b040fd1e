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
/* hmac_new(key) plus hmac_add_verify_key(key2) when key2len is not 0. */
struct hmac *hmac_new_pair(const uint8_t *key, size_t keylen, const uint8_t *key2, size_t key2len);
void hmac_free(struct hmac *h);
/* A second key (key rotation): verifies, never signs. 0, -EINVAL (already one) or -EIO. */
int hmac_add_verify_key(struct hmac *h, const uint8_t *key, size_t keylen);
/* tag = HMAC-SHA256(key, data) with the first key. 0 or -EIO. */
int hmac_sign(struct hmac *h, const uint8_t *data, size_t len, uint8_t tag[HMAC_TAG_LEN]);
/* True when the tag is right for any of the keys; constant-time comparison (CRYPTO_memcmp). */
bool hmac_verify(struct hmac *h, const uint8_t *data, size_t len, const uint8_t tag[HMAC_TAG_LEN]);

/*
 * A key's public name: the first 4 bytes (big-endian) of SHA-256("kcwatch key id" NUL key).
 * Heartbeats carry it so that operators see which key a node signs with.
 */
uint32_t hmac_key_id(const uint8_t *key, size_t keylen);

#endif
