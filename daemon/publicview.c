/* What the public sees of a project (publicview.h). Every field is named
 * here, copied from the rows by a list of what may show: a column or a
 * payload member not named is never shown. */
#include "publicview.h"


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "doctype.h"
#include "jbuild.h"
#include "render.h"
#include "util.h"

/* The events of the public history, and what of each one's payload shows.
 * The result members the daemon added (eligible_bids, award,
 * declined_bid_id, successor_id) are read one by one below. */
static const struct {
	const char *event;
	const char *fields[4];
} shown[] = {
	{ "publish", { "bid_deadline", "requirements", "criteria" } },
	{ "close_bidding", { NULL } },
	{ "retender", { "bid_deadline" } },
	{ "change_method", { "method" } },
	{ "award", { NULL } },
	{ "decline_award", { NULL } },
	{ "sign_contract", { "contract_no", "amount_fen" } },
	{ "confirm_payment", { "amount_fen" } },
	{ "contractor_exit", { "reason" } },	/* a code; the detail typed is not */
	{ "report_subcontracting", { NULL } },	/* the evidence is not */
	{ "complete_takeover", { NULL } },
	{ "evaluate", { "purchaser_score", "recipient_satisfaction", "third_party_score" } },
	{ "cancel", { NULL } },	/* the reason typed is not */
};
#define N(a) (sizeof (a) / sizeof (a)[0])

static int
shown_index(const char *event)
{
	for (size_t i = 0; event && i < N(shown); i++)
		if (strcmp(shown[i].event, event) == 0)
			return (int)i;
	return -1;
}

bool
public_event(const char *event)
{
	return shown_index(event) >= 0;
}

void
public_sources(const struct rows *p, const struct rows *h, const struct rows *b,
    const char *public_kinds, struct pub_source *out)
{
	int n = rows_count(p), hi = 0, bi = 0, hn = rows_count(h), bn = rows_count(b);
	for (int i = 0; i < n; i++) {
		int64_t id = rows_i64(p, i, PC_ID);
		struct pub_source *s = &out[i];
		*s = (struct pub_source){ .p = p, .pi = i, .h = h, .b = b,
			.public_kinds = public_kinds };
		while (hi < hn && rows_i64(h, hi, PH_PROJECT) < id)
			hi++;
		s->h0 = hi;
		while (hi < hn && rows_i64(h, hi, PH_PROJECT) == id)
			hi++;
		s->h1 = hi;
		while (bi < bn && rows_i64(b, bi, PB_PROJECT) < id)
			bi++;
		s->b0 = bi;
		while (bi < bn && rows_i64(b, bi, PB_PROJECT) == id)
			bi++;
		s->b1 = bi;
	}
}

static json_t *
time_of(const char *us, int off)
{
	return us ? render_time(strtoll(us, NULL, 10), off) : json_null();
}

static json_t *
parsed(const char *text)
{
	json_t *j = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
	return j ? j : json_null();
}

/* The criteria as announced: name, kind, weight and nothing else. */
static json_t *
criteria_of(const json_t *c)
{
	json_t *out = json_array();
	size_t i;
	const json_t *x;
	json_array_foreach(c, i, x) {
		json_t *o = json_object();
		static const char *const keep[] = { "name", "kind", "weight" };
		for (size_t k = 0; k < N(keep); k++) {
			json_t *v = json_object_get(x, keep[k]);
			if (v)
				json_object_set(o, keep[k], v);
		}
		json_array_append_new(out, o);
	}
	return out;
}

/* A contractor as the public sees it: id, name, credit code (from its bid). */
static json_t *
contractor_of(const struct pub_source *s, int64_t id)
{
	for (int i = s->b0; i < s->b1; i++)
		if (rows_i64(s->b, i, PB_CONTRACTOR) == id)
			return jobj("id", json_integer(id), "name", jstr(rows_text(s->b, i, PB_NAME)),
			    "credit_code", jstr(rows_text(s->b, i, PB_CODE)), NULL);
	return jobj("id", json_integer(id), NULL);
}

static const char *const exit_reasons[] = { "withdrawal", "bankruptcy", "breach", "fraud" };

