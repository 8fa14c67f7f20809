/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * UDP sockets: drained in batches with recvmmsg(2), each datagram handed
 * to handle_packet() as a source that carries the batch (source.c).  What
 * the batch answers waits in it and leaves when udp_read() ends the batch,
 * in as few sendmmsg(2) calls as it takes: small datagrams copied, list
 * answers as references to the packets the server table encoded, held
 * until they are sent.  Nothing below handlers.c calls back in here.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "netd.h"
#include "util.h"

#define UDP_BATCH	32	/* datagrams a recvmmsg() */
#define UDP_ROUNDS	8	/* recvmmsg() calls a wake-up */
#define UDP_SMALL	64	/* bytes of a datagram copied into the queue */
#define UDP_LIST_MSGS	256	/* list packets a sendmmsg(), at most */

/*
 * The answers of the datagrams of one recvmmsg(2), sent at its end: small
 * ones (challenges) copied, list answers as held packets.
 */
struct udp_batch {
	struct {
		struct netsock		*ns;
		struct sockaddr_storage	 to;
		socklen_t		 tolen;
		size_t			 len;
		u_char			 data[UDP_SMALL];
	}			 out[UDP_BATCH];
	size_t			 nout;
	struct {
		struct netsock		*ns;
		struct sockaddr_storage	 to;
		socklen_t		 tolen;
		struct list_packets	*lp;
	}			 lists[UDP_BATCH];
	size_t			 nlists;
};

static void	udp_read(int, short, void *);
static void	udp_sendto(struct netsock *, const struct ipc_addr *,
		    const void *, size_t);
static void	udp_batch_end(struct udp_batch *);
static void	udp_flush_small(struct udp_batch *);
static void	udp_flush_lists(struct udp_batch *);

static struct udp_batch		 batch;
static u_char			 rbuf[UDP_BATCH][PKT_MAX + 1];
static struct sockaddr_storage	 rfrom[UDP_BATCH];
static struct iovec		 riov[UDP_BATCH];
static struct mmsghdr		 rmsg[UDP_BATCH];

/* The challenge socket of each family, found once at start-up. */
static struct netsock		*chal_v4, *chal_v6;

void
udp_start(struct netsock *ns)
{
	event_set(&ns->ev, ns->fd, EV_READ | EV_PERSIST, udp_read, ns);
	if (event_add(&ns->ev, NULL) == -1)
		fatal("event_add");
	if (ns->role == SOCK_CHALLENGE && ns->family == AF_INET)
		chal_v4 = ns;
	else if (ns->role == SOCK_CHALLENGE && ns->family == AF_INET6)
		chal_v6 = ns;
}

/* The challenge socket of a family, to send getinfo from, or NULL. */
struct netsock *
udp_challenge_sock(int family)
{
	return (family == AF_INET ? chal_v4 : family == AF_INET6 ? chal_v6 :
	    NULL);
}

/*
 * Read what is waiting, at most UDP_BATCH * UDP_ROUNDS datagrams, so that
 * one busy socket cannot starve the others.
 */
static void
udp_read(int fd, short event __unused, void *arg)
{
	struct netsock	*ns = arg;
	struct source	 src;
	struct ipc_addr	 from;
	int		 n, i, round;

	for (round = 0; round < UDP_ROUNDS; round++) {
		memset(rmsg, 0, sizeof(rmsg));
		for (i = 0; i < UDP_BATCH; i++) {
			riov[i].iov_base = rbuf[i];
			riov[i].iov_len = sizeof(rbuf[i]);
			rmsg[i].msg_hdr.msg_iov = &riov[i];
			rmsg[i].msg_hdr.msg_iovlen = 1;
			rmsg[i].msg_hdr.msg_name = &rfrom[i];
			rmsg[i].msg_hdr.msg_namelen = sizeof(rfrom[i]);
		}
		if ((n = recvmmsg(fd, rmsg, UDP_BATCH, MSG_DONTWAIT, NULL)) ==
		    -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_warn("recvmmsg");
			return;
		}
		for (i = 0; i < n; i++) {
			if (rmsg[i].msg_len > PKT_MAX ||
			    (rmsg[i].msg_hdr.msg_flags & MSG_TRUNC)) {
				log_debug("dropped a datagram over %d bytes",
				    PKT_MAX);
				continue;
			}
			if (addr_from_sa(&from, (struct sockaddr *)&rfrom[i]) ==
			    -1)
				continue;
			src_udp(&src, &from, ns, &batch);
			handle_packet(&src, rbuf[i], rmsg[i].msg_len);
		}
		udp_batch_end(&batch);
		if (n < UDP_BATCH)
			return;
	}
}

/* Send what the batch queued, and let go of the list packets. */
static void
udp_batch_end(struct udp_batch *b)
{
	udp_flush_small(b);
	udp_flush_lists(b);
}

