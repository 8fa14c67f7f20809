/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Unit tests of netd/ratelimit.c (token buckets per address in a keyed
 * set-associative table), of ip_group() in netd/ipcount.c and of the
 * answer budget in netd/throttle.c.  Times are milliseconds, as netd_now()
 * gives them; the tests pass them in, so nothing here waits.
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

#include <sodium.h>

#include "netd.h"
#include "unit_addr.h"

/* What ipcount.c and throttle.c use of netd.c. */
struct netd_conf	 netd_conf;

#define TEN_YEARS	((int64_t)10 * 365 * 24 * 3600 * 1000)

static struct ipc_addr	 v4(uint32_t);
static struct ipc_addr	 v6(uint32_t);
static int		 spend(struct ratelimit *, const struct ipc_addr *,
			    int64_t, int);
static size_t		 set_of(const struct ratelimit *,
			    const struct ipc_addr *);
static void		 assert_group(int, const struct ipc_addr *,
			    const uint8_t *);

/* The IPv4 address 10.0.0.0 + n, port 30720. */
static struct ipc_addr
v4(uint32_t n)
{
	struct ipc_addr	 a;
	uint32_t	 be = htonl(0x0a000000 + n);

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	a.port = htons(30720);
	memcpy(a.addr, &be, sizeof(be));
	return (a);
}

/* The IPv6 address 2001:db8::n, port 30720. */
static struct ipc_addr
v6(uint32_t n)
{
	struct ipc_addr	 a;
	uint32_t	 be = htonl(n);

	memset(&a, 0, sizeof(a));
	a.family = AF_INET6;
	a.port = htons(30720);
	a.addr[0] = 0x20;
	a.addr[1] = 0x01;
	a.addr[2] = 0x0d;
	a.addr[3] = 0xb8;
	memcpy(a.addr + 12, &be, sizeof(be));
	return (a);
}

#define addr(s)	unit_addr((s), 30720)

/*
 * Call rl_allow() for a at now until it refuses, at most max times;
 * returns how many times it allowed.
 */
static int
spend(struct ratelimit *rl, const struct ipc_addr *a, int64_t now, int max)
{
	int	 n;

	for (n = 0; n < max; n++)
		if (!rl_allow(rl, a, now))
			break;
	return (n);
}

/*
 * The set rl_allow() puts a in, computed as ratelimit.c does it;
 * test_placement_model checks that the table behaves so.
 */
static size_t
set_of(const struct ratelimit *rl, const struct ipc_addr *a)
{
	u_char		 key[19];
	uint64_t	 h;

	key[0] = a->family;
	memcpy(key + 1, a->addr, sizeof(a->addr));
	memcpy(key + 17, &a->port, sizeof(a->port));
	(void)crypto_shorthash((u_char *)&h, key, sizeof(key), rl->key);
	return (h & (rl->nsets - 1));
}

/* A full bucket gives burst tokens at once, then none. */
static void
test_burst(void **state)
{
	struct ratelimit	 rl;
	struct ipc_addr		 a = v4(1);

	(void)state;
	rl_init(&rl, 64, 5, 1);
	assert_int_equal(spend(&rl, &a, 1000, 100), 5);
	assert_false(rl_allow(&rl, &a, 1000));
	/* One token a second: not a millisecond early. */
	assert_false(rl_allow(&rl, &a, 1999));
	assert_true(rl_allow(&rl, &a, 2000));
	assert_false(rl_allow(&rl, &a, 2000));
	free(rl.buckets);
}

/*
 * Whole tokens only, the time of the fraction kept: at 3 a second the
 * first token comes after 333.3 ms, so at 334 ms, and asking every
 * millisecond or every 100 ms gives three in a second, not fewer.
 */
