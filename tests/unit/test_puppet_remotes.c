/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Unit tests of puppet/remotes.c: every form of a puppetmasters.txt line
 * read to its fields, the defaults the caller set kept for the fields
 * left out, each error, the ws:// and wss:// URLs, and whole files read
 * by remotes_load() from a temporary directory.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cmocka needs the four headers above it. */
#include <cmocka.h>

#include "tremmasterd.h"
#include "puppet.h"

#define DEF_PORT	27950	/* the caller's default port */
#define DEF_PROTO	"69"	/* and game protocol */
#define NFILES		8	/* temporary files a test may make */

/* The temporary directory of a test of remotes_load(), and its files. */
struct tmp {
	char	 dir[PATH_MAX];
	char	 file[NFILES][PATH_MAX];
	int	 nfile;
};

static void	 defaults(struct puppet_remote *);
static void	 good(const char *, struct puppet_remote *);
static void	 want(const struct puppet_remote *, const char *, uint16_t,
		    enum puppet_conn, const char *, int, const char *);
static void	 bad(const char *, const char *);
static void	 skipped(const char *);
static int	 tmp_setup(void **);
static int	 tmp_teardown(void **);
static const char *put_file(struct tmp *, const void *, size_t);
static const char *tmp_name(struct tmp *, const char *);
static int	 load(const char *, struct puppet_remote *, int *, char *,
		    size_t);

/* What a caller puts in the struct before a line: distinct defaults. */
static void
defaults(struct puppet_remote *r)
{
	memset(r, 0, sizeof(*r));
	r->port = DEF_PORT;
	r->conn = CONN_AUTO;
	(void)strlcpy(r->protocol, DEF_PROTO, sizeof(r->protocol));
	r->ext = 1;
}

/* A line that must parse, from the defaults. */
static void
good(const char *line, struct puppet_remote *r)
{
	char	 err[256];
	int	 rv;

	defaults(r);
	err[0] = '\0';
	if ((rv = remote_parse_line(line, r, err, sizeof(err))) != 1)
		fail_msg("\"%s\": %d, %s", line, rv, err);
	assert_int_equal(r->line, 0);
	assert_non_null(memchr(r->host, '\0', sizeof(r->host)));
	assert_non_null(memchr(r->protocol, '\0', sizeof(r->protocol)));
	assert_non_null(memchr(r->path, '\0', sizeof(r->path)));
}

static void
want(const struct puppet_remote *r, const char *host, uint16_t port,
    enum puppet_conn conn, const char *protocol, int ext, const char *path)
{
	assert_string_equal(r->host, host);
	assert_int_equal(r->port, port);
	assert_int_equal(r->conn, conn);
	assert_string_equal(r->protocol, protocol);
	assert_int_equal(r->ext, ext);
	assert_string_equal(r->path, path);
}

/* A line that must be refused with a message holding msg. */
static void
bad(const char *line, const char *msg)
{
	struct puppet_remote	 r;
	char			 err[256];
	int			 rv;

	defaults(&r);
	memset(err, 'x', sizeof(err));
	err[sizeof(err) - 1] = '\0';
	if ((rv = remote_parse_line(line, &r, err, sizeof(err))) != -1)
		fail_msg("\"%s\": %d, not -1", line, rv);
	if (strstr(err, msg) == NULL)
		fail_msg("\"%s\": \"%s\", not \"%s\"", line, err, msg);
}

/* A blank line or a comment: 0, and the struct untouched. */
static void
skipped(const char *line)
{
	struct puppet_remote	 r, before;
	char			 err[64];

	defaults(&r);
	before = r;
	if (remote_parse_line(line, &r, err, sizeof(err)) != 0)
		fail_msg("\"%s\" not skipped", line);
	assert_memory_equal(&r, &before, sizeof(r));
}

/* host:port and its longer forms. */
static void
test_colon_forms(void **state __unused)
{
	struct puppet_remote	 r;

	good("master.tremulous.net:30710", &r);
	want(&r, "master.tremulous.net", 30710, CONN_AUTO, DEF_PROTO, 1, "");
	good("master.tremulous.net:30710:udp", &r);
	want(&r, "master.tremulous.net", 30710, CONN_UDP, DEF_PROTO, 1, "");
	good("master.tremulous.net:30710:websocket:71", &r);
	want(&r, "master.tremulous.net", 30710, CONN_WS, "71", 1, "");
	good("master.tremulous.net:30710:auto:70:getservers", &r);
	want(&r, "master.tremulous.net", 30710, CONN_AUTO, "70", 0, "");
	good("192.0.2.1:1:ws:1234567:getserversExt", &r);
	want(&r, "192.0.2.1", 1, CONN_WS, "1234567", 1, "");
	good("m_1-x.example.org:65535:wss:0:getservers", &r);
	want(&r, "m_1-x.example.org", 65535, CONN_WSS, "0", 0, "");
}

