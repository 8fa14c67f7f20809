/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Framed messages between the three processes, in the manner of imsg(3):
 * a 16 byte header, a payload, and at most one descriptor per message.
 */

#ifndef IPC_H
#define IPC_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>

#include <event.h>

#define IPC_HEADER_SIZE		sizeof(struct ipc_hdr)
#define IPC_MAX_SIZE		16384	/* whole frame, header included */
#define IPC_MAX_PAYLOAD		(IPC_MAX_SIZE - IPC_HEADER_SIZE)
#define IPC_MAX_FDS		16	/* descriptors waiting for a frame */
#define IPC_F_HASFD		0x0001

struct ipc_addr;		/* tremmasterd.h */

struct ipc_hdr {
	uint32_t	type;
	uint16_t	len;		/* header included */
	uint16_t	flags;
	uint32_t	peerid;
	uint32_t	pid;
};

struct ipc_msg {
	struct ipc_hdr	 hdr;
	int		 fd;		/* -1 when none */
	size_t		 datalen;
	u_char		 data[IPC_MAX_PAYLOAD];
};

struct ipc_out {
	TAILQ_ENTRY(ipc_out)	 entry;
	size_t			 len;
	size_t			 off;
	int			 fd;
	u_char			 buf[];
};

struct ipcbuf {
	TAILQ_HEAD(, ipc_out)	 outq;
	size_t			 queued;	/* bytes waiting to be sent */
	int			 fd;
	int			 allow_fdpass;
	pid_t			 pid;		/* ours, put in each header */
	size_t			 rlen;		/* bytes in rbuf */
	size_t			 roff;		/* of them, taken */
	int			 fds[IPC_MAX_FDS];
	int			 nfds;
	u_char			 rbuf[IPC_MAX_SIZE * 4];
};

/* A channel driven by libevent. */
struct ipcev {
	struct ipcbuf	 ibuf;
	struct event	 ev;
	short		 events;
	void		(*handler)(int, short, void *);
	void		*data;
	const char	*name;		/* of the peer, for log lines */
	pid_t		 peer_pid;	/* 0 while unknown */
};

void	ipc_init(struct ipcbuf *, int);
void	ipc_allow_fdpass(struct ipcbuf *);
int	ipc_compose(struct ipcbuf *, uint32_t, uint32_t, int, const void *,
	    size_t);
int	ipc_write(struct ipcbuf *);
int	ipc_read(struct ipcbuf *);
int	ipc_get(struct ipcbuf *, struct ipc_msg *);
void	ipc_clear(struct ipcbuf *);
int	ipc_get_data(const struct ipc_msg *, void *, size_t);
void	ipc_check(const struct ipc_msg *, const char *, void *, size_t, int);
int	ipc_addr_valid(const struct ipc_addr *);

void	ipcev_init(struct ipcev *, int, const char *,
	    void (*)(int, short, void *), void *);
void	ipcev_add(struct ipcev *);
void	ipcev_del(struct ipcev *);
int	ipcev_compose(struct ipcev *, uint32_t, uint32_t, int, const void *,
	    size_t);
int	ipcev_handle(struct ipcev *, short);
int	ipcev_get(struct ipcev *, struct ipc_msg *);
void	ipcev_log_to(struct ipcev *, int);

#endif /* IPC_H */
