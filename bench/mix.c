/* mix: the load and the measurement behind scripts/bench-mix.sh (the
 * mixed benchmark of the scale issue; see bench/README.md).
 *
 * A working day against one daemon or two (each --url; every client sends
 * its requests to them in turn), over keep-alive libcurl handles, one thread
 * per client:
 *
 *   --lifecycles N   officers taking whole lifecycles from draft to closed:
 *                    create, submit, needs approved by the reviewer and the
 *                    budget by finance, tender documents and publish (a bid
 *                    deadline a second away: the daemon's timer closes the
 *                    bidding), three contractors' bids, three evaluators'
 *                    score sheets for each, award, contract, start, two
 *                    supervision records, completion, the reviewer's
 *                    acceptance, finance's payment and the year-end
 *                    evaluation; after each write --reads reads (inbox,
 *                    lists and their page 50, filters by state, agency and
 *                    overdue, project pages and a page of their histories,
 *                    the long history whole,
 *                    deadlines, notifications, incidents, evaluations,
 *                    /metrics). The first read after an event is the
 *                    project itself, from the other daemon when there are
 *                    two: it must show the write (else "stale").
 *   --contested N    clients posting supervision records to the same few
 *                    projects at once (--contested-ids), the hot rows.
 *
 * The world (tokens, contractors, catalogue item, the projects named) comes
 * from --world FILE, written by the script:
 *   unit CODE OFFICER REVIEWER FINANCE EVAL0 EVAL1 EVAL2   (one per county)
 *   auditor TOKEN        (province-wide reads)
 *   contractors ID ID ID
 *   item CODE
 *   contested ID...      (in_service projects of the first unit)
 *   history ID           (a project with a long history)
 *
 * Every event answered 200 is written to --acks FILE as "project seq", for
 * the script to find in the history. On stdout, one line per route:
 *   route="…" n=N per_s=X p50_ms=X p99_ms=X p999_ms=X max_ms=X
 * then
 *   writes n=N … (every POST …/events) ratio=p99/p50
 *   summary seconds=X requests_per_s=X reads_per_write=X lifecycles=N
 *     lifecycles_per_s=X errors=N stale=N */
#include <curl/curl.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "util.h"

#define MAX_URLS 2
#define MAX_UNITS 32
#define MAX_CONTESTED 64
#define TOKEN_LEN 128
#define MAX_SHOWN_ERRORS 8

enum route {
	R_CREATE, R_EVENT, R_EVENT_CONTESTED, R_BID, R_SCORE, R_UPLOAD,
	R_TASKS, R_PROJECT, R_HISTORY, R_HISTORY_LONG, R_LIST, R_LIST_50, R_LIST_STATE,
	R_LIST_STATE_50, R_LIST_AGENCY, R_LIST_OVERDUE, R_DEADLINES, R_NOTIFICATIONS,
	R_INCIDENTS, R_EVALUATIONS, R_METRICS, R__COUNT
};

static const char *const route_name[R__COUNT] = {
	[R_CREATE] = "POST /v1/projects",
	[R_EVENT] = "POST /v1/projects/{id}/events",
	[R_EVENT_CONTESTED] = "POST /v1/projects/{id}/events (contested)",
	[R_BID] = "POST /v1/projects/{id}/bids",
	[R_SCORE] = "POST /v1/projects/{id}/bids/{bid}/scores",
	[R_UPLOAD] = "POST /v1/projects/{id}/documents",
	[R_TASKS] = "GET /v1/tasks",
	[R_PROJECT] = "GET /v1/projects/{id}",
	[R_HISTORY] = "GET /v1/projects/{id}/events?limit=100",
	[R_HISTORY_LONG] = "GET /v1/projects/{id}/events (long)",
	[R_LIST] = "GET /v1/projects page 1",
	[R_LIST_50] = "GET /v1/projects page 50",
	[R_LIST_STATE] = "GET /v1/projects?state=in_service",
	[R_LIST_STATE_50] = "GET /v1/projects?state=closed page 50",
	[R_LIST_AGENCY] = "GET /v1/projects?agency=",
	[R_LIST_OVERDUE] = "GET /v1/projects?overdue=true",
	[R_DEADLINES] = "GET /v1/deadlines",
	[R_NOTIFICATIONS] = "GET /v1/notifications?status=pending",
	[R_INCIDENTS] = "GET /v1/incidents",
	[R_EVALUATIONS] = "GET /v1/evaluations",
	[R_METRICS] = "GET /metrics",
};