/* host port [conn [protocol [request]]], with any blanks between. */
static void
test_space_forms(void **state __unused)
{
	struct puppet_remote	 r;

	good("master.tremulous.online 30710", &r);
	want(&r, "master.tremulous.online", 30710, CONN_AUTO, DEF_PROTO, 1,
	    "");
	good("master.tremulous.online 30710 udp", &r);
	want(&r, "master.tremulous.online", 30710, CONN_UDP, DEF_PROTO, 1,
	    "");
	good("master.tremulous.online 30710 websocket 71", &r);
	want(&r, "master.tremulous.online", 30710, CONN_WS, "71", 1, "");
	good("master.tremulous.online 30710 udp 70 getservers", &r);
	want(&r, "master.tremulous.online", 30710, CONN_UDP, "70", 0, "");
	good("\t  h \t 2  \tws\t\t71   getserversExt \t\r", &r);
	want(&r, "h", 2, CONN_WS, "71", 1, "");
	good("h 3 wss", &r);
	want(&r, "h", 3, CONN_WSS, DEF_PROTO, 1, "");
}

/* Connection and request names in any case. */
static void
test_case(void **state __unused)
{
	static const struct {
		const char		*s;
		enum puppet_conn	 conn;
	} conns[] = {
		{ "udp", CONN_UDP }, { "UDP", CONN_UDP },
		{ "websocket", CONN_WS }, { "WebSocket", CONN_WS },
		{ "ws", CONN_WS }, { "WS", CONN_WS },
		{ "wss", CONN_WSS }, { "WsS", CONN_WSS },
		{ "auto", CONN_AUTO }, { "AUTO", CONN_AUTO },
	};
	static const struct {
		const char	*s;
		int		 ext;
	} reqs[] = {
		{ "getservers", 0 }, { "GETSERVERS", 0 },
		{ "getserversExt", 1 }, { "getserversext", 1 },
		{ "GETSERVERSEXT", 1 },
	};
	struct puppet_remote	 r;
	char			 line[128];
	size_t			 i;

	for (i = 0; i < nitems(conns); i++) {
		(void)snprintf(line, sizeof(line), "h:1:%s", conns[i].s);
		good(line, &r);
		want(&r, "h", 1, conns[i].conn, DEF_PROTO, 1, "");
		(void)snprintf(line, sizeof(line), "h 1 %s", conns[i].s);
		good(line, &r);
		want(&r, "h", 1, conns[i].conn, DEF_PROTO, 1, "");
	}
	for (i = 0; i < nitems(reqs); i++) {
		(void)snprintf(line, sizeof(line), "h:1:udp:71:%s", reqs[i].s);
		good(line, &r);
		want(&r, "h", 1, CONN_UDP, "71", reqs[i].ext, "");
		(void)snprintf(line, sizeof(line), "h 1 udp 71 %s", reqs[i].s);
		good(line, &r);
		want(&r, "h", 1, CONN_UDP, "71", reqs[i].ext, "");
	}
}

/* [v6]:port, and a v6 address as the first word. */
static void
test_v6(void **state __unused)
{
	struct puppet_remote	 r;

	good("[2001:db8::1]:30710", &r);
	want(&r, "2001:db8::1", 30710, CONN_AUTO, DEF_PROTO, 1, "");
	good("[::1]:30710:udp:71:getservers", &r);
	want(&r, "::1", 30710, CONN_UDP, "71", 0, "");
	good("[::ffff:192.0.2.1]:2::", &r);
	want(&r, "::ffff:192.0.2.1", 2, CONN_AUTO, DEF_PROTO, 1, "");
	good("[2001:db8::2] 30711 ws", &r);
	want(&r, "2001:db8::2", 30711, CONN_WS, DEF_PROTO, 1, "");
	good("2001:db8::3 30712", &r);
	want(&r, "2001:db8::3", 30712, CONN_AUTO, DEF_PROTO, 1, "");
}

/* An empty field keeps what the caller put there. */
static void
test_defaults_kept(void **state __unused)
{
	struct puppet_remote	 r;

	good("h:1:", &r);
	want(&r, "h", 1, CONN_AUTO, DEF_PROTO, 1, "");
	good("h:1::", &r);
	want(&r, "h", 1, CONN_AUTO, DEF_PROTO, 1, "");
	good("h:1:::", &r);
	want(&r, "h", 1, CONN_AUTO, DEF_PROTO, 1, "");
	good("h:1::70", &r);
	want(&r, "h", 1, CONN_AUTO, "70", 1, "");
	good("h:1:::getservers", &r);
	want(&r, "h", 1, CONN_AUTO, DEF_PROTO, 0, "");
	good("h:1:udp::", &r);
	want(&r, "h", 1, CONN_UDP, DEF_PROTO, 1, "");
	good("[::1]:1::71:", &r);
	want(&r, "::1", 1, CONN_AUTO, "71", 1, "");

	/* Defaults of another kind are kept as well. */
	defaults(&r);
	r.conn = CONN_DEFAULT;
	r.protocol[0] = '\0';
	r.ext = 0;
	assert_int_equal(remote_parse_line("h:1:::", &r, NULL, 0), 1);
	want(&r, "h", 1, CONN_DEFAULT, "", 0, "");
}

/* Blank lines and comments. */
static void
test_blank_comment(void **state __unused)
{
	skipped("");
	skipped(" ");
	skipped("\t \t");
	skipped("\r");
	skipped(" \r");
	skipped("#");
	skipped("# master.tremulous.net:30710");
	skipped("#master.tremulous.net:30710");
	skipped("   \t# a comment: with colons");
	skipped("#\x01\xff garbage");
}

