/* More integration-test helpers: see nharness.h. */
#include "nharness.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *
env(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

/* ------------------------------------------------------------------------ */
/* Processes and hooks started here, so a failed test leaves none behind    */

#define REG_MAX 32
static pid_t reg_pids[REG_MAX];
static struct nh_hook *reg_hooks[REG_MAX];

static void
reg_pid(pid_t pid)
{
	for (int i = 0; i < REG_MAX; i++)
		if (reg_pids[i] == 0) {
			reg_pids[i] = pid;
			return;
		}
}

static void
unreg_pid(pid_t pid)
{
	for (int i = 0; i < REG_MAX; i++)
		if (reg_pids[i] == pid)
			reg_pids[i] = 0;
}

static void
reap_all(void)
{
	for (int i = 0; i < REG_MAX; i++) {
		if (reg_pids[i] > 0) {
			kill(reg_pids[i], SIGKILL);
			waitpid(reg_pids[i], NULL, 0);
		}
		reg_pids[i] = 0;
	}
	for (int i = 0; i < REG_MAX; i++) {
		if (reg_hooks[i])
			nh_hook_stop(reg_hooks[i]);
		reg_hooks[i] = NULL;
	}
}

/* ------------------------------------------------------------------------ */
/* One harness per test                                                     */

int
nh_setup(void **state)
{
	const struct nh_spec *spec = *state;
	struct harness *h = xcalloc(1, sizeof *h);
	signal(SIGPIPE, SIG_IGN);
	if (harness_start(h, spec->name, spec->extra_conf) != 0) {
		harness_stop(h);
		free(h);
		return -1;
	}
	*state = h;
	return 0;
}

int
nh_teardown(void **state)
{
	struct harness *h = *state;
	reap_all();
	if (h == NULL)
		return 0;
	int rc = harness_teardown(h);
	free(h);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Small things                                                             */

void
nh_sleep_ms(int ms)
{
	h_sleep_ms(ms);
}

int
nh_free_port(void)
{
	return h_free_port();
}

static char *
trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

int
nh_conf_get(const char *path, const char *section, const char *key, char *out, size_t len)
{
	FILE *f = fopen(path, "r");
	char line[2048], cur[64] = "";
	int found = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f)) {
		char *s = trim(line);
		if (*s == ';' || *s == '#' || *s == '\0')
			continue;
		if (*s == '[') {
			char *e = strchr(s, ']');
			if (e) {
				*e = '\0';
				snprintf(cur, sizeof cur, "%s", s + 1);
			}
			continue;
		}
		char *eq = strchr(s, '=');
		if (eq == NULL || strcmp(cur, section) != 0)
			continue;
		*eq = '\0';
		if (strcmp(trim(s), key) == 0) {
			snprintf(out, len, "%s", trim(eq + 1));
			found = 0;
		}
	}
	fclose(f);
	return found;
}

void
nh_print_file(const char *what, const char *path)
{
	h_print_file(what, path);
}

usec_t
nh_time(const char *s)
{
	usec_t t;
	if (s == NULL || time_parse(s, &t) != 0)
		fail_msg("not an RFC 3339 time: %s", s ? s : "(null)");
	return t;
}

/* ------------------------------------------------------------------------ */
/* SQL                                                                      */

static PGconn *
pg(struct harness *h)
{
	PGconn *c = PQconnectdb(h->pg_conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		print_error("nharness: cannot connect: %s", PQerrorMessage(c));
		PQfinish(c);
		fail();
	}
	return c;
}

static int64_t
sql_int_va(struct harness *h, const char *fmt, va_list ap)
{
	char *sql, out[64];
	int64_t v;
	if (vasprintf(&sql, fmt, ap) < 0)
		abort();
	int rc = harness_sql_value(h, sql, out, sizeof out);
	if (rc != 0 || parse_int64(out, &v) != 0) {
		print_error("nharness: %s answered \"%s\"\n", sql, out);
		free(sql);
		fail();
	}
	free(sql);
	return v;
}

