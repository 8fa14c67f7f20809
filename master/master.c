/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * tremmasterd: a master server for Tremulous.
 *
 * The parent parses the command line and the data files, binds every
 * socket, then runs netd (the network) and logd (the statistics) as
 * unprivileged children, each a fresh exec of this binary.  It keeps no
 * network input and no database; it writes serverlist.txt from the list
 * netd hands it, and re-reads the data files on SIGHUP.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <tls.h>

#include "api.h"
#include "files.h"
#include "ipc.h"
#include "log.h"
#include "master.h"
#include "options.h"
#include "osdep.h"
#include "puppet.h"
#include "tremmasterd.h"
#include "util.h"

#define SHUTDOWN_GRACE	10	/* seconds children get to finish */
#define WATCH_INTERVAL	5	/* seconds between looks at the files */
#define ADMIN_QUEUE_MAX	(1024 * 1024)	/* bytes unread by netd: busy */
#define ADMIN_QUEUE_FATAL (256 * 1024 * 1024)	/* more than any reload */

extern char	**environ;

struct child {
	const char	*name;
	pid_t		 pid;		/* 0 once reaped */
	struct ipcev	 iev;
	int		 open;		/* channel not at EOF */
	int		 told;		/* sent IMSG_SHUTDOWN */
};

static struct options		 opts;
static struct child		 netd, logd;
static struct datafiles		 files;
static struct serverlist	 saved;		/* from serverlist.txt */
static struct serverlist	 incoming;	/* from netd */
static struct listener_head	 listeners;
static struct event		 ev_sigterm, ev_sigint, ev_sighup, ev_sigchld;
static struct event		 ev_sigusr1;
static time_t			 started_at;
static u_char			 tls_digest[crypto_generichash_BYTES];
static struct event		 ev_grace, ev_watch;
static char			 watch_stamp[DF_STAMP_LEN];
static char			 datadir[PATH_MAX];
static char			 selfpath[PATH_MAX];
static char			**saved_argv;
static int			 saved_argc;
static int			 shutting_down;
static int			 exit_status;
static int			 puppet_on;
static int			 api_on;
static char			 api_note[200];
static char			*api_env_keys;	/* taken out of environ */
static int			 api_short_keys;
static char			 puppet_note[160];
static u_char			*tls_cert, *tls_key;
static size_t			 tls_cert_len, tls_key_len;
static const char		*db_files[] = {
	SQLITE_FILE, TDB_CLIENT_FILE, TDB_GAME_FILE
};

static void	main_sig_handler(int, short, void *);
static void	main_dispatch_netd(int, short, void *);
static void	main_dispatch_logd(int, short, void *);
static int	main_reload(int);
static void	main_admin(const struct ipc_plugin_admin *);
static void	main_processes(const struct ipc_plugin_query *);
static void	main_rss(struct ipc_plugin_rss *, enum proc_kind, pid_t,
		    const char *);
static void	main_watch(int, short, void *);
static void	main_shutdown(int);
static void	main_grace(int, short, void *);
static void	main_check_done(void);
static void	main_send_files(void);
static void	main_child_lost(struct child *);
static void	main_tell_shutdown(struct child *);
static pid_t	start_child(enum proc_id, int);
static void	check_dir(const char *, int, uid_t);
static void	check_key_dir(const char *, const char *,
		    const struct passwd *);
static char	**copy_argv(int, char **);
static int	main_create_db(const struct passwd *);
static int	create_db_files(void);
static void	db_file_range(size_t *, size_t *);
static void	ports_str(const uint16_t *, int, char *, size_t);
static u_char	*read_file(const char *, const char *, size_t *);
static u_char	*read_file_err(const char *, const char *, size_t *, char *,
		    size_t);
static void	 main_reload_tls(void);
static void	 main_status(void);
static int	 unveil_dir_of(const char *);
static void	 pair_digest(const u_char *, size_t, const u_char *, size_t,
		    u_char *);
static void	main_send_chunks(uint32_t, const u_char *, size_t);
static int	main_puppet(char *, size_t);
static int	main_api_keys(char *, size_t, char *, size_t);
static int	main_api(char *, size_t);
static void	argv_drop_keys(char **, char **);

/*
 * The puppet plugin runs when --puppet-master or puppetmasters.txt names
 * a remote master, unless --puppet-disable: a mode of this binary started
 * as a plugin.  puppetmasters.txt is checked here, so that a bad line is
 * an error on the terminal as a bad featured.txt is.
 */
static int
main_puppet(char *err, size_t errlen)
{
	struct puppet_remote	 r[PUPPET_REMOTES_MAX];
	char			 path[PATH_MAX];
	int			 n, rv;

	if (opts.puppet_disable) {
		(void)strlcpy(puppet_note, "puppet plugin off "
		    "(--puppet-disable)", sizeof(puppet_note));
		return (0);
	}
	if (opts.puppet_master == NULL) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", datadir,
		    PUPPET_FILE) >= sizeof(path))
			return (seterr(err, errlen, "%s: path too long",
			    datadir));
		memset(r, 0, sizeof(r));
		r[0].port = PUPPET_DEFAULT_PORT;
		if ((rv = remotes_load(path, r, &n, err, errlen)) == -1)
			return (-1);
		if (rv == 1 || n == 0) {
			(void)snprintf(puppet_note, sizeof(puppet_note),
			    "puppet plugin off: no --puppet-master and %s %s",
			    rv == 1 ? "no" : "an empty", PUPPET_FILE);
			return (0);
		}
		(void)snprintf(puppet_note, sizeof(puppet_note), "puppet "
		    "plugin on: %d remote master%s in %s", n, n == 1 ? "" :
		    "s", PUPPET_FILE);
	} else
		(void)snprintf(puppet_note, sizeof(puppet_note), "puppet "
		    "plugin on: remote master %s", opts.puppet_master);
	if (plugins_add_builtin("puppet", selfpath, saved_argc, saved_argv,
	    0, NULL, 0, NULL, err, errlen) == -1)
		return (-1);
	puppet_on = 1;
	return (0);
}

/*
 * The REST API's keys, checked, as the plugin reads them: "key KEY"
 * lines.  They come from --api-keys, from SLEEPYTEEPEE_API_KEYS and from
 * --api-key-file (one a line; blank lines and # comments skipped).
 */
