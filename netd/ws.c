/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * WebSocket clients and game servers.  A connection starts with the HTTP
 * upgrade (ws_http.c) under a deadline; then wslay frames it: each binary
 * message is one protocol datagram, handed to handle_packet() like a UDP
 * one, and each answer is one binary message.  Plain events on the
 * socket, no bufferevent: wslay buffers already.
 *
 * What a peer can make us hold is bounded: a message takes at most
 * --ws-max-message bytes in WS_MAX_FRAMES frames, and a peer with more than
 * WS_MAX_QUEUED bytes waiting to be sent to it (pongs included, each
 * queued message counted with what wslay allocates for it) is not read
 * until that drains to half, and is dropped if it does not drain within
 * WS_STALL_TIMEOUT.
 *
 * Behind a reverse proxy (--trusted-proxy) a connection starts in
 * WS_PROXY: a PROXY protocol header, if one comes, is read off the socket
 * to its last byte and no further, before TLS sees any, and names the
 * client; else the forwarding header of the upgrade request does.  Until
 * then the connection counts under the proxy's address, without the
 * per-address limit; once the client is known, ignore.txt and the limit
 * apply to it and the connection counts under it.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tls.h>
#include <wslay/wslay.h>

#include "log.h"
#include "netd.h"
#include "util.h"
#include "proxy.h"
#include "ws_http.h"

#define WS_STALL_TIMEOUT	30	/* seconds a full queue may last */
#define WS_MAX_FRAMES		16	/* frames of one message */
#define WS_MAX_QUEUED		(256 * 1024)	/* bytes queued to a peer */
#define WS_MSG_OVERHEAD		128	/* wslay's own bytes per queued message */
#define WS_MAX_CTRL		125	/* payload of a control frame */
/*
 * Connections in all and per address, the handshake and idle deadlines
 * and the largest message are netd_conf's (--ws-max-connections,
 * --ws-max-per-ip, --ws-handshake-timeout, --ws-idle-timeout,
 * --ws-max-message).
 */
#define WS_ACCEPT_PAUSE		1	/* seconds without accept after EMFILE */
#define WS_ACCEPT_BATCH		64	/* accept() calls a wake-up */
#define WS_DRAIN_READS		16	/* reads of what a refused peer sent */

/* The frame header, RFC 6455 5.2: two bytes, then 2 or 8 of length. */
#define WS_FH_FIN		0x80	/* byte 0: last frame of a message */
#define WS_FH_OPCODE		0x0f	/* byte 0: the opcode */
#define WS_FH_CTRL		0x08	/* in the opcode: a control frame */
#define WS_FH_MASKED		0x80	/* byte 1: a mask key follows */
#define WS_FH_LEN		0x7f	/* byte 1: 7-bit length or escape */
#define WS_FH_LEN16		126	/* escape: 16-bit length follows */
#define WS_FH_LEN64		127	/* escape: 64-bit length follows */
#define WS_FH_MASK_KEY		4	/* bytes of the mask key */

/* The port message: "\xff\xff\xff\xffport" and two bytes of port. */
#define WS_PORT_OFF		(PKT_HDR_LEN + 4)

enum ws_state { WS_PROXY, WS_HANDSHAKE, WS_OPEN };

struct ws_conn {
	RB_ENTRY(ws_conn)	 entry;
	uint32_t		 id;
	int			 fd;
	enum ws_state		 state;
	struct event		 ev;
	struct event		 timer;
	short			 events;
	struct ipc_addr		 peer;		/* the client's address */
	int			 settle;	/* peer is a proxy, so far */
	u_char			*pbuf;		/* WS_PROXY: the header so far */
	size_t			 plen;
	uint16_t		 port;		/* announced, network order */
	struct ipcount		*ip;
	struct netsock		*ls;
	char			*hbuf;		/* upgrade request */
	size_t			 hlen;
	char			*out;		/* upgrade response */
	size_t			 outlen;
	size_t			 outoff;
	int			 close_after_out;
	wslay_event_context_ptr	 ctx;
	struct tls		*tls;		/* wss:// */
	struct ws_tls		*srv;		/* ... its server context */
	short			 tls_want;	/* what TLS waits for */
	int64_t			 idle_at;	/* idle deadline, ms */
	int64_t			 stall_at;	/* full queue deadline, ms */
	int			 stalled;	/* not read: queue full */
	uint16_t		 refuse;	/* close code to send, or 0 */
	uint8_t			 fh[10];	/* frame header so far */
	size_t			 fhlen;
	uint64_t		 fskip;		/* payload bytes to pass */
	int			 nframes;	/* of the data message */
};

