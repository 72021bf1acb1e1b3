#!/bin/sh
# `make bench`, part 2: deadlines fired per second when DEADLINES of them fall
# due at once (see bench/README-issue4.md).
#
# On a throwaway PostgreSQL cluster: migrate, seed DEADLINES projects in
# budget_review, each with one pending first escalation (level 2, escalate)
# due at T = now + 1 day and next_check = T. Start procurd with an adjustable
# clock, move its clock two days ahead (POST /v1/admin/clock) and time, on the
# wall clock, until every deadline row is 'fired' (one libpq connection polls
# every 50 ms: bench/pgwait). Then check: exactly DEADLINES escalate events,
# DEADLINES outbox rows, `procurctl verify` passes. Finally, with the daemon
# stopped, run the reference transition (../shared/bench/ref-transition,
# pgbench) on the same database and print both rates and their ratio.
#
# Environment:
#   BENCH_DEADLINES     deadlines falling due at once (10000)
#   BENCH_POOL          the daemon's [database] pool_size (8): pool_size/2 fire jobs
#   BENCH_BATCH         [deadlines] batch (200)
#   BENCH_REF_CLIENTS   pgbench clients of the reference (8)
#   BENCH_REF_SECONDS   length of the reference (10)
#   BENCH_TARGET        seconds the firing must stay under (5)
#   BENCH_WORKERS       procur-notify workers connected while firing (0)
#   BENCH_STRICT        1: exit 1 when the target is missed
#   BENCH_KEEP          1: keep the temporary directory
#   B                   build directory with procurd, procurctl, bench/pgwait (build)
#   BENCH_SHARED        the shared folder (ROOT/../shared)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$root"
me=bench-deadlines.sh
die() { echo "$me: $*" >&2; exit 1; }
say() { echo "$me: $*" >&2; }

n=${BENCH_DEADLINES:-10000}
pool=${BENCH_POOL:-8}
batch=${BENCH_BATCH:-200}
ref_clients=${BENCH_REF_CLIENTS:-8}
ref_seconds=${BENCH_REF_SECONDS:-10}
target=${BENCH_TARGET:-5}
nworkers=${BENCH_WORKERS:-0}
strict=${BENCH_STRICT:-0}
keep=${BENCH_KEEP:-0}
build=${B:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
shared=${BENCH_SHARED:-$root/../shared}
ref=$shared/bench/ref-transition

for v in "$n" "$pool" "$batch" "$ref_clients" "$ref_seconds" "$nworkers"; do
	case $v in '' | *[!0-9]*) die "BENCH_* counts are whole numbers" ;; esac
done
[ "$n" -gt 0 ] && [ "$pool" -gt 0 ] && [ "$batch" -gt 0 ] || die "counts must be > 0"
for b in procurd procurctl bench/pgwait; do
	[ -x "$build/$b" ] || die "$build/$b is missing: run make bench (or make B=$build …)"
done
[ "$nworkers" -eq 0 ] || [ -x "$build/procur-notify" ] || die "$build/procur-notify is missing"
[ -f "$ref" ] || die "reference not found: $ref (set BENCH_SHARED)"
command -v curl >/dev/null 2>&1 || die "curl (the command) is needed"
command -v pgbench >/dev/null 2>&1 || die "pgbench is needed for the reference (postgresql-client)"

work=$(mktemp -d "${TMPDIR:-/tmp}/procurd-bdl.XXXXXX") || exit 1
chmod 755 "$work"	# as root the cluster runs as postgres, which must reach $work/pg
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

# --- configuration: adjustable clock, quiet log --------------------------------
sed -e 's|<category name="procurd" priority="[a-z]*"/>|<category name="procurd" priority="warn"/>|' \
	-e 's|<category name="procurd.notify" priority="[a-z]*"/>|<category name="procurd.notify" priority="warn"/>|' \
	-e 's|<category name="procur-notify" priority="[a-z]*"/>|<category name="procur-notify" priority="warn"/>|' \
	config/log4crc >"$work/log4crc"
