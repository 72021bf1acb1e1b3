/* What bureaus report upward (002 §3, 003 §3.5): the staffing of each
 * county and township against its floors, spending by funding source,
 * category, method and state, and the minimum-living-allowance spending
 * finance records (Guangdong's work funds are 3 % of it, 002 §2.2). Rows
 * only: reports.c decides the floors and shapes the answers. */
#ifndef PROCURD_REPORT_H
#define PROCURD_REPORT_H

#include "ctx.h"
#include "rows.h"

/* Columns of a unit in the staffing report. */
enum {
	RS_CODE, RS_NAME, RS_LEVEL, RS_PROFILE, RS_REGION, RS_HOUSEHOLDS, RS_RECIPIENTS,
	RS_CONTRACTED, RS_PLANNED, RS_LOWEST_WAGE, RS_SPECIAL, RS_CAP_BP, RS_COMMITTED,
	RS_PARENT, RS__COUNT
};
/* Every county-level and township agency at or below AGENCY (in the
 * user's scope, else 404), in tree order, for fiscal YEAR: the households
 * and recipients the year's latest positions give, staff under contract
 * (contracted to closed) and planned (not yet contracted), the lowest wage
 * under contract, its special funds, cap and commitments. */
struct rows *report_staffing(struct req_ctx *c, const char *agency, int year);

/* Columns of spending: the dimension ("total", "funding_source",
 * "category", "method", "state"), its value, projects, budget, contract
 * amounts, paid. */
enum { RP_DIMENSION, RP_VALUE, RP_PROJECTS, RP_BUDGET, RP_CONTRACTED, RP_PAID, RP__COUNT };
/* The fiscal YEAR's projects of the agencies at or below AGENCY, summed
 * by each dimension (a project's category is its first item's). */
struct rows *report_spending(struct req_ctx *c, const char *agency, int year);

/* Record AGENCY's dibao spending of YEAR (finance): its row (agency,
 * year, spending_fen, updated_at), or NULL with c->err. */
struct rows *report_dibao_put(struct req_ctx *c, const char *agency, int year, int64_t fen);
struct rows *report_dibao_get(struct req_ctx *c, const char *agency, int year);

#endif
