/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Unit tests of netd/proto.c: the parsers of every message the master
 * receives and the builders of every message it sends, checked byte for
 * byte against the examples of PROTOCOL.md.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka needs the four headers above it. */
#include <cmocka.h>

#include "log.h"
#include "tremmasterd.h"
#include "proto.h"

/* A string literal as bytes and length, NULs inside included. */
#define BYTES(s)	((const u_char *)(s)), (sizeof(s) - 1)

/* The required keys of an infoResponse, in stock wire order. */
static const char *info_keys[][2] = {
	{ "sv_maxclients",	"12" },
	{ "clients",		"3" },
	{ "hostname",		"My Server" },
	{ "protocol",		"69" },
	{ "challenge",		"Abc123XYZ!#$" }
};

static enum pkt_cmd	 command(const u_char *, size_t, size_t *);
static int		 getservers(const u_char *, size_t, struct gs_query *);
static size_t		 info_build(char *, size_t, const char *,
			    const char *);
static int		 inforesponse(const char *, struct inforesp *);
static int		 getmotd(const char *, struct motdreq *);
static void		 make_addr(struct ipc_addr *, int, const char *,
			    uint16_t);
static size_t		 list_build(u_char *, size_t, int, int, int,
			    const char *, const struct ipc_addr *, size_t);
static void		 assert_bytes(const u_char *, size_t, const u_char *,
			    size_t);
static void		 assert_detail(const char *, size_t, size_t,
			    const char *, size_t);

/* proto_command(), with the offset checked to stay inside the packet. */
static enum pkt_cmd
command(const u_char *pkt, size_t len, size_t *off)
{
	enum pkt_cmd	 cmd;

	*off = 12345;
	cmd = proto_command(pkt, len, off);
	assert_true(*off <= len);
	return (cmd);
}

/*
 * A whole getservers or getserversExt datagram, dispatched as netd does:
 * the command picks the parser, which gets the bytes after the name.
 */
static int
getservers(const u_char *pkt, size_t len, struct gs_query *q)
{
	enum pkt_cmd	 cmd;
	size_t		 off;

	cmd = command(pkt, len, &off);
	if (cmd != CMD_GETSERVERS && cmd != CMD_GETSERVERSEXT)
		fail_msg("not a getservers command: %d", cmd);
	return (proto_getservers(pkt + off, len - off,
	    cmd == CMD_GETSERVERSEXT, q));
}

/*
 * The arguments of an infoResponse ("\n" and the infostring) with the
 * required keys, key skip left out and the challenge replaced by
 * challenge when they are not NULL.
 */
static size_t
info_build(char *buf, size_t len, const char *skip, const char *challenge)
{
	const char	*v;
	size_t		 i;

	if (strlcpy(buf, "\n\\game\\base\\pure\\1", len) >= len)
		fail_msg("info_build: buffer too small");
	for (i = 0; i < nitems(info_keys); i++) {
		if (skip != NULL && strcmp(info_keys[i][0], skip) == 0)
			continue;
		v = info_keys[i][1];
		if (challenge != NULL &&
		    strcmp(info_keys[i][0], "challenge") == 0)
			v = challenge;
		if (strlcat(buf, "\\", len) >= len ||
		    strlcat(buf, info_keys[i][0], len) >= len ||
		    strlcat(buf, "\\", len) >= len ||
		    strlcat(buf, v, len) >= len)
			fail_msg("info_build: buffer too small");
	}
	return (strlen(buf));
}

static int
inforesponse(const char *args, struct inforesp *ir)
{
	return (proto_inforesponse((const u_char *)args, strlen(args), ir));
}

static int
getmotd(const char *args, struct motdreq *mr)
{
	return (proto_getmotd((const u_char *)args, strlen(args), mr));
}

static void
make_addr(struct ipc_addr *a, int af, const char *s, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = af;
	a->port = htons(port);
	if (inet_pton(af, s, a->addr) != 1)
		fail_msg("inet_pton %s", s);
}

/* A whole list packet: start, n entries, end. */
static size_t
list_build(u_char *buf, size_t len, int ext, int idx, int total,
    const char *label, const struct ipc_addr *a, size_t n)
{
	size_t	 off, r, i;

	off = proto_list_start(buf, len, ext, idx, total, label);
	assert_true(off > 0);
	for (i = 0; i < n; i++) {
		r = proto_list_entry(buf + off, len - off, &a[i], ext);
		assert_true(r > 0);
		off += r;
	}
	r = proto_list_end(buf + off, len - off);
	assert_int_equal(r, 1);
	return (off + r);
}

static void
assert_bytes(const u_char *got, size_t glen, const u_char *want, size_t wlen)
{
	size_t	 i;

	assert_int_equal(glen, wlen);
	for (i = 0; i < wlen; i++)
		if (got[i] != want[i])
			fail_msg("byte %zu: got 0x%02x, want 0x%02x", i,
			    got[i], want[i]);
}

/*
 * A value of struct info_details: want, wlen bytes long, in a buffer of
 * size bytes whose rest is zero.
 */
static void
assert_detail(const char *got, size_t glen, size_t size, const char *want,
    size_t wlen)
{
	size_t	 i;

	assert_true(glen <= size);
	assert_bytes((const u_char *)got, glen, (const u_char *)want, wlen);
	for (i = glen; i < size; i++)
		if (got[i] != '\0')
			fail_msg("byte %zu past the value: 0x%02x", i,
			    (u_char)got[i]);
}

/* Every command, with the offset just past its name. */
static void
test_command_each(void **state __unused)
{
	size_t	 off;

	assert_int_equal(command(BYTES("\xff\xff\xff\xffgamestat x"), &off),
	    CMD_GAMESTAT);
	assert_int_equal(off, 12);
	assert_int_equal(command(BYTES("\xff\xff\xff\xffgetmotd\\challenge"
	    "\\1"), &off), CMD_GETMOTD);
	assert_int_equal(off, 11);
	assert_int_equal(command(BYTES("\xff\xff\xff\xffgetserversExt "
	    "Tremulous 71"), &off), CMD_GETSERVERSEXT);
	assert_int_equal(off, 17);
	assert_int_equal(command(BYTES("\xff\xff\xff\xffgetservers 69"),
	    &off), CMD_GETSERVERS);
	assert_int_equal(off, 14);
	assert_int_equal(command(BYTES("\xff\xff\xff\xffheartbeat "
	    "Tremulous\n"), &off), CMD_HEARTBEAT);
	assert_int_equal(off, 13);
	assert_int_equal(command(BYTES("\xff\xff\xff\xffinfoResponse\n"
	    "\\hostname\\h"), &off), CMD_INFORESPONSE);
	assert_int_equal(off, 16);
}

/* The name alone, nothing after it: the offset is the length. */
static void
test_command_bare(void **state __unused)
{
	size_t	 off;

	assert_int_equal(command(BYTES("\xff\xff\xff\xffgetservers"), &off),
	    CMD_GETSERVERS);
	assert_int_equal(off, 14);
	assert_int_equal(command(BYTES("\xff\xff\xff\xffgetserversExt"),
	    &off), CMD_GETSERVERSEXT);
	assert_int_equal(off, 17);
	assert_int_equal(command(BYTES("\xff\xff\xff\xffgetmotd"), &off),
	    CMD_GETMOTD);
	assert_int_equal(off, 11);
}

/* Matched by prefix, as the Python master does. */
static void
test_command_prefix(void **state __unused)
{
	size_t	 off;

	assert_int_equal(command(BYTES("\xff\xff\xff\xffgetserversFoo 69"),
	    &off), CMD_GETSERVERS);
	assert_int_equal(off, 14);
	assert_int_equal(command(BYTES("\xff\xff\xff\xffheartbeatX"), &off),
	    CMD_HEARTBEAT);
	assert_int_equal(off, 13);
	assert_int_equal(command(BYTES("\xff\xff\xff\xffgetserversExtra 1"),
	    &off), CMD_GETSERVERSEXT);
	assert_int_equal(off, 17);
	assert_int_equal(command(BYTES("\xff\xff\xff\xffgamestatistics"),
	    &off), CMD_GAMESTAT);
	assert_int_equal(off, 12);
}

