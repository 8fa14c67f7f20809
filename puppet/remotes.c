/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The remote masters of the puppet plugin: --puppet-master, or the lines
 * of puppetmasters.txt in every form the Python master reads,
 *
 *	host:port[:conn[:protocol[:request]]]
 *	host port [conn [protocol [request]]]
 *
 * with conn udp, websocket, auto (and ws, wss), an empty field meaning
 * the default, and our own additions: [v6]:port, and ws:// or wss:// URLs
 * followed by the same optional fields.  Pure functions: the parent
 * checks the file at start-up with them, the plugin reads it with them.
 */

#include "compat.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "files.h"
#include "puppet.h"
#include "util.h"

#define FIELDS_MAX	5

static int	remote_host(const char *, size_t, struct puppet_remote *,
		    char *, size_t);
static int	remote_fields(char **, int, struct puppet_remote *, char *,
		    size_t);
static int	is_conn(const char *);

const char *
remote_conn_name(enum puppet_conn conn)
{
	switch (conn) {
	case CONN_UDP:
		return ("udp");
	case CONN_WS:
		return ("ws");
	case CONN_WSS:
		return ("wss");
	case CONN_AUTO:
		return ("auto");
	case CONN_DEFAULT:
		break;
	}
	return ("default");
}

static int
is_conn(const char *s)
{
	return (strcasecmp(s, "udp") == 0 || strcasecmp(s, "websocket") ==
	    0 || strcasecmp(s, "ws") == 0 || strcasecmp(s, "wss") == 0 ||
	    strcasecmp(s, "auto") == 0);
}

/* A host name or a numeric address: printable, no space, bounded. */
static int
remote_host(const char *s, size_t len, struct puppet_remote *r, char *err,
    size_t errlen)
{
	size_t	 i;

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
		if (memchr(s, ':', len) == NULL)
			return (seterr(err, errlen, "bad address \"[%.*s]\"",
			    (int)len, s));
	}
	if (len == 0)
		return (seterr(err, errlen, "empty host"));
	if (len >= sizeof(r->host))
		return (seterr(err, errlen, "host longer than %zu bytes",
		    sizeof(r->host) - 1));
	for (i = 0; i < len; i++)
		if (!isalnum((u_char)s[i]) && s[i] != '.' && s[i] != '-' &&
		    s[i] != '_' && s[i] != ':')
			return (seterr(err, errlen, "bad host \"%.*s\"",
			    (int)len, s));
	memcpy(r->host, s, len);
	r->host[len] = '\0';
	return (0);
}

/* --puppet-master without a URL: a host name or an address. */
int
remote_parse_host(const char *s, struct puppet_remote *r, char *err,
    size_t errlen)
{
	return (remote_host(s, strlen(s), r, err, errlen));
}

/*
 * fields[0] is the port (or NULL when a URL gave it), then conn, protocol
 * and request type; an empty field keeps the default.
 */
static int
remote_fields(char **f, int n, struct puppet_remote *r, char *err,
    size_t errlen)
{
	const char	*errstr;
	long long	 port;
	size_t		 i;

	if (n > FIELDS_MAX - 1)
		return (seterr(err, errlen, "more than %d fields",
		    FIELDS_MAX));
	if (n > 0 && f[0] != NULL) {
		port = strtonum(f[0], 1, 65535, &errstr);
		if (errstr != NULL)
			return (seterr(err, errlen, "bad port \"%s\"", f[0]));
		r->port = (uint16_t)port;
	}
	if (n > 1 && f[1][0] != '\0') {
		if (f[0] == NULL)
			return (seterr(err, errlen, "a URL needs no "
			    "connection \"%s\"", f[1]));
		if (strcasecmp(f[1], "udp") == 0)
			r->conn = CONN_UDP;
		else if (strcasecmp(f[1], "websocket") == 0 ||
		    strcasecmp(f[1], "ws") == 0)
			r->conn = CONN_WS;
		else if (strcasecmp(f[1], "wss") == 0)
			r->conn = CONN_WSS;
		else if (strcasecmp(f[1], "auto") == 0)
			r->conn = CONN_AUTO;
		else
			return (seterr(err, errlen, "bad connection \"%s\" "
			    "(udp, websocket, wss or auto)", f[1]));
	}
	if (n > 2 && f[2][0] != '\0') {
		for (i = 0; f[2][i] != '\0'; i++)
			if (!isdigit((u_char)f[2][i]))
				break;
		if (f[2][i] != '\0' || i >= sizeof(r->protocol))
			return (seterr(err, errlen, "bad game protocol \"%s\"",
			    f[2]));
		(void)strlcpy(r->protocol, f[2], sizeof(r->protocol));
	}
	if (n > 3 && f[3][0] != '\0') {
		if (strcasecmp(f[3], "getservers") == 0)
			r->ext = 0;
		else if (strcasecmp(f[3], "getserversExt") == 0)
			r->ext = 1;
		else
			return (seterr(err, errlen, "bad request type \"%s\" "
			    "(getservers or getserversExt)", f[3]));
	}
	return (0);
}

