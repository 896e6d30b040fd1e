/* SPDX-License-Identifier: MIT */
/* dnsmsg.c: builds, signs and parses the DNS messages of the updater with ldns. */
#include "dnsmsg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define TSIG_ERR_BADSIG	  16
#define TSIG_ERR_BADKEY	  17
#define TSIG_ERR_BADTIME  18
#define TSIG_ERR_BADTRUNC 22

static const char *const result_names[DNSR_COUNT] = {
    [DNSR_OK] = "ok",		[DNSR_PREREQ] = "prereq",   [DNSR_TSIG] = "tsig",
    [DNSR_NOTAUTH] = "notauth", [DNSR_REFUSED] = "refused", [DNSR_SERVFAIL] = "servfail",
    [DNSR_OTHER] = "other",	[DNSR_TIMEOUT] = "timeout", [DNSR_NETWORK] = "network",
};

const char *dnsmsg_result_name(enum dnsmsg_result r)
{
	return (unsigned)r < DNSR_COUNT ? result_names[r] : "unknown";
}

/* name as an absolute dname rdf (a trailing dot is added when missing). */
static ldns_rdf *dname(const char *name)
{
	char buf[LDNS_MAX_DOMAINLEN + 2];
	size_t n = strlen(name);

	if (n == 0 || n > LDNS_MAX_DOMAINLEN)
		return NULL;
	snprintf(buf, sizeof(buf), "%s%s", name, name[n - 1] == '.' ? "" : ".");
	return ldns_dname_new_frm_str(buf);
}

int dnsmsg_fence_name(const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);
	int w;

	if (n == 0)
		return -EINVAL;
	w = snprintf(buf, len, "_kcwatch.%s%s", name, name[n - 1] == '.' ? "" : ".");
	if (w < 0 || (size_t)w >= len || (size_t)w > LDNS_MAX_DOMAINLEN + 1)
		return -ENAMETOOLONG;
	return 0;
}

/* An RR without rdata (RRset deletions and RRset prerequisites). */
static ldns_rr *rr_bare(const ldns_rdf *owner, ldns_rr_type type, ldns_rr_class cls, uint32_t ttl)
{
	ldns_rr *rr = ldns_rr_new();
	ldns_rdf *o = ldns_rdf_clone(owner);

	if (!rr || !o) {
		ldns_rr_free(rr);
		ldns_rdf_deep_free(o);
		return NULL;
	}
	ldns_rr_set_owner(rr, o);
	ldns_rr_set_type(rr, type);
	ldns_rr_set_class(rr, cls);
	ldns_rr_set_ttl(rr, ttl);
	return rr;
}

/* rr_bare plus one rdf of type/data; takes nothing over. */
static ldns_rr *rr_data(const ldns_rdf *owner, ldns_rr_type type, uint32_t ttl, ldns_rdf_type rtype,
			const void *data, size_t len)
{
	ldns_rr *rr = rr_bare(owner, type, LDNS_RR_CLASS_IN, ttl);
	ldns_rdf *rd = rr ? ldns_rdf_new_frm_data(rtype, len, data) : NULL;

	if (!rd || !ldns_rr_push_rdf(rr, rd)) {
		ldns_rdf_deep_free(rd);
		ldns_rr_free(rr);
		return NULL;
	}
	return rr;
}

static ldns_rr *rr_txt(const ldns_rdf *owner, uint32_t ttl, const char *text)
{
	uint8_t buf[256];
	size_t n = strlen(text);

	if (n > 255)
		return NULL;
	buf[0] = (uint8_t)n;
	memcpy(buf + 1, text, n);
	return rr_data(owner, LDNS_RR_TYPE_TXT, ttl, LDNS_RDF_TYPE_STR, buf, n + 1);
}

/* Pushes rr onto list; frees rr (it is copied by pointer: ownership moves). */
static int push(ldns_rr_list *list, ldns_rr *rr)
{
	if (!rr)
		return -ENOMEM;
	if (!ldns_rr_list_push_rr(list, rr)) {
		ldns_rr_free(rr);
		return -ENOMEM;
	}
	return 0;
}

