/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Command line parsing.  The options and defaults are those of the Python
 * master; the long-only ones are ours.  Parsing never exits: it returns -1
 * with one line in err that names the option.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api.h"
#include "files.h"
#include "log.h"
#include "options.h"
#include "puppet.h"
#include "util.h"

enum {
	OPT_VERBOSE = 256,
	OPT_CHALLENGE_TIMEOUT,
	OPT_SERVER_TIMEOUT,
	OPT_DAEMON,
	OPT_SYSLOG,
	OPT_CHECK,
	OPT_STATS,
	OPT_CREATE_DB,
	OPT_MAX_PER_IP,
	OPT_THROTTLE_BURST,
	OPT_THROTTLE_RATE,
	OPT_IPV6_PREFIX,
	OPT_ANSWER_BUDGET,
	OPT_DB_MAX_SIZE,
	OPT_NO_SECCOMP,
	OPT_CHALLENGE_BURST,
	OPT_WS_MAX_CONNECTIONS,
	OPT_WS_MAX_PER_IP,
	OPT_WS_HANDSHAKE_TIMEOUT,
	OPT_WS_IDLE_TIMEOUT,
	OPT_WS_MAX_MESSAGE,
	OPT_TRUSTED_PROXY,
	OPT_REAL_IP_HEADER,
	OPT_PLUGIN,
	OPT_PLUGIN_ADMIN,
	OPT_PROC,
	OPT_PUPPET_MASTER,
	OPT_PUPPET_PORT,
	OPT_PUPPET_PROTOCOL,
	OPT_PUPPET_USE_WS,
	OPT_PUPPET_INTERVAL,
	OPT_PUPPET_DISABLE,
	OPT_PUPPET_ENABLE,
	OPT_PUPPET_RUN_ONCE,
	OPT_PUPPET_MAX_SERVERS,
	OPT_PUPPET_CA_FILE,
	OPT_API_HOST,
	OPT_API_PORT,
	OPT_API_KEYS,
	OPT_API_KEY_FILE,
	OPT_API_RATE_LIMIT
};

static const struct option longopts[] = {
	{ "help",		no_argument,		NULL, 'h' },
	{ "ipv4",		no_argument,		NULL, '4' },
	{ "ipv6",		no_argument,		NULL, '6' },
	{ "db",			required_argument,	NULL, 'd' },
	{ "jail",		required_argument,	NULL, 'j' },
	{ "listen-addr",	required_argument,	NULL, 'l' },
	{ "listen6-addr",	required_argument,	NULL, 'L' },
	{ "max-servers",	required_argument,	NULL, 'n' },
	{ "port",		required_argument,	NULL, 'p' },
	{ "challengeport",	required_argument,	NULL, 'P' },
	{ "user",		required_argument,	NULL, 'u' },
	{ "verbose",		required_argument,	NULL, OPT_VERBOSE },
	{ "version",		no_argument,		NULL, 'V' },
	{ "use_ws",		no_argument,		NULL, 'w' },
	{ "ws_ports",		required_argument,	NULL, 'W' },
	{ "ws_ssl_key",		required_argument,	NULL, 'k' },
	{ "ws_ssl_cert",	required_argument,	NULL, 'K' },
	{ "challenge-timeout",	required_argument,	NULL,
	    OPT_CHALLENGE_TIMEOUT },
	{ "server-timeout",	required_argument,	NULL,
	    OPT_SERVER_TIMEOUT },
	{ "daemon",		no_argument,		NULL, OPT_DAEMON },
	{ "syslog",		no_argument,		NULL, OPT_SYSLOG },
	{ "check",		no_argument,		NULL, OPT_CHECK },
	{ "stats",		no_argument,		NULL, OPT_STATS },
	{ "create-db",		no_argument,		NULL, OPT_CREATE_DB },
	{ "max-per-ip",		required_argument,	NULL, OPT_MAX_PER_IP },
	{ "throttle-burst",	required_argument,	NULL,
	    OPT_THROTTLE_BURST },
	{ "throttle-rate",	required_argument,	NULL,
	    OPT_THROTTLE_RATE },
	{ "ipv6-prefix",	required_argument,	NULL, OPT_IPV6_PREFIX },
	{ "answer-budget",	required_argument,	NULL,
	    OPT_ANSWER_BUDGET },
	{ "db-max-size",	required_argument,	NULL, OPT_DB_MAX_SIZE },
	{ "no-seccomp",		no_argument,		NULL, OPT_NO_SECCOMP },
	{ "challenge-burst",	required_argument,	NULL,
	    OPT_CHALLENGE_BURST },
	{ "ws-max-connections",	required_argument,	NULL,
	    OPT_WS_MAX_CONNECTIONS },
	{ "ws-max-per-ip",	required_argument,	NULL, OPT_WS_MAX_PER_IP },
	{ "ws-handshake-timeout", required_argument,	NULL,
	    OPT_WS_HANDSHAKE_TIMEOUT },
	{ "ws-idle-timeout",	required_argument,	NULL,
	    OPT_WS_IDLE_TIMEOUT },
	{ "ws-max-message",	required_argument,	NULL,
	    OPT_WS_MAX_MESSAGE },
	{ "trusted-proxy",	required_argument,	NULL,
	    OPT_TRUSTED_PROXY },
	{ "real-ip-header",	required_argument,	NULL,
	    OPT_REAL_IP_HEADER },
	{ "plugin",		required_argument,	NULL, OPT_PLUGIN },
	{ "plugin-admin",	required_argument,	NULL,
	    OPT_PLUGIN_ADMIN },
	{ "proc",		required_argument,	NULL, OPT_PROC },
	{ "puppet-master",	required_argument,	NULL,
	    OPT_PUPPET_MASTER },
	{ "puppet-port",	required_argument,	NULL, OPT_PUPPET_PORT },
	{ "puppet-protocol",	required_argument,	NULL,
	    OPT_PUPPET_PROTOCOL },
	{ "puppet-use-websocket", no_argument,		NULL,
	    OPT_PUPPET_USE_WS },
	{ "puppet-interval",	required_argument,	NULL,
	    OPT_PUPPET_INTERVAL },
	{ "puppet-disable",	no_argument,		NULL,
	    OPT_PUPPET_DISABLE },
	{ "puppet-enable",	no_argument,		NULL, OPT_PUPPET_ENABLE },
	{ "puppet-run-once",	no_argument,		NULL,
	    OPT_PUPPET_RUN_ONCE },
	{ "puppet-max-servers",	required_argument,	NULL,
	    OPT_PUPPET_MAX_SERVERS },
	{ "puppet-ca-file",	required_argument,	NULL,
	    OPT_PUPPET_CA_FILE },
	{ "api-host",		required_argument,	NULL, OPT_API_HOST },
	{ "api-port",		required_argument,	NULL, OPT_API_PORT },
	{ "api-keys",		required_argument,	NULL, OPT_API_KEYS },
	{ "api-key-file",	required_argument,	NULL,
	    OPT_API_KEY_FILE },
	{ "api-rate-limit",	required_argument,	NULL,
	    OPT_API_RATE_LIMIT },
	{ NULL,			0,			NULL, 0 }
};

