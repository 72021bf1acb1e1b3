/* Integration: notifications over real ZeroMQ to real procur-notify workers.
 *
 * - a worker killed with SIGKILL while jobs are in flight, then restarted
 *   next to a second one, ends with every notification delivered and exactly
 *   one spool file per notification;
 * - a webhook that answers 500 is retried and ends dead after the configured
 *   attempts (an incident, the metrics), and an admin resends it;
 * - a daemon killed with SIGKILL and restarted sends what was never sent and
 *   what was sent but not acknowledged;
 * - the PUB socket tells subscribers of every applied event, the daemon's
 *   own escalations included;
 * - /healthz and /metrics.
 *
 * Each test has its own database and daemon (nh_setup). */
#include "nharness.h"

#include <math.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#define SEC USEC_PER_SEC

/* [notify] for the tests where workers are killed: short leases and
 * backoff, enough attempts that nothing dies while a worker is away */
#define PATIENT_NOTIFY "[notify]\nlease_seconds = 1\nbackoff_ms = 100\nmax_attempts = 10\n"

/* Insert a webhook notification for project PID to the receiver K, due
 * now by the daemon's clock: the daemon writes only spool rows today. */
static int64_t
webhook_row(struct harness *h, int64_t pid, struct nh_hook *k)
{
	char sql[1024], out[32];
	int64_t id;
	snprintf(sql, sizeof sql,
	    "WITH t AS (SELECT now() + make_interval(secs => offset_us / 1e6) AS now FROM clock_state) "
	    "INSERT INTO outbox (project_id, channel, recipient, template, data, next_attempt_at, "
	    "created_at) SELECT %lld, 'webhook', 'http://127.0.0.1:%d/hook', 'needs_submitted', "
	    "'{\"title\":\"webhook test\"}', t.now - interval '1 second', t.now FROM t RETURNING id",
	    (long long)pid, k->port);
	assert_int_equal(harness_sql_value(h, sql, out, sizeof out), 0);
	assert_int_equal(parse_int64(out, &id), 0);
	return id;
}

static int64_t
outbox_count(struct harness *h, const char *where)
{
	return nh_sql_int(h, "SELECT count(*) FROM outbox WHERE %s", where);
}

/* Wait until no notification is pending (TIMEOUT_MS), then check it the
 * way a person would: GET /v1/notifications?status=pending is empty. */
static void
wait_all_delivered(struct harness *h, const char *token, int timeout_ms, struct nh_worker *wk,
    int n_wk)
{
	int64_t left = nh_sql_wait(h, 0, timeout_ms,
	    "SELECT count(*) FROM outbox WHERE status = 'pending'");
	if (left != 0) {
		harness_print_log(h);
		for (int i = 0; i < n_wk; i++)
			nh_print_file("worker log", wk[i].log);
		fail_msg("%lld notifications still pending", (long long)left);
	}
	struct resp r = h_get(h, token, "/v1/notifications?status=pending");
	assert_status(r, 200);
	nh_assert_len(h_at(r.body, "items"), 0);
}

/* GET /v1/notifications?status=pending until it lists exactly N rows, none
 * ever sent (attempts 0). With no worker connected the relay may hold a row
 * for an instant (claimed, then given back unsent), so look a few times. */
static void
wait_pending_unsent(struct harness *h, const char *token, size_t n)
{
	json_t *items = NULL;
	for (int i = 0; i < 100; i++) {
		struct resp r = h_get(h, token, "/v1/notifications?status=pending");
		assert_status(r, 200);
		items = h_at(r.body, "items");
		size_t k, zero = 0;
		json_t *it;
		json_array_foreach(items, k, it)
			zero += h_int(it, "attempts") == 0;
		if (json_array_size(items) == n && zero == n)
			return;
		nh_sleep_ms(30);
	}
	char *s = json_dumps(items, JSON_COMPACT);
	print_error("expected %zu pending notifications with attempts 0\n    in: %.4000s\n", n, s);
	free(s);
	fail();
}

/* ------------------------------------------------------------------------ */

#define KILL_N 40

