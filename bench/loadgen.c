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
 *                  correct infoResponses, checked with getserversExt, then
 *                  kept answering until the end of the run.
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
#define SERVER_PORT	30720		/* port of every fake game server */
#define PKT_BUF		8192		/* receive buffer of a datagram */
#define BATCH		64		/* datagrams a recvmmsg/sendmmsg */
#define MAX_EVENTS	512
#define MAX_LATENCIES	(16 * 1024 * 1024)
#define VERIFY_WAIT_NS	(2 * NS)	/* a verification query may take */
#define RETRY_NS	NS		/* heartbeat without getinfo: again */
#define NS		1000000000ULL
#define MS		1000000ULL
#define WS_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_CONNECTING	64		/* connections being opened at once */
#define WS_BUF_MAX	(256 * 1024)	/* largest input buffered */

enum mode {
	M_SERVERS,
	M_GETSERVERS,
	M_GETSERVERSEXT,
	M_HEARTBEATS,
	M_WS,
	M_STATS,
	M_ATTACK,
	M_RESPONDER
};

static const char *mode_names[] = {
	"servers", "getservers", "getserversext", "heartbeats", "ws",
	"stats", "attack", "responder"
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
	long		 rate;		/* open loop: messages a second, 0: max */
	long		 window;	/* heartbeats awaiting a getinfo */
	long		 timeout_ms;	/* closed loop: a request may take */
	double		 duration;
	double		 settle;	/* seconds to register and verify */
	double		 hold;		/* ws: seconds to hold idle */
	double		 reheartbeat;	/* servers: seconds between rounds */
	pid_t		 watch;		/* its VmRSS is reported */
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
	int		 ep;
	int		 vfd;		/* verification client */
	int		 vbusy;
	int		 verified;
};

#define FS_IDLE		0
#define FS_SENT		1
#define FS_ANSWERED	2

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
static size_t	 inforesponse(char *, size_t, long, const char *, size_t);
static int	 is_getinfo(const uint8_t *, size_t, const char **,
		    size_t *);
static void	 farm_open(struct farm *, long, uint32_t, int);
static void	 farm_close(struct farm *);
static void	 farm_heartbeat(struct farm *, long);
static void	 farm_read(struct farm *, long);
static void	 farm_pump(struct farm *, uint64_t);
static void	 farm_verify_send(struct farm *, uint64_t);
static void	 farm_verify_read(struct farm *, uint64_t);
static void	 farm_dispatch(struct farm *, int);
static int	 farm_register(struct farm *, uint64_t);
static int	 farm_check(struct farm *, uint64_t);
static void	 run_servers(void);
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
	    "usage: loadgen -m mode [-A master] [-a srvbase] [-b srcbase] "
	    "[-C cport]\n"
	    "               [-c clients] [-d seconds] [-H hold] [-k conns] "
	    "[-M pid]\n"
	    "               [-n servers] [-P protocol] [-p port] [-R secs] "
	    "[-r rate]\n"
	    "               [-s settle] [-t ms] [-W wsport] [-w window] "
	    "[-X perip]\n"
	    "               [-x addrs] [-v]\n"
	    "modes: servers getservers getserversext heartbeats ws stats "
	    "attack responder\n");
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
		    (v->strict && total != list_packets(v->n)))
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

static int
vr_good(const struct verifier *v)
{
	return (v->error == NULL && v->dupes == 0 && v->foreign == 0 &&
	    v->nseen == v->n);
}

static const char *
vr_why(const struct verifier *v)
{
	if (v->error != NULL)
		return (v->error);
	if (v->dupes > 0)
		return ("duplicate_servers");
	if (v->foreign > 0)
		return ("foreign_servers");
	if (v->nseen != v->n)
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
	    "timeouts=%llu strays=%llu first_error=%s\n",
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
	    "bytes_out=%llu bytes_in=%llu amplification=%.1f\n",
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
	int			 fd, n, j, e, sent;

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
					for (sent = 0; sent < ns; sent +=
					    (int)i)
						if ((i = sendmmsg(fd,
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
		for (sent = 0; sent < ns; sent += (int)i)
			if ((i = sendmmsg(fd, smsg + sent, ns - sent, 0)) <= 0)
				break;
		npk += ns;
	}
	printf("mode=responder servers=%ld duration=%.3f requests=%llu "
	    "packets=%llu ignored=%llu\n", conf.nservers,
	    (double)(now - start) / NS, (unsigned long long)nreq,
	    (unsigned long long)npk, (unsigned long long)nbad);
	close(fd);
	for (e = 0; e < 2; e++) {
		free(pbuf[e]);
		free(piov[e]);
	}
	free(smsg);
}
