/* Users: who a token belongs to, adding and listing them (procurctl). */
#include "user.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db.h"
#include "lifecycle.h"
#include "sql.h"

bool
user_sees(const struct user *u, const char *agency_path)
{
	return strncmp(agency_path, u->path, strlen(u->path)) == 0;
}

const char *
user_role_list(unsigned roles, char *buf, size_t len)
{
	buf[0] = '\0';
	for (unsigned bit = 1; bit < (1u << ROLE__COUNT); bit <<= 1)
		if (roles & bit) {
			size_t n = strlen(buf);
			snprintf(buf + n, len - n, "%s%s", n ? "," : "", role_name(bit));
		}
	return buf;
}

int
user_from_result(const PGresult *r, struct user *u)
{
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1)
		return 1;
	memset(u, 0, sizeof *u);
	u->id = gi64(r, 0, 0);
	snprintf(u->name, sizeof u->name, "%s", gs(r, 0, 1));
	if (roles_parse_list(gs(r, 0, 2), &u->roles))
		u->roles = 0;
	snprintf(u->agency, sizeof u->agency, "%s", gs(r, 0, 3));
	snprintf(u->path, sizeof u->path, "%s", gs(r, 0, 4));
	snprintf(u->level, sizeof u->level, "%s", gs(r, 0, 5));
	snprintf(u->lang, sizeof u->lang, "%s", gs(r, 0, 6));
	return 0;
}

/* A disabled user's token opens nothing. */
static struct stmt q_user_by_token = STMT(
	"SELECT u.id, u.name, array_to_string(u.roles, ','), u.agency, a.path, a.level, u.lang "
	"FROM app_user u JOIN agency a ON a.code = u.agency "
	"WHERE u.token_hash = sha256(convert_to($1, 'UTF8')) AND u.disabled_at IS NULL");

int
user_by_token(struct db *db, const char *token, struct user *u)
{
	const char *v[1] = { token };
	PGresult *r = db_run(db, &q_user_by_token, 1, v, NULL);
	int rc = user_from_result(r, u);
	PQclear(r);
	return rc;
}

static struct stmt q_user_sign_in = STMT(
	"SELECT u.id, u.name, array_to_string(u.roles, ','), u.agency, a.path, a.level, u.lang, "
	"u.password_hash, u.password_one_time FROM app_user u JOIN agency a ON a.code = u.agency "
	"WHERE u.name = $1 AND u.disabled_at IS NULL");

int
user_sign_in(struct db *db, const char *name, struct user *u, char hash[PASSWORD_HASH_MAX],
    bool *one_time)
{
	const char *v[1] = { name };
	PGresult *r = db_run(db, &q_user_sign_in, 1, v, NULL);
	int rc = user_from_result(r, u);
	if (rc == 0) {
		snprintf(hash, PASSWORD_HASH_MAX, "%s", gnull(r, 0, 7) ? "" : gs(r, 0, 7));
		*one_time = gbool(r, 0, 8);
	}
	PQclear(r);
	return rc;
}

/* An UPDATE … RETURNING id of one user: 0 with *ID (ID may be NULL), 1 when
 * it found none, -1 on a database error (R NULL). Frees R. */
static int
updated_id(PGresult *r, int64_t *id)
{
	if (r == NULL)
		return -1;
	int rc = PQntuples(r) == 1 ? 0 : 1;
	if (rc == 0 && id)
		*id = gi64(r, 0, 0);
	PQclear(r);
	return rc;
}

/* A user of an agency within SCOPE (a path prefix: "/" is everyone). */
static struct stmt q_user_password = STMT(
	"UPDATE app_user u SET password_hash = $2, password_one_time = $3 FROM agency a "
	"WHERE u.name = $1 AND a.code = u.agency AND starts_with(a.path, $4) RETURNING u.id");