static int
main_api_keys(char *conf, size_t conflen, char *err, size_t errlen)
{
	const char	*lists[OPT_API_KEYS_MAX + 1];
	char		 why[128], *text, *line, *p, *t;
	const char	*q, *end;
	size_t		 len, klen;
	int		 i, n = 0, nkeys = 0, lineno = 0;
	u_char		*buf;

	for (i = 0; i < opts.napi_keys; i++)
		lists[n++] = opts.api_keys[i];
	if (api_env_keys != NULL)
		lists[n++] = api_env_keys;
	for (i = 0; i < n; i++)
		for (q = lists[i]; *q != '\0'; q = *end == ',' ? end + 1 :
		    end) {
			q += strspn(q, " \t");
			end = q + strcspn(q, ",");
			klen = (size_t)(end - q);
			while (klen > 0 && (q[klen - 1] == ' ' ||
			    q[klen - 1] == '\t'))
				klen--;
			if (klen == 0)
				continue;
			if (keys_check(q, klen, why, sizeof(why)) == -1)
				return (seterr(err, errlen, "%s: %s",
				    i < opts.napi_keys ? "--api-keys" :
				    API_KEYS_ENV, why));
			if (++nkeys > API_KEYS_MAX)
				return (seterr(err, errlen, "more than %d API "
				    "keys", API_KEYS_MAX));
			if (klen < API_KEY_SHORT)
				api_short_keys++;
			(void)strlcat(conf, "key ", conflen);
			if (strlen(conf) + klen + 2 > conflen)
				return (seterr(err, errlen, "API keys too "
				    "long"));
			(void)strncat(conf, q, klen);
			(void)strlcat(conf, "\n", conflen);
		}
	if (opts.api_key_file == NULL)
		return (nkeys);
	buf = read_file("--api-key-file", opts.api_key_file, &len);
	if ((text = calloc(1, len + 1)) == NULL)
		fatal(NULL);
	memcpy(text, buf, len);
	explicit_bzero(buf, len);
	free(buf);
	for (p = text; (line = strsep(&p, "\n")) != NULL; ) {
		lineno++;
		t = line + strspn(line, " \t");
		klen = strlen(t);
		while (klen > 0 && (t[klen - 1] == ' ' || t[klen - 1] == '\t' ||
		    t[klen - 1] == '\r'))
			t[--klen] = '\0';
		if (klen == 0 || *t == '#')
			continue;
		if (keys_check(t, klen, why, sizeof(why)) == -1 ||
		    ++nkeys > API_KEYS_MAX || strlen(conf) + klen + 6 >
		    conflen) {
			explicit_bzero(text, len);
			free(text);
			return (seterr(err, errlen, "--api-key-file: %s:%d: %s",
			    opts.api_key_file, lineno, nkeys > API_KEYS_MAX ?
			    "too many keys" : why));
		}
		if (klen < API_KEY_SHORT)
			api_short_keys++;
		(void)strlcat(conf, "key ", conflen);
		(void)strlcat(conf, t, conflen);
		(void)strlcat(conf, "\n", conflen);
	}
	explicit_bzero(text, len);
	free(text);
	return (nkeys);
}

/*
 * The REST API plugin runs when an --api-* option or SLEEPYTEEPEE_API_KEYS
 * is given: its sockets are bound here, with the others, and it gets them
 * and the keys from the parent (plugin.c), never in argv or environ.
 */
static int
main_api(char *err, size_t errlen)
{
	char	 conf[API_KEYS_MAX * (API_KEY_MAX + 8) + 64], line[32];
	char	 where[ADDRSTRLEN + 16];
	int	 fds[API_LISTEN_MAX], nfds = 0, nkeys, i;

	if (opts.api_opt == NULL && api_env_keys == NULL) {
		(void)strlcpy(api_note, "REST API off: no --api-* option and "
		    "no " API_KEYS_ENV, sizeof(api_note));
		return (0);
	}
	conf[0] = '\0';
	if ((nkeys = main_api_keys(conf, sizeof(conf), err, errlen)) == -1)
		return (-1);
	if (opts.action == ACTION_RUN &&
	    (nfds = listen_api(&opts, fds, API_LISTEN_MAX, err, errlen)) == -1)
		return (-1);
	(void)snprintf(line, sizeof(line), "listen %d\n", nfds);
	if (strlen(conf) + strlen(line) >= sizeof(conf))
		return (seterr(err, errlen, "API keys too long"));
	memmove(conf + strlen(line), conf, strlen(conf) + 1);
	memcpy(conf, line, strlen(line));
	if (strchr(opts.api_host, ':') != NULL)
		(void)snprintf(where, sizeof(where), "[%s]:%u", opts.api_host,
		    opts.api_port);
	else
		(void)snprintf(where, sizeof(where), "%s:%u", opts.api_host,
		    opts.api_port);
	(void)snprintf(api_note, sizeof(api_note), "REST API on: http://%s/, "
	    "%d key%s%s", where, nkeys, nkeys == 1 ? "" : "s", nkeys == 0 ?
	    " (the admin endpoints answer 401)" : "");
	if (api_short_keys > 0) {
		(void)snprintf(line, sizeof(line), " (%d shorter than %d",
		    api_short_keys, API_KEY_SHORT);
		(void)strlcat(api_note, line, sizeof(api_note));
		(void)strlcat(api_note, " bytes: easier to guess)",
		    sizeof(api_note));
	}
	i = plugins_add_builtin("api", selfpath, saved_argc, saved_argv, 1,
	    fds, nfds, conf, err, errlen);
	explicit_bzero(conf, sizeof(conf));
	/* The sockets stay open, close-on-exec, for each start of it. */
	if (i == -1)
		return (-1);
	api_on = 1;
	return (0);
}

/*
 * Leave every --api-keys and its key out of the arguments the children
 * are given.  orig holds argv's pointers as they were before getopt(3)
 * moved them, in the order of saved_argv; a key is an option's argument
 * of its own, or follows "=" in the option's word.  kargv are the words
 * the kernel shows in ps(1) (setproctitle_init() moved argv off them):
 * the keys' bytes there are overwritten.
 */
static void
argv_drop_keys(char **orig, char **kargv)
{
	char	*eq;
	int	 i, j, k, n = 0, drop;
	size_t	 len;

	for (i = 0; i < saved_argc; i++) {
		drop = 0;
		len = strlen(orig[i]);
		for (k = 0; k < opts.napi_keys; k++) {
			if (opts.api_keys[k] == orig[i])
				drop = 2;	/* and the option before */
			else if (opts.api_keys[k] > orig[i] &&
			    opts.api_keys[k] <= orig[i] + len)
				drop = 1;
		}
		if (drop == 2 && n > 0)
			free(saved_argv[--n]);
		if (drop) {
			explicit_bzero(saved_argv[i], strlen(saved_argv[i]));
			free(saved_argv[i]);
			if (drop == 2)
				memset(kargv[i], '*', strlen(kargv[i]));
			else if ((eq = strchr(kargv[i], '=')) != NULL)
				memset(eq + 1, '*', strlen(eq + 1));
			continue;
		}
		saved_argv[n++] = saved_argv[i];
	}
	for (j = n; j < saved_argc; j++)
		saved_argv[j] = NULL;
	saved_argc = n;
}

/* unveil(2) the directory of path, read-only. */
static int
unveil_dir_of(const char *path)
{
	char	 dir[PATH_MAX], *slash;

	if (strlcpy(dir, path, sizeof(dir)) >= sizeof(dir))
		return (-1);
	if ((slash = strrchr(dir, '/')) == NULL)
		return (unveil(".", "r"));
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return (unveil(dir, "r"));
}

/* "30700 30710", or "none", for the start-up line. */
static void
ports_str(const uint16_t *ports, int n, char *buf, size_t len)
{
	char	 one[8];
	int	 i;

	(void)strlcpy(buf, n == 0 ? "none" : "", len);
	for (i = 0; i < n; i++) {
		(void)snprintf(one, sizeof(one), "%s%u", i > 0 ? " " : "",
		    ports[i]);
		(void)strlcat(buf, one, len);
	}
}

