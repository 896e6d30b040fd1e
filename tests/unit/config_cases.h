/* SPDX-License-Identifier: MIT */
/* config_cases.h: the config tests' table rows, their runner and file helpers (after cmocka.h). */
#ifndef KCW_CONFIG_CASES_H
#define KCW_CONFIG_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

/* base64 of the bytes 0, 1, ..., 31; then of 32, ..., 63 */
#define KEY32_B64  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define KEY32B_B64 "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="

/* Nine lines every error case builds on: added sections start at line 10. */
#define BASE                                                                                       \
	"[cluster]\n"                                                                              \
	"name = kc\n"                                                                              \
	"key-file = cluster.key\n"                                                                 \
	"[node lb1]\n"                                                                             \
	"address = 192.168.1.213\n"                                                                \
	"priority = 150\n"                                                                         \
	"[node lb2]\n"                                                                             \
	"address = 192.168.1.214\n"                                                                \
	"priority = 100\n"

/* Where a case's text or error says @DIR@, the test directory (a real path) stands. */
#define DIR_MARK "@DIR@"
#define TEXT_MAX 16384

/* One configuration and what loading it gives. A test is a named row and the unnamed rows after
 * it, each loaded afresh from DIR/kcwatch.conf. */
struct conf_case {
	const char *name;
	const char *text;		     /* the configuration */
	void (*gen)(char *text, size_t len); /* or: writes it (too long or read from the tree) */
	const char *file;		     /* created in DIR before loading (NULL: none) */
	const char *file_text;		     /* its content; NULL: a directory */
	mode_t file_mode;
	const char *err; /* the load fails with "DIR/kcwatch.conf:" err; NULL: it loads */
	void (*check)(const struct kcw_config *cfg, const char *dir); /* then its values */
};

/* The test directory and the row a test starts at (NULL for the tests outside the table). */
struct run {
	const char *dir;
	const struct conf_case *row;
	const struct conf_case *end; /* the end of the row's table */
};

/* BASE with realtime = VALUE as line 2 */
#define RT_CONF(value)                                                                             \
	"[cluster]\nrealtime = " value "\nname = kc\nkey-file = cluster.key\n"                     \
	"[node lb1]\naddress = 192.168.1.213\npriority = 150\n[node lb2]\naddress = "              \
	"192.168.1.214\npriority = 100\n"

/* BASE with key-file = DIR/NAME; KEY_FILE creates NAME with content and mode first */
#define KEY_CONF(name)                                                                             \
	"[cluster]\nname = kc\nkey-file = " DIR_MARK "/" name "\n[node lb1]\naddress = "           \
	"192.168.1.213\npriority = 150\n[node lb2]\naddress = 192.168.1.214\npriority = 100\n"
#define KEY_FILE(name, content, mode)                                                              \
	.text = KEY_CONF(name), .file = (name), .file_text = (content), .file_mode = (mode)
#define KEY_ERR(name, reason) .err = "3: key-file " DIR_MARK "/" name reason
#define A16		      "AAAAAAAAAAAAAAAA"
#define LONG_KEY	      A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 /* 132 bytes */

#define WITNESS_NODES                                                                              \
	"[node lb1]\naddress = 192.168.1.213\npriority = 150\n"                                    \
	"[node lb2]\naddress = 192.168.1.214\npriority = 100\n"
#define DNS_OK                                                                                     \
	"[vip v]\naddress = 192.168.1.215/24\ninterface = eth0\n"                                  \
	"[dns]\nserver = 192.168.1.10\nzone = local.mylab.io\n"
#define ETCD_CL	   "[cluster]\nname = kc\nkey-file = cluster.key\n"
#define ETCD_NODES WITNESS_NODES
#define NO_NODES   " no [node] sections: see kcwatch.conf(5) and " DOCDIR "/kcwatch.conf.example"

void write_file(const char *path, const char *text, mode_t mode);
void path_in(const char *dir, const char *name, char *out, size_t len);
/* in with every @DIR@ replaced by dir */
void subst_dir(const char *in, const char *dir, char *out, size_t len);
struct kcw_config *load_ok(const char *conf, const char *row);
/* DIR/kcwatch.conf written with text and loaded: it must load */
struct kcw_config *load_text(const char *dir, const char *text);
void assert_addr(const struct kcw_addr *a, const char *text);
void assert_in_dir(const char *path, const char *dir, const char *name);

/*
 * main() of a config test: each named row of cases[n_cases] with the unnamed rows after it is
 * one test, then each of others[]; all in one fresh directory with DIR/cluster.key (bytes
 * 0..31), removed at the end.
 */
int config_cases_main(const struct conf_case *cases, size_t n_cases,
		      const struct CMUnitTest *others, size_t n_others);

#endif
