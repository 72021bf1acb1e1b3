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
# shellcheck source=bench-lib.sh source-path=SCRIPTDIR
. "$root/scripts/bench-lib.sh"
bench_init bench-notify.sh

seconds=${BENCH_SECONDS:-15}
clients=${BENCH_CLIENTS:-8}
rate=${BENCH_RATE:-300}
maxphase=${BENCH_MAX:-1}
nworkers=${BENCH_WORKERS:-2}
projects=${BENCH_PROJECTS:-10000}
pool=${BENCH_POOL:-$clients}
ref_seconds=${BENCH_REF_SECONDS:-10}
target_p50=${BENCH_TARGET_P50:-5}

bench_whole_numbers "BENCH_* values are whole numbers" \
	"$seconds" "$clients" "$rate" "$nworkers" "$projects" "$pool" "$ref_seconds"
if [ "$seconds" -eq 0 ] || [ "$clients" -eq 0 ] || [ "$nworkers" -eq 0 ] || [ "$pool" -eq 0 ]; then
	bench_die "BENCH_SECONDS, _CLIENTS, _WORKERS, _POOL must be > 0"
fi
bench_need procurd procurctl procur-notify bench/notify_probe

bench_workdir bnt

# --- PostgreSQL, configuration (quiet logs, private endpoints, a shared spool) --
bench_pg_start
bench_log4crc warn procurd procurd.notify
mkdir -p "$work/spool"
bench_configure "$pool" "[worker]
spool_dir = $work/spool
templates_dir = $root/config/templates"
bench_accounts
bench_seed_in_service "$projects"

# --- the daemon and the workers --------------------------------------------------
bench_start_daemon
bench_start_workers "$nworkers"
for w in $workers; do kill -0 "$w" 2>/dev/null || { cat "$work"/notify*.log >&2; bench_die "a worker died"; }; done
bench_say "procurd on $url (pool_size $pool), $nworkers workers, spool $work/spool"

probe() {	# probe NAME RATE: one phase, its line on stdout
	"$build/bench/notify_probe" --url "$url" --token "$token" --conninfo "$conninfo" \
		--spool "$work/spool" --clients "$clients" --seconds "$seconds" --rate "$2" \
		--projects "$projects" --drain 120 --series "$work/backlog-$1.txt"
}
# warm-up: connections, prepared statements, caches (not measured)
"$build/bench/notify_probe" --url "$url" --token "$token" --conninfo "$conninfo" \
	--spool "$work/spool" --clients "$clients" --seconds 2 --rate 100 --projects "$projects" \
	--drain 60 >/dev/null || bench_die "warm-up failed"

fail=0
steady=
max=
if [ "$rate" -gt 0 ]; then
	bench_sql -c CHECKPOINT
	bench_say "steady phase: $rate events/s, $clients clients, ${seconds}s"
	steady=$(probe steady "$rate") || { bench_say "steady: $steady"; fail=1; }
	bench_say "steady: $steady"
fi
if [ "$maxphase" = 1 ]; then
	bench_sql -c CHECKPOINT
	bench_say "max phase: $clients clients as fast as answered, ${seconds}s"
	max=$(probe max 0) || { bench_say "max: $max"; fail=1; }
	bench_say "max: $max"
fi
bench_stop_workers
bench_stop_daemon

# --- correctness: one spool file per outbox row, all delivered ---------------------
rows=$(bench_sql -c 'SELECT count(*) FROM outbox')
undelivered=$(bench_sql -c "SELECT count(*) FROM outbox WHERE status <> 'delivered'")
files=$(find "$work/spool" -maxdepth 1 -name '*.json' | wc -l)
[ "$files" -eq "$rows" ] || { bench_say "FAIL: $files spool files for $rows outbox rows"; fail=1; }
[ "$undelivered" -eq 0 ] || bench_say "note: $undelivered outbox rows not yet marked delivered at stop (acks in flight)"
bench_verify || fail=1

r=$(bench_ref "$clients" "$ref_seconds") || bench_die "the reference failed"
rrate=$(bench_field "$r" ref_transitions_per_s)

report() {	# report NAME LINE
	[ -n "$2" ] || return 0
	echo "$1: notifications_per_s=$(bench_field "$2" notifications_per_s) events_per_s=$(bench_field "$2" offered_per_s) p50_ms=$(bench_field "$2" p50_ms) p90_ms=$(bench_field "$2" p90_ms) p99_ms=$(bench_field "$2" p99_ms) max_ms=$(bench_field "$2" max_ms) written_p50_ms=$(bench_field "$2" written_p50_ms) backlog_max=$(bench_field "$2" backlog_max) backlog_end_of_load=$(bench_field "$2" backlog_end_of_load) backlog_final=$(bench_field "$2" backlog_final) drain_s=$(bench_field "$2" drain_s) req_p50_ms=$(bench_field "$2" req_p50_ms) notifications=$(bench_field "$2" notifications) missing=$(bench_field "$2" missing) unseen=$(bench_field "$2" unseen) backlog_unclaimed_end=$(bench_field "$2" backlog_unclaimed_end) backlog_leased_end=$(bench_field "$2" backlog_leased_end) leased_already_spooled=$(bench_field "$2" leased_already_spooled)"
}
report steady "$steady"
report max "$max"
echo "ref_transitions_per_s=$rrate clients=$clients seconds=$ref_seconds workers=$nworkers"
if [ -n "$max" ]; then
	echo "keep_up: notifications_per_s / ref = $(awk -v a="$(bench_field "$max" notifications_per_s)" -v b="$rrate" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'), notifications_per_s / daemon events_per_s = $(awk -v a="$(bench_field "$max" notifications_per_s)" -v b="$(bench_field "$max" offered_per_s)" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
fi
p50=$(bench_field "${steady:-$max}" p50_ms)
# nothing measured (both phases off, or a probe without p50) is not a target met
met=$(awk -v x="$p50" -v t="$target_p50" 'BEGIN { print (x != "" && x + 0 < t + 0) ? "met" : "MISSED" }')
echo "target: commit-to-spool p50 < ${target_p50} ms ($([ -n "$steady" ] && echo steady || echo max) phase): $met"
echo "outbox=$rows spool_files=$files verify=$(bench_verdict "$fail")"
bench_exit "$fail" "$met"
