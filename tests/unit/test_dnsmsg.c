/* SPDX-License-Identifier: MIT */
/* test_dnsmsg.c: DNS update/query messages parsed back with ldns, answers, TSIG key files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsigkey.h"
#include "dnsmsg.h"
#include "tmpdir.h"

#define SECRET256 "rPvWFLut1Qd5KbU2nFrbN0RbBgHRM+mki/3MRSC9nm4="
#define SECRET512                                                                                  \
	"N81rFG4DWZr6f1kDGXMX2WFJPcfMJ0H2eRKUJQsd1OLqdP8tC5g7zepdsICc74LP163ePUCK8ZelUnt8IbzhkQ=="
#define KEYFILE256                                                                                 \
	"key \"kcwatch-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"" SECRET256 "\";\n};\n"
#define FENCE_OWNER "_kcwatch.keycloak.local.mylab.io."
#define SERVER	    "127.0.0.1#15353"
#define NO_TTL	    UINT32_MAX

/* --- helpers -------------------------------------------------------------------------- */

static void key256(struct tsig_key *k)
{
	char err[256];

	assert_int_equal(
	    tsigkey_parse(KEYFILE256, strlen(KEYFILE256), "k.conf", k, err, sizeof(err)), 0);
}

static int parse_key(const char *text, struct tsig_key *k, char *err, size_t len)
{
	return tsigkey_parse(text, strlen(text), "k.conf", k, err, len);
}

static ldns_pkt *wire_pkt(const struct dnsmsg_req *r)
{
	ldns_pkt *p = NULL;

	assert_int_equal(ldns_wire2pkt(&p, r->wire, r->len), LDNS_STATUS_OK);
	assert_non_null(p);
	return p;
}

static void assert_dname(const ldns_rdf *rd, const char *want)
{
	char *s = ldns_rdf2str(rd);

	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

static void assert_rr(const ldns_rr *rr, const char *owner, ldns_rr_type type, ldns_rr_class cls,
		      uint32_t ttl, size_t rd_count)
{
	assert_non_null(rr);
	assert_dname(ldns_rr_owner(rr), owner);
	assert_int_equal(ldns_rr_get_type(rr), type);
	assert_int_equal(ldns_rr_get_class(rr), cls);
	if (ttl != NO_TTL) /* question-section entries have none */
		assert_int_equal(ldns_rr_ttl(rr), ttl);
	assert_int_equal(ldns_rr_rd_count(rr), rd_count);
}

static void assert_txt(const ldns_rr *rr, const char *text)
{
	const ldns_rdf *rd = ldns_rr_rdf(rr, 0);

	assert_int_equal(ldns_rdf_size(rd), strlen(text) + 1);
	assert_int_equal(ldns_rdf_data(rd)[0], strlen(text));
	assert_memory_equal(ldns_rdf_data(rd) + 1, text, strlen(text));
}

static void assert_rdata(const ldns_rr *rr, const char *want)
{
	char *s = ldns_rdf2str(ldns_rr_rdf(rr, 0));

	assert_string_equal(s, want);
	free(s);
}

static void assert_tsig(ldns_pkt *p, const struct dnsmsg_req *r, const struct tsig_key *k,
			const char *alg, size_t mac_len)
{
	ldns_rr *t = ldns_pkt_tsig(p);

	assert_non_null(t);
	assert_dname(ldns_rr_owner(t), "kcwatch-key.");
	assert_int_equal(ldns_rr_get_class(t), LDNS_RR_CLASS_ANY);
	assert_dname(ldns_rr_rdf(t, 0), alg);
	assert_int_equal(ldns_rdf_size(ldns_rr_rdf(t, 3)), mac_len + 2);
	assert_int_equal(ldns_rdf2native_int16(ldns_rr_rdf(t, 4)), r->id); /* original id */
	assert_true(ldns_pkt_tsig_verify(p, r->wire, r->len, k->name, k->secret, NULL));
}

/* An answer to r (QR set, question echoed, rcode), signed with secret when not NULL. */
static size_t make_answer(const struct dnsmsg_req *r, ldns_pkt_rcode rcode, const char *const *rrs,
			  const struct tsig_key *k, const char *secret, uint8_t **wire)
{
	ldns_pkt *req = wire_pkt(r), *a = ldns_pkt_new();
	size_t len = 0;

	ldns_pkt_set_id(a, ldns_pkt_id(req));
	ldns_pkt_set_qr(a, true);
	ldns_pkt_set_aa(a, true);
	ldns_pkt_set_opcode(a, ldns_pkt_get_opcode(req));
	ldns_pkt_set_rcode(a, (uint8_t)rcode);
	ldns_pkt_push_rr(a, LDNS_SECTION_QUESTION,
			 ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(req), 0)));
	for (size_t i = 0; rrs && rrs[i]; i++) {
		ldns_rr *rr = NULL;

		assert_int_equal(ldns_rr_new_frm_str(&rr, rrs[i], 0, NULL, NULL), LDNS_STATUS_OK);
		ldns_pkt_push_rr(a, LDNS_SECTION_ANSWER, rr);
	}
	if (secret)
		assert_int_equal(ldns_pkt_tsig_sign(a, k->name, secret, 300, k->algorithm, r->mac),
				 LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt2wire(wire, a, &len), LDNS_STATUS_OK);
	ldns_pkt_free(a);
	ldns_pkt_free(req);
	return len;
}

