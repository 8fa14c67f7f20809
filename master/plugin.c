/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The parent's side of the plugins (man/tremmasterd-plugins.7): each
 * --plugin and --plugin-admin command runs as the -u user, never root,
 * with one end of a socketpair as its standard input and output and the
 * other end handed to netd, which speaks the protocol on it.  Its standard
 * error is logged here line by line under its name.  A plugin that exits
 * is started again, 1 second later the first time, twice as long each
 * time after up to a minute; one that lived a minute starts over at 1.
 * The daemon never waits for a plugin and never dies with one.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <paths.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <vis.h>

#include "ipc.h"
#include "log.h"
#include "master.h"
#include "options.h"
#include "tremmasterd.h"
#include "util.h"

#define PLUGIN_ARGS_MAX		64	/* words of a command */
#define RESTART_FIRST		1	/* seconds */
#define RESTART_MAX		60
#define STDERR_LINE_MAX		512	/* bytes of a logged line */
#define STDERR_LINES_A_SECOND	64	/* logged; the rest are counted */
#define EXIT_GRACE		2	/* seconds after end of file, then
					   SIGTERM, then as long, SIGKILL */

/* What the child was doing when it failed, told on the exec pipe. */
enum exec_stage {
	EXEC_DUP,
	EXEC_CHDIR,
	EXEC_USER,
	EXEC_ENV,
	EXEC_EXEC
};

#define PLUGIN_XFDS_MAX		8	/* descriptors a builtin gets */
#define PLUGIN_CONF_FD		4	/* a builtin's pipe from us */
#define PLUGIN_BUILTIN		0x100	/* a mode of this binary: exec'd as
					   root, it drops privileges itself */

struct plugin {
	uint32_t	 id;
	uint32_t	 flags;		/* PLUGIN_ADMIN, PLUGIN_BUILTIN */
	uint32_t	 gen;		/* starts so far */
	char		 name[PLUGIN_NAME_MAX];
	char		*argv[PLUGIN_ARGS_MAX + 1];
	char		**xargv;	/* a builtin's, else NULL */
	char		 path[PATH_MAX];	/* argv[0], found in PATH */
	char		 interp[PATH_MAX];	/* its "#!" line's, or "" */
	pid_t		 pid;		/* 0: not running */
	time_t		 started;
	int		 delay;		/* seconds before the next start */
	int		 err_fd;	/* its standard error, or -1 */
	struct event	 ev_err, ev_restart, ev_kill;
	char		 errbuf[STDERR_LINE_MAX];
	size_t		 errlen;
	int		 errcut;	/* in a line longer than errbuf */
	time_t		 err_second;
	int		 err_lines;	/* logged in err_second */
	unsigned long	 err_dropped;
	/* A builtin's descriptors from 5 on, and what 4 reads first. */
	int		 xfds[PLUGIN_XFDS_MAX];
	int		 nxfds;
	char		*conf;
};

#if PLUGIN_MAX != OPT_PLUGINS_MAX || PLUGIN_ADMIN != OPT_PLUGIN_IS_ADMIN
#error "options.h and tremmasterd.h disagree on plugins"
#endif

static struct plugin	 plugins[PLUGIN_MAX];
static int		 nplugins;
static struct ipcev	*netd_iev;
static const struct passwd *plugin_pw;
static const char	*plugin_dir;
static int		 stopping;
static struct event	 ev_stop;
static int		 stop_stage;

static int	 plugin_find(const char *, char *, size_t);
static int	 plugin_absolute(char *, size_t);
static mode_t	 plugin_user_bit(const struct stat *, const struct passwd *,
		    mode_t, mode_t, mode_t);
static int	 plugin_check_dirs(const char *, const struct passwd *,
		    char *, size_t);
static int	 plugin_check_exec(struct plugin *, const struct passwd *,
		    char *, size_t);
