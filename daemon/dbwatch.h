/* The database watch: a connection of its own, on the event loop, never
 * blocking it, that asks PostgreSQL four times a second whether it answers
 * (an empty query: no SQL, one round trip) and tells outage.h. Readiness
 * follows it within a second of the database going away or coming back.
 * The same connection LISTENs for the deadline channel. */
#ifndef PROCURD_DBWATCH_H
#define PROCURD_DBWATCH_H

#include <event2/event.h>

struct dbwatch;

/* Start watching CONNINFO on BASE. On the loop: BACK(ARG) each time the
 * database answers again after an outage; NOTIFIED(ARG, PAYLOAD) when
 * NOTIFYs on CHANNEL came, once per distinct payload of a read, and with
 * PAYLOAD NULL after each new connection (any may have come while none
 * listened). The caller frees with dbwatch_free(). */
struct dbwatch *dbwatch_start(struct event_base *base, const char *conninfo,
    const char *channel, void (*back)(void *arg),
    void (*notified)(void *arg, const char *payload), void *arg);
void dbwatch_free(struct dbwatch *w);

#endif