static int	ws_cmp(const struct ws_conn *, const struct ws_conn *);
static void	ws_accept(int, short, void *);
static void	ws_accept_resume(int, short, void *);
static void	ws_event(int, short, void *);
static void	ws_timeout(int, short, void *);
static void	ws_close(struct ws_conn *, const char *);
static void	ws_drain(int);
static void	ws_update(struct ws_conn *);
static void	ws_proxy_read(struct ws_conn *);
static const char *ws_client(struct ws_conn *, const struct ipc_addr *);
static int	ws_trusted(const struct ipc_addr *);
static void	ws_handshake_read(struct ws_conn *);
static int	ws_handshake_write(struct ws_conn *);
static void	ws_open(struct ws_conn *);
static void	ws_ctx(struct ws_conn *);
static void	ws_touch(struct ws_conn *, int);
static void	ws_arm(struct ws_conn *);
static size_t	ws_queued(struct ws_conn *);
static int	ws_io(struct ws_conn *, short);
static size_t	ws_scan(struct ws_conn *, const uint8_t *, size_t);
static uint16_t	ws_check_header(struct ws_conn *);
static ssize_t	ws_recv_cb(wslay_event_context_ptr, uint8_t *, size_t, int,
		    void *);
static ssize_t	ws_send_cb(wslay_event_context_ptr, const uint8_t *, size_t,
		    int, void *);
static ssize_t	ws_cb_result(wslay_event_context_ptr, ssize_t);
static void	ws_msg_cb(wslay_event_context_ptr,
		    const struct wslay_event_on_msg_recv_arg *, void *);
static const char *ws_name(const struct ws_conn *, char *, size_t);
static ssize_t	ws_io_read(struct ws_conn *, void *, size_t);
static ssize_t	ws_io_write(struct ws_conn *, const void *, size_t, int);
static ssize_t	ws_tls_result(struct ws_conn *, ssize_t);

RB_HEAD(ws_tree, ws_conn);
RB_GENERATE_STATIC(ws_tree, ws_conn, entry, ws_cmp)

static struct ws_tree		 conns = RB_INITIALIZER(&conns);
static struct ipcount_tree	 conn_ips = RB_INITIALIZER(&conn_ips);
static size_t			 nconns;
static uint64_t			 naccepted;	/* past the limits, since start */
static uint32_t			 next_id = 1;
static struct event		 ev_resume;
static int			 accept_paused;
/*
 * The libtls server contexts of wss://: the one new connections get, and
 * those a SIGHUP replaced, kept until their last connection is gone (a
 * connection's TLS refers to its server context, the SNI callback for
 * one).
 */
struct ws_tls {
	struct tls		*ctx;
	size_t			 conns;
	LIST_ENTRY(ws_tls)	 entry;
};
static struct ws_tls		*tls_srv;	/* set for wss:// */
/* --trusted-proxy and --real-ip-header */
static struct ignore_index	 proxies;
static struct ipc_ignore	*proxy_entries;
static const char		*proxy_header;	/* NULL: none read */
static int			 proxy_kind;
static LIST_HEAD(, ws_tls)	 tls_old = LIST_HEAD_INITIALIZER(tls_old);

static const struct wslay_event_callbacks ws_callbacks = {
	ws_recv_cb, ws_send_cb, NULL, NULL, NULL, NULL, ws_msg_cb
};

static int
ws_cmp(const struct ws_conn *a, const struct ws_conn *b)
{
	return (a->id < b->id ? -1 : a->id > b->id);
}

struct ws_conn *
ws_find(uint32_t id)
{
	struct ws_conn	 key;

	key.id = id;
	return (RB_FIND(ws_tree, &conns, &key));
}

uint32_t
ws_id(const struct ws_conn *c)
{
	return (c->id);
}

/* "[WS] 1.2.3.4:5678" for log lines. */
static const char *
ws_name(const struct ws_conn *c, char *buf, size_t len)
{
	return (addr_str(&c->peer, buf, len));
}

/*
 * A libtls server context for the key pair, or NULL with the reason in
 * err.  The parent calls it to check -k and -K before binding anything;
 * netd to serve wss://.
 */
struct tls *
ws_tls_server(const u_char *cert, size_t certlen, const u_char *key,
    size_t keylen, char *err, size_t errlen)
{
	struct tls_config	*cfg;
	struct tls		*ctx;

	if (tls_init() == -1) {
		(void)strlcpy(err, "tls_init failed", errlen);
		return (NULL);
	}
	if ((cfg = tls_config_new()) == NULL)
		fatal("tls_config_new");
	if (tls_config_set_keypair_mem(cfg, cert, certlen, key, keylen) ==
	    -1) {
		(void)strlcpy(err, tls_config_error(cfg), errlen);
		tls_config_free(cfg);
		return (NULL);
	}
	if ((ctx = tls_server()) == NULL)
		fatal("tls_server");
	if (tls_configure(ctx, cfg) == -1) {
		(void)strlcpy(err, tls_error(ctx), errlen);
		tls_free(ctx);
		ctx = NULL;
	}
	tls_config_clear_keys(cfg);
	tls_config_free(cfg);
	return (ctx);
}

/*
 * Serve wss:// on every WebSocket port; again with a new key pair after a
 * SIGHUP, for the connections that come from then on.  A pair netd cannot
 * use then (the parent checked it) leaves the one in use.
 */
