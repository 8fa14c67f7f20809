/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The bodies the API answers with, from the copy of the table: the JSON
 * server list (jansson), the status page (HTML and CSS, no script), the
 * RSS feed of the newest servers, and the Prometheus metrics.  Pure
 * functions of what they are given, so that tests can drive them.
 *
 * Server names and maps are bytes as the game servers sent them: they are
 * read as Latin-1, which every byte is, and written as UTF-8; the status
 * page and the feed also drop the ^N colour codes of the game.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "log.h"
#include "options.h"
#include "util.h"

#define RSS_ITEMS	50	/* newest servers in the feed */

static json_t	*server_json(const struct api_server *);
static int	 filter_match(const struct api_server *,
		    const struct api_filter *);
static void	 plain_name(const u_char *, size_t, char *, size_t);
static void	 xml_escape(struct evbuffer *, const char *);
static int	 json_out(const char *, size_t, void *);
static void	 ago(char *, size_t, int64_t, time_t);

RB_GENERATE(api_table, api_server, entry, api_server_cmp)

/* The table's order: by address, then UDP before WebSocket. */
int
api_server_cmp(struct api_server *a, struct api_server *b)
{
	int	 c;

	if ((c = memcmp(&a->addr, &b->addr, sizeof(a->addr))) != 0)
		return (c);
	return (a->ws - b->ws);
}

/*
 * bytes into UTF-8 in out (NUL-terminated, cut at a whole character):
 * as they are when they are UTF-8 already, else read as Latin-1, which
 * every byte is.  NUL bytes are dropped.
 */
void
render_utf8(const u_char *s, size_t len, char *out, size_t outlen)
{
	size_t	 i, n = 0, k;
	int	 utf8 = utf8_valid(s, len);

	if (outlen == 0)
		return;
	for (i = 0; i < len; i++) {
		if (s[i] == '\0')
			continue;
		if (s[i] < 0x80) {
			if (n + 1 >= outlen)
				break;
			out[n++] = (char)s[i];
		} else if (utf8) {
			/* A lead byte: the whole character, or the end. */
			k = (s[i] & 0xe0) == 0xc0 ? 2 : (s[i] & 0xf0) == 0xe0 ?
			    3 : 4;
			if (n + k >= outlen)
				break;
			memcpy(out + n, s + i, k);
			n += k;
			i += k - 1;
		} else {
			if (n + 2 >= outlen)
				break;
			out[n++] = (char)(0xc0 | (s[i] >> 6));
			out[n++] = (char)(0x80 | (s[i] & 0x3f));
		}
	}
	out[n] = '\0';
}

/* The same without control characters: labels, protocols. */
void
render_text(const u_char *s, size_t len, char *out, size_t outlen)
{
	u_char	 buf[API_HOSTNAME_MAX];
	size_t	 i, n = 0;

	for (i = 0; i < len && n < sizeof(buf); i++)
		if (s[i] >= 0x20 && s[i] != 0x7f)
			buf[n++] = s[i];
	render_utf8(buf, n, out, outlen);
}

/* The name without its colour codes (^ and a character), as UTF-8. */
static void
plain_name(const u_char *s, size_t len, char *out, size_t outlen)
{
	u_char	 buf[API_HOSTNAME_MAX];
	size_t	 i, n = 0;

	for (i = 0; i < len && n < sizeof(buf); i++) {
		if (s[i] == '^' && i + 1 < len && s[i + 1] != '^') {
			i++;
			continue;
		}
		if (s[i] >= 0x20 && s[i] != 0x7f)
			buf[n++] = s[i];
	}
	render_utf8(buf, n, out, outlen);
}

static json_t *
json_bytes(const u_char *s, size_t len)
{
	char	 buf[API_HOSTNAME_MAX * 2 + 1];

	render_utf8(s, len, buf, sizeof(buf));
	return (json_string(buf));
}

/*
 * One server: the fields of the Python master's list (address, label,
 * verified, connection_type, family) and what netd keeps of the server.
 */
