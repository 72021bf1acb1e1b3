/* Integration: the console, served by procurd and used in a real headless
 * Chromium (tests/browser/console.py, Debian's python3-selenium). This
 * side makes the people and the projects, checks the headers every file
 * carries, and runs the browser; its screenshots are kept in
 * $PROCURD_BUILD/tests/console-shots. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


/* The console's files: strict headers, their types, a validator that
 * answers 304; nothing outside web/ and no directory listing. */
static void
test_files_and_headers(void **state)
{
	struct harness *h = *state;
	struct resp r = h_req(h, "GET", "/", NULL, NULL, NULL);
	assert_status(r, 200);
	assert_non_null(strstr(r.raw, "<script type=\"module\" src=\"/app.js\">"));
	const char *must[] = {
		"Content-Type: text/html; charset=utf-8",
		"Content-Security-Policy: default-src 'self'; base-uri 'none'; form-action 'self'; "
		"frame-ancestors 'none'; object-src 'none'",
		"X-Content-Type-Options: nosniff", "Referrer-Policy: same-origin",
		"X-Frame-Options: DENY", "Cache-Control: no-cache", "ETag: \"",
	};
	for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
		if (strstr(r.headers, must[i]) == NULL)
			fail_msg("GET / lacks \"%s\":\n%s", must[i], r.headers);
	/* no inline script or style anywhere in the page */
	assert_null(strstr(r.raw, "<script>"));
	assert_null(strstr(r.raw, "style="));
	assert_null(strstr(r.raw, "<style"));

	const char *etag = strstr(r.headers, "ETag: ") + 6;
	char inm[128];
	snprintf(inm, sizeof inm, "If-None-Match: %.*s", (int)strcspn(etag, "\r\n"), etag);
	r = h_req(h, "GET", "/", NULL, NULL, inm);
	assert_int_equal(r.status, 304);

	r = h_req(h, "GET", "/app.js", NULL, NULL, NULL);
	assert_status(r, 200);
	assert_non_null(strstr(r.headers, "Content-Type: text/javascript; charset=utf-8"));
	r = h_req(h, "GET", "/style.css", NULL, NULL, NULL);
	assert_non_null(strstr(r.headers, "Content-Type: text/css; charset=utf-8"));
	/* the API's answers carry the same policy */
	r = h_req(h, "GET", "/healthz", NULL, NULL, NULL);
	assert_non_null(strstr(r.headers, "Content-Security-Policy: default-src 'self'"));
	/* only the files there, named exactly */
	r = h_req(h, "GET", "/../config/procurd.conf", NULL, NULL, NULL);
	assert_true(r.status == 404 || r.status == 400);
	r = h_req(h, "GET", "/i18n", NULL, NULL, NULL);
	assert_error(r, 404, "not_found");
	r = h_req(h, "GET", "/.git/config", NULL, NULL, NULL);
	assert_error(r, 404, "not_found");
	r = h_req(h, "HEAD", "/app.js", NULL, NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.raw, "");
}