/* Builds the standard update: fence as read = one TXT, A + AAAA targets. */
static void build_std(struct dnsmsg_req *r, const struct tsig_key *k, bool with_read)
{
	struct kcw_addr v4, v6;
	ldns_rr_list *read = dnsmsg_fence_rrset(FENCE_OWNER, "term=1 node=lb1 seq=4", 30);
	struct dnsmsg_update u = {
	    .zone = "local.mylab.io",
	    .name = "keycloak.local.mylab.io",
	    .ttl = 30,
	    .v4 = &v4,
	    .v6 = &v6,
	    .fence = true,
	    .fence_read = with_read ? read : NULL,
	    .fence_text = "term=2 node=lb2 seq=5",
	};
	char err[256];

	assert_int_equal(addr_parse("10.0.0.5", &v4), 0);
	assert_int_equal(addr_parse("2001:db8::5", &v6), 0);
	assert_int_equal(dnsmsg_build_update(&u, k, 0x1234, r, err, sizeof(err)), 0);
	ldns_rr_list_deep_free(read);
}

/* --- messages ------------------------------------------------------------------------- */

static void test_update_sections(void **state)
{
	struct tsig_key k;
	struct dnsmsg_req r;
	ldns_pkt *p;
	const ldns_rr_list *up;

	(void)state;
	key256(&k);
	build_std(&r, &k, true);
	p = wire_pkt(&r);
	assert_int_equal(ldns_pkt_get_opcode(p), LDNS_PACKET_UPDATE);
	assert_int_equal(ldns_pkt_id(p), 0x1234);
	assert_false(ldns_pkt_rd(p));
	assert_false(ldns_pkt_qr(p));
	/* zone section */
	assert_int_equal(ldns_update_zocount(p), 1);
	assert_rr(ldns_rr_list_rr(ldns_pkt_question(p), 0), "local.mylab.io.", LDNS_RR_TYPE_SOA,
		  LDNS_RR_CLASS_IN, NO_TTL, 0);
	/* prerequisite: the fence exactly as read, value-dependent */
	assert_int_equal(ldns_update_prcount(p), 1);
	assert_rr(ldns_rr_list_rr(ldns_pkt_answer(p), 0), FENCE_OWNER, LDNS_RR_TYPE_TXT,
		  LDNS_RR_CLASS_IN, 0, 1);
	assert_txt(ldns_rr_list_rr(ldns_pkt_answer(p), 0), "term=1 node=lb1 seq=4");
	/* update: delete RRset + add, for A, AAAA and the fence */
	up = ldns_pkt_authority(p);
	assert_int_equal(ldns_update_upcount(p), 6);
	assert_rr(ldns_rr_list_rr(up, 0), "keycloak.local.mylab.io.", LDNS_RR_TYPE_A,
		  LDNS_RR_CLASS_ANY, 0, 0);
	assert_rr(ldns_rr_list_rr(up, 1), "keycloak.local.mylab.io.", LDNS_RR_TYPE_A,
		  LDNS_RR_CLASS_IN, 30, 1);
	assert_rdata(ldns_rr_list_rr(up, 1), "10.0.0.5");
	assert_rr(ldns_rr_list_rr(up, 2), "keycloak.local.mylab.io.", LDNS_RR_TYPE_AAAA,
		  LDNS_RR_CLASS_ANY, 0, 0);
	assert_rr(ldns_rr_list_rr(up, 3), "keycloak.local.mylab.io.", LDNS_RR_TYPE_AAAA,
		  LDNS_RR_CLASS_IN, 30, 1);
	assert_rdata(ldns_rr_list_rr(up, 3), "2001:db8::5");
	assert_rr(ldns_rr_list_rr(up, 4), FENCE_OWNER, LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_ANY, 0, 0);
	assert_rr(ldns_rr_list_rr(up, 5), FENCE_OWNER, LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, 30, 1);
	assert_txt(ldns_rr_list_rr(up, 5), "term=2 node=lb2 seq=5");
	assert_int_equal(ldns_pkt_arcount(p), 0);
	assert_tsig(p, &r, &k, "hmac-sha256.", 32);
	ldns_pkt_free(p);
	dnsmsg_req_free(&r);
}

