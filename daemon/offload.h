/* Work that would hold the event loop — a password hash costs tens of
 * milliseconds of CPU by design — runs on a worker thread while the job's
 * coroutine waits on an eventfd; the loop serves everyone else meanwhile.
 * Outside a coroutine (procurctl, the relay thread) it simply runs. */
#ifndef PROCURD_OFFLOAD_H
#define PROCURD_OFFLOAD_H

#include <event2/event.h>

/* Start the worker thread (the daemon, once, before serving). */
int offload_start(struct event_base *base);
/* Run FN(ARG) to its end: on the worker when started and called from a
 * coroutine, else here. FN must not touch the loop or any job's state
 * other than ARG. */
void offload_run(void (*fn)(void *), void *arg);
/* Stop and join the worker (after the loop has drained). */
void offload_stop(void);

#endif
