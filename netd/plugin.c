/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * netd's side of the plugin protocol (man/tremmasterd-plugins.7).  The
 * parent starts each plugin and hands netd one end of its channel; netd
 * speaks lines on it: the handshake, then the streams the plugin asked
 * for.  Reports are per server event, never per datagram; only a
 * registered filter puts a plugin on the packet path.
 *
 * Nothing a plugin does can hurt netd: every line is parsed strictly and
 * a bad one ends the plugin (the parent starts it again); what is queued
 * to a plugin is capped, reports past the cap are dropped and counted,
 * and a held request never waits past the filter timeout.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/tree.h>

#include <errno.h>
#include <event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "log.h"
#include "netd.h"
#include "options.h"
#include "tremmasterd.h"
#include "util.h"

#define PLUGIN_LINE_MAX		16384	/* bytes a line, newline included */
#define PLUGIN_LINES_A_WAKEUP	64	/* lines read before the others run */
#define PLUGIN_OUT_MAX		(1024 * 1024)	/* bytes queued to a plugin */
#define PLUGIN_HELD_MAX		256	/* requests a plugin may hold */
/* The longest filter line: a datagram or message, escaped. */
#define FILTER_REQ_MAX		(netd_conf.ws_max_message > PKT_MAX ? \
				    (size_t)netd_conf.ws_max_message : PKT_MAX)
#define PLUGIN_FILTER_LINE	(4 * FILTER_REQ_MAX + 256)
#define FILTER_TIMEOUT_MS	1000	/* a filter's answer, at most */
#define ADD_RATE		1024	/* add-server requests a second */
#define ADD_BURST		4096
#define PENDING_MAX		65536	/* add-server labels awaiting answers */
#define ADMIN_INFLIGHT_MAX	8	/* admin requests a plugin may have */
#define PROCS_INFLIGHT_MAX	2	/* processes requests, the same */

/* Where a plugin's files report is (plugin_files_more()). */
enum pl_files {
	FILES_NONE,		/* none being sent */
	FILES_BEGIN,
	FILES_MOTD,
	FILES_FEATURED,		/* files_pos: the next address */
	FILES_IGNORE,		/* files_pos: the next entry, file order */
	FILES_END
};

enum pl_state {
	PL_REGISTER,		/* config sent, register lines expected */
	PL_READY		/* register|ready seen */
};

struct plugin {
	uint32_t		 id;
	uint32_t		 flags;		/* PLUGIN_ADMIN */
	char			 name[PLUGIN_NAME_MAX];
	int			 fd;
	enum pl_state		 state;
	struct event		 ev_read, ev_write, ev_more;
	struct evbuffer		*in, *out;
	int			 reports;	/* report|server */
	int			 files;		/* report|files */
	enum pl_files		 files_at;	/* of the report being sent */
	size_t			 files_pos;
	int			 log_level;	/* report|log, -1: none */
	int			 filters[PLP_KINDS];
	size_t			 nheld;
	uint32_t		 serial;	/* of this channel */
	uint32_t		 gen;		/* the parent's start of it */
	int			 snap;		/* a snapshot is being sent */
	int			 snap_begun;	/* snap_addr is the last sent */
	struct ipc_addr		 snap_addr;
	int			 snap_ws;
	char			 snap_token[PLP_TOKEN_MAX + 1];
	int			 nadmin;	/* admin requests in flight */
	int			 nprocs;	/* processes requests in flight */
	uint64_t		 lost;		/* reports dropped, not told */
	uint64_t		 lost_log;	/* dropped, not yet logged */
	int64_t			 add_tokens;	/* thousandths */
	int64_t			 add_last;	/* ms */
};

/* A request held while the filtering plugins decide. */
struct held {
	RB_ENTRY(held)		 entry;
	uint64_t		 token;		/* of the plugin asked now */
	enum plp_kind	 kind;
	uint32_t		 asked;		/* id of the plugin asked */
	struct ipc_addr		 addr;
	struct netsock		*sock;		/* UDP: where it came */
	uint32_t		 ws_id;		/* WebSocket: its connection */
	int			 ws;
	struct event		 timeout;
	size_t			 len;
	size_t			 cap;		/* of data */
	u_char			 data[];	/* the request, or its rewrite */
};

/* An add-server label, kept until the server answers or time is up. */
struct pending {
	RB_ENTRY(pending)	 entry;
	struct ipc_addr		 addr;
	int16_t			 label;
	int64_t			 until;		/* ms */
};

/* What the plugins did, since start. */
static struct {
	uint64_t	 filtered;	/* requests held for a filter */
	uint64_t	 timeouts;	/* filters that did not answer in time */
	uint64_t	 skipped;	/* plugins skipped: too much held */
	uint64_t	 late;		/* results for tokens gone */
	uint64_t	 lost;		/* reports dropped, all plugins */
	uint64_t	 added;		/* add-server challenges sent */
	uint64_t	 ended;		/* plugins ended for their lines */
} counters;

static int	 held_cmp(const struct held *, const struct held *);
static int	 pending_cmp(const struct pending *, const struct pending *);
RB_HEAD(held_tree, held);
RB_GENERATE_STATIC(held_tree, held, entry, held_cmp)
RB_HEAD(pending_tree, pending);
RB_GENERATE_STATIC(pending_tree, pending, entry, pending_cmp)

static struct plugin		*plugins[PLUGIN_MAX];
static struct held_tree		 helds = RB_INITIALIZER(&helds);
static struct pending_tree	 pendings = RB_INITIALIZER(&pendings);
static size_t			 npending;
static int			 nfiltering[PLP_KINDS];
static char			 labels[PLUGIN_LABELS_MAX][MAX_LABEL];
static int			 nlabels;
static uint64_t			 next_token;
static int			 netd_started;
static uint32_t			 serials;
static uint32_t			*ignore_file_order;	/* ignore_order() */

static const char *const	 gone_names[] = {
	[GONE_TIMEOUT] = "timeout",
	[GONE_FLATLINE] = "flatline",
	[GONE_IGNORED] = "ignored"
};

