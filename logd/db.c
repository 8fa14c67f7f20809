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

