/* The database's reachability, once per process (see outage.h). */
#include "outage.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include "clock.h"
#include "log.h"
#include "util.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool down;
static usec_t since;		/* monotonic, while down */
static char reason[256];

/* libpq's message on one line, UTF-8 whatever the server's language: it
 * goes into the readiness answer's JSON */
static void
set_reason(const char *why)
{
	char line[sizeof reason];
	size_t n = 0;
	for (const char *s = why && *why ? why : "no answer"; *s && n < sizeof line - 1; s++) {
		bool space = *s == '\n' || *s == '\t' || *s == '\r' || *s == ' ';
		if (space && (n == 0 || line[n - 1] == ' '))
			continue;
		line[n++] = space ? ' ' : *s;
	}
	while (n > 0 && line[n - 1] == ' ')
		n--;
	line[n] = '\0';
	if (text_plain(line, n))
		memcpy(reason, line, n + 1);
	else
		text_escape(line, n, reason, sizeof reason);
}

void
outage_begin(const char *why)
{
	pthread_mutex_lock(&lock);
	if (!atomic_load(&down)) {
		set_reason(why);
		since = clock_monotonic();
		atomic_store(&down, true);
		log_error("database: unreachable: %s; answering 503 and not ready until it answers",
		    reason);
	}
	pthread_mutex_unlock(&lock);
}

void
outage_end(void)
{
	if (!atomic_load(&down))
		return;
	pthread_mutex_lock(&lock);
	if (atomic_load(&down)) {
		atomic_store(&down, false);
		log_warn("database: reachable again after %.1f s", (double)(clock_monotonic() - since) /
		    USEC_PER_SEC);
		reason[0] = '\0';
	}
	pthread_mutex_unlock(&lock);
}

bool
outage_active(void)
{
	return atomic_load(&down);
}

void
outage_reason(char *buf, size_t len)
{
	pthread_mutex_lock(&lock);
	snprintf(buf, len, "%s", atomic_load(&down) ? reason : "");
	pthread_mutex_unlock(&lock);
}
