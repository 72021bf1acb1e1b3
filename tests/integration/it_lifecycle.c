/* Integration: a project's whole life, its audit chain, failed tenders,
 * quality-first awards, declined awards and cancellation. */
#include "harness.h"

#include <string.h>

static struct world W;
static bool world_made;

static struct world *
world(struct harness *h)
{
	if (!world_made) {
		h_world(h, &W, "LC", 0);
		world_made = true;
	}
	return &W;
}

/* Every event of the history in order: seq 1..n, each prev_hash the hash
 * before it, from = the previous to. Returns the items. */
static json_t *
history(struct harness *h, struct world *w, int64_t id, size_t expect_n)
{
	struct resp r = h_get(h, w->auditor, "/v1/projects/%lld/events", (long long)id);
	assert_status(r, 200);
	json_t *items = h_at(r.body, "items");
	assert_int_equal(json_array_size(items), expect_n);
	const char *prev_hash = "", *prev_to = "";
	for (size_t i = 0; i < json_array_size(items); i++) {
		json_t *e = json_array_get(items, i);
		assert_json_int(e, "seq", (int64_t)i + 1);
		assert_json_str(e, "prev_hash", prev_hash);
		assert_json_str(e, "from", prev_to);
		const char *hash = h_str(e, "hash");
		assert_non_null(hash);
		assert_int_equal(strlen(hash), 64);
		assert_non_null(h_str(e, "actor"));
		assert_non_null(h_str(e, "at"));
		prev_hash = hash;
		prev_to = h_str(e, "to");
	}
	return items;
}

