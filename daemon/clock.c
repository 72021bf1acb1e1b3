/* The clock: the only place that reads the time. */
#include "clock.h"

#include <stdatomic.h>
#include <time.h>

static _Atomic int64_t offset_us;

static usec_t
read_clock(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (usec_t)ts.tv_sec * USEC_PER_SEC + ts.tv_nsec / 1000;
}

usec_t
clock_now(void)
{
	return read_clock(CLOCK_REALTIME) + atomic_load(&offset_us);
}

usec_t
clock_wall(void)
{
	return read_clock(CLOCK_REALTIME);
}

usec_t
clock_monotonic(void)
{
	return read_clock(CLOCK_MONOTONIC);
}

usec_t
clock_offset(void)
{
	return atomic_load(&offset_us);
}

void
clock_set_offset(usec_t offset)
{
	atomic_store(&offset_us, offset);
}
