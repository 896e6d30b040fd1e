/* SPDX-License-Identifier: MIT */
/* ini.h: a small generic INI reader with typed, table-driven key handling. */
#ifndef KCW_INI_H
#define KCW_INI_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define INI_LINE_MAX 4096 /* longest accepted line, without the newline */

enum ini_kind { INI_SECTION = 0, INI_KEY = 1 };

/* One meaningful line: "[type name]" or "key = value", comments stripped. */
struct ini_entry {
	enum ini_kind kind;
	int line;    /* 1-based line number */
	char *key;   /* section type, or key */
	char *value; /* section name (NULL when none), or value ("" allowed) */
};

struct ini_file {
	struct ini_entry *e;
	size_t n;
	size_t cap;
};

/* A section header and the key entries that follow it. */
struct ini_section {
	const struct ini_entry *hdr;
	const struct ini_entry *keys;
	size_t n;
};

/* Where messages go: "PATH:LINE: reason" (or "PATH: reason") into err. */
struct ini_ctx {
	const char *path;   /* the file, as named by the caller */
	char dir[PATH_MAX]; /* its absolute directory, set by ini_read */
	char *err;
	size_t errlen;
	void *user; /* the object being filled, for custom handlers */
};

/*
 * Reads c->path into f (zeroed by the caller). 0, or a negative errno with a
 * message in c->err: I/O errors and lines that are neither a header, a key
 * or a comment.
 */
int ini_read(struct ini_ctx *c, struct ini_file *f);
void ini_free(struct ini_file *f);