/*
 * "ws://host[:port][/path]" or "wss://...", the port defaulting to
 * defport.  Returns 1 when s is a URL, 0 when it is not, -1 on error.
 */
int
remote_parse_url(const char *s, uint16_t defport, struct puppet_remote *r,
    char *err, size_t errlen)
{
	const char	*host, *end, *slash, *colon;
	char		 portbuf[8], *f[1];

	if (strncasecmp(s, "ws://", 5) == 0) {
		r->conn = CONN_WS;
		host = s + 5;
	} else if (strncasecmp(s, "wss://", 6) == 0) {
		r->conn = CONN_WSS;
		host = s + 6;
	} else
		return (0);
	r->port = defport;
	end = host + strlen(host);
	if ((slash = strchr(host, '/')) != NULL) {
		if (strlen(slash) >= sizeof(r->path))
			return (seterr(err, errlen, "path longer than %zu "
			    "bytes", sizeof(r->path) - 1));
		for (colon = slash; *colon != '\0'; colon++)
			if (*colon <= ' ' || *colon >= 0x7f)
				return (seterr(err, errlen, "bad path"));
		(void)strlcpy(r->path, slash, sizeof(r->path));
		end = slash;
	} else
		(void)strlcpy(r->path, "/", sizeof(r->path));
	/* A port after the host, or after "[v6]". */
	colon = NULL;
	if (host < end && *host == '[') {
		const char *rb = memchr(host, ']', end - host);

		if (rb == NULL)
			return (seterr(err, errlen, "bad address in URL"));
		if (rb + 1 < end) {
			if (rb[1] != ':')
				return (seterr(err, errlen, "bad URL"));
			colon = rb + 1;
		}
	} else
		colon = memchr(host, ':', end - host);
	if (colon != NULL) {
		if ((size_t)(end - colon - 1) >= sizeof(portbuf))
			return (seterr(err, errlen, "bad port in URL"));
		memcpy(portbuf, colon + 1, end - colon - 1);
		portbuf[end - colon - 1] = '\0';
		f[0] = portbuf;
		if (remote_fields(f, 1, r, err, errlen) == -1)
			return (-1);
		end = colon;
	}
	if (remote_host(host, end - host, r, err, errlen) == -1)
		return (-1);
	return (1);
}

/*
 * One line of puppetmasters.txt, without its newline.  Returns 1 with r
 * filled, 0 for a blank line or a comment, -1 with a message in err.
 * Fields left out keep what r had: the caller sets the defaults.
 */
