/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The REST API plugin's process: its channel to netd (standard input and
 * output, man/tremmasterd-plugins.7), the copy of the table, of the data
 * files and of the recent log that the reports keep here, and the requests
 * it sends for the HTTP side (api/http.c).
 *
 * The parent starts it as root with the listening sockets from
 * API_SOCK_FD on and a pipe on API_CONF_FD that says how many sockets
 * there are and gives the keys, which are never in an argument or in the
 * environment.  It reads them, chroots to the empty directory, becomes the
 * -u user and runs under pledge(2) or seccomp.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <event.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "api.h"
#include "log.h"
#include "options.h"
#include "osdep.h"
#include "pchan.h"
#include "proto.h"
#include "util.h"

#define LINE_MAX_NETD	(64 * 1024)	/* a line from netd, its LF too */
#define OUT_QUEUE_MAX	(256 * 1024)	/* requests unread by netd */
#define REQUESTS_MAX	256		/* waiting for their responses */
#define REQUEST_TIMEOUT	10		/* seconds for netd's response */
#define CONF_MAX	(API_KEYS_MAX * (API_KEY_MAX + 8) + 64)
#define FILES_FEATURED_MAX 65536	/* featured addresses kept */

struct request {
	TAILQ_ENTRY(request)	 entry;
	unsigned long		 token;
	api_answer_cb		 cb;
	void			*arg;
	time_t			 sent;
};
TAILQ_HEAD(request_list, request);

struct api_state		 api;
static struct event_base	*base;
static struct request_list	 requests = TAILQ_HEAD_INITIALIZER(requests);
static size_t			 nrequests;
static unsigned long		 token_seq;
static int			 configured;
static struct api_files		 next_files;	/* between begin and end */
static int			 files_open;
static struct event		 ev_tick, ev_exit;

static void	 api_config(int, int *, int *, struct api_keys *);
static void	 chan_event(struct bufferevent *, short, void *);
static void	 chan_line(char *);
static void	 report_line(char **, int);
static void	 report_server(char **, int);
static void	 report_files(char **, int);
static void	 report_log(char **, int);
static void	 response_line(char **, int);
static void	 tick(int, short, void *);
static void	 files_free(struct api_files *);
static int	 field_bytes(const char *, u_char *, size_t, size_t *);

static const char *const level_names[] = {
	[LOGLEVEL_ALWAYS] = "ALWAYS",
	[LOGLEVEL_ERROR] = "ERROR",
	[LOGLEVEL_PRINT] = "PRINT",
	[LOGLEVEL_VERBOSE] = "VERBOSE",
	[LOGLEVEL_DEBUG] = "DEBUG"
};

const char *
api_level_name(int level)
{
	if (level < LOGLEVEL_ALWAYS || level > LOGLEVEL_DEBUG)
		return ("PRINT");
	return (level_names[level]);
}

