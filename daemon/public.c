/* The public register and OCDS (public.h): rows from store/publication.h,
 * made public by publicview.h alone, OCDS by ocds.h from that. */
#include "public.h"


#include <event2/http.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apierr.h"
#include "config.h"
#include "doctype.h"
#include "document.h"
#include "documents.h"
#include "jsonw.h"
#include "lifecycle.h"
#include "ocds.h"
#include "publication.h"
#include "publicview.h"
#include "render.h"
#include "rows.h"
#include "log.h"
#include "tender.h"

static json_t *openapi;	/* read at start, then only read */

void
public_openapi_load(const char *web_root)
{
	char path[4096];
	json_error_t e;
	snprintf(path, sizeof path, "%s/openapi.json", web_root);
	openapi = json_load_file(path, 0, &e);
	if (openapi == NULL)
		log_warn("openapi: cannot read %s: %s (GET /v1/openapi.json answers 404)", path,
		    e.text);
}

void
public_openapi_free(void)
{
	json_decref(openapi);
	openapi = NULL;
}

json_t *
public_openapi(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)status;
	if (openapi == NULL) {
		apierr_set(c->err, 404, "not_found", NULL, "the OpenAPI document is not installed");
		return NULL;
	}
	r->cache_public = true;
	return json_incref(openapi);
}


static json_t *
dbfail(struct req_ctx *c)
{
	return ctx_dbfail(c, "reading the public register");
}

/* The answer's text with OCDS's exact amounts, cached by whoever asks. */
static json_t *
answer(struct api_request *r, struct req_ctx *c, json_t *o, bool decimal)
{
	if (o && decimal)
		c->out.answer_text = jsonw_dump_decimal(o, NULL);
	r->cache_public = true;
	return o;
}

static const char *
prefix(const struct api_request *r)
{
	return r->d->cfg->ocds_ocid_prefix;
}

/* This request's own URL base ("http://host"), for the packages' uri. */
static void
base_url(const struct api_request *r, char *out, size_t len)
{
	snprintf(out, len, "%s://%s", r->d->cfg->http_secure_cookies ? "https" : "http",
	    r->host ? r->host : "localhost");
}

json_t *
public_projects(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)status;
	const char *state = request_query(r, "state"), *agency = request_query(r, "agency"), *year = request_query(r, "year");
	const char *s;
	int64_t limit = 50, before = 0, y;
	if (state && lc_state_parse(state) < 0)
		return ctx_bad_field(c, "state", "unknown state");
	if (year && (parse_int64(year, &y) || y < 2000 || y > 2100))
		return ctx_bad_field(c, "year", "year must be from 2000 to 2100");
	if (agency && (strlen(agency) > 32 || agency[0] == '\0'))
		return ctx_bad_field(c, "agency", "agency must be an agency code");
	if ((s = request_query(r, "limit")) && (parse_int64(s, &limit) || limit < 1 || limit > 200))
		return ctx_bad_field(c, "limit", "limit must be from 1 to 200");
	if ((s = request_query(r, "after")) && (parse_int64(s, &before) || before <= 0))
		return ctx_bad_field(c, "after", "after must be a cursor from a previous page");
	struct rows *rows = pub_list(c->db, agency, state, year, before, (int)limit);
	if (rows == NULL)
		return dbfail(c);
	int n = rows_count(rows), off = ctx_offset(c);
	json_t *items = json_array();
	for (int i = 0; i < n && i < limit; i++)
		json_array_append_new(items, public_list_item(rows, i, prefix(r), off));
	json_t *next = n > limit ? json_string(rows_text(rows, (int)limit - 1, 0)) : json_null();
	rows_free(rows);
	return answer(r, c, json_pack("{s:o,s:o}", "items", items, "next", next), false);
}

/* The public view of project ID (with the ranking once awarded), or NULL
 * with 404 when it is not public. */
static json_t *
view_of(struct api_request *r, struct req_ctx *c, int64_t id, bool ranking)
{
	struct pub_batch b;
	int rc = pub_project(c->db, id, &b);
	if (rc < 0)
		return dbfail(c);
	if (rc > 0) {
		apierr_set(c->err, 404, "not_found", NULL, "no such public project");
		return NULL;
	}
	struct pub_source s;
	public_sources(b.projects, b.history, b.bids, r->d->cfg->doc_public, &s);
	json_t *rank = NULL;
	const char *st = rows_text(b.projects, 0, PC_STATE);
	if (ranking && rows_text(b.projects, 0, PC_AWARD_BID) && strcmp(st, "scoring") != 0) {
		bool has_past;
		struct lc_loaded *l = tender_ranking(c, id, &has_past);
		if (l)
			rank = render_ranking(l->bids, l->n_bids, has_past);
		else
			apierr_clear(c->err);	/* shown without it */
		free(l);
	}
	s.ranking = rank;
	json_t *o = public_project(&s, prefix(r), ctx_offset(c));
	json_decref(rank);
	pub_batch_free(&b);
	return o;
}

