/* Next year's funding plan (003 §3.5): computed from the contracts running
 * into the year, the positions to keep and the projects approved for it;
 * reported by the agency's officer, confirmed or returned by finance at
 * its level, each step an event in a hash-chained history; a plan not
 * reported in time escalates, once, however many daemons look. */
#include "harness.h"

#include <stdio.h>
#include <string.h>

static int64_t
contracted(struct harness *h, struct world *w, const struct pspec *spec)
{
	int64_t id = h_project(h, w, spec);
	h_drive(h, w, id, "contracted", NULL);
	return id;
}

/* The line of COMPONENT for project ID in the plan O: its amount. */
static int64_t
line_amount(json_t *o, const char *component, int64_t id)
{
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(o, "lines"), i, l)
		if (!strcmp(json_string_value(json_object_get(l, "component")), component) &&
		    json_integer_value(json_object_get(l, "project_id")) == id)
			return json_integer_value(json_object_get(l, "amount_fen"));
	return -1;
}

static void
test_plan_computed_reported_confirmed(void **state)
{
	struct harness *h = *state;
	harness_agency(h, "FPC", "FPC city bureau", "city", NULL);
	struct world w;
	h_world_under(h, &w, "FPX", "FPC", 0, 2027);

	/* a contract of 2026 running to mid-2027 (special funds) */
	struct pspec run = { .funding = "special_funds", .service_end = "2027-06-30" };
	int64_t a = contracted(h, &w, &run);
	json_t *pa = h_project_get(h, &w, a);
	int64_t amount = h_int(pa, "contract.amount_fen");
	const char *start = h_str(pa, "service_start");
	int y, m, d;
	assert_int_equal(sscanf(start, "%d-%d-%d", &y, &m, &d), 3);
	int64_t total_days = days_from_civil(2027, 6, 30) - days_from_civil(y, m, d) + 1;
	int64_t in_2027 = days_from_civil(2027, 6, 30) - days_from_civil(2027, 1, 1) + 1;
	/* 2026's caseworkers, whose contract ends with the year: kept in 2027 */
	struct pspec staff = { .positions_json = "[{\"unit\":\"FPX\",\"count\":3,"
	    "\"annual_wage_fen\":6000000,\"households\":1000}]" };
	int64_t b = contracted(h, &w, &staff);
	/* a project for 2027 with its budget approved */
	struct pspec next = { .fiscal_year = 2027, .budget_fen = 2500000,
	    .service_start = "2027-01-01", .service_end = "2027-12-31" };
	int64_t c = h_project(h, &w, &next);
	h_drive(h, &w, c, "approved", NULL);
	/* a 2027 draft is not approved: not in the plan */
	h_project(h, &w, &next);

	struct resp r = h_get(h, w.officer, "/v1/agencies/FPX/funding-plan/2027");
	assert_status(r, 200);
	assert_json_str(r.body, "state", "open");
	assert_json_int(r.body, "version", 0);
	assert_json_str(r.body, "due_at", "2027-01-01T00:00:00+08:00");
	assert_int_equal(h_len(r.body, "lines"), 3);
	assert_int_equal(line_amount(r.body, "running_contracts", a), amount * in_2027 / total_days);
	assert_int_equal(line_amount(r.body, "positions_to_keep", b), 18000000);
	assert_int_equal(line_amount(r.body, "approved_projects", c), 2500000);
	assert_json_str(r.body, "by_funding_source.0.funding_source", "special_funds");
	assert_json_int(r.body, "by_funding_source.0.running_contracts_fen",
	    amount * in_2027 / total_days);
	assert_json_int(r.body, "by_funding_source.1.positions_to_keep_fen", 18000000);
	assert_json_int(r.body, "by_funding_source.1.approved_projects_fen", 2500000);
	assert_json_int(r.body, "total_fen", amount * in_2027 / total_days + 18000000 + 2500000);
	/* against the 2 % cap of the 2027 budget */
	assert_json_int(r.body, "cap.basis_year", 2027);
	assert_json_int(r.body, "cap.cap_fen", 200000000);
	assert_json_int(r.body, "cap.special_need_fen", amount * in_2027 / total_days);
	assert_true(json_is_true(h_at(r.body, "cap.within")));
	printf("funding plan FPX 2027:\n%s\n", r.raw);

	/* finance does not report; an officer of another agency neither */
	r = h_post(h, w.finance, "/v1/agencies/FPX/funding-plan/2027/events", "{\"event\":\"report\"}");
	assert_error(r, 403, "forbidden");
	char city_officer[65];
	harness_user(h, "FPC-officer", "officer", "FPC", city_officer);
	r = h_post(h, city_officer, "/v1/agencies/FPX/funding-plan/2027/events",
	    "{\"event\":\"report\"}");
	assert_error(r, 403, "forbidden");
	r = h_post(h, w.officer, "/v1/agencies/FPX/funding-plan/2027/events",
	    "{\"event\":\"confirm\"}");
	assert_error(r, 403, "forbidden");
	r = h_post(h, w.officer, "/v1/agencies/FPX/funding-plan/2027/events", "{\"event\":\"fly\"}");
	assert_error(r, 400, "invalid_field");
	r = h_post(h, w.officer, "/v1/agencies/FPX/funding-plan/2027/events",
	    "{\"event\":\"report\",\"payload\":{\"x\":1}}");
	assert_error(r, 400, "invalid_field");

	/* the officer reports: the figures are kept as they stand */
	r = h_post(h, w.officer, "/v1/agencies/FPX/funding-plan/2027/events",
	    "{\"event\":\"report\",\"expected_version\":0,\"payload\":{\"comment\":\"含续聘社工\"}}");
	assert_status(r, 200);
	assert_json_str(r.body, "state", "reported");
	assert_json_int(r.body, "version", 1);
	assert_json_int(r.body, "reported.total_fen", amount * in_2027 / total_days + 20500000);
	assert_true(json_is_null(h_at(r.body, "next_escalation_at")));
	r = h_post(h, w.officer, "/v1/agencies/FPX/funding-plan/2027/events",
	    "{\"event\":\"report\"}");
	assert_error(r, 409, "invalid_transition");
	/* finance returns it without a reason: refused; with one: open again */
	r = h_post(h, w.finance, "/v1/agencies/FPX/funding-plan/2027/events", "{\"event\":\"return\"}");
	assert_error(r, 422, "rule_violation");
	r = h_post(h, w.finance, "/v1/agencies/FPX/funding-plan/2027/events",
	    "{\"event\":\"return\",\"payload\":{\"reason\":\"岗位测算缺少工资依据\"}}");
	assert_status(r, 200);
	assert_json_str(r.body, "state", "open");
	assert_non_null(h_str(r.body, "next_escalation_at"));
	r = h_post(h, w.officer, "/v1/agencies/FPX/funding-plan/2027/events",
	    "{\"event\":\"report\",\"expected_version\":1}");
	assert_error(r, 409, "version_conflict");
	r = h_post(h, w.officer, "/v1/agencies/FPX/funding-plan/2027/events",
	    "{\"event\":\"report\",\"expected_version\":2}");
	assert_status(r, 200);
	/* the user who reported may not confirm, whatever roles it holds */
	char both[65];
	harness_user(h, "FPX-both", "officer,finance", "FPX", both);
	r = h_post(h, both, "/v1/agencies/FPX/funding-plan/2027/events",
	    "{\"event\":\"return\",\"payload\":{\"reason\":\"again\"}}");
	assert_status(r, 200);
	r = h_post(h, both, "/v1/agencies/FPX/funding-plan/2027/events", "{\"event\":\"report\"}");
	assert_status(r, 200);
	r = h_post(h, both, "/v1/agencies/FPX/funding-plan/2027/events", "{\"event\":\"confirm\"}");
	assert_error(r, 403, "separation_of_duties");
	r = h_post(h, w.finance, "/v1/agencies/FPX/funding-plan/2027/events",
	    "{\"event\":\"confirm\"}");
	assert_status(r, 200);
	assert_json_str(r.body, "state", "confirmed");
	assert_int_equal(h_len(r.body, "history"), 6);
	assert_json_str(r.body, "history.5.event", "confirm");
	assert_json_str(r.body, "history.5.actor", "FPX-finance");
	/* the history is chained: each event's prev_hash is its predecessor's hash */
	for (int i = 1; i < 6; i++) {
		char a1[32], a2[32];
		snprintf(a1, sizeof a1, "history.%d.prev_hash", i);
		snprintf(a2, sizeof a2, "history.%d.hash", i - 1);
		assert_string_equal(h_str(r.body, a1), h_str(r.body, a2));
	}
	/* the chain verifies, and a changed row is caught */
	char out[4096], want[128], jn[32];
	assert_int_equal(harness_ctl(h, out, sizeof out, "verify", (char *)NULL), 0);
	assert_non_null(strstr(out, "funding plan"));
	/* in parts, every event counted once (ranges of projects meet, not overlap) */
	assert_int_equal(harness_sql_value(h, "SELECT count(*) || ' events in ' || "
	    "(SELECT count(DISTINCT project_id) FROM project_event) || ' projects' FROM project_event",
	    want, sizeof want), 0);
	for (int jobs = 1; jobs <= 3; jobs++) {
		snprintf(jn, sizeof jn, "%d", jobs);
		assert_int_equal(harness_ctl(h, out, sizeof out, "verify", "--jobs", jn, (char *)NULL), 0);
		if (strstr(out, want) == NULL)
			fail_msg("verify --jobs %d: %s (want %s)", jobs, out, want);
	}
	assert_int_equal(harness_ctl(h, out, sizeof out, "verify", "--jobs", "0", (char *)NULL), 2);
	/* finance heard of each report, the officer of the confirmation */
	char n[32];
	assert_int_equal(harness_sql_value(h, "SELECT count(*) FROM outbox WHERE template = "
	    "'funding_plan_reported' AND recipient = 'agency:FPX:finance'", n, sizeof n), 0);
	assert_string_equal(n, "3");
	assert_int_equal(harness_sql_value(h, "SELECT count(*) FROM outbox WHERE template = "
	    "'funding_plan_confirmed' AND recipient = 'agency:FPX:officer'", n, sizeof n), 0);
	assert_string_equal(n, "1");
	/* the parent city reads its child's plan; a sibling's officer does not */
	r = h_get(h, city_officer, "/v1/agencies/FPX/funding-plan/2027");
	assert_status(r, 200);
	struct world o;
	h_world(h, &o, "FPO", 0);
	r = h_get(h, o.officer, "/v1/agencies/FPX/funding-plan/2027");
	assert_error(r, 404, "not_found");
}

