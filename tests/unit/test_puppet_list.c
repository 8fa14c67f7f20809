/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Unit tests of puppet/list.c: one packet of another master's server list
 * (PROTOCOL.md, sections 3 and 4) in each form the masters send, read to
 * its exact entries, and the packets that are broken or not lists at all.
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

#include "tremmasterd.h"
#include "puppet.h"
#include "unit_addr.h"

#define HDR		"\xff\xff\xff\xff"
#define CMD_PLAIN	"getserversResponse"
#define CMD_EXT		"getserversExtResponse"
#define CMD_WEB		"getserverswebResponse"
#define GOT_MAX		600	/* entries a test packet may hold */
#define PKT_MAX		16384	/* bytes of a test packet */
#define NOT_LIST(s)	want_not_list((s), sizeof(s) - 1)

/* A packet being built. */
struct pkt {
	u_char	 b[PKT_MAX];
	size_t	 len;
};

/* What the callback saw, copied out of the packet. */
struct got {
	const u_char	*buf;		/* the copy being parsed */
	size_t		 len;
	size_t		 n;
	struct ipc_addr	 addr[GOT_MAX];
	int		 web[GOT_MAX];
	char		 name[GOT_MAX][LIST_NAME_MAX];
};

static struct got	 got;

static void	 put(struct pkt *, const void *, size_t);
static void	 put_str(struct pkt *, const char *);
static void	 put_cmd(struct pkt *, const char *);
static void	 put_header(struct pkt *, const char *, const char *,
		    const char *);
static void	 put_v4(struct pkt *, const char *, uint16_t);
static void	 put_v6(struct pkt *, const char *, uint16_t);
static void	 put_web(struct pkt *, const char *, uint16_t);
static void	 collect(const struct list_entry *, void *);
static int	 parse(const void *, size_t, struct list_packet *);
static int	 parse_pkt(const struct pkt *, struct list_packet *);
static void	 want_packet(const struct list_packet *, enum list_kind, int,
		    int, size_t);
static void	 want_ip(size_t, const char *, uint16_t);
static void	 want_web(size_t, const char *, uint16_t);
static void	 want_bad(const struct pkt *, size_t);
static void	 want_not_list(const void *, size_t);

static void
put(struct pkt *k, const void *s, size_t n)
{
	if (k->len + n > sizeof(k->b))
		fail_msg("put: test packet too long");
	memcpy(k->b + k->len, s, n);
	k->len += n;
}

static void
put_str(struct pkt *k, const char *s)
{
	put(k, s, strlen(s));
}

/* The header bytes and a command: the start of every packet. */
static void
put_cmd(struct pkt *k, const char *cmd)
{
	k->len = 0;
	put_str(k, HDR);
	put_str(k, cmd);
}

/* \0<index>\0<total>\0<label>, the numbers as text, as sent. */
static void
put_header(struct pkt *k, const char *index, const char *total,
    const char *label)
{
	put(k, "", 1);
	put_str(k, index);
	put(k, "", 1);
	put_str(k, total);
	put(k, "", 1);
	put_str(k, label);
}

/* \ + 4 address bytes + 2 port bytes, big-endian. */
static void
put_v4(struct pkt *k, const char *addr, uint16_t port)
{
	struct ipc_addr	 a;

	a = unit_addr(addr, port);
	assert_int_equal(a.family, AF_INET);
	put(k, "\\", 1);
	put(k, a.addr, 4);
	put(k, &a.port, 2);
}

/* / + 16 address bytes + 2 port bytes. */
static void
put_v6(struct pkt *k, const char *addr, uint16_t port)
{
	struct ipc_addr	 a;

	a = unit_addr(addr, port);
	assert_int_equal(a.family, AF_INET6);
	put(k, "/", 1);
	put(k, a.addr, 16);
	put(k, &a.port, 2);
}

/* \ + host + : + 2 port bytes. */
static void
put_web(struct pkt *k, const char *host, uint16_t port)
{
	uint16_t	 p = htons(port);

	put(k, "\\", 1);
	put_str(k, host);
	put(k, ":", 1);
	put(k, &p, 2);
}

/*
 * The callback: every entry has a port, a web entry's name is a string
 * inside the packet copy and an address entry has none.
 */
static void
collect(const struct list_entry *e, void *arg)
{
	struct got	*g = arg;
	const u_char	*name = (const u_char *)e->name;

	if (g->n == GOT_MAX)
		fail_msg("more than %d entries", GOT_MAX);
	assert_int_not_equal(e->addr.port, 0);
	g->addr[g->n] = e->addr;
	if (e->name != NULL) {
		assert_int_equal(e->addr.family, 0);
		assert_true(name >= g->buf && name < g->buf + g->len);
		assert_non_null(memchr(name, '\0', g->buf + g->len - name));
		assert_true(strlen(e->name) < LIST_NAME_MAX);
		(void)strlcpy(g->name[g->n], e->name, LIST_NAME_MAX);
		g->web[g->n] = 1;
	} else {
		assert_true(e->addr.family == AF_INET ||
		    e->addr.family == AF_INET6);
		g->name[g->n][0] = '\0';
		g->web[g->n] = 0;
	}
	g->n++;
}

