/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * netd: the network process.  Cross-file API.
 */

#ifndef NETD_H
#define NETD_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <endian.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <event.h>

#include "tremmasterd.h"
#include "proto.h"

struct options;

/* A socket received from the parent. */
struct netsock {
	TAILQ_ENTRY(netsock)	 entry;
	struct event		 ev;
	int			 fd;
	int			 role;		/* enum sock_role */
	int			 family;
	uint16_t		 port;
};
TAILQ_HEAD(netsock_head, netsock);

struct ws_conn;
struct udp_batch;

/*
 * Where a datagram came from.  How to answer it is source.c's business
 * alone: src_answer() and the others choose between UDP and WebSocket.
 */
struct source {
	struct ipc_addr		 addr;
	uint32_t		 ws_id;		/* WebSocket: the connection's */
	struct ws_conn		*ws;		/* WebSocket: the connection */
	struct netsock		*sock;		/* UDP: the socket it came on */
	struct udp_batch	*batch;		/* UDP: answers wait here */
};

/*
 * The packets of one list answer, packet i ending at ends[i] in buf.  The
 * list cache holds a reference, and so does each UDP answer that waits in
 * a batch: a table that changes meanwhile encodes into a fresh one.
 */
struct list_packets {
	u_int			 refs;
	u_char			*buf;
	size_t			*ends;
	size_t			 n;
	size_t			 bufsize;
	size_t			 endsize;
};

/*
 * The order of two 16-byte addresses, as memcmp(3) would give it, in two
 * word compares: the server and address trees compare on every step of
 * every lookup, and a heartbeat flood makes one lookup per datagram.
 */
static inline int
addr16_cmp(const uint8_t *a, const uint8_t *b)
{
	uint64_t	 x, y;

	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	if (x == y) {
		memcpy(&x, a + 8, sizeof(x));
		memcpy(&y, b + 8, sizeof(y));
		if (x == y)
			return (0);
	}
	return (be64toh(x) < be64toh(y) ? -1 : 1);
}

#define SV_EMPTY	0x01
#define SV_FULL		0x02

/* Counts per IP address, for the per-address limits (ipcount.c). */
struct ipcount {
	RB_ENTRY(ipcount)	 entry;
	uint8_t			 family;
	uint8_t			 addr[16];
	uint32_t		 count;
};
RB_HEAD(ipcount_tree, ipcount);
RB_PROTOTYPE(ipcount_tree, ipcount, entry, ipcount_cmp)

/*
 * A listed server: an entry exists only once a challenge was answered.
 * A flatline starts a probe: challenges every PROBE_INTERVAL until one is
 * answered, and the server goes only when PROBE_COUNT went unanswered.
 */
struct server {
	RB_ENTRY(server)	 entry;
	struct ipc_addr		 addr;
	uint8_t			 ws;		/* came over WebSocket */
	uint8_t			 flags;
	uint8_t			 nprotocols;
	uint8_t			 probes;	/* probe challenges sent */
	uint32_t		 ws_id;		/* its connection, 0: none */
	struct ipcount		*ip;
	int64_t			 timeout;	/* removed then, ms */
	int64_t			 probe_next;	/* ms, 0: not probing */
	int64_t			 challenged;	/* ms challenge_tokens count to */
	int64_t			 stat_last;	/* ms stat_tokens count to */
	uint32_t		 stat_tokens;	/* gamestat budget */
	uint32_t		 challenge_tokens;	/* heartbeats challenged */
	uint8_t			 answers_due;	/* challenges sent, unanswered */
	int16_t			 label;		/* featured group, or -1 */
	int16_t			 plabel;	/* add-server label, or -1 */
	char			 protocols[PROTO_MAX][PROTO_LEN];
	struct info_details	 details;	/* of its last infoResponse */
	int64_t			 first;		/* verified first, unix s */
	int64_t			 last;		/* verified last, unix s */
};

/* Why a server leaves the table (servers.c), as reports say it. */
enum sv_gone {
	GONE_TIMEOUT,
	GONE_FLATLINE,
	GONE_IGNORED
};

#define PLUGIN_LABELS_MAX	32	/* add-server labels, all plugins */

