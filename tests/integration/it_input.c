/* Integration: what the API does with bad, stale, repeated and oversized
 * input, and the guards of each event: a refusal changes nothing. */
#include "harness.h"

#include <string.h>

static struct world W;
static bool world_made;

static struct world *
world(struct harness *h)
{
	if (!world_made) {
		h_world(h, &W, "IN", 0);
		world_made = true;
	}
	return &W;
}

#define unchanged(h, w, id, st, ver) do { \
	json_t *p_ = h_project_get((h), (w), (id)); \
	assert_json_str(p_, "state", (st)); \
	assert_json_int(p_, "version", (ver)); \
} while (0)

static size_t
history_len(struct harness *h, struct world *w, int64_t id)
{
	struct resp r = h_get(h, w->officer, "/v1/projects/%lld/events", (long long)id);
	assert_status(r, 200);
	return h_len(r.body, "items");
}

static void
test_version_conflict(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);
	int64_t id = h_project(h, w, NULL);

	struct resp r = h_event_v(h, w->officer, id, "submit", 0, NULL);
	assert_error(r, 409, "version_conflict");
	assert_json_int(r.body, "error.details.expected", 0);
	assert_json_int(r.body, "error.details.actual", 1);
	unchanged(h, w, id, "draft", 1);
	r = h_event_v(h, w->officer, id, "submit", 1, NULL);
	assert_project(r, "needs_review", 2);
	/* the version the submitter saw is stale for everyone now */
	r = h_event_v(h, w->reviewer, id, "approve_needs", 1, NULL);
	assert_error(r, 409, "version_conflict");
	assert_json_int(r.body, "error.details.actual", 2);
	unchanged(h, w, id, "needs_review", 2);
	assert_int_equal(history_len(h, w, id), 2);
	/* without expected_version the event applies to whatever is current */
	r = h_event(h, w->reviewer, id, "approve_needs", NULL);
	assert_project(r, "budget_review", 3);
	/* an event not allowed in the state: 409 invalid_transition */
	r = h_event_v(h, w->officer, id, "submit", 3, NULL);
	assert_error(r, 409, "invalid_transition");
	assert_json_str(r.body, "error.details.state", "budget_review");
	assert_json_str(r.body, "error.details.event", "submit");
	unchanged(h, w, id, "budget_review", 3);
}

static void
test_idempotent_retry(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);
	int64_t id = h_project(h, w, NULL);
	char path[64];
	const char *body = "{\"event\":\"submit\",\"expected_version\":1,\"payload\":{\"comment\":\"first\"}}";

	snprintf(path, sizeof path, "/v1/projects/%lld/events", (long long)id);
	struct resp a = h_req(h, "POST", path, w->officer, body, "Idempotency-Key: submit-once-1");
	assert_project(a, "needs_review", 2);
	assert_json_int(a.body, "event.seq", 2);
	/* the retry (expected_version now stale) gets the first answer */
	struct resp b = h_req(h, "POST", path, w->officer, body, "Idempotency-Key: submit-once-1");
	assert_project(b, "needs_review", 2);
	assert_json_int(b.body, "event.seq", 2);
	assert_json_str(b.body, "event.hash", h_str(a.body, "event.hash"));
	assert_int_equal(history_len(h, w, id), 2);
	unchanged(h, w, id, "needs_review", 2);

	/* the same key with another body is a client bug */
	struct resp c = h_req(h, "POST", path, w->officer,
	    "{\"event\":\"submit\",\"expected_version\":1,\"payload\":{\"comment\":\"second\"}}",
	    "Idempotency-Key: submit-once-1");
	assert_error(c, 422, "rule_violation");
	assert_rule(c, "idempotency_key_reused");
	/* also on another project */
	int64_t id2 = h_project(h, w, NULL);
	char path2[64];
	snprintf(path2, sizeof path2, "/v1/projects/%lld/events", (long long)id2);
	c = h_req(h, "POST", path2, w->officer, body, "Idempotency-Key: submit-once-1");
	assert_error(c, 422, "rule_violation");
	assert_rule(c, "idempotency_key_reused");
	unchanged(h, w, id2, "draft", 1);
	assert_int_equal(history_len(h, w, id), 2);

	/* keys are per user: another officer's same key is a new request */
	c = h_req(h, "POST", path2, w->officer2, body, "Idempotency-Key: submit-once-1");
	assert_project(c, "needs_review", 2);
	/* an empty key, or one over 200 characters, is refused */
	c = h_req(h, "POST", path2, w->reviewer, "{\"event\":\"approve_needs\",\"payload\":{}}",
	    "Idempotency-Key;");
	assert_error(c, 400, "invalid_field");
	assert_json_str(c.body, "error.details.field", "Idempotency-Key");
	char longkey[260];
	memset(longkey, 'k', sizeof longkey);
	memcpy(longkey, "Idempotency-Key: ", 17);
	longkey[17 + 201] = '\0';
	c = h_req(h, "POST", path2, w->reviewer, "{\"event\":\"approve_needs\",\"payload\":{}}", longkey);
	assert_error(c, 400, "invalid_field");
	assert_json_str(c.body, "error.details.field", "Idempotency-Key");
	unchanged(h, w, id2, "needs_review", 2);
}

