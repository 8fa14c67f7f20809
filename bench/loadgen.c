/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * loadgen: the load generator of the tremmasterd benchmark (bench/run.sh).
 *
 * Every packet goes to the master's address, which must be in 127.0.0.0/8;
 * every source address is in 127.0.0.0/8 too.  Every loop ends by itself:
 * at the end of its duration, at its deadline, or on SIGINT or SIGTERM.
 *
 * Modes (-m):
 *   servers        N game servers, one UDP socket each on its own loopback
 *                  address (port 30720), registered with heartbeats and
 *                  correct infoResponses, checked with getservers, then
 *                  kept answering until the end of the run.  With -L
 *                  their hostname, mapname, game and gamename are
 *                  LONG_FIELD bytes each, past what a master keeps.
 *                  A getinfo is answered from the master's address only,
 *                  and from the challenge port -C only; with -C 0, the
 *                  default, from any port, a second master's there too.
 *   getservers     C closed-loop clients; every response set is checked
 *   getserversext  against the N servers of the servers mode.
 *   heartbeats     N legitimate servers registered, then a flood of
 *                  heartbeats from many source addresses; the challenges
 *                  that come back are counted, and the legitimate servers
 *                  must still all be listed afterwards.
 *   ws             C idle WebSocket connections held, then N WebSocket
 *                  game servers registered and K of the connections
 *                  making closed-loop getserversExt requests.
 *   stats          gamestat records from many source addresses.
 *   attack         one source address sending list requests open loop.
 *   responder      a trivial stand-in master that answers every list
 *                  request with the packets of N servers, built once.
 *   poll           one client asking for the list every 50 ms until the
 *                  N servers of the servers mode are all listed: when
 *                  the first of them appeared and when the last did, for
 *                  a master that fills its list by itself (the puppet
 *                  plugin cloning another master's).
 *
 * The last line printed is "mode=... key=value ...", for the script.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define HDR		"\xff\xff\xff\xff"
#define HDR_LEN		4
#define PER_PACKET	256		/* servers a list packet */
#define EXT_MAX_PACKETS	31		/* packets of an Ext answer at most */
#define SERVER_PORT	30720		/* port of every fake game server */
#define PKT_BUF		8192		/* receive buffer of a datagram */
#define BATCH		64		/* datagrams a recvmmsg/sendmmsg */
#define MAX_EVENTS	512
#define MAX_LATENCIES	(16 * 1024 * 1024)
#define VERIFY_WAIT_NS	(2 * NS)	/* a verification query may take */
#define VERIFY_QUIET_NS	(300 * MS)	/* no more packets: the answer ended */
#define RETRY_NS	NS		/* heartbeat without getinfo: again */
#define POLL_NS		(50 * MS)	/* poll: between two requests */
#define NS		1000000000ULL
#define MS		1000000ULL
#define WS_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_MAX_OPENING	64		/* connections being opened at once */
#define WS_BUF_MAX	(256 * 1024)	/* largest input buffered */
#define LONG_FIELD	250		/* -L: bytes of each text field */
#define INFO_MAX	2048		/* an infoResponse at most */

enum mode {
	M_SERVERS,
	M_GETSERVERS,
	M_GETSERVERSEXT,
	M_HEARTBEATS,
	M_WS,
	M_STATS,
	M_ATTACK,
	M_RESPONDER,
	M_POLL
};

static const char *mode_names[] = {
	"servers", "getservers", "getserversext", "heartbeats", "ws",
	"stats", "attack", "responder", "poll"
};

struct conf {
	enum mode	 mode;
	uint32_t	 master;	/* host byte order */
	uint32_t	 srvbase;	/* first game server address */
	uint32_t	 srcbase;	/* first client or flood address */
	uint16_t	 port;		/* master request port */
	uint16_t	 cport;		/* master challenge port, 0: any */
	uint16_t	 wsport;	/* master WebSocket port */
	const char	*protocol;
	long		 nservers;
	long		 nclients;
	long		 kreq;		/* ws: connections making requests */
	long		 naddrs;	/* flood and stats source addresses */
	long		 perip;		/* ws: connections an address */
	long		 rate;		/* open loop: a second, 0: no cap */
	long		 window;	/* heartbeats awaiting a getinfo */
	long		 timeout_ms;	/* closed loop: a request may take */
	double		 duration;
	double		 settle;	/* seconds to register and verify */
	double		 hold;		/* ws: seconds to hold idle */
	double		 reheartbeat;	/* servers: seconds between rounds */
	pid_t		 watch;		/* its VmRSS is reported */
	int		 foreign_ok;	/* servers: others may be listed */
	int		 long_fields;	/* -L: infoResponse fields at length */
	int		 verbose;
};

/* A check of one response set against servers 0..n-1 from base. */
struct verifier {
	uint8_t		*seen;		/* a bit per expected server */
	uint8_t		*idxseen;	/* Ext: a byte per packet index */
	const char	*error;		/* first layout error, or NULL */
	long		 n;
	long		 nseen;
	long		 dupes;
	long		 foreign;
	long		 idxcap;
	long		 total;		/* Ext: packets announced */
	long		 nidx;		/* Ext: distinct indexes seen */
	long		 packets;
	long		 shortpk;	/* packets with fewer than 256 */
	uint32_t	 base;
	int		 ext;
	int		 strict;	/* n is all there is: counts known */
	int		 foreign_ok;	/* others may be listed too (-F) */
};

/* What a closed-loop run counts. */
struct result {
	uint32_t	*lat;		/* nanoseconds */
	const char	*why;		/* first bad response */
	size_t		 nlat;
	size_t		 latcap;
	uint64_t	 ok;
	uint64_t	 errors;
	uint64_t	 timeouts;
	uint64_t	 packets;
	uint64_t	 bytes;
	uint64_t	 strays;
};

/* A UDP list client, one request in flight. */
struct uclient {
	struct verifier	 v;
	uint64_t	 sent_at;
	uint32_t	 addr;
	int		 fd;
	int		 busy;
};

/* A group of UDP game servers, one socket each. */
struct farm {
	struct verifier	 v;
	int		*fd;
	uint8_t		*state;
	uint64_t	*hb_at;
	long		*fifo;		/* heartbeats awaiting a getinfo */
	long		*queue;		/* heartbeats to send */
	uint64_t	 vsent;
	uint64_t	 vlast;		/* last packet of the answer */
	uint64_t	 hb_sent;
	uint64_t	 hb_retries;
	uint64_t	 getinfo;
	uint64_t	 bad;
	uint64_t	 verify_queries;
	uint64_t	 verify_errors;
	const char	*verify_why;
	long		 n;
	long		 fhead, ftail, fcount;
	long		 qhead, qtail, qcount;
	long		 answered;
	long		 listed;
	uint32_t	 base;
	uint32_t	 vaddr;		/* of the verification client */
	int		 ep;
	int		 vfd;		/* verification client */
	int		 vstate;
	int		 verified;
};

#define FS_IDLE		0
#define FS_SENT		1
#define FS_ANSWERED	2

#define VS_IDLE		0	/* no verification query out */
#define VS_WAITING	1
#define VS_FINISHED	2	/* whole set, or a layout error */

enum ws_state { WS_NONE, WS_CONNECTING, WS_HANDSHAKE, WS_OPEN, WS_DEAD };
enum ws_role { WR_IDLE, WR_SERVER };

/* A WebSocket connection to the master. */
struct wsc {
	struct verifier	*v;		/* when it makes requests */
	uint8_t		*buf;
	size_t		 len;
	size_t		 cap;
	uint64_t	 sent_at;
	long		 idx;
	uint32_t	 addr;
	int		 fd;
	enum ws_state	 state;
	enum ws_role	 role;
	int		 busy;
	int		 answered;	/* server: answered a getinfo */
	char		 accept[32];
};

static struct conf		 conf;
static volatile sig_atomic_t	 stop;
static struct sockaddr_in	 master_sin;
static uint64_t			 rng_state;

static void	 usage(void) __attribute__((__noreturn__));
static void	 on_signal(int);
static uint64_t	 now_ns(void);
static double	 wall_time(void);
static uint64_t	 rnd(void);
static uint32_t	 parse_addr(const char *, const char *);
static long	 parse_num(const char *, const char *, long, long);
static double	 parse_secs(const char *, const char *);
static uint32_t	 seq_addr(uint32_t, long);
static long	 seq_index(uint32_t, long, uint32_t);
static void	 sin_set(struct sockaddr_in *, uint32_t, uint16_t);
static int	 udp_open(uint32_t, uint16_t, int);
static void	 raise_nofile(long);
static long	 rss_kb(pid_t);
static long	 list_packets(long);
static long	 ext_packets(long);
static long	 ext_servers(long);
static void	 vr_init(struct verifier *, long, uint32_t, int, int);
static void	 vr_reset(struct verifier *);
static void	 vr_free(struct verifier *);
static int	 vr_fail(struct verifier *, const char *);
static const uint8_t *vr_num(const uint8_t *, const uint8_t *, long *);
static void	 vr_entry(struct verifier *, const uint8_t *);
static int	 vr_packet(struct verifier *, const uint8_t *, size_t);
static int	 vr_done(const struct verifier *);
static int	 vr_good(const struct verifier *);
static const char *vr_why(const struct verifier *);
static int	 vr_listed(const struct verifier *, long);
static size_t	 list_request(char *, size_t, int);
static void	 lat_add(struct result *, uint64_t);
static int	 lat_cmp(const void *, const void *);
static double	 lat_pct(struct result *, double);
static void	 res_bad(struct result *, const char *);
static void	 uc_open(struct uclient *, int, long, int);
static void	 uc_send(struct uclient *, const char *, size_t, uint64_t);
static void	 uc_read(struct uclient *, int, long, int, struct result *,
		    const char *, size_t, uint64_t, uint64_t);
static void	 run_getservers(int);
static void	 run_attack(void);
static size_t	 build_list(uint8_t *, int, long, long, long);
static void	 run_responder(void);
static void	 run_poll(void);
static size_t	 inforesponse(char *, size_t, long, const char *, size_t);
static int	 is_getinfo(const uint8_t *, size_t, const char **,
		    size_t *);
static void	 farm_open(struct farm *, long, uint32_t, int);
static void	 farm_close(struct farm *);
static void	 farm_heartbeat(struct farm *, long);
static void	 farm_read(struct farm *, long);
static void	 farm_pump(struct farm *, uint64_t);
static void	 farm_verify_send(struct farm *, uint64_t);
static void	 farm_verify_read(struct farm *);
static void	 farm_dispatch(struct farm *, int);
static int	 farm_vdone(const struct farm *);
static int	 farm_vover(const struct farm *, uint64_t);
static int	 farm_check(struct farm *);
static int	 farm_register(struct farm *, uint64_t);
static int	 farm_verify_once(struct farm *);
static void	 run_servers(void);
static void	 stats_register(int);
static int	 multi_open(uint32_t, int);
static void	 multi_batch(struct mmsghdr *, struct iovec *, uint8_t (*)[64],
		    const void *, size_t, long *, int);
static uint64_t	 multi_drain(int, uint64_t *);
static int	 flood_quota(uint64_t, uint64_t, uint64_t);
static void	 run_heartbeats(void);
static void	 run_stats(void);
static void	 sha1(const uint8_t *, size_t, uint8_t *);
static void	 base64(const uint8_t *, size_t, char *);
static void	 ws_accept_for(const char *, char *);
static void	 ws_connect(struct wsc *, int);
static void	 ws_kill(struct wsc *, int);
static int	 ws_send_msg(struct wsc *, int, const void *, size_t);
static void	 ws_event(struct wsc *, int, uint32_t);
static void	 ws_handshake(struct wsc *, int);
static int	 ws_frames(struct wsc *, int);
static void	 ws_message(struct wsc *, int, const uint8_t *, size_t);
static void	 ws_request(struct wsc *, uint64_t);
static long	 ws_poll(int, int);
static void	 ws_open_range(long, long, int, uint64_t);
static void	 run_ws(void);
static void	 end_line(void);

/* Shared by the WebSocket code: the connections and what they count. */
static struct wsc	*wsconns;
static long		 nwsconns;
static long		 ws_pending;	/* connections still opening */
static long		 ws_failed;
static long		 ws_open_now;
static int		 ws_measuring;
static struct result	 ws_res;
static uint64_t		 ws_end;
static uint64_t		 ws_getinfo;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: loadgen -m mode [-FLv] [-A master] [-a srvbase] "
	    "[-b srcbase] [-C cport]\n"
	    "               [-c clients] [-d seconds] [-H hold] [-k conns] "
	    "[-M pid]\n"
	    "               [-n servers] [-P protocol] [-p port] [-R secs] "
	    "[-r rate]\n"
	    "               [-s settle] [-t ms] [-W wsport] [-w window] "
	    "[-X perip]\n"
	    "               [-x addrs]\n"
	    "modes: servers getservers getserversext heartbeats ws stats "
	    "attack responder poll\n");
	exit(2);
}

