#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors
#
# The tremmasterd benchmark:
# bench/run.sh [--smoke] [--memory | --puppet | --api]
#
# Starts tremmasterd on free loopback ports (throttle, answer budget and
# challenge limit off, no server limits, netd and logd pinned to CPU 0
# and the generator to CPU 1 when there are two) and drives it with
# build/bench/loadgen: list requests at
# 1,000 and 5,000 servers against tremmasterd and, run for run, against
# loadgen's trivial responder (the loopback ceiling of one core); a
# heartbeat flood; idle WebSocket connections and WebSocket requests;
# list requests with a plugin taking reports, and with one filtering;
# gamestat records into SQLite; netd's memory per tracked server at
# 100,000 servers, each infoResponse field at the most netd keeps of it;
# one attacker address against the default throttle; a second
# tremmasterd cloning the list of 1,000 servers of the first with the
# puppet plugin (--puppet-master), until all that answer are listed;
# GET /api/servers of the REST API plugin by wrk(1), beside nginx serving
# the same bytes, and the UDP list while the API is under that load.
# Prints a Markdown table and the ratios tremmasterd / responder.
# With --smoke every mode runs for a second or two with small numbers and
# only correctness is asserted (never speed): exit 1 on a failure.
# With --memory only the memory row runs (half a minute); with --puppet
# only the puppet row (a few seconds); with --api only the API rows.
#
# Environment:
#   TREMMASTERD	the binary under test (default: build/tremmasterd, built)
#   LOADGEN	the load generator (default: build/bench/loadgen, built)
#   BENCH_DURATION	seconds a measured run lasts (default 10)
#   BENCH_BIG_N	servers of the memory run (default 100000)
#   BENCH_WS_CONNS	idle WebSocket connections (default 10000)
#   BENCH_ROUNDS	rounds of the list and heartbeat runs (default 3):
#		tremmasterd and the responder take turns, and each row
#		shows the median round, so that one slow second of a
#		shared machine does not decide a ratio; the notes give
#		every round's rate and the CPU time the hypervisor took
#		from the machine during it (steal, from /proc/stat)
#
# All traffic goes to 127.0.0.1 from addresses in 127.0.0.0/8.  Every
# process started here is stopped by PID on exit; temporary directories
# are removed.

set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SMOKE=0 ONLY=
for arg in "$@"; do
	case $arg in
	--smoke) SMOKE=1 ;;
	--memory|--puppet|--api)
		if [ -n "$ONLY" ] && [ "$ONLY" != "${arg#--}" ]; then
			echo "bench: one of --memory, --puppet and --api" >&2
			exit 2
		fi
		ONLY=${arg#--} ;;
	*) echo "usage: bench/run.sh [--smoke] [--memory | --puppet | --api]" \
		    >&2
		exit 2 ;;
	esac
done

if [ -z "${TREMMASTERD:-}" ]; then
	make -C "$ROOT" all >&2 || exit 1
	TREMMASTERD=$ROOT/build/tremmasterd
fi
if [ -z "${LOADGEN:-}" ]; then
	make -C "$ROOT" bench >&2 || exit 1
	LOADGEN=$ROOT/build/bench/loadgen
fi
for f in "$TREMMASTERD" "$LOADGEN"; do
	if [ ! -x "$f" ]; then
		echo "bench: $f is not an executable" >&2
		exit 1
	fi
done

# NP, the servers of the puppet row: 100 in the smoke run, a list of
# more than 1 KiB of addresses (glibc's qsort(3) sorts those otherwise).
if [ $SMOKE -eq 1 ]; then
	D=1 N1=50 N2=120 C=2 WSC=40 WSN=10 BIGN=600 HOLD=0.5 SETTLE=30
	ROUNDS=1 NP=100
else
	D=${BENCH_DURATION:-10} N1=1000 N2=5000 C=16
	WSC=${BENCH_WS_CONNS:-10000} WSN=1000 BIGN=${BENCH_BIG_N:-100000}
	HOLD=3 SETTLE=120 ROUNDS=${BENCH_ROUNDS:-3} NP=1000
fi
case $ROUNDS in
''|*[!0-9]*|0) echo "bench: BENCH_ROUNDS must be a positive number" >&2
	exit 2 ;;
esac
PROTO=69
# The fake game servers bind port 30720 on 127.B.x.y: a random B per run,
# so that two runs at once do not collide (the 100k run takes two /16s).
B=$((16 + RANDOM % 200))
SRV=127.$B.0.1
CLK_TCK=$(getconf CLK_TCK)
IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1
# A sanitizer build started as root drops privileges in its children:
# LeakSanitizer cannot work there.
if [ $IS_ROOT -eq 1 ]; then
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
fi

# Descriptors: one a fake server or WebSocket connection, on both sides.
want=$((BIGN + WSC + 4096))
ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
NOFILE=$(ulimit -n)
if [ "$NOFILE" != unlimited ] && [ "$NOFILE" -lt $((WSC + WSN + 256)) ]; then
	WSC=$((NOFILE - WSN - 256))
	echo "bench: ulimit -n is $NOFILE: holding $WSC connections" >&2
fi

# The master on CPU 0, the generator on CPU 1, when there are two.
PIN_M=() PIN_L=()
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
	PIN_M=(taskset -c 0)
	PIN_L=(taskset -c 1)
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tremmasterd-bench.XXXXXX") || exit 1
chmod 755 "$TMP"
PIDS=()
FAILS=0
ROWS=()
MPID= NETD= DATA= RPID= SPID= MSTART=

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait_gone "$p" 10 || kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Is pid still there (and not a zombie)?
alive() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# Wait up to $2 seconds for pid $1 to end.
wait_gone() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		alive "$1" || return 0
		sleep 0.1
	done
	return 1
}

