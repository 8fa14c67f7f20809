/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The plugin protocol's lines (man/tremmasterd-plugins.7), parsed and
 * escaped: pure functions, no I/O and no globals, so that the tests and
 * the fuzzer call them as netd/plugin.c does.  A line that is not exactly
 * one of the protocol's is refused whole.
 */

#include "compat.h"

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tremmasterd.h"
#include "proto.h"

#define TOKEN_CHARS	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
			"0123456789._-"

static const char *const	 plp_levels[] = {
	"always", "error", "print", "verbose", "debug"
};
static const char *const	 plp_kinds[PLP_KINDS] = {
	[PLP_HEARTBEAT] = "heartbeat",
	[PLP_GETSERVERS] = "getservers"
};
static const char *const	 plp_verdicts[] = {
	[PLV_PROCEED] = "proceed",
	[PLV_DROP] = "drop",
	[PLV_REWRITE] = "rewrite",
	[PLV_ANSWER] = "answer"
};

/*
 * The requests: name, fields after the name (least, most), whether the
 * last field is escaped data, whether only admin plugins may send it.
 */
static const struct {
	const char	*name;
	int		 min, max;
	int		 data;
	int		 admin;
} plp_requests[] = {
	[PLC_ADD_SERVER] =	{ "add-server",		1, 2, 0, 0 },
	[PLC_COUNTERS] =	{ "counters",		0, 0, 0, 0 },
	[PLC_SNAPSHOT] =	{ "snapshot",		0, 0, 0, 0 },
	[PLC_FLATLINE] =	{ "flatline",		1, 1, 0, 0 },
	[PLC_PROCESSES] =	{ "processes",		0, 0, 0, 0 },
	[PLC_IGNORE_ADD] =	{ "ignore-add",		1, 1, 0, 1 },
	[PLC_IGNORE_REMOVE] =	{ "ignore-remove",	1, 1, 0, 1 },
	[PLC_FEATURED_SET] =	{ "featured-set",	2, 2, 0, 1 },
	[PLC_MOTD_SET] =	{ "motd-set",		1, 1, 1, 1 },
	[PLC_RELOAD] =		{ "reload",		0, 0, 0, 1 },
	[PLC_SHUTDOWN] =	{ "shutdown",		0, 0, 0, 1 }
};

static int	 plp_split(char *, char **, int);
static int	 plp_lookup(const char *, const char *const *, size_t);
static int	 plp_register(struct plp_line *, char **, int);
static int	 plp_result(struct plp_line *, char **, int);
static int	 plp_request(struct plp_line *, char **, int);

/* Split s at '|' into at most max fields; -1 when there are more. */
static int
plp_split(char *s, char **f, int max)
{
	int	 n = 0;

	for (;;) {
		if (n == max)
			return (-1);
		f[n++] = s;
		if ((s = strchr(s, '|')) == NULL)
			return (n);
		*s++ = '\0';
	}
}

static int
plp_lookup(const char *s, const char *const *names, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(s, names[i]) == 0)
			return ((int)i);
	return (-1);
}

const char *
plp_level_name(int level)
{
	if (level < 0 || (size_t)level >= nitems(plp_levels))
		return ("?");
	return (plp_levels[level]);
}

const char *
plp_kind_name(int kind)
{
	if (kind < 0 || kind >= PLP_KINDS)
		return ("?");
	return (plp_kinds[kind]);
}

const char *
plp_request_name(int cmd)
{
	if (cmd < 0 || (size_t)cmd >= nitems(plp_requests))
		return ("?");
	return (plp_requests[cmd].name);
}

int
plp_request_admin(int cmd)
{
	return (cmd >= 0 && (size_t)cmd < nitems(plp_requests) &&
	    plp_requests[cmd].admin);
}

/*
 * A request token, or a label: 1 to max - 1 bytes of letters, digits,
 * '.', '_' and '-'.
 */
int
plp_word_ok(const char *s, size_t max)
{
	size_t	 n;

	n = strspn(s, TOKEN_CHARS);
	return (n > 0 && n < max && s[n] == '\0');
}

/*
 * Bytes of the network in a field: printable ASCII but '|' and '\' as
 * they are, any other byte as '\' and three octal digits.  out holds at
 * least 4 * len + 1 bytes; the length written is returned.
 */
size_t
plp_escape(char *out, const void *in, size_t len)
{
	const u_char	*s = in;
	size_t		 i, n = 0;

	for (i = 0; i < len; i++) {
		if (s[i] >= 0x20 && s[i] <= 0x7e && s[i] != '|' &&
		    s[i] != '\\')
			out[n++] = (char)s[i];
		else {
			out[n++] = '\\';
			out[n++] = (char)('0' + (s[i] >> 6));
			out[n++] = (char)('0' + ((s[i] >> 3) & 7));
			out[n++] = (char)('0' + (s[i] & 7));
		}
	}
	out[n] = '\0';
	return (n);
}

