/* Fuzz target: a notification template's text, expanded against a job's
 * data as the worker does, in both languages. */
#include <stdint.h>
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
