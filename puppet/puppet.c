/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The puppet plugin (the Python master's plugins/puppet.py, as a plugin
 * process of man/tremmasterd-plugins.7): every --puppet-interval seconds
 * it asks each remote master for its list and hands every address to netd
 * as add-server ADDR|puppet, so that each clone is challenged exactly as a
 * heartbeat from it would be and listed only if it answers.  A clone that
 * no remote lists any more is not added again and leaves the list when it
 * times out, as any server that stops answering does.
 *
 * Loop guards, so that two masters cloning each other settle to the
 * servers that exist: entries a remote lists under its own puppet label
 * are skipped, so are the addresses of the remote masters themselves, and
 * so is every address netd already lists under another label or none
 * (netd's reports keep a copy of its table here).  A partial or garbled
 * answer adds what it has and never drops what the remote listed before.
 *
 * It starts as root, reads what it needs (puppetmasters.txt, the resolver
 * configuration, the CA certificates), then chroots to the empty
 * directory, becomes the -u user and runs under pledge(2) or seccomp.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/tree.h>

#include <netinet/in.h>

#include <errno.h>
#include <event.h>
#include <evdns.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tls.h>

#include "fetch.h"
#include "log.h"
#include "options.h"
#include "osdep.h"
#include "pchan.h"
#include "puppet.h"
#include "util.h"

#define LINE_MAX_NETD	16384		/* a line from netd, its LF too */
#define OUT_QUEUE_MAX	(256 * 1024)	/* unread by netd: adds wait */
#define ADD_TICK_MS	100
#define ADD_PER_TICK	50		/* 500 add-server a second: netd
					   allows 1024 */
#define FETCH_TIMEOUT	10		/* seconds for a remote's answer */
#define NAMES_MAX	256		/* host names resolved a remote */

/* A server of netd's table, from the reports. */
struct tserver {
	RB_ENTRY(tserver)	 entry;
	struct ipc_addr		 addr;
	int			 puppet;	/* under our label */
};
RB_HEAD(table, tserver);

/* An address of this sync, and the first remote that listed it. */
struct sentry {
	RB_ENTRY(sentry)	 entry;
	struct ipc_addr		 addr;
	int			 remote;
};
RB_HEAD(syncset, sentry);

struct remote {
	struct puppet_remote	 conf;
	enum puppet_conn	 conn;		/* default resolved */
	struct ipc_addr		*addrs;		/* of the master itself */
	size_t			 naddrs;
	struct evdns_getaddrinfo_request *dns;
	struct fetch		*fetch[2];	/* auto: udp and ws */
	struct fetch_result	 res;		/* the one taken */
	enum puppet_conn	 res_conn;
	int			 have_res;
	int			 pending_names;
	struct ipc_addr		*last;		/* its last whole list */
	size_t			 nlast;
	struct ipc_addr		*cur;		/* this sync's */
	size_t			 ncur;
	int			 done;
	/* the line of the sync */
	size_t			 seen, added, failed, dup, s_master,
				 s_tracked, s_label, s_unusable, s_over,
				 names_unresolved;
	char			 why[192];
};

struct name_query {
	struct remote		*r;
	uint16_t		 port;		/* network order */
};

static struct event_base	*base;
static struct evdns_base	*dns;
static struct tls_config	*tls_conf;
static struct remote		 remotes[PUPPET_REMOTES_MAX];
static int			 nremotes;
static struct table		 table = RB_INITIALIZER(&table);
static struct syncset		 syncset = RB_INITIALIZER(&syncset);
static const char		*protocol = PUPPET_DEFAULT_PROTOCOL;
static int			 interval, run_once;
static size_t			 max_servers;	/* of a remote, a sync */
static int			 configured, initialized, have_table;
static int			 syncing, sync_fetched, sync_due, nsyncs;
static unsigned long		 token_seq;
static struct ipc_addr		*addq;
static int			*addq_remote;
static size_t			 naddq, addq_next, add_waiting;
static struct event		 ev_sync, ev_add;
static struct timespec		 sync_started, last_add;

static int	 tserver_cmp(struct tserver *, struct tserver *);
static int	 sentry_cmp(struct sentry *, struct sentry *);
RB_PROTOTYPE_STATIC(table, tserver, entry, tserver_cmp)
RB_PROTOTYPE_STATIC(syncset, sentry, entry, sentry_cmp)

static void	 puppet_config(const struct options *);
static void	 chan_event(struct bufferevent *, short, void *);
static void	 chan_line(char *);
static void	 report_line(char **, int);
static void	 response_line(char **, int);
static void	 sync_timer(int, short, void *);
static void	 sync_start(void);
static void	 remote_resolved(int, struct evutil_addrinfo *, void *);
static void	 remote_fetched(struct fetch *, void *);
static void	 remote_take(struct remote *, struct fetch *);
static void	 name_resolved(int, struct evutil_addrinfo *, void *);
static void	 remote_done(struct remote *);
static void	 sync_apply(void);
static void	 add_tick(int, short, void *);
static void	 sync_end(void);
static void	 addq_reset(void);
static int	 addr_push(struct ipc_addr **, size_t *, const struct ipc_addr *);
static int	 same_host(const struct ipc_addr *, const struct ipc_addr *);
static int	 addr_unusable(const struct ipc_addr *, const struct remote *);
static int	 addr_cmp(const void *, const void *);
static void	 addrs_unique(struct ipc_addr *, size_t *);

static int
tserver_cmp(struct tserver *a, struct tserver *b)
{
	return (memcmp(&a->addr, &b->addr, sizeof(a->addr)));
}

static int
sentry_cmp(struct sentry *a, struct sentry *b)
{
	return (memcmp(&a->addr, &b->addr, sizeof(a->addr)));
}

RB_GENERATE_STATIC(table, tserver, entry, tserver_cmp)
RB_GENERATE_STATIC(syncset, sentry, entry, sentry_cmp)

void
puppet_main(const struct options *o)
{
	struct passwd	*pw = NULL;
	struct tls	*warm;
	uint8_t		*ca;
	size_t		 calen;
	int		 i, need_tls = 0;

	log_init_plugin(o->verbose);
	log_procinit("puppet");
	setproctitle("puppet");
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGINT, SIG_IGN);

	puppet_config(o);
	if (nremotes == 0) {
		/* The parent starts us only with a remote; a file emptied. */
		log_info("no remote master configured: the puppet plugin is "
		    "off");
	}
	for (i = 0; i < nremotes; i++)
		if (remotes[i].conn == CONN_WSS)
			need_tls = 1;

	if ((base = event_init()) == NULL)
		fatalx("event_init");
	/* resolv.conf and hosts are read now, before the chroot. */
	if ((dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE)) == NULL) {
		if ((dns = evdns_base_new(base, 0)) == NULL)
			fatalx("evdns_base_new");
		(void)evdns_base_load_hosts(dns, NULL);
		log_info("no name servers in /etc/resolv.conf: only "
		    "/etc/hosts and addresses resolve");
	}
	if (need_tls) {
		if (tls_init() == -1 || (tls_conf = tls_config_new()) == NULL)
			fatalx("tls_config_new");
		if ((ca = tls_load_file(o->puppet_ca_file != NULL ?
		    o->puppet_ca_file : tls_default_ca_cert_file(), &calen,
		    NULL)) == NULL)
			fatal("CA certificates %s", o->puppet_ca_file != NULL ?
			    o->puppet_ca_file : tls_default_ca_cert_file());
		if (tls_config_set_ca_mem(tls_conf, ca, calen) == -1)
			fatalx("CA certificates: %s",
			    tls_config_error(tls_conf));
		tls_unload_file(ca, calen);
		/* OpenSSL initialises itself on first use: now, not later. */
		if ((warm = tls_client()) == NULL ||
		    tls_configure(warm, tls_conf) == -1)
			fatalx("tls_configure");
		tls_free(warm);
	}

	if (geteuid() == 0) {
		if ((pw = getpwnam(options_user(o))) == NULL)
			fatalx("unknown user %s", options_user(o));
		privdrop(pw, EMPTY_DIR);
	}
	sandbox_puppet(o->no_seccomp);

	(void)pchan_open(base, LINE_MAX_NETD, chan_line, chan_event);
	evtimer_set(&ev_sync, sync_timer, NULL);
	evtimer_set(&ev_add, add_tick, NULL);
	if (nremotes > 0)
		sync_start();		/* the seed's pre_initialize */
	event_dispatch();
	exit(0);
}

