/* A project's row: its columns in the order every project statement reads
 * them (PROJECT_COLS in store/project.c), for the store that reads and keeps
 * rows and the renderer that shows them. */
#ifndef PROCURD_PROJECTROW_H
#define PROCURD_PROJECTROW_H

#include <stdbool.h>
#include "util.h"

enum {
	PC_ID, PC_AGENCY, PC_YEAR, PC_TITLE, PC_ITEMS, PC_BUDGET, PC_FUNDING, PC_METHOD,
	PC_QUANTITY, PC_QUALITY, PC_START, PC_END, PC_STATE, PC_VERSION, PC_NEXT_CHECK,
	PC_CREATED_BY, PC_SUBMITTED_BY, PC_COMPLETED_BY, PC_PUBLISHED_AT, PC_BID_DEADLINE,
	PC_REQUIREMENTS, PC_EVALUATORS, PC_CRITERIA, PC_AWARD_BID, PC_AWARD_CONTRACTOR,
	PC_AWARD_PRICE, PC_AWARDED_AT, PC_CONTRACT, PC_PAID, PC_EVALUATION, PC_PREDECESSOR,
	PC_SUCCESSOR, PC_LAST_SEQ, PC_LAST_HASH, PC_CREATED_AT, PC_UPDATED_AT,
	PC_BUDGET_APPROVED, PC_ROUND, PC_POSITIONS, PC__COUNT
};

/* What an event's write changed in the row it was decided on. */
struct project_after {
	int version;
	bool has_next_check;
	usec_t next_check;
	usec_t updated_at;
};

#endif
