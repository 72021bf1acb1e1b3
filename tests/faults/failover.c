/* Failover (make check-faults): a primary and a streaming standby with
 * synchronous replication (synchronous_standby_names, so a commit waits for
 * the standby), procurd on both through libpq's multi-host conninfo with
 * target_session_attrs=read-write, load, the primary killed (-m immediate),
 * the standby promoted. Every acknowledged event must be on the new primary,
 * procurd must reconnect and write again by itself within a few seconds,
 * readiness must say 503 in between, and nothing may be half-applied. */
#include "load.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#define CLIENTS 4

static char primary[128], standby[160];

static int
sql_on(const char *dir, const char *sql)
{
	char ci[300];
	snprintf(ci, sizeof ci, "host=%s/sock port=5432 user=postgres dbname=postgres", dir);
	PGconn *c = PQconnectdb(ci);
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "failover: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return ok ? 0 : -1;
}

static int
setup(void **state)
{
	char cmd[600], hosts[300];
	if (harness_cluster_start(primary, sizeof primary))
		return -1;
	snprintf(standby, sizeof standby, "%s-standby", primary);
	snprintf(cmd, sizeof cmd, "sh '%s/scripts/pg.sh' standby '%s' '%s' >/dev/null 2>&1",
	    getenv("PROCURD_ROOT"), standby, primary);
	if (system(cmd) != 0)
		return -1;
	/* a commit on the primary waits until the standby has it */
	if (sql_on(primary, "ALTER SYSTEM SET synchronous_standby_names = 'procurd_standby'") ||
	    sql_on(primary, "SELECT pg_reload_conf()"))
		return -1;
	/* both hosts, the writable one chosen: the daemon, procurctl and the
	 * harness's own connections all follow the primary */
	snprintf(hosts, sizeof hosts, "%s/sock,%s/sock", primary, standby);
	setenv("PROCURD_TEST_PGHOST", hosts, 1);
	setenv("PROCURD_TEST_PGPORT", "5432,5432", 1);
	setenv("PGTARGETSESSIONATTRS", "read-write", 1);
	return h_group_setup(state);
}

static int
teardown(void **state)
{
	int rc = h_group_teardown(state);
	harness_cluster_remove(standby);
	harness_cluster_remove(primary);
	return rc;
}

static void
test_failover(void **state)
{
	struct harness *h = *state;
	struct world w;

	/* the standby is synchronous before anything counts */
	char v[64] = "";
	for (int i = 0; i < 100 && strcmp(v, "sync"); i++) {
		harness_sql_value(h, "SELECT sync_state FROM pg_stat_replication", v, sizeof v);
		h_sleep_ms(100);
	}
	assert_string_equal(v, "sync");
	h_world(h, &w, "FO", 0);
	load_start(h, &w, CLIENTS);
	h_sleep_ms(load_env_int("FAILOVER_LOAD_MS", 2000));

	/* the primary dies; readiness must notice */
	double t0 = load_now();
	assert_int_equal(harness_cluster("kill", primary), 0);
	bool saw_503 = false;
	double not_ready_at = -1;
	while (load_now() - t0 < 5 && !saw_503) {
		struct resp r = h_get(h, NULL, "/healthz?ready=1");
		if (r.status == 503) {
			saw_503 = true;
			not_ready_at = load_now() - t0;
		}
		h_sleep_ms(50);
	}
	assert_true(saw_503);
	/* an operator (or a failover manager) promotes the standby */
	double t_promote = load_now();
	assert_int_equal(harness_cluster("promote", standby), 0);
	double promoted = load_now() - t_promote;
	double wrote = load_probe();
	assert_true(wrote >= 0);
	double ready_again = -1;
	while (load_now() - t_promote < 15) {
		struct resp r = h_get(h, NULL, "/healthz?ready=1");
		if (r.status == 200) {
			ready_again = load_now() - t_promote;
			break;
		}
		h_sleep_ms(50);
	}
	assert_true(ready_again >= 0);
	h_sleep_ms(load_env_int("FAILOVER_LOAD_MS", 2000));
	load_stop();

	struct audit a;
	load_audit(h, &w, &a);
	char out[512];
	bool chains = harness_ctl(h, out, sizeof out, "verify", (char *)NULL) == 0;
	/* the daemon lived through it, and it was the standby that answered */
	char ro[16] = "";
	harness_sql_value(h, "SELECT pg_is_in_recovery()", ro, sizeof ro);
	printf("failover: requests=%zu acked=%d events=%zu | missing=%d twice=%d unasked=%d "
	    "refuted=%d chains=%s versions_bad=%d | not_ready %.0fms after the primary died; "
	    "promote took %.0fms; first write %.0fms and ready %.0fms after the promote "
	    "(503 answers: %d)\n",
	    a.requests, a.acked, a.events, a.missing, a.twice, a.unasked, a.refuted,
	    chains ? "ok" : "BROKEN", a.versions_bad, not_ready_at * 1000, promoted * 1000,
	    (promoted + wrote) * 1000, ready_again * 1000, a.writes_503);
	fflush(stdout);
	assert_string_equal(ro, "f");
	assert_int_equal(a.missing, 0);
	assert_int_equal(a.twice, 0);
	assert_int_equal(a.unasked, 0);
	assert_int_equal(a.refuted, 0);
	assert_int_equal(a.versions_bad, 0);
	assert_true(chains);
	assert_true(a.acked > 0);
	assert_true(promoted + wrote < 10);
	assert_int_equal(load_sanitizer_lines(h), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failover),
	};
	h_group_name = "failover";
	return cmocka_run_group_tests(tests, setup, teardown);
}
