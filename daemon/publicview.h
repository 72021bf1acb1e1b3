/* The one place that decides what of a project is public (000 §3.4,
 * 001 §2.6, procurement law): the public register and OCDS both take
 * their data from public_project() and from nothing else. Pure: rows in,
 * JSON out.
 *
 * Public from the first announcement on: the announcement (title, agency,
 * catalogue items, quantity, quality standard, method, budget, bid
 * deadline, requirements, criteria and weights), failed tenders and
 * retenders, changes of method, awards (winner, price, ranking totals;
 * every bid's price once its round is awarded), contracts (number,
 * amount, period; never the takeover plan), payments (amount and date;
 * never the voucher), terminations and successors, year-end evaluations,
 * cancellations. Never: anything before the announcement (drafts, needs
 * and budgets under review, returns and rejections), comments, reasons
 * typed by officers, evaluators and their sheets, actors, supervision
 * records, challenges, the funding source. */
#ifndef PROCURD_PUBLICVIEW_H
#define PROCURD_PUBLICVIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "projectrow.h"
#include "rows.h"

/* The columns of the rows public_project() reads (store/publication.h
 * makes them): a project's row is projectrow.h's, then these two. */
enum { PUB_AGENCY_NAME = PC__COUNT, PUB_ITEMS };
enum { PH_PROJECT, PH_SEQ, PH_EVENT, PH_FROM, PH_TO, PH_AT, PH_PAYLOAD };
enum { PB_PROJECT, PB_ID, PB_CONTRACTOR, PB_NAME, PB_CODE, PB_PRICE, PB_ROUND, PB_DECLINED };

/* One project's rows: row PI of P; history rows [H0, H1) of H in seq
 * order; bids [B0, B1) of B. RANKING: GET …/ranking's answer for the
 * current round, or NULL (not shown). */
struct pub_source {
	const struct rows *p;
	int pi;
	const struct rows *h;
	int h0, h1;
	const struct rows *b;
	int b0, b1;
	const json_t *ranking;
	/* the kinds of document the register shows ([documents] public,
	 * comma-separated; NULL none) */
	const char *public_kinds;
};

/* True when EVENT shows in the public history (and makes OCDS releases). */
bool public_event(const char *event);

/* The sources of each project of P (ordered by id, as H and B are): fills
 * OUT[0..rows_count(P)); PUBLIC_KINDS: the kinds of document shown. */
void public_sources(const struct rows *p, const struct rows *h, const struct rows *b,
    const char *public_kinds, struct pub_source *out);

/* The project as the public sees it, times at OFF seconds east of UTC,
 * "ocid" = OCID_PREFIX-id. A new reference. */
json_t *public_project(const struct pub_source *s, const char *ocid_prefix, int off);

/* A row of the register's list (store/publication.h's pub_list()). */
json_t *public_list_item(const struct rows *r, int i, const char *ocid_prefix, int off);

#endif
