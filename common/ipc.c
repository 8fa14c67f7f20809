/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The message layer between tremmasterd's processes.  Writes never block:
 * messages are queued and sent when the socket is writable.  Reads collect
 * bytes and descriptors; ipc_get() hands out one whole, checked frame.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "tremmasterd.h"

static int	ipc_pop_fd(struct ipcbuf *);

void
ipc_init(struct ipcbuf *ibuf, int fd)
{
	memset(ibuf, 0, sizeof(*ibuf));
	TAILQ_INIT(&ibuf->outq);
	ibuf->fd = fd;
	ibuf->pid = getpid();
}

/* Descriptors are refused unless a channel asks for them. */
void
ipc_allow_fdpass(struct ipcbuf *ibuf)
{
	ibuf->allow_fdpass = 1;
}

/*
 * Queue one message.  The descriptor, if any, belongs to the queue from
 * now on and is closed once sent.  Returns -1 when the payload is too big.
 */
int
ipc_compose(struct ipcbuf *ibuf, uint32_t type, uint32_t peerid, int fd,
    const void *data, size_t len)
{
	struct ipc_out	*out;
	struct ipc_hdr	 hdr;

	if (len > IPC_MAX_PAYLOAD || (len > 0 && data == NULL)) {
		errno = EMSGSIZE;
		return (-1);
	}
	if ((out = malloc(sizeof(*out) + IPC_HEADER_SIZE + len)) == NULL)
		return (-1);
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = IPC_HEADER_SIZE + len;
	hdr.flags = fd == -1 ? 0 : IPC_F_HASFD;
	hdr.peerid = peerid;
	hdr.pid = ibuf->pid;
	memcpy(out->buf, &hdr, sizeof(hdr));
	if (len > 0)
		memcpy(out->buf + IPC_HEADER_SIZE, data, len);
	out->len = IPC_HEADER_SIZE + len;
	out->off = 0;
	out->fd = fd;
	TAILQ_INSERT_TAIL(&ibuf->outq, out, entry);
	ibuf->queued += out->len;
	return (0);
}

/*
 * Send as much of the queue as the socket takes.  Returns 0 when done or
 * when the socket is full, -1 on error (EPIPE: the peer is gone).
 */
int
ipc_write(struct ipcbuf *ibuf)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct ipc_out	*out;
	struct cmsghdr	*cmsg;
	struct msghdr	 msg;
	struct iovec	 iov;
	ssize_t		 n;

	while ((out = TAILQ_FIRST(&ibuf->outq)) != NULL) {
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = out->buf + out->off;
		iov.iov_len = out->len - out->off;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		if (out->fd != -1) {
			memset(&cmsgbuf, 0, sizeof(cmsgbuf));
			msg.msg_control = cmsgbuf.buf;
			msg.msg_controllen = sizeof(cmsgbuf.buf);
			cmsg = CMSG_FIRSTHDR(&msg);
			cmsg->cmsg_len = CMSG_LEN(sizeof(int));
			cmsg->cmsg_level = SOL_SOCKET;
			cmsg->cmsg_type = SCM_RIGHTS;
			memcpy(CMSG_DATA(cmsg), &out->fd, sizeof(int));
		}
		n = sendmsg(ibuf->fd, &msg, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == ENOBUFS)
				return (0);
			return (-1);
		}
		if (out->fd != -1) {
			(void)close(out->fd);
			out->fd = -1;
		}
		out->off += n;
		ibuf->queued -= n;
		if (out->off < out->len)
			continue;
		TAILQ_REMOVE(&ibuf->outq, out, entry);
		/* Keys travel this way: leave nothing behind. */
		freezero(out, sizeof(*out) + out->len);
	}
	return (0);
}

/*
 * Read what is there.  Returns 1 when bytes came in, 0 at end of file, -1
 * on error; errno EAGAIN means nothing to read yet.
 */
int
ipc_read(struct ipcbuf *ibuf)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * IPC_MAX_FDS)];
	} cmsgbuf;
	struct cmsghdr	*cmsg;
	struct msghdr	 msg;
	struct iovec	 iov;
	ssize_t		 n;
	size_t		 i, nfd;
	int		 fd, bad = 0;

	/* Move what is left of a frame to the front, once per read. */
	if (ibuf->roff > 0) {
		memmove(ibuf->rbuf, ibuf->rbuf + ibuf->roff,
		    ibuf->rlen - ibuf->roff);
		ibuf->rlen -= ibuf->roff;
		ibuf->roff = 0;
	}
	if (ibuf->rlen >= sizeof(ibuf->rbuf)) {
		errno = ENOBUFS;
		return (-1);
	}
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = ibuf->rbuf + ibuf->rlen;
	iov.iov_len = sizeof(ibuf->rbuf) - ibuf->rlen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);

	do {
		n = recvmsg(ibuf->fd, &msg, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return (-1);

	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
			    sizeof(int));
			if (!ibuf->allow_fdpass || ibuf->nfds >= IPC_MAX_FDS) {
				(void)close(fd);
				bad = 1;
				continue;
			}
			ibuf->fds[ibuf->nfds++] = fd;
		}
	}
	if (bad || (msg.msg_flags & MSG_CTRUNC)) {
		errno = EBADMSG;
		return (-1);
	}
	if (n == 0)
		return (0);
	ibuf->rlen += n;
	return (1);
}