static void
test_command_unknown(void **state __unused)
{
	u_char	 empty[1] = { 0 };
	size_t	 off;

	assert_int_equal(command(BYTES("getservers 69 full empty"), &off),
	    CMD_UNKNOWN);
	assert_int_equal(off, 0);
	assert_int_equal(command(BYTES("\xff\xff\xff"), &off), CMD_UNKNOWN);
	assert_int_equal(off, 0);
	assert_int_equal(command(BYTES("\xff\xff\xff\xff\xff\xff\xff\xff"),
	    &off), CMD_UNKNOWN);
	assert_int_equal(off, 0);
	assert_int_equal(command(empty, 0, &off), CMD_UNKNOWN);
	assert_int_equal(off, 0);
	assert_int_equal(command(BYTES("\xff\xff\xff\xff"), &off),
	    CMD_UNKNOWN);
	assert_int_equal(off, 0);
	assert_int_equal(command(BYTES("\xff\xff\xff\xffhello world"), &off),
	    CMD_UNKNOWN);
	assert_int_equal(off, 0);
}

/* Only whole names count, in their exact case, right after the header. */
static void
test_command_near_miss(void **state __unused)
{
	size_t	 off;

	assert_int_equal(command(BYTES("\xff\xff\xff\xffgetserver"), &off),
	    CMD_UNKNOWN);
	assert_int_equal(command(BYTES("\xff\xff\xff\xffHeartbeat "
	    "Tremulous\n"), &off), CMD_UNKNOWN);
	assert_int_equal(command(BYTES("\xff\xff\xff\xff heartbeat"), &off),
	    CMD_UNKNOWN);
	assert_int_equal(command(BYTES("\xff\xff\xff\xfeheartbeat"), &off),
	    CMD_UNKNOWN);
	assert_int_equal(command(BYTES("\xff\xff\xffheartbeat"), &off),
	    CMD_UNKNOWN);
	assert_int_equal(command(BYTES("\xff\xff\xff\xffinforesponse\n"),
	    &off), CMD_UNKNOWN);
	assert_int_equal(off, 0);
}

static void
test_heartbeat_dead(void **state __unused)
{
	assert_int_equal(proto_heartbeat_dead(BYTES("\xff\xff\xff\xff"
	    "heartbeat Tremulousdead\n")), 1);
	assert_int_equal(proto_heartbeat_dead(BYTES("\xff\xff\xff\xff"
	    "heartbeat deadbeef")), 1);
	assert_int_equal(proto_heartbeat_dead(BYTES("\xff\xff\xff\xff"
	    "heartbeat Tremulous\n\0dead")), 1);
	assert_int_equal(proto_heartbeat_dead(BYTES("dead")), 1);
}

static void
test_heartbeat_alive(void **state __unused)
{
	assert_int_equal(proto_heartbeat_dead(BYTES("\xff\xff\xff\xff"
	    "heartbeat Tremulous\n")), 0);
	assert_int_equal(proto_heartbeat_dead(BYTES("\xff\xff\xff\xff"
	    "heartbeat DarkPlaces\n")), 0);
	assert_int_equal(proto_heartbeat_dead(BYTES("\xff\xff\xff\xff"
	    "heartbeat DEAD dea")), 0);
	assert_int_equal(proto_heartbeat_dead(BYTES("")), 0);
}

/* The 1.1 client's request. */
static void
test_getservers_plain(void **state __unused)
{
	struct gs_query	 q;

	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetservers 69 "
	    "full empty"), &q), 0);
	assert_string_equal(q.protocol, "69");
	assert_int_equal(q.ext, 0);
	assert_int_equal(q.empty, 1);
	assert_int_equal(q.full, 1);
	assert_int_equal(q.family, AF_INET);
}

/* qstat: other order, a newline at the end. */
static void
test_getservers_qstat(void **state __unused)
{
	struct gs_query	 q;

	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetservers 69 "
	    "empty full\n"), &q), 0);
	assert_string_equal(q.protocol, "69");
	assert_int_equal(q.ext, 0);
	assert_int_equal(q.empty, 1);
	assert_int_equal(q.full, 1);
	assert_int_equal(q.family, AF_INET);

	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetservers 70\n"),
	    &q), 0);
	assert_string_equal(q.protocol, "70");
	assert_int_equal(q.empty, 0);
	assert_int_equal(q.full, 0);
}

static void
test_getservers_no_protocol(void **state __unused)
{
	struct gs_query	 q;

	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetservers"), &q),
	    -1);
	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetservers \n"),
	    &q), -1);
	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetserversFoo"),
	    &q), -1);
}

/*
 * darklegion 2011-2015 builds send "getservers Tremulous full empty": the
 * first token is the protocol whatever it is, and matches no server.
 * "Tremulous" itself is longer than PROTO_LEN - 1 and refused, so those
 * clients get no reply instead of TREM's empty list: a short word here.
 */
static void
test_getservers_game_name(void **state __unused)
{
	struct gs_query	 q;

	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetservers "
	    "Trem full empty"), &q), 0);
	assert_string_equal(q.protocol, "Trem");
	assert_int_equal(q.empty, 1);
	assert_int_equal(q.full, 1);
	assert_int_equal(q.family, AF_INET);
}

/* The rest of a longer command word is not the protocol. */
static void
test_getservers_prefix(void **state __unused)
{
	struct gs_query	 q;

	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetserversFoo 69 "
	    "empty"), &q), 0);
	assert_string_equal(q.protocol, "69");
	assert_int_equal(q.ext, 0);
	assert_int_equal(q.empty, 1);
	assert_int_equal(q.full, 0);
}

static void
test_getservers_ext(void **state __unused)
{
	struct gs_query	 q;

	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetserversExt "
	    "Tremulous 71 full empty"), &q), 0);
	assert_string_equal(q.protocol, "71");
	assert_int_equal(q.ext, 1);
	assert_int_equal(q.empty, 1);
	assert_int_equal(q.full, 1);
	assert_int_equal(q.family, AF_UNSPEC);

	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetserversExt "
	    "Tremulous 70"), &q), 0);
	assert_string_equal(q.protocol, "70");
	assert_int_equal(q.empty, 0);
	assert_int_equal(q.full, 0);
	assert_int_equal(q.family, AF_UNSPEC);
}

static void
test_getservers_ext_families(void **state __unused)
{
	struct gs_query	 q;

	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetserversExt "
	    "Tremulous 71 ipv6 full"), &q), 0);
	assert_string_equal(q.protocol, "71");
	assert_int_equal(q.family, AF_INET6);
	assert_int_equal(q.full, 1);
	assert_int_equal(q.empty, 0);

	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetserversExt "
	    "Tremulous 71 ipv4"), &q), 0);
	assert_int_equal(q.family, AF_INET);

	/* ipv4 wins, in either order. */
	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetserversExt "
	    "Tremulous 71 ipv4 ipv6"), &q), 0);
	assert_int_equal(q.family, AF_INET);
	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetserversExt "
	    "Tremulous 71 ipv6 empty ipv4"), &q), 0);
	assert_int_equal(q.family, AF_INET);
	assert_int_equal(q.empty, 1);

	/* Family keywords mean nothing in a plain request. */
	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetservers 69 "
	    "ipv6"), &q), 0);
	assert_int_equal(q.family, AF_INET);
}

static void
test_getservers_ext_bad_game(void **state __unused)
{
	struct gs_query	 q;

	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetserversExt "
	    "Quake3 68"), &q), -1);
	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetserversExt "
	    "tremulous 71"), &q), -1);
	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetserversExt "
	    "TremulousX 71"), &q), -1);
	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetserversExt "
	    "71"), &q), -1);
	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetserversExt"),
	    &q), -1);
}

static void
test_getservers_ext_no_protocol(void **state __unused)
{
	struct gs_query	 q;

	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetserversExt "
	    "Tremulous"), &q), -1);
	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetserversExt "
	    "Tremulous \n"), &q), -1);
}

/*
 * PROTO_LEN - 1 characters fit; a longer protocol matches no server, and
 * the request still gets its (empty) answer, as "getservers Tremulous
 * full empty" from 2011-2015 builds did from the Python master.
 */
static void
test_getservers_long_protocol(void **state __unused)
{
	struct gs_query	 q;

	assert_int_equal(PROTO_LEN, 8);
	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetservers "
	    "1234567 full"), &q), 0);
	assert_string_equal(q.protocol, "1234567");
	assert_int_equal(q.full, 1);
	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetservers "
	    "12345678 full"), &q), 0);
	assert_string_equal(q.protocol, "");
	assert_int_equal(q.full, 1);
	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetservers "
	    "Tremulous full empty"), &q), 0);
	assert_string_equal(q.protocol, "");
	assert_int_equal(q.empty, 1);
	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetserversExt "
	    "Tremulous 12345678"), &q), 0);
	assert_string_equal(q.protocol, "");
}