static void
test_malformed_bodies(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);
	int64_t id = h_project(h, w, NULL);
	char path[64];
	snprintf(path, sizeof path, "/v1/projects/%lld/events", (long long)id);

	struct resp r = h_req(h, "POST", path, w->officer, "{\"event\":\"submit\",", NULL);
	assert_error(r, 400, "malformed");
	r = h_req(h, "POST", path, w->officer, "[\"submit\"]", NULL);
	assert_error(r, 400, "malformed");
	r = h_req(h, "POST", path, w->officer, "42", NULL);
	assert_error(r, 400, "malformed");
	r = h_req(h, "POST", path, w->officer, "", NULL);
	assert_error(r, 400, "malformed");
	r = h_req(h, "POST", path, w->officer, "{\"event\":\"submit\",\"event\":\"cancel\"}", NULL);
	assert_error(r, 400, "malformed");

	/* unknown fields, top level and in the payload */
	r = h_post(h, w->officer, path, "{\"event\":\"submit\",\"payload\":{},\"urgent\":true}");
	assert_error(r, 400, "unknown_field");
	assert_json_str(r.body, "error.details.field", "urgent");
	r = h_post(h, w->officer, path, "{\"event\":\"submit\",\"payload\":{\"priority\":1}}");
	assert_error(r, 400, "unknown_field");
	assert_json_str(r.body, "error.details.field", "priority");

	/* wrong types */
	r = h_post(h, w->officer, path, "{\"event\":\"submit\",\"expected_version\":\"1\"}");
	assert_error(r, 400, "invalid_field");
	assert_json_str(r.body, "error.details.field", "expected_version");
	r = h_post(h, w->officer, path, "{\"event\":\"submit\",\"payload\":[]}");
	assert_error(r, 400, "invalid_field");
	assert_json_str(r.body, "error.details.field", "payload");
	r = h_post(h, w->officer, path, "{\"event\":\"cancel\",\"payload\":{\"reason\":5}}");
	assert_error(r, 400, "invalid_field");
	assert_json_str(r.body, "error.details.field", "reason");
	r = h_post(h, w->officer, path, "{\"event\":\"submit\",\"payload\":{\"comment\":false}}");
	assert_error(r, 400, "invalid_field");
	assert_json_str(r.body, "error.details.field", "comment");

	/* a missing required payload field is a rule */
	r = h_post(h, w->officer, path, "{\"event\":\"cancel\",\"payload\":{}}");
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "payload_required");
	assert_json_str(r.body, "error.details.field", "reason");
	r = h_post(h, w->officer, path, "{\"payload\":{}}");
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "payload_required");
	assert_json_str(r.body, "error.details.field", "event");

	/* unknown events, routes and methods */
	r = h_post(h, w->officer, path, "{\"event\":\"teleport\",\"payload\":{}}");
	assert_error(r, 400, "invalid_field");
	assert_json_str(r.body, "error.details.field", "event");
	r = h_post(h, w->officer, path, "{\"event\":\"create\",\"payload\":{}}");
	assert_error(r, 400, "invalid_field");
	/* the clock: admins only, never back before a recorded event */
	r = h_post(h, h->admin, "/v1/admin/clock", "{\"set\":\"2020-01-01T00:00:00+08:00\"}");
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "clock_backwards");
	r = h_post(h, h->admin, "/v1/admin/clock", "{\"advance_seconds\":-5}");
	assert_error(r, 400, "invalid_field");
	r = h_post(h, h->admin, "/v1/admin/clock", "{\"advance_seconds\":1,\"set\":\"%s\"}",
	    h_time(h, 1, NULL));
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "payload_required");
	r = h_get(h, w->officer, "/v1/projectz");
	assert_error(r, 404, "not_found");
	r = h_get(h, w->officer, "/v1/projects/%lld/nothing", (long long)id);
	assert_error(r, 404, "not_found");
	r = h_req(h, "DELETE", "/v1/projects", w->officer, NULL, NULL);
	assert_error(r, 405, "method_not_allowed");
	r = h_req(h, "PUT", path, w->officer, "{}", NULL);
	assert_error(r, 405, "method_not_allowed");

	/* other bodies: creation */
	r = h_post(h, w->officer, "/v1/projects", "{\"agency\":\"%s\",\"fiscal_year\":2026,"
	    "\"title\":\"t\",\"budget_fen\":\"lots\"}", w->agency);
	assert_error(r, 400, "invalid_field");
	assert_json_str(r.body, "error.details.field", "budget_fen");
	r = h_post(h, w->officer, "/v1/projects", "{\"agency\":\"%s\",\"fiscal_year\":2026,"
	    "\"title\":\"t\",\"colour\":\"blue\"}", w->agency);
	assert_error(r, 400, "unknown_field");
	assert_json_str(r.body, "error.details.field", "colour");
	r = h_post(h, w->officer, "/v1/projects", "{\"agency\":\"%s\",\"fiscal_year\":2026}",
	    w->agency);
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "payload_required");
	assert_json_str(r.body, "error.details.field", "title");
	r = h_post(h, w->officer, "/v1/projects", "{\"agency\":\"%s\",\"fiscal_year\":2026,"
	    "\"title\":\"t\",\"service_start\":\"1 July\"}", w->agency);
	assert_error(r, 400, "invalid_field");
	assert_json_str(r.body, "error.details.field", "service_start");

	unchanged(h, w, id, "draft", 1);
	assert_int_equal(history_len(h, w, id), 1);
}

