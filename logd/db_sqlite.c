/*
 * SQLite backend: stats.db with the tables of the Python master's
 * logsqlite.py, created when missing.  Statements are prepared once and
 * values bound; writes are grouped in transactions.
 */

#include "compat.h"

#include <sys/types.h>

#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "log.h"

#define BUSY_TIMEOUT	5000	/* milliseconds */

static sqlite3		*db;
static sqlite3_stmt	*st_client, *st_game, *st_begin, *st_commit;

static int	sq_open(void);
static int	sq_begin(void);
static int	sq_client(const char *, const char *, const char *);
static int	sq_game(const char *, int64_t, const u_char *, size_t);
static int	sq_commit(void);
static void	sq_close(void);
static int	sq_step(sqlite3_stmt *, const char *);

const struct db_ops db_sqlite = {
	"sqlite", sq_open, sq_begin, sq_client, sq_game, sq_commit, sq_close
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS clients (addr TEXT, version TEXT, "
    "renderer TEXT);"
    "CREATE TABLE IF NOT EXISTS gamestats (addr TEXT, time INTEGER, "
    "data TEXT);";

static int
sq_open(void)
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
	    SQLITE_OK) {
		log_warnx("%s: %s", SQLITE_FILE, sqlite3_errmsg(db));
		sq_close();
		return (-1);
	}
	return (0);
}

/* Run a prepared statement that returns no rows. */
static int
sq_step(sqlite3_stmt *st, const char *what)
{
	int	 rc;

	rc = sqlite3_step(st);
	(void)sqlite3_reset(st);
	(void)sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		log_warnx("%s: %s: %s", SQLITE_FILE, what, sqlite3_errmsg(db));
		return (-1);
	}
	return (0);
}

static int
sq_begin(void)
{
	return (sq_step(st_begin, "begin"));
}

/*
 * COMMIT.  When another program holds the database longer than the busy
 * timeout, SQLite keeps the transaction open: say so, and the records
 * stay pending for the next try.
 */
static int
sq_commit(void)
{
	if (sq_step(st_commit, "commit") == 0)
		return (0);
	return (sqlite3_get_autocommit(db) == 0 ? 1 : -1);
}

static int
sq_client(const char *addr, const char *version, const char *renderer)
{
	if (!db_text_ok((const u_char *)version, strlen(version)) ||
	    !db_text_ok((const u_char *)renderer, strlen(renderer)))
		return (0);
	if (sqlite3_bind_text(st_client, 1, addr, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(st_client, 2, version, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_text(st_client, 3, renderer, -1, SQLITE_STATIC) !=
	    SQLITE_OK) {
		log_warnx("%s: bind: %s", SQLITE_FILE, sqlite3_errmsg(db));
		return (-1);
	}
	return (sq_step(st_client, "insert client") == 0 ? 1 : -1);
}

static int
sq_game(const char *addr, int64_t when, const u_char *data, size_t len)
{
	if (!db_text_ok(data, len))
		return (0);
	if (sqlite3_bind_text(st_game, 1, addr, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_int64(st_game, 2, when) != SQLITE_OK ||
	    sqlite3_bind_text(st_game, 3, (const char *)data, (int)len,
	    SQLITE_STATIC) != SQLITE_OK) {
		log_warnx("%s: bind: %s", SQLITE_FILE, sqlite3_errmsg(db));
		return (-1);
	}
	return (sq_step(st_game, "insert game") == 0 ? 1 : -1);
}

static void
sq_close(void)
{
	sqlite3_finalize(st_client);
	sqlite3_finalize(st_game);
	sqlite3_finalize(st_begin);
	sqlite3_finalize(st_commit);
	st_client = st_game = st_begin = st_commit = NULL;
	if (db != NULL && sqlite3_close(db) != SQLITE_OK)
		log_warnx("%s: close: %s", SQLITE_FILE, sqlite3_errmsg(db));
	db = NULL;
}
