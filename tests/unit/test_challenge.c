/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Unit tests of netd/challenge.c: stateless challenges, good for the
 * --challenge-timeout period they were made in and the next one, bound to
 * the address, port, family and WebSocket connection they went to, and
 * written in the alphabet of proto_challenge_char_ok().
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

/* What challenge.c uses of netd.c. */
struct netd_conf	 netd_conf;

#define TIMEOUT		5		/* --challenge-timeout, seconds */
#define PERIOD		(TIMEOUT * 1000)

static int		 setup(void **);

#define addr(s, p)	unit_addr((s), (p))

/* Each test starts with a fresh key and the timeout of 5 s. */
static int
setup(void **state)
{
	(void)state;
	netd_conf.challenge_timeout = TIMEOUT;
	challenge_init();
	return (0);
}

/* Good anywhere in the period it was made in, and the same again. */
static void
test_same_period(void **state)
{
	struct ipc_addr	 a = addr("192.0.2.1", 30720);
	char		 c[CHALLENGE_LEN + 1], again[CHALLENGE_LEN + 1];
	int64_t		 t0 = 7 * PERIOD;

	(void)state;
	challenge_make(&a, 0, t0 + 1234, c);
	assert_int_equal(strlen(c), CHALLENGE_LEN);
	assert_true(challenge_check(&a, 0, t0 + 1234, c));
	assert_true(challenge_check(&a, 0, t0, c));
	assert_true(challenge_check(&a, 0, t0 + PERIOD - 1, c));
	/* Stateless: made again in the period, it is the same. */
	challenge_make(&a, 0, t0, again);
	assert_string_equal(c, again);
	challenge_make(&a, 0, t0 + PERIOD - 1, again);
	assert_string_equal(c, again);
}

/*
 * Made at the very end of a period, good through the next one; made at
 * its start, no longer two periods on.  Never good before it was made.
 */
static void
test_periods(void **state)
{
	struct ipc_addr	 a = addr("2001:db8::1", 30720);
	char		 c[CHALLENGE_LEN + 1], next[CHALLENGE_LEN + 1];
	int64_t		 t0 = 7 * PERIOD;

	(void)state;
	challenge_make(&a, 0, t0 + PERIOD - 1, c);
	assert_true(challenge_check(&a, 0, t0 + PERIOD, c));
	assert_true(challenge_check(&a, 0, t0 + 2 * PERIOD - 1, c));
	assert_false(challenge_check(&a, 0, t0 + 2 * PERIOD, c));
	assert_false(challenge_check(&a, 0, t0 + 100 * PERIOD, c));
	assert_false(challenge_check(&a, 0, t0 - 1, c));

	challenge_make(&a, 0, t0, c);
	assert_true(challenge_check(&a, 0, t0 + 2 * PERIOD - 1, c));
	assert_false(challenge_check(&a, 0, t0 + 2 * PERIOD, c));

	/* Each period has its own. */
	challenge_make(&a, 0, t0 + PERIOD, next);
	assert_string_not_equal(c, next);
}

/* The period follows --challenge-timeout. */
static void
test_timeout_option(void **state)
{
	struct ipc_addr	 a = addr("192.0.2.1", 30720);
	char		 c[CHALLENGE_LEN + 1];

	(void)state;
	netd_conf.challenge_timeout = 60;
	challenge_make(&a, 0, 0, c);
	assert_true(challenge_check(&a, 0, 119999, c));
	assert_false(challenge_check(&a, 0, 120000, c));
}

/*
 * Another port, address, family or WebSocket connection gets another
 * challenge, and the first one is no good for it.
 */
static void
test_bound_to_destination(void **state)
{
	struct ipc_addr	 a = addr("192.0.2.1", 30720), b[6];
	char		 c[CHALLENGE_LEN + 1], d[CHALLENGE_LEN + 1];
	int64_t		 now = 123456789;
	size_t		 i;

	(void)state;
	b[0] = addr("192.0.2.1", 30721);
	b[1] = addr("192.0.2.2", 30720);
	/* The same 16 bytes as a, as an IPv6 address. */
	b[2] = addr("c000:201::", 30720);
	assert_memory_equal(a.addr, b[2].addr, sizeof(a.addr));
	b[3] = addr("::ffff:192.0.2.1", 30720);
	/* The last byte of an IPv6 address counts too. */
	b[4] = addr("2001:db8::1", 30720);
	b[5] = addr("2001:db8::2", 30720);

	challenge_make(&b[4], 0, now, c);
	challenge_make(&b[5], 0, now, d);
	assert_string_not_equal(c, d);
	assert_false(challenge_check(&b[5], 0, now, c));

	challenge_make(&a, 0, now, c);
	for (i = 0; i < nitems(b); i++) {
		challenge_make(&b[i], 0, now, d);
		assert_string_not_equal(c, d);
		assert_false(challenge_check(&b[i], 0, now, c));
		assert_true(challenge_check(&b[i], 0, now, d));
		assert_false(challenge_check(&a, 0, now, d));
	}

	/* Over WebSocket: connection 0 (UDP), 1 and 2 differ. */
	challenge_make(&a, 1, now, d);
	assert_string_not_equal(c, d);
	assert_false(challenge_check(&a, 0, now, d));
	assert_false(challenge_check(&a, 2, now, d));
	assert_true(challenge_check(&a, 1, now, d));
	assert_false(challenge_check(&a, 1, now, c));
}

