#!/bin/sh
# A private PostgreSQL cluster in a directory, reachable only through a unix
# socket in DIR/sock: for `make run` (var/pg, kept) and tests (a temp dir).
#
#   pg.sh start DIR [PORT]   initdb if needed, start, wait, print the env
#   pg.sh stop DIR           fast shutdown; nothing to do is not an error
#   pg.sh kill DIR           immediate shutdown, as a crash would (fault tests)
#   pg.sh standby DIR PRIMARY  a streaming-replication standby of the cluster
#                            in PRIMARY (pg_basebackup -R, application_name
#                            procurd_standby), started like start
#   pg.sh promote DIR        promote a standby to primary, wait for it
#   pg.sh env DIR            print the env again
#   pg.sh status DIR         exit 0 when the server runs
#
# The env is printed on stdout as shell assignments, so
#   eval "$(scripts/pg.sh start /tmp/pg)"; psql -c 'select 1'
# works. Everything else goes to stderr. As root the server runs as the
# `postgres` user (else `nobody`): PostgreSQL refuses to run as root.
set -eu

me=pg.sh
die() { echo "$me: $*" >&2; exit 1; }

usage() {
	echo "usage: pg.sh start DIR [PORT] | stop DIR | kill DIR | standby DIR PRIMARY | promote DIR | env DIR | status DIR" >&2
	exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
port_arg=${3:-}

# PostgreSQL's own programs, not Debian's wrappers.
find_bindir() {
	if [ -n "${PG_BINDIR:-}" ] && [ -x "$PG_BINDIR/pg_ctl" ]; then
		echo "$PG_BINDIR"; return
	fi
	if command -v pg_config >/dev/null 2>&1; then
		b=$(pg_config --bindir 2>/dev/null || true)
		if [ -n "$b" ] && [ -x "$b/pg_ctl" ]; then echo "$b"; return; fi
	fi
	best=
	for b in /usr/lib/postgresql/*/bin; do	# the newest major version
		[ -x "$b/pg_ctl" ] || continue
		v=${b%/bin}; v=${v##*/}
		case $v in *[!0-9]*) continue ;; esac
		if [ -z "$best" ] || [ "$v" -gt "${best%%:*}" ]; then best=$v:$b; fi
	done
	if [ -n "$best" ]; then echo "${best#*:}"; return; fi
	b=$(command -v pg_ctl 2>/dev/null || true)
	if [ -n "$b" ]; then dirname "$b"; return; fi
	die "PostgreSQL server programs not found (install postgresql-15, or set PG_BINDIR)"
}

# Quote a value for the shell only when it needs it.
shq() {
	case $1 in
	*[!A-Za-z0-9_./:@%+=-]* | "") printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")" ;;
	*) printf '%s' "$1" ;;
	esac
}

print_env() {
	[ -f "$dir/port" ] || die "$dir holds no cluster (run: pg.sh start $dir)"
	port=$(cat "$dir/port")
	echo "PGHOST=$(shq "$dir/sock")"
	echo "PGPORT=$port"
	echo "PGUSER=postgres"
	echo "export PGHOST PGPORT PGUSER"
}

# As root, run as the cluster owner; otherwise as ourselves.
owner=
if [ "$(id -u)" -eq 0 ]; then
	if id postgres >/dev/null 2>&1; then owner=postgres; else owner=nobody; fi
fi
as_owner() {
	if [ -z "$owner" ]; then
		"$@"
	elif command -v runuser >/dev/null 2>&1; then
		runuser -u "$owner" -- "$@"
	else
		setpriv --reuid="$owner" --regid="$(id -g "$owner")" --init-groups -- "$@"
	fi
}

