/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * SQLite backend: stats.db with the tables of the Python master's
 * logsqlite.py, created when missing.  Statements are prepared once and
 * values bound; writes are grouped in transactions.
 */

#include "compat.h"

#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "log.h"
#include "util.h"

#define BUSY_TIMEOUT	5000	/* milliseconds */
#define ROOM_MARGIN	16	/* pages one record may need, at most */

static sqlite3		*db;
static sqlite3_stmt	*st_client, *st_game, *st_begin, *st_commit;
static sqlite3_stmt	*st_used;
static int64_t		 max_pages;	/* 0: no limit */

static int	sq_open(int64_t);
static int	sq_limit(int64_t);
static int	sq_begin(void);
static int	sq_room(int);
static int	sq_client(const char *, const char *, const char *);
static int	sq_game(const char *, int64_t, const u_char *, size_t);
static int	sq_commit(void);
static void	sq_close(void);
static int	sq_step(sqlite3_stmt *, const char *);
static int	sq_insert(sqlite3_stmt *, const char *);

const struct db_ops db_sqlite = {
	"sqlite", sq_open, sq_begin, sq_room, sq_client, sq_game, sq_commit,
	sq_close
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS clients (addr TEXT, version TEXT, "
    "renderer TEXT);"
    "CREATE TABLE IF NOT EXISTS gamestats (addr TEXT, time INTEGER, "
    "data TEXT);";

static int
sq_open(int64_t limit)
{
	char	*errmsg = NULL;

	if (sqlite3_open_v2(SQLITE_FILE, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		log_warnx("%s: %s", SQLITE_FILE, db != NULL ?
		    sqlite3_errmsg(db) : "cannot open");
		sq_close();
		return (-1);
	}
	(void)sqlite3_busy_timeout(db, BUSY_TIMEOUT);
	/* No temporary directory in the jail. */
	if (sqlite3_exec(db, "PRAGMA temp_store=MEMORY;", NULL, NULL,
	    &errmsg) != SQLITE_OK || sqlite3_exec(db, schema, NULL, NULL,
	    &errmsg) != SQLITE_OK) {
		log_warnx("%s: %s", SQLITE_FILE, errmsg != NULL ? errmsg :
		    sqlite3_errmsg(db));
		sqlite3_free(errmsg);
		sq_close();
		return (-1);
	}
	if (sqlite3_prepare_v2(db, "INSERT INTO clients (addr, version, "
	    "renderer) VALUES (?, ?, ?)", -1, &st_client, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO gamestats (addr, time, data) "
	    "VALUES (?, ?, ?)", -1, &st_game, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "BEGIN", -1, &st_begin, NULL) !=
	    SQLITE_OK ||
	    sqlite3_prepare_v2(db, "COMMIT", -1, &st_commit, NULL) !=
	    SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT page_count - freelist_count FROM "
	    "pragma_page_count(), pragma_freelist_count()", -1, &st_used,
	    NULL) != SQLITE_OK) {
		log_warnx("%s: %s", SQLITE_FILE, sqlite3_errmsg(db));
		sq_close();
		return (-1);
	}
	if (limit > 0 && sq_limit(limit) == -1) {
		sq_close();
		return (-1);
	}
	return (0);
}

/*
 * Let stats.db grow to limit bytes at most: SQLite then refuses to add
 * pages past it (SQLITE_FULL).  A file already larger keeps its size.
 */
static int
sq_limit(int64_t limit)
{
	sqlite3_stmt	*st;
	char		 sql[64];
	int64_t		 psize = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		psize = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (psize <= 0) {
		log_warnx("%s: page size: %s", SQLITE_FILE, sqlite3_errmsg(db));
		return (-1);
	}
	max_pages = limit / psize;
	if (max_pages < 1)
		max_pages = 1;
	(void)snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld",
	    (long long)max_pages);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		log_warnx("%s: %s", SQLITE_FILE, sqlite3_errmsg(db));
		return (-1);
	}
	return (0);
}

/*
 * Run a prepared statement that returns no rows; the SQLite result code.
 * A full database is not logged here: logd says it once.
 */