static void test_update_no_fence_yet(void **state)
{
	struct tsig_key k;
	struct dnsmsg_req r;
	ldns_pkt *p;

	(void)state;
	key256(&k);
	build_std(&r, &k, false);
	p = wire_pkt(&r);
	assert_int_equal(ldns_update_prcount(p), 1); /* "RRset does not exist" */
	assert_rr(ldns_rr_list_rr(ldns_pkt_answer(p), 0), FENCE_OWNER, LDNS_RR_TYPE_TXT,
		  LDNS_RR_CLASS_NONE, 0, 0);
	ldns_pkt_free(p);
	dnsmsg_req_free(&r);
}

static void test_update_variants(void **state)
{
	struct kcw_addr v4;
	struct dnsmsg_update u = {
	    .zone = "local.mylab.io.", .name = "keycloak.local.mylab.io.", .ttl = 60, .v4 = &v4};
	struct dnsmsg_req r;
	ldns_pkt *p;
	char err[256];

	(void)state;
	assert_int_equal(addr_parse("10.0.0.7", &v4), 0);
	/* fence = no, unsigned, v6 none: no prerequisite, AAAA deleted, no TXT, no TSIG */
	assert_int_equal(dnsmsg_build_update(&u, NULL, 7, &r, err, sizeof(err)), 0);
	p = wire_pkt(&r);
	assert_int_equal(ldns_update_prcount(p), 0);
	assert_int_equal(ldns_update_upcount(p), 3);
	assert_rr(ldns_rr_list_rr(ldns_pkt_authority(p), 1), "keycloak.local.mylab.io.",
		  LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 60, 1);
	assert_rr(ldns_rr_list_rr(ldns_pkt_authority(p), 2), "keycloak.local.mylab.io.",
		  LDNS_RR_TYPE_AAAA, LDNS_RR_CLASS_ANY, 0, 0);
	assert_null(ldns_pkt_tsig(p));
	assert_false(ldns_pkt_rd(p));
	ldns_pkt_free(p);
	dnsmsg_req_free(&r);
	/* no target, fence: only the fence is swapped */
	u.v4 = NULL;
	u.fence = true;
	u.fence_text = "term=3 node=lb1 seq=1";
	assert_int_equal(dnsmsg_build_update(&u, NULL, 8, &r, err, sizeof(err)), 0);
	p = wire_pkt(&r);
	assert_int_equal(ldns_update_upcount(p), 2);
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_authority(p), 0)),
			 LDNS_RR_TYPE_TXT);
	ldns_pkt_free(p);
	dnsmsg_req_free(&r);
	/* outside the zone */
	u.name = "keycloak.example.org";
	assert_int_equal(dnsmsg_build_update(&u, NULL, 9, &r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "name keycloak.example.org is not inside zone local.mylab.io.");
}