int64_t
nh_sql_int(struct harness *h, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int64_t v = sql_int_va(h, fmt, ap);
	va_end(ap);
	return v;
}

int64_t
nh_sql_wait(struct harness *h, int64_t want, int timeout_ms, const char *fmt, ...)
{
	int64_t v = 0;
	for (int waited = 0;; waited += 25) {
		va_list ap;
		va_start(ap, fmt);
		v = sql_int_va(h, fmt, ap);
		va_end(ap);
		if (v == want || waited >= timeout_ms)
			return v;
		nh_sleep_ms(25);
	}
}

/* ------------------------------------------------------------------------ */
/* Fixtures                                                                 */

void
nh_world(struct harness *h, struct world *w, const char *code, const char *parent,
    char parent_reviewer[65])
{
	char name[96];

	if (nh_sql_int(h, "SELECT count(*) FROM agency WHERE code = '%s'", parent) == 0) {
		snprintf(name, sizeof name, "%s civil affairs bureau (city)", parent);
		harness_agency(h, parent, name, "city", NULL);
		if (parent_reviewer) {
			snprintf(name, sizeof name, "%s-reviewer", parent);
			harness_user(h, name, "reviewer", parent, parent_reviewer);
		}
	}
	h_world_under(h, w, code, parent, INT64_C(10000000000), 2027);
}

int64_t
nh_project(struct harness *h, struct world *w)
{
	/* a service that starts after any tender a test runs and ends within
	 * a year, whatever the test's clock says */
	char start[11], end[11];
	snprintf(start, sizeof start, "%s", h_time(h, 90, NULL));
	snprintf(end, sizeof end, "%s", h_time(h, 270, NULL));
	return h_project(h, w, &(struct pspec){ .title = "Home care for the elderly",
	    .fiscal_year = atoi(start), .quantity = "300 households in 6 villages",
	    .quality_standard = "two visits a week", .service_start = start, .service_end = end });
}

int64_t
nh_submitted(struct harness *h, struct world *w)
{
	int64_t id = nh_project(h, w);
	struct resp r = h_event_v(h, w->officer, id, "submit", 1, NULL);
	assert_project(r, "needs_review", 2);
	return id;
}

/* ------------------------------------------------------------------------ */
/* Reading the API                                                          */

json_t *
nh_history(struct harness *h, const char *token, int64_t id)
{
	struct resp r = h_get(h, token, "/v1/projects/%lld/events", (long long)id);
	assert_status(r, 200);
	json_t *items = h_at(r.body, "items");
	assert_true(json_is_array(items));
	return items;
}

void
nh_assert_len_at(json_t *a, size_t n, const char *file, int line)
{
	if (json_is_array(a) && json_array_size(a) == n)
		return;
	char *s = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
	print_error("expected %zu items, got %zu\n    in: %.6000s\n", n,
	    json_is_array(a) ? json_array_size(a) : 0, s ? s : "(null)");
	free(s);
	_fail(file, line);
}

int
nh_count_events(json_t *items, const char *ev, int level)
{
	size_t i;
	json_t *e;
	int n = 0;
	json_array_foreach(items, i, e) {
		const char *name = h_str(e, "event");
		if (name == NULL || strcmp(name, ev) != 0)
			continue;
		if (level >= 0 && h_int(e, "payload.level") != level)
			continue;
		n++;
	}
	return n;
}

json_t *
nh_list_all(struct harness *h, const char *token, const char *path)
{
	json_t *all = json_array();
	char cursor[64] = "";
	for (int page = 0; page < 1000; page++) {
		struct resp r = cursor[0] ?
		    h_get(h, token, "%s%cafter=%s", path, strchr(path, '?') ? '&' : '?', cursor) :
		    h_get(h, token, "%s", path);
		assert_status(r, 200);
		json_t *items = h_at(r.body, "items");
		assert_true(json_is_array(items));
		json_array_extend(all, items);
		json_t *next = h_at(r.body, "next");
		if (!json_is_string(next))
			break;
		snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
	}
	return all;
}

