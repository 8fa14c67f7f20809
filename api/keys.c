/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The API keys.  Only their BLAKE2b digests are kept, under a key drawn at
 * start-up, and a key given in X-API-Key is compared with every one of
 * them, digest against digest, in constant time: how long the comparison
 * takes tells nothing of a key's bytes or of its length.
 */

#include "compat.h"

#include <sys/types.h>

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "util.h"

#define DIGEST_LEN	crypto_generichash_BYTES

struct api_keys {
	u_char		 salt[crypto_generichash_KEYBYTES];
	u_char		 digest[API_KEYS_MAX][DIGEST_LEN];
	size_t		 n;
};

struct api_keys *
keys_new(void)
{
	struct api_keys	*k;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return (NULL);
	randombytes_buf(k->salt, sizeof(k->salt));
	return (k);
}

/*
 * May s (len bytes) be a key?  Printable ASCII without spaces or commas,
 * at most API_KEY_MAX bytes: it travels in a header and in a list.
 */
int
keys_check(const char *s, size_t len, char *err, size_t errlen)
{
	size_t	 i;

	if (len == 0)
		return (seterr(err, errlen, "an empty key"));
	if (len > API_KEY_MAX)
		return (seterr(err, errlen, "a key longer than %d bytes",
		    API_KEY_MAX));
	for (i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == ',')
			return (seterr(err, errlen, "a key may hold only "
			    "printable characters, no space or comma"));
	return (0);
}

static void
keys_digest(const struct api_keys *k, const char *s, size_t len,
    u_char *out)
{
	(void)crypto_generichash(out, DIGEST_LEN, (const u_char *)s, len,
	    k->salt, sizeof(k->salt));
}

/* Add one key (checked already); a key given twice is kept once. */
int
keys_add(struct api_keys *k, const char *s, size_t len)
{
	u_char	 d[DIGEST_LEN];
	size_t	 i;

	keys_digest(k, s, len, d);
	for (i = 0; i < k->n; i++)
		if (sodium_memcmp(k->digest[i], d, DIGEST_LEN) == 0)
			return (0);
	if (k->n == API_KEYS_MAX)
		return (-1);
	memcpy(k->digest[k->n++], d, DIGEST_LEN);
	sodium_memzero(d, sizeof(d));
	return (0);
}

/*
 * KEY,KEY,...: spaces around a key are dropped and empty ones skipped, as
 * the Python master did; every other key must pass keys_check().
 */
int
keys_parse_list(struct api_keys *k, const char *list, char *err,
    size_t errlen)
{
	const char	*p = list, *end;
	size_t		 len;

	while (*p != '\0') {
		p += strspn(p, " \t");
		end = p + strcspn(p, ",");
		len = (size_t)(end - p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len > 0) {
			if (keys_check(p, len, err, errlen) == -1)
				return (-1);
			if (keys_add(k, p, len) == -1)
				return (seterr(err, errlen, "more than %d keys",
				    API_KEYS_MAX));
		}
		p = *end == ',' ? end + 1 : end;
	}
	return (0);
}

size_t
keys_count(const struct api_keys *k)
{
	return (k->n);
}

/* Is s one of the keys?  Every key is compared, whichever matches. */
int
keys_match(const struct api_keys *k, const char *s, size_t len)
{
	u_char	 d[DIGEST_LEN];
	size_t	 i;
	int	 found = 0;

	if (len == 0 || len > API_KEY_MAX)
		return (0);
	keys_digest(k, s, len, d);
	for (i = 0; i < k->n; i++)
		found |= sodium_memcmp(k->digest[i], d, DIGEST_LEN) == 0;
	sodium_memzero(d, sizeof(d));
	return (found);
}
