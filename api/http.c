/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The HTTP side of the REST API plugin, on libevent's evhttp: the routes
 * of the Python master's SleepyTeePee API with its bodies, status codes
 * and error shape ({"error": ..., "message": ...}), and ours beside them
 * (the public server list, the metrics, the status page).
 *
 * Reads are answered from the copy of the table (api/api.c); a heartbeat,
 * the metrics and every write become requests to netd, and the writes are
 * admin requests that the parent checks and applies to the data files:
 * this process never opens a file.
 *
 * Bounds: headers of 8 KiB, bodies of 16 KiB (evhttp closes past 64 KiB),
 * 10 seconds of inactivity (evhttp's), as many connections as API_FD_MAX
 * descriptors allow (accept(2) pauses a second when they run out),
 * --api-rate-limit requests a minute per client address, 10 heartbeats a
 * minute per client, 5 wrong keys a minute; connections per address, the
 * deadline of a request and the bytes of answers queued are api/conns.c's.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <event.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "log.h"
#include "netd.h"
#include "options.h"
#include "proto.h"
#include "util.h"

#define HEADERS_MAX	8192
#define BODY_MAX	16384		/* what a request may carry */
#define BODY_EVHTTP_MAX	65536		/* past it evhttp closes */
#define HTTP_TIMEOUT	10		/* seconds */
#define LIST_MAX_AGE	30		/* seconds a cached list is served */
#define PAGE_MAX_AGE	5		/* ... and the status page */
#define LIST_MAX_AGE_HDR "public, max-age=5"
#define RL_SETS		4096		/* x RL_WAYS client addresses */
#define HEARTBEATS_A_MINUTE 10
#define BAD_KEYS_A_MINUTE 5
#define SERVERS_PUT_MAX	256		/* addresses of a featured group */
#define LOG_LIMIT_MAX	1000
#define WRITE_AT_ONCE	(1024 * 1024)	/* bytes a write(2) may take */

/* Routes: a path, the methods it takes, which of them need a key. */
#define M_GET		EVHTTP_REQ_GET
#define M_HEAD		EVHTTP_REQ_HEAD
#define M_POST		EVHTTP_REQ_POST
#define M_PUT		EVHTTP_REQ_PUT
#define M_DELETE	EVHTTP_REQ_DELETE
#define M_OPTIONS	EVHTTP_REQ_OPTIONS

struct hctx;
typedef void	(*handler_fn)(struct hctx *);

struct route {
	const char	*path;
	int		 prefix;	/* path is a prefix: /api/blacklist/ */
	int		 methods;
	int		 auth;		/* methods that need a key */
	int		 body;		/* methods that take a JSON body */
	handler_fn	 fn;
};

/* One request, and what its answer needs. */
struct hctx {
	struct evhttp_request	*req;
	const struct route	*route;
	int			 method;
	const char		*path;
	struct evkeyvalq	 query;
	int			 has_query;
	struct ipc_addr		 peer;
	char			 peer_str[ADDRSTRLEN];
	struct conn_ref		 conn;
	const void		*shared;	/* the answer's shared buffer */
	int			 forced;	/* sent past QUEUED_MAX */
	json_t			*body;
	/* For the answer of netd, when one is awaited. */
	int			 stage;
	char			 entry[PLUGIN_ARG_MAX];
	json_t			*keep;
	char			*counters;	/* /metrics: the first answer */
};

static void	 h_root(struct hctx *);
static void	 h_servers(struct hctx *);
static void	 h_rss(struct hctx *);
static void	 h_info(struct hctx *);
static void	 h_motd(struct hctx *);
static void	 h_heartbeat(struct hctx *);
static void	 h_metrics(struct hctx *);
static void	 h_stats(struct hctx *);
static void	 h_blacklist(struct hctx *);
static void	 h_blacklist_id(struct hctx *);
static void	 h_featured(struct hctx *);
static void	 h_logs(struct hctx *);
static void	 h_shutdown(struct hctx *);
static void	 h_reload(struct hctx *);
static void	 h_plugins(struct hctx *);
static void	 h_apitest(struct hctx *);

static const struct route routes[] = {
	{ "/", 0, M_GET | M_HEAD, 0, 0, h_root },
	{ "/api/servers", 0, M_GET | M_HEAD, 0, 0, h_servers },
	{ "/api/servers/rss", 0, M_GET | M_HEAD, 0, 0, h_rss },
	{ "/api/info", 0, M_GET | M_HEAD, 0, 0, h_info },
	{ "/api/motd", 0, M_GET | M_HEAD | M_PUT, M_PUT, M_PUT, h_motd },
	{ "/heartbeat", 0, M_POST, 0, M_POST, h_heartbeat },
	{ "/metrics", 0, M_GET | M_HEAD, 0, 0, h_metrics },
	{ "/api/stats", 0, M_GET | M_HEAD, M_GET | M_HEAD, 0, h_stats },
	{ "/api/blacklist", 0, M_GET | M_HEAD | M_POST,
	    M_GET | M_HEAD | M_POST, M_POST, h_blacklist },
	{ "/api/blacklist/", 1, M_DELETE, M_DELETE, 0, h_blacklist_id },
	{ "/api/featured", 0, M_GET | M_HEAD | M_PUT,
	    M_GET | M_HEAD | M_PUT, M_PUT, h_featured },
	{ "/api/logs", 0, M_GET | M_HEAD, M_GET | M_HEAD, 0, h_logs },
	{ "/api/admin/shutdown", 0, M_POST, M_POST, 0, h_shutdown },
	{ "/api/admin/reload-config", 0, M_POST, M_POST, 0, h_reload },
	{ "/api/plugins", 0, M_GET | M_HEAD, M_GET | M_HEAD, 0, h_plugins },
	{ "/apitest", 0, M_GET | M_HEAD, 0, 0, h_apitest },
	{ "/apitest.js", 0, M_GET | M_HEAD, 0, 0, h_apitest },
};

static struct evhttp	*http;
static struct api_keys	*keys;
static struct ratelimit	 rl_requests, rl_heartbeats, rl_badkeys;
static int		 rate_limit;
/*
 * Answers that every client gets alike, built once and referenced by
 * each connection that sends them: the whole list and the status page.
 */
struct shared {
	struct evbuffer	*buf;
	uint64_t	 gen;		/* api.list_generation it was built at */
	time_t		 built;
	int		 max_age;	/* seconds, when only times move */
	int		(*render)(struct evbuffer *, time_t);
};
static int	 render_list(struct evbuffer *, time_t);
static int	 render_page(struct evbuffer *, time_t);
static struct shared shared_list = { NULL, 0, 0, LIST_MAX_AGE, render_list };
static struct shared shared_page = { NULL, 0, 0, PAGE_MAX_AGE, render_page };
static uint32_t		 boot_id;	/* in ETags, new at each start */
static struct event	 ev_accept;
static struct evconnlistener *listeners[API_LISTEN_MAX];
static int		 nlisteners;

/* Counted since start, for /metrics. */
static struct api_http_stats stats;

static void	 http_request(struct evhttp_request *, void *);
static struct bufferevent *new_bev(struct event_base *, void *);
static void	 accept_error(struct evconnlistener *, void *);
static void	 accept_resume(int, short, void *);
static void	 reply(struct hctx *, int, const char *, struct evbuffer *);
static void	 reply_json(struct hctx *, int, json_t *);
static void	 reply_error(struct hctx *, int, const char *, const char *,
		    ...) __attribute__((__format__ (printf, 4, 5)));
static void	 reply_ok(struct hctx *, int, const char *);
static void	 hctx_free(struct hctx *);
static void	 cors_headers(struct evkeyvalq *);
static int	 authorized(struct hctx *);
static int	 read_body(struct hctx *);
static int	 body_fields(struct hctx *, const char *const *);
static const char *query(struct hctx *, const char *);
static int	 etag_fresh(struct hctx *, const char *);
static int64_t	 now_ms(void);
static int	 netd_ask(struct hctx *, api_answer_cb, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));
static void	 admin_answered(void *, int, char **, int);

