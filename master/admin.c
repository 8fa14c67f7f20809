/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The admin requests of --plugin-admin plugins, as netd forwards them:
 * each changes one data file.  The new file is written beside the old
 * one, parsed by the same parser as a reload, and renamed over it only if
 * it loads; the caller then reloads it as SIGHUP does.  Comments and the
 * lines a request does not touch are kept as they were.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"
#include "log.h"
#include "master.h"
#include "tremmasterd.h"
#include "util.h"

#define ADMIN_FILE_MAX	(64 * 1024 * 1024)	/* bytes of a file edited */

static int	 admin_read(const char *, const char *, char **, size_t *,
		    char *, size_t);
static int	 admin_write(const char *, const char *, const char *,
		    const char *, size_t, const char *, size_t,
		    int (*)(FILE *, const char *, struct datafiles *), char *,
		    size_t);
static int	 line_entries(const char *, const char *,
		    const struct ipc_ignore *, int *, FILE *);
static int	 ignore_remove(const char *, size_t, const struct ipc_ignore *,
		    FILE *);
static int	 featured_without(const char *, size_t, const char *, FILE *);
static const char *sep(const char *, size_t);

/* The whole of dir/name (a missing file is empty), at most ADMIN_FILE_MAX. */
static int
admin_read(const char *dir, const char *name, char **buf, size_t *len,
    char *msg, size_t msglen)
{
	char	 path[PATH_MAX];
	FILE	*fp;
	size_t	 n, cap = 0;
	int	 fd;

	*buf = NULL;
	*len = 0;
	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = datafile_open(path, 0)) == -1) {
		if (errno == ENOENT)
			return (0);
		return (seterr(msg, msglen, "cannot read %s", name));
	}
	if ((fp = fdopen(fd, "r")) == NULL)
		fatal("fdopen");
	for (;;) {
		if (*len == cap) {
			if (cap >= ADMIN_FILE_MAX) {
				(void)fclose(fp);
				free(*buf);
				return (seterr(msg, msglen, "%s is larger than "
				    "%d bytes", name, ADMIN_FILE_MAX));
			}
			cap = cap == 0 ? 65536 : cap * 2;
			if ((*buf = realloc(*buf, cap + 1)) == NULL)
				fatal(NULL);
		}
		if ((n = fread(*buf + *len, 1, cap - *len, fp)) == 0)
			break;
		*len += n;
	}
	if (ferror(fp)) {
		(void)fclose(fp);
		free(*buf);
		return (seterr(msg, msglen, "cannot read %s", name));
	}
	(void)fclose(fp);
	if (*buf != NULL)
		(*buf)[*len] = '\0';
	return (0);
}

/*
 * Write head, then tail, as the new dir/name; it replaces the old one only
 * if parse loads it.  why names the request in the parser's messages.
 */
static int
admin_write(const char *dir, const char *name, const char *why,
    const char *head, size_t headlen, const char *tail, size_t taillen,
    int (*parse)(FILE *, const char *, struct datafiles *), char *msg,
    size_t msglen)
{
	struct datafiles	 df;
	char			 path[PATH_MAX], tmp[PATH_MAX], what[128];
	FILE			*fp;
	int			 ok;

	if ((fp = datafile_rewrite(dir, name, path, tmp, sizeof(path))) ==
	    NULL)
		return (seterr(msg, msglen, "cannot write %s", name));
	if ((headlen > 0 && fwrite(head, 1, headlen, fp) != headlen) ||
	    (taillen > 0 && fwrite(tail, 1, taillen, fp) != taillen) ||
	    fflush(fp) == EOF) {
		(void)datafile_commit(fp, path, tmp, 0);
		return (seterr(msg, msglen, "cannot write %s", name));
	}
	rewind(fp);
	(void)snprintf(what, sizeof(what), "%s (%s)", name, why);
	datafiles_init(&df);
	ok = parse(fp, what, &df) == 0;
	datafiles_free(&df);
	if (!ok) {
		(void)datafile_commit(fp, path, tmp, 0);
		return (seterr(msg, msglen, "refused: %s would not load, see "
		    "the log", name));
	}
	if (fseek(fp, 0, SEEK_END) == -1 ||
	    datafile_commit(fp, path, tmp, 1) == -1)
		return (seterr(msg, msglen, "cannot write %s", name));
	return (0);
}

