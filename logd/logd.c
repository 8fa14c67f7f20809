/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * logd: the unprivileged process that owns the statistics database.  It
 * hears from the parent (startup, shutdown) and from netd, over a direct
 * link, the records to store.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "ipc.h"
#include "log.h"
#include "options.h"
#include "osdep.h"
#include "tremmasterd.h"
#include "util.h"

#define COMMIT_INTERVAL	1	/* seconds a record may wait for commit */
#define COMMIT_RECORDS	1000	/* records that make a commit at once */
#define FULL_RETRY	60	/* seconds a full database is left alone */

static const struct db_ops	*db;
static struct ipcev	 iev_main, iev_netd;
static struct event	 ev_sigterm, ev_commit;
static int		 started, have_link, netd_hello, in_txn, pending;
static int		 started_as_root, busy;
static unsigned long long nclients, ngames, nrefused, ncommitted;
static unsigned long long ndropped, ndropped_report;
static int		 max_size, full_said;
static time_t		 full_until[2], last_report;

static void	logd_sig_handler(int, short, void *);
static void	logd_dispatch_main(int, short, void *);
static void	logd_dispatch_netd(int, short, void *);
static void	logd_netd_msgs(struct ipcev *);
static void	logd_shutdown(void) __dead;
static void	logd_client(const struct ipc_msg *);
static void	logd_game(const struct ipc_msg *);
static void	logd_open_db(const struct options *, const char *);
static int	logd_room(int);
static void	logd_full(int, int);
static void	logd_drop(int);
static time_t	logd_now(void);
static int	logd_dir_ok(const char *, const char *, const char *,
		    const char *);
static void	logd_record(int, int);
static void	logd_commit_timer(int, short, void *);
static void	logd_commit(void);
static int	logd_begin(void);

void
logd_main(const struct options *o)
{
	char	 datadir[PATH_MAX];

	if (options_datadir(o, datadir, sizeof(datadir)) == -1)
		fatal("data directory");
	started_as_root = geteuid() == 0;
	proc_start("logd", o->use_syslog, o->verbose, options_user(o),
	    datadir);
	if (pledge("stdio rpath wpath cpath flock recvfd", NULL) == -1)
		fatal("pledge");
	logd_open_db(o, datadir);

	event_init();
	evtimer_set(&ev_commit, logd_commit_timer, NULL);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal_set(&ev_sigterm, SIGTERM, logd_sig_handler, NULL);
	signal_add(&ev_sigterm, NULL);

	ipcev_init(&iev_main, PARENT_SOCK_FILENO, "parent",
	    logd_dispatch_main, NULL);
	iev_main.peer_pid = getppid();
	ipc_allow_fdpass(&iev_main.ibuf);
	iev_netd.ibuf.fd = -1;
	ipcev_add(&iev_main);

	sandbox_logd(o->no_seccomp);
	event_dispatch();
	logd_shutdown();
}

static void
logd_sig_handler(int sig, short event __unused, void *arg __unused)
{
	if (sig == SIGTERM)
		logd_shutdown();
}

/*
 * Can this process write dir and, when they exist, the files in it?  Says
 * why not in a log line.
 */
static int
logd_dir_ok(const char *dir, const char *user, const char *file1,
    const char *file2)
{
	const char	*files[2] = { file1, file2 };
	size_t		 i;

	static int	 said;

	if (access(".", W_OK | X_OK) == -1) {
		/* Once, though -d auto tries SQLite then TDB. */
		if (!said++)
			log_warnx("statistics: data directory %s is not "
			    "writable by user %s (the database and its journal "
			    "live there)", dir, user);
		return (0);
	}
	for (i = 0; i < nitems(files); i++) {
		if (files[i] == NULL)
			continue;
		if (access(files[i], R_OK | W_OK) == -1 && errno != ENOENT) {
			log_warnx("statistics: %s/%s is not readable and "
			    "writable by user %s", dir, files[i], user);
			return (0);
		}
	}
	return (1);
}

/*
 * Open the backend of -d.  auto tries SQLite, then TDB, then goes on
 * without statistics, with a warning; a backend asked for by name must
 * open, or logd stops with the reason.  --db-max-size caps stats.db, and
 * each TDB file on its own.
 */
