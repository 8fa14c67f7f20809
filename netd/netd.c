/*
 * netd: the unprivileged, chrooted network process.  It receives its
 * sockets, the data files and the saved server list from the parent, and
 * owns everything that reads the network.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/queue.h>

#include <netinet/in.h>

#include <errno.h>
#include <event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "netd.h"
#include "options.h"
#include "proto.h"
#include "util.h"

#define NETD_RECV_BATCH	64	/* datagrams read per wake-up */
#define NETD_MAX_PACKET	2048

struct netsock {
	TAILQ_ENTRY(netsock)	 entry;
	struct event		 ev;
	int			 fd;
	int			 role;
	int			 family;
	uint16_t		 port;
};

struct featured_addr {
	struct ipc_addr		 addr;
	size_t			 label;		/* index into labels */
};

/* The data files, as pushed by the parent. */
struct netd_files {
	struct ipc_label	*labels;
	size_t			 nlabels;
	struct featured_addr	*featured;
	size_t			 nfeatured;
	struct ipc_ignore	*ignore;
	size_t			 nignore;
	char			 motd[MAX_MOTD];
};

static TAILQ_HEAD(, netsock)	 socks = TAILQ_HEAD_INITIALIZER(socks);
static struct ipcev		 iev_main, iev_logd;
static struct event		 ev_sigterm;
static struct netd_files	 files, pending;
static struct ipc_addr		*servers;
static size_t			 nservers;
static int			 started, in_reconf, exiting, have_link;

static void	netd_sig_handler(int, short, void *);
static void	netd_dispatch_main(int, short, void *);
static void	netd_dispatch_logd(int, short, void *);
static void	netd_shutdown(void);
static void	netd_udp_read(int, short, void *);
static void	netd_add_socket(const struct ipc_socket *, int);
static void	files_clear(struct netd_files *);
static void	*append(void *, size_t *, size_t, const void *);

void
netd_main(const struct options *o)
{
	proc_start("netd", o->use_syslog, o->verbose, options_user(o),
	    o->jail != NULL ? o->jail : EMPTY_DIR);
	if (pledge("stdio inet recvfd", NULL) == -1)
		fatal("pledge");

	event_init();
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal_set(&ev_sigterm, SIGTERM, netd_sig_handler, NULL);
	signal_add(&ev_sigterm, NULL);

	ipcev_init(&iev_main, PARENT_SOCK_FILENO, "parent",
	    netd_dispatch_main, NULL);
	iev_main.peer_pid = getppid();
	ipc_allow_fdpass(&iev_main.ibuf);
	iev_logd.ibuf.fd = -1;
	ipcev_add(&iev_main);

	event_dispatch();
	exit(0);
}

static void
netd_sig_handler(int sig, short event __unused, void *arg __unused)
{
	if (sig == SIGTERM)
		netd_shutdown();
}