/* The port: a number of 1 to 65535. */
static void
test_bad_port(void **state __unused)
{
	bad("h:0", "bad port \"0\"");
	bad("h:65536", "bad port \"65536\"");
	bad("h:-1", "bad port \"-1\"");
	bad("h:x", "bad port \"x\"");
	bad("h:30710x", "bad port \"30710x\"");
	bad("h:", "bad port \"\"");
	bad("h::udp", "bad port \"\"");
	bad("h 0", "bad port \"0\"");
	bad("h 99999 udp", "bad port \"99999\"");
	bad("h port", "bad port \"port\"");
	bad("[::1]:abc", "bad port \"abc\"");
	bad("[::1] 0", "bad port \"0\"");
	/* A bare v6 address has no port that can be told apart. */
	bad("2001:db8::1:30710", "bad port \"db8\"");
}

static void
test_bad_conn(void **state __unused)
{
	bad("h:1:tcp", "bad connection \"tcp\"");
	bad("h:1:udp6", "bad connection \"udp6\"");
	bad("h 1 http", "bad connection \"http\"");
	bad("h 1 71", "bad connection \"71\"");
	bad("[::1]:1:x:71", "bad connection \"x\"");
}

static void
test_bad_request(void **state __unused)
{
	bad("h:1:udp:71:getstatus", "bad request type \"getstatus\"");
	bad("h:1:::getserversExtx", "bad request type \"getserversExtx\"");
	bad("h 1 udp 71 getserversweb", "bad request type "
	    "\"getserversweb\"");
}

/* A game protocol: digits only, at most 7 of them. */
static void
test_bad_protocol(void **state __unused)
{
	bad("h:1:udp:7a", "bad game protocol \"7a\"");
	bad("h:1:udp:-1", "bad game protocol \"-1\"");
	bad("h:1::+71", "bad game protocol \"+71\"");
	bad("h:1::12345678", "bad game protocol \"12345678\"");
	bad("h 1 udp getservers", "bad game protocol \"getservers\"");
	bad("h 1 udp 7.1 getservers", "bad game protocol \"7.1\"");
}

static void
test_too_many_fields(void **state __unused)
{
	bad("h:1:udp:71:getservers:x", "more than 5 fields");
	bad("h:1::::", "more than 5 fields");
	bad("h:1:udp:71:getservers:x:y:z", "more than 5 fields");
	bad("h 1 udp 71 getservers x", "more than 5 fields");
	bad("h 1 udp 71 getservers x y z", "more than 5 fields");
	bad("[::1]:1:udp:71:getservers:", "more than 5 fields");
	bad("ws://h 71 getservers x y z", "more than 5 fields");
}

static void
test_no_port(void **state __unused)
{
	bad("h", "no port");
	bad("master.tremulous.net", "no port");
	bad("  master.tremulous.net \t", "no port");
	bad("[::1]", "bad address");
	bad("[::1]30710", "bad address");
	bad("[::1", "bad address");
}

/* Hosts: not empty, no odd characters, no more than 255 bytes. */
static void
test_bad_host(void **state __unused)
{
	struct puppet_remote	 r;
	char			 line[PUPPET_HOST_MAX + 16];

	bad(":30710", "empty host");
	bad("[]:30710", "bad address");
	bad("[1.2.3.4]:30710", "bad address \"[1.2.3.4]\"");
	bad("ho/st:1", "bad host \"ho/st\"");
	bad("user@host:1", "bad host \"user@host\"");
	bad("h\x01:1", "bad host");
	bad("h\xc3\xa9:1", "bad host");
	bad("h,x 1", "bad host \"h,x\"");

	/* 255 bytes are the longest host. */
	memset(line, 'h', PUPPET_HOST_MAX - 1);
	(void)strlcpy(line + PUPPET_HOST_MAX - 1, ":1", 3);
	good(line, &r);
	assert_int_equal(strlen(r.host), PUPPET_HOST_MAX - 1);
	assert_int_equal(r.port, 1);
	memset(line, 'h', PUPPET_HOST_MAX);
	(void)strlcpy(line + PUPPET_HOST_MAX, ":1", 3);
	bad(line, "host longer than 255 bytes");
	line[PUPPET_HOST_MAX] = ' ';
	bad(line, "host longer than 255 bytes");
}

/* A line of 1023 bytes is read, one of 1024 is not. */
static void
test_long_line(void **state __unused)
{
	struct puppet_remote	 r;
	char			 line[PUPPET_LINE_MAX + 1];

	/* A host, then blanks up to the limit, then a port. */
	memset(line, ' ', sizeof(line));
	memcpy(line, "h", 1);
	memcpy(line + PUPPET_LINE_MAX - 1 - 5, "30710", 5);
	line[PUPPET_LINE_MAX - 1] = '\0';
	good(line, &r);
	want(&r, "h", 30710, CONN_AUTO, DEF_PROTO, 1, "");
	memset(line, ' ', sizeof(line));
	memcpy(line, "h", 1);
	memcpy(line + PUPPET_LINE_MAX - 5, "30710", 5);
	line[PUPPET_LINE_MAX] = '\0';
	bad(line, "line longer than 1023 bytes");

	/* Blanks around a line do not count. */
	memset(line, ' ', sizeof(line));
	memcpy(line + 600, "h:1", 3);
	line[PUPPET_LINE_MAX] = '\0';
	good(line, &r);
	want(&r, "h", 1, CONN_AUTO, DEF_PROTO, 1, "");
}

