/* What a lifecycle event reads for its guard and changes beyond state and history. */
#include "effects.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db.h"
#include "eventwrite.h"
#include "jsonio.h"
#include "project.h"
#include "registry.h"
#include "render.h"
#include "projectsql.h"
#include "sql.h"

/* Locking the budget row serialises every approval against the same
 * cap: two finance users approving at once cannot both slip under it. */
static struct stmt q_budget_for_update = STMT(
	"SELECT special_funds_fen, work_funds_fen, lottery_funds_fen, cap_bp "
	"FROM budget WHERE agency = $1 AND fiscal_year = $2 FOR UPDATE");

static struct stmt q_special_committed = STMT(
	"SELECT coalesce(sum(budget_fen), 0) FROM project WHERE agency = $1 AND fiscal_year = $2 "
	"AND budget_approved AND funding_source = 'special_funds' AND state <> 'cancelled' "
	"AND id <> $3");

static struct stmt q_catalog_status = STMT(
	"SELECT i.code, c.code IS NOT NULL, coalesce(c.approved, false), coalesce(c.purchasable, false) "
	"FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY AS i(code, n) "
	"LEFT JOIN catalog_item c ON c.code = i.code "
	"ORDER BY i.n");

/* Bids of the current round with what ranking needs: sheets, their
 * quality sums, qualification, ban on the bid date and past composites. */
static struct stmt q_bids_for_ranking = STMT(
	"SELECT b.id, b.contractor_id, b.price_fen, b.declined, "
	"(SELECT count(*) FROM score_sheet s WHERE s.bid_id = b.id), "
	"(SELECT coalesce(sum(s.quality_sum), 0) FROM score_sheet s WHERE s.bid_id = b.id), "
	"(SELECT avg(e.composite) FROM evaluation e WHERE e.contractor_id = b.contractor_id "
	"AND e.fiscal_year >= $3::int - $4::int AND e.fiscal_year < $3::int), "
	"(c.independent_liability AND c.facilities AND c.staff AND c.professional_capability "
	"AND c.governance AND c.financial_management), "
	"EXISTS (SELECT 1 FROM contractor_ban x WHERE x.contractor_id = b.contractor_id "
	"AND x.starts <= b.created_at::date AND x.ends > b.created_at::date) "
	"FROM bid b JOIN contractor c ON c.id = b.contractor_id "
	"WHERE b.project_id = $1 AND b.round = $2 ORDER BY b.id");

static struct stmt q_challenges = STMT(
	"SELECT id, answered_at IS NULL, ts2us(answer_due), supplier, text, ts2us(opened_at), answer, "
	"ts2us(answered_at) FROM challenge WHERE project_id = $1 ORDER BY id");

/* Each unit of the positions ($1) with its level, profile and region, and
 * the staff already under contract for it in the fiscal year ($2) by
 * other projects ($3): contracted and on, up to closed (a contractor's
 * exit gives them back). */
static struct stmt q_positions = STMT(
	"SELECT x.unit, a.level = 'township', agency_profile(a.path), agency_region(a.path), "
	"x.count, x.annual_wage_fen, coalesce(x.households, -1), coalesce(x.recipients, -1), "
	"coalesce((SELECT sum((y->>'count')::int) FROM project o, jsonb_array_elements(o.positions) y "
	"WHERE o.positions @> jsonb_build_array(jsonb_build_object('unit', x.unit)) "
	"AND o.fiscal_year = $2 AND o.id <> $3 AND o.state IN " UNDER_CONTRACT " "
	"AND y->>'unit' = x.unit), 0) "
	"FROM jsonb_to_recordset($1::jsonb) AS x(unit text, count int, annual_wage_fen bigint, "
	"households bigint, recipients bigint) JOIN agency a ON a.code = x.unit");

int
effects_load(struct req_ctx *c, unsigned needs, const PGresult *pr, const struct lc_project *p,
    struct lc_loaded *l)
{
	struct pbuf pb = { .n = 0 };
	PGresult *r;

