/* Unit tests: template loading, placeholder expansion, language choice. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../workers/template.h"

static json_t *
data_of(const char *json)
{
	json_t *d = json_loads(json, 0, NULL);

	assert_non_null(d);
	return d;
}

static void
expect_expand(const char *text, const char *json, const char *lang, const char *want)
{
	json_t *d = data_of(json);
	char *got = template_expand(text, d, 42, lang);

	assert_string_equal(got, want);
	free(got);
	json_decref(d);
}

static void
test_placeholders(void **state)
{
	(void)state;
	expect_expand("项目「{{title}}」已提交需求审核", "{\"title\":\"社区养老\"}", "zh",
	    "项目「社区养老」已提交需求审核");
	expect_expand("{{ title }}/{{n}}/{{r}}/{{t}}/{{f}}/{{z}}/{{missing}}.",
	    "{\"title\":\"x\",\"n\":12,\"r\":1.5,\"t\":true,\"f\":false,\"z\":null}", "en",
	    "x/12/1.5/yes/no//.");
	expect_expand("{{t}}{{f}}", "{\"t\":true,\"f\":false}", "zh", "是否");
	expect_expand("#{{project_id}}", "{}", "en", "#42");
	expect_expand("#{{project_id}}", "{\"project_id\":7}", "en", "#7");
	expect_expand("{{a.b}}", "{\"a\":{\"b\":\"deep\"}}", "en", "deep");
	expect_expand("{{list}}", "{\"list\":[\"甲\",\"乙\"]}", "zh", "甲、乙");
	expect_expand("{{list}}", "{\"list\":[1,2]}", "en", "1, 2");
	/* Not placeholders: left as they are. */
	expect_expand("{single} } { }}", "{}", "en", "{single} } { }}");
	expect_expand("a {{unclosed", "{}", "en", "a {{unclosed");
	expect_expand("", "{}", "en", "");
}

static void
test_filters(void **state)
{
	(void)state;
	expect_expand("{{b|yuan}}", "{\"b\":123456789}", "zh", "1,234,567.89");
	expect_expand("{{b|yuan}}", "{\"b\":5}", "zh", "0.05");
	expect_expand("{{b|yuan}}", "{\"b\":-100000}", "zh", "-1,000.00");
	expect_expand("{{b|yuan}}", "{\"b\":\"n/a\"}", "zh", "n/a");
	expect_expand("{{s|state}}", "{\"s\":\"needs_review\"}", "zh", "需求审核");
	expect_expand("{{s|label}}", "{\"s\":\"public_tender\"}", "en", "public tender");
	expect_expand("{{s|label}}", "{\"s\":\"unknown_code\"}", "zh", "unknown_code");
	expect_expand("{{t|time}}", "{\"t\":\"2026-03-01T09:30:00+08:00\"}", "zh",
	    "2026年3月1日 09:30");
	expect_expand("{{t|time}}", "{\"t\":\"2026-03-01T09:30:00+08:00\"}", "en",
	    "2026-03-01 09:30");
	expect_expand("{{t|time}}", "{\"t\":\"2026-03-01\"}", "zh", "2026年3月1日");
	expect_expand("{{t|time}}", "{\"t\":\"soon\"}", "zh", "soon");
	expect_expand("[{{x|nosuch}}]", "{\"x\":1}", "zh", "[1]");
}

static void
test_sections(void **state)
{
	(void)state;
	expect_expand("a{{#r}}理由：{{r}}\n{{/r}}b", "{\"r\":\"预算不足\"}", "zh",
	    "a理由：预算不足\nb");
	expect_expand("a{{#r}}理由：{{r}}\n{{/r}}b", "{}", "zh", "ab");
	expect_expand("a{{#r}}x{{/r}}b", "{\"r\":\"\"}", "zh", "ab");
	expect_expand("{{#r}}x{{/r}}{{^r}}y{{/r}}", "{\"r\":0}", "zh", "x");
	expect_expand("{{#r}}x{{/r}}{{^r}}y{{/r}}", "{\"r\":null}", "zh", "y");
	expect_expand("{{#a}}<{{#b}}{{b}}{{/b}}>{{/a}}", "{\"a\":1,\"b\":2}", "zh", "<2>");
	/* An unclosed section is text. */
	expect_expand("{{#a}}x", "{\"a\":1}", "zh", "{{#a}}x");
}

static char tmpdir[64];

static void
write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
remove_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
}

