/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Unit tests of master/options.c: the command line, its defaults and its
 * errors, and the checks made against the system.
 */

#include "compat.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cmocka needs the four headers above it. */
#include <cmocka.h>

#include "log.h"
#include "options.h"

#define MAX_ARGS	80

static char	*argv_buf[MAX_ARGS + 2];
static char	 err[256];

static int	parse(struct options *, ...)
		    __attribute__((__sentinel__));
static void	assert_err(const char *);

/*
 * Run options_parse on "tremmasterd" followed by the NULL-terminated
 * arguments, with the message in err.
 */
static int
parse(struct options *o, ...)
{
	va_list	 ap;
	char	*arg;
	int	 argc = 0;

	argv_buf[argc++] = "tremmasterd";
	va_start(ap, o);
	while ((arg = va_arg(ap, char *)) != NULL) {
		if (argc > MAX_ARGS)
			fail_msg("too many arguments");
		argv_buf[argc++] = arg;
	}
	va_end(ap);
	argv_buf[argc] = NULL;
	memset(err, 'X', sizeof(err) - 1);
	err[sizeof(err) - 1] = '\0';
	return (options_parse(argc, argv_buf, o, err, sizeof(err)));
}

/* The last message names what it must. */
static void
assert_err(const char *what)
{
	if (strstr(err, what) == NULL)
		fail_msg("\"%s\" not in \"%s\"", what, err);
}

static void
test_defaults(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, NULL), 0);
	assert_string_equal(err, "");
	assert_int_equal(o.action, ACTION_RUN);
	assert_int_equal(o.proc, PROC_PARENT);
	assert_int_equal(o.nports, 1);
	assert_int_equal(o.ports[0], 30710);
	assert_int_equal(o.challenge_port, 30711);
	assert_int_equal(o.verbose, 2);
	assert_int_equal(o.db, DB_AUTO);
	assert_int_equal(o.use_ws, 1);
	assert_int_equal(o.nws_ports, 0);
	assert_int_equal(o.challenge_timeout, 5);
	assert_int_equal(o.server_timeout, 660);
	assert_int_equal(o.family, AF_UNSPEC);
	assert_int_equal(o.max_servers, 0);
	assert_int_equal(o.daemonize, 0);
	assert_int_equal(o.use_syslog, 0);
	assert_null(o.jail);
	assert_null(o.user);
	assert_null(o.listen4);
	assert_null(o.listen6);
	assert_string_equal(options_user(&o), "nobody");
}

static void
test_ports(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "-p", "30700", "--port=30701", "-p",
	    "30700", "--port", "30701", "-p30705", NULL), 0);
	assert_int_equal(o.nports, 3);
	assert_int_equal(o.ports[0], 30700);
	assert_int_equal(o.ports[1], 30701);
	assert_int_equal(o.ports[2], 30705);
	assert_int_equal(o.challenge_port, 30706);
}

static void
test_ports_too_many(void **state __unused)
{
	struct options	 o;
	char		 p[MAX_PORTS + 1][8];
	int		 i;

	for (i = 0; i <= MAX_PORTS; i++)
		(void)snprintf(p[i], sizeof(p[i]), "%d", 1000 + i);
	/* MAX_PORTS + 1 distinct ports, as 33 -p options. */
	assert_int_equal(MAX_PORTS, 32);
	assert_int_equal(parse(&o,
	    "-p", p[0], "-p", p[1], "-p", p[2], "-p", p[3], "-p", p[4],
	    "-p", p[5], "-p", p[6], "-p", p[7], "-p", p[8], "-p", p[9],
	    "-p", p[10], "-p", p[11], "-p", p[12], "-p", p[13], "-p", p[14],
	    "-p", p[15], "-p", p[16], "-p", p[17], "-p", p[18], "-p", p[19],
	    "-p", p[20], "-p", p[21], "-p", p[22], "-p", p[23], "-p", p[24],
	    "-p", p[25], "-p", p[26], "-p", p[27], "-p", p[28], "-p", p[29],
	    "-p", p[30], "-p", p[31], NULL), 0);
	assert_int_equal(o.nports, MAX_PORTS);
	assert_int_equal(parse(&o,
	    "-p", p[0], "-p", p[1], "-p", p[2], "-p", p[3], "-p", p[4],
	    "-p", p[5], "-p", p[6], "-p", p[7], "-p", p[8], "-p", p[9],
	    "-p", p[10], "-p", p[11], "-p", p[12], "-p", p[13], "-p", p[14],
	    "-p", p[15], "-p", p[16], "-p", p[17], "-p", p[18], "-p", p[19],
	    "-p", p[20], "-p", p[21], "-p", p[22], "-p", p[23], "-p", p[24],
	    "-p", p[25], "-p", p[26], "-p", p[27], "-p", p[28], "-p", p[29],
	    "-p", p[30], "-p", p[31], "-p", p[32], NULL), -1);
	assert_err("-p");
}

