/* Fuzz target: what describes an upload. The input is NUL-separated: a
 * Content-Type, a Content-Disposition, a multipart part's headers, then the
 * file's first bytes; each goes through doctype.c, and the kept name is
 * checked to be text of at most DOC_NAME_MAX bytes without a separator. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "doctype.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
safe(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > DOC_NAME_MAX || !utf8_valid(name, n) || strpbrk(name, "/\\\"") ||
	    name[0] == '.')
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *part[4] = { "", "", "", "" };
	size_t plen[4] = { 0 };
	memcpy(copy, data, size);
	copy[size] = '\0';
	size_t at = 0;
	for (int i = 0; i < 4 && at <= size; i++) {
		part[i] = copy + at;
		plen[i] = i == 3 ? size - at : strnlen(copy + at, size - at);
		at += plen[i] + 1;
	}
	char name[DOC_NAME_MAX + 1], ctype[DOC_TYPE_MAX], field[64], boundary[80];
	const char *type = doctype_known(part[0]);
	if (type)
		(void)doctype_matches(type, (const unsigned char *)part[3], plen[3]);
	(void)doctype_boundary(part[0], boundary, sizeof boundary);
	if (doctype_disposition(part[1], name, sizeof name) == 0)
		safe(name);
	if (doctype_part(part[2], plen[2], field, sizeof field, name, sizeof name, ctype,
	    sizeof ctype) == 0 && name[0])
		safe(name);
	doctype_filename(part[3], plen[3], name, sizeof name);
	safe(name);
	char disp[1200];
	doctype_attachment(name, disp, sizeof disp);
	if (strchr(disp, '\r') || strchr(disp, '\n'))
		abort();	/* a header never split */
	json_t *docs = json_pack("[{s:s}]", "kind", part[1]);
	json_decref(doctype_missing(part[0], docs));
	json_decref(docs);
	(void)doctype_listed(part[0], part[1]);
	free(copy);
	return 0;
}
