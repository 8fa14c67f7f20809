/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The privileged parent: its sockets and its view of the children.
 */

#ifndef MASTER_H
#define MASTER_H

#include <sys/types.h>
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
int	listen_api(const struct options *, int *, int, char *, size_t);
void	listen_close(struct listener_head *);

/* admin.c */
struct ipc_plugin_admin;
int	admin_apply(const char *, const struct ipc_plugin_admin *,
	    const char *, int *, char *, size_t);

/* plugin.c */
struct ipcev;
struct ipc_plugin_end;
struct passwd;
int	plugins_init(const struct options *, const struct passwd *, char *,
	    size_t);
int	plugins_add_builtin(const char *, const char *, int, char **, int,
	    const int *, int, const char *, char *, size_t);
void	plugins_unveil(void);
void	plugins_start(struct ipcev *, const char *);
int	plugins_reaped(pid_t, int);
void	plugins_end(const struct ipc_plugin_end *);
void	plugins_stop(void);
void	plugins_netd_gone(void);
int	plugins_running(void);
void	plugins_kill(void);
const char *plugins_name(uint32_t);
int	plugins_admin(uint32_t);
pid_t	plugins_pid(uint32_t);

#endif /* MASTER_H */