static void
test_refill_fraction(void **state)
{
	struct ratelimit	 rl;
	struct ipc_addr		 a = v4(1);
	int64_t			 t;
	int			 n;

	(void)state;
	rl_init(&rl, 64, 10, 3);
	assert_int_equal(spend(&rl, &a, 0, 100), 10);
	assert_false(rl_allow(&rl, &a, 333));
	assert_true(rl_allow(&rl, &a, 334));
	assert_false(rl_allow(&rl, &a, 334));
	/* Two more by 1000 ms: the 0.33 ms left at 334 still count. */
	assert_false(rl_allow(&rl, &a, 666));
	assert_true(rl_allow(&rl, &a, 667));
	assert_false(rl_allow(&rl, &a, 999));
	assert_true(rl_allow(&rl, &a, 1000));
	assert_false(rl_allow(&rl, &a, 1000));

	/* Three a second, asked for every 100 ms. */
	n = 0;
	for (t = 1100; t <= 2000; t += 100)
		n += spend(&rl, &a, t, 100);
	assert_int_equal(n, 3);

	/* Three a second, asked for every millisecond. */
	n = 0;
	for (t = 2001; t <= 3000; t++)
		n += spend(&rl, &a, t, 100);
	assert_int_equal(n, 3);

	/* Not asked for a second: three at once. */
	assert_int_equal(spend(&rl, &a, 4000, 100), 3);
	free(rl.buckets);
}

/* Burst 0 is no limit, for any number of addresses and requests. */
static void
test_burst_zero(void **state)
{
	struct ratelimit	 rl;
	struct ipc_addr		 a;
	uint32_t		 i;

	(void)state;
	rl_init(&rl, 4, 0, 1);
	for (i = 0; i < 100000; i++) {
		a = v4(i % 1000);
		assert_true(rl_allow(&rl, &a, 1000));
	}
	free(rl.buckets);
}

/*
 * A clock going back gives no tokens, leaves those there and does not
 * move the time the bucket counts from.
 */
static void
test_time_backwards(void **state)
{
	struct ratelimit	 rl;
	struct ipc_addr		 a = v4(1), b = v4(2);

	(void)state;
	rl_init(&rl, 64, 3, 1);
	assert_true(rl_allow(&rl, &a, 10000));
	assert_int_equal(spend(&rl, &a, 5000, 100), 2);
	assert_false(rl_allow(&rl, &a, 0));
	assert_false(rl_allow(&rl, &a, -TEN_YEARS));
	assert_false(rl_allow(&rl, &a, 10999));
	assert_true(rl_allow(&rl, &a, 11000));
	assert_false(rl_allow(&rl, &a, 11000));

	/* A new bucket at a time before its set's other buckets. */
	assert_int_equal(spend(&rl, &b, 20000, 100), 3);
	assert_int_equal(spend(&rl, &b, 1000, 100), 0);
	assert_int_equal(spend(&rl, &b, 21000, 100), 1);
	free(rl.buckets);
}

/* However long the gap, a bucket holds burst tokens at most. */
static void
test_huge_gap(void **state)
{
	struct ratelimit	 rl;
	struct ipc_addr		 a = v4(1);

	(void)state;
	rl_init(&rl, 64, 5, 1);
	assert_int_equal(spend(&rl, &a, 0, 100), 5);
	assert_int_equal(spend(&rl, &a, TEN_YEARS, 100), 5);
	assert_int_equal(spend(&rl, &a, 2 * TEN_YEARS, 100), 5);
	free(rl.buckets);

	rl_init(&rl, 64, 5, 1000000);
	assert_int_equal(spend(&rl, &a, 0, 100), 5);
	assert_int_equal(spend(&rl, &a, TEN_YEARS, 100), 5);
	free(rl.buckets);
}

/*
 * However often an address asks, it gets rate tokens a second, no more
 * and not much fewer: from an empty bucket, for a second, asking every
 * millisecond a few times more than it may have.
 */
static void
test_rate_never_exceeded(void **state)
{
	static const uint32_t	 rates[] = { 1, 3, 36, 60, 501, 999, 1000,
				    1001, 1500, 2500, 999999, 1000000 };
	struct ratelimit	 rl;
	struct ipc_addr		 a = v4(1);
	int64_t			 t;
	size_t			 i;
	uint32_t		 rate;
	int			 n;

	(void)state;
	for (i = 0; i < nitems(rates); i++) {
		rate = rates[i];
		rl_init(&rl, 64, rate, rate);
		assert_int_equal(spend(&rl, &a, 0, rate + 1), rate);
		n = 0;
		for (t = 1; t <= 1000; t++)
			n += spend(&rl, &a, t, 3 + 2 * rate / 1000);
		if (n > (int)rate || n < (int)(rate - rate / 100))
			fail_msg("rate %u: %d tokens in a second", rate, n);
		free(rl.buckets);
	}
}