static void	 plugin_start(struct plugin *);
static void	 plugin_child(struct plugin *, int, int, int) __dead;
static void	 plugin_restart(int, short, void *);
static void	 plugin_stderr(int, short, void *);
static void	 plugin_err_line(struct plugin *, const char *, size_t);
static void	 plugin_stderr_close(struct plugin *);
static void	 plugin_stop_timer(int, short, void *);
static void	 plugin_kill(int, short, void *);

/*
 * The first word of a command, found as execvp(3) would: as it is when
 * it holds a '/', else in each directory of PATH.
 */
static int
plugin_find(const char *cmd, char *path, size_t len)
{
	const char	*p, *end, *dirs;
	struct stat	 st;
	size_t		 n;

	if (strchr(cmd, '/') != NULL) {
		if (strlcpy(path, cmd, len) >= len)
			return (-1);
		return (0);
	}
	if ((dirs = getenv("PATH")) == NULL || *dirs == '\0')
		dirs = _PATH_DEFPATH;
	for (p = dirs; ; p = end + 1) {
		if ((end = strchr(p, ':')) == NULL)
			end = p + strlen(p);
		n = (size_t)(end - p);
		if (n == 0)
			n = 1, p = ".";
		if ((size_t)snprintf(path, len, "%.*s/%s", (int)n, p, cmd) <
		    len && stat(path, &st) == 0 && S_ISREG(st.st_mode))
			return (0);
		if (*end == '\0')
			break;
	}
	errno = ENOENT;
	return (-1);
}

/* A relative path, made absolute from the working directory. */
static int
plugin_absolute(char *path, size_t len)
{
	char	 cwd[PATH_MAX], abs[PATH_MAX];

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return (-1);
	if ((size_t)snprintf(abs, sizeof(abs), "%s/%s", cwd, path) >=
	    sizeof(abs) || strlcpy(path, abs, len) >= len) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	return (0);
}

/* The permission bit of st that applies to the -u user (primary group). */
static mode_t
plugin_user_bit(const struct stat *st, const struct passwd *pw, mode_t usr,
    mode_t grp, mode_t oth)
{
	if (st->st_uid == pw->pw_uid)
		return (usr);
	if (st->st_gid == pw->pw_gid)
		return (grp);
	return (oth);
}

/*
 * May the -u user search every directory on the way to path, an absolute
 * path?  The plugin runs as that user with its primary group only.
 */
static int
plugin_check_dirs(const char *path, const struct passwd *pw, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		 dir[PATH_MAX], *slash;

	if (strlcpy(dir, path, sizeof(dir)) >= sizeof(dir))
		return (0);
	while ((slash = strrchr(dir, '/')) != NULL) {
		slash[slash == dir ? 1 : 0] = '\0';
		if (stat(dir, &st) == -1) {
			(void)snprintf(err, errlen, "%s: %s", dir,
			    strerror(errno));
			return (-1);
		}
		if (!(st.st_mode & plugin_user_bit(&st, pw, S_IXUSR, S_IXGRP,
		    S_IXOTH))) {
			(void)snprintf(err, errlen, "%s: not executable by "
			    "user %s (%s is not searchable)", path,
			    pw->pw_name, dir);
			return (-1);
		}
		if (slash == dir)
			break;
	}
	return (0);
}

/*
 * Can the -u user execute path?  A script's interpreter too.  Asked at
 * start-up, so that a command that cannot run is an error on the
 * terminal, as a bad option is.
 */
