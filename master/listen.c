/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The parent binds every socket before anything else happens, so that an
 * address in use reaches the operator's terminal.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "master.h"
#include "tremmasterd.h"
#include "util.h"

static int	listen_addr(int, const char *, const char *,
		    struct sockaddr_storage *, socklen_t *);
static int	listen_one(struct listener_head *, int, int,
		    const struct sockaddr_storage *, socklen_t, uint16_t);

static const char *role_names[] = { "udp", "udp challenge", "websocket" };

/* The wildcard or the address given with -l or -L, for family af. */
static int
listen_addr(int af, const char *opt, const char *host,
    struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct addrinfo	 hints, *res;
	int		 error;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = af;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_PASSIVE;
	if ((error = getaddrinfo(host, "0", &hints, &res)) != 0) {
		log_warnx("%s: cannot use \"%s\" as an %s address: %s", opt,
		    host != NULL ? host : "*", family_name(af),
		    gai_strerror(error));
		return (-1);
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return (0);
}

/* Bind one socket.  Returns 1 when the family is missing, -1 on error. */
static int
listen_one(struct listener_head *lh, int role, int af,
    const struct sockaddr_storage *base, socklen_t sslen, uint16_t port)
{
	struct sockaddr_storage	 ss = *base;
	struct listener		*l;
	struct ipc_addr		 a;
	char			 buf[ADDRSTRLEN];
	int			 fd, type, on = 1;

	if (af == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	(void)addr_from_sa(&a, (struct sockaddr *)&ss);
	type = role == SOCK_WEBSOCKET ? SOCK_STREAM : SOCK_DGRAM;
	if ((fd = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1) {
		if (errno == EAFNOSUPPORT)
			return (1);
		log_warn("socket for %s %s", role_names[role],
		    addr_str(&a, buf, sizeof(buf)));
		return (-1);
	}
	if (af == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
	    sizeof(on)) == -1) {
		log_warn("IPV6_V6ONLY");
		(void)close(fd);
		return (-1);
	}
	if (type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR,
	    &on, sizeof(on)) == -1) {
		log_warn("SO_REUSEADDR");
		(void)close(fd);
		return (-1);
	}
#ifdef IP_MTU_DISCOVER
	/*
	 * The challenge port sends only getinfo, a few dozen bytes that never
	 * need fragments: with DF set for good, Linux leaves the IP ID at 0
	 * (RFC 6864) instead of taking it from its shared, hashed generator
	 * for every datagram, a cost that shows under a heartbeat flood.
	 */
	if (role == SOCK_CHALLENGE && af == AF_INET) {
		int	 pmtu = IP_PMTUDISC_DO;

		if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu,
		    sizeof(pmtu)) == -1)
			log_warn("IP_MTU_DISCOVER");
	}
#endif
	if (bind(fd, (struct sockaddr *)&ss, sslen) == -1) {
		if (errno == EADDRNOTAVAIL && af == AF_INET6 &&
		    IN6_IS_ADDR_UNSPECIFIED(
		    &((struct sockaddr_in6 *)&ss)->sin6_addr)) {
			(void)close(fd);
			return (1);
		}
		log_warn("bind %s %s", role_names[role],
		    addr_str(&a, buf, sizeof(buf)));
		(void)close(fd);
		return (-1);
	}
	if (type == SOCK_STREAM && listen(fd, 128) == -1) {
		log_warn("listen %s", addr_str(&a, buf, sizeof(buf)));
		(void)close(fd);
		return (-1);
	}
	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal(NULL);
	l->fd = fd;
	l->role = role;
	l->family = af;
	l->port = port;
	TAILQ_INSERT_TAIL(lh, l, entry);
	log_debug("bound %s %s", role_names[role],
	    addr_str(&a, buf, sizeof(buf)));
	return (0);
}

/*
 * For each address family in use: the request ports, the challenge port
 * and the WebSocket ports.  A family the system lacks is skipped with a
 * warning unless it was asked for with -4 or -6.
 */
