/* SPDX-License-Identifier: MIT */
/* keyfile.h: loading the cluster's shared secret from a base64 key file. */
#ifndef KCW_KEYFILE_H
#define KCW_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Reads path (a regular file that grants nothing to "other"), holding one
 * line of base64, and decodes it into key[0..max). The decoded length must be
 * at least min. 0 and *len set, or a negative errno with the reason in why,
 * which begins with the path, e.g. "/etc/k: No such file or directory".
 * Messages never contain key material; buffers that held it are cleansed.
 */
int keyfile_load(const char *path, uint8_t *key, size_t min, size_t max, size_t *len, char *why,
		 size_t whylen);

#endif
