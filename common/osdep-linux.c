/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Linux: the running binary is /proc/self/exe.
 */

#include "compat.h"

#include <errno.h>
#include <unistd.h>

#include "osdep.h"

int
osdep_self_path(const char *argv0 __unused, char *buf, size_t len)
{
	ssize_t	 n;

	if ((n = readlink("/proc/self/exe", buf, len)) == -1)
		return (-1);
	if ((size_t)n >= len) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	buf[n] = '\0';
	return (0);
}
