/* notify_probe: the load and the measurement behind scripts/bench-notify.sh.
 *
 * CLIENTS threads (keep-alive libcurl handles) post record_supervision events
 * to random projects 1..PROJECTS for SECONDS, either at a steady total RATE
 * (open loop: request k of the run is due at t0 + k / RATE) or, with
 * --rate 0, as fast as answers come back (closed loop: the transition
 * benchmark's load). Each such event writes one outbox row (spool channel).
 * Meanwhile one libpq connection samples the backlog every 100 ms:
 *   SELECT count(*) FROM outbox WHERE status = 'pending'.
 * When the load stops, the probe waits (up to --drain seconds) until every
 * outbox row of the run has its spool file, then reads, per row,
 *   created_at (ts2us, the daemon's clock = real time when not adjusted),
 *   the spool line's delivered_at (RFC 3339 with microseconds: the worker's
 *     clock when it built the line, before its fsync),
 *   when the spool file appeared under its final name <id>.json (the
 *     worker's link(), after the file's fsync), seen by an inotify watch on
 *     spool_dir (IN_CREATE) and stamped with CLOCK_REALTIME on receipt —
 *     file timestamps (st_ctim, st_mtim) are useless here: the kernel stamps
 *     them with a coarse clock, one scheduler tick (4 ms) behind,
 * and prints one line on stdout:
 *
 *   sent_ok=N errors=N req_p50_ms=X req_p99_ms=X load_s=X offered_per_s=X
 *   notifications=N delivered_in_load=N notifications_per_s=X drain_s=X
 *   backlog_max=N backlog_end_of_load=N backlog_final=N
 *   p50_ms=X p90_ms=X p99_ms=X max_ms=X written_p50_ms=X written_p99_ms=X missing=N
 *   unseen=N backlog_unclaimed_end=N backlog_leased_end=N leased_already_spooled=N
 *
 * p50/p90/p99/max: created_at -> link seen (commit-to-spool, file durable and
 * visible). written_*: created_at -> delivered_at. notifications_per_s: spool
 * files linked while the load ran / load_s. Rows whose link was not seen
 * (none expected) fall back to delivered_at. --series FILE writes the backlog
 * samples (seconds since the load started, pending rows). */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "util.h"

#define BODY "{\"event\":\"record_supervision\",\"payload\":" \
	"{\"inspection\":\"routine visit\",\"finding\":\"ok\"}}"
#define MAX_SHOWN_ERRORS 5
#define SAMPLE_MS 100

struct opts {
	const char *url, *token, *conninfo, *spool, *series;
	int clients;
	double seconds, rate, drain;
	long projects;
};

struct worker {
	const struct opts *o;
	int index;
	pthread_t thread;
	uint64_t rng;
	uint32_t *lat;
	size_t n_lat, cap_lat;
	uint64_t ok, errors;
};

struct sample {
	double t;
	long pending;
};

static pthread_barrier_t start_line;
static int64_t t0_ns, end_ns;		/* CLOCK_REALTIME */
static _Atomic int errors_shown;
static _Atomic bool load_done;
static _Atomic uint64_t issued;		/* open loop: the next request's number */

static int64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
sleep_until_ns(int64_t t)
{
	struct timespec ts = { (time_t)(t / 1000000000), (long)(t % 1000000000) };
	while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static uint64_t
next_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * UINT64_C(2685821657736338717);
}

static size_t
discard(char *data, size_t size, size_t nmemb, void *arg)
{
	(void)data;
	(void)arg;
	return size * nmemb;
}

static int
push_u32(uint32_t **v, size_t *n, size_t *cap, uint32_t x)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 65536;
		uint32_t *p = realloc(*v, c * sizeof *p);
		if (p == NULL)
			return -1;
		*v = p;
		*cap = c;
	}
	(*v)[(*n)++] = x;
	return 0;
}