void
http_init(struct event_base *eb, const int *fds, int nfds,
    struct api_keys *k, int rate)
{
	struct evhttp_bound_socket	*bs;
	int				 i;

	keys = k;
	rate_limit = rate;
	boot_id = arc4random();
	if ((http = evhttp_new(eb)) == NULL)
		fatalx("evhttp_new");
	evhttp_set_max_headers_size(http, HEADERS_MAX);
	evhttp_set_max_body_size(http, BODY_EVHTTP_MAX);
	evhttp_set_timeout(http, HTTP_TIMEOUT);
	evhttp_set_allowed_methods(http, M_GET | M_HEAD | M_POST | M_PUT |
	    M_DELETE | M_OPTIONS);
	evhttp_set_default_content_type(http, "application/json");
	evhttp_set_gencb(http, http_request, NULL);
	evhttp_set_bevcb(http, new_bev, NULL);
	/*
	 * Per minute: the buckets count in minutes where netd's count in
	 * seconds, so the clock given is milliseconds over 60 (now_ms()).
	 */
	rl_init(&rl_requests, RL_SETS, rate > 0 ? (uint32_t)rate : 0,
	    (uint32_t)rate);
	rl_requests.fail_open = 1;
	rl_init(&rl_heartbeats, RL_SETS, HEARTBEATS_A_MINUTE,
	    HEARTBEATS_A_MINUTE);
	rl_init(&rl_badkeys, RL_SETS, BAD_KEYS_A_MINUTE, BAD_KEYS_A_MINUTE);
	/*
	 * Full of other clients' wrong keys, the table lets a new client try
	 * (at --api-rate-limit): closed, it would let anyone with enough
	 * addresses lock the operators out.  Keys of 16 random bytes or
	 * more are out of a brute force's reach either way.
	 */
	rl_badkeys.fail_open = 1;
	for (i = 0; i < nfds; i++) {
		if ((bs = evhttp_accept_socket_with_handle(http, fds[i])) ==
		    NULL)
			fatalx("evhttp_accept_socket");
		listeners[nlisteners] = evhttp_bound_socket_get_listener(bs);
		evconnlistener_set_error_cb(listeners[nlisteners],
		    accept_error);
		nlisteners++;
	}
	evtimer_set(&ev_accept, accept_resume, NULL);
	conns_init(&stats);
}

/*
 * A connection's buffers: a list of 1,000 servers is 300 KB, and the
 * 16 KiB libevent writes at once by default would take a wakeup and a
 * system call each; the socket buffer decides instead.
 */
static struct bufferevent *
new_bev(struct event_base *eb, void *arg __unused)
{
	struct bufferevent	*bev;

	if ((bev = bufferevent_socket_new(eb, -1, BEV_OPT_CLOSE_ON_FREE)) ==
	    NULL)
		return (NULL);
	(void)bufferevent_set_max_single_write(bev, WRITE_AT_ONCE);
	conns_accepted(bev);
	return (bev);
}

/*
 * accept(2) failed, for want of descriptors most likely: every listener
 * pauses a second, rather than spin on the error.
 */
static void
accept_error(struct evconnlistener *l __unused, void *arg __unused)
{
	struct timeval	 tv = { 1, 0 };
	int		 i, e = errno;

	if (evtimer_pending(&ev_accept, NULL))
		return;
	log_warnx("accept: %s: not accepting for a second", strerror(e));
	for (i = 0; i < nlisteners; i++)
		(void)evconnlistener_disable(listeners[i]);
	evtimer_add(&ev_accept, &tv);
}

/* The daemon stops: no new connection. */
void
http_stop(void)
{
	int	 i;

	evtimer_del(&ev_accept);
	conns_stop();
	for (i = 0; i < nlisteners; i++)
		(void)evconnlistener_disable(listeners[i]);
	nlisteners = 0;
}

static void
accept_resume(int fd __unused, short ev __unused, void *arg __unused)
{
	int	 i;

	for (i = 0; i < nlisteners; i++)
		(void)evconnlistener_enable(listeners[i]);
}

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* An IPv6 client is its /64 (--ipv6-prefix) for the limits. */
void
api_group(const struct ipc_addr *a, struct ipc_addr *g)
{
	int	 bits = api.opts->ipv6_prefix, i;

	memset(g, 0, sizeof(*g));
	g->family = a->family;
	if (a->family != AF_INET6) {
		memcpy(g->addr, a->addr, 4);
		return;
	}
	for (i = 0; i < 16 && bits > 0; i++, bits -= 8)
		g->addr[i] = bits >= 8 ? a->addr[i] :
		    a->addr[i] & (uint8_t)(0xff << (8 - bits));
}

static const char *
method_name(int m)
{
	switch (m) {
	case M_GET:
		return ("GET");
	case M_HEAD:
		return ("HEAD");
	case M_POST:
		return ("POST");
	case M_PUT:
		return ("PUT");
	case M_DELETE:
		return ("DELETE");
	case M_OPTIONS:
		return ("OPTIONS");
	}
	return ("?");
}

static void
allow_header(struct hctx *c, int methods)
{
	char	 buf[64] = "";
	int	 m;

	for (m = M_GET; m <= M_OPTIONS; m <<= 1) {
		if (!(methods & m) && m != M_OPTIONS)
			continue;
		if (buf[0] != '\0')
			(void)strlcat(buf, ", ", sizeof(buf));
		(void)strlcat(buf, method_name(m), sizeof(buf));
	}
	evhttp_add_header(evhttp_request_get_output_headers(c->req), "Allow",
	    buf);
}

static void
http_request(struct evhttp_request *req, void *arg __unused)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	const struct sockaddr	*sa;
	struct ipc_addr		 g;
	const struct route	*r = NULL;
	struct hctx		*c;
	const char		*q;
	char			 retry[16];
	size_t			 i, len;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Connection", "close");
		evhttp_send_reply(req, 503, NULL, NULL);
		return;
	}
	c->req = req;
	c->method = evhttp_request_get_command(req);
	TAILQ_INIT(&c->query);
	stats.requests++;
	if (conns_request(req, &c->conn) == -1) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Connection", "close");
		reply_error(c, 503, "Service Unavailable", "At most %d "
		    "connections from one client", CONNS_PER_ADDR);
		return;
	}
	if (uri == NULL || (c->path = evhttp_uri_get_path(uri)) == NULL ||
	    c->path[0] != '/') {
		reply_error(c, 400, "Bad Request", "Bad request target");
		return;
	}
	if ((q = evhttp_uri_get_query(uri)) != NULL) {
		if (evhttp_parse_query_str(q, &c->query) == -1) {
			reply_error(c, 400, "Bad Request", "Bad query string");
			return;
		}
		c->has_query = 1;
	}
	if (conn != NULL && (sa = evhttp_connection_get_addr(conn)) != NULL)
		(void)addr_from_sa(&c->peer, sa);
	addr_host(&c->peer, c->peer_str, sizeof(c->peer_str));

	if (rate_limit > 0) {
		api_group(&c->peer, &g);
		if (!rl_allow(&rl_requests, &g, now_ms() / 60)) {
			stats.limited++;
			(void)snprintf(retry, sizeof(retry), "%d",
			    60 / rate_limit + 1);
			evhttp_add_header(evhttp_request_get_output_headers(
			    req), "Retry-After", retry);
			reply_error(c, 429, "Too Many Requests", "Rate limit "
			    "exceeded. Try again in %s seconds.", retry);
			return;
		}
	}
	for (i = 0; i < nitems(routes); i++) {
		len = strlen(routes[i].path);
		if (routes[i].prefix ? strncmp(c->path, routes[i].path,
		    len) == 0 && c->path[len] != '\0' :
		    strcmp(c->path, routes[i].path) == 0) {
			r = &routes[i];
			break;
		}
	}
	if (r == NULL) {
		reply_error(c, 404, "Not Found", "No handler for %s %s",
		    method_name(c->method), c->path);
		return;
	}
	c->route = r;
	if (c->method == M_OPTIONS) {
		allow_header(c, r->methods);
		reply(c, 204, NULL, NULL);
		return;
	}
	if (!(r->methods & c->method)) {
		allow_header(c, r->methods);
		reply_error(c, 405, "Method Not Allowed", "%s does not take "
		    "%s", r->path, method_name(c->method));
		return;
	}
	if ((r->auth & c->method) && !authorized(c))
		return;
	if ((r->body & c->method) && read_body(c) == -1)
		return;
	r->fn(c);
}

