/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The statistics backends behind one small interface: SQLite (stats.db),
 * TDB (clientStats.tdb and gameStats.tdb), or none.
 */

#ifndef DB_H
#define DB_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tremmasterd.h"

/* What client() and game() say of a record. */
#define DB_ERROR	-1	/* database error, not stored */
#define DB_REFUSED	0	/* bad content, not stored */
#define DB_STORED	1
#define DB_FULL		2	/* past the size limit: not stored */
#define DB_FULL_LOST	3	/* same, and the open group is lost too */

/* What room() says of the next record. */
#define DB_ROOM_NONE	0	/* the database is at its size limit */
#define DB_ROOM_TIGHT	1	/* it may not fit: commit the group first */
#define DB_ROOM_PLENTY	2

/* Which record room() is asked about. */
#define DB_KIND_CLIENT	0
#define DB_KIND_GAME	1

struct db_ops {
	const char	*name;
	/*
	 * Open (creating) the files in the working directory, each to grow
	 * to at most the given bytes (0, no limit); -1 on error.
	 */
	int		(*open)(int64_t);
	/* Start a group of writes; -1 on error. */
	int		(*begin)(void);
	/* Room for one more record of a kind under the size limit. */
	int		(*room)(int);
	/* DB_STORED, DB_REFUSED, DB_FULL, DB_FULL_LOST or DB_ERROR. */
	int		(*client)(const char *, const char *, const char *);
	int		(*game)(const char *, int64_t, const u_char *, size_t);
	/*
	 * Make the group durable: 0 done, 1 busy (the group stays open; try
	 * again later), -1 failed (the group is lost), 2 the database is
	 * full (the group is lost).
	 */
	int		(*commit)(void);
	void		(*close)(void);
};

extern const struct db_ops	db_sqlite;
extern const struct db_ops	db_tdb;
extern const struct db_ops	db_none;


#endif /* DB_H */
