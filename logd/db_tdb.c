/*
 * TDB backend, with the files, keys and values of the Python master's
 * logtdb.py: clientStats.tdb maps a client address to "version"
 * "renderer"; gameStats.tdb maps "address asctime" to the gamestat data.
 * Writes are grouped in one transaction per file.
 */

#include "compat.h"

#include <sys/types.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <tdb.h>

#include "db.h"
#include "log.h"

static struct tdb_context	*tdb_clients, *tdb_games;

static int	td_open(void);
static int	td_begin(void);
static int	td_client(const char *, const char *, const char *);
static int	td_game(const char *, int64_t, const u_char *, size_t);
static int	td_commit(void);
static void	td_close(void);
static int	td_store(struct tdb_context *, const char *, const void *,
		    size_t, const void *, size_t);

const struct db_ops db_tdb = {
	"tdb", td_open, td_begin, td_client, td_game, td_commit, td_close
};

static int
td_open(void)
{
	if ((tdb_clients = tdb_open(TDB_CLIENT_FILE, 0, TDB_DEFAULT,
	    O_RDWR | O_CREAT, 0600)) == NULL) {
		log_warn("%s", TDB_CLIENT_FILE);
		return (-1);
	}
	if ((tdb_games = tdb_open(TDB_GAME_FILE, 0, TDB_DEFAULT,
	    O_RDWR | O_CREAT, 0600)) == NULL) {
		log_warn("%s", TDB_GAME_FILE);
		td_close();
		return (-1);
	}
	return (0);
}

static int
td_begin(void)
{
	if (tdb_transaction_start(tdb_clients) != 0) {
		log_warnx("%s: %s", TDB_CLIENT_FILE,
		    tdb_errorstr(tdb_clients));
		return (-1);
	}
	if (tdb_transaction_start(tdb_games) != 0) {
		log_warnx("%s: %s", TDB_GAME_FILE, tdb_errorstr(tdb_games));
		(void)tdb_transaction_cancel(tdb_clients);
		return (-1);
	}
	return (0);
}

static int
td_commit(void)
{
	int	 rv = 0;

	if (tdb_transaction_commit(tdb_clients) != 0) {
		log_warnx("%s: commit: %s", TDB_CLIENT_FILE,
		    tdb_errorstr(tdb_clients));
		rv = -1;
	}
	if (tdb_transaction_commit(tdb_games) != 0) {
		log_warnx("%s: commit: %s", TDB_GAME_FILE,
		    tdb_errorstr(tdb_games));
		rv = -1;
	}
	return (rv);
}

static int
td_store(struct tdb_context *t, const char *file, const void *k, size_t klen,
    const void *v, size_t vlen)
{
	TDB_DATA	 key, val;

	key.dptr = (unsigned char *)(uintptr_t)k;
	key.dsize = klen;
	val.dptr = (unsigned char *)(uintptr_t)v;
	val.dsize = vlen;
	if (tdb_store(t, key, val, TDB_REPLACE) != 0) {
		log_warnx("%s: store: %s", file, tdb_errorstr(t));
		return (-1);
	}
	return (1);
}

/* Key: the address; value: "version" "renderer", refused if one has ". */
static int
td_client(const char *addr, const char *version, const char *renderer)
{
	char	 val[1024];
	int	 n;

	if (strchr(version, '"') != NULL || strchr(renderer, '"') != NULL ||
	    !db_text_ok((const u_char *)version, strlen(version)) ||
	    !db_text_ok((const u_char *)renderer, strlen(renderer)))
		return (0);
	n = snprintf(val, sizeof(val), "\"%s\" \"%s\"", version, renderer);
	if (n < 0 || (size_t)n >= sizeof(val))
		return (0);
	return (td_store(tdb_clients, TDB_CLIENT_FILE, addr, strlen(addr),
	    val, n));
}

/* Key: "address Sun Nov 23 18:33:00 2025" (UTC); value: the data. */
static int
td_game(const char *addr, int64_t when, const u_char *data, size_t len)
{
	struct tm	 tm;
	time_t		 t = (time_t)when;
	char		 stamp[64], key[128];
	size_t		 n;
	int		 k;

	if (!db_text_ok(data, len))
		return (0);
	if (gmtime_r(&t, &tm) == NULL || asctime_r(&tm, stamp) == NULL)
		return (0);
	n = strlen(stamp);
	if (n > 0 && stamp[n - 1] == '\n')
		stamp[--n] = '\0';
	k = snprintf(key, sizeof(key), "%s %s", addr, stamp);
	if (k < 0 || (size_t)k >= sizeof(key))
		return (0);
	return (td_store(tdb_games, TDB_GAME_FILE, key, k, data, len));
}

static void
td_close(void)
{
	if (tdb_clients != NULL)
		(void)tdb_close(tdb_clients);
	if (tdb_games != NULL)
		(void)tdb_close(tdb_games);
	tdb_clients = tdb_games = NULL;
}
