/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Unit tests of netd/ws_http.c and common/base64.c: the WebSocket opening
 * handshake of RFC 6455 section 4 as browsers and node's ws send it, the
 * errors answered to everything else, the responses byte for byte, and
 * base64 on the vectors of RFC 4648 section 10.
 */

#include "compat.h"

#include <sys/types.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka needs the four headers above it. */
#include <cmocka.h>

#include "base64.h"
#include "log.h"
#include "ws_http.h"

/* A string literal as bytes and length, NULs inside included. */
#define REQ(s)		(s), (sizeof(s) - 1)

/* RFC 6455 section 1.3: the sample key and its accept value. */
#define SAMPLE_KEY	"dGhlIHNhbXBsZSBub25jZQ=="
#define SAMPLE_ACCEPT	"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

/* The pieces of a minimal valid request. */
#define GETLINE		"GET /chat HTTP/1.1\r\n"
#define HOST		"Host: master.example.org:30700\r\n"
#define UPGRADE		"Upgrade: websocket\r\n"
#define CONNECTION	"Connection: Upgrade\r\n"
#define KEY		"Sec-WebSocket-Key: " SAMPLE_KEY "\r\n"
#define VERSION		"Sec-WebSocket-Version: 13\r\n"
#define HEADERS		GETLINE HOST UPGRADE CONNECTION KEY VERSION
#define MINIMAL		HEADERS "\r\n"

/* What Chromium sends from new WebSocket("ws://...") on a page. */
#define CHROMIUM							\
	"GET /chat HTTP/1.1\r\n"					\
	"Host: master.example.org:30700\r\n"				\
	"Connection: Upgrade\r\n"					\
	"Pragma: no-cache\r\n"						\
	"Cache-Control: no-cache\r\n"					\
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) "			\
	"AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "	\
	"Safari/537.36\r\n"						\
	"Upgrade: websocket\r\n"					\
	"Origin: https://play.example.org\r\n"				\
	"Sec-WebSocket-Version: 13\r\n"					\
	"Accept-Encoding: gzip, deflate, br\r\n"			\
	"Accept-Language: en-US,en;q=0.9\r\n"				\
	"Sec-WebSocket-Key: " SAMPLE_KEY "\r\n"				\
	"Sec-WebSocket-Extensions: permessage-deflate; "		\
	"client_max_window_bits\r\n"					\
	"\r\n"

/* What node's ws module sends: other order, no Origin. */
#define NODE_WS								\
	"GET / HTTP/1.1\r\n"						\
	"Sec-WebSocket-Version: 13\r\n"					\
	"Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n"		\
	"Connection: Upgrade\r\n"					\
	"Upgrade: websocket\r\n"					\
	"Sec-WebSocket-Extensions: permessage-deflate; "		\
	"client_max_window_bits\r\n"					\
	"Host: 127.0.0.1:30700\r\n"					\
	"\r\n"
#define NODE_WS_ACCEPT	"HSmrc0sMlYUkAGmm5OPpG2HaGWk="

/* The responses, byte for byte. */
#define RESP_101							\
	"HTTP/1.1 101 Switching Protocols\r\n"				\
	"Upgrade: websocket\r\n"					\
	"Connection: Upgrade\r\n"					\
	"Sec-WebSocket-Accept: " SAMPLE_ACCEPT "\r\n"			\
	"\r\n"
#define RESP_101_BINARY							\
	"HTTP/1.1 101 Switching Protocols\r\n"				\
	"Upgrade: websocket\r\n"					\
	"Connection: Upgrade\r\n"					\
	"Sec-WebSocket-Accept: " SAMPLE_ACCEPT "\r\n"			\
	"Sec-WebSocket-Protocol: binary\r\n"				\
	"\r\n"
#define RESP_400							\
	"HTTP/1.1 400 Bad Request\r\n"					\
	"Content-Length: 0\r\n"						\
	"Connection: close\r\n"						\
	"\r\n"
#define RESP_405							\
	"HTTP/1.1 405 Method Not Allowed\r\n"				\
	"Allow: GET\r\n"						\
	"Content-Length: 0\r\n"						\
	"Connection: close\r\n"						\
	"\r\n"
#define RESP_426							\
	"HTTP/1.1 426 Upgrade Required\r\n"				\
	"Sec-WebSocket-Version: 13\r\n"					\
	"Content-Length: 0\r\n"						\
	"Connection: close\r\n"						\
	"\r\n"
#define RESP_431							\
	"HTTP/1.1 431 Request Header Fields Too Large\r\n"		\
	"Content-Length: 0\r\n"						\
	"Connection: close\r\n"						\
	"\r\n"

/* RFC 4648 section 10. */
static const char *vectors[][2] = {
	{ "",		"" },
	{ "f",		"Zg==" },
	{ "fo",		"Zm8=" },
	{ "foo",	"Zm9v" },
	{ "foob",	"Zm9vYg==" },
	{ "fooba",	"Zm9vYmE=" },
	{ "foobar",	"Zm9vYmFy" }
};

