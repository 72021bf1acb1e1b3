/* Signed-in browsers: sessions behind a cookie, and failed sign-ins counted
 * per name and per client address. */
#ifndef PROCURD_SESSION_H
#define PROCURD_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include "user.h"
#include "util.h"

struct db;

/* A new session for user ID, its cookie value TOKEN and its CSRF token
 * (64 hex digits each, made by the caller), ending when idle past IDLE or
 * at NOW + LIFETIME. 0 or -1. */
int session_open(struct db *db, int64_t user_id, const char *token, const char *csrf,
    const char *address, usec_t now, usec_t lifetime);
/* Who the cookie value TOKEN signs in (into *U, with the session's CSRF
 * token and whether the password must be changed first): 0; 1 when there
 * is no such session, or it ended (revoked, idle past IDLE, expired, its
 * user disabled); -1 on a database error. Marks it seen (at most once a
 * minute: idle expiry counts from there). */
int session_user(struct db *db, const char *token, usec_t now, usec_t idle, struct user *u,
    char csrf[65], bool *change_password);
/* Revoke the session of TOKEN: 0 or -1. */
int session_close(struct db *db, const char *token, usec_t now);
/* Revoke every session of user ID but the one of KEEP (NULL: all): the
 * number revoked, or -1. */
int session_close_all(struct db *db, int64_t user_id, const char *keep, usec_t now);

/* Failed sign-ins within WINDOW before NOW, for NAME and for ADDRESS; with
 * LIMIT or more for either, *RETRY is when the older of the last LIMIT ones
 * leaves the window (else 0). 0 or -1. */
int session_failures(struct db *db, const char *name, const char *address, usec_t now,
    usec_t window, int limit, usec_t *retry);
/* Record a failed sign-in (and forget those over a day old): 0 or -1. */
int session_failed(struct db *db, const char *name, const char *address, usec_t now);

#endif