/* setproctitle() overwrites argv, so keep a copy for exec. */
static char **
copy_argv(int argc, char **argv)
{
	char	**copy;
	int	  i;

	if ((copy = calloc(argc + 1, sizeof(*copy))) == NULL)
		err(1, NULL);
	for (i = 0; i < argc; i++)
		if ((copy[i] = strdup(argv[i])) == NULL)
			err(1, NULL);
	return (copy);
}

/*
 * A directory a child will chroot to must belong to root (or, for the data
 * directory that logd writes its database in, to the user) and must not be
 * writable by others.  The empty default is created when missing.
 */
static void
check_dir(const char *dir, int create, uid_t user)
{
	struct stat	 st;

	if (create && mkdir(dir, 0755) == -1 && errno != EEXIST)
		err(1, "mkdir %s", dir);
	if (stat(dir, &st) == -1)
		err(1, "%s", dir);
	if (!S_ISDIR(st.st_mode))
		errx(1, "%s: not a directory", dir);
	if (st.st_uid != 0 && st.st_uid != user)
		errx(1, "%s: chroot directory must be owned by root%s", dir,
		    user != 0 ? " or by the -u user" : "");
	if (st.st_mode & S_IWOTH)
		errx(1, "%s: chroot directory must not be writable by "
		    "others", dir);
}

/*
 * The parent reads -k and -K as root, following links, whenever they are
 * reloaded.  If the -u user may rename or replace what stands in one of the
 * directories on the way (its own, or one its group or everyone may write
 * without the sticky bit), netd's user can make the name lead to any key
 * pair root may read, another service's among them: say so at start-up.
 */
static void
check_key_dir(const char *opt, const char *file, const struct passwd *pw)
{
	struct stat	 st;
	char		 copy[PATH_MAX], dir[PATH_MAX], *slash;

	if (strlcpy(copy, file, sizeof(copy)) >= sizeof(copy))
		return;
	if ((slash = strrchr(copy, '/')) == NULL)
		(void)strlcpy(copy, ".", sizeof(copy));
	else if (slash == copy)
		copy[1] = '\0';
	else
		*slash = '\0';
	if (realpath(copy, dir) == NULL)
		return;
	for (;;) {
		if (stat(dir, &st) == 0 && (st.st_uid == pw->pw_uid ||
		    (!(st.st_mode & S_ISVTX) && ((st.st_mode & S_IWOTH) ||
		    ((st.st_mode & S_IWGRP) && st.st_gid == pw->pw_gid))))) {
			log_warnx("%s %s: the -u user %s may change %s: it "
			    "could have the parent read another key pair",
			    opt, file, pw->pw_name, dir);
			return;
		}
		if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
			break;
		*slash = '\0';
	}
}

/* The files of the -d backend are db_files[first] to db_files[last - 1]. */
static void
db_file_range(size_t *first, size_t *last)
{
	*first = opts.db == DB_TDB ? 1 : 0;
	*last = opts.db == DB_TDB ? 3 : 1;
}

/*
 * --create-db as the user logd runs as, in the child: chrooted to the data
 * directory and without a way back to root, so that a link the user
 * planted there reaches nothing the user could not reach anyway.  A name
 * that is already something else than a regular file is refused.
 */
static int
create_db_files(void)
{
	struct stat	 st;
	size_t		 i, first, last;

	db_file_range(&first, &last);
	for (i = first; i < last; i++) {
		if (lstat(db_files[i], &st) == -1) {
			if (errno == ENOENT)
				continue;
			warn("%s/%s", datadir, db_files[i]);
			return (1);
		}
		if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
			warnx("%s/%s: %s, refused: the database must be a "
			    "regular file with one name", datadir, db_files[i],
			    S_ISLNK(st.st_mode) ? "a symbolic link" :
			    S_ISREG(st.st_mode) ? "a hard link" :
			    "not a regular file");
			return (1);
		}
	}
	return (db_create(".", opts.db) == -1 ? 1 : 0);
}

/*
 * --create-db: an empty database in the data directory.  Run by root, the
 * files are made by a child that became the user logd runs as (the same
 * checks of the data directory as a normal start first), so that they
 * belong to that user without a chown by root.
 */
static int
main_create_db(const struct passwd *pw)
{
	size_t	 i, first, last;
	pid_t	 pid;
	int	 status;

	if (opts.db == DB_NONE) {
		warnx("-d none: no database to create");
		return (1);
	}
	if (pw == NULL) {
		if (chdir(datadir) == -1)
			err(1, "%s", datadir);
		if (create_db_files() != 0)
			return (1);
	} else {
		check_dir(datadir, 0, pw->pw_uid);
		fflush(stdout);
		switch (pid = fork()) {
		case -1:
			err(1, "fork");
		case 0:
			privdrop(pw, datadir);
			if (access(".", W_OK | X_OK) == -1) {
				warnx("%s is not writable by user %s (the "
				    "database and its journal live there)",
				    datadir, pw->pw_name);
				_exit(1);
			}
			_exit(create_db_files());
		}
		while (waitpid(pid, &status, 0) == -1)
			if (errno != EINTR)
				err(1, "waitpid");
		if (WIFSIGNALED(status))
			errx(1, "--create-db: child terminated by signal %d",
			    WTERMSIG(status));
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return (1);
	}
	db_file_range(&first, &last);
	for (i = first; i < last; i++)
		printf("%s/%s\n", datadir, db_files[i]);
	return (0);
}

/*
 * Read a whole file named by an option, for the TLS key pair: read here,
 * as root, so that netd never needs it on disk.
 */
static u_char *
read_file(const char *opt, const char *path, size_t *len)
{
	u_char	*buf;
	char	 why[PATH_MAX + 128];

	if ((buf = read_file_err(opt, path, len, why, sizeof(why))) == NULL)
		errx(1, "%s", why);
	return (buf);
}

/* The same, or NULL with the reason in err: for a reload, not fatal. */
static u_char *
read_file_err(const char *opt, const char *path, size_t *len, char *err,
    size_t errlen)
{
	struct stat	 st;
	u_char		*buf;
	ssize_t		 n;
	int		 fd;

	/* Links are followed: certbot's live/ directory is made of them. */
	if ((fd = datafile_open(path, 1)) == -1) {
		if (errno == ENOENT)
			(void)seterr(err, errlen, "%s: %s: %s", opt, path,
			    strerror(errno));
		else
			(void)seterr(err, errlen, "%s: cannot use %s", opt,
			    path);
		return (NULL);
	}
	if (fstat(fd, &st) == -1 || st.st_size <= 0 ||
	    st.st_size > TLS_FILE_MAX) {
		(void)seterr(err, errlen, "%s: %s: not a regular file of 1 to "
		    "%d bytes", opt, path, TLS_FILE_MAX);
		(void)close(fd);
		return (NULL);
	}
	if ((buf = malloc(st.st_size)) == NULL)
		fatal(NULL);
	if ((n = read(fd, buf, st.st_size)) != st.st_size) {
		(void)seterr(err, errlen, "%s: %s: short read", opt, path);
		(void)close(fd);
		freezero(buf, st.st_size);
		return (NULL);
	}
	(void)close(fd);
	*len = st.st_size;
	return (buf);
}

