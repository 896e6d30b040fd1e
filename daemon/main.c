/* SPDX-License-Identifier: MIT */
/* main.c: kcwatchd command line: pick the config and node, check or run. */
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "build-config.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "precheck.h"
#include "sockpath.h"
#include "release.h"

#define DEFAULT_CONFIG SYSCONFDIR "/kcwatch/kcwatch.conf"

struct options {
	const char *config;
	const char *node;
	const char *socket;
	const char *status_socket;
	const char *state_dir;
	uint64_t incarnation; /* --incarnation N: for tests only */
	int check_only;
	int debug;
	int release_vips; /* --release-vips: remove the configured VIPs and exit */
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: kcwatchd [-c FILE] [-n NODE] [-s SOCKET] [-S SOCKET] [--state-dir DIR] [-d]\n"
		   "       kcwatchd -t [-c FILE] [-n NODE]\n"
		   "       kcwatchd --release-vips [-c FILE]\n"
		   "Keeps one leader among the load-balancer nodes of a kcwatch cluster.\n\n"
		   "  -c FILE    configuration file (default " DEFAULT_CONFIG ")\n"
		   "  -n NODE    this node's [node] name (default: the node whose address\n"
		   "             is on a local interface)\n"
		   "  -s SOCKET  control socket path (overrides [cluster] control-socket)\n"
		   "  -S SOCKET  status socket path (overrides [cluster] status-socket)\n"
		   "  --state-dir DIR  directory of the node's state file (overrides\n"
		   "             [cluster] state-dir)\n"
		   "  -t         check the configuration and this host (node, VIP interfaces,\n"
		   "             key and CA files) and exit (0 = valid, 1 = invalid)\n"
		   "  -d         log debug messages\n"
		   "  --release-vips  remove this host's configured VIPs from their\n"
		   "             interfaces and exit, without the daemon (ExecStopPost=)\n"
		   "  -V         print the version and exit\n"
		   "  -h         this help\n");
}

enum { OPT_STATE_DIR = 256, OPT_INCARNATION };

static const struct option long_opts[] = {
    {"state-dir", required_argument, NULL, OPT_STATE_DIR},
    {"release-vips", no_argument, NULL, 'R'},
    /* not in the help: makes the incarnation go backwards in tests */
    {"incarnation", required_argument, NULL, OPT_INCARNATION},
    {NULL, 0, NULL, 0},
};

