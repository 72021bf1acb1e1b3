/* Uploaded documents at the edge (doctype.h). */
#include "doctype.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "util.h"

static const char *const known[] = {
	"application/pdf", "image/png", "image/jpeg", "image/gif", "image/tiff", "image/webp",
	"application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation",
	"application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
	"application/ofd",	/* 版式文档 GB/T 33190, the format of Chinese e-documents */
};

const char *
doctype_known(const char *ctype)
{
	if (ctype == NULL)
		return NULL;
	size_t n = strcspn(ctype, ";");
	while (n > 0 && ctype[n - 1] == ' ')
		n--;
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strlen(known[i]) == n && strncasecmp(known[i], ctype, n) == 0)
			return known[i];
	return NULL;
}

static bool
starts(const unsigned char *head, size_t n, const char *sig, size_t len)
{
	return n >= len && memcmp(head, sig, len) == 0;
}

bool
doctype_matches(const char *type, const unsigned char *h, size_t n)
{
	if (type == NULL)
		return false;
	if (!strcmp(type, "application/pdf"))
		return starts(h, n, "%PDF-", 5);
	if (!strcmp(type, "image/png"))
		return starts(h, n, "\x89PNG\r\n\x1a\n", 8);
	if (!strcmp(type, "image/jpeg"))
		return starts(h, n, "\xff\xd8\xff", 3);
	if (!strcmp(type, "image/gif"))
		return starts(h, n, "GIF87a", 6) || starts(h, n, "GIF89a", 6);
	if (!strcmp(type, "image/tiff"))
		return starts(h, n, "II*\0", 4) || starts(h, n, "MM\0*", 4);
	if (!strcmp(type, "image/webp"))
		return starts(h, n, "RIFF", 4) && n >= 12 && memcmp(h + 8, "WEBP", 4) == 0;
	if (!strncmp(type, "application/vnd.ms-", 19) || !strcmp(type, "application/msword"))
		return starts(h, n, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8);
	/* OOXML, ODF and OFD are ZIP archives */
	return starts(h, n, "PK\x03\x04", 4);
}

void
doctype_filename(const char *raw, size_t len, char *out, size_t outlen)
{
	/* the last path component, of either kind of separator */
	const char *start = raw;
	for (size_t i = 0; i < len; i++)
		if (raw[i] == '/' || raw[i] == '\\')
			start = raw + i + 1;
	size_t n = len - (size_t)(start - raw), o = 0;
	size_t cap = outlen - 1 < DOC_NAME_MAX ? outlen - 1 : DOC_NAME_MAX;
	for (size_t i = 0; i < n && o < cap; ) {
		unsigned char c = (unsigned char)start[i];
		size_t clen = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		if (clen == 0 || i + clen > n || !utf8_valid(start + i, clen)) {
			i++;	/* a byte that is not text: dropped */
			continue;
		}
		if (clen == 1 && (c < 0x20 || c == 0x7f || c == '"' || c == '\'' || c == ';' ||
		    c == '<' || c == '>' || c == '`')) {
			i++;
			continue;
		}
		if (o + clen > cap)
			break;	/* never half a character */
		memcpy(out + o, start + i, clen);
		o += clen;
		i += clen;
	}
	out[o] = '\0';
	/* no name of dots alone (".", ".."), nor a name hidden by a leading dot */
	size_t lead = strspn(out, ". ");
	if (lead)
		memmove(out, out + lead, o - lead + 1);
	if (out[0] == '\0')
		snprintf(out, outlen, "document");
}

static int
hexval(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

/* The value of parameter NAME (case-insensitive) in header H: its start and
 * length (quotes taken off), or NULL. */
static const char *
param(const char *h, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	for (const char *p = h; (p = strchr(p, ';')) != NULL; ) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == '=') {
			p += nl + 1;
			if (*p == '"') {
				const char *e = strchr(p + 1, '"');
				if (e == NULL)
					return NULL;
				*len = (size_t)(e - p - 1);
				return p + 1;
			}
			*len = strcspn(p, "; \t\r\n");
			return p;
		}
	}
	return NULL;
}

