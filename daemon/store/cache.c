/* Caches of rows: every agency's path and languages, and projects as last read or written. */
#include "cache.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <jansson.h>
#include "db.h"
#include "metrics.h"
#include "projectrow.h"
#include "sql.h"

/* An agency's path, parent and languages never change and agencies are
 * never deleted (migration 010 refuses it), so each is read once per
 * process: every event checks the scope on the path and addresses its
 * notifications by the languages, and a join for them cost PostgreSQL more
 * than 5 % of an event (bench/README.md). Shared by every connection and
 * thread; bounded by the agencies there are. */
static pthread_mutex_t agency_lock = PTHREAD_MUTEX_INITIALIZER;
static json_t *agency_cache;	/* code → [path, parent or null, lang, parent's lang] */

static bool
copy_str(char *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n >= size)
		return false;
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
	return true;
}

/* Whether the cache has CODE: then *AI is filled. */
static bool
agency_cached(const char *code, struct cache_agency *ai)
{
	bool ok = false;
	pthread_mutex_lock(&agency_lock);
	json_t *e = agency_cache ? json_object_get(agency_cache, code) : NULL;
	if (e) {
		json_t *parent = json_array_get(e, 1);
		ai->has_parent = json_is_string(parent);
		ok = copy_str(ai->path, sizeof ai->path, json_string_value(json_array_get(e, 0))) &&
		    copy_str(ai->parent, sizeof ai->parent, json_string_value(parent)) &&
		    copy_str(ai->lang, sizeof ai->lang, json_string_value(json_array_get(e, 2))) &&
		    copy_str(ai->parent_lang, sizeof ai->parent_lang,
		    json_string_value(json_array_get(e, 3)));
	}
	pthread_mutex_unlock(&agency_lock);
	return ok;
}

static struct stmt q_agency_info = STMT(
	"SELECT a.path, a.parent, a.lang, coalesce(pa.lang, a.lang) FROM agency a "
	"LEFT JOIN agency pa ON pa.code = a.parent WHERE a.code = $1");

/* What the daemon needs of agency CODE: 0, or -1 with db_error() set. */
int
cache_agency(struct db *db, const char *code, struct cache_agency *ai)
{
	if (agency_cached(code, ai))
		return 0;
	const char *v[1] = { code };
	PGresult *r = db_run(db, &q_agency_info, 1, v, NULL);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		char m[96];
		PQclear(r);
		snprintf(m, sizeof m, "agency %.40s not found", code);
		db_set_errtext(db, m, "");
		return -1;
	}
	json_t *e = json_pack("[s,s?,s,s]", gs(r, 0, 0), gnull(r, 0, 1) ? NULL : gs(r, 0, 1),
	    gs(r, 0, 2), gs(r, 0, 3));
	PQclear(r);
	pthread_mutex_lock(&agency_lock);
	if (agency_cache == NULL)
		agency_cache = json_object();
	json_object_set_new(agency_cache, code, e);
	pthread_mutex_unlock(&agency_lock);
	if (!agency_cached(code, ai)) {
		char m[96];
		snprintf(m, sizeof m, "agency %.40s: a path or code too long", code);
		db_set_errtext(db, m, "");
		return -1;
	}
	return 0;
}

/* Projects as last read or written, by id (see cache_project_slots()).
 * An entry is one row of PROJECT_COLS, packed: what a fresh read returned
 * at that version, or what the light write made of it. Only committed rows
 * go in: reads outside a transaction and light writes that were their own
 * transaction; a project's version names one committed content for ever
 * (versions only grow, with every write of the row but next_check, which
 * the light write returns), so an entry at the version the write finds is
 * exactly the row. Direct-mapped (ids are a sequence): an entry is replaced
 * by the next id with its slot. */
struct pc_entry {
	int64_t id;
	int64_t version;
	int len[PC__COUNT];		/* -1: NULL */
	char data[];			/* the values, each with its NUL */
};

static struct {
	pthread_mutex_t lock;
	size_t slots;
	struct pc_entry **slot;
	PGresult *attrs;		/* the columns' descriptions, no rows */
} pcache = { .lock = PTHREAD_MUTEX_INITIALIZER };

