/* Integration: the procurement rules seen through the API — the 2 %
 * special-funds cap (and its race), the catalogue's scope, bans after a
 * contractor's exit, qualifications, credit codes and past performance. */
#include "harness.h"
#include "nharness.h"

#include <pthread.h>
#include <string.h>

/* --- the special-funds cap ------------------------------------------------ */

static int64_t
to_budget_review(struct harness *h, struct world *w, int64_t budget_fen)
{
	int64_t id = h_project(h, w, &(struct pspec){ .budget_fen = budget_fen,
	    .funding = "special_funds" });
	h_drive(h, w, id, "budget_review", NULL);
	return id;
}

static void
test_special_funds_cap(void **state)
{
	struct harness *h = *state;
	struct world w;
	/* 100,000,000 fen of special funds: the 2 % cap is 2,000,000 fen */
	h_world(h, &w, "CAP", 100000000);
	struct resp r = h_get(h, w.reviewer, "/v1/agencies/CAP/budgets/2026");
	assert_status(r, 200);
	assert_json_int(r.body, "special_cap_fen", 2000000);
	assert_json_int(r.body, "special_committed_fen", 0);
	assert_json_int(r.body, "special_remaining_fen", 2000000);

	int64_t a = to_budget_review(h, &w, 1500000);
	r = h_event_v(h, w.finance, a, "approve_budget", 3, NULL);
	assert_project(r, "approved", 4);

	/* one fen over what remains */
	int64_t b = to_budget_review(h, &w, 500001);
	r = h_event_v(h, w.finance, b, "approve_budget", 3, NULL);
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "special_funds_cap");
	assert_json_int(r.body, "error.details.cap_fen", 2000000);
	assert_json_int(r.body, "error.details.committed_fen", 1500000);
	assert_json_int(r.body, "error.details.asked_fen", 500001);
	assert_json_int(r.body, "error.details.remaining_fen", 500000);
	assert_json_int(r.body, "error.details.special_funds_fen", 100000000);
	json_t *p = h_project_get(h, &w, b);
	assert_json_str(p, "state", "budget_review");
	assert_json_int(p, "version", 3);

	/* exactly what remains */
	int64_t c = to_budget_review(h, &w, 500000);
	r = h_event_v(h, w.finance, c, "approve_budget", 3, NULL);
	assert_project(r, "approved", 4);
	r = h_get(h, w.auditor, "/v1/agencies/CAP/budgets/2026");
	assert_json_int(r.body, "special_committed_fen", 2000000);
	assert_json_int(r.body, "special_remaining_fen", 0);

	/* other funds are not capped; a cancelled project frees its share */
	int64_t d = h_project(h, &w, &(struct pspec){ .budget_fen = 3000000,
	    .funding = "lottery_funds" });
	h_drive(h, &w, d, "approved", NULL);
	r = h_event_v(h, w.finance, b, "approve_budget", 3, NULL);
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "special_funds_cap");
	r = h_event_v(h, w.officer, a, "cancel", 4, "{\"reason\":\"merged\"}");
	assert_project(r, "cancelled", 5);
	r = h_get(h, w.auditor, "/v1/agencies/CAP/budgets/2026");
	assert_json_int(r.body, "special_committed_fen", 500000);
	assert_json_int(r.body, "special_remaining_fen", 1500000);
	r = h_event_v(h, w.finance, b, "approve_budget", 3, NULL);
	assert_project(r, "approved", 4);

	/* no budget for the fiscal year */
	int64_t e = h_project(h, &w, &(struct pspec){ .fiscal_year = 2027 });
	h_drive(h, &w, e, "budget_review", NULL);
	r = h_event_v(h, w.finance, e, "approve_budget", 3, NULL);
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "budget_missing");
}

struct racer {
	pthread_barrier_t *barrier;
	const char *url, *token;
	int64_t id;
	long status;
	char rule[64];
};

static void *
race(void *arg)
{
	struct racer *rc = arg;
	CURL *c = curl_easy_init();
	char path[64];
	snprintf(path, sizeof path, "/v1/projects/%lld/events", (long long)rc->id);
	/* a first request opens the connection, so both start equal */
	struct resp warm = h_req_on(c, rc->url, "GET", "/healthz", NULL, NULL, NULL);
	h_resp_free(&warm);
	pthread_barrier_wait(rc->barrier);
	struct resp r = h_req_on(c, rc->url, "POST", path, rc->token,
	    "{\"event\":\"approve_budget\",\"expected_version\":3,\"payload\":{}}", NULL);
	rc->status = r.status;
	const char *rule = h_str(r.body, "error.details.rule");
	snprintf(rc->rule, sizeof rc->rule, "%s", rule ? rule : "");
	h_resp_free(&r);
	curl_easy_cleanup(c);
	return NULL;
}

