/*
 * What netd does with each datagram.  Every event of the protocol is
 * handled here and only here, so that later hooks have one place to go:
 * handle_packet() checks the source and the header, then hands the packet
 * to the handler of its command.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <string.h>

#include "log.h"
#include "netd.h"
#include "util.h"

static void	handle_heartbeat(const struct source *, const u_char *,
		    size_t);
static void	handle_inforesponse(const struct source *, struct server *,
		    const u_char *, size_t);
static void	handle_getservers(const struct source *, const u_char *,
		    size_t, int);
static void	handle_getmotd(const struct source *, const u_char *, size_t);
static void	handle_gamestat(const struct source *, const u_char *,
		    size_t);
static void	challenge_send(struct server *, int64_t);

/* The timeouts of the command line, in milliseconds. */
#define CHALLENGE_MS	((int64_t)netd_conf.challenge_timeout * 1000)
#define SERVER_MS	((int64_t)netd_conf.server_timeout * 1000)

/* Is the address in ignore.txt? */
int
ignore_match(const struct ipc_addr *a)
{
	return (ignore_index_match(&netd_ignore, a));
}

/*
 * One datagram from src.  Sources with port 0, packets without the header
 * and blacklisted addresses are dropped before any parsing.  The challenge
 * port takes only infoResponses from servers we challenged.
 */
void
handle_packet(const struct source *src, const u_char *pkt, size_t len)
{
	struct server	*sv;
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
		if ((sv = sv_lookup(&src->addr, 0)) == NULL)
			log_debug("%s: rejected (unsolicited)", abuf);
		else if (cmd != CMD_INFORESPONSE)
			log_debug("%s: unexpected packet on the challenge "
			    "port", abuf);
		else
			handle_inforesponse(src, sv, pkt + off, len - off);
		return;
	}
	/* A WebSocket server answers its challenge on its connection. */
	if (src->ws != NULL && cmd == CMD_INFORESPONSE) {
		if ((sv = sv_lookup(&src->addr, 1)) == NULL ||
		    sv->ws_id != ws_id(src->ws))
			log_debug("%s: [WS] rejected (unsolicited)", abuf);
		else
			handle_inforesponse(src, sv, pkt + off, len - off);
		return;
	}
	switch (cmd) {
	case CMD_GAMESTAT:
		handle_gamestat(src, pkt + off, len - off);
		break;
	case CMD_GETMOTD:
		handle_getmotd(src, pkt + off, len - off);
		break;
	case CMD_GETSERVERS:
		handle_getservers(src, pkt + off, len - off, 0);
		break;
	case CMD_GETSERVERSEXT:
		handle_getservers(src, pkt + off, len - off, 1);
		break;
	case CMD_HEARTBEAT:
		handle_heartbeat(src, pkt, len);
		break;
	default:
		log_debug("%s: unrecognised content", abuf);
		break;
	}
}

/* Answer src where it came from: its UDP socket or its WebSocket. */
void
src_send(const struct source *src, const void *data, size_t len)
{
	if (src->ws != NULL)
		ws_send(src->ws, data, len);
	else
		udp_send(src->sock, &src->addr, data, len);
}

/*
 * Send sv a fresh challenge: from the challenge port of its family, or
 * over its WebSocket connection.
 */
static void
challenge_send(struct server *sv, int64_t now)
{
	struct netsock	*ns;
	struct ws_conn	*ws;
	u_char		 buf[64];
	size_t		 len;
	char		 abuf[ADDRSTRLEN];

	proto_challenge(sv->challenge);
	sv->challenge_deadline = now + CHALLENGE_MS;
	len = proto_getinfo(buf, sizeof(buf), sv->challenge);
	if (sv->ws) {
		if ((ws = ws_find(sv->ws_id)) == NULL)
			log_debug("%s: [WS] connection gone, cannot challenge",
			    addr_str(&sv->addr, abuf, sizeof(abuf)));
		else
			ws_send(ws, buf, len);
		return;
	}
	if ((ns = udp_challenge_sock(sv->addr.family)) == NULL) {
		log_debug("%s: no challenge port for %s",
		    addr_str(&sv->addr, abuf, sizeof(abuf)),
		    family_name(sv->addr.family));
		return;
	}
	udp_send(ns, &sv->addr, buf, len);
}

/*
 * A heartbeat: challenge the server, creating its entry if new.  A
 * repeated heartbeat never shortens a server's life.  A flatline ("dead")
 * is not believed: the server is challenged and dropped only if it does
 * not answer.
 */
static void
handle_heartbeat(const struct source *src, const u_char *pkt, size_t len)
{
	struct server	*sv;
	const char	*why;
	int64_t		 now = netd_now();
	char		 abuf[ADDRSTRLEN];

	sv = sv_lookup(&src->addr, src->ws != NULL);
	if (proto_heartbeat_dead(pkt, len)) {
		if (sv == NULL) {
			log_debug("%s: flatline from an unknown server",
			    addr_str(&src->addr, abuf, sizeof(abuf)));
			return;
		}
		log_verbose("%s: flatline, challenging it",
		    addr_str(&src->addr, abuf, sizeof(abuf)));
		challenge_send(sv, now);
		sv->timeout = now + CHALLENGE_MS;
		return;
	}
	if (sv == NULL) {
		if ((sv = sv_create(&src->addr, src->ws != NULL, &why)) ==
		    NULL) {
			netd_drops.heartbeats++;
			log_debug("%s: heartbeat refused: %s",
			    addr_str(&src->addr, abuf, sizeof(abuf)), why);
			return;
		}
		sv->timeout = now + CHALLENGE_MS;
	} else if (sv->timeout < now + CHALLENGE_MS)
		sv->timeout = now + CHALLENGE_MS;
	if (src->ws != NULL)
		sv->ws_id = ws_id(src->ws);
	log_debug("%s: heartbeat, sending a challenge",
	    addr_str(&src->addr, abuf, sizeof(abuf)));
	challenge_send(sv, now);
}

