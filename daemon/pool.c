/* Database worker threads: each owns one PostgreSQL connection. */
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "log.h"
#include "store.h"
#include "util.h"

struct pool {
	struct event_base *base;
	struct event *done_ev;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct pool_job *head, *tail;		/* queued */
	struct pool_job *done_head, *done_tail;	/* finished, for the loop */
	bool stopping;
	_Atomic int busy;
	int n;
	pthread_t *threads;
	char *conninfo;
};

static void *
worker_main(void *arg)
{
	struct pool *p = arg;
	struct db *db = db_open(p->conninfo);

	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (p->head == NULL && !p->stopping)
			pthread_cond_wait(&p->cond, &p->lock);
		struct pool_job *job = p->head;
		if (job == NULL) {	/* stopping and drained */
			pthread_mutex_unlock(&p->lock);
			break;
		}
		p->head = job->next;
		if (p->head == NULL)
			p->tail = NULL;
		pthread_mutex_unlock(&p->lock);

		db_ensure(db);
		job->next = NULL;
		job->run(job, db);

		pthread_mutex_lock(&p->lock);
		if (p->done_tail)
			p->done_tail->next = job;
		else
			p->done_head = job;
		p->done_tail = job;
		pthread_mutex_unlock(&p->lock);
		event_active(p->done_ev, EV_READ, 0);
	}
	db_close(db);
	return NULL;
}

static void
on_done(evutil_socket_t fd, short what, void *arg)
{
	struct pool *p = arg;
	(void)fd;
	(void)what;

	pthread_mutex_lock(&p->lock);
	struct pool_job *job = p->done_head;
	p->done_head = p->done_tail = NULL;
	pthread_mutex_unlock(&p->lock);
	while (job) {
		struct pool_job *next = job->next;
		atomic_fetch_sub(&p->busy, 1);
		job->done(job);
		job = next;
	}
}

struct pool *
pool_new(struct event_base *base, const char *conninfo, int n)
{
	struct pool *p = xcalloc(1, sizeof *p);
	p->base = base;
	p->n = n;
	p->conninfo = xstrdup(conninfo);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->done_ev = event_new(base, -1, EV_PERSIST, on_done, p);
	p->threads = xcalloc((size_t)n, sizeof *p->threads);
	for (int i = 0; i < n; i++)
		if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0)
			fatal("pool: cannot start thread %d", i);
	return p;
}

void
pool_submit(struct pool *p, struct pool_job *job)
{
	job->next = NULL;
	atomic_fetch_add(&p->busy, 1);
	pthread_mutex_lock(&p->lock);
	if (p->tail)
		p->tail->next = job;
	else
		p->head = job;
	p->tail = job;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

int
pool_busy(const struct pool *p)
{
	return atomic_load(&((struct pool *)p)->busy);
}

void
pool_free(struct pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->n; i++)
		pthread_join(p->threads[i], NULL);
	on_done(-1, 0, p);	/* run the DONE of what finished last */
	event_free(p->done_ev);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p->threads);
	free(p->conninfo);
	free(p);
}
