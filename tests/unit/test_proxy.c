/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Unit tests of netd/proxy.c: PROXY protocol headers (v1, v2, in pieces,
 * malformed), and the forwarding headers read from the right past the
 * trusted proxies, with RFC 7239's quoted strings.
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
#include <stdlib.h>
#include <string.h>

/* cmocka needs the four headers above it. */
#include <cmocka.h>

#include "proxy.h"
#include "unit_addr.h"

/* 10.0.0.0/8 and 127.0.0.1 are the trusted proxies. */
static int
trusted(const struct ipc_addr *a)
{
	if (a->family != AF_INET)
		return (0);
	return (a->addr[0] == 10 || (a->addr[0] == 127 && a->addr[1] == 0 &&
	    a->addr[2] == 0 && a->addr[3] == 1));
}

static void
assert_addr(const struct ipc_addr *a, const char *host, uint16_t port)
{
	struct ipc_addr	 want = unit_addr(host, port);

	assert_int_equal(a->family, want.family);
	assert_memory_equal(a->addr, want.addr, a->family == AF_INET ? 4 :
	    16);
	assert_int_equal(a->port, want.port);
}

static enum proxy_result
parse(const char *s, size_t len, size_t *hdrlen, struct ipc_addr *a)
{
	return (proxy_parse((const u_char *)s, len, hdrlen, a));
}

static void
test_v1(void **state)
{
	const char	*h = "PROXY TCP4 192.0.2.7 127.0.0.1 4711 30700\r\nGET";
	struct ipc_addr	 a;
	size_t		 len, i, full = strlen(h) - 3;

	(void)state;
	assert_int_equal(parse(h, strlen(h), &len, &a), PROXY_ADDR);
	assert_int_equal(len, full);
	assert_addr(&a, "192.0.2.7", 4711);
	/* Every prefix of the line is more to come. */
	for (i = 1; i < full; i++)
		assert_int_equal(parse(h, i, &len, &a), PROXY_MORE);
	h = "PROXY TCP6 2001:db8::1 ::1 1 2\r\n";
	assert_int_equal(parse(h, strlen(h), &len, &a), PROXY_ADDR);
	assert_addr(&a, "2001:db8::1", 1);
	h = "PROXY UNKNOWN whatever\r\n";
	assert_int_equal(parse(h, strlen(h), &len, &a), PROXY_LOCAL);
	assert_int_equal(len, strlen(h));
	h = "GET / HTTP/1.1\r\n";
	assert_int_equal(parse(h, strlen(h), &len, &a), PROXY_NONE);
	assert_int_equal(parse("PRX", 3, &len, &a), PROXY_NONE);
}

static void
test_v1_bad(void **state)
{
	static const char *bad[] = {
		"PROXY TCP4 192.0.2.7 127.0.0.1 99999 1\r\n",
		"PROXY TCP5 192.0.2.7 127.0.0.1 1 1\r\n",
		"PROXY TCP4 2001:db8::1 127.0.0.1 1 1\r\n",
		"PROXY TCP4  192.0.2.7 127.0.0.1 1 1\r\n",
		"PROXY TCP4 192.0.2.7 127.0.0.1 1 1 extra\r\n",
		"PROXY TCP4 192.0.2.7 127.0.0.1 1\r\n",
		"PROXY TCP4 192.0.2.7 127.0.0.1 +1 1\r\n",
	};
	char		 nul[] = "PROXY TCP4 192.0.2.7\0 127.0.0.1 1 1\r\n";
	char		 longer[200];
	struct ipc_addr	 a;
	size_t		 len, i;

	(void)state;
	for (i = 0; i < nitems(bad); i++)
		assert_int_equal(parse(bad[i], strlen(bad[i]), &len, &a),
		    PROXY_BAD);
	assert_int_equal(parse(nul, sizeof(nul) - 1, &len, &a), PROXY_BAD);
	/* No end of line within 107 bytes. */
	memset(longer, 'x', sizeof(longer));
	memcpy(longer, "PROXY ", 6);
	assert_int_equal(parse(longer, PROXY_V1_MAX - 1, &len, &a),
	    PROXY_MORE);
	assert_int_equal(parse(longer, sizeof(longer), &len, &a), PROXY_BAD);
}

static size_t
v2(u_char *buf, u_char cmd, u_char fam, const void *addrs, size_t alen,
    size_t extra)
{
	static const u_char sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
	    0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };
	size_t	 n = alen + extra;

	memcpy(buf, sig, 12);
	buf[12] = 0x20 | cmd;
	buf[13] = fam;
	buf[14] = n >> 8;
	buf[15] = n & 0xff;
	memcpy(buf + 16, addrs, alen);
	memset(buf + 16 + alen, 0, extra);
	return (16 + n);
}

