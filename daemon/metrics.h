/* Counters for GET /metrics (Prometheus text format). Thread-safe. */
#ifndef PROCURD_METRICS_H
#define PROCURD_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include "util.h"

void metrics_event_applied(const char *event);
void metrics_refusal(const char *rule);
/* An event decided without a lock met a moved project and is decided again. */
void metrics_event_retry(void);
/* A light write went on a pipelined connection (store/pipes.c): OK or failed. */
void metrics_pipelined_write(bool ok);
/* An event looked for its project in the project cache: HIT or not. */
void metrics_project_cache(bool hit);
/* A group commit flush ended (OK or failed) for ANSWERS waiting, UNKNOWN of
 * which could not be confirmed durable. */
void metrics_commit_flush(bool ok, int answers, int unknown);
/* A sign-in: SIGNIN_OK, SIGNIN_FAILED (wrong name or password) or
 * SIGNIN_LOCKED (refused for too many failures). */
enum metrics_sign_in { SIGNIN_OK, SIGNIN_FAILED, SIGNIN_LOCKED };
void metrics_sign_in(enum metrics_sign_in outcome);
void metrics_deadline_fired(int level);
void metrics_deadline_lag(usec_t lag);
/* One HTTP answer: route name, status, latency. */
void metrics_http(const char *route, int status, usec_t latency);
/* Gauges read from the database by the caller, set before rendering. */
struct metrics_gauges {
	int64_t incidents_open;
	int64_t notifications[3];	/* pending, delivered, dead */
	int64_t outbox_backlog;
	double outbox_oldest_age_s;
	int64_t workers;		/* connected to the jobs socket */
	bool from_database;		/* the database's gauges above were read */
	bool database_up;		/* outage.h: not in an outage */
};
/* The whole text, newly allocated. */
char *metrics_render(const struct metrics_gauges *g);

#endif
