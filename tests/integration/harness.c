/* The integration-test harness: see harness.h. */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *h_group_name = "it";
const char *h_group_extra_conf = NULL;

static void show(const struct resp *r);

/* The harness of the running daemon: a 5xx answer shows its log. */
static struct harness *current;

/* ------------------------------------------------------------------------ */
/* Small things                                                             */

static const char *
env(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

void
h_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int
h_free_port(void)
{
	/* The kernel may hand the same free port to two probes in a row (one
	 * daemon's HTTP port and its jobs endpoint once did, and it could not
	 * listen): a port given out here is not given out again. */
	static int given[256];
	static size_t n_given;
	for (int tries = 0; tries < 64; tries++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a;
		socklen_t len = sizeof a;
		int port = -1;
		if (fd < 0)
			return -1;
		memset(&a, 0, sizeof a);
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
		    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
			port = ntohs(a.sin_port);
		close(fd);
		if (port < 0)
			return -1;
		bool seen = false;
		for (size_t i = 0; i < n_given && i < sizeof given / sizeof given[0]; i++)
			seen |= given[i] == port;
		if (seen)
			continue;
		given[n_given++ % (sizeof given / sizeof given[0])] = port;
		return port;
	}
	return -1;
}

static void
trash(struct harness *h, json_t *j, char *raw)
{
	if (h->n_trash == h->cap_trash) {
		h->cap_trash = h->cap_trash ? h->cap_trash * 2 : 64;
		h->trash_json = xrealloc(h->trash_json, h->cap_trash * sizeof *h->trash_json);
		h->trash_raw = xrealloc(h->trash_raw, h->cap_trash * sizeof *h->trash_raw);
	}
	h->trash_json[h->n_trash] = j;
	h->trash_raw[h->n_trash] = raw;
	h->n_trash++;
}

void
h_gc(struct harness *h)
{
	for (size_t i = 0; i < h->n_trash; i++) {
		json_decref(h->trash_json[i]);
		free(h->trash_raw[i]);
	}
	h->n_trash = 0;
}

/* ------------------------------------------------------------------------ */
/* PostgreSQL                                                               */

static void
pg_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static PGconn *
pg_connect(const char *dbname)
{
	char ci[512];
	snprintf(ci, sizeof ci, "host=%s port=%s user=%s dbname=%s",
	    env("PROCURD_TEST_PGHOST", "/tmp"), env("PROCURD_TEST_PGPORT", "5432"),
	    env("PROCURD_TEST_PGUSER", "postgres"), dbname);
	PGconn *c = PQconnectdb(ci);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "harness: cannot connect to %s: %s", ci, PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, pg_quiet, NULL);
	return c;
}

static int
pg_exec(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "harness: SQL failed: %s\n  %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	return ok ? 0 : -1;
}

int
harness_sql(struct harness *h, const char *sql)
{
	PGconn *c = pg_connect(h->dbname);
	if (c == NULL)
		return -1;
	int rc = pg_exec(c, sql);
	PQfinish(c);
	return rc;
}

int
harness_sql_value(struct harness *h, const char *sql, char *out, size_t outlen)
{
	PGconn *c = pg_connect(h->dbname);
	out[0] = '\0';
	if (c == NULL)
		return -1;
	PGresult *r = PQexec(c, sql);
	int rc = -1;
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		if (PQntuples(r) > 0 && PQnfields(r) > 0)
			snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
		rc = 0;
	} else {
		fprintf(stderr, "harness: SQL failed: %s\n  %s", sql, PQresultErrorMessage(r));
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Processes                                                                */

void
h_print_file(const char *what, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[2048];
	if (f == NULL)
		return;
	fprintf(stderr, "---- %s: %s ----\n", what, path);
	while (fgets(line, sizeof line, f))
		fputs(line, stderr);
	fprintf(stderr, "---- end of %s ----\n", what);
	fclose(f);
}

void
harness_print_log(struct harness *h)
{
	h_print_file("procurd log", h->log);
}

static int
log_fd(struct harness *h)
{
	return open(h->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

int
harness_ctl(struct harness *h, char *out, size_t outlen, ...)
{
	char *argv[32];
	int argc = 0, pfd[2];
	char exe[512];
	va_list ap;

	snprintf(exe, sizeof exe, "%s/procurctl", env("PROCURD_BUILD", "build"));
	argv[argc++] = exe;
	argv[argc++] = (char *)"-c";
	argv[argc++] = h->conf;
	va_start(ap, outlen);
	for (const char *a; argc < 31 && (a = va_arg(ap, const char *)) != NULL;)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;

	if (pipe(pfd))
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int lf = log_fd(h);
		dup2(pfd[1], 1);
		if (lf >= 0)
			dup2(lf, 2);
		close(pfd[0]);
		close(pfd[1]);
		execv(exe, argv);
		_exit(127);
	}
	close(pfd[1]);
	size_t len = 0;
	char buf[4096];
	ssize_t k;
	while ((k = read(pfd[0], buf, sizeof buf)) > 0 || (k < 0 && errno == EINTR)) {
		if (k <= 0)
			continue;
		if (out != NULL && len + 1 < outlen) {
			size_t take = (size_t)k < outlen - 1 - len ? (size_t)k : outlen - 1 - len;
			memcpy(out + len, buf, take);
			len += take;
		}
	}
	close(pfd[0]);
	if (out != NULL && outlen > 0)
		out[len] = '\0';
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
chomp(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
}

void
harness_agency(struct harness *h, const char *code, const char *name, const char *level,
    const char *parent)
{
	int rc = parent ?
	    harness_ctl(h, NULL, 0, "agency", "add", code, "--name", name, "--level", level,
		"--parent", parent, (char *)NULL) :
	    harness_ctl(h, NULL, 0, "agency", "add", code, "--name", name, "--level", level,
		(char *)NULL);
	if (rc != 0) {
		harness_print_log(h);
		fail_msg("procurctl agency add %s exited %d", code, rc);
	}
}

void
harness_one_time(struct harness *h, const char *name, char pw[17])
{
	char out[256];
	int rc = harness_ctl(h, out, sizeof out, "user", "passwd", name, "--generate", (char *)NULL);
	out[strcspn(out, "\n")] = '\0';
	if (rc != 0 || strlen(out) != 16)
		fail_msg("procurctl user passwd %s --generate exited %d, printed \"%s\"", name, rc, out);
	snprintf(pw, 17, "%s", out);
}

void
harness_user(struct harness *h, const char *name, const char *roles, const char *agency,
    char token[65])
{
	char out[256];
	int rc = harness_ctl(h, out, sizeof out, "user", "add", name, "--role", roles, "--agency",
	    agency, (char *)NULL);
	chomp(out);
	if (rc != 0 || strlen(out) != 64) {
		harness_print_log(h);
		fail_msg("procurctl user add %s exited %d, printed \"%s\"", name, rc, out);
	}
	snprintf(token, 65, "%s", out);
}

int
harness_daemon_start(struct harness *h)
{
	char exe[512];
	snprintf(exe, sizeof exe, "%s/procurd", env("PROCURD_BUILD", "build"));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int lf = log_fd(h);
		if (lf >= 0) {
			dup2(lf, 1);
			dup2(lf, 2);
		}
		execl(exe, exe, "-c", h->conf, (char *)NULL);
		_exit(127);
	}
	h->pid = pid;
	/* ready within 15 s, or the log says why not */
	for (int i = 0; i < 300; i++) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fprintf(stderr, "harness: procurd exited early (status %d)\n", st);
			h->pid = 0;
			harness_print_log(h);
			return -1;
		}
		struct resp r = h_req(h, "GET", "/healthz?ready=1", NULL, NULL, NULL);
		if (r.status == 200)
			return 0;
		h_sleep_ms(50);
	}
	fprintf(stderr, "harness: procurd not ready after 15 s\n");
	harness_print_log(h);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	h->pid = 0;
	return -1;
}