/*
 * The reverse, into out (outsz bytes, *len set): -1 on a byte that must
 * have been escaped, a bad escape, or no room.
 */
int
plp_unescape(const char *s, u_char *out, size_t outsz, size_t *len)
{
	size_t	 n = 0;
	int	 v, i;

	for (; *s != '\0'; s++) {
		if (n == outsz)
			return (-1);
		if ((u_char)*s < 0x20 || (u_char)*s > 0x7e || *s == '|')
			return (-1);
		if (*s != '\\') {
			out[n++] = (u_char)*s;
			continue;
		}
		for (v = 0, i = 1; i <= 3; i++) {
			if (s[i] < '0' || s[i] > '7')
				return (-1);
			v = v * 8 + (s[i] - '0');
		}
		if (v > 0xff)
			return (-1);
		out[n++] = (u_char)v;
		s += 3;
	}
	*len = n;
	return (0);
}

/*
 * register|report|server, register|report|files, register|report|log|LEVEL,
 * register|filter|KIND
 */
static int
plp_register(struct plp_line *l, char **f, int n)
{
	if (n == 2 && strcmp(f[1], "ready") == 0) {
		l->what = PLR_READY;
		return (0);
	}
	if (n == 3 && strcmp(f[1], "report") == 0 &&
	    strcmp(f[2], "server") == 0) {
		l->what = PLR_SERVER;
		return (0);
	}
	if (n == 3 && strcmp(f[1], "report") == 0 &&
	    strcmp(f[2], "files") == 0) {
		l->what = PLR_FILES;
		return (0);
	}
	if (n == 4 && strcmp(f[1], "report") == 0 &&
	    strcmp(f[2], "log") == 0 && (l->level = plp_lookup(f[3],
	    plp_levels, nitems(plp_levels))) != -1) {
		l->what = PLR_LOG;
		return (0);
	}
	if (n == 3 && strcmp(f[1], "filter") == 0 &&
	    (l->kind = plp_lookup(f[2], plp_kinds, PLP_KINDS)) != -1) {
		l->what = PLR_FILTER;
		return (0);
	}
	return (-1);
}

/* filter-result|TOKEN|proceed|drop, filter-result|TOKEN|rewrite|answer|DATA */
static int
plp_result(struct plp_line *l, char **f, int n)
{
	char	*end;

	if (n < 3 || strlen(f[1]) != 16 ||
	    strspn(f[1], "0123456789abcdef") != 16)
		return (-1);
	l->result = strtoull(f[1], &end, 16);
	if ((l->what = plp_lookup(f[2], plp_verdicts,
	    nitems(plp_verdicts))) == -1)
		return (-1);
	if (l->what == PLV_PROCEED || l->what == PLV_DROP)
		return (n == 3 ? 0 : -1);
	if (n != 4)
		return (-1);
	return (plp_unescape(f[3], l->data, sizeof(l->data), &l->len));
}

/* request|TOKEN|COMMAND[|ARG...] */
static int
plp_request(struct plp_line *l, char **f, int n)
{
	int	 c, i;

	if (n < 3 || !plp_word_ok(f[1], PLP_TOKEN_MAX + 1))
		return (-1);
	l->token = f[1];
	for (c = 0; (size_t)c < nitems(plp_requests); c++)
		if (strcmp(f[2], plp_requests[c].name) == 0)
			break;
	if ((size_t)c == nitems(plp_requests) || n - 3 <
	    plp_requests[c].min || n - 3 > plp_requests[c].max)
		return (-1);
	l->what = c;
	l->narg = n - 3;
	for (i = 0; i < l->narg; i++)
		l->arg[i] = f[3 + i];
	if (plp_requests[c].data && plp_unescape(l->arg[l->narg - 1],
	    l->data, sizeof(l->data), &l->len) == -1)
		return (-1);
	return (0);
}

/*
 * One line from a plugin, without its newline, split in place: l's
 * strings point into it.  -1 when it is not a line of the protocol, or
 * holds a byte that is not printable ASCII.
 */
int
plp_parse(char *line, struct plp_line *l)
{
	char		*f[PLP_FIELDS_MAX];
	const char	*s;
	int		 n;

	memset(l, 0, sizeof(*l));
	for (s = line; *s != '\0'; s++)
		if ((u_char)*s < 0x20 || (u_char)*s > 0x7e)
			return (-1);
	if ((n = plp_split(line, f, PLP_FIELDS_MAX)) == -1)
		return (-1);
	if (strcmp(f[0], "register") == 0) {
		l->type = PLP_REGISTER;
		return (plp_register(l, f, n));
	}
	if (strcmp(f[0], "filter-result") == 0) {
		l->type = PLP_RESULT;
		return (plp_result(l, f, n));
	}
	if (strcmp(f[0], "request") == 0) {
		l->type = PLP_REQUEST;
		return (plp_request(l, f, n));
	}
	return (-1);
}
