/* The API's answers as JSON: a table of fields per resource (render.h). */
#include "render.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Fields                                                                   */

/* A member of an answer: NAME from column COL, shown as KIND. A field with
 * a WHEN column is shown only when that column is not NULL; consecutive
 * fields with the same IN form that nested object. NULL shows as null. */
enum kind { K_INT, K_INT0, K_STR, K_JSON, K_TIME, K_BOOL, K_REAL };	/* K_INT0: NULL shows as 0 */
struct field {
	const char *name;
	int col;
	enum kind kind;
	int when;		/* -1: always */
	const char *in;		/* NULL: a member of the object itself */
};
#define F(n, c, k) { n, c, k, -1, NULL }
#define F_IF(n, c, k, w) { n, c, k, w, NULL }
#define F_IN(o, n, c, k, w) { n, c, k, w, o }
#define N(t) (sizeof t / sizeof t[0])

json_t *
render_time(usec_t t, int off)
{
	char buf[64];
	return json_string(time_format(t, off, buf, sizeof buf));
}

static json_t *
field_json(const struct field *f, const struct rows *r, int i, int off)
{
	const char *s = rows_text(r, i, f->col);
	if (f->kind == K_BOOL)
		return json_boolean(s && s[0] == 't');
	if (f->kind == K_INT0)
		return json_integer(s ? strtoll(s, NULL, 10) : 0);
	if (s == NULL)
		return json_null();
	switch (f->kind) {
	case K_INT: return json_integer(strtoll(s, NULL, 10));
	case K_STR: return json_string(s);
	case K_TIME: return render_time(strtoll(s, NULL, 10), off);
	case K_REAL: return json_real(strtod(s, NULL));
	case K_JSON: {
		json_t *j = json_loads(s, JSON_DECODE_ANY, NULL);
		return j ? j : json_null();
	}
	case K_BOOL: case K_INT0: break;
	}
	return json_null();
}

static bool
field_shown(const struct field *f, const struct rows *r, int i)
{
	return f->when < 0 || rows_text(r, i, f->when) != NULL;
}

/* Row I of R's FIELDS into the object O. */
static json_t *
row_into(json_t *o, const struct field *fields, size_t n, const struct rows *r, int i, int off)
{
	for (size_t k = 0; k < n; k++) {
		const struct field *f = &fields[k];
		if (!field_shown(f, r, i))
			continue;
		json_t *into = o;
		if (f->in) {
			into = json_object_get(o, f->in);
			if (into == NULL)
				json_object_set_new(o, f->in, into = json_object());
		}
		json_object_set_new_nocheck(into, f->name, field_json(f, r, i, off));
	}
	return o;
}

/* Row I of R as an object of FIELDS. */
static json_t *
row_json(const struct field *fields, size_t n, const struct rows *r, int i, int off)
{
	return row_into(json_object(), fields, n, r, i, off);
}

/* Up to LIMIT rows of R (LIMIT < 0: all) as {"items": […], "next": …}; next
 * is the id (column 0) of the last row shown when R has more. */
static json_t *
list_json(const struct field *fields, size_t n, const struct rows *r, int limit, int off)
{
	json_t *items = json_array();
	int count = rows_count(r);
	for (int i = 0; i < count && (limit < 0 || i < limit); i++)
		json_array_append_new(items, row_json(fields, n, r, i, off));
	json_t *next = limit >= 0 && count > limit ?
	    json_sprintf("%" PRId64, rows_i64(r, limit - 1, 0)) : json_null();
	return json_pack("{s:o,s:o}", "items", items, "next", next);
}

/* ------------------------------------------------------------------------ */
/* Projects                                                                 */

