/* procur-notify configuration: every key, its default and its check. */
#include "conf.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smtp.h"
#include "strbuf.h"
#include "util.h"

enum kind { K_STR, K_ENDPOINT, K_LANG, K_MS, K_SMTP_URL, K_ADDR, K_TLS, K_NAME };

/* The one list of keys; config/procur-notify.conf shows each with its
 * default, and the README lists them. An empty default is "". */
static const struct key {
	const char *section, *name;
	enum kind kind;
	size_t off;
	const char *def;
} keys[] = {
	{ "notify", "jobs_endpoint", K_ENDPOINT, offsetof(struct conf, jobs_endpoint), "tcp://127.0.0.1:5560" },
	{ "notify", "acks_endpoint", K_ENDPOINT, offsetof(struct conf, acks_endpoint), "tcp://127.0.0.1:5561" },
	{ "worker", "name", K_NAME, offsetof(struct conf, name), "" },
	{ "worker", "spool_dir", K_STR, offsetof(struct conf, spool_dir), "var/spool" },
	{ "worker", "templates_dir", K_STR, offsetof(struct conf, templates_dir), "config/templates" },
	{ "worker", "default_lang", K_LANG, offsetof(struct conf, default_lang), "zh" },
	{ "worker", "webhook_timeout_ms", K_MS, offsetof(struct conf, webhook_timeout_ms), "5000" },
	{ "worker", "smtp_timeout_ms", K_MS, offsetof(struct conf, smtp_timeout_ms), "30000" },
	{ "worker", "smtp_url", K_SMTP_URL, offsetof(struct conf, smtp_url), "" },
	{ "worker", "smtp_from", K_ADDR, offsetof(struct conf, smtp_from), "procurd@localhost" },
	{ "worker", "smtp_user", K_STR, offsetof(struct conf, smtp_user), "" },
	{ "worker", "smtp_password", K_STR, offsetof(struct conf, smtp_password), "" },
	{ "worker", "smtp_tls", K_TLS, offsetof(struct conf, smtp_tls), "try" },
	{ "log", "config", K_STR, offsetof(struct conf, log_config), "config/log4crc" },
};

struct load {
	struct conf *c;
	struct strbuf errors;
	const char *path;
	bool seen[sizeof keys / sizeof keys[0]];
};

/* Store VALUE for key K; a message in ERR when it is not acceptable. */
static int
set_value(struct conf *c, const struct key *k, const char *value, char *err,
    size_t errlen)
{
	char *base = (char *)c + k->off;
	int64_t n;

	switch (k->kind) {
	case K_MS:
		if (parse_int64(value, &n) != 0 || n < 1 || n > 3600000) {
			snprintf(err, errlen, "must be milliseconds from 1 to 3600000");
			return -1;
		}
		*(long *)(void *)base = (long)n;
		return 0;
	case K_TLS:
		if (strcmp(value, "none") == 0)
			c->smtp_tls = SMTP_TLS_NONE;
		else if (strcmp(value, "try") == 0)
			c->smtp_tls = SMTP_TLS_TRY;
		else if (strcmp(value, "required") == 0)
			c->smtp_tls = SMTP_TLS_REQUIRED;
		else {
			snprintf(err, errlen, "must be none, try or required");
			return -1;
		}
		return 0;
	case K_ENDPOINT:
		if (strstr(value, "://") == NULL || strstr(value, "://")[3] == '\0') {
			snprintf(err, errlen, "must be a ZeroMQ endpoint like tcp://127.0.0.1:5560");
			return -1;
		}
		break;
	case K_LANG:
		if (strcmp(value, "zh") != 0 && strcmp(value, "en") != 0) {
			snprintf(err, errlen, "must be zh or en");
			return -1;
		}
		break;
	case K_SMTP_URL:
		if (value[0] != '\0' && strncmp(value, "smtp://", 7) != 0 &&
		    strncmp(value, "smtps://", 8) != 0) {
			snprintf(err, errlen, "must be empty, smtp://HOST[:PORT] or smtps://HOST[:PORT]");
			return -1;
		}
		break;
	case K_ADDR:
		if (!smtp_address_ok(value)) {
			snprintf(err, errlen, "must be a bare address like procurd@example.gov.cn");
			return -1;
		}
		break;
	case K_NAME:
		for (const char *p = value; *p; p++)
			if ((unsigned char)*p <= ' ' || *p == '"' || *p == '\\') {
				snprintf(err, errlen, "must have no spaces, quotes or backslashes");
				return -1;
			}
		break;
	case K_STR:
		if (value[0] == '\0' && k->def[0] != '\0') {
			snprintf(err, errlen, "must not be empty");
			return -1;
		}
		break;
	}
	free(*(char **)(void *)base);
	*(char **)(void *)base = xstrdup(value);
	return 0;
}

static int
on_key(void *user, const char *section, const char *name, const char *value)
{
	struct load *l = user;
	char err[160];

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const struct key *k = &keys[i];

		if (strcmp(section, k->section) != 0 || strcmp(name, k->name) != 0)
			continue;
		if (l->seen[i])
			strbuf_addf(&l->errors, "%s: [%s] %s given twice\n", l->path,
			    section, name);
		l->seen[i] = true;
		if (set_value(l->c, k, value, err, sizeof err) != 0)
			strbuf_addf(&l->errors, "%s: [%s] %s = %s: %s\n", l->path,
			    section, name, value, err);
		if (k->off == offsetof(struct conf, log_config))
			l->c->log_config_set = true;
		return 1;
	}
	return 1; /* procurd's keys and anything else: not ours */
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (keys[i].kind != K_MS && keys[i].kind != K_TLS)
			free(*(char **)(void *)((char *)c + keys[i].off));
	free(c);
}

struct conf *
conf_load(const char *path, char **errors)
{
	struct load l = { .c = xcalloc(1, sizeof *l.c), .errors = STRBUF_INIT,
	    .path = path };
	struct conf *ok = NULL;
	char err[160];
	int rc;

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (set_value(l.c, &keys[i], keys[i].def, err, sizeof err) != 0 &&
		    keys[i].def[0] != '\0')
			abort(); /* a default that fails its own check */
	if (path) {
		rc = ini_parse(path, on_key, &l);
		if (rc < 0)
			strbuf_addf(&l.errors, "%s: %s\n", path,
			    rc == -1 ? strerror(errno) : "out of memory");
		else if (rc > 0)
			strbuf_addf(&l.errors, "%s:%d: not an ini line (or longer than 200 bytes)\n",
			    path, rc);
	}
	if (l.c->name[0] == '\0') {
		char host[256] = "localhost";

		gethostname(host, sizeof host - 1);
		host[sizeof host - 1] = '\0';
		free(l.c->name);
		l.c->name = xasprintf("%s-%ld", host, (long)getpid());
	}
	if (l.c->smtp_user[0] != '\0' && l.c->smtp_tls == SMTP_TLS_NONE &&
	    strncmp(l.c->smtp_url, "smtps://", 8) != 0)
		strbuf_addf(&l.errors, "%s: [worker] smtp_user with smtp_tls = none "
		    "would send the password in clear text\n", path ? path : "defaults");
	if (l.errors.len == 0) {
		ok = l.c;
		l.c = NULL;
		*errors = NULL;
	} else {
		*errors = strbuf_take(&l.errors);
	}
	strbuf_release(&l.errors);
	conf_free(l.c);
	return ok;
}
