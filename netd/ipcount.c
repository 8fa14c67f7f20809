/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Counts per IP address (servers tracked, WebSocket connections), for the
 * per-address limits: a red-black tree of addresses with a count each.
 * An IPv6 "address" is its first --ipv6-prefix bits: one host is handed a
 * whole /64, and counting its addresses one by one would let it take a
 * limit 2^64 times.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/tree.h>
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "netd.h"

static int	ipcount_cmp(const struct ipcount *, const struct ipcount *);
static void	ipcount_key(const struct ipc_addr *, struct ipcount *);

RB_GENERATE(ipcount_tree, ipcount, entry, ipcount_cmp)

static int
ipcount_cmp(const struct ipcount *a, const struct ipcount *b)
{
	if (a->family != b->family)
		return (a->family < b->family ? -1 : 1);
	return (addr16_cmp(a->addr, b->addr));
}

/*
 * The address that stands for a in the per-address limits: a IPv4
 * address itself, an IPv6 address cut to its --ipv6-prefix bits.  The
 * port is 0.
 */
void
ip_group(const struct ipc_addr *a, struct ipc_addr *g)
{
	int	 bits, i;

	memset(g, 0, sizeof(*g));
	g->family = a->family;
	if (a->family != AF_INET6) {
		memcpy(g->addr, a->addr, 4);
		return;
	}
	bits = netd_conf.ipv6_prefix;
	for (i = 0; i < 16 && bits > 0; i++, bits -= 8)
		g->addr[i] = bits >= 8 ? a->addr[i] :
		    a->addr[i] & (uint8_t)(0xff << (8 - bits));
}

static void
ipcount_key(const struct ipc_addr *a, struct ipcount *key)
{
	struct ipc_addr	 g;

	ip_group(a, &g);
	memset(key, 0, sizeof(*key));
	key->family = g.family;
	memcpy(key->addr, g.addr, sizeof(key->addr));
}

/* How many the address has. */
uint32_t
ipcount_get(struct ipcount_tree *t, const struct ipc_addr *a)
{
	struct ipcount	 key, *ip;

	ipcount_key(a, &key);
	ip = RB_FIND(ipcount_tree, t, &key);
	return (ip != NULL ? ip->count : 0);
}

/* One more for the address; the entry to hand back to ipcount_put(). */
struct ipcount *
ipcount_take(struct ipcount_tree *t, const struct ipc_addr *a)
{
	struct ipcount	 key, *ip;

	ipcount_key(a, &key);
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
