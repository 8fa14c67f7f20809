/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * libFuzzer harness for netd/ws_http.c and common/base64.c.  Every input
 * is what a WebSocket client sent before our answer: it goes through
 * ws_http_parse() as netd hands it over, the result is checked against
 * what the parser promises (the return value, a length that stops at the
 * first blank line, a known status, a well-formed accept and protocol,
 * the same answer from the request alone), and the answer netd would send
 * is built in a buffer of its exact size and checked for a clean HTTP
 * head.  The input also goes through base64: decode(encode(x)) == x, and
 * the decoder on the raw bytes.  A broken promise aborts.
 */

#include "compat.h"

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "ws_http.h"

#define CHECK(e) do {							\
	if (!(e))							\
		abort();						\
} while (0)

/* The largest answer: a 101 with the longest protocol. */
#define RESPONSE_MAX	512

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void	*xmalloc(size_t);
static void	 check_base64_string(const char *, size_t);
static void	 check_request(const char *, size_t, struct ws_request *);
static void	 check_response(const struct ws_request *);
static void	 check_base64(const u_char *, size_t);
static void	 check_accept(const u_char *, size_t);

/* malloc() that never returns NULL, not even for 0 bytes. */
static void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		abort();
	return (p);
}

/*
 * len bytes (not a C string) of the alphabet, then at most two '=' that
 * end them.
 */
static void
check_base64_string(const char *s, size_t len)
{
	size_t	 i, pad = 0;

	CHECK(len % 4 == 0);
	for (i = 0; i < len; i++) {
		if (s[i] == '=') {
			pad++;
			continue;
		}
		CHECK(pad == 0);
		CHECK(s[i] != '\0' && strchr(b64, s[i]) != NULL);
	}
	CHECK(pad <= 2);
}

/*
 * The parse of a whole input.  Whether a request is there depends only on
 * the first "\r\n\r\n" and the size; once it is, the bytes after it make
 * no difference.
 */
static void
check_request(const char *buf, size_t len, struct ws_request *req)
{
	struct ws_request	 again;
	const char		*end;
	size_t			 i;
	int			 r;

	r = ws_http_parse(buf, len, "X-Forwarded-For", req);
	CHECK(r == -1 || r == 0 || r == 1);
	end = memmem(buf, len, "\r\n\r\n", 4);
	if (r != 1) {
		CHECK(end == NULL);
		CHECK(r == (len >= WS_HTTP_MAX ? -1 : 0));
		/* As netd does. */
		if (r == -1)
			req->status = 431;
		else
			req->status = 0;
		return;
	}
	CHECK(end != NULL);
	CHECK(req->length <= len);
	CHECK(req->length == (size_t)(end - buf) + 4);
	CHECK(req->status == 101 || req->status == 400 ||
	    req->status == 405 || req->status == 426 || req->status == 431);
	/* The forwarding header, joined, fits with its NUL. */
	CHECK(req->forwardedlen < sizeof(req->forwarded));
	if (req->forwardedlen > 0)
		CHECK(req->forwarded[req->forwardedlen] == '\0' &&
		    strlen(req->forwarded) <= req->forwardedlen);

	CHECK(memchr(req->protocol, '\0', sizeof(req->protocol)) != NULL);
	/*
	 * No control characters but tab: ws_http.c keeps a tab inside a
	 * subprotocol ("a\tb, c" gives "a\tb"), which is not a token but
	 * cannot break the answer's framing.
	 */
	for (i = 0; req->protocol[i] != '\0'; i++)
		CHECK(req->protocol[i] == '\t' ||
		    ((u_char)req->protocol[i] >= 0x20 &&
		    req->protocol[i] != 0x7f));
	if (req->protocol[0] != '\0') {
		CHECK(req->protocol[0] != ' ' && req->protocol[0] != '\t');
		CHECK(strchr(req->protocol, ',') == NULL);
	}
	if (req->status == 101) {
		CHECK(memchr(req->accept, '\0', sizeof(req->accept)) != NULL);
		CHECK(strlen(req->accept) == WS_ACCEPT_LEN - 1);
		check_base64_string(req->accept, WS_ACCEPT_LEN - 1);
		CHECK(req->accept[WS_ACCEPT_LEN - 2] == '=');
		CHECK(req->accept[WS_ACCEPT_LEN - 3] != '=');
		CHECK(len >= strlen("GET / HTTP/1.1\r\n\r\n"));
		CHECK(memcmp(buf, "GET ", 4) == 0);
	} else
		CHECK(req->accept[0] == '\0');

	/* The request alone gives the same answer. */
	CHECK(ws_http_parse(buf, req->length, "X-Forwarded-For", &again) ==
	    1);
	CHECK(again.status == req->status);
	CHECK(again.length == req->length);
	CHECK(strcmp(again.accept, req->accept) == 0);
	CHECK(strcmp(again.protocol, req->protocol) == 0);
	CHECK(again.forwardedlen == req->forwardedlen);
	/* And one byte less of it is not a request. */
	CHECK(ws_http_parse(buf, req->length - 1, NULL, &again) != 1);
}

