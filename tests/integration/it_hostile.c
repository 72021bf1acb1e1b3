/* Integration: what an outsider can send at the HTTP edge. Bytes that are not
 * UTF-8, NUL and control characters in the path, query and headers, HEAD and
 * CONNECT on a keep-alive connection, times past what the store can write, a
 * write whose own idempotent answer cannot be stored: each is answered with a
 * clear error, never a 500, a crash or a broken connection, and changes
 * nothing. */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct world W;
static bool world_made;

static struct world *
world(struct harness *h)
{
	if (!world_made) {
		h_world(h, &W, "430102", 0);
		world_made = true;
	}
	return &W;
}

/* --- raw HTTP: what curl will not send ------------------------------------- */

static int
raw_connect(struct harness *h)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)h->port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	return fd;
}

static void
raw_send(int fd, const char *bytes, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, bytes, len);
		assert_true(n > 0);
		bytes += n;
		len -= (size_t)n;
	}
}

/* Read what comes within MS milliseconds of quiet, or until the peer closes
 * (*closed). NUL-terminated, the caller frees. */
static char *
raw_read(int fd, int ms, bool *closed, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *b = xmalloc(cap + 1);
	*closed = false;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int rc = poll(&p, 1, ms);
		if (rc <= 0)
			break;
		ssize_t got = read(fd, b + n, cap - n);
		if (got == 0 || (got < 0 && errno == ECONNRESET)) {
			*closed = true;
			break;
		}
		assert_true(got > 0);
		n += (size_t)got;
		if (n == cap)
			break;
	}
	b[n] = '\0';
	*len = n;
	return b;
}

/* One response at the start of TEXT: its status, and where the next begins
 * (after Content-Length bytes of body; a HEAD answer has no body whatever
 * Content-Length says). */
struct raw_resp {
	int status;
	long content_length;	/* -1: none */
	const char *body;
	size_t body_len;
	const char *next;
	char headers[2048];
};

static void
raw_parse(const char *text, size_t len, bool head, struct raw_resp *out)
{
	memset(out, 0, sizeof *out);
	const char *end = strstr(text, "\r\n\r\n");
	if (end == NULL)
		fail_msg("no complete response head in %zu bytes: \"%.300s\"", len, text);
	size_t hl = (size_t)(end - text);
	snprintf(out->headers, sizeof out->headers, "%.*s", (int)(hl < 2000 ? hl : 2000), text);
	assert_int_equal(sscanf(text, "HTTP/1.1 %d", &out->status), 1);
	out->content_length = -1;
	const char *cl = strcasestr(out->headers, "\r\nContent-Length:");
	if (cl)
		out->content_length = strtol(cl + 17, NULL, 10);
	out->body = end + 4;
	size_t rest = len - (size_t)(out->body - text);
	if (head) {
		out->body_len = 0;
	} else {
		if (out->content_length < 0)
			fail_msg("a response without Content-Length: \"%s\"", out->headers);
		out->body_len = (size_t)out->content_length;
		assert_true(out->body_len <= rest);
	}
	out->next = out->body + out->body_len;
}

/* --- the tests ---------------------------------------------------------------- */

#define assert_field(r, f) assert_json_str((r).body, "error.details.field", (f))

/* Bytes that percent-decode to what is not UTF-8, in a path segment or a
 * query parameter: 400 naming the field, before any SQL. */
static void
test_path_and_query_bytes(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);

	struct resp r = h_get(h, w->officer, "/v1/agencies/%%ff");
	assert_error(r, 400, "invalid_field");
	assert_field(r, "code");
	r = h_get(h, w->officer, "/v1/agencies/%%ff/budgets/2027");
	assert_error(r, 400, "invalid_field");
	assert_field(r, "code");
	r = h_req(h, "PUT", "/v1/catalog/%ff", h->admin, "{\"approved\":true}", NULL);
	assert_error(r, 400, "invalid_field");
	assert_field(r, "code");
	r = h_get(h, w->officer, "/v1/projects?agency=%%ff");
	assert_error(r, 400, "invalid_field");
	assert_field(r, "agency");
	r = h_get(h, w->officer, "/v1/projects?state=%%c3%%28");	/* a broken pair */
	assert_error(r, 400, "invalid_field");
	assert_field(r, "state");
	/* a control character is not text either */
	r = h_get(h, w->officer, "/v1/agencies/43%%0a0102");
	assert_error(r, 400, "invalid_field");
	assert_field(r, "code");
	/* over the length of any identifier */
	char path[700];
	snprintf(path, sizeof path, "/v1/agencies/%0600d", 7);
	r = h_get(h, w->officer, "%s", path);
	assert_error(r, 400, "invalid_field");
	assert_field(r, "code");
	/* valid UTF-8 that names nothing is simply unknown */
	r = h_get(h, w->officer, "/v1/agencies/%%e6%%b9%%96%%e5%%8d%%97");
	assert_error(r, 404, "not_found");
	r = h_get(h, w->officer, "/v1/agencies/430102");
	assert_status(r, 200);
}

