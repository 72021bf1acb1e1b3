/* Delivery: render a job's template, hand it to its channel, say how it went. */
#ifndef PROCUR_NOTIFY_DELIVER_H
#define PROCUR_NOTIFY_DELIVER_H

#include <stdbool.h>
#include <stddef.h>

struct conf;
struct job;
struct template_set;

/* What a channel sends: the rendered text of one job. */
struct message {
	const char *lang;     /* the language actually used */
	char *subject;
	char *body;
};

enum deliver_result {
	DELIVER_OK,           /* delivered now */
	DELIVER_DUPLICATE,    /* delivered before (spool): ack ok all the same */
	DELIVER_FAILED,       /* not delivered: ack ok=false with the error */
};

struct deliver;

/* A delivery context for one worker: CONF and TEMPLATES are borrowed and
 * must outlive it (swap templates with deliver_set_templates()). The caller
 * frees it with deliver_free(). */
struct deliver *deliver_new(const struct conf *conf, const struct template_set *templates);
void deliver_free(struct deliver *d);
void deliver_set_templates(struct deliver *d, const struct template_set *templates);

/* Deliver JOB once. On DELIVER_FAILED, ERR (ERRLEN bytes) holds the ack's
 * error text. Never aborts on anything the job contains. A spool delivery is
 * durable only after deliver_flush(): ack nothing before it. */
enum deliver_result deliver_job(struct deliver *d, const struct job *job,
    char *err, size_t errlen);
/* Make the spool deliveries since the last flush durable (one directory
 * fsync for the batch). 0, or -1 with ERR: those deliveries then failed. */
int deliver_flush(struct deliver *d, char *err, size_t errlen);

#endif