static bool
id_param(const char *s, int64_t *id)
{
	return s && parse_int64(s, id) == 0 && *id > 0;
}

json_t *
public_project_get(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)status;
	int64_t id;
	if (!id_param(r->params[0], &id)) {
		apierr_set(c->err, 404, "not_found", NULL, "no such public project");
		return NULL;
	}
	return answer(r, c, view_of(r, c, id, true), false);
}

json_t *
public_document(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)status;
	int64_t id, doc;
	struct rows *rows = NULL;
	if (!id_param(r->params[0], &id) || !id_param(r->params[1], &doc)) {
		apierr_set(c->err, 404, "not_found", NULL, "no such public document");
		return NULL;
	}
	int rc = document_public(c->db, id, doc, &rows);
	if (rc < 0)
		return dbfail(c);
	/* only the kinds the law makes public ([documents] public) */
	if (rc > 0 || !doctype_listed(r->d->cfg->doc_public, rows_text(rows, 0, DC_KIND))) {
		rows_free(rows);
		apierr_set(c->err, 404, "not_found", NULL, "no such public document");
		return NULL;
	}
	return documents_stream(r, rows);
}

json_t *
public_evaluations(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)status;
	const char *s = request_query(r, "year");
	int64_t year, limit = 100, after = 0;
	if (s == NULL || parse_int64(s, &year) || year < 2000 || year > 2100)
		return ctx_bad_field(c, "year", "year is required: /v1/public/evaluations?year=YYYY");
	if ((s = request_query(r, "limit")) && (parse_int64(s, &limit) || limit < 1 || limit > 1000))
		return ctx_bad_field(c, "limit", "limit must be from 1 to 1000");
	if ((s = request_query(r, "after")) && (parse_int64(s, &after) || after < 0))
		return ctx_bad_field(c, "after", "after must be a cursor from a previous page");
	struct rows *rows = tender_evaluation_list(c, (int)year, after, (int)limit);
	json_t *o = rows ? render_evaluations(rows, (int)limit, ctx_offset(c)) : NULL;
	rows_free(rows);
	return answer(r, c, o, false);
}

/* "PREFIX-ID" into ID, or false. */
static bool
ocid_param(const struct api_request *r, int64_t *id)
{
	const char *s = r->params[0], *p = prefix(r);
	size_t n = strlen(p);
	return s && strncmp(s, p, n) == 0 && s[n] == '-' && id_param(s + n + 1, id);
}

static void
now_text(struct req_ctx *c, char *out, size_t len)
{
	time_format(c->now, ctx_offset(c), out, len);
}

/* The releases of one process: a new array of releases, or NULL (c->err). */
static json_t *
process_releases(struct api_request *r, struct req_ctx *c)
{
	int64_t id;
	if (!ocid_param(r, &id)) {
		apierr_set(c->err, 404, "not_found", NULL, "no such contracting process");
		return NULL;
	}
	json_t *pv = view_of(r, c, id, false);
	if (pv == NULL)
		return NULL;
	json_t *keyed = json_array(), *out = json_array();
	ocds_releases(pv, prefix(r), keyed);
	size_t i;
	json_t *k;
	json_array_foreach(keyed, i, k)
		json_array_append(out, json_object_get(k, "release"));
	json_decref(keyed);
	json_decref(pv);
	return out;
}

/* One process's releases as a release package, or its record (RECORD). */
static json_t *
process_package(struct api_request *r, struct req_ctx *c, bool record)
{
	json_t *rel = process_releases(r, c);
	if (rel == NULL)
		return NULL;
	char uri[512], base[300], now[64];
	base_url(r, base, sizeof base);
	snprintf(uri, sizeof uri, "%s/v1/ocds/%s/%s", base, record ? "records" : "releases",
	    r->params[0]);
	now_text(c, now, sizeof now);
	return answer(r, c, record ? ocds_record_package(r->params[0], rel, uri, now) :
	    ocds_release_package(rel, uri, now, NULL), true);
}

json_t *
public_ocds_process(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)status;
	return process_package(r, c, false);
}

json_t *
public_ocds_record(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)status;
	return process_package(r, c, true);
}

/* GET /v1/ocds/releases?since=TIME|after=CURSOR&limit=N: the releases of
 * the history rows after the point, in the order they happened. */