static void
test_getservers_whitespace(void **state __unused)
{
	struct gs_query	 q;

	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetservers\t69"
	    "  \t empty\t\tfull  \r\n"), &q), 0);
	assert_string_equal(q.protocol, "69");
	assert_int_equal(q.empty, 1);
	assert_int_equal(q.full, 1);
	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetserversExt\t"
	    "  Tremulous\t\t71   ipv6\t"), &q), 0);
	assert_string_equal(q.protocol, "71");
	assert_int_equal(q.family, AF_INET6);
	/* Keywords are whole tokens. */
	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetservers 69 "
	    "emptyfull fulll EMPTY"), &q), 0);
	assert_int_equal(q.empty, 0);
	assert_int_equal(q.full, 0);
}

static void
test_getservers_nul(void **state __unused)
{
	struct gs_query	 q;

	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetservers 69 "
	    "empty\0full"), &q), 0);
	assert_string_equal(q.protocol, "69");
	assert_int_equal(q.empty, 1);
	assert_int_equal(q.full, 0);
	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetservers 6\0"
	    "9 full"), &q), 0);
	assert_string_equal(q.protocol, "6");
	assert_int_equal(q.full, 0);
	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetservers \0"
	    "69 full"), &q), -1);
	assert_int_equal(getservers(BYTES("\xff\xff\xff\xffgetserversExt "
	    "Tremulous\0 71"), &q), -1);
}

static void
test_info_last_wins(void **state __unused)
{
	static const u_char	 info[] = "\\a\\1\\b\\2\\a\\three";
	const u_char		*v = NULL;
	size_t			 vlen = 0;

	assert_int_equal(proto_info_value(info, sizeof(info) - 1, "a", &v,
	    &vlen), 1);
	assert_ptr_equal(v, info + 11);
	assert_int_equal(vlen, 5);
	assert_memory_equal(v, "three", 5);
	assert_int_equal(proto_info_value(info, sizeof(info) - 1, "b", &v,
	    &vlen), 1);
	assert_int_equal(vlen, 1);
	assert_memory_equal(v, "2", 1);
}

static void
test_info_backslashes(void **state __unused)
{
	const u_char	*v = NULL;
	size_t		 vlen = 0;

	assert_int_equal(proto_info_value(BYTES("\\\\\\a\\1\\b\\22\\\\\\"),
	    "a", &v, &vlen), 1);
	assert_int_equal(vlen, 1);
	assert_memory_equal(v, "1", 1);
	assert_int_equal(proto_info_value(BYTES("\\\\\\a\\1\\b\\22\\\\\\"),
	    "b", &v, &vlen), 1);
	assert_int_equal(vlen, 2);
	assert_memory_equal(v, "22", 2);
	/* No leading backslash at all. */
	assert_int_equal(proto_info_value(BYTES("a\\1\\b\\2"), "b", &v,
	    &vlen), 1);
	assert_int_equal(vlen, 1);
	assert_memory_equal(v, "2", 1);
}

static void
test_info_missing(void **state __unused)
{
	const u_char	*v = NULL;
	size_t		 vlen = 0;

	assert_int_equal(proto_info_value(BYTES("\\a\\1\\b\\2"), "c", &v,
	    &vlen), 0);
	/* Values are not keys. */
	assert_int_equal(proto_info_value(BYTES("\\a\\1\\b\\2"), "1", &v,
	    &vlen), 0);
	assert_int_equal(proto_info_value(BYTES(""), "a", &v, &vlen), 0);
	assert_int_equal(proto_info_value(BYTES("\\\\\\"), "a", &v, &vlen),
	    0);
	assert_null(v);
	assert_int_equal(vlen, 0);
}

static void
test_info_prefix_key(void **state __unused)
{
	const u_char	*v = NULL;
	size_t		 vlen = 0;

	assert_int_equal(proto_info_value(BYTES("\\clients\\5\\client\\x"),
	    "client", &v, &vlen), 1);
	assert_int_equal(vlen, 1);
	assert_memory_equal(v, "x", 1);
	assert_int_equal(proto_info_value(BYTES("\\client\\x\\clients\\5"),
	    "clients", &v, &vlen), 1);
	assert_int_equal(vlen, 1);
	assert_memory_equal(v, "5", 1);
	assert_int_equal(proto_info_value(BYTES("\\clients\\5"), "client",
	    &v, &vlen), 0);
	assert_int_equal(proto_info_value(BYTES("\\client\\5"), "clients",
	    &v, &vlen), 0);
	assert_int_equal(proto_info_value(BYTES("\\sv_maxclients\\8"),
	    "clients", &v, &vlen), 0);
}

static void
test_info_empty_value(void **state __unused)
{
	static const u_char	 info[] = "\\a\\\\b\\2";
	const u_char		*v = NULL;
	size_t			 vlen = 99;

	assert_int_equal(proto_info_value(info, sizeof(info) - 1, "a", &v,
	    &vlen), 1);
	assert_int_equal(vlen, 0);
	assert_ptr_equal(v, info + 3);
	assert_int_equal(proto_info_value(info, sizeof(info) - 1, "b", &v,
	    &vlen), 1);
	assert_int_equal(vlen, 1);
	assert_memory_equal(v, "2", 1);
}

/* A key without a value at the end is ignored. */
static void
test_info_odd_count(void **state __unused)
{
	const u_char	*v = NULL;
	size_t		 vlen = 0;

	assert_int_equal(proto_info_value(BYTES("\\a\\1\\b"), "b", &v,
	    &vlen), 0);
	assert_int_equal(proto_info_value(BYTES("\\a\\1\\b\\"), "b", &v,
	    &vlen), 0);
	assert_int_equal(proto_info_value(BYTES("\\a\\1\\b"), "a", &v,
	    &vlen), 1);
	assert_int_equal(vlen, 1);
	assert_memory_equal(v, "1", 1);
	assert_int_equal(proto_info_value(BYTES("\\b"), "b", &v, &vlen), 0);
}

/* The stock wire example of PROTOCOL.md R2. */
static void
test_inforesponse_stock(void **state __unused)
{
	static const u_char	 pkt[] = "\xff\xff\xff\xffinfoResponse\n"
	    "\\game\\X\\maxPing\\N\\minPing\\N\\voip\\X\\pure\\1"
	    "\\sv_maxclients\\N\\clients\\N\\mapname\\M\\hostname\\H"
	    "\\gamename\\Tremulous\\protocol\\69\\challenge\\C";
	struct inforesp		 ir;
	size_t			 off;

	assert_int_equal(command(pkt, sizeof(pkt) - 1, &off),
	    CMD_INFORESPONSE);
	assert_int_equal(proto_inforesponse(pkt + off, sizeof(pkt) - 1 - off,
	    &ir), 0);
	assert_string_equal(ir.challenge, "C");
	assert_int_equal(ir.nprotocols, 1);
	assert_string_equal(ir.protocols[0], "69");
	assert_int_equal(ir.empty, 0);
	assert_int_equal(ir.full, 1);
}

/* The same with real values: 3 of 12 clients. */
static void
test_inforesponse_values(void **state __unused)
{
	struct inforesp	 ir;

	assert_int_equal(inforesponse("\n\\game\\base\\maxPing\\400"
	    "\\minPing\\0\\pure\\1\\sv_maxclients\\12\\clients\\3\\mapname"
	    "\\atcs\\hostname\\^1My ^7Server\\gamename\\Tremulous\\protocol"
	    "\\69\\challenge\\Abc123XYZ!#$", &ir), 0);
	assert_string_equal(ir.challenge, "Abc123XYZ!#$");
	assert_int_equal(ir.nprotocols, 1);
	assert_string_equal(ir.protocols[0], "69");
	assert_int_equal(ir.empty, 0);
	assert_int_equal(ir.full, 0);
}

static void
test_inforesponse_empty(void **state __unused)
{
	struct inforesp	 ir;

	assert_int_equal(inforesponse("\n\\sv_maxclients\\12\\clients\\0"
	    "\\hostname\\h\\protocol\\70\\challenge\\c", &ir), 0);
	assert_int_equal(ir.empty, 1);
	assert_int_equal(ir.full, 0);
	assert_string_equal(ir.protocols[0], "70");
	/* "00" is not the string "0". */
	assert_int_equal(inforesponse("\n\\sv_maxclients\\12\\clients\\00"
	    "\\hostname\\h\\protocol\\70\\challenge\\c", &ir), 0);
	assert_int_equal(ir.empty, 0);
}