/* The URL forms: default port, explicit port, path, [v6]. */
static void
test_urls(void **state __unused)
{
	struct puppet_remote	 r;

	good("ws://master.tremulous.online", &r);
	want(&r, "master.tremulous.online", DEF_PORT, CONN_WS, DEF_PROTO, 1,
	    "/");
	good("wss://master.tremulous.online", &r);
	want(&r, "master.tremulous.online", DEF_PORT, CONN_WSS, DEF_PROTO, 1,
	    "/");
	good("ws://h:30710", &r);
	want(&r, "h", 30710, CONN_WS, DEF_PROTO, 1, "/");
	good("wss://h:443/", &r);
	want(&r, "h", 443, CONN_WSS, DEF_PROTO, 1, "/");
	good("ws://h/ws/master?x=1", &r);
	want(&r, "h", DEF_PORT, CONN_WS, DEF_PROTO, 1, "/ws/master?x=1");
	good("wss://h:8443/a:b", &r);
	want(&r, "h", 8443, CONN_WSS, DEF_PROTO, 1, "/a:b");
	good("ws://[2001:db8::1]:30710/m", &r);
	want(&r, "2001:db8::1", 30710, CONN_WS, DEF_PROTO, 1, "/m");
	good("wss://[::1]", &r);
	want(&r, "::1", DEF_PORT, CONN_WSS, DEF_PROTO, 1, "/");
	good("wss://[::1]/", &r);
	want(&r, "::1", DEF_PORT, CONN_WSS, DEF_PROTO, 1, "/");
	good("WS://H.Example.org:1", &r);
	want(&r, "H.Example.org", 1, CONN_WS, DEF_PROTO, 1, "/");
	good("WsS://h", &r);
	want(&r, "h", DEF_PORT, CONN_WSS, DEF_PROTO, 1, "/");
	good("  ws://h:2/p \r", &r);
	want(&r, "h", 2, CONN_WS, DEF_PROTO, 1, "/p");
}

/* A URL followed by a game protocol and a request type. */
static void
test_url_fields(void **state __unused)
{
	struct puppet_remote	 r;

	good("ws://h:1 71", &r);
	want(&r, "h", 1, CONN_WS, "71", 1, "/");
	good("ws://h:1 71 getservers", &r);
	want(&r, "h", 1, CONN_WS, "71", 0, "/");
	good("wss://[::1]/p\t70\tgetserversExt", &r);
	want(&r, "::1", DEF_PORT, CONN_WSS, "70", 1, "/p");
	bad("ws://h:1 71 getstatus", "bad request type \"getstatus\"");
	bad("ws://h:1 7x", "bad game protocol \"7x\"");
	bad("ws://h:0 71", "bad port \"0\"");
}

/* A URL says its connection: another one after it is an error. */
static void
test_url_conn(void **state __unused)
{
	bad("ws://h:1 udp", "a URL needs no connection \"udp\"");
	bad("wss://h:1 ws 71", "a URL needs no connection \"ws\"");
	bad("ws://h auto 71 getservers", "a URL needs no connection "
	    "\"auto\"");
}

/*
 * A default connection of ws or wss (what the caller may set for
 * --puppet-use-websocket) is no URL: a line may still name its own.
 */
static void
test_conn_over_default(void **state __unused)
{
	static const char *const	 lines[] = {
		"h:1:udp", "h 1 udp", "[::1]:1:udp:71", "h 1 udp 71 getservers"
	};
	struct puppet_remote		 r;
	char				 err[256];
	size_t				 i;
	int				 rv;

	for (i = 0; i < nitems(lines); i++) {
		defaults(&r);
		r.conn = i % 2 ? CONN_WSS : CONN_WS;
		err[0] = '\0';
		if ((rv = remote_parse_line(lines[i], &r, err,
		    sizeof(err))) != 1)
			fail_msg("\"%s\" from conn %s: %d, %s", lines[i],
			    remote_conn_name(i % 2 ? CONN_WSS : CONN_WS), rv,
			    err);
		assert_int_equal(r.conn, CONN_UDP);
	}

	/* Without a connection field the default stays. */
	defaults(&r);
	r.conn = CONN_WS;
	assert_int_equal(remote_parse_line("h:1::71", &r, err, sizeof(err)),
	    1);
	want(&r, "h", 1, CONN_WS, "71", 1, "");
}

