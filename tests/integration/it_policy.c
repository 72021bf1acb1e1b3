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

/* A project buying positions for UNIT (one), submitted: the answer. */
static struct resp
submit_positions(struct harness *h, struct world *w, const char *positions)
{
	struct pspec spec = { .positions_json = positions };
	int64_t id = h_project(h, w, &spec);
	return h_event(h, w->officer, id, "submit", NULL);
}

static void
test_staffing_floors(void **state)
{
	struct harness *h = *state;
	assert_int_equal(harness_ctl(h, NULL, 0, "agency", "add", "GDP", "--name", "广东省民政厅",
	    "--level", "province", "--profile", "guangdong", "--region", "pearl_river_delta",
	    (char *)NULL), 0);
	struct world w;
	h_world_under(h, &w, "GZ", "GDP", 0, 2026);
	struct resp r = h_post(h, w.admin, "/v1/agencies", "{\"code\":\"GZ-T1\",\"name\":\"街道\","
	    "\"level\":\"township\",\"parent\":\"GZ\",\"region\":\"east_west_north\"}");
	assert_status(r, 201);

	/* a Guangdong county of 3,000 households needs 4 (the higher band) */
	r = submit_positions(h, &w, "[{\"unit\":\"GZ\",\"count\":3,\"annual_wage_fen\":8000000,"
	    "\"households\":3000}]");
	assert_rule(r, "staffing_floor");
	assert_json_int(r.body, "error.details.required", 4);
	assert_json_int(r.body, "error.details.planned", 3);
	assert_json_int(r.body, "error.details.staffed", 0);
	assert_json_int(r.body, "error.details.households", 3000);
	assert_json_str(r.body, "error.details.cite", "002 §2.3");
	assert_int_equal(h_len(r.body, "error.details.units"), 1);
	/* at its floor it passes, and so does 2,999 with 2 */
	r = submit_positions(h, &w, "[{\"unit\":\"GZ\",\"count\":4,\"annual_wage_fen\":8000000,"
	    "\"households\":3000}]");
	assert_status(r, 200);
	assert_json_str(r.body, "state", "needs_review");
	r = submit_positions(h, &w, "[{\"unit\":\"GZ\",\"count\":2,\"annual_wage_fen\":8000000,"
	    "\"households\":2999}]");
	assert_status(r, 200);

	/* the Pearl River Delta's wage floor: 80,000 yuan a person a year */
	r = submit_positions(h, &w, "[{\"unit\":\"GZ\",\"count\":4,\"annual_wage_fen\":7999999,"
	    "\"households\":3000}]");
	assert_rule(r, "wage_floor");
	assert_json_int(r.body, "error.details.required_fen", 8000000);
	assert_json_int(r.body, "error.details.planned_fen", 7999999);
	assert_json_int(r.body, "error.details.floor_yuan", 80000);
	assert_json_str(r.body, "error.details.region", "pearl_river_delta");
	assert_json_str(r.body, "error.details.cite", "002 §2.4");
	/* the township in the east follows 50,000 */
	r = submit_positions(h, &w, "[{\"unit\":\"GZ-T1\",\"count\":2,\"annual_wage_fen\":5000000,"
	    "\"households\":299}]");
	assert_status(r, 200);
	r = submit_positions(h, &w, "[{\"unit\":\"GZ-T1\",\"count\":2,\"annual_wage_fen\":4999900,"
	    "\"households\":299}]");
	assert_rule(r, "wage_floor");
	assert_json_int(r.body, "error.details.required_fen", 5000000);

	/* a count the rule does not measure by is refused, naming the one it does */
	r = submit_positions(h, &w, "[{\"unit\":\"GZ-T1\",\"count\":2,\"annual_wage_fen\":5000000,"
	    "\"recipients\":299}]");
	assert_rule(r, "staffing_count_missing");
	assert_json_str(r.body, "error.details.measure", "households");

	/* a unit staffed by an earlier contract of the year counts toward the floor */
	struct pspec first = { .positions_json = "[{\"unit\":\"GZ-T1\",\"count\":4,"
	    "\"annual_wage_fen\":5000000,\"households\":300}]" };
	int64_t id = h_project(h, &w, &first);
	h_drive(h, &w, id, "contracted", NULL);
	r = submit_positions(h, &w, "[{\"unit\":\"GZ-T1\",\"count\":1,\"annual_wage_fen\":5000000,"
	    "\"households\":600}]");
	assert_rule(r, "staffing_floor");
	assert_json_int(r.body, "error.details.required", 6);
	assert_json_int(r.body, "error.details.planned", 1);
	assert_json_int(r.body, "error.details.staffed", 4);
	assert_json_int(r.body, "error.details.shortfall", 1);
	r = submit_positions(h, &w, "[{\"unit\":\"GZ-T1\",\"count\":2,\"annual_wage_fen\":5000000,"
	    "\"households\":600}]");
	assert_status(r, 200);

	/* positions serve a county or township at or below the project's agency */
	r = h_post(h, w.officer, "/v1/projects", "{\"agency\":\"GZ\",\"fiscal_year\":2026,"
	    "\"title\":\"x\",\"positions\":[{\"unit\":\"GDP\",\"count\":1,"
	    "\"annual_wage_fen\":1}]}");
	assert_rule(r, "position_unit");
	assert_json_str(r.body, "error.details.units.0.reason", "outside_agency");
	r = h_post(h, w.officer, "/v1/projects", "{\"agency\":\"GZ\",\"fiscal_year\":2026,"
	    "\"title\":\"x\",\"positions\":[{\"unit\":\"GZ\",\"count\":0,"
	    "\"annual_wage_fen\":1}]}");
	assert_error(r, 400, "invalid_field");
	assert_json_str(r.body, "error.details.field", "positions");
	r = h_post(h, w.officer, "/v1/projects", "{\"agency\":\"GZ\",\"fiscal_year\":2026,"
	    "\"title\":\"x\",\"positions\":[{\"unit\":\"GZ\",\"count\":1,"
	    "\"annual_wage_fen\":1,\"salary\":2}]}");
	assert_error(r, 400, "invalid_field");
	r = h_post(h, w.officer, "/v1/projects", "{\"agency\":\"GZ\",\"fiscal_year\":2026,"
	    "\"title\":\"x\",\"positions\":[{\"unit\":\"GZ\",\"count\":1,"
	    "\"annual_wage_fen\":1},{\"unit\":\"GZ\",\"count\":1,\"annual_wage_fen\":1}]}");
	assert_error(r, 400, "invalid_field");
}