/*
 * list_parse() on a copy of len bytes in a buffer of exactly that size,
 * what it finds in got.  The count of the packet is the callback's.
 */
static int
parse(const void *s, size_t len, struct list_packet *p)
{
	u_char	*buf;
	int	 rv;

	if ((buf = malloc(len > 0 ? len : 1)) == NULL)
		fail_msg("malloc");
	memcpy(buf, s, len);
	memset(&got, 0, sizeof(got));
	got.buf = buf;
	got.len = len;
	memset(p, 0xa5, sizeof(*p));
	rv = list_parse(buf, len, p, collect, &got);
	assert_true(rv == 0 || rv == -1);
	assert_int_equal(p->nentries, got.n);
	if (rv == -1)
		assert_int_equal(got.n, 0);
	assert_non_null(memchr(p->label, '\0', sizeof(p->label)));
	free(buf);
	return (rv);
}

static int
parse_pkt(const struct pkt *k, struct list_packet *p)
{
	return (parse(k->b, k->len, p));
}

static void
want_packet(const struct list_packet *p, enum list_kind kind, int eot,
    int bad, size_t n)
{
	assert_int_equal(p->kind, kind);
	assert_int_equal(p->eot, eot);
	assert_int_equal(p->bad, bad);
	assert_int_equal(p->nentries, n);
}

/* Entry i is this numeric address and port. */
static void
want_ip(size_t i, const char *addr, uint16_t port)
{
	struct ipc_addr	 a;

	assert_true(i < got.n);
	a = unit_addr(addr, port);
	assert_int_equal(got.web[i], 0);
	assert_int_equal(got.addr[i].family, a.family);
	assert_int_equal(ntohs(got.addr[i].port), port);
	assert_memory_equal(got.addr[i].addr, a.addr, sizeof(a.addr));
}

/* Entry i is a web entry of this host and port. */
static void
want_web(size_t i, const char *host, uint16_t port)
{
	assert_true(i < got.n);
	assert_int_equal(got.web[i], 1);
	assert_int_equal(got.addr[i].family, 0);
	assert_int_equal(ntohs(got.addr[i].port), port);
	assert_string_equal(got.name[i], host);
}

/* A packet read as broken after n good entries. */
static void
want_bad(const struct pkt *k, size_t n)
{
	struct list_packet	 p;

	assert_int_equal(parse_pkt(k, &p), 0);
	assert_int_equal(p.bad, 1);
	assert_int_equal(p.eot, 0);
	assert_int_equal(p.nentries, n);
}

/* Bytes that are no server list at all. */
static void
want_not_list(const void *s, size_t len)
{
	struct list_packet	 p;

	assert_int_equal(parse(s, len, &p), -1);
	assert_int_equal(p.nentries, 0);
}

/* TREM's plain list, as captured in PROTOCOL.md. */
static void
test_plain(void **state __unused)
{
	static const char	 s[] = HDR CMD_PLAIN "\\\x7f\x00\x00\x01x\x01"
				    "\\\x7f\x00\x00\x01x\x00\\";
	struct list_packet	 p;

	assert_int_equal(parse(s, sizeof(s) - 1, &p), 0);
	want_packet(&p, LIST_PLAIN, 0, 0, 2);
	assert_int_equal(p.has_header, 0);
	assert_string_equal(p.label, "");
	want_ip(0, "127.0.0.1", 30721);
	want_ip(1, "127.0.0.1", 30720);
}

/* No match: the bare separator, and no separator at all. */
static void
test_plain_empty(void **state __unused)
{
	static const char	 s[] = HDR CMD_PLAIN "\\";
	struct list_packet	 p;

	assert_int_equal(parse(s, sizeof(s) - 1, &p), 0);
	want_packet(&p, LIST_PLAIN, 0, 0, 0);
	assert_int_equal(parse(s, sizeof(s) - 2, &p), 0);
	want_packet(&p, LIST_PLAIN, 0, 0, 0);
}

/* The last entry without its terminator is still an entry. */
static void
test_plain_no_terminator(void **state __unused)
{
	struct list_packet	 p;
	struct pkt		 k;

	put_cmd(&k, CMD_PLAIN);
	put_v4(&k, "192.0.2.1", 30720);
	put_v4(&k, "192.0.2.2", 30721);
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_PLAIN, 0, 0, 2);
	want_ip(0, "192.0.2.1", 30720);
	want_ip(1, "192.0.2.2", 30721);
}

