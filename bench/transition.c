/* transition: the load generator behind `make bench`. CLIENTS threads, each
 * with its own keep-alive libcurl handle, post record_supervision events to
 * random projects 1..PROJECTS for SECONDS, and the run ends with one line:
 *
 *   transitions_per_s=N ok=N errors=N p50_ms=N p90_ms=N p99_ms=N max_ms=N
 *   clients=N seconds=N projects=N
 *
 * (one line on stdout). A transition counts when the daemon answered 200;
 * latencies are those of every answered request, measured around one
 * curl_easy_perform. The first few non-200 answers are shown on stderr. */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BODY "{\"event\":\"record_supervision\",\"payload\":" \
	"{\"inspection\":\"routine visit\",\"finding\":\"ok\"}}"
#define MAX_SHOWN_ERRORS 5
#define REPLY_KEEP 512

struct opts {
	const char *url;
	const char *token;
	int clients;
	double seconds;
	long projects;
	unsigned long seed;
};

struct reply {
	char text[REPLY_KEEP];
	size_t n;
};

struct worker {
	const struct opts *o;
	pthread_t thread;
	uint64_t rng;
	uint32_t *lat;		/* microseconds, one per answered request */
	size_t n_lat, cap_lat;
	uint64_t ok, bad, failed;	/* 200, other status, no answer */
	int rc;
};

static pthread_barrier_t start_line;
static double deadline;		/* CLOCK_MONOTONIC seconds, set before the barrier */
static _Atomic int errors_shown;

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
usage(FILE *out)
{
	fprintf(out, "usage: transition --url URL --token TOKEN [--clients N] [--seconds S] "
	    "[--projects N] [--seed N]\n"
	    "  URL is the daemon's base, e.g. http://127.0.0.1:8080\n");
}

/* xorshift64*: per thread, no locks */
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
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct reply *r = arg;
	size_t n = size * nmemb;
	size_t room = sizeof r->text - 1 - r->n;
	size_t take = n < room ? n : room;
	memcpy(r->text + r->n, data, take);
	r->n += take;
	r->text[r->n] = '\0';
	return n;
}

static int
lat_push(struct worker *w, uint32_t us)
{
	if (w->n_lat == w->cap_lat) {
		size_t cap = w->cap_lat ? w->cap_lat * 2 : 65536;
		uint32_t *p = realloc(w->lat, cap * sizeof *p);
		if (p == NULL)
			return -1;
		w->lat = p;
		w->cap_lat = cap;
	}
	w->lat[w->n_lat++] = us;
	return 0;
}

static void
show_error(long status, const char *what)
{
	if (atomic_fetch_add(&errors_shown, 1) < MAX_SHOWN_ERRORS)
		fprintf(stderr, "transition: %s%ld: %s\n", status ? "HTTP " : "", status, what);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	const struct opts *o = w->o;
	char url[1024], auth[512], errbuf[CURL_ERROR_SIZE];
	struct reply rep;
	struct curl_slist *hdr = NULL;
	CURL *h = curl_easy_init();

	snprintf(auth, sizeof auth, "Authorization: Bearer %s", o->token);
	hdr = curl_slist_append(hdr, auth);
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, "Expect:");
	if (h == NULL || hdr == NULL) {
		w->rc = -1;
		pthread_barrier_wait(&start_line);
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, BODY);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(BODY));
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &rep);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);

	pthread_barrier_wait(&start_line);
	while (now_s() < deadline) {
		long id = (long)(next_rand(&w->rng) % (uint64_t)o->projects) + 1;
		snprintf(url, sizeof url, "%s/v1/projects/%ld/events", o->url, id);
		curl_easy_setopt(h, CURLOPT_URL, url);
		rep.n = 0;
		rep.text[0] = '\0';
		errbuf[0] = '\0';
		double t0 = now_s();
		CURLcode cc = curl_easy_perform(h);
		double dt = now_s() - t0;
		if (cc != CURLE_OK) {
			w->failed++;
			show_error(0, errbuf[0] ? errbuf : curl_easy_strerror(cc));
			continue;
		}
		long status = 0;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		double us = dt * 1e6;
		if (lat_push(w, us > UINT32_MAX ? UINT32_MAX : (uint32_t)us)) {
			w->rc = -1;
			break;
		}
		if (status == 200) {
			w->ok++;
		} else {
			w->bad++;
			show_error(status, rep.text);
		}
	}
