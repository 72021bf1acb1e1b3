/* Policy profiles chosen per agency: set on a province, followed by its
 * children unless one says otherwise; only a profile the daemon has and
 * a region it knows are accepted; procurctl sets one later. */
#include "harness.h"

#include <stdio.h>
#include <string.h>

static void
test_profiles_inherited(void **state)
{
	struct harness *h = *state;
	/* a province with Guangdong's figures, in the Pearl River Delta */
	assert_int_equal(harness_ctl(h, NULL, 0, "agency", "add", "GD", "--name", "广东省民政厅",
	    "--level", "province", "--profile", "guangdong", "--region", "pearl_river_delta",
	    (char *)NULL), 0);
	/* procurctl refuses what is not there */
	assert_int_equal(harness_ctl(h, NULL, 0, "agency", "add", "MARS", "--name", "x", "--level",
	    "province", "--profile", "mars", (char *)NULL), 2);
	assert_int_equal(harness_ctl(h, NULL, 0, "agency", "add", "MARS", "--name", "x", "--level",
	    "province", "--region", "north_pole", (char *)NULL), 2);
	struct world w;
	h_world_under(h, &w, "GDSZ", "GD", 0, 2026);
	struct resp r = h_get(h, w.admin, "/v1/agencies/GDSZ");
	assert_status(r, 200);
	assert_true(json_is_null(h_at(r.body, "profile")));
	assert_json_str(r.body, "effective_profile", "guangdong");
	assert_json_str(r.body, "effective_region", "pearl_river_delta");

	/* a township in the east: its own region, the province's profile */
	r = h_post(h, w.admin, "/v1/agencies", "{\"code\":\"GDSZ-T1\",\"name\":\"街道\","
	    "\"level\":\"township\",\"parent\":\"GDSZ\",\"region\":\"east_west_north\"}");
	assert_status(r, 201);
	assert_json_str(r.body, "effective_profile", "guangdong");
	assert_json_str(r.body, "effective_region", "east_west_north");
	r = h_post(h, w.admin, "/v1/agencies", "{\"code\":\"GDSZ-T2\",\"name\":\"x\","
	    "\"level\":\"township\",\"parent\":\"GDSZ\",\"profile\":\"mars\"}");
	assert_error(r, 400, "invalid_field");
	assert_json_str(r.body, "error.details.field", "profile");
	r = h_post(h, w.admin, "/v1/agencies", "{\"code\":\"GDSZ-T2\",\"name\":\"x\","
	    "\"level\":\"township\",\"parent\":\"GDSZ\",\"region\":\"moon\"}");
	assert_error(r, 400, "invalid_field");
	r = h_get(h, w.admin, "/v1/agencies");
	assert_non_null(strstr(r.raw, "\"effective_profile\":\"guangdong\""));

	/* an agency with no profile anywhere above follows the national one */
	struct world n;
	h_world(h, &n, "NAT", 0);
	r = h_get(h, n.admin, "/v1/agencies/NAT");
	assert_json_str(r.body, "effective_profile", "national");
	assert_true(json_is_null(h_at(r.body, "effective_region")));

	/* procurctl sets the policy of an agency that exists, and takes it back */
	assert_int_equal(harness_ctl(h, NULL, 0, "agency", "policy", "GDSZ", "--profile",
	    "heilongjiang-shuangyashan", (char *)NULL), 0);
	r = h_get(h, w.admin, "/v1/agencies/GDSZ-T1");
	assert_json_str(r.body, "effective_profile", "heilongjiang-shuangyashan");
	assert_int_equal(harness_ctl(h, NULL, 0, "agency", "policy", "GDSZ", "--profile", "",
	    (char *)NULL), 0);
	r = h_get(h, w.admin, "/v1/agencies/GDSZ-T1");
	assert_json_str(r.body, "effective_profile", "guangdong");
	assert_int_equal(harness_ctl(h, NULL, 0, "agency", "policy", "NOPE", "--profile",
	    "guangdong", (char *)NULL), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_profiles_inherited, h_test_teardown),
	};
	h_group_name = "policy";
	return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