/* A server saved in serverlist.txt: challenged again, never trusted. */
void
handle_saved_server(const struct ipc_addr *a)
{
	struct server	*sv;
	const char	*why;
	int64_t		 now = netd_now();
	char		 abuf[ADDRSTRLEN];

	if (ignore_match(a) || sv_lookup(a, 0) != NULL)
		return;
	if ((sv = sv_create(a, 0, &why)) == NULL) {
		log_debug("%s: saved server refused: %s",
		    addr_str(a, abuf, sizeof(abuf)), why);
		return;
	}
	sv->timeout = now + CHALLENGE_MS;
	challenge_send(sv, now);
}

/*
 * The answer to our challenge.  It lists the server when the challenge is
 * the current one, in time, and the required keys are there.
 */
static void
handle_inforesponse(const struct source *src, struct server *sv,
    const u_char *args, size_t len)
{
	struct inforesp	 ir;
	int64_t		 now = netd_now();
	uint8_t		 flags;
	char		 abuf[ADDRSTRLEN], protos[PROTO_MAX * PROTO_LEN];
	char		 vbuf[LOG_VISBUF];
	int		 i, changed;

	abuf[0] = '\0';
	if (log_level_enabled(LOGLEVEL_VERBOSE))
		addr_str(&src->addr, abuf, sizeof(abuf));
	if (proto_inforesponse(args, len, &ir) == -1) {
		log_debug("%s: infoResponse without a required key", abuf);
		return;
	}
	if (sv->challenge[0] == '\0' ||
	    strcmp(ir.challenge, sv->challenge) != 0) {
		log_debug("%s: infoResponse with a wrong challenge", abuf);
		return;
	}
	if (now > sv->challenge_deadline) {
		log_debug("%s: infoResponse after the challenge expired",
		    abuf);
		return;
	}
	flags = SV_VERIFIED | (ir.empty ? SV_EMPTY : 0) |
	    (ir.full ? SV_FULL : 0);
	changed = sv->flags != flags || sv->nprotocols != ir.nprotocols ||
	    memcmp(sv->protocols, ir.protocols, sizeof(sv->protocols)) != 0;
	if (!(sv->flags & SV_VERIFIED) && log_level_enabled(LOGLEVEL_VERBOSE)) {
		protos[0] = '\0';
		for (i = 0; i < ir.nprotocols; i++) {
			if (i > 0)
				(void)strlcat(protos, ",", sizeof(protos));
			(void)strlcat(protos, ir.protocols[i],
			    sizeof(protos));
		}
		log_verbose("server %s verified: protocol %s%s%s", abuf,
		    log_vis(protos, strlen(protos), vbuf, sizeof(vbuf)),
		    ir.empty ? ", empty" : "", ir.full ? ", full" : "");
	}
	sv->flags = flags;
	sv->nprotocols = ir.nprotocols;
	memcpy(sv->protocols, ir.protocols, sizeof(sv->protocols));
	sv->timeout = now + SERVER_MS;
	if (changed)
		sv_changed();
}

/* getservers and getserversExt: the cached packets, if not throttled. */
static void
handle_getservers(const struct source *src, const u_char *args, size_t len,
    int ext)
{
	struct gs_query	 q;
	const u_char	*buf;
	const size_t	*ends;
	size_t		 n, i, start;
	char		 abuf[ADDRSTRLEN], vbuf[LOG_VISBUF];

	abuf[0] = '\0';
	if (log_level_enabled(LOGLEVEL_VERBOSE))
		addr_str(&src->addr, abuf, sizeof(abuf));
	if (proto_getservers(args, len, ext, &q) == -1) {
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
	sv_list(&q, &buf, &ends, &n);
	if (src->ws == NULL)
		udp_send_list(src->sock, &src->addr, buf, ends, n);
	else
		for (i = 0, start = 0; i < n; start = ends[i], i++)
			ws_send(src->ws, buf + start, ends[i] - start);
	log_verbose("%s: %s for protocol %s: %zu packet%s", abuf,
	    ext ? "getserversExt" : "getservers", log_vis(q.protocol,
	    strlen(q.protocol), vbuf, sizeof(vbuf)), n, n == 1 ? "" : "s");
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
	if (n > 0)
		src_send(src, buf, n);
	log_verbose("%s: sent the motd", abuf);
}

/* gamestat: the data goes to logd as a game record. */
static void
handle_gamestat(const struct source *src, const u_char *args, size_t len)
{
	const u_char	*data;
	size_t		 n;
	char		 abuf[ADDRSTRLEN];

	if (!throttle_allow(&src->addr, netd_now())) {
		netd_drops.throttled++;
		log_debug("%s: gamestat throttled",
		    addr_str(&src->addr, abuf, sizeof(abuf)));
		return;
	}
	n = proto_gamestat(args, len, &data);
	netd_stat_game(&src->addr, data, n);
}
