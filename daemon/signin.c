/* Signing in with a name and a password, sessions behind a cookie, the
 * caller's own account (signin.h). */
#include "signin.h"

#include <event2/http.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "lifecycle.h"
#include "log.h"
#include "metrics.h"
#include "offload.h"
#include "password.h"
#include "session.h"

#define COOKIE "procurd_session"
#define LIFETIME (8 * 3600 * USEC_PER_SEC)	/* absolute: 8 hours after signing in */
#define FAIL_WINDOW (15 * 60 * USEC_PER_SEC)	/* 5 failures in 15 minutes lock 15 minutes */
#define FAIL_LIMIT 5

/* ------------------------------------------------------------------------ */
/* Hashes, off the loop                                                     */

struct verify_job {
	const char *pw, *hash;
	bool ok;
};

/* A hash to check against when the name has none (or no such user): the
 * answer then takes as long as for a real one and tells nothing. */
static char dummy_hash[PASSWORD_HASH_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void
make_dummy(void)
{
	if (password_hash("procurd: nobody signs in with this", dummy_hash))
		dummy_hash[0] = '\0';
}

static void
verify_fn(void *arg)
{
	struct verify_job *j = arg;
	pthread_once(&dummy_once, make_dummy);
	j->ok = password_verify(j->pw, j->hash[0] ? j->hash : dummy_hash) && j->hash[0];
}

struct hash_job {
	const char *pw;
	char out[PASSWORD_HASH_MAX];
	int rc;
};

static void
hash_fn(void *arg)
{
	struct hash_job *j = arg;
	j->rc = password_hash(j->pw, j->out);
}

/* ------------------------------------------------------------------------ */
/* Sessions                                                                 */

static bool
same_secret(const char *a, const char *b)
{
	size_t n = strlen(b);
	if (a == NULL || strlen(a) != n)
		return false;
	unsigned char diff = 0;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

static const char *const open_while_changing[] = {
	"GET /v1/me", "PUT /v1/me/password", "DELETE /v1/sessions/current",
};

bool
signin_open_while_changing(const char *route_name)
{
	for (size_t i = 0; i < sizeof open_while_changing / sizeof open_while_changing[0]; i++)
		if (!strcmp(open_while_changing[i], route_name))
			return true;
	return false;
}

static bool
changes_state(int method)
{
	return method & (EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH);
}

int
signin_session(struct api_request *r, struct db *db, struct user *u)
{
	char csrf[65];
	bool change;
	if (r->session == NULL)
		return 1;
	usec_t idle = (usec_t)r->d->cfg->http_session_idle_minutes * 60 * USEC_PER_SEC;
	int rc = session_user(db, r->session, clock_wall(), idle, u, csrf, &change);
	if (rc != 0)
		return rc;
	r->signed_in_with = "session";
	r->change_password = change;
	memcpy(r->session_csrf, csrf, sizeof r->session_csrf);
	if (changes_state(r->method) && !same_secret(r->csrf, csrf)) {
		apierr_set(&r->err, 403, "csrf_required", NULL,
		    "a change made from a signed-in browser carries its session's X-CSRF-Token header");
		return 2;
	}
	return 0;
}

/* 64 hex digits of fresh randomness into OUT: 0 or -1. */
static int
random_hex(char out[65])
{
	unsigned char raw[32];
	if (random_bytes(raw, sizeof raw))
		return -1;
	hex_encode(raw, sizeof raw, out);
	explicit_bzero(raw, sizeof raw);
	return 0;
}

static json_t *
me_json(const struct user *u, bool change_password, const char *with)
{
	json_t *roles = json_array();
	for (unsigned bit = 1; bit < (1u << ROLE__COUNT); bit <<= 1)
		if ((u->roles & bit) && bit != ROLE_DAEMON)
			json_array_append_new(roles, json_string(role_name(bit)));
	return json_pack("{s:I,s:s,s:o,s:s,s:s,s:s,s:b,s:s}", "id", (json_int_t)u->id, "name",
	    u->name, "roles", roles, "agency", u->agency, "agency_level", u->level, "lang",
	    u->lang[0] ? u->lang : "zh", "password_change_required", change_password,
	    "signed_in_with", with ? with : "token");
}

/* Locked out (name or address)? Then 429 with Retry-After, and true. */
static bool
locked_out(struct api_request *r, struct req_ctx *c, const char *name, usec_t now, int *failed)
{
	usec_t retry;
	*failed = session_failures(c->db, name, r->address, now, FAIL_WINDOW, FAIL_LIMIT, &retry);
	if (*failed || retry <= now)
		return false;
	r->retry_after = (int)((retry - now + USEC_PER_SEC - 1) / USEC_PER_SEC);
	metrics_sign_in(SIGNIN_LOCKED);
	log_warn("sign-in: %s from %s refused: too many failures (for %d s more)", name,
	    r->address, r->retry_after);
	apierr_set(c->err, 429, "too_many_attempts",
	    json_pack("{s:i}", "retry_after_seconds", r->retry_after),
	    "too many failed sign-ins for this name or address: try again in %d minutes",
	    (r->retry_after + 59) / 60);
	return true;
}

static void
cookie(struct api_request *r, const char *value, int max_age)
{
	free(r->set_cookie);
	r->set_cookie = xasprintf(COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s",
	    value, max_age, r->d->cfg->http_secure_cookies ? "; Secure" : "");
}

json_t *
signin_open(struct api_request *r, struct req_ctx *c, int *status)
{
	const char *name = json_string_value(json_object_get(r->json, "name"));
	const char *pw = json_string_value(json_object_get(r->json, "password"));
	usec_t now = clock_wall();
	struct user u;
	char hash[PASSWORD_HASH_MAX] = "", token[65], csrf[65];
	bool one_time = false;
	int failed;
	(void)status;

	if (locked_out(r, c, name, now, &failed))
		return NULL;
	int rc = failed ? -1 : user_sign_in(c->db, name, &u, hash, &one_time);
	if (rc < 0)
		return ctx_dbfail(c, "signing in");
	struct verify_job v = { pw, rc == 0 ? hash : "", false };
	offload_run(verify_fn, &v);
	if (!v.ok) {
		if (session_failed(c->db, name, r->address, now))
			return ctx_dbfail(c, "signing in");
		metrics_sign_in(SIGNIN_FAILED);
		log_warn("sign-in: failed for %s from %s", name, r->address);
		apierr_set(c->err, 401, "unauthorized", NULL, "wrong name or password");
		return NULL;
	}
	if (random_hex(token) || random_hex(csrf)) {
		apierr_set(c->err, 500, "internal", NULL, "no randomness for a session");
		return NULL;
	}
	if (session_open(c->db, u.id, token, csrf, r->address, now, LIFETIME))
		return ctx_dbfail(c, "opening a session");
	metrics_sign_in(SIGNIN_OK);
	log_info("sign-in: %s from %s%s", u.name, r->address,
	    one_time ? " (one-time password: must set a new one)" : "");
	cookie(r, token, (int)(LIFETIME / USEC_PER_SEC));
	explicit_bzero(token, sizeof token);
	json_t *o = me_json(&u, one_time, "session");
	json_object_set_new(o, "csrf_token", json_string(csrf));
	return o;
}

json_t *
signin_close(struct api_request *r, struct req_ctx *c, int *status)
{
	if (r->session == NULL || strcmp(r->signed_in_with, "session"))
		return ctx_fail(c, 404, "not_found", NULL, "no session: this request used a token");
	if (session_close(c->db, r->session, clock_wall()))
		return ctx_dbfail(c, "signing out");
	log_info("sign-out: %s from %s", c->u->name, r->address);
	cookie(r, "", 0);
	*status = 204;
	return json_string("");
}

json_t *
signin_me(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)status;
	json_t *o = me_json(c->u, r->change_password, r->signed_in_with);
	/* a signed-in browser's new tab learns its session's token here (only
	 * this origin can read the answer: no CORS) */
	if (r->session_csrf[0])
		json_object_set_new(o, "csrf_token", json_string(r->session_csrf));
	return o;
}

/* The console's language, remembered for the user: the next sign-in, on
 * any browser, shows it. */
json_t *
signin_language(struct api_request *r, struct req_ctx *c, int *status)
{
	const char *lang = json_string_value(json_object_get(r->json, "lang"));
	(void)status;
	if (strcmp(lang, "zh") != 0 && strcmp(lang, "en") != 0)
		return ctx_fail(c, 400, "invalid_field", json_pack("{s:s}", "field", "lang"),
		    "lang must be zh or en");
	if (user_set_lang(c->db, c->u->id, lang) != 0)
		return ctx_dbfail(c, "setting the language");
	auth_forget(r->d->auth);	/* a cached token's user holds the old one */
	struct user u = *c->u;
	snprintf(u.lang, sizeof u.lang, "%s", lang);
	return me_json(&u, false, r->signed_in_with);
}

json_t *
signin_password(struct api_request *r, struct req_ctx *c, int *status)
{
	const char *current = json_string_value(json_object_get(r->json, "current"));
	const char *pw = json_string_value(json_object_get(r->json, "new"));
	usec_t now = clock_wall();
	char hash[PASSWORD_HASH_MAX] = "";
	struct user u;
	bool one_time;
	int failed;
	(void)status;

	const char *weak = password_weak(pw, c->u->name);
	if (weak)
		return ctx_fail(c, 422, "rule_violation", json_pack("{s:s,s:s}", "rule",
		    "password_policy", "field", "new"), weak);
	if (!strcmp(pw, current))
		return ctx_fail(c, 422, "rule_violation", json_pack("{s:s,s:s}", "rule",
		    "password_policy", "field", "new"), "the new password is the current one");
	if (locked_out(r, c, c->u->name, now, &failed))
		return NULL;
	int rc = failed ? -1 : user_sign_in(c->db, c->u->name, &u, hash, &one_time);
	if (rc < 0)
		return ctx_dbfail(c, "changing a password");
	struct verify_job v = { current, rc == 0 ? hash : "", false };
	offload_run(verify_fn, &v);
	if (!v.ok) {
		if (session_failed(c->db, c->u->name, r->address, now))
			return ctx_dbfail(c, "changing a password");
		metrics_sign_in(SIGNIN_FAILED);
		log_warn("password: wrong current password for %s from %s", c->u->name, r->address);
		return ctx_fail(c, 403, "forbidden", json_pack("{s:s}", "field", "current"),
		    "the current password is wrong");
	}
	struct hash_job h = { .pw = pw };
	offload_run(hash_fn, &h);
	int64_t id;
	if (h.rc) {
		apierr_set(c->err, 500, "internal", NULL, "the password could not be hashed");
		return NULL;
	}
	/* every other session of the user ends: a password changed because it
	 * leaked must not leave the thief signed in */
	if (user_set_password(c->db, c->u->name, h.out, false, "/", &id) ||
	    session_close_all(c->db, id, r->signed_in_with &&
	    !strcmp(r->signed_in_with, "session") ? r->session : NULL, now) < 0)
		return ctx_dbfail(c, "changing a password");
	log_info("password: %s set a new one (other sessions signed out)", c->u->name);
	r->change_password = false;
	return me_json(c->u, false, r->signed_in_with);
}
