/* Documents of a project over HTTP (documents.h). */
#include "documents.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <string.h>
#include "apierr.h"
#include "doctype.h"
#include "document.h"
#include "render.h"
#include "rows.h"
#include "util.h"

static int
project_id(struct api_request *r, int i, int64_t *id)
{
	return parse_int64(r->params[i], id) == 0 && *id > 0 ? 0 : -1;
}

/* A document's row as answers show it. */
static json_t *
render_document(const struct rows *r, int i, int off)
{
	return json_pack("{s:I,s:I,s:s,s:s,s:s,s:I,s:s,s:s,s:o}", "id",
	    (json_int_t)rows_i64(r, i, DC_ID), "project_id", (json_int_t)rows_i64(r, i, DC_PROJECT),
	    "kind", rows_text(r, i, DC_KIND), "filename", rows_text(r, i, DC_FILENAME),
	    "content_type", rows_text(r, i, DC_TYPE), "size", (json_int_t)rows_i64(r, i, DC_SIZE),
	    "sha256", rows_text(r, i, DC_SHA256) ? rows_text(r, i, DC_SHA256) : "",
	    "uploaded_by", rows_text(r, i, DC_BY), "created_at",
	    render_time(rows_i64(r, i, DC_AT), off));
}

/* The file's bytes: the first LEFT bytes of BUF, drained as read. */
struct reader {
	struct evbuffer *buf;
	size_t left;
};

static size_t
read_upload(void *arg, char *out, size_t len)
{
	struct reader *rd = arg;
	if (len > rd->left)
		len = rd->left;
	int n = evbuffer_remove(rd->buf, out, len);
	if (n <= 0)
		return 0;
	rd->left -= (size_t)n;
	return (size_t)n;
}

/* In a multipart/form-data body, the part named "file": drains BUF up to
 * its bytes, their length into *LEN; its filename and type. 0, or -1 with
 * WHY. */
static int
multipart_file(struct evbuffer *buf, const char *boundary, size_t *len, char *filename,
    size_t flen, char *ctype, size_t clen, const char **why)
{
	char delim[80];
	int dl = snprintf(delim, sizeof delim, "--%s", boundary);
	struct evbuffer_ptr p = evbuffer_search(buf, delim, (size_t)dl, NULL);
	for (int parts = 0; p.pos >= 0 && parts < 16; parts++) {
		/* the part's headers: after the delimiter's line, up to a blank line */
		evbuffer_drain(buf, (size_t)p.pos + (size_t)dl);
		unsigned char *two = evbuffer_pullup(buf, 2);
		if (two && two[0] == '-' && two[1] == '-')
			break;	/* the closing delimiter */
		struct evbuffer_ptr eoh = evbuffer_search(buf, "\r\n\r\n", 4, NULL);
		if (eoh.pos < 0 || eoh.pos > 8192) {
			*why = "a part's headers do not end";
			return -1;
		}
		char hdrs[8193], name[64];
		size_t hn = (size_t)eoh.pos;
		evbuffer_remove(buf, hdrs, hn);
		hdrs[hn] = '\0';
		evbuffer_drain(buf, 4);
		if (doctype_part(hdrs, hn, name, sizeof name, filename, flen, ctype, clen)) {
			*why = "a part is not form-data";
			return -1;
		}
		char end[84];
		int el = snprintf(end, sizeof end, "\r\n--%s", boundary);
		struct evbuffer_ptr e = evbuffer_search(buf, end, (size_t)el, NULL);
		if (e.pos < 0) {
			*why = "a part does not end";
			return -1;
		}
		if (!strcmp(name, "file")) {
			*len = (size_t)e.pos;
			return 0;
		}
		evbuffer_drain(buf, (size_t)e.pos + 2);	/* to the next delimiter */
		p = evbuffer_search(buf, delim, (size_t)dl, NULL);
	}
	*why = "no part named file";
	return -1;
}

