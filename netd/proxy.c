/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * What a reverse proxy says of the client behind it (proxy.h).  Both
 * readers are strict: a PROXY header is one of the two forms of the
 * specification or the connection ends, and a forwarding header is read
 * from its right end, the entry the nearest proxy wrote, leftwards for as
 * long as the entries are trusted proxies themselves: what the client
 * wrote to the left of them is never read.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proxy.h"

/* Version 2 starts with these twelve bytes, which no request can. */
static const u_char v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};
#define V1_SIG		"PROXY "
#define V2_VERSION	0x20	/* high nibble of byte 12 */
#define V2_CMD_LOCAL	0x00
#define V2_CMD_PROXY	0x01
#define V2_TCP4		0x11	/* byte 13: TCP over IPv4 */
#define V2_TCP6		0x21	/* ... over IPv6 */
#define V2_TCP4_LEN	12	/* two addresses, two ports */
#define V2_TCP6_LEN	36

/* An entry of a forwarding header: the address, p NULL if none. */
struct fwd_entry {
	const char	*p;
	size_t		 n;
};

static enum proxy_result v1_parse(const u_char *, size_t, size_t *,
		    struct ipc_addr *);
static enum proxy_result v2_parse(const u_char *, size_t, size_t *,
		    struct ipc_addr *);
static int	v1_port(const char *, uint16_t *);
static void	unmap(struct ipc_addr *);
static int	host_port(const char *, size_t, struct ipc_addr *);
static int	is_tchar(int);
static const char *skip_ows(const char *, const char *);
static const char *fwd_value_end(const char *, const char *);
static int	fwd_element(const char **, const char *, struct fwd_entry *);
static const char *trim(const char *, size_t *);

/*
 * The header at the start of the len bytes a connection sent so far.
 * PROXY_MORE: all len bytes are a header's beginning, more are needed;
 * PROXY_LOCAL and PROXY_ADDR: the header is the first *hdrlen bytes, and
 * for PROXY_ADDR src is the client's address and port.
 */
enum proxy_result
proxy_parse(const u_char *buf, size_t len, size_t *hdrlen,
    struct ipc_addr *src)
{
	size_t	 n;

	*hdrlen = 0;
	n = len < sizeof(V1_SIG) - 1 ? len : sizeof(V1_SIG) - 1;
	if (memcmp(buf, V1_SIG, n) == 0)
		return (v1_parse(buf, len, hdrlen, src));
	n = len < sizeof(v2_sig) ? len : sizeof(v2_sig);
	if (memcmp(buf, v2_sig, n) == 0)
		return (v2_parse(buf, len, hdrlen, src));
	return (PROXY_NONE);
}

/* A port of a v1 line: 1 to 5 digits, at most 65535. */
static int
v1_port(const char *s, uint16_t *port)
{
	size_t	 n = strlen(s);
	long	 v;

	if (n == 0 || n > 5 || strspn(s, "0123456789") != n)
		return (-1);
	if ((v = strtol(s, NULL, 10)) > 65535)
		return (-1);
	*port = htons((uint16_t)v);
	return (0);
}

/* "PROXY TCP4 src dst sport dport\r\n", TCP6 alike, or "PROXY UNKNOWN". */
static enum proxy_result
v1_parse(const u_char *buf, size_t len, size_t *hdrlen, struct ipc_addr *src)
{
	char		 line[PROXY_V1_MAX], *p, *f[6];
	const u_char	*eol;
	u_char		 dst[16];
	uint16_t	 dport;
	size_t		 n, i;
	int		 af;

	n = len < PROXY_V1_MAX ? len : PROXY_V1_MAX;
	if ((eol = memmem(buf, n, "\r\n", 2)) == NULL)
		return (len >= PROXY_V1_MAX ? PROXY_BAD : PROXY_MORE);
	*hdrlen = eol - buf + 2;
	n = eol - buf;
	if (memchr(buf, '\0', n) != NULL)
		return (PROXY_BAD);
	memcpy(line, buf, n);
	line[n] = '\0';
	p = line + sizeof(V1_SIG) - 1;
	for (i = 0; i < nitems(f); i++)
		if ((f[i] = strsep(&p, " ")) == NULL)
			break;
	if (i > 0 && strcmp(f[0], "UNKNOWN") == 0)
		return (PROXY_LOCAL);
	if (i != 5 || p != NULL)
		return (PROXY_BAD);
	if (strcmp(f[0], "TCP4") == 0)
		af = AF_INET;
	else if (strcmp(f[0], "TCP6") == 0)
		af = AF_INET6;
	else
		return (PROXY_BAD);
	memset(src, 0, sizeof(*src));
	src->family = af;
	if (inet_pton(af, f[1], src->addr) != 1 ||
	    inet_pton(af, f[2], dst) != 1 || v1_port(f[3], &src->port) == -1 ||
	    v1_port(f[4], &dport) == -1)
		return (PROXY_BAD);
	unmap(src);
	return (PROXY_ADDR);
}