/* Not reported by the due day: a reminder, the agency's reviewers at the
 * due time, the parent's after five days; a confirmed plan stays quiet. */
static void
test_plan_escalates(void **state)
{
	struct harness *h = *state;
	/* a county of the city that will not report */
	struct world y;
	h_world_under(h, &y, "FPY", "FPC", 0, 2026);
	h_clock_set(h, "2027-01-07T09:00:00+08:00");
	char n[256];
	/* every agency's plan for 2027 was opened and went through its levels */
	for (int i = 0; i < 100; i++) {
		assert_int_equal(harness_sql_value(h, "SELECT min(escalated) FROM funding_plan WHERE "
		    "agency IN ('FPO', 'FPY') AND year = 2027", n, sizeof n), 0);
		if (!strcmp(n, "3"))
			break;
		h_sleep_ms(100);
	}
	assert_string_equal(n, "3");
	struct resp r = h_get(h, y.auditor, "/v1/agencies/FPY/funding-plan/2027");
	assert_status(r, 200);
	assert_json_int(r.body, "escalated", 3);
	assert_int_equal(h_len(r.body, "history"), 3);
	assert_json_str(r.body, "history.0.event", "escalate");
	assert_json_str(r.body, "history.0.actor", "procurd");
	assert_json_int(r.body, "history.0.payload.level", 1);
	assert_json_int(r.body, "history.2.payload.level", 3);
	assert_true(json_is_null(h_at(r.body, "next_escalation_at")));
	/* a reminder to its officers, its reviewers at the due time, the
	 * city's reviewers five days on */
	assert_int_equal(harness_sql_value(h, "SELECT string_agg(recipient || ' ' || template, ', ' "
	    "ORDER BY id) FROM outbox WHERE data->>'agency' = 'FPY'", n, sizeof n), 0);
	assert_string_equal(n, "agency:FPY:officer funding_plan_reminder, agency:FPY:reviewer "
	    "funding_plan_overdue, agency:FPC:reviewer funding_plan_overdue");
	/* the plan reported and confirmed in time stays quiet */
	assert_int_equal(harness_sql_value(h, "SELECT count(*) FROM funding_plan_event WHERE "
	    "agency = 'FPX' AND year = 2027 AND event = 'escalate'", n, sizeof n), 0);
	assert_string_equal(n, "0");
	/* 2026's plans, a year begun when the daemon came, were not opened late */
	assert_int_equal(harness_sql_value(h, "SELECT count(*) FROM funding_plan WHERE year = 2026",
	    n, sizeof n), 0);
	assert_string_equal(n, "0");
	/* each level once, whatever the daemon's looks */
	h_clock_advance(h, 3600);
	h_sleep_ms(300);
	assert_int_equal(harness_sql_value(h, "SELECT count(*) FROM (SELECT 1 FROM "
	    "funding_plan_event WHERE event = 'escalate' GROUP BY agency, year, payload->>'level' "
	    "HAVING count(*) > 1) d", n, sizeof n), 0);
	assert_string_equal(n, "0");
	/* a late plan can still be reported: the escalations stop */
	r = h_post(h, y.officer, "/v1/agencies/FPY/funding-plan/2027/events", "{\"event\":\"report\"}");
	assert_status(r, 200);
	assert_json_int(r.body, "version", 4);
	char out[4096];
	assert_int_equal(harness_ctl(h, out, sizeof out, "verify", (char *)NULL), 0);
	/* an event altered behind the daemon's back is caught */
	assert_int_equal(harness_sql(h, "ALTER TABLE funding_plan_event DISABLE TRIGGER "
	    "funding_plan_event_no_update; UPDATE funding_plan_event SET payload = '{\"level\":9}' "
	    "WHERE agency = 'FPY' AND seq = 2; ALTER TABLE funding_plan_event ENABLE TRIGGER "
	    "funding_plan_event_no_update"), 0);
	assert_int_equal(harness_ctl(h, out, sizeof out, "verify", (char *)NULL), 1);
	assert_non_null(strstr(out, "funding plan FPY/2027 event 2"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_plan_computed_reported_confirmed, h_test_teardown),
		cmocka_unit_test_teardown(test_plan_escalates, h_test_teardown),
	};
	h_group_name = "funding";
	return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