/* Full: clients and sv_maxclients equal as strings. */
static void
test_inforesponse_full(void **state __unused)
{
	struct inforesp	 ir;

	assert_int_equal(inforesponse("\n\\sv_maxclients\\12\\clients\\12"
	    "\\hostname\\h\\protocol\\71\\challenge\\c", &ir), 0);
	assert_int_equal(ir.full, 1);
	assert_int_equal(ir.empty, 0);
	assert_int_equal(inforesponse("\n\\sv_maxclients\\12\\clients\\012"
	    "\\hostname\\h\\protocol\\71\\challenge\\c", &ir), 0);
	assert_int_equal(ir.full, 0);
	assert_int_equal(inforesponse("\n\\sv_maxclients\\12\\clients\\1"
	    "\\hostname\\h\\protocol\\71\\challenge\\c", &ir), 0);
	assert_int_equal(ir.full, 0);
	/* No slots at all: both. */
	assert_int_equal(inforesponse("\n\\sv_maxclients\\0\\clients\\0"
	    "\\hostname\\h\\protocol\\71\\challenge\\c", &ir), 0);
	assert_int_equal(ir.full, 1);
	assert_int_equal(ir.empty, 1);
}

static void
test_inforesponse_protocols(void **state __unused)
{
	struct inforesp	 ir;

	assert_int_equal(inforesponse("\n\\sv_maxclients\\8\\clients\\1"
	    "\\hostname\\h\\protocol\\69,70,71\\challenge\\c", &ir), 0);
	assert_int_equal(ir.nprotocols, 3);
	assert_string_equal(ir.protocols[0], "69");
	assert_string_equal(ir.protocols[1], "70");
	assert_string_equal(ir.protocols[2], "71");
}

/* Empty and overlong items are skipped; at most PROTO_MAX are kept. */
static void
test_inforesponse_protocols_odd(void **state __unused)
{
	struct inforesp	 ir;

	assert_int_equal(PROTO_MAX, 4);
	assert_int_equal(inforesponse("\n\\sv_maxclients\\8\\clients\\1"
	    "\\hostname\\h\\protocol\\,69,,123456789,70,\\challenge\\c",
	    &ir), 0);
	assert_int_equal(ir.nprotocols, 2);
	assert_string_equal(ir.protocols[0], "69");
	assert_string_equal(ir.protocols[1], "70");

	assert_int_equal(inforesponse("\n\\sv_maxclients\\8\\clients\\1"
	    "\\hostname\\h\\protocol\\1,2,3,4,5,6\\challenge\\c", &ir), 0);
	assert_int_equal(ir.nprotocols, 4);
	assert_string_equal(ir.protocols[0], "1");
	assert_string_equal(ir.protocols[3], "4");

	assert_int_equal(inforesponse("\n\\sv_maxclients\\8\\clients\\1"
	    "\\hostname\\h\\protocol\\1234567\\challenge\\c", &ir), 0);
	assert_int_equal(ir.nprotocols, 1);
	assert_string_equal(ir.protocols[0], "1234567");

	assert_int_equal(inforesponse("\n\\sv_maxclients\\8\\clients\\1"
	    "\\hostname\\h\\protocol\\12345678\\challenge\\c", &ir), -1);
	assert_int_equal(inforesponse("\n\\sv_maxclients\\8\\clients\\1"
	    "\\hostname\\h\\protocol\\\\challenge\\c", &ir), -1);
	assert_int_equal(inforesponse("\n\\sv_maxclients\\8\\clients\\1"
	    "\\hostname\\h\\protocol\\,,\\challenge\\c", &ir), -1);
}

/* Each required key left out in turn. */
static void
test_inforesponse_missing_key(void **state __unused)
{
	static const char	*keys[] = { "hostname", "challenge",
				    "protocol", "clients", "sv_maxclients" };
	struct inforesp		 ir;
	char			 buf[512], pat[32];
	size_t			 i, len;

	len = info_build(buf, sizeof(buf), NULL, NULL);
	assert_int_equal(proto_inforesponse((const u_char *)buf, len, &ir),
	    0);
	assert_string_equal(ir.challenge, "Abc123XYZ!#$");
	for (i = 0; i < nitems(keys); i++) {
		len = info_build(buf, sizeof(buf), keys[i], NULL);
		(void)snprintf(pat, sizeof(pat), "\\%s\\", keys[i]);
		assert_null(strstr(buf, pat));
		if (proto_inforesponse((const u_char *)buf, len, &ir) != -1)
			fail_msg("accepted without %s", keys[i]);
	}
}

/* CHALLENGE_MAX characters are echoed, one more is refused. */
static void
test_inforesponse_long_challenge(void **state __unused)
{
	struct inforesp	 ir;
	char		 ch[CHALLENGE_MAX + 2], buf[512];
	size_t		 len;

	memset(ch, 'x', CHALLENGE_MAX);
	ch[CHALLENGE_MAX] = '\0';
	len = info_build(buf, sizeof(buf), NULL, ch);
	assert_int_equal(proto_inforesponse((const u_char *)buf, len, &ir),
	    0);
	assert_string_equal(ir.challenge, ch);

	ch[CHALLENGE_MAX] = 'x';
	ch[CHALLENGE_MAX + 1] = '\0';
	len = info_build(buf, sizeof(buf), NULL, ch);
	assert_int_equal(proto_inforesponse((const u_char *)buf, len, &ir),
	    -1);
}

static void
test_inforesponse_nul_challenge(void **state __unused)
{
	struct inforesp	 ir;

	assert_int_equal(proto_inforesponse(BYTES("\n\\sv_maxclients\\8"
	    "\\clients\\1\\hostname\\h\\protocol\\69\\challenge\\ab\0cd"),
	    &ir), -1);
	assert_int_equal(proto_inforesponse(BYTES("\n\\challenge\\\0"
	    "\\sv_maxclients\\8\\clients\\1\\hostname\\h\\protocol\\69"),
	    &ir), -1);
}

/* Bytes above 127 are only bytes. */
static void
test_inforesponse_high_bytes(void **state __unused)
{
	struct inforesp	 ir;

	assert_int_equal(proto_inforesponse(BYTES("\n\\sv_maxclients\\8"
	    "\\clients\\8\\hostname\\\xe9" "t\xe9\xff\x80\xc3\xa9\x7f"
	    "\\protocol\\69\\challenge\\c\xfe"), &ir), 0);
	assert_int_equal(ir.full, 1);
	assert_string_equal(ir.protocols[0], "69");
	assert_string_equal(ir.challenge, "c\xfe");
}

/* TREM's rule: the first space, backslash or newline starts the info. */
static void
test_inforesponse_separator(void **state __unused)
{
	struct inforesp	 ir;

	assert_int_equal(inforesponse(" \\sv_maxclients\\8\\clients\\1"
	    "\\hostname\\h\\protocol\\69\\challenge\\sp", &ir), 0);
	assert_string_equal(ir.challenge, "sp");
	assert_int_equal(inforesponse("\\sv_maxclients\\8\\clients\\1"
	    "\\hostname\\h\\protocol\\69\\challenge\\bs", &ir), 0);
	assert_string_equal(ir.challenge, "bs");
	assert_int_equal(inforesponse("Junk\n\\sv_maxclients\\8\\clients\\1"
	    "\\hostname\\h\\protocol\\69\\challenge\\nl", &ir), 0);
	assert_string_equal(ir.challenge, "nl");
	assert_int_equal(inforesponse("", &ir), -1);
	assert_int_equal(inforesponse("hostname", &ir), -1);
	assert_int_equal(inforesponse("\n", &ir), -1);
}

/* The details of the stock example with real values. */
static void
test_inforesponse_details(void **state __unused)
{
	struct inforesp		 ir;
	struct info_details	*d = &ir.details;

	assert_int_equal(inforesponse("\n\\game\\base\\maxPing\\400"
	    "\\minPing\\0\\pure\\1\\sv_maxclients\\12\\clients\\3\\mapname"
	    "\\atcs\\hostname\\^1My ^7Server\\gamename\\Tremulous\\protocol"
	    "\\69\\challenge\\Abc123XYZ!#$", &ir), 0);
	assert_int_equal(d->clients, 3);
	assert_int_equal(d->maxclients, 12);
	assert_detail(d->game, d->game_len, sizeof(d->game), "base", 4);
	assert_detail(d->gamename, d->gamename_len, sizeof(d->gamename),
	    "Tremulous", 9);
	assert_detail(d->mapname, d->mapname_len, sizeof(d->mapname),
	    "atcs", 4);
	assert_detail(d->hostname, d->hostname_len, sizeof(d->hostname),
	    "^1My ^7Server", 13);
}

