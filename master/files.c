/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Parsers for the data files, with the rules of the Python master, and the
 * atomic writer of serverlist.txt.  A missing file is an empty one; any
 * other problem is reported with file and line, and the caller keeps what
 * it had.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files.h"
#include "log.h"
#include "tremmasterd.h"
#include "util.h"

#define MAX_LINE	1024
#define MAX_IGNORE	1000000

static int	read_line(FILE *, char *, size_t, int *);
static const char *file_kind(const struct stat *);
static FILE	*open_data(const char *, const char *, char *, size_t);
static int	featured_add(struct featured *, const struct ipc_addr *);
static int	featured_has(const struct datafiles *,
		    const struct ipc_addr *);
static const char *esc(const char *, char *);
static void	writer_enter(void);
static void	writer_leave(void);
static void	writer_unlink(const char *);

/* File contents in a message: escaped and cut like network bytes. */
static const char *
esc(const char *s, char *buf)
{
	return (log_vis(s, strlen(s), buf, LOG_VISBUF));
}

void
datafiles_init(struct datafiles *df)
{
	memset(df, 0, sizeof(*df));
	TAILQ_INIT(&df->featured);
}

void
datafiles_free(struct datafiles *df)
{
	struct featured	*f;

	while ((f = TAILQ_FIRST(&df->featured)) != NULL) {
		TAILQ_REMOVE(&df->featured, f, entry);
		free(f->addrs);
		free(f);
	}
	free(df->ignore);
	datafiles_init(df);
}

/*
 * Read one line without its newline.  Returns 1 for a line, 0 at the end,
 * -1 for a line that is too long or holds a NUL byte.
 */
static int
read_line(FILE *f, char *buf, size_t len, int *lineno)
{
	size_t	 n;

	if (fgets(buf, len, f) == NULL)
		return (0);
	(*lineno)++;
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (!feof(f))
		return (-1);
	return (1);
}

/*
 * The kind of file st describes, for a message saying why it was refused.
 */
static const char *
file_kind(const struct stat *st)
{
	if (S_ISDIR(st->st_mode))
		return ("a directory");
	if (S_ISFIFO(st->st_mode))
		return ("a FIFO");
	if (S_ISSOCK(st->st_mode))
		return ("a socket");
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		return ("a device");
	if (S_ISLNK(st->st_mode))
		return ("a symbolic link");
	return ("not a regular file");
}

/*
 * Open a file the parent reads as root from a directory others may write:
 * never block on a FIFO or a device (O_NONBLOCK), never follow a link in
 * the last component unless follow is set, and accept only a regular file
 * with one name, so that neither a FIFO nor a hard link to a file of
 * someone else can stand in for it.  Returns the descriptor, or -1 with
 * errno set (ENOENT for a missing file) and, for any other error, a line
 * naming path and the reason.
 */
int
datafile_open(const char *path, int follow)
{
	struct stat	 st;
	int		 fd, flags, saved;

	flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	if (!follow)
		flags |= O_NOFOLLOW;
	if ((fd = open(path, flags)) == -1) {
		saved = errno;
		/*
		 * A link fails with ELOOP, a socket with ENXIO: say what
		 * stands there rather than the errno.
		 */
		if (saved != ENOENT && lstat(path, &st) == 0 &&
		    !S_ISREG(st.st_mode))
			log_warnx("%s: %s, refused: only a regular file is "
			    "read", path, file_kind(&st));
		else if (saved != ENOENT)
			log_warn("%s", path);
		errno = saved;
		return (-1);
	}
	if (fstat(fd, &st) == -1) {
		saved = errno;
		log_warn("%s", path);
		(void)close(fd);
		errno = saved;
		return (-1);
	}
	if (!S_ISREG(st.st_mode)) {
		log_warnx("%s: %s, refused: only a regular file is read",
		    path, file_kind(&st));
		(void)close(fd);
		errno = EINVAL;
		return (-1);
	}
	if (st.st_nlink != 1) {
		log_warnx("%s: has %llu hard links, refused: a data file must "
		    "have one name", path, (unsigned long long)st.st_nlink);
		(void)close(fd);
		errno = EINVAL;
		return (-1);
	}
	return (fd);
}

