/* Procurement rules as pure functions over data: methods, funds and the cap,
 * criteria and comprehensive scoring, credit codes, bans, evaluations.
 * No I/O, no globals: everything they need comes in their arguments. */
#ifndef PROCURD_RULES_H
#define PROCURD_RULES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "calendar.h"

enum method {
	METHOD_PUBLIC_TENDER,
	METHOD_INVITED_TENDER,
	METHOD_COMPETITIVE_NEGOTIATION,
	METHOD_COMPETITIVE_CONSULTATION,
	METHOD_SINGLE_SOURCE,
	METHOD__COUNT
};

enum funding {
	FUNDING_SPECIAL,	/* social-assistance special funds: capped */
	FUNDING_WORK,
	FUNDING_LOTTERY,
	FUNDING__COUNT
};

enum contractor_kind {
	KIND_SOCIAL_ORGANIZATION,
	KIND_PUBLIC_INSTITUTION,
	KIND_ENTERPRISE,
	KIND__COUNT
};

/* Qualification flags of 000 §3.2, in this order everywhere. */
enum qual_flag {
	QUAL_INDEPENDENT_LIABILITY,
	QUAL_FACILITIES,
	QUAL_STAFF,
	QUAL_PROFESSIONAL_CAPABILITY,
	QUAL_GOVERNANCE,
	QUAL_FINANCIAL_MANAGEMENT,
	QUAL__COUNT
};

const char *method_name(enum method m);
int method_parse(const char *s);		/* -1 when unknown */
const char *funding_name(enum funding f);
int funding_parse(const char *s);
const char *contractor_kind_name(enum contractor_kind k);
int contractor_kind_parse(const char *s);
const char *qual_flag_name(enum qual_flag q);

/* Every figure a rule uses; filled from configuration (config.c), each with
 * its legal source beside the key in config/procurd.conf. */
struct rules_config {
	struct period bid_window[METHOD__COUNT];	/* statutory minimum to the bid deadline */
	int min_bids[METHOD__COUNT];			/* eligible bids needed to score */
	int price_weight_min;				/* 10 (%) */
	int price_weight_max;				/* 30 (%) */
	int cap_bp_default;				/* special-funds cap, basis points: 200 = 2 % */
	struct period challenge_window;			/* 7 working days from the award */
	struct period challenge_answer;			/* 7 working days to answer */
	struct period signing_window;			/* 30 calendar days from the award */
	int ban_years;					/* breach and fraud: 3 */
	int eval_weight_purchaser;			/* percent: 30 */
	int eval_weight_recipient;			/* percent: 40, the largest */
	int eval_weight_third_party;			/* percent: 30 */
	int past_performance_neutral;			/* 60 of 100 without history */
	int past_performance_years;			/* 3 */
};

/* Defaults as shipped (the same figures as config/procurd.conf). */
void rules_config_defaults(struct rules_config *rc);

/* An error a rule reports: stable identifier, human message, figures. */
struct rule_error {
	char rule[64];		/* e.g. "special_funds_cap" */
	char message[256];
	json_t *details;	/* owned: the caller json_decref()s it; may be NULL */
};
void rule_error_clear(struct rule_error *e);

/* --- criteria and scoring ------------------------------------------------ */

#define CRITERIA_MAX 32
#define CRITERION_NAME_MAX 64
#define PAST_PERFORMANCE "past_performance"

enum criterion_kind { CRIT_QUALITY, CRIT_PRICE };

struct criterion {
	char name[CRITERION_NAME_MAX];
	enum criterion_kind kind;
	int weight;
};

/* Parse and check the publish payload's "criteria": a list of
 * {"name","kind","weight"}, names unique, weights positive integers summing to
 * 100, exactly one price criterion with its weight inside
 * [price_weight_min, price_weight_max]. Returns 0, or -1 with *err filled
 * (rule "criteria_weights", "price_weight_range", "criteria_price_count",
 * "criteria_malformed"). */
int rules_parse_criteria(const struct rules_config *rc, const json_t *arr,
    struct criterion *out, size_t *n_out, struct rule_error *err);

/* Check one evaluator's score sheet {CRITERION: points}: every quality
 * criterion except past_performance present, 0 ≤ points ≤ weight, no price
 * criterion, no unknown names. Stores the sum of the points in *quality_sum.
 * Returns 0, or -1 with *err (rule "score_sheet"). */
int rules_check_sheet(const struct criterion *crit, size_t n_crit, const json_t *scores,
    double *quality_sum, struct rule_error *err);

struct rank_bid {
	/* in */
	int64_t bid_id;
	int64_t contractor_id;
	int64_t price_fen;
	bool eligible;			/* false: not ranked (declined, banned, unqualified) */
	int n_sheets;			/* evaluators' sheets for this bid */
	double sheet_quality_sum;	/* sum over sheets of their quality points */
	double past_composite;		/* mean composite of the last years; < 0 none */
	/* out */
	double past_points;		/* points of the past_performance criterion */
	bool past_neutral;		/* past_points came from the neutral value */
	double quality_score;		/* mean of sheets + past_points */
	double price_score;		/* lowest eligible price / price × price weight */
	double total;
	int rank;			/* 1 = best; 0 for ineligible bids */
};

/* Comprehensive (quality-first) scoring: ranks the eligible bids by total,
 * ties to the higher quality score, then the lower price, then the lower
 * bid id. Reorders BIDS so ranked bids come first in rank order. */
void rules_rank(const struct rules_config *rc, const struct criterion *crit, size_t n_crit,
    struct rank_bid *bids, size_t n_bids);

/* --- funds ---------------------------------------------------------------- */

/* The special-funds cap: cap = floor(special_funds × cap_bp / 10000).
 * Refuses (rule "special_funds_cap") when committed + asked > cap; details:
 * special_funds_fen, cap_percent, cap_fen, committed_fen, asked_fen,
 * remaining_fen. Returns 0 or -1. */
int64_t rules_cap_fen(int64_t special_funds_fen, int cap_bp);
int rules_check_cap(int64_t special_funds_fen, int cap_bp, int64_t committed_fen,
    int64_t asked_fen, struct rule_error *err);

/* --- contractors ---------------------------------------------------------- */

/* GB 32100-2015 unified social credit code: 18 characters of
 * "0123456789ABCDEFGHJKLMNPQRTUWXY", the last one the check character.
 * Returns 0, or -1 with a message saying what is wrong. */
int rules_credit_code_check(const char *code, char *why, size_t why_len);

/* A ban runs over local days [start, end): banned on DAY when start ≤ day < end. */
bool rules_banned_on(int32_t ban_start, int32_t ban_end, int32_t day);
/* End day of a ban of BAN_YEARS starting on START (same month and day, 29 Feb → 1 Mar). */
int32_t rules_ban_end(int32_t start, int ban_years);

/* --- evaluation ----------------------------------------------------------- */

/* Each score 0..100; -1 with *err (rule "evaluation_score") otherwise. The
 * composite is weighted by the eval_weight_* percentages, rounded to 2
 * decimals. */
int rules_composite(const struct rules_config *rc, double purchaser, double recipient,
    double third_party, double *composite, struct rule_error *err);

#endif