static int	parse_whole(const char *, size_t, struct ws_request *);
static int	status_of(const char *, size_t);
static void	decode_bad(const char *, size_t);
static void	response_is(int, const char *, const char *, size_t);

/*
 * ws_http_parse() on one whole request of len bytes: it must say so and
 * count them all.  Returns the status it chose.
 */
static int
parse_whole(const char *buf, size_t len, struct ws_request *req)
{
	assert_int_equal(ws_http_parse(buf, len, NULL, req), 1);
	assert_int_equal(req->length, len);
	return (req->status);
}

static int
status_of(const char *buf, size_t len)
{
	struct ws_request	 req;

	return (parse_whole(buf, len, &req));
}

static void
decode_bad(const char *in, size_t len)
{
	u_char	 out[64];

	assert_int_equal(base64_decode(in, len, out, sizeof(out)), -1);
}

/*
 * ws_http_response() for a status and protocol: exactly want, and 0 in a
 * buffer one byte short of it (room for the NUL is needed).
 */
static void
response_is(int status, const char *protocol, const char *want,
    size_t wlen)
{
	struct ws_request	 req;
	char			 buf[512];

	memset(&req, 0, sizeof(req));
	req.status = status;
	if (strlcpy(req.accept, SAMPLE_ACCEPT, sizeof(req.accept)) >=
	    sizeof(req.accept))
		fail_msg("accept too long");
	if (strlcpy(req.protocol, protocol, sizeof(req.protocol)) >=
	    sizeof(req.protocol))
		fail_msg("protocol too long");
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(ws_http_response(&req, buf, sizeof(buf)), wlen);
	assert_memory_equal(buf, want, wlen);
	assert_int_equal(buf[wlen], '\0');

	assert_int_equal(ws_http_response(&req, buf, wlen + 1), wlen);
	assert_memory_equal(buf, want, wlen);
	assert_int_equal(ws_http_response(&req, buf, wlen), 0);
	assert_int_equal(ws_http_response(&req, buf, 1), 0);
	assert_int_equal(ws_http_response(&req, buf, 0), 0);
}

/* RFC 6455 section 1.3. */
static void
test_accept_rfc6455(void **state __unused)
{
	char	 accept[WS_ACCEPT_LEN];

	memset(accept, 'x', sizeof(accept));
	assert_int_equal(ws_accept_key(SAMPLE_KEY, strlen(SAMPLE_KEY),
	    accept), 0);
	assert_string_equal(accept, SAMPLE_ACCEPT);
	assert_int_equal(strlen(accept), WS_ACCEPT_LEN - 1);
}

/* Only keylen bytes of the key count. */
static void
test_accept_other(void **state __unused)
{
	char	 accept[WS_ACCEPT_LEN];

	assert_int_equal(ws_accept_key("x3JJHMbDL1EzLkh9GBhXDw==", 24,
	    accept), 0);
	assert_string_equal(accept, NODE_WS_ACCEPT);
	assert_int_equal(ws_accept_key(SAMPLE_KEY "trailing", 24, accept),
	    0);
	assert_string_equal(accept, SAMPLE_ACCEPT);
}

static void
test_base64_encode_vectors(void **state __unused)
{
	char	 out[16];
	size_t	 i, len;

	for (i = 0; i < nitems(vectors); i++) {
		len = strlen(vectors[i][0]);
		memset(out, 'x', sizeof(out));
		assert_int_equal(base64_encode((const u_char *)vectors[i][0],
		    len, out, sizeof(out)), strlen(vectors[i][1]));
		assert_string_equal(out, vectors[i][1]);
		assert_int_equal(BASE64_LEN(len), strlen(vectors[i][1]) + 1);
	}
}

static void
test_base64_decode_vectors(void **state __unused)
{
	u_char	 out[16];
	size_t	 i, len;

	for (i = 0; i < nitems(vectors); i++) {
		len = strlen(vectors[i][0]);
		memset(out, 'x', sizeof(out));
		assert_int_equal(base64_decode(vectors[i][1],
		    strlen(vectors[i][1]), out, sizeof(out)), len);
		assert_memory_equal(out, vectors[i][0], len);
		assert_int_equal(out[len], 'x');
	}
}

/* Every byte value, every length up to 3 quanta past 256. */
static void
test_base64_roundtrip(void **state __unused)
{
	u_char	 in[264], back[264];
	char	 enc[BASE64_LEN(264)];
	size_t	 i, n;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (u_char)(255 - i * 7);
	for (n = 0; n <= sizeof(in); n++) {
		assert_int_equal(base64_encode(in, n, enc, sizeof(enc)),
		    BASE64_LEN(n) - 1);
		assert_int_equal(strlen(enc), BASE64_LEN(n) - 1);
		assert_int_equal(base64_decode(enc, strlen(enc), back,
		    sizeof(back)), n);
		assert_memory_equal(back, in, n);
	}
}

static void
test_base64_decode_bad_length(void **state __unused)
{
	decode_bad(REQ("Z"));
	decode_bad(REQ("Zg"));
	decode_bad(REQ("Zg="));
	decode_bad(REQ("Zm9vY"));
	decode_bad(REQ("Zm9vYg="));
	decode_bad(REQ("Zm9vYmFy="));
	decode_bad(REQ("Zm9vYmFyZ"));
}