static void
logd_open_db(const struct options *o, const char *dir)
{
	const char	*user = options_user(o);
	int64_t		 limit = (int64_t)o->db_max_size * 1024 * 1024;

	/* Not started as root, we run as whoever started us. */
	if (!started_as_root)
		user = "the invoking user";
	switch (o->db) {
	case DB_NONE:
		db = &db_none;
		break;
	case DB_SQLITE:
		if (!logd_dir_ok(dir, user, SQLITE_FILE, NULL) ||
		    db_sqlite.open(limit) == -1)
			fatalx("cannot open the SQLite database in %s", dir);
		db = &db_sqlite;
		break;
	case DB_TDB:
		if (!logd_dir_ok(dir, user, TDB_CLIENT_FILE,
		    TDB_GAME_FILE) ||
		    db_tdb.open(limit) == -1)
			fatalx("cannot open the TDB databases in %s", dir);
		db = &db_tdb;
		break;
	case DB_AUTO:
		if (logd_dir_ok(dir, user, SQLITE_FILE, NULL) &&
		    db_sqlite.open(limit) == 0)
			db = &db_sqlite;
		else if (logd_dir_ok(dir, user, TDB_CLIENT_FILE,
		    TDB_GAME_FILE) && db_tdb.open(limit) == 0)
			db = &db_tdb;
		else {
			log_warnx("statistics disabled: no database could "
			    "be opened in %s", dir);
			db = &db_none;
		}
		break;
	}
	log_info("statistics database: %s", db->name);
	max_size = o->db_max_size;
	/* A database already past the limit is full from the start. */
	if (db->room(DB_KIND_CLIENT) == DB_ROOM_NONE)
		logd_full(DB_KIND_CLIENT, 0);
	if (db->room(DB_KIND_GAME) == DB_ROOM_NONE)
		logd_full(DB_KIND_GAME, 0);
}

static time_t
logd_now(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return (ts.tv_sec);
}

/*
 * The database is at its size limit for records of kind: say so once,
 * count the n records dropped, and drop the next ones of that kind
 * without asking the database for FULL_RETRY seconds.
 */
static void
logd_full(int kind, int n)
{
	time_t	 now = logd_now();

	full_until[kind] = now + FULL_RETRY;
	if (!full_said) {
		full_said = 1;
		last_report = now;
		log_warnx("statistics: the database reached its size limit of "
		    "%d MiB (--db-max-size): new records are dropped",
		    max_size);
	}
	logd_drop(n);
}

/* Count n dropped records; say how many at most once a minute. */
static void
logd_drop(int n)
{
	time_t	 now;

	ndropped += n;
	ndropped_report += n;
	if (ndropped_report == 0 ||
	    (now = logd_now()) - last_report < FULL_RETRY)
		return;
	log_warnx("statistics: database full, %llu records dropped since the "
	    "last report (%llu in all)", ndropped_report, ndropped);
	ndropped_report = 0;
	last_report = now;
}

/*
 * May a record of kind go to the database?  Not while it is full; when it
 * may not fit, the records held are committed first, for a full database
 * takes the open group with it.  0: the record was dropped.
 */
static int
logd_room(int kind)
{
	if (full_until[kind] != 0) {
		if (logd_now() < full_until[kind]) {
			logd_drop(1);
			return (0);
		}
		full_until[kind] = 0;
	}
	switch (db->room(kind)) {
	case DB_ROOM_NONE:
		logd_full(kind, 1);
		return (0);
	case DB_ROOM_TIGHT:
		if (pending > 0 && !busy)
			logd_commit();
		break;
	}
	return (1);
}

/* The commit due COMMIT_INTERVAL after a transaction's first record. */
static void
logd_commit_timer(int fd __unused, short event __unused, void *arg __unused)
{
	logd_commit();
}

/*
 * Make the records of the open transaction durable.  When the database is
 * busy they stay in the open transaction and the commit is tried again a
 * second later.
 */
