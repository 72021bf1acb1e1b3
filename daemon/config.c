/* Configuration: one table of keys with defaults, read from an ini file. */
#include "config.h"

#include <ini.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "log.h"
#include "util.h"

enum ktype { K_STR, K_INT, K_INT64, K_BOOL, K_PERIOD, K_PERCENT_BP };

struct kdef {
	struct config_key k;
	enum ktype type;
	size_t off;
	int64_t min, max;
};

#define O(f) offsetof(struct config, f)
#define R(f) (offsetof(struct config, rules) + offsetof(struct rules_config, f))
#define W(m) (offsetof(struct config, rules) + offsetof(struct rules_config, bid_window) + \
	(m) * sizeof(struct period))
#define DP(st) (offsetof(struct config, deadlines) + offsetof(struct deadline_config, period) + \
	(st) * sizeof(struct period))
#define D(f) (offsetof(struct config, deadlines) + offsetof(struct deadline_config, f))
#define MB(m) (offsetof(struct config, rules) + offsetof(struct rules_config, min_bids) + \
	(m) * sizeof(int))

/* Keep in step with config/procurd.conf: tests/unit/test_config.c checks it. */
static const struct kdef keys[] = {
	{ { "database", "conninfo", "" }, K_STR, O(db_conninfo), 0, 0 },
	{ { "database", "pool_size", "8" }, K_INT, O(db_pool_size), 1, 128 },
	{ { "database", "migrations", "sql" }, K_STR, O(db_migrations), 0, 0 },
	{ { "database", "project_cache", "50000" }, K_INT, O(db_project_cache), 0, 100000000 },
	{ { "database", "group_commit", "true" }, K_BOOL, O(db_group_commit), 0, 1 },
	{ { "database", "group_commit_pipes", "2" }, K_INT, O(db_group_commit_pipes), 0, 32 },
	{ { "http", "listen", "127.0.0.1:8080" }, K_STR, O(http_listen), 0, 0 },
	{ { "http", "max_body_bytes", "1048576" }, K_INT64, O(http_max_body_bytes), 64, INT64_C(1) << 30 },
	{ { "http", "timeout_seconds", "30" }, K_INT, O(http_timeout_seconds), 1, 3600 },
	{ { "http", "token_cache_seconds", "30" }, K_INT, O(http_token_cache_seconds), 0, 3600 },
	{ { "http", "session_idle_minutes", "30" }, K_INT, O(http_session_idle_minutes), 1, 1440 },
	{ { "http", "secure_cookies", "false" }, K_BOOL, O(http_secure_cookies), 0, 1 },
	{ { "http", "web_root", "web" }, K_STR, O(http_web_root), 0, 0 },
	{ { "http", "public_per_minute", "120" }, K_INT, O(http_public_per_minute), 1, 1000000 },
	{ { "ocds", "ocid_prefix", "ocds-procurd" }, K_STR, O(ocds_ocid_prefix), 0, 0 },
	{ { "log", "config", "config/log4crc" }, K_STR, O(log_config), 0, 0 },
	{ { "clock", "adjustable", "false" }, K_BOOL, O(clock_adjustable), 0, 1 },
	{ { "policy", "profiles", "config/profiles" }, K_STR, O(policy_profiles), 0, 0 },
	{ { "documents", "max_bytes", "20971520" }, K_INT64, O(doc_max_bytes), 1024, INT64_C(1) << 30 },
	{ { "documents", "publish", "tender_documents" }, K_STR, O(doc_publish), 0, 0 },
	{ { "documents", "sign_contract", "contract" }, K_STR, O(doc_sign), 0, 0 },
	{ { "documents", "accept", "acceptance_report" }, K_STR, O(doc_accept), 0, 0 },
	{ { "documents", "confirm_payment", "treasury_voucher" }, K_STR, O(doc_payment), 0, 0 },
	{ { "documents", "public", "tender_documents,contract" }, K_STR, O(doc_public), 0, 0 },
	{ { "funding_plan", "due_month", "12" }, K_INT, O(plan_due_month), 1, 12 },
	{ { "funding_plan", "due_day", "31" }, K_INT, O(plan_due_day), 1, 31 },
	{ { "funding_plan", "remind_days", "30" }, K_INT, O(plan_remind_days), 0, 365 },
	{ { "funding_plan", "second_escalation_days", "5" }, K_INT, O(plan_second_days), 0, 365 },
	{ { "calendar", "file", "data/calendar/cn.txt" }, K_STR, O(calendar_file), 0, 0 },
	{ { "calendar", "utc_offset_seconds", "28800" }, K_INT, O(calendar_utc_offset), -50400, 50400 },
	{ { "notify", "jobs_endpoint", "tcp://127.0.0.1:5560" }, K_STR, O(notify_jobs_endpoint), 0, 0 },
	{ { "notify", "acks_endpoint", "tcp://127.0.0.1:5561" }, K_STR, O(notify_acks_endpoint), 0, 0 },
	{ { "notify", "lease_seconds", "30" }, K_INT, O(notify_lease_seconds), 1, 86400 },
	{ { "notify", "max_attempts", "8" }, K_INT, O(notify_max_attempts), 1, 1000 },
	{ { "notify", "high_water_mark", "1000" }, K_INT, O(notify_hwm), 1, 1000000 },
	{ { "notify", "keep_delivered_days", "90" }, K_INT, O(notify_keep_delivered_days), 1, 36500 },
	{ { "notify", "backoff_ms", "1000" }, K_INT, O(notify_backoff_ms), 1, 3600000 },
	{ { "events", "endpoint", "tcp://127.0.0.1:5562" }, K_STR, O(events_endpoint), 0, 0 },
	{ { "deadlines", "batch", "200" }, K_INT, O(deadline_batch), 1, 100000 },
	{ { "deadlines", "reminder_percent", "80" }, K_INT, D(reminder_percent), 0, 99 },
	{ { "deadlines", "second_escalation", "3 working_days" }, K_PERIOD, D(second_escalation), 0, 0 },
	{ { "deadlines", "needs_review", "5 working_days" }, K_PERIOD, DP(ST_NEEDS_REVIEW), 0, 0 },
	{ { "deadlines", "budget_review", "10 working_days" }, K_PERIOD, DP(ST_BUDGET_REVIEW), 0, 0 },
	{ { "deadlines", "approved", "20 working_days" }, K_PERIOD, DP(ST_APPROVED), 0, 0 },
	{ { "deadlines", "tender_failed", "10 working_days" }, K_PERIOD, DP(ST_TENDER_FAILED), 0, 0 },
	{ { "deadlines", "scoring", "2 working_days" }, K_PERIOD, DP(ST_SCORING), 0, 0 },
	{ { "deadlines", "awarded", "30 calendar_days" }, K_PERIOD, DP(ST_AWARDED), 0, 0 },
	{ { "deadlines", "acceptance", "10 working_days" }, K_PERIOD, DP(ST_ACCEPTANCE), 0, 0 },
	{ { "deadlines", "payment", "30 calendar_days" }, K_PERIOD, DP(ST_PAYMENT), 0, 0 },
	{ { "deadlines", "year_end_review", "60 calendar_days" }, K_PERIOD, DP(ST_YEAR_END_REVIEW), 0, 0 },
	{ { "deadlines", "takeover", "10 working_days" }, K_PERIOD, DP(ST_TAKEOVER), 0, 0 },
	{ { "windows", "public_tender", "20 calendar_days" }, K_PERIOD, W(METHOD_PUBLIC_TENDER), 0, 0 },
	{ { "windows", "invited_tender", "20 calendar_days" }, K_PERIOD, W(METHOD_INVITED_TENDER), 0, 0 },
	{ { "windows", "competitive_negotiation", "3 working_days" }, K_PERIOD, W(METHOD_COMPETITIVE_NEGOTIATION), 0, 0 },
	{ { "windows", "competitive_consultation", "10 calendar_days" }, K_PERIOD, W(METHOD_COMPETITIVE_CONSULTATION), 0, 0 },
	{ { "windows", "single_source", "5 working_days" }, K_PERIOD, W(METHOD_SINGLE_SOURCE), 0, 0 },
	{ { "windows", "challenge", "7 working_days" }, K_PERIOD, R(challenge_window), 0, 0 },
	{ { "windows", "challenge_answer", "7 working_days" }, K_PERIOD, R(challenge_answer), 0, 0 },
	{ { "windows", "signing", "30 calendar_days" }, K_PERIOD, R(signing_window), 0, 0 },
	{ { "rules", "min_bids_public_tender", "3" }, K_INT, MB(METHOD_PUBLIC_TENDER), 1, 100 },
	{ { "rules", "min_bids_invited_tender", "3" }, K_INT, MB(METHOD_INVITED_TENDER), 1, 100 },
	{ { "rules", "min_bids_competitive_negotiation", "3" }, K_INT, MB(METHOD_COMPETITIVE_NEGOTIATION), 1, 100 },
	{ { "rules", "min_bids_competitive_consultation", "3" }, K_INT, MB(METHOD_COMPETITIVE_CONSULTATION), 1, 100 },
	{ { "rules", "min_bids_single_source", "1" }, K_INT, MB(METHOD_SINGLE_SOURCE), 1, 100 },
	{ { "rules", "price_weight_min", "10" }, K_INT, R(price_weight_min), 0, 100 },
	{ { "rules", "price_weight_max", "30" }, K_INT, R(price_weight_max), 0, 100 },
	{ { "rules", "special_funds_cap_percent", "2" }, K_PERCENT_BP, R(cap_bp_default), 0, 10000 },
	{ { "rules", "ban_years", "3" }, K_INT, R(ban_years), 0, 50 },
	{ { "rules", "eval_weight_purchaser", "30" }, K_INT, R(eval_weight_purchaser), 0, 100 },
	{ { "rules", "eval_weight_recipient", "40" }, K_INT, R(eval_weight_recipient), 0, 100 },
	{ { "rules", "eval_weight_third_party", "30" }, K_INT, R(eval_weight_third_party), 0, 100 },
	{ { "rules", "past_performance_neutral", "60" }, K_INT, R(past_performance_neutral), 0, 100 },
	{ { "rules", "past_performance_years", "3" }, K_INT, R(past_performance_years), 1, 50 },
};
#define NKEYS (sizeof keys / sizeof keys[0])