write_conf() {	# $1: http port
	cat >"$work/procurd.conf" <<EOF
; written by scripts/bench-deadlines.sh
[database]
conninfo = $conninfo
pool_size = $pool
migrations = $root/sql
[http]
listen = 127.0.0.1:$1
[log]
config = $work/log4crc
[clock]
adjustable = true
[calendar]
file = $root/data/calendar/cn.txt
[notify]
jobs_endpoint = ipc://$work/jobs
acks_endpoint = ipc://$work/acks
[events]
endpoint = ipc://$work/events
[deadlines]
batch = $batch
[worker]
spool_dir = $work/spool
templates_dir = $root/config/templates
EOF
}
write_conf 0
ctl() { "$build/procurctl" -c "$work/procurd.conf" "$@"; }
ctl migrate >/dev/null
ctl agency add 430102 --name "Bench county" --level county >/dev/null
officer=$(ctl user add bench-officer --role officer --agency 430102)
admin=$(ctl user add bench-admin --role admin --agency 430102)
[ -n "$officer" ] && [ -n "$admin" ] || die "no token from procurctl user add"

# --- seed: N projects in budget_review, one pending level-2 escalation each ---
# Straight into the tables; each audit chain starts empty (last_seq 0,
# last_hash '\x'), so `procurctl verify` checks every event the firing writes.
say "seeding $n projects in budget_review with one deadline each, due in 1 day"
sql <<EOF
CREATE TABLE bench_due AS SELECT date_trunc('second', now()) + interval '1 day' AS due;
INSERT INTO project (agency, fiscal_year, title, state, version, next_check, created_by,
	created_at, updated_at, last_seq, last_hash, budget_fen, funding_source, method)
SELECT '430102', 2025, 'deadline bench ' || g, 'budget_review', 1, (SELECT due FROM bench_due),
	(SELECT id FROM app_user WHERE name = 'bench-officer'), now(), now(), 0, '\x'::bytea,
	100000000, 'work_funds', 'public_tender'
FROM generate_series(1, $n) g;
INSERT INTO deadline (project_id, state, kind, level, event, due_at, fire_at, created_at)
SELECT id, 'budget_review', 'budget_review', 2, 'escalate', (SELECT due FROM bench_due),
	(SELECT due FROM bench_due), now() FROM project;
VACUUM ANALYZE;
CHECKPOINT;
EOF
[ "$(sql -c "SELECT count(*) FROM deadline WHERE status = 'pending'")" = "$n" ] ||
	die "seeding failed"

# --- the daemon ----------------------------------------------------------------
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
say "procurd ready on $url (pool_size $pool: $((pool / 2 > 0 ? pool / 2 : 1)) fire jobs, batch $batch)"

if [ "$nworkers" -gt 0 ]; then
	mkdir -p "$work/spool"
	k=0
	while [ "$k" -lt "$nworkers" ]; do
		k=$((k + 1))
		"$build/procur-notify" -c "$work/procurd.conf" 2>"$work/notify$k.log" &
		workers="$workers $!"
	done
	sleep 0.5
fi

# Nothing is due yet: the daemon is idle.
[ "$(sql -c "SELECT count(*) FROM deadline WHERE status = 'fired'")" = 0 ] ||
	die "deadlines fired before the clock moved"

# --- the measured phase: move the clock past T, wait until all are fired --------
# The clock is set to T + 1 s, so the daemon's lag metric reads as the lag
# of the firing itself.
due=$(sql -c "SELECT extract(epoch FROM due)::bigint + 1 FROM bench_due")
to=$(date -u -d "@$due" +%Y-%m-%dT%H:%M:%SZ)
say "setting the daemon's clock to $to (T + 1 s); $n deadlines fall due at once"
t0=$(date +%s%N)
ans=$(curl -fsS -X POST -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
	-d "{\"set\": \"$to\"}" "$url/v1/admin/clock") || die "POST /v1/admin/clock failed"
