/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Linux: netd, logd and the puppet plugin each run under a seccomp-bpf allow-list (built
 * with libseccomp), the analogue of the pledge(2) promises they make on
 * OpenBSD.  Any call outside the list kills the whole process
 * (SCMP_ACT_KILL_PROCESS): the parent then sees a child killed by SIGSYS
 * and shuts down as it does for any lost child.  The lists were taken
 * from strace(1) of both processes under the whole test suite; each call
 * says why it is there.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <errno.h>
#include <seccomp.h>
#include <stddef.h>

#include "log.h"
#include "osdep.h"

/* What a rule allows of the arguments. */
enum sandbox_arg {
	SB_ANY,		/* any arguments */
	SB_UNIX,	/* socket(2) of the AF_UNIX family only */
	SB_INET,	/* socket(2) of AF_INET and AF_INET6 only */
	SB_NOEXEC	/* mmap(2)/mprotect(2) without PROT_EXEC */
};

struct sandbox_call {
	const char		*name;
	enum sandbox_arg	 arg;
};

/*
 * netd after STARTUP: its sockets are all open, so it reads, writes and
 * accepts, and never opens, binds or connects anything but the syslog
 * socket.
 */
static const struct sandbox_call netd_calls[] = {
	{ "epoll_wait", SB_ANY },	/* libevent's loop */
	{ "epoll_pwait", SB_ANY },	/* the same, in other libevent builds */
	{ "epoll_ctl", SB_ANY },	/* libevent adds and deletes events */
	{ "read", SB_ANY },		/* libevent's signal socket */
	{ "recvfrom", SB_ANY },		/* recv(2): WebSocket, libtls, signals */
	{ "write", SB_ANY },		/* log lines */
	{ "sendto", SB_ANY },		/* send(2): UDP, WebSocket, syslog */
	{ "recvmsg", SB_ANY },		/* ipc from the parent and logd */
	{ "sendmsg", SB_ANY },		/* ipc to the parent and logd */
	{ "writev", SB_ANY },		/* plugin channels (evbuffer_write) */
	{ "recvmmsg", SB_ANY },		/* UDP requests in batches */
	{ "sendmmsg", SB_ANY },		/* UDP answers in batches */
	{ "accept4", SB_ANY },		/* new WebSocket connections */
	{ "shutdown", SB_ANY },		/* WebSocket close */
	{ "setsockopt", SB_ANY },	/* TCP_NODELAY on a connection */
	{ "getsockopt", SB_ANY },	/* socket state, for libtls */
	{ "socket", SB_UNIX },		/* glibc syslog reconnects to /dev/log */
	{ "connect", SB_ANY },		/* the same; no AF_INET socket to use */
	{ "close", SB_ANY },		/* connections, passed fds */
	{ "brk", SB_ANY },		/* malloc */
	{ "mmap", SB_NOEXEC },		/* malloc, never executable */
	{ "munmap", SB_ANY },		/* free */
	{ "mremap", SB_ANY },		/* realloc of a large block */
	{ "madvise", SB_ANY },		/* free gives memory back */
	{ "futex", SB_ANY },		/* glibc and OpenSSL locks */
	{ "clock_gettime", SB_ANY },	/* deadlines, if not in the vDSO */
	{ "gettimeofday", SB_ANY },	/* libevent, if not in the vDSO */
	{ "getrandom", SB_ANY },	/* arc4random, OpenSSL */
	{ "getpid", SB_ANY },		/* syslog's LOG_PID, OpenSSL */
	{ "sysinfo", SB_ANY },		/* glibc's qsort(3) of more than 1 KiB
					   (ignore.txt on a reload) */
	{ "rt_sigreturn", SB_ANY },	/* end of libevent's signal handler */
	{ "rt_sigprocmask", SB_ANY },	/* glibc syslog, abort(3) */
	{ "exit_group", SB_ANY }	/* exit(3) */
};

/*
 * logd from its event loop on: SQLite and TDB work on the files of the
 * stats directory (journals come and go); no socket but the syslog one.
 */
