/* Positions bought against their unit's floors (staffing.h). */
#include "staffing.h"

#include <stdio.h>
#include <string.h>

enum unit_kind
staffing_unit_rule(const struct profile *p, bool township)
{
	if (township)
		return p->staffing[UNIT_TOWNSHIP].measure != MEASURE_NONE ? UNIT_TOWNSHIP : UNIT__COUNT;
	if (p->staffing[UNIT_COUNTY].measure != MEASURE_NONE)
		return UNIT_COUNTY;
	return p->staffing[UNIT_DISTRICT].measure != MEASURE_NONE ? UNIT_DISTRICT : UNIT__COUNT;
}

int64_t
staffing_measured(const struct profile *p, enum unit_kind kind, const struct position *pos)
{
	if ((unsigned)kind >= UNIT__COUNT)
		return -1;
	return p->staffing[kind].measure == MEASURE_HOUSEHOLDS ? pos->households : pos->recipients;
}

static void
fail(struct rule_error *err, const char *rule, json_t *details, const char *msg)
{
	snprintf(err->rule, sizeof err->rule, "%s", rule);
	snprintf(err->message, sizeof err->message, "%s", msg);
	err->details = details;
}

/* The profile POS's unit follows (national when unknown). */
static const struct profile *
profile_of(const struct profile_set *ps, const struct position *pos)
{
	const struct profile *p = profile_find(ps, pos->profile);
	return p ? p : profile_find(ps, "national");
}

static const char *
measure_name(enum measure m)
{
	return m == MEASURE_HOUSEHOLDS ? "households" : "recipients";
}

int
staffing_check(const struct profile_set *ps, const struct position *pos, size_t n,
    struct rule_error *err)
{
	json_t *shortfalls = json_array(), *first = NULL;

	/* a figure the rule needs and the project did not give is refused first */
	for (size_t i = 0; i < n; i++) {
		const struct profile *p = profile_of(ps, &pos[i]);
		enum unit_kind k = staffing_unit_rule(p, pos[i].township);
		if (k != UNIT__COUNT && staffing_measured(p, k, &pos[i]) < 0) {
			json_decref(shortfalls);
			fail(err, "staffing_count_missing",
			    json_pack("{s:s,s:s,s:s,s:s,s:s}", "unit", pos[i].unit, "profile", p->name,
				"unit_kind", unit_kind_name(k), "measure",
				measure_name(p->staffing[k].measure), "cite", p->staffing[k].cite),
			    "the unit's profile sets its staffing floor by a count the position "
			    "does not give");
			return -1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct profile *p = profile_of(ps, &pos[i]);
		enum unit_kind k = staffing_unit_rule(p, pos[i].township);
		if (k == UNIT__COUNT)
			continue;
		int64_t measured = staffing_measured(p, k, &pos[i]);
		int required = profile_staff_floor(p, k, measured);
		if (required < 0 || pos[i].count + pos[i].staffed >= required)
			continue;
		json_t *u = json_pack("{s:s,s:s,s:s,s:s,s:I,s:i,s:i,s:i,s:i,s:s}", "unit", pos[i].unit,
		    "profile", p->name, "unit_kind", unit_kind_name(k), "measure",
		    measure_name(p->staffing[k].measure), measure_name(p->staffing[k].measure),
		    (json_int_t)measured, "required", required, "planned", pos[i].count,
		    "staffed", pos[i].staffed, "shortfall", required - pos[i].count - pos[i].staffed,
		    "cite", p->staffing[k].cite);
		if (first == NULL)
			first = u;
		json_array_append_new(shortfalls, u);
	}
	if (first != NULL) {
		json_t *d = json_deep_copy(first);
		json_object_set_new(d, "units", shortfalls);
		fail(err, "staffing_floor", d,
		    "the positions planned, with those already under contract this year, fall "
		    "below the unit's staffing floor");
		return -1;
	}
	json_decref(shortfalls);

	for (size_t i = 0; i < n; i++) {
		const struct profile *p = profile_of(ps, &pos[i]);
		bool any = false;
		for (int r = 0; r < REGION__COUNT; r++)
			any |= profile_wage_floor(p, (enum region)r) > 0;
		if (!any || pos[i].count == 0)
			continue;
		if (pos[i].region < 0) {
			fail(err, "wage_region_missing",
			    json_pack("{s:s,s:s,s:s}", "unit", pos[i].unit, "profile", p->name, "cite",
				p->wage_cite),
			    "the unit's profile sets wage floors by region, and no region is set for "
			    "the unit or an agency above it");
			return -1;
		}
		int64_t floor_fen = profile_wage_floor(p, (enum region)pos[i].region) * 100;
		if (floor_fen > 0 && pos[i].annual_wage_fen < floor_fen) {
			fail(err, "wage_floor",
			    json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:s}", "unit", pos[i].unit, "profile",
				p->name, "region", region_name((enum region)pos[i].region), "required_fen",
				(json_int_t)floor_fen, "planned_fen", (json_int_t)pos[i].annual_wage_fen,
				"floor_yuan", (json_int_t)(floor_fen / 100), "cite", p->wage_cite),
			    "the annual wage planned for dispatched staff is below the region's floor");
			return -1;
		}
	}
	return 0;
}
