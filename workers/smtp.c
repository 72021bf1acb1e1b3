/* The smtp channel: build a MIME message, hand it to the relay with libcurl. */
#include "smtp.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "job.h"
#include "strbuf.h"
#include "util.h"

bool
smtp_address_ok(const char *s)
{
	const char *at = strchr(s, '@');

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') ||
	    strlen(s) > 254)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || strchr("<>()[],;:\\\"", *s))
			return false;
	return true;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
add_base64(struct strbuf *b, const unsigned char *s, size_t n, size_t wrap)
{
	size_t col = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;
		char q[4];

		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		q[0] = b64[(v >> 18) & 63];
		q[1] = b64[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		strbuf_add(b, q, 4);
		col += 4;
		if (wrap && col >= wrap && i + 3 < n) {
			strbuf_adds(b, "\r\n");
			col = 0;
		}
	}
}

/* RFC 2047: encoded words of at most 39 bytes of text (64 characters, so
 * even the first line with "Subject: " stays under 78), cut between UTF-8
 * characters, folded onto continuation lines. */
static void
add_encoded_subject(struct strbuf *b, const char *s)
{
	size_t n = strlen(s), i = 0;

	while (i < n) {
		size_t take = n - i > 39 ? 39 : n - i;

		while (take > 0 && i + take < n &&
		    ((unsigned char)s[i + take] & 0xc0) == 0x80)
			take--;
		if (take == 0)
			take = n - i > 39 ? 39 : n - i;
		if (i > 0)
			strbuf_adds(b, "\r\n ");
		strbuf_adds(b, "=?UTF-8?B?");
		add_base64(b, (const unsigned char *)s + i, take, 0);
		strbuf_adds(b, "?=");
		i += take;
	}
}

static void
add_date(struct strbuf *b, int64_t now)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)(now / USEC_PER_SEC);
	struct tm tm;
	long off;

	if (localtime_r(&t, &tm) == NULL)
		gmtime_r(&t, &tm);
	off = tm.tm_gmtoff / 60;
	strbuf_addf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld\r\n",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
	    labs(off) / 60, labs(off) % 60);
}

char *
smtp_build_message(const char *from, const char *to, int64_t id,
    const char *subject, const char *body, int64_t now)
{
	struct strbuf b = STRBUF_INIT, text = STRBUF_INIT;
	const char *domain = strchr(from, '@');

	add_date(&b, now);
	strbuf_addf(&b, "From: <%s>\r\n", from);
	strbuf_addf(&b, "To: <%s>\r\n", to);
	strbuf_adds(&b, "Subject: ");
	add_encoded_subject(&b, subject);
	strbuf_adds(&b, "\r\n");
	strbuf_addf(&b, "Message-ID: <procurd.outbox.%" PRId64 "@%s>\r\n", id,
	    domain ? domain + 1 : "localhost");
	strbuf_addf(&b, "X-Procurd-Outbox-Id: %" PRId64 "\r\n", id);
	strbuf_adds(&b, "MIME-Version: 1.0\r\n");
	strbuf_adds(&b, "Content-Type: text/plain; charset=UTF-8\r\n");
	strbuf_adds(&b, "Content-Transfer-Encoding: base64\r\n");
	strbuf_adds(&b, "\r\n");
	/* Text lines end in CRLF before encoding, as RFC 2045 wants. */
	for (const char *p = body; *p; p++) {
		if (*p == '\n' && (p == body || p[-1] != '\r'))
			strbuf_adds(&text, "\r\n");
		else
			strbuf_add(&text, p, 1);
	}
	strbuf_adds(&text, "\r\n");
	add_base64(&b, (const unsigned char *)text.s, text.len, 76);
	strbuf_adds(&b, "\r\n");
	strbuf_release(&text);
	return strbuf_take(&b);
}

struct reader {
	const char *s;
	size_t left;
};

static size_t
read_message(char *buf, size_t size, size_t n, void *user)
{
	struct reader *r = user;
	size_t k = size * n < r->left ? size * n : r->left;

	memcpy(buf, r->s, k);
	r->s += k;
	r->left -= k;
	return k;
}

static int64_t
now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * USEC_PER_SEC + ts.tv_nsec / 1000;
}

enum deliver_result
smtp_deliver(CURL *curl, const struct conf *conf, const struct job *job,
    const struct message *msg, char *err, size_t errlen)
{
	enum deliver_result res = DELIVER_FAILED;
	struct curl_slist *rcpt = NULL;
	char cerr[CURL_ERROR_SIZE] = "";
	char *mail = NULL, *from = NULL, *to = NULL;
	struct reader r;
	CURLcode cc;

	if (conf->smtp_url[0] == '\0') {
		snprintf(err, errlen, "smtp channel not configured ([worker] smtp_url is empty)");
		return DELIVER_FAILED;
	}
	if (!smtp_address_ok(job->recipient)) {
		snprintf(err, errlen, "recipient is not an email address");
		return DELIVER_FAILED;
	}
	mail = smtp_build_message(conf->smtp_from, job->recipient, job->id,
	    msg->subject, msg->body, now_usec());
	from = xasprintf("<%s>", conf->smtp_from);
	to = xasprintf("<%s>", job->recipient);
	rcpt = curl_slist_append(NULL, to);
	if (rcpt == NULL)
		abort();
	r.s = mail;
	r.left = strlen(mail);

	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, conf->smtp_url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, conf->smtp_timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, conf->smtp_timeout_ms);
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_message);
	curl_easy_setopt(curl, CURLOPT_READDATA, &r);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(curl, CURLOPT_USE_SSL,
	    conf->smtp_tls == SMTP_TLS_REQUIRED ? (long)CURLUSESSL_ALL :
	    conf->smtp_tls == SMTP_TLS_TRY ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_NONE);
	if (conf->smtp_user[0] != '\0') {
		curl_easy_setopt(curl, CURLOPT_USERNAME, conf->smtp_user);
		curl_easy_setopt(curl, CURLOPT_PASSWORD, conf->smtp_password);
	}

	cc = curl_easy_perform(curl);
	if (cc == CURLE_OK)
		res = DELIVER_OK;
	else
		snprintf(err, errlen, "smtp: %s", cerr[0] ? cerr : curl_easy_strerror(cc));

	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, NULL);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(curl, CURLOPT_READDATA, NULL);
	curl_slist_free_all(rcpt);
	free(mail);
	free(from);
	free(to);
	return res;
}
