/* Unit tests: the spool channel writes each outbox id once, however often sent. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../workers/job.h"
#include "../../workers/spool.h"

static char dir[64];

/* One job as the worker delivers a batch of one: write, then sync the
 * directory (a duplicate too), then it may be acked. */
static enum deliver_result
write_and_sync(const char *d, const char *worker, const struct job *job,
    const struct message *msg, char *err, size_t errlen)
{
	enum deliver_result res = spool_write(d, worker, job, msg, err, errlen);
	if (res != DELIVER_FAILED && spool_sync(d, err, errlen) != 0)
		res = DELIVER_FAILED;
	return res;
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/test_spool.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct job *
make_job(int64_t id)
{
	char frame[512], why[128];
	int64_t seen;

	snprintf(frame, sizeof frame, "{\"v\":1,\"id\":%lld,\"channel\":\"spool\","
	    "\"recipient\":\"agency:430102:reviewers\",\"template\":\"needs_submitted\","
	    "\"project_id\":7,\"data\":{\"title\":\"社区养老\"}}", (long long)id);
	return job_parse(frame, strlen(frame), why, sizeof why, &seen);
}

static int
count_entries(const char *d, int *tmp)
{
	DIR *dp = opendir(d);
	struct dirent *de;
	int n = 0;

	*tmp = 0;
	assert_non_null(dp);
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (strncmp(de->d_name, ".tmp-", 5) == 0)
			(*tmp)++;
		else
			n++;
	}
	closedir(dp);
	return n;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
test_once(void **state)
{
	struct job *job = make_job(42);
	struct message msg = { "zh", "主题", "正文\n第二行" };
	char err[256] = "", path[128], *text;
	json_t *line;
	int tmp;

	(void)state;
	assert_non_null(job);
	assert_int_equal(write_and_sync(dir, "w1", job, &msg, err, sizeof err), DELIVER_OK);
	assert_int_equal(write_and_sync(dir, "w2", job, &msg, err, sizeof err), DELIVER_DUPLICATE);
	assert_int_equal(write_and_sync(dir, "w1", job, &msg, err, sizeof err), DELIVER_DUPLICATE);
	assert_int_equal(count_entries(dir, &tmp), 1);
	assert_int_equal(tmp, 0);

	snprintf(path, sizeof path, "%s/42.json", dir);
	text = slurp(path);
	/* One line, newline-terminated, the first writer's. */
	assert_int_equal(strchr(text, '\n') - text, (long)strlen(text) - 1);
	line = json_loads(text, 0, NULL);
	assert_non_null(line);
	assert_int_equal(json_integer_value(json_object_get(line, "id")), 42);
	assert_string_equal(json_string_value(json_object_get(line, "channel")), "spool");
	assert_string_equal(json_string_value(json_object_get(line, "recipient")),
	    "agency:430102:reviewers");
	assert_string_equal(json_string_value(json_object_get(line, "template")), "needs_submitted");
	assert_string_equal(json_string_value(json_object_get(line, "lang")), "zh");
	assert_int_equal(json_integer_value(json_object_get(line, "project_id")), 7);
	assert_string_equal(json_string_value(json_object_get(line, "subject")), "主题");
	assert_string_equal(json_string_value(json_object_get(line, "body")), "正文\n第二行");
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(line, "data"), "title")), "社区养老");
	assert_string_equal(json_string_value(json_object_get(line, "worker")), "w1");
	assert_non_null(json_string_value(json_object_get(line, "delivered_at")));
	json_decref(line);
	free(text);
	job_free(job);
}

/* Twenty processes deliver the same ten ids at once: ten files, and each id
 * is reported delivered by exactly one of them. */
static void
test_race(void **state)
{
	enum { PROCS = 20, IDS = 10 };
	struct message msg = { "en", "s", "b" };
	int fds[2], tmp, delivered = 0;
	pid_t pids[PROCS];
	char c;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	for (int p = 0; p < PROCS; p++) {
		pids[p] = fork();
		assert_true(pids[p] >= 0);
		if (pids[p] == 0) {
			close(fds[0]);
			for (int i = 1; i <= IDS; i++) {
				struct job *job = make_job(1000 + i);
				char err[256], name[16];
				enum deliver_result r;

				snprintf(name, sizeof name, "w%d", p);
				r = write_and_sync(dir, name, job, &msg, err, sizeof err);
				c = r == DELIVER_OK ? 'D' : r == DELIVER_DUPLICATE ? 'd' : 'F';
				if (write(fds[1], &c, 1) != 1)
					_exit(2);
				job_free(job);
			}
			_exit(0);
		}
	}
	close(fds[1]);
	while (read(fds[0], &c, 1) == 1) {
		assert_true(c != 'F');
		delivered += c == 'D';
	}
	close(fds[0]);
	for (int p = 0; p < PROCS; p++) {
		int status;

		waitpid(pids[p], &status, 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(delivered, IDS);
	assert_int_equal(count_entries(dir, &tmp), IDS);
	assert_int_equal(tmp, 0);
}

static void
test_prepare_and_failure(void **state)
{
	char sub[128], err[256] = "";
	struct job *job = make_job(5);
	struct message msg = { "en", "s", "b" };
	int tmp;

	(void)state;
	snprintf(sub, sizeof sub, "%s/a/b/spool", dir);
	assert_int_equal(spool_prepare(sub, err, sizeof err), 0);
	assert_int_equal(write_and_sync(sub, "w", job, &msg, err, sizeof err), DELIVER_OK);
	assert_int_equal(count_entries(sub, &tmp), 1);

	/* A directory that is gone: a failure with a reason, not a crash. */
	snprintf(sub, sizeof sub, "%s/missing", dir);
	assert_int_equal(write_and_sync(sub, "w", job, &msg, err, sizeof err), DELIVER_FAILED);
	assert_non_null(strstr(err, "missing"));

	/* spool_dir that is a file. */
	snprintf(sub, sizeof sub, "%s/a/b/spool/5.json", dir);
	assert_int_equal(spool_prepare(sub, err, sizeof err), -1);
	assert_non_null(strstr(err, "Not a directory"));
	job_free(job);
}

static void
test_line(void **state)
{
	struct job *job = make_job(77);
	struct message msg = { "zh", "主题", "正文" };
	char *line;

	(void)state;
	/* 2026-03-01T01:30:00Z */
	line = spool_build_line("w9", job, &msg, INT64_C(1772328600) * 1000000);
	assert_non_null(line);
	assert_null(strchr(line, '\n'));
	assert_non_null(strstr(line, "\"delivered_at\":\"2026-03-01T"));
	assert_non_null(strstr(line, "\"worker\":\"w9\""));
	assert_non_null(strstr(line, "\"subject\":\"主题\""));
	free(line);
	job_free(job);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prepare_and_failure, setup, teardown),
		cmocka_unit_test(test_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
