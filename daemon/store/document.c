/* Documents in the database (document.h). */
#include "document.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "jsonio.h"
#include "lifecycle.h"
#include "log.h"
#include "project.h"
#include "projectrow.h"
#include "sql.h"

#define DOC_COLS "SELECT d.id, d.project_id, d.kind, d.filename, d.content_type, d.size, " \
	"encode(d.sha256, 'hex'), u.name, ts2us(d.created_at) FROM document d " \
	"JOIN app_user u ON u.id = d.uploaded_by "

static struct stmt q_doc_add = STMT(
	"INSERT INTO document (project_id, kind, filename, content_type, size, uploaded_by, "
	"created_at) VALUES ($1, $2, $3, $4, 0, $5, us2ts($6)) RETURNING id");
static struct stmt q_chunk_add = STMT(
	"INSERT INTO document_chunk (document_id, n, data) VALUES ($1, $2, decode($3, 'hex'))");
/* the size and the hash, once every chunk is in: the row's one change */
static struct stmt q_doc_done = STMT(
	"UPDATE document SET size = $2, sha256 = document_sha256(id) WHERE id = $1");
static struct stmt q_doc_get = STMT(DOC_COLS "WHERE d.id = $2 AND d.project_id = $1");
static struct stmt q_doc_list = STMT(DOC_COLS "WHERE d.project_id = $1 ORDER BY d.id");
static struct stmt q_chunk = STMT(
	"SELECT encode(data, 'hex') FROM document_chunk WHERE document_id = $1 AND n = $2");

struct rows *
document_store(struct req_ctx *c, int64_t project, const char *kind, const char *filename,
    const char *ctype, doc_read_fn rd, void *arg)
{
	struct pbuf pb = { .n = 0 };
	struct rows *p = project_get(c, project);
	if (p == NULL)
		return NULL;
	int st = lc_state_parse(rows_text(p, 0, PC_STATE));
	rows_free(p);
	if (st >= 0 && lc_state_is_final((enum lc_state)st))
		return ctx_fail(c, 409, "invalid_transition", json_pack("{s:s}", "state",
		    lc_state_name((enum lc_state)st)), "the project is finished: no document is added");

	char *buf = xmalloc(DOC_CHUNK), *hex = xmalloc(2 * DOC_CHUNK + 1);
	int64_t id = 0, size = 0;
	const char *v[6] = { pi64(&pb, project), kind, filename, ctype, pi64(&pb, c->u->id),
		pi64(&pb, c->now) };
	PGresult *r = NULL;
	if (db_begin(c->db) || (r = db_run(c->db, &q_doc_add, 6, v, NULL)) == NULL)
		goto dberr;
	id = gi64(r, 0, 0);
	PQclear(r);
	for (int n = 0;; n++) {
		size_t got = 0, k;
		while (got < DOC_CHUNK && (k = rd(arg, buf + got, DOC_CHUNK - got)) > 0)
			got += k;
		if (got == 0 && n > 0)
			break;
		static const char digits[] = "0123456789abcdef";
		for (size_t i = 0; i < got; i++) {
			hex[2 * i] = digits[(unsigned char)buf[i] >> 4];
			hex[2 * i + 1] = digits[(unsigned char)buf[i] & 15];
		}
		hex[2 * got] = '\0';
		char idb[24], nb[16];
		snprintf(idb, sizeof idb, "%" PRId64, id);
		snprintf(nb, sizeof nb, "%d", n);
		const char *cv[3] = { idb, nb, hex };
		if (db_run0(c->db, &q_chunk_add, 3, cv, NULL))
			goto dberr;
		size += (int64_t)got;
		if (got < DOC_CHUNK)
			break;
	}
	const char *dv[2] = { pi64(&pb, id), pi64(&pb, size) };
	if (db_run0(c->db, &q_doc_done, 2, dv, NULL) || db_commit(c->db))
		goto dberr;
	free(buf);
	free(hex);
	log_info("project %" PRId64 ": document %" PRId64 " (%s, %" PRId64 " bytes) uploaded by %s",
	    project, id, kind, size, c->u->name);
	return document_get(c, project, id);
dberr:
	free(buf);
	free(hex);
	return ctx_dbfail(c, "storing a document");
}

struct rows *
document_get(struct req_ctx *c, int64_t project, int64_t doc)
{
	struct pbuf pb = { .n = 0 };
	struct rows *p = project_get(c, project);
	if (p == NULL)
		return NULL;
	rows_free(p);
	const char *v[2] = { pi64(&pb, project), pi64(&pb, doc) };
	PGresult *r = db_run(c->db, &q_doc_get, 2, v, NULL);
	if (r == NULL)
		return ctx_dbfail(c, "reading a document");
	if (PQntuples(r) != 1) {
		PQclear(r);
		return ctx_fail(c, 404, "not_found", NULL, "no such document of this project");
	}
	return rows_of(r);
}

