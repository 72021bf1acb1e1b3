/* Requests per client address: a token bucket per address, a minute's
 * worth deep, in a fixed table (the least recently seen address gives its
 * slot up when the table is full). One thread only (the loop's). */
#ifndef PROCURD_RATELIMIT_H
#define PROCURD_RATELIMIT_H

#include <stdbool.h>
#include "util.h"

struct ratelimit;

/* PER_MINUTE requests a minute for each address, in bursts up to that. */
struct ratelimit *ratelimit_new(int per_minute);
void ratelimit_free(struct ratelimit *l);
/* True when ADDRESS may make a request at NOW (monotonic µs), which then
 * counts; false with *RETRY_S the seconds until it may (at least 1). */
bool ratelimit_take(struct ratelimit *l, const char *address, usec_t now, int *retry_s);

#endif
