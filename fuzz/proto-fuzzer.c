/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * libFuzzer harness for netd/proto.c.  Every input is one datagram: it
 * goes through proto_command() and then, as netd dispatches it, to the
 * parser of its command.  The results are checked against what the
 * parsers promise (offsets inside the input, NUL-terminated copies that
 * fit their buffers, at most PROTO_MAX protocols, proto_info_value() equal
 * to a naive reference, an infoResponse's details within their bounds and
 * equal to the reference's values), and the builders are run on buffers
 * of the exact size the input asks for.  A broken promise aborts.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tremmasterd.h"
#include "proto.h"

#define CHECK(e) do {							\
	if (!(e))							\
		abort();						\
} while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *cmd_names[] = {
	[CMD_GAMESTAT] = "gamestat",
	[CMD_GETMOTD] = "getmotd",
	[CMD_GETSERVERS] = "getservers",
	[CMD_GETSERVERSEXT] = "getserversExt",
	[CMD_HEARTBEAT] = "heartbeat",
	[CMD_INFORESPONSE] = "infoResponse"
};

static const char *info_keys[] = {
	"hostname", "challenge", "protocol", "clients", "sv_maxclients",
	"version", "renderer", "client", "c", "game", "gamename", "mapname",
	""
};

static int	is_space(int);
static void	check_string(const char *, size_t);
static int	ref_info_value(const u_char *, size_t, const char *,
		    const u_char **, size_t *);
static void	check_info(const u_char *, size_t);
static void	check_getservers(const u_char *, size_t, int);
static void	check_detail(const u_char *, size_t, const char *,
		    const char *, size_t, size_t);
static void	check_count(const u_char *, size_t, const char *, uint16_t);
static void	check_inforesponse(const u_char *, size_t);
static void	check_getmotd(const u_char *, size_t);
static void	check_gamestat(const u_char *, size_t);
static void	check_builders(const u_char *, size_t);

