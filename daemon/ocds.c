/* OCDS 1.1 releases and records from a project's public view (ocds.h). */
#include "ocds.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "jbuild.h"

#define N(a) (sizeof (a) / sizeof (a)[0])

/* The methods as OCDS's closed codelist has them, with ours in Chinese. */
static const struct {
	const char *ours, *ocds, *zh;
} methods[] = {
	{ "public_tender", "open", "公开招标" },
	{ "invited_tender", "selective", "邀请招标" },
	{ "competitive_negotiation", "limited", "竞争性谈判" },
	{ "competitive_consultation", "limited", "竞争性磋商" },
	{ "single_source", "direct", "单一来源采购" },
};

struct walk {
	const json_t *pv;
	const char *prefix;
	char ocid[128];
	char offset[8];		/* "+08:00": the zone of the public view's times */
	json_t *parties;	/* id → party, roles as they stand */
	json_t *touched;	/* the parties this history row's release names */
	json_t *out;
	const char *method;
	int publishes;
	char award_id[192];	/* the award in force, or "" */
	char contract_id[192];
	char contract_award[192];	/* the award it was signed on (OCDS requires it) */
	json_t *supplier;	/* its OrganizationReference */
	const int64_t *want;	/* the rows whose releases are wanted (NULL: all) */
	size_t n_want;
	bool build;		/* this row's releases are wanted */
};

static const char *
str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Fen as OCDS's amount: yuan with the fen as exact decimals (the JSON text
 * is written with the shortest digits that read back the same: 0.29). */
static json_t *
amount(json_int_t fen)
{
	return jobj("amount", json_real((double)fen / 100.0), "currency", json_string("CNY"), NULL);
}

static json_t *
org_ref(const char *id, const char *name)
{
	return jobj("id", json_string(id), "name", json_string(name ? name : ""), NULL);
}

/* The party ID with ROLE added (made with NAME and, for a contractor, its
 * credit code as identifier under CN-SAIC: the register of the State
 * Administration for Market Regulation, formerly SAIC, whose number since
 * 2015 is the unified social credit code, GB 32100-2015). */
static void
party(struct walk *w, const char *id, const char *name, const char *code, const char *role)
{
	json_object_set_new(w->touched, id, json_true());
	json_t *p = json_object_get(w->parties, id);
	if (p == NULL) {
		p = json_pack("{s:s,s:s,s:[]}", "id", id, "name", name ? name : "", "roles");
		if (code)
			json_object_set_new(p, "identifier", json_pack("{s:s,s:s,s:s}", "scheme",
			    "CN-SAIC", "id", code, "legalName", name ? name : ""));
		json_object_set_new(w->parties, id, p);
	}
	json_t *roles = json_object_get(p, "roles");
	size_t i;
	json_t *r;
	json_array_foreach(roles, i, r)
		if (strcmp(json_string_value(r), role) == 0)
			return;
	/* copied on write: releases already made hold the party as it was */
	p = json_deep_copy(p);
	json_array_append_new(json_object_get(p, "roles"), json_string(role));
	json_object_set_new(w->parties, id, p);
}

static void
contractor_party(struct walk *w, const json_t *c, const char *role, char *id, size_t len)
{
	const char *code = str(c, "credit_code");
	if (code)
		snprintf(id, len, "CN-SAIC-%s", code);
	else
		snprintf(id, len, "contractor-%lld",
		    (long long)json_integer_value(json_object_get(c, "id")));
	party(w, id, str(c, "name"), code, role);
}

static void
buyer_ids(const struct walk *w, char *buyer, char *payer, size_t len)
{
	const char *code = str(json_object_get(w->pv, "agency"), "code");
	snprintf(buyer, len, "agency-%s", code);
	snprintf(payer, len, "agency-%s-finance", code);
}

