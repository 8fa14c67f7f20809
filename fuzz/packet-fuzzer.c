/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * libFuzzer harness for netd's packet handling: handle_packet() with the
 * server table, the throttle and the list cache behind it.  What netd.c,
 * udp.c and ws.c would provide is faked here: a clock the input advances,
 * the UDP sockets, WebSocket connections, logd.
 *
 * The input is one byte of settings, then records of
 *	selector, clock step, length (2 bytes, big endian), datagram
 * where the selector picks the source (one of a few addresses of each
 * family, so that heartbeats and infoResponses meet, a port, the request
 * or challenge socket, UDP or WebSocket) and what the record does: a raw
 * datagram, an infoResponse that echoes the last challenge the harness saw
 * go to that server, or closing the WebSocket connection.
 *
 * Every packet netd sends is captured and checked: challenges are well
 * formed and leave from the challenge socket of their family, motd
 * answers go back where the request came from, list packets parse whole
 * and list only servers that echoed a challenge sent to them.  When an
 * echoed challenge is the current one, in time, a follow-up getserversExt
 * must list the server, which keeps the details of that answer: that
 * checks the state machine, not only memory safety.  List answers are held as a UDP batch holds them, across later
 * packets that change the table, and must not change while held.  At the
 * end of each input the clock jumps far ahead and the table must expire
 * empty, so that inputs do not depend on each other.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <fcntl.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "netd.h"
#include "util.h"

#define CHECK(e) do {							\
	if (!(e))							\
		abort();						\
} while (0)

/* The settings byte. */
#define SET_MAX_SERVERS		0x01	/* -n 3 */
#define SET_MAX_PER_IP		0x02	/* one server an address */
#define SET_NO_THROTTLE		0x04
#define SET_MOTD		0x08
#define SET_NO_V6_CHALLENGE	0x10	/* no IPv6 challenge socket */
#define SET_PREFIX_128		0x20	/* --ipv6-prefix 128 */
#define SET_DEBUG		0x40	/* log everything (to /dev/null) */

/* The selector byte. */
#define SEL_ADDR(s)		((s) & 0x03)
#define SEL_V6			0x04
#define SEL_PORT2		0x08
#define SEL_CHALLENGE		0x10
#define SEL_WS			0x20
#define SEL_MODE(s)		(((s) >> 6) & 0x03)
#define MODE_RAW		0
#define MODE_ECHO		1	/* infoResponse with the challenge */
#define MODE_CLOSE		2	/* the WebSocket connection goes */
#define MODE_PORT0		3	/* a source of port 0 */

#define NADDR			8	/* 4 addresses a family */
#define NKEYS			(NADDR * 2 * 2)	/* by port and UDP/WS */
#define HISTORY			32	/* challenges kept a server */
#define WS_MAX_MSG		4096	/* as ws.c takes */
#define HELD			8	/* list answers held at once */

#define START_MS		((int64_t)1000000)
#define CHALLENGE_MS		((int64_t)netd_conf.challenge_timeout * 1000)
#define SERVER_MS		((int64_t)netd_conf.server_timeout * 1000)

/* A fake WebSocket connection: handlers.c sees only the pointer. */
struct ws_conn {
	uint32_t		 id;
	int			 open;
	struct ipc_addr		 addr;
};

/* What the harness saw of one server (address, port, UDP or WS). */
struct key {
	char			 last[CHALLENGE_LEN + 1];	/* "": none */
	int64_t			 last_at;
	uint32_t		 last_conn;	/* WS: where it went */
	char			 sent[HISTORY][CHALLENGE_LEN + 1];
	size_t			 nsent;
	int			 overflow;	/* more than HISTORY */
	int			 echoed;	/* answered one of them */
};

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct netd_conf	 netd_conf;
struct netd_files	 netd_files;
struct netd_drops	 netd_drops;

static const char *addr_text[NADDR] = {
	"192.0.2.1", "192.0.2.2", "198.51.100.7", "203.0.113.9",
	"2001:db8::1", "2001:db8::2", "2001:db8:1::1", "2001:db8:dead::9"
};
static const uint16_t	 ports[2] = { 30720, 30721 };

