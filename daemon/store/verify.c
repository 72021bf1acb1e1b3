/* Audit verification: every project's hash chain recomputed by the function that wrote it. */
#include "verify.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db.h"
#include "sql.h"

static int verify_documents(struct db *db, const char *project, char *report, size_t len);
static int verify_plans(struct db *db, char *report, size_t len, int *events, int *plans);

/* Recompute every hash with the same function that wrote it, a page at a
 * time in key order (the primary key's index), so memory stays that of one
 * page whatever the history's size: the events after ($1, $2) of projects
 * below $3. */
#define VERIFY_PAGE 20000
#define VERIFY_PAGE_TEXT "20000"	/* the same, in the statement */
static struct stmt q_verify_page = STMT(
	"SELECT project_id, seq, encode(prev_hash, 'hex'), encode(hash, 'hex'), "
	"encode(event_hash(prev_hash, project_id, seq, event, from_state, to_state, actor, at, "
	"payload), 'hex') FROM project_event WHERE (project_id, seq) > ($1, $2) "
	"AND project_id < $3 ORDER BY project_id, seq LIMIT " VERIFY_PAGE_TEXT);

/* The projects' ids, for dividing the work. */
static struct stmt q_verify_ids = STMT("SELECT coalesce(min(id), 0), coalesce(max(id), 0) FROM project");

/* a chain cut at its end leaves the project's head pointing at nothing */
static struct stmt q_verify_heads = STMT(
	"SELECT p.id, p.last_seq FROM project p LEFT JOIN project_event e ON e.project_id = p.id "
	"AND e.seq = p.last_seq WHERE (p.last_seq > 0 AND (e.hash IS NULL OR e.hash <> p.last_hash)) "
	"OR EXISTS (SELECT 1 FROM project_event x WHERE x.project_id = p.id AND x.seq > p.last_seq) "
	"ORDER BY p.id LIMIT 1");

int
verify_ids(struct db *db, int64_t *lo, int64_t *hi)
{
	PGresult *r = db_run(db, &q_verify_ids, 0, NULL, NULL);
	if (r == NULL)
		return -1;
	*lo = gi64(r, 0, 0);
	*hi = gi64(r, 0, 1) + 1;
	PQclear(r);
	return 0;
}

int
verify_range(struct db *db, int64_t lo, int64_t hi, struct verify_count *n, char *report,
    size_t len, void (*progress)(const struct verify_count *, void *), void *arg)
{
	char after_p[24], after_s[16], below[24];
	char prev_hash[65] = "";
	/* after every event of the project below the range: none of it is ours */
	int64_t prev_project = -1, expect_seq = 1, ap = lo - 1, as = INT32_MAX;
	memset(n, 0, sizeof *n);
	snprintf(below, sizeof below, "%" PRId64, hi);
	for (;;) {
		snprintf(after_p, sizeof after_p, "%" PRId64, ap);
		snprintf(after_s, sizeof after_s, "%" PRId64, as);
		const char *v[3] = { after_p, after_s, below };
		PGresult *r = db_run(db, &q_verify_page, 3, v, NULL);
		if (r == NULL) {
			snprintf(report, len, "database: %s", db_error(db));
			return -1;
		}
		int rows = PQntuples(r);
		for (int i = 0; i < rows; i++) {
			int64_t pid = gi64(r, i, 0), seq = gi64(r, i, 1);
			if (pid != prev_project) {
				prev_project = pid;
				prev_hash[0] = '\0';
				expect_seq = 1;
				n->projects++;
			}
			const char *why = NULL;
			if (seq != expect_seq)
				why = "a sequence number is missing";
			else if (strcmp(gs(r, i, 2), prev_hash))
				why = "prev_hash does not match the previous event's hash";
			else if (strcmp(gs(r, i, 3), gs(r, i, 4)))
				why = "the hash does not match the event's content";
			if (why) {
				snprintf(report, len, "project %" PRId64 " event %" PRId64 ": %s", pid, seq,
				    why);
				PQclear(r);
				return 1;
			}
			snprintf(prev_hash, sizeof prev_hash, "%s", gs(r, i, 3));
			expect_seq++;
			n->events++;
			ap = pid;
			as = seq;
		}
		PQclear(r);
		if (progress)
			progress(n, arg);
		if (rows < VERIFY_PAGE)
			break;
	}
	return 0;
}