/* The public part of one history row, or NULL when none of it is. */
static json_t *
entry_of(const struct pub_source *s, int k, int off, json_t **award, int *round,
    int *awarded_round, json_t *payments, json_t **contract, json_t **termination)
{
	const char *ev = rows_text(s->h, k, PH_EVENT);
	int si = shown_index(ev);
	if (si < 0)
		return NULL;
	const char *at = rows_text(s->h, k, PH_AT);
	json_t *pl = parsed(rows_text(s->h, k, PH_PAYLOAD));
	json_t *res = json_object_get(pl, "result");
	json_t *e = jobj("seq", json_integer(rows_i64(s->h, k, PH_SEQ)), "event", json_string(ev),
	    "at", time_of(at, off), "state", jstr(rows_text(s->h, k, PH_TO)), NULL);
	for (int f = 0; f < 4 && shown[si].fields[f]; f++) {
		const char *name = shown[si].fields[f];
		json_t *v = json_object_get(pl, name);
		if (v == NULL)
			continue;
		if (strcmp(name, "criteria") == 0)
			json_object_set_new(e, name, criteria_of(v));
		else if (strcmp(name, "reason") == 0) {
			/* only the codes the daemon accepts: never free text */
			for (size_t r = 0; r < N(exit_reasons); r++)
				if (json_is_string(v) && strcmp(json_string_value(v), exit_reasons[r]) == 0)
					json_object_set(e, name, v);
		} else
			json_object_set(e, name, v);
	}
	if (strcmp(ev, "close_bidding") == 0 && json_object_get(res, "eligible_bids"))
		json_object_set(e, "eligible_bids", json_object_get(res, "eligible_bids"));
	/* the documents of a public kind (tender documents, the contract): what
	 * the history keeps of them, and where the public fetches them */
	size_t di;
	json_t *d, *docs = json_array();
	json_array_foreach(json_object_get(pl, "documents"), di, d) {
		const char *kind = json_string_value(json_object_get(d, "kind"));
		if (kind == NULL || !doctype_listed(s->public_kinds, kind))
			continue;
		char url[96];
		snprintf(url, sizeof url, "/v1/public/projects/%lld/documents/%lld",
		    (long long)rows_i64(s->p, s->pi, PC_ID),
		    (long long)json_integer_value(json_object_get(d, "id")));
		json_array_append_new(docs, json_pack("{s:O,s:O,s:O,s:O,s:O,s:O,s:s,s:o}", "id",
		    json_object_get(d, "id"), "kind", json_object_get(d, "kind"), "filename",
		    json_object_get(d, "filename"), "content_type", json_object_get(d, "content_type"),
		    "size", json_object_get(d, "size"), "sha256", json_object_get(d, "sha256"), "url",
		    url, "published_at", time_of(at, off)));
	}
	if (json_array_size(docs))
		json_object_set_new(e, "documents", docs);
	else
		json_decref(docs);
	if (strcmp(ev, "retender") == 0 || strcmp(ev, "change_method") == 0)
		(*round)++;
	if (strcmp(ev, "award") == 0 || strcmp(ev, "decline_award") == 0) {
		json_t *a = json_object_get(res, "award");
		if (json_object_get(res, "declined_bid_id"))
			json_object_set(e, "declined_bid_id", json_object_get(res, "declined_bid_id"));
		json_decref(*award);
		*award = NULL;
		if (a) {
			int64_t cid = json_integer_value(json_object_get(a, "contractor_id"));
			*award = json_pack("{s:O,s:o,s:O,s:o,s:i}", "bid_id", json_object_get(a, "bid_id"),
			    "contractor", contractor_of(s, cid), "price_fen",
			    json_object_get(a, "price_fen"), "awarded_at", time_of(at, off), "round", *round);
			json_object_set_new(e, "award", json_pack("{s:o,s:O}", "contractor",
			    contractor_of(s, cid), "price_fen", json_object_get(a, "price_fen")));
			*awarded_round = *round;
		}
	}
	if (strcmp(ev, "sign_contract") == 0) {
		json_decref(*contract);
		*contract = json_pack("{s:O,s:O,s:{s:o,s:o},s:o}", "contract_no",
		    json_object_get(pl, "contract_no"), "amount_fen", json_object_get(pl, "amount_fen"),
		    "period", "start", jstr(rows_text(s->p, s->pi, PC_START)), "end",
		    jstr(rows_text(s->p, s->pi, PC_END)), "signed_at", time_of(at, off));
		if (*award)
			json_object_set(*contract, "contractor", json_object_get(*award, "contractor"));
	}
	if (strcmp(ev, "confirm_payment") == 0)
		json_array_append_new(payments, json_pack("{s:O,s:o}", "amount_fen",
		    json_object_get(pl, "amount_fen"), "date", time_of(at, off)));
	if (strcmp(ev, "contractor_exit") == 0 || strcmp(ev, "report_subcontracting") == 0) {
		json_decref(*termination);
		*termination = json_pack("{s:o,s:o,s:O}", "reason", json_object_get(e, "reason") ?
		    json_incref(json_object_get(e, "reason")) : json_string("subcontracting"), "at",
		    time_of(at, off), "successor_id", json_object_get(res, "successor_id") ?
		    json_object_get(res, "successor_id") : json_null());
		if (json_object_get(res, "successor_id"))
			json_object_set(e, "successor_id", json_object_get(res, "successor_id"));
	}
	json_decref(pl);
	return e;
}

