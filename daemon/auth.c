/* Bearer tokens: who is calling, with a small cache in front of the store. */
#include "auth.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AUTH_SLOTS 1024
#define TOKEN_MAX 128

struct slot {
	char token[TOKEN_MAX + 1];
	usec_t expires;
	struct user u;
};

struct auth {
	pthread_mutex_t lock;
	int ttl_s;
	struct slot slots[AUTH_SLOTS];
};

struct auth *
auth_new(int ttl_s)
{
	struct auth *a = xcalloc(1, sizeof *a);
	pthread_mutex_init(&a->lock, NULL);
	a->ttl_s = ttl_s;
	return a;
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	pthread_mutex_destroy(&a->lock);
	explicit_bzero(a->slots, sizeof a->slots);
	free(a);
}

static unsigned
slot_of(const char *token)
{
	/* FNV-1a: the tokens are random already */
	unsigned h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)token; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % AUTH_SLOTS;
}

int
auth_check(struct auth *a, struct db *db, const char *header, usec_t now_mono, struct user *u)
{
	if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
		return 1;
	const char *token = header + 7;
	while (*token == ' ')
		token++;
	size_t n = strlen(token);
	if (n == 0 || n > TOKEN_MAX)
		return 1;

	struct slot *s = &a->slots[slot_of(token)];
	pthread_mutex_lock(&a->lock);
	if (s->expires > now_mono && strcmp(s->token, token) == 0) {
		*u = s->u;
		pthread_mutex_unlock(&a->lock);
		return 0;
	}
	pthread_mutex_unlock(&a->lock);

	int rc = user_by_token(db, token, u);
	if (rc == 0 && a->ttl_s > 0) {
		pthread_mutex_lock(&a->lock);
		snprintf(s->token, sizeof s->token, "%s", token);
		s->u = *u;
		s->expires = now_mono + (usec_t)a->ttl_s * USEC_PER_SEC;
		pthread_mutex_unlock(&a->lock);
	}
	return rc;
}

void
auth_forget(struct auth *a)
{
	pthread_mutex_lock(&a->lock);
	for (int i = 0; i < AUTH_SLOTS; i++)
		a->slots[i].expires = 0;
	pthread_mutex_unlock(&a->lock);
}
