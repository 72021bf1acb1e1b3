/* Integration: who may do what, and who sees what. 401 without a token,
 * 403 for a role or a separation of duties, 404 outside one's agency. */
#include "harness.h"

#include <string.h>

static struct world A, B;	/* two sibling top-level agencies */
static bool worlds_made;

static void
worlds(struct harness *h)
{
	if (!worlds_made) {
		h_world(h, &A, "ACA", 0);
		h_world(h, &B, "ACB", 0);
		worlds_made = true;
	}
}

static void
test_no_or_bad_token(void **state)
{
	struct harness *h = *state;
	worlds(h);
	int64_t id = h_project(h, &A, NULL);

	struct resp r = h_get(h, NULL, "/v1/projects/%lld", (long long)id);
	assert_error(r, 401, "unauthorized");
	r = h_get(h, "0000000000000000000000000000000000000000000000000000000000000000",
	    "/v1/projects/%lld", (long long)id);
	assert_error(r, 401, "unauthorized");
	r = h_req(h, "GET", "/v1/projects", NULL, NULL, "Authorization: Basic YWRtaW46YWRtaW4=");
	assert_error(r, 401, "unauthorized");
	r = h_req(h, "GET", "/v1/projects", NULL, NULL, "Authorization: Bearer ");
	assert_error(r, 401, "unauthorized");
	char path[64];
	snprintf(path, sizeof path, "/v1/projects/%lld/events", (long long)id);
	r = h_post(h, NULL, path, "{\"event\":\"submit\",\"payload\":{}}");
	assert_error(r, 401, "unauthorized");
	r = h_post(h, "not-a-token", "/v1/admin/clock", "{\"advance_seconds\":1}");
	assert_error(r, 401, "unauthorized");
	/* liveness and readiness need none */
	r = h_get(h, NULL, "/healthz");
	assert_status(r, 200);
	r = h_get(h, NULL, "/healthz?ready=1");
	assert_status(r, 200);
	assert_true(json_is_true(h_at(r.body, "ready")));
	json_t *p = h_project_get(h, &A, id);
	assert_json_int(p, "version", 1);
}

