/* Integration: deadlines the daemon keeps by itself, over real PostgreSQL,
 * real ZeroMQ and a real procur-notify worker.
 *
 * - a tender whose bid deadline passes closes by itself (scoring with three
 *   bids, tender_failed with two), not a minute early;
 * - an ignored needs review is reminded, escalated to the agency's reviewers
 *   and then to the parent agency's reviewers, each at the exact working-day
 *   instant across the National Day holiday and its 调休 working weekends;
 * - a deadline in a year the calendar lacks raises an incident; loading that
 *   year with procurctl fixes the counting;
 * - two daemons on one database fire each deadline exactly once;
 * - a daemon that was down while deadlines passed fires each once on return.
 *
 * Each test has its own database and daemon (nh_setup). */
#include "nharness.h"

#include <signal.h>
#include <string.h>

#define SEC USEC_PER_SEC
#define CST (8 * 3600)

static const char *
state_of(struct harness *h, struct world *w, int64_t id)
{
	return h_str(h_project_get(h, w, id), "state");
}

/* The only item of ITEMS with project_id ID and TEMPLATE, asserting there is
 * exactly one. */
static json_t *
one_notification(json_t *items, int64_t id, const char *template)
{
	size_t i;
	json_t *n, *found = NULL;
	int count = 0;
	json_array_foreach(items, i, n) {
		if (h_int(n, "project_id") == id && h_str(n, "template") &&
		    !strcmp(h_str(n, "template"), template)) {
			found = n;
			count++;
		}
	}
	if (count != 1) {
		char *s = json_dumps(items, JSON_COMPACT);
		print_error("project %lld: %d notifications %s, expected 1\n    in: %.4000s\n",
		    (long long)id, count, template, s);
		free(s);
		fail();
	}
	return found;
}

/* How many of ITEMS have project_id ID, TEMPLATE and RECIPIENT. */
static int
count_notifications(json_t *items, int64_t id, const char *template, const char *recipient)
{
	size_t i;
	json_t *n;
	int count = 0;
	json_array_foreach(items, i, n)
		if (h_int(n, "project_id") == id && h_str(n, "template") &&
		    !strcmp(h_str(n, "template"), template) && h_str(n, "recipient") &&
		    !strcmp(h_str(n, "recipient"), recipient))
			count++;
	return count;
}

static int64_t
escalations(struct harness *h, int64_t id, int level)
{
	return nh_sql_int(h, "SELECT count(*) FROM project_event WHERE project_id = %lld "
	    "AND event = 'escalate' AND (payload->>'level')::int = %d", (long long)id, level);
}

/* Wait until project ID has N escalations of LEVEL (5 s); assert it. */
static void
wait_escalations(struct harness *h, int64_t id, int level, int n)
{
	int64_t got = nh_sql_wait(h, n, 5000, "SELECT count(*) FROM project_event WHERE "
	    "project_id = %lld AND event = 'escalate' AND (payload->>'level')::int = %d",
	    (long long)id, level);
	if (got != n) {
		harness_print_log(h);
		fail_msg("project %lld: %lld escalations of level %d, expected %d", (long long)id,
		    (long long)got, level, n);
	}
}

/* ------------------------------------------------------------------------ */