static void
test_worker_killed_in_flight(void **state)
{
	struct harness *h = *state;
	struct world w;
	struct nh_worker wk[3];
	struct nh_hook hook = { .hang_first = 1 };
	char spool[400];
	int64_t ids[KILL_N];

	h_world(h, &w, "NK", 0);
	snprintf(spool, sizeof spool, "%s/spool", h->dir);
	nh_hook_start(&hook, 200);
	nh_worker_start(h, &wk[0], "a", spool, "webhook_timeout_ms = 60000\n");
	for (int i = 0; i < KILL_N; i++)
		ids[i] = nh_project(h, &w);

	/* the first half goes through */
	for (int i = 0; i < KILL_N / 2; i++) {
		struct resp r = h_event_v(h, w.officer, ids[i], "submit", 1, NULL);
		assert_project(r, "needs_review", 2);
	}
	assert_int_equal(nh_sql_wait(h, KILL_N / 2, 10000, "SELECT count(*) FROM outbox WHERE "
	    "status = 'delivered'"), KILL_N / 2);
	assert_int_equal(nh_spool_count(spool), KILL_N / 2);

	/* the worker is held by a webhook that does not answer … */
	int64_t hook_id = webhook_row(h, ids[0], &hook);
	assert_int_equal(nh_hook_wait(&hook, 1, 5000), 1);
	/* … while the second half is sent to it: in flight, not acked */
	for (int i = KILL_N / 2; i < KILL_N; i++) {
		struct resp r = h_event_v(h, w.officer, ids[i], "submit", 1, NULL);
		assert_project(r, "needs_review", 2);
	}
	int64_t inflight = nh_sql_wait(h, KILL_N / 2, 5000, "SELECT count(*) FROM outbox WHERE "
	    "channel = 'spool' AND status = 'pending' AND attempts >= 1");
	assert_int_equal(inflight, KILL_N / 2);
	assert_int_equal(nh_spool_count(spool), KILL_N / 2);

	nh_worker_kill(&wk[0]);
	nh_hook_release(&hook);

	/* back, with a second worker on the same spool; past the leases */
	nh_worker_start(h, &wk[1], "a2", spool, NULL);
	nh_worker_start(h, &wk[2], "b", spool, NULL);
	h_clock_advance(h, 60);
	wait_all_delivered(h, w.admin, 20000, &wk[1], 2);

	assert_int_equal(outbox_count(h, "status = 'dead'"), 0);
	assert_int_equal(outbox_count(h, "status = 'delivered'"), KILL_N + 1);
	/* every spool notification has its one file, and no file is extra */
	assert_int_equal(nh_assert_spool_matches_outbox(h, spool), KILL_N);
	/* one needs_submitted to the reviewers per project, no more */
	assert_int_equal(nh_sql_int(h, "SELECT count(*) FROM project p WHERE (SELECT count(*) FROM "
	    "outbox o WHERE o.project_id = p.id AND o.channel = 'spool') <> 1"), 0);
	assert_int_equal(outbox_count(h, "channel = 'spool' AND template = 'needs_submitted' AND "
	    "recipient = 'agency:NK:reviewer'"), KILL_N);
	/* the webhook: sent again after the kill, the same idempotency key */
	int seen = nh_hook_requests(&hook);
	assert_true(seen >= 2);
	char key[32];
	snprintf(key, sizeof key, "%lld", (long long)hook_id);
	for (int i = 0; i < seen && i < NH_HOOK_MAX; i++) {
		assert_string_equal(hook.keys[i], key);
		assert_string_equal(hook.paths[i], "/hook");
	}

	nh_worker_stop(&wk[1]);
	nh_worker_stop(&wk[2]);
	nh_hook_stop(&hook);
}

/* ------------------------------------------------------------------------ */

