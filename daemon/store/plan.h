/* Funding plans in the database (fundplan.h decides): the lines the
 * figures come from, the budget the cap is measured against, the plan's
 * row and history, its events (one transaction each: the plan, its
 * hash-chained event and its notifications), and the daemon's tick that
 * opens the year's plans and escalates those not reported in time. */
#ifndef PROCURD_PLAN_H
#define PROCURD_PLAN_H

#include <jansson.h>
#include "ctx.h"
#include "fundplan.h"

/* AGENCY's plan for YEAR as GET shows it: the figures computed now, the
 * plan's state, due time, escalations, what was reported and the history.
 * NULL with c->err (404 outside the user's scope). */
json_t *fundplan_get(struct req_ctx *c, const struct plan_config *pc, const char *agency,
    int year);

/* EV by the user of C on AGENCY's plan for YEAR, at EXPECTED_VERSION (-1:
 * any), with PAYLOAD: the plan as fundplan_get() shows it after, or NULL
 * with c->err. A report keeps the figures as they stand in the event. */
json_t *fundplan_event(struct req_ctx *c, const struct plan_config *pc, const char *agency,
    int year, enum plan_event ev, int expected_version, const json_t *payload);

/* The daemon's look: open every agency's plan whose reminder time has come,
 * and fire the escalations that are due (one transaction each; several
 * daemons never fire one twice). The number fired, or -1. */
int fundplan_tick(struct db *db, const struct plan_config *pc, usec_t now);

#endif
