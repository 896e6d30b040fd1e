/* SPDX-License-Identifier: MIT */
/* test_config.c: the config parser on valid files (every value, defaults), key files, digest. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_cases.h"
#include "hmac.h"

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

/* --- configurations read from the tree ---------------------------------------------------- */

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

    {"test_witness_ok",
     "[cluster]\nname = kc\nkey-file = cluster.key\nwitness = w\n" WITNESS_NODES
     "[node w]\naddress = 192.168.1.216\nrole = witness\n",
     .check = check_witness},
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
};

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

int main(void)
{
	return config_cases_main(cases, sizeof(cases) / sizeof(cases[0]), others,
				 sizeof(others) / sizeof(others[0]));
}