static json_t *
server_json(const struct api_server *s)
{
	json_t	*o, *protos;
	char	 abuf[ADDRSTRLEN], buf[API_PROTOCOLS_MAX], *p, *last;

	if ((protos = json_array()) == NULL)
		return (NULL);
	(void)strlcpy(buf, s->protocols, sizeof(buf));
	for (p = strtok_r(buf, ",", &last); p != NULL;
	    p = strtok_r(NULL, ",", &last))
		json_array_append_new(protos, json_string(p));
	o = json_pack("{s:s, s:s, s:b, s:s, s:s, s:s, s:o, s:o, s:o, s:o, "
	    "s:o, s:i, s:i, s:I, s:I}",
	    "address", addr_str(&s->addr, abuf, sizeof(abuf)),
	    "label", s->label[0] != '\0' ? s->label : "default",
	    "verified", 1,
	    "connection_type", s->ws ? "websocket" : "udp",
	    "family", s->addr.family == AF_INET6 ? "IPv6" : "IPv4",
	    "transport", s->ws ? "ws" : "udp",
	    "hostname", json_bytes(s->hostname, s->hostname_len),
	    "map", json_bytes(s->mapname, s->mapname_len),
	    "game", json_bytes(s->game, s->game_len),
	    "gamename", json_bytes(s->gamename, s->gamename_len),
	    "protocols", protos,
	    "clients", (int)s->clients,
	    "max_clients", (int)s->maxclients,
	    "first_seen", (json_int_t)s->first,
	    "last_seen", (json_int_t)s->last);
	return (o);
}

static int
filter_match(const struct api_server *s, const struct api_filter *f)
{
	char	 buf[API_PROTOCOLS_MAX], *p, *last;
	int	 found = 0, full;

	if (f == NULL)
		return (1);
	if (f->protocol[0] != '\0') {
		(void)strlcpy(buf, s->protocols, sizeof(buf));
		for (p = strtok_r(buf, ",", &last); p != NULL && !found;
		    p = strtok_r(NULL, ",", &last))
			found = strcmp(p, f->protocol) == 0;
		if (!found)
			return (0);
	}
	if (f->has_label && strcmp(f->label, s->label[0] != '\0' ? s->label :
	    "default") != 0)
		return (0);
	if (f->empty != -1 && (s->clients == 0) != f->empty)
		return (0);
	full = s->maxclients > 0 && s->clients >= s->maxclients;
	if (f->full != -1 && full != f->full)
		return (0);
	return (1);
}

static int
json_out(const char *buf, size_t len, void *arg)
{
	return (evbuffer_add(arg, buf, len));
}

/* {"servers": [...], "count": N}, in the order of the table. */
int
render_servers_json(struct evbuffer *out, const struct api_table *t,
    const struct api_filter *f, time_t now __unused)
{
	struct api_server	*s;
	json_t			*root, *list, *o;
	int			 rv;

	if ((root = json_object()) == NULL || (list = json_array()) == NULL)
		fatalx("out of memory");
	RB_FOREACH(s, api_table, (struct api_table *)(uintptr_t)t) {
		if (!filter_match(s, f))
			continue;
		if ((o = server_json(s)) == NULL ||
		    json_array_append_new(list, o) == -1)
			fatalx("out of memory");
	}
	if (json_object_set_new(root, "servers", list) == -1 ||
	    json_object_set_new(root, "count",
	    json_integer((json_int_t)json_array_size(list))) == -1)
		fatalx("out of memory");
	rv = json_dump_callback(root, json_out, out, JSON_COMPACT);
	json_decref(root);
	return (rv);
}

void
render_html_escape(struct evbuffer *b, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '<':
			evbuffer_add(b, "&lt;", 4);
			break;
		case '>':
			evbuffer_add(b, "&gt;", 4);
			break;
		case '&':
			evbuffer_add(b, "&amp;", 5);
			break;
		case '"':
			evbuffer_add(b, "&quot;", 6);
			break;
		case '\'':
			evbuffer_add(b, "&#39;", 5);
			break;
		default:
			evbuffer_add(b, s, 1);
		}
}

/* XML 1.0: escaped as HTML is, and no control character but tab. */
static void
xml_escape(struct evbuffer *b, const char *s)
{
	char	 buf[API_HOSTNAME_MAX * 2 + 1];
	size_t	 n = 0;

	for (; *s != '\0' && n + 1 < sizeof(buf); s++)
		if ((u_char)*s >= 0x20 || *s == '\t')
			buf[n++] = *s;
	buf[n] = '\0';
	render_html_escape(b, buf);
}