/*
 * SEED.md's order of keys (challenge, hostname, protocol, clients,
 * sv_maxclients), without the optional keys, then with them in front
 * and behind: the order never matters.
 */
static void
test_inforesponse_details_order(void **state __unused)
{
	static const char	*pkts[] = {
		"\\challenge\\c\\hostname\\Seed\\protocol\\69\\clients\\5"
		    "\\sv_maxclients\\10\\game\\gpp\\gamename\\GPP\\mapname"
		    "\\niveus",
		"\\mapname\\niveus\\gamename\\GPP\\game\\gpp\\challenge\\c"
		    "\\hostname\\Seed\\protocol\\69\\clients\\5"
		    "\\sv_maxclients\\10",
		"\\sv_maxclients\\10\\gamename\\GPP\\clients\\5\\protocol"
		    "\\69\\mapname\\niveus\\hostname\\Seed\\game\\gpp"
		    "\\challenge\\c"
	};
	struct inforesp		 ir, first;
	struct info_details	*d = &ir.details;
	size_t			 i;

	assert_int_equal(inforesponse("\\challenge\\c\\hostname\\Seed"
	    "\\protocol\\69\\clients\\5\\sv_maxclients\\10", &ir), 0);
	assert_string_equal(ir.challenge, "c");
	assert_int_equal(d->clients, 5);
	assert_int_equal(d->maxclients, 10);
	assert_detail(d->hostname, d->hostname_len, sizeof(d->hostname),
	    "Seed", 4);
	assert_detail(d->game, d->game_len, sizeof(d->game), "", 0);
	assert_detail(d->gamename, d->gamename_len, sizeof(d->gamename),
	    "", 0);
	assert_detail(d->mapname, d->mapname_len, sizeof(d->mapname), "", 0);

	for (i = 0; i < nitems(pkts); i++) {
		assert_int_equal(inforesponse(pkts[i], &ir), 0);
		assert_int_equal(d->clients, 5);
		assert_int_equal(d->maxclients, 10);
		assert_detail(d->game, d->game_len, sizeof(d->game), "gpp", 3);
		assert_detail(d->gamename, d->gamename_len,
		    sizeof(d->gamename), "GPP", 3);
		assert_detail(d->mapname, d->mapname_len, sizeof(d->mapname),
		    "niveus", 6);
		assert_detail(d->hostname, d->hostname_len,
		    sizeof(d->hostname), "Seed", 4);
		if (i == 0)
			first = ir;
		else
			assert_memory_equal(&first.details, &ir.details,
			    sizeof(ir.details));
	}
}

/* Missing and empty values are empty; the last of a key wins. */
static void
test_inforesponse_details_absent(void **state __unused)
{
	struct inforesp		 ir;
	struct info_details	 zero, *d = &ir.details;

	memset(&zero, 0, sizeof(zero));
	/* The required keys only, hostname empty: all zero. */
	assert_int_equal(inforesponse("\n\\sv_maxclients\\0\\clients\\0"
	    "\\hostname\\\\protocol\\69\\challenge\\c", &ir), 0);
	assert_memory_equal(d, &zero, sizeof(zero));
	/* Present but empty, at the end too. */
	assert_int_equal(inforesponse("\n\\game\\\\sv_maxclients\\8"
	    "\\clients\\1\\hostname\\h\\mapname\\\\protocol\\69"
	    "\\challenge\\c\\gamename\\", &ir), 0);
	assert_int_equal(d->game_len, 0);
	assert_int_equal(d->gamename_len, 0);
	assert_int_equal(d->mapname_len, 0);
	assert_detail(d->hostname, d->hostname_len, sizeof(d->hostname),
	    "h", 1);
	/* A key that only starts like one is another key. */
	assert_int_equal(inforesponse("\n\\games\\x\\gamenames\\y"
	    "\\map\\z\\sv_maxclients\\8\\clients\\1\\hostname\\h"
	    "\\protocol\\69\\challenge\\c", &ir), 0);
	assert_int_equal(d->game_len, 0);
	assert_int_equal(d->gamename_len, 0);
	assert_int_equal(d->mapname_len, 0);
	/* Duplicates: the last pair wins, as for every key. */
	assert_int_equal(inforesponse("\n\\hostname\\first\\mapname\\a"
	    "\\sv_maxclients\\8\\clients\\1\\protocol\\69\\challenge\\c"
	    "\\mapname\\b\\hostname\\second", &ir), 0);
	assert_detail(d->hostname, d->hostname_len, sizeof(d->hostname),
	    "second", 6);
	assert_detail(d->mapname, d->mapname_len, sizeof(d->mapname), "b", 1);
}

/*
 * Each value at its bound is kept whole, one byte more is cut at the
 * bound, and so is a hostname that fills the datagram.
 */
static void
test_inforesponse_details_long(void **state __unused)
{
	static const struct {
		const char	*key;
		size_t		 bound;
	} keys[] = {
		{ "game",	INFO_GAME_MAX },
		{ "gamename",	INFO_GAMENAME_MAX },
		{ "mapname",	INFO_MAPNAME_MAX },
		{ "hostname",	INFO_HOSTNAME_MAX }
	};
	struct inforesp		 ir;
	struct info_details	*d = &ir.details;
	char			 val[PKT_MAX], buf[PKT_MAX + 256];
	const char		*got;
	size_t			 i, extra, vlen, glen = 0;
	int			 n;

	assert_int_equal(INFO_HOSTNAME_MAX, sizeof(d->hostname));
	assert_int_equal(INFO_MAPNAME_MAX, sizeof(d->mapname));
	assert_int_equal(INFO_GAME_MAX, sizeof(d->game));
	assert_int_equal(INFO_GAMENAME_MAX, sizeof(d->gamename));
	for (i = 0; i < nitems(keys); i++) {
		for (extra = 0; extra <= 2; extra++) {
			vlen = extra < 2 ? keys[i].bound + extra : 1500;
			/* Different bytes, so that the cut shows where. */
			for (n = 0; (size_t)n < vlen; n++)
				val[n] = 'a' + n % 26;
			val[vlen] = '\0';
			n = snprintf(buf, sizeof(buf), "\n\\sv_maxclients\\8"
			    "\\clients\\1\\hostname\\h\\protocol\\69"
			    "\\challenge\\c\\%s\\%s", keys[i].key, val);
			assert_true(n > 0 && (size_t)n < sizeof(buf));
			assert_int_equal(inforesponse(buf, &ir), 0);
			switch (i) {
			case 0:
				got = d->game;
				glen = d->game_len;
				break;
			case 1:
				got = d->gamename;
				glen = d->gamename_len;
				break;
			case 2:
				got = d->mapname;
				glen = d->mapname_len;
				break;
			default:
				got = d->hostname;
				glen = d->hostname_len;
				break;
			}
			assert_detail(got, glen, keys[i].bound, val,
			    keys[i].bound);
		}
	}
}

/* A NUL ends a value; bytes above 127 are only bytes. */
static void
test_inforesponse_details_bytes(void **state __unused)
{
	struct inforesp		 ir;
	struct info_details	*d = &ir.details;

	assert_int_equal(proto_inforesponse(BYTES("\n\\sv_maxclients\\8"
	    "\\clients\\1\\hostname\\ab\0cd\\game\\\0x\\mapname\\m\0"
	    "\\protocol\\69\\challenge\\c"), &ir), 0);
	assert_detail(d->hostname, d->hostname_len, sizeof(d->hostname),
	    "ab", 2);
	assert_detail(d->game, d->game_len, sizeof(d->game), "", 0);
	assert_detail(d->mapname, d->mapname_len, sizeof(d->mapname), "m", 1);

	assert_int_equal(proto_inforesponse(BYTES("\n\\sv_maxclients\\8"
	    "\\clients\\8\\hostname\\\xe9" "t\xe9\xff\x80\xc3\xa9\x7f|%"
	    "\\gamename\\\x01\x1b[0m\\protocol\\69\\challenge\\c"), &ir),
	    0);
	assert_detail(d->hostname, d->hostname_len, sizeof(d->hostname),
	    "\xe9" "t\xe9\xff\x80\xc3\xa9\x7f|%", 10);
	assert_detail(d->gamename, d->gamename_len, sizeof(d->gamename),
	    "\x01\x1b[0m", 5);
}

