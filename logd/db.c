/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * What the backends share: the "none" backend and the check that text is
 * fit to be stored.
 */

#include "compat.h"

#include <sys/types.h>

#include <stddef.h>

#include "db.h"

static int	none_open(int64_t);
static int	none_begin(void);
static int	none_room(int);
static int	none_client(const char *, const char *, const char *);
static int	none_game(const char *, int64_t, const u_char *, size_t);
static void	none_close(void);

const struct db_ops db_none = {
	"none", none_open, none_begin, none_room, none_client, none_game,
	none_begin, none_close
};

/* Nothing is stored: no record is counted as committed. */

static int
none_open(int64_t limit __unused)
{
	return (0);
}

static int
none_room(int kind __unused)
{
	return (DB_ROOM_PLENTY);
}

static int
none_begin(void)
{
	return (0);
}

static int
none_client(const char *addr __unused, const char *version __unused,
    const char *renderer __unused)
{
	return (1);
}

static int
none_game(const char *addr __unused, int64_t when __unused,
    const u_char *data __unused, size_t len __unused)
{
	return (1);
}

static void
none_close(void)
{
}

/*
 * Text is stored only when it is valid UTF-8 without NUL bytes, as the
 * Python master decoded it: no overlong forms, no surrogates, nothing past
 * U+10FFFF.
 */
int
db_text_ok(const u_char *s, size_t len)
{
	size_t		 i = 0, n, k;
	uint32_t	 cp, min;

	while (i < len) {
		if (s[i] == 0)
			return (0);
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = s[i] & 0x1f;
			min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = s[i] & 0x0f;
			min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = s[i] & 0x07;
			min = 0x10000;
		} else
			return (0);
		if (len - i <= n)
			return (0);
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return (0);
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return (0);
		i += n + 1;
	}
	return (1);
}
