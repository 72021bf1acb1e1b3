/* The spool channel: one file per outbox id, written at most once. */
#ifndef PROCUR_NOTIFY_SPOOL_H
#define PROCUR_NOTIFY_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "deliver.h"

struct job;

/* Create DIR (and its parents) when missing and remove temporary files left
 * by workers that died over an hour ago. 0, or -1 with ERR set. */
int spool_prepare(const char *dir, char *err, size_t errlen);

/* Delivering to the spool is two halves, so a batch of jobs shares one
 * directory fsync: spool_write() writes DIR/<id>.json holding one JSON line
 * durably and links it, unless it exists (then DELIVER_DUPLICATE, however
 * many workers try at once; DELIVER_FAILED with ERR set when the disk says
 * no); spool_sync() makes the directory entries durable. A job may be acked
 * only after spool_sync() of its directory returned 0, a duplicate too (the
 * worker that linked it may have died before its own sync). */
enum deliver_result spool_write(const char *dir, const char *worker,
    const struct job *job, const struct message *msg, char *err, size_t errlen);
int spool_sync(const char *dir, char *err, size_t errlen);

/* The line spool_write() writes, without its newline; the caller frees it. */
char *spool_build_line(const char *worker, const struct job *job,
    const struct message *msg, int64_t now_usec);

#endif
