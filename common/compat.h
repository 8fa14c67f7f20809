/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Portability glue.  This is the first local include of every file, so that
 * the rest of the tree can be written as OpenBSD code.
 */

#ifndef COMPAT_H
#define COMPAT_H

#include <sys/types.h>
#include <sys/cdefs.h>

#ifndef __dead
#define __dead		__attribute__((__noreturn__))
#endif

#ifndef __unused
#define __unused	__attribute__((__unused__))
#endif

#ifndef nitems
#define nitems(_a)	(sizeof((_a)) / sizeof((_a)[0]))
#endif

#ifdef __OpenBSD__
#define setproctitle_init(argc, argv, envp)	do { } while (0)
#else
#define pledge(promises, execpromises)	(0)
#define unveil(path, permissions)	(0)
#endif

#endif /* COMPAT_H */