static struct ipc_addr	 addrs[NADDR];
static struct ipc_ignore ignored[2];
static struct ipc_label	 labels[1];
static struct featured_addr featured[1];
static struct netsock	 sock_req[2], sock_chal[2];	/* v4, v6 */
static struct ws_conn	 conns[NADDR];
static struct ws_conn	 checker_conn;
static struct key	 keys[NKEYS];
static int64_t		 now_ms = START_MS;
static uint32_t		 next_conn_id;
static uint8_t		 settings;

/* List answers held, as a batch holds them, with a copy of their bytes. */
static struct {
	struct list_packets	*lp;
	u_char			*copy;
	size_t			 len;
}			 held[HELD];
static size_t		 nheld;

/* The packet being handled, for the checks of what it causes. */
static const struct source *cur_src;
static const u_char	*cur_pkt;
static size_t		 cur_len;
static int		 cur_lost;	/* a challenge could not be sent */
static unsigned int	 asked;		/* follow-up questions */
static struct server	*probed;	/* found by find_probed() */
/* The follow-up getserversExt looks for this server. */
static const struct ipc_addr *want;
static int		 want_ws, want_found;

static int	 key_index(const struct ipc_addr *, int);
static struct key *key_of(const struct ipc_addr *, int);
static int	 is_ignored(const struct ipc_addr *);
static void	 find_probed(struct server *, void *);
static void	 check_challenge(const u_char *, size_t, const
		    struct ipc_addr *, int, uint32_t);
static void	 check_motd(const u_char *, size_t);
static void	 check_list(const u_char *, size_t, int);
static void	 check_sent(const u_char *, size_t, int);
static void	 note_echo(const struct source *, const u_char *, size_t);
static void	 clock_step(uint8_t);
static void	 deliver(const struct source *, const u_char *, size_t);
static void	 follow_up(const struct ipc_addr *, int, const char *);
static void	 echo(const struct source *, const u_char *, size_t);
static void	 reset(void);
static void	 release_held(void);
static void	 host(const char *, struct ipc_addr *);

/* The fake clock. */
int64_t
netd_now(void)
{
	return (now_ms);
}

/* The index of the server at a among the harness's, or -1. */
static int
key_index(const struct ipc_addr *a, int ws)
{
	int	 i, p;

	for (i = 0; i < NADDR; i++)
		if (addrs[i].family == a->family &&
		    memcmp(addrs[i].addr, a->addr, sizeof(a->addr)) == 0)
			break;
	if (i == NADDR)
		return (-1);
	for (p = 0; p < 2; p++)
		if (a->port == htons(ports[p]))
			return ((i * 2 + p) * 2 + (ws ? 1 : 0));
	return (-1);
}

static struct key *
key_of(const struct ipc_addr *a, int ws)
{
	int	 i;

	if ((i = key_index(a, ws)) == -1)
		return (NULL);
	return (&keys[i]);
}

/* The harness's own reading of ignore.txt: two addresses of the set. */
static int
is_ignored(const struct ipc_addr *a)
{
	return (a->family == addrs[3].family &&
	    memcmp(a->addr, addrs[3].addr, sizeof(a->addr)) == 0) ||
	    (a->family == addrs[7].family &&
	    memcmp(a->addr, addrs[7].addr, sizeof(a->addr)) == 0);
}

/*
 * HDR "getinfo " and CHALLENGE_LEN safe characters, to a server that sent
 * us something; it becomes that server's current challenge.
 */
static void
check_challenge(const u_char *p, size_t len, const struct ipc_addr *to,
    int ws, uint32_t conn)
{
	static const char	 cmd[] = PKT_HDR "getinfo ";
	struct key		*k;
	size_t			 i, n = sizeof(cmd) - 1;

	CHECK(len == n + CHALLENGE_LEN);
	CHECK(memcmp(p, cmd, n) == 0);
	for (i = n; i < len; i++)
		CHECK(proto_challenge_char_ok(p[i]));
	CHECK(to->port != 0 && !is_ignored(to));
	CHECK((k = key_of(to, ws)) != NULL);
	memcpy(k->last, p + n, CHALLENGE_LEN);
	k->last[CHALLENGE_LEN] = '\0';
	k->last_at = now_ms;
	k->last_conn = conn;
	if (k->nsent == HISTORY) {
		k->overflow = 1;
		return;
	}
	memcpy(k->sent[k->nsent++], k->last, sizeof(k->last));
}

