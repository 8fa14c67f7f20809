/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Token buckets per address, in a fixed set-associative table: the
 * request throttle (one bucket per source) and the limit on challenges
 * (one bucket per destination) are each one of these.
 *
 * The set of an address is SipHash-2-4 (libsodium's crypto_shorthash)
 * under a key drawn at start-up, so that nobody outside can tell which
 * addresses share a set.  A bucket is replaced only when it is full
 * again, that is when a fresh bucket would be no different: traffic from
 * other addresses can take a free way of the set, never a victim's
 * half-spent bucket.  An address that finds every way of its set in use
 * is refused until one refills (or, in a table that fails open, let
 * through without a bucket): filling the whole table takes a request a
 * second from each of its addresses.  The key is the family, the address
 * and the port (0 where only the address counts).
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "netd.h"

struct rl_bucket {
	uint8_t		 family;	/* 0: free */
	uint8_t		 addr[16];
	uint16_t	 port;
	uint16_t	 frac;		/* and thousandths of a token */
	uint32_t	 tokens;
	int64_t		 last;		/* ms, the time tokens counts to */
};

static uint32_t	rl_refill(const struct ratelimit *, struct rl_bucket *,
		    int64_t);
static struct rl_bucket *rl_set(const struct ratelimit *,
		    const struct ipc_addr *);

/*
 * An empty table of nsets * RL_WAYS buckets, nsets a power of two, that
 * refuses an address it has no room for (fail_open may change that).
 */
void
rl_init(struct ratelimit *rl, size_t nsets, uint32_t burst, uint32_t rate)
{
	if (nsets == 0 || (nsets & (nsets - 1)) != 0)
		fatalx("%s: %zu sets", __func__, nsets);
	if ((rl->buckets = calloc(nsets * RL_WAYS,
	    sizeof(*rl->buckets))) == NULL)
		fatal(NULL);
	rl->nsets = nsets;
	rl->burst = burst;
	rl->rate = rate;
	rl->fail_open = 0;
	arc4random_buf(rl->key, sizeof(rl->key));
}

/*
 * Bring b's tokens up to now, whole tokens only: the fraction not yet a
 * token is kept in thousandths for the next call.  Returns the tokens.
 */
static uint32_t
rl_refill(const struct ratelimit *rl, struct rl_bucket *b, int64_t now)
{
	uint64_t	 gained, tokens;

	if (now <= b->last)
		return (b->tokens);
	gained = (uint64_t)(now - b->last) * rl->rate + b->frac;
	tokens = b->tokens + gained / 1000;
	b->last = now;
	if (tokens >= rl->burst) {
		b->tokens = rl->burst;
		b->frac = 0;
	} else {
		b->tokens = (uint32_t)tokens;
		b->frac = (uint16_t)(gained % 1000);
	}
	return (b->tokens);
}

/* The RL_WAYS buckets of the set of a. */
static struct rl_bucket *
rl_set(const struct ratelimit *rl, const struct ipc_addr *a)
{
	uint64_t	 h;
	u_char		 key[19];

	key[0] = a->family;
	memcpy(key + 1, a->addr, sizeof(a->addr));
	memcpy(key + 17, &a->port, sizeof(a->port));
	(void)crypto_shorthash((u_char *)&h, key, sizeof(key), rl->key);
	return (&rl->buckets[(h & (rl->nsets - 1)) * RL_WAYS]);
}

/*
 * Take one token from the bucket of a (already grouped by ip_group()).
 * Returns 1 when a may go ahead, 0 when its bucket is empty or no bucket
 * can be had for it.
 */
int
rl_allow(struct ratelimit *rl, const struct ipc_addr *a, int64_t now)
{
	struct rl_bucket	*set, *b, *room = NULL;
	size_t			 i;

	if (rl->burst == 0)
		return (1);
	set = rl_set(rl, a);
	for (i = 0; i < RL_WAYS; i++) {
		b = &set[i];
		if (b->family == a->family && b->port == a->port &&
		    memcmp(b->addr, a->addr, sizeof(b->addr)) == 0)
			break;
		if (room == NULL && (b->family == 0 ||
		    rl_refill(rl, b, now) == rl->burst))
			room = b;
	}
	if (i == RL_WAYS) {
		if ((b = room) == NULL)
			return (rl->fail_open);
		b->family = a->family;
		memcpy(b->addr, a->addr, sizeof(b->addr));
		b->port = a->port;
		b->tokens = rl->burst;
		b->frac = 0;
		b->last = now;
	} else
		(void)rl_refill(rl, b, now);
	if (b->tokens == 0)
		return (0);
	b->tokens--;
	return (1);
}

/*
 * The tokens a's bucket holds now, without taking one: the burst when it
 * has none yet, 0 when none can be had for it and the table fails
 * closed.  For a limit that counts failures only: is a try allowed?
 */
uint32_t
rl_tokens(struct ratelimit *rl, const struct ipc_addr *a, int64_t now)
{
	struct rl_bucket	*set, *b;
	size_t			 i;
	int			 room = 0;

	if (rl->burst == 0)
		return (1);
	set = rl_set(rl, a);
	for (i = 0; i < RL_WAYS; i++) {
		b = &set[i];
		if (b->family == a->family && b->port == a->port &&
		    memcmp(b->addr, a->addr, sizeof(b->addr)) == 0)
			return (rl_refill(rl, b, now));
		if (b->family == 0 || rl_refill(rl, b, now) == rl->burst)
			room = 1;
	}
	return (room || rl->fail_open ? rl->burst : 0);
}
