/* Next year's funding plan (fundplan.h). */
#include "fundplan.h"

#include <string.h>
#include "config.h"
#include "lifecycle.h"

void
plan_config_from(struct plan_config *pc, const struct config *cfg, int utc_offset_s)
{
	pc->due_month = cfg->plan_due_month;
	pc->due_day = cfg->plan_due_day;
	pc->remind_days = cfg->plan_remind_days;
	pc->second_days = cfg->plan_second_days;
	pc->utc_offset_s = utc_offset_s;
}

static const char *const states[PLAN__COUNT] = { "open", "reported", "confirmed" };
static const char *const events[PEV__COUNT] = { "report", "confirm", "return", "escalate" };
static const char *const components[PC__COMPONENTS] = { "running_contracts",
	"positions_to_keep", "approved_projects" };

static int
find(const char *const *names, int n, const char *s)
{
	for (int i = 0; s && i < n; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

const char *plan_state_name(enum plan_state s) { return (unsigned)s < PLAN__COUNT ? states[s] : "?"; }
int plan_state_parse(const char *s) { return find(states, PLAN__COUNT, s); }
const char *plan_event_name(enum plan_event e) { return (unsigned)e < PEV__COUNT ? events[e] : "?"; }
int plan_event_parse(const char *s) { return find(events, PEV__COUNT, s); }
const char *
plan_component_name(enum plan_component c)
{
	return (unsigned)c < PC__COMPONENTS ? components[c] : "?";
}
int plan_component_parse(const char *s) { return find(components, PC__COMPONENTS, s); }

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

usec_t
plan_due(const struct plan_config *pc, int year)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y = year - 1, m = pc->due_month, d = pc->due_day;
	int last = mdays[m - 1] + (m == 2 && leap(y));
	if (d > last)
		d = last;
	/* the end of the local day: the start of the next */
	int64_t day = (int64_t)days_from_civil(y, m, d) + 1;
	return day * 86400 * USEC_PER_SEC - (usec_t)pc->utc_offset_s * USEC_PER_SEC;
}

usec_t
plan_level_at(const struct plan_config *pc, usec_t due, int level)
{
	switch (level) {
	case 1: return due - (usec_t)pc->remind_days * 86400 * USEC_PER_SEC;
	case 2: return due;
	case 3: return due + (usec_t)pc->second_days * 86400 * USEC_PER_SEC;
	default: return 0;
	}
}

json_t *
plan_figures(json_t *lines, int basis_year, int64_t special_funds_fen, int cap_bp)
{
	int64_t sum[FUNDING__COUNT][PC__COMPONENTS] = { { 0 } }, total = 0;
	size_t i;
	json_t *l;
	json_array_foreach(lines, i, l) {
		int f = funding_parse(json_string_value(json_object_get(l, "funding_source")));
		int c = plan_component_parse(json_string_value(json_object_get(l, "component")));
		int64_t a = json_integer_value(json_object_get(l, "amount_fen"));
		if (f < 0 || c < 0)
			continue;	/* a project without a funding source plans nothing */
		sum[f][c] += a;
		total += a;
	}
	json_t *by = json_array();
	for (int f = 0; f < FUNDING__COUNT; f++) {
		json_t *o = json_pack("{s:s}", "funding_source", funding_name((enum funding)f));
		int64_t t = 0;
		for (int c = 0; c < PC__COMPONENTS; c++) {
			char key[48];
			snprintf(key, sizeof key, "%s_fen", components[c]);
			json_object_set_new(o, key, json_integer(sum[f][c]));
			t += sum[f][c];
		}
		json_object_set_new(o, "total_fen", json_integer(t));
		json_array_append_new(by, o);
	}
	int64_t need = 0;
	for (int c = 0; c < PC__COMPONENTS; c++)
		need += sum[FUNDING_SPECIAL][c];
	json_t *cap;
	if (basis_year) {
		int64_t cap_fen = rules_cap_fen(special_funds_fen, cap_bp);
		cap = json_pack("{s:i,s:I,s:f,s:I,s:I,s:b}", "basis_year", basis_year,
		    "special_funds_fen", (json_int_t)special_funds_fen, "cap_percent", cap_bp / 100.0,
		    "cap_fen", (json_int_t)cap_fen, "special_need_fen", (json_int_t)need, "within",
		    need <= cap_fen);
	} else {
		cap = json_pack("{s:n,s:n,s:n,s:n,s:I,s:n}", "basis_year", "special_funds_fen",
		    "cap_percent", "cap_fen", "special_need_fen", (json_int_t)need, "within");
	}
	return json_pack("{s:o,s:I,s:o}", "by_funding_source", by, "total_fen", (json_int_t)total,
	    "cap", cap);
}

int
plan_decide(enum plan_state from, enum plan_event ev, unsigned roles, bool same_agency,
    int64_t actor_id, int64_t reported_by, const json_t *payload, enum plan_state *to,
    const char **code, const char **msg)
{
	static const struct {
		enum plan_state from;
		enum plan_event ev;
		enum plan_state to;
		unsigned roles;
	} table[] = {
		{ PLAN_OPEN, PEV_REPORT, PLAN_REPORTED, ROLE_OFFICER },
		{ PLAN_REPORTED, PEV_CONFIRM, PLAN_CONFIRMED, ROLE_FINANCE },
		{ PLAN_REPORTED, PEV_RETURN, PLAN_OPEN, ROLE_FINANCE },
		{ PLAN_OPEN, PEV_ESCALATE, PLAN_OPEN, ROLE_DAEMON },
	};
	bool known = false;
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (table[i].ev != ev)
			continue;
		known = true;
		if (!(roles & table[i].roles)) {
			*code = "forbidden";
			*msg = ev == PEV_REPORT ? "an officer of the agency reports its plan" :
			    "the finance bureau at the agency's level confirms or returns its plan";
			return 403;
		}
		if (table[i].from != from)
			continue;
		if (!(roles & ROLE_DAEMON) && !same_agency) {
			*code = "forbidden";
			*msg = "a plan is reported and confirmed at its own agency's level (003 §3.5)";
			return 403;
		}
		if (ev == PEV_CONFIRM && actor_id != 0 && actor_id == reported_by) {
			*code = "separation_of_duties";
			*msg = "the user who reported the plan may not confirm it";
			return 403;
		}
		if (ev == PEV_RETURN && json_string_length(json_object_get(payload, "reason")) == 0) {
			*code = "rule_violation";
			*msg = "a returned plan says why (reason)";
			return 422;
		}
		*to = table[i].to;
		return 0;
	}
	*code = known ? "invalid_transition" : "invalid_field";
	*msg = known ? "the plan's state does not allow this event" :
	    "event must be report, confirm or return";
	return known ? 409 : 400;
}

