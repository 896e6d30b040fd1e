/* SPDX-License-Identifier: MIT */
/* test_config.c: unit tests of the config parser: values, defaults, errors, digest, key file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "tmpdir.h"
#include "hmac.h"

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
};

/* --- helpers ---------------------------------------------------------------------------------- */

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void path_in(const char *dir, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", dir, name);
}

/* in with every @DIR@ replaced by dir */
static void subst_dir(const char *in, const char *dir, char *out, size_t len)
{
	size_t n = 0;

	for (const char *m; (m = strstr(in, DIR_MARK)); in = m + strlen(DIR_MARK))
		n += (size_t)snprintf(out + n, len - n, "%.*s%s", (int)(m - in), in, dir);
	n += (size_t)snprintf(out + n, len - n, "%s", in);
	assert_true(n < len);
}

static struct kcw_config *load_ok(const char *conf, const char *row)
{
	struct kcw_config *cfg = NULL;
	char err[CFG_ERR_MAX] = "";
	int rc = config_load(conf, &cfg, err, sizeof(err));

	if (rc != 0)
		fail_msg("%s: config_load failed (%d): %s", row, rc, err);
	assert_non_null(cfg);
	return cfg;
}

static struct kcw_config *load_text(const char *dir, const char *text)
{
	char conf[PATH_MAX];

	path_in(dir, "kcwatch.conf", conf, sizeof(conf));
	write_file(conf, text, 0644);
	return load_ok(conf, "load_text");
}

static void assert_addr(const struct kcw_addr *a, const char *text)
{
	char buf[ADDR_STRLEN];

	assert_string_equal(addr_str(a, buf, sizeof(buf)), text);
}

static void assert_in_dir(const char *path, const char *dir, const char *name)
{
	char want[PATH_MAX + 32];

	path_in(dir, name, want, sizeof(want));
	assert_string_equal(path, want);
}

/* --- valid configurations: the values ------------------------------------------------------- */

static const char full_conf[] = "# kcwatch test configuration\n"
				"[cluster]\n"
				"name = keycloak\n"
				"port = 7200                      # UDP heartbeat port\n"
				"interval = 200ms\n"
				"dead-after = 4\n"
				"key-file = cluster.key\n"
				"preempt = no\n"
				"preempt-delay = 5s\n"
				"control-socket = /run/kcw-test/ctl.sock\n"
				"witness = w\n"
				"tie-breaker = 192.168.1.1\n"
				"\n"
				"[node lb1]\n"
				"address = 192.168.1.213\n"
				"priority = 150\n"
				"[node lb2]\n"
				"address = 192.168.1.214\n"
				"priority = 100\n"
				"[node w]\n"
				"address = 192.168.1.216\n"
				"role = witness\n"
				"\n"
				"[vip keycloak]\n"
				"address = 192.168.1.215/24\n"
				"interface = eth0\n"
				"garp-count = 3\n"
				"garp-interval = 50ms\n"
				"garp-repeat-after = 0\n"
				"garp-refresh = 5m\n"
				"[vip v6]\n"
				"address = 2001:db8::15/64\n"
				"interface = eth1\n"
				"\n"
				"[backend sno1]\n"
				"url = https://keycloak-rhbk.apps.sno1.local.mylab.io/health\n"
				"connect-to = 192.168.1.231:443\n"
				"ca-file = ca.pem\n"
				"client-cert = /etc/kcwatch/client.pem\n"
				"client-key = /etc/kcwatch/client.key\n"
				"expect-status = 200\n"
				"expect-json-status = UP\n"
				"interval = 3s\n"
				"timeout = 1500ms\n"
				"rise = 4\n"
				"fall = 5\n"
				"haproxy-server = sno1\n"
				"[backend sno2]\n"
				"url = http://sno2.local.mylab.io:8080/health\n"
				"connect-to = [2001:db8::32]:8443\n"
				"expect-body = ok\n"
				"\n"
				"[backends]\n"
				"failback = after 10m\n"
				"haproxy-socket = /var/lib/haproxy/stats\n"
				"haproxy-backend = keycloakbackend\n"
				"\n"
				"[dns]\n"
				"server = 192.168.1.10\n"
				"port = 5353\n"
				"zone = local.mylab.io.\n"
				"name = keycloak.local.mylab.io\n"
				"ttl = 60\n"
				"target = self\n"
				"tsig-key-file = tsig.key\n"
				"fence = off\n"
				"fence-renew = 20s\n"
				"timeout = 3s\n"
				"\n"
				"[hooks]\n"
				"on-leader = /usr/libexec/kcwatch/leader.sh\n"
				"on-follower = /usr/libexec/kcwatch/follower.sh\n"
				"on-fault = /usr/libexec/kcwatch/fault.sh\n"
				"on-backend-change = /usr/libexec/kcwatch/backend.sh\n"
				"\n"
				"[metrics]\n"
				"listen = 127.0.0.1:9101\n";

static void check_full_cluster_and_nodes(const struct kcw_config *cfg, const char *dir)
{
	assert_in_dir(cfg->path, dir, "kcwatch.conf");
	assert_string_equal(cfg->cluster_name, "keycloak");
	assert_int_equal(cfg->port, 7200);
	assert_int_equal(cfg->interval_ms, 200);
	assert_int_equal(cfg->dead_after, 4);
	assert_in_dir(cfg->key_file, dir, "cluster.key");
	assert_int_equal(cfg->key_len, 32);
	for (int i = 0; i < 32; i++)
		assert_int_equal(cfg->key[i], i);
	assert_false(cfg->preempt);
	assert_int_equal(cfg->preempt_delay_ms, 5000);
	assert_string_equal(cfg->control_socket, "/run/kcw-test/ctl.sock");
	assert_string_equal(cfg->witness, "w");
	assert_true(cfg->has_tie_breaker);
	assert_addr(&cfg->tie_breaker, "192.168.1.1");
	assert_int_equal(cfg->n_nodes, 3);
	assert_string_equal(cfg->nodes[0].name, "lb1");
	assert_addr(&cfg->nodes[0].addr, "192.168.1.213");
	assert_int_equal(cfg->nodes[0].priority, 150);
	assert_int_equal(cfg->nodes[0].kind, NODE_KIND_PEER);
	assert_int_equal(cfg->nodes[0].line, 14);
	assert_int_equal(cfg->nodes[1].priority, 100);
	assert_string_equal(cfg->nodes[2].name, "w");
	assert_int_equal(cfg->nodes[2].kind, NODE_KIND_WITNESS);
	assert_int_equal(cfg->nodes[2].priority, 0);
}