static const char shortopts[] = "+:h46d:j:k:K:l:L:n:p:P:qu:vVwW:";

static int	parse_num(const char *, const char *, const char *,
		    const char *, int, int, int *, char *, size_t);
static int	parse_port(const char *, const char *, uint16_t *, char *,
		    size_t);
static int	add_port(uint16_t *, int *, uint16_t, const char *, char *,
		    size_t);
static uint16_t	default_challenge_port(const struct options *);
static int	check_puppet_master(const char *, const char *, char *,
		    size_t);

/*
 * A number from lo to hi for option opt.  The error names what the number
 * is before the argument ("port", or "") and its unit after ("seconds", or
 * ""): -P: port "0" is too small (1-65535).
 */
static int
parse_num(const char *opt, const char *what, const char *arg,
    const char *unit, int lo, int hi, int *val, char *err, size_t errlen)
{
	const char	*errstr;
	long long	 n;

	n = strtonum(arg, lo, hi, &errstr);
	if (errstr != NULL)
		return (seterr(err, errlen, "%s: %s%s\"%s\"%s%s is %s (%d-%d)",
		    opt, what, what[0] != '\0' ? " " : "", arg,
		    unit[0] != '\0' ? " " : "", unit, errstr, lo, hi));
	*val = (int)n;
	return (0);
}

static int
parse_port(const char *opt, const char *arg, uint16_t *port, char *err,
    size_t errlen)
{
	int	 n;

	if (parse_num(opt, "port", arg, "", 1, 65535, &n, err, errlen) == -1)
		return (-1);
	*port = (uint16_t)n;
	return (0);
}

static int
add_port(uint16_t *ports, int *nports, uint16_t port, const char *opt,
    char *err, size_t errlen)
{
	int	 i;

	for (i = 0; i < *nports; i++)
		if (ports[i] == port)
			return (0);
	if (*nports >= MAX_PORTS)
		return (seterr(err, errlen, "%s: at most %d ports", opt,
		    MAX_PORTS));
	ports[(*nports)++] = port;
	return (0);
}

/* --puppet-master: a host, an address, or a ws:// or wss:// URL. */
static int
check_puppet_master(const char *opt, const char *arg, char *err,
    size_t errlen)
{
	struct puppet_remote	 r;
	char			 why[200];

	memset(&r, 0, sizeof(r));
	if (remote_parse_url(arg, PUPPET_DEFAULT_PORT, &r, why,
	    sizeof(why)) == -1 || (r.conn == CONN_DEFAULT &&
	    remote_parse_host(arg, &r, why, sizeof(why)) == -1))
		return (seterr(err, errlen, "%s: %s", opt, why));
	return (0);
}

/*
 * The highest request port plus one, skipping request ports and wrapping
 * past 65535, as the Python master chose it.
 */
