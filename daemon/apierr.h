/* The API's error: status, snake_case code, a human message and optional
 * details, as DESIGN.md's error shape shows them. */
#ifndef PROCURD_APIERR_H
#define PROCURD_APIERR_H

#include <jansson.h>

/* Owned details: apierr_clear() frees them. */
struct apierr {
	int status;
	char code[40];
	char message[400];
	json_t *details;
};
/* Set E (replacing what it held); the message is cut between characters to
 * fit and stays UTF-8 whatever FMT quotes. E NULL: DETAILS are freed. */
void apierr_set(struct apierr *e, int status, const char *code, json_t *details,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void apierr_clear(struct apierr *e);

#endif
