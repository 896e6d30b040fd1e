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

#include "daemon/config.h"
#include "tmpdir.h"
#include "daemon/hmac.h"

/* base64 of the bytes 0, 1, ..., 31 */
#define KEY32_B64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

/* Nine lines every error test builds on: added sections start at line 10. */
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

struct fx {
	char dir[256];	     /* real path of the temporary directory */
	char conf[PATH_MAX]; /* dir/kcwatch.conf */
};

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void path_in(const struct fx *fx, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", fx->dir, name);
}

static int group_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	char tmpl[PATH_MAX];
	char key[PATH_MAX], real[PATH_MAX];

	snprintf(tmpl, sizeof(tmpl), "%s/kcw-test-config-XXXXXX", test_tmpdir());
	if (!fx || !mkdtemp(tmpl) || !realpath(tmpl, real) || strlen(real) >= sizeof(fx->dir))
		return -1;
	strcpy(fx->dir, real);
	snprintf(fx->conf, sizeof(fx->conf), "%s/kcwatch.conf", fx->dir);
	path_in(fx, "cluster.key", key, sizeof(key));
	write_file(key, KEY32_B64 "\n", 0600);
	*state = fx;
	return 0;
}

static int group_teardown(void **state)
{
	struct fx *fx = *state;
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static struct kcw_config *load_ok(void **state, const char *text)
{
	struct fx *fx = *state;
	struct kcw_config *cfg = NULL;
	char err[CFG_ERR_MAX] = "";
	int rc;

	write_file(fx->conf, text, 0644);
	rc = config_load(fx->conf, &cfg, err, sizeof(err));
	if (rc != 0)
		fail_msg("config_load failed (%d): %s", rc, err);
	assert_non_null(cfg);
	return cfg;
}

/* Loading text must fail with exactly "CONF:" suffix and leave *out untouched. */
#define expect_err(state, text, suffix) expect_err_at(state, text, suffix, __FILE__, __LINE__)

static void expect_err_at(void **state, const char *text, const char *suffix, const char *file,
			  int line)
{
	struct fx *fx = *state;
	struct kcw_config *sentinel = malloc(sizeof(*sentinel));
	struct kcw_config *cfg = sentinel;
	char err[CFG_ERR_MAX] = "", want[CFG_ERR_MAX + PATH_MAX];
	bool untouched;
	int rc;

	assert_non_null(sentinel);
	write_file(fx->conf, text, 0644);
	rc = config_load(fx->conf, &cfg, err, sizeof(err));
	snprintf(want, sizeof(want), "%s:%s", fx->conf, suffix);
	untouched = cfg == sentinel;
	free(sentinel);
	_assert_true(rc < 0, "rc < 0", file, line);
	_assert_true(untouched, "*out untouched", file, line);
	_assert_string_equal(err, want, file, line);
}

static void assert_addr(const struct kcw_addr *a, const char *text)
{
	char buf[ADDR_STRLEN];

	assert_string_equal(addr_str(a, buf, sizeof(buf)), text);
}

/* --- valid configurations -------------------------------------------------------------------- */

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

static void test_full_cluster_and_nodes(void **state)
{
	struct fx *fx = *state;
	struct kcw_config *cfg = load_ok(state, full_conf);
	char want[PATH_MAX + 32];

	assert_string_equal(cfg->path, fx->conf);
	assert_string_equal(cfg->cluster_name, "keycloak");
	assert_int_equal(cfg->port, 7200);
	assert_int_equal(cfg->interval_ms, 200);
	assert_int_equal(cfg->dead_after, 4);
	path_in(fx, "cluster.key", want, sizeof(want));
	assert_string_equal(cfg->key_file, want);
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
	config_free(cfg);
}

static void test_full_vips(void **state)
{
	struct kcw_config *cfg = load_ok(state, full_conf);

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
	config_free(cfg);
}

static void test_full_backends(void **state)
{
	struct fx *fx = *state;
	struct kcw_config *cfg = load_ok(state, full_conf);
	const struct cfg_backend *b = &cfg->backends[0], *b2 = &cfg->backends[1];
	char want[PATH_MAX + 32];

	assert_int_equal(cfg->n_backends, 2);
	assert_string_equal(b->name, "sno1");
	assert_string_equal(b->url, "https://keycloak-rhbk.apps.sno1.local.mylab.io/health");
	assert_true(b->has_connect_to);
	assert_addr(&b->connect_addr, "192.168.1.231");
	assert_int_equal(b->connect_port, 443);
	path_in(fx, "ca.pem", want, sizeof(want));
	assert_string_equal(b->ca_file, want);
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
	config_free(cfg);
}

static void test_full_dns_hooks_metrics(void **state)
{
	struct fx *fx = *state;
	struct kcw_config *cfg = load_ok(state, full_conf);
	char want[PATH_MAX + 32];

	assert_true(cfg->dns.enabled);
	assert_addr(&cfg->dns.server, "192.168.1.10");
	assert_int_equal(cfg->dns.port, 5353);
	assert_string_equal(cfg->dns.zone, "local.mylab.io");
	assert_string_equal(cfg->dns.name, "keycloak.local.mylab.io");
	assert_int_equal(cfg->dns.ttl, 60);
	assert_int_equal(cfg->dns.target, DNS_TARGET_SELF);
	path_in(fx, "tsig.key", want, sizeof(want));
	assert_string_equal(cfg->dns.tsig_key_file, want);
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
	config_free(cfg);
}

static void test_defaults(void **state)
{
	struct kcw_config *cfg = load_ok(state, BASE);

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
	config_free(cfg);
}

static void test_ipv6_nodes(void **state)
{
	struct kcw_config *cfg = load_ok(state, "[cluster]\n"
						"name = kc6\n"
						"key-file = cluster.key\n"
						"tie-breaker = 2001:db8::1\n"
						"[node a]\n"
						"address = 2001:db8::213\n"
						"priority = 2\n"
						"[node b]\n"
						"address = 2001:db8::214\n"
						"priority = 1\n"
						"[vip v]\n"
						"address = 2001:db8::215/64\n"
						"interface = eth0\n");

	assert_int_equal(cfg->nodes[0].addr.family, AF_INET6);
	assert_addr(&cfg->nodes[0].addr, "2001:db8::213");
	assert_addr(&cfg->nodes[1].addr, "2001:db8::214");
	assert_addr(&cfg->tie_breaker, "2001:db8::1");
	assert_int_equal(cfg->vips[0].prefixlen, 64);
	assert_int_equal(config_node_index(cfg, "b"), 1);
	assert_int_equal(config_node_index(cfg, "a"), 0);
	assert_int_equal(config_node_index(cfg, "c"), -1);
	config_free(cfg);
}

static void test_comments_and_spacing(void **state)
{
	struct kcw_config *cfg = load_ok(state, "; leading comment\n"
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
						"url = https://h.example/health#frag  # note\n");

	assert_string_equal(cfg->cluster_name, "kc");
	assert_string_equal(cfg->control_socket, "/run/k;c#d.sock");
	assert_string_equal(cfg->backends[0].url, "https://h.example/health#frag");
	assert_addr(&cfg->nodes[1].addr, "192.168.1.214");
	config_free(cfg);
}

static void test_failback_modes(void **state)
{
	struct kcw_config *cfg = load_ok(state, BASE "[backends]\nfailback = never\n");

	assert_int_equal(cfg->backends_opt.failback, FAILBACK_NEVER);
	config_free(cfg);
	cfg = load_ok(state, BASE "[backends]\nfailback = immediate\n");
	assert_int_equal(cfg->backends_opt.failback, FAILBACK_IMMEDIATE);
	config_free(cfg);
	cfg = load_ok(state, BASE "[backends]\nfailback = after   30s\n");
	assert_int_equal(cfg->backends_opt.failback, FAILBACK_AFTER);
	assert_int_equal(cfg->backends_opt.failback_after_ms, 30000);
	config_free(cfg);
	expect_err(state, BASE "[backends]\nfailback = sometimes\n",
		   "11: failback: 'sometimes' is not 'after DURATION', 'never' or 'immediate'");
	expect_err(state, BASE "[backends]\nfailback = after 5\n",
		   "11: failback: '5' needs a unit (ms, s or m)");
}

/* BASE with realtime = VALUE as line 2 */
#define RT_CONF(value)                                                                             \
	"[cluster]\nrealtime = " value "\nname = kc\nkey-file = cluster.key\n"                     \
	"[node lb1]\naddress = 192.168.1.213\npriority = 150\n[node lb2]\naddress = "              \
	"192.168.1.214\npriority = 100\n"

static void test_realtime(void **state)
{
	struct kcw_config *cfg = load_ok(state, RT_CONF("yes"));

	assert_true(cfg->realtime);
	config_free(cfg);
	expect_err(state, RT_CONF("always"),
		   "2: realtime: 'always' is not a boolean (yes/no, true/false, on/off, 1/0)");
}

/* --- digest ----------------------------------------------------------------------------------- */

static void digest_of(void **state, const char *text, uint8_t out[32])
{
	struct kcw_config *cfg = load_ok(state, text);

	memcpy(out, cfg->digest, 32);
	config_free(cfg);
}

static void test_digest_ignores_comments(void **state)
{
	uint8_t a[32], b[32];
	static const uint8_t zero[32];

	digest_of(state, BASE "[vip v]\naddress = 192.168.1.215/24\ninterface = eth0\n", a);
	digest_of(state,
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
	uint8_t a[32], b[32];

	digest_of(state, BASE, a);
	digest_of(state,
		  "[cluster]\nname = kc\nkey-file = cluster.key\n[node lb1]\n"
		  "address = 192.168.1.213\npriority = 151\n[node lb2]\n"
		  "address = 192.168.1.214\npriority = 100\n",
		  b);
	assert_memory_not_equal(a, b, 32);
}

/* --- key file --------------------------------------------------------------------------------- */

static void key_conf(void **state, const char *keyname, const char *content, mode_t mode,
		     char *conf, size_t len)
{
	struct fx *fx = *state;
	char path[PATH_MAX];

	path_in(fx, keyname, path, sizeof(path));
	if (content)
		write_file(path, content, mode);
	snprintf(conf, len,
		 "[cluster]\nname = kc\nkey-file = %s\n[node lb1]\naddress = 192.168.1.213\n"
		 "priority = 150\n[node lb2]\naddress = 192.168.1.214\npriority = 100\n",
		 path);
}

static void key_err(void **state, const char *keyname, const char *content, mode_t mode,
		    const char *reason)
{
	struct fx *fx = *state;
	char conf[2 * PATH_MAX], want[CFG_ERR_MAX + 256];

	key_conf(state, keyname, content, mode, conf, sizeof(conf));
	snprintf(want, sizeof(want), "3: key-file %s/%s%s", fx->dir, keyname, reason);
	expect_err(state, conf, want);
}

static void test_key_mode_0644_refused(void **state)
{
	key_err(state, "k644.key", KEY32_B64 "\n", 0644,
		" is readable by others (mode 0644); chmod 0600 or 0640");
	key_err(state, "k602.key", KEY32_B64 "\n", 0602,
		" is writable by others (mode 0602); chmod 0600 or 0640");
}

static void test_key_group_writable_refused(void **state)
{
	key_err(state, "k620.key", KEY32_B64 "\n", 0620,
		" is writable by its group (mode 0620); chmod 0600 or 0640");
	key_err(state, "k660.key", KEY32_B64 "\n", 0660,
		" is writable by its group (mode 0660); chmod 0600 or 0640");
}

#define KEY32B_B64 "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=" /* bytes 32..63 */

static void test_key_two_lines(void **state)
{
	char conf[2 * PATH_MAX];
	struct kcw_config *cfg;

	key_conf(state, "two.key", KEY32_B64 "\n" KEY32B_B64 "\n", 0600, conf, sizeof(conf));
	cfg = load_ok(state, conf);
	assert_int_equal(cfg->key_len, 32);
	assert_int_equal(cfg->key[31], 31); /* the first line signs */
	assert_int_equal(cfg->key2_len, 32);
	assert_int_equal(cfg->key2[0], 32);
	assert_int_not_equal(cfg->key_id, 0);
	assert_int_not_equal(cfg->key_id, cfg->key2_id);
	assert_int_equal(cfg->key_id, hmac_key_id(cfg->key, 32));
	config_free(cfg);
	/* one line: no second key */
	key_conf(state, "one.key", KEY32B_B64 "\n", 0600, conf, sizeof(conf));
	cfg = load_ok(state, conf);
	assert_int_equal(cfg->key2_len, 0);
	assert_int_equal(cfg->key2_id, 0);
	assert_int_equal(cfg->key[0], 32);
	config_free(cfg);
	key_err(state, "three.key", KEY32_B64 "\n" KEY32B_B64 "\n" KEY32_B64 "\n", 0600,
		" holds more than 2 keys (one line of base64 each)");
	key_err(state, "same.key", KEY32_B64 "\n" KEY32_B64 "\n", 0600,
		" holds the same key twice");
}

/* $CREDENTIALS_DIRECTORY/<basename> wins over the configured path when it exists there. */
static void test_key_from_credentials(void **state)
{
	struct fx *fx = *state;
	char conf[2 * PATH_MAX], creds[PATH_MAX], cred[PATH_MAX + 32];
	struct kcw_config *cfg;

	key_conf(state, "cred.key", KEY32_B64 "\n", 0600, conf, sizeof(conf));
	path_in(fx, "creds", creds, sizeof(creds));
	assert_int_equal(mkdir(creds, 0700), 0);
	setenv("CREDENTIALS_DIRECTORY", creds, 1);
	cfg = load_ok(state, conf); /* not there: the configured path */
	assert_false(cfg->key_from_credential);
	assert_int_equal(cfg->key[0], 0);
	config_free(cfg);
	snprintf(cred, sizeof(cred), "%s/cred.key", creds);
	write_file(cred, KEY32B_B64 "\n", 0400);
	cfg = load_ok(state, conf);
	assert_true(cfg->key_from_credential);
	assert_string_equal(cfg->key_read, cred);
	assert_int_equal(cfg->key[0], 32);
	config_free(cfg);
	unsetenv("CREDENTIALS_DIRECTORY");
	cfg = load_ok(state, conf);
	assert_false(cfg->key_from_credential);
	assert_int_equal(cfg->key[0], 0);
	config_free(cfg);
}

static void test_key_mode_0640_accepted(void **state)
{
	char conf[2 * PATH_MAX];
	struct kcw_config *cfg;

	key_conf(state, "k640.key", "  " KEY32_B64 "  \n\n", 0640, conf, sizeof(conf));
	cfg = load_ok(state, conf);
	assert_int_equal(cfg->key_len, 32);
	assert_int_equal(cfg->key[31], 31);
	config_free(cfg);
}

static void test_key_missing(void **state)
{
	key_err(state, "nokey", NULL, 0, ": No such file or directory");
}

static void test_key_not_regular(void **state)
{
	struct fx *fx = *state;
	char dir[PATH_MAX];

	path_in(fx, "keydir", dir, sizeof(dir));
	assert_int_equal(mkdir(dir, 0700), 0);
	key_err(state, "keydir", NULL, 0, " is not a regular file");
}

static void test_key_bad_base64(void **state)
{
	key_err(state, "bad1.key", "this is not base64!\n", 0600,
		": not valid base64 (expected one line of base64)");
	/* two lines are two keys (a rotation): each must be a whole key */
	key_err(state, "bad2.key", "AAECAwQFBgcICQoLDA0O\nDxAREhMUFRYXGBkaGxwdHh8=\n", 0600,
		": key is too short (15 bytes, at least 32 needed)");
	key_err(state, "bad4.key", KEY32_B64 "\nthis is not base64!\n", 0600,
		" line 2: not valid base64 (expected one line of base64)");
	key_err(state, "bad3.key", "AAEC=wQF\n", 0600,
		": not valid base64 (expected one line of base64)");
	key_err(state, "empty.key", "\n", 0600, " is empty");
}

static void test_key_too_short_or_long(void **state)
{
	/* 16 bytes; then 31 bytes, which EVP_DecodeBlock would report as 33 with padding */
	key_err(state, "short.key", "AAECAwQFBgcICQoLDA0ODw==\n", 0600,
		": key is too short (16 bytes, at least 32 needed)");
	key_err(state, "short31.key", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n", 0600,
		": key is too short (31 bytes, at least 32 needed)");
	char long_key[400];
	memset(long_key, 'A', 176);
	strcpy(long_key + 176, "\n");
	key_err(state, "long.key", long_key, 0600, ": key is too long (132 bytes, at most 128)");
}

static void test_key_unpadded_accepted(void **state)
{
	char conf[2 * PATH_MAX];
	struct kcw_config *cfg;

	/* 32 bytes without the trailing '=' */
	key_conf(state, "nopad.key", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n", 0600, conf,
		 sizeof(conf));
	cfg = load_ok(state, conf);
	assert_int_equal(cfg->key_len, 32);
	assert_int_equal(cfg->key[0], 0);
	assert_int_equal(cfg->key[31], 31);
	config_free(cfg);
}

static void test_key_relative_to_config_dir(void **state)
{
	struct fx *fx = *state;
	struct kcw_config *cfg = NULL;
	char sub[PATH_MAX], want[PATH_MAX + 32], cwd[PATH_MAX], err[CFG_ERR_MAX];
	int rc;

	/* loaded as ../kcwatch.conf from DIR/sub, "cluster.key" still means DIR/cluster.key */
	write_file(fx->conf, BASE, 0644);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	path_in(fx, "sub", sub, sizeof(sub));
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(chdir(sub), 0);
	rc = config_load("../kcwatch.conf", &cfg, err, sizeof(err));
	assert_int_equal(chdir(cwd), 0);
	if (rc != 0)
		fail_msg("config_load: %s", err);
	assert_string_equal(cfg->path, "../kcwatch.conf");
	path_in(fx, "cluster.key", want, sizeof(want));
	assert_string_equal(cfg->key_file, want);
	assert_int_equal(cfg->key_len, 32);
	config_free(cfg);
}

/* --- example file ------------------------------------------------------------------------------
 */

static void test_example_parses(void **state)
{
	struct fx *fx = *state;
	FILE *in = fopen(TEST_SRCDIR "/../doc/kcwatch.conf.example", "r");
	char line[1024], copy[PATH_MAX], key[PATH_MAX], err[CFG_ERR_MAX];
	struct kcw_config *cfg = NULL;
	FILE *out;
	int n_key = 0;

	assert_non_null(in);
	path_in(fx, "example/kcwatch.conf", copy, sizeof(copy));
	path_in(fx, "cluster.key", key, sizeof(key));
	path_in(fx, "example", line, sizeof(line));
	assert_int_equal(mkdir(line, 0700), 0);
	out = fopen(copy, "w");
	assert_non_null(out);
	while (fgets(line, sizeof(line), in)) {
		if (!strncmp(line, "key-file", 8)) {
			fprintf(out, "key-file = %s\n", key);
			n_key++;
		} else {
			fputs(line, out);
		}
	}
	fclose(in);
	fclose(out);
	assert_int_equal(n_key, 1);
	if (config_load(copy, &cfg, err, sizeof(err)) != 0)
		fail_msg("example: %s", err);
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
	config_free(cfg);
}

/* --- file-level and section errors -------------------------------------------------------------
 */

static void test_err_missing_file(void **state)
{
	struct fx *fx = *state;
	struct kcw_config *cfg = NULL;
	char err[CFG_ERR_MAX], path[PATH_MAX], want[PATH_MAX + 64];

	path_in(fx, "absent.conf", path, sizeof(path));
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -ENOENT);
	assert_null(cfg);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err, want);
}

