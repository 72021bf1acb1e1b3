/* Jobs and acks: checking what the daemon sends, encoding what we answer. */
#include "job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *const channel_names[] = {
	[CHANNEL_SPOOL] = "spool",
	[CHANNEL_WEBHOOK] = "webhook",
	[CHANNEL_SMTP] = "smtp",
};
_Static_assert(sizeof channel_names / sizeof channel_names[0] == CHANNEL_COUNT,
    "channel_names out of step with enum channel");

const char *
job_channel_name(enum channel c)
{
	return (unsigned)c < CHANNEL_COUNT ? channel_names[c] : "?";
}

static int
channel_from_name(const char *s, enum channel *out)
{
	for (int i = 0; i < CHANNEL_COUNT; i++)
		if (strcmp(s, channel_names[i]) == 0) {
			*out = (enum channel)i;
			return 0;
		}
	return -1;
}

/* Template names become file names: keep them to [a-z0-9_]. */
static bool
template_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static bool
lang_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 2 || n > 8)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || *s == '-' || *s == '_'))
			return false;
	return true;
}

void
job_free(struct job *job)
{
	if (job == NULL)
		return;
	free(job->recipient);
	free(job->template_name);
	free(job->lang);
	json_decref(job->data);
	free(job);
}

#define BAD(...) do { snprintf(why, whylen, __VA_ARGS__); goto done; } while (0)

struct job *
job_parse(const void *buf, size_t len, char *why, size_t whylen, int64_t *id)
{
	json_error_t jerr;
	json_t *root = NULL, *v;
	struct job *job = NULL, *ok = NULL;
	const char *s;

	*id = -1;
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		BAD("bad json: %s", jerr.text);
	if (!json_is_object(root))
		BAD("not a json object");
	v = json_object_get(root, "id");
	if (json_is_integer(v) && json_integer_value(v) > 0)
		*id = json_integer_value(v);
	v = json_object_get(root, "v");
	if (!json_is_integer(v) || json_integer_value(v) != JOB_VERSION)
		BAD("version is not %d", JOB_VERSION);
	if (*id < 0)
		BAD("id missing or not a positive integer");

	job = xcalloc(1, sizeof *job);
	job->id = *id;

	v = json_object_get(root, "channel");
	if (!json_is_string(v) || channel_from_name(json_string_value(v), &job->channel) != 0)
		BAD("channel missing or unknown");

	v = json_object_get(root, "recipient");
	if (!json_is_string(v) || json_string_length(v) == 0)
		BAD("recipient missing or not a string");
	s = json_string_value(v);	/* no NUL inside: json_loadb refuses \u0000 */
	job->recipient = xstrdup(s);

	v = json_object_get(root, "template");
	if (!json_is_string(v) || !template_name_ok(json_string_value(v)))
		BAD("template missing or not a name of [a-z0-9_]");
	job->template_name = xstrdup(json_string_value(v));

	v = json_object_get(root, "lang");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_string(v) || !lang_ok(json_string_value(v)))
			BAD("lang is not a language code");
		job->lang = xstrdup(json_string_value(v));
	}

	/* null: the notification is an agency's, not a project's (its
	 * funding plan); 0 stands for none here, ids start at 1 */
	v = json_object_get(root, "project_id");
	if (json_is_null(v))
		job->project_id = 0;
	else if (!json_is_integer(v) || json_integer_value(v) < 1)
		BAD("project_id missing or not a positive integer or null");
	else
		job->project_id = json_integer_value(v);

	v = json_object_get(root, "data");
	if (!json_is_object(v))
		BAD("data missing or not an object");
	job->data = json_incref(v);

	ok = job;
	job = NULL;
done:
	job_free(job);
	json_decref(root);
	return ok;
}

char *
job_ack_encode(int64_t id, bool ok, const char *error)
{
	json_t *ack;
	char *s;

	ack = json_pack("{s:i, s:I, s:b, s:o}", "v", JOB_VERSION, "id", (json_int_t)id,
	    "ok", ok, "error", error ? json_string(error) : json_null());
	if (ack == NULL) {
		/* Only an error text that is not UTF-8 gets here. */
		ack = json_pack("{s:i, s:I, s:b, s:s}", "v", JOB_VERSION, "id",
		    (json_int_t)id, "ok", ok, "error", "error text not UTF-8");
	}
	s = json_dumps(ack, JSON_COMPACT);
	json_decref(ack);
	if (s == NULL)
		abort();
	/* jansson's allocator is malloc: the caller's free() matches. */
	return s;
}
