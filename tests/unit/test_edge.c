/* The request edge and the text checks under it: what is text, what a log
 * line shows of what is not, what each part of a request may hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sys/queue.h>
#include <unistd.h>
#include "edge.h"
#include "log.h"
#include "password.h"
#include "payload.h"
#include "util.h"

static void
test_utf8(void **state)
{
	(void)state;
	assert_true(utf8_valid("", 0));
	assert_true(utf8_valid("项目 abc", strlen("项目 abc")));
	assert_true(utf8_valid("\xf0\x9f\x98\x80", 4));
	assert_false(utf8_valid("\xe9\xa1", 2));		/* cut short */
	assert_false(utf8_valid("\xc0\xaf", 2));		/* overlong */
	assert_false(utf8_valid("\xed\xa0\x80", 3));	/* surrogate */
	assert_false(utf8_valid("\xf4\x90\x80\x80", 4));	/* past U+10FFFF */
	assert_false(utf8_valid("\xff", 1));
	assert_false(utf8_valid("a\0b", 3));
}

static void
test_text_plain(void **state)
{
	(void)state;
	assert_true(text_plain("湖南省 430102", strlen("湖南省 430102")));
	assert_false(text_plain("a\nb", 3));
	assert_false(text_plain("a\tb", 3));
	assert_false(text_plain("a\x7f", 2));
	assert_false(text_plain("a\xc2\x85", 3));		/* NEL, a C1 control */
	assert_true(text_plain("\xc2\xa0", 2));		/* no-break space is text */
	assert_false(text_plain("\xff", 1));
}

static void
test_text_escape(void **state)
{
	char out[64];
	(void)state;
	const char forged[] = "/v1/x\r\n20261203 INFO fake";
	text_escape(forged, strlen(forged), out, sizeof out);
	assert_string_equal(out, "/v1/x\\x0d\\x0a20261203 INFO fake");
	text_escape("项\xff\\", 5, out, sizeof out);
	assert_string_equal(out, "项\\xff\\x5c");
	/* cut to fit, never in the middle of an escape or a character */
	text_escape("\n\n\n\n", 4, out, 10);
	assert_string_equal(out, "\\x0a\\x0a");
	text_escape("项项项", 9, out, 8);
	assert_string_equal(out, "项项");
}

static void
test_utf8_copy(void **state)
{
	char out[8];
	(void)state;
	assert_string_equal(utf8_copy(out, sizeof out, "abc"), "abc");
	assert_string_equal(utf8_copy(out, sizeof out, "项项项"), "项项");	/* 9 bytes into 7 */
	assert_string_equal(utf8_copy(out, 5, "a项"), "a项");	/* 4 bytes and the NUL */
	assert_string_equal(utf8_copy(out, 4, "a项"), "a");
}

/* log.c writes every message as one line, whatever text it quotes */
static void
test_log_one_line(void **state)
{
	char path[] = "/tmp/procurd-test-log.XXXXXX", got[512];
	(void)state;
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stderr);
	int saved = dup(2);
	dup2(fd, 2);
	log_warn("http: %s: %d", "/v1/x\r\n20261203 12:00:00 ERROR procurd- forged", 503);
	log_warn("name: %s", "项目\xff");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	ssize_t n = read(fd, got, sizeof got - 1);
	close(fd);
	unlink(path);
	assert_true(n > 0);
	got[n] = '\0';
	assert_string_equal(got, "http: /v1/x\\x0d\\x0a20261203 12:00:00 ERROR procurd- forged: 503\n"
	    "name: 项目\\xff\n");
}

static void
test_path(void **state)
{
	struct edge_err e;
	char *p;
	(void)state;
	assert_int_equal(edge_path("/v1/agencies/%E6%B9%96", &p, &e), 0);
	assert_string_equal(p, "/v1/agencies/湖");
	free(p);
	assert_int_equal(edge_path("/v1/projects/1%00/events", &p, &e), -1);
	assert_int_equal(e.status, 400);
	assert_string_equal(e.field, "path");
	assert_null(p);
	assert_int_equal(edge_path("v1", &p, &e), -1);
	char long_path[EDGE_PATH_MAX + 8];
	memset(long_path, 'a', sizeof long_path - 1);
	long_path[0] = '/';
	long_path[sizeof long_path - 1] = '\0';
	assert_int_equal(edge_path(long_path, &p, &e), -1);
}