static void
test_base64_decode_bad_chars(void **state __unused)
{
	decode_bad(REQ("Zm9!"));
	decode_bad(REQ("Zm-v"));	/* base64url */
	decode_bad(REQ("Zm_v"));
	decode_bad(REQ("Zm 9"));
	decode_bad(REQ("Zm9\n"));
	decode_bad(REQ("Zm\0v"));
	decode_bad(REQ("\0\0\0\0"));
	decode_bad(REQ("Zm9\xff"));
	decode_bad(REQ("Zm9\x80"));
	decode_bad(REQ("Zm9v\tZm8"));
	decode_bad(REQ("Zm9v.mFy"));
}

static void
test_base64_decode_misplaced_pad(void **state __unused)
{
	decode_bad(REQ("Zg=a"));
	decode_bad(REQ("=Zg="));
	decode_bad(REQ("Z==="));
	decode_bad(REQ("===="));
	decode_bad(REQ("Z=g="));
	decode_bad(REQ("=Zm9"));
	decode_bad(REQ("Zm=v"));
	decode_bad(REQ("Zm9vY=Fy"));
}

static void
test_base64_decode_after_pad(void **state __unused)
{
	decode_bad(REQ("Zg==Zg=="));
	decode_bad(REQ("Zm8=Zm9v"));
	decode_bad(REQ("Zg======"));
	decode_bad(REQ("Zm8=AAAA"));
}

/* No room: 0 from the encoder, -1 from the decoder, nothing past it. */
static void
test_base64_small_output(void **state __unused)
{
	u_char	 out[8];
	char	 enc[16];

	assert_int_equal(base64_encode((const u_char *)"foo", 3, enc, 4), 0);
	assert_int_equal(base64_encode((const u_char *)"foo", 3, enc, 5), 4);
	assert_string_equal(enc, "Zm9v");
	assert_int_equal(base64_encode((const u_char *)"f", 1, enc, 4), 0);
	assert_int_equal(base64_encode((const u_char *)"f", 1, enc, 0), 0);
	assert_int_equal(base64_encode((const u_char *)"", 0, enc, 0), 0);
	assert_int_equal(base64_encode((const u_char *)"", 0, enc, 1), 0);
	assert_string_equal(enc, "");

	memset(out, 'x', sizeof(out));
	assert_int_equal(base64_decode("Zm9v", 4, out, 2), -1);
	assert_int_equal(base64_decode("Zm9v", 4, out, 3), 3);
	assert_memory_equal(out, "foo", 3);
	assert_int_equal(base64_decode("Zg==", 4, out, 0), -1);
	assert_int_equal(base64_decode("Zg==", 4, out, 1), 1);
	assert_int_equal(base64_decode("Zm8=", 4, out, 1), -1);
	assert_int_equal(base64_decode("Zm8=", 4, out, 2), 2);
	memset(out, 'x', sizeof(out));
	assert_int_equal(base64_decode("Zm9vYg==", 8, out, 3), -1);
	assert_int_equal(base64_decode("Zm9vYg==", 8, out, 4), 4);
	assert_memory_equal(out, "foob", 4);
	assert_int_equal(out[4], 'x');
	assert_int_equal(base64_decode("", 0, out, 0), 0);
}

static void
test_parse_chromium(void **state __unused)
{
	struct ws_request	 req;

	memset(&req, 'x', sizeof(req));
	assert_int_equal(parse_whole(REQ(CHROMIUM), &req), 101);
	assert_string_equal(req.accept, SAMPLE_ACCEPT);
	assert_string_equal(req.protocol, "");
}

static void
test_parse_node_ws(void **state __unused)
{
	struct ws_request	 req;

	assert_int_equal(parse_whole(REQ(NODE_WS), &req), 101);
	assert_string_equal(req.accept, NODE_WS_ACCEPT);
	assert_string_equal(req.protocol, "");
}

static void
test_parse_minimal(void **state __unused)
{
	struct ws_request	 req;

	assert_int_equal(parse_whole(REQ(MINIMAL), &req), 101);
	assert_string_equal(req.accept, SAMPLE_ACCEPT);
	/* Host is HTTP's business, not ours. */
	assert_int_equal(status_of(REQ(GETLINE UPGRADE CONNECTION KEY
	    VERSION "\r\n")), 101);
	/* Any target, HTTP/1.x above 1.0. */
	assert_int_equal(status_of(REQ("GET /?a=b&c HTTP/1.1\r\n" HOST
	    UPGRADE CONNECTION KEY VERSION "\r\n")), 101);
	assert_int_equal(status_of(REQ("GET / HTTP/1.2\r\n" HOST UPGRADE
	    CONNECTION KEY VERSION "\r\n")), 101);
}