/* Sections other programs read from the same file (procur-notify). */
static const char *foreign_sections[] = { "worker", NULL };

const struct config_key *
config_keys(size_t *n)
{
	static struct config_key out[NKEYS];
	for (size_t i = 0; i < NKEYS; i++)
		out[i] = keys[i].k;
	*n = NKEYS;
	return out;
}

struct load_state {
	struct config *c;
	char *err;
	size_t errlen;
	int nerr;
};

static void
add_err(struct load_state *st, const char *msg)
{
	size_t used = strlen(st->err);
	if (used < st->errlen)
		snprintf(st->err + used, st->errlen - used, "%s%s", used ? "\n" : "", msg);
	st->nerr++;
}

static int
parse_percent_bp(const char *v, int64_t *bp)
{
	/* "2", "2.5", "1.25": percent with at most two decimals → basis points */
	char *end;
	double d = strtod(v, &end);
	if (end == v || *end != '\0' || d < 0 || d > 100)
		return -1;
	*bp = (int64_t)(d * 100 + 0.5);
	return 0;
}

static int
set_value(struct config *c, const struct kdef *d, const char *v, char *why, size_t wl)
{
	char *base = (char *)c;
	int64_t n;

	switch (d->type) {
	case K_STR: {
		char **p = (char **)(base + d->off);
		free(*p);
		*p = xstrdup(v);
		return 0;
	}
	case K_INT:
	case K_INT64:
		if (parse_int64(v, &n) || n < d->min || n > d->max) {
			snprintf(why, wl, "expects a whole number from %" PRId64 " to %" PRId64,
			    d->min, d->max);
			return -1;
		}
		if (d->type == K_INT)
			*(int *)(base + d->off) = (int)n;
		else
			*(int64_t *)(base + d->off) = n;
		return 0;
	case K_BOOL:
		if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcmp(v, "1") ||
		    !strcasecmp(v, "on"))
			*(bool *)(base + d->off) = true;
		else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcmp(v, "0") ||
		    !strcasecmp(v, "off"))
			*(bool *)(base + d->off) = false;
		else {
			snprintf(why, wl, "expects true or false");
			return -1;
		}
		return 0;
	case K_PERIOD:
		if (period_parse(v, (struct period *)(base + d->off))) {
			snprintf(why, wl, "expects a period such as \"20 calendar_days\" or \"3 working_days\"");
			return -1;
		}
		return 0;
	case K_PERCENT_BP:
		if (parse_percent_bp(v, &n) || n < d->min || n > d->max) {
			snprintf(why, wl, "expects a percentage from 0 to 100");
			return -1;
		}
		*(int *)(base + d->off) = (int)n;
		return 0;
	}
	return -1;
}

