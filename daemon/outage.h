/* Whether the database answers, for the whole process: readiness, the
 * database_up gauge, and one log line when an outage starts and one when it
 * ends, however many connections and requests meet it. Thread-safe. */
#ifndef PROCURD_OUTAGE_H
#define PROCURD_OUTAGE_H

#include <stdbool.h>
#include <stddef.h>

/* A connection or probe failed with WHY (libpq's message): an outage from
 * now, logged once, unless one is already on. */
void outage_begin(const char *why);
/* The database answered: the outage, if any, ends (logged with its length). */
void outage_end(void);
/* True while an outage is on. */
bool outage_active(void);
/* The reason of the outage on into BUF ("" when none). */
void outage_reason(char *buf, size_t len);

#endif
