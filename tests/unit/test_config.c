/* The sample config shows every key the code reads, and loads cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "config.h"

static const char *
sample_path(void)
{
	static char buf[1024];
	const char *root = getenv("PROCURD_ROOT");
	snprintf(buf, sizeof buf, "%s/config/procurd.conf", root ? root : ".");
	return buf;
}

/* Every key of the table appears, uncommented, under its section. */
static void
test_every_key_in_sample(void **state)
{
	(void)state;
	FILE *f = fopen(sample_path(), "r");
	assert_non_null(f);
	char line[1024], section[64] = "";
	size_t n;
	const struct config_key *keys = config_keys(&n);
	int *seen = calloc(n, sizeof *seen);
	while (fgets(line, sizeof line, f)) {
		char name[128];
		if (line[0] == '[') {
			sscanf(line, "[%63[^]]", section);
			continue;
		}
		if (line[0] == ';' || line[0] == '#' || sscanf(line, " %127[a-z_0-9] =", name) != 1)
			continue;
		for (size_t i = 0; i < n; i++)
			if (!strcmp(keys[i].section, section) && !strcmp(keys[i].key, name))
				seen[i]++;
	}
	fclose(f);
	for (size_t i = 0; i < n; i++) {
		if (seen[i] != 1)
			fail_msg("[%s] %s appears %d times in config/procurd.conf", keys[i].section,
			    keys[i].key, seen[i]);
	}
	free(seen);
}

static void
test_sample_loads_with_defaults(void **state)
{
	(void)state;
	char err[1024];
	struct config *c = config_load(sample_path(), err, sizeof err);
	if (c == NULL)
		fail_msg("%s", err);
	struct config *d = config_load(NULL, err, sizeof err);
	assert_non_null(d);
	/* the sample shows the defaults: both give the same values */
	size_t n;
	const struct config_key *keys = config_keys(&n);
	for (size_t i = 0; i < n; i++) {
		char a[512], b[512];
		assert_int_equal(config_get(c, keys[i].section, keys[i].key, a, sizeof a), 0);
		assert_int_equal(config_get(d, keys[i].section, keys[i].key, b, sizeof b), 0);
		if (strcmp(a, b))
			fail_msg("[%s] %s: sample says %s, default is %s", keys[i].section, keys[i].key, a, b);
	}
	assert_int_equal(c->rules.cap_bp_default, 200);
	assert_int_equal(c->rules.bid_window[METHOD_PUBLIC_TENDER].n, 20);
	assert_int_equal(c->rules.bid_window[METHOD_COMPETITIVE_NEGOTIATION].unit, UNIT_WORKING_DAYS);
	config_free(c);
	config_free(d);
}

static void
test_bad_values_refused(void **state)
{
	(void)state;
	char path[] = "/tmp/procurd-conf-XXXXXX", err[2048];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("[http]\nmax_body_bytes = lots\n[windows]\npublic_tender = twenty\n"
	    "[rules]\neval_weight_recipient = 10\n[nosuch]\nkey = 1\n", f);
	fclose(f);
	struct config *c = config_load(path, err, sizeof err);
	unlink(path);
	assert_null(c);
	assert_non_null(strstr(err, "max_body_bytes"));
	assert_non_null(strstr(err, "public_tender"));
	assert_non_null(strstr(err, "eval_weight"));
	assert_non_null(strstr(err, "unknown key [nosuch] key"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key_in_sample),
		cmocka_unit_test(test_sample_loads_with_defaults),
		cmocka_unit_test(test_bad_values_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