static void
on_signal(int sig __attribute__((__unused__)))
{
	stop = 1;
}

static uint64_t
now_ns(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		err(2, "clock_gettime");
	return ((uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec);
}

/* Seconds since the epoch, for the script to compare with file times. */
static double
wall_time(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		err(2, "clock_gettime");
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* xorshift64*: WebSocket keys and masks need no more. */
static uint64_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (rng_state * 2685821657736338717ULL);
}

/* An IPv4 address in 127.0.0.0/8, in host byte order; anything else ends. */
static uint32_t
parse_addr(const char *opt, const char *s)
{
	struct in_addr	 ia;
	uint32_t	 a;

	if (inet_pton(AF_INET, s, &ia) != 1)
		errx(2, "%s: \"%s\" is not an IPv4 address", opt, s);
	a = ntohl(ia.s_addr);
	if ((a >> 24) != 127)
		errx(2, "%s: %s is not in 127.0.0.0/8 (loopback only)", opt,
		    s);
	return (a);
}

static long
parse_num(const char *opt, const char *s, long min, long max)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || n < min || n > max)
		errx(2, "%s: \"%s\" is not a number from %ld to %ld", opt, s,
		    min, max);
	return (n);
}

static double
parse_secs(const char *opt, const char *s)
{
	char	*end;
	double	 d;

	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || d < 0 || d > 86400)
		errx(2, "%s: \"%s\" is not a number of seconds", opt, s);
	return (d);
}

/*
 * Address number i of a sequence: 254 hosts (1 to 254) a /24, the /24s
 * counted up from the one of base.  Stays in 127.0.0.0/8 or ends.
 */
static uint32_t
seq_addr(uint32_t base, long i)
{
	uint32_t	 blk;

	blk = ((base >> 8) & 0xffff) + (uint32_t)(i / 254);
	if (blk > 0xffff)
		errx(2, "address number %ld from %u.%u.%u.x leaves "
		    "127.0.0.0/8", i, base >> 24, (base >> 16) & 0xff,
		    (base >> 8) & 0xff);
	return (0x7f000000U | blk << 8 | (uint32_t)(1 + i % 254));
}

/* The number of address a in the sequence from base, or -1. */
static long
seq_index(uint32_t base, long n, uint32_t a)
{
	uint32_t	 blk, bblk, host;
	long		 i;

	host = a & 0xff;
	blk = (a >> 8) & 0xffff;
	bblk = (base >> 8) & 0xffff;
	if ((a >> 24) != 127 || host < 1 || host > 254 || blk < bblk)
		return (-1);
	i = (long)(blk - bblk) * 254 + (long)host - 1;
	return (i < n ? i : -1);
}

static void
sin_set(struct sockaddr_in *sin, uint32_t addr, uint16_t port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = htonl(addr);
}

/*
 * A non-blocking UDP socket bound to addr:port, with a receive buffer of
 * at least rcvbuf bytes when asked (forced past rmem_max as root).
 */
static int
udp_open(uint32_t addr, uint16_t port, int rcvbuf)
{
	struct sockaddr_in	 sin;
	int			 fd, save;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return (-1);
	if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	sin_set(&sin, addr, port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		save = errno;
		close(fd);
		errno = save;
		return (-1);
	}
	return (fd);
}

/* Make room for need descriptors, raising the hard limit when allowed. */
static void
raise_nofile(long need)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		err(2, "getrlimit");
	if (rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur >= need)
		return;
	rl.rlim_cur = need;
	if (rl.rlim_max != RLIM_INFINITY && (long)rl.rlim_max < need)
		rl.rlim_max = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		err(2, "%ld descriptors needed (raise ulimit -n)", need);
}

/* VmRSS of pid in KiB, or -1. */
static long
rss_kb(pid_t pid)
{
	char	 path[64], line[256];
	FILE	*f;
	long	 kb = -1;

	if (pid <= 0)
		return (-1);
	(void)snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0) {
			kb = strtol(line + 6, NULL, 10);
			break;
		}
	fclose(f);
	return (kb);
}

/* Packets of a list of n servers: one even when empty. */
static long
list_packets(long n)
{
	return (n == 0 ? 1 : (n + PER_PACKET - 1) / PER_PACKET);
}

/*
 * What a whole Ext answer holds: new clients keep the packets they got in
 * a 32-bit mask, so the master stops at 31 packets (PROTOCOL.md 4).
 */
static long
ext_packets(long n)
{
	return (list_packets(n) > EXT_MAX_PACKETS ? EXT_MAX_PACKETS :
	    list_packets(n));
}

static long
ext_servers(long n)
{
	return (n > EXT_MAX_PACKETS * PER_PACKET ? EXT_MAX_PACKETS *
	    PER_PACKET : n);
}

/*
 * The verifier: strict when the n servers are all the master has, so the
 * number of packets is known; otherwise (registration) it only says who
 * is listed.
 */
static void
vr_init(struct verifier *v, long n, uint32_t base, int ext, int strict)
{
	memset(v, 0, sizeof(*v));
	v->n = n;
	v->base = base;
	v->ext = ext;
	v->strict = strict;
	v->idxcap = list_packets(n) + 1024;
	if ((v->seen = calloc(n / 8 + 1, 1)) == NULL ||
	    (v->idxseen = calloc(v->idxcap + 1, 1)) == NULL)
		err(2, NULL);
}

static void
vr_reset(struct verifier *v)
{
	memset(v->seen, 0, v->n / 8 + 1);
	if (v->total > 0)
		memset(v->idxseen, 0, v->total + 1);
	v->error = NULL;
	v->nseen = v->dupes = v->foreign = 0;
	v->total = v->nidx = v->packets = v->shortpk = 0;
}

static void
vr_free(struct verifier *v)
{
	free(v->seen);
	free(v->idxseen);
	v->seen = v->idxseen = NULL;
}

static int
vr_fail(struct verifier *v, const char *why)
{
	if (v->error == NULL)
		v->error = why;
	return (-1);
}

/* "\0digits" of an Ext header; NULL when it is not that. */
static const uint8_t *
vr_num(const uint8_t *p, const uint8_t *end, long *val)
{
	int	 digits = 0;

	if (p >= end || *p != '\0')
		return (NULL);
	*val = 0;
	for (p++; p < end && *p >= '0' && *p <= '9' && digits < 9; p++) {
		*val = *val * 10 + (*p - '0');
		digits++;
	}
	return (digits > 0 ? p : NULL);
}

/* One IPv4 entry: 4 address bytes and 2 port bytes. */
static void
vr_entry(struct verifier *v, const uint8_t *p)
{
	uint32_t	 a;
	long		 i;

	a = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	if ((p[4] << 8 | p[5]) != SERVER_PORT ||
	    (i = seq_index(v->base, v->n, a)) == -1) {
		v->foreign++;
		return;
	}
	if (v->seen[i >> 3] & (1 << (i & 7)))
		v->dupes++;
	else {
		v->seen[i >> 3] |= 1 << (i & 7);
		v->nseen++;
	}
}

/*
 * Check one datagram of a response set: the header (with index and total
 * for Ext), entries "\\" + 6 bytes (Ext: also "/" + 18), at most 256, and
 * the backslash after the last one.  -1 on a layout error.
 */
static int
vr_packet(struct verifier *v, const uint8_t *pkt, size_t len)
{
	static const char	 plain[] = HDR "getserversResponse";
	static const char	 ext[] = HDR "getserversExtResponse";
	const uint8_t		*p, *end = pkt + len;
	long			 idx, total, count = 0, label = 0;

	v->packets++;
	if (!v->ext) {
		if (len < sizeof(plain) - 1 ||
		    memcmp(pkt, plain, sizeof(plain) - 1) != 0)
			return (vr_fail(v, "not_a_getserversResponse"));
		p = pkt + sizeof(plain) - 1;
		if (v->strict && v->packets > list_packets(v->n))
			return (vr_fail(v, "too_many_packets"));
	} else {
		if (len < sizeof(ext) - 1 ||
		    memcmp(pkt, ext, sizeof(ext) - 1) != 0)
			return (vr_fail(v, "not_a_getserversExtResponse"));
		p = pkt + sizeof(ext) - 1;
		if ((p = vr_num(p, end, &idx)) == NULL ||
		    (p = vr_num(p, end, &total)) == NULL ||
		    p >= end || *p != '\0')
			return (vr_fail(v, "bad_ext_header"));
		for (p++; p < end && *p != '\\' && *p != '/'; p++)
			if (*p == '\0' || ++label > 31)
				return (vr_fail(v, "bad_label"));
		if (total < 1 || idx < 1 || idx > total)
			return (vr_fail(v, "bad_ext_index"));
		if (v->total != 0 && total != v->total)
			return (vr_fail(v, "ext_total_changed"));
		if (total > v->idxcap ||
		    (v->strict && total != ext_packets(v->n)))
			return (vr_fail(v, "wrong_ext_total"));
		v->total = total;
		if (v->idxseen[idx])
			return (vr_fail(v, "duplicate_ext_index"));
		v->idxseen[idx] = 1;
		v->nidx++;
	}
	for (;;) {
		if (p >= end)
			return (vr_fail(v, "no_trailing_backslash"));
		if (p + 1 == end) {
			if (*p != '\\')
				return (vr_fail(v, "bad_terminator"));
			break;
		}
		if (*p == '\\') {
			if (end - p < 8)
				return (vr_fail(v, "short_entry"));
			vr_entry(v, p + 1);
			p += 7;
		} else if (*p == '/' && v->ext) {
			if (end - p < 20)
				return (vr_fail(v, "short_entry"));
			v->foreign++;
			p += 19;
		} else
			return (vr_fail(v, "bad_separator"));
		count++;
	}
	if (count > PER_PACKET)
		return (vr_fail(v, "over_256_servers"));
	if (count < PER_PACKET && ++v->shortpk > 1 && v->strict)
		return (vr_fail(v, "two_short_packets"));
	if (count == 0 && v->n > 0 && v->strict)
		return (vr_fail(v, "empty_packet"));
	return (0);
}

/* Has the whole set arrived? */
static int
vr_done(const struct verifier *v)
{
	if (v->ext)
		return (v->total > 0 && v->nidx == v->total);
	return (v->packets >= list_packets(v->n));
}

/* The whole set checks out: all n servers (an Ext answer: its share). */
static int
vr_good(const struct verifier *v)
{
	return (v->error == NULL && v->dupes == 0 &&
	    (v->foreign == 0 || v->foreign_ok) &&
	    v->nseen == (v->ext && v->strict ? ext_servers(v->n) : v->n));
}

static const char *
vr_why(const struct verifier *v)
{
	if (v->error != NULL)
		return (v->error);
	if (v->dupes > 0)
		return ("duplicate_servers");
	if (v->foreign > 0 && !v->foreign_ok)
		return ("foreign_servers");
	if (v->nseen != (v->ext && v->strict ? ext_servers(v->n) : v->n))
		return ("missing_servers");
	return ("none");
}

static int
vr_listed(const struct verifier *v, long i)
{
	return ((v->seen[i >> 3] & (1 << (i & 7))) != 0);
}

/* The request: getservers P, or getserversExt Tremulous P. */
static size_t
list_request(char *buf, size_t len, int ext)
{
	int	 n;

	n = snprintf(buf, len, "%s%s %s", HDR,
	    ext ? "getserversExt Tremulous" : "getservers", conf.protocol);
	if (n < 0 || (size_t)n >= len)
		errx(2, "protocol too long");
	return ((size_t)n);
}