static uint16_t
default_challenge_port(const struct options *o)
{
	unsigned int	 port = 0;
	int		 i, again;

	for (i = 0; i < o->nports; i++)
		if (o->ports[i] > port)
			port = o->ports[i];
	do {
		port = port >= 65535 ? 1 : port + 1;
		again = 0;
		for (i = 0; i < o->nports; i++)
			if (o->ports[i] == port)
				again = 1;
	} while (again);
	return ((uint16_t)port);
}

/*
 * Fill o from the command line.  Returns 0, or -1 with a message in err.
 * Checks that need the system (users, directories, root) are left to
 * options_check().
 */
int
options_parse(int argc, char **argv, struct options *o, char *err,
    size_t errlen)
{
	struct ipc_ignore ig;
	char		 optname[64];
	uint16_t	 port = 0;
	int		 ch, i, longindex;

	memset(o, 0, sizeof(*o));
	o->action = ACTION_RUN;
	o->proc = PROC_PARENT;
	o->family = AF_UNSPEC;
	o->db = DB_AUTO;
	o->verbose = LOGLEVEL_DEFAULT;
	o->use_ws = 1;
	o->challenge_timeout = DEFAULT_CHALLENGE_TIMEOUT;
	o->server_timeout = DEFAULT_SERVER_TIMEOUT;
	o->max_per_ip = DEFAULT_MAX_PER_IP;
	o->throttle_burst = DEFAULT_THROTTLE_BURST;
	o->throttle_rate = DEFAULT_THROTTLE_RATE;
	o->ipv6_prefix = DEFAULT_IPV6_PREFIX;
	o->answer_budget = DEFAULT_ANSWER_BUDGET;
	o->db_max_size = DEFAULT_DB_MAX_SIZE;
	o->challenge_burst = DEFAULT_CHALLENGE_BURST;
	o->ws_max_conns = DEFAULT_WS_MAX_CONNS;
	o->ws_max_per_ip = DEFAULT_WS_MAX_PER_IP;
	o->ws_handshake_timeout = DEFAULT_WS_HANDSHAKE_TIMEOUT;
	o->ws_idle_timeout = DEFAULT_WS_IDLE_TIMEOUT;
	o->ws_max_message = DEFAULT_WS_MAX_MESSAGE;
	o->puppet_interval = DEFAULT_PUPPET_INTERVAL;
	o->puppet_max_servers = DEFAULT_PUPPET_MAX_SERVERS;
	o->api_host = DEFAULT_API_HOST;
	o->api_port = DEFAULT_API_PORT;
	o->api_rate_limit = DEFAULT_API_RATE_LIMIT;
	err[0] = '\0';

	optind = 0;	/* full reset, so that tests may call us again */
	opterr = 0;
	for (;;) {
		longindex = -1;
		if ((ch = getopt_long(argc, argv, shortopts, longopts,
		    &longindex)) == -1)
			break;
		/* The option as written, for messages. */
		if (longindex != -1)
			(void)snprintf(optname, sizeof(optname), "--%s",
			    longopts[longindex].name);
		else if ((ch == '?' || ch == ':') && optind > 0 &&
		    optind <= argc && (ch == ':' || optopt == 0 ||
		    strncmp(argv[optind - 1], "--", 2) == 0)) {
			/*
			 * An unknown long option, a long flag given a value,
			 * or an option missing its argument: the word just
			 * passed is the option.
			 */
			(void)strlcpy(optname, argv[optind - 1],
			    sizeof(optname));
			optname[strcspn(optname, "=")] = '\0';
			if (ch == '?' && optopt != 0)
				return (seterr(err, errlen, "%s: takes no "
				    "argument", optname));
		} else
			(void)snprintf(optname, sizeof(optname), "-%c",
			    ch == '?' || ch == ':' ? optopt : ch);

		if (ch >= OPT_PUPPET_MASTER && ch <= OPT_PUPPET_CA_FILE &&
		    o->puppet_opt == NULL && longindex != -1)
			o->puppet_opt = longopts[longindex].name;
		if (ch >= OPT_API_HOST && ch <= OPT_API_RATE_LIMIT &&
		    o->api_opt == NULL && longindex != -1)
			o->api_opt = longopts[longindex].name;
		switch (ch) {
		case 'h':
			o->action = ACTION_HELP;
			break;
		case '4':
			if (o->family == AF_INET6)
				return (seterr(err, errlen,
				    "-4 and -6 cannot be used together"));
			o->family = AF_INET;
			break;
		case '6':
			if (o->family == AF_INET)
				return (seterr(err, errlen,
				    "-4 and -6 cannot be used together"));
			o->family = AF_INET6;
			break;
		case 'd':
			if (strcmp(optarg, "none") == 0)
				o->db = DB_NONE;
			else if (strcmp(optarg, "tdb") == 0)
				o->db = DB_TDB;
			else if (strcmp(optarg, "sqlite") == 0)
				o->db = DB_SQLITE;
			else if (strcmp(optarg, "auto") == 0)
				o->db = DB_AUTO;
			else
				return (seterr(err, errlen, "%s: unknown "
				    "database \"%s\" (none, tdb, sqlite or "
				    "auto)", optname, optarg));
			break;
		case 'j':
			if (optarg[0] == '\0')
				return (seterr(err, errlen,
				    "%s: empty directory", optname));
			o->jail = optarg;
			break;
		case 'k':
			o->ws_ssl_key = optarg;
			break;
		case 'K':
			o->ws_ssl_cert = optarg;
			break;
		case 'l':
			o->listen4 = optarg;
			break;
		case 'L':
			o->listen6 = optarg;
			break;
		case 'n':
			if (parse_num(optname, "number of servers", optarg, "",
			    0, 100000000, &o->max_servers, err, errlen) == -1)
				return (-1);
			break;
		case 'p':
			if (parse_port(optname, optarg, &port, err,
			    errlen) == -1 || add_port(o->ports, &o->nports,
			    port, optname, err, errlen) == -1)
				return (-1);
			break;
		case 'P':
			if (parse_port(optname, optarg, &o->challenge_port,
			    err, errlen) == -1)
				return (-1);
			break;
		case 'q':
			o->verbose--;
			break;
		case 'u':
			if (optarg[0] == '\0')
				return (seterr(err, errlen, "%s: empty user "
				    "name", optname));
			o->user = optarg;
			break;
		case 'v':
			o->verbose++;
			break;
		case OPT_VERBOSE:
			if (parse_num(optname, "level", optarg, "", 0, 4,
			    &o->verbose, err, errlen) == -1)
				return (-1);
			break;
		case 'V':
			if (o->action != ACTION_HELP)
				o->action = ACTION_VERSION;
			break;
		case 'w':
			o->use_ws = 1;
			break;
		case 'W':
			if (parse_port(optname, optarg, &port, err,
			    errlen) == -1 || add_port(o->ws_ports,
			    &o->nws_ports, port, optname, err, errlen) == -1)
				return (-1);
			break;
		case OPT_CHALLENGE_TIMEOUT:
			if (parse_num(optname, "", optarg, "seconds", 1, 3600,
			    &o->challenge_timeout, err, errlen) == -1)
				return (-1);
			break;
		case OPT_SERVER_TIMEOUT:
			if (parse_num(optname, "", optarg, "seconds", 1, 86400,
			    &o->server_timeout, err, errlen) == -1)
				return (-1);
			break;
		case OPT_MAX_PER_IP:
			if (parse_num(optname, "", optarg, "", 0, 1000000,
			    &o->max_per_ip, err, errlen) == -1)
				return (-1);
			break;
		case OPT_THROTTLE_BURST:
			if (parse_num(optname, "", optarg, "", 0, 1000000,
			    &o->throttle_burst, err, errlen) == -1)
				return (-1);
			break;
		case OPT_THROTTLE_RATE:
			if (parse_num(optname, "", optarg, "", 1, 1000000,
			    &o->throttle_rate, err, errlen) == -1)
				return (-1);
			break;
		case OPT_IPV6_PREFIX:
			if (parse_num(optname, "", optarg, "", 1, 128,
			    &o->ipv6_prefix, err, errlen) == -1)
				return (-1);
			break;
		case OPT_ANSWER_BUDGET:
			if (parse_num(optname, "", optarg, "KiB", 0, 1048576,
			    &o->answer_budget, err, errlen) == -1)
				return (-1);
			break;
		case OPT_DB_MAX_SIZE:
			if (parse_num(optname, "", optarg, "MiB", 0, 1048576,
			    &o->db_max_size, err, errlen) == -1)
				return (-1);
			break;
		case OPT_CHALLENGE_BURST:
			if (parse_num(optname, "", optarg, "", 0, 1000000,
			    &o->challenge_burst, err, errlen) == -1)
				return (-1);
			break;
		case OPT_WS_MAX_CONNECTIONS:
			if (parse_num(optname, "", optarg, "", 1,
			    WS_MAX_CONNS_LIMIT, &o->ws_max_conns, err,
			    errlen) == -1)
				return (-1);
			break;
		case OPT_WS_MAX_PER_IP:
			if (parse_num(optname, "", optarg, "", 0,
			    WS_MAX_CONNS_LIMIT, &o->ws_max_per_ip, err,
			    errlen) == -1)
				return (-1);
			break;
		case OPT_WS_HANDSHAKE_TIMEOUT:
			if (parse_num(optname, "", optarg, "seconds", 1, 3600,
			    &o->ws_handshake_timeout, err, errlen) == -1)
				return (-1);
			break;
		case OPT_WS_IDLE_TIMEOUT:
			if (parse_num(optname, "", optarg, "seconds", 1, 86400,
			    &o->ws_idle_timeout, err, errlen) == -1)
				return (-1);
			break;
		case OPT_WS_MAX_MESSAGE:
			if (parse_num(optname, "", optarg, "bytes", 64,
			    WS_MAX_MESSAGE_LIMIT, &o->ws_max_message, err,
			    errlen) == -1)
				return (-1);
			break;
		case OPT_TRUSTED_PROXY:
			if (o->ntrusted == OPT_TRUSTED_MAX)
				return (seterr(err, errlen, "%s: more than %d "
				    "proxies", optname, OPT_TRUSTED_MAX));
			if (ignore_token(optarg, &ig) == -1)
				return (seterr(err, errlen, "%s: \"%s\" is not "
				    "an address or address/bits", optname,
				    optarg));
			o->trusted[o->ntrusted++] = optarg;
			break;
		case OPT_REAL_IP_HEADER:
			if (strcasecmp(optarg, "x-forwarded-for") == 0)
				o->real_ip_header = REALIP_XFF;
			else if (strcasecmp(optarg, "forwarded") == 0)
				o->real_ip_header = REALIP_FORWARDED;
			else if (strcasecmp(optarg, "none") == 0)
				o->real_ip_header = REALIP_NONE;
			else
				return (seterr(err, errlen, "%s: \"%s\" is not "
				    "X-Forwarded-For, Forwarded or none",
				    optname, optarg));
			break;
		case OPT_NO_SECCOMP:
			o->no_seccomp = 1;
			break;
		case OPT_PLUGIN:
		case OPT_PLUGIN_ADMIN:
			if (o->nplugins == OPT_PLUGINS_MAX)
				return (seterr(err, errlen, "%s: more than %d "
				    "plugins", optname, OPT_PLUGINS_MAX));
			if (optarg[strspn(optarg, " \t")] == '\0')
				return (seterr(err, errlen, "%s: empty "
				    "command", optname));
			o->plugin_flags[o->nplugins] = ch == OPT_PLUGIN_ADMIN ?
			    OPT_PLUGIN_IS_ADMIN : 0;
			o->plugins[o->nplugins++] = optarg;
			break;
		case OPT_DAEMON:
			o->daemonize = 1;
			o->use_syslog = 1;
			break;
		case OPT_SYSLOG:
			o->use_syslog = 1;
			break;
		case OPT_CHECK:
			if (o->action == ACTION_RUN)
				o->action = ACTION_CHECK;
			break;
		case OPT_STATS:
			if (o->action == ACTION_RUN)
				o->action = ACTION_STATS;
			break;
		case OPT_CREATE_DB:
			if (o->action == ACTION_RUN)
				o->action = ACTION_CREATE_DB;
			break;
		case OPT_PROC:
			if (strcmp(optarg, "netd") == 0)
				o->proc = PROC_NETD;
			else if (strcmp(optarg, "logd") == 0)
				o->proc = PROC_LOGD;
			else if (strcmp(optarg, "puppet") == 0)
				o->proc = PROC_PUPPET;
			else if (strcmp(optarg, "api") == 0)
				o->proc = PROC_API;
			else
				return (seterr(err, errlen, "%s: unknown "
				    "process \"%s\"", optname, optarg));
			break;
		case OPT_PUPPET_MASTER:
			if (check_puppet_master(optname, optarg, err,
			    errlen) == -1)
				return (-1);
			o->puppet_master = optarg;
			break;
		case OPT_PUPPET_PORT:
			if (parse_port(optname, optarg, &o->puppet_port, err,
			    errlen) == -1)
				return (-1);
			break;
		case OPT_PUPPET_PROTOCOL:
			if (optarg[0] == '\0' || optarg[strspn(optarg,
			    "0123456789")] != '\0' || strlen(optarg) > 7)
				return (seterr(err, errlen, "%s: bad protocol "
				    "\"%s\" (a number such as 69, 70 or 71)",
				    optname, optarg));
			o->puppet_protocol = optarg;
			break;
		case OPT_PUPPET_USE_WS:
			o->puppet_use_ws = 1;
			break;
		case OPT_PUPPET_INTERVAL:
			if (parse_num(optname, "", optarg, "seconds", 1, 86400,
			    &o->puppet_interval, err, errlen) == -1)
				return (-1);
			break;
		case OPT_PUPPET_MAX_SERVERS:
			if (parse_num(optname, "", optarg, "servers", 1,
			    DEFAULT_PUPPET_MAX_SERVERS, &o->puppet_max_servers,
			    err, errlen) == -1)
				return (-1);
			break;
		case OPT_PUPPET_DISABLE:
			o->puppet_disable = 1;
			break;
		case OPT_PUPPET_ENABLE:
			/* The Python master's; on is the default here. */
			break;
		case OPT_PUPPET_RUN_ONCE:
			o->puppet_run_once = 1;
			break;
		case OPT_PUPPET_CA_FILE:
			o->puppet_ca_file = optarg;
			break;
		case OPT_API_HOST:
			if (*optarg == '\0')
				return (seterr(err, errlen, "%s: empty host",
				    optname));
			o->api_host = optarg;
			break;
		case OPT_API_PORT:
			if (parse_port(optname, optarg, &o->api_port, err,
			    errlen) == -1)
				return (-1);
			break;
		case OPT_API_KEYS:
			/* Where the key is in argv, to leave it out of exec. */
			if (o->napi_keys == OPT_API_KEYS_MAX)
				return (seterr(err, errlen, "%s: given more "
				    "than %d times", optname, OPT_API_KEYS_MAX));
			o->api_keys[o->napi_keys++] = optarg;
			break;
		case OPT_API_KEY_FILE:
			o->api_key_file = optarg;
			break;
		case OPT_API_RATE_LIMIT:
			if (parse_num(optname, "", optarg, "requests a minute",
			    0, 100000, &o->api_rate_limit, err, errlen) == -1)
				return (-1);
			break;
		case ':':
			return (seterr(err, errlen, "%s: missing argument",
			    optname));
		default:
			return (seterr(err, errlen, "unknown option %s",
			    optname));
		}
	}
	if (optind < argc)
		return (seterr(err, errlen, "unexpected argument \"%s\"",
		    argv[optind]));

	if (o->verbose < LOGLEVEL_ALWAYS)
		o->verbose = LOGLEVEL_ALWAYS;
	if (o->verbose > LOGLEVEL_DEBUG)
		o->verbose = LOGLEVEL_DEBUG;
	if ((o->ws_ssl_key == NULL) != (o->ws_ssl_cert == NULL))
		return (seterr(err, errlen, "%s: -k and -K go together",
		    o->ws_ssl_key != NULL ? "-k" : "-K"));
	if (o->nports == 0)
		o->ports[o->nports++] = DEFAULT_PORT;
	if (o->challenge_port == 0)
		o->challenge_port = default_challenge_port(o);
	else {
		for (i = 0; i < o->nports; i++)
			if (o->ports[i] == o->challenge_port)
				return (seterr(err, errlen, "-P: challenge "
				    "port %u is also a request port (-p)",
				    o->challenge_port));
	}
	return (0);
}