static int
on_key(void *user, const char *section, const char *name, const char *value)
{
	struct load_state *st = user;
	char msg[512], why[200];

	for (size_t i = 0; foreign_sections[i]; i++)
		if (!strcmp(section, foreign_sections[i]))
			return 1;
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].k.section, section) || strcmp(keys[i].k.key, name))
			continue;
		if (set_value(st->c, &keys[i], value, why, sizeof why)) {
			snprintf(msg, sizeof msg, "%s: [%s] %s = \"%s\": %s", st->c->path, section,
			    name, value, why);
			add_err(st, msg);
		}
		return 1;
	}
	snprintf(msg, sizeof msg, "%s: unknown key [%s] %s", st->c->path, section, name);
	add_err(st, msg);
	return 1;
}

static void
check_whole(struct load_state *st)
{
	const struct rules_config *r = &st->c->rules;
	char msg[256];
	if (r->price_weight_min > r->price_weight_max) {
		snprintf(msg, sizeof msg, "[rules] price_weight_min is above price_weight_max");
		add_err(st, msg);
	}
	if (r->eval_weight_purchaser + r->eval_weight_recipient + r->eval_weight_third_party != 100) {
		snprintf(msg, sizeof msg, "[rules] eval_weight_* must add up to 100");
		add_err(st, msg);
	}
	if (r->eval_weight_recipient < r->eval_weight_purchaser ||
	    r->eval_weight_recipient < r->eval_weight_third_party) {
		/* 001 §2.6: emphasis on the recipients' satisfaction */
		snprintf(msg, sizeof msg, "[rules] eval_weight_recipient must weigh the most (001 §2.6)");
		add_err(st, msg);
	}
}