static void	 plugin_free(struct plugin *);
static void	 plugin_lost(struct plugin *, const char *);
static void	 plugin_end(struct plugin *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static void	 plugin_read(int, short, void *);
static void	 plugin_write(int, short, void *);
static void	 plugin_more(int, short, void *);
static void	 plugin_lines(struct plugin *);
static int	 plugin_line(struct plugin *, char *, size_t);
static int	 plugin_register(struct plugin *, const struct plp_line *);
static int	 plugin_result(struct plugin *, const struct plp_line *);
static int	 plugin_request(struct plugin *, const struct plp_line *);
static void	 plugin_flush(struct plugin *);
static void	 request_admin(struct plugin *, const struct plp_line *);
static void	 request_processes(struct plugin *, const char *);
static void	 respond_error(struct plugin *, const char *, const char *);
static int	 plugin_room(struct plugin *);
static void	 plugin_initialize(struct plugin *);
static void	 plugin_snapshot(struct plugin *, const char *);
static void	 plugin_snapshot_more(struct plugin *);
static void	 plugin_files(struct plugin *);
static void	 plugin_files_more(struct plugin *);
static void	 plugin_files_line(struct plugin *);
static void	 plugin_put_server(struct evbuffer *, const char *,
		    const struct server *);
static void	 plugin_report_server(const char *, const struct server *,
		    int);
static void	 plugin_respond(struct plugin *, const char *, const char *,
		    ...) __attribute__((__format__ (printf, 3, 4)));
static void	 plugin_log_hook(int, const char *);
static void	 plugin_log_level(void);
static void	 line_head(struct evbuffer *, const char *);
static void	 report_head(struct evbuffer *);
static int	 report_begin(struct plugin *);
static void	 put_escaped(struct evbuffer *, const void *, size_t);
static int	 label_index(const char *);
static int	 label_known(const char *);
static void	 held_ask(struct held *);
static void	 held_done(struct held *);
static void	 held_timeout(int, short, void *);
static int	 held_source(const struct held *, struct source *);
static void	 held_drop_plugin(struct plugin *);

static int
held_cmp(const struct held *a, const struct held *b)
{
	return (a->token < b->token ? -1 : a->token > b->token);
}

static int
pending_cmp(const struct pending *a, const struct pending *b)
{
	if (a->addr.family != b->addr.family)
		return (a->addr.family < b->addr.family ? -1 : 1);
	if (a->addr.port != b->addr.port)
		return (a->addr.port < b->addr.port ? -1 : 1);
	return (memcmp(a->addr.addr, b->addr.addr, sizeof(a->addr.addr)));
}

/*
 * A plugin's channel from the parent: a new plugin, or one started again
 * (whose old channel, if netd still has it, goes).  The handshake starts.
 */
void
plugin_attach(const struct ipc_plugin *ip, int fd)
{
	struct plugin	*p;
	struct evbuffer	*b;

	if (ip->id >= PLUGIN_MAX || memchr(ip->name, '\0',
	    sizeof(ip->name)) == NULL)
		fatalx("%s: bad plugin message", __func__);
	if (plugins[ip->id] != NULL)
		plugin_free(plugins[ip->id]);
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->in = evbuffer_new()) == NULL ||
	    (p->out = evbuffer_new()) == NULL)
		fatal(NULL);
	p->id = ip->id;
	p->serial = ++serials;
	p->gen = ip->gen;
	p->flags = ip->flags;
	(void)strlcpy(p->name, ip->name, sizeof(p->name));
	p->fd = fd;
	p->log_level = -1;
	p->add_tokens = (int64_t)ADD_BURST * 1000;
	p->add_last = netd_now();
	/* The parent made fd non-blocking: netd's sandbox has no fcntl. */
	event_set(&p->ev_read, fd, EV_READ | EV_PERSIST, plugin_read, p);
	event_set(&p->ev_write, fd, EV_WRITE, plugin_write, p);
	evtimer_set(&p->ev_more, plugin_more, p);
	if (event_add(&p->ev_read, NULL) == -1)
		fatal("event_add");
	plugins[p->id] = p;

	b = p->out;
	evbuffer_add_printf(b, "config|%s|tremmasterd|%s\n", PLP_VERSION,
	    VERSION);
	evbuffer_add_printf(b, "config|%s|protocol|%s\n", PLP_VERSION,
	    PLP_VERSION);
	evbuffer_add_printf(b, "config|%s|name|", PLP_VERSION);
	put_escaped(b, p->name, strlen(p->name));
	evbuffer_add_printf(b, "\nconfig|%s|admin|%s\n", PLP_VERSION,
	    (p->flags & PLUGIN_ADMIN) ? "yes" : "no");
	evbuffer_add_printf(b, "config|%s|filter-timeout|%d\n",
	    PLP_VERSION, FILTER_TIMEOUT_MS);
	evbuffer_add_printf(b, "config|%s|ready\n", PLP_VERSION);
	plugin_flush(p);
	log_verbose("plugin %s: channel open", p->name);
}

/* netd's sockets are live: plugins ready now get their initialize. */
void
plugin_startup(void)
{
	size_t	 i;

	netd_started = 1;
	for (i = 0; i < PLUGIN_MAX; i++)
		if (plugins[i] != NULL && plugins[i]->state == PL_READY)
			plugin_initialize(plugins[i]);
}

/* Shutting down: each plugin reads end of file (its cleanup). */
void
plugin_shutdown(void)
{
	size_t	 i;

	for (i = 0; i < PLUGIN_MAX; i++)
		if (plugins[i] != NULL) {
			/* Whatever is queued goes first, if it can. */
			if (evbuffer_get_length(plugins[i]->out) > 0)
				(void)evbuffer_write(plugins[i]->out,
				    plugins[i]->fd);
			plugin_free(plugins[i]);
		}
}

static void
plugin_free(struct plugin *p)
{
	plugins[p->id] = NULL;
	held_drop_plugin(p);
	if (p->state == PL_READY) {
		if (p->log_level != -1)
			plugin_log_level();
	}
	event_del(&p->ev_read);
	event_del(&p->ev_write);
	evtimer_del(&p->ev_more);
	(void)close(p->fd);
	evbuffer_free(p->in);
	evbuffer_free(p->out);
	free(p);
}

/*
 * A plugin broke the protocol: say what, close its channel and ask the
 * parent to end it, which starts it again later.
 */
static void
plugin_end(struct plugin *p, const char *fmt, ...)
{
	struct ipc_plugin_end	 pe;
	va_list			 ap;

	memset(&pe, 0, sizeof(pe));
	pe.id = p->id;
	pe.gen = p->gen;
	va_start(ap, fmt);
	(void)vsnprintf(pe.reason, sizeof(pe.reason), fmt, ap);
	va_end(ap);
	log_warnx("plugin %s: %s", p->name, pe.reason);
	counters.ended++;
	plugin_free(p);
	netd_parent_send(IMSG_PLUGIN_END, &pe, sizeof(pe));
}

/* The channel is gone: the parent ends the plugin if it still runs. */
static void
plugin_lost(struct plugin *p, const char *why)
{
	struct ipc_plugin_end	 pe;

	memset(&pe, 0, sizeof(pe));
	pe.id = p->id;
	pe.gen = p->gen;
	(void)strlcpy(pe.reason, why, sizeof(pe.reason));
	plugin_free(p);
	netd_parent_send(IMSG_PLUGIN_END, &pe, sizeof(pe));
}

/*
 * Read what the plugin wrote, never more than a line's worth beyond what
 * is buffered: a plugin that writes without newlines is ended.
 */
