/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * OpenBSD: the sandbox of each child is pledge(2).  --no-seccomp has no
 * meaning here.
 */

#include "compat.h"

#include <unistd.h>

#include "log.h"
#include "osdep.h"

/* netd after STARTUP: its sockets are all passed, no more recvfd. */
void
sandbox_netd(int no_seccomp __unused)
{
	if (pledge("stdio inet", NULL) == -1)
		fatal("pledge");
}

/*
 * logd, its database open: the promises it made for the open (SQLite
 * journals come and go), until STARTUP drops recvfd.
 */
void
sandbox_logd(int no_seccomp __unused)
{
	if (pledge("stdio rpath wpath cpath flock recvfd", NULL) == -1)
		fatal("pledge");
}

/* The puppet plugin, chrooted, its files read: sockets only. */
void
sandbox_puppet(int no_seccomp __unused)
{
	if (pledge("stdio inet", NULL) == -1)
		fatal("pledge");
}

/* The REST API plugin, chrooted: its sockets and its channel only. */
void
sandbox_api(int no_seccomp __unused)
{
	if (pledge("stdio inet", NULL) == -1)
		fatal("pledge");
}
