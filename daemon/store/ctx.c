/* A request in the store: its context, and how a failure becomes the API's error. */
#include "ctx.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db.h"
#include "log.h"
#include "sql.h"

void *
ctx_dbfail(struct req_ctx *c, const char *what)
{
	if (db_state(c->db)->blocked) {
		/* an unlocked decision met a statement that needs the lock: no
		 * error, the event decides again on the locked row */
		return NULL;
	}
	bool lost = db_state(c->db)->pipe_lost;
	db_state(c->db)->pipe_lost = false;
	if (!db_ok(c->db) || lost) {
		/* whether the request may have been applied: a COMMIT, or a
		 * statement outside a transaction, was sent before the loss */
		bool unknown = lost || db_state(c->db)->sent_commit;
		if (unknown)
			apierr_set(c->err, 503, "database_unavailable",
			    json_pack("{s:s}", "outcome", "unknown"),
			    "the database connection was lost while %s: it may or may not have been "
			    "recorded; retry with the same Idempotency-Key, or read to see", what);
		else
			apierr_set(c->err, 503, "database_unavailable",
			    json_pack("{s:s}", "outcome", "not_applied"),
			    "the database is unavailable; nothing was recorded; retry later");
	} else {
		log_error("database: %s: %s", what, db_error(c->db));
		apierr_set(c->err, 500, "internal", NULL, "internal error while %s", what);
	}
	db_rollback(c->db);
	return NULL;
}

void *
ctx_fail(struct req_ctx *c, int status, const char *code, json_t *details, const char *msg)
{
	apierr_set(c->err, status, code, details, "%s", msg);
	db_rollback(c->db);
	return NULL;
}