/* X-API-Key, checked; -1 when the request was answered with an error. */
static int
authorized(struct hctx *c)
{
	struct evkeyvalq	*h = evhttp_request_get_input_headers(c->req);
	const char		*key;
	struct ipc_addr		 g;
	char			 retry[16];

	api_group(&c->peer, &g);
	if (keys_count(keys) == 0) {
		stats.unauthorized++;
		reply_error(c, 401, "Configuration Error", "No API keys "
		    "configured. Set SLEEPYTEEPEE_API_KEYS or use --api-keys "
		    "or --api-key-file.");
		return (0);
	}
	key = evhttp_find_header(h, "X-API-Key");
	/*
	 * A wrong key costs a token of the client's; with none left no key
	 * is tried, the right one neither, until one comes back.
	 */
	if (key != NULL && rl_tokens(&rl_badkeys, &g, now_ms() / 60) == 0) {
		stats.unauthorized++;
		(void)snprintf(retry, sizeof(retry), "%d",
		    60 / BAD_KEYS_A_MINUTE + 1);
		evhttp_add_header(evhttp_request_get_output_headers(c->req),
		    "Retry-After", retry);
		reply_error(c, 429, "Too Many Requests", "Too many wrong API "
		    "keys. Try again in %s seconds.", retry);
		return (0);
	}
	if (key != NULL && keys_match(keys, key, strlen(key))) {
		log_info("admin access: %s %s from %s", method_name(c->method),
		    c->path, c->peer_str);
		return (1);
	}
	stats.unauthorized++;
	if (key != NULL) {
		(void)rl_allow(&rl_badkeys, &g, now_ms() / 60);
		log_info("wrong API key: %s %s from %s",
		    method_name(c->method), c->path, c->peer_str);
	}
	reply_error(c, 401, "Unauthorized", "Valid API key required. Provide "
	    "a valid API key via the X-API-Key header.");
	return (0);
}

/* A JSON object of at most BODY_MAX bytes, into c->body. */
static int
read_body(struct hctx *c)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(c->req);
	json_error_t	 jerr;
	size_t		 len = evbuffer_get_length(in);
	char		*buf;

	if (len > BODY_MAX) {
		reply_error(c, 413, "Payload Too Large", "The body may have "
		    "at most %d bytes", BODY_MAX);
		return (-1);
	}
	if (len == 0) {
		reply_error(c, 400, "Bad Request", "Request body is required");
		return (-1);
	}
	if ((buf = (char *)evbuffer_pullup(in, -1)) == NULL) {
		reply_error(c, 500, "Internal Server Error", "Out of memory");
		return (-1);
	}
	if ((c->body = json_loadb(buf, len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		reply_error(c, 400, "Bad Request", "Invalid JSON: %s at line "
		    "%d, column %d", jerr.text, jerr.line, jerr.column);
		return (-1);
	}
	if (!json_is_object(c->body)) {
		reply_error(c, 400, "Bad Request", "The body must be a JSON "
		    "object");
		return (-1);
	}
	return (0);
}

/* Refuse a body with a field not in names; -1 when answered so. */
static int
body_fields(struct hctx *c, const char *const *names)
{
	const char	*k;
	json_t		*v;
	size_t		 i;

	json_object_foreach(c->body, k, v) {
		for (i = 0; names[i] != NULL; i++)
			if (strcmp(k, names[i]) == 0)
				break;
		if (names[i] == NULL) {
			reply_error(c, 400, "Bad Request", "Unknown field: %.64s",
			    k);
			return (-1);
		}
	}
	return (0);
}

static const char *
query(struct hctx *c, const char *name)
{
	return (c->has_query ? evhttp_find_header(&c->query, name) : NULL);
}

static void
cors_headers(struct evkeyvalq *h)
{
	evhttp_add_header(h, "Access-Control-Allow-Origin", "*");
	evhttp_add_header(h, "Access-Control-Allow-Methods",
	    "GET, HEAD, POST, PUT, DELETE, OPTIONS");
	evhttp_add_header(h, "Access-Control-Allow-Headers",
	    "Content-Type, X-API-Key, If-None-Match");
	evhttp_add_header(h, "Access-Control-Expose-Headers", "ETag");
	evhttp_add_header(h, "Access-Control-Max-Age", "86400");
}

static void
hctx_free(struct hctx *c)
{
	evhttp_clear_headers(&c->query);
	if (c->body != NULL)
		json_decref(c->body);
	if (c->keep != NULL)
		json_decref(c->keep);
	free(c->counters);
	free(c);
}

/*
 * The reason phrase, where libevent 2.1 has none of its own ("Client
 * Error" for 429).
 */
static const char *
reason(int code)
{
	return (code == 429 ? "Too Many Requests" : NULL);
}

/*
 * Send the answer and forget the request.  An answer of its own is
 * counted against the bytes that all connections may have queued
 * (api/conns.c); past them the client is answered 503.  A HEAD request
 * gets the length of the body it would have had, and no body.
 */
static void
reply(struct hctx *c, int code, const char *type, struct evbuffer *body)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(c->req);
	size_t			 len = body != NULL ?
				    evbuffer_get_length(body) : 0;
	char			 clen[24];

	if (c->shared == NULL && !c->forced && !conns_may_queue(&c->conn,
	    c->method == M_HEAD ? 0 : len)) {
		c->forced = 1;
		evhttp_clear_headers(h);
		evhttp_add_header(h, "Retry-After", "1");
		reply_error(c, 503, "Service Unavailable", "Too many answers "
		    "are waiting for their clients; try again");
		return;
	}
	cors_headers(h);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	if (type != NULL)
		evhttp_add_header(h, "Content-Type", type);
	if (evhttp_find_header(h, "Cache-Control") == NULL)
		evhttp_add_header(h, "Cache-Control", "no-store");
	if (code >= 100 && code < 600)
		stats.by_class[code / 100]++;
	if (code == 304)
		stats.not_modified++;
	if (c->method == M_HEAD && body != NULL) {
		(void)snprintf(clen, sizeof(clen), "%zu", len);
		evhttp_add_header(h, "Content-Length", clen);
		body = NULL;
		len = 0;
	}
	conns_answered(&c->conn, len, c->shared);
	evhttp_send_reply(c->req, code, reason(code), body);
	hctx_free(c);
}