static void test_err_syntax(void **state)
{
	expect_err(state, BASE "this is no key\n",
		   "10: expected 'key = value' or '[section]', got 'this is no key'");
	expect_err(state, BASE "[vip v\n", "10: section header '[vip v' has no closing ']'");
	expect_err(state, BASE "= 5\n", "10: missing key before '='");
	expect_err(state, "port = 7112\n" BASE, "1: key 'port' is outside of any section");
}

static void test_err_unknown_section(void **state)
{
	expect_err(state, BASE "[clutser]\n", "10: unknown section [clutser]");
}

static void test_err_section_names(void **state)
{
	expect_err(state, BASE "[node]\n", "10: section [node] needs a name: [node NAME]");
	expect_err(state, BASE "[backends x]\n", "10: section [backends] takes no name (got 'x')");
	expect_err(state, BASE "[node a/b]\n",
		   "10: invalid node name 'a/b' (use 1..63 characters of A-Z a-z 0-9 . _ -)");
	expect_err(state, BASE "[node -n]\n",
		   "10: invalid node name '-n': it starts with '-' (a name may not start with '-': "
		   "hooks get names as arguments)");
	expect_err(state, BASE "[vip --x]\n",
		   "10: invalid vip name '--x': it starts with '-' (a name may not start with '-': "
		   "hooks get names as arguments)");
	expect_err(state, "[cluster]\nname = -kc\n",
		   "2: name: '-kc' starts with '-' (a name may not start with '-': hooks get names "
		   "as arguments)");
	expect_err(
	    state, BASE "[backend -sno1]\n",
	    "10: invalid backend name '-sno1': it starts with '-' (a name may not start with "
	    "'-': hooks get names as arguments)");
}

