/* The outbox relay: notifications to workers after commit, with leases. */
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zmq.h>
#include "clock.h"
#include "db.h"
#include "jsonw.h"
#include "log.h"
#include "outage.h"
#include "outbox.h"
#include "procurd.h"
#include "render.h"

#define CLAIM_MAX 256
#define ACKS_MAX 512
#define JOBS_MONITOR "inproc://procurd-relay-jobs"

struct relay {
	struct procurd *d;
	void *zctx, *jobs, *acks, *pub;
	void *monitor;			/* the jobs socket's connection events */
	int wake[2];			/* self-pipe: wake the thread */
	pthread_t thread;
	pthread_mutex_t lock;
	json_t *to_publish;		/* guarded by lock */
	_Atomic bool stop;
	_Atomic int64_t paused_until;	/* no worker took a job: leave the outbox alone a while */
	_Atomic int subscriptions;	/* topics someone subscribed to on the events socket */
	_Atomic int workers;		/* connections on the jobs socket */
};

static int
bind_socket(void *ctx, int type, const char *endpoint, int hwm, bool immediate, void **out)
{
	void *s = zmq_socket(ctx, type);
	int zero = 0, one = 1;
	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
	if (type == ZMQ_PUSH || type == ZMQ_XPUB)
		zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
	/* a job goes only to a connected worker: a dead one swallows nothing */
	if (immediate)
		zmq_setsockopt(s, ZMQ_IMMEDIATE, &one, sizeof one);
	if (zmq_bind(s, endpoint) != 0) {
		log_error("relay: cannot bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
		zmq_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

static void
wake(struct relay *r)
{
	char b = 1;
	/* a full pipe already means "look" */
	if (write(r->wake[1], &b, 1) < 0 && errno != EAGAIN)
		log_warn("relay: wake: %s", strerror(errno));
}

void
relay_wake(struct relay *r)
{
	/* while paused the relay looks by itself when the pause ends; with no
	 * worker connected it looks when one connects */
	if (r != NULL && atomic_load(&r->workers) > 0 &&
	    clock_monotonic() >= atomic_load(&r->paused_until))
		wake(r);
}

int
relay_workers(const struct relay *r)
{
	return r ? atomic_load(&((struct relay *)r)->workers) : 0;
}

void
relay_publish_all(struct relay *r, const json_t *events)
{
	if (r == NULL || !json_is_array(events) || json_array_size(events) == 0)
		return;
	/* nobody listens: publishing would only wake two threads for nothing */
	if (atomic_load(&r->subscriptions) <= 0)
		return;
	pthread_mutex_lock(&r->lock);
	json_array_extend(r->to_publish, (json_t *)events);
	pthread_mutex_unlock(&r->lock);
	wake(r);
}

static void
publish(struct relay *r)
{
	pthread_mutex_lock(&r->lock);
	json_t *list = r->to_publish;
	r->to_publish = json_array();
	pthread_mutex_unlock(&r->lock);
	size_t i;
	json_t *ev;
	json_array_foreach(list, i, ev) {
		const char *topic = json_string_value(json_object_get(ev, "to"));
		char *text = jsonw_dump(ev, NULL);
		/* two frames: the topic (the new state) for SUB filters, then the JSON */
		zmq_send(r->pub, topic ? topic : "", topic ? strlen(topic) : 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
		zmq_send(r->pub, text, strlen(text), ZMQ_DONTWAIT);
		free(text);
	}
	json_decref(list);
}

/* The events socket is an XPUB: it tells us when subscribers come and go
 * (one message per topic: first byte 1 subscribe, 0 unsubscribe). */
static void
read_subscriptions(struct relay *r)
{
	char buf[256];
	int len;
	while ((len = zmq_recv(r->pub, buf, sizeof buf, ZMQ_DONTWAIT)) > 0) {
		if (buf[0] == 1)
			atomic_fetch_add(&r->subscriptions, 1);
		else if (buf[0] == 0)
			atomic_fetch_sub(&r->subscriptions, 1);
	}
}

/* The jobs socket's monitor: workers connecting and going away. Each event is
 * two frames, [u16 event, u32 value] then the endpoint. */
static void
read_monitor(struct relay *r)
{
	unsigned char head[6];
	char addr[256];
	int len;
	while ((len = zmq_recv(r->monitor, head, sizeof head, ZMQ_DONTWAIT)) >= 0) {
		int more = 0;
		size_t ml = sizeof more;
		zmq_getsockopt(r->monitor, ZMQ_RCVMORE, &more, &ml);
		if (more)
			zmq_recv(r->monitor, addr, sizeof addr, 0);
		if (len < 2)
			continue;
		uint16_t ev;
		memcpy(&ev, head, sizeof ev);
		if (ev == ZMQ_EVENT_ACCEPTED) {
			if (atomic_fetch_add(&r->workers, 1) == 0)
				log_info("relay: a worker connected; sending what is due");
			atomic_store(&r->paused_until, 0);
		} else if (ev == ZMQ_EVENT_DISCONNECTED) {
			/* only this thread writes the count: never below zero, or one
			 * unmatched disconnect would hide the next worker for good */
			int n = atomic_load(&r->workers);
			if (n > 0)
				atomic_store(&r->workers, n - 1);
			if (n == 1)
				log_warn("relay: no worker connected; notifications wait in the outbox");
		}
	}
}

/* Read every ack waiting; mark the delivered ones in one statement. */
static void
read_acks(struct relay *r, struct db *db)
{
	int64_t ok[ACKS_MAX];
	size_t n_ok = 0;
	char buf[4096];
	usec_t backoff = (usec_t)r->d->cfg->notify_backoff_ms * 1000;

	for (;;) {
		int len = zmq_recv(r->acks, buf, sizeof buf - 1, ZMQ_DONTWAIT);
		if (len < 0)
			break;
		if (len >= (int)sizeof buf) {
			log_warn("relay: ack too long, dropped");
			continue;
		}
		buf[len] = '\0';
		json_t *a = json_loads(buf, 0, NULL);
		json_t *id = json_object_get(a, "id"), *okv = json_object_get(a, "ok");
		if (!json_is_object(a) || json_integer_value(json_object_get(a, "v")) != 1 ||
		    !json_is_integer(id) || !json_is_boolean(okv)) {
			/* a bad message is logged and dropped, never fatal */
			log_warn("relay: malformed ack dropped: %.200s", buf);
			json_decref(a);
			continue;
		}
		if (json_is_true(okv)) {
			ok[n_ok++] = json_integer_value(id);
		} else {
			const char *e = json_string_value(json_object_get(a, "error"));
			log_info("outbox: notification %" JSON_INTEGER_FORMAT " failed: %s",
			    json_integer_value(id), e ? e : "?");
			outbox_failed(db, json_integer_value(id), e ? e : "failed", clock_now(),
			    backoff);
		}
		json_decref(a);
		if (n_ok == ACKS_MAX) {
			outbox_delivered(db, ok, n_ok, clock_now());
			n_ok = 0;
		}
	}
	if (n_ok)
		outbox_delivered(db, ok, n_ok, clock_now());
}

/* Claim due rows and send them without ever blocking; what could not be
 * sent (no worker connected, queue full) goes back for a short while. */
static void
send_due(struct relay *r, struct db *db)
{
	const struct config *cfg = r->d->cfg;
	int dead = 0;
	for (;;) {
		usec_t now = clock_now();
		struct rows *claimed;
		if (outbox_claim(db, now, CLAIM_MAX, (usec_t)cfg->notify_lease_seconds * USEC_PER_SEC,
		    (usec_t)cfg->notify_backoff_ms * 1000, cfg->notify_max_attempts, &claimed, &dead))
			return;
		json_t *jobs = render_jobs(claimed);
		rows_free(claimed);
		size_t n = json_array_size(jobs), i;
		int64_t unsent[CLAIM_MAX];
		size_t n_unsent = 0;
		json_t *job;
		json_array_foreach(jobs, i, job) {
			char *text = jsonw_dump(job, NULL);
			if (zmq_send(r->jobs, text, strlen(text), ZMQ_DONTWAIT) < 0)
				unsent[n_unsent++] = json_integer_value(json_object_get(job, "id"));
			free(text);
		}
		json_decref(jobs);
		if (n_unsent) {
			/* no worker connected (ZMQ_IMMEDIATE) or its queue is full:
			 * give the rows back and stop claiming for a moment instead
			 * of churning on every commit */
			outbox_unsend(db, unsent, n_unsent, clock_now() + USEC_PER_SEC / 2);
			atomic_store(&r->paused_until, clock_monotonic() + USEC_PER_SEC / 2);
		}
		if (n < CLAIM_MAX || n_unsent)
			return;
	}
}

static int relay_wait(void *arg, int fd, bool write);

static void *
relay_main(void *arg)
{
	struct relay *r = arg;
	/* nonblocking, each wait bounded, the first connection too: a hung
	 * database must not hold this thread (SIGTERM joins it) longer than
	 * [http] timeout_seconds; the loop below makes the connection */
	struct db *db = db_new(r->d->cfg->db_conninfo);
	db_set_waiter(db, relay_wait, r);
	/* The outbox swings from empty to a large backlog and back: a generic
	 * plan cached while it was tiny would scan it whole once it is not. */
	db_set(db, "plan_cache_mode", "force_custom_plan");
	zmq_pollitem_t items[4] = {
		{ r->acks, 0, ZMQ_POLLIN, 0 },
		{ NULL, r->wake[0], ZMQ_POLLIN, 0 },
		{ r->pub, 0, ZMQ_POLLIN, 0 },
		{ r->monitor, 0, ZMQ_POLLIN, 0 },
	};
	usec_t next = 0, backoff = 0, retry_at = 0;

	while (!atomic_load(&r->stop)) {
		long timeout_ms = 1000;
		if (next) {
			usec_t wait = next - clock_now();
			timeout_ms = wait <= 0 ? 0 : wait / 1000 + 1;
			if (timeout_ms > 1000)
				timeout_ms = 1000;
		}
		if (zmq_poll(items, 4, timeout_ms) < 0 && zmq_errno() != EINTR)
			break;
		if (atomic_load(&r->stop))
			break;
		if (items[3].revents & ZMQ_POLLIN)
			read_monitor(r);
		if (items[2].revents & ZMQ_POLLIN)
			read_subscriptions(r);
		if (items[1].revents & ZMQ_POLLIN) {
			char drain[256];
			while (read(r->wake[0], drain, sizeof drain) > 0)
				;
		}
		/* in an outage: try again after a backoff from a quarter second
		 * to eight, or as soon as the database watch sees it back */
		if (clock_monotonic() < retry_at && outage_active())
			continue;
		if (!db_ensure(db)) {
			backoff = backoff ? (backoff * 2 > 8 * USEC_PER_SEC ? 8 * USEC_PER_SEC :
			    backoff * 2) : USEC_PER_SEC / 4;
			retry_at = clock_monotonic() + backoff;
			next = clock_now() + backoff;
			continue;
		}
		backoff = 0;
		if (items[0].revents & ZMQ_POLLIN)
			read_acks(r, db);
		publish(r);
		/* nobody to send to: claiming would only hand the rows back; the
		 * monitor wakes us when a worker connects */
		if (atomic_load(&r->workers) <= 0) {
			next = 0;
			continue;
		}
		usec_t paused = atomic_load(&r->paused_until);
		if (clock_monotonic() < paused) {
			next = clock_now() + (paused - clock_monotonic());
			continue;
		}
		send_due(r, db);
		if (outbox_next(db, &next))
			next = clock_now() + USEC_PER_SEC;
	}
	db_close(db);
	return NULL;
}

/* The relay's waiter (db_set_waiter): poll(2) for the socket, at most the
 * limit; past it the socket is shut down and libpq reports the connection
 * lost, which the loop below retries with its backoff. */
static int
relay_wait(void *arg, int fd, bool write)
{
	struct relay *r = arg;
	struct pollfd p = { .fd = fd, .events = (short)(write ? POLLOUT : POLLIN) };
	int limit_ms = (int)r->d->cfg->http_timeout_seconds * 1000, rc;
	while ((rc = poll(&p, 1, limit_ms)) < 0 && errno == EINTR)
		;
	if (rc == 0) {
		outage_begin("the relay's query got no answer within [http] timeout_seconds");
		shutdown(fd, SHUT_RDWR);
	}
	return 0;
}

struct relay *
relay_start(struct procurd *d)
{
	struct relay *r = xcalloc(1, sizeof *r);
	r->d = d;
	r->zctx = zmq_ctx_new();
	r->to_publish = json_array();
	pthread_mutex_init(&r->lock, NULL);
	if (pipe2(r->wake, O_NONBLOCK | O_CLOEXEC) != 0)
		fatal("relay: pipe: %s", strerror(errno));
	int hwm = d->cfg->notify_hwm, big = 100000;
	if (bind_socket(r->zctx, ZMQ_PUSH, d->cfg->notify_jobs_endpoint, hwm, true, &r->jobs) ||
	    bind_socket(r->zctx, ZMQ_PULL, d->cfg->notify_acks_endpoint, big, false, &r->acks) ||
	    bind_socket(r->zctx, ZMQ_XPUB, d->cfg->events_endpoint, hwm, false, &r->pub)) {
		relay_stop(r);
		return NULL;
	}
	/* know whether any worker is there before claiming rows for it */
	r->monitor = zmq_socket(r->zctx, ZMQ_PAIR);
	int zero = 0;
	zmq_setsockopt(r->monitor, ZMQ_LINGER, &zero, sizeof zero);
	if (zmq_socket_monitor(r->jobs, JOBS_MONITOR, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) != 0 ||
	    zmq_connect(r->monitor, JOBS_MONITOR) != 0)
		fatal("relay: cannot monitor the jobs socket: %s", zmq_strerror(zmq_errno()));
	if (pthread_create(&r->thread, NULL, relay_main, r) != 0)
		fatal("relay: cannot start its thread");
	log_info("relay: jobs %s, acks %s, events %s", d->cfg->notify_jobs_endpoint,
	    d->cfg->notify_acks_endpoint, d->cfg->events_endpoint);
	return r;
}

void
relay_stop(struct relay *r)
{
	if (r == NULL)
		return;
	if (r->thread) {
		atomic_store(&r->stop, true);
		wake(r);
		pthread_join(r->thread, NULL);
	}
	if (r->jobs) {
		zmq_socket_monitor(r->jobs, NULL, 0);
		zmq_close(r->jobs);
	}
	if (r->monitor)
		zmq_close(r->monitor);
	if (r->acks)
		zmq_close(r->acks);
	if (r->pub)
		zmq_close(r->pub);
	zmq_ctx_term(r->zctx);
	close(r->wake[0]);
	close(r->wake[1]);
	json_decref(r->to_publish);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
