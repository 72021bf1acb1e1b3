/* Tendering: bids, evaluators' score sheets, the ranking and the year-end evaluations. */
#include "tender.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db.h"
#include "effects.h"
#include "jsonio.h"
#include "log.h"
#include "project.h"
#include "registry.h"
#include "sql.h"

static json_t *
bid_json(struct req_ctx *c, const PGresult *r, int i)
{
	return json_pack("{s:I,s:I,s:s,s:I,s:I,s:b,s:o,s:I}", "id", (json_int_t)gi64(r, i, 0),
	    "contractor_id", (json_int_t)gi64(r, i, 1), "contractor_name", gs(r, i, 2), "price_fen",
	    (json_int_t)gi64(r, i, 3), "round", (json_int_t)gi64(r, i, 4), "declined",
	    gbool(r, i, 5), "created_at", jtime_col(c, r, i, 6), "sheets",
	    (json_int_t)gi64(r, i, 7));
}

static struct stmt q_bid_add = STMT(
	"INSERT INTO bid (project_id, contractor_id, price_fen, round, created_by, created_at) "
	"VALUES ($1, $2, $3, $4, $5, us2ts($6)) RETURNING id");

json_t *
tender_bid_add(struct req_ctx *c, int64_t pid, const json_t *b)
{
	struct pbuf pb = { .n = 0 };
	int64_t cid = 0, price = 0;
	char st[6];

	/* the edge checked the price (payload.c) */
	body_i64(b, "contractor_id", &cid);
	body_i64(b, "price_fen", &price);
	if (db_begin(c->db))
		return ctx_dbfail(c, "starting a transaction");
	/* the project's lock orders bids against close_bidding */
	PGresult *pr = project_fetch(c, pid, true);
	if (pr == NULL)
		return NULL;
	enum lc_state state = (enum lc_state)lc_state_parse(gs(pr, 0, PC_STATE));
	usec_t deadline = gi64(pr, 0, PC_BID_DEADLINE);
	const char *round = gs(pr, 0, PC_ROUND);
	char rbuf[16];
	snprintf(rbuf, sizeof rbuf, "%s", round);
	PQclear(pr);
	if (state != ST_ANNOUNCED)
		return ctx_fail(c, 409, "invalid_transition", json_pack("{s:s}", "state", lc_state_name(state)),
		    "bids are taken only while the project is announced");
	if (c->now >= deadline) {
		char d[64];
		return ctx_fail(c, 422, "rule_violation", json_pack("{s:s,s:s}", "rule", "bid_deadline_passed",
		    "bid_deadline", time_format(deadline, c->cal->utc_offset_s, d, sizeof d)),
		    "the bid deadline has passed");
	}
	/* the contractor: exists, qualified (000 §3.2), not banned today */
	json_t *missing = NULL;
	int found = registry_contractor_missing(c->db, cid, &missing);
	if (found < 0)
		return ctx_dbfail(c, "reading a contractor");
	if (found > 0)
		return ctx_fail(c, 404, "not_found", json_pack("{s:s}", "field", "contractor_id"),
		    "no such contractor");
	if (json_array_size(missing))
		return ctx_fail(c, 422, "rule_violation", json_pack("{s:s,s:I,s:o}", "rule",
		    "contractor_unqualified", "contractor_id", (json_int_t)cid, "missing", missing),
		    "the contractor lacks a required qualification (000 §3.2)");
	json_decref(missing);
	int32_t today = calendar_local_day(c->cal, c->now);
	bool banned;
	char on[16];
	if (registry_contractor_banned(c->db, cid, today, &banned))
		return ctx_dbfail(c, "reading bans");
	if (banned)
		return ctx_fail(c, 422, "rule_violation", json_pack("{s:s,s:I,s:s}", "rule",
		    "contractor_banned", "contractor_id", (json_int_t)cid, "on",
		    date_format(today, on, sizeof on)),
		    "the contractor is banned from government purchase of services (001 §2.7)");
	const char *v[6] = { pi64(&pb, pid), pi64(&pb, cid), pi64(&pb, price), rbuf,
		pi64(&pb, c->u->id), pi64(&pb, c->now) };
	PGresult *r = db_run(c->db, &q_bid_add, 6, v, st);
	if (r == NULL) {
		if (!strcmp(st, "23505"))
			return ctx_fail(c, 409, "conflict", json_pack("{s:s}", "field", "contractor_id"),
			    "this contractor has already bid in this round");
		return ctx_dbfail(c, "recording a bid");
	}
	int64_t bid = gi64(r, 0, 0);
	PQclear(r);
	if (db_commit(c->db))
		return ctx_dbfail(c, "recording a bid");
	log_info("project %" PRId64 ": bid %" PRId64 " from contractor %" PRId64 " at %" PRId64
	    " fen, by %s", pid, bid, cid, price, c->u->name);
	return json_pack("{s:I,s:I,s:I,s:I,s:i,s:b,s:o}", "id", (json_int_t)bid, "project_id",
	    (json_int_t)pid, "contractor_id", (json_int_t)cid, "price_fen", (json_int_t)price,
	    "round", atoi(rbuf), "declined", 0, "created_at", jtime(c, c->now));
}