static const struct field project_fields[] = {
	F("id", PC_ID, K_INT), F("agency", PC_AGENCY, K_STR),
	F("fiscal_year", PC_YEAR, K_INT), F("title", PC_TITLE, K_STR),
	F("catalog_items", PC_ITEMS, K_JSON), F("budget_fen", PC_BUDGET, K_INT),
	F("funding_source", PC_FUNDING, K_STR), F("method", PC_METHOD, K_STR),
	F("quantity", PC_QUANTITY, K_STR), F("quality_standard", PC_QUALITY, K_STR),
	F("service_start", PC_START, K_STR), F("service_end", PC_END, K_STR),
	F("state", PC_STATE, K_STR), F("version", PC_VERSION, K_INT),
	F("next_check", PC_NEXT_CHECK, K_TIME),
	F("budget_approved", PC_BUDGET_APPROVED, K_BOOL), F("round", PC_ROUND, K_INT),
	F_IF("positions", PC_POSITIONS, K_JSON, PC_POSITIONS),
	F_IF("published_at", PC_PUBLISHED_AT, K_TIME, PC_PUBLISHED_AT),
	F_IF("bid_deadline", PC_BID_DEADLINE, K_TIME, PC_PUBLISHED_AT),
	F_IF("requirements", PC_REQUIREMENTS, K_STR, PC_PUBLISHED_AT),
	F_IF("evaluators_required", PC_EVALUATORS, K_INT, PC_PUBLISHED_AT),
	F_IF("criteria", PC_CRITERIA, K_JSON, PC_PUBLISHED_AT),
	F_IN("award", "bid_id", PC_AWARD_BID, K_INT, PC_AWARD_BID),
	F_IN("award", "contractor_id", PC_AWARD_CONTRACTOR, K_INT, PC_AWARD_BID),
	F_IN("award", "price_fen", PC_AWARD_PRICE, K_INT, PC_AWARD_BID),
	F_IN("award", "awarded_at", PC_AWARDED_AT, K_TIME, PC_AWARD_BID),
	F_IF("contract", PC_CONTRACT, K_JSON, PC_CONTRACT),
	F_IF("paid_fen", PC_PAID, K_INT, PC_PAID),
	F_IF("evaluation", PC_EVALUATION, K_JSON, PC_EVALUATION),
	F_IF("predecessor_id", PC_PREDECESSOR, K_INT, PC_PREDECESSOR),
	F_IF("successor_id", PC_SUCCESSOR, K_INT, PC_SUCCESSOR),
	F("created_at", PC_CREATED_AT, K_TIME), F("updated_at", PC_UPDATED_AT, K_TIME),
};

json_t *
render_project(const struct rows *r, int i, int off)
{
	return row_json(project_fields, N(project_fields), r, i, off);
}

static void
time_text(struct jsonw *w, usec_t t, int off)
{
	char buf[64];
	jsonw_str(w, time_format(t, off, buf, sizeof buf));
}

void
render_project_text(struct jsonw *w, const struct rows *r, int i, int off,
    const struct project_after *after)
{
	const char *in = NULL;
	for (size_t k = 0; k < N(project_fields); k++) {
		const struct field *f = &project_fields[k];
		if (!field_shown(f, r, i))
			continue;
		if (in && (f->in == NULL || strcmp(f->in, in))) {
			jsonw_close(w);
			in = NULL;
		}
		if (f->in && in == NULL) {
			jsonw_key(w, f->in);
			jsonw_open(w);
			in = f->in;
		}
		jsonw_key(w, f->name);
		if (f->col == PC_VERSION) {
			jsonw_int(w, after->version);
			continue;
		}
		if (f->col == PC_NEXT_CHECK) {
			if (after->has_next_check)
				time_text(w, after->next_check, off);
			else
				jsonw_null(w);
			continue;
		}
		if (f->col == PC_UPDATED_AT) {
			time_text(w, after->updated_at, off);
			continue;
		}
		const char *s = rows_text(r, i, f->col);
		if (s == NULL && f->kind != K_BOOL) {
			jsonw_null(w);
			continue;
		}
		switch (f->kind) {
		case K_INT: case K_INT0: jsonw_int(w, strtoll(s, NULL, 10)); break;
		case K_STR: jsonw_str(w, s); break;
		case K_JSON: jsonw_raw(w, s); break;	/* printed by PostgreSQL */
		case K_TIME: time_text(w, strtoll(s, NULL, 10), off); break;
		case K_BOOL: jsonw_bool(w, s && s[0] == 't'); break;
		case K_REAL: {
			json_t *real = json_real(strtod(s, NULL));
			jsonw_value(w, real);
			json_decref(real);
			break;
		}
		}
	}
	if (in)
		jsonw_close(w);
}