static int push_prereq(ldns_rr_list *pr, const ldns_rdf *fence, const ldns_rr_list *read)
{
	size_t n = read ? ldns_rr_list_rr_count(read) : 0;

	if (n == 0) /* "RRset does not exist" */
		return push(pr, rr_bare(fence, LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_NONE, 0));
	for (size_t i = 0; i < n; i++) {
		ldns_rr *rr = ldns_rr_clone(ldns_rr_list_rr(read, i));

		if (rr) { /* value-dependent "RRset exists": class IN, TTL 0, every record */
			ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
			ldns_rr_set_ttl(rr, 0);
		}
		if (push(pr, rr) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int push_addr(ldns_rr_list *up, const ldns_rdf *owner, uint32_t ttl,
		     const struct kcw_addr *a, bool v6)
{
	int ret =
	    push(up, rr_bare(owner, v6 ? LDNS_RR_TYPE_AAAA : LDNS_RR_TYPE_A, LDNS_RR_CLASS_ANY, 0));

	if (ret < 0 || !a)
		return ret;
	if (v6)
		return push(
		    up, rr_data(owner, LDNS_RR_TYPE_AAAA, ttl, LDNS_RDF_TYPE_AAAA, &a->u.v6, 16));
	return push(up, rr_data(owner, LDNS_RR_TYPE_A, ttl, LDNS_RDF_TYPE_A, &a->u.v4, 4));
}

static int fill_sections(const struct dnsmsg_update *u, const ldns_rdf *owner,
			 const ldns_rdf *fence, ldns_rr_list *pr, ldns_rr_list *up)
{
	int ret = 0;

	if ((u->v4 && u->v4->family != AF_INET) || (u->v6 && u->v6->family != AF_INET6))
		return -EINVAL;
	if (u->fence && (ret = push_prereq(pr, fence, u->fence_read)) < 0)
		return ret;
	if (u->v4 || u->v6) {
		if ((ret = push_addr(up, owner, u->ttl, u->v4, false)) < 0 ||
		    (ret = push_addr(up, owner, u->ttl, u->v6, true)) < 0)
			return ret;
	}
	if (u->fence) {
		if ((ret = push(up, rr_bare(fence, LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_ANY, 0))) < 0)
			return ret;
		ret = push(up, rr_txt(fence, u->ttl, u->fence_text));
	}
	return ret;
}

/* Sets id, clears RD, signs, converts to wire and records what the answer must match. */
static int finish_req(ldns_pkt *p, const struct tsig_key *key, uint16_t id, struct dnsmsg_req *out,
		      char *err, size_t errlen)
{
	ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	ldns_status st;

	memset(out, 0, sizeof(*out));
	ldns_pkt_set_id(p, id);
	ldns_pkt_set_rd(p, false);
	if (key) {
		st = ldns_pkt_tsig_sign(p, key->name, key->secret, DNSMSG_TSIG_FUDGE,
					key->algorithm, NULL);
		if (st != LDNS_STATUS_OK || !ldns_pkt_tsig(p)) {
			snprintf(err, errlen, "TSIG signing failed: %s",
				 ldns_get_errorstr_by_id(st));
			return -EINVAL;
		}
		out->mac = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(p), 3));
	}
	st = ldns_pkt2wire(&out->wire, p, &out->len);
	out->qname = ldns_rdf_clone(ldns_rr_owner(q));
	if (st != LDNS_STATUS_OK || !out->qname || (key && !out->mac)) {
		snprintf(err, errlen, "building the message failed: %s",
			 ldns_get_errorstr_by_id(st));
		dnsmsg_req_free(out);
		return -ENOMEM;
	}
	out->id = id;
	out->opcode = ldns_pkt_get_opcode(p);
	out->qtype = ldns_rr_get_type(q);
	out->key = key;
	return 0;
}

int dnsmsg_build_update(const struct dnsmsg_update *u, const struct tsig_key *key, uint16_t id,
			struct dnsmsg_req *out, char *err, size_t errlen)
{
	char fname[LDNS_MAX_DOMAINLEN + 16];
	ldns_rdf *zone = dname(u->zone), *owner = dname(u->name), *fence = NULL;
	ldns_rr_list *pr = ldns_rr_list_new(), *up = ldns_rr_list_new();
	ldns_pkt *p = NULL;
	int ret = -EINVAL;

	if (dnsmsg_fence_name(u->name, fname, sizeof(fname)) == 0)
		fence = ldns_dname_new_frm_str(fname);
	if (!zone || !owner || !fence) {
		snprintf(err, errlen, "invalid zone or name");
		goto out;
	}
	if (!ldns_dname_is_subdomain(owner, zone) || (u->fence && !u->fence_text)) {
		snprintf(err, errlen, "name %s is not inside zone %s", u->name, u->zone);
		goto out;
	}
	if (!pr || !up || (ret = fill_sections(u, owner, fence, pr, up)) < 0) {
		snprintf(err, errlen, "building the update failed: %s",
			 strerror(ret ? -ret : ENOMEM));
		ret = ret ? ret : -ENOMEM;
		goto out;
	}
	p = ldns_update_pkt_new(zone, LDNS_RR_CLASS_IN, pr, up, NULL);
	zone = NULL; /* taken over by ldns_update_pkt_new, even on failure */
	ret = p ? finish_req(p, key, id, out, err, errlen) : -ENOMEM;
	if (!p)
		snprintf(err, errlen, "building the update failed: out of memory");
out:
	ldns_pkt_free(p);
	ldns_rr_list_deep_free(pr);
	ldns_rr_list_deep_free(up);
	ldns_rdf_deep_free(zone);
	ldns_rdf_deep_free(owner);
	ldns_rdf_deep_free(fence);
	return ret;
}

int dnsmsg_build_query(const char *qname, ldns_rr_type qtype, const struct tsig_key *key,
		       uint16_t id, struct dnsmsg_req *out, char *err, size_t errlen)
{
	ldns_rdf *q = dname(qname);
	ldns_pkt *p;
	int ret;

	if (!q) {
		snprintf(err, errlen, "invalid name %s", qname);
		return -EINVAL;
	}
	p = ldns_pkt_query_new(q, qtype, LDNS_RR_CLASS_IN, 0);
	if (!p) {
		snprintf(err, errlen, "building the query failed: out of memory");
		return -ENOMEM;
	}
	ret = finish_req(p, key, id, out, err, errlen);
	ldns_pkt_free(p);
	return ret;
}

void dnsmsg_req_free(struct dnsmsg_req *r)
{
	free(r->wire);
	ldns_rdf_deep_free(r->qname);
	ldns_rdf_deep_free(r->mac);
	memset(r, 0, sizeof(*r));
}

/* True when p answers req: id, QR, opcode and (when echoed) the question. */
static bool answers(const struct dnsmsg_req *req, const ldns_pkt *p)
{
	const ldns_rr_list *qs = ldns_pkt_question(p);
	const ldns_rr *q;

	if (ldns_pkt_id(p) != req->id || !ldns_pkt_qr(p) || ldns_pkt_get_opcode(p) != req->opcode)
		return false;
	if (ldns_rr_list_rr_count(qs) == 0)
		return true; /* error answers may leave the question out */
	q = ldns_rr_list_rr(qs, 0);
	return ldns_rr_list_rr_count(qs) == 1 && ldns_rr_get_type(q) == req->qtype &&
	       ldns_rr_owner(q) && ldns_dname_compare(ldns_rr_owner(q), req->qname) == 0;
}

static bool same_dname(const ldns_rdf *a, const char *name)
{
	ldns_rdf *b = ldns_dname_new_frm_str(name);
	bool same =
	    a && b && ldns_rdf_get_type(a) == LDNS_RDF_TYPE_DNAME && ldns_dname_compare(a, b) == 0;

	ldns_rdf_deep_free(b);
	return same;
}

/* Sets the tsig_* fields of out for a signed request. */
static void check_tsig(const struct dnsmsg_req *req, ldns_pkt *p, const uint8_t *wire, size_t len,
		       struct dnsmsg_answer *out)
{
	ldns_rr *t = ldns_pkt_tsig(p);
	const ldns_rdf *e;

	if (!req->key)
		return;
	if (!t) {
		out->tsig_missing = true;
		return;
	}
	e = ldns_rr_rd_count(t) >= 7 ? ldns_rr_rdf(t, 5) : NULL;
	if (!e || ldns_rdf_size(e) != 2) {
		out->tsig_bogus = true;
		return;
	}
	out->tsig_error = ldns_rdf2native_int16(e);
	if (out->tsig_error != 0)
		return;
	/* ldns only verifies when the key and algorithm are ours; checked first, since
	 * on an internal failure it leaves the TSIG record detached from the packet. */
	if (!same_dname(ldns_rr_owner(t), req->key->name) ||
	    !same_dname(ldns_rr_rdf(t, 0), req->key->algorithm)) {
		out->tsig_bogus = true;
		return;
	}
	if (!ldns_pkt_tsig_verify(p, wire, len, req->key->name, req->key->secret, req->mac))
		out->tsig_bogus = true;
	if (!ldns_pkt_tsig(p))
		ldns_pkt_set_tsig(p, t);
}

static enum dnsmsg_result classify(ldns_pkt_opcode opcode, ldns_pkt_rcode rcode)
{
	switch (rcode) {
	case LDNS_RCODE_NOERROR:
		return DNSR_OK;
	case LDNS_RCODE_NXDOMAIN:
		return opcode == LDNS_PACKET_UPDATE ? DNSR_PREREQ : DNSR_OK;
	case LDNS_RCODE_YXDOMAIN:
	case LDNS_RCODE_YXRRSET:
	case LDNS_RCODE_NXRRSET:
		return DNSR_PREREQ;
	case LDNS_RCODE_NOTAUTH:
	case LDNS_RCODE_NOTZONE:
		return DNSR_NOTAUTH;
	case LDNS_RCODE_REFUSED:
		return DNSR_REFUSED;
	case LDNS_RCODE_SERVFAIL:
		return DNSR_SERVFAIL;
	case LDNS_RCODE_FORMERR:
	case LDNS_RCODE_NOTIMPL:
	default:
		return DNSR_OTHER;
	}
}

/* The answer-section records owned by the question name (of its type, unless ANY). */
static ldns_rr_list *owned_rrs(const struct dnsmsg_req *req, const ldns_pkt *p)
{
	const ldns_rr_list *an = ldns_pkt_answer(p);
	ldns_rr_list *out = ldns_rr_list_new();

	for (size_t i = 0; out && i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		ldns_rr *c;

		if (!ldns_rr_owner(rr) || ldns_dname_compare(ldns_rr_owner(rr), req->qname) != 0)
			continue;
		if (req->qtype != LDNS_RR_TYPE_ANY && ldns_rr_get_type(rr) != req->qtype)
			continue;
		c = ldns_rr_clone(rr);
		if (!c || !ldns_rr_list_push_rr(out, c)) {
			ldns_rr_free(c);
			ldns_rr_list_deep_free(out);
			return NULL;
		}
	}
	return out;
}

/*
 * RFC 8945: at most one TSIG record, the last of the additional section. ldns_wire2pkt keeps
 * only the last TSIG it reads and leaks the ones before (found by fuzz_dnsanswer), so such an
 * answer is refused before it is parsed. A message that does not parse here is left to
 * ldns_wire2pkt, which refuses it.
 */
static bool more_than_one_tsig(const uint8_t *wire, size_t len)
{
	size_t pos = LDNS_HEADER_SIZE, qd, rrs, additional_from;
	unsigned tsigs = 0;

	if (len < LDNS_HEADER_SIZE)
		return false;
	qd = LDNS_QDCOUNT(wire);
	additional_from = qd + LDNS_ANCOUNT(wire) + LDNS_NSCOUNT(wire);
	rrs = additional_from + LDNS_ARCOUNT(wire);
	for (size_t i = 0; i < rrs && tsigs < 2; i++) {
		ldns_rr *rr = NULL;
		ldns_pkt_section sec = i < qd ? LDNS_SECTION_QUESTION : LDNS_SECTION_ANSWER;

		if (ldns_wire2rr(&rr, wire, len, &pos, sec) != LDNS_STATUS_OK) {
			ldns_rr_free(rr);
			return false;
		}
		if (i >= additional_from && ldns_rr_get_type(rr) == LDNS_RR_TYPE_TSIG)
			tsigs++;
		ldns_rr_free(rr);
	}
	return tsigs > 1;
}

int dnsmsg_parse_answer(const struct dnsmsg_req *req, const uint8_t *wire, size_t len,
			struct dnsmsg_answer *out)
{
	ldns_pkt *p = NULL;

	memset(out, 0, sizeof(*out));
	if (more_than_one_tsig(wire, len))
		return -EBADMSG;
	if (ldns_wire2pkt(&p, wire, len) != LDNS_STATUS_OK || !p) {
		ldns_pkt_free(p);
		return -EBADMSG;
	}
	if (!answers(req, p)) {
		ldns_pkt_free(p);
		return -ESRCH;
	}
	out->opcode = req->opcode;
	out->rcode = ldns_pkt_get_rcode(p);
	check_tsig(req, p, wire, len, out);
	if (out->tsig_error || out->tsig_bogus || out->tsig_missing)
		out->result = DNSR_TSIG;
	else
		out->result = classify(req->opcode, out->rcode);
	if (out->result == DNSR_OK && req->opcode == LDNS_PACKET_QUERY) {
		out->rrs = owned_rrs(req, p);
		if (!out->rrs) {
			ldns_pkt_free(p);
			return -ENOMEM;
		}
	}
	ldns_pkt_free(p);
	return 0;
}

void dnsmsg_answer_clear(struct dnsmsg_answer *a)
{
	ldns_rr_list_deep_free(a->rrs);
	memset(a, 0, sizeof(*a));
}

static const char *rcode_name(ldns_pkt_rcode rcode, char *buf, size_t len)
{
	const ldns_lookup_table *t = ldns_lookup_by_id(ldns_rcodes, (int)rcode);

	if (t && t->name)
		return t->name;
	snprintf(buf, len, "RCODE%d", (int)rcode);
	return buf;
}

static void explain_tsig(const struct dnsmsg_answer *a, char *buf, size_t len)
{
	char rc[16];

	if (a->tsig_error == TSIG_ERR_BADSIG || a->tsig_error == TSIG_ERR_BADKEY)
		snprintf(buf, len, "TSIG key rejected by server (%s)",
			 a->tsig_error == TSIG_ERR_BADSIG ? "BADSIG" : "BADKEY");
	else if (a->tsig_error == TSIG_ERR_BADTIME)
		snprintf(buf, len,
			 "TSIG key rejected by server (BADTIME: clocks differ by more "
			 "than %d s)",
			 DNSMSG_TSIG_FUDGE);
	else if (a->tsig_error)
		snprintf(buf, len, "TSIG key rejected by server (%s, TSIG error %u)",
			 a->tsig_error == TSIG_ERR_BADTRUNC ? "BADTRUNC" : "unknown",
			 a->tsig_error);
	else if (a->tsig_bogus)
		snprintf(buf, len, "answer failed TSIG verification: %s (wrong key or tampered)",
			 ldns_get_errorstr_by_id(LDNS_STATUS_CRYPTO_TSIG_BOGUS));
	else
		snprintf(buf, len, "answer not TSIG-signed (%s): server does not use the key",
			 rcode_name(a->rcode, rc, sizeof(rc)));
}

void dnsmsg_explain(const struct dnsmsg_answer *a, const char *zone, const char *server, char *buf,
		    size_t len)
{
	char z[LDNS_MAX_DOMAINLEN + 2], rc[16];
	const char *rn = rcode_name(a->rcode, rc, sizeof(rc));
	size_t zl;

	snprintf(z, sizeof(z), "%s", zone);
	zl = strlen(z);
	if (zl > 1 && z[zl - 1] == '.')
		z[zl - 1] = '\0';
	switch (a->result) {
	case DNSR_OK:
		snprintf(buf, len, "ok");
		break;
	case DNSR_PREREQ:
		snprintf(buf, len, "fence prerequisite failed (%s): the fence changed", rn);
		break;
	case DNSR_TSIG:
		explain_tsig(a, buf, len);
		break;
	case DNSR_NOTAUTH:
		snprintf(buf, len, "zone %s not served by %s (%s)", z, server, rn);
		break;
	case DNSR_REFUSED:
		if (a->opcode == LDNS_PACKET_UPDATE)
			snprintf(buf, len, "update refused by server policy (REFUSED)");
		else
			snprintf(buf, len,
				 "zone %s not served by %s, or its query policy "
				 "refuses us (REFUSED)",
				 z, server);
		break;
	case DNSR_SERVFAIL:
		snprintf(buf, len, "server failure (SERVFAIL) at %s", server);
		break;
	case DNSR_TIMEOUT:
		snprintf(buf, len, "no answer from %s (timeout)", server);
		break;
	case DNSR_NETWORK:
		snprintf(buf, len, "cannot reach %s", server);
		break;
	case DNSR_OTHER:
	case DNSR_COUNT:
	default:
		snprintf(buf, len, "unexpected answer from %s (%s)", server, rn);
		break;
	}
}

/* One TXT record's strings joined; non-printable bytes as '?', overlong ends in "...". */
static void txt_text(const ldns_rr *rr, char *buf, size_t len)
{
	size_t off = 0;
	bool full = false;

	for (size_t i = 0; i < ldns_rr_rd_count(rr) && !full; i++) {
		const ldns_rdf *rd = ldns_rr_rdf(rr, i);
		const uint8_t *d = ldns_rdf_data(rd);
		size_t n = ldns_rdf_size(rd);

		for (size_t j = 1; j < n && j <= d[0]; j++) {
			if (off + 4 >= len) {
				full = true;
				break;
			}
			buf[off++] = d[j] >= 0x20 && d[j] < 0x7f ? (char)d[j] : '?';
		}
	}
	if (full) {
		memcpy(buf + off, "...", 3);
		off += 3;
	}
	buf[off] = '\0';
}

size_t dnsmsg_txt_texts(const ldns_rr_list *rrs, char (*texts)[DNSMSG_TXT_MAX], size_t max)
{
	size_t n = 0;

	for (size_t i = 0; rrs && i < ldns_rr_list_rr_count(rrs) && n < max; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_TXT)
			txt_text(rr, texts[n++], DNSMSG_TXT_MAX);
	}
	return n;
}

