/* Who hears of an event, and in which language. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "notice.h"

static struct notice_ctx
ctx(enum lc_event ev, const char *name, enum lc_state from, enum lc_state to, json_t *payload)
{
	struct notice_ctx n = { ev, name, from, to, "430102", "4301", 7, "社会救助经办",
		"li.ming", payload, NULL, "zh", "en" };
	return n;
}

static const char *
field(json_t *rows, size_t i, const char *k)
{
	return json_string_value(json_object_get(json_array_get(rows, i), k));
}

static void
test_submit_tells_reviewers(void **state)
{
	(void)state;
	json_t *pl = json_object();
	struct notice_ctx n = ctx(EV_SUBMIT, "submit", ST_DRAFT, ST_NEEDS_REVIEW, pl);
	json_t *rows = notice_rows(&n);
	assert_int_equal(json_array_size(rows), 1);
	assert_string_equal(field(rows, 0, "recipient"), "agency:430102:reviewer");
	assert_string_equal(field(rows, 0, "template"), "needs_submitted");
	assert_string_equal(field(rows, 0, "lang"), "zh");
	assert_string_equal(field(rows, 0, "channel"), "spool");
	json_t *data = json_object_get(json_array_get(rows, 0), "data");
	assert_int_equal(json_integer_value(json_object_get(data, "project_id")), 7);
	assert_string_equal(json_string_value(json_object_get(data, "to")), "needs_review");
	json_decref(rows);
	json_decref(pl);
}

static void
test_escalation_levels(void **state)
{
	(void)state;
	const char *want_rcpt[4] = { NULL, "agency:430102:officer", "agency:430102:reviewer",
		"agency:4301:reviewer" };
	const char *want_tmpl[4] = { NULL, "deadline_reminder", "deadline_escalation",
		"deadline_escalation" };
	const char *want_lang[4] = { NULL, "zh", "zh", "en" };	/* the parent reads English */
	for (int level = 1; level <= 3; level++) {
		json_t *pl = json_pack("{s:i,s:s}", "level", level, "deadline", "budget_review");
		struct notice_ctx n = ctx(EV_ESCALATE, "escalate", ST_BUDGET_REVIEW,
		    ST_BUDGET_REVIEW, pl);
		json_t *rows = notice_rows(&n);
		assert_int_equal(json_array_size(rows), 1);
		assert_string_equal(field(rows, 0, "recipient"), want_rcpt[level]);
		assert_string_equal(field(rows, 0, "template"), want_tmpl[level]);
		assert_string_equal(field(rows, 0, "lang"), want_lang[level]);
		json_decref(rows);
		json_decref(pl);
	}
}

static void
test_failed_close_says_so(void **state)
{
	(void)state;
	json_t *pl = json_object();
	struct notice_ctx n = ctx(EV_CLOSE_BIDDING, "close_bidding", ST_ANNOUNCED,
	    ST_TENDER_FAILED, pl);
	json_t *rows = notice_rows(&n);
	assert_int_equal(json_array_size(rows), 2);
	assert_string_equal(field(rows, 0, "template"), "tender_failed");
	json_decref(rows);
	json_decref(pl);
}

static void
test_exit_starts_the_takeover_plan(void **state)
{
	(void)state;
	json_t *plan = json_pack("{s:i,s:i,s:[s,{s:s,s:s}]}", "interim_provider", 12,
	    "handover_days", 3, "contacts", "coordinator@example.org", "email",
	    "wang@example.org", "lang", "en");
	json_t *pl = json_pack("{s:s}", "reason", "fraud");
	struct notice_ctx n = ctx(EV_CONTRACTOR_EXIT, "contractor_exit", ST_IN_SERVICE,
	    ST_TAKEOVER, pl);
	n.takeover_plan = plan;
	json_t *rows = notice_rows(&n);
	/* reviewers and officers of the agency, the interim provider, the two
	 * coordinators, and the parent agency's supervisors */
	assert_int_equal(json_array_size(rows), 6);
	assert_string_equal(field(rows, 2, "recipient"), "contractor:12");
	assert_string_equal(field(rows, 2, "template"), "takeover_activated");
	assert_string_equal(field(rows, 3, "recipient"), "contact:coordinator@example.org");
	assert_string_equal(field(rows, 3, "lang"), "zh");
	assert_string_equal(field(rows, 4, "recipient"), "contact:wang@example.org");
	assert_string_equal(field(rows, 4, "lang"), "en");
	assert_string_equal(field(rows, 5, "recipient"), "agency:4301:reviewer");
	assert_string_equal(field(rows, 5, "lang"), "en");
	json_decref(rows);
	json_decref(pl);
	json_decref(plan);
}

static void
test_every_event_has_someone_to_tell(void **state)
{
	(void)state;
	for (int ev = 0; ev < EV__COUNT; ev++) {
		json_t *pl = json_pack("{s:i}", "level", 2);
		struct notice_ctx n = ctx((enum lc_event)ev, lc_event_name((enum lc_event)ev),
		    ST_DRAFT, ST_NEEDS_REVIEW, pl);
		json_t *rows = notice_rows(&n);
		if (json_array_size(rows) == 0)
			fail_msg("%s notifies nobody", lc_event_name((enum lc_event)ev));
		json_decref(rows);
		json_decref(pl);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_submit_tells_reviewers),
		cmocka_unit_test(test_escalation_levels),
		cmocka_unit_test(test_failed_close_says_so),
		cmocka_unit_test(test_exit_starts_the_takeover_plan),
		cmocka_unit_test(test_every_event_has_someone_to_tell),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