static void
plugin_read(int fd, short event __unused, void *arg)
{
	struct plugin	*p = arg;
	char		 buf[PLUGIN_LINE_MAX];
	ssize_t		 n;

	/* read(2), not evbuffer_read(): that asks FIONREAD of the kernel. */
	n = read(fd, buf, sizeof(buf));
	if (n > 0 && evbuffer_add(p->in, buf, n) == -1)
		fatal("evbuffer_add");
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		log_warn("plugin %s: read", p->name);
		plugin_lost(p, "its channel failed");
		return;
	}
	if (n == 0) {
		/*
		 * It exited, or closed its end and runs on: either way the
		 * parent ends this start of it and starts it again.
		 */
		log_verbose("plugin %s: channel closed", p->name);
		plugin_lost(p, "it closed its channel");
		return;
	}
	plugin_lines(p);
}

static void
plugin_more(int fd __unused, short event __unused, void *arg)
{
	plugin_lines(arg);
}

/*
 * The whole lines buffered, at most PLUGIN_LINES_A_WAKEUP before the
 * rest of netd runs again.  What a plugin sends is read only while what
 * is queued to it fits PLUGIN_OUT_MAX and a line's worth at most is
 * buffered: a plugin that asks and does not read its answers stops being
 * heard, and costs no more memory.
 */
static void
plugin_lines(struct plugin *p)
{
	struct timeval	 now = { 0, 0 };
	struct evbuffer_ptr pos;
	char		 line[PLUGIN_LINE_MAX];
	size_t		 len;
	uint32_t	 id = p->id;
	int		 i;

	for (i = 0; i < PLUGIN_LINES_A_WAKEUP && plugin_room(p); i++) {
		pos = evbuffer_search_eol(p->in, NULL, NULL, EVBUFFER_EOL_LF);
		if (pos.pos == -1) {
			if (evbuffer_get_length(p->in) >= PLUGIN_LINE_MAX) {
				plugin_end(p, "protocol error: a line longer "
				    "than %d bytes", PLUGIN_LINE_MAX);
				return;
			}
			break;
		}
		len = (size_t)pos.pos;
		if (len + 1 > PLUGIN_LINE_MAX) {
			plugin_end(p, "protocol error: a line longer than %d "
			    "bytes", PLUGIN_LINE_MAX);
			return;
		}
		(void)evbuffer_remove(p->in, line, len + 1);
		if (memchr(line, '\0', len) != NULL) {
			plugin_end(p, "protocol error: a NUL byte in a line");
			return;
		}
		line[len] = '\0';
		if (plugin_line(p, line, len) == -1 || plugins[id] != p)
			return;
	}
	if (!plugin_room(p) || evbuffer_get_length(p->in) >= PLUGIN_LINE_MAX)
		event_del(&p->ev_read);
	else if (event_add(&p->ev_read, NULL) == -1)
		fatal("event_add");
	/* More whole lines, and room for their answers: soon. */
	if (plugin_room(p) && evbuffer_search_eol(p->in, NULL, NULL,
	    EVBUFFER_EOL_LF).pos != -1)
		evtimer_add(&p->ev_more, &now);
}

/* One line from the plugin; -1 when it ended the plugin. */
static int
plugin_line(struct plugin *p, char *line, size_t len)
{
	struct plp_line	 l;
	char		 copy[PLUGIN_LINE_MAX], vbuf[LOG_VISBUF];
	int		 r = -1;

	memcpy(copy, line, len + 1);
	if (log_level_enabled(LOGLEVEL_DEBUG))
		log_debug("plugin %s: %s", p->name, log_vis(copy, len, vbuf,
		    sizeof(vbuf)));
	if (plp_parse(line, &l) == -1)
		r = -1;
	else if (l.type == PLP_REGISTER)
		r = plugin_register(p, &l);
	else if (p->state != PL_READY)
		r = -1;
	else if (l.type == PLP_RESULT)
		r = plugin_result(p, &l);
	else if (l.type == PLP_REQUEST)
		r = plugin_request(p, &l);
	if (r == -1) {
		plugin_end(p, "protocol error: %s", log_vis(copy, len, vbuf,
		    sizeof(vbuf)));
		return (-1);
	}
	return (0);
}

/* register|...: the streams the plugin wants, then register|ready. */
static int
plugin_register(struct plugin *p, const struct plp_line *l)
{
	int	 k;

	if (p->state != PL_REGISTER)
		return (-1);
	switch (l->what) {
	case PLR_SERVER:
		p->reports = 1;
		return (0);
	case PLR_FILES:
		p->files = 1;
		return (0);
	case PLR_LOG:
		p->log_level = l->level;
		return (0);
	case PLR_FILTER:
		p->filters[l->kind] = 1;
		return (0);
	}
	p->state = PL_READY;
	for (k = 0; k < PLP_KINDS; k++)
		if (p->filters[k])
			nfiltering[k]++;
	if (p->log_level != -1)
		plugin_log_level();
	log_info("plugin %s: registered%s%s%s%s%s", p->name,
	    p->reports ? " server reports" : "",
	    p->files ? " files reports" : "",
	    p->log_level != -1 ? " log" : "",
	    p->filters[PLP_HEARTBEAT] ? " heartbeat filter" : "",
	    p->filters[PLP_GETSERVERS] ? " getservers filter" : "");
	if (netd_started)
		plugin_initialize(p);
	return (0);
}

/*
 * config|1|initialize, then the data files and the table, for the
 * plugins that asked for them: a files report goes out whole before the
 * snapshot's lines go on.
 */
static void
plugin_initialize(struct plugin *p)
{
	evbuffer_add_printf(p->out, "config|%s|initialize\n", PLP_VERSION);
	if (p->files)
		plugin_files(p);
	if (p->reports)
		plugin_snapshot(p, NULL);
	plugin_flush(p);
}

/*
 * netd swapped in new data files: every plugin that takes files reports
 * and had its initialize gets them again; one whose report was being
 * sent starts over with files-begin, as the arrays it walked are gone.
 */
void
plugin_files_reload(void)
{
	size_t	 i;

	free(ignore_file_order);
	ignore_file_order = NULL;
	if (!netd_started)
		return;
	for (i = 0; i < PLUGIN_MAX; i++)
		if (plugins[i] != NULL && plugins[i]->state == PL_READY &&
		    plugins[i]->files)
			plugin_files(plugins[i]);
}

/*
 * A files report: files-begin, the motd, the featured addresses and the
 * ignore entries in the files' order, files-end.  Like a snapshot it is
 * queued in pieces as the plugin reads, never past half of
 * PLUGIN_OUT_MAX, and never dropped as lost.
 */