static void
test_shuangyashan_floors(void **state)
{
	struct harness *h = *state;
	assert_int_equal(harness_ctl(h, NULL, 0, "agency", "add", "SYS", "--name", "双鸭山市民政局",
	    "--level", "city", "--profile", "heilongjiang-shuangyashan", (char *)NULL), 0);
	struct world w;
	h_world_under(h, &w, "SYSD", "SYS", 0, 2026);
	struct resp r = h_post(h, w.admin, "/v1/agencies", "{\"code\":\"SYSD-T1\","
	    "\"name\":\"乡镇\",\"level\":\"township\",\"parent\":\"SYSD\"}");
	assert_status(r, 201);
	/* a township: one for each 1,000 recipients begun */
	r = submit_positions(h, &w, "[{\"unit\":\"SYSD-T1\",\"count\":1,\"annual_wage_fen\":3000000,"
	    "\"recipients\":1001}]");
	assert_rule(r, "staffing_floor");
	assert_json_int(r.body, "error.details.required", 2);
	assert_json_str(r.body, "error.details.unit_kind", "township");
	assert_json_str(r.body, "error.details.cite", "003 §4.7");
	r = submit_positions(h, &w, "[{\"unit\":\"SYSD-T1\",\"count\":1,\"annual_wage_fen\":3000000,"
	    "\"recipients\":1000}]");
	assert_status(r, 200);
	/* a district: 2, and one more for every full 5,000 above 5,000; no
	 * wage floor in Shuangyashan */
	r = submit_positions(h, &w, "[{\"unit\":\"SYSD\",\"count\":2,\"annual_wage_fen\":100,"
	    "\"recipients\":10000}]");
	assert_rule(r, "staffing_floor");
	assert_json_int(r.body, "error.details.required", 3);
	assert_json_str(r.body, "error.details.unit_kind", "district");
	r = submit_positions(h, &w, "[{\"unit\":\"SYSD\",\"count\":2,\"annual_wage_fen\":100,"
	    "\"recipients\":9999}]");
	assert_status(r, 200);
	/* the positions are the project's data, shown as given */
	json_t *p = h_project_get(h, &w, h_int(r.body, "id"));
	assert_json_str(p, "positions.0.unit", "SYSD");
	assert_json_int(p, "positions.0.recipients", 9999);
}

