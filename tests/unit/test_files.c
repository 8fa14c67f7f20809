/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Unit tests of master/files.c: featured.txt, ignore.txt, motd.txt and
 * serverlist.txt, parsed from temporary files.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

#include "files.h"
#include "log.h"
#include "tremmasterd.h"

static FILE	*text(const char *, size_t);
static int	 featured(const char *, struct datafiles *);
static int	 ignore(const char *, struct datafiles *);
static int	 motd(const char *, size_t, struct datafiles *);
static void	 assert_addr(const struct ipc_addr *, int, const char *,
		    uint16_t);
static void	 assert_ignore(const struct ipc_ignore *, int, const char *,
		    int);
static char	*make_dir(void);
static void	 put_file(const char *, const char *, const char *);
static void	 remove_dir(char *);
static char	*slurp(const char *, const char *);

/* A temporary file holding len bytes of s, ready to be read. */
static FILE *
text(const char *s, size_t len)
{
	FILE	*fp;

	if ((fp = tmpfile()) == NULL)
		fail_msg("tmpfile: %s", strerror(errno));
	if (len > 0 && fwrite(s, 1, len, fp) != len)
		fail_msg("fwrite: %s", strerror(errno));
	rewind(fp);
	return (fp);
}

static int
featured(const char *s, struct datafiles *df)
{
	FILE	*fp;
	int	 r;

	datafiles_init(df);
	fp = text(s, strlen(s));
	r = featured_parse(fp, "featured.txt", df);
	(void)fclose(fp);
	return (r);
}

static int
ignore(const char *s, struct datafiles *df)
{
	FILE	*fp;
	int	 r;

	datafiles_init(df);
	fp = text(s, strlen(s));
	r = ignore_parse(fp, "ignore.txt", df);
	(void)fclose(fp);
	return (r);
}

static int
motd(const char *s, size_t len, struct datafiles *df)
{
	FILE	*fp;
	int	 r;

	datafiles_init(df);
	fp = text(s, len);
	r = motd_parse(fp, "motd.txt", df);
	(void)fclose(fp);
	return (r);
}

/* a is host:port, with the port in network byte order. */
static void
assert_addr(const struct ipc_addr *a, int family, const char *host,
    uint16_t port)
{
	struct ipc_addr	 want;

	memset(&want, 0, sizeof(want));
	want.family = family;
	want.port = htons(port);
	assert_int_equal(inet_pton(family, host, want.addr), 1);
	assert_int_equal(a->family, family);
	assert_int_equal(a->port, htons(port));
	assert_int_equal(ntohs(a->port), port);
	assert_memory_equal(a->addr, want.addr, sizeof(want.addr));
	assert_int_equal(a->pad, 0);
}

static void
assert_ignore(const struct ipc_ignore *ig, int family, const char *host,
    int prefixlen)
{
	assert_addr(&ig->addr, family, host, 0);
	assert_int_equal(ig->prefixlen, prefixlen);
}

static char *
make_dir(void)
{
	char	*dir;

	if ((dir = strdup("/tmp/test_files.XXXXXX")) == NULL)
		fail_msg("strdup");
	if (mkdtemp(dir) == NULL)
		fail_msg("mkdtemp: %s", strerror(errno));
	return (dir);
}

static void
put_file(const char *dir, const char *name, const char *s)
{
	char	 path[PATH_MAX];
	FILE	*fp;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	(void)fputs(s, fp);
	assert_int_equal(fclose(fp), 0);
}

/* Remove the files the tests may have made, then the directory. */
static void
remove_dir(char *dir)
{
	static const char *names[] = {
		FEATURED_FILE, IGNORE_FILE, MOTD_FILE, SERVERLIST_FILE,
		SERVERLIST_FILE ".tmp"
	};
	char	 path[PATH_MAX];
	size_t	 i;

	for (i = 0; i < nitems(names); i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		(void)unlink(path);
	}
	assert_int_equal(rmdir(dir), 0);
	free(dir);
}

