/* Sessions behind a cookie and failed sign-ins (session.h). */
#include "session.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "db.h"
#include "lifecycle.h"
#include "sql.h"

static struct stmt q_session_open = STMT(
	"INSERT INTO session (token_hash, user_id, csrf, address, created_at, seen_at, expires_at) "
	"VALUES (sha256(convert_to($1, 'UTF8')), $2, $3, $4, us2ts($5), us2ts($5), us2ts($5::bigint + $6::bigint))");

int
session_open(struct db *db, int64_t user_id, const char *token, const char *csrf,
    const char *address, usec_t now, usec_t lifetime)
{
	struct pbuf pb = { .n = 0 };
	const char *v[6] = { token, pi64(&pb, user_id), csrf, address, pi64(&pb, now),
		pi64(&pb, lifetime) };
	return db_run0(db, &q_session_open, 6, v, NULL);
}

/* The session if it is live, marked seen when last seen over a minute ago
 * (idle expiry is counted in minutes: a write per request would cost more
 * than it tells), with its user. */
static struct stmt q_session_user = STMT(
	"WITH s AS (SELECT s.id, s.user_id, s.csrf, s.seen_at FROM session s "
	"JOIN app_user u ON u.id = s.user_id WHERE s.token_hash = sha256(convert_to($1, 'UTF8')) "
	"AND s.revoked_at IS NULL AND s.expires_at > us2ts($2) AND s.seen_at > us2ts($2::bigint - $3::bigint) "
	"AND u.disabled_at IS NULL), "
	"t AS (UPDATE session SET seen_at = us2ts($2) FROM s WHERE session.id = s.id "
	"AND s.seen_at < us2ts($2::bigint - 60000000)) "
	"SELECT u.id, u.name, array_to_string(u.roles, ','), u.agency, a.path, a.level, u.lang, "
	"s.csrf, u.password_one_time FROM s JOIN app_user u ON u.id = s.user_id "
	"JOIN agency a ON a.code = u.agency");

int
session_user(struct db *db, const char *token, usec_t now, usec_t idle, struct user *u,
    char csrf[65], bool *change_password)
{
	struct pbuf pb = { .n = 0 };
	const char *v[3] = { token, pi64(&pb, now), pi64(&pb, idle) };
	PGresult *r = db_run(db, &q_session_user, 3, v, NULL);
	int rc = user_from_result(r, u);
	if (rc == 0) {
		snprintf(csrf, 65, "%s", gs(r, 0, 7));
		*change_password = gbool(r, 0, 8);
	}
	PQclear(r);
	return rc;
}

static struct stmt q_session_close = STMT(
	"UPDATE session SET revoked_at = us2ts($2) "
	"WHERE token_hash = sha256(convert_to($1, 'UTF8')) AND revoked_at IS NULL");

int
session_close(struct db *db, const char *token, usec_t now)
{
	struct pbuf pb = { .n = 0 };
	const char *v[2] = { token, pi64(&pb, now) };
	return db_run0(db, &q_session_close, 2, v, NULL);
}

static struct stmt q_session_close_all = STMT(
	"UPDATE session SET revoked_at = us2ts($3) WHERE user_id = $1 AND revoked_at IS NULL "
	"AND ($2::text IS NULL OR token_hash <> sha256(convert_to($2, 'UTF8')))");

int
session_close_all(struct db *db, int64_t user_id, const char *keep, usec_t now)
{
	struct pbuf pb = { .n = 0 };
	const char *v[3] = { pi64(&pb, user_id), keep, pi64(&pb, now) };
	PGresult *r = db_run(db, &q_session_close_all, 3, v, NULL);
	if (r == NULL)
		return -1;
	int n = atoi(PQcmdTuples(r));
	PQclear(r);
	return n;
}

/* For NAME, then for ADDRESS: the failures in the window and, with LIMIT
 * or more, the time of the LIMIT-th most recent. */
static struct stmt q_failures = STMT(
	"SELECT (SELECT ts2us(at) FROM sign_in_failure WHERE name = $1 AND at > us2ts($3::bigint - $4::bigint) "
	"ORDER BY at DESC OFFSET $5::int - 1 LIMIT 1), "
	"(SELECT ts2us(at) FROM sign_in_failure WHERE address = $2 AND at > us2ts($3::bigint - $4::bigint) "
	"ORDER BY at DESC OFFSET $5::int - 1 LIMIT 1)");

int
session_failures(struct db *db, const char *name, const char *address, usec_t now,
    usec_t window, int limit, usec_t *retry)
{
	struct pbuf pb = { .n = 0 };
	const char *v[5] = { name, address, pi64(&pb, now), pi64(&pb, window), pi64(&pb, limit) };
	PGresult *r = db_run(db, &q_failures, 5, v, NULL);
	if (r == NULL)
		return -1;
	*retry = 0;
	for (int col = 0; col < 2; col++)
		if (!gnull(r, 0, col) && gi64(r, 0, col) + window > *retry)
			*retry = gi64(r, 0, col) + window;
	PQclear(r);
	return 0;
}

static struct stmt q_failed = STMT(
	"WITH old AS (DELETE FROM sign_in_failure WHERE at < us2ts($3::bigint - 86400000000)) "
	"INSERT INTO sign_in_failure (name, address, at) VALUES ($1, $2, us2ts($3))");

int
session_failed(struct db *db, const char *name, const char *address, usec_t now)
{
	struct pbuf pb = { .n = 0 };
	const char *v[3] = { name, address, pi64(&pb, now) };
	return db_run0(db, &q_failed, 3, v, NULL);
}