static int
is_space(int c)
{
	return (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\v' || c == '\f');
}

/* A C string that ends inside its buffer. */
static void
check_string(const char *s, size_t size)
{
	CHECK(memchr(s, '\0', size) != NULL);
}

/*
 * The Python master's Info(): strip the backslashes at both ends, split
 * on the others, pair the pieces, the last pair wins.
 */
static int
ref_info_value(const u_char *s, size_t len, const char *key,
    const u_char **val, size_t *vlen)
{
	const u_char	*k = NULL;
	size_t		 i = 0, start, klen, kl = 0;
	int		 found = 0, isval = 0;

	klen = strlen(key);
	while (i < len && s[i] == '\\')
		i++;
	while (len > i && s[len - 1] == '\\')
		len--;
	if (i >= len)
		return (0);
	for (;;) {
		start = i;
		while (i < len && s[i] != '\\')
			i++;
		if (!isval) {
			k = s + start;
			kl = i - start;
		} else if (kl == klen && memcmp(k, key, klen) == 0) {
			*val = s + start;
			*vlen = i - start;
			found = 1;
		}
		isval = !isval;
		if (i >= len)
			break;
		i++;
	}
	return (found);
}

/* proto_info_value() against the reference, for a few keys. */
static void
check_info(const u_char *info, size_t len)
{
	const u_char	*v, *rv;
	size_t		 i, vlen, rvlen;
	int		 found;

	for (i = 0; i < nitems(info_keys); i++) {
		v = rv = NULL;
		vlen = rvlen = 0;
		found = proto_info_value(info, len, info_keys[i], &v, &vlen);
		CHECK(found == 0 || found == 1);
		CHECK(found == ref_info_value(info, len, info_keys[i], &rv,
		    &rvlen));
		if (!found)
			continue;
		CHECK(v == rv && vlen == rvlen);
		CHECK(v > info && v <= info + len);
		CHECK(vlen <= (size_t)(info + len - v));
		CHECK(v[-1] == '\\');
		CHECK(memchr(v, '\\', vlen) == NULL);
	}
}

static void
check_getservers(const u_char *args, size_t len, int ext)
{
	struct gs_query	 q;
	size_t		 n, i;
	int		 r;

	r = proto_getservers(args, len, ext, &q);
	CHECK(r == 0 || r == -1);
	if (r == -1)
		return;
	CHECK(q.ext == ext);
	CHECK(q.empty == 0 || q.empty == 1);
	CHECK(q.full == 0 || q.full == 1);
	CHECK(q.family == AF_INET || q.family == AF_INET6 ||
	    q.family == AF_UNSPEC);
	if (!ext)
		CHECK(q.family == AF_INET);
	check_string(q.protocol, sizeof(q.protocol));
	/* An overlong protocol is kept empty: it matches nothing. */
	n = strlen(q.protocol);
	CHECK(n < PROTO_LEN);
	for (i = 0; i < n; i++)
		CHECK(!is_space((u_char)q.protocol[i]));
	if (n > 0)
		CHECK(memmem(args, len, q.protocol, n) != NULL);
	if (ext)
		CHECK(memmem(args, len, "Tremulous", 9) != NULL);
}

/*
 * A value of struct info_details, len bytes in a buffer of size: the
 * reference's value of key in the infostring, up to a NUL and size bytes,
 * empty when the key is missing; zero bytes after it.
 */
static void
check_detail(const u_char *info, size_t ilen, const char *key,
    const char *got, size_t len, size_t size)
{
	const u_char	*v, *nul;
	size_t		 vlen = 0, i;

	CHECK(len <= size);
	CHECK(memchr(got, '\0', len) == NULL);
	CHECK(memchr(got, '\\', len) == NULL);
	for (i = len; i < size; i++)
		CHECK(got[i] == '\0');
	if (ref_info_value(info, ilen, key, &v, &vlen)) {
		if ((nul = memchr(v, '\0', vlen)) != NULL)
			vlen = nul - v;
		if (vlen > size)
			vlen = size;
		CHECK(memcmp(got, v, vlen) == 0);
	}
	CHECK(len == vlen);
}

/*
 * A count of clients: what strtoul(3) makes of the reference's value when
 * it is decimal digits only and at most INFO_COUNT_MAX, else 0.
 */
static void
check_count(const u_char *info, size_t ilen, const char *key, uint16_t got)
{
	const u_char	*v;
	unsigned long	 n;
	size_t		 vlen, i;
	char		*s, *end;
	uint16_t	 want = 0;

	CHECK(got <= INFO_COUNT_MAX);
	CHECK(ref_info_value(info, ilen, key, &v, &vlen));
	for (i = 0; i < vlen; i++)
		if (v[i] < '0' || v[i] > '9')
			break;
	if (vlen > 0 && i == vlen) {
		if ((s = malloc(vlen + 1)) == NULL)
			abort();
		memcpy(s, v, vlen);
		s[vlen] = '\0';
		errno = 0;
		n = strtoul(s, &end, 10);
		CHECK(*end == '\0');
		if (errno == 0 && n <= INFO_COUNT_MAX)
			want = (uint16_t)n;
		free(s);
	}
	CHECK(got == want);
}

static void
check_inforesponse(const u_char *args, size_t len)
{
	const struct info_details	*d;
	struct inforesp			 ir;
	u_char				 buf[PKT_OUT_MAX];
	const u_char			*info;
	size_t				 n, ilen;
	int				 i, r;

	r = proto_inforesponse(args, len, &ir);
	CHECK(r == 0 || r == -1);
	check_info(args, len);
	if (len > 0)
		check_info(args + 1, len - 1);
	if (r == -1)
		return;
	check_string(ir.challenge, sizeof(ir.challenge));
	n = strlen(ir.challenge);
	CHECK(n <= CHALLENGE_MAX);
	if (n > 0)
		CHECK(memmem(args, len, ir.challenge, n) != NULL);
	CHECK(ir.nprotocols >= 1 && ir.nprotocols <= PROTO_MAX);
	for (i = 0; i < PROTO_MAX; i++) {
		check_string(ir.protocols[i], PROTO_LEN);
		n = strlen(ir.protocols[i]);
		CHECK((i < ir.nprotocols) == (n > 0));
		CHECK(strchr(ir.protocols[i], ',') == NULL);
		CHECK(strchr(ir.protocols[i], '\\') == NULL);
	}
	CHECK(ir.empty == 0 || ir.empty == 1);
	CHECK(ir.full == 0 || ir.full == 1);

	/*
	 * The details, against the reference on the infostring: it starts
	 * at the first space, backslash or newline, which a backslash is
	 * part of.
	 */
	for (n = 0; n < len; n++)
		if (args[n] == ' ' || args[n] == '\\' || args[n] == '\n')
			break;
	CHECK(n < len);
	info = args + n + (args[n] == '\\' ? 0 : 1);
	ilen = len - (size_t)(info - args);
	d = &ir.details;
	check_detail(info, ilen, "game", d->game, d->game_len,
	    sizeof(d->game));
	check_detail(info, ilen, "gamename", d->gamename, d->gamename_len,
	    sizeof(d->gamename));
	check_detail(info, ilen, "mapname", d->mapname, d->mapname_len,
	    sizeof(d->mapname));
	check_detail(info, ilen, "hostname", d->hostname, d->hostname_len,
	    sizeof(d->hostname));
	CHECK(sizeof(d->game) == INFO_GAME_MAX &&
	    sizeof(d->gamename) == INFO_GAMENAME_MAX &&
	    sizeof(d->mapname) == INFO_MAPNAME_MAX &&
	    sizeof(d->hostname) == INFO_HOSTNAME_MAX);
	check_count(info, ilen, "clients", d->clients);
	check_count(info, ilen, "sv_maxclients", d->maxclients);

	/* The getinfo that would have carried this challenge. */
	n = proto_getinfo(buf, sizeof(buf), ir.challenge);
	CHECK(n == PKT_HDR_LEN + 8 + strlen(ir.challenge));
	CHECK(memcmp(buf, PKT_HDR "getinfo ", PKT_HDR_LEN + 8) == 0);
}

static void
check_getmotd(const u_char *args, size_t len)
{
	struct motdreq	 mr;
	u_char		 buf[PKT_OUT_MAX];
	size_t		 n, i;
	int		 r;

	r = proto_getmotd(args, len, &mr);
	CHECK(r == 0 || r == -1);
	check_info(args, len);
	if (r == -1)
		return;
	check_string(mr.challenge, sizeof(mr.challenge));
	check_string(mr.version, sizeof(mr.version));
	check_string(mr.renderer, sizeof(mr.renderer));
	CHECK(mr.has_challenge == 0 || mr.has_challenge == 1);
	CHECK(mr.has_version == 0 || mr.has_version == 1);
	CHECK(mr.has_renderer == 0 || mr.has_renderer == 1);
	if (!mr.has_challenge)
		CHECK(mr.challenge[0] == '\0');
	if (!mr.has_version)
		CHECK(mr.version[0] == '\0');
	if (!mr.has_renderer)
		CHECK(mr.renderer[0] == '\0');
	n = strlen(mr.challenge);
	CHECK(n <= CHALLENGE_MAX);
	for (i = 0; i < n; i++)
		CHECK(proto_challenge_char_ok((u_char)mr.challenge[i]));

	/* The reply: header, quotes and the echoed challenge. */
	n = proto_motd(buf, sizeof(buf), mr.has_challenge ? mr.challenge :
	    NULL, "Welcome");
	if (mr.has_challenge)
		CHECK(n == PKT_HDR_LEN + strlen("motd \"\\challenge\\") +
		    strlen(mr.challenge) + strlen("\\motd\\Welcome\\\""));
	else
		CHECK(n == PKT_HDR_LEN + strlen("motd \"\\motd\\Welcome\\\""));
	CHECK(memcmp(buf, PKT_HDR "motd \"\\", PKT_HDR_LEN + 7) == 0);
	CHECK(buf[n - 1] == '"');
}

static void
check_gamestat(const u_char *args, size_t len)
{
	const u_char	*data = NULL;
	size_t		 n;

	n = proto_gamestat(args, len, &data);
	CHECK(data >= args && data <= args + len);
	CHECK(data + n == args + len);
	CHECK(n == 0 || !is_space(data[0]));
}

/*
 * The list builders, each on a heap buffer of exactly the size the input
 * picks, so that a write past it is caught.  Bytes 0-3 choose sizes and
 * flags, the rest is an address and a label.
 */
static void
check_builders(const u_char *data, size_t size)
{
	struct ipc_addr	 a;
	u_char		*buf;
	char		 label[MAX_LABEL];
	size_t		 blen, n, llen;
	int		 ext;

	if (size < 4 + 2 + 16)
		return;
	ext = data[0] & 1;
	blen = data[1] % 64;
	memset(&a, 0, sizeof(a));
	a.family = (data[0] >> 1) % 3 == 0 ? AF_INET :
	    (data[0] >> 1) % 3 == 1 ? AF_INET6 : data[2];
	memcpy(&a.port, data + 4, 2);
	memcpy(a.addr, data + 6, 16);
	llen = size - 22 < sizeof(label) - 1 ? size - 22 : sizeof(label) - 1;
	memcpy(label, data + 22, llen);
	label[llen] = '\0';

	if ((buf = malloc(blen == 0 ? 1 : blen)) == NULL)
		abort();
	n = proto_list_entry(buf, blen, &a, ext);
	if (a.family == AF_INET && blen >= 7)
		CHECK(n == 7 && buf[0] == '\\' &&
		    memcmp(buf + 1, a.addr, 4) == 0);
	else if (a.family == AF_INET6 && ext && blen >= 19)
		CHECK(n == 19 && buf[0] == '/' &&
		    memcmp(buf + 1, a.addr, 16) == 0);
	else
		CHECK(n == 0);
	n = proto_list_start(buf, blen, ext, data[3], data[2], label);
	CHECK(n < blen || n == 0);
	if (n > 0)
		CHECK(memcmp(buf, PKT_HDR "getservers", PKT_HDR_LEN + 10) ==
		    0);
	n = proto_list_end(buf, blen);
	CHECK(n == (blen > 0 ? 1 : 0));
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const u_char	*args;
	enum pkt_cmd	 cmd;
	size_t		 off, len, n;
	int		 r;

	cmd = proto_command(data, size, &off);
	CHECK(off <= size);
	if (cmd == CMD_UNKNOWN) {
		CHECK(off == 0);
		/* Not a command: still an infostring and a port message. */
		check_info(data, size);
	} else {
		CHECK((size_t)cmd < nitems(cmd_names));
		n = strlen(cmd_names[cmd]);
		CHECK(off == PKT_HDR_LEN + n);
		CHECK(memcmp(data, PKT_HDR, PKT_HDR_LEN) == 0);
		CHECK(memcmp(data + PKT_HDR_LEN, cmd_names[cmd], n) == 0);
		/* getservers never hides a getserversExt. */
		if (cmd == CMD_GETSERVERS)
			CHECK(size < off + 3 ||
			    memcmp(data + off, "Ext", 3) != 0);
	}
	args = data + off;
	len = size - off;

	switch (cmd) {
	case CMD_GAMESTAT:
		check_gamestat(args, len);
		break;
	case CMD_GETMOTD:
		check_getmotd(args, len);
		break;
	case CMD_GETSERVERS:
		check_getservers(args, len, 0);
		break;
	case CMD_GETSERVERSEXT:
		check_getservers(args, len, 1);
		break;
	case CMD_HEARTBEAT:
		r = proto_heartbeat_dead(data, size);
		CHECK(r == (memmem(data, size, "dead", 4) != NULL));
		break;
	case CMD_INFORESPONSE:
		check_inforesponse(args, len);
		break;
	case CMD_UNKNOWN:
		break;
	}

	r = proto_is_port_message(data, size);
	CHECK(r == (size == 10 && memcmp(data, PKT_HDR "port", 8) == 0));
	check_builders(data, size);
	return (0);
}
