/* Inside the store: a project's row, its columns in the order every
 * project statement reads them (PROJECT_COLS), for the files that read or
 * keep rows without rendering them. */
#ifndef PROCURD_PROJECTROW_H
#define PROCURD_PROJECTROW_H

#include <stdbool.h>
#include "util.h"

/* Columns of a project as the API shows it and the guards read it. What the
 * scope check and the notifications need of its agency comes from the
 * agency cache (cache_agency()), not from a join. */
#define PROJECT_COLS \
	"p.id, p.agency, p.fiscal_year, p.title, array_to_json(p.catalog_items)::text, " \
	"p.budget_fen, p.funding_source, p.method, p.quantity, p.quality_standard, " \
	"p.service_start::text, p.service_end::text, p.state, p.version, ts2us(p.next_check), " \
	"p.created_by, p.submitted_by, p.completed_by, ts2us(p.published_at), " \
	"ts2us(p.bid_deadline), p.requirements, p.evaluators_required, p.criteria::text, " \
	"p.award_bid_id, p.award_contractor_id, p.award_price_fen, ts2us(p.awarded_at), " \
	"p.contract::text, p.paid_fen, p.evaluation::text, p.predecessor_id, p.successor_id, " \
	"p.last_seq, encode(p.last_hash, 'hex'), ts2us(p.created_at), ts2us(p.updated_at), " \
	"p.budget_approved, p.round"
#define PROJECT_FROM " FROM project p "
enum {
	PC_ID, PC_AGENCY, PC_YEAR, PC_TITLE, PC_ITEMS, PC_BUDGET, PC_FUNDING, PC_METHOD,
	PC_QUANTITY, PC_QUALITY, PC_START, PC_END, PC_STATE, PC_VERSION, PC_NEXT_CHECK,
	PC_CREATED_BY, PC_SUBMITTED_BY, PC_COMPLETED_BY, PC_PUBLISHED_AT, PC_BID_DEADLINE,
	PC_REQUIREMENTS, PC_EVALUATORS, PC_CRITERIA, PC_AWARD_BID, PC_AWARD_CONTRACTOR,
	PC_AWARD_PRICE, PC_AWARDED_AT, PC_CONTRACT, PC_PAID, PC_EVALUATION, PC_PREDECESSOR,
	PC_SUCCESSOR, PC_LAST_SEQ, PC_LAST_HASH, PC_CREATED_AT, PC_UPDATED_AT,
	PC_BUDGET_APPROVED, PC_ROUND, PC__COUNT
};

/* What an event's write changed in the row it was decided on. */
struct project_after {
	int version;
	bool has_next_check;
	usec_t next_check;
	usec_t updated_at;
};

#endif