/* A digest of a key pair, to tell a renewed one from the same again. */
static void
pair_digest(const u_char *cert, size_t clen, const u_char *key, size_t klen,
    u_char *out)
{
	crypto_generichash_state	 st;
	uint64_t			 n = clen;

	(void)crypto_generichash_init(&st, NULL, 0, crypto_generichash_BYTES);
	(void)crypto_generichash_update(&st, (const u_char *)&n, sizeof(n));
	(void)crypto_generichash_update(&st, cert, clen);
	(void)crypto_generichash_update(&st, key, klen);
	(void)crypto_generichash_final(&st, out, crypto_generichash_BYTES);
	sodium_memzero(&st, sizeof(st));
}

/*
 * SIGUSR1: a status line of the parent's, and one each from netd and
 * logd, which they log themselves.
 */
static void
main_status(void)
{
	char		 line[PATH_MAX + 1024], one[128];
	const char	*name;
	pid_t		 pid;
	uint32_t	 i;

	(void)snprintf(line, sizeof(line), "status: up %lld s, data "
	    "directory %s, %zu featured servers, %zu ignore entries, motd of "
	    "%zu bytes; plugins:", (long long)(time(NULL) - started_at),
	    datadir, featured_count(&files), files.nignore,
	    strlen(files.motd));
	for (i = 0; (name = plugins_name(i)) != NULL; i++) {
		pid = plugins_pid(i);
		if (pid != 0)
			(void)snprintf(one, sizeof(one), "%s %s (pid %ld)",
			    i > 0 ? "," : "", name, (long)pid);
		else
			(void)snprintf(one, sizeof(one), "%s %s (ended)",
			    i > 0 ? "," : "", name);
		(void)strlcat(line, one, sizeof(line));
	}
	if (i == 0)
		(void)strlcat(line, " none", sizeof(line));
	log_info("%s", line);
	if (shutting_down)
		return;
	if (ipcev_compose(&netd.iev, IMSG_STATUS, 0, -1, NULL, 0) == -1 ||
	    ipcev_compose(&logd.iev, IMSG_STATUS, 0, -1, NULL, 0) == -1)
		fatal("compose status");
}

/*
 * SIGHUP: the -k/-K key pair again, for the wss:// connections to come
 * (a certificate renewed in place); one that cannot be used is logged and
 * the pair in use kept.
 */
static void
main_reload_tls(void)
{
	u_char		*key = NULL, *cert = NULL;
	size_t		 klen = 0, clen = 0;
	struct tls	*t;
	u_char		 digest[crypto_generichash_BYTES];
	char		 why[PATH_MAX + 128];

	if (shutting_down || opts.ws_ssl_key == NULL || !opts.use_ws ||
	    opts.nws_ports == 0)
		return;
	if ((key = read_file_err("-k", opts.ws_ssl_key, &klen, why,
	    sizeof(why))) != NULL && (cert = read_file_err("-K",
	    opts.ws_ssl_cert, &clen, why, sizeof(why))) != NULL) {
		pair_digest(cert, clen, key, klen, digest);
		if (memcmp(digest, tls_digest, sizeof(digest)) == 0)
			log_verbose("the wss:// key pair has not changed");
		else if ((t = ws_tls_server(cert, clen, key, klen, why,
		    sizeof(why))) != NULL) {
			tls_free(t);
			memcpy(tls_digest, digest, sizeof(digest));
			main_send_chunks(IMSG_TLS_CERT, cert, clen);
			main_send_chunks(IMSG_TLS_KEY, key, klen);
			if (ipcev_compose(&netd.iev, IMSG_TLS_END, 0, -1, NULL,
			    0) == -1)
				fatal("compose tls");
			log_info("reloaded the wss:// key pair (-k %s, -K %s)",
			    opts.ws_ssl_key, opts.ws_ssl_cert);
		} else
			log_warnx("-k/-K: %s: keeping the key pair in use",
			    why);
	} else
		log_warnx("%s: keeping the wss:// key pair in use", why);
	if (key != NULL)
		freezero(key, klen);
	if (cert != NULL)
		freezero(cert, clen);
}

/* A key or chain in TLS_CHUNK pieces. */
static void
main_send_chunks(uint32_t type, const u_char *data, size_t len)
{
	struct ipc_chunk	 c;
	size_t			 off, n;

	for (off = 0; off < len; off += n) {
		n = len - off > TLS_CHUNK ? TLS_CHUNK : len - off;
		memset(&c, 0, sizeof(c));
		c.len = (uint16_t)n;
		memcpy(c.data, data + off, n);
		if (ipcev_compose(&netd.iev, type, 0, -1, &c, sizeof(c)) == -1)
			fatal("%s", __func__);
	}
	explicit_bzero(&c, sizeof(c));
}

