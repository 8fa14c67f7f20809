/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Unit tests of netd/ignore.c: the ignore.txt index against the edges of
 * CIDR ranges, and against a plain scan of every entry for random lists
 * and addresses.
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

#include "netd.h"
#include "unit_addr.h"

#define addr(s)	unit_addr((s), 30720)

static struct ipc_ignore
range(const char *s, int bits)
{
	struct ipc_ignore	 ig;

	memset(&ig, 0, sizeof(ig));
	ig.addr = addr(s);
	ig.prefixlen = (uint8_t)bits;
	return (ig);
}

static int
match(const struct ignore_index *ix, const char *s)
{
	struct ipc_addr	 a = addr(s);

	return (ignore_index_match(ix, &a));
}

static void
test_empty(void **state __unused)
{
	struct ignore_index	 ix;

	ignore_index_build(&ix, NULL, 0);
	assert_false(match(&ix, "1.2.3.4"));
	assert_false(match(&ix, "::1"));
}

static void
test_edges(void **state __unused)
{
	struct ignore_index	 ix;
	struct ipc_ignore	 ig[7];

	ig[0] = range("10.1.2.3", 32);
	/* Host bits in the entry do not matter: 192.168.7.9/23 is .6.0/23. */
	ig[1] = range("192.168.7.9", 23);
	ig[2] = range("172.16.0.0", 12);
	ig[3] = range("2001:db8::", 32);
	ig[4] = range("fe80::1", 128);
	ig[5] = range("2001:db8:1::", 48);	/* inside ig[3] */
	ig[6] = range("10.1.2.3", 32);		/* a duplicate */
	ignore_index_build(&ix, ig, nitems(ig));

	assert_true(match(&ix, "10.1.2.3"));
	assert_false(match(&ix, "10.1.2.2"));
	assert_false(match(&ix, "10.1.2.4"));
	assert_true(match(&ix, "192.168.6.0"));
	assert_true(match(&ix, "192.168.7.255"));
	assert_false(match(&ix, "192.168.5.255"));
	assert_false(match(&ix, "192.168.8.0"));
	assert_true(match(&ix, "172.16.0.1"));
	assert_true(match(&ix, "172.31.255.255"));
	assert_false(match(&ix, "172.32.0.0"));
	assert_false(match(&ix, "172.15.255.255"));
	assert_true(match(&ix, "2001:db8::1"));
	assert_true(match(&ix, "2001:db8:ffff:ffff::"));
	assert_true(match(&ix, "2001:db8:1::5"));
	assert_false(match(&ix, "2001:db9::"));
	assert_false(match(&ix, "2001:db7:ffff::"));
	assert_true(match(&ix, "fe80::1"));
	assert_false(match(&ix, "fe80::2"));
	/* The family counts: ::ffff:10.1.2.3 and 10.1.2.3 are apart. */
	assert_false(match(&ix, "::ffff:10.1.2.3"));
	assert_false(match(&ix, "::a01:203"));
}

static void
test_zero_prefix(void **state __unused)
{
	struct ignore_index	 ix;
	struct ipc_ignore	 ig[1];

	ig[0] = range("0.0.0.0", 0);
	ignore_index_build(&ix, ig, nitems(ig));
	assert_true(match(&ix, "1.2.3.4"));
	assert_true(match(&ix, "255.255.255.255"));
	assert_false(match(&ix, "::1"));
	ig[0] = range("::", 0);
	ignore_index_build(&ix, ig, nitems(ig));
	assert_true(match(&ix, "::1"));
	assert_true(match(&ix, "ffff::"));
	assert_false(match(&ix, "1.2.3.4"));
}

/*
 * The files' order survives the sort: ignore_order() gives back each
 * entry of the file, duplicates too, where the file had it.
 */