/* HDR motd "\challenge\...\motd\<text>\": only with motd.txt text. */
static void
check_motd(const u_char *p, size_t len)
{
	static const char	 cmd[] = PKT_HDR "motd \"";

	CHECK(settings & SET_MOTD);
	CHECK(len > sizeof(cmd) && len < PKT_OUT_MAX);
	CHECK(memcmp(p, cmd, sizeof(cmd) - 1) == 0);
	CHECK(p[len - 1] == '"' && p[len - 2] == '\\');
}

/*
 * A list packet: the header, for Ext its index, total and label, then
 * entries and the final backslash.  Each entry is a server of the
 * harness that echoed one of its challenges, of the kind asked (UDP or
 * WebSocket), never one in ignore.txt.
 */
static void
check_list(const u_char *p, size_t len, int ws)
{
	static const char	 plain[] = PKT_HDR "getserversResponse";
	static const char	 ext[] = PKT_HDR "getserversExtResponse";
	struct ipc_addr		 a;
	struct key		*k;
	size_t			 pos, n = 0, alen;
	long			 idx = 0, total = 0;
	int			 isext;

	CHECK(len <= PKT_OUT_MAX);
	isext = len > sizeof(ext) - 1 && memcmp(p, ext, sizeof(ext) - 1) == 0;
	if (isext) {
		pos = sizeof(ext) - 1;
		CHECK(pos < len && p[pos++] == '\0');
		while (pos < len && p[pos] >= '0' && p[pos] <= '9' &&
		    idx < 1000)
			idx = idx * 10 + (p[pos++] - '0');
		CHECK(pos < len && p[pos++] == '\0');
		while (pos < len && p[pos] >= '0' && p[pos] <= '9' &&
		    total < 1000)
			total = total * 10 + (p[pos++] - '0');
		CHECK(pos < len && p[pos++] == '\0');
		CHECK(idx >= 1 && idx <= total && total <= 31);
		/* The label: empty or the one of featured.txt. */
		n = strlen(labels[0].label);
		if (len - pos > n && memcmp(p + pos, labels[0].label, n) == 0)
			pos += n;
		n = 0;
	} else {
		CHECK(len >= sizeof(plain) - 1 &&
		    memcmp(p, plain, sizeof(plain) - 1) == 0);
		pos = sizeof(plain) - 1;
	}
	for (;;) {
		CHECK(pos < len);
		if (p[pos] == '\\' && pos + 1 == len)
			break;
		memset(&a, 0, sizeof(a));
		if (p[pos] == '\\') {
			a.family = AF_INET;
			alen = 4;
		} else {
			CHECK(isext && p[pos] == '/');
			a.family = AF_INET6;
			alen = 16;
		}
		CHECK(len - pos > 1 + alen + 2);
		memcpy(a.addr, p + pos + 1, alen);
		memcpy(&a.port, p + pos + 1 + alen, 2);
		pos += 1 + alen + 2;
		CHECK(++n <= LIST_MAX_SERVERS);
		CHECK(!is_ignored(&a));
		CHECK((k = key_of(&a, ws)) != NULL);
		CHECK(k->echoed || k->overflow);
		if (want != NULL && want_ws == ws &&
		    memcmp(&a, want, sizeof(a)) == 0)
			want_found = 1;
	}
}

/* One packet netd sends over UDP or WebSocket (ws). */
static void
check_sent(const u_char *p, size_t len, int ws)
{
	static const char	 getinfo[] = PKT_HDR "getinfo ";
	static const char	 motd[] = PKT_HDR "motd ";

	CHECK(len >= PKT_HDR_LEN && memcmp(p, PKT_HDR, PKT_HDR_LEN) == 0);
	if (len >= sizeof(getinfo) - 1 &&
	    memcmp(p, getinfo, sizeof(getinfo) - 1) == 0)
		CHECK(0);	/* challenges are checked by the callers */
	else if (len >= sizeof(motd) - 1 &&
	    memcmp(p, motd, sizeof(motd) - 1) == 0)
		check_motd(p, len);
	else
		check_list(p, len, ws);
}