int
harness_daemon_term(struct harness *h)
{
	int st;
	if (h->pid <= 0)
		return -1;
	/* close our keep-alive connection so draining has nothing to wait for */
	curl_easy_cleanup(h->curl);
	h->curl = curl_easy_init();
	kill(h->pid, SIGTERM);
	for (int i = 0; i < 400; i++) {
		pid_t w = waitpid(h->pid, &st, WNOHANG);
		if (w == h->pid) {
			h->pid = 0;
			if (WIFEXITED(st))
				return WEXITSTATUS(st);
			fprintf(stderr, "harness: procurd ended by signal %d\n",
			    WIFSIGNALED(st) ? WTERMSIG(st) : -1);
			return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
		}
		h_sleep_ms(25);
	}
	fprintf(stderr, "harness: procurd did not stop within 10 s of SIGTERM\n");
	kill(h->pid, SIGKILL);
	waitpid(h->pid, NULL, 0);
	h->pid = 0;
	return -1;
}

void
harness_kill(struct harness *h)
{
	if (h->pid <= 0)
		return;
	kill(h->pid, SIGKILL);
	waitpid(h->pid, NULL, 0);
	h->pid = 0;
	curl_easy_cleanup(h->curl);
	h->curl = curl_easy_init();
}

void
harness_restart(struct harness *h)
{
	int rc = harness_daemon_term(h);
	if (rc != 0) {
		harness_print_log(h);
		fail_msg("procurd exited %d on SIGTERM, not 0", rc);
	}
	if (harness_daemon_start(h) != 0)
		fail_msg("procurd did not start again");
}

static int
write_config(struct harness *h)
{
	const char *root = env("PROCURD_ROOT", ".");
	int jobs = h_free_port(), acks = h_free_port(), events = h_free_port();
	FILE *f = fopen(h->conf, "w");
	if (f == NULL || jobs < 0 || acks < 0 || events < 0) {
		if (f)
			fclose(f);
		return -1;
	}
	fprintf(f,
	    "; written by tests/integration/harness.c\n"
	    "[database]\nconninfo = %s\npool_size = 4\nmigrations = %s/sql\n\n"
	    "[http]\nlisten = 127.0.0.1:%d\n\n"
	    "[log]\nconfig = %s/config/log4crc\n\n"
	    "[clock]\nadjustable = true\n\n"
	    "[calendar]\nfile = %s/data/calendar/cn.txt\n\n"
	    "[policy]\nprofiles = %s/config/profiles\n\n"
	    /* the suites of other concerns drive events without documents;
	     * it_documents requires them as shipped (h->attach_documents) */
	    "[documents]\npublish =\nsign_contract =\naccept =\nconfirm_payment =\n\n"
	    "[notify]\njobs_endpoint = tcp://127.0.0.1:%d\nacks_endpoint = tcp://127.0.0.1:%d\n\n"
	    "[events]\nendpoint = tcp://127.0.0.1:%d\n\n%s\n",
	    h->pg_conninfo, root, h->port, root, root, root, jobs, acks, events, h->extra_conf);
	return fclose(f) == 0 ? 0 : -1;
}

int
harness_start(struct harness *h, const char *name, const char *extra_conf)
{
	char sql[256], tmpl[] = "/tmp/procurd-it.XXXXXX";

	memset(h, 0, sizeof *h);
	snprintf(h->name, sizeof h->name, "%s", name);
	snprintf(h->dbname, sizeof h->dbname, "it_%s_%d", name, (int)getpid());
	snprintf(h->extra_conf, sizeof h->extra_conf, "%s", extra_conf ? extra_conf : "");
	const char *tmpdir = getenv("TMPDIR");
	char tbuf[300];
	snprintf(tbuf, sizeof tbuf, "%s/procurd-it.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	char *d = mkdtemp(tmpdir && *tmpdir ? tbuf : tmpl);
	if (d == NULL) {
		perror("harness: mkdtemp");
		return -1;
	}
	snprintf(h->dir, sizeof h->dir, "%s", d);
	snprintf(h->conf, sizeof h->conf, "%s/procurd.conf", h->dir);
	snprintf(h->log, sizeof h->log, "%s/procurd.log", h->dir);
	h->curl = curl_easy_init();
	current = h;

	PGconn *pg = pg_connect("postgres");
	if (pg == NULL)
		return -1;
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\"", h->dbname);
	pg_exec(pg, sql);
	snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", h->dbname);
	int rc = pg_exec(pg, sql);
	PQfinish(pg);
	if (rc)
		return -1;
	snprintf(h->pg_conninfo, sizeof h->pg_conninfo, "host=%s port=%s user=%s dbname=%s",
	    env("PROCURD_TEST_PGHOST", "/tmp"), env("PROCURD_TEST_PGPORT", "5432"),
	    env("PROCURD_TEST_PGUSER", "postgres"), h->dbname);

	h->port = h_free_port();
	snprintf(h->url, sizeof h->url, "http://127.0.0.1:%d", h->port);
	if (h->port < 0 || write_config(h)) {
		fprintf(stderr, "harness: cannot write %s\n", h->conf);
		return -1;
	}
	char out[256] = "";
	if ((rc = harness_ctl(h, out, sizeof out, "migrate", (char *)NULL)) != 0) {
		fprintf(stderr, "harness: procurctl migrate exited %d\n", rc);
		harness_print_log(h);
		return -1;
	}
	if (harness_daemon_start(h))
		return -1;
	/* the harness's own top agency and admin, and the fixed date */
	if (harness_ctl(h, NULL, 0, "agency", "add", "HARNESS", "--name", "harness", "--level",
	    "province", (char *)NULL) != 0 ||
	    harness_ctl(h, out, sizeof out, "user", "add", "harness-admin", "--role", "admin",
	    "--agency", "HARNESS", (char *)NULL) != 0) {
		harness_print_log(h);
		return -1;
	}
	chomp(out);
	snprintf(h->admin, sizeof h->admin, "%s", out);
	struct resp r = h_post(h, h->admin, "/v1/admin/clock", "{\"set\":\"%s\"}", H_EPOCH);
	if (r.status != 200 || time_parse(h_str(r.body, "now"), &h->now)) {
		fprintf(stderr, "harness: setting the clock: %ld %s\n", r.status, r.raw);
		return -1;
	}
	return 0;
}