static void
test_query(void **state)
{
	struct evkeyvalq q;
	struct edge_err e;
	(void)state;
	TAILQ_INIT(&q);
	assert_int_equal(edge_query("state=draft&agency=430102", &q, &e), 0);
	assert_string_equal(evhttp_find_header(&q, "agency"), "430102");
	evhttp_clear_headers(&q);
	assert_int_equal(edge_query("agency=43%00", &q, &e), -1);
	assert_string_equal(e.code, "malformed");
	assert_string_equal(e.field, "query");
	evhttp_clear_headers(&q);
	assert_int_equal(edge_query("agency=%ff", &q, &e), -1);
	assert_string_equal(e.code, "invalid_field");
	assert_string_equal(e.field, "agency");
	evhttp_clear_headers(&q);
	/* evhttp leaves names encoded: a raw byte is what can reach one */
	assert_int_equal(edge_query("\xff=1", &q, &e), -1);
	assert_string_equal(e.field, "query");
	evhttp_clear_headers(&q);
	assert_int_equal(edge_query("a=%0d%0a", &q, &e), -1);
	assert_string_equal(e.field, "a");
	evhttp_clear_headers(&q);
	assert_int_equal(edge_query(NULL, &q, &e), 0);
}

static void
test_headers_and_params(void **state)
{
	struct edge_err e;
	(void)state;
	assert_int_equal(edge_idem_key(NULL, &e), 0);
	assert_int_equal(edge_idem_key("retry-7 项目", &e), 0);
	assert_int_equal(edge_idem_key("", &e), -1);
	assert_int_equal(edge_idem_key("k\xff", &e), -1);
	assert_string_equal(e.field, "Idempotency-Key");
	assert_true(edge_auth_ok("Bearer 0123abcd"));
	assert_false(edge_auth_ok("Bearer 01\xff"));
	assert_false(edge_auth_ok("Bearer a\r\nb"));
	assert_int_equal(edge_param("code", "430102", &e), 0);
	assert_int_equal(edge_param("code", "43\x01", &e), -1);
	assert_string_equal(e.field, "code");
}

