/* SPDX-License-Identifier: MIT */
/* test_active.c: when the backend module applies HAProxy, on fake checks, HAProxy and clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "active.h"
#include "hapwatch.h"
#include "role.h"

#define T0   1000000u
#define HOLD 5000u /* failback after 5 s */

struct fake_timer {
	loop_timer_cb cb;
	void *arg;
	bool armed;
	uint64_t at;
	bool freed;
};

struct fake_health {
	health_result_cb cb;
	void *arg;
	size_t n;
	bool running;
	unsigned starts, stops;
	bool freed;
};

struct fake_haproxy {
	haproxy_cb cb;
	void *arg;
	char socket[PATH_MAX];
	char backend[CFG_NAME_MAX];
	bool busy;
	unsigned refreshes;
	unsigned applies;
	char active[CFG_NAME_MAX]; /* of the last apply */
	char servers[CFG_MAX_BACKENDS][CFG_NAME_MAX];
	size_t n;
	bool freed;
};

struct fx {
	uint64_t now;
	struct cfg_backend cfg[3];
	struct cfg_backends opt;
	struct active *a;
	/* in the order active_new() makes them: the failback timer, then HAProxy's probe */
	struct fake_timer timers[2];
	size_t n_timers;
	struct fake_health health;
	bool health_made;
	struct fake_haproxy hap;
	bool hap_made;
	bool fail_health; /* health_new() fails */
	unsigned backend_changed, view_changed, haproxy_changed, checks;
};

/* The fixture the fakes (and the clock, which takes no argument) work on. */
static struct fx *F;

static uint64_t fake_now(void)
{
	return F->now;
}

static struct loop_timer *fake_timer_new(struct loop *l, loop_timer_cb cb, void *arg)
{
	struct fake_timer *t;

	(void)l;
	assert_true(F->n_timers < 2);
	t = &F->timers[F->n_timers++];
	t->cb = cb;
	t->arg = arg;
	return (struct loop_timer *)t;
}

static int fake_timer_arm_at(struct loop_timer *lt, uint64_t at_ms)
{
	struct fake_timer *t = (struct fake_timer *)lt;

	t->armed = true;
	t->at = at_ms;
	return 0;
}

static int fake_timer_arm(struct loop_timer *lt, uint64_t delay_ms)
{
	return fake_timer_arm_at(lt, F->now + delay_ms);
}

static void fake_timer_disarm(struct loop_timer *lt)
{
	((struct fake_timer *)lt)->armed = false;
}

static void fake_timer_free(struct loop_timer *lt)
{
	((struct fake_timer *)lt)->freed = true;
}

static struct health *fake_health_new(struct loop *l, const struct cfg_backend *b, size_t n,
				      health_result_cb cb, void *arg, char *err, size_t errlen)
{
	(void)l;
	(void)b;
	if (F->fail_health) {
		snprintf(err, errlen, "curl says no");
		return NULL;
	}
	F->health_made = true;
	F->health.cb = cb;
	F->health.arg = arg;
	F->health.n = n;
	return (struct health *)&F->health;
}

static int fake_health_start(struct health *h)
{
	((struct fake_health *)h)->running = true;
	((struct fake_health *)h)->starts++;
	return 0;
}

static void fake_health_stop(struct health *h)
{
	((struct fake_health *)h)->running = false;
	((struct fake_health *)h)->stops++;
}

static bool fake_health_running(const struct health *h)
{
	return ((const struct fake_health *)h)->running;
}

static void fake_health_free(struct health *h)
{
	((struct fake_health *)h)->freed = true;
}

static struct haproxy *fake_haproxy_new(struct loop *l, const char *socket_path,
					const char *backend, uint32_t timeout_ms, haproxy_cb cb,
					void *arg)
{
	(void)l;
	(void)timeout_ms;
	F->hap_made = true;
	snprintf(F->hap.socket, sizeof(F->hap.socket), "%s", socket_path);
	snprintf(F->hap.backend, sizeof(F->hap.backend), "%s", backend);
	F->hap.cb = cb;
	F->hap.arg = arg;
	return (struct haproxy *)&F->hap;
}

