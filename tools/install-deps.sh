#!/bin/sh
# Install the Debian packages tremmasterd needs to build and to test.
# Only what is missing is installed; run as root (or through sudo).
set -e

PKGS="build-essential pkg-config clang libevent-dev libbsd-dev libmd-dev
libsqlite3-dev libtdb-dev libwslay-dev libtls-dev libcmocka-dev mandoc python3
libclang-rt-14-dev
sqlite3 tdb-tools qstat"

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "installing:$missing"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