static void
ago(char *buf, size_t len, int64_t when, time_t now)
{
	int64_t	 d = (int64_t)now - when;

	if (d < 0)
		d = 0;
	if (d < 120)
		(void)snprintf(buf, len, "%llds ago", (long long)d);
	else if (d < 7200)
		(void)snprintf(buf, len, "%lldm ago", (long long)(d / 60));
	else if (d < 172800)
		(void)snprintf(buf, len, "%lldh ago", (long long)(d / 3600));
	else
		(void)snprintf(buf, len, "%lldd ago", (long long)(d / 86400));
}

/* Most players first, then by name. */
static int
status_cmp(const void *a, const void *b)
{
	const struct api_server	*x = *(const struct api_server *const *)a;
	const struct api_server	*y = *(const struct api_server *const *)b;
	size_t			 n;
	int			 c;

	if (x->clients != y->clients)
		return (x->clients > y->clients ? -1 : 1);
	n = x->hostname_len < y->hostname_len ? x->hostname_len :
	    y->hostname_len;
	if ((c = memcmp(x->hostname, y->hostname, n)) != 0)
		return (c);
	if (x->hostname_len != y->hostname_len)
		return (x->hostname_len < y->hostname_len ? -1 : 1);
	return (api_server_cmp((struct api_server *)(uintptr_t)x,
	    (struct api_server *)(uintptr_t)y));
}

static const char status_css[] =
    "body{font:15px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;"
    "color:#1b1f24}"
    "header{background:#1b2a3a;color:#fff;padding:1em 1.5em}"
    "header h1{margin:0;font-size:1.4em}"
    "header p{margin:.3em 0 0;color:#c9d4df}"
    "main{padding:1em 1.5em}"
    "dl.health{display:flex;flex-wrap:wrap;gap:.5em 2em;margin:0 0 1em}"
    "dl.health div{background:#fff;border:1px solid #dde2e8;"
    "border-radius:6px;padding:.5em 1em}"
    "dt{font-size:.8em;color:#5b6772}dd{margin:0;font-size:1.3em;"
    "font-weight:600}"
    "div.list{overflow-x:auto}"
    "table{border-collapse:collapse;width:100%;background:#fff;"
    "border:1px solid #dde2e8}"
    "th,td{text-align:left;padding:.35em .7em;border-bottom:1px solid "
    "#eef1f4;white-space:nowrap}"
    "th{background:#eef1f4;font-size:.85em;color:#3a4652}"
    "td.name{white-space:normal;min-width:12em}"
    "th.num,td.num{text-align:right}"
    "tr.empty td{color:#7a858f}"
    "p.motd{background:#fffbe6;border:1px solid #f0e2a0;padding:.5em 1em;"
    "border-radius:6px}"
    "footer{padding:1em 1.5em;color:#5b6772;font-size:.85em}";

/*
 * GET /: the servers with their players and maps, and the master's health,
 * readable without JavaScript.
 */