static int
plugin_check_exec(struct plugin *p, const struct passwd *pw, char *err,
    size_t errlen)
{
	const char	*path = p->path;
	struct stat	 st;
	char		 head[PATH_MAX + 2], *interp, *e;
	mode_t		 bit;
	ssize_t		 n;
	int		 fd, depth;

	for (depth = 0; depth < 2; depth++) {
		if (stat(path, &st) == -1) {
			(void)snprintf(err, errlen, "%s: %s", path,
			    strerror(errno));
			return (-1);
		}
		if (!S_ISREG(st.st_mode)) {
			(void)snprintf(err, errlen, "%s: not a regular file",
			    path);
			return (-1);
		}
		if (pw == NULL)
			bit = S_IXUSR | S_IXGRP | S_IXOTH;
		else
			bit = plugin_user_bit(&st, pw, S_IXUSR, S_IXGRP,
			    S_IXOTH);
		if (pw == NULL ? access(path, X_OK) == -1 :
		    !(st.st_mode & bit)) {
			(void)snprintf(err, errlen, "%s: not executable%s%s",
			    path, pw != NULL ? " by user " : "",
			    pw != NULL ? pw->pw_name : "");
			return (-1);
		}
		/* access(2) looked at the directories; as root, here. */
		if (pw != NULL && plugin_check_dirs(path, pw, err, errlen) ==
		    -1)
			return (-1);
		/* "#!interpreter": that must run too. */
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			return (0);
		n = read(fd, head, sizeof(head) - 1);
		(void)close(fd);
		if (n < 3 || head[0] != '#' || head[1] != '!')
			return (0);
		head[n] = '\0';
		interp = head + 2 + strspn(head + 2, " \t");
		e = interp + strcspn(interp, " \t\n");
		*e = '\0';
		if (*interp != '/')
			return (0);
		if (strcmp(interp, path) == 0)
			return (0);
		(void)strlcpy(p->interp, interp, sizeof(p->interp));
		path = p->interp;
	}
	return (0);
}

/*
 * Split each command into words and check that it can be run.  Before
 * the daemon detaches: an error here is printed and start-up fails.
 */
int
plugins_init(const struct options *o, const struct passwd *pw,
    char *err, size_t errlen)
{
	struct plugin	*p;
	const char	*base, *opt;
	char		*copy, *word, *last;
	int		 i, j, n;

	for (i = 0; i < o->nplugins; i++) {
		p = &plugins[i];
		opt = (o->plugin_flags[i] & PLUGIN_ADMIN) ? "--plugin-admin" :
		    "--plugin";
		memset(p, 0, sizeof(*p));
		p->id = (uint32_t)i;
		p->flags = o->plugin_flags[i];
		p->err_fd = -1;
		p->delay = RESTART_FIRST;
		if ((copy = strdup(o->plugins[i])) == NULL)
			fatal(NULL);
		n = 0;
		for (word = strtok_r(copy, " \t", &last); word != NULL;
		    word = strtok_r(NULL, " \t", &last)) {
			if (n == PLUGIN_ARGS_MAX) {
				(void)snprintf(err, errlen, "%s: more than %d "
				    "words", opt, PLUGIN_ARGS_MAX);
				return (-1);
			}
			p->argv[n++] = word;
		}
		if (n == 0) {
			(void)snprintf(err, errlen, "%s: empty command", opt);
			return (-1);
		}
		if (plugin_find(p->argv[0], p->path, sizeof(p->path)) == -1) {
			(void)snprintf(err, errlen, "%s: %s: command not "
			    "found", opt, p->argv[0]);
			return (-1);
		}
		/* The plugin starts in the data directory: not from here. */
		if (p->path[0] != '/' && plugin_absolute(p->path,
		    sizeof(p->path)) == -1) {
			(void)snprintf(err, errlen, "%s: %s: %s", opt,
			    p->argv[0], strerror(errno));
			return (-1);
		}
		if (plugin_check_exec(p, pw, err, errlen) == -1) {
			/* Prefix the option, keep the reason. */
			char	 why[256];

			(void)strlcpy(why, err, sizeof(why));
			(void)snprintf(err, errlen, "%s: %s", opt, why);
			return (-1);
		}
		/* The name in the logs: the program's, made unique. */
		base = strrchr(p->argv[0], '/');
		base = base != NULL ? base + 1 : p->argv[0];
		(void)strlcpy(p->name, base, sizeof(p->name));
		for (j = 0, n = 2; j < i; j++)
			if (strcmp(plugins[j].name, p->name) == 0) {
				(void)snprintf(p->name, sizeof(p->name),
				    "%.*s-%d", PLUGIN_NAME_MAX - 5, base,
				    n++ % 100);
				j = -1;
			}
	}
	nplugins = o->nplugins;
	plugin_pw = pw;
	return (0);
}