json_t *
public_project(const struct pub_source *s, const char *ocid_prefix, int off)
{
	const struct rows *p = s->p;
	int i = s->pi;
	int64_t id = rows_i64(p, i, PC_ID);
	char ocid[128];
	snprintf(ocid, sizeof ocid, "%s-%lld", ocid_prefix, (long long)id);

	json_t *history = json_array(), *payments = json_array();
	json_t *award = NULL, *contract = NULL, *termination = NULL;
	const char *budget_at = NULL, *first_publish = NULL;
	json_t *method = NULL;	/* as created, then as changed: what each announcement said */
	int round = 1, awarded_round = 0;
	bool announced = false;
	for (int k = s->h0; k < s->h1; k++) {
		const char *ev = rows_text(s->h, k, PH_EVENT);
		/* before the first announcement nothing shows: its approval
		 * shows as the date of the budget announced */
		if (strcmp(ev, "approve_budget") == 0)
			budget_at = rows_text(s->h, k, PH_AT);
		if (strcmp(ev, "create") == 0 || strcmp(ev, "change_method") == 0) {
			json_t *pl = parsed(rows_text(s->h, k, PH_PAYLOAD));
			if (json_is_string(json_object_get(pl, "method"))) {
				json_decref(method);
				method = json_incref(json_object_get(pl, "method"));
			}
			json_decref(pl);
		}
		if (strcmp(ev, "publish") == 0 && !announced) {
			announced = true;
			first_publish = rows_text(s->h, k, PH_AT);
		}
		if (!announced)
			continue;
		json_t *e = entry_of(s, k, off, &award, &round, &awarded_round, payments, &contract,
		    &termination);
		if (e && strcmp(ev, "publish") == 0 && budget_at)
			json_object_set_new(e, "budget_approved_at", time_of(budget_at, off));
		if (e && strcmp(ev, "publish") == 0 && method)
			json_object_set(e, "method", method);
		if (e)
			json_array_append_new(history, e);
	}

	json_t *o = jobj("id", json_integer(id), "ocid", json_string(ocid),
	    "title", jstr(rows_text(p, i, PC_TITLE)),
	    "agency", jobj("code", jstr(rows_text(p, i, PC_AGENCY)), "name",
	    jstr(rows_text(p, i, PUB_AGENCY_NAME)), NULL),
	    "fiscal_year", json_integer(rows_i64(p, i, PC_YEAR)),
	    "catalog_items", rows_text(p, i, PUB_ITEMS) ? parsed(rows_text(p, i, PUB_ITEMS)) :
	    json_array(), "quantity", jstr(rows_text(p, i, PC_QUANTITY)),
	    "quality_standard", jstr(rows_text(p, i, PC_QUALITY)),
	    "method", jstr(rows_text(p, i, PC_METHOD)),
	    "budget_fen", json_integer(rows_i64(p, i, PC_BUDGET)),
	    "state", jstr(rows_text(p, i, PC_STATE)), "public_since", time_of(first_publish, off),
	    NULL);
	if (rows_text(p, i, PC_BID_DEADLINE))
		json_object_set_new(o, "bid_deadline", time_of(rows_text(p, i, PC_BID_DEADLINE), off));
	if (rows_text(p, i, PC_REQUIREMENTS))
		json_object_set_new(o, "requirements", json_string(rows_text(p, i, PC_REQUIREMENTS)));
	if (rows_text(p, i, PC_CRITERIA)) {
		json_t *c = parsed(rows_text(p, i, PC_CRITERIA));
		json_object_set_new(o, "criteria", criteria_of(c));
		json_decref(c);
	}
	if (rows_text(p, i, PC_PREDECESSOR))
		json_object_set_new(o, "predecessor_id", json_integer(rows_i64(p, i, PC_PREDECESSOR)));
	if (rows_text(p, i, PC_SUCCESSOR))
		json_object_set_new(o, "successor_id", json_integer(rows_i64(p, i, PC_SUCCESSOR)));
	if (award)
		json_object_set_new(o, "award", award);
	if (awarded_round > 0) {
		/* every bid of the round awarded, its price included */
		json_t *bids = json_array();
		for (int k = s->b0; k < s->b1; k++)
			if (rows_i64(s->b, k, PB_ROUND) == awarded_round)
				json_array_append_new(bids, jobj("contractor",
				    contractor_of(s, rows_i64(s->b, k, PB_CONTRACTOR)), "price_fen",
				    json_integer(rows_i64(s->b, k, PB_PRICE)), "declined",
				    json_boolean(rows_bool(s->b, k, PB_DECLINED)), NULL));
		json_object_set_new(o, "bids", bids);
		if (s->ranking && awarded_round == (int)rows_i64(p, i, PC_ROUND)) {
			json_t *rank = json_array();
			size_t k;
			const json_t *x;
			json_array_foreach(json_object_get(s->ranking, "items"), k, x)
				json_array_append_new(rank, json_pack("{s:O,s:o,s:O,s:O,s:O,s:O}", "rank",
				    json_object_get(x, "rank"), "contractor", contractor_of(s,
				    json_integer_value(json_object_get(x, "contractor_id"))), "price_fen",
				    json_object_get(x, "price_fen"), "quality_score",
				    json_object_get(x, "quality_score"), "price_score",
				    json_object_get(x, "price_score"), "total", json_object_get(x, "total")));
			json_object_set_new(o, "ranking", rank);
		}
	}
	if (contract)
		json_object_set_new(o, "contract", contract);
	if (json_array_size(payments))
		json_object_set_new(o, "payments", payments);
	else
		json_decref(payments);
	if (termination)
		json_object_set_new(o, "termination", termination);
	json_t *ev = parsed(rows_text(p, i, PC_EVALUATION));
	if (json_is_object(ev)) {
		json_t *shown_ev = json_object();
		static const char *const keep[] = { "purchaser_score", "recipient_satisfaction",
			"third_party_score", "composite" };
		for (size_t k = 0; k < N(keep); k++)
			if (json_object_get(ev, keep[k]))
				json_object_set(shown_ev, keep[k], json_object_get(ev, keep[k]));
		json_object_set_new(o, "evaluation", shown_ev);
	}
	json_decref(ev);
	json_object_set_new(o, "history", history);
	json_decref(method);
	return o;
}

json_t *
public_list_item(const struct rows *r, int i, const char *ocid_prefix, int off)
{
	char ocid[128];
	snprintf(ocid, sizeof ocid, "%s-%s", ocid_prefix, rows_text(r, i, 0));
	return json_pack("{s:I,s:s,s:s,s:{s:s,s:s},s:I,s:s,s:s,s:I,s:o,s:o}",
	    "id", (json_int_t)rows_i64(r, i, 0), "ocid", ocid, "title", rows_text(r, i, 1),
	    "agency", "code", rows_text(r, i, 2), "name", rows_text(r, i, 3),
	    "fiscal_year", (json_int_t)rows_i64(r, i, 4), "state", rows_text(r, i, 5),
	    "method", rows_text(r, i, 6), "budget_fen", (json_int_t)rows_i64(r, i, 7),
	    "bid_deadline", time_of(rows_text(r, i, 8), off),
	    "published_at", time_of(rows_text(r, i, 9), off));
}