static void
lat_add(struct result *r, uint64_t ns)
{
	uint32_t	*p;

	if (r->nlat == r->latcap) {
		if (r->latcap >= MAX_LATENCIES)
			return;
		r->latcap = r->latcap == 0 ? 65536 : r->latcap * 2;
		if ((p = reallocarray(r->lat, r->latcap, sizeof(*p))) == NULL)
			err(2, NULL);
		r->lat = p;
	}
	r->lat[r->nlat++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

static int
lat_cmp(const void *a, const void *b)
{
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x < y ? -1 : x > y);
}

/* Percentile p (0-100) in microseconds; sorts the latencies once. */
static double
lat_pct(struct result *r, double p)
{
	static struct result	*sorted;
	size_t			 i;

	if (r->nlat == 0)
		return (0);
	if (sorted != r) {
		qsort(r->lat, r->nlat, sizeof(*r->lat), lat_cmp);
		sorted = r;
	}
	i = (size_t)(p / 100.0 * (double)(r->nlat - 1) + 0.5);
	return ((double)r->lat[i] / 1000.0);
}

static void
res_bad(struct result *r, const char *why)
{
	r->errors++;
	if (r->why == NULL)
		r->why = why;
	if (conf.verbose)
		warnx("bad response: %s", why);
}

/* (Re)open a client's socket: late packets of an old request go nowhere. */
static void
uc_open(struct uclient *c, int ep, long id, int rcvbuf)
{
	struct epoll_event	 ev;

	if (c->fd > 0) {
		(void)epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	if ((c->fd = udp_open(c->addr, 0, rcvbuf)) == -1)
		err(2, "client socket on %s", inet_ntoa((struct in_addr){
		    htonl(c->addr) }));
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = (uint64_t)id;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) == -1)
		err(2, "epoll_ctl");
}

static void
uc_send(struct uclient *c, const char *req, size_t len, uint64_t now)
{
	vr_reset(&c->v);
	c->busy = 1;
	c->sent_at = now;
	if (sendto(c->fd, req, len, 0, (struct sockaddr *)&master_sin,
	    sizeof(master_sin)) == -1 && conf.verbose)
		warn("sendto");
	/* A lost request is a timeout like a lost answer. */
}

/*
 * Everything waiting on a client's socket.  A whole set that checks out
 * counts with its latency; a bad one is an error; either way the next
 * request leaves at once, until end.
 */
static void
uc_read(struct uclient *c, int ep, long id, int rcvbuf, struct result *r,
    const char *req, size_t reqlen, uint64_t now, uint64_t end)
{
	static uint8_t		 bufs[BATCH][PKT_BUF];
	static struct iovec	 iov[BATCH];
	static struct mmsghdr	 msgs[BATCH];
	int			 i, n;

	for (;;) {
		memset(msgs, 0, sizeof(msgs));
		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		if ((n = recvmmsg(c->fd, msgs, BATCH, MSG_DONTWAIT, NULL)) <=
		    0)
			return;
		for (i = 0; i < n; i++) {
			r->packets++;
			r->bytes += msgs[i].msg_len;
			if (!c->busy) {
				r->strays++;
				continue;
			}
			if (vr_packet(&c->v, bufs[i], msgs[i].msg_len) == -1) {
				res_bad(r, c->v.error);
				/* The rest of this set must not count. */
				uc_open(c, ep, id, rcvbuf);
				c->busy = 0;
				if (now < end)
					uc_send(c, req, reqlen, now);
				return;
			}
			if (!vr_done(&c->v))
				continue;
			c->busy = 0;
			if (vr_good(&c->v)) {
				r->ok++;
				lat_add(r, now - c->sent_at);
			} else
				res_bad(r, vr_why(&c->v));
			if (now < end)
				uc_send(c, req, reqlen, now);
		}
		if (n < BATCH)
			return;
	}
}

/* Closed-loop list clients, each response set checked. */
static void
run_getservers(int ext)
{
	struct epoll_event	 evs[MAX_EVENTS];
	struct uclient		*cl;
	struct result		 r;
	uint64_t		 start, end, now, tmo, next_check;
	size_t			 reqlen;
	long			 i;
	int			 ep, n, rcvbuf;
	char			 req[128];

	memset(&r, 0, sizeof(r));
	reqlen = list_request(req, sizeof(req), ext);
	rcvbuf = (int)(list_packets(conf.nservers) * 8192 + 65536);
	if (rcvbuf < 262144)
		rcvbuf = 262144;
	raise_nofile(conf.nclients + 64);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		err(2, "epoll_create1");
	if ((cl = calloc(conf.nclients, sizeof(*cl))) == NULL)
		err(2, NULL);
	for (i = 0; i < conf.nclients; i++) {
		cl[i].addr = seq_addr(conf.srcbase, i);
		cl[i].fd = -1;
		uc_open(&cl[i], ep, i, rcvbuf);
		vr_init(&cl[i].v, conf.nservers, conf.srvbase, ext, 1);
	}
	tmo = (uint64_t)conf.timeout_ms * MS;
	start = now = now_ns();
	end = start + (uint64_t)(conf.duration * NS);
	next_check = now + 10 * MS;
	for (i = 0; i < conf.nclients; i++)
		uc_send(&cl[i], req, reqlen, now);
	while (!stop && now < end) {
		if ((n = epoll_wait(ep, evs, MAX_EVENTS, 2)) == -1 &&
		    errno != EINTR)
			err(2, "epoll_wait");
		now = now_ns();
		for (i = 0; i < n; i++)
			uc_read(&cl[evs[i].data.u64], ep, (long)evs[i].data.u64,
			    rcvbuf, &r, req, reqlen, now, end);
		if (now < next_check)
			continue;
		next_check = now + 10 * MS;
		for (i = 0; i < conf.nclients; i++)
			if (cl[i].busy && now - cl[i].sent_at > tmo) {
				r.timeouts++;
				uc_open(&cl[i], ep, i, rcvbuf);
				uc_send(&cl[i], req, reqlen, now);
			}
	}
	now = now_ns();
	printf("mode=%s servers=%ld clients=%ld duration=%.3f requests=%llu "
	    "rps=%.1f pps=%.1f mbps=%.1f p50_us=%.1f p99_us=%.1f errors=%llu "
	    "timeouts=%llu strays=%llu first_error=%s",
	    mode_names[conf.mode], conf.nservers, conf.nclients,
	    (double)(now - start) / NS, (unsigned long long)r.ok,
	    (double)r.ok * NS / (double)(now - start),
	    (double)r.packets * NS / (double)(now - start),
	    (double)r.bytes * 8 * 1000 / (double)(now - start),
	    lat_pct(&r, 50), lat_pct(&r, 99), (unsigned long long)r.errors,
	    (unsigned long long)r.timeouts, (unsigned long long)r.strays,
	    r.why != NULL ? r.why : "none");
	for (i = 0; i < conf.nclients; i++) {
		close(cl[i].fd);
		vr_free(&cl[i].v);
	}
	free(cl);
	free(r.lat);
	close(ep);
}

/*
 * One address asking for the list open loop, -r requests a second
 * (default 1000): what does the throttle let through?
 */
static void
run_attack(void)
{
	static uint8_t	 buf[PKT_BUF];
	uint64_t	 start, end, now, sent = 0, due, bout = 0, bin = 0;
	uint64_t	 pkts = 0, sets;
	size_t		 reqlen;
	ssize_t		 n;
	long		 rate = conf.rate > 0 ? conf.rate : 1000;
	int		 fd;
	char		 req[128];

	reqlen = list_request(req, sizeof(req), 0);
	if ((fd = udp_open(conf.srcbase, 0, 4 * 1024 * 1024)) == -1)
		err(2, "attacker socket");
	start = now = now_ns();
	end = start + (uint64_t)(conf.duration * NS);
	while (!stop && now < end) {
		due = (uint64_t)((double)(now - start) / NS * (double)rate);
		while (sent < due) {
			if (sendto(fd, req, reqlen, 0,
			    (struct sockaddr *)&master_sin,
			    sizeof(master_sin)) == -1)
				break;
			sent++;
			bout += reqlen;
		}
		while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
			pkts++;
			bin += (uint64_t)n;
		}
		usleep(200);
		now = now_ns();
	}
	/* Answers still on their way. */
	usleep(200000);
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		pkts++;
		bin += (uint64_t)n;
	}
	sets = pkts / (uint64_t)list_packets(conf.nservers);
	printf("mode=attack servers=%ld duration=%.3f sent=%llu "
	    "sent_per_s=%.1f answered=%llu answered_per_s=%.2f packets=%llu "
	    "bytes_out=%llu bytes_in=%llu amplification=%.1f",
	    conf.nservers, (double)(now - start) / NS,
	    (unsigned long long)sent, (double)sent * NS / (double)(now - start),
	    (unsigned long long)sets, (double)sets * NS / (double)(now - start),
	    (unsigned long long)pkts, (unsigned long long)bout,
	    (unsigned long long)bin, bout > 0 ? (double)bin / (double)bout : 0);
	close(fd);
}

/*
 * Packet number idx (from 1) of the list of servers 0..n-1 into buf, in
 * the master's layout; returns its length.
 */
static size_t
build_list(uint8_t *buf, int ext, long n, long idx, long total)
{
	uint32_t	 a;
	size_t		 len;
	long		 i, first = (idx - 1) * PER_PACKET;
	int		 hl;

	if (ext)
		hl = snprintf((char *)buf, 64, "%sgetserversExtResponse%c%ld"
		    "%c%ld%c", HDR, '\0', idx, '\0', total, '\0');
	else
		hl = snprintf((char *)buf, 64, "%sgetserversResponse", HDR);
	len = (size_t)hl;
	for (i = first; i < n && i < first + PER_PACKET; i++) {
		a = seq_addr(conf.srvbase, i);
		buf[len++] = '\\';
		buf[len++] = a >> 24;
		buf[len++] = (a >> 16) & 0xff;
		buf[len++] = (a >> 8) & 0xff;
		buf[len++] = a & 0xff;
		buf[len++] = SERVER_PORT >> 8;
		buf[len++] = SERVER_PORT & 0xff;
	}
	buf[len++] = '\\';
	return (len);
}

/*
 * The stand-in master: the packets of both list kinds built once, every
 * request read with recvmmsg and answered with sendmmsg.  It measures
 * what one core and loopback can do, for comparison.
 */
