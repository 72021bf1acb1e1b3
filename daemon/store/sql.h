/* Inside the store: statements, running them on a connection, transactions
 * and reading rows. Every statement is a struct stmt next to the code that
 * runs it, prepared on each connection on first use and always
 * parameterised; nothing outside daemon/store/ includes this. */
#ifndef PROCURD_SQL_H
#define PROCURD_SQL_H

#include <libpq-fe.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include "rows.h"
#include "util.h"

struct db;
struct rows;

/* One statement. SLOT numbers it for every connection on first use. */
struct stmt {
	const char *sql;
	/* may run while an event is decided on a row read without a lock
	 * (db_state()->unlocked): only the light event write */
	bool unlocked_ok;
	/* planned for its values each time, never prepared (db_run): a list
	 * whose filters are optional, where a generic plan made once for every
	 * value walks a million rows for the few a filter wants */
	bool custom_plan;
	atomic_int slot;
};
#define STMT(text) { .sql = (text) }
#define STMT_UNLOCKED(text) { .sql = (text), .unlocked_ok = true }
#define STMT_CUSTOM(text) { .sql = (text), .custom_plan = true }
/* Statements the daemon can hold (they are numbered as first used). */
#define DB_MAX_STMTS 256

/* Run statement S with N text parameters (NULL = SQL NULL). Returns the
 * result (caller PQclear()s) or NULL on failure (db_error() says why; the
 * SQLSTATE is copied to STATE when not NULL). */
PGresult *db_run(struct db *db, struct stmt *s, int n, const char *const *v, char state[6]);
/* The same, the result dropped: 0 or -1. */
int db_run0(struct db *db, struct stmt *s, int n, const char *const *v, char state[6]);
/* Statement S between BEFORE and AFTER ("BEGIN", "COMMIT" or NULL) in one
 * round trip, with libpq's pipeline mode: the hot path's BEGIN travels with
 * its lock, its write with its COMMIT. Returns S's result like db_run();
 * when anything failed the transaction is left for db_rollback() to end. */
PGresult *db_run_piped(struct db *db, const char *before, struct stmt *s, int n,
    const char *const *v, const char *after, char state[6]);
/* Queue S, whose answer nobody reads (an UPDATE or INSERT of an effect),
 * to travel with the next statement or COMMIT on DB, in one round trip:
 * statements run in the order given, and an error in any fails the one
 * that carried it. Up to DB_MAX_LATER of DB_LATER_PARAMS parameters at
 * once (more runs now). 0, or -1 when S cannot run here. */
#define DB_MAX_LATER 4
#define DB_LATER_PARAMS 16
int db_run_later(struct db *db, struct stmt *s, int n, const char *const *v);
/* SQL text run whole with the simple protocol, several statements at once:
 * our own migration files only, never anything a request sent. 0 or -1. */
int db_exec_script(struct db *db, const char *sql);
int db_begin(struct db *db);
int db_commit(struct db *db);
/* End a transaction left open (nothing when none is). */
void db_rollback(struct db *db);

/* What the event path and the pipes read and set on a connection. */
struct db_state {
	/* an event decided on a row read without a lock: every statement but
	 * the light write (struct stmt's unlocked_ok) is refused and BLOCKED
	 * set, so nothing runs outside the event's transaction and the event
	 * decides again on the locked row */
	bool unlocked, blocked;
	/* the last write went on a pipe (pipes.c) that was lost with it in
	 * flight: its outcome is unknown, the answer says unavailable */
	bool pipe_lost;
	/* a COMMIT, or a statement that is its own transaction, was sent since
	 * db_sent_clear(): a loss now leaves the outcome unknown */
	bool sent_commit;
};
struct db_state *db_state(struct db *db);

/* For the pipelined writes (pipes.c), which drive a connection themselves. */
void db_connect(struct db *db);
PGconn *db_conn(struct db *db);
bool db_prepare(struct db *db, struct stmt *s, char name[16], char state[6]);
bool db_prepared(struct db *db, struct stmt *s);
void db_keep_setting(struct db *db, const char *name, const char *value);
void db_count_query(struct db *db);
void db_set_err(struct db *db, const PGresult *r);
void db_set_errtext(struct db *db, const char *m, const char *dflt);
const char *db_sqlstate(const PGresult *r);

/* Text parameters: a small ring of buffers per call site. */
struct pbuf {
	char b[16][64];
	int n;
};

static inline const char *
pi64(struct pbuf *p, int64_t v)
{
	char *s = p->b[p->n++ & 15];
	s[i64_dec(s, v)] = '\0';
	return s;
}

static inline const char *
pdate(struct pbuf *p, int32_t days)
{
	char *s = p->b[p->n++ & 15];
	return date_format(days, s, 64);
}

/* A row's columns. */
static inline int64_t
gi64(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static inline bool
gnull(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col);
}

static inline const char *
gs(const PGresult *r, int row, int col)
{
	return PQgetvalue(r, row, col);
}

static inline bool
gbool(const PGresult *r, int row, int col)
{
	return !PQgetisnull(r, row, col) && PQgetvalue(r, row, col)[0] == 't';
}

/* A result as the rows the store returns (rows.h). */
static inline struct rows *
rows_of(PGresult *r)
{
	return (struct rows *)r;
}

static inline const struct rows *
rows_c(const PGresult *r)
{
	return (const struct rows *)r;
}

#endif