/*
 * clients and sv_maxclients as numbers: decimal digits up to
 * INFO_COUNT_MAX, anything else 0.  empty and full still compare the
 * strings, as before.
 */
static void
test_inforesponse_details_counts(void **state __unused)
{
	static const struct {
		const char	*s;
		uint16_t	 n;
	} counts[] = {
		{ "0", 0 }, { "7", 7 }, { "64", 64 }, { "007", 7 },
		{ "000000000000000000000000012", 12 }, { "65535", 65535 },
		{ "65536", 0 }, { "99999999999999999999", 0 },
		{ "4294967297", 0 }, { "-1", 0 }, { "+3", 0 }, { " 3", 0 },
		{ "3 ", 0 }, { "3x", 0 }, { "x", 0 }, { "", 0 }, { "0x10", 0 },
		{ "1e3", 0 }, { "\xb3", 0 }
	};
	struct inforesp		 ir;
	char			 buf[256];
	size_t			 i;
	int			 n;

	for (i = 0; i < nitems(counts); i++) {
		n = snprintf(buf, sizeof(buf), "\n\\sv_maxclients\\%s"
		    "\\clients\\%s\\hostname\\h\\protocol\\69"
		    "\\challenge\\c", counts[i].s, counts[i].s);
		assert_true(n > 0 && (size_t)n < sizeof(buf));
		assert_int_equal(inforesponse(buf, &ir), 0);
		if (ir.details.clients != counts[i].n ||
		    ir.details.maxclients != counts[i].n)
			fail_msg("\"%s\": %u and %u, want %u", counts[i].s,
			    ir.details.clients, ir.details.maxclients,
			    counts[i].n);
		/* The same strings: full, whatever they say. */
		assert_int_equal(ir.full, 1);
		assert_int_equal(ir.empty, strcmp(counts[i].s, "0") == 0);
	}
	/* "00" is 0 clients, but not empty: the strings decide. */
	assert_int_equal(inforesponse("\n\\sv_maxclients\\12\\clients\\00"
	    "\\hostname\\h\\protocol\\70\\challenge\\c", &ir), 0);
	assert_int_equal(ir.details.clients, 0);
	assert_int_equal(ir.details.maxclients, 12);
	assert_int_equal(ir.empty, 0);
	assert_int_equal(ir.full, 0);
	/* "012" of 12 is 12 of 12, but not full. */
	assert_int_equal(inforesponse("\n\\sv_maxclients\\12\\clients\\012"
	    "\\hostname\\h\\protocol\\70\\challenge\\c", &ir), 0);
	assert_int_equal(ir.details.clients, 12);
	assert_int_equal(ir.full, 0);
	/* A bad number does not make the answer unusable. */
	assert_int_equal(inforesponse("\n\\sv_maxclients\\lots\\clients"
	    "\\-2\\hostname\\h\\protocol\\70\\challenge\\c", &ir), 0);
	assert_int_equal(ir.details.clients, 0);
	assert_int_equal(ir.details.maxclients, 0);
	assert_int_equal(ir.empty, 0);
	assert_int_equal(ir.full, 0);
}

/* 1.1 and darklegion clients. */
static void
test_getmotd_old(void **state __unused)
{
	static const u_char	 pkt[] = "\xff\xff\xff\xffgetmotd"
	    "\\challenge\\-12345\\version\\tremulous 1.1.0 linux-i386 Mar 31"
	    " 2006\\renderer\\GeForce";
	struct motdreq		 mr;
	size_t			 off;

	assert_int_equal(command(pkt, sizeof(pkt) - 1, &off), CMD_GETMOTD);
	assert_int_equal(proto_getmotd(pkt + off, sizeof(pkt) - 1 - off,
	    &mr), 0);
	assert_int_equal(mr.has_challenge, 1);
	assert_string_equal(mr.challenge, "-12345");
	assert_int_equal(mr.has_version, 1);
	assert_string_equal(mr.version,
	    "tremulous 1.1.0 linux-i386 Mar 31 2006");
	assert_int_equal(mr.has_renderer, 1);
	assert_string_equal(mr.renderer, "GeForce");
}

/* 1.3 and web clients send only the challenge. */
static void
test_getmotd_new(void **state __unused)
{
	struct motdreq	 mr;

	assert_int_equal(getmotd("\\challenge\\1804289383", &mr), 0);
	assert_int_equal(mr.has_challenge, 1);
	assert_string_equal(mr.challenge, "1804289383");
	assert_int_equal(mr.has_version, 0);
	assert_int_equal(mr.has_renderer, 0);
	assert_string_equal(mr.version, "");
	assert_string_equal(mr.renderer, "");
}

static void
test_getmotd_no_challenge(void **state __unused)
{
	struct motdreq	 mr;

	assert_int_equal(getmotd("\\version\\v\\renderer\\r", &mr), 0);
	assert_int_equal(mr.has_challenge, 0);
	assert_string_equal(mr.challenge, "");
	assert_int_equal(mr.has_version, 1);
	assert_int_equal(mr.has_renderer, 1);
	assert_int_equal(getmotd("", &mr), 0);
	assert_int_equal(mr.has_challenge, 0);
	assert_int_equal(mr.has_version, 0);
	assert_int_equal(mr.has_renderer, 0);
}

/* A challenge we could not echo safely: no reply at all. */
static void
test_getmotd_bad_challenge(void **state __unused)
{
	struct motdreq	 mr;

	assert_int_equal(getmotd("\\challenge\\12\"34", &mr), -1);
	assert_int_equal(getmotd("\\challenge\\12;34", &mr), -1);
	assert_int_equal(getmotd("\\challenge\\12%s", &mr), -1);
	assert_int_equal(getmotd("\\challenge\\12/34", &mr), -1);
	assert_int_equal(getmotd("\\challenge\\1 2", &mr), -1);
	assert_int_equal(getmotd("\\challenge\\\x80", &mr), -1);
	assert_int_equal(proto_getmotd(BYTES("\\challenge\\1\0002"), &mr),
	    -1);
}

static void
test_getmotd_long_challenge(void **state __unused)
{
	struct motdreq	 mr;
	char		 buf[128];

	(void)snprintf(buf, sizeof(buf), "\\challenge\\%0*d", CHALLENGE_MAX,
	    7);
	assert_int_equal(getmotd(buf, &mr), 0);
	assert_int_equal(strlen(mr.challenge), CHALLENGE_MAX);
	(void)snprintf(buf, sizeof(buf), "\\challenge\\%0*d",
	    CHALLENGE_MAX + 1, 7);
	assert_int_equal(getmotd(buf, &mr), -1);
}

/* An overlong renderer or version is left out; the request stands. */
static void
test_getmotd_long_fields(void **state __unused)
{
	struct motdreq	 mr;
	char		 buf[1024];

	(void)snprintf(buf, sizeof(buf), "\\challenge\\1\\version\\v"
	    "\\renderer\\%0*d", STAT_RENDERER_MAX, 0);
	assert_int_equal(getmotd(buf, &mr), 0);
	assert_int_equal(mr.has_challenge, 1);
	assert_string_equal(mr.challenge, "1");
	assert_int_equal(mr.has_version, 1);
	assert_int_equal(mr.has_renderer, 0);
	assert_string_equal(mr.renderer, "");

	(void)snprintf(buf, sizeof(buf), "\\challenge\\1\\version\\v"
	    "\\renderer\\%0*d", STAT_RENDERER_MAX - 1, 0);
	assert_int_equal(getmotd(buf, &mr), 0);
	assert_int_equal(mr.has_renderer, 1);
	assert_int_equal(strlen(mr.renderer), STAT_RENDERER_MAX - 1);

	(void)snprintf(buf, sizeof(buf), "\\challenge\\1\\renderer\\r"
	    "\\version\\%0*d", STAT_VERSION_MAX, 0);
	assert_int_equal(getmotd(buf, &mr), 0);
	assert_int_equal(mr.has_version, 0);
	assert_int_equal(mr.has_renderer, 1);
	assert_int_equal(mr.has_challenge, 1);
}

