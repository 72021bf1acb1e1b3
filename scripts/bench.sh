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
#   BENCH_ROUNDS    rounds of a daemon phase then a reference phase (3); with
#                   more, each round's ratio is printed and the summary gives
#                   the medians: on a shared machine the two phases of one
#                   round see the same neighbours, rounds minutes apart do not
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
rounds=${BENCH_ROUNDS:-3}

bench_whole_numbers "BENCH_SECONDS, _CLIENTS, _PROJECTS, _POOL, _WARMUP, _ROUNDS are whole numbers" \
	"$seconds" "$clients" "$projects" "$pool" "$warmup" "$rounds"
if [ "$seconds" -eq 0 ] || [ "$clients" -eq 0 ] || [ "$projects" -eq 0 ] || [ "$pool" -eq 0 ] ||
	[ "$rounds" -eq 0 ]; then
	bench_die "BENCH_SECONDS, BENCH_CLIENTS, BENCH_PROJECTS, BENCH_POOL and BENCH_ROUNDS must be > 0"
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

# --- the daemon and the reference, round by round ---------------------------------
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
phases=0
errors=0
results=	# one line per round: daemon/s ref/s ratio p50 p99
round=1
while [ "$round" -le "$rounds" ]; do
	bench_start_daemon
	bench_say "round $round/$rounds: procurd ready on $url (pool_size $pool, log $loglevel)"
	if [ "$warmup" -gt 0 ]; then
		bench_say "warm-up: ${warmup}s"
		w=$(gen "$warmup" "$round"1) || bench_die "the load generator failed during the warm-up"
		ok_total=$((ok_total + $(bench_field "$w" ok)))
		phases=$((phases + 1))
	fi
	bench_sql -c CHECKPOINT
	bench_say "daemon phase: $clients clients, ${seconds}s"
	d=$(gen "$seconds" "$round"2) || bench_die "the load generator failed"
	ok_total=$((ok_total + $(bench_field "$d" ok)))
	phases=$((phases + 1))
	errors=$((errors + $(bench_field "$d" errors)))
	bench_say "daemon: $d"

	# The daemon stops before the reference runs: each phase has the machine.
	bench_stop_daemon

	r=$(bench_ref "$clients" "$seconds") || bench_die "the reference failed"
	bench_say "reference: $r"
	dr=$(bench_field "$d" transitions_per_s)
	rr=$(bench_field "$r" ref_transitions_per_s)
	[ "$rounds" -eq 1 ] || bench_say "round $round: daemon $dr/s, reference $rr/s, ratio $(bench_ratio "$dr" "$rr")"
	results="$results$dr $rr $(bench_ratio "$dr" "$rr") $(bench_field "$d" p50_ms) $(bench_field "$d" p99_ms)
"
	round=$((round + 1))
done

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
if [ "$errors" -ne 0 ]; then
	bench_say "FAIL: $errors requests were not answered 200 (see above)"
	fail=1
fi

# --- summary -----------------------------------------------------------------
# median COLUMN: the median of that column of the rounds' results
median() {
	printf '%s' "$results" | awk -v c="$1" 'NF { print $c }' | sort -g |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
drate=$(median 1)
rrate=$(median 2)
ratio=$(median 3)
met=$(awk -v x="$ratio" 'BEGIN { print (x + 0 >= 0.8) ? "met" : "MISSED" }')
of=
[ "$rounds" -eq 1 ] || of=" (medians of $rounds rounds)"
echo "daemon_transitions_per_s=$drate p50_ms=$(median 4) p99_ms=$(median 5) clients=$clients seconds=$seconds$of"
echo "ref_transitions_per_s=$rrate"
echo "ratio=$ratio (target >= 0.8: $met)"
echo "events=$events ok_answers=$ok_total verify=$(bench_verdict "$fail")"

bench_exit "$fail" "$met"
