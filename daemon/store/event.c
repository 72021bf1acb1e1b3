/* The event transaction: decide an event on the project's row, apply it, answer it, once. */
#include "event.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cache.h"
#include "db.h"
#include "effects.h"
#include "eventwrite.h"
#include "document.h"
#include "doctype.h"
#include "jsonio.h"
#include "jsonw.h"
#include "log.h"
#include "metrics.h"
#include "notice.h"
#include "project.h"
#include "render.h"
#include "sql.h"
#include "user.h"

/* Events whose effects change the project beyond state, version and time:
 * the answer then reads the row again. */
static bool
changes_row(enum lc_event ev)
{
	switch (ev) {
	case EV_SUBMIT: case EV_APPROVE_BUDGET: case EV_PUBLISH: case EV_RETENDER:
	case EV_CHANGE_METHOD: case EV_AWARD: case EV_DECLINE_AWARD: case EV_SIGN_CONTRACT:
	case EV_COMPLETE_SERVICE: case EV_CONFIRM_PAYMENT: case EV_EVALUATE:
	case EV_CONTRACTOR_EXIT: case EV_REPORT_SUBCONTRACTING:
		return true;
	default:
		return false;
	}
}

static json_t *
refuse(struct req_ctx *c, int64_t id, const char *ev, struct lc_result *res)
{
	json_t *details = res->err.details;
	res->err.details = NULL;
	if (res->err.rule[0]) {
		if (details == NULL)
			details = json_object();
		if (json_is_object(details) && json_object_get(details, "rule") == NULL)
			json_object_set_new(details, "rule", json_string(res->err.rule));
	}
	log_info("project %" PRId64 ": %s by %s refused: %s%s%s", id, ev, c->u->name, res->code,
	    res->err.rule[0] ? " " : "", res->err.rule);
	apierr_set(c->err, res->status, res->code, details, "%s",
	    res->err.message[0] ? res->err.message : res->code);
	return NULL;
}

static void
add_deadlines(json_t *arr, enum lc_state st, const struct deadline_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char per[40];
		json_array_append_new(arr, json_pack("{s:s,s:s,s:i,s:s,s:I,s:I,s:o,s:o}", "state",
		    lc_state_name(st), "kind", rows[i].kind, "level", rows[i].level, "event",
		    lc_event_name(rows[i].event), "due", (json_int_t)rows[i].due, "fire",
		    (json_int_t)rows[i].fire, "origin", rows[i].origin ?
		    json_integer(rows[i].origin) : json_null(), "period", rows[i].origin ?
		    json_string(period_format(rows[i].period, per, sizeof per)) : json_null()));
	}
}

void
event_publish(json_t *arr, const json_t *answer_event, int64_t pid)
{
	static const char *const keys[] = { "seq", "event", "from", "to", "at" };
	if (arr == NULL || answer_event == NULL)
		return;
	/* the message as the PUB socket sends it (DESIGN.md, version 1): built
	 * whole here, so the relay thread only reads it */
	json_t *p = json_object();
	json_object_set_new_nocheck(p, "project_id", json_integer((json_int_t)pid));
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		json_object_set_nocheck(p, keys[i], json_object_get(answer_event, keys[i]));
	json_object_set_new_nocheck(p, "v", json_integer(1));
	json_array_append_new(arr, p);
}

/* The documents EV's PAYLOAD names, resolved into STORED (the payload the
 * history keeps: each with its kind, name, size and SHA-256, so that the
 * event's hash covers the files), and those the event requires: 0, or -1
 * with c->err. */