int
main(int argc, char *argv[])
{
	struct passwd	*pw = NULL;
	struct stat	 st;
	struct listener	*l;
	struct ipc_socket sock;
	struct ipc_link	 link;
	struct tls	*tls_check;
	char		 errbuf[256], **orig_argv, **kargv, **kenv;
	char		 rports[MAX_PORTS * 6 + 8], wports[MAX_PORTS * 6 + 8];
	const char	*e;
	int		 is_root, pipe_netd[2], pipe_logd[2], pipe_link[2];
	size_t		 i;

	saved_argc = argc;
	saved_argv = copy_argv(argc, argv);
	if ((kargv = calloc(argc + 1, sizeof(*kargv))) == NULL)
		err(1, NULL);
	memcpy(kargv, argv, argc * sizeof(*argv));
	kenv = environ;
	setproctitle_init(argc, argv, environ);
	if ((orig_argv = calloc(argc + 1, sizeof(*orig_argv))) == NULL)
		err(1, NULL);
	memcpy(orig_argv, argv, argc * sizeof(*argv));

	if (options_parse(argc, argv, &opts, errbuf, sizeof(errbuf)) == -1) {
		fprintf(stderr, "tremmasterd: %s\n", errbuf);
		free(orig_argv);
		free(kargv);
		return (1);
	}
	/* The keys reach no child but the API, and that on a pipe. */
	if (opts.proc == PROC_PARENT) {
		if ((e = getenv(API_KEYS_ENV)) != NULL) {
			if ((api_env_keys = strdup(e)) == NULL)
				err(1, NULL);
			(void)unsetenv(API_KEYS_ENV);
			/* And out of what /proc shows of our environment. */
			for (i = 0; kenv[i] != NULL; i++)
				if (strncmp(kenv[i], API_KEYS_ENV "=",
				    sizeof(API_KEYS_ENV)) == 0)
					memset(kenv[i] + sizeof(API_KEYS_ENV),
					    '*', strlen(kenv[i] +
					    sizeof(API_KEYS_ENV)));
		}
		argv_drop_keys(orig_argv, kargv);
	}
	free(orig_argv);
	free(kargv);
	/* netd and logd have their channel on fd 3, plugins on stdin. */
	if (opts.proc != PROC_PARENT && (fstat(opts.proc == PROC_PUPPET ||
	    opts.proc == PROC_API ? STDIN_FILENO : PARENT_SOCK_FILENO,
	    &st) == -1 ||
	    !S_ISSOCK(st.st_mode)))
		errx(1, "--proc is for tremmasterd's own children");
	if (opts.proc == PROC_PUPPET)
		puppet_main(&opts);
	if (opts.proc == PROC_API)
		api_main(&opts);
	if (opts.proc == PROC_NETD)
		netd_main(&opts);
	if (opts.proc == PROC_LOGD)
		logd_main(&opts);
	if (opts.action == ACTION_HELP) {
		usage_print(1);
		return (0);
	}
	if (opts.action == ACTION_VERSION) {
		printf("tremmasterd %s\n", VERSION);
		return (0);
	}

	is_root = geteuid() == 0;
	if (options_check(&opts, is_root, errbuf, sizeof(errbuf)) == -1) {
		fprintf(stderr, "tremmasterd: %s\n", errbuf);
		return (1);
	}
	if (is_root) {
		if ((pw = getpwnam(options_user(&opts))) == NULL)
			errx(1, "-u: unknown user %s", options_user(&opts));
		if (pw->pw_uid == 0)
			errx(1, "-u: refusing to run netd and logd as root "
			    "(user %s)", pw->pw_name);
	}
	if ((opts.action == ACTION_RUN || opts.action == ACTION_CHECK) &&
	    plugins_init(&opts, pw, errbuf, sizeof(errbuf)) == -1) {
		fprintf(stderr, "tremmasterd: %s\n", errbuf);
		return (1);
	}
	if (options_datadir(&opts, datadir, sizeof(datadir)) == -1)
		err(1, "data directory");
	if (osdep_self_path(saved_argv[0], selfpath, sizeof(selfpath)) == -1)
		err(1, "cannot find my own binary from \"%s\"", saved_argv[0]);
	if ((opts.action == ACTION_RUN || opts.action == ACTION_CHECK) &&
	    (main_puppet(errbuf, sizeof(errbuf)) == -1 ||
	    main_api(errbuf, sizeof(errbuf)) == -1)) {
		fprintf(stderr, "tremmasterd: %s\n", errbuf);
		return (1);
	}

	/* Until the daemon runs, errors show even at --verbose 0. */
	log_init(0, opts.verbose > LOGLEVEL_ERROR ? opts.verbose :
	    LOGLEVEL_ERROR);
	if (opts.action == ACTION_STATS)
		return (db_report(datadir, opts.db) == 0 ? 0 : 1);
	if (opts.action == ACTION_CREATE_DB)
		return (main_create_db(pw));
	/* As -j, the working directory is logd's chroot: same checks. */
	if (is_root && opts.action == ACTION_RUN) {
		check_dir(datadir, 0, pw->pw_uid);
		if (stat(datadir, &st) == 0 && st.st_uid == pw->pw_uid)
			datafile_writer(pw->pw_uid, pw->pw_gid);
	}
	if (datafiles_load(datadir, &files) == -1)
		errx(1, "invalid data files in %s", datadir);
	if (serverlist_read(datadir, &saved) == -1)
		errx(1, "cannot read %s/%s", datadir, SERVERLIST_FILE);
	if (opts.action == ACTION_CHECK) {
		printf("configuration OK: %zu featured servers, %zu ignore "
		    "entries, motd of %zu bytes, %zu saved servers\n",
		    featured_count(&files), files.nignore, strlen(files.motd),
		    saved.n);
		return (0);
	}

	if (opts.ws_ssl_key != NULL) {
		tls_key = read_file("-k", opts.ws_ssl_key, &tls_key_len);
		tls_cert = read_file("-K", opts.ws_ssl_cert, &tls_cert_len);
		if ((tls_check = ws_tls_server(tls_cert, tls_cert_len,
		    tls_key, tls_key_len, errbuf, sizeof(errbuf))) == NULL)
			errx(1, "-k/-K: %s", errbuf);
		tls_free(tls_check);
		if (is_root) {
			check_key_dir("-k", opts.ws_ssl_key, pw);
			check_key_dir("-K", opts.ws_ssl_cert, pw);
		}
	}
	if (listen_open(&opts, &listeners) == -1)
		return (1);
	if (is_root) {
		if (strcmp(options_netd_root(&opts), EMPTY_DIR) == 0) {
			check_dir(EMPTY_DIR, 1, 0);
			if (opts.jail != NULL)
				log_info("%s may be written by others than "
				    "root: netd is chrooted to %s instead",
				    opts.jail, EMPTY_DIR);
		} else if (puppet_on || api_on)
			check_dir(EMPTY_DIR, 1, 0);	/* their chroot */
	}

	if (opts.daemonize && daemon(1, 0) == -1)
		err(1, "daemon");
	log_init(opts.use_syslog, opts.verbose);
	if (puppet_note[0] != '\0') {
		if (opts.puppet_opt != NULL || puppet_on)
			log_info("%s", puppet_note);
		else
			log_verbose("%s", puppet_note);
	}
	if (opts.api_opt != NULL || api_env_keys != NULL)
		log_info("%s", api_note);
	else
		log_verbose("%s", api_note);
	if (!is_root)
		log_info("not started as root: netd and logd keep this user "
		    "and are not chrooted");

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0, pipe_netd) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0, pipe_logd) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0, pipe_link) == -1)
		fatal("socketpair");

	signal(SIGPIPE, SIG_IGN);
	logd.name = "logd";
	logd.pid = start_child(PROC_LOGD, pipe_logd[1]);
	netd.name = "netd";
	netd.pid = start_child(PROC_NETD, pipe_netd[1]);
	(void)close(pipe_logd[1]);
	(void)close(pipe_netd[1]);

	if (unveil(datadir, "rwc") == -1 || unveil("/etc/hosts", "r") == -1 ||
	    unveil("/etc/resolv.conf", "r") == -1)
		fatal("unveil");
	/* SIGHUP reads the key pair again: their directories, read-only. */
	if (opts.ws_ssl_key != NULL && (unveil_dir_of(opts.ws_ssl_key) == -1 ||
	    unveil_dir_of(opts.ws_ssl_cert) == -1))
		fatal("unveil");
	plugins_unveil();
	if (unveil(NULL, NULL) == -1)
		fatal("unveil");
	/* ps: the resident memory of the children (osdep_rss()). */
	/* id: the plugins' privilege drop, and datafile_writer(). */
	if (pledge(opts.nplugins > 0 ?
	    "stdio rpath wpath cpath dns sendfd proc ps exec id" :
	    "stdio rpath wpath cpath dns sendfd proc ps id", NULL) == -1)
		fatal("pledge");

	event_init();
	signal_set(&ev_sigterm, SIGTERM, main_sig_handler, NULL);
	signal_set(&ev_sigint, SIGINT, main_sig_handler, NULL);
	signal_set(&ev_sighup, SIGHUP, main_sig_handler, NULL);
	signal_set(&ev_sigusr1, SIGUSR1, main_sig_handler, NULL);
	signal_add(&ev_sigusr1, NULL);
	signal_set(&ev_sigchld, SIGCHLD, main_sig_handler, NULL);
	signal_add(&ev_sigterm, NULL);
	signal_add(&ev_sigint, NULL);
	signal_add(&ev_sighup, NULL);
	signal_add(&ev_sigchld, NULL);
	evtimer_set(&ev_grace, main_grace, NULL);
	evtimer_set(&ev_watch, main_watch, NULL);
	main_watch(-1, 0, NULL);

	ipcev_init(&netd.iev, pipe_netd[0], "netd", main_dispatch_netd, NULL);
	netd.iev.peer_pid = netd.pid;
	netd.open = 1;
	ipcev_init(&logd.iev, pipe_logd[0], "logd", main_dispatch_logd, NULL);
	logd.iev.peer_pid = logd.pid;
	logd.open = 1;

	/* The two ends of the netd-logd link. */
	memset(&link, 0, sizeof(link));
	link.peer_pid = logd.pid;
	if (ipcev_compose(&netd.iev, IMSG_LINK, 0, pipe_link[0], &link,
	    sizeof(link)) == -1)
		fatal("compose link");
	link.peer_pid = netd.pid;
	if (ipcev_compose(&logd.iev, IMSG_LINK, 0, pipe_link[1], &link,
	    sizeof(link)) == -1)
		fatal("compose link");

	/* Each listener in its own message. */
	while ((l = TAILQ_FIRST(&listeners)) != NULL) {
		TAILQ_REMOVE(&listeners, l, entry);
		memset(&sock, 0, sizeof(sock));
		sock.role = l->role;
		sock.family = l->family;
		sock.port = l->port;
		if (ipcev_compose(&netd.iev, IMSG_SOCKET, 0, l->fd, &sock,
		    sizeof(sock)) == -1)
			fatal("compose socket");
		free(l);
	}
	main_send_files();
	plugins_start(&netd.iev, datadir);
	if (tls_key != NULL) {
		if (sodium_init() == -1)
			fatalx("sodium_init");
		pair_digest(tls_cert, tls_cert_len, tls_key, tls_key_len,
		    tls_digest);
		main_send_chunks(IMSG_TLS_CERT, tls_cert, tls_cert_len);
		main_send_chunks(IMSG_TLS_KEY, tls_key, tls_key_len);
		if (ipcev_compose(&netd.iev, IMSG_TLS_END, 0, -1, NULL, 0) ==
		    -1)
			fatal("compose tls");
		freezero(tls_key, tls_key_len);
		freezero(tls_cert, tls_cert_len);
		tls_key = tls_cert = NULL;
	}
	for (i = 0; i < saved.n; i++)
		if (ipcev_compose(&netd.iev, IMSG_SERVER, 0, -1,
		    &saved.addrs[i], sizeof(saved.addrs[i])) == -1)
			fatal("compose server");
	if (ipcev_compose(&netd.iev, IMSG_SERVERS_END, 0, -1, NULL, 0) == -1 ||
	    ipcev_compose(&netd.iev, IMSG_STARTUP, 0, -1, NULL, 0) == -1 ||
	    ipcev_compose(&logd.iev, IMSG_STARTUP, 0, -1, NULL, 0) == -1)
		fatal("compose startup");
	serverlist_free(&saved);
	ipcev_add(&netd.iev);
	ipcev_add(&logd.iev);

	ports_str(opts.ports, opts.nports, rports, sizeof(rports));
	ports_str(opts.ws_ports, opts.use_ws ? opts.nws_ports : 0, wports,
	    sizeof(wports));
	started_at = time(NULL);
	log_info("tremmasterd %s started: data directory %s, request ports "
	    "%s, challenge port %u, WebSocket ports %s%s", VERSION, datadir,
	    rports, opts.challenge_port, wports, opts.use_ws &&
	    opts.ws_ssl_cert != NULL ? " (wss)" : "");

	event_dispatch();

	plugins_kill();
	datafiles_free(&files);
	serverlist_free(&incoming);
	log_info("exiting");
	return (exit_status);
}