static void
test_whole_life_and_audit_chain(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);
	char out[1024], sql[512];

	int64_t id = h_project(h, w, &(struct pspec){ .title = "Casework for 4 townships" });
	/* each step asserts 200, the next state and version + 1 */
	int64_t v = h_drive(h, w, id, "needs_review", NULL);
	assert_int_equal(v, 2);
	v = h_drive(h, w, id, "budget_review", NULL);
	v = h_drive(h, w, id, "approved", NULL);
	assert_int_equal(v, 4);
	struct tender t = { .n_bids = 3 };
	v = h_drive(h, w, id, "announced", &t);
	h_bids(h, w, id, &t);
	struct resp r = h_get(h, w->officer, "/v1/projects/%lld/bids", (long long)id);
	assert_status(r, 200);
	assert_int_equal(h_len(r.body, "items"), 3);
	/* the daemon watches the bid deadline, and closes bidding there itself */
	json_t *p = h_project_get(h, w, id);
	assert_json_str(p, "next_check", h_str(p, "bid_deadline"));
	r = h_event_v(h, w->officer, id, "close_bidding", v, NULL);
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "bid_deadline_not_reached");
	v = h_await_close(h, w, id, v, "scoring");
	assert_json_int(h_last_event(h, w->officer, id), "payload.result.eligible_bids", 3);
	h_scores(h, w, id, &t);
	r = h_event_v(h, w->officer, id, "award", v, NULL);
	assert_project(r, "awarded", ++v);
	/* equal quality: the lowest price (contractor 0, 900,000 fen) wins */
	assert_json_int(r.body, "award.bid_id", t.bid_ids[0]);
	assert_json_int(r.body, "award.contractor_id", w->contractor[0]);
	assert_json_int(r.body, "award.price_fen", 900000);
	v = h_drive(h, w, id, "contracted", &t);
	assert_int_equal(v, 8);
	p = h_project_get(h, w, id);
	snprintf(out, sizeof out, "HT-%lld", (long long)id);
	assert_json_str(p, "contract.contract_no", out);
	assert_json_int(p, "contract.amount_fen", 900000);
	assert_json_str(p, "contract.takeover_plan.interim_provider", "in_house");
	assert_json_int(p, "contract.takeover_plan.handover_days", 3);
	v = h_drive(h, w, id, "in_service", &t);
	v = h_drive(h, w, id, "acceptance", &t);	/* supervision, then completion */
	assert_int_equal(v, 11);
	v = h_drive(h, w, id, "closed", &t);
	assert_int_equal(v, 14);

	p = h_project_get(h, w, id);
	assert_json_str(p, "state", "closed");
	assert_json_int(p, "paid_fen", 900000);
	/* 30 % purchaser 90, 40 % recipients 85, 30 % third party 80 */
	assert_json_num(p, "evaluation.composite", 85.0);
	assert_json_int(p, "evaluation.contractor_id", w->contractor[0]);

	json_t *items = history(h, w, id, 14);
	static const char *const evs[] = { "create", "submit", "approve_needs", "approve_budget",
		"publish", "close_bidding", "award", "sign_contract", "start_service",
		"record_supervision", "complete_service", "accept", "confirm_payment", "evaluate" };
	static const char *const tos[] = { "draft", "needs_review", "budget_review", "approved",
		"announced", "scoring", "awarded", "contracted", "in_service", "in_service",
		"acceptance", "payment", "year_end_review", "closed" };
	for (size_t i = 0; i < 14; i++) {
		assert_json_str(json_array_get(items, i), "event", evs[i]);
		assert_json_str(json_array_get(items, i), "to", tos[i]);
	}
	assert_json_str(json_array_get(items, 1), "actor", "LC-officer");
	assert_json_str(json_array_get(items, 2), "actor", "LC-reviewer");
	assert_json_str(json_array_get(items, 3), "actor", "LC-finance");
	assert_json_str(json_array_get(items, 5), "actor", "daemon");
	assert_json_str(json_array_get(items, 6), "actor", "LC-officer");

	/* the chain verifies */
	int rc = harness_ctl(h, out, sizeof out, "verify", (char *)NULL);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "intact"));

	/* change one payload behind the daemon's back: verify names the event */
	snprintf(sql, sizeof sql,
	    "ALTER TABLE project_event DISABLE TRIGGER USER;"
	    "UPDATE project_event SET payload = payload || '{\"report\":\"forged\"}' "
	    "WHERE project_id = %lld AND seq = 12;"
	    "ALTER TABLE project_event ENABLE TRIGGER USER;", (long long)id);
	assert_int_equal(harness_sql(h, sql), 0);
	rc = harness_ctl(h, out, sizeof out, "verify", (char *)NULL);
	assert_int_equal(rc, 1);
	char want[64];
	snprintf(want, sizeof want, "project %lld event 12", (long long)id);
	if (strstr(out, want) == NULL)
		fail_msg("procurctl verify said \"%s\", not naming \"%s\"", out, want);

	/* the trigger still forbids an ordinary update */
	snprintf(sql, sizeof sql, "UPDATE project_event SET payload = '{}' WHERE project_id = %lld "
	    "AND seq = 2", (long long)id);
	assert_int_not_equal(harness_sql(h, sql), 0);

	/* put it back: the chain is whole again */
	snprintf(sql, sizeof sql,
	    "ALTER TABLE project_event DISABLE TRIGGER USER;"
	    "UPDATE project_event SET payload = payload - 'report' || '{\"report\":\"delivered as contracted\"}' "
	    "WHERE project_id = %lld AND seq = 12;"
	    "ALTER TABLE project_event ENABLE TRIGGER USER;", (long long)id);
	assert_int_equal(harness_sql(h, sql), 0);
	rc = harness_ctl(h, out, sizeof out, "verify", (char *)NULL);
	assert_int_equal(rc, 0);
}

