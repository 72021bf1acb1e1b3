/* The database connection: connecting, nonblocking waits, statements, transactions. */
#include "db.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include "clock.h"
#include "log.h"
#include "outage.h"
#include "rows.h"
#include "sql.h"

struct db {
	PGconn *conn;
	char *conninfo;
	char *set_name, *set_value;	/* a session setting to keep across reconnects */
	bool prepared[DB_MAX_STMTS];	/* by struct stmt's slot */
	char errbuf[512];
	/* a migration changed a table under our prepared statements: forget
	 * them before the next job (they fail until prepared again) */
	bool reprepare;
	unsigned generation;		/* counts connections made: a new socket */
	usec_t connected_at;		/* monotonic, when the current one was made */
	uint64_t queries;		/* sent, for group commit's leaders */
	struct db_state st;		/* sql.h */
	/* statements whose answer nobody reads (db_run_later()), to travel
	 * with the next one: each with its parameters copied into BUF */
	struct later {
		struct stmt *s;
		int n;
		const char *v[DB_LATER_PARAMS];
		char *buf;
	} later[DB_MAX_LATER];
	int n_later;
	/* set: the connection is nonblocking and WAIT suspends the caller
	 * (a coroutine) until its socket is ready; unset: libpq blocks */
	int (*wait)(void *arg, int fd, bool write);
	void *wait_arg;
};


/* Wait until FD is readable (WRITE: writable): through the waiter when there
 * is one, else (or when it cannot) with poll(2). */
static void
wait_fd(struct db *db, int fd, bool write)
{
	if (fd < 0)
		return;	/* libpq dropped the socket: its next call reports it */
	if (db->wait && db->wait(db->wait_arg, fd, write) == 0)
		return;
	struct pollfd p = { .fd = fd, .events = (short)(write ? POLLOUT : POLLIN) };
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
}

/* Before reading a result: on a nonblocking connection, send what is queued
 * and wait until the result is whole, suspending only the caller. */
static void
await_result(struct db *db)
{
	if (db->wait == NULL)
		return;	/* PQgetResult() blocks the thread, as it should there */
	int fd = PQsocket(db->conn), f;
	while ((f = PQflush(db->conn)) == 1)
		wait_fd(db, fd, true);
	if (f < 0)
		return;	/* PQgetResult() reports the broken connection */
	while (PQisBusy(db->conn)) {
		wait_fd(db, fd, false);
		if (!PQconsumeInput(db->conn))
			return;
	}
}

static PGresult *
next_result(struct db *db)
{
	await_result(db);
	return PQgetResult(db->conn);
}

/* What PQexec would answer — the last result, or the first error — for a query
 * already sent (SENT is the PQsend*() return), without blocking a coroutine's
 * thread. NULL only when nothing could be sent; PQresultStatus(NULL) is an
 * error and db_set_err() then reads the connection's message. */
static PGresult *
collect(struct db *db, int sent)
{
	PGresult *keep = NULL, *r;
	db->queries++;
	if (!sent)
		return NULL;
	while ((r = next_result(db)) != NULL) {
		ExecStatusType st = PQresultStatus(keep);
		if (keep && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
			PQclear(r);	/* the first error stays */
			continue;
		}
		PQclear(keep);
		keep = r;
		if (PQstatus(db->conn) == CONNECTION_BAD)
			break;
	}
	return keep;
}

static PGresult *
exec_simple(struct db *db, const char *sql)
{
	return collect(db, PQsendQuery(db->conn, sql));
}

/* Forget the statements waiting to travel (sent, or their transaction
 * ended without them). */
static void
later_drop(struct db *db)
{
	for (int i = 0; i < db->n_later; i++)
		free(db->later[i].buf);
	db->n_later = 0;
}

/* ------------------------------------------------------------------------ */
/* Connections                                                              */

static void
on_notice(void *arg, const char *msg)
{
	(void)arg;
	log_debug("database: %.*s", (int)strcspn(msg, "\n"), msg);
}

/* Called after every reconnection (db_on_reconnect()). */
static void (*reconnect_hook)(void);

void
db_on_reconnect(void (*fn)(void))
{
	reconnect_hook = fn;
}