int
remote_parse_line(const char *line, struct puppet_remote *r, char *err,
    size_t errlen)
{
	char		 buf[PUPPET_LINE_MAX], *f[FIELDS_MAX + 1], *p, *word;
	const char	*s;
	size_t		 len;
	int		 n = 0, url;

	s = line + strspn(line, " \t\r");
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
	    s[len - 1] == '\r'))
		len--;
	if (len == 0 || s[0] == '#')
		return (0);
	if (len >= sizeof(buf))
		return (seterr(err, errlen, "line longer than %zu bytes",
		    sizeof(buf) - 1));
	memcpy(buf, s, len);
	buf[len] = '\0';

	if (strpbrk(buf, " \t") != NULL) {
		/* host port [conn [protocol [request]]], or a URL first */
		p = buf;
		while ((word = strsep(&p, " \t")) != NULL) {
			if (*word == '\0')
				continue;
			if (n == FIELDS_MAX + 1)
				return (seterr(err, errlen, "more than %d "
				    "fields", FIELDS_MAX));
			f[n++] = word;
		}
		if ((url = remote_parse_url(f[0], r->port, r, err,
		    errlen)) == -1)
			return (-1);
		if (url) {
			/*
			 * The URL has host, port and connection: the words
			 * after it are the protocol and the request, unless
			 * the first names a connection, which is refused.
			 */
			char	*g[FIELDS_MAX];
			int	 w = 1, k = 0;

			g[k++] = NULL;
			if (n > 1 && is_conn(f[1]))
				g[k++] = f[w++];
			else
				g[k++] = (char *)"";
			while (w < n && k < FIELDS_MAX)
				g[k++] = f[w++];
			if (w < n)
				return (seterr(err, errlen, "more than %d "
				    "fields", FIELDS_MAX));
			return (remote_fields(g, k, r, err, errlen) == -1 ?
			    -1 : 1);
		}
		if (n < 2)
			return (seterr(err, errlen, "no port"));
		if (remote_host(f[0], strlen(f[0]), r, err, errlen) == -1)
			return (-1);
		return (remote_fields(f + 1, n - 1, r, err, errlen) == -1 ?
		    -1 : 1);
	}

	if ((url = remote_parse_url(buf, r->port, r, err, errlen)) != 0)
		return (url);
	/* host:port[:conn[:protocol[:request]]], host maybe "[v6]" */
	if (buf[0] == '[') {
		if ((p = strchr(buf, ']')) == NULL || p[1] != ':')
			return (seterr(err, errlen, "bad address \"%s\"",
			    buf));
		if (remote_host(buf, p + 1 - buf, r, err, errlen) == -1)
			return (-1);
		p += 2;
	} else {
		if ((p = strchr(buf, ':')) == NULL)
			return (seterr(err, errlen, "no port"));
		if (remote_host(buf, p - buf, r, err, errlen) == -1)
			return (-1);
		p++;
	}
	while ((word = strsep(&p, ":")) != NULL) {
		if (n == FIELDS_MAX)
			return (seterr(err, errlen, "more than %d fields",
			    FIELDS_MAX));
		f[n++] = word;
	}
	return (remote_fields(f, n, r, err, errlen) == -1 ? -1 : 1);
}

/*
 * Read path into r, room for PUPPET_REMOTES_MAX, each remote starting from
 * the defaults the caller put in r[0]; *n is set to the count.  Returns 0,
 * 1 when the file does not exist, or -1 with "file:line: why" of the first
 * bad line in err: the good lines are in r all the same.
 */
int
remotes_load(const char *path, struct puppet_remote *r, int *n, char *err,
    size_t errlen)
{
	struct puppet_remote	 tmpl = r[0], cur;
	char			*line = NULL, why[256];
	size_t			 size = 0;
	ssize_t			 len;
	FILE			*f;
	int			 fd, lineno = 0, rv, bad = 0;

	*n = 0;
	err[0] = '\0';
	/*
	 * Read as root, in a directory the -u user may write: no link, no
	 * FIFO, no second name (master/files.c).
	 */
	if ((fd = datafile_open(path, 0)) == -1) {
		if (errno == ENOENT)
			return (1);
		if (errno == EINVAL || errno == ELOOP || errno == ENXIO)
			return (seterr(err, errlen, "%s: refused: only a "
			    "regular file with one name is read", path));
		return (seterr(err, errlen, "%s: %s", path, strerror(errno)));
	}
	if ((f = fdopen(fd, "r")) == NULL) {
		(void)close(fd);
		return (seterr(err, errlen, "%s: %s", path, strerror(errno)));
	}
	while ((len = getline(&line, &size, f)) != -1) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (memchr(line, '\0', len) != NULL)
			rv = seterr(why, sizeof(why), "NUL byte");
		else if (len >= PUPPET_LINE_MAX)
			rv = seterr(why, sizeof(why), "line longer than %d "
			    "bytes", PUPPET_LINE_MAX - 1);
		else {
			cur = tmpl;
			rv = remote_parse_line(line, &cur, why, sizeof(why));
		}
		if (rv == 1 && *n == PUPPET_REMOTES_MAX)
			rv = seterr(why, sizeof(why), "more than %d remote "
			    "masters", PUPPET_REMOTES_MAX);
		if (rv == -1 && !bad++)
			(void)seterr(err, errlen, "%s:%d: %s", path, lineno,
			    why);
		if (rv == 1) {
			cur.line = lineno;
			r[(*n)++] = cur;
		}
	}
	if (ferror(f) && !bad++)
		(void)seterr(err, errlen, "%s: %s", path, strerror(errno));
	free(line);
	(void)fclose(f);
	return (bad ? -1 : 0);
}