	if (needs & NEED_CATALOG) {
		const char *v[1] = { gs(pr, 0, PC_ITEMS) };
		if ((r = db_run(c->db, &q_catalog_status, 1, v, NULL)) == NULL)
			return -1;
		for (int i = 0; i < PQntuples(r) && l->n_items < LC_MAX_ITEMS; i++) {
			struct lc_catalog_item *it = &l->items[l->n_items++];
			snprintf(it->code, sizeof it->code, "%s", gs(r, i, 0));
			it->exists = gbool(r, i, 1);
			it->approved = gbool(r, i, 2);
			it->purchasable = gbool(r, i, 3);
		}
		PQclear(r);
	}
	if (needs & NEED_BUDGET) {
		const char *v[3] = { gs(pr, 0, PC_AGENCY), gs(pr, 0, PC_YEAR), gs(pr, 0, PC_ID) };
		if ((r = db_run(c->db, &q_budget_for_update, 2, v, NULL)) == NULL)
			return -1;
		l->has_budget = PQntuples(r) == 1;
		if (l->has_budget) {
			l->special_funds_fen = gi64(r, 0, 0);
			int64_t by_source[FUNDING__COUNT] = { gi64(r, 0, 0), gi64(r, 0, 1), gi64(r, 0, 2) };
			l->source_funds_fen = p->funding >= 0 ? by_source[p->funding] : 0;
			l->cap_bp = (int)gi64(r, 0, 3);
		}
		PQclear(r);
		if ((r = db_run(c->db, &q_special_committed, 3, v, NULL)) == NULL)
			return -1;
		l->special_committed_fen = gi64(r, 0, 0);
		PQclear(r);
	}
	if (needs & NEED_BIDS) {
		const char *v[4] = { gs(pr, 0, PC_ID), gs(pr, 0, PC_ROUND), gs(pr, 0, PC_YEAR),
			pi64(&pb, c->rc->past_performance_years) };
		if ((r = db_run(c->db, &q_bids_for_ranking, 4, v, NULL)) == NULL)
			return -1;
		for (int i = 0; i < PQntuples(r) && l->n_bids < LC_MAX_BIDS; i++) {
			struct rank_bid *b = &l->bids[l->n_bids++];
			memset(b, 0, sizeof *b);
			b->bid_id = gi64(r, i, 0);
			b->contractor_id = gi64(r, i, 1);
			b->price_fen = gi64(r, i, 2);
			b->n_sheets = (int)gi64(r, i, 4);
			b->sheet_quality_sum = strtod(gs(r, i, 5), NULL);
			b->past_composite = gnull(r, i, 6) ? -1 : strtod(gs(r, i, 6), NULL);
			b->eligible = !gbool(r, i, 3) && gbool(r, i, 7) && !gbool(r, i, 8);
		}
		PQclear(r);
	}
	if (needs & NEED_CHALLENGES) {
		const char *v[1] = { gs(pr, 0, PC_ID) };
		if ((r = db_run(c->db, &q_challenges, 1, v, NULL)) == NULL)
			return -1;
		for (int i = 0; i < PQntuples(r) && l->n_challenges < LC_MAX_CHALLENGES; i++) {
			struct lc_challenge *ch = &l->challenges[l->n_challenges++];
			ch->id = gi64(r, i, 0);
			ch->open = gbool(r, i, 1);
			ch->answer_due = gi64(r, i, 2);
		}
		PQclear(r);
	}
	if ((needs & NEED_POSITIONS) && !gnull(pr, 0, PC_POSITIONS)) {
		const char *v[3] = { gs(pr, 0, PC_POSITIONS), gs(pr, 0, PC_YEAR), gs(pr, 0, PC_ID) };
		if ((r = db_run(c->db, &q_positions, 3, v, NULL)) == NULL)
			return -1;
		for (int i = 0; i < PQntuples(r) && l->n_positions < POSITIONS_MAX; i++) {
			struct position *ps = &l->positions[l->n_positions++];
			snprintf(ps->unit, sizeof ps->unit, "%s", gs(r, i, 0));
			ps->township = gbool(r, i, 1);
			snprintf(ps->profile, sizeof ps->profile, "%s", gs(r, i, 2));
			ps->region = gnull(r, i, 3) ? -1 : region_parse(gs(r, i, 3));
			ps->count = (int)gi64(r, i, 4);
			ps->annual_wage_fen = gi64(r, i, 5);
			ps->households = gi64(r, i, 6);
			ps->recipients = gi64(r, i, 7);
			ps->staffed = (int)gi64(r, i, 8);
		}
		PQclear(r);
	}
	if (needs & NEED_CONTRACTOR) {
		int32_t today = calendar_local_day(c->cal, c->now);
		if (registry_contractor_banned(c->db, p->award_contractor_id, today,
		    &l->contractor_banned))
			return -1;
		l->contractor_qualified = true;
	}
	return 0;
}