void
db_connect(struct db *db)
{
	if (db->conn)
		PQfinish(db->conn);
	db->generation++;
	if (db->wait) {
		/* a coroutine's connection: connect without holding the loop */
		db->conn = PQconnectStart(db->conninfo);
		if (db->conn && PQstatus(db->conn) != CONNECTION_BAD) {
			PostgresPollingStatusType st = PGRES_POLLING_WRITING;
			while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
				wait_fd(db, PQsocket(db->conn), st == PGRES_POLLING_WRITING);
				st = PQconnectPoll(db->conn);
			}
		}
	} else {
		db->conn = PQconnectdb(db->conninfo);
	}
	memset(db->prepared, 0, sizeof db->prepared);
	later_drop(db);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		/* said once per outage, not once per connection and request */
		outage_begin(PQerrorMessage(db->conn));
		db_set_errtext(db, PQerrorMessage(db->conn), "cannot connect");
		return;
	}
	outage_end();
	db->connected_at = clock_monotonic();
	if (db->generation > 1) {
		/* A new connection after a lost one: the server may have restarted
		 * and, under group commit, lost commits not yet flushed, whose rows
		 * the project cache may hold. Nothing is decided on those: every
		 * job makes its connection before it reads the cache. */
		if (reconnect_hook)
			reconnect_hook();
	}
	PQsetNoticeProcessor(db->conn, on_notice, NULL);
	if (db->wait && PQsetnonblocking(db->conn, 1) != 0)
		log_warn("database: cannot make the connection nonblocking");
	/* the daemon's own clock writes every time; the session zone only
	 * matters for ::date casts, which follow China Standard Time */
	PGresult *r = collect(db, PQsendQueryParams(db->conn,
	    "SELECT set_config('TimeZone', 'Asia/Shanghai', false)", 0, NULL, NULL, NULL, NULL, 0));
	PQclear(r);
	if (db->set_name) {
		const char *v[2] = { db->set_name, db->set_value };
		r = collect(db, PQsendQueryParams(db->conn, "SELECT set_config($1, $2, false)", 2,
		    NULL, v, NULL, NULL, 0));
		PQclear(r);
	}
}

struct db *
db_new(const char *conninfo)
{
	struct db *db = xcalloc(1, sizeof *db);
	db->conninfo = xstrdup(conninfo ? conninfo : "");
	return db;
}

struct db *
db_open(const char *conninfo)
{
	struct db *db = db_new(conninfo);
	db_connect(db);
	return db;
}

void
db_set_waiter(struct db *db, int (*wait)(void *arg, int fd, bool write), void *arg)
{
	db->wait = wait;
	db->wait_arg = arg;
	if (db->conn && PQstatus(db->conn) == CONNECTION_OK &&
	    PQsetnonblocking(db->conn, wait != NULL) != 0)
		log_warn("database: cannot change the connection's blocking mode");
}

int
db_socket(struct db *db)
{
	return db->conn ? PQsocket(db->conn) : -1;
}

unsigned
db_generation(const struct db *db)
{
	return db->generation;
}

usec_t
db_connected_at(const struct db *db)
{
	return db->connected_at;
}

void
db_sent_clear(struct db *db)
{
	db->st.sent_commit = false;
}

uint64_t
db_queries(const struct db *db)
{
	return db->queries;
}

bool
db_idle_input(struct db *db)
{
	if (!db_ok(db) || !PQconsumeInput(db->conn) || PQstatus(db->conn) != CONNECTION_OK) {
		if (db->conn)
			db_set_err(db, NULL);
		return false;
	}
	return true;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	if (db->conn)
		PQfinish(db->conn);
	later_drop(db);
	free(db->conninfo);
	free(db->set_name);
	free(db->set_value);
	free(db);
}

bool
db_ok(struct db *db)
{
	return db->conn && PQstatus(db->conn) == CONNECTION_OK;
}