static void
test_special_funds_cap_race(void **state)
{
	struct harness *h = *state;
	struct world w;
	h_world(h, &w, "RACE", 100000000);

	for (int round = 0; round < 5; round++) {
		/* 1,200,000 each: either fits under 2,000,000, both do not */
		int64_t p1 = to_budget_review(h, &w, 1200000);
		int64_t p2 = to_budget_review(h, &w, 1200000);
		pthread_barrier_t barrier;
		pthread_barrier_init(&barrier, NULL, 2);
		struct racer r1 = { &barrier, h->url, w.finance, p1, 0, "" };
		struct racer r2 = { &barrier, h->url, w.finance2, p2, 0, "" };
		pthread_t t1, t2;
		pthread_create(&t1, NULL, race, &r1);
		pthread_create(&t2, NULL, race, &r2);
		pthread_join(t1, NULL);
		pthread_join(t2, NULL);
		pthread_barrier_destroy(&barrier);

		struct racer *won = r1.status == 200 ? &r1 : &r2;
		struct racer *lost = won == &r1 ? &r2 : &r1;
		if (won->status != 200 || lost->status != 422 ||
		    strcmp(lost->rule, "special_funds_cap") != 0)
			fail_msg("round %d: expected one 200 and one 422 special_funds_cap, got "
			    "%ld %s and %ld %s", round, r1.status, r1.rule, r2.status, r2.rule);
		struct resp r = h_get(h, w.finance, "/v1/agencies/RACE/budgets/2026");
		assert_json_int(r.body, "special_committed_fen", 1200000);
		assert_json_int(r.body, "special_remaining_fen", 800000);
		json_t *p = h_project_get(h, &w, won->id);
		assert_json_str(p, "state", "approved");
		p = h_project_get(h, &w, lost->id);
		assert_json_str(p, "state", "budget_review");
		assert_json_int(p, "version", 3);
		/* free the cap for the next round */
		r = h_event_v(h, w.officer, won->id, "cancel", 4, "{\"reason\":\"next round\"}");
		assert_project(r, "cancelled", 5);
		r = h_event_v(h, w.officer, lost->id, "cancel", 3, "{\"reason\":\"next round\"}");
		assert_project(r, "cancelled", 4);
		h_gc(h);
	}
}

/* Supervision records are decided on the row read without a lock and
 * written only while the project is still at the version read (store.c,
 * event_apply). Writers racing on one project: every record lands
 * once, the chain has no gap and verifies; of two with the same
 * expected_version exactly one wins. */
struct recorder {
	pthread_barrier_t *barrier;
	const char *url, *token;
	int64_t id;
	int n;			/* records to post */
	int64_t expected;	/* -1: none */
	int ok, conflicts, other;
};

static void *
record(void *arg)
{
	struct recorder *rc = arg;
	CURL *c = curl_easy_init();
	char path[64], body[160];
	snprintf(path, sizeof path, "/v1/projects/%lld/events", (long long)rc->id);
	struct resp warm = h_req_on(c, rc->url, "GET", "/healthz", NULL, NULL, NULL);
	h_resp_free(&warm);
	pthread_barrier_wait(rc->barrier);
	for (int i = 0; i < rc->n; i++) {
		if (rc->expected >= 0)
			snprintf(body, sizeof body, "{\"event\":\"record_supervision\",\"expected_version\":"
			    "%lld,\"payload\":{\"inspection\":\"visit %d\",\"finding\":\"ok\"}}", (long long)rc->expected, i);
		else
			snprintf(body, sizeof body, "{\"event\":\"record_supervision\","
			    "\"payload\":{\"inspection\":\"visit %d\",\"finding\":\"ok\"}}", i);
		struct resp r = h_req_on(c, rc->url, "POST", path, rc->token, body, NULL);
		const char *code = h_str(r.body, "error.code");
		if (r.status == 200)
			rc->ok++;
		else if (r.status == 409 && code && !strcmp(code, "version_conflict"))
			rc->conflicts++;
		else
			rc->other++;
		h_resp_free(&r);
	}
	curl_easy_cleanup(c);
	return NULL;
}

static int
run_recorders(struct harness *h, struct world *w, int64_t id, int threads, int each,
    int64_t expected, struct recorder *out)
{
	pthread_barrier_t barrier;
	pthread_t t[8];
	pthread_barrier_init(&barrier, NULL, (unsigned)threads);
	for (int i = 0; i < threads; i++) {
		out[i] = (struct recorder){ &barrier, h->url, i % 2 ? w->officer2 : w->officer, id,
			each, expected, 0, 0, 0 };
		pthread_create(&t[i], NULL, record, &out[i]);
	}
	int ok = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		ok += out[i].ok;
	}
	pthread_barrier_destroy(&barrier);
	return ok;
}

