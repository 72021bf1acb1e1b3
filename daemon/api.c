/* The HTTP API: a table of routes and their handlers, run as pool jobs
 * (coroutines on the loop thread, each with its own connection). */
#include "api.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <inttypes.h>
#include <sys/queue.h>
#include <stdlib.h>
#include <string.h>
#include "admin.h"
#include "clock.h"
#include "db.h"
#include "due.h"
#include "event.h"
#include "lifecycle.h"
#include "log.h"
#include "metrics.h"
#include "outage.h"
#include "outbox.h"
#include "payload.h"
#include "public.h"
#include "reports.h"
#include "funding.h"
#include "documents.h"
#include "project.h"
#include "registry.h"
#include "relay.h"
#include "signin.h"
#include "tasks.h"
#include "users.h"
#include "render.h"
#include "tender.h"
#include "timebase.h"

typedef json_t *(*handler_fn)(struct api_request *r, struct req_ctx *c, int *status);

enum route_flags {
	R_BODY = 1,		/* reads a JSON body */
	R_INLINE = 2,		/* no token, no database (liveness, metrics) */
	R_PUBLIC = 4,		/* no token, but the database (readiness) */
	R_CREATED = 8,		/* a success answers 201 */
	R_OPEN = 16,		/* no token, the database: open to all, rate-limited, cacheable */
	R_UPLOAD = 32,		/* the body is a file (documents.c), up to [documents] max_bytes */
};

/* Reads of one resource by its integer id (the first path parameter). */
typedef json_t *(*by_id_fn)(struct req_ctx *c, int64_t id);

struct route {
	int method;
	const char *pattern;	/* segments; "{x}" is a parameter */
	unsigned roles;		/* 0: any authenticated user */
	unsigned flags;
	handler_fn fn;
	const char *name;
	by_id_fn by_id;		/* with fn == h_by_id */
	enum payload_kind payload;	/* the body's fields, checked at the edge */
};

static json_t *h_by_id(struct api_request *, struct req_ctx *, int *);
static json_t *get_contractor(struct req_ctx *, int64_t);
static json_t *get_project(struct req_ctx *, int64_t);
static json_t *get_bids(struct req_ctx *, int64_t);
static json_t *get_ranking(struct req_ctx *, int64_t);
static json_t *h_health(struct api_request *, struct req_ctx *, int *);
static json_t *h_metrics(struct api_request *, struct req_ctx *, int *);
static json_t *h_contractor_add(struct api_request *, struct req_ctx *, int *);
static json_t *h_contractor_search(struct api_request *, struct req_ctx *, int *);
static json_t *h_project_add(struct api_request *, struct req_ctx *, int *);
static json_t *h_project_list(struct api_request *, struct req_ctx *, int *);
static json_t *h_event_add(struct api_request *, struct req_ctx *, int *);
static json_t *h_bid_add(struct api_request *, struct req_ctx *, int *);
static json_t *h_score_add(struct api_request *, struct req_ctx *, int *);
static json_t *h_evaluations(struct api_request *, struct req_ctx *, int *);
static json_t *h_clock(struct api_request *, struct req_ctx *, int *);
static json_t *h_deadlines(struct api_request *, struct req_ctx *, int *);
static json_t *h_notifications(struct api_request *, struct req_ctx *, int *);
static json_t *h_resend(struct api_request *, struct req_ctx *, int *);
static json_t *h_incidents(struct api_request *, struct req_ctx *, int *);
static json_t *h_history(struct api_request *, struct req_ctx *, int *);
static int page_args(struct api_request *, struct req_ctx *, int64_t *, int64_t *);

#define GET EVHTTP_REQ_GET
#define POST EVHTTP_REQ_POST
#define PUT EVHTTP_REQ_PUT
#define DELETE EVHTTP_REQ_DELETE

