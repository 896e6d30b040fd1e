/* SPDX-License-Identifier: MIT */
/* release.c: kcwatchd --release-vips: remove this node's configured VIPs without the daemon. */
#include "release.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "ini.h"
#include "log.h"
#include "vip.h"

#define RELEASE_TRIES	  6 /* 100 + 200 + 400 + 800 + 1600 ms of backoff: about 3 s */
#define RELEASE_FIRST_MS  100
#define RELEASE_DEL_ROUND 4 /* the same address under several prefix lengths */

struct rel_vip {
	char name[CFG_NAME_MAX];
	struct kcw_addr addr;
	int prefixlen;
	char interface[IF_NAMESIZE];
};

struct rel_list {
	struct rel_vip v[CFG_MAX_VIPS];
	size_t n;
};

/* The [vip] sections of a file that does not pass the full check: address and interface. */
static int vips_from_ini(const char *path, struct rel_list *out)
{
	char err[CFG_ERR_MAX];
	struct ini_ctx c = {.path = path, .err = err, .errlen = sizeof(err)};
	struct ini_file f = {0};

	if (ini_read(&c, &f) < 0) {
		log_err("--release-vips: %s", err);
		return -EINVAL;
	}
	for (size_t i = 0; i < f.n && out->n < CFG_MAX_VIPS; i++) {
		struct ini_section s;
		const struct ini_entry *a, *ifc;
		struct rel_vip *v = &out->v[out->n];

		if (f.e[i].kind != INI_SECTION || strcmp(f.e[i].key, "vip") != 0)
			continue;
		ini_section_at(&f, i, &s);
		a = ini_find_key(&s, "address");
		ifc = ini_find_key(&s, "interface");
		if (!a || !ifc || addr_parse_prefix(a->value, &v->addr, &v->prefixlen) < 0 ||
		    strlen(ifc->value) >= sizeof(v->interface) || !ifc->value[0]) {
			log_warn("--release-vips: %s:%d: [vip] without a usable address and "
				 "interface: skipped",
				 path, f.e[i].line);
			continue;
		}
		snprintf(v->name, sizeof(v->name), "%s", f.e[i].value ? f.e[i].value : "?");
		snprintf(v->interface, sizeof(v->interface), "%s", ifc->value);
		out->n++;
	}
	ini_free(&f);
	return 0;
}

static int load_vips(const char *path, struct rel_list *out)
{
	char err[CFG_ERR_MAX];
	struct kcw_config *cfg;

	if (config_load(path, &cfg, err, sizeof(err)) < 0) {
		log_warn("--release-vips: %s; taking the [vip] sections as written", err);
		return vips_from_ini(path, out);
	}
	for (size_t i = 0; i < cfg->n_vips; i++) {
		struct rel_vip *v = &out->v[out->n++];

		snprintf(v->name, sizeof(v->name), "%s", cfg->vips[i].name);
		v->addr = cfg->vips[i].addr;
		v->prefixlen = cfg->vips[i].prefixlen;
		snprintf(v->interface, sizeof(v->interface), "%s", cfg->vips[i].interface);
	}
	config_free(cfg);
	return 0;
}

/* Removes v when it is on its interface: 0 (removed or absent) or negative errno. */
static int release_one(struct vip_nl *nl, const struct rel_vip *v)
{
	struct vip_link link;
	char a[ADDR_STRLEN];
	int r = vip_link_get(nl, v->interface, &link);

	if (r == -ENODEV)
		return 0; /* no interface, no address */
	for (int round = 0; r >= 0 && round < RELEASE_DEL_ROUND; round++) {
		int plen = v->prefixlen;

		r = vip_addr_find(nl, link.ifindex, &v->addr, &plen);
		if (r <= 0)
			break;
		r = vip_addr_del(nl, link.ifindex, &v->addr, plen);
		if (r == 0)
			log_notice("vip %s: removed %s/%d from %s (--release-vips)", v->name,
				   addr_str(&v->addr, a, sizeof(a)), plen, v->interface);
	}
	if (r < 0)
		log_err("vip %s: removing %s from %s failed: %s", v->name,
			addr_str(&v->addr, a, sizeof(a)), v->interface, strerror(-r));
	return r < 0 ? r : 0;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int release_vips_main(const char *path)
{
	struct rel_list l = {.n = 0};
	bool done[CFG_MAX_VIPS] = {false};
	unsigned delay = RELEASE_FIRST_MS;
	size_t left;
	int r;

	if (load_vips(path, &l) < 0)
		return 1;
	left = l.n;
	for (int t = 0; left > 0 && t < RELEASE_TRIES; t++) {
		struct vip_nl *nl = NULL;

		if (t > 0) {
			sleep_ms(delay);
			delay *= 2;
		}
		r = vip_nl_open(&nl);
		if (r < 0) {
			log_err("--release-vips: netlink: %s", strerror(-r));
			continue;
		}
		for (size_t i = 0; i < l.n; i++)
			if (!done[i] && release_one(nl, &l.v[i]) == 0) {
				done[i] = true;
				left--;
			}
		vip_nl_close(nl);
	}
	if (left > 0)
		log_err("--release-vips: %zu VIP(s) could not be removed", left);
	return left > 0 ? 1 : 0;
}
