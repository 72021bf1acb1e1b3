/* Positions bought, against the floors of the profile their unit follows:
 * how many staff a county or township needs (by its recipient households or
 * recipients), whether the positions planned with those already under
 * contract reach it, and whether the wage reaches its region's floor.
 * Pure: submit's guard (lifecycle.c) and the staffing report (reports.c)
 * decide with the same functions. */
#ifndef PROCURD_STAFFING_H
#define PROCURD_STAFFING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "profile.h"
#include "rules.h"

#define POSITIONS_MAX 64

/* One unit served by a project: its agency (a county-level or a township
 * agency), the profile and region it follows, and what the project plans. */
struct position {
	char unit[40];
	bool township;			/* else county-level (县、市、区) */
	char profile[65];		/* the unit's effective profile */
	int region;			/* enum region, -1 none */
	int count;			/* staff this project buys for the unit */
	int64_t annual_wage_fen;	/* a person a year */
	int64_t households, recipients;	/* -1: not given */
	int staffed;			/* under contract already this fiscal year */
};

/* The rule a unit's floor comes from: a township's, or for a county-level
 * unit the profile's county rule, else its district rule (Shuangyashan sets
 * only 区级); UNIT__COUNT when the profile sets neither. */
enum unit_kind staffing_unit_rule(const struct profile *p, bool township);
/* The count the rule measures (households or recipients) as POS gives it;
 * -1 when not given. */
int64_t staffing_measured(const struct profile *p, enum unit_kind kind, const struct position *pos);

/* Check POS[0..N) against the profiles of PS: 0, or -1 with ERR (rule
 * "staffing_count_missing", "staffing_floor", "wage_region_missing",
 * "wage_floor"; details name the unit and the figures: required, planned,
 * staffed, floor and its citation, and "units" lists every unit short). */
int staffing_check(const struct profile_set *ps, const struct position *pos, size_t n,
    struct rule_error *err);

#endif
