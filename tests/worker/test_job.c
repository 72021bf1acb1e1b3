/* Unit tests: job frames as the daemon sends them, good and malformed; acks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../workers/job.h"

static struct job *
parse(const char *frame, char *why, size_t whylen, int64_t *id)
{
	return job_parse(frame, strlen(frame), why, whylen, id);
}

static void
test_valid(void **state)
{
	char why[256];
	int64_t id;
	struct job *job;

	(void)state;
	job = parse("{\"v\":1,\"id\":42,\"channel\":\"spool\",\"recipient\":"
	    "\"agency:430102:reviewers\",\"template\":\"needs_submitted\",\"lang\":\"en\","
	    "\"project_id\":7,\"data\":{\"title\":\"社区养老\"},\"extra\":\"ignored\"}",
	    why, sizeof why, &id);
	assert_non_null(job);
	assert_int_equal(id, 42);
	assert_int_equal(job->id, 42);
	assert_int_equal(job->channel, CHANNEL_SPOOL);
	assert_string_equal(job->recipient, "agency:430102:reviewers");
	assert_string_equal(job->template_name, "needs_submitted");
	assert_string_equal(job->lang, "en");
	assert_int_equal(job->project_id, 7);
	assert_string_equal(json_string_value(json_object_get(job->data, "title")), "社区养老");
	job_free(job);

	/* lang is optional; null is the same as absent. */
	job = parse("{\"v\":1,\"id\":9007199254740993,\"channel\":\"webhook\",\"recipient\":"
	    "\"http://x/\",\"template\":\"t\",\"project_id\":1,\"data\":{}}", why, sizeof why, &id);
	assert_non_null(job);
	assert_int_equal(job->id, INT64_C(9007199254740993));
	assert_null(job->lang);
	assert_int_equal(job->channel, CHANNEL_WEBHOOK);
	job_free(job);
	job = parse("{\"v\":1,\"id\":3,\"channel\":\"smtp\",\"recipient\":\"a@b.cn\","
	    "\"template\":\"t\",\"lang\":null,\"project_id\":1,\"data\":{}}", why, sizeof why, &id);
	assert_non_null(job);
	assert_int_equal(job->channel, CHANNEL_SMTP);
	job_free(job);
	/* An agency's notification (its funding plan): no project. */
	job = parse("{\"v\":1,\"id\":4,\"channel\":\"spool\",\"recipient\":\"agency:43:officer\","
	    "\"template\":\"funding_plan_reminder\",\"project_id\":null,\"data\":{}}", why,
	    sizeof why, &id);
	assert_non_null(job);
	assert_int_equal(job->project_id, 0);
	job_free(job);
	job_free(NULL);
}

static void
expect_malformed(const char *frame, size_t len, int64_t want_id, const char *want_why)
{
	char why[256] = "";
	int64_t id = 12345;
	struct job *job = job_parse(frame, len, why, sizeof why, &id);

	if (job != NULL)
		fail_msg("accepted: %.*s", (int)len, frame);
	assert_int_equal(id, want_id);
	if (strstr(why, want_why) == NULL)
		fail_msg("%.*s: reason \"%s\" does not say \"%s\"", (int)len, frame, why, want_why);
}

#define M(frame, id, why) expect_malformed(frame, strlen(frame), id, why)

