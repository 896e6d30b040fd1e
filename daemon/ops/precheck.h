/* SPDX-License-Identifier: MIT */
/* precheck.h: what `kcwatchd -t` checks on this host beyond the file's syntax. */
#ifndef KCW_PRECHECK_H
#define KCW_PRECHECK_H

#include <stddef.h>

#include "config.h"

/*
 * The host-specific facts that make a start fail, checked with this process's credentials
 * (ExecStartPre runs as the daemon's user): the VIP interfaces exist; the backends' CA files,
 * client certificates and keys can be opened and read; libcurl opens when there are
 * backends. The cluster key was already read by config_load, the TSIG key by
 * config_check_tsig_key (both from $CREDENTIALS_DIRECTORY when systemd passed them there).
 * Returns 0, or -errno
 * with err = "FILE: [section NAME] key PATH: reason".
 */
int precheck_host(const struct kcw_config *cfg, char *err, size_t errlen);

#endif