static struct stmt q_ban_add = STMT(
	"INSERT INTO contractor_ban (contractor_id, reason, starts, ends, project_id, created_at) "
	"VALUES ($1, $2, $3::date, $4::date, $5, us2ts($6))");

/* The successor keeps agency, items, quantities, positions and quality
 * standard, with the budget that was not paid out. */
static struct stmt q_successor_create = STMT(
	"INSERT INTO project (agency, fiscal_year, title, catalog_items, budget_fen, funding_source, "
	"method, quantity, quality_standard, service_start, service_end, created_by, created_at, "
	"updated_at, predecessor_id, positions) SELECT agency, fiscal_year, title || $2, catalog_items, "
	"greatest(coalesce((contract->>'amount_fen')::bigint, budget_fen) - coalesce(paid_fen, 0), 0), "
	"funding_source, method, quantity, quality_standard, greatest(service_start, $3::date), "
	"service_end, $4, us2ts($5), us2ts($5), id, positions FROM project WHERE id = $1 RETURNING id");

static struct stmt q_set_successor = STMT("UPDATE project SET successor_id = $2 WHERE id = $1");

/* The successor project of a contractor's exit, its creation event, the
 * link both ways and, for breach or fraud, the ban. */
static int
takeover_effects(struct req_ctx *c, const PGresult *pr, const struct lc_project *p,
    const char *reason, json_t *result)
{
	struct pbuf pb = { .n = 0 };
	int32_t today = calendar_local_day(c->cal, c->now);
	const char *v[5] = { pi64(&pb, p->id), "（接续）", pdate(&pb, today),
		eventwrite_actor(&pb, c->u) ? eventwrite_actor(&pb, c->u) : gs(pr, 0, PC_CREATED_BY),
		pi64(&pb, c->now) };
	PGresult *r = db_run(c->db, &q_successor_create, 5, v, NULL);
	if (r == NULL)
		return -1;
	int64_t sid = gi64(r, 0, 0);
	PQclear(r);
	const char *v2[2] = { pi64(&pb, p->id), pi64(&pb, sid) };
	if (db_run0(c->db, &q_set_successor, 2, v2, NULL))
		return -1;
	json_t *spl = json_pack("{s:I,s:s}", "predecessor_id", (json_int_t)p->id, "reason", reason);
	struct eventwrite w = { .id = sid, .seq = 1, .last_hash = "", .ev = "create", .from = "",
		.to = "draft", .payload = spl };
	int rc = eventwrite_run(c, NULL, &w);
	json_decref(spl);
	if (rc)
		return -1;
	json_object_set_new(result, "successor_id", json_integer(sid));
	if (!strcmp(reason, "breach") || !strcmp(reason, "fraud")) {
		int32_t end = rules_ban_end(today, c->rc->ban_years);
		const char *v3[6] = { pi64(&pb, p->award_contractor_id), reason, pdate(&pb, today),
			pdate(&pb, end), pi64(&pb, p->id), pi64(&pb, c->now) };
		if (db_run0(c->db, &q_ban_add, 6, v3, NULL))
			return -1;
		char b1[16], b2[16];
		json_object_set_new(result, "ban", json_pack("{s:I,s:s,s:s,s:s}", "contractor_id",
		    (json_int_t)p->award_contractor_id, "reason", reason, "starts",
		    date_format(today, b1, sizeof b1), "ends", date_format(end, b2, sizeof b2)));
	}
	return 0;
}

static struct stmt q_challenge_open = STMT(
	"INSERT INTO challenge (project_id, supplier, text, opened_at, answer_due) "
	"VALUES ($1, $2, $3, us2ts($4), us2ts($5)) RETURNING id");

static struct stmt q_challenge_answer = STMT(
	"UPDATE challenge SET answer = $3, answered_at = us2ts($4) "
	"WHERE id = $1 AND project_id = $2 AND answered_at IS NULL");

static struct stmt q_set_submitted = STMT("UPDATE project SET submitted_by = $2 WHERE id = $1");

static struct stmt q_set_budget_approved = STMT("UPDATE project SET budget_approved = $2 WHERE id = $1");

static struct stmt q_set_published = STMT(
	"UPDATE project SET published_at = us2ts($2), bid_deadline = us2ts($3), requirements = $4, "
	"evaluators_required = $5, criteria = $6::jsonb, "
	"public_since = coalesce(public_since, us2ts($2)) WHERE id = $1");

