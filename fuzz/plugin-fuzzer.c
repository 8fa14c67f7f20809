/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * libFuzzer harness for netd/plugin_proto.c.  The input is one line from
 * a plugin, as netd/plugin.c hands it over: cut at the first NUL or
 * newline and at PLUGIN_LINE_MAX - 1 bytes, in a heap buffer of exactly
 * its size.  plp_parse() must not crash, and what it accepts must keep
 * its promises: every field in range, the data no longer than its buffer,
 * token and arguments NUL-terminated strings inside the line, and the
 * line rebuilt from the parse equal to the line.  The escaping is checked
 * both ways: the raw input escaped and unescaped again is the input, and
 * any unescape that succeeds agrees with a naive reference and escapes to
 * a canonical form that unescapes to the same bytes.  A broken promise
 * aborts.
 */

#include "compat.h"

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tremmasterd.h"
#include "proto.h"

#define CHECK(e) do {							\
	if (!(e))							\
		abort();						\
} while (0)

/* As in netd/plugin.c: the longest line, its newline included. */
#define PLUGIN_LINE_MAX	16384

#define TOKEN_CHARS	"abcdefghijklmnopqrstuvwxyz" \
			"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const	 verdicts[] = {
	[PLV_PROCEED] = "proceed",
	[PLV_DROP] = "drop",
	[PLV_REWRITE] = "rewrite",
	[PLV_ANSWER] = "answer"
};

static void	 check_string(const char *, const char *, size_t);
static int	 ref_word_ok(const char *, size_t);
static int	 ref_unescape(const char *, u_char *, size_t, size_t *);
static void	 check_data(const char *, const struct plp_line *);
static void	 check_register(const char *, const struct plp_line *);
static void	 check_result(const char *, const struct plp_line *);
static void	 check_request(const char *, const char *, size_t,
		    const struct plp_line *);
static void	 check_parse(const char *, size_t);
static void	 check_escape(const uint8_t *, size_t);
static int	 is_canonical(const char *);
static void	 check_unescape(const char *, size_t);
static void	 check_words(const char *);

/* p is a C string that starts and ends inside buf, size bytes. */
static void
check_string(const char *p, const char *buf, size_t size)
{
	CHECK(p != NULL);
	CHECK(p >= buf && p < buf + size);
	CHECK(memchr(p, '\0', (size_t)(buf + size - p)) != NULL);
}

/* plp_word_ok(), written the obvious way. */
static int
ref_word_ok(const char *s, size_t max)
{
	size_t	 n;

	for (n = 0; s[n] != '\0'; n++)
		if (strchr(TOKEN_CHARS, s[n]) == NULL)
			return (0);
	return (n > 0 && n < max);
}

/*
 * plp_unescape(), written the obvious way: a byte of 0x20..0x7e but '|'
 * and '\' stands for itself, '\' and three octal digits up to 377 for
 * their value, nothing else is allowed, and there must be room.
 */
