/* The integration-test harness: a throwaway database and a real procurd on
 * it, an HTTP client, assertions on the API's error shape, and a small
 * driver that takes a project through its lifecycle.
 *
 * Environment (scripts/check.sh sets it): PROCURD_TEST_PGHOST,
 * PROCURD_TEST_PGPORT, PROCURD_TEST_PGUSER, PROCURD_ROOT (the repository),
 * PROCURD_BUILD (absolute build directory holding procurd and procurctl). */
#ifndef PROCURD_IT_HARNESS_H
#define PROCURD_IT_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "util.h"

/* The fixed date every binary starts at: a Monday, working-day arithmetic
 * from here is deterministic (data/calendar/cn.txt covers 2025 and 2026). */
#define H_EPOCH "2026-03-02T09:00:00+08:00"
#define H_DAY (INT64_C(86400))

struct harness {
	char name[64];
	char dbname[96];
	char dir[256];		/* temp dir: config, logs */
	char conf[320];
	char log[320];
	char url[64];		/* http://127.0.0.1:PORT */
	char pg_conninfo[512];	/* the test database */
	char extra_conf[1024];	/* appended to the config (e.g. [http] max_body_bytes) */
	/* h_drive() uploads and names the documents publish, sign_contract,
	 * accept and confirm_payment rest on; else the harness's daemons
	 * require none ([documents] in write_config) */
	bool attach_documents;
	int port;
	pid_t pid;
	CURL *curl;
	usec_t now;		/* the daemon's clock as last set or read */
	char admin[65];		/* an admin token at the harness's own top agency */
	int serial;		/* for unique names and credit codes */
	/* when set, every answer of h_req() is written here, masked (h_record) */
	FILE *record;
	int record_paused;		/* polling: only its last answer counts */
	/* responses handed out, freed by h_gc() */
	json_t **trash_json;
	char **trash_raw;
	size_t n_trash, cap_trash;
};

struct resp {
	long status;
	json_t *body;		/* NULL when the body is not JSON */
	char *raw;
	char *headers;		/* the answer's header lines, as sent */
	size_t raw_len;		/* RAW's bytes (a file may hold NULs) */
};

/* --- lifecycle of the harness -------------------------------------------- */

/* Database it_NAME_PID, config, migrate, start procurd, wait for readiness,
 * create an admin (h->admin) and set the clock to H_EPOCH. 0 or -1 (with
 * the reason printed). EXTRA_CONF may be NULL: ini lines appended. */
int harness_start(struct harness *h, const char *name, const char *extra_conf);
/* SIGTERM, wait; asserts a clean exit (status 0). Then drops everything. */
void harness_stop(struct harness *h);
/* Only the daemon. */
int harness_daemon_start(struct harness *h);
/* SIGTERM and wait: the exit status (0 is clean), -1 when it did not stop. */
int harness_daemon_term(struct harness *h);
/* SIGKILL and wait. */
void harness_kill(struct harness *h);
/* term (asserting exit 0) and start again. */
void harness_restart(struct harness *h);
/* Print the daemon's log to stderr (after a failure). */
void harness_print_log(struct harness *h);
/* Print the file PATH to stderr between "---- WHAT: PATH ----" and
 * "---- end of WHAT ----" (a log after a failure). */
void h_print_file(const char *what, const char *path);
/* Free the responses handed out so far. */
void h_gc(struct harness *h);

/* cmocka group setup/teardown for the common case: one daemon per binary,
 * *state is the harness. NAME is read from h_group_name. */
extern const char *h_group_name;
extern const char *h_group_extra_conf;
int h_group_setup(void **state);
int h_group_teardown(void **state);
int h_test_teardown(void **state);
/* What a teardown does: SIGTERM the daemon (its log shown unless it exits 0),
 * then harness_stop. 0, or -1 when the daemon did not exit 0. */
int harness_teardown(struct harness *h);

/* --- a PostgreSQL of the test's own, to stop and start ---------------------- */