void
udp_send(struct udp_batch *b __unused, struct netsock *ns,
    const struct ipc_addr *to, const void *data, size_t len)
{
	static const char	 getinfo[] = PKT_HDR "getinfo ";

	/* Probes after a flatline leave from the timer, with no source. */
	if (len >= sizeof(getinfo) - 1 &&
	    memcmp(data, getinfo, sizeof(getinfo) - 1) == 0) {
		/* From the challenge socket of the server's family. */
		CHECK(ns->role == SOCK_CHALLENGE && ns->family == to->family);
		check_challenge(data, len, to, 0, 0);
		return;
	}
	/* Anything else answers the request, on its socket. */
	CHECK(cur_src != NULL && cur_src->ws == NULL);
	CHECK(ns == cur_src->sock && ns->role == SOCK_REQUEST);
	CHECK(memcmp(to, &cur_src->addr, sizeof(*to)) == 0);
	check_sent(data, len, 0);
}

void
udp_send_list(struct udp_batch *b __unused, struct netsock *ns,
    const struct ipc_addr *to, struct list_packets *lp)
{
	size_t	 i, start;

	CHECK(cur_src != NULL && cur_src->ws == NULL);
	CHECK(ns == cur_src->sock && ns->role == SOCK_REQUEST);
	CHECK(memcmp(to, &cur_src->addr, sizeof(*to)) == 0);
	CHECK(lp->refs >= 1);
	CHECK(lp->n >= 1 && lp->n <= 31);
	for (i = 0, start = 0; i < lp->n; start = lp->ends[i], i++) {
		CHECK(lp->ends[i] > start);
		check_list(lp->buf + start, lp->ends[i] - start, 0);
	}
	if (nheld == HELD)
		release_held();
	held[nheld].len = lp->ends[lp->n - 1];
	if ((held[nheld].copy = malloc(held[nheld].len)) == NULL)
		abort();
	memcpy(held[nheld].copy, lp->buf, held[nheld].len);
	held[nheld].lp = lp_hold(lp);
	nheld++;
}

/* What a batch's end does: the held answers, unchanged, let go. */
static void
release_held(void)
{
	size_t	 i;

	for (i = 0; i < nheld; i++) {
		CHECK(held[i].lp->ends[held[i].lp->n - 1] == held[i].len);
		CHECK(memcmp(held[i].lp->buf, held[i].copy, held[i].len) == 0);
		lp_release(held[i].lp);
		free(held[i].copy);
	}
	nheld = 0;
}

struct netsock *
udp_challenge_sock(int family)
{
	if (family == AF_INET)
		return (&sock_chal[0]);
	CHECK(family == AF_INET6);
	if (settings & SET_NO_V6_CHALLENGE) {
		cur_lost = 1;
		return (NULL);
	}
	return (&sock_chal[1]);
}

/* The WebSocket server on connection arg whose probe is going out. */
static void
find_probed(struct server *sv, void *arg)
{
	const struct ws_conn	*c = arg;

	if (sv->ws && sv->ws_id == c->id && sv->probe_next != 0)
		probed = sv;
}

void
ws_send(struct ws_conn *c, const void *data, size_t len)
{
	static const char	 getinfo[] = PKT_HDR "getinfo ";
	const struct ipc_addr	*to;

	CHECK(c == &checker_conn || (c >= conns && c < conns + NADDR));
	CHECK(c->open);
	CHECK(len <= WS_MAX_MSG * 2);
	if (len >= sizeof(getinfo) - 1 &&
	    memcmp(data, getinfo, sizeof(getinfo) - 1) == 0) {
		/*
		 * The server handled now (heartbeats challenge at once), or
		 * one probed from the timer after a flatline.
		 */
		CHECK(cur_src == NULL || cur_src->ws == c);
		if (cur_src != NULL)
			to = &cur_src->addr;
		else {
			probed = NULL;
			sv_foreach(find_probed, c);
			CHECK(probed != NULL);
			to = &probed->addr;
		}
		check_challenge(data, len, to, 1, c->id);
		return;
	}
	CHECK(cur_src != NULL && c == cur_src->ws);
	check_sent(data, len, 1);
}

struct ws_conn *
ws_find(uint32_t id)
{
	size_t	 i;

	for (i = 0; i < NADDR; i++)
		if (conns[i].open && conns[i].id == id)
			return (&conns[i]);
	if (checker_conn.open && checker_conn.id == id)
		return (&checker_conn);
	cur_lost = 1;
	return (NULL);
}

