/* The store: the only file with SQL. Every statement is named, prepared and
 * parameterised; one lifecycle event is one transaction. */
#ifndef PROCURD_STORE_H
#define PROCURD_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "calendar.h"
#include "deadline.h"
#include "lifecycle.h"
#include "rules.h"
#include "util.h"

struct db;

/* --- connections ---------------------------------------------------------- */

/* Connect (never fails: a bad connection is retried by db_ensure()). The
 * caller frees with db_close(). */
struct db *db_open(const char *conninfo);
/* The same, not connected yet: db_ensure() makes it (through the waiter,
 * once db_set_waiter() gave one). */
struct db *db_new(const char *conninfo);
void db_close(struct db *db);
/* Make DB's connection nonblocking: whenever a query would block, WAIT(ARG,
 * socket, write) suspends the caller (a coroutine) until the socket is ready,
 * returning 0, or -1 when it cannot (then the thread waits in poll(2)). NULL
 * makes it blocking again. Reconnects keep the mode. */
void db_set_waiter(struct db *db, int (*wait)(void *arg, int fd, bool write), void *arg);
/* The connection's socket (-1 when there is none) and a number that changes
 * with every new connection, so a watcher can tell a new socket that got an
 * old descriptor number. */
int db_socket(struct db *db);
unsigned db_generation(const struct db *db);
/* When the current connection was made (clock_monotonic()). */
usec_t db_connected_at(const struct db *db);
/* Queries sent on DB so far (any connection). */
uint64_t db_queries(const struct db *db);
/* Forget what was sent so far: a connection lost from now on leaves the
 * request's outcome unknown only if a COMMIT (or a statement that is its
 * own transaction) goes out after this. */
void db_sent_clear(struct db *db);
/* Read what an idle connection's server sent unasked (a notice, or the news
 * that it is closing). False when the connection is broken: the next
 * db_ensure() makes a new one. */
bool db_idle_input(struct db *db);
/* Reconnect when the connection broke. True when usable. */
bool db_ensure(struct db *db);
bool db_ok(struct db *db);
/* Set a session setting, kept across reconnects (one per connection). */
int db_set(struct db *db, const char *name, const char *value);
/* Text of the last error on DB (valid until the next call on it). */
const char *db_error(struct db *db);

/* --- errors for the API ---------------------------------------------------- */

/* What went wrong, in the API's error shape: status, snake_case code, a
 * human message and optional details (owned: apierr_clear() frees them). */
