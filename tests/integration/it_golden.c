/* Integration: the API's answers, byte for byte. A fixed script — a world,
 * a project through its whole lifecycle, supervision records on the hot
 * path and with an Idempotency-Key, a contractor's exit and takeover, every
 * list, and a sample of refusals — is run and every answer recorded (times,
 * hashes and the clock's offset masked: harness.h, h_record) and compared
 * with tests/integration/golden/answers.txt. A change of the inside (the
 * store's split, a faster renderer) must not change a byte of it; a change
 * of the contract changes the file, on purpose:
 *
 *   PROCURD_GOLDEN=write build/tests/it_golden   (with check.sh's env)
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static const char *
golden_path(char *buf, size_t len)
{
	const char *root = getenv("PROCURD_ROOT");
	snprintf(buf, len, "%s/tests/integration/golden/answers.txt", root ? root : ".");
	return buf;
}

/* The script. Every request's answer goes to the recorder. */
static void
script(struct harness *h)
{
	struct world w;
	h_world(h, &w, "GOLD", 0);
	int64_t id = h_project(h, &w, NULL);
	h_drive(h, &w, id, "in_service", NULL);
	/* the hot path renders a supervision record's answer from the row; with
	 * a key it is built as a tree: both the same shape */
	h_event(h, w.officer, id, "record_supervision",
	    "{\"inspection\":\"visited 12 households in 仙岭镇\",\"finding\":\"ok\"}");
	char path[96];
	snprintf(path, sizeof path, "/v1/projects/%lld/events", (long long)id);
	h_req(h, "POST", path, w.officer, "{\"event\":\"record_supervision\",\"payload\":"
	    "{\"inspection\":\"second visit\",\"finding\":\"issue\"}}", "Idempotency-Key: gold-1");
	h_req(h, "POST", path, w.officer, "{\"event\":\"record_supervision\",\"payload\":"
	    "{\"inspection\":\"second visit\",\"finding\":\"issue\"}}", "Idempotency-Key: gold-1");
	h_drive(h, &w, id, "closed", NULL);

	h_get(h, w.auditor, "/v1/projects/%lld", (long long)id);
	h_get(h, w.auditor, "/v1/projects/%lld/events", (long long)id);
	h_get(h, w.auditor, "/v1/projects/%lld/bids", (long long)id);
	h_get(h, w.auditor, "/v1/projects/%lld/ranking", (long long)id);
	h_get(h, w.auditor, "/v1/contractors/%lld", (long long)w.contractor[0]);
	h_get(h, w.auditor, "/v1/evaluations?year=%d", w.year);
	h_get(h, w.auditor, "/v1/projects?agency=GOLD&limit=5");
	h_get(h, w.auditor, "/v1/agencies/GOLD");
	h_get(h, w.auditor, "/v1/agencies/GOLD/budgets/%d", w.year);
	h_get(h, w.auditor, "/v1/catalog");
	h_get(h, w.auditor, "/v1/notifications?status=pending&limit=10");
	h_get(h, w.auditor, "/v1/incidents");

	/* a contractor walks away: takeover, a successor, a ban */
	int64_t id2 = h_project(h, &w, NULL);
	h_drive(h, &w, id2, "in_service", NULL);
	h_event(h, w.officer, id2, "contractor_exit", "{\"reason\":\"breach\",\"detail\":\"left\"}");
	h_get(h, w.auditor, "/v1/projects/%lld", (long long)id2);
	h_event(h, w.officer, id2, "complete_takeover", NULL);
	h_get(h, w.auditor, "/v1/deadlines?limit=10");

	/* refusals */
	h_event(h, w.officer, id, "submit", NULL);			/* 409 */
	h_event(h, w.officer, id, "record_supervision", "{\"bogus\":1}");	/* 409 first */
	h_post(h, w.officer, "/v1/projects", "{\"agency\":\"GOLD\",\"fiscal_year\":2026}");
	h_post(h, w.officer, "/v1/projects", "{\"agency\":\"GOLD\",\"title\":7}");
	h_post(h, w.evaluator[0], "/v1/projects", "{}");		/* 403 */
	h_get(h, w.auditor, "/v1/projects/999999");			/* 404 */
	h_get(h, NULL, "/v1/projects/%lld", (long long)id);		/* 401 */
	h_req(h, "DELETE", "/v1/projects", w.officer, NULL, NULL);	/* 405 */
	h_req(h, "POST", "/v1/projects", w.officer, "[1]", NULL);	/* 400 */
	h_get(h, NULL, "/healthz?ready=1");
}

static void
test_answers_unchanged(void **state)
{
	struct harness *h = *state;
	char *got = NULL, gp[512];
	size_t got_len = 0;
	FILE *rec = open_memstream(&got, &got_len);
	assert_non_null(rec);
	h_record(h, rec);
	script(h);
	h_record(h, NULL);
	fclose(rec);

	golden_path(gp, sizeof gp);
	const char *mode = getenv("PROCURD_GOLDEN");
	if (mode && !strcmp(mode, "write")) {
		FILE *f = fopen(gp, "w");
		assert_non_null(f);
		fwrite(got, 1, got_len, f);
		fclose(f);
		print_message("wrote %s (%zu bytes)\n", gp, got_len);
		free(got);
		return;
	}
	FILE *f = fopen(gp, "r");
	if (f == NULL)
		fail_msg("no %s: record it with PROCURD_GOLDEN=write", gp);
	char *want = NULL;
	size_t want_cap = 0;
	ssize_t want_len = getdelim(&want, &want_cap, '\0', f);
	fclose(f);
	assert_true(want_len >= 0);
	if ((size_t)want_len != got_len || memcmp(want, got, got_len) != 0) {
		/* the first line that differs, with the request above it */
		const char *a = want, *b = got, *req = "";
		int line = 1;
		while (*a && *b) {
			size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
			if (la != lb || memcmp(a, b, la) != 0) {
				fprintf(stderr, "golden: line %d differs (after \"%.*s\")\n  want: %.*s\n"
				    "  got:  %.*s\n", line, (int)strcspn(req, "\n"), req,
				    (int)(la < 600 ? la : 600), a, (int)(lb < 600 ? lb : 600), b);
				break;
			}
			if (strstr(a, " -> ") && strstr(a, " -> ") < a + la)
				req = a;
			a += la + (a[la] != '\0');
			b += lb + (b[lb] != '\0');
			line++;
		}
		free(want);
		free(got);
		fail_msg("the API's answers changed (%zu bytes recorded, %zd in the file)", got_len,
		    want_len);
	}
	free(want);
	free(got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_answers_unchanged, h_test_teardown),
	};
	h_group_name = "golden";
	return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