static int
sq_step(sqlite3_stmt *st, const char *what)
{
	int	 rc;

	rc = sqlite3_step(st);
	(void)sqlite3_reset(st);
	(void)sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE && (rc & 0xff) != SQLITE_FULL)
		log_warnx("%s: %s: %s", SQLITE_FILE, what, sqlite3_errmsg(db));
	return (rc);
}

/*
 * Pages in use (not on the free list), against the limit.  When they are
 * within what one record may need, the record goes alone in its group: a
 * full database makes SQLite roll back the whole transaction.
 */
static int
sq_room(int kind __unused)
{
	int64_t	 used = 0;
	int	 rc;

	if (max_pages == 0)
		return (DB_ROOM_PLENTY);
	rc = sqlite3_step(st_used);
	if (rc == SQLITE_ROW)
		used = sqlite3_column_int64(st_used, 0);
	(void)sqlite3_reset(st_used);
	if (rc != SQLITE_ROW)
		return (DB_ROOM_TIGHT);
	if (used >= max_pages)
		return (DB_ROOM_NONE);
	if (used + ROOM_MARGIN > max_pages)
		return (DB_ROOM_TIGHT);
	return (DB_ROOM_PLENTY);
}

/* Run a bound INSERT: what client() and game() return. */
static int
sq_insert(sqlite3_stmt *st, const char *what)
{
	int	 rc;

	rc = sq_step(st, what);
	if (rc == SQLITE_DONE)
		return (DB_STORED);
	if ((rc & 0xff) == SQLITE_FULL)
		return (sqlite3_get_autocommit(db) ? DB_FULL_LOST : DB_FULL);
	return (DB_ERROR);
}

static int
sq_begin(void)
{
	return (sq_step(st_begin, "begin") == SQLITE_DONE ? 0 : -1);
}

/*
 * COMMIT.  When another program holds the database longer than the busy
 * timeout, SQLite keeps the transaction open: say so, and the records
 * stay pending for the next try.  Any other failure (a full disk) ends
 * the transaction, so that it is never tried again.
 */
static int
sq_commit(void)
{
	int	 rc;

	rc = sq_step(st_commit, "commit") & 0xff;
	if (rc == SQLITE_DONE)
		return (0);
	if (sqlite3_get_autocommit(db) == 0) {
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			return (1);
		(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	return (rc == SQLITE_FULL ? 2 : -1);
}

static int
sq_client(const char *addr, const char *version, const char *renderer)
{
	if (!utf8_valid((const u_char *)version, strlen(version)) ||
	    !utf8_valid((const u_char *)renderer, strlen(renderer)))
		return (DB_REFUSED);
	if (sqlite3_bind_text(st_client, 1, addr, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(st_client, 2, version, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(st_client, 3, renderer, -1, SQLITE_STATIC) !=
	    SQLITE_OK) {
		log_warnx("%s: bind: %s", SQLITE_FILE, sqlite3_errmsg(db));
		return (DB_ERROR);
	}
	return (sq_insert(st_client, "insert client"));
}

static int
sq_game(const char *addr, int64_t when, const u_char *data, size_t len)
{
	if (!utf8_valid(data, len))
		return (DB_REFUSED);
	if (sqlite3_bind_text(st_game, 1, addr, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_int64(st_game, 2, when) != SQLITE_OK ||
	    sqlite3_bind_text(st_game, 3, (const char *)data, (int)len,
	    SQLITE_STATIC) != SQLITE_OK) {
		log_warnx("%s: bind: %s", SQLITE_FILE, sqlite3_errmsg(db));
		return (DB_ERROR);
	}
	return (sq_insert(st_game, "insert game"));
}

static void
sq_close(void)
{
	sqlite3_finalize(st_client);
	sqlite3_finalize(st_game);
	sqlite3_finalize(st_begin);
	sqlite3_finalize(st_commit);
	sqlite3_finalize(st_used);
	st_client = st_game = st_begin = st_commit = st_used = NULL;
	max_pages = 0;
	if (db != NULL && sqlite3_close(db) != SQLITE_OK)
		log_warnx("%s: close: %s", SQLITE_FILE, sqlite3_errmsg(db));
	db = NULL;
}