static void
test_challenge_default(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "-p", "30700", "-p", "30701", NULL), 0);
	assert_int_equal(o.challenge_port, 30702);
	assert_int_equal(parse(&o, "-p", "30701", "-p", "30700", NULL), 0);
	assert_int_equal(o.challenge_port, 30702);
	assert_int_equal(parse(&o, "-p", "65535", NULL), 0);
	assert_int_equal(o.challenge_port, 1);
	assert_int_equal(parse(&o, "-p", "65535", "-p", "1", NULL), 0);
	assert_int_equal(o.challenge_port, 2);
	assert_int_equal(parse(&o, "-p", "2", "-p", "65535", "-p", "1",
	    NULL), 0);
	assert_int_equal(o.challenge_port, 3);
	/* Only the highest counts: lower ones are not stepped over. */
	assert_int_equal(parse(&o, "-p", "30711", "-p", "30710", NULL), 0);
	assert_int_equal(o.challenge_port, 30712);
}

static void
test_challenge_explicit(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "-P", "40000", NULL), 0);
	assert_int_equal(o.challenge_port, 40000);
	assert_int_equal(o.ports[0], 30710);
	assert_int_equal(parse(&o, "-p", "30700", "--challengeport=30650",
	    NULL), 0);
	assert_int_equal(o.challenge_port, 30650);
	assert_int_equal(parse(&o, "-P", "30650", "-P", "30651", NULL), 0);
	assert_int_equal(o.challenge_port, 30651);
}

static void
test_challenge_is_request_port(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "-p", "30700", "-p", "30701", "-P",
	    "30701", NULL), -1);
	assert_err("-P");
	/* The default request port counts too. */
	assert_int_equal(parse(&o, "-P", "30710", NULL), -1);
	assert_err("-P");
}

static void
test_bad_ports(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "-p", "0", NULL), -1);
	assert_err("-p");
	assert_int_equal(parse(&o, "-p", "65536", NULL), -1);
	assert_err("-p");
	assert_int_equal(parse(&o, "-p", "abc", NULL), -1);
	assert_err("-p");
	assert_int_equal(parse(&o, "-p", "-5", NULL), -1);
	assert_err("-p");
	assert_int_equal(parse(&o, "-p", "", NULL), -1);
	assert_err("-p");
	assert_int_equal(parse(&o, "--port=0", NULL), -1);
	assert_err("--port");
	assert_int_equal(parse(&o, "-P", "0", NULL), -1);
	assert_err("-P");
	assert_int_equal(parse(&o, "-P", "70000", NULL), -1);
	assert_err("-P");
	assert_int_equal(parse(&o, "-W", "0", NULL), -1);
	assert_err("-W");
	assert_int_equal(parse(&o, "--ws_ports=x", NULL), -1);
	assert_err("--ws_ports");
}

static void
test_verbose(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "-v", NULL), 0);
	assert_int_equal(o.verbose, 3);
	assert_int_equal(parse(&o, "-v", "-v", NULL), 0);
	assert_int_equal(o.verbose, 4);
	assert_int_equal(parse(&o, "-vv", NULL), 0);
	assert_int_equal(o.verbose, 4);
	assert_int_equal(parse(&o, "-v", "-v", "-v", "-v", "-v", NULL), 0);
	assert_int_equal(o.verbose, 4);
	assert_int_equal(parse(&o, "-q", NULL), 0);
	assert_int_equal(o.verbose, 1);
	assert_int_equal(parse(&o, "-q", "-q", NULL), 0);
	assert_int_equal(o.verbose, 0);
	assert_int_equal(parse(&o, "-q", "-q", "-q", NULL), 0);
	assert_int_equal(o.verbose, 0);
	assert_int_equal(parse(&o, "-v", "-q", NULL), 0);
	assert_int_equal(o.verbose, 2);
}

