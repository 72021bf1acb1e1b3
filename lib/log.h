/* Logging: the one door to log4c. Categories are "procurd", "procurd.api", … */
#ifndef PROCURD_LOG_H
#define PROCURD_LOG_H

#include <stdnoreturn.h>

/* Load the log4crc at PATH (NULL: log4c's own search) and open the root
 * category NAME. Safe to call again: the second call rereads the file
 * (SIGHUP). Returns 0, or -1 when the file could not be read (logging then
 * goes to stderr through log4c's defaults). */
int log_open(const char *name, const char *path);
void log_close(void);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Log and exit(1): startup failures and broken invariants only. */
noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
