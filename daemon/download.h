/* A document streamed back a chunk at a time: the file is never whole in
 * memory. Each chunk is read by a pool job and written when the one before
 * it has left for the socket; a client that goes away ends the stream. */
#ifndef PROCURD_DOWNLOAD_H
#define PROCURD_DOWNLOAD_H

#include <event2/http.h>
#include <stdint.h>

struct pool;

/* Answer REQ with document ID (SIZE bytes of TYPE, named FILENAME) from
 * the database through POOL. Loop thread. */
void download_start(struct pool *pool, struct evhttp_request *req, int64_t id, int64_t size,
    const char *type, const char *filename);

#endif
