/* SPDX-License-Identifier: MIT */
/* test_config_errors.c: every config error, each with its exact FILE:LINE message. */
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

/* --- the cases ------------------------------------------------------------------------------ */

static const struct conf_case cases[] = {
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

int main(void)
{
	return config_cases_main(cases, sizeof(cases) / sizeof(cases[0]), NULL, 0);
}
