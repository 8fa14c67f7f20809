/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Unit tests of common/ipc.c: framing over a socketpair, descriptor
 * passing, malformed frames, and the checks that end the process.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cmocka needs the four headers above it. */
#include <cmocka.h>

#include "ipc.h"
#include "log.h"
#include "tremmasterd.h"
#include "unit_addr.h"

/* A channel: a sends to b over a non-blocking socketpair. */
struct chan {
	struct ipcbuf	 a;
	struct ipcbuf	 b;
	struct ipc_msg	 msg;
	int		 sv[2];
};

struct fatal_arg {
	const struct ipc_msg	*msg;
	struct ipcev		*iev;
	size_t			 size;
	int			 wantfd;
};

static int	chan_setup(void **);
static int	chan_teardown(void **);
static int	count_fds(void);
static void	put_frame(int, uint32_t, uint16_t, uint16_t, const void *,
		    size_t);
static void	fill(u_char *, size_t, unsigned int);
static int	run_child(void (*)(struct fatal_arg *), struct fatal_arg *);
static void	child_check(struct fatal_arg *);
static void	child_ipcev_get(struct fatal_arg *);

static int
chan_setup(void **state)
{
	struct chan	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (-1);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, c->sv) ==
	    -1) {
		free(c);
		return (-1);
	}
	ipc_init(&c->a, c->sv[0]);
	ipc_init(&c->b, c->sv[1]);
	c->msg.fd = -1;
	*state = c;
	return (0);
}

static int
chan_teardown(void **state)
{
	struct chan	*c = *state;

	ipc_clear(&c->a);
	ipc_clear(&c->b);
	if (c->msg.fd != -1)
		(void)close(c->msg.fd);
	if (c->sv[0] != -1)
		(void)close(c->sv[0]);
	if (c->sv[1] != -1)
		(void)close(c->sv[1]);
	free(c);
	return (0);
}

/* Open descriptors of this process, from /proc/self/fd. */
static int
count_fds(void)
{
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	(void)closedir(d);
	return (n);
}

/* Write a hand-made frame with write(2), no descriptor attached. */
static void
put_frame(int fd, uint32_t type, uint16_t len, uint16_t flags,
    const void *data, size_t datalen)
{
	struct ipc_hdr	 hdr;
	u_char		 buf[IPC_MAX_SIZE];

	assert_true(sizeof(hdr) + datalen <= sizeof(buf));
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = len;
	hdr.flags = flags;
	hdr.peerid = 7;
	hdr.pid = (uint32_t)getpid();
	memcpy(buf, &hdr, sizeof(hdr));
	if (datalen > 0)
		memcpy(buf + sizeof(hdr), data, datalen);
	assert_int_equal(write(fd, buf, sizeof(hdr) + datalen),
	    sizeof(hdr) + datalen);
}

static void
fill(u_char *p, size_t len, unsigned int seed)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		p[i] = (u_char)(i * 31 + seed);
}

/*
 * Run fn in a child with standard output on /dev/null; returns its exit
 * status, or -1 when it did not exit normally.
 */
static int
run_child(void (*fn)(struct fatal_arg *), struct fatal_arg *arg)
{
	pid_t	 pid;
	int	 fd, status;

	(void)fflush(stdout);
	(void)fflush(stderr);
	pid = fork();
	assert_int_not_equal(pid, -1);
	if (pid == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) == -1 ||
		    dup2(fd, STDOUT_FILENO) == -1)
			_exit(99);
		fn(arg);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status))
		return (-1);
	return (WEXITSTATUS(status));
}

static void
child_check(struct fatal_arg *arg)
{
	static u_char	 buf[IPC_MAX_PAYLOAD];

	ipc_check(arg->msg, "peer", buf, arg->size, arg->wantfd);
}

static void
child_ipcev_get(struct fatal_arg *arg)
{
	struct ipc_msg	*msg;

	if ((msg = malloc(sizeof(*msg))) == NULL)
		_exit(98);
	if (ipcev_get(arg->iev, msg) != 1)
		_exit(97);
	free(msg);
}

static void
test_roundtrip(void **state)
{
	struct chan	*c = *state;
	const char	 payload[] = "hello, netd";

	assert_int_equal(ipc_compose(&c->a, IMSG_SERVER, 42, -1, payload,
	    sizeof(payload)), 0);
	assert_int_equal(c->a.queued, IPC_HEADER_SIZE + sizeof(payload));
	assert_int_equal(ipc_write(&c->a), 0);
	assert_int_equal(c->a.queued, 0);
	assert_int_equal(ipc_read(&c->b), 1);
	assert_int_equal(ipc_get(&c->b, &c->msg), 1);
	assert_int_equal(c->msg.hdr.type, IMSG_SERVER);
	assert_int_equal(c->msg.hdr.peerid, 42);
	assert_int_equal(c->msg.hdr.pid, (uint32_t)getpid());
	assert_int_equal(c->msg.hdr.len, IPC_HEADER_SIZE + sizeof(payload));
	assert_int_equal(c->msg.hdr.flags, 0);
	assert_int_equal(c->msg.datalen, sizeof(payload));
	assert_memory_equal(c->msg.data, payload, sizeof(payload));
	assert_int_equal(c->msg.fd, -1);
	assert_int_equal(ipc_get(&c->b, &c->msg), 0);
}

