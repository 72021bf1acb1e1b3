/* Streaming every public release (ocdsexport.h). */
#include "ocdsexport.h"

#include <stdlib.h>
#include <string.h>
#include "db.h"
#include "jsonw.h"
#include "ocds.h"
#include "publication.h"
#include "publicview.h"

#define PAGE 500	/* projects a round trip */

/* The time of the history row SEQ of the public view PV. */
static usec_t
row_time(const json_t *pv, json_int_t seq)
{
	size_t i;
	const json_t *e;
	usec_t t = 0;
	json_array_foreach(json_object_get(pv, "history"), i, e)
		if (json_integer_value(json_object_get(e, "seq")) == seq) {
			time_parse(json_string_value(json_object_get(e, "at")), &t);
			break;
		}
	return t;
}

int
ocds_export(struct db *db, const struct ocds_export *x, FILE *out, long *releases, long *projects)
{
	int64_t after = 0;
	*releases = *projects = 0;
	if (!x->lines) {
		char now[64];
		time_format(x->now, x->offset, now, sizeof now);
		fprintf(out, "{\"uri\":\"procurctl:ocds-export\",\"version\":\"1.1\","
		    "\"publishedDate\":\"%s\",\"publisher\":{\"name\":\"procurd\"},\"releases\":[", now);
	}
	for (;;) {
		struct pub_batch b;
		if (pub_projects_after(db, after, PAGE, &b))
			return -1;
		int n = rows_count(b.projects);
		if (n == 0) {
			pub_batch_free(&b);
			break;
		}
		struct pub_source *src = xcalloc((size_t)n, sizeof *src);
		public_sources(b.projects, b.history, b.bids, x->public_kinds, src);
		for (int i = 0; i < n; i++) {
			json_t *pv = public_project(&src[i], x->prefix, x->offset);
			json_t *keyed = json_array();
			ocds_releases(pv, x->prefix, keyed);
			size_t k;
			json_t *r;
			json_array_foreach(keyed, k, r) {
				if (x->has_since && row_time(pv, json_integer_value(json_object_get(r,
				    "seq"))) < x->since)
					continue;
				size_t len;
				char *text = jsonw_dump_decimal(json_object_get(r, "release"), &len);
				if (text == NULL)
					abort();
				if (!x->lines && *releases > 0)
					fputc(',', out);
				fwrite(text, 1, len, out);
				if (x->lines)
					fputc('\n', out);
				free(text);
				(*releases)++;
			}
			json_decref(keyed);
			json_decref(pv);
		}
		(*projects) += n;
		after = rows_i64(b.projects, n - 1, PC_ID);
		free(src);
		pub_batch_free(&b);
		if (x->progress)
			fprintf(stderr, "\rocds export: %ld projects, %ld releases", *projects, *releases);
	}
	if (!x->lines)
		fputs("]}\n", out);
	if (x->progress)
		fputc('\n', stderr);
	return fflush(out) == 0 ? 0 : -1;
}
