/* SPDX-License-Identifier: MIT */
/* config_etcd.c: [cluster] keys of the etcd coordinator and their checks. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ini.h"
#include "strutil.h"

static int set_endpoints(const struct ini_ctx *c, const struct ini_entry *e, struct cfg_etcd *x)
{
	char buf[INI_LINE_MAX + 1], *save = NULL, *tok;

	str_copy(buf, sizeof(buf), e->value);
	x->n_endpoints = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t n;

		while (*tok == ' ' || *tok == '\t')
			tok++;
		n = strlen(tok);
		while (n && (tok[n - 1] == ' ' || tok[n - 1] == '\t'))
			tok[--n] = '\0';
		while (n && tok[n - 1] == '/')
			tok[--n] = '\0';
		if (strncmp(tok, "http://", 7) && strncmp(tok, "https://", 8))
			return ini_error(
			    c, e->line,
			    "etcd-endpoints: '%.128s' is not an http:// or https:// URL", tok);
		if (strlen(tok) <= 8 || n >= CFG_URL_MAX || strpbrk(tok + 8, "/?# "))
			return ini_error(c, e->line,
					 "etcd-endpoints: '%.128s' is not SCHEME://HOST:PORT", tok);
		if (x->n_endpoints == CFG_ETCD_MAX_ENDPOINTS)
			return ini_error(c, e->line, "etcd-endpoints: at most %d endpoints",
					 CFG_ETCD_MAX_ENDPOINTS);
		str_copy(x->endpoints[x->n_endpoints++], CFG_URL_MAX, tok);
	}
	if (!x->n_endpoints)
		return ini_error(c, e->line, "etcd-endpoints: no endpoint given");
	return 0;
}

static int set_prefix(const struct ini_ctx *c, const struct ini_entry *e, struct cfg_etcd *x)
{
	size_t n = strlen(e->value);

	if (e->value[0] != '/' || n < 2 || e->value[n - 1] == '/' || n >= sizeof(x->prefix) - 16)
		return ini_error(c, e->line,
				 "etcd-prefix: '%.128s' must start with / and not end with / "
				 "(e.g. /kcwatch/kc)",
				 e->value);
	str_copy(x->prefix, sizeof(x->prefix), e->value);
	return 0;
}

int config_etcd_key(const struct ini_ctx *c, const struct ini_key *k, const struct ini_entry *e,
		    void *obj)
{
	struct kcw_config *cfg = obj;
	const char *v = e->value;

	if (!strcmp(k->name, "etcd-endpoints"))
		return set_endpoints(c, e, &cfg->etcd);
	if (!strcmp(k->name, "etcd-prefix"))
		return set_prefix(c, e, &cfg->etcd);
	if (!strcmp(k->name, "coordinator")) {
		if (strcmp(v, "heartbeat") && strcmp(v, "etcd"))
			return ini_error(c, e->line,
					 "coordinator: '%.64s' is not 'heartbeat' or 'etcd'", v);
		cfg->coordinator = strcmp(v, "etcd") ? COORD_HEARTBEAT : COORD_ETCD;
		return 0;
	}
	if (strcmp(v, "release") && strcmp(v, "keep")) /* etcd-lost */
		return ini_error(c, e->line, "etcd-lost: '%.64s' is not 'release' or 'keep'", v);
	cfg->etcd.lost_keep = !strcmp(v, "keep");
	return 0;
}

static const char *const etcd_only[] = {
    "etcd-endpoints",	  "etcd-ca-file", "etcd-client-cert", "etcd-client-key", "etcd-username",
    "etcd-password-file", "etcd-prefix",  "lease-ttl",	      "etcd-lost",	 NULL,
};

/* One key of a pair without the other: "A needs B". */
static int check_pair(const struct ini_ctx *c, const struct ini_section *cl, const char *a,
		      const char *b)
{
	const struct ini_entry *ea = ini_find_key(cl, a), *eb = ini_find_key(cl, b);

	if (ea && !eb)
		return ini_error(c, ea->line, "%s needs %s as well", a, b);
	if (eb && !ea)
		return ini_error(c, eb->line, "%s needs %s as well", b, a);
	return 0;
}

static int read_password(const struct ini_ctx *c, const struct ini_entry *e, struct cfg_etcd *x)
{
	FILE *f = fopen(x->password_file, "re");
	size_t n;

	if (!f)
		return ini_error(c, e->line, "etcd-password-file: cannot read %s: %s",
				 x->password_file, strerror(errno));
	if (!fgets(x->password, sizeof(x->password), f))
		x->password[0] = '\0';
	fclose(f);
	n = strcspn(x->password, "\r\n");
	x->password[n] = '\0';
	if (!n) {
		OPENSSL_cleanse(x->password, sizeof(x->password));
		return ini_error(c, e->line, "etcd-password-file: %s is empty", x->password_file);
	}
	return 0;
}

static int check_ttl(const struct ini_ctx *c, const struct ini_section *cl, struct cfg_etcd *x)
{
	const struct ini_entry *e = ini_find_key(cl, "lease-ttl");
	char buf[32];

	if (!e)
		return 0;
	if (x->lease_ttl_ms % 1000)
		return ini_error(c, e->line,
				 "lease-ttl: %s is not a whole number of seconds (etcd leases "
				 "count seconds)",
				 e->value);
	if (x->lease_ttl_ms < CFG_ETCD_TTL_FLOOR_MS)
		return ini_error(c, e->line,
				 "lease-ttl: %s is below etcd's floor of %s (etcd raises a "
				 "shorter lease to 1.5 x its election timeout)",
				 e->value, ini_fmt_ms(CFG_ETCD_TTL_FLOOR_MS, buf, sizeof(buf)));
	return 0;
}

static int check_etcd(const struct ini_ctx *c, const struct ini_section *cl, struct kcw_config *cfg)
{
	const struct ini_entry *co = ini_find_key(cl, "coordinator"), *e;
	struct cfg_etcd *x = &cfg->etcd;

	if (!ini_find_key(cl, "etcd-endpoints"))
		return ini_error(c, co->line, "coordinator = etcd needs etcd-endpoints");
	if ((e = ini_find_key(cl, "witness")) || (e = ini_find_key(cl, "tie-breaker")))
		return ini_error(c, e->line,
				 "%s: not used with coordinator = etcd (etcd decides who leads)",
				 e->key);
	if (check_pair(c, cl, "etcd-client-cert", "etcd-client-key") < 0 ||
	    check_pair(c, cl, "etcd-username", "etcd-password-file") < 0 || check_ttl(c, cl, x) < 0)
		return -EINVAL;
	if (!x->prefix[0])
		snprintf(x->prefix, sizeof(x->prefix), "/kcwatch/%s", cfg->cluster_name);
	if ((e = ini_find_key(cl, "etcd-password-file")))
		return read_password(c, e, x);
	return 0;
}

int config_etcd_check(const struct ini_ctx *c, const struct ini_file *f,
		      const struct ini_section *cl)
{
	struct kcw_config *cfg = c->user;
	const struct ini_entry *e;

	if (cfg->coordinator == COORD_ETCD)
		return check_etcd(c, cl, cfg);
	for (size_t i = 0; etcd_only[i]; i++)
		if ((e = ini_find_key(cl, etcd_only[i])))
			return ini_error(c, e->line, "%s: only used with coordinator = etcd",
					 e->key);
	return 0;
}

void config_etcd_defaults(struct kcw_config *cfg)
{
	cfg->coordinator = COORD_HEARTBEAT;
	cfg->etcd.lease_ttl_ms = 5000;
}
