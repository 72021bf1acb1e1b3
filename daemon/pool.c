/* Database jobs as coroutines on the event loop (see pool.h). */
#include "pool.h"

#include <stdlib.h>
#include "coro.h"
#include "log.h"
#include "store.h"
#include "util.h"

/* Deep enough for the store's frames (the largest are a few KiB), libpq's,
 * jansson's and log4c's; pages are only touched as the stack grows. */
#define POOL_STACK_BYTES (256 * 1024)

struct slot {
	struct pool *p;
	struct db *db;
	struct coro *co;
	struct pool_job *job;		/* running, or NULL */
	struct slot *next_free;
};

struct pool {
	struct event_base *base;
	struct event *kick;		/* start queued jobs, from the loop */
	struct pool_job *head, *tail;	/* queued */
	struct slot *slots;
	struct slot *free;
	int n;
	int busy;			/* queued and running */
};

static int
wait_ready(void *arg, int fd, bool write)
{
	struct pool *p = arg;
	return coro_wait_fd(p->base, fd, write);
}

static void
slot_run(void *arg)
{
	struct slot *s = arg;
	db_ensure(s->db);
	s->job->run(s->job, s->db);
}

static void
slot_done(void *arg)
{
	struct slot *s = arg;
	struct pool *p = s->p;
	struct pool_job *job = s->job;

	s->job = NULL;
	s->next_free = p->free;
	p->free = s;
	p->busy--;
	if (p->head)
		event_active(p->kick, EV_READ, 0);
	job->done(job);
}

static void
on_kick(evutil_socket_t fd, short what, void *arg)
{
	struct pool *p = arg;
	(void)fd;
	(void)what;

	while (p->head && p->free) {
		struct pool_job *job = p->head;
		p->head = job->next;
		if (p->head == NULL)
			p->tail = NULL;
		job->next = NULL;
		struct slot *s = p->free;
		p->free = s->next_free;
		s->job = job;
		coro_start(s->co, slot_run, slot_done, s);
	}
}

struct pool *
pool_new(struct event_base *base, const char *conninfo, int n)
{
	struct pool *p = xcalloc(1, sizeof *p);
	p->base = base;
	p->n = n;
	p->kick = event_new(base, -1, 0, on_kick, p);
	p->slots = xcalloc((size_t)n, sizeof *p->slots);
	for (int i = n - 1; i >= 0; i--) {
		struct slot *s = &p->slots[i];
		s->p = p;
		if ((s->co = coro_new(POOL_STACK_BYTES)) == NULL)
			fatal("pool: cannot map a coroutine stack");
		s->db = db_open(conninfo);	/* at start: blocking is fine */
		db_set_waiter(s->db, wait_ready, p);
		s->next_free = p->free;
		p->free = s;
	}
	return p;
}

void
pool_submit(struct pool *p, struct pool_job *job)
{
	job->next = NULL;
	p->busy++;
	if (p->tail)
		p->tail->next = job;
	else
		p->head = job;
	p->tail = job;
	if (p->free)
		event_active(p->kick, EV_READ, 0);
}

int
pool_busy(const struct pool *p)
{
	return p->busy;
}

void
pool_free(struct pool *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < p->n; i++) {
		if (p->slots[i].job)
			log_warn("pool: a job was still running at exit; its transaction rolls back");
		coro_free(p->slots[i].co);
		db_close(p->slots[i].db);
	}
	event_free(p->kick);
	free(p->slots);
	free(p);
}