static void test_query_sha512(void **state)
{
	static const char text[] = "# generated\nkey kcwatch-key { // trailing\n algorithm "
				   "HMAC-SHA512; /* c\n style */ secret \"" SECRET512 "\"; };";
	struct tsig_key k;
	struct dnsmsg_req r;
	ldns_pkt *p;
	char err[256];

	(void)state;
	assert_int_equal(parse_key(text, &k, err, sizeof(err)), 0);
	assert_string_equal(k.algorithm, "hmac-sha512.");
	assert_int_equal(k.secret_len, 64);
	assert_int_equal(
	    dnsmsg_build_query(FENCE_OWNER, LDNS_RR_TYPE_TXT, &k, 99, &r, err, sizeof(err)), 0);
	p = wire_pkt(&r);
	assert_int_equal(ldns_pkt_get_opcode(p), LDNS_PACKET_QUERY);
	assert_false(ldns_pkt_rd(p));
	assert_int_equal(ldns_pkt_qdcount(p), 1);
	assert_rr(ldns_rr_list_rr(ldns_pkt_question(p), 0), FENCE_OWNER, LDNS_RR_TYPE_TXT,
		  LDNS_RR_CLASS_IN, NO_TTL, 0);
	assert_tsig(p, &r, &k, "hmac-sha512.", 64);
	ldns_pkt_free(p);
	dnsmsg_req_free(&r);
}

/* --- answers ------------------------------------------------------------------------- */

static void answer(const struct dnsmsg_req *r, ldns_pkt_rcode rc, const char *const *rrs,
		   const struct tsig_key *k, const char *secret, struct dnsmsg_answer *a)
{
	uint8_t *w = NULL;
	size_t len = make_answer(r, rc, rrs, k, secret, &w);

	assert_int_equal(dnsmsg_parse_answer(r, w, len, a), 0);
	free(w);
}

static void test_answer_rcodes(void **state)
{
	static const struct {
		ldns_pkt_rcode rc;
		enum dnsmsg_result result;
		const char *reason;
	} cases[] = {
	    {LDNS_RCODE_NOERROR, DNSR_OK, "ok"},
	    {LDNS_RCODE_NXRRSET, DNSR_PREREQ,
	     "fence prerequisite failed (NXRRSET): the fence changed"},
	    {LDNS_RCODE_YXRRSET, DNSR_PREREQ,
	     "fence prerequisite failed (YXRRSET): the fence changed"},
	    {LDNS_RCODE_NXDOMAIN, DNSR_PREREQ,
	     "fence prerequisite failed (NXDOMAIN): the fence changed"},
	    {LDNS_RCODE_NOTAUTH, DNSR_NOTAUTH,
	     "zone local.mylab.io not served by " SERVER " (NOTAUTH)"},
	    {LDNS_RCODE_NOTZONE, DNSR_NOTAUTH,
	     "zone local.mylab.io not served by " SERVER " (NOTZONE)"},
	    {LDNS_RCODE_REFUSED, DNSR_REFUSED, "update refused by server policy (REFUSED)"},
	    {LDNS_RCODE_SERVFAIL, DNSR_SERVFAIL, "server failure (SERVFAIL) at " SERVER},
	    {LDNS_RCODE_FORMERR, DNSR_OTHER, "unexpected answer from " SERVER " (FORMERR)"},
	};
	struct tsig_key k;
	struct dnsmsg_req r;
	struct dnsmsg_answer a;
	char why[DNSMSG_REASON_MAX];

	(void)state;
	key256(&k);
	build_std(&r, &k, true);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		answer(&r, cases[i].rc, NULL, &k, k.secret, &a);
		assert_int_equal(a.result, cases[i].result);
		assert_int_equal(a.rcode, cases[i].rc);
		assert_false(a.tsig_bogus || a.tsig_missing);
		dnsmsg_explain(&a, "local.mylab.io.", SERVER, why, sizeof(why));
		assert_string_equal(why, cases[i].reason);
		dnsmsg_answer_clear(&a);
	}
	dnsmsg_req_free(&r);
}