static void
test_supervision_race(void **state)
{
	struct harness *h = *state;
	struct world w;
	struct recorder rec[8];
	h_world(h, &w, "SUP", 0);

	int64_t id = h_project(h, &w, &(struct pspec){ .title = "home visits" });
	int64_t v = h_drive(h, &w, id, "in_service", NULL);
	char sql[160], out[64];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM project_event WHERE project_id = %lld",
	    (long long)id);
	assert_int_equal(harness_sql_value(h, sql, out, sizeof out), 0);
	long before = atol(out);

	/* 6 writers × 20 records, no expected_version: all land */
	assert_int_equal(run_recorders(h, &w, id, 6, 20, -1, rec), 120);
	for (int i = 0; i < 6; i++)
		assert_int_equal(rec[i].conflicts + rec[i].other, 0);
	json_t *p = h_project_get(h, &w, id);
	assert_json_str(p, "state", "in_service");
	assert_json_int(p, "version", v + 120);
	snprintf(sql, sizeof sql, "SELECT count(*) || ' ' || min(seq) || ' ' || max(seq) "
	    "FROM project_event WHERE project_id = %lld", (long long)id);
	assert_int_equal(harness_sql_value(h, sql, out, sizeof out), 0);
	char want[64];
	snprintf(want, sizeof want, "%ld 1 %ld", before + 120, before + 120);
	assert_string_equal(out, want);
	/* one notification per record, none lost, none twice */
	snprintf(sql, sizeof sql, "SELECT count(*) || ' ' || count(DISTINCT event_seq) FROM outbox "
	    "WHERE project_id = %lld AND template = 'supervision_recorded'", (long long)id);
	assert_int_equal(harness_sql_value(h, sql, out, sizeof out), 0);
	assert_string_equal(out, "120 120");

	/* the same expected_version from 4 writers: one 200, three 409 */
	for (int round = 0; round < 5; round++) {
		int64_t at = v + 120 + round;
		assert_int_equal(run_recorders(h, &w, id, 4, 1, at, rec), 1);
		int conflicts = 0;
		for (int i = 0; i < 4; i++) {
			conflicts += rec[i].conflicts;
			assert_int_equal(rec[i].other, 0);
		}
		assert_int_equal(conflicts, 3);
	}
	p = h_project_get(h, &w, id);
	assert_json_int(p, "version", v + 125);

	/* the answer is the project as GET shows it, plus the event: on the hot
	 * path it is written as text straight from the row, elsewhere built as
	 * a tree; both from one table of fields */
	{
		char epath[64];
		snprintf(epath, sizeof epath, "/v1/projects/%lld/events", (long long)id);
		struct resp ans = h_req(h, "POST", epath, w.officer, "{\"event\":\"record_supervision\","
		    "\"payload\":{\"inspection\":\"same shape\",\"finding\":\"ok\"}}", NULL);
		assert_project(ans, "in_service", v + 126);
		json_t *got = json_deep_copy(ans.body);
		assert_int_equal(json_object_del(got, "event"), 0);
		json_t *now = h_project_get(h, &w, id);
		if (!json_equal(got, now)) {
			char *a1 = json_dumps(got, JSON_SORT_KEYS), *a2 = json_dumps(now, JSON_SORT_KEYS);
			fail_msg("event answer %s\nGET          %s", a1, a2);
		}
		assert_non_null(h_at(now, "award.contractor_id"));
		assert_non_null(h_at(now, "contract.takeover_plan"));
		assert_non_null(h_at(now, "criteria"));
		json_decref(got);
		assert_json_int(ans.body, "event.seq", before + 126);
		assert_json_str(ans.body, "event.payload.inspection", "same shape");
	}

	/* with an Idempotency-Key the record takes the locked path (the key is
	 * looked up under the lock): the same light write, the retry answered
	 * from the first */
	char path[64];
	snprintf(path, sizeof path, "/v1/projects/%lld/events", (long long)id);
	const char *body = "{\"event\":\"record_supervision\",\"payload\":{\"inspection\":"
	    "\"keyed\",\"finding\":\"ok\"}}";
	struct resp a = h_req(h, "POST", path, w.officer, body, "Idempotency-Key: visit-keyed");
	assert_project(a, "in_service", v + 127);
	struct resp b = h_req(h, "POST", path, w.officer, body, "Idempotency-Key: visit-keyed");
	assert_project(b, "in_service", v + 127);
	assert_json_int(b.body, "event.seq", h_int(a.body, "event.seq"));
	assert_json_str(b.body, "event.hash", h_str(a.body, "event.hash"));
	snprintf(sql, sizeof sql, "SELECT count(*) FROM outbox WHERE project_id = %lld "
	    "AND template = 'supervision_recorded'", (long long)id);
	assert_int_equal(harness_sql_value(h, sql, out, sizeof out), 0);
	assert_string_equal(out, "127");

	assert_int_equal(harness_ctl(h, out, sizeof out, "verify", (char *)NULL), 0);
	/* six writers on one project collide (some 180 times a run): the
	 * retries above did happen, and are counted */
	assert_true(nh_metric(nh_metrics(h), "procurd_event_retries_total") > 0);
}

#define CACHE_HITS "procurd_project_cache_total{outcome=\"hit\"}"
#define RETRIES "procurd_event_retries_total"

/* A supervision record is decided on the project as this daemon last read
 * or wrote it (the project cache) when it has it; the write applies only at
 * that version. Another writer (here SQL, as a second daemon on the same
 * database would write) makes the kept row stale: the event must then be
 * decided on the row as it is, never on the kept one. */