static int fake_haproxy_apply(struct haproxy *h, const char *active, const char *const *servers,
			      size_t n)
{
	struct fake_haproxy *p = (struct fake_haproxy *)h;

	p->applies++;
	snprintf(p->active, sizeof(p->active), "%s", active ? active : "");
	p->n = n;
	for (size_t i = 0; i < n; i++)
		snprintf(p->servers[i], sizeof(p->servers[i]), "%s", servers[i]);
	return 0;
}

static int fake_haproxy_refresh(struct haproxy *h)
{
	((struct fake_haproxy *)h)->refreshes++;
	return 0;
}

static bool fake_haproxy_busy(const struct haproxy *h)
{
	return ((const struct fake_haproxy *)h)->busy;
}

static void fake_haproxy_free(struct haproxy *h)
{
	((struct fake_haproxy *)h)->freed = true;
}

static const struct active_io fake_io = {
    .now_ms = fake_now,
    .timer_new = fake_timer_new,
    .timer_arm = fake_timer_arm,
    .timer_arm_at = fake_timer_arm_at,
    .timer_disarm = fake_timer_disarm,
    .timer_free = fake_timer_free,
    .health_new = fake_health_new,
    .health_start = fake_health_start,
    .health_stop = fake_health_stop,
    .health_running = fake_health_running,
    .health_free = fake_health_free,
    .haproxy_new = fake_haproxy_new,
    .haproxy_apply = fake_haproxy_apply,
    .haproxy_refresh = fake_haproxy_refresh,
    .haproxy_busy = fake_haproxy_busy,
    .haproxy_free = fake_haproxy_free,
};

static void on_backend_changed(void *ctx)
{
	((struct fx *)ctx)->backend_changed++;
}

static void on_view_changed(void *ctx)
{
	((struct fx *)ctx)->view_changed++;
}

static void on_haproxy_changed(void *ctx)
{
	((struct fx *)ctx)->haproxy_changed++;
}

static void on_check_done(void *ctx, size_t idx, bool up, uint32_t latency_ms)
{
	(void)idx;
	(void)up;
	(void)latency_ms;
	((struct fx *)ctx)->checks++;
}

static struct active *make(struct fx *f, char *err, size_t errlen)
{
	const struct active_env env = {
	    .io = &fake_io,
	    .ctx = f,
	    .backend_changed = on_backend_changed,
	    .view_changed = on_view_changed,
	    .haproxy_changed = on_haproxy_changed,
	    .check_done = on_check_done,
	};

	return active_new(&env, f->cfg, 3, &f->opt, err, errlen);
}

/* sno1, sno2, sno3 (HAProxy servers s1, s2, s3), rise 2, fall 3, failback after HOLD. */
static struct fx *config(void)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	for (int i = 0; i < 3; i++) {
		snprintf(f->cfg[i].name, sizeof(f->cfg[i].name), "sno%d", i + 1);
		snprintf(f->cfg[i].haproxy_server, sizeof(f->cfg[i].haproxy_server), "s%d", i + 1);
		f->cfg[i].rise = 2;
		f->cfg[i].fall = 3;
	}
	f->opt.failback = FAILBACK_AFTER;
	f->opt.failback_after_ms = HOLD;
	snprintf(f->opt.haproxy_socket, sizeof(f->opt.haproxy_socket), "/run/haproxy/admin.sock");
	snprintf(f->opt.haproxy_backend, sizeof(f->opt.haproxy_backend), "keycloak");
	f->now = T0;
	F = f;
	return f;
}

static int setup(void **state)
{
	struct fx *f = config();
	char err[256] = "";

	if (!f)
		return -1;
	f->a = make(f, err, sizeof(err));
	*state = f;
	return f->a ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	active_free(f->a);
	free(f);
	F = NULL;
	return 0;
}

static struct fake_timer *failback(struct fx *f)
{
	return &f->timers[0];
}

static struct fake_timer *probe(struct fx *f)
{
	return &f->timers[1];
}

/* One finished check of backend idx, as health.c reports it (only while it runs). */
static void check(struct fx *f, size_t idx, bool up)
{
	struct health_result r = {.up = up, .latency_ms = 12, .http_code = up ? 200 : 503};

	assert_true(f->health.running);
	if (!up)
		snprintf(r.reason, sizeof(r.reason), "HTTP 503 (expected 200)");
	f->health.cb(f->health.arg, idx, &r);
}

static void checks(struct fx *f, size_t idx, bool up, int times)
{
	for (int i = 0; i < times; i++)
		check(f, idx, up);
}