static void check_full_vips(const struct kcw_config *cfg, const char *dir)
{
	assert_int_equal(cfg->n_vips, 2);
	assert_string_equal(cfg->vips[0].name, "keycloak");
	assert_addr(&cfg->vips[0].addr, "192.168.1.215");
	assert_int_equal(cfg->vips[0].prefixlen, 24);
	assert_string_equal(cfg->vips[0].interface, "eth0");
	assert_int_equal(cfg->vips[0].garp_count, 3);
	assert_int_equal(cfg->vips[0].garp_interval_ms, 50);
	assert_int_equal(cfg->vips[0].garp_repeat_after_ms, 0);
	assert_int_equal(cfg->vips[0].garp_refresh_ms, 300000);
	assert_int_equal(cfg->vips[0].line, 24);
	assert_int_equal(cfg->vips[1].addr.family, AF_INET6);
	assert_addr(&cfg->vips[1].addr, "2001:db8::15");
	assert_int_equal(cfg->vips[1].prefixlen, 64);
	/* defaults */
	assert_int_equal(cfg->vips[1].garp_count, 5);
	assert_int_equal(cfg->vips[1].garp_interval_ms, 100);
	assert_int_equal(cfg->vips[1].garp_repeat_after_ms, 2000);
	assert_int_equal(cfg->vips[1].garp_refresh_ms, 60000);
}

static void check_full_backends(const struct kcw_config *cfg, const char *dir)
{
	const struct cfg_backend *b = &cfg->backends[0], *b2 = &cfg->backends[1];

	assert_int_equal(cfg->n_backends, 2);
	assert_string_equal(b->name, "sno1");
	assert_string_equal(b->url, "https://keycloak-rhbk.apps.sno1.local.mylab.io/health");
	assert_true(b->has_connect_to);
	assert_addr(&b->connect_addr, "192.168.1.231");
	assert_int_equal(b->connect_port, 443);
	assert_in_dir(b->ca_file, dir, "ca.pem");
	assert_string_equal(b->client_cert, "/etc/kcwatch/client.pem");
	assert_string_equal(b->client_key, "/etc/kcwatch/client.key");
	assert_int_equal(b->expect_status, 200);
	assert_string_equal(b->expect_json_status, "UP");
	assert_string_equal(b->expect_body, "");
	assert_int_equal(b->interval_ms, 3000);
	assert_int_equal(b->timeout_ms, 1500);
	assert_int_equal(b->rise, 4);
	assert_int_equal(b->fall, 5);
	assert_string_equal(b->haproxy_server, "sno1");
	assert_string_equal(b2->url, "http://sno2.local.mylab.io:8080/health");
	assert_addr(&b2->connect_addr, "2001:db8::32");
	assert_int_equal(b2->connect_port, 8443);
	assert_string_equal(b2->expect_body, "ok");
	assert_string_equal(b2->expect_json_status, "");
	assert_string_equal(b2->ca_file, "");
	assert_int_equal(b2->interval_ms, 2000);
	assert_int_equal(b2->timeout_ms, 1000);
	assert_int_equal(b2->rise, 2);
	assert_int_equal(b2->fall, 3);
	assert_string_equal(b2->haproxy_server, "");
	assert_int_equal(cfg->backends_opt.failback, FAILBACK_AFTER);
	assert_int_equal(cfg->backends_opt.failback_after_ms, 600000);
	assert_string_equal(cfg->backends_opt.haproxy_socket, "/var/lib/haproxy/stats");
	assert_string_equal(cfg->backends_opt.haproxy_backend, "keycloakbackend");
}

static void check_full_dns_hooks_metrics(const struct kcw_config *cfg, const char *dir)
{
	assert_true(cfg->dns.enabled);
	assert_addr(&cfg->dns.server, "192.168.1.10");
	assert_int_equal(cfg->dns.port, 5353);
	assert_string_equal(cfg->dns.zone, "local.mylab.io");
	assert_string_equal(cfg->dns.name, "keycloak.local.mylab.io");
	assert_int_equal(cfg->dns.ttl, 60);
	assert_int_equal(cfg->dns.target, DNS_TARGET_SELF);
	assert_in_dir(cfg->dns.tsig_key_file, dir, "tsig.key");
	assert_false(cfg->dns.fence);
	assert_int_equal(cfg->dns.fence_renew_ms, 20000);
	assert_int_equal(cfg->dns.timeout_ms, 3000);
	assert_string_equal(cfg->hook_on_leader, "/usr/libexec/kcwatch/leader.sh");
	assert_string_equal(cfg->hook_on_follower, "/usr/libexec/kcwatch/follower.sh");
	assert_string_equal(cfg->hook_on_fault, "/usr/libexec/kcwatch/fault.sh");
	assert_string_equal(cfg->hook_on_backend_change, "/usr/libexec/kcwatch/backend.sh");
	assert_true(cfg->has_metrics);
	assert_addr(&cfg->metrics_addr, "127.0.0.1");
	assert_int_equal(cfg->metrics_port, 9101);
}

static void check_defaults(const struct kcw_config *cfg, const char *dir)
{
	assert_int_equal(cfg->port, 7112);
	assert_int_equal(cfg->interval_ms, 1000);
	assert_int_equal(cfg->dead_after, 3);
	assert_true(cfg->preempt);
	assert_int_equal(cfg->preempt_delay_ms, 0);
	assert_false(cfg->realtime);
	assert_string_equal(cfg->control_socket, "/run/kcwatch/kcwatchd.sock");
	assert_string_equal(cfg->witness, "");
	assert_false(cfg->has_tie_breaker);
	assert_int_equal(cfg->n_nodes, 2);
	assert_int_equal(cfg->n_vips, 0);
	assert_int_equal(cfg->n_backends, 0);
	assert_int_equal(cfg->backends_opt.failback, FAILBACK_AFTER);
	assert_int_equal(cfg->backends_opt.failback_after_ms, 300000);
	assert_string_equal(cfg->backends_opt.haproxy_socket, "");
	assert_false(cfg->dns.enabled);
	assert_int_equal(cfg->dns.port, 53);
	assert_int_equal(cfg->dns.ttl, 30);
	assert_int_equal(cfg->dns.target, DNS_TARGET_VIP);
	assert_true(cfg->dns.fence);
	assert_int_equal(cfg->dns.fence_renew_ms, 10000);
	assert_int_equal(cfg->dns.timeout_ms, 2000);
	assert_string_equal(cfg->hook_on_leader, "");
	assert_false(cfg->has_metrics);
}

static void check_ipv6_nodes(const struct kcw_config *cfg, const char *dir)
{
	assert_int_equal(cfg->nodes[0].addr.family, AF_INET6);
	assert_addr(&cfg->nodes[0].addr, "2001:db8::213");
	assert_addr(&cfg->nodes[1].addr, "2001:db8::214");
	assert_addr(&cfg->tie_breaker, "2001:db8::1");
	assert_int_equal(cfg->vips[0].prefixlen, 64);
	assert_int_equal(config_node_index(cfg, "b"), 1);
	assert_int_equal(config_node_index(cfg, "a"), 0);
	assert_int_equal(config_node_index(cfg, "c"), -1);
}

static void check_comments_and_spacing(const struct kcw_config *cfg, const char *dir)
{
	assert_string_equal(cfg->cluster_name, "kc");
	assert_string_equal(cfg->control_socket, "/run/k;c#d.sock");
	assert_string_equal(cfg->backends[0].url, "https://h.example/health#frag");
	assert_addr(&cfg->nodes[1].addr, "192.168.1.214");
}

static void check_realtime(const struct kcw_config *cfg, const char *dir)
{
	assert_true(cfg->realtime);
}

