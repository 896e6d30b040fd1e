/* SPDX-License-Identifier: MIT */
/* config.c: loading the config file: [cluster] and [node] sections, cross-checks and digest. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "hmac.h"
#include "ini.h"
#include "keyfile.h"
#include "nodestate.h"

#define DEFAULT_CONTROL_SOCKET "/run/kcwatch/kcwatchd.sock"
#define KEY_MIN		       32 /* decoded bytes of the shared secret */
#define SUN_PATH_SIZE	       sizeof(((struct sockaddr_un *)0)->sun_path)

bool config_valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n >= CFG_NAME_MAX || s[0] == '-')
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

int config_key_name(const struct ini_ctx *c, const struct ini_key *k, const struct ini_entry *e,
		    void *obj)
{
	if (e->value[0] == '-')
		return ini_error(c, e->line, "%s: '%.64s' starts with '-' (" CONFIG_NAME_DASH ")",
				 k->name, e->value);
	if (!config_valid_name(e->value) || strlen(e->value) >= k->size)
		return ini_error(c, e->line,
				 "%s: '%.64s' is not a valid name (" CONFIG_NAME_RULE ")", k->name,
				 e->value);
	strcpy((char *)obj + k->off, e->value);
	return 0;
}

/* --- [cluster] ---------------------------------------------------------------- */

static int cluster_tie_breaker(const struct ini_ctx *c, const struct ini_key *k,
			       const struct ini_entry *e, void *obj)
{
	struct kcw_config *cfg = obj;

	if (addr_parse(e->value, &cfg->tie_breaker) < 0)
		return ini_error(c, e->line, "tie-breaker: '%s' is not an IPv4 or IPv6 address",
				 e->value);
	cfg->has_tie_breaker = true;
	return 0;
}

/* clang-format off */
static const struct ini_key cluster_keys[] = {
	{.name = "name", .type = INI_T_FN, INI_FIELD(struct kcw_config, cluster_name),
	 .fn = config_key_name, .required = true},
	{.name = "port", .type = INI_T_U16, INI_FIELD(struct kcw_config, port), .min = 1,
	 .max = 65535},
	{.name = "interval", .type = INI_T_MS, INI_FIELD(struct kcw_config, interval_ms), .min = 10,
	 .max = 60000},
	{.name = "dead-after", .type = INI_T_UINT, INI_FIELD(struct kcw_config, dead_after),
	 .min = 2, .max = 100},
	{.name = "key-file", .type = INI_T_PATH, INI_FIELD(struct kcw_config, key_file),
	 .required = true},
	{.name = "preempt", .type = INI_T_BOOL, INI_FIELD(struct kcw_config, preempt)},
	{.name = "preempt-delay", .type = INI_T_MS, INI_FIELD(struct kcw_config, preempt_delay_ms),
	 .min = 0, .max = 3600000},
	{.name = "control-socket", .type = INI_T_ABSPATH,
	 .off = offsetof(struct kcw_config, control_socket), .size = SUN_PATH_SIZE},
	{.name = "status-socket", .type = INI_T_ABSPATH,
	 .off = offsetof(struct kcw_config, status_socket), .size = SUN_PATH_SIZE},
	{.name = "witness", .type = INI_T_FN, INI_FIELD(struct kcw_config, witness),
	 .fn = config_key_name},
	{.name = "tie-breaker", .type = INI_T_FN, .fn = cluster_tie_breaker},
	{.name = "state-dir", .type = INI_T_ABSPATH, INI_FIELD(struct kcw_config, state_dir)},
	{.name = "realtime", .type = INI_T_BOOL, INI_FIELD(struct kcw_config, realtime)},
	CONFIG_ETCD_KEYS
	{.name = NULL},
};
/* clang-format on */

static int parse_cluster(const struct ini_ctx *c, const struct ini_section *s)
{
	return ini_apply(c, s, cluster_keys, c->user);
}

/* --- [node NAME] -------------------------------------------------------------- */

static const char *family_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