/* Fires t when it is armed and due. */
static void fire(struct fake_timer *t)
{
	assert_true(t->armed);
	assert_true(t->at <= F->now);
	t->armed = false;
	t->cb(t->arg);
}

/* One exchange with HAProxy: pid, and which of s1..s3 read back ready (NULL: unreachable). */
static void exchange(struct fx *f, bool apply, long pid, const char *ready)
{
	struct haproxy_report r = {.reachable = ready != NULL, .apply = apply, .pid = pid};

	r.ok = r.reachable;
	r.uptime_s = -1;
	r.started_ms = f->now;
	if (!r.reachable)
		snprintf(r.error, sizeof(r.error), "connection refused");
	for (size_t i = 0; ready && i < 3; i++) {
		snprintf(r.servers[i].name, sizeof(r.servers[i].name), "s%zu", i + 1);
		r.servers[i].found = true;
		r.servers[i].ready = ready[i] == '1';
	}
	r.n = ready ? 3 : 0;
	f->hap.cb(f->hap.arg, &r);
}

/* Leader, sno1 up and active: HAProxy was given s1 once. */
static void lead_with_sno1(struct fx *f)
{
	active_role(f->a, ROLE_LEADER);
	check(f, 0, true);
	assert_int_equal(f->hap.applies, 1);
	assert_string_equal(f->hap.active, "s1");
}

/* --- creation ------------------------------------------------------------------------------ */

static void nothing_without_backends(void **state)
{
	struct fx *f = config();
	const struct active_env env = {.io = &fake_io, .ctx = f};
	char err[64] = "";

	(void)state;
	assert_non_null(f);
	assert_null(active_new(&env, f->cfg, 0, &f->opt, err, sizeof(err)));
	assert_string_equal(err, "");
	assert_false(f->health_made);
	assert_false(f->hap_made);
	assert_int_equal(f->n_timers, 0);
	free(f);
}

static void health_failure_is_an_error(void **state)
{
	struct fx *f = config();
	char err[64] = "";

	(void)state;
	assert_non_null(f);
	f->fail_health = true;
	assert_null(make(f, err, sizeof(err)));
	assert_string_equal(err, "curl says no");
	assert_false(f->hap_made);
	free(f);
}

static void opens_haproxy_and_probes_at_once(void **state)
{
	struct fx *f = *state;

	assert_true(f->health_made);
	assert_int_equal(f->health.n, 3);
	assert_false(f->health.running);
	assert_true(f->hap_made);
	assert_string_equal(f->hap.socket, "/run/haproxy/admin.sock");
	assert_string_equal(f->hap.backend, "keycloak");
	assert_int_equal(f->n_timers, 2);
	assert_false(failback(f)->armed);
	assert_true(probe(f)->armed);
	assert_int_equal(probe(f)->at, T0);
	assert_int_equal(f->hap.applies, 0);
	assert_false(active_haproxy_down(f->a));
}

static void without_haproxy_socket(void **state)
{
	struct fx *f = config();
	char err[64] = "";

	(void)state;
	assert_non_null(f);
	f->opt.haproxy_socket[0] = '\0';
	f->a = make(f, err, sizeof(err));
	assert_non_null(f->a);
	assert_false(f->hap_made);
	assert_int_equal(f->n_timers, 1);
	active_role(f->a, ROLE_LEADER);
	check(f, 0, true); /* the choice is made, with nothing to apply it to */
	assert_string_equal(backend_active_name(active_view(f->a)), "sno1");
	assert_int_equal(f->backend_changed, 1);
	assert_false(active_haproxy_down(f->a));
	active_free(f->a);
	assert_true(f->health.freed);
	assert_true(f->timers[0].freed);
	free(f);
}

/* --- role ---------------------------------------------------------------------------------- */

static void checks_only_as_leader(void **state)
{
	struct fx *f = *state;

	active_role(f->a, ROLE_FOLLOWER);
	assert_int_equal(f->health.starts, 0);
	assert_int_equal(f->health.stops, 0);
	active_role(f->a, ROLE_LEADER);
	assert_true(f->health.running);
	assert_int_equal(f->health.starts, 1);
	active_role(f->a, ROLE_LEADER); /* again: nothing new */
	assert_int_equal(f->health.starts, 1);
	active_role(f->a, ROLE_FOLLOWER);
	assert_false(f->health.running);
	assert_int_equal(f->health.stops, 1);
	active_role(f->a, ROLE_FAULT);
	assert_int_equal(f->health.stops, 1);
}