void
ws_tls_init(const u_char *cert, size_t certlen, const u_char *key,
    size_t keylen)
{
	struct ws_tls	*t;
	struct tls	*ctx;
	char		 err[256];

	if ((ctx = ws_tls_server(cert, certlen, key, keylen, err,
	    sizeof(err))) == NULL) {
		if (tls_srv == NULL)
			fatalx("[WS] TLS: %s", err);
		log_warnx("[WS] TLS: new key pair: %s: the one in use is kept",
		    err);
		return;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		fatal(NULL);
	t->ctx = ctx;
	if (tls_srv == NULL) {
		tls_srv = t;
		log_info("[WS] TLS enabled: wss:// on the WebSocket ports");
		return;
	}
	if (tls_srv->conns == 0) {
		tls_free(tls_srv->ctx);
		free(tls_srv);
	} else
		LIST_INSERT_HEAD(&tls_old, tls_srv, entry);
	tls_srv = t;
	log_info("[WS] TLS: new key pair for new connections");
}

/* A connection of t is gone: a replaced context goes with its last. */
static void
ws_tls_put(struct ws_tls *t)
{
	if (--t->conns > 0 || t == tls_srv)
		return;
	LIST_REMOVE(t, entry);
	tls_free(t->ctx);
	free(t);
}

/*
 * The reverse proxies whose word on the client's address is taken, and
 * the header read for it (enum real_ip_header).
 */
void
ws_proxy_init(const struct ipc_ignore *list, size_t n, int kind)
{
	if (n == 0)
		return;
	if ((proxy_entries = reallocarray(NULL, n, sizeof(*list))) == NULL)
		fatal(NULL);
	memcpy(proxy_entries, list, n * sizeof(*list));
	ignore_index_build(&proxies, proxy_entries, n);
	proxy_kind = kind;
	proxy_header = proxy_header_name(kind);
	log_info("[WS] %zu trusted prox%s: client addresses from PROXY "
	    "headers%s%s", n, n == 1 ? "y" : "ies", proxy_header != NULL ?
	    " and " : "", proxy_header != NULL ? proxy_header : "");
}

static int
ws_trusted(const struct ipc_addr *a)
{
	return (proxies.ngroups > 0 && ignore_index_match(&proxies, a));
}

/* Read from the peer, through TLS for wss://; EAGAIN when not ready. */
static ssize_t
ws_io_read(struct ws_conn *c, void *buf, size_t len)
{
	if (c->tls == NULL)
		return (recv(c->fd, buf, len, 0));
	return (ws_tls_result(c, tls_read(c->tls, buf, len)));
}

/*
 * A tls_read() or tls_write() result as a recv() or send() one: what TLS
 * waits for is kept for ws_update(), and the caller sees EAGAIN.
 */
static ssize_t
ws_tls_result(struct ws_conn *c, ssize_t n)
{
	c->tls_want = 0;
	if (n == TLS_WANT_POLLIN || n == TLS_WANT_POLLOUT) {
		c->tls_want = n == TLS_WANT_POLLIN ? EV_READ : EV_WRITE;
		errno = EAGAIN;
		return (-1);
	}
	if (n == -1) {
		log_debug("[WS] TLS: %s", tls_error(c->tls));
		errno = EIO;
	}
	return (n);
}

/* more: the rest of the frame follows at once (header, then payload). */
static ssize_t
ws_io_write(struct ws_conn *c, const void *buf, size_t len, int more)
{
	if (c->tls == NULL)
		return (send(c->fd, buf, len, MSG_NOSIGNAL |
		    (more ? MSG_MORE : 0)));
	return (ws_tls_result(c, tls_write(c->tls, buf, len)));
}

void
ws_listen(struct netsock *ns)
{
	event_set(&ns->ev, ns->fd, EV_READ | EV_PERSIST, ws_accept, ns);
	if (event_add(&ns->ev, NULL) == -1)
		fatal("event_add");
	log_info("[WS] listening on %s port %u%s", family_name(ns->family),
	    ns->port, tls_srv != NULL ? " (wss)" : "");
}

/* After running out of descriptors, listen again. */
static void
ws_accept_resume(int fd __unused, short event __unused, void *arg __unused)
{
	struct netsock	*ns;

	accept_paused = 0;
	TAILQ_FOREACH(ns, &netd_socks, entry)
		if (ns->role == SOCK_WEBSOCKET)
			event_add(&ns->ev, NULL);
}

/*
 * Take new connections.  Out of descriptors, every listener pauses for a
 * second instead of spinning on a connection it cannot take.
 */
static void
ws_accept(int lfd, short event __unused, void *arg)
{
	struct netsock		*ns = arg, *l;
	struct sockaddr_storage	 ss;
	struct timeval		 tv = { WS_ACCEPT_PAUSE, 0 };
	struct ipc_addr		 peer;
	socklen_t		 sslen;
	int			 fd, i;

	for (i = 0; i < WS_ACCEPT_BATCH; i++) {
		sslen = sizeof(ss);
		if ((fd = accept4(lfd, (struct sockaddr *)&ss, &sslen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				log_warn("[WS] accept");
				if (!accept_paused) {
					accept_paused = 1;
					TAILQ_FOREACH(l, &netd_socks, entry)
						if (l->role == SOCK_WEBSOCKET)
							event_del(&l->ev);
					evtimer_set(&ev_resume,
					    ws_accept_resume, NULL);
					evtimer_add(&ev_resume, &tv);
				}
			} else if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("[WS] accept");
			return;
		}
		if (addr_from_sa(&peer, (struct sockaddr *)&ss) == -1) {
			(void)close(fd);
			continue;
		}
		ws_adopt(fd, &peer, ns);
	}
}

/*
 * A new connection on fd, accepted on ns from peer: refused at the limits,
 * else it waits for its upgrade request.  ws_accept() calls it for every
 * connection; the fuzzer hands it one end of a socketpair.
 */
void
ws_adopt(int fd, const struct ipc_addr *peer, struct netsock *ns)
{
	struct ws_conn	*c;
	char		 buf[ADDRSTRLEN];
	int		 on = 1, ignored, proxy;

	/* A proxy's clients are checked once known (ws_client()). */
	proxy = ws_trusted(peer);
	ignored = !proxy && ignore_match(peer);
	if (nconns >= (size_t)netd_conf.ws_max_conns || ignored ||
	    (!proxy && netd_conf.ws_max_per_ip > 0 &&
	    ipcount_get(&conn_ips, peer) >=
	    (uint32_t)netd_conf.ws_max_per_ip)) {
		log_verbose("[WS] connection from %s refused: %s",
		    addr_str(peer, buf, sizeof(buf)),
		    ignored ? "ignore.txt" :
		    nconns >= (size_t)netd_conf.ws_max_conns ?
		    "too many connections" :
		    "too many connections from the address");
		(void)close(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal(NULL);
	c->peer = *peer;
	c->ip = ipcount_take(&conn_ips, &c->peer);
	c->fd = fd;
	/* Answers are small and wanted at once: no Nagle. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
		log_debug("[WS] TCP_NODELAY: %s", strerror(errno));
	if (tls_srv != NULL) {
		if (tls_accept_socket(tls_srv->ctx, &c->tls, fd) == -1)
			fatalx("[WS] tls_accept_socket: %s",
			    tls_error(tls_srv->ctx));
		c->srv = tls_srv;
		tls_srv->conns++;
	}
	c->ls = ns;
	c->state = WS_HANDSHAKE;
	if (proxy) {
		c->settle = 1;
		c->state = WS_PROXY;
		if ((c->pbuf = malloc(PROXY_MAX)) == NULL)
			fatal(NULL);
	}
	do {
		c->id = next_id++;
	} while (c->id == 0 || ws_find(c->id) != NULL);
	if ((c->hbuf = malloc(WS_HTTP_MAX)) == NULL)
		fatal(NULL);
	RB_INSERT(ws_tree, &conns, c);
	nconns++;
	naccepted++;
	evtimer_set(&c->timer, ws_timeout, c);
	ws_touch(c, netd_conf.ws_handshake_timeout);
	log_verbose("[WS] connection from %s", ws_name(c, buf, sizeof(buf)));
	ws_update(c);
}

/* Connections open now, and taken since start (the counters request). */
void
ws_counts(size_t *open, uint64_t *accepted)
{
	*open = nconns;
	*accepted = naccepted;
}

/* Restart the connection's deadline. */
static void
ws_touch(struct ws_conn *c, int seconds)
{
	struct timeval	 tv = { seconds, 0 };

	evtimer_add(&c->timer, &tv);
}

/* Set the timer of an open connection to its nearest deadline. */
static void
ws_arm(struct ws_conn *c)
{
	struct timeval	 tv;
	int64_t		 at, ms;

	at = c->idle_at;
	if (c->stalled && c->stall_at < at)
		at = c->stall_at;
	if ((ms = at - netd_now()) < 0)
		ms = 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = ms % 1000 * 1000;
	evtimer_add(&c->timer, &tv);
}

static void
ws_timeout(int fd __unused, short event __unused, void *arg)
{
	struct ws_conn	*c = arg;
	int64_t		 now;

	if (c->state != WS_OPEN) {
		ws_close(c, "handshake timed out");
		return;
	}
	now = netd_now();
	if (c->stalled && now >= c->stall_at)
		ws_close(c, "peer does not read");
	else if (now >= c->idle_at)
		ws_close(c, "idle timeout");
	else
		ws_arm(c);
}

/*
 * What wslay holds for the messages waiting to be sent: their payloads
 * and, for each, its own structure, queue entry and allocator headers.
 */
static size_t
ws_queued(struct ws_conn *c)
{
	if (c->ctx == NULL)
		return (0);
	return (wslay_event_get_queued_msg_length(c->ctx) +
	    wslay_event_get_queued_msg_count(c->ctx) * WS_MSG_OVERHEAD);
}

/*
 * Before close: send our FIN and read what the peer still sent, so that the
 * kernel does not answer unread bytes with a reset that destroys our last
 * frame (the close frame of a protocol error) on its way.
 */
static void
ws_drain(int fd)
{
	char	 buf[4096];
	int	 i;

	(void)shutdown(fd, SHUT_WR);
	for (i = 0; i < WS_DRAIN_READS; i++)
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			break;
}

/* Forget a connection and everything it held. */
static void
ws_close(struct ws_conn *c, const char *why)
{
	char	 buf[ADDRSTRLEN];

	log_verbose("[WS] %s disconnected: %s", ws_name(c, buf, sizeof(buf)),
	    why);
	if (c->events != 0)
		event_del(&c->ev);
	evtimer_del(&c->timer);
	if (c->ctx != NULL)
		wslay_event_context_free(c->ctx);
	if (c->tls != NULL) {
		(void)tls_close(c->tls);
		tls_free(c->tls);
		ws_tls_put(c->srv);
	} else
		ws_drain(c->fd);
	(void)close(c->fd);
	RB_REMOVE(ws_tree, &conns, c);
	nconns--;
	ipcount_put(&conn_ips, c->ip);
	free(c->pbuf);
	free(c->hbuf);
	free(c->out);
	free(c);
}

/* Arm the socket for what the connection waits for. */
static void
ws_update(struct ws_conn *c)
{
	short	 events = 0;

	if (c->state == WS_PROXY)
		events = EV_READ;
	else if (c->state == WS_HANDSHAKE) {
		events = c->out != NULL ? EV_WRITE : EV_READ;
		events |= c->tls_want;
	} else if (c->ctx == NULL) {
		events = EV_READ | c->tls_want;
	} else {
		if (!wslay_event_want_read(c->ctx) &&
		    !wslay_event_want_write(c->ctx)) {
			ws_close(c, "closed");
			return;
		}
		if (wslay_event_want_read(c->ctx) && !c->stalled)
			events |= EV_READ;
		if (wslay_event_want_write(c->ctx))
			events |= EV_WRITE;
		if (events != 0)
			events |= c->tls_want;
	}
	if (events == c->events)
		return;
	if (c->events != 0)
		event_del(&c->ev);
	c->events = events;
	event_set(&c->ev, c->fd, events | EV_PERSIST, ws_event, c);
	if (event_add(&c->ev, NULL) == -1)
		fatal("event_add");
}

/*
 * A connection from a trusted proxy: its PROXY header, if it starts with
 * one.  The bytes are peeked at, and only those of the header are taken
 * off the socket: the rest are the request's, or the TLS handshake's.
 * No byte seen is left unread unless the state changes, so a header that
 * comes slowly does not wake us again and again.
 */
static void
ws_proxy_read(struct ws_conn *c)
{
	enum proxy_result	 r;
	struct ipc_addr		 a;
	const char		*why;
	char			 buf[ADDRSTRLEN], abuf[ADDRSTRLEN];
	size_t			 hdrlen, take;
	ssize_t			 n;

	n = recv(c->fd, c->pbuf + c->plen, PROXY_MAX - c->plen, MSG_PEEK);
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR)
			ws_close(c, strerror(errno));
		return;
	}
	if (n == 0) {
		ws_close(c, "closed during the handshake");
		return;
	}
	r = proxy_parse(c->pbuf, c->plen + n, &hdrlen, &a);
	if (r == PROXY_BAD) {
		ws_close(c, "bad PROXY protocol header");
		return;
	}
	take = r == PROXY_MORE ? (size_t)n : r == PROXY_NONE ? 0 :
	    hdrlen - c->plen;
	if (take > 0 && recv(c->fd, c->pbuf + c->plen, take, 0) !=
	    (ssize_t)take) {
		ws_close(c, "connection lost");
		return;
	}
	c->plen += take;
	if (r == PROXY_MORE)
		return;
	if (r == PROXY_NONE && c->plen > 0) {
		/* The start of a request that looked like a header. */
		if (c->tls != NULL) {
			ws_close(c, "bad PROXY protocol header");
			return;
		}
		memcpy(c->hbuf, c->pbuf, c->plen);
		c->hlen = c->plen;
	}
	free(c->pbuf);
	c->pbuf = NULL;
	c->state = WS_HANDSHAKE;
	if (r == PROXY_LOCAL) {
		/* No client to name: the request is the client's own. */
		c->settle = 0;
	} else if (r == PROXY_ADDR) {
		log_debug("[WS] %s: PROXY header for %s", ws_name(c, buf,
		    sizeof(buf)), addr_str(&a, abuf, sizeof(abuf)));
		if (ws_trusted(&a))
			c->peer = a;	/* a proxy still: the header may say */
		else if ((why = ws_client(c, &a)) != NULL) {
			ws_close(c, why);
			return;
		}
	}
	ws_update(c);
}

/*
 * The client of a proxy's connection is a: ignore.txt and the
 * per-address limit apply to it, and the connection counts under it.
 * Returns why it is refused, or NULL.
 */
static const char *
ws_client(struct ws_conn *c, const struct ipc_addr *a)
{
	struct ipcount	*ip;
	char		 b1[ADDRSTRLEN], b2[ADDRSTRLEN];

	c->settle = 0;
	log_verbose("[WS] %s: client %s", ws_name(c, b1, sizeof(b1)),
	    addr_str(a, b2, sizeof(b2)));
	c->peer = *a;
	if (ignore_match(a))
		return ("ignore.txt");
	/* A proxy again (it gave no client): counted under the peer. */
	if (ws_trusted(a))
		return (NULL);
	ip = ipcount_take(&conn_ips, a);
	if (ip == c->ip) {
		/* The proxy's own address: it gave none. */
		ipcount_put(&conn_ips, ip);
		return (NULL);
	}
	if (netd_conf.ws_max_per_ip > 0 &&
	    ip->count > (uint32_t)netd_conf.ws_max_per_ip) {
		ipcount_put(&conn_ips, ip);
		return ("too many connections from the address");
	}
	ipcount_put(&conn_ips, c->ip);
	c->ip = ip;
	return (NULL);
}

/* Read the upgrade request; answer it once it is whole. */
static void
ws_handshake_read(struct ws_conn *c)
{
	struct ws_request	 req;
	struct ipc_addr		 a;
	const char		*why;
	ssize_t			 n;
	char			 buf[ADDRSTRLEN], resp[512];
	size_t			 len;
	int			 r;

	n = ws_io_read(c, c->hbuf + c->hlen, WS_HTTP_MAX - c->hlen);
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR)
			ws_close(c, strerror(errno));
		return;
	}
	if (n == 0) {
		ws_close(c, "closed during the handshake");
		return;
	}
	c->hlen += n;
	if ((r = ws_http_parse(c->hbuf, c->hlen, c->settle ? proxy_header :
	    NULL, &req)) == 0)
		return;
	if (r == -1) {
		req.status = 431;
		req.length = c->hlen;
	}
	if (req.status == 101 && req.length != c->hlen) {
		/* Frames before our answer: not a client we know. */
		req.status = 400;
	}
	if (!c->settle && proxy_parse((u_char *)c->hbuf, c->hlen, &len,
	    &a) != PROXY_NONE) {
		log_verbose("[WS] %s: PROXY header from an address not in "
		    "--trusted-proxy", ws_name(c, buf, sizeof(buf)));
		req.status = 400;
	}
	if (c->settle && req.status == 101) {
		/* The proxy's word, or the proxy itself. */
		a = c->peer;
		if ((r = proxy_forwarded(req.forwarded, req.forwardedlen,
		    proxy_kind, ws_trusted, &a)) == -1) {
			log_verbose("[WS] %s: %s header without a client "
			    "address", ws_name(c, buf, sizeof(buf)),
			    proxy_header);
			req.status = 400;
		} else if (r == 1 && a.port == 0)
			a.port = c->peer.port;
		if (req.status == 101 && (why = ws_client(c, &a)) != NULL) {
			log_verbose("[WS] %s refused: %s", ws_name(c, buf,
			    sizeof(buf)), why);
			req.status = ignore_match(&a) ? 403 : 429;
		}
	}
	log_verbose("[WS] %s handshake: %d%s%s", ws_name(c, buf,
	    sizeof(buf)), req.status, req.protocol[0] != '\0' ?
	    ", subprotocol " : "", req.protocol);
	if ((len = ws_http_response(&req, resp, sizeof(resp))) == 0)
		fatalx("%s: response too long", __func__);
	if ((c->out = malloc(len)) == NULL)
		fatal(NULL);
	memcpy(c->out, resp, len);
	c->outlen = len;
	c->outoff = 0;
	c->close_after_out = req.status != 101;
	free(c->hbuf);
	c->hbuf = NULL;
	if (ws_handshake_write(c) == 0)
		ws_update(c);
}

/* Send the upgrade answer; 1 when the connection went away. */
static int
ws_handshake_write(struct ws_conn *c)
{
	ssize_t	 n;

	while (c->outoff < c->outlen) {
		n = ws_io_write(c, c->out + c->outoff, c->outlen - c->outoff,
		    0);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return (0);
			ws_close(c, strerror(errno));
			return (1);
		}
		c->outoff += n;
	}
	free(c->out);
	c->out = NULL;
	if (c->close_after_out) {
		ws_close(c, "handshake refused");
		return (1);
	}
	ws_open(c);
	return (0);
}