static void
notice(json_t *rows, const char *agency, const char *role, const char *tmpl, const char *lang,
    json_t *data)
{
	char rcpt[160];
	snprintf(rcpt, sizeof rcpt, "agency:%s:%s", agency, role);
	if (lang == NULL || (strcmp(lang, "zh") && strcmp(lang, "en")))
		lang = "zh";
	json_array_append_new(rows, json_pack("{s:s,s:s,s:s,s:s,s:O}", "channel", "spool",
	    "recipient", rcpt, "template", tmpl, "lang", lang, "data", data));
}

json_t *
plan_notices(enum plan_event ev, int level, const char *agency, const char *parent,
    const char *lang, const char *parent_lang, int year, usec_t due, const char *actor,
    const json_t *payload)
{
	char when[40];
	time_format(due, 0, when, sizeof when);
	json_t *rows = json_array();
	json_t *data = json_pack("{s:s,s:i,s:s,s:s,s:s}", "agency", agency, "year", year, "due_at",
	    when, "event", plan_event_name(ev), "actor", actor ? actor : "");
	const char *reason = json_string_value(json_object_get(payload, "reason"));
	if (reason)
		json_object_set_new(data, "reason", json_string(reason));
	switch (ev) {
	case PEV_REPORT:
		notice(rows, agency, "finance", "funding_plan_reported", lang, data);
		break;
	case PEV_CONFIRM:
		notice(rows, agency, "officer", "funding_plan_confirmed", lang, data);
		break;
	case PEV_RETURN:
		notice(rows, agency, "officer", "funding_plan_returned", lang, data);
		break;
	case PEV_ESCALATE:
		json_object_set_new(data, "level", json_integer(level));
		if (level <= 1)
			notice(rows, agency, "officer", "funding_plan_reminder", lang, data);
		else if (level == 2 || parent == NULL)
			notice(rows, agency, "reviewer", "funding_plan_overdue", lang, data);
		else {
			json_object_set_new(data, "escalated_to", json_string(parent));
			notice(rows, parent, "reviewer", "funding_plan_overdue", parent_lang, data);
		}
		break;
	default:
		break;
	}
	json_decref(data);
	return rows;
}
