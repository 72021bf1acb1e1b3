/* Administering users (users.h). */
#include "users.h"

#include <stdio.h>
#include <string.h>
#include "auth.h"
#include "clock.h"
#include "lifecycle.h"
#include "log.h"
#include "offload.h"
#include "password.h"
#include "registry.h"
#include "render.h"
#include "rows.h"
#include "session.h"

json_t *
users_list(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)r;
	(void)status;
	struct rows *rows = user_list(c->db, c->u->path);
	if (rows == NULL)
		return ctx_dbfail(c, "listing users");
	json_t *o = render_users(rows, ctx_offset(c));
	rows_free(rows);
	return o;
}

struct one_time_job {
	char pw[17];
	char hash[PASSWORD_HASH_MAX];
	int rc;
};

static void
one_time_fn(void *arg)
{
	struct one_time_job *j = arg;
	j->rc = password_one_time(j->pw) || password_hash(j->pw, j->hash);
}

json_t *
users_add(struct api_request *r, struct req_ctx *c, int *status)
{
	const char *name = json_string_value(json_object_get(r->json, "name"));
	const char *agency = json_string_value(json_object_get(r->json, "agency"));
	json_t *roles = json_object_get(r->json, "roles"), *v;
	unsigned mask = 0;
	size_t i;
	(void)status;
	json_array_foreach(roles, i, v) {
		int bit = json_is_string(v) ? role_parse(json_string_value(v)) : -1;
		if (bit < 0 || bit == ROLE_DAEMON)
			return ctx_fail(c, 400, "invalid_field", json_pack("{s:s}", "field", "roles"),
			    "roles are officer, reviewer, finance, evaluator, auditor, admin");
		mask |= (unsigned)bit;
	}
	if (mask == 0)
		return ctx_fail(c, 422, "rule_violation", json_pack("{s:s,s:s}", "rule",
		    "payload_required", "field", "roles"), "a user has at least one role");
	int seen = registry_agency_seen(c, agency);
	if (seen < 0)
		return NULL;
	if (!seen)
		return ctx_fail(c, 404, "not_found", json_pack("{s:s}", "field", "agency"),
		    "no such agency in your scope");
	struct one_time_job j;
	offload_run(one_time_fn, &j);
	char token[65];
	if (j.rc) {
		apierr_set(c->err, 500, "internal", NULL, "no randomness for a password");
		return NULL;
	}
	if (user_add(c->db, name, mask, agency, c->now, j.hash, token, c->err))
		return NULL;
	log_info("users: %s added at %s by %s", name, agency, c->u->name);
	json_t *o = json_pack("{s:s,s:O,s:s,s:s,s:s}", "name", name, "roles", roles, "agency",
	    agency, "token", token, "one_time_password", j.pw);
	explicit_bzero(&j, sizeof j);
	explicit_bzero(token, sizeof token);
	return o;
}

json_t *
users_reset(struct api_request *r, struct req_ctx *c, int *status)
{
	const char *name = r->params[0];
	struct one_time_job j;
	int64_t id;
	(void)status;
	offload_run(one_time_fn, &j);
	if (j.rc) {
		apierr_set(c->err, 500, "internal", NULL, "no randomness for a password");
		return NULL;
	}
	int rc = user_set_password(c->db, name, j.hash, true, c->u->path, &id);
	if (rc < 0 || (rc == 0 && session_close_all(c->db, id, NULL, clock_wall()) < 0))
		return ctx_dbfail(c, "resetting a password");
	if (rc > 0)
		return ctx_fail(c, 404, "not_found", NULL, "no such user in your scope");
	log_info("users: password of %s reset by %s (one-time; signed out)", name, c->u->name);
	json_t *o = json_pack("{s:s,s:s}", "name", name, "one_time_password", j.pw);
	explicit_bzero(&j, sizeof j);
	return o;
}

static json_t *
set_disabled(struct api_request *r, struct req_ctx *c, bool off)
{
	const char *name = r->params[0];
	int64_t id;
	if (off && !strcmp(name, c->u->name))
		return ctx_fail(c, 422, "rule_violation", json_pack("{s:s}", "rule", "not_yourself"),
		    "an administrator does not disable their own account");
	int rc = user_set_disabled(c->db, name, off, c->now, c->u->path, &id);
	if (rc < 0 || (rc == 0 && off && session_close_all(c->db, id, NULL, clock_wall()) < 0))
		return ctx_dbfail(c, "disabling a user");
	if (rc > 0)
		return ctx_fail(c, 404, "not_found", NULL, "no such user in your scope");
	if (off)
		auth_forget(r->d->auth);	/* its token too, at once, here */
	log_info("users: %s %s by %s", name, off ? "disabled" : "enabled", c->u->name);
	return json_pack("{s:s,s:b}", "name", name, "disabled", off);
}

json_t *
users_disable(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)status;
	return set_disabled(r, c, true);
}

json_t *
users_enable(struct api_request *r, struct req_ctx *c, int *status)
{
	(void)status;
	return set_disabled(r, c, false);
}