/*
 * The wslay context of a connection, made when the peer first sends or is
 * sent something: it holds ~9 KB of buffers, which an idle connection
 * does not need.
 */
static void
ws_ctx(struct ws_conn *c)
{
	if (c->ctx != NULL)
		return;
	if (wslay_event_context_server_init(&c->ctx, &ws_callbacks, c) != 0)
		fatal("wslay_event_context_server_init");
	wslay_event_config_set_max_recv_msg_length(c->ctx,
	    (uint64_t)netd_conf.ws_max_message);
}

/* The upgrade is done: frames from now on. */
static void
ws_open(struct ws_conn *c)
{
	char	 buf[ADDRSTRLEN];

	c->state = WS_OPEN;
	c->idle_at = netd_now() + (int64_t)netd_conf.ws_idle_timeout *
	    1000;
	ws_arm(c);
	log_verbose("[WS] %s connected", ws_name(c, buf, sizeof(buf)));
}

static void
ws_event(int fd __unused, short event, void *arg)
{
	struct ws_conn	*c = arg;
	char		 buf[ADDRSTRLEN];

	if (c->state == WS_PROXY) {
		ws_proxy_read(c);
		return;
	}
	if (c->state == WS_HANDSHAKE) {
		if (c->out != NULL) {
			if (ws_handshake_write(c) == 0)
				ws_update(c);
		} else
			ws_handshake_read(c);
		return;
	}
	ws_ctx(c);
	if (ws_io(c, event) == -1)
		return;
	if (c->stalled && ws_queued(c) <= WS_MAX_QUEUED / 2) {
		c->stalled = 0;
		ws_arm(c);
		log_debug("[WS] %s: queue drained, reading again", ws_name(c,
		    buf, sizeof(buf)));
		/* TLS may hold bytes already read from the socket. */
		if (c->tls != NULL && ws_io(c, EV_READ) == -1)
			return;
	}
	ws_update(c);
}

