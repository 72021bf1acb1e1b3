/* Coroutines on the event-loop thread (see coro.h). */
#include "coro.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>
#include "log.h"
#include "util.h"

/* valgrind is told where each stack is (its header is a no-op elsewhere) */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define CORO_VALGRIND 1
#endif
#endif

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define CORO_ASAN 1
#endif

struct coro {
	ucontext_t ctx;			/* the coroutine's, while it is suspended */
	ucontext_t back;		/* the loop's, while the coroutine runs */
	char *map;			/* guard page, then the stack */
	size_t map_len;
	char *stack;
	size_t stack_len;
	bool made;			/* ctx holds a context made for entry() */
	bool finished;
	void (*fn)(void *);
	void (*done)(void *);
	void *arg;
	struct event *ev;		/* what it waits for */
#ifdef CORO_VALGRIND
	unsigned vg_stack;
#endif
#ifdef CORO_ASAN
	void *fake;
	const void *back_bottom;
	size_t back_size;
#endif
};

/* The loop is one thread; so is every coroutine it runs. */
static struct coro *running;

static void
switch_out(struct coro *c)
{
#ifdef CORO_ASAN
	__sanitizer_start_switch_fiber(&c->fake, c->back_bottom, c->back_size);
#endif
	if (swapcontext(&c->ctx, &c->back) != 0)
		fatal("coroutine: cannot switch back to the loop");
#ifdef CORO_ASAN
	__sanitizer_finish_switch_fiber(c->fake, &c->back_bottom, &c->back_size);
#endif
}

static void
entry(void)
{
	struct coro *c = running;
#ifdef CORO_ASAN
	__sanitizer_finish_switch_fiber(NULL, &c->back_bottom, &c->back_size);
#endif
	for (;;) {	/* one turn per coro_start() */
		c->fn(c->arg);
		c->finished = true;
		switch_out(c);
	}
}

/* Run C until it waits or finishes; DONE when it finished. Loop stack only. */
static void
resume(struct coro *c)
{
	if (running != NULL)
		fatal("coroutine: resumed from inside another");
	running = c;
#ifdef CORO_ASAN
	void *fake = NULL;
	__sanitizer_start_switch_fiber(&fake, c->stack, c->stack_len);
#endif
	if (swapcontext(&c->back, &c->ctx) != 0)
		fatal("coroutine: cannot switch to a coroutine");
#ifdef CORO_ASAN
	__sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
	running = NULL;
	if (c->finished)
		c->done(c->arg);
}

struct coro *
coro_new(size_t stack_bytes)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = (stack_bytes + page - 1) / page * page;
	char *m = mmap(NULL, len + page, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	if (mprotect(m, page, PROT_NONE) != 0) {	/* stacks grow down onto it */
		munmap(m, len + page);
		return NULL;
	}
	struct coro *c = xcalloc(1, sizeof *c);
	c->map = m;
	c->map_len = len + page;
	c->stack = m + page;
	c->stack_len = len;
#ifdef CORO_VALGRIND
	c->vg_stack = VALGRIND_STACK_REGISTER(c->stack, c->stack + len);
#endif
	return c;
}

void
coro_start(struct coro *c, void (*fn)(void *), void (*done)(void *), void *arg)
{
	if (!c->made) {
		if (getcontext(&c->ctx) != 0)
			fatal("coroutine: getcontext failed");
		c->ctx.uc_stack.ss_sp = c->stack;
		c->ctx.uc_stack.ss_size = c->stack_len;
		c->ctx.uc_link = NULL;	/* entry() never returns */
		makecontext(&c->ctx, entry, 0);
		c->made = true;
	}
	c->fn = fn;
	c->done = done;
	c->arg = arg;
	c->finished = false;
	resume(c);
}

struct coro *
coro_self(void)
{
	return running;
}

void
coro_yield(void)
{
	if (running == NULL)
		fatal("coroutine: yield outside a coroutine");
	switch_out(running);
}

void
coro_wake(struct coro *c)
{
	resume(c);
}

static void
on_ready(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	resume(arg);
}

int
coro_wait_fd(struct event_base *base, int fd, bool write)
{
	struct coro *c = running;
	if (c == NULL || fd < 0)
		return -1;
	if (c->ev == NULL && (c->ev = event_new(base, -1, 0, on_ready, c)) == NULL)
		return -1;
	/* the event is never pending here: it fired, or was never added */
	if (event_assign(c->ev, base, fd, write ? EV_WRITE : EV_READ, on_ready, c) != 0 ||
	    event_add(c->ev, NULL) != 0)
		return -1;
	switch_out(c);
	return 0;
}

void
coro_free(struct coro *c)
{
	if (c == NULL)
		return;
	if (c->ev)
		event_free(c->ev);	/* a suspended coroutine is dropped with its wait */
#ifdef CORO_VALGRIND
	VALGRIND_STACK_DEREGISTER(c->vg_stack);
#endif
	munmap(c->map, c->map_len);
	free(c);
}
