/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Unit tests of netd/plugin_proto.c: every line a plugin may send
 * (man/tremmasterd-plugins.7) parsed to its fields, the malformed ones
 * refused whole, and the escaping of bytes in fields both ways.
 */

#include "compat.h"

#include <sys/types.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka needs the four headers above it. */
#include <cmocka.h>

#include "log.h"
#include "tremmasterd.h"
#include "proto.h"

/* As in netd/plugin.c: the longest line, its newline included. */
#define PLUGIN_LINE_MAX	16384
#define TOKEN16		"0123456789abcdef"
#define HB_ESC		"\\377\\377\\377\\377heartbeat Tremulous\\012"
#define HB_RAW		"\xff\xff\xff\xffheartbeat Tremulous\n"
#define GSR_ESC		"\\377\\377\\377\\377getserversResponse" \
			"\\134EOT\\000\\000\\000"
#define GSR_RAW		"\xff\xff\xff\xffgetserversResponse\\EOT\0\0\0"

static int	 parse(char *, size_t, const char *, struct plp_line *);
static void	 refuse(const char *);
static void	 refuse_len(const char *, size_t);
static void	 good_register(const char *, int, int, int);
static void	 good_request(const char *, int, const char *, int,
		    const char *, const char *);
static void	 assert_inside(const char *, const char *, size_t);
static void	 assert_data(const struct plp_line *, const void *, size_t);

/*
 * plp_parse() on a copy of s in buf, as netd hands it a line without its
 * newline: the copy may be changed, the original stays for messages.
 */
static int
parse(char *buf, size_t size, const char *s, struct plp_line *l)
{
	if (strlcpy(buf, s, size) >= size)
		fail_msg("parse: line too long for the test buffer");
	return (plp_parse(buf, l));
}

/* A line that must be refused whole. */
static void
refuse(const char *s)
{
	refuse_len(s, strlen(s));
}

/* The same for a line of len bytes, which may hold a NUL: cut there. */
static void
refuse_len(const char *s, size_t len)
{
	struct plp_line	 l;
	char		*buf;

	if ((buf = malloc(len + 1)) == NULL)
		fail_msg("malloc");
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (plp_parse(buf, &l) != -1)
		fail_msg("accepted: \"%s\"", s);
	free(buf);
}

/* A pointer of the parse that must point at a string inside buf. */
static void
assert_inside(const char *p, const char *buf, size_t size)
{
	assert_non_null(p);
	assert_true(p >= buf && p < buf + size);
	assert_non_null(memchr(p, '\0', (size_t)(buf + size - p)));
}

static void
assert_data(const struct plp_line *l, const void *want, size_t len)
{
	assert_int_equal(l->len, len);
	assert_memory_equal(l->data, want, len);
}

/* A register line that parses to these fields. */
static void
good_register(const char *line, int what, int level, int kind)
{
	struct plp_line	 l;
	char		 buf[PLUGIN_LINE_MAX];

	if (parse(buf, sizeof(buf), line, &l) != 0)
		fail_msg("refused: \"%s\"", line);
	assert_int_equal(l.type, PLP_REGISTER);
	assert_int_equal(l.what, what);
	if (what == PLR_LOG)
		assert_int_equal(l.level, level);
	if (what == PLR_FILTER)
		assert_int_equal(l.kind, kind);
	assert_null(l.token);
	assert_int_equal(l.narg, 0);
	assert_int_equal(l.len, 0);
}

/*
 * A request that parses to these fields, its token and arguments
 * strings inside the line.
 */
static void
good_request(const char *line, int what, const char *token, int narg,
    const char *arg0, const char *arg1)
{
	struct plp_line	 l;
	char		 buf[PLUGIN_LINE_MAX];
	size_t		 n;

	n = strlen(line) + 1;
	if (parse(buf, sizeof(buf), line, &l) != 0)
		fail_msg("refused: \"%s\"", line);
	assert_int_equal(l.type, PLP_REQUEST);
	assert_int_equal(l.what, what);
	assert_inside(l.token, buf, n);
	assert_string_equal(l.token, token);
	assert_int_equal(l.narg, narg);
	if (narg > 0) {
		assert_inside(l.arg[0], buf, n);
		assert_string_equal(l.arg[0], arg0);
	}
	if (narg > 1) {
		assert_inside(l.arg[1], buf, n);
		assert_string_equal(l.arg[1], arg1);
	}
}

/* Every register line of the contract. */
static void
test_register_each(void **state __unused)
{
	good_register("register|report|server", PLR_SERVER, 0, 0);
	good_register("register|report|files", PLR_FILES, 0, 0);
	good_register("register|report|log|always", PLR_LOG,
	    LOGLEVEL_ALWAYS, 0);
	good_register("register|report|log|error", PLR_LOG, LOGLEVEL_ERROR,
	    0);
	good_register("register|report|log|print", PLR_LOG, LOGLEVEL_PRINT,
	    0);
	good_register("register|report|log|verbose", PLR_LOG,
	    LOGLEVEL_VERBOSE, 0);
	good_register("register|report|log|debug", PLR_LOG, LOGLEVEL_DEBUG,
	    0);
	good_register("register|filter|heartbeat", PLR_FILTER, 0,
	    PLP_HEARTBEAT);
	good_register("register|filter|getservers", PLR_FILTER, 0,
	    PLP_GETSERVERS);
	good_register("register|ready", PLR_READY, 0, 0);
}