/* --- the leader's own choice --------------------------------------------------------------- */

static void first_choice_is_applied(void **state)
{
	struct fx *f = *state;

	lead_with_sno1(f);
	assert_int_equal(f->hap.n, 3);
	assert_string_equal(f->hap.servers[0], "s1");
	assert_string_equal(f->hap.servers[1], "s2");
	assert_string_equal(f->hap.servers[2], "s3");
	assert_int_equal(f->backend_changed, 1);
	assert_int_equal(f->view_changed, 1);
	assert_int_equal(f->checks, 1);
}

static void same_choice_is_not_applied_again(void **state)
{
	struct fx *f = *state;

	lead_with_sno1(f);
	checks(f, 0, true, 3);
	check(f, 1, true); /* sno2 up: the view changed, the choice did not */
	check(f, 2, false);
	assert_int_equal(f->hap.applies, 1);
	assert_int_equal(f->backend_changed, 1);
	assert_int_equal(f->view_changed, 2);
	assert_int_equal(f->checks, 6);
}

static void new_choice_is_applied(void **state)
{
	struct fx *f = *state;

	lead_with_sno1(f);
	check(f, 1, true);
	checks(f, 0, false, 2); /* not yet down */
	assert_int_equal(f->hap.applies, 1);
	check(f, 0, false);
	assert_string_equal(backend_active_name(active_view(f->a)), "sno2");
	assert_int_equal(f->hap.applies, 2);
	assert_string_equal(f->hap.active, "s2");
	assert_int_equal(f->hap.n, 3);
	assert_int_equal(f->backend_changed, 2);
}

static void failback_timer_applies_the_preferred_backend(void **state)
{
	struct fx *f = *state;

	lead_with_sno1(f);
	check(f, 1, true);
	checks(f, 0, false, 3); /* sno2 active */
	f->now += 100;
	checks(f, 0, true, 2); /* sno1 up again: the hold starts */
	assert_true(failback(f)->armed);
	assert_int_equal(failback(f)->at, T0 + 100 + HOLD);
	assert_int_equal(f->hap.applies, 2);
	f->now += HOLD;
	fire(failback(f));
	assert_string_equal(backend_active_name(active_view(f->a)), "sno1");
	assert_int_equal(f->hap.applies, 3);
	assert_string_equal(f->hap.active, "s1");
	assert_false(failback(f)->armed);
}

static void operator_choice_is_applied(void **state)
{
	struct fx *f = *state;
	char msg[128];

	lead_with_sno1(f);
	assert_int_equal(active_use(f->a, "sno3", msg, sizeof(msg)), 0);
	assert_string_equal(msg, "active backend is sno3");
	assert_int_equal(f->hap.applies, 2);
	assert_string_equal(f->hap.active, "s3");
	assert_int_equal(active_use(f->a, "sno9", msg, sizeof(msg)), -ENOENT);
	assert_string_equal(msg, "no backend called 'sno9'");
	assert_int_equal(f->hap.applies, 2);
}

static void unmapped_backend_leaves_haproxy_alone(void **state)
{
	struct fx *f = config();
	char err[64] = "";

	(void)state;
	assert_non_null(f);
	f->cfg[0].haproxy_server[0] = '\0';
	f->a = make(f, err, sizeof(err));
	assert_non_null(f->a);
	active_role(f->a, ROLE_LEADER);
	check(f, 0, true);
	assert_string_equal(backend_active_name(active_view(f->a)), "sno1");
	assert_int_equal(f->hap.applies, 0);
	assert_int_equal(f->backend_changed, 1);
	check(f, 1, true);
	checks(f, 0, false, 3);
	assert_int_equal(f->hap.applies, 1);
	assert_string_equal(f->hap.active, "s2");
	assert_int_equal(f->hap.n, 2); /* only the mapped servers */
	assert_string_equal(f->hap.servers[0], "s2");
	assert_string_equal(f->hap.servers[1], "s3");
	active_free(f->a);
	free(f);
}