static void
run_responder(void)
{
	static uint8_t		 rbufs[BATCH][256];
	static struct sockaddr_in from[BATCH];
	static struct iovec	 riov[BATCH];
	static struct mmsghdr	 rmsg[BATCH];
	struct mmsghdr		*smsg;
	struct iovec		*piov[2];
	struct pollfd		 pfd;
	uint8_t			*pbuf[2];
	uint64_t		 start, end, now, nreq = 0, npk = 0, nbad = 0;
	long			 np, i, k, ns, nsmax;
	int			 fd, n, j, e, sent, r;

	np = list_packets(conf.nservers);
	for (e = 0; e < 2; e++) {
		if ((pbuf[e] = malloc(np * 2048)) == NULL ||
		    (piov[e] = calloc(np, sizeof(**piov))) == NULL)
			err(2, NULL);
		for (k = 0; k < np; k++) {
			piov[e][k].iov_base = pbuf[e] + k * 2048;
			piov[e][k].iov_len = build_list(pbuf[e] + k * 2048, e,
			    conf.nservers, k + 1, np);
		}
	}
	nsmax = BATCH * np;
	if (nsmax > 1024)
		nsmax = 1024;
	if ((smsg = calloc(nsmax, sizeof(*smsg))) == NULL)
		err(2, NULL);
	if ((fd = udp_open(conf.master, conf.port, 4 * 1024 * 1024)) == -1)
		err(2, "responder: bind port %u", conf.port);
	pfd.fd = fd;
	pfd.events = POLLIN;
	start = now = now_ns();
	end = start + (uint64_t)(conf.duration * NS);
	printf("mode=responder phase=ready port=%u\n", conf.port);
	fflush(stdout);
	while (!stop && now < end) {
		if (poll(&pfd, 1, 100) == -1 && errno != EINTR)
			err(2, "poll");
		now = now_ns();
		for (i = 0; i < BATCH; i++) {
			riov[i].iov_base = rbufs[i];
			riov[i].iov_len = sizeof(rbufs[i]);
			memset(&rmsg[i], 0, sizeof(rmsg[i]));
			rmsg[i].msg_hdr.msg_iov = &riov[i];
			rmsg[i].msg_hdr.msg_iovlen = 1;
			rmsg[i].msg_hdr.msg_name = &from[i];
			rmsg[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		if ((n = recvmmsg(fd, rmsg, BATCH, MSG_DONTWAIT, NULL)) <= 0)
			continue;
		ns = 0;
		for (j = 0; j < n; j++) {
			if (rmsg[j].msg_len < 14 ||
			    memcmp(rbufs[j], HDR "getservers", 14) != 0) {
				nbad++;
				continue;
			}
			e = rmsg[j].msg_len >= 17 &&
			    memcmp(rbufs[j] + 14, "Ext", 3) == 0;
			nreq++;
			for (k = 0; k < np; k++) {
				if (ns == nsmax) {
					for (sent = 0; sent < ns; sent += r)
						if ((r = sendmmsg(fd,
						    smsg + sent, ns - sent,
						    0)) <= 0)
							break;
					npk += ns;
					ns = 0;
				}
				memset(&smsg[ns], 0, sizeof(smsg[ns]));
				smsg[ns].msg_hdr.msg_name = &from[j];
				smsg[ns].msg_hdr.msg_namelen = sizeof(from[j]);
				smsg[ns].msg_hdr.msg_iov = &piov[e][k];
				smsg[ns].msg_hdr.msg_iovlen = 1;
				ns++;
			}
		}
		for (sent = 0; sent < ns; sent += r)
			if ((r = sendmmsg(fd, smsg + sent, ns - sent, 0)) <= 0)
				break;
		npk += ns;
	}
	printf("mode=responder servers=%ld duration=%.3f requests=%llu "
	    "packets=%llu ignored=%llu", conf.nservers,
	    (double)(now - start) / NS, (unsigned long long)nreq,
	    (unsigned long long)npk, (unsigned long long)nbad);
	close(fd);
	for (e = 0; e < 2; e++) {
		free(pbuf[e]);
		free(piov[e]);
	}
	free(smsg);
}

/*
 * A request every POLL_NS, each on a fresh socket so that a late packet
 * of one cannot count for the next, until the N servers from -a are all
 * in one answer, or for -d seconds.  It reports when the first of them
 * was listed and when all were, as times since the epoch for the script
 * to compare with the start of the master.
 */
static void
run_poll(void)
{
	static uint8_t	 buf[PKT_BUF];
	struct verifier	 v;
	struct pollfd	 pfd;
	uint64_t	 start, end, now, next, first = 0, all = 0;
	ssize_t		 r;
	size_t		 reqlen;
	long		 polls = 0, empty = 0, bad = 0, best = 0, nfirst = 0;
	double		 wstart;
	int		 fd = -1, rcvbuf, ms;
	const char	*why = NULL;
	char		 req[128];

	reqlen = list_request(req, sizeof(req), 0);
	rcvbuf = (int)(list_packets(conf.nservers) * 8192 + 65536);
	if (rcvbuf < 262144)
		rcvbuf = 262144;
	vr_init(&v, conf.nservers, conf.srvbase, 0, 0);
	v.foreign_ok = conf.foreign_ok;
	wstart = wall_time();
	start = next = now = now_ns();
	end = start + (uint64_t)(conf.duration * NS);
	while (!stop && all == 0 && now < end) {
		if (fd != -1)
			close(fd);
		if ((fd = udp_open(conf.srcbase, 0, rcvbuf)) == -1)
			err(2, "poll client");
		vr_reset(&v);
		polls++;
		if (sendto(fd, req, reqlen, 0, (struct sockaddr *)&master_sin,
		    sizeof(master_sin)) == -1 && conf.verbose)
			warn("sendto");
		next += POLL_NS;
		while (!stop && all == 0 && (now = now_ns()) < next) {
			pfd.fd = fd;
			pfd.events = POLLIN;
			ms = (int)((next - now + MS - 1) / MS);
			if (poll(&pfd, 1, ms) == -1 && errno != EINTR)
				err(2, "poll");
			while ((r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >
			    0)
				(void)vr_packet(&v, buf, (size_t)r);
			now = now_ns();
			if (first == 0 && v.nseen > 0) {
				first = now;
				nfirst = v.nseen;
			}
			if (v.nseen == v.n)
				all = now;
		}
		if (v.nseen > best)
			best = v.nseen;
		if (first == 0)
			empty++;
		if (v.error != NULL || v.dupes > 0 ||
		    (v.foreign > 0 && !v.foreign_ok)) {
			bad++;
			if (why == NULL)
				why = vr_why(&v);
		}
	}
	if (fd != -1)
		close(fd);
	vr_free(&v);
	printf("mode=poll servers=%ld listed=%ld polls=%ld empty_polls=%ld "
	    "bad=%ld first_error=%s first_listed=%ld t_start=%.4f "
	    "t_first=%.4f t_all=%.4f first_s=%.3f all_s=%.3f", conf.nservers,
	    best, polls, empty, bad, why != NULL ? why : "none", nfirst,
	    wstart, first != 0 ? wstart + (double)(first - start) / NS : 0.0,
	    all != 0 ? wstart + (double)(all - start) / NS : 0.0,
	    first != 0 ? (double)(first - start) / NS : 0.0,
	    all != 0 ? (double)(all - start) / NS : 0.0);
}

/*
 * The infoResponse of server i to challenge ch, as a stock server says it;
 * with -L every text field is LONG_FIELD bytes (the hostname begins with
 * the server's number), so that the master keeps each one full.
 */
static size_t
inforesponse(char *buf, size_t len, long i, const char *ch, size_t chlen)
{
	static char	 fill[LONG_FIELD + 1];
	char		 host[LONG_FIELD + 1];
	int		 n;

	if (!conf.long_fields) {
		n = snprintf(buf, len, "%sinfoResponse\n\\sv_maxclients\\8"
		    "\\clients\\1\\mapname\\atcs\\hostname\\bench %ld"
		    "\\gamename\\Tremulous\\protocol\\%s\\challenge\\%.*s",
		    HDR, i, conf.protocol, (int)chlen, ch);
		if (n < 0 || (size_t)n >= len)
			return (0);
		return ((size_t)n);
	}
	if (fill[0] == '\0')
		for (n = 0; n < LONG_FIELD; n++)
			fill[n] = "^1Long Bench Field ^7"[n % 21];
	n = snprintf(host, sizeof(host), "bench %ld %s", i, fill);
	if (n < 0)
		return (0);
	n = snprintf(buf, len, "%sinfoResponse\n\\game\\%s\\sv_maxclients"
	    "\\64\\clients\\63\\mapname\\%s\\hostname\\%s\\gamename\\%s"
	    "\\protocol\\%s\\challenge\\%.*s", HDR, fill, fill, host, fill,
	    conf.protocol, (int)chlen, ch);
	if (n < 0 || (size_t)n >= len)
		return (0);
	return ((size_t)n);
}

/*
 * HDR "getinfo " and a challenge of printable characters, nothing else;
 * 1 with the challenge in *ch and *chlen.
 */
static int
is_getinfo(const uint8_t *pkt, size_t len, const char **ch, size_t *chlen)
{
	size_t	 i;

	if (len <= HDR_LEN + 8 || len > HDR_LEN + 8 + 128 ||
	    memcmp(pkt, HDR "getinfo ", HDR_LEN + 8) != 0)
		return (0);
	for (i = HDR_LEN + 8; i < len; i++)
		if (pkt[i] < 0x21 || pkt[i] > 0x7e)
			return (0);
	*ch = (const char *)pkt + HDR_LEN + 8;
	*chlen = len - HDR_LEN - 8;
	return (1);
}

/*
 * n servers from base, port 30720, one socket each in ep (its data is the
 * server number; n is the verification client).
 */
static void
farm_open(struct farm *f, long n, uint32_t base, int ep)
{
	struct epoll_event	 ev;
	long			 i;

	memset(f, 0, sizeof(*f));
	f->n = n;
	f->base = base;
	f->ep = ep;
	if ((f->fd = calloc(n + 1, sizeof(*f->fd))) == NULL ||
	    (f->state = calloc(n + 1, 1)) == NULL ||
	    (f->hb_at = calloc(n + 1, sizeof(*f->hb_at))) == NULL ||
	    (f->fifo = calloc(n + 1, sizeof(*f->fifo))) == NULL ||
	    (f->queue = calloc(n + 1, sizeof(*f->queue))) == NULL)
		err(2, NULL);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	for (i = 0; i < n; i++) {
		if ((f->fd[i] = udp_open(seq_addr(base, i), SERVER_PORT,
		    0)) == -1)
			err(2, "game server %ld: bind %s:%d", i,
			    inet_ntoa((struct in_addr){ htonl(seq_addr(base,
			    i)) }), SERVER_PORT);
		ev.data.u64 = (uint64_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, f->fd[i], &ev) == -1)
			err(2, "epoll_ctl");
		f->queue[f->qtail++] = i;
		f->qcount++;
	}
	f->qtail %= n + 1;
	/* The verification client: 127.9.0.1 unless -b says otherwise. */
	f->vaddr = conf.srcbase == 0x7f090001 ? 0x7f090002 : 0x7f090001;
	if ((f->vfd = udp_open(f->vaddr, 0, 0)) == -1)
		err(2, "verification client");
	ev.data.u64 = (uint64_t)n;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, f->vfd, &ev) == -1)
		err(2, "epoll_ctl");
	/* Plain lists: an Ext answer stops at 31 packets. */
	vr_init(&f->v, n, base, 0, 0);
	f->v.foreign_ok = conf.foreign_ok;
}

static void
farm_close(struct farm *f)
{
	long	 i;

	for (i = 0; i < f->n; i++)
		close(f->fd[i]);
	close(f->vfd);
	vr_free(&f->v);
	free(f->fd);
	free(f->state);
	free(f->hb_at);
	free(f->fifo);
	free(f->queue);
}

static void
farm_heartbeat(struct farm *f, long i)
{
	static const char	 hb[] = HDR "heartbeat Tremulous\n";

	f->hb_sent++;
	if (sendto(f->fd[i], hb, sizeof(hb) - 1, 0,
	    (struct sockaddr *)&master_sin, sizeof(master_sin)) == -1 &&
	    conf.verbose)
		warn("heartbeat");
}

/* Answer every getinfo waiting for server i. */
static void
farm_read(struct farm *f, long i)
{
	struct sockaddr_in	 from;
	socklen_t		 fromlen;
	uint8_t			 buf[512];
	ssize_t			 n;
	size_t			 chlen, len;
	const char		*ch;
	char			 out[INFO_MAX];

	for (;;) {
		fromlen = sizeof(from);
		if ((n = recvfrom(f->fd[i], buf, sizeof(buf), 0,
		    (struct sockaddr *)&from, &fromlen)) == -1)
			return;
		if (from.sin_addr.s_addr != master_sin.sin_addr.s_addr ||
		    (conf.cport != 0 && ntohs(from.sin_port) != conf.cport) ||
		    !is_getinfo(buf, (size_t)n, &ch, &chlen) ||
		    (len = inforesponse(out, sizeof(out), i, ch, chlen)) ==
		    0) {
			f->bad++;
			continue;
		}
		f->getinfo++;
		(void)sendto(f->fd[i], out, len, 0, (struct sockaddr *)&from,
		    fromlen);
		if (f->state[i] == FS_SENT) {
			f->state[i] = FS_ANSWERED;
			f->answered++;
		}
	}
}

/*
 * Send queued heartbeats while fewer than -w await their getinfo; send
 * again those that waited a second.
 */
