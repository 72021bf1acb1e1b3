/* Deadlines of a state: what falls due when. Pure. */
#include "deadline.h"

#include <stdio.h>
#include <string.h>

void
deadline_config_defaults(struct deadline_config *dc)
{
	memset(dc, 0, sizeof *dc);
	dc->reminder_percent = 80;
	dc->second_escalation = (struct period){ 3, UNIT_WORKING_DAYS };
}

/* Reminder, escalation, second escalation towards DUE. */
static size_t
three(const struct deadline_config *dc, const struct calendar *cal, const char *kind,
    usec_t now, usec_t due, struct deadline_row *out, int *uncovered)
{
	int u = 0;
	usec_t span = due > now ? due - now : 0;
	usec_t second;
	size_t n = 0;

	/* DUE is the instant the period's last day ends: that day, not the
	 * next, is the uncounted first day of the further delay */
	if (calendar_due(cal, due - 1, dc->second_escalation, &second, &u) && uncovered)
		*uncovered = u;
	usec_t reminder = now + span / 100 * dc->reminder_percent;
	if (dc->reminder_percent > 0 && dc->reminder_percent < 100 && reminder < due) {
		out[n] = (struct deadline_row){ .level = 1, .event = EV_ESCALATE, .due = due,
			.fire = reminder };
		snprintf(out[n++].kind, sizeof out[0].kind, "%s", kind);
	}
	out[n] = (struct deadline_row){ .level = 2, .event = EV_ESCALATE, .due = due, .fire = due };
	snprintf(out[n++].kind, sizeof out[0].kind, "%s", kind);
	out[n] = (struct deadline_row){ .level = 3, .event = EV_ESCALATE, .due = due,
		.fire = second };
	snprintf(out[n++].kind, sizeof out[0].kind, "%s", kind);
	return n;
}

size_t
deadline_plan_period(const struct deadline_config *dc, const struct calendar *cal,
    const char *kind, usec_t now, struct period p, struct deadline_row out[DEADLINE_MAX],
    int *uncovered_year)
{
	usec_t due;
	int u = 0;
	if (calendar_due(cal, now, p, &due, &u) && uncovered_year)
		*uncovered_year = u;
	size_t n = three(dc, cal, kind, now, due, out, uncovered_year);
	for (size_t i = 0; i < n; i++) {
		out[i].origin = now;
		out[i].period = p;
	}
	return n;
}

int
deadline_recount(const struct deadline_config *dc, const struct calendar *cal, usec_t origin,
    struct period p, int level, usec_t *due, usec_t *fire, int *uncovered_year)
{
	struct deadline_row rows[DEADLINE_MAX];
	int u = 0;
	size_t n = deadline_plan_period(dc, cal, "recount", origin, p, rows, &u);
	*due = *fire = 0;
	for (size_t i = 0; i < n; i++)
		if (rows[i].level == level) {
			*due = rows[i].due;
			*fire = rows[i].fire;
		}
	if (uncovered_year)
		*uncovered_year = u;
	return u != 0;
}

size_t
deadline_plan(const struct deadline_config *dc, const struct calendar *cal, enum lc_state state,
    const struct lc_project *p, usec_t now, usec_t due_override,
    struct deadline_row out[DEADLINE_MAX], int *uncovered_year)
{
	const char *kind = lc_state_name(state);

	switch (state) {
	case ST_ANNOUNCED:
		if (p->bid_deadline <= 0)
			return 0;
		out[0] = (struct deadline_row){ .level = 0, .event = EV_CLOSE_BIDDING,
			.due = p->bid_deadline, .fire = p->bid_deadline };
		snprintf(out[0].kind, sizeof out[0].kind, "close_bidding");
		return 1;
	case ST_CONTRACTED: {
		if (p->service_start < 0)
			return 0;
		usec_t start = calendar_day_start(cal, p->service_start);
		if (start < now)
			start = now;
		out[0] = (struct deadline_row){ .level = 0, .event = EV_START_SERVICE, .due = start,
			.fire = start };
		snprintf(out[0].kind, sizeof out[0].kind, "start_service");
		return 1;
	}
	case ST_IN_SERVICE: {
		usec_t due = due_override;
		if (due <= 0 && p->service_end >= 0)
			due = calendar_day_start(cal, p->service_end + 1);
		if (due <= 0)
			return 0;
		return three(dc, cal, due_override > 0 ? "rectification" : kind, now, due, out,
		    uncovered_year);
	}
	default:
		if (lc_state_is_final(state) || dc->period[state].n <= 0)
			return 0;
		return deadline_plan_period(dc, cal, kind, now, dc->period[state], out, uncovered_year);
	}
}