int
doctype_disposition(const char *header, char *out, size_t outlen)
{
	char raw[1024];
	size_t len, o = 0;
	if (header == NULL)
		return -1;
	const char *v = param(header, "filename*", &len);
	if (v && len > 7 && strncasecmp(v, "UTF-8''", 7) == 0) {
		/* RFC 6266 / 8187: percent-encoded UTF-8 */
		for (size_t i = 7; i < len && o < sizeof raw - 1; i++) {
			int a, b;
			if (v[i] == '%' && i + 2 < len && (a = hexval(v[i + 1])) >= 0 &&
			    (b = hexval(v[i + 2])) >= 0) {
				raw[o++] = (char)(a * 16 + b);
				i += 2;
			} else
				raw[o++] = v[i];
		}
		doctype_filename(raw, o, out, outlen);
		return 0;
	}
	if ((v = param(header, "filename", &len)) == NULL || len == 0)
		return -1;
	doctype_filename(v, len < sizeof raw ? len : sizeof raw - 1, out, outlen);
	return 0;
}

int
doctype_boundary(const char *ctype, char *out, size_t outlen)
{
	size_t len;
	if (ctype == NULL || strncasecmp(ctype, "multipart/form-data", 19) != 0)
		return -1;
	const char *b = param(ctype, "boundary", &len);
	if (b == NULL || len == 0 || len > 70 || len + 1 > outlen)
		return -1;
	memcpy(out, b, len);
	out[len] = '\0';
	return 0;
}

int
doctype_part(const char *hdrs, size_t n, char *name, size_t namelen, char *filename,
    size_t filelen, char *ctype, size_t ctypelen)
{
	char line[1024];
	bool form = false;
	name[0] = filename[0] = ctype[0] = '\0';
	for (size_t i = 0; i < n; ) {
		size_t e = i;
		while (e < n && hdrs[e] != '\r' && hdrs[e] != '\n')
			e++;
		size_t l = e - i < sizeof line - 1 ? e - i : sizeof line - 1;
		memcpy(line, hdrs + i, l);
		line[l] = '\0';
		i = e;
		while (i < n && (hdrs[i] == '\r' || hdrs[i] == '\n'))
			i++;
		if (strncasecmp(line, "Content-Disposition:", 20) == 0) {
			const char *v = line + 20 + strspn(line + 20, " \t");
			if (strncasecmp(v, "form-data", 9) != 0)
				return -1;
			form = true;
			size_t len;
			const char *nm = param(v, "name", &len);
			if (nm && len < namelen) {
				memcpy(name, nm, len);
				name[len] = '\0';
			}
			if (doctype_disposition(v, filename, filelen) != 0)
				filename[0] = '\0';
		} else if (strncasecmp(line, "Content-Type:", 13) == 0) {
			const char *v = line + 13 + strspn(line + 13, " \t");
			snprintf(ctype, ctypelen, "%s", v);
		}
	}
	return form ? 0 : -1;
}

bool
doctype_listed(const char *list, const char *kind)
{
	size_t k = strlen(kind);
	for (const char *p = list; p && *p; ) {
		p += strspn(p, " ,");
		size_t n = strcspn(p, ", ");
		if (n == k && n > 0 && strncmp(p, kind, n) == 0)
			return true;
		p += n;
	}
	return false;
}

json_t *
doctype_kinds(const char *list)
{
	json_t *kinds = json_array();
	for (const char *p = list; p && *p; ) {
		p += strspn(p, " ,");
		size_t n = strcspn(p, ", ");
		if (n)
			json_array_append_new(kinds, json_stringn(p, n));
		p += n;
	}
	return kinds;
}

json_t *
doctype_missing(const char *required, const json_t *docs)
{
	json_t *kinds = doctype_kinds(required), *missing = json_array();
	size_t k, i;
	json_t *kind;
	const json_t *d;
	json_array_foreach(kinds, k, kind) {
		bool found = false;
		json_array_foreach(docs, i, d)
			found |= json_equal(json_object_get(d, "kind"), kind);
		if (!found)
			json_array_append(missing, kind);
	}
	json_decref(kinds);
	return missing;
}

void
doctype_attachment(const char *filename, char *out, size_t outlen)
{
	char ascii[DOC_NAME_MAX + 1], pct[3 * DOC_NAME_MAX + 1];
	size_t a = 0, p = 0;
	for (const unsigned char *c = (const unsigned char *)filename; *c && a < DOC_NAME_MAX; c++)
		ascii[a++] = *c >= 0x20 && *c < 0x7f && *c != '"' && *c != '\\' ? (char)*c : '_';
	ascii[a] = '\0';
	for (const unsigned char *c = (const unsigned char *)filename; *c && p + 3 < sizeof pct; c++) {
		if (isalnum(*c) || strchr("!#$&+-.^_`|~", *c))
			pct[p++] = (char)*c;
		else
			p += (size_t)snprintf(pct + p, sizeof pct - p, "%%%02X", *c);
	}
	pct[p] = '\0';
	snprintf(out, outlen, "attachment; filename=\"%s\"; filename*=UTF-8''%s", ascii, pct);
}
