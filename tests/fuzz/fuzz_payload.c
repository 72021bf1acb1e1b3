/* Fuzz target: a request body as the daemon checks it. Byte 1 picks an
 * event (its payload goes through the lifecycle, in the state byte 0 picks,
 * for the roles of byte 2) or a route (its body through payload.c); the
 * rest is the body, which must pass the edge first as in the daemon. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "calendar.h"
#include "deadline.h"
#include "edge.h"
#include "lifecycle.h"
#include "payload.h"
#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rules_config rc;
	static bool ready;
	static const struct calendar cal = { 28800, NULL, 0, NULL, 0, NULL, 0 };
	if (!ready) {
		rules_config_defaults(&rc);
		ready = true;
	}
	if (size < 3)
		return 0;
	struct edge_err e;
	json_t *payload;
	if (edge_body((const char *)data + 3, size - 3, &payload, &e))
		return 0;
	unsigned pick = data[1] % (EV__COUNT + PAYLOAD__COUNT - 1);
	if (pick >= EV__COUNT) {
		/* a route's body: its fields, types and required ones, then
		 * the values of one that has the right shape */
		enum payload_kind kind = (enum payload_kind)(pick - EV__COUNT + 1);
		if (payload_check(kind, payload, &e) == 0)
			(void)payload_values(kind, payload, &e);
		json_decref(payload);
		return 0;
	}
	struct lc_project p;
	memset(&p, 0, sizeof p);
	p.state = (enum lc_state)(data[0] % ST__COUNT);
	struct lc_loaded *l = calloc(1, sizeof *l);
	struct lc_ctx ctx = { .rc = &rc, .cal = &cal, .now = INT64_C(1772413200000000),
		.actor = { 7, (unsigned)data[2] }, .p = &p, .l = l, .payload = payload };
	struct lc_result res;
	memset(&res, 0, sizeof res);
	lifecycle_decide(&ctx, (enum lc_event)pick, &res);
	lc_result_clear(&res);
	free(l);
	json_decref(payload);
	return 0;
}