static void
test_malformed(void **state)
{
	(void)state;
	M("", -1, "bad json");
	M("not json", -1, "bad json");
	M("{\"v\":1,", -1, "bad json");
	M("[1,2]", -1, "not a json object");
	M("{\"v\":1,\"v\":1}", -1, "bad json");  /* duplicate keys */
	M("{\"id\":5}", 5, "version");
	M("{\"v\":2,\"id\":5}", 5, "version");
	M("{\"v\":\"1\",\"id\":5}", 5, "version");
	M("{\"v\":1}", -1, "id");
	M("{\"v\":1,\"id\":0}", -1, "id");
	M("{\"v\":1,\"id\":-3}", -1, "id");
	M("{\"v\":1,\"id\":\"5\"}", -1, "id");
	M("{\"v\":1,\"id\":5.0}", -1, "id");
	M("{\"v\":1,\"id\":5,\"recipient\":\"x\",\"template\":\"t\",\"project_id\":1,\"data\":{}}",
	    5, "channel");
	M("{\"v\":1,\"id\":5,\"channel\":\"fax\",\"recipient\":\"x\",\"template\":\"t\","
	    "\"project_id\":1,\"data\":{}}", 5, "channel");
	M("{\"v\":1,\"id\":5,\"channel\":\"spool\",\"template\":\"t\",\"project_id\":1,"
	    "\"data\":{}}", 5, "recipient");
	M("{\"v\":1,\"id\":5,\"channel\":\"spool\",\"recipient\":\"\",\"template\":\"t\","
	    "\"project_id\":1,\"data\":{}}", 5, "recipient");
	M("{\"v\":1,\"id\":5,\"channel\":\"spool\",\"recipient\":\"a\\u0000b\",\"template\":\"t\","
	    "\"project_id\":1,\"data\":{}}", -1, "bad json");
	M("{\"v\":1,\"id\":5,\"channel\":\"spool\",\"recipient\":\"x\",\"project_id\":1,"
	    "\"data\":{}}", 5, "template");
	M("{\"v\":1,\"id\":5,\"channel\":\"spool\",\"recipient\":\"x\",\"template\":"
	    "\"../../etc/passwd\",\"project_id\":1,\"data\":{}}", 5, "template");
	M("{\"v\":1,\"id\":5,\"channel\":\"spool\",\"recipient\":\"x\",\"template\":\"t\","
	    "\"lang\":\"../x\",\"project_id\":1,\"data\":{}}", 5, "lang");
	M("{\"v\":1,\"id\":5,\"channel\":\"spool\",\"recipient\":\"x\",\"template\":\"t\","
	    "\"lang\":3,\"project_id\":1,\"data\":{}}", 5, "lang");
	M("{\"v\":1,\"id\":5,\"channel\":\"spool\",\"recipient\":\"x\",\"template\":\"t\","
	    "\"data\":{}}", 5, "project_id");
	M("{\"v\":1,\"id\":5,\"channel\":\"spool\",\"recipient\":\"x\",\"template\":\"t\","
	    "\"project_id\":\"1\",\"data\":{}}", 5, "project_id");
	M("{\"v\":1,\"id\":5,\"channel\":\"spool\",\"recipient\":\"x\",\"template\":\"t\","
	    "\"project_id\":0,\"data\":{}}", 5, "project_id");
	M("{\"v\":1,\"id\":5,\"channel\":\"spool\",\"recipient\":\"x\",\"template\":\"t\","
	    "\"project_id\":1}", 5, "data");
	M("{\"v\":1,\"id\":5,\"channel\":\"spool\",\"recipient\":\"x\",\"template\":\"t\","
	    "\"project_id\":1,\"data\":[]}", 5, "data");
	/* Bytes that are not UTF-8, and an embedded NUL in the frame. */
	M("{\"v\":1,\"id\":5,\"recipient\":\"\xff\"}", -1, "bad json");
	expect_malformed("{\"v\":1}\0garbage", 15, -1, "bad json");
}

static void
test_ack(void **state)
{
	char *s;

	(void)state;
	s = job_ack_encode(42, true, NULL);
	assert_string_equal(s, "{\"v\":1,\"id\":42,\"ok\":true,\"error\":null}");
	free(s);
	s = job_ack_encode(INT64_C(9007199254740993), false, "http 500");
	assert_string_equal(s, "{\"v\":1,\"id\":9007199254740993,\"ok\":false,\"error\":\"http 500\"}");
	free(s);
	s = job_ack_encode(1, false, "bad \xff byte");
	assert_non_null(strstr(s, "\"ok\":false"));
	assert_non_null(strstr(s, "not UTF-8"));
	free(s);
	assert_string_equal(job_channel_name(CHANNEL_SMTP), "smtp");
	assert_string_equal(job_channel_name(CHANNEL_COUNT), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_ack),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
