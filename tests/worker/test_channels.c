/* Unit tests: webhook and smtp deliveries against tiny local servers, and the
 * dispatch of deliver_job(). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strcasestr */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "../../workers/conf.h"
#include "../../workers/deliver.h"
#include "../../workers/job.h"

static char logpath[64];

static int
listen_any(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fd, 8), 0);
	getsockname(fd, (struct sockaddr *)&a, &len);
	*port = ntohs(a.sin_port);
	return fd;
}

static void
log_bytes(const char *s, size_t n)
{
	FILE *f = fopen(logpath, "a");

	fwrite(s, 1, n, f);
	fclose(f);
}

/* Child: answer CONNS HTTP requests with STATUS, logging each request. */
static void
http_server(int lfd, int conns, int status)
{
	for (int i = 0; i < conns; i++) {
		int c = accept(lfd, NULL, NULL);
		char buf[16384], reply[128], *end, *cl;
		size_t n = 0, want = 0;
		ssize_t r;

		if (c < 0)
			_exit(1);
		while ((r = read(c, buf + n, sizeof buf - 1 - n)) > 0) {
			n += (size_t)r;
			buf[n] = '\0';
			end = strstr(buf, "\r\n\r\n");
			if (end == NULL)
				continue;
			cl = strcasestr(buf, "Content-Length:");
			want = (size_t)(end + 4 - buf) + (cl ? strtoul(cl + 15, NULL, 10) : 0);
			if (n >= want)
				break;
		}
		log_bytes(buf, n);
		log_bytes("\n=====\n", 7);
		snprintf(reply, sizeof reply, "HTTP/1.1 %d X\r\nContent-Length: 2\r\n"
		    "Connection: close\r\n\r\nok", status);
		if (write(c, reply, strlen(reply)) < 0)
			_exit(1);
		close(c);
	}
	_exit(0);
}

static void
say(int c, const char *s)
{
	if (write(c, s, strlen(s)) < 0)
		_exit(1);
}

/* Child: one SMTP session; RCPT is refused when REFUSE. */
static void
smtp_server(int lfd, int refuse)
{
	int c = accept(lfd, NULL, NULL);
	char line[4096];
	size_t n = 0;
	int data = 0;
	char ch;

	if (c < 0)
		_exit(1);
	say(c, "220 test ESMTP\r\n");
	while (read(c, &ch, 1) == 1) {
		if (n < sizeof line - 1)
			line[n++] = ch;
		if (ch != '\n')
			continue;
		line[n] = '\0';
		log_bytes(line, n);
		n = 0;
		if (data) {
			/* libcurl keeps the connection for the next mail rather
			 * than QUIT: the session ends here. */
			if (strcmp(line, ".\r\n") == 0) {
				say(c, "250 queued\r\n");
				break;
			}
		} else if (strncmp(line, "EHLO", 4) == 0) {
			say(c, "250-test\r\n250 8BITMIME\r\n");
		} else if (strncmp(line, "MAIL", 4) == 0) {
			say(c, "250 ok\r\n");
		} else if (strncmp(line, "RCPT", 4) == 0) {
			say(c, refuse ? "550 no such user\r\n" : "250 ok\r\n");
		} else if (strncmp(line, "DATA", 4) == 0) {
			data = 1;
			say(c, "354 go\r\n");
		} else if (strncmp(line, "QUIT", 4) == 0) {
			say(c, "221 bye\r\n");
			break;
		} else {
			say(c, "250 ok\r\n");
		}
	}
	close(c);
	_exit(0);
}

static char *
slurp_log(void)
{
	FILE *f = fopen(logpath, "r");
	char *buf = calloc(1, 65536);

	if (f) {
		buf[fread(buf, 1, 65535, f)] = '\0';
		fclose(f);
	}
	return buf;
}

static int
setup(void **state)
{
	int fd;

	(void)state;
	snprintf(logpath, sizeof logpath, "/tmp/test_channels.XXXXXX");
	fd = mkstemp(logpath);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(logpath);
	return 0;
}