static void
logd_commit(void)
{
	struct timeval	 tv = { COMMIT_INTERVAL, 0 };

	if (!in_txn)
		return;
	evtimer_del(&ev_commit);
	switch (db->commit()) {
	case 0:
		busy = 0;
		break;
	case 1:
		busy = 1;
		log_warnx("statistics: database busy, %d records wait for "
		    "the next commit", pending);
		evtimer_add(&ev_commit, &tv);
		return;
	case 2:
		busy = 0;
		in_txn = 0;
		logd_full(DB_KIND_CLIENT, pending);
		logd_full(DB_KIND_GAME, 0);
		pending = 0;
		return;
	default:
		log_warnx("statistics: commit failed, %d records lost",
		    pending);
		busy = 0;
		in_txn = 0;
		pending = 0;
		return;
	}
	in_txn = 0;
	if (pending > 0) {
		ncommitted += pending;
		log_debug("committed %d records (%llu in all)", pending,
		    ncommitted);
	}
	pending = 0;
}

/*
 * Account for one record of kind: rv is what the backend said.  A
 * transaction is opened by the first record and committed within
 * COMMIT_INTERVAL, or at once when it holds COMMIT_RECORDS.
 */
static void
logd_record(int kind, int rv)
{
	switch (rv) {
	case DB_STORED:
		if (db != &db_none)
			pending++;
		break;
	case DB_REFUSED:
		nrefused++;
		break;
	case DB_FULL:
		logd_full(kind, 1);
		break;
	case DB_FULL_LOST:
		/* The backend ended the transaction. */
		evtimer_del(&ev_commit);
		in_txn = 0;
		busy = 0;
		logd_full(kind, pending + 1);
		pending = 0;
		break;
	}
	/* While the database is busy, the timer alone tries again. */
	if (pending >= COMMIT_RECORDS && !busy)
		logd_commit();
}

/* Store what netd sent, commit, close the database, exit. */
static void
logd_shutdown(void)
{
	if (iev_netd.ibuf.fd != -1) {
		while (ipc_read(&iev_netd.ibuf) == 1)
			logd_netd_msgs(&iev_netd);
		logd_netd_msgs(&iev_netd);
	}
	logd_commit();
	if (in_txn) {
		/* Busy: one more try (SQLite waits its busy timeout). */
		logd_commit();
		if (in_txn)
			log_warnx("statistics: %d records lost at exit",
			    pending);
	}
	db->close();
	if (ndropped > 0)
		log_warnx("statistics: %llu records dropped in all: the "
		    "database was full", ndropped);
	log_verbose("exiting: %llu client and %llu game records received, "
	    "%llu stored, %llu refused", nclients, ngames, ncommitted,
	    nrefused);
	exit(0);
}

static void
logd_dispatch_main(int fd __unused, short event, void *arg __unused)
{
	struct ipcev	*iev = &iev_main;
	struct ipc_msg	 msg;
	struct ipc_link	 link;
	int		 shut;

	shut = ipcev_handle(iev, event);
	while (ipcev_get(iev, &msg) == 1) {
		switch (msg.hdr.type) {
		case IMSG_LINK:
			ipc_check(&msg, iev->name, &link, sizeof(link), 1);
			if (started || have_link)
				fatalx("unexpected link to netd");
			have_link = 1;
			ipcev_init(&iev_netd, msg.fd, "netd",
			    logd_dispatch_netd, NULL);
			iev_netd.peer_pid = link.peer_pid;
			ipcev_add(&iev_netd);
			break;
		case IMSG_STATUS:
			ipc_check(&msg, iev->name, NULL, 0, 0);
			log_info("status: database %s, %llu client and %llu "
			    "game records received, %llu stored, %llu refused, "
			    "%llu dropped (full)", db != NULL ? db->name :
			    "not open", nclients, ngames, ncommitted, nrefused,
			    ndropped);
			break;
		case IMSG_STARTUP:
			ipc_check(&msg, iev->name, NULL, 0, 0);
			if (started || !have_link)
				fatalx("unexpected startup");
			started = 1;
			if (pledge("stdio rpath wpath cpath flock", NULL) == -1)
				fatal("pledge");
			log_debug("started");
			break;
		case IMSG_SHUTDOWN:
			ipc_check(&msg, iev->name, NULL, 0, 0);
			logd_shutdown();
			break;
		default:
			fatalx("unexpected %s from the parent",
			    ipc_typename(msg.hdr.type));
		}
	}
	if (shut) {
		log_debug("parent is gone");
		logd_shutdown();
	}
	ipcev_add(iev);
}

