/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The data files the parent reads (featured.txt, ignore.txt, motd.txt) and
 * the server list it keeps (serverlist.txt).
 */

#ifndef FILES_H
#define FILES_H

#include <sys/queue.h>

#include <stdio.h>

#include "tremmasterd.h"

#define FEATURED_FILE		"featured.txt"
#define IGNORE_FILE		"ignore.txt"
#define MOTD_FILE		"motd.txt"
#define SERVERLIST_FILE		"serverlist.txt"
#define SERVERLIST_MAX		(1 << 20)	/* servers kept, lines read */

#define DF_FEATURED		0x01
#define DF_IGNORE		0x02
#define DF_MOTD			0x04
#define DF_ALL			(DF_FEATURED | DF_IGNORE | DF_MOTD)
#define DF_STAMP_LEN		512

struct featured {
	TAILQ_ENTRY(featured)	 entry;
	char			 label[MAX_LABEL];
	struct ipc_addr		*addrs;
	size_t			 naddrs;
};
TAILQ_HEAD(featured_head, featured);

struct datafiles {
	struct featured_head	 featured;
	struct ipc_ignore	*ignore;
	size_t			 nignore;
	char			 motd[MAX_MOTD];
};

struct serverlist {
	struct ipc_addr		*addrs;
	size_t			 n;
	size_t			 cap;
	size_t			 dropped;	/* past SERVERLIST_MAX */
};

void	datafiles_init(struct datafiles *);
void	datafiles_free(struct datafiles *);
int	datafile_open(const char *, int);
int	datafiles_load(const char *, struct datafiles *);
int	datafiles_load_some(const char *, struct datafiles *, int);
void	datafiles_stamp(const char *, int, char *, size_t);
size_t	featured_count(const struct datafiles *);
int	featured_parse(FILE *, const char *, struct datafiles *);
int	ignore_parse(FILE *, const char *, struct datafiles *);
int	motd_parse(FILE *, const char *, struct datafiles *);

void	datafile_writer(uid_t, gid_t);
FILE	*datafile_rewrite(const char *, const char *, char *, char *, size_t);
int	datafile_commit(FILE *, const char *, const char *, int);
int	ignore_token(const char *, struct ipc_ignore *);

int	serverlist_add(struct serverlist *, const struct ipc_addr *);
void	serverlist_free(struct serverlist *);
int	serverlist_parse(FILE *, const char *, struct serverlist *);
int	serverlist_read(const char *, struct serverlist *);
int	serverlist_write(const char *, const struct serverlist *);

#endif /* FILES_H */
