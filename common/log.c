/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Logging: timestamped lines on standard output in the foreground, or
 * syslog(3) when asked.  Every process calls log_init() before it drops
 * privileges, so that syslog and the time zone are ready in the chroot.
 */

#include "compat.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <vis.h>

#include "log.h"
#include "tremmasterd.h"

static int		 log_to_syslog;
static int		 log_to_parent;	/* a plugin of ours: stderr */
static int		 log_verbose_level = LOGLEVEL_DEFAULT;
static const char	*log_procname = "master";
static int		 log_hook_level = -1;	/* -1: no hook */
static void		(*log_hook)(int, const char *);
static int		 log_enabled_level = LOGLEVEL_DEFAULT;
static int		 log_hook_off;

static void	vlog(int, const char *, va_list)
		    __attribute__((__format__ (printf, 2, 0)));
static void	vlog_errno(int, const char *, va_list)
		    __attribute__((__format__ (printf, 2, 0)));
static void	logit(int, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));

/*
 * Choose where lines go (0: standard output, 1: syslog) and the level
 * above which they are dropped.
 */
void
log_init(int use_syslog, int level)
{
	log_to_syslog = use_syslog;
	log_setverbose(level);
	tzset();
	if (log_to_syslog)
		openlog("tremmasterd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/*
 * The plugins of this binary (puppet): standard output is the plugin
 * channel, so lines go to standard error, which the parent reads and logs
 * under the plugin's name, each line starting with its level as a digit
 * (master/plugin.c).
 */
void
log_init_plugin(int level)
{
	log_to_parent = 1;
	log_setverbose(level);
	tzset();
}

void
log_procinit(const char *name)
{
	if (name != NULL)
		log_procname = name;
}

void
log_setverbose(int level)
{
	if (level < LOGLEVEL_ALWAYS)
		level = LOGLEVEL_ALWAYS;
	if (level > LOGLEVEL_DEBUG)
		level = LOGLEVEL_DEBUG;
	log_verbose_level = level;
	log_enabled_level = level > log_hook_level ? level : log_hook_level;
}

/*
 * Hand every line at level or more important to hook too, whatever the
 * verbosity: the plugins that asked for the log (netd/plugin.c) and the
 * processes that forward theirs to netd.  A level of -1 removes it.
 */
void
log_sethook(int level, void (*hook)(int, const char *))
{
	if (level > LOGLEVEL_DEBUG)
		level = LOGLEVEL_DEBUG;
	log_hook_level = hook != NULL ? level : -1;
	log_hook = hook;
	log_setverbose(log_verbose_level);
}

/*
 * While on, lines go to the log only, not to the hook: the parent logs a
 * plugin's standard error so, lest a plugin that echoes its log reports
 * hear itself.
 */
void
log_hook_suspend(int on)
{
	log_hook_off = on;
}

int
log_getverbose(void)
{
	return (log_verbose_level);
}

int
log_level_enabled(int level)
{
	return (level <= log_enabled_level);
}

/* Write one whole line with a single write(2), so processes never mix. */
static void
vlog(int level, const char *fmt, va_list ap)
{
	static const int prio[] = {
		LOG_CRIT, LOG_ERR, LOG_NOTICE, LOG_INFO, LOG_DEBUG
	};
	static int	 in_hook;
	char		 line[2048], msg[LOG_MSG_MAX], stamp[32];
	struct tm	 tm;
	time_t		 now;
	int		 saved_errno = errno, n, fd;

	if (level > log_enabled_level)
		return;
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	/* What the hook does is never logged to itself. */
	if (level <= log_hook_level && !in_hook && !log_hook_off) {
		in_hook = 1;
		log_hook(level, msg);
		in_hook = 0;
	}
	if (level > log_verbose_level) {
		errno = saved_errno;
		return;
	}
	if (log_to_syslog) {
		syslog(prio[level], "%s: %s", log_procname, msg);
		errno = saved_errno;
		return;
	}
	if (log_to_parent) {
		/* The parent stamps it; the level leads (master/plugin.c). */
		fd = STDERR_FILENO;
		n = snprintf(line, sizeof(line), "%d%s", level, msg);
	} else {
		/*
		 * localtime_r() keeps the zone read by log_init(): localtime()
		 * looks for /etc/localtime again each time, which no sandbox
		 * allows.
		 */
		now = time(NULL);
		if (localtime_r(&now, &tm) == NULL || strftime(stamp,
		    sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm) == 0)
			(void)strlcpy(stamp, "-", sizeof(stamp));
		fd = STDOUT_FILENO;
		n = snprintf(line, sizeof(line), "%s %s: %s", stamp,
		    log_procname, msg);
	}
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n] = '\n';
	/* A line that cannot be written has nowhere else to go. */
	while (write(fd, line, n + 1) == -1 && errno == EINTR)
		;
	errno = saved_errno;
}

/* Like vlog(), with ": strerror(errno)" appended. */
static void
vlog_errno(int level, const char *fmt, va_list ap)
{
	char	 buf[1024];
	int	 saved_errno = errno;

	if (fmt == NULL) {
		(void)snprintf(buf, sizeof(buf), "%s", strerror(saved_errno));
	} else {
		(void)vsnprintf(buf, sizeof(buf), fmt, ap);
		(void)strlcat(buf, ": ", sizeof(buf));
		(void)strlcat(buf, strerror(saved_errno), sizeof(buf));
	}
	errno = saved_errno;
	logit(level, "%s", buf);
}

static void
logit(int level, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

/* A line at a level known at run time: a plugin's (master/plugin.c). */
void
log_at(int level, const char *fmt, ...)
{
	va_list	 ap;

	if (level < LOGLEVEL_ALWAYS || level > LOGLEVEL_DEBUG)
		level = LOGLEVEL_ERROR;
	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

void
log_always(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOGLEVEL_ALWAYS, fmt, ap);
	va_end(ap);
}

/* An error with the reason from errno. */
void
log_warn(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_level_enabled(LOGLEVEL_ERROR))
		return;
	va_start(ap, fmt);
	vlog_errno(LOGLEVEL_ERROR, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOGLEVEL_ERROR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOGLEVEL_PRINT, fmt, ap);
	va_end(ap);
}

void
logit_verbose(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOGLEVEL_VERBOSE, fmt, ap);
	va_end(ap);
}