static void
test_tender_closes_by_itself(void **state)
{
	struct harness *h = *state;
	struct world w;
	struct tender three = { 0 }, two = { .n_bids = 2 };

	h_world(h, &w, "DLT", 0);
	int64_t a = nh_project(h, &w), b = nh_project(h, &w);
	h_drive(h, &w, a, "approved", NULL);
	h_drive(h, &w, b, "approved", NULL);
	/* h_publish sets the bid deadline at +20 days, 17:00 */
	usec_t bid_deadline = nh_time(h_time(h, 20, "17:00"));
	int64_t va = h_publish(h, &w, a, &three);
	int64_t vb = h_publish(h, &w, b, &two);
	h_bids(h, &w, a, &three);
	h_bids(h, &w, b, &two);

	/* the timed close_bidding is planned at the bid deadline exactly */
	assert_int_equal(nh_deadline_fire_at(h, w.officer, a, "close_bidding", 0), bid_deadline);
	assert_int_equal(nh_deadline_fire_at(h, w.officer, b, "close_bidding", 0), bid_deadline);

	/* a minute before: nothing happens */
	h_clock_set(h, nh_fmt(bid_deadline - 60 * SEC));
	nh_sleep_ms(700);
	assert_string_equal(state_of(h, &w, a), "announced");
	assert_string_equal(state_of(h, &w, b), "announced");

	/* just after: both close, nobody having asked */
	h_clock_set(h, nh_fmt(bid_deadline + 1 * SEC));
	int64_t closed = nh_sql_wait(h, 2, 5000, "SELECT count(*) FROM project WHERE id IN (%lld, "
	    "%lld) AND state <> 'announced'", (long long)a, (long long)b);
	if (closed != 2)
		harness_print_log(h);
	assert_int_equal(closed, 2);

	json_t *pa = h_project_get(h, &w, a), *pb = h_project_get(h, &w, b);
	assert_json_str(pa, "state", "scoring");
	assert_json_int(pa, "version", va + 1);
	assert_json_str(pb, "state", "tender_failed");
	assert_json_int(pb, "version", vb + 1);

	/* the history: close_bidding once, by the daemon, at the bid deadline */
	int64_t ids[2] = { a, b };
	const char *to[2] = { "scoring", "tender_failed" };
	for (int i = 0; i < 2; i++) {
		json_t *items = nh_history(h, w.auditor, ids[i]);
		assert_int_equal(nh_count_events(items, "close_bidding", -1), 1);
		json_t *last = json_array_get(items, json_array_size(items) - 1);
		assert_json_str(last, "event", "close_bidding");
		assert_json_str(last, "actor", "daemon");
		assert_json_str(last, "from", "announced");
		assert_json_str(last, "to", to[i]);
		usec_t at = nh_time(h_str(last, "at"));
		assert_true(at >= bid_deadline && at < bid_deadline + 5 * SEC);
	}

	/* and who hears of it: officer and evaluators of the agency */
	json_t *all = nh_list_all(h, w.admin, "/v1/notifications");
	assert_int_equal(count_notifications(all, a, "bidding_closed", "agency:DLT:officer"), 1);
	assert_int_equal(count_notifications(all, a, "bidding_closed", "agency:DLT:evaluator"), 1);
	assert_int_equal(count_notifications(all, b, "tender_failed", "agency:DLT:officer"), 1);
	assert_int_equal(count_notifications(all, b, "tender_failed", "agency:DLT:evaluator"), 1);
	json_decref(all);

	/* a person closing now is refused: the state has moved on */
	struct resp r = h_event(h, w.officer, a, "close_bidding", NULL);
	assert_error(r, 409, "invalid_transition");

	/* the metrics count both timed firings (level 0: the daemon's own
	 * lifecycle events) and both events applied */
	const char *m = nh_metrics(h);
	double fired0 = nh_metric(m, "procurd_deadlines_fired_total{level=\"0\"}");
	double applied = nh_metric(m, "procurd_events_applied_total{event=\"close_bidding\"}");
	if (fired0 != 2 || applied != 2)
		fail_msg("/metrics: procurd_deadlines_fired_total{level=\"0\"} %g and "
		    "procurd_events_applied_total{event=\"close_bidding\"} %g, expected 2 and 2",
		    fired0, applied);
}

/* ------------------------------------------------------------------------ */