/* A release's frame: TAG1 (and TAG2) at DATE, for history row SEQ. */
static json_t *
release(struct walk *w, json_int_t seq, const char *date, const char *tag1, const char *tag2)
{
	char id[256], buyer[96], payer[96];
	if (!w->build)
		return NULL;	/* what is set on it is dropped; the walk's state still moves */
	snprintf(id, sizeof id, "%s-%lld-%s", w->ocid, (long long)seq, tag1);
	buyer_ids(w, buyer, payer, sizeof buyer);
	json_t *tags = json_array();
	json_array_append_new(tags, json_string(tag1));
	if (tag2)
		json_array_append_new(tags, json_string(tag2));
	return jobj("ocid", json_string(w->ocid), "id", json_string(id), "date", json_string(date),
	    "tag", tags, "initiationType", json_string("tender"), "language", json_string("zh"),
	    "buyer", org_ref(buyer, str(json_object_get(w->pv, "agency"), "name")), NULL);
}

static void
emit(struct walk *w, json_int_t seq, json_t *rel)
{
	if (rel == NULL)
		return;
	/* the buyer and the parties this release names, each with all its
	 * roles so far (a party's roles are a list a later release replaces
	 * whole); shared: party() never changes one in place */
	json_t *ps = json_array();
	const char *k;
	json_t *p, *t;
	char buyer[96], payer[96];
	buyer_ids(w, buyer, payer, sizeof buyer);
	if ((p = json_object_get(w->parties, buyer)))
		json_array_append(ps, p);
	json_object_foreach(w->touched, k, t)
		if (strcmp(k, buyer) != 0 && (p = json_object_get(w->parties, k)))
			json_array_append(ps, p);
	json_object_set_new(rel, "parties", ps);
	json_array_append_new(w->out, jobj("seq", json_integer(seq), "release", rel, NULL));
}

static const char *
method_detail(const char *m, bool ocds)
{
	for (size_t i = 0; m && i < N(methods); i++)
		if (strcmp(methods[i].ours, m) == 0)
			return ocds ? methods[i].ocds : methods[i].zh;
	return NULL;
}

static json_t *
tender_id(const struct walk *w)
{
	char id[160];
	snprintf(id, sizeof id, "%s-tender", w->ocid);
	return json_string(id);
}

/* "质量优先综合评分：服务方案 50 分、人员配备 30 分、价格 20 分" */
static json_t *
criteria_details(const json_t *criteria)
{
	char buf[2048];
	size_t n = (size_t)snprintf(buf, sizeof buf, "质量优先综合评分：");
	size_t i;
	const json_t *c;
	json_array_foreach(criteria, i, c) {
		if (n >= sizeof buf)
			break;
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s %lld 分", i ? "、" : "",
		    str(c, "name") ? str(c, "name") : "",
		    (long long)json_integer_value(json_object_get(c, "weight")));
	}
	return json_string(buf);
}

static json_t *
related(struct walk *w, const char *rel, json_int_t other, const char *title)
{
	char id[64], ocid[160];
	snprintf(id, sizeof id, "%s-%lld", rel, (long long)other);
	snprintf(ocid, sizeof ocid, "%s-%lld", w->prefix, (long long)other);
	return json_pack("[{s:s,s:[s],s:s,s:s,s:s}]", "id", id, "relationship", rel, "title", title,
	    "scheme", "ocid", "identifier", ocid);
}

/* The public documents of a history entry E as OCDS documents of TYPE
 * (documentType codelist), or NULL when it has none. */
static json_t *
documents_of(const json_t *e, const char *type)
{
	const json_t *docs = json_object_get(e, "documents");
	if (json_array_size(docs) == 0)
		return NULL;
	json_t *out = json_array();
	size_t i;
	const json_t *d;
	json_array_foreach(docs, i, d) {
		char id[32];
		snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(d, "id")));
		json_array_append_new(out, jobj("id", json_string(id), "documentType", json_string(type),
		    "title", jstr(str(d, "filename")), "url", jstr(str(d, "url")), "datePublished",
		    jstr(str(d, "published_at")), "format", jstr(str(d, "content_type")),
		    "language", json_string("zh"), NULL));
	}
	return out;
}

