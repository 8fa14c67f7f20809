/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * One request for the list of a remote master, over UDP or over a
 * WebSocket (ws://, or wss:// through libtls with the certificate
 * verified), on libevent: nothing here blocks.  The answer ends when its
 * last packet came (every index of a getserversExtResponse, an EOT), when
 * no packet came for a second after the last one (a plain list has no
 * end marker), or at the deadline.  What may come is bounded: packets of
 * at most FETCH_PKT_MAX bytes, FETCH_BYTES_MAX bytes in all and
 * FETCH_ENTRIES_MAX entries; past a bound the answer is cut, partial.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <tls.h>
#include <wslay/wslay.h>

#include "base64.h"
#include "log.h"
#include "options.h"
#include "proto.h"
#include "puppet.h"
#include "util.h"
#include "ws_http.h"
#include "fetch.h"

#define FETCH_HTTP_MAX		8192	/* bytes of the upgrade response */
#define FETCH_QUIET_MS		1000	/* after the last packet of a list */

enum fetch_state {
	ST_CONNECTING,		/* TCP */
	ST_TLS,			/* TLS handshake */
	ST_UPGRADE,		/* HTTP upgrade sent, response awaited */
	ST_LIST,		/* request sent, packets awaited */
	ST_DONE
};

struct fetch {
	const struct puppet_remote *r;
	enum puppet_conn	 conn;		/* CONN_UDP, CONN_WS, CONN_WSS */
	struct ipc_addr		 addr;
	enum fetch_state	 state;
	int			 fd;
	struct event		 ev_io, ev_deadline, ev_quiet, ev_done;
	int			 finished;	/* cb is due */
	short			 want;		/* EV_READ, EV_WRITE */
	struct tls		*tls;
	struct tls_config	*tls_config;
	wslay_event_context_ptr	 ws;
	struct evbuffer		*out;		/* HTTP request */
	struct evbuffer		*in;		/* HTTP response, then
						   frames read with it */
	char			 key[BASE64_LEN(16)];
	char			 request[64];
	size_t			 reqlen;
	struct fetch_result	 res;
	uint8_t			 seen[FETCH_INDEX_MAX / 8];
	int			 total;		/* of the Ext header, or 0 */
	int			 nseen;
	int			 skip_label;	/* the packet being read is
						   under the puppet label */
	fetch_cb		 cb;
	void			*arg;
};

static void	fetch_io(int, short, void *);
static void	fetch_deadline(int, short, void *);
static void	fetch_quiet(int, short, void *);
static void	fetch_done(int, short, void *);
static void	fetch_finish(struct fetch *, const char *);
static void	fetch_arm(struct fetch *);
static void	fetch_packet(struct fetch *, u_char *, size_t);
static void	fetch_entry(const struct list_entry *, void *);
static int	fetch_upgrade_send(struct fetch *);
static int	fetch_upgrade_read(struct fetch *);
static int	fetch_ws_start(struct fetch *);
static ssize_t	fetch_read(struct fetch *, void *, size_t);
static ssize_t	fetch_write(struct fetch *, const void *, size_t);
static ssize_t	fetch_tls_result(struct fetch *, ssize_t);
static ssize_t	ws_recv(wslay_event_context_ptr, uint8_t *, size_t, int,
		    void *);
static ssize_t	ws_send(wslay_event_context_ptr, const uint8_t *, size_t,
		    int, void *);
static int	ws_genmask(wslay_event_context_ptr, uint8_t *, size_t,
		    void *);
static void	ws_msg(wslay_event_context_ptr,
		    const struct wslay_event_on_msg_recv_arg *, void *);

static const struct wslay_event_callbacks ws_callbacks = {
	ws_recv, ws_send, ws_genmask, NULL, NULL, NULL, ws_msg
};

const char *
fetch_status_name(enum fetch_status s)
{
	switch (s) {
	case FETCH_COMPLETE:
		return ("complete");
	case FETCH_PARTIAL:
		return ("partial");
	case FETCH_FAILED:
		break;
	}
	return ("failed");
}

/*
 * Ask r at addr over conn (CONN_UDP, CONN_WS or CONN_WSS); cb is called
 * once with the result, never from inside this call.  tls_config is for
 * CONN_WSS.  Returns NULL when not even a socket could be made.
 */