/* The binary form: signature, version and command, family, length. */
static enum proxy_result
v2_parse(const u_char *buf, size_t len, size_t *hdrlen, struct ipc_addr *src)
{
	size_t	 alen;

	if (len < PROXY_V2_HDR)
		return (PROXY_MORE);
	if ((buf[12] & 0xf0) != V2_VERSION || (buf[12] & 0x0f) > V2_CMD_PROXY)
		return (PROXY_BAD);
	alen = (size_t)buf[14] << 8 | buf[15];
	if (PROXY_V2_HDR + alen > PROXY_MAX)
		return (PROXY_BAD);
	if (len < PROXY_V2_HDR + alen)
		return (PROXY_MORE);
	*hdrlen = PROXY_V2_HDR + alen;
	/* A health check of the proxy's own, or a family we do not list. */
	if ((buf[12] & 0x0f) == V2_CMD_LOCAL ||
	    (buf[13] != V2_TCP4 && buf[13] != V2_TCP6))
		return (PROXY_LOCAL);
	memset(src, 0, sizeof(*src));
	if (buf[13] == V2_TCP4) {
		if (alen < V2_TCP4_LEN)
			return (PROXY_BAD);
		src->family = AF_INET;
		memcpy(src->addr, buf + PROXY_V2_HDR, 4);
		memcpy(&src->port, buf + PROXY_V2_HDR + 8, 2);
	} else {
		if (alen < V2_TCP6_LEN)
			return (PROXY_BAD);
		src->family = AF_INET6;
		memcpy(src->addr, buf + PROXY_V2_HDR, 16);
		memcpy(&src->port, buf + PROXY_V2_HDR + 32, 2);
	}
	unmap(src);
	return (PROXY_ADDR);
}

