/* Configuration: one table of keys with defaults, read from an ini file. */
#ifndef PROCURD_CONFIG_H
#define PROCURD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "deadline.h"
#include "rules.h"

struct config {
	char *path;
	/* [database] */
	char *db_conninfo;
	int db_pool_size;
	char *db_migrations;
	int db_project_cache;
	bool db_group_commit;
	int db_group_commit_pipes;
	/* [http] */
	char *http_listen;
	int64_t http_max_body_bytes;
	int http_timeout_seconds;
	int http_token_cache_seconds;
	int http_session_idle_minutes;
	bool http_secure_cookies;
	char *http_web_root;
	int http_public_per_minute;
	/* [ocds] */
	char *ocds_ocid_prefix;
	/* [log] */
	char *log_config;
	/* [clock] */
	bool clock_adjustable;
	/* [policy] */
	char *policy_profiles;
	int plan_due_month, plan_due_day;	/* [funding_plan]: the last day to report */
	int plan_remind_days, plan_second_days;
	int notify_keep_delivered_days;		/* [notify] keep_delivered_days */
	int64_t doc_max_bytes;			/* [documents] max_bytes */
	char *doc_publish, *doc_sign, *doc_accept, *doc_payment;	/* kinds required */
	char *doc_public;			/* kinds the public register shows */
	/* [calendar] */
	char *calendar_file;
	int calendar_utc_offset;
	/* [notify] and [events] */
	char *notify_jobs_endpoint;
	char *notify_acks_endpoint;
	int notify_lease_seconds;
	int notify_max_attempts;
	int notify_hwm;
	int notify_backoff_ms;
	char *events_endpoint;
	/* [deadlines] */
	int deadline_batch;
	struct deadline_config deadlines;
	/* [windows] and [rules]: every legal figure */
	struct rules_config rules;
};

/* One key of the table: what config/procurd.conf must show. */
struct config_key {
	const char *section;
	const char *key;
	const char *def;	/* default, as written in the file */
};
const struct config_key *config_keys(size_t *n);

/* Read PATH over the defaults. Returns a new config (config_free() it), or
 * NULL with the reason written to ERR (one line per problem). */
struct config *config_load(const char *path, char *err, size_t errlen);
void config_free(struct config *c);
/* Print every key with the value in force, the rules first (procurd -n). */
void config_print(const struct config *c, FILE *out);
/* Value of SECTION.KEY in force as text into BUF; -1 when unknown. */
int config_get(const struct config *c, const char *section, const char *key, char *buf,
    size_t len);

/* The kinds of document EV requires (a comma-separated list, "" none). */
const char *config_documents_required(const struct config *c, int ev);

#endif