uint32_t
ws_id(const struct ws_conn *c)
{
	return (c->id);
}

/* Only a plugin's counters request asks: none is attached. */
void
ws_counts(size_t *open __unused, uint64_t *accepted __unused)
{
	abort();
}

void
netd_drops_total(struct netd_drops *d __unused)
{
	abort();
}

void
netd_stat_client(const struct ipc_addr *a, const char *version,
    const char *renderer)
{
	CHECK(cur_src != NULL && memcmp(a, &cur_src->addr, sizeof(*a)) == 0);
	CHECK(strlen(version) < STAT_VERSION_MAX);
	CHECK(strlen(renderer) < STAT_RENDERER_MAX);
}

/* No plugin is attached: netd never ends one. */
void
netd_parent_send(uint32_t type __unused, const void *data __unused,
    size_t len __unused)
{
	abort();
}

/* No plugin asks for the log. */
void
netd_log_level(int level __unused)
{
	abort();
}

/* The data is a piece of the datagram. */
void
netd_stat_game(const struct ipc_addr *a, const u_char *data, size_t len)
{
	CHECK(cur_src != NULL && memcmp(a, &cur_src->addr, sizeof(*a)) == 0);
	CHECK(len <= cur_len);
	if (len > 0)
		CHECK(data >= cur_pkt && data + len <= cur_pkt + cur_len);
}

/*
 * Before netd sees an infoResponse: if it echoes a challenge sent to the
 * server, the server may be listed from now on.
 */
static void
note_echo(const struct source *src, const u_char *pkt, size_t len)
{
	struct inforesp	 ir;
	struct key	*k;
	size_t		 off, i;

	if (len < PKT_HDR_LEN || memcmp(pkt, PKT_HDR, PKT_HDR_LEN) != 0 ||
	    proto_command(pkt, len, &off) != CMD_INFORESPONSE ||
	    proto_inforesponse(pkt + off, len - off, &ir) == -1 ||
	    (k = key_of(&src->addr, src->ws != NULL)) == NULL)
		return;
	for (i = 0; i < k->nsent; i++)
		if (strcmp(ir.challenge, k->sent[i]) == 0)
			k->echoed = 1;
}

/*
 * Advance the clock: up to 10 s in 50 ms steps, or whole minutes past the
 * server timeout.  Expiry runs each second, as netd's timer does.
 */
static void
clock_step(uint8_t step)
{
	int64_t	 then = now_ms;

	if (step < 200)
		now_ms += (int64_t)step * 50;
	else
		now_ms += (int64_t)(step - 199) * 60 * 1000;
	if (now_ms / 1000 != then / 1000)
		handle_tick(now_ms);
}

/* One datagram to handle_packet(). */
static void
deliver(const struct source *src, const u_char *pkt, size_t len)
{
	const struct source	*saved = cur_src;
	struct key		*k;

	note_echo(src, pkt, len);
	cur_src = src;
	cur_pkt = pkt;
	cur_len = len;
	cur_lost = 0;
	handle_packet(src, pkt, len);
	/* A challenge went nowhere: the harness cannot know it. */
	if (cur_lost && (k = key_of(&src->addr, src->ws != NULL)) != NULL)
		k->last[0] = '\0';
	cur_src = saved;
}

/*
 * The server at a answered its current challenge in time: a
 * getserversExt for its protocol, of the same kind, must list it.  The
 * throttle is off for the question.
 */
static void
follow_up(const struct ipc_addr *a, int ws, const char *protocol)
{
	struct source	 q;
	struct ipc_addr	 qa;
	u_char		 pkt[64];
	int		 n, burst;

	/*
	 * A fresh address for each question, so that the throttle, whose
	 * buckets are keyed at start-up, has a full bucket for it.
	 */
	(void)addr_parse(ws ? "100.64.0.2:27960" : "100.64.0.1:27960", &qa);
	qa.addr[2] = (uint8_t)(asked >> 8);
	qa.addr[3] = (uint8_t)asked;
	asked++;
	if (ws) {
		checker_conn.open = 1;
		checker_conn.addr = qa;
		src_ws(&q, &checker_conn, &qa);
	} else
		src_udp(&q, &qa, &sock_req[0], NULL);
	n = snprintf((char *)pkt, sizeof(pkt), "%sgetserversExt Tremulous "
	    "%s empty full", PKT_HDR, protocol);
	CHECK(n > 0 && (size_t)n < sizeof(pkt));
	want = a;
	want_ws = ws;
	want_found = 0;
	burst = netd_conf.throttle_burst;
	netd_conf.throttle_burst = 0;
	deliver(&q, pkt, n);
	netd_conf.throttle_burst = burst;
	want = NULL;
	checker_conn.open = 0;
	CHECK(want_found);
}

