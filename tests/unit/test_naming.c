/* SPDX-License-Identifier: MIT */
/* test_naming.c: what the DNS name module tells the updater and the election, on a fake updater. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "naming.h"
#include "role.h"

struct fake_dns {
	dns_fence_cb cb;
	void *arg;
	char config_dir[PATH_MAX];
	unsigned targets;	/* dns_set_target() calls */
	struct kcw_addr v4, v6; /* of the last one (family 0 = NULL) */
	unsigned leaders;	/* dns_set_leader() calls */
	bool leader;
	uint64_t term;
	char node[CFG_NAME_MAX];
	bool freed;
};

struct fx {
	struct kcw_config *cfg;
	struct naming *n;
	struct fake_dns dns;
	bool dns_made, fail_dns;
	bool may_lead; /* what holder_may_lead() answers */
	unsigned asked;
	char holder[CFG_NAME_MAX];
	unsigned events;
	struct election_event ev; /* the last one */
};

/* dns_new() gets no argument the fixture could come in. */
static struct fx *F;

static struct dns_updater *fake_new(struct loop *l, const struct cfg_dns *cfg,
				    const char *config_dir, dns_fence_cb cb, void *arg, char *err,
				    size_t errlen)
{
	(void)l;
	(void)cfg;
	if (F->fail_dns) {
		snprintf(err, errlen, "dns: cannot read the key");
		return NULL;
	}
	F->dns_made = true;
	F->dns.cb = cb;
	F->dns.arg = arg;
	snprintf(F->dns.config_dir, sizeof(F->dns.config_dir), "%s", config_dir);
	return (struct dns_updater *)&F->dns;
}

static void fake_free(struct dns_updater *d)
{
	((struct fake_dns *)d)->freed = true;
}

static void fake_set_leader(struct dns_updater *d, bool leader, uint64_t term, const char *node)
{
	struct fake_dns *f = (struct fake_dns *)d;

	f->leaders++;
	f->leader = leader;
	f->term = term;
	snprintf(f->node, sizeof(f->node), "%s", node);
}

static void fake_set_target(struct dns_updater *d, const struct kcw_addr *v4,
			    const struct kcw_addr *v6)
{
	struct fake_dns *f = (struct fake_dns *)d;

	f->targets++;
	memset(&f->v4, 0, sizeof(f->v4));
	memset(&f->v6, 0, sizeof(f->v6));
	if (v4)
		f->v4 = *v4;
	if (v6)
		f->v6 = *v6;
}

static const struct naming_io fake_io = {
    .dns_new = fake_new,
    .dns_free = fake_free,
    .dns_set_leader = fake_set_leader,
    .dns_set_target = fake_set_target,
};

static bool may_lead(void *ctx, const char *holder)
{
	struct fx *f = ctx;

	f->asked++;
	snprintf(f->holder, sizeof(f->holder), "%s", holder);
	return f->may_lead;
}

static void election_event(void *ctx, const struct election_event *ev)
{
	struct fx *f = ctx;

	f->events++;
	f->ev = *ev;
}

static struct naming *make(struct fx *f, char *err, size_t errlen)
{
	const struct naming_env env = {
	    .io = &fake_io,
	    .ctx = f,
	    .holder_may_lead = may_lead,
	    .election_event = election_event,
	};

	return naming_new(&env, f->cfg, 0, err, errlen);
}

static struct kcw_addr addr(const char *s)
{
	struct kcw_addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

/* Node lb1 (10.0.0.11) of lb1, lb2; VIPs 10.0.0.100, 2001:db8::100, 10.0.0.101; target vip. */
static struct fx *config(void)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || !(f->cfg = calloc(1, sizeof(*f->cfg)))) {
		free(f);
		return NULL;
	}
	F = f;
	snprintf(f->cfg->path, sizeof(f->cfg->path), "/etc/kcwatch/kcwatch.conf");
	f->cfg->dns.enabled = true;
	f->cfg->dns.target = DNS_TARGET_VIP;
	snprintf(f->cfg->nodes[0].name, sizeof(f->cfg->nodes[0].name), "lb1");
	f->cfg->nodes[0].addr = addr("10.0.0.11");
	snprintf(f->cfg->nodes[1].name, sizeof(f->cfg->nodes[1].name), "lb2");
	f->cfg->nodes[1].addr = addr("10.0.0.12");
	f->cfg->n_nodes = 2;
	f->cfg->vips[0].addr = addr("10.0.0.100");
	f->cfg->vips[1].addr = addr("2001:db8::100");
	f->cfg->vips[2].addr = addr("10.0.0.101");
	f->cfg->n_vips = 3;
	return f;
}

