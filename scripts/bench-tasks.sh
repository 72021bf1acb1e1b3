#!/bin/sh
# `make bench`, part 4: GET /v1/tasks (the console's inbox) for a reviewer
# whose scope holds BENCH_TASKS projects waiting for review, each with its
# three deadlines (some overdue, some due soon, most later), under
# BENCH_CLIENTS concurrent clients for BENCH_SECONDS (wrk --latency). Prints
# the latency percentiles against the console issue's target (p99 < 50 ms),
# then the time the console takes to draw that inbox in headless Chromium
# (bench/inbox-render.py; target under 1 s).
#
# Environment:
#   BENCH_TASKS     projects in the reviewer's scope, all in needs_review (100000)
#   BENCH_CLIENTS   concurrent clients (4)
#   BENCH_SECONDS   length of the measured phase (10)
#   BENCH_STRICT    1: exit 1 when the target is missed
#   BENCH_KEEP      1: keep the temporary directory
#   B               build directory (build)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$root"
# shellcheck source=bench-lib.sh source-path=SCRIPTDIR
. "$root/scripts/bench-lib.sh"
bench_init bench-tasks.sh

n=${BENCH_TASKS:-100000}
clients=${BENCH_CLIENTS:-4}
seconds=${BENCH_SECONDS:-10}
bench_whole_numbers "BENCH_* counts are whole numbers" "$n" "$clients" "$seconds"
bench_need procurd procurctl
command -v wrk >/dev/null 2>&1 || bench_die "wrk is needed (make deps installs it)"

bench_workdir btk
bench_pg_start
bench_log4crc warn procurd procurd.notify
bench_configure 8 ""
bench_accounts
reviewer=$(bench_ctl user add bench-reviewer --role reviewer --agency 430102 2>/dev/null)
[ -n "$reviewer" ] || bench_die "no token from procurctl user add"

bench_say "seeding $n projects in needs_review, each with its three deadlines"
bench_sql <<SQL
INSERT INTO project (agency, fiscal_year, title, state, version, next_check, created_by,
	created_at, updated_at, last_seq, last_hash)
SELECT '430102', 2026, 'inbox bench ' || g, 'needs_review', 2,
	now() + (g % 60 - 5) * interval '1 day', (SELECT id FROM app_user WHERE name = 'bench-officer'),
	now(), now(), 0, '\x'::bytea
FROM generate_series(1, $n) g;
INSERT INTO deadline (project_id, state, kind, level, event, due_at, fire_at, created_at, status)
SELECT p.id, 'needs_review', 'needs_review', l, 'escalate',
	now() + (p.id % 60 - 5) * interval '1 day', now() + (p.id % 60 - 5 + l - 2) * interval '1 day',
	now(), CASE WHEN p.id % 60 < 5 AND l < 3 THEN 'fired' ELSE 'pending' END
FROM project p, generate_series(1, 3) l;
UPDATE project SET due_at = now() + (id % 60 - 5) * interval '1 day';
VACUUM ANALYZE;
SQL
bench_start_daemon
bench_say "procurd ready on $url"

first=$(curl -fsS -H "Authorization: Bearer $reviewer" "$url/v1/tasks?limit=50" |
	sed -n 's/^{"items":\[{"project":{"id":\([0-9]*\).*/\1/p')
bench_say "first page: the most urgent is project $first"

# the inbox as it opens, and filtered to what is overdue (a twelfth)
status=0
for q in "limit=50" "overdue=true&limit=50"; do
	out=$(wrk -t 2 -c "$clients" -d "${seconds}s" --latency -H "Authorization: Bearer $reviewer" \
		"$url/v1/tasks?$q" 2>&1) || bench_die "wrk failed: $out"
	p50=$(printf '%s\n' "$out" | awk '$1 == "50%" { print $2 }')
	p99=$(printf '%s\n' "$out" | awk '$1 == "99%" { print $2 }')
	rate=$(printf '%s\n' "$out" | awk '$1 == "Requests/sec:" { print $2 }')
	p99ms=$(printf '%s' "$p99" | awk '/us$/ { sub("us", ""); print $0 / 1000; next }
		/ms$/ { sub("ms", ""); print; next } /s$/ { sub("s", ""); print $0 * 1000 }')
	met=$(awk -v p="$p99ms" 'BEGIN { print (p < 50) ? "met" : "missed" }')
	echo "tasks_projects=$n query=$q clients=$clients seconds=$seconds requests_per_s=$rate p50=$p50 p99=$p99 (target p99 < 50 ms: $met)"
	[ "$met" = met ] || status=1
done

# the same inbox drawn by the console in headless Chromium, when it is here
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
	printf 'inbox-bench-2026\n' | bench_ctl user passwd bench-reviewer >/dev/null 2>&1 ||
		bench_die "procurctl user passwd failed"
	/usr/bin/python3 "$root/bench/inbox-render.py" "$url" bench-reviewer inbox-bench-2026 10 ||
		status=1
else
	bench_say "no chromium here: the inbox's render time is not measured"
fi
[ "$status" = 0 ] || [ "${BENCH_STRICT:-0}" != 1 ] || exit 1
