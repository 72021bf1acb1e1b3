/* End-to-end check of procur-notify: play procurd's part of the ZeroMQ
 * contract (bind PUSH for jobs, PULL for acks), start real workers, send good,
 * resent and malformed jobs, and check the acks and the spool.
 *
 *   e2e_fake_daemon WORKER [TEMPLATES_DIR [LOG4CRC]]
 *
 * WORKER is the procur-notify binary (prefix it with "valgrind ..." through
 * the E2E_WRAP environment variable, e.g. E2E_WRAP=valgrind). Exits 0 when
 * every check passes. Uses tcp://127.0.0.1:25560/25561 (E2E_PORT to move). */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <zmq.h>

#include "util.h"

#define WORKERS   3
#define SPOOL_IDS 60
#define RESENT    25

static int failures;

#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		failures++; \
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
	} \
} while (0)

static void
send_frame(void *push, const char *s)
{
	if (zmq_send(push, s, strlen(s), 0) < 0) {
		fprintf(stderr, "zmq_send: %s\n", zmq_strerror(errno));
		exit(2);
	}
}

static void
send_job(void *push, int64_t id, const char *channel, const char *recipient,
    const char *template_name, const char *lang)
{
	char *s = xasprintf("{\"v\":1,\"id\":%" PRId64 ",\"channel\":\"%s\","
	    "\"recipient\":\"%s\",\"template\":\"%s\",%s%s%s\"project_id\":%" PRId64 ","
	    "\"data\":{\"title\":\"社区居家养老服务 %" PRId64 "\",\"agency\":\"岳麓区民政局\","
	    "\"budget_fen\":120000000,\"reason\":\"缺少服务标准\"}}", id, channel,
	    recipient, template_name, lang ? "\"lang\":\"" : "", lang ? lang : "",
	    lang ? "\"," : "", id % 7 + 1, id);

	send_frame(push, s);
	free(s);
}

static pid_t
start_worker(const char *bin, const char *conf)
{
	pid_t pid = fork();

	if (pid == 0) {
		const char *wrap = getenv("E2E_WRAP");

		if (wrap && *wrap)
			execlp(wrap, wrap, "--error-exitcode=99", "--leak-check=full",
			    "--errors-for-leak-kinds=definite,indirect", "--quiet",
			    bin, "-c", conf, (char *)NULL);
		else
			execl(bin, bin, "-c", conf, (char *)NULL);
		perror(bin);
		_exit(127);
	}
	return pid;
}

static int
count_spool(const char *dir, int *tmp)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	*tmp = 0;
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (strncmp(de->d_name, ".tmp-", 5) == 0)
			(*tmp)++;
		else if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0)
			n++;
	}
	closedir(d);
	return n;
}

