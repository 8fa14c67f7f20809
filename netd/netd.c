/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * netd: the unprivileged, chrooted network process.  It receives its
 * sockets, the data files and the saved server list from the parent, owns
 * the server table, and hands statistics records to logd.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/queue.h>
#include <sys/resource.h>

#include <netinet/in.h>

#include <errno.h>
#include <event.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "files.h"
#include "ipc.h"
#include "log.h"
#include "netd.h"
#include "options.h"
#include "osdep.h"
#include "tremmasterd.h"
#include "util.h"

#define EXPIRE_INTERVAL		1	/* seconds between expiry runs */
#define SAVE_INTERVAL		300	/* seconds between list saves */
#define SUMMARY_INTERVAL	60	/* seconds between drop summaries */
#define LOGD_QUEUE_MAX		(4 * 1024 * 1024)	/* bytes to logd */

struct netsock_head	 netd_socks = TAILQ_HEAD_INITIALIZER(netd_socks);
struct netd_conf	 netd_conf;
struct netd_files	 netd_files;
struct netd_drops	 netd_drops;
static struct netd_drops drops_before;	/* summed up before the last minute */

static struct ipcev	 iev_main, iev_logd;
static struct event	 ev_sigterm, ev_expire, ev_save, ev_summary;
static struct netd_files pending;
static struct ipc_addr	*saved;
static size_t		 nsaved;
static int64_t		 saved_until;	/* ms: saved, not answered yet */
static int		 started, in_reconf, exiting, have_link, have_tls;
static int		 no_seccomp;
static u_char		*tls_cert, *tls_key;
static size_t		 tls_cert_len, tls_key_len;

static void	netd_sig_handler(int, short, void *);
static void	netd_dispatch_main(int, short, void *);
static void	netd_dispatch_logd(int, short, void *);
static void	netd_shutdown(void);
static void	netd_send_servers(void);
static void	netd_send_server(struct server *, void *);
static void	netd_expire_timer(int, short, void *);
static void	netd_save_timer(int, short, void *);
static void	netd_summary_timer(int, short, void *);
static void	netd_add_socket(const struct ipc_socket *, int);
static void	netd_reconf_end(void);
static void	netd_startup(void);
static void	files_clear(struct netd_files *);
static void	*append(void *, size_t *, size_t, const void *);
static u_char	*tls_append(u_char *, size_t *, const struct ipc_chunk *);
static void	 netd_status(void);
static void	 netd_proxies(const struct options *);
static void	 status_count(struct server *, void *);

