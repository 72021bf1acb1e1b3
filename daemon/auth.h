/* Bearer tokens: who is calling. A small cache keeps the hot path from
 * asking the database on every request. */
#ifndef PROCURD_AUTH_H
#define PROCURD_AUTH_H

#include "user.h"

struct auth;

/* TTL_S: how long a looked-up user is remembered (0: never cached). */
struct auth *auth_new(int ttl_s);
void auth_free(struct auth *a);
/* From an "Authorization" header value. 0 known user (*u filled), 1 no or bad
 * token, -1 database error. Thread-safe. */
int auth_check(struct auth *a, struct db *db, const char *header, usec_t now_mono, struct user *u);
/* Forget every remembered user (one was disabled here). */
void auth_forget(struct auth *a);

#endif