static void
reply_json(struct hctx *c, int code, json_t *o)
{
	struct evbuffer	*b;
	char		*s;

	c->shared = NULL;
	if (o == NULL || (s = json_dumps(o, JSON_COMPACT)) == NULL) {
		if (o != NULL)
			json_decref(o);
		reply(c, 500, NULL, NULL);
		return;
	}
	json_decref(o);
	if ((b = evbuffer_new()) == NULL)
		fatalx("out of memory");
	evbuffer_add(b, s, strlen(s));
	free(s);
	reply(c, code, "application/json", b);
	evbuffer_free(b);
}

static void
reply_error(struct hctx *c, int code, const char *error, const char *fmt,
    ...)
{
	char	 msg[512], *p;
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* A path or a parser's words may hold any byte: ASCII goes out. */
	for (p = msg; *p != '\0'; p++)
		if ((u_char)*p < 0x20 || (u_char)*p > 0x7e)
			*p = '?';
	reply_json(c, code, json_pack("{s:s, s:s}", "error", error,
	    "message", msg));
}

static void
reply_ok(struct hctx *c, int code, const char *message)
{
	reply_json(c, code, json_pack("{s:s, s:s}", "status", "success",
	    "message", message));
}

/*
 * Does the client hold tag already (If-None-Match, weak comparison)?
 * Then it is answered 304.
 */
static int
etag_fresh(struct hctx *c, const char *tag)
{
	const char	*inm, *p, *end;
	const char	*t = strncmp(tag, "W/", 2) == 0 ? tag + 2 : tag;
	size_t		 len;

	inm = evhttp_find_header(evhttp_request_get_input_headers(c->req),
	    "If-None-Match");
	if (inm == NULL)
		return (0);
	for (p = inm; *p != '\0'; p = *end == ',' ? end + 1 : end) {
		p += strspn(p, " \t");
		end = p + strcspn(p, ",");
		len = (size_t)(end - p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 1 && *p == '*')
			return (1);
		if (len >= 2 && strncmp(p, "W/", 2) == 0) {
			p += 2;
			len -= 2;
		}
		if (len == strlen(t) && strncmp(p, t, len) == 0)
			return (1);
	}
	return (0);
}

/* ---- public ---- */

static int
render_list(struct evbuffer *b, time_t now)
{
	return (render_servers_json(b, &api.table, NULL, now));
}

static int
render_page(struct evbuffer *b, time_t now)
{
	return (render_status_html(b, &api, now));
}

/*
 * The shared answer s for c: rebuilt when the list has changed, or
 * when it is s->max_age old, unless the answers queued are at their
 * bound (then the one built last is sent again, with its ETag).  Who is
 * still sending the one it replaces is counted from now on.
 */
static struct evbuffer *
shared_get(struct hctx *c, struct shared *s)
{
	struct evbuffer	*b;
	time_t		 now = time(NULL);

	if (s->buf == NULL || (conns_room() && (s->gen != api.list_generation ||
	    now - s->built >= s->max_age || now < s->built))) {
		if ((b = evbuffer_new()) == NULL || s->render(b, now) == -1)
			fatalx("out of memory");
		if (s->buf != NULL) {
			conns_shared_replaced(s->buf,
			    evbuffer_get_length(s->buf));
			evbuffer_free(s->buf);
		}
		s->buf = b;
		s->gen = api.list_generation;
		s->built = now;
	}
	c->shared = s->buf;
	return (s->buf);
}

/* The Python master's GET /: the list; ours for a browser: the page. */
static void
h_root(struct hctx *c)
{
	const char	*accept = evhttp_find_header(
			    evhttp_request_get_input_headers(c->req), "Accept");
	struct evbuffer	*b;

	if (accept == NULL || strstr(accept, "text/html") == NULL) {
		h_servers(c);
		return;
	}
	if ((b = evbuffer_new()) == NULL ||
	    evbuffer_add_buffer_reference(b, shared_get(c, &shared_page)) == -1)
		fatalx("out of memory");
	evhttp_add_header(evhttp_request_get_output_headers(c->req),
	    "Content-Security-Policy", "default-src 'none'; "
	    "style-src 'unsafe-inline'");
	reply(c, 200, "text/html; charset=utf-8", b);
	evbuffer_free(b);
}

static int
parse_flag(struct hctx *c, const char *name, int *out)
{
	const char	*v = query(c, name);

	*out = -1;
	if (v == NULL)
		return (0);
	if (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0)
		*out = 1;
	else if (strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0)
		*out = 0;
	else {
		reply_error(c, 400, "Bad Request", "%s must be 1, 0, true or "
		    "false", name);
		return (-1);
	}
	return (0);
}

/*
 * GET /api/servers[?protocol=P&label=L&empty=0|1&full=0|1]: the list as
 * JSON.  The whole list is kept built: rebuilt when a server comes, goes
 * or changes, and at most every LIST_MAX_AGE seconds when only the times
 * of the last answers move.  Its weak ETag changes with what matters, so
 * a site that polls is answered 304 until the list changes.
 */
static void
h_servers(struct hctx *c)
{
	struct api_filter	 f;
	struct evbuffer		*b;
	const char		*v;
	const struct evkeyval	*kv;
	struct evbuffer		*list = NULL;
	char			 etag[64];
	time_t			 now = time(NULL);
	uint64_t		 gen;
	int			 filtered = 0;

	memset(&f, 0, sizeof(f));
	if (c->has_query) {
		TAILQ_FOREACH(kv, &c->query, next)
			if (strcmp(kv->key, "protocol") != 0 &&
			    strcmp(kv->key, "label") != 0 &&
			    strcmp(kv->key, "empty") != 0 &&
			    strcmp(kv->key, "full") != 0) {
				reply_error(c, 400, "Bad Request", "Unknown "
				    "parameter: %.64s", kv->key);
				return;
			}
		if ((v = query(c, "protocol")) != NULL) {
			if (strlen(v) == 0 || strlen(v) >= sizeof(f.protocol) ||
			    strspn(v, "0123456789") != strlen(v)) {
				reply_error(c, 400, "Bad Request", "protocol "
				    "must be a number, such as 71");
				return;
			}
			(void)strlcpy(f.protocol, v, sizeof(f.protocol));
		}
		if ((v = query(c, "label")) != NULL) {
			if (strlcpy(f.label, v, sizeof(f.label)) >=
			    sizeof(f.label)) {
				reply_error(c, 400, "Bad Request", "label is "
				    "longer than %d characters", MAX_LABEL - 1);
				return;
			}
			f.has_label = 1;
		}
		if (parse_flag(c, "empty", &f.empty) == -1 ||
		    parse_flag(c, "full", &f.full) == -1)
			return;
		filtered = 1;
	}
	if (filtered)
		gen = api.list_generation;
	else {
		list = shared_get(c, &shared_list);
		gen = shared_list.gen;
	}
	(void)snprintf(etag, sizeof(etag), "W/\"%08x-%llu\"", boot_id,
	    (unsigned long long)gen);
	evhttp_add_header(evhttp_request_get_output_headers(c->req), "ETag",
	    etag);
	evhttp_add_header(evhttp_request_get_output_headers(c->req),
	    "Cache-Control", LIST_MAX_AGE_HDR);
	if (etag_fresh(c, etag)) {
		c->shared = NULL;
		reply(c, 304, NULL, NULL);
		return;
	}
	if ((b = evbuffer_new()) == NULL)
		fatalx("out of memory");
	if (filtered) {
		if (render_servers_json(b, &api.table, &f, now) == -1)
			fatalx("out of memory");
	} else if (evbuffer_add_buffer_reference(b, list) == -1)
		fatalx("out of memory");
	reply(c, 200, "application/json", b);
	evbuffer_free(b);
}

