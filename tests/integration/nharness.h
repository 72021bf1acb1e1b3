/* More integration-test helpers, on top of harness.h: one harness per test,
 * real procur-notify workers, a second procurd on the same database, a tiny
 * webhook receiver, the spool, /metrics, SQL figures and polling.
 *
 * Everything here is prefixed nh_. */
#ifndef PROCURD_IT_NHARNESS_H
#define PROCURD_IT_NHARNESS_H

#include "harness.h"

#include <pthread.h>

/* --- one harness per test ---------------------------------------------------- */

/* cmocka_unit_test_prestate_setup_teardown(fn, nh_setup, nh_teardown, &spec):
 * a fresh database and daemon for this test only. */
struct nh_spec {
	const char *name;		/* database it_NAME_PID */
	const char *extra_conf;		/* ini lines appended to the config (NULL: none) */
};
int nh_setup(void **state);
int nh_teardown(void **state);

/* The [notify]/[events] settings the notification tests want: short leases,
 * short backoff, three attempts. */
#define NH_FAST_NOTIFY "[notify]\nlease_seconds = 1\nbackoff_ms = 100\nmax_attempts = 3\n"

/* --- small things -------------------------------------------------------------- */

void nh_sleep_ms(int ms);
/* A TCP port free on 127.0.0.1 right now. */
int nh_free_port(void);
/* KEY's value in [SECTION] of the ini file PATH (the last one wins), or -1. */
int nh_conf_get(const char *path, const char *section, const char *key, char *out, size_t len);
/* Print a file to stderr (a worker's log after a failure). */
void nh_print_file(const char *what, const char *path);
/* Whether a line of the file PATH contains NEEDLE. */
bool nh_file_contains(const char *path, const char *needle);
/* Poll until the file PATH contains NEEDLE (up to TIMEOUT_MS). */
bool nh_file_wait(const char *path, const char *needle, int timeout_ms);
/* T as RFC 3339 in +08:00, into a static ring buffer. */
const char *nh_fmt(usec_t t);
/* The usec of an RFC 3339 string; fails the test when it is not one. */
usec_t nh_time(const char *s);

/* --- SQL figures ---------------------------------------------------------------- */

/* The first column of the first row as an integer; fails the test on error
 * or when it is not an integer. printf-style. */