static void
test_webhook_500_ends_dead(void **state)
{
	struct harness *h = *state;
	struct world w;
	struct nh_worker wk;
	struct nh_hook hook = { 0 };
	char spool[400];

	h_world(h, &w, "NW", 0);
	snprintf(spool, sizeof spool, "%s/spool", h->dir);
	nh_hook_start(&hook, 500);
	nh_worker_start(h, &wk, "w", spool, NULL);
	int64_t pid = nh_submitted(h, &w);
	int64_t id = webhook_row(h, pid, &hook);

	/* attempts 1, 2, 3 fail (ok:false, "http 500"), then it is dead */
	int64_t dead = nh_sql_wait(h, 1, 15000, "SELECT count(*) FROM outbox WHERE id = %lld AND "
	    "status = 'dead'", (long long)id);
	if (dead != 1) {
		harness_print_log(h);
		nh_print_file("worker log", wk.log);
	}
	assert_int_equal(dead, 1);
	nh_sleep_ms(1500);	/* a fourth try would show by now */
	assert_int_equal(nh_hook_requests(&hook), 3);
	char key[32];
	snprintf(key, sizeof key, "%lld", (long long)id);
	for (int i = 0; i < 3; i++) {
		assert_string_equal(hook.keys[i], key);
		assert_string_equal(hook.paths[i], "/hook");
	}

	/* visible in the API … */
	struct resp r = h_get(h, w.admin, "/v1/notifications?status=dead");
	assert_status(r, 200);
	nh_assert_len(h_at(r.body, "items"), 1);
	json_t *n = h_at(r.body, "items.0");
	assert_json_int(n, "id", id);
	assert_json_str(n, "status", "dead");
	assert_json_str(n, "channel", "webhook");
	assert_json_int(n, "attempts", 3);
	assert_json_str(n, "last_error", "http 500");
	/* … as an incident … */
	r = h_get(h, w.admin, "/v1/incidents");
	assert_status(r, 200);
	nh_assert_len(h_at(r.body, "items"), 1);
	assert_json_str(r.body, "items.0.kind", "notification_dead");
	assert_json_int(r.body, "items.0.outbox_id", id);
	assert_json_int(r.body, "items.0.project_id", pid);
	int64_t incident = h_int(r.body, "items.0.id");
	/* … and in the metrics */
	const char *m = nh_metrics(h);
	assert_int_equal(nh_metric(m, "procurd_notifications{status=\"dead\"}"), 1);
	assert_int_equal(nh_metric(m, "procurd_notifications{status=\"delivered\"}"), 1);
	assert_int_equal(nh_metric(m, "procurd_notifications{status=\"pending\"}"), 0);
	assert_int_equal(nh_metric(m, "procurd_incidents_open"), 1);
	assert_int_equal(nh_metric(m, "procurd_notify_workers"), 1);

	/* with no worker, a resent notification stays pending where we see it */
	nh_worker_stop(&wk);
	/* the relay learns the worker is gone from the jobs socket's monitor */
	for (int i = 0; i < 250 && nh_metric(nh_metrics(h), "procurd_notify_workers") != 0; i++)
		usleep(20000);
	assert_int_equal(nh_metric(nh_metrics(h), "procurd_notify_workers"), 0);
	char path[96];
	snprintf(path, sizeof path, "/v1/notifications/%lld/resend", (long long)id);
	r = h_req(h, "POST", path, w.officer, NULL, NULL);
	assert_error(r, 403, "forbidden");
	r = h_req(h, "POST", path, NULL, NULL, NULL);
	assert_error(r, 401, "unauthorized");
	r = h_req(h, "POST", "/v1/notifications/999999/resend", w.admin, NULL, NULL);
	assert_error(r, 404, "not_found");
	int64_t delivered = nh_sql_int(h, "SELECT id FROM outbox WHERE status = 'delivered'");
	char path2[96];
	snprintf(path2, sizeof path2, "/v1/notifications/%lld/resend", (long long)delivered);
	r = h_req(h, "POST", path2, w.admin, NULL, NULL);
	assert_error(r, 409, "invalid_transition");
	r = h_req(h, "POST", path, w.admin, NULL, NULL);
	assert_status(r, 200);
	assert_json_int(r.body, "id", id);
	assert_json_str(r.body, "status", "pending");

	r = h_get(h, w.admin, "/v1/notifications?status=pending");
	assert_status(r, 200);
	nh_assert_len(h_at(r.body, "items"), 1);
	assert_json_int(r.body, "items.0.id", id);
	wait_pending_unsent(h, w.admin, 1);
	r = h_get(h, w.admin, "/v1/incidents");
	assert_status(r, 200);
	nh_assert_len(h_at(r.body, "items"), 0);
	r = h_get(h, w.admin, "/v1/incidents?all=1");
	assert_status(r, 200);
	nh_assert_len(h_at(r.body, "items"), 1);
	assert_json_int(r.body, "items.0.id", incident);
	assert_non_null(h_str(r.body, "items.0.resolved_at"));
	m = nh_metrics(h);
	assert_int_equal(nh_metric(m, "procurd_notifications{status=\"dead\"}"), 0);
	assert_int_equal(nh_metric(m, "procurd_incidents_open"), 0);

	/* the receiver mends; a worker delivers it on the next try */
	nh_hook_set_status(&hook, 200);
	nh_worker_start(h, &wk, "w2", spool, NULL);
	wait_all_delivered(h, w.admin, 10000, &wk, 1);
	assert_int_equal(nh_hook_requests(&hook), 4);
	assert_string_equal(hook.keys[3], key);
	assert_int_equal(outbox_count(h, "status = 'delivered'"), 2);
	nh_worker_stop(&wk);
	nh_hook_stop(&hook);

	/* ninety days on, delivered notifications leave the outbox ([notify]
	 * keep_delivered_days); the gauges, counted as rows move, follow */
	assert_int_equal(nh_metric(nh_metrics(h), "procurd_notifications{status=\"delivered\"}"),
	    outbox_count(h, "status = 'delivered'"));
	h_clock_advance(h, 91 * 86400);
	for (int i = 0; i < 250 && outbox_count(h, "status = 'delivered'") > 0; i++)
		usleep(20000);
	assert_int_equal(outbox_count(h, "status = 'delivered'"), 0);
	m = nh_metrics(h);
	assert_int_equal(nh_metric(m, "procurd_notifications{status=\"delivered\"}"), 0);
	/* the dead one's incident stays: dead rows are not delivered ones */
}

