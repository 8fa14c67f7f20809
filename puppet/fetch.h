/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * puppet/fetch.c: one request for a remote master's list, on libevent.
 */

#ifndef PUPPET_FETCH_H
#define PUPPET_FETCH_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "puppet.h"

#define FETCH_PKT_MAX		16384	/* a datagram or message; clients
					   read no more */
#define FETCH_BYTES_MAX		(4 * 1024 * 1024)	/* an answer */
#define FETCH_ENTRIES_MAX	16384	/* entries of an answer */
#define FETCH_INDEX_MAX		256	/* packets of an Ext answer */

enum fetch_status {
	FETCH_COMPLETE,		/* every packet, or a pause after the last */
	FETCH_PARTIAL,		/* cut, garbled, or some packets missing */
	FETCH_FAILED		/* no list at all */
};

struct fetch_name {
	char		*name;		/* a host name of a web entry */
	uint16_t	 port;		/* network order */
};

struct fetch_result {
	enum fetch_status	 status;
	struct ipc_addr		*entries;
	size_t			 nentries;
	struct fetch_name	*names;
	size_t			 nnames;
	size_t			 packets;	/* lists read */
	size_t			 junk;		/* messages that were not */
	size_t			 bytes;
	size_t			 skipped_label;	/* under the puppet label */
	int			 garbled;
	int			 cut;
	int			 ended;		/* its end was seen */
	char			 error[128];
};

struct fetch;
struct tls_config;
typedef void (*fetch_cb)(struct fetch *, void *);

struct fetch	*fetch_start(const struct puppet_remote *, enum puppet_conn,
		    const struct ipc_addr *, const char *, int,
		    struct tls_config *, fetch_cb, void *);
void		 fetch_cancel(struct fetch *);
struct fetch_result *fetch_result(struct fetch *);
void		 fetch_result_clear(struct fetch_result *);
enum puppet_conn fetch_conn(const struct fetch *);
const char	*fetch_status_name(enum fetch_status);

#endif /* PUPPET_FETCH_H */