static void test_err_missing_cluster(void **state)
{
	expect_err(state, "[node lb1]\naddress = 192.168.1.213\npriority = 1\n",
		   " missing section [cluster]");
	expect_err(state, "", " missing section [cluster]");
}

static void test_err_duplicate_sections(void **state)
{
	expect_err(state, BASE "[cluster]\n",
		   "10: duplicate section [cluster] (first defined at line 1)");
	expect_err(state, BASE "[node lb1]\naddress = 192.168.1.220\npriority = 5\n",
		   "10: duplicate node 'lb1' (first defined at line 4)");
	expect_err(state,
		   BASE "[vip a]\naddress = 10.0.0.1/24\ninterface = eth0\n"
			"[vip a]\naddress = 10.0.0.2/24\ninterface = eth0\n",
		   "13: duplicate vip 'a' (first defined at line 10)");
	expect_err(state, BASE "[backend b]\nurl = https://x/\n[backend b]\nurl = https://y/\n",
		   "12: duplicate backend 'b' (first defined at line 10)");
}

static void test_err_unknown_key(void **state)
{
	expect_err(state, BASE "[node lb3]\naddress = 192.168.1.220\nprioity = 5\n",
		   "12: unknown key 'prioity' in [node lb3]");
	expect_err(state, BASE "[dns]\nsevrer = 1.2.3.4\n", "11: unknown key 'sevrer' in [dns]");
}