static void
test_failed_tender_retender_and_change_method(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);
	struct tender t = { .n_bids = 2 };

	int64_t id = h_project(h, w, NULL);
	int64_t v = h_drive(h, w, id, "announced", &t);
	h_bids(h, w, id, &t);
	/* two bids, a public tender needs three */
	v = h_await_close(h, w, id, v, "tender_failed");
	assert_json_int(h_last_event(h, w->officer, id), "payload.result.eligible_bids", 2);
	struct resp r = h_get(h, w->officer, "/v1/projects/%lld", (long long)id);
	assert_json_int(r.body, "round", 1);

	/* a new window: the statutory 20 days again */
	r = h_event_v(h, w->officer, id, "retender", v, "{\"bid_deadline\":\"%s\"}",
	    h_time(h, 19, "17:00"));
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "bid_window");
	r = h_event_v(h, w->officer, id, "retender", v, "{\"bid_deadline\":\"%s\"}",
	    h_time(h, 20, "17:00"));
	assert_project(r, "announced", ++v);
	assert_json_int(r.body, "round", 2);
	assert_json_str(r.body, "bid_deadline", h_time(h, 20, "17:00"));

	/* round 1's bids do not count: two new ones fail again */
	h_bids(h, w, id, &t);
	r = h_get(h, w->officer, "/v1/projects/%lld/bids", (long long)id);
	assert_int_equal(h_len(r.body, "items"), 4);
	assert_json_int(r.body, "items.3.round", 2);
	v = h_await_close(h, w, id, v, "tender_failed");
	assert_json_int(h_last_event(h, w->officer, id), "payload.result.eligible_bids", 2);

	/* the same method is no change; another goes back to finance */
	r = h_event_v(h, w->officer, id, "change_method", v, "{\"method\":\"public_tender\"}");
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "method_unchanged");
	r = h_event_v(h, w->officer, id, "change_method", v, "{\"method\":\"carrier_pigeon\"}");
	assert_error(r, 400, "invalid_field");
	assert_json_str(r.body, "error.details.field", "method");
	r = h_event_v(h, w->officer, id, "change_method", v,
	    "{\"method\":\"competitive_consultation\"}");
	assert_project(r, "budget_review", ++v);
	assert_json_str(r.body, "method", "competitive_consultation");
	assert_true(json_is_false(h_at(r.body, "budget_approved")));
	r = h_event_v(h, w->finance, id, "approve_budget", v, NULL);
	assert_project(r, "approved", ++v);
	/* competitive consultation: 10 days suffice now */
	r = h_event_v(h, w->officer, id, "publish", v,
	    "{\"bid_deadline\":\"%s\",\"requirements\":\"r\",\"evaluators_required\":1,"
	    "\"criteria\":" H_CRITERIA "}", h_time(h, 10, "17:00"));
	assert_project(r, "announced", ++v);

	/* the history tells the story */
	r = h_get(h, w->officer, "/v1/projects/%lld/events", (long long)id);
	static const char *const evs[] = { "create", "submit", "approve_needs", "approve_budget",
		"publish", "close_bidding", "retender", "close_bidding", "change_method",
		"approve_budget", "publish" };
	assert_int_equal(h_len(r.body, "items"), 11);
	for (size_t i = 0; i < 11; i++)
		assert_json_str(json_array_get(h_at(r.body, "items"), i), "event", evs[i]);
}