static void connect_addr_follows_the_choice(void **state)
{
	struct fx *f = config();
	struct kcw_addr want;
	char err[64] = "";

	(void)state;
	assert_non_null(f);
	assert_int_equal(addr_parse("10.0.0.2", &want), 0);
	f->cfg[1].has_connect_to = true;
	f->cfg[1].connect_addr = want;
	f->a = make(f, err, sizeof(err));
	assert_non_null(f->a);
	f->cfg[1].connect_addr.family = 0; /* the module kept its own copy */
	assert_null(active_connect_addr(f->a));
	active_role(f->a, ROLE_LEADER);
	check(f, 0, true);
	assert_null(active_connect_addr(f->a)); /* sno1 has no connect-to */
	check(f, 1, true);
	checks(f, 0, false, 3);
	assert_non_null(active_connect_addr(f->a));
	assert_true(addr_eq(active_connect_addr(f->a), &want));
	active_free(f->a);
	free(f);
}

/* --- a follower takes the leader's choice -------------------------------------------------- */

static void leader_choice_is_applied_once(void **state)
{
	struct fx *f = *state;
	struct backend_view *lv = calloc(1, sizeof(*lv));
	struct hb_msg *m = calloc(1, sizeof(*m));

	assert_non_null(lv);
	assert_non_null(m);
	backend_init(lv, f->cfg, 3, &f->opt, f->now);
	assert_int_equal(backend_use(lv, "sno2", f->now), BACKEND_CHG_ACTIVE);
	backend_export(lv, m);
	snprintf(m->node, sizeof(m->node), "lb2");
	active_leader_heartbeat(f->a, m);
	assert_int_equal(f->hap.applies, 1);
	assert_string_equal(f->hap.active, "s2");
	assert_int_equal(f->backend_changed, 1);
	assert_int_equal(f->view_changed, 0); /* a follower's view is not sent at once */
	active_leader_heartbeat(f->a, m);
	assert_int_equal(f->hap.applies, 1);
	assert_int_equal(f->backend_changed, 1);
	assert_int_equal(f->health.starts, 0);
	free(lv);
	free(m);
}

static void reload_takes_over_the_view(void **state)
{
	struct fx *f = *state;
	struct fx *g = config(); /* the fakes now record the new module */
	struct active *b;
	char err[64] = "";

	F = f;
	lead_with_sno1(f);
	check(f, 1, true);
	checks(f, 0, false, 3);
	assert_string_equal(f->hap.active, "s2");
	F = g;
	assert_non_null(g);
	b = make(g, err, sizeof(err));
	assert_non_null(b);
	active_take_over(b, f->a);
	assert_string_equal(backend_active_name(active_view(b)), "sno2");
	assert_int_equal(g->backend_changed, 0);
	/* the new HAProxy client's first read-back shows s1: it is given s2 */
	exchange(g, false, 100, "100");
	assert_int_equal(g->hap.applies, 1);
	assert_string_equal(g->hap.active, "s2");
	active_free(b);
	free(g);
	F = f;
}

/* --- HAProxy: read-backs, new processes, reachability -------------------------------------- */

static void probe_reads_back_unless_busy(void **state)
{
	struct fx *f = *state;

	fire(probe(f));
	assert_int_equal(f->hap.refreshes, 1);
	assert_true(probe(f)->armed);
	assert_int_equal(probe(f)->at, T0 + HAPWATCH_PROBE_MS);
	f->hap.busy = true;
	f->now += HAPWATCH_PROBE_MS;
	fire(probe(f));
	assert_int_equal(f->hap.refreshes, 1);
	assert_true(probe(f)->armed);
	/* the exchange's report sets the next probe */
	f->now += 10;
	exchange(f, false, 100, "000");
	assert_int_equal(probe(f)->at, f->now + HAPWATCH_PROBE_MS);
	assert_int_equal(f->hap.applies, 0); /* no backend is active yet */
}

static void matching_read_back_changes_nothing(void **state)
{
	struct fx *f = *state;

	lead_with_sno1(f);
	exchange(f, true, 100, "100"); /* the apply's own report */
	exchange(f, false, 100, "100");
	assert_int_equal(f->hap.applies, 1);
	assert_int_equal(f->haproxy_changed, 0);
}

static void new_haproxy_process_gets_the_backend_again(void **state)
{
	struct fx *f = *state;

	lead_with_sno1(f);
	exchange(f, true, 100, "100");
	f->now += HAPWATCH_PROBE_MS;
	exchange(f, false, 200, "100"); /* reloaded: another pid, states possibly lost */
	assert_int_equal(f->hap.applies, 2);
	assert_string_equal(f->hap.active, "s1");
	assert_int_equal(f->haproxy_changed, 0);
}