struct rows *
document_list(struct req_ctx *c, int64_t project)
{
	struct pbuf pb = { .n = 0 };
	struct rows *p = project_get(c, project);
	if (p == NULL)
		return NULL;
	rows_free(p);
	const char *v[1] = { pi64(&pb, project) };
	PGresult *r = db_run(c->db, &q_doc_list, 1, v, NULL);
	if (r == NULL)
		return ctx_dbfail(c, "listing documents");
	return rows_of(r);
}

static int
unhex(int ch)
{
	return ch <= '9' ? ch - '0' : (ch | 32) - 'a' + 10;
}

int
document_chunk(struct db *db, int64_t doc, int n, char **out, size_t *len)
{
	char idb[24], nb[16];
	snprintf(idb, sizeof idb, "%" PRId64, doc);
	snprintf(nb, sizeof nb, "%d", n);
	const char *v[2] = { idb, nb };
	PGresult *r = db_run(db, &q_chunk, 2, v, NULL);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return 0;
	}
	const char *hex = gs(r, 0, 0);
	size_t h = strlen(hex) / 2;
	char *b = xmalloc(h ? h : 1);
	for (size_t i = 0; i < h; i++)
		b[i] = (char)(unhex(hex[2 * i]) << 4 | unhex(hex[2 * i + 1]));
	PQclear(r);
	*out = b;
	*len = h;
	return 1;
}

static struct stmt q_resolve = STMT(
	"SELECT x.id, d.id IS NOT NULL, d.kind, d.filename, d.content_type, d.size, "
	"encode(d.sha256, 'hex') FROM jsonb_array_elements_text($2::jsonb) WITH ORDINALITY "
	"AS x(id, o) LEFT JOIN document d ON d.id = x.id::bigint AND d.project_id = $1 "
	"ORDER BY x.o");

json_t *
document_resolve(struct req_ctx *c, int64_t project, const json_t *ids)
{
	struct pbuf pb = { .n = 0 };
	char *t = json_text(ids);
	const char *v[2] = { pi64(&pb, project), t };
	PGresult *r = db_run(c->db, &q_resolve, 2, v, NULL);
	free(t);
	if (r == NULL)
		return ctx_dbfail(c, "reading an event's documents");
	json_t *out = json_array();
	for (int i = 0; i < PQntuples(r); i++) {
		if (!gbool(r, i, 1) || gnull(r, i, 6)) {
			json_t *d = json_pack("{s:s,s:s,s:s}", "rule", "document_unknown", "field",
			    "documents", "document", gs(r, i, 0));
			PQclear(r);
			json_decref(out);
			return ctx_fail(c, 422, "rule_violation", d, "an event names only documents "
			    "uploaded to its project");
		}
		json_array_append_new(out, json_pack("{s:I,s:s,s:s,s:s,s:I,s:s}", "id",
		    (json_int_t)strtoll(gs(r, i, 0), NULL, 10), "kind", gs(r, i, 2), "filename",
		    gs(r, i, 3), "content_type", gs(r, i, 4), "size", (json_int_t)gi64(r, i, 5),
		    "sha256", gs(r, i, 6)));
	}
	PQclear(r);
	return out;
}

static struct stmt q_doc_public = STMT(
	"SELECT d.id, d.project_id, d.kind, d.filename, d.content_type, d.size, "
	"encode(d.sha256, 'hex'), '', ts2us(d.created_at) FROM document d "
	"JOIN project p ON p.id = d.project_id WHERE d.id = $2 AND d.project_id = $1 "
	"AND p.public_since IS NOT NULL AND EXISTS (SELECT 1 FROM project_event e "
	"WHERE e.project_id = $1 AND jsonb_typeof(e.payload->'documents') = 'array' "
	"AND e.payload->'documents' @> jsonb_build_array(jsonb_build_object('id', d.id)))");

int
document_public(struct db *db, int64_t project, int64_t doc, struct rows **out)
{
	char pb[24], db_[24];
	snprintf(pb, sizeof pb, "%" PRId64, project);
	snprintf(db_, sizeof db_, "%" PRId64, doc);
	const char *v[2] = { pb, db_ };
	PGresult *r = db_run(db, &q_doc_public, 2, v, NULL);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return 1;
	}
	*out = rows_of(r);
	return 0;
}
