/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The client's address as a trusted reverse proxy tells it: the PROXY
 * protocol header (HAProxy's specification, versions 1 and 2) before the
 * first byte of the connection, and the X-Forwarded-For or Forwarded
 * (RFC 7239) header of the upgrade request.  Pure functions: ws.c reads
 * the bytes and decides whom to trust.
 */

#ifndef PROXY_H
#define PROXY_H

#include <sys/types.h>

#include <stddef.h>

#include "options.h"
#include "tremmasterd.h"

#define PROXY_V1_MAX	107		/* the longest v1 line, CRLF included */
#define PROXY_V2_HDR	16		/* v2: signature, command, length */
#define PROXY_MAX	4096		/* v2: all of it, TLVs in, as nginx */
#define PROXY_FWD_MAX	512		/* bytes of a forwarding header */

/* What proxy_parse() found at the start of a connection. */
enum proxy_result {
	PROXY_MORE,		/* a header so far: all of it, more to come */
	PROXY_NONE,		/* no PROXY header: the request itself */
	PROXY_BAD,		/* a header that is not one */
	PROXY_LOCAL,		/* a header without an address to use */
	PROXY_ADDR		/* a header with the client's address */
};

enum proxy_result proxy_parse(const u_char *, size_t, size_t *,
		    struct ipc_addr *);
int		 proxy_forwarded(const char *, size_t, int,
		    int (*)(const struct ipc_addr *), struct ipc_addr *);
const char	*proxy_header_name(int);

#endif /* PROXY_H */