static void
on_publish(struct walk *w, const json_t *e, json_int_t seq, const char *at)
{
	const json_t *pv = w->pv;
	char buyer[96], payer[96];
	buyer_ids(w, buyer, payer, sizeof buyer);
	party(w, buyer, str(json_object_get(pv, "agency"), "name"), NULL, "buyer");
	party(w, buyer, NULL, NULL, "procuringEntity");
	json_int_t pred = json_integer_value(json_object_get(pv, "predecessor_id"));
	if (str(e, "method"))
		w->method = str(e, "method");
	if (w->publishes++ == 0) {
		/* the plan as the finance bureau approved it, dated so */
		char payer_name[512];
		snprintf(payer_name, sizeof payer_name, "%s（同级财政部门）",
		    str(json_object_get(pv, "agency"), "name"));
		party(w, payer, payer_name, NULL, "payer");
		const char *date = str(e, "budget_approved_at") ? str(e, "budget_approved_at") : at;
		json_t *r = release(w, seq, date, "planning", NULL);
		json_object_set_new(r, "planning", json_pack("{s:{s:s,s:o,s:s}}", "budget",
		    "description", str(pv, "title"), "amount",
		    amount(json_integer_value(json_object_get(pv, "budget_fen"))), "project",
		    str(pv, "title")));
		if (pred)
			json_object_set_new(r, "relatedProcesses", related(w, "prior", pred, "原项目"));
		emit(w, seq, r);
	}
	if (!w->build)
		return;	/* the parties and the method are what the walk keeps */
	json_t *items = json_array();
	size_t i;
	const json_t *it;
	json_array_foreach(json_object_get(pv, "catalog_items"), i, it)
		json_array_append_new(items, jobj("id", jstr(str(it, "code")), "description",
		    jstr(str(it, "name")), "classification", jobj("scheme",
		    json_string("x_civil_affairs_catalogue"), "id", jstr(str(it, "code")),
		    "description", jstr(str(it, "name")), NULL), NULL));
	char desc[4096];
	snprintf(desc, sizeof desc, "%s；质量标准：%s", str(pv, "quantity") ? str(pv, "quantity") : "",
	    str(pv, "quality_standard") ? str(pv, "quality_standard") : "");
	const json_t *criteria = json_object_get(e, "criteria") ? json_object_get(e, "criteria") :
	    json_object_get(pv, "criteria");
	json_t *written = json_array();
	json_array_append_new(written, json_string("written"));
	json_t *t = jobj("id", tender_id(w), "title", jstr(str(pv, "title")), "description",
	    json_string(desc), "status", json_string("active"), "items", items, "value",
	    amount(json_integer_value(json_object_get(pv, "budget_fen"))),
	    "mainProcurementCategory", json_string("services"), "awardCriteria",
	    json_string("ratedCriteria"), "submissionMethod", written, "tenderPeriod",
	    jobj("startDate", json_string(at), "endDate",
	    json_string(str(e, "bid_deadline") ? str(e, "bid_deadline") : at), NULL),
	    "procuringEntity", org_ref(buyer, str(json_object_get(pv, "agency"), "name")), NULL);
	if (method_detail(w->method, true)) {
		json_object_set_new(t, "procurementMethod", json_string(method_detail(w->method, true)));
		json_object_set_new(t, "procurementMethodDetails",
		    json_string(method_detail(w->method, false)));
	}
	if (criteria)
		json_object_set_new(t, "awardCriteriaDetails", criteria_details(criteria));
	if (str(e, "requirements"))
		json_object_set_new(t, "eligibilityCriteria", json_string(str(e, "requirements")));
	json_t *docs = documents_of(e, "biddingDocuments");
	if (docs)
		json_object_set_new(t, "documents", docs);
	json_t *r = release(w, seq, at, w->publishes == 1 ? "tender" : "tenderUpdate", NULL);
	json_object_set_new(r, "tender", t);
	if (pred)
		json_object_set_new(r, "relatedProcesses", related(w, "prior", pred, "原项目"));
	emit(w, seq, r);
}

static json_t *
amendment(json_int_t seq, const char *at, const char *why)
{
	char id[32];
	snprintf(id, sizeof id, "%lld", (long long)seq);
	return json_pack("[{s:s,s:s,s:s}]", "id", id, "date", at, "rationale", why);
}