/*
 * Read what the peer sent, then send what waits; -1 when the connection
 * went away.
 */
static int
ws_io(struct ws_conn *c, short event)
{
	/*
	 * Over TLS a read may wait for the socket to be writable and the
	 * other way round, so try both ways whatever woke us.
	 */
	if ((event & EV_READ || c->tls != NULL) && !c->stalled &&
	    wslay_event_want_read(c->ctx) && wslay_event_recv(c->ctx) != 0) {
		ws_close(c, "connection lost or protocol error");
		return (-1);
	}
	if (c->refuse != 0 && wslay_event_get_read_enabled(c->ctx)) {
		wslay_event_shutdown_read(c->ctx);
		/* It has WS_STALL_TIMEOUT to take its close frame. */
		c->idle_at = netd_now() + WS_STALL_TIMEOUT * 1000;
		ws_arm(c);
	}
	for (;;) {
		/* A read may have queued answers: send them now. */
		if (wslay_event_want_write(c->ctx) &&
		    wslay_event_send(c->ctx) != 0) {
			ws_close(c, "connection lost");
			return (-1);
		}
		/*
		 * The close frame of a refused header goes once what was
		 * queued before it is sent: wslay would send it first.
		 */
		if (c->refuse == 0 ||
		    wslay_event_get_queued_msg_count(c->ctx) != 0)
			return (0);
		(void)wslay_event_queue_close(c->ctx, c->refuse, NULL, 0);
		c->refuse = 0;
	}
}

