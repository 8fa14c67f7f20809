/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * libFuzzer harness for the readers of the puppet plugin: puppet/list.c,
 * one packet of another master's server list, and puppet/remotes.c, one
 * line of puppetmasters.txt.  The low bit of the first byte chooses; the
 * rest is the input.
 *
 * A packet is parsed in a heap buffer of exactly its size, so that an
 * overread is caught.  The count equals the callbacks; every entry has a
 * port; an address entry is bytes of the packet after its separator; a
 * web name is a string inside the buffer, of alnum . - _ only, where the
 * packet had that name and a ':'; the parser writes nothing else; a header
 * means 1 <= index <= total; -1 means no entry and no byte written.
 *
 * A line is parsed NUL-terminated, as a line of the file, as a URL and
 * as the host of --puppet-master.  What is taken has a host of host
 * characters and a port, its strings end inside their arrays, and it
 * comes back the same from the canonical line (or URL) rebuilt from it;
 * a blank line or a comment leaves the struct untouched.  A broken
 * promise aborts.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tremmasterd.h"
#include "puppet.h"

#define CHECK(e) do {							\
	if (!(e))							\
		abort();						\
} while (0)

#define HDR		"\xff\xff\xff\xff"

/* What the callback of list_parse() is given to check against. */
struct seen {
	const u_char	*buf;		/* being parsed */
	const u_char	*orig;		/* the packet as it came */
	size_t		 len;
	size_t		 n;
};

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int	 host_char(int);
static int	 is_list(const uint8_t *, size_t);
static void	 check_entry(const struct list_entry *, void *);
static void	 check_list(const uint8_t *, size_t);
static void	 check_remote(const struct puppet_remote *);
static void	 check_again(const struct puppet_remote *,
		    const struct puppet_remote *);
static void	 check_line(const uint8_t *, size_t);

/* A character of a web entry's host name. */
static int
host_char(int c)
{
	return (isalnum(c) || c == '.' || c == '-' || c == '_');
}

/* Does the packet start as a server list does? */
static int
is_list(const uint8_t *b, size_t len)
{
	static const char *const	 cmds[] = {
		"getserversResponse", "getserversExtResponse",
		"getserverswebResponse"
	};
	size_t				 i, n;

	if (len < 4 || memcmp(b, HDR, 4) != 0)
		return (0);
	for (i = 0; i < nitems(cmds); i++) {
		n = strlen(cmds[i]);
		if (len - 4 >= n && memcmp(b + 4, cmds[i], n) == 0)
			return (1);
	}
	return (0);
}

/* One entry of a packet, against the packet's bytes. */
static void
check_entry(const struct list_entry *e, void *arg)
{
	struct seen	*s = arg;
	const u_char	*name;
	u_char		 want[1 + 16 + 2];
	size_t		 i, off, alen;

	s->n++;
	CHECK(e->addr.port != 0);
	CHECK(e->addr.pad == 0);
	if (e->name != NULL) {
		CHECK(e->addr.family == 0);
		name = (const u_char *)e->name;
		CHECK(name > s->buf && name < s->buf + s->len);
		off = name - s->buf;
		CHECK(memchr(name, '\0', s->len - off) != NULL);
		for (i = 0; name[i] != '\0'; i++)
			CHECK(host_char(name[i]) &&
			    name[i] == s->orig[off + i]);
		CHECK(i > 0 && i < LIST_NAME_MAX);
		/* \host:port, the ':' now a NUL. */
		CHECK(s->orig[off - 1] == '\\');
		CHECK(s->orig[off + i] == ':');
		CHECK(off + i + 3 <= s->len);
		CHECK(memcmp(s->orig + off + i + 1, &e->addr.port, 2) == 0);
		for (i = 0; i < sizeof(e->addr.addr); i++)
			CHECK(e->addr.addr[i] == 0);
		return;
	}
	CHECK(e->addr.family == AF_INET || e->addr.family == AF_INET6);
	alen = e->addr.family == AF_INET ? 4 : 16;
	for (i = alen; i < sizeof(e->addr.addr); i++)
		CHECK(e->addr.addr[i] == 0);
	want[0] = e->addr.family == AF_INET ? '\\' : '/';
	memcpy(want + 1, e->addr.addr, alen);
	memcpy(want + 1 + alen, &e->addr.port, 2);
	CHECK(memmem(s->orig, s->len, want, alen + 3) != NULL);
}

