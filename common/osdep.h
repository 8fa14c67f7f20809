/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * What differs between systems, kept out of the main code.
 */

#ifndef OSDEP_H
#define OSDEP_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

int	osdep_self_path(const char *, char *, size_t);
int	osdep_rss(pid_t, uint64_t *);

/*
 * The sandbox of each child after start-up: a seccomp filter on Linux
 * (the argument, --no-seccomp, leaves it off), pledge(2) on OpenBSD.
 */
void	sandbox_netd(int);
void	sandbox_logd(int);
void	sandbox_puppet(int);
void	sandbox_api(int);

#endif /* OSDEP_H */
