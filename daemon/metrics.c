/* Counters for GET /metrics, kept in small fixed tables behind one lock. */
#include "metrics.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAMES_MAX 64
#define HTTP_MAX 128
static const double buckets[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5 };
#define NBUCKETS (sizeof buckets / sizeof buckets[0])

struct named {
	char name[64];
	uint64_t n;
};

struct http_series {
	const char *route;	/* a route table string: static */
	int status;
	uint64_t count;
};

struct http_hist {
	const char *route;
	uint64_t b[NBUCKETS];
	uint64_t count;
	double sum;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct named events[NAMES_MAX], refusals[NAMES_MAX];
static uint64_t fired[4];
static uint64_t event_retries;
static uint64_t piped_ok, piped_failed;
static uint64_t pcache_hits, pcache_misses;
static uint64_t sign_ins[3];
static uint64_t flushes_ok, flushes_failed, answers_durable, answers_unknown;
static double lag_sum;
static uint64_t lag_count;
static struct http_series http[HTTP_MAX];
static struct http_hist hist[HTTP_MAX];

static void
bump(struct named *t, const char *name)
{
	pthread_mutex_lock(&lock);
	for (int i = 0; i < NAMES_MAX; i++) {
		if (t[i].name[0] == '\0')
			snprintf(t[i].name, sizeof t[i].name, "%s", name);
		if (!strcmp(t[i].name, name)) {
			t[i].n++;
			break;
		}
	}
	pthread_mutex_unlock(&lock);
}

void
metrics_event_applied(const char *event)
{
	bump(events, event);
}

void
metrics_refusal(const char *rule)
{
	bump(refusals, rule);
}

void
metrics_event_retry(void)
{
	pthread_mutex_lock(&lock);
	event_retries++;
	pthread_mutex_unlock(&lock);
}

void
metrics_pipelined_write(bool ok)
{
	pthread_mutex_lock(&lock);
	if (ok)
		piped_ok++;
	else
		piped_failed++;
	pthread_mutex_unlock(&lock);
}

void
metrics_project_cache(bool hit)
{
	pthread_mutex_lock(&lock);
	*(hit ? &pcache_hits : &pcache_misses) += 1;
	pthread_mutex_unlock(&lock);
}

void
metrics_sign_in(enum metrics_sign_in outcome)
{
	pthread_mutex_lock(&lock);
	sign_ins[outcome]++;
	pthread_mutex_unlock(&lock);
}

void
metrics_commit_flush(bool ok, int answers, int unknown)
{
	pthread_mutex_lock(&lock);
	*(ok ? &flushes_ok : &flushes_failed) += 1;
	answers_durable += (uint64_t)(answers - unknown);
	answers_unknown += (uint64_t)unknown;
	pthread_mutex_unlock(&lock);
}

void
metrics_deadline_fired(int level)
{
	pthread_mutex_lock(&lock);
	fired[level < 0 ? 0 : level > 3 ? 3 : level]++;
	pthread_mutex_unlock(&lock);
}

void
metrics_deadline_lag(usec_t lag)
{
	pthread_mutex_lock(&lock);
	lag_sum += (double)lag / 1e6;
	lag_count++;
	pthread_mutex_unlock(&lock);
}

void
metrics_http(const char *route, int status, usec_t latency)
{
	double s = (double)latency / 1e6;
	pthread_mutex_lock(&lock);
	for (int i = 0; i < HTTP_MAX; i++) {
		if (http[i].route == NULL) {
			http[i].route = route;
			http[i].status = status;
		}
		if (http[i].route == route && http[i].status == status) {
			http[i].count++;
			break;
		}
	}
	for (int i = 0; i < HTTP_MAX; i++) {
		if (hist[i].route == NULL)
			hist[i].route = route;
		if (hist[i].route == route) {
			for (size_t b = 0; b < NBUCKETS; b++)
				if (s <= buckets[b])
					hist[i].b[b]++;
			hist[i].count++;
			hist[i].sum += s;
			break;
		}
	}
	pthread_mutex_unlock(&lock);
}

char *
metrics_render(const struct metrics_gauges *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	pthread_mutex_lock(&lock);
	fprintf(f, "# HELP procurd_events_applied_total Lifecycle events applied, by event.\n"
	    "# TYPE procurd_events_applied_total counter\n");
	for (int i = 0; i < NAMES_MAX && events[i].name[0]; i++)
		fprintf(f, "procurd_events_applied_total{event=\"%s\"} %" PRIu64 "\n", events[i].name,
		    events[i].n);
	fprintf(f, "# HELP procurd_refusals_total Events refused by a rule, by rule.\n"
	    "# TYPE procurd_refusals_total counter\n");
	for (int i = 0; i < NAMES_MAX && refusals[i].name[0]; i++)
		fprintf(f, "procurd_refusals_total{rule=\"%s\"} %" PRIu64 "\n", refusals[i].name,
		    refusals[i].n);
	fprintf(f, "# HELP procurd_event_retries_total Events decided on a row read without a "
	    "lock whose project moved before the write, decided again.\n"
	    "# TYPE procurd_event_retries_total counter\nprocurd_event_retries_total %" PRIu64 "\n",
	    event_retries);
	fprintf(f, "# HELP procurd_pipelined_writes_total Supervision records written on group "
	    "commit's shared pipelined connections, by outcome.\n"
	    "# TYPE procurd_pipelined_writes_total counter\n"
	    "procurd_pipelined_writes_total{outcome=\"ok\"} %" PRIu64 "\n"
	    "procurd_pipelined_writes_total{outcome=\"failed\"} %" PRIu64 "\n", piped_ok, piped_failed);
	fprintf(f, "# HELP procurd_project_cache_total Events that looked for their project in the "
	    "project cache, by outcome.\n"
	    "# TYPE procurd_project_cache_total counter\n"
	    "procurd_project_cache_total{outcome=\"hit\"} %" PRIu64 "\n"
	    "procurd_project_cache_total{outcome=\"miss\"} %" PRIu64 "\n", pcache_hits, pcache_misses);
	fprintf(f, "# HELP procurd_sign_ins_total Sign-ins with a name and password, by outcome "
	    "(locked: refused after too many failures).\n"
	    "# TYPE procurd_sign_ins_total counter\n"
	    "procurd_sign_ins_total{outcome=\"ok\"} %" PRIu64 "\n"
	    "procurd_sign_ins_total{outcome=\"failed\"} %" PRIu64 "\n"
	    "procurd_sign_ins_total{outcome=\"locked\"} %" PRIu64 "\n", sign_ins[SIGNIN_OK],
	    sign_ins[SIGNIN_FAILED], sign_ins[SIGNIN_LOCKED]);
	fprintf(f, "# HELP procurd_commit_flushes_total Group commit's flushes, by outcome.\n"
	    "# TYPE procurd_commit_flushes_total counter\n"
	    "procurd_commit_flushes_total{outcome=\"ok\"} %" PRIu64 "\n"
	    "procurd_commit_flushes_total{outcome=\"failed\"} %" PRIu64 "\n"
	    "# HELP procurd_commit_answers_total Answers that waited for a group commit flush, by "
	    "outcome (unknown: answered 503).\n"
	    "# TYPE procurd_commit_answers_total counter\n"
	    "procurd_commit_answers_total{outcome=\"durable\"} %" PRIu64 "\n"
	    "procurd_commit_answers_total{outcome=\"unknown\"} %" PRIu64 "\n",
	    flushes_ok, flushes_failed, answers_durable, answers_unknown);
	fprintf(f, "# HELP procurd_deadlines_fired_total Deadlines fired, by level.\n"
	    "# TYPE procurd_deadlines_fired_total counter\n");
	/* level 0: the timed events themselves (close_bidding, start_service) */
	for (int l = 0; l <= 3; l++)
		fprintf(f, "procurd_deadlines_fired_total{level=\"%d\"} %" PRIu64 "\n", l, fired[l]);
	fprintf(f, "# HELP procurd_deadline_lag_seconds Fired minus due time.\n"
	    "# TYPE procurd_deadline_lag_seconds summary\n"
	    "procurd_deadline_lag_seconds_sum %.6f\nprocurd_deadline_lag_seconds_count %" PRIu64 "\n",
	    lag_sum, lag_count);
	fprintf(f, "# HELP procurd_http_requests_total HTTP answers, by route and status.\n"
	    "# TYPE procurd_http_requests_total counter\n");
	for (int i = 0; i < HTTP_MAX && http[i].route; i++)
		fprintf(f, "procurd_http_requests_total{route=\"%s\",status=\"%d\"} %" PRIu64 "\n",
		    http[i].route, http[i].status, http[i].count);
	fprintf(f, "# HELP procurd_http_request_duration_seconds HTTP latency, by route.\n"
	    "# TYPE procurd_http_request_duration_seconds histogram\n");
	for (int i = 0; i < HTTP_MAX && hist[i].route; i++) {
		for (size_t b = 0; b < NBUCKETS; b++)
			fprintf(f, "procurd_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %"
			    PRIu64 "\n", hist[i].route, buckets[b], hist[i].b[b]);
		fprintf(f, "procurd_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %"
		    PRIu64 "\n", hist[i].route, hist[i].count);
		fprintf(f, "procurd_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
		    hist[i].route, hist[i].sum);
		fprintf(f, "procurd_http_request_duration_seconds_count{route=\"%s\"} %" PRIu64 "\n",
		    hist[i].route, hist[i].count);
	}
	pthread_mutex_unlock(&lock);
	if (g) {
		fprintf(f, "# HELP procurd_database_up Whether the database answers (0 in an outage).\n"
		    "# TYPE procurd_database_up gauge\nprocurd_database_up %d\n", g->database_up);
		fprintf(f, "# HELP procurd_notify_workers Workers connected to the jobs socket.\n"
		    "# TYPE procurd_notify_workers gauge\nprocurd_notify_workers %" PRId64 "\n",
		    g->workers);
	}
	if (g && g->from_database) {
		static const char *st[3] = { "pending", "delivered", "dead" };
		fprintf(f, "# HELP procurd_incidents_open Incidents that need a person.\n"
		    "# TYPE procurd_incidents_open gauge\nprocurd_incidents_open %" PRId64 "\n",
		    g->incidents_open);
		fprintf(f, "# HELP procurd_notifications Notifications, by status.\n"
		    "# TYPE procurd_notifications gauge\n");
		for (int i = 0; i < 3; i++)
			fprintf(f, "procurd_notifications{status=\"%s\"} %" PRId64 "\n", st[i],
			    g->notifications[i]);
		fprintf(f, "# HELP procurd_outbox_backlog Notifications not yet delivered.\n"
		    "# TYPE procurd_outbox_backlog gauge\nprocurd_outbox_backlog %" PRId64 "\n"
		    "# HELP procurd_outbox_oldest_pending_seconds Age of the oldest pending notification.\n"
		    "# TYPE procurd_outbox_oldest_pending_seconds gauge\n"
		    "procurd_outbox_oldest_pending_seconds %.3f\n", g->outbox_backlog,
		    g->outbox_oldest_age_s);
	}
	fclose(f);
	return buf;
}