/* A NUL anywhere in the path or the query is 400, never a shorter path. */
static void
test_nul_in_path_and_query(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);
	int64_t id = h_project(h, w, NULL);

	struct resp r = h_get(h, w->officer, "/v1/projects/%lld%%00/events", (long long)id);
	assert_error(r, 400, "malformed");
	assert_field(r, "path");
	r = h_get(h, w->officer, "/v1/agencies/430102%%00junk");
	assert_error(r, 400, "malformed");
	assert_field(r, "path");
	r = h_get(h, w->officer, "/v1/projects?agency=430102%%00junk");
	assert_error(r, 400, "malformed");
	assert_field(r, "query");
	r = h_get(h, w->officer, "/v1/projects?x%%00y=1");
	assert_error(r, 400, "malformed");
	assert_field(r, "query");
	r = h_get(h, w->officer, "/v1/projects/%lld/events", (long long)id);
	assert_status(r, 200);
}

/* Headers the daemon reads: a token that is not text is a bad token (401,
 * not a database error); an Idempotency-Key that is not text, or too long,
 * is 400 naming it. Sent raw: curl would not pass every byte. */
static void
test_header_bytes(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);
	int64_t id = h_project(h, w, NULL);
	char req[2048], key[400];
	bool closed;
	size_t len;
	struct raw_resp rr;

	int fd = raw_connect(h);
	snprintf(req, sizeof req, "GET /v1/projects/%lld HTTP/1.1\r\nHost: t\r\n"
	    "Authorization: Bearer %.20s\xff\xfe%s\r\n\r\n", (long long)id, w->officer,
	    w->officer + 20);
	raw_send(fd, req, strlen(req));
	char *got = raw_read(fd, 2000, &closed, &len);
	raw_parse(got, len, false, &rr);
	assert_int_equal(rr.status, 401);
	assert_non_null(strstr(rr.body, "\"unauthorized\""));
	free(got);

	const char *body = "{\"event\":\"submit\",\"expected_version\":1,\"payload\":{}}";
	snprintf(req, sizeof req, "POST /v1/projects/%lld/events HTTP/1.1\r\nHost: t\r\n"
	    "Authorization: Bearer %s\r\nIdempotency-Key: k\xff-1\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	    (long long)id, w->officer, strlen(body), body);
	raw_send(fd, req, strlen(req));
	got = raw_read(fd, 2000, &closed, &len);
	raw_parse(got, len, false, &rr);
	assert_int_equal(rr.status, 400);
	assert_non_null(strstr(rr.body, "\"field\":\"Idempotency-Key\""));
	free(got);
	close(fd);

	memset(key, 'k', sizeof key - 1);
	key[sizeof key - 1] = '\0';
	char hdr[420];
	snprintf(hdr, sizeof hdr, "Idempotency-Key: %s", key);
	char path[64];
	snprintf(path, sizeof path, "/v1/projects/%lld/events", (long long)id);
	struct resp r = h_req(h, "POST", path, w->officer, body, hdr);
	assert_error(r, 400, "invalid_field");
	assert_field(r, "Idempotency-Key");
	r = h_req(h, "POST", path, w->officer, body, "Idempotency-Key: a\tb");
	assert_error(r, 400, "invalid_field");
	/* nothing of the above changed the project */
	json_t *p = h_project_get(h, w, id);
	assert_json_str(p, "state", "draft");
	assert_json_int(p, "version", 1);
}

/* HEAD answers the headers of GET, correctly framed, so the next answer on
 * the same connection parses; on a route without GET, 405 with Allow. */