/* ------------------------------------------------------------------------ */

#define KILLD_N 10
#define KILLD_M 5

static void
test_daemon_killed_resends_unacked(void **state)
{
	struct harness *h = *state;
	struct world w;
	struct nh_worker wk;
	struct nh_hook hook = { .hang_first = 1 };
	char spool[400];

	h_world(h, &w, "ND", 0);
	snprintf(spool, sizeof spool, "%s/spool", h->dir);

	/* no worker: the rows stay pending, never sent (ZMQ_IMMEDIATE) */
	for (int i = 0; i < KILLD_N; i++)
		nh_submitted(h, &w);
	nh_sleep_ms(1200);	/* the relay has looked (at least every second) */
	wait_pending_unsent(h, w.admin, KILLD_N);

	harness_kill(h);
	assert_int_equal(harness_daemon_start(h), 0);
	nh_worker_start(h, &wk, "w", spool, "webhook_timeout_ms = 60000\n");
	wait_all_delivered(h, w.admin, 10000, &wk, 1);
	assert_int_equal(nh_assert_spool_matches_outbox(h, spool), KILLD_N);

	/* now sent and not acked: the worker is held by a webhook … */
	nh_hook_start(&hook, 200);
	int64_t pid = nh_project(h, &w);
	int64_t hook_id = webhook_row(h, pid, &hook);
	assert_int_equal(nh_hook_wait(&hook, 1, 5000), 1);
	for (int i = 0; i < KILLD_M; i++)
		nh_submitted(h, &w);
	assert_int_equal(nh_sql_wait(h, KILLD_M, 5000, "SELECT count(*) FROM outbox WHERE channel = "
	    "'spool' AND status = 'pending' AND attempts >= 1"), KILLD_M);
	/* … when the daemon dies; the worker goes on and acks into the void */
	harness_kill(h);
	nh_hook_release(&hook);
	int files = 0;
	for (int i = 0; i < 500 && (files = nh_spool_count(spool)) < KILLD_N + KILLD_M; i++)
		nh_sleep_ms(10);
	assert_int_equal(files, KILLD_N + KILLD_M);
	assert_int_equal(outbox_count(h, "status = 'pending'"), KILLD_M + 1);

	/* back: what was not acked is settled, each once */
	assert_int_equal(harness_daemon_start(h), 0);
	h_clock_advance(h, 60);
	wait_all_delivered(h, w.admin, 15000, &wk, 1);
	assert_int_equal(outbox_count(h, "status <> 'delivered'"), 0);
	assert_int_equal(nh_assert_spool_matches_outbox(h, spool), KILLD_N + KILLD_M);
	assert_true(nh_hook_requests(&hook) >= 1);
	char key[32];
	snprintf(key, sizeof key, "%lld", (long long)hook_id);
	assert_string_equal(hook.keys[0], key);

	nh_worker_stop(&wk);
	nh_hook_stop(&hook);
}