struct apierr {
	int status;
	char code[40];
	char message[400];
	json_t *details;
};
void apierr_set(struct apierr *e, int status, const char *code, json_t *details,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void apierr_clear(struct apierr *e);

/* --- users and scope ------------------------------------------------------- */

struct user {
	int64_t id;
	char name[64];
	unsigned roles;
	char agency[40];
	char path[512];		/* the agency's path: sees paths starting with it */
	char level[16];		/* the agency's level */
};
/* A user may see an agency whose path starts with its own. */
bool user_sees(const struct user *u, const char *agency_path);

/* 0 found, 1 no such token, -1 database error. */
int store_user_by_token(struct db *db, const char *token, struct user *u);
/* Create a user with a fresh token (written to TOKEN, 65 bytes). 0 or -1 with *err. */
int store_user_add(struct db *db, const char *name, unsigned roles, const char *agency,
    usec_t now, char token[65], struct apierr *err);
/* Names of the users, one per line to OUT; -1 on a database error. */
int store_user_list(struct db *db, json_t **out);

/* --- setup ----------------------------------------------------------------- */

/* Apply pending migrations from DIR under an advisory lock. Returns the
 * number applied, or -1 (logged). */
int store_migrate(struct db *db, const char *dir);
/* True when every migration in DIR is applied. */
bool store_migrations_current(struct db *db, const char *dir);
/* Load a calendar data file into the tables (replacing the years it names).
 * Returns the number of years loaded, or -1 with *err. */
int store_calendar_load(struct db *db, const char *path, usec_t now, struct apierr *err);
/* Read the calendar tables into a new struct calendar (calendar_data_free()). */
struct calendar *store_calendar_read(struct db *db, int utc_offset_s);
void calendar_data_free(struct calendar *c);
/* The adjustable clock's offset, and the latest recorded event time. */
int store_clock_get(struct db *db, usec_t *offset);
int store_clock_set(struct db *db, usec_t offset, usec_t new_now, struct apierr *err);
/* Keep the rows of up to SLOTS projects as last read or written, to decide
 * supervision records on without a read (0: none; drops what was kept). */
void store_project_cache(size_t slots);
/* Drop every kept row (the slots stay). */
void store_project_cache_forget(void);
/* Put up to LIMIT projects not in a final state with ids above AFTER into it,
 * in id order; *LAST is the last id. The number read, or -1 (db_error()). */
int store_project_cache_warm(struct db *db, int64_t after, int limit, int64_t *last);
/* Group commit's flush (durable.h): one transaction of its own, committed
 * at the session's synchronous_commit level, so that every commit made
 * before it started is on disk when it returns true. */
bool store_commit_flush(struct db *db);
/* Group commit's pipelined writes (store.c): light writes from every job go
 * on up to N shared connections in pipeline mode, made as first needed; the
 * loop thread only. A write unanswered for TIMEOUT_S seconds cuts its pipe.
 * Stop them after the jobs have ended. */
struct event_base;
void store_pipes_start(struct event_base *base, const char *conninfo, int n, int timeout_s);
void store_pipes_stop(void);
/* Walk every project's hash chain; prints the first broken link. 0 intact,
 * 1 broken, -1 database error. */
int store_verify(struct db *db, char *report, size_t len);

/* --- the API's reads and writes ---------------------------------------------
 * Each returns the JSON to answer (a new reference) or NULL with *err set.
 * NOW is the daemon's clock; U the authenticated user. */
struct req_ctx {
	struct db *db;
	const struct user *u;
	usec_t now;
	const struct rules_config *rc;
	const struct calendar *cal;
	struct apierr *err;
	const struct deadline_config *dc;
	bool *outbox_written;		/* set when an event queued notifications */
	/* group commit (durable.h), or NULL: every commit waits for its own
	 * flush. With it, the light event write either leads (commits
	 * synchronously, the flush for the answers queued before it: LED, and
	 * LED_QUERIES the connection's query count just after) or commits
	 * without waiting for the flush (ASYNC_COMMITTED: its answer must wait
	 * for durable_wait()) */
	struct durable *durable;
	bool async_committed, led;
	uint64_t led_queries;
	json_t *published;		/* NULL, or where committed events go for the PUB socket */
	/* internal to the store: the event's own write may carry the COMMIT
	 * (COMMITTED once it has); RETRY says to decide the event again: the
	 * project moved since its row was read without a lock, or the decision
	 * needs the lock, or a refusal was decided on a kept row (ROW_KEPT: the
	 * project cache's), which no write confirms: only a read can */
	bool commit_on_write, committed, row_kept;
	enum { RETRY_NONE, RETRY_MOVED, RETRY_LOCK, RETRY_READ } retry;
	/* an event's answer written as text (no Idempotency-Key): then this
	 * (free()) is the answer and the JSON returned is only {"event": …} */
	char *answer_text;
};

/* LANG: the language of the agency's notifications ("zh", "en"; NULL: zh). */
json_t *store_agency_add(struct req_ctx *c, const char *code, const char *name,
    const char *level, const char *parent, const char *lang);
json_t *store_agency_get(struct req_ctx *c, const char *code);
json_t *store_budget_put(struct req_ctx *c, const char *agency, int year, const json_t *body);
json_t *store_budget_get(struct req_ctx *c, const char *agency, int year);
json_t *store_catalog_add(struct req_ctx *c, const json_t *body);
json_t *store_catalog_list(struct req_ctx *c);
json_t *store_catalog_update(struct req_ctx *c, const char *code, const json_t *body);
json_t *store_contractor_add(struct req_ctx *c, const json_t *body);
json_t *store_contractor_get(struct req_ctx *c, int64_t id);
json_t *store_project_create(struct req_ctx *c, const json_t *body);
json_t *store_project_get(struct req_ctx *c, int64_t id);
json_t *store_project_list(struct req_ctx *c, const char *state, const char *agency,
    int overdue, int limit, int64_t after);
json_t *store_event_apply(struct req_ctx *c, int64_t id, const char *event,
    int64_t expected_version, const json_t *payload, const char *idem_key,
    const char *raw_body, int *status);
json_t *store_event_list(struct req_ctx *c, int64_t id);
json_t *store_bid_add(struct req_ctx *c, int64_t project_id, const json_t *body);
json_t *store_bid_list(struct req_ctx *c, int64_t project_id);
json_t *store_score_add(struct req_ctx *c, int64_t project_id, int64_t bid_id,
    const json_t *scores);
json_t *store_ranking(struct req_ctx *c, int64_t project_id);
json_t *store_evaluation_list(struct req_ctx *c, int year);
/* The earliest next_check of any project (0: none). 0 or -1. */
int store_next_due(struct db *db, usec_t *t);
/* Fire what is due at c->now as the daemon: claims up to BATCH due projects
 * (FOR UPDATE SKIP LOCKED, so several daemons share the work and none fires
 * a deadline twice) and fires each due deadline as an event, committing the
 * batch. Appends what was applied to PUBLISHED (after the commit). Returns
 * the number fired, or -1; *more when the batch was full. */
int store_fire_due(struct req_ctx *c, int batch, bool *more, json_t *published);
json_t *store_deadline_list(struct req_ctx *c, usec_t due_before, int64_t after, int limit);
json_t *store_incident_list(struct req_ctx *c, bool all);
/* The relay's side of the outbox (relay thread, its own connection). Claim
 * first marks rows past their last attempt dead (*dead, with incidents),
 * then leases up to LIMIT due rows as jobs {"v":1,"id",…}. */
int store_outbox_claim(struct db *db, usec_t now, int limit, usec_t lease, usec_t backoff,
    int max_attempts, json_t **jobs, int *dead);
int store_outbox_unsend(struct db *db, const int64_t *ids, size_t n, usec_t retry_at);
int store_outbox_delivered(struct db *db, const int64_t *ids, size_t n, usec_t now);
int store_outbox_failed(struct db *db, int64_t id, const char *error, usec_t now, usec_t backoff);
/* Earliest next_attempt_at of a pending row (0: none). */
int store_outbox_next(struct db *db, usec_t *t);
json_t *store_outbox_list(struct req_ctx *c, const char *status, int64_t after, int limit);
json_t *store_outbox_resend(struct req_ctx *c, int64_t id);
/* The calendar in c->cal now covers more years: count again the deadlines of
 * projects with an open calendar_missing incident for those years, resolve
 * the incidents, wake the timers. Returns how many projects, or -1. */
int store_calendar_recount(struct req_ctx *c);
struct metrics_gauges;
/* The gauges GET /metrics reads from the database. 0 or -1 (503). */
int store_metrics_gauges(struct req_ctx *c, struct metrics_gauges *g);

#endif