static void
h_rss(struct hctx *c)
{
	struct evbuffer	*b;
	const char	*host;
	char		 link[300];

	/*
	 * The feed's own address, from a Host that looks like one, port and
	 * all (evhttp_request_get_host() leaves the port out).
	 */
	host = evhttp_find_header(evhttp_request_get_input_headers(c->req),
	    "Host");
	if (host == NULL || host[0] == '\0' || strlen(host) > 255 ||
	    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-:[]") != strlen(host) || (host[0] != '[' &&
	    strchr(host, ':') != strrchr(host, ':')))
		host = "localhost";
	(void)snprintf(link, sizeof(link), "http://%s/api/servers/rss", host);
	if ((b = evbuffer_new()) == NULL)
		fatalx("out of memory");
	if (render_rss(b, &api.table, link, time(NULL)) == -1) {
		evbuffer_free(b);
		reply_error(c, 500, "Internal Server Error", "Out of memory");
		return;
	}
	reply(c, 200, "application/rss+xml; charset=utf-8", b);
	evbuffer_free(b);
}

static size_t
featured_groups(void)
{
	size_t	 i, n = 0;

	for (i = 0; i < api.files.nfeatured; i++)
		if (i == 0 || strcmp(api.files.featured[i].label,
		    api.files.featured[i - 1].label) != 0)
			n++;
	return (n);
}

static json_t *
ports_json(const uint16_t *ports, int n)
{
	json_t	*a = json_array();
	int	 i;

	for (i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_integer(ports[i]));
	return (a);
}

/* GET /api/info, as the Python master's, with the same endpoint list. */
static void
h_info(struct hctx *c)
{
	const struct options	*o = api.opts;
	json_t			*info, *eps;
	size_t			 i;
	static const char *const endpoints[][2] = {
		{ "GET /", "List all registered servers (the status page for "
		    "a browser)" },
		{ "GET /api/servers", "List all registered servers" },
		{ "GET /api/info", "Get master server information" },
		{ "GET /api/motd", "Get message of the day" },
		{ "GET /api/servers/rss", "Get RSS feed of new servers" },
		{ "GET /metrics", "Metrics in the Prometheus text format" },
		{ "POST /heartbeat", "JSON heartbeat from a game server" },
		{ "GET /api/stats", "Get server statistics (requires auth)" },
		{ "GET /api/blacklist", "Get blacklist entries (requires "
		    "auth)" },
		{ "POST /api/blacklist", "Add blacklist entry (requires "
		    "auth)" },
		{ "DELETE /api/blacklist/{id}", "Delete blacklist entry "
		    "(requires auth)" },
		{ "GET /api/featured", "Get featured server groups (requires "
		    "auth)" },
		{ "PUT /api/featured", "Update featured servers (requires "
		    "auth)" },
		{ "PUT /api/motd", "Update message of the day (requires "
		    "auth)" },
		{ "GET /api/logs", "Get recent log entries (requires auth)" },
		{ "POST /api/admin/reload-config", "Reload server "
		    "configuration (requires auth)" },
		{ "POST /api/admin/shutdown", "Shut the master server down "
		    "(requires auth)" },
		{ "GET /api/plugins", "List all plugins (requires auth)" },
		{ "GET /apitest", "A page to try the API from a browser" },
	};

	if ((eps = json_object()) == NULL)
		fatalx("out of memory");
	for (i = 0; i < nitems(endpoints); i++)
		json_object_set_new(eps, endpoints[i][0],
		    json_string(endpoints[i][1]));
	info = json_pack("{s:s, s:s, s:s, s:s, s:{s:I, s:I}, "
	    "s:{s:s, s:o, s:i, s:b, s:o, s:b, s:b, s:I}, s:I, s:o}",
	    "name", "Tremulous Master Server",
	    "version", VERSION,
	    "description", "tremmasterd, a Tremulous master server",
	    "status", api.initialized ? "online" : "starting",
	    "servers",
	    "total", (json_int_t)api.nservers,
	    "verified", (json_int_t)api.nservers,
	    "configuration",
	    "listen_addr", o->listen4 != NULL ? o->listen4 : "0.0.0.0",
	    "ports", ports_json(o->ports, o->nports),
	    "challenge_port", (int)o->challenge_port,
	    "websocket_enabled", o->use_ws && o->nws_ports > 0,
	    "websocket_ports", ports_json(o->ws_ports,
	    o->use_ws ? o->nws_ports : 0),
	    "ipv4_enabled", o->family != AF_INET6,
	    "ipv6_enabled", o->family != AF_INET,
	    "max_servers", (json_int_t)(o->max_servers > 0 ? o->max_servers :
	    -1),
	    "featured_groups", (json_int_t)featured_groups(),
	    "endpoints", eps);
	reply_json(c, 200, info);
}

/* GET /api/motd (public, as in the Python master), PUT (with a key). */
static void
h_motd(struct hctx *c)
{
	static const char *const fields[] = { "motd", NULL };
	json_t		*m;
	const char	*text;
	char		*esc;
	size_t		 len;

	if (c->method != M_PUT) {
		reply_json(c, 200, json_pack("{s:s}", "motd", api.files.motd));
		return;
	}
	if (body_fields(c, fields) == -1)
		return;
	if ((m = json_object_get(c->body, "motd")) == NULL) {
		reply_error(c, 400, "Bad Request", "Missing required field: "
		    "motd");
		return;
	}
	if (!json_is_string(m)) {
		reply_error(c, 400, "Bad Request", "Field \"motd\" must be a "
		    "string");
		return;
	}
	text = json_string_value(m);
	len = json_string_length(m);
	if (len >= MAX_MOTD || memchr(text, '\0', len) != NULL) {
		reply_error(c, 400, "Bad Request", "The MOTD may have at most "
		    "%d bytes, and no NUL", MAX_MOTD - 1);
		return;
	}
	if ((esc = malloc(len * 4 + 1)) == NULL)
		fatal(NULL);
	esc[plp_escape(esc, text, len)] = '\0';
	c->stage = 'm';
	(void)netd_ask(c, admin_answered, "motd-set|%s", esc);
	free(esc);
}

/* ---- heartbeats ---- */

/*
 * Addresses a heartbeat may not name: nowhere, multicast, broadcast; the
 * loopback for a client that is not itself on the loopback, and private
 * networks for a client from outside them, so that no one from outside
 * has the master send to the networks behind it.
 */
static int
heartbeat_unusable(const struct ipc_addr *a, const struct ipc_addr *peer)
{
	static const u_char	 zero[16];
	const u_char		*v4 = addr_v4(a, 1);

	if (a->port == 0)
		return (1);
	if (v4 != NULL) {
		if (v4[0] == 0 || v4[0] >= 224)
			return (1);
	} else if (memcmp(a->addr, zero, 16) == 0 || a->addr[0] == 0xff)
		return (1);
	return (addr_scope(a, 1) > addr_scope(peer, 0));
}

/* Are a and b the same host (their ports aside)? */
static int
same_host(const struct ipc_addr *a, const struct ipc_addr *b)
{
	const u_char	*a4 = addr_v4(a, 0), *b4 = addr_v4(b, 0);

	if (a4 != NULL || b4 != NULL)
		return (a4 != NULL && b4 != NULL && memcmp(a4, b4, 4) == 0);
	return (memcmp(a->addr, b->addr, 16) == 0);
}