static struct job *
make_job(const char *channel, const char *recipient)
{
	char frame[512], why[128];
	int64_t seen;
	struct job *job;

	snprintf(frame, sizeof frame, "{\"v\":1,\"id\":42,\"channel\":\"%s\","
	    "\"recipient\":\"%s\",\"template\":\"no_template_here\",\"project_id\":7,"
	    "\"lang\":\"en\",\"data\":{\"title\":\"社区养老\"}}", channel, recipient);
	job = job_parse(frame, strlen(frame), why, sizeof why, &seen);
	assert_non_null(job);
	return job;
}

static void
wait_child(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
test_webhook(void **state)
{
	char *errors, err[256], url[64], *log;
	struct conf *conf = conf_load(NULL, &errors);
	struct deliver *d = deliver_new(conf, NULL);
	struct job *job;
	int port, lfd = listen_any(&port);
	pid_t pid;

	(void)state;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", port);
	job = make_job("webhook", url);
	pid = fork();
	if (pid == 0)
		http_server(lfd, 1, 204);
	assert_int_equal(deliver_job(d, job, err, sizeof err), DELIVER_OK);
	wait_child(pid);
	log = slurp_log();
	assert_non_null(strstr(log, "POST /hook HTTP/1.1\r\n"));
	assert_non_null(strcasestr(log, "\r\nIdempotency-Key: 42\r\n"));
	assert_non_null(strcasestr(log, "\r\nContent-Type: application/json\r\n"));
	assert_non_null(strstr(log, "\"id\":42"));
	assert_non_null(strstr(log, "社区养老"));
	free(log);

	pid = fork();
	if (pid == 0)
		http_server(lfd, 1, 500);
	assert_int_equal(deliver_job(d, job, err, sizeof err), DELIVER_FAILED);
	assert_string_equal(err, "http 500");
	wait_child(pid);
	job_free(job);

	/* Nobody listening: a curl error, quickly. */
	close(lfd);
	job = make_job("webhook", url);
	assert_int_equal(deliver_job(d, job, err, sizeof err), DELIVER_FAILED);
	assert_non_null(strstr(err, "curl: "));
	job_free(job);

	/* Not http(s): refused before any I/O (no file://, no gopher://). */
	job = make_job("webhook", "file:///etc/passwd");
	assert_int_equal(deliver_job(d, job, err, sizeof err), DELIVER_FAILED);
	assert_non_null(strstr(err, "not an http"));
	job_free(job);

	deliver_free(d);
	conf_free(conf);
}

static void
test_smtp(void **state)
{
	char *errors, err[256], *log;
	struct conf *conf = conf_load(NULL, &errors);
	struct deliver *d = deliver_new(conf, NULL);
	struct job *job = make_job("smtp", "li.ming@example.cn");
	int port, lfd = listen_any(&port);
	pid_t pid;

	(void)state;
	/* Not configured: a clear error. */
	assert_int_equal(deliver_job(d, job, err, sizeof err), DELIVER_FAILED);
	assert_non_null(strstr(err, "smtp_url"));

	free(conf->smtp_url);
	conf->smtp_url = calloc(1, 64);
	snprintf(conf->smtp_url, 64, "smtp://127.0.0.1:%d", port);
	pid = fork();
	if (pid == 0)
		smtp_server(lfd, 0);
	if (deliver_job(d, job, err, sizeof err) != DELIVER_OK)
		fail_msg("smtp: %s", err);
	wait_child(pid);
	log = slurp_log();
	assert_non_null(strstr(log, "MAIL FROM:<procurd@localhost>"));
	assert_non_null(strstr(log, "RCPT TO:<li.ming@example.cn>"));
	assert_non_null(strstr(log, "Message-ID: <procurd.outbox.42@localhost>\r\n"));
	assert_non_null(strstr(log, "Subject: =?UTF-8?B?"));
	free(log);

	pid = fork();
	if (pid == 0)
		smtp_server(lfd, 1);
	assert_int_equal(deliver_job(d, job, err, sizeof err), DELIVER_FAILED);
	assert_non_null(strstr(err, "smtp: "));
	wait_child(pid);
	job_free(job);

	job = make_job("smtp", "not an address");
	assert_int_equal(deliver_job(d, job, err, sizeof err), DELIVER_FAILED);
	assert_non_null(strstr(err, "not an email address"));
	job_free(job);

	close(lfd);
	deliver_free(d);
	conf_free(conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_webhook, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smtp, setup, teardown),
	};
	int rc;

	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
