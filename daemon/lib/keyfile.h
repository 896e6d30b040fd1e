/* SPDX-License-Identifier: MIT */
/* keyfile.h: loading the cluster's shared secret from a base64 key file. */
#ifndef KCW_KEYFILE_H
#define KCW_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Reads path (checked as keyfile_check_fd says) holding one line of base64, or two when
 * key2 is not NULL (a key rotation: the first line signs, both verify), and decodes them
 * into key[0..max) and key2[0..max). Each decoded length must be at least min; *len2 is 0
 * when there is one line. 0, or a negative errno with the reason in why, which begins
 * with the path, e.g. "/etc/k: No such file or directory". Messages never contain key
 * material; buffers that held it are cleansed.
 */
int keyfile_load(const char *path, uint8_t *key, uint8_t *key2, size_t min, size_t max, size_t *len,
		 size_t *len2, char *why, size_t whylen);
/*
 * The rules for every secret file (cluster key, TSIG key), on an open descriptor: a
 * regular file (no FIFO, device, directory), nothing for "other", not writable by the
 * group, owned by root or the daemon's user. 0 or a negative errno, why names the rule.
 */
int keyfile_check_fd(int fd, const char *path, char *why, size_t whylen);
/* Opens path with O_NONBLOCK and checks it (keyfile_check_fd): the fd or -errno. */
int keyfile_open(const char *path, char *why, size_t whylen);
/*
 * Where a secret file is read from: $CREDENTIALS_DIRECTORY/<basename of configured> when
 * that variable is set and such a file exists there (systemd LoadCredential=; true), else
 * the configured path (false). out gets the path; it must not overlap configured.
 */
bool keyfile_credential(const char *configured, char *out, size_t len);

#endif