static void test_answer_tsig_problems(void **state)
{
	struct tsig_key k;
	struct dnsmsg_req r;
	struct dnsmsg_answer a;
	char why[DNSMSG_REASON_MAX];
	uint8_t *w = NULL;
	ldns_pkt *p = NULL;
	size_t len;

	(void)state;
	key256(&k);
	build_std(&r, &k, true);
	/* signed with another secret: bogus */
	answer(&r, LDNS_RCODE_NOERROR, NULL, &k, SECRET512, &a);
	assert_int_equal(a.result, DNSR_TSIG);
	assert_true(a.tsig_bogus);
	dnsmsg_explain(&a, "local.mylab.io", SERVER, why, sizeof(why));
	assert_non_null(strstr(why, "answer failed TSIG verification: "));
	assert_non_null(strstr(why, ldns_get_errorstr_by_id(LDNS_STATUS_CRYPTO_TSIG_BOGUS)));
	/* unsigned */
	answer(&r, LDNS_RCODE_NOERROR, NULL, &k, NULL, &a);
	assert_int_equal(a.result, DNSR_TSIG);
	assert_true(a.tsig_missing);
	/* the server's TSIG error BADKEY / BADSIG, with rcode NOTAUTH */
	for (uint16_t e = 16; e <= 17; e++) {
		len = make_answer(&r, LDNS_RCODE_NOTAUTH, NULL, &k, k.secret, &w);
		assert_int_equal(ldns_wire2pkt(&p, w, len), LDNS_STATUS_OK);
		ldns_rdf_deep_free(ldns_rr_set_rdf(
		    ldns_pkt_tsig(p), ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, e), 5));
		free(w);
		assert_int_equal(ldns_pkt2wire(&w, p, &len), LDNS_STATUS_OK);
		assert_int_equal(dnsmsg_parse_answer(&r, w, len, &a), 0);
		assert_int_equal(a.result, DNSR_TSIG);
		assert_int_equal(a.tsig_error, e);
		dnsmsg_explain(&a, "local.mylab.io", SERVER, why, sizeof(why));
		assert_string_equal(why, e == 16 ? "TSIG key rejected by server (BADSIG)"
						 : "TSIG key rejected by server (BADKEY)");
		ldns_pkt_free(p);
		free(w);
	}
	dnsmsg_req_free(&r);
}

static void test_answer_not_ours(void **state)
{
	static const uint8_t garbage[] = {0x12, 0x34, 0x81, 0x80, 0xff, 0xff};
	struct tsig_key k;
	struct dnsmsg_req r, other;
	struct dnsmsg_answer a;
	uint8_t *w = NULL;
	size_t len;
	char err[256];

	(void)state;
	key256(&k);
	build_std(&r, &k, true);
	assert_int_equal(dnsmsg_parse_answer(&r, garbage, sizeof(garbage), &a), -EBADMSG);
	assert_int_equal(dnsmsg_parse_answer(&r, r.wire, r.len, &a), -ESRCH); /* QR clear */
	assert_int_equal(dnsmsg_build_query("x.local.mylab.io", LDNS_RR_TYPE_TXT, &k, 0x1234,
					    &other, err, sizeof(err)),
			 0);
	len = make_answer(&other, LDNS_RCODE_NOERROR, NULL, &k, k.secret, &w);
	assert_int_equal(dnsmsg_parse_answer(&r, w, len, &a), -ESRCH); /* same id, other message */
	free(w);
	dnsmsg_req_free(&other);
	dnsmsg_req_free(&r);
}

