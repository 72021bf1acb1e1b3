/* Deadline timers: one event armed for the earliest due deadline, woken by
 * LISTEN/NOTIFY when another daemon (or this one) sets an earlier one. */
#ifndef PROCURD_SCHEDULER_H
#define PROCURD_SCHEDULER_H

#include "procurd.h"

struct scheduler;

/* Start listening and arm the timer. NULL when the LISTEN connection cannot
 * be opened (logged); the daemon then retries it every second. */
struct scheduler *scheduler_start(struct procurd *d);
/* Look again for the earliest due time (the clock moved, something changed). */
void scheduler_poke(struct scheduler *s);
void scheduler_free(struct scheduler *s);

#endif
