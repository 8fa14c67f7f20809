/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The Tremulous master protocol: pure parsers and builders, no I/O and no
 * globals, so that tests and fuzzers call them directly.
 */

#ifndef NETD_PROTO_H
#define NETD_PROTO_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "tremmasterd.h"

#define PKT_HDR			"\xff\xff\xff\xff"
#define PKT_HDR_LEN		4
#define PKT_MAX			2048	/* largest datagram we read */
#define PKT_OUT_MAX		8192	/* largest we build */
#define LIST_MAX_SERVERS	256	/* addresses a packet */

#define CHALLENGE_LEN		12
#define CHALLENGE_MAX		64	/* longest challenge we echo */
#define PROTO_MAX		4	/* protocols a server announces */
#define PROTO_LEN		8	/* one protocol, NUL included */

enum pkt_cmd {
	CMD_UNKNOWN,
	CMD_GAMESTAT,
	CMD_GETMOTD,
	CMD_GETSERVERS,
	CMD_GETSERVERSEXT,
	CMD_HEARTBEAT,
	CMD_INFORESPONSE
};

struct gs_query {
	int	ext;			/* getserversExt */
	int	empty;			/* include empty servers */
	int	full;			/* include full servers */
	int	family;			/* AF_UNSPEC for both */
	int	ws;			/* asked over WebSocket */
	char	protocol[PROTO_LEN];
};

/*
 * What an infoResponse says of its server for plugins to show: bytes as
 * they arrived, escaped only where they are written out, so that a cut
 * never splits an escape.  A value ends at its bound and at a NUL byte
 * (the game reads its strings as C strings); the bytes past each length
 * are zero, so that two of these compare with memcmp(3).  The game's own
 * browser keeps 79 bytes of a hostname and 31 of the others (ioquake3's
 * MAX_HOSTNAME_LENGTH and MAX_NAME_LENGTH); at these bounds a server with
 * every field full stays under 512 bytes in netd (README, benchmark).
 */
#define INFO_HOSTNAME_MAX	128
#define INFO_MAPNAME_MAX	32
#define INFO_GAME_MAX		32
#define INFO_GAMENAME_MAX	32
#define INFO_COUNT_MAX		65535	/* clients, sv_maxclients */

#if INFO_HOSTNAME_MAX > 255 || INFO_MAPNAME_MAX > 255 || \
    INFO_GAME_MAX > 255 || INFO_GAMENAME_MAX > 255
#error "info_details keeps its lengths in a byte"
#endif

struct info_details {
	uint16_t	clients;	/* decimal digits, else 0 */
	uint16_t	maxclients;	/* sv_maxclients, the same */
	uint8_t		game_len;
	uint8_t		gamename_len;
	uint8_t		mapname_len;
	uint8_t		hostname_len;
	char		game[INFO_GAME_MAX];		/* no NUL at the end */
	char		gamename[INFO_GAMENAME_MAX];
	char		mapname[INFO_MAPNAME_MAX];
	char		hostname[INFO_HOSTNAME_MAX];
};

struct inforesp {
	char			challenge[CHALLENGE_MAX + 1];
	char			protocols[PROTO_MAX][PROTO_LEN];
	int			nprotocols;
	int			empty;
	int			full;
	struct info_details	details;
};

struct motdreq {
	char	challenge[CHALLENGE_MAX + 1];
	char	version[STAT_VERSION_MAX];
	char	renderer[STAT_RENDERER_MAX];
	int	has_challenge;
	int	has_version;
	int	has_renderer;
};

enum pkt_cmd	 proto_command(const u_char *, size_t, size_t *);
int		 proto_heartbeat_dead(const u_char *, size_t);
int		 proto_getservers(const u_char *, size_t, int,
		    struct gs_query *);
int		 proto_info_value(const u_char *, size_t, const char *,
		    const u_char **, size_t *);
int		 proto_inforesponse(const u_char *, size_t, struct inforesp *);
int		 proto_getmotd(const u_char *, size_t, struct motdreq *);
size_t		 proto_gamestat(const u_char *, size_t, const u_char **);
int		 proto_is_port_message(const u_char *, size_t);

void		 proto_challenge_encode(const u_char *, char *);
int		 proto_challenge_char_ok(int);
size_t		 proto_getinfo(u_char *, size_t, const char *);
size_t		 proto_motd(u_char *, size_t, const char *, const char *);
size_t		 proto_list_start(u_char *, size_t, int, int, int,
		    const char *);
size_t		 proto_list_entry(u_char *, size_t, const struct ipc_addr *,
		    int);
size_t		 proto_list_end(u_char *, size_t);

/*
 * The plugin protocol (plugin_proto.c, man/tremmasterd-plugins.7): the
 * lines a plugin sends, parsed.
 */
#define PLP_VERSION		"1"
#define PLP_FIELDS_MAX		8	/* fields of a line from a plugin */
#define PLP_TOKEN_MAX		64	/* bytes of a request token */

enum plp_kind {			/* what a plugin may filter */
	PLP_HEARTBEAT,
	PLP_GETSERVERS,
	PLP_KINDS
};

enum plp_type {
	PLP_REGISTER,		/* register|... */
	PLP_RESULT,		/* filter-result|TOKEN|VERDICT[|DATA] */
	PLP_REQUEST		/* request|TOKEN|COMMAND[|ARG...] */
};

enum plp_register {
	PLR_SERVER,		/* register|report|server */
	PLR_FILES,		/* register|report|files */
	PLR_LOG,		/* register|report|log|LEVEL */
	PLR_FILTER,		/* register|filter|KIND */
	PLR_READY		/* register|ready */
};

enum plp_verdict {
	PLV_PROCEED,
	PLV_DROP,
	PLV_REWRITE,		/* heartbeat: these bytes instead */
	PLV_ANSWER		/* getservers: answer with these bytes */
};

enum plp_command {
	PLC_ADD_SERVER,		/* ADDR[|LABEL] */
	PLC_COUNTERS,
	PLC_SNAPSHOT,
	PLC_FLATLINE,		/* ADDR */
	PLC_PROCESSES,
	PLC_IGNORE_ADD,		/* ENTRY (admin) */
	PLC_IGNORE_REMOVE,	/* ENTRY (admin) */
	PLC_FEATURED_SET,	/* GROUP|ADDR ADDR... (admin) */
	PLC_MOTD_SET,		/* TEXT, escaped (admin) */
	PLC_RELOAD,		/* (admin) */
	PLC_SHUTDOWN		/* (admin) */
};

struct plp_line {
	enum plp_type	 type;
	int		 what;		/* plp_register, _verdict, _command */
	int		 level;		/* PLR_LOG: LOGLEVEL_* */
	int		 kind;		/* PLR_FILTER: plp_kind */
	uint64_t	 result;	/* PLP_RESULT: the token */
	const char	*token;		/* PLP_REQUEST: in the line */
	const char	*arg[2];	/* PLP_REQUEST: in the line */
	int		 narg;
	u_char		 data[PKT_OUT_MAX];	/* unescaped DATA or TEXT */
	size_t		 len;
};

int		 plp_parse(char *, struct plp_line *);
size_t		 plp_escape(char *, const void *, size_t);
int		 plp_unescape(const char *, u_char *, size_t, size_t *);
int		 plp_word_ok(const char *, size_t);
int		 plp_request_admin(int);
const char	*plp_level_name(int);
const char	*plp_kind_name(int);
const char	*plp_request_name(int);

#endif /* NETD_PROTO_H */