int
listen_open(const struct options *o, struct listener_head *lh)
{
	static const int	 families[] = { AF_INET, AF_INET6 };
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	const char		*host, *opt;
	size_t			 f;
	int			 af, i, r, missing;

	TAILQ_INIT(lh);
	for (f = 0; f < nitems(families); f++) {
		af = families[f];
		if (o->family != AF_UNSPEC && o->family != af)
			continue;
		host = af == AF_INET ? o->listen4 : o->listen6;
		opt = af == AF_INET ? "-l" : "-L";
		if (listen_addr(af, opt, host, &ss, &sslen) == -1)
			goto fail;
		missing = 0;
		for (i = 0; i < o->nports && !missing; i++) {
			if ((r = listen_one(lh, SOCK_REQUEST, af, &ss, sslen,
			    o->ports[i])) == -1)
				goto fail;
			missing = r;
		}
		if (!missing && (r = listen_one(lh, SOCK_CHALLENGE, af, &ss,
		    sslen, o->challenge_port)) == -1)
			goto fail;
		for (i = 0; o->use_ws && i < o->nws_ports && !missing; i++) {
			if ((r = listen_one(lh, SOCK_WEBSOCKET, af, &ss, sslen,
			    o->ws_ports[i])) == -1)
				goto fail;
		}
		if (missing) {
			if (o->family == af) {
				log_warnx("%s is not available on this system",
				    family_name(af));
				goto fail;
			}
			log_info("%s is not available, not listening on it",
			    family_name(af));
		}
	}
	if (TAILQ_EMPTY(lh)) {
		log_warnx("no address to listen on");
		return (-1);
	}
	return (0);
 fail:
	listen_close(lh);
	return (-1);
}

void
listen_close(struct listener_head *lh)
{
	struct listener	*l;

	while ((l = TAILQ_FIRST(lh)) != NULL) {
		TAILQ_REMOVE(lh, l, entry);
		if (l->fd != -1)
			(void)close(l->fd);
		free(l);
	}
}

/*
 * The REST API's sockets (--api-host, --api-port): one for each address
 * the host has, TCP, listening.  They go to the API plugin, not to netd.
 */
int
listen_api(const struct options *o, int *fds, int max, char *err,
    size_t errlen)
{
	struct addrinfo	 hints, *res, *ai;
	struct ipc_addr	 a;
	char		 port[8], buf[ADDRSTRLEN];
	int		 error, fd, n = 0, on = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = o->family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	(void)snprintf(port, sizeof(port), "%u", o->api_port);
	if ((error = getaddrinfo(o->api_host, port, &hints, &res)) != 0)
		return (seterr(err, errlen, "--api-host: cannot use \"%s\": %s",
		    o->api_host, gai_strerror(error)));
	for (ai = res; ai != NULL && n < max; ai = ai->ai_next) {
		if (addr_from_sa(&a, ai->ai_addr) == -1)
			continue;
		addr_str(&a, buf, sizeof(buf));
		if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1) {
			(void)seterr(err, errlen, "--api-host: socket for %s: "
			    "%s", buf, strerror(errno));
			goto fail;
		}
		/*
		 * TCP_NODELAY is inherited by the accepted connections: an
		 * answer's last segment must not wait for the client's
		 * delayed ACK (40 ms a request on Linux).
		 */
		if ((ai->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
		    IPV6_V6ONLY, &on, sizeof(on)) == -1) ||
		    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on)) == -1 || setsockopt(fd, IPPROTO_TCP,
		    TCP_NODELAY, &on, sizeof(on)) == -1) {
			(void)seterr(err, errlen, "--api-host: setsockopt for "
			    "%s: %s", buf, strerror(errno));
			(void)close(fd);
			goto fail;
		}
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
		    listen(fd, 128) == -1) {
			(void)seterr(err, errlen, "--api-host/--api-port: cannot "
			    "listen on %s: %s", buf, strerror(errno));
			(void)close(fd);
			goto fail;
		}
		fds[n++] = fd;
	}
	freeaddrinfo(res);
	if (n == 0)
		return (seterr(err, errlen, "--api-host: \"%s\" has no address "
		    "to listen on", o->api_host));
	return (n);
 fail:
	freeaddrinfo(res);
	while (n > 0)
		(void)close(fds[--n]);
	return (-1);
}
