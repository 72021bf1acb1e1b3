/* What is public and OCDS's merge: the events publicview.c shows are the
 * ones the feed's SQL and migration 015's index name; the compiled and
 * versioned releases follow OCDS's rules on small cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "lifecycle.h"
#include "ocds.h"
#include "publicview.h"

/* The quoted names after "event IN (" (after MARK, when not NULL) in file
 * PATH, into NAMES. */
static int
names_in(const char *path, const char *mark, char names[32][32])
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char text[65536];
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	char *p = strstr(mark ? strstr(text, mark) : text, "event IN (");
	assert_non_null(p);
	char *end = strchr(p, ')');
	int k = 0;
	for (char *q = strchr(p, '\''); q && q < end && k < 32; q = strchr(q + 1, '\'')) {
		char *close = strchr(q + 1, '\'');
		snprintf(names[k++], 32, "%.*s", (int)(close - q - 1), q + 1);
		q = close;
	}
	return k;
}

static void
agrees(const char *path, const char *mark)
{
	char names[32][32];
	int n = names_in(path, mark, names);
	for (int i = 0; i < n; i++)
		if (!public_event(names[i]))
			fail_msg("%s names %s, which publicview.c does not show", path, names[i]);
	for (int e = 0; e < EV__COUNT; e++) {
		const char *ev = lc_event_name((enum lc_event)e);
		bool listed = false;
		for (int i = 0; i < n; i++)
			listed |= strcmp(names[i], ev) == 0;
		if (public_event(ev) != listed)
			fail_msg("%s: %s is %s by publicview.c", path, ev,
			    public_event(ev) ? "shown" : "not shown");
	}
	assert_false(public_event("create"));
	assert_false(public_event("approve_budget"));
	assert_false(public_event("record_supervision"));
}

static void
test_events_agree(void **state)
{
	(void)state;
	agrees("sql/015_publication.sql", NULL);
	agrees("daemon/store/publication.c", "q_pub_feed = STMT");
}

static json_t *
rel(const char *id, const char *date, const char *body)
{
	json_t *r = json_loads(body, 0, NULL);
	assert_non_null(r);
	json_object_set_new(r, "ocid", json_string("ocds-x-1"));
	json_object_set_new(r, "id", json_string(id));
	json_object_set_new(r, "date", json_string(date));
	json_object_set_new(r, "tag", json_pack("[s]", "tender"));
	json_object_set_new(r, "initiationType", json_string("tender"));
	return r;
}

static void
test_merge(void **state)
{
	(void)state;
	json_t *rs = json_array();
	/* out of date order on purpose: the merge sorts */
	json_array_append_new(rs, rel("b", "2026-02-01T00:00:00+08:00",
	    "{\"tender\":{\"status\":\"cancelled\",\"title\":null},"
	    "\"awards\":[{\"id\":\"a1\",\"status\":\"cancelled\"},{\"id\":\"a2\",\"status\":\"active\"}]}"));
	json_array_append_new(rs, rel("a", "2026-01-01T00:00:00+08:00",
	    "{\"tender\":{\"id\":\"t\",\"status\":\"active\",\"title\":\"T\"},"
	    "\"awards\":[{\"id\":\"a1\",\"status\":\"active\",\"value\":{\"amount\":1.5}}],"
	    "\"parties\":[{\"id\":\"p\",\"roles\":[\"buyer\",\"payer\"]}]}"));
	json_t *c = ocds_compiled(rs);
	char *s = json_dumps(c, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(s,
	    "{\"awards\":[{\"id\":\"a1\",\"status\":\"cancelled\",\"value\":{\"amount\":1.5}},"
	    "{\"id\":\"a2\",\"status\":\"active\"}],\"date\":\"2026-02-01T00:00:00+08:00\","
	    "\"id\":\"ocds-x-1-2026-02-01T00:00:00+08:00\",\"initiationType\":\"tender\","
	    "\"ocid\":\"ocds-x-1\",\"parties\":[{\"id\":\"p\",\"roles\":[\"buyer\",\"payer\"]}],"
	    "\"tag\":[\"compiled\"],\"tender\":{\"id\":\"t\",\"status\":\"cancelled\"}}");
	free(s);
	json_decref(c);
	json_t *v = ocds_versioned(rs);
	/* a value versioned on each change only; an array member's id is not */
	assert_int_equal(json_array_size(json_object_get(json_object_get(v, "tender"), "status")), 2);
	assert_int_equal(json_array_size(json_object_get(v, "initiationType")), 1);
	json_t *a1 = json_array_get(json_object_get(v, "awards"), 0);
	assert_string_equal(json_string_value(json_object_get(a1, "id")), "a1");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(a1, "status"), 1), "releaseID")), "b");
	/* the title removed: a version of null after its value */
	json_t *title = json_object_get(json_object_get(v, "tender"), "title");
	assert_int_equal(json_array_size(title), 2);
	assert_true(json_is_null(json_object_get(json_array_get(title, 1), "value")));
	/* a literal array is one value */
	json_t *p = json_array_get(json_object_get(v, "parties"), 0);
	assert_true(json_is_array(json_object_get(json_array_get(json_object_get(p, "roles"), 0),
	    "value")));
	json_decref(v);
	json_decref(rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events_agree),
		cmocka_unit_test(test_merge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