usec_t
nh_deadline_fire_at(struct harness *h, const char *token, int64_t id, const char *kind, int level)
{
	json_t *all = nh_list_all(h, token, "/v1/deadlines");
	size_t i;
	json_t *d;
	int n = 0;
	usec_t t = 0;
	json_array_foreach(all, i, d) {
		if (h_int(d, "project_id") != id || h_int(d, "level") != level)
			continue;
		if (kind && (h_str(d, "kind") == NULL || strcmp(h_str(d, "kind"), kind)))
			continue;
		t = nh_time(h_str(d, "fire_at"));
		n++;
	}
	if (n != 1) {
		char *s = json_dumps(all, JSON_COMPACT);
		print_error("project %lld: %d pending deadlines of level %d%s%s, expected 1\n    in: %.3000s\n",
		    (long long)id, n, level, kind ? " kind " : "", kind ? kind : "", s);
		free(s);
		json_decref(all);
		fail();
	}
	json_decref(all);
	return t;
}

/* ------------------------------------------------------------------------ */
/* /metrics                                                                 */

double
nh_metric(const char *text, const char *series)
{
	size_t n = strlen(series);
	const char *p = text;
	while (p && *p) {
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NAN;
}

const char *
nh_metrics(struct harness *h)
{
	struct resp r = h_req(h, "GET", "/metrics", NULL, NULL, NULL);
	assert_status(r, 200);
	assert_non_null(r.raw);
	return r.raw;
}

/* ------------------------------------------------------------------------ */
/* Child processes                                                          */

static pid_t
spawn(const char *exe, const char *conf, const char *log)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execl(exe, exe, "-c", conf, (char *)NULL);
		_exit(127);
	}
	reg_pid(pid);
	return pid;
}

/* Wait up to TIMEOUT_MS for PID to end: its wait status, or -1. */
static int
wait_exit(pid_t pid, int timeout_ms)
{
	int st;
	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid) {
			unreg_pid(pid);
			return st;
		}
		nh_sleep_ms(10);
	}
	return -1;
}

