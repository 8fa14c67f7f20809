/*
 * Per-address throttle of the requests that make the master answer with
 * more bytes than it got (server lists, MOTD): a master must not be a
 * traffic amplifier for spoofed requests.  Each source IP address has a
 * token bucket of throttle_burst requests, refilled at throttle_rate a
 * second.  Buckets live in a fixed table indexed by a keyed hash; a
 * collision only hands the newcomer a fresh bucket.
 */

#include "compat.h"

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netd.h"

#define THROTTLE_SLOTS	8192	/* a power of two */

struct bucket {
	uint8_t		 family;
	uint8_t		 addr[16];
	uint32_t	 tokens;
	int64_t		 last;		/* ms */
};

static struct bucket	 buckets[THROTTLE_SLOTS];
static uint32_t		 seed;

static uint32_t	throttle_hash(const struct ipc_addr *);

/* FNV-1a over the address, keyed with a random seed. */
static uint32_t
throttle_hash(const struct ipc_addr *a)
{
	uint32_t	 h = 2166136261U ^ seed;
	size_t		 i, n = a->family == AF_INET ? 4 : 16;

	for (i = 0; i < n; i++) {
		h ^= a->addr[i];
		h *= 16777619U;
	}
	return (h);
}

/* Returns 1 when a request from a may be answered now. */
int
throttle_allow(const struct ipc_addr *a, int64_t now)
{
	struct bucket	*b;
	uint64_t	 tokens, gained;

	if (netd_conf.throttle_burst == 0)
		return (1);
	if (seed == 0)
		seed = arc4random() | 1;
	b = &buckets[throttle_hash(a) & (THROTTLE_SLOTS - 1)];
	if (b->family != a->family ||
	    memcmp(b->addr, a->addr, sizeof(b->addr)) != 0) {
		b->family = a->family;
		memcpy(b->addr, a->addr, sizeof(b->addr));
		b->tokens = netd_conf.throttle_burst;
		b->last = now;
	} else if (now > b->last) {
		/* Whole tokens earned since last; the fraction is kept. */
		gained = (uint64_t)(now - b->last) * netd_conf.throttle_rate /
		    1000;
		tokens = b->tokens + gained;
		if (tokens >= (uint64_t)netd_conf.throttle_burst) {
			tokens = netd_conf.throttle_burst;
			b->last = now;
		} else
			b->last += (int64_t)(gained * 1000 /
			    netd_conf.throttle_rate);
		b->tokens = (uint32_t)tokens;
	}
	if (b->tokens == 0)
		return (0);
	b->tokens--;
	return (1);
}
