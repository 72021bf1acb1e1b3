/* A growing string: append, then take the NUL-terminated result. */
#ifndef PROCUR_NOTIFY_STRBUF_H
#define PROCUR_NOTIFY_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *s;      /* always NUL-terminated once anything was appended */
	size_t len;
	size_t cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

void strbuf_add(struct strbuf *b, const char *s, size_t n);
void strbuf_adds(struct strbuf *b, const char *s);
void strbuf_addf(struct strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The string so far ("" when empty); the caller frees it, B is reset. */
char *strbuf_take(struct strbuf *b);
void strbuf_release(struct strbuf *b);

#endif
