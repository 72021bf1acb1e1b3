/* Documents in the audit chain (issue 17): uploaded as the body or as a
 * browser's form, checked against their first bytes, required by the
 * events that rest on them, named in the history with their SHA-256,
 * streamed back under the project's scope, caught by verify when altered;
 * an upload far over the limit refused before it is read. */
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A PDF of N bytes (three chunks of 256 kB and some when N is 700,000). */
static char *
pdf_of(size_t n)
{
	char *b = malloc(n);
	memcpy(b, "%PDF-1.7\n", 9);
	for (size_t i = 9; i < n; i++)
		b[i] = (char)((i * 2654435761u) >> 13);
	return b;
}

/* The SHA-256 of LEN bytes, as PostgreSQL computes it. */
static void
sha256_hex(struct harness *h, const char *data, size_t len, char out[65])
{
	char *sql = malloc(2 * len + 128);
	int o = sprintf(sql, "SELECT encode(sha256(decode('");
	for (size_t i = 0; i < len; i++)
		o += sprintf(sql + o, "%02x", (unsigned char)data[i]);
	sprintf(sql + o, "', 'hex')), 'hex')");
	assert_int_equal(harness_sql_value(h, sql, out, 65), 0);
	free(sql);
}

/* A figure of the process's /proc status, in kB (VmRSS, VmHWM): -1 when
 * it is not there. */