static void
test_empty_payload(void **state)
{
	struct chan	*c = *state;

	assert_int_equal(ipc_compose(&c->a, IMSG_STARTUP, 0, -1, NULL, 0), 0);
	assert_int_equal(ipc_write(&c->a), 0);
	assert_int_equal(ipc_read(&c->b), 1);
	assert_int_equal(c->b.rlen, IPC_HEADER_SIZE);
	assert_int_equal(ipc_get(&c->b, &c->msg), 1);
	assert_int_equal(c->msg.hdr.type, IMSG_STARTUP);
	assert_int_equal(c->msg.hdr.len, IPC_HEADER_SIZE);
	assert_int_equal(c->msg.datalen, 0);
	assert_int_equal(c->msg.fd, -1);
	assert_int_equal(c->b.rlen, 0);
}

static void
test_header_size(void **state __unused)
{
	assert_int_equal(sizeof(struct ipc_hdr), 16);
	assert_int_equal(IPC_MAX_PAYLOAD, IPC_MAX_SIZE - 16);
}

static void
test_max_payload(void **state)
{
	struct chan	*c = *state;
	u_char		*buf;
	int		 r;

	buf = malloc(IPC_MAX_PAYLOAD + 1);
	assert_non_null(buf);
	fill(buf, IPC_MAX_PAYLOAD + 1, 3);
	assert_int_equal(ipc_compose(&c->a, IMSG_RECONF_MOTD, 1, -1, buf,
	    IPC_MAX_PAYLOAD), 0);
	assert_int_equal(ipc_write(&c->a), 0);
	while ((r = ipc_get(&c->b, &c->msg)) == 0)
		assert_int_equal(ipc_read(&c->b), 1);
	assert_int_equal(r, 1);
	assert_int_equal(c->msg.hdr.len, IPC_MAX_SIZE);
	assert_int_equal(c->msg.datalen, IPC_MAX_PAYLOAD);
	assert_memory_equal(c->msg.data, buf, IPC_MAX_PAYLOAD);
	free(buf);
}

