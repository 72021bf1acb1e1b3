/* The database connection, as the rest of the daemon holds it: made and
 * made again, nonblocking under a coroutine's waiter, and its state. What
 * runs on it is the store's (sql.h). */
#ifndef PROCURD_DB_H
#define PROCURD_DB_H

#include <stdbool.h>
#include <stdint.h>
#include "util.h"

struct db;

/* Connect (never fails: a bad connection is retried by db_ensure()). The
 * caller frees with db_close(). */
struct db *db_open(const char *conninfo);
/* The same, not connected yet: db_ensure() makes it (through the waiter,
 * once db_set_waiter() gave one). */
struct db *db_new(const char *conninfo);
void db_close(struct db *db);
/* Make DB's connection nonblocking: whenever a query would block, WAIT(ARG,
 * socket, write) suspends the caller (a coroutine) until the socket is ready,
 * returning 0, or -1 when it cannot (then the thread waits in poll(2)). NULL
 * makes it blocking again. Reconnects keep the mode. */
void db_set_waiter(struct db *db, int (*wait)(void *arg, int fd, bool write), void *arg);
/* Call FN after every reconnection (one hook for the process: the project
 * cache forgets what a restarted server may have lost). */
void db_on_reconnect(void (*fn)(void));
/* The connection's socket (-1 when there is none) and a number that changes
 * with every new connection, so a watcher can tell a new socket that got an
 * old descriptor number. */
int db_socket(struct db *db);
unsigned db_generation(const struct db *db);
/* When the current connection was made (clock_monotonic()). */
usec_t db_connected_at(const struct db *db);
/* Queries sent on DB so far (any connection). */
uint64_t db_queries(const struct db *db);
/* Forget what was sent so far: a connection lost from now on leaves the
 * request's outcome unknown only if a COMMIT (or a statement that is its
 * own transaction) goes out after this. */
void db_sent_clear(struct db *db);
/* Read what an idle connection's server sent unasked (a notice, or the news
 * that it is closing). False when the connection is broken: the next
 * db_ensure() makes a new one. */
bool db_idle_input(struct db *db);
/* Reconnect when the connection broke. True when usable. */
bool db_ensure(struct db *db);
bool db_ok(struct db *db);
/* Set a session setting, kept across reconnects (one per connection). */
int db_set(struct db *db, const char *name, const char *value);
/* Text of the last error on DB (valid until the next call on it). */
const char *db_error(struct db *db);

#endif