static void
plugin_files(struct plugin *p)
{
	p->files_at = FILES_BEGIN;
	p->files_pos = 0;
	plugin_files_more(p);
}

static void
plugin_files_more(struct plugin *p)
{
	while (p->files_at != FILES_NONE &&
	    evbuffer_get_length(p->out) < PLUGIN_OUT_MAX / 2)
		plugin_files_line(p);
	plugin_flush(p);
	/* Done: a snapshot waiting for it goes on. */
	if (p->files_at == FILES_NONE && p->snap)
		plugin_snapshot_more(p);
}

/* The next line of p's files report. */
static void
plugin_files_line(struct plugin *p)
{
	const struct featured_addr	*fa;
	const struct ipc_ignore		*ig;
	const char			*label;
	char				 abuf[ADDRSTRLEN];

	switch (p->files_at) {
	case FILES_BEGIN:
		report_head(p->out);
		evbuffer_add_printf(p->out, "|files-begin\n");
		p->files_at = FILES_MOTD;
		return;
	case FILES_MOTD:
		report_head(p->out);
		evbuffer_add_printf(p->out, "|motd|");
		put_escaped(p->out, netd_files.motd, strlen(netd_files.motd));
		evbuffer_add(p->out, "\n", 1);
		p->files_at = FILES_FEATURED;
		p->files_pos = 0;
		return;
	case FILES_FEATURED:
		if (p->files_pos >= netd_files.nfeatured) {
			p->files_at = FILES_IGNORE;
			p->files_pos = 0;
			return;
		}
		fa = &netd_files.featured[p->files_pos++];
		label = fa->label < netd_files.nlabels ?
		    netd_files.labels[fa->label].label : "";
		report_head(p->out);
		evbuffer_add_printf(p->out, "|featured|");
		put_escaped(p->out, label, strlen(label));
		evbuffer_add_printf(p->out, "|%s\n", addr_str(&fa->addr, abuf,
		    sizeof(abuf)));
		return;
	case FILES_IGNORE:
		if (p->files_pos >= netd_files.nignore) {
			p->files_at = FILES_END;
			return;
		}
		if (ignore_file_order == NULL)
			ignore_file_order = ignore_order(netd_files.ignore,
			    netd_files.nignore);
		ig = &netd_files.ignore[ignore_file_order[p->files_pos++]];
		report_head(p->out);
		evbuffer_add_printf(p->out, "|ignore|%s", addr_host(&ig->addr,
		    abuf, sizeof(abuf)));
		if (ig->prefixlen != (ig->addr.family == AF_INET ? 32 : 128))
			evbuffer_add_printf(p->out, "/%u", ig->prefixlen);
		evbuffer_add(p->out, "\n", 1);
		return;
	case FILES_END:
		report_head(p->out);
		evbuffer_add_printf(p->out, "|files-end\n");
		p->files_at = FILES_NONE;
		return;
	case FILES_NONE:
		break;
	}
	fatalx("%s: no files report", __func__);
}

/*
 * Every listed server as a server-add report, then snapshot-end (and,
 * for a request, its response).  The table goes out in pieces, as the
 * plugin reads: never more than half of PLUGIN_OUT_MAX is queued for
 * it, so a snapshot of 100,000 servers costs no more memory than a
 * small one, and reports made meanwhile come in between.
 */
static void
plugin_snapshot(struct plugin *p, const char *token)
{
	if (p->snap) {
		if (token != NULL)
			respond_error(p, token, "busy");
		return;
	}
	p->snap = 1;
	p->snap_begun = 0;
	(void)strlcpy(p->snap_token, token != NULL ? token : "",
	    sizeof(p->snap_token));
	plugin_snapshot_more(p);
}

static void
plugin_snapshot_more(struct plugin *p)
{
	struct server	*sv;

	/* A files report goes first: the snapshot waits for its end. */
	if (p->files_at != FILES_NONE)
		return;
	while (evbuffer_get_length(p->out) < PLUGIN_OUT_MAX / 2) {
		if ((sv = sv_after(p->snap_begun ? &p->snap_addr : NULL,
		    p->snap_ws)) == NULL) {
			report_head(p->out);
			evbuffer_add_printf(p->out, "|snapshot-end\n");
			if (p->snap_token[0] != '\0')
				plugin_respond(p, p->snap_token, "ok");
			p->snap = 0;
			break;
		}
		report_head(p->out);
		plugin_put_server(p->out, "server-add", sv);
		p->snap_addr = sv->addr;
		p->snap_ws = sv->ws;
		p->snap_begun = 1;
	}
	plugin_flush(p);
}

/* Send what is queued when the channel takes it. */
static void
plugin_flush(struct plugin *p)
{
	if (evbuffer_get_length(p->out) > 0 &&
	    !event_pending(&p->ev_write, EV_WRITE, NULL) &&
	    event_add(&p->ev_write, NULL) == -1)
		fatal("event_add");
}

static void
plugin_write(int fd, short event __unused, void *arg)
{
	struct plugin	*p = arg;

	if (evbuffer_write(p->out, fd) == -1 && errno != EAGAIN &&
	    errno != EWOULDBLOCK && errno != EINTR) {
		log_warn("plugin %s: write", p->name);
		plugin_lost(p, "its channel failed");
		return;
	}
	if (p->files_at != FILES_NONE)
		plugin_files_more(p);
	else if (p->snap)
		plugin_snapshot_more(p);
	plugin_flush(p);
	/* Room again: what it sent meanwhile is heard. */
	if (plugin_room(p) && !event_pending(&p->ev_read, EV_READ, NULL))
		plugin_lines(p);
}

/* May more be queued to p?  Past PLUGIN_OUT_MAX it does not read. */
static int
plugin_room(struct plugin *p)
{
	return (evbuffer_get_length(p->out) < PLUGIN_OUT_MAX);
}

/* "STREAM|1|" and the wall clock, microseconds: 1767225600.123456 */
static void
line_head(struct evbuffer *b, const char *stream)
{
	struct timeval	 tv;

	(void)gettimeofday(&tv, NULL);
	evbuffer_add_printf(b, "%s|%s|%lld.%06ld", stream, PLP_VERSION,
	    (long long)tv.tv_sec, (long)tv.tv_usec);
}

static void
report_head(struct evbuffer *b)
{
	line_head(b, "report");
}

/*
 * The start of a report for p, or -1 when p has no room: the report is
 * lost, counted, and the next that fits says how many went.
 */
static int
report_begin(struct plugin *p)
{
	if (!plugin_room(p)) {
		p->lost++;
		p->lost_log++;
		counters.lost++;
		return (-1);
	}
	if (p->lost > 0) {
		report_head(p->out);
		evbuffer_add_printf(p->out, "|lost|%llu\n",
		    (unsigned long long)p->lost);
		p->lost = 0;
	}
	report_head(p->out);
	return (0);
}