/*
 * Submitted Wednesday 2026-09-30 10:00 (+08:00); needs_review is 5 working
 * days, reminder at 80 %, second escalation 3 working days after the due time.
 * data/calendar/cn.txt for 2026: 国庆 rest Thu 10-01 … Wed 10-07, 调休 working
 * Sat 10-10 (and Sun 09-20, before the submission).
 *
 * The first day (09-30) is not counted. Working days after it:
 *   Thu 10-01 … Wed 10-07  rest (holiday)
 *   Thu 10-08  1
 *   Fri 10-09  2
 *   Sat 10-10  3  (调休 working Saturday)
 *   Sun 10-11  rest
 *   Mon 10-12  4
 *   Tue 10-13  5  → the period ends at 24:00 of Tue 10-13,
 * so the escalation (level 2) is due 2026-10-14T00:00:00+08:00.
 *
 * Reminder (level 1): 80 % of the span from the submission to the due time:
 * span = 13 days 14 h = 326 h; 80 % = 260 h 48 min → Sun 2026-10-11 06:48.
 *
 * Second escalation (level 3): the first period ended at 24:00 of Tue 10-13;
 * that day is not counted, then 3 working days: Wed 10-14 (1), Thu 10-15 (2),
 * Fri 10-16 (3) → ends 24:00 Fri 10-16, i.e. 2026-10-17T00:00:00+08:00.
 * (Counting from Wed 10-14 as the excluded first day would give Tue 10-20,
 * four working days of further inaction, not three.)
 */
#define NR_SUBMIT "2026-09-30T10:00:00+08:00"
#define NR_REMINDER "2026-10-11T06:48:00+08:00"
#define NR_DUE "2026-10-14T00:00:00+08:00"
#define NR_SECOND "2026-10-17T00:00:00+08:00"

