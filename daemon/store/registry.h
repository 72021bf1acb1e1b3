/* The registry: agencies, their budgets, the catalogue of services and the
 * contractors. */
#ifndef PROCURD_REGISTRY_H
#define PROCURD_REGISTRY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "ctx.h"
#include "rules.h"

/* Each returns the rows to answer with (render.h), or NULL (-1) with
 * c->err set; the caller frees them. An agency's row: code, name, level,
 * parent, path, created_at, lang, profile, region, the profile and region
 * it follows (its own or its nearest ancestor's; "national" at the top).
 * LANG: the language of the agency's notifications ("zh", "en"; NULL: zh).
 * PROFILE, REGION: NULL to inherit; the caller checked them. */
struct rows *registry_agency_add(struct req_ctx *c, const char *code, const char *name,
    const char *level, const char *parent, const char *lang, const char *profile,
    const char *region);
/* Set the policy CODE follows (NULL leaves it; "" inherits again): 0, 1
 * when there is no such agency, -1 on a database error. */
struct db;
int registry_agency_policy(struct db *db, const char *code, const char *profile,
    const char *region);
struct rows *registry_agency_get(struct req_ctx *c, const char *code);
/* The agencies in the user's scope, a parent before its children. */
struct rows *registry_agency_list(struct req_ctx *c);
/* A budget's row: special, work and lottery funds, cap (basis points),
 * special funds committed, updated_at, the dibao spending of the year
 * before (NULL: not recorded), the profile the agency follows. */
struct rows *registry_budget_put(struct req_ctx *c, const char *agency, int year,
    const json_t *body);
struct rows *registry_budget_get(struct req_ctx *c, const char *agency, int year);
/* Catalogue items: code, name, category, level, approved, purchasable,
 * restricted. */
struct rows *registry_catalog_add(struct req_ctx *c, const json_t *body);
struct rows *registry_catalog_list(struct req_ctx *c);
struct rows *registry_catalog_update(struct req_ctx *c, const char *code, const json_t *body);
/* A contractor: OUT[0] its row, OUT[1] its bans, OUT[2] its published
 * evaluations (registry_contractor_free()). 0, or -1 with c->err set. */
int registry_contractor_add(struct req_ctx *c, const json_t *body, struct rows *out[3]);
int registry_contractor_get(struct req_ctx *c, int64_t id, struct rows *out[3]);
void registry_contractor_free(struct rows *r[3]);
/* Contractors by a part of their name or their credit code, up to LIMIT:
 * id, name, kind, credit_code, qualified, banned today, created_at. */
struct rows *registry_contractor_search(struct req_ctx *c, const char *q, int limit);

/* Inside the store. Whether the user sees agency CODE: 1, 0, or -1 (c->err
 * set). */
int registry_agency_seen(struct req_ctx *c, const char *code);
/* Contractor ID's unmet qualifications as a new array (000 §3.2): 0, 1 when
 * there is no such contractor, -1 on a database error. */
int registry_contractor_missing(struct db *db, int64_t id, json_t **missing);
/* Whether contractor ID is banned on DAY: 0 or -1. */
int registry_contractor_banned(struct db *db, int64_t id, int32_t day, bool *banned);

#endif
