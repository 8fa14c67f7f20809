/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The server table: a red-black tree keyed by address, a count of servers
 * per IP address, the protocol words the servers announce, expiry on a
 * timer, and the encoded list responses, kept until the table changes.
 * Only verified servers have an entry (challenge.c).
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "netd.h"
#include "util.h"

#define LIST_CACHE_SLOTS	64
/*
 * New clients keep the Ext packets they got in a 32 bit mask: an answer
 * of more packets than this breaks them (PROTOCOL.md section 4).
 */
#define LIST_MAX_EXT_PACKETS	31

struct list_cache {
	struct gs_query		 q;
	uint64_t		 gen;		/* 0: empty slot */
	uint64_t		 used;		/* last use, in lookups */
	struct list_packets	*lp;		/* one reference */
};

/* How many servers announce a protocol word, by kind (UDP, WebSocket). */
struct protoword {
	RB_ENTRY(protoword)	 entry;
	uint8_t			 ws;
	uint32_t		 count;
	char			 word[PROTO_LEN];
};

static int	sv_cmp(const struct server *, const struct server *);
static int	pw_cmp(const struct protoword *, const struct protoword *);
static void	pw_add(const struct server *, int);
static int	pw_known(int, const char *);
static int	sv_matches(const struct server *, const struct gs_query *);
static int	sv_featured_label(const struct ipc_addr *);
static size_t	sv_group(const struct server *, size_t);
static void	list_build(struct list_packets *, const struct gs_query *);
static struct list_packets *list_cached(const struct gs_query *);
static void	list_packet(struct list_packets *, int, int, int,
		    const char *, struct server **, size_t);
static struct list_packets *lp_new(void);

RB_HEAD(server_tree, server);
RB_GENERATE_STATIC(server_tree, server, entry, sv_cmp)
RB_HEAD(protoword_tree, protoword);
RB_GENERATE_STATIC(protoword_tree, protoword, entry, pw_cmp)

static struct server_tree	 servers = RB_INITIALIZER(&servers);
static struct ipcount_tree	 ips = RB_INITIALIZER(&ips);
static size_t			 nservers;
static size_t			 nservers_ws;	/* of them, over WebSocket */
static uint64_t			 sv_gen = 1;
static struct protoword_tree	 words = RB_INITIALIZER(&words);
static struct list_cache	 cache[LIST_CACHE_SLOTS];
static struct list_packets	*nothing[2];	/* plain, Ext */
static uint64_t			 cache_clock;

static int
sv_cmp(const struct server *a, const struct server *b)
{
	int	 c;

	if (a->addr.family != b->addr.family)
		return (a->addr.family < b->addr.family ? -1 : 1);
	if ((c = addr16_cmp(a->addr.addr, b->addr.addr)) != 0)
		return (c);
	if (a->addr.port != b->addr.port)
		return (ntohs(a->addr.port) < ntohs(b->addr.port) ? -1 : 1);
	return ((int)a->ws - (int)b->ws);
}

static int
pw_cmp(const struct protoword *a, const struct protoword *b)
{
	if (a->ws != b->ws)
		return (a->ws < b->ws ? -1 : 1);
	return (strcmp(a->word, b->word));
}

/* Count sv's protocol words in (up 1) or out (up 0). */
static void
pw_add(const struct server *sv, int up)
{
	struct protoword	 key, *pw;
	int			 i;

	memset(&key, 0, sizeof(key));
	key.ws = sv->ws;
	for (i = 0; i < sv->nprotocols; i++) {
		(void)strlcpy(key.word, sv->protocols[i], sizeof(key.word));
		pw = RB_FIND(protoword_tree, &words, &key);
		if (up) {
			if (pw == NULL) {
				if ((pw = calloc(1, sizeof(*pw))) == NULL)
					fatal(NULL);
				*pw = key;
				RB_INSERT(protoword_tree, &words, pw);
			}
			pw->count++;
		} else if (pw != NULL && --pw->count == 0) {
			RB_REMOVE(protoword_tree, &words, pw);
			free(pw);
		}
	}
}

/* Does any server of this kind announce the protocol word? */
static int
pw_known(int ws, const char *word)
{
	struct protoword	 key;

	key.ws = ws ? 1 : 0;
	if (strlcpy(key.word, word, sizeof(key.word)) >= sizeof(key.word))
		return (0);
	return (RB_FIND(protoword_tree, &words, &key) != NULL);
}

/* A server by address; WebSocket and UDP servers are apart. */
struct server *
sv_lookup(const struct ipc_addr *a, int ws)
{
	struct server	 key;

	key.addr = *a;
	key.addr.pad = 0;
	key.ws = ws ? 1 : 0;
	return (RB_FIND(server_tree, &servers, &key));
}