/* list_parse() on len bytes in a buffer of exactly that size. */
static void
check_list(const uint8_t *data, size_t len)
{
	struct list_packet	 p, q;
	struct seen		 s;
	u_char			*buf;
	size_t			 i, nul;
	int			 rv;

	if ((buf = malloc(len)) == NULL && len > 0)
		abort();
	if (len > 0)
		memcpy(buf, data, len);
	memset(&s, 0, sizeof(s));
	s.buf = buf;
	s.orig = data;
	s.len = len;
	memset(&p, 0xa5, sizeof(p));
	rv = list_parse(buf, len, &p, check_entry, &s);
	CHECK(rv == 0 || rv == -1);
	CHECK(p.nentries == s.n);

	/* The only bytes written are NULs of web names, for ':'. */
	for (i = nul = 0; i < len; i++)
		if (buf[i] != data[i]) {
			CHECK(buf[i] == '\0' && data[i] == ':');
			nul++;
		}
	/* A list is the header and one of the three commands. */
	CHECK((rv == 0) == is_list(data, len));
	if (rv == -1) {
		CHECK(s.n == 0 && nul == 0);
		free(buf);
		return;
	}
	CHECK(p.kind == LIST_PLAIN || p.kind == LIST_EXT ||
	    p.kind == LIST_WEB);
	CHECK(p.kind == LIST_WEB || nul == 0);
	CHECK(p.has_header == 0 || p.has_header == 1);
	CHECK(p.eot == 0 || p.eot == 1);
	CHECK(p.bad == 0 || p.bad == 1);
	CHECK(p.eot == 0 || p.bad == 0);
	CHECK(memchr(p.label, '\0', sizeof(p.label)) != NULL);
	if (p.has_header) {
		CHECK(p.kind != LIST_PLAIN);
		CHECK(1 <= p.index && p.index <= p.total);
		CHECK(p.total <= 999999);
		CHECK(strchr(p.label, '\\') == NULL);
		CHECK(strchr(p.label, '/') == NULL);
	} else
		CHECK(p.label[0] == '\0');

	/* The same packet again: the same answer. */
	memcpy(buf, data, len);
	s.n = 0;
	memset(&q, 0x5a, sizeof(q));
	CHECK(list_parse(buf, len, &q, NULL, NULL) == 0);
	CHECK(q.kind == p.kind && q.has_header == p.has_header &&
	    q.index == p.index && q.total == p.total && q.eot == p.eot &&
	    q.bad == p.bad && q.nentries == p.nentries);
	CHECK(strcmp(q.label, p.label) == 0);
	free(buf);
}

/* A remote master taken from a line: its fields in range. */
static void
check_remote(const struct puppet_remote *r)
{
	size_t	 i;

	CHECK(memchr(r->host, '\0', sizeof(r->host)) != NULL);
	CHECK(memchr(r->protocol, '\0', sizeof(r->protocol)) != NULL);
	CHECK(memchr(r->path, '\0', sizeof(r->path)) != NULL);
	CHECK(r->host[0] != '\0');
	for (i = 0; r->host[i] != '\0'; i++)
		CHECK(host_char((u_char)r->host[i]) || r->host[i] == ':');
	CHECK(r->port != 0);
	CHECK(r->conn >= CONN_DEFAULT && r->conn <= CONN_AUTO);
	CHECK(remote_conn_name(r->conn) != NULL);
	for (i = 0; r->protocol[i] != '\0'; i++)
		CHECK(isdigit((u_char)r->protocol[i]));
	CHECK(r->ext == 0 || r->ext == 1);
	CHECK(r->line == 0);
	if (r->path[0] != '\0') {
		CHECK(r->path[0] == '/');
		CHECK(r->conn == CONN_WS || r->conn == CONN_WSS);
		for (i = 0; r->path[i] != '\0'; i++)
			CHECK(r->path[i] > ' ' && r->path[i] < 0x7f);
	}
}

