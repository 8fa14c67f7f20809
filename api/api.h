/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The REST API plugin (the Python master's SleepyTeePee, as a plugin
 * process of man/tremmasterd-plugins.7): a mode of this binary (--proc
 * api) that the parent starts, as an admin plugin, when an --api-* option
 * or SLEEPYTEEPEE_API_KEYS is given.  It answers HTTP on the sockets the
 * parent bound, from its own copy of netd's table kept from the reports;
 * its writes are admin requests that the parent checks and applies.
 */

#ifndef API_H
#define API_H

#include <sys/types.h>
#include <sys/tree.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tremmasterd.h"

struct options;

#define API_KEYS_ENV		"SLEEPYTEEPEE_API_KEYS"
#define API_KEYS_MAX		64	/* keys, all sources together */
#define API_KEY_MAX		256	/* bytes of a key */
#define API_KEY_SHORT		16	/* ... shorter is said to be weak */
#define API_LISTEN_MAX		8	/* sockets of --api-host */
#define API_CONF_FD		4	/* the parent's pipe: sockets, keys */
#define API_SOCK_FD		5	/* the first listening socket */
#define API_FD_MAX		1024	/* descriptors: connections, mostly */
#define CONNS_PER_ADDR		64	/* connections from one client */
#define REQUEST_DEADLINE	10000	/* ms to send a whole request */
#define QUEUED_MAX		(32 * 1024 * 1024) /* bytes of answers */
#define QUEUED_PER_GROUP	(QUEUED_MAX / 8)   /* ... of one client */

/* Bytes kept of a server's fields, as netd's reports give them. */
#define API_PROTOCOLS_MAX	40	/* 4 protocols of 7, commas */
#define API_FIELD_MAX		32	/* game, gamename, mapname */
#define API_HOSTNAME_MAX	128
#define API_LABEL_MAX		(MAX_LABEL * 2)	/* as UTF-8 */

/* A server of netd's table, from the server reports. */
struct api_server {
	RB_ENTRY(api_server)	 entry;
	struct ipc_addr		 addr;
	int			 ws;
	char			 label[API_LABEL_MAX];	/* UTF-8 */
	char			 protocols[API_PROTOCOLS_MAX];
	unsigned int		 clients, maxclients;
	int64_t			 first, last;	/* unix seconds */
	size_t			 game_len, gamename_len, mapname_len,
				 hostname_len;
	u_char			 game[API_FIELD_MAX];
	u_char			 gamename[API_FIELD_MAX];
	u_char			 mapname[API_FIELD_MAX];
	u_char			 hostname[API_HOSTNAME_MAX];
};
RB_HEAD(api_table, api_server);
RB_PROTOTYPE(api_table, api_server, entry, api_server_cmp)
int	api_server_cmp(struct api_server *, struct api_server *);

/* The data files as netd loaded them, from the files reports. */
#define API_IGNORE_KEPT		100000	/* entries kept; the rest counted */
#define API_ENTRY_MAX		48	/* "ffff:...:ffff/128", NUL */

struct api_featured {
	char			 label[API_LABEL_MAX];	/* UTF-8 */
	struct ipc_addr		 addr;
};

struct api_files {
	char			 motd[MAX_MOTD];
	struct api_featured	*featured;
	size_t			 nfeatured;
	char			(*ignore)[API_ENTRY_MAX];
	size_t			 nignore;	/* kept */
	size_t			 ignore_total;	/* in the file */
	int			 loaded;	/* a files-end came */
};

/* A line of the daemon's log, from the log reports. */
#define API_LOG_KEPT		1000
#define API_LOG_LINE_MAX	512

struct api_log {
	time_t			 time;
	int			 level;		/* LOGLEVEL_* */
	char			 proc[16];
	char			 msg[API_LOG_LINE_MAX];
};

/* What the HTTP side reads of the process (api/api.c). */
struct api_state {
	struct api_table	 table;
	size_t			 nservers, nws;
	uint64_t		 list_generation; /* +1 when a server comes,
						    goes, or changes more
						    than its last answer */
	struct api_files	 files;
	struct api_log		 logs[API_LOG_KEPT];
	size_t			 nlogs, log_next;
	int			 initialized;	/* config|1|initialize seen */
	time_t			 started;
	/* From the command line, for /api/info and the status page. */
	const struct options	*opts;
};

extern struct api_state	 api;

/* An answer from netd to one of our requests: "ok|..." or "error|...". */
typedef void	(*api_answer_cb)(void *, int, char **, int);

/* api/api.c */
void	api_main(const struct options *) __dead;
int	api_request(api_answer_cb, void *, const char *, ...)
	    __attribute__((__format__ (printf, 3, 4)));
const char *api_level_name(int);
int	api_level_parse(const char *);

/* api/http.c */
struct event_base;
struct api_keys;
void	http_init(struct event_base *, const int *, int, struct api_keys *,
	    int);
void	http_stop(void);
void	api_group(const struct ipc_addr *, struct ipc_addr *);

/* api/conns.c: the connections, bounded. */
struct api_http_stats;
struct bufferevent;
struct evhttp_request;
struct conn_ref {
	int		 fd;
	uint32_t	 gen;
};
void	conns_init(struct api_http_stats *);
void	conns_stop(void);
void	conns_accepted(struct bufferevent *);
int	conns_request(struct evhttp_request *, struct conn_ref *);
int	conns_may_queue(const struct conn_ref *, size_t);
void	conns_answered(const struct conn_ref *, size_t, const void *);
int	conns_room(void);
void	conns_shared_replaced(const void *, size_t);

/* api/keys.c: the keys, kept as digests and compared in constant time. */
struct api_keys	*keys_new(void);
int	keys_add(struct api_keys *, const char *, size_t);
size_t	keys_count(const struct api_keys *);
int	keys_match(const struct api_keys *, const char *, size_t);
int	keys_parse_list(struct api_keys *, const char *, char *, size_t);
int	keys_check(const char *, size_t, char *, size_t);

/*
 * api/render.c: the bodies, by pure functions of the state, so that the
 * unit tests and the fuzzer can drive them.
 */
struct evbuffer;
struct api_filter {
	char		 protocol[8];	/* "" : any */
	char		 label[API_LABEL_MAX];
	int		 has_label;
	int		 empty;		/* -1 any, 0 not empty, 1 empty */
	int		 full;		/* the same for full */
};
int	render_servers_json(struct evbuffer *, const struct api_table *,
	    const struct api_filter *, time_t);
int	render_status_html(struct evbuffer *, const struct api_state *,
	    time_t);
int	render_rss(struct evbuffer *, const struct api_table *, const char *,
	    time_t);

/* The HTTP side's own counters, since start. */
struct api_http_stats {
	uint64_t	 requests, limited, unauthorized, not_modified;
	uint64_t	 by_class[6];	/* 1xx .. 5xx */
	uint64_t	 conns_refused;	/* CONNS_PER_ADDR */
	uint64_t	 deadline;	/* REQUEST_DEADLINE */
	uint64_t	 queue_full;	/* QUEUED_MAX */
};
void	render_metrics(struct evbuffer *, const struct api_state *,
	    const char *, char **, int, const struct api_http_stats *);
void	render_utf8(const u_char *, size_t, char *, size_t);
void	render_text(const u_char *, size_t, char *, size_t);
void	render_html_escape(struct evbuffer *, const char *);
void	render_apitest(struct evbuffer *, int);

#endif /* API_H */