static void test_err_duplicate_key(void **state)
{
	expect_err(state, BASE "[node lb3]\naddress = 192.168.1.220\npriority = 5\npriority = 6\n",
		   "13: duplicate key 'priority' in [node lb3] (first set at line 12)");
	expect_err(state, BASE "[node lb3]\naddress =\n", "11: address: empty value");
}

/* --- [cluster] and [node] ----------------------------------------------------------------------
 */

static void test_err_cluster_required(void **state)
{
	expect_err(state, "[cluster]\nkey-file = cluster.key\n",
		   "1: missing key 'name' in [cluster]");
	expect_err(state, "[cluster]\nname = kc\n", "1: missing key 'key-file' in [cluster]");
	expect_err(
	    state, "[cluster]\nname = k c\nkey-file = cluster.key\n",
	    "2: name: 'k c' is not a valid name (use 1..63 characters of A-Z a-z 0-9 . _ -)");
}

static void test_err_too_few_nodes(void **state)
{
	expect_err(state,
		   "[cluster]\nname = kc\nkey-file = cluster.key\n[node lb1]\n"
		   "address = 192.168.1.213\npriority = 1\n",
		   " at least two [node] sections with a priority are needed (found 1)");
}

/* The file the RPM installs as /etc/kcwatch/kcwatch.conf: [cluster] only, pointing at the example.
 */