/* Every route of the public contract (DESIGN.md), in one place. */
static const struct route routes[] = {
	{ GET, "/healthz", 0, R_INLINE, h_health, "GET /healthz", NULL, PAYLOAD_NONE },
	{ GET, "/v1/openapi.json", 0, R_INLINE | R_OPEN, public_openapi, "GET /v1/openapi.json", NULL,
	    PAYLOAD_NONE },
	{ GET, "/v1/public/projects", 0, R_OPEN, public_projects, "GET /v1/public/projects", NULL,
	    PAYLOAD_NONE },
	{ GET, "/v1/public/projects/{id}", 0, R_OPEN, public_project_get,
	    "GET /v1/public/projects/{id}", NULL, PAYLOAD_NONE },
	{ GET, "/v1/public/projects/{id}/documents/{doc}", 0, R_OPEN, public_document,
	    "GET /v1/public/projects/{id}/documents/{doc}", NULL, PAYLOAD_NONE },
	{ GET, "/v1/public/evaluations", 0, R_OPEN, public_evaluations,
	    "GET /v1/public/evaluations", NULL, PAYLOAD_NONE },
	{ GET, "/v1/ocds/releases", 0, R_OPEN, public_ocds_feed, "GET /v1/ocds/releases", NULL,
	    PAYLOAD_NONE },
	{ GET, "/v1/ocds/releases/{ocid}", 0, R_OPEN, public_ocds_process,
	    "GET /v1/ocds/releases/{ocid}", NULL, PAYLOAD_NONE },
	{ GET, "/v1/ocds/records/{ocid}", 0, R_OPEN, public_ocds_record,
	    "GET /v1/ocds/records/{ocid}", NULL, PAYLOAD_NONE },
	{ GET, "/metrics", 0, R_PUBLIC, h_metrics, "GET /metrics", NULL, PAYLOAD_NONE },
	{ POST, "/v1/sessions", 0, R_PUBLIC | R_BODY | R_CREATED, signin_open, "POST /v1/sessions",
	    NULL, PAYLOAD_SESSION },
	{ DELETE, "/v1/sessions/current", 0, 0, signin_close, "DELETE /v1/sessions/current", NULL,
	    PAYLOAD_NONE },
	{ GET, "/v1/me", 0, 0, signin_me, "GET /v1/me", NULL, PAYLOAD_NONE },
	{ GET, "/v1/lifecycle", 0, 0, tasks_lifecycle, "GET /v1/lifecycle", NULL, PAYLOAD_NONE },
	{ GET, "/v1/users", ROLE_ADMIN, 0, users_list, "GET /v1/users", NULL, PAYLOAD_NONE },
	{ POST, "/v1/users", ROLE_ADMIN, R_BODY | R_CREATED, users_add, "POST /v1/users", NULL,
	    PAYLOAD_USER },
	{ POST, "/v1/users/{name}/password", ROLE_ADMIN, 0, users_reset,
	    "POST /v1/users/{name}/password", NULL, PAYLOAD_NONE },
	{ POST, "/v1/users/{name}/disable", ROLE_ADMIN, 0, users_disable,
	    "POST /v1/users/{name}/disable", NULL, PAYLOAD_NONE },
	{ POST, "/v1/users/{name}/enable", ROLE_ADMIN, 0, users_enable,
	    "POST /v1/users/{name}/enable", NULL, PAYLOAD_NONE },
	{ GET, "/v1/tasks", 0, 0, tasks_list, "GET /v1/tasks", NULL, PAYLOAD_NONE },
	{ GET, "/v1/projects/{id}/verify", 0, 0, tasks_verify, "GET /v1/projects/{id}/verify", NULL,
	    PAYLOAD_NONE },
	{ PUT, "/v1/me/language", 0, R_BODY, signin_language, "PUT /v1/me/language", NULL,
	    PAYLOAD_LANGUAGE },
	{ PUT, "/v1/me/password", 0, R_BODY, signin_password, "PUT /v1/me/password", NULL,
	    PAYLOAD_PASSWORD },
	{ POST, "/v1/agencies", ROLE_ADMIN, R_BODY | R_CREATED, admin_agency_add, "POST /v1/agencies",
	    NULL, PAYLOAD_NONE },
	{ GET, "/v1/agencies", 0, 0, admin_agencies, "GET /v1/agencies", NULL, PAYLOAD_NONE },
	{ GET, "/v1/agencies/{code}", 0, 0, admin_agency_get, "GET /v1/agencies/{code}", NULL, PAYLOAD_NONE },
	{ GET, "/v1/calendar", ROLE_ADMIN, 0, admin_calendar, "GET /v1/calendar", NULL, PAYLOAD_NONE },
	{ PUT, "/v1/agencies/{code}/budgets/{year}", ROLE_FINANCE | ROLE_ADMIN, R_BODY, admin_budget_put,
	    "PUT /v1/agencies/{code}/budgets/{year}", NULL, PAYLOAD_BUDGET },
	{ GET, "/v1/agencies/{code}/budgets/{year}", 0, 0, admin_budget_get,
	    "GET /v1/agencies/{code}/budgets/{year}", NULL, PAYLOAD_NONE },
	{ PUT, "/v1/agencies/{code}/dibao-spending/{year}", ROLE_FINANCE | ROLE_ADMIN, R_BODY,
	    reports_dibao_put, "PUT /v1/agencies/{code}/dibao-spending/{year}", NULL, PAYLOAD_DIBAO },
	{ GET, "/v1/agencies/{code}/dibao-spending/{year}", 0, 0, reports_dibao_get,
	    "GET /v1/agencies/{code}/dibao-spending/{year}", NULL, PAYLOAD_NONE },
	{ GET, "/v1/agencies/{code}/funding-plan/{year}", 0, 0, funding_plan_get,
	    "GET /v1/agencies/{code}/funding-plan/{year}", NULL, PAYLOAD_NONE },
	{ POST, "/v1/agencies/{code}/funding-plan/{year}/events", ROLE_OFFICER | ROLE_FINANCE, R_BODY,
	    funding_plan_event, "POST /v1/agencies/{code}/funding-plan/{year}/events", NULL,
	    PAYLOAD_NONE },
	{ GET, "/v1/reports/staffing", 0, 0, reports_staffing, "GET /v1/reports/staffing", NULL,
	    PAYLOAD_NONE },
	{ GET, "/v1/reports/spending", 0, 0, reports_spending, "GET /v1/reports/spending", NULL,
	    PAYLOAD_NONE },
	{ POST, "/v1/catalog", ROLE_ADMIN, R_BODY | R_CREATED, admin_catalog_add, "POST /v1/catalog",
	    NULL, PAYLOAD_CATALOG_ADD },
	{ GET, "/v1/catalog", 0, 0, admin_catalog_list, "GET /v1/catalog", NULL, PAYLOAD_NONE },
	{ PUT, "/v1/catalog/{code}", ROLE_ADMIN, R_BODY, admin_catalog_put, "PUT /v1/catalog/{code}",
	    NULL, PAYLOAD_CATALOG_PUT },
	{ POST, "/v1/contractors", ROLE_OFFICER, R_BODY | R_CREATED, h_contractor_add,
	    "POST /v1/contractors", NULL, PAYLOAD_CONTRACTOR },
	{ GET, "/v1/contractors", 0, 0, h_contractor_search, "GET /v1/contractors", NULL,
	    PAYLOAD_NONE },
	{ GET, "/v1/contractors/{id}", 0, 0, h_by_id, "GET /v1/contractors/{id}",
	    get_contractor, PAYLOAD_NONE },
	{ POST, "/v1/projects", ROLE_OFFICER, R_BODY | R_CREATED, h_project_add, "POST /v1/projects",
	    NULL, PAYLOAD_PROJECT },
	{ GET, "/v1/projects", 0, 0, h_project_list, "GET /v1/projects", NULL, PAYLOAD_NONE },
	{ GET, "/v1/projects/{id}", 0, 0, h_by_id, "GET /v1/projects/{id}", get_project, PAYLOAD_NONE },
	{ POST, "/v1/projects/{id}/events", 0, R_BODY, h_event_add, "POST /v1/projects/{id}/events",
	    NULL, PAYLOAD_NONE },
	{ GET, "/v1/projects/{id}/events", 0, 0, h_history, "GET /v1/projects/{id}/events",
	    NULL, PAYLOAD_NONE },
	{ POST, "/v1/projects/{id}/bids", ROLE_OFFICER, R_BODY | R_CREATED, h_bid_add,
	    "POST /v1/projects/{id}/bids", NULL, PAYLOAD_BID },
	{ POST, "/v1/projects/{id}/documents", ROLE_OFFICER | ROLE_REVIEWER | ROLE_FINANCE,
	    R_UPLOAD | R_CREATED, documents_upload, "POST /v1/projects/{id}/documents", NULL,
	    PAYLOAD_NONE },
	{ GET, "/v1/projects/{id}/documents", 0, 0, documents_list, "GET /v1/projects/{id}/documents",
	    NULL, PAYLOAD_NONE },
	{ GET, "/v1/projects/{id}/documents/{doc}", 0, 0, documents_get,
	    "GET /v1/projects/{id}/documents/{doc}", NULL, PAYLOAD_NONE },
	{ GET, "/v1/projects/{id}/bids", 0, 0, h_by_id, "GET /v1/projects/{id}/bids",
	    get_bids, PAYLOAD_NONE },
	{ POST, "/v1/projects/{id}/bids/{bid}/scores", ROLE_EVALUATOR, R_BODY | R_CREATED, h_score_add,
	    "POST /v1/projects/{id}/bids/{bid}/scores", NULL, PAYLOAD_SCORES },
	{ GET, "/v1/projects/{id}/ranking", 0, 0, h_by_id, "GET /v1/projects/{id}/ranking",
	    get_ranking, PAYLOAD_NONE },
	{ GET, "/v1/evaluations", 0, 0, h_evaluations, "GET /v1/evaluations", NULL, PAYLOAD_NONE },
	{ GET, "/v1/deadlines", 0, 0, h_deadlines, "GET /v1/deadlines", NULL, PAYLOAD_NONE },
	{ GET, "/v1/notifications", 0, 0, h_notifications, "GET /v1/notifications", NULL, PAYLOAD_NONE },
	{ POST, "/v1/notifications/{id}/resend", ROLE_ADMIN, 0, h_resend,
	    "POST /v1/notifications/{id}/resend", NULL, PAYLOAD_NONE },
	{ GET, "/v1/incidents", 0, 0, h_incidents, "GET /v1/incidents", NULL, PAYLOAD_NONE },
	{ POST, "/v1/admin/clock", ROLE_ADMIN, R_BODY, h_clock, "POST /v1/admin/clock", NULL, PAYLOAD_NONE },
};
#define NROUTES (sizeof routes / sizeof routes[0])

