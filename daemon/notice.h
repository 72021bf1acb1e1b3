/* Who must hear of an event: the notifications a lifecycle event implies,
 * as outbox rows. Pure: the store writes them in the event's transaction. */
#ifndef PROCURD_NOTICE_H
#define PROCURD_NOTICE_H

#include <jansson.h>
#include <stdint.h>
#include "lifecycle.h"

struct notice_ctx {
	enum lc_event ev;
	const char *ev_name;	/* "create" has no enum */
	enum lc_state from, to;
	const char *agency;
	const char *parent_agency;	/* NULL at the top */
	int64_t project_id;
	const char *title;
	const char *actor;
	const json_t *payload;	/* the event's payload with its computed "result" */
	const json_t *takeover_plan;	/* contractor_exit: the plan recorded at signing */
	const char *lang;		/* the agency's notification language */
	const char *parent_lang;	/* its parent's (the agency's own at the top) */
};

/* A new JSON array of {"channel","recipient","template","lang","data"}.
 * Recipients are role mailboxes "agency:CODE:ROLE", "contractor:ID", or a
 * contact from a takeover plan; each row carries its recipient's language
 * (the agency's, the parent's, or a contact's own "lang"). */
json_t *notice_rows(const struct notice_ctx *n);

#endif