static void
test_oversized_payload(void **state)
{
	struct chan	*c = *state;
	u_char		*buf;

	buf = calloc(1, IPC_MAX_PAYLOAD + 1);
	assert_non_null(buf);
	errno = 0;
	assert_int_equal(ipc_compose(&c->a, IMSG_SERVER, 0, -1, buf,
	    IPC_MAX_PAYLOAD + 1), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(c->a.queued, 0);
	assert_null(TAILQ_FIRST(&c->a.outq));
	free(buf);
}

static void
test_null_data(void **state)
{
	struct chan	*c = *state;

	errno = 0;
	assert_int_equal(ipc_compose(&c->a, IMSG_SERVER, 0, -1, NULL, 4), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(c->a.queued, 0);
}

/* A frame cut inside its payload. */
static void
test_split_payload(void **state)
{
	struct chan	*c = *state;
	u_char		 frame[IPC_HEADER_SIZE + 100];
	struct ipc_hdr	 hdr;
	size_t		 half = sizeof(frame) / 2;

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = IMSG_SERVER;
	hdr.len = sizeof(frame);
	hdr.peerid = 5;
	hdr.pid = 1234;
	memcpy(frame, &hdr, sizeof(hdr));
	fill(frame + sizeof(hdr), sizeof(frame) - sizeof(hdr), 9);

	assert_int_equal(write(c->sv[0], frame, half), half);
	assert_int_equal(ipc_read(&c->b), 1);
	assert_int_equal(ipc_get(&c->b, &c->msg), 0);
	assert_int_equal(c->b.rlen, half);
	assert_int_equal(write(c->sv[0], frame + half, sizeof(frame) - half),
	    sizeof(frame) - half);
	assert_int_equal(ipc_read(&c->b), 1);
	assert_int_equal(ipc_get(&c->b, &c->msg), 1);
	assert_int_equal(c->msg.hdr.type, IMSG_SERVER);
	assert_int_equal(c->msg.hdr.peerid, 5);
	assert_int_equal(c->msg.hdr.pid, 1234);
	assert_int_equal(c->msg.datalen, 100);
	assert_memory_equal(c->msg.data, frame + sizeof(hdr), 100);
	assert_int_equal(c->msg.fd, -1);
	assert_int_equal(c->b.rlen, 0);
}

/* A frame cut inside its header. */
static void
test_split_header(void **state)
{
	struct chan	*c = *state;
	u_char		 frame[IPC_HEADER_SIZE + 4];
	struct ipc_hdr	 hdr;

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = IMSG_LINK;
	hdr.len = sizeof(frame);
	memcpy(frame, &hdr, sizeof(hdr));
	memcpy(frame + sizeof(hdr), "abcd", 4);

	assert_int_equal(write(c->sv[0], frame, 7), 7);
	assert_int_equal(ipc_read(&c->b), 1);
	assert_int_equal(ipc_get(&c->b, &c->msg), 0);
	assert_int_equal(write(c->sv[0], frame + 7, sizeof(frame) - 7),
	    sizeof(frame) - 7);
	assert_int_equal(ipc_read(&c->b), 1);
	assert_int_equal(ipc_get(&c->b, &c->msg), 1);
	assert_int_equal(c->msg.hdr.type, IMSG_LINK);
	assert_int_equal(c->msg.datalen, 4);
	assert_memory_equal(c->msg.data, "abcd", 4);
}

/* Every byte on its own: no frame before the last one. */
static void
test_byte_at_a_time(void **state)
{
	struct chan	*c = *state;
	u_char		 frame[IPC_HEADER_SIZE + 10];
	struct ipc_hdr	 hdr;
	size_t		 i;

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = IMSG_HELLO;
	hdr.len = sizeof(frame);
	memcpy(frame, &hdr, sizeof(hdr));
	fill(frame + sizeof(hdr), 10, 1);

	for (i = 0; i < sizeof(frame); i++) {
		assert_int_equal(ipc_get(&c->b, &c->msg), 0);
		assert_int_equal(write(c->sv[0], frame + i, 1), 1);
		assert_int_equal(ipc_read(&c->b), 1);
	}
	assert_int_equal(ipc_get(&c->b, &c->msg), 1);
	assert_int_equal(c->msg.hdr.type, IMSG_HELLO);
	assert_memory_equal(c->msg.data, frame + sizeof(hdr), 10);
}

static void
test_three_in_one_read(void **state)
{
	struct chan	*c = *state;
	uint32_t	 i, v;

	for (i = 0; i < 3; i++) {
		v = 100 + i;
		assert_int_equal(ipc_compose(&c->a, IMSG_SERVER + i, i, -1, &v,
		    sizeof(v)), 0);
	}
	assert_int_equal(ipc_write(&c->a), 0);
	assert_int_equal(ipc_read(&c->b), 1);
	assert_int_equal(c->b.rlen, 3 * (IPC_HEADER_SIZE + sizeof(v)));
	for (i = 0; i < 3; i++) {
		assert_int_equal(ipc_get(&c->b, &c->msg), 1);
		assert_int_equal(c->msg.hdr.type, IMSG_SERVER + i);
		assert_int_equal(c->msg.hdr.peerid, i);
		assert_int_equal(c->msg.datalen, sizeof(v));
		memcpy(&v, c->msg.data, sizeof(v));
		assert_int_equal(v, 100 + i);
	}
	assert_int_equal(ipc_get(&c->b, &c->msg), 0);
	errno = 0;
	assert_int_equal(ipc_read(&c->b), -1);
	assert_int_equal(errno, EAGAIN);
}

/*
 * Fill the socket until it refuses more: ipc_write keeps the rest queued,
 * and everything arrives in order once the reader drains it.
 */
static void
test_backpressure(void **state)
{
	struct chan	*c = *state;
	u_char		*buf;
	uint32_t	 seq, want = 0, n = 64;
	int		 r, sndbuf = 4096;

	/* Small buffers, so that the socket fills up for sure. */
	assert_int_equal(setsockopt(c->sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf,
	    sizeof(sndbuf)), 0);
	buf = malloc(IPC_MAX_PAYLOAD);
	assert_non_null(buf);
	for (seq = 0; seq < n; seq++) {
		fill(buf, IPC_MAX_PAYLOAD, seq);
		memcpy(buf, &seq, sizeof(seq));
		assert_int_equal(ipc_compose(&c->a, IMSG_SERVER, 0, -1, buf,
		    IPC_MAX_PAYLOAD), 0);
	}
	assert_int_equal(ipc_write(&c->a), 0);
	/* 1 MiB does not fit: the rest waits in the queue. */
	assert_true(c->a.queued > 0);
	assert_non_null(TAILQ_FIRST(&c->a.outq));

	while (want < n) {
		assert_int_equal(ipc_write(&c->a), 0);
		r = ipc_read(&c->b);
		assert_true(r == 1 || (r == -1 && errno == EAGAIN));
		while ((r = ipc_get(&c->b, &c->msg)) == 1) {
			memcpy(&seq, c->msg.data, sizeof(seq));
			assert_int_equal(seq, want);
			assert_int_equal(c->msg.datalen, IPC_MAX_PAYLOAD);
			fill(buf, IPC_MAX_PAYLOAD, seq);
			assert_memory_equal(c->msg.data + sizeof(seq),
			    buf + sizeof(seq), IPC_MAX_PAYLOAD - sizeof(seq));
			want++;
		}
		assert_int_equal(r, 0);
	}
	assert_int_equal(c->a.queued, 0);
	assert_null(TAILQ_FIRST(&c->a.outq));
	free(buf);
}

static void
test_fdpass(void **state)
{
	struct chan	*c = *state;
	struct stat	 st1, st2;
	char		 ch;
	int		 p[2], flags;

	assert_int_equal(pipe(p), 0);
	ipc_allow_fdpass(&c->b);
	assert_int_equal(ipc_compose(&c->a, IMSG_SOCKET, 3, p[0], "x", 1), 0);
	assert_int_equal(ipc_write(&c->a), 0);
	/* The sender's copy is gone once sent. */
	errno = 0;
	assert_int_equal(fcntl(p[0], F_GETFD), -1);
	assert_int_equal(errno, EBADF);

	assert_int_equal(ipc_read(&c->b), 1);
	assert_int_equal(c->b.nfds, 1);
	assert_int_equal(ipc_get(&c->b, &c->msg), 1);
	assert_int_equal(c->b.nfds, 0);
	assert_int_equal(c->msg.hdr.type, IMSG_SOCKET);
	assert_int_equal(c->msg.hdr.flags, IPC_F_HASFD);
	assert_int_equal(c->msg.datalen, 1);
	assert_int_not_equal(c->msg.fd, -1);
	assert_int_not_equal(c->msg.fd, p[1]);
	assert_int_not_equal(c->msg.fd, c->sv[0]);
	assert_int_not_equal(c->msg.fd, c->sv[1]);
	flags = fcntl(c->msg.fd, F_GETFD);
	assert_int_not_equal(flags, -1);
	assert_true(flags & FD_CLOEXEC);

	/* Same pipe: same inode, and bytes flow through it. */
	assert_int_equal(fstat(c->msg.fd, &st1), 0);
	assert_int_equal(fstat(p[1], &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);
	assert_int_equal(st1.st_dev, st2.st_dev);
	assert_int_equal(write(p[1], "z", 1), 1);
	assert_int_equal(read(c->msg.fd, &ch, 1), 1);
	assert_int_equal(ch, 'z');

	(void)close(c->msg.fd);
	c->msg.fd = -1;
	(void)close(p[1]);
}

/* The descriptor goes with its own frame, not with its neighbours. */
static void
test_fd_with_its_frame(void **state)
{
	struct chan	*c = *state;
	int		 fd;

	if ((fd = open("/dev/null", O_RDONLY)) == -1)
		fail_msg("/dev/null: %s", strerror(errno));
	ipc_allow_fdpass(&c->b);
	assert_int_equal(ipc_compose(&c->a, IMSG_STARTUP, 0, -1, NULL, 0), 0);
	assert_int_equal(ipc_compose(&c->a, IMSG_SOCKET, 0, fd, NULL, 0), 0);
	assert_int_equal(ipc_compose(&c->a, IMSG_SHUTDOWN, 0, -1, NULL, 0),
	    0);
	assert_int_equal(ipc_write(&c->a), 0);
	while (c->b.rlen < 3 * IPC_HEADER_SIZE)
		assert_int_equal(ipc_read(&c->b), 1);

	assert_int_equal(ipc_get(&c->b, &c->msg), 1);
	assert_int_equal(c->msg.hdr.type, IMSG_STARTUP);
	assert_int_equal(c->msg.fd, -1);
	assert_int_equal(ipc_get(&c->b, &c->msg), 1);
	assert_int_equal(c->msg.hdr.type, IMSG_SOCKET);
	assert_int_not_equal(c->msg.fd, -1);
	assert_int_not_equal(fcntl(c->msg.fd, F_GETFD), -1);
	(void)close(c->msg.fd);
	c->msg.fd = -1;
	assert_int_equal(ipc_get(&c->b, &c->msg), 1);
	assert_int_equal(c->msg.hdr.type, IMSG_SHUTDOWN);
	assert_int_equal(c->msg.fd, -1);
}

static void
test_fd_refused(void **state)
{
	struct chan	*c = *state;
	int		 p[2], before, after;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(ipc_compose(&c->a, IMSG_SOCKET, 0, p[0], NULL, 0),
	    0);
	assert_int_equal(ipc_write(&c->a), 0);
	before = count_fds();
	assert_true(before > 0);
	errno = 0;
	assert_int_equal(ipc_read(&c->b), -1);
	assert_int_equal(errno, EBADMSG);
	after = count_fds();
	assert_int_equal(after, before);
	assert_int_equal(c->b.nfds, 0);
	(void)close(p[1]);
}

/* Descriptors received but never handed out are closed by ipc_clear. */
static void
test_clear_closes_received_fds(void **state)
{
	struct chan	*c = *state;
	int		 p[2], before;

	before = count_fds();
	assert_int_equal(pipe(p), 0);
	ipc_allow_fdpass(&c->b);
	assert_int_equal(ipc_compose(&c->a, IMSG_SOCKET, 0, p[0], NULL, 0),
	    0);
	assert_int_equal(ipc_compose(&c->a, IMSG_SOCKET, 0, p[1], NULL, 0),
	    0);
	assert_int_equal(count_fds(), before + 2);
	assert_int_equal(ipc_write(&c->a), 0);
	assert_int_equal(count_fds(), before);
	while (c->b.rlen < 2 * IPC_HEADER_SIZE)
		assert_int_equal(ipc_read(&c->b), 1);
	assert_int_equal(c->b.nfds, 2);
	assert_int_equal(count_fds(), before + 2);
	ipc_clear(&c->b);
	assert_int_equal(c->b.nfds, 0);
	assert_int_equal(c->b.rlen, 0);
	assert_int_equal(count_fds(), before);
}

/* A descriptor still in the send queue is closed by ipc_clear. */
static void
test_clear_closes_queued_fd(void **state)
{
	struct chan	*c = *state;
	int		 p[2], before;

	before = count_fds();
	assert_int_equal(pipe(p), 0);
	(void)close(p[1]);
	assert_int_equal(ipc_compose(&c->a, IMSG_SOCKET, 0, p[0], NULL, 0),
	    0);
	assert_int_equal(count_fds(), before + 1);
	ipc_clear(&c->a);
	assert_int_equal(c->a.queued, 0);
	assert_null(TAILQ_FIRST(&c->a.outq));
	assert_int_equal(count_fds(), before);
}

static void
test_hasfd_without_fd(void **state)
{
	struct chan	*c = *state;

	ipc_allow_fdpass(&c->b);
	put_frame(c->sv[0], IMSG_SOCKET, IPC_HEADER_SIZE, IPC_F_HASFD, NULL,
	    0);
	assert_int_equal(ipc_read(&c->b), 1);
	errno = 0;
	assert_int_equal(ipc_get(&c->b, &c->msg), -1);
	assert_int_equal(errno, EBADMSG);
}

static void
test_len_too_short(void **state)
{
	struct chan	*c = *state;

	put_frame(c->sv[0], IMSG_SERVER, IPC_HEADER_SIZE - 1, 0, NULL, 0);
	assert_int_equal(ipc_read(&c->b), 1);
	errno = 0;
	assert_int_equal(ipc_get(&c->b, &c->msg), -1);
	assert_int_equal(errno, EBADMSG);
}

static void
test_len_zero(void **state)
{
	struct chan	*c = *state;

	put_frame(c->sv[0], IMSG_SERVER, 0, 0, NULL, 0);
	assert_int_equal(ipc_read(&c->b), 1);
	errno = 0;
	assert_int_equal(ipc_get(&c->b, &c->msg), -1);
	assert_int_equal(errno, EBADMSG);
}

static void
test_len_too_long(void **state)
{
	struct chan	*c = *state;

	put_frame(c->sv[0], IMSG_SERVER, IPC_MAX_SIZE + 1, 0, NULL, 0);
	assert_int_equal(ipc_read(&c->b), 1);
	errno = 0;
	assert_int_equal(ipc_get(&c->b, &c->msg), -1);
	assert_int_equal(errno, EBADMSG);
}

static void
test_unknown_flags(void **state)
{
	struct chan	*c = *state;

	put_frame(c->sv[0], IMSG_SERVER, IPC_HEADER_SIZE, 0x0002, NULL, 0);
	assert_int_equal(ipc_read(&c->b), 1);
	errno = 0;
	assert_int_equal(ipc_get(&c->b, &c->msg), -1);
	assert_int_equal(errno, EBADMSG);
}

static void
test_header_needs_more(void **state)
{
	struct chan	*c = *state;

	put_frame(c->sv[0], IMSG_SERVER, IPC_HEADER_SIZE + 8, 0, "abcd", 4);
	assert_int_equal(ipc_read(&c->b), 1);
	assert_int_equal(ipc_get(&c->b, &c->msg), 0);
	assert_int_equal(c->b.rlen, IPC_HEADER_SIZE + 4);
	assert_int_equal(write(c->sv[0], "efgh", 4), 4);
	assert_int_equal(ipc_read(&c->b), 1);
	assert_int_equal(ipc_get(&c->b, &c->msg), 1);
	assert_int_equal(c->msg.datalen, 8);
	assert_memory_equal(c->msg.data, "abcdefgh", 8);
}

static void
test_eof(void **state)
{
	struct chan	*c = *state;

	(void)close(c->sv[0]);
	c->sv[0] = -1;
	assert_int_equal(ipc_read(&c->b), 0);
}

static void
test_nothing_to_read(void **state)
{
	struct chan	*c = *state;

	errno = 0;
	assert_int_equal(ipc_read(&c->b), -1);
	assert_int_equal(errno, EAGAIN);
}

static void
test_write_peer_gone(void **state)
{
	struct chan	*c = *state;

	(void)close(c->sv[1]);
	c->sv[1] = -1;
	assert_int_equal(ipc_compose(&c->a, IMSG_HELLO, 0, -1, NULL, 0), 0);
	errno = 0;
	assert_int_equal(ipc_write(&c->a), -1);
	assert_true(errno == EPIPE || errno == ECONNRESET);
}

static void
test_typename(void **state __unused)
{
	assert_string_equal(ipc_typename(IMSG_SOCKET), "socket");
	assert_string_equal(ipc_typename(IMSG_NONE), "none");
	assert_string_equal(ipc_typename(IMSG_HELLO), "hello");
	assert_non_null(strstr(ipc_typename(IMSG_MAX), "unknown"));
	assert_non_null(strstr(ipc_typename(0xffffffffU), "unknown"));
}

/* Every message type has its own name. */
static void
test_typename_all(void **state __unused)
{
	uint32_t	 t, u;

	for (t = 0; t < IMSG_MAX; t++) {
		assert_null(strstr(ipc_typename(t), "unknown"));
		for (u = 0; u < t; u++)
			assert_string_not_equal(ipc_typename(t),
			    ipc_typename(u));
	}
	assert_string_equal(ipc_typename(IMSG_TLS_END), "tls-end");
	assert_string_equal(ipc_typename(IMSG_STAT_CLIENT), "stat-client");
}

/* The child harness itself: a good message does not end the process. */
static void
test_check_ok(void **state)
{
	struct fatal_arg	 arg;
	struct chan		*c = *state;

	memset(&arg, 0, sizeof(arg));
	c->msg.hdr.type = IMSG_LINK;
	c->msg.datalen = sizeof(struct ipc_link);
	c->msg.fd = -1;
	arg.msg = &c->msg;
	arg.size = sizeof(struct ipc_link);
	arg.wantfd = 0;
	assert_int_equal(run_child(child_check, &arg), 0);
}

static void
test_check_wrong_size(void **state)
{
	struct fatal_arg	 arg;
	struct chan		*c = *state;

	memset(&arg, 0, sizeof(arg));
	c->msg.hdr.type = IMSG_LINK;
	c->msg.datalen = sizeof(struct ipc_link) + 1;
	c->msg.fd = -1;
	arg.msg = &c->msg;
	arg.size = sizeof(struct ipc_link);
	assert_int_equal(run_child(child_check, &arg), 1);

	/* Shorter is as wrong as longer. */
	c->msg.datalen = sizeof(struct ipc_link) - 1;
	assert_int_equal(run_child(child_check, &arg), 1);
}

static void
test_check_unexpected_fd(void **state)
{
	struct fatal_arg	 arg;
	struct chan		*c = *state;

	memset(&arg, 0, sizeof(arg));
	c->msg.hdr.type = IMSG_STARTUP;
	c->msg.datalen = 0;
	if ((c->msg.fd = open("/dev/null", O_RDONLY)) == -1)
		fail_msg("/dev/null: %s", strerror(errno));
	arg.msg = &c->msg;
	arg.size = 0;
	arg.wantfd = 0;
	assert_int_equal(run_child(child_check, &arg), 1);
}

static void
test_check_missing_fd(void **state)
{
	struct fatal_arg	 arg;
	struct chan		*c = *state;

	memset(&arg, 0, sizeof(arg));
	c->msg.hdr.type = IMSG_SOCKET;
	c->msg.datalen = sizeof(struct ipc_socket);
	c->msg.fd = -1;
	arg.msg = &c->msg;
	arg.size = sizeof(struct ipc_socket);
	arg.wantfd = 1;
	assert_int_equal(run_child(child_check, &arg), 1);
}

/* A payload of exactly the size asked is copied. */
static void
test_get_data_exact(void **state)
{
	struct chan		*c = *state;
	struct ipc_link		 link;

	c->msg.hdr.type = IMSG_LINK;
	c->msg.datalen = sizeof(link);
	c->msg.fd = -1;
	fill(c->msg.data, sizeof(link), 7);
	memset(&link, 0, sizeof(link));
	assert_int_equal(ipc_get_data(&c->msg, &link, sizeof(link)), 0);
	assert_memory_equal(&link, c->msg.data, sizeof(link));

	/* ipc_check hands out the payload it checked, the same way. */
	memset(&link, 0, sizeof(link));
	ipc_check(&c->msg, "peer", &link, sizeof(link), 0);
	assert_memory_equal(&link, c->msg.data, sizeof(link));
}

/* One byte short or one too many: nothing is copied. */
static void
test_get_data_size(void **state)
{
	struct chan		*c = *state;
	struct ipc_socket	 sock, zero;
	size_t			 sizes[] = { sizeof(sock) - 1, sizeof(sock) + 1 };
	size_t			 i;

	c->msg.hdr.type = IMSG_SOCKET;
	fill(c->msg.data, sizeof(sock) + 1, 3);
	memset(&zero, 0, sizeof(zero));
	for (i = 0; i < nitems(sizes); i++) {
		c->msg.datalen = sizes[i];
		memset(&sock, 0, sizeof(sock));
		errno = 0;
		assert_int_equal(ipc_get_data(&c->msg, &sock, sizeof(sock)),
		    -1);
		assert_int_equal(errno, EBADMSG);
		assert_memory_equal(&sock, &zero, sizeof(sock));
	}
}

/* Size 0 asks for an empty payload; NULL is a buffer only for that. */
static void
test_get_data_empty(void **state)
{
	struct chan	*c = *state;
	u_char		 b[4];

	c->msg.hdr.type = IMSG_STARTUP;
	c->msg.datalen = 0;
	assert_int_equal(ipc_get_data(&c->msg, NULL, 0), 0);
	assert_int_equal(ipc_get_data(&c->msg, b, 0), 0);
	errno = 0;
	assert_int_equal(ipc_get_data(&c->msg, b, sizeof(b)), -1);
	assert_int_equal(errno, EBADMSG);

	c->msg.datalen = 1;
	errno = 0;
	assert_int_equal(ipc_get_data(&c->msg, NULL, 0), -1);
	assert_int_equal(errno, EBADMSG);

	c->msg.datalen = sizeof(b);
	errno = 0;
	assert_int_equal(ipc_get_data(&c->msg, NULL, sizeof(b)), -1);
	assert_int_equal(errno, EINVAL);
}

static void
test_addr_valid(void **state __unused)
{
	struct ipc_addr	 a;
	size_t		 i;

	a = unit_addr("192.0.2.1", 30710);
	assert_int_equal(ipc_addr_valid(&a), 1);

	/* Anything after the four bytes of an IPv4 address. */
	for (i = 4; i < sizeof(a.addr); i++) {
		a.addr[i] = 1;
		assert_int_equal(ipc_addr_valid(&a), 0);
		a.addr[i] = 0;
	}
	assert_int_equal(ipc_addr_valid(&a), 1);
	a.pad = 1;
	assert_int_equal(ipc_addr_valid(&a), 0);
	a.pad = 0;

	/* IPv6 uses all sixteen bytes. */
	a.family = AF_INET6;
	memset(a.addr, 0xfe, sizeof(a.addr));
	assert_int_equal(ipc_addr_valid(&a), 1);
	a.pad = 0x80;
	assert_int_equal(ipc_addr_valid(&a), 0);
	a.pad = 0;

	/* No other family. */
	memset(a.addr, 0, sizeof(a.addr));
	a.family = 0;
	assert_int_equal(ipc_addr_valid(&a), 0);
	a.family = AF_UNIX;
	assert_int_equal(ipc_addr_valid(&a), 0);
	a.family = 0xff;
	assert_int_equal(ipc_addr_valid(&a), 0);
}

/* A frame from the expected pid passes ipcev_get. */
static void
test_ipcev_right_pid(void **state)
{
	struct chan	*c = *state;
	struct ipcev	*iev;

	iev = calloc(1, sizeof(*iev));
	assert_non_null(iev);
	ipcev_init(iev, c->sv[1], "peer", NULL, NULL);
	iev->peer_pid = getpid();
	assert_int_equal(ipc_compose(&c->a, IMSG_HELLO, 0, -1, NULL, 0), 0);
	assert_int_equal(ipc_write(&c->a), 0);
	assert_int_equal(ipc_read(&iev->ibuf), 1);
	assert_int_equal(ipcev_get(iev, &c->msg), 1);
	assert_int_equal(c->msg.hdr.type, IMSG_HELLO);
	assert_int_equal(ipcev_get(iev, &c->msg), 0);
	ipc_clear(&iev->ibuf);
	free(iev);
}

static void
test_ipcev_wrong_pid(void **state)
{
	struct fatal_arg	 arg;
	struct chan		*c = *state;
	struct ipcev		*iev;

	iev = calloc(1, sizeof(*iev));
	assert_non_null(iev);
	ipcev_init(iev, c->sv[1], "peer", NULL, NULL);
	iev->peer_pid = getpid() + 1;
	assert_int_equal(ipc_compose(&c->a, IMSG_HELLO, 0, -1, NULL, 0), 0);
	assert_int_equal(ipc_write(&c->a), 0);
	assert_int_equal(ipc_read(&iev->ibuf), 1);
	memset(&arg, 0, sizeof(arg));
	arg.iev = iev;
	assert_int_equal(run_child(child_ipcev_get, &arg), 1);
	ipc_clear(&iev->ibuf);
	free(iev);
}

static void
test_ipcev_malformed(void **state)
{
	struct fatal_arg	 arg;
	struct chan		*c = *state;
	struct ipcev		*iev;

	iev = calloc(1, sizeof(*iev));
	assert_non_null(iev);
	ipcev_init(iev, c->sv[1], "peer", NULL, NULL);
	put_frame(c->sv[0], IMSG_HELLO, 3, 0, NULL, 0);
	assert_int_equal(ipc_read(&iev->ibuf), 1);
	memset(&arg, 0, sizeof(arg));
	arg.iev = iev;
	assert_int_equal(run_child(child_ipcev_get, &arg), 1);
	ipc_clear(&iev->ibuf);
	free(iev);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, chan_setup,
		    chan_teardown),
		cmocka_unit_test_setup_teardown(test_empty_payload,
		    chan_setup, chan_teardown),
		cmocka_unit_test(test_header_size),
		cmocka_unit_test_setup_teardown(test_max_payload, chan_setup,
		    chan_teardown),
		cmocka_unit_test_setup_teardown(test_oversized_payload,
		    chan_setup, chan_teardown),
		cmocka_unit_test_setup_teardown(test_null_data, chan_setup,
		    chan_teardown),
		cmocka_unit_test_setup_teardown(test_split_payload,
		    chan_setup, chan_teardown),
		cmocka_unit_test_setup_teardown(test_split_header, chan_setup,
		    chan_teardown),
		cmocka_unit_test_setup_teardown(test_byte_at_a_time,
		    chan_setup, chan_teardown),
		cmocka_unit_test_setup_teardown(test_three_in_one_read,
		    chan_setup, chan_teardown),
		cmocka_unit_test_setup_teardown(test_backpressure, chan_setup,
		    chan_teardown),
		cmocka_unit_test_setup_teardown(test_fdpass, chan_setup,
		    chan_teardown),
		cmocka_unit_test_setup_teardown(test_fd_with_its_frame,
		    chan_setup, chan_teardown),
		cmocka_unit_test_setup_teardown(test_fd_refused, chan_setup,
		    chan_teardown),
		cmocka_unit_test_setup_teardown(test_clear_closes_received_fds,
		    chan_setup, chan_teardown),
		cmocka_unit_test_setup_teardown(test_clear_closes_queued_fd,
		    chan_setup, chan_teardown),
		cmocka_unit_test_setup_teardown(test_hasfd_without_fd,
		    chan_setup, chan_teardown),
		cmocka_unit_test_setup_teardown(test_len_too_short,
		    chan_setup, chan_teardown),
		cmocka_unit_test_setup_teardown(test_len_zero, chan_setup,
		    chan_teardown),
		cmocka_unit_test_setup_teardown(test_len_too_long, chan_setup,
		    chan_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_flags,
		    chan_setup, chan_teardown),
		cmocka_unit_test_setup_teardown(test_header_needs_more,
		    chan_setup, chan_teardown),
		cmocka_unit_test_setup_teardown(test_eof, chan_setup,
		    chan_teardown),
		cmocka_unit_test_setup_teardown(test_nothing_to_read,
		    chan_setup, chan_teardown),
		cmocka_unit_test_setup_teardown(test_write_peer_gone,
		    chan_setup, chan_teardown),
		cmocka_unit_test(test_typename),
		cmocka_unit_test(test_typename_all),
		cmocka_unit_test_setup_teardown(test_check_ok, chan_setup,
		    chan_teardown),
		cmocka_unit_test_setup_teardown(test_check_wrong_size,
		    chan_setup, chan_teardown),
		cmocka_unit_test_setup_teardown(test_check_unexpected_fd,
		    chan_setup, chan_teardown),
		cmocka_unit_test_setup_teardown(test_check_missing_fd,
		    chan_setup, chan_teardown),
		cmocka_unit_test_setup_teardown(test_get_data_exact,
		    chan_setup, chan_teardown),
		cmocka_unit_test_setup_teardown(test_get_data_size,
		    chan_setup, chan_teardown),
		cmocka_unit_test_setup_teardown(test_get_data_empty,
		    chan_setup, chan_teardown),
		cmocka_unit_test(test_addr_valid),
		cmocka_unit_test_setup_teardown(test_ipcev_right_pid,
		    chan_setup, chan_teardown),
		cmocka_unit_test_setup_teardown(test_ipcev_wrong_pid,
		    chan_setup, chan_teardown),
		cmocka_unit_test_setup_teardown(test_ipcev_malformed,
		    chan_setup, chan_teardown),
	};

	log_init(0, LOGLEVEL_ALWAYS);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