forget() {
	local p keep=()
	for p in "${PIDS[@]}"; do
		[ "$p" != "$1" ] && keep+=("$p")
	done
	PIDS=("${keep[@]}")
}

# Stop pid $1 by SIGTERM, then SIGKILL, and reap it.
stop_pid() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	wait_gone "$1" 15 || kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	forget "$1"
}

fail() {
	echo "FAIL: $*" >&2
	FAILS=$((FAILS + 1))
}

# The value of key $2 on the last line of file $1 that has it.
kv() {
	awk -v k="$2" '{ for (i = 1; i <= NF; i++)
		if (index($i, k "=") == 1) v = substr($i, length(k) + 2) }
		END { print v }' "$1"
}

# A port free for UDP and TCP on every address, outside the ephemeral range.
USED_PORTS=" "
free_port() {
	local p i hex
	for ((i = 0; i < 500; i++)); do
		p=$((20000 + RANDOM % 12000))
		case $USED_PORTS in *" $p "*) continue ;; esac
		hex=$(printf '%04X' "$p")
		if ! cat /proc/net/udp /proc/net/udp6 /proc/net/tcp \
		    /proc/net/tcp6 2>/dev/null | awk '{ print $2 }' |
		    grep -qi ":$hex\$"; then
			USED_PORTS="$USED_PORTS$p "
			echo "$p"
			return 0
		fi
	done
	echo "bench: no free port" >&2
	exit 1
}

# utime + stime of pid in clock ticks.
cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null |
	    awk '{ print $12 + $13 }'
}

# Ticks the hypervisor took from this machine's CPUs (steal, /proc/stat).
steal_ticks() {
	awk '/^cpu / { print $9 }' /proc/stat
}

# The % of all CPUs' time stolen: ticks, seconds.
steal_pct() {
	awk -v t="$1" -v s="$2" -v hz="$CLK_TCK" -v n="$(nproc)" 'BEGIN {
		if (s > 0) printf "%.0f", t / hz / s / n * 100; else print "-" }'
}

rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

# The child of the master whose title is "tremmasterd: $1".
child_of_master() {
	local d p
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		[ "$(sed 's/.*) //' "$d/stat" 2>/dev/null | cut -d' ' -f2)" = \
		    "$MPID" ] || continue
		if tr '\0' ' ' <"$d/cmdline" 2>/dev/null |
		    grep -q "^tremmasterd: $1"; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# Every limit on what the master answers off, for all but the throttle
# row: the benchmark measures the work, not the limits.
UNLIMITED="--throttle-burst 0 --answer-budget 0 --challenge-burst 0"

# Start a master with extra options and return at once: sets MPID, DATA,
# ports, and MSTART, the time it was started (seconds since the epoch).
spawn_master() {
	local up=()
	DATA=$(mktemp -d "$TMP/data.XXXXXX")
	PORT=$(free_port)
	CPORT=$(free_port)
	WSPORT=$(free_port)
	if [ $IS_ROOT -eq 1 ]; then
		chown nobody "$DATA"
		up=(-u nobody -j "$DATA")
	fi
	MSTART=$(date +%s.%N)
	(cd "$DATA" && exec "${PIN_M[@]}" "$TREMMASTERD" "${up[@]}" \
	    -4 -l 127.0.0.1 -p "$PORT" -P "$CPORT" -W "$WSPORT" -n 0 \
	    --max-per-ip 0 "$@" >"$DATA.log" 2>&1) &
	MPID=$!
	PIDS+=("$MPID")
	NETD=
}

# Wait for the master of spawn_master to be up; sets NETD.  1 when it
# did not start, with the end of its log.
master_up() {
	local i
	for ((i = 0; i < 100; i++)); do
		if grep -q "netd: .*saved servers challenged" "$DATA.log" \
		    2>/dev/null && NETD=$(child_of_master netd); then
			return 0
		fi
		alive "$MPID" || break
		sleep 0.1
	done
	echo "bench: tremmasterd did not start:" >&2
	tail -5 "$DATA.log" >&2
	return 1
}

# Start a fresh master with extra options and wait for it; sets what
# spawn_master and master_up set.  A port taken in between by someone
# else: again, with other ports.
start_master() {
	local try
	for ((try = 0; try < 3; try++)); do
		spawn_master "$@"
		master_up && return 0
		stop_pid "$MPID"
	done
	exit 1
}

stop_master() {
	stop_pid "$MPID"
	if grep -q "AddressSanitizer\|LeakSanitizer\|runtime error:" \
	    "$DATA.log"; then
		fail "sanitizer report in the master's log"
		grep -A20 "AddressSanitizer\|LeakSanitizer\|runtime error:" \
		    "$DATA.log" >&2
	fi
	MPID= NETD=
}

# Run loadgen bounded in time: out file, then its arguments.
lg() {
	local out=$1
	shift
	timeout -k 5 $((${D%.*} + ${SETTLE%.*} + 120)) "${PIN_L[@]}" \
	    "$LOADGEN" "$@" >"$out" 2>"$out.err"
	local rc=$?
	if [ $rc -ne 0 ]; then
		fail "loadgen $* exited with $rc: $(tail -3 "$out.err")"
	fi
	return $rc
}

# Start the servers mode in the background; waits until all are listed.
start_servers() {
	local n=$1 out=$2 i
	shift 2
	"${PIN_L[@]}" "$LOADGEN" -m servers -n "$n" -a "$SRV" -p "$PORT" \
	    -C "$CPORT" -P $PROTO -d 3600 -s "$SETTLE" -M "$NETD" "$@" \
	    >"$out" 2>"$out.err" &
	SPID=$!
	PIDS+=("$SPID")
	for ((i = 0; i < ${SETTLE%.*} * 10 + 100; i++)); do
		grep -q "phase=ready" "$out" 2>/dev/null && break
		alive "$SPID" || break
		sleep 0.1
	done
	if [ "$(kv "$out" verified)" != 1 ]; then
		fail "servers: $n not all registered: $(cat "$out" \
		    "$out.err" | tail -3)"
		return 1
	fi
	return 0
}

# Append a table row: scenario, N, clients, rate, p50/p99, errors/timeouts,
# netd CPU %, netd RSS MiB, notes.
row() {
	ROWS+=("| $1 | $2 | $3 | $4 | $5 | $6 | $7 | $8 | $9 |")
}

pct() {
	awk -v t="$1" -v s="$2" -v hz="$CLK_TCK" 'BEGIN {
		if (s > 0) printf "%.0f", t / hz / s * 100; else print "-" }'
}

