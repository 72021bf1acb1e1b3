/* Notification texts: config/templates/<name>.<lang>.txt, rendered per job. */
#ifndef PROCUR_NOTIFY_TEMPLATE_H
#define PROCUR_NOTIFY_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct template_set;

/* Load every <name>.<lang>.txt under DIR. Returns the set (the caller frees
 * it with template_set_free()), or NULL with the reason in ERR (ERRLEN
 * bytes) when DIR cannot be read or a file is malformed: the first line must
 * be "Subject: ...", the second empty, and the text UTF-8. */
struct template_set *template_set_load(const char *dir, char *err, size_t errlen);
void template_set_free(struct template_set *set);
size_t template_set_count(const struct template_set *set);

/* Render template NAME for one job. The language is the first of LANG,
 * DEFAULT_LANG, "zh", "en" the template exists in, then any. *SUBJECT (one
 * line) and *BODY are new strings the caller frees; *USED_LANG points into
 * the set, LANG or DEFAULT_LANG, so it lives as long as they do. Returns
 * true, or false when no file has NAME: then a generic text listing DATA is
 * rendered instead, in LANG (zh or en) or DEFAULT_LANG. */
bool template_render(const struct template_set *set, const char *name,
    const char *lang, const char *default_lang, const json_t *data,
    int64_t project_id, char **subject, char **body, const char **used_lang);

/* Expand the placeholders of TEXT (see workers/README.md): {{key}},
 * {{a.b}}, {{key|yuan}}, {{key|label}} (alias
 * {{key|state}}), {{key|time}}, {{#key}}…{{/key}},
 * {{^key}}…{{/key}}. Missing keys expand to nothing. {{project_id}} falls
 * back to PROJECT_ID. The caller frees the result. */
char *template_expand(const char *text, const json_t *data, int64_t project_id,
    const char *lang);

#endif