/*
 * Bytes for wslay.  None while the queue to the peer is full, and none
 * from the first frame header we refuse (ws_scan()) on.
 */
static ssize_t
ws_recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
    int flags __unused, void *arg)
{
	struct ws_conn	*c = arg;
	ssize_t		 n;
	char		 name[ADDRSTRLEN];

	if (c->refuse == 0 && !c->stalled && ws_queued(c) > WS_MAX_QUEUED) {
		c->stalled = 1;
		c->stall_at = netd_now() + WS_STALL_TIMEOUT * 1000;
		ws_arm(c);
		log_debug("[WS] %s: %zu bytes queued, reading paused",
		    ws_name(c, name, sizeof(name)), ws_queued(c));
	}
	if (c->refuse != 0 || c->stalled) {
		errno = EAGAIN;
		return (ws_cb_result(ctx, -1));
	}
	/* End of file ends the connection. */
	if ((n = ws_io_read(c, buf, len)) == 0) {
		errno = ECONNRESET;
		n = -1;
	}
	if (n > 0 && (n = ws_scan(c, buf, n)) == 0) {
		errno = EAGAIN;
		n = -1;
	}
	return (ws_cb_result(ctx, n));
}

/*
 * Follow the frame headers in the bytes read, before wslay parses them:
 * how many of the n bytes wslay may have.  A header we refuse sets the
 * close code in c->refuse, and wslay gets only the bytes before the one
 * that decided it, so that it never sees a whole header it would answer
 * itself: for a control frame that breaks RFC 6455 5.5 wslay ends the
 * connection without a status.
 */