static void
test_head_keeps_framing(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);
	char req[2048];
	bool closed;
	size_t len;
	struct raw_resp a, b;

	int fd = raw_connect(h);
	snprintf(req, sizeof req,
	    "HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
	    "HEAD /v1/agencies/430102 HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n\r\n"
	    "HEAD /v1/admin/clock HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /v1/agencies/430102 HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n\r\n",
	    w->officer, w->officer);
	raw_send(fd, req, strlen(req));
	char *got = raw_read(fd, 1500, &closed, &len);
	assert_false(closed);
	const char *at = got;
	size_t left = len;

	raw_parse(at, left, true, &a);
	assert_int_equal(a.status, 200);
	left -= (size_t)(a.next - at);
	at = a.next;
	raw_parse(at, left, false, &b);
	assert_int_equal(b.status, 200);
	/* HEAD said the length GET sends */
	assert_true(a.content_length > 0);
	assert_int_equal(a.content_length, b.content_length);
	assert_non_null(strstr(b.body, "\"ok\""));
	left -= (size_t)(b.next - at);
	at = b.next;

	raw_parse(at, left, true, &a);
	assert_int_equal(a.status, 200);
	assert_non_null(strcasestr(a.headers, "Content-Type: application/json"));
	left -= (size_t)(a.next - at);
	at = a.next;

	raw_parse(at, left, true, &a);
	assert_int_equal(a.status, 405);
	assert_non_null(strcasestr(a.headers, "\r\nAllow: POST, OPTIONS"));
	left -= (size_t)(a.next - at);
	at = a.next;

	raw_parse(at, left, false, &b);
	assert_int_equal(b.status, 200);
	assert_non_null(strstr(b.body, "\"430102\""));
	assert_int_equal((size_t)(b.next - got), len);
	free(got);
	close(fd);
}

/* A method the daemon does not serve (CONNECT, TRACE) is refused and the
 * connection closed, as the answer says. */
static void
test_connect_closes(void **state)
{
	struct harness *h = *state;
	const char *const reqs[] = {
		"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n",
		"TRACE /healthz HTTP/1.1\r\nHost: t\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
		bool closed;
		size_t len;
		struct raw_resp rr;
		int fd = raw_connect(h);
		raw_send(fd, reqs[i], strlen(reqs[i]));
		char *got = raw_read(fd, 3000, &closed, &len);
		raw_parse(got, len, false, &rr);
		assert_true(rr.status == 405 || rr.status == 501);
		assert_non_null(strcasestr(rr.headers, "Connection: close"));
		if (!closed)
			fail_msg("%.20s: the connection stayed open after \"Connection: close\"",
			    reqs[i]);
		free(got);
		close(fd);
	}
}

/* Times the store cannot write are refused where they enter: the clock,
 * and a payload's time. The clock stays usable and deadlines keep firing. */
static void
test_times_out_of_range(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);

	struct resp r = h_post(h, h->admin, "/v1/admin/clock", "{\"set\":\"9999-12-30T00:00:00Z\"}");
	assert_error(r, 400, "invalid_field");
	assert_field(r, "set");
	r = h_post(h, h->admin, "/v1/admin/clock", "{\"advance_seconds\":%lld}",
	    (long long)(400000LL * 365 * 86400));
	assert_error(r, 400, "invalid_field");
	assert_field(r, "advance_seconds");
	r = h_post(h, h->admin, "/v1/admin/clock", "{\"set\":\"0001-01-01T00:00:00Z\"}");
	assert_error(r, 400, "invalid_field");
	/* the clock did not move */
	r = h_post(h, h->admin, "/v1/admin/clock", "{\"advance_seconds\":0}");
	assert_status(r, 200);
	assert_non_null(h_str(r.body, "now"));
	assert_true(strncmp(h_str(r.body, "now"), "2026-", 5) == 0);

	/* a payload time far away: refused, the project unchanged */
	int64_t id = h_project(h, w, NULL);
	int64_t v = h_drive(h, w, id, "approved", NULL);
	r = h_event(h, w->officer, id, "publish", "{\"bid_deadline\":\"9999-12-31T23:59:59Z\","
	    "\"requirements\":\"r\",\"evaluators_required\":2,\"criteria\":%s}", H_CRITERIA);
	assert_error(r, 400, "invalid_field");
	assert_field(r, "bid_deadline");
	json_t *p = h_project_get(h, w, id);
	assert_json_str(p, "state", "approved");
	assert_json_int(p, "version", v);
	/* and the ordinary path still runs */
	r = h_event(h, w->officer, id, "publish", "{\"bid_deadline\":\"%s\",\"requirements\":\"r\","
	    "\"evaluators_required\":2,\"criteria\":%s}", h_time(h, 20, "17:00"), H_CRITERIA);
	assert_project(r, "announced", v + 1);
	assert_non_null(h_str(r.body, "next_check"));
}

/* An event decided, then its idempotent answer cannot be stored (here a
 * trigger refuses the insert, as a lost connection or a failed COMMIT
 * would): the request fails cleanly, nothing is half-written, the daemon
 * lives, and a retry with another key applies it once. */
