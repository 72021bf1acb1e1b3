/* Next year's funding plan of an agency (003 §3.5): what it needs, from the
 * contracts that run into the year, the positions to keep and the projects
 * approved for it, by funding source and against the special-funds cap;
 * its course (open → reported → confirmed, or returned), its due time and
 * escalations, and who hears of each step. Pure: the store reads and
 * writes, this decides. */
#ifndef PROCURD_FUNDPLAN_H
#define PROCURD_FUNDPLAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "rules.h"
#include "util.h"

enum plan_state { PLAN_OPEN, PLAN_REPORTED, PLAN_CONFIRMED, PLAN__COUNT };
enum plan_event { PEV_REPORT, PEV_CONFIRM, PEV_RETURN, PEV_ESCALATE, PEV__COUNT };

const char *plan_state_name(enum plan_state s);
int plan_state_parse(const char *s);		/* -1 when unknown */
const char *plan_event_name(enum plan_event e);
int plan_event_parse(const char *s);		/* -1 when unknown */

/* [funding_plan] and the calendar's offset. */
struct plan_config {
	int due_month, due_day;		/* the last day to report, in the year before */
	int remind_days;		/* the reminder, this many days before */
	int second_days;		/* the parent agency's escalation, this many after */
	int utc_offset_s;
};

struct config;
/* PC from [funding_plan] of CFG and the calendar's UTC_OFFSET_S. */
void plan_config_from(struct plan_config *pc, const struct config *cfg, int utc_offset_s);

/* When the plan for YEAR is due: the end of the due day (local) of the year
 * before (a 31st in a shorter month is its last day). */
usec_t plan_due(const struct plan_config *pc, int year);
/* When escalation LEVEL (1 reminder, 2 at the due time, 3 the parent) of a
 * plan due at DUE fires; 0 past level 3. */
usec_t plan_level_at(const struct plan_config *pc, usec_t due, int level);

/* One line of a plan's figures (the store's rows). */
enum plan_component { PC_RUNNING, PC_POSITIONS_KEPT, PC_APPROVED, PC__COMPONENTS };
const char *plan_component_name(enum plan_component c);
int plan_component_parse(const char *s);

/* The plan's figures: LINES (an array of {component, project_id, title,
 * funding_source, amount_fen, …} as the store gives them) summed by
 * funding source and component, the total, and the special funds needed
 * against the cap of the basis budget (BASIS_YEAR 0: none recorded). */
json_t *plan_figures(json_t *lines, int basis_year, int64_t special_funds_fen, int cap_bp);

/* Whether ACTOR (ROLES, of agency SAME_AGENCY or not, id ACTOR_ID) may take
 * EV from FROM; the plan's reporter REPORTED_BY. 0 with *TO set, or an
 * HTTP status with CODE and MSG (403 forbidden / separation_of_duties, 409
 * invalid_transition, 422 rule_violation for a missing reason). */
int plan_decide(enum plan_state from, enum plan_event ev, unsigned roles, bool same_agency,
    int64_t actor_id, int64_t reported_by, const json_t *payload, enum plan_state *to,
    const char **code, const char **msg);

/* The notifications of EV on AGENCY's plan for YEAR (escalations: LEVEL),
 * as outbox rows ({channel, recipient, template, lang, data}). PARENT may
 * be NULL at the top; LANG and PARENT_LANG the agencies' languages. */
json_t *plan_notices(enum plan_event ev, int level, const char *agency, const char *parent,
    const char *lang, const char *parent_lang, int year, usec_t due, const char *actor,
    const json_t *payload);

#endif
