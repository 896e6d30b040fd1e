/* SPDX-License-Identifier: MIT */
/* naming.h: the DNS name in the daemon: which address it should point at, and when to update it. */
#ifndef KCW_NAMING_H
#define KCW_NAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct kcwd;
struct json_object;
struct naming;

/* For cfg's [dns] (d->cfg is read later): NULL without [dns] (and no error), or NULL with err.
 * Nothing is sent before the first naming_sync(). */
struct naming *naming_new(struct kcwd *d, const struct kcw_config *cfg, char *err, size_t errlen);
void naming_free(struct naming *n);
/* Role, term or target may have changed: tell the updater what holds now. */
void naming_sync(struct naming *n);
void naming_status_json(const struct naming *n, struct json_object *root);
bool naming_fenced(const struct naming *n);
/* loop_now_ms() of the last successful DNS update, 0 before the first or without [dns]. */
uint64_t naming_last_success_ms(const struct naming *n);
/* The updater's counters (all zero without [dns]). */
struct dns_counters;
void naming_get_counters(const struct naming *n, struct dns_counters *out);

#endif
