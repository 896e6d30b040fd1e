/* SPDX-License-Identifier: MIT */
/* release.h: kcwatchd --release-vips: remove this node's configured VIPs without the daemon. */
#ifndef KCW_RELEASE_H
#define KCW_RELEASE_H

/*
 * For the unit's ExecStopPost=, when the service stops or dies for good: every [vip] of
 * the file at path is removed from its interface when it is there (whatever its prefix
 * length); nothing else is touched. A file that does not pass the full check (the reason
 * the daemon could not start) is read for its [vip] sections alone, with a warning.
 * A netlink error is retried with backoff for about 3 s. Returns the exit status: 0 when
 * no configured VIP is left on its interface, 1 otherwise.
 */
int release_vips_main(const char *path);

#endif