static void
test_verbose_level(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "--verbose", "3", NULL), 0);
	assert_int_equal(o.verbose, 3);
	assert_int_equal(parse(&o, "--verbose=0", NULL), 0);
	assert_int_equal(o.verbose, 0);
	assert_int_equal(parse(&o, "--verbose", "4", NULL), 0);
	assert_int_equal(o.verbose, 4);
	/* The last one wins. */
	assert_int_equal(parse(&o, "-v", "--verbose", "1", NULL), 0);
	assert_int_equal(o.verbose, 1);
	assert_int_equal(parse(&o, "--verbose", "1", "-v", NULL), 0);
	assert_int_equal(o.verbose, 2);
}

static void
test_verbose_bad(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "--verbose=5", NULL), -1);
	assert_err("--verbose");
	assert_int_equal(parse(&o, "--verbose=x", NULL), -1);
	assert_err("--verbose");
	assert_int_equal(parse(&o, "--verbose=-1", NULL), -1);
	assert_err("--verbose");
	assert_int_equal(parse(&o, "--verbose", "5", NULL), -1);
	assert_int_equal(parse(&o, "--verbose", "x", NULL), -1);
}

static void
test_db(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "-d", "none", NULL), 0);
	assert_int_equal(o.db, DB_NONE);
	assert_string_equal(db_name(o.db), "none");
	assert_int_equal(parse(&o, "-d", "tdb", NULL), 0);
	assert_int_equal(o.db, DB_TDB);
	assert_string_equal(db_name(o.db), "tdb");
	assert_int_equal(parse(&o, "--db=sqlite", NULL), 0);
	assert_int_equal(o.db, DB_SQLITE);
	assert_string_equal(db_name(o.db), "sqlite");
	assert_int_equal(parse(&o, "-d", "tdb", "-d", "auto", NULL), 0);
	assert_int_equal(o.db, DB_AUTO);
	assert_string_equal(db_name(o.db), "auto");
}

static void
test_db_bad(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "-d", "mysql", NULL), -1);
	assert_err("-d");
	assert_err("mysql");
	assert_int_equal(parse(&o, "-d", "SQLITE", NULL), -1);
	assert_err("-d");
	assert_int_equal(parse(&o, "--db=", NULL), -1);
	assert_err("--db");
}

static void
test_family(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "-4", NULL), 0);
	assert_int_equal(o.family, AF_INET);
	assert_int_equal(parse(&o, "-6", NULL), 0);
	assert_int_equal(o.family, AF_INET6);
	assert_int_equal(parse(&o, "--ipv4", "-4", NULL), 0);
	assert_int_equal(o.family, AF_INET);
	assert_int_equal(parse(&o, "--ipv6", NULL), 0);
	assert_int_equal(o.family, AF_INET6);
}

static void
test_family_both(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "-4", "-6", NULL), -1);
	assert_err("-4");
	assert_err("-6");
	assert_int_equal(parse(&o, "-6", "-4", NULL), -1);
	assert_int_equal(parse(&o, "-46", NULL), -1);
	assert_int_equal(parse(&o, "--ipv6", "--ipv4", NULL), -1);
}

static void
test_websocket(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "-W", "8080", "--ws_ports", "8081", "-W",
	    "8080", "--ws_ports=8082", NULL), 0);
	assert_int_equal(o.nws_ports, 3);
	assert_int_equal(o.ws_ports[0], 8080);
	assert_int_equal(o.ws_ports[1], 8081);
	assert_int_equal(o.ws_ports[2], 8082);
	/* WebSocket ports are TCP: they leave the UDP ports alone. */
	assert_int_equal(o.nports, 1);
	assert_int_equal(o.ports[0], 30710);
	assert_int_equal(o.challenge_port, 30711);
	assert_int_equal(parse(&o, "-w", NULL), 0);
	assert_int_equal(o.use_ws, 1);
	assert_int_equal(parse(&o, "--use_ws", NULL), 0);
	assert_int_equal(o.use_ws, 1);
}