static void test_answer_fence_read(void **state)
{
	static const char *const rrs[] = {
	    FENCE_OWNER " 30 IN TXT \"term=2 node=lb2 seq=7\"",
	    "other.local.mylab.io. 30 IN TXT \"term=9 node=x seq=1\"",
	    NULL,
	};
	struct tsig_key k;
	struct dnsmsg_req r;
	struct dnsmsg_answer a;
	char texts[4][DNSMSG_TXT_MAX], err[256];

	(void)state;
	key256(&k);
	assert_int_equal(
	    dnsmsg_build_query(FENCE_OWNER, LDNS_RR_TYPE_TXT, &k, 5, &r, err, sizeof(err)), 0);
	answer(&r, LDNS_RCODE_NOERROR, rrs, &k, k.secret, &a);
	assert_int_equal(a.result, DNSR_OK);
	assert_int_equal(ldns_rr_list_rr_count(a.rrs), 1); /* only the fence owner's */
	assert_int_equal(dnsmsg_txt_texts(a.rrs, texts, 4), 1);
	assert_string_equal(texts[0], "term=2 node=lb2 seq=7");
	dnsmsg_answer_clear(&a);
	answer(&r, LDNS_RCODE_NXDOMAIN, NULL, &k, k.secret, &a); /* no fence at all */
	assert_int_equal(a.result, DNSR_OK);
	assert_int_equal(ldns_rr_list_rr_count(a.rrs), 0);
	dnsmsg_answer_clear(&a);
	answer(&r, LDNS_RCODE_REFUSED, NULL, &k, k.secret, &a);
	assert_int_equal(a.result, DNSR_REFUSED);
	assert_null(a.rrs);
	dnsmsg_explain(&a, "local.mylab.io", SERVER, err, sizeof(err));
	assert_string_equal(err, "zone local.mylab.io not served by " SERVER
				 ", or its query policy refuses us (REFUSED)");
	dnsmsg_answer_clear(&a);
	dnsmsg_req_free(&r);
}

static void test_answer_addresses(void **state)
{
	static const char *const rrs[] = {
	    "keycloak.local.mylab.io. 30 IN AAAA 2001:db8::5",
	    "keycloak.local.mylab.io. 30 IN A 10.0.0.5",
	    "keycloak.local.mylab.io. 30 IN TXT \"hello\"",
	    NULL,
	};
	struct dnsmsg_req r;
	struct dnsmsg_answer a;
	struct kcw_addr v4, v6, other;
	char text[160], err[256];

	(void)state;
	assert_int_equal(addr_parse("10.0.0.5", &v4), 0);
	assert_int_equal(addr_parse("2001:db8::5", &v6), 0);
	assert_int_equal(addr_parse("10.0.0.6", &other), 0);
	assert_int_equal(dnsmsg_build_query("keycloak.local.mylab.io", LDNS_RR_TYPE_ANY, NULL, 6,
					    &r, err, sizeof(err)),
			 0);
	answer(&r, LDNS_RCODE_NOERROR, rrs, NULL, NULL, &a);
	assert_int_equal(a.result, DNSR_OK);
	dnsmsg_addrs_text(a.rrs, text, sizeof(text));
	assert_string_equal(text, "A 10.0.0.5 AAAA 2001:db8::5");
	assert_true(dnsmsg_addrs_match(a.rrs, &v4, &v6));
	assert_false(dnsmsg_addrs_match(a.rrs, &v4, NULL));
	assert_false(dnsmsg_addrs_match(a.rrs, &other, &v6));
	assert_false(dnsmsg_addrs_match(NULL, &v4, NULL));
	assert_true(dnsmsg_addrs_match(NULL, NULL, NULL));
	dnsmsg_addrs_text(NULL, text, sizeof(text));
	assert_string_equal(text, "none");
	dnsmsg_answer_clear(&a);
	dnsmsg_req_free(&r);
}

/* --- key files ------------------------------------------------------------------------ */

static void test_key_ok(void **state)
{
	struct tsig_key k;

	(void)state;
	key256(&k);
	assert_string_equal(k.name, "kcwatch-key.");
	assert_string_equal(k.algorithm, "hmac-sha256.");
	assert_string_equal(k.secret, SECRET256);
	assert_int_equal(k.secret_len, 32);
	tsigkey_clear(&k);
	assert_int_equal(k.name[0], 0);
}

