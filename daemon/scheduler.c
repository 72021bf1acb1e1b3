/* Deadline timers: one event armed for the earliest due deadline (smtpd's
 * runq), never a polling loop. The loop thread owns the timer; the firing
 * itself runs as pool jobs; NOTIFYs from other daemons reach it through the
 * database watch's LISTEN (dbwatch.h, scheduler_poke). */
#include "scheduler.h"

#include <event2/event.h>
#include <inttypes.h>
#include <stdlib.h>
#include "clock.h"
#include "ctx.h"
#include "db.h"
#include "due.h"
#include "log.h"
#include "outbox.h"
#include "plan.h"
#include "project.h"
#include "relay.h"

struct scheduler {
	struct procurd *d;
	struct event *timer;	/* the earliest due time */
	int firing;		/* fire jobs in flight */
	bool fire_failed;	/* one of them failed: pause before the next look */
	bool query_inflight;	/* a next-due query in flight */
	bool again;		/* poked while busy: look again when done */
	usec_t armed_due;	/* what the timer waits for (0: only the periodic look) */
	usec_t folded_at;	/* when the per-state counts were last folded */
	int fail_backoff_ms;	/* the next look's wait after a failed job; 0 after success */
};

/* Looks that failed (the database is away) are tried again after a wait
 * that doubles from a quarter second to eight: quick back after a restart,
 * quiet in a long outage. */
#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS 8000

static int
backoff_next(int *ms)
{
	int now = *ms ? *ms : BACKOFF_FIRST_MS;
	*ms = now * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : now * 2;
	return now;
}

struct sched_job {
	struct pool_job job;
	struct scheduler *s;
	bool fire;		/* fire due deadlines; else ask for the next due time */
	bool fold;		/* and fold the per-state counts (project.h) */
	usec_t next_due;
	int fired;
	bool failed;
	json_t *published;
};

static void arm(struct scheduler *s, usec_t due);
static void query_next(struct scheduler *s);

static void
job_run(struct pool_job *pj, struct db *db)
{
	struct sched_job *j = (struct sched_job *)pj;
	struct procurd *d = j->s->d;
	struct rules_config rules;
	struct deadline_config dc;
	const struct calendar *cal;
	struct apierr err = { .status = 0 };
	struct user none = { .id = 0 };

	if (!j->fire) {
		/* a failed fold is only tried again at the next look: the
		 * counts are exact either way, only less compact */
		if (j->fold && project_count_fold(db) != 0)
			log_warn("project counts: not folded: %s", db_error(db));
		if (j->fold && outbox_count_fold(db) != 0)
			log_warn("outbox counts: not folded: %s", db_error(db));
		/* delivered notifications past their keeping, a few batches a
		 * minute: the relay's table stays the size of its work */
		if (j->fold) {
			usec_t before = clock_now() -
			    (usec_t)d->cfg->notify_keep_delivered_days * 86400 * USEC_PER_SEC;
			int64_t gone = outbox_forget_delivered(db, before, 1000, 20);
			if (gone < 0)
				log_warn("outbox: delivered rows not removed: %s", db_error(db));
			else if (gone > 0)
				log_info("outbox: %" PRId64 " delivered notifications older than %d days removed",
				    gone, d->cfg->notify_keep_delivered_days);
		}
		/* funding plans: the year's opened, the late ones escalated
		 * (once a minute, and whenever the clock was moved) */
		if (j->fold) {
			struct plan_config pc;
			procurd_snapshot(d, &rules, &dc, &cal);
			plan_config_from(&pc, d->cfg, cal ? cal->utc_offset_s : 28800);
			int n = fundplan_tick(db, &pc, clock_now());
			if (n < 0)
				log_warn("funding plans: not looked at: %s", db_error(db));
			else
				j->fired = n;
		}
		j->failed = due_next(db, &j->next_due) != 0;
		return;
	}
	procurd_snapshot(d, &rules, &dc, &cal);
	struct req_ctx c = { .db = db, .u = &none, .rc = &rules, .cal = cal, .err = &err,
		.dc = &dc };
	bool more = true;
	/* keep going while batches come back full: a daemon that was down
	 * fires everything that fell due, once */
	while (more && !atomic_load(&d->draining)) {
		c.now = clock_now();
		int n = due_fire(&c, d->cfg->deadline_batch, &more, j->published);
		if (n < 0) {
			j->failed = true;
			break;
		}
		j->fired += n;
	}
	apierr_clear(&err);
}