static void
test_roles(void **state)
{
	struct harness *h = *state;
	worlds(h);
	struct world *w = &A;
	int64_t id = h_project(h, w, NULL);
	char path[1024];

	/* an evaluator, a reviewer, an auditor do not create projects */
	const char *body = "{\"agency\":\"ACA\",\"fiscal_year\":2026,\"title\":\"x\"}";
	const char *not_officers[] = { w->evaluator[0], w->reviewer, w->auditor, w->finance,
		w->admin };
	for (size_t i = 0; i < sizeof not_officers / sizeof not_officers[0]; i++) {
		struct resp r = h_req(h, "POST", "/v1/projects", not_officers[i], body, NULL);
		assert_error(r, 403, "forbidden");
	}

	/* lifecycle roles, each in the state where the event is allowed */
	struct resp r = h_event_v(h, w->admin, id, "submit", 1, NULL);
	assert_error(r, 403, "forbidden");
	r = h_event_v(h, w->auditor, id, "submit", 1, NULL);
	assert_error(r, 403, "forbidden");
	r = h_event_v(h, w->reviewer, id, "submit", 1, NULL);
	assert_error(r, 403, "forbidden");
	r = h_event_v(h, w->officer, id, "escalate", 1, "{\"level\":1}");
	assert_error(r, 403, "forbidden");
	int64_t v = h_drive(h, w, id, "needs_review", NULL);
	r = h_event_v(h, w->officer, id, "approve_needs", v, NULL);
	assert_error(r, 403, "forbidden");
	r = h_event_v(h, w->finance, id, "approve_needs", v, NULL);
	assert_error(r, 403, "forbidden");
	v = h_drive(h, w, id, "budget_review", NULL);
	r = h_event_v(h, w->officer, id, "approve_budget", v, NULL);
	assert_error(r, 403, "forbidden");
	r = h_event_v(h, w->reviewer, id, "approve_budget", v, NULL);
	assert_error(r, 403, "forbidden");
	r = h_event_v(h, w->admin, id, "approve_budget", v, NULL);
	assert_error(r, 403, "forbidden");
	v = h_drive(h, w, id, "approved", NULL);
	r = h_event_v(h, w->reviewer, id, "publish", v,
	    "{\"bid_deadline\":\"%s\",\"requirements\":\"r\",\"evaluators_required\":1,"
	    "\"criteria\":" H_CRITERIA "}", h_time(h, 20, "17:00"));
	assert_error(r, 403, "forbidden");
	json_t *p = h_project_get(h, w, id);
	assert_json_str(p, "state", "approved");
	assert_json_int(p, "version", v);

	/* the auditor writes nothing */
	snprintf(path, sizeof path, "/v1/agencies/%s/budgets/2026", w->agency);
	r = h_put(h, w->auditor, path, "{\"special_funds_fen\":1,\"work_funds_fen\":1,"
	    "\"lottery_funds_fen\":1}");
	assert_error(r, 403, "forbidden");
	r = h_put(h, w->officer, path, "{\"special_funds_fen\":1,\"work_funds_fen\":1,"
	    "\"lottery_funds_fen\":1}");
	assert_error(r, 403, "forbidden");
	r = h_post(h, w->auditor, "/v1/catalog", "{\"code\":\"x\",\"name\":\"x\",\"category\":\"x\"}");
	assert_error(r, 403, "forbidden");
	r = h_post(h, w->officer, "/v1/catalog", "{\"code\":\"x\",\"name\":\"x\",\"category\":\"x\"}");
	assert_error(r, 403, "forbidden");
	r = h_post(h, w->auditor, "/v1/contractors", "{\"name\":\"x\"}");
	assert_error(r, 403, "forbidden");
	r = h_post(h, w->finance, "/v1/contractors", "{\"name\":\"x\"}");
	assert_error(r, 403, "forbidden");
	r = h_post(h, w->auditor, "/v1/agencies", "{\"code\":\"X1\",\"name\":\"x\","
	    "\"level\":\"township\",\"parent\":\"ACA\"}");
	assert_error(r, 403, "forbidden");
	r = h_post(h, w->auditor, "/v1/admin/clock", "{\"advance_seconds\":1}");
	assert_error(r, 403, "forbidden");
	r = h_post(h, w->officer, "/v1/admin/clock", "{\"advance_seconds\":1}");
	assert_error(r, 403, "forbidden");

	/* bids by officers, scores by evaluators */
	struct tender t = { .n_bids = 3 };
	v = h_drive(h, w, id, "announced", &t);
	snprintf(path, sizeof path, "/v1/projects/%lld/bids", (long long)id);
	r = h_post(h, w->auditor, path, "{\"contractor_id\":%lld,\"price_fen\":100}",
	    (long long)w->contractor[0]);
	assert_error(r, 403, "forbidden");
	r = h_post(h, w->evaluator[0], path, "{\"contractor_id\":%lld,\"price_fen\":100}",
	    (long long)w->contractor[0]);
	assert_error(r, 403, "forbidden");
	h_bids(h, w, id, &t);
	r = h_event_v(h, w->finance, id, "close_bidding", v, NULL);
	assert_error(r, 403, "forbidden");
	v = h_await_close(h, w, id, v, "scoring");
	snprintf(path, sizeof path, "/v1/projects/%lld/bids/%lld/scores", (long long)id,
	    (long long)t.bid_ids[0]);
	const char *sheet = "{\"scores\":{\"service_plan\":40,\"staffing\":20}}";
	const char *not_evaluators[] = { w->officer, w->reviewer, w->auditor, w->admin };
	for (size_t i = 0; i < 4; i++) {
		r = h_req(h, "POST", path, not_evaluators[i], sheet, NULL);
		assert_error(r, 403, "forbidden");
	}
	r = h_get(h, w->officer, "/v1/projects/%lld/bids", (long long)id);
	assert_json_int(r.body, "items.0.sheets", 0);

	/* the auditor reads everything in its scope */
	const char *reads[] = { "/v1/projects/%lld", "/v1/projects/%lld/events",
		"/v1/projects/%lld/bids", "/v1/projects/%lld/ranking" };
	for (size_t i = 0; i < 4; i++) {
		r = h_get(h, w->auditor, reads[i], (long long)id);
		assert_status(r, 200);
	}
	r = h_get(h, w->auditor, "/v1/agencies/ACA/budgets/2026");
	assert_status(r, 200);
	r = h_get(h, w->auditor, "/v1/contractors/%lld", (long long)w->contractor[0]);
	assert_status(r, 200);
	r = h_get(h, w->auditor, "/v1/evaluations?year=2026");
	assert_status(r, 200);
	assert_json_int(h_project_get(h, w, id), "version", v);
}