/*
 * Fork and exec this binary as a child, with its channel to us on fd 3
 * and the original arguments.
 */
static pid_t
start_child(enum proc_id proc, int fd)
{
	char	**argv;
	pid_t	  pid;
	int	  i, n = 0;

	switch (pid = fork()) {
	case -1:
		fatal("fork");
	case 0:
		break;
	default:
		return (pid);
	}

	if (fd != PARENT_SOCK_FILENO) {
		if (dup2(fd, PARENT_SOCK_FILENO) == -1)
			fatal("dup2");
	} else if (fcntl(fd, F_SETFD, 0) == -1)
		fatal("fcntl");
	if ((argv = calloc(saved_argc + 3, sizeof(*argv))) == NULL)
		fatal(NULL);
	argv[n++] = saved_argv[0];
	argv[n++] = "--proc";
	argv[n++] = proc == PROC_NETD ? "netd" : "logd";
	for (i = 1; i < saved_argc; i++)
		argv[n++] = saved_argv[i];
	argv[n] = NULL;
	execv(selfpath, argv);
	fatal("execv %s", selfpath);
}

/* The data files, as one RECONF sequence; also the SIGHUP path. */
static void
main_send_files(void)
{
	struct featured		*f;
	struct ipc_label	 label;
	struct ipc_motd		 motd;
	size_t			 i;

	if (ipcev_compose(&netd.iev, IMSG_RECONF_START, 0, -1, NULL, 0) == -1)
		fatal("%s", __func__);
	TAILQ_FOREACH(f, &files.featured, entry) {
		memset(&label, 0, sizeof(label));
		(void)strlcpy(label.label, f->label, sizeof(label.label));
		if (ipcev_compose(&netd.iev, IMSG_RECONF_LABEL, 0, -1, &label,
		    sizeof(label)) == -1)
			fatal("%s", __func__);
		for (i = 0; i < f->naddrs; i++)
			if (ipcev_compose(&netd.iev, IMSG_RECONF_FEATURED, 0,
			    -1, &f->addrs[i], sizeof(f->addrs[i])) == -1)
				fatal("%s", __func__);
	}
	for (i = 0; i < files.nignore; i++)
		if (ipcev_compose(&netd.iev, IMSG_RECONF_IGNORE, 0, -1,
		    &files.ignore[i], sizeof(files.ignore[i])) == -1)
			fatal("%s", __func__);
	memset(&motd, 0, sizeof(motd));
	(void)strlcpy(motd.text, files.motd, sizeof(motd.text));
	if (ipcev_compose(&netd.iev, IMSG_RECONF_MOTD, 0, -1, &motd,
	    sizeof(motd)) == -1 ||
	    ipcev_compose(&netd.iev, IMSG_RECONF_END, 0, -1, NULL, 0) == -1)
		fatal("%s", __func__);
}

/*
 * Read the data files in mask again; keep the old contents if any is
 * invalid.  SIGHUP reloads them all.
 */
