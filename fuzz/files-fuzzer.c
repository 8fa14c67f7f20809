/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * libFuzzer harness for the data file parsers of master/files.c: the input
 * is read as ignore.txt, motd.txt and serverlist.txt through fmemopen().
 * featured.txt is left out, as it resolves host names.  What the parsers
 * keep is checked (families, prefix lengths, cleared host bits, the motd
 * rules, addresses that survive a round trip through their text form) and
 * everything is freed, so that LeakSanitizer sees any leak.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"
#include "log.h"
#include "tremmasterd.h"
#include "util.h"

#define CHECK(e) do {							\
	if (!(e))							\
		abort();						\
} while (0)

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static FILE	*open_bytes(char *, size_t);
static void	 check_ignore(char *, size_t);
static void	 check_motd(char *, size_t);
static void	 check_serverlist(char *, size_t);

/* A read stream over len bytes of buf; fmemopen() refuses 0 bytes. */
static FILE *
open_bytes(char *buf, size_t len)
{
	static char	 none[1];
	FILE		*fp;

	if (len == 0) {
		if ((fp = fmemopen(none, 1, "r")) == NULL)
			abort();
		if (fgetc(fp) == EOF)
			abort();
		return (fp);
	}
	if ((fp = fmemopen(buf, len, "r")) == NULL)
		abort();
	return (fp);
}

static void
check_ignore(char *buf, size_t len)
{
	struct datafiles	 df;
	struct ipc_ignore	*ig;
	FILE			*fp;
	size_t			 i, alen;
	int			 r, bits, b;

	datafiles_init(&df);
	fp = open_bytes(buf, len);
	r = ignore_parse(fp, "ignore.txt", &df);
	(void)fclose(fp);
	CHECK(r == 0 || r == -1);
	for (i = 0; i < df.nignore; i++) {
		ig = &df.ignore[i];
		CHECK(ig->addr.family == AF_INET ||
		    ig->addr.family == AF_INET6);
		alen = ig->addr.family == AF_INET ? 4 : 16;
		CHECK(ig->prefixlen <= alen * 8);
		CHECK(ig->addr.port == 0 && ig->addr.pad == 0);
		/* Bits past the prefix are clear, past the family too. */
		for (b = ig->prefixlen; b < 128; b++) {
			bits = ig->addr.addr[b / 8] & (0x80 >> (b % 8));
			CHECK(bits == 0);
		}
	}
	datafiles_free(&df);
	CHECK(df.ignore == NULL && df.nignore == 0);
}

static void
check_motd(char *buf, size_t len)
{
	struct datafiles	 df;
	FILE			*fp;
	size_t			 i, n;
	int			 r;

	datafiles_init(&df);
	fp = open_bytes(buf, len);
	r = motd_parse(fp, "motd.txt", &df);
	(void)fclose(fp);
	CHECK(r == 0 || r == -1);
	CHECK(memchr(df.motd, '\0', sizeof(df.motd)) != NULL);
	n = strlen(df.motd);
	if (r == 0) {
		/* The text is the file less its trailing line ends. */
		CHECK(n < MAX_MOTD && n <= len);
		CHECK(memcmp(df.motd, buf, n) == 0);
		for (i = n; i < len; i++)
			CHECK(buf[i] == '\n' || buf[i] == '\r');
		for (i = 0; i < n; i++)
			CHECK(df.motd[i] != '\\' && df.motd[i] != '"' &&
			    !iscntrl((u_char)df.motd[i]));
	} else
		CHECK(n == 0);
	datafiles_free(&df);
}

static void
check_serverlist(char *buf, size_t len)
{
	struct serverlist	 sl;
	struct ipc_addr		 back, *a;
	FILE			*fp;
	size_t			 i;
	int			 r;
	char			 text[ADDRSTRLEN];

	memset(&sl, 0, sizeof(sl));
	fp = open_bytes(buf, len);
	r = serverlist_parse(fp, "serverlist.txt", &sl);
	(void)fclose(fp);
	CHECK(r >= 0);
	CHECK(sl.n <= sl.cap);
	for (i = 0; i < sl.n; i++) {
		a = &sl.addrs[i];
		CHECK(a->family == AF_INET || a->family == AF_INET6);
		CHECK(a->port != 0 && a->pad == 0);
		/* What serverlist_write() would write reads back the same. */
		(void)addr_str(a, text, sizeof(text));
		CHECK(addr_parse(text, &back) == 0);
		CHECK(memcmp(a, &back, sizeof(back)) == 0);
	}
	serverlist_free(&sl);
	CHECK(sl.addrs == NULL && sl.n == 0);
}

int
LLVMFuzzerInitialize(int *argc __unused, char ***argv __unused)
{
	/* The parsers' warnings would flood the output. */
	log_init(0, LOGLEVEL_ALWAYS);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*buf;

	/* fmemopen() wants a writable buffer; the input is read-only. */
	if ((buf = malloc(size == 0 ? 1 : size)) == NULL)
		abort();
	memcpy(buf, data, size);
	check_ignore(buf, size);
	check_motd(buf, size);
	check_serverlist(buf, size);
	free(buf);
	return (0);
}