int
verify_rest(struct db *db, const struct verify_count *n, char *report, size_t len)
{
	PGresult *r = db_run(db, &q_verify_heads, 0, NULL, NULL);
	if (r == NULL) {
		snprintf(report, len, "database: %s", db_error(db));
		return -1;
	}
	if (PQntuples(r) == 1) {
		snprintf(report, len, "project %s: its head (event %s) does not match the last event: "
		    "the chain was cut or extended behind the daemon's back", gs(r, 0, 0), gs(r, 0, 1));
		PQclear(r);
		return 1;
	}
	PQclear(r);
	int drc = verify_documents(db, NULL, report, len);
	if (drc)
		return drc;
	int pe, pp, prc = verify_plans(db, report, len, &pe, &pp);
	if (prc)
		return prc;
	snprintf(report, len, "%" PRId64 " events in %" PRId64 " projects, %d in %d funding plans: "
	    "every chain intact", n->events, n->projects, pe, pp);
	return 0;
}


/* Documents (migration 019): every file against the hash it arrived with,
 * and every event naming one against the file as it is now. */
static struct stmt q_verify_docs = STMT(
	"SELECT d.project_id, d.id FROM document d WHERE d.sha256 IS DISTINCT FROM "
	"document_sha256(d.id) ORDER BY d.id LIMIT 1");
static struct stmt q_verify_named = STMT(
	"SELECT e.project_id, e.seq, x->>'id' FROM project_event e "
	"CROSS JOIN LATERAL jsonb_array_elements(e.payload->'documents') x "
	"LEFT JOIN document d ON d.id = (x->>'id')::bigint AND d.project_id = e.project_id "
	"WHERE jsonb_typeof(e.payload->'documents') = 'array' AND (d.id IS NULL "
	"OR encode(d.sha256, 'hex') IS DISTINCT FROM x->>'sha256') "
	"AND ($1::bigint IS NULL OR e.project_id = $1) LIMIT 1");

/* 0 every document whole and as its events name it, 1 not (REPORT says
 * which), -1 database. PROJECT: one project's, or every one (NULL). */
static int
verify_documents(struct db *db, const char *project, char *report, size_t len)
{
	PGresult *r = NULL;
	const char *v[1] = { project };
	if (project == NULL && (r = db_run(db, &q_verify_docs, 0, NULL, NULL)) == NULL)
		goto dberr;
	if (r && PQntuples(r) == 1) {
		snprintf(report, len, "project %s document %s: the file is not what arrived (its "
		    "SHA-256 changed)", gs(r, 0, 0), gs(r, 0, 1));
		PQclear(r);
		return 1;
	}
	PQclear(r);
	if ((r = db_run(db, &q_verify_named, 1, v, NULL)) == NULL)
		goto dberr;
	int rc = PQntuples(r) == 1;
	if (rc)
		snprintf(report, len, "project %s event %s: document %s is missing or not the file "
		    "the event names", gs(r, 0, 0), gs(r, 0, 1), gs(r, 0, 2));
	PQclear(r);
	return rc;
dberr:
	snprintf(report, len, "database: %s", db_error(db));
	return -1;
}

/* Funding plans' chains (migration 018), the same way. */
static struct stmt q_verify_plans = STMT(
	"SELECT agency, year, seq, encode(prev_hash, 'hex'), encode(hash, 'hex'), "
	"encode(plan_event_hash(prev_hash, agency, year, seq, event, from_state, to_state, actor, "
	"at, payload), 'hex') FROM funding_plan_event ORDER BY agency, year, seq");
static struct stmt q_verify_plan_heads = STMT(
	"SELECT f.agency, f.year FROM funding_plan f LEFT JOIN funding_plan_event e ON "
	"e.agency = f.agency AND e.year = f.year AND e.seq = f.last_seq WHERE (f.last_seq > 0 AND "
	"(e.hash IS NULL OR e.hash <> f.last_hash)) OR EXISTS (SELECT 1 FROM funding_plan_event x "
	"WHERE x.agency = f.agency AND x.year = f.year AND x.seq > f.last_seq) LIMIT 1");

/* 0 every plan's chain intact (*EVENTS, *PLANS counted), 1 broken (REPORT
 * says where), -1 database. */