static void check_failback_never(const struct kcw_config *cfg, const char *dir)
{
	assert_int_equal(cfg->backends_opt.failback, FAILBACK_NEVER);
}

static void check_failback_immediate(const struct kcw_config *cfg, const char *dir)
{
	assert_int_equal(cfg->backends_opt.failback, FAILBACK_IMMEDIATE);
}

static void check_failback_after_30s(const struct kcw_config *cfg, const char *dir)
{
	assert_int_equal(cfg->backends_opt.failback, FAILBACK_AFTER);
	assert_int_equal(cfg->backends_opt.failback_after_ms, 30000);
}

/* bytes 0..31 */
static void check_key_0_31(const struct kcw_config *cfg, const char *dir)
{
	assert_int_equal(cfg->key_len, 32);
	assert_int_equal(cfg->key[0], 0);
	assert_int_equal(cfg->key[31], 31);
}

static void check_key_two_lines(const struct kcw_config *cfg, const char *dir)
{
	assert_int_equal(cfg->key_len, 32);
	assert_int_equal(cfg->key[31], 31); /* the first line signs */
	assert_int_equal(cfg->key2_len, 32);
	assert_int_equal(cfg->key2[0], 32);
	assert_int_not_equal(cfg->key_id, 0);
	assert_int_not_equal(cfg->key_id, cfg->key2_id);
	assert_int_equal(cfg->key_id, hmac_key_id(cfg->key, 32));
}

static void check_key_one_line(const struct kcw_config *cfg, const char *dir)
{
	assert_int_equal(cfg->key2_len, 0);
	assert_int_equal(cfg->key2_id, 0);
	assert_int_equal(cfg->key[0], 32);
}

static void check_example(const struct kcw_config *cfg, const char *dir)
{
	assert_string_equal(cfg->cluster_name, "keycloak");
	assert_int_equal(cfg->n_nodes, 2);
	assert_addr(&cfg->nodes[0].addr, "192.168.1.213");
	assert_addr(&cfg->nodes[1].addr, "192.168.1.214");
	assert_int_equal(cfg->n_vips, 1);
	assert_addr(&cfg->vips[0].addr, "192.168.1.215");
	assert_string_equal(cfg->vips[0].interface, "eth0");
	assert_int_equal(cfg->n_backends, 2);
	assert_string_equal(cfg->backends[0].name, "sno1");
	assert_string_equal(cfg->backends[0].haproxy_server, "sno1");
	assert_string_equal(cfg->backends[1].name, "sno2");
	assert_int_equal(cfg->backends_opt.failback, FAILBACK_AFTER);
	assert_int_equal(cfg->backends_opt.failback_after_ms, 300000);
	assert_string_equal(cfg->backends_opt.haproxy_socket, "/var/lib/haproxy/stats");
	assert_string_equal(cfg->backends_opt.haproxy_backend, "keycloakbackend");
	assert_false(cfg->dns.enabled);
}

static void check_witness(const struct kcw_config *cfg, const char *dir)
{
	assert_string_equal(cfg->witness, "w");
	assert_int_equal(config_node_index(cfg, "w"), 2);
	assert_int_equal(cfg->nodes[2].kind, NODE_KIND_WITNESS);
}

static void check_etcd_full(const struct kcw_config *cfg, const char *dir)
{
	assert_int_equal(cfg->coordinator, COORD_ETCD);
	assert_int_equal(cfg->etcd.n_endpoints, 3);
	assert_string_equal(cfg->etcd.endpoints[0], "http://10.0.0.5:2379");
	assert_string_equal(cfg->etcd.endpoints[1], "https://etcd2:2379");
	assert_string_equal(cfg->etcd.endpoints[2], "http://[::1]:2379");
	assert_string_equal(cfg->etcd.username, "kcw");
	assert_string_equal(cfg->etcd.password, "s3cret");
	assert_string_equal(cfg->etcd.prefix, "/kcwatch/kc");
	assert_int_equal(cfg->etcd.lease_ttl_ms, 3000);
	assert_true(cfg->etcd.lost_keep);
}

static void check_etcd_heartbeat(const struct kcw_config *cfg, const char *dir)
{
	assert_int_equal(cfg->coordinator, COORD_HEARTBEAT);
	assert_int_equal(cfg->etcd.lease_ttl_ms, 5000);
	assert_false(cfg->etcd.lost_keep);
}

static void check_etcd_prefix(const struct kcw_config *cfg, const char *dir)
{
	assert_string_equal(cfg->etcd.prefix, "/lb/site1");
	assert_int_equal(cfg->etcd.lease_ttl_ms, 5000);
}

/* --- configurations written by code ----------------------------------------------------------- */

/* one section more than config.h allows, each */
static void gen_many_nodes(char *text, size_t len)
{
	size_t n = (size_t)snprintf(text, len, "[cluster]\nname = kc\nkey-file = cluster.key\n");

	for (int i = 0; i <= CFG_MAX_NODES; i++)
		n += (size_t)snprintf(text + n, len - n,
				      "[node n%d]\naddress = 10.0.0.%d\npriority = %d\n", i, i + 1,
				      i + 1);
	assert_true(n < len);
}

static void gen_many_vips(char *text, size_t len)
{
	size_t n = (size_t)snprintf(text, len, "%s", BASE);

	for (int i = 0; i <= CFG_MAX_VIPS; i++)
		n += (size_t)snprintf(text + n, len - n,
				      "[vip v%d]\naddress = 10.0.0.%d/24\ninterface = eth0\n", i,
				      i + 1);
	assert_true(n < len);
}

static void gen_many_backends(char *text, size_t len)
{
	size_t n = (size_t)snprintf(text, len, "%s", BASE);

	for (int i = 0; i <= CFG_MAX_BACKENDS; i++)
		n += (size_t)snprintf(text + n, len - n, "[backend b%d]\nurl = https://b%d/\n", i,
				      i);
	assert_true(n < len);
}

/* The file the RPM installs as /etc/kcwatch/kcwatch.conf: [cluster] only, pointing at the example.
 */
static void gen_rpm_conf(char *text, size_t len)
{
	FILE *in = fopen(TEST_SRCDIR "/../rpm/kcwatch.conf", "r");
	size_t n;

	assert_non_null(in);
	n = fread(text, 1, len - 1, in);
	fclose(in);
	text[n] = '\0';
	assert_non_null(strstr(text, "[cluster]"));
}

/* doc/kcwatch.conf.example with its one key-file line pointing at DIR/cluster.key */
static void gen_example(char *text, size_t len)
{
	FILE *in = fopen(TEST_SRCDIR "/../doc/kcwatch.conf.example", "r");
	char line[1024];
	size_t n = 0;
	int n_key = 0;

	assert_non_null(in);
	while (fgets(line, sizeof(line), in)) {
		if (!strncmp(line, "key-file", 8)) {
			snprintf(line, sizeof(line), "key-file = " DIR_MARK "/cluster.key\n");
			n_key++;
		}
		n += (size_t)snprintf(text + n, len - n, "%s", line);
		assert_true(n < len);
	}
	fclose(in);
	assert_int_equal(n_key, 1);
}

