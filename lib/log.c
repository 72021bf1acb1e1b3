/* Logging: the one door to log4c, so no other file includes log4c.h. */
#include "log.h"

#include <log4c.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static log4c_category_t *cat;
static char cat_name[64] = "procurd";
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int inited;
/* The category's priority as log_open() last found it: the lock-free test
 * of every call reads only this, never log4c's state that a reload changes
 * (everything passes until the category is known) */
static atomic_int threshold = LOG4C_PRIORITY_UNKNOWN;

int
log_open(const char *name, const char *path)
{
	int rc = 0;

	pthread_mutex_lock(&log_lock);
	if (name)
		snprintf(cat_name, sizeof cat_name, "%s", name);
	if (!inited) {
		log4c_init();
		inited = 1;
	}
	if (path && log4c_load(path) != 0)
		rc = -1;
	cat = log4c_category_get(cat_name);
	atomic_store(&threshold, log4c_category_get_chainedpriority(cat));
	pthread_mutex_unlock(&log_lock);
	return rc;
}

void
log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (inited)
		log4c_fini();
	inited = 0;
	cat = NULL;
	atomic_store(&threshold, LOG4C_PRIORITY_UNKNOWN);
	pthread_mutex_unlock(&log_lock);
}

/* Every line is one line: a message is formatted first and any control
 * character or byte that is not UTF-8 in it (text a request supplied, an
 * error from libpq) is written as \xHH, so nothing can forge a line. */
static void
vlog(int prio, const char *fmt, va_list ap)
{
	char msg[2048], esc[4096];

	/* a disabled priority costs no lock: the hot path logs at debug */
	if (prio > atomic_load_explicit(&threshold, memory_order_relaxed))
		return;
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	size_t len = n < 0 ? 0 : (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
	const char *line = text_plain(msg, len) && !memchr(msg, '\\', len) ? msg :
	    text_escape(msg, len, esc, sizeof esc);
	/* log4c appenders are not thread-safe: the relay thread logs too */
	pthread_mutex_lock(&log_lock);
	if (cat != NULL) {
		/* log4c_category_log() does not check the priority itself */
		if (log4c_category_is_priority_enabled(cat, prio))
			log4c_category_log(cat, prio, "%s", line);
	} else {
		fprintf(stderr, "%s\n", line);
	}
	pthread_mutex_unlock(&log_lock);
}

#define LOG_FN(fn, prio)                        \
	void fn(const char *fmt, ...)           \
	{                                       \
		va_list ap;                     \
		va_start(ap, fmt);              \
		vlog(prio, fmt, ap);            \
		va_end(ap);                     \
	}

LOG_FN(log_debug, LOG4C_PRIORITY_DEBUG)
LOG_FN(log_info, LOG4C_PRIORITY_INFO)
LOG_FN(log_warn, LOG4C_PRIORITY_WARN)
LOG_FN(log_error, LOG4C_PRIORITY_ERROR)

void
fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG4C_PRIORITY_FATAL, fmt, ap);
	va_end(ap);
	exit(1);
}