int
render_status_html(struct evbuffer *b, const struct api_state *st,
    time_t now)
{
	const struct api_server	**v;
	struct api_server	*s;
	char			 name[API_HOSTNAME_MAX * 2 + 1];
	char			 abuf[ADDRSTRLEN], when[32], up[64];
	size_t			 n = 0, i;
	unsigned long		 players = 0;
	int64_t			 u = (int64_t)(now - st->started);

	if ((v = calloc(st->nservers + 1, sizeof(*v))) == NULL)
		return (-1);
	RB_FOREACH(s, api_table, (struct api_table *)(uintptr_t)&st->table) {
		if (n == st->nservers)
			break;
		v[n++] = s;
		players += s->clients;
	}
	qsort(v, n, sizeof(*v), status_cmp);
	if (u < 0)
		u = 0;
	(void)snprintf(up, sizeof(up), "%lldd %02lld:%02lld",
	    (long long)(u / 86400), (long long)(u % 86400 / 3600),
	    (long long)(u % 3600 / 60));

	evbuffer_add_printf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n"
	    "<title>Tremulous master server</title>\n<style>%s</style>\n"
	    "</head>\n<body>\n<header>\n<h1>Tremulous master server</h1>\n"
	    "<p>tremmasterd %s</p>\n</header>\n<main>\n", status_css,
	    VERSION);
	evbuffer_add_printf(b, "<dl class=\"health\">\n"
	    "<div><dt>Servers</dt><dd id=\"servers\">%zu</dd></div>\n"
	    "<div><dt>Players</dt><dd id=\"players\">%lu</dd></div>\n"
	    "<div><dt>UDP / WebSocket</dt><dd>%zu / %zu</dd></div>\n"
	    "<div><dt>Featured groups</dt><dd>%zu</dd></div>\n"
	    "<div><dt>Ignore entries</dt><dd>%zu</dd></div>\n"
	    "<div><dt>Up</dt><dd>%s</dd></div>\n"
	    "<div><dt>netd</dt><dd id=\"health\">%s</dd></div>\n</dl>\n",
	    st->nservers, players, st->nservers - st->nws, st->nws,
	    st->files.nfeatured, st->files.ignore_total, up,
	    st->initialized ? "serving" : "starting");
	if (st->files.motd[0] != '\0') {
		evbuffer_add_printf(b, "<p class=\"motd\">");
		render_utf8((const u_char *)st->files.motd,
		    strlen(st->files.motd), name, sizeof(name));
		render_html_escape(b, name);
		evbuffer_add_printf(b, "</p>\n");
	}
	evbuffer_add_printf(b, "<div class=\"list\">\n<table>\n<thead><tr>"
	    "<th>Server</th><th>Map</th><th class=\"num\">Players</th>"
	    "<th>Address</th><th>Game</th>"
	    "<th>Protocols</th><th>Transport</th><th>Label</th>"
	    "<th>Last seen</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < n; i++) {
		s = (struct api_server *)(uintptr_t)v[i];
		evbuffer_add_printf(b, "<tr%s><td class=\"name\">",
		    s->clients == 0 ? " class=\"empty\"" : "");
		plain_name(s->hostname, s->hostname_len, name, sizeof(name));
		render_html_escape(b, name[0] != '\0' ? name : "(no name)");
		evbuffer_add_printf(b, "</td><td>");
		plain_name(s->mapname, s->mapname_len, name, sizeof(name));
		render_html_escape(b, name);
		evbuffer_add_printf(b, "</td><td class=\"num\">%u / %u</td>"
		    "<td>%s</td><td>", s->clients, s->maxclients,
		    addr_str(&s->addr, abuf, sizeof(abuf)));
		plain_name(s->gamename_len > 0 ? s->gamename : s->game,
		    s->gamename_len > 0 ? s->gamename_len : s->game_len, name,
		    sizeof(name));
		render_html_escape(b, name);
		evbuffer_add_printf(b, "</td><td>");
		render_html_escape(b, s->protocols);
		ago(when, sizeof(when), s->last, now);
		evbuffer_add_printf(b, "</td><td>%s</td><td>", s->ws ?
		    "WebSocket" : "UDP");
		render_html_escape(b, s->label[0] != '\0' ? s->label :
		    "default");
		evbuffer_add_printf(b, "</td><td>%s</td></tr>\n", when);
	}
	if (n == 0)
		evbuffer_add_printf(b, "<tr class=\"empty\"><td colspan=\"9\">"
		    "No server is listed.</td></tr>\n");
	evbuffer_add_printf(b, "</tbody>\n</table>\n</div>\n</main>\n"
	    "<footer>"
	    "The list as JSON: <a href=\"/api/servers\">/api/servers</a>; "
	    "new servers: <a href=\"/api/servers/rss\">RSS</a>; "
	    "<a href=\"/metrics\">metrics</a>.</footer>\n</body>\n</html>\n");
	free(v);
	return (0);
}

static int
rss_cmp(const void *a, const void *b)
{
	const struct api_server	*x = *(const struct api_server *const *)a;
	const struct api_server	*y = *(const struct api_server *const *)b;

	if (x->first != y->first)
		return (x->first > y->first ? -1 : 1);
	return (api_server_cmp((struct api_server *)(uintptr_t)x,
	    (struct api_server *)(uintptr_t)y));
}