int
user_set_password(struct db *db, const char *name, const char *hash, bool one_time,
    const char *scope, int64_t *id)
{
	const char *v[4] = { name, hash, one_time ? "true" : "false", scope };
	PGresult *r = db_run(db, &q_user_password, 4, v, NULL);
	return updated_id(r, id);
}

static struct stmt q_user_add = STMT(
	"INSERT INTO app_user (name, roles, agency, token_hash, created_at, password_hash, "
	"password_one_time) VALUES ($1, string_to_array($2, ','), $3, "
	"sha256(convert_to($4, 'UTF8')), us2ts($5), $6::text, $6::text IS NOT NULL) RETURNING id");

int
user_add(struct db *db, const char *name, unsigned roles, const char *agency, usec_t now,
    const char *password_hash, char token[65], struct apierr *err)
{
	unsigned char raw[32];
	char rl[128], st[6];
	struct pbuf pb = { .n = 0 };

	if (random_bytes(raw, sizeof raw)) {
		apierr_set(err, 500, "internal", NULL, "no randomness for a token");
		return -1;
	}
	hex_encode(raw, sizeof raw, token);
	if (roles & ROLE_DAEMON) {
		apierr_set(err, 400, "invalid_field", json_pack("{s:s}", "field", "roles"),
		    "the daemon role belongs to procurd itself");
		return -1;
	}
	const char *v[6] = { name, user_role_list(roles, rl, sizeof rl), agency, token,
		pi64(&pb, now), password_hash };
	PGresult *r = db_run(db, &q_user_add, 6, v, st);
	if (r == NULL) {
		if (!strcmp(st, "23505"))
			apierr_set(err, 409, "conflict", NULL, "a user named %s exists", name);
		else if (!strcmp(st, "23503"))
			apierr_set(err, 404, "not_found", NULL, "no agency %s", agency);
		else
			apierr_set(err, 500, "internal", NULL, "%s", db_error(db));
		return -1;
	}
	PQclear(r);
	return 0;
}

/* Every daemon forgets the tokens it keeps when the change commits
 * (main.c's watch: NOTIFY procurd_deadline 'users'). */
static struct stmt q_user_disable = STMT(
	"WITH u AS (UPDATE app_user u SET disabled_at = CASE WHEN $2 THEN coalesce(u.disabled_at, "
	"us2ts($3)) END FROM agency a WHERE u.name = $1 AND a.code = u.agency "
	"AND starts_with(a.path, $4) RETURNING u.id) "
	"SELECT u.id, pg_notify('procurd_deadline', 'users') FROM u");

int
user_set_disabled(struct db *db, const char *name, bool disabled, usec_t now,
    const char *scope, int64_t *id)
{
	struct pbuf pb = { .n = 0 };
	const char *v[4] = { name, disabled ? "true" : "false", pi64(&pb, now), scope };
	PGresult *r = db_run(db, &q_user_disable, 4, v, NULL);
	return updated_id(r, id);
}

static struct stmt q_user_lang = STMT("UPDATE app_user SET lang = $2 WHERE id = $1");

int
user_set_lang(struct db *db, int64_t id, const char *lang)
{
	struct pbuf pb = { .n = 0 };
	const char *v[2] = { pi64(&pb, id), lang };
	return db_run0(db, &q_user_lang, 2, v, NULL);
}

static struct stmt q_user_list = STMT(
	"SELECT u.id, u.name, array_to_string(u.roles, ','), u.agency, u.disabled_at IS NOT NULL, "
	"u.password_hash IS NOT NULL, u.password_one_time, ts2us(u.created_at) FROM app_user u "
	"JOIN agency a ON a.code = u.agency WHERE starts_with(a.path, $1) ORDER BY u.id");

struct rows *
user_list(struct db *db, const char *scope)
{
	const char *v[1] = { scope };
	PGresult *r = db_run(db, &q_user_list, 1, v, NULL);
	return r ? rows_of(r) : NULL;
}