/* The top of --throttle-rate: a thousand tokens a millisecond. */
static void
test_rate_million(void **state)
{
	struct ratelimit	 rl;
	struct ipc_addr		 a = v6(1);

	(void)state;
	rl_init(&rl, 64, 5000, 1000000);
	assert_int_equal(spend(&rl, &a, 0, 10000), 5000);
	assert_int_equal(spend(&rl, &a, 1, 10000), 1000);
	assert_int_equal(spend(&rl, &a, 1, 10000), 0);
	assert_int_equal(spend(&rl, &a, 3, 10000), 2000);
	assert_int_equal(spend(&rl, &a, 1000000, 10000), 5000);
	free(rl.buckets);
}

/*
 * set_of() is where the table puts an address: four addresses of set 0
 * fill it, a fifth of set 0 is refused and one of set 1 is not.
 */
static void
test_placement_model(void **state)
{
	struct ratelimit	 rl;
	struct ipc_addr		 a, set0[RL_WAYS + 1], set1;
	uint32_t		 i;
	size_t			 n0 = 0, n1 = 0;

	(void)state;
	rl_init(&rl, 4, 1, 1);
	for (i = 0; n0 < nitems(set0) || n1 == 0; i++) {
		a = v4(i);
		if (set_of(&rl, &a) == 0 && n0 < nitems(set0))
			set0[n0++] = a;
		else if (set_of(&rl, &a) == 1 && n1 == 0) {
			set1 = a;
			n1++;
		}
	}
	for (i = 0; i < RL_WAYS; i++)
		assert_true(rl_allow(&rl, &set0[i], 1000));
	assert_false(rl_allow(&rl, &set0[RL_WAYS], 1000));
	assert_true(rl_allow(&rl, &set1, 1000));
	free(rl.buckets);
}

/*
 * A half-spent bucket is never replaced: other addresses fill every way
 * of every set, newcomers are refused while the buckets are not full
 * again and take them once they are, and the victim's bucket goes on
 * counting from where the victim left it all along.
 */
static void
test_never_replaced_while_not_full(void **state)
{
	struct ratelimit	 rl;
	struct ipc_addr		 victim = v4(0), a;
	const int		 ways = 4 * RL_WAYS;
	int64_t			 t0 = 1000;
	uint32_t		 i;
	int			 n;

	(void)state;
	rl_init(&rl, 4, 3, 1);
	assert_int_equal(spend(&rl, &victim, t0, 100), 3);

	/* A thousand others take every other way, once each. */
	n = 0;
	for (i = 1; i <= 1000; i++) {
		a = v4(i);
		n += rl_allow(&rl, &a, t0);
	}
	assert_int_equal(n, ways - 1);
	assert_false(rl_allow(&rl, &victim, t0));

	/* Just before their buckets are full, no newcomer gets in. */
	for (i = 1001; i <= 2000; i++) {
		a = v4(i);
		assert_false(rl_allow(&rl, &a, t0 + 999));
	}
	assert_false(rl_allow(&rl, &victim, t0 + 999));

	/*
	 * A second on, the victim has its one token; the others are full,
	 * so newcomers take their ways, never the victim's.
	 */
	assert_int_equal(spend(&rl, &victim, t0 + 1000, 100), 1);
	n = 0;
	for (i = 2001; i <= 3000; i++) {
		a = v4(i);
		n += rl_allow(&rl, &a, t0 + 1000);
	}
	assert_int_equal(n, ways - 1);
	assert_false(rl_allow(&rl, &victim, t0 + 1000));

	/*
	 * Had the victim lost its bucket, it would find a full one of a
	 * newcomer's now and get three tokens; it gets its one.
	 */
	assert_int_equal(spend(&rl, &victim, t0 + 2000, 100), 1);
	free(rl.buckets);
}