/*
 * A plugin of this binary, re-executed as "--proc proc" with the daemon's
 * own arguments, as netd and logd are: it starts as root and drops
 * privileges itself, into a chroot (puppet/puppet.c).
 */
int
plugins_add_builtin(const char *proc, const char *self, int argc,
    char **argv, int admin, const int *fds, int nfds, const char *conf,
    char *err, size_t errlen)
{
	struct plugin	*p;
	int		 i, n = 0;

	if (nplugins == PLUGIN_MAX)
		return (seterr(err, errlen, "more than %d plugins with the "
		    "%s plugin", PLUGIN_MAX, proc));
	p = &plugins[nplugins];
	memset(p, 0, sizeof(*p));
	p->id = (uint32_t)nplugins;
	p->flags = PLUGIN_BUILTIN | (admin ? PLUGIN_ADMIN : 0);
	p->err_fd = -1;
	if (nfds > PLUGIN_XFDS_MAX)
		fatalx("%s: %d descriptors", __func__, nfds);
	for (i = 0; i < nfds; i++)
		p->xfds[i] = fds[i];
	p->nxfds = nfds;
	if (conf != NULL && (p->conf = strdup(conf)) == NULL)
		fatal(NULL);
	p->delay = RESTART_FIRST;
	(void)strlcpy(p->name, proc, sizeof(p->name));
	if (strlcpy(p->path, self, sizeof(p->path)) >= sizeof(p->path))
		return (seterr(err, errlen, "%s: path too long", self));
	if ((p->xargv = calloc(argc + 3, sizeof(*p->xargv))) == NULL)
		fatal(NULL);
	p->xargv[n++] = argv[0];
	p->xargv[n++] = (char *)"--proc";
	if ((p->xargv[n++] = strdup(proc)) == NULL)
		fatal(NULL);
	for (i = 1; i < argc; i++)
		p->xargv[n++] = argv[i];
	p->xargv[n] = NULL;
	nplugins++;
	return (0);
}

/* OpenBSD: the parent may execute the plugins and their interpreters. */
void
plugins_unveil(void)
{
	int	 i;

	for (i = 0; i < nplugins; i++)
		if (unveil(plugins[i].path, "x") == -1 ||
		    (plugins[i].interp[0] != '\0' &&
		    unveil(plugins[i].interp, "x") == -1))
			fatal("unveil %s", plugins[i].path);
}

/* Start them all; their channels go to netd on iev. */
void
plugins_start(struct ipcev *iev, const char *datadir)
{
	int	 i;

	netd_iev = iev;
	plugin_dir = datadir;
	evtimer_set(&ev_stop, plugin_stop_timer, NULL);
	for (i = 0; i < nplugins; i++) {
		evtimer_set(&plugins[i].ev_restart, plugin_restart,
		    &plugins[i]);
		evtimer_set(&plugins[i].ev_kill, plugin_kill, &plugins[i]);
		plugin_start(&plugins[i]);
	}
}

