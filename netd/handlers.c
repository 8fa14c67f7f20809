/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * What netd does with each datagram.  Every event of the protocol is
 * handled here and only here, so that later hooks have one place to go:
 * handle_packet() checks the source and the header, then hands the packet
 * to the handler of its command.  Handlers ask the server table (servers.c)
 * and answer through the source (source.c), which alone knows UDP from
 * WebSocket; nothing they call sends behind their back or calls back up.
 *
 * A getservers datagram, from recvmmsg(2) to sendmmsg(2):
 *	udp_read()		udp.c: a batch of datagrams, each a source
 *	handle_packet()		here: header, ignore.txt, the command
 *	handle_getservers()	here: the query (proto.c), the throttle
 *	sv_list()		servers.c: the kept packets, held by the cache
 *	src_answer_list()	source.c: the answer budget, then
 *	udp_send_list()		udp.c: queued in the batch, the packets held
 *	udp_batch_end()		udp.c, back in udp_read(): sendmmsg(2), and
 *				the packets let go (lp_release(), servers.c)
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <string.h>
#include <time.h>

#include "log.h"
#include "netd.h"
#include "util.h"

static void	handle_heartbeat(const struct source *, const u_char *,
		    size_t);
static void	handle_inforesponse(const struct source *, const u_char *,
		    size_t);
static void	handle_getservers(const struct source *, const u_char *,
		    size_t, size_t, int);
static int	challenge_allowed(struct server *, const struct ipc_addr *,
		    int64_t);
static void	heartbeat_challenge(const struct source *, struct server *,
		    int64_t);
static void	getservers_answer(const struct source *,
		    const struct gs_query *);
static void	handle_getmotd(const struct source *, const u_char *, size_t);
static void	handle_gamestat(const struct source *, const u_char *,
		    size_t);
static void	handle_probe(struct server *, int64_t);
static void	challenge_send(const struct source *, int64_t);
static int	bucket_take(uint32_t *, int64_t *, uint32_t, int64_t,
		    int64_t);

/* What came, by kind, and the challenges sent, since start. */
static struct netd_taken	 taken;

/* The timeouts of the command line, in milliseconds. */
#define CHALLENGE_MS	((int64_t)netd_conf.challenge_timeout * 1000)
#define SERVER_MS	((int64_t)netd_conf.server_timeout * 1000)

/*
 * After a flatline a listed server is challenged PROBE_COUNT times,
 * PROBE_INTERVAL apart, and removed only when none is answered: a spoofed
 * flatline and a lost reply or two cannot delist it.
 */
#define PROBE_COUNT	4
#define PROBE_INTERVAL	5000	/* ms */

/*
 * Challenges a listed server's heartbeats may ask for: a burst, then one
 * every SV_CHALLENGE_MS.  Real servers heartbeat every five minutes.
 */
#define SV_CHALLENGE_BURST	4
#define SV_CHALLENGE_MS		2000

/*
 * A listed server's answers are taken as often as it was challenged, up
 * to this many ahead: a server cannot change its flags, and make every
 * kept list stale, with a stream of answers to one challenge.
 */
#define SV_ANSWERS_MAX		(SV_CHALLENGE_BURST + PROBE_COUNT)

/*
 * gamestat records a listed server may send: a burst, then one every
 * SV_STAT_MS (a game lasts minutes; the record comes at its end).
 */
#define SV_STAT_BURST		5
#define SV_STAT_MS		60000

/*
 * One datagram from src.  Sources with port 0, packets without the header
 * and blacklisted addresses are dropped before any parsing.  The challenge
 * port takes only infoResponses, which must carry the challenge of their
 * source (challenge.c).
 */
