#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The tremmasterd authors
# Install the Debian packages tremmasterd needs to build and to test.
# Only what is missing is installed; run as root (or through sudo).
set -e

PKGS="build-essential pkg-config clang libevent-dev libbsd-dev libmd-dev
libsqlite3-dev libtdb-dev libsodium-dev libjansson-dev libseccomp-dev libwslay-dev libtls-dev libcmocka-dev mandoc python3
sqlite3 tdb-tools qstat openssl curl wrk nginx-light libnginx-mod-stream
tesseract-ocr debhelper lintian"

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
if [ -n "$missing" ]; then
	echo "installing:$missing"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi

# libFuzzer for make fuzz: the runtime of the clang just installed.
v=$(clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9]*\).*/\1/p')
if [ -n "$v" ] && ! dpkg-query -W -f='${Status}' "libclang-rt-$v-dev" \
    2>/dev/null | grep -q "ok installed"; then
	echo "installing: libclang-rt-$v-dev"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
	    "libclang-rt-$v-dev" || true
fi

# The real WebSocket clients of tests/integration/test_ws_real.py: Node.js
# and npm (any already on the PATH are kept, Debian's or not), Debian's
# Chromium, and the npm packages pinned in tests/ws/package-lock.json.
want=
command -v node >/dev/null 2>&1 || want="$want nodejs"
command -v npm >/dev/null 2>&1 || want="$want npm"
dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "ok installed" ||
	want="$want chromium"
if [ -n "$want" ]; then
	echo "installing:$want"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $want
fi
if [ -f tests/ws/package-lock.json ] &&
    { [ ! -f tests/ws/node_modules/ws/package.json ] ||
    [ ! -f tests/ws/node_modules/playwright-core/package.json ]; }; then
	echo "installing tests/ws/node_modules (npm ci)"
	(cd tests/ws && npm ci --no-audit --no-fund)
fi
