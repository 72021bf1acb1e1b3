/* Notification texts: loading the template files and expanding placeholders. */
#include "template.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "strbuf.h"
#include "util.h"

#define TEMPLATE_MAX_BYTES (64 * 1024)

struct template {
	char *name;
	char *lang;
	char *subject;
	char *body;
};

struct template_set {
	struct template *items;
	size_t n;
};

/* Codes the daemon sends as people read them, for {{x|label}} ({{x|state}}
 * is the same): states, methods, funding sources, findings, exit reasons. */
static const struct {
	const char *code, *zh, *en;
} labels[] = {
	{ "draft", "草稿", "draft" },
	{ "needs_review", "需求审核", "needs review" },
	{ "budget_review", "预算审核", "budget review" },
	{ "approved", "预算已批准", "approved" },
	{ "announced", "采购公告已发布", "announced" },
	{ "tender_failed", "采购失败", "tender failed" },
	{ "scoring", "评审", "scoring" },
	{ "awarded", "已确定承接主体", "awarded" },
	{ "contracted", "合同已签订", "contracted" },
	{ "in_service", "服务实施", "in service" },
	{ "acceptance", "履约验收", "acceptance" },
	{ "payment", "资金支付", "payment" },
	{ "year_end_review", "年度绩效评价", "year-end review" },
	{ "closed", "已结项", "closed" },
	{ "takeover", "应急接管", "takeover" },
	{ "terminated", "已终止", "terminated" },
	{ "cancelled", "已撤销", "cancelled" },
	{ "public_tender", "公开招标", "public tender" },
	{ "invited_tender", "邀请招标", "invited tender" },
	{ "competitive_negotiation", "竞争性谈判", "competitive negotiation" },
	{ "competitive_consultation", "竞争性磋商", "competitive consultation" },
	{ "single_source", "单一来源", "single source" },
	{ "special_funds", "专项资金", "special funds" },
	{ "work_funds", "工作经费", "work funds" },
	{ "lottery_funds", "福彩公益金", "welfare-lottery funds" },
	{ "ok", "合格", "satisfactory" },
	{ "issue", "发现问题", "issue found" },
	{ "withdrawal", "主动退出", "withdrawal" },
	{ "bankruptcy", "破产", "bankruptcy" },
	{ "breach", "违约", "breach of contract" },
	{ "fraud", "欺诈", "fraud" },
	{ "in_house", "购买主体自行承担", "the purchaser itself" },
};

void
template_set_free(struct template_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++) {
		free(set->items[i].name);
		free(set->items[i].lang);
		free(set->items[i].subject);
		free(set->items[i].body);
	}
	free(set->items);
	free(set);
}

size_t
template_set_count(const struct template_set *set)
{
	return set ? set->n : 0;
}

static bool
word_ok(const char *s, size_t n, bool dash)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
		    (dash && c == '-')))
			return false;
	}
	return true;
}