static void
test_timeouts(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "--challenge-timeout", "10",
	    "--server-timeout", "30", NULL), 0);
	assert_int_equal(o.challenge_timeout, 10);
	assert_int_equal(o.server_timeout, 30);
	assert_int_equal(parse(&o, "--challenge-timeout=3600",
	    "--server-timeout=86400", NULL), 0);
	assert_int_equal(o.challenge_timeout, 3600);
	assert_int_equal(o.server_timeout, 86400);
	assert_int_equal(parse(&o, "--challenge-timeout=1",
	    "--server-timeout=1", NULL), 0);
	assert_int_equal(o.challenge_timeout, 1);
	assert_int_equal(o.server_timeout, 1);
}

static void
test_timeouts_bad(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "--challenge-timeout=0", NULL), -1);
	assert_err("--challenge-timeout");
	assert_int_equal(parse(&o, "--challenge-timeout=3601", NULL), -1);
	assert_err("--challenge-timeout");
	assert_int_equal(parse(&o, "--challenge-timeout=ten", NULL), -1);
	assert_err("--challenge-timeout");
	assert_int_equal(parse(&o, "--server-timeout=0", NULL), -1);
	assert_err("--server-timeout");
	assert_int_equal(parse(&o, "--server-timeout=86401", NULL), -1);
	assert_err("--server-timeout");
	assert_int_equal(parse(&o, "--challenge-timeout", "0", NULL), -1);
	assert_int_equal(parse(&o, "--server-timeout", "-3", NULL), -1);
}

static void
test_unknown_short(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "-x", NULL), -1);
	assert_err("-x");
	assert_int_equal(parse(&o, "-v", "-Z", NULL), -1);
	assert_err("-Z");
}

static void
test_unknown_long(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "--bogus", NULL), -1);
	assert_err("--bogus");
	assert_int_equal(parse(&o, "--bogus=1", NULL), -1);
	assert_err("--bogus");
	/* A flag given a value is an error too. */
	assert_int_equal(parse(&o, "--check=yes", NULL), -1);
	assert_err("--check");
}

static void
test_missing_argument(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "-p", NULL), -1);
	assert_err("-p");
	assert_int_equal(parse(&o, "-v", "-d", NULL), -1);
	assert_err("-d");
	assert_int_equal(parse(&o, "--port", NULL), -1);
	assert_err("--port");
	assert_int_equal(parse(&o, "--verbose", NULL), -1);
	assert_err("--verbose");
}

static void
test_unexpected_argument(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "-v", "stray", NULL), -1);
	assert_err("stray");
	/* "+" in the option string: nothing is taken after an operand. */
	assert_int_equal(parse(&o, "stray", "-v", NULL), -1);
	assert_err("stray");
}

static void
test_actions(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "-h", NULL), 0);
	assert_int_equal(o.action, ACTION_HELP);
	assert_int_equal(parse(&o, "--help", NULL), 0);
	assert_int_equal(o.action, ACTION_HELP);
	assert_int_equal(parse(&o, "-V", NULL), 0);
	assert_int_equal(o.action, ACTION_VERSION);
	assert_int_equal(parse(&o, "--version", NULL), 0);
	assert_int_equal(o.action, ACTION_VERSION);
	assert_int_equal(parse(&o, "--check", NULL), 0);
	assert_int_equal(o.action, ACTION_CHECK);
	/* Help beats version, and both beat --check. */
	assert_int_equal(parse(&o, "-h", "-V", NULL), 0);
	assert_int_equal(o.action, ACTION_HELP);
	assert_int_equal(parse(&o, "-V", "--check", NULL), 0);
	assert_int_equal(o.action, ACTION_VERSION);
}

static void
test_daemon_syslog(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "--daemon", NULL), 0);
	assert_int_equal(o.daemonize, 1);
	assert_int_equal(o.use_syslog, 1);
	assert_int_equal(parse(&o, "--syslog", NULL), 0);
	assert_int_equal(o.daemonize, 0);
	assert_int_equal(o.use_syslog, 1);
}

