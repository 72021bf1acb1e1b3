/* procur-notify configuration: a table of keys with defaults, read by inih. */
#ifndef PROCUR_NOTIFY_CONF_H
#define PROCUR_NOTIFY_CONF_H

#include <stdbool.h>

enum smtp_tls {
	SMTP_TLS_NONE,      /* plain text, for a relay on localhost */
	SMTP_TLS_TRY,       /* STARTTLS when the relay offers it */
	SMTP_TLS_REQUIRED,  /* STARTTLS or fail (smtps:// is TLS from the start) */
};

struct conf {
	char *jobs_endpoint;
	char *acks_endpoint;
	char *name;
	char *spool_dir;
	char *templates_dir;
	char *default_lang;
	long webhook_timeout_ms;
	long smtp_timeout_ms;
	char *smtp_url;        /* "" = the smtp channel is off */
	char *smtp_from;
	char *smtp_user;       /* "" = no authentication */
	char *smtp_password;
	enum smtp_tls smtp_tls;
	char *log_config;
	bool log_config_set;   /* [log] config came from the file */
};

/* Read PATH (NULL: defaults only). Unknown sections and keys are ignored, so
 * procurd.conf works too; a known key with a bad value is an error. Returns
 * the configuration (the caller frees it with conf_free()), or NULL and
 * *ERRORS, one problem a line, which the caller frees. */
struct conf *conf_load(const char *path, char **errors);
void conf_free(struct conf *c);

#endif
