/* The open routes' budget per address (ratelimit.c): a minute's worth in
 * a burst, refilled at the rate, each address on its own, the table's
 * least recently seen address giving its slot up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include "ratelimit.h"

#define SEC INT64_C(1000000)

static void
test_budget(void **state)
{
	(void)state;
	struct ratelimit *l = ratelimit_new(60);	/* one a second */
	int retry = 0;
	usec_t t = 1000 * SEC;
	for (int i = 0; i < 60; i++)
		assert_true(ratelimit_take(l, "10.0.0.1", t, &retry));
	assert_false(ratelimit_take(l, "10.0.0.1", t, &retry));
	assert_int_equal(retry, 1);
	/* another address has its own */
	assert_true(ratelimit_take(l, "10.0.0.2", t, &retry));
	/* a second later one more, then none */
	assert_true(ratelimit_take(l, "10.0.0.1", t + SEC, &retry));
	assert_false(ratelimit_take(l, "10.0.0.1", t + SEC, &retry));
	/* a minute later the burst again, never more */
	for (int i = 0; i < 60; i++)
		assert_true(ratelimit_take(l, "10.0.0.1", t + 120 * SEC, &retry));
	assert_false(ratelimit_take(l, "10.0.0.1", t + 120 * SEC, &retry));
	ratelimit_free(l);
}

static void
test_retry_after(void **state)
{
	(void)state;
	struct ratelimit *l = ratelimit_new(2);	/* one every 30 s */
	int retry = 0;
	usec_t t = 5 * SEC;
	assert_true(ratelimit_take(l, "a", t, &retry));
	assert_true(ratelimit_take(l, "a", t, &retry));
	assert_false(ratelimit_take(l, "a", t, &retry));
	assert_true(retry >= 30 && retry <= 31);
	assert_false(ratelimit_take(l, "a", t + 10 * SEC, &retry));
	assert_true(retry >= 20 && retry <= 21);
	assert_true(ratelimit_take(l, "a", t + 31 * SEC, &retry));
	ratelimit_free(l);
}

/* Far more addresses than slots: the table forgets the least recently
 * seen, whose bucket is then full again; none is refused wrongly. */
static void
test_many_addresses(void **state)
{
	(void)state;
	struct ratelimit *l = ratelimit_new(5);
	int retry;
	char a[32];
	for (int i = 0; i < 20000; i++) {
		snprintf(a, sizeof a, "192.0.%d.%d", i / 256, i % 256);
		assert_true(ratelimit_take(l, a, (usec_t)i, &retry));
	}
	/* the last one is remembered: it has 4 left */
	for (int i = 0; i < 4; i++)
		assert_true(ratelimit_take(l, a, 20000, &retry));
	assert_false(ratelimit_take(l, a, 20000, &retry));
	ratelimit_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_many_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