static const struct sandbox_call logd_calls[] = {
	{ "epoll_wait", SB_ANY },	/* libevent's loop */
	{ "epoll_pwait", SB_ANY },	/* the same, in other libevent builds */
	{ "epoll_ctl", SB_ANY },	/* libevent adds and deletes events */
	{ "read", SB_ANY },		/* libevent's signal socket, SQLite */
	{ "recvfrom", SB_ANY },		/* the same, with recv(2) */
	{ "write", SB_ANY },		/* log lines, SQLite */
	{ "sendto", SB_ANY },		/* syslog */
	{ "recvmsg", SB_ANY },		/* ipc, and the link fd to netd */
	{ "sendmsg", SB_ANY },		/* ipc */
	{ "socket", SB_UNIX },		/* glibc syslog reconnects to /dev/log */
	{ "connect", SB_ANY },		/* the same */
	{ "openat", SB_ANY },		/* SQLite journals */
	{ "close", SB_ANY },		/* the same */
	{ "unlink", SB_ANY },		/* SQLite deletes its journal */
	{ "unlinkat", SB_ANY },		/* the same, in other glibc builds */
	{ "pread64", SB_ANY },		/* SQLite and TDB pages */
	{ "pwrite64", SB_ANY },		/* the same */
	{ "lseek", SB_ANY },		/* SQLite, TDB */
	{ "fsync", SB_ANY },		/* SQLite and TDB commits */
	{ "fdatasync", SB_ANY },	/* the same */
	{ "ftruncate", SB_ANY },	/* SQLite journal, TDB recovery */
	{ "fallocate", SB_ANY },	/* TDB grows its file */
	{ "fcntl", SB_ANY },		/* SQLite and TDB locks */
	{ "fstat", SB_ANY },		/* SQLite file sizes */
	{ "newfstatat", SB_ANY },	/* the same, and journal existence */
	{ "access", SB_ANY },		/* SQLite: a journal's access */
	{ "faccessat", SB_ANY },	/* the same, in other glibc builds */
	{ "utimensat", SB_ANY },	/* TDB stamps a committed file */
	{ "msync", SB_ANY },		/* TDB's mapped file */
	{ "geteuid", SB_ANY },		/* SQLite asks before a chown */
	{ "clock_nanosleep", SB_ANY },	/* SQLite's busy handler sleeps */
	{ "nanosleep", SB_ANY },	/* the same, in other glibc builds */
	{ "restart_syscall", SB_ANY },	/* that sleep, after a signal */
	{ "brk", SB_ANY },		/* malloc */
	{ "mmap", SB_NOEXEC },		/* malloc and TDB, never executable */
	{ "munmap", SB_ANY },		/* free, TDB remaps */
	{ "mremap", SB_ANY },		/* realloc, TDB grows */
	{ "madvise", SB_ANY },		/* free gives memory back */
	{ "futex", SB_ANY },		/* glibc locks */
	{ "clock_gettime", SB_ANY },	/* if not in the vDSO */
	{ "gettimeofday", SB_ANY },	/* libevent, if not in the vDSO */
	{ "getrandom", SB_ANY },	/* arc4random */
	{ "getpid", SB_ANY },		/* syslog's LOG_PID, SQLite */
	{ "rt_sigreturn", SB_ANY },	/* end of libevent's signal handler */
	{ "rt_sigprocmask", SB_ANY },	/* glibc syslog, abort(3) */
	{ "exit_group", SB_ANY }	/* exit(3) */
};

/*
 * The puppet plugin once its files are read (puppet/puppet.c): the
 * analogue of pledge("stdio inet").  It makes UDP and TCP sockets to the
 * remote masters and the name servers, and talks to netd on its standard
 * input and output.
 */
static const struct sandbox_call puppet_calls[] = {
	{ "epoll_wait", SB_ANY },	/* libevent's loop */
	{ "epoll_pwait", SB_ANY },	/* the same, in other libevent builds */
	{ "epoll_ctl", SB_ANY },	/* libevent adds and deletes events */
	{ "read", SB_ANY },		/* the channel, libevent's signals */
	{ "readv", SB_ANY },		/* the channel (evbuffer_read) */
	{ "recvfrom", SB_ANY },		/* lists, DNS answers, TLS */
	{ "write", SB_ANY },		/* log lines on standard error */
	{ "writev", SB_ANY },		/* the channel (evbuffer_write) */
	{ "sendto", SB_ANY },		/* requests, DNS queries, TLS */
	{ "socket", SB_INET },		/* to a remote master, to DNS */
	{ "connect", SB_ANY },		/* the same */
	{ "getsockopt", SB_ANY },	/* SO_ERROR of a connect(2) */
	{ "setsockopt", SB_ANY },	/* TCP_NODELAY */
	{ "getsockname", SB_ANY },	/* evdns, libtls */
	{ "getpeername", SB_ANY },	/* libtls */
	{ "fcntl", SB_ANY },		/* evdns makes its sockets
					   non-blocking */
	{ "ioctl", SB_ANY },		/* libevent's FIONREAD */
	{ "close", SB_ANY },		/* sockets */
	{ "brk", SB_ANY },		/* malloc */
	{ "mmap", SB_NOEXEC },		/* malloc, never executable */
	{ "munmap", SB_ANY },		/* free */
	{ "mremap", SB_ANY },		/* realloc of a large block */
	{ "madvise", SB_ANY },		/* free gives memory back */
	{ "futex", SB_ANY },		/* glibc and OpenSSL locks */
	{ "clock_gettime", SB_ANY },	/* deadlines, if not in the vDSO */
	{ "gettimeofday", SB_ANY },	/* libevent, if not in the vDSO */
	{ "getrandom", SB_ANY },	/* arc4random, OpenSSL, evdns ids */
	{ "getpid", SB_ANY },		/* OpenSSL */
	{ "sysinfo", SB_ANY },		/* glibc's qsort(3) of more than 1 KiB
					   (a remote's list) sizes its
					   buffer by the memory */
	{ "rt_sigreturn", SB_ANY },	/* end of libevent's signal handler */
	{ "rt_sigprocmask", SB_ANY },	/* abort(3) */
	{ "exit_group", SB_ANY }	/* exit(3) */
};

