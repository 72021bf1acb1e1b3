/* Unit tests: what the channels send — webhook bodies, mail messages. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../workers/job.h"
#include "../../workers/smtp.h"
#include "../../workers/webhook.h"

static struct job *
make_job(const char *channel, const char *recipient)
{
	char frame[512], why[128];
	int64_t seen;
	struct job *job;

	snprintf(frame, sizeof frame, "{\"v\":1,\"id\":42,\"channel\":\"%s\","
	    "\"recipient\":\"%s\",\"template\":\"award_made\",\"project_id\":7,"
	    "\"data\":{\"title\":\"社区养老\",\"price_fen\":100}}", channel, recipient);
	job = job_parse(frame, strlen(frame), why, sizeof why, &seen);
	assert_non_null(job);
	return job;
}

static void
test_webhook_body(void **state)
{
	struct job *job = make_job("webhook", "http://127.0.0.1/hook");
	struct message msg = { "zh", "主题", "正文" };
	char *body = webhook_build_body(job, &msg);
	json_t *o = json_loads(body, 0, NULL);

	(void)state;
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "id")), 42);
	assert_string_equal(json_string_value(json_object_get(o, "template")), "award_made");
	assert_int_equal(json_integer_value(json_object_get(o, "project_id")), 7);
	assert_string_equal(json_string_value(json_object_get(o, "subject")), "主题");
	assert_string_equal(json_string_value(json_object_get(o, "body")), "正文");
	assert_string_equal(json_string_value(json_object_get(o, "lang")), "zh");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "data"),
	    "price_fen")), 100);
	json_decref(o);
	free(body);
	job_free(job);
}

/* Decode the base64 of S up to the first byte outside the alphabet, skipping
 * CRLF; the caller frees the result. */
static char *
unbase64(const char *s, const char *end)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = calloc(1, strlen(s) + 1), *o = out;
	unsigned v = 0;
	int bits = 0;

	for (; s < end && *s && *s != '='; s++) {
		const char *p;

		if (*s == '\r' || *s == '\n')
			continue;
		p = strchr(a, *s);
		if (p == NULL)
			break;
		v = (v << 6) | (unsigned)(p - a);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*o++ = (char)((v >> bits) & 0xff);
		}
	}
	return out;
}

static void
test_smtp_message(void **state)
{
	char *m, *p, *q, *subject, *body;
	const char *long_subject =
	    "项目「社区居家养老服务（岳麓区2026年度第一批）」已确定承接主体，请及时签订合同";

	(void)state;
	/* 2026-03-01T01:30:00Z */
	m = smtp_build_message("procurd@example.gov.cn", "li.ming@example.cn", 42,
	    long_subject, "第一行\n第二行", INT64_C(1772328600) * 1000000);
	/* Every line ends in CRLF and none is longer than 78 characters. */
	for (p = m; *p; p = q + 1) {
		q = strchr(p, '\n');
		assert_non_null(q);
		assert_true(q > p ? q[-1] == '\r' : 0);
		assert_true(q - p - 1 <= 78);
	}
	assert_non_null(strstr(m, "\r\nFrom: <procurd@example.gov.cn>\r\n"));
	assert_non_null(strstr(m, "\r\nTo: <li.ming@example.cn>\r\n"));
	assert_non_null(strstr(m, "\r\nMessage-ID: <procurd.outbox.42@example.gov.cn>\r\n"));
	assert_non_null(strstr(m, "\r\nContent-Type: text/plain; charset=UTF-8\r\n"));
	assert_non_null(strstr(m, "\r\nMIME-Version: 1.0\r\n"));
	assert_non_null(strstr(m, "\r\nContent-Transfer-Encoding: base64\r\n"));
	assert_true(strncmp(m, "Date: ", 6) == 0);
	assert_non_null(strstr(m, " 2026 "));

	/* The subject: encoded words that decode back to the text. */
	p = strstr(m, "\r\nSubject: ");
	assert_non_null(p);
	p += 11;
	subject = calloc(1, 1024);
	while (strncmp(p, "=?UTF-8?B?", 10) == 0) {
		char *word;

		p += 10;
		q = strstr(p, "?=");
		assert_non_null(q);
		assert_true(q - p + 12 <= 75);
		word = unbase64(p, q);
		/* Each word is whole UTF-8 by itself (RFC 2047 §5). */
		assert_true(strlen(word) == 0 || ((unsigned char)word[0] & 0xc0) != 0x80);
		strcat(subject, word);
		free(word);
		p = q + 2;
		if (strncmp(p, "\r\n ", 3) == 0)
			p += 3;
	}
	assert_string_equal(subject, long_subject);
	free(subject);

	/* The body: base64 of CRLF text. */
	p = strstr(m, "\r\n\r\n");
	assert_non_null(p);
	body = unbase64(p + 4, p + strlen(p));
	assert_string_equal(body, "第一行\r\n第二行\r\n");
	free(body);
	free(m);
}

static void
test_addresses(void **state)
{
	(void)state;
	assert_true(smtp_address_ok("li.ming@example.cn"));
	assert_true(smtp_address_ok("a+b@x"));
	assert_false(smtp_address_ok(""));
	assert_false(smtp_address_ok("noat"));
	assert_false(smtp_address_ok("@x"));
	assert_false(smtp_address_ok("a@"));
	assert_false(smtp_address_ok("a@b@c"));
	assert_false(smtp_address_ok("a b@c"));
	assert_false(smtp_address_ok("a@c\r\nRCPT TO:<x@y>"));
	assert_false(smtp_address_ok("<a@c>"));
	assert_false(smtp_address_ok("a@c>, <b@d"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_webhook_body),
		cmocka_unit_test(test_smtp_message),
		cmocka_unit_test(test_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
