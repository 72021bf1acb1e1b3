/* Integration: a daemon stopped or killed in the middle of a lifecycle
 * loses nothing — state, history, idempotency records, the clock; and a
 * daemon whose database connections are cut reconnects by itself. */
#include "harness.h"
#include "nharness.h"

#include <libpq-fe.h>
#include <pthread.h>

#include <string.h>

static struct world W;
static bool world_made;

static struct world *
world(struct harness *h)
{
	if (!world_made) {
		h_world(h, &W, "RS", 0);
		world_made = true;
	}
	return &W;
}

/* The history: N events, seq 1..N, hash-chained; the event names. */
static void
assert_history(struct harness *h, struct world *w, int64_t id, size_t n, const char *const *evs)
{
	struct resp r = h_get(h, w->auditor, "/v1/projects/%lld/events", (long long)id);
	assert_status(r, 200);
	json_t *items = h_at(r.body, "items");
	assert_int_equal(json_array_size(items), n);
	const char *prev = "";
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(items, i);
		assert_json_int(e, "seq", (int64_t)i + 1);
		assert_json_str(e, "prev_hash", prev);
		assert_json_str(e, "event", evs[i]);
		prev = h_str(e, "hash");
	}
}

static const char *const full_life[] = { "create", "submit", "approve_needs", "approve_budget",
	"publish", "close_bidding", "award", "sign_contract", "start_service", "record_supervision",
	"complete_service", "accept", "confirm_payment", "evaluate" };

static void
verify_ok(struct harness *h)
{
	char out[512];
	int rc = harness_ctl(h, out, sizeof out, "verify", (char *)NULL);
	if (rc != 0)
		fail_msg("procurctl verify exited %d: %s", rc, out);
}

static void
test_sigterm_mid_lifecycle(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);
	struct tender t = { .n_bids = 3 };

	int64_t id = h_project(h, w, NULL);
	int64_t v = h_drive(h, w, id, "in_service", &t);
	assert_int_equal(v, 9);
	int64_t offset = h_clock_offset(h);

	int rc = harness_daemon_term(h);
	assert_int_equal(rc, 0);
	/* nobody answers while it is down */
	struct resp r = h_get(h, NULL, "/healthz");
	assert_int_equal(r.status, -1);
	assert_int_equal(harness_daemon_start(h), 0);

	json_t *p = h_project_get(h, w, id);
	assert_json_str(p, "state", "in_service");
	assert_json_int(p, "version", 9);
	assert_json_int(p, "award.contractor_id", w->contractor[0]);
	assert_json_int(p, "contract.amount_fen", 900000);
	assert_int_equal(h_clock_offset(h), offset);
	assert_history(h, w, id, 9, full_life);

	v = h_drive(h, w, id, "closed", &t);
	assert_int_equal(v, 14);
	assert_history(h, w, id, 14, full_life);
	verify_ok(h);
}