static void drift_is_applied_again(void **state)
{
	struct fx *f = *state;

	lead_with_sno1(f);
	exchange(f, true, 100, "100");
	exchange(f, false, 100, "010"); /* someone enabled s2 by hand */
	assert_int_equal(f->hap.applies, 2);
	assert_string_equal(f->hap.active, "s1");
	exchange(f, false, 100, "110");
	assert_int_equal(f->hap.applies, 3);
	exchange(f, false, 100, "000");
	assert_int_equal(f->hap.applies, 4);
}

static void refused_apply_waits_for_the_read_back(void **state)
{
	struct fx *f = *state;
	struct haproxy_report r = {.reachable = true, .apply = true, .ok = false, .pid = 100};

	lead_with_sno1(f);
	r.uptime_s = -1;
	snprintf(r.error, sizeof(r.error), "No such server.");
	f->hap.cb(f->hap.arg, &r);
	assert_int_equal(f->hap.applies, 1);
	exchange(f, false, 100, "000"); /* the next read-back sees s1 not ready */
	assert_int_equal(f->hap.applies, 2);
}

static void unreachable_haproxy_lowers_priority_and_is_given_the_backend_back(void **state)
{
	struct fx *f = *state;

	lead_with_sno1(f);
	exchange(f, true, 100, "100");
	exchange(f, false, 0, NULL);
	exchange(f, false, 0, NULL);
	assert_false(active_haproxy_down(f->a));
	assert_int_equal(f->haproxy_changed, 0);
	exchange(f, false, 0, NULL);
	assert_true(active_haproxy_down(f->a));
	assert_int_equal(f->haproxy_changed, 1);
	assert_int_equal(f->hap.applies, 1);
	exchange(f, false, 0, NULL); /* reported once */
	assert_int_equal(f->haproxy_changed, 1);
	exchange(f, false, 100, "100"); /* answers again: the states may be lost */
	assert_false(active_haproxy_down(f->a));
	assert_int_equal(f->haproxy_changed, 2);
	assert_int_equal(f->hap.applies, 2);
	assert_string_equal(f->hap.active, "s1");
}

/* --- stopping ------------------------------------------------------------------------------ */

static void stepping_down_stops_checks_and_failback(void **state)
{
	struct fx *f = *state;

	lead_with_sno1(f);
	check(f, 1, true);
	checks(f, 0, false, 3);
	checks(f, 0, true, 2);
	assert_true(failback(f)->armed);
	active_role(f->a, ROLE_FOLLOWER); /* also what shutting down does */
	assert_false(f->health.running);
	assert_false(failback(f)->armed);
	assert_int_equal(f->hap.applies, 2); /* HAProxy keeps the active backend */
	assert_string_equal(f->hap.active, "s2");
}

static void free_closes_everything(void **state)
{
	struct fx *f = *state;

	lead_with_sno1(f);
	active_free(f->a);
	f->a = NULL;
	assert_true(f->health.freed);
	assert_true(f->hap.freed);
	assert_true(f->timers[0].freed);
	assert_true(f->timers[1].freed);
	assert_int_equal(f->hap.applies, 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(nothing_without_backends),
	    cmocka_unit_test(health_failure_is_an_error),
	    T(opens_haproxy_and_probes_at_once),
	    cmocka_unit_test(without_haproxy_socket),
	    T(checks_only_as_leader),
	    T(first_choice_is_applied),
	    T(same_choice_is_not_applied_again),
	    T(new_choice_is_applied),
	    T(failback_timer_applies_the_preferred_backend),
	    T(operator_choice_is_applied),
	    cmocka_unit_test(unmapped_backend_leaves_haproxy_alone),
	    cmocka_unit_test(connect_addr_follows_the_choice),
	    T(leader_choice_is_applied_once),
	    T(reload_takes_over_the_view),
	    T(probe_reads_back_unless_busy),
	    T(matching_read_back_changes_nothing),
	    T(new_haproxy_process_gets_the_backend_again),
	    T(drift_is_applied_again),
	    T(refused_apply_waits_for_the_read_back),
	    T(unreachable_haproxy_lowers_priority_and_is_given_the_backend_back),
	    T(stepping_down_stops_checks_and_failback),
	    T(free_closes_everything),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
