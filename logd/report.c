/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The operator's view of the statistics (--stats) and the creation of an
 * empty database (--create-db), run by the parent in the foreground.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <vis.h>

#include <sqlite3.h>
#include <tdb.h>

#include "db.h"
#include "log.h"
#include "options.h"

struct tally {
	char	**items;
	size_t	  n;
	size_t	  cap;
};

struct run {
	const char	*item;
	size_t		 count;
};

static int	report_sqlite(const char *);
static int	report_tdb(const char *, const char *);
static void	tally_add(struct tally *, const char *, size_t);
static void	tally_print(struct tally *, const char *, int);
static void	tally_free(struct tally *);
static int	run_cmp(const void *, const void *);
static int	str_cmp(const void *, const void *);
static int	tdb_client_cb(struct tdb_context *, TDB_DATA, TDB_DATA,
		    void *);
static int	tdb_game_cb(struct tdb_context *, TDB_DATA, TDB_DATA, void *);
static int	exists(const char *);

static int
exists(const char *path)
{
	struct stat	 st;

	return (stat(path, &st) == 0);
}

/* Collect one value, escaped for the terminal. */
static void
tally_add(struct tally *t, const char *s, size_t len)
{
	char	**p, *v;

	if (t->n == t->cap) {
		if ((p = reallocarray(t->items, t->cap * 2 + 64,
		    sizeof(*p))) == NULL)
			err(1, NULL);
		t->items = p;
		t->cap = t->cap * 2 + 64;
	}
	if ((v = malloc(len * 4 + 1)) == NULL)
		err(1, NULL);
	(void)strnvisx(v, len * 4 + 1, s, len, VIS_SAFE | VIS_OCTAL);
	t->items[t->n++] = v;
}

static int
str_cmp(const void *a, const void *b)
{
	return (strcmp(*(char * const *)a, *(char * const *)b));
}

static int
run_cmp(const void *a, const void *b)
{
	const struct run	*ra = a, *rb = b;

	if (ra->count != rb->count)
		return (ra->count > rb->count ? -1 : 1);
	return (strcmp(ra->item, rb->item));
}

/* Distinct values with their counts, by count (or by value if bykey). */
static void
tally_print(struct tally *t, const char *title, int bykey)
{
	struct run	*runs;
	size_t		 i, nruns = 0;

	printf("%s:\n", title);
	if (t->n == 0) {
		printf("  (none)\n");
		return;
	}
	qsort(t->items, t->n, sizeof(*t->items), str_cmp);
	if ((runs = calloc(t->n, sizeof(*runs))) == NULL)
		err(1, NULL);
	for (i = 0; i < t->n; i++) {
		if (nruns > 0 && strcmp(runs[nruns - 1].item, t->items[i]) == 0)
			runs[nruns - 1].count++;
		else {
			runs[nruns].item = t->items[i];
			runs[nruns++].count = 1;
		}
	}
	if (!bykey)
		qsort(runs, nruns, sizeof(*runs), run_cmp);
	for (i = 0; i < nruns; i++)
		printf("  %8zu  %s\n", runs[i].count, runs[i].item);
	free(runs);
}

static void
tally_free(struct tally *t)
{
	size_t	 i;

	for (i = 0; i < t->n; i++)
		free(t->items[i]);
	free(t->items);
	memset(t, 0, sizeof(*t));
}

