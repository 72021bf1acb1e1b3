#!/bin/sh
# Debian packages procurd needs to build, run, test and benchmark (wrk).
# Installs the missing ones when run as root; otherwise prints the apt-get
# line and fails.
# The one list of packages; keep it in step with DESIGN.md "Dependencies".
set -eu

PACKAGES="
	build-essential
	pkg-config
	libpq-dev
	libzmq3-dev
	libevent-dev
	liblog4c-dev
	libjansson-dev
	libinih-dev
	libcurl4-openssl-dev
	libsystemd-dev
	libcrypt-dev
	libcmocka-dev
	postgresql-15
	postgresql-client-15
	curl
	wrk
	valgrind
	chromium
	chromium-driver
	python3-selenium
	python3-jsonschema
	fonts-wqy-zenhei
"

# `deps.sh fuzz`: what `make fuzz` needs (clang and its libFuzzer)
if [ "${1:-}" = fuzz ]; then
	PACKAGES="clang libclang-rt-14-dev"
fi
# `deps.sh lint`: what `make lint-openapi` needs (Node.js and npm, Debian's;
# a machine with its own node and npm already has what it needs)
if [ "${1:-}" = lint ]; then
	if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
		exit 0
	fi
	PACKAGES="nodejs npm"
fi

missing=
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case $status in
	*" ok installed") ;;
	*) missing="$missing $p" ;;
	esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing Debian packages; install them with:" >&2
	echo "sudo apt-get install -y$missing"
	exit 1
fi

echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update </dev/null
# shellcheck disable=SC2086 # one word per package
apt-get install -y --no-install-recommends $missing </dev/null
