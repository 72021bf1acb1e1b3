/* Database jobs as coroutines on the event loop (see pool.h). */
#include "pool.h"

#include <stdlib.h>
#include "coro.h"
#include "log.h"
#include "store.h"
#include "util.h"

/* Each connection's socket has one persistent read event for its whole life:
 * it resumes the job waiting for PostgreSQL's answer, and between jobs it
 * notices at once when the server goes away (so the next job reconnects
 * first instead of failing). Keeping it registered saves two epoll_ctl calls
 * per round trip. The event must never outlive its socket: libpq closes a
 * socket only inside its own calls, which run in a job (or in on_readable),
 * so the event is checked against the connection before every wait and when
 * each job ends, before the loop can hand the descriptor number to anyone
 * else; while a connection is being made there is none (see wait_ready). */
struct slot {
	struct pool *p;
	struct db *db;
	struct coro *co;
	struct pool_job *job;		/* running, or NULL */
	struct slot *next_free;
	struct event *rd;		/* persistent EV_READ on the socket, or NULL */
	bool rd_on;			/* rd is added */
	int rd_fd;
	unsigned rd_gen;		/* db_generation() it was made for */
	bool reading;			/* the job waits for rd */
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

static void on_readable(evutil_socket_t fd, short what, void *arg);

static void
unwatch(struct slot *s)
{
	if (s->rd) {
		event_free(s->rd);
		s->rd = NULL;
	}
	s->rd_on = false;
	s->rd_fd = -1;
}

/* Keep rd on the connection's current socket. */
static int
watch(struct slot *s)
{
	int fd = db_socket(s->db);
	if (s->rd && s->rd_fd == fd && s->rd_gen == db_generation(s->db)) {
		if (!s->rd_on && event_add(s->rd, NULL) != 0)
			return -1;
		s->rd_on = true;
		return 0;
	}
	unwatch(s);
	if (fd < 0)
		return -1;
	s->rd = event_new(s->p->base, fd, EV_READ | EV_PERSIST, on_readable, s);
	if (s->rd == NULL || event_add(s->rd, NULL) != 0) {
		unwatch(s);
		return -1;
	}
	s->rd_on = true;
	s->rd_fd = fd;
	s->rd_gen = db_generation(s->db);
	return 0;
}

static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct slot *s = arg;
	(void)fd;
	(void)what;
	if (s->reading) {
		s->reading = false;
		coro_wake(s->co);
		return;
	}
	if (s->job) {
		/* its job waits to write, not to read: libpq reads what came when
		 * it next asks; until then this event would only fire again */
		event_del(s->rd);
		s->rd_on = false;
		return;
	}
	/* idle, and nobody asked: a notice, or the server closing the connection */
	if (!db_idle_input(s->db)) {
		log_warn("database: a connection closed while idle (%s); it reconnects before "
		    "its next job", db_error(s->db));
		unwatch(s);
	}
}

static int
wait_ready(void *arg, int fd, bool write)
{
	struct slot *s = arg;
	if (!db_ok(s->db)) {
		/* connecting: libpq may close a socket and open another (the next
		 * address) between two waits, often under the same number, so no
		 * event may stay on it; a one-shot wait each time */
		unwatch(s);
		return coro_wait_fd(s->p->base, fd, write);
	}
	if (watch(s) != 0 || fd != s->rd_fd)
		return -1;	/* the store waits in poll(2) instead */
	if (write)
		return coro_wait_fd(s->p->base, fd, true);
	s->reading = true;
	coro_yield();
	return 0;
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

	watch(s);	/* the job may have lost or replaced the connection */
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
		s->rd_fd = -1;
		if ((s->co = coro_new(POOL_STACK_BYTES)) == NULL)
			fatal("pool: cannot map a coroutine stack");
		s->db = db_open(conninfo);	/* at start: blocking is fine */
		db_set_waiter(s->db, wait_ready, s);
		watch(s);
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
		struct slot *s = &p->slots[i];
		if (s->job)
			log_warn("pool: a job was still running at exit; its transaction rolls back");
		unwatch(s);	/* before its socket closes */
		coro_free(s->co);
		db_close(s->db);
	}
	event_free(p->kick);
	free(p->slots);
	free(p);
}
