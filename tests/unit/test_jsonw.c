/* jsonw_dump() prints what json_dumps(J, JSON_COMPACT | JSON_ENCODE_ANY)
 * prints, byte for byte: chosen edge cases, then thousands of random trees. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "coro.h"
#include "jsonw.h"
#include "pool.h"

static void
same(json_t *j)
{
	char *want = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	size_t len = 0;
	char *got = jsonw_dump(j, &len);
	assert_non_null(want);
	assert_non_null(got);
	assert_string_equal(got, want);
	assert_int_equal(len, strlen(want));
	/* and it reads back as the same value */
	json_t *back = json_loads(got, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	assert_non_null(back);
	assert_true(json_equal(back, j));
	json_decref(back);
	free(want);
	free(got);
	json_decref(j);
}

static void
test_scalars(void **state)
{
	(void)state;
	same(json_null());
	same(json_true());
	same(json_false());
	same(json_integer(0));
	same(json_integer(-1));
	same(json_integer(INT64_MAX));
	same(json_integer(INT64_MIN));
	same(json_integer(1234567890123));
	const double reals[] = { 0.0, -0.0, 1.0, -1.0, 0.1, 1.5, 100.0, 1e15, 1e16, 1e17, 1e21,
		1e22, 1e300, -1e300, 1e-5, 1.5e-7, 1e-300, 5e-324, 123456789.125, 2.0 / 3.0,
		1.7976931348623157e308, 9007199254740993.0 };
	for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++)
		same(json_real(reals[i]));
}

/* OCDS's amounts: every fen amount in yuan written with the fewest digits
 * that read back as the same double, so a publisher's 0.29 is 0.29. */