static void
test_needs_review_escalates_across_holiday(void **state)
{
	struct harness *h = *state;
	struct world w;
	char parent_reviewer[65], spool[400];
	struct nh_worker wk;

	nh_world(h, &w, "DLN", "DLNP", parent_reviewer);
	snprintf(spool, sizeof spool, "%s/spool", h->dir);
	nh_worker_start(h, &wk, "w1", spool, NULL);

	h_clock_set(h, NR_SUBMIT);
	int64_t id = nh_submitted(h, &w);

	usec_t reminder = nh_time(NR_REMINDER), due = nh_time(NR_DUE), second = nh_time(NR_SECOND);
	/* the reminder is a share of a span that starts a few ms after 10:00 */
	usec_t t1 = nh_deadline_fire_at(h, w.officer, id, "needs_review", 1);
	if (t1 < reminder || t1 >= reminder + SEC)
		fail_msg("reminder planned at %s, expected %s", nh_fmt(t1), NR_REMINDER);
	usec_t t2 = nh_deadline_fire_at(h, w.officer, id, "needs_review", 2);
	if (t2 != due)
		fail_msg("escalation planned at %s, expected %s", nh_fmt(t2), NR_DUE);

	/* reminder: not a minute before, then to the officer */
	h_clock_set(h, nh_fmt(reminder - 60 * SEC));
	nh_sleep_ms(700);
	assert_int_equal(escalations(h, id, 1), 0);
	h_clock_set(h, nh_fmt(reminder + 2 * SEC));
	wait_escalations(h, id, 1, 1);

	/* escalation: not a minute before the end of Tue 10-13 (the holiday
	 * and the 调休 Saturday counted), then to the agency's reviewers */
	h_clock_set(h, nh_fmt(due - 60 * SEC));
	nh_sleep_ms(700);
	assert_int_equal(escalations(h, id, 2), 0);
	h_clock_set(h, nh_fmt(due + 1 * SEC));
	wait_escalations(h, id, 2, 1);
	assert_int_equal(escalations(h, id, 1), 1);
	assert_int_equal(escalations(h, id, 3), 0);

	/* the history: escalate events by the daemon, the state unchanged */
	json_t *items = nh_history(h, w.auditor, id);
	nh_assert_len(items, 4);
	assert_json_str(json_array_get(items, 0), "event", "create");
	assert_json_str(json_array_get(items, 1), "event", "submit");
	for (int lv = 1; lv <= 2; lv++) {
		json_t *e = json_array_get(items, (size_t)lv + 1);
		assert_json_str(e, "event", "escalate");
		assert_json_str(e, "actor", "daemon");
		assert_json_str(e, "from", "needs_review");
		assert_json_str(e, "to", "needs_review");
		assert_json_int(e, "payload.level", lv);
		assert_json_str(e, "payload.deadline", "needs_review");
		assert_int_equal(nh_time(h_str(e, "payload.due")), due);
	}
	assert_string_equal(state_of(h, &w, id), "needs_review");

	/* the outbox, as the agency's admin sees it */
	json_t *all = nh_list_all(h, w.admin, "/v1/notifications");
	json_t *rem = one_notification(all, id, "deadline_reminder");
	json_t *esc = one_notification(all, id, "deadline_escalation");
	assert_json_str(rem, "recipient", "agency:DLN:officer");
	assert_json_str(esc, "recipient", "agency:DLN:reviewer");
	assert_json_str(esc, "channel", "spool");
	int64_t esc_id = h_int(esc, "id"), rem_id = h_int(rem, "id");
	json_decref(all);

	/* and the worker's spool: one file per notification of this project */
	int64_t undelivered = nh_sql_wait(h, 0, 10000, "SELECT count(*) FROM outbox WHERE "
	    "project_id = %lld AND status <> 'delivered'", (long long)id);
	if (undelivered != 0)
		nh_print_file("worker log", wk.log);
	assert_int_equal(undelivered, 0);
	json_t *f = nh_spool_read(spool, esc_id);
	assert_non_null(f);
	assert_json_int(f, "id", esc_id);
	assert_json_str(f, "recipient", "agency:DLN:reviewer");
	assert_json_str(f, "template", "deadline_escalation");
	assert_json_int(f, "project_id", id);
	assert_json_int(f, "data.level", 2);
	json_decref(f);
	f = nh_spool_read(spool, rem_id);
	assert_non_null(f);
	assert_json_str(f, "recipient", "agency:DLN:officer");
	assert_json_str(f, "template", "deadline_reminder");
	json_decref(f);

	/* the second escalation: three working days after the first one */
	usec_t t3 = nh_deadline_fire_at(h, w.officer, id, "needs_review", 3);
	if (t3 != second)
		fail_msg("second escalation planned at %s, expected %s (end of Fri 10-16: "
		    "three working days after the due time, the end of Tue 10-13)", nh_fmt(t3),
		    NR_SECOND);
	h_clock_set(h, nh_fmt(second - 60 * SEC));
	nh_sleep_ms(700);
	assert_int_equal(escalations(h, id, 3), 0);
	h_clock_set(h, nh_fmt(second + 1 * SEC));
	wait_escalations(h, id, 3, 1);

	/* to the parent agency's reviewers: they see it in their scope */
	all = nh_list_all(h, parent_reviewer, "/v1/notifications");
	esc = NULL;
	size_t i;
	json_t *n;
	int level3 = 0;
	json_array_foreach(all, i, n)
		if (h_int(n, "project_id") == id && !strcmp(h_str(n, "template"), "deadline_escalation") &&
		    !strcmp(h_str(n, "recipient"), "agency:DLNP:reviewer"))
			level3++;
	assert_int_equal(level3, 1);
	json_decref(all);
	items = nh_history(h, w.auditor, id);
	nh_assert_len(items, 5);
	assert_json_int(json_array_get(items, 4), "payload.level", 3);

	/* every notification delivered, so the spool comparison covers them all */
	assert_int_equal(nh_sql_wait(h, 0, 10000,
	    "SELECT count(*) FROM outbox WHERE status <> 'delivered'"), 0);
	nh_worker_stop(&wk);
	nh_assert_spool_matches_outbox(h, spool);
}

/* ------------------------------------------------------------------------ */