static void
rfc822(char *buf, size_t len, time_t t)
{
	struct tm	 tm;

	(void)gmtime_r(&t, &tm);
	(void)strftime(buf, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/*
 * RSS 2.0 of the newest servers: the RSS_ITEMS listed most recently for
 * the first time, newest first; link is the feed's own address.
 */
int
render_rss(struct evbuffer *b, const struct api_table *t, const char *link,
    time_t now)
{
	const struct api_server	**v;
	struct api_server	*s;
	char			 name[API_HOSTNAME_MAX * 2 + 1];
	char			 map[API_FIELD_MAX * 2 + 1];
	char			 abuf[ADDRSTRLEN], date[64];
	size_t			 n = 0, cap = 0, i;

	RB_FOREACH(s, api_table, (struct api_table *)(uintptr_t)t)
		cap++;
	if ((v = calloc(cap + 1, sizeof(*v))) == NULL)
		return (-1);
	RB_FOREACH(s, api_table, (struct api_table *)(uintptr_t)t)
		v[n++] = s;
	qsort(v, n, sizeof(*v), rss_cmp);
	rfc822(date, sizeof(date), now);
	evbuffer_add_printf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<rss version=\"2.0\">\n<channel>\n"
	    "<title>Tremulous master server: new servers</title>\n<link>");
	xml_escape(b, link);
	evbuffer_add_printf(b, "</link>\n<description>The game servers this "
	    "master listed most recently for the first time</description>\n"
	    "<language>en</language>\n<generator>tremmasterd %s</generator>\n"
	    "<lastBuildDate>%s</lastBuildDate>\n", VERSION, date);
	for (i = 0; i < n && i < RSS_ITEMS; i++) {
		s = (struct api_server *)(uintptr_t)v[i];
		addr_str(&s->addr, abuf, sizeof(abuf));
		plain_name(s->hostname, s->hostname_len, name, sizeof(name));
		plain_name(s->mapname, s->mapname_len, map, sizeof(map));
		rfc822(date, sizeof(date), (time_t)s->first);
		evbuffer_add_printf(b, "<item>\n<title>");
		xml_escape(b, name[0] != '\0' ? name : abuf);
		evbuffer_add_printf(b, "</title>\n<description>");
		xml_escape(b, abuf);
		evbuffer_add_printf(b, " | map ");
		xml_escape(b, map);
		evbuffer_add_printf(b, " | %u/%u players | %s | label ",
		    s->clients, s->maxclients, s->ws ? "WebSocket" : "UDP");
		xml_escape(b, s->label[0] != '\0' ? s->label : "default");
		evbuffer_add_printf(b, "</description>\n<pubDate>%s</pubDate>\n"
		    "<guid isPermaLink=\"false\">%s/%lld</guid>\n</item>\n",
		    date, abuf, (long long)s->first);
	}
	evbuffer_add_printf(b, "</channel>\n</rss>\n");
	free(v);
	return (0);
}

/* ---- /metrics ---- */

/* A field of netd's counters answer and the family it goes into. */
static const struct {
	const char	*field;		/* in the counters response */
	const char	*family;
	const char	*label;		/* its label's name, or NULL */
	const char	*value;		/* the label's value */
} counter_map[] = {
	{ "heartbeats", "tremmasterd_messages_total", "kind", "heartbeat" },
	{ "flatlines", "tremmasterd_messages_total", "kind", "flatline" },
	{ "getservers", "tremmasterd_messages_total", "kind", "getservers" },
	{ "getserversext", "tremmasterd_messages_total", "kind",
	    "getserversExt" },
	{ "getmotd", "tremmasterd_messages_total", "kind", "getmotd" },
	{ "gamestats", "tremmasterd_messages_total", "kind", "gamestat" },
	{ "inforesponses", "tremmasterd_messages_total", "kind",
	    "infoResponse" },
	{ "bad", "tremmasterd_messages_total", "kind", "bad" },
	{ "refused-servers", "tremmasterd_drops_total", "reason",
	    "server_limit" },
	{ "refused-challenges", "tremmasterd_drops_total", "reason",
	    "challenge_limit" },
	{ "throttled", "tremmasterd_drops_total", "reason", "throttle" },
	{ "over-budget", "tremmasterd_drops_total", "reason",
	    "answer_budget" },
	{ "refused-gamestats", "tremmasterd_drops_total", "reason",
	    "gamestat" },
	{ "stats-dropped", "tremmasterd_drops_total", "reason",
	    "statistics" },
	{ "challenges", "tremmasterd_challenges_total", NULL, NULL },
	{ "ws-connections", "tremmasterd_websocket_connections", NULL, NULL },
	{ "ws-accepted", "tremmasterd_websocket_accepted_total", NULL, NULL },
	{ "plugins", "tremmasterd_plugins", NULL, NULL },
	{ "filtered", "tremmasterd_plugin_events_total", "event",
	    "filtered" },
	{ "filter-timeouts", "tremmasterd_plugin_events_total", "event",
	    "filter_timeout" },
	{ "filter-skipped", "tremmasterd_plugin_events_total", "event",
	    "filter_skipped" },
	{ "filter-late", "tremmasterd_plugin_events_total", "event",
	    "filter_late" },
	{ "reports-lost", "tremmasterd_plugin_events_total", "event",
	    "report_lost" },
	{ "added", "tremmasterd_plugin_events_total", "event", "added" },
	{ "plugins-ended", "tremmasterd_plugin_events_total", "event",
	    "plugin_ended" },
};

static const struct {
	const char	*family;
	const char	*type;
	const char	*help;
} families[] = {
	{ "tremmasterd_messages_total", "counter",
	    "Datagrams and WebSocket messages taken by netd, by kind." },
	{ "tremmasterd_drops_total", "counter",
	    "Requests and servers refused at the limits, by limit." },
	{ "tremmasterd_challenges_total", "counter",
	    "Challenges sent." },
	{ "tremmasterd_websocket_connections", "gauge",
	    "WebSocket connections open." },
	{ "tremmasterd_websocket_accepted_total", "counter",
	    "WebSocket connections accepted." },
	{ "tremmasterd_plugins", "gauge",
	    "Plugins with a channel to netd." },
	{ "tremmasterd_plugin_events_total", "counter",
	    "What the plugins did and what they missed, by event." },
};

/* The value of name in "a=1|b=2", or NULL. */
static const char *
counter_value(const char *list, const char *name, char *buf, size_t len)
{
	const char	*p = list, *eq, *end;
	size_t		 n = strlen(name);

	while (p != NULL && *p != '\0') {
		end = strchr(p, '|');
		eq = strchr(p, '=');
		if (eq != NULL && (end == NULL || eq < end) &&
		    (size_t)(eq - p) == n && strncmp(p, name, n) == 0) {
			n = end != NULL ? (size_t)(end - eq - 1) : strlen(eq + 1);
			if (n == 0 || n >= len || strspn(eq + 1, "0123456789") !=
			    n)
				return (NULL);
			memcpy(buf, eq + 1, n);
			buf[n] = '\0';
			return (buf);
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return (NULL);
}

static void
family_head(struct evbuffer *b, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

/*
 * The Prometheus text format (version 0.0.4): the servers and players of
 * the table, netd's counters (counters, "name=value|..."), the resident
 * memory of each process (procs: "name=PID:RSS"), and the API's own.
 */
void
render_metrics(struct evbuffer *b, const struct api_state *st,
    const char *counters, char **procs, int nprocs,
    const struct api_http_stats *hs)
{
	static const char *const states[] = { "empty", "playing", "full" };
	struct api_server	*s;
	uint64_t		 n[2][3], players[2];
	const char		*v, *colon;
	char			 buf[32], name[PLUGIN_NAME_MAX + 8];
	size_t			 i, j, len;
	int			 t, k;

	memset(n, 0, sizeof(n));
	memset(players, 0, sizeof(players));
	RB_FOREACH(s, api_table, (struct api_table *)(uintptr_t)&st->table) {
		t = s->ws ? 1 : 0;
		k = s->clients == 0 ? 0 : (s->maxclients > 0 &&
		    s->clients >= s->maxclients) ? 2 : 1;
		n[t][k]++;
		players[t] += s->clients;
	}
	family_head(b, "tremmasterd_servers", "gauge",
	    "Servers listed, by transport and by state (empty, playing, "
	    "full).");
	for (t = 0; t < 2; t++)
		for (k = 0; k < 3; k++)
			evbuffer_add_printf(b, "tremmasterd_servers{transport="
			    "\"%s\",state=\"%s\"} %llu\n", t ? "ws" : "udp",
			    states[k], (unsigned long long)n[t][k]);
	family_head(b, "tremmasterd_players", "gauge",
	    "Players on the listed servers, by transport.");
	for (t = 0; t < 2; t++)
		evbuffer_add_printf(b, "tremmasterd_players{transport=\"%s\"} "
		    "%llu\n", t ? "ws" : "udp", (unsigned long long)players[t]);
	family_head(b, "tremmasterd_featured_groups", "gauge",
	    "Groups of featured.txt.");
	for (i = 0, j = 0; i < st->files.nfeatured; i++)
		if (i == 0 || strcmp(st->files.featured[i].label,
		    st->files.featured[i - 1].label) != 0)
			j++;
	evbuffer_add_printf(b, "tremmasterd_featured_groups %zu\n", j);
	family_head(b, "tremmasterd_ignore_entries", "gauge",
	    "Entries of ignore.txt.");
	evbuffer_add_printf(b, "tremmasterd_ignore_entries %zu\n",
	    st->files.ignore_total);

	for (i = 0; i < nitems(families); i++) {
		family_head(b, families[i].family, families[i].type,
		    families[i].help);
		for (j = 0; j < nitems(counter_map); j++) {
			if (strcmp(counter_map[j].family,
			    families[i].family) != 0 ||
			    (v = counter_value(counters, counter_map[j].field,
			    buf, sizeof(buf))) == NULL)
				continue;
			if (counter_map[j].label != NULL)
				evbuffer_add_printf(b, "%s{%s=\"%s\"} %s\n",
				    families[i].family, counter_map[j].label,
				    counter_map[j].value, v);
			else
				evbuffer_add_printf(b, "%s %s\n",
				    families[i].family, v);
		}
	}

	family_head(b, "tremmasterd_process_resident_bytes", "gauge",
	    "Resident memory of each process of the daemon.");
	for (k = 0; k < nprocs; k++) {
		if ((v = strchr(procs[k], '=')) == NULL ||
		    (colon = strchr(v, ':')) == NULL ||
		    strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
		    colon[1] == '\0')
			continue;
		len = (size_t)(v - procs[k]);
		if (len == 0 || len >= sizeof(name))
			continue;
		memcpy(name, procs[k], len);
		name[len] = '\0';
		/* A label value: no quote, backslash or newline in a name. */
		if (strpbrk(name, "\"\\\n") != NULL)
			continue;
		evbuffer_add_printf(b, "tremmasterd_process_resident_bytes"
		    "{process=\"%s\"} %s\n", name, colon + 1);
	}

	family_head(b, "tremmasterd_api_requests_total", "counter",
	    "HTTP requests answered by the REST API, by class of status.");
	for (k = 1; k < 6; k++)
		evbuffer_add_printf(b, "tremmasterd_api_requests_total{code="
		    "\"%dxx\"} %llu\n", k,
		    (unsigned long long)hs->by_class[k]);
	family_head(b, "tremmasterd_api_rate_limited_total", "counter",
	    "HTTP requests refused by --api-rate-limit.");
	evbuffer_add_printf(b, "tremmasterd_api_rate_limited_total %llu\n",
	    (unsigned long long)hs->limited);
	family_head(b, "tremmasterd_api_unauthorized_total", "counter",
	    "HTTP requests without a valid API key where one is needed.");
	evbuffer_add_printf(b, "tremmasterd_api_unauthorized_total %llu\n",
	    (unsigned long long)hs->unauthorized);
	family_head(b, "tremmasterd_api_not_modified_total", "counter",
	    "Server list requests answered 304 Not Modified.");
	evbuffer_add_printf(b, "tremmasterd_api_not_modified_total %llu\n",
	    (unsigned long long)hs->not_modified);
	family_head(b, "tremmasterd_api_connections_refused_total",
	    "counter", "HTTP connections shut at once: too many from one "
	    "client address.");
	evbuffer_add_printf(b, "tremmasterd_api_connections_refused_total "
	    "%llu\n", (unsigned long long)hs->conns_refused);
	family_head(b, "tremmasterd_api_request_deadline_total", "counter",
	    "HTTP connections shut for sending no whole request in time.");
	evbuffer_add_printf(b, "tremmasterd_api_request_deadline_total "
	    "%llu\n", (unsigned long long)hs->deadline);
	family_head(b, "tremmasterd_api_queue_full_total", "counter",
	    "HTTP requests answered 503: too many bytes of answers queued.");
	evbuffer_add_printf(b, "tremmasterd_api_queue_full_total %llu\n",
	    (unsigned long long)hs->queue_full);
	family_head(b, "tremmasterd_start_time_seconds", "gauge",
	    "When the REST API started, in seconds since the epoch.");
	evbuffer_add_printf(b, "tremmasterd_start_time_seconds %lld\n",
	    (long long)st->started);
}

/* ---- /apitest ---- */

static const char apitest_html[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, "
    "initial-scale=1\">\n<title>tremmasterd REST API</title>\n<style>"
    "body{font:15px/1.4 system-ui,sans-serif;margin:1em 1.5em;"
    "color:#1b1f24;background:#f6f7f9}"
    "label{display:block;margin:.6em 0 .2em;font-size:.85em;color:#3a4652}"
    "input,select,textarea{font:14px monospace;width:100%;max-width:40em;"
    "box-sizing:border-box;padding:.3em}"
    "button{margin-top:.8em;padding:.4em 1.5em;font-size:1em}"
    "pre{background:#fff;border:1px solid #dde2e8;padding:.7em;"
    "white-space:pre-wrap;word-break:break-all;max-width:60em}"
    "</style>\n</head>\n<body>\n<h1>tremmasterd REST API</h1>\n"
    "<form id=\"form\">\n"
    "<label for=\"key\">API key (for the endpoints that need one; it stays "
    "in this page)</label>\n"
    "<input id=\"key\" type=\"password\" autocomplete=\"off\">\n"
    "<label for=\"endpoint\">Endpoint</label>\n<select id=\"endpoint\">\n"
    "<option>GET /api/servers</option>\n<option>GET /api/info</option>\n"
    "<option>GET /api/motd</option>\n<option>GET /api/servers/rss</option>\n"
    "<option>GET /metrics</option>\n<option>POST /heartbeat</option>\n"
    "<option>GET /api/stats</option>\n<option>GET /api/blacklist</option>\n"
    "<option>POST /api/blacklist</option>\n"
    "<option>DELETE /api/blacklist/1</option>\n"
    "<option>GET /api/featured</option>\n<option>PUT /api/featured</option>\n"
    "<option>PUT /api/motd</option>\n<option>GET /api/logs?limit=20</option>\n"
    "<option>GET /api/plugins</option>\n"
    "<option>POST /api/admin/reload-config</option>\n"
    "<option>POST /api/admin/shutdown</option>\n</select>\n"
    "<label for=\"path\">Path (edit it for an id or parameters)</label>\n"
    "<input id=\"path\">\n"
    "<label for=\"body\">Body (JSON, for POST and PUT)</label>\n"
    "<textarea id=\"body\" rows=\"4\"></textarea>\n"
    "<button type=\"submit\">Send</button>\n</form>\n"
    "<h2>Response <span id=\"status\"></span></h2>\n<pre id=\"out\">"
    "</pre>\n<script src=\"/apitest.js\"></script>\n</body>\n</html>\n";

static const char apitest_js[] =
    "'use strict';\n"
    "const samples = {\n"
    "  'POST /heartbeat': {address: '192.0.2.10:30720', protocol: '71'},\n"
    "  'POST /api/blacklist': {entry: '192.0.2.0/24'},\n"
    "  'PUT /api/featured': {label: 'Official', servers: "
    "['192.0.2.10:30720']},\n"
    "  'PUT /api/motd': {motd: 'Welcome'}\n"
    "};\n"
    "const $ = (id) => document.getElementById(id);\n"
    "function pick() {\n"
    "  const [method, path] = $('endpoint').value.split(' ');\n"
    "  $('path').value = path;\n"
    "  const s = samples[$('endpoint').value];\n"
    "  $('body').value = s ? JSON.stringify(s, null, 2) : '';\n"
    "  return method;\n"
    "}\n"
    "$('endpoint').addEventListener('change', pick);\n"
    "pick();\n"
    "$('form').addEventListener('submit', async (ev) => {\n"
    "  ev.preventDefault();\n"
    "  const method = $('endpoint').value.split(' ')[0];\n"
    "  const headers = {};\n"
    "  if ($('key').value) headers['X-API-Key'] = $('key').value;\n"
    "  const init = {method, headers};\n"
    "  if (method === 'POST' || method === 'PUT') {\n"
    "    headers['Content-Type'] = 'application/json';\n"
    "    init.body = $('body').value || '{}';\n"
    "  }\n"
    "  $('status').textContent = '...';\n"
    "  try {\n"
    "    const r = await fetch($('path').value, init);\n"
    "    const text = await r.text();\n"
    "    $('status').textContent = r.status + ' ' + r.statusText;\n"
    "    try {\n"
    "      $('out').textContent = JSON.stringify(JSON.parse(text), null, "
    "2);\n"
    "    } catch (e) {\n"
    "      $('out').textContent = text;\n"
    "    }\n"
    "  } catch (e) {\n"
    "    $('status').textContent = 'failed';\n"
    "    $('out').textContent = String(e);\n"
    "  }\n"
    "});\n";

/* GET /apitest: a page to try each endpoint, its script apart (js). */
void
render_apitest(struct evbuffer *b, int js)
{
	if (js)
		evbuffer_add(b, apitest_js, sizeof(apitest_js) - 1);
	else
		evbuffer_add(b, apitest_html, sizeof(apitest_html) - 1);
}
