/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * A helper of the unit tests: a numeric address of either family and a
 * port, as struct ipc_addr.
 */

#ifndef UNIT_ADDR_H
#define UNIT_ADDR_H

#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tremmasterd.h"

static inline struct ipc_addr
unit_addr(const char *s, uint16_t port)
{
	struct ipc_addr	 a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, a.addr) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, s, a.addr) == 1)
		a.family = AF_INET6;
	else
		fail_msg("bad address %s", s);
	a.port = htons(port);
	return (a);
}

#endif /* UNIT_ADDR_H */