int
main(int argc, char **argv)
{
	const char *bin, *templates, *log4crc;
	char dir[] = "/tmp/procur-notify-e2e.XXXXXX", *conf, *spool, *jobs_ep, *acks_ep;
	int port = getenv("E2E_PORT") ? atoi(getenv("E2E_PORT")) : 25560;
	int acked[SPOOL_IDS + 10] = { 0 }, acks_ok = 0, acks_fail = 0, acks_total = 0;
	int expected_acks = SPOOL_IDS + RESENT + 3, n, tmp;
	void *zctx, *push, *pull;
	pid_t pids[WORKERS];
	FILE *f;
	int hwm = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: e2e_fake_daemon WORKER [TEMPLATES_DIR [LOG4CRC]]\n");
		return 2;
	}
	bin = argv[1];
	templates = argc > 2 ? argv[2] : "config/templates";
	log4crc = argc > 3 ? argv[3] : "config/log4crc";
	if (mkdtemp(dir) == NULL)
		return 2;
	jobs_ep = xasprintf("tcp://127.0.0.1:%d", port);
	acks_ep = xasprintf("tcp://127.0.0.1:%d", port + 1);
	spool = xasprintf("%s/spool", dir);
	conf = xasprintf("%s/notify.conf", dir);
	f = fopen(conf, "w");
	fprintf(f, "[notify]\njobs_endpoint = %s\nacks_endpoint = %s\n"
	    "[worker]\nspool_dir = %s\ntemplates_dir = %s\nwebhook_timeout_ms = 2000\n"
	    "[log]\nconfig = %s\n", jobs_ep, acks_ep, spool, templates, log4crc);
	fclose(f);

	zctx = zmq_ctx_new();
	push = zmq_socket(zctx, ZMQ_PUSH);
	pull = zmq_socket(zctx, ZMQ_PULL);
	zmq_setsockopt(push, ZMQ_SNDHWM, &hwm, sizeof hwm);
	if (zmq_bind(push, jobs_ep) != 0 || zmq_bind(pull, acks_ep) != 0) {
		fprintf(stderr, "bind %s/%s: %s\n", jobs_ep, acks_ep, zmq_strerror(errno));
		return 2;
	}
	for (int i = 0; i < WORKERS; i++)
		pids[i] = start_worker(bin, conf);
	/* Let every worker connect, so PUSH spreads the jobs over all of them. */
	sleep(getenv("E2E_WRAP") ? 4 : 1);

	/* Malformed: never acked, never fatal. */
	send_frame(push, "this is not json");
	send_frame(push, "{\"v\":2,\"id\":9001,\"channel\":\"spool\"}");
	send_frame(push, "{\"v\":1,\"id\":9002,\"channel\":\"fax\",\"recipient\":\"x\","
	    "\"template\":\"t\",\"project_id\":1,\"data\":{}}");
	send_frame(push, "[]");
	zmq_send(push, "{\"v\":1", 6, ZMQ_SNDMORE);
	zmq_send(push, ",\"id\":9003}", 11, 0);

	for (int64_t id = 1; id <= SPOOL_IDS; id++)
		send_job(push, id, "spool", id % 2 ? "agency:430102:reviewers" : "user:li.ming",
		    id % 3 == 0 ? "no_such_template" : "needs_returned",
		    id % 4 == 0 ? NULL : id % 4 == 1 ? "zh" : "en");
	/* The daemon's lease resends jobs whose ack it did not see: the same
	 * ids again, so several workers hold the same id at the same time. */
	for (int64_t id = 1; id <= RESENT; id++)
		send_job(push, id, "spool", "agency:430102:reviewers", "needs_returned", "zh");
	/* Failing channels: ok=false with a reason. */
	send_job(push, SPOOL_IDS + 1, "webhook", "http://127.0.0.1:1/hook", "award_made", "zh");
	send_job(push, SPOOL_IDS + 2, "smtp", "li.ming@example.cn", "award_made", "zh");
	send_job(push, SPOOL_IDS + 3, "webhook", "ftp://127.0.0.1/x", "award_made", "en");

	/* A reload in the middle changes nothing visible. */
	kill(pids[0], SIGHUP);

	for (;;) {
		zmq_pollitem_t it = { pull, 0, ZMQ_POLLIN, 0 };
		char buf[4096];
		json_t *ack, *id, *ok, *err;

		if (acks_total >= expected_acks)
			break;
		n = zmq_poll(&it, 1, getenv("E2E_WRAP") ? 30000 : 10000);
		if (n <= 0)
			break;
		n = zmq_recv(pull, buf, sizeof buf - 1, 0);
		if (n < 0)
			continue;
		buf[n] = '\0';
		acks_total++;
		ack = json_loads(buf, 0, NULL);
		CHECK(ack != NULL, "ack is not json: %s", buf);
		if (ack == NULL)
			continue;
		id = json_object_get(ack, "id");
		ok = json_object_get(ack, "ok");
		err = json_object_get(ack, "error");
		CHECK(json_integer_value(json_object_get(ack, "v")) == 1, "ack v: %s", buf);
		CHECK(json_is_integer(id) && json_is_boolean(ok), "ack shape: %s", buf);
		if (json_integer_value(id) >= 1 && json_integer_value(id) <= SPOOL_IDS) {
			CHECK(json_is_true(ok) && json_is_null(err), "spool ack: %s", buf);
			acked[json_integer_value(id)]++;
		} else if (json_integer_value(id) > SPOOL_IDS &&
		    json_integer_value(id) <= SPOOL_IDS + 3) {
			CHECK(json_is_false(ok) && json_is_string(err), "failing ack: %s", buf);
			printf("  ack %" JSON_INTEGER_FORMAT ": ok=false error=\"%s\"\n",
			    json_integer_value(id), json_string_value(err));
			acked[json_integer_value(id)]++;
		} else {
			CHECK(0, "ack for an id never sent: %s", buf);
		}
		if (json_is_true(ok))
			acks_ok++;
		else
			acks_fail++;
		json_decref(ack);
	}
	CHECK(acks_total == expected_acks, "%d acks, expected %d", acks_total, expected_acks);
	for (int id = 1; id <= SPOOL_IDS + 3; id++)
		CHECK(acked[id] == (id <= RESENT ? 2 : 1), "id %d acked %d times", id, acked[id]);

	n = count_spool(spool, &tmp);
	CHECK(n == SPOOL_IDS, "%d spool files, expected %d", n, SPOOL_IDS);
	CHECK(tmp == 0, "%d temporary files left", tmp);
	for (int id = 1; id <= SPOOL_IDS; id++) {
		char *path = xasprintf("%s/%d.json", spool, id);
		json_error_t je;
		json_t *line = json_load_file(path, 0, &je);
		const char *subject;

		CHECK(line != NULL, "%s: %s", path, je.text);
		if (line) {
			subject = json_string_value(json_object_get(line, "subject"));
			CHECK(json_integer_value(json_object_get(line, "id")) == id, "%s: id", path);
			CHECK(subject && strstr(subject, "{{") == NULL, "%s: subject %s", path,
			    subject ? subject : "(none)");
			CHECK(json_is_string(json_object_get(line, "delivered_at")), "%s", path);
			CHECK(json_is_string(json_object_get(line, "worker")), "%s", path);
			if (id == 1 || id == 2 || id == 3)
				printf("  %s: [%s] %s\n", path,
				    json_string_value(json_object_get(line, "lang")), subject);
			json_decref(line);
		}
		free(path);
	}

	/* SIGTERM: each worker finishes and exits 0 (valgrind clean with E2E_WRAP). */
	for (int i = 0; i < WORKERS; i++)
		kill(pids[i], SIGTERM);
	for (int i = 0; i < WORKERS; i++) {
		int status = 0;

		waitpid(pids[i], &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "worker %d: status %d", (int)pids[i], status);
	}

	printf("%d acks (%d ok, %d failed) for %d jobs + 5 malformed frames; %d spool files; %s\n",
	    acks_total, acks_ok, acks_fail, expected_acks, count_spool(spool, &tmp),
	    failures ? "FAILED" : "all checks passed");
	hwm = 0;
	zmq_setsockopt(push, ZMQ_LINGER, &hwm, sizeof hwm);
	zmq_close(push);
	zmq_close(pull);
	zmq_ctx_term(zctx);
	if (failures == 0) {
		char *cmd = xasprintf("rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
		free(cmd);
	} else {
		fprintf(stderr, "left %s for inspection\n", dir);
	}
	free(jobs_ep);
	free(acks_ep);
	free(spool);
	free(conf);
	return failures ? 1 : 0;
}