static void
make_dir(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_template.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
}

static void
test_load_and_render(void **state)
{
	struct template_set *set;
	char err[256], *subject, *body;
	const char *lang;
	json_t *d = data_of("{\"title\":\"社区养老\",\"reason\":\"缺少服务标准\"}");

	(void)state;
	make_dir();
	write_file("needs_returned.zh.txt",
	    "Subject: 项目「{{title}}」需求审核未通过\n\n退回理由：{{reason}}\n\n");
	write_file("needs_returned.en.txt",
	    "Subject: Project \"{{title}}\" returned\r\n\r\nReason: {{reason}}\r\n");
	write_file("only_en.en.txt", "Subject: Only {{project_id}}\n\nEnglish\n");
	write_file("README", "not a template");
	set = template_set_load(tmpdir, err, sizeof err);
	assert_non_null(set);
	assert_int_equal(template_set_count(set), 3);

	assert_true(template_render(set, "needs_returned", "zh", "en", d, 9,
	    &subject, &body, &lang));
	assert_string_equal(lang, "zh");
	assert_string_equal(subject, "项目「社区养老」需求审核未通过");
	assert_string_equal(body, "退回理由：缺少服务标准");
	free(subject);
	free(body);

	assert_true(template_render(set, "needs_returned", "en", "zh", d, 9,
	    &subject, &body, &lang));
	assert_string_equal(lang, "en");
	assert_string_equal(subject, "Project \"社区养老\" returned");
	assert_string_equal(body, "Reason: 缺少服务标准");
	free(subject);
	free(body);

	/* No language asked: the default. A language without the file: the
	 * default, then whatever exists. */
	assert_true(template_render(set, "needs_returned", NULL, "zh", d, 9,
	    &subject, &body, &lang));
	assert_string_equal(lang, "zh");
	free(subject);
	free(body);
	assert_true(template_render(set, "only_en", "zh", "zh", d, 9,
	    &subject, &body, &lang));
	assert_string_equal(lang, "en");
	assert_string_equal(subject, "Only 9");
	free(subject);
	free(body);

	/* Unknown template: a generic text that still says everything. */
	assert_false(template_render(set, "no_such", "zh", "en", d, 9,
	    &subject, &body, &lang));
	assert_string_equal(lang, "zh");
	assert_non_null(strstr(subject, "no_such"));
	assert_non_null(strstr(body, "reason：缺少服务标准"));
	assert_non_null(strstr(body, "title：社区养老"));
	free(subject);
	free(body);
	assert_false(template_render(set, "no_such", NULL, "en", d, 9,
	    &subject, &body, &lang));
	assert_string_equal(lang, "en");
	assert_string_equal(subject, "[procurd] project 9: no_such");
	free(subject);
	free(body);
	/* An agency's notification (its funding plan) names no project. */
	assert_false(template_render(set, "no_such", NULL, "en", d, 0,
	    &subject, &body, &lang));
	assert_string_equal(subject, "[procurd] no_such");
	assert_null(strstr(body, "Project"));
	free(subject);
	free(body);
	assert_false(template_render(set, "no_such", "zh", "en", d, 0,
	    &subject, &body, &lang));
	assert_null(strstr(subject, "项目"));
	free(subject);
	free(body);

	template_set_free(set);
	json_decref(d);
	remove_dir();
}

static void
test_subject_one_line(void **state)
{
	struct template_set *set;
	char err[256], *subject, *body;
	const char *lang;
	json_t *d = data_of("{\"title\":\"a\\r\\nBcc: x@y\"}");

	(void)state;
	make_dir();
	write_file("t.en.txt", "Subject: {{title}}\n\n{{title}}\n");
	set = template_set_load(tmpdir, err, sizeof err);
	assert_non_null(set);
	assert_true(template_render(set, "t", "en", "en", d, 1, &subject, &body, &lang));
	assert_null(strchr(subject, '\n'));
	assert_null(strchr(subject, '\r'));
	assert_non_null(strchr(body, '\n'));
	free(subject);
	free(body);
	template_set_free(set);
	json_decref(d);
	remove_dir();
}

static void
expect_load_error(const char *name, const char *text, const char *want)
{
	char err[256];
	struct template_set *set;

	make_dir();
	write_file(name, text);
	set = template_set_load(tmpdir, err, sizeof err);
	assert_null(set);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" does not say \"%s\"", err, want);
	remove_dir();
}