static void test_err_no_nodes(void **state)
{
	struct fx *fx = *state;
	FILE *in = fopen(TEST_SRCDIR "/../rpm/kcwatch.conf", "r");
	char text[4096];
	size_t n;

	expect_err(state, "[cluster]\nname = kc\nkey-file = cluster.key\n",
		   " no [node] sections: see kcwatch.conf(5) and " DOCDIR "/kcwatch.conf.example");
	assert_non_null(in);
	n = fread(text, 1, sizeof(text) - 1, in);
	fclose(in);
	text[n] = '\0';
	assert_non_null(strstr(text, "[cluster]"));
	expect_err(state, text,
		   " no [node] sections: see kcwatch.conf(5) and " DOCDIR "/kcwatch.conf.example");
	(void)fx;
}

static void test_err_node_address(void **state)
{
	expect_err(state, BASE "[node lb3]\npriority = 5\n",
		   "10: missing key 'address' in [node lb3]");
	expect_err(state, BASE "[node lb3]\naddress = 192.168.1\npriority = 5\n",
		   "11: address: '192.168.1' is not an IPv4 or IPv6 address");
	expect_err(state, BASE "[node lb3]\naddress = 192.168.1.213\npriority = 5\n",
		   "11: address: 192.168.1.213 is already used by node 'lb1'");
}

static void test_err_mixed_families(void **state)
{
	expect_err(state, BASE "[node lb3]\naddress = 2001:db8::3\npriority = 5\n",
		   "11: address: 2001:db8::3 is IPv6 but node 'lb1' is IPv4 (all nodes must share "
		   "one address family)");
}

static void test_err_priority(void **state)
{
	expect_err(state, BASE "[node lb3]\naddress = 192.168.1.220\n",
		   "10: missing key 'priority' in [node lb3]");
	expect_err(state, BASE "[node lb3]\naddress = 192.168.1.220\npriority = 300\n",
		   "12: priority: 300 is out of range (1..254)");
	expect_err(state, BASE "[node lb3]\naddress = 192.168.1.220\npriority = 0\n",
		   "12: priority: 0 is out of range (1..254)");
	expect_err(state, BASE "[node lb3]\naddress = 192.168.1.220\npriority = high\n",
		   "12: priority: 'high' is not a number");
	expect_err(state, BASE "[node lb3]\naddress = 192.168.1.220\npriority = -1\n",
		   "12: priority: '-1' is not a number");
}

#define WITNESS_NODES                                                                              \
	"[node lb1]\naddress = 192.168.1.213\npriority = 150\n"                                    \
	"[node lb2]\naddress = 192.168.1.214\npriority = 100\n"

static void test_witness_ok(void **state)
{
	struct kcw_config *cfg =
	    load_ok(state, "[cluster]\nname = kc\nkey-file = cluster.key\n"
			   "witness = w\n" WITNESS_NODES
			   "[node w]\naddress = 192.168.1.216\nrole = witness\n");

	assert_string_equal(cfg->witness, "w");
	assert_int_equal(config_node_index(cfg, "w"), 2);
	assert_int_equal(cfg->nodes[2].kind, NODE_KIND_WITNESS);
	config_free(cfg);
}

static void test_err_witness(void **state)
{
	expect_err(state,
		   "[cluster]\nname = kc\nkey-file = cluster.key\nwitness = w\n" WITNESS_NODES,
		   "4: witness: there is no [node w]");
	expect_err(state,
		   "[cluster]\nname = kc\nkey-file = cluster.key\nwitness = lb2\n" WITNESS_NODES,
		   "4: witness: node 'lb2' does not have role = witness");
	expect_err(state,
		   "[cluster]\nname = kc\nkey-file = cluster.key\nwitness = w\n" WITNESS_NODES
		   "[node w]\naddress = 192.168.1.216\nrole = witness\npriority = 5\n",
		   "14: priority: node 'w' has role = witness and takes no priority");
	expect_err(state,
		   "[cluster]\nname = kc\nkey-file = cluster.key\n" WITNESS_NODES
		   "[node w]\naddress = 192.168.1.216\nrole = witness\n",
		   "12: node 'w' has role = witness but [cluster] does not name it (witness = w)");
	expect_err(state, BASE "[node w]\naddress = 192.168.1.216\nrole = judge\n",
		   "12: role: 'judge' is not 'peer' or 'witness'");
}

static void test_err_durations(void **state)
{
	expect_err(state,
		   BASE "[vip v]\naddress = 10.0.0.1/24\ninterface = eth0\ngarp-interval = 200\n",
		   "13: garp-interval: '200' needs a unit (ms, s or m)");
	expect_err(state, "[cluster]\nname = kc\ninterval = 200\n",
		   "3: interval: '200' needs a unit (ms, s or m)");
	expect_err(state, "[cluster]\ninterval = 5ms\n",
		   "2: interval: 5ms is out of range (10ms..60s)");
	expect_err(state, "[cluster]\ninterval = 2m\n",
		   "2: interval: 2m is out of range (10ms..60s)");
	expect_err(state, "[cluster]\ninterval = 0\n",
		   "2: interval: 0 is out of range (10ms..60s)");
	expect_err(state, "[cluster]\ninterval = 2h\n",
		   "2: interval: '2h' is not a duration (e.g. 200ms, 2s, 5m)");
	expect_err(state, "[cluster]\ninterval = 99999999999999999999999s\n",
		   "2: interval: 99999999999999999999999s is out of range (10ms..60s)");
	expect_err(state,
		   BASE "[vip v]\naddress = 10.0.0.1/24\ninterface = eth0\ngarp-refresh = 500ms\n",
		   "13: garp-refresh: 500ms is out of range (0 or 1s..60m)");
}

