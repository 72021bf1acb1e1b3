/* The smtp channel: one RFC 5322 message per job through a configured relay. */
#ifndef PROCUR_NOTIFY_SMTP_H
#define PROCUR_NOTIFY_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>

#include "deliver.h"

struct conf;
struct job;

/* Whether S is a bare address local@domain with nothing a header or an SMTP
 * command could trip on (no spaces, brackets, quotes or control bytes). */
bool smtp_address_ok(const char *s);

/* Send the job to its recipient through conf->smtp_url on CURL (reset
 * first). DELIVER_FAILED with ERR when smtp_url is empty, the recipient is
 * not an address, or the relay refuses. */
enum deliver_result smtp_deliver(CURL *curl, const struct conf *conf,
    const struct job *job, const struct message *msg, char *err, size_t errlen);

/* The whole message, CRLF line ends: Date (NOW_USEC, local offset), From,
 * To, Subject as RFC 2047 UTF-8 encoded words, Message-ID
 * <procurd.outbox.ID@DOMAIN-OF-FROM> (the same for every retry, so mail
 * systems can drop duplicates), MIME text/plain UTF-8, body in base64.
 * The caller frees it. */
char *smtp_build_message(const char *from, const char *to, int64_t id,
    const char *subject, const char *body, int64_t now_usec);

#endif
