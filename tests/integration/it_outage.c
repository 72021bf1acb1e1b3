/* Integration: the daemon while its PostgreSQL is down. This binary runs its
 * own cluster (scripts/pg.sh in a temp dir) so that it can stop it as a
 * crash would: readiness goes to 503 within a second and comes back, writes
 * answer 503 at once saying whether they were applied, /metrics still
 * answers and says the database is down, the outage is logged once, and
 * nothing a request sends can forge a log line. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char pgdir[128];

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
pg(const char *cmd)
{
	return harness_cluster(cmd, pgdir);
}

/* Poll /healthz?ready=1 until it answers WANT: the seconds it took, or -1
 * after LIMIT seconds. */
static double
await_ready(struct harness *h, long want, double limit)
{
	double t0 = now_s();
	while (now_s() - t0 < limit) {
		struct resp r = h_get(h, NULL, "/healthz?ready=1");
		if (r.status == want)
			return now_s() - t0;
		h_sleep_ms(50);
	}
	return -1;
}

static int
count_lines(const char *path, const char *needle, const char *at_start)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	int n = 0;
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f)) {
		if (needle && strstr(line, needle))
			n++;
		if (at_start && strncmp(line, at_start, strlen(at_start)) == 0)
			n++;
	}
	fclose(f);
	return n;
}

static int
setup(void **state)
{
	if (harness_cluster_start(pgdir, sizeof pgdir))
		return -1;
	return h_group_setup(state);
}

static int
teardown(void **state)
{
	pg("start");	/* the harness drops its database */
	int rc = h_group_teardown(state);
	harness_cluster_remove(pgdir);
	return rc;
}

static const char *const submit = "{\"event\":\"submit\",\"expected_version\":1,\"payload\":{}}";

/* A world CODE with a draft; its events' path into PATH. The id. */
static int64_t
draft(struct harness *h, struct world *w, const char *code, char path[64])
{
	h_world(h, w, code, 0);
	int64_t id = h_project(h, w, NULL);
	snprintf(path, 64, "/v1/projects/%lld/events", (long long)id);
	assert_true(await_ready(h, 200, 5) >= 0);
	return id;
}

/* The submit with KEY_HEADER retried while it meets 503 (5 s at most): the
 * database is back, its first answer must be the project submitted once. */
static void
submit_once_back(struct harness *h, struct world *w, int64_t id, const char *path,
    const char *key_header)
{
	struct resp r;
	double t0 = now_s();
	while ((r = h_req(h, "POST", path, w->officer, submit, key_header)).status == 503 &&
	    now_s() - t0 < 5)
		h_sleep_ms(100);
	assert_project(r, "needs_review", 2);
	r = h_get(h, w->officer, "/v1/projects/%lld/events", (long long)id);
	assert_int_equal(h_len(r.body, "items"), 2);
}

static void
test_outage(void **state)
{
	struct harness *h = *state;
	struct world w;
	char path[64];
	int64_t id = draft(h, &w, "OUT", path);

	struct resp r = h_get(h, NULL, "/metrics");
	assert_status(r, 200);
	assert_non_null(strstr(r.raw, "\nprocurd_database_up 1\n"));

	/* PostgreSQL dies */
	assert_int_equal(pg("kill"), 0);
	double down = await_ready(h, 503, 5);
	print_message("readiness 503 %.3f s after the database went down\n", down);
	assert_true(down >= 0 && down <= 1.5);
	r = h_get(h, NULL, "/healthz?ready=1");
	assert_status(r, 503);
	assert_false(json_is_true(h_at(r.body, "ready")));
	assert_non_null(strstr(h_str(r.body, "reason"), "database"));
	/* liveness is not readiness: the process is fine */
	r = h_get(h, NULL, "/healthz");
	assert_status(r, 200);
	r = h_get(h, NULL, "/metrics");
	assert_status(r, 200);
	assert_non_null(strstr(r.raw, "\nprocurd_database_up 0\n"));

	/* writes fail at once, certainly not applied; each said in the log
	 * at most once per outage, not once per request */
	for (int i = 0; i < 12; i++) {
		double t0 = now_s();
		r = h_req(h, "POST", path, w.officer, submit, i % 2 ? "Idempotency-Key: out-1" : NULL);
		double took = now_s() - t0;
		assert_error(r, 503, "database_unavailable");
		assert_json_str(r.body, "error.details.outcome", "not_applied");
		assert_true(took < 2.0);
		r = h_get(h, w.officer, "/v1/projects/%lld", (long long)id);
		assert_error(r, 503, "database_unavailable");
	}
	/* a path that would be a 5xx forging a log line is refused at the
	 * edge, and nothing of it is logged as a line of its own */
	r = h_get(h, w.officer, "/v1/agencies/X%%0d%%0aFORGED%%20ERROR%%20procurd-%%20fake");
	assert_error(r, 400, "invalid_field");
	r = h_get(h, w.officer, "/v1/agencies/%%e2%%80%%a8FORGED");	/* U+2028 is text */
	assert_int_equal(r.status, 503);
	assert_int_equal(count_lines(h->log, NULL, "FORGED"), 0);
	assert_int_equal(count_lines(h->log, "database: unreachable", NULL), 1);

	/* PostgreSQL is back: readiness and writes come back by themselves */
	assert_int_equal(pg("start"), 0);
	double up = await_ready(h, 200, 10);
	print_message("readiness 200 %.3f s after the database came back\n", up);
	assert_true(up >= 0 && up <= 3.0);
	r = h_get(h, NULL, "/metrics");
	assert_non_null(strstr(r.raw, "\nprocurd_database_up 1\n"));
	submit_once_back(h, &w, id, path, "Idempotency-Key: out-1");
	assert_int_equal(count_lines(h->log, "database: reachable again", NULL), 1);
	assert_int_equal(count_lines(h->log, "database: unreachable", NULL), 1);
}

