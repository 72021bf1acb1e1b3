/* Coroutines on the event-loop thread: a job written as straight-line code
 * (query, wait, decide, write) suspends where it would block and the loop
 * runs other jobs meanwhile. One thread, no hand-offs, no locks between jobs:
 * PgBouncer's and Redis's single loop, with the store's code left as it reads.
 *
 * Built on ucontext (glibc). Stacks are mmap'd with a guard page below, so an
 * overflow faults instead of corrupting a neighbour. Under AddressSanitizer
 * every switch is announced to it (the fiber-switch interface). */
#ifndef PROCURD_CORO_H
#define PROCURD_CORO_H

#include <stdbool.h>
#include <event2/event.h>

struct coro;

/* A coroutine with its own stack of STACK_BYTES (rounded up to pages, plus
 * one guard page). NULL when the stack cannot be mapped. Reusable: once its
 * function has returned it may be started again. */
struct coro *coro_new(size_t stack_bytes);
/* Run FN(ARG) on C now, until it first waits; whenever FN returns (now or at
 * a later resumption from the loop) DONE(ARG) runs on the loop's stack, where
 * it may start C again. Only from outside any coroutine. */
void coro_start(struct coro *c, void (*fn)(void *), void (*done)(void *), void *arg);
/* The running coroutine, or NULL on the loop's own stack. */
struct coro *coro_self(void);
/* Suspend the running coroutine until FD is readable (or writable, WRITE);
 * the loop of BASE resumes it then. 0, or -1 (not inside a coroutine, or
 * the wait could not be set up), in which case nothing waited. */
int coro_wait_fd(struct event_base *base, int fd, bool write);
/* Suspend the running coroutine until coro_wake(); only inside one. */
void coro_yield(void);
/* Resume C where it yielded, from the loop's own stack; its DONE runs when
 * it returns. */
void coro_wake(struct coro *c);
void coro_free(struct coro *c);

#endif