static void
test_proc(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "--proc", "netd", NULL), 0);
	assert_int_equal(o.proc, PROC_NETD);
	assert_int_equal(parse(&o, "--proc=logd", NULL), 0);
	assert_int_equal(o.proc, PROC_LOGD);
	assert_int_equal(parse(&o, "--proc=master", NULL), -1);
	assert_err("--proc");
}

static void
test_values(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "-l", "127.0.0.1", "-L", "::1", "-j",
	    "/var/empty", "-u", "_tremmaster", "-n", "100", NULL), 0);
	assert_string_equal(o.listen4, "127.0.0.1");
	assert_string_equal(o.listen6, "::1");
	assert_string_equal(o.jail, "/var/empty");
	assert_string_equal(o.user, "_tremmaster");
	assert_string_equal(options_user(&o), "_tremmaster");
	assert_int_equal(o.max_servers, 100);
	assert_int_equal(parse(&o, "--listen-addr=10.0.0.1",
	    "--listen6-addr=fe80::1", "--jail=/tmp", "--user=nobody",
	    "--max-servers=0", NULL), 0);
	assert_string_equal(o.listen4, "10.0.0.1");
	assert_string_equal(o.listen6, "fe80::1");
	assert_string_equal(o.jail, "/tmp");
	assert_string_equal(o.user, "nobody");
	assert_int_equal(o.max_servers, 0);
	assert_int_equal(parse(&o, "-n", "100000000", NULL), 0);
	assert_int_equal(o.max_servers, 100000000);
}

static void
test_values_bad(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "-n", "-1", NULL), -1);
	assert_err("-n");
	assert_int_equal(parse(&o, "-n", "100000001", NULL), -1);
	assert_err("-n");
	assert_int_equal(parse(&o, "-n", "many", NULL), -1);
	assert_err("-n");
	assert_int_equal(parse(&o, "-j", "", NULL), -1);
	assert_err("-j");
	assert_int_equal(parse(&o, "-u", "", NULL), -1);
	assert_err("-u");
}

/* The WebSocket limits: their defaults, values and bounds. */
static void
test_ws_limits(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, NULL), 0);
	assert_int_equal(o.ws_max_conns, 16384);
	assert_int_equal(o.ws_max_per_ip, 64);
	assert_int_equal(o.ws_handshake_timeout, 10);
	assert_int_equal(o.ws_idle_timeout, 600);
	assert_int_equal(o.ws_max_message, 4096);
	assert_int_equal(parse(&o, "--ws-max-connections", "3",
	    "--ws-max-per-ip=0", "--ws-handshake-timeout", "1",
	    "--ws-idle-timeout", "86400", "--ws-max-message", "16384", NULL),
	    0);
	assert_int_equal(o.ws_max_conns, 3);
	assert_int_equal(o.ws_max_per_ip, 0);
	assert_int_equal(o.ws_handshake_timeout, 1);
	assert_int_equal(o.ws_idle_timeout, 86400);
	assert_int_equal(o.ws_max_message, 16384);
	assert_int_equal(parse(&o, "--ws-max-connections", "0", NULL), -1);
	assert_err("--ws-max-connections");
	assert_int_equal(parse(&o, "--ws-max-per-ip", "-1", NULL), -1);
	assert_err("--ws-max-per-ip");
	assert_int_equal(parse(&o, "--ws-handshake-timeout", "0", NULL), -1);
	assert_err("--ws-handshake-timeout");
	assert_int_equal(parse(&o, "--ws-idle-timeout", "86401", NULL), -1);
	assert_err("--ws-idle-timeout");
	assert_int_equal(parse(&o, "--ws-max-message", "63", NULL), -1);
	assert_err("--ws-max-message");
	assert_int_equal(parse(&o, "--ws-max-message", "16385", NULL), -1);
	assert_err("--ws-max-message");
}

