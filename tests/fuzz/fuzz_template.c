/* Fuzz target: a notification template as a file (read by
 * template_set_load(): BOM, UTF-8, the Subject line) and its text expanded
 * against a job's data as the worker does, in both languages. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *d;
	if (d == NULL)
		d = json_pack("{s:s,s:s,s:I,s:s,s:{s:s,s:[s,s]},s:b,s:s}", "title", "社区 <casework>",
		    "state", "in_service", "budget_fen", (json_int_t)120000000, "due",
		    "2026-03-02T09:00:00+08:00", "plan", "interim_provider", "in_house", "contacts",
		    "a", "b", "urgent", 1, "reason", "breach");
	static char dir[64], file[128];
	if (dir[0] == '\0') {
		snprintf(dir, sizeof dir, "/tmp/procurd-fuzz-tpl.XXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
		snprintf(file, sizeof file, "%s/fuzzed.zh.txt", dir);
	}
	FILE *f = fopen(file, "wb");
	if (f) {
		fwrite(data, 1, size, f);
		fclose(f);
		char err[256], *subject = NULL, *body = NULL;
		const char *used;
		struct template_set *set = template_set_load(dir, err, sizeof err);
		if (set) {
			template_render(set, "fuzzed", "zh", "en", d, 42, &subject, &body, &used);
			free(subject);
			free(body);
		}
		template_set_free(set);
	}
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	char *zh = template_expand(text, d, 42, "zh");
	char *en = template_expand(text, d, 42, "en");
	free(zh);
	free(en);
	free(text);
	return 0;
}