static void
test_other_agency_is_not_found(void **state)
{
	struct harness *h = *state;
	worlds(h);
	int64_t id = h_project(h, &A, NULL);
	int64_t v = h_drive(h, &A, id, "needs_review", NULL);
	const char *reads[] = { "/v1/projects/%lld", "/v1/projects/%lld/events",
		"/v1/projects/%lld/bids", "/v1/projects/%lld/ranking" };

	/* B's people do not learn that A's project exists */
	for (size_t i = 0; i < 4; i++) {
		struct resp r = h_get(h, B.auditor, reads[i], (long long)id);
		assert_error(r, 404, "not_found");
		r = h_get(h, B.officer, reads[i], (long long)999999);
		assert_error(r, 404, "not_found");
	}
	struct resp r = h_event_v(h, B.reviewer, id, "approve_needs", v, NULL);
	assert_error(r, 404, "not_found");
	r = h_event_v(h, B.reviewer, 999999, "approve_needs", v, NULL);
	assert_error(r, 404, "not_found");
	r = h_get(h, B.officer, "/v1/projects/abc");
	assert_error(r, 404, "not_found");
	r = h_get(h, B.officer, "/v1/projects/-1");
	assert_error(r, 404, "not_found");
	r = h_get(h, B.officer, "/v1/agencies/ACA");
	assert_error(r, 404, "not_found");
	r = h_get(h, B.finance, "/v1/agencies/ACA/budgets/2026");
	assert_error(r, 404, "not_found");
	r = h_put(h, B.finance, "/v1/agencies/ACA/budgets/2026",
	    "{\"special_funds_fen\":1,\"work_funds_fen\":1,\"lottery_funds_fen\":1}");
	assert_error(r, 404, "not_found");
	/* nor create projects for it */
	r = h_post(h, B.officer, "/v1/projects", "{\"agency\":\"ACA\",\"fiscal_year\":2026,"
	    "\"title\":\"x\"}");
	assert_error(r, 404, "not_found");
	json_t *p = h_project_get(h, &A, id);
	assert_json_str(p, "state", "needs_review");
	assert_json_int(p, "version", v);
}

