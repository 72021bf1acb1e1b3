/* Users: who a token belongs to, what they may see, adding and listing them. */
#ifndef PROCURD_USER_H
#define PROCURD_USER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "apierr.h"
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
};
/* A user may see an agency whose path starts with its own. */
bool user_sees(const struct user *u, const char *agency_path);
/* ROLES as "officer,reviewer" into BUF. */
const char *user_role_list(unsigned roles, char *buf, size_t len);

/* 0 found, 1 no such token, -1 database error. */
int user_by_token(struct db *db, const char *token, struct user *u);
/* Create a user with a fresh token (written to TOKEN, 65 bytes). 0 or -1 with *err. */
int user_add(struct db *db, const char *name, unsigned roles, const char *agency,
    usec_t now, char token[65], struct apierr *err);
/* The users (render_users()): id, name, roles, agency; NULL on a database
 * error. */
struct rows *user_list(struct db *db);

#endif