static void test_key_errors(void **state)
{
	static const struct {
		const char *text;
		const char *err;
	} cases[] = {
	    {"", "k.conf:1: no key clause found"},
	    {"# only a comment\n", "k.conf:2: no key clause found"},
	    {"key \"k\" {\n\talgorithm hmac-sha384;\n\tsecret \"" SECRET256 "\";\n};\n",
	     "k.conf:2: algorithm hmac-sha384 is not usable (ldns cannot sign with it); use "
	     "hmac-sha256 or hmac-sha512"},
	    {"key \"k\" {\n\talgorithm hmac-md5;\n};\n",
	     "k.conf:2: unsupported algorithm 'hmac-md5' (use hmac-sha256 or hmac-sha512)"},
	    {"key \"k\" {\n\talgorithm hmac-sha256;\n};\n", "k.conf:3: key k. has no secret"},
	    {"key \"k\" {\n\tsecret \"" SECRET256 "\";\n};\n", "k.conf:3: key k. has no algorithm"},
	    {"key \"k\" {\n\talgorithm hmac-sha256;\n\n\tsecret \"not*base64!\";\n};\n",
	     "k.conf:4: secret is not valid base64"},
	    {"key \"k\" {\n\talgorithm hmac-sha256;\n\tsecret \"YWJj\";\n};\n",
	     "k.conf:3: secret too short (3 bytes, at least 16)"},
	    {"key \"k\" {\n\talgorithm hmac-sha256\n\tsecret \"" SECRET256 "\";\n};\n",
	     "k.conf:3: expected ';', found 'secret'"},
	    {"key \"k\" {\n\talgorithm hmac-sha256;\n\tsecret \"" SECRET256 "\";\n};\n"
	     "key \"k2\" {\n};\n",
	     "k.conf:5: unexpected 'key' after the key clause (one key per file)"},
	    {"key \"k\" {\n\talgorithm hmac-sha256;\n\talgorithm hmac-sha512;\n};\n",
	     "k.conf:3: algorithm given twice (first on line 2)"},
	    {"key \"k\" {\n\tsecret \"abc\n", "k.conf:2: unterminated or overlong quoted string"},
	    {"key \"k\" {\n\tsecret \"" SECRET256 "\" \"" SECRET256 "\";\n};\n",
	     "k.conf:2: expected ';', found 'a quoted string'"},
	    {"key \"k\" {\n\tsecret " SECRET256 " " SECRET256 ";\n};\n",
	     "k.conf:2: expected ';', found 'a base64 word'"},
	    {"options { };\n", "k.conf:1: expected 'key', found 'options'"},
	    {"key \"k\" { algorithm hmac-sha256; secret \"" SECRET256 "\"; };\n/* open\n",
	     "k.conf:2: unterminated /* comment"},
	    {"key \"bad name\" {\n};\n", "k.conf:1: invalid key name 'bad name'"},
	    {"key \"k\" {\n\talgorithm hmac-sha256;\n\tsecret \"" SECRET256 "\";\n",
	     "k.conf:4: key clause not closed with '}'"},
	};
	struct tsig_key k = {.name = "untouched"};
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		if (parse_key(cases[i].text, &k, err, sizeof(err)) != -EINVAL)
			fail_msg("case %zu accepted", i);
		assert_string_equal(err, cases[i].err);
		assert_string_equal(k.name, "untouched");
		assert_null(strstr(err, SECRET256)); /* never the secret */
	}
}

static void test_key_load(void **state)
{
	char path[PATH_MAX], err[512];
	struct tsig_key k;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/test_dnsmsg.XXXXXX", test_tmpdir());
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, KEYFILE256, strlen(KEYFILE256)), (ssize_t)strlen(KEYFILE256));
	close(fd);
	assert_int_equal(tsigkey_load(path, &k, err, sizeof(err)), 0);
	assert_string_equal(k.name, "kcwatch-key.");
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "junk\n", 5), 5);
	close(fd);
	assert_int_equal(tsigkey_load(path, &k, err, sizeof(err)), -EINVAL);
	assert_true(strncmp(err, path, strlen(path)) == 0);
	assert_string_equal(err + strlen(path),
			    ":5: unexpected 'junk' after the key clause (one key per file)");
	unlink(path);
	assert_int_equal(tsigkey_load(path, &k, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, path));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_update_sections),  cmocka_unit_test(test_update_no_fence_yet),
	    cmocka_unit_test(test_update_variants),  cmocka_unit_test(test_query_sha512),
	    cmocka_unit_test(test_answer_rcodes),    cmocka_unit_test(test_answer_tsig_problems),
	    cmocka_unit_test(test_answer_not_ours),  cmocka_unit_test(test_answer_fence_read),
	    cmocka_unit_test(test_answer_addresses), cmocka_unit_test(test_key_ok),
	    cmocka_unit_test(test_key_errors),	     cmocka_unit_test(test_key_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