static void
farm_pump(struct farm *f, uint64_t now)
{
	long	 i;

	while (f->fcount > 0) {
		i = f->fifo[f->fhead];
		if (f->state[i] != FS_SENT) {
			f->fhead = (f->fhead + 1) % (f->n + 1);
			f->fcount--;
			continue;
		}
		if (now - f->hb_at[i] < RETRY_NS)
			break;
		f->fhead = (f->fhead + 1) % (f->n + 1);
		f->fcount--;
		f->hb_retries++;
		farm_heartbeat(f, i);
		f->hb_at[i] = now;
		f->fifo[f->ftail] = i;
		f->ftail = (f->ftail + 1) % (f->n + 1);
		f->fcount++;
	}
	while (f->qcount > 0 && f->fcount < conf.window) {
		i = f->queue[f->qhead];
		f->qhead = (f->qhead + 1) % (f->n + 1);
		f->qcount--;
		farm_heartbeat(f, i);
		f->state[i] = FS_SENT;
		f->hb_at[i] = now;
		f->fifo[f->ftail] = i;
		f->ftail = (f->ftail + 1) % (f->n + 1);
		f->fcount++;
	}
}

/*
 * A verification query on a fresh socket, so that late packets of an
 * earlier one cannot mix in.
 */
static void
farm_verify_send(struct farm *f, uint64_t now)
{
	struct epoll_event	 ev;
	size_t			 len;
	int			 rcvbuf;
	char			 req[128];

	(void)epoll_ctl(f->ep, EPOLL_CTL_DEL, f->vfd, NULL);
	close(f->vfd);
	/* With others listed (-F) the list is longer than ours. */
	rcvbuf = f->v.foreign_ok ? 16 * 1024 * 1024 :
	    (int)(list_packets(f->n) * 8192 + 65536);
	if ((f->vfd = udp_open(f->vaddr, 0, rcvbuf < 262144 ? 262144 :
	    rcvbuf)) == -1)
		err(2, "verification client");
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = (uint64_t)f->n;
	if (epoll_ctl(f->ep, EPOLL_CTL_ADD, f->vfd, &ev) == -1)
		err(2, "epoll_ctl");
	len = list_request(req, sizeof(req), 0);
	vr_reset(&f->v);
	f->vstate = VS_WAITING;
	f->vsent = f->vlast = now;
	f->verify_queries++;
	(void)sendto(f->vfd, req, len, 0, (struct sockaddr *)&master_sin,
	    sizeof(master_sin));
}

static void
farm_verify_read(struct farm *f)
{
	static uint8_t	 buf[PKT_BUF];
	ssize_t		 n;

	while ((n = recv(f->vfd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		if (f->vstate != VS_WAITING)
			continue;
		f->vlast = now_ns();
		(void)vr_packet(&f->v, buf, (size_t)n);
		if (f->v.error != NULL || farm_vdone(f))
			f->vstate = VS_FINISHED;
	}
}

/*
 * Is the answer whole?  With others listed too (-F) the packets cannot be
 * counted: all of ours is enough.
 */
static int
farm_vdone(const struct farm *f)
{
	if (f->v.foreign_ok)
		return (f->v.nseen == f->n);
	return (vr_done(&f->v));
}

/* Has the answer stopped coming, whole or not? */
static int
farm_vover(const struct farm *f, uint64_t now)
{
	return (f->vstate == VS_FINISHED || (f->vstate == VS_WAITING &&
	    (now - f->vsent >= VERIFY_WAIT_NS || (f->v.packets > 0 &&
	    now - f->vlast >= VERIFY_QUIET_NS))));
}

/* Wait up to ms for packets, then handle them. */
static void
farm_dispatch(struct farm *f, int ms)
{
	struct epoll_event	 evs[MAX_EVENTS];
	int			 i, n;

	if ((n = epoll_wait(f->ep, evs, MAX_EVENTS, ms)) == -1 &&
	    errno != EINTR)
		err(2, "epoll_wait");
	for (i = 0; i < n; i++) {
		if ((long)evs[i].data.u64 == f->n)
			farm_verify_read(f);
		else
			farm_read(f, (long)evs[i].data.u64);
	}
}

/*
 * The outcome of a verification query, finished or timed out: 1 when
 * every server is listed and nothing else is; otherwise the servers not
 * seen heartbeat again.
 */
static int
farm_check(struct farm *f)
{
	long	 i;

	f->listed = f->v.nseen;
	if (farm_vdone(f) && vr_good(&f->v))
		return (1);
	if (f->v.error != NULL || f->v.dupes > 0 ||
	    (f->v.foreign > 0 && !f->v.foreign_ok)) {
		f->verify_errors++;
		if (f->verify_why == NULL)
			f->verify_why = vr_why(&f->v);
	}
	f->vstate = VS_IDLE;
	for (i = 0; i < f->n; i++)
		if (!vr_listed(&f->v, i) && f->state[i] != FS_SENT) {
			f->state[i] = FS_IDLE;
			f->queue[f->qtail] = i;
			f->qtail = (f->qtail + 1) % (f->n + 1);
			f->qcount++;
		}
	return (0);
}

/*
 * Register every server: heartbeats and answers, then getservers until
 * all are listed.  1 when done before deadline.
 */
static int
farm_register(struct farm *f, uint64_t deadline)
{
	uint64_t	 now, next_query = 0;

	while (!stop && (now = now_ns()) < deadline) {
		farm_pump(f, now);
		farm_dispatch(f, 2);
		now = now_ns();
		if (f->qcount > 0 || f->fcount > 0)
			continue;
		if (f->vstate == VS_IDLE && now >= next_query) {
			farm_verify_send(f, now);
			next_query = now + 200 * MS;
		} else if (farm_vover(f, now)) {
			if (farm_check(f)) {
				f->verified = 1;
				return (1);
			}
		}
	}
	return (0);
}

/* One verification query after the fact; 1 when the list is exact. */
static int
farm_verify_once(struct farm *f)
{
	farm_verify_send(f, now_ns());
	while (!farm_vover(f, now_ns()))
		farm_dispatch(f, 2);
	f->listed = f->v.nseen;
	return (farm_vdone(f) && vr_good(&f->v));
}

/*
 * N game servers: registered and checked, then answering until the end
 * (re-heartbeating every -R seconds when asked, spread over the period).
 */
static void
run_servers(void)
{
	struct farm	 f;
	uint64_t	 start, ready, end, now, period, cycle;
	long		 rss0, rss1, next = 0, target, i;
	int		 ep, ok;

	raise_nofile(conf.nservers + 64);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		err(2, "epoll_create1");
	rss0 = rss_kb(conf.watch);
	start = now_ns();
	farm_open(&f, conf.nservers, conf.srvbase, ep);
	ok = farm_register(&f, start + (uint64_t)(conf.settle * NS));
	ready = now_ns();
	/* Let the master settle before its memory is read. */
	usleep(200000);
	rss1 = rss_kb(conf.watch);
	printf("mode=servers phase=ready servers=%ld verified=%d listed=%ld "
	    "register_s=%.3f hb_sent=%llu hb_retries=%llu getinfo=%llu "
	    "bad=%llu verify_queries=%llu verify_errors=%llu "
	    "verify_error=%s rss_before_kb=%ld rss_after_kb=%ld "
	    "bytes_per_server=%.1f\n", conf.nservers, ok, f.listed,
	    (double)(ready - start) / NS, (unsigned long long)f.hb_sent,
	    (unsigned long long)f.hb_retries, (unsigned long long)f.getinfo,
	    (unsigned long long)f.bad, (unsigned long long)f.verify_queries,
	    (unsigned long long)f.verify_errors,
	    f.verify_why != NULL ? f.verify_why : "none", rss0, rss1,
	    rss0 > 0 && rss1 > 0 && conf.nservers > 0 ?
	    (double)(rss1 - rss0) * 1024 / (double)conf.nservers : 0.0);
	fflush(stdout);
	if (!ok) {
		farm_close(&f);
		exit(1);
	}
	end = ready + (uint64_t)(conf.duration * NS);
	period = (uint64_t)(conf.reheartbeat * NS);
	cycle = ready;
	while (!stop && (now = now_ns()) < end) {
		farm_dispatch(&f, 20);
		if (period == 0)
			continue;
		target = (long)((double)(now - cycle) / (double)period *
		    (double)f.n);
		for (i = next; i < f.n && i < target; i++)
			farm_heartbeat(&f, i);
		next = i;
		if (next >= f.n && now - cycle >= period) {
			cycle += period;
			next = 0;
		}
	}
	printf("mode=servers phase=end servers=%ld hb_sent=%llu "
	    "getinfo=%llu bad=%llu", conf.nservers,
	    (unsigned long long)f.hb_sent, (unsigned long long)f.getinfo,
	    (unsigned long long)f.bad);
	farm_close(&f);
	close(ep);
}

/*
 * A socket on every loopback address at once (port chosen by the
 * kernel), sending with IP_PKTINFO from any address of the sequence from
 * -b: many source addresses without a descriptor each.  Traffic still
 * only goes to the master on loopback.
 */
static int
multi_open(uint32_t bindaddr, int rcvbuf)
{
	int	 fd, on = 1;

	if ((fd = udp_open(bindaddr, 0, rcvbuf)) == -1)
		err(2, "flood socket");
	if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) == -1)
		err(2, "IP_PKTINFO");
	/*
	 * Small datagrams only: with DF forced Linux leaves the IP ID at 0
	 * instead of hashing one a datagram, as tremmasterd's challenge port.
	 */
	on = IP_PMTUDISC_DO;
	if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &on, sizeof(on)) == -1)
		err(2, "IP_MTU_DISCOVER");
	return (fd);
}

/*
 * How many datagrams a flood sends now: a batch, or with -r what keeps it
 * at the rate (0 after a short sleep when it is ahead).
 */
static int
flood_quota(uint64_t start, uint64_t now, uint64_t sent)
{
	uint64_t	 due;

	if (conf.rate <= 0)
		return (BATCH);
	due = (uint64_t)((double)(now - start) / NS * (double)conf.rate);
	if (due <= sent) {
		usleep(100);
		return (0);
	}
	return (due - sent < BATCH ? (int)(due - sent) : BATCH);
}

/* Fill a batch of messages, each from the next source address. */
static void
multi_batch(struct mmsghdr *msgs, struct iovec *iov, uint8_t (*ctl)[64],
    const void *data, size_t len, long *next, int count)
{
	struct cmsghdr	*cm;
	struct in_pktinfo pi;
	int		 i;

	for (i = 0; i < count; i++) {
		memset(&msgs[i], 0, sizeof(msgs[i]));
		iov[i].iov_base = (void *)(uintptr_t)data;
		iov[i].iov_len = len;
		msgs[i].msg_hdr.msg_name = &master_sin;
		msgs[i].msg_hdr.msg_namelen = sizeof(master_sin);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		memset(ctl[i], 0, sizeof(ctl[i]));
		msgs[i].msg_hdr.msg_control = ctl[i];
		msgs[i].msg_hdr.msg_controllen = CMSG_SPACE(sizeof(pi));
		cm = CMSG_FIRSTHDR(&msgs[i].msg_hdr);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memset(&pi, 0, sizeof(pi));
		pi.ipi_spec_dst.s_addr = htonl(seq_addr(conf.srcbase, *next));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		*next = (*next + 1) % conf.naddrs;
	}
}

/* Count the getinfo challenges waiting on the flood socket. */
static uint64_t
multi_drain(int fd, uint64_t *bad)
{
	static uint8_t		 bufs[BATCH][256];
	static struct iovec	 iov[BATCH];
	static struct mmsghdr	 msgs[BATCH];
	uint64_t		 got = 0;
	size_t			 chlen;
	const char		*ch;
	int			 i, n, rounds;

	for (rounds = 0; rounds < 64; rounds++) {
		memset(msgs, 0, sizeof(msgs));
		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		if ((n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL)) <= 0)
			break;
		for (i = 0; i < n; i++)
			if (is_getinfo(bufs[i], msgs[i].msg_len, &ch, &chlen))
				got++;
			else
				(*bad)++;
		if (n < BATCH)
			break;
	}
	return (got);
}

/*
 * The heartbeat flood: N legitimate servers registered first; then -d
 * seconds of heartbeats from -x source addresses, as fast as possible (or
 * -r a second), each legitimate server heartbeating once more from 20% to
 * 80% of it and answering its challenge; then every legitimate server
 * must still be listed, and nothing else.
 */
