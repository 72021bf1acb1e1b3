/* The console's files, from memory (web.h). */
#include "web.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include "log.h"
#include "util.h"

#define FILE_MAX (1 << 20)
#define TOTAL_MAX (16 << 20)
#define DEPTH_MAX 4

struct file {
	char *path;		/* "/index.html" */
	char *data;
	size_t len;
	const char *type;
	char etag[24];		/* "\"<16 hex>\"" */
};

struct web {
	struct file *files;
	int n;
	size_t total;
};

static const struct {
	const char *ext, *type;
} types[] = {
	{ ".html", "text/html; charset=utf-8" }, { ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" }, { ".json", "application/json; charset=utf-8" },
	{ ".svg", "image/svg+xml" }, { ".png", "image/png" }, { ".ico", "image/x-icon" },
	{ ".txt", "text/plain; charset=utf-8" }, { ".woff2", "font/woff2" },
};

static const char *
type_of(const char *name)
{
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].type;
	return NULL;	/* not served: an unknown kind of file */
}

static void
add_file(struct web *w, const char *disk, const char *url, off_t size)
{
	const char *type = type_of(url);
	if (type == NULL || size > FILE_MAX || w->total + (size_t)size > TOTAL_MAX) {
		log_warn("web: %s not served (%s)", disk, type ? "too large" : "unknown type");
		return;
	}
	FILE *f = fopen(disk, "rb");
	if (f == NULL)
		return;
	char *data = xmalloc((size_t)size + 1);
	size_t len = fread(data, 1, (size_t)size, f);
	fclose(f);
	w->files = xrealloc(w->files, sizeof *w->files * (size_t)(w->n + 1));
	struct file *fl = &w->files[w->n++];
	fl->path = xstrdup(url);
	fl->data = data;
	fl->len = len;
	fl->type = type;
	/* FNV-1a over the content: a strong validator for these bytes */
	uint64_t hsh = 14695981039346656037ull;
	for (size_t i = 0; i < len; i++)
		hsh = (hsh ^ (unsigned char)data[i]) * 1099511628211ull;
	snprintf(fl->etag, sizeof fl->etag, "\"%016llx\"", (unsigned long long)hsh);
	w->total += len;
}

static void
walk(struct web *w, const char *disk, const char *url, int depth)
{
	DIR *d = opendir(disk);
	if (d == NULL) {
		if (depth == 0)
			log_warn("web: cannot read %s (%s): the console is not served", disk,
			    strerror(errno));
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char *p = xasprintf("%s/%s", disk, e->d_name);
		char *u = xasprintf("%s/%s", url, e->d_name);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode) && depth < DEPTH_MAX)
			walk(w, p, u, depth + 1);
		else if (S_ISREG(st.st_mode))
			add_file(w, p, u, st.st_size);
		free(p);
		free(u);
	}
	closedir(d);
}

struct web *
web_load(const char *root)
{
	struct web *w = xcalloc(1, sizeof *w);
	if (root && *root)
		walk(w, root, "", 0);
	if (w->n)
		log_info("web: %d files (%zu bytes) from %s", w->n, w->total, root);
	return w;
}

void
web_free(struct web *w)
{
	if (w == NULL)
		return;
	for (int i = 0; i < w->n; i++) {
		free(w->files[i].path);
		free(w->files[i].data);
	}
	free(w->files);
	free(w);
}

int
web_count(const struct web *w)
{
	return w ? w->n : 0;
}

void
web_strict_headers(struct evkeyvalq *h)
{
	evhttp_add_header(h, "Content-Security-Policy", "default-src 'self'; base-uri 'none'; "
	    "form-action 'self'; frame-ancestors 'none'; object-src 'none'");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "same-origin");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
}

bool
web_serve(const struct web *w, struct evhttp_request *req, const char *path)
{
	const char *want = strcmp(path, "/") ? path : "/index.html";
	const struct file *f = NULL;
	for (int i = 0; w && i < w->n && f == NULL; i++)
		if (!strcmp(w->files[i].path, want))
			f = &w->files[i];
	if (f == NULL)
		return false;
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	web_strict_headers(h);
	evhttp_add_header(h, "ETag", f->etag);
	/* no build step, no hashed names: always revalidated, cheaply */
	evhttp_add_header(h, "Cache-Control", "no-cache");
	const char *inm = evhttp_find_header(evhttp_request_get_input_headers(req), "If-None-Match");
	if (inm && strstr(inm, f->etag)) {
		evhttp_send_reply(req, 304, "Not Modified", NULL);
		return true;
	}
	evhttp_add_header(h, "Content-Type", f->type);
	char n[24];
	snprintf(n, sizeof n, "%zu", f->len);
	evhttp_add_header(h, "Content-Length", n);
	struct evbuffer *b = evbuffer_new();
	if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
		evbuffer_add_reference(b, f->data, f->len, NULL, NULL);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
	return true;
}