void
netd_main(const struct options *o)
{
	struct rlimit	 rl;

	/* Each WebSocket connection is a descriptor: take all we may. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	proc_start("netd", o->use_syslog, o->verbose, options_user(o),
	    options_netd_root(o));
	if (pledge("stdio inet recvfd", NULL) == -1)
		fatal("pledge");

	no_seccomp = o->no_seccomp;
	netd_conf.max_servers = o->max_servers;
	netd_conf.max_per_ip = o->max_per_ip;
	netd_conf.challenge_timeout = o->challenge_timeout;
	netd_conf.server_timeout = o->server_timeout;
	netd_conf.throttle_burst = o->throttle_burst;
	netd_conf.throttle_rate = o->throttle_rate;
	netd_conf.ipv6_prefix = o->ipv6_prefix;
	netd_conf.answer_budget = o->answer_budget;
	netd_conf.challenge_burst = o->challenge_burst;
	netd_conf.ws_max_conns = o->ws_max_conns;
	netd_conf.ws_max_per_ip = o->ws_max_per_ip;
	netd_conf.ws_handshake_timeout = o->ws_handshake_timeout;
	netd_conf.ws_idle_timeout = o->ws_idle_timeout;
	netd_conf.ws_max_message = o->ws_max_message;
	netd_proxies(o);

	if (sodium_init() == -1)
		fatalx("sodium_init");
	challenge_init();
	throttle_init();

	event_init();
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal_set(&ev_sigterm, SIGTERM, netd_sig_handler, NULL);
	signal_add(&ev_sigterm, NULL);
	evtimer_set(&ev_expire, netd_expire_timer, NULL);
	evtimer_set(&ev_save, netd_save_timer, NULL);
	evtimer_set(&ev_summary, netd_summary_timer, NULL);

	ipcev_init(&iev_main, PARENT_SOCK_FILENO, "parent",
	    netd_dispatch_main, NULL);
	iev_main.peer_pid = getppid();
	ipc_allow_fdpass(&iev_main.ibuf);
	iev_logd.ibuf.fd = -1;
	ipcev_add(&iev_main);

	event_dispatch();
	exit(0);
}

/* --trusted-proxy: the parent checked every one. */
static void
netd_proxies(const struct options *o)
{
	struct ipc_ignore	 list[OPT_TRUSTED_MAX];
	int			 i;

	for (i = 0; i < o->ntrusted; i++) {
		if (ignore_token(o->trusted[i], &list[i]) == -1)
			fatalx("--trusted-proxy %s", o->trusted[i]);
		if (list[i].prefixlen == 0)
			log_warnx("--trusted-proxy %s trusts every address of "
			    "its family: any client there names its own "
			    "address", o->trusted[i]);
	}
	ws_proxy_init(list, (size_t)o->ntrusted, o->real_ip_header);
}

/*
 * Milliseconds on the monotonic clock: deadlines never follow the wall
 * clock.
 */
int64_t
netd_now(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void
netd_sig_handler(int sig, short event __unused, void *arg __unused)
{
	if (sig == SIGTERM)
		netd_shutdown();
}

/* The table's periodic work: expiry and the probes that are due. */
static void
netd_expire_timer(int fd __unused, short event __unused, void *arg __unused)
{
	struct timeval	 tv = { EXPIRE_INTERVAL, 0 };

	handle_tick(netd_now());
	plugin_tick(netd_now());
	evtimer_add(&ev_expire, &tv);
}

/* Hand the server list to the parent, which writes serverlist.txt. */
static void
netd_save_timer(int fd __unused, short event __unused, void *arg __unused)
{
	struct timeval	 tv = { SAVE_INTERVAL, 0 };

	netd_send_servers();
	evtimer_add(&ev_save, &tv);
}

/* One line for what the limits refused since the last one, if anything. */
static void
netd_summary_timer(int fd __unused, short event __unused, void *arg __unused)
{
	struct timeval	 tv = { SUMMARY_INTERVAL, 0 };

	if (netd_drops.servers > 0 || netd_drops.challenges > 0 ||
	    netd_drops.throttled > 0 || netd_drops.budget > 0 ||
	    netd_drops.gamestats > 0 || netd_drops.stats > 0)
		log_verbose("last %d seconds: %llu servers refused at the "
		    "limits, %llu heartbeats not challenged, %llu requests "
		    "throttled, %llu answers over the budget, %llu gamestats "
		    "refused, %llu statistics records dropped",
		    SUMMARY_INTERVAL,
		    (unsigned long long)netd_drops.servers,
		    (unsigned long long)netd_drops.challenges,
		    (unsigned long long)netd_drops.throttled,
		    (unsigned long long)netd_drops.budget,
		    (unsigned long long)netd_drops.gamestats,
		    (unsigned long long)netd_drops.stats);
	drops_before.servers += netd_drops.servers;
	drops_before.challenges += netd_drops.challenges;
	drops_before.throttled += netd_drops.throttled;
	drops_before.budget += netd_drops.budget;
	drops_before.gamestats += netd_drops.gamestats;
	drops_before.stats += netd_drops.stats;
	memset(&netd_drops, 0, sizeof(netd_drops));
	evtimer_add(&ev_summary, &tv);
}

/* The drops since start: the minutes summed up, and this one. */
void
netd_drops_total(struct netd_drops *d)
{
	d->servers = drops_before.servers + netd_drops.servers;
	d->challenges = drops_before.challenges + netd_drops.challenges;
	d->throttled = drops_before.throttled + netd_drops.throttled;
	d->budget = drops_before.budget + netd_drops.budget;
	d->gamestats = drops_before.gamestats + netd_drops.gamestats;
	d->stats = drops_before.stats + netd_drops.stats;
}

/*
 * Append one element to a growing array; fatal when out of memory.  The
 * room doubles each time the count reaches a power of two, so that an
 * ignore.txt of a million entries is not copied a million times.
 */
static void *
append(void *array, size_t *n, size_t size, const void *elem)
{
	u_char	*p = array;

	if (*n == 0 || (*n & (*n - 1)) == 0)
		if ((p = reallocarray(array, *n == 0 ? 1 : *n * 2, size)) ==
		    NULL)
			fatal(NULL);
	memcpy(p + *n * size, elem, size);
	(*n)++;
	return (p);
}

/* Servers by transport and by state, for netd_status(). */
struct status_counts {
	size_t	 udp, ws, empty, playing, full;
};

static void
status_count(struct server *sv, void *arg)
{
	struct status_counts	*n = arg;

	if (sv->ws)
		n->ws++;
	else
		n->udp++;
	if (sv->details.clients == 0)
		n->empty++;
	else if (sv->details.maxclients > 0 &&
	    sv->details.clients >= sv->details.maxclients)
		n->full++;
	else
		n->playing++;
}

/* SIGUSR1 to the parent: one line of what netd holds and has done. */
static void
netd_status(void)
{
	const struct netd_taken	*t = handle_taken();
	struct status_counts	 n;
	struct netd_drops	 d;
	size_t			 wsopen;
	uint64_t		 wsaccepted;

	memset(&n, 0, sizeof(n));
	sv_foreach(status_count, &n);
	netd_drops_total(&d);
	ws_counts(&wsopen, &wsaccepted);
	log_info("status: %zu servers (%zu UDP, %zu WebSocket; %zu empty, "
	    "%zu playing, %zu full), %zu WebSocket connections (%llu taken "
	    "since start); since start: %llu heartbeats, %llu getservers, "
	    "%llu getserversExt, %llu getmotd, %llu gamestat, %llu "
	    "infoResponse, %llu bad, %llu challenges sent; dropped: %llu "
	    "servers, %llu challenges, %llu throttled, %llu over budget, "
	    "%llu gamestat, %llu records", n.udp + n.ws, n.udp, n.ws,
	    n.empty, n.playing, n.full, wsopen,
	    (unsigned long long)wsaccepted,
	    (unsigned long long)t->heartbeats,
	    (unsigned long long)t->getservers,
	    (unsigned long long)t->getserversext,
	    (unsigned long long)t->getmotd,
	    (unsigned long long)t->gamestats,
	    (unsigned long long)t->inforesponses,
	    (unsigned long long)t->bad,
	    (unsigned long long)t->challenges,
	    (unsigned long long)d.servers,
	    (unsigned long long)d.challenges,
	    (unsigned long long)d.throttled,
	    (unsigned long long)d.budget,
	    (unsigned long long)d.gamestats,
	    (unsigned long long)d.stats);
}

/* Collect a key or chain, never past TLS_FILE_MAX. */
static u_char *
tls_append(u_char *buf, size_t *len, const struct ipc_chunk *c)
{
	u_char	*p;

	if (*len + c->len > TLS_FILE_MAX)
		fatalx("TLS key pair too large");
	if ((p = malloc(*len + c->len)) == NULL)
		fatal(NULL);
	if (buf != NULL) {
		memcpy(p, buf, *len);
		freezero(buf, *len);
	}
	memcpy(p + *len, c->data, c->len);
	*len += c->len;
	return (p);
}

static void
files_clear(struct netd_files *f)
{
	free(f->labels);
	free(f->featured);
	free(f->ignore);
	memset(f, 0, sizeof(*f));
}

static void
netd_send_server(struct server *sv, void *arg __unused)
{
	/* WebSocket servers come back on their own connection. */
	if (sv->ws)
		return;
	if (ipcev_compose(&iev_main, IMSG_SERVER, 0, -1, &sv->addr,
	    sizeof(sv->addr)) == -1)
		fatal("%s", __func__);
}

/* Every tracked server to the parent, which writes serverlist.txt. */
static void
netd_send_servers(void)
{
	size_t	 i;

	if (iev_main.ibuf.fd == -1)
		return;
	sv_foreach(netd_send_server, NULL);
	if (saved != NULL && (!started || netd_now() < saved_until)) {
		for (i = 0; i < nsaved; i++)
			if (sv_lookup(&saved[i], 0) == NULL &&
			    !ignore_match(&saved[i]) &&
			    ipcev_compose(&iev_main, IMSG_SERVER, 0, -1,
			    &saved[i], sizeof(saved[i])) == -1)
				fatal("%s", __func__);
	} else {
		free(saved);
		saved = NULL;
		nsaved = 0;
	}
	if (ipcev_compose(&iev_main, IMSG_SERVERS_END, 0, -1, NULL, 0) == -1)
		fatal("%s", __func__);
}

/* Hand the server list to the parent to be written, then exit. */
static void
netd_shutdown(void)
{
	if (exiting)
		return;
	exiting = 1;
	log_debug("shutting down, handing %zu servers to the parent",
	    sv_count());
	plugin_shutdown();
	if (iev_main.ibuf.fd == -1)
		exit(0);
	netd_send_servers();
	if (iev_logd.ibuf.fd != -1)
		(void)ipc_write(&iev_logd.ibuf);
}

/*
 * A statistics record for logd.  netd never waits for logd: when too much
 * is queued already, the record is dropped and counted.
 */
static int
netd_stat_room(void)
{
	if (iev_logd.ibuf.fd == -1 || iev_logd.ibuf.queued > LOGD_QUEUE_MAX) {
		netd_drops.stats++;
		return (0);
	}
	return (1);
}

void
netd_stat_client(const struct ipc_addr *a, const char *version,
    const char *renderer)
{
	struct ipc_stat_client	 st;

	if (!netd_stat_room())
		return;
	memset(&st, 0, sizeof(st));
	st.addr = *a;
	(void)strlcpy(st.version, version, sizeof(st.version));
	(void)strlcpy(st.renderer, renderer, sizeof(st.renderer));
	if (ipcev_compose(&iev_logd, IMSG_STAT_CLIENT, 0, -1, &st,
	    sizeof(st)) == -1)
		fatal("%s", __func__);
}

void
netd_stat_game(const struct ipc_addr *a, const u_char *data, size_t len)
{
	struct ipc_stat_game	 st;

	if (!netd_stat_room())
		return;
	memset(&st, 0, sizeof(st));
	st.addr = *a;
	st.time = (int64_t)time(NULL);
	if (len > sizeof(st.data))
		len = sizeof(st.data);
	st.len = (uint16_t)len;
	memcpy(st.data, data, len);
	if (ipcev_compose(&iev_logd, IMSG_STAT_GAME, 0, -1, &st,
	    sizeof(st)) == -1)
		fatal("%s", __func__);
}

static void
netd_add_socket(const struct ipc_socket *s, int fd)
{
	struct netsock	*ns;

	if (s->role >= SOCK_ROLE_MAX ||
	    (s->family != AF_INET && s->family != AF_INET6))
		fatalx("socket of role %u, family %u from the parent",
		    s->role, s->family);
	if ((ns = calloc(1, sizeof(*ns))) == NULL)
		fatal(NULL);
	ns->fd = fd;
	ns->role = s->role;
	ns->family = s->family;
	ns->port = s->port;
	TAILQ_INSERT_TAIL(&netd_socks, ns, entry);
	log_debug("%s %s port %u", family_name(ns->family),
	    ns->role == SOCK_REQUEST ? "request" : ns->role ==
	    SOCK_CHALLENGE ? "challenge" : "websocket", ns->port);
}

/* The new data files replace the old ones at once. */
static void
netd_reconf_end(void)
{
	files_clear(&netd_files);
	netd_files = pending;
	memset(&pending, 0, sizeof(pending));
	ignore_index_build(&netd_ignore, netd_files.ignore, netd_files.nignore);
	sv_relabel();
	sv_drop_ignored();
	plugin_files_reload();
	log_info("data files: %zu featured servers in %zu groups, %zu "
	    "ignore entries, motd of %zu bytes", netd_files.nfeatured,
	    netd_files.nlabels, netd_files.nignore, strlen(netd_files.motd));
}

/* Configuration is complete: start listening and challenge saved servers. */
static void
netd_startup(void)
{
	struct timeval	 tv = { 0, 0 };
	struct netsock	*ns;
	size_t		 i;

	started = 1;
	sandbox_netd(no_seccomp);
	TAILQ_FOREACH(ns, &netd_socks, entry) {
		if (ns->role != SOCK_WEBSOCKET)
			udp_start(ns);
		else
			ws_listen(ns);
	}
	for (i = 0; i < nsaved; i++)
		handle_saved_server(&saved[i]);
	log_info("%zu saved servers challenged", nsaved);
	/*
	 * Until their challenges expire, the saved servers that have not
	 * answered yet are still saved: a restart right after a start must
	 * not lose the list.
	 */
	saved_until = netd_now() + 2 * (int64_t)netd_conf.challenge_timeout *
	    1000;
	tv.tv_sec = EXPIRE_INTERVAL;
	evtimer_add(&ev_expire, &tv);
	tv.tv_sec = SAVE_INTERVAL;
	evtimer_add(&ev_save, &tv);
	tv.tv_sec = SUMMARY_INTERVAL;
	evtimer_add(&ev_summary, &tv);
	plugin_startup();
	log_debug("started");
}

/* A message to the parent; fatal when the channel cannot take it. */
void
netd_parent_send(uint32_t type, const void *data, size_t len)
{
	if (iev_main.ibuf.fd == -1)
		return;
	if (ipcev_compose(&iev_main, type, 0, -1, data, len) == -1)
		fatal("%s", __func__);
}

/*
 * The most verbose level of log line a plugin wants (-1: none), for the
 * parent and logd, which send theirs as IMSG_LOG.
 */
void
netd_log_level(int level)
{
	struct ipc_log_level	 ll;

	memset(&ll, 0, sizeof(ll));
	ll.level = level;
	if (iev_main.ibuf.fd != -1 && ipcev_compose(&iev_main,
	    IMSG_LOG_LEVEL, 0, -1, &ll, sizeof(ll)) == -1)
		fatal("%s", __func__);
	if (iev_logd.ibuf.fd != -1 && ipcev_compose(&iev_logd,
	    IMSG_LOG_LEVEL, 0, -1, &ll, sizeof(ll)) == -1)
		fatal("%s", __func__);
}

/* A log line of the parent or of logd, for the plugins. */
static void
netd_log_line(const struct ipc_msg *msg, const char *proc)
{
	struct ipc_log	 l;

	ipc_check(msg, proc, &l, sizeof(l), 0);
	if (l.level < LOGLEVEL_ALWAYS || l.level > LOGLEVEL_DEBUG ||
	    memchr(l.msg, '\0', sizeof(l.msg)) == NULL)
		fatalx("bad log line from %s", proc);
	plugin_log(proc, l.level, l.msg);
}

static void
netd_dispatch_main(int fd __unused, short event, void *arg __unused)
{
	struct ipcev		*iev = &iev_main;
	struct ipc_msg		 msg;
	struct ipc_socket	 sock;
	struct ipc_link		 link;
	struct ipc_label	 label;
	struct ipc_ignore	 ig;
	struct ipc_motd		 motd;
	struct ipc_plugin	 plugin;
	struct ipc_plugin_answer ans;
	struct ipc_plugin_rss	 rss;
	struct featured_addr	 fa;
	struct ipc_chunk	 chunk;
	struct ipc_addr		 a;
	int			 shut;

	shut = ipcev_handle(iev, event);
	while (ipcev_get(iev, &msg) == 1) {
		switch (msg.hdr.type) {
		case IMSG_SOCKET:
			ipc_check(&msg, iev->name, &sock, sizeof(sock), 1);
			if (started)
				fatalx("socket after startup");
			netd_add_socket(&sock, msg.fd);
			break;
		case IMSG_LINK:
			ipc_check(&msg, iev->name, &link, sizeof(link), 1);
			if (started || have_link)
				fatalx("unexpected link to logd");
			have_link = 1;
			ipcev_init(&iev_logd, msg.fd, "logd",
			    netd_dispatch_logd, NULL);
			iev_logd.peer_pid = link.peer_pid;
			if (ipcev_compose(&iev_logd, IMSG_HELLO, 0, -1, NULL,
			    0) == -1)
				fatal("compose hello");
			ipcev_add(&iev_logd);
			break;
		case IMSG_RECONF_START:
			ipc_check(&msg, iev->name, NULL, 0, 0);
			if (in_reconf)
				fatalx("nested reconfiguration");
			in_reconf = 1;
			files_clear(&pending);
			break;
		case IMSG_RECONF_LABEL:
			ipc_check(&msg, iev->name, &label, sizeof(label), 0);
			if (!in_reconf ||
			    memchr(label.label, '\0', sizeof(label.label)) ==
			    NULL || pending.nlabels >= INT16_MAX)
				fatalx("bad featured label");
			pending.labels = append(pending.labels,
			    &pending.nlabels, sizeof(label), &label);
			break;
		case IMSG_RECONF_FEATURED:
			ipc_check(&msg, iev->name, &fa.addr, sizeof(fa.addr),
			    0);
			if (!in_reconf || pending.nlabels == 0 ||
			    !ipc_addr_valid(&fa.addr))
				fatalx("bad featured address");
			fa.label = pending.nlabels - 1;
			pending.featured = append(pending.featured,
			    &pending.nfeatured, sizeof(fa), &fa);
			break;
		case IMSG_RECONF_IGNORE:
			ipc_check(&msg, iev->name, &ig, sizeof(ig), 0);
			if (!in_reconf || !ipc_addr_valid(&ig.addr) ||
			    ig.prefixlen > (ig.addr.family == AF_INET ? 32 :
			    128))
				fatalx("bad ignore entry");
			pending.ignore = append(pending.ignore,
			    &pending.nignore, sizeof(ig), &ig);
			break;
		case IMSG_RECONF_MOTD:
			ipc_check(&msg, iev->name, &motd, sizeof(motd), 0);
			if (!in_reconf ||
			    memchr(motd.text, '\0', sizeof(motd.text)) == NULL)
				fatalx("bad motd");
			memcpy(pending.motd, motd.text, sizeof(pending.motd));
			break;
		case IMSG_RECONF_END:
			ipc_check(&msg, iev->name, NULL, 0, 0);
			if (!in_reconf)
				fatalx("reconfiguration end without start");
			in_reconf = 0;
			netd_reconf_end();
			break;
		case IMSG_SERVER:
			ipc_check(&msg, iev->name, &a, sizeof(a), 0);
			if (started || !ipc_addr_valid(&a))
				fatalx("bad saved server");
			saved = append(saved, &nsaved, sizeof(a), &a);
			break;
		case IMSG_SERVERS_END:
			ipc_check(&msg, iev->name, NULL, 0, 0);
			if (started)
				fatalx("server list after startup");
			log_info("%zu saved servers", nsaved);
			break;
		case IMSG_TLS_CERT:
		case IMSG_TLS_KEY:
			ipc_check(&msg, iev->name, &chunk, sizeof(chunk), 0);
			explicit_bzero(msg.data, msg.datalen);
			/* After start-up: a new pair, on SIGHUP. */
			if ((started && !have_tls) || chunk.len == 0 ||
			    chunk.len > TLS_CHUNK)
				fatalx("bad TLS key pair from the parent");
			if (msg.hdr.type == IMSG_TLS_CERT)
				tls_cert = tls_append(tls_cert, &tls_cert_len,
				    &chunk);
			else
				tls_key = tls_append(tls_key, &tls_key_len,
				    &chunk);
			explicit_bzero(&chunk, sizeof(chunk));
			break;
		case IMSG_TLS_END:
			ipc_check(&msg, iev->name, NULL, 0, 0);
			if ((started && !have_tls) || tls_cert == NULL ||
			    tls_key == NULL)
				fatalx("bad TLS key pair from the parent");
			ws_tls_init(tls_cert, tls_cert_len, tls_key,
			    tls_key_len);
			freezero(tls_cert, tls_cert_len);
			freezero(tls_key, tls_key_len);
			tls_cert = tls_key = NULL;
			tls_cert_len = tls_key_len = 0;
			have_tls = 1;
			break;
		case IMSG_PLUGIN:
			ipc_check(&msg, iev->name, &plugin, sizeof(plugin), 1);
			plugin_attach(&plugin, msg.fd);
			break;
		case IMSG_LOG:
			netd_log_line(&msg, "master");
			break;
		case IMSG_PLUGIN_ANSWER:
			ipc_check(&msg, iev->name, &ans, sizeof(ans), 0);
			plugin_admin_answer(&ans);
			break;
		case IMSG_PLUGIN_RSS:
			ipc_check(&msg, iev->name, &rss, sizeof(rss), 0);
			plugin_processes_answer(&rss);
			break;
		case IMSG_STATUS:
			ipc_check(&msg, iev->name, NULL, 0, 0);
			netd_status();
			break;
		case IMSG_STARTUP:
			ipc_check(&msg, iev->name, NULL, 0, 0);
			if (started || in_reconf || !have_link)
				fatalx("unexpected startup");
			netd_startup();
			break;
		case IMSG_SHUTDOWN:
			ipc_check(&msg, iev->name, NULL, 0, 0);
			netd_shutdown();
			break;
		default:
			fatalx("unexpected %s from the parent",
			    ipc_typename(msg.hdr.type));
		}
	}
	if (shut) {
		log_debug("parent is gone");
		exit(0);
	}
	if (exiting && iev->ibuf.queued == 0)
		exit(0);
	ipcev_add(iev);
}

static void
netd_dispatch_logd(int fd __unused, short event, void *arg __unused)
{
	struct ipcev	*iev = &iev_logd;
	struct ipc_msg	 msg;
	int		 shut;

	shut = ipcev_handle(iev, event);
	while (ipcev_get(iev, &msg) == 1) {
		if (msg.hdr.type != IMSG_LOG)
			fatalx("unexpected %s from logd",
			    ipc_typename(msg.hdr.type));
		netd_log_line(&msg, "logd");
	}
	if (shut) {
		log_warnx("lost connection to logd");
		ipcev_del(iev);
		ipc_clear(&iev->ibuf);
		(void)close(iev->ibuf.fd);
		iev->ibuf.fd = -1;
		return;
	}
	ipcev_add(iev);
}