/*
 * The entries of one ignore.txt line before its comment: how many are
 * want (*gone) and how many not (returned); with out, the others are
 * written there, each followed by a space.
 */
static int
line_entries(const char *p, const char *comment, const struct ipc_ignore *want,
    int *gone, FILE *out)
{
	struct ipc_ignore	 ig;
	char			 tok[64];
	size_t			 n;
	int			 kept = 0;

	*gone = 0;
	for (; p < comment; p += n) {
		p += strspn(p, " \t\r\f\v");
		if (p >= comment)
			break;
		n = strcspn(p, " \t\r\f\v#\n");
		if ((size_t)(comment - p) < n)
			n = comment - p;
		if (n < sizeof(tok)) {
			memcpy(tok, p, n);
			tok[n] = '\0';
			if (ignore_token(tok, &ig) == 0 &&
			    memcmp(&ig, want, sizeof(ig)) == 0) {
				(*gone)++;
				continue;
			}
		}
		kept++;
		if (out != NULL)
			fprintf(out, "%.*s ", (int)n, p);
	}
	return (kept);
}

/*
 * ignore.txt without entry: a line whose only entry it is goes, comment
 * and all; on a line of several, the others stay.  Returns how many went.
 */
static int
ignore_remove(const char *buf, size_t len, const struct ipc_ignore *want,
    FILE *out)
{
	const char	*line, *end, *comment;
	int		 kept, gone, found = 0;

	for (line = buf; line < buf + len; line = end + 1) {
		if ((end = memchr(line, '\n', buf + len - line)) == NULL)
			end = buf + len;
		if ((comment = memchr(line, '#', end - line)) == NULL)
			comment = end;
		kept = line_entries(line, comment, want, &gone, NULL);
		if (gone == 0)
			fwrite(line, 1, end - line, out);
		else if (kept > 0) {
			(void)line_entries(line, comment, want, &gone, out);
			fwrite(comment, 1, end - comment, out);
		}
		found += gone;
		if (end < buf + len && (gone == 0 || kept > 0))
			fputc('\n', out);
	}
	return (found);
}

/*
 * featured.txt without the group label: its label line and the indented
 * lines under it go; other groups, comments and blank lines stay.
 */
static int
featured_without(const char *buf, size_t len, const char *label, FILE *out)
{
	const char	*line, *end, *s;
	size_t		 n;
	int		 in = 0, found = 0;

	for (line = buf; line < buf + len; line = end + 1) {
		if ((end = memchr(line, '\n', buf + len - line)) == NULL)
			end = buf + len;
		n = end - line;
		while (n > 0 && isspace((unsigned char)line[n - 1]))
			n--;
		s = line + strspn(line, " \t");
		if (s < line + n && *s != '#' && s == line) {
			/* A label line. */
			in = n == strlen(label) && memcmp(line, label, n) == 0;
			found += in;
		}
		if (in)
			continue;
		fwrite(line, 1, end - line, out);
		if (end < buf + len)
			fputc('\n', out);
	}
	return (found);
}

/* Does s end a line (or is it empty)?  Else a newline must come first. */
static const char *
sep(const char *buf, size_t len)
{
	return (len > 0 && buf[len - 1] != '\n' ? "\n" : "");
}

/*
 * Apply one admin request to the data files in dir.  Returns 0 with
 * *mask the files to reload, or -1 with msg saying why nothing changed.
 */