static int
main_reload(int mask)
{
	struct datafiles	 df;

	if (shutting_down)
		return (-1);
	if (datafiles_load_some(datadir, &df, mask) == -1) {
		log_warnx("reload failed: keeping the data files loaded "
		    "before");
		return (-1);
	}
	if (!(mask & DF_FEATURED))
		TAILQ_CONCAT(&df.featured, &files.featured, entry);
	if (!(mask & DF_IGNORE)) {
		df.ignore = files.ignore;
		df.nignore = files.nignore;
		files.ignore = NULL;
	}
	if (!(mask & DF_MOTD))
		(void)strlcpy(df.motd, files.motd, sizeof(df.motd));
	datafiles_free(&files);
	files = df;
	/* The list head was copied by value: point it at the new head. */
	TAILQ_INIT(&files.featured);
	TAILQ_CONCAT(&files.featured, &df.featured, entry);
	main_send_files();
	log_info("reloaded data files: %zu featured servers, %zu ignore "
	    "entries, motd of %zu bytes", featured_count(&files),
	    files.nignore, strlen(files.motd));
	return (0);
}

/*
 * An admin request of a --plugin-admin plugin, from netd: checked here
 * again (netd is not trusted with the files), applied, answered.
 */
static void
main_admin(const struct ipc_plugin_admin *a)
{
	struct ipc_plugin_answer	 ans;
	const char			*name;
	int				 mask;

	if ((name = plugins_name(a->id)) == NULL ||
	    memchr(a->token, '\0', sizeof(a->token)) == NULL ||
	    memchr(a->arg, '\0', sizeof(a->arg)) == NULL ||
	    memchr(a->text, '\0', sizeof(a->text)) == NULL ||
	    a->cmd < ADMIN_IGNORE_ADD || a->cmd > ADMIN_SHUTDOWN)
		fatalx("bad admin request from netd");
	memset(&ans, 0, sizeof(ans));
	ans.id = a->id;
	ans.serial = a->serial;
	(void)strlcpy(ans.token, a->token, sizeof(ans.token));
	/*
	 * netd reads what it is sent: past ADMIN_QUEUE_MAX unread it is busy
	 * with a large reload, past ADMIN_QUEUE_FATAL it has stopped reading
	 * and asks on (a netd gone wrong), which the parent cannot afford.
	 */
	if (netd.iev.ibuf.queued > ADMIN_QUEUE_FATAL)
		fatalx("netd sends admin requests and does not read the "
		    "answers");
	if (netd.iev.ibuf.queued > ADMIN_QUEUE_MAX)
		(void)strlcpy(ans.message, "busy", sizeof(ans.message));
	else if (!plugins_admin(a->id)) {
		log_warnx("plugin %s: admin request refused: not started with "
		    "--plugin-admin", name);
		(void)strlcpy(ans.message, "not an admin plugin",
		    sizeof(ans.message));
	} else if (shutting_down)
		(void)strlcpy(ans.message, "shutting down",
		    sizeof(ans.message));
	else if (a->cmd == ADMIN_RELOAD) {
		log_info("plugin %s: reloading data files", name);
		main_reload_tls();
		if (main_reload(DF_ALL) == 0)
			ans.ok = 1;
		else
			(void)strlcpy(ans.message, "reload failed, see the "
			    "log", sizeof(ans.message));
	} else if (a->cmd == ADMIN_SHUTDOWN) {
		log_info("plugin %s: shutting down", name);
		ans.ok = 1;
	} else if (admin_apply(datadir, a, name, &mask, ans.message,
	    sizeof(ans.message)) == 0) {
		/* Seen by the watch too: not reloaded twice. */
		datafiles_stamp(datadir, DF_IGNORE | DF_MOTD, watch_stamp,
		    sizeof(watch_stamp));
		if (main_reload(mask) == 0)
			ans.ok = 1;
		else
			(void)strlcpy(ans.message, "written, but the reload "
			    "failed, see the log", sizeof(ans.message));
	} else
		log_warnx("plugin %s: admin request refused: %s", name,
		    ans.message);
	if (ipcev_compose(&netd.iev, IMSG_PLUGIN_ANSWER, 0, -1, &ans,
	    sizeof(ans)) == -1)
		fatal("%s", __func__);
	if (a->cmd == ADMIN_SHUTDOWN && ans.ok)
		main_shutdown(0);
}

/* One process in a processes answer, if its memory can be read. */
static void
main_rss(struct ipc_plugin_rss *r, enum proc_kind kind, pid_t pid,
    const char *name)
{
	struct ipc_proc_rss	*pr;
	uint64_t		 rss;

	if (pid <= 0 || r->n >= nitems(r->procs) || osdep_rss(pid, &rss) == -1)
		return;
	pr = &r->procs[r->n++];
	pr->kind = kind;
	pr->pid = (int32_t)pid;
	pr->rss = rss;
	if (name != NULL)
		(void)strlcpy(pr->name, name, sizeof(pr->name));
}

/*
 * A plugin's processes request, from netd: the resident memory of every
 * process of the daemon, itself first, then netd, logd and the plugins
 * that run, in their order.
 */
static void
main_processes(const struct ipc_plugin_query *q)
{
	struct ipc_plugin_rss	 r;
	const char		*name;
	uint32_t		 i;

	if (plugins_name(q->id) == NULL ||
	    memchr(q->token, '\0', sizeof(q->token)) == NULL)
		fatalx("bad processes request from netd");
	memset(&r, 0, sizeof(r));
	r.id = q->id;
	r.serial = q->serial;
	(void)strlcpy(r.token, q->token, sizeof(r.token));
	/* As for admin requests: a netd that asks and does not read. */
	if (netd.iev.ibuf.queued > ADMIN_QUEUE_FATAL)
		fatalx("netd sends processes requests and does not read the "
		    "answers");
	if (netd.iev.ibuf.queued <= ADMIN_QUEUE_MAX) {
		r.ok = 1;
		main_rss(&r, PROC_KIND_MASTER, getpid(), NULL);
		main_rss(&r, PROC_KIND_NETD, netd.pid, NULL);
		main_rss(&r, PROC_KIND_LOGD, logd.pid, NULL);
		for (i = 0; (name = plugins_name(i)) != NULL; i++)
			main_rss(&r, PROC_KIND_PLUGIN, plugins_pid(i), name);
	}
	if (ipcev_compose(&netd.iev, IMSG_PLUGIN_RSS, 0, -1, &r,
	    sizeof(r)) == -1)
		fatal("%s", __func__);
}

/*
 * ignore.txt and motd.txt take effect without a signal, as with the Python
 * master: a look every WATCH_INTERVAL seconds, a reload when one changed.
 * A file found invalid is not tried again until it changes once more.
 */
