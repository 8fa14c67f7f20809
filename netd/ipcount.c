/*
 * Counts per IP address (servers tracked, WebSocket connections), for the
 * per-address limits: a red-black tree of addresses with a count each.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/tree.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "netd.h"

static int	ipcount_cmp(const struct ipcount *, const struct ipcount *);

RB_GENERATE(ipcount_tree, ipcount, entry, ipcount_cmp)

static int
ipcount_cmp(const struct ipcount *a, const struct ipcount *b)
{
	if (a->family != b->family)
		return (a->family < b->family ? -1 : 1);
	return (addr16_cmp(a->addr, b->addr));
}

/* How many the address has. */
uint32_t
ipcount_get(struct ipcount_tree *t, const struct ipc_addr *a)
{
	struct ipcount	 key, *ip;

	memset(&key, 0, sizeof(key));
	key.family = a->family;
	memcpy(key.addr, a->addr, sizeof(key.addr));
	ip = RB_FIND(ipcount_tree, t, &key);
	return (ip != NULL ? ip->count : 0);
}

/* One more for the address; the entry to hand back to ipcount_put(). */
struct ipcount *
ipcount_take(struct ipcount_tree *t, const struct ipc_addr *a)
{
	struct ipcount	 key, *ip;

	memset(&key, 0, sizeof(key));
	key.family = a->family;
	memcpy(key.addr, a->addr, sizeof(key.addr));
	if ((ip = RB_FIND(ipcount_tree, t, &key)) == NULL) {
		if ((ip = calloc(1, sizeof(*ip))) == NULL)
			fatal(NULL);
		*ip = key;
		RB_INSERT(ipcount_tree, t, ip);
	}
	ip->count++;
	return (ip);
}

/* One less; the entry goes with its last one. */
void
ipcount_put(struct ipcount_tree *t, struct ipcount *ip)
{
	if (--ip->count == 0) {
		RB_REMOVE(ipcount_tree, t, ip);
		free(ip);
	}
}
