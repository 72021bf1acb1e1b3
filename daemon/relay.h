/* The outbox relay: pending notifications to ZeroMQ workers after commit,
 * acks back, leases and retries; applied events on the PUB socket. Runs in
 * its own thread with its own database connection and sockets. */
#ifndef PROCURD_RELAY_H
#define PROCURD_RELAY_H

#include <jansson.h>
#include <stdbool.h>

struct procurd;
struct relay;

/* Bind the jobs PUSH, acks PULL and events PUB sockets and start the thread.
 * NULL when a socket cannot be bound (logged). */
struct relay *relay_start(struct procurd *d);
/* Something was committed to the outbox: look now. Thread-safe; NULL-safe. */
void relay_wake(struct relay *r);
/* Publish these applied events ({project_id, seq, event, from, to, at}, each
 * already committed) with topic = the new state. Thread-safe; NULL-safe. */
void relay_publish_all(struct relay *r, const json_t *events);
/* Workers connected to the jobs socket now. */
int relay_workers(const struct relay *r);
/* Stop the thread, close the sockets. */
void relay_stop(struct relay *r);

#endif