static void
run_heartbeats(void)
{
	static const char	 hb[] = HDR "heartbeat Tremulous\n";
	static struct mmsghdr	 msgs[BATCH];
	static struct iovec	 iov[BATCH];
	static uint8_t		 ctl[BATCH][64];
	struct farm		 f;
	uint64_t		 start, end, now, sent = 0, got = 0, bad = 0;
	uint64_t		 gi0, rstart, rdone, t, rounds = 0;
	long			 next = 0, lnext = 0, ltarget;
	int			 ep, fd, n, ok, listed_ok;

	raise_nofile(conf.nservers + 64);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		err(2, "epoll_create1");
	rstart = now_ns();
	farm_open(&f, conf.nservers, conf.srvbase, ep);
	ok = farm_register(&f, rstart + (uint64_t)(conf.settle * NS));
	rdone = now_ns();
	if (!ok)
		warnx("legitimate servers not all registered: %ld of %ld",
		    f.listed, f.n);
	fd = multi_open(INADDR_ANY, 8 * 1024 * 1024);
	gi0 = f.getinfo;
	start = now = now_ns();
	end = start + (uint64_t)(conf.duration * NS);
	while (!stop && now < end) {
		if ((n = flood_quota(start, now, sent)) > 0) {
			multi_batch(msgs, iov, ctl, hb, sizeof(hb) - 1, &next,
			    n);
			if ((n = sendmmsg(fd, msgs, (unsigned int)n, 0)) > 0)
				sent += (uint64_t)n;
		}
		got += multi_drain(fd, &bad);
		/* The legitimate ones, once each, from 20% to 80% of it. */
		t = now - start;
		ltarget = (long)(((double)t / (double)(end - start) - 0.2) /
		    0.6 * (double)f.n);
		for (; lnext < f.n && lnext < ltarget; lnext++)
			farm_heartbeat(&f, lnext);
		if (++rounds % 8 == 0)
			farm_dispatch(&f, 0);
		now = now_ns();
	}
	for (; lnext < f.n; lnext++)
		farm_heartbeat(&f, lnext);
	/* Challenges still on their way count too; then the check. */
	t = now_ns() + 500 * MS;
	while (now_ns() < t) {
		got += multi_drain(fd, &bad);
		farm_dispatch(&f, 1);
	}
	listed_ok = farm_verify_once(&f);
	printf("mode=heartbeats sources=%ld duration=%.3f sent=%llu "
	    "sent_per_s=%.1f challenged=%llu challenged_per_s=%.1f "
	    "bad=%llu legit=%ld legit_registered=%d legit_register_s=%.3f "
	    "legit_challenged=%llu legit_listed=%ld legit_ok=%d "
	    "legit_error=%s", conf.naddrs, (double)(now - start) / NS,
	    (unsigned long long)sent, (double)sent * NS / (double)(now - start),
	    (unsigned long long)got, (double)got * NS / (double)(now - start),
	    (unsigned long long)bad, f.n, ok, (double)(rdone - rstart) / NS,
	    (unsigned long long)(f.getinfo - gi0), f.listed, listed_ok,
	    listed_ok ? "none" : vr_why(&f.v));
	close(fd);
	farm_close(&f);
	close(ep);
}

/*
 * Make each of the -x source addresses a listed server, since tremmasterd
 * takes gamestat only from one: a heartbeat from each, then an
 * infoResponse to the -C challenge port from the address each getinfo
 * came to.  Heartbeats go again to the addresses not answered yet.
 */
static void
stats_register(int fd)
{
	static const char	 hb[] = HDR "heartbeat Tremulous\n";
	static struct mmsghdr	 msgs[BATCH];
	static struct iovec	 iov[BATCH];
	static uint8_t		 ctl[BATCH][64], buf[256];
	struct sockaddr_in	 csin;
	struct msghdr		 mh;
	struct iovec		 riov;
	struct cmsghdr		*cm;
	struct in_pktinfo	 pi;
	uint8_t			 rctl[64], *done;
	uint64_t		 deadline, resend = 0;
	long			 answered = 0, next = 0, i;
	size_t			 chlen, len;
	ssize_t			 r;
	const char		*ch;
	char			 out[INFO_MAX];
	int			 n, ok;

	if (conf.cport == 0)
		errx(2, "stats: -C is needed to register the sources");
	if ((done = calloc((size_t)conf.naddrs, 1)) == NULL)
		err(2, NULL);
	sin_set(&csin, conf.master, conf.cport);
	deadline = now_ns() + 20 * NS;
	while (answered < conf.naddrs && now_ns() < deadline) {
		/* A round of heartbeats a second, from the silent ones. */
		if (now_ns() >= resend) {
			for (i = 0; i < conf.naddrs; i += n) {
				n = conf.naddrs - i < BATCH ?
				    (int)(conf.naddrs - i) : BATCH;
				next = i;
				multi_batch(msgs, iov, ctl, hb, sizeof(hb) - 1,
				    &next, n);
				(void)sendmmsg(fd, msgs, (unsigned int)n, 0);
				usleep(200);
			}
			resend = now_ns() + NS;
		}
		memset(&mh, 0, sizeof(mh));
		riov.iov_base = buf;
		riov.iov_len = sizeof(buf);
		mh.msg_iov = &riov;
		mh.msg_iovlen = 1;
		mh.msg_control = rctl;
		mh.msg_controllen = sizeof(rctl);
		if ((r = recvmsg(fd, &mh, MSG_DONTWAIT)) == -1) {
			usleep(100);
			continue;
		}
		if (!is_getinfo(buf, (size_t)r, &ch, &chlen))
			continue;
		ok = 0;
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL;
		    cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == IPPROTO_IP &&
			    cm->cmsg_type == IP_PKTINFO) {
				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				ok = 1;
			}
		if (!ok || (i = seq_index(conf.srcbase, conf.naddrs,
		    ntohl(pi.ipi_addr.s_addr))) == -1 ||
		    (len = inforesponse(out, sizeof(out), i, ch, chlen)) == 0)
			continue;
		memset(&msgs[0], 0, sizeof(msgs[0]));
		iov[0].iov_base = out;
		iov[0].iov_len = len;
		msgs[0].msg_hdr.msg_name = &csin;
		msgs[0].msg_hdr.msg_namelen = sizeof(csin);
		msgs[0].msg_hdr.msg_iov = &iov[0];
		msgs[0].msg_hdr.msg_iovlen = 1;
		memset(ctl[0], 0, sizeof(ctl[0]));
		msgs[0].msg_hdr.msg_control = ctl[0];
		msgs[0].msg_hdr.msg_controllen = CMSG_SPACE(sizeof(pi));
		cm = CMSG_FIRSTHDR(&msgs[0].msg_hdr);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memset(&pi.ipi_spec_dst, 0, sizeof(pi.ipi_spec_dst));
		pi.ipi_spec_dst = pi.ipi_addr;
		pi.ipi_ifindex = 0;
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		if (sendmsg(fd, &msgs[0].msg_hdr, 0) != -1 && !done[i]) {
			done[i] = 1;
			answered++;
		}
	}
	free(done);
	if (answered < conf.naddrs)
		errx(2, "stats: %ld of %ld sources answered a challenge",
		    answered, conf.naddrs);
}

/*
 * gamestat records from -x source addresses, as fast as possible (or -r a
 * second), for -d seconds, each address a listed server first.  What was
 * stored is for the script to count.
 */
static void
run_stats(void)
{
	static struct mmsghdr	 msgs[BATCH];
	static struct iovec	 iov[BATCH];
	static uint8_t		 ctl[BATCH][64];
	uint64_t		 start, end, now, sent = 0, fails = 0;
	double			 w0, w1;
	long			 next = 0;
	int			 fd, n, len;
	char			 rec[512];

	len = snprintf(rec, sizeof(rec), "%sgamestat tremulous 1.1.0 TAG "
	    "T:A A:1.5 H:2.0 M:atcs D:600000 SD:0 AS:1 AS2T:300000 AS3T:0 "
	    "HS:1 HS2T:310000 HS3T:0 CL:2 \"Alice\" A 12 50 10 \"Bob\" H 3 "
	    "80 9", HDR);
	fd = multi_open(INADDR_ANY, 8 * 1024 * 1024);
	stats_register(fd);
	/* The answers must be in before the first record. */
	usleep(500000);
	w0 = wall_time();
	start = now = now_ns();
	end = start + (uint64_t)(conf.duration * NS);
	while (!stop && now < end) {
		if ((n = flood_quota(start, now, sent)) > 0) {
			multi_batch(msgs, iov, ctl, rec, (size_t)len, &next, n);
			if ((n = sendmmsg(fd, msgs, (unsigned int)n, 0)) > 0)
				sent += (uint64_t)n;
			else
				fails++;
		}
		now = now_ns();
	}
	w1 = wall_time();
	printf("mode=stats sources=%ld duration=%.3f sent=%llu "
	    "sent_per_s=%.1f send_failures=%llu t_start=%.6f t_end=%.6f",
	    conf.naddrs, (double)(now - start) / NS, (unsigned long long)sent,
	    (double)sent * NS / (double)(now - start),
	    (unsigned long long)fails, w0, w1);
	close(fd);
}

/* SHA-1 of a message shorter than 120 bytes (a key and the GUID). */
static void
sha1(const uint8_t *msg, size_t len, uint8_t *out)
{
	uint8_t		 blk[128];
	uint32_t	 h[5] = { 0x67452301, 0xefcdab89, 0x98badcfe,
			    0x10325476, 0xc3d2e1f0 };
	uint32_t	 w[80], a, b, c, d, e, f, k, t;
	uint64_t	 bits = (uint64_t)len * 8;
	size_t		 nblk, off, i;

	if (len >= 120)
		errx(2, "%s: message too long", __func__);
	nblk = len + 9 <= 64 ? 1 : 2;
	memset(blk, 0, sizeof(blk));
	memcpy(blk, msg, len);
	blk[len] = 0x80;
	for (i = 0; i < 8; i++)
		blk[nblk * 64 - 1 - i] = (uint8_t)(bits >> (8 * i));
	for (off = 0; off < nblk * 64; off += 64) {
		for (i = 0; i < 16; i++)
			w[i] = (uint32_t)blk[off + 4 * i] << 24 |
			    (uint32_t)blk[off + 4 * i + 1] << 16 |
			    (uint32_t)blk[off + 4 * i + 2] << 8 |
			    blk[off + 4 * i + 3];
		for (i = 16; i < 80; i++) {
			t = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
			w[i] = t << 1 | t >> 31;
		}
		a = h[0];
		b = h[1];
		c = h[2];
		d = h[3];
		e = h[4];
		for (i = 0; i < 80; i++) {
			if (i < 20) {
				f = (b & c) | (~b & d);
				k = 0x5a827999;
			} else if (i < 40) {
				f = b ^ c ^ d;
				k = 0x6ed9eba1;
			} else if (i < 60) {
				f = (b & c) | (b & d) | (c & d);
				k = 0x8f1bbcdc;
			} else {
				f = b ^ c ^ d;
				k = 0xca62c1d6;
			}
			t = (a << 5 | a >> 27) + f + e + k + w[i];
			e = d;
			d = c;
			c = b << 30 | b >> 2;
			b = a;
			a = t;
		}
		h[0] += a;
		h[1] += b;
		h[2] += c;
		h[3] += d;
		h[4] += e;
	}
	for (i = 0; i < 20; i++)
		out[i] = (uint8_t)(h[i / 4] >> (24 - 8 * (i % 4)));
}

/* Standard base64 with padding; out holds 4 * ((len + 2) / 3) + 1. */
static void
base64(const uint8_t *in, size_t len, char *out)
{
	static const char	 tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t		 v;
	size_t			 i, o = 0;

	for (i = 0; i < len; i += 3) {
		v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? tab[v & 63] : '=';
	}
	out[o] = '\0';
}

/* The Sec-WebSocket-Accept the master must answer to key. */
static void
ws_accept_for(const char *key, char *accept)
{
	uint8_t	 digest[20];
	char	 buf[128];
	int	 n;

	n = snprintf(buf, sizeof(buf), "%s%s", key, WS_GUID);
	if (n < 0 || (size_t)n >= sizeof(buf))
		errx(2, "%s: key too long", __func__);
	sha1((const uint8_t *)buf, (size_t)n, digest);
	base64(digest, sizeof(digest), accept);
}