json_t *
render_project_list(const struct rows *r, int limit, int off)
{
	return list_json(project_fields, N(project_fields), r, limit, off);
}

/* ------------------------------------------------------------------------ */
/* History                                                                  */

json_t *
render_event(int seq, const char *ev, const char *from, const char *to, const char *actor,
    usec_t at, json_t *payload, const char *prev, const char *hash, int off)
{
	/* built member by member: every event answer and history row passes
	 * here, and json_pack spent a third of its time reading its format */
	json_t *o = json_object();
	json_object_set_new_nocheck(o, "seq", json_integer(seq));
	json_object_set_new_nocheck(o, "event", json_string(ev));
	json_object_set_new_nocheck(o, "from", json_string(from));
	json_object_set_new_nocheck(o, "to", json_string(to));
	json_object_set_new_nocheck(o, "actor", json_string(actor));
	json_object_set_new_nocheck(o, "at", render_time(at, off));
	json_object_set_new_nocheck(o, "payload", payload);
	json_object_set_new_nocheck(o, "prev_hash", json_string(prev));
	json_object_set_new_nocheck(o, "hash", json_string(hash));
	return o;
}

json_t *
render_history(const struct rows *r, int off)
{
	static const struct field payload = F("payload", 6, K_JSON);
	json_t *items = json_array();
	for (int i = 0; i < rows_count(r); i++)
		json_array_append_new(items, render_event((int)rows_i64(r, i, 0), rows_text(r, i, 1),
		    rows_text(r, i, 2), rows_text(r, i, 3), rows_text(r, i, 4), rows_i64(r, i, 5),
		    field_json(&payload, r, i, off), rows_text(r, i, 7), rows_text(r, i, 8), off));
	return json_pack("{s:o,s:n}", "items", items, "next");
}

/* The same as text, straight from the rows: each payload as PostgreSQL
 * printed it, made compact, never parsed. A history of 500 events was 500 payloads read
 * into trees and printed again on the loop (9 ms at p50 in bench-mix). */
char *
render_history_text(const struct rows *r, int limit, int off)
{
	struct jsonw w;
	char when[64];
	jsonw_init(&w);
	jsonw_open(&w);
	jsonw_key(&w, "items");
	jsonw_raw(&w, "[");
	int n = rows_count(r);
	if (limit >= 0 && n > limit)
		n = limit;
	for (int i = 0; i < n; i++) {
		if (i)
			jsonw_raw(&w, ",");
		jsonw_open(&w);
		jsonw_key(&w, "seq");
		jsonw_int(&w, rows_i64(r, i, 0));
		jsonw_key(&w, "event");
		jsonw_str(&w, rows_text(r, i, 1));
		jsonw_key(&w, "from");
		jsonw_str(&w, rows_text(r, i, 2));
		jsonw_key(&w, "to");
		jsonw_str(&w, rows_text(r, i, 3));
		jsonw_key(&w, "actor");
		jsonw_str(&w, rows_text(r, i, 4));
		jsonw_key(&w, "at");
		jsonw_str(&w, time_format(rows_i64(r, i, 5), off, when, sizeof when));
		jsonw_key(&w, "payload");
		if (rows_text(r, i, 6))
			jsonw_pg_json(&w, rows_text(r, i, 6));
		else
			jsonw_null(&w);
		jsonw_key(&w, "prev_hash");
		jsonw_str(&w, rows_text(r, i, 7));
		jsonw_key(&w, "hash");
		jsonw_str(&w, rows_text(r, i, 8));
		jsonw_close(&w);
	}
	jsonw_raw(&w, "]");
	jsonw_key(&w, "next");	/* the last sequence shown, when there is more */
	if (n < rows_count(r)) {
		char seq[24];
		snprintf(seq, sizeof seq, "%" PRId64, rows_i64(r, n - 1, 0));
		jsonw_str(&w, seq);
	} else {
		jsonw_null(&w);
	}
	jsonw_close(&w);
	return jsonw_finish(&w, NULL);
}

/* ------------------------------------------------------------------------ */
/* The registry                                                             */