static int
ref_unescape(const char *s, u_char *out, size_t outsz, size_t *len)
{
	size_t	 i, n = 0;
	int	 v;

	for (i = 0; s[i] != '\0'; i++) {
		if ((u_char)s[i] < 0x20 || (u_char)s[i] > 0x7e ||
		    s[i] == '|')
			return (-1);
		if (s[i] == '\\') {
			if (s[i + 1] < '0' || s[i + 1] > '3' ||
			    s[i + 2] < '0' || s[i + 2] > '7' ||
			    s[i + 3] < '0' || s[i + 3] > '7')
				return (-1);
			v = (s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 +
			    (s[i + 3] - '0');
			i += 3;
		} else
			v = (u_char)s[i];
		if (n == outsz)
			return (-1);
		out[n++] = (u_char)v;
	}
	*len = n;
	return (0);
}

/* A data field of the original line, and the bytes parsed from it. */
static void
check_data(const char *field, const struct plp_line *l)
{
	u_char	*buf;
	size_t	 len;

	CHECK(l->len <= sizeof(l->data));
	if ((buf = malloc(sizeof(l->data))) == NULL)
		abort();
	CHECK(ref_unescape(field, buf, sizeof(l->data), &len) == 0);
	CHECK(len == l->len);
	CHECK(memcmp(buf, l->data, len) == 0);
	free(buf);
}

/* register|...: the line is the one the fields name. */
static void
check_register(const char *orig, const struct plp_line *l)
{
	char	 s[64];

	CHECK(l->token == NULL && l->narg == 0 && l->len == 0);
	switch (l->what) {
	case PLR_SERVER:
		CHECK(strcmp(orig, "register|report|server") == 0);
		break;
	case PLR_FILES:
		CHECK(strcmp(orig, "register|report|files") == 0);
		break;
	case PLR_LOG:
		CHECK(l->level >= LOGLEVEL_ALWAYS &&
		    l->level <= LOGLEVEL_DEBUG);
		(void)snprintf(s, sizeof(s), "register|report|log|%s",
		    plp_level_name(l->level));
		CHECK(strcmp(orig, s) == 0);
		break;
	case PLR_FILTER:
		CHECK(l->kind >= 0 && l->kind < PLP_KINDS);
		(void)snprintf(s, sizeof(s), "register|filter|%s",
		    plp_kind_name(l->kind));
		CHECK(strcmp(orig, s) == 0);
		break;
	case PLR_READY:
		CHECK(strcmp(orig, "register|ready") == 0);
		break;
	default:
		abort();
	}
}

/* filter-result|TOKEN|VERDICT[|DATA]: the token and verdict rebuilt. */
static void
check_result(const char *orig, const struct plp_line *l)
{
	char	 s[64];
	size_t	 n;

	CHECK(l->token == NULL && l->narg == 0);
	CHECK(l->what >= PLV_PROCEED && l->what <= PLV_ANSWER);
	n = (size_t)snprintf(s, sizeof(s), "filter-result|%016llx|%s",
	    (unsigned long long)l->result, verdicts[l->what]);
	CHECK(strncmp(orig, s, n) == 0);
	if (l->what == PLV_PROCEED || l->what == PLV_DROP) {
		CHECK(orig[n] == '\0');
		CHECK(l->len == 0);
		return;
	}
	CHECK(orig[n] == '|');
	check_data(orig + n + 1, l);
}

/*
 * request|TOKEN|COMMAND[|ARG...]: token and arguments are strings in the
 * parsed buffer, and joined again they are the line.
 */
static void
check_request(const char *orig, const char *buf, size_t size,
    const struct plp_line *l)
{
	size_t	 n;
	int	 i;

	CHECK(l->what >= PLC_ADD_SERVER && l->what <= PLC_SHUTDOWN);
	CHECK(l->narg >= 0 && (size_t)l->narg <= nitems(l->arg));
	check_string(l->token, buf, size);
	CHECK(ref_word_ok(l->token, PLP_TOKEN_MAX + 1));
	CHECK(strncmp(orig, "request|", 8) == 0);
	n = 8;
	CHECK(strncmp(orig + n, l->token, strlen(l->token)) == 0);
	n += strlen(l->token);
	CHECK(orig[n++] == '|');
	CHECK(strncmp(orig + n, plp_request_name(l->what),
	    strlen(plp_request_name(l->what))) == 0);
	n += strlen(plp_request_name(l->what));
	for (i = 0; i < l->narg; i++) {
		check_string(l->arg[i], buf, size);
		CHECK(strchr(l->arg[i], '|') == NULL);
		CHECK(orig[n++] == '|');
		CHECK(strncmp(orig + n, l->arg[i], strlen(l->arg[i])) == 0);
		n += strlen(l->arg[i]);
	}
	CHECK(orig[n] == '\0');
	switch (l->what) {
	case PLC_ADD_SERVER:
		CHECK(l->narg == 1 || l->narg == 2);
		break;
	case PLC_FLATLINE:
	case PLC_IGNORE_ADD:
	case PLC_IGNORE_REMOVE:
		CHECK(l->narg == 1);
		break;
	case PLC_FEATURED_SET:
		CHECK(l->narg == 2);
		break;
	case PLC_MOTD_SET:
		CHECK(l->narg == 1);
		check_data(l->arg[0], l);
		return;
	default:
		CHECK(l->narg == 0);
		break;
	}
	CHECK(l->len == 0);
}

/* plp_parse() on the line, in a buffer of exactly its size. */
static void
check_parse(const char *orig, size_t len)
{
	struct plp_line	*l;
	char		*buf;
	size_t		 i;
	int		 r;

	if ((buf = malloc(len + 1)) == NULL ||
	    (l = malloc(sizeof(*l))) == NULL)
		abort();
	memcpy(buf, orig, len + 1);
	memset(l, 0xa5, sizeof(*l));
	r = plp_parse(buf, l);
	CHECK(r == 0 || r == -1);
	if (r == 0) {
		for (i = 0; i < len; i++)
			CHECK((u_char)orig[i] >= 0x20 &&
			    (u_char)orig[i] <= 0x7e);
		switch (l->type) {
		case PLP_REGISTER:
			check_register(orig, l);
			break;
		case PLP_RESULT:
			check_result(orig, l);
			break;
		case PLP_REQUEST:
			check_request(orig, buf, len + 1, l);
			break;
		default:
			abort();
		}
	}
	free(l);
	free(buf);
}

/* The raw bytes escaped are printable without '|', and come back whole. */
static void
check_escape(const uint8_t *data, size_t size)
{
	u_char	*back;
	char	*esc;
	size_t	 i, n, len;

	if ((esc = malloc(4 * size + 1)) == NULL ||
	    (back = malloc(size + 1)) == NULL)
		abort();
	n = plp_escape(esc, data, size);
	CHECK(n >= size && n <= 4 * size);
	CHECK(esc[n] == '\0' && strlen(esc) == n);
	for (i = 0; i < n; i++)
		CHECK(esc[i] >= 0x20 && esc[i] <= 0x7e && esc[i] != '|');
	CHECK(plp_unescape(esc, back, size, &len) == 0);
	CHECK(len == size);
	CHECK(memcmp(back, data, size) == 0);
	/* One byte short of room is an error, not a cut. */
	if (size > 0)
		CHECK(plp_unescape(esc, back, size - 1, &len) == -1);
	free(back);
	free(esc);
}

/*
 * Does s, which unescapes, escape exactly the bytes plp_escape() does:
 * none of 0x20..0x7e but '|' and '\'?
 */
static int
is_canonical(const char *s)
{
	int	 v;

	for (; *s != '\0'; s++) {
		if (*s != '\\')
			continue;
		v = (s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0');
		if (v >= 0x20 && v <= 0x7e && v != '|' && v != '\\')
			return (0);
		s += 3;
	}
	return (1);
}

/*
 * The line as a field to unescape: as the reference does, and when it
 * succeeds its canonical escape unescapes to the same bytes and escapes
 * to itself again.
 */
static void
check_unescape(const char *s, size_t slen)
{
	u_char	*out, *ref, *again;
	char	*canon, *canon2;
	size_t	 len, rlen, alen, n;
	int	 r;

	if ((out = malloc(slen + 1)) == NULL ||
	    (ref = malloc(slen + 1)) == NULL ||
	    (again = malloc(slen + 1)) == NULL ||
	    (canon = malloc(4 * slen + 1)) == NULL ||
	    (canon2 = malloc(4 * slen + 1)) == NULL)
		abort();
	/* Never more bytes than characters: slen is room enough. */
	r = plp_unescape(s, out, slen, &len);
	CHECK(r == 0 || r == -1);
	CHECK(r == ref_unescape(s, ref, slen, &rlen));
	if (r == 0) {
		CHECK(len == rlen && len <= slen);
		CHECK(memcmp(out, ref, len) == 0);
		n = plp_escape(canon, out, len);
		CHECK(plp_unescape(canon, again, slen, &alen) == 0);
		CHECK(alen == len && memcmp(again, out, len) == 0);
		CHECK(plp_escape(canon2, again, alen) == n);
		CHECK(strcmp(canon, canon2) == 0);
		/* s is its canonical form when it escapes no plain byte. */
		CHECK((strcmp(canon, s) == 0) == is_canonical(s));
		/* No room for the last byte. */
		if (len > 0)
			CHECK(plp_unescape(s, out, len - 1, &alen) == -1);
	}
	free(canon2);
	free(canon);
	free(again);
	free(ref);
	free(out);
}

/* plp_word_ok() against the reference, around the limits it is used at. */
static void
check_words(const char *s)
{
	static const size_t	 max[] = {
		0, 1, 2, MAX_LABEL, PLP_TOKEN_MAX + 1, SIZE_MAX
	};
	size_t			 i;

	for (i = 0; i < nitems(max); i++)
		CHECK(plp_word_ok(s, max[i]) == ref_word_ok(s, max[i]));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*line;
	size_t	 len;
	int	 v;

	/* As netd reads it: up to the newline, within the line limit. */
	for (len = 0; len < size && len < PLUGIN_LINE_MAX - 1; len++)
		if (data[len] == '\0' || data[len] == '\n')
			break;
	if ((line = malloc(len + 1)) == NULL)
		abort();
	memcpy(line, data, len);
	line[len] = '\0';

	check_parse(line, len);
	check_escape(data, size < PLUGIN_LINE_MAX ? size : PLUGIN_LINE_MAX);
	check_unescape(line, len);
	check_words(line);

	/* The names, for any number. */
	v = size > 0 ? (int)(int8_t)data[0] : 0;
	CHECK(plp_level_name(v) != NULL);
	CHECK(plp_kind_name(v) != NULL);
	CHECK(plp_request_name(v) != NULL);
	CHECK(plp_request_admin(v) == 0 || plp_request_admin(v) == 1);
	free(line);
	return (0);
}