static int
is_featured(const struct ipc_addr *a)
{
	size_t	 i;

	for (i = 0; i < api.files.nfeatured; i++)
		if (memcmp(&api.files.featured[i].addr, a, sizeof(*a)) == 0)
			return (1);
	return (0);
}

static void
heartbeat_answered(void *arg, int ok, char **f, int n)
{
	struct hctx	*c = arg;
	const char	*why = n > 0 ? f[0] : "";

	if (ok == -1) {
		reply_error(c, 504, "Gateway Timeout", "netd did not answer");
		return;
	}
	if (ok) {
		if (c->stage == 'd')
			reply_ok(c, 200, "Flatline received: the server is "
			    "challenged, and removed if it does not answer");
		else
			reply_ok(c, 200, "Heartbeat received, challenge sent");
		return;
	}
	if (strcmp(why, "not listed") == 0)
		reply_error(c, 404, "Not Found", "Server not found in "
		    "registry");
	else if (strcmp(why, "address in ignore.txt") == 0)
		reply_error(c, 403, "Forbidden", "The address is in "
		    "ignore.txt");
	else if (strcmp(why, "challenge limit of the address") == 0)
		reply_error(c, 429, "Too Many Requests", "The address was "
		    "challenged as often as its limit allows; try again "
		    "later");
	else if (strcmp(why, "busy") == 0)
		reply_error(c, 503, "Service Unavailable", "Too many "
		    "heartbeats at once; try again");
	else
		reply_error(c, 400, "Bad Request", "%.128s", why);
}

/*
 * POST /heartbeat {"address": "ADDR:PORT", "protocol": "71", "dead":
 * false}: the address is challenged as for a UDP heartbeat (add-server),
 * or, dead, probed as after a flatline.  Unlike the Python master's, the
 * answer does not give the challenge: whoever knows it could answer for
 * an address that is not theirs.
 */
static void
h_heartbeat(struct hctx *c)
{
	json_t		*addr, *proto, *dead;
	struct ipc_addr	 a, g;
	char		 abuf[ADDRSTRLEN];

	addr = json_object_get(c->body, "address");
	proto = json_object_get(c->body, "protocol");
	dead = json_object_get(c->body, "dead");
	if (addr == NULL || (json_is_string(addr) &&
	    json_string_length(addr) == 0)) {
		reply_error(c, 400, "Bad Request", "Missing required field: "
		    "address");
		return;
	}
	if (proto == NULL || (json_is_string(proto) &&
	    json_string_length(proto) == 0)) {
		reply_error(c, 400, "Bad Request", "Missing required field: "
		    "protocol");
		return;
	}
	if (!json_is_string(proto) && !json_is_integer(proto)) {
		reply_error(c, 400, "Bad Request", "Field \"protocol\" must be "
		    "a string or a number");
		return;
	}
	if (dead != NULL && !json_is_boolean(dead)) {
		reply_error(c, 400, "Bad Request", "Field \"dead\" must be true "
		    "or false");
		return;
	}
	memset(&a, 0, sizeof(a));
	if (!json_is_string(addr) || addr_parse(json_string_value(addr),
	    &a) == -1) {
		reply_error(c, 400, "Bad Request", "Invalid address format: "
		    "an IPv4 address and port (192.0.2.10:30720) or an IPv6 "
		    "address in brackets and a port ([2001:db8::10]:30720)");
		return;
	}
	if (heartbeat_unusable(&a, &c->peer)) {
		reply_error(c, 403, "Forbidden", "The address cannot be "
		    "challenged");
		return;
	}
	api_group(&c->peer, &g);
	if (!rl_allow(&rl_heartbeats, &g, now_ms() / 60)) {
		evhttp_add_header(evhttp_request_get_output_headers(c->req),
		    "Retry-After", "7");
		reply_error(c, 429, "Too Many Requests", "At most %d "
		    "heartbeats a minute from one client", HEARTBEATS_A_MINUTE);
		return;
	}
	addr_str(&a, abuf, sizeof(abuf));
	if (dead != NULL && json_is_true(dead)) {
		/*
		 * Ours: only the server's own address, or a client with a
		 * key, may say it is dead; from anyone else it would be a
		 * probe of any server on their word.
		 */
		if (!same_host(&a, &c->peer)) {
			if (evhttp_find_header(evhttp_request_get_input_headers(
			    c->req), "X-API-Key") == NULL) {
				reply_error(c, 403, "Forbidden", "Only the "
				    "server's own address, or a client with "
				    "an API key, may report it dead");
				return;
			}
			if (!authorized(c))
				return;
		}
		if (is_featured(&a)) {
			reply_error(c, 403, "Forbidden", "Featured servers "
			    "cannot be removed via heartbeat");
			return;
		}
		log_verbose("%s: flatline via the REST API from %s", abuf,
		    c->peer_str);
		c->stage = 'd';
		(void)netd_ask(c, heartbeat_answered, "flatline|%s", abuf);
		return;
	}
	log_verbose("%s: heartbeat via the REST API from %s", abuf,
	    c->peer_str);
	c->stage = 'h';
	(void)netd_ask(c, heartbeat_answered, "add-server|%s", abuf);
}

/* ---- netd's answers ---- */

/* Ask netd; when that cannot be, the client is told at once. */
static int
netd_ask(struct hctx *c, api_answer_cb cb, const char *fmt, ...)
{
	char	 line[PLUGIN_TEXT_MAX * 4 + 512];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		reply_error(c, 413, "Payload Too Large", "The request is too "
		    "long");
		return (-1);
	}
	if (!api.initialized || api_request(cb, c, "%s", line) == -1) {
		evhttp_add_header(evhttp_request_get_output_headers(c->req),
		    "Retry-After", "1");
		reply_error(c, 503, "Service Unavailable", "netd is busy or "
		    "not ready; try again");
		return (-1);
	}
	return (0);
}

/* The parent's answer to an admin request. */
static void
admin_answered(void *arg, int ok, char **f, int n)
{
	struct hctx	*c = arg;
	const char	*why = n > 0 ? f[0] : "";
	u_char		 msg[512];
	char		 text[600];
	size_t		 len;
	json_t		*o;

	if (ok == -1) {
		reply_error(c, 504, "Gateway Timeout", "netd did not answer");
		return;
	}
	if (!ok) {
		if (plp_unescape(why, msg, sizeof(msg) - 1, &len) == -1)
			len = 0;
		msg[len] = '\0';
		render_utf8(msg, len, text, sizeof(text));
		if (strcmp(text, "busy") == 0)
			reply_error(c, 503, "Service Unavailable", "Too many "
			    "changes at once; try again");
		else if (strcmp(text, "not in ignore.txt") == 0 ||
		    strcmp(text, "no such group") == 0)
			reply_error(c, 404, "Not Found", "%s", text);
		else if (strncmp(text, "refused", 7) == 0 ||
		    strncmp(text, "not an address", 14) == 0 ||
		    strcmp(text, "too long") == 0)
			reply_error(c, 400, "Bad Request", "%s", text);
		else
			reply_error(c, 500, "Internal Server Error", "%s",
			    text);
		return;
	}
	switch (c->stage) {
	case 'm':
		reply_ok(c, 200, "MOTD updated");
		break;
	case 'a':
		reply_json(c, 201, json_pack("{s:s, s:s, s:s}", "status",
		    "success", "message", "Blacklist entry added", "entry",
		    c->entry));
		break;
	case 'r':
		reply_json(c, 200, json_pack("{s:s, s:s, s:s}", "status",
		    "success", "message", "Blacklist entry removed", "entry",
		    c->entry));
		break;
	case 'f':
		(void)snprintf(text, sizeof(text), "Featured servers updated "
		    "for label: %s", c->entry);
		o = json_pack("{s:s, s:s, s:s, s:O}", "status", "success",
		    "message", text, "label", c->entry, "servers", c->keep);
		reply_json(c, 200, o);
		break;
	case 'l':
		reply_ok(c, 200, "Configuration reloaded");
		break;
	case 's':
		reply_ok(c, 200, "Shutdown initiated");
		break;
	default:
		reply_ok(c, 200, "Done");
	}
}