/*
 * Checks against the system, made by the parent before it binds anything:
 * -u and -j need root, the user must exist, the jail must be a directory.
 */
int
options_check(struct options *o, int is_root, char *err, size_t errlen)
{
	struct stat	 st;

	/* The one-shot actions run as whoever calls them. */
	if (o->action == ACTION_STATS || o->action == ACTION_CREATE_DB ||
	    o->action == ACTION_CHECK)
		is_root = 1;
	if (o->user != NULL && !is_root)
		return (seterr(err, errlen, "-u: only root can switch to "
		    "user %s", o->user));
	if (o->jail != NULL && !is_root)
		return (seterr(err, errlen, "-j: only root can chroot to %s",
		    o->jail));
	if (o->user != NULL && getpwnam(o->user) == NULL)
		return (seterr(err, errlen, "-u: unknown user %s", o->user));
	if (o->jail != NULL) {
		if (stat(o->jail, &st) == -1)
			return (seterr(err, errlen, "-j: %s: %s", o->jail,
			    strerror(errno)));
		if (!S_ISDIR(st.st_mode))
			return (seterr(err, errlen, "-j: %s: not a directory",
			    o->jail));
	}
	return (0);
}

/* The user netd and logd run as when started by root. */
const char *
options_user(const struct options *o)
{
	return (o->user != NULL ? o->user : DEFAULT_USER);
}

