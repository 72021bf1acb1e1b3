#!/bin/sh
# `make run`: a working procurd in the foreground. Uses [database] conninfo
# from the config when set; otherwise a private PostgreSQL cluster in var/pg
# (kept between runs; PROCURD_PGDIR=DIR puts it elsewhere). Migrates, creates
# a first admin and prints its token, starts one notify worker, then procurd.
# Ctrl-C stops it all.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$root"
build=${B:-build}
me=run.sh
conf=${PROCURD_CONF:-config/procurd.conf}
tokenfile=var/admin.token

die() { echo "$me: $*" >&2; exit 1; }

# ini_get SECTION KEY: the value, trimmed, with a trailing " ; comment" and
# surrounding double quotes removed; empty when absent.
ini_get() {
	awk -v want_s="$1" -v want_k="$2" '
		function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t\r]+$/, "", s); return s }
		/^[ \t]*[;#]/ { next }
		/^[ \t]*\[/ { s = $0; sub(/^[ \t]*\[/, "", s); sub(/\].*/, "", s); sect = trim(s); next }
		sect == want_s {
			i = index($0, "="); if (i == 0) next
			k = trim(substr($0, 1, i - 1)); if (k != want_k) next
			v = substr($0, i + 1); sub(/[ \t]+;.*$/, "", v); v = trim(v)
			if (v ~ /^".*"$/) v = substr(v, 2, length(v) - 2)
			val = v
		}
		END { print val }
	' "$conf"
}

[ -f "$conf" ] || die "$conf not found"
for b in "$build/procurd" "$build/procurctl"; do
	[ -x "$b" ] || die "$b is missing: build with make first"
done

ctl() { "$build/procurctl" -c "$conf" "$@"; }

pgdir=
worker=
daemon=
stopping=
# shellcheck disable=SC2317 # called from the traps
cleanup() {
	[ -n "$stopping" ] && return
	stopping=1
	if [ -n "$daemon" ]; then
		kill -TERM "$daemon" 2>/dev/null || true
		wait "$daemon" 2>/dev/null || true
	fi
	if [ -n "$worker" ]; then
		kill -TERM "$worker" 2>/dev/null || true
		wait "$worker" 2>/dev/null || true
	fi
	if [ -n "$pgdir" ]; then
		echo "$me: stopping the private PostgreSQL in $pgdir" >&2
		sh scripts/pg.sh stop "$pgdir" >/dev/null 2>&1 || true
	fi
}
trap cleanup EXIT
trap 'echo; cleanup; exit 0' INT TERM HUP

mkdir -p var

conninfo=$(ini_get database conninfo)
if [ -n "$conninfo" ]; then
	echo "$me: database from $conf ([database] conninfo)" >&2
else
	# PROCURD_PGDIR: elsewhere, e.g. when the postgres user cannot reach var/.
	pgdir=${PROCURD_PGDIR:-$root/var/pg}
	# A local PG* env would point libpq elsewhere: ours wins.
	unset PGDATABASE PGSERVICE PGHOSTADDR PGPASSWORD
	env=$(sh scripts/pg.sh start "$pgdir") || die "could not start PostgreSQL in $pgdir (PROCURD_PGDIR=DIR picks another place)"
	eval "$env"
	export PGDATABASE=procurd
	if [ -z "$(psql -X -q -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'procurd'")" ]; then
		psql -X -q -d postgres -v ON_ERROR_STOP=1 -c 'CREATE DATABASE procurd' ||
			die "could not create database procurd"
	fi
	echo "$me: private PostgreSQL in $pgdir (psql: PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=postgres psql procurd)" >&2
fi

ctl migrate || die "procurctl migrate failed"

# The first admin, unless users exist already.
users=$(ctl user list 2>/dev/null) || users_failed=1
users=$(printf '%s' "${users:-}" | tr -d '[:space:]')
if [ -z "$users" ] && { [ -z "${users_failed:-}" ] || [ ! -s "$tokenfile" ]; }; then
	echo "$me: no users yet: creating agency 000000 and user admin" >&2
	ctl agency add 000000 --name "Ministry of Civil Affairs (demo)" --level province >/dev/null ||
		echo "$me: agency add failed (it may exist already); going on" >&2
	pwfile=$(mktemp)
	out=$(ctl user add admin --role admin --agency 000000 2>"$pwfile") ||
		{ cat "$pwfile" >&2; rm -f "$pwfile"; die "procurctl user add failed"; }
	first_password=$(sed -n 's/^procurctl: one-time password for admin: \([^ ]*\).*/\1/p' "$pwfile")
	rm -f "$pwfile"
	token=$(printf '%s\n' "$out" | awk 'NF { t = $1 } END { print t }')
	[ -n "$token" ] || die "procurctl user add printed no token"
	(umask 077 && printf '%s\n' "$token" >"$tokenfile")
	chmod 600 "$tokenfile"
fi

listen=$(ini_get http listen)
case $listen in
"") hostport=127.0.0.1:8080 ;;
*[!0-9]*) hostport=$listen ;;
*) hostport=127.0.0.1:$listen ;;	# a bare port
esac
hostport=${hostport#http://}
case $hostport in
0.0.0.0:* | \*:* | :*) hostport=127.0.0.1:${hostport##*:} ;;
"[::]:"*) hostport="[::1]:${hostport##*:}" ;;
esac
url=http://$hostport

echo
if [ -s "$tokenfile" ]; then
	echo "  admin token:  $(cat "$tokenfile")   (saved in $tokenfile)"
else
	echo "  admin token:  none saved; users exist already (procurctl -c $conf user add NAME --role admin --agency CODE)"
fi
echo "  console:      $url/"
if [ -n "${first_password:-}" ]; then
	echo "                sign in as admin with the one-time password $first_password"
	echo "                (you will set your own at once)"
else
	echo "                sign in with your name and password; a new one-time password:"
	echo "                procurctl -c $conf user passwd NAME --generate"
fi
echo "  API:          $url"
echo "  try:          curl -H \"Authorization: Bearer \$(cat $tokenfile)\" $url/v1/agencies/000000"
echo

if [ -x "$build/procur-notify" ]; then
	"$build/procur-notify" -c "$conf" &
	worker=$!
fi

# In the background and waited for, so Ctrl-C reaches the trap at once.
"$build/procurd" -c "$conf" &
daemon=$!
rc=0
wait "$daemon" || rc=$?
daemon=
[ -n "$stopping" ] && exit 0
echo "$me: procurd exited with status $rc" >&2
exit "$rc"
