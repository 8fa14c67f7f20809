/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * OpenBSD: no /proc, so the binary is found from argv[0], which must then
 * hold a slash ("./tremmasterd" or an absolute path), and the resident
 * memory of a process comes from sysctl(2) (pledge "ps").
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/sysctl.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/*
 * The resident memory of pid, in bytes: p_vm_rssize pages of its
 * kinfo_proc times the page size.  -1 when it cannot be read; a process
 * that has exited and waits to be reaped has none, and counts as gone.
 */
int
osdep_rss(pid_t pid, uint64_t *rss)
{
	struct kinfo_proc	 kp;
	size_t			 len = sizeof(kp);
	int			 mib[6];

	mib[0] = CTL_KERN;
	mib[1] = KERN_PROC;
	mib[2] = KERN_PROC_PID;
	mib[3] = (int)pid;
	mib[4] = sizeof(kp);
	mib[5] = 1;
	if (sysctl(mib, nitems(mib), &kp, &len, NULL, 0) == -1)
		return (-1);
	if (len != sizeof(kp) || kp.p_vm_rssize <= 0) {
		errno = ESRCH;
		return (-1);
	}
	*rss = (uint64_t)kp.p_vm_rssize * (uint64_t)getpagesize();
	return (0);
}