static void
plugin_start(struct plugin *p)
{
	static const char	*stages[] = {
		[EXEC_DUP] = "set up its standard input and output",
		[EXEC_CHDIR] = "enter the data directory",
		[EXEC_USER] = "become the -u user",
		[EXEC_ENV] = "set its environment",
		[EXEC_EXEC] = "execute"
	};
	struct ipc_plugin	 ip;
	int			 sp[2], ep[2], xp[2], failed[2];
	ssize_t			 n;
	pid_t			 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1 ||
	    pipe2(ep, O_CLOEXEC) == -1 || pipe2(xp, O_CLOEXEC) == -1)
		fatal("plugin %s: socketpair", p->name);
	switch (pid = fork()) {
	case -1:
		fatal("plugin %s: fork", p->name);
	case 0:
		plugin_child(p, sp[1], ep[1], xp[1]);
	}
	(void)close(sp[1]);
	(void)close(ep[1]);
	(void)close(xp[1]);
	/* The child writes what failed and errno here; EOF means it ran. */
	while ((n = read(xp[0], failed, sizeof(failed))) == -1 &&
	    errno == EINTR)
		;
	(void)close(xp[0]);
	p->pid = pid;
	p->started = time(NULL);
	p->err_fd = ep[0];
	p->errlen = 0;
	p->errcut = 0;
	if (fcntl(ep[0], F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	event_set(&p->ev_err, ep[0], EV_READ | EV_PERSIST, plugin_stderr, p);
	if (event_add(&p->ev_err, NULL) == -1)
		fatal("event_add");
	if (n == sizeof(failed)) {
		log_warnx("plugin %s: cannot %s%s%s: %s", p->name,
		    failed[0] >= 0 && failed[0] <= EXEC_EXEC ?
		    stages[failed[0]] : "start", failed[0] == EXEC_EXEC ?
		    " " : "", failed[0] == EXEC_EXEC ? p->path : "",
		    strerror(failed[1]));
		(void)close(sp[0]);
		return;
	}
	/* netd's end: non-blocking here, as netd's sandbox has no fcntl. */
	if (fcntl(sp[0], F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	memset(&ip, 0, sizeof(ip));
	ip.id = p->id;
	ip.gen = ++p->gen;
	ip.flags = p->flags & PLUGIN_ADMIN;
	(void)strlcpy(ip.name, p->name, sizeof(ip.name));
	if (ipcev_compose(netd_iev, IMSG_PLUGIN, 0, sp[0], &ip,
	    sizeof(ip)) == -1)
		fatal("%s", __func__);
	log_verbose("plugin %s: started %s, pid %ld", p->name, p->path,
	    (long)pid);
}

/*
 * In the child: the socketpair on standard input and output, the pipe on
 * standard error, the -u user, the data directory, then exec.
 */
static void
plugin_child(struct plugin *p, int fd, int err_fd, int exec_fd)
{
	sigset_t	 set;
	int		 e[2], hi[PLUGIN_XFDS_MAX], cp[2], i;
	size_t		 off, len;
	ssize_t		 n;

	e[0] = EXEC_DUP;
	/* A builtin's sockets, out of the way of the numbers they get. */
	for (i = 0; i < p->nxfds; i++)
		if ((hi[i] = fcntl(p->xfds[i], F_DUPFD_CLOEXEC, 64)) == -1)
			goto fail;
	if (dup2(fd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1 ||
	    dup2(err_fd, STDERR_FILENO) == -1)
		goto fail;
	/*
	 * Nothing else of the parent's goes with it, inherited or not: the
	 * exec pipe moves to 3, close-on-exec, and every other goes.
	 */
	if (exec_fd != STDERR_FILENO + 1) {
		if (dup2(exec_fd, STDERR_FILENO + 1) == -1)
			goto fail;
		exec_fd = STDERR_FILENO + 1;
	}
	if (fcntl(exec_fd, F_SETFD, FD_CLOEXEC) == -1)
		goto fail;
	/*
	 * A builtin with a configuration reads it on PLUGIN_CONF_FD, from
	 * a pipe written whole now (it is small), and finds its sockets
	 * after it: nothing secret is in its arguments or environment.
	 */
	if (p->conf != NULL) {
		if (pipe(cp) == -1)
			goto fail;
		len = strlen(p->conf);
		for (off = 0; off < len; off += (size_t)n)
			if ((n = write(cp[1], p->conf + off, len - off)) == -1)
				goto fail;
		(void)close(cp[1]);
		if (cp[0] != PLUGIN_CONF_FD) {
			if (dup2(cp[0], PLUGIN_CONF_FD) == -1)
				goto fail;
			(void)close(cp[0]);
		}
		for (i = 0; i < p->nxfds; i++)
			if (dup2(hi[i], PLUGIN_CONF_FD + 1 + i) == -1)
				goto fail;
		closefrom(PLUGIN_CONF_FD + 1 + p->nxfds);
	} else
		closefrom(exec_fd + 1);
	/* As root still: the data directory need not be the user's. */
	e[0] = EXEC_CHDIR;
	if (chdir(plugin_dir) == -1)
		goto fail;
	e[0] = EXEC_USER;
	if (plugin_pw != NULL && !(p->flags & PLUGIN_BUILTIN)) {
		if (setgroups(1, &plugin_pw->pw_gid) == -1 ||
		    setresgid(plugin_pw->pw_gid, plugin_pw->pw_gid,
		    plugin_pw->pw_gid) == -1 ||
		    setresuid(plugin_pw->pw_uid, plugin_pw->pw_uid,
		    plugin_pw->pw_uid) == -1)
			goto fail;
		if (setuid(0) != -1)
			goto fail;
	}
	if (!(p->flags & PLUGIN_BUILTIN) && (getuid() == 0 ||
	    geteuid() == 0)) {
		errno = EPERM;
		goto fail;
	}
	/*
	 * The daemon's environment, as a program the operator runs would
	 * have it (an API key, PYTHONPATH), with the user's HOME and its two.
	 */
	e[0] = EXEC_ENV;
	if ((plugin_pw != NULL && setenv("HOME", plugin_pw->pw_dir, 1) ==
	    -1) || setenv("TREMMASTERD_PLUGIN", p->name, 1) == -1 ||
	    setenv("TREMMASTERD_DATADIR", plugin_dir, 1) == -1)
		goto fail;
	/* libevent blocked nothing, but signals set to ignore stay so. */
	(void)signal(SIGPIPE, SIG_DFL);
	(void)signal(SIGHUP, SIG_DFL);
	(void)signal(SIGTERM, SIG_DFL);
	(void)signal(SIGINT, SIG_DFL);
	(void)signal(SIGCHLD, SIG_DFL);
	(void)sigemptyset(&set);
	(void)sigprocmask(SIG_SETMASK, &set, NULL);
	(void)setsid();
	e[0] = EXEC_EXEC;
	execv(p->path, p->xargv != NULL ? p->xargv : p->argv);
fail:
	e[1] = errno;
	if (write(exec_fd, e, sizeof(e)) == -1) {
		/* the parent reads EOF then: the exit status says it */
	}
	_exit(127);
}

static void
plugin_restart(int fd __unused, short event __unused, void *arg)
{
	struct plugin	*p = arg;

	if (!stopping && p->pid == 0)
		plugin_start(p);
}

/*
 * SIGCHLD: was pid a plugin?  It is logged, and started again later
 * unless the daemon is stopping.
 */
int
plugins_reaped(pid_t pid, int status)
{
	struct timeval	 tv = { 0, 0 };
	struct plugin	*p = NULL;
	int		 i;

	for (i = 0; i < nplugins; i++)
		if (plugins[i].pid == pid)
			p = &plugins[i];
	if (p == NULL)
		return (0);
	p->pid = 0;
	evtimer_del(&p->ev_kill);
	/*
	 * What it wrote last is logged before the line about its end; what
	 * a child it left behind writes later is not: the pipe goes now,
	 * and a new start makes its own.
	 */
	if (p->err_fd != -1) {
		plugin_stderr(p->err_fd, EV_READ, p);
		plugin_stderr_close(p);
	}
	if (stopping) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			log_debug("plugin %s: exited", p->name);
		else if (WIFSIGNALED(status))
			log_info("plugin %s: terminated by signal %d",
			    p->name, WTERMSIG(status));
		else
			log_info("plugin %s: exited with status %d", p->name,
			    WEXITSTATUS(status));
		return (1);
	}
	if (time(NULL) - p->started >= RESTART_MAX)
		p->delay = RESTART_FIRST;
	if (WIFSIGNALED(status))
		log_warnx("plugin %s: terminated by signal %d; starting it "
		    "again in %d s", p->name, WTERMSIG(status), p->delay);
	else
		log_warnx("plugin %s: exited with status %d; starting it "
		    "again in %d s", p->name, WEXITSTATUS(status), p->delay);
	tv.tv_sec = p->delay;
	evtimer_add(&p->ev_restart, &tv);
	p->delay = p->delay * 2 > RESTART_MAX ? RESTART_MAX : p->delay * 2;
	return (1);
}

/* netd found a plugin broken (IMSG_PLUGIN_END): it is ended. */
void
plugins_end(const struct ipc_plugin_end *pe)
{
	struct timeval	 tv = { EXIT_GRACE, 0 };
	struct plugin	*p;

	if (pe->id >= (uint32_t)nplugins ||
	    memchr(pe->reason, '\0', sizeof(pe->reason)) == NULL)
		fatalx("bad plugin end from netd");
	p = &plugins[pe->id];
	/* Exited already, or started again since: nothing to end. */
	if (p->pid == 0 || pe->gen != p->gen)
		return;
	log_info("plugin %s: ended by netd (%s)", p->name, pe->reason);
	(void)kill(p->pid, SIGTERM);
	evtimer_add(&p->ev_kill, &tv);
}

/* Ended, and still there EXIT_GRACE seconds later. */
static void
plugin_kill(int fd __unused, short event __unused, void *arg)
{
	struct plugin	*p = arg;

	if (p->pid == 0)
		return;
	log_warnx("plugin %s: still running %d s after SIGTERM, sending "
	    "SIGKILL", p->name, EXIT_GRACE);
	(void)kill(p->pid, SIGKILL);
}

/*
 * A plugin's standard error, logged a line at a time under its name, at
 * most STDERR_LINES_A_SECOND lines a second; the rest are counted.
 */
static void
plugin_stderr(int fd, short event __unused, void *arg)
{
	struct plugin	*p = arg;
	char		 buf[4096], *nl;
	size_t		 off, n;
	ssize_t		 r;
	int		 reads;

	/* A plugin that writes without end gets 16 reads a wakeup. */
	for (reads = 0; reads < 16; reads++) {
		if ((r = read(fd, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
		}
		if (r <= 0)
			goto eof;
		for (off = 0; off < (size_t)r; off += n) {
			nl = memchr(buf + off, '\n', (size_t)r - off);
			n = nl != NULL ? (size_t)(nl - (buf + off)) :
			    (size_t)r - off;
			if (!p->errcut) {
				if (n > sizeof(p->errbuf) - p->errlen) {
					memcpy(p->errbuf + p->errlen, buf + off,
					    sizeof(p->errbuf) - p->errlen);
					p->errlen = sizeof(p->errbuf);
					p->errcut = 1;
				} else {
					memcpy(p->errbuf + p->errlen, buf + off,
					    n);
					p->errlen += n;
				}
			}
			if (nl != NULL) {
				plugin_err_line(p, p->errbuf, p->errlen);
				p->errlen = 0;
				p->errcut = 0;
				n++;
			}
		}
	}
	return;
 eof:
	/* End of file: the plugin is gone, or going. */
	plugin_stderr_close(p);
}

static void
plugin_stderr_close(struct plugin *p)
{
	if (p->errlen > 0)
		plugin_err_line(p, p->errbuf, p->errlen);
	p->errlen = 0;
	p->errcut = 0;
	if (p->err_fd == -1)
		return;
	event_del(&p->ev_err);
	(void)close(p->err_fd);
	p->err_fd = -1;
}

static void
plugin_err_line(struct plugin *p, const char *line, size_t len)
{
	char	 vbuf[LOG_VISBUF];
	time_t	 now = time(NULL);

	if (now != p->err_second) {
		if (p->err_dropped > 0)
			log_warnx("plugin %s: %lu lines of standard error not "
			    "logged", p->name, p->err_dropped);
		p->err_second = now;
		p->err_lines = 0;
		p->err_dropped = 0;
	}
	if (p->err_lines >= STDERR_LINES_A_SECOND) {
		p->err_dropped++;
		return;
	}
	p->err_lines++;
	/* Not on the plugins' log stream: a plugin would hear itself. */
	log_hook_suspend(1);
	/*
	 * A builtin's lines start with their level (log_init_plugin()), and
	 * are ours: escaped all the same, but not cut to a preview.
	 */
	if ((p->flags & PLUGIN_BUILTIN) && len > 0 && line[0] >= '0' &&
	    line[0] <= '0' + LOGLEVEL_DEBUG) {
		char	 own[STDERR_LINE_MAX * 4 + 1];

		(void)strnvisx(own, sizeof(own), line + 1, len - 1,
		    VIS_CSTYLE | VIS_OCTAL | VIS_NL | VIS_TAB);
		log_at(line[0] - '0', "%s: %s%s", p->name, own,
		    p->errcut ? "..." : "");
	} else
		log_warnx("plugin %s: %s%s", p->name, log_vis(line, len, vbuf,
		    sizeof(vbuf)), p->errcut ? "..." : "");
	log_hook_suspend(0);
}

/*
 * Shutting down: no plugin starts again.  netd closes their channels, so
 * each reads end of file; those still running EXIT_GRACE seconds after
 * netd is gone get SIGTERM, and SIGKILL as long after that.
 */
void
plugins_stop(void)
{
	int	 i;

	stopping = 1;
	for (i = 0; i < nplugins; i++)
		evtimer_del(&plugins[i].ev_restart);
}

/* netd has exited: the plugins have read end of file.  Time runs now. */
void
plugins_netd_gone(void)
{
	struct timeval	 tv = { EXIT_GRACE, 0 };

	stopping = 1;
	if (stop_stage == 0 && plugins_running() > 0) {
		stop_stage = 1;
		evtimer_add(&ev_stop, &tv);
	}
}

static void
plugin_stop_timer(int fd __unused, short event __unused, void *arg __unused)
{
	struct timeval	 tv = { EXIT_GRACE, 0 };
	int		 i;

	for (i = 0; i < nplugins; i++) {
		if (plugins[i].pid == 0)
			continue;
		log_warnx("plugin %s: still running %d s after end of file, "
		    "sending %s", plugins[i].name, EXIT_GRACE * stop_stage,
		    stop_stage == 1 ? "SIGTERM" : "SIGKILL");
		if (kill(plugins[i].pid, stop_stage == 1 ? SIGTERM :
		    SIGKILL) == -1)
			log_warn("plugin %s: kill %ld", plugins[i].name,
			    (long)plugins[i].pid);
	}
	if (stop_stage++ == 1)
		evtimer_add(&ev_stop, &tv);
}

int
plugins_running(void)
{
	int	 i, n = 0;

	for (i = 0; i < nplugins; i++)
		if (plugins[i].pid != 0)
			n++;
	return (n);
}

/* At exit, none is left behind. */
void
plugins_kill(void)
{
	int	 i;

	for (i = 0; i < nplugins; i++)
		if (plugins[i].pid != 0)
			(void)kill(plugins[i].pid, SIGKILL);
}

/* The name of plugin id in the logs, or NULL for no such plugin. */
const char *
plugins_name(uint32_t id)
{
	return (id < (uint32_t)nplugins ? plugins[id].name : NULL);
}

/* Was plugin id started with --plugin-admin? */
int
plugins_admin(uint32_t id)
{
	return (id < (uint32_t)nplugins &&
	    (plugins[id].flags & PLUGIN_ADMIN) != 0);
}

/* The pid of plugin id while it runs, else 0. */
pid_t
plugins_pid(uint32_t id)
{
	return (id < (uint32_t)nplugins ? plugins[id].pid : 0);
}
