/* The webhook channel: an HTTP POST carrying the outbox id as Idempotency-Key. */
#ifndef PROCUR_NOTIFY_WEBHOOK_H
#define PROCUR_NOTIFY_WEBHOOK_H

#include <stddef.h>
#include <curl/curl.h>

#include "deliver.h"

struct job;

/* POST the job to its recipient URL (http or https only, no redirects) on
 * CURL, a handle reused between calls for keep-alive. DELIVER_OK on a 2xx
 * answer within TIMEOUT_MS; else DELIVER_FAILED with ERR ("http 500",
 * "curl: ..."). */
enum deliver_result webhook_deliver(CURL *curl, long timeout_ms,
    const struct job *job, const struct message *msg, char *err, size_t errlen);

/* The JSON body: {"id","template","project_id","subject","body","data"}
 * (and "lang"). The caller frees it. */
char *webhook_build_body(const struct job *job, const struct message *msg);

#endif
