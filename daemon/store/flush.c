/* Group commit's flush: one small synchronous commit that makes every earlier one durable. */
#include "flush.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db.h"
#include "sql.h"

/* Group commit's flush: a transaction that writes WAL (here a
 * transactional logical message: one small record, no table) commits at
 * the session's synchronous_commit level, never lowered here, so its
 * commit flushes the WAL up to its own record, and with it every commit
 * made anywhere before it started. One that only takes a transaction id
 * (pg_current_xact_id()) would not do: PostgreSQL commits a transaction
 * that wrote nothing before its commit record without waiting for the
 * flush. */
static struct stmt q_commit_flush = STMT("SELECT pg_logical_emit_message(true, 'procurd', '')");

bool
flush_commit(struct db *db)
{
	PGresult *r = db_run(db, &q_commit_flush, 0, NULL, NULL);
	PQclear(r);
	return r != NULL;
}
