/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Stateless challenges.  The challenge sent to a server is a keyed PRF of
 * where it goes and of the time: SipHash-2-4 with a 128-bit output
 * (libsodium's crypto_shorthash_siphashx24) under a key drawn at start-up,
 * over the family, address, port and WebSocket connection of the server
 * and the number of the current --challenge-timeout period.  An
 * infoResponse is checked by computing it again for the current and the
 * previous period, so a challenge is good for one to two timeouts, a new
 * heartbeat never invalidates one already sent, and a heartbeat leaves no
 * state at all: only an answered challenge makes a server entry (the
 * scheme of ioquake3's SV_CreateChallenge).
 */

#include "compat.h"

#include <sys/types.h>

#include <sodium.h>
#include <stdint.h>
#include <string.h>

#include "netd.h"

static u_char	 key[crypto_shorthash_siphashx24_KEYBYTES];

static void	challenge_at(const struct ipc_addr *, uint32_t, int64_t,
		    char *);
static int64_t	challenge_period(int64_t);

/* A fresh key: challenges of an earlier run are worthless. */
void
challenge_init(void)
{
	arc4random_buf(key, sizeof(key));
}

/* The challenge of period for a (ws_id 0 over UDP), in buf. */
static void
challenge_at(const struct ipc_addr *a, uint32_t ws_id, int64_t period,
    char *buf)
{
	u_char		 in[1 + 2 + 16 + 4 + 8], out[16];
	uint64_t	 p = (uint64_t)period;

	in[0] = a->family;
	memcpy(in + 1, &a->port, 2);
	memcpy(in + 3, a->addr, 16);
	memcpy(in + 19, &ws_id, 4);
	memcpy(in + 23, &p, 8);
	(void)crypto_shorthash_siphashx24(out, in, sizeof(in), key);
	proto_challenge_encode(out, buf);
}

static int64_t
challenge_period(int64_t now)
{
	return (now / ((int64_t)netd_conf.challenge_timeout * 1000));
}

/* The challenge to send a now; buf holds CHALLENGE_LEN + 1. */
void
challenge_make(const struct ipc_addr *a, uint32_t ws_id, int64_t now,
    char *buf)
{
	challenge_at(a, ws_id, challenge_period(now), buf);
}

/* Returns 1 when got is the challenge of a's current or last period. */
int
challenge_check(const struct ipc_addr *a, uint32_t ws_id, int64_t now,
    const char *got)
{
	char	 want[CHALLENGE_LEN + 1];
	int64_t	 period = challenge_period(now);
	int	 i;

	if (strlen(got) != CHALLENGE_LEN)
		return (0);
	for (i = 0; i < 2; i++) {
		challenge_at(a, ws_id, period - i, want);
		if (sodium_memcmp(want, got, CHALLENGE_LEN) == 0)
			return (1);
	}
	return (0);
}