static void
test_load_errors(void **state)
{
	char err[256];

	(void)state;
	expect_load_error("a.zh.txt", "no subject\n\nbody\n", "Subject:");
	expect_load_error("a.zh.txt", "Subject: x\nbody right away\n", "must be empty");
	expect_load_error("a.zh.txt", "Subject: x", "no body");
	expect_load_error("a.zh.txt", "Subject:   \n\nbody\n", "empty subject");
	expect_load_error("a.zh.txt", "Subject: \xff\xfe\n\nbody\n", "UTF-8");
	expect_load_error("Bad-Name.zh.txt", "Subject: x\n\nbody\n", "<name>.<lang>.txt");
	expect_load_error("nolang.txt", "Subject: x\n\nbody\n", "<name>.<lang>.txt");
	assert_null(template_set_load("/nonexistent/templates", err, sizeof err));
	assert_non_null(strstr(err, "/nonexistent/templates"));
}

/* The shipped templates: all load, every name in both languages, and each
 * renders a typical job without leaving a placeholder behind. */
static void
test_shipped_templates(void **state)
{
	static const char *const names[] = {
		"needs_submitted", "needs_approved", "needs_returned", "budget_approved",
		"budget_returned", "budget_rejected", "tender_published", "bidding_closed",
		"tender_failed", "award_made", "award_declined", "challenge_opened",
		"challenge_answered", "contract_signed", "service_started",
		"supervision_recorded", "service_completed", "acceptance_passed",
		"acceptance_rejected", "payment_confirmed", "evaluation_published",
		"contractor_exit", "takeover_activated", "takeover_completed",
		"project_cancelled", "deadline_reminder", "deadline_escalation",
	};
	/* a funding plan's: an agency and a year, no project */
	static const char *const plan_names[] = {
		"funding_plan_reminder", "funding_plan_overdue", "funding_plan_reported",
		"funding_plan_confirmed", "funding_plan_returned",
	};
	static const char *const langs[] = { "zh", "en" };
	const char *dir = getenv("TEMPLATES_DIR") ? getenv("TEMPLATES_DIR") : "config/templates";
	char err[256], *subject, *body;
	const char *lang;
	struct template_set *set = template_set_load(dir, err, sizeof err);
	json_t *d = data_of("{\"title\":\"社区居家养老服务\",\"agency\":\"岳麓区民政局\","
	    "\"reason\":\"breach\",\"budget_fen\":120000000,\"state\":\"needs_review\","
	    "\"due_at\":\"2026-03-01T17:00:00+08:00\",\"contractor\":\"长沙市某社工服务中心\"}");

	(void)state;
	if (set == NULL)
		fail_msg("%s (run from the repository root or set TEMPLATES_DIR)", err);
	assert_int_equal(template_set_count(set),
	    2 * (sizeof names / sizeof names[0] + sizeof plan_names / sizeof plan_names[0]));
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		for (size_t j = 0; j < 2; j++) {
			assert_true(template_render(set, names[i], langs[j], "zh", d, 7,
			    &subject, &body, &lang));
			assert_string_equal(lang, langs[j]);
			if (strstr(subject, "{{") || strstr(body, "{{") ||
			    strstr(body, "}}") || strstr(subject, "社区居家养老服务") == NULL)
				fail_msg("%s.%s renders badly:\n%s\n\n%s", names[i], langs[j],
				    subject, body);
			free(subject);
			free(body);
		}
	json_decref(d);
	d = data_of("{\"agency\":\"430104\",\"year\":2027,\"due_at\":\"2026-12-31T16:00:00Z\","
	    "\"level\":3,\"escalated_to\":\"4301\",\"reason\":\"缺岗位测算\",\"actor\":\"f1\"}");
	for (size_t i = 0; i < sizeof plan_names / sizeof plan_names[0]; i++)
		for (size_t j = 0; j < 2; j++) {
			assert_true(template_render(set, plan_names[i], langs[j], "zh", d, 7,
			    &subject, &body, &lang));
			if (strstr(subject, "{{") || strstr(body, "{{") || strstr(body, "}}") ||
			    strstr(subject, "430104") == NULL || strstr(body, "2027") == NULL)
				fail_msg("%s.%s renders badly:\n%s\n\n%s", plan_names[i], langs[j],
				    subject, body);
			free(subject);
			free(body);
		}
	template_set_free(set);
	json_decref(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_placeholders),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_load_and_render),
		cmocka_unit_test(test_subject_one_line),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_shipped_templates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
