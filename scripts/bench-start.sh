#!/bin/sh
# Start to ready, and the daemon's resident memory, with a province's worth
# of projects (the scale issue: ready in 2 s, at most 64 MB, with 1,000,000
# projects; the cache may warm after ready). Seeds BENCH_START_PROJECTS
# projects (the first nine in ten closed, the newest tenth spread over the
# live states, as ids run in a real province), starts procurd, and prints the
# time from its start to /healthz?ready=1, its RSS then, and its RSS once the
# project cache has warmed (the log says so) or after BENCH_START_WAIT s.
#
# Environment:
#   BENCH_START_PROJECTS   projects (1000000)
#   BENCH_START_WAIT       seconds to wait for the cache (60)
#   BENCH_KEEP             1: keep the temporary directory
#   B                      build directory (build)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$root"
# shellcheck source=bench-lib.sh source-path=SCRIPTDIR
. "$root/scripts/bench-lib.sh"
bench_init bench-start.sh

projects=${BENCH_START_PROJECTS:-1000000}
wait_s=${BENCH_START_WAIT:-60}
bench_whole_numbers "BENCH_START_* are whole numbers" "$projects" "$wait_s"
bench_need procurd procurctl

bench_workdir bst
bench_pg_start
bench_log4crc info procurd
bench_configure 8 ""
bench_accounts

bench_say "seeding $projects projects"
bench_sql <<SQL
SET synchronous_commit = off;
INSERT INTO project (agency, fiscal_year, title, state, version, created_by, created_at,
	updated_at, last_seq, last_hash)
SELECT '430102', 2010 + g % 15, 'start bench ' || g,
	CASE WHEN g <= $projects * 9 / 10 THEN 'closed' ELSE (ARRAY['draft', 'needs_review',
	'budget_review', 'approved', 'announced', 'scoring', 'awarded', 'contracted', 'in_service',
	'acceptance', 'payment', 'year_end_review'])[1 + g % 12] END, 1,
	(SELECT id FROM app_user WHERE name = 'bench-officer'), now(), now(), 0, '\x'::bytea
FROM generate_series(1, $projects) g;
VACUUM ANALYZE project;
SQL

t0=$(date +%s%N)
bench_start_daemon
t1=$(date +%s%N)
rss_ready=$(awk '/^VmRSS/ { print $2 }' "/proc/$daemon/status")
i=0
while [ "$i" -lt "$wait_s" ] && ! grep -q "project cache:.*loaded" "$work/procurd.log"; do
	sleep 1
	i=$((i + 1))
done
rss_warm=$(awk '/^VmRSS/ { print $2 }' "/proc/$daemon/status")
warm=$(grep -o "project cache:.*loaded" "$work/procurd.log" | tail -1 || true)
ready_ms=$(( (t1 - t0) / 1000000 ))
echo "start projects=$projects ready_ms=$ready_ms (target 2000: $([ "$ready_ms" -le 2000 ] && echo met || echo missed)) rss_ready_kb=$rss_ready rss_after_warm_kb=$rss_warm (target 65536: $([ "$rss_warm" -le 65536 ] && echo met || echo missed)) cache=\"$warm\" (after ${i} s)"
bench_stop_daemon
bench_exit 0 met