/* ------------------------------------------------------------------------ */

/* Receive one two-frame message on S within TIMEOUT_MS: topic and JSON
 * (decref it), or NULL. */
static json_t *
sub_recv(void *s, char topic[64], int timeout_ms)
{
	zmq_pollitem_t it = { s, 0, ZMQ_POLLIN, 0 };
	char buf[8192];
	if (zmq_poll(&it, 1, timeout_ms) <= 0)
		return NULL;
	int n = zmq_recv(s, topic, 63, 0);
	assert_true(n >= 0);
	topic[n < 63 ? n : 63] = '\0';
	int more = 0;
	size_t ml = sizeof more;
	zmq_getsockopt(s, ZMQ_RCVMORE, &more, &ml);
	assert_int_equal(more, 1);
	n = zmq_recv(s, buf, sizeof buf - 1, 0);
	assert_true(n >= 0 && n < (int)sizeof buf);
	buf[n] = '\0';
	zmq_getsockopt(s, ZMQ_RCVMORE, &more, &ml);
	assert_int_equal(more, 0);
	json_t *j = json_loads(buf, 0, NULL);
	if (j == NULL)
		fail_msg("not JSON on the PUB socket: %s", buf);
	return j;
}

static void
test_pub_socket(void **state)
{
	struct harness *h = *state;
	struct world w;
	char endpoint[256], topic[64];

	h_world(h, &w, "NP", 0);
	assert_int_equal(nh_conf_get(h->conf, "events", "endpoint", endpoint, sizeof endpoint), 0);
	void *ctx = zmq_ctx_new();
	void *review = zmq_socket(ctx, ZMQ_SUB), *awarded = zmq_socket(ctx, ZMQ_SUB);
	int zero = 0;
	zmq_setsockopt(review, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(awarded, ZMQ_LINGER, &zero, sizeof zero);
	assert_int_equal(zmq_setsockopt(review, ZMQ_SUBSCRIBE, "needs_review", 12), 0);
	assert_int_equal(zmq_setsockopt(awarded, ZMQ_SUBSCRIBE, "awarded", 7), 0);
	assert_int_equal(zmq_connect(review, endpoint), 0);
	assert_int_equal(zmq_connect(awarded, endpoint), 0);
	nh_sleep_ms(500);	/* subscriptions reach the PUB side */

	int64_t id = nh_project(h, &w);	/* draft: not a needs_review topic */
	struct resp r = h_event_v(h, w.officer, id, "submit", 1, NULL);
	assert_project(r, "needs_review", 2);
	json_t *m = sub_recv(review, topic, 5000);
	if (m == NULL)
		harness_print_log(h);
	assert_non_null(m);
	assert_string_equal(topic, "needs_review");
	assert_json_int(m, "project_id", id);
	assert_json_int(m, "seq", 2);
	assert_json_str(m, "event", "submit");
	assert_json_str(m, "from", "draft");
	assert_json_str(m, "to", "needs_review");
	assert_json_int(m, "v", 1);
	json_decref(m);
	/* nothing else for this subscriber, and nothing for "awarded" */
	assert_null(sub_recv(review, topic, 300));
	assert_null(sub_recv(awarded, topic, 100));

	/* the daemon's own events are published too: three escalations */
	h_clock_advance(h, 30 * H_DAY);
	for (int lv = 1; lv <= 3; lv++) {
		m = sub_recv(review, topic, 5000);
		assert_non_null(m);
		assert_string_equal(topic, "needs_review");
		assert_json_int(m, "project_id", id);
		assert_json_int(m, "seq", 2 + lv);
		assert_json_str(m, "event", "escalate");
		assert_json_str(m, "from", "needs_review");
		assert_json_str(m, "to", "needs_review");
		json_decref(m);
	}
	assert_null(sub_recv(review, topic, 300));

	/* an award reaches "awarded", not "needs_review" */
	int64_t t = nh_project(h, &w);
	h_drive(h, &w, t, "awarded", NULL);
	for (;;) {	/* the award is the last event; earlier topics are not ours */
		m = sub_recv(awarded, topic, 5000);
		assert_non_null(m);
		assert_string_equal(topic, "awarded");
		bool done = !strcmp(h_str(m, "event"), "award");
		assert_json_int(m, "project_id", t);
		json_decref(m);
		if (done)
			break;
	}
	/* needs_review heard the submit of the second project only */
	m = sub_recv(review, topic, 1000);
	assert_non_null(m);
	assert_json_int(m, "project_id", t);
	assert_json_str(m, "event", "submit");
	json_decref(m);
	assert_null(sub_recv(review, topic, 300));

	/* an answer replayed for its Idempotency-Key is not published again */
	int64_t k = nh_project(h, &w);
	char path[64];
	snprintf(path, sizeof path, "/v1/projects/%lld/events", (long long)k);
	const char *body = "{\"event\":\"submit\",\"payload\":{}}";
	r = h_req(h, "POST", path, w.officer, body, "Idempotency-Key: publish-once");
	assert_project(r, "needs_review", 2);
	r = h_req(h, "POST", path, w.officer, body, "Idempotency-Key: publish-once");
	assert_project(r, "needs_review", 2);
	m = sub_recv(review, topic, 5000);
	assert_non_null(m);
	assert_json_int(m, "project_id", k);
	assert_json_str(m, "event", "submit");
	json_decref(m);
	assert_null(sub_recv(review, topic, 500));

	zmq_close(review);
	zmq_close(awarded);
	zmq_ctx_term(ctx);
}

/* ------------------------------------------------------------------------ */

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static void
test_health_and_metrics(void **state)
{
	struct harness *h = *state;
	struct world w;

	/* liveness and readiness, without a token */
	struct resp r = h_req(h, "GET", "/healthz", NULL, NULL, NULL);
	assert_status(r, 200);
	assert_json_str(r.body, "status", "ok");
	r = h_req(h, "GET", "/healthz?ready=1", NULL, NULL, NULL);
	assert_status(r, 200);
	assert_json_str(r.body, "status", "ready");
	assert_true(json_is_true(h_at(r.body, "ready")));

	/* the Prometheus text format, without a token */
	CURL *c = curl_easy_init();
	char url[128];
	snprintf(url, sizeof url, "%s/metrics", h->url);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	char *ct = NULL;
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	assert_int_equal(status, 200);
	assert_non_null(ct);
	assert_non_null(strstr(ct, "text/plain"));
	assert_non_null(strstr(ct, "version=0.0.4"));
	curl_easy_cleanup(c);

	/* some work: one submit, one refusal by a rule, one pending notification
	 * (no worker), then a deadline fired */
	h_world(h, &w, "NM", 0);
	int64_t id = nh_submitted(h, &w);
	r = h_post(h, w.officer, "/v1/projects",
	    "{\"agency\":\"NM\",\"fiscal_year\":2026,\"title\":\"incomplete\",\"catalog_items\":[],"
	    "\"budget_fen\":100,\"funding_source\":\"work_funds\",\"method\":\"public_tender\"}");
	assert_status(r, 201);
	int64_t bad = h_int(r.body, "id");
	r = h_event(h, w.officer, bad, "submit", NULL);
	assert_error(r, 422, "rule_violation");
	assert_rule(r, "needs_incomplete");
	h_clock_advance(h, 100);

	const char *m = nh_metrics(h);
	static const char *families[] = {
		"# TYPE procurd_events_applied_total counter",
		"# TYPE procurd_refusals_total counter",
		"# TYPE procurd_deadlines_fired_total counter",
		"# TYPE procurd_incidents_open gauge",
		"# TYPE procurd_notifications gauge",
		"# TYPE procurd_outbox_backlog gauge",
		"# TYPE procurd_outbox_oldest_pending_seconds gauge",
		"# TYPE procurd_deadline_lag_seconds ",
		"# TYPE procurd_http_requests_total counter",
		"# TYPE procurd_http_request_duration_seconds histogram",
	};
	for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
		if (strstr(m, families[i]) == NULL)
			fail_msg("/metrics lacks \"%s\":\n%s", families[i], m);
	assert_int_equal(nh_metric(m, "procurd_events_applied_total{event=\"submit\"}"), 1);
	assert_int_equal(nh_metric(m, "procurd_refusals_total{rule=\"needs_incomplete\"}"), 1);
	assert_int_equal(nh_metric(m, "procurd_notifications{status=\"pending\"}"), 1);
	assert_int_equal(nh_metric(m, "procurd_notifications{status=\"delivered\"}"), 0);
	assert_int_equal(nh_metric(m, "procurd_notifications{status=\"dead\"}"), 0);
	assert_int_equal(nh_metric(m, "procurd_outbox_backlog"), 1);
	double age = nh_metric(m, "procurd_outbox_oldest_pending_seconds");
	assert_true(age >= 100 && age < 130);
	assert_int_equal(nh_metric(m, "procurd_incidents_open"), 0);
	assert_int_equal(nh_metric(m, "procurd_deadlines_fired_total{level=\"1\"}"), 0);
	assert_int_equal(nh_metric(m, "procurd_deadline_lag_seconds_count"), 0);
	assert_int_equal(nh_metric(m, "procurd_http_requests_total{route=\"POST /v1/projects/{id}/events\","
	    "status=\"200\"}"), 1);
	assert_int_equal(nh_metric(m, "procurd_http_requests_total{route=\"POST /v1/projects/{id}/events\","
	    "status=\"422\"}"), 1);
	assert_true(nh_metric(m, "procurd_http_requests_total{route=\"GET /healthz\",status=\"200\"}") >= 2);
	double count = nh_metric(m, "procurd_http_request_duration_seconds_count{route=\"POST "
	    "/v1/projects/{id}/events\"}");
	assert_int_equal(count, 2);
	assert_int_equal(nh_metric(m, "procurd_http_request_duration_seconds_bucket{route=\"POST "
	    "/v1/projects/{id}/events\",le=\"+Inf\"}"), 2);
	assert_false(isnan(nh_metric(m, "procurd_http_request_duration_seconds_sum{route=\"POST "
	    "/v1/projects/{id}/events\"}")));

	/* a deadline fired shows by level, with its lag */
	h_clock_advance(h, 30 * H_DAY);
	assert_int_equal(nh_sql_wait(h, 3, 5000, "SELECT count(*) FROM project_event WHERE "
	    "project_id = %lld AND event = 'escalate'", (long long)id), 3);
	m = nh_metrics(h);
	for (int lv = 1; lv <= 3; lv++) {
		char series[64];
		snprintf(series, sizeof series, "procurd_deadlines_fired_total{level=\"%d\"}", lv);
		assert_int_equal(nh_metric(m, series), 1);
	}
	assert_int_equal(nh_metric(m, "procurd_deadline_lag_seconds_count"), 3);
	assert_int_equal(nh_metric(m, "procurd_notifications{status=\"pending\"}"), 4);
	/* events applied by the daemon itself count as events applied */
	double esc = nh_metric(m, "procurd_events_applied_total{event=\"escalate\"}");
	if (esc != 3)
		fail_msg("procurd_events_applied_total{event=\"escalate\"} is %g, expected 3", esc);
}

int
main(void)
{
	static struct nh_spec kill_worker = { "nt_kill_worker", PATIENT_NOTIFY };
	static struct nh_spec webhook = { "nt_webhook", NH_FAST_NOTIFY };
	static struct nh_spec kill_daemon = { "nt_kill_daemon", PATIENT_NOTIFY };
	static struct nh_spec pub = { "nt_pub", NH_FAST_NOTIFY };
	static struct nh_spec metrics = { "nt_metrics", NH_FAST_NOTIFY };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate_setup_teardown(test_worker_killed_in_flight, nh_setup,
		    nh_teardown, &kill_worker),
		cmocka_unit_test_prestate_setup_teardown(test_webhook_500_ends_dead, nh_setup,
		    nh_teardown, &webhook),
		cmocka_unit_test_prestate_setup_teardown(test_daemon_killed_resends_unacked, nh_setup,
		    nh_teardown, &kill_daemon),
		cmocka_unit_test_prestate_setup_teardown(test_pub_socket, nh_setup, nh_teardown, &pub),
		cmocka_unit_test_prestate_setup_teardown(test_health_and_metrics, nh_setup,
		    nh_teardown, &metrics),
	};
	return cmocka_run_group_tests_name("it_notify", tests, NULL, NULL);
}