# Absolute path, without creating it (stop/env/status must not create DIR).
case $dir in
/*) ;;
*) dir=$(pwd)/$dir ;;
esac
dir=${dir%/}
[ -n "$dir" ] || die "refusing to use / as the cluster directory"

bindir=
pgctl() { as_owner "$bindir/pg_ctl" -D "$dir/data" "$@"; }
running() {
	[ -f "$dir/data/postmaster.pid" ] || return 1
	( cd "$dir" && pgctl status >/dev/null 2>&1 )
}

case $cmd in
env)
	print_env
	;;

status)
	[ -d "$dir/data" ] || exit 1
	bindir=$(find_bindir)
	running
	;;

stop | kill)
	[ -f "$dir/data/postmaster.pid" ] || exit 0
	bindir=$(find_bindir)
	running || exit 0
	mode=fast
	[ "$cmd" = kill ] && mode=immediate
	( cd "$dir" && pgctl -m $mode -w -t 60 stop >&2 ) || die "pg_ctl stop failed (see $dir/pg.log)"
	;;

promote)
	bindir=$(find_bindir)
	( cd "$dir" && pgctl -w -t 60 promote >&2 ) || die "pg_ctl promote failed (see $dir/pg.log)"
	;;

standby | start)
	bindir=$(find_bindir)
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd -P)
	if [ "$cmd" = standby ]; then
		primary=$port_arg
		port_arg=
		[ -f "$primary/port" ] || die "$primary holds no cluster"
		[ ! -f "$dir/data/PG_VERSION" ] || die "$dir already holds a cluster"
		mkdir -p "$dir/data"
		if [ -n "$owner" ]; then chown "$owner" "$dir" "$dir/data"; chmod 755 "$dir"; fi
		chmod 700 "$dir/data"
		( cd "$dir" && as_owner "$bindir/pg_basebackup" -D "$dir/data" -h "$primary/sock" \
			-p "$(cat "$primary/port")" -U postgres -X stream -R \
			-d "application_name=procurd_standby" >"$dir/basebackup.log" 2>&1 ) ||
			{ cat "$dir/basebackup.log" >&2; die "pg_basebackup failed"; }
	fi

	# The socket path must fit in sun_path (107 bytes with the NUL).
	sockfile="$dir/sock/.s.PGSQL.65535"
	[ ${#sockfile} -le 107 ] || die "path too long for a unix socket: $dir/sock (use a shorter DIR)"

	if [ -n "$port_arg" ]; then
		port=$port_arg
	elif [ -f "$dir/port" ]; then
		port=$(cat "$dir/port")
	else
		# Unix socket only, in a private directory: any free number will do.
		port=5432
		while [ -e "$dir/sock/.s.PGSQL.$port" ] || [ -e "$dir/sock/.s.PGSQL.$port.lock" ]; do
			port=$((port + 1))
		done
	fi
	case $port in
	'' | *[!0-9]*) die "bad port: $port" ;;
	esac

	if running; then
		[ "$(cat "$dir/port" 2>/dev/null)" = "$port" ] ||
			die "a server already runs in $dir on port $(cat "$dir/port" 2>/dev/null)"
		print_env
		exit 0
	fi

	mkdir -p "$dir/data" "$dir/sock"
	touch "$dir/pg.log"
	if [ -n "$owner" ]; then
		chown "$owner" "$dir" "$dir/data" "$dir/sock" "$dir/pg.log"
		chmod 755 "$dir"
		as_owner test -x "$dir" ||
			die "user $owner cannot reach $dir (a parent directory is private); use a DIR elsewhere, e.g. under /tmp"
	fi
	chmod 700 "$dir/data"
	# World-searchable, so other users' clients can connect (socket mode 0777).
	chmod 755 "$dir/sock"

	if [ ! -f "$dir/data/PG_VERSION" ]; then
		locale=C
		if locale -a 2>/dev/null | grep -qix 'c\.utf-\{0,1\}8'; then locale=C.UTF-8; fi
		echo "$me: initdb $dir/data" >&2
		if ! ( cd "$dir" && as_owner "$bindir/initdb" -D "$dir/data" -A trust -U postgres \
			-E UTF8 --locale="$locale" >"$dir/initdb.log" 2>&1 ); then
			cat "$dir/initdb.log" >&2
			die "initdb failed"
		fi
		echo "include 'pgsh.conf'" >>"$dir/data/postgresql.conf"
	fi

	# Regenerated at each start: the port may change, DIR may have moved.
	sockq=$(printf '%s' "$dir/sock" | sed "s/'/''/g")
	cat >"$dir/data/pgsh.conf" <<EOF
# Written by scripts/pg.sh at each start; edits are lost.
listen_addresses = ''
unix_socket_directories = '$sockq'
unix_socket_permissions = 0777
port = $port
max_connections = 200
shared_buffers = 128MB
fsync = on
synchronous_commit = on
full_page_writes = on
log_min_messages = warning
log_line_prefix = '%m [%p] %q%u@%d '
EOF
	[ -z "$owner" ] || chown "$owner" "$dir/data/pgsh.conf"
	echo "$port" >"$dir/port"

	if ! ( cd "$dir" && pgctl -l "$dir/pg.log" -w -t 60 start >/dev/null ); then
		tail -n 20 "$dir/pg.log" >&2
		die "PostgreSQL did not start (log: $dir/pg.log)"
	fi
	print_env
	;;

*)
	usage
	;;
esac
