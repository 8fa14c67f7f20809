/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * libFuzzer harness for the WebSocket connection glue of netd/ws.c: the
 * upgrade, wslay's framing behind our callbacks, the port announcement,
 * answers queued with ws_send() and the end of the connection.  Each
 * input is one connection: one end of a socketpair goes to ws_adopt() as
 * if accepted, the harness writes to the other end and runs the libevent
 * loop without blocking.
 *
 * The first byte sets the peer (IPv4, IPv6, or an address of ignore.txt)
 * and the mode: a valid upgrade then frames encoded from records, a valid
 * upgrade then raw bytes, or raw bytes from the start.  A record is
 *	first frame byte (FIN, RSV, opcode), flags, length (2 bytes), payload
 * and becomes a frame masked as a client must, unless the flags say
 * unmasked or a longer length encoding than needed.
 *
 * The fake handle_packet() checks what ws.c delivers and echoes it with
 * src_answer() (source.c, which queues it with ws_send()); what ws.c
 * writes back is read whole and parsed: the 101 answer, then unmasked
 * server frames, the binary ones in order a prefix of what was
 * delivered.  When the harness closes its end the connection
 * must go, so that nothing stays between inputs.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>

#include "log.h"
#include "netd.h"
#include "options.h"
#include "util.h"

#define CHECK(e) do {							\
	if (!(e))							\
		abort();						\
} while (0)

#define OUT_MAX		(1024 * 1024)	/* what the harness reads back */
#define SENT_MAX	(256 * 1024)	/* what it remembers delivering */

/* The first byte. */
#define MODE(b)		((b) & 0x03)
#define MODE_FRAMES	0
#define MODE_RAW_OPEN	1		/* upgrade, then raw bytes */
#define MODE_RAW	2		/* raw bytes from the start */
#define MODE_HALF	3		/* frames, then half close */
#define PEER_V6		0x04
#define PEER_IGNORED	0x08
#define SET_DEBUG	0x10

/* Record flags. */
#define REC_UNMASKED	0x80
#define REC_LEN16	0x40		/* 126 + 2 bytes even when short */
#define REC_LEN64	0x20		/* 127 + 8 bytes */
#define REC_SPLIT	0x10		/* written in two parts */

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct netd_conf	 netd_conf;
struct netsock_head	 netd_socks = TAILQ_HEAD_INITIALIZER(netd_socks);

static const char upgrade[] =
    "GET / HTTP/1.1\r\n"
    "Host: master.example.org\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Protocol: binary\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

static struct ipc_ignore	 ignored[1];
static struct netsock		 listener;
static struct ipc_addr		 peer;
static int			 client = -1;
static u_char			 out[OUT_MAX];
static size_t			 outlen;
/* Messages handle_packet() saw, end to end. */
static u_char			 sent[SENT_MAX];
static size_t			 sentlen;
static int			 sent_full;
static uint32_t			 last_id;
static uint32_t			 conn_id;	/* ws.c counts from 1 */

static void	 pump(void);
static void	 put(const u_char *, size_t);
static void	 put_frame(const u_char *, size_t);
static void	 check_output(void);