/* Bytes of the network in a field, escaped (plp_escape()). */
static void
put_escaped(struct evbuffer *b, const void *data, size_t len)
{
	const u_char	*s = data;
	char		 buf[4 * 128 + 1];
	size_t		 n;

	for (; len > 0; s += n, len -= n) {
		n = len < 128 ? len : 128;
		evbuffer_add(b, buf, plp_escape(buf, s, n));
	}
}

static int
label_known(const char *s)
{
	int	 i;

	for (i = 0; i < nlabels; i++)
		if (strcmp(labels[i], s) == 0)
			return (1);
	return (0);
}

/* The index of an add-server label, taken if new; -1 when all are. */
static int
label_index(const char *s)
{
	int	 i;

	for (i = 0; i < nlabels; i++)
		if (strcmp(labels[i], s) == 0)
			return (i);
	if (nlabels == PLUGIN_LABELS_MAX)
		return (-1);
	(void)strlcpy(labels[nlabels], s, sizeof(labels[nlabels]));
	return (nlabels++);
}

int
plugin_nlabels(void)
{
	return (nlabels);
}

const char *
plugin_label(int i)
{
	return (i >= 0 && i < nlabels ? labels[i] : "");
}

/*
 * The server's fields, as server-add and server-update carry them, after
 * the report's head.
 */
static void
plugin_put_server(struct evbuffer *b, const char *event,
    const struct server *sv)
{
	const struct info_details	*d = &sv->details;
	char				 abuf[ADDRSTRLEN];
	int				 i;

	evbuffer_add_printf(b, "|%s|%s|%s|", event, addr_str(&sv->addr,
	    abuf, sizeof(abuf)), sv->ws ? "ws" : "udp");
	if (sv->label >= 0 && (size_t)sv->label < netd_files.nlabels)
		put_escaped(b, netd_files.labels[sv->label].label,
		    strlen(netd_files.labels[sv->label].label));
	else if (sv->plabel >= 0)
		put_escaped(b, plugin_label(sv->plabel),
		    strlen(plugin_label(sv->plabel)));
	evbuffer_add(b, "|", 1);
	for (i = 0; i < sv->nprotocols; i++) {
		if (i > 0)
			put_escaped(b, ",", 1);
		put_escaped(b, sv->protocols[i], strlen(sv->protocols[i]));
	}
	evbuffer_add_printf(b, "|%u|%u|%lld|%lld|", d->clients,
	    d->maxclients, (long long)sv->first, (long long)sv->last);
	put_escaped(b, d->game, d->game_len);
	evbuffer_add(b, "|", 1);
	put_escaped(b, d->gamename, d->gamename_len);
	evbuffer_add(b, "|", 1);
	put_escaped(b, d->mapname, d->mapname_len);
	evbuffer_add(b, "|", 1);
	put_escaped(b, d->hostname, d->hostname_len);
	evbuffer_add(b, "\n", 1);
}

/* Is the report stream worth a lookup?  (No plugin, no cost.) */
static int
reporting(void)
{
	size_t	 i;

	for (i = 0; i < PLUGIN_MAX; i++)
		if (plugins[i] != NULL && plugins[i]->state == PL_READY &&
		    plugins[i]->reports)
			return (1);
	return (0);
}

/*
 * A server report for every plugin that takes them (why: -1, or the
 * reason of a server-remove): one that does not read loses it, counted,
 * and is told how many with the next that fits.
 */
static void
plugin_report_server(const char *event, const struct server *sv, int why)
{
	struct plugin	*p;
	char		 abuf[ADDRSTRLEN];
	size_t		 i;

	if (!reporting())
		return;
	for (i = 0; i < PLUGIN_MAX; i++) {
		if ((p = plugins[i]) == NULL || p->state != PL_READY ||
		    !p->reports)
			continue;
		if (report_begin(p) == -1)
			continue;
		if (why == -1)
			plugin_put_server(p->out, event, sv);
		else
			evbuffer_add_printf(p->out, "|%s|%s|%s|%s\n", event,
			    addr_str(&sv->addr, abuf, sizeof(abuf)),
			    sv->ws ? "ws" : "udp", gone_names[why]);
		plugin_flush(p);
	}
}

void
plugin_server_add(const struct server *sv)
{
	plugin_report_server("server-add", sv, -1);
}

void
plugin_server_update(const struct server *sv)
{
	plugin_report_server("server-update", sv, -1);
}

void
plugin_server_remove(const struct server *sv, enum sv_gone why)
{
	plugin_report_server("server-remove", sv, why);
}

/*
 * The log stream: the most verbose level any plugin asked for is the
 * hook's, so that lines below the daemon's own level are made for them.
 */
static void
plugin_log_level(void)
{
	static int	 told = -1;
	size_t		 i;
	int		 level = -1;

	for (i = 0; i < PLUGIN_MAX; i++)
		if (plugins[i] != NULL && plugins[i]->state == PL_READY &&
		    plugins[i]->log_level > level)
			level = plugins[i]->log_level;
	log_sethook(level, level == -1 ? NULL : plugin_log_hook);
	if (level != told) {
		told = level;
		netd_log_level(level);
	}
}

static void
plugin_log_hook(int level, const char *msg)
{
	plugin_log("netd", level, msg);
}

/* A log line of a process of the daemon, for the plugins that want it. */
void
plugin_log(const char *proc, int level, const char *msg)
{
	struct plugin	*p;
	size_t		 i;

	if (level < LOGLEVEL_ALWAYS || level > LOGLEVEL_DEBUG)
		return;
	for (i = 0; i < PLUGIN_MAX; i++) {
		if ((p = plugins[i]) == NULL || p->state != PL_READY ||
		    p->log_level < level)
			continue;
		if (report_begin(p) == -1)
			continue;
		evbuffer_add_printf(p->out, "|log|%s|%s|", proc,
		    plp_level_name(level));
		put_escaped(p->out, msg, strlen(msg));
		evbuffer_add(p->out, "\n", 1);
		plugin_flush(p);
	}
}

/*
 * The filter stream.  Is any plugin filtering this kind?  When one is,
 * the request is held (1) and goes on from plugin_filtered() later.
 */
int
plugin_filter(enum plp_kind kind, const struct source *src,
    const u_char *pkt, size_t len)
{
	struct held	*h;

	if (nfiltering[kind] == 0)
		return (0);
	/*
	 * Room for the request (a WebSocket message may be larger than a
	 * datagram) and for a rewrite of a datagram's size.
	 */
	if ((h = calloc(1, sizeof(*h) + (len > PKT_MAX ? len : PKT_MAX))) ==
	    NULL)
		fatal(NULL);
	h->cap = len > PKT_MAX ? len : PKT_MAX;
	h->kind = kind;
	h->addr = src->addr;
	h->sock = src->sock;
	h->ws = src->ws != NULL;
	h->ws_id = src->ws_id;
	h->len = len;
	memcpy(h->data, pkt, len);
	evtimer_set(&h->timeout, held_timeout, h);
	counters.filtered++;
	h->asked = 0;
	h->token = 0;
	held_ask(h);
	return (1);
}

