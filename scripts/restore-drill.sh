#!/bin/sh
# A restore drill: dump procurd's database as a backup is made (pg_dump,
# custom format: every table — the history, the documents' chunks, the
# funding plans — and the functions verify recomputes hashes with), restore
# it into a fresh PostgreSQL cluster of its own, and run `procurctl verify`
# there. What a backup is worth is what a restore of it verifies.
#
#   sh scripts/restore-drill.sh CONNINFO [BUILD_DIR]
#
# Prints verify's line from the restored copy; exits as verify does (0 every
# chain intact, 1 broken, 2 the drill itself failed). The temporary cluster
# is removed afterwards. docs/OPERATIONS.md has the operator's view.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd -P)
[ $# -ge 1 ] || { echo "usage: restore-drill.sh CONNINFO [BUILD_DIR]" >&2; exit 2; }
conninfo=$1
build=${2:-$root/build}
[ -x "$build/procurctl" ] || { echo "restore-drill.sh: no $build/procurctl (make)" >&2; exit 2; }

# the server's own major version's tools, when there are several
bindir=
for b in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
	[ -x "$b/pg_dump" ] && { bindir=$b; break; }
done
pg_dump=${bindir:+$bindir/}pg_dump
pg_restore=${bindir:+$bindir/}pg_restore

work=$(mktemp -d /tmp/procurd-drill.XXXXXX)
chmod 755 "$work"
cleanup() {
	sh "$root/scripts/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

"$pg_dump" -Fc --no-owner -d "$conninfo" -f "$work/procurd.dump" || exit 2
size=$(wc -c <"$work/procurd.dump")
eval "$(sh "$root/scripts/pg.sh" start "$work/pg" 2>/dev/null)" || exit 2
psql -X -q -d postgres -c "CREATE DATABASE restored" || exit 2
"$pg_restore" --no-owner --exit-on-error -d restored "$work/procurd.dump" || exit 2

cat >"$work/procurd.conf" <<CONF
[database]
conninfo = host=$PGHOST port=$PGPORT user=$PGUSER dbname=restored
[log]
config = $root/config/log4crc
CONF
echo "restore-drill.sh: a dump of $size bytes restored into a fresh cluster" >&2
set +e
"$build/procurctl" -c "$work/procurd.conf" verify
rc=$?
[ $rc -le 1 ] || rc=2
exit $rc