/* The whole of dir/name as a string. */
static char *
slurp(const char *dir, const char *name)
{
	char	 path[PATH_MAX], *buf;
	FILE	*fp;
	size_t	 n;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "r")) == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	if ((buf = calloc(1, 4096)) == NULL)
		fail_msg("calloc");
	n = fread(buf, 1, 4095, fp);
	buf[n] = '\0';
	(void)fclose(fp);
	return (buf);
}

static void
test_featured(void **state __unused)
{
	struct datafiles	 df;
	struct featured		*f;

	assert_int_equal(featured(
	    "# featured servers\n"
	    "\n"
	    "Official\n"
	    "\t127.0.0.1:30720\n"
	    "  ::1:30721\n"
	    "   \n"
	    "# between groups\n"
	    "Community servers\n"
	    "\t[::1]:30722\n", &df), 0);
	assert_int_equal(featured_count(&df), 3);

	f = TAILQ_FIRST(&df.featured);
	assert_non_null(f);
	assert_string_equal(f->label, "Official");
	assert_int_equal(f->naddrs, 2);
	assert_addr(&f->addrs[0], AF_INET, "127.0.0.1", 30720);
	assert_addr(&f->addrs[1], AF_INET6, "::1", 30721);

	f = TAILQ_NEXT(f, entry);
	assert_non_null(f);
	assert_string_equal(f->label, "Community servers");
	assert_int_equal(f->naddrs, 1);
	assert_addr(&f->addrs[0], AF_INET6, "::1", 30722);

	assert_null(TAILQ_NEXT(f, entry));
	datafiles_free(&df);
	assert_null(TAILQ_FIRST(&df.featured));
}

/* Trailing blanks and CRLF line ends are not part of labels or ports. */
static void
test_featured_crlf(void **state __unused)
{
	struct datafiles	 df;
	struct featured		*f;

	assert_int_equal(featured("Group A  \r\n\t10.0.0.1:27960 \r\n", &df),
	    0);
	f = TAILQ_FIRST(&df.featured);
	assert_non_null(f);
	assert_string_equal(f->label, "Group A");
	assert_int_equal(f->naddrs, 1);
	assert_addr(&f->addrs[0], AF_INET, "10.0.0.1", 27960);
	datafiles_free(&df);
}

static void
test_featured_empty(void **state __unused)
{
	struct datafiles	 df;

	assert_int_equal(featured("", &df), 0);
	assert_null(TAILQ_FIRST(&df.featured));
	assert_int_equal(featured_count(&df), 0);
	datafiles_free(&df);
	assert_int_equal(featured("# nothing\n\n\t# indented comment\n",
	    &df), 0);
	assert_null(TAILQ_FIRST(&df.featured));
	datafiles_free(&df);
}

static void
test_featured_address_first(void **state __unused)
{
	struct datafiles	 df;

	assert_int_equal(featured("\t127.0.0.1:30720\nLabel\n", &df), -1);
	datafiles_free(&df);
	assert_int_equal(featured("# comment\n  127.0.0.1:30720\n", &df),
	    -1);
	datafiles_free(&df);
}

static void
test_featured_label_label(void **state __unused)
{
	struct datafiles	 df;

	assert_int_equal(featured("First\nSecond\n\t127.0.0.1:30720\n", &df),
	    -1);
	datafiles_free(&df);
	/* Blank lines and comments do not separate them either. */
	assert_int_equal(featured("A\n\t127.0.0.1:1\nB\n\n# x\nC\n"
	    "\t127.0.0.2:1\n", &df), -1);
	datafiles_free(&df);
}

static void
test_featured_bad_label(void **state __unused)
{
	struct datafiles	 df;

	assert_int_equal(featured("Back\\slash\n\t127.0.0.1:30720\n", &df),
	    -1);
	datafiles_free(&df);
	assert_int_equal(featured("Slash/ed\n\t127.0.0.1:30720\n", &df), -1);
	datafiles_free(&df);
}