/*
 * The REST API plugin, chrooted and as the -u user: it serves HTTP on
 * the sockets the parent bound and talks to netd on standard input and
 * output.  It opens no file and makes no socket.
 */
static const struct sandbox_call api_calls[] = {
	{ "epoll_wait", SB_ANY },	/* libevent's loop */
	{ "epoll_pwait", SB_ANY },	/* the same, in other libevent builds */
	{ "epoll_ctl", SB_ANY },	/* libevent adds and deletes events */
	{ "read", SB_ANY },		/* the channel, libevent's signals */
	{ "readv", SB_ANY },		/* evbuffer_read */
	{ "recvfrom", SB_ANY },		/* recv(2) */
	{ "write", SB_ANY },		/* log lines on standard error */
	{ "writev", SB_ANY },		/* evbuffer_write: answers, channel */
	{ "sendto", SB_ANY },		/* send(2) */
	{ "accept4", SB_ANY },		/* HTTP connections */
	{ "accept", SB_ANY },		/* the same, in other libevent builds */
	{ "shutdown", SB_ANY },		/* evhttp closes a connection */
	{ "setsockopt", SB_ANY },	/* evhttp: SO_LINGER, TCP_NODELAY */
	{ "getsockopt", SB_ANY },	/* SO_ERROR */
	{ "getsockname", SB_ANY },	/* evhttp, its bound sockets */
	{ "getpeername", SB_ANY },	/* the same */
	{ "fcntl", SB_ANY },		/* libevent: O_NONBLOCK, FD_CLOEXEC */
	{ "ioctl", SB_ANY },		/* libevent's FIONREAD */
	{ "close", SB_ANY },		/* connections */
	{ "brk", SB_ANY },		/* malloc */
	{ "mmap", SB_NOEXEC },		/* malloc, never executable */
	{ "munmap", SB_ANY },		/* free */
	{ "mremap", SB_ANY },		/* realloc of a large block */
	{ "madvise", SB_ANY },		/* free gives memory back */
	{ "futex", SB_ANY },		/* glibc locks */
	{ "clock_gettime", SB_ANY },	/* deadlines, if not in the vDSO */
	{ "gettimeofday", SB_ANY },	/* libevent, if not in the vDSO */
	{ "getrandom", SB_ANY },	/* arc4random, libsodium */
	{ "getpid", SB_ANY },		/* abort(3) */
	{ "sysinfo", SB_ANY },		/* glibc's qsort(3) of more than 1 KiB
					   (the status page, the feed) */
	{ "rt_sigreturn", SB_ANY },	/* end of libevent's signal handler */
	{ "rt_sigprocmask", SB_ANY },	/* abort(3) */
	{ "exit_group", SB_ANY }	/* exit(3) */
};

#ifdef TREMMASTERD_SANITIZE
/*
 * The sanitizer build only: what the ASan, UBSan and LeakSanitizer
 * runtimes do, at exit (the leak check stops the world with a tracer
 * thread that ptraces the process) or when they print a report.
 */