/* A server that hangs instead of refusing (a partition, a stopped host):
 * readiness still goes to 503 within a second, no request waits past
 * [http] timeout_seconds (2 here), and all comes back when it answers. */
static void
test_hung_database(void **state)
{
	struct harness *h = *state;
	struct world w;
	char path[64];
	int64_t id = draft(h, &w, "HUNG", path);

	assert_int_equal(harness_cluster_freeze(pgdir, true), 0);
	/* at once, before the watch can know: the request meets the hung
	 * server itself and is cut at the limit */
	double t0 = now_s();
	struct resp r = h_req(h, "POST", path, w.officer, submit, "Idempotency-Key: hung-1");
	double took = now_s() - t0;
	print_message("a write to a hung database answered %ld after %.3f s\n", r.status, took);
	assert_error(r, 503, "database_unavailable");
	assert_true(took < 3.5);
	double down = await_ready(h, 503, 5);
	assert_true(down >= 0 && down <= 1.5);
	t0 = now_s();
	r = h_get(h, w.officer, "/v1/projects/%lld", (long long)id);
	assert_error(r, 503, "database_unavailable");
	assert_true(now_s() - t0 < 1.0);

	assert_int_equal(harness_cluster_freeze(pgdir, false), 0);
	double up = await_ready(h, 200, 10);
	print_message("readiness 200 %.3f s after the database answered again\n", up);
	assert_true(up >= 0 && up <= 3.0);
	submit_once_back(h, &w, id, path, "Idempotency-Key: hung-1");

	/* stopped while the database hangs, the daemon still exits, and
	 * cleanly: nothing of it waits past the limit */
	assert_int_equal(harness_cluster_freeze(pgdir, true), 0);
	h_sleep_ms(300);
	t0 = now_s();
	int rc = harness_daemon_term(h);
	double stop = now_s() - t0;
	assert_int_equal(harness_cluster_freeze(pgdir, false), 0);
	print_message("SIGTERM with the database frozen: exit %d after %.3f s\n", rc, stop);
	assert_int_equal(rc, 0);
	assert_true(stop < 6.0);
	assert_int_equal(harness_daemon_start(h), 0);
}

/* The watch's own connection cut (this one backend terminated) is no
 * outage: it connects again at once and readiness never drops. */
static void
test_watch_cut(void **state)
{
	struct harness *h = *state;
	char n[16] = "";
	assert_true(await_ready(h, 200, 5) >= 0);
	/* the earlier tests' outages are in the log already, how many depends
	 * on timing (the frozen stop may or may not see one): none may follow */
	int before = count_lines(h->log, "database: unreachable", NULL);
	for (int i = 0; i < 5; i++) {
		/* the watch's backend, once it is there (it connects again at once) */
		for (int k = 0; k < 40 && strcmp(n, "1"); k++) {
			assert_int_equal(harness_sql_value(h, "SELECT count(pg_terminate_backend(pid)) "
			    "FROM pg_stat_activity WHERE application_name = 'procurd watch'", n,
			    sizeof n), 0);
			if (strcmp(n, "1"))
				h_sleep_ms(50);
		}
		assert_string_equal(n, "1");
		n[0] = '\0';
		for (int k = 0; k < 8; k++) {
			struct resp r = h_get(h, NULL, "/healthz?ready=1");
			assert_status(r, 200);
			h_sleep_ms(40);
		}
	}
	assert_int_equal(count_lines(h->log, "database: unreachable", NULL), before);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_outage, h_test_teardown),
		cmocka_unit_test_teardown(test_hung_database, h_test_teardown),
		cmocka_unit_test_teardown(test_watch_cut, h_test_teardown),
	};
	h_group_name = "outage";
	h_group_extra_conf = "[http]\ntimeout_seconds = 2\n";
	return cmocka_run_group_tests(tests, setup, teardown);
}
