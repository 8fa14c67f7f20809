# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors
# tremmasterd: GNU make (gmake on the BSDs).

PROG	= tremmasterd
PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
EXAMPLEDIR ?= $(PREFIX)/share/examples/tremmasterd
DESTDIR	?=
CC	?= cc
PYTHON	?= python3

ifeq ($(SANITIZE),1)
BUILD	?= build-san
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer
# The seccomp filters let the sanitizer runtimes work.
SANDEFS	= -DTREMMASTERD_SANITIZE
else
BUILD	?= build
SANFLAGS =
SANDEFS	=
endif

OS	!= uname -s
ifeq ($(OS),OpenBSD)
# strlcpy, setproctitle, vis, SHA-1, <sys/tree.h> and libtls are in base.
OSDEP	= common/osdep-openbsd.c
SANDBOX	= common/sandbox-openbsd.c
PKGS	= libevent sqlite3 tdb libsodium jansson
DEPS	= libevent:libevent sqlite3:sqlite3 tdb:tdb libsodium:libsodium \
	  jansson:jansson
else
OSDEP	= common/osdep-linux.c
SANDBOX	= common/sandbox-linux.c
PKGS	= libevent sqlite3 tdb libsodium jansson libbsd-overlay libmd \
	  libseccomp
# Each library with the Debian package that provides it.
DEPS	= libevent:libevent-dev sqlite3:libsqlite3-dev tdb:libtdb-dev \
	  libsodium:libsodium-dev jansson:libjansson-dev \
	  libbsd-overlay:libbsd-dev libmd:libmd-dev \
	  libseccomp:libseccomp-dev
endif

MISSING != for d in $(DEPS); do pkg-config --exists $${d%%:*} 2>/dev/null || \
	   printf '%s ' "$${d%%:*} (package $${d\#\#*:})"; done; \
	   printf '\#include <wslay/wslay.h>\n' | $(CC) -E -x c - >/dev/null 2>&1 || \
	   printf '%s ' "wslay (Debian package libwslay-dev)"; \
	   printf '\#include <tls.h>\n' | $(CC) -E -x c - >/dev/null 2>&1 || \
	   printf '%s ' "libtls (Debian package libtls-dev)"

PKGCFLAGS != pkg-config --cflags $(PKGS) 2>/dev/null
PKGLIBS	  != pkg-config --libs $(PKGS) 2>/dev/null

WARNINGS = -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
	   -Wmissing-declarations -Wshadow -Wpointer-arith -Wcast-qual \
	   -Wsign-compare
CFLAGS	?= -O2 -g
# As Debian builds it (dpkg-buildflags): the checks of _FORTIFY_SOURCE and
# their warn_unused_result, but for the sanitizers, which check more.
ifneq ($(SANITIZE),1)
CPPFLAGS ?= -D_FORTIFY_SOURCE=2
endif
ALL_CFLAGS = $(CPPFLAGS) $(CFLAGS) $(WARNINGS) $(SANFLAGS) $(SANDEFS) -D_GNU_SOURCE \
	   -DLIBBSD_OPENBSD_VIS -Icommon -Imaster -Inetd -Ilogd -Ipuppet -Iapi $(PKGCFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)
LIBS	= $(PKGLIBS) -lwslay -ltls

COMMON_SRCS = common/ipc.c common/log.c common/util.c common/base64.c \
	      common/pchan.c \
	      $(OSDEP) $(SANDBOX)
MASTER_SRCS = master/master.c master/options.c master/files.c master/listen.c \
	      master/plugin.c master/admin.c
NETD_SRCS   = netd/netd.c netd/proto.c netd/udp.c netd/handlers.c \
	      netd/servers.c netd/throttle.c netd/ws.c netd/ws_http.c \
	      netd/ipcount.c netd/ignore.c netd/ratelimit.c netd/challenge.c \
	      netd/source.c netd/plugin.c netd/plugin_proto.c netd/proxy.c
LOGD_SRCS   = logd/logd.c logd/db.c logd/db_sqlite.c logd/db_tdb.c \
	      logd/report.c
