/* SPDX-License-Identifier: MIT */
/* config_svc.c: config sections [vip], [backend], [backends], [dns], [hooks], [metrics]. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include "ini.h"
#include "keyfile.h"
#include "tsigkey.h"

#define SUN_PATH_SIZE sizeof(((struct sockaddr_un *)0)->sun_path)

/* --- [vip NAME] --------------------------------------------------------------- */

static int vip_address(const struct ini_ctx *c, const struct ini_key *k, const struct ini_entry *e,
		       void *obj)
{
	const struct kcw_config *cfg = c->user;
	struct cfg_vip *v = obj;

	if (!strchr(e->value, '/'))
		return ini_error(c, e->line, "address: '%s' needs a prefix length, e.g. %s/%s",
				 e->value, e->value, strchr(e->value, ':') ? "64" : "24");
	if (addr_parse_prefix(e->value, &v->addr, &v->prefixlen) < 0)
		return ini_error(
		    c, e->line, "address: '%s' is not an IPv4 or IPv6 address with a prefix length",
		    e->value);
	for (size_t i = 0; i < cfg->n_vips; i++)
		if (addr_eq(&cfg->vips[i].addr, &v->addr))
			return ini_error(c, e->line, "address: %s is already used by vip '%s'",
					 e->value, cfg->vips[i].name);
	return 0;
}

static int vip_interface(const struct ini_ctx *c, const struct ini_key *k,
			 const struct ini_entry *e, void *obj)
{
	struct cfg_vip *v = obj;
	const char *s = e->value;

	if (strlen(s) >= sizeof(v->interface))
		return ini_error(c, e->line, "interface: '%.64s' is too long (max %zu characters)",
				 s, sizeof(v->interface) - 1);
	if (!strcmp(s, ".") || !strcmp(s, "..") || strpbrk(s, "/: \t"))
		return ini_error(c, e->line, "interface: '%s' is not a valid interface name", s);
	strcpy(v->interface, s);
	return 0;
}

/* clang-format off */
static const struct ini_key vip_keys[] = {
	{.name = "address", .type = INI_T_FN, .fn = vip_address, .required = true},
	{.name = "interface", .type = INI_T_FN, .fn = vip_interface, .required = true},
	{.name = "garp-count", .type = INI_T_UINT, INI_FIELD(struct cfg_vip, garp_count), .min = 1,
	 .max = 100},
	{.name = "garp-interval", .type = INI_T_MS, INI_FIELD(struct cfg_vip, garp_interval_ms),
	 .min = 10, .max = 10000},
	{.name = "garp-repeat-after", .type = INI_T_MS, INI_FIELD(struct cfg_vip,
	 garp_repeat_after_ms),
	 .min = 100, .max = 60000, .zero_ok = true},
	{.name = "garp-refresh", .type = INI_T_MS, INI_FIELD(struct cfg_vip, garp_refresh_ms),
	 .min = 1000, .max = 3600000, .zero_ok = true},
	{.name = NULL},
};
/* clang-format on */

int config_parse_vip(const struct ini_ctx *c, const struct ini_section *s)
{
	struct kcw_config *cfg = c->user;
	struct cfg_vip *v;
	int rc;

	if (cfg->n_vips == CFG_MAX_VIPS)
		return ini_error(c, s->hdr->line, "too many [vip] sections (at most %d)",
				 CFG_MAX_VIPS);
	v = &cfg->vips[cfg->n_vips];
	memset(v, 0, sizeof(*v));
	strcpy(v->name, s->hdr->value);
	v->line = s->hdr->line;
	v->garp_count = 5;
	v->garp_interval_ms = 100;
	v->garp_repeat_after_ms = 2000;
	v->garp_refresh_ms = 60000;
	rc = ini_apply(c, s, vip_keys, v);
	if (rc < 0)
		return rc;
	cfg->n_vips++;
	return 0;
}

/* --- [backend NAME] ----------------------------------------------------------- */

static int backend_url(const struct ini_ctx *c, const struct ini_key *k, const struct ini_entry *e,
		       void *obj)
{
	struct cfg_backend *b = obj;
	const char *v = e->value, *host;

	if (!strncmp(v, "https://", 8))
		host = v + 8;
	else if (!strncmp(v, "http://", 7))
		host = v + 7;
	else
		return ini_error(c, e->line, "url: '%.64s' must start with https:// or http://", v);
	if (!*host || *host == '/' || *host == ':')
		return ini_error(c, e->line, "url: '%.64s' has no host", v);
	if (strpbrk(v, " \t"))
		return ini_error(c, e->line, "url: '%.64s' contains whitespace", v);
	if (strlen(v) >= sizeof(b->url))
		return ini_error(c, e->line, "url: '%.64s' is too long (max %zu characters)", v,
				 sizeof(b->url) - 1);
	strcpy(b->url, v);
	return 0;
}

