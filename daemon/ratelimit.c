/* Token buckets per address (ratelimit.h). */
#include "ratelimit.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 4096	/* addresses remembered */
#define PROBE 8		/* slots looked at for one address */

struct slot {
	char address[64];
	double tokens;
	usec_t seen;
};

struct ratelimit {
	double per_us;		/* tokens a microsecond */
	double depth;		/* the bucket: a minute's worth */
	struct slot slots[SLOTS];
};

struct ratelimit *
ratelimit_new(int per_minute)
{
	struct ratelimit *l = xcalloc(1, sizeof *l);
	l->depth = per_minute;
	l->per_us = per_minute / 60e6;
	return l;
}

void
ratelimit_free(struct ratelimit *l)
{
	free(l);
}

static uint32_t
hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

bool
ratelimit_take(struct ratelimit *l, const char *address, usec_t now, int *retry_s)
{
	uint32_t h = hash(address);
	struct slot *s = NULL, *oldest = NULL;
	for (int i = 0; i < PROBE && s == NULL; i++) {
		struct slot *x = &l->slots[(h + (uint32_t)i) % SLOTS];
		if (x->address[0] && strcmp(x->address, address) == 0)
			s = x;
		else if (oldest == NULL || x->seen < oldest->seen)
			oldest = x;
	}
	if (s == NULL) {
		/* new here (or forgotten): a full bucket */
		s = oldest;
		snprintf(s->address, sizeof s->address, "%s", address);
		s->tokens = l->depth;
		s->seen = now;
	}
	s->tokens += (double)(now - s->seen) * l->per_us;
	if (s->tokens > l->depth)
		s->tokens = l->depth;
	s->seen = now;
	if (s->tokens >= 1.0) {
		s->tokens -= 1.0;
		return true;
	}
	/* the whole seconds until a token has grown (1e-9: a rounding's
	 * hair is no second more) */
	double wait = (1.0 - s->tokens) / l->per_us / 1e6;
	*retry_s = wait < 1 ? 1 : (int)ceil(wait - 1e-9);
	return false;
}