/* dpmaster's \EOT\0\0\0, and \EOT and \EOT\0: the last packet. */
static void
test_plain_eot(void **state __unused)
{
	static const char *const	 eot[] = {
		"EOT\0\0\0", "EOT", "EOT\0"
	};
	static const size_t		 eotlen[] = { 6, 3, 4 };
	struct list_packet		 p;
	struct pkt			 k;
	size_t				 i;

	for (i = 0; i < nitems(eot); i++) {
		put_cmd(&k, CMD_PLAIN);
		put_v4(&k, "198.51.100.7", 30720);
		put_v4(&k, "198.51.100.8", 30000);
		put(&k, "\\", 1);
		put(&k, eot[i], eotlen[i]);
		assert_int_equal(parse_pkt(&k, &p), 0);
		want_packet(&p, LIST_PLAIN, 1, 0, 2);
		want_ip(0, "198.51.100.7", 30720);
		want_ip(1, "198.51.100.8", 30000);

		/* dpmaster's answer when nothing matches. */
		put_cmd(&k, CMD_PLAIN);
		put(&k, "\\", 1);
		put(&k, eot[i], eotlen[i]);
		assert_int_equal(parse_pkt(&k, &p), 0);
		want_packet(&p, LIST_PLAIN, 1, 0, 0);
	}
}

/* C-MASTER: entries each followed by \, and EOT\0\0\0 after the last. */
static void
test_plain_cmaster(void **state __unused)
{
	static const char	 s[] = HDR CMD_PLAIN "\\\xc0\x00\x02\x0a"
				    "x\x00\\\xc0\x00\x02\x0bx\x01\\EOT\0\0\0";
	struct list_packet	 p;

	assert_int_equal(parse(s, sizeof(s) - 1, &p), 0);
	want_packet(&p, LIST_PLAIN, 1, 0, 2);
	want_ip(0, "192.0.2.10", 30720);
	want_ip(1, "192.0.2.11", 30721);
}

/*
 * A server in 69.79.84.0/24 ("EOT") is a server: its port, and what
 * follows it, are not NULs.
 */
static void
test_eot_lookalike(void **state __unused)
{
	struct list_packet	 p;
	struct pkt		 k;

	put_cmd(&k, CMD_PLAIN);
	put_v4(&k, "69.79.84.1", 30720);
	put_v4(&k, "69.79.84.0", 30721);
	put_v4(&k, "192.0.2.1", 30722);
	put_v4(&k, "69.79.84.0", 256);
	put_v4(&k, "69.79.84.0", 1);
	put(&k, "\\", 1);
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_PLAIN, 0, 0, 5);
	want_ip(0, "69.79.84.1", 30720);
	want_ip(1, "69.79.84.0", 30721);
	want_ip(2, "192.0.2.1", 30722);
	want_ip(3, "69.79.84.0", 256);
	want_ip(4, "69.79.84.0", 1);

	/* The last entry, with no terminator. */
	put_cmd(&k, CMD_PLAIN);
	put_v4(&k, "69.79.84.0", 30720);
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_PLAIN, 0, 0, 1);
	want_ip(0, "69.79.84.0", 30720);

	/* In an Ext list too. */
	put_cmd(&k, CMD_EXT);
	put_header(&k, "1", "1", "");
	put_v4(&k, "69.79.84.84", 30720);
	put(&k, "\\", 1);
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_EXT, 0, 0, 1);
	want_ip(0, "69.79.84.84", 30720);
}

/* EOT followed by more than NULs is no EOT: 69.79.84.0 port 0, skipped. */
static void
test_eot_not_last(void **state __unused)
{
	struct list_packet	 p;
	struct pkt		 k;

	put_cmd(&k, CMD_PLAIN);
	put(&k, "\\EOT\0\0\0", 7);
	put_v4(&k, "192.0.2.1", 30720);
	put(&k, "\\", 1);
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_PLAIN, 0, 0, 1);
	want_ip(0, "192.0.2.1", 30720);
}

