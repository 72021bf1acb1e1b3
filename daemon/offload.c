/* One worker thread for CPU-heavy work, its callers waiting as coroutines
 * (offload.h). */
#include "offload.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "coro.h"
#include "log.h"

struct task {
	void (*fn)(void *);
	void *arg;
	int done_fd;
	struct task *next;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct task *head, **tail;
	bool started, stopping;
	pthread_t thread;
	struct event_base *base;
} w = { .lock = PTHREAD_MUTEX_INITIALIZER, .more = PTHREAD_COND_INITIALIZER };

static void *
worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&w.lock);
	for (;;) {
		while (w.head == NULL && !w.stopping)
			pthread_cond_wait(&w.more, &w.lock);
		if (w.head == NULL)
			break;
		struct task *t = w.head;
		if ((w.head = t->next) == NULL)
			w.tail = &w.head;
		pthread_mutex_unlock(&w.lock);
		t->fn(t->arg);
		uint64_t one = 1;
		int fd = t->done_fd;	/* T lives on its caller's stack: done with it now */
		while (write(fd, &one, sizeof one) < 0 && errno == EINTR)
			;
		pthread_mutex_lock(&w.lock);
	}
	pthread_mutex_unlock(&w.lock);
	return NULL;
}

int
offload_start(struct event_base *base)
{
	w.base = base;
	w.head = NULL;
	w.tail = &w.head;
	w.stopping = false;
	if (pthread_create(&w.thread, NULL, worker, NULL) != 0)
		return -1;
	w.started = true;
	return 0;
}

void
offload_run(void (*fn)(void *), void *arg)
{
	int fd = -1;
	if (!w.started || coro_self() == NULL ||
	    (fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		fn(arg);
		return;
	}
	struct task t = { fn, arg, fd, NULL };
	pthread_mutex_lock(&w.lock);
	*w.tail = &t;
	w.tail = &t.next;
	pthread_cond_signal(&w.more);
	pthread_mutex_unlock(&w.lock);
	uint64_t n = 0;
	/* readable once the worker is done with T (never a spurious wake: only
	 * the worker writes it) */
	while (read(fd, &n, sizeof n) != (ssize_t)sizeof n) {
		if (coro_wait_fd(w.base, fd, false) != 0) {
			usleep(1000);	/* cannot suspend: the worker ends soon */
		}
	}
	close(fd);
}

void
offload_stop(void)
{
	if (!w.started)
		return;
	pthread_mutex_lock(&w.lock);
	w.stopping = true;
	pthread_cond_broadcast(&w.more);
	pthread_mutex_unlock(&w.lock);
	pthread_join(w.thread, NULL);
	w.started = false;
}
