/* Integration: the systemd units are hardened. `systemd-analyze security
 * --offline=yes` rates procurd.service and procur-notify@.service (as an
 * instance) at 2.0 or lower; skipped where systemd-analyze is absent. */
#include "nharness.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool
have_systemd_analyze(void)
{
	return system("command -v systemd-analyze >/dev/null 2>&1") == 0;
}

/* Run systemd-analyze security --offline=yes UNIT; the overall exposure
 * level it prints, or fail the test. */
static double
exposure(const char *unit, const char *name)
{
	char cmd[1200], line[1024], want[160];
	snprintf(cmd, sizeof cmd, "systemd-analyze security --offline=yes '%s' 2>&1", unit);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	snprintf(want, sizeof want, "Overall exposure level for %s:", name);
	double level = -1;
	char *all = NULL;
	size_t len = 0;
	while (fgets(line, sizeof line, p)) {
		char *at = strstr(line, want);
		if (at)
			level = strtod(at + strlen(want), NULL);
		all = xrealloc(all, len + strlen(line) + 1);
		memcpy(all + len, line, strlen(line) + 1);
		len += strlen(line);
	}
	int st = pclose(p);
	if (level < 0 && all && strstr(all, "--offline")) {
		/* a systemd older than 250 cannot analyse a unit file offline */
		print_message("this systemd-analyze has no --offline: skipped\n%s", all);
		free(all);
		skip();
	}
	if (st != 0 || level < 0) {
		print_error("%s (exit %d):\n%s\n", cmd, st, all ? all : "");
		free(all);
		fail_msg("no \"%s X.Y\" from systemd-analyze", want);
	}
	free(all);
	print_message("%s: overall exposure %.1f\n", name, level);
	return level;
}

static void
test_procurd_unit(void **state)
{
	(void)state;
	if (!have_systemd_analyze()) {
		print_message("systemd-analyze is not installed: skipped\n");
		skip();
	}
	char unit[600];
	snprintf(unit, sizeof unit, "%s/systemd/procurd.service", getenv("PROCURD_ROOT") ?
	    getenv("PROCURD_ROOT") : ".");
	assert_int_equal(access(unit, R_OK), 0);
	assert_true(exposure(unit, "procurd.service") <= 2.0);
}

static void
test_notify_unit(void **state)
{
	(void)state;
	if (!have_systemd_analyze()) {
		print_message("systemd-analyze is not installed: skipped\n");
		skip();
	}
	/* a template is analysed as one of its instances */
	char src[600], dir[] = "/tmp/procurd-it-systemd.XXXXXX", dst[700], cmd[1600];
	snprintf(src, sizeof src, "%s/systemd/procur-notify@.service", getenv("PROCURD_ROOT") ?
	    getenv("PROCURD_ROOT") : ".");
	assert_int_equal(access(src, R_OK), 0);
	assert_non_null(mkdtemp(dir));
	snprintf(dst, sizeof dst, "%s/procur-notify@test.service", dir);
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", src, dst);
	assert_int_equal(system(cmd), 0);
	double level = exposure(dst, "procur-notify@test.service");
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		print_message("could not remove %s\n", dir);
	assert_true(level <= 2.0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_procurd_unit),
		cmocka_unit_test(test_notify_unit),
	};
	return cmocka_run_group_tests_name("it_systemd", tests, NULL, NULL);
}
