/* Unit tests: configuration keys, defaults, bad values, procurd.conf. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../workers/conf.h"

static char path[64];

static void
write_conf(const char *text)
{
	FILE *f;
	int fd;

	snprintf(path, sizeof path, "/tmp/test_conf.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
}

static void
test_defaults(void **state)
{
	char *errors = (char *)"untouched";
	struct conf *c = conf_load(NULL, &errors);

	(void)state;
	assert_non_null(c);
	assert_null(errors);
	assert_string_equal(c->jobs_endpoint, "tcp://127.0.0.1:5560");
	assert_string_equal(c->acks_endpoint, "tcp://127.0.0.1:5561");
	assert_string_equal(c->spool_dir, "var/spool");
	assert_string_equal(c->templates_dir, "config/templates");
	assert_string_equal(c->default_lang, "zh");
	assert_int_equal(c->webhook_timeout_ms, 5000);
	assert_int_equal(c->smtp_timeout_ms, 30000);
	assert_string_equal(c->smtp_url, "");
	assert_string_equal(c->smtp_from, "procurd@localhost");
	assert_string_equal(c->smtp_user, "");
	assert_int_equal(c->smtp_tls, SMTP_TLS_TRY);
	assert_string_equal(c->log_config, "config/log4crc");
	assert_false(c->log_config_set);
	assert_non_null(strchr(c->name, '-'));   /* hostname-pid */
	conf_free(c);
	conf_free(NULL);
}

static void
test_values(void **state)
{
	char *errors;
	struct conf *c;

	(void)state;
	write_conf("[database]\nconninfo = host=/tmp\n[http]\nlisten = 1.2.3.4:80\n"
	    "[notify]\njobs_endpoint = ipc:///tmp/jobs\nacks_endpoint = tcp://10.0.0.1:6000\n"
	    "lease_seconds = 30\n"
	    "[worker]\nname = w-1\nspool_dir = /srv/spool\ndefault_lang = en\n"
	    "webhook_timeout_ms = 250\nsmtp_url = smtps://mail.example.cn:465\n"
	    "smtp_from = noreply@example.cn\nsmtp_user = u\nsmtp_password = p w\n"
	    "smtp_tls = required\nsomething_new = 1\n[log]\nconfig = /etc/log4crc\n");
	c = conf_load(path, &errors);
	unlink(path);
	if (c == NULL)
		fail_msg("%s", errors);
	assert_string_equal(c->jobs_endpoint, "ipc:///tmp/jobs");
	assert_string_equal(c->acks_endpoint, "tcp://10.0.0.1:6000");
	assert_string_equal(c->name, "w-1");
	assert_string_equal(c->spool_dir, "/srv/spool");
	assert_string_equal(c->default_lang, "en");
	assert_int_equal(c->webhook_timeout_ms, 250);
	assert_string_equal(c->smtp_url, "smtps://mail.example.cn:465");
	assert_string_equal(c->smtp_from, "noreply@example.cn");
	assert_string_equal(c->smtp_password, "p w");
	assert_int_equal(c->smtp_tls, SMTP_TLS_REQUIRED);
	assert_string_equal(c->log_config, "/etc/log4crc");
	assert_true(c->log_config_set);
	conf_free(c);
}

static void
expect_error(const char *text, const char *want)
{
	char *errors = NULL;
	struct conf *c;

	write_conf(text);
	c = conf_load(path, &errors);
	unlink(path);
	if (c != NULL)
		fail_msg("accepted:\n%s", text);
	if (strstr(errors, want) == NULL)
		fail_msg("errors \"%s\" do not say \"%s\"", errors, want);
	free(errors);
}

static void
test_errors(void **state)
{
	(void)state;
	expect_error("[worker]\ndefault_lang = fr\n", "default_lang = fr: must be zh or en");
	expect_error("[worker]\nwebhook_timeout_ms = 0\n", "webhook_timeout_ms");
	expect_error("[worker]\nwebhook_timeout_ms = 5s\n", "webhook_timeout_ms");
	expect_error("[worker]\nsmtp_timeout_ms = 99999999999999999999\n", "smtp_timeout_ms");
	expect_error("[worker]\nsmtp_url = http://mail\n", "smtp_url");
	expect_error("[worker]\nsmtp_from = Procurd <p@x>\n", "smtp_from");
	expect_error("[worker]\nsmtp_tls = maybe\n", "smtp_tls");
	expect_error("[worker]\nsmtp_url = smtp://mail\nsmtp_user = u\nsmtp_tls = none\n",
	    "clear text");
	expect_error("[worker]\nspool_dir =\n", "spool_dir");
	expect_error("[worker]\nname = a b\n", "name");
	expect_error("[notify]\njobs_endpoint = 127.0.0.1:5560\n", "jobs_endpoint");
	expect_error("[worker]\nname = a\nname = b\n", "given twice");
	expect_error("[worker\nname = a\n", ":1:");
	/* Several problems: all reported. */
	expect_error("[worker]\ndefault_lang = fr\nsmtp_tls = x\n", "smtp_tls = x");
	{
		char *errors = NULL;

		assert_null(conf_load("/nonexistent/procur-notify.conf", &errors));
		assert_non_null(strstr(errors, "No such file"));
		free(errors);
	}
}

/* The sample config and procurd's both load: every key of the sample is a
 * known one (commented defaults uncommented must parse and equal the
 * defaults). */
static void
test_sample_files(void **state)
{
	char *errors = NULL, line[512];
	struct conf *c, *d;
	FILE *in, *out;
	int fd, keys = 0;

	(void)state;
	c = conf_load("config/procurd.conf", &errors);
	if (c == NULL)
		fail_msg("config/procurd.conf (run from the repository root): %s", errors);
	conf_free(c);

	in = fopen("config/procur-notify.conf", "r");
	assert_non_null(in);
	snprintf(path, sizeof path, "/tmp/test_conf.XXXXXX");
	fd = mkstemp(path);
	out = fdopen(fd, "w");
	while (fgets(line, sizeof line, in)) {
		/* ";key = value" lines are the commented defaults. */
		if (line[0] == ';' && line[1] != ' ' && line[1] != '\n' && strchr(line, '=')) {
			fputs(line + 1, out);
			keys++;
		} else {
			fputs(line, out);
		}
	}
	fclose(in);
	fclose(out);
	assert_int_equal(keys, 14);
	c = conf_load(path, &errors);
	unlink(path);
	if (c == NULL)
		fail_msg("%s", errors);
	d = conf_load(NULL, &errors);
	assert_string_equal(c->jobs_endpoint, d->jobs_endpoint);
	assert_string_equal(c->acks_endpoint, d->acks_endpoint);
	assert_string_equal(c->spool_dir, d->spool_dir);
	assert_string_equal(c->templates_dir, d->templates_dir);
	assert_string_equal(c->default_lang, d->default_lang);
	assert_int_equal(c->webhook_timeout_ms, d->webhook_timeout_ms);
	assert_int_equal(c->smtp_timeout_ms, d->smtp_timeout_ms);
	assert_string_equal(c->smtp_url, d->smtp_url);
	assert_string_equal(c->smtp_from, d->smtp_from);
	assert_int_equal(c->smtp_tls, d->smtp_tls);
	assert_string_equal(c->log_config, d->log_config);
	conf_free(c);
	conf_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_sample_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