/* Start a cluster in a new temp dir (its path into DIR) with scripts/pg.sh
 * and point the harness at it (PROCURD_TEST_PG*): 0 or -1. */
int harness_cluster_start(char *dir, size_t len);
/* scripts/pg.sh CMD DIR (start, stop, kill): its exit status. */
int harness_cluster(const char *cmd, const char *dir);
/* Freeze (STOP true) or thaw every process of the cluster in DIR with
 * SIGSTOP/SIGCONT: a server that hangs rather than refuses. 0 or -1. */
int harness_cluster_freeze(const char *dir, bool stop);
/* Stop it and remove DIR. */
void harness_cluster_remove(const char *dir);

/* --- small things ------------------------------------------------------------ */

/* Sleep MS milliseconds (resumed after a signal). */
void h_sleep_ms(int ms);
/* A TCP port free on 127.0.0.1 right now, or -1. */
int h_free_port(void);

/* --- procurctl and SQL ---------------------------------------------------- */

/* Run procurctl -c CONF ARGS... (NULL-terminated). Its stdout goes to OUT
 * (may be NULL), stderr to the harness log. Returns the exit status, or -1. */
int harness_ctl(struct harness *h, char *out, size_t outlen, ...) __attribute__((sentinel));
/* A top-level (parent NULL) or child agency through procurctl. Asserts. */
void harness_agency(struct harness *h, const char *code, const char *name, const char *level,
    const char *parent);
/* A user with ROLES ("officer,reviewer") at AGENCY; the token into TOKEN. Asserts. */
void harness_user(struct harness *h, const char *name, const char *roles, const char *agency,
    char token[65]);
/* Run SQL on the test database: 0, or -1 with the error printed. */
int harness_sql(struct harness *h, const char *sql);
/* A one-time password for user NAME (procurctl user passwd --generate) into
 * PW. Asserts. */
void harness_one_time(struct harness *h, const char *name, char pw[17]);
/* The first column of the first row of a query, into OUT ("" when none). */
int harness_sql_value(struct harness *h, const char *sql, char *out, size_t outlen);

/* --- HTTP ------------------------------------------------------------------ */

/* METHOD PATH with TOKEN (NULL: no Authorization) and BODY (NULL: none);
 * EXTRA_HEADER e.g. "Idempotency-Key: k1" (NULL: none). */
struct resp h_req(struct harness *h, const char *method, const char *path, const char *token,
    const char *body, const char *extra_header);
/* The same on a caller's own curl handle, not registered for h_gc (threads):
 * free with h_resp_free(). */
struct resp h_req_on(CURL *curl, const char *url_base, const char *method, const char *path,
    const char *token, const char *body, const char *extra_header);
void h_resp_free(struct resp *r);
/* POST LEN bytes of DATA as CTYPE ("" none) to PATH, with EXTRA_HEADER
 * lines: an upload. */
struct resp h_upload(struct harness *h, const char *token, const char *path, const void *data,
    size_t len, const char *ctype, const char *extra_header);