/*
 * An infoResponse from src echoing the last challenge the harness saw
 * sent to it, with the rest of the infostring from the input.  UDP
 * answers come to the challenge socket of their family.
 */
static void
echo(const struct source *src, const u_char *rest, size_t restlen)
{
	static u_char	 pkt[PKT_MAX + 64];
	struct source	 s = *src;
	struct server	*sv;
	struct inforesp	 ir;
	struct key	*k;
	size_t		 n, off, i;
	int		 ok;

	k = key_of(&s.addr, s.ws != NULL);
	if (s.ws == NULL)
		s.sock = &sock_chal[s.addr.family == AF_INET ? 0 : 1];
	n = (size_t)snprintf((char *)pkt, sizeof(pkt),
	    "%sinfoResponse\n\\challenge\\%s", PKT_HDR,
	    k != NULL && k->last[0] != '\0' ? k->last : "none");
	if (restlen > sizeof(pkt) - n)
		restlen = sizeof(pkt) - n;
	memcpy(pkt + n, rest, restlen);
	n += restlen;
	/* Listed for sure: current challenge, in time, to this connection. */
	ok = k != NULL && k->last[0] != '\0' &&
	    now_ms - k->last_at < CHALLENGE_MS &&
	    (s.ws == NULL || s.ws->id == k->last_conn) &&
	    proto_command(pkt, n, &off) == CMD_INFORESPONSE &&
	    proto_inforesponse(pkt + off, n - off, &ir) == 0 &&
	    strcmp(ir.challenge, k->last) == 0;
	/* A protocol the follow-up can ask for as one token. */
	if (ok)
		for (i = 0; ir.protocols[0][i] != '\0'; i++)
			if (ir.protocols[0][i] <= ' ' ||
			    ir.protocols[0][i] > '~')
				ok = 0;
	if (s.ws == NULL && s.addr.family == AF_INET6 &&
	    (settings & SET_NO_V6_CHALLENGE))
		ok = 0;
	/*
	 * A listed server's answers count as often as it was challenged:
	 * one more answer to the same challenge is ignored.
	 */
	if ((sv = sv_lookup(&s.addr, s.ws != NULL)) != NULL &&
	    sv->answers_due == 0)
		ok = 0;
	deliver(&s, pkt, n);
	/* Listed, unless a limit on new servers said no. */
	if (ok && (sv = sv_lookup(&s.addr, s.ws != NULL)) == NULL) {
		CHECK(netd_conf.max_servers > 0 || netd_conf.max_per_ip == 1);
		ok = 0;
	}
	/* It keeps what the answer says, and when it came. */
	if (ok) {
		CHECK(memcmp(&sv->details, &ir.details,
		    sizeof(sv->details)) == 0);
		CHECK(sv->first > 0 && sv->first <= sv->last);
	}
	if (ok)
		follow_up(&s.addr, s.ws != NULL, ir.protocols[0]);
}

/* The clock jumps past every timeout: the table must empty. */
static void
reset(void)
{
	size_t	 i;

	release_held();
	now_ms += SERVER_MS + CHALLENGE_MS + 1000;
	handle_tick(now_ms);
	CHECK(sv_count() == 0);
	memset(keys, 0, sizeof(keys));
	next_conn_id = 1;
	for (i = 0; i < NADDR; i++) {
		conns[i].id = next_conn_id++;
		conns[i].open = 1;
		conns[i].addr = addrs[i];
	}
	checker_conn.id = 0x7fffffff;
	checker_conn.open = 0;
}

/* A numeric address without a port. */
static void
host(const char *s, struct ipc_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->addr) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, s, a->addr) == 1)
		a->family = AF_INET6;
	else
		abort();
}