static void
test_sigkill_mid_lifecycle(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);
	struct tender t = { .n_bids = 3 };
	char path[64];

	int64_t id = h_project(h, w, NULL);
	int64_t v = h_drive(h, w, id, "awarded", &t);
	assert_int_equal(v, 7);
	/* an event with an idempotency key just before the crash */
	snprintf(path, sizeof path, "/v1/projects/%lld/events", (long long)id);
	const char *body = "{\"event\":\"sign_contract\",\"expected_version\":7,\"payload\":"
	    "{\"contract_no\":\"HT-K\",\"amount_fen\":900000,\"takeover_plan\":"
	    "{\"interim_provider\":\"in_house\",\"handover_days\":3,"
	    "\"contacts\":[\"coordinator@example.org\"]}}}";
	struct resp a = h_req(h, "POST", path, w->officer, body, "Idempotency-Key: sign-before-crash");
	assert_project(a, "contracted", 8);
	h_clock_advance(h, 3 * H_DAY);
	int64_t offset = h_clock_offset(h);
	usec_t before = h->now;

	harness_kill(h);
	assert_int_equal(harness_daemon_start(h), 0);

	/* the clock kept its offset: time did not jump back to the real date */
	assert_int_equal(h_clock_offset(h), offset);
	assert_true(h->now >= before);
	json_t *p = h_project_get(h, w, id);
	assert_json_str(p, "state", "contracted");
	assert_json_int(p, "version", 8);
	assert_json_str(p, "contract.contract_no", "HT-K");
	assert_history(h, w, id, 8, full_life);
	/* the retry after the crash gets the first answer, not a second event */
	struct resp b = h_req(h, "POST", path, w->officer, body, "Idempotency-Key: sign-before-crash");
	assert_project(b, "contracted", 8);
	assert_json_int(b.body, "event.seq", 8);
	assert_json_str(b.body, "event.hash", h_str(a.body, "event.hash"));
	assert_history(h, w, id, 8, full_life);

	v = h_drive(h, w, id, "closed", &t);
	assert_int_equal(v, 14);
	assert_history(h, w, id, 14, full_life);
	verify_ok(h);

	/* and a clean stop at the end exits 0 (asserted by the teardown too) */
	harness_restart(h);
	p = h_project_get(h, w, id);
	assert_json_str(p, "state", "closed");
}

/* Every connection the daemon holds is cut under it (as when PostgreSQL
 * restarts): requests meanwhile get 503 in the error shape, never a hang or a
 * crash; the pool's connections, group commit's, the relay's and the timer's
 * LISTEN come back by themselves, and nothing half-written is left. A 503 may
 * come after a commit (when group commit cannot confirm it durable): a client
 * retries with its Idempotency-Key, and each record is applied exactly once. */
static void
test_database_connections_cut(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);
	struct tender t = { .n_bids = 3 };
	char path[64];

	int64_t id = h_project(h, w, NULL);
	int64_t v = h_drive(h, w, id, "in_service", &t);
	assert_int_equal(v, 9);
	assert_int_equal(harness_sql(h, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
	    "WHERE datname = current_database() AND pid <> pg_backend_pid()"), 0);

	snprintf(path, sizeof path, "/v1/projects/%lld/events", (long long)id);
	const char *body = "{\"event\":\"record_supervision\",\"payload\":"
	    "{\"inspection\":\"after the cut\",\"finding\":\"ok\"}}";
	int unavailable = 0;
	for (int k = 1; k <= 5; k++) {
		char key[64];
		snprintf(key, sizeof key, "Idempotency-Key: after-the-cut-%d", k);
		struct resp r;
		for (int tries = 0; (r = h_req(h, "POST", path, w->officer, body, key)).status != 200;
		    tries++) {
			assert_error(r, 503, "database_unavailable");
			unavailable++;
			assert_true(tries < 40);
			h_sleep_ms(50);
		}
		/* exactly once: a retry after an unknown outcome found the first */
		assert_json_int(r.body, "version", v + k);
		assert_json_int(r.body, "event.seq", v + k);
	}
	/* each of the pool's connections (pool_size = 4 in the harness) fails at
	 * most once, and only if a request reaches it before the loop has read
	 * the server's goodbye on it; group commit's once */
	assert_true(unavailable <= 5);
	json_t *p = h_project_get(h, w, id);
	assert_json_int(p, "version", v + 5);

	/* the deadline timer still fires: a tender closes by itself */
	int64_t id2 = h_project(h, w, NULL);
	struct tender t2 = { .n_bids = 3 };
	int64_t v2 = h_drive(h, w, id2, "announced", &t2);
	h_bids(h, w, id2, &t2);
	h_await_close(h, w, id2, v2, "scoring");
	verify_ok(h);
}

/* A client of its own for test_pipes_cut_under_load: posts N records to its
 * project, counting 200s and 503s and keeping the sequence each 200 gave. */
struct cut_client {
	const char *url, *token;
	int64_t id;
	int n, ok, unavailable, other;
	int64_t seqs[64];
};

