/* Migrations: the numbered files of sql/, applied once each under an advisory lock. */
#include "migrate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <errno.h>
#include "db.h"
#include "log.h"
#include "sql.h"

struct mig {
	int version;
	char name[256];
};

static int
mig_cmp(const void *a, const void *b)
{
	return ((const struct mig *)a)->version - ((const struct mig *)b)->version;
}

/* The numbered files NNN_name.sql in DIR, sorted. */
static int
mig_scan(const char *dir, struct mig **out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct mig *m = NULL;
	int n = 0;

	if (d == NULL) {
		log_error("migrations: cannot open %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		int v;
		if (len < 5 || strcmp(e->d_name + len - 4, ".sql") || sscanf(e->d_name, "%d_", &v) != 1)
			continue;
		m = xrealloc(m, sizeof *m * (size_t)(n + 1));
		m[n].version = v;
		snprintf(m[n].name, sizeof m[n].name, "%s", e->d_name);
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(m, (size_t)n, sizeof *m, mig_cmp);
	*out = m;
	return n;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 8192, len = 0;
	char *buf = xmalloc(cap);
	size_t k;
	while ((k = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += k;
		if (cap - len < 2)
			buf = xrealloc(buf, cap *= 2);
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static bool
mig_is_applied(PGresult *applied, int version)
{
	for (int i = 0; applied && i < PQntuples(applied); i++)
		if (gi64(applied, i, 0) == version)
			return true;
	return false;
}

static struct stmt q_mig_applied = STMT("SELECT version FROM schema_migrations ORDER BY version");

static struct stmt q_mig_record = STMT(
	"INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())");

int
migrate_apply(struct db *db, const char *dir)
{
	struct mig *m = NULL;
	int n, done = 0, rc = -1;
	PGresult *applied = NULL;

	if (!db_ensure(db)) {
		log_error("migrations: database unavailable");
		return -1;
	}
	if ((n = mig_scan(dir, &m)) < 0)
		return -1;
	/* Several daemons may start at once: one migrates, the others wait. */
	if (db_exec_script(db, "SELECT pg_advisory_lock(727001);"
	    "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, "
	    "name text NOT NULL, applied_at timestamptz NOT NULL)")) {
		log_error("migrations: %s", db_error(db));
		goto done;
	}
	if ((applied = db_run(db, &q_mig_applied, 0, NULL, NULL)) == NULL)
		goto unlock;
	for (int i = 0; i < n; i++) {
		if (mig_is_applied(applied, m[i].version))
			continue;
		char *path = xasprintf("%s/%s", dir, m[i].name);
		char *sql = slurp(path);
		free(path);
		if (sql == NULL) {
			log_error("migrations: cannot read %s/%s", dir, m[i].name);
			goto unlock;
		}
		struct pbuf pb = { .n = 0 };
		const char *v[2] = { pi64(&pb, m[i].version), m[i].name };
		int bad = db_begin(db) || db_exec_script(db, sql) ||
		    db_run0(db, &q_mig_record, 2, v, NULL) || db_commit(db);
		free(sql);
		if (bad) {
			log_error("migrations: %s failed: %s", m[i].name, db_error(db));
			db_rollback(db);
			goto unlock;
		}
		log_info("migrations: applied %s", m[i].name);
		done++;
	}
	rc = done;
unlock:
	db_exec_script(db, "SELECT pg_advisory_unlock(727001)");
done:
	PQclear(applied);
	free(m);
	return rc;
}
