/* Deadlines of a state: what falls due when, counted as Chinese law counts.
 * Pure: the store writes the rows this plans in the event's transaction. */
#ifndef PROCURD_DEADLINE_H
#define PROCURD_DEADLINE_H

#include <stddef.h>
#include "calendar.h"
#include "lifecycle.h"

struct deadline_config {
	struct period period[ST__COUNT];	/* n == 0: the state has no period of its own */
	int reminder_percent;			/* the reminder at this share of the period */
	struct period second_escalation;	/* after the due time, to the parent agency */
};

void deadline_config_defaults(struct deadline_config *dc);

#define DEADLINE_MAX 4

struct deadline_row {
	char kind[40];
	int level;		/* 0 timed event; 1 reminder; 2, 3 escalations */
	enum lc_event event;	/* EV_ESCALATE, or the timed event */
	usec_t due;
	usec_t fire;
	usec_t origin;		/* where a counted period started (0: not a period) */
	struct period period;	/* the period counted, when origin is set */
};

/* The firings of STATE entered at NOW by project P:
 * - announced: close_bidding at the bid deadline (level 0);
 * - contracted: start_service at the start of the service's first day;
 * - in_service: reminder and escalations towards the end of the service
 *   period, or towards DUE_OVERRIDE when given (a rectification date);
 * - any state with a configured period: reminder at reminder_percent of the
 *   period, escalation at the due time, second escalation after the delay.
 * KIND names the rows (the state, or e.g. "challenge:7" when given).
 * Returns how many rows were written to OUT; *uncovered_year is set (else
 * left alone) when a year the calendar lacks was needed. */
size_t deadline_plan(const struct deadline_config *dc, const struct calendar *cal,
    enum lc_state state, const struct lc_project *p, usec_t now, usec_t due_override,
    struct deadline_row out[DEADLINE_MAX], int *uncovered_year);

/* The three firings of one period starting at NOW (a challenge's answer). */
size_t deadline_plan_period(const struct deadline_config *dc, const struct calendar *cal,
    const char *kind, usec_t now, struct period p, struct deadline_row out[DEADLINE_MAX],
    int *uncovered_year);

/* Count again the firing LEVEL of a period P that started at ORIGIN (the
 * calendar changed): fills *due and *fire. Returns like calendar_due(). */
int deadline_recount(const struct deadline_config *dc, const struct calendar *cal, usec_t origin,
    struct period p, int level, usec_t *due, usec_t *fire, int *uncovered_year);

#endif