static int
verify_plans(struct db *db, char *report, size_t len, int *events, int *plans)
{
	PGresult *r = db_run(db, &q_verify_plans, 0, NULL, NULL);
	if (r == NULL) {
		snprintf(report, len, "database: %s", db_error(db));
		return -1;
	}
	char key[64] = "";
	const char *prev_hash = "";
	int64_t expect_seq = 1;
	*events = PQntuples(r);
	*plans = 0;
	for (int i = 0; i < *events; i++) {
		char k[64];
		snprintf(k, sizeof k, "%s/%s", gs(r, i, 0), gs(r, i, 1));
		if (strcmp(k, key)) {
			snprintf(key, sizeof key, "%s", k);
			prev_hash = "";
			expect_seq = 1;
			(*plans)++;
		}
		const char *why = NULL;
		if (gi64(r, i, 2) != expect_seq)
			why = "a sequence number is missing";
		else if (strcmp(gs(r, i, 3), prev_hash))
			why = "prev_hash does not match the previous event's hash";
		else if (strcmp(gs(r, i, 4), gs(r, i, 5)))
			why = "the hash does not match the event's content";
		if (why) {
			snprintf(report, len, "funding plan %s event %s: %s", key, gs(r, i, 2), why);
			PQclear(r);
			return 1;
		}
		prev_hash = gs(r, i, 4);
		expect_seq++;
	}
	PQclear(r);
	if ((r = db_run(db, &q_verify_plan_heads, 0, NULL, NULL)) == NULL) {
		snprintf(report, len, "database: %s", db_error(db));
		return -1;
	}
	int rc = PQntuples(r) == 1;
	if (rc)
		snprintf(report, len, "funding plan %s/%s: its head does not match its last event",
		    gs(r, 0, 0), gs(r, 0, 1));
	PQclear(r);
	return rc;
}

/* One project's chain, and whether its head is its last event. */
static struct stmt q_verify_project = STMT(
	"SELECT seq, encode(prev_hash, 'hex'), encode(hash, 'hex'), "
	"encode(event_hash(prev_hash, project_id, seq, event, from_state, to_state, actor, at, "
	"payload), 'hex') FROM project_event WHERE project_id = $1 ORDER BY seq");

static struct stmt q_verify_head = STMT(
	"SELECT p.last_seq, (p.last_seq = 0 OR e.hash = p.last_hash) AND NOT EXISTS (SELECT 1 "
	"FROM project_event x WHERE x.project_id = p.id AND x.seq > p.last_seq) "
	"FROM project p LEFT JOIN project_event e ON e.project_id = p.id AND e.seq = p.last_seq "
	"WHERE p.id = $1");

int
verify_project(struct db *db, int64_t id, struct verify_result *out)
{
	struct pbuf pb = { .n = 0 };
	const char *v[1] = { pi64(&pb, id) };
	memset(out, 0, sizeof *out);
	PGresult *r = db_run(db, &q_verify_project, 1, v, NULL);
	if (r == NULL)
		return -1;
	const char *prev = "";
	out->events = PQntuples(r);
	for (int i = 0; i < out->events && out->why == NULL; i++) {
		if (gi64(r, i, 0) != i + 1)
			out->why = "a sequence number is missing";
		else if (strcmp(gs(r, i, 1), prev))
			out->why = "prev_hash does not match the previous event's hash";
		else if (strcmp(gs(r, i, 2), gs(r, i, 3)))
			out->why = "the hash does not match the event's content";
		if (out->why)
			out->broken_seq = i + 1;
		prev = gs(r, i, 2);
	}
	PQclear(r);
	if (out->why)
		return 0;
	if ((r = db_run(db, &q_verify_head, 1, v, NULL)) == NULL)
		return -1;
	if (PQntuples(r) == 1 && !gbool(r, 0, 1)) {
		out->why = "the project's head does not match its last event: the chain was cut or "
		    "extended behind the daemon's back";
		out->broken_seq = gi64(r, 0, 0);
	}
	PQclear(r);
	if (out->why)
		return 0;
	/* the documents its events name: still the files they named */
	static struct stmt q_named_one = STMT(
		"SELECT e.seq FROM project_event e CROSS JOIN LATERAL "
		"jsonb_array_elements(e.payload->'documents') x LEFT JOIN document d "
		"ON d.id = (x->>'id')::bigint AND d.project_id = e.project_id "
		"WHERE e.project_id = $1 AND jsonb_typeof(e.payload->'documents') = 'array' "
		"AND (d.id IS NULL OR encode(document_sha256(d.id), 'hex') IS DISTINCT FROM "
		"x->>'sha256') ORDER BY e.seq LIMIT 1");
	if ((r = db_run(db, &q_named_one, 1, v, NULL)) == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		out->why = "a document an event names is missing or is not the file it named";
		out->broken_seq = gi64(r, 0, 0);
	}
	PQclear(r);
	return 0;
}
