/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Helpers shared by the three processes: addresses, names of things, and
 * the privilege drop.
 */

#ifndef UTIL_H
#define UTIL_H

#include <sys/types.h>
#include <sys/socket.h>

#include <pwd.h>

struct ipc_addr;

/* Room for "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535". */
#define ADDRSTRLEN	64

const char	*addr_str(const struct ipc_addr *, char *, size_t);
const char	*addr_host(const struct ipc_addr *, char *, size_t);
int		 addr_from_sa(struct ipc_addr *, const struct sockaddr *);
socklen_t	 addr_to_sa(const struct ipc_addr *, struct sockaddr_storage *);
int		 addr_parse(const char *, struct ipc_addr *);
const u_char	*addr_v4(const struct ipc_addr *, int);
int		 addr_scope(const struct ipc_addr *, int);
const char	*family_name(int);
void		 privdrop(const struct passwd *, const char *);
void		 proc_start(const char *, int, int, const char *,
		    const char *);
int		 utf8_valid(const u_char *, size_t);
int		 seterr(char *, size_t, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));

#endif /* UTIL_H */
