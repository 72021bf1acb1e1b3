# The setup the benchmark scripts (bench.sh, bench-deadlines.sh,
# bench-notify.sh) share: sourced, not run (POSIX sh, set -eu).
#
# The script sets root (the repository, also its working directory), sources
# this file and calls bench_init with its own name first. What the functions
# leave for the script to read:
#   build      absolute build directory (B, default build)
#   ref        the reference transition (BENCH_SHARED/bench/ref-transition)
#   work       the temporary directory (bench_workdir); pgdir, its cluster
#   conninfo   libpq conninfo of the bench database (bench_pg_start)
#   token      the bench-officer's token (bench_accounts)
#   daemon     procurd's pid while it runs; port and url (bench_start_daemon)
#   workers    the procur-notify workers' pids (bench_start_workers)
# shellcheck shell=sh disable=SC2034	# those are read by the sourcing script

# bench_init ME: messages as ME; read BENCH_KEEP, BENCH_STRICT, B, BENCH_SHARED.
bench_init() {
	: "${root:?the script sets root before it sources bench-lib.sh}"
	bench_me=$1
	bench_keep=${BENCH_KEEP:-0}
	bench_strict=${BENCH_STRICT:-0}
	build=${B:-build}
	case $build in /*) ;; *) build=$root/$build ;; esac
	ref=${BENCH_SHARED:-$root/../shared}/bench/ref-transition
	daemon=
	workers=
	bench_cleaned=
	bench_also_remove=
}

# bench_say MESSAGE...: "ME: MESSAGE" on stderr.
bench_say() { echo "$bench_me: $*" >&2; }

# bench_die MESSAGE...: bench_say it and exit 1.
bench_die() { bench_say "$@"; exit 1; }

# bench_whole_numbers MESSAGE VALUE...: die with MESSAGE unless every VALUE is a whole number.
bench_whole_numbers() {
	bench_msg=$1
	shift
	for bench_v; do
		case $bench_v in '' | *[!0-9]*) bench_die "$bench_msg" ;; esac
	done
}

# bench_need BINARY...: die unless the build directory has each, the reference, curl and pgbench.
bench_need() {
	for bench_b; do
		[ -x "$build/$bench_b" ] || bench_die "$build/$bench_b is missing: run make bench (or make B=$build …)"
	done
	[ -f "$ref" ] || bench_die "reference not found: $ref (set BENCH_SHARED)"
	command -v curl >/dev/null 2>&1 || bench_die "curl (the command) is needed"
	command -v pgbench >/dev/null 2>&1 || bench_die "pgbench is needed for the reference (postgresql-client)"
}

# bench_workdir TAG: a temporary directory procurd-TAG.XXXXXX as work, cleaned up on exit and signals.
bench_workdir() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/procurd-$1.XXXXXX") || exit 1
	chmod 755 "$work"	# as root the cluster runs as postgres, which must reach $work/pg
	pgdir=$work/pg
	trap bench_cleanup EXIT
	trap 'bench_say interrupted; bench_cleanup; exit 130' INT
	trap 'bench_say terminated; bench_cleanup; exit 143' TERM HUP
}

# bench_stop_workers: SIGTERM the procur-notify workers and wait for them.
bench_stop_workers() {
	for bench_w in $workers; do kill -TERM "$bench_w" 2>/dev/null || true; done
	for bench_w in $workers; do wait "$bench_w" 2>/dev/null || true; done
	workers=
}

# bench_stop_daemon: SIGTERM procurd, if it runs, and wait for it.
bench_stop_daemon() {
	if [ -n "$daemon" ]; then
		kill -TERM "$daemon" 2>/dev/null || true
		wait "$daemon" 2>/dev/null || true
		daemon=
	fi
}

# bench_cleanup: once only, stop the processes and the cluster; remove work (and bench_also_remove)
# unless BENCH_KEEP=1.
# shellcheck disable=SC2317	# reached through the traps
bench_cleanup() {
	[ -z "$bench_cleaned" ] || return 0
	bench_cleaned=1
	bench_stop_workers
	bench_stop_daemon
	sh "$root/scripts/pg.sh" stop "$pgdir" >/dev/null 2>&1 || true
	# shellcheck disable=SC2086	# bench_also_remove: directories made outside work
	if [ "$bench_keep" = 1 ]; then bench_say "kept $work $bench_also_remove"; else rm -rf "$work" $bench_also_remove; fi
}

# bench_pg_start: a private PostgreSQL cluster in pgdir with an empty database bench; sets conninfo.
bench_pg_start() {
	unset PGDATABASE PGSERVICE PGHOSTADDR PGPASSWORD
	bench_env=$(sh "$root/scripts/pg.sh" start "$pgdir") || bench_die "could not start PostgreSQL in $pgdir"
	eval "$bench_env"
	psql -X -q -d postgres -v ON_ERROR_STOP=1 -c 'CREATE DATABASE bench' >/dev/null
	conninfo="host=$PGHOST port=$PGPORT user=$PGUSER dbname=bench"
}

# bench_sql PSQL-ARGS...: psql on the bench database, unaligned tuples only, stopping at an error.
bench_sql() { psql -X -q -At -d bench -v ON_ERROR_STOP=1 "$@"; }

# bench_field LINE KEY: the value of KEY=value in the space-separated LINE.
bench_field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# bench_log4crc LEVEL CATEGORY...: work/log4crc, config/log4crc with each CATEGORY at priority LEVEL.
bench_log4crc() {
	bench_level=$1
	shift
	bench_script=
	for bench_c; do
		bench_script="${bench_script}s|<category name=\"$bench_c\" priority=\"[a-z]*\"/>|<category name=\"$bench_c\" priority=\"$bench_level\"/>|;"
	done
	sed -e "$bench_script" "$root/config/log4crc" >"$work/log4crc"
}

# bench_configure POOL EXTRA: the daemon's config (work/procurd.conf), pool_size POOL, the ini text EXTRA appended.
bench_configure() {
	bench_pool=$1
	bench_extra=$2
	bench_write_conf 0
}

# bench_write_conf PORT: (re)write work/procurd.conf as bench_configure said, listening on 127.0.0.1:PORT.
bench_write_conf() {
	cat >"$work/procurd.conf" <<EOF
; written by scripts/$bench_me
[database]
conninfo = $conninfo
pool_size = $bench_pool
migrations = $root/sql

[http]
listen = 127.0.0.1:$1

[log]
config = $work/log4crc

[calendar]
file = $root/data/calendar/cn.txt

[policy]
profiles = $root/config/profiles

[notify]
jobs_endpoint = ipc://$work/jobs
acks_endpoint = ipc://$work/acks

[events]
endpoint = ipc://$work/events

$bench_extra
EOF
}

# bench_ctl ARGS...: procurctl on the daemon's config.
bench_ctl() { "$build/procurctl" -c "$work/procurd.conf" "$@"; }

# bench_accounts: migrate, add the agency 430102 and its officer bench-officer; sets token.
bench_accounts() {
	bench_ctl migrate >/dev/null
	bench_ctl agency add 430102 --name "Bench county" --level county >/dev/null
	token=$(bench_ctl user add bench-officer --role officer --agency 430102)
	[ -n "$token" ] || bench_die "no token from procurctl user add"
}

# bench_seed_in_service N: projects 1..N in in_service, each with an empty audit chain.
bench_seed_in_service() {
	# Straight into the table: the audit chain of each starts empty (last_seq 0,
	# last_hash '\x'), so every event the benchmark writes is the chain's first
	# link or a later one, and `procurctl verify` checks them all.
	bench_say "seeding $1 projects in in_service"
	bench_sql <<EOF
INSERT INTO project (agency, fiscal_year, title, state, version, created_by, created_at,
	updated_at, last_seq, last_hash)
SELECT '430102', 2025, 'bench project ' || g, 'in_service', 1,
	(SELECT id FROM app_user WHERE name = 'bench-officer'), now(), now(), 0, '\x'::bytea
FROM generate_series(1, $1) g;
VACUUM ANALYZE;
EOF
	[ "$(bench_sql -c "SELECT min(id) || ' ' || max(id) FROM project")" = "1 $1" ] ||
		bench_die "the seeded projects are not numbered 1..$1"
}

# bench_start_daemon: procurd on a free random port, ready (/healthz?ready=1); sets daemon, port, url.
bench_start_daemon() {
	# Try a few random ports, keep the first the daemon can listen on.
	port=
	bench_tries=0
	while [ -z "$port" ] && [ "$bench_tries" -lt 8 ]; do
		bench_tries=$((bench_tries + 1))
		bench_p=$(( ($$ * 7919 + bench_tries * 104729 + $(date +%s%N | cut -c1-12)) % 40000 + 20000 ))
		if command -v ss >/dev/null 2>&1 && ss -ltnH "sport = :$bench_p" 2>/dev/null | grep -q .; then
			continue
		fi
		bench_write_conf "$bench_p"
		"$build/procurd" -c "$work/procurd.conf" 2>"$work/procurd.log" &
		daemon=$!
		bench_i=0
		while [ "$bench_i" -lt 300 ]; do	# up to 30 s (migrations, calendar)
			if ! kill -0 "$daemon" 2>/dev/null; then
				wait "$daemon" 2>/dev/null || true
				daemon=
				break
			fi
			if curl -fsS "http://127.0.0.1:$bench_p/healthz?ready=1" >/dev/null 2>&1; then
				port=$bench_p
				break
			fi
			sleep 0.1
			bench_i=$((bench_i + 1))
		done
		[ -n "$port" ] || bench_stop_daemon
	done
	[ -n "$port" ] || { tail -n 20 "$work/procurd.log" >&2; bench_die "procurd did not become ready"; }
	url=http://127.0.0.1:$port
}

# bench_start_workers N: N procur-notify workers on the daemon's config (logs work/notifyK.log); sets workers.
bench_start_workers() {
	bench_k=0
	while [ "$bench_k" -lt "$1" ]; do
		bench_k=$((bench_k + 1))
		"$build/procur-notify" -c "$work/procurd.conf" 2>"$work/notify$bench_k.log" &
		workers="$workers $!"
	done
	sleep 0.5
}

# bench_verify: procurctl verify, said on stderr; 1 (after a FAIL line) when a chain is broken.
bench_verify() {
	if bench_out=$(bench_ctl verify 2>&1); then
		bench_say "verify: $bench_out"
	else
		bench_say "FAIL: procurctl verify: $bench_out"
		return 1
	fi
}

# bench_ref CLIENTS SECONDS: after a checkpoint, the reference transition on the bench database; its line on stdout.
bench_ref() {
	bench_sql -c CHECKPOINT
	bench_say "reference phase: ref-transition, $1 clients, ${2}s"
	sh "$ref" "$conninfo" "$1" "$2"
}

# bench_ratio A B: A / B with two decimals, nan when B is not positive.
bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'; }

# bench_verdict FAIL: ok when FAIL is 0, else FAILED.
bench_verdict() { if [ "$1" = 0 ]; then echo ok; else echo FAILED; fi; }

# bench_exit FAIL MET: exit 1 on a failure, or on a MISSED target with BENCH_STRICT=1; else 0.
bench_exit() {
	[ "$1" = 0 ] || exit 1
	if [ "$2" = MISSED ] && [ "$bench_strict" = 1 ]; then exit 1; fi
	exit 0
}
