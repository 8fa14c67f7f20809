/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The map of the daemon: its three processes, what they say to each other,
 * and what the parent calls in the children's code.
 *
 * The parent (master/, main() in master/master.c) parses the command line
 * and the data files, binds every socket, opens the TLS key pair and
 * checks the database, then starts two children from its own binary
 * (--proc netd, --proc logd): netd (netd/, netd_main()), chrooted and unprivileged, speaks the
 * game protocol over UDP and WebSocket and keeps the server table; logd
 * (logd/, logd_main()), chrooted to the data directory, owns the
 * statistics database.  The parent keeps serverlist.txt, reloads the data
 * files on SIGHUP and restarts a child that dies.
 *
 * The processes talk over socketpairs in framed messages (common/ipc.c):
 * the parent to each child on PARENT_SOCK_FILENO, and netd to logd on a
 * link the parent makes.  Each message below names its sender and its
 * receiver; its payload is a plain struct of fixed size, zeroed before it
 * is filled, and the receiver checks its size and content (ipc_check()).
 */

#ifndef TREMMASTERD_H
#define TREMMASTERD_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "compat.h"

struct options;

#define PARENT_SOCK_FILENO	3	/* a child's channel to the parent */

#define MAX_LABEL		32	/* featured label, NUL included */
#define MAX_MOTD		1024	/* motd text, NUL included */

enum ipc_type {
	IMSG_NONE,
	IMSG_SOCKET,		/* parent -> netd, fd: a listening socket */
	IMSG_LINK,		/* parent -> netd, logd, fd: netd-logd link */
	IMSG_RECONF_START,	/* parent -> netd: new data files follow */
	IMSG_RECONF_LABEL,	/* parent -> netd: featured group */
	IMSG_RECONF_FEATURED,	/* parent -> netd: address in the group */
	IMSG_RECONF_IGNORE,	/* parent -> netd: blacklisted range */
	IMSG_RECONF_MOTD,	/* parent -> netd: message of the day */
	IMSG_RECONF_END,	/* parent -> netd: swap in the new set */
	IMSG_SERVER,		/* parent <-> netd: a saved server address */
	IMSG_SERVERS_END,	/* parent <-> netd: end of the server list */
	IMSG_STARTUP,		/* parent -> netd, logd: configuration done */
	IMSG_STATUS,		/* parent -> netd, logd: log a status line */
	IMSG_SHUTDOWN,		/* parent -> netd, logd: finish and exit */
	IMSG_HELLO,		/* netd <-> logd: first message on the link */
	IMSG_STAT_CLIENT,	/* netd -> logd: a client record (getmotd) */
	IMSG_STAT_GAME,		/* netd -> logd: a game record (gamestat) */
	IMSG_TLS_CERT,		/* parent -> netd: part of the wss chain */
	IMSG_TLS_KEY,		/* parent -> netd: part of the wss key */
	IMSG_TLS_END,		/* parent -> netd: key pair complete */
	IMSG_PLUGIN,		/* parent -> netd, fd: a plugin's channel */
	IMSG_PLUGIN_END,	/* netd -> parent: end this plugin */
	IMSG_PLUGIN_ADMIN,	/* netd -> parent: a plugin's admin request */
	IMSG_PLUGIN_ANSWER,	/* parent -> netd: its answer */
	IMSG_LOG_LEVEL,		/* netd -> parent, logd: log lines wanted */
	IMSG_LOG,		/* parent, logd -> netd: a log line */
	IMSG_PLUGIN_PROCESSES,	/* netd -> parent: a plugin's processes */
	IMSG_PLUGIN_RSS,	/* parent -> netd: its answer */
	IMSG_MAX
};

/* Roles of the sockets the parent binds. */
enum sock_role {
	SOCK_REQUEST,		/* UDP request port (-p) */
	SOCK_CHALLENGE,		/* UDP challenge port (-P) */
	SOCK_WEBSOCKET,		/* TCP WebSocket listener (-W) */
	SOCK_ROLE_MAX
};

/* An IPv4 or IPv6 address with a port, both in network byte order. */
struct ipc_addr {
	uint8_t		family;		/* AF_INET or AF_INET6 */
	uint8_t		pad;
	uint16_t	port;
	uint8_t		addr[16];
};

struct ipc_socket {
	uint32_t	role;		/* enum sock_role */
	uint32_t	family;
	uint16_t	port;		/* host byte order */
	uint16_t	pad;
};

struct ipc_link {
	int32_t		peer_pid;	/* pid of the process at the other end */
};

struct ipc_label {
	char		label[MAX_LABEL];
};

struct ipc_ignore {
	struct ipc_addr	addr;
	uint8_t		prefixlen;
	uint8_t		pad[3];		/* netd: its place in the file */
};

struct ipc_motd {
	char		text[MAX_MOTD];
};

#define STAT_VERSION_MAX	128	/* client version, NUL included */
#define STAT_RENDERER_MAX	256	/* client renderer, NUL included */
#define STAT_GAME_MAX		2048	/* gamestat data */

struct ipc_stat_client {
	struct ipc_addr	addr;
	char		version[STAT_VERSION_MAX];
	char		renderer[STAT_RENDERER_MAX];
};

struct ipc_stat_game {
	struct ipc_addr	addr;
	int64_t		time;		/* unix seconds */
	uint16_t	len;
	uint8_t		pad[6];
	uint8_t		data[STAT_GAME_MAX];
};

#define TLS_CHUNK		8192	/* bytes of a key or chain a message */
#define TLS_FILE_MAX		(256 * 1024)