elapsed() {
	awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'
}

mib() {
	awk -v k="$1" 'BEGIN {
		if (k > 0) printf "%.1f", k / 1024; else print "-" }'
}

# One round of a closed-loop list run: label, the pid whose CPU counts,
# the port, the mode, servers, clients, round.  The output goes to
# $TMP/label-mode-n-c.round.out, the CPU % to that file's .cpu, the
# machine's steal % to its .steal.
list_run() {
	local label=$1 cpid=$2 port=$3 mode=$4 n=$5 c=$6 out t0 t1 s0 s1 st
	out=$TMP/$label-$mode-$n-$c.$7.out
	t0=$(cpu_ticks "$cpid")
	st=$(steal_ticks)
	s0=$(date +%s.%N)
	lg "$out" -m "$mode" -n "$n" -a "$SRV" -b 127.$((B + 4)).0.1 \
	    -c "$c" -d "$D" -p "$port" -P $PROTO
	s1=$(date +%s.%N)
	t1=$(cpu_ticks "$cpid")
	pct $((t1 - t0)) "$(elapsed "$s0" "$s1")" >"$out.cpu"
	steal_pct $(($(steal_ticks) - st)) "$(elapsed "$s0" "$s1")" \
	    >"$out.steal"
	if [ "$(kv "$out" errors)" != 0 ] || [ "$(kv "$out" strays)" != 0 ] ||
	    [ "$(kv "$out" requests)" = 0 ] || [ -z "$(kv "$out" rps)" ]; then
		fail "$label $mode n=$n c=$c: $(cat "$out" "$out.err")"
	fi
}

# Sets MED to the round of files $1.1.out ... $1.ROUNDS.out whose key $2
# is the median (the lower one of an even count), ALL to the values in
# round order, separated by " / ", and STEALS to the rounds' steal %.
median_round() {
	local r all=()
	ALL= STEALS=
	for ((r = 1; r <= ROUNDS; r++)); do
		all+=("$(kv "$1.$r.out" "$2") $r")
		ALL="$ALL${ALL:+ / }$(kv "$1.$r.out" "$2")"
		STEALS="$STEALS${STEALS:+ / }$(cat "$1.$r.out.steal")"
	done
	MED=$(printf '%s\n' "${all[@]}" | sort -g |
	    sed -n "$(((ROUNDS + 1) / 2))p" | cut -d' ' -f2)
}

# The row of a list run: the median of its rounds.  Sets RPS.
list_row() {
	local label=$1 cpid=$2 mode=$3 n=$4 c=$5 base out note
	base=$TMP/$label-$mode-$n-$c
	median_round "$base" rps
	out=$base.$MED.out
	RPS=$(kv "$out" rps)
	note="steal $STEALS %; loadgen CPU $(kv "$out" loadgen_cpu_s) s"
	[ "$ROUNDS" -gt 1 ] &&
	    note="median of $ROUNDS rounds ($ALL req/s); $note"
	row "$label $mode" "$n" "$c" "$RPS req/s, \
$(kv "$out" pps) pkt/s" "$(kv "$out" p50_us) / $(kv "$out" p99_us)" \
	    "$(kv "$out" errors) / $(kv "$out" timeouts)" "$(cat "$out.cpu")" \
	    "$(mib "$(rss_kb "$cpid")")" "$note"
}

echo "bench: $TREMMASTERD, loadgen $LOADGEN, ${D}s runs$([ $SMOKE -eq 1 ] &&
    echo ', smoke')" >&2
