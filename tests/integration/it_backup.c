/* A backup restores and verifies (the scale issue's operator's view):
 * a database with closed projects, their documents and a funding plan is
 * dumped with pg_dump, restored into a fresh cluster of its own by
 * scripts/restore-drill.sh, and procurctl verify passes there with the same
 * counts as on the original. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The drill against the harness's database: its exit status, its output
 * into OUT. */
static int
drill(struct harness *h, char *out, size_t len)
{
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "sh '%s/scripts/restore-drill.sh' '%s' '%s' 2>&1",
	    getenv("PROCURD_ROOT") ? getenv("PROCURD_ROOT") : ".", h->pg_conninfo,
	    getenv("PROCURD_BUILD") ? getenv("PROCURD_BUILD") : "build");
	fflush(NULL);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	int rc = pclose(p);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void
test_restore_verifies(void **state)
{
	struct harness *h = *state;
	struct world w;
	h_world_under(h, &w, "BAK", NULL, 0, 2027);
	h->attach_documents = true;
	for (int i = 0; i < 2; i++) {
		int64_t id = h_project(h, &w, NULL);
		h_drive(h, &w, id, "closed", NULL);
	}
	h->attach_documents = false;
	struct resp r = h_post(h, w.officer, "/v1/agencies/BAK/funding-plan/2027/events",
	    "{\"event\":\"report\"}");
	assert_status(r, 200);

	char here[1024], there[4096];
	assert_int_equal(harness_ctl(h, here, sizeof here, "verify", (char *)NULL), 0);
	here[strcspn(here, "\n")] = '\0';
	int rc = drill(h, there, sizeof there);
	printf("original: %s\nrestored: %s", here, there);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(there, here));	/* the same counts, every chain intact */
	assert_non_null(strstr(there, "1 in 1 funding plans"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_restore_verifies, h_test_teardown),
	};
	h_group_name = "backup";
	return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