static void
test_parent_sees_children(void **state)
{
	struct harness *h = *state;
	char prov_admin[65], prov_reviewer[65], child_officer[65], child_admin[65];
	char other_officer[65];

	harness_agency(h, "PRV", "provincial civil affairs department", "province", NULL);
	harness_user(h, "prv-admin", "admin", "PRV", prov_admin);
	harness_user(h, "prv-reviewer", "reviewer", "PRV", prov_reviewer);

	/* an admin creates agencies below its own, not beside or above it */
	struct resp r = h_post(h, prov_admin, "/v1/agencies", "{\"code\":\"PRV-C1\",\"name\":\"city one\","
	    "\"level\":\"city\",\"parent\":\"PRV\"}");
	assert_status(r, 201);
	assert_json_str(r.body, "code", "PRV-C1");
	assert_json_str(r.body, "parent", "PRV");
	r = h_post(h, prov_admin, "/v1/agencies", "{\"code\":\"PRV-C1-K1\",\"name\":\"county one\","
	    "\"level\":\"county\",\"parent\":\"PRV-C1\"}");
	assert_status(r, 201);
	r = h_post(h, prov_admin, "/v1/agencies", "{\"code\":\"TOP2\",\"name\":\"another province\","
	    "\"level\":\"province\"}");
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "parent_required");
	r = h_post(h, prov_admin, "/v1/agencies", "{\"code\":\"ACA-X\",\"name\":\"x\","
	    "\"level\":\"township\",\"parent\":\"ACA\"}");
	assert_error(r, 404, "not_found");
	r = h_post(h, prov_admin, "/v1/agencies", "{\"code\":\"PRV-C1\",\"name\":\"again\","
	    "\"level\":\"city\",\"parent\":\"PRV\"}");
	assert_error(r, 409, "conflict");
	r = h_post(h, prov_admin, "/v1/agencies", "{\"code\":\"PRV C2\",\"name\":\"bad code\","
	    "\"level\":\"city\",\"parent\":\"PRV\"}");
	assert_error(r, 400, "invalid_field");
	r = h_post(h, prov_admin, "/v1/agencies", "{\"code\":\"PRV-C2\",\"name\":\"bad level\","
	    "\"level\":\"village\",\"parent\":\"PRV\"}");
	assert_error(r, 400, "invalid_field");
	assert_json_str(r.body, "error.details.field", "level");

	harness_user(h, "k1-officer", "officer", "PRV-C1-K1", child_officer);
	harness_user(h, "k1-admin", "admin", "PRV-C1-K1", child_admin);
	harness_user(h, "other-officer", "officer", "PRV", other_officer);
	r = h_post(h, child_admin, "/v1/agencies", "{\"code\":\"PRV-C3\",\"name\":\"sibling\","
	    "\"level\":\"city\",\"parent\":\"PRV\"}");
	assert_error(r, 404, "not_found");

	r = h_post(h, child_officer, "/v1/projects", "{\"agency\":\"PRV-C1-K1\",\"fiscal_year\":2026,"
	    "\"title\":\"county project\"}");
	assert_status(r, 201);
	int64_t child_pid = h_int(r.body, "id");
	r = h_post(h, other_officer, "/v1/projects", "{\"agency\":\"PRV\",\"fiscal_year\":2026,"
	    "\"title\":\"provincial project\"}");
	assert_status(r, 201);
	int64_t prov_pid = h_int(r.body, "id");

	/* the province sees the county's project, two levels down */
	r = h_get(h, prov_reviewer, "/v1/projects/%lld", (long long)child_pid);
	assert_status(r, 200);
	assert_json_str(r.body, "agency", "PRV-C1-K1");
	r = h_get(h, prov_reviewer, "/v1/projects/%lld/events", (long long)child_pid);
	assert_status(r, 200);
	r = h_get(h, prov_reviewer, "/v1/projects?agency=PRV-C1-K1");
	assert_status(r, 200);
	assert_int_equal(h_len(r.body, "items"), 1);
	assert_json_int(r.body, "items.0.id", child_pid);
	r = h_get(h, prov_admin, "/v1/agencies/PRV-C1-K1");
	assert_status(r, 200);
	assert_json_str(r.body, "parent", "PRV-C1");
	/* the county does not see the province's */
	r = h_get(h, child_officer, "/v1/projects/%lld", (long long)prov_pid);
	assert_error(r, 404, "not_found");
	r = h_get(h, child_officer, "/v1/projects");
	assert_status(r, 200);
	assert_int_equal(h_len(r.body, "items"), 1);
	assert_json_int(r.body, "items.0.id", child_pid);
	r = h_get(h, child_officer, "/v1/agencies/PRV");
	assert_error(r, 404, "not_found");

	/* the daemon keeps each agency's place in the tree for its life: the
	 * database refuses to move or delete one (migration 010), a name may be
	 * corrected */
	assert_int_equal(harness_sql(h, "UPDATE agency SET name = 'renamed' WHERE code = 'PRV'"), 0);
	assert_int_not_equal(harness_sql(h, "UPDATE agency SET parent = NULL WHERE code = 'PRV-C1'"), 0);
	assert_int_not_equal(harness_sql(h, "UPDATE agency SET lang = 'en' WHERE code = 'PRV'"), 0);
	assert_int_not_equal(harness_sql(h, "UPDATE agency SET path = '/x/' WHERE code = 'PRV'"), 0);
	r = h_post(h, prov_admin, "/v1/agencies", "{\"code\":\"PRV-C9\",\"name\":\"unused\","
	    "\"level\":\"city\",\"parent\":\"PRV\"}");
	assert_status(r, 201);	/* nothing refers to it: only the trigger stops this */
	assert_int_not_equal(harness_sql(h, "DELETE FROM agency WHERE code = 'PRV-C9'"), 0);
	assert_int_not_equal(harness_sql(h, "TRUNCATE agency CASCADE"), 0);
	r = h_get(h, child_officer, "/v1/projects/%lld", (long long)child_pid);
	assert_status(r, 200);
}