static void
test_supervision_on_a_row_changed_elsewhere(void **state)
{
	struct harness *h = *state;
	struct world w;
	h_world(h, &w, "SCE", 0);
	int64_t id = h_project(h, &w, &(struct pspec){ .title = "meals on wheels" });
	int64_t v = h_drive(h, &w, id, "in_service", NULL);
	const char *pl = "{\"inspection\": \"kitchen\", \"finding\": \"ok\"}";
	struct resp r = h_event(h, w.officer, id, "record_supervision", "%s", pl);
	assert_project(r, "in_service", v + 1);	/* the daemon now has the row at v + 1 */
	const char *m = nh_metrics(h);
	double hits = nh_metric(m, CACHE_HITS), retries = nh_metric(m, RETRIES);
	r = h_event(h, w.officer, id, "record_supervision", "%s", pl);
	assert_project(r, "in_service", v + 2);
	m = nh_metrics(h);	/* decided on the kept row, which was right: no read */
	assert_true(nh_metric(m, CACHE_HITS) == hits + 1 && nh_metric(m, RETRIES) == retries);

	/* elsewhere, the project leaves in_service: the kept row would allow the
	 * record, the write finds the version moved, the row read refuses it */
	char sql[1024], out[64];
	snprintf(sql, sizeof sql, "UPDATE project SET state = 'acceptance', version = version + 1 "
	    "WHERE id = %lld", (long long)id);
	assert_int_equal(harness_sql(h, sql), 0);
	r = h_event(h, w.officer, id, "record_supervision", "%s", pl);
	assert_error(r, 409, "invalid_transition");
	m = nh_metrics(h);
	assert_true(nh_metric(m, CACHE_HITS) == hits + 2 && nh_metric(m, RETRIES) == retries + 1);

	/* back in in_service elsewhere, with an event of another writer in the
	 * chain: the kept row (acceptance) would refuse the record, so it is read
	 * again before any answer; the record follows the other writer's event
	 * (seq, prev_hash), not the kept row */
	snprintf(sql, sizeof sql, "WITH o AS (SELECT p.last_seq, p.last_hash, (SELECT max(at) FROM "
	    "project_event e WHERE e.project_id = p.id) AS at FROM project p WHERE p.id = %lld), "
	    "p AS (UPDATE project SET state = 'in_service', version = version + 1, "
	    "last_seq = o.last_seq + 1, last_hash = event_hash(o.last_hash, %lld, o.last_seq + 1, "
	    "'record_supervision', 'in_service', 'in_service', 'elsewhere', o.at, '{}'::jsonb) "
	    "FROM o WHERE id = %lld RETURNING project.last_seq, project.last_hash) "
	    "INSERT INTO project_event (project_id, seq, event, from_state, to_state, actor, at, "
	    "payload, prev_hash, hash) SELECT %lld, p.last_seq, 'record_supervision', 'in_service', "
	    "'in_service', 'elsewhere', o.at, '{}', o.last_hash, p.last_hash FROM p, o",
	    (long long)id, (long long)id, (long long)id, (long long)id);
	assert_int_equal(harness_sql(h, sql), 0);
	snprintf(sql, sizeof sql, "SELECT last_seq || ' ' || encode(last_hash, 'hex') FROM project "
	    "WHERE id = %lld", (long long)id);
	char head[160];
	assert_int_equal(harness_sql_value(h, sql, head, sizeof head), 0);
	r = h_event(h, w.officer, id, "record_supervision", "%s", pl);
	assert_project(r, "in_service", v + 5);
	char want[160];
	snprintf(want, sizeof want, "%lld %s", (long long)h_int(r.body, "event.seq") - 1,
	    h_str(r.body, "event.prev_hash"));
	assert_string_equal(want, head);
	json_t *p = h_project_get(h, &w, id);
	assert_json_int(p, "version", v + 5);
	assert_int_equal(harness_ctl(h, out, sizeof out, "verify", (char *)NULL), 0);
	m = nh_metrics(h);	/* refused on the kept row: read, not retried after a write */
	assert_true(nh_metric(m, CACHE_HITS) == hits + 3 && nh_metric(m, RETRIES) == retries + 1);
}

/* --- the catalogue ---------------------------------------------------------- */

#define CACHE_MISSES "procurd_project_cache_total{outcome=\"miss\"}"

/* A connection made again after a lost one may be to a server that
 * restarted and lost commits not yet flushed: the project cache forgets
 * every kept row then, so the first record after every connection was cut
 * reads its project again (a miss) rather than trusting the kept row. */
static void
test_cache_forgotten_after_reconnect(void **state)
{
	struct harness *h = *state;
	struct world w;
	h_world(h, &w, "CFR", 0);
	int64_t id = h_project(h, &w, &(struct pspec){ .title = "home visits" });
	int64_t v = h_drive(h, &w, id, "in_service", NULL);
	const char *pl = "{\"inspection\": \"visit\", \"finding\": \"ok\"}";
	struct resp r = h_event(h, w.officer, id, "record_supervision", "%s", pl);
	assert_project(r, "in_service", v + 1);
	r = h_event(h, w.officer, id, "record_supervision", "%s", pl);
	assert_project(r, "in_service", v + 2);	/* decided on the kept row */
	double misses = nh_metric(nh_metrics(h), CACHE_MISSES);

	assert_int_equal(harness_sql(h, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
	    "WHERE datname = current_database() AND pid <> pg_backend_pid()"), 0);
	/* the loop reads each idle connection's goodbye: the next job on it
	 * connects again first (as it would after a restart) */
	h_sleep_ms(500);
	int tries = 0;
	while ((r = h_event(h, w.officer, id, "record_supervision", "%s", pl)).status != 200) {
		assert_error(r, 503, "database_unavailable");
		assert_true(++tries < 40);
		h_sleep_ms(50);
	}
	assert_true(nh_metric(nh_metrics(h), CACHE_MISSES) > misses);
	/* group commit's flush connection was cut too: the first answer that
	 * waits for a flush may be 503 (outcome unknown); a retry with the same
	 * key finds it, once, and the daemon is whole for the next test */
	char path[64];
	snprintf(path, sizeof path, "/v1/projects/%lld/events", (long long)id);
	const char *body = "{\"event\":\"record_supervision\",\"payload\":"
	    "{\"inspection\":\"after the cut\",\"finding\":\"ok\"}}";
	for (tries = 0; (r = h_req(h, "POST", path, w.officer, body,
	    "Idempotency-Key: cache-cut-1")).status != 200; tries++) {
		assert_error(r, 503, "database_unavailable");
		assert_true(tries < 40);
		h_sleep_ms(50);
	}
}

