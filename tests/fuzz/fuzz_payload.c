/* Fuzz target: an event's payload, as the lifecycle checks it. Byte 0 picks
 * the state, byte 1 the event, byte 2 the actor's roles; the rest is the
 * body, which must pass the edge first as it would in the daemon. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "calendar.h"
#include "deadline.h"
#include "edge.h"
#include "lifecycle.h"
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
	struct lc_project p;
	memset(&p, 0, sizeof p);
	p.state = (enum lc_state)(data[0] % ST__COUNT);
	struct lc_loaded *l = calloc(1, sizeof *l);
	struct lc_ctx ctx = { .rc = &rc, .cal = &cal, .now = INT64_C(1772413200000000),
		.actor = { 7, (unsigned)data[2] }, .p = &p, .l = l, .payload = payload };
	struct lc_result res;
	memset(&res, 0, sizeof res);
	lifecycle_decide(&ctx, (enum lc_event)(data[1] % EV__COUNT), &res);
	lc_result_clear(&res);
	free(l);
	json_decref(payload);
	return 0;
}
