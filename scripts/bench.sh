#!/bin/sh
# `make bench`: the transition benchmark (see bench/README.md).
#
# On a throwaway PostgreSQL cluster: migrate, seed BENCH_PROJECTS projects in
# in_service, start procurd and drive it with BENCH_CLIENTS concurrent HTTP
# clients posting record_supervision events for BENCH_SECONDS; then run the
# reference transition (../shared/bench/ref-transition, pgbench) on the same
# server with the same clients and seconds; print both rates, their ratio and
# the daemon's latency; finally check that the chains written under load are
# intact and that every 200 answer left exactly one event.
#
# Environment:
#   BENCH_SECONDS   length of each measured phase (20)
#   BENCH_CLIENTS   concurrent clients, HTTP and pgbench alike (8)
#   BENCH_PROJECTS  projects seeded in in_service (10000)
#   BENCH_POOL      the daemon's [database] pool_size (BENCH_CLIENTS)
#   BENCH_LOG       the daemon's log priority: info (as shipped) or warn, … (info)
#   BENCH_WARMUP    seconds of unmeasured load before the daemon's phase (2)
#   BENCH_STRICT    1: exit 1 when the ratio misses the 0.8 target
#   BENCH_KEEP      1: keep the temporary directory (logs, config) for a look
#   B               build directory holding procurd, procurctl, bench/ (build)
#   BENCH_SHARED    the shared folder (ROOT/../shared)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$root"
me=bench.sh
die() { echo "$me: $*" >&2; exit 1; }
say() { echo "$me: $*" >&2; }

seconds=${BENCH_SECONDS:-20}
clients=${BENCH_CLIENTS:-8}
projects=${BENCH_PROJECTS:-10000}
pool=${BENCH_POOL:-$clients}
loglevel=${BENCH_LOG:-info}
warmup=${BENCH_WARMUP:-2}
strict=${BENCH_STRICT:-0}
keep=${BENCH_KEEP:-0}
build=${B:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
shared=${BENCH_SHARED:-$root/../shared}
ref=$shared/bench/ref-transition

for v in "$seconds" "$clients" "$projects" "$pool" "$warmup"; do
	case $v in '' | *[!0-9]*) die "BENCH_SECONDS, _CLIENTS, _PROJECTS, _POOL, _WARMUP are whole numbers" ;; esac
done
[ "$seconds" -gt 0 ] && [ "$clients" -gt 0 ] && [ "$projects" -gt 0 ] && [ "$pool" -gt 0 ] ||
	die "BENCH_SECONDS, BENCH_CLIENTS, BENCH_PROJECTS and BENCH_POOL must be > 0"
for b in procurd procurctl bench/transition; do
	[ -x "$build/$b" ] || die "$build/$b is missing: run make bench (or make B=$build …)"
done
[ -x "$ref" ] || [ -f "$ref" ] || die "reference not found: $ref (set BENCH_SHARED)"
command -v curl >/dev/null 2>&1 || die "curl (the command) is needed to wait for the daemon"
command -v pgbench >/dev/null 2>&1 || die "pgbench is needed for the reference (postgresql-client)"