static void
test_uncovered_year_raises_incident(void **state)
{
	struct harness *h = *state;
	struct world w;
	char path[400], out[256];

	nh_world(h, &w, "DLY", "DLYP", NULL);
	/* Mon 2026-12-28: five working days reach into 2027, which the
	 * calendar (2025, 2026) does not cover */
	h_clock_set(h, "2026-12-28T10:00:00+08:00");
	int64_t id = nh_submitted(h, &w);
	/* nothing is guessed about 2027: the five days run as calendar days
	 * (29, 30, 31, 1, 2) to the end of Sat 2027-01-02 */
	assert_int_equal(nh_deadline_fire_at(h, w.officer, id, "needs_review", 2),
	    nh_time("2027-01-03T00:00:00+08:00"));

	struct resp r = h_get(h, w.admin, "/v1/incidents");
	assert_status(r, 200);
	assert_int_equal(h_len(r.body, "items"), 1);
	json_t *inc = h_at(r.body, "items.0");
	assert_json_str(inc, "kind", "calendar_missing");
	assert_json_int(inc, "year", 2027);
	assert_json_int(inc, "project_id", id);
	assert_true(json_is_null(h_at(inc, "resolved_at")));
	assert_non_null(strstr(h_str(inc, "detail"), "2027"));
	assert_int_equal(nh_metric(nh_metrics(h), "procurd_incidents_open"), 1);

	/* incidents need a token */
	r = h_get(h, NULL, "/v1/incidents");
	assert_error(r, 401, "unauthorized");

	/* an operator loads 2027: 元旦 Fri 2027-01-01 a holiday */
	snprintf(path, sizeof path, "%s/cn-2027.txt", h->dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "# test calendar\nyear 2027\nrest 2027-01-01  # 元旦 Fri\n");
	fclose(f);
	int rc = harness_ctl(h, out, sizeof out, "calendar", "load", path, (char *)NULL);
	if (rc != 0)
		harness_print_log(h);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "1 year loaded"));
	assert_int_equal(nh_sql_int(h, "SELECT count(*) FROM calendar_year WHERE year = 2027"), 1);
	assert_int_equal(nh_sql_int(h, "SELECT count(*) FROM calendar_day WHERE day = '2027-01-01' "
	    "AND kind = 'rest'"), 1);
	/* a bad file is refused with its line */
	snprintf(path, sizeof path, "%s/bad.txt", h->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "year 2028\nrest 2029-01-01\n");
	fclose(f);
	assert_int_not_equal(harness_ctl(h, NULL, 0, "calendar", "load", path, (char *)NULL), 0);
	assert_int_equal(nh_sql_int(h, "SELECT count(*) FROM calendar_year WHERE year = 2028"), 0);

	/* the daemon rereads the calendar on SIGHUP */
	assert_int_equal(kill(h->pid, SIGHUP), 0);
	if (!nh_file_wait(h->log, "reload: configuration, rules, calendar and logging reloaded",
	    5000)) {
		harness_print_log(h);
		fail_msg("no reload after SIGHUP");
	}

	/* Mon 2026-12-28 again: Tue 29 (1), Wed 30 (2), Thu 31 (3), Fri 01-01
	 * holiday, weekend, Mon 01-04 (4), Tue 01-05 (5) → due at the end of
	 * Tue 2027-01-05, and no new incident */
	int64_t id2 = nh_submitted(h, &w);
	assert_int_equal(nh_deadline_fire_at(h, w.officer, id2, "needs_review", 2),
	    nh_time("2027-01-06T00:00:00+08:00"));
	/* the first project, counted in calendar days while 2027 was missing,
	 * was counted again when the calendar arrived, and its incident is
	 * resolved (still listed with ?all=1) */
	assert_int_equal(nh_deadline_fire_at(h, w.officer, id, "needs_review", 2),
	    nh_time("2027-01-06T00:00:00+08:00"));
	r = h_get(h, w.admin, "/v1/incidents");
	assert_status(r, 200);
	assert_int_equal(h_len(r.body, "items"), 0);
	r = h_get(h, w.admin, "/v1/incidents?all=1");
	assert_status(r, 200);
	assert_int_equal(h_len(r.body, "items"), 1);
	assert_json_int(r.body, "items.0.project_id", id);
	assert_false(json_is_null(h_at(r.body, "items.0.resolved_at")));
	assert_int_equal(nh_metric(nh_metrics(h), "procurd_incidents_open"), 0);
}

