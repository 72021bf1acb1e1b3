/* Migrations: the numbered files of sql/, applied once each. */
#ifndef PROCURD_MIGRATE_H
#define PROCURD_MIGRATE_H

#include <stdbool.h>

struct db;

/* Apply pending migrations from DIR under an advisory lock. Returns the
 * number applied, or -1 (logged). */
int migrate_apply(struct db *db, const char *dir);

#endif