/* Match one pattern; path parameters are copied into r->params. */
static bool
match(const char *pattern, const char *path, struct api_request *r, bool store)
{
	int np = 0;
	const char *p = pattern, *s = path;

	while (*p && *s) {
		if (*p != '/' || *s != '/')
			return false;
		p++;
		s++;
		size_t pl = strcspn(p, "/"), sl = strcspn(s, "/");
		if (*p == '{') {
			if (sl == 0 || np >= API_MAX_PARAMS)
				return false;
			if (store)
				r->params[np] = xstrndup(s, sl);
			np++;
		} else if (pl != sl || strncmp(p, s, pl) != 0) {
			return false;
		}
		p += pl;
		s += sl;
	}
	if (*s == '/' && s[1] == '\0')
		s++;	/* a trailing slash is forgiven */
	return *p == '\0' && *s == '\0';
}

/* The name of PATTERN's parameter I ("code" of "{code}") into OUT. */
static void
param_name(const char *pattern, int i, char *out, size_t len)
{
	const char *p = pattern;
	for (int n = 0; (p = strchr(p, '{')) != NULL; n++, p++) {
		if (n == i) {
			size_t k = strcspn(p + 1, "}");
			snprintf(out, len, "%.*s", (int)k, p + 1);
			return;
		}
	}
	snprintf(out, len, "path");
}

