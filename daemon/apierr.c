/* The API's error, set once and cleared. */
#include "apierr.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "util.h"

void
apierr_set(struct apierr *e, int status, const char *code, json_t *details, const char *fmt, ...)
{
	va_list ap;
	if (e == NULL) {
		json_decref(details);
		return;
	}
	json_decref(e->details);
	e->status = status;
	snprintf(e->code, sizeof e->code, "%s", code);
	/* a message quotes what a request sent, cut to fit (by the buffer or a
	 * precision): it goes out as JSON, which holds only UTF-8 */
	va_start(ap, fmt);
	utf8_vformat(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
	e->details = details;
}

void
apierr_clear(struct apierr *e)
{
	json_decref(e->details);
	memset(e, 0, sizeof *e);
}