static void
test_body_too_large(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);
	int64_t id = h_project(h, w, NULL);
	char path[64], *big = xmalloc(10 * 1024 + 64);

	snprintf(path, sizeof path, "/v1/projects/%lld/events", (long long)id);
	/* max_body_bytes = 4096 in this harness's config; 10 KB is over */
	int n = snprintf(big, 64, "{\"event\":\"submit\",\"payload\":{\"comment\":\"");
	memset(big + n, 'x', 10 * 1024 - (size_t)n - 4);
	strcpy(big + 10 * 1024 - 4, "\"}}");
	assert_int_equal(strlen(big), 10 * 1024 - 1);
	struct resp r = h_req(h, "POST", path, w->officer, big, NULL);
	assert_error(r, 413, "body_too_large");
	unchanged(h, w, id, "draft", 1);
	/* just under the limit is an ordinary request */
	memset(big + n, 'y', 4000);
	strcpy(big + n + 4000, "\"}}");
	r = h_req(h, "POST", path, w->officer, big, NULL);
	assert_project(r, "needs_review", 2);
	free(big);
}

static void
test_publish_guards(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);
	int64_t id = h_project(h, w, NULL);
	int64_t v = h_drive(h, w, id, "approved", NULL);
	const char *pub = "{\"bid_deadline\":\"%s\",\"requirements\":\"registered\","
	    "\"evaluators_required\":%d,\"criteria\":%s}";

	/* 20 calendar days for a public tender: day 19 at 23:59 is one day short */
	struct resp r = h_event_v(h, w->officer, id, "publish", v, pub, h_time(h, 19, "23:59"), 2,
	    H_CRITERIA);
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "bid_window");
	assert_json_str(r.body, "error.details.method", "public_tender");
	assert_json_str(r.body, "error.details.required", "20 calendar_days");
	assert_json_str(r.body, "error.details.earliest", h_time(h, 20, "00:00"));
	unchanged(h, w, id, "approved", v);

	/* weights */
	r = h_event_v(h, w->officer, id, "publish", v, pub, h_time(h, 20, "17:00"), 2,
	    "[{\"name\":\"plan\",\"kind\":\"quality\",\"weight\":60},"
	    "{\"name\":\"price\",\"kind\":\"price\",\"weight\":20}]");
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "criteria_weights");
	assert_json_int(r.body, "error.details.sum", 80);
	r = h_event_v(h, w->officer, id, "publish", v, pub, h_time(h, 20, "17:00"), 2,
	    "[{\"name\":\"plan\",\"kind\":\"quality\",\"weight\":65},"
	    "{\"name\":\"price\",\"kind\":\"price\",\"weight\":35}]");
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "price_weight_range");
	assert_json_int(r.body, "error.details.price_weight", 35);
	assert_json_int(r.body, "error.details.min", 10);
	assert_json_int(r.body, "error.details.max", 30);
	r = h_event_v(h, w->officer, id, "publish", v, pub, h_time(h, 20, "17:00"), 2,
	    "[{\"name\":\"plan\",\"kind\":\"quality\",\"weight\":95},"
	    "{\"name\":\"price\",\"kind\":\"price\",\"weight\":5}]");
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "price_weight_range");
	r = h_event_v(h, w->officer, id, "publish", v, pub, h_time(h, 20, "17:00"), 2,
	    "[{\"name\":\"plan\",\"kind\":\"quality\",\"weight\":100}]");
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "criteria_price_count");
	r = h_event_v(h, w->officer, id, "publish", v, pub, h_time(h, 20, "17:00"), 0, H_CRITERIA);
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "evaluators_required");
	r = h_event_v(h, w->officer, id, "publish", v, "{\"bid_deadline\":\"next month\","
	    "\"requirements\":\"r\",\"evaluators_required\":1,\"criteria\":" H_CRITERIA "}");
	assert_error(r, 400, "invalid_field");
	assert_json_str(r.body, "error.details.field", "bid_deadline");
	r = h_event_v(h, w->officer, id, "publish", v, "{\"bid_deadline\":\"%s\","
	    "\"evaluators_required\":1,\"criteria\":" H_CRITERIA "}", h_time(h, 20, "17:00"));
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "payload_required");
	assert_json_str(r.body, "error.details.field", "requirements");
	unchanged(h, w, id, "approved", v);
	assert_int_equal(history_len(h, w, id), (size_t)v);

	/* exactly at the limit: the first minute of day 20 */
	r = h_event_v(h, w->officer, id, "publish", v, pub, h_time(h, 20, "00:00"), 2, H_CRITERIA);
	assert_project(r, "announced", v + 1);
	v++;
	assert_json_str(r.body, "bid_deadline", h_time(h, 20, "00:00"));

	/* bidding stays open until the deadline */
	r = h_event_v(h, w->officer, id, "close_bidding", v, NULL);
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "bid_deadline_not_reached");
	assert_json_str(r.body, "error.details.bid_deadline", h_time(h, 20, "00:00"));
	unchanged(h, w, id, "announced", v);

	/* bids: one per contractor, positive prices, before the deadline */
	struct tender t = { .n_bids = 3 };
	h_bids(h, w, id, &t);
	char path[64];
	snprintf(path, sizeof path, "/v1/projects/%lld/bids", (long long)id);
	r = h_post(h, w->officer, path, "{\"contractor_id\":%lld,\"price_fen\":1}",
	    (long long)w->contractor[0]);
	assert_error(r, 409, "conflict");
	r = h_post(h, w->officer, path, "{\"contractor_id\":%lld,\"price_fen\":0}",
	    (long long)w->contractor[3]);
	assert_error(r, 400, "invalid_field");
	assert_json_str(r.body, "error.details.field", "price_fen");
	r = h_post(h, w->officer, path, "{\"contractor_id\":999999,\"price_fen\":100}");
	assert_error(r, 404, "not_found");
	r = h_get(h, w->officer, "/v1/projects/%lld/bids", (long long)id);
	assert_int_equal(h_len(r.body, "items"), 3);
	unchanged(h, w, id, "announced", v);

	/* at the deadline the daemon closes bidding: no bid is taken after it */
	v = h_await_close(h, w, id, v, "scoring");
	r = h_post(h, w->officer, path, "{\"contractor_id\":%lld,\"price_fen\":100}",
	    (long long)w->contractor[3]);
	assert_error(r, 409, "invalid_transition");
	r = h_event_v(h, w->officer, id, "close_bidding", v, NULL);
	assert_error(r, 409, "invalid_transition");

	/* scoring: sheets within the weights, price never entered */
	r = h_event_v(h, w->officer, id, "award", v, NULL);
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "scores_incomplete");
	assert_json_int(r.body, "error.details.required", 2);
	snprintf(path, sizeof path, "/v1/projects/%lld/bids/%lld/scores", (long long)id,
	    (long long)t.bid_ids[0]);
	r = h_post(h, w->evaluator[0], path, "{\"scores\":{\"service_plan\":51,\"staffing\":10}}");
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "score_sheet");
	assert_json_str(r.body, "error.details.criterion", "service_plan");
	r = h_post(h, w->evaluator[0], path,
	    "{\"scores\":{\"service_plan\":40,\"staffing\":10,\"price\":20}}");
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "score_sheet");
	r = h_post(h, w->evaluator[0], path, "{\"scores\":{\"service_plan\":40}}");
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "score_sheet");
	assert_json_str(r.body, "error.details.criterion", "staffing");
	unchanged(h, w, id, "scoring", v);
}

