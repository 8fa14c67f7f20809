/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Logging at the five levels of the contract: ALWAYS, ERROR, PRINT,
 * VERBOSE and DEBUG.
 */

#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <stddef.h>

#include "compat.h"

#define LOGLEVEL_ALWAYS		0
#define LOGLEVEL_ERROR		1
#define LOGLEVEL_PRINT		2
#define LOGLEVEL_VERBOSE	3
#define LOGLEVEL_DEBUG		4
#define LOGLEVEL_DEFAULT	LOGLEVEL_PRINT

/* Bytes of network input shown in a log line. */
#define LOG_PREVIEW		100

void	log_init(int, int);
void	log_init_plugin(int);
void	log_procinit(const char *);
void	log_setverbose(int);
int	log_getverbose(void);
int	log_level_enabled(int);
void	log_sethook(int, void (*)(int, const char *));
void	log_hook_suspend(int);
void	log_at(int, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3)));
void	log_always(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_warn(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_warnx(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_info(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	logit_verbose(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	logit_debug(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	fatal(const char *, ...) __dead
	    __attribute__((__format__ (printf, 1, 2)));
void	fatalx(const char *, ...) __dead
	    __attribute__((__format__ (printf, 1, 2)));
/*
 * The two levels used on the packet path are macros: below the active
 * level their arguments (addresses to format, bytes to escape) are not
 * even evaluated.
 */
#define log_verbose(...) do {						\
	if (log_level_enabled(LOGLEVEL_VERBOSE))			\
		logit_verbose(__VA_ARGS__);				\
} while (0)
#define log_debug(...) do {						\
	if (log_level_enabled(LOGLEVEL_DEBUG))				\
		logit_debug(__VA_ARGS__);				\
} while (0)

const char *log_vis(const void *, size_t, char *, size_t);

/* Size of a buffer that log_vis() never truncates below LOG_PREVIEW. */
#define LOG_VISBUF		(LOG_PREVIEW * 4 + 8)

#endif /* LOG_H */