static int backend_connect_to(const struct ini_ctx *c, const struct ini_key *k,
			      const struct ini_entry *e, void *obj)
{
	struct cfg_backend *b = obj;

	if (addr_parse_hostport(e->value, &b->connect_addr, &b->connect_port) < 0)
		return ini_error(c, e->line,
				 "connect-to: '%s' is not ADDR:PORT (use [ADDR]:PORT for IPv6)",
				 e->value);
	b->has_connect_to = true;
	return 0;
}

/* clang-format off */
static const struct ini_key backend_keys[] = {
	{.name = "url", .type = INI_T_FN, .fn = backend_url, .required = true},
	{.name = "connect-to", .type = INI_T_FN, .fn = backend_connect_to},
	{.name = "ca-file", .type = INI_T_PATH, INI_FIELD(struct cfg_backend, ca_file)},
	{.name = "client-cert", .type = INI_T_PATH, INI_FIELD(struct cfg_backend, client_cert)},
	{.name = "client-key", .type = INI_T_PATH, INI_FIELD(struct cfg_backend, client_key)},
	{.name = "expect-status", .type = INI_T_LONG, INI_FIELD(struct cfg_backend, expect_status),
	 .min = 100, .max = 599},
	{.name = "expect-json-status", .type = INI_T_STR,
	 INI_FIELD(struct cfg_backend, expect_json_status)},
	{.name = "expect-body", .type = INI_T_STR, INI_FIELD(struct cfg_backend, expect_body)},
	{.name = "interval", .type = INI_T_MS, INI_FIELD(struct cfg_backend, interval_ms),
	 .min = 100, .max = 600000},
	{.name = "timeout", .type = INI_T_MS, INI_FIELD(struct cfg_backend, timeout_ms), .min = 10,
	 .max = 60000},
	{.name = "rise", .type = INI_T_UINT, INI_FIELD(struct cfg_backend, rise), .min = 1,
	 .max = 100},
	{.name = "fall", .type = INI_T_UINT, INI_FIELD(struct cfg_backend, fall), .min = 1,
	 .max = 100},
	{.name = "haproxy-server", .type = INI_T_FN, INI_FIELD(struct cfg_backend, haproxy_server),
	 .fn = config_key_name},
	{.name = NULL},
};
/* clang-format on */

/* Keys that must not both be set (a) or must be set together (b). */
static int backend_pairs(const struct ini_ctx *c, const struct ini_section *s)
{
	const struct ini_entry *json = ini_find_key(s, "expect-json-status");
	const struct ini_entry *body = ini_find_key(s, "expect-body");
	const struct ini_entry *cert = ini_find_key(s, "client-cert");
	const struct ini_entry *key = ini_find_key(s, "client-key");
	char label[160];

	if (json && body) {
		const struct ini_entry *later = json->line > body->line ? json : body;
		const struct ini_entry *first = later == json ? body : json;

		return ini_error(c, later->line, "%s: cannot be combined with %s (line %d)",
				 later->key, first->key, first->line);
	}
	ini_label(s->hdr, label, sizeof(label));
	if (cert && !key)
		return ini_error(c, cert->line,
				 "client-cert is set but client-key is missing in %s", label);
	if (key && !cert)
		return ini_error(c, key->line, "client-key is set but client-cert is missing in %s",
				 label);
	return 0;
}

static int backend_check(const struct ini_ctx *c, const struct ini_section *s,
			 struct cfg_backend *b)
{
	const struct kcw_config *cfg = c->user;
	const struct ini_entry *e;
	char t[32], i[32];
	int rc = backend_pairs(c, s);

