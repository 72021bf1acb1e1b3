#!/bin/sh
# `make bench`: the transition benchmark (see bench/README.md).
#
# On a throwaway PostgreSQL cluster: migrate, seed BENCH_PROJECTS projects in
# in_service, start procurd and drive it with BENCH_CLIENTS concurrent HTTP
# connections (wrk, bench/transition.lua) posting record_supervision events
# for BENCH_SECONDS; then run the
# reference transition (../shared/bench/ref-transition, pgbench) on the same
# server with the same clients and seconds; print both rates, their ratio and
# the daemon's latency; finally check that the chains written under load are
# intact and that every 200 answer left exactly one event (and nothing else
# did, but for the requests in flight when wrk stopped).
#
# Environment:
#   BENCH_SECONDS   length of each measured phase (20)
#   BENCH_CLIENTS   concurrent clients, HTTP and pgbench alike (8)
#   BENCH_PROJECTS  projects seeded in in_service (10000)
#   BENCH_POOL      the daemon's [database] pool_size (BENCH_CLIENTS)
#   BENCH_CACHE     the daemon's [database] project_cache (its default)
#   BENCH_LOG       the daemon's log priority: info (as shipped) or warn, … (info)
#   BENCH_WARMUP    seconds of unmeasured load before the daemon's phase (2)
#   BENCH_STRICT    1: exit 1 when the ratio misses the 0.8 target
#   BENCH_KEEP      1: keep the temporary directory (logs, config) for a look
#   B               build directory holding procurd, procurctl, bench/ (build)
#   BENCH_SHARED    the shared folder (ROOT/../shared)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$root"
# shellcheck source=bench-lib.sh source-path=SCRIPTDIR
. "$root/scripts/bench-lib.sh"
bench_init bench.sh

seconds=${BENCH_SECONDS:-20}
clients=${BENCH_CLIENTS:-8}
projects=${BENCH_PROJECTS:-10000}
pool=${BENCH_POOL:-$clients}
loglevel=${BENCH_LOG:-info}
warmup=${BENCH_WARMUP:-2}

bench_whole_numbers "BENCH_SECONDS, _CLIENTS, _PROJECTS, _POOL, _WARMUP are whole numbers" \
	"$seconds" "$clients" "$projects" "$pool" "$warmup"
if [ "$seconds" -eq 0 ] || [ "$clients" -eq 0 ] || [ "$projects" -eq 0 ] || [ "$pool" -eq 0 ]; then
	bench_die "BENCH_SECONDS, BENCH_CLIENTS, BENCH_PROJECTS and BENCH_POOL must be > 0"
fi
bench_need procurd procurctl
command -v wrk >/dev/null 2>&1 || bench_die "wrk is needed for the HTTP load (make deps installs it)"

bench_workdir bench

# --- PostgreSQL, configuration, accounts, seed -------------------------------
bench_pg_start
# The log4crc as shipped, with procurd's priority set to BENCH_LOG.
bench_log4crc "$loglevel" procurd
cache=
[ -z "${BENCH_CACHE:-}" ] || cache="[database]
project_cache = $BENCH_CACHE"
bench_configure "$pool" "[clock]
adjustable = false
$cache"
bench_accounts
bench_seed_in_service "$projects"

# --- the daemon ---------------------------------------------------------------
bench_start_daemon
bench_say "procurd ready on $url (pool_size $pool, log $loglevel)"

# The load: wrk with bench/transition.lua, its connections on two threads as
# the reference's pgbench spreads its clients (-j 2).
threads=2
[ "$clients" -ge 2 ] || threads=1
gen() {	# gen SECONDS SEED: one run of the load generator, its line on stdout
	out=$(WRK_TOKEN=$token WRK_PROJECTS=$projects WRK_SEED=$2 wrk -t "$threads" -c "$clients" \
		-d "$1"s --timeout 10s -s "$root/bench/transition.lua" "$url") || return 1
	printf '%s\n' "$out" | grep '^transitions_per_s=' || { printf '%s\n' "$out" >&2; return 1; }
}

ok_total=0
phases=1
if [ "$warmup" -gt 0 ]; then
	bench_say "warm-up: ${warmup}s"
	w=$(gen "$warmup" 1) || bench_die "the load generator failed during the warm-up"
	ok_total=$((ok_total + $(bench_field "$w" ok)))
	phases=2
fi
bench_sql -c CHECKPOINT
bench_say "daemon phase: $clients clients, ${seconds}s"
d=$(gen "$seconds" 2) || bench_die "the load generator failed"
ok_total=$((ok_total + $(bench_field "$d" ok)))
bench_say "daemon: $d"

# The daemon stops before the reference runs: each phase has the machine.
bench_stop_daemon

r=$(bench_ref "$clients" "$seconds") || bench_die "the reference failed"
bench_say "reference: $r"

# --- correctness under load -----------------------------------------------------
fail=0
events=$(bench_sql -c 'SELECT count(*) FROM project_event')
# Every 200 is a committed event; when wrk stops it drops the requests then in
# flight (at most one per connection and phase), which the daemon may still
# have committed: those are the only events allowed without an answer.
if [ "$events" -lt "$ok_total" ] || [ "$events" -gt $((ok_total + clients * phases)) ]; then
	bench_say "FAIL: $events events in project_event for $ok_total answers 200 (at most $((clients * phases)) cut off)"
	fail=1
fi
bench_verify || fail=1
errors=$(bench_field "$d" errors)
if [ "$errors" -ne 0 ]; then
	bench_say "FAIL: $errors requests were not answered 200 (see above)"
	fail=1
fi

# --- summary -----------------------------------------------------------------
drate=$(bench_field "$d" transitions_per_s)
rrate=$(bench_field "$r" ref_transitions_per_s)
ratio=$(bench_ratio "$drate" "$rrate")
met=$(awk -v x="$ratio" 'BEGIN { print (x + 0 >= 0.8) ? "met" : "MISSED" }')
echo "daemon_transitions_per_s=$drate p50_ms=$(bench_field "$d" p50_ms) p99_ms=$(bench_field "$d" p99_ms) clients=$clients seconds=$seconds"
echo "ref_transitions_per_s=$rrate"
echo "ratio=$ratio (target >= 0.8: $met)"
echo "events=$events ok_answers=$ok_total verify=$(bench_verdict "$fail")"

bench_exit "$fail" "$met"