static void
test_file_order(void **state __unused)
{
	struct ignore_index	 ix;
	struct ipc_ignore	 file[6], ig[6];
	uint32_t		*order;
	size_t			 i;

	file[0] = range("192.0.2.7", 32);
	file[1] = range("2001:db8::", 32);
	file[2] = range("10.0.0.0", 8);
	file[3] = range("192.0.2.7", 32);
	file[4] = range("2001:db8::7", 128);
	file[5] = range("1.0.0.0", 24);
	memcpy(ig, file, sizeof(ig));
	ignore_index_build(&ix, ig, nitems(ig));
	/* Sorted: the first is not the file's first any more. */
	assert_int_not_equal(ig[0].addr.addr[0], 192);
	order = ignore_order(ig, nitems(ig));
	for (i = 0; i < nitems(file); i++) {
		assert_int_equal(ig[order[i]].addr.family,
		    file[i].addr.family);
		assert_int_equal(ig[order[i]].prefixlen, file[i].prefixlen);
		assert_memory_equal(ig[order[i]].addr.addr, file[i].addr.addr,
		    sizeof(file[i].addr.addr));
	}
	free(order);
	order = ignore_order(NULL, 0);
	free(order);
}

/* The plain scan the index replaces. */
static int
scan(const struct ipc_ignore *ig, size_t n, const struct ipc_addr *a)
{
	size_t	 i;
	int	 bits, k;

	for (i = 0; i < n; i++) {
		if (ig[i].addr.family != a->family)
			continue;
		bits = ig[i].prefixlen;
		for (k = 0; k < bits; k++)
			if (((ig[i].addr.addr[k / 8] ^ a->addr[k / 8]) &
			    (0x80 >> (k % 8))) != 0)
				break;
		if (k == bits)
			return (1);
	}
	return (0);
}

static void
random_addr(struct ipc_addr *a, int family)
{
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	arc4random_buf(a->addr, family == AF_INET ? 4 : 16);
	/* Crowd them, so that ranges catch some. */
	a->addr[0] = (uint8_t)(a->addr[0] % 4);
	a->port = (uint16_t)arc4random();
}

static void
test_random_against_scan(void **state __unused)
{
	struct ignore_index	 ix;
	struct ipc_ignore	*ig, *copy;
	struct ipc_addr		 a;
	size_t			 n, i, round, hits = 0, misses = 0;
	int			 family;

	for (round = 0; round < 20; round++) {
		n = 1 + arc4random_uniform(400);
		ig = calloc(n, sizeof(*ig));
		copy = calloc(n, sizeof(*copy));
		assert_non_null(ig);
		assert_non_null(copy);
		for (i = 0; i < n; i++) {
			family = arc4random_uniform(2) ? AF_INET : AF_INET6;
			random_addr(&ig[i].addr, family);
			ig[i].prefixlen = (uint8_t)arc4random_uniform(
			    family == AF_INET ? 33 : 129);
			/*
			 * Short prefixes catch everything: one in 50 is left
			 * under 12 bits, or a list of 400 can cover nearly
			 * every address and leave no misses to check (one run
			 * in about 150 failed so).
			 */
			if (ig[i].prefixlen < 12 && arc4random_uniform(50) != 0)
				ig[i].prefixlen += 12;
			else if (ig[i].prefixlen < 4)
				ig[i].prefixlen += 8;
		}
		memcpy(copy, ig, n * sizeof(*ig));
		ignore_index_build(&ix, copy, n);
		for (i = 0; i < 5000; i++) {
			family = arc4random_uniform(2) ? AF_INET : AF_INET6;
			if (i % 2 == 0) {
				/* An entry's network with random host bits. */
				a = ig[arc4random_uniform(n)].addr;
				if (a.family == AF_INET)
					a.addr[3] = (uint8_t)arc4random();
				else
					arc4random_buf(a.addr + 8, 8);
			} else
				random_addr(&a, family);
			if (scan(ig, n, &a)) {
				hits++;
				assert_true(ignore_index_match(&ix, &a));
			} else {
				misses++;
				assert_false(ignore_index_match(&ix, &a));
			}
		}
		free(ig);
		free(copy);
	}
	/* The draw must have tried both answers many times. */
	assert_true(hits > 1000);
	assert_true(misses > 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_zero_prefix),
		cmocka_unit_test(test_file_order),
		cmocka_unit_test(test_random_against_scan),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
