/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Test helper, never part of the daemon: preloaded (LD_PRELOAD) into a
 * test run, it moves the monotonic clocks forward by the number of
 * seconds held in the file named by $CLOCKSHIFT_FILE (a native int64_t at
 * offset 0).  The file is mapped shared when the library is loaded, before
 * any chroot, so the test moves the daemon's clock by rewriting it: a
 * deadline of minutes is reached in a moment.  test_ws_limits.py builds
 * it with cc.
 */

#define _GNU_SOURCE

#include <sys/mman.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile const int64_t	*shift;
static int			(*real_clock_gettime)(clockid_t,
				    struct timespec *);

static void clockshift_init(void) __attribute__((constructor));

static void
clockshift_init(void)
{
	const char	*path;
	void		*p;
	int		 fd;

	real_clock_gettime = (int (*)(clockid_t, struct timespec *))
	    dlsym(RTLD_NEXT, "clock_gettime");
	if ((path = getenv("CLOCKSHIFT_FILE")) == NULL)
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	p = mmap(NULL, sizeof(int64_t), PROT_READ, MAP_SHARED, fd, 0);
	(void)close(fd);
	if (p != MAP_FAILED)
		shift = p;
}

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	int	 r;

	if (real_clock_gettime == NULL)
		real_clock_gettime = (int (*)(clockid_t, struct timespec *))
		    dlsym(RTLD_NEXT, "clock_gettime");
	r = real_clock_gettime(id, ts);
	if (r == 0 && shift != NULL && (id == CLOCK_MONOTONIC ||
	    id == CLOCK_MONOTONIC_COARSE || id == CLOCK_MONOTONIC_RAW ||
	    id == CLOCK_BOOTTIME))
		ts->tv_sec += *shift;
	return (r);
}