static char *
read_small_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f;
	char *buf;
	size_t n;

	f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = xmalloc(TEMPLATE_MAX_BYTES + 1);
	n = fread(buf, 1, TEMPLATE_MAX_BYTES + 1, f);
	if (ferror(f) || n > TEMPLATE_MAX_BYTES) {
		snprintf(err, errlen, "%s: %s", path,
		    ferror(f) ? "read error" : "larger than 64 KiB");
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Split TEXT into subject and body; TEXT is modified. */
static int
parse_template(char *text, size_t len, struct template *t, const char *path,
    char *err, size_t errlen)
{
	char *nl, *body, *end;

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		text += 3, len -= 3;
	if (!utf8_valid(text, len)) {
		snprintf(err, errlen, "%s: not UTF-8 text", path);
		return -1;
	}
	if (strncmp(text, "Subject:", 8) != 0) {
		snprintf(err, errlen, "%s: first line must be \"Subject: ...\"", path);
		return -1;
	}
	nl = strchr(text, '\n');
	if (nl == NULL) {
		snprintf(err, errlen, "%s: no body after the subject line", path);
		return -1;
	}
	end = nl;
	if (end > text && end[-1] == '\r')
		end--;
	text += 8;
	while (*text == ' ' || *text == '\t')
		text++;
	if (end <= text) {
		snprintf(err, errlen, "%s: empty subject", path);
		return -1;
	}
	body = nl + 1;
	if (*body == '\r')
		body++;
	if (*body != '\n') {
		snprintf(err, errlen, "%s: the line after the subject must be empty", path);
		return -1;
	}
	body++;
	/* No trailing blank lines: channels add their own line ends. */
	end = body + strlen(body);
	while (end > body && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	t->subject = xstrndup(text, (size_t)(nl - text - (nl[-1] == '\r')));
	t->body = xstrndup(body, (size_t)(end - body));
	return 0;
}

static int
cmp_template(const void *a, const void *b)
{
	const struct template *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->lang, y->lang);
}

struct template_set *
template_set_load(const char *dir, char *err, size_t errlen)
{
	struct template_set *set = xcalloc(1, sizeof *set), *ok = NULL;
	size_t cap = 0;
	DIR *d;
	struct dirent *de;

	d = opendir(dir);
	if (d == NULL) {
		snprintf(err, errlen, "templates_dir %s: %s", dir, strerror(errno));
		goto done;
	}
	while ((de = readdir(d)) != NULL) {
		const char *fn = de->d_name, *dot1, *dot2;
		size_t fl = strlen(fn), len;
		struct template t = { 0 };
		char *path, *text;
		int rc;

		if (fn[0] == '.' || fl < 5 || strcmp(fn + fl - 4, ".txt") != 0)
			continue;
		dot2 = fn + fl - 4;
		for (dot1 = dot2 - 1; dot1 > fn && *dot1 != '.'; dot1--)
			;
		if (dot1 == fn || !word_ok(fn, (size_t)(dot1 - fn), false) ||
		    !word_ok(dot1 + 1, (size_t)(dot2 - dot1 - 1), true)) {
			snprintf(err, errlen, "%s/%s: name is not <name>.<lang>.txt", dir, fn);
			goto done;
		}
		path = xasprintf("%s/%s", dir, fn);
		text = read_small_file(path, &len, err, errlen);
		rc = text ? parse_template(text, len, &t, path, err, errlen) : -1;
		free(text);
		free(path);
		if (rc != 0)
			goto done;
		t.name = xstrndup(fn, (size_t)(dot1 - fn));
		t.lang = xstrndup(dot1 + 1, (size_t)(dot2 - dot1 - 1));
		if (set->n == cap) {
			cap = cap ? cap * 2 : 64;
			set->items = xrealloc(set->items, cap * sizeof *set->items);
		}
		set->items[set->n++] = t;
	}
	if (set->n)
		qsort(set->items, set->n, sizeof *set->items, cmp_template);
	ok = set;
	set = NULL;
done:
	if (d)
		closedir(d);
	template_set_free(set);
	return ok;
}

static const struct template *
find(const struct template_set *set, const char *name, const char *lang)
{
	if (set == NULL || lang == NULL)
		return NULL;
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->items[i].name, name) == 0 &&
		    strcmp(set->items[i].lang, lang) == 0)
			return &set->items[i];
	return NULL;
}

static const struct template *
find_any(const struct template_set *set, const char *name)
{
	for (size_t i = 0; set && i < set->n; i++)
		if (strcmp(set->items[i].name, name) == 0)
			return &set->items[i];
	return NULL;
}

/* --- expansion --------------------------------------------------------- */

static bool
is_zh(const char *lang)
{
	return lang && strncmp(lang, "zh", 2) == 0;
}

static const json_t *
lookup(const json_t *data, const char *key, size_t n, int64_t project_id,
    json_t **tmp)
{
	const json_t *v = data;
	const char *p = key, *end = key + n;

	while (p < end && v != NULL) {
		const char *dot = memchr(p, '.', (size_t)(end - p));
		size_t seg = (size_t)((dot ? dot : end) - p);
		char name[128];

		if (seg == 0 || seg >= sizeof name || !json_is_object(v))
			return NULL;
		memcpy(name, p, seg);
		name[seg] = '\0';
		v = json_object_get(v, name);
		p = dot ? dot + 1 : end;
	}
	if (v == NULL && project_id > 0 && n == 10 && memcmp(key, "project_id", 10) == 0) {
		*tmp = json_integer(project_id);
		v = *tmp;
	}
	return v;
}

static bool
truthy(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING: return json_string_length(v) > 0;
	case JSON_ARRAY:  return json_array_size(v) > 0;
	case JSON_OBJECT: return json_object_size(v) > 0;
	case JSON_FALSE:
	case JSON_NULL:   return false;
	default:          return true;
	}
}