static void
test_catalogue_scope(void **state)
{
	struct harness *h = *state;
	struct world w;
	h_world(h, &w, "CAT", 0);

	struct resp r = h_post(h, w.admin, "/v1/catalog", "{\"code\":\"CAT.pending\",\"name\":\"not yet "
	    "approved\",\"category\":\"elderly_care\",\"approved\":false,\"purchasable\":true}");
	assert_status(r, 201);
	r = h_post(h, h->admin, "/v1/catalog", "{\"code\":\"CAT.inhouse\",\"name\":\"delivered by the "
	    "bureau\",\"category\":\"elderly_care\",\"approved\":true,\"purchasable\":false}");
	assert_status(r, 201);
	/* administrative functions may never be bought */
	r = h_post(h, h->admin, "/v1/catalog", "{\"code\":\"CAT.licensing\",\"name\":\"licensing "
	    "decisions\",\"category\":\"administration\",\"approved\":true,\"purchasable\":true,"
	    "\"restricted\":true}");
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "restricted_not_purchasable");
	r = h_post(h, h->admin, "/v1/catalog", "{\"code\":\"CAT.secret\",\"name\":\"confidential "
	    "files\",\"category\":\"administration\",\"approved\":true,\"restricted\":true}");
	assert_status(r, 201);
	assert_true(json_is_false(h_at(r.body, "purchasable")));
	r = h_post(h, w.admin, "/v1/catalog", "{\"code\":\"CAT.pending\",\"name\":\"twice\","
	    "\"category\":\"x\"}");
	assert_error(r, 409, "conflict");
	r = h_get(h, w.officer, "/v1/catalog");
	assert_status(r, 200);

	struct {
		const char *items, *code, *reason;
	} cases[] = {
		{ "[\"CAT.casework\",\"CAT.pending\"]", "CAT.pending", "not_approved" },
		{ "[\"CAT.inhouse\"]", "CAT.inhouse", "not_purchasable" },
		{ "[\"CAT.secret\"]", "CAT.secret", "not_purchasable" },
		{ "[\"CAT.casework\",\"CAT.nowhere\"]", "CAT.nowhere", "unknown" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t id = h_project(h, &w, &(struct pspec){ .items_json = cases[i].items });
		r = h_event_v(h, w.officer, id, "submit", 1, NULL);
		assert_error(r, 422, "rule_violation");
		assert_rule(r, "catalog_item_not_purchasable");
		assert_int_equal(h_len(r.body, "error.details.items"), 1);
		assert_json_str(r.body, "error.details.items.0.code", cases[i].code);
		assert_json_str(r.body, "error.details.items.0.reason", cases[i].reason);
		json_t *p = h_project_get(h, &w, id);
		assert_json_str(p, "state", "draft");
		assert_json_int(p, "version", 1);
	}
	/* an item cannot be made purchasable while restricted */
	r = h_put(h, w.admin, "/v1/catalog/CAT.secret", "{\"purchasable\":true}");
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "restricted_not_purchasable");
	r = h_put(h, w.officer, "/v1/catalog/CAT.pending", "{\"approved\":true}");
	assert_error(r, 403, "forbidden");
	r = h_put(h, h->admin, "/v1/catalog/CAT.nowhere", "{\"approved\":true}");
	assert_error(r, 404, "not_found");
	r = h_get(h, w.officer, "/v1/catalog");
	bool still_restricted = false;
	for (size_t i = 0; i < h_len(r.body, "items"); i++) {
		json_t *it = json_array_get(h_at(r.body, "items"), i);
		if (h_str(it, "code") && !strcmp(h_str(it, "code"), "CAT.secret"))
			still_restricted = json_is_false(h_at(it, "purchasable")) &&
			    json_is_true(h_at(it, "restricted"));
	}
	assert_true(still_restricted);
	/* a county's admin may list items but not approve them (000 §3.3) */
	r = h_put(h, w.admin, "/v1/catalog/CAT.pending", "{\"approved\":true}");
	assert_error(r, 403, "forbidden");
	r = h_post(h, w.admin, "/v1/catalog", "{\"code\":\"CAT.county\",\"name\":\"x\","
	    "\"category\":\"x\",\"approved\":true}");
	assert_error(r, 403, "forbidden");
	/* once the province approves the pending item, the same needs pass */
	r = h_put(h, h->admin, "/v1/catalog/CAT.pending", "{\"approved\":true}");
	assert_status(r, 200);
	assert_true(json_is_true(h_at(r.body, "approved")));
	int64_t again = h_project(h, &w, &(struct pspec){ .items_json = cases[0].items });
	r = h_event_v(h, w.officer, again, "submit", 1, NULL);
	assert_project(r, "needs_review", 2);

	/* needs incomplete: no items at all */
	int64_t id = h_project(h, &w, &(struct pspec){ .items_json = "[]" });
	r = h_event_v(h, w.officer, id, "submit", 1, NULL);
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "needs_incomplete");
	assert_json_str(r.body, "error.details.missing.0", "catalog_items");
}

/* --- contractors: exit, ban, qualification, credit code -------------------- */