/*
 * The directory of the data files, as an absolute path: the jail, or the
 * working directory as with the Python master.
 */
int
options_datadir(const struct options *o, char *buf, size_t len)
{
	char	 path[PATH_MAX];

	if (o->jail != NULL) {
		if (realpath(o->jail, path) == NULL)
			return (-1);
	} else if (getcwd(path, sizeof(path)) == NULL)
		return (-1);
	if (strlcpy(buf, path, len) >= len) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	return (0);
}

/*
 * netd's chroot: the jail when only root may write to it, else the empty
 * directory.  A jail the -u user owns (logd keeps the statistics there)
 * would let the process that parses the internet write the data files.
 */
const char *
options_netd_root(const struct options *o)
{
	struct stat	 st;

	if (o->jail != NULL && stat(o->jail, &st) == 0 && st.st_uid == 0 &&
	    (st.st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return (o->jail);
	return (EMPTY_DIR);
}

const char *
db_name(enum db_backend db)
{
	switch (db) {
	case DB_NONE:
		return ("none");
	case DB_TDB:
		return ("tdb");
	case DB_SQLITE:
		return ("sqlite");
	case DB_AUTO:
		break;
	}
	return ("auto");
}

/* The synopsis of the manual, and with full set the option list too. */
void
usage_print(int full)
{
	FILE	*f = full ? stdout : stderr;

	fprintf(f, "usage: tremmasterd [-46hqVvw] [-d none|tdb|sqlite|auto] "
	    "[-j dir] [-K cert]\n"
	    "                   [-k key] [-L addr6] [-l addr] [-n max-servers] "
	    "[-P port]\n"
	    "                   [-p port] [-u user] [-W port] "
	    "[--answer-budget kib]\n"
	    "                   [--challenge-burst num] "
	    "[--challenge-timeout seconds]\n"
	    "                   [--check] [--create-db] [--daemon] "
	    "[--db-max-size mib]\n"
	    "                   [--ipv6-prefix len] [--max-per-ip num] "
	    "[--no-seccomp]\n"
	    "                   [--server-timeout seconds] [--stats] "
	    "[--syslog]\n"
	    "                   [--throttle-burst num] [--throttle-rate num]\n"
	    "                   [--ws-handshake-timeout seconds] "
	    "[--ws-idle-timeout seconds]\n"
	    "                   [--ws-max-connections num] "
	    "[--ws-max-message bytes]\n"
	    "                   [--ws-max-per-ip num] "
	    "[--trusted-proxy addr[/len]]\n"
	    "                   [--real-ip-header header]\n"
	    "                   [--plugin command] [--plugin-admin command]\n"
	    "                   [--puppet-ca-file file] [--puppet-disable] "
	    "[--puppet-enable]\n"
	    "                   [--puppet-interval seconds] "
	    "[--puppet-master addr]\n"
	    "                   [--puppet-max-servers num] "
	    "[--puppet-port port]\n"
	    "                   [--puppet-protocol protocol] "
	    "[--puppet-run-once]\n"
	    "                   [--puppet-use-websocket]\n"
	    "                   [--api-host host] [--api-key-file file] "
	    "[--api-keys keys]\n"
	    "                   [--api-port port] [--api-rate-limit num]\n"
	    "                   [--verbose level]\n");
	if (!full)
		return;
	fprintf(f, "\n"
	    "  -h, --help               show this help and exit\n"
	    "  -4, --ipv4               only use IPv4\n"
	    "  -6, --ipv6               only use IPv6\n"
	    "  -d, --db BACKEND         statistics database: none, tdb, "
	    "sqlite or auto\n"
	    "                           (default: auto, SQLite then TDB)\n"
	    "  -j, --jail DIR           data directory and chroot "
	    "(default: the working\n"
	    "                           directory; as root netd is then "
	    "chrooted to\n"
	    "                           %s and logd to the working "
	    "directory)\n"
	    "  -l, --listen-addr ADDR   IPv4 address to listen on "
	    "(default: all)\n"
	    "  -L, --listen6-addr ADDR  IPv6 address to listen on "
	    "(default: all)\n"
	    "  -n, --max-servers NUM    maximum number of servers listed "
	    "(default: 0,\n"
	    "                           no limit)\n"
	    "  -p, --port NUM           UDP port for requests, repeatable "
	    "(default: %d)\n"
	    "  -P, --challengeport NUM  UDP port challenges are sent from\n"
	    "                           (default: highest -p port plus "
	    "one)\n"
	    "  -q                       decrease the verbose level, "
	    "repeatable\n"
	    "  -u, --user USER          user to run netd and logd as, when "
	    "started as\n"
	    "                           root (default: %s)\n"
	    "  -v                       increase the verbose level, "
	    "repeatable\n"
	    "      --verbose LEVEL      set the verbose level: 0 ALWAYS, "
	    "1 ERROR,\n"
	    "                           2 PRINT (default), 3 VERBOSE, "
	    "4 DEBUG\n"
	    "  -V, --version            show the version and exit\n"
	    "  -w, --use_ws             enable WebSockets (default: "
	    "enabled)\n"
	    "  -W, --ws_ports NUM       TCP port for WebSocket clients and "
	    "servers,\n"
	    "                           repeatable\n"
	    "  -k, --ws_ssl_key FILE    private key for wss:// on the -W "
	    "ports (with -K)\n"
	    "  -K, --ws_ssl_cert FILE   certificate chain for wss:// (with "
	    "-k)\n"
	    "      --ws-max-connections NUM\n"
	    "                           WebSocket connections in all "
	    "(default: %d)\n"
	    "      --ws-max-per-ip NUM  WebSocket connections from one "
	    "address\n"
	    "                           (default: %d; 0, no limit)\n"
	    "      --ws-handshake-timeout SECONDS\n"
	    "                           time to send the upgrade request "
	    "(default: %d)\n"
	    "      --ws-idle-timeout SECONDS\n"
	    "                           time a connection may go without a "
	    "data message\n"
	    "                           (default: %d)\n"
	    "      --ws-max-message BYTES\n"
	    "                           largest WebSocket message taken, "
	    "64 to 16384\n"
	    "                           (default: %d)\n"
	    "      --trusted-proxy ADDR[/LEN]\n"
	    "                           a reverse proxy in front of the -W "
	    "ports, repeatable:\n"
	    "                           its PROXY protocol header or "
	    "forwarding header\n"
	    "                           gives the client's address\n"
	    "      --real-ip-header HEADER\n"
	    "                           the forwarding header read: "
	    "X-Forwarded-For\n"
	    "                           (default), Forwarded or none\n"
	    "      --challenge-timeout SECONDS\n"
	    "                           time a server has to answer a "
	    "challenge\n"
	    "                           (default: %d)\n"
	    "      --server-timeout SECONDS\n"
	    "                           time a server stays listed after "
	    "its last\n"
	    "                           verified heartbeat (default: %d)\n"
	    "      --max-per-ip NUM     servers listed per IP address "
	    "(default: %d;\n"
	    "                           0, no limit)\n"
	    "      --throttle-burst NUM list and motd requests taken per "
	    "address in a\n"
	    "                           burst (default: %d; 0, no throttle "
	    "and no\n"
	    "                           gamestat budget)\n"
	    "      --throttle-rate NUM  requests per second an address "
	    "regains\n"
	    "                           (default: %d)\n"
	    "      --challenge-burst NUM\n"
	    "                           challenges sent to an address and "
	    "port without a\n"
	    "                           listed server in a burst, one more a "
	    "second\n"
	    "                           (default: %d; 0, no limit)\n"
	    "      --ipv6-prefix LEN    IPv6 addresses sharing this prefix "
	    "count as one\n"
	    "                           address for the limits (default: "
	    "%d)\n"
	    "      --answer-budget KIB  KiB per second of UDP list and motd "
	    "answers, in\n"
	    "                           all (default: %d; 0, no limit)\n"
	    "      --db-max-size MIB    largest statistics database, in MiB "
	    "(default: %d;\n"
	    "                           0, no limit)\n"
	    "      --plugin COMMAND     start COMMAND as a plugin "
	    "(tremmasterd-plugins(7)),\n"
	    "                           repeatable; it runs as the -u user\n"
	    "      --plugin-admin COMMAND\n"
	    "                           the same, and it may change the data "
	    "files\n"
	    "      --puppet-master ADDR clone the list of the master at ADDR "
	    "(a host, an\n"
	    "                           address, or a ws:// or wss:// URL); "
	    "without it,\n"
	    "                           the masters of puppetmasters.txt\n"
	    "      --puppet-port PORT   its port (default: %d)\n"
	    "      --puppet-protocol PROTOCOL\n"
	    "                           game protocol asked for (default: "
	    "%s)\n"
	    "      --puppet-use-websocket\n"
	    "                           ask over WebSocket (default: UDP and "
	    "WebSocket\n"
	    "                           at once, the first list wins)\n"
	    "      --puppet-interval SECONDS\n"
	    "                           time between two clones (default: "
	    "%d)\n"
	    "      --puppet-run-once    clone once, at start-up\n"
	    "      --puppet-max-servers NUM\n"
	    "                           servers of one remote master "
	    "challenged a clone\n"
	    "                           (1-%d, the default)\n"
	    "      --puppet-disable     do not clone, even with "
	    "puppetmasters.txt\n"
	    "      --puppet-enable      accepted for the Python master; "
	    "cloning is on\n"
	    "                           whenever a remote master is named\n"
	    "      --puppet-ca-file FILE\n"
	    "                           CA certificates for wss:// masters "
	    "(default:\n"
	    "                           the system's)\n"
	    "      --api-host HOST      address of the REST API "
	    "(default: %s); any\n"
	    "                           --api-* option or %s\n"
	    "                           turns the API on\n"
	    "      --api-port PORT      its TCP port (default: %d)\n"
	    "      --api-keys KEY,...   keys for its admin endpoints (also "
	    "from %s);\n"
	    "                           ps(1) shows them until start-up "
	    "hides them:\n"
	    "                           prefer --api-key-file\n"
	    "      --api-key-file FILE  keys, one a line, read by root at "
	    "start-up\n"
	    "      --api-rate-limit NUM requests a minute per client address "
	    "(default: %d;\n"
	    "                           0, no limit)\n"
	    "      --no-seccomp         run netd and logd without their "
	    "system call\n"
	    "                           filters (Linux; for debugging)\n"
	    "      --daemon             detach and log to syslog\n"
	    "      --syslog             log to syslog instead of standard "
	    "output\n"
	    "      --check              check the options and data files, "
	    "then exit\n"
	    "      --stats              print the statistics in the data "
	    "directory, then exit\n"
	    "      --create-db          create an empty statistics database "
	    "(-d sqlite\n"
	    "                           or tdb; auto means sqlite), then "
	    "exit\n",
	    EMPTY_DIR, DEFAULT_PORT, DEFAULT_USER, DEFAULT_WS_MAX_CONNS,
	    DEFAULT_WS_MAX_PER_IP, DEFAULT_WS_HANDSHAKE_TIMEOUT,
	    DEFAULT_WS_IDLE_TIMEOUT, DEFAULT_WS_MAX_MESSAGE,
	    DEFAULT_CHALLENGE_TIMEOUT,
	    DEFAULT_SERVER_TIMEOUT,
	    DEFAULT_MAX_PER_IP, DEFAULT_THROTTLE_BURST, DEFAULT_THROTTLE_RATE,
	    DEFAULT_CHALLENGE_BURST, DEFAULT_IPV6_PREFIX, DEFAULT_ANSWER_BUDGET,
	    DEFAULT_DB_MAX_SIZE, PUPPET_DEFAULT_PORT, PUPPET_DEFAULT_PROTOCOL,
	    DEFAULT_PUPPET_INTERVAL, DEFAULT_PUPPET_MAX_SERVERS,
	    DEFAULT_API_HOST, API_KEYS_ENV,
	    DEFAULT_API_PORT, API_KEYS_ENV, DEFAULT_API_RATE_LIMIT);
}