/* The reads, in the order a client goes round them (the inbox and the
 * project most often, as an officer at work would). */
static const enum route read_cycle[] = {
	R_TASKS, R_PROJECT, R_LIST, R_HISTORY, R_LIST_STATE, R_TASKS, R_LIST_AGENCY,
	R_LIST_50, R_LIST_OVERDUE, R_HISTORY_LONG, R_DEADLINES, R_TASKS, R_LIST_STATE_50,
	R_NOTIFICATIONS, R_PROJECT, R_INCIDENTS, R_EVALUATIONS, R_METRICS,
};

/* The lifecycle's events, each timed on its own too ("event=" lines):
 * where the writes' tail comes from. */
static const char *const ev_names[] = {
	"submit", "approve_needs", "approve_budget", "publish", "award", "sign_contract",
	"start_service", "record_supervision", "complete_service", "accept",
	"confirm_payment", "evaluate",
};
#define N_EV (sizeof ev_names / sizeof ev_names[0])

struct unit {
	char code[16];
	char officer[TOKEN_LEN], reviewer[TOKEN_LEN], finance[TOKEN_LEN], ev[3][TOKEN_LEN];
};

static struct {
	const char *url[MAX_URLS];
	int n_urls, lifecycles, contested, reads, year;
	double seconds;
	struct unit unit[MAX_UNITS];
	int n_units;
	char auditor[TOKEN_LEN], item[64], service_start[11], service_end[11];
	int64_t contractor[3], contested_id[MAX_CONTESTED], history;
	int n_contested;
	char after50[64], after50_closed[64];	/* the cursors of page 50 */
	FILE *acks;
} W;

struct lat {
	uint32_t *v;
	size_t n, cap;
};

struct client {
	pthread_t thread;
	int index;
	CURL *h[MAX_URLS];
	unsigned turn;			/* the next request's daemon */
	uint64_t rng;
	struct lat lat[R__COUNT];
	struct lat ev_lat[N_EV];
	uint64_t errors, stale, lifecycles, reads, writes;
	size_t next_read;
	char *acks;			/* "project seq\n" lines */
	size_t n_acks, cap_acks;
	const struct unit *u;
	int64_t project;		/* the project under way, for the reads */
	bool own;			/* whether it is in the client's county */
	char body[1 << 20];		/* the last answer */
	size_t len;
};

static pthread_barrier_t start_line;
static int64_t end_ns;
static _Atomic int errors_shown;
static pthread_mutex_t acks_lock = PTHREAD_MUTEX_INITIALIZER;

static int64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool
running(void)
{
	return now_ns() < end_ns;
}

static size_t
collect(char *data, size_t size, size_t nmemb, void *arg)
{
	struct client *c = arg;
	size_t n = size * nmemb;
	size_t room = sizeof c->body - 1 - c->len;
	memcpy(c->body + c->len, data, n < room ? n : room);
	c->len += n < room ? n : room;
	return n;
}

static void
lat_push(struct lat *l, int64_t us)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4096;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n++] = us < 0 ? 0 : us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

/* One request; its latency goes to ROUTE. BODY NULL: a GET. The answer's
 * status, and its JSON (the caller frees it) when JSON is not NULL. */