static const struct sandbox_call san_calls[] = {
	{ "sigaltstack", SB_ANY },	/* a stack for the runtime's handlers */
	{ "sched_yield", SB_ANY },	/* runtime spin locks */
	{ "getppid", SB_ANY },		/* the tracer watches its parent */
	{ "rt_sigaction", SB_ANY },	/* the tracer's fatal signal handlers */
	{ "gettid", SB_ANY },		/* thread registry */
	{ "prctl", SB_ANY },		/* PR_SET_PTRACER, PR_SET_PDEATHSIG */
	{ "clone", SB_ANY },		/* the leak checker's tracer thread */
	{ "ptrace", SB_ANY },		/* the tracer suspends the process */
	{ "wait4", SB_ANY },		/* the tracer waits for its target */
	{ "kill", SB_ANY },		/* the tracer's error path */
	{ "tgkill", SB_ANY },		/* the same */
	{ "getdents", SB_ANY },		/* /proc/self/task */
	{ "getdents64", SB_ANY },	/* the same */
	{ "lseek", SB_ANY },		/* the same, and /proc/self/maps */
	{ "open", SB_ANY },		/* /proc/self/maps for a report */
	{ "openat", SB_ANY },		/* the same */
	{ "readlink", SB_ANY },		/* /proc/self/exe for a report */
	{ "readlinkat", SB_ANY },	/* the same */
	{ "fstat", SB_ANY },		/* the same */
	{ "pipe2", SB_ANY },		/* the symbolizer's pipes */
	{ "mmap", SB_ANY },		/* the runtime's own mappings */
	{ "mprotect", SB_ANY },		/* the same */
	{ "exit", SB_ANY }		/* the tracer thread ends */
};
#endif

static int	sandbox_add(scmp_filter_ctx, const struct sandbox_call *,
		    size_t);
static void	sandbox_load(const char *, const struct sandbox_call *,
		    size_t);

/*
 * Allow each call of the list that this architecture has (some names,
 * open or stat for example, exist on x86_64 only).
 */
static int
sandbox_add(scmp_filter_ctx ctx, const struct sandbox_call *c, size_t n)
{
	size_t	 i;
	int	 nr, rv;

	for (i = 0; i < n; i++) {
		nr = seccomp_syscall_resolve_name(c[i].name);
		if (nr == __NR_SCMP_ERROR)
			continue;
		switch (c[i].arg) {
		case SB_UNIX:
			rv = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
			    SCMP_A0(SCMP_CMP_EQ, AF_UNIX, 0));
			break;
		case SB_INET:
			rv = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
			    SCMP_A0(SCMP_CMP_EQ, AF_INET, 0));
			if (rv >= 0)
				rv = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr,
				    1, SCMP_A0(SCMP_CMP_EQ, AF_INET6, 0));
			break;
		case SB_NOEXEC:
			rv = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
			    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
			break;
		default:
			rv = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
			break;
		}
		if (rv < 0) {
			errno = -rv;
			log_warn("seccomp rule for %s", c[i].name);
			return (-1);
		}
	}
	return (0);
}

/* Install the filter of list: anything else kills the process. */
static void
sandbox_load(const char *name, const struct sandbox_call *c, size_t n)
{
	scmp_filter_ctx	 ctx;
	int		 rv;

	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		fatalx("%s: seccomp_init failed", name);
	if (sandbox_add(ctx, c, n) == -1)
		fatalx("%s: cannot build the seccomp filter", name);
#ifdef TREMMASTERD_SANITIZE
	if (sandbox_add(ctx, san_calls, nitems(san_calls)) == -1)
		fatalx("%s: cannot build the seccomp filter", name);
#endif
	/* libseccomp sets no_new_privs first (SCMP_FLTATR_CTL_NNP). */
	if ((rv = seccomp_load(ctx)) < 0) {
		errno = -rv;
		fatal("%s: seccomp_load", name);
	}
	seccomp_release(ctx);
	log_verbose("seccomp filter of %zu calls installed", n);
}

/* netd, after STARTUP: the analogue of pledge("stdio inet"). */
void
sandbox_netd(int no_seccomp)
{
	if (no_seccomp) {
		log_info("no seccomp filter (--no-seccomp)");
		return;
	}
	sandbox_load("netd", netd_calls, nitems(netd_calls));
}

/*
 * logd, its database open and its event loop set up: the analogue of
 * pledge("stdio rpath wpath cpath flock recvfd").
 */
void
sandbox_logd(int no_seccomp)
{
	if (no_seccomp) {
		log_info("no seccomp filter (--no-seccomp)");
		return;
	}
	sandbox_load("logd", logd_calls, nitems(logd_calls));
}

/* The puppet plugin, its files read: the analogue of pledge("stdio inet"). */
void
sandbox_puppet(int no_seccomp)
{
	if (no_seccomp) {
		log_info("no seccomp filter (--no-seccomp)");
		return;
	}
	sandbox_load("puppet", puppet_calls, nitems(puppet_calls));
}

/* The REST API plugin: the analogue of pledge("stdio inet"). */
void
sandbox_api(int no_seccomp)
{
	if (no_seccomp) {
		log_info("no seccomp filter (--no-seccomp)");
		return;
	}
	sandbox_load("api", api_calls, nitems(api_calls));
}
