/* Passwords: hashed with libcrypt's yescrypt (crypt_r), never kept or
 * logged in clear; the policy a new one must meet; one-time passwords for
 * a first sign-in. Pure but for the CPU a hash costs (tens of
 * milliseconds by design): the daemon runs them off the event loop
 * (offload.h). */
#ifndef PROCURD_PASSWORD_H
#define PROCURD_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

/* Longest password taken, in bytes. */
#define PASSWORD_MAX 256
/* A hash as stored (crypt's output: "$y$…"). */
#define PASSWORD_HASH_MAX 128

/* Hash PW with a fresh salt into OUT: 0, or -1 (no randomness, or crypt
 * refused). */
int password_hash(const char *pw, char out[PASSWORD_HASH_MAX]);
/* Whether PW matches HASH (compared in constant time; a HASH that is not a
 * yescrypt hash never matches). */
bool password_verify(const char *pw, const char *hash);
/* A new password's policy: NULL when PW may be set for the user NAME, else
 * why not (at least 10 characters, not the name, within PASSWORD_MAX,
 * text without control characters). */
const char *password_weak(const char *pw, const char *name);
/* A one-time password: 16 characters from an alphabet without look-alikes
 * (no 0/O, 1/l/I), 91 bits. 0, or -1 without randomness. */
int password_one_time(char out[17]);

#endif