/* Append one element to a growing array; fatal when out of memory. */
static void *
append(void *array, size_t *n, size_t size, const void *elem)
{
	u_char	*p;

	if ((p = reallocarray(array, *n + 1, size)) == NULL)
		fatal(NULL);
	memcpy(p + *n * size, elem, size);
	(*n)++;
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

/* Hand the server list to the parent to be written, then exit. */
static void
netd_shutdown(void)
{
	size_t	 i;

	if (exiting)
		return;
	exiting = 1;
	log_debug("shutting down, handing %zu servers to the parent",
	    nservers);
	if (iev_main.ibuf.fd == -1)
		exit(0);
	for (i = 0; i < nservers; i++)
		if (ipcev_compose(&iev_main, IMSG_SERVER, 0, -1, &servers[i],
		    sizeof(servers[i])) == -1)
			fatal("%s", __func__);
	if (ipcev_compose(&iev_main, IMSG_SERVERS_END, 0, -1, NULL, 0) == -1)
		fatal("%s", __func__);
	if (iev_logd.ibuf.fd != -1)
		(void)ipc_write(&iev_logd.ibuf);
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
	TAILQ_INSERT_TAIL(&socks, ns, entry);
	if (ns->role != SOCK_WEBSOCKET) {
		event_set(&ns->ev, fd, EV_READ | EV_PERSIST, netd_udp_read,
		    ns);
		if (event_add(&ns->ev, NULL) == -1)
			fatal("event_add");
	}
	log_debug("%s %s port %u", family_name(ns->family),
	    ns->role == SOCK_REQUEST ? "request" : ns->role ==
	    SOCK_CHALLENGE ? "challenge" : "websocket", ns->port);
}

/*
 * Drain a UDP socket, a batch at a time.  The game protocol comes with the
 * next step; for now a datagram is only checked and logged.
 */
static void
netd_udp_read(int fd, short event __unused, void *arg)
{
	struct sockaddr_storage	 ss;
	struct ipc_addr		 a;
	socklen_t		 sslen;
	ssize_t			 n;
	u_char			 buf[NETD_MAX_PACKET + 1];
	char			 abuf[ADDRSTRLEN], vbuf[LOG_VISBUF];
	int			 i;

	(void)arg;
	for (i = 0; i < NETD_RECV_BATCH; i++) {
		sslen = sizeof(ss);
		n = recvfrom(fd, buf, sizeof(buf), 0,
		    (struct sockaddr *)&ss, &sslen);
		if (n == -1) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("recvfrom");
			return;
		}
		if (addr_from_sa(&a, (struct sockaddr *)&ss) == -1 ||
		    a.port == 0)
			continue;
		if (log_level_enabled(LOGLEVEL_DEBUG))
			log_debug("%s: %zd bytes: %s",
			    addr_str(&a, abuf, sizeof(abuf)), n,
			    log_vis(buf, n, vbuf, sizeof(vbuf)));
	}
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
	struct featured_addr	 fa;
	struct ipc_addr		 a;
	int			 shut;

	ipcev_handle(iev, event, &shut);
	while (ipcev_get(iev, &msg) == 1) {
		switch (msg.hdr.type) {
		case IMSG_SOCKET:
			ipc_check(&msg, iev->name, sizeof(sock), 1);
			if (started)
				fatalx("socket after startup");
			memcpy(&sock, msg.data, sizeof(sock));
			netd_add_socket(&sock, msg.fd);
			break;
		case IMSG_LINK:
			ipc_check(&msg, iev->name, sizeof(link), 1);
			if (started || have_link)
				fatalx("unexpected link to logd");
			memcpy(&link, msg.data, sizeof(link));
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
			ipc_check(&msg, iev->name, 0, 0);
			if (in_reconf)
				fatalx("nested reconfiguration");
			in_reconf = 1;
			files_clear(&pending);
			break;
		case IMSG_RECONF_LABEL:
			ipc_check(&msg, iev->name, sizeof(label), 0);
			memcpy(&label, msg.data, sizeof(label));
			if (!in_reconf ||
			    memchr(label.label, '\0', sizeof(label.label)) ==
			    NULL)
				fatalx("bad featured label");
			pending.labels = append(pending.labels,
			    &pending.nlabels, sizeof(label), &label);
			break;
		case IMSG_RECONF_FEATURED:
			ipc_check(&msg, iev->name, sizeof(a), 0);
			memcpy(&fa.addr, msg.data, sizeof(fa.addr));
			if (!in_reconf || pending.nlabels == 0 ||
			    (fa.addr.family != AF_INET &&
			    fa.addr.family != AF_INET6))
				fatalx("bad featured address");
			fa.label = pending.nlabels - 1;
			pending.featured = append(pending.featured,
			    &pending.nfeatured, sizeof(fa), &fa);
			break;
		case IMSG_RECONF_IGNORE:
			ipc_check(&msg, iev->name, sizeof(ig), 0);
			memcpy(&ig, msg.data, sizeof(ig));
			if (!in_reconf ||
			    ((ig.addr.family != AF_INET || ig.prefixlen > 32) &&
			    (ig.addr.family != AF_INET6 ||
			    ig.prefixlen > 128)))
				fatalx("bad ignore entry");
			pending.ignore = append(pending.ignore,
			    &pending.nignore, sizeof(ig), &ig);
			break;
		case IMSG_RECONF_MOTD:
			ipc_check(&msg, iev->name, sizeof(motd), 0);
			memcpy(&motd, msg.data, sizeof(motd));
			if (!in_reconf ||
			    memchr(motd.text, '\0', sizeof(motd.text)) == NULL)
				fatalx("bad motd");
			memcpy(pending.motd, motd.text, sizeof(pending.motd));
			break;
		case IMSG_RECONF_END:
			ipc_check(&msg, iev->name, 0, 0);
			if (!in_reconf)
				fatalx("reconfiguration end without start");
			in_reconf = 0;
			files_clear(&files);
			files = pending;
			memset(&pending, 0, sizeof(pending));
			log_info("data files: %zu featured servers in %zu "
			    "groups, %zu ignore entries, motd of %zu bytes",
			    files.nfeatured, files.nlabels, files.nignore,
			    strlen(files.motd));
			break;
		case IMSG_SERVER:
			ipc_check(&msg, iev->name, sizeof(a), 0);
			memcpy(&a, msg.data, sizeof(a));
			if (started ||
			    (a.family != AF_INET && a.family != AF_INET6))
				fatalx("bad saved server");
			servers = append(servers, &nservers, sizeof(a), &a);
			break;
		case IMSG_SERVERS_END:
			ipc_check(&msg, iev->name, 0, 0);
			if (started)
				fatalx("server list after startup");
			log_info("%zu saved servers", nservers);
			break;
		case IMSG_STARTUP:
			ipc_check(&msg, iev->name, 0, 0);
			if (started || in_reconf || !have_link)
				fatalx("unexpected startup");
			started = 1;
			if (pledge("stdio inet", NULL) == -1)
				fatal("pledge");
			log_debug("started");
			break;
		case IMSG_SHUTDOWN:
			ipc_check(&msg, iev->name, 0, 0);
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

	ipcev_handle(iev, event, &shut);
	while (ipcev_get(iev, &msg) == 1)
		fatalx("unexpected %s from logd", ipc_typename(msg.hdr.type));
	if (shut) {
		log_warnx("lost connection to logd");
		ipcev_del(iev);
		(void)close(iev->ibuf.fd);
		iev->ibuf.fd = -1;
		return;
	}
	ipcev_add(iev);
}