static int
ipc_pop_fd(struct ipcbuf *ibuf)
{
	int	 fd;

	if (ibuf->nfds == 0)
		return (-1);
	fd = ibuf->fds[0];
	memmove(&ibuf->fds[0], &ibuf->fds[1],
	    (ibuf->nfds - 1) * sizeof(ibuf->fds[0]));
	ibuf->nfds--;
	return (fd);
}

/*
 * Take one whole frame out of the read buffer.  Returns 1 with the frame in
 * *msg, 0 when more bytes are needed, -1 (errno EBADMSG) for a frame that
 * can never be right: a bad length, unknown flags, or a missing descriptor.
 */
int
ipc_get(struct ipcbuf *ibuf, struct ipc_msg *msg)
{
	struct ipc_hdr	 hdr;
	u_char		*p = ibuf->rbuf + ibuf->roff;
	size_t		 have = ibuf->rlen - ibuf->roff;

	if (have < IPC_HEADER_SIZE)
		return (0);
	memcpy(&hdr, p, sizeof(hdr));
	if (hdr.len < IPC_HEADER_SIZE || hdr.len > IPC_MAX_SIZE ||
	    (hdr.flags & ~IPC_F_HASFD) != 0) {
		errno = EBADMSG;
		return (-1);
	}
	if (have < hdr.len)
		return (0);
	msg->hdr = hdr;
	msg->fd = -1;
	if (hdr.flags & IPC_F_HASFD) {
		if ((msg->fd = ipc_pop_fd(ibuf)) == -1) {
			errno = EBADMSG;
			return (-1);
		}
	}
	msg->datalen = hdr.len - IPC_HEADER_SIZE;
	memcpy(msg->data, p + IPC_HEADER_SIZE, msg->datalen);
	ibuf->roff += hdr.len;
	if (ibuf->roff == ibuf->rlen)
		ibuf->rlen = ibuf->roff = 0;
	return (1);
}

/* Drop the queue and any descriptors held; the socket stays open. */
void
ipc_clear(struct ipcbuf *ibuf)
{
	struct ipc_out	*out;

	while ((out = TAILQ_FIRST(&ibuf->outq)) != NULL) {
		TAILQ_REMOVE(&ibuf->outq, out, entry);
		if (out->fd != -1)
			(void)close(out->fd);
		freezero(out, sizeof(*out) + out->len);
	}
	ibuf->queued = 0;
	while (ibuf->nfds > 0)
		(void)close(ipc_pop_fd(ibuf));
	ibuf->rlen = ibuf->roff = 0;
}

/*
 * Copy the payload of msg to buf when it is exactly size bytes, as
 * imsg_get_data(3) does; size 0 (buf may be NULL) asks for an empty one.
 * Returns -1 with errno EBADMSG when the size differs.
 */
int
ipc_get_data(const struct ipc_msg *msg, void *buf, size_t size)
{
	if (size > 0 && buf == NULL) {
		errno = EINVAL;
		return (-1);
	}
	if (msg->datalen != size) {
		errno = EBADMSG;
		return (-1);
	}
	if (size > 0)
		memcpy(buf, msg->data, size);
	return (0);
}

/*
 * The checks every received message gets, and its payload copied to buf:
 * exactly size bytes, and a descriptor exactly when the type carries one.
 * Fatal otherwise, naming the message type and the peer.
 */
void
ipc_check(const struct ipc_msg *msg, const char *peer, void *buf,
    size_t size, int wantfd)
{
	if (ipc_get_data(msg, buf, size) == -1)
		fatalx("%s from %s has %zu bytes, expected %zu",
		    ipc_typename(msg->hdr.type), peer, msg->datalen, size);
	if (wantfd && msg->fd == -1)
		fatalx("%s from %s has no descriptor",
		    ipc_typename(msg->hdr.type), peer);
	if (!wantfd && msg->fd != -1)
		fatalx("%s from %s has an unexpected descriptor",
		    ipc_typename(msg->hdr.type), peer);
}