static void *
client_main(void *arg)
{
	struct worker *w = arg;
	const struct opts *o = w->o;
	char url[1024], auth[512], errbuf[CURL_ERROR_SIZE];
	struct curl_slist *hdr = NULL;
	CURL *h = curl_easy_init();

	snprintf(auth, sizeof auth, "Authorization: Bearer %s", o->token);
	hdr = curl_slist_append(hdr, auth);
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, BODY);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(BODY));
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);

	pthread_barrier_wait(&start_line);
	for (;;) {
		if (o->rate > 0) {
			/* open loop: take the next slot of the whole run's schedule */
			uint64_t k = atomic_fetch_add(&issued, 1);
			int64_t due = t0_ns + (int64_t)((double)k * 1e9 / o->rate);
			if (due >= end_ns)
				break;
			if (due > now_ns())
				sleep_until_ns(due);
		} else if (now_ns() >= end_ns) {
			break;
		}
		long id = (long)(next_rand(&w->rng) % (uint64_t)o->projects) + 1;
		snprintf(url, sizeof url, "%s/v1/projects/%ld/events", o->url, id);
		curl_easy_setopt(h, CURLOPT_URL, url);
		errbuf[0] = '\0';
		int64_t a = now_ns();
		CURLcode cc = curl_easy_perform(h);
		int64_t us = (now_ns() - a) / 1000;
		long status = 0;
		if (cc == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		if (status == 200) {
			w->ok++;
			push_u32(&w->lat, &w->n_lat, &w->cap_lat, us > UINT32_MAX ? UINT32_MAX : (uint32_t)us);
		} else {
			w->errors++;
			if (atomic_fetch_add(&errors_shown, 1) < MAX_SHOWN_ERRORS)
				fprintf(stderr, "notify_probe: %s %ld %s\n", cc == CURLE_OK ? "HTTP" : "curl",
				    status, cc == CURLE_OK ? "" : (errbuf[0] ? errbuf : curl_easy_strerror(cc)));
		}
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return NULL;
}

static long
query_long(PGconn *c, const char *q)
{
	PGresult *r = PQexec(c, q);
	long v = -1;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
		v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	else if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fprintf(stderr, "notify_probe: %s", PQerrorMessage(c));
	PQclear(r);
	return v;
}

struct sampler {
	PGconn *c;
	struct sample *s;
	size_t n, cap;
	long max;
	long at_end;	/* the first sample at or after the end of the load */
};

static void *
sampler_main(void *arg)
{
	struct sampler *sp = arg;
	int64_t next = t0_ns;
	sp->at_end = -1;
	while (!atomic_load(&load_done) || sp->at_end < 0) {
		sleep_until_ns(next);
		next += SAMPLE_MS * 1000000;
		long p = query_long(sp->c, "SELECT count(*) FROM outbox WHERE status = 'pending'");
		int64_t t = now_ns();
		if (p < 0)
			continue;
		if (p > sp->max)
			sp->max = p;
		if (t >= end_ns && sp->at_end < 0)
			sp->at_end = p;
		if (sp->n == sp->cap) {
			sp->cap = sp->cap ? sp->cap * 2 : 1024;
			sp->s = realloc(sp->s, sp->cap * sizeof *sp->s);
			if (sp->s == NULL)
				abort();
		}
		sp->s[sp->n++] = (struct sample){ (double)(t - t0_ns) / 1e9, p };
	}
	return NULL;
}

/* inotify: ids -> CLOCK_REALTIME ns of their link; ids are first_id+1 ... */
struct watcher {
	int fd;
	long first_id;
	int64_t *seen;		/* index id - first_id - 1 */
	size_t cap;
};

static void *
watcher_main(void *arg)
{
	struct watcher *wt = arg;
	char buf[65536] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (;;) {
		ssize_t len = read(wt->fd, buf, sizeof buf);
		int64_t t = now_ns();
		if (len <= 0) {
			if (len < 0 && errno == EINTR)
				continue;
			break;
		}
		for (char *p = buf; p < buf + len;) {
			struct inotify_event *e = (struct inotify_event *)p;
			p += sizeof *e + e->len;
			if (e->len == 0 || e->name[0] < '0' || e->name[0] > '9')
				continue;	/* .tmp-… files */
			long id = strtol(e->name, NULL, 10);
			long k = id - wt->first_id - 1;
			if (k < 0)
				continue;
			if ((size_t)k >= wt->cap) {
				size_t c = wt->cap ? wt->cap : 65536;
				while (c <= (size_t)k)
					c *= 2;
				int64_t *q = realloc(wt->seen, c * sizeof *q);
				if (q == NULL)
					abort();
				memset(q + wt->cap, 0, (c - wt->cap) * sizeof *q);
				wt->seen = q;
				wt->cap = c;
			}
			if (wt->seen[k] == 0)
				wt->seen[k] = t;
		}
	}
	return NULL;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* nearest rank */
static int64_t
pct_i64(const int64_t *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

/* delivered_at from the spool line, in microseconds; -1 when absent */
static int64_t
spool_written_us(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	static char buf[65536];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *k = strstr(buf, "\"delivered_at\":\"");
	if (k == NULL)
		return -1;
	k += strlen("\"delivered_at\":\"");
	const char *e = strchr(k, '"');
	if (e == NULL || e - k > 63)
		return -1;
	char t[64];
	memcpy(t, k, (size_t)(e - k));
	t[e - k] = '\0';
	usec_t us;
	return time_parse(t, &us) ? -1 : us;
}

static void
usage(FILE *out)
{
	fprintf(out, "usage: notify_probe --url URL --token T --conninfo C --spool DIR "
	    "[--clients N] [--seconds S] [--rate R|0] [--projects N] [--drain S] [--series FILE]\n");
}

int
main(int argc, char **argv)
{
	struct opts o = { .clients = 8, .seconds = 15, .rate = 0, .projects = 10000, .drain = 60 };

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		if (v == NULL) {
			usage(stderr);
			return 2;
		}
		i++;
		if (!strcmp(a, "--url"))
			o.url = v;
		else if (!strcmp(a, "--token"))
			o.token = v;
		else if (!strcmp(a, "--conninfo"))
			o.conninfo = v;
		else if (!strcmp(a, "--spool"))
			o.spool = v;
		else if (!strcmp(a, "--series"))
			o.series = v;
		else if (!strcmp(a, "--clients"))
			o.clients = atoi(v);
		else if (!strcmp(a, "--seconds"))
			o.seconds = strtod(v, NULL);
		else if (!strcmp(a, "--rate"))
			o.rate = strtod(v, NULL);
		else if (!strcmp(a, "--projects"))
			o.projects = strtol(v, NULL, 10);
		else if (!strcmp(a, "--drain"))
			o.drain = strtod(v, NULL);
		else {
			usage(stderr);
			return 2;
		}
	}
	if (!o.url || !o.token || !o.conninfo || !o.spool || o.clients < 1 || !(o.seconds > 0) ||
	    o.rate < 0 || o.projects < 1) {
		usage(stderr);
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);

	PGconn *db = PQconnectdb(o.conninfo);
	struct sampler sp = { .c = PQconnectdb(o.conninfo) };
	if (PQstatus(db) != CONNECTION_OK || PQstatus(sp.c) != CONNECTION_OK) {
		fprintf(stderr, "notify_probe: %s", PQerrorMessage(db));
		return 1;
	}
	long first_id = query_long(db, "SELECT coalesce(max(id), 0) FROM outbox");
	if (first_id < 0)
		return 1;

	struct watcher wt = { .fd = inotify_init1(IN_CLOEXEC), .first_id = first_id };
	if (wt.fd < 0 || inotify_add_watch(wt.fd, o.spool, IN_CREATE) < 0) {
		fprintf(stderr, "notify_probe: inotify on %s: %s\n", o.spool, strerror(errno));
		return 1;
	}
	pthread_t watcher;
	pthread_create(&watcher, NULL, watcher_main, &wt);

	struct worker *ws = calloc((size_t)o.clients, sizeof *ws);
	pthread_barrier_init(&start_line, NULL, (unsigned)o.clients + 1);
	for (int i = 0; i < o.clients; i++) {
		ws[i].o = &o;
		ws[i].index = i;
		ws[i].rng = UINT64_C(0x9E3779B97F4A7C15) * (uint64_t)(i + 7) + (uint64_t)now_ns();
		if (ws[i].rng == 0)
			ws[i].rng = 1;
		if (pthread_create(&ws[i].thread, NULL, client_main, &ws[i]) != 0)
			return 1;
	}
	t0_ns = now_ns() + 20000000;	/* 20 ms: every thread is at the line */
	end_ns = t0_ns + (int64_t)(o.seconds * 1e9);
	pthread_t sampler;
	pthread_create(&sampler, NULL, sampler_main, &sp);
	pthread_barrier_wait(&start_line);
	uint64_t ok = 0, errors = 0;
	size_t n_lat = 0;
	for (int i = 0; i < o.clients; i++) {
		pthread_join(ws[i].thread, NULL);
		ok += ws[i].ok;
		errors += ws[i].errors;
		n_lat += ws[i].n_lat;
	}
	int64_t load_end = now_ns();
	/* where the backlog sits at the end of the load: never claimed by the
	 * relay (attempts 0) or claimed and sent, waiting for a worker's ack */
	long unclaimed = query_long(db, "SELECT count(*) FROM outbox WHERE status = 'pending' "
	    "AND attempts = 0");
	long leased = query_long(db, "SELECT count(*) FROM outbox WHERE status = 'pending' "
	    "AND attempts > 0");
	/* of the leased rows, those already in the spool: acked or ack in flight
	 * (the relay's side) versus still queued towards or inside a worker */
	long leased_spooled = 0;
	{
		PGresult *lr = PQexec(db, "SELECT id FROM outbox WHERE status = 'pending' AND attempts > 0");
		char lp[4096];
		for (int i = 0; PQresultStatus(lr) == PGRES_TUPLES_OK && i < PQntuples(lr); i++) {
			snprintf(lp, sizeof lp, "%s/%s.json", o.spool, PQgetvalue(lr, i, 0));
			if (access(lp, F_OK) == 0)
				leased_spooled++;
		}
		PQclear(lr);
	}
	atomic_store(&load_done, true);
	pthread_join(sampler, NULL);
	double load_s = (double)(load_end - t0_ns) / 1e9;

	uint32_t *rl = malloc((n_lat ? n_lat : 1) * sizeof *rl);
	size_t k = 0;
	for (int i = 0; i < o.clients; i++) {
		if (ws[i].n_lat)
			memcpy(rl + k, ws[i].lat, ws[i].n_lat * sizeof *rl);
		k += ws[i].n_lat;
		free(ws[i].lat);
	}
	qsort(rl, n_lat, sizeof *rl, cmp_u32);

	/* drain: every row of the run has its spool file (or give up) */
	char q[256];
	snprintf(q, sizeof q, "SELECT count(*) FROM outbox WHERE id > %ld", first_id);
	long rows = query_long(db, q);
	snprintf(q, sizeof q, "SELECT id, ts2us(created_at) FROM outbox WHERE id > %ld ORDER BY id",
	    first_id);
	PGresult *r = PQexec(db, q);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "notify_probe: %s", PQerrorMessage(db));
		return 1;
	}
	int n = PQntuples(r);
	int64_t *ids = calloc((size_t)n + 1, sizeof *ids), *created = calloc((size_t)n + 1, sizeof *created);
	for (int i = 0; i < n; i++) {
		ids[i] = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		created[i] = strtoll(PQgetvalue(r, i, 1), NULL, 10);
	}
	PQclear(r);
	int64_t drain_stop = now_ns() + (int64_t)(o.drain * 1e9);
	char path[4096];
	int have = 0;
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%" PRId64 ".json", o.spool, ids[i]);
		while (access(path, F_OK) != 0 && now_ns() < drain_stop)
			usleep(10000);
		if (access(path, F_OK) == 0)
			have++;
	}
	int64_t drained = now_ns();
	usleep(100000);		/* the last inotify events */
	pthread_cancel(watcher);
	pthread_join(watcher, NULL);
	close(wt.fd);
	long backlog_final = query_long(db, "SELECT count(*) FROM outbox WHERE status = 'pending'");

	/* latencies */
	int64_t *lat_link = calloc((size_t)n + 1, sizeof *lat_link);
	int64_t *lat_written = calloc((size_t)n + 1, sizeof *lat_written);
	size_t nl = 0, nw = 0, in_load = 0, unseen = 0;
	int64_t last_link = 0;
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%" PRId64 ".json", o.spool, ids[i]);
		if (access(path, F_OK) != 0)
			continue;
		int64_t w = spool_written_us(path);
		if (w >= 0)
			lat_written[nw++] = w - created[i];
		long kk = (long)ids[i] - first_id - 1;
		int64_t link_ns = kk >= 0 && (size_t)kk < wt.cap ? wt.seen[kk] : 0;
		if (link_ns == 0) {
			unseen++;
			if (w < 0)
				continue;
			link_ns = w * 1000;
		}
		if (link_ns > last_link)
			last_link = link_ns;
		if (link_ns >= t0_ns && link_ns <= load_end)
			in_load++;
		lat_link[nl++] = link_ns / 1000 - created[i];
	}
	qsort(lat_link, nl, sizeof *lat_link, cmp_i64);
	qsort(lat_written, nw, sizeof *lat_written, cmp_i64);

	if (o.series) {
		FILE *f = fopen(o.series, "w");
		if (f) {
			fprintf(f, "# seconds_since_load_start pending_outbox_rows\n");
			for (size_t i = 0; i < sp.n; i++)
				fprintf(f, "%.3f %ld\n", sp.s[i].t, sp.s[i].pending);
			fclose(f);
		}
	}
	double req_p50 = 0, req_p99 = 0;
	if (n_lat) {
		size_t r50 = (size_t)(0.5 * (double)n_lat + 0.999999), r99 = (size_t)(0.99 * (double)n_lat + 0.999999);
		req_p50 = rl[(r50 ? r50 : 1) - 1] / 1000.0;
		req_p99 = rl[(r99 > n_lat ? n_lat : r99) - 1] / 1000.0;
	}
	printf("sent_ok=%" PRIu64 " errors=%" PRIu64 " req_p50_ms=%.2f req_p99_ms=%.2f load_s=%.2f "
	    "offered_per_s=%.1f notifications=%ld delivered_in_load=%zu notifications_per_s=%.1f "
	    "drain_s=%.2f backlog_max=%ld backlog_end_of_load=%ld backlog_final=%ld "
	    "p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f written_p50_ms=%.2f written_p99_ms=%.2f "
	    "missing=%d unseen=%zu backlog_unclaimed_end=%ld backlog_leased_end=%ld leased_already_spooled=%ld\n",
	    ok, errors, req_p50, req_p99, load_s, (double)ok / load_s, rows, in_load,
	    (double)in_load / load_s, last_link > load_end ? (double)(last_link - load_end) / 1e9 : 0.0,
	    sp.max, sp.at_end, backlog_final,
	    pct_i64(lat_link, nl, 50) / 1000.0, pct_i64(lat_link, nl, 90) / 1000.0,
	    pct_i64(lat_link, nl, 99) / 1000.0, nl ? lat_link[nl - 1] / 1000.0 : 0.0,
	    pct_i64(lat_written, nw, 50) / 1000.0, pct_i64(lat_written, nw, 99) / 1000.0,
	    n - have, unseen, unclaimed, leased, leased_spooled);
	(void)drained;
	free(rl);
	free(ids);
	free(created);
	free(lat_link);
	free(lat_written);
	free(sp.s);
	free(wt.seen);
	free(ws);
	PQfinish(db);
	PQfinish(sp.c);
	curl_global_cleanup();
	return errors || n - have ? 1 : 0;
}