static void
test_gamestat(void **state __unused)
{
	static const u_char	 pkt[] = "\xff\xff\xff\xffgamestat \t "
	    "tremulous 1.1.0 TAG T:A A:1.5 H:2.5 M:atcs D:600000";
	const u_char		*data = NULL;
	size_t			 off, n;

	assert_int_equal(command(pkt, sizeof(pkt) - 1, &off), CMD_GAMESTAT);
	n = proto_gamestat(pkt + off, sizeof(pkt) - 1 - off, &data);
	assert_ptr_equal(data, pkt + 15);
	assert_int_equal(n, sizeof(pkt) - 1 - 15);
	assert_memory_equal(data, "tremulous 1.1.0 TAG", 19);
	assert_int_equal(data[n - 1], '0');
}

static void
test_gamestat_edges(void **state __unused)
{
	static const u_char	 blank[] = " \n\r\t";
	static const u_char	 plain[] = "x y ";
	const u_char		*data = NULL;

	assert_int_equal(proto_gamestat(blank, sizeof(blank) - 1, &data), 0);
	assert_ptr_equal(data, blank + 4);
	assert_int_equal(proto_gamestat(plain, sizeof(plain) - 1, &data), 4);
	assert_ptr_equal(data, plain);
	assert_int_equal(proto_gamestat(plain, 0, &data), 0);
	assert_ptr_equal(data, plain);
}

static void
test_port_message(void **state __unused)
{
	assert_int_equal(proto_is_port_message(BYTES("\xff\xff\xff\xffport"
	    "\x78\x01")), 1);
	assert_int_equal(proto_is_port_message(BYTES("\xff\xff\xff\xffport"
	    "\x00\x00")), 1);
	assert_int_equal(proto_is_port_message(BYTES("\xff\xff\xff\xffport"
	    "\x78")), 0);
	assert_int_equal(proto_is_port_message(BYTES("\xff\xff\xff\xffport"
	    "\x78\x01\x02")), 0);
	assert_int_equal(proto_is_port_message(BYTES("\xff\xff\xff\xffportx"
	    "\x01 heartbeat")), 0);
	assert_int_equal(proto_is_port_message(BYTES("\xff\xff\xff\xfeport"
	    "\x78\x01")), 0);
	assert_int_equal(proto_is_port_message(BYTES("\xff\xff\xff\xffPORT"
	    "\x78\x01")), 0);
	assert_int_equal(proto_is_port_message(BYTES("")), 0);
}

/* 12 characters from the safe alphabet; other bytes, other challenges. */
static void
test_challenge(void **state __unused)
{
	u_char	 h[16];
	char	 a[CHALLENGE_LEN + 1], b[CHALLENGE_LEN + 1];
	size_t	 i;

	memset(a, 'A', sizeof(a));
	memset(b, 'A', sizeof(b));
	memset(h, 0, sizeof(h));
	proto_challenge_encode(h, a);
	assert_string_equal(a, "!!!!!!!!!!!!");
	/* Each half of the bytes makes its own six characters. */
	h[8] = 1;
	proto_challenge_encode(h, a);
	assert_string_equal(a, "!!!!!!#!!!!!");
	arc4random_buf(h, sizeof(h));
	proto_challenge_encode(h, a);
	h[15] ^= 0x80;
	proto_challenge_encode(h, b);
	assert_int_equal(CHALLENGE_LEN, 12);
	assert_int_equal(strlen(a), CHALLENGE_LEN);
	assert_int_equal(strlen(b), CHALLENGE_LEN);
	for (i = 0; i < CHALLENGE_LEN; i++) {
		assert_true(proto_challenge_char_ok((u_char)a[i]));
		assert_true(proto_challenge_char_ok((u_char)b[i]));
		assert_true(a[i] >= 0x21 && a[i] <= 0x7e);
		assert_null(strchr("\\;%\"/", a[i]));
	}
	assert_string_not_equal(a, b);
}

/* Many challenges use the whole alphabet and nothing else. */
static void
test_challenge_alphabet(void **state __unused)
{
	u_char	 h[16];
	char	 c[CHALLENGE_LEN + 1];
	int	 seen[256], i, j, n = 0;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 2000; i++) {
		arc4random_buf(h, sizeof(h));
		proto_challenge_encode(h, c);
		assert_int_equal(strlen(c), CHALLENGE_LEN);
		for (j = 0; j < CHALLENGE_LEN; j++)
			seen[(u_char)c[j]] = 1;
	}
	for (i = 0; i < 256; i++) {
		if (seen[i])
			n++;
		assert_int_equal(seen[i], proto_challenge_char_ok(i));
	}
	assert_int_equal(n, 94 - 5);
}

static void
test_challenge_char_ok(void **state __unused)
{
	const char	*p;
	int		 c, n = 0;

	assert_false(proto_challenge_char_ok(' '));
	assert_false(proto_challenge_char_ok(0x7f));
	assert_false(proto_challenge_char_ok('\0'));
	assert_false(proto_challenge_char_ok('\n'));
	assert_false(proto_challenge_char_ok(0x80));
	assert_false(proto_challenge_char_ok(0xff));
	assert_false(proto_challenge_char_ok(-1));
	assert_false(proto_challenge_char_ok(0x100 + 'a'));
	for (p = "\\;%\"/"; *p != '\0'; p++)
		if (proto_challenge_char_ok((u_char)*p))
			fail_msg("'%c' accepted", *p);
	assert_true(proto_challenge_char_ok('!'));
	assert_true(proto_challenge_char_ok('~'));
	assert_true(proto_challenge_char_ok('-'));
	assert_true(proto_challenge_char_ok('0'));
	assert_true(proto_challenge_char_ok('z'));
	for (c = 0; c < 256; c++)
		if (proto_challenge_char_ok(c))
			n++;
	assert_int_equal(n, 89);
}

static void
test_getinfo(void **state __unused)
{
	u_char	 buf[64];
	size_t	 n;

	memset(buf, 'Z', sizeof(buf));
	n = proto_getinfo(buf, sizeof(buf), "ABC");
	assert_bytes(buf, n, BYTES("\xff\xff\xff\xffgetinfo ABC"));
	n = proto_getinfo(buf, 16, "ABC");
	assert_bytes(buf, n, BYTES("\xff\xff\xff\xffgetinfo ABC"));
	assert_int_equal(proto_getinfo(buf, 8, "ABC"), 0);
	assert_int_equal(proto_getinfo(buf, 0, "ABC"), 0);
}

static void
test_motd(void **state __unused)
{
	u_char	 buf[256];
	size_t	 n;

	n = proto_motd(buf, sizeof(buf), "12345", "Welcome to the master");
	assert_bytes(buf, n, BYTES("\xff\xff\xff\xffmotd \"\\challenge\\12345"
	    "\\motd\\Welcome to the master\\\""));
	n = proto_motd(buf, sizeof(buf), NULL, "text");
	assert_bytes(buf, n, BYTES("\xff\xff\xff\xffmotd \"\\motd\\text\\\""));
	n = proto_motd(buf, sizeof(buf), "-1", "");
	assert_bytes(buf, n, BYTES("\xff\xff\xff\xffmotd \"\\challenge\\-1"
	    "\\motd\\\\\""));
}

static void
test_motd_small(void **state __unused)
{
	u_char	 buf[256];

	assert_int_equal(proto_motd(buf, 20, "12345",
	    "Welcome to the master"), 0);
	assert_int_equal(proto_motd(buf, 10, NULL, "text"), 0);
	assert_int_equal(proto_motd(buf, 0, NULL, "text"), 0);
}

/* PROTOCOL.md section 3, plain list with two servers. */
static void
test_list_plain(void **state __unused)
{
	struct ipc_addr	 a[2];
	u_char		 buf[256];
	size_t		 n;

	make_addr(&a[0], AF_INET, "127.0.0.1", 30721);
	make_addr(&a[1], AF_INET, "127.0.0.1", 30720);
	n = list_build(buf, sizeof(buf), 0, 0, 0, NULL, a, 2);
	assert_bytes(buf, n, BYTES("\xff\xff\xff\xffgetserversResponse"
	    "\\\x7f\x00\x00\x01x\x01\\\x7f\x00\x00\x01x\x00\\"));
}

/* Ext, packet 1 of 2, with a label. */
static void
test_list_ext_label(void **state __unused)
{
	struct ipc_addr	 a;
	u_char		 buf[256];
	size_t		 n;

	make_addr(&a, AF_INET, "127.0.0.1", 30722);
	n = list_build(buf, sizeof(buf), 1, 1, 2, "Featured Label", &a, 1);
	assert_bytes(buf, n, BYTES("\xff\xff\xff\xffgetserversExtResponse"
	    "\x00" "1" "\x00" "2" "\x00" "Featured Label"
	    "\\\x7f\x00\x00\x01x\x02\\"));
}