/*
 * An address as every sender fills it: IPv4 or IPv6, no padding, and for
 * IPv4 nothing after the four bytes of the address.  Returns 1 when so.
 */
int
ipc_addr_valid(const struct ipc_addr *a)
{
	size_t	 i;

	if (a->pad != 0)
		return (0);
	switch (a->family) {
	case AF_INET:
		for (i = 4; i < sizeof(a->addr); i++)
			if (a->addr[i] != 0)
				return (0);
		return (1);
	case AF_INET6:
		return (1);
	}
	return (0);
}

void
ipcev_init(struct ipcev *iev, int fd, const char *name,
    void (*handler)(int, short, void *), void *data)
{
	ipc_init(&iev->ibuf, fd);
	iev->handler = handler;
	iev->data = data;
	iev->name = name;
	iev->events = 0;
	iev->peer_pid = 0;
}

/* Arm for reading, and for writing while anything is queued. */
void
ipcev_add(struct ipcev *iev)
{
	if (iev->events != 0)
		event_del(&iev->ev);
	iev->events = EV_READ;
	if (iev->ibuf.queued > 0)
		iev->events |= EV_WRITE;
	event_set(&iev->ev, iev->ibuf.fd, iev->events, iev->handler,
	    iev->data != NULL ? iev->data : iev);
	if (event_add(&iev->ev, NULL) == -1)
		fatal("%s: event_add", __func__);
}

void
ipcev_del(struct ipcev *iev)
{
	if (iev->events != 0)
		event_del(&iev->ev);
	iev->events = 0;
}

/* Queue a message and make sure the channel will be written. */
int
ipcev_compose(struct ipcev *iev, uint32_t type, uint32_t peerid, int fd,
    const void *data, size_t len)
{
	if (iev->ibuf.fd == -1) {
		if (fd != -1)
			(void)close(fd);
		return (0);
	}
	if (ipc_compose(&iev->ibuf, type, peerid, fd, data, len) == -1)
		return (-1);
	if (iev->events != 0)
		ipcev_add(iev);
	return (0);
}

/*
 * The common start of every dispatch function: read and write as the event
 * says.  Returns 1 when the peer has gone away, 0 otherwise.
 */
int
ipcev_handle(struct ipcev *iev, short event)
{
	int	 n, shut = 0;

	if (event & EV_READ) {
		if ((n = ipc_read(&iev->ibuf)) == -1 && errno != EAGAIN) {
			if (errno == ECONNRESET)
				shut = 1;
			else
				fatal("read from %s", iev->name);
		}
		if (n == 0)
			shut = 1;
	}
	if (event & EV_WRITE) {
		if (ipc_write(&iev->ibuf) == -1) {
			if (errno == EPIPE || errno == ECONNRESET)
				shut = 1;
			else
				fatal("write to %s", iev->name);
		}
	}
	return (shut);
}

/*
 * Next frame from a peer, checked for shape and sender.  A frame that is
 * malformed or claims another sender is fatal: the daemon stops.
 */
int
ipcev_get(struct ipcev *iev, struct ipc_msg *msg)
{
	int	 n;

	if ((n = ipc_get(&iev->ibuf, msg)) == -1)
		fatalx("malformed message from %s", iev->name);
	if (n == 1 && iev->peer_pid != 0 &&
	    msg->hdr.pid != (uint32_t)iev->peer_pid) {
		if (msg->fd != -1)
			(void)close(msg->fd);
		fatalx("%s from %s claims pid %u, expected %ld",
		    ipc_typename(msg->hdr.type), iev->name, msg->hdr.pid,
		    (long)iev->peer_pid);
	}
	return (n);
}

/*
 * The parent's and logd's side of the plugins' log stream: from now on,
 * every log line at level or more important goes to netd on iev as
 * IMSG_LOG too (IMSG_LOG_LEVEL says which level; -1 stops it).
 */
#define LOG_QUEUE_MAX	(256 * 1024)	/* bytes unread, then no lines */

static struct ipcev	*log_iev;

static void
ipcev_log_hook(int level, const char *msg)
{
	struct ipc_log	 l;

	/*
	 * netd reads its channels; one that does not gets no more lines
	 * than LOG_QUEUE_MAX unread, and a line that cannot be queued is not
	 * worth a fatal().
	 */
	if (log_iev->ibuf.queued > LOG_QUEUE_MAX)
		return;
	memset(&l, 0, sizeof(l));
	l.level = level;
	(void)strlcpy(l.msg, msg, sizeof(l.msg));
	(void)ipcev_compose(log_iev, IMSG_LOG, 0, -1, &l, sizeof(l));
}

void
ipcev_log_to(struct ipcev *iev, int level)
{
	log_iev = iev;
	log_sethook(level, level < 0 ? NULL : ipcev_log_hook);
}