/*
 * Ask the next plugin, in command-line order, that filters the request's
 * kind, from h->asked on; when none is left, the request goes on.
 */
static void
held_ask(struct held *h)
{
	struct timeval	 tv = { FILTER_TIMEOUT_MS / 1000,
			    (FILTER_TIMEOUT_MS % 1000) * 1000 };
	struct plugin	*p;
	char		 abuf[ADDRSTRLEN];
	uint32_t	 i;

	for (i = h->asked; i < PLUGIN_MAX; i++) {
		if ((p = plugins[i]) == NULL || p->state != PL_READY ||
		    !p->filters[h->kind])
			continue;
		/*
		 * Filter lines have room of their own past the reports': a
		 * burst of large requests must not fill the queue and slip
		 * past the plugin.  PLUGIN_HELD_MAX bounds them.
		 */
		if (p->nheld >= PLUGIN_HELD_MAX ||
		    evbuffer_get_length(p->out) >= PLUGIN_OUT_MAX +
		    PLUGIN_HELD_MAX * PLUGIN_FILTER_LINE) {
			counters.skipped++;
			continue;
		}
		if (next_token == 0)
			next_token = ((uint64_t)arc4random() << 32) |
			    arc4random();
		h->token = next_token++;
		h->asked = i;
		RB_INSERT(held_tree, &helds, h);
		p->nheld++;
		line_head(p->out, "filter");
		evbuffer_add_printf(p->out, "|%s|%016llx|%s|%s|",
		    plp_kind_name(h->kind), (unsigned long long)h->token,
		    addr_str(&h->addr, abuf, sizeof(abuf)),
		    h->ws ? "ws" : "udp");
		put_escaped(p->out, h->data, h->len);
		evbuffer_add(p->out, "\n", 1);
		plugin_flush(p);
		evtimer_add(&h->timeout, &tv);
		return;
	}
	held_done(h);
}

/* The way back to the request's source; -1 if its connection is gone. */
static int
held_source(const struct held *h, struct source *src)
{
	struct ws_conn	*c;

	if (!h->ws) {
		src_udp(src, &h->addr, h->sock, NULL);
		return (0);
	}
	if ((c = ws_find(h->ws_id)) == NULL)
		return (-1);
	src_ws(src, c, &h->addr);
	return (0);
}

/* Every plugin let the request through: it goes on. */
static void
held_done(struct held *h)
{
	struct source	 src;

	if (held_source(h, &src) == 0)
		handle_filtered(h->kind, &src, h->data, h->len);
	free(h);
}

/* Take h out of the plugin asked, to go on or to end. */
static void
held_unlink(struct held *h)
{
	if (h->token != 0) {
		RB_REMOVE(held_tree, &helds, h);
		h->token = 0;
		if (plugins[h->asked] != NULL)
			plugins[h->asked]->nheld--;
	}
	evtimer_del(&h->timeout);
}

static void
held_timeout(int fd __unused, short event __unused, void *arg)
{
	struct held	*h = arg;

	/* Without a token, its plugin went (held_drop_plugin()). */
	if (h->token != 0) {
		counters.timeouts++;
		held_unlink(h);
	}
	h->asked++;
	held_ask(h);
}

/* A plugin goes: what it was asked goes on to the next one. */
static void
held_drop_plugin(struct plugin *p)
{
	struct timeval	 now = { 0, 0 };
	struct held	*h, *next;

	for (h = RB_MIN(held_tree, &helds); h != NULL; h = next) {
		next = RB_NEXT(held_tree, &helds, h);
		if (h->asked != p->id)
			continue;
		/*
		 * Unlinked, it goes on from held_timeout() at once: not
		 * while this loop walks the tree.
		 */
		held_unlink(h);
		evtimer_add(&h->timeout, &now);
	}
	p->nheld = 0;
	if (p->state == PL_READY) {
		int	 k;

		for (k = 0; k < PLP_KINDS; k++)
			if (p->filters[k])
				nfiltering[k]--;
	}
}

/* filter-result|TOKEN|proceed|drop|rewrite|answer[|DATA] */
static int
plugin_result(struct plugin *p, const struct plp_line *l)
{
	struct held	 key, *h;
	struct source	 src;
	size_t		 off;

	key.token = l->result;
	if ((h = RB_FIND(held_tree, &helds, &key)) == NULL ||
	    h->asked != p->id) {
		/* Answered after its time, or never asked: nothing to do. */
		counters.late++;
		log_debug("plugin %s: result for token %016llx, not held",
		    p->name, (unsigned long long)l->result);
		return (0);
	}
	if (l->what == PLV_REWRITE) {
		if (h->kind != PLP_HEARTBEAT || l->len > h->cap ||
		    proto_command(l->data, l->len, &off) != CMD_HEARTBEAT)
			return (-1);
		memcpy(h->data, l->data, l->len);
		h->len = l->len;
	} else if (l->what == PLV_ANSWER && h->kind != PLP_GETSERVERS)
		return (-1);
	held_unlink(h);
	switch (l->what) {
	case PLV_DROP:
		free(h);
		return (0);
	case PLV_ANSWER:
		if (held_source(h, &src) == 0 && l->len > 0 &&
		    src_answer(&src, l->data, l->len, netd_now()) == -1)
			netd_drops.budget++;
		free(h);
		return (0);
	}
	h->asked++;
	held_ask(h);
	return (0);
}

/* response|1|TOKEN|STATUS[|...] */
static void
plugin_respond(struct plugin *p, const char *token, const char *fmt, ...)
{
	va_list	 ap;

	evbuffer_add_printf(p->out, "response|%s|%s|", PLP_VERSION,
	    token);
	va_start(ap, fmt);
	evbuffer_add_vprintf(p->out, fmt, ap);
	va_end(ap);
	evbuffer_add(p->out, "\n", 1);
	plugin_flush(p);
}

static void
respond_error(struct plugin *p, const char *token, const char *msg)
{
	evbuffer_add_printf(p->out, "response|%s|%s|error|", PLP_VERSION,
	    token);
	put_escaped(p->out, msg, strlen(msg));
	evbuffer_add(p->out, "\n", 1);
	plugin_flush(p);
}

/* May p add one more server now?  ADD_RATE a second, ADD_BURST ahead. */
static int
add_allowed(struct plugin *p, int64_t now)
{
	if (now > p->add_last) {
		p->add_tokens += (now - p->add_last) * ADD_RATE;
		if (p->add_tokens > (int64_t)ADD_BURST * 1000)
			p->add_tokens = (int64_t)ADD_BURST * 1000;
		p->add_last = now;
	}
	if (p->add_tokens < 1000)
		return (0);
	p->add_tokens -= 1000;
	return (1);
}

