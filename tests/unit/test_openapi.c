/* web/openapi.json against the daemon's own tables: every route of the
 * route table is in the document and every operation of the document is
 * a route; every event's payload schema has the lifecycle table's fields,
 * types and required flags. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "api.h"
#include "lifecycle.h"

static json_t *
doc(void)
{
	json_error_t e;
	json_t *d = json_load_file("web/openapi.json", 0, &e);
	if (d == NULL)
		fail_msg("web/openapi.json: %s (line %d)", e.text, e.line);
	return d;
}

static void
test_routes_both_ways(void **state)
{
	(void)state;
	json_t *d = doc(), *paths = json_object_get(d, "paths");
	size_t n = 0;
	for (const char *name; (name = api_route_name_at(n)); n++) {
		char method[16], path[256];
		if (sscanf(name, "%15s %255s", method, path) != 2)
			fail_msg("route name %s", name);
		for (char *m = method; *m; m++)
			*m = (char)tolower((unsigned char)*m);
		if (json_object_get(json_object_get(paths, path), method) == NULL)
			fail_msg("the route %s is not in web/openapi.json (python3 scripts/openapi.py)",
			    name);
	}
	assert_true(n > 40);
	const char *path, *method;
	json_t *ops, *op;
	size_t count = 0;
	json_object_foreach(paths, path, ops) {
		json_object_foreach(ops, method, op) {
			char name[300], up[16];
			snprintf(up, sizeof up, "%s", method);
			for (char *m = up; *m; m++)
				*m = (char)toupper((unsigned char)*m);
			snprintf(name, sizeof name, "%s %s", up, path);
			bool found = false;
			for (size_t i = 0; i < n && !found; i++)
				found = strcmp(api_route_name_at(i), name) == 0;
			if (!found)
				fail_msg("web/openapi.json describes %s, which is no route", name);
			count++;
		}
	}
	assert_int_equal(count, n);
	json_decref(d);
}

static void
test_event_payloads(void **state)
{
	(void)state;
	static const char *const types[] = { [FT_STRING] = "string", [FT_INT] = "integer",
		[FT_NUMBER] = "number", [FT_TIME] = "string", [FT_OBJECT] = "object",
		[FT_ARRAY] = "array", [FT_ANY] = NULL };
	json_t *d = doc(), *schemas = json_object_get(json_object_get(d, "components"), "schemas");
	for (int e = 0; e < EV__COUNT; e++) {
		char key[64];
		snprintf(key, sizeof key, "Payload_%s", lc_event_name((enum lc_event)e));
		json_t *s = json_object_get(schemas, key), *props = json_object_get(s, "properties");
		if (s == NULL)
			fail_msg("no %s in web/openapi.json", key);
		size_t nf;
		const struct lc_field *f = lifecycle_fields((enum lc_event)e, &nf);
		assert_int_equal(json_object_size(props), nf);
		size_t nreq = 0;
		for (size_t k = 0; k < nf; k++) {
			json_t *p = json_object_get(props, f[k].name);
			if (p == NULL)
				fail_msg("%s lacks %s", key, f[k].name);
			const char *want = types[f[k].type];
			if (want)
				assert_string_equal(json_string_value(json_object_get(p, "type")), want);
			bool req = false;
			size_t i;
			json_t *r;
			json_array_foreach(json_object_get(s, "required"), i, r)
				req |= strcmp(json_string_value(r), f[k].name) == 0;
			assert_int_equal(req, f[k].required);
			nreq += f[k].required;
		}
		assert_int_equal(json_array_size(json_object_get(s, "required")), nreq);
		assert_true(json_is_false(json_object_get(s, "additionalProperties")));
	}
	json_decref(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes_both_ways),
		cmocka_unit_test(test_event_payloads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