static void
add_yuan(struct strbuf *b, json_int_t fen)
{
	char digits[32];
	uint64_t u = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
	size_t n;

	snprintf(digits, sizeof digits, "%" PRIu64, u / 100);
	n = strlen(digits);
	if (fen < 0)
		strbuf_adds(b, "-");
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			strbuf_adds(b, ",");
		strbuf_add(b, &digits[i], 1);
	}
	strbuf_addf(b, ".%02u", (unsigned)(u % 100));
}

/* "2026-03-01T09:30:00+08:00" → "2026年3月1日 09:30" or "2026-03-01 09:30";
 * the time stays in the offset it was written in. */
static bool
add_time(struct strbuf *b, const char *s, const char *lang)
{
	int y, mo, d, h = 0, mi = 0, n = 0;
	size_t len = strlen(s);
	bool has_time;

	if (len < 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return false;
	has_time = len >= 16 && (s[10] == 'T' || s[10] == ' ') &&
	    sscanf(s + 11, "%2d:%2d", &h, &mi) == 2;
	if (is_zh(lang))
		strbuf_addf(b, "%d年%d月%d日", y, mo, d);
	else
		strbuf_addf(b, "%04d-%02d-%02d", y, mo, d);
	if (has_time)
		strbuf_addf(b, " %02d:%02d", h, mi);
	return true;
}

static void
add_value(struct strbuf *b, const json_t *v, const char *lang)
{
	char *s;
	size_t i;
	json_t *e;

	switch (json_typeof(v)) {
	case JSON_STRING:
		strbuf_add(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		strbuf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		strbuf_addf(b, "%.15g", json_real_value(v));
		break;
	case JSON_TRUE:
		strbuf_adds(b, is_zh(lang) ? "是" : "yes");
		break;
	case JSON_FALSE:
		strbuf_adds(b, is_zh(lang) ? "否" : "no");
		break;
	case JSON_NULL:
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, e) {
			if (i > 0)
				strbuf_adds(b, is_zh(lang) ? "、" : ", ");
			add_value(b, e, lang);
		}
		break;
	case JSON_OBJECT:
		s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		if (s)
			strbuf_adds(b, s);
		free(s);
		break;
	}
}

static void
add_filtered(struct strbuf *b, const json_t *v, const char *filter, size_t fn,
    const char *lang)
{
	if (v == NULL)
		return;
	if (fn == 4 && memcmp(filter, "yuan", 4) == 0 && json_is_integer(v)) {
		add_yuan(b, json_integer_value(v));
		return;
	}
	if (((fn == 5 && memcmp(filter, "state", 5) == 0) ||
	    (fn == 5 && memcmp(filter, "label", 5) == 0)) && json_is_string(v)) {
		for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
			if (strcmp(json_string_value(v), labels[i].code) == 0) {
				strbuf_adds(b, is_zh(lang) ? labels[i].zh : labels[i].en);
				return;
			}
	}
	if (fn == 4 && memcmp(filter, "time", 4) == 0 && json_is_string(v) &&
	    add_time(b, json_string_value(v), lang))
		return;
	add_value(b, v, lang);
}

static void
trim(const char **s, const char **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;
}

static void
expand(struct strbuf *b, const char *p, const char *end, const json_t *data,
    int64_t project_id, const char *lang, int depth)
{
	while (p < end) {
		const char *open = NULL, *close, *k, *ke, *bar;
		json_t *tmp = NULL;
		const json_t *v;

		for (const char *q = p; q + 1 < end; q++)
			if (q[0] == '{' && q[1] == '{') {
				open = q;
				break;
			}
		if (open == NULL) {
			strbuf_add(b, p, (size_t)(end - p));
			return;
		}
		strbuf_add(b, p, (size_t)(open - p));
		close = NULL;
		for (const char *q = open + 2; q + 1 < end; q++)
			if (q[0] == '}' && q[1] == '}') {
				close = q;
				break;
			}
		if (close == NULL) {
			strbuf_add(b, open, (size_t)(end - open));
			return;
		}
		k = open + 2;
		ke = close;
		trim(&k, &ke);
		if (k < ke && (*k == '#' || *k == '^')) {
			/* A section: its text shown when the key is set (#) or not (^). */
			bool inverted = *k == '^';
			const char *kk = k + 1, *sec, *sec_end = NULL;
			char *tag;
			size_t taglen;

			trim(&kk, &ke);
			tag = xasprintf("{{/%.*s}}", (int)(ke - kk), kk);
			taglen = strlen(tag);
			sec = close + 2;
			for (const char *q = sec; q + taglen <= end; q++)
				if (memcmp(q, tag, taglen) == 0) {
					sec_end = q;
					break;
				}
			free(tag);
			if (sec_end == NULL || depth > 8) {
				strbuf_add(b, open, (size_t)(close + 2 - open));
				p = close + 2;
				continue;
			}
			v = lookup(data, kk, (size_t)(ke - kk), project_id, &tmp);
			if ((v != NULL && truthy(v)) != inverted)
				expand(b, sec, sec_end, data, project_id, lang, depth + 1);
			json_decref(tmp);
			p = sec_end + taglen;
			continue;
		}
		bar = memchr(k, '|', (size_t)(ke - k));
		if (bar) {
			const char *f = bar + 1, *fe = ke, *kend = bar;

			trim(&f, &fe);
			trim(&k, &kend);
			v = lookup(data, k, (size_t)(kend - k), project_id, &tmp);
			add_filtered(b, v, f, (size_t)(fe - f), lang);
		} else {
			v = lookup(data, k, (size_t)(ke - k), project_id, &tmp);
			if (v)
				add_value(b, v, lang);
		}
		json_decref(tmp);
		p = close + 2;
	}
}

char *
template_expand(const char *text, const json_t *data, int64_t project_id,
    const char *lang)
{
	struct strbuf b = STRBUF_INIT;

	expand(&b, text, text + strlen(text), data, project_id, lang, 0);
	return strbuf_take(&b);
}

/* The text for a template nobody wrote: say what happened, list the data. */
static void
render_fallback(const char *name, const char *lang, const json_t *data,
    int64_t project_id, char **subject, char **body)
{
	struct strbuf b = STRBUF_INIT;
	const char *key;
	json_t *v;
	void *iter;
	const char **keys;
	size_t n = 0;

	if (project_id == 0 && is_zh(lang)) {	/* an agency's, not a project's */
		*subject = xasprintf("【政府购买服务】通知：%s", name);
		strbuf_addf(&b, "通知类型：%s\n", name);
	} else if (project_id == 0) {
		*subject = xasprintf("[procurd] %s", name);
		strbuf_addf(&b, "Notification: %s\n", name);
	} else if (is_zh(lang)) {
		*subject = xasprintf("【政府购买服务】项目 %" PRId64 " 通知：%s", project_id, name);
		strbuf_addf(&b, "项目编号：%" PRId64 "\n通知类型：%s\n", project_id, name);
	} else {
		*subject = xasprintf("[procurd] project %" PRId64 ": %s", project_id, name);
		strbuf_addf(&b, "Project: %" PRId64 "\nNotification: %s\n", project_id, name);
	}
	/* Sorted, so the same job always reads the same. */
	keys = xcalloc(json_object_size(data) + 1, sizeof *keys);
	json_object_foreach_safe((json_t *)data, iter, key, v)
		keys[n++] = key;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
			const char *t = keys[j];
			keys[j] = keys[j - 1];
			keys[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		strbuf_addf(&b, "%s%s", keys[i], is_zh(lang) ? "：" : ": ");
		add_value(&b, json_object_get(data, keys[i]), lang);
		strbuf_adds(&b, "\n");
	}
	free(keys);
	*body = strbuf_take(&b);
	(*body)[strlen(*body) - 1] = '\0';
}

bool
template_render(const struct template_set *set, const char *name,
    const char *lang, const char *default_lang, const json_t *data,
    int64_t project_id, char **subject, char **body, const char **used_lang)
{
	const char *order[] = { lang, default_lang, "zh", "en" };
	const struct template *t = NULL;

	for (size_t i = 0; t == NULL && i < sizeof order / sizeof order[0]; i++)
		t = find(set, name, order[i]);
	if (t == NULL)
		t = find_any(set, name);
	if (t == NULL) {
		*used_lang = lang && (strcmp(lang, "zh") == 0 || strcmp(lang, "en") == 0)
		    ? lang : default_lang;
		render_fallback(name, *used_lang, data, project_id, subject, body);
		return false;
	}
	*used_lang = t->lang;
	*subject = template_expand(t->subject, data, project_id, t->lang);
	*body = template_expand(t->body, data, project_id, t->lang);
	/* A subject is one line whatever the data holds. */
	for (char *c = *subject; *c; c++)
		if (*c == '\r' || *c == '\n' || *c == '\t')
			*c = ' ';
	return true;
}