struct config *
config_load(const char *path, char *err, size_t errlen)
{
	struct config *c = xcalloc(1, sizeof *c);
	struct load_state st = { c, err, errlen, 0 };
	char why[200];

	err[0] = '\0';
	c->path = xstrdup(path ? path : "(defaults)");
	rules_config_defaults(&c->rules);
	deadline_config_defaults(&c->deadlines);
	for (size_t i = 0; i < NKEYS; i++)
		if (set_value(c, &keys[i], keys[i].k.def, why, sizeof why))
			fatal("config: bad built-in default for [%s] %s: %s", keys[i].k.section,
			    keys[i].k.key, why);
	if (path) {
		int rc = ini_parse(path, on_key, &st);
		if (rc < 0) {
			snprintf(why, sizeof why, "%s: cannot read the file", path);
			add_err(&st, why);
		} else if (rc > 0) {
			snprintf(why, sizeof why, "%s:%d: not ini syntax", path, rc);
			add_err(&st, why);
		}
	}
	check_whole(&st);
	if (st.nerr) {
		config_free(c);
		return NULL;
	}
	return c;
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].type == K_STR)
			free(*(char **)((char *)c + keys[i].off));
	free(c->path);
	free(c);
}

static void
value_text(const struct config *c, const struct kdef *d, char *buf, size_t len)
{
	const char *base = (const char *)c;
	switch (d->type) {
	case K_STR:
		snprintf(buf, len, "%s", *(char *const *)(base + d->off));
		break;
	case K_INT:
		snprintf(buf, len, "%d", *(const int *)(base + d->off));
		break;
	case K_INT64:
		snprintf(buf, len, "%" PRId64, *(const int64_t *)(base + d->off));
		break;
	case K_BOOL:
		snprintf(buf, len, "%s", *(const bool *)(base + d->off) ? "true" : "false");
		break;
	case K_PERIOD:
		period_format(*(const struct period *)(base + d->off), buf, len);
		break;
	case K_PERCENT_BP: {
		int bp = *(const int *)(base + d->off);
		snprintf(buf, len, "%d.%02d", bp / 100, bp % 100);
		break;
	}
	}
}

int
config_get(const struct config *c, const char *section, const char *key, char *buf, size_t len)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].k.section, section) && !strcmp(keys[i].k.key, key)) {
			value_text(c, &keys[i], buf, len);
			return 0;
		}
	return -1;
}

void
config_print(const struct config *c, FILE *out)
{
	char buf[512];
	const char *order[] = { "windows", "rules", "deadlines" };

	fprintf(out, "# %s: configuration OK; the rules in force:\n", c->path);
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < NKEYS; i++) {
			bool rule = !strcmp(keys[i].k.section, order[0]) ||
			    !strcmp(keys[i].k.section, order[1]) || !strcmp(keys[i].k.section, order[2]);
			if (rule != (pass == 0))
				continue;
			value_text(c, &keys[i], buf, sizeof buf);
			/* never print a password */
			if (!strcmp(keys[i].k.key, "conninfo") && strstr(buf, "password"))
				snprintf(buf, sizeof buf, "(set, contains a password)");
			fprintf(out, "%s.%s = %s\n", keys[i].k.section, keys[i].k.key, buf);
		}
}

const char *
config_documents_required(const struct config *c, int ev)
{
	switch (ev) {
	case EV_PUBLISH: return c->doc_publish;
	case EV_SIGN_CONTRACT: return c->doc_sign;
	case EV_ACCEPT: return c->doc_accept;
	case EV_CONFIRM_PAYMENT: return c->doc_payment;
	default: return "";
	}
}
