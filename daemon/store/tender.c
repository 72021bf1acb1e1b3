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
#include "render.h"
#include "sql.h"

static struct stmt q_bid_add = STMT(
	"INSERT INTO bid (project_id, contractor_id, price_fen, round, created_by, created_at) "
	"VALUES ($1, $2, $3, $4, $5, us2ts($6)) RETURNING id");

int
tender_bid_add(struct req_ctx *c, int64_t pid, const json_t *b, struct render_bid *out)
{
	struct pbuf pb = { .n = 0 };
	int64_t cid = 0, price = 0;
	char st[6];

	/* the edge checked the price (payload.c) */
	body_i64(b, "contractor_id", &cid);
	body_i64(b, "price_fen", &price);
	if (db_begin(c->db))
		return ctx_int(ctx_dbfail(c, "starting a transaction"));
	/* the project's lock orders bids against close_bidding */
	PGresult *pr = project_fetch(c, pid, true);
	if (pr == NULL)
		return -1;
	enum lc_state state = (enum lc_state)lc_state_parse(gs(pr, 0, PC_STATE));
	usec_t deadline = gi64(pr, 0, PC_BID_DEADLINE);
	const char *round = gs(pr, 0, PC_ROUND);
	char rbuf[16];
	snprintf(rbuf, sizeof rbuf, "%s", round);
	PQclear(pr);
	if (state != ST_ANNOUNCED)
		return ctx_int(ctx_fail(c, 409, "invalid_transition", json_pack("{s:s}", "state",
		    lc_state_name(state)), "bids are taken only while the project is announced"));
	if (c->now >= deadline) {
		char d[64];
		return ctx_int(ctx_fail(c, 422, "rule_violation", json_pack("{s:s,s:s}", "rule",
		    "bid_deadline_passed", "bid_deadline", time_format(deadline,
		    c->cal->utc_offset_s, d, sizeof d)),
		    "the bid deadline has passed"));
	}
	/* the contractor: exists, qualified (000 §3.2), not banned today */
	json_t *missing = NULL;
	int found = registry_contractor_missing(c->db, cid, &missing);
	if (found < 0)
		return ctx_int(ctx_dbfail(c, "reading a contractor"));
	if (found > 0)
		return ctx_int(ctx_fail(c, 404, "not_found", json_pack("{s:s}", "field", "contractor_id"),
		    "no such contractor"));
	if (json_array_size(missing))
		return ctx_int(ctx_fail(c, 422, "rule_violation", json_pack("{s:s,s:I,s:o}", "rule",
		    "contractor_unqualified", "contractor_id", (json_int_t)cid, "missing", missing),
		    "the contractor lacks a required qualification (000 §3.2)"));
	json_decref(missing);
	int32_t today = calendar_local_day(c->cal, c->now);
	bool banned;
	char on[16];
	if (registry_contractor_banned(c->db, cid, today, &banned))
		return ctx_int(ctx_dbfail(c, "reading bans"));
	if (banned)
		return ctx_int(ctx_fail(c, 422, "rule_violation", json_pack("{s:s,s:I,s:s}", "rule",
		    "contractor_banned", "contractor_id", (json_int_t)cid, "on",
		    date_format(today, on, sizeof on)),
		    "the contractor is banned from government purchase of services (001 §2.7)"));
	const char *v[6] = { pi64(&pb, pid), pi64(&pb, cid), pi64(&pb, price), rbuf,
		pi64(&pb, c->u->id), pi64(&pb, c->now) };
	PGresult *r = db_run(c->db, &q_bid_add, 6, v, st);
	if (r == NULL) {
		if (!strcmp(st, "23505"))
			return ctx_int(ctx_fail(c, 409, "conflict", json_pack("{s:s}", "field", "contractor_id"),
			    "this contractor has already bid in this round"));
		return ctx_int(ctx_dbfail(c, "recording a bid"));
	}
	int64_t bid = gi64(r, 0, 0);
	PQclear(r);
	if (db_commit(c->db))
		return ctx_int(ctx_dbfail(c, "recording a bid"));
	log_info("project %" PRId64 ": bid %" PRId64 " from contractor %" PRId64 " at %" PRId64
	    " fen, by %s", pid, bid, cid, price, c->u->name);
	*out = (struct render_bid){ .id = bid, .project_id = pid, .contractor_id = cid,
		.price_fen = price, .round = atoi(rbuf), .created_at = c->now };
	return 0;
}

