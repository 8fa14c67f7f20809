#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors
#
# Run the libFuzzer harnesses built in a directory (make fuzz).
#
#	fuzz/run.sh [-r] [-t seconds] builddir [name ...]
#
# Each harness NAME (build/NAME-fuzzer) runs for the given time (default
# 60 s) with fuzz/NAME.dict, on a copy of fuzz/corpus-seed/NAME/ in a
# temporary directory, so the committed seeds never change.  -r is the
# regression run of make check: every seed once, then 3 s of fuzzing,
# unless -t says otherwise.  Without names every harness runs.  A crash,
# a leak or a broken check fails the run: the input and the log are kept
# for a look and their place is printed.  Prints libFuzzer's summary of
# each run and a final line.

set -u

# Each harness with its largest input.  ws-http goes a little past
# WS_HTTP_MAX, where the parser gives up; packet and ws take several
# records of up to a WebSocket message each; plugin takes a whole line
# of the plugin protocol, 16384 bytes with its newline; puppet a selector
# byte and another master's packet, of up to the 16384 bytes clients read;
# api the fields of four servers, each at most a few hundred bytes;
# proxy a selector byte and a little more than PROXY_MAX.
ALL="proto:4096 files:8192 ws-http:4352 packet:8192 ws:16384 plugin:16384
puppet:16385 api:4096 proxy:4224"

usage() {
	echo "usage: $0 [-r] [-t seconds] builddir [name ...]" >&2
	exit 2
}

regress=0
time=
while getopts rt: opt; do
	case $opt in
	r)	regress=1 ;;
	t)	time=$OPTARG ;;
	*)	usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
build=$1
shift
case $time in
'')	[ $regress -eq 1 ] && time=3 || time=60 ;;
*[!0-9]*) usage ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
names=$*
if [ -z "$names" ]; then
	for run in $ALL; do
		names="$names ${run%%:*}"
	done
fi

# libFuzzer's last status line (coverage, corpus, exec/s) and statistics.
summary='^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|'
summary=$summary'average_exec_per_sec|new_units_added|peak_rss_mb)'

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tremmasterd-fuzz.XXXXXX") || exit 1
fail=0
for name in $names; do
	max=
	for run in $ALL; do
		[ "${run%%:*}" = "$name" ] && max=${run##*:}
	done
	if [ -z "$max" ]; then
		echo "$name: no such harness (known: $ALL)" >&2
		fail=1
		continue
	fi
	bin=$build/$name-fuzzer
	if [ ! -x "$bin" ]; then
		echo "$name: $bin not built (make fuzz)" >&2
		fail=1
		continue
	fi
	dir=$tmp/$name
	mkdir -p "$dir/corpus" "$dir/crash"
	cp "$here/corpus-seed/$name/"* "$dir/corpus/" 2>/dev/null
	seeds=$(ls "$dir/corpus" | wc -l)
	echo "$name-fuzzer: $time s on $seeds seeds"
	# Several runs a second through one process: libFuzzer's own leak
	# check stays on, and -error_exitcode tells a finding from a
	# failure to start.
	"$bin" -max_total_time="$time" -max_len="$max" \
	    -dict="$here/$name.dict" -artifact_prefix="$dir/crash/" \
	    -print_final_stats=1 -error_exitcode=77 -timeout=10 \
	    "$dir/corpus" >"$dir/log" 2>&1
	rc=$?
	grep -E "$summary" "$dir/log" | sed 's/^/    /'
	echo "    corpus: $(ls "$dir/corpus" | wc -l) inputs"
	if [ $rc -ne 0 ] || [ -n "$(ls "$dir/crash")" ]; then
		tail -n 40 "$dir/log" | sed 's/^/    | /'
		echo "$name-fuzzer FAILED (exit $rc): $(ls "$dir/crash")" \
		    "in $dir" >&2
		fail=1
	fi
done
if [ $fail -ne 0 ]; then
	echo "fuzz: FAILED, inputs and logs kept in $tmp" >&2
	exit 1
fi
rm -rf "$tmp"
echo "fuzz: nothing found ($(echo $names | wc -w) harnesses, $time s each)"
