/* Request bodies: the fields each route takes, their JSON types and which
 * are required. Checked once, after the token and the role (api.c) and
 * before any handler runs, so a handler and the store see only bodies of
 * the right shape; the values'
 * meaning (a date, a credit code, a catalogue item) is still theirs to
 * judge. Pure: fuzzed as it is. Events' payloads are the lifecycle's. */
#ifndef PROCURD_PAYLOAD_H
#define PROCURD_PAYLOAD_H

#include <jansson.h>
#include "edge.h"

enum payload_kind {
	PAYLOAD_NONE,		/* the route checks its body itself, or has none */
	PAYLOAD_PROJECT,	/* POST /v1/projects */
	PAYLOAD_BUDGET,		/* PUT /v1/agencies/{code}/budgets/{year} */
	PAYLOAD_CATALOG_ADD,	/* POST /v1/catalog */
	PAYLOAD_CATALOG_PUT,	/* PUT /v1/catalog/{code} */
	PAYLOAD_CONTRACTOR,	/* POST /v1/contractors */
	PAYLOAD_BID,		/* POST /v1/projects/{id}/bids */
	PAYLOAD_SCORES,		/* POST /v1/projects/{id}/bids/{bid}/scores */
	PAYLOAD__COUNT
};

/* BODY (an object) against KIND's fields: 0, or -1 with E set: 400
 * unknown_field or invalid_field (a wrong type), 422 rule_violation with
 * rule payload_required; E's field names the field. */
int payload_check(enum payload_kind kind, const json_t *body, struct edge_err *e);

#endif
