/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The HTTP/1.1 upgrade that opens a WebSocket (RFC 6455 section 4):
 * parsed by a pure function, answered with a built response.
 */

#ifndef WS_HTTP_H
#define WS_HTTP_H

#include <sys/types.h>

#include <stddef.h>

#define WS_HTTP_MAX		4096	/* bytes of request we read */
#define WS_PROTOCOL_MAX		64	/* subprotocol echoed, NUL included */
#define WS_ACCEPT_LEN		29	/* base64 of SHA-1, NUL included */
#define WS_FORWARDED_MAX	512	/* bytes of a forwarding header */

struct ws_request {
	int	 status;		/* 101, or the error to answer */
	size_t	 length;		/* bytes of the request, with \r\n\r\n */
	char	 accept[WS_ACCEPT_LEN];
	char	 protocol[WS_PROTOCOL_MAX];
	char	 forwarded[WS_FORWARDED_MAX];	/* the header asked for */
	size_t	 forwardedlen;			/* 0: none */
};

int	ws_http_parse(const char *, size_t, const char *, struct ws_request *);
size_t	ws_http_response(const struct ws_request *, char *, size_t);
int	ws_accept_key(const char *, size_t, char *);

#endif /* WS_HTTP_H */