static void
test_body(void **state)
{
	struct edge_err e;
	json_t *j;
	(void)state;
	assert_int_equal(edge_body("{\"a\":1}", 7, &j, &e), 0);
	json_decref(j);
	assert_int_equal(edge_body("{\"a\":1}\0", 8, &j, &e), -1);
	assert_int_equal(edge_body("[1]", 3, &j, &e), -1);
	assert_int_equal(edge_body("{\"a\":1,\"a\":2}", 13, &j, &e), -1);
	assert_int_equal(edge_body("{\"a\":\"\\u0000\"}", 14, &j, &e), -1);
	/* jansson quotes the bad bytes: the message stays UTF-8 */
	assert_int_equal(edge_body("{\"a\":\"\xff\"}", 9, &j, &e), -1);
	assert_true(text_plain(e.message, strlen(e.message)));
	char deep[200] = "{\"a\":";
	for (int i = 0; i < 40; i++)
		strcat(deep, "[");
	for (int i = 0; i < 40; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	assert_int_equal(edge_body(deep, strlen(deep), &j, &e), -1);
	assert_non_null(strstr(e.message, "nested"));
	/* text: lines are fine, other controls and pages of it are not */
	const char *lines = "{\"inspection\":\"visited\\n12 households\\tok\"}";
	assert_int_equal(edge_body(lines, strlen(lines), &j, &e), 0);
	json_decref(j);
	const char *esc = "{\"p\":{\"title\":\"a\\u001b[31mred\"}}";
	assert_int_equal(edge_body(esc, strlen(esc), &j, &e), -1);
	assert_string_equal(e.field, "title");
	char *big = malloc(EDGE_TEXT_MAX + 40);
	int n = sprintf(big, "{\"items\":[\"");
	memset(big + n, 'x', EDGE_TEXT_MAX + 1);
	strcpy(big + n + EDGE_TEXT_MAX + 1, "\"]}");
	assert_int_equal(edge_body(big, strlen(big), &j, &e), -1);
	assert_string_equal(e.field, "items");
	free(big);
}

static void
test_route_bodies(void **state)
{
	struct edge_err e;
	char key[200] = "", body[300];
	(void)state;
	json_t *b = json_pack("{s:I,s:I}", "contractor_id", (json_int_t)3, "price_fen",
	    (json_int_t)9);
	assert_int_equal(payload_check(PAYLOAD_BID, b, &e), 0);
	json_object_set_new(b, "price_fen", json_string("9"));
	assert_int_equal(payload_check(PAYLOAD_BID, b, &e), -1);
	assert_string_equal(e.code, "invalid_field");
	assert_string_equal(e.field, "price_fen");
	json_object_del(b, "price_fen");
	assert_int_equal(payload_check(PAYLOAD_BID, b, &e), -1);
	assert_int_equal(e.status, 422);
	assert_string_equal(e.rule, "payload_required");
	json_decref(b);
	/* an unknown field's name is given whole in details, never cut into
	 * the message */
	for (int i = 0; i < 40; i++)
		strcat(key, "项");
	snprintf(body, sizeof body, "{\"%s\":1}", key);
	b = json_loads(body, 0, NULL);
	assert_int_equal(payload_check(PAYLOAD_PROJECT, b, &e), -1);
	assert_string_equal(e.code, "unknown_field");
	assert_true(utf8_valid(e.field, strlen(e.field)));
	assert_true(utf8_valid(e.message, strlen(e.message)));
	json_decref(b);
	assert_int_equal(payload_check(PAYLOAD_NONE, NULL, &e), 0);
}

/* A body's values, each route's in the order the store used to check
 * them: the first out of range names its field with the message it had. */
static void
test_route_values(void **state)
{
	struct edge_err e;
	(void)state;
	json_t *b = json_pack("{s:s,s:I,s:s,s:I,s:s,s:s,s:[s]}", "agency", "A", "fiscal_year",
	    (json_int_t)2027, "title", "t", "budget_fen", (json_int_t)0, "funding_source",
	    "work_funds", "service_start", "2027-01-01", "catalog_items", "X1");
	assert_int_equal(payload_check(PAYLOAD_PROJECT, b, &e), 0);
	assert_int_equal(payload_values(PAYLOAD_PROJECT, b, &e), 0);
	/* every boundary: 2000 and 2100 are years, 1999 and 2101 not */
	static const json_int_t years[] = { 1999, 2000, 2100, 2101 };
	for (int i = 0; i < 4; i++) {
		json_object_set_new(b, "fiscal_year", json_integer(years[i]));
		assert_int_equal(payload_values(PAYLOAD_PROJECT, b, &e), i == 0 || i == 3 ? -1 : 0);
	}
	assert_string_equal(e.field, "fiscal_year");
	assert_string_equal(e.message, "fiscal_year must be between 2000 and 2100");
	assert_int_equal(e.status, 400);
	assert_string_equal(e.code, "invalid_field");
	/* two bad values: the first in the checking order wins, whatever the
	 * body's order */
	json_object_set_new(b, "catalog_items", json_pack("[i]", 3));
	json_object_set_new(b, "service_start", json_string("2027-02-30"));
	assert_int_equal(payload_values(PAYLOAD_PROJECT, b, &e), -1);
	assert_string_equal(e.field, "fiscal_year");
	json_object_set_new(b, "fiscal_year", json_integer(2027));
	assert_int_equal(payload_values(PAYLOAD_PROJECT, b, &e), -1);
	assert_string_equal(e.field, "service_start");
	assert_string_equal(e.message, "service_start must be a date YYYY-MM-DD");
	json_object_set_new(b, "service_start", json_null());	/* null: not given */
	assert_int_equal(payload_values(PAYLOAD_PROJECT, b, &e), -1);
	assert_string_equal(e.field, "catalog_items");
	json_object_set_new(b, "catalog_items", json_array());
	json_object_set_new(b, "budget_fen", json_integer(-1));
	assert_int_equal(payload_values(PAYLOAD_PROJECT, b, &e), -1);
	assert_string_equal(e.field, "budget_fen");
	json_object_set_new(b, "budget_fen", json_integer(0));
	json_object_set_new(b, "method", json_string("lottery"));
	assert_int_equal(payload_values(PAYLOAD_PROJECT, b, &e), -1);
	assert_string_equal(e.field, "method");
	json_decref(b);

	b = json_pack("{s:I,s:I,s:I,s:f}", "special_funds_fen", (json_int_t)1, "work_funds_fen",
	    (json_int_t)0, "lottery_funds_fen", (json_int_t)0, "cap_percent", 100.0);
	assert_int_equal(payload_values(PAYLOAD_BUDGET, b, &e), 0);
	json_object_set_new(b, "cap_percent", json_real(100.01));
	assert_int_equal(payload_values(PAYLOAD_BUDGET, b, &e), -1);
	assert_string_equal(e.field, "cap_percent");
	json_object_set_new(b, "work_funds_fen", json_integer(-5));
	assert_int_equal(payload_values(PAYLOAD_BUDGET, b, &e), -1);
	assert_string_equal(e.field, "work_funds_fen");
	assert_string_equal(e.message, "amounts must not be negative");
	json_decref(b);

	b = json_pack("{s:s,s:s,s:s}", "name", "n", "kind", "enterprise", "credit_code", "x");
	assert_int_equal(payload_values(PAYLOAD_CONTRACTOR, b, &e), -1);
	assert_string_equal(e.field, "credit_code");
	assert_true(!strncmp(e.message, "credit_code: ", 13));
	json_object_set_new(b, "kind", json_string("person"));
	assert_int_equal(payload_values(PAYLOAD_CONTRACTOR, b, &e), -1);
	assert_string_equal(e.field, "kind");
	json_decref(b);

	b = json_pack("{s:I,s:I}", "contractor_id", (json_int_t)3, "price_fen", (json_int_t)1);
	assert_int_equal(payload_values(PAYLOAD_BID, b, &e), 0);
	json_object_set_new(b, "price_fen", json_integer(0));
	assert_int_equal(payload_values(PAYLOAD_BID, b, &e), -1);
	assert_string_equal(e.message, "price_fen must be positive");
	json_decref(b);
	assert_int_equal(payload_values(PAYLOAD_NONE, NULL, &e), 0);
}

static void
test_session_cookie(void **state)
{
	(void)state;
	const char *hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char header[256];
	snprintf(header, sizeof header, "theme=dark; procurd_session=%s; lang=zh", hex);
	char *v = edge_cookie(header, "procurd_session");
	assert_non_null(v);
	assert_string_equal(v, hex);
	free(v);
	snprintf(header, sizeof header, "procurd_session=%s", hex);
	v = edge_cookie(header, "procurd_session");
	assert_string_equal(v, hex);
	free(v);
	/* not its shape: no session at all */
	assert_null(edge_cookie("procurd_session=../../etc/passwd", "procurd_session"));
	snprintf(header, sizeof header, "procurd_session=%sff", hex);	/* 66 digits */
	assert_null(edge_cookie(header, "procurd_session"));
	snprintf(header, sizeof header, "procurd_session=%.63sG", hex);
	assert_null(edge_cookie(header, "procurd_session"));
	snprintf(header, sizeof header, "xprocurd_session=%s", hex);
	assert_null(edge_cookie(header, "procurd_session"));
	assert_null(edge_cookie(NULL, "procurd_session"));
	assert_null(edge_cookie("", "procurd_session"));
	v = edge_csrf(hex);
	assert_string_equal(v, hex);
	free(v);
	assert_null(edge_csrf("0123"));
	assert_null(edge_csrf(NULL));
	snprintf(header, sizeof header, "%.63s\n", hex);
	assert_null(edge_csrf(header));
}

static void
test_passwords(void **state)
{
	char hash[PASSWORD_HASH_MAX], pw[17], other[17];
	(void)state;
	assert_int_equal(password_hash("ten chars!", hash), 0);
	assert_true(!strncmp(hash, "$y$", 3));
	assert_true(password_verify("ten chars!", hash));
	assert_false(password_verify("ten chars?", hash));
	assert_false(password_verify("ten chars!", ""));
	assert_false(password_verify("ten chars!", "$1$md5salt$not-yescrypt"));
	char again[PASSWORD_HASH_MAX];
	assert_int_equal(password_hash("ten chars!", again), 0);
	assert_string_not_equal(hash, again);	/* a fresh salt each time */
	/* the policy's boundaries: 9 characters no, 10 yes, counted as characters */
	assert_non_null(password_weak("123456789", "li.ming"));
	assert_null(password_weak("1234567890", "li.ming"));
	assert_non_null(password_weak("九个汉字的密码而已", "li.ming"));
	assert_null(password_weak("十个汉字的密码就可以了", "li.ming"));
	assert_non_null(password_weak("Li.Ming.2026", "li.ming.2026"));	/* the name */
	assert_non_null(password_weak("tab\there ok", "x"));
	char big[PASSWORD_MAX + 2];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_non_null(password_weak(big, "x"));
	big[PASSWORD_MAX] = '\0';
	assert_null(password_weak(big, "x"));
	/* one-time passwords: 16 of the alphabet without look-alikes, different */
	assert_int_equal(password_one_time(pw), 0);
	assert_int_equal(password_one_time(other), 0);
	assert_int_equal(strlen(pw), 16);
	assert_string_not_equal(pw, other);
	assert_int_equal(strspn(pw, "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY23456789"), 16);
	assert_null(password_weak(pw, "x"));
}

static void
test_time_range(void **state)
{
	usec_t t;
	int32_t d;
	(void)state;
	assert_int_equal(time_parse("8999-12-31T23:59:59Z", &t), 0);
	assert_int_equal(time_parse("9000-01-01T00:00:00Z", &t), -1);
	assert_int_equal(time_parse("9999-12-31T23:59:59Z", &t), -1);
	assert_int_equal(time_parse("9000-01-01T07:00:00+08:00", &t), 0);	/* 8999 in UTC */
	assert_int_equal(time_parse("1969-12-31T23:59:59Z", &t), 0);
	assert_int_equal(time_parse("1899-12-31T23:59:59Z", &t), -1);
	assert_int_equal(date_parse("8999-12-31", &d), 0);
	assert_int_equal(date_parse("9000-01-01", &d), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_text_plain),
		cmocka_unit_test(test_text_escape),
		cmocka_unit_test(test_utf8_copy),
		cmocka_unit_test(test_log_one_line),
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_headers_and_params),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_time_range),
		cmocka_unit_test(test_route_bodies),
		cmocka_unit_test(test_route_values),
		cmocka_unit_test(test_session_cookie),
		cmocka_unit_test(test_passwords),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