static void
test_featured_long_label(void **state __unused)
{
	struct datafiles	 df;
	char			 buf[128];

	/* 31 characters fit with the NUL, 32 do not. */
	(void)snprintf(buf, sizeof(buf), "%.31s\n\t127.0.0.1:30720\n",
	    "abcdefghijklmnopqrstuvwxyz0123456789");
	assert_int_equal(featured(buf, &df), 0);
	assert_int_equal(strlen(TAILQ_FIRST(&df.featured)->label), 31);
	datafiles_free(&df);
	(void)snprintf(buf, sizeof(buf), "%.32s\n\t127.0.0.1:30720\n",
	    "abcdefghijklmnopqrstuvwxyz0123456789");
	assert_int_equal(featured(buf, &df), -1);
	datafiles_free(&df);
	(void)snprintf(buf, sizeof(buf), "%.36s\n\t127.0.0.1:30720\n",
	    "abcdefghijklmnopqrstuvwxyz0123456789");
	assert_int_equal(featured(buf, &df), -1);
	datafiles_free(&df);
}

static void
test_featured_bad_port(void **state __unused)
{
	static const char *bad[] = {
		"L\n\t127.0.0.1:0\n",
		"L\n\t127.0.0.1:65536\n",
		"L\n\t127.0.0.1:abc\n",
		"L\n\t127.0.0.1:\n",
		"L\n\t127.0.0.1\n",
		"L\n\t[::1]:-1\n"
	};
	struct datafiles	 df;
	size_t			 i;

	for (i = 0; i < nitems(bad); i++) {
		if (featured(bad[i], &df) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		datafiles_free(&df);
	}
	assert_int_equal(featured("L\n\t127.0.0.1:65535\n", &df), 0);
	assert_addr(&TAILQ_FIRST(&df.featured)->addrs[0], AF_INET,
	    "127.0.0.1", 65535);
	datafiles_free(&df);
}

static void
test_featured_duplicate(void **state __unused)
{
	struct datafiles	 df;
	struct featured		*f;

	assert_int_equal(featured(
	    "A\n"
	    "\t127.0.0.1:30720\n"
	    "\t127.0.0.1:30720\n"
	    "B\n"
	    "\t127.0.0.1:30720\n"
	    "\t127.0.0.2:30720\n"
	    "\t127.0.0.1:30721\n", &df), 0);
	assert_int_equal(featured_count(&df), 3);
	f = TAILQ_FIRST(&df.featured);
	assert_string_equal(f->label, "A");
	assert_int_equal(f->naddrs, 1);
	assert_addr(&f->addrs[0], AF_INET, "127.0.0.1", 30720);
	f = TAILQ_NEXT(f, entry);
	assert_string_equal(f->label, "B");
	assert_int_equal(f->naddrs, 2);
	assert_addr(&f->addrs[0], AF_INET, "127.0.0.2", 30720);
	assert_addr(&f->addrs[1], AF_INET, "127.0.0.1", 30721);
	datafiles_free(&df);
}

static void
test_featured_empty_last_label(void **state __unused)
{
	struct datafiles	 df;
	struct featured		*f;

	assert_int_equal(featured("A\n\t127.0.0.1:30720\nB\n", &df), 0);
	f = TAILQ_FIRST(&df.featured);
	assert_string_equal(f->label, "A");
	assert_int_equal(f->naddrs, 1);
	f = TAILQ_NEXT(f, entry);
	assert_non_null(f);
	assert_string_equal(f->label, "B");
	assert_int_equal(f->naddrs, 0);
	assert_null(TAILQ_NEXT(f, entry));
	assert_int_equal(featured_count(&df), 1);
	datafiles_free(&df);
}

static void
test_ignore(void **state __unused)
{
	struct datafiles	 df;

	assert_int_equal(ignore(
	    "# blacklist\n"
	    "10.0.0.1 192.168.0.0/16 # trailing comment 1.1.1.1\n"
	    "\n"
	    "   # indented comment\n"
	    "2001:db8::1\n"
	    "\t2001:db8:1:2::/64\r\n"
	    "10.1.2.3/8\n"
	    "172.16.5.4/12\n"
	    "192.168.255.255/20\n"
	    "2001:db8:abcd:ef01::1/36\n"
	    "1.2.3.4/0\n"
	    "1.2.3.4/32\n", &df), 0);
	assert_int_equal(df.nignore, 10);
	assert_ignore(&df.ignore[0], AF_INET, "10.0.0.1", 32);
	assert_ignore(&df.ignore[1], AF_INET, "192.168.0.0", 16);
	assert_ignore(&df.ignore[2], AF_INET6, "2001:db8::1", 128);
	assert_ignore(&df.ignore[3], AF_INET6, "2001:db8:1:2::", 64);
	assert_ignore(&df.ignore[4], AF_INET, "10.0.0.0", 8);
	assert_ignore(&df.ignore[5], AF_INET, "172.16.0.0", 12);
	assert_ignore(&df.ignore[6], AF_INET, "192.168.240.0", 20);
	assert_ignore(&df.ignore[7], AF_INET6, "2001:db8:a000::", 36);
	assert_ignore(&df.ignore[8], AF_INET, "0.0.0.0", 0);
	assert_ignore(&df.ignore[9], AF_INET, "1.2.3.4", 32);
	datafiles_free(&df);
	assert_null(df.ignore);
	assert_int_equal(df.nignore, 0);
}

static void
test_ignore_bad(void **state __unused)
{
	static const char *bad[] = {
		"10.0.0.0/33\n",
		"2001:db8::/129\n",
		"10.0.0.0/-1\n",
		"10.0.0.0/\n",
		"10.0.0.0/abc\n",
		"not-an-address\n",
		"10.0.0.1 garbage\n",
		"256.0.0.1\n",
		"example.com\n",
		"1.2.3.4:30720\n"
	};
	struct datafiles	 df;
	size_t			 i;

	for (i = 0; i < nitems(bad); i++) {
		if (ignore(bad[i], &df) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		datafiles_free(&df);
	}
}

static void
test_ignore_empty(void **state __unused)
{
	struct datafiles	 df;

	assert_int_equal(ignore("", &df), 0);
	assert_int_equal(df.nignore, 0);
	datafiles_free(&df);
	assert_int_equal(ignore("# only a comment\n\n  \n", &df), 0);
	assert_int_equal(df.nignore, 0);
	datafiles_free(&df);
}

static void
test_motd(void **state __unused)
{
	struct datafiles	 df;

	assert_int_equal(motd("Welcome to the master\n", 22, &df), 0);
	assert_string_equal(df.motd, "Welcome to the master");
	datafiles_free(&df);
	assert_int_equal(motd("Hello\r\n\r\n\n", 10, &df), 0);
	assert_string_equal(df.motd, "Hello");
	datafiles_free(&df);
	assert_int_equal(motd("No newline", 10, &df), 0);
	assert_string_equal(df.motd, "No newline");
	datafiles_free(&df);
}

static void
test_motd_empty(void **state __unused)
{
	struct datafiles	 df;

	assert_int_equal(motd("", 0, &df), 0);
	assert_string_equal(df.motd, "");
	datafiles_free(&df);
	assert_int_equal(motd("\n\n", 2, &df), 0);
	assert_string_equal(df.motd, "");
	datafiles_free(&df);
}

static void
test_motd_bad_chars(void **state __unused)
{
	static const char *bad[] = {
		"back\\slash\n",
		"a \"quote\"\n",
		"tab\there\n",
		"bell\a\n",
		"cr\rinside\n",
		"\\\n"
	};
	struct datafiles	 df;
	size_t			 i;

	for (i = 0; i < nitems(bad); i++) {
		if (motd(bad[i], strlen(bad[i]), &df) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		datafiles_free(&df);
	}
	assert_int_equal(motd("nul\0byte", 8, &df), -1);
	datafiles_free(&df);
}

static void
test_motd_two_lines(void **state __unused)
{
	struct datafiles	 df;

	assert_int_equal(motd("first\nsecond\n", 13, &df), -1);
	datafiles_free(&df);
	assert_int_equal(motd("first\n\nsecond", 13, &df), -1);
	datafiles_free(&df);
}

static void
test_motd_long(void **state __unused)
{
	struct datafiles	 df;
	char			 buf[MAX_MOTD + 8];

	memset(buf, 'm', sizeof(buf));
	/* MAX_MOTD - 1 bytes fit, with or without a newline. */
	assert_int_equal(motd(buf, MAX_MOTD - 1, &df), 0);
	assert_int_equal(strlen(df.motd), MAX_MOTD - 1);
	datafiles_free(&df);
	buf[MAX_MOTD - 1] = '\n';
	assert_int_equal(motd(buf, MAX_MOTD, &df), 0);
	assert_int_equal(strlen(df.motd), MAX_MOTD - 1);
	datafiles_free(&df);
	buf[MAX_MOTD - 1] = 'm';
	assert_int_equal(motd(buf, MAX_MOTD, &df), -1);
	datafiles_free(&df);
	assert_int_equal(motd(buf, sizeof(buf), &df), -1);
	datafiles_free(&df);
}

static void
test_serverlist_parse(void **state __unused)
{
	const char		*s =
	    "1.2.3.4:30720\n"
	    "\n"
	    "[2001:db8::1]:30720\n"
	    "garbage\n"
	    "  \n"
	    "5.6.7.8:65535\r\n"
	    "9.9.9.9:0\n"
	    "\t10.0.0.1:1  \n"
	    "[2001:db8::2]:30720";
	struct serverlist	 sl;
	FILE			*fp;

	memset(&sl, 0, sizeof(sl));
	fp = text(s, strlen(s));
	assert_int_equal(serverlist_parse(fp, "serverlist.txt", &sl), 2);
	(void)fclose(fp);
	assert_int_equal(sl.n, 5);
	assert_addr(&sl.addrs[0], AF_INET, "1.2.3.4", 30720);
	assert_addr(&sl.addrs[1], AF_INET6, "2001:db8::1", 30720);
	assert_addr(&sl.addrs[2], AF_INET, "5.6.7.8", 65535);
	assert_addr(&sl.addrs[3], AF_INET, "10.0.0.1", 1);
	assert_addr(&sl.addrs[4], AF_INET6, "2001:db8::2", 30720);
	serverlist_free(&sl);
	assert_null(sl.addrs);
	assert_int_equal(sl.n, 0);
}

/* A line longer than the buffer is skipped whole, once. */
static void
test_serverlist_long_line(void **state __unused)
{
	struct serverlist	 sl;
	FILE			*fp;
	char			*s;
	size_t			 len = 5000;

	if ((s = malloc(len + 32)) == NULL)
		fail_msg("malloc");
	memset(s, '7', len);
	(void)strlcpy(s + len, "\n1.2.3.4:30720\n", 32);
	memset(&sl, 0, sizeof(sl));
	fp = text(s, strlen(s));
	assert_int_equal(serverlist_parse(fp, "serverlist.txt", &sl), 1);
	(void)fclose(fp);
	assert_int_equal(sl.n, 1);
	assert_addr(&sl.addrs[0], AF_INET, "1.2.3.4", 30720);
	serverlist_free(&sl);
	free(s);
}

static void
test_serverlist_many(void **state __unused)
{
	struct serverlist	 sl;
	struct ipc_addr		 a;
	size_t			 i;

	memset(&sl, 0, sizeof(sl));
	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	for (i = 0; i < 1000; i++) {
		a.port = htons((uint16_t)(i + 1));
		serverlist_add(&sl, &a);
	}
	assert_int_equal(sl.n, 1000);
	assert_true(sl.cap >= 1000);
	for (i = 0; i < 1000; i++)
		assert_int_equal(ntohs(sl.addrs[i].port), i + 1);
	assert_int_equal(sl.dropped, 0);
	/* Past SERVERLIST_MAX it takes no more, and counts what it drops. */
	for (; i < SERVERLIST_MAX; i++)
		assert_int_equal(serverlist_add(&sl, &a), 0);
	assert_int_equal(serverlist_add(&sl, &a), -1);
	assert_int_equal(serverlist_add(&sl, &a), -1);
	assert_int_equal(sl.n, SERVERLIST_MAX);
	assert_int_equal(sl.dropped, 2);
	assert_true(sl.cap <= SERVERLIST_MAX);
	serverlist_free(&sl);
}

static void
test_serverlist_write_read(void **state __unused)
{
	struct serverlist	 sl, back;
	struct ipc_addr		 a;
	struct stat		 st;
	char			 path[PATH_MAX], *dir, *content;

	dir = make_dir();
	memset(&sl, 0, sizeof(sl));
	memset(&back, 0, sizeof(back));
	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	a.port = htons(30720);
	assert_int_equal(inet_pton(AF_INET, "1.2.3.4", a.addr), 1);
	serverlist_add(&sl, &a);
	memset(&a, 0, sizeof(a));
	a.family = AF_INET6;
	a.port = htons(30720);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", a.addr), 1);
	serverlist_add(&sl, &a);

	assert_int_equal(serverlist_write(dir, &sl), 0);
	content = slurp(dir, SERVERLIST_FILE);
	assert_string_equal(content, "1.2.3.4:30720\n[2001:db8::1]:30720\n");
	free(content);
	(void)snprintf(path, sizeof(path), "%s/%s.tmp", dir, SERVERLIST_FILE);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(errno, ENOENT);

	assert_int_equal(serverlist_read(dir, &back), 0);
	assert_int_equal(back.n, 2);
	assert_memory_equal(back.addrs, sl.addrs, 2 * sizeof(*sl.addrs));

	/* Written again, the old content is replaced, not appended to. */
	sl.n = 1;
	assert_int_equal(serverlist_write(dir, &sl), 0);
	content = slurp(dir, SERVERLIST_FILE);
	assert_string_equal(content, "1.2.3.4:30720\n");
	free(content);

	serverlist_free(&sl);
	serverlist_free(&back);
	remove_dir(dir);
}

static void
test_serverlist_empty(void **state __unused)
{
	struct serverlist	 sl;
	char			*dir, *content;

	dir = make_dir();
	memset(&sl, 0, sizeof(sl));
	/* No file yet: an empty list. */
	assert_int_equal(serverlist_read(dir, &sl), 0);
	assert_int_equal(sl.n, 0);
	assert_int_equal(serverlist_write(dir, &sl), 0);
	content = slurp(dir, SERVERLIST_FILE);
	assert_string_equal(content, "");
	free(content);
	assert_int_equal(serverlist_read(dir, &sl), 0);
	assert_int_equal(sl.n, 0);
	serverlist_free(&sl);
	remove_dir(dir);
}

static void
test_serverlist_write_fails(void **state __unused)
{
	struct serverlist	 sl;

	memset(&sl, 0, sizeof(sl));
	assert_int_equal(serverlist_write("/nonexistent/dir", &sl), -1);
}

static void
test_datafiles_missing(void **state __unused)
{
	struct datafiles	 df;
	char			*dir;

	dir = make_dir();
	assert_int_equal(datafiles_load(dir, &df), 0);
	assert_null(TAILQ_FIRST(&df.featured));
	assert_int_equal(df.nignore, 0);
	assert_null(df.ignore);
	assert_string_equal(df.motd, "");
	datafiles_free(&df);
	remove_dir(dir);
}

static void
test_datafiles_all(void **state __unused)
{
	struct datafiles	 df;
	struct featured		*f;
	char			*dir;

	dir = make_dir();
	put_file(dir, FEATURED_FILE, "Label\n\t127.0.0.1:30720\n");
	put_file(dir, IGNORE_FILE, "10.0.0.0/8\n");
	put_file(dir, MOTD_FILE, "Hi there\n");
	assert_int_equal(datafiles_load(dir, &df), 0);
	f = TAILQ_FIRST(&df.featured);
	assert_non_null(f);
	assert_string_equal(f->label, "Label");
	assert_int_equal(f->naddrs, 1);
	assert_int_equal(df.nignore, 1);
	assert_ignore(&df.ignore[0], AF_INET, "10.0.0.0", 8);
	assert_string_equal(df.motd, "Hi there");
	datafiles_free(&df);
	remove_dir(dir);
}

/* One bad file and nothing is kept, not even the good ones. */
static void
test_datafiles_bad_ignore(void **state __unused)
{
	struct datafiles	 df;
	char			*dir;

	dir = make_dir();
	put_file(dir, FEATURED_FILE, "Label\n\t127.0.0.1:30720\n");
	put_file(dir, IGNORE_FILE, "10.0.0.0/8\nnot an address\n");
	assert_int_equal(datafiles_load(dir, &df), -1);
	assert_null(TAILQ_FIRST(&df.featured));
	assert_null(df.ignore);
	assert_int_equal(df.nignore, 0);
	datafiles_free(&df);
	remove_dir(dir);
}

static void
test_datafiles_bad_motd(void **state __unused)
{
	struct datafiles	 df;
	char			*dir;

	dir = make_dir();
	put_file(dir, IGNORE_FILE, "10.0.0.0/8\n");
	put_file(dir, MOTD_FILE, "two\nlines\n");
	assert_int_equal(datafiles_load(dir, &df), -1);
	assert_null(df.ignore);
	assert_string_equal(df.motd, "");
	datafiles_free(&df);
	remove_dir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_featured),
		cmocka_unit_test(test_featured_crlf),
		cmocka_unit_test(test_featured_empty),
		cmocka_unit_test(test_featured_address_first),
		cmocka_unit_test(test_featured_label_label),
		cmocka_unit_test(test_featured_bad_label),
		cmocka_unit_test(test_featured_long_label),
		cmocka_unit_test(test_featured_bad_port),
		cmocka_unit_test(test_featured_duplicate),
		cmocka_unit_test(test_featured_empty_last_label),
		cmocka_unit_test(test_ignore),
		cmocka_unit_test(test_ignore_bad),
		cmocka_unit_test(test_ignore_empty),
		cmocka_unit_test(test_motd),
		cmocka_unit_test(test_motd_empty),
		cmocka_unit_test(test_motd_bad_chars),
		cmocka_unit_test(test_motd_two_lines),
		cmocka_unit_test(test_motd_long),
		cmocka_unit_test(test_serverlist_parse),
		cmocka_unit_test(test_serverlist_long_line),
		cmocka_unit_test(test_serverlist_many),
		cmocka_unit_test(test_serverlist_write_read),
		cmocka_unit_test(test_serverlist_empty),
		cmocka_unit_test(test_serverlist_write_fails),
		cmocka_unit_test(test_datafiles_missing),
		cmocka_unit_test(test_datafiles_all),
		cmocka_unit_test(test_datafiles_bad_ignore),
		cmocka_unit_test(test_datafiles_bad_motd),
	};

	log_init(0, LOGLEVEL_ALWAYS);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
