/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Address conversion and formatting, message names, and the privilege drop
 * that netd and logd make after exec.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tremmasterd.h"
#include "util.h"

/* "1.2.3.4:30720" or "[2001:db8::1]:30720". */
const char *
addr_str(const struct ipc_addr *a, char *buf, size_t len)
{
	char	 host[INET6_ADDRSTRLEN];
	int	 n;

	if (a->family != AF_INET && a->family != AF_INET6) {
		(void)strlcpy(buf, "(unknown family)", len);
		return (buf);
	}
	if (inet_ntop(a->family, a->addr, host, sizeof(host)) == NULL)
		(void)strlcpy(host, "?", sizeof(host));
	if (a->family == AF_INET6)
		n = snprintf(buf, len, "[%s]:%u", host, ntohs(a->port));
	else
		n = snprintf(buf, len, "%s:%u", host, ntohs(a->port));
	if (n < 0 || (size_t)n >= len)
		(void)strlcpy(buf, "(address too long)", len);
	return (buf);
}

/* The address alone, without the port: "1.2.3.4" or "2001:db8::1". */
const char *
addr_host(const struct ipc_addr *a, char *buf, size_t len)
{
	if ((a->family != AF_INET && a->family != AF_INET6) ||
	    inet_ntop(a->family, a->addr, buf, len) == NULL)
		(void)strlcpy(buf, "?", len);
	return (buf);
}

/* Returns -1 for a family other than IPv4 and IPv6. */
int
addr_from_sa(struct ipc_addr *a, const struct sockaddr *sa)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	memset(a, 0, sizeof(*a));
	switch (sa->sa_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)sa;
		a->family = AF_INET;
		a->port = sin->sin_port;
		memcpy(a->addr, &sin->sin_addr, sizeof(sin->sin_addr));
		return (0);
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)sa;
		a->family = AF_INET6;
		a->port = sin6->sin6_port;
		memcpy(a->addr, &sin6->sin6_addr, sizeof(sin6->sin6_addr));
		return (0);
	}
	return (-1);
}

socklen_t
addr_to_sa(const struct ipc_addr *a, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;

	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = a->port;
		memcpy(&sin->sin_addr, a->addr, sizeof(sin->sin_addr));
		return (sizeof(*sin));
	}
	sin6 = (struct sockaddr_in6 *)ss;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = a->port;
	memcpy(&sin6->sin6_addr, a->addr, sizeof(sin6->sin6_addr));
	return (sizeof(*sin6));
}

/*
 * The IPv4 address in a, if it is one: IPv4 or IPv4-mapped IPv6; with
 * translated, also the IPv4 address that a translator or tunnel reaches
 * through an IPv6 address: NAT64 (64:ff9b::/96, and the local-use
 * 64:ff9b:1::/48 used as a /96) and 6to4 (2002::/16).  NULL otherwise.
 */
const u_char *
addr_v4(const struct ipc_addr *a, int translated)
{
	static const u_char	 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				    0xff, 0xff };
	static const u_char	 nat64[12] = { 0, 0x64, 0xff, 0x9b };
	static const u_char	 nat64l[6] = { 0, 0x64, 0xff, 0x9b, 0, 1 };

	if (a->family == AF_INET)
		return (a->addr);
	if (memcmp(a->addr, mapped, 12) == 0)
		return (a->addr + 12);
	if (!translated)
		return (NULL);
	if (memcmp(a->addr, nat64, 12) == 0 ||
	    memcmp(a->addr, nat64l, 6) == 0)
		return (a->addr + 12);
	if (a->addr[0] == 0x20 && a->addr[1] == 0x02)
		return (a->addr + 2);
	return (NULL);
}

/*
 * 2 for the loopback, 1 for an address of a private network (RFC 1918,
 * shared 100.64/10, link-local, 192.0.0/24, benchmarking 198.18/15; IPv6
 * unique-local, link-local and site-local), 0 for any other.  With
 * translated, an IPv6 address counts as the IPv4 address it reaches
 * (addr_v4()): for an address to be sent to, not for a peer's.
 */
int
addr_scope(const struct ipc_addr *a, int translated)
{
	static const u_char	 zero[16];
	const u_char		*v4 = addr_v4(a, translated);

	if (v4 != NULL) {
		if (v4[0] == 127)
			return (2);
		return (v4[0] == 10 || (v4[0] == 172 && (v4[1] & 0xf0) == 16) ||
		    (v4[0] == 192 && v4[1] == 168) ||
		    (v4[0] == 100 && (v4[1] & 0xc0) == 64) ||
		    (v4[0] == 169 && v4[1] == 254) ||
		    (v4[0] == 192 && v4[1] == 0 && v4[2] == 0) ||
		    (v4[0] == 198 && (v4[1] & 0xfe) == 18));
	}
	if (memcmp(a->addr, zero, 15) == 0 && a->addr[15] == 1)
		return (2);
	return ((a->addr[0] & 0xfe) == 0xfc ||
	    (a->addr[0] == 0xfe && (a->addr[1] & 0x80) == 0x80));
}

/*
 * Parse a numeric "1.2.3.4:port", "[v6]:port" or "v6:port" (port after the
 * last colon, as featured.txt writes it).  Returns -1 when it is not one.
 */