static long
req(struct client *c, enum route route, const char *token, const char *path, const char *body,
    size_t body_len, const char *ctype, json_t **json)
{
	char url[512], auth[TOKEN_LEN + 32], type[96];
	struct curl_slist *hdr = NULL;
	CURL *h = c->h[c->turn % (unsigned)W.n_urls];
	snprintf(url, sizeof url, "%s%s", W.url[c->turn++ % (unsigned)W.n_urls], path);
	if (token) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
		hdr = curl_slist_append(hdr, auth);
	}
	hdr = curl_slist_append(hdr, "Expect:");
	if (body) {
		snprintf(type, sizeof type, "Content-Type: %s", ctype ? ctype : "application/json");
		hdr = curl_slist_append(hdr, type);
		if (ctype)
			hdr = curl_slist_append(hdr,
			    "Content-Disposition: attachment; filename=\"document.pdf\"");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)body_len);
	} else {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	c->len = 0;
	int64_t a = now_ns();
	CURLcode cc = curl_easy_perform(h);
	int64_t us = (now_ns() - a) / 1000;
	curl_slist_free_all(hdr);
	long status = 0;
	if (cc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	c->body[c->len] = '\0';
	lat_push(&c->lat[route], us);
	if (body)
		c->writes++;
	else
		c->reads++;
	if (json)
		*json = status ? json_loadb(c->body, c->len, 0, NULL) : NULL;
	return status;
}

/* STATUS was not WANT: counted, and the first few shown. */
static bool
check(struct client *c, long status, long want, const char *what)
{
	if (status == want)
		return true;
	c->errors++;
	if (atomic_fetch_add(&errors_shown, 1) < MAX_SHOWN_ERRORS)
		fprintf(stderr, "mix: client %d: %s: %ld (wanted %ld) %.300s\n", c->index, what, status,
		    want, c->body);
	return false;
}

static int64_t
jint(json_t *j, const char *key)
{
	return json_integer_value(json_object_get(j, key));
}

static const char *
read_token(const struct client *c, enum route r)
{
	switch (r) {
	case R_PROJECT: case R_HISTORY:
		return c->own ? c->u->officer : W.auditor;
	case R_TASKS: case R_LIST_AGENCY:
		return c->u->officer;
	default:
		return W.auditor;
	}
}

/* One read of the cycle. */
static void
one_read(struct client *c)
{
	char path[256];
	enum route r = read_cycle[c->next_read++ % (sizeof read_cycle / sizeof read_cycle[0])];
	int64_t project = c->project ? c->project : W.history;
	switch (r) {
	case R_TASKS: snprintf(path, sizeof path, "/v1/tasks?limit=50"); break;
	case R_PROJECT: snprintf(path, sizeof path, "/v1/projects/%" PRId64, project); break;
	case R_HISTORY:
		snprintf(path, sizeof path, "/v1/projects/%" PRId64 "/events?limit=100", project);
		break;
	case R_HISTORY_LONG:
		snprintf(path, sizeof path, "/v1/projects/%" PRId64 "/events", W.history);
		break;
	case R_LIST: snprintf(path, sizeof path, "/v1/projects?limit=50"); break;
	case R_LIST_50: snprintf(path, sizeof path, "/v1/projects?limit=50&after=%s", W.after50); break;
	case R_LIST_STATE: snprintf(path, sizeof path, "/v1/projects?state=in_service&limit=50"); break;
	case R_LIST_STATE_50:
		snprintf(path, sizeof path, "/v1/projects?state=closed&limit=50&after=%s", W.after50_closed);
		break;
	case R_LIST_AGENCY:
		snprintf(path, sizeof path, "/v1/projects?agency=%s&limit=50", c->u->code);
		break;
	case R_LIST_OVERDUE: snprintf(path, sizeof path, "/v1/projects?overdue=true&limit=50"); break;
	case R_DEADLINES:
		snprintf(path, sizeof path, "/v1/deadlines?due_before=%d-12-31T00:00:00Z&limit=50",
		    W.year + 1);
		break;
	case R_NOTIFICATIONS: snprintf(path, sizeof path, "/v1/notifications?status=pending&limit=50"); break;
	case R_INCIDENTS: snprintf(path, sizeof path, "/v1/incidents"); break;
	case R_EVALUATIONS: snprintf(path, sizeof path, "/v1/evaluations?year=%d", W.year); break;
	case R_METRICS: snprintf(path, sizeof path, "/metrics"); break;
	default: return;
	}
	check(c, req(c, r, r == R_METRICS ? NULL : read_token(c, r), path, NULL, 0, NULL, NULL),
	    200, route_name[r]);
}

static void
reads(struct client *c, int n)
{
	for (int i = 0; i < n; i++)
		one_read(c);
}

static void
ack(struct client *c, int64_t project, int64_t seq)
{
	if (c->cap_acks - c->n_acks < 48) {
		c->cap_acks = c->cap_acks ? c->cap_acks * 2 : 65536;
		c->acks = xrealloc(c->acks, c->cap_acks);
	}
	c->n_acks += (size_t)snprintf(c->acks + c->n_acks, c->cap_acks - c->n_acks,
	    "%" PRId64 "\t%" PRId64 "\n", project, seq);
}

/* Event EV by TOKEN on the lifecycle's project; then the project read back
 * (from the other daemon, if two) must show it, and the other reads. 0, or
 * -1 when it was refused. */
static int
event(struct client *c, const char *token, const char *ev, const char *payload, const char *want)
{
	char path[96], body[2048];
	json_t *j = NULL;
	snprintf(path, sizeof path, "/v1/projects/%" PRId64 "/events", c->project);
	int n = snprintf(body, sizeof body, "{\"event\":\"%s\",\"payload\":%s}", ev,
	    payload ? payload : "{}");
	long st = req(c, R_EVENT, token, path, body, (size_t)n, NULL, &j);
	for (size_t k = 0; k < N_EV; k++)
		if (strcmp(ev_names[k], ev) == 0)
			lat_push(&c->ev_lat[k], c->lat[R_EVENT].v[c->lat[R_EVENT].n - 1]);
	if (!check(c, st, 200, ev)) {
		json_decref(j);
		return -1;
	}
	int64_t version = jint(j, "version");
	const char *state = json_string_value(json_object_get(j, "state"));
	if (want && (state == NULL || strcmp(state, want)))
		check(c, 0, 200, "state after the event");
	ack(c, c->project, jint(json_object_get(j, "event"), "seq"));
	json_decref(j);

	snprintf(path, sizeof path, "/v1/projects/%" PRId64, c->project);
	st = req(c, R_PROJECT, c->u->officer, path, NULL, 0, NULL, &j);
	if (check(c, st, 200, "the project after an event") && jint(j, "version") < version) {
		c->stale++;
		fprintf(stderr, "mix: stale read of project %" PRId64 ": version %" PRId64
		    " after the write of %" PRId64 "\n", c->project, jint(j, "version"), version);
	}
	json_decref(j);
	reads(c, W.reads - 1);
	return 0;
}

/* A POST other than an event (a project, a bid, a score, a document): its
 * id, or -1; then the reads. */
static int64_t
create(struct client *c, enum route r, const char *token, const char *path, const char *body,
    size_t len, const char *ctype, const char *what)
{
	json_t *j = NULL;
	long st = req(c, r, token, path, body, len, ctype, &j);
	int64_t id = check(c, st, 201, what) ? jint(j, "id") : -1;
	json_decref(j);
	reads(c, W.reads);
	return id;
}

static const char tiny_pdf[] = "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

/* A document of KIND on the project by TOKEN: its id, or -1. */
static int64_t
document(struct client *c, const char *token, const char *kind)
{
	char path[128];
	snprintf(path, sizeof path, "/v1/projects/%" PRId64 "/documents?kind=%s", c->project, kind);
	return create(c, R_UPLOAD, token, path, tiny_pdf, sizeof tiny_pdf - 1, "application/pdf",
	    "a document");
}

/* Wait, reading at a person's pace, for the daemon to close the bidding. */
static int
await_scoring(struct client *c)
{
	char path[64];
	snprintf(path, sizeof path, "/v1/projects/%" PRId64, c->project);
	while (running()) {
		json_t *j = NULL;
		long st = req(c, R_PROJECT, c->u->officer, path, NULL, 0, NULL, &j);
		const char *s = json_string_value(json_object_get(j, "state"));
		bool done = st == 200 && s && !strcmp(s, "scoring");
		bool failed = st != 200 || (s && strcmp(s, "announced") && !done);
		json_decref(j);
		if (done)
			return 0;
		if (failed)
			return check(c, 0, 200, "waiting for the bidding to close"), -1;
		one_read(c);
		usleep(100000);
	}
	return -1;
}

/* One project from draft to closed; -1 when a step failed or time ran out. */
static int
lifecycle(struct client *c)
{
	const struct unit *u = c->u;
	char body[2048], pl[1024];
	int n;
	json_t *j = NULL;

	n = snprintf(body, sizeof body,
	    "{\"agency\":\"%s\",\"fiscal_year\":%d,\"title\":\"mixed benchmark casework\","
	    "\"catalog_items\":[\"%s\"],\"budget_fen\":1000000,\"funding_source\":\"work_funds\","
	    "\"method\":\"public_tender\",\"quantity\":\"12 caseworkers in 4 townships\","
	    "\"quality_standard\":\"every household visited monthly\",\"service_start\":\"%s\","
	    "\"service_end\":\"%s\"}", u->code, W.year, W.item, W.service_start, W.service_end);
	c->project = create(c, R_CREATE, u->officer, "/v1/projects", body, (size_t)n, NULL,
	    "a project");
	c->own = true;
	if (c->project < 0 || event(c, u->officer, "submit", NULL, "needs_review") ||
	    event(c, u->reviewer, "approve_needs", NULL, "budget_review") ||
	    event(c, u->finance, "approve_budget", NULL, "approved"))
		return -1;

	int64_t doc = document(c, u->officer, "tender_documents");
	char deadline[40];
	time_format((usec_t)(now_ns() / 1000 + USEC_PER_SEC), 0, deadline, sizeof deadline);
	snprintf(pl, sizeof pl, "{\"bid_deadline\":\"%s\",\"requirements\":\"registered social "
	    "organisation\",\"evaluators_required\":3,\"criteria\":[{\"name\":\"service_plan\","
	    "\"kind\":\"quality\",\"weight\":50},{\"name\":\"staffing\",\"kind\":\"quality\","
	    "\"weight\":30},{\"name\":\"price\",\"kind\":\"price\",\"weight\":20}],"
	    "\"documents\":[%" PRId64 "]}", deadline, doc);
	if (doc < 0 || event(c, u->officer, "publish", pl, "announced"))
		return -1;

	int64_t bid[3];
	char path[128];
	snprintf(path, sizeof path, "/v1/projects/%" PRId64 "/bids", c->project);
	for (int i = 0; i < 3; i++) {
		n = snprintf(body, sizeof body, "{\"contractor_id\":%" PRId64 ",\"price_fen\":%d}",
		    W.contractor[i], 900000 + 10000 * i);
		if ((bid[i] = create(c, R_BID, u->officer, path, body, (size_t)n, NULL, "a bid")) < 0)
			return -1;
	}
	if (await_scoring(c))
		return -1;
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "/v1/projects/%" PRId64 "/bids/%" PRId64 "/scores",
		    c->project, bid[i]);
		for (int e = 0; e < 3; e++) {
			n = snprintf(body, sizeof body, "{\"scores\":{\"service_plan\":%d,\"staffing\":%d}}",
			    40 - 2 * i + e, 20 + i);
			if (create(c, R_SCORE, u->ev[e], path, body, (size_t)n, NULL, "a score sheet") < 0)
				return -1;
		}
	}
	if (event(c, u->officer, "award", NULL, "awarded"))
		return -1;

	snprintf(path, sizeof path, "/v1/projects/%" PRId64, c->project);
	if (!check(c, req(c, R_PROJECT, u->officer, path, NULL, 0, NULL, &j), 200, "the award"))
		return json_decref(j), -1;
	int64_t price = jint(json_object_get(j, "award"), "price_fen");
	json_decref(j);
	if ((doc = document(c, u->officer, "contract")) < 0)
		return -1;
	snprintf(pl, sizeof pl, "{\"contract_no\":\"HT-%" PRId64 "\",\"amount_fen\":%" PRId64 ","
	    "\"takeover_plan\":{\"interim_provider\":\"in_house\",\"handover_days\":3,"
	    "\"contacts\":[\"coordinator@example.org\"]},\"documents\":[%" PRId64 "]}",
	    c->project, price, doc);
	if (event(c, u->officer, "sign_contract", pl, "contracted") ||
	    event(c, u->officer, "start_service", NULL, "in_service"))
		return -1;
	for (int k = 0; k < 2; k++)
		if (event(c, u->officer, "record_supervision", "{\"inspection\":\"visited 20 "
		    "households\",\"finding\":\"ok\"}", "in_service"))
			return -1;
	if (event(c, u->officer, "complete_service", NULL, "acceptance"))
		return -1;
	if ((doc = document(c, u->reviewer, "acceptance_report")) < 0)
		return -1;
	snprintf(pl, sizeof pl, "{\"report\":\"delivered as contracted\",\"documents\":[%" PRId64 "]}",
	    doc);
	if (event(c, u->reviewer, "accept", pl, "payment"))
		return -1;
	if ((doc = document(c, u->finance, "treasury_voucher")) < 0)
		return -1;
	snprintf(pl, sizeof pl, "{\"voucher_no\":\"GK-%" PRId64 "\",\"amount_fen\":%" PRId64 ","
	    "\"documents\":[%" PRId64 "]}", c->project, price, doc);
	if (event(c, u->finance, "confirm_payment", pl, "year_end_review") ||
	    event(c, u->reviewer, "evaluate", "{\"purchaser_score\":90,\"recipient_satisfaction\":"
	    "85,\"third_party_score\":80}", "closed"))
		return -1;
	c->lifecycles++;
	return 0;
}