static void
test_fraud_exit_bans_and_hands_over(void **state)
{
	struct harness *h = *state;
	struct world w;
	h_world(h, &w, "BAN", 0);
	int64_t cheat = w.contractor[0];

	int64_t id = h_project(h, &w, NULL);
	int64_t v = h_drive(h, &w, id, "in_service", NULL);
	json_t *p = h_project_get(h, &w, id);
	assert_json_int(p, "award.contractor_id", cheat);
	/* the same contractor has just won another tender, not yet signed */
	struct tender t2 = { .n_bids = 3 };
	int64_t pending = h_project(h, &w, NULL);
	int64_t pv = h_drive(h, &w, pending, "awarded", &t2);
	assert_json_int(h_project_get(h, &w, pending), "award.contractor_id", cheat);
	v = h_int(h_project_get(h, &w, id), "version");

	struct resp r = h_event_v(h, w.officer, id, "contractor_exit", v,
	    "{\"reason\":\"embezzlement\",\"detail\":\"x\"}");
	assert_error(r, 400, "invalid_field");
	assert_json_str(r.body, "error.details.field", "reason");
	r = h_event_v(h, w.officer, id, "complete_takeover", v, NULL);
	assert_error(r, 409, "invalid_transition");

	char today[11], ends[24];
	snprintf(today, sizeof today, "%s", h_time(h, 0, NULL));
	snprintf(ends, sizeof ends, "%04d%s", atoi(today) + 3, today + 4);
	r = h_event_v(h, w.officer, id, "contractor_exit", v,
	    "{\"reason\":\"fraud\",\"detail\":\"forged attendance records\"}");
	assert_project(r, "takeover", ++v);
	int64_t succ = h_int(r.body, "successor_id");
	assert_true(succ > 0);
	assert_json_int(r.body, "event.payload.result.successor_id", succ);
	assert_json_int(r.body, "event.payload.result.ban.contractor_id", cheat);
	assert_json_str(r.body, "event.payload.result.ban.reason", "fraud");
	assert_json_str(r.body, "event.payload.result.ban.starts", today);
	assert_json_str(r.body, "event.payload.result.ban.ends", ends);

	/* the successor: a draft linked back, with the money not yet paid */
	json_t *s = h_project_get(h, &w, succ);
	assert_json_str(s, "state", "draft");
	assert_json_int(s, "version", 1);
	assert_json_int(s, "predecessor_id", id);
	assert_json_int(s, "budget_fen", 900000);
	assert_json_str(s, "agency", "BAN");
	r = h_get(h, w.auditor, "/v1/projects/%lld/events", (long long)succ);
	assert_int_equal(h_len(r.body, "items"), 1);
	assert_json_str(r.body, "items.0.event", "create");
	assert_json_int(r.body, "items.0.payload.predecessor_id", id);
	assert_json_str(r.body, "items.0.payload.reason", "fraud");
	r = h_get(h, w.auditor, "/v1/projects/%lld/events", (long long)id);
	size_t n = h_len(r.body, "items");
	json_t *last = json_array_get(h_at(r.body, "items"), n - 1);
	assert_json_str(last, "event", "contractor_exit");
	assert_json_str(last, "to", "takeover");
	assert_json_int(last, "payload.result.successor_id", succ);

	/* the contractor's record shows the ban */
	r = h_get(h, w.reviewer, "/v1/contractors/%lld", (long long)cheat);
	assert_status(r, 200);
	assert_true(json_is_true(h_at(r.body, "banned")));
	assert_int_equal(h_len(r.body, "bans"), 1);
	assert_json_str(r.body, "bans.0.reason", "fraud");
	assert_json_str(r.body, "bans.0.starts", today);
	assert_json_str(r.body, "bans.0.ends", ends);
	assert_json_int(r.body, "bans.0.project_id", id);
	assert_true(json_is_true(h_at(r.body, "bans.0.active")));

	/* the takeover completes: the successor exists */
	r = h_event_v(h, w.officer, id, "complete_takeover", v, NULL);
	assert_project(r, "terminated", ++v);
	p = h_project_get(h, &w, id);
	assert_json_int(p, "successor_id", succ);

	/* nor sign the contract it won before the ban: the award passes on */
	const char *sign = "{\"contract_no\":\"HT-B\",\"amount_fen\":900000,\"takeover_plan\":"
	    "{\"interim_provider\":%lld,\"handover_days\":5,\"contacts\":[\"hotline 12345\"]}}";
	r = h_event_v(h, w.officer, pending, "sign_contract", pv, sign, (long long)w.contractor[2]);
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "contractor_banned");
	assert_json_int(r.body, "error.details.contractor_id", cheat);
	p = h_project_get(h, &w, pending);
	assert_json_str(p, "state", "awarded");
	assert_json_int(p, "version", pv);
	r = h_event_v(h, w.officer, pending, "decline_award", pv, "{\"reason\":\"banned for fraud\"}");
	assert_project(r, "awarded", ++pv);
	assert_json_int(r.body, "award.contractor_id", w.contractor[1]);
	r = h_event_v(h, w.officer, pending, "sign_contract", pv,
	    "{\"contract_no\":\"HT-B\",\"amount_fen\":910000,\"takeover_plan\":"
	    "{\"interim_provider\":%lld,\"handover_days\":5,\"contacts\":[\"hotline 12345\"]}}",
	    (long long)w.contractor[2]);
	assert_project(r, "contracted", ++pv);
	assert_json_int(r.body, "contract.takeover_plan.interim_provider", w.contractor[2]);

	/* the banned contractor cannot bid any more */
	int64_t other = h_project(h, &w, NULL);
	h_drive(h, &w, other, "announced", NULL);
	char path[64];
	snprintf(path, sizeof path, "/v1/projects/%lld/bids", (long long)other);
	r = h_post(h, w.officer, path, "{\"contractor_id\":%lld,\"price_fen\":500000}",
	    (long long)cheat);
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "contractor_banned");
	assert_json_int(r.body, "error.details.contractor_id", cheat);
	r = h_post(h, w.officer, path, "{\"contractor_id\":%lld,\"price_fen\":500000}",
	    (long long)w.contractor[1]);
	assert_status(r, 201);

	/* the successor goes its own way: submitted like any draft */
	r = h_event_v(h, w.officer, succ, "submit", 1, NULL);
	assert_project(r, "needs_review", 2);
}

