/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Unit tests of the REST API's pure parts: the keys (api/keys.c) and the
 * bodies (api/render.c): the JSON list and its filters, the status page,
 * the RSS feed and the metrics, each read to its exact bytes where they
 * are short, to what must and must not be in them where they are not.
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

#include <event2/buffer.h>
#include <sodium.h>

#include "tremmasterd.h"
#include "api.h"
#include "options.h"
#include "util.h"

static struct api_state	 st;

/* The evbuffer's bytes as a string the caller frees. */
static char *
text(struct evbuffer *b)
{
	size_t	 len = evbuffer_get_length(b);
	char	*s = malloc(len + 1);

	assert_non_null(s);
	evbuffer_copyout(b, s, len);
	s[len] = '\0';
	return (s);
}

static struct api_server *
add(const char *addr, int ws, const char *label, const char *protocols,
    unsigned int clients, unsigned int maxclients, int64_t first,
    const char *hostname, const char *map)
{
	struct api_server	*s = calloc(1, sizeof(*s));

	assert_non_null(s);
	assert_int_equal(addr_parse(addr, &s->addr), 0);
	s->ws = ws;
	(void)strlcpy(s->label, label, sizeof(s->label));
	(void)strlcpy(s->protocols, protocols, sizeof(s->protocols));
	s->clients = clients;
	s->maxclients = maxclients;
	s->first = first;
	s->last = first + 60;
	s->hostname_len = strlen(hostname);
	memcpy(s->hostname, hostname, s->hostname_len);
	s->mapname_len = strlen(map);
	memcpy(s->mapname, map, s->mapname_len);
	s->game_len = 4;
	memcpy(s->game, "base", 4);
	assert_null(RB_INSERT(api_table, &st.table, s));
	st.nservers++;
	if (ws)
		st.nws++;
	return (s);
}

static int
setup(void **state __unused)
{
	memset(&st, 0, sizeof(st));
	RB_INIT(&st.table);
	st.started = 1767225600;
	return (0);
}

static int
teardown(void **state __unused)
{
	struct api_server	*s, *next;

	RB_FOREACH_SAFE(s, api_table, &st.table, next) {
		RB_REMOVE(api_table, &st.table, s);
		free(s);
	}
	return (0);
}

static void
test_keys_check(void **state __unused)
{
	char	 err[128], big[API_KEY_MAX + 2];

	assert_int_equal(keys_check("abc-DEF_123", 11, err, sizeof(err)), 0);
	assert_int_equal(keys_check("", 0, err, sizeof(err)), -1);
	assert_int_equal(keys_check("a b", 3, err, sizeof(err)), -1);
	assert_int_equal(keys_check("a,b", 3, err, sizeof(err)), -1);
	assert_int_equal(keys_check("a\tb", 3, err, sizeof(err)), -1);
	assert_int_equal(keys_check("a\x7f", 2, err, sizeof(err)), -1);
	assert_int_equal(keys_check("\xc3\xa9", 2, err, sizeof(err)), -1);
	memset(big, 'k', sizeof(big));
	assert_int_equal(keys_check(big, API_KEY_MAX, err, sizeof(err)), 0);
	assert_int_equal(keys_check(big, API_KEY_MAX + 1, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "longer than 256"));
}

static void
test_keys_match(void **state __unused)
{
	struct api_keys	*k = keys_new();
	char		 err[128];

	assert_non_null(k);
	assert_int_equal(keys_match(k, "a", 1), 0);
	assert_int_equal(keys_parse_list(k, " one , two,,three ,one", err,
	    sizeof(err)), 0);
	assert_int_equal(keys_count(k), 3);
	assert_int_equal(keys_match(k, "one", 3), 1);
	assert_int_equal(keys_match(k, "two", 3), 1);
	assert_int_equal(keys_match(k, "three", 5), 1);
	assert_int_equal(keys_match(k, "one ", 4), 0);
	assert_int_equal(keys_match(k, "on", 2), 0);
	assert_int_equal(keys_match(k, "four", 4), 0);
	assert_int_equal(keys_match(k, "", 0), 0);
	assert_int_equal(keys_parse_list(k, "bad key", err, sizeof(err)), -1);
	free(k);
}