json_t *
public_ocds_feed(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)status;
	const char *s;
	int64_t limit = 100, project = 0, seq = 0;
	usec_t at = INT64_C(-200000000000000000);	/* before any history: 4368 BC */
	if ((s = request_query(r, "limit")) && (parse_int64(s, &limit) || limit < 1 || limit > 1000))
		return ctx_bad_field(c, "limit", "limit must be from 1 to 1000");
	if ((s = request_query(r, "since")) && time_parse(s, &at))
		return ctx_bad_field(c, "since", "since must be a time (RFC 3339)");
	if ((s = request_query(r, "after"))) {
		/* the cursor: "AT.PROJECT.SEQ" of the last row of the page before */
		long long a, p, q;
		char tail;
		if (sscanf(s, "%lld.%lld.%lld%c", &a, &p, &q, &tail) != 3 || p <= 0 || q <= 0)
			return ctx_bad_field(c, "after", "after must be a cursor from a previous page");
		at = a;
		project = p;
		seq = q;
	}
	struct rows *feed = pub_feed(c->db, at, project, (int)seq, (int)limit);
	if (feed == NULL)
		return dbfail(c);
	int n = rows_count(feed);
	/* the rows the page can use: a first announcement makes two releases,
	 * a closing that goes on to scoring and a takeover's end none, the
	 * others one; rows past LIMIT releases (counted at most) wait for the
	 * next page, and their projects are not fetched */
	int rows_max = 0;
	for (int i = 0, most = 0; i < n && most < limit; i++, rows_max++) {
		const char *ev = rows_text(feed, i, 3);
		most += !strcmp(ev, "publish") ? 2 : !strcmp(ev, "complete_takeover") ? 0 :
		    !strcmp(ev, "close_bidding") ? !strcmp(rows_text(feed, i, 4), "tender_failed") : 1;
	}
	bool cut = rows_max < n;
	n = rows_max;
	/* the projects of the page, each built once */
	struct pub_batch b = { NULL, NULL, NULL };
	int rc = n ? pub_projects_of(c->db, feed, 0, n, &b) : 0;
	if (rc) {
		rows_free(feed);
		return dbfail(c);
	}
	/* LIMIT counts releases: a row's releases all go on one page (a first
	 * announcement has two), so a page ends at the row before the one that
	 * would pass it. A project is built when a row of the page first needs
	 * it, with only the releases of its rows on the page. */
	int np = rows_count(b.projects);
	struct pub_source *src = xcalloc((size_t)(np ? np : 1), sizeof *src);
	public_sources(b.projects, b.history, b.bids, r->d->cfg->doc_public, src);
	int64_t *pids = xcalloc((size_t)(np ? np : 1), sizeof *pids);
	for (int j = 0; j < np; j++)
		pids[j] = rows_i64(b.projects, j, PC_ID);
	json_t **built = xcalloc((size_t)(np ? np : 1), sizeof *built);
	int64_t *seqs = xcalloc((size_t)(n ? n : 1), sizeof *seqs);
	int64_t *fp = xcalloc((size_t)(n ? n : 1), sizeof *fp);
	int64_t *fs = xcalloc((size_t)(n ? n : 1), sizeof *fs);
	for (int i = 0; i < n; i++) {
		fp[i] = rows_i64(feed, i, 0);
		fs[i] = rows_i64(feed, i, 1);
	}
	json_t *out = json_array();
	int last = -1;
	for (int i = 0; i < n; i++) {
		int64_t pid = fp[i], want = fs[i];
		int lo = 0, hi = np - 1, j = -1;
		while (lo <= hi && j < 0) {
			int mid = (lo + hi) / 2;
			if (pids[mid] == pid)
				j = mid;
			else if (pids[mid] < pid)
				lo = mid + 1;
			else
				hi = mid - 1;
		}
		if (j < 0)
			continue;	/* made public meanwhile? not on this page */
		if (built[j] == NULL) {
			size_t ns = 0;
			for (int k = i; k < n; k++)
				if (fp[k] == pid)
					seqs[ns++] = fs[k];
			json_t *pv = public_project(&src[j], prefix(r), ctx_offset(c));
			built[j] = json_array();
			ocds_releases_of(pv, prefix(r), seqs, ns, built[j]);
			json_decref(pv);
		}
		size_t k, mine = 0;
		json_t *x;
		json_array_foreach(built[j], k, x)
			mine += json_integer_value(json_object_get(x, "seq")) == want;
		if (json_array_size(out) + mine > (size_t)limit && last >= 0)
			break;
		json_array_foreach(built[j], k, x)
			if (json_integer_value(json_object_get(x, "seq")) == want)
				json_array_append(out, json_object_get(x, "release"));
		last = i;
	}
	for (int j = 0; j < np; j++)
		json_decref(built[j]);
	free(built);
	free(pids);
	free(seqs);
	free(fp);
	free(fs);
	free(src);
	pub_batch_free(&b);
	char base[300], uri[600], next[700], now[64];
	base_url(r, base, sizeof base);
	snprintf(uri, sizeof uri, "%s/v1/ocds/releases", base);
	bool more = cut || rows_count(feed) == limit || last < n - 1;
	if (more)
		snprintf(next, sizeof next, "%s/v1/ocds/releases?after=%s.%s.%s&limit=%lld", base,
		    rows_text(feed, last, 2), rows_text(feed, last, 0), rows_text(feed, last, 1),
		    (long long)limit);
	rows_free(feed);
	now_text(c, now, sizeof now);
	return answer(r, c, ocds_release_package(out, uri, now, more ? next : NULL), true);
}