static void
on_award(struct walk *w, const json_t *e, json_int_t seq, const char *at, bool decline)
{
	json_t *awards = json_array(), *tender = json_pack("{s:o}", "id", tender_id(w));
	bool cancelled = false;
	if (decline && w->award_id[0]) {
		json_array_append_new(awards, json_pack("{s:s,s:s}", "id", w->award_id, "status",
		    "cancelled"));
		cancelled = true;
	}
	w->award_id[0] = '\0';
	json_decref(w->supplier);
	w->supplier = NULL;
	const json_t *a = json_object_get(e, "award");
	if (a) {
		char sid[96];
		contractor_party(w, json_object_get(a, "contractor"), "tenderer", sid, sizeof sid);
		party(w, sid, NULL, NULL, "supplier");
		snprintf(w->award_id, sizeof w->award_id, "%s-award-%lld", w->ocid, (long long)seq);
		w->supplier = org_ref(sid, str(json_object_get(a, "contractor"), "name"));
		json_t *suppliers = json_array();
		json_array_append(suppliers, w->supplier);
		json_array_append_new(awards, jobj("id", json_string(w->award_id), "status",
		    json_string("active"), "date", json_string(at), "value",
		    amount(json_integer_value(json_object_get(a, "price_fen"))), "suppliers",
		    suppliers, NULL));
		/* the round's tenderers, when this is the award the bids shown belong to */
		const json_t *pa = json_object_get(w->pv, "award");
		if (pa && json_equal(json_object_get(pa, "contractor"), json_object_get(a, "contractor"))) {
			json_t *tenderers = json_array();
			size_t i;
			const json_t *b;
			json_array_foreach(json_object_get(w->pv, "bids"), i, b) {
				char tid[96];
				contractor_party(w, json_object_get(b, "contractor"), "tenderer", tid,
				    sizeof tid);
				json_array_append_new(tenderers, org_ref(tid,
				    str(json_object_get(b, "contractor"), "name")));
			}
			json_object_set_new(tender, "numberOfTenderers",
			    json_integer((json_int_t)json_array_size(tenderers)));
			json_object_set_new(tender, "tenderers", tenderers);
		}
	} else if (decline)
		json_object_set_new(tender, "status", json_string("unsuccessful"));
	json_t *r = release(w, seq, at, a ? (decline ? "awardUpdate" : "award") : "awardUpdate",
	    a && cancelled ? "award" : NULL);
	json_object_set_new(r, "awards", awards);
	json_object_set_new(r, "tender", tender);
	emit(w, seq, r);
}

/* "2026-04-01" at the zone's midnight (or its day's last second). */
static json_t *
day_time(const struct walk *w, const char *day, bool end)
{
	if (day == NULL)
		return NULL;
	char buf[64];
	snprintf(buf, sizeof buf, "%.10sT%s%s", day, end ? "23:59:59" : "00:00:00", w->offset);
	return json_string(buf);
}

