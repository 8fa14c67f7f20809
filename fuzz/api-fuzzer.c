/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * libFuzzer harness for the bodies of the REST API (api/render.c), from
 * the fields game servers send: the input is cut at NUL bytes into the
 * hostname, map, game, gamename, label and protocols of up to four
 * servers, with counts of players from their first bytes, as netd's
 * reports would give them (cut at the sizes the API keeps, labels and
 * protocols made UTF-8 without control bytes as api/api.c makes them).
 *
 * The JSON list must parse back (jansson) into as many servers, each
 * hostname and map equal to its bytes read as Latin-1; a filter on the
 * first server's protocol and label must keep it.  The status page and
 * the feed must hold no more '<' than with plain fields, no control byte
 * but newline and tab, and valid UTF-8 (which the JSON check also says of
 * render_utf8()).  A broken promise aborts.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tremmasterd.h"
#include "api.h"
#include "util.h"

#define CHECK(e) do {							\
	if (!(e))							\
		abort();						\
} while (0)

#define SERVERS		4
#define FIELDS		6

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct api_state	 st;

/* The next field of the input, up to a NUL or its end. */
static const uint8_t *
next_field(const uint8_t **p, const uint8_t *end, size_t *len)
{
	const uint8_t	*f = *p, *nul;

	if (f >= end) {
		*len = 0;
		return (f);
	}
	nul = memchr(f, '\0', (size_t)(end - f));
	*len = (size_t)((nul != NULL ? nul : end) - f);
	*p = nul != NULL ? nul + 1 : end;
	return (f);
}

static void
put(u_char *dst, size_t *dlen, size_t max, const uint8_t *f, size_t len)
{
	*dlen = len < max ? len : max;
	memcpy(dst, f, *dlen);
}

/* A label or protocols, as api/api.c takes them from a report. */
static void
put_str(char *dst, size_t max, const uint8_t *f, size_t len)
{
	render_text(f, len < MAX_LABEL ? len : MAX_LABEL, dst, max);
}

static size_t
count_char(const char *s, size_t len, char c)
{
	size_t	 i, n = 0;

	for (i = 0; i < len; i++)
		n += s[i] == c;
	return (n);
}

static int
utf8_ok(const u_char *s, size_t len)
{
	size_t	 i = 0;
	int	 more;

	while (i < len) {
		if (s[i] < 0x80)
			more = 0;
		else if ((s[i] & 0xe0) == 0xc0 && s[i] >= 0xc2)
			more = 1;
		else if ((s[i] & 0xf0) == 0xe0)
			more = 2;
		else if ((s[i] & 0xf8) == 0xf0 && s[i] <= 0xf4)
			more = 3;
		else
			return (0);
		if (more > 0 && i + more >= len)
			return (0);
		for (i++; more > 0; more--, i++)
			if ((s[i] & 0xc0) != 0x80)
				return (0);
	}
	return (1);
}

/* HTML or XML: no control byte but \n and \t, UTF-8, as many '<'. */
static void
check_markup(struct evbuffer *b, size_t lt)
{
	size_t		 len = evbuffer_get_length(b), i;
	const char	*s = (const char *)evbuffer_pullup(b, -1);

	CHECK(s != NULL || len == 0);
	for (i = 0; i < len; i++)
		CHECK((u_char)s[i] >= 0x20 || s[i] == '\n' || s[i] == '\t');
	CHECK(utf8_ok((const u_char *)s, len));
	CHECK(count_char(s, len, '<') == lt);
}

static size_t
count_lt(struct evbuffer *b)
{
	size_t	 len = evbuffer_get_length(b);

	return (count_char((const char *)evbuffer_pullup(b, -1), len, '<'));
}

static void
free_table(void)
{
	struct api_server	*s, *next;

	RB_FOREACH_SAFE(s, api_table, &st.table, next) {
		RB_REMOVE(api_table, &st.table, s);
		free(s);
	}
	st.nservers = st.nws = 0;
}

