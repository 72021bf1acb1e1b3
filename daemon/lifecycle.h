/* The lifecycle of a purchase project: one static table of transitions
 * (from, event, to, roles, guard) and the pure function that decides an
 * event. No I/O and no globals: the store loads what a guard needs into
 * struct lc_ctx, lifecycle_decide() answers, the store writes. */
#ifndef PROCURD_LIFECYCLE_H
#define PROCURD_LIFECYCLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "calendar.h"
#include "rules.h"
#include "staffing.h"

enum lc_state {
	ST_DRAFT,
	ST_NEEDS_REVIEW,
	ST_BUDGET_REVIEW,
	ST_APPROVED,
	ST_ANNOUNCED,
	ST_TENDER_FAILED,
	ST_SCORING,
	ST_AWARDED,
	ST_CONTRACTED,
	ST_IN_SERVICE,
	ST_ACCEPTANCE,
	ST_PAYMENT,
	ST_YEAR_END_REVIEW,
	ST_CLOSED,
	ST_TAKEOVER,
	ST_TERMINATED,
	ST_CANCELLED,
	ST__COUNT
};

enum lc_event {
	EV_SUBMIT,
	EV_APPROVE_NEEDS,
	EV_RETURN_NEEDS,
	EV_APPROVE_BUDGET,
	EV_RETURN_BUDGET,
	EV_REJECT_BUDGET,
	EV_PUBLISH,
	EV_CLOSE_BIDDING,
	EV_RETENDER,
	EV_CHANGE_METHOD,
	EV_AWARD,
	EV_DECLINE_AWARD,
	EV_CHALLENGE,
	EV_ANSWER_CHALLENGE,
	EV_SIGN_CONTRACT,
	EV_START_SERVICE,
	EV_RECORD_SUPERVISION,
	EV_COMPLETE_SERVICE,
	EV_ACCEPT,
	EV_REJECT_ACCEPTANCE,
	EV_CONFIRM_PAYMENT,
	EV_EVALUATE,
	EV_CONTRACTOR_EXIT,
	EV_REPORT_SUBCONTRACTING,
	EV_COMPLETE_TAKEOVER,
	EV_CANCEL,
	EV_ESCALATE,
	EV__COUNT
};

/* Roles are bits: a user may hold several (a section chief is often officer
 * and reviewer), which is why separation of duties is checked per user. */
enum role {
	ROLE_OFFICER = 1u << 0,
	ROLE_REVIEWER = 1u << 1,
	ROLE_FINANCE = 1u << 2,
	ROLE_EVALUATOR = 1u << 3,
	ROLE_AUDITOR = 1u << 4,
	ROLE_ADMIN = 1u << 5,
	ROLE_DAEMON = 1u << 6,	/* the daemon itself: timed events, escalations */
};
#define ROLE__COUNT 7

const char *lc_state_name(enum lc_state s);
int lc_state_parse(const char *s);		/* -1 when unknown */
const char *lc_event_name(enum lc_event e);
int lc_event_parse(const char *s);		/* -1 when unknown */
const char *role_name(unsigned one_role_bit);
int role_parse(const char *s);			/* the bit, or -1 */
/* Parse "officer,reviewer" into a mask; -1 on an unknown name or empty list. */
int roles_parse_list(const char *s, unsigned *mask);
bool lc_state_is_final(enum lc_state s);	/* closed, terminated, cancelled */

/* What the store must load into lc_loaded before deciding an event. */
enum lc_need {
	NEED_CATALOG = 1u << 0,		/* the project's catalogue items */
	NEED_BUDGET = 1u << 1,		/* the agency's budget for the year, locked */
	NEED_BIDS = 1u << 2,		/* bids with eligibility, sheets and past performance */
	NEED_CHALLENGES = 1u << 3,	/* challenges of the award */
	NEED_CONTRACTOR = 1u << 4,	/* the awarded contractor's ban state today */
	NEED_POSITIONS = 1u << 5,	/* the units the positions serve, and who staffs them */
};

/* One row of the transition table. TO is where the event goes; guards may
 * choose ALT instead (close_bidding → tender_failed, decline_award →
 * tender_failed). TO == -1 means "stays in FROM" (escalate, challenges,
 * supervision). */
struct lc_transition {
	enum lc_state from;
	enum lc_event event;
	int to;
	int alt;
	unsigned roles;
	unsigned needs;
};

/* The table itself, for tests and for docs/lifecycle.md generation. */
const struct lc_transition *lifecycle_table(size_t *n);
/* The row for (FROM, EV), or NULL when the event is not allowed there. */
const struct lc_transition *lifecycle_find(enum lc_state from, enum lc_event ev);
/* Union of NEED_* for EV from any state (what to load before deciding). */
unsigned lifecycle_needs(enum lc_state from, enum lc_event ev);
/* True when EV, from every state that allows it, stays in that state and
 * needs nothing loaded (record_supervision, escalate). */