static void *
post_through_cuts(void *arg)
{
	struct cut_client *cc = arg;
	CURL *c = curl_easy_init();
	char path[64], body[160];
	snprintf(path, sizeof path, "/v1/projects/%lld/events", (long long)cc->id);
	for (int k = 0; k < cc->n; k++) {
		snprintf(body, sizeof body, "{\"event\":\"record_supervision\",\"payload\":"
		    "{\"inspection\":\"through the cuts %d\",\"finding\":\"ok\"}}", k);
		struct resp r = h_req_on(c, cc->url, "POST", path, cc->token, body, NULL);
		json_t *seq = r.body ? json_object_get(json_object_get(r.body, "event"), "seq") : NULL;
		if (r.status == 200 && json_is_integer(seq) && cc->ok < 64)
			cc->seqs[cc->ok++] = json_integer_value(seq);
		else if (r.status == 503)
			cc->unavailable++;
		else {
			cc->other++;
			fprintf(stderr, "post_through_cuts: %ld %.300s\n", r.status, r.raw ? r.raw : "");
		}
		h_resp_free(&r);
	}
	curl_easy_cleanup(c);
	return NULL;
}

/* Group commit's pipelined connections are cut while records stream in from
 * four clients at once: every answer is a 200 or a 503 in the error shape;
 * every 200's event is in the history at the sequence it gave; a 503 may or
 * may not have been recorded (its write was in flight), so each project holds
 * its 200s and at most its 503s more; the pipes come back by themselves and
 * the chains stay intact. */
static void
test_pipes_cut_under_load(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);
	struct tender t = { .n_bids = 3 };
	enum { CLIENTS = 4, EACH = 60 };
	const char *piped = "procurd_pipelined_writes_total{outcome=\"ok\"}";
	struct cut_client cc[CLIENTS];
	pthread_t th[CLIENTS];

	for (int i = 0; i < CLIENTS; i++) {
		int64_t id = h_project(h, w, NULL);
		assert_int_equal(h_drive(h, w, id, "in_service", &t), 9);
		cc[i] = (struct cut_client){ .url = h->url, .token = w->officer, .id = id, .n = EACH };
	}
	double p0 = nh_metric(nh_metrics(h), piped);
	for (int i = 0; i < CLIENTS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, post_through_cuts, &cc[i]), 0);
	int cut = 0;
	for (int round = 0; round < 4; round++) {
		h_sleep_ms(40);
		cut += nh_sql_int(h, "SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity "
		    "WHERE application_name = 'procurd pipelined writes'");
	}
	for (int i = 0; i < CLIENTS; i++)
		pthread_join(th[i], NULL);
	assert_true(cut > 0);	/* the pipes were there to cut */

	int ok = 0;
	for (int i = 0; i < CLIENTS; i++) {
		if (cc[i].other)
			harness_print_log(h);
		assert_int_equal(cc[i].other, 0);
		ok += cc[i].ok;
		int events = nh_sql_int(h, "SELECT count(*)::int FROM project_event WHERE project_id = %lld "
		    "AND event = 'record_supervision'", (long long)cc[i].id);
		assert_true(events >= cc[i].ok && events <= cc[i].ok + cc[i].unavailable);
		assert_int_equal(nh_sql_int(h, "SELECT version - 9 FROM project WHERE id = %lld",
		    (long long)cc[i].id), events);
		for (int k = 0; k < cc[i].ok; k++)
			assert_int_equal(nh_sql_int(h, "SELECT count(*)::int FROM project_event WHERE "
			    "project_id = %lld AND seq = %lld AND event = 'record_supervision'",
			    (long long)cc[i].id, (long long)cc[i].seqs[k]), 1);
	}
	assert_true(ok > 0);
	/* after the cuts, records go on the pipes again */
	double p1 = nh_metric(nh_metrics(h), piped);
	for (int i = 0; i < CLIENTS; i++) {
		cc[i].n = 20;
		cc[i].ok = cc[i].unavailable = 0;
		assert_int_equal(pthread_create(&th[i], NULL, post_through_cuts, &cc[i]), 0);
	}
	for (int i = 0; i < CLIENTS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(cc[i].ok, 20);
	}
	assert_true(p1 > p0);
	assert_true(nh_metric(nh_metrics(h), piped) > p1);
	/* both of them (group_commit_pipes = 2, the default) */
	assert_int_equal(nh_sql_int(h, "SELECT count(*)::int FROM pg_stat_activity "
	    "WHERE application_name = 'procurd pipelined writes'"), 2);
	verify_ok(h);
}

