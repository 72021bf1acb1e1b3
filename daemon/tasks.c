/* GET /v1/lifecycle and GET /v1/tasks (tasks.h). */
#include "tasks.h"

#include <event2/http.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "doctype.h"
#include "lifecycle.h"
#include "project.h"
#include "render.h"
#include "rows.h"
#include "verify.h"

static json_t *
role_names(unsigned roles)
{
	json_t *a = json_array();
	for (unsigned bit = 1; bit < (1u << ROLE__COUNT); bit <<= 1)
		if (roles & bit)
			json_array_append_new(a, json_string(role_name(bit)));
	return a;
}

json_t *
tasks_lifecycle(struct api_request *r, struct req_ctx *c, int *status)
{
	size_t n;
	const struct lc_transition *tab = lifecycle_table(&n);
	(void)r;
	(void)status;
	json_t *states = json_array(), *rows = json_array();
	for (int s = 0; s < ST__COUNT; s++)
		json_array_append_new(states, json_pack("{s:s,s:b}", "name",
		    lc_state_name((enum lc_state)s), "final", lc_state_is_final((enum lc_state)s)));
	for (size_t i = 0; i < n; i++)
		json_array_append_new(rows, json_pack("{s:s,s:s,s:o,s:o,s:o}", "from",
		    lc_state_name(tab[i].from), "event", lc_event_name(tab[i].event), "to",
		    tab[i].to < 0 ? json_null() : json_string(lc_state_name((enum lc_state)tab[i].to)),
		    "alt", tab[i].alt < 0 ? json_null() :
		    json_string(lc_state_name((enum lc_state)tab[i].alt)), "roles",
		    role_names(tab[i].roles)));
	/* each event's payload fields, as the daemon checks them */
	static const char *const types[] = { [FT_STRING] = "string", [FT_INT] = "integer",
		[FT_NUMBER] = "number", [FT_TIME] = "time", [FT_OBJECT] = "object",
		[FT_ARRAY] = "array", [FT_ANY] = "any" };
	json_t *events = json_array();
	for (int e = 0; e < EV__COUNT; e++) {
		size_t nf;
		const struct lc_field *f = lifecycle_fields((enum lc_event)e, &nf);
		json_t *fields = json_array();
		for (size_t k = 0; f && k < nf; k++)
			json_array_append_new(fields, json_pack("{s:s,s:s,s:b}", "name", f[k].name,
			    "type", types[f[k].type], "required", f[k].required));
		/* the kinds of document it rests on ([documents]) */
		json_t *docs = doctype_kinds(c->doc_required ? c->doc_required(c->doc_arg, e) : NULL);
		json_array_append_new(events, json_pack("{s:s,s:o,s:o}", "name",
		    lc_event_name((enum lc_event)e), "fields", fields, "documents_required", docs));
	}
	/* the methods with the statutory least time from publication to the
	 * bid deadline, as the rules in force count it (the new-project form
	 * shows it; publish refuses a shorter one) */
	json_t *methods = json_array();
	for (int m = 0; m < METHOD__COUNT; m++) {
		struct period w = c->rc->bid_window[m];
		json_array_append_new(methods, json_pack("{s:s,s:{s:i,s:s}}", "name",
		    method_name((enum method)m), "bid_window", "count", w.n, "unit",
		    w.unit == UNIT_WORKING_DAYS ? "working_days" : "calendar_days"));
	}
	return json_pack("{s:o,s:o,s:o,s:o}", "states", states, "transitions", rows, "events", events,
	    "methods", methods);
}

/* The events ROLES may take from state S that move the work on: not the
 * daemon's own, and not cancelling (possible almost everywhere, it would
 * make every project everyone's task). */
static json_t *
events_for(unsigned roles, enum lc_state s)
{
	size_t n;
	const struct lc_transition *tab = lifecycle_table(&n);
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		if (tab[i].from == s && tab[i].event != EV_CANCEL &&
		    (tab[i].roles & roles & ~(unsigned)ROLE_DAEMON))
			json_array_append_new(a, json_string(lc_event_name(tab[i].event)));
	return a;
}

/* Working days from today to DUE's day (negative: overdue by that many),
 * within a year either way. */
static int
working_days(const struct calendar *cal, usec_t now, usec_t due)
{
	int32_t today = calendar_local_day(cal, now), day = calendar_local_day(cal, due);
	int n = 0, unc;
	if (day >= today) {
		for (int32_t d = today + 1; d <= day && d <= today + 366; d++)
			n += calendar_is_working_day(cal, d, &unc);
		return n;
	}
	for (int32_t d = day + 1; d <= today && d <= day + 366; d++)
		n -= calendar_is_working_day(cal, d, &unc);
	return n;
}