	if (rc < 0)
		return rc;
	if (!ini_find_key(s, "expect-json-status") && !ini_find_key(s, "expect-body"))
		strcpy(b->expect_json_status, "UP");
	if (b->timeout_ms >= b->interval_ms) {
		e = ini_find_key(s, "timeout");
		e = e ? e : ini_find_key(s, "interval");
		return ini_error(c, e ? e->line : s->hdr->line,
				 "timeout: %s must be shorter than interval (%s)",
				 ini_fmt_ms(b->timeout_ms, t, sizeof(t)),
				 ini_fmt_ms(b->interval_ms, i, sizeof(i)));
	}
	e = ini_find_key(s, "haproxy-server");
	for (size_t j = 0; e && j < cfg->n_backends; j++)
		if (!strcmp(cfg->backends[j].haproxy_server, b->haproxy_server))
			return ini_error(c, e->line,
					 "haproxy-server: '%s' is already used by backend '%s'",
					 b->haproxy_server, cfg->backends[j].name);
	return 0;
}

int config_parse_backend(const struct ini_ctx *c, const struct ini_section *s)
{
	struct kcw_config *cfg = c->user;
	struct cfg_backend *b;
	int rc;

	if (cfg->n_backends == CFG_MAX_BACKENDS)
		return ini_error(c, s->hdr->line, "too many [backend] sections (at most %d)",
				 CFG_MAX_BACKENDS);
	b = &cfg->backends[cfg->n_backends];
	memset(b, 0, sizeof(*b));
	strcpy(b->name, s->hdr->value);
	b->line = s->hdr->line;
	b->expect_status = 200;
	b->interval_ms = 2000;
	b->timeout_ms = 1000;
	b->rise = 2;
	b->fall = 3;
	rc = ini_apply(c, s, backend_keys, b);
	if (rc == 0)
		rc = backend_check(c, s, b);
	if (rc < 0)
		return rc;
	cfg->n_backends++;
	return 0;
}

/* --- [backends] --------------------------------------------------------------- */

static int backends_failback(const struct ini_ctx *c, const struct ini_key *k,
			     const struct ini_entry *e, void *obj)
{
	struct cfg_backends *o = obj;
	const char *v = e->value, *d;
	unsigned long long ms;
	int rc;

	if (!strcmp(v, "never") || !strcmp(v, "immediate")) {
		o->failback = v[0] == 'n' ? FAILBACK_NEVER : FAILBACK_IMMEDIATE;
		o->failback_after_ms = 0;
		return 0;
	}
	if (strncmp(v, "after", 5) || !isspace((unsigned char)v[5]))
		return ini_error(c, e->line,
				 "failback: '%s' is not 'after DURATION', 'never' or 'immediate'",
				 v);
	for (d = v + 5; isspace((unsigned char)*d); d++)
		;
	rc = ini_parse_ms(d, &ms);
	if (rc == -EDOM)
		return ini_error(c, e->line, "failback: '%s' needs a unit (ms, s or m)", d);
	if (rc == -EINVAL)
		return ini_error(c, e->line, "failback: '%s' is not a duration (e.g. 30s, 5m)", d);
	if (rc < 0 || ms < 1000 || ms > 86400000)
		return ini_error(c, e->line, "failback: after %s is out of range (1s..1440m)", d);
	o->failback = FAILBACK_AFTER;
	o->failback_after_ms = (uint32_t)ms;
	return 0;
}

/* clang-format off */
static const struct ini_key backends_keys[] = {
	{.name = "failback", .type = INI_T_FN, .fn = backends_failback},
	{.name = "haproxy-socket", .type = INI_T_ABSPATH,
	 .off = offsetof(struct cfg_backends, haproxy_socket), .size = SUN_PATH_SIZE},
	{.name = "haproxy-backend", .type = INI_T_FN, INI_FIELD(struct cfg_backends,
	 haproxy_backend),
	 .fn = config_key_name},
	{.name = NULL},
};
/* clang-format on */

int config_parse_backends(const struct ini_ctx *c, const struct ini_section *s)
{
	struct kcw_config *cfg = c->user;
	const struct ini_entry *sock;
	int rc;

	rc = ini_apply(c, s, backends_keys, &cfg->backends_opt);
	if (rc < 0)
		return rc;
	sock = ini_find_key(s, "haproxy-socket");
	if (sock && !ini_find_key(s, "haproxy-backend"))
		return ini_error(
		    c, sock->line,
		    "haproxy-socket is set but haproxy-backend is missing in [backends]");
	return 0;
}

/* --- [dns] -------------------------------------------------------------------- */