static size_t
ws_scan(struct ws_conn *c, const uint8_t *buf, size_t n)
{
	size_t	 i = 0, k;

	while (i < n) {
		if (c->fskip > 0) {
			k = n - i < c->fskip ? n - i : c->fskip;
			i += k;
			c->fskip -= k;
			continue;
		}
		c->fh[c->fhlen++] = buf[i++];
		if ((c->refuse = ws_check_header(c)) != 0)
			return (i - 1);
	}
	return (n);
}

/*
 * A frame header byte was added: the close code if the frame is refused,
 * else 0.  A whole header starts the skip over its payload (wslay checks
 * the mask bit and the message length).
 */
static uint16_t
ws_check_header(struct ws_conn *c)
{
	uint64_t	 len;
	size_t		 need, i;
	int		 ctrl, fin, op;

	if (c->fhlen < 2)
		return (0);
	fin = c->fh[0] & WS_FH_FIN;
	op = c->fh[0] & WS_FH_OPCODE;
	ctrl = op & WS_FH_CTRL;
	len = c->fh[1] & WS_FH_LEN;
	if (c->fhlen == 2) {
		if (ctrl && (!fin || len > WS_MAX_CTRL))
			return (WSLAY_CODE_PROTOCOL_ERROR);
		if (!ctrl) {
			/* wslay refuses a continuation out of place. */
			if (op != WSLAY_CONTINUATION_FRAME)
				c->nframes = 0;
			if (++c->nframes > WS_MAX_FRAMES)
				return (WSLAY_CODE_MESSAGE_TOO_BIG);
			if (fin)
				c->nframes = 0;
		}
	}
	need = len == WS_FH_LEN16 ? 4 : len == WS_FH_LEN64 ? 10 : 2;
	if (c->fhlen < need)
		return (0);
	if (need > 2) {
		/* RFC 6455 5.2: the shortest length form, top bit clear. */
		for (len = 0, i = 2; i < need; i++)
			len = len << 8 | c->fh[i];
		if (need == 4 ? len < WS_FH_LEN16 : len < 65536 || len >> 63)
			return (WSLAY_CODE_PROTOCOL_ERROR);
	}
	/* The mask key is skipped as payload. */
	c->fskip = len + (c->fh[1] & WS_FH_MASKED ? WS_FH_MASK_KEY : 0);
	c->fhlen = 0;
	return (0);
}