static void
one(struct walk *w, const json_t *e)
{
	const char *ev = str(e, "event"), *at = str(e, "at");
	json_int_t seq = json_integer_value(json_object_get(e, "seq"));
	json_t *r;
	json_object_clear(w->touched);
	w->build = w->want == NULL;
	for (size_t i = 0; i < w->n_want && !w->build; i++)
		w->build = w->want[i] == seq;
	if (strcmp(ev, "publish") == 0)
		on_publish(w, e, seq, at);
	else if (strcmp(ev, "close_bidding") == 0 && strcmp(str(e, "state"), "tender_failed") == 0) {
		r = release(w, seq, at, "tenderUpdate", NULL);
		json_object_set_new(r, "tender", json_pack("{s:o,s:s}", "id", tender_id(w), "status",
		    "unsuccessful"));
		emit(w, seq, r);
	} else if (strcmp(ev, "retender") == 0) {
		r = release(w, seq, at, "tenderAmendment", NULL);
		json_object_set_new(r, "tender", json_pack("{s:o,s:s,s:{s:s,s:s},s:o}", "id",
		    tender_id(w), "status", "active", "tenderPeriod", "startDate", at, "endDate",
		    str(e, "bid_deadline") ? str(e, "bid_deadline") : at, "amendments",
		    amendment(seq, at, "流标后重新招标")));
		emit(w, seq, r);
	} else if (strcmp(ev, "change_method") == 0) {
		w->method = str(e, "method");
		r = release(w, seq, at, "tenderAmendment", NULL);
		json_t *t = json_pack("{s:o,s:s,s:o}", "id", tender_id(w), "status", "planning",
		    "amendments", amendment(seq, at, "流标后变更采购方式，重新报批"));
		if (method_detail(w->method, true)) {
			json_object_set_new(t, "procurementMethod",
			    json_string(method_detail(w->method, true)));
			json_object_set_new(t, "procurementMethodDetails",
			    json_string(method_detail(w->method, false)));
		}
		json_object_set_new(r, "tender", t);
		emit(w, seq, r);
	} else if (strcmp(ev, "award") == 0 || strcmp(ev, "decline_award") == 0)
		on_award(w, e, seq, at, strcmp(ev, "decline_award") == 0);
	else if (strcmp(ev, "sign_contract") == 0) {
		const json_t *c = json_object_get(w->pv, "contract");
		snprintf(w->contract_id, sizeof w->contract_id, "%s-contract-%s", w->ocid,
		    str(e, "contract_no") ? str(e, "contract_no") : "1");
		snprintf(w->contract_award, sizeof w->contract_award, "%s", w->award_id);
		json_t *k = jobj("id", json_string(w->contract_id), "awardID", json_string(w->award_id),
		    "title", json_string(str(e, "contract_no") ? str(e, "contract_no") : ""), "status",
		    json_string("active"), "value",
		    amount(json_integer_value(json_object_get(e, "amount_fen"))), "dateSigned",
		    json_string(at), NULL);
		json_t *from = day_time(w, str(json_object_get(c, "period"), "start"), false);
		json_t *to = day_time(w, str(json_object_get(c, "period"), "end"), true);
		if (from && to)
			json_object_set_new(k, "period", json_pack("{s:o,s:o}", "startDate", from,
			    "endDate", to));
		else {
			json_decref(from);
			json_decref(to);
		}
		json_t *docs = documents_of(e, "contractSigned");
		if (docs)
			json_object_set_new(k, "documents", docs);
		r = release(w, seq, at, "contract", NULL);
		json_object_set_new(r, "contracts", json_pack("[o]", k));
		emit(w, seq, r);
	} else if (strcmp(ev, "confirm_payment") == 0 && w->contract_id[0]) {
		char tid[192], buyer[96], payer[96];
		buyer_ids(w, buyer, payer, sizeof buyer);
		snprintf(tid, sizeof tid, "%s-payment-%lld", w->ocid, (long long)seq);
		json_t *payee = w->supplier ? json_deep_copy(w->supplier) : org_ref("unknown", "");
		party(w, str(payee, "id"), NULL, NULL, "payee");
		json_t *payer_party = json_object_get(w->parties, payer);
		json_object_set_new(w->touched, payer, json_true());
		r = release(w, seq, at, "implementation", NULL);
		json_t *txs = json_array();
		json_array_append_new(txs, jobj("id", json_string(tid), "date", json_string(at),
		    "value", amount(json_integer_value(json_object_get(e, "amount_fen"))), "payer",
		    org_ref(payer, str(payer_party, "name")), "payee", payee, NULL));
		json_t *ks = json_array();
		json_array_append_new(ks, jobj("id", json_string(w->contract_id), "awardID",
		    json_string(w->contract_award), "implementation", jobj("transactions", txs, NULL),
		    NULL));
		json_object_set_new(r, "contracts", ks);
		emit(w, seq, r);
	} else if ((strcmp(ev, "contractor_exit") == 0 || strcmp(ev, "report_subcontracting") == 0) &&
	    w->contract_id[0]) {
		r = release(w, seq, at, "contractTermination", NULL);
		json_object_set_new(r, "contracts", json_pack("[{s:s,s:s,s:s}]", "id", w->contract_id,
		    "awardID", w->contract_award, "status", "terminated"));
		json_int_t succ = json_integer_value(json_object_get(e, "successor_id"));
		if (succ)
			json_object_set_new(r, "relatedProcesses", related(w, "replacementProcess", succ,
			    "接续项目（临时接管后重新采购）"));
		emit(w, seq, r);
	} else if (strcmp(ev, "evaluate") == 0 && w->contract_id[0]) {
		r = release(w, seq, at, "contractUpdate", NULL);
		json_object_set_new(r, "contracts", json_pack("[{s:s,s:s,s:s}]", "id", w->contract_id,
		    "awardID", w->contract_award, "status", "terminated"));
		emit(w, seq, r);
	} else if (strcmp(ev, "cancel") == 0) {
		r = release(w, seq, at, "tenderCancellation", w->award_id[0] ? "awardCancellation" : NULL);
		json_object_set_new(r, "tender", json_pack("{s:o,s:s}", "id", tender_id(w), "status",
		    "cancelled"));
		if (w->award_id[0])
			json_object_set_new(r, "awards", json_pack("[{s:s,s:s}]", "id", w->award_id,
			    "status", "cancelled"));
		emit(w, seq, r);
	}
}