/* Remember the label of an add-server until its answer or its time. */
static int
pending_add(const struct ipc_addr *a, int label, int64_t now)
{
	struct pending	 key, *pe;

	memset(&key, 0, sizeof(key));
	key.addr = *a;
	key.addr.pad = 0;
	if ((pe = RB_FIND(pending_tree, &pendings, &key)) == NULL) {
		if (npending >= PENDING_MAX)
			return (-1);
		if ((pe = calloc(1, sizeof(*pe))) == NULL)
			fatal(NULL);
		pe->addr = key.addr;
		RB_INSERT(pending_tree, &pendings, pe);
		npending++;
	}
	pe->label = (int16_t)label;
	pe->until = now + 2 * (int64_t)netd_conf.challenge_timeout * 1000;
	return (0);
}

/* The add-server label of a server that just answered, or -1. */
int
plugin_take_label(const struct ipc_addr *a)
{
	struct pending	 key, *pe;
	int		 label;

	if (npending == 0)
		return (-1);
	memset(&key, 0, sizeof(key));
	key.addr = *a;
	key.addr.pad = 0;
	if ((pe = RB_FIND(pending_tree, &pendings, &key)) == NULL)
		return (-1);
	label = pe->until > netd_now() ? pe->label : -1;
	RB_REMOVE(pending_tree, &pendings, pe);
	npending--;
	free(pe);
	return (label);
}

/*
 * The periodic work: labels whose challenge went unanswered go, and once
 * a minute each plugin that does not read is named with what it lost.
 */
void
plugin_tick(int64_t now)
{
	static int64_t	 logged;
	struct pending	*pe, *next;
	size_t		 i;

	if (now - logged >= 60 * 1000) {
		logged = now;
		for (i = 0; i < PLUGIN_MAX; i++)
			if (plugins[i] != NULL && plugins[i]->lost_log > 0) {
				log_warnx("plugin %s: %llu reports lost in a "
				    "minute: it does not read fast enough",
				    plugins[i]->name, (unsigned long long)
				    plugins[i]->lost_log);
				plugins[i]->lost_log = 0;
			}
	}
	RB_FOREACH_SAFE(pe, pending_tree, &pendings, next)
		if (pe->until <= now) {
			RB_REMOVE(pending_tree, &pendings, pe);
			npending--;
			free(pe);
		}
}

/* request|TOKEN|add-server|ADDR[|LABEL] */
static int
request_add_server(struct plugin *p, const struct plp_line *l)
{
	struct ipc_addr	 a;
	const char	*why;
	int64_t		 now = netd_now();
	int		 label = -1;

	if (l->narg == 2 && l->arg[1][0] != '\0' &&
	    !plp_word_ok(l->arg[1], MAX_LABEL))
		return (-1);
	if (addr_parse(l->arg[0], &a) == -1 || a.port == 0) {
		respond_error(p, l->token, "bad address");
		return (0);
	}
	if (!add_allowed(p, now)) {
		respond_error(p, l->token, "busy");
		return (0);
	}
	/* A label is taken for good: not for a request that goes nowhere. */
	if (l->narg == 2 && l->arg[1][0] != '\0' &&
	    !label_known(l->arg[1]) && nlabels == PLUGIN_LABELS_MAX) {
		respond_error(p, l->token, "too many labels");
		return (0);
	}
	if (handle_add_server(&a, now, &why) == -1) {
		respond_error(p, l->token, why);
		return (0);
	}
	if (l->narg == 2 && l->arg[1][0] != '\0')
		label = label_index(l->arg[1]);
	if (label != -1 && sv_lookup(&a, 0) == NULL &&
	    pending_add(&a, label, now) == -1) {
		respond_error(p, l->token, "busy");
		return (0);
	}
	counters.added++;
	plugin_respond(p, l->token, "ok");
	return (0);
}

/*
 * request|TOKEN|flatline|ADDR: the server listed at ADDR over UDP is
 * probed as after its own flatline, within add-server's rate.
 */
static void
request_flatline(struct plugin *p, const struct plp_line *l)
{
	struct ipc_addr	 a;
	int64_t		 now = netd_now();

	if (addr_parse(l->arg[0], &a) == -1 || a.port == 0) {
		respond_error(p, l->token, "bad address");
		return;
	}
	if (!add_allowed(p, now)) {
		respond_error(p, l->token, "busy");
		return;
	}
	if (handle_flatline(&a, p->name, now) == -1) {
		respond_error(p, l->token, "not listed");
		return;
	}
	plugin_respond(p, l->token, "ok");
}

/*
 * request|TOKEN|counters: the plugins' counters, then what netd took by
 * kind, its drops and its challenges, all since start.
 */
static void
request_counters(struct plugin *p, const char *token)
{
	const struct netd_taken	*t = handle_taken();
	struct netd_drops	 d;
	size_t			 i, ws = sv_count_ws(), wsopen;
	uint64_t		 wsaccepted;
	int			 np = 0;

	for (i = 0; i < PLUGIN_MAX; i++)
		if (plugins[i] != NULL)
			np++;
	netd_drops_total(&d);
	ws_counts(&wsopen, &wsaccepted);
	plugin_respond(p, token, "ok|servers=%zu|udp=%zu|ws=%zu|plugins=%d|"
	    "filtered=%llu|filter-timeouts=%llu|filter-skipped=%llu|"
	    "filter-late=%llu|reports-lost=%llu|added=%llu|"
	    "plugins-ended=%llu|heartbeats=%llu|flatlines=%llu|"
	    "getservers=%llu|getserversext=%llu|getmotd=%llu|gamestats=%llu|"
	    "inforesponses=%llu|bad=%llu|refused-servers=%llu|"
	    "refused-challenges=%llu|throttled=%llu|over-budget=%llu|"
	    "refused-gamestats=%llu|stats-dropped=%llu|challenges=%llu|"
	    "ws-connections=%zu|ws-accepted=%llu",
	    sv_count(), sv_count() - ws, ws, np,
	    (unsigned long long)counters.filtered,
	    (unsigned long long)counters.timeouts,
	    (unsigned long long)counters.skipped,
	    (unsigned long long)counters.late,
	    (unsigned long long)counters.lost,
	    (unsigned long long)counters.added,
	    (unsigned long long)counters.ended,
	    (unsigned long long)t->heartbeats,
	    (unsigned long long)t->flatlines,
	    (unsigned long long)t->getservers,
	    (unsigned long long)t->getserversext,
	    (unsigned long long)t->getmotd,
	    (unsigned long long)t->gamestats,
	    (unsigned long long)t->inforesponses,
	    (unsigned long long)t->bad,
	    (unsigned long long)d.servers,
	    (unsigned long long)d.challenges,
	    (unsigned long long)d.throttled,
	    (unsigned long long)d.budget,
	    (unsigned long long)d.gamestats,
	    (unsigned long long)d.stats,
	    (unsigned long long)t->challenges,
	    wsopen, (unsigned long long)wsaccepted);
}