/* The small datagrams: a sendmmsg a socket. */
static void
udp_flush_small(struct udp_batch *b)
{
	struct mmsghdr	 msgs[UDP_BATCH];
	struct iovec	 iov[UDP_BATCH];
	struct netsock	*ns;
	size_t		 i, k, done = 0;
	int		 sent;

	while (done < b->nout) {
		/* The next run of datagrams for one socket. */
		ns = b->out[done].ns;
		memset(msgs, 0, sizeof(msgs));
		for (k = 0; done + k < b->nout && b->out[done + k].ns == ns;
		    k++) {
			i = done + k;
			iov[k].iov_base = b->out[i].data;
			iov[k].iov_len = b->out[i].len;
			msgs[k].msg_hdr.msg_name = &b->out[i].to;
			msgs[k].msg_hdr.msg_namelen = b->out[i].tolen;
			msgs[k].msg_hdr.msg_iov = &iov[k];
			msgs[k].msg_hdr.msg_iovlen = 1;
		}
		if ((sent = sendmmsg(ns->fd, msgs, k, 0)) == -1 ||
		    (size_t)sent < k)
			log_debug("sendmmsg: %d of %zu datagrams sent", sent, k);
		done += k;
	}
	b->nout = 0;
}

/* One datagram now; a full socket buffer drops it, as UDP may. */
static void
udp_sendto(struct netsock *ns, const struct ipc_addr *to, const void *data,
    size_t len)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 buf[ADDRSTRLEN];

	sslen = addr_to_sa(to, &ss);
	if (sendto(ns->fd, data, len, 0, (struct sockaddr *)&ss, sslen) ==
	    -1)
		log_debug("sendto %s: %s", addr_str(to, buf, sizeof(buf)),
		    strerror(errno));
}

/*
 * Send one datagram from ns: at the end of batch b if it is small, else
 * (or without a batch) now.
 */
void
udp_send(struct udp_batch *b, struct netsock *ns, const struct ipc_addr *to,
    const void *data, size_t len)
{
	if (b == NULL || len > UDP_SMALL) {
		udp_sendto(ns, to, data, len);
		return;
	}
	if (b->nout == UDP_BATCH)
		udp_flush_small(b);
	b->out[b->nout].ns = ns;
	b->out[b->nout].tolen = addr_to_sa(to, &b->out[b->nout].to);
	memcpy(b->out[b->nout].data, data, len);
	b->out[b->nout].len = len;
	b->nout++;
}

/*
 * Send the packets of a list answer from ns: at the end of batch b, with
 * its other answers, holding lp until then; without a batch, now.
 */
void
udp_send_list(struct udp_batch *b, struct netsock *ns,
    const struct ipc_addr *to, struct list_packets *lp)
{
	static struct udp_batch	 now;
	struct udp_batch	*q = b != NULL ? b : &now;

	if (lp->n == 0)
		return;
	if (q->nlists == UDP_BATCH)
		udp_flush_lists(q);
	q->lists[q->nlists].ns = ns;
	q->lists[q->nlists].tolen = addr_to_sa(to, &q->lists[q->nlists].to);
	q->lists[q->nlists].lp = lp_hold(lp);
	q->nlists++;
	if (b == NULL)
		udp_flush_lists(q);
}

/*
 * The queued answers, packet after packet, UDP_LIST_MSGS a sendmmsg(2)
 * and one socket a call.  When the socket buffer is full, the rest of
 * that call's packets are dropped, as UDP may.
 */
static void
udp_flush_lists(struct udp_batch *b)
{
	static struct mmsghdr	 msgs[UDP_LIST_MSGS];
	static struct iovec	 iov[UDP_LIST_MSGS];
	struct list_packets	*lp;
	struct netsock		*ns;
	size_t			 i = 0, p = 0, k, start;
	int			 sent;

	while (i < b->nlists) {
		ns = b->lists[i].ns;
		for (k = 0; k < UDP_LIST_MSGS && i < b->nlists &&
		    b->lists[i].ns == ns; k++) {
			lp = b->lists[i].lp;
			memset(&msgs[k], 0, sizeof(msgs[k]));
			start = p == 0 ? 0 : lp->ends[p - 1];
			iov[k].iov_base = lp->buf + start;
			iov[k].iov_len = lp->ends[p] - start;
			msgs[k].msg_hdr.msg_name = &b->lists[i].to;
			msgs[k].msg_hdr.msg_namelen = b->lists[i].tolen;
			msgs[k].msg_hdr.msg_iov = &iov[k];
			msgs[k].msg_hdr.msg_iovlen = 1;
			if (++p == lp->n) {
				p = 0;
				i++;
			}
		}
		if ((sent = sendmmsg(ns->fd, msgs, k, 0)) == -1 ||
		    (size_t)sent < k)
			log_debug("sendmmsg: %d of %zu list packets sent", sent,
			    k);
	}
	for (i = 0; i < b->nlists; i++)
		lp_release(b->lists[i].lp);
	b->nlists = 0;
}