static void test_err_bool_and_ints(void **state)
{
	expect_err(state, "[cluster]\npreempt = maybe\n",
		   "2: preempt: 'maybe' is not a boolean (yes/no, true/false, on/off, 1/0)");
	expect_err(state, "[cluster]\nport = 70000\n", "2: port: 70000 is out of range (1..65535)");
	expect_err(state, "[cluster]\ndead-after = 1\n",
		   "2: dead-after: 1 is out of range (2..100)");
	expect_err(state, "[cluster]\ncontrol-socket = run/k.sock\n",
		   "2: control-socket: 'run/k.sock' must be an absolute path");
	expect_err(state, "[cluster]\ntie-breaker = router\n",
		   "2: tie-breaker: 'router' is not an IPv4 or IPv6 address");
}

static void test_err_too_many_nodes(void **state)
{
	char text[8192];
	int n;

	n = snprintf(text, sizeof(text), "[cluster]\nname = kc\nkey-file = cluster.key\n");
	for (int i = 0; i <= CFG_MAX_NODES; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
			      "[node n%d]\naddress = 10.0.0.%d\npriority = %d\n", i, i + 1, i + 1);
	/* the 17th node header is at line 4 + 16 * 3 = 52 */
	expect_err(state, text, "52: too many [node] sections (at most 16)");
}

/* --- [vip], [backend], [backends], [dns], [hooks], [metrics] -----------------------------------
 */

static void test_err_vip(void **state)
{
	expect_err(state, BASE "[vip v]\ninterface = eth0\n",
		   "10: missing key 'address' in [vip v]");
	expect_err(state, BASE "[vip v]\naddress = 10.0.0.1/24\n",
		   "10: missing key 'interface' in [vip v]");
	expect_err(state, BASE "[vip v]\naddress = 192.168.1.215\n",
		   "11: address: '192.168.1.215' needs a prefix length, e.g. 192.168.1.215/24");
	expect_err(state, BASE "[vip v]\naddress = 192.168.1.215/33\n",
		   "11: address: '192.168.1.215/33' is not an IPv4 or IPv6 address with a prefix "
		   "length");
	expect_err(state,
		   BASE "[vip v]\naddress = 10.0.0.1/24\ninterface = averyveryverylongname\n",
		   "12: interface: 'averyveryverylongname' is too long (max 15 characters)");
	expect_err(state, BASE "[vip v]\naddress = 192.168.1.213/24\ninterface = eth0\n",
		   "11: address: 192.168.1.213/24 is the address of node 'lb1'");
	expect_err(state,
		   BASE "[vip a]\naddress = 10.0.0.1/24\ninterface = eth0\n"
			"[vip b]\naddress = 10.0.0.1/16\ninterface = eth1\n",
		   "14: address: 10.0.0.1/16 is already used by vip 'a'");
}

static void test_err_too_many_vips(void **state)
{
	char text[8192];
	int n;

	n = snprintf(text, sizeof(text), "%s", BASE);
	for (int i = 0; i <= CFG_MAX_VIPS; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
			      "[vip v%d]\naddress = 10.0.0.%d/24\ninterface = eth0\n", i, i + 1);
	/* header of the 17th: 10 + 16 * 3 = 58 */
	expect_err(state, text, "58: too many [vip] sections (at most 16)");
}

static void test_err_too_many_backends(void **state)
{
	char text[8192];
	int n;

	n = snprintf(text, sizeof(text), "%s", BASE);
	for (int i = 0; i <= CFG_MAX_BACKENDS; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
			      "[backend b%d]\nurl = https://b%d/\n", i, i);
	/* header of the 33rd: 10 + 32 * 2 = 74 */
	expect_err(state, text, "74: too many [backend] sections (at most 32)");
}

static void test_err_backend(void **state)
{
	expect_err(state, BASE "[backend b]\nrise = 2\n", "10: missing key 'url' in [backend b]");
	expect_err(state, BASE "[backend b]\nurl = ftp://x/health\n",
		   "11: url: 'ftp://x/health' must start with https:// or http://");
	expect_err(state, BASE "[backend b]\nurl = https:///health\n",
		   "11: url: 'https:///health' has no host");
	expect_err(state, BASE "[backend b]\nurl = https://x/\nconnect-to = 10.0.0.1\n",
		   "12: connect-to: '10.0.0.1' is not ADDR:PORT (use [ADDR]:PORT for IPv6)");
	expect_err(state, BASE "[backend b]\nurl = https://x/\nexpect-status = 600\n",
		   "12: expect-status: 600 is out of range (100..599)");
	expect_err(state, BASE "[backend b]\nurl = https://x/\nhaproxy-server = a b\n",
		   "12: haproxy-server: 'a b' is not a valid name (use 1..63 characters of A-Z a-z "
		   "0-9 . _ -)");
	expect_err(state,
		   BASE "[backend a]\nurl = https://x/\nhaproxy-server = s\n"
			"[backend b]\nurl = https://y/\nhaproxy-server = s\n",
		   "15: haproxy-server: 's' is already used by backend 'a'");
}