/* Header names in any case (RFC 7230 section 3.2). */
static void
test_parse_header_case(void **state __unused)
{
	struct ws_request	 req;

	assert_int_equal(parse_whole(REQ(GETLINE
	    "host: x\r\n"
	    "upgrade: websocket\r\n"
	    "connection: upgrade\r\n"
	    "sec-websocket-key: " SAMPLE_KEY "\r\n"
	    "sec-websocket-version: 13\r\n"
	    "\r\n"), &req), 101);
	assert_string_equal(req.accept, SAMPLE_ACCEPT);
	assert_int_equal(parse_whole(REQ(GETLINE
	    "HOST: x\r\n"
	    "UPGRADE: websocket\r\n"
	    "CONNECTION: UPGRADE\r\n"
	    "SEC-WEBSOCKET-KEY: " SAMPLE_KEY "\r\n"
	    "SEC-WEBSOCKET-VERSION: 13\r\n"
	    "SEC-WEBSOCKET-PROTOCOL: binary\r\n"
	    "\r\n"), &req), 101);
	assert_string_equal(req.accept, SAMPLE_ACCEPT);
	assert_string_equal(req.protocol, "binary");
	assert_int_equal(status_of(REQ(GETLINE HOST
	    "uPgRaDe: websocket\r\n"
	    "cOnNeCtIoN: Upgrade\r\n"
	    "Sec-Websocket-Key: " SAMPLE_KEY "\r\n"
	    "Sec-Websocket-Version: 13\r\n"
	    "\r\n")), 101);
}

/* Firefox sends "Connection: keep-alive, Upgrade". */
static void
test_parse_connection_list(void **state __unused)
{
	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE
	    "Connection: keep-alive, Upgrade\r\n" KEY VERSION "\r\n")), 101);
	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE
	    "Connection: keep-alive,Upgrade\r\n" KEY VERSION "\r\n")), 101);
	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE
	    "Connection: Upgrade , keep-alive\r\n" KEY VERSION "\r\n")), 101);
	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE
	    "Connection:\tkeep-alive,\tupgrade\t\r\n" KEY VERSION "\r\n")),
	    101);
	/* Two header lines count as one list. */
	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE
	    "Connection: keep-alive\r\n" "Connection: Upgrade\r\n" KEY
	    VERSION "\r\n")), 101);
	/* A token, not a substring. */
	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE
	    "Connection: keep-alive\r\n" KEY VERSION "\r\n")), 400);
	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE
	    "Connection: Upgraded\r\n" KEY VERSION "\r\n")), 400);
	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE
	    "Connection: keep-alive Upgrade\r\n" KEY VERSION "\r\n")), 400);
}

static void
test_parse_upgrade_value(void **state __unused)
{
	assert_int_equal(status_of(REQ(GETLINE HOST "Upgrade: WebSocket\r\n"
	    CONNECTION KEY VERSION "\r\n")), 101);
	assert_int_equal(status_of(REQ(GETLINE HOST "Upgrade: WEBSOCKET\r\n"
	    CONNECTION KEY VERSION "\r\n")), 101);
	assert_int_equal(status_of(REQ(GETLINE HOST "Upgrade:websocket\r\n"
	    CONNECTION KEY VERSION "\r\n")), 101);
	assert_int_equal(status_of(REQ(GETLINE HOST
	    "Upgrade: h2c, websocket\r\n" CONNECTION KEY VERSION "\r\n")),
	    101);
	assert_int_equal(status_of(REQ(GETLINE HOST "Upgrade: h2c\r\n"
	    CONNECTION KEY VERSION "\r\n")), 400);
	assert_int_equal(status_of(REQ(GETLINE HOST "Upgrade: websockets\r\n"
	    CONNECTION KEY VERSION "\r\n")), 400);
	assert_int_equal(status_of(REQ(GETLINE HOST "Upgrade:\r\n"
	    CONNECTION KEY VERSION "\r\n")), 400);
}

/* The first offered subprotocol is echoed. */
static void
test_parse_protocol_token(void **state __unused)
{
	struct ws_request	 req;

	/* Only an HTTP token is echoed: "a\tb" or "a b" are not. */
	assert_int_equal(parse_whole(REQ(HEADERS
	    "Sec-WebSocket-Protocol: a\tb, c\r\n" "\r\n"), &req), 101);
	assert_string_equal(req.protocol, "");
	assert_int_equal(parse_whole(REQ(HEADERS
	    "Sec-WebSocket-Protocol: a b\r\n" "\r\n"), &req), 101);
	assert_string_equal(req.protocol, "");
	assert_int_equal(parse_whole(REQ(HEADERS
	    "Sec-WebSocket-Protocol: x\xc3\xa9\r\n" "\r\n"), &req), 101);
	assert_string_equal(req.protocol, "");
	/* A tab in the request line is a bad request, not a method. */
	assert_int_equal(parse_whole(REQ("GET\t/chat HTTP/1.1\r\n" HOST
	    UPGRADE CONNECTION KEY VERSION "\r\n"), &req), 400);
}