static int setup_target(void **state, enum dns_target target)
{
	struct fx *f = config();
	char err[128] = "";

	if (!f)
		return -1;
	f->cfg->dns.target = target;
	f->n = make(f, err, sizeof(err));
	*state = f;
	return f->n ? 0 : -1;
}

static int setup(void **state)
{
	return setup_target(state, DNS_TARGET_VIP);
}

static int setup_self(void **state)
{
	return setup_target(state, DNS_TARGET_SELF);
}

static int setup_backend(void **state)
{
	return setup_target(state, DNS_TARGET_BACKEND);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	naming_free(f->n);
	free(f->cfg);
	free(f);
	F = NULL;
	return 0;
}

static void assert_addr(const struct kcw_addr *got, const char *want)
{
	struct kcw_addr w;

	if (!want) {
		assert_int_equal(got->family, 0);
		return;
	}
	w = addr(want);
	assert_true(addr_eq(got, &w));
}

/* --- creation ------------------------------------------------------------------------------ */

static void nothing_without_dns(void **state)
{
	struct fx *f = config();
	char err[64] = "";

	(void)state;
	assert_non_null(f);
	f->cfg->dns.enabled = false;
	assert_null(make(f, err, sizeof(err)));
	assert_string_equal(err, "");
	assert_false(f->dns_made);
	assert_false(naming_fenced(NULL));
	assert_int_equal(naming_last_success_ms(NULL), 0);
	free(f->cfg);
	free(f);
}

static void updater_failure_is_an_error(void **state)
{
	struct fx *f = config();
	char err[64] = "";

	(void)state;
	assert_non_null(f);
	f->fail_dns = true;
	assert_null(make(f, err, sizeof(err)));
	assert_string_equal(err, "dns: cannot read the key");
	free(f->cfg);
	free(f);
}

static void nothing_is_sent_before_the_first_sync(void **state)
{
	struct fx *f = *state;

	assert_true(f->dns_made);
	assert_string_equal(f->dns.config_dir, "/etc/kcwatch");
	assert_int_equal(f->dns.targets, 0);
	assert_int_equal(f->dns.leaders, 0);
	naming_free(f->n);
	f->n = NULL;
	assert_true(f->dns.freed);
}

/* --- the target ---------------------------------------------------------------------------- */

static void vip_target_is_the_first_of_each_family(void **state)
{
	struct fx *f = *state;

	naming_sync(f->n, ROLE_FOLLOWER, 1, false, NULL);
	assert_int_equal(f->dns.targets, 1);
	assert_addr(&f->dns.v4, "10.0.0.100");
	assert_addr(&f->dns.v6, "2001:db8::100");
	assert_int_equal(f->dns.leaders, 0); /* not leader, as the updater starts */
	naming_sync(f->n, ROLE_FOLLOWER, 2, false, NULL);
	assert_int_equal(f->dns.targets, 1);
}

static void reload_gives_new_vips(void **state)
{
	struct fx *f = *state;

	naming_sync(f->n, ROLE_LEADER, 1, false, NULL);
	f->cfg->vips[0].addr = addr("10.0.0.200");
	f->cfg->n_vips = 1;
	naming_sync(f->n, ROLE_LEADER, 1, false, NULL); /* the copy holds until reconfigured */
	assert_int_equal(f->dns.targets, 1);
	naming_reconfigure(f->n, f->cfg);
	naming_sync(f->n, ROLE_LEADER, 1, false, NULL);
	assert_int_equal(f->dns.targets, 2);
	assert_addr(&f->dns.v4, "10.0.0.200");
	assert_addr(&f->dns.v6, NULL);
	assert_int_equal(f->dns.leaders, 1);
}

static void self_target_is_the_node(void **state)
{
	struct fx *f = *state;

	naming_sync(f->n, ROLE_LEADER, 1, false, NULL);
	assert_int_equal(f->dns.targets, 1);
	assert_addr(&f->dns.v4, "10.0.0.11");
	assert_addr(&f->dns.v6, NULL);
}