static const struct field agency_fields[] = {
	F("code", 0, K_STR), F("name", 1, K_STR), F("level", 2, K_STR), F("parent", 3, K_STR),
	F("lang", 6, K_STR), F("created_at", 5, K_TIME), F("profile", 7, K_STR),
	F("region", 8, K_STR), F("effective_profile", 9, K_STR), F("effective_region", 10, K_STR),
};

json_t *
render_agency(const struct rows *r, int i, int off)
{
	return row_json(agency_fields, N(agency_fields), r, i, off);
}

json_t *
render_agencies(const struct rows *r, int off)
{
	return list_json(agency_fields, N(agency_fields), r, -1, off);
}

static const struct field calendar_fields[] = {
	F("year", 0, K_INT), F("source", 1, K_STR), F("loaded_at", 2, K_TIME),
	F("incidents_open", 3, K_INT),
};

json_t *
render_calendar(const struct rows *r, int off)
{
	json_t *o = list_json(calendar_fields, N(calendar_fields), r, -1, off);
	json_t *item;
	size_t i;
	json_array_foreach(json_object_get(o, "items"), i, item)
		json_object_set_new(item, "loaded", json_boolean(!json_is_null(json_object_get(item,
		    "source"))));
	return o;
}

json_t *
render_budget(const struct rows *r, const char *agency, int year, int off)
{
	static const struct field updated_at = F("updated_at", 5, K_TIME);
	int64_t special = rows_i64(r, 0, 0), committed = rows_i64(r, 0, 4);
	int cap_bp = (int)rows_i64(r, 0, 3);
	int64_t cap = rules_cap_fen(special, cap_bp);
	return json_pack("{s:s,s:i,s:I,s:I,s:I,s:f,s:I,s:I,s:I,s:o}", "agency", agency,
	    "fiscal_year", year, "special_funds_fen", (json_int_t)special, "work_funds_fen",
	    (json_int_t)rows_i64(r, 0, 1), "lottery_funds_fen", (json_int_t)rows_i64(r, 0, 2),
	    "cap_percent", cap_bp / 100.0, "special_cap_fen", (json_int_t)cap,
	    "special_committed_fen", (json_int_t)committed, "special_remaining_fen",
	    (json_int_t)(cap - committed), "updated_at", field_json(&updated_at, r, 0, off));
}

static const struct field catalog_fields[] = {
	F("code", 0, K_STR), F("name", 1, K_STR), F("category", 2, K_STR), F("level", 3, K_STR),
	F("approved", 4, K_BOOL), F("purchasable", 5, K_BOOL), F("restricted", 6, K_BOOL),
};

json_t *
render_catalog_item(const struct rows *r, int i)
{
	return row_json(catalog_fields, N(catalog_fields), r, i, 0);
}

json_t *
render_catalog(const struct rows *r)
{
	return list_json(catalog_fields, N(catalog_fields), r, -1, 0);
}

static const struct field ban_fields[] = {
	F("reason", 0, K_STR), F("starts", 1, K_STR), F("ends", 2, K_STR),
	F("project_id", 3, K_INT0),
};

static const struct field contractor_eval_fields[] = {
	F("project_id", 0, K_INT), F("fiscal_year", 1, K_INT), F("agency", 2, K_STR),
	F("purchaser_score", 3, K_REAL), F("recipient_satisfaction", 4, K_REAL),
	F("third_party_score", 5, K_REAL), F("composite", 6, K_REAL),
	F("published_at", 7, K_TIME),
};

