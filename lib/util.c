/* Small helpers shared by procurd, procurctl and procur-notify. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static void
oom(size_t n)
{
	fprintf(stderr, "out of memory (%zu bytes)\n", n);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		oom(n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (p == NULL)
		oom(n * size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (q == NULL)
		oom(n);
	return q;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");
	if (p == NULL)
		oom(strlen(s));
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (p == NULL)
		oom(n);
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		oom(strlen(fmt));
	va_end(ap);
	return s;
}

/* Howard Hinnant's civil calendar algorithms: exact for every Gregorian date. */
int32_t
days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	const int era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153u * (unsigned)(m + (m > 2 ? -3 : 9)) + 2) / 5 + (unsigned)d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int32_t)doe - 719468;
}

void
civil_from_days(int32_t z, int *y, int *m, int *d)
{
	z += 719468;
	const int era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const int yy = (int)yoe + era * 400;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yy + (*m <= 2);
}

int
weekday_of_days(int32_t days)
{
	/* 1970-01-01 was a Thursday (3 with Monday = 0). */
	int w = (int)((days + 3) % 7);
	return w < 0 ? w + 7 : w;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

size_t
i64_dec(char out[21], int64_t v)
{
	char tmp[21];
	size_t i = sizeof tmp;
	/* in unsigned arithmetic, so the most negative value is no overflow */
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[--i] = '-';
	memcpy(out, tmp + i, sizeof tmp - i);
	return sizeof tmp - i;
}

/* N decimal digits of V (0 <= V < 10^N) at P; the end. */
static char *
put_digits(char *p, int v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + n;
}

/* By hand rather than with snprintf(): every answer carries several times
 * and a formatted print of ten fields cost twenty times this. */
char *
time_format(usec_t t, int offset_s, char *buf, size_t len)
{
	usec_t local = t + (usec_t)offset_s * USEC_PER_SEC;
	int64_t days = floor_div(local, USEC_PER_DAY);
	int64_t rem = local - days * USEC_PER_DAY;
	int y, mo, d;
	civil_from_days((int32_t)days, &y, &mo, &d);
	int hh = (int)(rem / (3600 * USEC_PER_SEC));
	int mi = (int)(rem / (60 * USEC_PER_SEC) % 60);
	int ss = (int)(rem / USEC_PER_SEC % 60);
	int us = (int)(rem % USEC_PER_SEC);
	int off = offset_s < 0 ? -offset_s : offset_s;
	char tmp[48], *p = tmp;

	if (y < 0 || y > 9999 || off / 3600 > 99) {
		/* beyond RFC 3339's four-digit years: the general form */
		char frac[16] = "";
		if (us)
			snprintf(frac, sizeof frac, ".%06d", us);
		snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d%s%c%02d:%02d", y, mo, d,
		    hh, mi, ss, frac, offset_s < 0 ? '-' : '+', off / 3600, off / 60 % 60);
		if (offset_s == 0)
			strcpy(strrchr(tmp, '+'), "Z");
		p = tmp + strlen(tmp);
	} else {
		p = put_digits(p, y, 4);
		*p++ = '-';
		p = put_digits(p, mo, 2);
		*p++ = '-';
		p = put_digits(p, d, 2);
		*p++ = 'T';
		p = put_digits(p, hh, 2);
		*p++ = ':';
		p = put_digits(p, mi, 2);
		*p++ = ':';
		p = put_digits(p, ss, 2);
		if (us) {
			*p++ = '.';
			p = put_digits(p, us, 6);
		}
		if (offset_s == 0) {
			*p++ = 'Z';
		} else {
			*p++ = offset_s < 0 ? '-' : '+';
			p = put_digits(p, off / 3600, 2);
			*p++ = ':';
			p = put_digits(p, off / 60 % 60, 2);
		}
	}
	/* as snprintf() would: truncated to LEN, always terminated */
	size_t n = (size_t)(p - tmp);
	if (len > 0) {
		if (n >= len)
			n = len - 1;
		memcpy(buf, tmp, n);
		buf[n] = '\0';
	}
	return buf;
}

static int
digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