static void
test_register_bad(void **state __unused)
{
	refuse("register");
	refuse("register|");
	refuse("register||ready");
	refuse("register|ready|");
	refuse("register|ready|now");
	refuse("register|Ready");
	refuse("register|report");
	refuse("register|report|");
	refuse("register|report|servers");
	refuse("register|report|server|");
	refuse("register|report|server|udp");
	refuse("register|report|file");
	refuse("register|report|Files");
	refuse("register|report|files|");
	refuse("register|report|files|ignore");
	refuse("register|filter|files");
	refuse("register|report|log");
	refuse("register|report|log|");
	refuse("register|report|log|loud");
	refuse("register|report|log|Debug");
	refuse("register|report|log|4");
	refuse("register|report|log|debug|");
	refuse("register|report|log|debug|x");
	refuse("register|report|heartbeat");
	refuse("register|filter");
	refuse("register|filter|");
	refuse("register|filter|server");
	refuse("register|filter|getserversExt");
	refuse("register|filter|infoResponse");
	refuse("register|filter|heartbeat|");
	refuse("register|filter|getservers|x");
	refuse("register|request|add-server");
}

/* The streams a plugin may write, and nothing else. */
static void
test_unknown_stream(void **state __unused)
{
	refuse("");
	refuse("|");
	refuse("config|1|ready");
	refuse("report|1|1767225600.123456|snapshot-end");
	refuse("filter|1|1767225600.123456|heartbeat|" TOKEN16
	    "|1.2.3.4:30720|udp|x");
	refuse("response|1|tok|ok");
	refuse("Register|ready");
	refuse("REGISTER|ready");
	refuse(" register|ready");
	refuse("register |ready");
	refuse("registe|ready");
	refuse("registerx|ready");
	refuse("filter-results|" TOKEN16 "|proceed");
	refuse("filter_result|" TOKEN16 "|proceed");
	refuse("requests|tok|counters");
	refuse("register");
	refuse("filter-result");
	refuse("request");
}

static void
test_result_each(void **state __unused)
{
	struct plp_line	 l;
	char		 buf[PLUGIN_LINE_MAX];

	assert_int_equal(parse(buf, sizeof(buf), "filter-result|" TOKEN16
	    "|proceed", &l), 0);
	assert_int_equal(l.type, PLP_RESULT);
	assert_int_equal(l.what, PLV_PROCEED);
	assert_true(l.result == 0x0123456789abcdefULL);
	assert_int_equal(l.len, 0);

	assert_int_equal(parse(buf, sizeof(buf), "filter-result|"
	    "fedcba9876543210|drop", &l), 0);
	assert_int_equal(l.type, PLP_RESULT);
	assert_int_equal(l.what, PLV_DROP);
	assert_true(l.result == 0xfedcba9876543210ULL);

	assert_int_equal(parse(buf, sizeof(buf), "filter-result|" TOKEN16
	    "|rewrite|" HB_ESC, &l), 0);
	assert_int_equal(l.type, PLP_RESULT);
	assert_int_equal(l.what, PLV_REWRITE);
	assert_true(l.result == 0x0123456789abcdefULL);
	assert_data(&l, HB_RAW, sizeof(HB_RAW) - 1);

	assert_int_equal(parse(buf, sizeof(buf), "filter-result|" TOKEN16
	    "|answer|" GSR_ESC, &l), 0);
	assert_int_equal(l.type, PLP_RESULT);
	assert_int_equal(l.what, PLV_ANSWER);
	assert_data(&l, GSR_RAW, sizeof(GSR_RAW) - 1);
}

/* The tokens at both ends of their range. */
static void
test_result_token_range(void **state __unused)
{
	struct plp_line	 l;
	char		 buf[PLUGIN_LINE_MAX];

	assert_int_equal(parse(buf, sizeof(buf), "filter-result|"
	    "0000000000000000|drop", &l), 0);
	assert_true(l.result == 0);
	assert_int_equal(parse(buf, sizeof(buf), "filter-result|"
	    "ffffffffffffffff|drop", &l), 0);
	assert_true(l.result == UINT64_MAX);
}