/* ::ffff:a.b.c.d is the IPv4 address a.b.c.d. */
static void
unmap(struct ipc_addr *a)
{
	static const u_char	 prefix[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	if (a->family != AF_INET6 || memcmp(a->addr, prefix, 12) != 0)
		return;
	a->family = AF_INET;
	memmove(a->addr, a->addr + 12, 4);
	memset(a->addr + 4, 0, 12);
}

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

/*
 * An address of a forwarding header: 192.0.2.1, 192.0.2.1:4711,
 * 2001:db8::1, [2001:db8::1] or [2001:db8::1]:4711.  The port is 0 when
 * none is given.
 */
static int
host_port(const char *s, size_t len, struct ipc_addr *a)
{
	char		 host[INET6_ADDRSTRLEN], port[8];
	const char	*end = s + len, *colon = NULL, *p;
	size_t		 hlen, ncolons = 0;
	int		 af;

	memset(a, 0, sizeof(*a));
	if (len > 0 && s[0] == '[') {
		if ((p = memchr(s, ']', len)) == NULL)
			return (-1);
		hlen = p - s - 1;
		if (hlen >= sizeof(host))
			return (-1);
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		af = AF_INET6;
		if (++p < end) {
			if (*p != ':')
				return (-1);
			colon = p;
		}
	} else {
		for (p = s; p < end; p++)
			if (*p == ':') {
				ncolons++;
				colon = p;
			}
		if (ncolons > 1) {
			af = AF_INET6;
			colon = NULL;
			hlen = len;
		} else {
			af = AF_INET;
			hlen = colon != NULL ? (size_t)(colon - s) : len;
		}
		if (hlen >= sizeof(host))
			return (-1);
		memcpy(host, s, hlen);
		host[hlen] = '\0';
	}
	if (memchr(host, '\0', hlen) != NULL ||
	    inet_pton(af, host, a->addr) != 1)
		return (-1);
	a->family = af;
	if (colon != NULL) {
		hlen = end - colon - 1;
		if (hlen >= sizeof(port))
			return (-1);
		memcpy(port, colon + 1, hlen);
		port[hlen] = '\0';
		if (v1_port(port, &a->port) == -1)
			return (-1);
	}
	unmap(a);
	return (0);
}

/* RFC 7230's tchar: what a token of a Forwarded pair is made of. */
static int
is_tchar(int ch)
{
	return ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || (ch != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", ch) != NULL));
}

static const char *
skip_ows(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return (s);
}

/*
 * The end of the value of a Forwarded pair at s, a token or a quoted
 * string (RFC 7239 4), or NULL if it is neither: a ',' or ';' counts only
 * outside quotes.
 */
static const char *
fwd_value_end(const char *s, const char *end)
{
	const char	*p;

	if (s < end && *s == '"') {
		for (p = s + 1; p < end; p++) {
			if (*p == '\\') {
				if (++p == end)
					return (NULL);
			} else if (*p == '"')
				return (p + 1);
		}
		return (NULL);
	}
	for (p = s; p < end && is_tchar((u_char)*p); p++)
		;
	return (p == s ? NULL : p);
}

/*
 * The Forwarded element at *sp: its for= value, without quotes, in e (p
 * NULL when it has none), and *sp past it and its comma.  -1 when it is
 * not an element: a pair that is not token=value, an unterminated quote,
 * for= twice, or a quoted-pair in the for= value.
 */
static int
fwd_element(const char **sp, const char *end, struct fwd_entry *e)
{
	const char	*s = *sp, *name, *v, *vend;
	size_t		 nlen;

	e->p = NULL;
	e->n = 0;
	for (;;) {
		s = skip_ows(s, end);
		if (s < end && *s != ',' && *s != ';') {
			for (name = s; s < end && is_tchar((u_char)*s); s++)
				;
			nlen = s - name;
			if (nlen == 0 || s == end || *s != '=')
				return (-1);
			v = ++s;
			if ((vend = fwd_value_end(v, end)) == NULL)
				return (-1);
			s = skip_ows(vend, end);
			if (nlen == 3 && strncasecmp(name, "for", 3) == 0) {
				if (e->p != NULL)
					return (-1);
				if (*v == '"') {
					v++;
					vend--;
				}
				if (memchr(v, '\\', vend - v) != NULL)
					return (-1);
				e->p = v;
				e->n = vend - v;
			}
		}
		if (s == end || *s == ',') {
			*sp = s < end ? s + 1 : s;
			return (0);
		}
		if (*s != ';')
			return (-1);
		s++;
	}
}

/*
 * The client's address in a forwarding header's value v: from the right,
 * the first entry that is not a trusted proxy, or the leftmost if all
 * are.  Returns 1 with the address in out; 0 for an empty value; -1, out
 * untouched, when the header is not one (a Forwarded header is parsed
 * whole, quoted strings and all) or when the walk meets an entry that is
 * not an address (unknown, an obfuscated name, an element without for=)
 * before the client's: a proxy we trust wrote it, or let it through.
 */
int
proxy_forwarded(const char *v, size_t len, int kind,
    int (*trusted)(const struct ipc_addr *), struct ipc_addr *out)
{
	struct fwd_entry	 e[PROXY_FWD_MAX];
	struct ipc_addr		 a;
	const char		*s = v, *end = v + len, *comma;
	size_t			 i, n = 0;

	if (len == 0)
		return (0);
	if (len >= PROXY_FWD_MAX)
		return (-1);
	while (n < nitems(e)) {
		if (kind == REALIP_FORWARDED) {
			if (fwd_element(&s, end, &e[n]) == -1)
				return (-1);
		} else {
			if ((comma = memchr(s, ',', end - s)) == NULL)
				comma = end;
			e[n].n = comma - s;
			e[n].p = trim(s, &e[n].n);
			s = comma < end ? comma + 1 : end;
		}
		n++;
		if (s == end)
			break;
	}
	if (s != end)
		return (-1);
	for (i = n; i-- > 0; ) {
		if (e[i].p == NULL || host_port(e[i].p, e[i].n, &a) == -1)
			return (-1);
		if (!trusted(&a))
			break;
	}
	*out = a;
	return (1);
}

/* The header --real-ip-header names, or NULL for none. */
const char *
proxy_header_name(int kind)
{
	switch (kind) {
	case REALIP_XFF:
		return ("X-Forwarded-For");
	case REALIP_FORWARDED:
		return ("Forwarded");
	default:
		return (NULL);
	}
}