static void backend_target_follows_the_active_backend(void **state)
{
	struct fx *f = *state;
	struct kcw_addr b4 = addr("10.0.1.7"), b6 = addr("2001:db8:1::7");

	/* A family without an address is passed on every sync; the updater keeps what it has. */
	naming_sync(f->n, ROLE_LEADER, 1, false, NULL);
	assert_int_equal(f->dns.targets, 1);
	assert_addr(&f->dns.v4, NULL);
	assert_addr(&f->dns.v6, NULL);
	naming_sync(f->n, ROLE_LEADER, 1, false, &b4);
	assert_int_equal(f->dns.targets, 2);
	assert_addr(&f->dns.v4, "10.0.1.7");
	assert_addr(&f->dns.v6, NULL);
	naming_sync(f->n, ROLE_LEADER, 1, false, &b6);
	assert_int_equal(f->dns.targets, 3);
	assert_addr(&f->dns.v4, NULL);
	assert_addr(&f->dns.v6, "2001:db8:1::7");
	naming_sync(f->n, ROLE_LEADER, 1, false, NULL);
	assert_int_equal(f->dns.targets, 4);
	assert_addr(&f->dns.v6, NULL);
}

/* --- leadership ---------------------------------------------------------------------------- */

static void leader_term_and_stopping(void **state)
{
	struct fx *f = *state;

	naming_sync(f->n, ROLE_LEADER, 5, false, NULL);
	assert_int_equal(f->dns.leaders, 1);
	assert_true(f->dns.leader);
	assert_int_equal(f->dns.term, 5);
	assert_string_equal(f->dns.node, "lb1");
	naming_sync(f->n, ROLE_LEADER, 5, false, NULL);
	assert_int_equal(f->dns.leaders, 1);
	naming_sync(f->n, ROLE_LEADER, 6, false, NULL); /* a new term is written */
	assert_int_equal(f->dns.leaders, 2);
	assert_int_equal(f->dns.term, 6);
	naming_sync(f->n, ROLE_LEADER, 6, true, NULL); /* stopping: no longer writes */
	assert_int_equal(f->dns.leaders, 3);
	assert_false(f->dns.leader);
	naming_sync(f->n, ROLE_FOLLOWER, 7, true, NULL);
	assert_int_equal(f->dns.leaders, 3);
}

/* --- the fence ----------------------------------------------------------------------------- */

static void fence_of_a_holder_that_cannot_lead_raises_the_term(void **state)
{
	struct fx *f = *state;

	naming_sync(f->n, ROLE_LEADER, 3, false, NULL);
	f->may_lead = false;
	f->dns.cb(f->dns.arg, true, 9, "lb2");
	assert_int_equal(f->asked, 1);
	assert_string_equal(f->holder, "lb2");
	assert_int_equal(f->events, 1);
	assert_int_equal(f->ev.type, EV_TERM);
	assert_int_equal(f->ev.term, 9);
}

static void fence_of_a_holder_that_may_lead_fences(void **state)
{
	struct fx *f = *state;

	naming_sync(f->n, ROLE_LEADER, 3, false, NULL);
	f->may_lead = true;
	f->dns.cb(f->dns.arg, true, 9, "lb2");
	assert_int_equal(f->asked, 1);
	assert_int_equal(f->events, 1);
	assert_int_equal(f->ev.type, EV_FENCE);
	assert_true(f->ev.on);
	assert_int_equal(f->ev.term, 9);
}

static void fence_seen_by_a_follower_is_passed_on(void **state)
{
	struct fx *f = *state;

	naming_sync(f->n, ROLE_LEADER, 3, false, NULL);
	naming_sync(f->n, ROLE_FOLLOWER, 3, false, NULL); /* the role of the last sync counts */
	f->dns.cb(f->dns.arg, true, 9, "lb2");
	assert_int_equal(f->asked, 0);
	assert_int_equal(f->ev.type, EV_FENCE);
	assert_true(f->ev.on);
	f->dns.cb(f->dns.arg, false, 0, "");
	assert_int_equal(f->events, 2);
	assert_int_equal(f->ev.type, EV_FENCE);
	assert_false(f->ev.on);
}

#define T(fn)	  cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define TS(fn, s) cmocka_unit_test_setup_teardown(fn, s, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(nothing_without_dns),
	    cmocka_unit_test(updater_failure_is_an_error),
	    T(nothing_is_sent_before_the_first_sync),
	    T(vip_target_is_the_first_of_each_family),
	    T(reload_gives_new_vips),
	    TS(self_target_is_the_node, setup_self),
	    TS(backend_target_follows_the_active_backend, setup_backend),
	    T(leader_term_and_stopping),
	    T(fence_of_a_holder_that_cannot_lead_raises_the_term),
	    T(fence_of_a_holder_that_may_lead_fences),
	    T(fence_seen_by_a_follower_is_passed_on),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
