/* The webhook channel: POST JSON with libcurl; 2xx means delivered. */
#include "webhook.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "util.h"

char *
webhook_build_body(const struct job *job, const struct message *msg)
{
	json_t *o;
	char *s;

	o = json_pack("{s:I, s:s, s:o, s:s, s:s, s:s, s:O}",
	    "id", (json_int_t)job->id,
	    "template", job->template_name,
	    "project_id", job->project_id ? json_integer(job->project_id) : json_null(),
	    "lang", msg->lang,
	    "subject", msg->subject,
	    "body", msg->body,
	    "data", job->data);
	if (o == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/* The receiver's answer is not ours to keep. */
static size_t
discard(char *ptr, size_t size, size_t n, void *user)
{
	(void)ptr;
	(void)user;
	return size * n;
}

static int
url_ok(const char *url)
{
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return 0;
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}

enum deliver_result
webhook_deliver(CURL *curl, long timeout_ms, const struct job *job,
    const struct message *msg, char *err, size_t errlen)
{
	enum deliver_result res = DELIVER_FAILED;
	struct curl_slist *hdrs = NULL;
	char key[64], cerr[CURL_ERROR_SIZE] = "";
	char *body = NULL;
	long status = 0;
	CURLcode cc;

	if (!url_ok(job->recipient)) {
		snprintf(err, errlen, "recipient is not an http or https URL");
		return DELIVER_FAILED;
	}
	body = webhook_build_body(job, msg);
	if (body == NULL) {
		snprintf(err, errlen, "cannot encode the webhook body");
		return DELIVER_FAILED;
	}
	snprintf(key, sizeof key, "Idempotency-Key: %" PRId64, job->id);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, key);
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (hdrs == NULL)
		abort();

	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, job->recipient);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "procur-notify/1");
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, cerr);

	cc = curl_easy_perform(curl);
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "curl: %s", cerr[0] ? cerr : curl_easy_strerror(cc));
		goto done;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300)
		res = DELIVER_OK;
	else
		snprintf(err, errlen, "http %ld", status);
done:
	/* The handle outlives this call: leave it pointing at nothing of ours. */
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, NULL);
	curl_slist_free_all(hdrs);
	free(body);
	return res;
}