/* A small PDF uploaded to project ID as KIND by TOKEN: its document id. */
int64_t h_document(struct harness *h, const char *token, int64_t id, const char *kind);
struct resp h_get(struct harness *h, const char *token, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* POST PATH with a printf-formatted body. */
struct resp h_post(struct harness *h, const char *token, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
struct resp h_put(struct harness *h, const char *token, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A lifecycle event: {"event": EV, "payload": <PAYLOAD_FMT...>} (payload "{}" when
 * PAYLOAD_FMT is NULL). */
struct resp h_event(struct harness *h, const char *token, int64_t id, const char *ev,
    const char *payload_fmt, ...) __attribute__((format(printf, 5, 6)));
/* The same with "expected_version". */
struct resp h_event_v(struct harness *h, const char *token, int64_t id, const char *ev,
    int64_t expected_version, const char *payload_fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Write every answer of h_req() from now on to F (NULL: stop) as
 * "METHOD PATH -> STATUS" and the body, with what varies between runs
 * masked: RFC 3339 times, 64-hex hashes, the clock's offset. Polls write
 * only their last answer. For the golden test of the API's answers. */
void h_record(struct harness *h, FILE *f);
/* TEXT with times, hashes and offsets masked, newly allocated. */
char *h_mask(const char *text);

/* --- reading JSON ---------------------------------------------------------- */

/* A value at a dotted path ("error.details.rule", "items.0.seq"), or NULL. */
json_t *h_at(json_t *root, const char *path);
const char *h_str(json_t *root, const char *path);		/* NULL unless a string */
int64_t h_int(json_t *root, const char *path);			/* INT64_MIN unless an integer */
double h_num(json_t *root, const char *path);			/* NAN unless a number */
size_t h_len(json_t *root, const char *path);			/* array size, 0 otherwise */

/* --- assertions (fail the cmocka test and show the response) -------------- */

void h_assert_status(const struct resp *r, long status, const char *file, int line);
/* STATUS and {"error":{"code": CODE, "message": non-empty string, "details": {…}}}. */
void h_assert_error(const struct resp *r, long status, const char *code, const char *file,
    int line);
/* details.rule == RULE (after an assert_error 422). */
void h_assert_rule(const struct resp *r, const char *rule, const char *file, int line);
void h_assert_str(json_t *root, const char *path, const char *want, const char *file, int line);
void h_assert_int(json_t *root, const char *path, int64_t want, const char *file, int line);
void h_assert_num(json_t *root, const char *path, double want, const char *file, int line);

#define assert_status(r, st) h_assert_status(&(r), (st), __FILE__, __LINE__)
#define assert_error(r, st, code) h_assert_error(&(r), (st), (code), __FILE__, __LINE__)
#define assert_rule(r, rule) h_assert_rule(&(r), (rule), __FILE__, __LINE__)
#define assert_json_str(j, path, want) h_assert_str((j), (path), (want), __FILE__, __LINE__)
#define assert_json_int(j, path, want) h_assert_int((j), (path), (want), __FILE__, __LINE__)
#define assert_json_num(j, path, want) h_assert_num((j), (path), (want), __FILE__, __LINE__)
/* A project answer's state and version. */
#define assert_project(r, st, ver) do { \
	assert_status((r), 200); \
	assert_json_str((r).body, "state", (st)); \
	assert_json_int((r).body, "version", (ver)); \
} while (0)

/* --- clock ------------------------------------------------------------------ */

/* POST /v1/admin/clock {"set": WHEN}; asserts 200 and updates h->now. */
void h_clock_set(struct harness *h, const char *when);
void h_clock_advance(struct harness *h, int64_t seconds);
/* The daemon's offset (advance 0). */
int64_t h_clock_offset(struct harness *h);
/* RFC 3339 (+08:00) of h->now + DAYS days, at local HH:MM when HHMM is not
 * NULL ("23:59"), into a static ring buffer. */
const char *h_time(struct harness *h, int days, const char *hhmm);

/* --- fixtures ----------------------------------------------------------------- */

/* GB 32100-2015 unified social credit code: 17 characters, then the check. */
char h_credit_check_char(const char base17[17]);
/* A valid code unique in this harness, into OUT (19 bytes). */
void h_credit_code(struct harness *h, char out[19]);

#define W_EVALUATORS 3
#define W_CONTRACTORS 5

/* An agency with its people, budget, catalogue item and contractors. */
struct world {
	char agency[33];
	char item[65];			/* approved, purchasable catalogue item */
	int year;			/* fiscal year: 2026 */
	char admin[65];			/* admin at the agency */
	char officer[65], officer2[65];
	char reviewer[65], reviewer2[65];
	char finance[65], finance2[65];
	char evaluator[W_EVALUATORS][65];
	char auditor[65];
	int64_t contractor[W_CONTRACTORS];	/* qualified contractors */
};

/* A new top-level agency CODE (county) with everything above; budgets for
 * 2025 and 2026 with SPECIAL_FEN special funds (0: 10,000,000,000 fen) and
 * plenty of work and lottery funds. */
void h_world(struct harness *h, struct world *w, const char *code, int64_t special_fen);
/* The same with the agency a child of PARENT (NULL: top-level; it must exist)
 * and budgets for 2025 to LAST_BUDGET_YEAR. */
void h_world_under(struct harness *h, struct world *w, const char *code, const char *parent,
    int64_t special_fen, int last_budget_year);
/* A qualified contractor (or one lacking the flag MISSING, when not NULL). */
int64_t h_contractor(struct harness *h, const char *officer, const char *name,
    const char *missing_flag);

struct pspec {
	const char *title;		/* NULL: "Project N" */
	int64_t budget_fen;		/* 0: 1,000,000 fen */
	const char *funding;		/* NULL: work_funds */
	const char *method;		/* NULL: public_tender */
	int fiscal_year;		/* 0: w->year */
	const char *items_json;		/* NULL: [w->item] */
	const char *quantity;		/* NULL: "12 caseworkers in 4 townships" */
	const char *quality_standard;	/* NULL: "every household visited monthly" */
	const char *service_start;	/* NULL: h_time(h, 60, NULL) */
	const char *service_end;	/* NULL: "2026-12-31" */
	const char *positions_json;	/* NULL: none */
};

/* POST /v1/projects: a draft. Asserts 201 draft version 1; the id. */
int64_t h_project(struct harness *h, struct world *w, const struct pspec *spec);
/* GET /v1/projects/ID as the officer: the body (gc'd). */
json_t *h_project_get(struct harness *h, struct world *w, int64_t id);

/* How the driver runs the tender. */
struct tender {
	int n_bids;			/* 0: 3 (contractors 0..n-1) */
	int64_t price[W_CONTRACTORS];	/* 0: 900,000 + 10,000 × i fen */
	/* quality points for service_plan (≤50) and staffing (≤30) per bid;
	 * all evaluators give the same (0: 40 and 20) */
	double plan[W_CONTRACTORS], staff[W_CONTRACTORS];
	int evaluators;			/* evaluators_required; 0: 2 */
	const char *criteria;		/* NULL: the default three */
	int64_t bid_ids[W_CONTRACTORS];	/* out */
};
#define H_CRITERIA "[{\"name\":\"service_plan\",\"kind\":\"quality\",\"weight\":50}," \
	"{\"name\":\"staffing\",\"kind\":\"quality\",\"weight\":30}," \
	"{\"name\":\"price\",\"kind\":\"price\",\"weight\":20}]"

/* Take project ID from its state forward along the ordinary path until it is
 * in TARGET, asserting each step (200, the expected next state, version + 1).
 * Bidding is closed by the daemon at the bid deadline: the driver moves the
 * clock past it and waits for that.
 * T may be NULL (defaults). Returns the project's version. */
int64_t h_drive(struct harness *h, struct world *w, int64_t id, const char *target,
    struct tender *t);

/* Steps of the driver, usable one by one. Each asserts its answer and
 * returns the new version. */
int64_t h_publish(struct harness *h, struct world *w, int64_t id, struct tender *t);
void h_bids(struct harness *h, struct world *w, int64_t id, struct tender *t);
void h_scores(struct harness *h, struct world *w, int64_t id, struct tender *t);
/* Advance the clock past the bid deadline (bid deadline is + 20 days at
 * 17:00; this moves 21 days). */
void h_past_deadline(struct harness *h);
/* Poll GET /v1/projects/ID (5 s at most) until its version is at least
 * VERSION: for what the daemon does on its own. The body (gc'd). */
json_t *h_await_version(struct harness *h, const char *token, int64_t id, int64_t version);
/* The last event of the history (gc'd). */
json_t *h_last_event(struct harness *h, const char *token, int64_t id);
/* Move past the bid deadline and wait for the daemon's close_bidding: the
 * project at version V + 1 in TO (scoring or tender_failed). Returns V + 1. */
int64_t h_await_close(struct harness *h, struct world *w, int64_t id, int64_t v, const char *to);

#endif