/* The remote masters: --puppet-master, or else puppetmasters.txt. */
static void
puppet_config(const struct options *o)
{
	struct puppet_remote	 r[PUPPET_REMOTES_MAX];
	char			 err[512];
	int			 i, n = 0;

	interval = o->puppet_interval;
	run_once = o->puppet_run_once;
	max_servers = (size_t)o->puppet_max_servers;
	if (o->puppet_protocol != NULL)
		protocol = o->puppet_protocol;
	memset(r, 0, sizeof(r));
	r[0].port = o->puppet_port != 0 ? o->puppet_port : PUPPET_DEFAULT_PORT;
	if (o->puppet_master != NULL) {
		if (remote_parse_url(o->puppet_master, r[0].port, &r[0], err,
		    sizeof(err)) == 0 && remote_parse_host(o->puppet_master,
		    &r[0], err, sizeof(err)) == -1)
			fatalx("--puppet-master: %s", err);
		n = 1;
	} else if (remotes_load(PUPPET_FILE, r, &n, err, sizeof(err)) == -1)
		log_warnx("%s", err);
	for (i = 0; i < n; i++) {
		remotes[i].conf = r[i];
		remotes[i].conn = r[i].conn;
		if (remotes[i].conn == CONN_DEFAULT)
			remotes[i].conn = o->puppet_use_ws ? CONN_WS :
			    CONN_AUTO;
		log_verbose("remote master %s:%u, %s, %s %s", r[i].host,
		    r[i].port, remote_conn_name(remotes[i].conn),
		    r[i].ext ? "getserversExt" : "getservers",
		    r[i].protocol[0] != '\0' ? r[i].protocol : protocol);
	}
	nremotes = n;
}