PUPPET_SRCS = puppet/puppet.c puppet/fetch.c puppet/remotes.c puppet/list.c
API_SRCS    = api/api.c api/http.c api/conns.c api/render.c api/keys.c
SRCS	= $(COMMON_SRCS) $(MASTER_SRCS) $(NETD_SRCS) $(LOGD_SRCS) \
	  $(PUPPET_SRCS) $(API_SRCS)
OBJS	= $(SRCS:%.c=$(BUILD)/%.o)

UNIT_TESTS != ls tests/unit/test_*.c 2>/dev/null | sed 's,.*/,,; s,\.c$$,,' 
UNIT_BINS  = $(UNIT_TESTS:%=$(BUILD)/tests/%)

.PHONY: all deps headers test test-san check run install clean man-lint \
	deb deb-check

all: deps $(BUILD)/$(PROG)

deps:
ifneq ($(strip $(MISSING)),)
	@echo "missing libraries: $(MISSING)" >&2
	@echo "install them with: sh tools/install-deps.sh" >&2
	@exit 1
endif

$(BUILD)/$(PROG): $(OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $(OBJS) $(LIBS)

$(BUILD)/%.o: %.c common/*.h master/*.h netd/*.h logd/*.h puppet/*.h \
	    api/*.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Each unit test links the modules it tests and what they need, with
# cmocka; the tests of netd modules that read netd's globals define those
# themselves (netd.c is never linked).  O is the build directory.
O	= $(BUILD)
test_api_OBJS	    = $(O)/api/render.o $(O)/api/keys.o $(O)/common/log.o \
		      $(O)/common/util.o
test_challenge_OBJS = $(O)/netd/challenge.o $(O)/netd/proto.o $(O)/common/log.o
test_files_OBJS	    = $(O)/master/files.o $(O)/common/log.o $(O)/common/util.o
test_ignore_OBJS    = $(O)/netd/ignore.o $(O)/common/log.o
test_ipc_OBJS	    = $(O)/common/ipc.o $(O)/common/log.o $(O)/common/util.o
test_options_OBJS   = $(O)/master/options.o $(O)/puppet/remotes.o \
		      $(O)/master/files.o $(O)/common/log.o $(O)/common/util.o
test_plugin_proto_OBJS = $(O)/netd/plugin_proto.o
test_proto_OBJS	    = $(O)/netd/proto.o $(O)/common/log.o $(O)/common/util.o
test_proxy_OBJS	    = $(O)/netd/proxy.o
test_puppet_list_OBJS = $(O)/puppet/list.o
test_puppet_remotes_OBJS = $(O)/puppet/remotes.o $(O)/master/files.o \
		      $(O)/common/log.o $(O)/common/util.o
test_ratelimit_OBJS = $(O)/netd/ratelimit.o $(O)/netd/ipcount.o \
		      $(O)/netd/throttle.o $(O)/common/log.o
test_sandbox_OBJS   = $(SANDBOX:%.c=$(O)/%.o) $(O)/common/log.o
test_ws_http_OBJS   = $(O)/netd/ws_http.o $(O)/common/base64.o \
		      $(O)/common/log.o

.SECONDEXPANSION:
$(BUILD)/tests/%: tests/unit/%.c $$(%_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $($*_OBJS) $(LIBS) \
	    -lcmocka

test: all $(UNIT_BINS)
	$(PYTHON) tests/run.py $(BUILD)

test-san:
	$(MAKE) SANITIZE=1 CC=$(SANCC) test

# Both builds, one summary: what the README and CI run.  The sanitizer
# build uses clang, so that both compilers see the tree with -Werror.
SANCC	?= clang
check: all headers bench $(UNIT_BINS)
	$(MAKE) SANITIZE=1 CC=$(SANCC) all $(UNIT_TESTS:%=build-san/tests/%)
	@if $(FUZZ_PROBE); then $(MAKE) fuzz; else \
		echo "no libFuzzer ($(FUZZCC) -fsanitize=fuzzer):" \
		    "fuzzers not built, their tests skip"; fi
	$(PYTHON) tests/run.py $(BUILD) build-san

# Every header compiles on its own, so that it can be included first.
HEADERS	!= ls common/*.h master/*.h netd/*.h logd/*.h puppet/*.h api/*.h \
	   tests/unit/*.h
headers:
	@for h in $(HEADERS); do \
		printf '#include "%s"\n' "$$(basename $$h)" | $(CC) -fsyntax-only \
		    $(ALL_CFLAGS) -Itests/unit -x c - || \
		    { echo "$$h does not compile on its own" >&2; exit 1; }; \
	done

# The data directory of make run: run/, given to the -u user (nobody) when
# started as root, so that the statistics can be written there.
RUNDIR	= run
RUNUSER	= nobody
run: all
	mkdir -p $(RUNDIR)
	if [ "$$(id -u)" = 0 ]; then chown $(RUNUSER) $(RUNDIR); fi
	./$(BUILD)/$(PROG) -v -j $(RUNDIR)

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man7 \
	    $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BUILD)/$(PROG) $(DESTDIR)$(SBINDIR)/$(PROG)
	for m in $(MANPAGES); do \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/} \
		    || exit 1; \
	done
	install -d $(DESTDIR)$(EXAMPLEDIR)/plugins
	install -m 0755 examples/plugins/example.py \
	    $(DESTDIR)$(EXAMPLEDIR)/plugins/example.py

# The Debian package (debian/): dpkg-buildpackage -us -uc -b in a copy of
# the tree, so that the checkout keeps no build of its own and the .deb
# lands in build-deb/ rather than in the parent directory.  deb-check is
# tests/package/test_deb.py: the same build, lintian, and the package
# installed, run, upgraded and purged in throwaway roots (as root).
deb:
	rm -rf build-deb
	mkdir -p build-deb/src
	tar -cf - --exclude='./build*' --exclude=./run --exclude=./.git \
	    --exclude=node_modules . | tar -C build-deb/src -xf -
	cd build-deb/src && dpkg-buildpackage -us -uc -b
	rm -rf build-deb/src
	@ls build-deb/*.deb

deb-check:
	$(PYTHON) tests/run.py --package

# The manual pages, clean under mandoc -T lint but for the references to
# pages of other packages (STYLE level, which -W warning leaves out).
MANPAGES = man/$(PROG).8 man/$(PROG)-plugins.7

man-lint:
	mandoc -T lint -W warning $(MANPAGES)

clean:
	rm -rf build build-san build-fuzz build-deb

# Fuzzing with clang's libFuzzer (STYLE.md 9): "make fuzz" builds the
# harnesses of fuzz/ into build-fuzz; "make fuzz-run" runs each for FUZZTIME
# seconds through fuzz/run.sh (its dictionary, a copy of its seed corpus in
# a temporary directory) and fails if one finds a crash, kept there for a
# look.  check builds them too and runs the short regression run of each
# (fuzz/run.sh -r) through tests/integration/test_fuzz.py.
FUZZCC	    = clang
FUZZTIME   ?= 60
FUZZBUILD   = build-fuzz
FUZZERS	    = proto-fuzzer files-fuzzer ws-http-fuzzer packet-fuzzer \
	      ws-fuzzer plugin-fuzzer puppet-fuzzer api-fuzzer proxy-fuzzer
# Does $(FUZZCC) link libFuzzer?  Asked by check only.
FUZZ_PROBE  = printf 'int LLVMFuzzerTestOneInput(const char *d, long n) \
	      { return (0); }\n' | $(FUZZCC) -fsanitize=fuzzer -x c \
	      -o /dev/null - >/dev/null 2>&1
FUZZ_HDRS   = common/*.h master/*.h netd/*.h puppet/*.h api/*.h
# The parsers.
FUZZ_SRCS   = netd/proto.c common/log.c common/util.c master/files.c \
	      netd/ws_http.c common/base64.c netd/proxy.c
# handle_packet() and what is behind it; the harness fakes netd.c, udp.c
# and ws.c.
FUZZ_PACKET_SRCS = netd/handlers.c netd/servers.c netd/throttle.c \
	      netd/plugin.c netd/plugin_proto.c \
	      netd/ratelimit.c netd/challenge.c netd/proto.c netd/ignore.c \
	      netd/ipcount.c netd/source.c common/log.c common/util.c
# The WebSocket connections and their answers through source.c; the
# harness fakes handlers.c, netd.c and the UDP side.
FUZZ_WS_SRCS = netd/ws.c netd/ws_http.c netd/proxy.c netd/source.c netd/proto.c \
	      netd/ignore.c netd/ipcount.c common/log.c common/util.c \
	      common/base64.c
# The lines of plugins, and the escaping of their fields.
FUZZ_PLUGIN_SRCS = netd/plugin_proto.c
# The puppet's readers of other masters' lists and of puppetmasters.txt.
FUZZ_PUPPET_SRCS = puppet/list.c puppet/remotes.c master/files.c common/util.c \
	      common/log.c
# The REST API's bodies, from what game servers send.
FUZZ_API_SRCS = api/render.c common/util.c common/log.c
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	      -fno-sanitize-recover=all -fno-omit-frame-pointer $(WARNINGS) \
	      -D_GNU_SOURCE -DLIBBSD_OPENBSD_VIS -Icommon -Imaster -Inetd \
	      -Ilogd -Ipuppet -Iapi $(PKGCFLAGS)

.PHONY: fuzz fuzz-run fuzz-regress fuzz-clean

fuzz: $(FUZZERS:%=$(FUZZBUILD)/%)

$(FUZZBUILD)/packet-fuzzer: fuzz/packet-fuzzer.c $(FUZZ_PACKET_SRCS) \
    $(FUZZ_HDRS)
	@mkdir -p $(FUZZBUILD)
	$(FUZZCC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_PACKET_SRCS) $(PKGLIBS)

$(FUZZBUILD)/ws-fuzzer: fuzz/ws-fuzzer.c $(FUZZ_WS_SRCS) $(FUZZ_HDRS)
	@mkdir -p $(FUZZBUILD)
	$(FUZZCC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_WS_SRCS) $(LIBS)

$(FUZZBUILD)/plugin-fuzzer: fuzz/plugin-fuzzer.c $(FUZZ_PLUGIN_SRCS) \
    $(FUZZ_HDRS)
	@mkdir -p $(FUZZBUILD)
	$(FUZZCC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_PLUGIN_SRCS) $(PKGLIBS)

$(FUZZBUILD)/puppet-fuzzer: fuzz/puppet-fuzzer.c $(FUZZ_PUPPET_SRCS) \
    $(FUZZ_HDRS)
	@mkdir -p $(FUZZBUILD)
	$(FUZZCC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_PUPPET_SRCS) $(PKGLIBS)

$(FUZZBUILD)/api-fuzzer: fuzz/api-fuzzer.c $(FUZZ_API_SRCS) $(FUZZ_HDRS)
	@mkdir -p $(FUZZBUILD)
	$(FUZZCC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_API_SRCS) $(PKGLIBS)

$(FUZZBUILD)/%-fuzzer: fuzz/%-fuzzer.c $(FUZZ_SRCS) $(FUZZ_HDRS)
	@mkdir -p $(FUZZBUILD)
	$(FUZZCC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS) $(PKGLIBS)

fuzz-run: fuzz
	sh fuzz/run.sh -t $(FUZZTIME) $(FUZZBUILD)

fuzz-regress: fuzz
	sh fuzz/run.sh -r $(FUZZBUILD)

fuzz-clean:
	rm -rf $(FUZZBUILD)

# Benchmark (bench/): "make bench" builds the load generator; "make
# bench-run" runs bench/run.sh against this build (about twelve minutes, ends
# with a Markdown table); "make bench-smoke" runs every mode for a second
# or two and checks correctness only, never speed.  check runs the smoke
# run through tests/integration/test_bench_smoke.py.
.PHONY: bench bench-run bench-smoke

bench: $(BUILD)/bench/loadgen

$(BUILD)/bench/loadgen: bench/loadgen.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARNINGS) $(LDFLAGS) -o $@ bench/loadgen.c

BENCH_ENV = TREMMASTERD=$(CURDIR)/$(BUILD)/$(PROG) \
	    LOADGEN=$(CURDIR)/$(BUILD)/bench/loadgen

bench-run: all bench
	$(BENCH_ENV) bash bench/run.sh

bench-smoke: all bench
	$(BENCH_ENV) bash bench/run.sh --smoke
