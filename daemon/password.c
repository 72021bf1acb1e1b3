/* Passwords: yescrypt through libcrypt, the policy, one-time passwords. */
#include "password.h"

#include <crypt.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"

int
password_hash(const char *pw, char out[PASSWORD_HASH_MAX])
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	unsigned char rnd[32];
	if (random_bytes(rnd, sizeof rnd) ||
	    crypt_gensalt_rn("$y$", 0, (const char *)rnd, (int)sizeof rnd, salt, sizeof salt) == NULL)
		return -1;
	struct crypt_data *cd = xcalloc(1, sizeof *cd);
	const char *h = crypt_r(pw, salt, cd);
	int rc = -1;
	if (h && h[0] == '$' && strlen(h) < PASSWORD_HASH_MAX) {
		memcpy(out, h, strlen(h) + 1);
		rc = 0;
	}
	explicit_bzero(cd, sizeof *cd);
	free(cd);
	return rc;
}

bool
password_verify(const char *pw, const char *hash)
{
	if (hash == NULL || strncmp(hash, "$y$", 3) != 0)
		return false;
	struct crypt_data *cd = xcalloc(1, sizeof *cd);
	const char *h = crypt_r(pw, hash, cd);
	bool ok = false;
	size_t n = strlen(hash);
	if (h && strlen(h) == n) {
		unsigned char diff = 0;
		for (size_t i = 0; i < n; i++)
			diff |= (unsigned char)(h[i] ^ hash[i]);
		ok = diff == 0;
	}
	explicit_bzero(cd, sizeof *cd);
	free(cd);
	return ok;
}

/* Characters (code points) of valid UTF-8 S. */
static size_t
chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

const char *
password_weak(const char *pw, const char *name)
{
	size_t len = strlen(pw);
	if (len > PASSWORD_MAX)
		return "a password is at most 256 bytes";
	if (!text_plain(pw, len))
		return "a password is text without control characters";
	if (chars(pw) < 10)
		return "a password has at least 10 characters";
	if (name && strcasecmp(pw, name) == 0)
		return "a password is not the user's name";
	return NULL;
}

int
password_one_time(char out[17])
{
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY23456789";
	const unsigned n = sizeof alphabet - 1, limit = 256 - 256 % n;
	unsigned char rnd[64];
	int k = 0;
	while (k < 16) {
		if (random_bytes(rnd, sizeof rnd))
			return -1;
		/* rejection keeps every symbol equally likely: 16 of 53, 91 bits */
		for (size_t i = 0; i < sizeof rnd && k < 16; i++)
			if (rnd[i] < limit)
				out[k++] = alphabet[rnd[i] % n];
	}
	out[16] = '\0';
	explicit_bzero(rnd, sizeof rnd);
	return 0;
}
