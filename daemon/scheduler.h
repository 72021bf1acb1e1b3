/* Deadline timers: one event armed for the earliest due deadline, poked
 * when another daemon (or this one) sets an earlier one: the database watch
 * LISTENs on SCHEDULER_CHANNEL, which the store NOTIFYs. */
#ifndef PROCURD_SCHEDULER_H
#define PROCURD_SCHEDULER_H

#include "procurd.h"

struct scheduler;

#define SCHEDULER_CHANNEL "procurd_deadline"
/* The payload on that channel that says a user was disabled (store/user.c). */
#define SCHEDULER_USERS "users"

/* Look for the earliest due time and arm the timer. */
struct scheduler *scheduler_start(struct procurd *d);
/* Look again for the earliest due time (the clock moved, something changed). */
void scheduler_poke(struct scheduler *s);
void scheduler_free(struct scheduler *s);

#endif