struct featured_addr {
	struct ipc_addr		 addr;
	size_t			 label;		/* index into labels */
};

/* ignore.txt sorted, one group a prefix length (ignore.c). */
struct ignore_group {
	uint8_t			 family;
	uint8_t			 prefixlen;
	size_t			 start;		/* first entry */
	size_t			 n;
};
struct ignore_index {
	const struct ipc_ignore	*entries;
	struct ignore_group	 groups[33 + 129];
	size_t			 ngroups;
};

/* The data files, as pushed by the parent. */
struct netd_files {
	struct ipc_label	*labels;
	size_t			 nlabels;
	struct featured_addr	*featured;
	size_t			 nfeatured;
	struct ipc_ignore	*ignore;
	size_t			 nignore;
	char			 motd[MAX_MOTD];
};

/* Settings from the command line. */
struct netd_conf {
	int			 max_servers;
	int			 max_per_ip;
	int			 challenge_timeout;
	int			 server_timeout;
	int			 throttle_burst;
	int			 throttle_rate;
	int			 ipv6_prefix;
	int			 answer_budget;		/* KiB/s, 0: none */
	int			 challenge_burst;	/* 0: no limit */
	int			 ws_max_conns;
	int			 ws_max_per_ip;		/* 0: no limit */
	int			 ws_handshake_timeout;	/* seconds */
	int			 ws_idle_timeout;	/* seconds */
	int			 ws_max_message;	/* bytes */
};

/* Drops at the limits, summed up in the log once a minute. */
struct netd_drops {
	uint64_t		 servers;	/* refused at -n or per address */
	uint64_t		 challenges;	/* not sent: per destination */
	uint64_t		 throttled;	/* requests over the throttle */
	uint64_t		 budget;	/* answers over --answer-budget */
	uint64_t		 gamestats;	/* not from a server, over budget */
	uint64_t		 stats;		/* records logd could not take */
};

/*
 * The messages taken, UDP datagrams and WebSocket messages together, by
 * their command (handlers.c), and the challenges sent: since start.
 */
struct netd_taken {
	uint64_t		 heartbeats;
	uint64_t		 flatlines;
	uint64_t		 getservers;
	uint64_t		 getserversext;
	uint64_t		 getmotd;
	uint64_t		 gamestats;
	uint64_t		 inforesponses;
	uint64_t		 bad;		/* no header, unknown, wrong port */
	uint64_t		 challenges;	/* sent */
};

/* Token buckets per address in a set-associative table (ratelimit.c). */
#define RL_WAYS		4
struct rl_bucket;
struct ratelimit {
	struct rl_bucket	*buckets;
	size_t			 nsets;
	uint32_t		 burst;		/* 0: no limit */
	uint32_t		 rate;		/* tokens a second */
	int			 fail_open;	/* no room: let it through */
	u_char			 key[16];	/* SipHash key */
};

extern struct netsock_head	 netd_socks;
extern struct netd_conf		 netd_conf;
extern struct netd_drops	 netd_drops;
extern struct netd_files	 netd_files;
extern struct ignore_index	 netd_ignore;

/* netd.c */
void	netd_parent_send(uint32_t, const void *, size_t);
void	netd_log_level(int);
void	netd_stat_client(const struct ipc_addr *, const char *, const char *);
void	netd_stat_game(const struct ipc_addr *, const u_char *, size_t);
int64_t	netd_now(void);
void	netd_drops_total(struct netd_drops *);

/* ws.c */
void	ws_tls_init(const u_char *, size_t, const u_char *, size_t);
void	ws_proxy_init(const struct ipc_ignore *, size_t, int);
void	ws_listen(struct netsock *);
void	ws_adopt(int, const struct ipc_addr *, struct netsock *);
void	ws_send(struct ws_conn *, const void *, size_t);
struct ws_conn *ws_find(uint32_t);
uint32_t ws_id(const struct ws_conn *);
void	ws_counts(size_t *, uint64_t *);

/* udp.c */
void	udp_start(struct netsock *);
void	udp_send(struct udp_batch *, struct netsock *, const struct ipc_addr *,
	    const void *, size_t);
void	udp_send_list(struct udp_batch *, struct netsock *,
	    const struct ipc_addr *, struct list_packets *);
