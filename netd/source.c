/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The way back to where a datagram came from.  A source is a UDP address
 * with the socket the datagram came on, or a WebSocket connection; every
 * answer and every challenge netd sends leaves through the functions
 * here, so that nothing else in netd asks which of the two it has.
 *
 * A UDP source read in a batch carries it (udp.c): its answers wait there
 * and leave together when udp_read() ends the batch.  A source made for a
 * timer or for the parent's saved servers has none and sends at once.
 * UDP answers count against --answer-budget; WebSocket ones do not, since
 * the address of a connection cannot be spoofed.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <string.h>

#include "log.h"
#include "netd.h"
#include "util.h"

/* A datagram from a on UDP socket ns, read in batch b (or NULL). */
void
src_udp(struct source *src, const struct ipc_addr *a, struct netsock *ns,
    struct udp_batch *b)
{
	memset(src, 0, sizeof(*src));
	src->addr = *a;
	src->sock = ns;
	src->batch = b;
}

/*
 * A message on WebSocket connection c, from a: the peer's address with
 * the port it announced, if it did.
 */
void
src_ws(struct source *src, struct ws_conn *c, const struct ipc_addr *a)
{
	memset(src, 0, sizeof(*src));
	src->addr = *a;
	src->ws = c;
	src->ws_id = ws_id(c);
}

/*
 * A listed server, to challenge from a timer: over its connection, which
 * may be gone (-1), or over UDP.
 */
int
src_server(struct source *src, const struct server *sv)
{
	struct ws_conn	*c;

	if (!sv->ws) {
		src_udp(src, &sv->addr, NULL, NULL);
		return (0);
	}
	if ((c = ws_find(sv->ws_id)) == NULL)
		return (-1);
	src_ws(src, c, &sv->addr);
	return (0);
}

/*
 * Answer src with one datagram, from the socket it came on or over its
 * connection.  -1 when a UDP answer is over the answer budget: not sent.
 */
int
src_answer(const struct source *src, const void *data, size_t len,
    int64_t now)
{
	if (src->ws != NULL) {
		ws_send(src->ws, data, len);
		return (0);
	}
	if (!throttle_budget(len, now))
		return (-1);
	udp_send(src->batch, src->sock, &src->addr, data, len);
	return (0);
}

/*
 * Answer src with the packets of a list answer: a binary message each over
 * WebSocket, or datagrams that hold lp until they leave.  -1 over the
 * answer budget, as src_answer().
 */
int
src_answer_list(const struct source *src, struct list_packets *lp,
    int64_t now)
{
	size_t	 i, start;

	if (src->ws != NULL) {
		for (i = 0, start = 0; i < lp->n; start = lp->ends[i], i++)
			ws_send(src->ws, lp->buf + start, lp->ends[i] - start);
		return (0);
	}
	if (!throttle_budget(lp->n > 0 ? lp->ends[lp->n - 1] : 0, now))
		return (-1);
	udp_send_list(src->batch, src->sock, &src->addr, lp);
	return (0);
}

/*
 * Send a challenge to src: over its connection, or from the challenge
 * port of its family, so that the answer proves the address can receive.
 */
void
src_challenge(const struct source *src, const void *data, size_t len)
{
	struct netsock	*ns;
	char		 abuf[ADDRSTRLEN];

	if (src->ws != NULL) {
		ws_send(src->ws, data, len);
		return;
	}
	if ((ns = udp_challenge_sock(src->addr.family)) == NULL) {
		log_debug("%s: no challenge port for %s", addr_str(&src->addr,
		    abuf, sizeof(abuf)), family_name(src->addr.family));
		return;
	}
	udp_send(src->batch, ns, &src->addr, data, len);
}