int
date_parse(const char *s, int32_t *out)
{
	int y, m, d;
	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	if (digits(s, 4, &y) || digits(s + 5, 2, &m) || digits(s + 8, 2, &d))
		return -1;
	if (y < 1900 || y >= TIME_YEAR_MAX || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return -1;
	*out = days_from_civil(y, m, d);
	return 0;
}

char *
date_format(int32_t days, char *buf, size_t len)
{
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	snprintf(buf, len, "%04d-%02d-%02d", y, m, d);
	return buf;
}

bool
time_in_range(usec_t t)
{
	return t >= TIME_MIN && t < TIME_MAX;
}

int
time_parse(const char *s, usec_t *out)
{
	int y, mo, d, hh, mi, ss, us = 0, off = 0;
	size_t n;

	if (s == NULL || (n = strlen(s)) < 20)
		return -1;
	if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &hh) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &ss))
		return -1;
	if (y < 1900 || y > TIME_YEAR_MAX || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    hh > 23 || mi > 59 || ss > 59)
		return -1;
	const char *p = s + 19;
	if (*p == '.') {
		int nd = 0;
		p++;
		while (isdigit((unsigned char)*p)) {
			if (nd < 6) {
				us = us * 10 + (*p - '0');
				nd++;
			}
			p++;
		}
		if (nd == 0)
			return -1;
		while (nd++ < 6)
			us *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (strlen(p) != 6 || p[3] != ':' || digits(p + 1, 2, &oh) || digits(p + 4, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
		off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
	int64_t days = days_from_civil(y, mo, d);
	usec_t t = days * USEC_PER_DAY + ((int64_t)hh * 3600 + mi * 60 + ss - off) * USEC_PER_SEC + us;
	if (!time_in_range(t))
		return -1;
	*out = t;
	return 0;
}

void
hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * len] = '\0';
}

int
random_bytes(void *buf, size_t len)
{
	unsigned char *p = buf;
	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
parse_int64(const char *s, int64_t *out)
{
	char *end;
	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Text from outside                                                        */

bool
utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + len;

	while (s < end) {
		unsigned c = *s;
		size_t n;
		uint32_t cp;

		if (c == 0)
			return false;
		if (c < 0x80) {
			s++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1; cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2; cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3; cp = c & 0x07;
		} else {
			return false;
		}
		if ((size_t)(end - s) <= n)
			return false;
		for (size_t i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		s += n + 1;
	}
	return true;
}

bool
text_plain(const char *s, size_t len)
{
	if (!utf8_valid(s, len))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return false;
		/* C1 controls, U+0080 to U+009F, are 0xc2 0x80 to 0xc2 0x9f */
		if (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] < 0xa0)
			return false;
	}
	return true;
}

/* The length of the UTF-8 sequence at S (at most LEFT bytes) when it is one
 * whole printable character, else 0. */
static size_t
utf8_char(const unsigned char *s, size_t left)
{
	size_t n = *s < 0x80 ? 1 : (*s & 0xe0) == 0xc0 ? 2 : (*s & 0xf0) == 0xe0 ? 3 :
	    (*s & 0xf8) == 0xf0 ? 4 : 0;
	if (n == 0 || n > left)
		return 0;
	return text_plain((const char *)s, n) ? n : 0;
}

char *
text_escape(const char *src, size_t len, char *dst, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, i = 0;

	if (cap == 0)
		return dst;
	while (i < len) {
		size_t n = utf8_char(s + i, len - i);
		if (n > 0 && s[i] != '\\') {
			if (o + n >= cap)
				break;
			memcpy(dst + o, s + i, n);
			o += n;
			i += n;
			continue;
		}
		if (o + 4 >= cap)
			break;
		dst[o++] = '\\';
		dst[o++] = 'x';
		dst[o++] = hex[s[i] >> 4];
		dst[o++] = hex[s[i] & 15];
		i++;
	}
	dst[o] = '\0';
	return dst;
}

char *
utf8_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (cap == 0)
		return dst;
	if (n >= cap) {
		n = cap - 1;
		/* back off the continuation bytes of a character cut short */
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
	return dst;
}

void
utf8_vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
	if (cap == 0)
		return;
	int n = vsnprintf(buf, cap, fmt, ap);
	size_t len = n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
	buf[len] = '\0';
	if (!utf8_valid(buf, len)) {
		char *copy = xmalloc(len + 1);
		memcpy(copy, buf, len + 1);
		text_escape(copy, len, buf, cap);
		free(copy);
	}
}