enum api_match
api_route(struct api_request *r, struct edge_err *e)
{
	/* HEAD is GET without the body (http.c sends no body) */
	int method = r->method == EVHTTP_REQ_HEAD ? EVHTTP_REQ_GET : r->method;
	const struct route *found = NULL;

	r->allow = 0;
	for (size_t i = 0; i < NROUTES; i++) {
		if (!match(routes[i].pattern, r->path, r, false))
			continue;
		r->allow |= (unsigned)routes[i].method;
		if (routes[i].method == method && found == NULL)
			found = &routes[i];
	}
	if (found == NULL)
		return r->allow ? API_BAD_METHOD : API_NO_ROUTE;
	match(found->pattern, r->path, r, true);
	r->route = found;
	for (int i = 0; i < API_MAX_PARAMS && r->params[i]; i++) {
		char name[32];
		param_name(found->pattern, i, name, sizeof name);
		if (edge_param(name, r->params[i], e))
			return API_BAD_INPUT;
	}
	return API_FOUND;
}

void
api_allow(const struct api_request *r, char *out, size_t len)
{
	snprintf(out, len, "%s%s%s%s%s",
	    r->allow & EVHTTP_REQ_GET ? "GET, HEAD, " : "",
	    r->allow & EVHTTP_REQ_POST ? "POST, " : "",
	    r->allow & EVHTTP_REQ_PUT ? "PUT, " : "",
	    r->allow & EVHTTP_REQ_DELETE ? "DELETE, " : "",
	    "OPTIONS");
}

bool
api_route_upload(const struct route *rt)
{
	return rt->flags & R_UPLOAD;
}

bool
api_route_has_body(const struct route *rt)
{
	return rt->flags & R_BODY;
}

void
api_refuse(struct api_request *r, const struct edge_err *e)
{
	edge_apierr(e, &r->err);
}

bool
api_route_inline(const struct route *rt)
{
	return rt->flags & R_INLINE;
}

const char *
api_route_name_at(size_t i)
{
	return i < sizeof routes / sizeof routes[0] ? routes[i].name : NULL;
}

bool
api_route_open(const struct route *rt)
{
	return rt->flags & R_OPEN;
}

const char *
api_route_name(const struct route *rt)
{
	return rt ? rt->name : "unknown";
}

/* ------------------------------------------------------------------------ */

static json_t *
err(struct req_ctx *c, int status, const char *code, json_t *details, const char *msg)
{
	apierr_set(c->err, status, code, details, "%s", msg);
	return NULL;
}

static json_t *
not_found(struct req_ctx *c)
{
	return err(c, 404, "not_found", NULL, "no such resource");
}

static int
param_id(struct api_request *r, int i, int64_t *out)
{
	return parse_int64(r->params[i], out) == 0 && *out > 0 ? 0 : -1;
}

/* Query parameter NAME, or NULL; it lives as long as the request. */
static const char *
query_get(struct api_request *r, const char *name)
{
	return evhttp_find_header(&r->args, name);
}

/* Group commit as the event write sees it (ctx.h): the store never
 * includes durable.h, a layer above it. */
static bool
group_lead(void *d)
{
	return durable_lead(d);
}

static void
group_led(void *d, bool flushed)
{
	durable_led(d, flushed);
}

static const char *
doc_required(const void *cfg, int ev)
{
	return config_documents_required(cfg, ev);
}

