/* Objects without a format (jbuild.h). */
#include "jbuild.h"

#include <stdarg.h>

json_t *
jobj(const char *key, ...)
{
	json_t *o = json_object();
	va_list ap;
	va_start(ap, key);
	for (const char *k = key; k; k = va_arg(ap, const char *)) {
		json_t *v = va_arg(ap, json_t *);
		if (v)
			json_object_set_new_nocheck(o, k, v);
	}
	va_end(ap);
	return o;
}

json_t *
jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}