json_t *
render_contractor(const struct rows *c, const struct rows *bans, const struct rows *evals,
    int32_t today, int off)
{
	json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:o}", "id", (json_int_t)rows_i64(c, 0, 0), "name",
	    rows_text(c, 0, 1), "kind", rows_text(c, 0, 2), "credit_code", rows_text(c, 0, 3),
	    "created_at", render_time(rows_i64(c, 0, 10), off));
	bool qualified = true;
	for (int i = 0; i < QUAL__COUNT; i++) {
		json_object_set_new(o, qual_flag_name((enum qual_flag)i), json_boolean(rows_bool(c, 0, 4 + i)));
		qualified = qualified && rows_bool(c, 0, 4 + i);
	}
	json_object_set_new(o, "qualified", json_boolean(qualified));
	json_t *list = json_array();
	bool banned = false;
	for (int i = 0; i < rows_count(bans); i++) {
		int32_t s = 0, e = 0;
		date_parse(rows_text(bans, i, 1), &s);
		date_parse(rows_text(bans, i, 2), &e);
		bool active = rules_banned_on(s, e, today);
		banned = banned || active;
		json_t *b = row_json(ban_fields, N(ban_fields), bans, i, off);
		json_object_set_new(b, "active", json_boolean(active));
		json_array_append_new(list, b);
	}
	json_object_set_new(o, "bans", list);
	json_object_set_new(o, "banned", json_boolean(banned));
	list = json_array();
	for (int i = 0; i < rows_count(evals); i++)
		json_array_append_new(list, row_json(contractor_eval_fields,
		    N(contractor_eval_fields), evals, i, off));
	json_object_set_new(o, "evaluations", list);
	return o;
}

static const struct field contractor_found_fields[] = {
	F("id", 0, K_INT), F("name", 1, K_STR), F("kind", 2, K_STR), F("credit_code", 3, K_STR),
	F("qualified", 4, K_BOOL), F("banned", 5, K_BOOL), F("created_at", 6, K_TIME),
};

json_t *
render_contractors(const struct rows *r, int off)
{
	return list_json(contractor_found_fields, N(contractor_found_fields), r, -1, off);
}

/* ------------------------------------------------------------------------ */
/* Tendering                                                                */

static const struct field bid_fields[] = {
	F("id", 0, K_INT), F("contractor_id", 1, K_INT), F("contractor_name", 2, K_STR),
	F("price_fen", 3, K_INT), F("round", 4, K_INT), F("declined", 5, K_BOOL),
	F("created_at", 6, K_TIME), F("sheets", 7, K_INT),
};

json_t *
render_bids(const struct rows *r, int off)
{
	return list_json(bid_fields, N(bid_fields), r, -1, off);
}

json_t *
render_bid(const struct render_bid *b, int off)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:i,s:b,s:o}", "id", (json_int_t)b->id, "project_id",
	    (json_int_t)b->project_id, "contractor_id", (json_int_t)b->contractor_id, "price_fen",
	    (json_int_t)b->price_fen, "round", b->round, "declined", 0, "created_at",
	    render_time(b->created_at, off));
}

json_t *
render_sheet(const struct render_sheet *s, int off)
{
	return json_pack("{s:I,s:I,s:s,s:O,s:f,s:o}", "bid_id", (json_int_t)s->bid_id, "project_id",
	    (json_int_t)s->project_id, "evaluator", s->evaluator, "scores", s->scores,
	    "quality_sum", s->quality_sum, "created_at", render_time(s->created_at, off));
}

json_t *
render_ranking(const struct rank_bid *bids, size_t n, bool has_past)
{
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct rank_bid *b = &bids[i];
		json_t *o = json_pack("{s:i,s:I,s:I,s:I,s:f,s:f,s:f,s:i,s:b}", "rank", b->rank,
		    "bid_id", (json_int_t)b->bid_id, "contractor_id", (json_int_t)b->contractor_id,
		    "price_fen", (json_int_t)b->price_fen, "quality_score", b->quality_score,
		    "price_score", b->price_score, "total", b->total, "sheets", b->n_sheets,
		    "eligible", b->eligible);
		json_t *src = json_pack("{s:s,s:s}", "quality_score",
		    "mean of the evaluators' sheets", "price_score",
		    "lowest valid price / this price x price weight");
		if (has_past) {
			json_object_set_new(o, "past_performance", json_pack("{s:f,s:s,s:o}", "points",
			    b->past_points, "source", b->past_neutral ? "neutral" : "evaluations",
			    "composite", b->past_neutral ? json_null() : json_real(b->past_composite)));
			json_object_set_new(src, "past_performance", json_string(b->past_neutral ?
			    "no published evaluation in the period: the configured neutral value" :
			    "mean composite of the contractor's published evaluations"));
		}
		json_object_set_new(o, "sources", src);
		json_array_append_new(items, o);
	}
	return json_pack("{s:o}", "items", items);
}

