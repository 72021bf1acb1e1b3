/* Jobs and acks: the worker's side of the ZeroMQ contract (DESIGN.md). */
#ifndef PROCUR_NOTIFY_JOB_H
#define PROCUR_NOTIFY_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define JOB_VERSION 1

enum channel {
	CHANNEL_SPOOL,
	CHANNEL_WEBHOOK,
	CHANNEL_SMTP,
	CHANNEL_COUNT
};

/* One notification to deliver, as the daemon sent it. */
struct job {
	int64_t id;           /* outbox id, also the idempotency key */
	enum channel channel;
	char *recipient;
	char *template_name;
	char *lang;           /* NULL when the job names none */
	int64_t project_id;
	json_t *data;         /* always an object; owned by the job */
};

/* Parse one frame of LEN bytes. Returns a job the caller frees with
 * job_free(), or NULL when the frame breaks the contract; then WHY (WHYLEN
 * bytes) says how, and *ID is the outbox id if one was readable, else -1. */
struct job *job_parse(const void *buf, size_t len, char *why, size_t whylen,
    int64_t *id);
void job_free(struct job *job);

/* The ack frame for ID: {"v":1,"id":ID,"ok":OK,"error":ERROR or null}.
 * The caller frees the string. */
char *job_ack_encode(int64_t id, bool ok, const char *error);

/* "spool", "webhook", "smtp". */
const char *job_channel_name(enum channel c);

#endif
