/* Coroutines on an event loop: they run until they wait, the loop resumes
 * them when their descriptor is ready, DONE follows their return, and a
 * finished coroutine can be started again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include "coro.h"
#include "pool.h"

struct job {
	struct event_base *base;
	int fd;			/* read end it waits on (-1: none) */
	char got[16];
	int steps;
	int done_calls;
	bool self_inside;
	struct coro *co;
};

static void
run_reader(void *arg)
{
	struct job *j = arg;
	j->self_inside = coro_self() == j->co;
	j->steps++;
	if (j->fd >= 0) {
		assert_int_equal(coro_wait_fd(j->base, j->fd, false), 0);
		j->steps++;
		ssize_t n = read(j->fd, j->got, sizeof j->got - 1);
		assert_true(n > 0);
		j->got[n] = '\0';
	}
}

static void
on_done(void *arg)
{
	struct job *j = arg;
	j->done_calls++;
}

static void
test_runs_until_it_waits_then_resumes(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct event_base *base = event_base_new();
	struct job j = { .base = base, .fd = p[0] };
	j.co = coro_new(64 * 1024);
	assert_non_null(j.co);

	assert_null(coro_self());
	coro_start(j.co, run_reader, on_done, &j);
	/* it ran to its wait and came back to us */
	assert_true(j.self_inside);
	assert_int_equal(j.steps, 1);
	assert_int_equal(j.done_calls, 0);
	assert_null(coro_self());

	assert_int_equal(write(p[1], "ready", 5), 5);
	event_base_loop(base, EVLOOP_ONCE);
	assert_int_equal(j.steps, 2);
	assert_string_equal(j.got, "ready");
	assert_int_equal(j.done_calls, 1);

	coro_free(j.co);
	event_base_free(base);
	close(p[0]);
	close(p[1]);
}

static void
test_finishes_without_waiting_and_is_reused(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	struct job j = { .base = base, .fd = -1 };
	j.co = coro_new(64 * 1024);
	for (int i = 0; i < 3; i++) {
		coro_start(j.co, run_reader, on_done, &j);
		assert_int_equal(j.done_calls, i + 1);
	}
	assert_int_equal(j.steps, 3);
	coro_free(j.co);
	event_base_free(base);
}

static void
test_many_wait_and_resume_in_any_order(void **state)
{
	(void)state;
	enum { N = 8 };
	int p[N][2];
	struct job j[N];
	struct event_base *base = event_base_new();
	for (int i = 0; i < N; i++) {
		assert_int_equal(pipe(p[i]), 0);
		j[i] = (struct job){ .base = base, .fd = p[i][0] };
		j[i].co = coro_new(64 * 1024);
		coro_start(j[i].co, run_reader, on_done, &j[i]);
	}
	/* answer them backwards: each resumes with its own stack intact */
	for (int i = N - 1; i >= 0; i--) {
		char msg[8];
		snprintf(msg, sizeof msg, "m%d", i);
		assert_int_equal(write(p[i][1], msg, strlen(msg)), (ssize_t)strlen(msg));
		event_base_loop(base, EVLOOP_ONCE);
		assert_int_equal(j[i].done_calls, 1);
		assert_string_equal(j[i].got, msg);
	}
	for (int i = 0; i < N; i++) {
		coro_free(j[i].co);
		close(p[i][0]);
		close(p[i][1]);
	}
	event_base_free(base);
}

static void
test_wait_outside_a_coroutine_is_refused(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	assert_int_equal(coro_wait_fd(base, 0, false), -1);
	event_base_free(base);
}

/* A deep frame: the stack is as large as asked for. */
static size_t
deep(int n)
{
	volatile char buf[1024];
	memset((char *)buf, n, sizeof buf);
	return (size_t)(unsigned char)buf[n % 1024] + (n == 0 ? 1 : deep(n - 1));
}

static void
run_deep(void *arg)
{
	*(size_t *)arg = deep(100);	/* ~100 KiB */
}

static void
ignore(void *arg)
{
	(void)arg;
}

static void
test_stack_holds_what_was_asked(void **state)
{
	(void)state;
	size_t out = 0;
	struct coro *c = coro_new(256 * 1024);
	coro_start(c, run_deep, ignore, &out);
	assert_true(out > 0);
	coro_free(c);
}

/* jansson recurses once per level when it dumps, copies, parses and frees:
 * at the parser's deepest nesting all of that fits a job's stack. */
static void
run_json_deep(void *arg)
{
	/* [[[…]]] inside {"payload": …}: as deep as json_loads() accepts */
	json_t *v = json_array();
	json_t *inner = v;
	for (int i = 2; i < JSON_PARSER_MAX_DEPTH; i++) {
		json_t *a = json_array();
		assert_int_equal(json_array_append_new(inner, a), 0);
		inner = a;
	}
	json_t *top = json_pack("{s:o}", "payload", v);
	char *text = json_dumps(top, JSON_COMPACT);
	json_t *copy = json_deep_copy(top);
	json_error_t err;
	json_t *back = json_loads(text, 0, &err);
	*(bool *)arg = text != NULL && copy != NULL && back != NULL && json_equal(top, back);
	free(text);
	json_decref(copy);
	json_decref(back);
	json_decref(top);
}

static void
test_json_at_the_parsers_depth_fits_a_jobs_stack(void **state)
{
	(void)state;
	bool ok = false;
	struct coro *c = coro_new(POOL_STACK_BYTES);
	coro_start(c, run_json_deep, ignore, &ok);
	assert_true(ok);
	coro_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs_until_it_waits_then_resumes),
		cmocka_unit_test(test_finishes_without_waiting_and_is_reused),
		cmocka_unit_test(test_many_wait_and_resume_in_any_order),
		cmocka_unit_test(test_wait_outside_a_coroutine_is_refused),
		cmocka_unit_test(test_stack_holds_what_was_asked),
		cmocka_unit_test(test_json_at_the_parsers_depth_fits_a_jobs_stack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