bool
db_ensure(struct db *db)
{
	later_drop(db);	/* a job's, never sent: its transaction is rolled back */
	if (db_ok(db) && PQtransactionStatus(db->conn) != PQTRANS_IDLE &&
	    PQtransactionStatus(db->conn) != PQTRANS_UNKNOWN) {
		/* a job left a transaction open: never let it leak into the next */
		PGresult *r = exec_simple(db, "ROLLBACK");
		PQclear(r);
	}
	if (!db_ok(db) || PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
		db_connect(db);	/* prepares everything again as it is used */
		db->reprepare = false;
		return db_ok(db);
	}
	if (db->reprepare) {
		PGresult *r = exec_simple(db, "DEALLOCATE ALL");
		PQclear(r);
		memset(db->prepared, 0, sizeof db->prepared);
		db->reprepare = false;
		log_info("database: statements prepared again after a schema change");
	}
	return true;
}

const char *
db_error(struct db *db)
{
	return db->errbuf;
}

/* db_error()'s text: M (or DEFAULT when empty), without libpq's newline. */
void
db_set_errtext(struct db *db, const char *m, const char *dflt)
{
	snprintf(db->errbuf, sizeof db->errbuf, "%s", m && *m ? m : dflt);
	size_t n = strlen(db->errbuf);
	while (n > 0 && (db->errbuf[n - 1] == '\n' || db->errbuf[n - 1] == ' '))
		db->errbuf[--n] = '\0';
}

void
db_set_err(struct db *db, const PGresult *r)
{
	const char *m = r ? PQresultErrorMessage(r) : PQerrorMessage(db->conn);
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (st && !strcmp(st, "0A000"))	/* "cached plan must not change result type" */
		db->reprepare = true;
	db_set_errtext(db, m, "no answer");
}

const char *
db_sqlstate(const PGresult *r)
{
	const char *s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	return s ? s : "";
}



/* The statement's number, the same on every connection: given on first
 * use, from any thread. */
static int
stmt_slot(struct stmt *s)
{
	static atomic_int next = 1;
	int k = atomic_load_explicit(&s->slot, memory_order_acquire);
	if (k)
		return k;
	int mine = atomic_fetch_add(&next, 1), none = 0;
	if (mine >= DB_MAX_STMTS)
		fatal("database: more than %d statements: raise DB_MAX_STMTS", DB_MAX_STMTS - 1);
	if (atomic_compare_exchange_strong(&s->slot, &none, mine))
		return mine;
	return none;	/* another thread numbered it first */
}

/* Whether S may run on DB now: the database is there, and S is the light
 * write when an event is decided on an unlocked row. */
static bool
may_run(struct db *db, struct stmt *s, char state[6])
{
	if (state)
		state[0] = '\0';
	if (!db_ok(db)) {
		snprintf(db->errbuf, sizeof db->errbuf, "database unavailable");
		return false;
	}
	if (db->st.unlocked && !s->unlocked_ok) {
		db->st.blocked = true;
		snprintf(db->errbuf, sizeof db->errbuf, "statement s%d needs the project locked",
		    stmt_slot(s));
		return false;
	}
	return true;
}

/* S's name on every connection: "s<number>", as snprintf("s%d") would,
 * without its cost on every query. Returns the number. */
static int
stmt_name(struct stmt *s, char name[16])
{
	int k = stmt_slot(s);
	char digits[21];
	size_t nd = i64_dec(digits, (int64_t)k);
	name[0] = 's';
	memcpy(name + 1, digits, nd);
	name[1 + nd] = '\0';
	return k;
}

bool
db_prepare(struct db *db, struct stmt *s, char name[16], char state[6])
{
	if (!may_run(db, s, state))
		return false;
	int k = stmt_name(s, name);
	if (db->prepared[k])
		return true;
	PGresult *r = collect(db, PQsendPrepare(db->conn, name, s->sql, 0, NULL));
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		db_set_err(db, r);
		if (state)
			snprintf(state, 6, "%s", db_sqlstate(r));
		log_error("database: prepare s%d: %s", k, db->errbuf);
		PQclear(r);
		return false;
	}
	PQclear(r);
	db->prepared[k] = true;
	return true;
}

bool
db_prepared(struct db *db, struct stmt *s)
{
	return db->prepared[stmt_slot(s)];
}