/* Each listed project once, in id order, none outside AGENCY_PREFIX. */
static void
test_list_scoped_paginated_filtered(void **state)
{
	struct harness *h = *state;
	char off1[65], off2[65];
	int64_t ids[5];

	/* two agencies whose codes differ only where one has '_' */
	harness_agency(h, "Q_1", "agency Q underscore 1", "county", NULL);
	harness_agency(h, "QX1", "agency QX1", "county", NULL);
	harness_user(h, "q_1-officer", "officer", "Q_1", off1);
	harness_user(h, "qx1-officer", "officer", "QX1", off2);
	for (int i = 0; i < 5; i++) {
		struct resp r = h_post(h, off1, "/v1/projects", "{\"agency\":\"Q_1\","
		    "\"fiscal_year\":2026,\"title\":\"listed %d\"}", i);
		assert_status(r, 201);
		ids[i] = h_int(r.body, "id");
	}
	struct resp r = h_post(h, off2, "/v1/projects", "{\"agency\":\"QX1\",\"fiscal_year\":2026,"
	    "\"title\":\"not yours\"}");
	assert_status(r, 201);
	int64_t foreign = h_int(r.body, "id");

	/* pages of two: 2, 2, 1 */
	r = h_get(h, off1, "/v1/projects?limit=2");
	assert_status(r, 200);
	assert_int_equal(h_len(r.body, "items"), 2);
	assert_json_int(r.body, "items.0.id", ids[0]);
	assert_json_int(r.body, "items.1.id", ids[1]);
	const char *next = h_str(r.body, "next");
	assert_non_null(next);
	r = h_get(h, off1, "/v1/projects?limit=2&after=%s", next);
	assert_status(r, 200);
	assert_int_equal(h_len(r.body, "items"), 2);
	assert_json_int(r.body, "items.0.id", ids[2]);
	assert_json_int(r.body, "items.1.id", ids[3]);
	next = h_str(r.body, "next");
	assert_non_null(next);
	r = h_get(h, off1, "/v1/projects?limit=2&after=%s", next);
	assert_status(r, 200);
	/* the last page: no project of agency QX1 may show up here */
	if (h_len(r.body, "items") != 1 || h_int(r.body, "items.0.id") != ids[4])
		fail_msg("the last page of Q_1's projects should be project %lld alone "
		    "(project %lld belongs to QX1): %s", (long long)ids[4], (long long)foreign,
		    r.raw);
	assert_true(json_is_null(h_at(r.body, "next")));

	/* the whole list for each officer holds only its own agency */
	r = h_get(h, off2, "/v1/projects");
	assert_int_equal(h_len(r.body, "items"), 1);
	assert_json_int(r.body, "items.0.id", foreign);
	r = h_get(h, off1, "/v1/projects/%lld", (long long)foreign);
	assert_error(r, 404, "not_found");

	/* the state filter */
	char path[64];
	snprintf(path, sizeof path, "/v1/projects/%lld/events", (long long)ids[2]);
	r = h_post(h, off1, path, "{\"event\":\"cancel\",\"payload\":{\"reason\":\"dup\"}}");
	assert_project(r, "cancelled", 2);
	r = h_get(h, off1, "/v1/projects?state=cancelled");
	assert_int_equal(h_len(r.body, "items"), 1);
	assert_json_int(r.body, "items.0.id", ids[2]);
	assert_json_str(r.body, "items.0.state", "cancelled");
	r = h_get(h, off1, "/v1/projects?state=draft&limit=3");
	assert_int_equal(h_len(r.body, "items"), 3);
	assert_json_int(r.body, "items.1.id", ids[1]);
	assert_json_int(r.body, "items.2.id", ids[3]);
	assert_non_null(h_str(r.body, "next"));
	r = h_get(h, off1, "/v1/projects?state=draft&limit=3&after=%s", h_str(r.body, "next"));
	assert_int_equal(h_len(r.body, "items"), 1);
	assert_json_int(r.body, "items.0.id", ids[4]);
	assert_true(json_is_null(h_at(r.body, "next")));

	r = h_get(h, off1, "/v1/projects?state=sleeping");
	assert_error(r, 400, "invalid_field");
	assert_json_str(r.body, "error.details.field", "state");
	r = h_get(h, off1, "/v1/projects?limit=0");
	assert_error(r, 400, "invalid_field");
	r = h_get(h, off1, "/v1/projects?after=x");
	assert_error(r, 400, "invalid_field");

	/* a history in pages (create, cancel): whole without limit, else after
	 * a sequence */
	r = h_get(h, off1, "/v1/projects/%lld/events", (long long)ids[2]);
	assert_int_equal(h_len(r.body, "items"), 2);
	assert_true(json_is_null(h_at(r.body, "next")));
	r = h_get(h, off1, "/v1/projects/%lld/events?limit=1", (long long)ids[2]);
	assert_int_equal(h_len(r.body, "items"), 1);
	assert_json_int(r.body, "items.0.seq", 1);
	assert_json_str(r.body, "next", "1");
	r = h_get(h, off1, "/v1/projects/%lld/events?limit=1&after=1", (long long)ids[2]);
	assert_int_equal(h_len(r.body, "items"), 1);
	assert_json_int(r.body, "items.0.seq", 2);
	assert_json_str(r.body, "items.0.event", "cancel");
	assert_true(json_is_null(h_at(r.body, "next")));
	r = h_get(h, off1, "/v1/projects/%lld/events?limit=0", (long long)ids[2]);
	assert_error(r, 400, "invalid_field");
	r = h_get(h, off1, "/v1/projects/%lld/events?after=-1", (long long)ids[2]);
	assert_error(r, 400, "invalid_field");
	/* a cursor past any sequence is an empty page, not a database error */
	r = h_get(h, off1, "/v1/projects/%lld/events?limit=5&after=99999999999", (long long)ids[2]);
	assert_status(r, 200);
	assert_int_equal(h_len(r.body, "items"), 0);
	r = h_get(h, off2, "/v1/projects/%lld/events?limit=1", (long long)ids[2]);
	assert_error(r, 404, "not_found");
}