/* ---- with a key ---- */

static void
h_stats(struct hctx *c)
{
	struct api_server	*s;
	json_t			*labels, *l;
	size_t			 v4 = 0, v6 = 0;
	const char		*name;

	if ((labels = json_object()) == NULL)
		fatalx("out of memory");
	RB_FOREACH(s, api_table, &api.table) {
		if (s->addr.family == AF_INET6)
			v6++;
		else
			v4++;
		name = s->label[0] != '\0' ? s->label : "default";
		if ((l = json_object_get(labels, name)) == NULL) {
			l = json_pack("{s:I, s:I}", "total", (json_int_t)0,
			    "verified", (json_int_t)0);
			json_object_set_new(labels, name, l);
		}
		json_object_set_new(l, "total", json_integer(
		    json_integer_value(json_object_get(l, "total")) + 1));
		json_object_set_new(l, "verified", json_integer(
		    json_integer_value(json_object_get(l, "verified")) + 1));
	}
	reply_json(c, 200, json_pack("{s:I, s:I, s:o, s:{s:I, s:I}, "
	    "s:{s:I, s:I}, s:I}",
	    "total_servers", (json_int_t)api.nservers,
	    "verified_servers", (json_int_t)api.nservers,
	    "by_label", labels,
	    "by_connection_type",
	    "udp", (json_int_t)(api.nservers - api.nws),
	    "websocket", (json_int_t)api.nws,
	    "by_address_family",
	    "ipv4", (json_int_t)v4,
	    "ipv6", (json_int_t)v6,
	    "featured_groups", (json_int_t)featured_groups()));
}

/*
 * GET /api/blacklist: the entries of ignore.txt as netd loaded them, each
 * with its place in the file from 1 as its id; POST adds one.
 */
static void
h_blacklist(struct hctx *c)
{
	static const char *const fields[] = { "entry", NULL };
	json_t		*list, *e;
	const char	*s;
	size_t		 i;

	if (c->method != M_POST) {
		if ((list = json_array()) == NULL)
			fatalx("out of memory");
		for (i = 0; i < api.files.nignore; i++)
			json_array_append_new(list, json_pack("{s:I, s:s}",
			    "id", (json_int_t)(i + 1), "entry",
			    api.files.ignore[i]));
		e = json_pack("{s:o, s:I}", "entries", list, "count",
		    (json_int_t)api.files.ignore_total);
		if (api.files.ignore_total > api.files.nignore)
			json_object_set_new(e, "truncated", json_true());
		reply_json(c, 200, e);
		return;
	}
	if (body_fields(c, fields) == -1)
		return;
	if ((e = json_object_get(c->body, "entry")) == NULL ||
	    (json_is_string(e) && json_string_length(e) == 0)) {
		reply_error(c, 400, "Bad Request", "Missing required field: "
		    "entry");
		return;
	}
	if (!json_is_string(e) || (s = json_string_value(e),
	    strlen(s) >= API_ENTRY_MAX) || strlen(s) != json_string_length(e) ||
	    strspn(s, "0123456789abcdefABCDEF.:/") != strlen(s)) {
		reply_error(c, 400, "Bad Request", "Invalid entry format. Use "
		    "IP address or CIDR notation.");
		return;
	}
	(void)strlcpy(c->entry, s, sizeof(c->entry));
	c->stage = 'a';
	(void)netd_ask(c, admin_answered, "ignore-add|%s", c->entry);
}

/* DELETE /api/blacklist/ID: the entry GET /api/blacklist shows as ID. */
static void
h_blacklist_id(struct hctx *c)
{
	const char	*errstr, *ids = c->path + strlen(c->route->path);
	long long	 id;

	id = strtonum(ids, LLONG_MIN, LLONG_MAX, &errstr);
	if (errstr != NULL || ids[0] == '+' || ids[0] == ' ') {
		reply_error(c, 400, "Bad Request", "Invalid id parameter: "
		    "must be an integer");
		return;
	}
	if (id < 1 || (unsigned long long)id > api.files.nignore) {
		reply_error(c, 404, "Not Found", "Blacklist entry %lld not "
		    "found", id);
		return;
	}
	(void)strlcpy(c->entry, api.files.ignore[id - 1], sizeof(c->entry));
	c->stage = 'r';
	(void)netd_ask(c, admin_answered, "ignore-remove|%s", c->entry);
}

