/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * ignore.txt as an index: the entries sorted by family, prefix length and
 * network, one group a prefix length.  A lookup masks the address to each
 * length the file uses and binary-searches that group, so an operator's
 * list of a million ranges costs a packet a few dozen comparisons, not a
 * million.
 */

#include "compat.h"

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "netd.h"

struct ignore_index	 netd_ignore;	/* netd's, of the current files */

static int	ignore_cmp(const void *, const void *);
static void	ignore_mask(uint8_t *, int);

static int
ignore_cmp(const void *va, const void *vb)
{
	const struct ipc_ignore	*a = va, *b = vb;

	if (a->addr.family != b->addr.family)
		return (a->addr.family < b->addr.family ? -1 : 1);
	if (a->prefixlen != b->prefixlen)
		return (a->prefixlen < b->prefixlen ? -1 : 1);
	return (addr16_cmp(a->addr.addr, b->addr.addr));
}

/* Clear every bit of the 16-byte address after the first bits. */
static void
ignore_mask(uint8_t *addr, int bits)
{
	int	 i;

	for (i = 0; i < 16; i++, bits -= 8) {
		if (bits <= 0)
			addr[i] = 0;
		else if (bits < 8)
			addr[i] &= (uint8_t)(0xff00 >> bits);
	}
}

/*
 * Index the n entries, which are sorted and have their host bits cleared
 * in place; the index points into them until it is built again.  Each
 * keeps its place in the file in its pad bytes, for ignore_order().
 */
void
ignore_index_build(struct ignore_index *ix, struct ipc_ignore *entries,
    size_t n)
{
	struct ignore_group	*g = NULL;
	size_t			 i;

	if (n > IGNORE_POSITIONS)
		fatalx("%s: more than %d entries", __func__, IGNORE_POSITIONS);
	for (i = 0; i < n; i++) {
		entries[i].addr.port = 0;
		entries[i].addr.pad = 0;
		entries[i].pad[0] = (uint8_t)i;
		entries[i].pad[1] = (uint8_t)(i >> 8);
		entries[i].pad[2] = (uint8_t)(i >> 16);
		ignore_mask(entries[i].addr.addr, entries[i].prefixlen);
	}
	if (n > 0)
		qsort(entries, n, sizeof(*entries), ignore_cmp);
	ix->entries = entries;
	ix->ngroups = 0;
	for (i = 0; i < n; i++) {
		if (g == NULL || g->family != entries[i].addr.family ||
		    g->prefixlen != entries[i].prefixlen) {
			/* At most 33 + 129 lengths: the parent checked them. */
			if (ix->ngroups == nitems(ix->groups))
				fatalx("%s: too many prefix lengths", __func__);
			g = &ix->groups[ix->ngroups++];
			g->family = entries[i].addr.family;
			g->prefixlen = entries[i].prefixlen;
			g->start = i;
			g->n = 0;
		}
		g->n++;
	}
}

/*
 * The n entries of an index in the order of the file: order[i] is the
 * index into the sorted entries of the file's entry i.  Made for the
 * plugins' files reports only (plugin.c), and freed by the caller.
 */
uint32_t *
ignore_order(const struct ipc_ignore *entries, size_t n)
{
	uint32_t	*order;
	size_t		 i, pos;

	if ((order = reallocarray(NULL, n > 0 ? n : 1, sizeof(*order))) ==
	    NULL)
		fatal(NULL);
	for (i = 0; i < n; i++) {
		pos = entries[i].pad[0] | (size_t)entries[i].pad[1] << 8 |
		    (size_t)entries[i].pad[2] << 16;
		if (pos >= n)
			fatalx("%s: entry %zu at position %zu", __func__, i,
			    pos);
		order[pos] = (uint32_t)i;
	}
	return (order);
}

/* Is a in one of the ranges? */
int
ignore_index_match(const struct ignore_index *ix, const struct ipc_addr *a)
{
	const struct ignore_group	*g;
	struct ipc_ignore		 key;
	size_t				 i;

	for (i = 0; i < ix->ngroups; i++) {
		g = &ix->groups[i];
		if (g->family != a->family)
			continue;
		memset(&key, 0, sizeof(key));
		key.addr.family = a->family;
		key.prefixlen = g->prefixlen;
		memcpy(key.addr.addr, a->addr, sizeof(key.addr.addr));
		ignore_mask(key.addr.addr, g->prefixlen);
		if (bsearch(&key, ix->entries + g->start, g->n,
		    sizeof(key), ignore_cmp) != NULL)
			return (1);
	}
	return (0);
}

/* Is the address in netd's ignore.txt? */
int
ignore_match(const struct ipc_addr *a)
{
	return (ignore_index_match(&netd_ignore, a));
}
