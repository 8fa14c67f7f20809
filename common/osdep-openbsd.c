/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * OpenBSD: no /proc, so the binary is found from argv[0], which must then
 * hold a slash ("./tremmasterd" or an absolute path).
 */

#include "compat.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "osdep.h"

int
osdep_self_path(const char *argv0, char *buf, size_t len)
{
	char	 path[PATH_MAX];

	if (strchr(argv0, '/') == NULL) {
		errno = ENOENT;
		return (-1);
	}
	if (realpath(argv0, path) == NULL)
		return (-1);
	if (strlcpy(buf, path, len) >= len) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	return (0);
}