void
handle_packet(const struct source *src, const u_char *pkt, size_t len)
{
	enum pkt_cmd	 cmd;
	size_t		 off;
	char		 abuf[ADDRSTRLEN], vbuf[LOG_VISBUF];

	if (src->addr.port == 0)
		return;
	/* Addresses are formatted only for the log lines that show. */
	abuf[0] = '\0';
	if (log_level_enabled(LOGLEVEL_DEBUG))
		addr_str(&src->addr, abuf, sizeof(abuf));
	if (len < PKT_HDR_LEN || memcmp(pkt, PKT_HDR, PKT_HDR_LEN) != 0) {
		taken.bad++;
		log_debug("%s: no header", abuf);
		return;
	}
	if (ignore_match(&src->addr)) {
		log_debug("%s: ignored (ignore.txt)", abuf);
		return;
	}
	log_debug("%s: %s", abuf, log_vis(pkt, len, vbuf, sizeof(vbuf)));

	cmd = proto_command(pkt, len, &off);
	if (src->ws == NULL && src->sock->role == SOCK_CHALLENGE) {
		if (cmd != CMD_INFORESPONSE) {
			taken.bad++;
			log_debug("%s: unexpected packet on the challenge "
			    "port", abuf);
		} else {
			taken.inforesponses++;
			handle_inforesponse(src, pkt + off, len - off);
		}
		return;
	}
	/* A WebSocket server answers its challenge on its connection. */
	if (src->ws != NULL && cmd == CMD_INFORESPONSE) {
		taken.inforesponses++;
		handle_inforesponse(src, pkt + off, len - off);
		return;
	}
	switch (cmd) {
	case CMD_GAMESTAT:
		taken.gamestats++;
		handle_gamestat(src, pkt + off, len - off);
		break;
	case CMD_GETMOTD:
		taken.getmotd++;
		handle_getmotd(src, pkt + off, len - off);
		break;
	case CMD_GETSERVERS:
		taken.getservers++;
		handle_getservers(src, pkt, len, off, 0);
		break;
	case CMD_GETSERVERSEXT:
		taken.getserversext++;
		handle_getservers(src, pkt, len, off, 1);
		break;
	case CMD_HEARTBEAT:
		/* Counted there: a heartbeat or a flatline. */
		handle_heartbeat(src, pkt, len);
		break;
	case CMD_INFORESPONSE:
		/* Challenges are answered on the challenge port only. */
		taken.bad++;
		log_debug("%s: infoResponse on a request port, ignored", abuf);
		break;
	default:
		taken.bad++;
		log_debug("%s: unrecognised content", abuf);
		break;
	}
}

/* Send src the challenge of the moment for its address and connection. */
static void
challenge_send(const struct source *src, int64_t now)
{
	u_char		 buf[64];
	size_t		 len;
	char		 challenge[CHALLENGE_LEN + 1];

	challenge_make(&src->addr, src->ws_id, now, challenge);
	len = proto_getinfo(buf, sizeof(buf), challenge);
	src_challenge(src, buf, len);
	taken.challenges++;
}

/* The counts since start, for the counters request (plugin.c). */
const struct netd_taken *
handle_taken(void)
{
	return (&taken);
}

/*
 * Take a token from a bucket of burst tokens that regains one every
 * interval ms; *last is the time *tokens counts to.  Returns 0 when empty.
 */
static int
bucket_take(uint32_t *tokens, int64_t *last, uint32_t burst, int64_t interval,
    int64_t now)
{
	int64_t	 gained;

	if (now > *last) {
		gained = (now - *last) / interval;
		if (*tokens + gained >= burst) {
			*tokens = burst;
			*last = now;
		} else {
			*tokens += (uint32_t)gained;
			*last += gained * interval;
		}
	}
	if (*tokens == 0)
		return (0);
	(*tokens)--;
	return (1);
}

/*
 * A heartbeat: challenge the sender.  Nothing is stored: the challenge is
 * a function of the address and the time (challenge.c), and only its
 * answer makes an entry.  Unknown addresses are challenged within the
 * limit per destination; a listed server within its own.  A flatline
 * ("dead") from a listed server starts its probe; it is not believed.
 * Within the limits, the plugins that filter heartbeats see it first.
 */
static void
handle_heartbeat(const struct source *src, const u_char *pkt, size_t len)
{
	struct server	*sv;
	int64_t		 now = netd_now();
	char		 abuf[ADDRSTRLEN];

	abuf[0] = '\0';
	if (log_level_enabled(LOGLEVEL_DEBUG))
		addr_str(&src->addr, abuf, sizeof(abuf));
	sv = sv_lookup(&src->addr, src->ws != NULL);
	if (proto_heartbeat_dead(pkt, len)) {
		taken.flatlines++;
		if (sv == NULL) {
			log_debug("%s: flatline from an unknown server", abuf);
			return;
		}
		if (sv->probe_next == 0) {
			log_verbose("%s: flatline, challenging it",
			    addr_str(&src->addr, abuf, sizeof(abuf)));
			sv->probes = 0;
			handle_probe(sv, now);
		}
		return;
	}
	taken.heartbeats++;
	if (!challenge_allowed(sv, &src->addr, now)) {
		log_debug("%s: heartbeat not challenged: too many", abuf);
		return;
	}
	if (plugin_filter(PLP_HEARTBEAT, src, pkt, len))
		return;
	heartbeat_challenge(src, sv, now);
}