static int
event_documents(struct req_ctx *c, int64_t id, enum lc_event ev, const json_t *payload,
    json_t *stored)
{
	const json_t *ids = json_object_get(payload, "documents");
	const char *req = c->doc_required ? c->doc_required(c->doc_arg, ev) : NULL;
	if ((ids == NULL || json_is_null(ids)) && (req == NULL || *req == '\0'))
		return 0;
	size_t i;
	const json_t *d;
	json_array_foreach(ids, i, d)
		if (!json_is_integer(d) || json_integer_value(d) <= 0 || i >= 16) {
			ctx_fail(c, 400, "invalid_field", json_pack("{s:s}", "field", "documents"),
			    "documents: a list of at most 16 document ids");
			return -1;
		}
	json_t *docs = json_array_size(ids) ? document_resolve(c, id, ids) : json_array();
	if (docs == NULL)
		return -1;
	json_t *missing = doctype_missing(req, docs);
	if (json_array_size(missing) > 0) {
		json_decref(docs);
		ctx_fail(c, 422, "rule_violation", json_pack("{s:s,s:o,s:s}", "rule",
		    "documents_required", "missing", missing, "config", "[documents] in procurd.conf"),
		    "the event must name the documents it rests on: upload them first "
		    "(POST /v1/projects/{id}/documents?kind=…)");
		return -1;
	}
	json_decref(missing);
	if (json_array_size(docs))
		json_object_set_new(stored, "documents", docs);
	else
		json_decref(docs);
	return 0;
}

/* What guards of events that need nothing see (lifecycle_needs() == 0):
 * const, so a guard that wrote to it without declaring the need would fault
 * in the tests rather than share state between requests. */
static const struct lc_loaded nothing_loaded;

/* Decide and apply EV on the project in PR, which this transaction holds
 * locked. FIRED is the deadline this event fires (0 when a person acts).
 * Returns the answer (the project as GET shows it plus "event") when
 * WANT_ANSWER, else a JSON true; NULL with c->err set when refused or on a
 * database error. Never commits nor rolls back: the caller does. */