/* A project of W buying POSITIONS, driven to TARGET. */
static int64_t
driven(struct harness *h, struct world *w, const char *positions, const char *funding,
    const char *target)
{
	struct pspec spec = { .positions_json = positions, .funding = funding };
	int64_t id = h_project(h, w, &spec);
	if (target)
		h_drive(h, w, id, target, NULL);
	return id;
}

/* The staffing report of a Guangdong city with three counties (issue 17),
 * as JSON and CSV; spending by dimension; dibao spending and the work
 * funds it implies. */
static void
test_reports(void **state)
{
	struct harness *h = *state;
	assert_int_equal(harness_ctl(h, NULL, 0, "agency", "add", "FS", "--name", "佛山市民政局",
	    "--level", "city", "--profile", "guangdong", "--region", "pearl_river_delta",
	    (char *)NULL), 0);
	struct world c1, c2, c3;
	h_world_under(h, &c1, "FS1", "FS", 0, 2026);
	h_world_under(h, &c2, "FS2", "FS", 0, 2026);
	h_world_under(h, &c3, "FS3", "FS", 0, 2026);
	struct resp r = h_post(h, c3.admin, "/v1/agencies", "{\"code\":\"FS3-T1\","
	    "\"name\":\"乐从镇\",\"level\":\"township\",\"parent\":\"FS3\"}");
	assert_status(r, 201);
	char city_auditor[65];
	harness_user(h, "FS-auditor", "auditor", "FS", city_auditor);

	/* FS1: 3,200 households need 4, four under contract (special funds) */
	driven(h, &c1, "[{\"unit\":\"FS1\",\"count\":4,\"annual_wage_fen\":8200000,"
	    "\"households\":3200}]", "special_funds", "contracted");
	/* FS2: six under contract for 5,000 households; a draft since counts
	 * 8,100 (10 needed) and plans 4 more */
	driven(h, &c2, "[{\"unit\":\"FS2\",\"count\":6,\"annual_wage_fen\":8000000,"
	    "\"households\":5000}]", NULL, "contracted");
	driven(h, &c2, "[{\"unit\":\"FS2\",\"count\":4,\"annual_wage_fen\":8000000,"
	    "\"households\":8100}]", NULL, NULL);
	/* FS3 itself bought nobody; its township four for 300 households */
	driven(h, &c3, "[{\"unit\":\"FS3-T1\",\"count\":4,\"annual_wage_fen\":8500000,"
	    "\"households\":300}]", NULL, "contracted");

	r = h_get(h, city_auditor, "/v1/reports/staffing?year=2026&agency=FS");
	assert_status(r, 200);
	assert_int_equal(h_len(r.body, "units"), 4);
	assert_json_str(r.body, "units.0.unit", "FS1");
	assert_json_int(r.body, "units.0.required", 4);
	assert_json_int(r.body, "units.0.under_contract", 4);
	assert_json_int(r.body, "units.0.shortfall", 0);
	assert_json_int(r.body, "units.0.lowest_wage_fen", 8200000);
	assert_json_int(r.body, "units.0.wage_floor_fen", 8000000);
	assert_json_int(r.body, "units.0.special_committed_fen", 1000000);
	assert_json_int(r.body, "units.0.special_cap_fen", 200000000);
	assert_json_str(r.body, "units.1.unit", "FS2");
	assert_json_int(r.body, "units.1.households", 8100);
	assert_json_int(r.body, "units.1.required", 10);
	assert_json_int(r.body, "units.1.under_contract", 6);
	assert_json_int(r.body, "units.1.planned", 4);
	assert_json_int(r.body, "units.1.shortfall", 4);
	assert_json_str(r.body, "units.2.unit", "FS3");
	assert_true(json_is_null(h_at(r.body, "units.2.required")));
	assert_json_int(r.body, "units.2.under_contract", 0);
	assert_json_str(r.body, "units.3.unit", "FS3-T1");
	assert_json_int(r.body, "units.3.required", 4);
	assert_json_str(r.body, "units.3.unit_kind", "township");
	assert_json_int(r.body, "totals.shortfall", 4);
	assert_json_int(r.body, "totals.under_contract", 14);
	printf("staffing report, city FS, 2026:\n%s\n", r.raw);

	/* the same as CSV, for a spreadsheet */
	r = h_req(h, "GET", "/v1/reports/staffing?year=2026&agency=FS", city_auditor, NULL,
	    "Accept: text/csv");
	assert_status(r, 200);
	assert_non_null(strstr(r.headers, "Content-Type: text/csv; charset=utf-8"));
	assert_non_null(strstr(r.headers, "attachment; filename=\"staffing-2026.csv\""));
	assert_memory_equal(r.raw, "\xEF\xBB\xBFunit,name,level,", 18);
	assert_non_null(strstr(r.raw, "lowest_wage_yuan,wage_floor_yuan"));
	assert_non_null(strstr(r.raw, "\r\nFS1,FS1 civil affairs bureau,county,FS,guangdong,"
	    "pearl_river_delta,households,3200,,4,4,0,0,82000.00,80000.00,false,2000000.00,10000.00,"
	    "002 §2.3\r\n"));
	assert_non_null(strstr(r.raw, "FS3-T1,乐从镇,township,FS3,"));
	printf("%s\n", r.raw);

	/* scope: a county does not see its city */
	r = h_get(h, c1.officer, "/v1/reports/staffing?year=2026&agency=FS");
	assert_error(r, 404, "not_found");
	r = h_get(h, c1.officer, "/v1/reports/staffing?year=2026");
	assert_status(r, 200);
	assert_int_equal(h_len(r.body, "units"), 1);
	r = h_get(h, c1.officer, "/v1/reports/staffing");
	assert_error(r, 400, "invalid_field");
	r = h_get(h, c1.officer, "/v1/reports/staffing?year=2026&format=xls");
	assert_error(r, 400, "invalid_field");

	/* spending by funding source, category, method and state */
	r = h_get(h, city_auditor, "/v1/reports/spending?year=2026&agency=FS");
	assert_status(r, 200);
	assert_json_int(r.body, "total.projects", 4);
	assert_json_int(r.body, "total.budget_fen", 4000000);
	assert_int_equal(h_len(r.body, "by_funding_source"), 2);
	assert_json_str(r.body, "by_funding_source.0.value", "special_funds");
	assert_json_int(r.body, "by_funding_source.0.projects", 1);
	/* three contracted (the daemon may have started a service since) and a draft */
	assert_non_null(strstr(r.raw, "{\"value\":\"draft\",\"projects\":1,"));
	assert_json_int(r.body, "by_category.0.projects", 4);
	r = h_get(h, city_auditor, "/v1/reports/spending?year=2026&agency=FS&format=csv");
	assert_status(r, 200);
	assert_non_null(strstr(r.raw, "dimension,value,projects,budget_yuan,contracted_yuan,paid_yuan\r\n"));
	assert_non_null(strstr(r.raw, "\r\ntotal,,4,40000.00,"));

	/* finance records last year's dibao spending; the budget shows 3 % of it */
	r = h_put(h, c1.officer, "/v1/agencies/FS1/dibao-spending/2025", "{\"spending_fen\":1}");
	assert_error(r, 403, "forbidden");
	r = h_put(h, c1.finance, "/v1/agencies/FS1/dibao-spending/2025", "{\"spending_fen\":-1}");
	assert_error(r, 400, "invalid_field");
	r = h_put(h, c1.finance, "/v1/agencies/FS1/dibao-spending/2025",
	    "{\"spending_fen\":1234567891}");
	assert_status(r, 200);
	assert_json_int(r.body, "spending_fen", 1234567891);
	r = h_get(h, c1.officer, "/v1/agencies/FS1/budgets/2026");
	assert_status(r, 200);
	assert_json_int(r.body, "expected_work_funds.dibao_spending_fen", 1234567891);
	assert_json_int(r.body, "expected_work_funds.expected_fen", 37037036);
	assert_json_int(r.body, "expected_work_funds.percent", 3);
	assert_json_str(r.body, "expected_work_funds.cite", "002 §2.2");
	r = h_get(h, c2.officer, "/v1/agencies/FS2/budgets/2026");
	assert_true(json_is_null(h_at(r.body, "expected_work_funds.expected_fen")));
	r = h_get(h, c2.officer, "/v1/agencies/FS1/dibao-spending/2025");
	assert_error(r, 404, "not_found");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_profiles_inherited, h_test_teardown),
		cmocka_unit_test_teardown(test_staffing_floors, h_test_teardown),
		cmocka_unit_test_teardown(test_shuangyashan_floors, h_test_teardown),
		cmocka_unit_test_teardown(test_reports, h_test_teardown),
	};
	h_group_name = "policy";
	return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