static void
test_idempotent_answer_not_stored(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);
	int64_t id = h_project(h, w, NULL);
	char path[64];

	assert_int_equal(harness_sql(h,
	    "CREATE FUNCTION it_refuse_key() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
	    "IF NEW.key LIKE 'refused-%' THEN RAISE EXCEPTION 'refused by the test'; END IF; "
	    "RETURN NEW; END $$; "
	    "CREATE TRIGGER it_refuse_key BEFORE INSERT ON idempotency "
	    "FOR EACH ROW EXECUTE FUNCTION it_refuse_key()"), 0);
	snprintf(path, sizeof path, "/v1/projects/%lld/events", (long long)id);
	const char *body = "{\"event\":\"submit\",\"expected_version\":1,\"payload\":{}}";
	for (int i = 0; i < 3; i++) {
		char key[64];
		snprintf(key, sizeof key, "Idempotency-Key: refused-%d", i);
		struct resp r = h_req(h, "POST", path, w->officer, body, key);
		assert_int_equal(r.status / 100, 5);
		assert_non_null(h_str(r.body, "error.code"));
	}
	assert_int_equal(harness_sql(h, "DROP TRIGGER it_refuse_key ON idempotency; "
	    "DROP FUNCTION it_refuse_key()"), 0);
	json_t *p = h_project_get(h, w, id);
	assert_json_str(p, "state", "draft");
	assert_json_int(p, "version", 1);
	struct resp r = h_req(h, "POST", path, w->officer, body, "Idempotency-Key: stored-1");
	assert_project(r, "needs_review", 2);
	r = h_get(h, w->officer, "/v1/projects/%lld/events", (long long)id);
	assert_int_equal(h_len(r.body, "items"), 2);
}

/* Error messages quote what the request sent (an unknown field's name):
 * cut to fit, they must still be UTF-8, or the answer cannot be JSON. */
static void
test_messages_quote_safely(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);
	char key[400] = "", body[600];
	for (int i = 0; i < 40; i++)
		strcat(key, "项");	/* 120 bytes: any cut at 100 splits one */
	snprintf(body, sizeof body, "{\"%s\":1}", key);
	struct resp r = h_req(h, "POST", "/v1/projects", w->officer, body, NULL);
	assert_error(r, 400, "unknown_field");
	assert_json_str(r.body, "error.details.field", key);
	r = h_req(h, "POST", "/v1/contractors", w->officer, body, NULL);
	assert_error(r, 400, "unknown_field");
	r = h_req(h, "PUT", "/v1/agencies/430102/budgets/2026", w->finance, body, NULL);
	assert_error(r, 400, "unknown_field");
}

/* Text in a body: lines are text, a terminal's escape is not, nor is a
 * title of 40 kB that every list, notification and log would carry. */
static void
test_body_text(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);
	int64_t id = h_project(h, w, NULL);
	char path[64];
	snprintf(path, sizeof path, "/v1/projects/%lld/events", (long long)id);
	struct resp r = h_req(h, "POST", path, w->officer,
	    "{\"event\":\"submit\",\"payload\":{\"comment\":\"\\u001b[2Jgone\"}}", NULL);
	assert_error(r, 400, "invalid_field");
	assert_field(r, "comment");
	char *big = xmalloc(41000);
	int n = snprintf(big, 100, "{\"agency\":\"430102\",\"fiscal_year\":2026,\"title\":\"");
	memset(big + n, 'x', 40000);
	strcpy(big + n + 40000, "\"}");
	r = h_req(h, "POST", "/v1/projects", w->officer, big, NULL);
	free(big);
	assert_error(r, 400, "invalid_field");
	assert_field(r, "title");
	r = h_req(h, "POST", path, w->officer,
	    "{\"event\":\"submit\",\"payload\":{\"comment\":\"第一行\\n第二行\\t完\"}}", NULL);
	assert_project(r, "needs_review", 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_path_and_query_bytes, h_test_teardown),
		cmocka_unit_test_teardown(test_nul_in_path_and_query, h_test_teardown),
		cmocka_unit_test_teardown(test_header_bytes, h_test_teardown),
		cmocka_unit_test_teardown(test_head_keeps_framing, h_test_teardown),
		cmocka_unit_test_teardown(test_connect_closes, h_test_teardown),
		cmocka_unit_test_teardown(test_times_out_of_range, h_test_teardown),
		cmocka_unit_test_teardown(test_idempotent_answer_not_stored, h_test_teardown),
		cmocka_unit_test_teardown(test_messages_quote_safely, h_test_teardown),
		cmocka_unit_test_teardown(test_body_text, h_test_teardown),
	};
	h_group_name = "hostile";
	return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
