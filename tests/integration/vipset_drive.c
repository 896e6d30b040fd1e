/* SPDX-License-Identifier: MIT */
/* vipset_drive.c: drives the VIP manager (take, hold, release) on a real interface for tests. */
#include <errno.h>
#include <getopt.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "loop.h"
#include "vipset.h"

enum drive_mode { MODE_TAKE, MODE_LEFTOVERS, MODE_WATCH };

struct drive {
	struct loop *loop;
	struct vipset *set;
	enum drive_mode mode;
	bool release;	       /* release at the end (else free with the VIPs still on) */
	bool release_on_fault; /* what the daemon does */
	uint32_t hold_ms;
	uint32_t reannounce_ms; /* 0 = never */
	uint32_t eperm_ms;	/* release without CAP_NET_ADMIN, given back after this long */
	struct loop_timer *restore, *final;
	int rc;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: vipset_drive [--hold MS] [--count N] [--interval MS] [--repeat MS]\n"
		"                    [--refresh MS] [--reannounce-at MS] [--no-release]\n"
		"                    [--release-on-fault] [--leftovers | --watch] [--debug]\n"
		"                    [--eperm-release MS]\n"
		"                    IFACE ADDR/PREFIX [ADDR/PREFIX...]\n");
	exit(2);
}

static void on_fault(void *arg, bool fault)
{
	struct drive *d = arg;

	printf("fault %d\n", fault ? 1 : 0);
	if (fault && d->release_on_fault && vipset_taken(d->set))
		printf("released rc=%d\n", vipset_release(d->set));
}

static void print_held(const struct drive *d)
{
	for (size_t i = 0; i < vipset_count(d->set); i++)
		printf("held %zu %d\n", i, vipset_held(d->set, i) ? 1 : 0);
}

/* CAP_NET_ADMIN in or out of the effective set (it stays permitted): netlink address
 * changes then fail with EPERM, the way a failing release looks to the daemon. */
static int admin_effective(bool on)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct c[2];

	if (syscall(SYS_capget, &h, c) < 0)
		return -errno;
	if (on)
		c[0].effective |= 1u << CAP_NET_ADMIN;
	else
		c[0].effective &= ~(1u << CAP_NET_ADMIN);
	return syscall(SYS_capset, &h, c) < 0 ? -errno : 0;
}

static void on_restore(void *arg)
{
	(void)arg;
	printf("admin restored rc=%d\n", admin_effective(true));
}

static void on_final(void *arg)
{
	struct drive *d = arg;

	print_held(d);
	printf("release_failures %llu\n", (unsigned long long)vipset_release_failures(d->set));
	loop_stop(d->loop);
}

/* --eperm-release: the release fails, is retried with backoff, works once the capability is
 * back; the end comes 1.5 s after that. */
static void eperm_release(struct drive *d)
{
	printf("admin dropped rc=%d\n", admin_effective(false));
	printf("released rc=%d\n", vipset_release(d->set));
	print_held(d);
	loop_timer_arm(d->restore, d->eperm_ms);
	loop_timer_arm(d->final, d->eperm_ms + 1500);
}

static void on_end(void *arg)
{
	struct drive *d = arg;

	print_held(d);
	if (d->mode == MODE_TAKE && d->release && d->eperm_ms) {
		eperm_release(d);
		return;
	}
	if (d->mode == MODE_TAKE && d->release) {
		int r = vipset_release(d->set);

		printf("released rc=%d\n", r);
		if (r < 0)
			d->rc = 1;
	}
	printf("announcements %llu\n", (unsigned long long)vipset_announcements(d->set));
	loop_stop(d->loop);
}

static void on_reannounce(void *arg)
{
	struct drive *d = arg;

	vipset_reannounce(d->set);
	printf("reannounced\n");
}

static void parse_vip(struct cfg_vip *v, size_t i, const char *iface, const char *spec,
		      const struct cfg_vip *tmpl)
{
	*v = *tmpl;
	snprintf(v->name, sizeof(v->name), "vip%zu", i);
	snprintf(v->interface, sizeof(v->interface), "%s", iface);
	if (addr_parse_prefix(spec, &v->addr, &v->prefixlen) < 0) {
		fprintf(stderr, "bad address %s\n", spec);
		exit(2);
	}
}

