/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Parse the WebSocket opening handshake: a GET with Upgrade: websocket,
 * Connection: Upgrade, a Sec-WebSocket-Key of 16 bytes in base64 and
 * Sec-WebSocket-Version 13.  The first offered subprotocol is echoed, as
 * the Python master did.  Anything else is answered with an HTTP error.
 * The forwarding header a trusted proxy adds (X-Forwarded-For or
 * Forwarded) is kept for ws.c, its fields joined by commas as RFC 9110
 * 5.3 joins them.
 */

#include "compat.h"

#include <sys/types.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sha1.h>

#include "base64.h"
#include "ws_http.h"

#define WS_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static int	has_token(const char *, size_t, const char *);
static const char *trim(const char *, size_t *);
static int	is_token(const char *, size_t);

/* The Sec-WebSocket-Accept value for a key: base64(SHA-1(key GUID)). */
int
ws_accept_key(const char *key, size_t keylen, char *accept)
{
	SHA1_CTX	 ctx;
	u_char		 digest[SHA1_DIGEST_LENGTH];

	SHA1Init(&ctx);
	SHA1Update(&ctx, (const u_char *)key, keylen);
	SHA1Update(&ctx, (const u_char *)WS_GUID, strlen(WS_GUID));
	SHA1Final(digest, &ctx);
	if (base64_encode(digest, sizeof(digest), accept, WS_ACCEPT_LEN) == 0)
		return (-1);
	return (0);
}

/* An HTTP token (RFC 7230 tchar): what a subprotocol name may be. */
static int
is_token(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("!#$%&'*+-.^_`|~", s[i]) == NULL)
			return (0);
	return (1);
}

/* Strip blanks around a header value. */
static const char *
trim(const char *s, size_t *len)
{
	while (*len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		(*len)--;
	}
	while (*len > 0 && (s[*len - 1] == ' ' || s[*len - 1] == '\t'))
		(*len)--;
	return (s);
}

/* Does a comma-separated header value hold token (any case)? */
static int
has_token(const char *v, size_t len, const char *token)
{
	const char	*p, *end = v + len, *comma;
	size_t		 n, tlen = strlen(token);

	for (p = v; p < end; p = comma + 1) {
		if ((comma = memchr(p, ',', end - p)) == NULL)
			comma = end;
		n = comma - p;
		p = trim(p, &n);
		if (n == tlen && strncasecmp(p, token, n) == 0)
			return (1);
	}
	return (0);
}

/*
 * Returns 1 when a whole request was parsed (req->status says 101 or the
 * error), 0 when more bytes are needed, -1 when the request is too big.
 * The value of the header fwd names, if not NULL, is in req->forwarded.
 */
int
ws_http_parse(const char *buf, size_t len, const char *fwd,
    struct ws_request *req)
{
	const char	*end, *line, *eol, *colon, *v, *sp1, *sp2;
	size_t		 n, vlen, i;
	int		 upgrade = 0, connection = 0, version = 0, keys = 0;
	u_char		 raw[32];
	char		 key[64];

	memset(req, 0, sizeof(*req));
	if ((end = memmem(buf, len, "\r\n\r\n", 4)) == NULL)
		return (len >= WS_HTTP_MAX ? -1 : 0);
	req->length = end - buf + 4;
	req->status = 400;
	key[0] = '\0';

	/* Request line: GET <target> HTTP/1.1 */
	eol = memmem(buf, end - buf + 2, "\r\n", 2);
	n = eol - buf;
	for (i = 0; i < n; i++)
		if (buf[i] == '\0' || iscntrl((unsigned char)buf[i]))
			return (1);
	if ((sp1 = memchr(buf, ' ', n)) == NULL ||
	    (sp2 = memchr(sp1 + 1, ' ', eol - sp1 - 1)) == NULL)
		return (1);
	if (sp1 - buf != 3 || memcmp(buf, "GET", 3) != 0) {
		req->status = 405;
		return (1);
	}
	if (eol - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0 ||
	    !isdigit((unsigned char)sp2[8]) || sp2[8] == '0')
		return (1);