/* Start opening connection c from its address. */
static void
ws_connect(struct wsc *c, int ep)
{
	struct sockaddr_in	 src, dst;
	struct epoll_event	 ev;
	int			 fd, on = 1;

	c->state = WS_DEAD;
	c->len = 0;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		ws_failed++;
		return;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
#ifdef IP_BIND_ADDRESS_NO_PORT
	(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on,
	    sizeof(on));
#endif
	sin_set(&src, c->addr, 0);
	sin_set(&dst, conf.master, conf.wsport);
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) == -1 ||
	    (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) == -1 &&
	    errno != EINPROGRESS)) {
		if (conf.verbose)
			warn("ws connect");
		close(fd);
		ws_failed++;
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLOUT;
	ev.data.u64 = (uint64_t)(c - wsconns);
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
		err(2, "epoll_ctl");
	c->fd = fd;
	c->state = WS_CONNECTING;
	ws_pending++;
}

/* Close c; failed says it never opened because of an error. */
static void
ws_kill(struct wsc *c, int failed)
{
	if (c->state == WS_NONE || c->state == WS_DEAD)
		return;
	if (c->state == WS_OPEN)
		ws_open_now--;
	else
		ws_pending--;
	if (failed && c->state != WS_OPEN)
		ws_failed++;
	close(c->fd);
	c->fd = -1;
	c->state = WS_DEAD;
	c->busy = 0;
	c->len = 0;
}

/* One masked frame of opcode op; -1 (and c closed) when it fails. */
static int
ws_send_msg(struct wsc *c, int op, const void *data, size_t len)
{
	uint8_t		 frame[2048 + 14];
	const uint8_t	*p = data;
	uint64_t	 r;
	size_t		 hl, i;
	ssize_t		 n;

	if (len > 2048)
		errx(2, "%s: message too long", __func__);
	frame[0] = 0x80 | (uint8_t)op;
	if (len < 126) {
		frame[1] = 0x80 | (uint8_t)len;
		hl = 2;
	} else {
		frame[1] = 0x80 | 126;
		frame[2] = (uint8_t)(len >> 8);
		frame[3] = (uint8_t)len;
		hl = 4;
	}
	r = rnd();
	memcpy(frame + hl, &r, 4);
	for (i = 0; i < len; i++)
		frame[hl + 4 + i] = p[i] ^ frame[hl + (i & 3)];
	n = send(c->fd, frame, hl + 4 + len, MSG_NOSIGNAL);
	if (n != (ssize_t)(hl + 4 + len)) {
		/* Small frames on a quiet socket: short means broken. */
		ws_kill(c, 0);
		return (-1);
	}
	return (0);
}

/* A request over c, checked by its verifier. */
static void
ws_request(struct wsc *c, uint64_t now)
{
	size_t	 len;
	char	 req[128];

	len = list_request(req, sizeof(req), 1);
	vr_reset(c->v);
	c->busy = 1;
	c->sent_at = now;
	(void)ws_send_msg(c, 2, req, len);
}

/* What the master answered on c. */
static void
ws_message(struct wsc *c, int ep, const uint8_t *p, size_t len)
{
	uint64_t	 now;
	size_t		 chlen, olen;
	const char	*ch;
	char		 out[INFO_MAX];

	if (c->role == WR_SERVER) {
		if (!is_getinfo(p, len, &ch, &chlen)) {
			ws_res.strays++;
			return;
		}
		ws_getinfo++;
		if ((olen = inforesponse(out, sizeof(out), c->idx, ch,
		    chlen)) > 0 && ws_send_msg(c, 2, out, olen) == 0)
			c->answered = 1;
		return;
	}
	if (c->v == NULL || !c->busy) {
		ws_res.strays++;
		return;
	}
	if (ws_measuring)
		ws_res.packets++;
	if (vr_packet(c->v, p, len) == -1) {
		if (ws_measuring)
			res_bad(&ws_res, c->v->error);
		/* The rest of the set must not count: a new connection. */
		ws_kill(c, 0);
		ws_connect(c, ep);
		return;
	}
	if (!vr_done(c->v))
		return;
	c->busy = 0;
	if (!ws_measuring)
		return;
	now = now_ns();
	if (vr_good(c->v)) {
		ws_res.ok++;
		lat_add(&ws_res, now - c->sent_at);
	} else
		res_bad(&ws_res, vr_why(c->v));
	if (now < ws_end)
		ws_request(c, now);
}

/* Whole frames in c's buffer; 0, or -1 when c was closed. */
static int
ws_frames(struct wsc *c, int ep)
{
	uint64_t	 plen;
	size_t		 off = 0, hl, avail;
	uint8_t		*b;
	int		 op;

	while (c->state == WS_OPEN && (avail = c->len - off) >= 2) {
		b = c->buf + off;
		plen = b[1] & 0x7f;
		hl = 2;
		if (b[1] & 0x80) {
			res_bad(&ws_res, "masked_frame_from_server");
			ws_kill(c, 0);
			return (-1);
		}
		if (plen == 126) {
			if (avail < 4)
				break;
			plen = (uint64_t)b[2] << 8 | b[3];
			hl = 4;
		} else if (plen == 127) {
			if (avail < 10)
				break;
			plen = 0;
			for (hl = 2; hl < 10; hl++)
				plen = plen << 8 | b[hl];
		}
		if (plen > WS_BUF_MAX - 16) {
			res_bad(&ws_res, "frame_too_long");
			ws_kill(c, 0);
			return (-1);
		}
		if (avail < hl + plen)
			break;
		op = b[0] & 0x0f;
		if (!(b[0] & 0x80)) {
			res_bad(&ws_res, "fragmented_message");
			ws_kill(c, 0);
			return (-1);
		}
		off += hl + (size_t)plen;
		switch (op) {
		case 2:
			ws_message(c, ep, b + hl, (size_t)plen);
			break;
		case 8:
			ws_kill(c, 0);
			return (-1);
		case 9:
			if (ws_send_msg(c, 10, b + hl, (size_t)plen) == -1)
				return (-1);
			break;
		default:
			break;
		}
	}
	if (c->state != WS_OPEN)
		return (-1);
	if (off > 0) {
		memmove(c->buf, c->buf + off, c->len - off);
		c->len -= off;
	}
	return (0);
}

/* The answer to the upgrade: 101 and the right Sec-WebSocket-Accept. */
static void
ws_handshake(struct wsc *c, int ep)
{
	static const char	 port[] = HDR "port\x78\x00";
	static const char	 hb[] = HDR "heartbeat Tremulous\n";
	uint8_t			*eoh;
	size_t			 hlen;
	char			*h, *end;

	c->buf[c->len] = '\0';
	if ((eoh = memmem(c->buf, c->len, "\r\n\r\n", 4)) == NULL) {
		if (c->len > 4096)
			ws_kill(c, 1);
		return;
	}
	hlen = (size_t)(eoh - c->buf) + 4;
	*eoh = '\0';
	h = strcasestr((char *)c->buf, "\r\nSec-WebSocket-Accept:");
	if (strncmp((char *)c->buf, "HTTP/1.1 101 ", 13) != 0 || h == NULL) {
		ws_kill(c, 1);
		return;
	}
	for (h += 23; *h == ' ' || *h == '\t'; h++)
		;
	if ((end = strstr(h, "\r\n")) != NULL)
		*end = '\0';
	while (strlen(h) > 0 && (h[strlen(h) - 1] == ' ' ||
	    h[strlen(h) - 1] == '\t'))
		h[strlen(h) - 1] = '\0';
	if (strcmp(h, c->accept) != 0) {
		res_bad(&ws_res, "wrong_sec_websocket_accept");
		ws_kill(c, 1);
		return;
	}
	memmove(c->buf, c->buf + hlen, c->len - hlen);
	c->len -= hlen;
	c->state = WS_OPEN;
	ws_pending--;
	ws_open_now++;
	if (c->role == WR_SERVER) {
		if (ws_send_msg(c, 2, port, sizeof(port) - 1) == -1 ||
		    ws_send_msg(c, 2, hb, sizeof(hb) - 1) == -1)
			return;
	} else if (c->busy) {
		/* Reopened after a timeout or an error: ask again. */
		if (ws_measuring && now_ns() < ws_end)
			ws_request(c, now_ns());
		else
			c->busy = 0;
	}
	(void)ws_frames(c, ep);
}

/* Readiness on c. */
static void
ws_event(struct wsc *c, int ep, uint32_t events)
{
	struct epoll_event	 ev;
	socklen_t		 sl;
	uint8_t			 nonce[16];
	uint64_t		 r;
	ssize_t			 n;
	size_t			 reqlen;
	uint8_t			*p;
	int			 e, len;
	char			 key[32], req[512];

	if (c->state == WS_CONNECTING) {
		e = 0;
		sl = sizeof(e);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &sl) == -1 ||
		    e != 0) {
			ws_kill(c, 1);
			return;
		}
		r = rnd();
		memcpy(nonce, &r, 8);
		r = rnd();
		memcpy(nonce + 8, &r, 8);
		base64(nonce, sizeof(nonce), key);
		ws_accept_for(key, c->accept);
		len = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\n"
		    "Host: 127.0.0.1:%u\r\nUpgrade: websocket\r\n"
		    "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
		    "Sec-WebSocket-Version: 13\r\n\r\n", conf.wsport, key);
		reqlen = (size_t)len;
		if (send(c->fd, req, reqlen, MSG_NOSIGNAL) != (ssize_t)reqlen) {
			ws_kill(c, 1);
			return;
		}
		c->state = WS_HANDSHAKE;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u64 = (uint64_t)(c - wsconns);
		if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) == -1)
			err(2, "epoll_ctl");
		return;
	}
	if (c->state != WS_HANDSHAKE && c->state != WS_OPEN)
		return;
	for (;;) {
		if (c->cap - c->len < 4096) {
			if (c->cap >= WS_BUF_MAX) {
				res_bad(&ws_res, "input_overflow");
				ws_kill(c, 1);
				return;
			}
			c->cap = c->cap == 0 ? 8192 : c->cap * 2;
			if ((p = realloc(c->buf, c->cap + 1)) == NULL)
				err(2, NULL);
			c->buf = p;
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
			ws_kill(c, 1);
			return;
		}
		if (n == -1)
			break;
		c->len += (size_t)n;
	}
	if (events & (EPOLLERR | EPOLLHUP)) {
		ws_kill(c, 1);
		return;
	}
	if (c->state == WS_HANDSHAKE)
		ws_handshake(c, ep);
	else
		(void)ws_frames(c, ep);
}

static long
ws_poll(int ep, int ms)
{
	struct epoll_event	 evs[MAX_EVENTS];
	int			 i, n;

	if ((n = epoll_wait(ep, evs, MAX_EVENTS, ms)) == -1) {
		if (errno != EINTR)
			err(2, "epoll_wait");
		return (0);
	}
	for (i = 0; i < n; i++)
		ws_event(&wsconns[evs[i].data.u64], ep, evs[i].events);
	return (n);
}

/* Open connections lo..hi-1, WS_MAX_OPENING at a time. */
static void
ws_open_range(long lo, long hi, int ep, uint64_t deadline)
{
	long	 next = lo;

	while (!stop && now_ns() < deadline && (next < hi || ws_pending > 0)) {
		while (next < hi && ws_pending < WS_MAX_OPENING)
			ws_connect(&wsconns[next++], ep);
		(void)ws_poll(ep, 5);
	}
	/* Whatever has not opened by the deadline has failed. */
	for (; lo < hi; lo++)
		if (wsconns[lo].state == WS_CONNECTING ||
		    wsconns[lo].state == WS_HANDSHAKE)
			ws_kill(&wsconns[lo], 1);
}

/*
 * WebSocket: C idle connections held for -H seconds (netd's memory read
 * meanwhile), then N WebSocket game servers registered and K of the
 * connections asking for the list in closed loop for -d seconds.
 */