/* GET /api/featured: the groups of featured.txt; PUT sets one. */
static void
h_featured(struct hctx *c)
{
	static const char *const fields[] = { "label", "servers", NULL };
	json_t		*groups, *g, *label, *servers, *v;
	char		 abuf[ADDRSTRLEN], text[PLUGIN_TEXT_MAX];
	const char	*l, *s;
	size_t		 i, len;

	if (c->method != M_PUT) {
		if ((groups = json_object()) == NULL)
			fatalx("out of memory");
		for (i = 0; i < api.files.nfeatured; i++) {
			l = api.files.featured[i].label;
			if ((g = json_object_get(groups, l)) == NULL) {
				g = json_array();
				json_object_set_new(groups, l, g);
			}
			json_array_append_new(g, json_string(addr_str(
			    &api.files.featured[i].addr, abuf,
			    sizeof(abuf))));
		}
		reply_json(c, 200, json_pack("{s:o}", "featured_servers",
		    groups));
		return;
	}
	if (body_fields(c, fields) == -1)
		return;
	label = json_object_get(c->body, "label");
	servers = json_object_get(c->body, "servers");
	if (label == NULL || !json_is_string(label) ||
	    json_string_length(label) == 0) {
		reply_error(c, 400, "Bad Request", "Missing required field: "
		    "label");
		return;
	}
	if (!json_is_array(servers)) {
		reply_error(c, 400, "Bad Request", "Field \"servers\" must be "
		    "an array");
		return;
	}
	l = json_string_value(label);
	len = strlen(l);
	if (len != json_string_length(label) || len >= MAX_LABEL ||
	    strspn(l, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_-") != len) {
		reply_error(c, 400, "Bad Request", "Label can only contain "
		    "alphanumeric characters, hyphens, and underscores, at "
		    "most %d", MAX_LABEL - 1);
		return;
	}
	if (json_array_size(servers) > SERVERS_PUT_MAX) {
		reply_error(c, 400, "Bad Request", "At most %d servers in a "
		    "group", SERVERS_PUT_MAX);
		return;
	}
	text[0] = '\0';
	json_array_foreach(servers, i, v) {
		if (!json_is_string(v) || (s = json_string_value(v),
		    strlen(s) != json_string_length(v)) || strlen(s) == 0 ||
		    strlen(s) > 255 || strpbrk(s, " \t|\\#") != NULL ||
		    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789.-:[]_") != strlen(s) || strchr(s, ':') == NULL) {
			reply_error(c, 400, "Bad Request", "Invalid server "
			    "address in \"servers\": each is host:port");
			return;
		}
		if ((i > 0 && strlcat(text, " ", sizeof(text)) >=
		    sizeof(text)) || strlcat(text, s, sizeof(text)) >=
		    sizeof(text)) {
			reply_error(c, 400, "Bad Request", "Too many servers");
			return;
		}
	}
	(void)strlcpy(c->entry, l, sizeof(c->entry));
	c->keep = json_incref(servers);
	c->stage = 'f';
	(void)netd_ask(c, admin_answered, "featured-set|%s|%s", c->entry,
	    text);
}

/* GET /api/logs?limit=N&level=LEVEL: the newest lines, oldest first. */
static void
h_logs(struct hctx *c)
{
	const char	*v, *errstr;
	json_t		*list;
	long long	 limit = 100;
	size_t		 i, start, k, n = 0;
	int		 level = -1;
	struct api_log	*l;
	struct api_log	*pick[LOG_LIMIT_MAX];

	if ((v = query(c, "limit")) != NULL) {
		limit = strtonum(v, LLONG_MIN, LLONG_MAX, &errstr);
		if (errstr != NULL) {
			reply_error(c, 400, "Bad Request", "Invalid limit "
			    "parameter");
			return;
		}
		if (limit < 1 || limit > LOG_LIMIT_MAX) {
			reply_error(c, 400, "Bad Request", "Limit must be "
			    "between 1 and %d", LOG_LIMIT_MAX);
			return;
		}
	}
	if ((v = query(c, "level")) != NULL &&
	    (level = api_level_parse(v)) == -1) {
		reply_error(c, 400, "Bad Request", "Invalid log level. Must be "
		    "one of: ALWAYS, ERROR, PRINT, VERBOSE, DEBUG");
		return;
	}
	/* Newest first into pick, up to limit, then out oldest first. */
	start = (api.log_next + API_LOG_KEPT - 1) % API_LOG_KEPT;
	for (i = 0; i < api.nlogs && n < (size_t)limit; i++) {
		k = (start + API_LOG_KEPT - i) % API_LOG_KEPT;
		l = &api.logs[k];
		if (level != -1 && l->level != level)
			continue;
		pick[n++] = l;
	}
	if ((list = json_array()) == NULL)
		fatalx("out of memory");
	while (n > 0) {
		l = pick[--n];
		json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s}",
		    "timestamp", (json_int_t)l->time, "level",
		    api_level_name(l->level), "process", l->proc, "message",
		    l->msg));
	}
	reply_json(c, 200, json_pack("{s:O, s:I}", "entries", list, "count",
	    (json_int_t)json_array_size(list)));
	json_decref(list);
}

static void
h_shutdown(struct hctx *c)
{
	log_info("shutdown requested via the REST API from %s", c->peer_str);
	c->stage = 's';
	(void)netd_ask(c, admin_answered, "shutdown");
}

static void
h_reload(struct hctx *c)
{
	log_info("configuration reload requested via the REST API from %s",
	    c->peer_str);
	c->stage = 'l';
	(void)netd_ask(c, admin_answered, "reload");
}

/* ---- metrics ---- */

static void metrics_answered(void *, int, char **, int);

/* GET /metrics: netd's counters, then the processes' memory. */
static void
h_metrics(struct hctx *c)
{
	c->stage = 'c';
	(void)netd_ask(c, metrics_answered, "counters");
}

static void
metrics_answered(void *arg, int ok, char **f, int n)
{
	struct hctx	*c = arg;
	struct evbuffer	*b;
	size_t		 len = 0;
	int		 i;

	if (ok != 1) {
		reply_error(c, ok == -1 ? 504 : 500, ok == -1 ?
		    "Gateway Timeout" : "Internal Server Error",
		    "netd did not give its %s", c->stage == 'c' ? "counters" :
		    "processes");
		return;
	}
	if (c->stage == 'c') {
		/* Kept as "a=1|b=2", for when the processes come. */
		for (i = 0; i < n; i++)
			len += strlen(f[i]) + 1;
		if ((c->counters = calloc(1, len + 1)) == NULL)
			fatal(NULL);
		for (i = 0; i < n; i++) {
			if (i > 0)
				(void)strlcat(c->counters, "|", len + 1);
			(void)strlcat(c->counters, f[i], len + 1);
		}
		c->stage = 'p';
		if (api_request(metrics_answered, c, "processes") == -1)
			reply_error(c, 503, "Service Unavailable", "netd is "
			    "busy; try again");
		return;
	}
	if ((b = evbuffer_new()) == NULL)
		fatalx("out of memory");
	render_metrics(b, &api, c->counters, f, n, &stats);
	reply(c, 200, "text/plain; version=0.0.4; charset=utf-8", b);
	evbuffer_free(b);
}

/* ---- plugins ---- */

static void
plugins_answered(void *arg, int ok, char **f, int n)
{
	struct hctx	*c = arg;
	json_t		*list;
	const char	*eq, *colon;
	u_char		 name[PLUGIN_NAME_MAX * 4];
	char		 text[PLUGIN_NAME_MAX * 2 + 1];
	size_t		 len;
	int		 i;

	if (ok != 1) {
		reply_error(c, ok == -1 ? 504 : 500, ok == -1 ?
		    "Gateway Timeout" : "Internal Server Error", "netd did not "
		    "list the processes");
		return;
	}
	if ((list = json_array()) == NULL)
		fatalx("out of memory");
	/* plugin.NAME=PID:RSS, NAME escaped, PID:RSS after the last '='. */
	for (i = 0; i < n; i++) {
		if (strncmp(f[i], "plugin.", 7) != 0 ||
		    (eq = strrchr(f[i], '=')) == NULL ||
		    (colon = strchr(eq, ':')) == NULL ||
		    (size_t)(eq - f[i] - 7) >= sizeof(text))
			continue;
		(void)strlcpy(text, f[i] + 7, (size_t)(eq - f[i] - 7) + 1);
		if (plp_unescape(text, name, sizeof(name), &len) == -1)
			continue;
		render_text(name, len, text, sizeof(text));
		json_array_append_new(list, json_pack("{s:s, s:I, s:I, s:b}",
		    "name", text, "pid", (json_int_t)strtoll(eq + 1, NULL, 10),
		    "resident_bytes", (json_int_t)strtoll(colon + 1, NULL, 10),
		    "enabled", 1));
	}
	reply_json(c, 200, json_pack("{s:O, s:I}", "plugins", list, "count",
	    (json_int_t)json_array_size(list)));
	json_decref(list);
}

/* GET /api/plugins: the plugins running, from the parent's list. */
static void
h_plugins(struct hctx *c)
{
	(void)netd_ask(c, plugins_answered, "processes");
}

/* GET /apitest and its script: a page to try the endpoints. */
static void
h_apitest(struct hctx *c)
{
	struct evbuffer	*b;
	int		 js = strcmp(c->path, "/apitest.js") == 0;

	if ((b = evbuffer_new()) == NULL)
		fatalx("out of memory");
	render_apitest(b, js);
	if (!js)
		evhttp_add_header(evhttp_request_get_output_headers(c->req),
		    "Content-Security-Policy", "default-src 'none'; "
		    "script-src 'self'; connect-src *; "
		    "style-src 'unsafe-inline'");
	evhttp_add_header(evhttp_request_get_output_headers(c->req),
	    "Cache-Control", "public, max-age=3600");
	reply(c, 200, js ? "text/javascript; charset=utf-8" :
	    "text/html; charset=utf-8", b);
	evbuffer_free(b);
}