static void
test_parse_protocol(void **state __unused)
{
	struct ws_request	 req;
	char			 buf[512];
	size_t			 len;

	assert_int_equal(parse_whole(REQ(HEADERS
	    "Sec-WebSocket-Protocol: binary, base64\r\n" "\r\n"), &req), 101);
	assert_string_equal(req.protocol, "binary");
	len = ws_http_response(&req, buf, sizeof(buf));
	assert_int_equal(len, sizeof(RESP_101_BINARY) - 1);
	assert_memory_equal(buf, RESP_101_BINARY, len);

	assert_int_equal(parse_whole(REQ(HEADERS
	    "Sec-WebSocket-Protocol:binary,base64\r\n" "\r\n"), &req), 101);
	assert_string_equal(req.protocol, "binary");
	assert_int_equal(parse_whole(REQ(HEADERS
	    "Sec-WebSocket-Protocol: \tchat \r\n" "\r\n"), &req), 101);
	assert_string_equal(req.protocol, "chat");
	/* Of two header lines, the first. */
	assert_int_equal(parse_whole(REQ(HEADERS
	    "Sec-WebSocket-Protocol: binary\r\n"
	    "Sec-WebSocket-Protocol: base64\r\n" "\r\n"), &req), 101);
	assert_string_equal(req.protocol, "binary");
	/* Longest that fits, and one more: none echoed. */
	assert_int_equal(parse_whole(REQ(HEADERS "Sec-WebSocket-Protocol: "
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "12\r\n" "\r\n"), &req), 101);
	assert_int_equal(strlen(req.protocol), WS_PROTOCOL_MAX - 1);
	assert_int_equal(parse_whole(REQ(HEADERS "Sec-WebSocket-Protocol: "
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "123\r\n" "\r\n"), &req), 101);
	assert_string_equal(req.protocol, "");
}

/* The request is reused: nothing of the last parse is left. */
static void
test_parse_resets(void **state __unused)
{
	struct ws_request	 req;

	assert_int_equal(parse_whole(REQ(HEADERS "Sec-WebSocket-Protocol: "
	    "binary\r\n" "\r\n"), &req), 101);
	assert_string_equal(req.protocol, "binary");
	assert_int_equal(ws_http_parse(REQ(GETLINE), NULL, &req), 0);
	assert_int_equal(req.length, 0);
	assert_string_equal(req.protocol, "");
	assert_string_equal(req.accept, "");
}

/* Every prefix of a request asks for more; the whole of it is parsed. */
static void
test_parse_incomplete(void **state __unused)
{
	struct ws_request	 req;
	size_t			 i;

	for (i = 0; i < sizeof(CHROMIUM) - 1; i++)
		assert_int_equal(ws_http_parse(CHROMIUM, i, NULL, &req), 0);
	assert_int_equal(ws_http_parse(REQ(CHROMIUM), NULL, &req), 1);
	assert_int_equal(req.status, 101);
	/* Lines ended by LF alone never end the request. */
	assert_int_equal(ws_http_parse(REQ("GET / HTTP/1.1\n"
	    "Upgrade: websocket\n" "\n"), NULL, &req), 0);
	assert_int_equal(ws_http_parse(REQ(MINIMAL), NULL, &req), 1);
	assert_int_equal(ws_http_parse(REQ(GETLINE HOST UPGRADE CONNECTION
	    KEY VERSION), NULL, &req), 0);
	assert_int_equal(ws_http_parse(REQ(GETLINE HOST UPGRADE CONNECTION
	    KEY VERSION "\r"), NULL, &req), 0);
	assert_int_equal(ws_http_parse(REQ(GETLINE HOST UPGRADE CONNECTION
	    KEY VERSION "\n"), NULL, &req), 0);
}

/* WS_HTTP_MAX bytes without the end are too many; a request of it is not. */
static void
test_parse_too_long(void **state __unused)
{
	struct ws_request	 req;
	char			*buf;
	size_t			 len, pre;

	if ((buf = malloc(WS_HTTP_MAX + 64)) == NULL)
		fail_msg("malloc");
	pre = strlen(GETLINE HOST "X-Pad: ");
	memcpy(buf, GETLINE HOST "X-Pad: ", pre);
	memset(buf + pre, 'a', WS_HTTP_MAX + 64 - pre);
	assert_int_equal(ws_http_parse(buf, WS_HTTP_MAX - 1, NULL, &req), 0);
	assert_int_equal(ws_http_parse(buf, WS_HTTP_MAX, NULL, &req), -1);
	assert_int_equal(ws_http_parse(buf, WS_HTTP_MAX + 64, NULL, &req), -1);
	/* The end one byte too late. */
	memcpy(buf + WS_HTTP_MAX - 3, "\r\n\r\n", 4);
	assert_int_equal(ws_http_parse(buf, WS_HTTP_MAX, NULL, &req), -1);

	/* A valid request of exactly WS_HTTP_MAX bytes. */
	len = strlen(GETLINE UPGRADE CONNECTION KEY VERSION "X-Pad: ");
	memcpy(buf, GETLINE UPGRADE CONNECTION KEY VERSION "X-Pad: ", len);
	memset(buf + len, 'a', WS_HTTP_MAX - len);
	memcpy(buf + WS_HTTP_MAX - 4, "\r\n\r\n", 4);
	assert_int_equal(ws_http_parse(buf, WS_HTTP_MAX - 1, NULL, &req), 0);
	assert_int_equal(parse_whole(buf, WS_HTTP_MAX, &req), 101);
	assert_string_equal(req.accept, SAMPLE_ACCEPT);
	free(buf);
}