ldns_rr_list *dnsmsg_fence_rrset(const char *fence_name, const char *text, uint32_t ttl)
{
	ldns_rdf *owner = dname(fence_name);
	ldns_rr_list *l = ldns_rr_list_new();
	ldns_rr *rr = owner ? rr_txt(owner, ttl, text) : NULL;

	ldns_rdf_deep_free(owner);
	if (!l || push(l, rr) < 0) {
		if (!l)
			ldns_rr_free(rr);
		ldns_rr_list_deep_free(l);
		return NULL;
	}
	return l;
}

/* Address of an A/AAAA record into a; false for anything else. */
static bool rr_addr(const ldns_rr *rr, struct kcw_addr *a)
{
	const ldns_rdf *rd = ldns_rr_rd_count(rr) == 1 ? ldns_rr_rdf(rr, 0) : NULL;
	bool v6 = ldns_rr_get_type(rr) == LDNS_RR_TYPE_AAAA;

	if (!rd || (!v6 && ldns_rr_get_type(rr) != LDNS_RR_TYPE_A) ||
	    ldns_rdf_size(rd) != (v6 ? 16u : 4u))
		return false;
	memset(a, 0, sizeof(*a));
	a->family = v6 ? AF_INET6 : AF_INET;
	memcpy(a->u.bytes, ldns_rdf_data(rd), ldns_rdf_size(rd));
	return true;
}