static struct stmt q_bid_list = STMT(
	"SELECT b.id, b.contractor_id, c.name, b.price_fen, b.round, b.declined, ts2us(b.created_at), "
	"(SELECT count(*) FROM score_sheet s WHERE s.bid_id = b.id) "
	"FROM bid b JOIN contractor c ON c.id = b.contractor_id WHERE b.project_id = $1 "
	"ORDER BY b.round, b.id");

struct rows *
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
	return rows_of(r);
}

static struct stmt q_bid_get = STMT(
	"SELECT id, contractor_id, price_fen, round FROM bid WHERE id = $1 AND project_id = $2");

static struct stmt q_score_add = STMT(
	"INSERT INTO score_sheet (bid_id, evaluator_id, scores, quality_sum, created_at) "
	"VALUES ($1, $2, $3::jsonb, $4, us2ts($5))");

int
tender_score_add(struct req_ctx *c, int64_t pid, int64_t bid, const json_t *body,
    struct render_sheet *out)
{
	struct pbuf pb = { .n = 0 };
	struct lc_project p;
	char st[6];

	PGresult *pr = project_fetch(c, pid, false);
	if (pr == NULL)
		return -1;
	project_decode(pr, 0, &p, c->rc);
	char round[16];
	snprintf(round, sizeof round, "%s", gs(pr, 0, PC_ROUND));
	PQclear(pr);
	if (p.state != ST_SCORING)
		return ctx_int(ctx_fail(c, 409, "invalid_transition", json_pack("{s:s}", "state",
		    lc_state_name(p.state)), "bids are scored only while the project is in scoring"));
	const char *vb[2] = { pi64(&pb, bid), pi64(&pb, pid) };
	PGresult *r = db_run(c->db, &q_bid_get, 2, vb, NULL);
	if (r == NULL)
		return ctx_int(ctx_dbfail(c, "reading a bid"));
	bool found = PQntuples(r) == 1 && !strcmp(gs(r, 0, 3), round);
	PQclear(r);
	if (!found)
		return ctx_int(ctx_fail(c, 404, "not_found", NULL,
		    "no such bid in this project's current round"));
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
		return ctx_int(ctx_fail(c, 422, "rule_violation", d, msg));
	}
	char *ss = json_text(scores), qs[32];
	snprintf(qs, sizeof qs, "%.17g", qsum);
	const char *v[5] = { pi64(&pb, bid), pi64(&pb, c->u->id), ss, qs, pi64(&pb, c->now) };
	int rc = db_run0(c->db, &q_score_add, 5, v, st);
	free(ss);
	if (rc) {
		if (!strcmp(st, "23505"))
			return ctx_int(ctx_fail(c, 409, "conflict", NULL,
			    "you have already scored this bid: one sheet per evaluator and bid"));
		return ctx_int(ctx_dbfail(c, "recording a score sheet"));
	}
	*out = (struct render_sheet){ .bid_id = bid, .project_id = pid, .evaluator = c->u->name,
		.scores = scores, .quality_sum = qsum, .created_at = c->now };
	return 0;
}

struct lc_loaded *
tender_ranking(struct req_ctx *c, int64_t pid, bool *has_past)
{
	struct lc_project p;
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
	rules_rank(c->rc, p.criteria, p.n_criteria, l->bids, l->n_bids);
	*has_past = false;
	for (size_t i = 0; i < p.n_criteria; i++)
		if (p.criteria[i].kind == CRIT_QUALITY && !strcmp(p.criteria[i].name, PAST_PERFORMANCE))
			*has_past = true;
	return l;
}

static struct stmt q_evaluation_list = STMT(
	"SELECT e.project_id, e.contractor_id, c.name, e.agency, e.fiscal_year, e.purchaser_score, "
	"e.recipient_satisfaction, e.third_party_score, e.composite, ts2us(e.published_at), p.title "
	"FROM evaluation e JOIN contractor c ON c.id = e.contractor_id "
	"JOIN project p ON p.id = e.project_id WHERE e.fiscal_year = $1 AND e.project_id > $2 "
	"ORDER BY e.project_id LIMIT $3");

struct rows *
tender_evaluation_list(struct req_ctx *c, int year, int64_t after, int limit)
{
	struct pbuf pb = { .n = 0 };
	const char *v[3] = { pi64(&pb, year), pi64(&pb, after), pi64(&pb, limit + 1) };
	PGresult *r = db_run(c->db, &q_evaluation_list, 3, v, NULL);
	if (r == NULL)
		return ctx_dbfail(c, "listing evaluations");
	return rows_of(r);
}