/* --- the cases ------------------------------------------------------------------------------ */

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

static const struct conf_case cases[] = {
    /* --- valid configurations --- */
    {"test_full_cluster_and_nodes", full_conf, .check = check_full_cluster_and_nodes},
    {"test_full_vips", full_conf, .check = check_full_vips},
    {"test_full_backends", full_conf, .check = check_full_backends},
    {"test_full_dns_hooks_metrics", full_conf, .check = check_full_dns_hooks_metrics},
    {"test_defaults", BASE, .check = check_defaults},
    {"test_ipv6_nodes",
     "[cluster]\nname = kc6\nkey-file = cluster.key\ntie-breaker = 2001:db8::1\n"
     "[node a]\naddress = 2001:db8::213\npriority = 2\n"
     "[node b]\naddress = 2001:db8::214\npriority = 1\n"
     "[vip v]\naddress = 2001:db8::215/64\ninterface = eth0\n",
     .check = check_ipv6_nodes},
    {"test_comments_and_spacing",
     "; leading comment\n"
     "   [ cluster ]   # header comment\n"
     "name=kc\n"
     "control-socket = /run/k;c#d.sock ;comment\n"
     "\tkey-file\t=\tcluster.key\t; trailing\n"
     "[node lb1]\n"
     "address = 192.168.1.213 # comment\n"
     "priority = 150\n"
     "[node lb2]\n"
     "address = 192.168.1.214\r\n"
     "priority = 100\n"
     "[backend b]\n"
     "url = https://h.example/health#frag  # note\n",
     .check = check_comments_and_spacing},
    {"test_realtime", RT_CONF("yes"), .check = check_realtime},
    {.text = RT_CONF("always"),
     .err = "2: realtime: 'always' is not a boolean (yes/no, true/false, on/off, 1/0)"},
    {"test_failback_modes", BASE "[backends]\nfailback = never\n", .check = check_failback_never},
    {.text = BASE "[backends]\nfailback = immediate\n", .check = check_failback_immediate},
    {.text = BASE "[backends]\nfailback = after   30s\n", .check = check_failback_after_30s},
    {.text = BASE "[backends]\nfailback = sometimes\n",
     .err = "11: failback: 'sometimes' is not 'after DURATION', 'never' or 'immediate'"},
    {.text = BASE "[backends]\nfailback = after 5\n",
     .err = "11: failback: '5' needs a unit (ms, s or m)"},

    /* --- key file --- */
    {"test_key_mode_0644_refused", KEY_FILE("k644.key", KEY32_B64 "\n", 0644),
     KEY_ERR("k644.key", " is readable by others (mode 0644); chmod 0600 or 0640")},
    {KEY_FILE("k602.key", KEY32_B64 "\n", 0602),
     KEY_ERR("k602.key", " is writable by others (mode 0602); chmod 0600 or 0640")},
    {"test_key_mode_0640_accepted", KEY_FILE("k640.key", "  " KEY32_B64 "  \n\n", 0640),
     .check = check_key_0_31},
    {"test_key_missing", .text = KEY_CONF("nokey"),
     KEY_ERR("nokey", ": No such file or directory")},
    {"test_key_not_regular", KEY_FILE("keydir", NULL, 0),
     KEY_ERR("keydir", " is not a regular file")},
    {"test_key_group_writable_refused", KEY_FILE("k620.key", KEY32_B64 "\n", 0620),
     KEY_ERR("k620.key", " is writable by its group (mode 0620); chmod 0600 or 0640")},
    {KEY_FILE("k660.key", KEY32_B64 "\n", 0660),
     KEY_ERR("k660.key", " is writable by its group (mode 0660); chmod 0600 or 0640")},
    {"test_key_two_lines", KEY_FILE("two.key", KEY32_B64 "\n" KEY32B_B64 "\n", 0600),
     .check = check_key_two_lines},
    /* one line: no second key */
    {KEY_FILE("one.key", KEY32B_B64 "\n", 0600), .check = check_key_one_line},
    {KEY_FILE("three.key", KEY32_B64 "\n" KEY32B_B64 "\n" KEY32_B64 "\n", 0600),
     KEY_ERR("three.key", " holds more than 2 keys (one line of base64 each)")},
    {KEY_FILE("same.key", KEY32_B64 "\n" KEY32_B64 "\n", 0600),
     KEY_ERR("same.key", " holds the same key twice")},
    {"test_key_bad_base64", KEY_FILE("bad1.key", "this is not base64!\n", 0600),
     KEY_ERR("bad1.key", ": not valid base64 (expected one line of base64)")},
    /* two lines are two keys (a rotation): each must be a whole key */
    {KEY_FILE("bad2.key", "AAECAwQFBgcICQoLDA0O\nDxAREhMUFRYXGBkaGxwdHh8=\n", 0600),
     KEY_ERR("bad2.key", ": key is too short (15 bytes, at least 32 needed)")},
    {KEY_FILE("bad4.key", KEY32_B64 "\nthis is not base64!\n", 0600),
     KEY_ERR("bad4.key", " line 2: not valid base64 (expected one line of base64)")},
    {KEY_FILE("bad3.key", "AAEC=wQF\n", 0600),
     KEY_ERR("bad3.key", ": not valid base64 (expected one line of base64)")},
    {KEY_FILE("empty.key", "\n", 0600), KEY_ERR("empty.key", " is empty")},
    /* 16 bytes; then 31 bytes, which EVP_DecodeBlock would report as 33 with padding */
    {"test_key_too_short_or_long", KEY_FILE("short.key", "AAECAwQFBgcICQoLDA0ODw==\n", 0600),
     KEY_ERR("short.key", ": key is too short (16 bytes, at least 32 needed)")},
    {KEY_FILE("short31.key", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n", 0600),
     KEY_ERR("short31.key", ": key is too short (31 bytes, at least 32 needed)")},
    {KEY_FILE("long.key", LONG_KEY "\n", 0600),
     KEY_ERR("long.key", ": key is too long (132 bytes, at most 128)")},
    /* 32 bytes without the trailing '=' */
    {"test_key_unpadded_accepted",
     KEY_FILE("nopad.key", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n", 0600),
     .check = check_key_0_31},
    {"test_example_parses", .gen = gen_example, .check = check_example},

    /* --- file-level and section errors --- */
    {"test_err_syntax", BASE "this is no key\n",
     .err = "10: expected 'key = value' or '[section]', got 'this is no key'"},
    {.text = BASE "[vip v\n", .err = "10: section header '[vip v' has no closing ']'"},
    {.text = BASE "= 5\n", .err = "10: missing key before '='"},
    {.text = "port = 7112\n" BASE, .err = "1: key 'port' is outside of any section"},
    {"test_err_unknown_section", BASE "[clutser]\n", .err = "10: unknown section [clutser]"},
    {"test_err_section_names", BASE "[node]\n",
     .err = "10: section [node] needs a name: [node NAME]"},
    {.text = BASE "[backends x]\n", .err = "10: section [backends] takes no name (got 'x')"},
    {.text = BASE "[node a/b]\n",
     .err = "10: invalid node name 'a/b' (use 1..63 characters of A-Z a-z 0-9 . _ -)"},
    {.text = BASE "[node -n]\n",
     .err = "10: invalid node name '-n': it starts with '-' (a name may not start with '-': "
	    "hooks get names as arguments)"},
    {.text = BASE "[vip --x]\n",
     .err = "10: invalid vip name '--x': it starts with '-' (a name may not start with '-': "
	    "hooks get names as arguments)"},
    {.text = "[cluster]\nname = -kc\n",
     .err = "2: name: '-kc' starts with '-' (a name may not start with '-': hooks get names "
	    "as arguments)"},
    {.text = BASE "[backend -sno1]\n",
     .err = "10: invalid backend name '-sno1': it starts with '-' (a name may not start with "
	    "'-': hooks get names as arguments)"},
    {"test_err_missing_cluster", "[node lb1]\naddress = 192.168.1.213\npriority = 1\n",
     .err = " missing section [cluster]"},
    {.text = "", .err = " missing section [cluster]"},
    {"test_err_duplicate_sections", BASE "[cluster]\n",
     .err = "10: duplicate section [cluster] (first defined at line 1)"},
    {.text = BASE "[node lb1]\naddress = 192.168.1.220\npriority = 5\n",
     .err = "10: duplicate node 'lb1' (first defined at line 4)"},
    {.text = BASE "[vip a]\naddress = 10.0.0.1/24\ninterface = eth0\n"
		  "[vip a]\naddress = 10.0.0.2/24\ninterface = eth0\n",
     .err = "13: duplicate vip 'a' (first defined at line 10)"},
    {.text = BASE "[backend b]\nurl = https://x/\n[backend b]\nurl = https://y/\n",
     .err = "12: duplicate backend 'b' (first defined at line 10)"},
    {"test_err_unknown_key", BASE "[node lb3]\naddress = 192.168.1.220\nprioity = 5\n",
     .err = "12: unknown key 'prioity' in [node lb3]"},
    {.text = BASE "[dns]\nsevrer = 1.2.3.4\n", .err = "11: unknown key 'sevrer' in [dns]"},
    {"test_err_duplicate_key",
     BASE "[node lb3]\naddress = 192.168.1.220\npriority = 5\npriority = 6\n",
     .err = "13: duplicate key 'priority' in [node lb3] (first set at line 12)"},
    {.text = BASE "[node lb3]\naddress =\n", .err = "11: address: empty value"},

    /* --- [cluster] and [node] --- */
    {"test_err_cluster_required", "[cluster]\nkey-file = cluster.key\n",
     .err = "1: missing key 'name' in [cluster]"},
    {.text = "[cluster]\nname = kc\n", .err = "1: missing key 'key-file' in [cluster]"},
    {.text = "[cluster]\nname = k c\nkey-file = cluster.key\n",
     .err = "2: name: 'k c' is not a valid name (use 1..63 characters of A-Z a-z 0-9 . _ -)"},
    {"test_err_too_few_nodes",
     "[cluster]\nname = kc\nkey-file = cluster.key\n[node lb1]\n"
     "address = 192.168.1.213\npriority = 1\n",
     .err = " at least two [node] sections with a priority are needed (found 1)"},
    {"test_err_no_nodes", "[cluster]\nname = kc\nkey-file = cluster.key\n", .err = NO_NODES},
    {.gen = gen_rpm_conf, .err = NO_NODES},
    {"test_err_node_address", BASE "[node lb3]\npriority = 5\n",
     .err = "10: missing key 'address' in [node lb3]"},
    {.text = BASE "[node lb3]\naddress = 192.168.1\npriority = 5\n",
     .err = "11: address: '192.168.1' is not an IPv4 or IPv6 address"},
    {.text = BASE "[node lb3]\naddress = 192.168.1.213\npriority = 5\n",
     .err = "11: address: 192.168.1.213 is already used by node 'lb1'"},
    {"test_err_mixed_families", BASE "[node lb3]\naddress = 2001:db8::3\npriority = 5\n",
     .err = "11: address: 2001:db8::3 is IPv6 but node 'lb1' is IPv4 (all nodes must share "
	    "one address family)"},
    {"test_err_priority", BASE "[node lb3]\naddress = 192.168.1.220\n",
     .err = "10: missing key 'priority' in [node lb3]"},
    {.text = BASE "[node lb3]\naddress = 192.168.1.220\npriority = 300\n",
     .err = "12: priority: 300 is out of range (1..254)"},
    {.text = BASE "[node lb3]\naddress = 192.168.1.220\npriority = 0\n",
     .err = "12: priority: 0 is out of range (1..254)"},
    {.text = BASE "[node lb3]\naddress = 192.168.1.220\npriority = high\n",
     .err = "12: priority: 'high' is not a number"},
    {.text = BASE "[node lb3]\naddress = 192.168.1.220\npriority = -1\n",
     .err = "12: priority: '-1' is not a number"},
    {"test_witness_ok",
     "[cluster]\nname = kc\nkey-file = cluster.key\nwitness = w\n" WITNESS_NODES
     "[node w]\naddress = 192.168.1.216\nrole = witness\n",
     .check = check_witness},
    {"test_err_witness",
     "[cluster]\nname = kc\nkey-file = cluster.key\nwitness = w\n" WITNESS_NODES,
     .err = "4: witness: there is no [node w]"},
    {.text = "[cluster]\nname = kc\nkey-file = cluster.key\nwitness = lb2\n" WITNESS_NODES,
     .err = "4: witness: node 'lb2' does not have role = witness"},
    {.text = "[cluster]\nname = kc\nkey-file = cluster.key\nwitness = w\n" WITNESS_NODES
	     "[node w]\naddress = 192.168.1.216\nrole = witness\npriority = 5\n",
     .err = "14: priority: node 'w' has role = witness and takes no priority"},
    {.text = "[cluster]\nname = kc\nkey-file = cluster.key\n" WITNESS_NODES
	     "[node w]\naddress = 192.168.1.216\nrole = witness\n",
     .err = "12: node 'w' has role = witness but [cluster] does not name it (witness = w)"},
    {.text = BASE "[node w]\naddress = 192.168.1.216\nrole = judge\n",
     .err = "12: role: 'judge' is not 'peer' or 'witness'"},
    {"test_err_durations",
     BASE "[vip v]\naddress = 10.0.0.1/24\ninterface = eth0\ngarp-interval = 200\n",
     .err = "13: garp-interval: '200' needs a unit (ms, s or m)"},
    {.text = "[cluster]\nname = kc\ninterval = 200\n",
     .err = "3: interval: '200' needs a unit (ms, s or m)"},
    {.text = "[cluster]\ninterval = 5ms\n", .err = "2: interval: 5ms is out of range (10ms..60s)"},
    {.text = "[cluster]\ninterval = 2m\n", .err = "2: interval: 2m is out of range (10ms..60s)"},
    {.text = "[cluster]\ninterval = 0\n", .err = "2: interval: 0 is out of range (10ms..60s)"},
    {.text = "[cluster]\ninterval = 2h\n",
     .err = "2: interval: '2h' is not a duration (e.g. 200ms, 2s, 5m)"},
    {.text = "[cluster]\ninterval = 99999999999999999999999s\n",
     .err = "2: interval: 99999999999999999999999s is out of range (10ms..60s)"},
    {.text = BASE "[vip v]\naddress = 10.0.0.1/24\ninterface = eth0\ngarp-refresh = 500ms\n",
     .err = "13: garp-refresh: 500ms is out of range (0 or 1s..60m)"},
    {"test_err_bool_and_ints", "[cluster]\npreempt = maybe\n",
     .err = "2: preempt: 'maybe' is not a boolean (yes/no, true/false, on/off, 1/0)"},
    {.text = "[cluster]\nport = 70000\n", .err = "2: port: 70000 is out of range (1..65535)"},
    {.text = "[cluster]\ndead-after = 1\n", .err = "2: dead-after: 1 is out of range (2..100)"},
    {.text = "[cluster]\ncontrol-socket = run/k.sock\n",
     .err = "2: control-socket: 'run/k.sock' must be an absolute path"},
    {.text = "[cluster]\ntie-breaker = router\n",
     .err = "2: tie-breaker: 'router' is not an IPv4 or IPv6 address"},
    {"test_err_too_many_nodes", .gen = gen_many_nodes, /* the 17th node header: 4 + 16 * 3 */
     .err = "52: too many [node] sections (at most 16)"},

    /* --- [vip], [backend], [backends], [dns], [hooks], [metrics] --- */
    {"test_err_vip", BASE "[vip v]\ninterface = eth0\n",
     .err = "10: missing key 'address' in [vip v]"},
    {.text = BASE "[vip v]\naddress = 10.0.0.1/24\n",
     .err = "10: missing key 'interface' in [vip v]"},
    {.text = BASE "[vip v]\naddress = 192.168.1.215\n",
     .err = "11: address: '192.168.1.215' needs a prefix length, e.g. 192.168.1.215/24"},
    {.text = BASE "[vip v]\naddress = 192.168.1.215/33\n",
     .err = "11: address: '192.168.1.215/33' is not an IPv4 or IPv6 address with a prefix "
	    "length"},
    {.text = BASE "[vip v]\naddress = 10.0.0.1/24\ninterface = averyveryverylongname\n",
     .err = "12: interface: 'averyveryverylongname' is too long (max 15 characters)"},
    {.text = BASE "[vip v]\naddress = 192.168.1.213/24\ninterface = eth0\n",
     .err = "11: address: 192.168.1.213/24 is the address of node 'lb1'"},
    {.text = BASE "[vip a]\naddress = 10.0.0.1/24\ninterface = eth0\n"
		  "[vip b]\naddress = 10.0.0.1/16\ninterface = eth1\n",
     .err = "14: address: 10.0.0.1/16 is already used by vip 'a'"},
    {"test_err_too_many_vips", .gen = gen_many_vips, /* header of the 17th: 10 + 16 * 3 */
     .err = "58: too many [vip] sections (at most 16)"},
    {"test_err_too_many_backends", .gen = gen_many_backends, /* the 33rd: 10 + 32 * 2 */
     .err = "74: too many [backend] sections (at most 32)"},
    {"test_err_backend", BASE "[backend b]\nrise = 2\n",
     .err = "10: missing key 'url' in [backend b]"},
    {.text = BASE "[backend b]\nurl = ftp://x/health\n",
     .err = "11: url: 'ftp://x/health' must start with https:// or http://"},
    {.text = BASE "[backend b]\nurl = https:///health\n",
     .err = "11: url: 'https:///health' has no host"},
    {.text = BASE "[backend b]\nurl = https://x/\nconnect-to = 10.0.0.1\n",
     .err = "12: connect-to: '10.0.0.1' is not ADDR:PORT (use [ADDR]:PORT for IPv6)"},
    {.text = BASE "[backend b]\nurl = https://x/\nexpect-status = 600\n",
     .err = "12: expect-status: 600 is out of range (100..599)"},
    {.text = BASE "[backend b]\nurl = https://x/\nhaproxy-server = a b\n",
     .err = "12: haproxy-server: 'a b' is not a valid name (use 1..63 characters of A-Z a-z "
	    "0-9 . _ -)"},
    {.text = BASE "[backend a]\nurl = https://x/\nhaproxy-server = s\n"
		  "[backend b]\nurl = https://y/\nhaproxy-server = s\n",
     .err = "15: haproxy-server: 's' is already used by backend 'a'"},
    {"test_err_backend_exclusive",
     BASE "[backend b]\nurl = https://x/\nexpect-json-status = UP\nexpect-body = UP\n",
     .err = "13: expect-body: cannot be combined with expect-json-status (line 12)"},
    {.text = BASE "[backend b]\nexpect-body = UP\nurl = https://x/\nexpect-json-status = UP\n",
     .err = "13: expect-json-status: cannot be combined with expect-body (line 11)"},
    {.text = BASE "[backend b]\nurl = https://x/\nclient-cert = /c.pem\n",
     .err = "12: client-cert is set but client-key is missing in [backend b]"},
    {.text = BASE "[backend b]\nurl = https://x/\nclient-key = /c.key\n",
     .err = "12: client-key is set but client-cert is missing in [backend b]"},
    {"test_err_backend_timeout",
     BASE "[backend b]\nurl = https://x/\ninterval = 1s\ntimeout = 1s\n",
     .err = "13: timeout: 1s must be shorter than interval (1s)"},
    {.text = BASE "[backend b]\nurl = https://x/\ninterval = 500ms\n",
     .err = "12: timeout: 1s must be shorter than interval (500ms)"},
    {"test_err_backends_haproxy", BASE "[backends]\nhaproxy-socket = /var/lib/haproxy/stats\n",
     .err = "11: haproxy-socket is set but haproxy-backend is missing in [backends]"},
    {"test_err_dns_required", BASE "[dns]\nzone = z.io\nname = a.z.io\ntsig-key-file = /k\n",
     .err = "10: missing key 'server' in [dns]"},
    {.text = BASE "[dns]\nserver = 10.0.0.1\nname = a.z.io\ntsig-key-file = /k\n",
     .err = "10: missing key 'zone' in [dns]"},
    {.text = BASE "[dns]\nserver = 10.0.0.1\nzone = z.io\ntsig-key-file = /k\n",
     .err = "10: missing key 'name' in [dns]"},
    {.text = BASE "[dns]\nserver = 10.0.0.1\nzone = z.io\nname = a.z.io\n",
     .err = "10: missing key 'tsig-key-file' in [dns]"},
    {"test_err_dns_values", BASE DNS_OK "name = keycloak.other.io\ntsig-key-file = /k\n",
     .err = "16: name: 'keycloak.other.io' is not inside zone 'local.mylab.io'"},
    {.text = BASE DNS_OK "name = keycloak.notlocal.mylab.io.x\ntsig-key-file = /k\n",
     .err = "16: name: 'keycloak.notlocal.mylab.io.x' is not inside zone 'local.mylab.io'"},
    {.text = BASE DNS_OK "name = xlocal.mylab.io\ntsig-key-file = /k\n",
     .err = "16: name: 'xlocal.mylab.io' is not inside zone 'local.mylab.io'"},
    {.text = BASE DNS_OK "name = bad..name\ntsig-key-file = /k\n",
     .err = "16: name: 'bad..name' is not a valid domain name"},
    {.text = BASE DNS_OK "name = k.local.mylab.io\ntarget = leader\n",
     .err = "17: target: 'leader' is not 'vip', 'self' or 'backend'"},
    {.text = BASE "[dns]\nserver = 192.168.1.10\nzone = local.mylab.io\n"
		  "name = k.local.mylab.io\ntsig-key-file = /k\n",
     .err = "10: target: 'vip' (the default) needs at least one [vip] section"},
    {.text = BASE DNS_OK "name = k.local.mylab.io\ntsig-key-file = /k\ntarget = backend\n",
     .err = "18: target: 'backend' needs at least one [backend] section"},
    {"test_err_hooks_metrics", BASE "[hooks]\non-leader = leader.sh\n",
     .err = "11: on-leader: 'leader.sh' must be an absolute path"},
    {.text = BASE "[hooks]\non-start = /bin/true\n",
     .err = "11: unknown key 'on-start' in [hooks]"},
    {.text = BASE "[metrics]\n", .err = "10: missing key 'listen' in [metrics]"},
    {.text = BASE "[metrics]\nlisten = 9101\n",
     .err = "11: listen: '9101' is not ADDR:PORT (use [ADDR]:PORT for IPv6)"},

    /* --- coordinator = etcd --- */
    {"test_etcd_ok",
     ETCD_CL "coordinator = etcd\n"
	     "etcd-endpoints = http://10.0.0.5:2379 ,https://etcd2:2379/, http://[::1]:2379\n"
	     "etcd-username = kcw\netcd-password-file = " DIR_MARK "/etcd.pw\nlease-ttl = 3s\n"
	     "etcd-lost = keep\n" ETCD_NODES,
     .file = "etcd.pw", .file_text = "s3cret\n", .file_mode = 0600, .check = check_etcd_full},
    {.text = ETCD_CL "coordinator = heartbeat\n" ETCD_NODES, .check = check_etcd_heartbeat},
    {.text = ETCD_CL "coordinator = etcd\netcd-endpoints = http://e:2379\n"
		     "etcd-prefix = /lb/site1\n" ETCD_NODES,
     .check = check_etcd_prefix},
    {"test_err_etcd", ETCD_CL "coordinator = raft\n" ETCD_NODES,
     .err = "4: coordinator: 'raft' is not 'heartbeat' or 'etcd'"},
    {.text = ETCD_CL "coordinator = etcd\n" ETCD_NODES,
     .err = "4: coordinator = etcd needs etcd-endpoints"},
    {.text = ETCD_CL "etcd-endpoints = http://e:2379\n" ETCD_NODES,
     .err = "4: etcd-endpoints: only used with coordinator = etcd"},
    {.text = ETCD_CL "coordinator = etcd\netcd-endpoints = e:2379\n" ETCD_NODES,
     .err = "5: etcd-endpoints: 'e:2379' is not an http:// or https:// URL"},
    {.text = ETCD_CL "coordinator = etcd\netcd-endpoints = http://e:2379/v3\n" ETCD_NODES,
     .err = "5: etcd-endpoints: 'http://e:2379/v3' is not SCHEME://HOST:PORT"},
    {.text =
	 ETCD_CL "coordinator = etcd\netcd-endpoints = http://e:2379\nlease-ttl = 1s\n" ETCD_NODES,
     .err = "6: lease-ttl: 1s is below etcd's floor of 2s (etcd raises a shorter lease to "
	    "1.5 x its election timeout)"},
    {.text = ETCD_CL
     "coordinator = etcd\netcd-endpoints = http://e:2379\nlease-ttl = 2500ms\n" ETCD_NODES,
     .err = "6: lease-ttl: 2500ms is not a whole number of seconds (etcd leases count seconds)"},
    {.text = ETCD_CL
     "coordinator = etcd\netcd-endpoints = http://e:2379\netcd-client-cert = c.pem\n" ETCD_NODES,
     .err = "6: etcd-client-cert needs etcd-client-key as well"},
    {.text = ETCD_CL
     "coordinator = etcd\netcd-endpoints = http://e:2379\netcd-username = u\n" ETCD_NODES,
     .err = "6: etcd-username needs etcd-password-file as well"},
    {.text = ETCD_CL
     "coordinator = etcd\netcd-endpoints = http://e:2379\netcd-lost = hold\n" ETCD_NODES,
     .err = "6: etcd-lost: 'hold' is not 'release' or 'keep'"},
    {.text = ETCD_CL
     "coordinator = etcd\netcd-endpoints = http://e:2379\netcd-prefix = kc/\n" ETCD_NODES,
     .err = "6: etcd-prefix: 'kc/' must start with / and not end with / (e.g. /kcwatch/kc)"},
    {.text = ETCD_CL
     "coordinator = etcd\netcd-endpoints = http://e:2379\ntie-breaker = 10.0.0.1\n" ETCD_NODES,
     .err = "6: tie-breaker: not used with coordinator = etcd (etcd decides who leads)"},
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* --- the runner ------------------------------------------------------------------------------- */

static void make_file(const char *dir, const struct conf_case *c)
{
	char path[PATH_MAX];

	path_in(dir, c->file, path, sizeof(path));
	if (c->file_text)
		write_file(path, c->file_text, c->file_mode);
	else
		assert_int_equal(mkdir(path, 0700), 0);
}

/* Loading conf must fail with exactly "conf:" want and leave *out untouched. */
static void expect_err(const char *conf, const char *want, const char *row)
{
	struct kcw_config *sentinel = malloc(sizeof(*sentinel));
	struct kcw_config *cfg = sentinel;
	char err[CFG_ERR_MAX] = "", full[CFG_ERR_MAX + PATH_MAX];
	bool untouched;
	int rc;

	assert_non_null(sentinel);
	rc = config_load(conf, &cfg, err, sizeof(err));
	snprintf(full, sizeof(full), "%s:%s", conf, want);
	untouched = cfg == sentinel;
	free(sentinel);
	if (rc >= 0 || !untouched || strcmp(err, full) != 0)
		fail_msg("%s: rc %d, *out %s, error\n  '%s', expected\n  '%s'", row, rc,
			 untouched ? "untouched" : "changed", err, full);
}

static void run_row(const char *dir, const struct conf_case *c, const char *row)
{
	char raw[TEXT_MAX], text[TEXT_MAX], want[CFG_ERR_MAX], conf[PATH_MAX];
	struct kcw_config *cfg;

	if (c->file)
		make_file(dir, c);
	if (c->gen)
		c->gen(raw, sizeof(raw));
	subst_dir(c->gen ? raw : c->text, dir, text, sizeof(text));
	path_in(dir, "kcwatch.conf", conf, sizeof(conf));
	write_file(conf, text, 0644);
	if (c->err) {
		subst_dir(c->err, dir, want, sizeof(want));
		expect_err(conf, want, row);
		return;
	}
	cfg = load_ok(conf, row);
	c->check(cfg, dir);
	config_free(cfg);
}

/* Runs the named row *state points at and the unnamed rows after it. */
static void run_case(void **state)
{
	const struct run *r = *state;
	const struct conf_case *c = r->row;

	char row[CFG_NAME_MAX + 32];

	do {
		snprintf(row, sizeof(row), "%s, row %d", r->row->name, (int)(c - r->row) + 1);
		run_row(r->dir, c, row);
		c++;
	} while (c < cases + N_CASES && !c->name);
}

/* --- what a row cannot say ---------------------------------------------------------------------
 */

static void digest_of(const char *dir, const char *text, uint8_t out[32])
{
	struct kcw_config *cfg = load_text(dir, text);

	memcpy(out, cfg->digest, 32);
	config_free(cfg);
}

static void test_digest_ignores_comments(void **state)
{
	const struct run *r = *state;
	uint8_t a[32], b[32];
	static const uint8_t zero[32];

	digest_of(r->dir, BASE "[vip v]\naddress = 192.168.1.215/24\ninterface = eth0\n", a);
	digest_of(r->dir,
		  "# a comment\n\n[cluster]   ; another\nname=kc\n  key-file   =   cluster.key\n"
		  "\n[node   lb1]\naddress = 192.168.1.213   # lb1\npriority = 150\n[node lb2]\n"
		  "address = 192.168.1.214\npriority = 100\n\n\n; vip\n[vip v]\n"
		  "address=192.168.1.215/24\ninterface = eth0 # nic\n",
		  b);
	assert_memory_equal(a, b, 32);
	assert_memory_not_equal(a, zero, 32);
}

static void test_digest_changes_with_value(void **state)
{
	const struct run *r = *state;
	uint8_t a[32], b[32];

	digest_of(r->dir, BASE, a);
	digest_of(r->dir,
		  "[cluster]\nname = kc\nkey-file = cluster.key\n[node lb1]\n"
		  "address = 192.168.1.213\npriority = 151\n[node lb2]\n"
		  "address = 192.168.1.214\npriority = 100\n",
		  b);
	assert_memory_not_equal(a, b, 32);
}

/* $CREDENTIALS_DIRECTORY/<basename> wins over the configured path when it exists there. */
static void test_key_from_credentials(void **state)
{
	const struct run *r = *state;
	char conf[2 * PATH_MAX], key[PATH_MAX], creds[PATH_MAX], cred[PATH_MAX + 32];
	struct kcw_config *cfg;

	path_in(r->dir, "cred.key", key, sizeof(key));
	write_file(key, KEY32_B64 "\n", 0600);
	subst_dir(KEY_CONF("cred.key"), r->dir, conf, sizeof(conf));
	path_in(r->dir, "creds", creds, sizeof(creds));
	assert_int_equal(mkdir(creds, 0700), 0);
	setenv("CREDENTIALS_DIRECTORY", creds, 1);
	cfg = load_text(r->dir, conf); /* not there: the configured path */
	assert_false(cfg->key_from_credential);
	assert_int_equal(cfg->key[0], 0);
	config_free(cfg);
	snprintf(cred, sizeof(cred), "%s/cred.key", creds);
	write_file(cred, KEY32B_B64 "\n", 0400);
	cfg = load_text(r->dir, conf);
	assert_true(cfg->key_from_credential);
	assert_string_equal(cfg->key_read, cred);
	assert_int_equal(cfg->key[0], 32);
	config_free(cfg);
	unsetenv("CREDENTIALS_DIRECTORY");
	cfg = load_text(r->dir, conf);
	assert_false(cfg->key_from_credential);
	assert_int_equal(cfg->key[0], 0);
	config_free(cfg);
}

static void test_key_relative_to_config_dir(void **state)
{
	const struct run *r = *state;
	struct kcw_config *cfg = NULL;
	char conf[PATH_MAX], sub[PATH_MAX], cwd[PATH_MAX], err[CFG_ERR_MAX];
	int rc;

	/* loaded as ../kcwatch.conf from DIR/sub, "cluster.key" still means DIR/cluster.key */
	path_in(r->dir, "kcwatch.conf", conf, sizeof(conf));
	write_file(conf, BASE, 0644);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	path_in(r->dir, "sub", sub, sizeof(sub));
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(chdir(sub), 0);
	rc = config_load("../kcwatch.conf", &cfg, err, sizeof(err));
	assert_int_equal(chdir(cwd), 0);
	if (rc != 0)
		fail_msg("config_load: %s", err);
	assert_string_equal(cfg->path, "../kcwatch.conf");
	assert_in_dir(cfg->key_file, r->dir, "cluster.key");
	assert_int_equal(cfg->key_len, 32);
	config_free(cfg);
}

static void test_err_missing_file(void **state)
{
	const struct run *r = *state;
	struct kcw_config *cfg = NULL;
	char err[CFG_ERR_MAX], path[PATH_MAX], want[PATH_MAX + 64];

	path_in(r->dir, "absent.conf", path, sizeof(path));
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -ENOENT);
	assert_null(cfg);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err, want);
}

static const struct CMUnitTest others[] = {
    cmocka_unit_test(test_digest_ignores_comments),
    cmocka_unit_test(test_digest_changes_with_value),
    cmocka_unit_test(test_key_from_credentials),
    cmocka_unit_test(test_key_relative_to_config_dir),
    cmocka_unit_test(test_err_missing_file),
};

#define N_OTHERS (sizeof(others) / sizeof(others[0]))

/* A fresh directory with DIR/cluster.key (bytes 0..31), its real path in dir. */
static int make_dir(char *dir, size_t len)
{
	char tmpl[PATH_MAX], key[PATH_MAX];

	snprintf(tmpl, sizeof(tmpl), "%s/kcw-test-config-XXXXXX", test_tmpdir());
	if (!mkdtemp(tmpl) || !realpath(tmpl, dir) || strlen(dir) >= len - 32)
		return -1;
	path_in(dir, "cluster.key", key, sizeof(key));
	write_file(key, KEY32_B64 "\n", 0600);
	return 0;
}

int main(void)
{
	struct CMUnitTest tests[N_CASES + N_OTHERS];
	struct run runs[N_CASES + N_OTHERS];
	char dir[PATH_MAX], cmd[PATH_MAX + 16];
	size_t n = 0;
	int rc;

	if (make_dir(dir, sizeof(dir)) != 0)
		return 1;
	for (size_t i = 0; i < N_CASES + N_OTHERS; i++) {
		bool row = i < N_CASES;

		if (row && !cases[i].name)
			continue;
		runs[n] = (struct run){dir, row ? &cases[i] : NULL};
		tests[n] = row ? (struct CMUnitTest){cases[i].name, run_case, NULL, NULL, NULL}
			       : others[i - N_CASES];
		tests[n].initial_state = &runs[n];
		n++;
	}
	rc = _cmocka_run_group_tests("tests", tests, n, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) != 0 ? 1 : rc;
}
