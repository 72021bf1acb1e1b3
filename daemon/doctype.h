/* Uploaded documents at the edge: the types taken (PDF, images, office
 * documents), whether a file's first bytes are what its declared type says,
 * its name made safe to keep and to send back, and the headers of an
 * upload (Content-Disposition, a multipart/form-data boundary and a part's
 * headers). Pure: fuzzed and unit-tested as it is. */
#ifndef PROCURD_DOCTYPE_H
#define PROCURD_DOCTYPE_H

#include <stdbool.h>
#include <stddef.h>

#define DOC_NAME_MAX 255
#define DOC_TYPE_MAX 128

/* CTYPE (parameters and case ignored) when it is a type we keep, as its
 * canonical name; NULL otherwise. */
const char *doctype_known(const char *ctype);
/* Whether the file's first N bytes HEAD are what the known type TYPE says
 * (%PDF-, PNG's and JPEG's signatures, ZIP for OOXML/ODF/OFD, OLE2 for the
 * older office formats, WebP, TIFF, GIF). */
bool doctype_matches(const char *type, const unsigned char *head, size_t n);
/* The name a user gave, kept: its last path component, without control
 * characters, quotes or backslashes, valid UTF-8, at most DOC_NAME_MAX
 * bytes (cut at a character); "document" when nothing is left. */
void doctype_filename(const char *raw, size_t len, char *out, size_t outlen);
/* The filename of a Content-Disposition header (filename*=UTF-8''… is
 * preferred, then filename="…" or filename=…), made safe: 0, or -1 when
 * the header names none. */
int doctype_disposition(const char *header, char *out, size_t outlen);
/* The boundary of a multipart/form-data Content-Type: 0, or -1. */
int doctype_boundary(const char *ctype, char *out, size_t outlen);
/* A multipart part's header block (N bytes, CRLF lines): its field name,
 * filename (safe) and Content-Type ("" when absent): 0, or -1 when it is
 * not a form-data part. */
int doctype_part(const char *hdrs, size_t n, char *name, size_t namelen, char *filename,
    size_t filelen, char *ctype, size_t ctypelen);

/* The Content-Disposition of a download of FILENAME (a kept, safe name):
 * attachment, an ASCII fallback name and the UTF-8 one (RFC 6266); OUT
 * holds 1,200 bytes at least. */
void doctype_attachment(const char *filename, char *out, size_t outlen);

#include <jansson.h>
/* The kinds of LIST (comma-separated; NULL or "" none) as a new array. */
json_t *doctype_kinds(const char *list);
/* The kinds of REQUIRED (comma-separated; NULL or "" none) that no document
 * of DOCS (an array of {kind, …}) is of: a new array, empty when none. */
json_t *doctype_missing(const char *required, const json_t *docs);
/* Whether KIND is one of LIST (comma-separated). */
bool doctype_listed(const char *list, const char *kind);

#endif
