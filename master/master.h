/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The privileged parent: its sockets and its view of the children.
 */

#ifndef MASTER_H
#define MASTER_H

#include <sys/queue.h>

#include <stdint.h>

#include "options.h"

struct listener {
	TAILQ_ENTRY(listener)	 entry;
	int			 fd;
	int			 role;		/* enum sock_role */
	int			 family;
	uint16_t		 port;
};
TAILQ_HEAD(listener_head, listener);

int	listen_open(const struct options *, struct listener_head *);
void	listen_close(struct listener_head *);

#endif /* MASTER_H */