/* A token is exactly 16 lower-case hex digits. */
static void
test_result_bad_token(void **state __unused)
{
	refuse("filter-result||proceed");
	refuse("filter-result|0123456789abcde|proceed");
	refuse("filter-result|0123456789abcdef0|proceed");
	refuse("filter-result|0123456789ABCDEF|proceed");
	refuse("filter-result|0123456789abcdeF|proceed");
	refuse("filter-result|0123456789abcdeg|proceed");
	refuse("filter-result|0x23456789abcdef|proceed");
	refuse("filter-result| 123456789abcdef|proceed");
	refuse("filter-result|-123456789abcdef|proceed");
	refuse("filter-result|+123456789abcdef|proceed");
	refuse("filter-result|0123456789abcde |proceed");
	refuse("filter-result|tok|proceed");
	refuse("filter-result|" TOKEN16);
	refuse("filter-result|" TOKEN16 "|");
}

static void
test_result_bad_verdict(void **state __unused)
{
	refuse("filter-result|" TOKEN16 "|Proceed");
	refuse("filter-result|" TOKEN16 "|PROCEED");
	refuse("filter-result|" TOKEN16 "|accept");
	refuse("filter-result|" TOKEN16 "|proceeds");
	refuse("filter-result|" TOKEN16 "|dro");
	refuse("filter-result|" TOKEN16 "| drop");
	refuse("filter-result|" TOKEN16 "||drop");
	/* proceed and drop take nothing after them, not even empty. */
	refuse("filter-result|" TOKEN16 "|proceed|");
	refuse("filter-result|" TOKEN16 "|proceed|x");
	refuse("filter-result|" TOKEN16 "|drop|");
	refuse("filter-result|" TOKEN16 "|drop|" HB_ESC);
}

/* rewrite and answer need their data, and only one field of it. */
static void
test_result_data_count(void **state __unused)
{
	refuse("filter-result|" TOKEN16 "|rewrite");
	refuse("filter-result|" TOKEN16 "|answer");
	refuse("filter-result|" TOKEN16 "|rewrite|" HB_ESC "|");
	refuse("filter-result|" TOKEN16 "|answer|a|b");
}

/*
 * An empty DATA field is data of no bytes: plp_parse() takes it and
 * netd decides (an empty rewrite is not a heartbeat and ends the plugin,
 * an empty answer sends nothing).
 */
static void
test_result_empty_data(void **state __unused)
{
	struct plp_line	 l;
	char		 buf[PLUGIN_LINE_MAX];

	assert_int_equal(parse(buf, sizeof(buf), "filter-result|" TOKEN16
	    "|rewrite|", &l), 0);
	assert_int_equal(l.what, PLV_REWRITE);
	assert_int_equal(l.len, 0);
	assert_int_equal(parse(buf, sizeof(buf), "filter-result|" TOKEN16
	    "|answer|", &l), 0);
	assert_int_equal(l.what, PLV_ANSWER);
	assert_int_equal(l.len, 0);
}

/* Escapes in DATA: three octal digits, at most \377. */
static void
test_result_bad_escapes(void **state __unused)
{
	static const char *const	 bad[] = {
		"\\8", "\\800", "\\080", "\\008", "\\9", "\\400", "\\477",
		"\\777", "\\4000", "\\12", "\\1", "\\", "abc\\", "abc\\0",
		"abc\\01", "\\x41", "\\0a1", "\\01a", "\\-12", "\\ 12",
		"\\\\", "\\n", "a\\r\\n"
	};
	char		 s[128];
	size_t		 i;
	int		 n;

	for (i = 0; i < nitems(bad); i++) {
		n = snprintf(s, sizeof(s), "filter-result|" TOKEN16
		    "|rewrite|%s", bad[i]);
		assert_true(n > 0 && (size_t)n < sizeof(s));
		refuse(s);
		n = snprintf(s, sizeof(s), "filter-result|" TOKEN16
		    "|answer|%s", bad[i]);
		assert_true(n > 0 && (size_t)n < sizeof(s));
		refuse(s);
		n = snprintf(s, sizeof(s), "request|tok|motd-set|%s",
		    bad[i]);
		assert_true(n > 0 && (size_t)n < sizeof(s));
		refuse(s);
	}
}

/* The escapes that are good: every value, written any way. */
static void
test_result_good_escapes(void **state __unused)
{
	struct plp_line	 l;
	char		 buf[PLUGIN_LINE_MAX];

	assert_int_equal(parse(buf, sizeof(buf), "filter-result|" TOKEN16
	    "|answer|\\000\\001\\177\\200\\377\\174\\134\\101B", &l), 0);
	assert_data(&l, "\0\001\177\200\377|\\AB", 9);
	/* \4000 is \400 and a 0: refused, \3770 is \377 and a 0. */
	assert_int_equal(parse(buf, sizeof(buf), "filter-result|" TOKEN16
	    "|answer|\\3770", &l), 0);
	assert_data(&l, "\3770", 2);
}