/* The featured group of an address, or -1. */
static int
sv_featured_label(const struct ipc_addr *a)
{
	size_t	 i;

	for (i = 0; i < netd_files.nfeatured; i++)
		if (netd_files.featured[i].addr.family == a->family &&
		    netd_files.featured[i].addr.port == a->port &&
		    memcmp(netd_files.featured[i].addr.addr, a->addr,
		    sizeof(a->addr)) == 0)
			return ((int)netd_files.featured[i].label);
	return (-1);
}

/*
 * A new entry for a server that just answered its challenge, without
 * protocols until sv_update(); NULL with *why set when a limit says no:
 * the number of servers (-n) or the servers per IP address.
 */
struct server *
sv_create(const struct ipc_addr *a, int ws, const char **why)
{
	struct ipcount	*ip;
	struct server	*sv;

	if (netd_conf.max_servers > 0 &&
	    nservers >= (size_t)netd_conf.max_servers) {
		*why = "server limit (-n) reached";
		return (NULL);
	}
	ip = ipcount_take(&ips, a);
	if (netd_conf.max_per_ip > 0 &&
	    ip->count > (uint32_t)netd_conf.max_per_ip) {
		ipcount_put(&ips, ip);
		*why = "servers per address limit reached";
		return (NULL);
	}
	if ((sv = calloc(1, sizeof(*sv))) == NULL)
		fatal(NULL);
	sv->addr = *a;
	sv->addr.pad = 0;
	sv->ws = ws ? 1 : 0;
	sv->ip = ip;
	sv->label = (int16_t)sv_featured_label(a);
	sv->plabel = -1;
	RB_INSERT(server_tree, &servers, sv);
	nservers++;
	nservers_ws += sv->ws;
	sv_changed();
	return (sv);
}

/*
 * What an infoResponse says of the server.  The lists change only if its
 * flags or protocols did; the details (struct info_details) are only
 * shown.  Returns 1 if anything changed, 0 if the answer said nothing
 * new: a plugin hears of a server again only when there is news.
 */
int
sv_update(struct server *sv, const struct inforesp *ir)
{
	uint8_t	 flags;
	int	 changed = 0;

	flags = (ir->empty ? SV_EMPTY : 0) | (ir->full ? SV_FULL : 0);
	if (sv->flags != flags || sv->nprotocols != ir->nprotocols ||
	    memcmp(sv->protocols, ir->protocols, sizeof(sv->protocols)) != 0) {
		pw_add(sv, 0);
		sv->flags = flags;
		sv->nprotocols = ir->nprotocols;
		memcpy(sv->protocols, ir->protocols, sizeof(sv->protocols));
		pw_add(sv, 1);
		sv_changed();
		changed = 1;
	}
	/* Zero past each length (proto.h): memcmp(3) sees only news. */
	if (memcmp(&sv->details, &ir->details, sizeof(sv->details)) != 0) {
		sv->details = ir->details;
		changed = 1;
	}
	return (changed);
}

/* Forget a server: the plugins hear why, why goes to the log. */
void
sv_remove(struct server *sv, enum sv_gone reason, const char *why)
{
	char	 buf[ADDRSTRLEN];

	log_verbose("server %s removed: %s",
	    addr_str(&sv->addr, buf, sizeof(buf)), why);
	plugin_server_remove(sv, reason);
	sv_changed();
	pw_add(sv, 0);
	RB_REMOVE(server_tree, &servers, sv);
	nservers--;
	nservers_ws -= sv->ws;
	ipcount_put(&ips, sv->ip);
	free(sv);
}

/* Lists built before now are out of date. */
void
sv_changed(void)
{
	sv_gen++;
}

/*
 * Remove every server whose time is up; hand those whose probe is due to
 * probe, which may remove them too.
 */
void
sv_expire(int64_t now, void (*probe)(struct server *, int64_t))
{
	struct server	*sv, *next;

	RB_FOREACH_SAFE(sv, server_tree, &servers, next)
		if (sv->timeout <= now)
			sv_remove(sv, GONE_TIMEOUT, "timed out");
		else if (sv->probe_next != 0 && sv->probe_next <= now)
			probe(sv, now);
}

/* featured.txt changed: put every server in its group again. */
void
sv_relabel(void)
{
	struct server	*sv;

	RB_FOREACH(sv, server_tree, &servers)
		sv->label = (int16_t)sv_featured_label(&sv->addr);
	sv_changed();
}