work=$(mktemp -d "${TMPDIR:-/tmp}/procurd-bench.XXXXXX") || exit 1
chmod 755 "$work"	# as root the cluster runs as postgres, which must reach $work/pg
pgdir=$work/pg
daemon=
cleaned=
cleanup() {
	[ -n "$cleaned" ] && return
	cleaned=1
	if [ -n "$daemon" ]; then
		kill -TERM "$daemon" 2>/dev/null || true
		wait "$daemon" 2>/dev/null || true
		daemon=
	fi
	sh "$root/scripts/pg.sh" stop "$pgdir" >/dev/null 2>&1 || true
	if [ "$keep" = 1 ]; then
		say "kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'say interrupted; cleanup; exit 130' INT
trap 'say terminated; cleanup; exit 143' TERM HUP

# --- PostgreSQL and the database ------------------------------------------
unset PGDATABASE PGSERVICE PGHOSTADDR PGPASSWORD
env=$(sh scripts/pg.sh start "$pgdir") || die "could not start PostgreSQL in $pgdir"
eval "$env"
psql -X -q -d postgres -v ON_ERROR_STOP=1 -c 'CREATE DATABASE bench' >/dev/null
conninfo="host=$PGHOST port=$PGPORT user=$PGUSER dbname=bench"
sql() { psql -X -q -At -d bench -v ON_ERROR_STOP=1 "$@"; }

# --- configuration ------------------------------------------------------------
# The log4crc as shipped, with procurd's priority set to BENCH_LOG.
sed -e "s|<category name=\"procurd\" priority=\"[a-z]*\"/>|<category name=\"procurd\" priority=\"$loglevel\"/>|" \
	config/log4crc >"$work/log4crc"

write_conf() {	# $1: http port
	cat >"$work/procurd.conf" <<EOF
; written by scripts/bench.sh
[database]
conninfo = $conninfo
pool_size = $pool
migrations = $root/sql

[http]
listen = 127.0.0.1:$1

[log]
config = $work/log4crc

[clock]
adjustable = false

[calendar]
file = $root/data/calendar/cn.txt

[notify]
jobs_endpoint = ipc://$work/jobs
acks_endpoint = ipc://$work/acks

[events]
endpoint = ipc://$work/events
EOF
}
write_conf 0
ctl() { "$build/procurctl" -c "$work/procurd.conf" "$@"; }

ctl migrate >/dev/null
ctl agency add 430102 --name "Bench county" --level county >/dev/null
token=$(ctl user add bench-officer --role officer --agency 430102)
[ -n "$token" ] || die "no token from procurctl user add"

# --- seed: PROJECTS projects in in_service, ids 1..PROJECTS ------------------
# Straight into the table: the audit chain of each starts empty (last_seq 0,
# last_hash '\x'), so every event the benchmark writes is the chain's first
# link or a later one, and `procurctl verify` checks them all.
say "seeding $projects projects in in_service"
sql <<EOF
INSERT INTO project (agency, fiscal_year, title, state, version, created_by, created_at,
	updated_at, last_seq, last_hash)
SELECT '430102', 2025, 'bench project ' || g, 'in_service', 1,
	(SELECT id FROM app_user WHERE name = 'bench-officer'), now(), now(), 0, '\x'::bytea
FROM generate_series(1, $projects) g;
VACUUM ANALYZE;
EOF
[ "$(sql -c "SELECT min(id) || ' ' || max(id) FROM project")" = "1 $projects" ] ||
	die "the seeded projects are not numbered 1..$projects"

# --- the daemon ---------------------------------------------------------------
# A free port: try a few random ones, keep the first the daemon can listen on.
port=
tries=0
while [ -z "$port" ] && [ "$tries" -lt 8 ]; do
	tries=$((tries + 1))
	p=$(( ($$ * 7919 + tries * 104729 + $(date +%s%N | cut -c1-12)) % 40000 + 20000 ))
	if command -v ss >/dev/null 2>&1 && ss -ltnH "sport = :$p" 2>/dev/null | grep -q .; then
		continue
	fi
	write_conf "$p"
	"$build/procurd" -c "$work/procurd.conf" 2>"$work/procurd.log" &
	daemon=$!
	i=0
	while [ $i -lt 300 ]; do	# up to 30 s (migrations, calendar)
		if ! kill -0 "$daemon" 2>/dev/null; then
			wait "$daemon" 2>/dev/null || true
			daemon=
			break
		fi
		if curl -fsS "http://127.0.0.1:$p/healthz?ready=1" >/dev/null 2>&1; then
			port=$p
			break
		fi
		sleep 0.1
		i=$((i + 1))
	done
	if [ -z "$port" ] && [ -n "$daemon" ]; then
		kill -TERM "$daemon" 2>/dev/null || true
		wait "$daemon" 2>/dev/null || true
		daemon=
	fi
done
[ -n "$port" ] || { tail -n 20 "$work/procurd.log" >&2; die "procurd did not become ready"; }
url=http://127.0.0.1:$port
say "procurd ready on $url (pool_size $pool, log $loglevel)"

gen() {	# gen SECONDS SEED: one run of the load generator, its line on stdout
	"$build/bench/transition" --url "$url" --token "$token" --clients "$clients" \
		--seconds "$1" --projects "$projects" --seed "$2"
}
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

ok_total=0
if [ "$warmup" -gt 0 ]; then
	say "warm-up: ${warmup}s"
	w=$(gen "$warmup" 1) || die "the load generator failed during the warm-up"
	ok_total=$((ok_total + $(field "$w" ok)))
fi
sql -c CHECKPOINT
say "daemon phase: $clients clients, ${seconds}s"
d=$(gen "$seconds" 2) || die "the load generator failed"
ok_total=$((ok_total + $(field "$d" ok)))
say "daemon: $d"

# The daemon stops before the reference runs: each phase has the machine.
kill -TERM "$daemon" 2>/dev/null || true
wait "$daemon" 2>/dev/null || true
daemon=

sql -c CHECKPOINT
say "reference phase: $clients clients, ${seconds}s"
r=$(sh "$ref" "$conninfo" "$clients" "$seconds") || die "the reference failed"
say "reference: $r"

# --- correctness under load -----------------------------------------------------
fail=0
events=$(sql -c 'SELECT count(*) FROM project_event')
if [ "$events" -ne "$ok_total" ]; then
	say "FAIL: $events events in project_event, but $ok_total answers were 200"
	fail=1
fi
if v=$(ctl verify); then
	say "verify: $v"
else
	say "FAIL: procurctl verify: $v"
	fail=1
fi
errors=$(field "$d" errors)
if [ "$errors" -ne 0 ]; then
	say "FAIL: $errors requests were not answered 200 (see above)"
	fail=1
fi

# --- summary -----------------------------------------------------------------
drate=$(field "$d" transitions_per_s)
rrate=$(field "$r" ref_transitions_per_s)
ratio=$(awk -v a="$drate" -v b="$rrate" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }')
met=$(awk -v x="$ratio" 'BEGIN { print (x + 0 >= 0.8) ? "met" : "MISSED" }')
echo "daemon_transitions_per_s=$drate p50_ms=$(field "$d" p50_ms) p99_ms=$(field "$d" p99_ms) clients=$clients seconds=$seconds"
echo "ref_transitions_per_s=$rrate"
echo "ratio=$ratio (target >= 0.8: $met)"
echo "events=$events ok_answers=$ok_total verify=$([ "$fail" = 0 ] && echo ok || echo FAILED)"

[ "$fail" = 0 ] || exit 1
if [ "$met" = MISSED ] && [ "$strict" = 1 ]; then exit 1; fi
exit 0
