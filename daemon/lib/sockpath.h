/* SPDX-License-Identifier: MIT */
/* sockpath.h: where the status socket is when nothing names it (kcwatchd and kcwatchctl). */
#ifndef KCW_SOCKPATH_H
#define KCW_SOCKPATH_H

#include <stddef.h>

#define SOCKPATH_CONTROL_DEFAULT "/run/kcwatch/kcwatchd.sock"
#define SOCKPATH_STATUS_DEFAULT	 "/run/kcwatch/status.sock"

/*
 * The status socket that goes with the control socket ctl: "status.sock" in
 * the same directory when ctl's file is called "kcwatchd.sock" (so the default
 * control socket gives /run/kcwatch/status.sock), else ctl with its ".sock"
 * ending replaced by ".status.sock" (".status.sock" appended when it has none).
 * Returns 0, or -1 when the result does not fit in len.
 */
int sockpath_status_for(const char *ctl, char *out, size_t len);

#endif