static bool valid_domain(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n == 0 || n > 253)
		return false;
	for (; *s; s++) {
		if (*s == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (isalnum((unsigned char)*s) || *s == '-' || *s == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0;
}

/* A domain name, stored without its trailing dot. */
static int dns_domain(const struct ini_ctx *c, const struct ini_key *k, const struct ini_entry *e,
		      void *obj)
{
	char buf[256];
	size_t n = strlen(e->value);

	if (n >= sizeof(buf) || n >= k->size)
		return ini_error(c, e->line, "%s: '%.64s' is not a valid domain name", k->name,
				 e->value);
	strcpy(buf, e->value);
	if (n > 1 && buf[n - 1] == '.')
		buf[n - 1] = '\0';
	if (!valid_domain(buf))
		return ini_error(c, e->line, "%s: '%s' is not a valid domain name", k->name,
				 e->value);
	strcpy((char *)obj + k->off, buf);
	return 0;
}

static int dns_server(const struct ini_ctx *c, const struct ini_key *k, const struct ini_entry *e,
		      void *obj)
{
	struct cfg_dns *d = obj;

	if (addr_parse(e->value, &d->server) < 0)
		return ini_error(c, e->line, "server: '%s' is not an IPv4 or IPv6 address",
				 e->value);
	return 0;
}

static int dns_target(const struct ini_ctx *c, const struct ini_key *k, const struct ini_entry *e,
		      void *obj)
{
	struct cfg_dns *d = obj;

	if (!strcmp(e->value, "vip"))
		d->target = DNS_TARGET_VIP;
	else if (!strcmp(e->value, "self"))
		d->target = DNS_TARGET_SELF;
	else if (!strcmp(e->value, "backend"))
		d->target = DNS_TARGET_BACKEND;
	else
		return ini_error(c, e->line, "target: '%s' is not 'vip', 'self' or 'backend'",
				 e->value);
	return 0;
}

/* clang-format off */
static const struct ini_key dns_keys[] = {
	{.name = "server", .type = INI_T_FN, .fn = dns_server, .required = true},
	{.name = "port", .type = INI_T_U16, INI_FIELD(struct cfg_dns, port), .min = 1,
	 .max = 65535},
	{.name = "zone", .type = INI_T_FN, INI_FIELD(struct cfg_dns, zone), .fn = dns_domain,
	 .required = true},
	{.name = "name", .type = INI_T_FN, INI_FIELD(struct cfg_dns, name), .fn = dns_domain,
	 .required = true},
	{.name = "ttl", .type = INI_T_UINT, INI_FIELD(struct cfg_dns, ttl), .min = 1, .max = 86400},
	{.name = "target", .type = INI_T_FN, .fn = dns_target},
	{.name = "tsig-key-file", .type = INI_T_PATH, INI_FIELD(struct cfg_dns, tsig_key_file),
	 .required = true},
	{.name = "fence", .type = INI_T_BOOL, INI_FIELD(struct cfg_dns, fence)},
	{.name = "fence-renew", .type = INI_T_MS, INI_FIELD(struct cfg_dns, fence_renew_ms),
	 .min = 1000, .max = 3600000},
	{.name = "timeout", .type = INI_T_MS, INI_FIELD(struct cfg_dns, timeout_ms), .min = 100,
	 .max = 30000},
	{.name = NULL},
};
/* clang-format on */

static bool in_zone(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);

	if (n < z || strcasecmp(name + n - z, zone))
		return false;
	return n == z || name[n - z - 1] == '.';
}

int config_parse_dns(const struct ini_ctx *c, const struct ini_section *s)
{
	struct kcw_config *cfg = c->user;
	struct cfg_dns *d = &cfg->dns;
	int rc;

	rc = ini_apply(c, s, dns_keys, d);
	if (rc < 0)
		return rc;
	if (!in_zone(d->name, d->zone))
		return ini_error(c, ini_find_key(s, "name")->line,
				 "name: '%s' is not inside zone '%s'", d->name, d->zone);
	d->enabled = true;
	cfg->tsig_key_line = ini_find_key(s, "tsig-key-file")->line;
	return 0;
}

int config_check_tsig_key(const struct kcw_config *cfg, char *err, size_t errlen)
{
	char path[PATH_MAX], why[CFG_ERR_MAX];
	struct tsig_key k;
	int rc;

	if (!cfg->dns.enabled || !cfg->dns.tsig_key_file[0])
		return 0;
	keyfile_credential(cfg->dns.tsig_key_file, path, sizeof(path));
	rc = tsigkey_load(path, &k, why, sizeof(why));
	tsigkey_clear(&k);
	if (rc < 0)
		snprintf(err, errlen, "%.200s:%d: tsig-key-file %s", cfg->path, cfg->tsig_key_line,
			 why);
	return rc;
}

/* --- [hooks] and [metrics] ---------------------------------------------------- */

/* clang-format off */
static const struct ini_key hooks_keys[] = {
	{.name = "on-leader", .type = INI_T_ABSPATH, INI_FIELD(struct kcw_config, hook_on_leader)},
	{.name = "on-follower", .type = INI_T_ABSPATH, INI_FIELD(struct kcw_config,
	 hook_on_follower)},
	{.name = "on-fault", .type = INI_T_ABSPATH, INI_FIELD(struct kcw_config, hook_on_fault)},
	{.name = "on-backend-change", .type = INI_T_ABSPATH,
	 INI_FIELD(struct kcw_config, hook_on_backend_change)},
	{.name = NULL},
};
/* clang-format on */

int config_parse_hooks(const struct ini_ctx *c, const struct ini_section *s)
{
	return ini_apply(c, s, hooks_keys, c->user);
}

static int metrics_listen(const struct ini_ctx *c, const struct ini_key *k,
			  const struct ini_entry *e, void *obj)
{
	struct kcw_config *cfg = obj;

	if (addr_parse_hostport(e->value, &cfg->metrics_addr, &cfg->metrics_port) < 0)
		return ini_error(c, e->line,
				 "listen: '%s' is not ADDR:PORT (use [ADDR]:PORT for IPv6)",
				 e->value);
	cfg->has_metrics = true;
	return 0;
}

/* clang-format off */
static const struct ini_key metrics_keys[] = {
	{.name = "listen", .type = INI_T_FN, .fn = metrics_listen, .required = true},
	{.name = NULL},
};
/* clang-format on */

int config_parse_metrics(const struct ini_ctx *c, const struct ini_section *s)
{
	return ini_apply(c, s, metrics_keys, c->user);
}

/* --- defaults and checks across sections -------------------------------------- */

void config_svc_defaults(struct kcw_config *cfg)
{
	cfg->backends_opt.failback = FAILBACK_AFTER;
	cfg->backends_opt.failback_after_ms = 300000;
	cfg->dns.port = 53;
	cfg->dns.ttl = 30;
	cfg->dns.target = DNS_TARGET_VIP;
	cfg->dns.fence = true;
	cfg->dns.fence_renew_ms = 10000;
	cfg->dns.timeout_ms = 2000;
}

/* A VIP must be an address of its own, not one of a node. */
static int check_vips(const struct ini_ctx *c, const struct ini_file *f)
{
	const struct kcw_config *cfg = c->user;
	struct ini_section s;
	const struct ini_entry *e;

	for (size_t i = 0; i < cfg->n_vips; i++) {
		int idx = -1;

		for (size_t j = 0; j < cfg->n_nodes && idx < 0; j++)
			if (addr_eq(&cfg->vips[i].addr, &cfg->nodes[j].addr))
				idx = (int)j;
		if (idx < 0)
			continue;
		ini_find_section(f, "vip", cfg->vips[i].name, &s);
		e = ini_find_key(&s, "address");
		return ini_error(c, e->line, "address: %s is the address of node '%s'", e->value,
				 cfg->nodes[idx].name);
	}
	return 0;
}

/* target = vip needs a [vip], target = backend a [backend]. */
static int check_dns_target(const struct ini_ctx *c, const struct ini_file *f)
{
	const struct kcw_config *cfg = c->user;
	struct ini_section s;
	const struct ini_entry *e;
	int line;

	if (!cfg->dns.enabled || ini_find_section(f, "dns", NULL, &s) < 0)
		return 0;
	e = ini_find_key(&s, "target");
	line = e ? e->line : s.hdr->line;
	if (cfg->dns.target == DNS_TARGET_VIP && cfg->n_vips == 0)
		return ini_error(c, line, "target: 'vip'%s needs at least one [vip] section",
				 e ? "" : " (the default)");
	if (cfg->dns.target == DNS_TARGET_BACKEND && cfg->n_backends == 0)
		return ini_error(c, line, "target: 'backend' needs at least one [backend] section");
	return 0;
}

int config_svc_check(const struct ini_ctx *c, const struct ini_file *f)
{
	int rc = check_vips(c, f);

	return rc < 0 ? rc : check_dns_target(c, f);
}