static void
test_parse_method(void **state __unused)
{
	assert_int_equal(status_of(REQ("POST /chat HTTP/1.1\r\n" HOST UPGRADE
	    CONNECTION KEY VERSION "\r\n")), 405);
	assert_int_equal(status_of(REQ("HEAD /chat HTTP/1.1\r\n" HOST UPGRADE
	    CONNECTION KEY VERSION "\r\n")), 405);
	assert_int_equal(status_of(REQ("OPTIONS * HTTP/1.1\r\n" HOST
	    "\r\n")), 405);
	assert_int_equal(status_of(REQ("POST / HTTP/1.1\r\n"
	    "Content-Length: 0\r\n" "\r\n")), 405);
	/* Methods are case-sensitive (RFC 7230 section 3.1.1). */
	assert_int_equal(status_of(REQ("get /chat HTTP/1.1\r\n" HOST UPGRADE
	    CONNECTION KEY VERSION "\r\n")), 405);
	assert_int_equal(status_of(REQ("GETS /chat HTTP/1.1\r\n" HOST UPGRADE
	    CONNECTION KEY VERSION "\r\n")), 405);
}

static void
test_parse_request_line(void **state __unused)
{
	assert_int_equal(status_of(REQ("GET /chat HTTP/1.0\r\n" HOST UPGRADE
	    CONNECTION KEY VERSION "\r\n")), 400);
	assert_int_equal(status_of(REQ("GET /chat HTTP/2.0\r\n" HOST UPGRADE
	    CONNECTION KEY VERSION "\r\n")), 400);
	assert_int_equal(status_of(REQ("GET /chat HTTP/1.x\r\n" HOST UPGRADE
	    CONNECTION KEY VERSION "\r\n")), 400);
	assert_int_equal(status_of(REQ("GET /chat HTTP/1.11\r\n" HOST UPGRADE
	    CONNECTION KEY VERSION "\r\n")), 400);
	assert_int_equal(status_of(REQ("GET /chat http/1.1\r\n" HOST UPGRADE
	    CONNECTION KEY VERSION "\r\n")), 400);
	assert_int_equal(status_of(REQ("GET /chat\r\n" HOST UPGRADE
	    CONNECTION KEY VERSION "\r\n")), 400);
	assert_int_equal(status_of(REQ("GET /chat HTTP/1.1 x\r\n" HOST
	    UPGRADE CONNECTION KEY VERSION "\r\n")), 400);
	assert_int_equal(status_of(REQ("GET\r\n" HOST UPGRADE CONNECTION KEY
	    VERSION "\r\n")), 400);
	assert_int_equal(status_of(REQ("\r\n" HOST UPGRADE CONNECTION KEY
	    VERSION "\r\n")), 400);
	assert_int_equal(status_of(REQ("\r\n\r\n")), 400);
	assert_int_equal(status_of(REQ(GETLINE "\r\n")), 400);
}

static void
test_parse_missing(void **state __unused)
{
	/* No Upgrade. */
	assert_int_equal(status_of(REQ(GETLINE HOST CONNECTION KEY VERSION
	    "\r\n")), 400);
	/* No Connection. */
	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE KEY VERSION
	    "\r\n")), 400);
	/* No key. */
	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE CONNECTION VERSION
	    "\r\n")), 400);
	/* An empty key. */
	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE CONNECTION
	    "Sec-WebSocket-Key:\r\n" VERSION "\r\n")), 400);
	/* A name with a blank before the colon is another name. */
	assert_int_equal(status_of(REQ(GETLINE HOST "Upgrade : websocket\r\n"
	    CONNECTION KEY VERSION "\r\n")), 400);
}

static void
test_parse_two_keys(void **state __unused)
{
	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE CONNECTION KEY KEY
	    VERSION "\r\n")), 400);
	assert_int_equal(status_of(REQ(HEADERS
	    "Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n" "\r\n")), 400);
}