struct ipc_chunk {
	uint16_t	len;
	uint8_t		pad[2];
	uint8_t		data[TLS_CHUNK];
};

/*
 * Plugins (man/tremmasterd-plugins.7): programs the parent starts, each
 * with a socketpair as its standard input and output, whose other end
 * goes to netd in IMSG_PLUGIN.  id counts the plugins in command-line
 * order from 0 and stays the same when the parent starts one again.
 */
#define PLUGIN_MAX		16	/* --plugin and --plugin-admin */
#define PLUGIN_NAME_MAX		32	/* NUL included */
#define PLUGIN_ADMIN		0x01	/* --plugin-admin: admin requests */

struct ipc_plugin {
	uint32_t	id;
	uint32_t	gen;		/* which start of it */
	uint32_t	flags;		/* PLUGIN_ADMIN */
	char		name[PLUGIN_NAME_MAX];
};

/*
 * netd found the plugin broken, or lost its channel: the parent ends that
 * start of it (gen, from IMSG_PLUGIN), and starts it again.
 */
struct ipc_plugin_end {
	uint32_t	id;
	uint32_t	gen;
	char		reason[128];
};

/*
 * A plugin's admin request (man/tremmasterd-plugins.7), for the parent to
 * check and apply to the data files as SIGHUP would load them, and the
 * parent's answer.  token is the plugin's, NUL-terminated; arg and text
 * are NUL-terminated, the motd's text bytes as the plugin unescaped them.
 */
enum plugin_admin {
	ADMIN_IGNORE_ADD = 1,	/* arg: an ignore.txt entry */
	ADMIN_IGNORE_REMOVE,	/* arg: the same */
	ADMIN_FEATURED_SET,	/* arg: a group; text: host:port ... or "" */
	ADMIN_MOTD_SET,		/* text: the message */
	ADMIN_RELOAD,		/* as SIGHUP */
	ADMIN_SHUTDOWN		/* as SIGTERM, once answered */
};

#define PLUGIN_TOKEN_MAX	65	/* NUL included */
#define PLUGIN_ARG_MAX		256	/* an entry or a group, NUL included */
#define PLUGIN_TEXT_MAX		8192	/* addresses or motd, NUL included */

struct ipc_plugin_admin {
	uint32_t	id;		/* the plugin */
	uint32_t	serial;		/* its channel's, echoed in the answer */
	uint32_t	cmd;		/* enum plugin_admin */
	char		token[PLUGIN_TOKEN_MAX];
	char		arg[PLUGIN_ARG_MAX];
	char		text[PLUGIN_TEXT_MAX];
};

struct ipc_plugin_answer {
	uint32_t	id;
	uint32_t	serial;
	uint32_t	ok;		/* 1: done; 0: message says why not */
	char		token[PLUGIN_TOKEN_MAX];
	char		message[256];
};

/*
 * A plugin's processes request (any plugin may send it), and the parent's
 * answer: the resident memory of each process of the daemon it could
 * read, the parent first, then netd, logd and the running plugins in
 * their order.  ok is 0 when the parent is busy; n entries are filled.
 */
enum proc_kind {
	PROC_KIND_MASTER,
	PROC_KIND_NETD,
	PROC_KIND_LOGD,
	PROC_KIND_PLUGIN	/* name: the plugin's */
};

#define PROC_RSS_MAX		(3 + PLUGIN_MAX)

struct ipc_plugin_query {
	uint32_t	id;		/* the plugin */
	uint32_t	serial;		/* its channel's, echoed in the answer */
	char		token[PLUGIN_TOKEN_MAX];
	uint8_t		pad[3];
};

struct ipc_proc_rss {
	uint32_t	kind;		/* enum proc_kind */
	int32_t		pid;
	uint64_t	rss;		/* bytes */
	char		name[PLUGIN_NAME_MAX];
};

struct ipc_plugin_rss {
	uint32_t	id;
	uint32_t	serial;
	uint32_t	ok;		/* 0: busy */
	uint32_t	n;		/* entries of procs filled */
	char		token[PLUGIN_TOKEN_MAX];
	uint8_t		pad[7];
	struct ipc_proc_rss procs[PROC_RSS_MAX];
};

/*
 * The log stream of the plugins: netd tells the parent and logd the most
 * verbose level a plugin asked for (-1: none), and they send netd every
 * line at that level or more important, whatever their own verbosity.
 */
#define LOG_MSG_MAX		2000	/* a line, NUL included */

struct ipc_log_level {
	int32_t		level;
};

struct ipc_log {
	int32_t		level;
	char		msg[LOG_MSG_MAX];
};

/* The statistics files of each backend, in the data directory. */
#define SQLITE_FILE		"stats.db"
#define TDB_CLIENT_FILE		"clientStats.tdb"
#define TDB_GAME_FILE		"gameStats.tdb"

/* common/util.c */
const char	*ipc_typename(uint32_t);

/* netd/netd.c: the network process. */
void		 netd_main(const struct options *) __dead;

/* logd/logd.c: the statistics process. */
void		 logd_main(const struct options *) __dead;

/*
 * What the parent calls in the children's code before it starts them, to
 * turn a bad configuration into a start-up error on the terminal.
 */
/* netd/ws.c: the wss key pair, loaded as netd will load it. */
struct tls;
struct tls	*ws_tls_server(const u_char *, size_t, const u_char *, size_t,
		    char *, size_t);
/* logd/report.c: the -c report, and --create-db. */
int		 db_report(const char *, int);
int		 db_create(const char *, int);

#endif /* TREMMASTERD_H */
