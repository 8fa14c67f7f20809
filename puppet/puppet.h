/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The puppet plugin: clones the server lists of other masters, every
 * clone challenged through add-server (man/tremmasterd-plugins.7).  It is
 * a mode of this binary (--proc puppet), started by the parent as a
 * plugin when --puppet-master or puppetmasters.txt names a remote master.
 */

#ifndef PUPPET_H
#define PUPPET_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "tremmasterd.h"

#define PUPPET_FILE		"puppetmasters.txt"
#define PUPPET_LABEL		"puppet"
#define PUPPET_DEFAULT_PORT	30710
#define PUPPET_DEFAULT_PROTOCOL	"71"
#define PUPPET_REMOTES_MAX	64	/* remote masters */
#define PUPPET_HOST_MAX		256	/* a host name, NUL included */
#define PUPPET_PATH_MAX		256	/* a WebSocket path, NUL included */
#define PUPPET_PROTO_MAX	8	/* a game protocol, NUL included */
#define PUPPET_LINE_MAX		1024	/* a line of puppetmasters.txt */

/* How a remote master is asked. */
enum puppet_conn {
	CONN_DEFAULT,		/* udp, or ws with --puppet-use-websocket */
	CONN_UDP,
	CONN_WS,
	CONN_WSS,
	CONN_AUTO		/* udp and ws at once, the first list wins */
};

struct puppet_remote {
	char		 host[PUPPET_HOST_MAX];
	uint16_t	 port;
	enum puppet_conn conn;
	char		 protocol[PUPPET_PROTO_MAX];	/* "" : the default */
	int		 ext;		/* getserversExt, else getservers */
	char		 path[PUPPET_PATH_MAX];	/* of a ws:// or wss:// URL */
	int		 line;		/* in puppetmasters.txt, or 0 */
};

/* puppet/remotes.c: the command line and puppetmasters.txt. */
int	remote_parse_line(const char *, struct puppet_remote *, char *,
	    size_t);
int	remote_parse_host(const char *, struct puppet_remote *, char *,
	    size_t);
int	remote_parse_url(const char *, uint16_t, struct puppet_remote *,
	    char *, size_t);
int	remotes_load(const char *, struct puppet_remote *, int *, char *,
	    size_t);
const char *remote_conn_name(enum puppet_conn);

/*
 * puppet/list.c: one packet of a remote master's answer, by a pure
 * parser: getserversResponse, getserversExtResponse (with its header) and
 * getserverswebResponse (host names, with or without a header).
 */
enum list_kind {
	LIST_PLAIN,
	LIST_EXT,
	LIST_WEB
};

#define LIST_NAME_MAX		256	/* a host name of a web entry, NUL */

struct list_entry {
	struct ipc_addr	 addr;		/* family 0 for a web entry */
	char		*name;		/* a web entry's host, into the packet
					   copy the caller gave; else NULL */
};

struct list_packet {
	enum list_kind	 kind;
	int		 has_header;	/* \0<index>\0<total>\0<label> */
	int		 index, total;	/* 1..total, when has_header */
	char		 label[MAX_LABEL];
	int		 eot;		/* ended with EOT: the last packet */
	int		 bad;		/* stopped at bytes it could not read */
	size_t		 nentries;
};

/*
 * Parse buf (len bytes) into p, calling cb for each entry; with a
 * callback the parser ends each web name with a NUL written into buf, and
 * without one it leaves buf alone.  Returns 0, or -1 when the packet is
 * not a server list at all.
 */
int	list_parse(u_char *, size_t, struct list_packet *,
	    void (*)(const struct list_entry *, void *), void *);

/* puppet/puppet.c */
struct options;
void	puppet_main(const struct options *) __dead;

#endif /* PUPPET_H */
