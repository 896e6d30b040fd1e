/* SPDX-License-Identifier: MIT */
/* status.h: the status report as JSON (control socket "status"). */
#ifndef KCW_STATUS_H
#define KCW_STATUS_H

struct json_object;
struct kcwd;

/* A new object with node, role, term, leader, priority, peers, vips, counters. */
struct json_object *status_json(const struct kcwd *d);

#endif