/*
 * r, rebuilt as the canonical line (or, from a URL, the bare URL) and
 * parsed again from the defaults def, is what it was.
 */
static void
check_again(const struct puppet_remote *r, const struct puppet_remote *def)
{
	struct puppet_remote	 a;
	char			 line[PUPPET_LINE_MAX], err[256], host[300];
	const char		*conn;
	int			 n;

	if (strchr(r->host, ':') != NULL)
		n = snprintf(host, sizeof(host), "[%s]", r->host);
	else
		n = snprintf(host, sizeof(host), "%s", r->host);
	CHECK(n > 0 && (size_t)n < sizeof(host));
	a = *def;
	if (r->path[0] != '\0') {
		n = snprintf(line, sizeof(line), "%s://%s:%u%s",
		    r->conn == CONN_WSS ? "wss" : "ws", host, r->port, r->path);
		CHECK(n > 0 && (size_t)n < sizeof(line));
		CHECK(remote_parse_url(line, 1, &a, err, sizeof(err)) == 1);
		CHECK(strcmp(a.host, r->host) == 0 && a.port == r->port &&
		    a.conn == r->conn && strcmp(a.path, r->path) == 0);
		return;
	}
	conn = r->conn == CONN_DEFAULT ? "" : remote_conn_name(r->conn);
	n = snprintf(line, sizeof(line), "%s:%u:%s:%s:%s", host, r->port,
	    conn, r->protocol, r->ext ? "getserversExt" : "getservers");
	CHECK(n > 0 && (size_t)n < sizeof(line));
	CHECK(remote_parse_line(line, &a, err, sizeof(err)) == 1);
	CHECK(memcmp(&a, r, sizeof(a)) == 0);
}

/* remote_parse_line() and remote_parse_url() on a NUL-terminated copy. */
static void
check_line(const uint8_t *data, size_t len)
{
	struct puppet_remote	 def, r;
	const char		*s;
	char			*line, err[256];
	int			 rv;

	if ((line = malloc(len + 1)) == NULL)
		abort();
	memcpy(line, data, len);
	line[len] = '\0';

	/* The defaults of the plugin; all of the struct set, for memcmp. */
	memset(&def, 0, sizeof(def));
	def.port = PUPPET_DEFAULT_PORT;
	def.conn = CONN_DEFAULT;

	r = def;
	memset(err, 0xa5, sizeof(err));
	rv = remote_parse_line(line, &r, err, sizeof(err));
	CHECK(rv == -1 || rv == 0 || rv == 1);
	switch (rv) {
	case -1:
		CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		CHECK(err[0] != '\0');
		break;
	case 0:
		CHECK(memcmp(&r, &def, sizeof(r)) == 0);
		s = line + strspn(line, " \t\r");
		CHECK(*s == '\0' || *s == '#');
		break;
	case 1:
		check_remote(&r);
		check_again(&r, &def);
		break;
	}

	/* The URL reader alone, with a port of its own as the default. */
	r = def;
	memset(err, 0xa5, sizeof(err));
	rv = remote_parse_url(line, 443, &r, err, sizeof(err));
	CHECK(rv == -1 || rv == 0 || rv == 1);
	if (rv == -1) {
		CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		CHECK(err[0] != '\0');
	}
	if (rv == 0)
		CHECK(memcmp(&r, &def, sizeof(r)) == 0);
	if (rv == 1) {
		CHECK(r.conn == CONN_WS || r.conn == CONN_WSS);
		CHECK(r.path[0] == '/');
		check_remote(&r);
		check_again(&r, &def);
	}

	/* The host of --puppet-master: nothing but the host is set. */
	r = def;
	rv = remote_parse_host(line, &r, err, sizeof(err));
	CHECK(rv == -1 || rv == 0);
	if (rv == 0) {
		check_remote(&r);
		CHECK(strlen(r.host) <= len);
		(void)strlcpy(def.host, r.host, sizeof(def.host));
		CHECK(memcmp(&r, &def, sizeof(r)) == 0);
	} else
		CHECK(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0');
	free(line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return (0);
	if (data[0] & 1)
		check_line(data + 1, size - 1);
	else
		check_list(data + 1, size - 1);
	return (0);
}