void
api_run(struct api_request *r, struct db *db)
{
	struct group_commit group = { group_lead, group_led, r->d->durable };
	struct user u;
	struct rules_config rules;
	struct deadline_config dc;
	const struct calendar *cal;
	struct req_ctx c = { .db = db, .u = &u, .err = &r->err, .dc = &dc,
		.outbox_written = &r->outbox_written, .group = r->d->durable ? &group : NULL };

	memset(&u, 0, sizeof u);
	procurd_snapshot(r->d, &rules, &dc, &cal);
	c.rc = &rules;
	c.profiles = &r->d->profiles;
	c.doc_required = doc_required;
	c.doc_arg = r->d->cfg;
	c.cal = cal;
	c.now = clock_now();
	r->status = 200;

	if (db && outage_active() && !(r->route->flags & R_PUBLIC)) {
		/* the database watch says it does not answer: say so at once
		 * rather than wait for it (readiness says the same) */
		apierr_set(&r->err, 503, "database_unavailable",
		    json_pack("{s:s}", "outcome", "not_applied"),
		    "the database is unreachable; nothing was done; retry later");
		return;
	}
	if (!(r->route->flags & (R_INLINE | R_PUBLIC | R_OPEN))) {
		/* a bearer token, or else a signed-in browser's session cookie */
		int rc;
		if (r->authorization || r->session == NULL) {
			rc = auth_check(r->d->auth, db, r->authorization, clock_monotonic(), &u);
			r->signed_in_with = "token";
		} else if ((rc = signin_session(r, db, &u)) == 2) {
			return;	/* refused: no CSRF token (r->err) */
		}
		if (rc < 0) {
			apierr_set(&r->err, 503, "database_unavailable",
			    json_pack("{s:s}", "outcome", "not_applied"),
			    "the database is unavailable; nothing was done; retry later");
			return;
		}
		db_sent_clear(db);	/* what the handler sends decides the outcome */
		if (rc > 0 && r->session && r->authorization == NULL) {
			apierr_set(&r->err, 401, "unauthorized", NULL,
			    "your session has ended: sign in again");
			return;
		}
		if (rc > 0) {
			apierr_set(&r->err, 401, "unauthorized", NULL,
			    "a valid bearer token is required (Authorization: Bearer TOKEN)");
			return;
		}
		if (r->change_password && !signin_open_while_changing(r->route->name)) {
			apierr_set(&r->err, 403, "password_change_required", NULL,
			    "this password was given to you once: set your own (PUT /v1/me/password) "
			    "first");
			return;
		}
		if (r->route->roles && !(u.roles & r->route->roles)) {
			apierr_set(&r->err, 403, "forbidden", NULL,
			    "your role may not do this");
			return;
		}
	}
	/* the body's shape, once the caller may send it: before any SQL of
	 * the handler's */
	struct edge_err e;
	if (r->json && payload_check(r->route->payload, r->json, &e)) {
		api_refuse(r, &e);
		return;
	}
	r->reply = r->route->fn(r, &c, &r->status);
	r->async_commit = c.out.async_committed;
	/* its own synchronous commit flushed everything it read: a leader's,
	 * or an event's that leaves its state; nothing after it */
	r->flushed_self = c.out.flushed_queries && db_queries(db) == c.out.flushed_queries;
	if (c.out.answer_text && r->reply)
		r->reply_text = c.out.answer_text;	/* sent as it is */
	else
		free(c.out.answer_text);
	if (r->reply && (r->route->flags & R_CREATED))
		r->status = 201;
	if (r->reply == NULL && r->err.status == 0)
		apierr_set(&r->err, 500, "internal", NULL, "internal error");
}

/* ------------------------------------------------------------------------ */
/* Handlers                                                                 */

/* The body's values (payload_values()), after the path's parameters: true
 * when one is out of its range, the error then set. */
static bool
bad_values(struct api_request *r)
{
	struct edge_err e;
	if (payload_values(r->route->payload, r->json, &e) == 0)
		return false;
	api_refuse(r, &e);
	return true;
}

/* The store's rows as answers (render.h), the rows then freed; NULL rows:
 * the store refused (c->err says why). */
static json_t *
rendered(struct req_ctx *c, struct rows *rows, json_t *(*fn)(const struct rows *, int))
{
	json_t *o = rows ? fn(rows, ctx_offset(c)) : NULL;
	rows_free(rows);
	return o;
}

/* A page of up to LIMIT rows, the store having read one more. */
static json_t *
rendered_page(struct req_ctx *c, struct rows *rows, int64_t limit,
    json_t *(*fn)(const struct rows *, int, int))
{
	json_t *o = rows ? fn(rows, (int)limit, ctx_offset(c)) : NULL;
	rows_free(rows);
	return o;
}

static json_t *
project_answer(struct req_ctx *c, struct rows *rows)
{
	json_t *o = rows ? render_project(rows, 0, ctx_offset(c)) : NULL;
	rows_free(rows);
	return o;
}

static json_t *
contractor_answer(struct req_ctx *c, struct rows *rows[3])
{
	json_t *o = render_contractor(rows[0], rows[1], rows[2],
	    calendar_local_day(c->cal, c->now), ctx_offset(c));
	registry_contractor_free(rows);
	return o;
}

static json_t *
get_contractor(struct req_ctx *c, int64_t id)
{
	struct rows *rows[3];
	return registry_contractor_get(c, id, rows) ? NULL : contractor_answer(c, rows);
}

static json_t *
get_project(struct req_ctx *c, int64_t id)
{
	return project_answer(c, project_get(c, id));
}

/* The whole history, or with ?limit= a page of it after ?after= (a
 * sequence; "next" gives the next page's). */