/* Only the whole challenge: longer, shorter, empty or changed fails. */
static void
test_length(void **state)
{
	struct ipc_addr	 a = addr("192.0.2.1", 30720);
	char		 c[CHALLENGE_LEN + 1], buf[CHALLENGE_LEN + 2];
	int64_t		 now = 123456789;
	size_t		 i;

	(void)state;
	challenge_make(&a, 0, now, c);
	memcpy(buf, c, CHALLENGE_LEN);
	buf[CHALLENGE_LEN] = 'x';
	buf[CHALLENGE_LEN + 1] = '\0';
	assert_false(challenge_check(&a, 0, now, buf));
	buf[CHALLENGE_LEN] = c[0];
	assert_false(challenge_check(&a, 0, now, buf));
	buf[CHALLENGE_LEN - 1] = '\0';
	assert_false(challenge_check(&a, 0, now, buf));
	assert_false(challenge_check(&a, 0, now, ""));
	for (i = 0; i < CHALLENGE_LEN; i++) {
		memcpy(buf, c, sizeof(c));
		buf[i] = buf[i] == 'A' ? 'B' : 'A';
		assert_false(challenge_check(&a, 0, now, buf));
	}
	assert_true(challenge_check(&a, 0, now, c));
}

/*
 * Every character is one proto_challenge_char_ok() takes, and every such
 * character turns up: 2000 challenges give 24000 characters, about 270
 * of each of the 89.  The two halves stand for the two halves of the
 * PRF's 128 bits, so they match only by a chance of 89^-6.
 */
static void
test_alphabet(void **state)
{
	struct ipc_addr	 a = addr("2001:db8::", 30720);
	char		 c[CHALLENGE_LEN + 1];
	int		 seen[256], i, j, ok = 0;

	(void)state;
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 2000; i++) {
		a.port = htons((uint16_t)i);
		challenge_make(&a, (uint32_t)i / 7, (int64_t)i * 977, c);
		assert_int_equal(strlen(c), CHALLENGE_LEN);
		for (j = 0; j < CHALLENGE_LEN; j++) {
			assert_true(proto_challenge_char_ok((u_char)c[j]));
			seen[(u_char)c[j]]++;
		}
		assert_memory_not_equal(c, c + CHALLENGE_LEN / 2,
		    CHALLENGE_LEN / 2);
	}
	for (i = 0; i < 256; i++) {
		if (!proto_challenge_char_ok(i))
			continue;
		ok++;
		assert_true(seen[i] > 100);
	}
	assert_int_equal(ok, 89);
}

/* A new key (a restart) makes every earlier challenge worthless. */
static void
test_new_key(void **state)
{
	struct ipc_addr	 a = addr("192.0.2.1", 30720);
	char		 c[CHALLENGE_LEN + 1], d[CHALLENGE_LEN + 1];
	int64_t		 now = 123456789;

	(void)state;
	challenge_make(&a, 0, now, c);
	assert_true(challenge_check(&a, 0, now, c));
	challenge_init();
	assert_false(challenge_check(&a, 0, now, c));
	challenge_make(&a, 0, now, d);
	assert_string_not_equal(c, d);
	assert_true(challenge_check(&a, 0, now, d));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_same_period, setup),
		cmocka_unit_test_setup(test_periods, setup),
		cmocka_unit_test_setup(test_timeout_option, setup),
		cmocka_unit_test_setup(test_bound_to_destination, setup),
		cmocka_unit_test_setup(test_length, setup),
		cmocka_unit_test_setup(test_alphabet, setup),
		cmocka_unit_test_setup(test_new_key, setup),
	};

	if (sodium_init() == -1)
		fail_msg("sodium_init");
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