/*
 * The family is part of the key: the same 16 bytes are two addresses,
 * even in the same set (a table of one set).
 */
static void
test_family_in_key(void **state)
{
	struct ratelimit	 rl;
	struct ipc_addr		 a4 = addr("1.2.3.4"), a6 = addr("102:304::");

	(void)state;
	assert_memory_equal(a4.addr, a6.addr, sizeof(a4.addr));
	rl_init(&rl, 1, 1, 1);
	assert_true(rl_allow(&rl, &a4, 1000));
	assert_false(rl_allow(&rl, &a4, 1000));
	assert_true(rl_allow(&rl, &a6, 1000));
	assert_false(rl_allow(&rl, &a6, 1000));
	assert_false(rl_allow(&rl, &a4, 1000));
	free(rl.buckets);
}

/*
 * Each table draws its own key: the sets of 64 addresses in two tables
 * of four sets agree with probability 4^-64 if the keys are random.
 */
static void
test_tables_keyed_apart(void **state)
{
	struct ratelimit	 r1, r2;
	struct ipc_addr		 a;
	uint32_t		 i;
	int			 differ = 0;

	(void)state;
	rl_init(&r1, 4, 1, 1);
	rl_init(&r2, 4, 1, 1);
	assert_memory_not_equal(r1.key, r2.key, sizeof(r1.key));
	for (i = 0; i < 64; i++) {
		a = i % 2 ? v4(i) : v6(i);
		if (set_of(&r1, &a) != set_of(&r2, &a))
			differ++;
	}
	assert_true(differ > 0);
	free(r1.buckets);
	free(r2.buckets);
}

/* The port is part of the key: two ports of one address, two buckets. */
static void
test_port_in_key(void **state)
{
	struct ratelimit	 rl;
	struct ipc_addr		 a = addr("1.2.3.4"), b = addr("1.2.3.4");

	(void)state;
	b.port = htons(30721);
	rl_init(&rl, 1, 1, 1);
	assert_true(rl_allow(&rl, &a, 1000));
	assert_false(rl_allow(&rl, &a, 1000));
	assert_true(rl_allow(&rl, &b, 1000));
	assert_false(rl_allow(&rl, &b, 1000));
	free(rl.buckets);
}

/*
 * A table that fails open lets an address it has no room for through,
 * every time, and still never gives a spent bucket away.
 */
static void
test_fail_open(void **state)
{
	struct ratelimit	 rl;
	struct ipc_addr		 a;
	size_t			 i;

	(void)state;
	rl_init(&rl, 1, 2, 1);
	rl.fail_open = 1;
	for (i = 0; i < RL_WAYS; i++) {
		a = v4(i);
		assert_true(rl_allow(&rl, &a, 1000));
	}
	a = v4(RL_WAYS);
	for (i = 0; i < 10; i++)
		assert_true(rl_allow(&rl, &a, 1000));
	a = v4(0);
	assert_true(rl_allow(&rl, &a, 1000));
	assert_false(rl_allow(&rl, &a, 1000));
	free(rl.buckets);
}

/* ip_group(a) must be want in family, address and port. */
static void
assert_group(int prefix, const struct ipc_addr *a, const uint8_t *want)
{
	struct ipc_addr	 g;

	netd_conf.ipv6_prefix = prefix;
	memset(&g, 0xee, sizeof(g));
	ip_group(a, &g);
	assert_int_equal(g.family, a->family);
	assert_int_equal(g.port, 0);
	assert_memory_equal(g.addr, want, sizeof(g.addr));
}

/* IPv4 addresses count whole whatever the prefix; the port never does. */
static void
test_group_ipv4(void **state)
{
	struct ipc_addr	 a = addr("192.0.2.200");
	uint8_t		 want[16] = { 192, 0, 2, 200 };

	(void)state;
	assert_group(64, &a, want);
	assert_group(1, &a, want);
	assert_group(128, &a, want);
	/* Bytes past the IPv4 address do not make another group. */
	memset(a.addr + 4, 0x5a, 12);
	assert_group(64, &a, want);
}

