/* Fuzz target: the working-day calendar file, line by line as the store
 * reads it, and the periods of the deadline configuration. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "calendar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	int year = 0;
	char err[256];
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		struct cal_line cl;
		if (calendar_line_parse(line, year, &cl, err, sizeof err) == 0 && cl.kind == CAL_YEAR)
			year = cl.year;
		struct period per;
		char buf[64];
		if (period_parse(line, &per) == 0)
			period_format(per, buf, sizeof buf);
	}
	free(text);
	return 0;
}