static int node_address(const struct ini_ctx *c, const struct ini_key *k, const struct ini_entry *e,
			void *obj)
{
	const struct kcw_config *cfg = c->user;
	struct cfg_node *n = obj;

	if (addr_parse(e->value, &n->addr) < 0)
		return ini_error(c, e->line, "address: '%s' is not an IPv4 or IPv6 address",
				 e->value);
	for (size_t i = 0; i < cfg->n_nodes; i++) {
		const struct cfg_node *o = &cfg->nodes[i];

		if (addr_eq(&o->addr, &n->addr))
			return ini_error(c, e->line, "address: %s is already used by node '%s'",
					 e->value, o->name);
		if (o->addr.family != n->addr.family)
			return ini_error(c, e->line,
					 "address: %s is %s but node '%s' is %s (all nodes must "
					 "share one address family)",
					 e->value, family_name(n->addr.family), o->name,
					 family_name(o->addr.family));
	}
	return 0;
}

static int node_role(const struct ini_ctx *c, const struct ini_key *k, const struct ini_entry *e,
		     void *obj)
{
	struct cfg_node *n = obj;

	if (!strcmp(e->value, "witness"))
		n->kind = NODE_KIND_WITNESS;
	else if (!strcmp(e->value, "peer"))
		n->kind = NODE_KIND_PEER;
	else
		return ini_error(c, e->line, "role: '%s' is not 'peer' or 'witness'", e->value);
	return 0;
}

/* clang-format off */
static const struct ini_key node_keys[] = {
	{.name = "address", .type = INI_T_FN, .fn = node_address, .required = true},
	{.name = "priority", .type = INI_T_INT, INI_FIELD(struct cfg_node, priority), .min = 1,
	 .max = 254},
	{.name = "role", .type = INI_T_FN, .fn = node_role},
	{.name = NULL},
};
/* clang-format on */

static int parse_node(const struct ini_ctx *c, const struct ini_section *s)
{
	struct kcw_config *cfg = c->user;
	const struct ini_entry *prio;
	struct cfg_node *n;
	int rc;

	if (cfg->n_nodes == CFG_MAX_NODES)
		return ini_error(c, s->hdr->line, "too many [node] sections (at most %d)",
				 CFG_MAX_NODES);
	n = &cfg->nodes[cfg->n_nodes];
	memset(n, 0, sizeof(*n));
	strcpy(n->name, s->hdr->value);
	n->line = s->hdr->line;
	rc = ini_apply(c, s, node_keys, n);
	if (rc < 0)
		return rc;
	prio = ini_find_key(s, "priority");
	if (n->kind == NODE_KIND_WITNESS && prio)
		return ini_error(c, prio->line,
				 "priority: node '%s' has role = witness and takes no priority",
				 n->name);
	if (n->kind == NODE_KIND_PEER && !prio)
		return ini_error(c, s->hdr->line, "missing key 'priority' in [node %s]", n->name);
	cfg->n_nodes++;
	return 0;
}

/* --- sections ----------------------------------------------------------------- */

struct section_def {
	const char *type;
	bool named;
	int (*parse)(const struct ini_ctx *c, const struct ini_section *s);
};

static const struct section_def sections[] = {
    {"cluster", false, parse_cluster},
    {"node", true, parse_node},
    {"vip", true, config_parse_vip},
    {"backend", true, config_parse_backend},
    {"backends", false, config_parse_backends},
    {"dns", false, config_parse_dns},
    {"hooks", false, config_parse_hooks},
    {"metrics", false, config_parse_metrics},
    {NULL, false, NULL},
};

static const struct section_def *find_section_def(const char *type)
{
	for (const struct section_def *d = sections; d->type; d++)
		if (!strcmp(d->type, type))
			return d;
	return NULL;
}

/* Header rules: a name where needed, none elsewhere, and no repeats. */
static int check_header(const struct ini_ctx *c, const struct ini_file *f, size_t i,
			const struct section_def *d)
{
	const struct ini_entry *h = &f->e[i];

	if (d->named && !h->value)
		return ini_error(c, h->line, "section [%s] needs a name: [%s NAME]", h->key,
				 h->key);
	if (!d->named && h->value)
		return ini_error(c, h->line, "section [%s] takes no name (got '%.64s')", h->key,
				 h->value);
	if (d->named && h->value[0] == '-')
		return ini_error(c, h->line,
				 "invalid %s name '%.64s': it starts with '-' (" CONFIG_NAME_DASH ")",
				 h->key, h->value);
	if (d->named && !config_valid_name(h->value))
		return ini_error(c, h->line, "invalid %s name '%.64s' (" CONFIG_NAME_RULE ")",
				 h->key, h->value);
	for (size_t j = 0; j < i; j++) {
		const struct ini_entry *p = &f->e[j];

		if (p->kind != INI_SECTION || strcmp(p->key, h->key))
			continue;
		if (!d->named)
			return ini_error(c, h->line,
					 "duplicate section [%s] (first defined at line %d)",
					 h->key, p->line);
		if (!strcmp(p->value, h->value))
			return ini_error(c, h->line, "duplicate %s '%s' (first defined at line %d)",
					 h->key, h->value, p->line);
	}
	return 0;
}