/* Formats "PATH:LINE: reason" (line > 0) or "PATH: reason"; returns -EINVAL. */
int ini_error(const struct ini_ctx *c, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "[type name]" or "[type]" into buf; returns buf. */
const char *ini_label(const struct ini_entry *hdr, char *buf, size_t len);
/* The section whose header is f->e[i]. */
void ini_section_at(const struct ini_file *f, size_t i, struct ini_section *s);
/* The first section of that type (and name, unless NULL). 0 or -ENOENT. */
int ini_find_section(const struct ini_file *f, const char *type, const char *name,
		     struct ini_section *out);
/* The entry for key in s, or NULL. */
const struct ini_entry *ini_find_key(const struct ini_section *s, const char *key);

/* "200ms", "2s", "5m" or a bare "0" into milliseconds. 0; -EDOM for a bare
 * number other than 0 (it needs a unit); -ERANGE on overflow; else -EINVAL. */
int ini_parse_ms(const char *v, unsigned long long *ms);
/* Formats milliseconds the way a person would write them: 200ms, 2s, 60s, 5m. */
const char *ini_fmt_ms(unsigned long long ms, char *buf, size_t len);
/* Joins a relative path to c->dir; absolute paths are copied. 0 or -ENAMETOOLONG. */
int ini_resolve_path(const struct ini_ctx *c, const char *p, char *out, size_t len);

enum ini_type {
	INI_T_STR,     /* char[size] */
	INI_T_PATH,    /* char[size]; relative to the file's directory */
	INI_T_ABSPATH, /* char[size]; must be absolute */
	INI_T_U16,     /* uint16_t in min..max */
	INI_T_UINT,    /* unsigned int in min..max */
	INI_T_INT,     /* int in min..max */
	INI_T_LONG,    /* long in min..max */
	INI_T_MS,      /* uint32_t milliseconds in min..max (or 0 when zero_ok) */
	INI_T_BOOL,    /* bool: yes/no, true/false, on/off, 1/0 */
	INI_T_FN,      /* handled by fn */
};

struct ini_key {
	const char *name;
	enum ini_type type;
	size_t off;  /* of the field in the object */
	size_t size; /* string buffers */
	long long min, max;
	bool zero_ok;  /* INI_T_MS: 0 (off) is allowed below min */
	bool required; /* missing → "missing key 'NAME' in [section]" at the header */
	int (*fn)(const struct ini_ctx *c, const struct ini_key *k, const struct ini_entry *e,
		  void *obj);
};

/* .off and .size of field f of struct type st, for ini_key tables. */
#define INI_FIELD(st, f) .off = offsetof(st, f), .size = sizeof(((st *)0)->f)

/*
 * Applies every key of s to obj through the table (terminated by a NULL
 * name): unknown, duplicate, empty and ill-typed values and missing required
 * keys are errors. 0 or -EINVAL with the message in c->err.
 */
int ini_apply(const struct ini_ctx *c, const struct ini_section *s, const struct ini_key *keys,
	      void *obj);

/*
 * Shared by the two halves of the kcwatch config loader (config.c): a name is
 * 1..63 characters of A-Z a-z 0-9 . _ -
 */
#define CONFIG_NAME_RULE "use 1..63 characters of A-Z a-z 0-9 . _ -"
/* Names reach hooks' and kcwatchctl's command lines, where a leading '-' reads as an option. */
#define CONFIG_NAME_DASH "a name may not start with '-': hooks get names as arguments"
bool config_valid_name(const char *s);
/* INI_T_FN handler storing a valid name into char[k->size] at k->off. */
int config_key_name(const struct ini_ctx *c, const struct ini_key *k, const struct ini_entry *e,
		    void *obj);

/*
 * Section parsers of the kcwatch configuration that live in config_svc.c and
 * are called by config.c (c->user is the struct kcw_config being filled).
 * They are declared here because config.h is the public contract.
 */
int config_parse_vip(const struct ini_ctx *c, const struct ini_section *s);
int config_parse_backend(const struct ini_ctx *c, const struct ini_section *s);
int config_parse_backends(const struct ini_ctx *c, const struct ini_section *s);
int config_parse_dns(const struct ini_ctx *c, const struct ini_section *s);
int config_parse_hooks(const struct ini_ctx *c, const struct ini_section *s);
int config_parse_metrics(const struct ini_ctx *c, const struct ini_section *s);
/* [cluster] keys of the etcd coordinator (config_etcd.c), spliced into config.c's table. */
struct kcw_config;
int config_etcd_key(const struct ini_ctx *c, const struct ini_key *k, const struct ini_entry *e,
		    void *obj);
#define CONFIG_ETCD_KEYS                                                                           \
	{.name = "coordinator", .type = INI_T_FN, .fn = config_etcd_key},                          \
	{.name = "etcd-endpoints", .type = INI_T_FN, .fn = config_etcd_key},                       \
	{.name = "etcd-ca-file", .type = INI_T_PATH, INI_FIELD(struct kcw_config, etcd.ca_file)},  \
	{.name = "etcd-client-cert", .type = INI_T_PATH,                                           \
	 INI_FIELD(struct kcw_config, etcd.client_cert)},                                          \
	{.name = "etcd-client-key", .type = INI_T_PATH,                                            \
	 INI_FIELD(struct kcw_config, etcd.client_key)},                                           \
	{.name = "etcd-username", .type = INI_T_STR, INI_FIELD(struct kcw_config, etcd.username)}, \
	{.name = "etcd-password-file", .type = INI_T_PATH,                                         \
	 INI_FIELD(struct kcw_config, etcd.password_file)},                                        \
	{.name = "etcd-prefix", .type = INI_T_FN, .fn = config_etcd_key},                          \
	{.name = "lease-ttl", .type = INI_T_MS, INI_FIELD(struct kcw_config, etcd.lease_ttl_ms),   \
	 .min = 1, .max = 3600000},                                                                \
	{.name = "etcd-lost", .type = INI_T_FN, .fn = config_etcd_key},
/* Checks of those keys once [cluster] is parsed; reads the password file. */
int config_etcd_check(const struct ini_ctx *c, const struct ini_file *f,
		      const struct ini_section *cl);
void config_etcd_defaults(struct kcw_config *cfg);

/* Defaults of those sections, before parsing. */
struct kcw_config;
void config_svc_defaults(struct kcw_config *cfg);
/* Checks across sections once the whole file is parsed. */
int config_svc_check(const struct ini_ctx *c, const struct ini_file *f);

#endif