bool lifecycle_stays(enum lc_event ev);

#define LC_MAX_ITEMS 32
#define LC_MAX_BIDS 64
#define LC_MAX_CHALLENGES 16

struct lc_catalog_item {
	char code[64];
	bool exists, approved, purchasable;
};

struct lc_challenge {
	int64_t id;
	bool open;
	usec_t answer_due;
};

/* The project as the guards see it: its row, decoded. */
struct lc_project {
	int64_t id;
	enum lc_state state;
	int version;
	int fiscal_year;
	int method;			/* enum method, -1 missing */
	int funding;			/* enum funding, -1 missing */
	int64_t budget_fen;		/* -1 missing */
	bool has_title, has_quantity, has_quality_standard;
	int32_t service_start, service_end;	/* local days, -1 missing */
	int n_items;			/* catalogue items listed */
	int64_t submitted_by;		/* user id, 0 none */
	int64_t completed_by;		/* user id of complete_service, 0 none */
	usec_t bid_deadline;		/* 0 none */
	int evaluators_required;
	struct criterion criteria[CRITERIA_MAX];
	size_t n_criteria;
	int64_t award_bid_id;		/* 0 none */
	int64_t award_contractor_id;
	int64_t award_price_fen;
	usec_t awarded_at;		/* 0 none */
	int64_t contract_amount_fen;	/* -1 none */
	bool has_takeover_plan;
	int64_t successor_id;		/* 0 none */
};

/* What NEED_* loaded. */
struct lc_loaded {
	struct lc_catalog_item items[LC_MAX_ITEMS];
	size_t n_items;
	bool has_budget;		/* a budget row exists for agency+year */
	int64_t source_funds_fen;	/* the budget of the project's funding source */
	int64_t special_funds_fen;
	int cap_bp;
	int64_t special_committed_fen;	/* approved special-funds projects, this one excluded */
	struct rank_bid bids[LC_MAX_BIDS];	/* eligible flags set; ranked by the guard */
	size_t n_bids;
	struct lc_challenge challenges[LC_MAX_CHALLENGES];
	size_t n_challenges;
	bool contractor_banned;		/* the awarded contractor, today */
	bool contractor_qualified;	/* has every qualification flag */
	struct position positions[POSITIONS_MAX];	/* as staffing.h says */
	size_t n_positions;
};

struct lc_actor {
	int64_t user_id;		/* 0 for the daemon */
	unsigned roles;
};

struct lc_ctx {
	const struct rules_config *rc;
	const struct profile_set *profiles;	/* NULL: none (no position is checked) */
	const struct calendar *cal;
	usec_t now;
	struct lc_actor actor;
	const struct lc_project *p;
	struct lc_loaded *l;		/* guards may rank l->bids in place */
	const json_t *payload;		/* an object; never NULL */
};

/* The answer. status 0: allowed, go to TO. Otherwise an HTTP status with a
 * code: 409 "invalid_transition"; 403 "forbidden" (role) or
 * "separation_of_duties"; 400 "unknown_field" or "invalid_field" (mistyped,
 * badly formatted, or a value outside an enumeration; err.details
 * {"field": NAME}); 422 "rule_violation" with the rule in err.rule and its
 * figures in err.details (a missing required field is rule
 * "payload_required" with {"field": NAME}). */
struct lc_result {
	int status;
	enum lc_state to;
	const char *code;
	struct rule_error err;
	/* values the guard computed that the store writes */
	int64_t award_bid_id;		/* award, decline_award: the bid that wins (0: none left) */
	int64_t award_contractor_id;
	int64_t award_price_fen;
	int n_eligible_bids;		/* close_bidding */
	int64_t challenge_id;		/* answer_challenge */
	usec_t due;			/* challenge: answer due; reject_acceptance: rectify_by */
	double composite;		/* evaluate */
	/* A year the guard's calendar arithmetic needed but the calendar does
	 * not cover (0: none). The answer was counted with weekends only; the
	 * store raises an incident. */
	int uncovered_year;
};
void lc_result_clear(struct lc_result *r);	/* frees err.details */

/* Decide EV on the project in CTX. Checks, in this order: the event exists
 * from the current state (409), the actor's roles (403), the payload's fields
 * (400, or 422 payload_required), separation of duties (403), then the
 * event's guard (422 rule_violation). Fills *out; never allocates except
 * out->err.details. */
void lifecycle_decide(const struct lc_ctx *ctx, enum lc_event ev, struct lc_result *out);

/* The payload fields EV accepts, for docs and the API's own checks. */
enum lc_ftype { FT_STRING, FT_INT, FT_NUMBER, FT_TIME, FT_OBJECT, FT_ARRAY, FT_ANY };
struct lc_field {
	const char *name;
	enum lc_ftype type;
	bool required;
};
const struct lc_field *lifecycle_fields(enum lc_event ev, size_t *n);

#endif