void
ocds_releases(const json_t *pv, const char *prefix, json_t *out)
{
	ocds_releases_of(pv, prefix, NULL, 0, out);
}

void
ocds_releases_of(const json_t *pv, const char *prefix, const int64_t *seqs, size_t n_seqs,
    json_t *out)
{
	struct walk w = { .pv = pv, .prefix = prefix, .out = out, .want = seqs, .n_want = n_seqs };
	snprintf(w.ocid, sizeof w.ocid, "%s", str(pv, "ocid"));
	const char *since = str(pv, "public_since");
	size_t n = since ? strlen(since) : 0;
	snprintf(w.offset, sizeof w.offset, "%s", n > 6 && since[n - 6] != 'Z' ? since + n - 6 : "Z");
	w.parties = json_object();
	w.touched = json_object();
	w.method = str(pv, "method");
	/* the method announced first: the one before the first change */
	size_t i;
	const json_t *e;
	json_array_foreach(json_object_get(pv, "history"), i, e)
		if (strcmp(str(e, "event"), "publish") == 0 && str(e, "method")) {
			w.method = str(e, "method");
			break;
		}
	json_array_foreach(json_object_get(pv, "history"), i, e)
		one(&w, e);
	json_decref(w.parties);
	json_decref(w.touched);
	json_decref(w.supplier);
}

json_t *
ocds_release_package(json_t *releases, const char *uri, const char *published, const char *next)
{
	json_t *p = json_pack("{s:s,s:s,s:s,s:{s:s},s:o}", "uri", uri, "version", "1.1",
	    "publishedDate", published, "publisher", "name", "procurd", "releases", releases);
	if (next)
		json_object_set_new(p, "links", json_pack("{s:s}", "next", next));
	return p;
}

/* --- merging ---------------------------------------------------------------- */

/* An array merged by its members' ids: every member an object with one. */
static bool
by_id(const json_t *a)
{
	if (!json_is_array(a) || json_array_size(a) == 0)
		return false;
	size_t i;
	const json_t *x;
	json_array_foreach(a, i, x)
		if (!json_is_object(x) || json_object_get(x, "id") == NULL)
			return false;
	return true;
}

static json_t *
member_with(json_t *a, const json_t *id)
{
	size_t i;
	json_t *x;
	json_array_foreach(a, i, x)
		if (json_equal(json_object_get(x, "id"), id))
			return x;
	return NULL;
}

/* DST's member K as an object, made when it is not one. */
static json_t *
child(json_t *dst, const char *k)
{
	json_t *d = json_object_get(dst, k);
	if (!json_is_object(d)) {
		d = json_object();
		json_object_set_new(dst, k, d);
	}
	return d;
}

/* The member of DST's array K with X's id, appended (empty) when there is
 * none: an array merged by its members' ids. */
static json_t *
member_for(json_t *dst, const char *k, const json_t *x)
{
	json_t *d = json_object_get(dst, k);
	if (!json_is_array(d)) {
		d = json_array();
		json_object_set_new(dst, k, d);
	}
	json_t *m = member_with(d, json_object_get(x, "id"));
	if (m == NULL) {
		m = json_object();
		json_array_append_new(d, m);
	}
	return m;
}