static struct stmt q_bid_list = STMT(
	"SELECT b.id, b.contractor_id, c.name, b.price_fen, b.round, b.declined, ts2us(b.created_at), "
	"(SELECT count(*) FROM score_sheet s WHERE s.bid_id = b.id) "
	"FROM bid b JOIN contractor c ON c.id = b.contractor_id WHERE b.project_id = $1 "
	"ORDER BY b.round, b.id");

json_t *
tender_bid_list(struct req_ctx *c, int64_t pid)
{
	PGresult *pr = project_fetch(c, pid, false);
	if (pr == NULL)
		return NULL;
	PQclear(pr);
	struct pbuf pb = { .n = 0 };
	const char *v[1] = { pi64(&pb, pid) };
	PGresult *r = db_run(c->db, &q_bid_list, 1, v, NULL);
	if (r == NULL)
		return ctx_dbfail(c, "listing bids");
	json_t *items = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, bid_json(c, r, i));
	PQclear(r);
	return json_pack("{s:o,s:n}", "items", items, "next");
}

static struct stmt q_bid_get = STMT(
	"SELECT id, contractor_id, price_fen, round FROM bid WHERE id = $1 AND project_id = $2");

static struct stmt q_score_add = STMT(
	"INSERT INTO score_sheet (bid_id, evaluator_id, scores, quality_sum, created_at) "
	"VALUES ($1, $2, $3::jsonb, $4, us2ts($5))");

json_t *
tender_score_add(struct req_ctx *c, int64_t pid, int64_t bid, const json_t *body)
{
	struct pbuf pb = { .n = 0 };
	struct lc_project p;
	char st[6];

	PGresult *pr = project_fetch(c, pid, false);
	if (pr == NULL)
		return NULL;
	project_decode(pr, 0, &p, c->rc);
	char round[16];
	snprintf(round, sizeof round, "%s", gs(pr, 0, PC_ROUND));
	PQclear(pr);
	if (p.state != ST_SCORING)
		return ctx_fail(c, 409, "invalid_transition", json_pack("{s:s}", "state",
		    lc_state_name(p.state)), "bids are scored only while the project is in scoring");
	const char *vb[2] = { pi64(&pb, bid), pi64(&pb, pid) };
	PGresult *r = db_run(c->db, &q_bid_get, 2, vb, NULL);
	if (r == NULL)
		return ctx_dbfail(c, "reading a bid");
	bool found = PQntuples(r) == 1 && !strcmp(gs(r, 0, 3), round);
	PQclear(r);
	if (!found)
		return ctx_fail(c, 404, "not_found", NULL, "no such bid in this project's current round");
	struct rule_error e = { .details = NULL };
	double qsum = 0;
	const json_t *scores = json_object_get(body, "scores");
	if (rules_check_sheet(p.criteria, p.n_criteria, scores, &qsum, &e)) {
		json_t *d = e.details ? e.details : json_object();
		e.details = NULL;
		json_object_set_new(d, "rule", json_string(e.rule));
		char msg[256];
		snprintf(msg, sizeof msg, "%s", e.message);
		rule_error_clear(&e);
		return ctx_fail(c, 422, "rule_violation", d, msg);
	}
	char *ss = json_text(scores), qs[32];
	snprintf(qs, sizeof qs, "%.17g", qsum);
	const char *v[5] = { pi64(&pb, bid), pi64(&pb, c->u->id), ss, qs, pi64(&pb, c->now) };
	int rc = db_run0(c->db, &q_score_add, 5, v, st);
	free(ss);
	if (rc) {
		if (!strcmp(st, "23505"))
			return ctx_fail(c, 409, "conflict", NULL,
			    "you have already scored this bid: one sheet per evaluator and bid");
		return ctx_dbfail(c, "recording a score sheet");
	}
	return json_pack("{s:I,s:I,s:s,s:O,s:f,s:o}", "bid_id", (json_int_t)bid, "project_id",
	    (json_int_t)pid, "evaluator", c->u->name, "scores", scores, "quality_sum", qsum,
	    "created_at", jtime(c, c->now));
}