static int parse_long(int c, struct options *o)
{
	char *end;

	if (c == OPT_STATE_DIR) {
		if (optarg[0] != '/') {
			fprintf(stderr, "kcwatchd: --state-dir needs an absolute path\n");
			return -1;
		}
		o->state_dir = optarg;
		return 0;
	}
	errno = 0;
	o->incarnation = strtoull(optarg, &end, 10);
	if (errno || *end || !o->incarnation) {
		fprintf(stderr, "kcwatchd: --incarnation needs a number above 0\n");
		return -1;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->config = DEFAULT_CONFIG;
	while ((c = getopt_long(argc, argv, "c:n:s:S:tdVh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'R': o->release_vips = 1; break;
		case OPT_STATE_DIR:
		case OPT_INCARNATION:
			if (parse_long(c, o) < 0)
				return -1;
			break;
		case 'c': o->config = optarg; break;
		case 'n': o->node = optarg; break;
		case 's': o->socket = optarg; break;
		case 'S': o->status_socket = optarg; break;
		case 't': o->check_only = 1; break;
		case 'd': o->debug = 1; break;
		case 'V': printf("kcwatchd %s\n", PACKAGE_VERSION); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "kcwatchd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	return 0;
}

static bool addr_is_local(const struct kcw_addr *a, const struct ifaddrs *ifs)
{
	for (const struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		struct kcw_addr la;

		if (i->ifa_addr && addr_from_sockaddr(i->ifa_addr, &la) == 0 && addr_eq(&la, a))
			return true;
	}
	return false;
}

/* Without -n: exactly one [node] address must be on a local interface. */
static int find_local_node(const struct kcw_config *cfg, char *err, size_t errlen)
{
	struct ifaddrs *ifs;
	int found = -1;

	if (getifaddrs(&ifs) < 0) {
		snprintf(err, errlen, "getifaddrs: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < cfg->n_nodes; i++) {
		if (!addr_is_local(&cfg->nodes[i].addr, ifs))
			continue;
		if (found >= 0) {
			snprintf(err, errlen, "%.200s: nodes %s and %s both have a local address: use -n NODE",
				 cfg->path, cfg->nodes[found].name, cfg->nodes[i].name);
			freeifaddrs(ifs);
			return -1;
		}
		found = (int)i;
	}
	freeifaddrs(ifs);
	if (found < 0)
		snprintf(err, errlen, "%.200s: no [node] address is on a local interface: use -n NODE",
			 cfg->path);
	return found;
}

static int pick_node(const struct kcw_config *cfg, const char *name, char *err, size_t errlen)
{
	int idx;

	if (!name)
		return find_local_node(cfg, err, errlen);
	idx = config_node_index(cfg, name);
	if (idx < 0)
		snprintf(err, errlen, "%.200s: no [node %.64s] in the configuration", cfg->path, name);
	return idx;
}

/* Many control clients at once must not run out of descriptors. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* -t checks what a start on this host checks: the node (by name, or the one local address),
 * the VIP interfaces, the files the daemon reads and libcurl; see precheck.h. */
static int check_config(const struct options *o, struct kcw_config *cfg)
{
	char err[CFG_ERR_MAX];

	if (pick_node(cfg, o->node, err, sizeof(err)) < 0 ||
	    precheck_host(cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "kcwatchd: %s\n", err);
		config_free(cfg);
		return 1;
	}
	printf("%s: configuration OK (cluster %s, %zu nodes, %zu VIPs, %zu backends%s)\n",
	       o->config, cfg->cluster_name, cfg->n_nodes, cfg->n_vips, cfg->n_backends,
	       cfg->dns.enabled ? ", DNS updates" : "");
	config_free(cfg);
	return 0;
}

/* -S, else [cluster] status-socket, else next to the control socket in use. */
static int status_path(const struct options *o, const struct kcw_config *cfg, char *out, size_t len,
		       char *err, size_t errlen)
{
	if (o->status_socket || cfg->status_socket[0]) {
		snprintf(out, len, "%s", o->status_socket ? o->status_socket : cfg->status_socket);
		return 0;
	}
	if (sockpath_status_for(o->socket ? o->socket : cfg->control_socket, out, len) == 0)
		return 0;
	snprintf(err, errlen, "status socket path too long: use -S SOCKET");
	return -1;
}

int main(int argc, char **argv)
{
	struct options o;
	struct kcw_config *cfg = NULL;
	struct kcwd *d;
	char err[CFG_ERR_MAX], status[PATH_MAX];
	int self, rc;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	log_init(o.debug);
	if (o.release_vips)
		return release_vips_main(o.config);
	if (config_load(o.config, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "kcwatchd: %s\n", err);
		return 1;
	}
	/* the TSIG key file as the start reads it: FILE:LINE in both cases */
	if (config_check_tsig_key(cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "kcwatchd: %s\n", err);
		config_free(cfg);
		return 1;
	}
	if (o.check_only)
		return check_config(&o, cfg);
	self = pick_node(cfg, o.node, err, sizeof(err));
	if (self < 0) {
		log_err("%s", err);
		config_free(cfg);
		return 1;
	}
	raise_fd_limit();
	d = calloc(1, sizeof(*d));
	if (!d || status_path(&o, cfg, status, sizeof(status), err, sizeof(err)) < 0 ||
	    daemon_start(d, cfg, (size_t)self, o.socket ? o.socket : cfg->control_socket, status,
			 o.state_dir, o.incarnation, err, sizeof(err)) < 0) {
		log_err("cannot start: %s", d ? err : "out of memory");
		if (d)
			daemon_stop(d);
		free(d);
		return 1;
	}
	rc = daemon_run(d);
	daemon_stop(d);
	free(d);
	return rc;
}