static void
contested(struct client *c)
{
	static const char body[] = "{\"event\":\"record_supervision\",\"payload\":"
	    "{\"inspection\":\"spot check\",\"finding\":\"ok\"}}";
	char path[96];
	json_t *j = NULL;
	int64_t id = W.contested_id[c->rng++ % (uint64_t)W.n_contested];
	snprintf(path, sizeof path, "/v1/projects/%" PRId64 "/events", id);
	long st = req(c, R_EVENT_CONTESTED, W.unit[0].officer, path, body, sizeof body - 1, NULL, &j);
	if (check(c, st, 200, "a contested event"))
		ack(c, id, jint(json_object_get(j, "event"), "seq"));
	json_decref(j);
	c->project = id;
	c->own = true;
	reads(c, W.reads);
}

static void *
client_main(void *arg)
{
	struct client *c = arg;
	for (int i = 0; i < W.n_urls; i++) {
		CURL *h = c->h[i] = curl_easy_init();
		curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	}
	c->turn = (unsigned)c->index;
	c->next_read = (size_t)c->index * 5;
	pthread_barrier_wait(&start_line);
	bool lc = c->index < W.lifecycles;
	while (running()) {
		if (lc)
			lifecycle(c);
		else
			contested(c);
	}
	for (int i = 0; i < W.n_urls; i++)
		curl_easy_cleanup(c->h[i]);
	pthread_mutex_lock(&acks_lock);
	if (W.acks && c->n_acks)
		fwrite(c->acks, 1, c->n_acks, W.acks);
	pthread_mutex_unlock(&acks_lock);
	return NULL;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static double
pct(const struct lat *l, double p)
{
	if (l->n == 0)
		return 0;
	size_t k = (size_t)(p / 100.0 * (double)(l->n - 1) + 0.5);
	return l->v[k] / 1000.0;
}

static void
print_route(const char *name, struct lat *l, double seconds, const char *extra)
{
	qsort(l->v, l->n, sizeof *l->v, cmp_u32);
	printf("route=\"%s\" n=%zu per_s=%.1f p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.2f%s\n",
	    name, l->n, (double)l->n / seconds, pct(l, 50), pct(l, 99), pct(l, 99.9), pct(l, 100),
	    extra);
}

/* The "next" cursor after PAGES pages of QUERY (province-wide), into OUT. */
static int
cursor(struct client *c, const char *query, int pages, char *out, size_t len)
{
	char path[256];
	snprintf(out, len, "0");
	for (int i = 0; i < pages; i++) {
		json_t *j = NULL;
		snprintf(path, sizeof path, "/v1/projects?%s%slimit=50&after=%s", query,
		    *query ? "&" : "", out);
		long st = req(c, R_LIST, W.auditor, path, NULL, 0, NULL, &j);
		json_t *next = json_object_get(j, "next");
		if (st != 200 || (!json_is_string(next) && !json_is_integer(next))) {
			fprintf(stderr, "mix: %s: no page %d (%ld)\n", path, i + 2, st);
			json_decref(j);
			return -1;
		}
		if (json_is_string(next))
			snprintf(out, len, "%s", json_string_value(next));
		else
			snprintf(out, len, "%" JSON_INTEGER_FORMAT, json_integer_value(next));
		json_decref(j);
	}
	return 0;
}

static int
load_world(const char *file)
{
	FILE *f = fopen(file, "r");
	char line[4096];
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f)) {
		char *save = NULL, *k = strtok_r(line, " \t\n", &save);
		if (k == NULL)
			continue;
		if (!strcmp(k, "unit") && W.n_units < MAX_UNITS) {
			struct unit *u = &W.unit[W.n_units++];
			char *fields[8] = { u->code, u->officer, u->reviewer, u->finance, u->ev[0],
				u->ev[1], u->ev[2], NULL };
			for (int i = 0; fields[i]; i++) {
				char *v = strtok_r(NULL, " \t\n", &save);
				if (v == NULL)
					return fclose(f), -1;
				snprintf(fields[i], i ? TOKEN_LEN : sizeof u->code, "%s", v);
			}
		} else if (!strcmp(k, "auditor")) {
			snprintf(W.auditor, sizeof W.auditor, "%s", strtok_r(NULL, " \t\n", &save));
		} else if (!strcmp(k, "item")) {
			snprintf(W.item, sizeof W.item, "%s", strtok_r(NULL, " \t\n", &save));
		} else if (!strcmp(k, "contractors")) {
			for (int i = 0; i < 3; i++) {
				char *v = strtok_r(NULL, " \t\n", &save);
				W.contractor[i] = v ? strtoll(v, NULL, 10) : 0;
			}
		} else if (!strcmp(k, "contested")) {
			for (char *v; (v = strtok_r(NULL, " \t\n", &save)) && W.n_contested < MAX_CONTESTED;)
				W.contested_id[W.n_contested++] = strtoll(v, NULL, 10);
		} else if (!strcmp(k, "history")) {
			char *v = strtok_r(NULL, " \t\n", &save);
			W.history = v ? strtoll(v, NULL, 10) : 0;
		}
	}
	fclose(f);
	return W.n_units > 0 && W.auditor[0] && W.item[0] && W.contractor[2] > 0 &&
	    W.n_contested > 0 && W.history > 0 ? 0 : -1;
}