static void
run_ws(void)
{
	struct verifier	 reg;
	struct wsc	*c;
	uint64_t	 start, deadline, now, tmo, hold_end, next_check;
	uint64_t	 t0;
	long		 nc, k, i, held, held_after, rss0, rss1, rss2;
	long		 listed = 0;
	int		 ep, registered = 0;
	char		 accept[32];

	ws_accept_for("dGhlIHNhbXBsZSBub25jZQ==", accept);
	if (strcmp(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") != 0)
		errx(2, "SHA-1 or base64 is broken: %s", accept);
	if (conf.wsport == 0)
		errx(2, "ws: -W port needed");
	nc = conf.nclients;
	k = conf.kreq < nc ? conf.kreq : nc;
	if (conf.nservers > 0 && k < 1)
		errx(2, "ws: -c must be at least 1 to check the servers");
	if (conf.nservers > EXT_MAX_PACKETS * PER_PACKET)
		errx(2, "ws: at most %d servers (checked with getserversExt)",
		    EXT_MAX_PACKETS * PER_PACKET);
	nwsconns = nc + conf.nservers;
	raise_nofile(nwsconns + 64);
	if ((wsconns = calloc(nwsconns, sizeof(*wsconns))) == NULL)
		err(2, NULL);
	for (i = 0; i < nwsconns; i++) {
		c = &wsconns[i];
		c->fd = -1;
		if (i < nc) {
			c->role = WR_IDLE;
			c->addr = seq_addr(conf.srcbase, i / conf.perip);
		} else {
			c->role = WR_SERVER;
			c->idx = i - nc;
			c->addr = seq_addr(conf.srvbase, c->idx);
		}
	}
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		err(2, "epoll_create1");
	rss0 = rss_kb(conf.watch);
	start = now_ns();
	deadline = start + (uint64_t)(conf.settle * NS);
	ws_open_range(0, nc, ep, deadline);
	held = ws_open_now;
	t0 = now_ns();
	usleep(200000);
	rss1 = rss_kb(conf.watch);
	printf("mode=ws phase=held conns=%ld held=%ld failed=%ld "
	    "open_s=%.3f rss_before_kb=%ld rss_held_kb=%ld\n", nc, held,
	    ws_failed, (double)(t0 - start) / NS, rss0, rss1);
	fflush(stdout);
	hold_end = now_ns() + (uint64_t)(conf.hold * NS);
	while (!stop && now_ns() < hold_end)
		(void)ws_poll(ep, 50);
	held_after = ws_open_now;

	/* The WebSocket game servers, checked over connection 0. */
	vr_init(&reg, conf.nservers, conf.srvbase, 1, 0);
	deadline = now_ns() + (uint64_t)(conf.settle * NS);
	if (conf.nservers > 0) {
		ws_open_range(nc, nwsconns, ep, deadline);
		while (!stop && (now = now_ns()) < deadline && !registered) {
			for (i = nc; i < nwsconns; i++)
				if (wsconns[i].state == WS_DEAD)
					ws_connect(&wsconns[i], ep);
			t0 = now + NS;
			while (now_ns() < t0 && ws_pending > 0)
				(void)ws_poll(ep, 5);
			t0 = now_ns() + NS;
			while (now_ns() < t0) {
				for (i = nc; i < nwsconns; i++)
					if (!wsconns[i].answered)
						break;
				if (i == nwsconns)
					break;
				(void)ws_poll(ep, 5);
			}
			c = &wsconns[0];
			if (c->state != WS_OPEN) {
				ws_connect(c, ep);
				t0 = now_ns() + NS;
				while (now_ns() < t0 && c->state != WS_OPEN &&
				    c->state != WS_DEAD)
					(void)ws_poll(ep, 5);
				if (c->state != WS_OPEN)
					continue;
			}
			c->v = &reg;
			ws_request(c, now_ns());
			t0 = now_ns() + VERIFY_WAIT_NS;
			while (now_ns() < t0 && c->busy && !reg.error)
				(void)ws_poll(ep, 5);
			listed = reg.nseen;
			if (!c->busy && vr_good(&reg)) {
				registered = 1;
				break;
			}
			c->busy = 0;
			/* Heartbeat again from the missing ones. */
			for (i = nc; i < nwsconns; i++)
				if (!vr_listed(&reg, i - nc) &&
				    wsconns[i].state == WS_OPEN) {
					wsconns[i].answered = 0;
					(void)ws_send_msg(&wsconns[i], 2,
					    HDR "heartbeat Tremulous\n", 24);
				}
		}
	} else
		registered = 1;
	wsconns[0].v = NULL;

	/* Closed-loop requests over the first k connections. */
	for (i = 0; i < k; i++) {
		if ((wsconns[i].v = malloc(sizeof(struct verifier))) == NULL)
			err(2, NULL);
		vr_init(wsconns[i].v, conf.nservers, conf.srvbase, 1, 1);
	}
	memset(&ws_res, 0, sizeof(ws_res));
	tmo = (uint64_t)conf.timeout_ms * MS;
	start = now = now_ns();
	ws_end = start + (uint64_t)(conf.duration * NS);
	ws_measuring = 1;
	for (i = 0; i < k; i++) {
		c = &wsconns[i];
		c->busy = 1;
		if (c->state == WS_OPEN)
			ws_request(c, now);
		else
			ws_connect(c, ep);
	}
	next_check = now + 10 * MS;
	while (!stop && now_ns() < ws_end) {
		(void)ws_poll(ep, 2);
		/* After the poll: requests sent in it are not in the past. */
		now = now_ns();
		if (now < next_check)
			continue;
		next_check = now + 10 * MS;
		for (i = 0; i < k; i++) {
			c = &wsconns[i];
			if (c->state == WS_DEAD) {
				c->busy = 1;
				ws_connect(c, ep);
			} else if (c->state == WS_OPEN && c->busy &&
			    now - c->sent_at > tmo) {
				ws_res.timeouts++;
				ws_kill(c, 0);
				c->busy = 1;
				ws_connect(c, ep);
			}
		}
	}
	now = now_ns();
	ws_measuring = 0;
	rss2 = rss_kb(conf.watch);
	printf("mode=ws conns=%ld held=%ld held_after_hold=%ld failed=%ld "
	    "rss_before_kb=%ld rss_held_kb=%ld rss_end_kb=%ld "
	    "bytes_per_conn=%.1f ws_servers=%ld ws_registered=%d "
	    "ws_listed=%ld getinfo=%llu clients=%ld duration=%.3f "
	    "requests=%llu rps=%.1f pps=%.1f p50_us=%.1f p99_us=%.1f "
	    "errors=%llu timeouts=%llu strays=%llu first_error=%s",
	    nc, held, held_after, ws_failed, rss0, rss1, rss2,
	    rss0 > 0 && rss1 > 0 && held > 0 ?
	    (double)(rss1 - rss0) * 1024 / (double)held : 0.0,
	    conf.nservers, registered, listed,
	    (unsigned long long)ws_getinfo, k, (double)(now - start) / NS,
	    (unsigned long long)ws_res.ok,
	    (double)ws_res.ok * NS / (double)(now - start),
	    (double)ws_res.packets * NS / (double)(now - start),
	    lat_pct(&ws_res, 50), lat_pct(&ws_res, 99),
	    (unsigned long long)ws_res.errors,
	    (unsigned long long)ws_res.timeouts,
	    (unsigned long long)ws_res.strays,
	    ws_res.why != NULL ? ws_res.why : "none");
	for (i = 0; i < nwsconns; i++) {
		c = &wsconns[i];
		if (c->state == WS_OPEN || c->state == WS_CONNECTING ||
		    c->state == WS_HANDSHAKE)
			close(c->fd);
		if (c->v != NULL) {
			vr_free(c->v);
			free(c->v);
		}
		free(c->buf);
	}
	vr_free(&reg);
	free(wsconns);
	free(ws_res.lat);
	close(ep);
}

/* The end of the result line: what the generator itself used. */
static void
end_line(void)
{
	struct rusage	 ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		err(2, "getrusage");
	printf(" loadgen_cpu_s=%.2f loadgen_maxrss_kb=%ld\n",
	    (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
	    ru.ru_maxrss);
}

int
main(int argc, char *argv[])
{
	struct sigaction	 sa;
	size_t			 i;
	int			 ch;

	conf.mode = M_GETSERVERS;
	conf.master = 0x7f000001;
	conf.srvbase = 0x7f0a0001;	/* 127.10.0.1 */
	conf.srcbase = 0x7f1e0001;	/* 127.30.0.1 */
	conf.port = 30710;
	conf.protocol = "69";
	conf.nservers = 1000;
	conf.nclients = 16;
	conf.kreq = 16;
	conf.naddrs = 65024;
	conf.perip = 16;
	conf.window = 128;	/* netd's socket holds some 270 */
	conf.timeout_ms = 1000;
	conf.duration = 10;
	conf.settle = 60;
	conf.hold = 2;
	while ((ch = getopt(argc, argv, "A:a:b:C:c:d:FH:hk:LM:m:n:P:p:R:r:s:"
	    "t:vW:w:X:x:")) != -1) {
		switch (ch) {
		case 'A':
			conf.master = parse_addr("-A", optarg);
			break;
		case 'a':
			conf.srvbase = parse_addr("-a", optarg);
			break;
		case 'b':
			conf.srcbase = parse_addr("-b", optarg);
			break;
		case 'C':
			conf.cport = (uint16_t)parse_num("-C", optarg, 0,
			    65535);
			break;
		case 'c':
			conf.nclients = parse_num("-c", optarg, 0, 1000000);
			break;
		case 'd':
			conf.duration = parse_secs("-d", optarg);
			break;
		case 'F':
			conf.foreign_ok = 1;
			break;
		case 'L':
			conf.long_fields = 1;
			break;
		case 'H':
			conf.hold = parse_secs("-H", optarg);
			break;
		case 'k':
			conf.kreq = parse_num("-k", optarg, 0, 1000000);
			break;
		case 'M':
			conf.watch = (pid_t)parse_num("-M", optarg, 1,
			    INT32_MAX);
			break;
		case 'm':
			for (i = 0; i < sizeof(mode_names) /
			    sizeof(mode_names[0]); i++)
				if (strcmp(optarg, mode_names[i]) == 0)
					break;
			if (i == sizeof(mode_names) / sizeof(mode_names[0]))
				errx(2, "-m: unknown mode %s", optarg);
			conf.mode = (enum mode)i;
			break;
		case 'n':
			conf.nservers = parse_num("-n", optarg, 0, 4000000);
			break;
		case 'P':
			if (strlen(optarg) == 0 || strlen(optarg) > 7 ||
			    strpbrk(optarg, " \\;\"") != NULL)
				errx(2, "-P: bad protocol \"%s\"", optarg);
			conf.protocol = optarg;
			break;
		case 'p':
			conf.port = (uint16_t)parse_num("-p", optarg, 1,
			    65535);
			break;
		case 'R':
			conf.reheartbeat = parse_secs("-R", optarg);
			break;
		case 'r':
			conf.rate = parse_num("-r", optarg, 0, 100000000);
			break;
		case 's':
			conf.settle = parse_secs("-s", optarg);
			break;
		case 't':
			conf.timeout_ms = parse_num("-t", optarg, 1, 60000);
			break;
		case 'v':
			conf.verbose = 1;
			break;
		case 'W':
			conf.wsport = (uint16_t)parse_num("-W", optarg, 1,
			    65535);
			break;
		case 'w':
			conf.window = parse_num("-w", optarg, 1, 1000000);
			break;
		case 'X':
			conf.perip = parse_num("-X", optarg, 1, 1000000);
			break;
		case 'x':
			conf.naddrs = parse_num("-x", optarg, 1, 65024 * 4);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	/* Every sequence of addresses must stay in 127.0.0.0/8. */
	(void)seq_addr(conf.srvbase, conf.nservers);
	(void)seq_addr(conf.srcbase, conf.nclients + conf.naddrs);
	sin_set(&master_sin, conf.master, conf.port);
	rng_state = now_ns() ^ (uint64_t)getpid() << 32 ^
	    0x9e3779b97f4a7c15ULL;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	switch (conf.mode) {
	case M_SERVERS:
		run_servers();
		break;
	case M_GETSERVERS:
		run_getservers(0);
		break;
	case M_GETSERVERSEXT:
		run_getservers(1);
		break;
	case M_HEARTBEATS:
		run_heartbeats();
		break;
	case M_WS:
		run_ws();
		break;
	case M_STATS:
		run_stats();
		break;
	case M_ATTACK:
		run_attack();
		break;
	case M_RESPONDER:
		run_responder();
		break;
	case M_POLL:
		run_poll();
		break;
	}
	end_line();
	return (0);
}