static long
status_kb(pid_t pid, const char *field)
{
	char path[64], line[256], want[32];
	long kb = -1;
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	snprintf(want, sizeof want, "%s: %%ld", field);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, want, &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static long
rss_kb(pid_t pid)
{
	return status_kb(pid, "VmRSS");
}

static long
hwm_kb(pid_t pid)
{
	return status_kb(pid, "VmHWM");
}

static void
test_documents(void **state)
{
	struct harness *h = *state;
	struct world w, other;
	h_world(h, &w, "DOC", 0);
	h_world(h, &other, "DOCO", 0);
	int64_t id = h_project(h, &w, NULL);
	h_drive(h, &w, id, "approved", NULL);
	char path[128], get[160];
	snprintf(path, sizeof path, "/v1/projects/%lld/documents?kind=tender_documents", (long long)id);

	/* publishing without its tender documents is refused, saying which */
	struct resp r = h_event(h, w.officer, id, "publish", "{\"bid_deadline\":\"%s\","
	    "\"requirements\":\"x\",\"evaluators_required\":2,\"criteria\":%s}",
	    h_time(h, 20, "17:00"), H_CRITERIA);
	assert_rule(r, "documents_required");
	assert_json_str(r.body, "error.details.missing.0", "tender_documents");

	/* the file as the body, its name in UTF-8 (RFC 6266) */
	size_t n = 700000;
	char *pdf = pdf_of(n), want[65];
	sha256_hex(h, pdf, n, want);
	long rss0 = rss_kb(h->pid);
	r = h_upload(h, w.officer, path, pdf, n, "application/pdf",
	    "Content-Disposition: attachment; filename*=UTF-8''%E6%8B%9B%E6%A0%87%E6%96%87%E4%BB%B6.pdf");
	assert_status(r, 201);
	long rss1 = rss_kb(h->pid);
	printf("daemon RSS around a 700 kB upload: %ld kB before, %ld kB after\n", rss0, rss1);
	int64_t doc = h_int(r.body, "id");
	assert_json_str(r.body, "filename", "招标文件.pdf");
	assert_json_str(r.body, "content_type", "application/pdf");
	assert_json_int(r.body, "size", (int64_t)n);
	assert_json_str(r.body, "sha256", want);
	assert_json_str(r.body, "kind", "tender_documents");

	/* a browser's form: the part named file */
	static const char form[] = "--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n"
	    "hello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
	    "filename=\"C:\\\\scans\\\\..\\\\site-photo.png\"\r\nContent-Type: image/png\r\n\r\n"
	    "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\r\n--XyZ--\r\n";
	r = h_upload(h, w.officer, path, form, sizeof form - 1, "multipart/form-data; boundary=XyZ",
	    NULL);
	assert_status(r, 201);
	assert_json_str(r.body, "filename", "site-photo.png");
	assert_json_str(r.body, "content_type", "image/png");
	assert_json_int(r.body, "size", 16);
	int64_t png = h_int(r.body, "id");

	/* what it says it is, or refused; names made safe */
	r = h_upload(h, w.officer, path, "GIF89a....", 10, "application/pdf",
	    "Content-Disposition: attachment; filename=\"x.pdf\"");
	assert_error(r, 415, "unsupported_media_type");
	assert_json_str(r.body, "error.details.reason", "content_mismatch");
	r = h_upload(h, w.officer, path, "<html></html>", 13, "text/html",
	    "Content-Disposition: attachment; filename=\"x.html\"");
	assert_error(r, 415, "unsupported_media_type");
	r = h_upload(h, w.officer, path, "%PDF-1.4", 8, "application/pdf", NULL);
	assert_error(r, 400, "invalid_field");
	assert_json_str(r.body, "error.details.field", "Content-Disposition");
	r = h_upload(h, w.officer, path, "%PDF-1.4 x", 10, "application/pdf",
	    "Content-Disposition: attachment; filename=\"../../etc/passwd\"");
	assert_status(r, 201);
	assert_json_str(r.body, "filename", "passwd");
	r = h_upload(h, w.auditor, path, "%PDF-1.4 x", 10, "application/pdf",
	    "Content-Disposition: attachment; filename=\"a.pdf\"");
	assert_error(r, 403, "forbidden");
	snprintf(get, sizeof get, "/v1/projects/%lld/documents?kind=Bad-Kind", (long long)id);
	r = h_upload(h, w.officer, get, "%PDF-1.4 x", 10, "application/pdf",
	    "Content-Disposition: attachment; filename=\"a.pdf\"");
	assert_error(r, 400, "invalid_field");
	/* another agency's project is not there for this officer */
	r = h_upload(h, other.officer, path, "%PDF-1.4 x", 10, "application/pdf",
	    "Content-Disposition: attachment; filename=\"a.pdf\"");
	assert_error(r, 404, "not_found");

	/* publish naming it: the history keeps its hash */
	int64_t foreign = h_project(h, &other, NULL);
	int64_t fdoc = h_document(h, other.officer, foreign, "tender_documents");
	r = h_event(h, w.officer, id, "publish", "{\"bid_deadline\":\"%s\",\"requirements\":\"x\","
	    "\"evaluators_required\":2,\"criteria\":%s,\"documents\":[%lld]}", h_time(h, 20, "17:00"),
	    H_CRITERIA, (long long)fdoc);
	assert_rule(r, "document_unknown");
	r = h_event(h, w.officer, id, "publish", "{\"bid_deadline\":\"%s\",\"requirements\":\"x\","
	    "\"evaluators_required\":2,\"criteria\":%s,\"documents\":[%lld,%lld]}",
	    h_time(h, 20, "17:00"), H_CRITERIA, (long long)doc, (long long)png);
	assert_status(r, 200);
	json_t *ev = h_last_event(h, w.officer, id);
	assert_json_str(ev, "payload.documents.0.sha256", want);
	assert_json_str(ev, "payload.documents.0.filename", "招标文件.pdf");
	assert_json_str(ev, "payload.documents.1.kind", "tender_documents");

	/* streamed back as it came, under the same scope */
	snprintf(get, sizeof get, "/v1/projects/%lld/documents/%lld", (long long)id, (long long)doc);
	r = h_get(h, w.auditor, "%s", get);
	assert_status(r, 200);
	assert_int_equal(r.raw_len, n);
	assert_memory_equal(r.raw, pdf, n);
	assert_non_null(strstr(r.headers, "Content-Type: application/pdf"));
	assert_non_null(strstr(r.headers, "filename*=UTF-8''%E6%8B%9B%E6%A0%87%E6%96%87%E4%BB%B6.pdf"));
	assert_non_null(strstr(r.headers, "X-Content-Type-Options: nosniff"));
	r = h_get(h, other.officer, "%s", get);
	assert_error(r, 404, "not_found");
	snprintf(get, sizeof get, "/v1/projects/%lld/documents", (long long)id);
	r = h_get(h, w.officer, "%s", get);
	assert_status(r, 200);
	assert_int_equal(h_len(r.body, "items"), 3);

	/* the rest of the lifecycle with its documents: contract, acceptance
	 * report, treasury voucher */
	h->attach_documents = true;
	h_drive(h, &w, id, "closed", NULL);
	char out[4096];
	assert_int_equal(harness_ctl(h, out, sizeof out, "verify", (char *)NULL), 0);

	/* a changed file is caught, by the whole check and the project's */
	assert_int_equal(harness_sql(h, "ALTER TABLE document_chunk DISABLE TRIGGER "
	    "document_chunk_no_change; UPDATE document_chunk SET data = overlay(data placing "
	    "'\\x00'::bytea from 1000) WHERE n = 1 AND document_id = (SELECT min(id) FROM document); "
	    "ALTER TABLE document_chunk ENABLE TRIGGER document_chunk_no_change"), 0);
	assert_int_equal(harness_ctl(h, out, sizeof out, "verify", (char *)NULL), 1);
	assert_non_null(strstr(out, "the file is not what arrived"));
	snprintf(get, sizeof get, "/v1/projects/%lld/verify", (long long)id);
	r = h_get(h, w.auditor, "%s", get);
	assert_status(r, 200);
	assert_true(json_is_false(h_at(r.body, "intact")));
	/* and a missing one */
	assert_int_equal(harness_sql(h, "ALTER TABLE document_chunk DISABLE TRIGGER "
	    "document_chunk_no_change; DELETE FROM document_chunk WHERE document_id = (SELECT min(id) "
	    "FROM document); ALTER TABLE document_chunk ENABLE TRIGGER document_chunk_no_change"), 0);
	assert_int_equal(harness_ctl(h, out, sizeof out, "verify", (char *)NULL), 1);
	free(pdf);
}

/* An upload of 100 MB is refused from its Content-Length, before a byte of
 * it is read: the daemon's memory does not grow by it. */
static void
test_too_large(void **state)
{
	struct harness *h = *state;
	struct world w;
	h_world(h, &w, "DOCB", 0);
	int64_t id = h_project(h, &w, NULL);
	long before = rss_kb(h->pid);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)h->port) };
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	char req[512], buf[4096];
	int len = snprintf(req, sizeof req, "POST /v1/projects/%lld/documents?kind=contract HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\nContent-Type: application/pdf\r\n"
	    "Content-Disposition: attachment; filename=\"big.pdf\"\r\nContent-Length: 104857600\r\n\r\n"
	    "%%PDF-1.7\n", (long long)id, w.officer);
	assert_int_equal(write(fd, req, (size_t)len), len);
	/* keep sending what it will not take, a megabyte at a time, while it lets us */
	char *mb = calloc(1, 1 << 20);
	for (int i = 0; i < 100; i++)
		if (send(fd, mb, 1 << 20, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			break;
	ssize_t got = recv(fd, buf, sizeof buf - 1, 0);
	close(fd);
	free(mb);
	assert_true(got > 12);
	buf[got] = '\0';
	assert_memory_equal(buf, "HTTP/1.1 413", 12);
	long after = rss_kb(h->pid);
	printf("100 MB upload refused: daemon RSS %ld kB before, %ld kB after\n", before, after);
	assert_true(after - before < 30 * 1024);
}

/* A document at the limit, up and down: the figures the closing note
 * reports (the daemon's resident memory and its peak around each). */
static void
test_twenty_megabytes(void **state)
{
	struct harness *h = *state;
	struct world w;
	h_world(h, &w, "DOCM", 0);
	int64_t id = h_project(h, &w, NULL);
	size_t n = 20 * 1024 * 1024;
	char *pdf = pdf_of(n), path[128];
	snprintf(path, sizeof path, "/v1/projects/%lld/documents?kind=contract", (long long)id);
	long rss0 = rss_kb(h->pid), hwm0 = hwm_kb(h->pid);
	struct resp r = h_upload(h, w.officer, path, pdf, n, "application/pdf",
	    "Content-Disposition: attachment; filename=\"contract.pdf\"");
	assert_status(r, 201);
	long rss1 = rss_kb(h->pid), hwm1 = hwm_kb(h->pid);
	/* the peak starts again from here (proc(5): clear_refs 5) */
	char clear[64];
	snprintf(clear, sizeof clear, "/proc/%d/clear_refs", (int)h->pid);
	FILE *cf = fopen(clear, "w");
	if (cf) {
		fputs("5", cf);
		fclose(cf);
	}
	long hwm_reset = hwm_kb(h->pid);
	snprintf(path, sizeof path, "/v1/projects/%lld/documents/%lld", (long long)id,
	    (long long)h_int(r.body, "id"));
	r = h_get(h, w.officer, "%s", path);
	assert_status(r, 200);
	assert_int_equal(r.raw_len, n);
	assert_memory_equal(r.raw, pdf, n);
	long rss2 = rss_kb(h->pid), hwm2 = hwm_kb(h->pid);
	printf("20 MB document: daemon RSS %ld kB (peak %ld) before, %ld kB (peak %ld) after the "
	    "upload, %ld kB (peak %ld since %ld) after the download\n", rss0, hwm0, rss1, hwm1, rss2,
	    hwm2, hwm_reset);
#if !defined(__SANITIZE_ADDRESS__)	/* its quarantine keeps what is freed */
	/* the download streams: its peak is a few chunks, not the file */
	assert_true(hwm2 - hwm_reset < 8 * 1024);
	/* and the upload's memory went back */
	assert_true(rss1 - rss0 < 8 * 1024);
#endif
	/* one over the limit is refused */
	snprintf(path, sizeof path, "/v1/projects/%lld/documents?kind=contract", (long long)id);
	char *big = pdf_of(n + 1);
	r = h_upload(h, w.officer, path, big, n + 1, "application/pdf",
	    "Content-Disposition: attachment; filename=\"big.pdf\"");
	assert_error(r, 413, "body_too_large");
	free(big);
	free(pdf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_documents, h_test_teardown),
		cmocka_unit_test_teardown(test_too_large, h_test_teardown),
		cmocka_unit_test_teardown(test_twenty_megabytes, h_test_teardown),
	};
	h_group_name = "documents";
	/* the requirements as shipped */
	h_group_extra_conf = "[documents]\npublish = tender_documents\nsign_contract = contract\n"
	    "accept = acceptance_report\nconfirm_payment = treasury_voucher\n";
	return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