/*
 * May the address (a listed server sv, or NULL) be challenged now?  A
 * listed server has a bucket of its own, so that spoofed heartbeats for
 * one server cost no other anything.
 */
static int
challenge_allowed(struct server *sv, const struct ipc_addr *a, int64_t now)
{
	if (sv != NULL ? bucket_take(&sv->challenge_tokens, &sv->challenged,
	    SV_CHALLENGE_BURST, SV_CHALLENGE_MS, now) :
	    throttle_challenge(a, now))
		return (1);
	netd_drops.challenges++;
	return (0);
}

/*
 * The heartbeat's challenge, counted as an answer due from the server sv
 * (its entry, or NULL when it has none).
 */
static void
heartbeat_challenge(const struct source *src, struct server *sv,
    int64_t now)
{
	char	 abuf[ADDRSTRLEN];

	if (log_level_enabled(LOGLEVEL_DEBUG))
		log_debug("%s: heartbeat, sending a challenge",
		    addr_str(&src->addr, abuf, sizeof(abuf)));
	if (sv != NULL && sv->answers_due < SV_ANSWERS_MAX)
		sv->answers_due++;
	challenge_send(src, now);
}

/*
 * A request the filtering plugins let through (plugin.c), with the data
 * the last of them left: what netd does with it when no plugin is there.
 */
void
handle_filtered(enum plp_kind kind, const struct source *src,
    const u_char *pkt, size_t len)
{
	struct gs_query	 q;
	size_t		 off;
	enum pkt_cmd	 cmd;

	switch (kind) {
	case PLP_HEARTBEAT:
		/* Held: its entry may have come or gone meanwhile. */
		heartbeat_challenge(src, sv_lookup(&src->addr,
		    src->ws != NULL), netd_now());
		break;
	case PLP_GETSERVERS:
		cmd = proto_command(pkt, len, &off);
		if ((cmd != CMD_GETSERVERS && cmd != CMD_GETSERVERSEXT) ||
		    proto_getservers(pkt + off, len - off,
		    cmd == CMD_GETSERVERSEXT, &q) == -1)
			fatalx("%s: held getservers no longer parses",
			    __func__);
		q.ws = src->ws != NULL;
		getservers_answer(src, &q);
		break;
	default:
		fatalx("%s: kind %d", __func__, kind);
	}
}

/*
 * add-server from a plugin: the address is challenged as a heartbeat
 * from it would be, within the same limits; -1 with *why when it is not.
 */
int
handle_add_server(const struct ipc_addr *a, int64_t now, const char **why)
{
	struct server	*sv;
	struct source	 src;

	if (ignore_match(a)) {
		*why = "address in ignore.txt";
		return (-1);
	}
	if (!challenge_allowed(sv = sv_lookup(a, 0), a, now)) {
		*why = "challenge limit of the address";
		return (-1);
	}
	src_udp(&src, a, NULL, NULL);
	heartbeat_challenge(&src, sv, now);
	return (0);
}

/*
 * flatline from a plugin: the server listed at a over UDP is probed as
 * its own flatline would have it.  -1 when none is listed there.
 */
int
handle_flatline(const struct ipc_addr *a, const char *plugin, int64_t now)
{
	struct server	*sv;
	char		 abuf[ADDRSTRLEN];

	if ((sv = sv_lookup(a, 0)) == NULL)
		return (-1);
	if (sv->probe_next == 0) {
		log_verbose("%s: flatline from plugin %s, challenging it",
		    addr_str(a, abuf, sizeof(abuf)), plugin);
		sv->probes = 0;
		handle_probe(sv, now);
	}
	return (0);
}

/*
 * The probe of a server that sent a flatline: the next challenge, or its
 * end when PROBE_COUNT went unanswered.  Probes are ours, paced by the
 * entry, so they take nothing from the limits.
 */
