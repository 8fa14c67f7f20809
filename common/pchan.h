/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/* The channel of this binary's plugins to netd (common/pchan.c). */

#ifndef PCHAN_H
#define PCHAN_H

#include <stdarg.h>
#include <stddef.h>

struct bufferevent;
struct event_base;

struct bufferevent	*pchan_open(struct event_base *, size_t,
			    void (*)(char *),
			    void (*)(struct bufferevent *, short, void *));
void			 pchan_send(const char *, ...)
			    __attribute__((__format__ (printf, 1, 2)));
void			 pchan_vsend(const char *, va_list)
			    __attribute__((__format__ (printf, 1, 0)));
size_t			 pchan_queued(void);

#endif /* PCHAN_H */
