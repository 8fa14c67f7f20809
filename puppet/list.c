/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * One packet of another master's server list (PROTOCOL.md, section 4),
 * read as the game's own browser reads it:
 *
 *	HDR getserversResponse     ( \ 4+2 bytes )* [ \ | \EOT... ]
 *	HDR getserversExtResponse  [ \0 i \0 n \0 label ] ( \ 4+2 | / 16+2 )*
 *	HDR getserverswebResponse  [ \0 i \0 n \0 label ] ( \ host : 2 )*
 *
 * The last two forms are those of the Python and JavaScript masters with
 * WebSocket clients.  A pure function, for tests and the fuzzer.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <ctype.h>
#include <string.h>

#include "proto.h"
#include "puppet.h"

#define CMD_PLAIN	"getserversResponse"
#define CMD_EXT		"getserversExtResponse"
#define CMD_WEB		"getserverswebResponse"

static int	list_header(const u_char *, size_t, size_t *,
		    struct list_packet *);
static int	list_is_eot(const u_char *, size_t);
static int	list_number(const u_char *, size_t, size_t *, int *);

/* "\0<digits>" at *off: 1..999999, *off moved past it. */
static int
list_number(const u_char *b, size_t len, size_t *off, int *val)
{
	size_t	 i = *off;
	int	 n = 0, digits = 0;

	if (i >= len || b[i] != '\0')
		return (-1);
	for (i++; i < len && isdigit(b[i]) && digits < 6; i++, digits++)
		n = n * 10 + (b[i] - '0');
	if (digits == 0)
		return (-1);
	*off = i;
	*val = n;
	return (0);
}

/*
 * The header of the Ext and web forms, \0<index>\0<total>\0<label>: the
 * label ends at the first \ or / (or the end).  -1 when malformed.
 */
static int
list_header(const u_char *b, size_t len, size_t *off,
    struct list_packet *p)
{
	size_t	 i, start;

	i = *off;
	if (list_number(b, len, &i, &p->index) == -1 ||
	    list_number(b, len, &i, &p->total) == -1 ||
	    i >= len || b[i] != '\0')
		return (-1);
	if (p->index < 1 || p->index > p->total)
		return (-1);
	start = ++i;
	while (i < len && b[i] != '\\' && b[i] != '/')
		i++;
	if (i - start >= sizeof(p->label) ||
	    memchr(b + start, '\0', i - start) != NULL)
		return (-1);
	memcpy(p->label, b + start, i - start);
	p->label[i - start] = '\0';
	p->has_header = 1;
	*off = i;
	return (0);
}

/*
 * "EOT" after a separator, then nothing or NULs only (dpmaster writes
 * \EOT\0\0\0, the JavaScript master \EOT\0).  A server in 69.79.84.0/24
 * is not taken for it: its port and what follows are not NULs.
 */
static int
list_is_eot(const u_char *b, size_t left)
{
	size_t	 i;

	if (left < 3 || memcmp(b, "EOT", 3) != 0)
		return (0);
	for (i = 3; i < left; i++)
		if (b[i] != '\0')
			return (0);
	return (1);
}

int
list_parse(u_char *b, size_t len, struct list_packet *p,
    void (*cb)(const struct list_entry *, void *), void *arg)
{
	struct list_entry	 e;
	size_t			 off, left, n;
	u_char			 sep;

	memset(p, 0, sizeof(*p));
	if (len < PKT_HDR_LEN || memcmp(b, PKT_HDR, PKT_HDR_LEN) != 0)
		return (-1);
	off = PKT_HDR_LEN;
	left = len - off;
	/* The longest name first: getserversExtResponse is not a prefix. */
	if (left >= strlen(CMD_EXT) && memcmp(b + off, CMD_EXT,
	    strlen(CMD_EXT)) == 0) {
		p->kind = LIST_EXT;
		off += strlen(CMD_EXT);
	} else if (left >= strlen(CMD_WEB) && memcmp(b + off, CMD_WEB,
	    strlen(CMD_WEB)) == 0) {
		p->kind = LIST_WEB;
		off += strlen(CMD_WEB);
	} else if (left >= strlen(CMD_PLAIN) && memcmp(b + off, CMD_PLAIN,
	    strlen(CMD_PLAIN)) == 0) {
		p->kind = LIST_PLAIN;
		off += strlen(CMD_PLAIN);
	} else
		return (-1);
	if (p->kind != LIST_PLAIN && off < len && b[off] == '\0' &&
	    list_header(b, len, &off, p) == -1) {
		p->bad = 1;
		return (0);
	}

	while (off < len) {
		sep = b[off++];
		left = len - off;
		memset(&e, 0, sizeof(e));
		if (sep == '\0' && p->kind == LIST_WEB) {
			/* The JavaScript master's final NUL, or padding. */
			for (; off < len; off++)
				if (b[off] != '\0')
					p->bad = 1;
			break;
		}
		if (sep != '\\' && !(sep == '/' && p->kind == LIST_EXT)) {
			p->bad = 1;
			break;
		}
		if (left == 0)
			break;		/* the final separator */
		if (sep == '\\' && list_is_eot(b + off, left)) {
			p->eot = 1;
			break;
		}
		if (p->kind == LIST_WEB) {
			/* host ":" port(2), then a separator or the end */
			u_char	*colon;

			colon = memchr(b + off, ':', left < LIST_NAME_MAX ?
			    left : LIST_NAME_MAX);
			if (colon == NULL || colon == b + off ||
			    (size_t)(colon - (b + off)) + 3 > left) {
				p->bad = 1;
				break;
			}
			for (n = off; b + n < colon; n++)
				if (!isalnum(b[n]) && b[n] != '.' &&
				    b[n] != '-' && b[n] != '_')
					break;
			if (b + n != colon) {
				p->bad = 1;
				break;
			}
			memcpy(&e.addr.port, colon + 1, 2);
			/* The name is cut only for a callback to read. */
			if (cb != NULL)
				*colon = '\0';
			e.name = (char *)(b + off);
			off = colon + 3 - b;
		} else {
			n = sep == '/' ? 16 : 4;
			if (left < n + 2) {
				p->bad = 1;
				break;
			}
			e.addr.family = sep == '/' ? AF_INET6 : AF_INET;
			memcpy(e.addr.addr, b + off, n);
			memcpy(&e.addr.port, b + off + n, 2);
			off += n + 2;
		}
		/* The byte after an entry must be a separator, or the end. */
		if (off < len && b[off] != '\\' && b[off] != '/' &&
		    !(p->kind == LIST_WEB && b[off] == '\0')) {
			p->bad = 1;
			break;
		}
		if (e.addr.port == 0)
			continue;
		p->nentries++;
		if (cb != NULL)
			cb(&e, arg);
	}
	return (0);
}