int
admin_apply(const char *dir, const struct ipc_plugin_admin *a,
    const char *plugin, int *mask, char *msg, size_t msglen)
{
	struct ipc_ignore	 ig;
	char			 why[96], *buf = NULL, *mid = NULL;
	size_t			 len, midlen, n;
	FILE			*mem;
	int			 rv = -1, found;

	*mask = 0;
	(void)snprintf(why, sizeof(why), "request of plugin %s", plugin);
	switch (a->cmd) {
	case ADMIN_IGNORE_ADD:
	case ADMIN_IGNORE_REMOVE:
		if (ignore_token(a->arg, &ig) == -1)
			return (seterr(msg, msglen, "not an address or "
			    "address/bits"));
		if (admin_read(dir, IGNORE_FILE, &buf, &len, msg, msglen) == -1)
			return (-1);
		if ((mem = open_memstream(&mid, &midlen)) == NULL)
			fatal("open_memstream");
		/* Added at the end; removed from wherever it stands. */
		if (a->cmd == ADMIN_IGNORE_ADD) {
			fprintf(mem, "%s%s\n", sep(buf, len), a->arg);
			found = 1;
		} else
			found = ignore_remove(buf != NULL ? buf : "", len, &ig,
			    mem);
		(void)fclose(mem);
		if (found == 0)
			rv = seterr(msg, msglen, "not in %s", IGNORE_FILE);
		else if (a->cmd == ADMIN_IGNORE_ADD)
			rv = admin_write(dir, IGNORE_FILE, why, buf, len, mid,
			    midlen, ignore_parse, msg, msglen);
		else
			rv = admin_write(dir, IGNORE_FILE, why, mid, midlen,
			    NULL, 0, ignore_parse, msg, msglen);
		*mask = DF_IGNORE;
		break;
	case ADMIN_FEATURED_SET:
		n = strlen(a->arg);
		if (n == 0 || n >= MAX_LABEL || isspace((u_char)a->arg[0]) ||
		    a->arg[0] == '#' || strpbrk(a->arg, "\\/") != NULL ||
		    isspace((u_char)a->arg[n - 1]))
			return (seterr(msg, msglen, "not a featured label"));
		if (admin_read(dir, FEATURED_FILE, &buf, &len, msg,
		    msglen) == -1)
			return (-1);
		if ((mem = open_memstream(&mid, &midlen)) == NULL)
			fatal("open_memstream");
		found = featured_without(buf != NULL ? buf : "", len, a->arg,
		    mem);
		if (a->text[0] != '\0') {
			char	*copy, *word, *last;

			if ((copy = strdup(a->text)) == NULL)
				fatal(NULL);
			fflush(mem);
			fprintf(mem, "%s%s\n", sep(mid, midlen), a->arg);
			for (word = strtok_r(copy, " ", &last); word != NULL;
			    word = strtok_r(NULL, " ", &last))
				fprintf(mem, "    %s\n", word);
			free(copy);
		}
		(void)fclose(mem);
		if (found == 0 && a->text[0] == '\0')
			rv = seterr(msg, msglen, "no such group");
		else
			rv = admin_write(dir, FEATURED_FILE, why, mid, midlen,
			    NULL, 0, featured_parse, msg, msglen);
		*mask = DF_FEATURED;
		break;
	case ADMIN_MOTD_SET:
		if ((mem = open_memstream(&mid, &midlen)) == NULL)
			fatal("open_memstream");
		fprintf(mem, "%s\n", a->text);
		(void)fclose(mem);
		rv = admin_write(dir, MOTD_FILE, why, mid, midlen, NULL, 0,
		    motd_parse, msg, msglen);
		*mask = DF_MOTD;
		break;
	default:
		fatalx("bad admin request from netd");
	}
	free(buf);
	free(mid);
	if (rv == 0)
		log_info("plugin %s: %s", plugin, a->cmd == ADMIN_MOTD_SET ?
		    "set the motd" : a->cmd == ADMIN_FEATURED_SET ?
		    "set a featured group" : a->cmd == ADMIN_IGNORE_ADD ?
		    "added an ignore entry" : "removed an ignore entry");
	return (rv);
}