static json_t *
h_history(struct api_request *r, struct req_ctx *c, int *status)
{
	int64_t id, limit, after;
	(void)status;
	if (param_id(r, 0, &id))
		return not_found(c);
	if (page_args(r, c, &limit, &after))
		return NULL;
	if (query_get(r, "limit") == NULL)
		limit = -1;	/* the whole history */
	/* sent as text (render_history_text); the tree is only its stand-in */
	struct rows *rows = event_list(c, id, after, (int)limit);
	if (rows == NULL)
		return NULL;
	c->out.answer_text = render_history_text(rows, (int)limit, ctx_offset(c));
	rows_free(rows);
	if (c->out.answer_text == NULL)
		abort();	/* only out of memory */
	return json_object();
}

static json_t *
get_bids(struct req_ctx *c, int64_t id)
{
	return rendered(c, tender_bid_list(c, id), render_bids);
}

static json_t *
get_ranking(struct req_ctx *c, int64_t id)
{
	bool has_past;
	struct lc_loaded *l = tender_ranking(c, id, &has_past);
	json_t *o = l ? render_ranking(l->bids, l->n_bids, has_past) : NULL;
	free(l);
	return o;
}

/* The routes that read one resource by its id: an id that is not a positive
 * integer is as unknown as one that does not exist. */
static json_t *
h_by_id(struct api_request *r, struct req_ctx *c, int *status)
{
	int64_t id;
	(void)status;
	if (param_id(r, 0, &id))
		return not_found(c);
	return r->route->by_id(c, id);
}

static json_t *
h_health(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)c;
	const char *ready_arg = query_get(r, "ready");
	bool ready_asked = ready_arg && !strcmp(ready_arg, "1");
	if (!ready_asked)
		return json_pack("{s:s}", "status", "ok");
	/* ready: started, not stopping, and the database answers (dbwatch.h) */
	bool started = atomic_load(&r->d->ready), stopping = atomic_load(&r->d->draining);
	bool db_up = !outage_active();
	bool ready = started && !stopping && db_up;
	if (ready)
		return json_pack("{s:s,s:b}", "status", "ready", "ready", true);
	*status = 503;
	char why[300];
	if (!started)
		snprintf(why, sizeof why, "starting");
	else if (stopping)
		snprintf(why, sizeof why, "stopping");
	else {
		char db[256];
		outage_reason(db, sizeof db);
		snprintf(why, sizeof why, "database unreachable: %s", db);
	}
	return json_pack("{s:s,s:b,s:s,s:b}", "status", "not_ready", "ready", false, "reason", why,
	    "database", db_up);
}

static json_t *
h_metrics(struct api_request *r, struct req_ctx *c, int *status)
{
	struct metrics_gauges g;
	(void)status;
	memset(&g, 0, sizeof g);
	/* in an outage the page still answers: the counters, and that the
	 * database is down, without the gauges it holds */
	g.database_up = !outage_active();
	if (g.database_up && outbox_gauges(c, &g) == 0)
		g.from_database = true;
	apierr_clear(c->err);
	g.workers = relay_workers(r->d->relay);
	char *text = metrics_render(&g);
	json_t *o = json_string(text);
	free(text);
	r->text_type = "text/plain; version=0.0.4; charset=utf-8";
	return o;
}

static json_t *
h_contractor_search(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)status;
	const char *q = query_get(r, "q");
	if (q == NULL || q[0] == '\0' || strlen(q) > 128)
		return err(c, 400, "invalid_field", json_pack("{s:s}", "field", "q"),
		    "q is a part of a name or a credit code, 1 to 128 bytes");
	return rendered(c, registry_contractor_search(c, q, 50), render_contractors);
}

static json_t *
h_contractor_add(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)status;
	if (bad_values(r))
		return NULL;
	struct rows *rows[3];
	return registry_contractor_add(c, r->json, rows) ? NULL : contractor_answer(c, rows);
}



static json_t *
h_project_add(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)status;
	if (bad_values(r))
		return NULL;
	return project_answer(c, project_create(c, r->json));
}

static json_t *
h_project_list(struct api_request *r, struct req_ctx *c, int *status)
{
	int64_t limit = 50, after = 0;
	int overdue = -1;
	const char *s;
	(void)status;

	if ((s = query_get(r, "limit")) && (parse_int64(s, &limit) || limit < 1 || limit > 500)) {
		return err(c, 400, "invalid_field", json_pack("{s:s}", "field", "limit"),
		    "limit must be from 1 to 500");
	}
	if ((s = query_get(r, "after")) && (parse_int64(s, &after) || after < 0)) {
		return err(c, 400, "invalid_field", json_pack("{s:s}", "field", "after"),
		    "after must be a cursor from a previous page");
	}
	if ((s = query_get(r, "overdue"))) {
		if (!strcmp(s, "true") || !strcmp(s, "1"))
			overdue = 1;
		else if (!strcmp(s, "false") || !strcmp(s, "0"))
			overdue = 0;
		else
			return err(c, 400, "invalid_field", json_pack("{s:s}", "field", "overdue"),
			    "overdue must be true or false");
	}
	const char *state = query_get(r, "state");
	if (state && lc_state_parse(state) < 0) {
		return err(c, 400, "invalid_field", json_pack("{s:s}", "field", "state"),
		    "unknown state");
	}
	return rendered_page(c, project_list(c, state, query_get(r, "agency"), overdue, (int)limit,
	    after), limit, render_project_list);
}