/* ignore.txt changed: blacklisted servers leave the list. */
void
sv_drop_ignored(void)
{
	struct server	*sv, *next;

	RB_FOREACH_SAFE(sv, server_tree, &servers, next)
		if (ignore_match(&sv->addr))
			sv_remove(sv, GONE_IGNORED, "address in ignore.txt");
}

size_t
sv_count(void)
{
	return (nservers);
}

size_t
sv_count_ws(void)
{
	return (nservers_ws);
}

/*
 * The server after address a over ws (or over UDP) in the table's order,
 * the first with a NULL: a walk that others may change between steps.
 */
struct server *
sv_after(const struct ipc_addr *a, int ws)
{
	struct server	 key, *sv;

	if (a == NULL)
		return (RB_MIN(server_tree, &servers));
	key.addr = *a;
	key.ws = ws ? 1 : 0;
	if ((sv = RB_NFIND(server_tree, &servers, &key)) != NULL &&
	    sv_cmp(sv, &key) == 0)
		sv = RB_NEXT(server_tree, &servers, sv);
	return (sv);
}

void
sv_foreach(void (*cb)(struct server *, void *), void *arg)
{
	struct server	*sv, *next;

	RB_FOREACH_SAFE(sv, server_tree, &servers, next)
		cb(sv, arg);
}

/*
 * The group of an Ext answer a server is listed in: 0 unlabelled, then
 * the featured groups, then the add-server labels (ngroups in all).
 */
static size_t
sv_group(const struct server *sv, size_t ngroups)
{
	size_t	 g = 0;

	if (sv->label >= 0)
		g = (size_t)sv->label + 1;
	else if (sv->plabel >= 0)
		g = netd_files.nlabels + 1 + (size_t)sv->plabel;
	return (g < ngroups ? g : 0);
}

static int
sv_matches(const struct server *sv, const struct gs_query *q)
{
	int	 i;

	if (sv->ws != q->ws)
		return (0);
	if (q->family != AF_UNSPEC && sv->addr.family != q->family)
		return (0);
	if ((sv->flags & SV_EMPTY) && !q->empty)
		return (0);
	if ((sv->flags & SV_FULL) && !q->full)
		return (0);
	for (i = 0; i < sv->nprotocols; i++)
		if (strcmp(sv->protocols[i], q->protocol) == 0)
			return (1);
	return (0);
}

/* Append one packet of n servers to the cache entry. */
static void
list_packet(struct list_packets *c, int ext, int idx, int total,
    const char *label, struct server **svs, size_t n)
{
	size_t	 off, need, i, len;
	u_char	*p;
	size_t	*e;

	off = c->n > 0 ? c->ends[c->n - 1] : 0;
	need = off + 64 + MAX_LABEL + n * 19 + 1;
	if (need > c->bufsize) {
		if ((p = realloc(c->buf, need * 2)) == NULL)
			fatal(NULL);
		c->buf = p;
		c->bufsize = need * 2;
	}
	if (c->n + 1 > c->endsize) {
		if ((e = reallocarray(c->ends, c->endsize * 2 + 4,
		    sizeof(*e))) == NULL)
			fatal(NULL);
		c->ends = e;
		c->endsize = c->endsize * 2 + 4;
	}
	len = proto_list_start(c->buf + off, c->bufsize - off, ext, idx,
	    total, label);
	if (len == 0)
		fatalx("%s: list header", __func__);
	off += len;
	for (i = 0; i < n; i++)
		off += proto_list_entry(c->buf + off, c->bufsize - off,
		    &svs[i]->addr, ext);
	off += proto_list_end(c->buf + off, c->bufsize - off);
	c->ends[c->n++] = off;
}

/*
 * Encode the answer to q: plain lists merge every group; Ext lists give
 * each featured group its own labelled packets, the unlabelled group
 * first.  At most LIST_MAX_SERVERS a packet; one empty packet when
 * nothing matches.
 */