/* remote_parse_url() alone: 0 for what is no URL, errors of a URL. */
static void
test_parse_url(void **state __unused)
{
	struct puppet_remote	 r;
	char			 err[256], url[PUPPET_PATH_MAX + 16];

	memset(&r, 0, sizeof(r));
	assert_int_equal(remote_parse_url("h:1", 7, &r, err, sizeof(err)),
	    0);
	assert_int_equal(remote_parse_url("http://h/", 7, &r, err,
	    sizeof(err)), 0);
	assert_int_equal(remote_parse_url("ws:/h", 7, &r, err, sizeof(err)),
	    0);
	assert_int_equal(remote_parse_url("ws//h", 7, &r, err, sizeof(err)),
	    0);
	assert_int_equal(r.conn, CONN_DEFAULT);
	assert_int_equal(r.port, 0);

	assert_int_equal(remote_parse_url("ws://h", 7, &r, err, sizeof(err)),
	    1);
	want(&r, "h", 7, CONN_WS, "", 0, "/");
	assert_int_equal(remote_parse_url("wss://h:9/x", 7, &r, err,
	    sizeof(err)), 1);
	want(&r, "h", 9, CONN_WSS, "", 0, "/x");

#define URL_BAD(s, m) do {						\
	err[0] = '\0';							\
	assert_int_equal(remote_parse_url((s), 7, &r, err,		\
	    sizeof(err)), -1);						\
	if (strstr(err, (m)) == NULL)					\
		fail_msg("\"%s\": \"%s\", not \"%s\"", (s), err, (m));	\
} while (0)
	URL_BAD("ws://", "empty host");
	URL_BAD("ws:///p", "empty host");
	URL_BAD("ws://:1", "empty host");
	URL_BAD("ws://h:", "bad port \"\"");
	URL_BAD("ws://h:0", "bad port \"0\"");
	URL_BAD("ws://h:65536/", "bad port \"65536\"");
	URL_BAD("ws://h:x", "bad port \"x\"");
	URL_BAD("ws://h:1:2", "bad port \"1:2\"");
	URL_BAD("ws://h:12345678", "bad port in URL");
	URL_BAD("ws://[::1", "bad address in URL");
	URL_BAD("ws://[::1/]", "bad address in URL");
	URL_BAD("ws://[::1]x", "bad URL");
	URL_BAD("ws://[::1]x:1", "bad URL");
	URL_BAD("ws://[1.2.3.4]", "bad address");
	URL_BAD("ws://u@h/", "bad host \"u@h\"");
	URL_BAD("ws://h/a b", "bad path");
	URL_BAD("ws://h/a\tb", "bad path");
	URL_BAD("ws://h/\x7f", "bad path");
	URL_BAD("ws://h/\xc3\xa9", "bad path");

	/* A path of 255 bytes is the longest. */
	memset(url, 'p', sizeof(url));
	memcpy(url, "ws://h/", 7);
	url[6 + PUPPET_PATH_MAX - 1] = '\0';
	assert_int_equal(remote_parse_url(url, 7, &r, err, sizeof(err)), 1);
	assert_int_equal(strlen(r.path), PUPPET_PATH_MAX - 1);
	assert_string_equal(r.path, url + 6);
	url[6 + PUPPET_PATH_MAX - 1] = 'p';
	url[6 + PUPPET_PATH_MAX] = '\0';
	URL_BAD(url, "path longer than 255 bytes");
#undef URL_BAD
}