static void
test_decimal(void **state)
{
	(void)state;
	static const struct { int64_t fen; const char *want; } cases[] = {
		{ 29, "0.29" }, { 123429, "1234.29" }, { 1000000, "10000.0" }, { 1, "0.01" },
		{ 10, "0.1" }, { 99999999999999, "999999999999.99" }, { -29, "-0.29" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *j = json_real((double)cases[i].fen / 100.0);
		char *got = jsonw_dump_decimal(j, NULL);
		assert_string_equal(got, cases[i].want);
		free(got);
		json_decref(j);
	}
	/* every fen amount up to a million yuan, exact in the text */
	char buf[64];
	for (int64_t fen = 0; fen < 100000000; fen += 997) {
		json_t *j = json_real((double)fen / 100.0);
		char *got = jsonw_dump_decimal(j, NULL);
		snprintf(buf, sizeof buf, "%lld.%02lld", (long long)(fen / 100), (long long)(fen % 100));
		/* the same number as "yuan.fen", trailing zeros aside */
		assert_true(strtod(got, NULL) == strtod(buf, NULL));
		assert_true(strlen(got) <= strlen(buf) + 1);
		free(got);
		json_decref(j);
	}
	/* the rest of a tree as jsonw_dump() writes it */
	json_t *t = json_pack("{s:f,s:s,s:[i]}", "amount", 0.29, "currency", "CNY", "n", 3);
	char *got = jsonw_dump_decimal(t, NULL);
	assert_string_equal(got, "{\"amount\":0.29,\"currency\":\"CNY\",\"n\":[3]}");
	free(got);
	json_decref(t);
}

static void
test_strings(void **state)
{
	(void)state;
	same(json_string(""));
	same(json_string("plain"));
	same(json_string("quote \" backslash \\ slash / tab \t newline \n cr \r"));
	same(json_string("\b\f\x01\x02\x1f\x7f end"));
	same(json_string("民政局 政府购买服务 ✓ 𝄞"));
	same(json_stringn("nul \0 inside", 12));
	char all[128];
	for (int i = 1; i < 128; i++)
		all[i - 1] = (char)i;
	all[127] = '\0';
	same(json_string(all));
	/* each byte that needs an escape, at every place of a string read
	 * eight bytes at a time, next to multi-byte characters */
	const char specials[] = { '"', '\\', '\n', '\x01', '\x1f', '\t' };
	for (size_t k = 0; k < sizeof specials; k++) {
		static const char base[] = "abcdefgh\xc3\xa9ijklmnop\xe6\xb0\x91qrstuvwx";
		for (size_t at = 0; at + 1 < sizeof base; at++) {
			char buf[sizeof base];
			memcpy(buf, base, sizeof base);
			buf[at] = specials[k];
			json_t *j = json_string(buf);
			if (j == NULL)	/* the byte broke a multi-byte character */
				continue;
			same(j);
		}
	}
}

static void
test_containers(void **state)
{
	(void)state;
	same(json_object());
	same(json_array());
	same(json_pack("{s:[],s:{},s:[{}],s:[[[]]]}", "a", "b", "c", "d"));
	same(json_pack("{s:s,s:i,s:f,s:b,s:n,s:[i,s,{s:s}]}", "key \"q\"\n", "v", "n", 7,
	    "r", 0.25, "t", 1, "z", "arr", 1, "two", "k", "民"));
	/* insertion order is kept, as jansson keeps it */
	json_t *o = json_object();
	const char *keys[] = { "zeta", "alpha", "mu", "beta", "omega" };
	for (int i = 0; i < 5; i++)
		json_object_set_new(o, keys[i], json_integer(i));
	json_object_del(o, "mu");
	json_object_set_new(o, "mu", json_string("again"));
	same(o);
}

/* A deterministic pseudo-random generator (xorshift64*). */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
next(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static json_t *
random_string(void)
{
	static const char *const pieces[] = { "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t",
		"\x01", "\x1f", "\x7f", "é", "民", "𝄞", "{", "}", "[", ",", ":" };
	char buf[200];
	size_t n = 0, want = next() % (next() % 4 ? 12 : 40);
	for (size_t i = 0; i < want; i++) {
		const char *p = pieces[next() % (sizeof pieces / sizeof pieces[0])];
		size_t l = strlen(p);
		memcpy(buf + n, p, l);
		n += l;
	}
	return json_stringn(buf, n);
}

static json_t *
random_value(int depth)
{
	switch (next() % (depth > 4 ? 6 : 8)) {
	case 0: return json_null();
	case 1: return json_boolean(next() & 1);
	case 2: {
		int64_t v = (int64_t)next();
		return json_integer(next() & 1 ? v : v % 100000);
	}
	case 3: {
		double d;
		uint64_t bits = next();
		memcpy(&d, &bits, sizeof d);
		if (!isfinite(d))
			d = (double)(int64_t)bits / 1e6;
		return json_real(next() & 1 ? d : (double)(next() % 100000) / 100.0);
	}
	case 4:
	case 5: return random_string();
	case 6: {
		json_t *a = json_array();
		for (uint64_t i = 0, n = next() % 5; i < n; i++)
			json_array_append_new(a, random_value(depth + 1));
		return a;
	}
	default: {
		json_t *o = json_object();
		for (uint64_t i = 0, n = next() % 5; i < n; i++) {
			json_t *k = random_string();
			json_object_set_new(o, json_string_value(k), random_value(depth + 1));
			json_decref(k);
		}
		return o;
	}
	}
}

static void
test_random_trees(void **state)
{
	(void)state;
	for (int i = 0; i < 5000; i++)
		same(random_value(0));
}

/* A value PostgreSQL printed (", " and ": " between members, which is how
 * jansson prints without JSON_COMPACT) comes out as the compact dump:
 * spaces inside strings, escaped quotes and backslashes kept. */
static void
test_pg_json(void **state)
{
	(void)state;
	for (int i = 0; i < 5000; i++) {
		json_t *j = random_value(0);
		char *spaced = json_dumps(j, JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
		char *want = jsonw_dump(j, NULL);
		struct jsonw w;
		jsonw_init(&w);
		jsonw_pg_json(&w, spaced);
		char *got = jsonw_finish(&w, NULL);
		assert_string_equal(got, want);
		free(got);
		free(want);
		free(spaced);
		json_decref(j);
	}
	struct jsonw w;
	jsonw_init(&w);
	jsonw_pg_json(&w, "{\"a b\": \"x \\\" y\\\\\", \"c\": [1, 2.5, null]}");
	char *got = jsonw_finish(&w, NULL);
	assert_string_equal(got, "{\"a b\":\"x \\\" y\\\\\",\"c\":[1,2.5,null]}");
	free(got);
}

/* Jobs dump their answers on a coroutine's stack: as deep as the parser lets
 * a request go. */
static void
dump_deep(void *arg)
{
	bool *ok = arg;
	size_t depth = 2048;
	char *text = malloc(2 * depth + 1);
	for (size_t i = 0; i < depth; i++) {
		text[i] = '[';
		text[2 * depth - 1 - i] = ']';
	}
	text[2 * depth] = '\0';
	json_t *j = json_loads(text, 0, NULL);
	char *out = j ? jsonw_dump(j, NULL) : NULL;
	*ok = out && !strcmp(out, text);
	free(out);
	json_decref(j);
	free(text);
}

static void
ignore(void *arg)
{
	(void)arg;
}

static void
test_deep_on_a_jobs_stack(void **state)
{
	(void)state;
	bool ok = false;
	struct coro *c = coro_new(POOL_STACK_BYTES);
	coro_start(c, dump_deep, ignore, &ok);
	assert_true(ok);
	coro_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_decimal),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_containers),
		cmocka_unit_test(test_random_trees),
		cmocka_unit_test(test_pg_json),
		cmocka_unit_test(test_deep_on_a_jobs_stack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