/* The same servers with plain fields, for the count of '<'. */
static void
plain_copy(struct api_table *t, const struct api_table *from)
{
	struct api_server	*s, *c;

	RB_INIT(t);
	RB_FOREACH(s, api_table, (struct api_table *)(uintptr_t)from) {
		c = calloc(1, sizeof(*c));
		CHECK(c != NULL);
		c->addr = s->addr;
		c->ws = s->ws;
		c->clients = s->clients;
		c->maxclients = s->maxclients;
		c->first = s->first;
		c->last = s->last;
		(void)strlcpy(c->label, s->label[0] != '\0' ? "L" : "",
		    sizeof(c->label));
		(void)strlcpy(c->protocols, s->protocols[0] != '\0' ? "P" : "",
		    sizeof(c->protocols));
		c->hostname_len = c->mapname_len = c->game_len =
		    c->gamename_len = 1;
		c->hostname[0] = c->mapname[0] = c->game[0] =
		    c->gamename[0] = 'x';
		if (s->hostname_len == 0)
			c->hostname_len = 0;
		if (s->mapname_len == 0)
			c->mapname_len = 0;
		CHECK(RB_INSERT(api_table, t, c) == NULL);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t		*p = data, *end = data + size, *f;
	struct api_server	*s, *first = NULL;
	struct api_filter	 flt;
	struct api_table	 plain;
	struct api_state	 pst;
	struct evbuffer		*b;
	json_t			*root, *list, *o;
	json_error_t		 jerr;
	char			 want[API_HOSTNAME_MAX * 2 + 1];
	size_t			 len, i, n, lt;
	int			 k, j;

	memset(&st, 0, sizeof(st));
	RB_INIT(&st.table);
	st.started = 1767225600;
	for (k = 0; k < SERVERS && p < end; k++) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			abort();
		s->addr.family = AF_INET;
		s->addr.addr[0] = 192;
		s->addr.addr[3] = (uint8_t)(k + 1);
		s->addr.port = htons(30720);
		s->ws = k & 1;
		s->clients = *p % 17;
		s->maxclients = *p / 17;
		s->first = 1767225000 + k * 7;
		s->last = s->first + 60;
		p++;
		for (j = 0; j < FIELDS; j++) {
			f = next_field(&p, end, &len);
			switch (j) {
			case 0:
				put(s->hostname, &s->hostname_len,
				    sizeof(s->hostname), f, len);
				break;
			case 1:
				put(s->mapname, &s->mapname_len,
				    sizeof(s->mapname), f, len);
				break;
			case 2:
				put(s->game, &s->game_len, sizeof(s->game), f,
				    len);
				break;
			case 3:
				put(s->gamename, &s->gamename_len,
				    sizeof(s->gamename), f, len);
				break;
			case 4:
				put_str(s->label, sizeof(s->label), f, len);
				break;
			case 5:
				put_str(s->protocols, sizeof(s->protocols), f,
				    len);
				break;
			}
		}
		CHECK(RB_INSERT(api_table, &st.table, s) == NULL);
		st.nservers++;
		if (s->ws)
			st.nws++;
		if (first == NULL)
			first = s;
	}

	/* The list parses back, with every name as its Latin-1 bytes. */
	b = evbuffer_new();
	CHECK(b != NULL);
	CHECK(render_servers_json(b, &st.table, NULL, 0) == 0);
	len = evbuffer_get_length(b);
	root = json_loadb((const char *)evbuffer_pullup(b, -1), len, 0, &jerr);
	CHECK(root != NULL);
	list = json_object_get(root, "servers");
	CHECK(json_is_array(list) && json_array_size(list) == st.nservers);
	CHECK(json_integer_value(json_object_get(root, "count")) ==
	    (json_int_t)st.nservers);
	i = 0;
	RB_FOREACH(s, api_table, &st.table) {
		o = json_array_get(list, i++);
		render_utf8(s->hostname, s->hostname_len, want, sizeof(want));
		CHECK(strcmp(json_string_value(json_object_get(o,
		    "hostname")), want) == 0);
		render_utf8(s->mapname, s->mapname_len, want, sizeof(want));
		CHECK(strcmp(json_string_value(json_object_get(o, "map")),
		    want) == 0);
	}
	json_decref(root);
	evbuffer_free(b);

	/* A filter on the first server's protocol and label keeps it. */
	if (first != NULL && strchr(first->protocols, ',') == NULL &&
	    strlen(first->protocols) < sizeof(flt.protocol) &&
	    first->protocols[0] != '\0') {
		memset(&flt, 0, sizeof(flt));
		(void)strlcpy(flt.protocol, first->protocols,
		    sizeof(flt.protocol));
		flt.has_label = 1;
		(void)strlcpy(flt.label, first->label[0] != '\0' ?
		    first->label : "default", sizeof(flt.label));
		flt.empty = flt.full = -1;
		b = evbuffer_new();
		CHECK(render_servers_json(b, &st.table, &flt, 0) == 0);
		root = json_loadb((const char *)evbuffer_pullup(b, -1),
		    evbuffer_get_length(b), 0, &jerr);
		CHECK(root != NULL);
		n = (size_t)json_integer_value(json_object_get(root, "count"));
		CHECK(n >= 1 && n <= st.nservers);
		json_decref(root);
		evbuffer_free(b);
	}

	/* The page and the feed: names add no markup. */
	plain_copy(&plain, &st.table);
	memset(&pst, 0, sizeof(pst));
	pst.table = plain;
	pst.nservers = st.nservers;
	pst.nws = st.nws;
	pst.started = st.started;
	b = evbuffer_new();
	CHECK(render_status_html(b, &pst, 1767225600) == 0);
	lt = count_lt(b);
	evbuffer_free(b);
	b = evbuffer_new();
	CHECK(render_status_html(b, &st, 1767225600) == 0);
	check_markup(b, lt);
	evbuffer_free(b);

	b = evbuffer_new();
	CHECK(render_rss(b, &pst.table, "http://localhost/api/servers/rss",
	    1767225600) == 0);
	lt = count_lt(b);
	evbuffer_free(b);
	b = evbuffer_new();
	CHECK(render_rss(b, &st.table, "http://localhost/api/servers/rss",
	    1767225600) == 0);
	check_markup(b, lt);
	evbuffer_free(b);

	plain = pst.table;
	RB_FOREACH_SAFE(s, api_table, &plain, first) {
		RB_REMOVE(api_table, &plain, s);
		free(s);
	}
	free_table();
	return (0);
}