/* ------------------------------------------------------------------------ */

#define TWO_N 30
#define TWO_TENDERS 4

static void
test_two_daemons_fire_each_deadline_once(void **state)
{
	struct harness *h = *state;
	struct world w;
	struct nh_daemon d2;
	int64_t ids[TWO_N + TWO_TENDERS];

	nh_world(h, &w, "DL2", "DL2P", NULL);
	for (int i = 0; i < TWO_N; i++)
		ids[i] = nh_submitted(h, &w);
	for (int i = 0; i < TWO_TENDERS; i++) {
		struct tender t = { 0 };
		int64_t id = ids[TWO_N + i] = nh_project(h, &w);
		h_drive(h, &w, id, "approved", NULL);
		h_publish(h, &w, id, &t);
		h_bids(h, &w, id, &t);
	}
	/* nothing has fired yet */
	assert_int_equal(nh_sql_int(h, "SELECT count(*) FROM deadline WHERE status = 'fired'"), 0);

	nh_daemon_start(h, &d2, "second");
	/* both clocks 40 days on, as close together as two requests go: every
	 * needs_review deadline (3 each) and every bid deadline falls due (the
	 * scoring deadlines that closing plans count from the closing, later).
	 * The first daemon goes 2 s further: a clock may not be set before an
	 * event already recorded, and the second may have fired some by then. */
	usec_t later = nh_time(h_time(h, 40, "12:00"));
	nh_daemon_clock_set(&d2, h->admin, nh_fmt(later));
	h_clock_set(h, nh_fmt(later + 2 * SEC));

	const int want_fired = TWO_N * 3 + TWO_TENDERS;
	int64_t fired = nh_sql_wait(h, want_fired, 20000,
	    "SELECT count(*) FROM deadline WHERE status = 'fired'");
	nh_sleep_ms(500);	/* anything extra would show now */
	fired = nh_sql_int(h, "SELECT count(*) FROM deadline WHERE status = 'fired'");
	if (fired != want_fired) {
		harness_print_log(h);
		nh_print_file("second procurd", d2.log);
	}
	assert_int_equal(fired, want_fired);
	/* nothing due is left pending */
	assert_int_equal(nh_sql_int(h, "SELECT count(*) FROM deadline WHERE status = 'pending' "
	    "AND fire_at <= (SELECT now() + make_interval(secs => offset_us / 1e6) FROM clock_state)"),
	    0);
	/* one escalate event per (project, deadline, level), one close_bidding
	 * per tender, and one event per fired deadline row */
	assert_int_equal(nh_sql_int(h, "SELECT count(*) FROM (SELECT project_id, payload->>'deadline', "
	    "payload->>'level' FROM project_event WHERE event = 'escalate' GROUP BY 1, 2, 3 "
	    "HAVING count(*) > 1) x"), 0);
	assert_int_equal(nh_sql_int(h, "SELECT count(*) FROM project_event WHERE event = 'escalate'"),
	    TWO_N * 3);
	assert_int_equal(nh_sql_int(h, "SELECT count(*) FROM project_event WHERE event = "
	    "'close_bidding' AND actor = 'daemon'"), TWO_TENDERS);
	assert_int_equal(nh_sql_int(h, "SELECT count(*) FROM (SELECT project_id FROM project_event "
	    "WHERE event = 'close_bidding' GROUP BY 1 HAVING count(*) <> 1) x"), 0);
	for (int i = 0; i < TWO_N; i++) {
		json_t *items = nh_history(h, w.auditor, ids[i]);
		for (int lv = 1; lv <= 3; lv++)
			assert_int_equal(nh_count_events(items, "escalate", lv), 1);
		nh_assert_len(items, 5);	/* create, submit, three escalations */
		h_gc(h);
	}
	/* the audit chains still verify */
	char out[512];
	assert_int_equal(harness_ctl(h, out, sizeof out, "verify", (char *)NULL), 0);

	/* who fired what (shown, not asserted: either may win any row) */
	int fired1 = (int)nh_metric(nh_metrics(h), "procurd_deadlines_fired_total{level=\"2\"}");
	struct resp m = nh_daemon_req(&d2, "GET", "/metrics", NULL, NULL);
	assert_int_equal(m.status, 200);
	int fired2 = (int)nh_metric(m.raw, "procurd_deadlines_fired_total{level=\"2\"}");
	h_resp_free(&m);
	print_message("two daemons: level-2 escalations fired %d by the first, %d by the second\n",
	    fired1, fired2);
	/* and by rows: the deadline rows and the events agree one to one */
	assert_int_equal(nh_sql_int(h, "SELECT count(*) FROM deadline d WHERE d.status = 'fired' AND "
	    "d.event = 'escalate' AND (SELECT count(*) FROM project_event e WHERE e.project_id = "
	    "d.project_id AND e.event = 'escalate' AND (e.payload->>'level')::int = d.level AND "
	    "e.payload->>'deadline' = d.kind) = 1"), TWO_N * 3);
	assert_int_equal(fired1 + fired2, TWO_N);
	/* with one project per claim, both took part */
	assert_true(fired1 > 0 && fired2 > 0);
	nh_daemon_stop(&d2);
}

