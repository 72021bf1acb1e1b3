/* The crash checker (make check-faults): procurd killed with SIGKILL at
 * random moments under concurrent load, and its PostgreSQL restarted as a
 * crash would (-m immediate), for FAULT_ROUNDS rounds (30) with
 * FAULT_PG_RESTARTS of them (3) restarting the database. Clients post
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
#include "../integration/harness.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROJECTS 4
#define CLIENTS 4
#define MAX_REQ 200000

enum outcome { O_PENDING, O_OK, O_MAYBE, O_NOT_APPLIED };

struct req {
	char text[40];		/* the inspection text: names the request */
	int project;
	bool keyed;
	enum outcome outcome;
};

static struct {
	pthread_mutex_t lock;
	struct req *reqs;
	size_t n;
	volatile bool stop;
	int64_t ids[PROJECTS];
	char token[65];
	char url[64];
	int writes_503;
} L = { .lock = PTHREAD_MUTEX_INITIALIZER };

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
env_int(const char *name, int dflt)
{
	const char *v = getenv(name);
	return v && *v ? atoi(v) : dflt;
}

static struct req *
new_req(int client, int project, bool keyed)
{
	pthread_mutex_lock(&L.lock);
	assert_true(L.n < MAX_REQ);
	struct req *q = &L.reqs[L.n];
	snprintf(q->text, sizeof q->text, "fc-%d-%zu", client, L.n);
	L.n++;
	pthread_mutex_unlock(&L.lock);
	q->project = project;
	q->keyed = keyed;
	q->outcome = O_PENDING;
	return q;
}

/* One request, retried with its key while the answer is unknown. STOP_TOO:
 * give up when the load stops (the probe keeps trying). */
static void
send_req(CURL *curl, struct req *q, bool stop_too)
{
	char path[64], body[160], key[80];
	snprintf(path, sizeof path, "/v1/projects/%lld/events", (long long)L.ids[q->project]);
	snprintf(body, sizeof body, "{\"event\":\"record_supervision\",\"payload\":"
	    "{\"inspection\":\"%s\",\"finding\":\"ok\"}}", q->text);
	snprintf(key, sizeof key, "Idempotency-Key: %s", q->text);
	double t0 = now_s();
	for (;;) {
		struct resp r = h_req_on(curl, L.url, "POST", path, L.token, body,
		    q->keyed ? key : NULL);
		long st = r.status;
		const char *outcome = h_str(r.body, "error.details.outcome");
		bool not_applied = st == 503 && outcome && !strcmp(outcome, "not_applied");
		char r_text[200];
		snprintf(r_text, sizeof r_text, "%s", r.raw ? r.raw : "");
		h_resp_free(&r);
		if (st == 200) {
			q->outcome = O_OK;
			return;
		}
		if (st == 503)
			__atomic_add_fetch(&L.writes_503, 1, __ATOMIC_RELAXED);
		if (st > 0 && st != 503 && st < 500) {
			/* a refusal applies nothing (but an earlier try may have) */
			fprintf(stderr, "crashcheck: %s answered %ld %s\n", q->text, st,
			    r_text);
			q->outcome = q->outcome == O_PENDING ? O_NOT_APPLIED : O_MAYBE;
			return;
		}
		/* certainly not applied only while every try said so */
		if (not_applied && q->outcome == O_PENDING)
			q->outcome = O_NOT_APPLIED;
		else if (!not_applied)
			q->outcome = O_MAYBE;
		h_sleep_ms(50);	/* the daemon is restarting: no busy loop */
		if (!q->keyed || (stop_too && L.stop) || now_s() - t0 > 60)
			return;
	}
}