static int
report_sqlite(const char *path)
{
	struct tally	 versions = { 0 }, renderers = { 0 }, days = { 0 };
	sqlite3		*db = NULL;
	sqlite3_stmt	*st = NULL;
	const char	*s;
	int		 rc;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		warnx("%s: %s", path, db != NULL ? sqlite3_errmsg(db) :
		    "cannot open");
		sqlite3_close(db);
		return (-1);
	}
	if (sqlite3_prepare_v2(db, "SELECT version, renderer FROM clients",
	    -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s = (const char *)sqlite3_column_text(st, 0);
		tally_add(&versions, s != NULL ? s : "",
		    s != NULL ? (size_t)sqlite3_column_bytes(st, 0) : 0);
		s = (const char *)sqlite3_column_text(st, 1);
		tally_add(&renderers, s != NULL ? s : "",
		    s != NULL ? (size_t)sqlite3_column_bytes(st, 1) : 0);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db, "SELECT date(time, 'unixepoch') FROM "
	    "gamestats", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s = (const char *)sqlite3_column_text(st, 0);
		tally_add(&days, s != NULL ? s : "?",
		    s != NULL ? strlen(s) : 1);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	sqlite3_close(db);
	printf("statistics in %s (sqlite): %zu client records, %zu game "
	    "records\n", path, versions.n, days.n);
	tally_print(&versions, "client versions", 0);
	tally_print(&renderers, "client renderers", 0);
	tally_print(&days, "game records per day (UTC)", 1);
	tally_free(&versions);
	tally_free(&renderers);
	tally_free(&days);
	return (0);
 fail:
	warnx("%s: %s", path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	tally_free(&versions);
	tally_free(&renderers);
	tally_free(&days);
	return (-1);
}

struct client_tallies {
	struct tally	 versions;
	struct tally	 renderers;
};

/* clientStats.tdb values: "version" "renderer". */
static int
tdb_client_cb(struct tdb_context *t __unused, TDB_DATA key __unused,
    TDB_DATA val, void *arg)
{
	struct client_tallies	*ct = arg;
	const char		*v = (const char *)val.dptr, *sep;
	size_t			 len = val.dsize;

	if (len < 5 || v[0] != '"' || v[len - 1] != '"' ||
	    (sep = memmem(v + 1, len - 2, "\" \"", 3)) == NULL) {
		tally_add(&ct->versions, "(unreadable)", 12);
		tally_add(&ct->renderers, "(unreadable)", 12);
		return (0);
	}
	tally_add(&ct->versions, v + 1, sep - (v + 1));
	tally_add(&ct->renderers, sep + 3, v + len - 1 - (sep + 3));
	return (0);
}

/* gameStats.tdb keys: "address Wed Nov 25 17:37:17 2026" (UTC). */
static int
tdb_game_cb(struct tdb_context *t __unused, TDB_DATA key,
    TDB_DATA val __unused, void *arg)
{
	struct tm	 tm;
	char		 buf[128], day[16];
	const char	*sp;

	if (key.dsize >= sizeof(buf)) {
		tally_add(arg, "(unreadable)", 12);
		return (0);
	}
	memcpy(buf, key.dptr, key.dsize);
	buf[key.dsize] = '\0';
	memset(&tm, 0, sizeof(tm));
	if ((sp = strchr(buf, ' ')) == NULL ||
	    strptime(sp + 1, "%a %b %d %H:%M:%S %Y", &tm) == NULL ||
	    strftime(day, sizeof(day), "%Y-%m-%d", &tm) == 0)
		(void)strlcpy(day, "(unreadable)", sizeof(day));
	tally_add(arg, day, strlen(day));
	return (0);
}

static int
report_tdb(const char *cpath, const char *gpath)
{
	struct client_tallies	 ct;
	struct tally		 days = { 0 };
	struct tdb_context	*t;
	int			 nc = 0, ng = 0;

	memset(&ct, 0, sizeof(ct));
	if (exists(cpath)) {
		if ((t = tdb_open(cpath, 0, TDB_DEFAULT, O_RDONLY, 0)) ==
		    NULL) {
			warn("%s", cpath);
			return (-1);
		}
		nc = tdb_traverse_read(t, tdb_client_cb, &ct);
		(void)tdb_close(t);
	}
	if (exists(gpath)) {
		if ((t = tdb_open(gpath, 0, TDB_DEFAULT, O_RDONLY, 0)) ==
		    NULL) {
			warn("%s", gpath);
			tally_free(&ct.versions);
			tally_free(&ct.renderers);
			return (-1);
		}
		ng = tdb_traverse_read(t, tdb_game_cb, &days);
		(void)tdb_close(t);
	}
	printf("statistics in %s and %s (tdb): %d client addresses, %d game "
	    "records\n", cpath, gpath, nc < 0 ? 0 : nc, ng < 0 ? 0 : ng);
	tally_print(&ct.versions, "client versions (last seen per address)",
	    0);
	tally_print(&ct.renderers, "client renderers (last seen per address)",
	    0);
	tally_print(&days, "game records per day (UTC)", 1);
	tally_free(&ct.versions);
	tally_free(&ct.renderers);
	tally_free(&days);
	return (0);
}

/*
 * --stats: print the statistics kept in dir.  With auto, the SQLite file
 * if there is one, else the TDB files.
 */
int
db_report(const char *dir, int backend)
{
	char	 sq[PATH_MAX], cl[PATH_MAX], ga[PATH_MAX];

	if (snprintf(sq, sizeof(sq), "%s/%s", dir, SQLITE_FILE) >=
	    (int)sizeof(sq) ||
	    snprintf(cl, sizeof(cl), "%s/%s", dir, TDB_CLIENT_FILE) >=
	    (int)sizeof(cl) ||
	    snprintf(ga, sizeof(ga), "%s/%s", dir, TDB_GAME_FILE) >=
	    (int)sizeof(ga)) {
		warnx("%s: path too long", dir);
		return (-1);
	}
	if (backend == DB_NONE) {
		warnx("-d none: no statistics to show");
		return (-1);
	}
	if (backend == DB_SQLITE || (backend == DB_AUTO && exists(sq))) {
		if (!exists(sq)) {
			warnx("%s: no such file", sq);
			return (-1);
		}
		return (report_sqlite(sq));
	}
	if (!exists(cl) && !exists(ga)) {
		warnx("no statistics database in %s", dir);
		return (-1);
	}
	return (report_tdb(cl, ga));
}

/*
 * --create-db: make an empty database in dir, as "python logsqlite.py"
 * did; auto means SQLite.  Existing files are opened and kept.
 */
int
db_create(const char *dir, int backend)
{
	char	 old[PATH_MAX];
	int	 rv;

	if (backend == DB_NONE) {
		warnx("-d none: no database to create");
		return (-1);
	}
	if (getcwd(old, sizeof(old)) == NULL) {
		warn("getcwd");
		return (-1);
	}
	if (chdir(dir) == -1) {
		warn("%s", dir);
		return (-1);
	}
	if (backend == DB_TDB) {
		if ((rv = db_tdb.open(0)) == 0)
			db_tdb.close();
	} else {
		if ((rv = db_sqlite.open(0)) == 0)
			db_sqlite.close();
	}
	if (chdir(old) == -1)
		warn("%s", old);
	return (rv);
}