void dnsmsg_addrs_text(const ldns_rr_list *rrs, char *buf, size_t len)
{
	size_t off = 0;
	struct kcw_addr a;
	char s[ADDR_STRLEN];

	buf[0] = '\0';
	for (int family = AF_INET; family; family = family == AF_INET ? AF_INET6 : 0) {
		for (size_t i = 0; rrs && i < ldns_rr_list_rr_count(rrs); i++) {
			int w;

			if (!rr_addr(ldns_rr_list_rr(rrs, i), &a) || a.family != family)
				continue;
			w = snprintf(buf + off, len - off, "%s%s %s", off ? " " : "",
				     family == AF_INET ? "A" : "AAAA", addr_str(&a, s, sizeof(s)));
			if (w < 0 || (size_t)w >= len - off)
				return;
			off += (size_t)w;
		}
	}
	if (off == 0)
		snprintf(buf, len, "none");
}

bool dnsmsg_addrs_match(const ldns_rr_list *rrs, const struct kcw_addr *v4,
			const struct kcw_addr *v6)
{
	unsigned n4 = 0, n6 = 0;
	bool ok = true;
	struct kcw_addr a;

	for (size_t i = 0; rrs && i < ldns_rr_list_rr_count(rrs); i++) {
		if (!rr_addr(ldns_rr_list_rr(rrs, i), &a))
			continue;
		if (a.family == AF_INET) {
			n4++;
			ok = ok && v4 && addr_eq(&a, v4);
		} else {
			n6++;
			ok = ok && v6 && addr_eq(&a, v6);
		}
	}
	return ok && n4 == (v4 ? 1u : 0u) && n6 == (v6 ? 1u : 0u);
}