w=$("$build/bench/pgwait" --conninfo "$conninfo" --interval-ms 50 --timeout 300 --t0-ns "$t0" \
	--until "$n" --query "SELECT count(*) FROM deadline WHERE status = 'fired'") ||
	{ say "$w"; die "not every deadline fired within 300 s"; }
secs=$(field "$w" seconds)
rate=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.1f", (s > 0 ? n / s : 0) }')
say "clock: $ans"
say "all fired: $w"
# The span of the firing in the daemon's own clock: each batch writes its events
# at the batch's start time, so this is first batch start to last batch start.
span=$(sql -c "SELECT round(extract(epoch FROM max(at) - min(at))::numeric, 3) FROM project_event
	WHERE event = 'escalate'")
# procurd_deadline_lag_seconds: fired minus fire_at, per deadline (the clock
# was set to T + 1 s, so 1 s of it is the jump itself)
lag=$(curl -fsS "$url/metrics" 2>/dev/null | awk '/^procurd_deadline_lag_seconds_sum/ { s = $2 }
	/^procurd_deadline_lag_seconds_count/ { c = $2 } END { if (c > 0) printf "%.3f", s / c; else print "?" }')
stop_workers
stop_daemon

# --- correctness ------------------------------------------------------------------
fail=0
events=$(sql -c "SELECT count(*) FROM project_event WHERE event = 'escalate' AND actor = 'daemon'")
outbox=$(sql -c "SELECT count(*) FROM outbox WHERE template = 'deadline_escalation'")
dupl=$(sql -c "SELECT count(*) FROM (SELECT project_id FROM project_event GROUP BY project_id
	HAVING count(*) <> 1) x")
pending=$(sql -c "SELECT count(*) FROM project WHERE next_check IS NOT NULL")
[ "$events" = "$n" ] || { say "FAIL: $events escalate events, expected $n"; fail=1; }
[ "$outbox" = "$n" ] || { say "FAIL: $outbox outbox rows, expected $n"; fail=1; }
[ "$dupl" = 0 ] || { say "FAIL: $dupl projects without exactly one event"; fail=1; }
[ "$pending" = 0 ] || { say "FAIL: $pending projects still have a next_check"; fail=1; }
if v=$(ctl verify 2>&1); then say "verify: $v"; else say "FAIL: procurctl verify: $v"; fail=1; fi

# --- the reference, same database, daemon stopped -----------------------------------
sql -c CHECKPOINT
say "reference phase: ref-transition, $ref_clients clients, ${ref_seconds}s"
r=$(sh "$ref" "$conninfo" "$ref_clients" "$ref_seconds") || die "the reference failed"
rrate=$(field "$r" ref_transitions_per_s)
ratio=$(awk -v a="$rate" -v b="$rrate" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }')
met=$(awk -v s="$secs" -v t="$target" 'BEGIN { print (s + 0 < t + 0) ? "met" : "MISSED" }')

echo "deadlines_fired=$n seconds=$secs per_s=$rate pool_size=$pool fire_jobs=$((pool / 2 > 0 ? pool / 2 : 1)) batch=$batch workers=$nworkers"
echo "firing_span_daemon_clock_s=$span mean_lag_s=$lag (daemon clock; lag includes the 1 s set past T)"
echo "ref_transitions_per_s=$rrate clients=$ref_clients seconds=$ref_seconds"
echo "ratio=$ratio (deadlines per second / reference transitions per second)"
echo "target: $n deadlines in < ${target} s: $met"
echo "events=$events outbox=$outbox verify=$([ "$fail" = 0 ] && echo ok || echo FAILED)"
[ "$fail" = 0 ] || exit 1
if [ "$met" = MISSED ] && [ "$strict" = 1 ]; then exit 1; fi
exit 0