static void
handle_probe(struct server *sv, int64_t now)
{
	struct source	 src;

	if (sv->probes == PROBE_COUNT) {
		sv_remove(sv, GONE_FLATLINE,
		    "no answer to the challenges after a flatline");
		return;
	}
	if (src_server(&src, sv) == -1) {
		sv_remove(sv, GONE_FLATLINE,
		    "flatline, and its WebSocket connection is gone");
		return;
	}
	sv->probes++;
	sv->probe_next = now + (sv->probes == PROBE_COUNT ? CHALLENGE_MS :
	    PROBE_INTERVAL);
	if (sv->answers_due < SV_ANSWERS_MAX)
		sv->answers_due++;
	challenge_send(&src, now);
}

/* The periodic work on the table: expiry and the probes that are due. */
void
handle_tick(int64_t now)
{
	sv_expire(now, handle_probe);
}

/* A server saved in serverlist.txt: challenged again, never trusted. */
void
handle_saved_server(const struct ipc_addr *a)
{
	struct source	 src;

	if (ignore_match(a) || sv_lookup(a, 0) != NULL)
		return;
	src_udp(&src, a, NULL, NULL);
	challenge_send(&src, netd_now());
}

/*
 * The answer to a challenge.  It lists the server when it carries the
 * challenge of its address and the required keys, within the limits on
 * new servers.
 */
static void
handle_inforesponse(const struct source *src, const u_char *args,
    size_t len)
{
	struct inforesp	 ir;
	struct server	*sv;
	const char	*why;
	int64_t		 now = netd_now(), wall;
	char		 abuf[ADDRSTRLEN], protos[PROTO_MAX * PROTO_LEN];
	char		 vbuf[LOG_VISBUF];
	int		 i, ws = src->ws != NULL, fresh = 0, changed;

	abuf[0] = '\0';
	if (log_level_enabled(LOGLEVEL_VERBOSE))
		addr_str(&src->addr, abuf, sizeof(abuf));
	if (proto_inforesponse(args, len, &ir) == -1) {
		log_debug("%s: infoResponse without a required key", abuf);
		return;
	}
	if (!challenge_check(&src->addr, src->ws_id, now, ir.challenge)) {
		log_debug("%s: %sinfoResponse with a wrong or expired "
		    "challenge", abuf, ws ? "[WS] " : "");
		return;
	}
	/* Unix seconds, one reading: a new server's first is its last. */
	wall = time(NULL);
	if ((sv = sv_lookup(&src->addr, ws)) != NULL) {
		if (sv->answers_due == 0) {
			log_debug("%s: %sinfoResponse not asked for, ignored",
			    abuf, ws ? "[WS] " : "");
			return;
		}
		sv->answers_due--;
	} else {
		if ((sv = sv_create(&src->addr, ws, &why)) == NULL) {
			netd_drops.servers++;
			log_debug("%s: server refused: %s", abuf, why);
			return;
		}
		sv->challenge_tokens = SV_CHALLENGE_BURST;
		sv->challenged = now;
		sv->stat_tokens = SV_STAT_BURST;
		sv->stat_last = now;
		if (!ws)
			sv->plabel = (int16_t)plugin_take_label(&src->addr);
		sv->first = wall;
		fresh = 1;
		if (log_level_enabled(LOGLEVEL_VERBOSE)) {
			protos[0] = '\0';
			for (i = 0; i < ir.nprotocols; i++) {
				if (i > 0)
					(void)strlcat(protos, ",",
					    sizeof(protos));
				(void)strlcat(protos, ir.protocols[i],
				    sizeof(protos));
			}
			log_verbose("server %s verified: protocol %s%s%s",
			    abuf, log_vis(protos, strlen(protos), vbuf,
			    sizeof(vbuf)), ir.empty ? ", empty" : "",
			    ir.full ? ", full" : "");
		}
	}
	sv->ws_id = src->ws_id;
	/* Reports go only when the answer changed what plugins see. */
	changed = sv_update(sv, &ir);
	sv->last = wall;
	sv->probe_next = 0;
	sv->timeout = now + SERVER_MS;
	if (fresh)
		plugin_server_add(sv);
	else if (changed)
		plugin_server_update(sv);
}

/*
 * getservers and getserversExt (args at off in pkt): the cached packets,
 * if not throttled, after the plugins that filter them.
 */