bool
nh_file_contains(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	bool found = false;
	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof line, f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

/* ------------------------------------------------------------------------ */
/* Workers                                                                  */

void
nh_worker_start(struct harness *h, struct nh_worker *w, const char *name, const char *spool_dir,
    const char *extra)
{
	char jobs[256], acks[256], exe[512], ready[128];
	const char *root = env("PROCURD_ROOT", ".");

	memset(w, 0, sizeof *w);
	snprintf(w->name, sizeof w->name, "%s", name);
	if (nh_conf_get(h->conf, "notify", "jobs_endpoint", jobs, sizeof jobs) ||
	    nh_conf_get(h->conf, "notify", "acks_endpoint", acks, sizeof acks))
		fail_msg("no [notify] endpoints in %s", h->conf);
	snprintf(w->conf, sizeof w->conf, "%s/worker-%s.conf", h->dir, name);
	snprintf(w->log, sizeof w->log, "%s/worker-%s.log", h->dir, name);
	FILE *f = fopen(w->conf, "w");
	if (f == NULL)
		fail_msg("cannot write %s", w->conf);
	fprintf(f, "; written by tests/integration/nharness.c\n"
	    "[notify]\njobs_endpoint = %s\nacks_endpoint = %s\n\n"
	    "[worker]\nname = %s\nspool_dir = %s\ntemplates_dir = %s/config/templates\n%s\n"
	    "[log]\nconfig = %s/config/log4crc\n",
	    jobs, acks, name, spool_dir, root, extra ? extra : "", root);
	fclose(f);
	snprintf(exe, sizeof exe, "%s/procur-notify", env("PROCURD_BUILD", "build"));
	w->pid = spawn(exe, w->conf, w->log);
	/* its start line says it has loaded everything and connected */
	snprintf(ready, sizeof ready, "procur-notify %s: jobs from", name);
	for (int i = 0; i < 500; i++) {
		int st;
		if (waitpid(w->pid, &st, WNOHANG) == w->pid) {
			unreg_pid(w->pid);
			w->pid = 0;
			nh_print_file("worker log", w->log);
			fail_msg("procur-notify %s exited at start (status %d)", name, st);
		}
		if (nh_file_contains(w->log, ready))
			return;
		nh_sleep_ms(10);
	}
	nh_print_file("worker log", w->log);
	fail_msg("procur-notify %s did not start within 5 s", name);
}

void
nh_worker_stop(struct nh_worker *w)
{
	if (w->pid <= 0)
		return;
	pid_t pid = w->pid;
	w->pid = 0;
	kill(pid, SIGTERM);
	int st = wait_exit(pid, 10000);
	if (st == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		unreg_pid(pid);
		nh_print_file("worker log", w->log);
		fail_msg("procur-notify %s did not stop within 10 s of SIGTERM", w->name);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		nh_print_file("worker log", w->log);
		fail_msg("procur-notify %s: wait status %d on SIGTERM, not exit 0", w->name, st);
	}
}

void
nh_worker_kill(struct nh_worker *w)
{
	if (w->pid <= 0)
		return;
	kill(w->pid, SIGKILL);
	waitpid(w->pid, NULL, 0);
	unreg_pid(w->pid);
	w->pid = 0;
}

/* ------------------------------------------------------------------------ */
/* The spool                                                                */

static bool
spool_name(const char *n, int64_t *id)
{
	size_t k = strspn(n, "0123456789");
	if (k == 0 || strcmp(n + k, ".json") != 0)
		return false;
	char digits[32];
	if (k >= sizeof digits)
		return false;
	memcpy(digits, n, k);
	digits[k] = '\0';
	return parse_int64(digits, id) == 0;
}

int
nh_spool_count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	int64_t id;
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (spool_name(de->d_name, &id))
			n++;
	closedir(d);
	return n;
}