/* The lifecycle as the daemon runs it, and the caller's tasks. */
static void
test_lifecycle_and_tasks(void **state)
{
	struct harness *h = *state;
	struct world w;
	h_world(h, &w, "TSK", 0);
	int64_t id = h_project(h, &w, &(struct pspec){ .title = "tasks" });
	struct resp r = h_get(h, w.officer, "/v1/lifecycle");
	assert_status(r, 200);
	assert_true(json_array_size(h_at(r.body, "transitions")) > 20);
	assert_json_str(r.body, "states.0.name", "draft");

	r = h_get(h, w.officer, "/v1/tasks?agency=TSK");
	assert_status(r, 200);
	assert_json_int(r.body, "items.0.project.id", id);
	assert_json_str(r.body, "items.0.events.0", "submit");
	assert_json_int(r.body, "counts.draft", 1);
	/* the reviewer has nothing to do with a draft */
	r = h_get(h, w.reviewer, "/v1/tasks?agency=TSK");
	assert_int_equal(json_array_size(h_at(r.body, "items")), 0);
	r = h_event(h, w.officer, id, "submit", "{}");
	assert_status(r, 200);
	r = h_get(h, w.reviewer, "/v1/tasks?agency=TSK");
	assert_json_int(r.body, "items.0.project.id", id);
	assert_false(json_is_true(h_at(r.body, "items.0.overdue")));
	assert_true(json_integer_value(h_at(r.body, "items.0.working_days_left")) > 0);
	h_clock_advance(h, 10 * 86400);
	r = h_get(h, w.reviewer, "/v1/tasks?agency=TSK&overdue=true");
	assert_json_int(r.body, "items.0.project.id", id);
	assert_true(json_is_true(h_at(r.body, "items.0.overdue")));
	assert_true(json_integer_value(h_at(r.body, "items.0.working_days_left")) < 0);
	/* the counts follow the moves: three drafts, one submitted, then the
	 * deltas folded (the scheduler's look after the clock moved a minute)
	 * and still the same figures as a count of the rows */
	int64_t more[3];
	for (int i = 0; i < 3; i++)
		more[i] = h_project(h, &w, &(struct pspec){ .title = "counted" });
	r = h_event(h, w.officer, more[0], "submit", "{}");
	assert_status(r, 200);
	r = h_get(h, w.officer, "/v1/tasks?agency=TSK");
	assert_json_int(r.body, "counts.draft", 2);
	r = h_get(h, w.reviewer, "/v1/tasks?agency=TSK");
	assert_json_int(r.body, "counts.needs_review", 2);
	char rows_before[32], rows_after[32];
	assert_int_equal(harness_sql_value(h, "SELECT count(*) FROM project_count "
	    "WHERE agency = 'TSK'", rows_before, sizeof rows_before), 0);
	assert_true(atoi(rows_before) > 2);
	h_clock_advance(h, 120);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(harness_sql_value(h, "SELECT count(*) FROM project_count "
		    "WHERE agency = 'TSK'", rows_after, sizeof rows_after), 0);
		if (atoi(rows_after) == 2)	/* one row each: draft, needs_review */
			break;
		usleep(50000);
	}
	if (strcmp(rows_after, "2") != 0)
		harness_print_log(h);
	assert_string_equal(rows_after, "2");
	r = h_get(h, w.reviewer, "/v1/tasks?agency=TSK");
	assert_json_int(r.body, "counts.needs_review", 2);
	r = h_get(h, w.officer, "/v1/tasks?agency=TSK");
	assert_json_int(r.body, "counts.draft", 2);
	r = h_get(h, w.reviewer, "/v1/tasks?agency=TSK&overdue=true");
	assert_json_int(r.body, "counts.needs_review", 1);	/* the first only */
	/* the project list's overdue filter is the inbox's: past the due time */
	r = h_get(h, w.reviewer, "/v1/projects?agency=TSK&overdue=true");
	assert_status(r, 200);
	assert_int_equal(json_array_size(h_at(r.body, "items")), 1);
	assert_json_int(r.body, "items.0.id", id);
	r = h_get(h, w.reviewer, "/v1/projects?agency=TSK&overdue=false");
	assert_int_equal(json_array_size(h_at(r.body, "items")), 3);
	r = h_get(h, w.reviewer, "/v1/projects?agency=TSK");
	assert_int_equal(json_array_size(h_at(r.body, "items")), 4);
	/* scope: another agency's reviewer sees none of it */
	struct world o;
	h_world(h, &o, "TSO", 0);
	r = h_get(h, o.reviewer, "/v1/tasks?agency=TSK");
	assert_int_equal(json_array_size(h_at(r.body, "items")), 0);
	/* the chain, checked for the project page */
	r = h_get(h, w.reviewer, "/v1/projects/%lld/verify", (long long)id);
	assert_status(r, 200);
	assert_true(json_is_true(h_at(r.body, "intact")));
	assert_true(h_int(r.body, "events") >= 2);	/* created, submitted, escalated */
	char sql[256];
	snprintf(sql, sizeof sql, "ALTER TABLE project_event DISABLE TRIGGER USER; "
	    "UPDATE project_event SET payload = '{\"forged\": true}' WHERE project_id = %lld "
	    "AND seq = 1; ALTER TABLE project_event ENABLE TRIGGER USER", (long long)id);
	assert_int_equal(harness_sql(h, sql), 0);
	r = h_get(h, w.reviewer, "/v1/projects/%lld/verify", (long long)id);
	assert_false(json_is_true(h_at(r.body, "intact")));
	assert_json_int(r.body, "broken_at_seq", 1);
	r = h_get(h, o.reviewer, "/v1/projects/%lld/verify", (long long)id);
	assert_error(r, 404, "not_found");
	/* a project's deadlines and notifications, in scope only */
	r = h_get(h, w.reviewer, "/v1/deadlines?project=%lld", (long long)id);
	assert_status(r, 200);
	r = h_get(h, w.reviewer, "/v1/notifications?project=%lld", (long long)id);
	assert_status(r, 200);
	assert_true(json_array_size(h_at(r.body, "items")) > 0);	/* the submit's, the escalations' */
	r = h_get(h, o.reviewer, "/v1/notifications?project=%lld", (long long)id);
	assert_error(r, 404, "not_found");
	r = h_get(h, o.reviewer, "/v1/deadlines?project=%lld", (long long)id);
	assert_error(r, 404, "not_found");
	r = h_get(h, w.reviewer, "/v1/deadlines?project=x");
	assert_error(r, 400, "invalid_field");
	/* the console's language, kept for the user */
	r = h_put(h, w.officer, "/v1/me/language", "{\"lang\":\"fr\"}");
	assert_error(r, 400, "invalid_field");
	r = h_put(h, w.officer, "/v1/me/language", "{\"lang\":\"en\",\"x\":1}");
	assert_int_equal(r.status, 400);
	r = h_put(h, w.officer, "/v1/me/language", "{\"lang\":\"en\"}");
	assert_status(r, 200);
	assert_json_str(r.body, "lang", "en");
	r = h_get(h, w.officer, "/v1/me");
	assert_json_str(r.body, "lang", "en");
	/* the methods with their statutory windows, for the new-project form */
	r = h_get(h, w.officer, "/v1/lifecycle");
	assert_json_str(r.body, "methods.0.name", "public_tender");
	assert_json_int(r.body, "methods.0.bid_window.count", 20);
	assert_json_str(r.body, "methods.0.bid_window.unit", "calendar_days");
	/* the agency tree in scope, the calendar's years for an admin */
	r = h_get(h, w.officer, "/v1/agencies");
	assert_status(r, 200);
	assert_json_str(r.body, "items.0.code", "TSK");
	assert_null(strstr(r.raw, "\"TSO\""));
	r = h_get(h, w.admin, "/v1/calendar");
	assert_status(r, 200);
	assert_true(json_is_true(h_at(r.body, "items.0.loaded")));
	r = h_get(h, w.officer, "/v1/calendar");
	assert_error(r, 403, "forbidden");
	/* contractors by a part of the name (no pattern characters) or the code */
	r = h_get(h, w.officer, "/v1/contractors?q=TSK%%20social");
	assert_status(r, 200);
	assert_true(json_array_size(h_at(r.body, "items")) >= 3);
	assert_true(json_is_true(h_at(r.body, "items.0.qualified")));
	char code[64];
	snprintf(code, sizeof code, "%s", json_string_value(h_at(r.body, "items.0.credit_code")));
	r = h_get(h, w.officer, "/v1/contractors?q=%s", code);
	assert_int_equal(json_array_size(h_at(r.body, "items")), 1);
	r = h_get(h, w.officer, "/v1/contractors?q=%%25");
	assert_int_equal(json_array_size(h_at(r.body, "items")), 0);
	r = h_get(h, w.officer, "/v1/contractors?q=");
	assert_error(r, 400, "invalid_field");
	r = h_get(h, w.reviewer, "/v1/tasks?after=nonsense");
	assert_error(r, 400, "invalid_field");
	r = h_get(h, w.reviewer, "/v1/tasks?state=nowhere");
	assert_error(r, 400, "invalid_field");
}