/* The Python master's puppet options, with their defaults. */
static void
test_puppet(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, NULL), 0);
	assert_null(o.puppet_master);
	assert_int_equal(o.puppet_port, 0);
	assert_null(o.puppet_protocol);
	assert_int_equal(o.puppet_interval, DEFAULT_PUPPET_INTERVAL);
	assert_int_equal(o.puppet_max_servers, 16384);
	assert_false(o.puppet_use_ws || o.puppet_disable || o.puppet_run_once);
	assert_null(o.puppet_opt);
	assert_int_equal(parse(&o, "--puppet-master", "master.example.org",
	    "--puppet-port", "30700", "--puppet-protocol", "70",
	    "--puppet-use-websocket", "--puppet-interval", "60",
	    "--puppet-run-once", "--puppet-enable", "--puppet-ca-file",
	    "/etc/ssl/cert.pem", NULL), 0);
	assert_string_equal(o.puppet_master, "master.example.org");
	assert_int_equal(o.puppet_port, 30700);
	assert_string_equal(o.puppet_protocol, "70");
	assert_true(o.puppet_use_ws);
	assert_int_equal(o.puppet_interval, 60);
	assert_true(o.puppet_run_once);
	assert_false(o.puppet_disable);
	assert_string_equal(o.puppet_ca_file, "/etc/ssl/cert.pem");
	assert_string_equal(o.puppet_opt, "puppet-master");
	assert_int_equal(parse(&o, "--puppet-disable", NULL), 0);
	assert_true(o.puppet_disable);
	assert_string_equal(o.puppet_opt, "puppet-disable");
	assert_int_equal(parse(&o, "--puppet-max-servers", "1", NULL), 0);
	assert_int_equal(o.puppet_max_servers, 1);
	assert_string_equal(o.puppet_opt, "puppet-max-servers");
	assert_int_equal(parse(&o, "--puppet-master", "wss://m.example:443/ws",
	    NULL), 0);
	assert_int_equal(parse(&o, "--puppet-master", "[2001:db8::1]", NULL),
	    0);
	assert_int_equal(parse(&o, "--puppet-master", "192.0.2.1", NULL), 0);
}

static void
test_puppet_bad(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "--puppet-master", "", NULL), -1);
	assert_err("--puppet-master: empty host");
	assert_int_equal(parse(&o, "--puppet-master", "bad host", NULL), -1);
	assert_err("--puppet-master: bad host");
	assert_int_equal(parse(&o, "--puppet-master", "ws://h:0", NULL), -1);
	assert_err("--puppet-master: bad port");
	assert_int_equal(parse(&o, "--puppet-port", "0", NULL), -1);
	assert_err("--puppet-port");
	assert_int_equal(parse(&o, "--puppet-port", "65536", NULL), -1);
	assert_err("--puppet-port");
	assert_int_equal(parse(&o, "--puppet-protocol", "7x", NULL), -1);
	assert_err("--puppet-protocol: bad protocol \"7x\"");
	assert_int_equal(parse(&o, "--puppet-protocol", "", NULL), -1);
	assert_err("--puppet-protocol");
	assert_int_equal(parse(&o, "--puppet-protocol", "12345678", NULL), -1);
	assert_err("--puppet-protocol");
	assert_int_equal(parse(&o, "--puppet-interval", "0", NULL), -1);
	assert_err("--puppet-interval");
	assert_int_equal(parse(&o, "--puppet-interval", "86401", NULL), -1);
	assert_err("--puppet-interval");
	assert_int_equal(parse(&o, "--puppet-max-servers", "0", NULL), -1);
	assert_err("--puppet-max-servers: \"0\" servers is too small "
	    "(1-16384)");
	assert_int_equal(parse(&o, "--puppet-max-servers", "16385", NULL), -1);
	assert_err("--puppet-max-servers");
	assert_int_equal(parse(&o, "--puppet-run-once=1", NULL), -1);
	assert_err("--puppet-run-once: takes no argument");
}

static void
test_check_not_root(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, NULL), 0);
	assert_int_equal(options_check(&o, 0, err, sizeof(err)), 0);
	assert_int_equal(parse(&o, "-u", "nobody", NULL), 0);
	assert_int_equal(options_check(&o, 0, err, sizeof(err)), -1);
	assert_err("-u");
	assert_int_equal(parse(&o, "-j", "/tmp", NULL), 0);
	assert_int_equal(options_check(&o, 0, err, sizeof(err)), -1);
	assert_err("-j");
}