static int parse_sections(const struct ini_ctx *c, const struct ini_file *f)
{
	char label[160];
	size_t i = 0;
	int rc;

	if (f->n && f->e[0].kind == INI_KEY)
		return ini_error(c, f->e[0].line, "key '%.64s' is outside of any section",
				 f->e[0].key);
	while (i < f->n) {
		const struct section_def *d = find_section_def(f->e[i].key);
		struct ini_section s;

		if (!d)
			return ini_error(c, f->e[i].line, "unknown section %s",
					 ini_label(&f->e[i], label, sizeof(label)));
		rc = check_header(c, f, i, d);
		if (rc < 0)
			return rc;
		ini_section_at(f, i, &s);
		rc = d->parse(c, &s);
		if (rc < 0)
			return rc;
		i += s.n + 1;
	}
	return 0;
}

/* --- checks across sections --------------------------------------------------- */

static int role_line(const struct ini_file *f, const struct cfg_node *n)
{
	struct ini_section s;
	const struct ini_entry *e;

	if (ini_find_section(f, "node", n->name, &s) < 0)
		return n->line;
	e = ini_find_key(&s, "role");
	return e ? e->line : n->line;
}

static int check_witness(const struct ini_ctx *c, const struct ini_file *f,
			 const struct ini_section *cl)
{
	const struct kcw_config *cfg = c->user;
	const struct ini_entry *w = ini_find_key(cl, "witness");
	int idx;

	if (w) {
		idx = config_node_index(cfg, cfg->witness);
		if (idx < 0)
			return ini_error(c, w->line, "witness: there is no [node %s]",
					 cfg->witness);
		if (cfg->nodes[idx].kind != NODE_KIND_WITNESS)
			return ini_error(c, w->line,
					 "witness: node '%s' does not have role = witness",
					 cfg->witness);
	}
	for (size_t i = 0; i < cfg->n_nodes; i++) {
		const struct cfg_node *n = &cfg->nodes[i];

		if (n->kind == NODE_KIND_WITNESS && strcmp(n->name, cfg->witness))
			return ini_error(c, role_line(f, n),
					 "node '%s' has role = witness but [cluster] does not name "
					 "it (witness = %s)",
					 n->name, n->name);
	}
	return 0;
}

static int check_cluster(const struct ini_ctx *c, const struct ini_file *f)
{
	const struct kcw_config *cfg = c->user;
	struct ini_section cl;
	size_t peers = 0;

	if (ini_find_section(f, "cluster", NULL, &cl) < 0)
		return ini_error(c, 0, "missing section [cluster]");
	/* The installed file has none yet: say where the documented example is. */
	if (cfg->n_nodes == 0)
		return ini_error(c, 0,
				 "no [node] sections: see kcwatch.conf(5) and " DOCDIR
				 "/kcwatch.conf.example");
	for (size_t i = 0; i < cfg->n_nodes; i++)
		if (cfg->nodes[i].kind == NODE_KIND_PEER)
			peers++;
	if (peers < 2)
		return ini_error(
		    c, 0, "at least two [node] sections with a priority are needed (found %zu)",
		    peers);
	if (check_witness(c, f, &cl) < 0)
		return -EINVAL;
	return config_etcd_check(c, f, &cl);
}