static void
test_keys_many(void **state __unused)
{
	struct api_keys	*k = keys_new();
	char		 err[128], key[16];
	int		 i;

	assert_non_null(k);
	for (i = 0; i < API_KEYS_MAX; i++) {
		(void)snprintf(key, sizeof(key), "key%d", i);
		assert_int_equal(keys_add(k, key, strlen(key)), 0);
	}
	assert_int_equal(keys_add(k, "one-more", 8), -1);
	assert_int_equal(keys_add(k, "key7", 4), 0);	/* known: kept once */
	assert_int_equal(keys_parse_list(k, "other", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than 64 keys"));
	assert_int_equal(keys_match(k, "key63", 5), 1);
	free(k);
}

static void
test_utf8(void **state __unused)
{
	char	 out[16];

	render_utf8((const u_char *)"abc", 3, out, sizeof(out));
	assert_string_equal(out, "abc");
	render_utf8((const u_char *)"caf\xe9\0!", 6, out, sizeof(out));
	assert_string_equal(out, "caf\xc3\xa9!");
	/* Cut at a whole character: "ab" and not half of the é. */
	render_utf8((const u_char *)"ab\xe9", 3, out, 4);
	assert_string_equal(out, "ab");
	render_utf8((const u_char *)"\xff", 1, out, sizeof(out));
	assert_string_equal(out, "\xc3\xbf");
}

static void
test_servers_json(void **state __unused)
{
	struct evbuffer	*b = evbuffer_new();
	char		*s;

	add("192.0.2.10:30720", 0, "Official", "70,71", 3, 12, 1767225000,
	    "^1A\"B", "atcs");
	add("[2001:db8::7]:30721", 1, "", "71", 0, 8, 1767225100, "caf\xe9",
	    "niveus");
	assert_int_equal(render_servers_json(b, &st.table, NULL, 0), 0);
	s = text(b);
	assert_string_equal(s, "{\"servers\":[{\"address\":\"192.0.2.10:30720\","
	    "\"label\":\"Official\",\"verified\":true,\"connection_type\":"
	    "\"udp\",\"family\":\"IPv4\",\"transport\":\"udp\",\"hostname\":"
	    "\"^1A\\\"B\",\"map\":\"atcs\",\"game\":\"base\",\"gamename\":\"\","
	    "\"protocols\":[\"70\",\"71\"],\"clients\":3,\"max_clients\":12,"
	    "\"first_seen\":1767225000,\"last_seen\":1767225060},"
	    "{\"address\":\"[2001:db8::7]:30721\",\"label\":\"default\","
	    "\"verified\":true,\"connection_type\":\"websocket\",\"family\":"
	    "\"IPv6\",\"transport\":\"ws\",\"hostname\":\"caf\xc3\xa9\",\"map\":"
	    "\"niveus\",\"game\":\"base\",\"gamename\":\"\",\"protocols\":"
	    "[\"71\"],\"clients\":0,\"max_clients\":8,\"first_seen\":1767225100,"
	    "\"last_seen\":1767225160}],\"count\":2}");
	free(s);
	evbuffer_free(b);
}

/* The addresses a filter keeps, as "a b c". */
static void
want_filter(const struct api_filter *f, const char *want)
{
	struct evbuffer	*b = evbuffer_new();
	char		*s, got[256] = "", *p, *q;

	assert_int_equal(render_servers_json(b, &st.table, f, 0), 0);
	s = text(b);
	for (p = s; (p = strstr(p, "\"address\":\"")) != NULL; p = q) {
		p += strlen("\"address\":\"");
		q = strchr(p, '"');
		assert_non_null(q);
		if (got[0] != '\0')
			(void)strlcat(got, " ", sizeof(got));
		(void)strncat(got, p, (size_t)(q - p));
	}
	assert_string_equal(got, want);
	free(s);
	evbuffer_free(b);
}

static void
test_servers_filter(void **state __unused)
{
	struct api_filter	 f;

	add("192.0.2.1:1", 0, "Official", "70,71", 0, 8, 1, "a", "m");
	add("192.0.2.2:1", 0, "", "71", 8, 8, 2, "b", "m");
	add("192.0.2.3:1", 0, "", "69", 3, 8, 3, "c", "m");
	add("192.0.2.4:1", 0, "", "71", 3, 0, 4, "d", "m");
	memset(&f, 0, sizeof(f));
	f.empty = f.full = -1;
	want_filter(&f, "192.0.2.1:1 192.0.2.2:1 192.0.2.3:1 192.0.2.4:1");
	(void)strlcpy(f.protocol, "71", sizeof(f.protocol));
	want_filter(&f, "192.0.2.1:1 192.0.2.2:1 192.0.2.4:1");
	(void)strlcpy(f.protocol, "7", sizeof(f.protocol));
	want_filter(&f, "");
	f.protocol[0] = '\0';
	f.has_label = 1;
	(void)strlcpy(f.label, "Official", sizeof(f.label));
	want_filter(&f, "192.0.2.1:1");
	(void)strlcpy(f.label, "default", sizeof(f.label));
	want_filter(&f, "192.0.2.2:1 192.0.2.3:1 192.0.2.4:1");
	f.has_label = 0;
	f.empty = 1;
	want_filter(&f, "192.0.2.1:1");
	f.empty = 0;
	want_filter(&f, "192.0.2.2:1 192.0.2.3:1 192.0.2.4:1");
	/* No slots announced is never full. */
	f.empty = -1;
	f.full = 1;
	want_filter(&f, "192.0.2.2:1");
	f.full = 0;
	want_filter(&f, "192.0.2.1:1 192.0.2.3:1 192.0.2.4:1");
}

static void
test_status_html(void **state __unused)
{
	struct evbuffer	*b = evbuffer_new();
	char		*s;

	assert_int_equal(render_status_html(b, &st, st.started + 90061), 0);
	s = text(b);
	assert_non_null(strstr(s, "No server is listed."));
	assert_non_null(strstr(s, "<dd>1d 01:01</dd>"));
	assert_null(strstr(s, "<script"));
	free(s);
	evbuffer_free(b);

	b = evbuffer_new();
	add("192.0.2.10:30720", 0, "Official", "71", 1, 12, 1767225000,
	    "^1Red^7<Base> & co", "atcs");
	add("192.0.2.11:30720", 0, "", "71", 7, 12, 1767225000, "Busy",
	    "^3niv\"eus");
	(void)strlcpy(st.files.motd, "Hello <all>", sizeof(st.files.motd));
	assert_int_equal(render_status_html(b, &st, 1767225600), 0);
	s = text(b);
	assert_non_null(strstr(s, "<td class=\"name\">Red&lt;Base&gt; &amp; "
	    "co</td>"));
	assert_non_null(strstr(s, "<td>niv&quot;eus</td>"));
	assert_non_null(strstr(s, "<td class=\"num\">7 / 12</td>"));
	assert_non_null(strstr(s, "<dd id=\"players\">8</dd>"));
	assert_non_null(strstr(s, "<p class=\"motd\">Hello &lt;all&gt;</p>"));
	/* Most players first. */
	assert_true(strstr(s, "Busy") < strstr(s, "Red&lt;"));
	assert_null(strstr(s, "<Base>"));
	free(s);
	evbuffer_free(b);
}

static void
test_rss(void **state __unused)
{
	struct evbuffer	*b = evbuffer_new();
	char		*s;
	int		 i;
	char		 addr[32];

	add("192.0.2.10:30720", 0, "", "71", 1, 12, 1767225000,
	    "^1A&B\x01<c>", "at\x7f" "cs");
	for (i = 0; i < 60; i++) {
		(void)snprintf(addr, sizeof(addr), "198.51.100.%d:1", i);
		add(addr, 0, "", "71", 0, 8, 1767220000 + i, "", "m");
	}
	assert_int_equal(render_rss(b, &st.table, "http://x/<rss>",
	    1767225600), 0);
	s = text(b);
	assert_true(strncmp(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<rss version=\"2.0\">\n<channel>\n", 62) == 0);
	assert_non_null(strstr(s, "<link>http://x/&lt;rss&gt;</link>"));
	/* The newest first: the named one, then 198.51.100.59. */
	assert_non_null(strstr(s, "<item>\n<title>A&amp;B&lt;c&gt;</title>"));
	assert_non_null(strstr(s, "<pubDate>Wed, 31 Dec 2025 23:50:00 GMT"
	    "</pubDate>\n<guid isPermaLink=\"false\">192.0.2.10:30720/"
	    "1767225000</guid>"));
	assert_true(strstr(s, "A&amp;B") < strstr(s, "198.51.100.59:1"));
	/* 50 items: the 11 oldest are left out. */
	assert_null(strstr(s, "198.51.100.10:1<"));
	assert_non_null(strstr(s, "198.51.100.11:1"));
	assert_null(strchr(s, '\x01'));
	assert_null(strchr(s, '\x7f'));
	assert_non_null(strstr(s, "</channel>\n</rss>\n"));
	free(s);
	evbuffer_free(b);
}

/* The scope of an address, for the heartbeats the API may challenge. */
static void
test_addr_scope(void **state __unused)
{
	static const struct {
		const char	*addr;
		int		 scope;
	} t[] = {
		{ "127.0.0.1:1", 2 }, { "127.255.0.9:1", 2 }, { "[::1]:1", 2 },
		{ "[::ffff:127.0.0.1]:1", 2 }, { "[64:ff9b::7f00:1]:1", 2 },
		{ "10.0.0.1:1", 1 }, { "10.255.255.255:1", 1 },
		{ "172.16.0.1:1", 1 }, { "172.31.255.1:1", 1 },
		{ "172.15.0.1:1", 0 }, { "172.32.0.1:1", 0 },
		{ "192.168.1.1:1", 1 }, { "192.169.1.1:1", 0 },
		{ "100.64.0.1:1", 1 }, { "100.127.255.1:1", 1 },
		{ "100.63.0.1:1", 0 }, { "100.128.0.1:1", 0 },
		{ "169.254.1.1:1", 1 }, { "169.253.1.1:1", 0 },
		{ "[::ffff:10.1.2.3]:1", 1 }, { "[64:ff9b::c0a8:101]:1", 1 },
		{ "[fc00::1]:1", 1 }, { "[fd12:3456::1]:1", 1 },
		{ "[fe80::1]:1", 1 }, { "[febf::1]:1", 1 },
		{ "192.0.2.10:1", 0 }, { "8.8.8.8:1", 0 },
		{ "[2001:db8::10]:1", 0 }, { "[::2]:1", 0 },
		{ "192.0.0.8:1", 1 }, { "198.18.0.1:1", 1 },
		{ "198.19.255.1:1", 1 }, { "198.20.0.1:1", 0 },
		{ "[fec0::1]:1", 1 }, { "[feff::1]:1", 1 },
		{ "[64:ff9b:1::a00:1]:1", 1 }, { "[2002:a00:1::1]:1", 1 },
		{ "[2002:7f00:1::1]:1", 2 }, { "[2002:c000:20a::1]:1", 0 },
	};
	struct ipc_addr	 a;
	size_t		 i;

	for (i = 0; i < nitems(t); i++) {
		memset(&a, 0, sizeof(a));
		assert_int_equal(addr_parse(t[i].addr, &a), 0);
		if (addr_scope(&a, 1) != t[i].scope)
			fail_msg("%s: scope %d, not %d", t[i].addr,
			    addr_scope(&a, 1), t[i].scope);
	}
	/* A peer's address is its own: no translation. */
	assert_int_equal(addr_parse("[64:ff9b::a00:1]:1", &a), 0);
	assert_int_equal(addr_scope(&a, 0), 0);
	assert_int_equal(addr_parse("[::ffff:10.0.0.1]:1", &a), 0);
	assert_int_equal(addr_scope(&a, 0), 1);
}

static void
test_metrics(void **state __unused)
{
	struct evbuffer		*b = evbuffer_new();
	struct api_http_stats	 hs;
	char			*s;
	char			 p1[] = "master=10:4096000";
	char			 p2[] = "plugin.api=12:6000000";
	char			 p3[] = "bad";
	char			 p4[] = "netd=11:";
	char			*procs[] = { p1, p2, p3, p4 };

	memset(&hs, 0, sizeof(hs));
	hs.by_class[2] = 5;
	hs.limited = 2;
	add("192.0.2.1:1", 0, "", "71", 0, 8, 1, "a", "m");
	add("192.0.2.2:1", 1, "", "71", 8, 8, 1, "b", "m");
	render_metrics(b, &st, "servers=2|heartbeats=7|getserversext=3|"
	    "throttled=4|challenges=9|ws-connections=1|filtered=0|bogus=x",
	    procs, 4, &hs);
	s = text(b);
	assert_non_null(strstr(s, "# TYPE tremmasterd_servers gauge\n"));
	assert_non_null(strstr(s, "tremmasterd_servers{transport=\"udp\","
	    "state=\"empty\"} 1\n"));
	assert_non_null(strstr(s, "tremmasterd_servers{transport=\"ws\","
	    "state=\"full\"} 1\n"));
	assert_non_null(strstr(s, "tremmasterd_players{transport=\"ws\"} 8\n"));
	assert_non_null(strstr(s, "tremmasterd_messages_total{kind="
	    "\"heartbeat\"} 7\n"));
	assert_non_null(strstr(s, "tremmasterd_messages_total{kind="
	    "\"getserversExt\"} 3\n"));
	assert_non_null(strstr(s, "tremmasterd_drops_total{reason="
	    "\"throttle\"} 4\n"));
	assert_non_null(strstr(s, "tremmasterd_challenges_total 9\n"));
	assert_non_null(strstr(s, "tremmasterd_websocket_connections 1\n"));
	assert_non_null(strstr(s, "tremmasterd_process_resident_bytes{process="
	    "\"master\"} 4096000\n"));
	assert_non_null(strstr(s, "tremmasterd_process_resident_bytes{process="
	    "\"plugin.api\"} 6000000\n"));
	assert_null(strstr(s, "process=\"netd\""));
	assert_null(strstr(s, "bogus"));
	assert_non_null(strstr(s, "tremmasterd_api_requests_total{code="
	    "\"2xx\"} 5\n"));
	assert_non_null(strstr(s, "tremmasterd_api_rate_limited_total 2\n"));
	free(s);
	evbuffer_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_check),
		cmocka_unit_test(test_keys_match),
		cmocka_unit_test(test_keys_many),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_addr_scope),
		cmocka_unit_test_setup_teardown(test_servers_json, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_servers_filter, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_status_html, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics, setup,
		    teardown),
	};

	if (sodium_init() == -1)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
