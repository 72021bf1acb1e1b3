/* Documents in the database (migration 019): an upload written a chunk at a
 * time in one transaction, read back a chunk at a time, listed per
 * project, and resolved when an event names them, so that their hashes
 * enter the event's hashed content. */
#ifndef PROCURD_DOCUMENT_H
#define PROCURD_DOCUMENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "ctx.h"
#include "rows.h"

#define DOC_CHUNK (256 * 1024)

/* Fills BUF with up to LEN bytes of the upload: how many (0 at its end). */
typedef size_t (*doc_read_fn)(void *arg, char *buf, size_t len);

/* A document's row: id, project_id, kind, filename, content_type, size,
 * sha256 (hex), uploaded_by (name), created_at. */
enum { DC_ID, DC_PROJECT, DC_KIND, DC_FILENAME, DC_TYPE, DC_SIZE, DC_SHA256, DC_BY, DC_AT };

/* Store an upload of project PROJECT (in the user's scope, not in a final
 * state) read from RD: its row, or NULL with c->err. Nothing is kept of an
 * upload that fails. */
struct rows *document_store(struct req_ctx *c, int64_t project, const char *kind,
    const char *filename, const char *ctype, doc_read_fn rd, void *arg);
/* Document DOC of project PROJECT as the user sees it, or NULL (404). */
struct rows *document_get(struct req_ctx *c, int64_t project, int64_t doc);
/* The project's documents, in order. */
struct rows *document_list(struct req_ctx *c, int64_t project);
/* Chunk N of document DOC into a new buffer *OUT (*LEN bytes; free()):
 * 1 when there is one, 0 past the last, -1 on a database error. */
int document_chunk(struct db *db, int64_t doc, int n, char **out, size_t *len);

/* Document DOC of project PROJECT when the public may have it: the project
 * is public and an event of its history names the document. Its row
 * (DC_* columns, uploaded_by empty): 0; 1 when not; -1 database. */
int document_public(struct db *db, int64_t project, int64_t doc, struct rows **out);

/* Inside the event's transaction: the documents an event's payload names
 * by id (IDS, an array) as the history keeps them — {id, kind, filename,
 * content_type, size, sha256} — in the order named; NULL with c->err when
 * one is not the project's, or not whole. */
json_t *document_resolve(struct req_ctx *c, int64_t project, const json_t *ids);

#endif
