/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Unit tests of common/sandbox-linux.c: a forked child installs the netd
 * or the logd filter, makes calls its process needs (the child lives on)
 * and one it must never make (the kernel kills the child with SIGSYS).
 * --no-seccomp (an argument of 1) leaves the child unfiltered.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cmocka needs the four headers above it. */
#include <cmocka.h>

#include "osdep.h"

enum what {
	W_NOTHING,	/* allowed calls only */
	W_INET,		/* socket(AF_INET) */
	W_INET6,	/* socket(AF_INET6) */
	W_EXECVE,	/* execve(2) of /bin/true */
	W_OPEN,		/* open(2) of a file */
	W_BIND,		/* bind(2) of a passed socket */
	W_MMAP_EXEC	/* executable memory */
};

enum which {
	NETD,
	LOGD
};

static char	 tmpdir[] = "/tmp/test_sandbox.XXXXXX";

static void	allowed(enum which, int);
static void	child(enum which, int, enum what) __dead;
static int	run(enum which, int, enum what);
static void	assert_killed(enum which, enum what);

/* Calls each process makes after start-up, all of which must pass. */
static void
allowed(enum which which, int sock)
{
	char	 path[64], buf[16];
	void	*p;
	int	 fd, s;

	if (write(sock, "x", 1) != 1 || read(sock, buf, sizeof(buf)) != 1)
		_exit(10);
	if ((p = malloc(1 << 20)) == NULL)
		_exit(11);
	memset(p, 1, 1 << 20);
	free(p);
	if ((p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANON, -1, 0)) == MAP_FAILED || munmap(p, 4096) == -1)
		_exit(12);
	(void)getpid();
	if (arc4random_uniform(2) > 1)
		_exit(13);
	/* What glibc syslog does when it reconnects. */
	if ((s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		_exit(14);
	(void)close(s);
	if (which == LOGD) {
		/* SQLite's journal. */
		(void)snprintf(path, sizeof(path), "%s/db-journal", tmpdir);
		if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) ==
		    -1 || pwrite(fd, "j", 1, 0) != 1 ||
		    pread(fd, buf, 1, 0) != 1 || fsync(fd) == -1 ||
		    ftruncate(fd, 0) == -1 || close(fd) == -1 ||
		    unlink(path) == -1)
			_exit(15);
	}
}

/*
 * The child: its own end of a socketpair (a passed fd), the filter, the
 * allowed calls, then what; exit 0 if it is still alive.
 */
static void
child(enum which which, int no_seccomp, enum what what)
{
	struct sockaddr_in	 sin;
	char			*argv[] = { "true", NULL };
	char			*envp[] = { NULL };
	int			 sv[2], s;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    write(sv[1], "y", 1) != 1)
		_exit(20);
	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		_exit(21);
	if (which == NETD)
		sandbox_netd(no_seccomp);
	else
		sandbox_logd(no_seccomp);
	allowed(which, sv[0]);
	switch (what) {
	case W_NOTHING:
		break;
	case W_INET:
		(void)socket(AF_INET, SOCK_DGRAM, 0);
		break;
	case W_INET6:
		(void)socket(AF_INET6, SOCK_STREAM, 0);
		break;
	case W_EXECVE:
		(void)execve("/bin/true", argv, envp);
		_exit(22);
	case W_OPEN:
		(void)open("/etc/passwd", O_RDONLY);
		break;
	case W_BIND:
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		(void)bind(s, (struct sockaddr *)&sin, sizeof(sin));
		break;
	case W_MMAP_EXEC:
		(void)mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE |
		    MAP_ANON, -1, 0);
		break;
	}
	_exit(0);
}

/* Fork a child that does what, and return its wait status. */
static int
run(enum which which, int no_seccomp, enum what what)
{
	pid_t	 pid;
	int	 st;

	fflush(NULL);
	if ((pid = fork()) == -1)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0)
		child(which, no_seccomp, what);
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			fail_msg("waitpid: %s", strerror(errno));
	return (st);
}

static void
assert_killed(enum which which, enum what what)
{
	int	 st;

	st = run(which, 0, what);
	if (!WIFSIGNALED(st))
		fail_msg("%s child, call %d: not killed, exit %d",
		    which == NETD ? "netd" : "logd", what, WEXITSTATUS(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
	/* Without the filter the same child lives. */
	st = run(which, 1, what);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void
test_netd_allowed(void **state __unused)
{
	int	 st;

	st = run(NETD, 0, W_NOTHING);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void
test_logd_allowed(void **state __unused)
{
	int	 st;

	st = run(LOGD, 0, W_NOTHING);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void
test_netd_forbidden(void **state __unused)
{
	assert_killed(NETD, W_INET);
	assert_killed(NETD, W_INET6);
	assert_killed(NETD, W_EXECVE);
	assert_killed(NETD, W_BIND);
#ifndef TREMMASTERD_SANITIZE
	/* The sanitizer runtimes open /proc files and map memory. */
	assert_killed(NETD, W_OPEN);
	assert_killed(NETD, W_MMAP_EXEC);
#endif
}

static void
test_logd_forbidden(void **state __unused)
{
	assert_killed(LOGD, W_INET);
	assert_killed(LOGD, W_INET6);
	assert_killed(LOGD, W_EXECVE);
	assert_killed(LOGD, W_BIND);
#ifndef TREMMASTERD_SANITIZE
	assert_killed(LOGD, W_MMAP_EXEC);
#endif
}

static int
setup(void **state __unused)
{
	if (mkdtemp(tmpdir) == NULL)
		return (-1);
	return (0);
}

static int
teardown(void **state __unused)
{
	return (rmdir(tmpdir));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netd_allowed),
		cmocka_unit_test(test_logd_allowed),
		cmocka_unit_test(test_netd_forbidden),
		cmocka_unit_test(test_logd_forbidden),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
