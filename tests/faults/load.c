/* Load and audit for the fault tests (see load.h). */
#include "load.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_CLIENTS 16
#define MAX_REQ 200000

enum outcome { O_PENDING, O_OK, O_MAYBE, O_NOT_APPLIED };

struct req {
	char text[40];		/* the inspection text: names the request */
	int project;
	bool keyed;
	enum outcome outcome;
};

static struct {
	pthread_mutex_t lock;
	struct req *reqs;
	size_t n;
	volatile bool stop;
	int64_t ids[LOAD_PROJECTS];
	char token[65];
	char url[64];
	int writes_503;
	pthread_t th[MAX_CLIENTS];
	int clients;
} L = { .lock = PTHREAD_MUTEX_INITIALIZER };

double
load_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
load_env_int(const char *name, int dflt)
{
	const char *v = getenv(name);
	return v && *v ? atoi(v) : dflt;
}

static struct req *
new_req(int client, int project, bool keyed)
{
	pthread_mutex_lock(&L.lock);
	assert_true(L.n < MAX_REQ);
	struct req *q = &L.reqs[L.n];
	snprintf(q->text, sizeof q->text, "fc-%d-%zu", client, L.n);
	L.n++;
	pthread_mutex_unlock(&L.lock);
	q->project = project;
	q->keyed = keyed;
	q->outcome = O_PENDING;
	return q;
}

/* One request, retried with its key while the answer is unknown. STOP_TOO:
 * give up when the load stops (the probe keeps trying). */
static void
send_req(CURL *curl, struct req *q, bool stop_too)
{
	char path[64], body[160], key[80];
	snprintf(path, sizeof path, "/v1/projects/%lld/events", (long long)L.ids[q->project]);
	snprintf(body, sizeof body, "{\"event\":\"record_supervision\",\"payload\":"
	    "{\"inspection\":\"%s\",\"finding\":\"ok\"}}", q->text);
	snprintf(key, sizeof key, "Idempotency-Key: %s", q->text);
	double t0 = load_now();
	for (;;) {
		struct resp r = h_req_on(curl, L.url, "POST", path, L.token, body,
		    q->keyed ? key : NULL);
		long st = r.status;
		const char *outcome = h_str(r.body, "error.details.outcome");
		bool not_applied = st == 503 && outcome && !strcmp(outcome, "not_applied");
		char r_text[200];
		snprintf(r_text, sizeof r_text, "%s", r.raw ? r.raw : "");
		h_resp_free(&r);
		if (st == 200) {
			q->outcome = O_OK;
			return;
		}
		if (st == 503)
			__atomic_add_fetch(&L.writes_503, 1, __ATOMIC_RELAXED);
		if (st > 0 && st != 503 && st < 500) {
			/* a refusal applies nothing (but an earlier try may have) */
			fprintf(stderr, "load: %s answered %ld %s\n", q->text, st, r_text);
			q->outcome = q->outcome == O_PENDING ? O_NOT_APPLIED : O_MAYBE;
			return;
		}
		/* certainly not applied only while every try said so */
		if (not_applied && q->outcome == O_PENDING)
			q->outcome = O_NOT_APPLIED;
		else if (!not_applied)
			q->outcome = O_MAYBE;
		h_sleep_ms(50);	/* the daemon or its database is away: no busy loop */
		if (!q->keyed || (stop_too && L.stop) || load_now() - t0 > 60)
			return;
	}
}

static void *
client(void *arg)
{
	int c = (int)(intptr_t)arg;
	CURL *curl = curl_easy_init();
	unsigned seed = (unsigned)c * 7919u + 1;
	while (!L.stop) {
		struct req *q = new_req(c, (int)(rand_r(&seed) % LOAD_PROJECTS), rand_r(&seed) % 2);
		send_req(curl, q, true);
	}
	curl_easy_cleanup(curl);
	return NULL;
}

void
load_start(struct harness *h, struct world *w, int clients)
{
	for (int i = 0; i < LOAD_PROJECTS; i++) {
		L.ids[i] = h_project(h, w, NULL);
		h_drive(h, w, L.ids[i], "in_service", NULL);
	}
	snprintf(L.token, sizeof L.token, "%s", w->officer);
	snprintf(L.url, sizeof L.url, "%s", h->url);
	L.reqs = xcalloc(MAX_REQ, sizeof *L.reqs);
	L.clients = clients < MAX_CLIENTS ? clients : MAX_CLIENTS;
	for (int c = 0; c < L.clients; c++)
		pthread_create(&L.th[c], NULL, client, (void *)(intptr_t)c);
}

void
load_stop(void)
{
	L.stop = true;
	for (int c = 0; c < L.clients; c++)
		pthread_join(L.th[c], NULL);
	L.clients = 0;
}

double
load_probe(void)
{
	double t0 = load_now();
	CURL *curl = curl_easy_init();
	struct req *q = new_req(99, 0, true);
	send_req(curl, q, false);
	curl_easy_cleanup(curl);
	return q->outcome == O_OK ? load_now() - t0 : -1;
}

void
load_audit(struct harness *h, struct world *w, struct audit *a)
{
	memset(a, 0, sizeof *a);
	a->requests = L.n;
	a->writes_503 = L.writes_503;
	for (int i = 0; i < LOAD_PROJECTS; i++) {
		struct resp r = h_get(h, w->auditor, "/v1/projects/%lld/events", (long long)L.ids[i]);
		if (r.status != 200) {
			fprintf(stderr, "load: history of %lld: %ld\n", (long long)L.ids[i], r.status);
			a->missing++;
			continue;
		}
		json_t *items = h_at(r.body, "items"), *e;
		size_t k;
		a->events += json_array_size(items);
		json_t *p = h_project_get(h, w, L.ids[i]);
		if (h_int(p, "version") != (int64_t)json_array_size(items))
			a->versions_bad++;
		json_t *seen = json_object();
		json_array_foreach(items, k, e) {
			if (strcmp(h_str(e, "event"), "record_supervision"))
				continue;
			const char *text = h_str(e, "payload.inspection");
			json_t *n = json_object_get(seen, text);
			json_object_set_new(seen, text, json_integer(n ? json_integer_value(n) + 1 : 1));
		}
		for (size_t j = 0; j < L.n; j++) {
			struct req *q = &L.reqs[j];
			if (q->project != i)
				continue;
			json_t *n = json_object_get(seen, q->text);
			int64_t times = n ? json_integer_value(n) : 0;
			if (q->outcome == O_OK)
				a->acked++;
			if (q->outcome == O_OK && times == 0) {
				fprintf(stderr, "load: %s acknowledged, not in the history\n", q->text);
				a->missing++;
			}
			if (times > 1) {
				fprintf(stderr, "load: %s applied %lld times\n", q->text, (long long)times);
				a->twice++;
			}
			if (q->outcome == O_NOT_APPLIED && times > 0) {
				fprintf(stderr, "load: %s said not applied, yet applied\n", q->text);
				a->refuted++;
			}
			json_object_del(seen, q->text);
		}
		a->unasked += (int)json_object_size(seen);
		json_decref(seen);
	}
	free(L.reqs);
	L.reqs = NULL;
}

int
load_sanitizer_lines(struct harness *h)
{
	int n = 0;
	char line[4096];
	FILE *lf = fopen(h->log, "r");
	while (lf && fgets(line, sizeof line, lf))
		if (strstr(line, "AddressSanitizer") || strstr(line, "runtime error:") ||
		    strstr(line, "LeakSanitizer"))
			n++;
	if (lf)
		fclose(lf);
	return n;
}