void
logit_debug(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOGLEVEL_DEBUG, fmt, ap);
	va_end(ap);
}

/* Log at ALWAYS, with errno's reason, and end the process. */
void
fatal(const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;
	int	 saved_errno = errno;

	if (fmt == NULL)
		buf[0] = '\0';
	else {
		va_start(ap, fmt);
		(void)vsnprintf(buf, sizeof(buf), fmt, ap);
		va_end(ap);
	}
	if (saved_errno != 0)
		logit(LOGLEVEL_ALWAYS, "fatal in %s: %s%s%s", log_procname,
		    buf, buf[0] != '\0' ? ": " : "", strerror(saved_errno));
	else
		logit(LOGLEVEL_ALWAYS, "fatal in %s: %s", log_procname, buf);
	exit(1);
}

/* Log at ALWAYS and end the process. */
void
fatalx(const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	logit(LOGLEVEL_ALWAYS, "fatal in %s: %s", log_procname, buf);
	exit(1);
}

/*
 * Make bytes from the network safe for a log line: at most LOG_PREVIEW of
 * them, escaped with vis(3) in C style, with "..." when cut.
 */
const char *
log_vis(const void *data, size_t len, char *out, size_t outsz)
{
	size_t	 n = len > LOG_PREVIEW ? LOG_PREVIEW : len;

	if (outsz < LOG_VISBUF) {
		if (outsz > 0)
			out[0] = '\0';
		return (out);
	}
	(void)strnvisx(out, outsz - 4, data, n,
	    VIS_CSTYLE | VIS_OCTAL | VIS_NL | VIS_TAB);
	if (n < len)
		(void)strlcat(out, "...", outsz);
	return (out);
}