/* ---- the channel to netd ---- */

/* End of file: the daemon stops (the seed's cleanup()), or netd went. */
static void
chan_event(struct bufferevent *bev __unused, short what, void *arg __unused)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		log_debug("channel closed: exiting");
		exit(0);
	}
}

static void
chan_line(char *line)
{
	char	*f[16], *p = line;
	int	 n = 0;

	while (n < (int)(sizeof(f) / sizeof(f[0])) - 1 &&
	    (f[n] = strsep(&p, "|")) != NULL)
		n++;
	if (p != NULL)
		f[n++] = p;	/* the rest, unsplit */
	if (n >= 3 && strcmp(f[0], "config") == 0) {
		if (strcmp(f[2], "ready") == 0 && !configured) {
			configured = 1;
			pchan_send("register|report|server\nregister|ready\n");
		} else if (strcmp(f[2], "initialize") == 0)
			initialized = 1;
		return;
	}
	if (n >= 4 && strcmp(f[0], "report") == 0) {
		report_line(f, n);
		return;
	}
	if (n >= 4 && strcmp(f[0], "response") == 0) {
		response_line(f, n);
		return;
	}
	/* Nothing else is ours: filters were never asked for. */
}

/* report|1|time|event|addr|transport|label|... */
static void
report_line(char **f, int n)
{
	struct tserver	 key, *t;

	if (strcmp(f[3], "snapshot-end") == 0) {
		if (!have_table) {
			have_table = 1;
			if (sync_fetched)
				sync_apply();
		}
		return;
	}
	if (strcmp(f[3], "lost") == 0) {
		/* Reports went missing: the table is asked for again. */
		pchan_send("request|snapshot|snapshot\n");
		return;
	}
	if (n < 6)
		return;
	memset(&key, 0, sizeof(key));
	if (addr_parse(f[4], &key.addr) == -1)
		return;
	if (strcmp(f[3], "server-add") == 0 ||
	    strcmp(f[3], "server-update") == 0) {
		if (n < 7)
			return;
		if ((t = RB_FIND(table, &table, &key)) == NULL) {
			if ((t = calloc(1, sizeof(*t))) == NULL)
				fatal(NULL);
			t->addr = key.addr;
			RB_INSERT(table, &table, t);
		}
		t->puppet = strcmp(f[6], PUPPET_LABEL) == 0;
	} else if (strcmp(f[3], "server-remove") == 0) {
		if ((t = RB_FIND(table, &table, &key)) != NULL) {
			RB_REMOVE(table, &table, t);
			free(t);
		}
	}
}