json_t *
documents_upload(struct api_request *r, struct req_ctx *c, int *status)
{
	int64_t id;
	(void)status;
	if (project_id(r, 0, &id))
		return request_fail(c, 404, "not_found", NULL, "no such project");
	const char *kind = request_query(r, "kind");
	if (kind == NULL)
		kind = "attachment";
	size_t kl = strlen(kind);
	if (kl == 0 || kl > 40 || strspn(kind, "abcdefghijklmnopqrstuvwxyz_") != kl)
		return request_fail(c, 400, "invalid_field", "kind",
		    "kind names the document: lower-case letters and _ (tender_documents, contract, …)");
	if (r->upload == NULL)
		return request_fail(c, 400, "invalid_field", "body", "the body is the file");

	char filename[DOC_NAME_MAX + 1] = "", ctype[DOC_TYPE_MAX] = "", boundary[80];
	size_t len = evbuffer_get_length(r->upload);
	const char *why = NULL;
	if (doctype_boundary(r->upload_type, boundary, sizeof boundary) == 0) {
		if (multipart_file(r->upload, boundary, &len, filename, sizeof filename, ctype,
		    sizeof ctype, &why))
			return request_fail(c, 400, "invalid_field", "body", why);
	} else {
		snprintf(ctype, sizeof ctype, "%s", r->upload_type ? r->upload_type : "");
		if (doctype_disposition(r->upload_disposition, filename, sizeof filename))
			return request_fail(c, 400, "invalid_field", "Content-Disposition",
			    "Content-Disposition: attachment; filename=… names the file");
	}
	if (filename[0] == '\0')
		snprintf(filename, sizeof filename, "document");
	if ((int64_t)len > r->d->cfg->doc_max_bytes) {
		apierr_set(c->err, 413, "body_too_large", json_pack("{s:I,s:I}", "max_bytes",
		    (json_int_t)r->d->cfg->doc_max_bytes, "size", (json_int_t)len),
		    "the document is larger than [documents] max_bytes");
		return NULL;
	}
	if (len == 0)
		return request_fail(c, 400, "invalid_field", "body", "the file is empty");
	const char *type = doctype_known(ctype);
	if (type == NULL) {
		apierr_set(c->err, 415, "unsupported_media_type", json_pack("{s:s}", "content_type",
		    ctype), "documents are PDF, images (PNG, JPEG, GIF, TIFF, WebP), office documents "
		    "or OFD");
		return NULL;
	}
	unsigned char *head = evbuffer_pullup(r->upload, len < 16 ? (ev_ssize_t)len : 16);
	if (!doctype_matches(type, head, len < 16 ? len : 16)) {
		apierr_set(c->err, 415, "unsupported_media_type", json_pack("{s:s,s:s}",
		    "content_type", type, "reason", "content_mismatch"),
		    "the file's first bytes are not those of the type it declares");
		return NULL;
	}
	struct reader rd = { r->upload, len };
	struct rows *rows = document_store(c, id, kind, filename, type, read_upload, &rd);
	json_t *o = rows ? render_document(rows, 0, ctx_offset(c)) : NULL;
	rows_free(rows);
	return o;
}

json_t *
documents_list(struct api_request *r, struct req_ctx *c, int *status)
{
	int64_t id;
	(void)status;
	if (project_id(r, 0, &id))
		return request_fail(c, 404, "not_found", NULL, "no such project");
	struct rows *rows = document_list(c, id);
	if (rows == NULL)
		return NULL;
	json_t *items = json_array();
	for (int i = 0; i < rows_count(rows); i++)
		json_array_append_new(items, render_document(rows, i, ctx_offset(c)));
	rows_free(rows);
	return json_pack("{s:o,s:n}", "items", items, "next");
}

json_t *
documents_get(struct api_request *r, struct req_ctx *c, int *status)
{
	int64_t id, doc;
	(void)status;
	if (project_id(r, 0, &id) || project_id(r, 1, &doc))
		return request_fail(c, 404, "not_found", NULL, "no such document");
	struct rows *rows = document_get(c, id, doc);
	if (rows == NULL)
		return NULL;
	return documents_stream(r, rows);
}

json_t *
documents_stream(struct api_request *r, struct rows *rows)
{
	/* the answer is the file itself, streamed by download.c */
	r->stream.id = rows_i64(rows, 0, DC_ID);
	r->stream.size = rows_i64(rows, 0, DC_SIZE);
	snprintf(r->stream.type, sizeof r->stream.type, "%s", rows_text(rows, 0, DC_TYPE));
	snprintf(r->stream.filename, sizeof r->stream.filename, "%s", rows_text(rows, 0, DC_FILENAME));
	rows_free(rows);
	return json_true();
}
