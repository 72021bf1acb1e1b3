/* The daemon's shared state: what the event loop, the HTTP layer, the pool's
 * jobs and the relay thread reach. Written by the loop thread only, except
 * where a field says otherwise. */
#ifndef PROCURD_PROCURD_H
#define PROCURD_PROCURD_H

#include <event2/event.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include "auth.h"
#include "calendar.h"
#include "config.h"
#include "pool.h"
#include "profile.h"

struct procurd {
	struct config *cfg;
	struct event_base *base;
	struct pool *pool;
	struct durable *durable;	/* group commit, or NULL when it is off */
	struct auth *auth;
	struct http *http;
	struct relay *relay;
	struct scheduler *sched;
	/* rules and calendar are swapped on SIGHUP; readers copy the rules and
	 * take the calendar pointer under the lock (old calendars live until exit) */
	pthread_mutex_t lock;
	struct rules_config rules;
	struct deadline_config deadlines;
	struct calendar *cal;
	struct calendar **old_cals;
	size_t n_old_cals;
	struct profile_set profiles;	/* config/profiles, read at start */
	_Atomic bool ready;		/* database, migrations and sockets up */
	_Atomic bool draining;		/* SIGTERM: finish what is in flight, take nothing new */
};

/* Copies of the rules and deadlines in force, and the calendar in force.
 * Thread-safe. */
void procurd_snapshot(struct procurd *d, struct rules_config *rules, struct deadline_config *dc,
    const struct calendar **cal);

#endif