/* The key must decode to exactly 16 bytes (RFC 6455 section 4.2.1). */
static void
test_parse_key_bad(void **state __unused)
{
	struct ws_request	 req;

	/* 15 bytes. */
	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE CONNECTION
	    "Sec-WebSocket-Key: MDEyMzQ1Njc4OWFiY2Rl\r\n" VERSION "\r\n")),
	    400);
	/* 17 bytes. */
	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE CONNECTION
	    "Sec-WebSocket-Key: MDEyMzQ1Njc4OWFiY2RlZmc=\r\n" VERSION
	    "\r\n")), 400);
	/* 16 bytes of the same kind: accepted. */
	assert_int_equal(parse_whole(REQ(GETLINE HOST UPGRADE CONNECTION
	    "Sec-WebSocket-Key: MDEyMzQ1Njc4OWFiY2RlZg==\r\n" VERSION
	    "\r\n"), &req), 101);
	assert_int_equal(strlen(req.accept), WS_ACCEPT_LEN - 1);
	/* Not base64. */
	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE CONNECTION
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ!!\r\n" VERSION
	    "\r\n")), 400);
	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE CONNECTION
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ\r\n" VERSION "\r\n")),
	    400);
	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE CONNECTION
	    "Sec-WebSocket-Key: dGhlIHNhbXBs ZSBub25jZQ==\r\n" VERSION
	    "\r\n")), 400);
	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE CONNECTION
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==, " SAMPLE_KEY "\r\n"
	    VERSION "\r\n")), 400);
	/* Longer than the parser keeps. */
	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE CONNECTION
	    "Sec-WebSocket-Key: " SAMPLE_KEY SAMPLE_KEY SAMPLE_KEY "\r\n"
	    VERSION "\r\n")), 400);
	/* Blanks around the value are not part of it. */
	assert_int_equal(parse_whole(REQ(GETLINE HOST UPGRADE CONNECTION
	    "Sec-WebSocket-Key: \t " SAMPLE_KEY " \t\r\n" VERSION "\r\n"),
	    &req), 101);
	assert_string_equal(req.accept, SAMPLE_ACCEPT);
}

/* RFC 6455 section 4.4: 426 with the versions we speak. */
static void
test_parse_version(void **state __unused)
{
	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE CONNECTION KEY
	    "Sec-WebSocket-Version: 8\r\n" "\r\n")), 426);
	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE CONNECTION KEY
	    "\r\n")), 426);
	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE CONNECTION KEY
	    "Sec-WebSocket-Version: 130\r\n" "\r\n")), 426);
	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE CONNECTION KEY
	    "Sec-WebSocket-Version: 13, 8\r\n" "\r\n")), 426);
	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE CONNECTION KEY
	    "Sec-WebSocket-Version:\r\n" "\r\n")), 426);
	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE CONNECTION KEY
	    "Sec-WebSocket-Version: 13 \r\n" "\r\n")), 101);
	/* A bad request is a 400 before it is a 426. */
	assert_int_equal(status_of(REQ(GETLINE HOST CONNECTION KEY
	    "Sec-WebSocket-Version: 8\r\n" "\r\n")), 400);
}

/* NUL and control characters refuse the request; a tab is a blank. */
static void
test_parse_control_chars(void **state __unused)
{
	assert_int_equal(status_of(REQ(GETLINE HOST "Upgrade: web\0socket\r\n"
	    CONNECTION KEY VERSION "\r\n")), 400);
	assert_int_equal(status_of(REQ(HEADERS "X-Junk: \0\r\n" "\r\n")), 400);
	assert_int_equal(status_of(REQ(HEADERS "X-Junk: a\x01z\r\n"
	    "\r\n")), 400);
	assert_int_equal(status_of(REQ(HEADERS "X-Junk: a\x1b[2Jz\r\n"
	    "\r\n")), 400);
	assert_int_equal(status_of(REQ(HEADERS "X-Junk: a\x7f\r\n"
	    "\r\n")), 400);
	assert_int_equal(status_of(REQ(HEADERS "X-Junk: a\rz\r\n"
	    "\r\n")), 400);
	assert_int_equal(status_of(REQ(HEADERS "X-Junk: a\nz\r\n"
	    "\r\n")), 400);
	assert_int_equal(status_of(REQ(HEADERS "X-Ju\0nk: a\r\n" "\r\n")), 400);
	/* In the request line. */
	assert_int_equal(status_of(REQ("GET /c\0hat HTTP/1.1\r\n" HOST UPGRADE
	    CONNECTION KEY VERSION "\r\n")), 400);
	assert_int_equal(status_of(REQ("GET /c\x01hat HTTP/1.1\r\n" HOST
	    UPGRADE CONNECTION KEY VERSION "\r\n")), 400);
	/* Tabs and bytes above 0x7f in a value are fine. */
	assert_int_equal(status_of(REQ(HEADERS "X-Junk:\ta\tz\t\r\n"
	    "User-Agent: caf\xc3\xa9\r\n" "\r\n")), 101);
}

static void
test_parse_no_colon(void **state __unused)
{
	assert_int_equal(status_of(REQ(HEADERS "X-Junk\r\n" "\r\n")), 400);
	assert_int_equal(status_of(REQ(GETLINE HOST "Upgrade websocket\r\n"
	    CONNECTION KEY VERSION "\r\n")), 400);
	assert_int_equal(status_of(REQ(HEADERS ": no name\r\n" "\r\n")), 400);
	assert_int_equal(status_of(REQ(HEADERS " \r\n" "\r\n")), 400);
	/* An empty value is a value. */
	assert_int_equal(status_of(REQ(HEADERS "X-Empty:\r\n" "\r\n")), 101);
}

/*
 * What follows the blank line (a first frame, another request) is not part
 * of the request: neither its length nor its headers.
 */