	for (line = eol + 2; line < end + 2; line = eol + 2) {
		eol = memmem(line, end + 2 - line, "\r\n", 2);
		n = eol - line;
		if ((colon = memchr(line, ':', n)) == NULL || colon == line)
			return (1);
		for (i = 0; i < n; i++)
			if (line[i] == '\0' || (iscntrl((unsigned char)line[i])
			    && line[i] != '\t'))
				return (1);
		v = colon + 1;
		vlen = eol - v;
		v = trim(v, &vlen);
		n = colon - line;
#define IS(name)	(n == strlen(name) && strncasecmp(line, name, n) == 0)
		if (IS("Upgrade"))
			upgrade |= has_token(v, vlen, "websocket");
		else if (IS("Connection"))
			connection |= has_token(v, vlen, "upgrade");
		else if (IS("Sec-WebSocket-Version"))
			version = vlen == 2 && memcmp(v, "13", 2) == 0 ? 1 : -1;
		else if (IS("Sec-WebSocket-Key")) {
			keys++;
			if (vlen < sizeof(key)) {
				memcpy(key, v, vlen);
				key[vlen] = '\0';
			}
		} else if (IS("Sec-WebSocket-Protocol") &&
		    req->protocol[0] == '\0') {
			/* The first offered subprotocol. */
			if ((colon = memchr(v, ',', vlen)) != NULL)
				vlen = colon - v;
			v = trim(v, &vlen);
			if (vlen > 0 && vlen < sizeof(req->protocol) &&
			    is_token(v, vlen)) {
				memcpy(req->protocol, v, vlen);
				req->protocol[vlen] = '\0';
			}
		} else if (fwd != NULL && IS(fwd)) {
			/* No room: a chain no proxy of ours makes. */
			n = req->forwardedlen;
			if (n + (n > 0) + vlen >= sizeof(req->forwarded)) {
				req->status = 431;
				return (1);
			}
			if (n > 0)
				req->forwarded[n++] = ',';
			memcpy(req->forwarded + n, v, vlen);
			req->forwardedlen = n + vlen;
			req->forwarded[req->forwardedlen] = '\0';
		}
#undef IS
	}
	if (!upgrade || !connection || keys != 1)
		return (1);
	if (version != 1) {
		req->status = 426;
		return (1);
	}
	if (base64_decode(key, strlen(key), raw, sizeof(raw)) != 16)
		return (1);
	if (ws_accept_key(key, strlen(key), req->accept) == -1)
		return (1);
	req->status = 101;
	return (1);
}

/* The answer to a parsed request; returns its length, 0 if no room. */
size_t
ws_http_response(const struct ws_request *req, char *buf, size_t len)
{
	int	 n;

	switch (req->status) {
	case 101:
		if (req->protocol[0] != '\0')
			n = snprintf(buf, len, "HTTP/1.1 101 Switching "
			    "Protocols\r\nUpgrade: websocket\r\nConnection: "
			    "Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
			    "Sec-WebSocket-Protocol: %s\r\n\r\n", req->accept,
			    req->protocol);
		else
			n = snprintf(buf, len, "HTTP/1.1 101 Switching "
			    "Protocols\r\nUpgrade: websocket\r\nConnection: "
			    "Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
			    req->accept);
		break;
	case 403:
		n = snprintf(buf, len, "HTTP/1.1 403 Forbidden\r\n"
		    "Content-Length: 0\r\nConnection: close\r\n\r\n");
		break;
	case 429:
		n = snprintf(buf, len, "HTTP/1.1 429 Too Many Requests\r\n"
		    "Content-Length: 0\r\nConnection: close\r\n\r\n");
		break;
	case 405:
		n = snprintf(buf, len, "HTTP/1.1 405 Method Not Allowed\r\n"
		    "Allow: GET\r\nContent-Length: 0\r\nConnection: close\r\n"
		    "\r\n");
		break;
	case 426:
		n = snprintf(buf, len, "HTTP/1.1 426 Upgrade Required\r\n"
		    "Sec-WebSocket-Version: 13\r\nContent-Length: 0\r\n"
		    "Connection: close\r\n\r\n");
		break;
	case 431:
		n = snprintf(buf, len, "HTTP/1.1 431 Request Header Fields "
		    "Too Large\r\nContent-Length: 0\r\nConnection: close\r\n"
		    "\r\n");
		break;
	default:
		n = snprintf(buf, len, "HTTP/1.1 400 Bad Request\r\n"
		    "Content-Length: 0\r\nConnection: close\r\n\r\n");
		break;
	}
	if (n < 0 || (size_t)n >= len)
		return (0);
	return ((size_t)n);
}