/* The clock of ws.c's deadlines: the real one, as netd's. */
int64_t
netd_now(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		abort();
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/*
 * What ws.c delivers: a datagram of at most --ws-max-message bytes from the
 * connection's peer, never the port announcement.  It is echoed back.
 */
void
handle_packet(const struct source *src, const u_char *pkt, size_t len)
{
	CHECK(src->ws != NULL && src->sock == NULL);
	CHECK(len <= (size_t)netd_conf.ws_max_message);
	CHECK(!proto_is_port_message(pkt, len));
	CHECK(src->addr.family == peer.family &&
	    memcmp(src->addr.addr, peer.addr, sizeof(peer.addr)) == 0);
	CHECK(src->addr.port != 0);
	CHECK(ws_find(ws_id(src->ws)) == src->ws);
	CHECK(src->ws_id == ws_id(src->ws));
	last_id = src->ws_id;
	if (sent_full || len > sizeof(sent) - sentlen) {
		sent_full = 1;
		return;
	}
	/* An empty message comes with no buffer. */
	if (len > 0)
		memcpy(sent + sentlen, pkt, len);
	sentlen += len;
	CHECK(src_answer(src, pkt, len, netd_now()) == 0);
}

/* A WebSocket source never answers over UDP. */
void
udp_send(struct udp_batch *b __unused, struct netsock *ns __unused,
    const struct ipc_addr *to __unused, const void *data __unused,
    size_t len __unused)
{
	CHECK(0);
}

void
udp_send_list(struct udp_batch *b __unused, struct netsock *ns __unused,
    const struct ipc_addr *to __unused, struct list_packets *lp __unused)
{
	CHECK(0);
}

struct netsock *
udp_challenge_sock(int family __unused)
{
	CHECK(0);
	return (NULL);
}

int
throttle_budget(size_t len __unused, int64_t now __unused)
{
	CHECK(0);
	return (0);
}

/* Run what is ready, then read what ws.c wrote. */
static void
pump(void)
{
	ssize_t	 n;
	u_char	 buf[4096];
	int	 i;

	for (i = 0; i < 4; i++) {
		(void)event_loop(EVLOOP_NONBLOCK);
		while ((n = recv(client, buf, sizeof(buf), 0)) > 0) {
			if ((size_t)n > sizeof(out) - outlen)
				n = sizeof(out) - outlen;
			memcpy(out + outlen, buf, n);
			outlen += n;
		}
	}
}

/* Bytes to ws.c, running the loop when the socket is full. */
static void
put(const u_char *p, size_t len)
{
	ssize_t	 n;
	int	 tries = 0;

	while (len > 0) {
		if ((n = send(client, p, len, MSG_NOSIGNAL)) == -1) {
			/* Gone: ws.c closed the connection. */
			if (errno != EAGAIN || ++tries > 64)
				return;
			pump();
			continue;
		}
		p += n;
		len -= n;
	}
}

/* One record as a client frame. */
static void
put_frame(const u_char *rec, size_t len)
{
	static const u_char	 key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	u_char			 hdr[14], *payload;
	size_t			 plen, h = 2, i;
	int			 masked;

	plen = (size_t)rec[2] << 8 | rec[3];
	if (plen > len - 4)
		plen = len - 4;
	masked = !(rec[1] & REC_UNMASKED);
	hdr[0] = rec[0];
	if (rec[1] & REC_LEN64) {
		hdr[1] = 127;
		memset(hdr + 2, 0, 6);
		hdr[8] = (u_char)(plen >> 8);
		hdr[9] = (u_char)plen;
		h = 10;
	} else if (plen > 125 || (rec[1] & REC_LEN16)) {
		hdr[1] = 126;
		hdr[2] = (u_char)(plen >> 8);
		hdr[3] = (u_char)plen;
		h = 4;
	} else
		hdr[1] = (u_char)plen;
	if (masked) {
		hdr[1] |= 0x80;
		memcpy(hdr + h, key, sizeof(key));
		h += sizeof(key);
	}
	if ((payload = malloc(h + plen + 1)) == NULL)
		abort();
	memcpy(payload, hdr, h);
	for (i = 0; i < plen; i++)
		payload[h + i] = rec[4 + i] ^ (masked ? key[i % 4] : 0);
	if (rec[1] & REC_SPLIT) {
		put(payload, h + plen / 2);
		pump();
		put(payload + h + plen / 2, plen - plen / 2);
	} else
		put(payload, h + plen);
	free(payload);
}

/*
 * What came back: an HTTP answer; after a 101, server frames (never
 * masked, no RSV bits, known opcodes) whose binary payloads, end to end,
 * are a prefix of what handle_packet() echoed.
 */
static void
check_output(void)
{
	static const char	 ok[] = "HTTP/1.1 101 ";
	const u_char		*end;
	size_t			 pos, plen, bin = 0;
	int			 op;

	if (outlen == 0)
		return;
	CHECK(outlen >= 9 && memcmp(out, "HTTP/1.1 ", 9) == 0);
	if ((end = memmem(out, outlen, "\r\n\r\n", 4)) == NULL ||
	    outlen < sizeof(ok) - 1 || memcmp(out, ok, sizeof(ok) - 1) != 0)
		return;
	pos = end + 4 - out;
	while (outlen - pos >= 2) {
		CHECK((out[pos] & 0x70) == 0 && (out[pos + 1] & 0x80) == 0);
		op = out[pos] & 0x0f;
		CHECK(op == 0x2 || op == 0x8 || op == 0xa);
		plen = out[pos + 1] & 0x7f;
		pos += 2;
		if (plen == 126) {
			if (outlen - pos < 2)
				break;
			plen = (size_t)out[pos] << 8 | out[pos + 1];
			pos += 2;
		} else if (plen == 127) {
			if (outlen - pos < 8)
				break;
			CHECK(memcmp(out + pos, "\0\0\0\0\0", 5) == 0);
			plen = (size_t)out[pos + 5] << 16 |
			    (size_t)out[pos + 6] << 8 | out[pos + 7];
			pos += 8;
		}
		if (plen > outlen - pos)
			break;
		if (op == 0x2 && !sent_full) {
			CHECK(bin + plen <= sentlen);
			CHECK(memcmp(out + pos, sent + bin, plen) == 0);
			bin += plen;
		}
		pos += plen;
	}
}

int
LLVMFuzzerInitialize(int *argc __unused, char ***argv __unused)
{
	int	 fd;

	/* Log lines go to standard output: away with them. */
	if ((fd = open("/dev/null", O_WRONLY)) == -1 ||
	    dup2(fd, STDOUT_FILENO) == -1)
		abort();
	(void)close(fd);
	log_init(0, LOGLEVEL_ALWAYS);
	(void)event_init();
	netd_conf.ipv6_prefix = 64;
	netd_conf.ws_max_conns = DEFAULT_WS_MAX_CONNS;
	netd_conf.ws_max_per_ip = DEFAULT_WS_MAX_PER_IP;
	netd_conf.ws_handshake_timeout = DEFAULT_WS_HANDSHAKE_TIMEOUT;
	netd_conf.ws_idle_timeout = DEFAULT_WS_IDLE_TIMEOUT;
	netd_conf.ws_max_message = WS_MAX_MESSAGE_LIMIT;	/* all lengths */
	CHECK(inet_pton(AF_INET, "203.0.113.0", ignored[0].addr.addr) == 1);
	ignored[0].addr.family = AF_INET;
	ignored[0].prefixlen = 24;
	ignore_index_build(&netd_ignore, ignored, nitems(ignored));
	listener.role = SOCK_WEBSOCKET;
	listener.family = AF_INET;
	listener.port = 30700;
	listener.fd = -1;
	TAILQ_INSERT_TAIL(&netd_socks, &listener, entry);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*host;
	size_t		 pos = 1, len;
	int		 sv[2], i, mode;

	if (size < 1)
		return (0);
	mode = MODE(data[0]);
	log_setverbose(data[0] & SET_DEBUG ? LOGLEVEL_DEBUG :
	    LOGLEVEL_ALWAYS);
	host = data[0] & PEER_IGNORED ? "203.0.113.9:40000" :
	    data[0] & PEER_V6 ? "[2001:db8::1]:40000" : "192.0.2.1:40000";
	CHECK(addr_parse(host, &peer) == 0);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0, sv) == -1)
		abort();
	client = sv[1];
	outlen = sentlen = 0;
	sent_full = 0;
	last_id = 0;
	ws_adopt(sv[0], &peer, &listener);
	if (!(data[0] & PEER_IGNORED))
		CHECK(ws_find(++conn_id) != NULL);

	if (mode != MODE_RAW) {
		put((const u_char *)upgrade, sizeof(upgrade) - 1);
		pump();
	}
	if (mode == MODE_RAW || mode == MODE_RAW_OPEN) {
		/* In pieces of up to 512 bytes, the loop run between. */
		while (pos < size) {
			len = size - pos < 512 ? size - pos : 512;
			put(data + pos, len);
			pump();
			pos += len;
		}
	} else {
		while (size - pos >= 4) {
			len = (size_t)data[pos + 2] << 8 | data[pos + 3];
			if (len > size - pos - 4)
				len = size - pos - 4;
			put_frame(data + pos, len + 4);
			pump();
			pos += 4 + len;
		}
	}
	if (mode == MODE_HALF) {
		(void)shutdown(client, SHUT_WR);
		pump();
	}
	pump();
	check_output();
	/* Our end goes: so must the connection. */
	(void)close(client);
	client = -1;
	for (i = 0; i < 4; i++)
		(void)event_loop(EVLOOP_NONBLOCK);
	CHECK(ws_find(conn_id) == NULL);
	if (last_id != 0)
		CHECK(last_id == conn_id);
	return (0);
}