/* People at work, in Chromium. */
static void
test_in_the_browser(void **state)
{
	struct harness *h = *state;
	struct world w;
	char officer_pw[17], reviewer_pw[17], facts[2048], out[512];
	h_world(h, &w, "CON", 0);
	int64_t draft = h_project(h, &w, &(struct pspec){ .title = "社区居家养老服务" });
	int64_t late = h_project(h, &w, &(struct pspec){ .title = "困难群众走访" });
	struct resp r = h_event(h, w.officer, late, "submit", "{}");
	assert_status(r, 200);
	/* two special-funds projects for finance: one over the 2 % cap (the
	 * world's special funds are ¥100,000,000: the cap is ¥2,000,000) */
	int64_t over = h_project(h, &w, &(struct pspec){ .title = "超额的专项项目",
	    .funding = "special_funds", .budget_fen = 300000000 });
	int64_t within = h_project(h, &w, &(struct pspec){ .title = "额度内的专项项目",
	    .funding = "special_funds", .budget_fen = 50000000 });
	h_drive(h, &w, over, "budget_review", NULL);
	h_drive(h, &w, within, "budget_review", NULL);
	/* a tender in scoring, for an evaluator's sheets */
	struct tender tn = { .n_bids = 3 };
	int64_t scoring = h_project(h, &w, &(struct pspec){ .title = "待评审的招标" });
	h_drive(h, &w, scoring, "scoring", &tn);
	h_clock_advance(h, 10 * 86400);	/* its needs review is overdue now */
	harness_one_time(h, "CON-officer", officer_pw);
	harness_one_time(h, "CON-reviewer", reviewer_pw);
	char admin_pw[17], finance_pw[17], evaluator_pw[17], credit[19];
	h_credit_code(h, credit);
	harness_one_time(h, "CON-evaluator0", evaluator_pw);
	harness_one_time(h, "CON-admin", admin_pw);
	harness_one_time(h, "CON-finance", finance_pw);

	/* a bid deadline well past public tender's 20 days, in the calendar's
	 * zone as a datetime-local input holds it */
	char bid_deadline[32];
	time_t bd = (time_t)(h->now / 1000000) + 40 * 86400 + 8 * 3600;
	struct tm tm;
	gmtime_r(&bd, &tm);
	strftime(bid_deadline, sizeof bid_deadline, "%Y-%m-%dT10:00", &tm);
	snprintf(out, sizeof out, "%s/tests/console-shots", getenv("PROCURD_BUILD") ?
	    getenv("PROCURD_BUILD") : "build");
	snprintf(facts, sizeof facts, "{\"admin\":\"CON-admin\",\"admin_pw\":\"%s\","
	    "\"finance\":\"CON-finance\",\"finance_pw\":\"%s\",\"over_id\":%lld,"
	    "\"within_id\":%lld,\"evaluator\":\"CON-evaluator0\",\"evaluator_pw\":\"%s\","
	    "\"scoring_id\":%lld,\"credit_code\":\"%s\","
	    "\"officer\":\"CON-officer\",\"officer_pw\":\"%s\","
	    "\"reviewer\":\"CON-reviewer\",\"reviewer_pw\":\"%s\",\"draft_id\":%lld,"
	    "\"draft_title\":\"社区居家养老服务\",\"overdue_title\":\"困难群众走访\",\"late_id\":%lld,"
	    "\"item\":\"%s\",\"officer_token\":\"%s\",\"bid_deadline\":\"%s\"}",
	    admin_pw, finance_pw, (long long)over, (long long)within, evaluator_pw,
	    (long long)scoring, credit, officer_pw, reviewer_pw,
	    (long long)draft, (long long)late, w.item, w.officer, bid_deadline);
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/browser/console.py %s %s",
	    getenv("PROCURD_ROOT") ? getenv("PROCURD_ROOT") : ".", h->url, out);
	fflush(NULL);
	FILE *p = popen(cmd, "w");
	assert_non_null(p);
	fputs(facts, p);
	int rc = pclose(p);
	if (rc != 0) {
		harness_print_log(h);
		fail_msg("the browser test failed (exit %d); screenshots in %s", WEXITSTATUS(rc), out);
	}
	/* what the browser did, as the API sees it */
	json_t *pj = h_project_get(h, &w, draft);
	assert_json_str(pj, "state", "needs_review");
	assert_json_str(h_project_get(h, &w, over), "state", "budget_review");
	assert_json_str(h_project_get(h, &w, within), "state", "announced");
	/* the project the officer typed: the budget exact in fen, submitted */
	char made[64];
	assert_int_equal(harness_sql_value(h, "SELECT budget_fen || ' ' || state || ' ' || method "
	    "FROM project WHERE title = '浏览器新建的社工服务'", made, sizeof made), 0);
	assert_string_equal(made, "123429 needs_review public_tender");
	/* the reviewer's English, remembered for the reviewer */
	char lang[8];
	assert_int_equal(harness_sql_value(h, "SELECT lang FROM app_user WHERE name = 'CON-reviewer'",
	    lang, sizeof lang), 0);
	assert_string_equal(lang, "en");
	/* the evaluator's sheets, as the API sees them */
	r = h_get(h, w.officer, "/v1/projects/%lld/bids", (long long)scoring);
	assert_json_int(r.body, "items.0.sheets", 1);
	assert_json_int(r.body, "items.1.sheets", 1);
	assert_json_int(r.body, "items.2.sheets", 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_files_and_headers, h_test_teardown),
		cmocka_unit_test_teardown(test_lifecycle_and_tasks, h_test_teardown),
		cmocka_unit_test_teardown(test_in_the_browser, h_test_teardown),
	};
	h_group_name = "console";
	return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
