/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Linux: the running binary is /proc/self/exe, the resident memory of a
 * process the second field of /proc/PID/statm.
 */

#include "compat.h"

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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

/*
 * The resident memory of pid, in bytes: its pages in /proc/PID/statm
 * times the page size.  -1 when it cannot be read; a process that has
 * exited and waits to be reaped has none, and counts as gone.
 */
int
osdep_rss(pid_t pid, uint64_t *rss)
{
	char			 path[64], buf[256];
	unsigned long long	 size, pages;
	long			 pagesize;
	ssize_t			 n;
	int			 fd;

	(void)snprintf(path, sizeof(path), "/proc/%ld/statm", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return (-1);
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &size, &pages) != 2 || pages == 0 ||
	    (pagesize = sysconf(_SC_PAGESIZE)) <= 0) {
		errno = ESRCH;
		return (-1);
	}
	*rss = (uint64_t)pages * (uint64_t)pagesize;
	return (0);
}