PGresult *
db_run(struct db *db, struct stmt *s, int n, const char *const *v, char state[6])
{
	char name[16];
	if (db->n_later)
		return db_run_piped(db, NULL, s, n, v, NULL, state);
	/* a custom plan: the unnamed statement, planned with these values */
	if (s->custom_plan ? !may_run(db, s, state) : !db_prepare(db, s, name, state))
		return NULL;
	if (PQtransactionStatus(db->conn) == PQTRANS_IDLE)
		db->st.sent_commit = true;	/* its own transaction: it may commit */
	PGresult *r = collect(db, s->custom_plan ?
	    PQsendQueryParams(db->conn, s->sql, n, NULL, v, NULL, NULL, 0) :
	    PQsendQueryPrepared(db->conn, name, n, v, NULL, NULL, 0));
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		db_set_err(db, r);
		if (state)
			snprintf(state, 6, "%s", db_sqlstate(r));
		PQclear(r);
		return NULL;
	}
	return r;
}

/* Send S (a prepared statement, or the unnamed one for a custom plan)
 * in pipeline mode: 1 when queued. */
static int
send_piped(struct db *db, struct stmt *s, const char *name, int n, const char *const *v)
{
	return s->custom_plan ? PQsendQueryParams(db->conn, s->sql, n, NULL, v, NULL, NULL, 0) :
	    PQsendQueryPrepared(db->conn, name, n, v, NULL, NULL, 0);
}

/* BEFORE, the statements waiting (db_run_later()), S (when not NULL) and
 * AFTER, in one round trip with libpq's pipeline mode. 0 when all of them
 * succeeded, with S's result in *OUT; else -1, the first error in
 * db_error() and STATE, and the transaction left for db_rollback(). */
static int
pipeline(struct db *db, const char *before, struct stmt *s, int n, const char *const *v,
    const char *after, char state[6], PGresult **out)
{
	char name[16], later_name[16];
	PGresult *main_r = NULL, *r;
	bool ok = true;

	*out = NULL;
	if (s && (s->custom_plan ? !may_run(db, s, state) : !db_prepare(db, s, name, state))) {
		later_drop(db);
		return -1;
	}
	db->queries++;
	if (!PQenterPipelineMode(db->conn)) {
		db_set_err(db, NULL);
		later_drop(db);
		return -1;
	}
	int nq = 0, main_q = -1, expect = (before != NULL) + db->n_later + (s != NULL) +
	    (after != NULL);
	if (after || (before == NULL && PQtransactionStatus(db->conn) == PQTRANS_IDLE))
		db->st.sent_commit = true;
	if (before && PQsendQueryParams(db->conn, before, 0, NULL, NULL, NULL, NULL, 0))
		nq++;
	for (int i = 0; i < db->n_later; i++) {
		/* prepared when it was queued, on this connection (a new one
		 * forgets what waits) */
		struct later *l = &db->later[i];
		stmt_name(l->s, later_name);
		if (send_piped(db, l->s, later_name, l->n, l->v))
			nq++;
	}
	later_drop(db);
	if (s) {
		main_q = nq;
		if (send_piped(db, s, name, n, v))
			nq++;
	}
	if (after && PQsendQueryParams(db->conn, after, 0, NULL, NULL, NULL, NULL, 0))
		nq++;
	if (nq != expect || !PQpipelineSync(db->conn)) {
		db_set_err(db, NULL);
		PQexitPipelineMode(db->conn);
		return -1;
	}
	for (int q = 0; q < nq; q++) {
		while ((r = next_result(db)) != NULL) {
			ExecStatusType st = PQresultStatus(r);
			if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
				if (ok) {
					db_set_err(db, r);
					if (state)
						snprintf(state, 6, "%s", db_sqlstate(r));
				}
				ok = false;
				PQclear(r);
			} else if (q == main_q && main_r == NULL) {
				main_r = r;
			} else {
				PQclear(r);
			}
		}
	}
	/* the sync point */
	while ((r = next_result(db)) != NULL) {
		bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
		PQclear(r);
		if (sync)
			break;
	}
	PQexitPipelineMode(db->conn);
	if (!ok) {
		PQclear(main_r);
		return -1;
	}
	*out = main_r;
	return 0;
}

PGresult *
db_run_piped(struct db *db, const char *before, struct stmt *s, int n, const char *const *v,
    const char *after, char state[6])
{
	PGresult *r;
	return pipeline(db, before, s, n, v, after, state, &r) ? NULL : r;
}

