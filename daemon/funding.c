/* Funding plans over HTTP (funding.h). */
#include "funding.h"

#include <string.h>
#include "apierr.h"
#include "fundplan.h"
#include "plan.h"
#include "util.h"

static int
plan_args(struct api_request *r, struct req_ctx *c, struct plan_config *pc, int *year)
{
	if (request_year(r, c, 1, year))
		return -1;
	plan_config_from(pc, r->d->cfg, ctx_offset(c));
	return 0;
}

json_t *
funding_plan_get(struct api_request *r, struct req_ctx *c, int *status)
{
	struct plan_config pc;
	int year;
	(void)status;
	if (plan_args(r, c, &pc, &year))
		return NULL;
	return fundplan_get(c, &pc, r->params[0], year);
}

json_t *
funding_plan_event(struct api_request *r, struct req_ctx *c, int *status)
{
	struct plan_config pc;
	int year;
	(void)status;
	if (plan_args(r, c, &pc, &year))
		return NULL;
	const char *k;
	json_t *v;
	json_object_foreach(r->json, k, v) {
		if (strcmp(k, "event") && strcmp(k, "expected_version") && strcmp(k, "payload"))
			return request_fail(c, 400, "unknown_field", k,
			    "a plan's event takes event, expected_version and payload");
	}
	json_t *ev = json_object_get(r->json, "event"), *ver = json_object_get(r->json,
	    "expected_version"), *payload = json_object_get(r->json, "payload");
	int e = plan_event_parse(json_string_value(ev));
	if (e < 0 || e == PEV_ESCALATE)
		return request_fail(c, 400, "invalid_field", "event",
		    "event must be report, confirm or return");
	if (ver && !json_is_null(ver) && (!json_is_integer(ver) || json_integer_value(ver) < 0 ||
	    json_integer_value(ver) > 1000000))
		return request_fail(c, 400, "invalid_field", "expected_version",
		    "expected_version must be a whole number");
	if (payload != NULL && !json_is_null(payload) && !json_is_object(payload))
		return request_fail(c, 400, "invalid_field", "payload", "payload must be an object");
	const char *pk;
	json_t *pv;
	json_object_foreach(payload, pk, pv)	/* nothing when absent */
		if ((strcmp(pk, "reason") && strcmp(pk, "comment")) || !json_is_string(pv))
			return request_fail(c, 400, "invalid_field", "payload",
			    "a plan's payload takes a reason and a comment, both text");
	json_t *empty = json_is_object(payload) ? NULL : json_object();
	json_t *o = fundplan_event(c, &pc, r->params[0], year, (enum plan_event)e,
	    ver && json_is_integer(ver) ? (int)json_integer_value(ver) : -1, empty ? empty : payload);
	json_decref(empty);
	return o;
}