/* ALWAYS, ERROR, PRINT, VERBOSE, DEBUG, in any case; -1 for others. */
int
api_level_parse(const char *s)
{
	int	 i;

	for (i = LOGLEVEL_ALWAYS; i <= LOGLEVEL_DEBUG; i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return (i);
	return (-1);
}

void
api_main(const struct options *o)
{
	struct passwd	*pw = NULL;
	struct api_keys	*keys;
	struct rlimit	 rl;
	struct timeval	 tv = { 1, 0 };
	int		 fds[API_LISTEN_MAX], nfds = 0;

	log_init_plugin(o->verbose);
	log_procinit("api");
	setproctitle("api");
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	if (sodium_init() == -1)
		fatalx("sodium_init");

	memset(&api, 0, sizeof(api));
	RB_INIT(&api.table);
	api.opts = o;
	api.started = time(NULL);
	if ((keys = keys_new()) == NULL)
		fatal(NULL);
	api_config(API_CONF_FD, fds, &nfds, keys);

	/* Connections and files: what the descriptors allow, no more. */
	rl.rlim_cur = rl.rlim_max = API_FD_MAX;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("setrlimit");

	if ((base = event_init()) == NULL)
		fatalx("event_init");
	/*
	 * libbsd's arc4random(3) may open /dev/urandom on its first call, and
	 * jansson would on its first object for its hash seed: both now.
	 */
	if (arc4random() == 0)
		log_debug("arc4random: 0");	/* one time in 2^32 */
	json_object_seed(randombytes_random());
	if (geteuid() == 0) {
		if ((pw = getpwnam(options_user(o))) == NULL)
			fatalx("unknown user %s", options_user(o));
		privdrop(pw, EMPTY_DIR);
	}
	sandbox_api(o->no_seccomp);

	(void)pchan_open(base, LINE_MAX_NETD, chan_line, chan_event);
	http_init(base, fds, nfds, keys, o->api_rate_limit);
	evtimer_set(&ev_tick, tick, NULL);
	evtimer_add(&ev_tick, &tv);
	event_dispatch();
	exit(0);
}

/*
 * The parent's pipe: "listen N", then "key KEY" lines, then end of file.
 * The sockets are API_SOCK_FD and the N - 1 after it.
 */
static void
api_config(int fd, int *fds, int *nfds, struct api_keys *keys)
{
	char		 buf[CONF_MAX + 1], *p, *line, err[128];
	const char	*errstr;
	struct stat	 st;
	size_t		 len = 0;
	ssize_t		 n;
	int		 i, nsock = -1;

	while ((n = read(fd, buf + len, CONF_MAX - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fatal("the parent's configuration pipe");
		}
		len += (size_t)n;
		if (len == CONF_MAX)
			fatalx("the parent's configuration is too long");
	}
	(void)close(fd);
	buf[len] = '\0';
	p = buf;
	while ((line = strsep(&p, "\n")) != NULL) {
		if (strncmp(line, "listen ", 7) == 0) {
			nsock = (int)strtonum(line + 7, 0, API_LISTEN_MAX,
			    &errstr);
			if (errstr != NULL)
				fatalx("bad listen line from the parent");
		} else if (strncmp(line, "key ", 4) == 0) {
			if (keys_check(line + 4, strlen(line + 4), err,
			    sizeof(err)) == -1 ||
			    keys_add(keys, line + 4, strlen(line + 4)) == -1)
				fatalx("bad key from the parent: %s", err);
		} else if (*line != '\0')
			fatalx("bad line from the parent");
	}
	sodium_memzero(buf, sizeof(buf));
	if (nsock == -1)
		fatalx("no listen line from the parent");
	for (i = 0; i < nsock; i++) {
		if (fstat(API_SOCK_FD + i, &st) == -1 || !S_ISSOCK(st.st_mode))
			fatalx("socket %d from the parent is missing",
			    API_SOCK_FD + i);
		fds[i] = API_SOCK_FD + i;
	}
	*nfds = nsock;
}

/* ---- requests to netd ---- */

/*
 * Send "request|TOKEN|..." and call cb(arg, ok, fields, n) with the
 * fields of its response after "ok" or "error" (n of them), or with ok -1
 * when no response came in time.  -1 when too many wait already.
 */
int
api_request(api_answer_cb cb, void *arg, const char *fmt, ...)
{
	struct request	*r;
	va_list		 ap;

	if (nrequests >= REQUESTS_MAX || pchan_queued() >= OUT_QUEUE_MAX)
		return (-1);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (-1);
	r->token = ++token_seq;
	r->cb = cb;
	r->arg = arg;
	r->sent = time(NULL);
	TAILQ_INSERT_TAIL(&requests, r, entry);
	nrequests++;
	pchan_send("request|h%lu|", r->token);
	va_start(ap, fmt);
	pchan_vsend(fmt, ap);
	va_end(ap);
	pchan_send("\n");
	return (0);
}

static void
tick(int fd __unused, short ev __unused, void *arg __unused)
{
	struct timeval	 tv = { 1, 0 };
	struct request	*r, *next;
	time_t		 now = time(NULL);

	TAILQ_FOREACH_SAFE(r, &requests, entry, next) {
		if (now - r->sent < REQUEST_TIMEOUT)
			break;
		TAILQ_REMOVE(&requests, r, entry);
		nrequests--;
		r->cb(r->arg, -1, NULL, 0);
		free(r);
	}
	evtimer_add(&ev_tick, &tv);
}

/* response|1|hTOKEN|ok|... or response|1|hTOKEN|error|MESSAGE */
static void
response_line(char **f, int n)
{
	struct request	*r;
	unsigned long	 token;
	char		*end;

	if (n < 4 || f[2][0] != 'h')
		return;
	token = strtoul(f[2] + 1, &end, 10);
	if (*end != '\0')
		return;
	TAILQ_FOREACH(r, &requests, entry)
		if (r->token == token)
			break;
	if (r == NULL)
		return;		/* timed out already */
	TAILQ_REMOVE(&requests, r, entry);
	nrequests--;
	r->cb(r->arg, strcmp(f[3], "ok") == 0, f + 4, n - 4);
	free(r);
}

/* ---- the channel to netd ---- */

static void
api_exit(int fd __unused, short ev __unused, void *arg __unused)
{
	exit(0);
}

/*
 * End of file: the daemon stops (the seed's cleanup()), or netd went.  The
 * answers already made (that of POST /api/admin/shutdown among them) have
 * half a second to leave; the parent waits two.
 */
static void
chan_event(struct bufferevent *bev, short what, void *arg __unused)
{
	struct timeval	 tv = { 0, 500000 };

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		log_debug("channel closed: exiting");
		bufferevent_disable(bev, EV_READ | EV_WRITE);
		http_stop();
		evtimer_set(&ev_exit, api_exit, NULL);
		evtimer_add(&ev_exit, &tv);
	}
}

static void
chan_line(char *line)
{
	char	*f[20], *p = line;
	int	 n = 0;

	while (n < (int)(sizeof(f) / sizeof(f[0])) - 1 &&
	    (f[n] = strsep(&p, "|")) != NULL)
		n++;
	if (p != NULL)
		f[n++] = p;	/* the rest, unsplit */
	if (n >= 3 && strcmp(f[0], "config") == 0) {
		if (strcmp(f[2], "ready") == 0 && !configured) {
			configured = 1;
			/* The log as the daemon's own -v level shows it. */
			pchan_send("register|report|server\n"
			    "register|report|files\n"
			    "register|report|log|%s\nregister|ready\n",
			    plp_level_name(api.opts->verbose));
		} else if (strcmp(f[2], "initialize") == 0)
			api.initialized = 1;
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

/* report|1|time|event|... */
static void
report_line(char **f, int n)
{
	if (strcmp(f[3], "lost") == 0) {
		/* Reports went missing: the table is asked for again. */
		pchan_send("request|snapshot|snapshot\n");
		return;
	}
	if (strncmp(f[3], "server-", 7) == 0)
		report_server(f, n);
	else if (strncmp(f[3], "files-", 6) == 0 || strcmp(f[3], "motd") == 0 ||
	    strcmp(f[3], "featured") == 0 || strcmp(f[3], "ignore") == 0)
		report_files(f, n);
	else if (strcmp(f[3], "log") == 0)
		report_log(f, n);
}

/* An escaped field into at most len bytes (cut, not refused). */
static int
field_bytes(const char *s, u_char *out, size_t outsz, size_t *len)
{
	u_char	 buf[4096];

	if (plp_unescape(s, buf, sizeof(buf), len) == -1)
		return (-1);
	if (*len > outsz)
		*len = outsz;
	memcpy(out, buf, *len);
	return (0);
}

/*
 * server-add|addr|transport|label|protocols|clients|maxclients|first|last|
 * game|gamename|mapname|hostname, server-update the same,
 * server-remove|addr|transport|reason.
 */
static void
report_server(char **f, int n)
{
	struct api_server	 key, old, *s;
	const char		*errstr;
	u_char			 buf[MAX_LABEL + API_PROTOCOLS_MAX];
	size_t			 len;

	if (n < 6)
		return;
	memset(&key, 0, sizeof(key));
	if (addr_parse(f[4], &key.addr) == -1)
		return;
	key.ws = strcmp(f[5], "ws") == 0;
	s = RB_FIND(api_table, &api.table, &key);
	if (strcmp(f[3], "server-remove") == 0) {
		if (s != NULL) {
			RB_REMOVE(api_table, &api.table, s);
			api.nservers--;
			if (s->ws)
				api.nws--;
			free(s);
			api.list_generation++;
		}
		return;
	}
	if ((strcmp(f[3], "server-add") != 0 &&
	    strcmp(f[3], "server-update") != 0) || n < 16)
		return;
	if (s != NULL)
		memcpy(&old, s, sizeof(old));
	else {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			fatal(NULL);
		s->addr = key.addr;
		s->ws = key.ws;
		RB_INSERT(api_table, &api.table, s);
		api.nservers++;
		if (s->ws)
			api.nws++;
		memset(&old, 0, sizeof(old));
		old.last = -1;
	}
	/* Labels and protocols without control bytes, as UTF-8. */
	if (field_bytes(f[6], buf, sizeof(buf), &len) == 0)
		render_text(buf, len, s->label, sizeof(s->label));
	if (field_bytes(f[7], buf, sizeof(buf), &len) == 0)
		render_text(buf, len, s->protocols, sizeof(s->protocols));
	s->clients = (unsigned int)strtonum(f[8], 0, 65535, &errstr);
	s->maxclients = (unsigned int)strtonum(f[9], 0, 65535, &errstr);
	s->first = strtonum(f[10], 0, INT64_MAX, &errstr);
	s->last = strtonum(f[11], 0, INT64_MAX, &errstr);
	(void)field_bytes(f[12], s->game, sizeof(s->game), &s->game_len);
	(void)field_bytes(f[13], s->gamename, sizeof(s->gamename),
	    &s->gamename_len);
	(void)field_bytes(f[14], s->mapname, sizeof(s->mapname),
	    &s->mapname_len);
	(void)field_bytes(f[15], s->hostname, sizeof(s->hostname),
	    &s->hostname_len);
	/* Only the time of its last answer moved: the list is the same. */
	if (old.last != -1)
		old.last = s->last;
	if (memcmp(&old, s, sizeof(old)) != 0)
		api.list_generation++;
}

static void
files_free(struct api_files *fl)
{
	free(fl->featured);
	free(fl->ignore);
	memset(fl, 0, sizeof(*fl));
}

/*
 * files-begin, motd|TEXT, featured|LABEL|ADDR, ignore|ENTRY, files-end:
 * built aside, then swapped in whole.
 */
static void
report_files(char **f, int n)
{
	struct api_featured	*fe;
	u_char			 buf[MAX_MOTD];
	size_t			 len;
	void			*p;

	if (strcmp(f[3], "files-begin") == 0) {
		files_free(&next_files);
		files_open = 1;
		return;
	}
	if (!files_open)
		return;
	if (strcmp(f[3], "files-end") == 0) {
		files_free(&api.files);
		api.files = next_files;
		api.files.loaded = 1;
		memset(&next_files, 0, sizeof(next_files));
		files_open = 0;
	} else if (strcmp(f[3], "motd") == 0 && n >= 5) {
		if (field_bytes(f[4], buf, sizeof(buf) - 1, &len) == 0) {
			memcpy(next_files.motd, buf, len);
			next_files.motd[len] = '\0';
		}
	} else if (strcmp(f[3], "featured") == 0 && n >= 6) {
		if (next_files.nfeatured == FILES_FEATURED_MAX)
			return;
		if ((next_files.nfeatured & (next_files.nfeatured - 1)) == 0) {
			if ((p = reallocarray(next_files.featured,
			    next_files.nfeatured ? next_files.nfeatured * 2 : 8,
			    sizeof(*fe))) == NULL)
				fatal(NULL);
			next_files.featured = p;
		}
		fe = &next_files.featured[next_files.nfeatured];
		memset(fe, 0, sizeof(*fe));
		if (field_bytes(f[4], buf, MAX_LABEL, &len) == -1 ||
		    addr_parse(f[5], &fe->addr) == -1)
			return;
		render_text(buf, len, fe->label, sizeof(fe->label));
		next_files.nfeatured++;
	} else if (strcmp(f[3], "ignore") == 0 && n >= 5) {
		next_files.ignore_total++;
		if (next_files.nignore == API_IGNORE_KEPT ||
		    strlen(f[4]) >= API_ENTRY_MAX)
			return;
		if ((next_files.nignore & (next_files.nignore - 1)) == 0) {
			if ((p = reallocarray(next_files.ignore,
			    next_files.nignore ? next_files.nignore * 2 : 8,
			    API_ENTRY_MAX)) == NULL)
				fatal(NULL);
			next_files.ignore = p;
		}
		(void)strlcpy(next_files.ignore[next_files.nignore++], f[4],
		    API_ENTRY_MAX);
	}
}

/* log|PROCESS|LEVEL|MESSAGE, into the ring of the last API_LOG_KEPT. */
static void
report_log(char **f, int n)
{
	struct api_log	*l;
	u_char		 buf[API_LOG_LINE_MAX];
	size_t		 len;
	int		 level;

	if (n < 7)
		return;
	for (level = LOGLEVEL_ALWAYS; level <= LOGLEVEL_DEBUG; level++)
		if (strcmp(f[5], plp_level_name(level)) == 0)
			break;
	if (level > LOGLEVEL_DEBUG)
		return;
	l = &api.logs[api.log_next];
	l->time = (time_t)strtoll(f[2], NULL, 10);
	l->level = level;
	(void)strlcpy(l->proc, f[4], sizeof(l->proc));
	if (field_bytes(f[6], buf, sizeof(buf) - 1, &len) == -1)
		return;
	render_utf8(buf, len, l->msg, sizeof(l->msg));
	api.log_next = (api.log_next + 1) % API_LOG_KEPT;
	if (api.nlogs < API_LOG_KEPT)
		api.nlogs++;
}