static void
rm_rf(const char *dir)
{
	char cmd[600];
	if (strncmp(dir, "/", 1) != 0 || strstr(dir, "procurd-it.") == NULL)
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "harness: could not remove %s\n", dir);
}

void
harness_stop(struct harness *h)
{
	char sql[256];
	int rc = 0;

	if (h->pid > 0)
		rc = harness_daemon_term(h);
	if (rc != 0)
		harness_print_log(h);
	h_gc(h);
	free(h->trash_json);
	free(h->trash_raw);
	h->trash_json = NULL;
	h->trash_raw = NULL;
	h->cap_trash = 0;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	h->curl = NULL;
	PGconn *pg = pg_connect("postgres");
	if (pg) {
		snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", h->dbname);
		pg_exec(pg, sql);
		PQfinish(pg);
	}
	if (h->dir[0])
		rm_rf(h->dir);
	if (rc != 0)
		fail_msg("procurd exited %d on SIGTERM, not 0", rc);
}

static struct harness group_h;

int
h_group_setup(void **state)
{
	if (harness_start(&group_h, h_group_name, h_group_extra_conf) != 0) {
		harness_stop(&group_h);
		return -1;
	}
	*state = &group_h;
	return 0;
}

int
harness_teardown(struct harness *h)
{
	int rc = h->pid > 0 ? harness_daemon_term(h) : 0;
	if (rc != 0) {
		fprintf(stderr, "harness: procurd exited %d on SIGTERM, not 0\n", rc);
		harness_print_log(h);
	}
	harness_stop(h);
	return rc == 0 ? 0 : -1;
}

int
h_group_teardown(void **state)
{
	struct harness *h = *state;
	return h == NULL ? 0 : harness_teardown(h);
}

int
h_test_teardown(void **state)
{
	h_gc(*state);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* HTTP                                                                     */

struct buf {
	char *p;
	size_t n;
};

static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t k = size * nmemb;
	b->p = xrealloc(b->p, b->n + k + 1);
	memcpy(b->p + b->n, ptr, k);
	b->n += k;
	b->p[b->n] = '\0';
	return k;
}

static void log_answer(const char *method, const char *path, const struct resp *r);
static struct resp req_raw(CURL *c, const char *base, const char *method, const char *path,
    const char *token, const void *body, size_t body_len, const char *ctype,
    const char *extra_header);

struct resp
h_req_on(CURL *c, const char *base, const char *method, const char *path, const char *token,
    const char *body, const char *extra_header)
{
	return req_raw(c, base, method, path, token, body, body ? strlen(body) : 0,
	    "application/json", extra_header);
}

struct resp
h_upload(struct harness *h, const char *token, const char *path, const void *data, size_t len,
    const char *ctype, const char *extra_header)
{
	struct resp r = req_raw(h->curl, h->url, "POST", path, token, data, len, ctype,
	    extra_header);
	log_answer("POST", path, &r);
	trash(h, r.body, r.raw);
	trash(h, NULL, r.headers);
	return r;
}

static struct resp
req_raw(CURL *c, const char *base, const char *method, const char *path, const char *token,
    const void *body, size_t body_len, const char *ctype, const char *extra_header)
{
	struct resp r = { 0, NULL, NULL, NULL, 0 };
	struct buf b = { NULL, 0 }, hb = { NULL, 0 };
	struct curl_slist *hdr = NULL;
	char url[2048], auth[256];

	snprintf(url, sizeof url, "%s%s", base, path);
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &hb);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	hdr = curl_slist_append(hdr, "Expect:");
	if (token) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
		hdr = curl_slist_append(hdr, auth);
	}
	/* EXTRA_HEADER may hold several, a line each */
	for (const char *p = extra_header; p && *p;) {
		size_t n = strcspn(p, "\n");
		char *one = xstrndup(p, n);
		hdr = curl_slist_append(hdr, one);
		free(one);
		p += n + (p[n] == '\n');
	}
	if (body) {
		char ct[256];
		snprintf(ct, sizeof ct, "Content-Type: %s", ctype);
		if (ctype[0])
			hdr = curl_slist_append(hdr, ct);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	} else if (!strcmp(method, "GET")) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else if (!strcmp(method, "HEAD")) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);	/* a HEAD's answer has none */
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	CURLcode cc = curl_easy_perform(c);
	curl_slist_free_all(hdr);
	if (cc != CURLE_OK) {
		r.status = -1;
		r.raw = xasprintf("curl: %s", curl_easy_strerror(cc));
		free(b.p);
		free(hb.p);
		return r;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	r.raw = b.p ? b.p : xstrdup("");
	r.raw_len = b.n;
	r.headers = hb.p ? hb.p : xstrdup("");
	r.body = json_loads(r.raw, JSON_DECODE_ANY, NULL);
	return r;
}