/* ------------------------------------------------------------------------ */

#define DOWN_N 10

static void
test_daemon_down_fires_everything_once_on_return(void **state)
{
	struct harness *h = *state;
	struct world w;
	char parent_reviewer[65], sql[256];
	int64_t ids[DOWN_N];

	nh_world(h, &w, "DLD", "DLDP", parent_reviewer);
	for (int i = 0; i < DOWN_N; i++)
		ids[i] = nh_submitted(h, &w);
	assert_int_equal(nh_sql_int(h, "SELECT count(*) FROM deadline WHERE status = 'pending'"),
	    DOWN_N * 3);

	/* down; meanwhile 30 days pass (the stored clock offset moves) */
	assert_int_equal(harness_daemon_term(h), 0);
	snprintf(sql, sizeof sql, "UPDATE clock_state SET offset_us = offset_us + %lld",
	    (long long)(30 * H_DAY * SEC));
	assert_int_equal(harness_sql(h, sql), 0);
	assert_int_equal(harness_daemon_start(h), 0);
	h_clock_offset(h);

	int64_t n = nh_sql_wait(h, DOWN_N * 3, 10000,
	    "SELECT count(*) FROM project_event WHERE event = 'escalate'");
	nh_sleep_ms(500);
	n = nh_sql_int(h, "SELECT count(*) FROM project_event WHERE event = 'escalate'");
	if (n != DOWN_N * 3)
		harness_print_log(h);
	assert_int_equal(n, DOWN_N * 3);
	assert_int_equal(nh_sql_int(h, "SELECT count(*) FROM deadline WHERE status = 'pending'"), 0);

	json_t *all = nh_list_all(h, parent_reviewer, "/v1/notifications");
	for (int i = 0; i < DOWN_N; i++) {
		json_t *items = nh_history(h, w.auditor, ids[i]);
		nh_assert_len(items, 5);
		/* after create and submit, in order: reminder, escalation, second
		 * escalation */
		for (int lv = 1; lv <= 3; lv++) {
			json_t *e = json_array_get(items, (size_t)lv + 1);
			assert_json_str(e, "event", "escalate");
			assert_json_int(e, "payload.level", lv);
			assert_json_str(e, "actor", "daemon");
		}
		assert_int_equal(count_notifications(all, ids[i], "deadline_reminder",
		    "agency:DLD:officer"), 1);
		assert_int_equal(count_notifications(all, ids[i], "deadline_escalation",
		    "agency:DLD:reviewer"), 1);
		assert_int_equal(count_notifications(all, ids[i], "deadline_escalation",
		    "agency:DLDP:reviewer"), 1);
		h_gc(h);
	}
	json_decref(all);

	/* the restarted daemon counted each firing, by level */
	const char *m = nh_metrics(h);
	assert_int_equal(nh_metric(m, "procurd_deadlines_fired_total{level=\"1\"}"), DOWN_N);
	assert_int_equal(nh_metric(m, "procurd_deadlines_fired_total{level=\"2\"}"), DOWN_N);
	assert_int_equal(nh_metric(m, "procurd_deadlines_fired_total{level=\"3\"}"), DOWN_N);
	assert_int_equal(nh_metric(m, "procurd_deadline_lag_seconds_count"), DOWN_N * 3);
	/* they fired late, by days: the lag says so */
	assert_true(nh_metric(m, "procurd_deadline_lag_seconds_sum") > DOWN_N * 3 * 86400.0);
}