int
LLVMFuzzerInitialize(int *argc __unused, char ***argv __unused)
{
	int	 i, fd;

	/* Log lines go to standard output: away with them. */
	if ((fd = open("/dev/null", O_WRONLY)) == -1 ||
	    dup2(fd, STDOUT_FILENO) == -1)
		abort();
	(void)close(fd);
	log_init(0, LOGLEVEL_ALWAYS);
	for (i = 0; i < NADDR; i++)
		host(addr_text[i], &addrs[i]);
	host("203.0.113.0", &ignored[0].addr);
	ignored[0].prefixlen = 24;
	host("2001:db8:dead::", &ignored[1].addr);
	ignored[1].prefixlen = 48;
	ignore_index_build(&netd_ignore, ignored, nitems(ignored));
	(void)strlcpy(labels[0].label, "Featured", sizeof(labels[0].label));
	featured[0].addr = addrs[1];
	featured[0].addr.port = htons(ports[0]);
	featured[0].label = 0;
	netd_files.labels = labels;
	netd_files.nlabels = 1;
	netd_files.featured = featured;
	netd_files.nfeatured = 1;
	for (i = 0; i < 2; i++) {
		sock_req[i].role = SOCK_REQUEST;
		sock_chal[i].role = SOCK_CHALLENGE;
		sock_req[i].family = sock_chal[i].family = i == 0 ? AF_INET :
		    AF_INET6;
		sock_req[i].port = 30710;
		sock_chal[i].port = 30711;
		sock_req[i].fd = sock_chal[i].fd = -1;
	}
	netd_conf.challenge_timeout = 5;
	netd_conf.server_timeout = 660;
	netd_conf.throttle_burst = 10;
	netd_conf.throttle_rate = 1;
	netd_conf.challenge_burst = 10;
	netd_conf.ipv6_prefix = 64;
	if (sodium_init() == -1)
		abort();
	challenge_init();
	throttle_init();
	reset();
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct source	 src;
	struct ipc_addr	 from;
	struct ws_conn	*c;
	size_t		 pos = 1, len;
	uint8_t		 sel;
	int		 ai, v6;

	if (size < 1)
		return (0);
	settings = data[0];
	netd_conf.max_servers = settings & SET_MAX_SERVERS ? 3 : 0;
	netd_conf.max_per_ip = settings & SET_MAX_PER_IP ? 1 : 32;
	netd_conf.throttle_burst = settings & SET_NO_THROTTLE ? 0 : 10;
	netd_conf.ipv6_prefix = settings & SET_PREFIX_128 ? 128 : 64;
	(void)strlcpy(netd_files.motd, settings & SET_MOTD ?
	    "Welcome to the fuzzer" : "", sizeof(netd_files.motd));
	log_setverbose(settings & SET_DEBUG ? LOGLEVEL_DEBUG :
	    LOGLEVEL_ALWAYS);

	while (size - pos >= 4) {
		sel = data[pos];
		clock_step(data[pos + 1]);
		len = (size_t)data[pos + 2] << 8 | data[pos + 3];
		pos += 4;
		if (len > size - pos)
			len = size - pos;
		if (len > WS_MAX_MSG)
			len = WS_MAX_MSG;

		v6 = (sel & SEL_V6) != 0;
		ai = SEL_ADDR(sel) + (v6 ? 4 : 0);
		from = addrs[ai];
		from.port = htons(ports[(sel & SEL_PORT2) ? 1 : 0]);
		if (sel & SEL_WS) {
			c = &conns[ai];
			if (SEL_MODE(sel) == MODE_CLOSE) {
				/* Gone; a new one comes from the address. */
				c->id = next_conn_id++;
				pos += len;
				continue;
			}
			src_ws(&src, c, &from);
		} else {
			if (SEL_MODE(sel) == MODE_CLOSE) {
				pos += len;
				continue;
			}
			src_udp(&src, &from, sel & SEL_CHALLENGE ?
			    &sock_chal[v6] : &sock_req[v6], NULL);
			/* UDP datagrams are at most PKT_MAX. */
			if (len > PKT_MAX)
				len = PKT_MAX;
		}
		switch (SEL_MODE(sel)) {
		case MODE_ECHO:
			echo(&src, data + pos, len);
			break;
		case MODE_PORT0:
			src.addr.port = 0;
			/* FALLTHROUGH */
		default:
			deliver(&src, data + pos, len);
			break;
		}
		pos += len;
	}
	reset();
	return (0);
}