json_t *
nh_spool_read(const char *dir, int64_t id)
{
	char path[600];
	snprintf(path, sizeof path, "%s/%lld.json", dir, (long long)id);
	return json_load_file(path, 0, NULL);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int
nh_assert_spool_matches_outbox(struct harness *h, const char *dir)
{
	PGconn *c = pg(h);
	PGresult *r = PQexec(c, "SELECT id, recipient, template FROM outbox "
	    "WHERE channel = 'spool' AND status = 'delivered' ORDER BY id");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		print_error("nharness: %s", PQresultErrorMessage(r));
		PQclear(r);
		PQfinish(c);
		fail();
	}
	int rows = PQntuples(r);
	int64_t *ids = xcalloc((size_t)rows + 1, sizeof *ids);
	char msg[512] = "";
	for (int i = 0; i < rows && !msg[0]; i++) {
		parse_int64(PQgetvalue(r, i, 0), &ids[i]);
		json_t *f = nh_spool_read(dir, ids[i]);
		if (f == NULL)
			snprintf(msg, sizeof msg, "outbox %lld is delivered but has no spool file",
			    (long long)ids[i]);
		else if (h_int(f, "id") != ids[i] || h_str(f, "recipient") == NULL ||
		    strcmp(h_str(f, "recipient"), PQgetvalue(r, i, 1)) ||
		    h_str(f, "template") == NULL || strcmp(h_str(f, "template"), PQgetvalue(r, i, 2)))
			snprintf(msg, sizeof msg, "spool file %lld.json does not match its outbox row "
			    "(%s, %s)", (long long)ids[i], PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
		json_decref(f);
	}
	PQclear(r);
	PQfinish(c);
	/* and no file without a delivered row */
	DIR *d = opendir(dir);
	struct dirent *de;
	int files = 0;
	int64_t id;
	while (!msg[0] && d && (de = readdir(d)) != NULL) {
		if (!spool_name(de->d_name, &id))
			continue;
		files++;
		if (bsearch(&id, ids, (size_t)rows, sizeof *ids, cmp_i64) == NULL)
			snprintf(msg, sizeof msg, "spool file %s has no delivered outbox row", de->d_name);
	}
	if (d)
		closedir(d);
	free(ids);
	if (!msg[0] && files != rows)
		snprintf(msg, sizeof msg, "%d spool files for %d delivered spool rows", files, rows);
	if (msg[0])
		fail_msg("%s", msg);
	return rows;
}

/* ------------------------------------------------------------------------ */
/* A second daemon                                                          */

void
nh_daemon_start(struct harness *h, struct nh_daemon *d, const char *name)
{
	char exe[512], line[2048], section[64] = "";
	FILE *in, *out;

	memset(d, 0, sizeof *d);
	d->port = nh_free_port();
	int jobs = nh_free_port(), acks = nh_free_port(), events = nh_free_port();
	snprintf(d->url, sizeof d->url, "http://127.0.0.1:%d", d->port);
	snprintf(d->conf, sizeof d->conf, "%s/procurd-%s.conf", h->dir, name);
	snprintf(d->log, sizeof d->log, "%s/procurd-%s.log", h->dir, name);
	if ((in = fopen(h->conf, "r")) == NULL || (out = fopen(d->conf, "w")) == NULL)
		fail_msg("cannot derive %s from %s", d->conf, h->conf);
	/* the same file, with its own listen address and endpoints */
	while (fgets(line, sizeof line, in)) {
		char copy[2048], *s;
		snprintf(copy, sizeof copy, "%s", line);
		s = trim(copy);
		if (*s == '[' && strchr(s, ']')) {
			*strchr(s, ']') = '\0';
			snprintf(section, sizeof section, "%s", s + 1);
		}
		if (!strcmp(section, "http") && !strncmp(s, "listen", 6))
			fprintf(out, "listen = 127.0.0.1:%d\n", d->port);
		else if (!strcmp(section, "notify") && !strncmp(s, "jobs_endpoint", 13))
			fprintf(out, "jobs_endpoint = tcp://127.0.0.1:%d\n", jobs);
		else if (!strcmp(section, "notify") && !strncmp(s, "acks_endpoint", 13))
			fprintf(out, "acks_endpoint = tcp://127.0.0.1:%d\n", acks);
		else if (!strcmp(section, "events") && !strncmp(s, "endpoint", 8))
			fprintf(out, "endpoint = tcp://127.0.0.1:%d\n", events);
		else
			fputs(line, out);
	}
	fclose(in);
	fclose(out);
	d->curl = curl_easy_init();
	snprintf(exe, sizeof exe, "%s/procurd", env("PROCURD_BUILD", "build"));
	d->pid = spawn(exe, d->conf, d->log);
	for (int i = 0; i < 300; i++) {
		int st;
		if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
			unreg_pid(d->pid);
			d->pid = 0;
			nh_print_file("second procurd", d->log);
			fail_msg("the second procurd exited at start (status %d)", st);
		}
		struct resp r = h_req_on(d->curl, d->url, "GET", "/healthz?ready=1", NULL, NULL, NULL);
		long status = r.status;
		h_resp_free(&r);
		if (status == 200)
			return;
		nh_sleep_ms(50);
	}
	nh_print_file("second procurd", d->log);
	fail_msg("the second procurd was not ready within 15 s");
}