static size_t parse_args(int argc, char **argv, struct drive *d, struct cfg_vip *vips)
{
	static const struct option opts[] = {
	    {"hold", 1, NULL, 'h'},
	    {"count", 1, NULL, 'c'},
	    {"interval", 1, NULL, 'i'},
	    {"repeat", 1, NULL, 'r'},
	    {"refresh", 1, NULL, 'f'},
	    {"no-release", 0, NULL, 'n'},
	    {"leftovers", 0, NULL, 'l'},
	    {"watch", 0, NULL, 'w'},
	    {"debug", 0, NULL, 'd'},
	    {"release-on-fault", 0, NULL, 'F'},
	    {"reannounce-at", 1, NULL, 'a'},
	    {"eperm-release", 1, NULL, 'E'},
	    {NULL, 0, NULL, 0},
	};
	struct cfg_vip tmpl = {.garp_count = 5,
			       .garp_interval_ms = 100,
			       .garp_repeat_after_ms = 2000,
			       .garp_refresh_ms = 60000};
	size_t n = 0;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		unsigned long val = optarg ? strtoul(optarg, NULL, 10) : 0;

		switch (c) {
		case 'h':
			d->hold_ms = (uint32_t)val;
			break;
		case 'c':
			tmpl.garp_count = (unsigned)val;
			break;
		case 'i':
			tmpl.garp_interval_ms = (uint32_t)val;
			break;
		case 'r':
			tmpl.garp_repeat_after_ms = (uint32_t)val;
			break;
		case 'f':
			tmpl.garp_refresh_ms = (uint32_t)val;
			break;
		case 'n':
			d->release = false;
			break;
		case 'l':
			d->mode = MODE_LEFTOVERS;
			break;
		case 'w':
			d->mode = MODE_WATCH;
			break;
		case 'd':
			log_init(1);
			break;
		case 'F':
			d->release_on_fault = true;
			break;
		case 'a':
			d->reannounce_ms = (uint32_t)val;
			break;
		case 'E':
			d->eperm_ms = (uint32_t)val;
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 2 || (size_t)(argc - optind - 1) > CFG_MAX_VIPS)
		usage();
	for (int i = optind + 1; i < argc; i++, n++)
		parse_vip(&vips[n], n, argv[optind], argv[i], &tmpl);
	return n;
}

static int run(struct drive *d)
{
	struct loop_timer *end = loop_timer_new(d->loop, on_end, d);
	struct loop_timer *re = loop_timer_new(d->loop, on_reannounce, d);

	d->restore = loop_timer_new(d->loop, on_restore, d);
	d->final = loop_timer_new(d->loop, on_final, d);
	if (!end || !re || !d->restore || !d->final)
		return 1;
	if (d->mode == MODE_LEFTOVERS) {
		int r = vipset_remove_leftovers(d->set);

		printf("leftovers rc=%d\n", r);
		print_held(d);
		return r < 0;
	}
	if (d->mode == MODE_TAKE) {
		int r = vipset_take(d->set);

		printf("taken rc=%d\n", r);
		if (r < 0)
			d->rc = 1;
		if (d->reannounce_ms)
			loop_timer_arm(re, d->reannounce_ms);
	}
	fflush(stdout);
	loop_timer_arm(end, d->hold_ms); /* bounds the run */
	if (loop_run(d->loop) < 0)
		return 1;
	return d->rc;
}

int main(int argc, char **argv)
{
	struct drive d = {.mode = MODE_TAKE, .release = true, .hold_ms = 2000};
	struct cfg_vip vips[CFG_MAX_VIPS];
	char err[CFG_ERR_MAX] = "";
	size_t n;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init(0);
	n = parse_args(argc, argv, &d, vips);
	d.loop = loop_new();
	if (!d.loop)
		return 1;
	d.set = vipset_new(d.loop, vips, n, on_fault, &d, err, sizeof(err));
	if (!d.set) {
		printf("error: %s\n", err);
		loop_free(d.loop);
		return 3;
	}
	printf("ready\n");
	print_held(&d);
	rc = run(&d);
	vipset_free(d.set);
	loop_free(d.loop);
	return rc;
}