static void
handle_getservers(const struct source *src, const u_char *pkt, size_t len,
    size_t off, int ext)
{
	struct gs_query		 q;
	char			 abuf[ADDRSTRLEN];

	abuf[0] = '\0';
	if (log_level_enabled(LOGLEVEL_DEBUG))
		addr_str(&src->addr, abuf, sizeof(abuf));
	if (proto_getservers(pkt + off, len - off, ext, &q) == -1) {
		log_debug("%s: %s without protocol or for another game, "
		    "ignored", abuf, ext ? "getserversExt" : "getservers");
		return;
	}
	if (!throttle_allow(&src->addr, netd_now())) {
		netd_drops.throttled++;
		log_debug("%s: list request throttled", abuf);
		return;
	}
	q.ws = src->ws != NULL;
	if (plugin_filter(PLP_GETSERVERS, src, pkt, len))
		return;
	getservers_answer(src, &q);
}

/* The answer to q, from the list cache. */
static void
getservers_answer(const struct source *src, const struct gs_query *q)
{
	struct list_packets	*lp;
	char			 abuf[ADDRSTRLEN], vbuf[LOG_VISBUF];

	abuf[0] = '\0';
	if (log_level_enabled(LOGLEVEL_VERBOSE))
		addr_str(&src->addr, abuf, sizeof(abuf));
	lp = sv_list(q);
	if (src_answer_list(src, lp, netd_now()) == -1) {
		netd_drops.budget++;
		log_debug("%s: list answer over the answer budget", abuf);
		return;
	}
	log_verbose("%s: %s for protocol %s: %zu packet%s", abuf,
	    q->ext ? "getserversExt" : "getservers", log_vis(q->protocol,
	    strlen(q->protocol), vbuf, sizeof(vbuf)), lp->n,
	    lp->n == 1 ? "" : "s");
}

/*
 * getmotd: the client's version and renderer go to logd; the reply echoes
 * the challenge and is sent only when motd.txt has text.
 */
static void
handle_getmotd(const struct source *src, const u_char *args, size_t len)
{
	struct motdreq	 mr;
	u_char		 buf[PKT_OUT_MAX];
	size_t		 n;
	char		 abuf[ADDRSTRLEN];

	abuf[0] = '\0';
	if (log_level_enabled(LOGLEVEL_VERBOSE))
		addr_str(&src->addr, abuf, sizeof(abuf));
	if (proto_getmotd(args, len, &mr) == -1) {
		log_debug("%s: getmotd with an unusable challenge", abuf);
		return;
	}
	if (!throttle_allow(&src->addr, netd_now())) {
		netd_drops.throttled++;
		log_debug("%s: getmotd throttled", abuf);
		return;
	}
	if (mr.has_version && mr.has_renderer)
		netd_stat_client(&src->addr, mr.version, mr.renderer);
	else
		log_debug("%s: client not logged: missing info key", abuf);
	if (netd_files.motd[0] == '\0')
		return;
	n = proto_motd(buf, sizeof(buf), mr.has_challenge ? mr.challenge :
	    NULL, netd_files.motd);
	if (n == 0)
		return;
	if (src_answer(src, buf, n, netd_now()) == -1) {
		netd_drops.budget++;
		log_debug("%s: motd over the answer budget", abuf);
		return;
	}
	log_verbose("%s: sent the motd", abuf);
}

/*
 * gamestat: the data goes to logd as a game record, when it comes from a
 * listed server's own address and port, within its budget: nobody else
 * can write to the database.
 */
static void
handle_gamestat(const struct source *src, const u_char *args, size_t len)
{
	struct server	*sv;
	const u_char	*data;
	size_t		 n;
	int64_t		 now = netd_now();
	char		 abuf[ADDRSTRLEN];

	abuf[0] = '\0';
	if (log_level_enabled(LOGLEVEL_DEBUG))
		addr_str(&src->addr, abuf, sizeof(abuf));
	if ((sv = sv_lookup(&src->addr, src->ws != NULL)) == NULL) {
		netd_drops.gamestats++;
		log_debug("%s: gamestat from an unlisted address", abuf);
		return;
	}
	/* --throttle-burst 0 lifts this budget too, for benchmarks. */
	if (netd_conf.throttle_burst != 0 && !bucket_take(&sv->stat_tokens,
	    &sv->stat_last, SV_STAT_BURST, SV_STAT_MS, now)) {
		netd_drops.gamestats++;
		log_debug("%s: gamestat over the server's budget", abuf);
		return;
	}
	n = proto_gamestat(args, len, &data);
	netd_stat_game(&src->addr, data, n);
}
