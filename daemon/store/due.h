/* Deadlines as rows: what the daemon fires when they fall due, the lists
 * people read, and counting again when a calendar arrives. */
#ifndef PROCURD_DUE_H
#define PROCURD_DUE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "ctx.h"

struct db;

/* The earliest next_check of any project (0: none). 0 or -1. */
int due_next(struct db *db, usec_t *t);
/* Fire what is due at c->now as the daemon: claims up to BATCH due projects
 * (FOR UPDATE SKIP LOCKED, so several daemons share the work and none fires
 * a deadline twice) and fires each due deadline as an event, committing the
 * batch. Appends what was applied to PUBLISHED (after the commit). Returns
 * the number fired, or -1; *more when the batch was full. */
int due_fire(struct req_ctx *c, int batch, bool *more, json_t *published);
/* Pending deadlines in the user's scope, up to LIMIT + 1 after id AFTER:
 * id, project_id, state, kind, level, event, due, fire_at, agency, title.
 * NULL with c->err set. */
struct rows *due_deadline_list(struct req_ctx *c, usec_t due_before, int64_t after, int limit);
/* One project's pending deadlines, soonest first (the caller checked the
 * project is in scope). */
struct rows *due_deadlines_of(struct req_ctx *c, int64_t project_id);
/* Incidents in the user's scope (ALL: resolved ones too): id, kind,
 * project_id, year, outbox_id, detail, created_at, resolved_at. */
/* A page of up to LIMIT (one more read) after incident AFTER. */
struct rows *due_incident_list(struct req_ctx *c, bool all, int64_t after, int limit);
/* The calendar in c->cal now covers more years: count again the deadlines of
 * projects with an open calendar_missing incident for those years, resolve
 * the incidents, wake the timers. Returns how many projects, or -1. */
int due_recount(struct req_ctx *c);

#endif
