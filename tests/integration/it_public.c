/* The public register and OCDS: what the law makes public and nothing
 * else, state by state; cacheable answers and a budget per address; and
 * every OCDS package validated against the official 1.1.5 schemas by
 * tests/ocds/validate.py (python3-jsonschema, nothing fetched). */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the register may show of a project, at the top level. */
static const char *const allowed[] = { "id", "ocid", "title", "agency", "fiscal_year",
	"catalog_items", "quantity", "quality_standard", "method", "budget_fen", "state",
	"public_since", "bid_deadline", "requirements", "criteria", "predecessor_id",
	"successor_id", "award", "bids", "ranking", "contract", "payments", "termination",
	"evaluation", "history" };

/* Text that must never show: the takeover plan's contact, the voucher, the
 * people, the supervision record, the acceptance report, a comment. */
static const char *const forbidden[] = { "coordinator@example.org", "GK-", "PUB-officer",
	"PUB-reviewer", "PUB-finance", "PUB-evaluator", "visited 20 households",
	"delivered as contracted", "takeover_plan", "voucher", "funding_source", "\"comment\"",
	"\"actor\"", "\"sheets\"", "内部意见", "evaluators_required", "created_by", "kitchen" };

static void
check_public(struct harness *h, int64_t id, const char *state)
{
	struct resp r = h_get(h, NULL, "/v1/public/projects/%lld", (long long)id);
	static const char *const before[] = { "draft", "needs_review", "budget_review", "approved" };
	for (size_t i = 0; i < sizeof before / sizeof before[0]; i++)
		if (strcmp(state, before[i]) == 0) {
			assert_error(r, 404, "not_found");
			return;
		}
	assert_status(r, 200);
	assert_json_str(r.body, "state", state);
	const char *k;
	json_t *v;
	json_object_foreach(r.body, k, v) {
		bool ok = false;
		for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
			ok |= strcmp(k, allowed[i]) == 0;
		if (!ok)
			fail_msg("%s: the public view shows \"%s\"", state, k);
	}
	for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++)
		if (strstr(r.raw, forbidden[i]))
			fail_msg("%s: the public view shows \"%s\": %s", state, forbidden[i], r.raw);
	/* what comes with the award, the contract, payment and evaluation */
	static const char *const order[] = { "announced", "scoring", "awarded", "contracted",
		"in_service", "acceptance", "payment", "year_end_review", "closed" };
	int at = -1;
	for (int i = 0; i < 9; i++)
		if (strcmp(order[i], state) == 0)
			at = i;
	assert_int_equal(h_at(r.body, "award") != NULL, at >= 2);
	assert_int_equal(h_at(r.body, "bids") != NULL, at >= 2);	/* losing prices after the award */
	assert_int_equal(h_at(r.body, "ranking") != NULL, at >= 2);
	assert_int_equal(h_at(r.body, "contract") != NULL, at >= 3);
	assert_int_equal(h_at(r.body, "payments") != NULL, at >= 7);
	assert_int_equal(h_at(r.body, "evaluation") != NULL, at >= 8);
	if (at >= 2) {
		assert_int_equal(h_len(r.body, "bids"), 3);
		assert_true(h_int(r.body, "bids.1.price_fen") > 0);
		assert_true(h_at(r.body, "ranking.0.total") != NULL);
	}
	if (at >= 3) {
		assert_true(h_at(r.body, "contract.contract_no") != NULL);
		assert_true(h_at(r.body, "contract.period.start") != NULL);
	}
	/* the list shows it too, and nothing of it before */
	r = h_get(h, NULL, "/v1/public/projects?agency=PUB&limit=200");
	assert_status(r, 200);
	assert_non_null(strstr(r.raw, "\"public walk\""));
}