static void test_err_backend_exclusive(void **state)
{
	expect_err(state,
		   BASE
		   "[backend b]\nurl = https://x/\nexpect-json-status = UP\nexpect-body = UP\n",
		   "13: expect-body: cannot be combined with expect-json-status (line 12)");
	expect_err(state,
		   BASE
		   "[backend b]\nexpect-body = UP\nurl = https://x/\nexpect-json-status = UP\n",
		   "13: expect-json-status: cannot be combined with expect-body (line 11)");
	expect_err(state, BASE "[backend b]\nurl = https://x/\nclient-cert = /c.pem\n",
		   "12: client-cert is set but client-key is missing in [backend b]");
	expect_err(state, BASE "[backend b]\nurl = https://x/\nclient-key = /c.key\n",
		   "12: client-key is set but client-cert is missing in [backend b]");
}

static void test_err_backend_timeout(void **state)
{
	expect_err(state, BASE "[backend b]\nurl = https://x/\ninterval = 1s\ntimeout = 1s\n",
		   "13: timeout: 1s must be shorter than interval (1s)");
	expect_err(state, BASE "[backend b]\nurl = https://x/\ninterval = 500ms\n",
		   "12: timeout: 1s must be shorter than interval (500ms)");
}

static void test_err_backends_haproxy(void **state)
{
	expect_err(state, BASE "[backends]\nhaproxy-socket = /var/lib/haproxy/stats\n",
		   "11: haproxy-socket is set but haproxy-backend is missing in [backends]");
}

#define DNS_OK                                                                                     \
	"[vip v]\naddress = 192.168.1.215/24\ninterface = eth0\n"                                  \
	"[dns]\nserver = 192.168.1.10\nzone = local.mylab.io\n"

static void test_err_dns_required(void **state)
{
	expect_err(state, BASE "[dns]\nzone = z.io\nname = a.z.io\ntsig-key-file = /k\n",
		   "10: missing key 'server' in [dns]");
	expect_err(state, BASE "[dns]\nserver = 10.0.0.1\nname = a.z.io\ntsig-key-file = /k\n",
		   "10: missing key 'zone' in [dns]");
	expect_err(state, BASE "[dns]\nserver = 10.0.0.1\nzone = z.io\ntsig-key-file = /k\n",
		   "10: missing key 'name' in [dns]");
	expect_err(state, BASE "[dns]\nserver = 10.0.0.1\nzone = z.io\nname = a.z.io\n",
		   "10: missing key 'tsig-key-file' in [dns]");
}

static void test_err_dns_values(void **state)
{
	expect_err(state, BASE DNS_OK "name = keycloak.other.io\ntsig-key-file = /k\n",
		   "16: name: 'keycloak.other.io' is not inside zone 'local.mylab.io'");
	expect_err(state, BASE DNS_OK "name = keycloak.notlocal.mylab.io.x\ntsig-key-file = /k\n",
		   "16: name: 'keycloak.notlocal.mylab.io.x' is not inside zone 'local.mylab.io'");
	expect_err(state, BASE DNS_OK "name = xlocal.mylab.io\ntsig-key-file = /k\n",
		   "16: name: 'xlocal.mylab.io' is not inside zone 'local.mylab.io'");
	expect_err(state, BASE DNS_OK "name = bad..name\ntsig-key-file = /k\n",
		   "16: name: 'bad..name' is not a valid domain name");
	expect_err(state, BASE DNS_OK "name = k.local.mylab.io\ntarget = leader\n",
		   "17: target: 'leader' is not 'vip', 'self' or 'backend'");
	expect_err(state,
		   BASE "[dns]\nserver = 192.168.1.10\nzone = local.mylab.io\n"
			"name = k.local.mylab.io\ntsig-key-file = /k\n",
		   "10: target: 'vip' (the default) needs at least one [vip] section");
	expect_err(state,
		   BASE DNS_OK "name = k.local.mylab.io\ntsig-key-file = /k\ntarget = backend\n",
		   "18: target: 'backend' needs at least one [backend] section");
}

static void test_err_hooks_metrics(void **state)
{
	expect_err(state, BASE "[hooks]\non-leader = leader.sh\n",
		   "11: on-leader: 'leader.sh' must be an absolute path");
	expect_err(state, BASE "[hooks]\non-start = /bin/true\n",
		   "11: unknown key 'on-start' in [hooks]");
	expect_err(state, BASE "[metrics]\n", "10: missing key 'listen' in [metrics]");
	expect_err(state, BASE "[metrics]\nlisten = 9101\n",
		   "11: listen: '9101' is not ADDR:PORT (use [ADDR]:PORT for IPv6)");
}


#define ETCD_CL "[cluster]\nname = kc\nkey-file = cluster.key\n"
#define ETCD_NODES                                                                                 \
	"[node lb1]\naddress = 192.168.1.213\npriority = 150\n"                                   \
	"[node lb2]\naddress = 192.168.1.214\npriority = 100\n"

static void test_etcd_ok(void **state)
{
	struct fx *fx = *state;
	char pw[PATH_MAX], text[2048];
	struct kcw_config *cfg;

	path_in(fx, "etcd.pw", pw, sizeof(pw));
	write_file(pw, "s3cret\n", 0600);
	snprintf(text, sizeof(text),
		 ETCD_CL "coordinator = etcd\n"
			 "etcd-endpoints = http://10.0.0.5:2379 ,https://etcd2:2379/, http://[::1]:2379\n"
			 "etcd-username = kcw\netcd-password-file = %s\nlease-ttl = 3s\n"
			 "etcd-lost = keep\n" ETCD_NODES,
		 pw);
	cfg = load_ok(state, text);
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
	config_free(cfg);

	cfg = load_ok(state, ETCD_CL "coordinator = heartbeat\n" ETCD_NODES);
	assert_int_equal(cfg->coordinator, COORD_HEARTBEAT);
	assert_int_equal(cfg->etcd.lease_ttl_ms, 5000);
	assert_false(cfg->etcd.lost_keep);
	config_free(cfg);
	cfg = load_ok(state, ETCD_CL "coordinator = etcd\netcd-endpoints = http://e:2379\n"
				     "etcd-prefix = /lb/site1\n" ETCD_NODES);
	assert_string_equal(cfg->etcd.prefix, "/lb/site1");
	assert_int_equal(cfg->etcd.lease_ttl_ms, 5000);
	config_free(cfg);
}