void
nh_daemon_stop(struct nh_daemon *d)
{
	if (d->curl) {
		curl_easy_cleanup(d->curl);
		d->curl = NULL;
	}
	if (d->pid <= 0)
		return;
	pid_t pid = d->pid;
	d->pid = 0;
	kill(pid, SIGTERM);
	int st = wait_exit(pid, 10000);
	if (st == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		unreg_pid(pid);
		nh_print_file("second procurd", d->log);
		fail_msg("the second procurd did not stop within 10 s of SIGTERM");
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		nh_print_file("second procurd", d->log);
		fail_msg("the second procurd: wait status %d on SIGTERM, not exit 0", st);
	}
}

struct resp
nh_daemon_req(struct nh_daemon *d, const char *method, const char *path, const char *token,
    const char *body)
{
	return h_req_on(d->curl, d->url, method, path, token, body, NULL);
}

void
nh_daemon_clock_set(struct nh_daemon *d, const char *token, const char *when)
{
	char body[128];
	snprintf(body, sizeof body, "{\"set\":\"%s\"}", when);
	struct resp r = nh_daemon_req(d, "POST", "/v1/admin/clock", token, body);
	if (r.status != 200) {
		print_error("second procurd: clock: %ld %s\n", r.status, r.raw ? r.raw : "");
		h_resp_free(&r);
		fail();
	}
	h_resp_free(&r);
}

/* ------------------------------------------------------------------------ */
/* A webhook receiver                                                       */

/* Read one request's head and body from FD into BUF; its length or -1. */
static ssize_t
read_request(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	char *end = NULL;
	while (len + 1 < cap) {
		ssize_t k = recv(fd, buf + len, cap - 1 - len, 0);
		if (k <= 0)
			return -1;
		len += (size_t)k;
		buf[len] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
	}
	if (end == NULL)
		return -1;
	size_t head = (size_t)(end - buf) + 4, body = 0;
	for (char *p = buf; p < end; p = strstr(p, "\r\n") + 2) {
		if (!strncasecmp(p, "Content-Length:", 15))
			body = strtoul(p + 15, NULL, 10);
		if (strstr(p, "\r\n") == NULL)
			break;
	}
	while (len < head + body && len + 1 < cap) {
		ssize_t k = recv(fd, buf + len, cap - 1 - len, 0);
		if (k <= 0)
			return -1;
		len += (size_t)k;
		buf[len] = '\0';
	}
	return (ssize_t)len;
}

static void
header_value(const char *req, const char *name, char *out, size_t len)
{
	const char *end = strstr(req, "\r\n\r\n");
	size_t n = strlen(name);
	out[0] = '\0';
	for (const char *p = strstr(req, "\r\n"); p && p < end; p = strstr(p + 2, "\r\n")) {
		const char *h = p + 2;
		if (!strncasecmp(h, name, n) && h[n] == ':') {
			h += n + 1;
			while (*h == ' ')
				h++;
			size_t k = strcspn(h, "\r\n");
			if (k >= len)
				k = len - 1;
			memcpy(out, h, k);
			out[k] = '\0';
			return;
		}
	}
}