/*
 * Open dir/name; *path gets the name used in messages.  Any error but a
 * missing file has been logged.
 */
static FILE *
open_data(const char *dir, const char *name, char *path, size_t len)
{
	FILE	*fp;
	int	 fd, n, saved;

	n = snprintf(path, len, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= len) {
		log_warnx("%s/%s: path too long", dir, name);
		errno = ENAMETOOLONG;
		return (NULL);
	}
	/* The parent is root: never follow a link planted in the jail. */
	if ((fd = datafile_open(path, 0)) == -1)
		return (NULL);
	if ((fp = fdopen(fd, "r")) == NULL) {
		saved = errno;
		log_warn("%s", path);
		(void)close(fd);
		errno = saved;
	}
	return (fp);
}

static int
featured_has(const struct datafiles *df, const struct ipc_addr *a)
{
	const struct featured	*f;
	size_t			 i;

	TAILQ_FOREACH(f, &df->featured, entry)
		for (i = 0; i < f->naddrs; i++)
			if (memcmp(&f->addrs[i], a, sizeof(*a)) == 0)
				return (1);
	return (0);
}

static int
featured_add(struct featured *f, const struct ipc_addr *a)
{
	struct ipc_addr	*p;

	if ((p = reallocarray(f->addrs, f->naddrs + 1, sizeof(*p))) == NULL)
		return (-1);
	f->addrs = p;
	f->addrs[f->naddrs++] = *a;
	return (0);
}

size_t
featured_count(const struct datafiles *df)
{
	const struct featured	*f;
	size_t			 n = 0;

	TAILQ_FOREACH(f, &df->featured, entry)
		n += f->naddrs;
	return (n);
}

/*
 * featured.txt: a line at column 0 is a label, an indented line is a
 * host:port of the current label, resolved now (IPv4 and IPv6 addresses
 * both kept).  Blank lines and # comments are skipped.
 */
int
featured_parse(FILE *fp, const char *name, struct datafiles *df)
{
	struct addrinfo	 hints, *res, *ai;
	struct ipc_addr	 a;
	struct featured	*cur = NULL;
	char		 line[MAX_LINE], *s, *colon, *host;
	char		 vbuf[LOG_VISBUF];
	const char	*errstr;
	size_t		 len;
	long long	 port;
	int		 lineno = 0, label_line = 0, nlines = 0, r, error;

	while ((r = read_line(fp, line, sizeof(line), &lineno)) == 1) {
		len = strlen(line);
		while (len > 0 && isspace((unsigned char)line[len - 1]))
			line[--len] = '\0';
		s = line + strspn(line, " \t");
		if (*s == '\0' || *s == '#')
			continue;
		if (s == line) {
			if (cur != NULL && nlines == 0) {
				log_warnx("%s:%d: label \"%s\" has no server",
				    name, label_line, esc(cur->label, vbuf));
				return (-1);
			}
			if (strpbrk(line, "\\/") != NULL) {
				log_warnx("%s:%d: a label may not contain "
				    "\\ or /", name, lineno);
				return (-1);
			}
			if (len >= MAX_LABEL) {
				log_warnx("%s:%d: label longer than %d "
				    "characters", name, lineno, MAX_LABEL - 1);
				return (-1);
			}
			if ((cur = calloc(1, sizeof(*cur))) == NULL)
				fatal(NULL);
			(void)strlcpy(cur->label, line, sizeof(cur->label));
			label_line = lineno;
			nlines = 0;
			TAILQ_INSERT_TAIL(&df->featured, cur, entry);
			continue;
		}
		if (cur == NULL) {
			log_warnx("%s:%d: server address before any label",
			    name, lineno);
			return (-1);
		}
		host = s;
		nlines++;
		if ((colon = strrchr(host, ':')) == NULL) {
			log_warnx("%s:%d: \"%s\" is not host:port", name,
			    lineno, esc(host, vbuf));
			return (-1);
		}
		*colon = '\0';
		port = strtonum(colon + 1, 1, 65535, &errstr);
		if (errstr != NULL) {
			log_warnx("%s:%d: port \"%s\" is %s", name, lineno,
			    esc(colon + 1, vbuf), errstr);
			return (-1);
		}
		len = strlen(host);
		if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
			host[len - 1] = '\0';
			host++;
		}
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_DGRAM;
		if ((error = getaddrinfo(host, NULL, &hints, &res)) != 0) {
			log_warnx("%s:%d: cannot resolve \"%s\": %s", name,
			    lineno, esc(host, vbuf), gai_strerror(error));
			return (-1);
		}
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			if (addr_from_sa(&a, ai->ai_addr) == -1)
				continue;
			a.port = htons((uint16_t)port);
			if (featured_has(df, &a)) {
				log_warnx("%s:%d: %s:%lld is listed twice, "
				    "the first label wins", name, lineno,
				    esc(host, vbuf), port);
				continue;
			}
			if (featured_add(cur, &a) == -1)
				fatal(NULL);
		}
		freeaddrinfo(res);
	}
	if (r == -1) {
		log_warnx("%s:%d: line too long or holds a NUL byte", name,
		    lineno);
		return (-1);
	}
	return (0);
}

