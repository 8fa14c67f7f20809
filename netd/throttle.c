/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * What netd sends is bounded three ways, because a master answers spoofed
 * addresses too:
 *  - requests that make the master answer with more bytes than it got
 *    (server lists, MOTD) are throttled per source address: a token
 *    bucket of --throttle-burst requests, refilled at --throttle-rate a
 *    second;
 *  - challenges (getinfo) to an address and port that has no listed
 *    server are limited per destination, --challenge-burst regaining one
 *    a second, so that spoofed heartbeats cannot use up a real server's
 *    own getinfo limit (ioquake3 answers about 10, then 1 a second, per
 *    address, in each server process).  The port is part of the key: a
 *    limit per IP address alone could be spent by heartbeats "from" other
 *    ports of a server's address, and keep it from being challenged.  The
 *    table fails open: a getinfo is no bigger than a heartbeat, so letting
 *    one through gives nothing to reflect, while refusing would keep new
 *    servers out while the table is full;
 *  - the bytes of UDP list and MOTD answers share one budget a second
 *    (--answer-budget), what a flood from many spoofed sources can
 *    reflect in all.
 * IPv6 addresses count by their --ipv6-prefix bits (ip_group()).
 */

#include "compat.h"

#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include "netd.h"

#define THROTTLE_SETS	16384	/* times RL_WAYS buckets, 2.5 MiB */
#define CHALLENGE_SETS	16384

static struct ratelimit	 requests, challenges;
static int64_t		 budget_last;	/* ms */
static uint64_t		 budget_bytes;

/* The tables, sized and keyed once the options are known. */
void
throttle_init(void)
{
	rl_init(&requests, THROTTLE_SETS, (uint32_t)netd_conf.throttle_burst,
	    (uint32_t)netd_conf.throttle_rate);
	rl_init(&challenges, CHALLENGE_SETS,
	    (uint32_t)netd_conf.challenge_burst, 1);
	challenges.fail_open = 1;
	budget_bytes = (uint64_t)netd_conf.answer_budget * 1024;
}

/* Returns 1 when a request from a may be answered now. */
int
throttle_allow(const struct ipc_addr *a, int64_t now)
{
	struct ipc_addr	 g;

	ip_group(a, &g);
	return (rl_allow(&requests, &g, now));
}

/* Returns 1 when a challenge may go to a (address and port) now. */
int
throttle_challenge(const struct ipc_addr *a, int64_t now)
{
	return (rl_allow(&challenges, a, now));
}

/*
 * Returns 1 when an answer of len bytes fits in what is left of the
 * budget, which refills at --answer-budget KiB a second up to one
 * second's worth.
 */
int
throttle_budget(size_t len, int64_t now)
{
	uint64_t	 cap, gained;

	if (netd_conf.answer_budget == 0)
		return (1);
	cap = (uint64_t)netd_conf.answer_budget * 1024;
	if (now > budget_last) {
		gained = (uint64_t)(now - budget_last) * cap / 1000;
		budget_bytes = budget_bytes + gained > cap ? cap :
		    budget_bytes + gained;
		budget_last = now;
	}
	if (budget_bytes < len)
		return (0);
	budget_bytes -= len;
	return (1);
}