static void
test_public_state_by_state(void **state)
{
	struct harness *h = *state;
	struct world w;
	h_world(h, &w, "PUB", 0);
	int64_t id = h_project(h, &w, &(struct pspec){ .title = "public walk" });
	static const char *const walk[] = { "draft", "needs_review", "budget_review", "approved",
		"announced", "scoring", "awarded", "contracted", "in_service", "acceptance", "payment",
		"year_end_review", "closed" };
	struct resp r = h_get(h, NULL, "/v1/public/projects?agency=PUB");
	assert_status(r, 200);
	assert_int_equal(h_len(r.body, "items"), 0);
	struct tender t = { .n_bids = 3 };	/* its bids, kept from step to step */
	for (size_t i = 0; i < sizeof walk / sizeof walk[0]; i++) {
		h_drive(h, &w, id, walk[i], &t);
		if (strcmp(walk[i], "in_service") == 0) {
			/* an officer's comment on a supervision record */
			int64_t v = h_int(h_project_get(h, &w, id), "version");
			r = h_event_v(h, w.officer, id, "record_supervision", v,
			    "{\"inspection\":\"kitchen\",\"finding\":\"issue\",\"comment\":\"内部意见：整改\"}");
			assert_status(r, 200);
		}
		check_public(h, id, walk[i]);
	}
	/* the year-end evaluations are public */
	r = h_get(h, NULL, "/v1/public/evaluations?year=%d", w.year);
	assert_status(r, 200);
	assert_non_null(strstr(r.raw, "\"public walk\""));
	r = h_get(h, NULL, "/v1/public/evaluations");
	assert_error(r, 400, "invalid_field");
	/* bad filters are refused in the usual shape */
	r = h_get(h, NULL, "/v1/public/projects?state=nonsense");
	assert_error(r, 400, "invalid_field");
	r = h_get(h, NULL, "/v1/public/projects?year=twenty");
	assert_error(r, 400, "invalid_field");
	r = h_get(h, NULL, "/v1/public/projects?limit=0");
	assert_error(r, 400, "invalid_field");
	r = h_get(h, NULL, "/v1/public/projects/x");
	assert_error(r, 404, "not_found");
	r = h_get(h, NULL, "/v1/public/projects?state=closed&year=%d&agency=PUB", w.year);
	assert_json_int(r.body, "items.0.id", id);
	r = h_get(h, NULL, "/v1/public/projects?state=draft&agency=PUB");
	assert_int_equal(h_len(r.body, "items"), 0);
}

/* Every scenario the issue names, each through the OCDS routes and
 * validated by the official schemas; ids handed to validate.py. */
static void
test_ocds_valid(void **state)
{
	struct harness *h = *state;
	struct world w;
	h_world(h, &w, "OCD", 0);
	/* a full lifecycle with payment */
	int64_t full = h_project(h, &w, &(struct pspec){ .title = "full lifecycle" });
	h->attach_documents = true;	/* its tender documents, contract, report, voucher */
	h_drive(h, &w, full, "closed", NULL);
	h->attach_documents = false;
	/* the public ones show, with their hash and where to fetch them; the
	 * acceptance report and the voucher do not */
	struct resp d = h_get(h, NULL, "/v1/ocds/records/ocds-procurd-%lld", (long long)full);
	assert_status(d, 200);
	assert_json_str(d.body, "records.0.compiledRelease.tender.documents.0.documentType",
	    "biddingDocuments");
	assert_json_str(d.body, "records.0.compiledRelease.contracts.0.documents.0.documentType",
	    "contractSigned");
	const char *url = h_str(d.body, "records.0.compiledRelease.tender.documents.0.url");
	assert_non_null(url);
	d = h_get(h, NULL, "%s", strstr(url, "/v1/"));
	assert_status(d, 200);
	assert_memory_equal(d.raw, "%PDF-", 5);
	d = h_get(h, NULL, "/v1/public/projects/%lld", (long long)full);
	assert_non_null(strstr(d.raw, "\"kind\":\"tender_documents\""));
	assert_null(strstr(d.raw, "acceptance_report"));
	assert_null(strstr(d.raw, "treasury_voucher"));
	char doc[32];
	char q[160];
	snprintf(q, sizeof q, "SELECT id FROM document WHERE project_id = %lld AND kind = "
	    "'acceptance_report'", (long long)full);
	assert_int_equal(harness_sql_value(h, q, doc, sizeof doc), 0);
	d = h_get(h, NULL, "/v1/public/projects/%lld/documents/%s", (long long)full, doc);
	assert_error(d, 404, "not_found");
	/* a failed tender, a retender, a failed one again, a change of method */
	struct tender two = { .n_bids = 2 };
	int64_t failed = h_project(h, &w, &(struct pspec){ .title = "failed then changed" });
	int64_t v = h_drive(h, &w, failed, "announced", &two);
	h_bids(h, &w, failed, &two);
	v = h_await_close(h, &w, failed, v, "tender_failed");
	struct resp r = h_event_v(h, w.officer, failed, "retender", v, "{\"bid_deadline\":\"%s\"}",
	    h_time(h, 20, "17:00"));
	assert_status(r, 200);
	v++;
	h_bids(h, &w, failed, &two);
	v = h_await_close(h, &w, failed, v, "tender_failed");
	r = h_event_v(h, w.officer, failed, "change_method", v,
	    "{\"method\":\"competitive_consultation\"}");
	assert_status(r, 200);
	h_drive(h, &w, failed, "contracted", NULL);
	/* a cancellation after the announcement */
	int64_t cancelled = h_project(h, &w, &(struct pspec){ .title = "cancelled" });
	v = h_drive(h, &w, cancelled, "announced", NULL);
	r = h_event_v(h, w.officer, cancelled, "cancel", v, "{\"reason\":\"needs met otherwise\"}");
	assert_status(r, 200);
	/* a contractor's exit with takeover, and its successor announced */
	int64_t exited = h_project(h, &w, &(struct pspec){ .title = "contractor left" });
	v = h_drive(h, &w, exited, "in_service", NULL);
	r = h_event_v(h, w.officer, exited, "contractor_exit", v,
	    "{\"reason\":\"withdrawal\",\"detail\":\"staff left\"}");
	assert_status(r, 200);
	int64_t successor = h_int(h_project_get(h, &w, exited), "successor_id");
	assert_true(successor > 0);
	h_drive(h, &w, successor, "announced", NULL);
	/* not public: a draft */
	int64_t draft = h_project(h, &w, &(struct pspec){ .title = "draft only" });
	r = h_get(h, NULL, "/v1/ocds/releases/ocds-procurd-%lld", (long long)draft);
	assert_error(r, 404, "not_found");
	r = h_get(h, NULL, "/v1/ocds/records/ocds-other-%lld", (long long)full);
	assert_error(r, 404, "not_found");
	r = h_get(h, NULL, "/v1/ocds/releases?since=yesterday");
	assert_error(r, 400, "invalid_field");
	r = h_get(h, NULL, "/v1/ocds/releases?after=1.2");
	assert_error(r, 400, "invalid_field");

	/* the whole export, as a package and as lines, from procurctl */
	char pkg[300], lines[300];
	snprintf(pkg, sizeof pkg, "%s/export.json", h->dir);
	snprintf(lines, sizeof lines, "%s/export.jsonl", h->dir);
	assert_int_equal(harness_ctl(h, NULL, 0, "ocds", "export", "--out", pkg, (char *)NULL), 0);
	assert_int_equal(harness_ctl(h, NULL, 0, "ocds", "export", "--lines", "--out", lines,
	    (char *)NULL), 0);
	char cmd[1024], facts[1024];
	snprintf(facts, sizeof facts, "{\"prefix\":\"ocds-procurd\",\"full\":%lld,\"failed\":%lld,"
	    "\"cancelled\":%lld,\"exited\":%lld,\"successor\":%lld,\"draft\":%lld,"
	    "\"export\":\"%s\",\"export_lines\":\"%s\"}",
	    (long long)full, (long long)failed, (long long)cancelled, (long long)exited,
	    (long long)successor, (long long)draft, pkg, lines);
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/ocds/validate.py %s %s/tests/ocds/schema",
	    getenv("PROCURD_ROOT") ? getenv("PROCURD_ROOT") : ".", h->url,
	    getenv("PROCURD_ROOT") ? getenv("PROCURD_ROOT") : ".");
	fflush(NULL);
	FILE *p = popen(cmd, "w");
	assert_non_null(p);
	fputs(facts, p);
	int rc = pclose(p);
	if (rc != 0) {
		harness_print_log(h);
		fail_msg("OCDS validation failed (exit %d)", WEXITSTATUS(rc));
	}
}