/* request|TOKEN|COMMAND|...: answered with response lines. */
static int
plugin_request(struct plugin *p, const struct plp_line *l)
{
	if (plp_request_admin(l->what) && !(p->flags & PLUGIN_ADMIN)) {
		respond_error(p, l->token, "not an admin plugin");
		return (0);
	}
	switch (l->what) {
	case PLC_ADD_SERVER:
		return (request_add_server(p, l));
	case PLC_COUNTERS:
		request_counters(p, l->token);
		return (0);
	case PLC_SNAPSHOT:
		plugin_snapshot(p, l->token);
		return (0);
	case PLC_FLATLINE:
		request_flatline(p, l);
		return (0);
	case PLC_PROCESSES:
		request_processes(p, l->token);
		return (0);
	}
	request_admin(p, l);
	return (0);
}

/*
 * An admin request goes to the parent, which checks it again, changes the
 * data file and reloads it; its answer comes in plugin_admin_answer().
 */
static void
request_admin(struct plugin *p, const struct plp_line *l)
{
	struct ipc_plugin_admin	 a;

	memset(&a, 0, sizeof(a));
	a.id = p->id;
	a.serial = p->serial;
	(void)strlcpy(a.token, l->token, sizeof(a.token));
	switch (l->what) {
	case PLC_IGNORE_ADD:
	case PLC_IGNORE_REMOVE:
		a.cmd = l->what == PLC_IGNORE_ADD ? ADMIN_IGNORE_ADD :
		    ADMIN_IGNORE_REMOVE;
		if (strlcpy(a.arg, l->arg[0], sizeof(a.arg)) >= sizeof(a.arg))
			goto toolong;
		break;
	case PLC_FEATURED_SET:
		a.cmd = ADMIN_FEATURED_SET;
		if (strlcpy(a.arg, l->arg[0], sizeof(a.arg)) >= sizeof(a.arg) ||
		    strlcpy(a.text, l->arg[1], sizeof(a.text)) >= sizeof(a.text))
			goto toolong;
		break;
	case PLC_MOTD_SET:
		a.cmd = ADMIN_MOTD_SET;
		if (l->len >= sizeof(a.text))
			goto toolong;
		if (memchr(l->data, '\0', l->len) != NULL) {
			respond_error(p, l->token, "a NUL byte in the motd");
			return;
		}
		memcpy(a.text, l->data, l->len);
		break;
	case PLC_RELOAD:
		a.cmd = ADMIN_RELOAD;
		break;
	case PLC_SHUTDOWN:
		a.cmd = ADMIN_SHUTDOWN;
		break;
	default:
		fatalx("%s: request %d", __func__, l->what);
	}
	if (p->nadmin >= ADMIN_INFLIGHT_MAX) {
		respond_error(p, l->token, "busy");
		return;
	}
	p->nadmin++;
	netd_parent_send(IMSG_PLUGIN_ADMIN, &a, sizeof(a));
	return;
 toolong:
	respond_error(p, l->token, "too long");
}

/* The parent's answer to an admin request, for the plugin that asked. */
void
plugin_admin_answer(const struct ipc_plugin_answer *ans)
{
	struct plugin	*p;

	if (ans->id >= PLUGIN_MAX || memchr(ans->token, '\0',
	    sizeof(ans->token)) == NULL || memchr(ans->message, '\0',
	    sizeof(ans->message)) == NULL)
		fatalx("bad admin answer from the parent");
	/* Gone, or started again since it asked: nobody to tell. */
	if ((p = plugins[ans->id]) == NULL || p->serial != ans->serial)
		return;
	p->nadmin--;
	if (ans->ok)
		plugin_respond(p, ans->token, "ok");
	else
		respond_error(p, ans->token, ans->message);
}

/*
 * request|TOKEN|processes: the parent reads the memory of the daemon's
 * processes; its answer comes in plugin_processes_answer().
 */
static void
request_processes(struct plugin *p, const char *token)
{
	struct ipc_plugin_query	 q;

	if (p->nprocs >= PROCS_INFLIGHT_MAX) {
		respond_error(p, token, "busy");
		return;
	}
	memset(&q, 0, sizeof(q));
	q.id = p->id;
	q.serial = p->serial;
	(void)strlcpy(q.token, token, sizeof(q.token));
	p->nprocs++;
	netd_parent_send(IMSG_PLUGIN_PROCESSES, &q, sizeof(q));
}

/*
 * The parent's answer: ok, then NAME=PID:RSS for each process, the
 * plugins as plugin.NAME with NAME escaped.
 */
void
plugin_processes_answer(const struct ipc_plugin_rss *r)
{
	static const char *const	 kinds[] = {
		[PROC_KIND_MASTER] = "master",
		[PROC_KIND_NETD] = "netd",
		[PROC_KIND_LOGD] = "logd",
		[PROC_KIND_PLUGIN] = "plugin."
	};
	const struct ipc_proc_rss	*pr;
	struct plugin			*p;
	uint32_t			 i;

	if (r->id >= PLUGIN_MAX || r->n > nitems(r->procs) ||
	    memchr(r->token, '\0', sizeof(r->token)) == NULL)
		fatalx("bad processes answer from the parent");
	for (i = 0; i < r->n; i++) {
		pr = &r->procs[i];
		if (pr->kind >= nitems(kinds) || pr->pid <= 0 ||
		    memchr(pr->name, '\0', sizeof(pr->name)) == NULL)
			fatalx("bad processes answer from the parent");
	}
	/* Gone, or started again since it asked: nobody to tell. */
	if ((p = plugins[r->id]) == NULL || p->serial != r->serial)
		return;
	p->nprocs--;
	if (!r->ok) {
		respond_error(p, r->token, "busy");
		return;
	}
	evbuffer_add_printf(p->out, "response|%s|%s|ok", PLP_VERSION,
	    r->token);
	for (i = 0; i < r->n; i++) {
		pr = &r->procs[i];
		evbuffer_add_printf(p->out, "|%s", kinds[pr->kind]);
		if (pr->kind == PROC_KIND_PLUGIN)
			put_escaped(p->out, pr->name, strlen(pr->name));
		evbuffer_add_printf(p->out, "=%ld:%llu", (long)pr->pid,
		    (unsigned long long)pr->rss);
	}
	evbuffer_add(p->out, "\n", 1);
	plugin_flush(p);
}