json_t *
tasks_list(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)status;
	const char *state = request_query(r, "state"), *agency = request_query(r, "agency"), *s;
	bool overdue = false;
	int64_t limit = 50, after_id = 0;
	usec_t after_due = 0;
	bool has_due = false;
	if (state && lc_state_parse(state) < 0)
		return ctx_bad_field(c, "state", "unknown state");
	if ((s = request_query(r, "overdue")) && strcmp(s, "true") && strcmp(s, "false"))
		return ctx_bad_field(c, "overdue", "overdue must be true or false");
	overdue = s && !strcmp(s, "true");
	if ((s = request_query(r, "limit")) && (parse_int64(s, &limit) || limit < 1 || limit > 200))
		return ctx_bad_field(c, "limit", "limit must be from 1 to 200");
	if ((s = request_query(r, "after"))) {
		/* the cursor: "DUE.ID" (DUE in µs) or "-.ID" for a project without one */
		const char *dot = strchr(s, '.');
		char due[24];
		if (dot == NULL || dot - s >= (ptrdiff_t)sizeof due || parse_int64(dot + 1, &after_id) ||
		    after_id <= 0)
			return ctx_bad_field(c, "after", "after must be a cursor from a previous page");
		snprintf(due, sizeof due, "%.*s", (int)(dot - s), s);
		has_due = strcmp(due, "-") != 0;
		if (has_due && parse_int64(due, &after_due))
			return ctx_bad_field(c, "after", "after must be a cursor from a previous page");
	}

	/* the states where one of the caller's roles has an event */
	char states[512] = "{";
	for (int st = 0; st < ST__COUNT; st++) {
		json_t *ev = events_for(c->u->roles, (enum lc_state)st);
		if (json_array_size(ev)) {
			size_t l = strlen(states);
			snprintf(states + l, sizeof states - l, "%s%s", l > 1 ? "," : "",
			    lc_state_name((enum lc_state)st));
		}
		json_decref(ev);
	}
	strncat(states, "}", sizeof states - strlen(states) - 1);

	struct rows *rows = project_tasks(c, states, state, agency, overdue,
	    has_due ? &after_due : NULL, after_id, (int)limit);
	if (rows == NULL)
		return NULL;
	struct rows *counts = project_task_counts(c, states, agency, overdue);
	if (counts == NULL) {
		rows_free(rows);
		return NULL;
	}
	int off = ctx_offset(c), n = rows_count(rows);
	json_t *items = json_array();
	for (int i = 0; i < n && i < limit; i++) {
		enum lc_state st = (enum lc_state)lc_state_parse(rows_text(rows, i, 3));
		json_t *p = json_pack("{s:I,s:s,s:s,s:s,s:I}", "id", (json_int_t)rows_i64(rows, i, 0),
		    "title", rows_text(rows, i, 1), "agency", rows_text(rows, i, 2), "state",
		    rows_text(rows, i, 3), "version", (json_int_t)rows_i64(rows, i, 4));
		json_t *it = json_pack("{s:o,s:o}", "project", p, "events", events_for(c->u->roles, st));
		if (rows_text(rows, i, 5)) {
			usec_t due = rows_i64(rows, i, 5);
			int wd = working_days(c->cal, c->now, due);
			json_object_set_new(it, "due", render_time(due, off));
			json_object_set_new(it, "working_days_left", json_integer(wd));
			json_object_set_new(it, "overdue", json_boolean(due <= c->now));
			json_object_set_new(it, "soon", json_boolean(due > c->now && wd <= 2));
		} else {
			json_object_set_new(it, "due", json_null());
			json_object_set_new(it, "working_days_left", json_null());
			json_object_set_new(it, "overdue", json_false());
			json_object_set_new(it, "soon", json_false());
		}
		json_array_append_new(items, it);
	}
	json_t *next = json_null();
	if (n > limit) {
		int i = (int)limit - 1;
		next = rows_text(rows, i, 5) ? json_sprintf("%s.%" PRId64, rows_text(rows, i, 5),
		    rows_i64(rows, i, 0)) : json_sprintf("-.%" PRId64, rows_i64(rows, i, 0));
	}
	json_t *by_state = json_object();
	for (int i = 0; i < rows_count(counts); i++)
		json_object_set_new(by_state, rows_text(counts, i, 0),
		    json_integer(rows_i64(counts, i, 1)));
	rows_free(rows);
	rows_free(counts);
	return json_pack("{s:o,s:o,s:o}", "items", items, "next", next, "counts", by_state);
}

json_t *
tasks_verify(struct api_request *r, struct req_ctx *c, int *status)
{
	int64_t id;
	struct verify_result v;
	(void)status;
	if (parse_int64(r->params[0], &id) || id <= 0) {
		apierr_set(c->err, 404, "not_found", NULL, "no such project");
		return NULL;
	}
	struct rows *p = project_get(c, id);	/* 404 outside the scope */
	if (p == NULL)
		return NULL;
	rows_free(p);
	if (verify_project(c->db, id, &v))
		return ctx_dbfail(c, "verifying a chain");
	return json_pack("{s:I,s:i,s:b,s:o,s:o}", "project_id", (json_int_t)id, "events", v.events,
	    "intact", v.why == NULL, "broken_at_seq", v.why ? json_integer(v.broken_seq) :
	    json_null(), "reason", v.why ? json_string(v.why) : json_null());
}
