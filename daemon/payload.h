/* Request bodies: the fields each route takes, their JSON types, which are
 * required, and what each value must be (a year, a date, an amount, one of
 * the funding sources, a credit code's checksum). The shape is checked once,
 * after the token and the role (api.c) and before any handler runs, the
 * values by the handler after its path parameters, so a handler and
 * the store see only bodies of the right shape and values; what depends on
 * the database (does the agency, catalogue item, contractor exist, is it in
 * scope) is the store's to judge. Pure: fuzzed as it is. Events' payloads
 * are the lifecycle's. */
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
	PAYLOAD_SESSION,	/* POST /v1/sessions */
	PAYLOAD_PASSWORD,	/* PUT /v1/me/password */
	PAYLOAD_USER,		/* POST /v1/users */
	PAYLOAD_LANGUAGE,	/* PUT /v1/me/language */
	PAYLOAD_DIBAO,		/* PUT /v1/agencies/{code}/dibao-spending/{year} */
	PAYLOAD__COUNT
};

/* BODY (an object) against KIND's fields: 0, or -1 with E set: 400
 * unknown_field or invalid_field (a wrong type), 422 rule_violation with
 * rule payload_required; E's field names the field. */
int payload_check(enum payload_kind kind, const json_t *body, struct edge_err *e);
/* The values of a BODY that passed payload_check(), once the route's path
 * parameters are known good: 0, or -1 with E set (400 invalid_field naming
 * the first field out of its range). */
int payload_values(enum payload_kind kind, const json_t *body, struct edge_err *e);

#endif