/* Cacheable: an ETag, public for a minute, 304 when unchanged; and a
 * budget per address (last: it spends this address's). */
static void
test_cache_and_budget(void **state)
{
	struct harness *h = *state;
	struct resp r = h_req(h, "GET", "/v1/public/projects", NULL, NULL, NULL);
	assert_status(r, 200);
	assert_non_null(strstr(r.headers, "Cache-Control: public, max-age=60"));
	const char *etag = strstr(r.headers, "ETag: ");
	assert_non_null(etag);
	char inm[128];
	snprintf(inm, sizeof inm, "If-None-Match: %.*s", (int)strcspn(etag + 6, "\r\n"), etag + 6);
	r = h_req(h, "GET", "/v1/public/projects", NULL, NULL, inm);
	assert_int_equal(r.status, 304);
	/* the API's description, open to all as well */
	r = h_req(h, "GET", "/v1/openapi.json", NULL, NULL, NULL);
	assert_status(r, 200);
	assert_json_str(r.body, "openapi", "3.1.0");
	assert_non_null(h_at(r.body, "paths./v1/ocds/records/{ocid}.get"));
	assert_non_null(strstr(r.headers, "Cache-Control: public, max-age=60"));
	/* the API's other answers are not cached */
	r = h_req(h, "GET", "/v1/me", NULL, NULL, NULL);
	assert_non_null(strstr(r.headers, "Cache-Control: no-store"));
	/* 120 a minute (the default), what the tests before spent included:
	 * within 121 more one is refused */
	bool refused = false;
	for (int i = 0; i < 121 && !refused; i++) {
		r = h_req(h, "GET", "/v1/public/evaluations?year=2026", NULL, NULL, NULL);
		refused = r.status == 429;
	}
	assert_true(refused);
	assert_error(r, 429, "too_many_requests");
	assert_non_null(strstr(r.headers, "Retry-After: "));
	/* the token routes are not counted */
	r = h_get(h, h->admin, "/v1/me");
	assert_status(r, 200);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_public_state_by_state, h_test_teardown),
		cmocka_unit_test_teardown(test_ocds_valid, h_test_teardown),
		cmocka_unit_test_teardown(test_cache_and_budget, h_test_teardown),
	};
	h_group_name = "public";
	return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