static void
job_done(struct pool_job *pj)
{
	struct sched_job *j = (struct sched_job *)pj;
	struct scheduler *s = j->s;

	if (j->fire) {
		s->firing--;
		s->fire_failed |= j->failed;
		if (j->fired > 0)
			log_info("deadlines: %d fired", j->fired);
		relay_publish_all(s->d->relay, j->published);
		if (j->fired > 0)
			relay_wake(s->d->relay);
		if (s->firing == 0 && s->fire_failed) {
			/* the same due time would come back at once: a batch that
			 * failed is tried again after a backoff, not in a tight loop */
			s->fire_failed = false;
			arm(s, clock_now() + backoff_next(&s->fail_backoff_ms) * INT64_C(1000));
		} else if (s->firing == 0) {
			s->fail_backoff_ms = 0;
			query_next(s);
		}
	} else {
		s->query_inflight = false;
		if (j->fired > 0)
			relay_wake(s->d->relay);	/* funding plans' escalations */
		if (j->failed) {
			/* database trouble: look again after a backoff */
			arm(s, clock_now() + backoff_next(&s->fail_backoff_ms) * INT64_C(1000));
		} else if (s->again) {
			s->fail_backoff_ms = 0;
			s->again = false;
			query_next(s);
		} else {
			s->fail_backoff_ms = 0;
			arm(s, j->next_due);
		}
	}
	json_decref(j->published);
	free(j);
}

static void
submit(struct scheduler *s, bool fire, bool fold)
{
	struct sched_job *j = xcalloc(1, sizeof *j);
	j->job.run = job_run;
	j->job.done = job_done;
	j->s = s;
	j->fire = fire;
	j->fold = fold;
	j->published = json_array();
	pool_submit(s->d->pool, &j->job);
}

static void
query_next(struct scheduler *s)
{
	if (s->query_inflight || s->firing) {
		s->again = true;
		return;
	}
	s->query_inflight = true;
	usec_t now = clock_now();
	/* (a clock set back, by an operator or a test, starts the minute anew) */
	bool fold = now - s->folded_at >= 60 * USEC_PER_SEC || now < s->folded_at;
	if (fold)
		s->folded_at = now;
	submit(s, false, fold);
}

static void
fire_now(struct scheduler *s)
{
	/* several jobs claim disjoint batches in parallel (SKIP LOCKED) */
	int n = s->d->cfg->db_pool_size / 2;
	if (n < 1)
		n = 1;
	s->firing = n;
	for (int i = 0; i < n; i++)
		submit(s, true, false);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct scheduler *s = arg;
	(void)fd;
	(void)what;
	if (s->firing || atomic_load(&s->d->draining))
		return;
	if (s->armed_due && clock_now() >= s->armed_due)
		fire_now(s);
	else
		query_next(s);	/* the periodic look */
}

static void
arm(struct scheduler *s, usec_t due)
{
	/* With nothing due soon, look again within a minute anyway: a missed
	 * NOTIFY or a test's jump of the clock must not leave work behind. */
	usec_t wait = due ? due - clock_now() : 60 * USEC_PER_SEC;
	if (wait < 0)
		wait = 0;
	if (wait > 60 * USEC_PER_SEC)
		wait = 60 * USEC_PER_SEC;
	s->armed_due = due;
	struct timeval tv = { (time_t)(wait / USEC_PER_SEC), (suseconds_t)(wait % USEC_PER_SEC) };
	event_add(s->timer, &tv);
}

void
scheduler_poke(struct scheduler *s)
{
	if (s)
		query_next(s);
}

struct scheduler *
scheduler_start(struct procurd *d)
{
	struct scheduler *s = xcalloc(1, sizeof *s);
	s->d = d;
	s->timer = evtimer_new(d->base, on_timer, s);
	query_next(s);
	return s;
}

void
scheduler_free(struct scheduler *s)
{
	if (s == NULL)
		return;
	event_free(s->timer);
	free(s);
}
