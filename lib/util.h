/* Small helpers shared by procurd, procurctl and procur-notify. */
#ifndef PROCURD_UTIL_H
#define PROCURD_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* Microseconds since the Unix epoch, UTC: the one time type of the project. */
typedef int64_t usec_t;
#define USEC_PER_SEC  INT64_C(1000000)
#define USEC_PER_DAY  (INT64_C(86400) * USEC_PER_SEC)

/* Out of memory is decided here: these abort, so callers never check. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* V in decimal at OUT, not terminated: its length (at most 20). */
size_t i64_dec(char out[21], int64_t v);
/* Format T as RFC 3339 with the given offset from UTC in seconds, e.g.
 * "2026-03-01T09:30:00+08:00" (microseconds shown only when non-zero).
 * BUF must hold at least 40 bytes. Returns BUF. */
char *time_format(usec_t t, int offset_s, char *buf, size_t len);
/* The times procurd takes in, [1900-01-01, 9000-01-01) UTC: whatever is
 * counted from them (deadlines, periods of years) still formats with four
 * digits of year, so nothing accepted can be refused later. */
#define TIME_YEAR_MAX 9000
#define TIME_MIN (INT64_C(-25567) * USEC_PER_DAY)	/* 1900-01-01T00:00:00Z */
#define TIME_MAX (INT64_C(2567655) * USEC_PER_DAY)	/* 9000-01-01T00:00:00Z */
bool time_in_range(usec_t t);
/* Parse RFC 3339 ("2026-03-01T09:30:00Z", "...+08:00", fractions allowed).
 * Returns 0 and sets *out, or -1 when S is not such a time or not in
 * range (time_in_range). */
int time_parse(const char *s, usec_t *out);
/* Parse a calendar date "YYYY-MM-DD" (1900 to 8999) into days since
 * 1970-01-01. */
int date_parse(const char *s, int32_t *days);
/* Format days since 1970-01-01 as "YYYY-MM-DD"; BUF holds 11 bytes. */
char *date_format(int32_t days, char *buf, size_t len);
/* Days since 1970-01-01 of a civil date, and back (proleptic Gregorian). */
int32_t days_from_civil(int y, int m, int d);
void civil_from_days(int32_t days, int *y, int *m, int *d);
/* 0 = Monday … 6 = Sunday. */
int weekday_of_days(int32_t days);

/* Lower-case hex of LEN bytes into OUT (2*LEN+1 bytes). */
void hex_encode(const unsigned char *in, size_t len, char *out);
/* Fill BUF with LEN bytes from the kernel's CSPRNG; -1 on failure. */
int random_bytes(void *buf, size_t len);

/* Parse a whole decimal int64; -1 on junk or overflow. */
int parse_int64(const char *s, int64_t *out);

/* Whether S (LEN bytes) is well-formed UTF-8 (shortest forms, no
 * surrogates) without NUL. */
bool utf8_valid(const char *s, size_t len);
/* vsnprintf into BUF (CAP bytes), then escape (text_escape) whatever is not
 * UTF-8: a message that quotes a request, cut to fit, stays valid JSON. */
void utf8_vformat(char *buf, size_t cap, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
/* Copy SRC into DST (CAP bytes, NUL-terminated), cut if it must be at the
 * end of a whole UTF-8 character, never inside one. Returns DST. */
char *utf8_copy(char *dst, size_t cap, const char *src);
/* utf8_valid() and no control character (C0, DEL, C1): text that may stand
 * in a header, a path, a query or a log line as it is. */
bool text_plain(const char *s, size_t len);
/* SRC (LEN bytes) into DST (CAP bytes, NUL-terminated, cut to fit) with
 * every control character, backslash and byte that is not part of a UTF-8
 * character written as \xHH: text from outside stays one log line and says
 * what it held. Returns DST. */
char *text_escape(const char *src, size_t len, char *dst, size_t cap);

#endif