/* TREM's Ext lists, as captured in PROTOCOL.md. */
static void
test_ext(void **state __unused)
{
	struct list_packet	 p;
	struct pkt		 k;

	put_cmd(&k, CMD_EXT);
	put_header(&k, "1", "2", "Featured Label");
	put_v4(&k, "127.0.0.1", 30722);
	put(&k, "\\", 1);
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_EXT, 0, 0, 1);
	assert_int_equal(p.has_header, 1);
	assert_int_equal(p.index, 1);
	assert_int_equal(p.total, 2);
	assert_string_equal(p.label, "Featured Label");
	want_ip(0, "127.0.0.1", 30722);

	put_cmd(&k, CMD_EXT);
	put_header(&k, "2", "2", "");
	put_v4(&k, "127.0.0.1", 30721);
	put_v4(&k, "127.0.0.1", 30720);
	put(&k, "\\", 1);
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_EXT, 0, 0, 2);
	assert_int_equal(p.has_header, 1);
	assert_int_equal(p.index, 2);
	assert_int_equal(p.total, 2);
	assert_string_equal(p.label, "");
	want_ip(0, "127.0.0.1", 30721);
	want_ip(1, "127.0.0.1", 30720);

	/* No match. */
	put_cmd(&k, CMD_EXT);
	put_header(&k, "1", "1", "");
	put(&k, "\\", 1);
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_EXT, 0, 0, 0);
	assert_int_equal(p.has_header, 1);
	assert_int_equal(p.index, 1);
	assert_int_equal(p.total, 1);

	/* The header and nothing after it, not even the separator. */
	put_cmd(&k, CMD_EXT);
	put_header(&k, "3", "31", "Last");
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_EXT, 0, 0, 0);
	assert_int_equal(p.has_header, 1);
	assert_int_equal(p.index, 3);
	assert_int_equal(p.total, 31);
	assert_string_equal(p.label, "Last");

	/* The largest numbers, with leading zeros. */
	put_cmd(&k, CMD_EXT);
	put_header(&k, "000007", "999999", "x");
	put(&k, "\\", 1);
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_EXT, 0, 0, 0);
	assert_int_equal(p.index, 7);
	assert_int_equal(p.total, 999999);
}

/* An Ext list without the header (dpmaster's). */
static void
test_ext_no_header(void **state __unused)
{
	struct list_packet	 p;
	struct pkt		 k;

	put_cmd(&k, CMD_EXT);
	put_v4(&k, "203.0.113.5", 27960);
	put_v6(&k, "2001:db8::5", 27961);
	put(&k, "\\EOT\0\0\0", 7);
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_EXT, 1, 0, 2);
	assert_int_equal(p.has_header, 0);
	assert_string_equal(p.label, "");
	want_ip(0, "203.0.113.5", 27960);
	want_ip(1, "2001:db8::5", 27961);
}

/* IPv6 entries, mixed with IPv4 ones; a / ends the label. */
static void
test_ext_v6(void **state __unused)
{
	struct list_packet	 p;
	struct pkt		 k;

	put_cmd(&k, CMD_EXT);
	put_header(&k, "1", "1", "v6 only");
	put_v6(&k, "2001:db8::1", 30720);
	put_v6(&k, "::1", 1);
	put_v4(&k, "192.0.2.1", 65535);
	put_v6(&k, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 30721);
	put(&k, "\\", 1);
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_EXT, 0, 0, 4);
	assert_string_equal(p.label, "v6 only");
	want_ip(0, "2001:db8::1", 30720);
	want_ip(1, "::1", 1);
	want_ip(2, "192.0.2.1", 65535);
	want_ip(3, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 30721);

	/* A / as the final separator. */
	put_cmd(&k, CMD_EXT);
	put_header(&k, "1", "1", "");
	put_v6(&k, "2001:db8::2", 30720);
	put(&k, "/", 1);
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_EXT, 0, 0, 1);
	want_ip(0, "2001:db8::2", 30720);
}

/* The Ext list's EOT forms. */
static void
test_ext_eot(void **state __unused)
{
	struct list_packet	 p;
	struct pkt		 k;

	put_cmd(&k, CMD_EXT);
	put_header(&k, "2", "2", "L");
	put_v6(&k, "2001:db8::1", 30720);
	put(&k, "\\EOT", 4);
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_EXT, 1, 0, 1);
	assert_int_equal(p.index, 2);
	want_ip(0, "2001:db8::1", 30720);
}

/* A full packet: 256 entries of each kind, every one read. */
static void
test_256(void **state __unused)
{
	struct list_packet	 p;
	struct pkt		 k;
	char			 a[64];
	int			 i;

	put_cmd(&k, CMD_PLAIN);
	for (i = 0; i < 256; i++) {
		(void)snprintf(a, sizeof(a), "10.%d.%d.%d", i / 7, i % 7, i);
		put_v4(&k, a, 30720 + i);
	}
	put(&k, "\\", 1);
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_PLAIN, 0, 0, 256);
	for (i = 0; i < 256; i++) {
		(void)snprintf(a, sizeof(a), "10.%d.%d.%d", i / 7, i % 7, i);
		want_ip(i, a, 30720 + i);
	}

	put_cmd(&k, CMD_EXT);
	put_header(&k, "1", "1", "");
	for (i = 0; i < 256; i++) {
		(void)snprintf(a, sizeof(a), "2001:db8::%x", i);
		put_v6(&k, a, 1 + i);
	}
	put(&k, "\\", 1);
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_EXT, 0, 0, 256);
	for (i = 0; i < 256; i++) {
		(void)snprintf(a, sizeof(a), "2001:db8::%x", i);
		want_ip(i, a, 1 + i);
	}

	put_cmd(&k, CMD_WEB);
	put_header(&k, "1", "1", "");
	for (i = 0; i < 256; i++) {
		(void)snprintf(a, sizeof(a), "s%d.example.org", i);
		put_web(&k, a, 30720 + i);
	}
	put(&k, "\\", 1);
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_WEB, 0, 0, 256);
	for (i = 0; i < 256; i++) {
		(void)snprintf(a, sizeof(a), "s%d.example.org", i);
		want_web(i, a, 30720 + i);
	}
}