/* DATA holds at most sizeof(data) bytes, however it is written. */
static void
test_result_data_size(void **state __unused)
{
	struct plp_line	 l;
	char		*line, *p;
	size_t		 i, max = sizeof(l.data);

	if ((line = malloc(PLUGIN_LINE_MAX)) == NULL)
		fail_msg("malloc");
	p = line + strlcpy(line, "filter-result|" TOKEN16 "|answer|",
	    PLUGIN_LINE_MAX);
	memset(p, 'x', max);
	p[max] = '\0';
	assert_int_equal(plp_parse(line, &l), 0);
	assert_int_equal(l.len, max);

	p = line + strlcpy(line, "filter-result|" TOKEN16 "|answer|",
	    PLUGIN_LINE_MAX);
	memset(p, 'x', max + 1);
	p[max + 1] = '\0';
	assert_int_equal(plp_parse(line, &l), -1);

	/* Escaped bytes count once: 2048 of them take 8192 characters. */
	p = line + strlcpy(line, "filter-result|" TOKEN16 "|answer|",
	    PLUGIN_LINE_MAX);
	for (i = 0; i < 2048; i++, p += 4)
		memcpy(p, "\\377", 4);
	*p = '\0';
	assert_int_equal(plp_parse(line, &l), 0);
	assert_int_equal(l.len, 2048);
	assert_int_equal(l.data[0], 0xff);
	assert_int_equal(l.data[2047], 0xff);
	free(line);
}

/* Every request of the contract, with its arguments. */
static void
test_request_each(void **state __unused)
{
	good_request("request|t1|add-server|1.2.3.4:30720", PLC_ADD_SERVER,
	    "t1", 1, "1.2.3.4:30720", NULL);
	good_request("request|t2|add-server|[::1]:30720|Puppet.eu-1",
	    PLC_ADD_SERVER, "t2", 2, "[::1]:30720", "Puppet.eu-1");
	/* An empty label: netd takes it as none. */
	good_request("request|t3|add-server|1.2.3.4:30720|", PLC_ADD_SERVER,
	    "t3", 2, "1.2.3.4:30720", "");
	good_request("request|A.b_c-9|counters", PLC_COUNTERS, "A.b_c-9", 0,
	    NULL, NULL);
	good_request("request|1|snapshot", PLC_SNAPSHOT, "1", 0, NULL, NULL);
	good_request("request|f1|flatline|192.0.2.10:30720", PLC_FLATLINE,
	    "f1", 1, "192.0.2.10:30720", NULL);
	good_request("request|f2|flatline|[2001:db8::10]:30720", PLC_FLATLINE,
	    "f2", 1, "[2001:db8::10]:30720", NULL);
	/* An address netd then answers "bad address": not a parse error. */
	good_request("request|f3|flatline|", PLC_FLATLINE, "f3", 1, "", NULL);
	good_request("request|p1|processes", PLC_PROCESSES, "p1", 0, NULL,
	    NULL);
	good_request("request|x|ignore-add|10.0.0.0/8", PLC_IGNORE_ADD, "x",
	    1, "10.0.0.0/8", NULL);
	good_request("request|x|ignore-remove|2001:db8::/32",
	    PLC_IGNORE_REMOVE, "x", 1, "2001:db8::/32", NULL);
	good_request("request|x|featured-set|Official servers|"
	    "192.0.2.10:30720 [2001:db8::10]:30720", PLC_FEATURED_SET, "x", 2,
	    "Official servers", "192.0.2.10:30720 [2001:db8::10]:30720");
	good_request("request|x|featured-set|Official servers|",
	    PLC_FEATURED_SET, "x", 2, "Official servers", "");
	good_request("request|x|motd-set|Welcome\\174all", PLC_MOTD_SET, "x",
	    1, "Welcome\\174all", NULL);
	good_request("request|x|reload", PLC_RELOAD, "x", 0, NULL, NULL);
	good_request("request|x|shutdown", PLC_SHUTDOWN, "x", 0, NULL, NULL);
}

/* motd-set's TEXT is escaped data; the other arguments are not. */
static void
test_request_data(void **state __unused)
{
	struct plp_line	 l;
	char		 buf[PLUGIN_LINE_MAX];

	assert_int_equal(parse(buf, sizeof(buf),
	    "request|x|motd-set|Welcome\\174all \\134o/", &l), 0);
	assert_data(&l, "Welcome|all \\o/", 15);
	assert_int_equal(parse(buf, sizeof(buf), "request|x|motd-set|", &l),
	    0);
	assert_int_equal(l.len, 0);
	assert_int_equal(parse(buf, sizeof(buf),
	    "request|x|ignore-add|a\\134b", &l), 0);
	assert_int_equal(l.len, 0);
	assert_string_equal(l.arg[0], "a\\134b");
	/* An argument that is not data is not checked for escapes here. */
	assert_int_equal(parse(buf, sizeof(buf),
	    "request|x|add-server|\\8", &l), 0);
}

