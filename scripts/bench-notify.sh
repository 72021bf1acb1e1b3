#!/bin/sh
# `make bench`, part 3: notifications per second from commit to spool with two
# procur-notify workers (see bench/README-issue4.md).
#
# On a throwaway PostgreSQL cluster: migrate, seed PROJECTS projects in
# in_service, start procurd and WORKERS procur-notify workers sharing one
# spool_dir. bench/notify_probe then posts record_supervision events (each
# queues one spool notification for agency:CODE:officer) in two phases:
#   steady  at RATE events per second (open loop), the latency phase;
#   max     as fast as CLIENTS clients get answers (closed loop, the load of
#           the transition benchmark), the keep-up phase;
# and reports per phase: notifications delivered per second while the load
# runs, commit-to-spool latency (outbox.created_at to the spool file's link,
# seen through inotify), and the outbox backlog sampled every 100 ms. Finally, with the
# daemon and the workers stopped, the reference transition
# (../shared/bench/ref-transition) runs on the same database: the relay must
# deliver at least the rate at which transitions can be committed.
#
# Environment:
#   BENCH_SECONDS     length of each load phase (15)
#   BENCH_CLIENTS     concurrent HTTP clients, and pgbench clients (8)
#   BENCH_RATE        events per second of the steady phase (300; 0 skips it)
#   BENCH_MAX         1: run the max phase (1)
#   BENCH_WORKERS     procur-notify workers (2)
#   BENCH_PROJECTS    projects seeded in in_service (10000)
#   BENCH_POOL        the daemon's pool_size (BENCH_CLIENTS)
#   BENCH_REF_SECONDS length of the reference (10)
#   BENCH_TARGET_P50  commit-to-spool p50 target in ms (5)
#   BENCH_STRICT      1: exit 1 when a target is missed
#   BENCH_KEEP        1: keep the temporary directory (logs, spool, backlog series)
#   B                 build directory (build)
#   BENCH_SHARED      the shared folder (ROOT/../shared)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$root"
me=bench-notify.sh
die() { echo "$me: $*" >&2; exit 1; }
say() { echo "$me: $*" >&2; }

seconds=${BENCH_SECONDS:-15}
clients=${BENCH_CLIENTS:-8}
rate=${BENCH_RATE:-300}
maxphase=${BENCH_MAX:-1}
nworkers=${BENCH_WORKERS:-2}
projects=${BENCH_PROJECTS:-10000}
pool=${BENCH_POOL:-$clients}
ref_seconds=${BENCH_REF_SECONDS:-10}
target_p50=${BENCH_TARGET_P50:-5}
strict=${BENCH_STRICT:-0}
keep=${BENCH_KEEP:-0}
build=${B:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
shared=${BENCH_SHARED:-$root/../shared}
ref=$shared/bench/ref-transition

for v in "$seconds" "$clients" "$rate" "$nworkers" "$projects" "$pool" "$ref_seconds"; do
	case $v in '' | *[!0-9]*) die "BENCH_* values are whole numbers" ;; esac
done
[ "$seconds" -gt 0 ] && [ "$clients" -gt 0 ] && [ "$nworkers" -gt 0 ] && [ "$pool" -gt 0 ] ||
	die "BENCH_SECONDS, _CLIENTS, _WORKERS, _POOL must be > 0"
for b in procurd procurctl procur-notify bench/notify_probe; do
	[ -x "$build/$b" ] || die "$build/$b is missing: run make bench (or make B=$build …)"
done
[ -f "$ref" ] || die "reference not found: $ref (set BENCH_SHARED)"
command -v curl >/dev/null 2>&1 || die "curl (the command) is needed"
command -v pgbench >/dev/null 2>&1 || die "pgbench is needed for the reference (postgresql-client)"

