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

static struct stmt q_user_by_token = STMT(
	"SELECT u.id, u.name, array_to_string(u.roles, ','), u.agency, a.path, a.level "
	"FROM app_user u JOIN agency a ON a.code = u.agency "
	"WHERE u.token_hash = sha256(convert_to($1, 'UTF8'))");

int
user_by_token(struct db *db, const char *token, struct user *u)
{
	const char *v[1] = { token };
	PGresult *r = db_run(db, &q_user_by_token, 1, v, NULL);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return 1;
	}
	u->id = gi64(r, 0, 0);
	snprintf(u->name, sizeof u->name, "%s", gs(r, 0, 1));
	if (roles_parse_list(gs(r, 0, 2), &u->roles))
		u->roles = 0;
	snprintf(u->agency, sizeof u->agency, "%s", gs(r, 0, 3));
	snprintf(u->path, sizeof u->path, "%s", gs(r, 0, 4));
	snprintf(u->level, sizeof u->level, "%s", gs(r, 0, 5));
	PQclear(r);
	return 0;
}

static struct stmt q_user_add = STMT(
	"INSERT INTO app_user (name, roles, agency, token_hash, created_at) "
	"VALUES ($1, string_to_array($2, ','), $3, sha256(convert_to($4, 'UTF8')), us2ts($5)) "
	"RETURNING id");

int
user_add(struct db *db, const char *name, unsigned roles, const char *agency, usec_t now,
    char token[65], struct apierr *err)
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
	const char *v[5] = { name, user_role_list(roles, rl, sizeof rl), agency, token, pi64(&pb, now) };
	PGresult *r = db_run(db, &q_user_add, 5, v, st);
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

static struct stmt q_user_list = STMT(
	"SELECT id, name, array_to_string(roles, ','), agency FROM app_user ORDER BY id");

struct rows *
user_list(struct db *db)
{
	PGresult *r = db_run(db, &q_user_list, 0, NULL, NULL);
	return r ? rows_of(r) : NULL;
}