/* IPv6 cut to --ipv6-prefix bits: /64, /128 and the masks between. */
static void
test_group_ipv6(void **state)
{
	struct ipc_addr	 a;
	uint8_t		 want[16];
	int		 prefix, bit;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.family = AF_INET6;
	a.port = htons(30720);
	memset(a.addr, 0xff, sizeof(a.addr));

	memset(want, 0, sizeof(want));
	memset(want, 0xff, 8);
	assert_group(64, &a, want);
	memset(want, 0xff, 16);
	assert_group(128, &a, want);

	memset(want, 0, sizeof(want));
	want[0] = 0x80;
	assert_group(1, &a, want);
	want[0] = 0xfe;
	assert_group(7, &a, want);
	want[0] = 0xff;
	want[1] = 0x80;
	assert_group(9, &a, want);
	memset(want, 0, sizeof(want));
	memset(want, 0xff, 7);
	want[7] = 0xfe;
	assert_group(63, &a, want);
	memset(want, 0xff, 8);
	want[8] = 0x80;
	assert_group(65, &a, want);

	/* Every prefix, bit by bit, on an address of mixed bits. */
	a = addr("2001:db8:a5c3:96f0:1e2d:3c4b:5a69:7887");
	for (prefix = 1; prefix <= 128; prefix++) {
		memset(want, 0, sizeof(want));
		for (bit = 0; bit < prefix; bit++)
			want[bit / 8] |= a.addr[bit / 8] & (0x80 >> (bit % 8));
		assert_group(prefix, &a, want);
	}
}

/* --answer-budget 0 lets every answer go. */
static void
test_budget_unlimited(void **state)
{
	int	 i;

	(void)state;
	netd_conf.answer_budget = 0;
	for (i = 0; i < 1000; i++)
		assert_true(throttle_budget(1 << 20, 1000));
}

/*
 * 1 KiB a second: 1024 bytes at once, not one more, half of it back
 * after half a second, and never more than a second's worth stored.
 */
static void
test_budget(void **state)
{
	int64_t	 t0 = 100000;

	(void)state;
	netd_conf.answer_budget = 1;
	netd_conf.throttle_burst = 10;
	netd_conf.throttle_rate = 1;
	netd_conf.challenge_burst = 10;
	throttle_init();
	assert_true(throttle_budget(1024, t0));
	assert_false(throttle_budget(1, t0));
	assert_true(throttle_budget(512, t0 + 500));
	assert_false(throttle_budget(1, t0 + 500));
	/* What does not fit takes nothing. */
	assert_false(throttle_budget(1025, t0 + 600000));
	assert_true(throttle_budget(1024, t0 + 600000));
	assert_false(throttle_budget(1, t0 + 600000));
	assert_false(throttle_budget(1025, t0 + TEN_YEARS));
	assert_true(throttle_budget(1000, t0 + TEN_YEARS));
	assert_true(throttle_budget(24, t0 + TEN_YEARS));
	assert_false(throttle_budget(1, t0 + TEN_YEARS));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_refill_fraction),
		cmocka_unit_test(test_burst_zero),
		cmocka_unit_test(test_time_backwards),
		cmocka_unit_test(test_huge_gap),
		cmocka_unit_test(test_rate_million),
		cmocka_unit_test(test_rate_never_exceeded),
		cmocka_unit_test(test_placement_model),
		cmocka_unit_test(test_never_replaced_while_not_full),
		cmocka_unit_test(test_family_in_key),
		cmocka_unit_test(test_port_in_key),
		cmocka_unit_test(test_fail_open),
		cmocka_unit_test(test_tables_keyed_apart),
		cmocka_unit_test(test_group_ipv4),
		cmocka_unit_test(test_group_ipv6),
		cmocka_unit_test(test_budget_unlimited),
		cmocka_unit_test(test_budget),
	};

	if (sodium_init() == -1)
		fail_msg("sodium_init");
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