static void
test_v2(void **state)
{
	u_char		 buf[PROXY_MAX + 64], addrs[36], v4[12];
	struct ipc_addr	 a, want;
	size_t		 n, len, i;

	(void)state;
	want = unit_addr("192.0.2.9", 5000);
	memset(addrs, 0, sizeof(addrs));
	memcpy(addrs, want.addr, 4);
	addrs[8] = 5000 >> 8;
	addrs[9] = 5000 & 0xff;
	memcpy(v4, addrs, sizeof(v4));
	n = v2(buf, 1, 0x11, addrs, 12, 20);		/* TLVs after */
	assert_int_equal(proxy_parse(buf, n, &len, &a), PROXY_ADDR);
	assert_int_equal(len, n);
	assert_addr(&a, "192.0.2.9", 5000);
	for (i = 1; i < n; i++)
		assert_int_equal(proxy_parse(buf, i, &len, &a), PROXY_MORE);
	/* IPv6, and an IPv4-mapped IPv6 address, which is IPv4. */
	want = unit_addr("2001:db8::5", 4711);
	memcpy(addrs, want.addr, 16);
	addrs[32] = 4711 >> 8;
	addrs[33] = 4711 & 0xff;
	n = v2(buf, 1, 0x21, addrs, 36, 0);
	assert_int_equal(proxy_parse(buf, n, &len, &a), PROXY_ADDR);
	assert_addr(&a, "2001:db8::5", 4711);
	memset(addrs, 0, 16);
	addrs[10] = addrs[11] = 0xff;
	addrs[12] = 192; addrs[13] = 0; addrs[14] = 2; addrs[15] = 1;
	n = v2(buf, 1, 0x21, addrs, 36, 0);
	assert_int_equal(proxy_parse(buf, n, &len, &a), PROXY_ADDR);
	assert_addr(&a, "192.0.2.1", 4711);
	/* LOCAL, and a family without an address to use. */
	n = v2(buf, 0, 0x11, addrs, 12, 0);
	assert_int_equal(proxy_parse(buf, n, &len, &a), PROXY_LOCAL);
	n = v2(buf, 1, 0x31, addrs, 36, 0);		/* AF_UNIX stream */
	assert_int_equal(proxy_parse(buf, n, &len, &a), PROXY_LOCAL);
	/* Too short for its family, a bad version, too long. */
	n = v2(buf, 1, 0x11, addrs, 4, 0);
	assert_int_equal(proxy_parse(buf, n, &len, &a), PROXY_BAD);
	n = v2(buf, 1, 0x11, addrs, 12, 0);
	buf[12] = 0x31;
	assert_int_equal(proxy_parse(buf, n, &len, &a), PROXY_BAD);
	/* TLVs up to the bound nginx has too, and one byte more. */
	n = v2(buf, 1, 0x11, v4, 12, PROXY_MAX - PROXY_V2_HDR - 12);
	assert_int_equal(n, 4096);
	assert_int_equal(proxy_parse(buf, n, &len, &a), PROXY_ADDR);
	assert_int_equal(len, n);
	assert_addr(&a, "192.0.2.9", 5000);
	assert_int_equal(proxy_parse(buf, n - 1, &len, &a), PROXY_MORE);
	n = v2(buf, 1, 0x11, v4, 12, PROXY_MAX - PROXY_V2_HDR - 12 + 1);
	assert_int_equal(proxy_parse(buf, 16, &len, &a), PROXY_BAD);
}

/* proxy_forwarded() of a C string; a is set to 0.0.0.0:0 first. */
static int
fwd(const char *v, int kind, struct ipc_addr *a)
{
	*a = unit_addr("0.0.0.0", 0);
	return (proxy_forwarded(v, strlen(v), kind, trusted, a));
}