/* A client record from getmotd, checked field by field. */
static void
logd_client(const struct ipc_msg *msg)
{
	struct ipc_stat_client	 st;
	char			 abuf[ADDRSTRLEN], v[LOG_VISBUF], r[LOG_VISBUF];
	int			 rv;

	ipc_check(msg, "netd", &st, sizeof(st), 0);
	if (!ipc_addr_valid(&st.addr) ||
	    memchr(st.version, '\0', sizeof(st.version)) == NULL ||
	    memchr(st.renderer, '\0', sizeof(st.renderer)) == NULL)
		fatalx("malformed client record from netd");
	nclients++;
	log_debug("client %s: version \"%s\", renderer \"%s\"",
	    addr_str(&st.addr, abuf, sizeof(abuf)),
	    log_vis(st.version, strlen(st.version), v, sizeof(v)),
	    log_vis(st.renderer, strlen(st.renderer), r, sizeof(r)));
	if (!logd_room(DB_KIND_CLIENT) || !logd_begin())
		return;
	addr_host(&st.addr, abuf, sizeof(abuf));
	rv = db->client(abuf, st.version, st.renderer);
	if (rv == DB_REFUSED)
		log_debug("client record from %s not stored: not UTF-8 text%s",
		    abuf, db == &db_tdb ? " or a quote" : "");
	logd_record(DB_KIND_CLIENT, rv);
}

/* A game record from gamestat. */
static void
logd_game(const struct ipc_msg *msg)
{
	struct ipc_stat_game	 st;
	char			 abuf[ADDRSTRLEN], d[LOG_VISBUF];
	int			 rv;

	ipc_check(msg, "netd", &st, sizeof(st), 0);
	if (!ipc_addr_valid(&st.addr) || st.len > sizeof(st.data))
		fatalx("malformed game record from netd");
	ngames++;
	log_debug("game %s at %lld: %s",
	    addr_str(&st.addr, abuf, sizeof(abuf)),
	    (long long)st.time, log_vis(st.data, st.len, d,
	    sizeof(d)));
	if (!logd_room(DB_KIND_GAME) || !logd_begin())
		return;
	addr_host(&st.addr, abuf, sizeof(abuf));
	rv = db->game(abuf, st.time, st.data, st.len);
	if (rv == DB_REFUSED)
		log_debug("game record from %s not stored: not UTF-8 text",
		    abuf);
	logd_record(DB_KIND_GAME, rv);
}

/* Open a transaction if none is; 0 when the database fails. */
static int
logd_begin(void)
{
	struct timeval	 tv = { COMMIT_INTERVAL, 0 };

	if (in_txn)
		return (1);
	if (db->begin() == -1) {
		log_warnx("statistics: cannot start a transaction, record "
		    "lost");
		return (0);
	}
	in_txn = 1;
	evtimer_add(&ev_commit, &tv);
	return (1);
}

static void
logd_dispatch_netd(int fd __unused, short event, void *arg __unused)
{
	struct ipcev	*iev = &iev_netd;
	int		 shut;

	shut = ipcev_handle(iev, event);
	logd_netd_msgs(iev);
	if (shut) {
		log_debug("netd closed the link");
		ipcev_del(iev);
		(void)close(iev->ibuf.fd);
		iev->ibuf.fd = -1;
		return;
	}
	ipcev_add(iev);
}

/*
 * Every whole message from netd in the read buffer; also how the exit
 * takes what netd sent before it.
 */
static void
logd_netd_msgs(struct ipcev *iev)
{
	struct ipc_msg		 msg;
	struct ipc_log_level	 ll;

	while (ipcev_get(iev, &msg) == 1) {
		switch (msg.hdr.type) {
		case IMSG_HELLO:
			ipc_check(&msg, iev->name, NULL, 0, 0);
			if (netd_hello)
				fatalx("second hello from netd");
			netd_hello = 1;
			log_debug("link to netd is up");
			break;
		case IMSG_STAT_CLIENT:
			logd_client(&msg);
			break;
		case IMSG_STAT_GAME:
			logd_game(&msg);
			break;
		case IMSG_LOG_LEVEL:
			ipc_check(&msg, iev->name, &ll, sizeof(ll), 0);
			if (ll.level < -1 || ll.level > LOGLEVEL_DEBUG)
				fatalx("bad log level from netd");
			ipcev_log_to(iev, ll.level);
			break;
		default:
			fatalx("unexpected %s from netd",
			    ipc_typename(msg.hdr.type));
		}
	}
}