/* Entries cut short: what came before them stays, the packet is bad. */
static void
test_truncated(void **state __unused)
{
	struct ipc_addr	 a;
	struct pkt	 k;
	size_t		 full;

	/* IPv4: every length of 1 to 5 bytes after the separator. */
	put_cmd(&k, CMD_PLAIN);
	put_v4(&k, "192.0.2.1", 30720);
	put_v4(&k, "192.0.2.2", 30720);
	full = k.len;
	for (k.len = full - 5; k.len < full; k.len++)
		want_bad(&k, 1);

	/* IPv6: 1 to 17 bytes. */
	put_cmd(&k, CMD_EXT);
	put_header(&k, "1", "1", "");
	put_v6(&k, "2001:db8::1", 30720);
	put_v6(&k, "2001:db8::2", 30720);
	full = k.len;
	for (k.len = full - 17; k.len < full; k.len++)
		want_bad(&k, 1);

	/* An IPv6 entry behind an IPv4 separator: read as IPv4, then bad. */
	a = unit_addr("2001:db8::1", 30720);
	put_cmd(&k, CMD_EXT);
	put(&k, "\\", 1);
	put(&k, a.addr, 16);
	put(&k, &a.port, 2);
	want_bad(&k, 0);

	/* Web: the port cut, the colon missing. */
	put_cmd(&k, CMD_WEB);
	put_web(&k, "a.example.org", 30720);
	put_web(&k, "b.example.org", 30720);
	full = k.len;
	for (k.len = full - 2; k.len < full; k.len++)
		want_bad(&k, 1);
	put_cmd(&k, CMD_WEB);
	put_str(&k, "\\b.example.org");
	want_bad(&k, 0);
	put_str(&k, "\\");
	want_bad(&k, 0);
}

/* A byte after an entry that is no separator, or a separator out of place. */
static void
test_bad_separator(void **state __unused)
{
	struct list_packet	 p;
	struct pkt		 k;

	/* Right after the command. */
	put_cmd(&k, CMD_PLAIN);
	put_str(&k, "x");
	put_v4(&k, "192.0.2.1", 30720);
	want_bad(&k, 0);

	/* After an entry: the entry is not taken. */
	put_cmd(&k, CMD_PLAIN);
	put_v4(&k, "192.0.2.1", 30720);
	put_v4(&k, "192.0.2.2", 30720);
	put_str(&k, "x\\");
	want_bad(&k, 1);
	want_ip(0, "192.0.2.1", 30720);

	/* A NUL after an entry of a plain or Ext list. */
	put_cmd(&k, CMD_PLAIN);
	put_v4(&k, "192.0.2.1", 30720);
	put(&k, "\0", 1);
	want_bad(&k, 0);
	put_cmd(&k, CMD_EXT);
	put_header(&k, "1", "1", "");
	put_v6(&k, "2001:db8::1", 30720);
	put(&k, "\0\0\0", 3);
	want_bad(&k, 0);

	/* / is an Ext list's only. */
	put_cmd(&k, CMD_PLAIN);
	put_v6(&k, "2001:db8::1", 30720);
	want_bad(&k, 0);
	put_cmd(&k, CMD_WEB);
	put_str(&k, "/a.example.org:x\x01");
	want_bad(&k, 0);

	/* Two separators in a row. */
	put_cmd(&k, CMD_PLAIN);
	put_v4(&k, "192.0.2.1", 30720);
	put_str(&k, "\\\\");
	want_bad(&k, 1);

	/* The longest command is not mistaken for the shortest. */
	put_cmd(&k, CMD_PLAIN "x");
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_PLAIN, 0, 1, 0);
}