int
addr_parse(const char *s, struct ipc_addr *a)
{
	char		 host[INET6_ADDRSTRLEN + 2];
	const char	*colon, *errstr;
	size_t		 hlen;
	long long	 port;

	memset(a, 0, sizeof(*a));
	if ((colon = strrchr(s, ':')) == NULL)
		return (-1);
	port = strtonum(colon + 1, 1, 65535, &errstr);
	if (errstr != NULL)
		return (-1);
	hlen = colon - s;
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		s++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return (-1);
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, a->addr) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, host, a->addr) == 1)
		a->family = AF_INET6;
	else
		return (-1);
	a->port = htons((uint16_t)port);
	return (0);
}

const char *
family_name(int af)
{
	switch (af) {
	case AF_INET:
		return ("IPv4");
	case AF_INET6:
		return ("IPv6");
	}
	return ("unknown family");
}

const char *
ipc_typename(uint32_t type)
{
	static const char *names[IMSG_MAX] = {
		[IMSG_NONE] = "none",
		[IMSG_SOCKET] = "socket",
		[IMSG_LINK] = "link",
		[IMSG_RECONF_START] = "reconf-start",
		[IMSG_RECONF_LABEL] = "reconf-label",
		[IMSG_RECONF_FEATURED] = "reconf-featured",
		[IMSG_RECONF_IGNORE] = "reconf-ignore",
		[IMSG_RECONF_MOTD] = "reconf-motd",
		[IMSG_RECONF_END] = "reconf-end",
		[IMSG_SERVER] = "server",
		[IMSG_SERVERS_END] = "servers-end",
		[IMSG_STARTUP] = "startup",
		[IMSG_STATUS] = "status",
		[IMSG_SHUTDOWN] = "shutdown",
		[IMSG_HELLO] = "hello",
		[IMSG_STAT_CLIENT] = "stat-client",
		[IMSG_STAT_GAME] = "stat-game",
		[IMSG_TLS_CERT] = "tls-cert",
		[IMSG_TLS_KEY] = "tls-key",
		[IMSG_TLS_END] = "tls-end",
		[IMSG_PLUGIN] = "plugin",
		[IMSG_PLUGIN_END] = "plugin-end",
		[IMSG_PLUGIN_ADMIN] = "plugin-admin",
		[IMSG_PLUGIN_ANSWER] = "plugin-answer",
		[IMSG_LOG_LEVEL] = "log-level",
		[IMSG_LOG] = "log",
		[IMSG_PLUGIN_PROCESSES] = "plugin-processes",
		[IMSG_PLUGIN_RSS] = "plugin-rss"
	};
	static char	 buf[32];

	if (type < nitems(names) && names[type] != NULL)
		return (names[type]);
	(void)snprintf(buf, sizeof(buf), "unknown type %u", type);
	return (buf);
}

/*
 * Enter root (when not NULL) and become pw for good: groups first, then the
 * group ids, then the user ids.  Fatal unless root is out of reach after.
 */
void
privdrop(const struct passwd *pw, const char *root)
{
	gid_t	 gid = pw->pw_gid;
	uid_t	 uid = pw->pw_uid;

	if (root != NULL) {
		if (chroot(root) == -1)
			fatal("chroot %s", root);
		if (chdir("/") == -1)
			fatal("chdir /");
	}
	if (setgroups(1, &gid) == -1)
		fatal("setgroups");
	if (setresgid(gid, gid, gid) == -1)
		fatal("setresgid %lu", (unsigned long)gid);
	if (setresuid(uid, uid, uid) == -1)
		fatal("setresuid %lu", (unsigned long)uid);
	if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1))
		fatalx("privilege drop failed: uid 0 can be regained");
	if (gid != 0 && (setgid(0) != -1 || setegid(0) != -1))
		fatalx("privilege drop failed: gid 0 can be regained");
	if (getuid() != uid || geteuid() != uid || getgid() != gid ||
	    getegid() != gid)
		fatalx("privilege drop failed: ids are not %lu:%lu",
		    (unsigned long)uid, (unsigned long)gid);
}

/*
 * The first steps of netd and logd after exec: logging, then (as root)
 * the chroot and the drop to user, then the process title.
 */
void
proc_start(const char *name, int use_syslog, int verbose, const char *user,
    const char *root)
{
	struct passwd	*pw;

	log_init(use_syslog, verbose);
	log_procinit(name);
	if (geteuid() == 0) {
		if ((pw = getpwnam(user)) == NULL)
			fatalx("unknown user %s", user);
		privdrop(pw, root);
		log_debug("running as %s in %s", user, root);
	}
	setproctitle("%s", name);
}

/* An error message into err (errlen bytes), for a caller to print: -1. */
int
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return (-1);
}

/*
 * Is s valid UTF-8 without NUL bytes, as the Python master decoded text?
 * No overlong forms, no surrogates, nothing past U+10FFFF.  logd stores
 * only such text; the REST API passes it on as it is.
 */
int
utf8_valid(const u_char *s, size_t len)
{
	size_t		 i = 0, n, k;
	uint32_t	 cp, min;

	while (i < len) {
		if (s[i] == 0)
			return (0);
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = s[i] & 0x1f;
			min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = s[i] & 0x0f;
			min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = s[i] & 0x07;
			min = 0x10000;
		} else
			return (0);
		if (len - i <= n)
			return (0);
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return (0);
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return (0);
		i += n + 1;
	}
	return (1);
}