[ ${#PIN_M[@]} -gt 0 ] && echo "bench: master on CPU 0, loadgen on CPU 1" >&2

# Row 6, netd's memory per tracked server.  A process may hold only so many
# descriptors (one a server): the servers are started in slices of whole
# /24s of one address sequence, one loadgen each, and checked together at
# the end with getservers, which must list exactly all of them (an Ext
# answer stops at 31 packets).
# With --memory it is the only row.
memory_row() {
	echo "bench: $BIGN servers" >&2
	start_master $UNLIMITED -d none
	if [ "$NOFILE" = unlimited ] || [ "$NOFILE" -gt $((BIGN + 1024)) ]; then
		SLICE=$BIGN
	else
		SLICE=$(((NOFILE - 1024) / 254 * 254))
	fi
	[ $SMOKE -eq 1 ] && SLICE=254
	# About 240 heartbeats in flight in all: what netd's socket buffer
	# holds.
	nslices=$(((BIGN + SLICE - 1) / SLICE))
	win=$((240 / nslices))
	[ $win -lt 16 ] && win=16
	rss0=$(rss_kb "$NETD")
	s0=$(date +%s.%N)
	BIG=()
	for ((k = 0; k * SLICE < BIGN; k++)); do
		n=$((BIGN - k * SLICE))
		[ $n -gt $SLICE ] && n=$SLICE
		blk=$((B * 256 + k * SLICE / 254))
		"${PIN_L[@]}" "$LOADGEN" -m servers -F -L -n $n \
		    -a "127.$((blk >> 8)).$((blk & 255)).1" -p "$PORT" \
		    -C "$CPORT" -P $PROTO -d 3600 -s "$SETTLE" -w $win \
		    >"$TMP/big-$k.out" 2>"$TMP/big-$k.out.err" &
		BIG+=($!)
		PIDS+=($!)
	done
	for ((i = 0; i < ${SETTLE%.*} * 10 + 100; i++)); do
		ready=0
		for ((k = 0; k < ${#BIG[@]}; k++)); do
			grep -q "phase=ready" "$TMP/big-$k.out" 2>/dev/null &&
			    ready=$((ready + 1))
		done
		[ $ready -eq ${#BIG[@]} ] && break
		sleep 0.1
	done
	s1=$(date +%s.%N)
	for ((k = 0; k < ${#BIG[@]}; k++)); do
		if [ "$(kv "$TMP/big-$k.out" verified)" != 1 ]; then
			fail "memory run: slice $k not registered: $(cat \
			    "$TMP/big-$k.out" "$TMP/big-$k.out.err" | tail -3)"
		fi
	done
	out=$TMP/big-check.out
	lg "$out" -m getservers -n "$BIGN" -a "$SRV" -c 1 -d 1 -t 5000 \
	    -p "$PORT" -P $PROTO
	if [ "$(kv "$out" errors)" != 0 ] ||
	    [ "$(kv "$out" requests)" = 0 ]; then
		fail "memory run: $BIGN servers not all listed: $(cat "$out")"
	fi
	rss1=$(rss_kb "$NETD")
	row "memory: tracked servers" "$BIGN" "${#BIG[@]} loadgens" \
	    "registered in $(awk -v a="$s0" -v b="$s1" \
	    'BEGIN { printf "%.1f", b - a }') s" \
	    "$(kv "$out" p50_us) / $(kv "$out" p99_us)" \
	    "$(kv "$out" errors) / $(kv "$out" timeouts)" "-" "$(mib "$rss1")" \
	    "netd $(awk -v a="$rss0" -v b="$rss1" -v n="$BIGN" \
	    'BEGIN { printf "%.0f", (b - a) * 1024 / n }') B/server, every \
infoResponse field at its bound (RSS $(mib "$rss0") MiB before; list of all \
$BIGN checked)"
	for p in "${BIG[@]}"; do
		stop_pid "$p"
	done
	stop_master
}

# a / b in %, or - without b.
ratio() {
	awk -v a="${1:-0}" -v b="${2:-0}" \
	    'BEGIN { if (b > 0) printf "%.0f%%", a / b * 100; else print "-" }'
}

# The table of the rows, and the ratios unless only one row ran;
# returns 1 after a correctness failure.
table() {
	echo
	echo "| Scenario | Servers | Clients | Rate | p50 / p99 µs |" \
	    "Errors / timeouts | netd CPU % | netd RSS MiB | Notes |"
	echo "|---|---|---|---|---|---|---|---|---|"
	for r in "${ROWS[@]}"; do
		echo "$r"
	done
	echo
	if [ -z "$ONLY" ]; then
		echo "| tremmasterd / responder | $N1 servers | $N2 servers |"
		echo "|---|---|---|"
		for k in "$C" 1 "ext$C" ext1; do
			case $k in
			ext1) name="getserversExt, 1 client" ;;
			ext*) name="getserversExt, $C clients" ;;
			1) name="getservers, 1 client" ;;
			*) name="getservers, $k clients" ;;
			esac
			echo "| $name |" \
			    "$(ratio "${TM[$N1.$k]:-}" "${RESP[$N1.$k]:-}") |" \
			    "$(ratio "${TM[$N2.$k]:-}" "${RESP[$N2.$k]:-}") |"
		done
		echo
		echo "| with a plugin / without |" \
		    "$N1 servers, getservers, $C clients |"
		echo "|---|---|"
		echo "| example.py, server reports only |" \
		    "$(ratio "${TM[plugin-reports]:-}" "${TM[$N1.$C]:-}") |"
		echo "| example.py filtering every request (proceed) |" \
		    "$(ratio "${TM[plugin-filter]:-}" "${TM[$N1.$C]:-}") |"
		echo
	fi
	if [ $FAILS -gt 0 ]; then
		echo "bench: $FAILS correctness failure(s)" >&2
		return 1
	fi
	echo "bench: no correctness failure" >&2
	return 0
}

# Row 8, the puppet plugin: a remote tremmasterd with NP loadgen servers,
# then a local one started with --puppet-master to clone its list, every
# clone challenged by the local netd before it is listed (the servers run
# with -C 0: they answer a getinfo from any port of 127.0.0.1, the local
# challenge port too).  A poll of the local list every 50 ms, started
# with the local master, says when the first clone was listed and when
# all were: the first add-servers leave as the fetch ends, one second
# after the remote's last packet (a plain getservers answer has no end
# marker).  Times are from the local master's start; the puppet's log
# line gives its own, from its first request to the last add-server.
# With --puppet it is the only row.
puppet_row() {
	local rpid rdata rport out poll rc cpu
	echo "bench: puppet sync of $NP servers" >&2
	start_master $UNLIMITED -d none
	rpid=$MPID rdata=$DATA rport=$PORT
	if start_servers "$NP" "$TMP/servers-puppet.out" -C 0; then
		spawn_master $UNLIMITED -d none --verbose 3 \
		    --puppet-master 127.0.0.1 --puppet-port "$rport" \
		    --puppet-protocol $PROTO
		# At once: finding netd may take longer than the fetch.  The
		# poll ends by itself, all listed or after SETTLE seconds.
		out=$TMP/puppet-poll.out
		"${PIN_L[@]}" "$LOADGEN" -m poll -n "$NP" -a "$SRV" \
		    -b 127.$((B + 7)).0.1 -d "$SETTLE" -p "$PORT" -P $PROTO \
		    >"$out" 2>"$out.err" &
		poll=$!
		PIDS+=("$poll")
		if master_up; then
			wait "$poll"
			rc=$?
			forget "$poll"
			cpu=$(pct "$(cpu_ticks "$NETD")" "$(elapsed "$MSTART" \
			    "$(date +%s.%N)")")
			puppet_check $rc "$cpu"
		else
			fail "puppet: the local master did not start"
			stop_pid "$poll"
		fi
		stop_master
	fi
	stop_pid "$SPID"
	MPID=$rpid DATA=$rdata
	stop_master
}

# The puppet row's checks and its line: the poll's exit status, netd's
# CPU %.
puppet_check() {
	local out=$TMP/puppet-poll.out line i sync all fetch
	if [ "$1" -ne 0 ] || [ "$(kv "$out" listed)" != "$NP" ] ||
	    [ "$(kv "$out" bad)" != 0 ] ||
	    [ "$(kv "$out" t_all)" = 0.0000 ]; then
		fail "puppet: $NP servers not all listed (poll exited with \
$1): $(cat "$out" "$out.err" | tail -3); $(grep "puppet:" "$DATA.log" |
		    tail -3)"
	fi
	# The puppet logs its sync when netd has taken the last add-server,
	# before that clone answers: the line is there.
	line=
	for ((i = 0; i < 20; i++)); do
		line=$(grep -m1 "puppet: sync 1, " "$DATA.log") && break
		sleep 0.1
	done
	sync="no sync line"
	[ -n "$line" ] && sync="$(grep -o "[0-9]* entries, [0-9]* added" \
	    <<<"$line"), $(grep -o "[0-9]* failed" <<<"$line"), $(sed -n \
	    's/.*(\([0-9.]*\) s)$/\1/p' <<<"$line") s from its first \
request to the last add-server, paced at 500 a second"
	all=- fetch=-
	[ "$(kv "$out" t_all)" != 0.0000 ] &&
	    all=$(awk -v a="$MSTART" -v b="$(kv "$out" t_all)" \
	    'BEGIN { printf "%.2f", b - a }')
	# Without an empty poll first, the fetch end went unseen.
	[ "$all" != - ] && [ "$(kv "$out" empty_polls)" != 0 ] &&
	    fetch=$(awk -v a="$(kv "$out" t_first)" \
	    -v b="$(kv "$out" t_all)" 'BEGIN { printf "%.2f", b - a }')
	row "puppet sync of a remote list" "$NP remote" "1 poll / 50 ms" \
	    "all listed $all s after start, $fetch s after the fetch end" \
	    "-" "listed $(kv "$out" listed)/$NP, $(kv "$out" bad) bad answers" \
	    "$2" "$(mib "$(rss_kb "$NETD")")" \
	    "local tremmasterd --puppet-master 127.0.0.1, --verbose 3; fetch \
end = first clone listed ($(kv "$out" first_listed) of them), to 50 ms; \
puppet log: $sync"
}

# Row 9, the REST API: GET /api/servers of N1 servers by wrk(1) over C
# keep-alive connections, against the API plugin and, in the same run,
# against nginx serving the same bytes as a static file (one worker, on
# the master's CPU as the plugin is); then the same poll with the list's
# ETag (answered 304); then the UDP getservers row again while wrk keeps
# the API busy, beside the same row without it.  The API runs with
# --api-rate-limit 0: the benchmark measures the work, not the limit.
# With --api it is the only row.
wrk_run() {
	local out=$1
	shift
	timeout -k 5 $((${D%.*} + 30)) "${PIN_L[@]}" wrk -t 2 -c "$C" \
	    -d "${D%.*}s" --latency "$@" >"$out" 2>&1
	if ! grep -q "Requests/sec:" "$out" || grep -q "Non-2xx\|Socket errors" \
	    "$out"; then
		fail "wrk $*: $(tail -5 "$out")"
	fi
}

wrk_rps() {
	awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$1"
}

wrk_lat() {
	awk '$1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 }
	    END { print p50 " / " p99 }' "$1"
}

api_row() {
	local aport ngport www apid body etag i n cpu t0 t1 s0 s1 wpid
	if ! command -v wrk >/dev/null 2>&1 ||
	    ! command -v nginx >/dev/null 2>&1; then
		fail "api: wrk and nginx are needed (sh tools/install-deps.sh)"
		return
	fi
	echo "bench: REST API, $N1 servers" >&2
	aport=$(free_port)
	start_master $UNLIMITED -d none --api-port "$aport" --api-rate-limit 0
	if ! start_servers "$N1" "$TMP/servers-api.out"; then
		stop_master
		return
	fi
	body=$TMP/www/api/servers
	mkdir -p "$TMP/www/api"
	for ((i = 0; i < 100; i++)); do
		curl -sf -o "$body" "http://127.0.0.1:$aport/api/servers" &&
		    n=$(grep -o '"count":[0-9]*' "$body" | cut -d: -f2) &&
		    [ "$n" = "$N1" ] && break
		sleep 0.1
	done
	if [ "${n:-0}" != "$N1" ]; then
		fail "api: /api/servers lists ${n:-no} servers, not $N1"
		stop_pid "$SPID"
		stop_master
		return
	fi
	apid=$(child_of_master api)
	etag=$(curl -sfI "http://127.0.0.1:$aport/api/servers" |
	    tr -d '\r' | sed -n 's/^ETag: //p')
	ngport=$(free_port)
	cat >"$TMP/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $TMP/nginx.pid;
error_log $TMP/nginx.err;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	types { application/json servers; }
	default_type application/json;
	server {
		listen 127.0.0.1:$ngport;
		root $TMP/www;
	}
}
NGINX
	"${PIN_M[@]}" nginx -c "$TMP/nginx.conf" -p "$TMP" \
	    >"$TMP/nginx.out" 2>&1 &
	wpid=$!
	PIDS+=("$wpid")
	for ((i = 0; i < 50; i++)); do
		curl -sf -o /dev/null "http://127.0.0.1:$ngport/api/servers" &&
		    break
		sleep 0.1
	done
	t0=$(cpu_ticks "$apid")
	s0=$(date +%s.%N)
	wrk_run "$TMP/wrk-api.out" "http://127.0.0.1:$aport/api/servers"
	s1=$(date +%s.%N)
	t1=$(cpu_ticks "$apid")
	cpu=$(pct $((t1 - t0)) "$(elapsed "$s0" "$s1")")
	wrk_run "$TMP/wrk-nginx.out" "http://127.0.0.1:$ngport/api/servers"
	API_RPS=$(wrk_rps "$TMP/wrk-api.out")
	NGINX_RPS=$(wrk_rps "$TMP/wrk-nginx.out")
	row "REST API GET /api/servers" "$N1" "$C keep-alive" \
	    "$API_RPS req/s" "$(wrk_lat "$TMP/wrk-api.out")" \
	    "$(grep -c "Non-2xx" "$TMP/wrk-api.out") / -" "$cpu (api)" \
	    "$(mib "$(rss_kb "$apid")") (api)" \
	    "wrk -t 2; $(stat -c %s "$body") B a body; \
$(ratio "$API_RPS" "$NGINX_RPS") of nginx"
	row "nginx, the same bytes as a static file" "$N1" \
	    "$C keep-alive" "$NGINX_RPS req/s" \
	    "$(wrk_lat "$TMP/wrk-nginx.out")" "-" "-" "-" \
	    "nginx $(nginx -v 2>&1 | sed 's/.*\///'), 1 worker, sendfile"
	wrk_run "$TMP/wrk-304.out" -H "If-None-Match: $etag" \
	    "http://127.0.0.1:$aport/api/servers"
	row "REST API poll with the ETag (304)" "$N1" "$C keep-alive" \
	    "$(wrk_rps "$TMP/wrk-304.out") req/s" \
	    "$(wrk_lat "$TMP/wrk-304.out")" "-" "-" "-" "If-None-Match"
	stop_pid "$wpid"
	# The UDP list without and with the API under wrk's load.  netd
	# keeps CPU 0 to itself, as on a machine with a core for each: the
	# API moves to CPU 1, where wrk and loadgen share what is left, so
	# the rate loadgen reaches falls with its share; what netd spends a
	# request is what must not move.
	list_run api-udp-quiet "$NETD" "$PORT" getservers "$N1" "$C" 1
	[ ${#PIN_M[@]} -gt 0 ] && taskset -pc 1 "$apid" >/dev/null
	timeout -k 5 $((${D%.*} + 30)) "${PIN_L[@]}" wrk -t 1 -c "$C" \
	    -d "$((${D%.*} + 2))s" \
	    "http://127.0.0.1:$aport/api/servers" >"$TMP/wrk-bg.out" 2>&1 &
	wpid=$!
	PIDS+=("$wpid")
	sleep 1
	list_run api-udp-busy "$NETD" "$PORT" getservers "$N1" "$C" 1
	wait "$wpid"
	forget "$wpid"
	ROUNDS_SAVED=$ROUNDS
	ROUNDS=1
	list_row api-udp-quiet "$NETD" getservers "$N1" "$C"
	list_row api-udp-busy "$NETD" getservers "$N1" "$C"
	ROUNDS=$ROUNDS_SAVED
	for k in quiet busy; do
		out=$TMP/api-udp-$k-getservers-$N1-$C.1.out
		# netd's CPU microseconds a request: CPU % x duration / requests
		eval "US_$k=\$(awk -v c=\"\$(cat \"\$out.cpu\")\" \
		    -v d=\"\$(kv \"\$out\" duration)\" \
		    -v r=\"\$(kv \"\$out\" requests)\" 'BEGIN {
			if (r > 0) printf \"%.2f\", c / 100 * d * 1e6 / r
			else print \"-\" }')"
	done
	ROWS[-2]="${ROWS[-2]% |}; netd $US_quiet µs CPU a request |"
	ROWS[-1]="${ROWS[-1]% |}; netd $US_busy µs CPU a request; while wrk \
on CPU 1 keeps the API (moved to CPU 1) busy at \
$(wrk_rps "$TMP/wrk-bg.out") req/s |"
	stop_pid "$SPID"
	stop_master
}

declare -A TM RESP
case $ONLY in
memory)
	memory_row
	table
	exit ;;
puppet)
	puppet_row
	table
	exit ;;
api)
	api_row
	table
	exit ;;
esac

# 1. getservers and getserversExt at N1, then at N2: tremmasterd, and
# right after each run the same run against the responder standing in for
# it (same client path, same CPU), so that both see the same machine.
for n in $N1 $N2; do
	echo "bench: tremmasterd and responder, $n servers" >&2
	start_master $UNLIMITED -d none
	RPORT=$(free_port)
	out=$TMP/responder-$n.out
	"${PIN_M[@]}" "$LOADGEN" -m responder -n "$n" -a "$SRV" -p "$RPORT" \
	    -d 3600 >"$out" 2>"$out.err" &
	RPID=$!
	PIDS+=("$RPID")
	for ((i = 0; i < 50; i++)); do
		grep -q "phase=ready" "$out" 2>/dev/null && break
		sleep 0.1
	done
	if start_servers "$n" "$TMP/servers-$n.out"; then
		for run in "getservers $C" "getservers 1" \
		    "getserversext $C" "getserversext 1"; do
			set -- $run
			key=$2
			[ "$1" = getserversext ] && key=ext$2
			for ((round = 1; round <= ROUNDS; round++)); do
				list_run tremmasterd "$NETD" "$PORT" "$1" "$n" \
				    "$2" $round
				list_run responder "$RPID" "$RPORT" "$1" "$n" \
				    "$2" $round
			done
			list_row tremmasterd "$NETD" "$1" "$n" "$2"
			TM[$n.$key]=$RPS
			list_row responder "$RPID" "$1" "$n" "$2"
			RESP[$n.$key]=$RPS
		done
	fi
	stop_pid "$SPID"
	stop_pid "$RPID"
	stop_master
done

# 2. Plugins: getservers at N1 with the example plugin loaded and taking
# server reports only (the packet path must not pay for it), then with
# the same plugin filtering every getservers and letting it proceed (a
# round trip to a Python process per request: reported, not a target).
echo "bench: plugins" >&2
cp "$ROOT/examples/plugins/example.py" "$TMP/example.py"
chmod 755 "$TMP/example.py"
for kind in reports filter; do
	if [ $kind = reports ]; then
		start_master $UNLIMITED -d none --plugin "$TMP/example.py"
	else
		# 127.255.255.254 never asks: every request proceeds.
		start_master $UNLIMITED -d none --plugin \
		    "$TMP/example.py --answer-from 127.255.255.254"
	fi
	for ((i = 0; i < 50; i++)); do
		grep -q "netd: plugin example.py: registered" "$DATA.log" &&
		    break
		sleep 0.1
	done
	grep -q "netd: plugin example.py: registered" "$DATA.log" ||
	    fail "plugins: example.py did not register"
	if start_servers "$N1" "$TMP/servers-plugin-$kind.out"; then
		for ((round = 1; round <= ROUNDS; round++)); do
			list_run "plugin-$kind" "$NETD" "$PORT" getservers \
			    "$N1" "$C" $round
		done
		list_row "plugin-$kind" "$NETD" getservers "$N1" "$C"
		TM[plugin-$kind]=$RPS
	fi
	stop_pid "$SPID"
	stop_master
done

# 3. Heartbeat ingestion, N1 legitimate servers among the flood: a fresh
# master each round, the row from the median round.
echo "bench: heartbeat flood" >&2
for ((round = 1; round <= ROUNDS; round++)); do
	start_master $UNLIMITED -d none
	out=$TMP/heartbeats.$round.out
	t0=$(cpu_ticks "$NETD")
	st=$(steal_ticks)
	s0=$(date +%s.%N)
	lg "$out" -m heartbeats -n "$N1" -a "$SRV" -b 127.$((B + 5)).0.1 \
	    -x 65024 -d "$D" -p "$PORT" -C "$CPORT" -P $PROTO -s "$SETTLE"
	s1=$(date +%s.%N)
	t1=$(cpu_ticks "$NETD")
	pct $((t1 - t0)) "$(elapsed "$s0" "$s1")" >"$out.cpu"
	steal_pct $(($(steal_ticks) - st)) "$(elapsed "$s0" "$s1")" \
	    >"$out.steal"
	mib "$(rss_kb "$NETD")" >"$out.rss"
	if [ "$(kv "$out" legit_ok)" != 1 ] || [ "$(kv "$out" bad)" != 0 ] ||
	    [ "$(kv "$out" challenged)" = 0 ]; then
		fail "heartbeats: $(cat "$out" "$out.err")"
	fi
	stop_master
done
median_round "$TMP/heartbeats" challenged_per_s
out=$TMP/heartbeats.$MED.out
note="steal $STEALS %; CPU over registration, flood and check; \
loadgen CPU $(kv "$out" loadgen_cpu_s) s"
[ "$ROUNDS" -gt 1 ] &&
    note="median of $ROUNDS rounds ($ALL challenged/s); $note"
row "heartbeat flood (65,024 sources)" "$N1 legit" 1 \
    "$(kv "$out" challenged_per_s) challenged/s of \
$(kv "$out" sent_per_s) sent/s" "-" \
    "legit listed $(kv "$out" legit_listed)/$N1, re-challenged \
$(kv "$out" legit_challenged)" "$(cat "$out.cpu")" "$(cat "$out.rss")" \
    "$note"

# 4. WebSocket: idle connections held, then requests over K of them.
echo "bench: WebSocket" >&2
start_master $UNLIMITED -d none
out=$TMP/ws.out
t0=$(cpu_ticks "$NETD")
s0=$(date +%s.%N)
lg "$out" -m ws -W "$WSPORT" -p "$PORT" -P $PROTO -c "$WSC" -n "$WSN" \
    -a 127.$((B + 2)).0.1 -b 127.$((B + 3)).0.1 -X 16 -k "$C" -H "$HOLD" \
    -d "$D" -s "$SETTLE" -M "$NETD"
s1=$(date +%s.%N)
t1=$(cpu_ticks "$NETD")
if [ "$(kv "$out" held)" != "$WSC" ] ||
    [ "$(kv "$out" held_after_hold)" != "$WSC" ] ||
    [ "$(kv "$out" ws_registered)" != 1 ] ||
    [ "$(kv "$out" errors)" != 0 ] || [ "$(kv "$out" requests)" = 0 ]; then
	fail "ws: $(cat "$out" "$out.err")"
fi
row "WebSocket idle connections" 0 "$WSC" \
    "$(kv "$out" held) held, $(kv "$out" failed) failed" "-" "-" "-" \
    "$(mib "$(kv "$out" rss_held_kb)")" \
    "netd $(kv "$out" bytes_per_conn) B/connection \
(RSS $(mib "$(kv "$out" rss_before_kb)") MiB before)"
row "WebSocket getserversExt" "$WSN ws" "$C of $WSC" \
    "$(kv "$out" rps) req/s" "$(kv "$out" p50_us) / $(kv "$out" p99_us)" \
    "$(kv "$out" errors) / $(kv "$out" timeouts)" \
    "$(pct $((t1 - t0)) "$(elapsed "$s0" "$s1")")" \
    "$(mib "$(kv "$out" rss_end_kb)")" \
    "CPU over the whole ws run (connect, hold, register, requests)"
stop_master

# 5. Statistics into SQLite.
echo "bench: gamestat records" >&2
start_master $UNLIMITED -d sqlite
out=$TMP/stats.out
t0=$(cpu_ticks "$NETD")
if [ $SMOKE -eq 1 ]; then
	lg "$out" -m stats -b 127.$((B + 5)).0.1 -x 4096 -d "$D" -p "$PORT" \
	    -C "$CPORT" -r 1000
else
	lg "$out" -m stats -b 127.$((B + 5)).0.1 -x 4096 -d "$D" -p "$PORT" \
	    -C "$CPORT"
fi
t1=$(cpu_ticks "$NETD")
db=$DATA/stats.db
count_rows() {
	if command -v sqlite3 >/dev/null 2>&1; then
		sqlite3 -cmd '.timeout 5000' -readonly "$db" \
		    'SELECT count(*) FROM gamestats;' 2>/dev/null
	else
		python3 -c 'import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True, timeout=5)
print(c.execute("SELECT count(*) FROM gamestats").fetchone()[0])' "$db" \
		    2>/dev/null
	fi
}
# Stored = rows once they stop growing (logd commits every second).
last=-1 stable=0
for ((i = 0; i < 120 && stable < 8; i++)); do
	sleep 0.25
	rows=$(count_rows)
	[ -n "$rows" ] || rows=0
	if [ "$rows" = "$last" ]; then
		stable=$((stable + 1))
	else
		stable=0
	fi
	last=$rows
done
mtime=$(date -r "$db" +%s.%N 2>/dev/null || echo 0)
sent=$(kv "$out" sent)
tstart=$(kv "$out" t_start)
stored_rate=$(awk -v r="$last" -v a="$tstart" -v b="$mtime" \
    'BEGIN { if (b > a) printf "%.0f", r / (b - a); else print 0 }')
if [ "$last" -le 0 ] || [ "$last" -gt "$sent" ]; then
	fail "stats: $last rows stored of $sent sent"
fi
row "gamestat -> SQLite" - "4,096 sources" \
    "$(kv "$out" sent_per_s) sent/s, $stored_rate stored/s" "-" \
    "$last stored of $sent" "$(pct $((t1 - t0)) "$(kv "$out" duration)")" \
    "$(mib "$(rss_kb "$NETD")")" \
    "stored/s = rows / (last commit - start); netd and logd share CPU 0; \
logd CPU \
$(pct "$(cpu_ticks "$(child_of_master logd)")" \
    "$(elapsed "$tstart" "$mtime")")% of it"
stop_master

# 6. netd's memory per tracked server (memory_row, above).
memory_row

# 7. The default throttle: what one attacker address gets.
echo "bench: default throttle" >&2
start_master -d none
if start_servers "$N1" "$TMP/servers-throttle.out"; then
	out=$TMP/attack.out
	lg "$out" -m attack -n "$N1" -b 127.$((B + 6)).0.1 -r 1000 \
	    -d $((D + 2)) -p "$PORT" -P $PROTO
	answered=$(kv "$out" answered)
	dur=$(kv "$out" duration)
	# Burst 10, then 1 a second; one more for the rounding.
	limit=$(awk -v d="$dur" 'BEGIN { printf "%d", 10 + d + 2 }')
	if [ -z "$answered" ] || [ "$answered" -lt 1 ] ||
	    [ "$answered" -gt "$limit" ]; then
		fail "throttle: $answered answered, at most $limit expected"
	fi
	row "default throttle, 1 attacker address" "$N1" 1 \
	    "$(kv "$out" sent_per_s) req/s sent, $answered answered \
($(kv "$out" answered_per_s)/s)" "-" "-" "-" "-" \
	    "amplification $(kv "$out" amplification)x"
fi
stop_pid "$SPID"
stop_master

# 8. The puppet plugin (puppet_row, above).
puppet_row

# 9. The REST API (api_row, above).
api_row

table
exit