/* One ignore.txt token: an address, or address/bits. */
int
ignore_token(const char *tok, struct ipc_ignore *ig)
{
	char		 buf[INET6_ADDRSTRLEN + 8], *slash;
	const char	*errstr;
	int		 bits, maxbits, i;

	memset(ig, 0, sizeof(*ig));
	if (strlcpy(buf, tok, sizeof(buf)) >= sizeof(buf))
		return (-1);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, ig->addr.addr) == 1) {
		ig->addr.family = AF_INET;
		maxbits = 32;
	} else if (inet_pton(AF_INET6, buf, ig->addr.addr) == 1) {
		ig->addr.family = AF_INET6;
		maxbits = 128;
	} else
		return (-1);
	bits = maxbits;
	if (slash != NULL) {
		bits = (int)strtonum(slash, 0, maxbits, &errstr);
		if (errstr != NULL)
			return (-1);
	}
	ig->prefixlen = (uint8_t)bits;
	/* Clear the host bits, so that 10.1.2.3/8 means 10.0.0.0/8. */
	for (i = 0; i < maxbits / 8; i++) {
		if (bits >= 8)
			bits -= 8;
		else {
			ig->addr.addr[i] &= (uint8_t)(0xff00 >> bits);
			bits = 0;
		}
	}
	return (0);
}

/*
 * ignore.txt: whitespace-separated addresses and CIDR ranges, IPv4 or
 * IPv6; a line or the rest of a line from # on is a comment.
 */
int
ignore_parse(FILE *fp, const char *name, struct datafiles *df)
{
	struct ipc_ignore	 ig, *p;
	char			 line[MAX_LINE], *tok, *last;
	char			 vbuf[LOG_VISBUF];
	size_t			 cap = df->nignore;
	int			 lineno = 0, r;

	while ((r = read_line(fp, line, sizeof(line), &lineno)) == 1) {
		line[strcspn(line, "#")] = '\0';
		for (tok = strtok_r(line, " \t\r\f\v", &last); tok != NULL;
		    tok = strtok_r(NULL, " \t\r\f\v", &last)) {
			if (ignore_token(tok, &ig) == -1) {
				log_warnx("%s:%d: \"%s\" is not an address or "
				    "address/bits", name, lineno, esc(tok, vbuf));
				return (-1);
			}
			if (df->nignore >= MAX_IGNORE) {
				log_warnx("%s:%d: more than %d entries", name,
				    lineno, MAX_IGNORE);
				return (-1);
			}
			/* Room doubles: blocklists run to a million. */
			if (df->nignore == cap) {
				cap = cap == 0 ? 64 : cap * 2;
				if ((p = reallocarray(df->ignore, cap,
				    sizeof(*p))) == NULL)
					fatal(NULL);
				df->ignore = p;
			}
			df->ignore[df->nignore++] = ig;
		}
	}
	if (r == -1) {
		log_warnx("%s:%d: line too long or holds a NUL byte", name,
		    lineno);
		return (-1);
	}
	return (0);
}