/*
 * The answer, built in a buffer of its exact size (NUL included) and in
 * one byte less: an HTTP/1.1 status line and header lines ended by CRLF,
 * a single blank line at the end, no control characters but tab.
 */
static void
check_response(const struct ws_request *req)
{
	char	 big[RESPONSE_MAX], *buf, status[4];
	size_t	 n, i;

	n = ws_http_response(req, big, sizeof(big));
	CHECK(n > 0 && n < sizeof(big));
	CHECK(strlen(big) == n);

	buf = xmalloc(n + 1);
	memset(buf, 'x', n + 1);
	CHECK(ws_http_response(req, buf, n + 1) == n);
	CHECK(memcmp(buf, big, n + 1) == 0);
	free(buf);
	buf = xmalloc(n);
	CHECK(ws_http_response(req, buf, n) == 0);
	free(buf);

	CHECK(n > 13 && memcmp(big, "HTTP/1.1 ", 9) == 0);
	status[0] = big[9];
	status[1] = big[10];
	status[2] = big[11];
	status[3] = '\0';
	CHECK(big[12] == ' ');
	if (req->status == 101 || req->status == 405 ||
	    req->status == 426 || req->status == 431)
		CHECK(atoi(status) == req->status);
	else
		CHECK(atoi(status) == 400);
	CHECK(memmem(big, n, "\r\n\r\n", 4) == big + n - 4);
	for (i = 0; i < n; i++) {
		if (big[i] == '\r')
			CHECK(i + 1 < n && big[i + 1] == '\n');
		else if (big[i] == '\n')
			CHECK(i > 0 && big[i - 1] == '\r');
		else
			CHECK(big[i] == '\t' || (u_char)big[i] >= 0x20);
	}
	if (req->status == 101) {
		CHECK(strstr(big, req->accept) != NULL);
		CHECK((strstr(big, "\r\nSec-WebSocket-Protocol: ") != NULL) ==
		    (req->protocol[0] != '\0'));
	} else {
		CHECK(strstr(big, "Connection: close\r\n") != NULL);
		CHECK(strstr(big, "Sec-WebSocket-Protocol") == NULL);
	}
	if (req->status == 426)
		CHECK(strstr(big, "\r\nSec-WebSocket-Version: 13\r\n") != NULL);
}

/*
 * decode(encode(x)) == x in buffers of the exact size; and whatever the
 * decoder accepts of the raw input re-encodes to as many characters.
 */
static void
check_base64(const u_char *in, size_t len)
{
	u_char	*dec;
	char	*enc;
	size_t	 elen, dlen;
	ssize_t	 r;

	elen = BASE64_LEN(len);
	enc = xmalloc(elen);
	CHECK(base64_encode(in, len, enc, elen - 1) == 0);
	CHECK(base64_encode(in, len, enc, elen) == elen - 1);
	CHECK(strlen(enc) == elen - 1);
	check_base64_string(enc, elen - 1);
	dec = xmalloc(len);
	CHECK(base64_decode(enc, elen - 1, dec, len) == (ssize_t)len);
	CHECK(memcmp(dec, in, len) == 0);
	if (len > 0)
		CHECK(base64_decode(enc, elen - 1, dec, len - 1) == -1);
	free(dec);
	free(enc);

	dlen = len / 4 * 3;
	dec = xmalloc(dlen);
	r = base64_decode((const char *)in, len, dec, dlen);
	CHECK(r >= -1 && r <= (ssize_t)dlen);
	if (r >= 0) {
		CHECK(len % 4 == 0);
		CHECK((size_t)r + 2 >= dlen);
		check_base64_string((const char *)in, len);
		elen = BASE64_LEN(r);
		enc = xmalloc(elen);
		CHECK(base64_encode(dec, r, enc, elen) == len);
		free(enc);
	}
	free(dec);
}

/* Any bytes make a key: the accept is always 28 characters. */
static void
check_accept(const u_char *in, size_t len)
{
	char	 accept[WS_ACCEPT_LEN];

	CHECK(ws_accept_key((const char *)in, len, accept) == 0);
	CHECK(strlen(accept) == WS_ACCEPT_LEN - 1);
	check_base64_string(accept, WS_ACCEPT_LEN - 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ws_request	 req;

	check_request((const char *)data, size, &req);
	if (req.status != 0)
		check_response(&req);
	check_base64(data, size);
	check_accept(data, size);
	return (0);
}