static json_t *
h_event_add(struct api_request *r, struct req_ctx *c, int *status)
{
	int64_t id, expected = -1;
	const char *k;
	json_t *v;

	if (param_id(r, 0, &id))
		return not_found(c);
	json_object_foreach(r->json, k, v) {
		if (strcmp(k, "event") && strcmp(k, "expected_version") && strcmp(k, "payload"))
			return err(c, 400, "unknown_field", json_pack("{s:s}", "field", k),
			    "unknown field: a body has event, expected_version and payload");
	}
	json_t *ev = json_object_get(r->json, "event");
	json_t *ver = json_object_get(r->json, "expected_version");
	json_t *payload = json_object_get(r->json, "payload");
	if (!json_is_string(ev))
		return err(c, 422, "rule_violation", json_pack("{s:s,s:s}", "rule", "payload_required",
		    "field", "event"), "event is required");
	if (ver && !json_is_null(ver)) {
		if (!json_is_integer(ver) || json_integer_value(ver) < 0)
			return err(c, 400, "invalid_field", json_pack("{s:s}", "field",
			    "expected_version"), "expected_version must be a whole number");
		expected = json_integer_value(ver);
	}
	if (payload && !json_is_null(payload) && !json_is_object(payload))
		return err(c, 400, "invalid_field", json_pack("{s:s}", "field", "payload"),
		    "payload must be an object");
	json_t *empty = NULL;
	if (!json_is_object(payload))
		payload = empty = json_object();
	if (r->idem_key && (strlen(r->idem_key) == 0 || strlen(r->idem_key) > 200)) {
		json_decref(empty);
		return err(c, 400, "invalid_field", json_pack("{s:s}", "field", "Idempotency-Key"),
		    "Idempotency-Key must be 1 to 200 characters");
	}
	int evi = lc_event_parse(json_string_value(ev));
	if (evi < 0) {
		json_decref(empty);
		return err(c, 400, "invalid_field", json_pack("{s:s}", "field", "event"),
		    "unknown event");
	}
	/* the store counts the event and queues it for the PUB socket when it
	 * commits one, not when it replays an answer for an Idempotency-Key */
	if (r->published == NULL)
		r->published = json_array();
	c->published = r->published;
	json_t *out = event_apply(c, id, (enum lc_event)evi, expected, payload,
	    r->idem_key, r->body ? r->body : "", status);
	if (out == NULL && c->err->details && json_is_string(json_object_get(c->err->details, "rule")))
		metrics_refusal(json_string_value(json_object_get(c->err->details, "rule")));
	json_decref(empty);
	return out;
}


static json_t *
h_bid_add(struct api_request *r, struct req_ctx *c, int *status)
{
	int64_t id;
	if (param_id(r, 0, &id))
		return not_found(c);
	(void)status;
	if (bad_values(r))
		return NULL;
	struct render_bid bid;
	return tender_bid_add(c, id, r->json, &bid) ? NULL : render_bid(&bid, ctx_offset(c));
}


static json_t *
h_score_add(struct api_request *r, struct req_ctx *c, int *status)
{
	int64_t id, bid;
	if (param_id(r, 0, &id) || param_id(r, 1, &bid))
		return not_found(c);
	(void)status;
	struct render_sheet sheet;
	if (tender_score_add(c, id, bid, r->json, &sheet))
		return NULL;
	return render_sheet(&sheet, ctx_offset(c));
}


static json_t *
h_evaluations(struct api_request *r, struct req_ctx *c, int *status)
{
	int64_t year, limit, after;
	json_t *out = NULL;
	(void)status;

	const char *s = query_get(r, "year");
	if (s == NULL || parse_int64(s, &year) || year < 2000 || year > 2100)
		err(c, 400, "invalid_field", json_pack("{s:s}", "field", "year"),
		    "year is required: /v1/evaluations?year=YYYY");
	else if (page_args(r, c, &limit, &after) == 0)
		out = rendered_page(c, tender_evaluation_list(c, (int)year, after, (int)limit), limit,
		    render_evaluations);
	return out;
}