static const struct field evaluation_fields[] = {
	F("project_id", 0, K_INT), F("contractor_id", 1, K_INT), F("contractor_name", 2, K_STR),
	F("agency", 3, K_STR), F("fiscal_year", 4, K_INT), F("purchaser_score", 5, K_REAL),
	F("recipient_satisfaction", 6, K_REAL), F("third_party_score", 7, K_REAL),
	F("composite", 8, K_REAL), F("published_at", 9, K_TIME), F("title", 10, K_STR),
};

json_t *
render_evaluations(const struct rows *r, int limit, int off)
{
	return list_json(evaluation_fields, N(evaluation_fields), r, limit, off);
}

/* ------------------------------------------------------------------------ */
/* Deadlines, incidents, notifications, users                               */

static const struct field deadline_fields[] = {
	F("id", 0, K_INT), F("project_id", 1, K_INT), F("state", 2, K_STR), F("kind", 3, K_STR),
	F("level", 4, K_INT), F("event", 5, K_STR), F("due", 6, K_TIME), F("fire_at", 7, K_TIME),
	F("agency", 8, K_STR), F("title", 9, K_STR),
};

json_t *
render_deadlines(const struct rows *r, int limit, int off)
{
	return list_json(deadline_fields, N(deadline_fields), r, limit, off);
}

static const struct field incident_fields[] = {
	F("id", 0, K_INT), F("kind", 1, K_STR), F("project_id", 2, K_INT), F("year", 3, K_INT),
	F("outbox_id", 4, K_INT), F("detail", 5, K_STR), F("created_at", 6, K_TIME),
	F("resolved_at", 7, K_TIME),
};

json_t *
render_incidents(const struct rows *r, int limit, int off)
{
	return list_json(incident_fields, N(incident_fields), r, limit, off);
}

static const struct field notification_fields[] = {
	F("id", 0, K_INT), F("project_id", 1, K_INT), F("channel", 2, K_STR),
	F("recipient", 3, K_STR), F("template", 4, K_STR), F("status", 5, K_STR),
	F("attempts", 6, K_INT), F("next_attempt_at", 7, K_TIME), F("last_error", 8, K_STR),
	F("created_at", 9, K_TIME), F("delivered_at", 10, K_TIME),
};

json_t *
render_notifications(const struct rows *r, int limit, int off)
{
	return list_json(notification_fields, N(notification_fields), r, limit, off);
}

static const struct field job_fields[] = {
	F("id", 0, K_INT), F("channel", 1, K_STR), F("recipient", 2, K_STR),
	F("template", 3, K_STR), F("lang", 4, K_STR), F("project_id", 5, K_INT),
	F("data", 6, K_JSON), F("attempt", 7, K_INT),
};

json_t *
render_jobs(const struct rows *r)
{
	json_t *a = json_array();
	for (int i = 0; i < rows_count(r); i++) {
		json_t *job = json_object();
		json_object_set_new_nocheck(job, "v", json_integer(1));
		json_array_append_new(a, row_into(job, job_fields, N(job_fields), r, i, 0));
	}
	return a;
}

static const struct field user_fields[] = {
	F("id", 0, K_INT), F("name", 1, K_STR), F("agency", 3, K_STR), F("disabled", 4, K_BOOL),
	F("has_password", 5, K_BOOL), F("password_one_time", 6, K_BOOL),
	F("created_at", 7, K_TIME),
};

json_t *
render_users(const struct rows *r, int off)
{
	json_t *items = json_array();
	for (int i = 0; i < rows_count(r); i++) {
		json_t *u = row_json(user_fields, N(user_fields), r, i, off);
		json_t *roles = json_array();
		const char *s = rows_text(r, i, 2);
		while (s && *s) {
			size_t n = strcspn(s, ",");
			json_array_append_new(roles, json_stringn(s, n));
			s += n + (s[n] == ',');
		}
		json_object_set_new(u, "roles", roles);
		json_array_append_new(items, u);
	}
	return json_pack("{s:o,s:n}", "items", items, "next");
}
