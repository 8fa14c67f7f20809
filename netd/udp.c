/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * UDP sockets: drained in batches with recvmmsg(2), each datagram handed
 * to handle_packet() with the socket it came in on, so that the answer
 * leaves from there.  What a batch answers leaves at its end, in as few
 * sendmmsg(2) calls as it takes: small datagrams copied, list answers as
 * references to the packets the server table keeps encoded.
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

static void	udp_read(int, short, void *);
static void	udp_flush_small(void);
static void	udp_flush_lists(void);

#define UDP_SMALL	64	/* bytes of a datagram copied into the queue */
#define UDP_LIST_MSGS	256	/* list packets a sendmmsg(), at most */

/* Datagrams to send at the end of the batch being handled. */
static struct {
	struct netsock		*ns;
	struct sockaddr_storage	 to;
	socklen_t		 tolen;
	size_t			 len;
	u_char			 data[UDP_SMALL];
} out[UDP_BATCH];
static size_t			 nout;
static int			 in_batch;

/*
 * List answers of the batch, sent at its end.  buf and ends belong to the
 * server table's cache: sv_list() calls udp_flush() before it encodes
 * anything again, so they stay valid while they wait here.
 */
static struct {
	struct netsock		*ns;
	struct sockaddr_storage	 to;
	socklen_t		 tolen;
	const u_char		*buf;
	const size_t		*ends;
	size_t			 n;
} lists[UDP_BATCH];
static size_t			 nlists;

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
	int		 n, i, round;

	memset(&src, 0, sizeof(src));
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
		in_batch = 1;
		for (i = 0; i < n; i++) {
			if (rmsg[i].msg_len > PKT_MAX ||
			    (rmsg[i].msg_hdr.msg_flags & MSG_TRUNC)) {
				log_debug("dropped a datagram over %d bytes",
				    PKT_MAX);
				continue;
			}
			if (addr_from_sa(&src.addr,
			    (struct sockaddr *)&rfrom[i]) == -1)
				continue;
			src.sock = ns;
			handle_packet(&src, rbuf[i], rmsg[i].msg_len);
		}
		in_batch = 0;
		udp_flush();
		if (n < UDP_BATCH)
			return;
	}
}

/* Send what the batch being handled queued. */
void
udp_flush(void)
{
	udp_flush_small();
	udp_flush_lists();
}

/* The small datagrams: a sendmmsg a socket. */
static void
udp_flush_small(void)
{
	struct mmsghdr	 msgs[UDP_BATCH];
	struct iovec	 iov[UDP_BATCH];
	struct netsock	*ns;
	size_t		 i, k, done = 0;
	int		 sent;

	while (done < nout) {
		/* The next run of datagrams for one socket. */
		ns = out[done].ns;
		memset(msgs, 0, sizeof(msgs));
		for (k = 0; done + k < nout && out[done + k].ns == ns; k++) {
			i = done + k;
			iov[k].iov_base = out[i].data;
			iov[k].iov_len = out[i].len;
			msgs[k].msg_hdr.msg_name = &out[i].to;
			msgs[k].msg_hdr.msg_namelen = out[i].tolen;
			msgs[k].msg_hdr.msg_iov = &iov[k];
			msgs[k].msg_hdr.msg_iovlen = 1;
		}
		if ((sent = sendmmsg(ns->fd, msgs, k, 0)) == -1 ||
		    (size_t)sent < k)
			log_debug("sendmmsg: %d of %zu datagrams sent", sent, k);
		done += k;
	}
	nout = 0;
}

/* Send one datagram; a full socket buffer drops it, as UDP may. */
void
udp_send(struct netsock *ns, const struct ipc_addr *to, const void *data,
    size_t len)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 buf[ADDRSTRLEN];

	/* Small answers of a batch (challenges) leave together. */
	if (in_batch && len <= UDP_SMALL) {
		if (nout == UDP_BATCH)
			udp_flush_small();
		out[nout].ns = ns;
		out[nout].tolen = addr_to_sa(to, &out[nout].to);
		memcpy(out[nout].data, data, len);
		out[nout].len = len;
		nout++;
		return;
	}
	sslen = addr_to_sa(to, &ss);
	if (sendto(ns->fd, data, len, 0, (struct sockaddr *)&ss, sslen) ==
	    -1)
		log_debug("sendto %s: %s", addr_str(to, buf, sizeof(buf)),
		    strerror(errno));
}

/*
 * Send the packets of one answer (packet i ends at ends[i] in buf): at the
 * end of the batch, together with the batch's other answers.
 */
void
udp_send_list(struct netsock *ns, const struct ipc_addr *to,
    const u_char *buf, const size_t *ends, size_t n)
{
	if (n == 0)
		return;
	if (nlists == UDP_BATCH)
		udp_flush_lists();
	lists[nlists].ns = ns;
	lists[nlists].tolen = addr_to_sa(to, &lists[nlists].to);
	lists[nlists].buf = buf;
	lists[nlists].ends = ends;
	lists[nlists].n = n;
	nlists++;
	if (!in_batch)
		udp_flush_lists();
}

/*
 * The queued answers, packet after packet, UDP_LIST_MSGS a sendmmsg(2)
 * and one socket a call.  When the socket buffer is full, the rest of
 * that call's packets are dropped, as UDP may.
 */
static void
udp_flush_lists(void)
{
	static struct mmsghdr	 msgs[UDP_LIST_MSGS];
	static struct iovec	 iov[UDP_LIST_MSGS];
	struct netsock		*ns;
	size_t			 i = 0, p = 0, k, start;
	int			 sent;

	while (i < nlists) {
		ns = lists[i].ns;
		for (k = 0; k < UDP_LIST_MSGS && i < nlists &&
		    lists[i].ns == ns; k++) {
			memset(&msgs[k], 0, sizeof(msgs[k]));
			start = p == 0 ? 0 : lists[i].ends[p - 1];
			iov[k].iov_base = (void *)(uintptr_t)(lists[i].buf +
			    start);
			iov[k].iov_len = lists[i].ends[p] - start;
			msgs[k].msg_hdr.msg_name = &lists[i].to;
			msgs[k].msg_hdr.msg_namelen = lists[i].tolen;
			msgs[k].msg_hdr.msg_iov = &iov[k];
			msgs[k].msg_hdr.msg_iovlen = 1;
			if (++p == lists[i].n) {
				p = 0;
				i++;
			}
		}
		if ((sent = sendmmsg(ns->fd, msgs, k, 0)) == -1 ||
		    (size_t)sent < k)
			log_debug("sendmmsg: %d of %zu list packets sent", sent,
			    k);
	}
	nlists = 0;
}