static void
list_build(struct list_packets *c, const struct gs_query *q)
{
	struct server	 *sv, **svs;
	size_t		 *count, *start, ngroups, g, i, n = 0, total = 0;
	size_t		  chunk;
	int		  idx = 1;
	char		  vbuf[LOG_VISBUF];
	const char	 *label;

	c->n = 0;
	ngroups = q->ext ? netd_files.nlabels + 1 + plugin_nlabels() : 1;
	if ((count = calloc(ngroups, sizeof(*count))) == NULL ||
	    (start = calloc(ngroups, sizeof(*start))) == NULL)
		fatal(NULL);
	RB_FOREACH(sv, server_tree, &servers)
		if (sv_matches(sv, q)) {
			g = sv_group(sv, ngroups);
			count[g]++;
			n++;
		}
	if ((svs = calloc(n > 0 ? n : 1, sizeof(*svs))) == NULL)
		fatal(NULL);
	for (g = 1; g < ngroups; g++)
		start[g] = start[g - 1] + count[g - 1];
	RB_FOREACH(sv, server_tree, &servers)
		if (sv_matches(sv, q)) {
			g = sv_group(sv, ngroups);
			svs[start[g]++] = sv;
		}
	for (g = 0; g < ngroups; g++) {
		start[g] -= count[g];
		total += (count[g] + LIST_MAX_SERVERS - 1) / LIST_MAX_SERVERS;
	}
	if (q->ext && total > LIST_MAX_EXT_PACKETS) {
		log_verbose("getserversExt for protocol %s: %zu packets, only "
		    "the first %d sent", log_vis(q->protocol,
		    strlen(q->protocol), vbuf, sizeof(vbuf)), total,
		    LIST_MAX_EXT_PACKETS);
		total = LIST_MAX_EXT_PACKETS;
	}
	if (total == 0)
		list_packet(c, q->ext, 1, 1, "", NULL, 0);
	for (g = 0; g < ngroups && total > 0; g++) {
		label = g == 0 ? "" : g <= netd_files.nlabels ?
		    netd_files.labels[g - 1].label :
		    plugin_label((int)(g - 1 - netd_files.nlabels));
		for (i = 0; i < count[g] && (size_t)idx <= total;
		    i += chunk) {
			chunk = count[g] - i;
			if (chunk > LIST_MAX_SERVERS)
				chunk = LIST_MAX_SERVERS;
			list_packet(c, q->ext, idx++, (int)total, label,
			    svs + start[g] + i, chunk);
		}
	}
	free(svs);
	free(count);
	free(start);
	log_debug("%s for protocol %s encoded: %zu packet%s",
	    q->ext ? "getserversExt" : "getservers", log_vis(q->protocol,
	    strlen(q->protocol), vbuf, sizeof(vbuf)), c->n,
	    c->n == 1 ? "" : "s");
}

/*
 * The kept answer to q, encoded again if the table changed since: in
 * place when only the cache holds it, else into fresh packets, the old
 * ones left to those that hold them.  A new query takes the slot used
 * longest ago: the variants of a few protocol words (flags, families,
 * kinds) fit, and cycling them cannot evict them all.
 */
static struct list_packets *
list_cached(const struct gs_query *q)
{
	struct list_cache	*c = NULL;
	size_t			 i;

	for (i = 0; i < LIST_CACHE_SLOTS; i++)
		if (cache[i].gen != 0 &&
		    memcmp(&cache[i].q, q, sizeof(*q)) == 0) {
			c = &cache[i];
			break;
		}
	if (c == NULL || c->gen != sv_gen) {
		if (c == NULL) {
			c = &cache[0];
			for (i = 1; i < LIST_CACHE_SLOTS; i++)
				if (cache[i].used < c->used)
					c = &cache[i];
			c->q = *q;
		}
		if (c->lp != NULL && c->lp->refs > 1) {
			lp_release(c->lp);
			c->lp = NULL;
		}
		if (c->lp == NULL)
			c->lp = lp_new();
		list_build(c->lp, q);
		c->gen = sv_gen;
	}
	c->used = ++cache_clock;
	return (c->lp);
}

/*
 * The packets answering q, encoded once and kept until the table changes:
 * valid until then, and for as long as a holder keeps them (lp_hold()).
 * A protocol word no server announces gets the one empty answer of its
 * kind, which never takes a slot: requests with made-up words cannot push
 * real answers out.
 */
struct list_packets *
sv_list(const struct gs_query *q)
{
	struct list_packets	**none;

	if (pw_known(q->ws, q->protocol))
		return (list_cached(q));
	none = &nothing[q->ext ? 1 : 0];
	if (*none == NULL) {
		*none = lp_new();
		list_packet(*none, q->ext, 1, 1, "", NULL, 0);
	}
	return (*none);
}

static struct list_packets *
lp_new(void)
{
	struct list_packets	*lp;

	if ((lp = calloc(1, sizeof(*lp))) == NULL)
		fatal(NULL);
	lp->refs = 1;
	return (lp);
}

/* One more holder of lp. */
struct list_packets *
lp_hold(struct list_packets *lp)
{
	lp->refs++;
	return (lp);
}

/* A holder lets go; the last one frees the packets. */
void
lp_release(struct list_packets *lp)
{
	if (--lp->refs > 0)
		return;
	free(lp->buf);
	free(lp->ends);
	free(lp);
}
