/* JSON objects built without a format to read: json_pack() parses its
 * format on every call, a third of the time of a small object (render.c
 * found the same); the OCDS feed builds thousands a request. Pure. */
#ifndef PROCURD_JBUILD_H
#define PROCURD_JBUILD_H

#include <jansson.h>

/* An object of KEY, VALUE pairs, the list ended by a NULL key: each value
 * taken (a NULL value leaves its key out). Keys are trusted UTF-8. */
json_t *jobj(const char *key, ...);
/* json_string() of S, or null for NULL. */
json_t *jstr(const char *s);

#endif