/* Tokens of 1 to 64 characters. */
static void
test_request_token_length(void **state __unused)
{
	struct plp_line	 l;
	char		 buf[PLUGIN_LINE_MAX], s[256];
	char		 tok[PLP_TOKEN_MAX + 2];
	int		 n;

	memset(tok, 'a', PLP_TOKEN_MAX);
	tok[PLP_TOKEN_MAX] = '\0';
	n = snprintf(s, sizeof(s), "request|%s|counters", tok);
	assert_true(n > 0 && (size_t)n < sizeof(s));
	assert_int_equal(parse(buf, sizeof(buf), s, &l), 0);
	assert_int_equal(strlen(l.token), PLP_TOKEN_MAX);

	tok[PLP_TOKEN_MAX] = 'a';
	tok[PLP_TOKEN_MAX + 1] = '\0';
	n = snprintf(s, sizeof(s), "request|%s|counters", tok);
	assert_true(n > 0 && (size_t)n < sizeof(s));
	refuse(s);

	refuse("request||counters");
}

static void
test_request_token_chars(void **state __unused)
{
	static const char	 bad[] = " !\"#$%&'()*+,/:;<=>?@[\\]^`{}~";
	char			 s[64];
	size_t			 i;

	for (i = 0; i < sizeof(bad) - 1; i++) {
		(void)snprintf(s, sizeof(s), "request|t%ck|counters", bad[i]);
		refuse(s);
		(void)snprintf(s, sizeof(s), "request|%c|counters", bad[i]);
		refuse(s);
	}
	refuse("request|t\xc3\xb6k|counters");
}

static void
test_request_unknown(void **state __unused)
{
	refuse("request|tok");
	refuse("request|tok|");
	refuse("request|tok|Counters");
	refuse("request|tok|counter");
	refuse("request|tok|add_server|1.2.3.4:30720");
	refuse("request|tok|delete|1.2.3.4:30720");
	refuse("request|tok|heartbeat|1.2.3.4:30720");
	refuse("request|tok|Flatline|1.2.3.4:30720");
	refuse("request|tok|process");
	refuse("request|tok|files");
	refuse("request|tok| counters");
	refuse("request|counters");
}

/* Each request with one argument too few and one too many. */
static void
test_request_arg_counts(void **state __unused)
{
	refuse("request|t|add-server");
	refuse("request|t|add-server|1.2.3.4:1|label|x");
	refuse("request|t|add-server|1.2.3.4:1|label|");
	refuse("request|t|counters|");
	refuse("request|t|counters|x");
	refuse("request|t|snapshot|");
	refuse("request|t|snapshot|x");
	refuse("request|t|flatline");
	refuse("request|t|flatline|1.2.3.4:1|");
	refuse("request|t|flatline|1.2.3.4:1|x");
	refuse("request|t|processes|");
	refuse("request|t|processes|x");
	refuse("request|t|ignore-add");
	refuse("request|t|ignore-add|10.0.0.1|10.0.0.2");
	refuse("request|t|ignore-remove");
	refuse("request|t|ignore-remove|10.0.0.1|");
	refuse("request|t|featured-set");
	refuse("request|t|featured-set|Group");
	refuse("request|t|featured-set|Group|1.2.3.4:1|5.6.7.8:1");
	refuse("request|t|motd-set");
	refuse("request|t|motd-set|Hello|world");
	refuse("request|t|reload|");
	refuse("request|t|reload|now");
	refuse("request|t|shutdown|");
	refuse("request|t|shutdown|now");
}

/*
 * A raw '|' in data splits it: one field too many, refused.  Escaped it
 * is data.
 */
static void
test_raw_pipe(void **state __unused)
{
	struct plp_line	 l;
	char		 buf[PLUGIN_LINE_MAX];

	refuse("filter-result|" TOKEN16 "|rewrite|\\377\\377\\377\\377"
	    "heartbeat a|b");
	refuse("filter-result|" TOKEN16 "|answer|a|b");
	refuse("request|t|motd-set|Welcome|all");
	refuse("request|t|ignore-add|1.2.3.4|");
	assert_int_equal(parse(buf, sizeof(buf), "filter-result|" TOKEN16
	    "|answer|a\\174b", &l), 0);
	assert_data(&l, "a|b", 3);
}

/*
 * At most PLP_FIELDS_MAX fields: more are refused before anything else
 * is looked at, and no line of the protocol has that many.
 */
static void
test_too_many_fields(void **state __unused)
{
	char	 s[256], *p;
	int	 i;

	refuse("request|t|counters|||||");
	refuse("request|t|counters||||||");
	refuse("request|t|add-server|a|b|c|d|e");
	refuse("register|ready||||||");
	refuse("filter-result|" TOKEN16 "|proceed||||||");
	refuse("||||||||");
	refuse("|||||||||||||||||||||||||||||||||||||||||||||||||||");
	/* Two hundred empty fields after a good line. */
	p = s;
	p += strlcpy(s, "register|ready", sizeof(s));
	for (i = 0; i < 200 && p < s + sizeof(s) - 1; i++)
		*p++ = '|';
	*p = '\0';
	refuse(s);
}

