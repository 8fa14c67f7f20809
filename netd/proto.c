/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Parsers and builders of the Tremulous master protocol (PROTOCOL.md).
 * Every parser takes the bytes of one datagram and its length, never reads
 * past them, and copies what it keeps into fixed buffers.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tremmasterd.h"
#include "proto.h"

static const struct {
	const char	*prefix;
	enum pkt_cmd	 cmd;
} commands[] = {
	/* The order of the Python master: first match wins. */
	{ "gamestat",		CMD_GAMESTAT },
	{ "getmotd",		CMD_GETMOTD },
	{ "getserversExt",	CMD_GETSERVERSEXT },
	{ "getservers",		CMD_GETSERVERS },
	{ "heartbeat",		CMD_HEARTBEAT },
	{ "infoResponse",	CMD_INFORESPONSE }
};

static int	is_space(int);
static size_t	next_token(const u_char *, size_t, size_t *, size_t *);
static int	token_is(const u_char *, size_t, const char *);
static int	copy_value(char *, size_t, const u_char *, size_t);
static uint8_t	detail_copy(char *, size_t, const u_char *, size_t);
static uint16_t	detail_count(const u_char *, size_t);

static int
is_space(int c)
{
	return (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\v' || c == '\f');
}

/*
 * The command of a datagram, matched by prefix after the 4 byte header.
 * *off gets the offset of what follows the command name.
 */
enum pkt_cmd
proto_command(const u_char *pkt, size_t len, size_t *off)
{
	size_t	 i, n;

	*off = 0;
	if (len < PKT_HDR_LEN || memcmp(pkt, PKT_HDR, PKT_HDR_LEN) != 0)
		return (CMD_UNKNOWN);
	for (i = 0; i < nitems(commands); i++) {
		n = strlen(commands[i].prefix);
		if (len - PKT_HDR_LEN >= n &&
		    memcmp(pkt + PKT_HDR_LEN, commands[i].prefix, n) == 0) {
			*off = PKT_HDR_LEN + n;
			return (commands[i].cmd);
		}
	}
	return (CMD_UNKNOWN);
}

/* A heartbeat holding "dead" anywhere is a flatline. */
int
proto_heartbeat_dead(const u_char *pkt, size_t len)
{
	return (memmem(pkt, len, "dead", 4) != NULL);
}

/*
 * The next whitespace-separated token from *pos; a NUL ends the text.
 * Returns its length (0 at the end) and its start in *start.
 */
static size_t
next_token(const u_char *s, size_t len, size_t *pos, size_t *start)
{
	size_t	 i = *pos;

	while (i < len && s[i] != '\0' && is_space(s[i]))
		i++;
	*start = i;
	while (i < len && s[i] != '\0' && !is_space(s[i]))
		i++;
	*pos = i;
	return (i - *start);
}

static int
token_is(const u_char *tok, size_t len, const char *word)
{
	return (len == strlen(word) && memcmp(tok, word, len) == 0);
}

/*
 * getservers <protocol> [empty] [full], or getserversExt <game>
 * <protocol> [ipv4] [ipv6] [empty] [full].  args points just past the
 * command prefix (the rest of a longer command word is skipped).  Returns
 * -1 when the request gets no reply: no protocol, or another game.
 */
int
proto_getservers(const u_char *args, size_t len, int ext, struct gs_query *q)
{
	size_t	 pos = 0, start, n;
	int	 v4 = 0, v6 = 0;

	memset(q, 0, sizeof(*q));
	q->ext = ext;
	/* The rest of the command word, as in "getserversFoo". */
	while (pos < len && args[pos] != '\0' && !is_space(args[pos]))
		pos++;
	if (ext) {
		n = next_token(args, len, &pos, &start);
		if (!token_is(args + start, n, "Tremulous"))
			return (-1);
	}
	n = next_token(args, len, &pos, &start);
	if (n == 0)
		return (-1);
	/*
	 * A protocol too long for any server ("getservers Tremulous ...",
	 * sent by some 2011-2015 builds) is kept empty: it matches nothing
	 * and the client gets the empty list, not silence.
	 */
	if (n < sizeof(q->protocol)) {
		memcpy(q->protocol, args + start, n);
		q->protocol[n] = '\0';
	}
	while ((n = next_token(args, len, &pos, &start)) > 0) {
		if (token_is(args + start, n, "empty"))
			q->empty = 1;
		else if (token_is(args + start, n, "full"))
			q->full = 1;
		else if (token_is(args + start, n, "ipv4"))
			v4 = 1;
		else if (token_is(args + start, n, "ipv6"))
			v6 = 1;
	}
	if (!ext || v4)
		q->family = AF_INET;
	else if (v6)
		q->family = AF_INET6;
	else
		q->family = AF_UNSPEC;
	return (0);
}

/*
 * The value of key in an infostring "\k\v\k\v...": the last pair wins, as
 * in the Python master.  Returns 1 with *val and *vlen set, or 0.
 */
int
proto_info_value(const u_char *info, size_t len, const char *key,
    const u_char **val, size_t *vlen)
{
	const u_char	*k, *v, *end;
	size_t		 klen = strlen(key), i = 0, ks, vs;
	int		 found = 0;

	/* Leading and trailing backslashes are stripped. */
	while (i < len && info[i] == '\\')
		i++;
	while (len > i && info[len - 1] == '\\')
		len--;
	while (i < len) {
		ks = i;
		while (i < len && info[i] != '\\')
			i++;
		k = info + ks;
		if (i >= len)
			break;		/* a key without a value */
		vs = ++i;
		while (i < len && info[i] != '\\')
			i++;
		v = info + vs;
		end = info + i;
		if ((size_t)(info + vs - 1 - k) == klen &&
		    memcmp(k, key, klen) == 0) {
			*val = v;
			*vlen = end - v;
			found = 1;
		}
		i++;
	}
	return (found);
}

/* Copy a value into a C string; -1 when it does not fit or holds NUL. */
static int
copy_value(char *dst, size_t dstlen, const u_char *v, size_t vlen)
{
	if (vlen >= dstlen || memchr(v, '\0', vlen) != NULL)
		return (-1);
	memcpy(dst, v, vlen);
	dst[vlen] = '\0';
	return (0);
}

/*
 * A value of struct info_details: at most size bytes of v, up to its
 * first NUL.  dst was zeroed.  Returns the length kept.
 */
static uint8_t
detail_copy(char *dst, size_t size, const u_char *v, size_t vlen)
{
	const u_char	*nul;

	if ((nul = memchr(v, '\0', vlen)) != NULL)
		vlen = nul - v;
	if (vlen > size)
		vlen = size;
	memcpy(dst, v, vlen);
	return ((uint8_t)vlen);
}

/*
 * A count of clients: decimal digits only (leading zeros are fine), at
 * most INFO_COUNT_MAX.  Anything else is 0: no sign, no spaces, no
 * trailing bytes, nothing empty.
 */
static uint16_t
detail_count(const u_char *v, size_t vlen)
{
	uint32_t	 n = 0;
	size_t		 i;

	if (vlen == 0)
		return (0);
	for (i = 0; i < vlen; i++) {
		if (v[i] < '0' || v[i] > '9')
			return (0);
		n = n * 10 + (v[i] - '0');
		if (n > INFO_COUNT_MAX)
			return (0);
	}
	return ((uint16_t)n);
}

/*
 * infoResponse: the infostring starts at the first space, backslash or
 * newline after the command.  Needs hostname, challenge, protocol, clients
 * and sv_maxclients.  Returns -1 when a key is missing or unusable; else
 * 0, with the details too (struct info_details).
 */
int
proto_inforesponse(const u_char *args, size_t len, struct inforesp *ir)
{
	struct info_details	*d;
	const u_char		*info, *v, *host, *cl, *max, *comma;
	size_t			 ilen, vlen, hostlen, cllen, maxlen, i, j;

	memset(ir, 0, sizeof(*ir));
	for (i = 0; i < len; i++)
		if (args[i] == ' ' || args[i] == '\\' || args[i] == '\n')
			break;
	if (i == len)
		return (-1);
	if (args[i] != '\\')
		i++;
	info = args + i;
	ilen = len - i;

	if (!proto_info_value(info, ilen, "hostname", &host, &hostlen))
		return (-1);
	if (!proto_info_value(info, ilen, "challenge", &v, &vlen) ||
	    copy_value(ir->challenge, sizeof(ir->challenge), v, vlen) == -1)
		return (-1);
	if (!proto_info_value(info, ilen, "clients", &cl, &cllen) ||
	    !proto_info_value(info, ilen, "sv_maxclients", &max, &maxlen))
		return (-1);
	ir->empty = cllen == 1 && cl[0] == '0';
	ir->full = cllen == maxlen && memcmp(cl, max, cllen) == 0;

	if (!proto_info_value(info, ilen, "protocol", &v, &vlen))
		return (-1);
	/* "69,70,71": each protocol counts. */
	for (i = 0; i <= vlen && ir->nprotocols < PROTO_MAX; i = j + 1) {
		if ((comma = memchr(v + i, ',', vlen - i)) == NULL)
			j = vlen;
		else
			j = comma - v;
		if (j > i && copy_value(ir->protocols[ir->nprotocols],
		    PROTO_LEN, v + i, j - i) == 0)
			ir->nprotocols++;
	}
	if (ir->nprotocols == 0)
		return (-1);

	/* What plugins show; game, gamename and mapname may be missing. */
	d = &ir->details;
	d->clients = detail_count(cl, cllen);
	d->maxclients = detail_count(max, maxlen);
	d->hostname_len = detail_copy(d->hostname, sizeof(d->hostname), host,
	    hostlen);
	if (proto_info_value(info, ilen, "game", &v, &vlen))
		d->game_len = detail_copy(d->game, sizeof(d->game), v, vlen);
	if (proto_info_value(info, ilen, "gamename", &v, &vlen))
		d->gamename_len = detail_copy(d->gamename,
		    sizeof(d->gamename), v, vlen);
	if (proto_info_value(info, ilen, "mapname", &v, &vlen))
		d->mapname_len = detail_copy(d->mapname, sizeof(d->mapname),
		    v, vlen);
	return (0);
}

/*
 * getmotd followed by an infostring with challenge, and from old clients
 * version and renderer.  A challenge we could not echo safely makes the
 * request invalid (-1); an unusable version or renderer is left out.
 */
int
proto_getmotd(const u_char *args, size_t len, struct motdreq *mr)
{
	const u_char	*v;
	size_t		 vlen, i;

	memset(mr, 0, sizeof(*mr));
	if (proto_info_value(args, len, "challenge", &v, &vlen)) {
		if (copy_value(mr->challenge, sizeof(mr->challenge), v,
		    vlen) == -1)
			return (-1);
		for (i = 0; i < vlen; i++)
			if (!proto_challenge_char_ok(v[i]))
				return (-1);
		mr->has_challenge = 1;
	}
	if (proto_info_value(args, len, "version", &v, &vlen) &&
	    copy_value(mr->version, sizeof(mr->version), v, vlen) == 0)
		mr->has_version = 1;
	if (proto_info_value(args, len, "renderer", &v, &vlen) &&
	    copy_value(mr->renderer, sizeof(mr->renderer), v, vlen) == 0)
		mr->has_renderer = 1;
	return (0);
}

/* gamestat data: what follows the command, leading whitespace removed. */
size_t
proto_gamestat(const u_char *args, size_t len, const u_char **data)
{
	size_t	 i = 0;

	while (i < len && is_space(args[i]))
		i++;
	*data = args + i;
	return (len - i);
}

/* Emscripten's port announcement over WebSocket: HDR "port" + 2 bytes. */
int
proto_is_port_message(const u_char *pkt, size_t len)
{
	return (len == 10 && memcmp(pkt, PKT_HDR, PKT_HDR_LEN) == 0 &&
	    memcmp(pkt + PKT_HDR_LEN, "port", 4) == 0);
}

/*
 * Characters safe in a challenge: printable ASCII without \ ; % " / (which
 * infostrings, tokenizers or old servers mangle).
 */
int
proto_challenge_char_ok(int c)
{
	return (c >= 0x21 && c <= 0x7e && strchr("\\;%\"/", c) == NULL);
}

/*
 * The challenge of CHALLENGE_LEN characters that 16 bytes of a PRF stand
 * for; buf holds one more.  Each half of the bytes gives six digits in
 * base 89, the size of the alphabet: 89^6 divides 2^64 so nearly that
 * every character is uniform (a bias under 2^-25).
 */
void
proto_challenge_encode(const u_char *h, char *buf)
{
	static char	 alphabet[96];
	static size_t	 n;
	uint64_t	 v = 0;
	size_t		 i;
	int		 c;

	if (n == 0)
		for (c = 0x21; c <= 0x7e; c++)
			if (proto_challenge_char_ok(c))
				alphabet[n++] = (char)c;
	for (i = 0; i < CHALLENGE_LEN; i++) {
		if (i % (CHALLENGE_LEN / 2) == 0) {
			memcpy(&v, h + (i == 0 ? 0 : 8), sizeof(v));
			v = le64toh(v);
		}
		buf[i] = alphabet[v % n];
		v /= n;
	}
	buf[CHALLENGE_LEN] = '\0';
}

/* HDR "getinfo " challenge */
size_t
proto_getinfo(u_char *buf, size_t len, const char *challenge)
{
	static const char	 cmd[] = PKT_HDR "getinfo ";
	size_t			 clen = strlen(challenge), n;

	n = sizeof(cmd) - 1 + clen;
	if (n >= len)
		return (0);
	memcpy(buf, cmd, sizeof(cmd) - 1);
	memcpy(buf + sizeof(cmd) - 1, challenge, clen);
	buf[n] = '\0';
	return (n);
}

/*
 * HDR motd "\challenge\<c>\motd\<text>\" -- quoted, so that 1.1 clients,
 * which read one token, see the whole text too; new clients skip to the
 * first backslash and read the infostring.
 */
size_t
proto_motd(u_char *buf, size_t len, const char *challenge, const char *motd)
{
	int	 n;

	if (challenge != NULL)
		n = snprintf((char *)buf, len, "%smotd \"\\challenge\\%s"
		    "\\motd\\%s\\\"", PKT_HDR, challenge, motd);
	else
		n = snprintf((char *)buf, len, "%smotd \"\\motd\\%s\\\"",
		    PKT_HDR, motd);
	if (n < 0 || (size_t)n >= len)
		return (0);
	return (n);
}

/*
 * The start of a list packet: getserversResponse, or getserversExtResponse
 * with \0index\0total\0label.
 */
size_t
proto_list_start(u_char *buf, size_t len, int ext, int idx, int total,
    const char *label)
{
	int	 n;

	if (!ext) {
		n = snprintf((char *)buf, len, "%sgetserversResponse",
		    PKT_HDR);
		if (n < 0 || (size_t)n >= len)
			return (0);
		return (n);
	}
	n = snprintf((char *)buf, len, "%sgetserversExtResponse%c%d%c%d%c%s",
	    PKT_HDR, '\0', idx, '\0', total, '\0', label);
	if (n < 0 || (size_t)n >= len)
		return (0);
	return (n);
}

/* One address: \ + 4 + 2 bytes, or (Ext only) / + 16 + 2 bytes. */
size_t
proto_list_entry(u_char *buf, size_t len, const struct ipc_addr *a, int ext)
{
	size_t	 alen;

	if (a->family == AF_INET)
		alen = 4;
	else if (a->family == AF_INET6 && ext)
		alen = 16;
	else
		return (0);
	if (len < 1 + alen + 2)
		return (0);
	buf[0] = alen == 4 ? '\\' : '/';
	memcpy(buf + 1, a->addr, alen);
	memcpy(buf + 1 + alen, &a->port, 2);
	return (1 + alen + 2);
}

/* Every packet ends with a backslash after the last entry. */
size_t
proto_list_end(u_char *buf, size_t len)
{
	if (len < 1)
		return (0);
	buf[0] = '\\';
	return (1);
}