static void *
hook_main(void *arg)
{
	struct nh_hook *k = arg;
	char *buf = xmalloc(65536);
	for (;;) {
		pthread_mutex_lock(&k->lock);
		bool stop = k->stop;
		pthread_mutex_unlock(&k->lock);
		if (stop)
			break;
		struct pollfd p = { k->fd, POLLIN, 0 };
		if (poll(&p, 1, 50) <= 0)
			continue;
		int c = accept(k->fd, NULL, NULL);
		if (c < 0)
			continue;
		struct timeval tv = { 5, 0 };
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		/* one request per connection: we close after answering */
		if (read_request(c, buf, 65536) < 0) {
			close(c);
			continue;
		}
		pthread_mutex_lock(&k->lock);
		int i = k->requests++;
		if (i < NH_HOOK_MAX) {
			header_value(buf, "Idempotency-Key", k->keys[i], sizeof k->keys[i]);
			size_t pl = strcspn(buf + strcspn(buf, " ") + 1, " ");
			snprintf(k->paths[i], sizeof k->paths[i], "%.*s", (int)pl,
			    buf + strcspn(buf, " ") + 1);
		}
		if (i == 0 && k->hang_first) {
			k->hanging = true;
			pthread_cond_broadcast(&k->cond);
			while (!k->released && !k->stop)
				pthread_cond_wait(&k->cond, &k->lock);
			k->hanging = false;
		}
		int status = k->status;
		pthread_cond_broadcast(&k->cond);
		pthread_mutex_unlock(&k->lock);
		char out[256];
		int n = snprintf(out, sizeof out, "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
		    "Content-Length: 2\r\nConnection: close\r\n\r\nno", status,
		    status == 200 ? "OK" : "Internal Server Error");
		if (send(c, out, (size_t)n, MSG_NOSIGNAL) < 0) {
			/* the client went away (a killed worker): nothing to do */
		}
		close(c);
	}
	free(buf);
	return NULL;
}

void
nh_hook_start(struct nh_hook *k, int status)
{
	int hang = k->hang_first;
	memset(k, 0, sizeof *k);
	k->hang_first = hang;
	k->status = status;
	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->cond, NULL);
	k->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int one = 1;
	setsockopt(k->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(k->fd, (struct sockaddr *)&a, sizeof a) || listen(k->fd, 16) ||
	    getsockname(k->fd, (struct sockaddr *)&a, &len))
		fail_msg("webhook receiver: %s", strerror(errno));
	k->port = ntohs(a.sin_port);
	if (pthread_create(&k->thread, NULL, hook_main, k) != 0)
		fail_msg("webhook receiver: no thread");
	for (int i = 0; i < REG_MAX; i++)
		if (reg_hooks[i] == NULL) {
			reg_hooks[i] = k;
			break;
		}
}

void
nh_hook_set_status(struct nh_hook *k, int status)
{
	pthread_mutex_lock(&k->lock);
	k->status = status;
	pthread_mutex_unlock(&k->lock);
}

int
nh_hook_requests(struct nh_hook *k)
{
	pthread_mutex_lock(&k->lock);
	int n = k->requests;
	pthread_mutex_unlock(&k->lock);
	return n;
}

int
nh_hook_wait(struct nh_hook *k, int n, int timeout_ms)
{
	int got = 0;
	for (int waited = 0;; waited += 10) {
		got = nh_hook_requests(k);
		if (got >= n || waited >= timeout_ms)
			return got;
		nh_sleep_ms(10);
	}
}

void
nh_hook_release(struct nh_hook *k)
{
	pthread_mutex_lock(&k->lock);
	k->released = true;
	pthread_cond_broadcast(&k->cond);
	pthread_mutex_unlock(&k->lock);
}

void
nh_hook_stop(struct nh_hook *k)
{
	if (k->fd <= 0)
		return;
	pthread_mutex_lock(&k->lock);
	k->stop = true;
	pthread_cond_broadcast(&k->cond);
	pthread_mutex_unlock(&k->lock);
	pthread_join(k->thread, NULL);
	close(k->fd);
	k->fd = -1;
	pthread_mutex_destroy(&k->lock);
	pthread_cond_destroy(&k->cond);
	for (int i = 0; i < REG_MAX; i++)
		if (reg_hooks[i] == k)
			reg_hooks[i] = NULL;
}

bool
nh_file_wait(const char *path, const char *needle, int timeout_ms)
{
	for (int waited = 0;; waited += 20) {
		if (nh_file_contains(path, needle))
			return true;
		if (waited >= timeout_ms)
			return false;
		nh_sleep_ms(20);
	}
}

const char *
nh_fmt(usec_t t)
{
	static char ring[8][48];
	static int n;
	char *out = ring[n++ & 7];
	return time_format(t, 8 * 3600, out, 48);
}
