/* SPDX-License-Identifier: MIT */
/* config.h: the parsed, validated kcwatch configuration (one INI file for all nodes). */
#ifndef KCW_CONFIG_H
#define KCW_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define CFG_NAME_MAX   64  /* node, cluster, vip, backend names (with the NUL) */
#define CFG_MAX_NODES  16
#define CFG_MAX_VIPS   16
#define CFG_MAX_BACKENDS 32
#define CFG_KEY_MAX    128 /* decoded shared-secret bytes */
#define CFG_URL_MAX    512
#define CFG_ERR_MAX    512 /* size for error buffers: "file:line: reason" */

enum node_kind { NODE_KIND_PEER = 0, NODE_KIND_WITNESS = 1 };

struct cfg_node {
	char name[CFG_NAME_MAX];
	struct kcw_addr addr;
	int priority;        /* 1..254; 0 for a witness */
	enum node_kind kind; /* role = witness */
	int line;            /* line of the [node] header, for messages */
};

struct cfg_vip {
	char name[CFG_NAME_MAX];
	struct kcw_addr addr;
	int prefixlen;
	char interface[IF_NAMESIZE];
	unsigned garp_count;          /* default 5 */
	uint32_t garp_interval_ms;    /* default 100 */
	uint32_t garp_repeat_after_ms; /* default 2000, 0 = off */
	uint32_t garp_refresh_ms;     /* default 60000, 0 = off */
	int line;
};

enum failback_mode { FAILBACK_AFTER = 0, FAILBACK_NEVER = 1, FAILBACK_IMMEDIATE = 2 };

struct cfg_backend {
	char name[CFG_NAME_MAX];
	char url[CFG_URL_MAX];
	bool has_connect_to;
	struct kcw_addr connect_addr; /* connect-to = ADDR:PORT */
	uint16_t connect_port;
	char ca_file[PATH_MAX];       /* empty = system CA store */
	char client_cert[PATH_MAX];
	char client_key[PATH_MAX];
	long expect_status;           /* default 200 */
	char expect_json_status[64];  /* default "UP" unless expect_body is set */
	char expect_body[256];        /* plain substring; exclusive with expect-json-status */
	uint32_t interval_ms;         /* default 2000 */
	uint32_t timeout_ms;          /* default 1000, must be < interval */
	unsigned rise;                /* default 2 */
	unsigned fall;                /* default 3 */
	char haproxy_server[CFG_NAME_MAX]; /* empty = not mapped */
	int line;
};

struct cfg_backends {
	enum failback_mode failback;  /* default FAILBACK_AFTER with 5 min */
	uint32_t failback_after_ms;
	char haproxy_socket[PATH_MAX]; /* empty = no HAProxy runtime API */
	char haproxy_backend[CFG_NAME_MAX];
};

enum dns_target { DNS_TARGET_VIP = 0, DNS_TARGET_SELF = 1, DNS_TARGET_BACKEND = 2 };

struct cfg_dns {
	bool enabled;                 /* a [dns] section is present */
	struct kcw_addr server;
	uint16_t port;                /* default 53 */
	char zone[256];
	char name[256];
	uint32_t ttl;                 /* default 30 */
	enum dns_target target;       /* default vip */
	char tsig_key_file[PATH_MAX];
	bool fence;                   /* default yes */
	uint32_t fence_renew_ms;      /* default 10000 */
	uint32_t timeout_ms;          /* default 2000 */
};

enum coordinator { COORD_HEARTBEAT = 0, COORD_ETCD = 1 };

#define CFG_ETCD_MAX_ENDPOINTS 8
#define CFG_ETCD_TTL_FLOOR_MS  2000 /* etcd's minimum lease TTL with its default timings */

