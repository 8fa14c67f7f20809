/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The REST API's connections, in a table indexed by descriptor, for
 * three bounds that libevent 2.1's evhttp does not keep itself:
 *  - at most CONNS_PER_ADDR connections from one client address (its
 *    /64 for IPv6), so that one client cannot hold every descriptor;
 *  - REQUEST_DEADLINE from accept(2), or from the end of the last
 *    answer, until the next request has come whole: evhttp's timeout
 *    is one of inactivity, which a byte every few seconds resets
 *    forever (slowloris); and an answer must go out at DRAIN_RATE at
 *    least, after REQUEST_DEADLINE of grace (a reader of a segment now
 *    and then);
 *  - at most QUEUED_MAX bytes of answers waiting to be sent in all, and
 *    QUEUED_PER_GROUP for one client address.  An answer that all
 *    clients share (the whole list, the status page) is one buffer that
 *    each connection references, and costs nothing more per connection;
 *    once a newer one replaces it, the old one is counted once, until
 *    the last connection has sent it.  Every other answer is counted
 *    until it is sent; past either bound, an answer of more than
 *    SMALL_ANSWER bytes is refused 503, so that clients that ask and
 *    never read hold no more than QUEUED_MAX of memory and one client
 *    no more than its share.  Small answers (errors, the confirmations
 *    of changes already made) always go.  Shared answers are rebuilt
 *    while the total is under twice QUEUED_MAX.
 *
 * evhttp tells no one of a new connection (evhttp_set_newreqcb() is
 * libevent 2.2's), so the bufferevent that evhttp asks us for is kept
 * with a reference until the accept callback is over, when it has its
 * descriptor and its connection (the callback argument evhttp gives the
 * bufferevent).  A connection that sends its request at once is seen by
 * http_request() first, and registered there.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <event.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "log.h"
#include "util.h"

#define CONNS_MAX	API_FD_MAX
#define SMALL_ANSWER	4096		/* bytes never refused */
#define DRAIN_RATE	16		/* bytes a ms an answer must go at */

/* A shared answer replaced while connections still send it. */
struct retired {
	size_t		 len;
	int		 refs;		/* 0: the slot is free */
};

struct conn {
	struct evhttp_connection *evcon;	/* NULL: the slot is free */
	struct bufferevent	*bev;
	struct ipc_addr		 group;
	int64_t			 since;		/* ms: accepted, answered */
	uint32_t		 gen;
	int			 busy;		/* requests being answered */
	int			 killed;
	int			 refused;	/* one too many: not counted */
	size_t			 queued;	/* bytes of the last answer */
	int			 counted;	/* ... in queued_total */
	const void		*shared;	/* ... or this shared buffer */
	struct retired		*ret;		/* ... or this replaced one */
};

static struct conn	 conns[CONNS_MAX];
static struct retired	 retired[CONNS_MAX];
static uint32_t		 conns_gen;
static size_t		 queued_total;
static struct bufferevent *pending[CONNS_MAX];
static int		 npending;
static struct event	 ev_pending, ev_sweep;
static struct api_http_stats *stats;

static void	 pending_cb(int, short, void *);
static void	 sweep_cb(int, short, void *);
static void	 closed_cb(struct evhttp_connection *, void *);
static struct conn *conn_register(struct evhttp_connection *,
		    struct bufferevent *, int);
static void	 conn_release(struct conn *);
static void	 conn_sent(struct conn *);
static void	 conn_kill(struct conn *, int);

void
conns_init(struct api_http_stats *st)
{
	struct timeval	 tv = { 1, 0 };

	stats = st;
	evtimer_set(&ev_pending, pending_cb, NULL);
	event_set(&ev_sweep, -1, EV_PERSIST, sweep_cb, NULL);
	evtimer_add(&ev_sweep, &tv);
}

void
conns_stop(void)
{
	evtimer_del(&ev_sweep);
}

/* evhttp made bev for a connection it is accepting. */
void
conns_accepted(struct bufferevent *bev)
{
	struct timeval	 tv = { 0, 0 };

	if (npending == CONNS_MAX)
		return;
	bufferevent_incref(bev);
	pending[npending++] = bev;
	if (!evtimer_pending(&ev_pending, NULL))
		evtimer_add(&ev_pending, &tv);
}

static void
pending_cb(int fd __unused, short ev __unused, void *arg __unused)
{
	struct bufferevent	*bev;
	void			*cbarg;
	int			 i, s;

	for (i = 0; i < npending; i++) {
		bev = pending[i];
		/* Freed by evhttp meanwhile: no callback argument left. */
		bufferevent_getcb(bev, NULL, NULL, NULL, &cbarg);
		s = bufferevent_getfd(bev);
		/* One too many from its address: evhttp frees it at EOF. */
		if (cbarg != NULL && s >= 0 && s < CONNS_MAX &&
		    conns[s].evcon != cbarg &&
		    conn_register(cbarg, bev, s)->refused)
			(void)shutdown(s, SHUT_RDWR);
		(void)bufferevent_decref(bev);
	}
	npending = 0;
}

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/*
 * A new connection on descriptor s, counted against its address, or
 * marked refused when it is one too many from there.
 */
static struct conn *
conn_register(struct evhttp_connection *evcon, struct bufferevent *bev,
    int s)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	struct ipc_addr		 a, g;
	struct conn		*c = &conns[s];
	int			 i, n = 0;

	if (c->evcon != NULL)		/* closed without a word: reused */
		conn_release(c);
	if (getpeername(s, (struct sockaddr *)&ss, &len) == -1 ||
	    addr_from_sa(&a, (struct sockaddr *)&ss) == -1)
		memset(&a, 0, sizeof(a));
	api_group(&a, &g);
	for (i = 0; i < CONNS_MAX; i++)
		if (conns[i].evcon != NULL && !conns[i].refused &&
		    memcmp(&conns[i].group, &g, sizeof(g)) == 0)
			n++;
	memset(c, 0, sizeof(*c));
	if (n >= CONNS_PER_ADDR) {
		stats->conns_refused++;
		c->refused = 1;
	}
	c->evcon = evcon;
	c->bev = bev;
	c->group = g;
	c->since = now_ms();
	c->gen = ++conns_gen;
	evhttp_connection_set_closecb(evcon, closed_cb, c);
	return (c);
}