struct netsock *udp_challenge_sock(int);

/* source.c */
void	src_udp(struct source *, const struct ipc_addr *, struct netsock *,
	    struct udp_batch *);
void	src_ws(struct source *, struct ws_conn *, const struct ipc_addr *);
int	src_server(struct source *, const struct server *);
int	src_answer(const struct source *, const void *, size_t, int64_t);
int	src_answer_list(const struct source *, struct list_packets *, int64_t);
void	src_challenge(const struct source *, const void *, size_t);

/* handlers.c */
void	handle_packet(const struct source *, const u_char *, size_t);
void	handle_saved_server(const struct ipc_addr *);
int	handle_add_server(const struct ipc_addr *, int64_t, const char **);
int	handle_flatline(const struct ipc_addr *, const char *, int64_t);
void	handle_filtered(enum plp_kind, const struct source *,
	    const u_char *, size_t);
void	handle_tick(int64_t);
const struct netd_taken *handle_taken(void);

/* plugin.c */
void	plugin_attach(const struct ipc_plugin *, int);
void	plugin_startup(void);
void	plugin_files_reload(void);
void	plugin_shutdown(void);
void	plugin_tick(int64_t);
void	plugin_server_add(const struct server *);
void	plugin_server_update(const struct server *);
void	plugin_server_remove(const struct server *, enum sv_gone);
void	plugin_log(const char *, int, const char *);
void	plugin_admin_answer(const struct ipc_plugin_answer *);
void	plugin_processes_answer(const struct ipc_plugin_rss *);
int	plugin_filter(enum plp_kind, const struct source *,
	    const u_char *, size_t);
int	plugin_take_label(const struct ipc_addr *);
int	plugin_nlabels(void);
const char *plugin_label(int);

/* ignore.c */
#define IGNORE_POSITIONS	(1 << 24)	/* entries: places in 24 bits */
int	ignore_match(const struct ipc_addr *);
void	ignore_index_build(struct ignore_index *, struct ipc_ignore *, size_t);
uint32_t *ignore_order(const struct ipc_ignore *, size_t);
int	ignore_index_match(const struct ignore_index *,
	    const struct ipc_addr *);

/* challenge.c */
void	challenge_init(void);
void	challenge_make(const struct ipc_addr *, uint32_t, int64_t, char *);
int	challenge_check(const struct ipc_addr *, uint32_t, int64_t,
	    const char *);

/* servers.c */
struct server	*sv_lookup(const struct ipc_addr *, int);
struct server	*sv_create(const struct ipc_addr *, int, const char **);
int		 sv_update(struct server *, const struct inforesp *);
void		 sv_remove(struct server *, enum sv_gone, const char *);
void		 sv_changed(void);
void		 sv_expire(int64_t, void (*)(struct server *, int64_t));
void		 sv_relabel(void);
void		 sv_drop_ignored(void);
size_t		 sv_count(void);
size_t		 sv_count_ws(void);
struct server	*sv_after(const struct ipc_addr *, int);
void		 sv_foreach(void (*)(struct server *, void *), void *);
struct list_packets *sv_list(const struct gs_query *);
struct list_packets *lp_hold(struct list_packets *);
void		 lp_release(struct list_packets *);

/* ipcount.c */
void		 ip_group(const struct ipc_addr *, struct ipc_addr *);
uint32_t	 ipcount_get(struct ipcount_tree *, const struct ipc_addr *);
struct ipcount	*ipcount_take(struct ipcount_tree *, const struct ipc_addr *);
void		 ipcount_put(struct ipcount_tree *, struct ipcount *);

/* ratelimit.c */
void	rl_init(struct ratelimit *, size_t, uint32_t, uint32_t);
int	rl_allow(struct ratelimit *, const struct ipc_addr *, int64_t);
uint32_t rl_tokens(struct ratelimit *, const struct ipc_addr *, int64_t);

/* throttle.c */
void	throttle_init(void);
int	throttle_allow(const struct ipc_addr *, int64_t);
int	throttle_challenge(const struct ipc_addr *, int64_t);
int	throttle_budget(size_t, int64_t);

#endif /* NETD_H */