/* response|1|TOKEN|ok... or error|MESSAGE; ours are aN-R (remote R). */
static void
response_line(char **f, int n)
{
	const char	*dash;
	int		 r;

	if (f[2][0] != 'a' || (dash = strchr(f[2], '-')) == NULL)
		return;
	r = atoi(dash + 1);
	if (r < 0 || r >= nremotes || add_waiting == 0)
		return;
	add_waiting--;
	if (n >= 4 && strcmp(f[3], "ok") == 0)
		remotes[r].added++;
	else {
		remotes[r].failed++;
		if (n >= 5 && remotes[r].why[0] == '\0')
			(void)snprintf(remotes[r].why, sizeof(remotes[r].why),
			    "add-server: %s", f[4]);
	}
	if (add_waiting == 0 && addq_next == naddq)
		sync_end();
}

/* ---- a sync ---- */

static void
sync_timer(int fd __unused, short ev __unused, void *arg __unused)
{
	struct timespec	 now;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	if (syncing && addq_next == naddq && add_waiting > 0 &&
	    now.tv_sec - last_add.tv_sec >= 10) {
		/* Every add-server sent 10 s ago: the answers are lost. */
		log_warnx("sync %d: %zu add-server requests unanswered",
		    nsyncs, add_waiting);
		add_waiting = 0;
		sync_end();
	}
	if (syncing) {
		log_debug("sync %d still running after %d seconds: the next "
		    "starts when it ends", nsyncs, interval);
		sync_due = 1;
		return;
	}
	sync_start();
}

static void
sync_start(void)
{
	struct evutil_addrinfo	 hints;
	struct timeval		 tv = { interval, 0 };
	struct remote		*r;
	char			 port[8];
	int			 i;

	syncing = 1;
	sync_fetched = 0;
	nsyncs++;
	(void)clock_gettime(CLOCK_MONOTONIC, &sync_started);
	if (!run_once)
		evtimer_add(&ev_sync, &tv);
	for (i = 0; i < nremotes; i++) {
		r = &remotes[i];
		r->done = 0;
		r->have_res = 0;
		r->seen = r->added = r->failed = r->dup = r->s_master =
		    r->s_tracked = r->s_label = r->s_unusable = r->s_over =
		    r->names_unresolved = 0;
		r->why[0] = '\0';
		r->res_conn = r->conn;
		free(r->cur);
		r->cur = NULL;
		r->ncur = 0;
	}
	/* Apart: evdns may answer a numeric host from inside the call. */
	for (i = 0; i < nremotes; i++) {
		r = &remotes[i];
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_DGRAM;
		(void)snprintf(port, sizeof(port), "%u", r->conf.port);
		r->dns = evdns_getaddrinfo(dns, r->conf.host, port, &hints,
		    remote_resolved, r);
	}
}