/* A next check that says "due" when nothing is (another daemon moved the
 * deadlines, or an operator): the daemon computes it again from the pending
 * deadlines and cancels none of them. */
static void
test_stale_next_check_is_healed(void **state)
{
	struct harness *h = *state;
	struct world w;
	char parent_reviewer[65];

	nh_world(h, &w, "DLS", "DLSP", parent_reviewer);
	int64_t id = nh_submitted(h, &w);
	int64_t pending = nh_sql_int(h, "SELECT count(*) FROM deadline WHERE project_id = %lld "
	    "AND status = 'pending'", (long long)id);
	assert_true(pending > 0);
	char sql[256];
	snprintf(sql, sizeof sql, "UPDATE project SET next_check = created_at - interval '1 day' "
	    "WHERE id = %lld; SELECT pg_notify('procurd_deadline', '')", (long long)id);
	assert_int_equal(harness_sql(h, sql), 0);
	/* (NULL while a firing job holds the project claimed) */
	assert_int_equal(nh_sql_wait(h, 1, 10000, "SELECT coalesce((next_check = (SELECT "
	    "min(fire_at) FROM deadline WHERE project_id = %lld AND status = 'pending'))::int, 0) "
	    "FROM project WHERE id = %lld", (long long)id, (long long)id), 1);
	assert_int_equal(nh_sql_int(h, "SELECT count(*) FROM deadline WHERE project_id = %lld "
	    "AND status = 'pending'", (long long)id), pending);
	assert_int_equal(nh_sql_int(h, "SELECT count(*) FROM project_event WHERE project_id = %lld "
	    "AND event = 'escalate'", (long long)id), 0);
}

int
main(void)
{
	static struct nh_spec tender = { "dl_tender", NH_FAST_NOTIFY };
	static struct nh_spec review = { "dl_review", NH_FAST_NOTIFY };
	static struct nh_spec year = { "dl_year", NH_FAST_NOTIFY };
	/* one project per claim, so that the two daemons' batches interleave */
	static struct nh_spec two = { "dl_two", NH_FAST_NOTIFY "[deadlines]\nbatch = 1\n" };
	static struct nh_spec down = { "dl_down", NH_FAST_NOTIFY };
	static struct nh_spec stale = { "dl_stale", NH_FAST_NOTIFY };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate_setup_teardown(test_tender_closes_by_itself, nh_setup,
		    nh_teardown, &tender),
		cmocka_unit_test_prestate_setup_teardown(test_needs_review_escalates_across_holiday,
		    nh_setup, nh_teardown, &review),
		cmocka_unit_test_prestate_setup_teardown(test_uncovered_year_raises_incident, nh_setup,
		    nh_teardown, &year),
		cmocka_unit_test_prestate_setup_teardown(test_two_daemons_fire_each_deadline_once,
		    nh_setup, nh_teardown, &two),
		cmocka_unit_test_prestate_setup_teardown(test_daemon_down_fires_everything_once_on_return,
		    nh_setup, nh_teardown, &down),
		cmocka_unit_test_prestate_setup_teardown(test_stale_next_check_is_healed, nh_setup,
		    nh_teardown, &stale),
	};
	return cmocka_run_group_tests_name("it_deadlines", tests, NULL, NULL);
}