int64_t nh_sql_int(struct harness *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Poll the query until it answers WANT (every 25 ms, up to TIMEOUT_MS);
 * returns the last answer. */
int64_t nh_sql_wait(struct harness *h, int64_t want, int timeout_ms, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* --- fixtures --------------------------------------------------------------------- */

/* As h_world, but the agency CODE (county) is a child of PARENT (a city
 * created here when it does not exist yet, with a reviewer whose token goes
 * to PARENT_REVIEWER when not NULL). */
void nh_world(struct harness *h, struct world *w, const char *code, const char *parent,
    char parent_reviewer[65]);
/* POST /v1/projects: a draft at W's agency whose service runs from 90 to
 * 270 days after the harness's clock (fiscal year: the start's). Its id. */
int64_t nh_project(struct harness *h, struct world *w);
/* A project (nh_project) taken to needs_review (submit by the officer); its id. */
int64_t nh_submitted(struct harness *h, struct world *w);

/* --- reading the API ---------------------------------------------------------------- */

/* GET /v1/projects/ID/events as TOKEN: the items (gc'd). */
json_t *nh_history(struct harness *h, const char *token, int64_t id);
/* Assert that the array A has N items, showing it when not. */
void nh_assert_len_at(json_t *a, size_t n, const char *file, int line);
#define nh_assert_len(a, n) nh_assert_len_at((a), (n), __FILE__, __LINE__)
/* How many events named EV (and, when LEVEL >= 0, payload.level == LEVEL) the
 * history ITEMS holds. */
int nh_count_events(json_t *items, const char *ev, int level);
/* Every item of a paginated list at PATH (which may carry a query) as TOKEN,
 * following "next": a new array, the caller decrefs. */
json_t *nh_list_all(struct harness *h, const char *token, const char *path);
/* The pending deadline of project ID with LEVEL (and KIND when not NULL) from
 * GET /v1/deadlines: its fire_at; fails the test when there is none or more
 * than one. */
usec_t nh_deadline_fire_at(struct harness *h, const char *token, int64_t id, const char *kind,
    int level);

/* --- /metrics ------------------------------------------------------------------------ */

/* The value of the sample whose name-and-labels text is exactly SERIES
 * (e.g. "procurd_notifications{status=\"dead\"}") in the Prometheus text
 * TEXT, or NAN when absent. */
double nh_metric(const char *text, const char *series);
/* GET /metrics: its text (gc'd); asserts 200. */
const char *nh_metrics(struct harness *h);

/* --- procur-notify workers --------------------------------------------------------- */

struct nh_worker {
	pid_t pid;
	char name[32];
	char conf[512];
	char log[512];
};

/* Start procur-notify connected to the daemon of H (endpoints read from its
 * config), spooling into SPOOL_DIR, templates from PROCURD_ROOT/config/templates.
 * EXTRA: more [worker] lines (NULL: none). Asserts it is running. */
void nh_worker_start(struct harness *h, struct nh_worker *w, const char *name,
    const char *spool_dir, const char *extra);
/* SIGTERM and wait (up to 10 s); asserts exit status 0. */
void nh_worker_stop(struct nh_worker *w);
/* SIGKILL and wait. */
void nh_worker_kill(struct nh_worker *w);

/* --- the spool ------------------------------------------------------------------------ */

/* How many <digits>.json files DIR holds. */
int nh_spool_count(const char *dir);
/* The JSON of DIR/ID.json, or NULL when there is none (decref it). */
json_t *nh_spool_read(const char *dir, int64_t id);
/* Assert that the spool files of DIR are exactly the outbox rows of channel
 * spool with status delivered: one file per id, no other file, each file's
 * id, recipient and template those of its row. Returns how many. */
int nh_assert_spool_matches_outbox(struct harness *h, const char *dir);

/* --- a second procurd on the same database ----------------------------------------- */

struct nh_daemon {
	pid_t pid;
	int port;
	char url[64];
	char conf[512];
	char log[512];
	CURL *curl;
};

/* Derive a config from H's (same database, own HTTP port and ZeroMQ
 * endpoints), start procurd on it and wait until it is ready. Asserts. */
void nh_daemon_start(struct harness *h, struct nh_daemon *d, const char *name);
/* SIGTERM and wait; asserts exit 0. */
void nh_daemon_stop(struct nh_daemon *d);
/* A request to the second daemon (free with h_resp_free). */
struct resp nh_daemon_req(struct nh_daemon *d, const char *method, const char *path,
    const char *token, const char *body);
/* POST /v1/admin/clock {"set": WHEN} there as TOKEN; asserts 200. */
void nh_daemon_clock_set(struct nh_daemon *d, const char *token, const char *when);

/* --- a webhook receiver ------------------------------------------------------------- */

#define NH_HOOK_MAX 64

struct nh_hook {
	int port;
	int status;			/* what it answers (500, 200, …); change under lock */
	int hang_first;			/* hold the first request until nh_hook_release() */
	/* what it saw, under lock */
	int requests;
	char keys[NH_HOOK_MAX][32];	/* Idempotency-Key of each request */
	char paths[NH_HOOK_MAX][64];
	/* internals */
	int fd;
	bool stop, released, hanging;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

/* Listen on 127.0.0.1:<free port>, answering STATUS to every request. */
void nh_hook_start(struct nh_hook *k, int status);
void nh_hook_set_status(struct nh_hook *k, int status);
int nh_hook_requests(struct nh_hook *k);
/* Wait until it has seen N requests (TIMEOUT_MS); the count. */
int nh_hook_wait(struct nh_hook *k, int n, int timeout_ms);
/* Let the held request go (answered with the current status). */
void nh_hook_release(struct nh_hook *k);
void nh_hook_stop(struct nh_hook *k);

#endif
