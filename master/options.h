/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * The command line, shared by the parent and, through exec, by netd and
 * logd.
 */

#ifndef OPTIONS_H
#define OPTIONS_H

#include <sys/types.h>

#include <stdint.h>

#define MAX_PORTS		32
#define DEFAULT_PORT		30710
#define DEFAULT_CHALLENGE_TIMEOUT 5
#define DEFAULT_SERVER_TIMEOUT	660
#define DEFAULT_MAX_PER_IP	32
#define DEFAULT_THROTTLE_BURST	10
#define DEFAULT_THROTTLE_RATE	1
#define DEFAULT_IPV6_PREFIX	64
#define DEFAULT_CHALLENGE_BURST	10
#define DEFAULT_WS_MAX_CONNS	16384	/* WebSocket connections in all */
#define DEFAULT_WS_MAX_PER_IP	64	/* ... from one address */
#define DEFAULT_WS_HANDSHAKE_TIMEOUT 10	/* seconds to send the upgrade */
#define DEFAULT_WS_IDLE_TIMEOUT	600	/* seconds without a data message */
#define DEFAULT_WS_MAX_MESSAGE	4096	/* bytes of a message */
#define WS_MAX_CONNS_LIMIT	1000000
#define WS_MAX_MESSAGE_LIMIT	16384	/* --ws-max-message at most */
#define DEFAULT_ANSWER_BUDGET	2048	/* KiB a second */
#define DEFAULT_DB_MAX_SIZE	256	/* MiB */
#define DEFAULT_USER		"nobody"
#ifndef EMPTY_DIR
#define EMPTY_DIR		"/var/empty"
#endif
#define VERSION			"0.1.0"
#define OPT_PLUGINS_MAX		16	/* PLUGIN_MAX of tremmasterd.h */
#define OPT_PLUGIN_IS_ADMIN	0x01	/* PLUGIN_ADMIN of tremmasterd.h */
#define DEFAULT_PUPPET_INTERVAL	300	/* seconds */
#define DEFAULT_PUPPET_MAX_SERVERS 16384	/* FETCH_ENTRIES_MAX */
#define DEFAULT_API_HOST	"127.0.0.1"
#define DEFAULT_API_PORT	8067
#define DEFAULT_API_RATE_LIMIT	60	/* requests a minute per client */
#define OPT_API_KEYS_MAX	16	/* --api-keys given */
#define OPT_TRUSTED_MAX		64	/* --trusted-proxy given */

enum db_backend { DB_AUTO, DB_NONE, DB_TDB, DB_SQLITE };
enum proc_id { PROC_PARENT, PROC_NETD, PROC_LOGD, PROC_PUPPET, PROC_API };
/* --real-ip-header: where a trusted proxy's client address is read. */
enum real_ip_header {
	REALIP_XFF,		/* X-Forwarded-For, the default */
	REALIP_FORWARDED,	/* Forwarded, RFC 7239 */
	REALIP_NONE		/* PROXY protocol headers only */
};
enum opt_action {
	ACTION_RUN, ACTION_HELP, ACTION_VERSION, ACTION_CHECK, ACTION_STATS,
	ACTION_CREATE_DB
};

struct options {
	enum opt_action	 action;
	enum proc_id	 proc;
	int		 family;	/* AF_UNSPEC, AF_INET or AF_INET6 */
	enum db_backend	 db;
	const char	*jail;
	const char	*listen4;
	const char	*listen6;
	int		 max_servers;	/* 0: no limit */
	uint16_t	 ports[MAX_PORTS];
	int		 nports;
	uint16_t	 challenge_port;	/* 0 until chosen */
	int		 verbose;
	const char	*user;
	int		 use_ws;
	uint16_t	 ws_ports[MAX_PORTS];
	int		 nws_ports;
	const char	*ws_ssl_key;	/* -k: wss:// private key */
	const char	*ws_ssl_cert;	/* -K: wss:// certificate chain */
	int		 challenge_timeout;
	int		 server_timeout;
	int		 max_per_ip;	/* 0: no limit */
	int		 throttle_burst;	/* 0: no throttle */
	int		 throttle_rate;	/* requests a second */
	int		 ipv6_prefix;	/* bits that make an IPv6 "address" */
	int		 answer_budget;	/* KiB/s of UDP answers, 0: no limit */
	int		 db_max_size;	/* MiB, 0: no limit */
	int		 no_seccomp;
	int		 challenge_burst;	/* 0: no limit */
	int		 ws_max_conns;
	int		 ws_max_per_ip;		/* 0: no limit */
	int		 ws_handshake_timeout;	/* seconds */
	int		 ws_idle_timeout;	/* seconds */
	int		 ws_max_message;	/* bytes */
	const char	*trusted[OPT_TRUSTED_MAX];	/* --trusted-proxy */
	int		 ntrusted;
	int		 real_ip_header;	/* enum real_ip_header */
	int		 daemonize;
	int		 use_syslog;
	const char	*plugins[OPT_PLUGINS_MAX];	/* --plugin commands */
	int		 plugin_flags[OPT_PLUGINS_MAX];
	int		 nplugins;
	/* The puppet plugin (puppet/puppet.h), the Python master's options. */
	const char	*puppet_master;	/* --puppet-master, or NULL */
	uint16_t	 puppet_port;	/* --puppet-port, or 0 */
	const char	*puppet_protocol;	/* --puppet-protocol */
	int		 puppet_use_ws;	/* --puppet-use-websocket */
	int		 puppet_interval;	/* --puppet-interval, seconds */
	int		 puppet_max_servers;	/* --puppet-max-servers */
	int		 puppet_disable;	/* --puppet-disable */
	int		 puppet_run_once;	/* --puppet-run-once */
	const char	*puppet_ca_file;	/* --puppet-ca-file */
	const char	*puppet_opt;	/* the first --puppet-* given */
	/* The REST API plugin (api/api.h), the Python master's options. */
	const char	*api_host;	/* --api-host */
	uint16_t	 api_port;	/* --api-port */
	const char	*api_keys[OPT_API_KEYS_MAX];	/* --api-keys, in argv */
	int		 napi_keys;
	const char	*api_key_file;	/* --api-key-file */
	int		 api_rate_limit;	/* --api-rate-limit, a minute */
	const char	*api_opt;	/* the first --api-* given */
};

int		 options_parse(int, char **, struct options *, char *, size_t);
int		 options_check(struct options *, int, char *, size_t);
const char	*db_name(enum db_backend);
const char	*options_user(const struct options *);
const char	*options_netd_root(const struct options *);
int		 options_datadir(const struct options *, char *, size_t);
void		 usage_print(int);

#endif /* OPTIONS_H */