/* [cluster] coordinator = etcd: leadership is a key bound to an etcd lease (etcd.c). */
struct cfg_etcd {
	char endpoints[CFG_ETCD_MAX_ENDPOINTS][CFG_URL_MAX]; /* http(s)://HOST:PORT, tried in turn */
	size_t n_endpoints;
	char ca_file[PATH_MAX];     /* empty = system CA store */
	char client_cert[PATH_MAX]; /* mutual TLS, with client_key */
	char client_key[PATH_MAX];
	char username[CFG_NAME_MAX]; /* etcd auth, with password_file */
	char password_file[PATH_MAX];
	char password[256];          /* read from password_file at load */
	char prefix[256];            /* default /kcwatch/<cluster name> */
	uint32_t lease_ttl_ms;       /* default 5000, whole seconds */
	bool lost_keep;              /* etcd-lost = keep (default release) */
};

struct kcw_config {
	char path[PATH_MAX];
	/* [cluster] */
	char cluster_name[CFG_NAME_MAX];
	uint16_t port;                /* default 7112 */
	uint32_t interval_ms;         /* default 1000 */
	unsigned dead_after;          /* default 3 */
	char key_file[PATH_MAX];
	uint8_t key[CFG_KEY_MAX];     /* decoded secret, >= 32 bytes; signs and verifies */
	size_t key_len;
	uint8_t key2[CFG_KEY_MAX];    /* second line of the key file: verifies only */
	size_t key2_len;              /* 0 = one key */
	uint32_t key_id, key2_id;     /* hmac_key_id() of each */
	char key_read[PATH_MAX];      /* the file the keys came from (credential or key_file) */
	bool key_from_credential;     /* key_read is in $CREDENTIALS_DIRECTORY */
	char state_dir[PATH_MAX];     /* default /var/lib/kcwatch: <state-dir>/<node>.state */
	bool preempt;                 /* default yes */
	uint32_t preempt_delay_ms;    /* default 0 */
	bool realtime;                /* SCHED_RR + mlockall at start; default no */
	char control_socket[PATH_MAX]; /* default /run/kcwatch/kcwatchd.sock */
	char status_socket[PATH_MAX]; /* empty = next to the control socket (sockpath.h) */
	char witness[CFG_NAME_MAX];   /* empty = none (issue: split-brain defence) */
	bool has_tie_breaker;
	struct kcw_addr tie_breaker;
	enum coordinator coordinator; /* default COORD_HEARTBEAT */
	struct cfg_etcd etcd;
	/* [node NAME] in file order */
	struct cfg_node nodes[CFG_MAX_NODES];
	size_t n_nodes;
	/* [vip NAME] in file order */
	struct cfg_vip vips[CFG_MAX_VIPS];
	size_t n_vips;
	/* [backend NAME] in file order (= preference) and [backends] */
	struct cfg_backend backends[CFG_MAX_BACKENDS];
	size_t n_backends;
	struct cfg_backends backends_opt;
	/* [dns] */
	struct cfg_dns dns;
	int tsig_key_line;            /* line of tsig-key-file, for config_check_tsig_key() */
	/* [hooks]: absolute paths of programs run on events; empty = none */
	char hook_on_leader[PATH_MAX];
	char hook_on_follower[PATH_MAX];
	char hook_on_fault[PATH_MAX];
	char hook_on_backend_change[PATH_MAX];
	/* [metrics] listen = ADDR:PORT */
	bool has_metrics;
	struct kcw_addr metrics_addr;
	uint16_t metrics_port;
	/* SHA-256 over the canonical (comment- and blank-free) content: peers compare it */
	uint8_t digest[32];
};

/*
 * Reads, parses and validates FILE into a newly allocated config. All or
 * nothing: on any error *out is untouched, err holds "FILE:LINE: reason"
 * (or "FILE: reason" when no line applies) and a negative errno returns.
 */
int config_load(const char *path, struct kcw_config **out, char *err, size_t errlen);
void config_free(struct kcw_config *cfg);

/*
 * Reads the [dns] TSIG key file as dns_new() will (from $CREDENTIALS_DIRECTORY when there,
 * with the key file rules): 0, or a negative errno with err = "FILE:LINE: tsig-key-file
 * reason". 0 without [dns]. For kcwatchd -t and the start.
 */
int config_check_tsig_key(const struct kcw_config *cfg, char *err, size_t errlen);

/* Index of the node called name, or -1. */
int config_node_index(const struct kcw_config *cfg, const char *name);

#endif