static int load_key(const struct ini_ctx *c, const struct ini_file *f, struct kcw_config *cfg)
{
	char why[CFG_ERR_MAX];
	struct ini_section cl;
	const struct ini_entry *e;
	int rc;

	if (ini_find_section(f, "cluster", NULL, &cl) < 0 || !(e = ini_find_key(&cl, "key-file")))
		return ini_error(c, 0, "missing key 'key-file' in [cluster]");
	cfg->key_from_credential =
	    keyfile_credential(cfg->key_file, cfg->key_read, sizeof(cfg->key_read));
	rc = keyfile_load(cfg->key_read, cfg->key, cfg->key2, KEY_MIN, CFG_KEY_MAX, &cfg->key_len,
			  &cfg->key2_len, why, sizeof(why));
	if (rc < 0) {
		ini_error(c, e->line, "key-file %s", why);
		return rc;
	}
	cfg->key_id = hmac_key_id(cfg->key, cfg->key_len);
	cfg->key2_id = cfg->key2_len ? hmac_key_id(cfg->key2, cfg->key2_len) : 0;
	return 0;
}

/* --- digest ------------------------------------------------------------------- */

static int digest_str(EVP_MD_CTX *md, const char *s)
{
	return EVP_DigestUpdate(md, s, strlen(s)) == 1 ? 0 : -EIO;
}

/* "[type name]\n" or "key=value\n" for each entry, in file order. */
static int digest_entries(EVP_MD_CTX *md, const struct ini_file *f)
{
	int rc = 0;

	for (size_t i = 0; i < f->n && !rc; i++) {
		const struct ini_entry *e = &f->e[i];

		if (e->kind == INI_SECTION) {
			rc = digest_str(md, "[");
			rc = rc ? rc : digest_str(md, e->key);
			if (e->value) {
				rc = rc ? rc : digest_str(md, " ");
				rc = rc ? rc : digest_str(md, e->value);
			}
			rc = rc ? rc : digest_str(md, "]\n");
		} else {
			rc = digest_str(md, e->key);
			rc = rc ? rc : digest_str(md, "=");
			rc = rc ? rc : digest_str(md, e->value);
			rc = rc ? rc : digest_str(md, "\n");
		}
	}
	return rc;
}

static int compute_digest(const struct ini_ctx *c, const struct ini_file *f, uint8_t out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned len = 0;
	int rc = -EIO;

	if (md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 && !digest_entries(md, f) &&
	    EVP_DigestFinal_ex(md, out, &len) == 1 && len == 32)
		rc = 0;
	EVP_MD_CTX_free(md);
	if (rc)
		ini_error(c, 0, "cannot compute the SHA-256 digest of the configuration");
	return rc;
}

/* --- public ------------------------------------------------------------------- */

static void set_defaults(struct kcw_config *cfg)
{
	cfg->port = 7112;
	cfg->interval_ms = 1000;
	cfg->dead_after = 3;
	cfg->preempt = true;
	cfg->preempt_delay_ms = 0;
	strcpy(cfg->control_socket, DEFAULT_CONTROL_SOCKET);
	strcpy(cfg->state_dir, NODESTATE_DEFAULT_DIR);
	config_svc_defaults(cfg);
	config_etcd_defaults(cfg);
}

static int load_into(struct ini_ctx *c, struct kcw_config *cfg)
{
	struct ini_file f = {0};
	int rc;

	rc = ini_read(c, &f);
	if (!rc)
		rc = parse_sections(c, &f);
	if (!rc)
		rc = check_cluster(c, &f);
	if (!rc)
		rc = config_svc_check(c, &f);
	if (!rc)
		rc = load_key(c, &f, cfg);
	if (!rc)
		rc = compute_digest(c, &f, cfg->digest);
	ini_free(&f);
	return rc;
}

int config_load(const char *path, struct kcw_config **out, char *err, size_t errlen)
{
	struct ini_ctx c = {.path = path, .err = err, .errlen = errlen};
	struct kcw_config *cfg;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (strlen(path) >= sizeof(cfg->path))
		return ini_error(&c, 0, "path is too long");
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		ini_error(&c, 0, "out of memory");
		return -ENOMEM;
	}
	c.user = cfg;
	strcpy(cfg->path, path);
	set_defaults(cfg);
	rc = load_into(&c, cfg);
	if (rc < 0) {
		config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

void config_free(struct kcw_config *cfg)
{
	if (!cfg)
		return;
	OPENSSL_cleanse(cfg->key, sizeof(cfg->key));
	OPENSSL_cleanse(cfg->key2, sizeof(cfg->key2));
	OPENSSL_cleanse(cfg->etcd.password, sizeof(cfg->etcd.password));
	free(cfg);
}

int config_node_index(const struct kcw_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_nodes; i++)
		if (!strcmp(cfg->nodes[i].name, name))
			return (int)i;
	return -1;
}
