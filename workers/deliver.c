/* Delivery: one job in, rendered by its template, through its channel, a verdict out. */
#include "deliver.h"

#include <stdbool.h>

#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "conf.h"
#include "job.h"
#include "log.h"
#include "smtp.h"
#include "spool.h"
#include "template.h"
#include "util.h"
#include "webhook.h"

struct deliver {
	const struct conf *conf;
	const struct template_set *templates;
	CURL *curl;    /* made on first use; kept for keep-alive */
	bool spool_unsynced;	/* spool files written since the last directory fsync */
};

struct deliver *
deliver_new(const struct conf *conf, const struct template_set *templates)
{
	struct deliver *d = xcalloc(1, sizeof *d);

	d->conf = conf;
	d->templates = templates;
	return d;
}

void
deliver_free(struct deliver *d)
{
	if (d == NULL)
		return;
	if (d->curl)
		curl_easy_cleanup(d->curl);
	free(d);
}

int
deliver_flush(struct deliver *d, char *err, size_t errlen)
{
	if (!d->spool_unsynced)
		return 0;
	d->spool_unsynced = false;
	return spool_sync(d->conf->spool_dir, err, errlen);
}

void
deliver_set_templates(struct deliver *d, const struct template_set *templates)
{
	d->templates = templates;
}

static CURL *
curl_handle(struct deliver *d)
{
	if (d->curl == NULL)
		d->curl = curl_easy_init();
	return d->curl;
}

enum deliver_result
deliver_job(struct deliver *d, const struct job *job, char *err, size_t errlen)
{
	enum deliver_result res = DELIVER_FAILED;
	struct message msg = { 0 };

	if (!template_render(d->templates, job->template_name, job->lang,
	    d->conf->default_lang, job->data, job->project_id, &msg.subject,
	    &msg.body, &msg.lang))
		log_warn("outbox %" PRId64 " (project %" PRId64 "): no template %s, "
		    "sending the generic text", job->id, job->project_id,
		    job->template_name);

	switch (job->channel) {
	case CHANNEL_SPOOL:
		/* the directory fsync is deliver_flush()'s, once per batch */
		res = spool_write(d->conf->spool_dir, d->conf->name, job, &msg, err, errlen);
		if (res != DELIVER_FAILED)
			d->spool_unsynced = true;
		break;
	case CHANNEL_WEBHOOK:
		if (curl_handle(d) == NULL) {
			snprintf(err, errlen, "curl_easy_init failed");
			break;
		}
		res = webhook_deliver(d->curl, d->conf->webhook_timeout_ms, job, &msg,
		    err, errlen);
		break;
	case CHANNEL_SMTP:
		if (curl_handle(d) == NULL) {
			snprintf(err, errlen, "curl_easy_init failed");
			break;
		}
		res = smtp_deliver(d->curl, d->conf, job, &msg, err, errlen);
		break;
	case CHANNEL_COUNT:
		snprintf(err, errlen, "no such channel");
		break;
	}
	free(msg.subject);
	free(msg.body);
	return res;
}
