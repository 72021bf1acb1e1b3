/* The crash checker (make check-faults): procurd killed with SIGKILL at
 * random moments under concurrent load, and its PostgreSQL restarted as a
 * crash would (-m immediate): FAULT_ROUNDS kills (30) and, spread among
 * them, FAULT_PG_RESTARTS database crashes (3), every other one while the
 * daemon is down too, so that it starts against a database coming back. Clients post
 * supervision records, half with an Idempotency-Key that they retry after a
 * lost connection or a 503. Then every project's history is read and
 * checked against what the clients were told:
 *
 *   missing    acknowledged (200) and not in the history      must be 0
 *   twice      in the history more than once (keyed or not)   must be 0
 *   unasked    in the history, asked by no request            must be 0
 *   refuted    answered "not applied" yet in the history       must be 0
 *   chains     procurctl verify                                must pass
 *   versions   a project's version = its history's length      must hold
 *   self       the daemon dying by itself (or a sanitizer)     must be 0
 *
 * One line says it all, with the time to ready after each restart and how
 * long writes answered 503 after PostgreSQL came back. */
#include "load.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLIENTS 4

/* The daemon ended by itself? (status into *ST) */
static bool
died_by_itself(struct harness *h, int *st)
{
	return h->pid > 0 && waitpid(h->pid, st, WNOHANG) == h->pid;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void
test_crash_and_restart(void **state)
{
	struct harness *h = *state;
	struct world w;
	char pgdir[128];
	int kills_wanted = load_env_int("FAULT_ROUNDS", 30);
	int pg_restarts = load_env_int("FAULT_PG_RESTARTS", 3);
	/* a round kills procurd, or crashes PostgreSQL under it: spread evenly */
	int rounds = kills_wanted + pg_restarts;

	snprintf(pgdir, sizeof pgdir, "%s", getenv("PROCURD_FAULT_PGDIR"));
	h_world(h, &w, "FC", 0);
	load_start(h, &w, CLIENTS);

	unsigned seed = 12345;
	int self_deaths = 0, kills = 0, pg_done = 0, nr = 0;
	double *ready = xcalloc((size_t)rounds + 1, sizeof *ready), worst_503 = 0;
	int every = pg_restarts > 0 ? rounds / pg_restarts : 0;
	for (int round = 1; round <= rounds; round++) {
		h_sleep_ms(150 + (int)(rand_r(&seed) % 700));
		int st;
		bool pg_round = every > 0 && round % every == 0 && pg_done < pg_restarts;
		if (died_by_itself(h, &st)) {
			fprintf(stderr, "crashcheck: round %d: procurd died by itself (status %d)\n",
			    round, st);
			self_deaths++;
			h->pid = 0;
		} else if (pg_round && pg_done % 2 == 1) {
			/* both go down; the daemon starts while the database is
			 * still coming back, and waits for it */
			harness_kill(h);
			kills++;
			assert_int_equal(harness_cluster("kill", pgdir), 0);
			char cmd[700];
			snprintf(cmd, sizeof cmd, "(sleep 0.%d; sh '%s/scripts/pg.sh' start '%s') "
			    ">/dev/null 2>&1 &", 2 + (int)(rand_r(&seed) % 7), getenv("PROCURD_ROOT"),
			    pgdir);
			assert_int_equal(system(cmd), 0);
			pg_done++;
		} else if (pg_round) {
			/* PostgreSQL crashes under the running daemon's load */
			assert_int_equal(harness_cluster("kill", pgdir), 0);
			h_sleep_ms(100 + (int)(rand_r(&seed) % 400));
			assert_int_equal(harness_cluster("start", pgdir), 0);
			pg_done++;
			/* how long after the database is back a write still fails */
			double took = load_probe();
			assert_true(took >= 0);
			if (took > worst_503)
				worst_503 = took;
			continue;
		} else {
			harness_kill(h);
			kills++;
		}
		double t0 = load_now();
		assert_int_equal(harness_daemon_start(h), 0);
		ready[nr++] = load_now() - t0;
	}
	h_sleep_ms(500);
	load_stop();

	struct audit a;
	load_audit(h, &w, &a);
	char out[512];
	bool chains = harness_ctl(h, out, sizeof out, "verify", (char *)NULL) == 0;
	int sanitizer = load_sanitizer_lines(h);
	qsort(ready, (size_t)nr, sizeof *ready, cmp_double);
	printf("faults: kills=%d pg_restarts=%d requests=%zu acked=%d events=%zu | missing=%d "
	    "twice=%d unasked=%d refuted=%d chains=%s versions_bad=%d self_deaths=%d "
	    "sanitizer=%d | ready_after_restart p50=%.0fms max=%.0fms | "
	    "writes_503_after_pg_restart max=%.0fms (503 answers: %d)\n",
	    kills, pg_done, a.requests, a.acked, a.events, a.missing, a.twice, a.unasked,
	    a.refuted, chains ? "ok" : "BROKEN", a.versions_bad, self_deaths, sanitizer,
	    nr ? ready[nr / 2] * 1000 : 0, nr ? ready[nr - 1] * 1000 : 0, worst_503 * 1000,
	    a.writes_503);
	fflush(stdout);
	free(ready);
	assert_int_equal(a.missing, 0);
	assert_int_equal(a.twice, 0);
	assert_int_equal(a.unasked, 0);
	assert_int_equal(a.refuted, 0);
	assert_true(chains);
	assert_int_equal(a.versions_bad, 0);
	assert_int_equal(self_deaths, 0);
	assert_int_equal(sanitizer, 0);
	assert_true(a.acked > 0);
}

static char pgdir_main[128];

static int
setup(void **state)
{
	if (harness_cluster_start(pgdir_main, sizeof pgdir_main))
		return -1;
	setenv("PROCURD_FAULT_PGDIR", pgdir_main, 1);
	return h_group_setup(state);
}

static int
teardown(void **state)
{
	harness_cluster("start", pgdir_main);
	int rc = h_group_teardown(state);
	harness_cluster_remove(pgdir_main);
	return rc;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_and_restart),
	};
	h_group_name = "faults";
	return cmocka_run_group_tests(tests, setup, teardown);
}