/* What wslay needs to hear of an I/O result: WOULDBLOCK or failure. */
static ssize_t
ws_cb_result(wslay_event_context_ptr ctx, ssize_t n)
{
	if (n != -1)
		return (n);
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
	else
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
	return (-1);
}

static ssize_t
ws_send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
    int flags, void *arg)
{
	struct ws_conn	*c = arg;

	return (ws_cb_result(ctx, ws_io_write(c, data, len,
	    flags & WSLAY_MSG_MORE)));
}

/*
 * A whole message.  Binary messages are datagrams; emscripten's port
 * announcement sets the port the peer is listed under; text frames are
 * ignored.  Pings, pongs and closes are wslay's.
 */
static void
ws_msg_cb(wslay_event_context_ptr ctx __unused,
    const struct wslay_event_on_msg_recv_arg *arg, void *user)
{
	struct ws_conn	*c = user;
	struct source	 src;
	struct ipc_addr	 from;
	char		 buf[ADDRSTRLEN], vbuf[LOG_VISBUF];

	/* Only data keeps a connection open: pings do not. */
	if (arg->opcode == WSLAY_BINARY_FRAME ||
	    arg->opcode == WSLAY_TEXT_FRAME) {
		c->idle_at = netd_now() +
		    (int64_t)netd_conf.ws_idle_timeout * 1000;
		ws_arm(c);
	}
	switch (arg->opcode) {
	case WSLAY_BINARY_FRAME:
		break;
	case WSLAY_TEXT_FRAME:
		log_debug("[WS] %s: text message of %zu bytes ignored",
		    ws_name(c, buf, sizeof(buf)), arg->msg_length);
		return;
	case WSLAY_PING:
		log_debug("[WS] %s: ping", ws_name(c, buf, sizeof(buf)));
		return;
	case WSLAY_CONNECTION_CLOSE:
		log_debug("[WS] %s: close, status %u", ws_name(c, buf,
		    sizeof(buf)), arg->status_code);
		return;
	default:
		return;
	}
	log_verbose("[WS] %s: received %zu bytes: %s", ws_name(c, buf,
	    sizeof(buf)), arg->msg_length, log_vis(arg->msg,
	    arg->msg_length, vbuf, sizeof(vbuf)));
	if (proto_is_port_message(arg->msg, arg->msg_length)) {
		memcpy(&c->port, arg->msg + WS_PORT_OFF, sizeof(c->port));
		log_verbose("[WS] %s announced port %u", ws_name(c, buf,
		    sizeof(buf)), ntohs(c->port));
		return;
	}
	from = c->peer;
	if (c->port != 0)
		from.port = c->port;
	src_ws(&src, c, &from);
	handle_packet(&src, arg->msg, arg->msg_length);
}

/*
 * Queue one datagram as a binary message.  A peer that does not read gets
 * no more than WS_MAX_QUEUED bytes queued (ws_queued()); the rest is
 * dropped.
 */
void
ws_send(struct ws_conn *c, const void *data, size_t len)
{
	struct wslay_event_msg	 msg;
	char			 buf[ADDRSTRLEN], vbuf[LOG_VISBUF];

	if (c->state == WS_OPEN)
		ws_ctx(c);
	if (c->state != WS_OPEN ||
	    ws_queued(c) + len + WS_MSG_OVERHEAD > WS_MAX_QUEUED) {
		log_debug("[WS] %s: message of %zu bytes dropped", ws_name(c,
		    buf, sizeof(buf)), len);
		return;
	}
	msg.opcode = WSLAY_BINARY_FRAME;
	msg.msg = data;
	msg.msg_length = len;
	if (wslay_event_queue_msg(c->ctx, &msg) != 0) {
		log_debug("[WS] %s: cannot queue a message", ws_name(c, buf,
		    sizeof(buf)));
		return;
	}
	log_debug("[WS] %s: sent %zu bytes: %s", ws_name(c, buf,
	    sizeof(buf)), len, log_vis(data, len, vbuf,
	    sizeof(vbuf)));
	ws_update(c);
}
