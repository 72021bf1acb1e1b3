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
# shellcheck source=bench-lib.sh source-path=SCRIPTDIR
. "$root/scripts/bench-lib.sh"
bench_init bench-deadlines.sh

n=${BENCH_DEADLINES:-10000}
pool=${BENCH_POOL:-8}
batch=${BENCH_BATCH:-200}
ref_clients=${BENCH_REF_CLIENTS:-8}
ref_seconds=${BENCH_REF_SECONDS:-10}
target=${BENCH_TARGET:-5}
nworkers=${BENCH_WORKERS:-0}

bench_whole_numbers "BENCH_* counts are whole numbers" \
	"$n" "$pool" "$batch" "$ref_clients" "$ref_seconds" "$nworkers"
if [ "$n" -eq 0 ] || [ "$pool" -eq 0 ] || [ "$batch" -eq 0 ]; then bench_die "counts must be > 0"; fi
bench_need procurd procurctl bench/pgwait
[ "$nworkers" -eq 0 ] || [ -x "$build/procur-notify" ] || bench_die "$build/procur-notify is missing"
fire_jobs=$((pool / 2 > 0 ? pool / 2 : 1))

bench_workdir bdl

# --- PostgreSQL, configuration (adjustable clock, quiet log), accounts ----------
bench_pg_start
bench_log4crc warn procurd procurd.notify
bench_configure "$pool" "[clock]
adjustable = true

[deadlines]
batch = $batch

[worker]
spool_dir = $work/spool
templates_dir = $root/config/templates"
bench_accounts
admin=$(bench_ctl user add bench-admin --role admin --agency 430102)
[ -n "$admin" ] || bench_die "no token from procurctl user add"

# --- seed: N projects in budget_review, one pending level-2 escalation each ---
# Straight into the tables; each audit chain starts empty (last_seq 0,
# last_hash '\x'), so `procurctl verify` checks every event the firing writes.
bench_say "seeding $n projects in budget_review with one deadline each, due in 1 day"
bench_sql <<EOF
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
[ "$(bench_sql -c "SELECT count(*) FROM deadline WHERE status = 'pending'")" = "$n" ] ||
	bench_die "seeding failed"

# --- the daemon ----------------------------------------------------------------
bench_start_daemon
bench_say "procurd ready on $url (pool_size $pool: $fire_jobs fire jobs, batch $batch)"

if [ "$nworkers" -gt 0 ]; then
	mkdir -p "$work/spool"
	bench_start_workers "$nworkers"
fi

# Nothing is due yet: the daemon is idle.
[ "$(bench_sql -c "SELECT count(*) FROM deadline WHERE status = 'fired'")" = 0 ] ||
	bench_die "deadlines fired before the clock moved"

# --- the measured phase: move the clock past T, wait until all are fired --------
# The clock is set to T + 1 s, so the daemon's lag metric reads as the lag
# of the firing itself.
due=$(bench_sql -c "SELECT extract(epoch FROM due)::bigint + 1 FROM bench_due")
to=$(date -u -d "@$due" +%Y-%m-%dT%H:%M:%SZ)
bench_say "setting the daemon's clock to $to (T + 1 s); $n deadlines fall due at once"
t0=$(date +%s%N)
ans=$(curl -fsS -X POST -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
	-d "{\"set\": \"$to\"}" "$url/v1/admin/clock") || bench_die "POST /v1/admin/clock failed"
w=$("$build/bench/pgwait" --conninfo "$conninfo" --interval-ms 50 --timeout 300 --t0-ns "$t0" \
	--until "$n" --query "SELECT count(*) FROM deadline WHERE status = 'fired'") ||
	{ bench_say "$w"; bench_die "not every deadline fired within 300 s"; }
secs=$(bench_field "$w" seconds)
rate=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.1f", (s > 0 ? n / s : 0) }')
bench_say "clock: $ans"
bench_say "all fired: $w"
# The span of the firing in the daemon's own clock: each batch writes its events
# at the batch's start time, so this is first batch start to last batch start.
span=$(bench_sql -c "SELECT round(extract(epoch FROM max(at) - min(at))::numeric, 3) FROM project_event
	WHERE event = 'escalate'")
# procurd_deadline_lag_seconds: fired minus fire_at, per deadline (the clock
# was set to T + 1 s, so 1 s of it is the jump itself)
lag=$(curl -fsS "$url/metrics" 2>/dev/null | awk '/^procurd_deadline_lag_seconds_sum/ { s = $2 }
	/^procurd_deadline_lag_seconds_count/ { c = $2 } END { if (c > 0) printf "%.3f", s / c; else print "?" }')
bench_stop_workers
bench_stop_daemon

# --- correctness ------------------------------------------------------------------
fail=0
events=$(bench_sql -c "SELECT count(*) FROM project_event WHERE event = 'escalate' AND actor = 'daemon'")
outbox=$(bench_sql -c "SELECT count(*) FROM outbox WHERE template = 'deadline_escalation'")
dupl=$(bench_sql -c "SELECT count(*) FROM (SELECT project_id FROM project_event GROUP BY project_id
	HAVING count(*) <> 1) x")
pending=$(bench_sql -c "SELECT count(*) FROM project WHERE next_check IS NOT NULL")
[ "$events" = "$n" ] || { bench_say "FAIL: $events escalate events, expected $n"; fail=1; }
[ "$outbox" = "$n" ] || { bench_say "FAIL: $outbox outbox rows, expected $n"; fail=1; }
[ "$dupl" = 0 ] || { bench_say "FAIL: $dupl projects without exactly one event"; fail=1; }
[ "$pending" = 0 ] || { bench_say "FAIL: $pending projects still have a next_check"; fail=1; }
bench_verify || fail=1

# --- the reference, same database, daemon stopped -----------------------------------
r=$(bench_ref "$ref_clients" "$ref_seconds") || bench_die "the reference failed"
rrate=$(bench_field "$r" ref_transitions_per_s)
ratio=$(bench_ratio "$rate" "$rrate")
met=$(awk -v s="$secs" -v t="$target" 'BEGIN { print (s + 0 < t + 0) ? "met" : "MISSED" }')

echo "deadlines_fired=$n seconds=$secs per_s=$rate pool_size=$pool fire_jobs=$fire_jobs batch=$batch workers=$nworkers"
echo "firing_span_daemon_clock_s=$span mean_lag_s=$lag (daemon clock; lag includes the 1 s set past T)"
echo "ref_transitions_per_s=$rrate clients=$ref_clients seconds=$ref_seconds"
echo "ratio=$ratio (deadlines per second / reference transitions per second)"
echo "target: $n deadlines in < ${target} s: $met"
echo "events=$events outbox=$outbox verify=$(bench_verdict "$fail")"
bench_exit "$fail" "$met"
