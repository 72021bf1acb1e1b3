/* The daemon's shared state: consistent copies for pool jobs and the relay. */
#include "procurd.h"

void
procurd_snapshot(struct procurd *d, struct rules_config *rules, struct deadline_config *dc,
    const struct calendar **cal)
{
	pthread_mutex_lock(&d->lock);
	*rules = d->rules;
	*dc = d->deadlines;
	*cal = d->cal;
	pthread_mutex_unlock(&d->lock);
}