static void
conn_release(struct conn *c)
{
	conn_sent(c);
	memset(c, 0, sizeof(*c));
}

static void
closed_cb(struct evhttp_connection *evcon, void *arg)
{
	struct conn	*c = arg;

	if (c->evcon == evcon)
		conn_release(c);
}

static struct conn *
conn_of(const struct conn_ref *r)
{
	if (r->fd < 0 || r->fd >= CONNS_MAX || conns[r->fd].evcon == NULL ||
	    conns[r->fd].gen != r->gen)
		return (NULL);
	return (&conns[r->fd]);
}

/* The last answer of c has gone out: it no longer counts. */
static void
conn_sent(struct conn *c)
{
	if (c->counted)
		queued_total -= c->queued;
	if (c->ret != NULL && --c->ret->refs == 0)
		queued_total -= c->ret->len;
	c->queued = 0;
	c->counted = 0;
	c->shared = NULL;
	c->ret = NULL;
}

/*
 * A request has come whole on req's connection.  Returns -1 when the
 * connection is one too many from its address: it is to be answered 503
 * and closed.
 */
int
conns_request(struct evhttp_request *req, struct conn_ref *r)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent	*bev;
	struct conn		*c;
	int			 s;

	r->fd = -1;
	if (evcon == NULL || (bev = evhttp_connection_get_bufferevent(
	    evcon)) == NULL || (s = bufferevent_getfd(bev)) < 0 ||
	    s >= CONNS_MAX)
		return (0);
	c = &conns[s];
	if (c->evcon != evcon)
		c = conn_register(evcon, bev, s);
	if (c->refused)
		return (-1);
	/* evhttp reads a request once the last answer is written. */
	conn_sent(c);
	c->busy++;
	r->fd = s;
	r->gen = c->gen;
	return (0);
}