static void
test_parse_trailing_bytes(void **state __unused)
{
	struct ws_request	 req;

	assert_int_equal(ws_http_parse(REQ(MINIMAL "\x82\x85\x37\xfa\x21\x3d"
	    "\x7f\x9f\x4d\x51\x58"), NULL, &req), 1);
	assert_int_equal(req.length, sizeof(MINIMAL) - 1);
	assert_int_equal(req.status, 101);
	assert_string_equal(req.accept, SAMPLE_ACCEPT);

	assert_int_equal(ws_http_parse(REQ(MINIMAL KEY "X-Junk\r\n\0\x01"
	    "Sec-WebSocket-Protocol: binary\r\n" "\r\n"), NULL, &req), 1);
	assert_int_equal(req.length, sizeof(MINIMAL) - 1);
	assert_int_equal(req.status, 101);
	assert_string_equal(req.accept, SAMPLE_ACCEPT);
	assert_string_equal(req.protocol, "");

	assert_int_equal(ws_http_parse(REQ(GETLINE HOST CONNECTION KEY VERSION
	    "\r\n" UPGRADE "\r\n"), NULL, &req), 1);
	assert_int_equal(req.length, sizeof(GETLINE HOST CONNECTION KEY
	    VERSION "\r\n") - 1);
	assert_int_equal(req.status, 400);

	assert_int_equal(ws_http_parse(REQ("POST / HTTP/1.1\r\n\r\n" MINIMAL),
	    NULL, &req), 1);
	assert_int_equal(req.length, sizeof("POST / HTTP/1.1\r\n\r\n") - 1);
	assert_int_equal(req.status, 405);
}

static void
test_response_101(void **state __unused)
{
	struct ws_request	 req;
	char			 buf[512];

	response_is(101, "", REQ(RESP_101));
	response_is(101, "binary", REQ(RESP_101_BINARY));

	/* From the parser, end to end. */
	assert_int_equal(parse_whole(REQ(CHROMIUM), &req), 101);
	assert_int_equal(ws_http_response(&req, buf, sizeof(buf)),
	    sizeof(RESP_101) - 1);
	assert_string_equal(buf, RESP_101);
}

static void
test_response_errors(void **state __unused)
{
	struct ws_request	 req;
	char			 buf[512];

	response_is(400, "", REQ(RESP_400));
	response_is(405, "", REQ(RESP_405));
	response_is(426, "", REQ(RESP_426));
	response_is(431, "", REQ(RESP_431));
	/* Errors never echo a protocol; anything unknown is a 400. */
	response_is(400, "binary", REQ(RESP_400));
	response_is(426, "binary", REQ(RESP_426));
	response_is(0, "", REQ(RESP_400));
	response_is(500, "", REQ(RESP_400));

	assert_int_equal(status_of(REQ(GETLINE HOST UPGRADE CONNECTION KEY
	    "\r\n")), 426);
	assert_int_equal(parse_whole(REQ(GETLINE HOST UPGRADE CONNECTION KEY
	    "Sec-WebSocket-Version: 8\r\n" "\r\n"), &req), 426);
	assert_int_equal(ws_http_response(&req, buf, sizeof(buf)),
	    sizeof(RESP_426) - 1);
	assert_non_null(strstr(buf, "\r\nSec-WebSocket-Version: 13\r\n"));
	assert_int_equal(parse_whole(REQ("POST / HTTP/1.1\r\n\r\n"), &req),
	    405);
	assert_int_equal(ws_http_response(&req, buf, sizeof(buf)),
	    sizeof(RESP_405) - 1);
	assert_non_null(strstr(buf, "\r\nAllow: GET\r\n"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_rfc6455),
		cmocka_unit_test(test_accept_other),
		cmocka_unit_test(test_base64_encode_vectors),
		cmocka_unit_test(test_base64_decode_vectors),
		cmocka_unit_test(test_base64_roundtrip),
		cmocka_unit_test(test_base64_decode_bad_length),
		cmocka_unit_test(test_base64_decode_bad_chars),
		cmocka_unit_test(test_base64_decode_misplaced_pad),
		cmocka_unit_test(test_base64_decode_after_pad),
		cmocka_unit_test(test_base64_small_output),
		cmocka_unit_test(test_parse_chromium),
		cmocka_unit_test(test_parse_node_ws),
		cmocka_unit_test(test_parse_minimal),
		cmocka_unit_test(test_parse_header_case),
		cmocka_unit_test(test_parse_connection_list),
		cmocka_unit_test(test_parse_upgrade_value),
		cmocka_unit_test(test_parse_protocol),
		cmocka_unit_test(test_parse_protocol_token),
		cmocka_unit_test(test_parse_resets),
		cmocka_unit_test(test_parse_incomplete),
		cmocka_unit_test(test_parse_too_long),
		cmocka_unit_test(test_parse_method),
		cmocka_unit_test(test_parse_request_line),
		cmocka_unit_test(test_parse_missing),
		cmocka_unit_test(test_parse_two_keys),
		cmocka_unit_test(test_parse_key_bad),
		cmocka_unit_test(test_parse_version),
		cmocka_unit_test(test_parse_control_chars),
		cmocka_unit_test(test_parse_no_colon),
		cmocka_unit_test(test_parse_trailing_bytes),
		cmocka_unit_test(test_response_101),
		cmocka_unit_test(test_response_errors),
	};

	log_init(0, LOGLEVEL_ALWAYS);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