void
cache_project_slots(size_t slots)
{
	pthread_mutex_lock(&pcache.lock);
	for (size_t i = 0; i < pcache.slots; i++)
		free(pcache.slot[i]);
	free(pcache.slot);
	pcache.slot = slots ? xcalloc(slots, sizeof *pcache.slot) : NULL;
	pcache.slots = slots;
	if (slots == 0) {
		PQclear(pcache.attrs);
		pcache.attrs = NULL;
	}
	pthread_mutex_unlock(&pcache.lock);
}

void
cache_project_forget(void)
{
	pthread_mutex_lock(&pcache.lock);
	for (size_t i = 0; i < pcache.slots; i++) {
		free(pcache.slot[i]);
		pcache.slot[i] = NULL;
	}
	pthread_mutex_unlock(&pcache.lock);
}

/* Keep ROW of R (a project read or written, committed), with PATCH's N
 * columns replaced. */
void
cache_project_put(const PGresult *r, int row, const struct cache_patch *patch, int n)
{
	/* R may have more columns after the project's (an event's write) */
	if (pcache.slots == 0 || row >= PQntuples(r) || PQnfields(r) < PC__COUNT)
		return;
	const char *val[PC__COUNT];
	int len[PC__COUNT];
	size_t size = 0;
	for (int col = 0; col < PC__COUNT; col++) {
		val[col] = PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
		for (int k = 0; k < n; k++)
			if (patch[k].col == col)
				val[col] = patch[k].value;
		len[col] = val[col] ? (int)strlen(val[col]) : -1;
		size += val[col] ? (size_t)len[col] + 1 : 0;
	}
	struct pc_entry *e = xmalloc(sizeof *e + size);
	e->id = strtoll(val[PC_ID], NULL, 10);
	e->version = val[PC_VERSION] ? strtoll(val[PC_VERSION], NULL, 10) : 0;
	char *d = e->data;
	for (int col = 0; col < PC__COUNT; col++) {
		e->len[col] = len[col];
		if (val[col]) {
			memcpy(d, val[col], (size_t)len[col] + 1);
			d += len[col] + 1;
		}
	}
	pthread_mutex_lock(&pcache.lock);
	if (pcache.slots && e->id > 0) {
		if (pcache.attrs == NULL && PQnfields(r) == PC__COUNT)
			pcache.attrs = PQcopyResult(r, PG_COPYRES_ATTRS);
		/* never an older row over a newer one: a read that started
		 * before a write may end after it */
		struct pc_entry **s = &pcache.slot[(uint64_t)e->id % pcache.slots];
		if (*s == NULL || (*s)->id != e->id || (*s)->version <= e->version) {
			free(*s);
			*s = e;
			e = NULL;
		}
	}
	pthread_mutex_unlock(&pcache.lock);
	free(e);
}

/* Project ID as a result of one row, as a read would return it, or NULL. */
PGresult *
cache_project_get(int64_t id)
{
	PGresult *r = NULL;
	pthread_mutex_lock(&pcache.lock);
	struct pc_entry *e = pcache.slots ? pcache.slot[(uint64_t)id % pcache.slots] : NULL;
	if (e && e->id == id && pcache.attrs && (r = PQcopyResult(pcache.attrs,
	    PG_COPYRES_ATTRS)) != NULL) {
		const char *d = e->data;
		for (int col = 0; col < PC__COUNT && r; col++) {
			if (!PQsetvalue(r, 0, col, e->len[col] < 0 ? NULL : (char *)d,
			    e->len[col])) {
				PQclear(r);
				r = NULL;
			}
			d += e->len[col] < 0 ? 0 : e->len[col] + 1;
		}
	}
	bool on = pcache.slots > 0;
	pthread_mutex_unlock(&pcache.lock);
	if (on)
		metrics_project_cache(r != NULL);
	return r;
}

void
cache_project_drop(int64_t id)
{
	pthread_mutex_lock(&pcache.lock);
	struct pc_entry **s = pcache.slots ? &pcache.slot[(uint64_t)id % pcache.slots] : NULL;
	if (s && *s && (*s)->id == id) {
		free(*s);
		*s = NULL;
	}
	pthread_mutex_unlock(&pcache.lock);
}