/*
 * May an answer of len bytes of its own (not shared) be queued for r?
 * Not a large one when the answers queued would pass QUEUED_MAX, or
 * when those of r's client address are at their share already.
 */
int
conns_may_queue(const struct conn_ref *r, size_t len)
{
	struct conn	*c = conn_of(r);
	size_t		 mine = 0;
	int		 i;

	if (c == NULL || len <= SMALL_ANSWER)
		return (1);
	if (queued_total + len <= QUEUED_MAX) {
		for (i = 0; i < CONNS_MAX; i++)
			if (conns[i].counted && memcmp(&conns[i].group,
			    &c->group, sizeof(c->group)) == 0)
				mine += conns[i].queued;
		if (mine < QUEUED_PER_GROUP)
			return (1);
	}
	stats->queue_full++;
	return (0);
}

/*
 * The answer to r, of len bytes, is being sent; shared is the buffer it
 * references when all clients share it, NULL when it is its own.
 */
void
conns_answered(const struct conn_ref *r, size_t len, const void *shared)
{
	struct conn	*c = conn_of(r);

	if (c == NULL)
		return;
	c->busy--;
	c->since = now_ms();
	conn_sent(c);
	c->queued = len;
	if (shared == NULL) {
		c->counted = 1;
		queued_total += len;
	} else
		c->shared = shared;
}

/* Is there room for more answers?  Else shared ones are not rebuilt. */
int
conns_room(void)
{
	return (queued_total < 2 * (size_t)QUEUED_MAX);
}

/*
 * A shared buffer of len bytes is replaced by a newer one: while
 * connections still send the old one, it is counted, once.
 */
void
conns_shared_replaced(const void *old, size_t len)
{
	struct retired	*ret = NULL;
	struct conn	*c;
	int		 i, k;

	for (i = 0; i < CONNS_MAX; i++) {
		c = &conns[i];
		if (c->evcon == NULL || c->shared != old)
			continue;
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
			conn_sent(c);
			continue;
		}
		if (ret == NULL) {
			for (k = 0; k < CONNS_MAX && retired[k].refs > 0; k++)
				;
			if (k == CONNS_MAX)	/* cannot be: one a slot */
				return;
			ret = &retired[k];
			ret->len = len;
			queued_total += len;
		}
		c->shared = NULL;
		c->ret = ret;
		ret->refs++;
	}
}

static void
conn_kill(struct conn *c, int s)
{
	c->killed = 1;
	stats->deadline++;
	(void)shutdown(s, SHUT_RDWR);
}

/*
 * Once a second: answers that have gone out stop counting; a connection
 * that has had no whole request for REQUEST_DEADLINE since it came or
 * its last answer went out, or whose answer goes out too slowly, is shut
 * down.
 */
static void
sweep_cb(int fd __unused, short ev __unused, void *arg __unused)
{
	struct conn	*c;
	int64_t		 now = now_ms();
	int		 i;

	for (i = 0; i < CONNS_MAX; i++) {
		c = &conns[i];
		if (c->evcon == NULL || c->busy || c->killed)
			continue;
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) > 0) {
			/* Sent too slowly: REQUEST_DEADLINE, then DRAIN_RATE. */
			if (now - c->since >= REQUEST_DEADLINE +
			    (int64_t)(c->queued / DRAIN_RATE))
				conn_kill(c, i);
			continue;
		}
		if (c->queued > 0) {	/* gone out since the last pass */
			conn_sent(c);
			c->since = now;
		}
		if (now - c->since >= REQUEST_DEADLINE)
			conn_kill(c, i);
	}
}