/* A header that is malformed spoils the whole packet. */
static void
test_bad_header(void **state __unused)
{
	static const struct {
		const char	*s;
		size_t		 len;
	} hdrs[] = {
		{ "\0" "0" "\0" "1" "\0", 5 },		/* index 0 */
		{ "\0" "3" "\0" "2" "\0", 5 },		/* index > total */
		{ "\0" "1" "\0" "0" "\0", 5 },		/* total 0 */
		{ "\0" "0" "\0" "0" "\0", 5 },
		{ "\0" "1" "\0" "1" "L", 5 },		/* no NUL, label */
		{ "\0" "1" "x" "\0" "1" "\0", 6 },	/* no NUL after index */
		{ "\0" "1" "\0" "1", 4 },		/* \\ after total */
		{ "\0" "1" "\0", 3 },
		{ "\0" "1", 2 },
		{ "\0", 1 },
		{ "\0" "\0" "1" "\0", 4 },		/* no index */
		{ "\0" "1" "\0" "\0", 4 },		/* no total */
		{ "\0" "a" "\0" "1" "\0", 5 },		/* not digits */
		{ "\0" "1" "\0" "+1" "\0", 6 },
		{ "\0" "-1" "\0" "1" "\0", 6 },
		{ "\0" " 1" "\0" "1" "\0", 6 },
		{ "\0" "1" "\0" "1000000" "\0", 10 },	/* 7 digits */
		{ "\0" "1" "\0" "1" "\0" "a" "\0" "b", 8 }, /* NUL in label */
		{ "\0" "1" "\0" "1" "\0" "\0", 6 },
		/* A label of 32 bytes, one too many. */
		{ "\0" "1" "\0" "1" "\0" "0123456789abcdef0123456789abcdef",
		    37 },
	};
	static const char *const	 cmds[] = { CMD_EXT, CMD_WEB };
	struct list_packet		 p;
	struct pkt			 k;
	size_t				 i, j;

	for (j = 0; j < nitems(cmds); j++)
		for (i = 0; i < nitems(hdrs); i++) {
			put_cmd(&k, cmds[j]);
			put(&k, hdrs[i].s, hdrs[i].len);
			if (j == 0)
				put_v4(&k, "192.0.2.1", 30720);
			else
				put_web(&k, "a.example.org", 30720);
			put(&k, "\\", 1);
			assert_int_equal(parse_pkt(&k, &p), 0);
			if (!p.bad)
				fail_msg("%s header %zu taken", cmds[j], i);
			assert_int_equal(p.has_header, 0);
			assert_int_equal(p.nentries, 0);
		}

	/* 31 bytes are the most a label may have. */
	put_cmd(&k, CMD_EXT);
	put_header(&k, "1", "1", "0123456789abcdef0123456789abcde");
	put_v4(&k, "192.0.2.1", 30720);
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_EXT, 0, 0, 1);
	assert_string_equal(p.label, "0123456789abcdef0123456789abcde");

	/* A plain list has no header. */
	put_cmd(&k, CMD_PLAIN);
	put_header(&k, "1", "1", "");
	put_v4(&k, "192.0.2.1", 30720);
	want_bad(&k, 0);
}

/* Not a server list: -1, and nothing called back. */
static void
test_not_list(void **state __unused)
{
	want_not_list("", 0);
	NOT_LIST("\xff\xff\xff");
	NOT_LIST(HDR);
	NOT_LIST(HDR "getservers 71");
	NOT_LIST(HDR "getserversExt Tremulous 71");
	NOT_LIST(HDR "infoResponse\n\\hostname\\x");
	NOT_LIST(HDR "statusResponse\n");
	NOT_LIST(HDR "getserversRespons");
	NOT_LIST(HDR "getserversExtRespons\\");
	NOT_LIST(HDR "getserverswebRespons\\");
	NOT_LIST(HDR "GETSERVERSRESPONSE\\");
	NOT_LIST("\xff\xff\xff\xfe" CMD_PLAIN "\\");
	NOT_LIST("\xff\xff\xff" CMD_PLAIN "\\");
	NOT_LIST(" " HDR CMD_PLAIN "\\");
	NOT_LIST(CMD_PLAIN "\\\x7f\x00\x00\x01x\x01");
}

/* Entries of port 0 are skipped, in every form. */
static void
test_port_zero(void **state __unused)
{
	struct list_packet	 p;
	struct pkt		 k;

	put_cmd(&k, CMD_PLAIN);
	put_v4(&k, "192.0.2.1", 0);
	put_v4(&k, "192.0.2.2", 30720);
	put_v4(&k, "192.0.2.3", 0);
	put(&k, "\\", 1);
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_PLAIN, 0, 0, 1);
	want_ip(0, "192.0.2.2", 30720);

	put_cmd(&k, CMD_EXT);
	put_header(&k, "1", "1", "");
	put_v6(&k, "2001:db8::1", 0);
	put_v6(&k, "2001:db8::2", 30720);
	put_v4(&k, "0.0.0.0", 0);
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_EXT, 0, 0, 1);
	want_ip(0, "2001:db8::2", 30720);

	put_cmd(&k, CMD_WEB);
	put_web(&k, "zero.example.org", 0);
	put_web(&k, "one.example.org", 1);
	put(&k, "\\", 1);
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_WEB, 0, 0, 1);
	want_web(0, "one.example.org", 1);
}