static void
test_separation_of_duties(void **state)
{
	struct harness *h = *state;
	worlds(h);
	struct world *w = &A;
	char chief[65];
	harness_user(h, "ACA-section-chief", "officer,reviewer", "ACA", chief);

	int64_t id = h_project(h, w, NULL);
	struct resp r = h_event_v(h, chief, id, "submit", 1, NULL);
	assert_project(r, "needs_review", 2);
	r = h_event_v(h, chief, id, "approve_needs", 2, NULL);
	assert_error(r, 403, "separation_of_duties");
	json_t *p = h_project_get(h, w, id);
	assert_json_str(p, "state", "needs_review");
	assert_json_int(p, "version", 2);
	/* another reviewer may */
	r = h_event_v(h, w->reviewer, id, "approve_needs", 2, NULL);
	assert_project(r, "budget_review", 3);

	int64_t v = h_drive(h, w, id, "in_service", NULL);
	r = h_event_v(h, chief, id, "complete_service", v, NULL);
	assert_project(r, "acceptance", ++v);
	r = h_event_v(h, chief, id, "accept", v, "{\"report\":\"fine\"}");
	assert_error(r, 403, "separation_of_duties");
	p = h_project_get(h, w, id);
	assert_json_str(p, "state", "acceptance");
	assert_json_int(p, "version", v);
	/* another reviewer accepts */
	r = h_event_v(h, w->reviewer2, id, "accept", v, "{\"report\":\"fine\"}");
	assert_project(r, "payment", ++v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_no_or_bad_token, h_test_teardown),
		cmocka_unit_test_teardown(test_roles, h_test_teardown),
		cmocka_unit_test_teardown(test_other_agency_is_not_found, h_test_teardown),
		cmocka_unit_test_teardown(test_parent_sees_children, h_test_teardown),
		cmocka_unit_test_teardown(test_list_scoped_paginated_filtered, h_test_teardown),
		cmocka_unit_test_teardown(test_separation_of_duties, h_test_teardown),
	};
	h_group_name = "access";
	return cmocka_run_group_tests_name("it_access", tests, h_group_setup, h_group_teardown);
}
