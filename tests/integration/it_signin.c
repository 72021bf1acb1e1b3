/* Integration: people sign in with a name and a password. A one-time
 * password must be changed first; the session cookie is HttpOnly and
 * SameSite=Strict; a change made with it carries its CSRF token; signing
 * out revokes it; idle and absolute expiry end it; failures lock a name and
 * an address out; a disabled user is refused at once. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "nharness.h"

static struct world W;
static bool world_made;

static struct world *
world(struct harness *h)
{
	if (!world_made) {
		h_world(h, &W, "SGN", 0);
		world_made = true;
	}
	return &W;
}

/* Whether the daemon's log has NEEDLE. */
static bool
log_has(struct harness *h, const char *needle)
{
	char line[4096];
	bool found = false;
	FILE *f = fopen(h->log, "r");
	assert_non_null(f);
	while (!found && fgets(line, sizeof line, f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}


struct session {
	char cookie[128];	/* "Cookie: procurd_session=…" */
	char both[256];		/* the cookie and "X-CSRF-Token: …", a line each */
	char csrf[65];
};

/* The session cookie's value from R's headers, checked for its
 * attributes, into S (with the CSRF token of R's body). */
static void
session_of(struct resp r, struct session *s)
{
	const char *c = strstr(r.headers, "Set-Cookie: procurd_session=");
	assert_non_null(c);
	char line[512];
	snprintf(line, sizeof line, "%.*s", (int)strcspn(c, "\r\n"), c);
	assert_non_null(strstr(line, "; HttpOnly"));
	assert_non_null(strstr(line, "; SameSite=Strict"));
	assert_non_null(strstr(line, "; Path=/"));
	assert_null(strstr(line, "Secure"));	/* secure_cookies is off here */
	const char *v = line + strlen("Set-Cookie: procurd_session=");
	snprintf(s->cookie, sizeof s->cookie, "Cookie: procurd_session=%.*s", (int)strcspn(v, ";"), v);
	snprintf(s->csrf, sizeof s->csrf, "%s", json_string_value(h_at(r.body, "csrf_token")));
	assert_int_equal(strlen(s->csrf), 64);
	snprintf(s->both, sizeof s->both, "%s\nX-CSRF-Token: %s", s->cookie, s->csrf);
}

static struct resp
sign_in(struct harness *h, const char *name, const char *pw)
{
	char body[512];
	snprintf(body, sizeof body, "{\"name\":\"%s\",\"password\":\"%s\"}", name, pw);
	return h_req(h, "POST", "/v1/sessions", NULL, body, NULL);
}

static void
test_first_sign_in_sets_a_password(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);
	char pw[17];
	struct session s;
	harness_one_time(h, "SGN-officer", pw);

	struct resp r = sign_in(h, "SGN-officer", pw);
	assert_status(r, 201);
	assert_json_str(r.body, "name", "SGN-officer");
	assert_json_str(r.body, "agency", w->agency);
	assert_true(json_is_true(h_at(r.body, "password_change_required")));
	session_of(r, &s);

	/* until a password of one's own is set, only the account is open */
	r = h_req(h, "GET", "/v1/projects", NULL, NULL, s.cookie);
	assert_error(r, 403, "password_change_required");
	r = h_req(h, "GET", "/v1/me", NULL, NULL, s.cookie);
	assert_status(r, 200);
	assert_json_str(r.body, "signed_in_with", "session");
	assert_string_equal(json_string_value(json_array_get(h_at(r.body, "roles"), 0)), "officer");

	/* a change without the CSRF token is refused, whatever it is */
	char body[256];
	snprintf(body, sizeof body, "{\"current\":\"%s\",\"new\":\"a sound passphrase\"}", pw);
	r = h_req(h, "PUT", "/v1/me/password", NULL, body, s.cookie);
	assert_error(r, 403, "csrf_required");
	/* the policy: ten characters, not the name */
	snprintf(body, sizeof body, "{\"current\":\"%s\",\"new\":\"short\"}", pw);
	r = h_req(h, "PUT", "/v1/me/password", NULL, body, s.both);
	assert_error(r, 422, "rule_violation");
	assert_json_str(r.body, "error.details.rule", "password_policy");
	snprintf(body, sizeof body, "{\"current\":\"%s\",\"new\":\"sgn-OFFICER\"}", pw);
	r = h_req(h, "PUT", "/v1/me/password", NULL, body, s.both);
	assert_error(r, 422, "rule_violation");
	snprintf(body, sizeof body, "{\"current\":\"%s\",\"new\":\"十个字的中文密码就可以了\"}", pw);
	r = h_req(h, "PUT", "/v1/me/password", NULL, body, s.both);
	assert_status(r, 200);
	assert_false(json_is_true(h_at(r.body, "password_change_required")));

	/* now the session works for everything the role may do; reads need no
	 * CSRF token, changes do */
	r = h_req(h, "GET", "/v1/projects", NULL, NULL, s.cookie);
	assert_status(r, 200);
	char project[1024];
	snprintf(project, sizeof project, "{\"agency\":\"%.32s\",\"fiscal_year\":2026,\"title\":\"经由浏览器\","
	    "\"catalog_items\":[\"%.64s\"]}", w->agency, w->item);
	r = h_req(h, "POST", "/v1/projects", NULL, project, s.cookie);
	assert_error(r, 403, "csrf_required");
	char wrong[256];
	snprintf(wrong, sizeof wrong, "%s\nX-CSRF-Token: %064d", s.cookie, 0);
	r = h_req(h, "POST", "/v1/projects", NULL, project, wrong);
	assert_error(r, 403, "csrf_required");
	r = h_req(h, "POST", "/v1/projects", NULL, project, s.both);
	assert_status(r, 201);
	assert_json_str(r.body, "title", "经由浏览器");

	/* the old one-time password no longer opens anything; the new one does */
	r = sign_in(h, "SGN-officer", pw);
	assert_error(r, 401, "unauthorized");
	r = sign_in(h, "SGN-officer", "十个字的中文密码就可以了");
	assert_status(r, 201);
	assert_false(json_is_true(h_at(r.body, "password_change_required")));

	/* signing out revokes the session on the server, and clears the cookie */
	r = h_req(h, "DELETE", "/v1/sessions/current", NULL, NULL, s.both);
	assert_status(r, 204);
	assert_non_null(strstr(r.headers, "Set-Cookie: procurd_session=; Path=/; HttpOnly; "
	    "SameSite=Strict; Max-Age=0"));
	r = h_req(h, "GET", "/v1/me", NULL, NULL, s.cookie);
	assert_error(r, 401, "unauthorized");
	/* and a bearer token still works as before, beside sessions */
	r = h_get(h, w->officer, "/v1/me");
	assert_status(r, 200);
	assert_json_str(r.body, "signed_in_with", "token");
}

static void
test_sessions_end(void **state)
{
	struct harness *h = *state;
	world(h);
	char pw[17], sql[256];
	struct session s;
	harness_one_time(h, "SGN-reviewer", pw);
	struct resp r = sign_in(h, "SGN-reviewer", pw);
	assert_status(r, 201);
	session_of(r, &s);
	r = h_req(h, "GET", "/v1/me", NULL, NULL, s.cookie);
	assert_status(r, 200);

	/* idle past [http] session_idle_minutes (30): over */
	assert_int_equal(harness_sql(h, "UPDATE session SET seen_at = now() - interval '31 minutes' "
	    "WHERE user_id = (SELECT id FROM app_user WHERE name = 'SGN-reviewer')"), 0);
	r = h_req(h, "GET", "/v1/me", NULL, NULL, s.cookie);
	assert_error(r, 401, "unauthorized");

	/* 8 hours after signing in: over, however busy */
	r = sign_in(h, "SGN-reviewer", pw);
	assert_status(r, 201);
	session_of(r, &s);
	assert_int_equal(harness_sql(h, "UPDATE session SET expires_at = now() - interval '1 second' "
	    "WHERE revoked_at IS NULL AND user_id = (SELECT id FROM app_user WHERE name = "
	    "'SGN-reviewer')"), 0);
	r = h_req(h, "GET", "/v1/me", NULL, NULL, s.cookie);
	assert_error(r, 401, "unauthorized");

	/* a disabled user is refused at once, with a session as with a token */
	r = sign_in(h, "SGN-reviewer", pw);
	assert_status(r, 201);
	session_of(r, &s);
	snprintf(sql, sizeof sql, "UPDATE app_user SET disabled_at = now() WHERE name = 'SGN-reviewer'");
	assert_int_equal(harness_sql(h, sql), 0);
	r = h_req(h, "GET", "/v1/me", NULL, NULL, s.cookie);
	assert_error(r, 401, "unauthorized");
	r = sign_in(h, "SGN-reviewer", pw);
	assert_error(r, 401, "unauthorized");
	assert_int_equal(harness_sql(h, "UPDATE app_user SET disabled_at = NULL "
	    "WHERE name = 'SGN-reviewer'"), 0);

	/* a cookie that is not a session's shape is no session */
	r = h_req(h, "GET", "/v1/me", NULL, NULL, "Cookie: procurd_session=../../etc/passwd");
	assert_error(r, 401, "unauthorized");
}

static void
test_failures_lock_out(void **state)
{
	struct harness *h = *state;
	world(h);
	char pw[17];
	harness_one_time(h, "SGN-finance", pw);
	/* the earlier tests' failures came from this address too */
	assert_int_equal(harness_sql(h, "DELETE FROM sign_in_failure"), 0);
	const char *m = nh_metrics(h);
	double failed = nh_metric(m, "procurd_sign_ins_total{outcome=\"failed\"}");
	double locked = nh_metric(m, "procurd_sign_ins_total{outcome=\"locked\"}");

	struct resp r;
	for (int i = 0; i < 5; i++) {
		r = sign_in(h, "SGN-finance", "not the password");
		assert_error(r, 401, "unauthorized");
	}
	/* the sixth is refused, even with the right password, for 15 minutes */
	r = sign_in(h, "SGN-finance", pw);
	assert_error(r, 429, "too_many_attempts");
	const char *ra = strstr(r.headers, "Retry-After: ");
	assert_non_null(ra);
	int secs = atoi(ra + strlen("Retry-After: "));
	assert_true(secs > 890 && secs <= 900);
	/* the address is locked out too: another name from it is refused */
	r = sign_in(h, "SGN-evaluator1", "whatever it is");
	assert_error(r, 429, "too_many_attempts");
	m = nh_metrics(h);
	assert_true(nh_metric(m, "procurd_sign_ins_total{outcome=\"failed\"}") == failed + 5);
	assert_true(nh_metric(m, "procurd_sign_ins_total{outcome=\"locked\"}") == locked + 2);
	/* logged with the name and the address, never the password */
	assert_true(log_has(h, "sign-in: failed for SGN-finance from 127.0.0.1"));
	assert_false(log_has(h, "not the password"));
	assert_false(log_has(h, pw));

	/* fifteen minutes later it opens again */
	assert_int_equal(harness_sql(h, "UPDATE sign_in_failure SET at = at - interval '15 minutes'"), 0);
	r = sign_in(h, "SGN-finance", pw);
	assert_status(r, 201);
	/* an unknown name fails the same way and takes as long: no way to tell */
	r = sign_in(h, "nobody-at-all", "some password");
	assert_error(r, 401, "unauthorized");
	assert_int_equal(harness_sql(h, "DELETE FROM sign_in_failure"), 0);
}

/* An administrator manages the users of their scope: creates one (token
 * and one-time password shown once), resets a password (its sessions end),
 * disables (refused at once, token included, though the daemon had it
 * cached) and enables again. */
static void
test_admin_manages_users(void **state)
{
	struct harness *h = *state;
	struct world *w = world(h);
	struct world other;
	h_world(h, &other, "SGO", 0);
	char body[256], path[128];

	snprintf(body, sizeof body, "{\"name\":\"SGN-new\",\"roles\":[\"officer\"],"
	    "\"agency\":\"%.32s\"}", w->agency);
	struct resp r = h_post(h, w->admin, "/v1/users", "%s", body);
	assert_status(r, 201);
	char token[65], pw[17];
	snprintf(token, sizeof token, "%s", json_string_value(h_at(r.body, "token")));
	snprintf(pw, sizeof pw, "%s", json_string_value(h_at(r.body, "one_time_password")));
	assert_int_equal(strlen(token), 64);
	assert_int_equal(strlen(pw), 16);
	r = h_post(h, w->admin, "/v1/users", "%s", body);
	assert_error(r, 409, "conflict");
	/* outside the admin's scope, or the daemon's own role: no */
	r = h_post(h, other.admin, "/v1/users", "{\"name\":\"x1\",\"roles\":[\"officer\"],"
	    "\"agency\":\"%s\"}", w->agency);
	assert_error(r, 404, "not_found");
	r = h_post(h, w->admin, "/v1/users", "{\"name\":\"x2\",\"roles\":[\"daemon\"],"
	    "\"agency\":\"%s\"}", w->agency);
	assert_error(r, 400, "invalid_field");
	r = h_post(h, w->officer, "/v1/users", "%s", body);
	assert_error(r, 403, "forbidden");

	/* the list: the scope's users only */
	r = h_get(h, w->admin, "/v1/users");
	assert_status(r, 200);
	assert_non_null(strstr(r.raw, "\"SGN-new\""));
	assert_null(strstr(r.raw, "SGO-officer"));
	r = h_get(h, other.admin, "/v1/users");
	assert_null(strstr(r.raw, "SGN-new"));

	/* the new user signs in with the one-time password */
	struct session s;
	r = sign_in(h, "SGN-new", pw);
	assert_status(r, 201);
	assert_true(json_is_true(h_at(r.body, "password_change_required")));
	session_of(r, &s);
	/* a reset ends that session and gives a new one-time password */
	r = h_post(h, w->admin, "/v1/users/SGN-new/password", "{}");
	assert_status(r, 200);
	assert_string_not_equal(json_string_value(h_at(r.body, "one_time_password")), pw);
	r = h_req(h, "GET", "/v1/me", NULL, NULL, s.cookie);
	assert_error(r, 401, "unauthorized");
	r = h_post(h, other.admin, "/v1/users/SGN-new/password", "{}");
	assert_error(r, 404, "not_found");

	/* disabled: the token is refused at once, though it was just used */
	r = h_get(h, token, "/v1/me");
	assert_status(r, 200);
	snprintf(path, sizeof path, "/v1/users/SGN-new/disable");
	r = h_post(h, w->admin, path, "{}");
	assert_status(r, 200);
	r = h_get(h, token, "/v1/me");
	assert_error(r, 401, "unauthorized");
	r = h_post(h, w->admin, "/v1/users/SGN-new/enable", "{}");
	assert_status(r, 200);
	r = h_get(h, token, "/v1/me");
	assert_status(r, 200);
	r = h_post(h, w->admin, "/v1/users/SGN-admin/disable", "{}");
	assert_error(r, 422, "rule_violation");

	/* disabled by another process (procurctl here, another daemon alike):
	 * the daemon kept the token, and the commit's NOTIFY makes it forget */
	r = h_get(h, token, "/v1/me");
	assert_status(r, 200);
	assert_int_equal(harness_ctl(h, NULL, 0, "user", "disable", "SGN-new", (char *)NULL), 0);
	int i;
	for (i = 0; i < 40; i++) {
		r = h_get(h, token, "/v1/me");
		if (r.status == 401)
			break;
		usleep(25000);	/* the NOTIFY's way to the daemon's watch */
	}
	assert_error(r, 401, "unauthorized");
	assert_true(i < 40);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_first_sign_in_sets_a_password, h_test_teardown),
		cmocka_unit_test_teardown(test_sessions_end, h_test_teardown),
		cmocka_unit_test_teardown(test_failures_lock_out, h_test_teardown),
		cmocka_unit_test_teardown(test_admin_manages_users, h_test_teardown),
	};
	h_group_name = "signin";
	return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