static void
test_qualifications_and_credit_codes(void **state)
{
	struct harness *h = *state;
	struct world w;
	h_world(h, &w, "QUA", 0);
	int64_t no_staff = h_contractor(h, w.officer, "QUA centre without staff", "staff");
	struct resp r = h_get(h, w.officer, "/v1/contractors/%lld", (long long)no_staff);
	assert_true(json_is_false(h_at(r.body, "staff")));
	assert_true(json_is_false(h_at(r.body, "qualified")));
	assert_true(json_is_false(h_at(r.body, "banned")));

	int64_t id = h_project(h, &w, NULL);
	h_drive(h, &w, id, "announced", NULL);
	char path[64];
	snprintf(path, sizeof path, "/v1/projects/%lld/bids", (long long)id);
	r = h_post(h, w.officer, path, "{\"contractor_id\":%lld,\"price_fen\":500000}",
	    (long long)no_staff);
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "contractor_unqualified");
	assert_int_equal(h_len(r.body, "error.details.missing"), 1);
	assert_json_str(r.body, "error.details.missing.0", "staff");
	r = h_get(h, w.officer, "/v1/projects/%lld/bids", (long long)id);
	assert_int_equal(h_len(r.body, "items"), 0);

	/* credit codes: the check character is verified */
	char good[19], bad[19];
	h_credit_code(h, good);
	snprintf(bad, sizeof bad, "%s", good);
	bad[17] = bad[17] == '0' ? '1' : '0';
	r = h_post(h, w.officer, "/v1/contractors", "{\"name\":\"wrong check\",\"kind\":\"enterprise\","
	    "\"credit_code\":\"%s\"}", bad);
	assert_error(r, 400, "invalid_field");
	assert_json_str(r.body, "error.details.field", "credit_code");
	r = h_post(h, w.officer, "/v1/contractors", "{\"name\":\"short\",\"kind\":\"enterprise\","
	    "\"credit_code\":\"91430100MA4L0000\"}");
	assert_error(r, 400, "invalid_field");
	assert_json_str(r.body, "error.details.field", "credit_code");
	r = h_post(h, w.officer, "/v1/contractors", "{\"name\":\"letter I\",\"kind\":\"enterprise\","
	    "\"credit_code\":\"91430100MA4I00001\"}");
	assert_error(r, 400, "invalid_field");
	r = h_post(h, w.officer, "/v1/contractors", "{\"name\":\"bad kind\",\"kind\":\"charity\","
	    "\"credit_code\":\"%s\"}", good);
	assert_error(r, 400, "invalid_field");
	assert_json_str(r.body, "error.details.field", "kind");
	r = h_post(h, w.officer, "/v1/contractors", "{\"name\":\"good\",\"kind\":\"public_institution\","
	    "\"credit_code\":\"%s\"}", good);
	assert_status(r, 201);
	assert_true(json_is_false(h_at(r.body, "qualified")));
	r = h_post(h, w.officer, "/v1/contractors", "{\"name\":\"again\",\"kind\":\"enterprise\","
	    "\"credit_code\":\"%s\"}", good);
	assert_error(r, 409, "conflict");
	/* a published real-world code with its check character verifies too */
	assert_int_equal(h_credit_check_char("91350100M000100Y4"), '3');
}

/* --- past performance --------------------------------------------------------- */