/* Only 0x20 to 0x7e in a line, data or not: CR, tab, DEL, high bytes. */
static void
test_raw_bytes(void **state __unused)
{
	static const char *const	 lines[] = {
		"register|ready",
		"filter-result|" TOKEN16 "|proceed",
		"filter-result|" TOKEN16 "|answer|abc",
		"request|tok|motd-set|abc",
		"request|tok|add-server|1.2.3.4:30720|lab"
	};
	char		 s[128];
	size_t		 i, len, pos;
	int		 c;

	for (i = 0; i < nitems(lines); i++) {
		len = strlen(lines[i]);
		for (c = 1; c < 256; c++) {
			if (c >= 0x20 && c <= 0x7e)
				continue;
			/* The byte at the end, and inside the last field. */
			for (pos = len - 1; pos <= len; pos++) {
				memcpy(s, lines[i], pos);
				s[pos] = (char)c;
				memcpy(s + pos + 1, lines[i] + pos, len - pos);
				s[len + 1] = '\0';
				refuse(s);
			}
		}
	}
	refuse("register|ready\r");
	refuse("register|re\rady");
	refuse("register|ready\n");
	refuse("register\t|ready");
	refuse("request|tok|motd-set|a\x7f");
	refuse("request|tok|motd-set|\xff");
	refuse("filter-result|" TOKEN16 "|answer|\x80");
}

/* netd cuts the line at a NUL: what is after it is never seen. */
static void
test_nul_cut(void **state __unused)
{
	struct plp_line	 l;
	char		 buf[] = "register|ready\0|more";

	assert_int_equal(plp_parse(buf, &l), 0);
	assert_int_equal(l.what, PLR_READY);
	refuse_len("register\0|ready", 15);
}

/*
 * A line as long as netd takes, PLUGIN_LINE_MAX - 1 bytes: 2724 escapes
 * and 5466 plain bytes, 8190 bytes of data.
 */
static void
test_long_line(void **state __unused)
{
	struct plp_line	 l;
	char		*line, *p;
	size_t		 i;

	if ((line = malloc(PLUGIN_LINE_MAX)) == NULL)
		fail_msg("malloc");
	p = line + strlcpy(line, "request|tok|motd-set|", PLUGIN_LINE_MAX);
	for (i = 0; i < 2724; i++, p += 4)
		memcpy(p, "\\101", 4);
	memset(p, 'm', (size_t)(line + PLUGIN_LINE_MAX - 1 - p));
	line[PLUGIN_LINE_MAX - 1] = '\0';
	assert_int_equal(strlen(line), PLUGIN_LINE_MAX - 1);
	assert_int_equal(plp_parse(line, &l), 0);
	assert_int_equal(l.type, PLP_REQUEST);
	assert_int_equal(l.what, PLC_MOTD_SET);
	assert_int_equal(l.len, 8190);
	assert_int_equal(l.data[0], 'A');
	assert_int_equal(l.data[2723], 'A');
	assert_int_equal(l.data[2724], 'm');
	assert_int_equal(l.data[8189], 'm');
	free(line);
}

/* Escaped, each byte value alone and all 256 at once, and back. */
static void
test_escape_round_trip(void **state __unused)
{
	u_char	 raw[256], back[256];
	char	 esc[4 * 256 + 1], one[5];
	size_t	 i, n, len;

	for (i = 0; i < 256; i++) {
		raw[i] = (u_char)i;
		n = plp_escape(one, raw + i, 1);
		assert_int_equal(n, strlen(one));
		if (i >= 0x20 && i <= 0x7e && i != '|' && i != '\\') {
			assert_int_equal(n, 1);
			assert_int_equal((u_char)one[0], i);
		} else {
			assert_int_equal(n, 4);
			assert_int_equal(one[0], '\\');
			assert_int_equal(one[1], '0' + (i >> 6));
			assert_int_equal(one[2], '0' + ((i >> 3) & 7));
			assert_int_equal(one[3], '0' + (i & 7));
		}
		assert_int_equal(plp_unescape(one, back, 1, &len), 0);
		assert_int_equal(len, 1);
		assert_int_equal(back[0], i);
	}

	n = plp_escape(esc, raw, sizeof(raw));
	assert_int_equal(n, strlen(esc));
	/* 95 printable, 2 of them escaped, and 161 others. */
	assert_int_equal(n, 93 + 4 * (256 - 93));
	for (i = 0; i < n; i++) {
		assert_true(esc[i] >= 0x20 && esc[i] <= 0x7e);
		assert_true(esc[i] != '|');
	}
	memset(back, 0, sizeof(back));
	assert_int_equal(plp_unescape(esc, back, sizeof(back), &len), 0);
	assert_int_equal(len, sizeof(raw));
	assert_memory_equal(back, raw, sizeof(raw));

	/* Nothing is nothing. */
	assert_int_equal(plp_escape(esc, raw, 0), 0);
	assert_string_equal(esc, "");
	len = 99;
	assert_int_equal(plp_unescape("", back, 0, &len), 0);
	assert_int_equal(len, 0);
}