/* A client of its own, on its own projects: posts BODY N times (to IDS in
 * turn; a supervision record to ID when IDS is NULL) and checks after each
 * 200 that PostgreSQL's flush position has passed where the WAL ended
 * before the request. */
struct flush_client {
	const char *url, *token, *conninfo;
	int64_t id;
	int n, ok, not_flushed;
	const int64_t *ids;
	const char *body;
};

static void *
post_and_check(void *arg)
{
	struct flush_client *fc = arg;
	CURL *c = curl_easy_init();
	PGconn *pg = PQconnectdb(fc->conninfo);
	char path[64];
	for (int k = 0; k < fc->n && PQstatus(pg) == CONNECTION_OK; k++) {
		snprintf(path, sizeof path, "/v1/projects/%lld/events",
		    (long long)(fc->ids ? fc->ids[k] : fc->id));
		PGresult *q = PQexec(pg, "SELECT pg_current_wal_insert_lsn()");
		char lsn[64];
		snprintf(lsn, sizeof lsn, "%s", PQresultStatus(q) == PGRES_TUPLES_OK ?
		    PQgetvalue(q, 0, 0) : "FFFFFFFF/FFFFFFFF");
		PQclear(q);
		struct resp r = h_req_on(c, fc->url, "POST", path, fc->token, fc->body ? fc->body :
		    "{\"event\":\"record_supervision\",\"payload\":"
		    "{\"inspection\":\"together\",\"finding\":\"ok\"}}", NULL);
		bool ok = r.status == 200;
		h_resp_free(&r);
		if (!ok)
			continue;
		fc->ok++;
		const char *v[1] = { lsn };
		q = PQexecParams(pg, "SELECT pg_current_wal_flush_lsn() > $1::pg_lsn", 1, NULL, v,
		    NULL, NULL, 0);
		if (PQresultStatus(q) != PGRES_TUPLES_OK || strcmp(PQgetvalue(q, 0, 0), "t") != 0)
			fc->not_flushed++;
		PQclear(q);
	}
	PQfinish(pg);
	curl_easy_cleanup(c);
	return NULL;
}

/* No answer leaves before its event is on disk, with group commit and without
 * it. PostgreSQL's WAL writer is put to sleep (wal_writer_delay 10 s), so the
 * only flushes are the ones somebody waits for: after each 200, the flush
 * position must be past where the WAL ended before the request. One client
 * alone: each record leads (commits synchronously). Four at once: records
 * that come while another commit or a flush is in flight commit without
 * waiting, and their answers wait for the next flush. A flush that does not
 * flush (a commit that writes no WAL before its record is not waited for:
 * the first version of procurd's own flush) fails here, and so does a leader
 * that does not commit synchronously. Meanwhile a fifth client submits
 * projects: an event that leaves its state answers after its own
 * synchronous commit, without waiting for a flush, and its answers must be
 * on disk as well. */