static void
test_contract_and_payment_guards(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);
	int64_t id = h_project(h, w, &(struct pspec){ .budget_fen = 1000000 });
	int64_t v = h_drive(h, w, id, "awarded", NULL);
	const char *plan = "{\"interim_provider\":\"in_house\",\"handover_days\":3,"
	    "\"contacts\":[\"coordinator@example.org\"]}";

	struct resp r = h_event_v(h, w->officer, id, "sign_contract", v,
	    "{\"contract_no\":\"HT-1\",\"amount_fen\":900000}");
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "payload_required");
	assert_json_str(r.body, "error.details.field", "takeover_plan");
	r = h_event_v(h, w->officer, id, "sign_contract", v,
	    "{\"contract_no\":\"HT-1\",\"amount_fen\":900000,\"takeover_plan\":{}}");
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "takeover_plan");
	assert_int_equal(h_len(r.body, "error.details.missing"), 3);
	assert_json_str(r.body, "error.details.missing.0", "interim_provider");
	assert_json_str(r.body, "error.details.missing.1", "handover_days");
	assert_json_str(r.body, "error.details.missing.2", "contacts");
	r = h_event_v(h, w->officer, id, "sign_contract", v,
	    "{\"contract_no\":\"HT-1\",\"amount_fen\":900000,\"takeover_plan\":"
	    "{\"interim_provider\":\"in_house\",\"handover_days\":3,\"contacts\":[]}}");
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "takeover_plan");
	assert_int_equal(h_len(r.body, "error.details.missing"), 1);
	assert_json_str(r.body, "error.details.missing.0", "contacts");
	r = h_event_v(h, w->officer, id, "sign_contract", v,
	    "{\"contract_no\":\"HT-1\",\"amount_fen\":1000001,\"takeover_plan\":%s}", plan);
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "contract_over_budget");
	assert_json_int(r.body, "error.details.amount_fen", 1000001);
	assert_json_int(r.body, "error.details.budget_fen", 1000000);
	unchanged(h, w, id, "awarded", v);

	/* the whole budget is allowed */
	r = h_event_v(h, w->officer, id, "sign_contract", v,
	    "{\"contract_no\":\"HT-1\",\"amount_fen\":1000000,\"takeover_plan\":%s}", plan);
	assert_project(r, "contracted", ++v);
	v = h_drive(h, w, id, "acceptance", NULL);

	/* acceptance refused: a rectification date in the future */
	r = h_event_v(h, w->reviewer, id, "reject_acceptance", v,
	    "{\"reason\":\"two townships not visited\",\"rectify_by\":\"%s\"}", h_time(h, -1, NULL));
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "rectify_by_past");
	unchanged(h, w, id, "acceptance", v);
	v = h_drive(h, w, id, "payment", NULL);

	r = h_event_v(h, w->finance, id, "confirm_payment", v,
	    "{\"voucher_no\":\"GK-1\",\"amount_fen\":1000001}");
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "payment_over_contract");
	assert_json_int(r.body, "error.details.amount_fen", 1000001);
	assert_json_int(r.body, "error.details.contract_amount_fen", 1000000);
	r = h_event_v(h, w->finance, id, "confirm_payment", v, "{\"amount_fen\":1000}");
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "payload_required");
	assert_json_str(r.body, "error.details.field", "voucher_no");
	unchanged(h, w, id, "payment", v);
	r = h_event_v(h, w->finance, id, "confirm_payment", v,
	    "{\"voucher_no\":\"GK-1\",\"amount_fen\":1000000}");
	assert_project(r, "year_end_review", ++v);

	r = h_event_v(h, w->reviewer, id, "evaluate", v,
	    "{\"purchaser_score\":101,\"recipient_satisfaction\":80,\"third_party_score\":80}");
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "evaluation_score");
	unchanged(h, w, id, "year_end_review", v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_version_conflict, h_test_teardown),
		cmocka_unit_test_teardown(test_idempotent_retry, h_test_teardown),
		cmocka_unit_test_teardown(test_malformed_bodies, h_test_teardown),
		cmocka_unit_test_teardown(test_body_too_large, h_test_teardown),
		cmocka_unit_test_teardown(test_publish_guards, h_test_teardown),
		cmocka_unit_test_teardown(test_contract_and_payment_guards, h_test_teardown),
	};
	h_group_name = "input";
	h_group_extra_conf = "[http]\nmax_body_bytes = 4096\n";
	return cmocka_run_group_tests_name("it_input", tests, h_group_setup, h_group_teardown);
}