json_t *
tender_ranking(struct req_ctx *c, int64_t pid)
{
	struct lc_project p;
	struct pbuf pb = { .n = 0 };
	PGresult *pr = project_fetch(c, pid, false);
	if (pr == NULL)
		return NULL;
	project_decode(pr, 0, &p, c->rc);
	if (p.n_criteria == 0) {
		PQclear(pr);
		return ctx_fail(c, 409, "invalid_transition", NULL,
		    "the project has not been published with evaluation criteria");
	}
	struct lc_loaded *l = xcalloc(1, sizeof *l);
	if (effects_load(c, NEED_BIDS, pr, &p, l)) {
		PQclear(pr);
		free(l);
		return ctx_dbfail(c, "reading bids");
	}
	PQclear(pr);
	(void)pb;
	rules_rank(c->rc, p.criteria, p.n_criteria, l->bids, l->n_bids);
	bool has_past = false;
	for (size_t i = 0; i < p.n_criteria; i++)
		if (p.criteria[i].kind == CRIT_QUALITY && !strcmp(p.criteria[i].name, PAST_PERFORMANCE))
			has_past = true;
	json_t *items = json_array();
	for (size_t i = 0; i < l->n_bids; i++) {
		const struct rank_bid *b = &l->bids[i];
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
	free(l);
	return json_pack("{s:o}", "items", items);
}

static struct stmt q_evaluation_list = STMT(
	"SELECT e.project_id, e.contractor_id, c.name, e.agency, e.fiscal_year, e.purchaser_score, "
	"e.recipient_satisfaction, e.third_party_score, e.composite, ts2us(e.published_at), p.title "
	"FROM evaluation e JOIN contractor c ON c.id = e.contractor_id "
	"JOIN project p ON p.id = e.project_id WHERE e.fiscal_year = $1 ORDER BY e.project_id");

json_t *
tender_evaluation_list(struct req_ctx *c, int year)
{
	struct pbuf pb = { .n = 0 };
	const char *v[1] = { pi64(&pb, year) };
	PGresult *r = db_run(c->db, &q_evaluation_list, 1, v, NULL);
	if (r == NULL)
		return ctx_dbfail(c, "listing evaluations");
	json_t *items = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, json_pack("{s:I,s:I,s:s,s:s,s:I,s:f,s:f,s:f,s:f,s:o,s:s}",
		    "project_id", (json_int_t)gi64(r, i, 0), "contractor_id", (json_int_t)gi64(r, i, 1),
		    "contractor_name", gs(r, i, 2), "agency", gs(r, i, 3), "fiscal_year",
		    (json_int_t)gi64(r, i, 4), "purchaser_score", strtod(gs(r, i, 5), NULL),
		    "recipient_satisfaction", strtod(gs(r, i, 6), NULL), "third_party_score",
		    strtod(gs(r, i, 7), NULL), "composite", strtod(gs(r, i, 8), NULL), "published_at",
		    jtime_col(c, r, i, 9), "title", gs(r, i, 10)));
	PQclear(r);
	return json_pack("{s:o,s:n}", "items", items, "next");
}