int
db_run_later(struct db *db, struct stmt *s, int n, const char *const *v)
{
	char name[16];
	if (n > DB_LATER_PARAMS || db->n_later == DB_MAX_LATER)
		return db_run0(db, s, n, v, NULL);	/* not worth a queue: now */
	/* refused now if it could not run now (the unlocked path); prepared
	 * now, outside the pipeline */
	if (s->custom_plan ? !may_run(db, s, NULL) : !db_prepare(db, s, name, NULL))
		return -1;
	struct later *l = &db->later[db->n_later];
	size_t size = 0;
	for (int i = 0; i < n; i++)
		size += v[i] ? strlen(v[i]) + 1 : 0;
	char *d = l->buf = xmalloc(size ? size : 1);
	for (int i = 0; i < n; i++) {
		l->v[i] = v[i] ? d : NULL;
		if (v[i]) {
			size_t len = strlen(v[i]) + 1;
			memcpy(d, v[i], len);
			d += len;
		}
	}
	l->s = s;
	l->n = n;
	db->n_later++;
	return 0;
}

/* Run and discard the result: 0 or -1. */
int
db_run0(struct db *db, struct stmt *s, int n, const char *const *v, char state[6])
{
	PGresult *r = db_run(db, s, n, v, state);
	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}

/* Migration scripts are our own files, run whole: the simple protocol takes
 * several statements, and no user data ever reaches them. */
int
db_exec_script(struct db *db, const char *sql)
{
	PGresult *r = exec_simple(db, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		db_set_err(db, r);
	PQclear(r);
	return ok ? 0 : -1;
}

static int
tx(struct db *db, const char *what)
{
	/* BEGIN, COMMIT and ROLLBACK carry no data: the simple protocol */
	PGresult *r;
	if (!strcmp(what, "ROLLBACK"))
		later_drop(db);
	else if (!strcmp(what, "COMMIT") && db->n_later)
		return pipeline(db, NULL, NULL, 0, NULL, "COMMIT", NULL, &r);
	if (!db_ok(db)) {
		snprintf(db->errbuf, sizeof db->errbuf, "database unavailable");
		return -1;
	}
	if (!strcmp(what, "BEGIN"))
		r = exec_simple(db, "BEGIN");
	else if (!strcmp(what, "COMMIT"))
		r = (db->st.sent_commit = true, exec_simple(db, "COMMIT"));
	else
		r = exec_simple(db, "ROLLBACK");
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		db_set_err(db, r);
	PQclear(r);
	return ok ? 0 : -1;
}

int
db_begin(struct db *db)
{
	return tx(db, "BEGIN");
}

int
db_commit(struct db *db)
{
	return tx(db, "COMMIT");
}

void
db_rollback(struct db *db)
{
	later_drop(db);
	if (db_ok(db) && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		tx(db, "ROLLBACK");
}

static struct stmt q_set_config = STMT("SELECT set_config($1, $2, false)");

int
db_set(struct db *db, const char *name, const char *value)
{
	free(db->set_name);
	free(db->set_value);
	db->set_name = xstrdup(name);
	db->set_value = xstrdup(value);
	const char *v[2] = { name, value };
	return db_run0(db, &q_set_config, 2, v, NULL);
}

void
db_keep_setting(struct db *db, const char *name, const char *value)
{
	free(db->set_name);
	free(db->set_value);
	db->set_name = xstrdup(name);
	db->set_value = xstrdup(value);
}

PGconn *
db_conn(struct db *db)
{
	return db->conn;
}

void
db_count_query(struct db *db)
{
	db->queries++;
}

struct db_state *
db_state(struct db *db)
{
	return &db->st;
}

/* struct rows (rows.h) is a PGresult (sql.h's rows_of()). */
int
rows_count(const struct rows *r)
{
	return PQntuples((const PGresult *)r);
}

const char *
rows_text(const struct rows *r, int i, int col)
{
	const PGresult *res = (const PGresult *)r;
	return PQgetisnull(res, i, col) ? NULL : PQgetvalue(res, i, col);
}

int64_t
rows_i64(const struct rows *r, int i, int col)
{
	return gi64((const PGresult *)r, i, col);
}

bool
rows_bool(const struct rows *r, int i, int col)
{
	return gbool((const PGresult *)r, i, col);
}

void
rows_free(struct rows *r)
{
	PQclear((PGresult *)r);
}
