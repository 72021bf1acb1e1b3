/* Database jobs as coroutines on the event loop (see pool.h). */
#include "pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include "coro.h"
#include "log.h"
#include "outage.h"
#include "db.h"
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
	struct event *limit;		/* a wait's time limit (see arm_limit) */
	struct pool_job revive;		/* pool_revive()'s job: only the reconnect */
	int wait_fd;			/* the socket waited on, for the limit */
};

struct pool {
	struct event_base *base;
	struct event *kick;		/* start queued jobs, from the loop */
	struct pool_job *head, *tail;	/* queued */
	struct slot *slots;
	struct slot *free;
	int n;
	int busy;			/* queued and running */
	int timeout_s;			/* the longest a wait for PostgreSQL may take */
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

/* A database that stops answering (a partition, a stopped host) must not
 * hold a request past [http] timeout_seconds: when a wait runs out, its
 * socket is shut down, the wait ends at once, and libpq reports the
 * connection lost (503, outcome unknown if a COMMIT went out). */
static void
on_limit(evutil_socket_t fd, short what, void *arg)
{
	struct slot *s = arg;
	(void)fd;
	(void)what;
	char why[96];
	snprintf(why, sizeof why, "no answer within %d s ([http] timeout_seconds)", s->p->timeout_s);
	outage_begin(why);
	if (s->wait_fd >= 0)
		shutdown(s->wait_fd, SHUT_RDWR);
}

static void
arm_limit(struct slot *s, int fd)
{
	struct timeval tv = { s->p->timeout_s, 0 };
	s->wait_fd = fd;
	evtimer_add(s->limit, &tv);
}

static void
disarm_limit(struct slot *s)
{
	evtimer_del(s->limit);
	s->wait_fd = -1;
}

static int
wait_ready(void *arg, int fd, bool write)
{
	struct slot *s = arg;
	int rc = 0;
	arm_limit(s, fd);
	if (!db_ok(s->db)) {
		/* connecting: libpq may close a socket and open another (the next
		 * address) between two waits, often under the same number, so no
		 * event may stay on it; a one-shot wait each time */
		unwatch(s);
		rc = coro_wait_fd(s->p->base, fd, write);
	} else if (watch(s) != 0 || fd != s->rd_fd) {
		rc = -1;	/* the store waits in poll(2) instead */
	} else if (write) {
		rc = coro_wait_fd(s->p->base, fd, true);
	} else {
		s->reading = true;
		coro_yield();
	}
	disarm_limit(s);
	return rc;
}

static void
slot_run(void *arg)
{
	struct slot *s = arg;
	/* in an outage a lost connection is not made again for each job (it
	 * would wait, for a hung server, up to the limit): the job fails at
	 * once, and pool_revive() makes it when the database answers */
	if (db_ok(s->db) || !outage_active() || s->job == &s->revive)
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
pool_new(struct event_base *base, const char *conninfo, int n, int timeout_s)
{
	struct pool *p = xcalloc(1, sizeof *p);
	p->base = base;
	p->n = n;
	p->timeout_s = timeout_s > 0 ? timeout_s : 30;
	p->kick = event_new(base, -1, 0, on_kick, p);
	p->slots = xcalloc((size_t)n, sizeof *p->slots);
	for (int i = n - 1; i >= 0; i--) {
		struct slot *s = &p->slots[i];
		s->p = p;
		s->rd_fd = -1;
		s->wait_fd = -1;
		s->limit = evtimer_new(base, on_limit, s);
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

static void
revive_nothing(struct pool_job *job, struct db *db)
{
	(void)job;
	(void)db;	/* slot_run() made the connection again */
}

static void
revive_done(struct pool_job *job)
{
	(void)job;
}

void
pool_revive(struct pool *p)
{
	struct slot **link = &p->free;
	while (*link) {
		struct slot *s = *link;
		if (db_ok(s->db)) {
			link = &s->next_free;
			continue;
		}
		*link = s->next_free;
		s->revive.run = revive_nothing;
		s->revive.done = revive_done;
		s->job = &s->revive;
		p->busy++;
		coro_start(s->co, slot_run, slot_done, s);
	}
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
		event_free(s->limit);
		coro_free(s->co);
		db_close(s->db);
	}
	event_free(p->kick);
	free(p->slots);
	free(p);
}