struct fetch *
fetch_start(const struct puppet_remote *r, enum puppet_conn conn,
    const struct ipc_addr *addr, const char *protocol, int timeout,
    struct tls_config *tls_config, fetch_cb cb, void *arg)
{
	struct sockaddr_storage	 ss;
	struct timeval		 tv;
	struct fetch		*f;
	socklen_t		 sslen;
	int			 one = 1;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return (NULL);
	f->r = r;
	f->conn = conn;
	f->addr = *addr;
	f->cb = cb;
	f->arg = arg;
	f->fd = -1;
	f->tls_config = tls_config;
	f->res.status = FETCH_FAILED;
	/* getserversExt names the game (PROTOCOL.md, R4), as clients do. */
	f->reqlen = (size_t)snprintf(f->request, sizeof(f->request),
	    PKT_HDR "%s %s empty full", r->ext ? "getserversExt Tremulous" :
	    "getservers", r->protocol[0] != '\0' ? r->protocol : protocol);
	if (f->reqlen >= sizeof(f->request))
		goto fail;
	evtimer_set(&f->ev_deadline, fetch_deadline, f);
	evtimer_set(&f->ev_quiet, fetch_quiet, f);
	evtimer_set(&f->ev_done, fetch_done, f);
	sslen = addr_to_sa(addr, &ss);
	if ((f->fd = socket(ss.ss_family, (conn == CONN_UDP ? SOCK_DGRAM :
	    SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		goto fail;
	event_set(&f->ev_io, f->fd, 0, fetch_io, f);
	tv.tv_sec = timeout;
	tv.tv_usec = 0;
	evtimer_add(&f->ev_deadline, &tv);

	/*
	 * A connected UDP socket hears its remote only: datagrams from any
	 * other address never reach us.
	 */
	if (connect(f->fd, (struct sockaddr *)&ss, sslen) == -1 &&
	    errno != EINPROGRESS) {
		(void)snprintf(f->res.error, sizeof(f->res.error),
		    "connect: %s", strerror(errno));
		goto later;
	}
	if (conn == CONN_UDP) {
		if (send(f->fd, f->request, f->reqlen, 0) == -1) {
			(void)snprintf(f->res.error, sizeof(f->res.error),
			    "send: %s", strerror(errno));
			goto later;
		}
		f->state = ST_LIST;
		f->want = EV_READ;
	} else {
		(void)setsockopt(f->fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		f->state = ST_CONNECTING;
		f->want = EV_WRITE;
	}
	fetch_arm(f);
	return (f);
 later:
	/* The caller hears of the failure from the event loop. */
	fetch_finish(f, NULL);
	return (f);
 fail:
	if (f->fd != -1)
		(void)close(f->fd);
	free(f);
	return (NULL);
}

/* Stop f without a call of its callback, and free it. */
void
fetch_cancel(struct fetch *f)
{
	if (f == NULL)
		return;
	evtimer_del(&f->ev_deadline);
	evtimer_del(&f->ev_quiet);
	evtimer_del(&f->ev_done);
	if (f->fd != -1) {
		event_del(&f->ev_io);
		(void)close(f->fd);
	}
	if (f->tls != NULL) {
		(void)tls_close(f->tls);
		tls_free(f->tls);
	}
	if (f->ws != NULL)
		wslay_event_context_free(f->ws);
	if (f->in != NULL)
		evbuffer_free(f->in);
	if (f->out != NULL)
		evbuffer_free(f->out);
	fetch_result_clear(&f->res);
	free(f);
}

void
fetch_result_clear(struct fetch_result *res)
{
	size_t	 i;

	for (i = 0; i < res->nnames; i++)
		free(res->names[i].name);
	free(res->names);
	free(res->entries);
	res->names = NULL;
	res->entries = NULL;
	res->nnames = res->nentries = 0;
}

/* The result, whose arrays the caller may take (and then clear). */
struct fetch_result *
fetch_result(struct fetch *f)
{
	return (&f->res);
}

enum puppet_conn
fetch_conn(const struct fetch *f)
{
	return (f->conn);
}

static void
fetch_arm(struct fetch *f)
{
	event_del(&f->ev_io);
	if (f->state == ST_DONE || f->want == 0)
		return;
	event_set(&f->ev_io, f->fd, f->want, fetch_io, f);
	event_add(&f->ev_io, NULL);
}

/*
 * The end: the status follows from what came.  why, when not NULL, is
 * the reason of a failure; what came before it still counts.  The
 * callback runs from the event loop, never from inside wslay or a loop
 * over datagrams, so that it may free f.
 */
static void
fetch_finish(struct fetch *f, const char *why)
{
	struct fetch_result	*res = &f->res;
	struct timeval		 tv = { 0, 0 };

	if (f->finished)
		return;
	f->finished = 1;
	f->state = ST_DONE;
	evtimer_del(&f->ev_deadline);
	evtimer_del(&f->ev_quiet);
	if (f->fd != -1)
		event_del(&f->ev_io);
	if (why != NULL && res->error[0] == '\0')
		(void)strlcpy(res->error, why, sizeof(res->error));
	if (res->packets == 0)
		res->status = FETCH_FAILED;
	else if (res->garbled || res->cut || (f->total > 0 &&
	    f->nseen < f->total) || !res->ended)
		res->status = FETCH_PARTIAL;
	else
		res->status = FETCH_COMPLETE;
	evtimer_add(&f->ev_done, &tv);
}

static void
fetch_done(int fd __unused, short ev __unused, void *arg)
{
	struct fetch	*f = arg;

	f->cb(f, f->arg);
}

static void
fetch_deadline(int fd __unused, short ev __unused, void *arg)
{
	struct fetch	*f = arg;

	fetch_finish(f, f->res.packets > 0 ? "deadline, list incomplete" :
	    f->state == ST_LIST ? "no answer" : "no connection");
}

/* No packet for a while after the last: a plain list is over. */
static void
fetch_quiet(int fd __unused, short ev __unused, void *arg)
{
	struct fetch	*f = arg;

	f->res.ended = 1;
	fetch_finish(f, NULL);
}

static void
fetch_entry(const struct list_entry *e, void *arg)
{
	struct fetch		*f = arg;
	struct fetch_result	*res = &f->res;
	void			*p;

	if (f->skip_label)
		return;
	if (res->nentries + res->nnames >= FETCH_ENTRIES_MAX) {
		res->cut = 1;
		return;
	}
	if (e->name != NULL) {
		if (res->nnames % 64 == 0) {
			if ((p = reallocarray(res->names, res->nnames + 64,
			    sizeof(*res->names))) == NULL) {
				res->cut = 1;
				return;
			}
			res->names = p;
		}
		if ((res->names[res->nnames].name = strdup(e->name)) == NULL) {
			res->cut = 1;
			return;
		}
		res->names[res->nnames++].port = e->addr.port;
		return;
	}
	if (res->nentries % 256 == 0) {
		if ((p = reallocarray(res->entries, res->nentries + 256,
		    sizeof(*res->entries))) == NULL) {
			res->cut = 1;
			return;
		}
		res->entries = p;
	}
	res->entries[res->nentries++] = e->addr;
}

/* One datagram or WebSocket message of the answer. */
static void
fetch_packet(struct fetch *f, u_char *buf, size_t len)
{
	struct fetch_result	*res = &f->res;
	struct list_packet	 p;
	struct timeval		 tv = { 0, FETCH_QUIET_MS * 1000 };
	int			 skip;

	if (f->state != ST_LIST)
		return;
	res->bytes += len;
	if (res->bytes > FETCH_BYTES_MAX) {
		res->cut = 1;
		fetch_finish(f, "answer too long");
		return;
	}
	/* The label comes before the entries: read the header first. */
	if (list_parse(buf, len, &p, NULL, NULL) == -1) {
		/* Not a list: garbage, or a message we need not read. */
		res->garbled = 1;
		res->junk++;
		goto next;
	}
	skip = p.has_header && strcmp(p.label, PUPPET_LABEL) == 0;
	f->skip_label = skip;
	(void)list_parse(buf, len, &p, fetch_entry, f);
	f->skip_label = 0;
	res->packets++;
	if (skip)
		res->skipped_label += p.nentries;
	if (p.bad)
		res->garbled = 1;
	if (p.has_header) {
		if (p.total > FETCH_INDEX_MAX || (f->total != 0 &&
		    p.total != f->total)) {
			res->garbled = 1;
		} else {
			f->total = p.total;
			if (!(f->seen[(p.index - 1) / 8] & (1 <<
			    ((p.index - 1) % 8)))) {
				f->seen[(p.index - 1) / 8] |= 1 <<
				    ((p.index - 1) % 8);
				f->nseen++;
			}
			if (f->nseen == f->total) {
				res->ended = 1;
				fetch_finish(f, NULL);
				return;
			}
		}
	}
	if (p.eot) {
		res->ended = 1;
		fetch_finish(f, NULL);
		return;
	}
	if (res->cut) {
		fetch_finish(f, "too many entries");
		return;
	}
 next:
	/* Without a header, the end is a pause after the last packet. */
	if (f->total == 0 && res->packets > 0)
		evtimer_add(&f->ev_quiet, &tv);
}

/* Read from the peer, through TLS for wss://; EAGAIN when not ready. */
static ssize_t
fetch_read(struct fetch *f, void *buf, size_t len)
{
	if (f->tls == NULL)
		return (recv(f->fd, buf, len, 0));
	return (fetch_tls_result(f, tls_read(f->tls, buf, len)));
}

static ssize_t
fetch_write(struct fetch *f, const void *buf, size_t len)
{
	if (f->tls == NULL)
		return (send(f->fd, buf, len, MSG_NOSIGNAL));
	return (fetch_tls_result(f, tls_write(f->tls, buf, len)));
}

static ssize_t
fetch_tls_result(struct fetch *f, ssize_t n)
{
	if (n == TLS_WANT_POLLIN || n == TLS_WANT_POLLOUT) {
		f->want = n == TLS_WANT_POLLIN ? EV_READ : EV_WRITE;
		errno = EAGAIN;
		return (-1);
	}
	if (n == -1) {
		(void)snprintf(f->res.error, sizeof(f->res.error), "TLS: %s",
		    tls_error(f->tls));
		errno = EIO;
	}
	return (n);
}

/* The HTTP upgrade of RFC 6455, section 4.1, with a fresh key. */
static int
fetch_upgrade_send(struct fetch *f)
{
	u_char	 nonce[16];
	char	 host[PUPPET_HOST_MAX + 2];

	arc4random_buf(nonce, sizeof(nonce));
	(void)base64_encode(nonce, sizeof(nonce), f->key, sizeof(f->key));
	if (strchr(f->r->host, ':') != NULL)
		(void)snprintf(host, sizeof(host), "[%s]", f->r->host);
	else
		(void)strlcpy(host, f->r->host, sizeof(host));
	if ((f->out = evbuffer_new()) == NULL ||
	    (f->in = evbuffer_new()) == NULL ||
	    evbuffer_add_printf(f->out, "GET %s HTTP/1.1\r\n"
	    "Host: %s:%u\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Key: %s\r\n"
	    "Sec-WebSocket-Version: 13\r\n"
	    "User-Agent: tremmasterd/" VERSION " puppet\r\n"
	    "\r\n", f->r->path[0] != '\0' ? f->r->path : "/", host,
	    f->r->port, f->key) == -1)
		return (-1);
	f->state = ST_UPGRADE;
	return (0);
}

/*
 * The response to the upgrade: 101, with the Sec-WebSocket-Accept our key
 * asks for.  0: done, 1: more to read, -1: refused.
 */
static int
fetch_upgrade_read(struct fetch *f)
{
	char		 buf[2048], expect[WS_ACCEPT_LEN], *head, *line, *p;
	char		*next;
	struct evbuffer_ptr ptr;
	ssize_t		 n;
	size_t		 len;
	int		 status = 0, accepted = 0, upgrade = 0;

	for (;;) {
		if ((n = fetch_read(f, buf, sizeof(buf))) == -1) {
			if (errno == EAGAIN)
				break;
			return (-1);
		}
		if (n == 0) {
			(void)strlcpy(f->res.error, "connection closed in the "
			    "upgrade", sizeof(f->res.error));
			return (-1);
		}
		if (evbuffer_add(f->in, buf, n) == -1)
			return (-1);
		if (evbuffer_get_length(f->in) > FETCH_HTTP_MAX)
			break;
	}
	ptr = evbuffer_search(f->in, "\r\n\r\n", 4, NULL);
	if (ptr.pos == -1) {
		if (evbuffer_get_length(f->in) > FETCH_HTTP_MAX) {
			(void)strlcpy(f->res.error, "upgrade response too long",
			    sizeof(f->res.error));
			return (-1);
		}
		return (1);
	}
	len = ptr.pos + 4;
	if ((head = malloc(len + 1)) == NULL)
		return (-1);
	(void)evbuffer_remove(f->in, head, len);
	head[len] = '\0';
	if (ws_accept_key(f->key, strlen(f->key), expect) == -1) {
		free(head);
		return (-1);
	}
	for (p = head; (line = strsep(&p, "\n")) != NULL; ) {
		line[strcspn(line, "\r")] = '\0';
		if (status == 0) {
			if (strncmp(line, "HTTP/1.1 ", 9) == 0)
				status = (int)strtol(line + 9, &next, 10);
			if (status == 0)
				status = -1;
			continue;
		}
		if ((next = strchr(line, ':')) == NULL)
			continue;
		*next++ = '\0';
		next += strspn(next, " \t");
		next[strcspn(next, " \t")] = '\0';
		if (strcasecmp(line, "Sec-WebSocket-Accept") == 0 &&
		    strcmp(next, expect) == 0)
			accepted = 1;
		if (strcasecmp(line, "Upgrade") == 0 &&
		    strcasecmp(next, "websocket") == 0)
			upgrade = 1;
	}
	free(head);
	if (status != 101 || !accepted || !upgrade) {
		(void)snprintf(f->res.error, sizeof(f->res.error), "upgrade "
		    "refused (HTTP status %d%s)", status, status == 101 ?
		    ", bad Sec-WebSocket-Accept" : "");
		return (-1);
	}
	return (0);
}

/* The upgrade is done: the request goes as one binary message. */
static int
fetch_ws_start(struct fetch *f)
{
	struct wslay_event_msg	 msg;

	if (wslay_event_context_client_init(&f->ws, &ws_callbacks, f) != 0)
		return (-1);
	wslay_event_config_set_max_recv_msg_length(f->ws, FETCH_PKT_MAX);
	msg.opcode = WSLAY_BINARY_FRAME;
	msg.msg = (const uint8_t *)f->request;
	msg.msg_length = f->reqlen;
	if (wslay_event_queue_msg(f->ws, &msg) != 0)
		return (-1);
	f->state = ST_LIST;
	return (0);
}

static void
fetch_io(int fd, short ev __unused, void *arg)
{
	struct fetch	*f = arg;
	u_char		 buf[FETCH_PKT_MAX];
	socklen_t	 len;
	ssize_t		 n;
	size_t		 left;
	int		 e, rv;

	f->want = 0;
	switch (f->state) {
	case ST_CONNECTING:
		len = sizeof(e);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == -1)
			e = errno;
		if (e != 0) {
			(void)snprintf(f->res.error, sizeof(f->res.error),
			    "connect: %s", strerror(e));
			fetch_finish(f, NULL);
			return;
		}
		if (f->conn == CONN_WSS) {
			if ((f->tls = tls_client()) == NULL ||
			    tls_configure(f->tls, f->tls_config) == -1 ||
			    tls_connect_socket(f->tls, fd, f->r->host) == -1) {
				(void)snprintf(f->res.error,
				    sizeof(f->res.error), "TLS: %s",
				    f->tls != NULL ? tls_error(f->tls) :
				    "tls_client failed");
				fetch_finish(f, NULL);
				return;
			}
			f->state = ST_TLS;
		} else if (fetch_upgrade_send(f) == -1) {
			fetch_finish(f, "out of memory");
			return;
		}
		fetch_io(fd, 0, f);
		return;
	case ST_TLS:
		if ((rv = tls_handshake(f->tls)) == TLS_WANT_POLLIN ||
		    rv == TLS_WANT_POLLOUT) {
			f->want = rv == TLS_WANT_POLLIN ? EV_READ : EV_WRITE;
			break;
		}
		if (rv == -1) {
			(void)snprintf(f->res.error, sizeof(f->res.error),
			    "TLS: %s", tls_error(f->tls));
			fetch_finish(f, NULL);
			return;
		}
		if (fetch_upgrade_send(f) == -1) {
			fetch_finish(f, "out of memory");
			return;
		}
		fetch_io(fd, 0, f);
		return;
	case ST_UPGRADE:
		/* What is left of the request, then the response. */
		while ((left = evbuffer_get_length(f->out)) > 0) {
			n = fetch_write(f, evbuffer_pullup(f->out, -1), left);
			if (n == -1 && errno == EAGAIN) {
				if (f->want == 0)
					f->want = EV_WRITE;
				fetch_arm(f);
				return;
			}
			if (n <= 0) {
				fetch_finish(f, f->res.error[0] != '\0' ?
				    NULL : "send failed");
				return;
			}
			evbuffer_drain(f->out, n);
		}
		if ((rv = fetch_upgrade_read(f)) == -1) {
			fetch_finish(f, NULL);
			return;
		}
		if (rv == 1) {
			if (f->want == 0)
				f->want = EV_READ;
			break;
		}
		if (fetch_ws_start(f) == -1) {
			fetch_finish(f, "out of memory");
			return;
		}
		/* FALLTHROUGH */
	case ST_LIST:
		if (f->conn == CONN_UDP) {
			for (;;) {
				n = recv(fd, buf, sizeof(buf), 0);
				if (n == -1) {
					if (errno == EAGAIN || errno == EINTR)
						break;
					/* ICMP: port unreachable. */
					(void)snprintf(f->res.error,
					    sizeof(f->res.error), "recv: %s",
					    strerror(errno));
					fetch_finish(f, NULL);
					return;
				}
				fetch_packet(f, buf, n);
				if (f->state == ST_DONE)
					return;
			}
			f->want = EV_READ;
			break;
		}
		if ((wslay_event_want_read(f->ws) &&
		    wslay_event_recv(f->ws) != 0) ||
		    (f->state != ST_DONE && wslay_event_want_write(f->ws) &&
		    wslay_event_send(f->ws) != 0)) {
			if (f->state != ST_DONE)
				fetch_finish(f, f->res.error[0] != '\0' ?
				    NULL : "connection closed");
			return;
		}
		if (f->state == ST_DONE)
			return;
		if (!wslay_event_want_read(f->ws) &&
		    !wslay_event_want_write(f->ws)) {
			fetch_finish(f, "connection closed");
			return;
		}
		if (f->want == 0)
			f->want = (wslay_event_want_read(f->ws) ? EV_READ : 0) |
			    (wslay_event_want_write(f->ws) ? EV_WRITE : 0);
		break;
	case ST_DONE:
		return;
	}
	fetch_arm(f);
}

static ssize_t
ws_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
    int flags __unused, void *arg)
{
	struct fetch	*f = arg;
	ssize_t		 n;

	/* Frames that came with the upgrade response go first. */
	if (evbuffer_get_length(f->in) > 0)
		return (evbuffer_remove(f->in, buf, len));
	if ((n = fetch_read(f, buf, len)) == 0) {
		errno = ECONNRESET;
		n = -1;
	}
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		else
			wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
	}
	return (n);
}

static ssize_t
ws_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
    int flags __unused, void *arg)
{
	struct fetch	*f = arg;
	ssize_t		 n;

	if ((n = fetch_write(f, data, len)) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		else
			wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
	}
	return (n);
}

/* Client frames are masked (RFC 6455, section 5.3). */
static int
ws_genmask(wslay_event_context_ptr ctx __unused, uint8_t *buf, size_t len,
    void *arg __unused)
{
	arc4random_buf(buf, len);
	return (0);
}

static void
ws_msg(wslay_event_context_ptr ctx __unused,
    const struct wslay_event_on_msg_recv_arg *m, void *arg)
{
	struct fetch	*f = arg;
	u_char		*copy;

	if (m->opcode != WSLAY_BINARY_FRAME && m->opcode != WSLAY_TEXT_FRAME)
		return;
	/* The parser writes into the packet: a copy of wslay's. */
	if ((copy = malloc(m->msg_length + 1)) == NULL) {
		f->res.cut = 1;
		return;
	}
	memcpy(copy, m->msg, m->msg_length);
	fetch_packet(f, copy, m->msg_length);
	free(copy);
}