/* The JavaScript master's exact answer: no header, \EOT\0. */
static void
test_web_javascript(void **state __unused)
{
	static const char	 s[] =
	    "\xff\xff\xff\xffgetserverswebResponse"
	    "\\eu-1.game.tremulous.online:x\x01\\EOT\x00";
	struct list_packet	 p;

	assert_int_equal(parse(s, sizeof(s) - 1, &p), 0);
	want_packet(&p, LIST_WEB, 1, 0, 1);
	assert_int_equal(p.has_header, 0);
	want_web(0, "eu-1.game.tremulous.online", 30721);
}

/* TMW's exact answer: the header, and the bare separator. */
static void
test_web_tmw(void **state __unused)
{
	static const char	 s[] = "\xff\xff\xff\xffgetserverswebResponse"
				    "\x00" "1" "\x00" "1" "\x00"
				    "\\eu-1.example.org:x\x01\\";
	struct list_packet	 p;

	assert_int_equal(parse(s, sizeof(s) - 1, &p), 0);
	want_packet(&p, LIST_WEB, 0, 0, 1);
	assert_int_equal(p.has_header, 1);
	assert_int_equal(p.index, 1);
	assert_int_equal(p.total, 1);
	assert_string_equal(p.label, "");
	want_web(0, "eu-1.example.org", 30721);
}

/* Web lists: several entries, a label, each EOT form, NUL padding. */
static void
test_web_forms(void **state __unused)
{
	static const char *const	 eot[] = {
		"EOT\0\0\0", "EOT", "EOT\0"
	};
	static const size_t		 eotlen[] = { 6, 3, 4 };
	struct list_packet		 p;
	struct pkt			 k;
	size_t				 i;

	put_cmd(&k, CMD_WEB);
	put_header(&k, "2", "3", "Web Label");
	put_web(&k, "a.example.org", 30720);
	put_web(&k, "192.0.2.1", 30721);
	put_web(&k, "B_2-x", 65535);
	put_web(&k, "EOT", 30722);
	put(&k, "\\", 1);
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_WEB, 0, 0, 4);
	assert_int_equal(p.has_header, 1);
	assert_int_equal(p.index, 2);
	assert_int_equal(p.total, 3);
	assert_string_equal(p.label, "Web Label");
	want_web(0, "a.example.org", 30720);
	want_web(1, "192.0.2.1", 30721);
	want_web(2, "B_2-x", 65535);
	want_web(3, "EOT", 30722);

	for (i = 0; i < nitems(eot); i++) {
		put_cmd(&k, CMD_WEB);
		put_web(&k, "a.example.org", 30720);
		put(&k, "\\", 1);
		put(&k, eot[i], eotlen[i]);
		assert_int_equal(parse_pkt(&k, &p), 0);
		want_packet(&p, LIST_WEB, 1, 0, 1);
		want_web(0, "a.example.org", 30720);
	}

	/* A final NUL, or NUL padding, right after an entry. */
	put_cmd(&k, CMD_WEB);
	put_web(&k, "a.example.org", 30720);
	put(&k, "\0\0\0", 3);
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_WEB, 0, 0, 1);
	want_web(0, "a.example.org", 30720);

	/* Bytes after the padding. */
	put_cmd(&k, CMD_WEB);
	put_web(&k, "a.example.org", 30720);
	put(&k, "\0\0x", 3);
	want_bad(&k, 1);

	/* The port bytes may be anything, a separator or ':' too. */
	put_cmd(&k, CMD_WEB);
	put_web(&k, "a.example.org", 0x5c5c);
	put_web(&k, "b.example.org", 0x3a3a);
	put_web(&k, "c.example.org", 0x5c00);
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_WEB, 0, 0, 3);
	want_web(0, "a.example.org", 0x5c5c);
	want_web(1, "b.example.org", 0x3a3a);
	want_web(2, "c.example.org", 0x5c00);
}

/* A host name of a character no host has. */
static void
test_web_bad_host(void **state __unused)
{
	static const char *const	 bad[] = {
		"a b.example.org", "a/b", "a@b", "a\\b", "a\xc3\xa9",
		"a\tb", "[2001:db8::1]", "a+b", "a,b",
	};
	struct pkt			 k;
	size_t				 i;

	for (i = 0; i < nitems(bad); i++) {
		put_cmd(&k, CMD_WEB);
		put_web(&k, "good.example.org", 30720);
		put_web(&k, bad[i], 30720);
		put_web(&k, "after.example.org", 30720);
		put(&k, "\\", 1);
		want_bad(&k, 1);
		want_web(0, "good.example.org", 30720);
	}

	/* No host at all. */
	put_cmd(&k, CMD_WEB);
	put_web(&k, "", 30720);
	want_bad(&k, 0);

	/* A NUL in the name. */
	put_cmd(&k, CMD_WEB);
	put(&k, "\\a\0b:x\x01", 7);
	want_bad(&k, 0);
}