/* The remote's own addresses: the first is asked, all are skipped. */
static void
remote_resolved(int result, struct evutil_addrinfo *res, void *arg)
{
	struct remote		*r = arg;
	struct evutil_addrinfo	*ai;
	struct ipc_addr		 a;

	r->dns = NULL;
	free(r->addrs);
	r->addrs = NULL;
	r->naddrs = 0;
	if (result != 0) {
		(void)snprintf(r->why, sizeof(r->why), "cannot resolve %s: %s",
		    r->conf.host, evutil_gai_strerror(result));
		remote_done(r);
		return;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if (addr_from_sa(&a, ai->ai_addr) == 0)
			(void)addr_push(&r->addrs, &r->naddrs, &a);
	evutil_freeaddrinfo(res);
	if (r->naddrs == 0) {
		(void)snprintf(r->why, sizeof(r->why), "%s has no address",
		    r->conf.host);
		remote_done(r);
		return;
	}
	switch (r->conn) {
	case CONN_AUTO:
		r->fetch[0] = fetch_start(&r->conf, CONN_UDP, &r->addrs[0],
		    protocol, FETCH_TIMEOUT, tls_conf, remote_fetched, r);
		r->fetch[1] = fetch_start(&r->conf, CONN_WS, &r->addrs[0],
		    protocol, FETCH_TIMEOUT, tls_conf, remote_fetched, r);
		break;
	default:
		r->fetch[0] = fetch_start(&r->conf, r->conn, &r->addrs[0],
		    protocol, FETCH_TIMEOUT, tls_conf, remote_fetched, r);
		break;
	}
	if (r->fetch[0] == NULL && r->fetch[1] == NULL) {
		(void)snprintf(r->why, sizeof(r->why), "socket: %s",
		    strerror(errno));
		remote_done(r);
	}
}

/* The result of f becomes the remote's; f is freed. */
static void
remote_take(struct remote *r, struct fetch *f)
{
	struct fetch_result	*res = fetch_result(f);

	fetch_result_clear(&r->res);
	r->res = *res;
	r->res_conn = fetch_conn(f);
	r->have_res = 1;
	res->entries = NULL;
	res->names = NULL;
	res->nentries = res->nnames = 0;
	fetch_cancel(f);
}

/*
 * A fetch ended.  With auto, the first complete list wins and the other
 * request is dropped; else the better of the two is kept.
 */
static void
remote_fetched(struct fetch *f, void *arg)
{
	struct remote			*r = arg;
	struct fetch_result		*res = fetch_result(f);
	struct fetch			*other;
	struct evutil_addrinfo		 hints;
	struct name_query		*q;
	char				 port[8];
	size_t				 i;
	int				 me;

	me = r->fetch[0] == f ? 0 : 1;
	r->fetch[me] = NULL;
	other = r->fetch[!me];
	log_debug("%s:%u over %s: %s, %zu packets, %zu entries%s%s",
	    r->conf.host, r->conf.port, remote_conn_name(fetch_conn(f)),
	    fetch_status_name(res->status), res->packets,
	    res->nentries + res->nnames, res->error[0] != '\0' ? ": " : "",
	    res->error);
	if (res->status == FETCH_COMPLETE || other == NULL ||
	    !r->have_res || res->status < r->res.status ||
	    (res->status == r->res.status &&
	    res->nentries + res->nnames > r->res.nentries + r->res.nnames)) {
		if (!r->have_res || res->status != FETCH_FAILED ||
		    r->res.status == FETCH_FAILED)
			remote_take(r, f);
		else
			fetch_cancel(f);
	} else
		fetch_cancel(f);
	if (other != NULL) {
		if (r->res.status != FETCH_COMPLETE)
			return;		/* the other may do better */
		fetch_cancel(other);
		r->fetch[!me] = NULL;
	}
	if (r->res.status == FETCH_FAILED && r->res.error[0] != '\0')
		(void)strlcpy(r->why, r->res.error, sizeof(r->why));
	else if (r->res.status == FETCH_PARTIAL)
		(void)snprintf(r->why, sizeof(r->why), "partial list%s%s",
		    r->res.error[0] != '\0' ? ": " : "", r->res.error);

	r->seen = r->res.nentries + r->res.nnames;
	r->s_label = r->res.skipped_label;
	for (i = 0; i < r->res.nentries; i++)
		if (addr_push(&r->cur, &r->ncur, &r->res.entries[i]) == -1)
			break;
	/*
	 * Web entries name their hosts: resolved here, a bounded number.
	 * evdns answers numeric names and /etc/hosts at once, from inside
	 * evdns_getaddrinfo(): the loop holds a count of its own meanwhile.
	 */
	r->pending_names++;
	for (i = 0; i < r->res.nnames; i++) {
		if (i >= NAMES_MAX) {
			r->names_unresolved += r->res.nnames - i;
			break;
		}
		if ((q = calloc(1, sizeof(*q))) == NULL)
			fatal(NULL);
		q->r = r;
		q->port = r->res.names[i].port;
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_DGRAM;
		(void)snprintf(port, sizeof(port), "%u", ntohs(q->port));
		r->pending_names++;
		(void)evdns_getaddrinfo(dns, r->res.names[i].name, port,
		    &hints, name_resolved, q);
	}
	if (--r->pending_names == 0)
		remote_done(r);
}

static void
name_resolved(int result, struct evutil_addrinfo *res, void *arg)
{
	struct name_query	*q = arg;
	struct remote		*r = q->r;
	struct evutil_addrinfo	*ai;
	struct ipc_addr		 a;
	int			 any = 0;

	if (result == 0) {
		for (ai = res; ai != NULL; ai = ai->ai_next)
			if (addr_from_sa(&a, ai->ai_addr) == 0) {
				a.port = q->port;
				(void)addr_push(&r->cur, &r->ncur, &a);
				any = 1;
			}
		evutil_freeaddrinfo(res);
	}
	if (!any)
		r->names_unresolved++;
	free(q);
	if (--r->pending_names == 0)
		remote_done(r);
}

/*
 * The list of a remote for this sync: a complete answer replaces what it
 * listed before; a partial one, or none, adds to it and removes nothing.
 */
static void
remote_done(struct remote *r)
{
	size_t	 i;
	int	 j;

	if (r->done)
		return;
	r->done = 1;
	if (!r->have_res || r->res.status != FETCH_COMPLETE)
		for (i = 0; i < r->nlast && r->ncur < FETCH_ENTRIES_MAX; i++)
			if (addr_push(&r->cur, &r->ncur, &r->last[i]) == -1)
				break;
	/* Each address once; what did not fit is the oldest. */
	addrs_unique(r->cur, &r->ncur);
	free(r->last);
	r->last = r->cur;
	r->nlast = r->ncur;
	r->cur = NULL;
	r->ncur = 0;
	fetch_result_clear(&r->res);
	for (j = 0; j < nremotes; j++)
		if (!remotes[j].done)
			return;
	sync_fetched = 1;
	if (have_table)
		sync_apply();
}

static int
addr_cmp(const void *a, const void *b)
{
	return (memcmp(a, b, sizeof(struct ipc_addr)));
}

/* Sort v and drop the repeats. */
static void
addrs_unique(struct ipc_addr *v, size_t *n)
{
	size_t	 i, j;

	if (*n < 2)
		return;
	qsort(v, *n, sizeof(*v), addr_cmp);
	for (i = 1, j = 1; i < *n; i++)
		if (memcmp(&v[i], &v[j - 1], sizeof(*v)) != 0)
			v[j++] = v[i];
	*n = j;
}

/*
 * An address no game server has: unspecified, broadcast, multicast, or
 * this network.  A loopback address only from a remote master that is on
 * loopback itself: one on the internet may not make us challenge our own
 * host's ports.
 */
static int
addr_unusable(const struct ipc_addr *a, const struct remote *r)
{
	static const uint8_t	 v6zero[16], v6lo[16] = { [15] = 1 };
	int			 lo, rlo = 0;
	size_t			 i;

	if (a->family == AF_INET) {
		if (a->addr[0] == 0 || a->addr[0] >= 224)
			return (1);
		lo = a->addr[0] == 127;
	} else {
		if (memcmp(a->addr, v6zero, 16) == 0 || a->addr[0] == 0xff)
			return (1);
		lo = memcmp(a->addr, v6lo, 16) == 0;
	}
	if (!lo)
		return (0);
	for (i = 0; i < r->naddrs; i++)
		if ((r->addrs[i].family == AF_INET &&
		    r->addrs[i].addr[0] == 127) ||
		    (r->addrs[i].family == AF_INET6 &&
		    memcmp(r->addrs[i].addr, v6lo, 16) == 0))
			rlo = 1;
	return (!rlo);
}

/* Same host: the address without the port. */
static int
same_host(const struct ipc_addr *a, const struct ipc_addr *b)
{
	return (a->family == b->family && memcmp(a->addr, b->addr,
	    sizeof(a->addr)) == 0);
}

/*
 * Every list is in and netd's table is known: each address once, through
 * the guards, then to netd as add-server, a few at a time.
 */
static void
sync_apply(void)
{
	struct sentry	*s, *next;
	struct tserver	 key, *t;
	struct remote	*r;
	size_t		 i, k, queued[PUPPET_REMOTES_MAX];
	int		 j, m, skip;

	if (!syncing || !sync_fetched)
		return;
	memset(queued, 0, sizeof(queued));
	sync_fetched = 0;
	addq_reset();
	for (j = 0; j < nremotes; j++) {
		r = &remotes[j];
		for (i = 0; i < r->nlast; i++) {
			if ((s = calloc(1, sizeof(*s))) == NULL)
				fatal(NULL);
			s->addr = r->last[i];
			s->remote = j;
			if (RB_INSERT(syncset, &syncset, s) != NULL) {
				free(s);
				r->dup++;
			}
		}
	}
	for (s = RB_MIN(syncset, &syncset); s != NULL; s = next) {
		next = RB_NEXT(syncset, &syncset, s);
		r = &remotes[s->remote];
		skip = 0;
		if (addr_unusable(&s->addr, r)) {
			r->s_unusable++;
			skip = 1;
		}
		for (m = 0; m < nremotes && !skip; m++)
			for (k = 0; k < remotes[m].naddrs; k++)
				if (same_host(&s->addr, &remotes[m].addrs[k])) {
					r->s_master++;
					skip = 1;
					break;
				}
		memset(&key, 0, sizeof(key));
		key.addr = s->addr;
		if (!skip && (t = RB_FIND(table, &table, &key)) != NULL &&
		    !t->puppet) {
			r->s_tracked++;
			skip = 1;
		}
		/* What we challenge on one remote's word, in the set's order. */
		if (!skip && queued[s->remote] >= max_servers) {
			r->s_over++;
			skip = 1;
		}
		if (!skip) {
			queued[s->remote]++;
			if (naddq % 256 == 0) {
				void	*p1, *p2;

				p1 = reallocarray(addq, naddq + 256,
				    sizeof(*addq));
				p2 = p1 == NULL ? NULL : reallocarray(
				    addq_remote, naddq + 256,
				    sizeof(*addq_remote));
				if (p1 != NULL)
					addq = p1;
				if (p1 == NULL || p2 == NULL)
					fatal(NULL);
				addq_remote = p2;
			}
			addq[naddq] = s->addr;
			addq_remote[naddq++] = s->remote;
		}
		RB_REMOVE(syncset, &syncset, s);
		free(s);
	}
	if (naddq == 0) {
		sync_end();
		return;
	}
	add_tick(-1, 0, NULL);
}

/* At most ADD_PER_TICK add-server requests a tick, while netd reads. */
static void
add_tick(int fd __unused, short ev __unused, void *arg __unused)
{
	struct timeval	 tv = { 0, ADD_TICK_MS * 1000 };
	char		 a[ADDRSTRLEN];
	int		 n = 0;

	while (addq_next < naddq && n < ADD_PER_TICK &&
	    pchan_queued() <
	    OUT_QUEUE_MAX) {
		pchan_send("request|a%lu-%d|add-server|%s|" PUPPET_LABEL "\n",
		    ++token_seq, addq_remote[addq_next],
		    addr_str(&addq[addq_next], a, sizeof(a)));
		addq_next++;
		add_waiting++;
		n++;
	}
	(void)clock_gettime(CLOCK_MONOTONIC, &last_add);
	if (addq_next < naddq)
		evtimer_add(&ev_add, &tv);
}

/* One line a remote master at VERBOSE: what came, what went to netd. */
static void
sync_end(void)
{
	struct timespec	 now;
	struct remote	*r;
	double		 secs;
	int		 j;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	secs = (now.tv_sec - sync_started.tv_sec) +
	    (now.tv_nsec - sync_started.tv_nsec) / 1e9;
	for (j = 0; j < nremotes; j++) {
		r = &remotes[j];
		log_verbose("sync %d, %s:%u over %s: %zu entries, %zu added, "
		    "skipped %zu puppet label, %zu master address, %zu "
		    "tracked, %zu duplicate, %zu unusable, %zu over "
		    "--puppet-max-servers, %zu failed%s%s (%.2f s)",
		    nsyncs, r->conf.host, r->conf.port,
		    remote_conn_name(r->res_conn), r->seen, r->added, r->s_label,
		    r->s_master, r->s_tracked, r->dup, r->s_unusable, r->s_over,
		    r->failed +
		    r->names_unresolved, r->why[0] != '\0' ? "; " : "",
		    r->why, secs);
	}
	syncing = 0;
	addq_reset();
	/* A sync longer than the interval: the next one starts now. */
	if (sync_due) {
		struct timeval	 tv = { 0, 0 };

		sync_due = 0;
		evtimer_del(&ev_sync);
		evtimer_add(&ev_sync, &tv);
	}
}

/* The queue of add-server requests, emptied. */
static void
addq_reset(void)
{
	free(addq);
	free(addq_remote);
	addq = NULL;
	addq_remote = NULL;
	naddq = addq_next = 0;
}

/* Append a to the array; -1 when out of memory. */
static int
addr_push(struct ipc_addr **v, size_t *n, const struct ipc_addr *a)
{
	void	*p;

	if (*n % 64 == 0) {
		if ((p = reallocarray(*v, *n + 64, sizeof(**v))) == NULL)
			return (-1);
		*v = p;
	}
	(*v)[(*n)++] = *a;
	return (0);
}
