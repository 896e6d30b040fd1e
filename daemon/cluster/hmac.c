/* SPDX-License-Identifier: MIT */
/* hmac.c: HMAC-SHA256 with the cluster key via OpenSSL 3 EVP_MAC (key kept inside OpenSSL). */
#include <errno.h>
#include <stdlib.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "hmac.h"

struct hmac {
	EVP_MAC *mac;	   /* fetched once */
	EVP_MAC_CTX *ctx;  /* keyed once; re-initialised (same key) for each message */
	EVP_MAC_CTX *ctx2; /* the second key of a rotation: verifies only; NULL = none */
};

static EVP_MAC_CTX *keyed_ctx(EVP_MAC *mac, const uint8_t *key, size_t keylen)
{
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
	    OSSL_PARAM_construct_end(),
	};
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);

	if (!ctx)
		return NULL;
	if (EVP_MAC_init(ctx, key, keylen, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

struct hmac *hmac_new(const uint8_t *key, size_t keylen)
{
	struct hmac *h;

	if (!key || keylen == 0)
		return NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (h->mac)
		h->ctx = keyed_ctx(h->mac, key, keylen);
	if (!h->ctx) {
		hmac_free(h);
		return NULL;
	}
	return h;
}

struct hmac *hmac_new_pair(const uint8_t *key, size_t keylen, const uint8_t *key2, size_t key2len)
{
	struct hmac *h = hmac_new(key, keylen);

	if (h && key2len && hmac_add_verify_key(h, key2, key2len) < 0) {
		hmac_free(h);
		return NULL;
	}
	return h;
}

void hmac_free(struct hmac *h)
{
	if (!h)
		return;
	EVP_MAC_CTX_free(h->ctx); /* OpenSSL cleanses the key it holds */
	EVP_MAC_CTX_free(h->ctx2);
	EVP_MAC_free(h->mac);
	free(h);
}

int hmac_add_verify_key(struct hmac *h, const uint8_t *key, size_t keylen)
{
	if (!h || !key || keylen == 0 || h->ctx2)
		return -EINVAL;
	h->ctx2 = keyed_ctx(h->mac, key, keylen);
	return h->ctx2 ? 0 : -EIO;
}

static int mac_with(EVP_MAC_CTX *ctx, const uint8_t *data, size_t len, uint8_t tag[HMAC_TAG_LEN])
{
	size_t outl = 0;
	int ok;

	if (!ctx || !tag || (!data && len > 0))
		return -EIO;
	/*
	 * A NULL key restarts HMAC from the inner state saved when the key was set: one
	 * digest-state copy, where duplicating a keyed context allocated and copied three.
	 * Nothing is shared between calls, so the daemon's single thread may reuse ctx.
	 */
	ok = EVP_MAC_init(ctx, NULL, 0, NULL) == 1 &&
	     (len == 0 || EVP_MAC_update(ctx, data, len) == 1) &&
	     EVP_MAC_final(ctx, tag, &outl, HMAC_TAG_LEN) == 1 && outl == HMAC_TAG_LEN;
	if (!ok) {
		OPENSSL_cleanse(tag, HMAC_TAG_LEN);
		return -EIO;
	}
	return 0;
}

int hmac_sign(struct hmac *h, const uint8_t *data, size_t len, uint8_t tag[HMAC_TAG_LEN])
{
	return h ? mac_with(h->ctx, data, len, tag) : -EIO;
}

static bool verify_with(EVP_MAC_CTX *ctx, const uint8_t *data, size_t len,
			const uint8_t tag[HMAC_TAG_LEN])
{
	uint8_t want[HMAC_TAG_LEN];
	bool ok;

	if (!ctx || mac_with(ctx, data, len, want) != 0)
		return false;
	ok = CRYPTO_memcmp(want, tag, HMAC_TAG_LEN) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

bool hmac_verify(struct hmac *h, const uint8_t *data, size_t len, const uint8_t tag[HMAC_TAG_LEN])
{
	if (!h || !tag)
		return false;
	return verify_with(h->ctx, data, len, tag) || verify_with(h->ctx2, data, len, tag);
}

uint32_t hmac_key_id(const uint8_t *key, size_t keylen)
{
	static const char label[] = "kcwatch key id"; /* with its NUL: a separator */
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint32_t id = 0;

	if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(c, label, sizeof(label)) == 1 &&
	    EVP_DigestUpdate(c, key, keylen) == 1 && EVP_DigestFinal_ex(c, md, &mdlen) == 1 &&
	    mdlen >= 4)
		id = (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 | (uint32_t)md[2] << 8 | md[3];
	EVP_MD_CTX_free(c);
	OPENSSL_cleanse(md, sizeof(md));
	return id;
}