static void
test_check_root(void **state __unused)
{
	struct options	 o;
	char		 dir[] = "/tmp/test_options.XXXXXX";
	char		 file[PATH_MAX];
	int		 fd;

	assert_int_equal(parse(&o, "-u", "no_such_user_xyz", NULL), 0);
	assert_int_equal(options_check(&o, 1, err, sizeof(err)), -1);
	assert_err("unknown user");
	assert_err("no_such_user_xyz");

	assert_int_equal(parse(&o, "-j", "/nonexistent/dir", NULL), 0);
	assert_int_equal(options_check(&o, 1, err, sizeof(err)), -1);
	assert_err("-j");
	assert_err("/nonexistent/dir");

	assert_non_null(mkdtemp(dir));
	(void)snprintf(file, sizeof(file), "%s/file", dir);
	if ((fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1)
		fail_msg("%s: %s", file, strerror(errno));
	(void)close(fd);
	assert_int_equal(parse(&o, "-j", file, NULL), 0);
	assert_int_equal(options_check(&o, 1, err, sizeof(err)), -1);
	assert_err("-j");
	assert_err("not a directory");

	assert_int_equal(parse(&o, "-u", "nobody", "-j", dir, NULL), 0);
	assert_int_equal(options_check(&o, 1, err, sizeof(err)), 0);
	assert_int_equal(parse(&o, NULL), 0);
	assert_int_equal(options_check(&o, 1, err, sizeof(err)), 0);

	(void)unlink(file);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_datadir(void **state __unused)
{
	struct options	 o;
	char		 buf[PATH_MAX], cwd[PATH_MAX];

	assert_int_equal(parse(&o, "-j", "/tmp/../tmp", NULL), 0);
	assert_int_equal(options_datadir(&o, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/tmp");
	assert_int_equal(parse(&o, NULL), 0);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(options_datadir(&o, buf, sizeof(buf)), 0);
	assert_string_equal(buf, cwd);
	assert_int_equal(options_datadir(&o, buf, 2), -1);
	assert_int_equal(errno, ENAMETOOLONG);
}

/* getopt state is reset: a second parse sees all of its arguments. */
static void
test_parse_twice(void **state __unused)
{
	struct options	 o;

	assert_int_equal(parse(&o, "-v", "-p", "30800", NULL), 0);
	assert_int_equal(o.verbose, 3);
	assert_int_equal(parse(&o, "-q", "-p", "30900", NULL), 0);
	assert_int_equal(o.verbose, 1);
	assert_int_equal(o.nports, 1);
	assert_int_equal(o.ports[0], 30900);
	/* And after an error, which stops in the middle of argv. */
	assert_int_equal(parse(&o, "-x", "-v", NULL), -1);
	assert_int_equal(parse(&o, "-v", "-vq", NULL), 0);
	assert_int_equal(o.verbose, 3);
	/* Also after a cluster left half read. */
	assert_int_equal(parse(&o, "-vx", NULL), -1);
	assert_int_equal(parse(&o, "-q", NULL), 0);
	assert_int_equal(o.verbose, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_ports_too_many),
		cmocka_unit_test(test_challenge_default),
		cmocka_unit_test(test_challenge_explicit),
		cmocka_unit_test(test_challenge_is_request_port),
		cmocka_unit_test(test_bad_ports),
		cmocka_unit_test(test_verbose),
		cmocka_unit_test(test_verbose_level),
		cmocka_unit_test(test_verbose_bad),
		cmocka_unit_test(test_db),
		cmocka_unit_test(test_db_bad),
		cmocka_unit_test(test_family),
		cmocka_unit_test(test_family_both),
		cmocka_unit_test(test_websocket),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_timeouts_bad),
		cmocka_unit_test(test_unknown_short),
		cmocka_unit_test(test_unknown_long),
		cmocka_unit_test(test_missing_argument),
		cmocka_unit_test(test_unexpected_argument),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_daemon_syslog),
		cmocka_unit_test(test_proc),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_values_bad),
		cmocka_unit_test(test_ws_limits),
		cmocka_unit_test(test_puppet),
		cmocka_unit_test(test_puppet_bad),
		cmocka_unit_test(test_check_not_root),
		cmocka_unit_test(test_check_root),
		cmocka_unit_test(test_datadir),
		cmocka_unit_test(test_parse_twice),
	};

	log_init(0, LOGLEVEL_ALWAYS);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
