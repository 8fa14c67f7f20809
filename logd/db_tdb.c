/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * TDB backend, with the files, keys and values of the Python master's
 * logtdb.py: clientStats.tdb maps a client address to "version"
 * "renderer"; gameStats.tdb maps "address asctime" to the gamestat data.
 * Writes are grouped in one transaction per file.  The size limit holds
 * for each file on its own.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <tdb.h>

#include "db.h"
#include "log.h"
#include "util.h"
#include "tremmasterd.h"

/* A record's header, key, data and tailer, at most. */
#define TD_RECORD_MAX	(24 + 128 + STAT_GAME_MAX + 4)

static struct tdb_context	*tdb_clients, *tdb_games;
static int64_t			 limit;		/* 0: none */

static int	td_open(int64_t);
static int	td_begin(void);
static int	td_room(int);
static void	td_cancel(void);
static int64_t	td_size(struct tdb_context *);
static int64_t	td_growth(int64_t);
static int	td_client(const char *, const char *, const char *);
static int	td_game(const char *, int64_t, const u_char *, size_t);
static int	td_commit(void);
static void	td_close(void);
static int	td_store(struct tdb_context *, const char *, const void *,
		    size_t, const void *, size_t);

const struct db_ops db_tdb = {
	"tdb", td_open, td_begin, td_room, td_client, td_game, td_commit,
	td_close
};

static int
td_open(int64_t max)
{
	limit = max;
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

static void
td_cancel(void)
{
	(void)tdb_transaction_cancel(tdb_clients);
	(void)tdb_transaction_cancel(tdb_games);
}

/*
 * What a file takes or will take: in a transaction, TDB grows the map
 * first and the file at commit.
 */
static int64_t
td_size(struct tdb_context *t)
{
	struct stat	 st;
	int64_t		 size;

	size = tdb_map_size(t);
	if (fstat(tdb_fd(t), &st) == 0 && st.st_size > size)
		size = st.st_size;
	return (size);
}

/*
 * The most one store makes TDB add to a file of size bytes: a quarter of
 * it or 100 times the record (see tdb_expand_adjust()), and a page.
 */
static int64_t
td_growth(int64_t size)
{
	int64_t	 grow = size / 4;

	if (grow < 100 * TD_RECORD_MAX)
		grow = 100 * TD_RECORD_MAX;
	return (grow + 4096);
}

/*
 * A file that may grow past the limit with the next store takes it alone
 * in its group: a store that does pass it cancels the group.
 */
static int
td_room(int kind)
{
	int64_t	 size;

	if (limit == 0)
		return (DB_ROOM_PLENTY);
	size = td_size(kind == DB_KIND_GAME ? tdb_games : tdb_clients);
	if (size >= limit)
		return (DB_ROOM_NONE);
	if (size + td_growth(size) > limit)
		return (DB_ROOM_TIGHT);
	return (DB_ROOM_PLENTY);
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
		return (DB_ERROR);
	}
	/* TDB cannot take back one store: the group goes. */
	if (limit > 0 && (int64_t)tdb_map_size(t) > limit) {
		td_cancel();
		return (DB_FULL_LOST);
	}
	return (DB_STORED);
}

/* Key: the address; value: "version" "renderer", refused if one has ". */
static int
td_client(const char *addr, const char *version, const char *renderer)
{
	char	 val[1024];
	int	 n;

	if (strchr(version, '"') != NULL || strchr(renderer, '"') != NULL ||
	    !utf8_valid((const u_char *)version, strlen(version)) ||
	    !utf8_valid((const u_char *)renderer, strlen(renderer)))
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

	if (!utf8_valid(data, len))
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