static void test_err_etcd(void **state)
{
	expect_err(state, ETCD_CL "coordinator = raft\n" ETCD_NODES,
		   "4: coordinator: 'raft' is not 'heartbeat' or 'etcd'");
	expect_err(state, ETCD_CL "coordinator = etcd\n" ETCD_NODES,
		   "4: coordinator = etcd needs etcd-endpoints");
	expect_err(state, ETCD_CL "etcd-endpoints = http://e:2379\n" ETCD_NODES,
		   "4: etcd-endpoints: only used with coordinator = etcd");
	expect_err(state, ETCD_CL "coordinator = etcd\netcd-endpoints = e:2379\n" ETCD_NODES,
		   "5: etcd-endpoints: 'e:2379' is not an http:// or https:// URL");
	expect_err(state, ETCD_CL "coordinator = etcd\netcd-endpoints = http://e:2379/v3\n" ETCD_NODES,
		   "5: etcd-endpoints: 'http://e:2379/v3' is not SCHEME://HOST:PORT");
	expect_err(state,
		   ETCD_CL "coordinator = etcd\netcd-endpoints = http://e:2379\nlease-ttl = 1s\n" ETCD_NODES,
		   "6: lease-ttl: 1s is below etcd's floor of 2s (etcd raises a shorter lease to "
		   "1.5 x its election timeout)");
	expect_err(state,
		   ETCD_CL "coordinator = etcd\netcd-endpoints = http://e:2379\nlease-ttl = 2500ms\n" ETCD_NODES,
		   "6: lease-ttl: 2500ms is not a whole number of seconds (etcd leases count seconds)");
	expect_err(state,
		   ETCD_CL "coordinator = etcd\netcd-endpoints = http://e:2379\netcd-client-cert = c.pem\n" ETCD_NODES,
		   "6: etcd-client-cert needs etcd-client-key as well");
	expect_err(state,
		   ETCD_CL "coordinator = etcd\netcd-endpoints = http://e:2379\netcd-username = u\n" ETCD_NODES,
		   "6: etcd-username needs etcd-password-file as well");
	expect_err(state,
		   ETCD_CL "coordinator = etcd\netcd-endpoints = http://e:2379\netcd-lost = hold\n" ETCD_NODES,
		   "6: etcd-lost: 'hold' is not 'release' or 'keep'");
	expect_err(state,
		   ETCD_CL "coordinator = etcd\netcd-endpoints = http://e:2379\netcd-prefix = kc/\n" ETCD_NODES,
		   "6: etcd-prefix: 'kc/' must start with / and not end with / (e.g. /kcwatch/kc)");
	expect_err(state,
		   ETCD_CL "coordinator = etcd\netcd-endpoints = http://e:2379\ntie-breaker = 10.0.0.1\n" ETCD_NODES,
		   "6: tie-breaker: not used with coordinator = etcd (etcd decides who leads)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_cluster_and_nodes),
	    cmocka_unit_test(test_full_vips),
	    cmocka_unit_test(test_full_backends),
	    cmocka_unit_test(test_full_dns_hooks_metrics),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_ipv6_nodes),
	    cmocka_unit_test(test_comments_and_spacing),
	    cmocka_unit_test(test_realtime),
	    cmocka_unit_test(test_failback_modes),
	    cmocka_unit_test(test_digest_ignores_comments),
	    cmocka_unit_test(test_digest_changes_with_value),
	    cmocka_unit_test(test_key_mode_0644_refused),
	    cmocka_unit_test(test_key_mode_0640_accepted),
	    cmocka_unit_test(test_key_missing),
	    cmocka_unit_test(test_key_not_regular),
	    cmocka_unit_test(test_key_group_writable_refused),
	    cmocka_unit_test(test_key_two_lines),
	    cmocka_unit_test(test_key_from_credentials),
	    cmocka_unit_test(test_key_bad_base64),
	    cmocka_unit_test(test_key_too_short_or_long),
	    cmocka_unit_test(test_key_unpadded_accepted),
	    cmocka_unit_test(test_key_relative_to_config_dir),
	    cmocka_unit_test(test_example_parses),
	    cmocka_unit_test(test_err_missing_file),
	    cmocka_unit_test(test_err_syntax),
	    cmocka_unit_test(test_err_unknown_section),
	    cmocka_unit_test(test_err_section_names),
	    cmocka_unit_test(test_err_missing_cluster),
	    cmocka_unit_test(test_err_duplicate_sections),
	    cmocka_unit_test(test_err_unknown_key),
	    cmocka_unit_test(test_err_duplicate_key),
	    cmocka_unit_test(test_err_cluster_required),
	    cmocka_unit_test(test_err_too_few_nodes),
	    cmocka_unit_test(test_err_no_nodes),
	    cmocka_unit_test(test_err_node_address),
	    cmocka_unit_test(test_err_mixed_families),
	    cmocka_unit_test(test_err_priority),
	    cmocka_unit_test(test_witness_ok),
	    cmocka_unit_test(test_err_witness),
	    cmocka_unit_test(test_err_durations),
	    cmocka_unit_test(test_err_bool_and_ints),
	    cmocka_unit_test(test_err_too_many_nodes),
	    cmocka_unit_test(test_err_vip),
	    cmocka_unit_test(test_err_too_many_vips),
	    cmocka_unit_test(test_err_too_many_backends),
	    cmocka_unit_test(test_err_backend),
	    cmocka_unit_test(test_err_backend_exclusive),
	    cmocka_unit_test(test_err_backend_timeout),
	    cmocka_unit_test(test_err_backends_haproxy),
	    cmocka_unit_test(test_err_dns_required),
	    cmocka_unit_test(test_err_dns_values),
	    cmocka_unit_test(test_err_hooks_metrics),
	    cmocka_unit_test(test_etcd_ok),
	    cmocka_unit_test(test_err_etcd),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