static void
test_quality_first_award_and_declines(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);
	/* A: dear and good; B: cheapest and weak; C: in between */
	struct tender t = { .n_bids = 3, .price = { 1000000, 800000, 900000 } };

	int64_t id = h_project(h, w, NULL);
	int64_t v = h_drive(h, w, id, "scoring", &t);
	/* two evaluators, different sheets: the quality score is their mean */
	static const double sheets[3][2][2] = {
		{ { 50, 30 }, { 46, 26 } },	/* A: 80 and 72 → 76 */
		{ { 30, 15 }, { 30, 15 } },	/* B: 45 */
		{ { 40, 20 }, { 42, 18 } },	/* C: 60 */
	};
	for (int b = 0; b < 3; b++)
		for (int e = 0; e < 2; e++) {
			char path[96];
			snprintf(path, sizeof path, "/v1/projects/%lld/bids/%lld/scores", (long long)id,
			    (long long)t.bid_ids[b]);
			struct resp r = h_post(h, w->evaluator[e], path,
			    "{\"scores\":{\"service_plan\":%g,\"staffing\":%g}}", sheets[b][e][0],
			    sheets[b][e][1]);
			assert_status(r, 201);
		}
	/* award before every sheet is in is refused: already all in, so check
	 * a second sheet by the same evaluator is refused instead */
	char path[96];
	snprintf(path, sizeof path, "/v1/projects/%lld/bids/%lld/scores", (long long)id,
	    (long long)t.bid_ids[0]);
	struct resp r = h_post(h, w->evaluator[0], path,
	    "{\"scores\":{\"service_plan\":1,\"staffing\":1}}");
	assert_error(r, 409, "conflict");

	r = h_get(h, w->reviewer, "/v1/projects/%lld/ranking", (long long)id);
	assert_status(r, 200);
	json_t *it = h_at(r.body, "items");
	assert_int_equal(json_array_size(it), 3);
	/* price score = lowest / price × 20; total = quality + price */
	assert_json_int(it, "0.rank", 1);
	assert_json_int(it, "0.bid_id", t.bid_ids[0]);
	assert_json_num(it, "0.quality_score", 76.0);
	assert_json_num(it, "0.price_score", 16.0);
	assert_json_num(it, "0.total", 92.0);
	assert_json_int(it, "1.rank", 2);
	assert_json_int(it, "1.bid_id", t.bid_ids[2]);
	assert_json_num(it, "1.quality_score", 60.0);
	assert_json_num(it, "1.price_score", 17.78);
	assert_json_num(it, "1.total", 77.78);
	assert_json_int(it, "2.rank", 3);
	assert_json_int(it, "2.bid_id", t.bid_ids[1]);
	assert_json_int(it, "2.price_fen", 800000);
	assert_json_num(it, "2.quality_score", 45.0);
	assert_json_num(it, "2.price_score", 20.0);
	assert_json_num(it, "2.total", 65.0);

	r = h_event_v(h, w->officer, id, "award", v, NULL);
	assert_project(r, "awarded", ++v);
	assert_json_int(r.body, "award.bid_id", t.bid_ids[0]);
	assert_json_int(r.body, "award.contractor_id", w->contractor[0]);
	assert_json_int(r.body, "award.price_fen", 1000000);

	/* the winner refuses to sign: the award passes down the ranking */
	r = h_event_v(h, w->officer, id, "decline_award", v, NULL);
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "payload_required");
	r = h_event_v(h, w->officer, id, "decline_award", v, "{\"reason\":\"A will not sign\"}");
	assert_project(r, "awarded", ++v);
	assert_json_int(r.body, "award.bid_id", t.bid_ids[2]);
	assert_json_int(r.body, "award.contractor_id", w->contractor[2]);
	assert_json_int(r.body, "award.price_fen", 900000);
	assert_json_int(r.body, "event.payload.result.declined_bid_id", t.bid_ids[0]);

	r = h_get(h, w->reviewer, "/v1/projects/%lld/ranking", (long long)id);
	assert_json_int(r.body, "items.0.bid_id", t.bid_ids[2]);
	assert_json_int(r.body, "items.0.rank", 1);
	assert_json_int(r.body, "items.1.bid_id", t.bid_ids[1]);
	assert_json_int(r.body, "items.2.bid_id", t.bid_ids[0]);
	assert_json_int(r.body, "items.2.rank", 0);
	assert_true(json_is_false(h_at(r.body, "items.2.eligible")));

	r = h_event_v(h, w->officer, id, "decline_award", v, "{\"reason\":\"C will not sign\"}");
	assert_project(r, "awarded", ++v);
	assert_json_int(r.body, "award.bid_id", t.bid_ids[1]);
	assert_json_int(r.body, "award.price_fen", 800000);

	/* no candidate left */
	r = h_event_v(h, w->officer, id, "decline_award", v, "{\"reason\":\"B will not sign\"}");
	assert_project(r, "tender_failed", ++v);
	assert_null(h_at(r.body, "award"));
	r = h_get(h, w->officer, "/v1/projects/%lld/bids", (long long)id);
	for (int i = 0; i < 3; i++)
		assert_true(json_is_true(h_at(json_array_get(h_at(r.body, "items"), (size_t)i),
		    "declined")));
}