/* The two printable bytes that are escaped, and what is not. */
static void
test_escape_specials(void **state __unused)
{
	char	 esc[64];
	size_t	 n;

	n = plp_escape(esc, "|", 1);
	assert_int_equal(n, 4);
	assert_string_equal(esc, "\\174");
	n = plp_escape(esc, "\\", 1);
	assert_int_equal(n, 4);
	assert_string_equal(esc, "\\134");
	n = plp_escape(esc, "a|b\\c d\n", 8);
	assert_string_equal(esc, "a\\174b\\134c d\\012");
	assert_int_equal(n, strlen(esc));
	n = plp_escape(esc, "\0\377", 2);
	assert_string_equal(esc, "\\000\\377");
	n = plp_escape(esc, "~ !", 3);
	assert_string_equal(esc, "~ !");
}

static void
test_unescape_bad(void **state __unused)
{
	static const char *const	 bad[] = {
		"\\8", "\\400", "\\4000", "\\777", "\\12", "\\1", "\\",
		"a\\", "\\x41", "\\0a1", "|", "a|b", "\r", "\t", "\n",
		"\x7f", "\x80", "\xff", "\\\\"
	};
	u_char		 out[64];
	size_t		 i, len;

	for (i = 0; i < nitems(bad); i++)
		if (plp_unescape(bad[i], out, sizeof(out), &len) != -1)
			fail_msg("accepted: \"%s\"", bad[i]);
}

