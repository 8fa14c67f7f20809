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

#define SQLITE_FILE		"stats.db"
#define TDB_CLIENT_FILE		"clientStats.tdb"
#define TDB_GAME_FILE		"gameStats.tdb"

struct db_ops {
	const char	*name;
	/* Open (creating) the files in the working directory; -1 on error. */
	int		(*open)(void);
	/* Start a group of writes; -1 on error. */
	int		(*begin)(void);
	/* 1 stored, 0 refused (bad content), -1 database error. */
	int		(*client)(const char *, const char *, const char *);
	int		(*game)(const char *, int64_t, const u_char *, size_t);
	/*
	 * Make the group durable: 0 done, 1 busy (the group stays open; try
	 * again later), -1 failed (the group is lost).
	 */
	int		(*commit)(void);
	void		(*close)(void);
};

extern const struct db_ops	db_sqlite;
extern const struct db_ops	db_tdb;
extern const struct db_ops	db_none;

int	db_text_ok(const u_char *, size_t);
int	db_report(const char *, int);
int	db_create(const char *, int);

#endif /* DB_H */