static void
merge(json_t *dst, const json_t *src, bool top)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)src, k, v) {
		if (top && (!strcmp(k, "id") || !strcmp(k, "date") || !strcmp(k, "tag")))
			continue;	/* omitWhenMerged */
		if (json_is_null(v))
			json_object_del(dst, k);
		else if (json_is_object(v))
			merge(child(dst, k), v, false);
		else if (by_id(v)) {
			size_t i;
			json_t *x;
			json_array_foreach(v, i, x)
				merge(member_for(dst, k, x), x, false);
		} else
			json_object_set_new(dst, k, json_deep_copy(v));
	}
}

/* The releases in date order (stable): indices into A. */
static size_t *
by_date(const json_t *a)
{
	size_t n = json_array_size(a);
	size_t *ix = malloc((n ? n : 1) * sizeof *ix);
	if (ix == NULL)
		abort();
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		const char *d = str(json_array_get(a, i), "date");
		while (j > 0 && strcmp(str(json_array_get(a, ix[j - 1]), "date"), d) > 0) {
			ix[j] = ix[j - 1];
			j--;
		}
		ix[j] = i;
	}
	return ix;
}

json_t *
ocds_compiled(const json_t *releases)
{
	json_t *c = json_object();
	size_t n = json_array_size(releases);
	size_t *ix = by_date(releases);
	const char *ocid = NULL, *date = NULL;
	for (size_t i = 0; i < n; i++) {
		const json_t *r = json_array_get(releases, ix[i]);
		merge(c, r, true);
		ocid = str(r, "ocid");
		date = str(r, "date");
	}
	free(ix);
	if (n) {
		char id[256];
		snprintf(id, sizeof id, "%s-%s", ocid, date);
		json_object_set_new(c, "id", json_string(id));
		json_object_set_new(c, "date", json_string(date));
		json_object_set_new(c, "tag", json_pack("[s]", "compiled"));
	}
	return c;
}

static void
versioned(json_t *dst, const json_t *src, const json_t *meta, bool member, bool top)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)src, k, v) {
		if (top && (!strcmp(k, "id") || !strcmp(k, "date") || !strcmp(k, "tag") ||
		    !strcmp(k, "ocid")))
			continue;
		if (member && !strcmp(k, "id")) {	/* the member's identifier */
			if (!json_object_get(dst, k))
				json_object_set(dst, k, v);
			continue;
		}
		if (json_is_object(v))
			versioned(child(dst, k), v, meta, false, false);
		else if (by_id(v)) {
			size_t i;
			json_t *x;
			json_array_foreach(v, i, x)
				versioned(member_for(dst, k, x), x, meta, true, false);
		} else {
			json_t *vs = json_object_get(dst, k);
			size_t n = json_array_size(vs);
			if (n && json_equal(json_object_get(json_array_get(vs, n - 1), "value"), v))
				continue;
			if (n == 0 && json_is_null(v))
				continue;
			if (!json_is_array(vs)) {
				vs = json_array();
				json_object_set_new(dst, k, vs);
			}
			json_t *ver = json_deep_copy(meta);
			json_object_set_new(ver, "value", json_deep_copy(v));
			json_array_append_new(vs, ver);
		}
	}
}

json_t *
ocds_versioned(const json_t *releases)
{
	json_t *v = json_object();
	size_t n = json_array_size(releases);
	size_t *ix = by_date(releases);
	for (size_t i = 0; i < n; i++) {
		const json_t *r = json_array_get(releases, ix[i]);
		json_object_set_new(v, "ocid", json_string(str(r, "ocid")));
		json_t *meta = json_pack("{s:O,s:O,s:O}", "releaseID", json_object_get(r, "id"),
		    "releaseDate", json_object_get(r, "date"), "releaseTag", json_object_get(r, "tag"));
		versioned(v, r, meta, false, true);
		json_decref(meta);
	}
	free(ix);
	return v;
}

json_t *
ocds_record_package(const char *ocid, json_t *releases, const char *uri, const char *published)
{
	json_t *rec = json_pack("{s:s,s:o,s:o}", "ocid", ocid, "compiledRelease",
	    ocds_compiled(releases), "versionedRelease", ocds_versioned(releases));
	json_object_set_new(rec, "releases", releases);
	return json_pack("{s:s,s:s,s:s,s:{s:s},s:[o]}", "uri", uri, "version", "1.1",
	    "publishedDate", published, "publisher", "name", "procurd", "records", rec);
}