static void
test_answers_wait_for_the_flush(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);
	struct tender t = { .n_bids = 3 };
	enum { CLIENTS = 4, EACH = 25, DRAFTS = 10 };
	int64_t ids[CLIENTS], drafts[2][DRAFTS];
	for (int i = 0; i < CLIENTS; i++) {
		ids[i] = h_project(h, w, NULL);
		assert_int_equal(h_drive(h, w, ids[i], "in_service", &t), 9);
	}
	for (int g = 0; g < 2; g++)
		for (int i = 0; i < DRAFTS; i++)
			/* (the earlier tests moved the clock past the default end) */
			drafts[g][i] = h_project(h, w, &(struct pspec){ .service_end = "2028-12-31" });
	const char *waited = "procurd_commit_answers_total{outcome=\"durable\"}";

	assert_int_equal(harness_sql(h, "ALTER SYSTEM SET wal_writer_delay = '10s'"), 0);
	assert_int_equal(harness_sql(h, "SELECT pg_reload_conf()"), 0);
	int64_t v = 9;
	for (int group = 1; group >= 0; group--) {
		if (!group) {
			/* the same with group commit off, as configured */
			FILE *f = fopen(h->conf, "a");
			assert_non_null(f);
			fputs("\n[database]\ngroup_commit = false\n", f);
			assert_int_equal(fclose(f), 0);
			harness_restart(h);
		}
		for (int k = 0; k < 4; k++) {
			char lsn[64];
			assert_int_equal(harness_sql_value(h, "SELECT pg_current_wal_insert_lsn()", lsn,
			    sizeof lsn), 0);
			struct resp r = h_event(h, w->officer, ids[0], "record_supervision",
			    "{\"inspection\":\"flush %d\",\"finding\":\"ok\"}", k);
			assert_int_equal(r.status, 200);
			assert_json_int(r.body, "version", ++v);
			assert_int_equal(nh_sql_int(h, "SELECT (pg_current_wal_flush_lsn() > '%s'::pg_lsn)::int",
			    lsn), 1);
		}
		double w0 = nh_metric(nh_metrics(h), waited);
		struct flush_client fc[CLIENTS + 1];
		pthread_t th[CLIENTS + 1];
		for (int i = 0; i < CLIENTS; i++) {
			fc[i] = (struct flush_client){ h->url, w->officer, h->pg_conninfo, ids[i], EACH, 0, 0,
				NULL, NULL };
			assert_int_equal(pthread_create(&th[i], NULL, post_and_check, &fc[i]), 0);
		}
		fc[CLIENTS] = (struct flush_client){ h->url, w->officer, h->pg_conninfo, 0, DRAFTS, 0, 0,
			drafts[group], "{\"event\":\"submit\"}" };
		assert_int_equal(pthread_create(&th[CLIENTS], NULL, post_and_check, &fc[CLIENTS]), 0);
		for (int i = 0; i < CLIENTS + 1; i++) {
			pthread_join(th[i], NULL);
			assert_int_equal(fc[i].ok, i < CLIENTS ? EACH : DRAFTS);
			assert_int_equal(fc[i].not_flushed, 0);
		}
		v += EACH;	/* ids[0]'s */
		double w1 = nh_metric(nh_metrics(h), waited);
		if (group)
			assert_true(w1 > w0);	/* some answers did wait for a flush */
		else
			assert_true(w1 == 0);	/* none does without group commit */
	}
	assert_int_equal(harness_sql(h, "ALTER SYSTEM RESET wal_writer_delay"), 0);
	assert_int_equal(harness_sql(h, "SELECT pg_reload_conf()"), 0);
	verify_ok(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_sigterm_mid_lifecycle, h_test_teardown),
		cmocka_unit_test_teardown(test_sigkill_mid_lifecycle, h_test_teardown),
		cmocka_unit_test_teardown(test_database_connections_cut, h_test_teardown),
		cmocka_unit_test_teardown(test_pipes_cut_under_load, h_test_teardown),
		/* last: it turns group commit off */
		cmocka_unit_test_teardown(test_answers_wait_for_the_flush, h_test_teardown),
	};
	h_group_name = "restart";
	return cmocka_run_group_tests_name("it_restart", tests, h_group_setup, h_group_teardown);
}