static void
test_cancel(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);

	/* from draft: a reason is required */
	int64_t id = h_project(h, w, NULL);
	struct resp r = h_event_v(h, w->officer, id, "cancel", 1, NULL);
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "payload_required");
	assert_json_str(r.body, "error.details.field", "reason");
	r = h_event_v(h, w->officer, id, "cancel", 1, "{\"reason\":\"   \"}");
	assert_error(r, 422, "rule_violation");
	r = h_event_v(h, w->officer, id, "cancel", 1, "{\"reason\":\"needs merged into another\"}");
	assert_project(r, "cancelled", 2);
	/* final: nothing more happens */
	r = h_event_v(h, w->officer, id, "submit", 2, NULL);
	assert_error(r, 409, "invalid_transition");
	r = h_event_v(h, w->reviewer, id, "cancel", 2, "{\"reason\":\"again\"}");
	assert_error(r, 409, "invalid_transition");

	/* a reviewer may cancel an announced project */
	int64_t id2 = h_project(h, w, NULL);
	int64_t v = h_drive(h, w, id2, "announced", NULL);
	r = h_event_v(h, w->reviewer, id2, "cancel", v, "{\"reason\":\"the service is no longer needed\"}");
	assert_project(r, "cancelled", v + 1);
	/* bids are not taken any more */
	r = h_post(h, w->officer, "/v1/projects/0/bids", "{\"contractor_id\":1,\"price_fen\":1}");
	assert_error(r, 404, "not_found");
	char path[64];
	snprintf(path, sizeof path, "/v1/projects/%lld/bids", (long long)id2);
	r = h_post(h, w->officer, path, "{\"contractor_id\":%lld,\"price_fen\":100}",
	    (long long)w->contractor[0]);
	assert_error(r, 409, "invalid_transition");

	/* once contracted, cancelling is no longer the way out */
	int64_t id3 = h_project(h, w, NULL);
	v = h_drive(h, w, id3, "contracted", NULL);
	r = h_event_v(h, w->officer, id3, "cancel", v, "{\"reason\":\"too late\"}");
	assert_error(r, 409, "invalid_transition");
	assert_json_str(r.body, "error.details.state", "contracted");
	json_t *p = h_project_get(h, w, id3);
	assert_json_str(p, "state", "contracted");
	assert_json_int(p, "version", v);
}

/* An event's effects travel with its write (db_run_later()): when one of
 * them fails, none of the event is written, and the next try applies. */
static void
test_a_failed_effect_writes_nothing(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);
	char out[64];

	int64_t id = h_project(h, w, &(struct pspec){ .title = "Respite care" });
	int64_t v = h_drive(h, w, id, "year_end_review", NULL);
	/* evaluate queues two effects: the project's evaluation, then the
	 * register's row; the second one fails */
	assert_int_equal(harness_sql(h, "CREATE FUNCTION refuse_evaluation() RETURNS trigger "
	    "LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'refused by the test'; END$$; "
	    "CREATE TRIGGER refuse_evaluation BEFORE INSERT ON evaluation "
	    "FOR EACH ROW EXECUTE FUNCTION refuse_evaluation()"), 0);
	const char *scores = "{\"purchaser_score\":90,\"recipient_satisfaction\":85,"
	    "\"third_party_score\":80}";
	struct resp r = h_event_v(h, w->reviewer, id, "evaluate", v, "%s", scores);
	assert_error(r, 500, "internal");
	json_t *p = h_project_get(h, w, id);
	assert_json_str(p, "state", "year_end_review");
	assert_json_int(p, "version", v);
	assert_true(h_at(p, "evaluation") == NULL || json_is_null(h_at(p, "evaluation")));
	history(h, w, id, (size_t)v);
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM evaluation WHERE project_id = %lld",
	    (long long)id);
	assert_int_equal(harness_sql_value(h, sql, out, sizeof out), 0);
	assert_string_equal(out, "0");

	assert_int_equal(harness_sql(h, "DROP TRIGGER refuse_evaluation ON evaluation; "
	    "DROP FUNCTION refuse_evaluation()"), 0);
	r = h_event_v(h, w->reviewer, id, "evaluate", v, "%s", scores);
	assert_project(r, "closed", ++v);
	assert_json_num(r.body, "evaluation.composite", 85.0);
	assert_int_equal(harness_sql_value(h, sql, out, sizeof out), 0);
	assert_string_equal(out, "1");
	history(h, w, id, (size_t)v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_whole_life_and_audit_chain, h_test_teardown),
		cmocka_unit_test_teardown(test_failed_tender_retender_and_change_method, h_test_teardown),
		cmocka_unit_test_teardown(test_quality_first_award_and_declines, h_test_teardown),
		cmocka_unit_test_teardown(test_cancel, h_test_teardown),
		cmocka_unit_test_teardown(test_a_failed_effect_writes_nothing, h_test_teardown),
	};
	h_group_name = "lifecycle";
	return cmocka_run_group_tests_name("it_lifecycle", tests, h_group_setup, h_group_teardown);
}