/* No room is an error, never a cut. */
static void
test_unescape_room(void **state __unused)
{
	u_char	 out[8];
	size_t	 len;

	memset(out, 0xaa, sizeof(out));
	assert_int_equal(plp_unescape("abc\\377", out, 4, &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(out, "abc\377", 4);
	assert_int_equal(out[4], 0xaa);
	assert_int_equal(plp_unescape("abc\\377", out, 3, &len), -1);
	assert_int_equal(plp_unescape("abcd", out, 3, &len), -1);
	assert_int_equal(plp_unescape("a", out, 0, &len), -1);
	assert_int_equal(out[4], 0xaa);
}

static void
test_word_ok(void **state __unused)
{
	assert_true(plp_word_ok("a", 2));
	assert_false(plp_word_ok("ab", 2));
	assert_false(plp_word_ok("", 2));
	assert_false(plp_word_ok("a", 1));
	assert_false(plp_word_ok("a", 0));
	assert_true(plp_word_ok("azAZ09._-", 10));
	assert_false(plp_word_ok("azAZ09._-", 9));
	assert_true(plp_word_ok("Official", MAX_LABEL));
	assert_false(plp_word_ok("Official servers", MAX_LABEL));
	assert_false(plp_word_ok("a|b", 10));
	assert_false(plp_word_ok("a\\b", 10));
	assert_false(plp_word_ok("a:b", 10));
	assert_false(plp_word_ok("a/b", 10));
	assert_false(plp_word_ok("ab ", 10));
	assert_false(plp_word_ok(" ab", 10));
	assert_false(plp_word_ok("\xc3\xb6", 10));
	/* A label: 1 to 31 bytes. */
	assert_true(plp_word_ok("0123456789012345678901234567890",
	    MAX_LABEL));
	assert_false(plp_word_ok("01234567890123456789012345678901",
	    MAX_LABEL));
}

static void
test_names(void **state __unused)
{
	assert_string_equal(plp_level_name(LOGLEVEL_ALWAYS), "always");
	assert_string_equal(plp_level_name(LOGLEVEL_ERROR), "error");
	assert_string_equal(plp_level_name(LOGLEVEL_PRINT), "print");
	assert_string_equal(plp_level_name(LOGLEVEL_VERBOSE), "verbose");
	assert_string_equal(plp_level_name(LOGLEVEL_DEBUG), "debug");
	assert_string_equal(plp_level_name(-1), "?");
	assert_string_equal(plp_level_name(LOGLEVEL_DEBUG + 1), "?");

	assert_string_equal(plp_kind_name(PLP_HEARTBEAT), "heartbeat");
	assert_string_equal(plp_kind_name(PLP_GETSERVERS), "getservers");
	assert_string_equal(plp_kind_name(-1), "?");
	assert_string_equal(plp_kind_name(PLP_KINDS), "?");

	assert_string_equal(plp_request_name(PLC_ADD_SERVER), "add-server");
	assert_string_equal(plp_request_name(PLC_COUNTERS), "counters");
	assert_string_equal(plp_request_name(PLC_SNAPSHOT), "snapshot");
	assert_string_equal(plp_request_name(PLC_FLATLINE), "flatline");
	assert_string_equal(plp_request_name(PLC_PROCESSES), "processes");
	assert_string_equal(plp_request_name(PLC_IGNORE_ADD), "ignore-add");
	assert_string_equal(plp_request_name(PLC_IGNORE_REMOVE),
	    "ignore-remove");
	assert_string_equal(plp_request_name(PLC_FEATURED_SET),
	    "featured-set");
	assert_string_equal(plp_request_name(PLC_MOTD_SET), "motd-set");
	assert_string_equal(plp_request_name(PLC_RELOAD), "reload");
	assert_string_equal(plp_request_name(PLC_SHUTDOWN), "shutdown");
	assert_string_equal(plp_request_name(-1), "?");
	assert_string_equal(plp_request_name(PLC_SHUTDOWN + 1), "?");

	assert_false(plp_request_admin(PLC_ADD_SERVER));
	assert_false(plp_request_admin(PLC_COUNTERS));
	assert_false(plp_request_admin(PLC_SNAPSHOT));
	assert_false(plp_request_admin(PLC_FLATLINE));
	assert_false(plp_request_admin(PLC_PROCESSES));
	assert_true(plp_request_admin(PLC_IGNORE_ADD));
	assert_true(plp_request_admin(PLC_IGNORE_REMOVE));
	assert_true(plp_request_admin(PLC_FEATURED_SET));
	assert_true(plp_request_admin(PLC_MOTD_SET));
	assert_true(plp_request_admin(PLC_RELOAD));
	assert_true(plp_request_admin(PLC_SHUTDOWN));
	assert_false(plp_request_admin(-1));
	assert_false(plp_request_admin(PLC_SHUTDOWN + 1));
}

/* Each name a request has is the one plp_parse() reads. */
static void
test_names_parse(void **state __unused)
{
	struct plp_line	 l;
	char		 buf[PLUGIN_LINE_MAX], s[128];
	int		 c, k, lv;

	for (c = PLC_ADD_SERVER; c <= PLC_SHUTDOWN; c++) {
		if (c == PLC_COUNTERS || c == PLC_SNAPSHOT ||
		    c == PLC_PROCESSES || c == PLC_RELOAD ||
		    c == PLC_SHUTDOWN)
			(void)snprintf(s, sizeof(s), "request|t|%s",
			    plp_request_name(c));
		else if (c == PLC_FEATURED_SET)
			(void)snprintf(s, sizeof(s), "request|t|%s|g|a",
			    plp_request_name(c));
		else
			(void)snprintf(s, sizeof(s), "request|t|%s|a",
			    plp_request_name(c));
		assert_int_equal(parse(buf, sizeof(buf), s, &l), 0);
		assert_int_equal(l.what, c);
	}
	for (k = 0; k < PLP_KINDS; k++) {
		(void)snprintf(s, sizeof(s), "register|filter|%s",
		    plp_kind_name(k));
		assert_int_equal(parse(buf, sizeof(buf), s, &l), 0);
		assert_int_equal(l.kind, k);
	}
	for (lv = LOGLEVEL_ALWAYS; lv <= LOGLEVEL_DEBUG; lv++) {
		(void)snprintf(s, sizeof(s), "register|report|log|%s",
		    plp_level_name(lv));
		assert_int_equal(parse(buf, sizeof(buf), s, &l), 0);
		assert_int_equal(l.level, lv);
	}
}

/* A refused line leaves nothing behind that looks parsed. */
static void
test_refused_clears(void **state __unused)
{
	struct plp_line	 l;
	char		 buf[PLUGIN_LINE_MAX];

	assert_int_equal(parse(buf, sizeof(buf), "request|tok|add-server|"
	    "1.2.3.4:1|x", &l), 0);
	assert_int_equal(parse(buf, sizeof(buf), "bogus", &l), -1);
	assert_null(l.token);
	assert_int_equal(l.narg, 0);
	assert_int_equal(l.len, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_each),
		cmocka_unit_test(test_register_bad),
		cmocka_unit_test(test_unknown_stream),
		cmocka_unit_test(test_result_each),
		cmocka_unit_test(test_result_token_range),
		cmocka_unit_test(test_result_bad_token),
		cmocka_unit_test(test_result_bad_verdict),
		cmocka_unit_test(test_result_data_count),
		cmocka_unit_test(test_result_empty_data),
		cmocka_unit_test(test_result_bad_escapes),
		cmocka_unit_test(test_result_good_escapes),
		cmocka_unit_test(test_result_data_size),
		cmocka_unit_test(test_request_each),
		cmocka_unit_test(test_request_data),
		cmocka_unit_test(test_request_token_length),
		cmocka_unit_test(test_request_token_chars),
		cmocka_unit_test(test_request_unknown),
		cmocka_unit_test(test_request_arg_counts),
		cmocka_unit_test(test_raw_pipe),
		cmocka_unit_test(test_too_many_fields),
		cmocka_unit_test(test_raw_bytes),
		cmocka_unit_test(test_nul_cut),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_escape_round_trip),
		cmocka_unit_test(test_escape_specials),
		cmocka_unit_test(test_unescape_bad),
		cmocka_unit_test(test_unescape_room),
		cmocka_unit_test(test_word_ok),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_names_parse),
		cmocka_unit_test(test_refused_clears),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