/* remote_parse_host(): --puppet-master without a URL. */
static void
test_parse_host(void **state __unused)
{
	struct puppet_remote	 r;
	char			 err[256], host[PUPPET_HOST_MAX + 1];

	defaults(&r);
	assert_int_equal(remote_parse_host("master.tremulous.net", &r, err,
	    sizeof(err)), 0);
	want(&r, "master.tremulous.net", DEF_PORT, CONN_AUTO, DEF_PROTO, 1,
	    "");
	assert_int_equal(remote_parse_host("192.0.2.1", &r, err,
	    sizeof(err)), 0);
	assert_string_equal(r.host, "192.0.2.1");
	assert_int_equal(remote_parse_host("2001:db8::1", &r, err,
	    sizeof(err)), 0);
	assert_string_equal(r.host, "2001:db8::1");
	assert_int_equal(remote_parse_host("[2001:db8::2]", &r, err,
	    sizeof(err)), 0);
	assert_string_equal(r.host, "2001:db8::2");

	assert_int_equal(remote_parse_host("", &r, err, sizeof(err)), -1);
	assert_string_equal(err, "empty host");
	assert_int_equal(remote_parse_host("a b", &r, err, sizeof(err)), -1);
	assert_string_equal(err, "bad host \"a b\"");
	assert_int_equal(remote_parse_host("[1.2.3.4]", &r, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "bad address \"[1.2.3.4]\"");
	memset(host, 'h', PUPPET_HOST_MAX);
	host[PUPPET_HOST_MAX] = '\0';
	assert_int_equal(remote_parse_host(host, &r, err, sizeof(err)), -1);
	assert_string_equal(err, "host longer than 255 bytes");
	host[PUPPET_HOST_MAX - 1] = '\0';
	assert_int_equal(remote_parse_host(host, &r, err, sizeof(err)), 0);
	assert_string_equal(r.host, host);
}

/* A message longer than the room for it is cut, and still a string. */
static void
test_err_room(void **state __unused)
{
	struct puppet_remote	 r;
	char			 err[8];

	defaults(&r);
	memset(err, 'x', sizeof(err));
	assert_int_equal(remote_parse_line("h:1:nonsense", &r, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "bad con");
}

static void
test_conn_name(void **state __unused)
{
	assert_string_equal(remote_conn_name(CONN_DEFAULT), "default");
	assert_string_equal(remote_conn_name(CONN_UDP), "udp");
	assert_string_equal(remote_conn_name(CONN_WS), "ws");
	assert_string_equal(remote_conn_name(CONN_WSS), "wss");
	assert_string_equal(remote_conn_name(CONN_AUTO), "auto");
	assert_string_equal(remote_conn_name((enum puppet_conn)99),
	    "default");
}

/* A temporary directory under /tmp for the files of one test. */
static int
tmp_setup(void **state)
{
	struct tmp	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return (-1);
	(void)strlcpy(t->dir, "/tmp/test_puppet_remotes.XXXXXX",
	    sizeof(t->dir));
	if (mkdtemp(t->dir) == NULL) {
		free(t);
		return (-1);
	}
	*state = t;
	return (0);
}

/* Its files and itself removed, whatever the test left. */
static int
tmp_teardown(void **state)
{
	struct tmp	*t = *state;
	int		 i, rv = 0;

	for (i = 0; i < t->nfile; i++)
		if (unlink(t->file[i]) == -1 && errno != ENOENT)
			rv = -1;
	if (rmdir(t->dir) == -1)
		rv = -1;
	free(t);
	return (rv);
}

/* A new file in the directory holding len bytes of s: its path. */
static const char *
put_file(struct tmp *t, const void *s, size_t len)
{
	char	*path, buf[PATH_MAX];
	int	 fd, n;

	if (t->nfile == NFILES)
		fail_msg("put_file: too many files");
	n = snprintf(buf, sizeof(buf), "%s/puppetmasters.XXXXXX", t->dir);
	if (n < 0 || (size_t)n >= sizeof(buf))
		fail_msg("put_file: path too long");
	path = t->file[t->nfile];
	(void)strlcpy(path, buf, PATH_MAX);
	if ((fd = mkstemp(path)) == -1)
		fail_msg("mkstemp: %s", strerror(errno));
	t->nfile++;
	if (len > 0 && write(fd, s, len) != (ssize_t)len)
		fail_msg("write: %s", strerror(errno));
	if (close(fd) == -1)
		fail_msg("close: %s", strerror(errno));
	return (path);
}

/*
 * remotes_load() into exactly PUPPET_REMOTES_MAX entries on the heap, so
 * that a write past them is caught by the sanitizers; r gets them.
 */
static int
load(const char *path, struct puppet_remote *r, int *n, char *err,
    size_t errlen)
{
	struct puppet_remote	*buf;
	int			 rv;

	if ((buf = calloc(PUPPET_REMOTES_MAX, sizeof(*buf))) == NULL)
		fail_msg("calloc");
	defaults(&buf[0]);
	memset(err, 'x', errlen);
	err[errlen - 1] = '\0';
	*n = -1;
	rv = remotes_load(path, buf, n, err, errlen);
	assert_true(*n >= 0 && *n <= PUPPET_REMOTES_MAX);
	assert_non_null(memchr(err, '\0', errlen));
	memcpy(r, buf, PUPPET_REMOTES_MAX * sizeof(*buf));
	free(buf);
	return (rv);
}

static void
test_load_missing(void **state)
{
	struct tmp		*t = *state;
	struct puppet_remote	 r[PUPPET_REMOTES_MAX];
	char			 path[PATH_MAX], err[256];
	int			 n;

	n = snprintf(path, sizeof(path), "%s/puppetmasters.txt", t->dir);
	assert_true(n > 0 && (size_t)n < sizeof(path));
	assert_int_equal(load(path, r, &n, err, sizeof(err)), 1);
	assert_int_equal(n, 0);
	assert_string_equal(err, "");
}

/* A good file: every form, comments, blanks, CRLF, no final newline. */
static void
test_load_good(void **state)
{
	static const char	 s[] =
	    "# remote masters\n"
	    "master.tremulous.net:30710\n"
	    "\n"
	    "master.tremulous.online 30710 websocket 71 getserversExt\r\n"
	    "   # indented comment\n"
	    "[2001:db8::1]:30711:udp:70:getservers\n"
	    "\t\n"
	    "wss://m.example.org:443/ws\n"
	    "h:1:::";
	struct tmp		*t = *state;
	struct puppet_remote	 r[PUPPET_REMOTES_MAX];
	const char		*path;
	char			 err[256];
	int			 n;

	path = put_file(t, s, sizeof(s) - 1);
	assert_int_equal(load(path, r, &n, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(n, 5);
	want(&r[0], "master.tremulous.net", 30710, CONN_AUTO, DEF_PROTO, 1,
	    "");
	assert_int_equal(r[0].line, 2);
	want(&r[1], "master.tremulous.online", 30710, CONN_WS, "71", 1, "");
	assert_int_equal(r[1].line, 4);
	want(&r[2], "2001:db8::1", 30711, CONN_UDP, "70", 0, "");
	assert_int_equal(r[2].line, 6);
	want(&r[3], "m.example.org", 443, CONN_WSS, DEF_PROTO, 1, "/ws");
	assert_int_equal(r[3].line, 8);
	/* Each line from the defaults, not from the line before it. */
	want(&r[4], "h", 1, CONN_AUTO, DEF_PROTO, 1, "");
	assert_int_equal(r[4].line, 9);

	/* An empty file, and one of comments only. */
	path = put_file(t, "", 0);
	assert_int_equal(load(path, r, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	path = put_file(t, "# a\n\n   \n#b", 11);
	assert_int_equal(load(path, r, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_string_equal(err, "");
}

/* A bad line 3: "PATH:3: why", and the good lines kept all the same. */
static void
test_load_bad_line(void **state)
{
	static const char	 s[] = "a:1\n# c\nb:0\nc:2\nd:x\ne 3\n";
	struct tmp		*t = *state;
	struct puppet_remote	 r[PUPPET_REMOTES_MAX];
	const char		*path;
	char			 err[PATH_MAX + 64], want_err[PATH_MAX + 64];
	int			 n;

	path = put_file(t, s, sizeof(s) - 1);
	assert_int_equal(load(path, r, &n, err, sizeof(err)), -1);
	(void)snprintf(want_err, sizeof(want_err), "%s:3: bad port \"0\"",
	    path);
	assert_string_equal(err, want_err);
	assert_int_equal(n, 3);
	want(&r[0], "a", 1, CONN_AUTO, DEF_PROTO, 1, "");
	assert_int_equal(r[0].line, 1);
	want(&r[1], "c", 2, CONN_AUTO, DEF_PROTO, 1, "");
	assert_int_equal(r[1].line, 4);
	want(&r[2], "e", 3, CONN_AUTO, DEF_PROTO, 1, "");
	assert_int_equal(r[2].line, 6);
}

/* A NUL byte in a line. */
static void
test_load_nul(void **state)
{
	static const char	 s[] = "a:1\nb:\0:2\nc:3\n";
	struct tmp		*t = *state;
	struct puppet_remote	 r[PUPPET_REMOTES_MAX];
	const char		*path;
	char			 err[PATH_MAX + 64], want_err[PATH_MAX + 64];
	int			 n;

	path = put_file(t, s, sizeof(s) - 1);
	assert_int_equal(load(path, r, &n, err, sizeof(err)), -1);
	(void)snprintf(want_err, sizeof(want_err), "%s:2: NUL byte", path);
	assert_string_equal(err, want_err);
	assert_int_equal(n, 2);
	want(&r[0], "a", 1, CONN_AUTO, DEF_PROTO, 1, "");
	want(&r[1], "c", 3, CONN_AUTO, DEF_PROTO, 1, "");
	assert_int_equal(r[1].line, 3);

	/* A NUL where a line of its own would end. */
	path = put_file(t, "a:1\0\n", 5);
	assert_int_equal(load(path, r, &n, err, sizeof(err)), -1);
	(void)snprintf(want_err, sizeof(want_err), "%s:1: NUL byte", path);
	assert_string_equal(err, want_err);
	assert_int_equal(n, 0);
}

/* A line longer than PUPPET_LINE_MAX in a file. */
static void
test_load_long_line(void **state)
{
	struct tmp		*t = *state;
	struct puppet_remote	 r[PUPPET_REMOTES_MAX];
	const char		*path;
	char			 s[4096], err[PATH_MAX + 64];
	char			 want_err[PATH_MAX + 64];
	int			 n;

	memset(s, ' ', sizeof(s));
	memcpy(s, "a:1\n", 4);
	memcpy(s + 4, "b:2", 3);
	s[3000] = '\n';
	memcpy(s + 3001, "c:3\n", 4);
	path = put_file(t, s, 3005);
	assert_int_equal(load(path, r, &n, err, sizeof(err)), -1);
	(void)snprintf(want_err, sizeof(want_err), "%s:2: line longer than "
	    "1023 bytes", path);
	assert_string_equal(err, want_err);
	assert_int_equal(n, 2);
	want(&r[0], "a", 1, CONN_AUTO, DEF_PROTO, 1, "");
	want(&r[1], "c", 3, CONN_AUTO, DEF_PROTO, 1, "");
}

/* PUPPET_REMOTES_MAX entries fit; the one after them is an error. */
static void
test_load_too_many(void **state)
{
	struct tmp		*t = *state;
	struct puppet_remote	 r[PUPPET_REMOTES_MAX];
	const char		*path;
	char			 s[8192], err[PATH_MAX + 64];
	char			 want_err[PATH_MAX + 64], host[16];
	size_t			 len = 0;
	int			 i, n;

	for (i = 0; i < PUPPET_REMOTES_MAX; i++)
		len += snprintf(s + len, sizeof(s) - len, "# %d\nh%d:%d\n",
		    i, i, i + 1);
	path = put_file(t, s, len);
	assert_int_equal(load(path, r, &n, err, sizeof(err)), 0);
	assert_int_equal(n, PUPPET_REMOTES_MAX);
	for (i = 0; i < PUPPET_REMOTES_MAX; i++) {
		(void)snprintf(host, sizeof(host), "h%d", i);
		want(&r[i], host, i + 1, CONN_AUTO, DEF_PROTO, 1, "");
		assert_int_equal(r[i].line, 2 * i + 2);
	}

	/* One more, two more, and a bad line after them. */
	len += snprintf(s + len, sizeof(s) - len, "x:1\ny:2\nz:0\n");
	path = put_file(t, s, len);
	assert_int_equal(load(path, r, &n, err, sizeof(err)), -1);
	(void)snprintf(want_err, sizeof(want_err), "%s:%d: more than %d "
	    "remote masters", path, 2 * PUPPET_REMOTES_MAX + 1,
	    PUPPET_REMOTES_MAX);
	assert_string_equal(err, want_err);
	assert_int_equal(n, PUPPET_REMOTES_MAX);
	want(&r[PUPPET_REMOTES_MAX - 1], "h63", 64, CONN_AUTO, DEF_PROTO, 1,
	    "");
}

/* Only the first bad line is told. */
static void
test_load_first_error(void **state)
{
	static const char	 s[] = "a:1:tcp\nb\nc:1\n";
	struct tmp		*t = *state;
	struct puppet_remote	 r[PUPPET_REMOTES_MAX];
	const char		*path;
	char			 err[PATH_MAX + 64], want_err[PATH_MAX + 64];
	int			 n;

	path = put_file(t, s, sizeof(s) - 1);
	assert_int_equal(load(path, r, &n, err, sizeof(err)), -1);
	(void)snprintf(want_err, sizeof(want_err), "%s:1: bad connection "
	    "\"tcp\" (udp, websocket, wss or auto)", path);
	assert_string_equal(err, want_err);
	assert_int_equal(n, 1);
	want(&r[0], "c", 1, CONN_AUTO, DEF_PROTO, 1, "");
	assert_int_equal(r[0].line, 3);
}

/* A path that cannot be read is an error, not a missing file. */
static void
test_load_unreadable(void **state)
{
	struct tmp		*t = *state;
	struct puppet_remote	 r[PUPPET_REMOTES_MAX];
	char			 err[PATH_MAX + 64], path[PATH_MAX];
	int			 n;

	assert_int_equal(load(t->dir, r, &n, err, sizeof(err)), -1);
	assert_int_equal(n, 0);
	assert_int_equal(strncmp(err, t->dir, strlen(t->dir)), 0);
	assert_string_equal(err + strlen(t->dir), ": refused: only a "
	    "regular file with one name is read");

	/* Through a file that is no directory. */
	(void)snprintf(path, sizeof(path), "%s/x", put_file(t, "", 0));
	assert_int_equal(load(path, r, &n, err, sizeof(err)), -1);
	assert_int_equal(n, 0);
	assert_non_null(strstr(err, ": Not a directory"));
}

/* A name in the directory for the teardown to remove. */
static const char *
tmp_name(struct tmp *t, const char *name)
{
	char	*path, buf[PATH_MAX];
	int	 n;

	if (t->nfile == NFILES)
		fail_msg("tmp_name: too many files");
	n = snprintf(buf, sizeof(buf), "%s/%s", t->dir, name);
	if (n < 0 || (size_t)n >= sizeof(buf))
		fail_msg("tmp_name: path too long");
	path = t->file[t->nfile++];
	(void)strlcpy(path, buf, PATH_MAX);
	return (path);
}

/*
 * The parent reads the file as root from a directory the -u user may
 * write: a link, a FIFO or a second name stands refused, and the FIFO
 * does not block.
 */
static void
test_load_refused(void **state)
{
	struct tmp		*t = *state;
	struct puppet_remote	 r[PUPPET_REMOTES_MAX];
	char			 err[PATH_MAX + 64];
	const char		*good, *path;
	int			 n;

	good = put_file(t, "master.example.org:30710\n", 25);
	assert_int_equal(load(good, r, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);

	path = tmp_name(t, "symlink");
	assert_int_equal(symlink(good, path), 0);
	assert_int_equal(load(path, r, &n, err, sizeof(err)), -1);
	assert_int_equal(n, 0);
	assert_non_null(strstr(err, ": refused: only a regular file"));

	path = tmp_name(t, "fifo");
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(load(path, r, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": refused: only a regular file"));

	path = tmp_name(t, "hardlink");
	assert_int_equal(link(good, path), 0);
	assert_int_equal(load(path, r, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": refused: only a regular file"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_colon_forms),
		cmocka_unit_test(test_space_forms),
		cmocka_unit_test(test_case),
		cmocka_unit_test(test_v6),
		cmocka_unit_test(test_defaults_kept),
		cmocka_unit_test(test_blank_comment),
		cmocka_unit_test(test_bad_port),
		cmocka_unit_test(test_bad_conn),
		cmocka_unit_test(test_bad_request),
		cmocka_unit_test(test_bad_protocol),
		cmocka_unit_test(test_too_many_fields),
		cmocka_unit_test(test_no_port),
		cmocka_unit_test(test_bad_host),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_url_fields),
		cmocka_unit_test(test_url_conn),
		cmocka_unit_test(test_conn_over_default),
		cmocka_unit_test(test_parse_url),
		cmocka_unit_test(test_parse_host),
		cmocka_unit_test(test_err_room),
		cmocka_unit_test(test_conn_name),
		cmocka_unit_test_setup_teardown(test_load_missing, tmp_setup,
		    tmp_teardown),
		cmocka_unit_test_setup_teardown(test_load_good, tmp_setup,
		    tmp_teardown),
		cmocka_unit_test_setup_teardown(test_load_bad_line, tmp_setup,
		    tmp_teardown),
		cmocka_unit_test_setup_teardown(test_load_nul, tmp_setup,
		    tmp_teardown),
		cmocka_unit_test_setup_teardown(test_load_long_line, tmp_setup,
		    tmp_teardown),
		cmocka_unit_test_setup_teardown(test_load_too_many, tmp_setup,
		    tmp_teardown),
		cmocka_unit_test_setup_teardown(test_load_first_error,
		    tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_load_unreadable,
		    tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_load_refused,
		    tmp_setup, tmp_teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