void
h_resp_free(struct resp *r)
{
	json_decref(r->body);
	free(r->raw);
	free(r->headers);
	r->body = NULL;
	r->raw = NULL;
	r->headers = NULL;
}

void
h_record(struct harness *h, FILE *f)
{
	h->record = f;
	h->record_paused = 0;
}

static bool
digits_at(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* The length of an RFC 3339 time at S, or 0. */
static size_t
time_at(const char *s)
{
	if (!digits_at(s, 4) || s[4] != '-' || !digits_at(s + 5, 2) || s[7] != '-' ||
	    !digits_at(s + 8, 2) || s[10] != 'T' || !digits_at(s + 11, 2) || s[13] != ':' ||
	    !digits_at(s + 14, 2) || s[16] != ':' || !digits_at(s + 17, 2))
		return 0;
	size_t n = 19;
	if (s[n] == '.')
		for (n++; s[n] >= '0' && s[n] <= '9'; n++)
			;
	if (s[n] == 'Z')
		return n + 1;
	if ((s[n] == '+' || s[n] == '-') && digits_at(s + n + 1, 2) && s[n + 3] == ':' &&
	    digits_at(s + n + 4, 2))
		return n + 6;
	return 0;
}

static size_t
hash_at(const char *s)
{
	size_t n = 0;
	while ((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f'))
		n++;
	return n == 64 ? 64 : 0;
}

char *
h_mask(const char *text)
{
	static const char off[] = "\"offset_seconds\":";
	size_t cap = strlen(text) + 1, o = 0;
	char *out = xmalloc(cap);
	for (const char *s = text; *s;) {
		size_t n;
		if ((n = time_at(s)) > 0) {
			memcpy(out + o, "<time>", 6);	/* never longer than a time */
			o += 6;
			s += n;
		} else if ((n = hash_at(s)) > 0) {
			memcpy(out + o, "<hash>", 6);
			o += 6;
			s += n;
		} else if (strncmp(s, off, sizeof off - 1) == 0) {
			memcpy(out + o, off, sizeof off - 1);
			o += sizeof off - 1;
			s += sizeof off - 1;
			while (*s == '-' || (*s >= '0' && *s <= '9'))
				s++;
			out[o++] = 'N';
		} else {
			out[o++] = *s++;
		}
	}
	out[o] = '\0';
	return out;
}

static void
record(struct harness *h, const char *method, const char *path, const struct resp *r)
{
	if (h->record == NULL || h->record_paused)
		return;
	char *body = h_mask(r->raw ? r->raw : "");
	size_t n = strlen(body);
	while (n > 0 && body[n - 1] == '\n')
		body[--n] = '\0';
	fprintf(h->record, "%s %s -> %ld\n%s\n", method, path, r->status, body);
	free(body);
}

/* Every answer, when PROCURD_ANSWERS names a file: one JSON line of
 * method, path, status and body, for tests/openapi/check_answers.py to
 * validate against the OpenAPI document (make check does). */
static void
log_answer(const char *method, const char *path, const struct resp *r)
{
	const char *file = getenv("PROCURD_ANSWERS");
	if (file == NULL || r->status <= 0)
		return;
	/* the answer's type, as its header said */
	char type[96] = "";
	const char *ct = r->headers ? strcasestr(r->headers, "\ncontent-type:") : NULL;
	if (ct) {
		ct += 14;
		ct += strspn(ct, " ");
		snprintf(type, sizeof type, "%.*s", (int)strcspn(ct, ";\r\n"), ct);
	}
	json_t *line = json_pack("{s:s,s:s,s:i,s:s,s:s}", "method", method, "path", path, "status",
	    (int)r->status, "body", r->raw ? r->raw : "", "type", type);
	char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
	FILE *f = text ? fopen(file, "a") : NULL;
	if (f) {
		fprintf(f, "%s\n", text);
		fclose(f);
	}
	free(text);
	json_decref(line);
}

struct resp
h_req(struct harness *h, const char *method, const char *path, const char *token,
    const char *body, const char *extra_header)
{
	struct resp r = h_req_on(h->curl, h->url, method, path, token, body, extra_header);
	trash(h, r.body, r.raw);
	trash(h, NULL, r.headers);
	record(h, method, path, &r);
	log_answer(method, path, &r);
	return r;
}

struct resp
h_get(struct harness *h, const char *token, const char *fmt, ...)
{
	va_list ap;
	char path[1024];
	va_start(ap, fmt);
	vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	return h_req(h, "GET", path, token, NULL, NULL);
}

static struct resp
send_fmt(struct harness *h, const char *method, const char *token, const char *path,
    const char *fmt, va_list ap)
{
	char *body;
	if (vasprintf(&body, fmt, ap) < 0)
		abort();
	struct resp r = h_req(h, method, path, token, body, NULL);
	free(body);
	return r;
}

struct resp
h_post(struct harness *h, const char *token, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct resp r = send_fmt(h, "POST", token, path, fmt, ap);
	va_end(ap);
	return r;
}

struct resp
h_put(struct harness *h, const char *token, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct resp r = send_fmt(h, "PUT", token, path, fmt, ap);
	va_end(ap);
	return r;
}

static struct resp
event_va(struct harness *h, const char *token, int64_t id, const char *ev, int64_t version,
    const char *fmt, va_list ap)
{
	char *payload = NULL, *body, path[64], ver[48] = "";
	if (fmt == NULL)
		payload = xstrdup("{}");
	else if (vasprintf(&payload, fmt, ap) < 0)
		abort();
	if (version >= 0)
		snprintf(ver, sizeof ver, ",\"expected_version\":%lld", (long long)version);
	body = xasprintf("{\"event\":\"%s\"%s,\"payload\":%s}", ev, ver, payload);
	snprintf(path, sizeof path, "/v1/projects/%lld/events", (long long)id);
	struct resp r = h_req(h, "POST", path, token, body, NULL);
	free(payload);
	free(body);
	return r;
}

struct resp
h_event(struct harness *h, const char *token, int64_t id, const char *ev, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct resp r = event_va(h, token, id, ev, -1, fmt, ap);
	va_end(ap);
	return r;
}

struct resp
h_event_v(struct harness *h, const char *token, int64_t id, const char *ev, int64_t version,
    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct resp r = event_va(h, token, id, ev, version, fmt, ap);
	va_end(ap);
	return r;
}

/* ------------------------------------------------------------------------ */
/* JSON                                                                     */

json_t *
h_at(json_t *root, const char *path)
{
	json_t *cur = root;
	char seg[128];
	const char *p = path;

	while (cur != NULL && *p) {
		size_t n = strcspn(p, ".");
		if (n >= sizeof seg)
			return NULL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		p += n;
		if (*p == '.')
			p++;
		if (json_is_array(cur)) {
			char *end;
			long i = strtol(seg, &end, 10);
			cur = *end == '\0' && i >= 0 ? json_array_get(cur, (size_t)i) : NULL;
		} else if (json_is_object(cur)) {
			cur = json_object_get(cur, seg);
		} else {
			return NULL;
		}
	}
	return cur;
}

const char *
h_str(json_t *root, const char *path)
{
	json_t *v = h_at(root, path);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

int64_t
h_int(json_t *root, const char *path)
{
	json_t *v = h_at(root, path);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : INT64_MIN;
}

double
h_num(json_t *root, const char *path)
{
	json_t *v = h_at(root, path);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

size_t
h_len(json_t *root, const char *path)
{
	json_t *v = h_at(root, path);
	return json_is_array(v) ? json_array_size(v) : 0;
}

/* ------------------------------------------------------------------------ */
/* Assertions                                                               */

static void
show(const struct resp *r)
{
	print_error("    response %ld: %.3000s\n", r->status, r->raw ? r->raw : "(none)");
}

void
h_assert_status(const struct resp *r, long status, const char *file, int line)
{
	if (r->status != status) {
		print_error("expected HTTP %ld, got %ld\n", status, r->status);
		show(r);
		if (r->status >= 500 && current != NULL)
			harness_print_log(current);
		_fail(file, line);
	}
}

void
h_assert_error(const struct resp *r, long status, const char *code, const char *file, int line)
{
	h_assert_status(r, status, file, line);
	json_t *e = h_at(r->body, "error");
	const char *got = h_str(r->body, "error.code");
	const char *msg = h_str(r->body, "error.message");
	if (!json_is_object(e) || got == NULL || msg == NULL || *msg == '\0' ||
	    !json_is_object(h_at(r->body, "error.details"))) {
		print_error("the body is not {\"error\":{\"code\",\"message\",\"details\":{}}}\n");
		show(r);
		_fail(file, line);
	}
	if (strcmp(got, code) != 0) {
		print_error("expected error code \"%s\", got \"%s\"\n", code, got);
		show(r);
		_fail(file, line);
	}
}

void
h_assert_rule(const struct resp *r, const char *rule, const char *file, int line)
{
	const char *got = h_str(r->body, "error.details.rule");
	if (got == NULL || strcmp(got, rule) != 0) {
		print_error("expected details.rule \"%s\", got \"%s\"\n", rule, got ? got : "(none)");
		show(r);
		_fail(file, line);
	}
}

static void
show_json(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	print_error("    in: %.3000s\n", s ? s : "(null)");
	free(s);
}

void
h_assert_str(json_t *root, const char *path, const char *want, const char *file, int line)
{
	const char *got = h_str(root, path);
	if (got == NULL || strcmp(got, want) != 0) {
		print_error("%s: expected \"%s\", got %s%s%s\n", path, want, got ? "\"" : "",
		    got ? got : "(not a string)", got ? "\"" : "");
		show_json(root);
		_fail(file, line);
	}
}

void
h_assert_int(json_t *root, const char *path, int64_t want, const char *file, int line)
{
	int64_t got = h_int(root, path);
	if (got != want) {
		if (got == INT64_MIN)
			print_error("%s: expected %lld, got no integer\n", path, (long long)want);
		else
			print_error("%s: expected %lld, got %lld\n", path, (long long)want,
			    (long long)got);
		show_json(root);
		_fail(file, line);
	}
}

void
h_assert_num(json_t *root, const char *path, double want, const char *file, int line)
{
	double got = h_num(root, path);
	if (isnan(got) || fabs(got - want) > 0.005) {
		print_error("%s: expected %.4f, got %.4f\n", path, want, got);
		show_json(root);
		_fail(file, line);
	}
}

/* ------------------------------------------------------------------------ */
/* Clock                                                                    */

static void
clock_post(struct harness *h, const char *body)
{
	struct resp r = h_req(h, "POST", "/v1/admin/clock", h->admin, body, NULL);
	assert_status(r, 200);
	const char *now = h_str(r.body, "now");
	if (now == NULL || time_parse(now, &h->now))
		fail_msg("the clock answered without a time: %s", r.raw);
}

void
h_clock_set(struct harness *h, const char *when)
{
	char body[128];
	snprintf(body, sizeof body, "{\"set\":\"%s\"}", when);
	clock_post(h, body);
}

void
h_clock_advance(struct harness *h, int64_t seconds)
{
	char body[128];
	snprintf(body, sizeof body, "{\"advance_seconds\":%lld}", (long long)seconds);
	clock_post(h, body);
}

int64_t
h_clock_offset(struct harness *h)
{
	struct resp r = h_req(h, "POST", "/v1/admin/clock", h->admin, "{\"advance_seconds\":0}",
	    NULL);
	assert_status(r, 200);
	time_parse(h_str(r.body, "now"), &h->now);
	return h_int(r.body, "offset_seconds");
}

const char *
h_time(struct harness *h, int days, const char *hhmm)
{
	static char ring[8][48];
	static int n;
	char *out = ring[n++ & 7];
	const int off = 8 * 3600;
	usec_t t = h->now - h->now % USEC_PER_SEC + (usec_t)days * H_DAY * USEC_PER_SEC;
	if (hhmm != NULL) {
		int hh = 0, mm = 0;
		sscanf(hhmm, "%d:%d", &hh, &mm);
		usec_t local = t + (usec_t)off * USEC_PER_SEC;
		usec_t day_start = local - local % USEC_PER_DAY - (usec_t)off * USEC_PER_SEC;
		t = day_start + ((usec_t)hh * 3600 + mm * 60) * USEC_PER_SEC;
	}
	return time_format(t, off, out, 48);
}

/* ------------------------------------------------------------------------ */
/* Fixtures                                                                 */

static const char credit_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int credit_weights[17] = { 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10,
	30, 28 };

char
h_credit_check_char(const char base17[17])
{
	int sum = 0;
	for (int i = 0; i < 17; i++) {
		const char *p = strchr(credit_alphabet, base17[i]);
		if (p == NULL || base17[i] == '\0')
			return '?';
		sum += (int)(p - credit_alphabet) * credit_weights[i];
	}
	return credit_alphabet[(31 - sum % 31) % 31];
}

void
h_credit_code(struct harness *h, char out[19])
{
	snprintf(out, 19, "91430100MA4L%05d", ++h->serial % 100000);
	out[17] = h_credit_check_char(out);
	out[18] = '\0';
}

int64_t
h_contractor(struct harness *h, const char *officer, const char *name, const char *missing)
{
	static const char *flags[] = { "independent_liability", "facilities", "staff",
		"professional_capability", "governance", "financial_management" };
	char code[19], body[1024];
	size_t n;

	h_credit_code(h, code);
	n = (size_t)snprintf(body, sizeof body,
	    "{\"name\":\"%s\",\"kind\":\"social_organization\",\"credit_code\":\"%s\"", name, code);
	for (int i = 0; i < 6; i++)
		n += (size_t)snprintf(body + n, sizeof body - n, ",\"%s\":%s", flags[i],
		    missing && !strcmp(missing, flags[i]) ? "false" : "true");
	snprintf(body + n, sizeof body - n, "}");
	struct resp r = h_req(h, "POST", "/v1/contractors", officer, body, NULL);
	assert_status(r, 201);
	assert_json_str(r.body, "credit_code", code);
	return h_int(r.body, "id");
}

void
h_world(struct harness *h, struct world *w, const char *code, int64_t special_fen)
{
	h_world_under(h, w, code, NULL, special_fen, 2026);
}

void
h_world_under(struct harness *h, struct world *w, const char *code, const char *parent,
    int64_t special_fen, int last_budget_year)
{
	char name[96], path[128];
	static const struct {
		const char *suffix, *roles;
		size_t off;
	} people[] = {
		{ "admin", "admin", offsetof(struct world, admin) },
		{ "officer", "officer", offsetof(struct world, officer) },
		{ "officer2", "officer", offsetof(struct world, officer2) },
		{ "reviewer", "reviewer", offsetof(struct world, reviewer) },
		{ "reviewer2", "reviewer", offsetof(struct world, reviewer2) },
		{ "finance", "finance", offsetof(struct world, finance) },
		{ "finance2", "finance", offsetof(struct world, finance2) },
		{ "evaluator0", "evaluator", offsetof(struct world, evaluator[0]) },
		{ "evaluator1", "evaluator", offsetof(struct world, evaluator[1]) },
		{ "evaluator2", "evaluator", offsetof(struct world, evaluator[2]) },
		{ "auditor", "auditor", offsetof(struct world, auditor) },
	};

	memset(w, 0, sizeof *w);
	snprintf(w->agency, sizeof w->agency, "%s", code);
	w->year = 2026;
	snprintf(name, sizeof name, "%s civil affairs bureau", code);
	harness_agency(h, code, name, "county", parent);
	for (size_t i = 0; i < sizeof people / sizeof people[0]; i++) {
		snprintf(name, sizeof name, "%s-%s", code, people[i].suffix);
		harness_user(h, name, people[i].roles, code, (char *)w + people[i].off);
	}
	if (special_fen <= 0)
		special_fen = INT64_C(10000000000);
	for (int y = 2025; y <= last_budget_year; y++) {
		snprintf(path, sizeof path, "/v1/agencies/%s/budgets/%d", code, y);
		struct resp r = h_put(h, w->finance, path,
		    "{\"special_funds_fen\":%lld,\"work_funds_fen\":10000000000,"
		    "\"lottery_funds_fen\":10000000000}", (long long)special_fen);
		assert_status(r, 200);
	}
	snprintf(w->item, sizeof w->item, "%s.casework", code);
	/* catalogue items are approved by the province: the harness's own admin */
	struct resp r = h_post(h, h->admin, "/v1/catalog",
	    "{\"code\":\"%s\",\"name\":\"social assistance casework\",\"category\":\"social_assistance\","
	    "\"approved\":true,\"purchasable\":true}", w->item);
	assert_status(r, 201);
	for (int i = 0; i < W_CONTRACTORS; i++) {
		snprintf(name, sizeof name, "%s social work service centre %c", code, 'A' + i);
		w->contractor[i] = h_contractor(h, w->officer, name, NULL);
	}
}

int64_t
h_project(struct harness *h, struct world *w, const struct pspec *spec)
{
	struct pspec d = { 0 };
	char items[160];
	if (spec)
		d = *spec;
	if (d.items_json == NULL) {
		snprintf(items, sizeof items, "[\"%s\"]", w->item);
		d.items_json = items;
	}
	/* the service starts well after any tender the driver runs, so the
	 * daemon's own start_service (at the first service day) never races it */
	char start[11];
	snprintf(start, sizeof start, "%s", h_time(h, 60, NULL));
	struct resp r = h_post(h, w->officer, "/v1/projects",
	    "{\"agency\":\"%s\",\"fiscal_year\":%d,\"title\":\"%s\",\"catalog_items\":%s,"
	    "\"budget_fen\":%lld,\"funding_source\":\"%s\",\"method\":\"%s\","
	    "\"quantity\":\"%s\",\"quality_standard\":\"%s\","
	    "\"service_start\":\"%s\",\"service_end\":\"%s\"%s%s}",
	    w->agency, d.fiscal_year ? d.fiscal_year : w->year,
	    d.title ? d.title : "Social assistance casework", d.items_json,
	    (long long)(d.budget_fen ? d.budget_fen : 1000000),
	    d.funding ? d.funding : "work_funds", d.method ? d.method : "public_tender",
	    d.quantity ? d.quantity : "12 caseworkers in 4 townships",
	    d.quality_standard ? d.quality_standard : "every household visited monthly",
	    d.service_start ? d.service_start : start,
	    d.service_end ? d.service_end : "2026-12-31",
	    d.positions_json ? ",\"positions\":" : "", d.positions_json ? d.positions_json : "");
	assert_status(r, 201);
	assert_json_str(r.body, "state", "draft");
	assert_json_int(r.body, "version", 1);
	return h_int(r.body, "id");
}

json_t *
h_project_get(struct harness *h, struct world *w, int64_t id)
{
	struct resp r = h_get(h, w->officer, "/v1/projects/%lld", (long long)id);
	assert_status(r, 200);
	return r.body;
}

static void
tender_defaults(struct tender *t)
{
	if (t->n_bids == 0)
		t->n_bids = 3;
	if (t->evaluators == 0)
		t->evaluators = 2;
	for (int i = 0; i < W_CONTRACTORS; i++) {
		if (t->price[i] == 0)
			t->price[i] = 900000 + 10000 * i;
		if (t->plan[i] == 0)
			t->plan[i] = 40;
		if (t->staff[i] == 0)
			t->staff[i] = 20;
	}
}

/* The smallest file that is a PDF. */
static const char tiny_pdf[] = "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

int64_t
h_document(struct harness *h, const char *token, int64_t id, const char *kind)
{
	char path[96];
	snprintf(path, sizeof path, "/v1/projects/%lld/documents?kind=%s", (long long)id, kind);
	struct resp r = h_upload(h, token, path, tiny_pdf, sizeof tiny_pdf - 1, "application/pdf",
	    "Content-Disposition: attachment; filename=\"document.pdf\"");
	assert_status(r, 201);
	return h_int(r.body, "id");
}

/* The kind of document EV rests on ([documents] as shipped), or NULL. */
static const char *
document_of(const char *ev)
{
	static const char *const kinds[][2] = {
		{ "publish", "tender_documents" }, { "sign_contract", "contract" },
		{ "accept", "acceptance_report" }, { "confirm_payment", "treasury_voucher" },
	};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (!strcmp(kinds[i][0], ev))
			return kinds[i][1];
	return NULL;
}

/* One event by TOKEN that must answer 200 in state TO at version V + 1. */
static int64_t
step(struct harness *h, const char *token, int64_t id, int64_t v, const char *ev, const char *to,
    const char *payload)
{
	char with_doc[2048];
	const char *kind = h->attach_documents ? document_of(ev) : NULL;
	if (kind) {
		/* the file first, then the event naming it */
		const char *pl = payload ? payload : "{}";
		size_t n = strlen(pl);
		long long doc = (long long)h_document(h, token, id, kind);
		snprintf(with_doc, sizeof with_doc, "%.*s%s\"documents\":[%lld]}", (int)(n - 1), pl,
		    n > 2 ? "," : "", doc);
		payload = with_doc;
	}
	struct resp r = h_event_v(h, token, id, ev, v, "%s", payload ? payload : "{}");
	if (r.status != 200)
		print_error("driver: %s on project %lld failed\n", ev, (long long)id);
	assert_project(r, to, v + 1);
	assert_json_str(r.body, "event.event", ev);
	return v + 1;
}

void
h_past_deadline(struct harness *h)
{
	h_clock_advance(h, 21 * H_DAY);
}

json_t *
h_await_version(struct harness *h, const char *token, int64_t id, int64_t version)
{
	struct resp r = { 0, NULL, NULL, NULL, 0 };
	char path[64];
	snprintf(path, sizeof path, "/v1/projects/%lld", (long long)id);
	h->record_paused++;	/* how many polls it took is no answer */
	for (int i = 0; i < 250; i++) {
		r = h_get(h, token, "%s", path);
		assert_status(r, 200);
		if (h_int(r.body, "version") >= version) {
			h->record_paused--;
			record(h, "GET", path, &r);
			return r.body;
		}
		h_sleep_ms(20);
	}
	h->record_paused--;
	print_error("project %lld did not reach version %lld within 5 s\n", (long long)id,
	    (long long)version);
	show(&r);
	if (current != NULL)
		harness_print_log(current);
	fail();
	return NULL;
}

json_t *
h_last_event(struct harness *h, const char *token, int64_t id)
{
	struct resp r = h_get(h, token, "/v1/projects/%lld/events", (long long)id);
	assert_status(r, 200);
	size_t n = h_len(r.body, "items");
	assert_true(n > 0);
	return json_array_get(h_at(r.body, "items"), n - 1);
}

int64_t
h_await_close(struct harness *h, struct world *w, int64_t id, int64_t v, const char *to)
{
	h_past_deadline(h);
	json_t *p = h_await_version(h, w->officer, id, v + 1);
	assert_json_str(p, "state", to);
	assert_json_int(p, "version", v + 1);
	json_t *e = h_last_event(h, w->officer, id);
	assert_json_str(e, "event", "close_bidding");
	assert_json_str(e, "actor", "daemon");
	assert_json_str(e, "from", "announced");
	assert_json_str(e, "to", to);
	return v + 1;
}

int64_t
h_publish(struct harness *h, struct world *w, int64_t id, struct tender *t)
{
	char payload[1024];
	json_t *p = h_project_get(h, w, id);
	tender_defaults(t);
	snprintf(payload, sizeof payload,
	    "{\"bid_deadline\":\"%s\",\"requirements\":\"registered social organisation, "
	    "two social workers\",\"evaluators_required\":%d,\"criteria\":%s}",
	    h_time(h, 20, "17:00"), t->evaluators, t->criteria ? t->criteria : H_CRITERIA);
	return step(h, w->officer, id, h_int(p, "version"), "publish", "announced", payload);
}

void
h_bids(struct harness *h, struct world *w, int64_t id, struct tender *t)
{
	char path[64];
	tender_defaults(t);
	snprintf(path, sizeof path, "/v1/projects/%lld/bids", (long long)id);
	for (int i = 0; i < t->n_bids; i++) {
		struct resp r = h_post(h, w->officer, path, "{\"contractor_id\":%lld,\"price_fen\":%lld}",
		    (long long)w->contractor[i], (long long)t->price[i]);
		assert_status(r, 201);
		assert_json_int(r.body, "contractor_id", w->contractor[i]);
		t->bid_ids[i] = h_int(r.body, "id");
	}
}

void
h_scores(struct harness *h, struct world *w, int64_t id, struct tender *t)
{
	tender_defaults(t);
	for (int i = 0; i < t->n_bids; i++) {
		char path[96];
		snprintf(path, sizeof path, "/v1/projects/%lld/bids/%lld/scores", (long long)id,
		    (long long)t->bid_ids[i]);
		for (int e = 0; e < t->evaluators && e < W_EVALUATORS; e++) {
			struct resp r = h_post(h, w->evaluator[e], path,
			    "{\"scores\":{\"service_plan\":%g,\"staffing\":%g}}", t->plan[i],
			    t->staff[i]);
			assert_status(r, 201);
		}
	}
}

int64_t
h_drive(struct harness *h, struct world *w, int64_t id, const char *target, struct tender *t)
{
	struct tender dflt;
	char payload[512];

	if (t == NULL) {
		memset(&dflt, 0, sizeof dflt);
		t = &dflt;
	}
	tender_defaults(t);
	json_t *p = h_project_get(h, w, id);
	int64_t v = h_int(p, "version");
	const char *st = h_str(p, "state");
	char state[32];
	snprintf(state, sizeof state, "%s", st ? st : "?");

	for (int guard = 0; strcmp(state, target) != 0 && guard < 20; guard++) {
		const char *next = NULL;
		if (!strcmp(state, "draft")) {
			v = step(h, w->officer, id, v, "submit", next = "needs_review", NULL);
		} else if (!strcmp(state, "needs_review")) {
			v = step(h, w->reviewer, id, v, "approve_needs", next = "budget_review", NULL);
		} else if (!strcmp(state, "budget_review")) {
			v = step(h, w->finance, id, v, "approve_budget", next = "approved", NULL);
		} else if (!strcmp(state, "approved")) {
			v = h_publish(h, w, id, t);
			next = "announced";
		} else if (!strcmp(state, "announced")) {
			h_bids(h, w, id, t);
			v = h_await_close(h, w, id, v, next = "scoring");
		} else if (!strcmp(state, "scoring")) {
			h_scores(h, w, id, t);
			v = step(h, w->officer, id, v, "award", next = "awarded", NULL);
		} else if (!strcmp(state, "awarded")) {
			p = h_project_get(h, w, id);
			snprintf(payload, sizeof payload,
			    "{\"contract_no\":\"HT-%lld\",\"amount_fen\":%lld,\"takeover_plan\":"
			    "{\"interim_provider\":\"in_house\",\"handover_days\":3,"
			    "\"contacts\":[\"coordinator@example.org\"]}}",
			    (long long)id, (long long)h_int(p, "award.price_fen"));
			v = step(h, w->officer, id, v, "sign_contract", next = "contracted", payload);
		} else if (!strcmp(state, "contracted")) {
			v = step(h, w->officer, id, v, "start_service", next = "in_service", NULL);
		} else if (!strcmp(state, "in_service")) {
			v = step(h, w->officer, id, v, "record_supervision", "in_service",
			    "{\"inspection\":\"visited 20 households\",\"finding\":\"ok\"}");
			v = step(h, w->officer, id, v, "complete_service", next = "acceptance", NULL);
		} else if (!strcmp(state, "acceptance")) {
			v = step(h, w->reviewer, id, v, "accept", next = "payment",
			    "{\"report\":\"delivered as contracted\"}");
		} else if (!strcmp(state, "payment")) {
			p = h_project_get(h, w, id);
			snprintf(payload, sizeof payload, "{\"voucher_no\":\"GK-%lld\",\"amount_fen\":%lld}",
			    (long long)id, (long long)h_int(p, "contract.amount_fen"));
			v = step(h, w->finance, id, v, "confirm_payment", next = "year_end_review",
			    payload);
		} else if (!strcmp(state, "year_end_review")) {
			v = step(h, w->reviewer, id, v, "evaluate", next = "closed",
			    "{\"purchaser_score\":90,\"recipient_satisfaction\":85,"
			    "\"third_party_score\":80}");
		} else {
			fail_msg("driver: no way forward from %s to %s", state, target);
		}
		snprintf(state, sizeof state, "%s", next);
	}
	if (strcmp(state, target) != 0)
		fail_msg("driver: did not reach %s", target);
	return v;
}

/* ------------------------------------------------------------------------ */
/* A cluster of the test's own                                              */

int
harness_cluster(const char *cmd, const char *dir)
{
	char line[700];
	snprintf(line, sizeof line, "sh '%s/scripts/pg.sh' %s '%s' >/dev/null 2>&1",
	    env("PROCURD_ROOT", "."), cmd, dir);
	return system(line);
}

int
harness_cluster_start(char *dir, size_t len)
{
	char tmpl[] = "/tmp/procurd-pgo.XXXXXX", out[1024], line[600];
	if (mkdtemp(tmpl) == NULL)
		return -1;
	snprintf(dir, len, "%s", tmpl);
	snprintf(line, sizeof line, "sh '%s/scripts/pg.sh' start '%s' 2>/dev/null",
	    env("PROCURD_ROOT", "."), dir);
	FILE *p = popen(line, "r");
	size_t n = p ? fread(out, 1, sizeof out - 1, p) : 0;
	if (p == NULL || pclose(p) != 0)
		return -1;
	out[n] = '\0';
	char host[512] = "", port[16] = "";
	for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n")) {
		if (sscanf(l, "PGHOST=%511s", host) == 1 && host[0] == '\'')
			sscanf(l, "PGHOST='%511[^']'", host);
		sscanf(l, "PGPORT=%15s", port);
	}
	if (!host[0] || !port[0])
		return -1;
	setenv("PROCURD_TEST_PGHOST", host, 1);
	setenv("PROCURD_TEST_PGPORT", port, 1);
	setenv("PROCURD_TEST_PGUSER", "postgres", 1);
	return 0;
}

void
harness_cluster_remove(const char *dir)
{
	char cmd[300];
	harness_cluster("stop", dir);
	if (strncmp(dir, "/tmp/procurd-pgo.", 17) != 0)
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "harness: could not remove %s\n", dir);
}

int
harness_cluster_freeze(const char *dir, bool stop)
{
	char path[300], cmd[200];
	long pid = 0;
	snprintf(path, sizeof path, "%s/data/postmaster.pid", dir);
	FILE *f = fopen(path, "r");
	if (f == NULL || fscanf(f, "%ld", &pid) != 1 || pid <= 0) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	/* children first when stopping, so none is forked meanwhile */
	snprintf(cmd, sizeof cmd, stop ? "kill -STOP %ld && pkill -STOP -P %ld" :
	    "pkill -CONT -P %ld; kill -CONT %ld", pid, pid);
	return system(cmd) == 0 ? 0 : -1;
}