static void *
client(void *arg)
{
	int c = (int)(intptr_t)arg;
	CURL *curl = curl_easy_init();
	unsigned seed = (unsigned)c * 7919u + 1;
	while (!L.stop) {
		struct req *q = new_req(c, (int)(rand_r(&seed) % PROJECTS), rand_r(&seed) % 2);
		send_req(curl, q, true);
	}
	curl_easy_cleanup(curl);
	return NULL;
}

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
	int rounds = env_int("FAULT_ROUNDS", 30), pg_restarts = env_int("FAULT_PG_RESTARTS", 3);

	snprintf(pgdir, sizeof pgdir, "%s", getenv("PROCURD_FAULT_PGDIR"));
	h_world(h, &w, "FC", 0);
	for (int i = 0; i < PROJECTS; i++) {
		L.ids[i] = h_project(h, &w, NULL);
		h_drive(h, &w, L.ids[i], "in_service", NULL);
	}
	snprintf(L.token, sizeof L.token, "%s", w.officer);
	snprintf(L.url, sizeof L.url, "%s", h->url);
	L.reqs = xcalloc(MAX_REQ, sizeof *L.reqs);

	pthread_t th[CLIENTS];
	for (int c = 0; c < CLIENTS; c++)
		pthread_create(&th[c], NULL, client, (void *)(intptr_t)c);

	unsigned seed = 12345;
	int self_deaths = 0, kills = 0, pg_done = 0;
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
		} else if (pg_round) {
			/* PostgreSQL crashes under the running daemon's load */
			assert_int_equal(harness_cluster("kill", pgdir), 0);
			h_sleep_ms(100 + (int)(rand_r(&seed) % 400));
			assert_int_equal(harness_cluster("start", pgdir), 0);
			pg_done++;
			/* how long after the database is back a write still fails */
			double t0 = now_s();
			CURL *curl = curl_easy_init();
			struct req *q = new_req(99, 0, true);
			send_req(curl, q, false);
			curl_easy_cleanup(curl);
			double took = now_s() - t0;
			if (took > worst_503)
				worst_503 = took;
			assert_int_equal(q->outcome, O_OK);
			ready[round - 1] = 0;
			continue;
		} else {
			harness_kill(h);
			kills++;
		}
		double t0 = now_s();
		assert_int_equal(harness_daemon_start(h), 0);
		ready[round - 1] = now_s() - t0;
	}
	h_sleep_ms(500);
	L.stop = true;
	for (int c = 0; c < CLIENTS; c++)
		pthread_join(th[c], NULL);

	/* what the histories hold */
	int missing = 0, twice = 0, unasked = 0, refuted = 0, versions_bad = 0, acked = 0;
	size_t events = 0;
	for (int i = 0; i < PROJECTS; i++) {
		struct resp r = h_get(h, w.auditor, "/v1/projects/%lld/events", (long long)L.ids[i]);
		assert_status(r, 200);
		json_t *items = h_at(r.body, "items"), *e;
		size_t k;
		events += json_array_size(items);
		json_t *p = h_project_get(h, &w, L.ids[i]);
		if (h_int(p, "version") != (int64_t)json_array_size(items))
			versions_bad++;
		json_t *seen = json_object();
		json_array_foreach(items, k, e) {
			if (strcmp(h_str(e, "event"), "record_supervision"))
				continue;
			const char *text = h_str(e, "payload.inspection");
			json_t *n = json_object_get(seen, text);
			json_object_set_new(seen, text, json_integer(n ? json_integer_value(n) + 1 : 1));
		}
		for (size_t j = 0; j < L.n; j++) {
			struct req *q = &L.reqs[j];
			if (q->project != i)
				continue;
			json_t *n = json_object_get(seen, q->text);
			int64_t times = n ? json_integer_value(n) : 0;
			if (q->outcome == O_OK)
				acked++;
			if (q->outcome == O_OK && times == 0) {
				fprintf(stderr, "crashcheck: %s acknowledged, not in the history\n", q->text);
				missing++;
			}
			if (times > 1) {
				fprintf(stderr, "crashcheck: %s applied %lld times\n", q->text,
				    (long long)times);
				twice++;
			}
			if (q->outcome == O_NOT_APPLIED && times > 0) {
				fprintf(stderr, "crashcheck: %s said not applied, yet applied\n", q->text);
				refuted++;
			}
			json_object_del(seen, q->text);
		}
		unasked += (int)json_object_size(seen);
		json_decref(seen);
	}
	char out[512];
	bool chains = harness_ctl(h, out, sizeof out, "verify", (char *)NULL) == 0;
	int sanitizer = 0;
	FILE *lf = fopen(h->log, "r");
	char line[4096];
	while (lf && fgets(line, sizeof line, lf))
		if (strstr(line, "AddressSanitizer") || strstr(line, "runtime error:") ||
		    strstr(line, "LeakSanitizer"))
			sanitizer++;
	if (lf)
		fclose(lf);

	/* the rounds that restarted the daemon only */
	int nr = 0;
	for (int i = 0; i < rounds; i++)
		if (ready[i] > 0)
			ready[nr++] = ready[i];
	qsort(ready, (size_t)nr, sizeof *ready, cmp_double);
	printf("faults: kills=%d pg_restarts=%d requests=%zu acked=%d events=%zu | missing=%d "
	    "twice=%d unasked=%d refuted=%d chains=%s versions_bad=%d self_deaths=%d "
	    "sanitizer=%d | ready_after_restart p50=%.0fms max=%.0fms | "
	    "writes_503_after_pg_restart max=%.0fms (503 answers: %d)\n",
	    kills, pg_done, L.n, acked, events, missing, twice, unasked, refuted,
	    chains ? "ok" : "BROKEN", versions_bad, self_deaths, sanitizer,
	    nr ? ready[nr / 2] * 1000 : 0, nr ? ready[nr - 1] * 1000 : 0, worst_503 * 1000,
	    L.writes_503);
	fflush(stdout);
	free(ready);
	free(L.reqs);
	assert_int_equal(missing, 0);
	assert_int_equal(twice, 0);
	assert_int_equal(unasked, 0);
	assert_int_equal(refuted, 0);
	assert_true(chains);
	assert_int_equal(versions_bad, 0);
	assert_int_equal(self_deaths, 0);
	assert_int_equal(sanitizer, 0);
	assert_true(acked > 0);
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