/*
 * motd.txt: the whole file, trailing newlines removed.  Clients stop at a
 * newline and the reply is an infostring, so the text must be one line
 * without \, " or control characters.
 */
int
motd_parse(FILE *fp, const char *name, struct datafiles *df)
{
	char	 buf[MAX_MOTD + 1];
	size_t	 n, i;
	int	 lineno = 1, c;

	n = fread(buf, 1, sizeof(buf), fp);
	/* Past a full buffer only newlines may follow. */
	while (n == sizeof(buf) && (c = getc(fp)) != EOF)
		if (c != '\n' && c != '\r') {
			log_warnx("%s: longer than %d bytes", name,
			    MAX_MOTD - 1);
			return (-1);
		}
	if (ferror(fp)) {
		log_warn("%s", name);
		return (-1);
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n >= MAX_MOTD) {
		log_warnx("%s: longer than %d bytes", name, MAX_MOTD - 1);
		return (-1);
	}
	for (i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			log_warnx("%s:%d: the message must be one line", name,
			    lineno);
			return (-1);
		}
		if (buf[i] == '\\' || buf[i] == '"' ||
		    iscntrl((unsigned char)buf[i])) {
			log_warnx("%s:%d: \\, \" and control characters "
			    "are not allowed", name, lineno);
			return (-1);
		}
	}
	memcpy(df->motd, buf, n);
	df->motd[n] = '\0';
	return (0);
}

static const struct {
	const char	*name;
	int		 mask;
	int		(*parse)(FILE *, const char *, struct datafiles *);
} datafiles[] = {
	{ FEATURED_FILE, DF_FEATURED, featured_parse },
	{ IGNORE_FILE, DF_IGNORE, ignore_parse },
	{ MOTD_FILE, DF_MOTD, motd_parse }
};

/*
 * Load the data files named in mask from dir into df, which must be empty.
 * Returns -1, with df emptied, when any of them is invalid.
 */
int
datafiles_load_some(const char *dir, struct datafiles *df, int mask)
{
	char	 path[PATH_MAX];
	FILE	*fp;
	size_t	 i;
	int	 rv;

	datafiles_init(df);
	for (i = 0; i < nitems(datafiles); i++) {
		if (!(datafiles[i].mask & mask))
			continue;
		if ((fp = open_data(dir, datafiles[i].name, path,
		    sizeof(path))) == NULL) {
			if (errno == ENOENT)
				continue;
			datafiles_free(df);
			return (-1);
		}
		rv = datafiles[i].parse(fp, path, df);
		(void)fclose(fp);
		if (rv == -1) {
			datafiles_free(df);
			return (-1);
		}
	}
	return (0);
}

int
datafiles_load(const char *dir, struct datafiles *df)
{
	return (datafiles_load_some(dir, df, DF_ALL));
}

/*
 * A stamp of the files in mask (inode, size, times), to notice edits
 * without reading them.
 */
