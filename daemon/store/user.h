/* Users: who a token belongs to, what they may see, adding and listing them. */
#ifndef PROCURD_USER_H
#define PROCURD_USER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "apierr.h"
#include "password.h"
#include "util.h"

struct db;
struct rows;

struct user {
	int64_t id;
	char name[64];
	unsigned roles;
	char agency[40];
	char path[512];		/* the agency's path: sees paths starting with it */
	char level[16];		/* the agency's level */
	char lang[4];		/* the console's language: zh or en */
};
/* A user may see an agency whose path starts with its own. */
bool user_sees(const struct user *u, const char *agency_path);
/* Inside the store: the one user of result R (its columns id, name, roles,
 * agency, path, level, lang, then the caller's own) into *U: 0; 1 when R
 * has no row or several; -1 when R is NULL (a database error). R stays the
 * caller's to clear. */
struct pg_result;
int user_from_result(const struct pg_result *r, struct user *u);
/* ROLES as "officer,reviewer" into BUF. */
const char *user_role_list(unsigned roles, char *buf, size_t len);

/* 0 found, 1 no such token (or its user is disabled), -1 database error. */
int user_by_token(struct db *db, const char *token, struct user *u);
/* The user NAME, not disabled, with the hash of its password ("" when it
 * has none) and whether that password is one-time: 0, 1 none, -1 error. */
int user_sign_in(struct db *db, const char *name, struct user *u, char hash[PASSWORD_HASH_MAX],
    bool *one_time);
/* Set NAME's password HASH (ONE_TIME: it must be changed at the next
 * sign-in), when NAME's agency is within SCOPE (a path prefix, "/" all);
 * *ID is the user's id. 0, 1 no such user in scope, -1 error. */
int user_set_password(struct db *db, const char *name, const char *hash, bool one_time,
    const char *scope, int64_t *id);
/* Disable NAME (refused at once: sessions, sign-in, tokens) or enable it
 * again, within SCOPE. 0, 1 no such user in scope, -1 error. */
int user_set_disabled(struct db *db, const char *name, bool disabled, usec_t now,
    const char *scope, int64_t *id);
/* Create a user with a fresh token (written to TOKEN, 65 bytes) and, when
 * PASSWORD_HASH is not NULL, that one-time password. 0 or -1 with *err. */
int user_add(struct db *db, const char *name, unsigned roles, const char *agency,
    usec_t now, const char *password_hash, char token[65], struct apierr *err);
/* The language the console shows user ID ("zh" or "en"). 0 or -1. */
int user_set_lang(struct db *db, int64_t id, const char *lang);
/* The users of agencies within SCOPE: id, name, roles, agency, disabled,
 * has a password, one-time, created_at; NULL on a database error. */
struct rows *user_list(struct db *db, const char *scope);

#endif