static void
test_past_performance_decides(void **state)
{
	struct harness *h = *state;
	struct world w;
	h_world(h, &w, "PP", 0);
	int64_t good = w.contractor[0], newcomer = w.contractor[1];

	/* last year: contractor A delivered and was evaluated highly */
	int64_t last = h_project(h, &w, &(struct pspec){ .fiscal_year = 2025,
	    .title = "2025 casework" });
	int64_t v = h_drive(h, &w, last, "year_end_review", NULL);
	struct resp r = h_event_v(h, w.reviewer, last, "evaluate", v,
	    "{\"purchaser_score\":95,\"recipient_satisfaction\":98,\"third_party_score\":92}");
	assert_project(r, "closed", v + 1);
	/* 30 % × 95 + 40 % × 98 + 30 % × 92 */
	assert_json_num(r.body, "evaluation.composite", 95.3);

	/* published to every role */
	const char *readers[] = { w.evaluator[0], w.auditor, w.finance, w.officer };
	for (size_t i = 0; i < 4; i++) {
		r = h_get(h, readers[i], "/v1/evaluations?year=2025");
		assert_status(r, 200);
		assert_int_equal(h_len(r.body, "items"), 1);
		assert_json_int(r.body, "items.0.project_id", last);
		assert_json_int(r.body, "items.0.contractor_id", good);
		assert_json_int(r.body, "items.0.fiscal_year", 2025);
		assert_json_num(r.body, "items.0.composite", 95.3);
		assert_json_num(r.body, "items.0.recipient_satisfaction", 98);
	}
	r = h_get(h, w.officer, "/v1/evaluations?year=2026");
	assert_int_equal(h_len(r.body, "items"), 0);
	r = h_get(h, w.officer, "/v1/evaluations");
	assert_error(r, 400, "invalid_field");
	/* in pages, as every list: a second evaluation of that year, as good
	 * (the ranking below reads the same composite) */
	int64_t last2 = h_project(h, &w, &(struct pspec){ .fiscal_year = 2025,
	    .title = "2025 casework, second county" });
	v = h_drive(h, &w, last2, "year_end_review", NULL);
	r = h_event_v(h, w.reviewer, last2, "evaluate", v,
	    "{\"purchaser_score\":95,\"recipient_satisfaction\":98,\"third_party_score\":92}");
	assert_project(r, "closed", v + 1);
	char first[32];
	snprintf(first, sizeof first, "%lld", (long long)last);
	r = h_get(h, w.officer, "/v1/evaluations?year=2025&limit=1");
	assert_int_equal(h_len(r.body, "items"), 1);
	assert_json_int(r.body, "items.0.project_id", last);
	assert_json_str(r.body, "next", first);
	r = h_get(h, w.officer, "/v1/evaluations?year=2025&limit=1&after=%s", first);
	assert_int_equal(h_len(r.body, "items"), 1);
	assert_json_int(r.body, "items.0.project_id", last2);
	assert_true(json_is_null(h_at(r.body, "next")));
	r = h_get(h, w.officer, "/v1/public/evaluations?year=2025&limit=1&after=%s", first);
	assert_status(r, 200);
	assert_int_equal(h_len(r.body, "items"), 1);
	assert_json_int(r.body, "items.0.project_id", last2);
	r = h_get(h, w.officer, "/v1/public/evaluations?year=2025&after=%lld", (long long)last2);
	assert_status(r, 200);
	assert_int_equal(h_len(r.body, "items"), 0);
	r = h_get(h, w.officer, "/v1/evaluations?year=2025&limit=0");
	assert_error(r, 400, "invalid_field");
	r = h_get(h, w.officer, "/v1/incidents?limit=x");
	assert_error(r, 400, "invalid_field");
	r = h_get(h, w.officer, "/v1/contractors/%lld", (long long)good);
	assert_int_equal(h_len(r.body, "evaluations"), 2);
	assert_json_num(r.body, "evaluations.0.composite", 95.3);
	assert_json_num(r.body, "evaluations.1.composite", 95.3);

	/* this year: past performance is a criterion; B's sheet is a little better */
	struct tender t = {
		.n_bids = 3, .price = { 1000000, 1000000, 1000000 },
		.plan = { 36, 38, 30 }, .staff = { 18, 18, 15 },
		.criteria = "[{\"name\":\"service_plan\",\"kind\":\"quality\",\"weight\":40},"
		    "{\"name\":\"staffing\",\"kind\":\"quality\",\"weight\":20},"
		    "{\"name\":\"past_performance\",\"kind\":\"quality\",\"weight\":20},"
		    "{\"name\":\"price\",\"kind\":\"price\",\"weight\":20}]",
	};
	int64_t now = h_project(h, &w, &(struct pspec){ .title = "2026 casework" });
	v = h_drive(h, &w, now, "scoring", &t);
	h_scores(h, &w, now, &t);
	/* past performance is computed, never scored */
	char path[96];
	snprintf(path, sizeof path, "/v1/projects/%lld/bids/%lld/scores", (long long)now,
	    (long long)t.bid_ids[0]);
	r = h_post(h, w.evaluator[2], path,
	    "{\"scores\":{\"service_plan\":40,\"staffing\":20,\"past_performance\":20}}");
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "score_sheet");
	assert_json_str(r.body, "error.details.criterion", "past_performance");

	r = h_get(h, w.officer, "/v1/projects/%lld/ranking", (long long)now);
	assert_status(r, 200);
	json_t *it = h_at(r.body, "items");
	/* A: 54 + 20 × 95.3 % = 73.06; B: 56 + 20 × 60 % (neutral) = 68 */
	assert_json_int(it, "0.contractor_id", good);
	assert_json_int(it, "0.rank", 1);
	assert_json_str(it, "0.past_performance.source", "evaluations");
	assert_json_num(it, "0.past_performance.composite", 95.3);
	assert_json_num(it, "0.past_performance.points", 19.06);
	assert_json_num(it, "0.quality_score", 73.06);
	assert_json_num(it, "0.price_score", 20);
	assert_json_num(it, "0.total", 93.06);
	assert_json_int(it, "1.contractor_id", newcomer);
	assert_json_int(it, "1.rank", 2);
	assert_json_str(it, "1.past_performance.source", "neutral");
	assert_true(json_is_null(h_at(it, "1.past_performance.composite")));
	assert_json_num(it, "1.past_performance.points", 12);
	assert_json_num(it, "1.quality_score", 68);
	assert_json_num(it, "1.total", 88);
	assert_json_int(it, "2.contractor_id", w.contractor[2]);
	assert_json_num(it, "2.total", 77);

	r = h_event_v(h, w.officer, now, "award", v, NULL);
	assert_project(r, "awarded", v + 1);
	assert_json_int(r.body, "award.contractor_id", good);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_special_funds_cap, h_test_teardown),
		cmocka_unit_test_teardown(test_special_funds_cap_race, h_test_teardown),
		cmocka_unit_test_teardown(test_supervision_race, h_test_teardown),
		cmocka_unit_test_teardown(test_supervision_on_a_row_changed_elsewhere, h_test_teardown),
		cmocka_unit_test_teardown(test_cache_forgotten_after_reconnect, h_test_teardown),
		cmocka_unit_test_teardown(test_catalogue_scope, h_test_teardown),
		cmocka_unit_test_teardown(test_fraud_exit_bans_and_hands_over, h_test_teardown),
		cmocka_unit_test_teardown(test_qualifications_and_credit_codes, h_test_teardown),
		cmocka_unit_test_teardown(test_past_performance_decides, h_test_teardown),
	};
	h_group_name = "rules";
	curl_global_init(CURL_GLOBAL_ALL);
	int rc = cmocka_run_group_tests_name("it_rules", tests, h_group_setup, h_group_teardown);
	curl_global_cleanup();
	return rc;
}