static json_t *
h_clock(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)status;
	if (!r->d->cfg->clock_adjustable)
		return not_found(c);
	const char *k;
	json_t *v;
	json_object_foreach(r->json, k, v) {
		if (strcmp(k, "advance_seconds") && strcmp(k, "set"))
			return err(c, 400, "unknown_field", json_pack("{s:s}", "field", k),
			    "the body has advance_seconds or set");
	}
	json_t *adv = json_object_get(r->json, "advance_seconds");
	json_t *set = json_object_get(r->json, "set");
	usec_t target;
	if ((adv != NULL) == (set != NULL))
		return err(c, 422, "rule_violation", json_pack("{s:s}", "rule", "payload_required"),
		    "give exactly one of advance_seconds and set");
	if (adv) {
		if (!json_is_integer(adv) || json_integer_value(adv) < 0 ||
		    json_integer_value(adv) > INT64_C(100) * 366 * 86400)
			return err(c, 400, "invalid_field", json_pack("{s:s}", "field",
			    "advance_seconds"), "advance_seconds must be a non-negative whole number");
		target = c->now + json_integer_value(adv) * USEC_PER_SEC;
	} else if (!json_is_string(set) || time_parse(json_string_value(set), &target)) {
		return err(c, 400, "invalid_field", json_pack("{s:s}", "field", "set"),
		    "set must be an RFC 3339 time from 1900 to before 9000");
	}
	if (!time_in_range(target))
		return err(c, 400, "invalid_field", json_pack("{s:s}", "field", adv ? "advance_seconds" :
		    "set"), "the clock would leave the years 1900 to 8999");
	usec_t offset = clock_offset() + (target - c->now);
	if (timebase_clock_set(c->db, offset, target, c->err))
		return NULL;
	clock_set_offset(offset);
	r->clock_changed = true;
	log_warn("clock: moved to offset %" PRId64 " s by %s", offset / USEC_PER_SEC, c->u->name);
	char buf[64];
	return json_pack("{s:s,s:I}", "now", time_format(clock_now(), c->cal->utc_offset_s, buf,
	    sizeof buf), "offset_seconds", (json_int_t)(offset / USEC_PER_SEC));
}

/* limit and after of a keyset-paginated list; -1 on bad input (answered). */
static int
page_args(struct api_request *q, struct req_ctx *c, int64_t *limit, int64_t *after)
{
	const char *s;
	*limit = 100;
	*after = 0;
	if ((s = query_get(q, "limit")) && (parse_int64(s, limit) || *limit < 1 || *limit > 1000)) {
		err(c, 400, "invalid_field", json_pack("{s:s}", "field", "limit"),
		    "limit must be from 1 to 1000");
		return -1;
	}
	if ((s = query_get(q, "after")) && (parse_int64(s, after) || *after < 0)) {
		err(c, 400, "invalid_field", json_pack("{s:s}", "field", "after"),
		    "after must be a cursor from a previous page");
		return -1;
	}
	return 0;
}

/* ?project=ID: that project's rows (404 outside the scope, as the project). */
static json_t *
project_rows(struct req_ctx *c, const char *s, struct rows *(*fetch)(struct req_ctx *, int64_t),
    json_t *(*fn)(const struct rows *, int, int))
{
	int64_t id;
	if (parse_int64(s, &id) || id <= 0)
		return err(c, 400, "invalid_field", json_pack("{s:s}", "field", "project"),
		    "project must be a project's id");
	struct rows *p = project_get(c, id);
	if (p == NULL)
		return NULL;
	rows_free(p);
	return rendered_page(c, fetch(c, id), 200, fn);
}

static json_t *
h_deadlines(struct api_request *r, struct req_ctx *c, int *status)
{
	int64_t limit, after;
	usec_t before = 0;
	json_t *out = NULL;
	const char *s;
	(void)status;

	if ((s = query_get(r, "project")))
		return project_rows(c, s, due_deadlines_of, render_deadlines);
	if (page_args(r, c, &limit, &after) == 0) {
		if ((s = query_get(r, "due_before")) && time_parse(s, &before))
			err(c, 400, "invalid_field", json_pack("{s:s}", "field", "due_before"),
			    "due_before must be an RFC 3339 time");
		else
			out = rendered_page(c, due_deadline_list(c, before, after, (int)limit), limit,
			    render_deadlines);
	}
	return out;
}

static json_t *
h_notifications(struct api_request *r, struct req_ctx *c, int *status)
{
	int64_t limit, after;
	json_t *out = NULL;
	(void)status;

	const char *st = query_get(r, "status"), *s;
	if ((s = query_get(r, "project")))
		return project_rows(c, s, outbox_of, render_notifications);
	if (page_args(r, c, &limit, &after) == 0) {
		if (st && strcmp(st, "pending") && strcmp(st, "delivered") && strcmp(st, "dead"))
			err(c, 400, "invalid_field", json_pack("{s:s}", "field", "status"),
			    "status must be pending, delivered or dead");
		else
			out = rendered_page(c, outbox_list(c, st, after, (int)limit), limit,
			    render_notifications);
	}
	return out;
}

static json_t *
h_resend(struct api_request *r, struct req_ctx *c, int *status)
{
	int64_t id;
	(void)status;
	if (param_id(r, 0, &id))
		return not_found(c);
	if (outbox_resend(c, id))
		return NULL;
	r->outbox_written = true;
	return json_pack("{s:I,s:s}", "id", (json_int_t)id, "status", "pending");
}

static json_t *
h_incidents(struct api_request *r, struct req_ctx *c, int *status)
{
	int64_t limit, after;
	(void)status;
	const char *all = query_get(r, "all");
	if (page_args(r, c, &limit, &after))
		return NULL;
	return rendered_page(c, due_incident_list(c, all && !strcmp(all, "1"), after, (int)limit),
	    limit, render_incidents);
}
