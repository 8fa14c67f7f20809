/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The channel of a plugin of this binary (puppet/, api/) to netd: its
 * standard input and output, a line protocol (man/tremmasterd-plugins.7).
 * Lines go out through pchan_send(); each whole line read goes to the
 * plugin's line callback, and a line longer than the plugin allows ends
 * the process, as netd would end a plugin for it.
 */

#include "compat.h"

#include <sys/types.h>

#include <event.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "pchan.h"

static struct bufferevent	*chan;
static size_t			 line_max;
static void			(*line_cb)(char *);

static void
pchan_read(struct bufferevent *bev, void *arg __unused)
{
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		*line;
	size_t		 len;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		if (len >= line_max)
			fatalx("a line of %zu bytes from netd", len);
		line_cb(line);
		free(line);
	}
	if (evbuffer_get_length(in) >= line_max)
		fatalx("a line longer than %zu bytes from netd", line_max);
}

/*
 * Standard input and output as the channel: lines of at most max bytes
 * to line, end of file or an error to event.
 */
struct bufferevent *
pchan_open(struct event_base *base, size_t max, void (*line)(char *),
    void (*event)(struct bufferevent *, short, void *))
{
	line_max = max;
	line_cb = line;
	if ((chan = bufferevent_socket_new(base, STDIN_FILENO, 0)) == NULL)
		fatalx("bufferevent_socket_new");
	bufferevent_setcb(chan, pchan_read, NULL, event, NULL);
	bufferevent_setwatermark(chan, EV_READ, 0, max * 4);
	if (bufferevent_enable(chan, EV_READ | EV_WRITE) == -1)
		fatalx("bufferevent_enable");
	return (chan);
}

void
pchan_vsend(const char *fmt, va_list ap)
{
	if (evbuffer_add_vprintf(bufferevent_get_output(chan), fmt, ap) == -1)
		fatalx("out of memory");
}

void
pchan_send(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	pchan_vsend(fmt, ap);
	va_end(ap);
}

/* Bytes written and not yet taken by netd. */
size_t
pchan_queued(void)
{
	return (chan != NULL ? evbuffer_get_length(bufferevent_get_output(
	    chan)) : 0);
}