json_t *
event_apply_locked(struct req_ctx *c, struct event_tx *tx, const PGresult *pr, enum lc_event ev, const char *ev_name,
    const json_t *payload, int64_t fired, bool want_answer)
{
	struct lc_result res;
	struct lc_project p;
	struct lc_loaded *l = NULL;
	json_t *out = NULL, *result = NULL, *stored = NULL, *notices = NULL, *dl = NULL;
	int64_t id = gi64(pr, 0, PC_ID);

	memset(&res, 0, sizeof res);
	project_decode(pr, 0, &p, c->rc);
	/* a guard reads only what its event needs: an event that needs nothing
	 * (most of them) gets the empty set, read-only, rather than 8.7 kB
	 * allocated and zeroed per event */
	unsigned needs = lifecycle_needs(p.state, ev);
	l = needs ? xcalloc(1, sizeof *l) : (struct lc_loaded *)&nothing_loaded;
	if (effects_load(c, needs, pr, &p, l)) {
		ctx_dbfail(c, "loading what the guard needs");
		goto done;
	}
	struct lc_ctx ctx = { .rc = c->rc, .profiles = c->profiles, .cal = c->cal, .now = c->now,
		.actor = { c->u->id, c->u->roles }, .p = &p, .l = l, .payload = payload };
	lifecycle_decide(&ctx, ev, &res);
	if (res.status != 0 && tx->row_kept) {
		tx->retry = RETRY_READ;	/* refused on what may be stale: read, decide again */
		goto done;
	}
	if (res.status != 0) {
		refuse(c, id, ev_name, &res);
		goto done;
	}
	result = json_object();
	if (effects_apply(c, ev, pr, &p, &res, payload, result)) {
		ctx_dbfail(c, "applying an event");
		goto done;
	}
	stored = json_deep_copy(payload);
	if (json_object_size(result))
		json_object_set(stored, "result", result);
	/* documents named by id enter the history with their hashes */
	if (event_documents(c, id, ev, payload, stored))
		goto done;

	/* deadlines: the new state's, a challenge's answer, or none */
	struct deadline_row rows[DEADLINE_MAX];
	struct eventwrite w = { .id = id, .seq = (int)gi64(pr, 0, PC_LAST_SEQ) + 1,
		.last_hash = gs(pr, 0, PC_LAST_HASH), .ev = ev_name, .from = lc_state_name(p.state),
		.to = lc_state_name(res.to), .payload = stored, .leave_state = res.to != p.state,
		.fired_deadline = fired, .uncovered_year = res.uncovered_year,
		.read_version = (int)gi64(pr, 0, PC_VERSION), .row = pr };
	char kind[40];
	dl = json_array();
	if (w.leave_state) {
		struct lc_project np = p;
		const char *t;
		if ((ev == EV_PUBLISH || ev == EV_RETENDER) && !body_str(payload, "bid_deadline", &t))
			time_parse(t, &np.bid_deadline);
		size_t n = deadline_plan(c->dc, c->cal, res.to, &np, c->now,
		    ev == EV_REJECT_ACCEPTANCE ? res.due : 0, rows, &w.uncovered_year);
		add_deadlines(dl, res.to, rows, n);
	}
	if (ev == EV_CHALLENGE) {
		snprintf(kind, sizeof kind, "challenge:%" JSON_INTEGER_FORMAT,
		    json_integer_value(json_object_get(result, "challenge_id")));
		size_t n = deadline_plan_period(c->dc, c->cal, kind, c->now, c->rc->challenge_answer,
		    rows, &w.uncovered_year);
		add_deadlines(dl, p.state, rows, n);
	} else if (ev == EV_ANSWER_CHALLENGE) {
		snprintf(kind, sizeof kind, "challenge:%" PRId64, res.challenge_id);
		w.cancel_kind = kind;
	}
	w.deadlines = dl;

	json_t *plan = NULL;
	if (!gnull(pr, 0, PC_CONTRACT)) {
		json_t *ct = json_loads(gs(pr, 0, PC_CONTRACT), 0, NULL);
		plan = json_incref(json_object_get(ct, "takeover_plan"));
		json_decref(ct);
	}
	struct cache_agency ai;
	if (cache_agency(c->db, gs(pr, 0, PC_AGENCY), &ai)) {
		json_decref(plan);
		ctx_dbfail(c, "reading a project's agency");
		goto done;
	}
	struct notice_ctx nc = { ev, ev_name, p.state, res.to, gs(pr, 0, PC_AGENCY),
		ai.has_parent ? ai.parent : NULL, id, gs(pr, 0, PC_TITLE),
		c->u->name, stored, plan, ai.lang, ai.parent_lang };
	notices = notice_rows(&nc);
	json_decref(plan);
	w.notices = notices;
	/* an answer that shows more of the row than the light write changes
	 * takes it from the write itself: this event's row, not a later one,
	 * and no read between the write and its COMMIT */
	bool whole_row = changes_row(ev) || w.leave_state || json_array_size(dl) || w.cancel_kind;
	w.commit = tx->commit_on_write;
	w.want_row = want_answer && whole_row;
	if (eventwrite_run(c, tx, &w)) {
		if (!tx->retry)
			ctx_dbfail(c, "writing an event");
		goto done;
	}
	if (w.outbox_rows > 0 && c->outbox_written)
		*c->outbox_written = true;
	{
		/* every change of state is logged; events within a state (supervision
		 * records, escalations) only at debug: the history has them all */
		char roles[128];
		(w.leave_state ? log_info : log_debug)("project %" PRId64 ": %s -> %s (%s by %s/%s)",
		    id, w.from, w.to, ev_name, user_role_list(c->u->roles, roles, sizeof roles),
		    c->u->name);
	}
	if (!want_answer) {
		/* the deadlines' firing: what it publishes, nothing read again */
		out = json_pack("{s:s,s:o}", "state", w.to, "event", render_event(w.seq, ev_name,
		    w.from, w.to, c->u->name, c->now, json_incref(stored), w.last_hash, w.hash,
		    ctx_offset(c)));
		goto done;
	}
	if (w.row_after) {
		out = render_project(rows_c(w.row_after), 0, ctx_offset(c));
		PQclear(w.row_after);
	} else if (tx->commit_on_write) {
		/* no answer to keep for an Idempotency-Key (the hot path): it is
		 * written as text straight from the row (no tree of forty values to
		 * build, print and free); the caller gets the event alone */
		struct project_after after = { w.version, w.has_next_check, w.next_check, c->now };
		json_t *e = render_event(w.seq, ev_name, w.from, w.to, c->u->name, c->now,
		    json_incref(stored), w.last_hash, w.hash, ctx_offset(c));
		struct jsonw jw;
		jsonw_init(&jw);
		jsonw_open(&jw);
		render_project_text(&jw, rows_c(pr), 0, ctx_offset(c), &after);
		jsonw_key(&jw, "event");
		jsonw_value(&jw, e);
		jsonw_close(&jw);
		if ((c->out.answer_text = jsonw_finish(&jw, NULL)) == NULL)
			abort();	/* only out of memory */
		out = json_pack("{s:o}", "event", e);
		goto done;
	} else {
		out = render_project(rows_c(pr), 0, ctx_offset(c));
		json_object_set_new(out, "version", json_integer(w.version));
		json_object_set_new(out, "next_check",
		    w.has_next_check ? render_time(w.next_check, ctx_offset(c)) : json_null());
		json_object_set_new(out, "updated_at", render_time(c->now, ctx_offset(c)));
	}
	json_object_set_new(out, "event", render_event(w.seq, ev_name, w.from, w.to, c->u->name,
	    c->now, json_incref(stored), w.last_hash, w.hash, ctx_offset(c)));
done:
	lc_result_clear(&res);
	json_decref(result);
	json_decref(stored);
	json_decref(notices);
	json_decref(dl);
	if (l != &nothing_loaded)
		free(l);
	return out;
}