/* A host name of 255 bytes is the longest. */
static void
test_web_long_host(void **state __unused)
{
	struct list_packet	 p;
	struct pkt		 k;
	char			 host[LIST_NAME_MAX + 1];

	memset(host, 'h', LIST_NAME_MAX - 1);
	host[LIST_NAME_MAX - 1] = '\0';
	put_cmd(&k, CMD_WEB);
	put_web(&k, host, 30720);
	put(&k, "\\", 1);
	assert_int_equal(parse_pkt(&k, &p), 0);
	want_packet(&p, LIST_WEB, 0, 0, 1);
	want_web(0, host, 30720);

	memset(host, 'h', LIST_NAME_MAX);
	host[LIST_NAME_MAX] = '\0';
	put_cmd(&k, CMD_WEB);
	put_web(&k, host, 30720);
	put(&k, "\\", 1);
	want_bad(&k, 0);
}

/*
 * The parser writes NULs only where a web name's ':' was, and the names
 * point into the caller's buffer.
 */
static void
test_web_in_place(void **state __unused)
{
	static const char	 s[] = HDR CMD_WEB "\\a.b:x\x01\\c:x\x02\\";
	struct list_packet	 p;
	u_char			 buf[sizeof(s) - 1];
	size_t			 i;

	memcpy(buf, s, sizeof(buf));
	memset(&got, 0, sizeof(got));
	got.buf = buf;
	got.len = sizeof(buf);
	assert_int_equal(list_parse(buf, sizeof(buf), &p, collect, &got), 0);
	want_packet(&p, LIST_WEB, 0, 0, 2);
	want_web(0, "a.b", 30721);
	want_web(1, "c", 30722);
	for (i = 0; i < sizeof(buf); i++)
		if (buf[i] != (u_char)s[i])
			assert_true(s[i] == ':' && buf[i] == '\0');
	assert_int_equal(buf[sizeof(HDR CMD_WEB "\\a.b") - 1], '\0');
}

/* No callback: the entries are counted all the same. */
static void
test_no_callback(void **state __unused)
{
	static const char	 s[] = HDR CMD_PLAIN "\\\x7f\x00\x00\x01x\x01"
				    "\\\x7f\x00\x00\x01\x00\x00\\";
	struct list_packet	 p;
	u_char			 buf[sizeof(s) - 1];

	memcpy(buf, s, sizeof(buf));
	assert_int_equal(list_parse(buf, sizeof(buf), &p, NULL, NULL), 0);
	want_packet(&p, LIST_PLAIN, 0, 0, 1);
}

/* A second parse into the same struct leaves nothing of the first. */
static void
test_clears(void **state __unused)
{
	struct list_packet	 p;
	struct pkt		 k;

	put_cmd(&k, CMD_EXT);
	put_header(&k, "1", "2", "Label");
	put_v4(&k, "192.0.2.1", 30720);
	put(&k, "\\EOT", 4);
	assert_int_equal(parse_pkt(&k, &p), 0);
	assert_int_equal(p.has_header, 1);
	assert_int_equal(p.eot, 1);

	put_cmd(&k, CMD_PLAIN);
	put(&k, "\\", 1);
	assert_int_equal(list_parse(k.b, k.len, &p, NULL, NULL), 0);
	want_packet(&p, LIST_PLAIN, 0, 0, 0);
	assert_int_equal(p.has_header, 0);
	assert_int_equal(p.index, 0);
	assert_int_equal(p.total, 0);
	assert_string_equal(p.label, "");

	put_cmd(&k, "getinfo");
	assert_int_equal(list_parse(k.b, k.len, &p, NULL, NULL), -1);
	assert_int_equal(p.nentries, 0);
	assert_int_equal(p.bad, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_plain_empty),
		cmocka_unit_test(test_plain_no_terminator),
		cmocka_unit_test(test_plain_eot),
		cmocka_unit_test(test_plain_cmaster),
		cmocka_unit_test(test_eot_lookalike),
		cmocka_unit_test(test_eot_not_last),
		cmocka_unit_test(test_ext),
		cmocka_unit_test(test_ext_no_header),
		cmocka_unit_test(test_ext_v6),
		cmocka_unit_test(test_ext_eot),
		cmocka_unit_test(test_256),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_separator),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_not_list),
		cmocka_unit_test(test_port_zero),
		cmocka_unit_test(test_web_javascript),
		cmocka_unit_test(test_web_tmw),
		cmocka_unit_test(test_web_forms),
		cmocka_unit_test(test_web_bad_host),
		cmocka_unit_test(test_web_long_host),
		cmocka_unit_test(test_web_in_place),
		cmocka_unit_test(test_no_callback),
		cmocka_unit_test(test_clears),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
