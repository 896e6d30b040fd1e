/* SPDX-License-Identifier: MIT */
/* dnsmsg.h: DNS messages with ldns: RFC 2136 update with fence, fence/address queries, answers. */
#ifndef KCW_DNSMSG_H
#define KCW_DNSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "addr.h"
#include "tsigkey.h"

#define DNSMSG_TSIG_FUDGE 300
#define DNSMSG_REASON_MAX 256
#define DNSMSG_TXT_MAX	  512 /* one TXT record as text; longer ones end in "..." */

/* A request ready to send, and what its answer is checked against. */
struct dnsmsg_req {
	uint8_t *wire; /* signed wire form (free with dnsmsg_req_free) */
	size_t len;
	uint16_t id;
	ldns_pkt_opcode opcode;	    /* LDNS_PACKET_QUERY or LDNS_PACKET_UPDATE */
	ldns_rdf *qname;	    /* question (query) or zone (update) */
	ldns_rr_type qtype;	    /* SOA for an update */
	ldns_rdf *mac;		    /* the request's TSIG MAC; NULL when unsigned */
	const struct tsig_key *key; /* borrowed: must outlive the request */
};

/* The update: replace the A/AAAA RRsets of name and, with fence, swap the fence. */
struct dnsmsg_update {
	const char *zone; /* "local.mylab.io" (trailing dot optional) */
	const char *name; /* "keycloak.local.mylab.io" */
	uint32_t ttl;
	const struct kcw_addr *v4; /* A target; NULL = no A record */
	const struct kcw_addr *v6; /* AAAA target; NULL = no AAAA record */
	/* v4 and v6 both NULL: the address RRsets are left alone (fence only) */
	bool fence;
	const ldns_rr_list *fence_read; /* fence RRset as last read/written; NULL/empty = none */
	const char *fence_text;		/* the new fence value */
};

/*
 * Builds the update in one message: zone section (zone SOA IN); prerequisite
 * (with fence): the fence RRset as read, value-dependent (class IN, TTL 0),
 * or "RRset does not exist" (NONE TXT, TTL 0) when there was none; update:
 * for A and AAAA, delete the RRset (ANY, TTL 0) then add the target (IN, ttl)
 * when set; with fence, delete the fence RRset (ANY TXT) and add fence_text.
 * RD clear; TSIG-signed when key is not NULL. 0, or -EINVAL/-ENOMEM with err.
 */
int dnsmsg_build_update(const struct dnsmsg_update *u, const struct tsig_key *key, uint16_t id,
			struct dnsmsg_req *out, char *err, size_t errlen);
/* A query (RD clear) for qname/qtype IN, TSIG-signed when key is not NULL. */
int dnsmsg_build_query(const char *qname, ldns_rr_type qtype, const struct tsig_key *key,
		       uint16_t id, struct dnsmsg_req *out, char *err, size_t errlen);
void dnsmsg_req_free(struct dnsmsg_req *r);

/* "_kcwatch.<name>." into buf. 0 or -ENAMETOOLONG. */
int dnsmsg_fence_name(const char *name, char *buf, size_t len);

enum dnsmsg_result {
	DNSR_OK = 0,  /* NOERROR (and NXDOMAIN for a query: the name does not exist) */
	DNSR_PREREQ,  /* update prerequisite failed: YXDOMAIN/YXRRSET/NXDOMAIN/NXRRSET */
	DNSR_TSIG,    /* TSIG error from the server, or the answer's TSIG is bogus/missing */
	DNSR_NOTAUTH, /* NOTAUTH/NOTZONE: the zone is not served there */
	DNSR_REFUSED, /* update policy */
	DNSR_SERVFAIL,
	DNSR_OTHER,   /* FORMERR, NOTIMP, unknown rcode */
	DNSR_TIMEOUT, /* no answer in time (driver) */
	DNSR_NETWORK, /* socket error, e.g. connection refused (driver) */
	DNSR_COUNT
};

/* Short stable name for counters: "ok", "prereq", "tsig", ... */
const char *dnsmsg_result_name(enum dnsmsg_result r);

struct dnsmsg_answer {
	enum dnsmsg_result result;
	ldns_pkt_opcode opcode;
	ldns_pkt_rcode rcode;
	uint16_t tsig_error; /* TSIG error field from the server (BADSIG 16, BADKEY 17, ...) */
	bool tsig_bogus;     /* the answer's MAC did not verify (LDNS_STATUS_CRYPTO_TSIG_BOGUS) */
	bool tsig_missing;   /* signed request, unsigned answer */
	ldns_rr_list *rrs;   /* query: answer-section RRs owned by qname; else NULL */
};

/*
 * Checks that wire is the answer to req (id, QR, opcode, question) and
 * verifies its TSIG with req->key and req->mac; fills out (free with
 * dnsmsg_answer_clear). Returns 0 for the answer to req (out->result says how
 * it went), -EBADMSG when wire does not parse, -ESRCH when it parses but is
 * not the answer to req (ignore it and keep waiting).
 */
int dnsmsg_parse_answer(const struct dnsmsg_req *req, const uint8_t *wire, size_t len,
			struct dnsmsg_answer *out);
void dnsmsg_answer_clear(struct dnsmsg_answer *a);

/* A sentence a person can act on, e.g. "zone local.mylab.io not served by 127.0.0.1#15353". */
void dnsmsg_explain(const struct dnsmsg_answer *a, const char *zone, const char *server, char *buf,
		    size_t len);

/* TXT texts of rrs (strings of one record concatenated) into texts[0..max). Returns the count. */
size_t dnsmsg_txt_texts(const ldns_rr_list *rrs, char (*texts)[DNSMSG_TXT_MAX], size_t max);
/* The fence RRset holding exactly text (class IN), as written by an update. NULL on ENOMEM. */
ldns_rr_list *dnsmsg_fence_rrset(const char *fence_name, const char *text, uint32_t ttl);
/* "A 10.0.0.5 AAAA 2001:db8::5": the A then the AAAA records of rrs ("none" when none). */
void dnsmsg_addrs_text(const ldns_rr_list *rrs, char *buf, size_t len);
/* True when rrs hold exactly v4 as A (none if NULL) and exactly v6 as AAAA (none if NULL). */
bool dnsmsg_addrs_match(const ldns_rr_list *rrs, const struct kcw_addr *v4,
			const struct kcw_addr *v6);

#endif