static struct stmt q_set_round = STMT(
	"UPDATE project SET round = round + 1, published_at = us2ts($2), bid_deadline = us2ts($3), "
	"award_bid_id = NULL, award_contractor_id = NULL, award_price_fen = NULL, awarded_at = NULL "
	"WHERE id = $1");

static struct stmt q_set_method = STMT(
	"UPDATE project SET method = $2, budget_approved = false, round = round + 1, "
	"bid_deadline = NULL, published_at = NULL, award_bid_id = NULL, award_contractor_id = NULL, "
	"award_price_fen = NULL, awarded_at = NULL WHERE id = $1");

static struct stmt q_set_award = STMT(
	"UPDATE project SET award_bid_id = $2, award_contractor_id = $3, award_price_fen = $4, "
	"awarded_at = us2ts($5) WHERE id = $1");

static struct stmt q_bid_decline = STMT("UPDATE bid SET declined = true WHERE id = $1");

static struct stmt q_set_contract = STMT("UPDATE project SET contract = $2::jsonb WHERE id = $1");

static struct stmt q_set_completed = STMT("UPDATE project SET completed_by = $2 WHERE id = $1");

static struct stmt q_set_paid = STMT("UPDATE project SET paid_fen = $2 WHERE id = $1");

static struct stmt q_set_evaluation = STMT("UPDATE project SET evaluation = $2::jsonb WHERE id = $1");

static struct stmt q_evaluation_add = STMT(
	"INSERT INTO evaluation (project_id, contractor_id, agency, fiscal_year, purchaser_score, "
	"recipient_satisfaction, third_party_score, composite, published_at) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, us2ts($9))");

/* What the event changes beyond state and history. RESULT collects the
 * figures the guard or the effect computed, for the history and the answer.
 * A write whose answer nobody reads is queued (db_run_later()): it travels
 * with the event's next statement (its write, or the read of its
 * documents), in order, a round trip fewer. Returns 0, -1 on a database
 * error. */