static void
test_x_forwarded_for(void **state)
{
	struct ipc_addr	 a;

	(void)state;
	assert_int_equal(fwd("", REALIP_XFF, &a), 0);
	assert_int_equal(fwd("192.0.2.1", REALIP_XFF, &a), 1);
	assert_addr(&a, "192.0.2.1", 0);
	/* From the right, past the trusted proxies only. */
	assert_int_equal(fwd("198.51.100.1, 192.0.2.1, 10.1.1.1, 127.0.0.1",
	    REALIP_XFF, &a), 1);
	assert_addr(&a, "192.0.2.1", 0);
	assert_int_equal(fwd("10.0.0.2,10.0.0.1", REALIP_XFF, &a), 1);
	assert_addr(&a, "10.0.0.2", 0);
	assert_int_equal(fwd("[2001:db8::1]:4711", REALIP_XFF, &a), 1);
	assert_addr(&a, "2001:db8::1", 4711);
	assert_int_equal(fwd("2001:db8::2", REALIP_XFF, &a), 1);
	assert_addr(&a, "2001:db8::2", 0);
	assert_int_equal(fwd("192.0.2.3:99", REALIP_XFF, &a), 1);
	assert_addr(&a, "192.0.2.3", 99);
	/* What the client wrote left of its own address is not read. */
	assert_int_equal(fwd("garbage, 192.0.2.4", REALIP_XFF, &a), 1);
	assert_addr(&a, "192.0.2.4", 0);
	/* No address where a proxy we trust should have written one. */
	assert_int_equal(fwd("unknown", REALIP_XFF, &a), -1);
	assert_int_equal(fwd("192.0.2.4, unknown, 10.0.0.1", REALIP_XFF, &a),
	    -1);
	assert_int_equal(fwd("192.0.2.4, , 10.0.0.1", REALIP_XFF, &a), -1);
	assert_int_equal(fwd("192.0.2.1:99999", REALIP_XFF, &a), -1);
	assert_int_equal(fwd("[2001:db8::1", REALIP_XFF, &a), -1);
	assert_addr(&a, "0.0.0.0", 0);		/* untouched */
}

static void
test_forwarded(void **state)
{
	struct ipc_addr	 a;
	char		 big[PROXY_FWD_MAX + 1];

	(void)state;
	assert_int_equal(fwd("for=192.0.2.2, for=\"[2001:db8::9]:4711\";"
	    "proto=http;by=127.0.0.1", REALIP_FORWARDED, &a), 1);
	assert_addr(&a, "2001:db8::9", 4711);
	assert_int_equal(fwd("For=192.0.2.5 ; proto=https", REALIP_FORWARDED,
	    &a), 1);
	assert_addr(&a, "192.0.2.5", 0);
	assert_int_equal(fwd("for=192.0.2.6, for=10.0.0.1", REALIP_FORWARDED,
	    &a), 1);
	assert_addr(&a, "192.0.2.6", 0);
	/* A ',' or ';' in a quoted string splits nothing. */
	assert_int_equal(fwd("for=198.51.100.7;host=\"x,for=203.0.113.9\"",
	    REALIP_FORWARDED, &a), 1);
	assert_addr(&a, "198.51.100.7", 0);
	assert_int_equal(fwd("host=\"a;for=b\";for=198.51.100.8;"
	    "proto=\"h\\\"t\"", REALIP_FORWARDED, &a), 1);
	assert_addr(&a, "198.51.100.8", 0);
	/* Not one: refused whole. */
	assert_int_equal(fwd("for=_hidden", REALIP_FORWARDED, &a), -1);
	assert_int_equal(fwd("for=unknown", REALIP_FORWARDED, &a), -1);
	assert_int_equal(fwd("proto=http", REALIP_FORWARDED, &a), -1);
	assert_int_equal(fwd("for=192.0.2.1;for=192.0.2.2", REALIP_FORWARDED,
	    &a), -1);
	assert_int_equal(fwd("for=\"192.0.2.1", REALIP_FORWARDED, &a), -1);
	assert_int_equal(fwd("for=192.0.2.1;host", REALIP_FORWARDED, &a), -1);
	assert_int_equal(fwd("for=\"192.0.2\\.1\"", REALIP_FORWARDED, &a), -1);
	assert_int_equal(fwd("for=[2001:db8::1]", REALIP_FORWARDED, &a), -1);
	assert_int_equal(fwd("host=\"a\", for=192.0.2.1", REALIP_FORWARDED,
	    &a), 1);
	assert_int_equal(fwd("for=192.0.2.1, host=\"a\"", REALIP_FORWARDED,
	    &a), -1);
	/* Longer than a request may carry. */
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big + sizeof(big) - 13, "for=10.0.0.1", 12);
	assert_int_equal(fwd(big, REALIP_FORWARDED, &a), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1),
		cmocka_unit_test(test_v1_bad),
		cmocka_unit_test(test_v2),
		cmocka_unit_test(test_x_forwarded_for),
		cmocka_unit_test(test_forwarded),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