static void
main_watch(int fd __unused, short event __unused, void *arg __unused)
{
	struct timeval	 tv = { WATCH_INTERVAL, 0 };
	char		 stamp[DF_STAMP_LEN];

	datafiles_stamp(datadir, DF_IGNORE | DF_MOTD, stamp, sizeof(stamp));
	if (watch_stamp[0] != '\0' && strcmp(stamp, watch_stamp) != 0) {
		log_verbose("%s or %s changed", IGNORE_FILE, MOTD_FILE);
		main_reload(DF_IGNORE | DF_MOTD);
	}
	(void)strlcpy(watch_stamp, stamp, sizeof(watch_stamp));
	evtimer_add(&ev_watch, &tv);
}

static void
main_sig_handler(int sig, short event __unused, void *arg __unused)
{
	struct child	*c;
	pid_t		 pid;
	int		 status;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("received signal %d, shutting down", sig);
		main_shutdown(0);
		break;
	case SIGUSR1:
		main_status();
		break;
	case SIGHUP:
		log_info("received SIGHUP, reloading data files");
		main_reload(DF_ALL);
		main_reload_tls();
		break;
	case SIGCHLD:
		for (;;) {
			pid = waitpid(WAIT_ANY, &status, WNOHANG);
			if (pid == -1 && errno == EINTR)
				continue;
			if (pid <= 0)
				break;
			if (pid == netd.pid)
				c = &netd;
			else if (pid == logd.pid)
				c = &logd;
			else {
				(void)plugins_reaped(pid, status);
				continue;
			}
			c->pid = 0;
			if (WIFSIGNALED(status))
				log_warnx("lost child: %s terminated; signal "
				    "%d", c->name, WTERMSIG(status));
			else if (WIFEXITED(status) &&
			    (WEXITSTATUS(status) != 0 || !shutting_down))
				log_warnx("lost child: %s exited with status "
				    "%d", c->name, WEXITSTATUS(status));
			else
				log_debug("%s exited", c->name);
			if (!shutting_down || !WIFEXITED(status) ||
			    WEXITSTATUS(status) != 0)
				main_shutdown(1);
		}
		main_check_done();
		break;
	}
}

/*
 * Shut down in order: netd hands over its server list, which is written,
 * then logd commits and closes the database.  failed makes the exit
 * status non-zero.
 */
static void
main_shutdown(int failed)
{
	struct timeval	 tv = { SHUTDOWN_GRACE, 0 };

	if (failed)
		exit_status = 1;
	if (shutting_down)
		return;
	shutting_down = 1;
	plugins_stop();
	evtimer_add(&ev_grace, &tv);
	if (netd.open)
		main_tell_shutdown(&netd);
	else
		main_tell_shutdown(&logd);
}

/* Ask a child, once, to finish and exit. */
static void
main_tell_shutdown(struct child *c)
{
	if (!c->open || c->told)
		return;
	c->told = 1;
	if (ipcev_compose(&c->iev, IMSG_SHUTDOWN, 0, -1, NULL, 0) == -1)
		fatal("%s", __func__);
}

/* Children that did not finish in time are killed. */
static void
main_grace(int fd __unused, short event __unused, void *arg __unused)
{
	log_warnx("children did not exit within %d seconds, killing them",
	    SHUTDOWN_GRACE);
	exit_status = 1;
	plugins_kill();
	if (netd.pid != 0)
		(void)kill(netd.pid, SIGKILL);
	if (logd.pid != 0)
		(void)kill(logd.pid, SIGKILL);
	if (netd.open)
		main_child_lost(&netd);
	if (logd.open)
		main_child_lost(&logd);
}

/* The channel to a child is gone. */
static void
main_child_lost(struct child *c)
{
	ipcev_del(&c->iev);
	ipc_clear(&c->iev.ibuf);
	(void)close(c->iev.ibuf.fd);
	c->iev.ibuf.fd = -1;
	c->open = 0;
	if (!shutting_down) {
		log_warnx("lost connection to %s", c->name);
		main_shutdown(1);
	}
	/* netd is done: logd is next, and the plugins read end of file. */
	if (c == &netd) {
		main_tell_shutdown(&logd);
		plugins_netd_gone();
	}
	main_check_done();
}

/*
 * Leave the loop once both children and every plugin are reaped and both
 * channels read.
 */
static void
main_check_done(void)
{
	if (netd.pid == 0 && logd.pid == 0 && !netd.open && !logd.open &&
	    plugins_running() == 0)
		event_loopexit(NULL);
}

static void
main_dispatch_netd(int fd __unused, short event, void *arg __unused)
{
	struct ipcev	*iev = &netd.iev;
	struct ipc_msg	 msg;
	struct ipc_plugin_end pe;
	struct ipc_plugin_admin adm;
	struct ipc_plugin_query pq;
	struct ipc_log_level ll;
	struct ipc_addr	 a;
	int		 shut;

	shut = ipcev_handle(iev, event);
	while (ipcev_get(iev, &msg) == 1) {
		switch (msg.hdr.type) {
		case IMSG_PLUGIN_END:
			ipc_check(&msg, iev->name, &pe, sizeof(pe), 0);
			plugins_end(&pe);
			break;
		case IMSG_PLUGIN_ADMIN:
			ipc_check(&msg, iev->name, &adm, sizeof(adm), 0);
			main_admin(&adm);
			break;
		case IMSG_PLUGIN_PROCESSES:
			ipc_check(&msg, iev->name, &pq, sizeof(pq), 0);
			main_processes(&pq);
			break;
		case IMSG_LOG_LEVEL:
			ipc_check(&msg, iev->name, &ll, sizeof(ll), 0);
			if (ll.level < -1 || ll.level > LOGLEVEL_DEBUG)
				fatalx("bad log level from netd");
			ipcev_log_to(&netd.iev, ll.level);
			break;
		case IMSG_SERVER:
			ipc_check(&msg, iev->name, &a, sizeof(a), 0);
			if (!ipc_addr_valid(&a))
				fatalx("bad server address from netd");
			(void)serverlist_add(&incoming, &a);
			break;
		case IMSG_SERVERS_END:
			ipc_check(&msg, iev->name, NULL, 0, 0);
			if (incoming.dropped > 0)
				log_warnx("%s: %zu servers past the %d kept "
				    "not written", SERVERLIST_FILE,
				    incoming.dropped, SERVERLIST_MAX);
			incoming.dropped = 0;
			if (serverlist_write(datadir, &incoming) == 0)
				log_verbose("wrote %zu servers to %s",
				    incoming.n, SERVERLIST_FILE);
			incoming.n = 0;
			if (shutting_down)
				main_tell_shutdown(&logd);
			break;
		default:
			fatalx("netd sent unexpected message %s",
			    ipc_typename(msg.hdr.type));
		}
	}
	if (shut) {
		main_child_lost(&netd);
		return;
	}
	ipcev_add(iev);
}

static void
main_dispatch_logd(int fd __unused, short event, void *arg __unused)
{
	struct ipcev	*iev = &logd.iev;
	struct ipc_msg	 msg;
	int		 shut;

	shut = ipcev_handle(iev, event);
	while (ipcev_get(iev, &msg) == 1) {
		if (msg.fd != -1)
			(void)close(msg.fd);
		fatalx("logd sent unexpected message %s",
		    ipc_typename(msg.hdr.type));
	}
	if (shut) {
		main_child_lost(&logd);
		return;
	}
	ipcev_add(iev);
}