work=$(mktemp -d "${TMPDIR:-/tmp}/procurd-bnt.XXXXXX") || exit 1
chmod 755 "$work"
pgdir=$work/pg
daemon=
workers=
cleaned=
stop_workers() {
	for w in $workers; do kill -TERM "$w" 2>/dev/null || true; done
	for w in $workers; do wait "$w" 2>/dev/null || true; done
	workers=
}
stop_daemon() {
	if [ -n "$daemon" ]; then
		kill -TERM "$daemon" 2>/dev/null || true
		wait "$daemon" 2>/dev/null || true
		daemon=
	fi
}
cleanup() {
	[ -n "$cleaned" ] && return
	cleaned=1
	stop_workers
	stop_daemon
	sh "$root/scripts/pg.sh" stop "$pgdir" >/dev/null 2>&1 || true
	if [ "$keep" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'say interrupted; cleanup; exit 130' INT
trap 'say terminated; cleanup; exit 143' TERM HUP

# --- PostgreSQL and the database ---------------------------------------------
unset PGDATABASE PGSERVICE PGHOSTADDR PGPASSWORD
env=$(sh scripts/pg.sh start "$pgdir") || die "could not start PostgreSQL in $pgdir"
eval "$env"
psql -X -q -d postgres -v ON_ERROR_STOP=1 -c 'CREATE DATABASE bench' >/dev/null
conninfo="host=$PGHOST port=$PGPORT user=$PGUSER dbname=bench"
sql() { psql -X -q -At -d bench -v ON_ERROR_STOP=1 "$@"; }
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# --- configuration: quiet logs, private endpoints, a shared spool --------------
sed -e 's|<category name="procurd" priority="[a-z]*"/>|<category name="procurd" priority="warn"/>|' \
	-e 's|<category name="procurd.notify" priority="[a-z]*"/>|<category name="procurd.notify" priority="warn"/>|' \
	-e 's|<category name="procur-notify" priority="[a-z]*"/>|<category name="procur-notify" priority="warn"/>|' \
	config/log4crc >"$work/log4crc"
mkdir -p "$work/spool"
write_conf() {	# $1: http port
	cat >"$work/procurd.conf" <<EOC
; written by scripts/bench-notify.sh; procur-notify reads it too
[database]
conninfo = $conninfo
pool_size = $pool
migrations = $root/sql
[http]
listen = 127.0.0.1:$1
[log]
config = $work/log4crc
[calendar]
file = $root/data/calendar/cn.txt
[notify]
jobs_endpoint = ipc://$work/jobs
acks_endpoint = ipc://$work/acks
[events]
endpoint = ipc://$work/events
[worker]
spool_dir = $work/spool
templates_dir = $root/config/templates
EOC
}
write_conf 0
ctl() { "$build/procurctl" -c "$work/procurd.conf" "$@"; }
ctl migrate >/dev/null
ctl agency add 430102 --name "Bench county" --level county >/dev/null
token=$(ctl user add bench-officer --role officer --agency 430102)
[ -n "$token" ] || die "no token from procurctl user add"

say "seeding $projects projects in in_service"
sql <<EOS
INSERT INTO project (agency, fiscal_year, title, state, version, created_by, created_at,
	updated_at, last_seq, last_hash)
SELECT '430102', 2025, 'bench project ' || g, 'in_service', 1,
	(SELECT id FROM app_user WHERE name = 'bench-officer'), now(), now(), 0, '\x'::bytea
FROM generate_series(1, $projects) g;
VACUUM ANALYZE;
EOS
[ "$(sql -c "SELECT min(id) || ' ' || max(id) FROM project")" = "1 $projects" ] ||
	die "the seeded projects are not numbered 1..$projects"

# --- the daemon and the workers --------------------------------------------------
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
	while [ $i -lt 300 ]; do
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
	[ -n "$port" ] || stop_daemon
done
[ -n "$port" ] || { tail -n 20 "$work/procurd.log" >&2; die "procurd did not become ready"; }
url=http://127.0.0.1:$port
k=0
while [ "$k" -lt "$nworkers" ]; do
	k=$((k + 1))
	"$build/procur-notify" -c "$work/procurd.conf" 2>"$work/notify$k.log" &
	workers="$workers $!"
done
sleep 0.5
for w in $workers; do kill -0 "$w" 2>/dev/null || { cat "$work"/notify*.log >&2; die "a worker died"; }; done
say "procurd on $url (pool_size $pool), $nworkers workers, spool $work/spool"

probe() {	# probe NAME RATE: one phase, its line on stdout
	"$build/bench/notify_probe" --url "$url" --token "$token" --conninfo "$conninfo" \
		--spool "$work/spool" --clients "$clients" --seconds "$seconds" --rate "$2" \
		--projects "$projects" --drain 120 --series "$work/backlog-$1.txt"
}
# warm-up: connections, prepared statements, caches (not measured)
"$build/bench/notify_probe" --url "$url" --token "$token" --conninfo "$conninfo" \
	--spool "$work/spool" --clients "$clients" --seconds 2 --rate 100 --projects "$projects" \
	--drain 60 >/dev/null || die "warm-up failed"

fail=0
steady= max=
if [ "$rate" -gt 0 ]; then
	sql -c CHECKPOINT
	say "steady phase: $rate events/s, $clients clients, ${seconds}s"
	steady=$(probe steady "$rate") || { say "steady: $steady"; fail=1; }
	say "steady: $steady"
fi
if [ "$maxphase" = 1 ]; then
	sql -c CHECKPOINT
	say "max phase: $clients clients as fast as answered, ${seconds}s"
	max=$(probe max 0) || { say "max: $max"; fail=1; }
	say "max: $max"
fi
stop_workers
stop_daemon

# --- correctness: one spool file per outbox row, all delivered ---------------------
rows=$(sql -c 'SELECT count(*) FROM outbox')
undelivered=$(sql -c "SELECT count(*) FROM outbox WHERE status <> 'delivered'")
files=$(find "$work/spool" -maxdepth 1 -name '*.json' | wc -l)
[ "$files" -eq "$rows" ] || { say "FAIL: $files spool files for $rows outbox rows"; fail=1; }
[ "$undelivered" -eq 0 ] || say "note: $undelivered outbox rows not yet marked delivered at stop (acks in flight)"
if v=$(ctl verify 2>&1); then say "verify: $v"; else say "FAIL: procurctl verify: $v"; fail=1; fi

sql -c CHECKPOINT
say "reference phase: ref-transition, $clients clients, ${ref_seconds}s"
r=$(sh "$ref" "$conninfo" "$clients" "$ref_seconds") || die "the reference failed"
rrate=$(field "$r" ref_transitions_per_s)

report() {	# report NAME LINE
	[ -n "$2" ] || return 0
	echo "$1: notifications_per_s=$(field "$2" notifications_per_s) events_per_s=$(field "$2" offered_per_s) p50_ms=$(field "$2" p50_ms) p90_ms=$(field "$2" p90_ms) p99_ms=$(field "$2" p99_ms) max_ms=$(field "$2" max_ms) written_p50_ms=$(field "$2" written_p50_ms) backlog_max=$(field "$2" backlog_max) backlog_end_of_load=$(field "$2" backlog_end_of_load) backlog_final=$(field "$2" backlog_final) drain_s=$(field "$2" drain_s) req_p50_ms=$(field "$2" req_p50_ms) notifications=$(field "$2" notifications) missing=$(field "$2" missing) unseen=$(field "$2" unseen) backlog_unclaimed_end=$(field "$2" backlog_unclaimed_end) backlog_leased_end=$(field "$2" backlog_leased_end) leased_already_spooled=$(field "$2" leased_already_spooled)"
}
report steady "$steady"
report max "$max"
echo "ref_transitions_per_s=$rrate clients=$clients seconds=$ref_seconds workers=$nworkers"
if [ -n "$max" ]; then
	echo "keep_up: notifications_per_s / ref = $(awk -v a="$(field "$max" notifications_per_s)" -v b="$rrate" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'), notifications_per_s / daemon events_per_s = $(awk -v a="$(field "$max" notifications_per_s)" -v b="$(field "$max" offered_per_s)" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
fi
p50=$(field "${steady:-$max}" p50_ms)
met=$(awk -v x="$p50" -v t="$target_p50" 'BEGIN { print (x + 0 < t + 0) ? "met" : "MISSED" }')
echo "target: commit-to-spool p50 < ${target_p50} ms ($([ -n "$steady" ] && echo steady || echo max) phase): $met"
echo "outbox=$rows spool_files=$files verify=$([ "$fail" = 0 ] && echo ok || echo FAILED)"
[ "$fail" = 0 ] || exit 1
if [ "$met" = MISSED ] && [ "$strict" = 1 ]; then exit 1; fi
exit 0