/* Ext, packet 2 of 2, the unlabelled group. */
static void
test_list_ext_unlabelled(void **state __unused)
{
	struct ipc_addr	 a[2];
	u_char		 buf[256];
	size_t		 n;

	make_addr(&a[0], AF_INET, "127.0.0.1", 30721);
	make_addr(&a[1], AF_INET, "127.0.0.1", 30720);
	n = list_build(buf, sizeof(buf), 1, 2, 2, "", a, 2);
	assert_bytes(buf, n, BYTES("\xff\xff\xff\xffgetserversExtResponse"
	    "\x00" "2" "\x00" "2" "\x00"
	    "\\\x7f\x00\x00\x01x\x01\\\x7f\x00\x00\x01x\x00\\"));
}

static void
test_list_no_match(void **state __unused)
{
	u_char	 buf[256];
	size_t	 n;

	n = list_build(buf, sizeof(buf), 0, 1, 1, "", NULL, 0);
	assert_bytes(buf, n, BYTES("\xff\xff\xff\xffgetserversResponse\\"));
	n = list_build(buf, sizeof(buf), 1, 1, 1, "", NULL, 0);
	assert_bytes(buf, n, BYTES("\xff\xff\xff\xffgetserversExtResponse"
	    "\x00" "1" "\x00" "1" "\x00" "\\"));
}

/* Indexes above 9 are decimal ASCII. */
static void
test_list_ext_index(void **state __unused)
{
	u_char	 buf[256];
	size_t	 n;

	n = list_build(buf, sizeof(buf), 1, 12, 31, "L", NULL, 0);
	assert_bytes(buf, n, BYTES("\xff\xff\xff\xffgetserversExtResponse"
	    "\x00" "12" "\x00" "31" "\x00" "L\\"));
}

/* An IPv6 entry: '/', 16 address bytes, 2 port bytes. */
static void
test_list_ipv6(void **state __unused)
{
	struct ipc_addr	 a[2];
	u_char		 buf[256];
	size_t		 n;

	make_addr(&a[0], AF_INET6, "2001:db8::1", 30720);
	make_addr(&a[1], AF_INET, "10.1.2.3", 30721);
	assert_int_equal(proto_list_entry(buf, sizeof(buf), &a[0], 1), 19);
	assert_bytes(buf, 19, BYTES("/\x20\x01\x0d\xb8\x00\x00\x00\x00"
	    "\x00\x00\x00\x00\x00\x00\x00\x01x\x00"));
	n = list_build(buf, sizeof(buf), 1, 1, 1, "", a, 2);
	assert_bytes(buf, n, BYTES("\xff\xff\xff\xffgetserversExtResponse"
	    "\x00" "1" "\x00" "1" "\x00"
	    "/\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	    "\x01x\x00\\\x0a\x01\x02\x03x\x01\\"));
}

/* Plain lists are IPv4 only; other families are never written. */
static void
test_list_ipv6_plain(void **state __unused)
{
	struct ipc_addr	 a;
	u_char		 buf[64];

	memset(buf, 'Z', sizeof(buf));
	make_addr(&a, AF_INET6, "::1", 30720);
	assert_int_equal(proto_list_entry(buf, sizeof(buf), &a, 0), 0);
	a.family = AF_UNSPEC;
	assert_int_equal(proto_list_entry(buf, sizeof(buf), &a, 1), 0);
	a.family = 99;
	assert_int_equal(proto_list_entry(buf, sizeof(buf), &a, 1), 0);
	assert_int_equal(buf[0], 'Z');
}

/* Exact fits work; one byte less writes nothing. */
static void
test_list_small(void **state __unused)
{
	struct ipc_addr	 a4, a6;
	u_char		 buf[64];
	size_t		 i;

	make_addr(&a4, AF_INET, "127.0.0.1", 30720);
	make_addr(&a6, AF_INET6, "::1", 30720);
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(proto_list_entry(buf, 6, &a4, 0), 0);
	assert_int_equal(proto_list_entry(buf, 18, &a6, 1), 0);
	assert_int_equal(proto_list_entry(buf, 0, &a4, 1), 0);
	assert_int_equal(proto_list_end(buf, 0), 0);
	for (i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 'Z');
	assert_int_equal(proto_list_entry(buf, 7, &a4, 0), 7);
	assert_int_equal(proto_list_entry(buf, 19, &a6, 1), 19);
	assert_int_equal(proto_list_end(buf, 1), 1);
	assert_int_equal(buf[0], '\\');

	assert_int_equal(proto_list_start(buf, 10, 0, 1, 1, ""), 0);
	assert_int_equal(proto_list_start(buf, 10, 1, 1, 1, "Label"), 0);
	assert_int_equal(proto_list_start(buf, 0, 1, 1, 1, ""), 0);
	assert_int_equal(proto_list_start(buf, 28, 1, 1, 1, "Featured Label"),
	    0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_each),
		cmocka_unit_test(test_command_bare),
		cmocka_unit_test(test_command_prefix),
		cmocka_unit_test(test_command_unknown),
		cmocka_unit_test(test_command_near_miss),
		cmocka_unit_test(test_heartbeat_dead),
		cmocka_unit_test(test_heartbeat_alive),
		cmocka_unit_test(test_getservers_plain),
		cmocka_unit_test(test_getservers_qstat),
		cmocka_unit_test(test_getservers_no_protocol),
		cmocka_unit_test(test_getservers_game_name),
		cmocka_unit_test(test_getservers_prefix),
		cmocka_unit_test(test_getservers_ext),
		cmocka_unit_test(test_getservers_ext_families),
		cmocka_unit_test(test_getservers_ext_bad_game),
		cmocka_unit_test(test_getservers_ext_no_protocol),
		cmocka_unit_test(test_getservers_long_protocol),
		cmocka_unit_test(test_getservers_whitespace),
		cmocka_unit_test(test_getservers_nul),
		cmocka_unit_test(test_info_last_wins),
		cmocka_unit_test(test_info_backslashes),
		cmocka_unit_test(test_info_missing),
		cmocka_unit_test(test_info_prefix_key),
		cmocka_unit_test(test_info_empty_value),
		cmocka_unit_test(test_info_odd_count),
		cmocka_unit_test(test_inforesponse_stock),
		cmocka_unit_test(test_inforesponse_values),
		cmocka_unit_test(test_inforesponse_empty),
		cmocka_unit_test(test_inforesponse_full),
		cmocka_unit_test(test_inforesponse_protocols),
		cmocka_unit_test(test_inforesponse_protocols_odd),
		cmocka_unit_test(test_inforesponse_missing_key),
		cmocka_unit_test(test_inforesponse_long_challenge),
		cmocka_unit_test(test_inforesponse_nul_challenge),
		cmocka_unit_test(test_inforesponse_high_bytes),
		cmocka_unit_test(test_inforesponse_separator),
		cmocka_unit_test(test_inforesponse_details),
		cmocka_unit_test(test_inforesponse_details_order),
		cmocka_unit_test(test_inforesponse_details_absent),
		cmocka_unit_test(test_inforesponse_details_long),
		cmocka_unit_test(test_inforesponse_details_bytes),
		cmocka_unit_test(test_inforesponse_details_counts),
		cmocka_unit_test(test_getmotd_old),
		cmocka_unit_test(test_getmotd_new),
		cmocka_unit_test(test_getmotd_no_challenge),
		cmocka_unit_test(test_getmotd_bad_challenge),
		cmocka_unit_test(test_getmotd_long_challenge),
		cmocka_unit_test(test_getmotd_long_fields),
		cmocka_unit_test(test_gamestat),
		cmocka_unit_test(test_gamestat_edges),
		cmocka_unit_test(test_port_message),
		cmocka_unit_test(test_challenge),
		cmocka_unit_test(test_challenge_alphabet),
		cmocka_unit_test(test_challenge_char_ok),
		cmocka_unit_test(test_getinfo),
		cmocka_unit_test(test_motd),
		cmocka_unit_test(test_motd_small),
		cmocka_unit_test(test_list_plain),
		cmocka_unit_test(test_list_ext_label),
		cmocka_unit_test(test_list_ext_unlabelled),
		cmocka_unit_test(test_list_no_match),
		cmocka_unit_test(test_list_ext_index),
		cmocka_unit_test(test_list_ipv6),
		cmocka_unit_test(test_list_ipv6_plain),
		cmocka_unit_test(test_list_small),
	};

	log_init(0, LOGLEVEL_ALWAYS);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