out:
	curl_slist_free_all(hdr);
	if (h)
		curl_easy_cleanup(h);
	return NULL;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* The P-th percentile (nearest rank) of sorted V, in milliseconds. */
static double
pct_ms(const uint32_t *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1] / 1000.0;
}

static int
parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o = { .url = NULL, .token = NULL, .clients = 8, .seconds = 20,
		.projects = 10000, .seed = 1 };

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		long n;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		if (v == NULL) {
			usage(stderr);
			return 2;
		}
		i++;
		if (!strcmp(a, "--url")) {
			o.url = v;
		} else if (!strcmp(a, "--token")) {
			o.token = v;
		} else if (!strcmp(a, "--clients") && !parse_long(v, 1, 4096, &n)) {
			o.clients = (int)n;
		} else if (!strcmp(a, "--seconds")) {
			char *end;
			o.seconds = strtod(v, &end);
			if (end == v || *end || !(o.seconds > 0)) {
				usage(stderr);
				return 2;
			}
		} else if (!strcmp(a, "--projects") && !parse_long(v, 1, 2000000000L, &n)) {
			o.projects = n;
		} else if (!strcmp(a, "--seed") && !parse_long(v, 0, 2000000000L, &n)) {
			o.seed = (unsigned long)n;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (o.url == NULL || o.token == NULL) {
		usage(stderr);
		return 2;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "transition: curl_global_init failed\n");
		return 1;
	}

	struct worker *ws = calloc((size_t)o.clients, sizeof *ws);
	if (ws == NULL)
		return 1;
	pthread_barrier_init(&start_line, NULL, (unsigned)o.clients + 1);
	for (int i = 0; i < o.clients; i++) {
		ws[i].o = &o;
		/* distinct, non-zero streams per thread */
		ws[i].rng = (o.seed + 1) * UINT64_C(0x9E3779B97F4A7C15) + (uint64_t)(i + 1) *
		    UINT64_C(0xBF58476D1CE4E5B9);
		if (ws[i].rng == 0)
			ws[i].rng = 1;
		if (pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]) != 0) {
			fprintf(stderr, "transition: cannot start thread %d\n", i);
			return 1;
		}
	}
	/* written before the barrier, read by the threads after it */
	double t0 = now_s();
	deadline = t0 + o.seconds;
	pthread_barrier_wait(&start_line);
	for (int i = 0; i < o.clients; i++)
		pthread_join(ws[i].thread, NULL);
	double elapsed = now_s() - t0;

	uint64_t ok = 0, bad = 0, failed = 0;
	size_t n = 0;
	int rc = 0;
	for (int i = 0; i < o.clients; i++) {
		ok += ws[i].ok;
		bad += ws[i].bad;
		failed += ws[i].failed;
		n += ws[i].n_lat;
		rc |= ws[i].rc;
	}
	uint32_t *all = malloc((n ? n : 1) * sizeof *all);
	if (all == NULL)
		return 1;
	size_t k = 0;
	for (int i = 0; i < o.clients; i++) {
		if (ws[i].n_lat)
			memcpy(all + k, ws[i].lat, ws[i].n_lat * sizeof *all);
		k += ws[i].n_lat;
		free(ws[i].lat);
	}
	qsort(all, n, sizeof *all, cmp_u32);
	printf("transitions_per_s=%.1f ok=%" PRIu64 " errors=%" PRIu64 " p50_ms=%.2f p90_ms=%.2f "
	    "p99_ms=%.2f max_ms=%.2f clients=%d seconds=%.2f projects=%ld\n",
	    elapsed > 0 ? (double)ok / elapsed : 0.0, ok, bad + failed, pct_ms(all, n, 50),
	    pct_ms(all, n, 90), pct_ms(all, n, 99), n ? all[n - 1] / 1000.0 : 0.0, o.clients,
	    elapsed, o.projects);
	free(all);
	free(ws);
	pthread_barrier_destroy(&start_line);
	curl_global_cleanup();
	if (rc) {
		fprintf(stderr, "transition: out of memory recording latencies\n");
		return 1;
	}
	return 0;
}