static void
usage(FILE *out)
{
	fputs("usage: mix --url URL [--url URL] --world FILE [--acks FILE] [--seconds S]\n"
	    "           [--lifecycles N] [--contested N] [--reads N]\n", out);
}

int
main(int argc, char **argv)
{
	const char *world = NULL, *acks = NULL;
	W.seconds = 60;
	W.lifecycles = 6;
	W.contested = 2;
	W.reads = 4;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL) {
			usage(stderr);
			return 2;
		}
		i++;
		if (!strcmp(a, "--url") && W.n_urls < MAX_URLS)
			W.url[W.n_urls++] = v;
		else if (!strcmp(a, "--world"))
			world = v;
		else if (!strcmp(a, "--acks"))
			acks = v;
		else if (!strcmp(a, "--seconds"))
			W.seconds = atof(v);
		else if (!strcmp(a, "--lifecycles"))
			W.lifecycles = atoi(v);
		else if (!strcmp(a, "--contested"))
			W.contested = atoi(v);
		else if (!strcmp(a, "--reads"))
			W.reads = atoi(v);
		else {
			usage(stderr);
			return 2;
		}
	}
	if (W.n_urls == 0 || world == NULL || W.seconds <= 0 || W.reads < 1 ||
	    W.lifecycles < 0 || W.contested < 0 || W.lifecycles + W.contested < 1) {
		usage(stderr);
		return 2;
	}
	if (load_world(world) != 0) {
		fprintf(stderr, "mix: %s: not a whole world (unit, auditor, item, contractors, "
		    "contested, history)\n", world);
		return 2;
	}
	if (acks && (W.acks = fopen(acks, "w")) == NULL) {
		perror(acks);
		return 2;
	}
	/* the service starts in two days, after the run whatever the time
	 * zone (the daemon's own start_service never races the client's), and
	 * ends with its year */
	int y, m, d;
	int32_t start = (int32_t)(time(NULL) / 86400) + 2;
	civil_from_days(start, &y, &m, &d);
	W.year = y;
	date_format(start, W.service_start, sizeof W.service_start);
	date_format(days_from_civil(y, 12, 31), W.service_end, sizeof W.service_end);

	curl_global_init(CURL_GLOBAL_DEFAULT);
	int n = W.lifecycles + W.contested;
	struct client *c = xcalloc((size_t)n, sizeof *c);
	for (int i = 0; i < n; i++) {
		c[i].index = i;
		/* the contested projects are the first county's */
		c[i].u = &W.unit[i < W.lifecycles ? i % W.n_units : 0];
		c[i].rng = (uint64_t)i * 7919;
	}
	/* the cursors of page 50, found before the clock starts */
	c[0].h[0] = curl_easy_init();
	curl_easy_setopt(c[0].h[0], CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c[0].h[0], CURLOPT_WRITEDATA, &c[0]);
	int saved = W.n_urls;
	W.n_urls = 1;
	if (cursor(&c[0], "", 49, W.after50, sizeof W.after50) ||
	    cursor(&c[0], "state=closed", 49, W.after50_closed, sizeof W.after50_closed))
		return 1;
	W.n_urls = saved;
	curl_easy_cleanup(c[0].h[0]);
	memset(&c[0].lat, 0, sizeof c[0].lat);
	free(c[0].lat[R_LIST].v);
	c[0].reads = 0;
	c[0].turn = 0;

	pthread_barrier_init(&start_line, NULL, (unsigned)n + 1);
	for (int i = 0; i < n; i++)
		pthread_create(&c[i].thread, NULL, client_main, &c[i]);
	int64_t t0 = now_ns();
	end_ns = t0 + (int64_t)(W.seconds * 1e9);
	pthread_barrier_wait(&start_line);
	for (int i = 0; i < n; i++)
		pthread_join(c[i].thread, NULL);
	double secs = (double)(now_ns() - t0) / 1e9;

	struct lat all[R__COUNT] = { { 0 } }, writes = { 0 }, by_ev[N_EV] = { { 0 } };
	uint64_t errors = 0, stale = 0, lifecycles = 0, nreads = 0, nwrites = 0;
	for (int i = 0; i < n; i++) {
		for (int r = 0; r < R__COUNT; r++)
			for (size_t k = 0; k < c[i].lat[r].n; k++) {
				lat_push(&all[r], c[i].lat[r].v[k]);
				if (r == R_EVENT || r == R_EVENT_CONTESTED)
					lat_push(&writes, c[i].lat[r].v[k]);
			}
		for (size_t e = 0; e < N_EV; e++)
			for (size_t k = 0; k < c[i].ev_lat[e].n; k++)
				lat_push(&by_ev[e], c[i].ev_lat[e].v[k]);
		errors += c[i].errors;
		stale += c[i].stale;
		lifecycles += c[i].lifecycles;
		nreads += c[i].reads;
		nwrites += c[i].writes;
	}
	for (int r = 0; r < R__COUNT; r++)
		print_route(route_name[r], &all[r], secs, "");
	char extra[64];
	qsort(writes.v, writes.n, sizeof *writes.v, cmp_u32);
	snprintf(extra, sizeof extra, " ratio=%.2f", pct(&writes, 50) > 0 ?
	    pct(&writes, 99) / pct(&writes, 50) : 0);
	print_route("events (all POST …/events)", &writes, secs, extra);
	for (size_t e = 0; e < N_EV; e++) {
		qsort(by_ev[e].v, by_ev[e].n, sizeof *by_ev[e].v, cmp_u32);
		printf("event=\"%s\" n=%zu p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n", ev_names[e],
		    by_ev[e].n, pct(&by_ev[e], 50), pct(&by_ev[e], 99), pct(&by_ev[e], 100));
	}
	printf("summary seconds=%.1f daemons=%d clients=%d requests_per_s=%.1f reads_per_write=%.2f "
	    "lifecycles=%" PRIu64 " lifecycles_per_s=%.3f errors=%" PRIu64 " stale=%" PRIu64 "\n",
	    secs, W.n_urls, n, (double)(nreads + nwrites) / secs,
	    nwrites ? (double)nreads / (double)nwrites : 0, lifecycles, (double)lifecycles / secs,
	    errors, stale);
	if (W.acks)
		fclose(W.acks);
	curl_global_cleanup();
	return errors || stale ? 1 : 0;
}
