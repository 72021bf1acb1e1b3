/* The public register's and OCDS's rows (publication.h). */
#include "publication.h"

#include <stdio.h>
#include "db.h"
#include "projectsql.h"
#include "sql.h"

#define PUB_COLS PROJECT_COLS ", a.name, " \
	"(SELECT json_agg(json_build_object('code', ci.code, 'name', ci.name) ORDER BY ci.code) " \
	"FROM catalog_item ci WHERE ci.code = ANY(p.catalog_items))::text "
#define PUB_FROM PROJECT_FROM "JOIN agency a ON a.code = p.agency "

static struct stmt q_pub_one = STMT(
	"SELECT " PUB_COLS PUB_FROM "WHERE p.id = $1 AND p.public_since IS NOT NULL");
static struct stmt q_pub_after = STMT(
	"SELECT " PUB_COLS PUB_FROM "WHERE p.id > $1 AND p.public_since IS NOT NULL "
	"ORDER BY p.id LIMIT $2");
static struct stmt q_pub_of = STMT(
	"SELECT " PUB_COLS PUB_FROM "WHERE p.id = ANY($1::bigint[]) AND p.public_since IS NOT NULL "
	"ORDER BY p.id");
/* the history publicview.c reads: it decides which events and fields show
 * (the others' payloads are not even fetched: supervision records,
 * reminders, escalations); the actor is not read */
static struct stmt q_pub_history = STMT(
	"SELECT project_id, seq, event, from_state, to_state, ts2us(at), payload::text "
	"FROM project_event WHERE project_id = ANY($1::bigint[]) "
	"AND event = ANY('{create,approve_budget,change_method,publish,close_bidding,retender,"
	"award,decline_award,sign_contract,confirm_payment,contractor_exit,report_subcontracting,"
	"complete_takeover,evaluate,cancel}'::text[]) ORDER BY project_id, seq");
static struct stmt q_pub_bids = STMT(
	"SELECT b.project_id, b.id, b.contractor_id, c.name, c.credit_code, b.price_fen, b.round, "
	"b.declined FROM bid b JOIN contractor c ON c.id = b.contractor_id "
	"WHERE b.project_id = ANY($1::bigint[]) ORDER BY b.project_id, b.round, b.id");

/* The ids in column COL of rows [0, N) of R as an array parameter ("{1,2}"). */
static char *
id_array(const struct rows *r, int col, int n)
{
	size_t cap = 3 + (size_t)n * 21;
	char *ids = xmalloc(cap), *w = ids;
	*w++ = '{';
	for (int i = 0; i < n; i++)
		w += snprintf(w, cap - (size_t)(w - ids), "%s%s", i ? "," : "", rows_text(r, i, col));
	snprintf(w, cap - (size_t)(w - ids), "}");
	return ids;
}

/* The history and bids of the projects BATCH holds. */
static int
pub_rest(struct db *db, struct pub_batch *b)
{
	char *ids = id_array(b->projects, 0, rows_count(b->projects));
	const char *v[1] = { ids };
	PGresult *h = db_run(db, &q_pub_history, 1, v, NULL);
	PGresult *bd = h ? db_run(db, &q_pub_bids, 1, v, NULL) : NULL;
	free(ids);
	if (h == NULL || bd == NULL) {
		PQclear(h);
		return -1;
	}
	b->history = rows_of(h);
	b->bids = rows_of(bd);
	return 0;
}

static int
pub_fill(struct db *db, PGresult *r, struct pub_batch *out)
{
	*out = (struct pub_batch){ NULL, NULL, NULL };
	if (r == NULL)
		return -1;
	out->projects = rows_of(r);
	if (pub_rest(db, out)) {
		pub_batch_free(out);
		return -1;
	}
	return 0;
}

int
pub_project(struct db *db, int64_t id, struct pub_batch *out)
{
	struct pbuf pb = { .n = 0 };
	const char *v[1] = { pi64(&pb, id) };
	if (pub_fill(db, db_run(db, &q_pub_one, 1, v, NULL), out))
		return -1;
	if (rows_count(out->projects) == 0) {
		pub_batch_free(out);
		return 1;
	}
	return 0;
}

int
pub_projects_after(struct db *db, int64_t after, int limit, struct pub_batch *out)
{
	struct pbuf pb = { .n = 0 };
	const char *v[2] = { pi64(&pb, after), pi64(&pb, limit) };
	return pub_fill(db, db_run(db, &q_pub_after, 2, v, NULL), out);
}

int
pub_projects_of(struct db *db, const struct rows *r, int col, int n, struct pub_batch *out)
{
	char *ids = id_array(r, col, n);
	const char *v[1] = { ids };
	int rc = pub_fill(db, db_run(db, &q_pub_of, 1, v, NULL), out);
	free(ids);
	return rc;
}

void
pub_batch_free(struct pub_batch *b)
{
	rows_free(b->projects);
	rows_free(b->history);
	rows_free(b->bids);
	*b = (struct pub_batch){ NULL, NULL, NULL };
}

static struct stmt q_pub_list = STMT_CUSTOM(
	"SELECT p.id, p.title, p.agency, a.name, p.fiscal_year, p.state, p.method, p.budget_fen, "
	"ts2us(p.bid_deadline), ts2us(p.published_at) FROM project p "
	"JOIN agency a ON a.code = p.agency WHERE p.public_since IS NOT NULL "
	"AND ($1::text IS NULL OR p.agency = $1) AND ($2::text IS NULL OR p.state = $2) "
	"AND ($3::int IS NULL OR p.fiscal_year = $3) AND ($4::bigint = 0 OR p.id < $4) "
	"ORDER BY p.id DESC LIMIT $5");

struct rows *
pub_list(struct db *db, const char *agency, const char *state, const char *year,
    int64_t before, int limit)
{
	struct pbuf pb = { .n = 0 };
	const char *v[5] = { agency, state, year, pi64(&pb, before), pi64(&pb, limit + 1) };
	PGresult *r = db_run(db, &q_pub_list, 5, v, NULL);
	return r ? rows_of(r) : NULL;
}

/* The events that make releases (publicview.c's public_event(), checked
 * by test_publicview), as migration 015's partial index names them, so the
 * walk is of that index. */
static struct stmt q_pub_feed = STMT(
	"SELECT e.project_id, e.seq, ts2us(e.at), e.event, e.to_state FROM project_event e "
	"JOIN project p ON p.id = e.project_id "
	"WHERE e.event IN ('publish', 'close_bidding', 'retender', 'change_method', 'award', "
	"'decline_award', 'sign_contract', 'confirm_payment', 'contractor_exit', "
	"'report_subcontracting', 'complete_takeover', 'evaluate', 'cancel') "
	"AND p.public_since IS NOT NULL "
	"AND (e.at, e.project_id, e.seq) > (us2ts($1), $2::bigint, $3::int) "
	"ORDER BY e.at, e.project_id, e.seq LIMIT $4");

struct rows *
pub_feed(struct db *db, usec_t at, int64_t project, int seq, int limit)
{
	struct pbuf pb = { .n = 0 };
	const char *v[4] = { pi64(&pb, at), pi64(&pb, project), pi64(&pb, seq), pi64(&pb, limit) };
	PGresult *r = db_run(db, &q_pub_feed, 4, v, NULL);
	return r ? rows_of(r) : NULL;
}