int
effects_apply(struct req_ctx *c, enum lc_event ev, const PGresult *pr, const struct lc_project *p,
    const struct lc_result *res, const json_t *pl, json_t *result)
{
	struct pbuf pb = { .n = 0 };
	const char *id = gs(pr, 0, PC_ID), *s = NULL;
	int64_t n = 0;
	usec_t t = 0;

	switch (ev) {
	case EV_SUBMIT: {
		const char *v[2] = { id, pi64(&pb, c->u->id) };
		return db_run_later(c->db, &q_set_submitted, 2, v);
	}
	case EV_APPROVE_BUDGET: {
		const char *v[2] = { id, "true" };
		return db_run_later(c->db, &q_set_budget_approved, 2, v);
	}
	case EV_PUBLISH: {
		body_str(pl, "bid_deadline", &s);
		time_parse(s, &t);
		body_str(pl, "requirements", &s);
		body_i64(pl, "evaluators_required", &n);
		char *crit = json_text(json_object_get(pl, "criteria"));
		const char *v[6] = { id, pi64(&pb, c->now), pi64(&pb, t), s, pi64(&pb, n), crit };
		int rc = db_run_later(c->db, &q_set_published, 6, v);
		free(crit);
		return rc;
	}
	case EV_RETENDER: {
		body_str(pl, "bid_deadline", &s);
		time_parse(s, &t);
		const char *v[3] = { id, pi64(&pb, c->now), pi64(&pb, t) };
		return db_run_later(c->db, &q_set_round, 3, v);
	}
	case EV_CHANGE_METHOD: {
		body_str(pl, "method", &s);
		const char *v[2] = { id, s };
		return db_run_later(c->db, &q_set_method, 2, v);
	}
	case EV_CLOSE_BIDDING:
		json_object_set_new(result, "eligible_bids", json_integer(res->n_eligible_bids));
		return 0;
	case EV_DECLINE_AWARD: {
		const char *v[1] = { pi64(&pb, p->award_bid_id) };
		if (db_run_later(c->db, &q_bid_decline, 1, v))
			return -1;
		json_object_set_new(result, "declined_bid_id", json_integer(p->award_bid_id));
	}
		/* the award passes to the next bid, or to none */
		__attribute__((fallthrough));
	case EV_AWARD: {
		bool any = res->award_bid_id > 0;
		const char *v[5] = { id, any ? pi64(&pb, res->award_bid_id) : NULL,
			any ? pi64(&pb, res->award_contractor_id) : NULL,
			any ? pi64(&pb, res->award_price_fen) : NULL, any ? pi64(&pb, c->now) : NULL };
		if (any)
			json_object_set_new(result, "award", json_pack("{s:I,s:I,s:I}", "bid_id",
			    (json_int_t)res->award_bid_id, "contractor_id",
			    (json_int_t)res->award_contractor_id, "price_fen",
			    (json_int_t)res->award_price_fen));
		return db_run_later(c->db, &q_set_award, 5, v);
	}
	case EV_CHALLENGE: {
		const char *sup, *txt;
		body_str(pl, "supplier", &sup);
		body_str(pl, "text", &txt);
		const char *v[5] = { id, sup, txt, pi64(&pb, c->now), pi64(&pb, res->due) };
		PGresult *r = db_run(c->db, &q_challenge_open, 5, v, NULL);
		if (r == NULL)
			return -1;
		json_object_set_new(result, "challenge_id", json_integer(gi64(r, 0, 0)));
		json_object_set_new(result, "answer_due", render_time(res->due, ctx_offset(c)));
		PQclear(r);
		return 0;
	}
	case EV_ANSWER_CHALLENGE: {
		body_str(pl, "answer", &s);
		const char *v[4] = { pi64(&pb, res->challenge_id), id, s, pi64(&pb, c->now) };
		return db_run_later(c->db, &q_challenge_answer, 4, v);
	}
	case EV_SIGN_CONTRACT: {
		json_t *ct = json_pack("{s:O,s:O,s:O,s:o}", "contract_no",
		    json_object_get(pl, "contract_no"), "amount_fen", json_object_get(pl, "amount_fen"),
		    "takeover_plan", json_object_get(pl, "takeover_plan"), "signed_at",
		    render_time(c->now, ctx_offset(c)));
		char *cs = json_text(ct);
		json_decref(ct);
		const char *v[2] = { id, cs };
		int rc = db_run_later(c->db, &q_set_contract, 2, v);
		free(cs);
		return rc;
	}
	case EV_COMPLETE_SERVICE: {
		const char *v[2] = { id, pi64(&pb, c->u->id) };
		return db_run_later(c->db, &q_set_completed, 2, v);
	}
	case EV_CONFIRM_PAYMENT: {
		body_i64(pl, "amount_fen", &n);
		const char *v[2] = { id, pi64(&pb, n) };
		return db_run_later(c->db, &q_set_paid, 2, v);
	}
	case EV_EVALUATE: {
		json_t *sc[3] = { json_object_get(pl, "purchaser_score"),
			json_object_get(pl, "recipient_satisfaction"),
			json_object_get(pl, "third_party_score") };
		json_t *e = json_pack("{s:O,s:O,s:O,s:f,s:I,s:o}", "purchaser_score", sc[0],
		    "recipient_satisfaction", sc[1], "third_party_score", sc[2], "composite",
		    res->composite, "contractor_id", (json_int_t)p->award_contractor_id,
		    "published_at", render_time(c->now, ctx_offset(c)));
		char *es = json_text(e);
		json_decref(e);
		char n1[32], n2[32], n3[32], n4[32];
		snprintf(n1, sizeof n1, "%.17g", json_number_value(sc[0]));
		snprintf(n2, sizeof n2, "%.17g", json_number_value(sc[1]));
		snprintf(n3, sizeof n3, "%.17g", json_number_value(sc[2]));
		snprintf(n4, sizeof n4, "%.17g", res->composite);
		const char *v[2] = { id, es };
		const char *v2[9] = { id, pi64(&pb, p->award_contractor_id), gs(pr, 0, PC_AGENCY),
			gs(pr, 0, PC_YEAR), n1, n2, n3, n4, pi64(&pb, c->now) };
		int rc = db_run_later(c->db, &q_set_evaluation, 2, v) ||
		    db_run_later(c->db, &q_evaluation_add, 9, v2);
		free(es);
		json_object_set_new(result, "composite", json_real(res->composite));
		return rc ? -1 : 0;
	}
	case EV_CONTRACTOR_EXIT:
		body_str(pl, "reason", &s);
		return takeover_effects(c, pr, p, s, result);
	case EV_REPORT_SUBCONTRACTING:
		/* subcontracting is forbidden (001 §2.7): an exit for breach */
		return takeover_effects(c, pr, p, "breach", result);
	default:
		return 0;
	}
}
