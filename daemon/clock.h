/* The clock: the only place that reads the time. Tests and demonstrations
 * may move it forward (an offset) when [clock] adjustable is true. */
#ifndef PROCURD_CLOCK_H
#define PROCURD_CLOCK_H

#include "util.h"

/* Now, as the daemon sees it: the system's real time plus the offset. */
usec_t clock_now(void);
/* The real (unadjusted) time: for latencies and timers only, never for
 * anything recorded. Monotonic microseconds. */
usec_t clock_monotonic(void);
/* The system's real time, never moved: for security windows (sessions,
 * sign-in lockouts) that a demonstration's clock must not shift. */
usec_t clock_wall(void);
usec_t clock_offset(void);
void clock_set_offset(usec_t offset);

#endif