static struct stmt q_idem_get = STMT(
	"SELECT status, body, request_hash = sha256(convert_to($3, 'UTF8')), project_id "
	"FROM idempotency WHERE user_id = $1 AND key = $2");

static struct stmt q_idem_put = STMT(
	"INSERT INTO idempotency (user_id, key, project_id, request_hash, status, body, created_at) "
	"VALUES ($1, $2, $3, sha256(convert_to($4, 'UTF8')), $5, $6, us2ts($7))");

json_t *
event_apply(struct req_ctx *c, int64_t id, enum lc_event ev, int64_t expected_version,
    const json_t *payload, const char *idem_key, const char *raw_body, int *status)
{
	struct pbuf pb = { .n = 0 };
	PGresult *pr = NULL, *r;
	json_t *out = NULL;

	const char *ev_name = lc_event_name(ev);
	*status = 200;
	/* An event that stays in its state and needs nothing but the project
	 * row (lifecycle_stays: supervision records) is decided on the row read
	 * without a lock and written only while the project is still at the
	 * version read, in one statement that is its own transaction: no
	 * BEGIN, no row lock. When the project moved meanwhile (another
	 * writer is on it: a contested project) it is decided again with the
	 * row locked, as every other event, and as when the decision needs more
	 * than that light write: a second light try would only race the other
	 * writer again (bench-mix's contested records, p99 13.6 ms against a
	 * p50 of 2.2 with two tries). */
	int unlocked = idem_key == NULL && lifecycle_stays(ev) ? 1 : 0;
	/* The first decision may be taken on the row as this process last read
	 * or wrote it (the project cache): the write finds out whether it still
	 * is. Whatever that row would refuse (a version, a guard) is read again
	 * first, as is the row after a write that found it moved. */
	bool use_kept = true, kept;
again:
	kept = false;
	if ((pr = unlocked ? project_read(c, id, use_kept ? &kept : NULL) :
	    project_fetch_tx(c, id, true, true)) == NULL)
		return NULL;
	use_kept = false;
	if (idem_key) {
		/* checked under the project's lock: a concurrent retry waits for
		 * the first answer's commit and then finds it */
		const char *v[3] = { pi64(&pb, c->u->id), idem_key, raw_body };
		if ((r = db_run(c->db, &q_idem_get, 3, v, NULL)) == NULL)
			goto dberr;
		if (PQntuples(r) == 1) {
			bool same = gbool(r, 0, 2) && gi64(r, 0, 3) == id;
			if (same) {
				*status = (int)gi64(r, 0, 0);
				out = json_loads(gs(r, 0, 1), 0, NULL);
			}
			PQclear(r);
			PQclear(pr);
			if (!same)
				return ctx_fail(c, 422, "rule_violation",
				    json_pack("{s:s}", "rule", "idempotency_key_reused"),
				    "this Idempotency-Key was used for a different request");
			db_rollback(c->db);
			return out;
		}
		PQclear(r);
	}
	int version = (int)gi64(pr, 0, PC_VERSION);
	if (expected_version >= 0 && expected_version != version && kept) {
		PQclear(pr);
		goto again;
	}
	if (expected_version >= 0 && expected_version != version) {
		char msg[128];
		snprintf(msg, sizeof msg, "the project is at version %d, not %" PRId64, version,
		    expected_version);
		PQclear(pr);
		return ctx_fail(c, 409, "version_conflict", json_pack("{s:I,s:i}", "expected",
		    (json_int_t)expected_version, "actual", version), msg);
	}
	/* without an idempotent answer to store, the write carries the COMMIT */
	struct event_tx tx = { .commit_on_write = idem_key == NULL, .row_kept = kept };
	struct db_state *ds = db_state(c->db);
	ds->unlocked = unlocked > 0;
	ds->blocked = false;
	out = event_apply_locked(c, &tx, pr, ev, ev_name, payload, 0, true);
	if (out == NULL && tx.retry == RETRY_NONE && ds->blocked)
		tx.retry = RETRY_LOCK;	/* the decision needs more than the light write */
	ds->unlocked = ds->blocked = false;
	PQclear(pr);
	pr = NULL;	/* the error paths below clear it again */
	if (out == NULL && tx.retry != RETRY_NONE && !tx.committed) {
		/* a kept row found stale costs a read, not the light try */
		if (tx.retry == RETRY_LOCK)
			unlocked = 0;
		else if (tx.retry == RETRY_MOVED && !kept)
			unlocked--;
		goto again;
	}
	if (out == NULL) {
		db_rollback(c->db);
		return NULL;
	}
	if (tx.committed)
		goto committed;
	if (idem_key) {
		char *body = json_text(out);
		const char *v[7] = { pi64(&pb, c->u->id), idem_key, pi64(&pb, id), raw_body, "200",
			body, pi64(&pb, c->now) };
		int rc = db_run0(c->db, &q_idem_put, 7, v, NULL);
		free(body);
		if (rc)
			goto dberr;
	}
	if (db_commit(c->db))
		goto dberr;
committed:
	/* a fresh event, not an answer replayed for its Idempotency-Key */
	metrics_event_applied(ev_name);
	event_publish(c->published, json_object_get(out, "event"), id);
	return out;
dberr:
	PQclear(pr);
	json_decref(out);
	return ctx_dbfail(c, "applying an event");
}

static struct stmt q_event_list = STMT(
	"SELECT seq, event, from_state, to_state, actor, ts2us(at), payload::text, "
	"encode(prev_hash, 'hex'), encode(hash, 'hex') FROM project_event "
	"WHERE project_id = $1 AND seq > $2::bigint ORDER BY seq LIMIT $3");

struct rows *
event_list(struct req_ctx *c, int64_t id, int64_t after, int limit)
{
	PGresult *pr = project_fetch(c, id, false);
	if (pr == NULL)
		return NULL;
	PQclear(pr);
	struct pbuf pb = { .n = 0 };
	const char *v[3] = { pi64(&pb, id), pi64(&pb, after), limit < 0 ? NULL : pi64(&pb, limit + 1) };
	PGresult *r = db_run(c->db, &q_event_list, 3, v, NULL);
	if (r == NULL) {
		ctx_dbfail(c, "reading the history");
		return NULL;
	}
	return rows_of(r);
}
