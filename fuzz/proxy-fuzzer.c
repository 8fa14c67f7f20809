/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * libFuzzer harness for netd/proxy.c.  The first byte chooses the reader:
 * even, the input is the start of a connection from a trusted proxy, for
 * proxy_parse(), as ws_proxy_read() hands it over; odd, the value of a
 * forwarding header, X-Forwarded-For or Forwarded, for proxy_forwarded().
 * What ws.c relies on is checked, and a broken promise aborts:
 *
 * - a header's length is within the bytes given and PROXY_MAX, and the
 *   same header with any byte after it gives the same answer;
 * - every shorter prefix of a header, or of bytes that need more, needs
 *   more too (so reading in pieces finds what reading at once finds);
 * - at PROXY_MAX bytes nothing needs more;
 * - PROXY_NONE comes only for bytes that start neither form (and an
 *   empty input is more to come);
 * - an address found is IPv4 or IPv6, never IPv4-mapped;
 * - proxy_forwarded() leaves its output untouched unless it returns 1,
 *   returns 0 only for an empty value, and names an address that is not
 *   trusted unless every entry is.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

#define CHECK(e) do {							\
	if (!(e))							\
		abort();						\
} while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	check_addr(const struct ipc_addr *);
static void	check_parse(const u_char *, size_t);
static void	check_forwarded(const char *, size_t, int);
static int	trusted(const struct ipc_addr *);

static const u_char v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};
static const u_char mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* Trusted: 10.0.0.0/8 and fc00::/7. */
static int
trusted(const struct ipc_addr *a)
{
	if (a->family == AF_INET)
		return (a->addr[0] == 10);
	return ((a->addr[0] & 0xfe) == 0xfc);
}

static void
check_addr(const struct ipc_addr *a)
{
	CHECK(a->family == AF_INET || a->family == AF_INET6);
	if (a->family == AF_INET6)
		CHECK(memcmp(a->addr, mapped, sizeof(mapped)) != 0);
}

static void
check_parse(const u_char *buf, size_t len)
{
	enum proxy_result	 r, r2;
	struct ipc_addr		 a, a2;
	u_char			*copy;
	size_t			 hdrlen, hdrlen2, i, upto;

	if (len > PROXY_MAX + 64)
		len = PROXY_MAX + 64;
	memset(&a, 0, sizeof(a));
	r = proxy_parse(buf, len, &hdrlen, &a);
	CHECK(r >= PROXY_MORE && r <= PROXY_ADDR);
	if (r == PROXY_MORE)
		CHECK(len < PROXY_MAX);
	if (r == PROXY_NONE)
		CHECK(len > 0 && memcmp(buf, "PROXY ", len < 6 ? len : 6) != 0 &&
		    memcmp(buf, v2_sig, len < 12 ? len : 12) != 0);
	if (r == PROXY_LOCAL || r == PROXY_ADDR) {
		CHECK(hdrlen > 0 && hdrlen <= len && hdrlen <= PROXY_MAX);
		/* The header alone, in its own buffer: the same answer. */
		if ((copy = malloc(hdrlen)) == NULL)
			abort();
		memcpy(copy, buf, hdrlen);
		memset(&a2, 0, sizeof(a2));
		r2 = proxy_parse(copy, hdrlen, &hdrlen2, &a2);
		CHECK(r2 == r && hdrlen2 == hdrlen);
		if (r == PROXY_ADDR) {
			check_addr(&a);
			CHECK(memcmp(&a, &a2, sizeof(a)) == 0);
		}
		free(copy);
	}
	/* Shorter prefixes need more; not every one, to stay fast. */
	upto = r == PROXY_MORE ? len : r == PROXY_LOCAL || r == PROXY_ADDR ?
	    hdrlen : 0;
	for (i = 1; i < upto; i += 1 + i / 8) {
		if ((copy = malloc(i)) == NULL)
			abort();
		memcpy(copy, buf, i);
		CHECK(proxy_parse(copy, i, &hdrlen2, &a2) == PROXY_MORE);
		free(copy);
	}
}

static void
check_forwarded(const char *v, size_t len, int kind)
{
	struct ipc_addr	 a, before;
	int		 r;

	memset(&a, 0x5a, sizeof(a));
	before = a;
	r = proxy_forwarded(v, len, kind, trusted, &a);
	CHECK(r >= -1 && r <= 1);
	CHECK((r == 0) == (len == 0));
	if (r != 1) {
		CHECK(memcmp(&a, &before, sizeof(a)) == 0);
		return;
	}
	check_addr(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*v;

	if (size == 0)
		return (0);
	if ((data[0] & 1) == 0) {
		check_parse(data + 1, size - 1);
		return (0);
	}
	/* A header value as ws_http.c keeps it: no NUL, < 512 bytes. */
	if (size - 1 >= PROXY_FWD_MAX + 16 || memchr(data + 1, '\0',
	    size - 1) != NULL)
		return (0);
	if ((v = malloc(size)) == NULL)
		abort();
	memcpy(v, data + 1, size - 1);
	v[size - 1] = '\0';
	check_forwarded(v, size - 1, data[0] & 2 ? REALIP_FORWARDED :
	    REALIP_XFF);
	free(v);
	return (0);
}