void
datafiles_stamp(const char *dir, int mask, char *buf, size_t len)
{
	struct stat	 st;
	char		 path[PATH_MAX], one[128];
	size_t		 i;
	int		 n;

	buf[0] = '\0';
	for (i = 0; i < nitems(datafiles); i++) {
		if (!(datafiles[i].mask & mask))
			continue;
		n = snprintf(path, sizeof(path), "%s/%s", dir,
		    datafiles[i].name);
		if (n < 0 || (size_t)n >= sizeof(path) ||
		    lstat(path, &st) == -1)
			(void)strlcpy(one, "-;", sizeof(one));
		else
			(void)snprintf(one, sizeof(one), "%llu:%lld:%lld.%ld:"
			    "%lld.%ld;", (unsigned long long)st.st_ino,
			    (long long)st.st_size,
			    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
			    (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
		(void)strlcat(buf, one, len);
	}
}

/*
 * Add a server to the list, up to SERVERLIST_MAX of them: what bounds the
 * parent's memory, whatever netd or the file says.  Returns -1, and counts
 * it, past that.
 */
int
serverlist_add(struct serverlist *sl, const struct ipc_addr *a)
{
	struct ipc_addr	*p;
	size_t		 cap;

	if (sl->n >= SERVERLIST_MAX) {
		sl->dropped++;
		return (-1);
	}
	if (sl->n == sl->cap) {
		cap = sl->cap == 0 ? 64 : sl->cap * 2;
		if ((p = reallocarray(sl->addrs, cap, sizeof(*p))) == NULL)
			fatal(NULL);
		sl->addrs = p;
		sl->cap = cap;
	}
	sl->addrs[sl->n++] = *a;
	return (0);
}

void
serverlist_free(struct serverlist *sl)
{
	free(sl->addrs);
	memset(sl, 0, sizeof(*sl));
}

/*
 * serverlist.txt: one "a.b.c.d:port" or "[v6]:port" a line.  Lines that do
 * not parse are logged and skipped; the servers are challenged again
 * anyway.  Reading stops after SERVERLIST_MAX lines (a line too long
 * counts once for every MAX_LINE bytes), so that no file, not even a
 * sparse one of terabytes, holds up the start for long.  Returns the
 * number of lines skipped.
 */
int
serverlist_parse(FILE *fp, const char *name, struct serverlist *sl)
{
	struct ipc_addr	 a;
	char		 line[MAX_LINE], *s;
	size_t		 len;
	int		 lineno = 0, r, skipped = 0;

	while ((r = read_line(fp, line, sizeof(line), &lineno)) != 0) {
		if (lineno > SERVERLIST_MAX) {
			log_warnx("%s: more than %d lines, the rest not read",
			    name, SERVERLIST_MAX);
			break;
		}
		if (r == -1) {
			log_warnx("%s:%d: line too long, skipped", name,
			    lineno);
			skipped++;
			/* Skip the rest of the long line. */
			while (r == -1 && lineno <= SERVERLIST_MAX)
				r = read_line(fp, line, sizeof(line),
				    &lineno);
			continue;
		}
		len = strlen(line);
		while (len > 0 && isspace((unsigned char)line[len - 1]))
			line[--len] = '\0';
		s = line + strspn(line, " \t");
		if (*s == '\0')
			continue;
		if (addr_parse(s, &a) == -1) {
			log_warnx("%s:%d: not an address, skipped", name,
			    lineno);
			skipped++;
			continue;
		}
		(void)serverlist_add(sl, &a);	/* lines bound it */
	}
	return (skipped);
}

int
serverlist_read(const char *dir, struct serverlist *sl)
{
	char	 path[PATH_MAX];
	FILE	*fp;

	if ((fp = open_data(dir, SERVERLIST_FILE, path, sizeof(path))) ==
	    NULL) {
		if (errno == ENOENT)
			return (0);
		return (-1);
	}
	(void)serverlist_parse(fp, path, sl);
	(void)fclose(fp);
	return (0);
}

/*
 * Run as root, the parent writes in a data directory that belongs to the
 * -u user (logd keeps the database there) with that user's effective ids:
 * root without CAP_DAC_OVERRIDE (the systemd unit's bounding set) may not
 * write in another user's directory, and it never needs to.  The files it
 * writes then belong to the user, as the rest of the directory does.
 */
static uid_t	writer_uid;
static gid_t	writer_gid;
static int	writer_set;

void
datafile_writer(uid_t uid, gid_t gid)
{
	writer_uid = uid;
	writer_gid = gid;
	writer_set = 1;
}

static void
writer_enter(void)
{
	if (writer_set && (setegid(writer_gid) == -1 ||
	    seteuid(writer_uid) == -1))
		fatal("data files: cannot take the ids %lu:%lu",
		    (unsigned long)writer_uid, (unsigned long)writer_gid);
}

static void
writer_leave(void)
{
	if (writer_set && (seteuid(0) == -1 || setegid(0) == -1))
		fatal("data files: cannot take back the ids of root");
}

/*
 * The start of an atomic rewrite of dir/name: a new temporary file beside
 * it, open for writing and reading.  A stale temporary file goes first,
 * then ours is made afresh: whatever stood there (a link, a hard link to
 * another file) is never opened, and one planted again meanwhile makes the
 * open fail.  path and tmp get the two names.
 */
FILE *
datafile_rewrite(const char *dir, const char *name, char *path,
    char *tmp, size_t len)
{
	FILE	*fp;
	int	 fd, n;

	n = snprintf(path, len, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= len ||
	    (n = snprintf(tmp, len, "%s/%s.tmp", dir, name)) < 0 ||
	    (size_t)n >= len) {
		log_warnx("%s/%s: path too long", dir, name);
		return (NULL);
	}
	writer_enter();
	if (unlink(tmp) == -1 && errno != ENOENT) {
		log_warn("unlink %s", tmp);
		writer_leave();
		return (NULL);
	}
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	writer_leave();
	if (fd == -1) {
		log_warn("%s", tmp);
		return (NULL);
	}
	if ((fp = fdopen(fd, "w+")) == NULL) {
		log_warn("%s", tmp);
		(void)close(fd);
		writer_unlink(tmp);
	}
	return (fp);
}

static void
writer_unlink(const char *tmp)
{
	writer_enter();
	(void)unlink(tmp);
	writer_leave();
}

/*
 * The end of it: flushed to disk and renamed over path, or, with commit
 * 0 or on any error, removed.  Closes fp.
 */
int
datafile_commit(FILE *fp, const char *path, const char *tmp, int commit)
{
	int	 rv;

	if (!commit) {
		(void)fclose(fp);
		writer_unlink(tmp);
		return (-1);
	}
	if (fflush(fp) == EOF || ferror(fp) || fsync(fileno(fp)) == -1) {
		log_warn("%s", tmp);
		(void)fclose(fp);
		writer_unlink(tmp);
		return (-1);
	}
	if (fclose(fp) == EOF) {
		log_warn("%s", tmp);
		writer_unlink(tmp);
		return (-1);
	}
	writer_enter();
	if ((rv = rename(tmp, path)) == -1) {
		log_warn("rename %s to %s", tmp, path);
		(void)unlink(tmp);
	}
	writer_leave();
	return (rv);
}

/* Replace serverlist.txt atomically. */
int
serverlist_write(const char *dir, const struct serverlist *sl)
{
	char	 path[PATH_MAX], tmp[PATH_MAX], buf[ADDRSTRLEN];
	FILE	*fp;
	size_t	 i;

	if ((fp = datafile_rewrite(dir, SERVERLIST_FILE, path, tmp,
	    sizeof(path))) == NULL)
		return (-1);
	for (i = 0; i < sl->n; i++)
		fprintf(fp, "%s\n", addr_str(&sl->addrs[i], buf, sizeof(buf)));
	return (datafile_commit(fp, path, tmp, 1));
}
