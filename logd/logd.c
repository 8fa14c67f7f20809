/*
 * logd: the unprivileged process that owns the statistics database.  It
 * hears from the parent (startup, shutdown) and from netd, over a direct
 * link, the records to store.
 */

#include "compat.h"

#include <sys/types.h>

#include <sys/socket.h>

#include <event.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "logd.h"
#include "options.h"
#include "proto.h"
#include "util.h"

static struct ipcev	 iev_main, iev_netd;
static struct event	 ev_sigterm;
static int		 started, have_link, netd_hello;
static unsigned long long nclients, ngames;

static void	logd_sig_handler(int, short, void *);
static void	logd_dispatch_main(int, short, void *);
static void	logd_dispatch_netd(int, short, void *);
static void	logd_shutdown(void) __dead;
static void	logd_client(const struct ipc_msg *);
static void	logd_game(const struct ipc_msg *);

void
logd_main(const struct options *o)
{
	char	 datadir[PATH_MAX];

	if (options_datadir(o, datadir, sizeof(datadir)) == -1)
		fatal("data directory");
	proc_start("logd", o->use_syslog, o->verbose, options_user(o),
	    datadir);
	if (pledge("stdio rpath wpath cpath flock recvfd", NULL) == -1)
		fatal("pledge");

	event_init();
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal_set(&ev_sigterm, SIGTERM, logd_sig_handler, NULL);
	signal_add(&ev_sigterm, NULL);

	ipcev_init(&iev_main, PARENT_SOCK_FILENO, "parent",
	    logd_dispatch_main, NULL);
	iev_main.peer_pid = getppid();
	ipc_allow_fdpass(&iev_main.ibuf);
	iev_netd.ibuf.fd = -1;
	ipcev_add(&iev_main);

	event_dispatch();
	logd_shutdown();
}

static void
logd_sig_handler(int sig, short event __unused, void *arg __unused)
{
	if (sig == SIGTERM)
		logd_shutdown();
}

/* Store what netd sent, close the database, exit. */
static void
logd_shutdown(void)
{
	if (iev_netd.ibuf.fd != -1) {
		if (ipc_read(&iev_netd.ibuf) == 1)
			logd_dispatch_netd(iev_netd.ibuf.fd, 0, NULL);
	}
	log_verbose("exiting: %llu client and %llu game records received",
	    nclients, ngames);
	exit(0);
}

static void
logd_dispatch_main(int fd __unused, short event, void *arg __unused)
{
	struct ipcev	*iev = &iev_main;
	struct ipc_msg	 msg;
	struct ipc_link	 link;
	int		 shut;

	ipcev_handle(iev, event, &shut);
	while (ipcev_get(iev, &msg) == 1) {
		switch (msg.hdr.type) {
		case IMSG_LINK:
			ipc_check(&msg, iev->name, sizeof(link), 1);
			if (started || have_link)
				fatalx("unexpected link to netd");
			memcpy(&link, msg.data, sizeof(link));
			have_link = 1;
			ipcev_init(&iev_netd, msg.fd, "netd",
			    logd_dispatch_netd, NULL);
			iev_netd.peer_pid = link.peer_pid;
			ipcev_add(&iev_netd);
			break;
		case IMSG_STARTUP:
			ipc_check(&msg, iev->name, 0, 0);
			if (started || !have_link)
				fatalx("unexpected startup");
			started = 1;
			if (pledge("stdio rpath wpath cpath flock", NULL) == -1)
				fatal("pledge");
			log_debug("started");
			break;
		case IMSG_SHUTDOWN:
			ipc_check(&msg, iev->name, 0, 0);
			logd_shutdown();
			break;
		default:
			fatalx("unexpected %s from the parent",
			    ipc_typename(msg.hdr.type));
		}
	}
	if (shut) {
		log_debug("parent is gone");
		logd_shutdown();
	}
	ipcev_add(iev);
}

/* A client record from getmotd, checked field by field. */
static void
logd_client(const struct ipc_msg *msg)
{
	struct ipc_stat_client	 st;
	char			 abuf[ADDRSTRLEN], v[LOG_VISBUF], r[LOG_VISBUF];

	ipc_check(msg, "netd", sizeof(st), 0);
	memcpy(&st, msg->data, sizeof(st));
	if ((st.addr.family != AF_INET && st.addr.family != AF_INET6) ||
	    memchr(st.version, '\0', sizeof(st.version)) == NULL ||
	    memchr(st.renderer, '\0', sizeof(st.renderer)) == NULL)
		fatalx("malformed client record from netd");
	nclients++;
	if (log_level_enabled(LOGLEVEL_DEBUG))
		log_debug("client %s: version \"%s\", renderer \"%s\"",
		    addr_str(&st.addr, abuf, sizeof(abuf)),
		    log_vis(st.version, strlen(st.version), v, sizeof(v)),
		    log_vis(st.renderer, strlen(st.renderer), r, sizeof(r)));
}

/* A game record from gamestat. */
static void
logd_game(const struct ipc_msg *msg)
{
	struct ipc_stat_game	 st;
	char			 abuf[ADDRSTRLEN], d[LOG_VISBUF];

	ipc_check(msg, "netd", sizeof(st), 0);
	memcpy(&st, msg->data, sizeof(st));
	if ((st.addr.family != AF_INET && st.addr.family != AF_INET6) ||
	    st.len > sizeof(st.data))
		fatalx("malformed game record from netd");
	ngames++;
	if (log_level_enabled(LOGLEVEL_DEBUG))
		log_debug("game %s at %lld: %s",
		    addr_str(&st.addr, abuf, sizeof(abuf)),
		    (long long)st.time, log_vis(st.data, st.len, d,
		    sizeof(d)));
}

static void
logd_dispatch_netd(int fd __unused, short event, void *arg __unused)
{
	struct ipcev	*iev = &iev_netd;
	struct ipc_msg	 msg;
	int		 shut = 0;

	if (event != 0)
		ipcev_handle(iev, event, &shut);
	while (ipcev_get(iev, &msg) == 1) {
		switch (msg.hdr.type) {
		case IMSG_HELLO:
			ipc_check(&msg, iev->name, 0, 0);
			if (netd_hello)
				fatalx("second hello from netd");
			netd_hello = 1;
			log_debug("link to netd is up");
			break;
		case IMSG_STAT_CLIENT:
			logd_client(&msg);
			break;
		case IMSG_STAT_GAME:
			logd_game(&msg);
			break;
		default:
			fatalx("unexpected %s from netd",
			    ipc_typename(msg.hdr.type));
		}
	}
	if (event == 0)
		return;
	if (shut) {
		log_debug("netd closed the link");
		ipcev_del(iev);
		(void)close(iev->ibuf.fd);
		iev->ibuf.fd = -1;
		return;
	}
	ipcev_add(iev);
}
