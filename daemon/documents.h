/* Documents of a project over HTTP: an upload (the body is the file, with
 * its Content-Type and Content-Disposition; or a browser's
 * multipart/form-data with a "file" field), checked against its first
 * bytes and stored a chunk at a time; the list; one streamed back
 * (download.c) under the same scope rules. */
#ifndef PROCURD_DOCUMENTS_H
#define PROCURD_DOCUMENTS_H

#include <jansson.h>
#include "request.h"

json_t *documents_upload(struct api_request *r, struct req_ctx *c, int *status);
json_t *documents_list(struct api_request *r, struct req_ctx *c, int *status);
json_t *documents_get(struct api_request *r, struct req_ctx *c, int *status);
/* Answer R with the document of ROWS (store/document.h's row), streamed;
 * ROWS is freed. */
struct rows;
json_t *documents_stream(struct api_request *r, struct rows *rows);

#endif
