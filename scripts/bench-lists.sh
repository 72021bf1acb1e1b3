#!/bin/sh
# Not yet part of `make bench` (it measures, it does not guard): the list
# routes when finished rows pile up (the
# scale issue's findings). BENCH_LISTS_DELIVERED delivered notifications and
# BENCH_LISTS_FINISHED fired deadlines, with a thousand of each still
# pending, seeded straight into the tables of 20,000 projects; then, each
# for BENCH_SECONDS under BENCH_CLIENTS clients (wrk --latency):
#   GET /v1/notifications?status=pending&limit=50
#   GET /v1/deadlines?due_before=<in a year>&limit=50
#   GET /metrics
# and their p50/p99 against the target of 20 ms for a list (50 for /metrics).
#
# Environment:
#   BENCH_LISTS_DELIVERED   delivered outbox rows (2000000)
#   BENCH_LISTS_FINISHED    fired deadlines (850000)
#   BENCH_CLIENTS           concurrent clients (2)
#   BENCH_SECONDS           each route's measured phase (5)
#   BENCH_STRICT            1: exit 1 when a target is missed
#   BENCH_KEEP              1: keep the temporary directory
#   B                       build directory (build)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$root"
# shellcheck source=bench-lib.sh source-path=SCRIPTDIR
. "$root/scripts/bench-lib.sh"
bench_init bench-lists.sh

delivered=${BENCH_LISTS_DELIVERED:-2000000}
finished=${BENCH_LISTS_FINISHED:-850000}
clients=${BENCH_CLIENTS:-2}
seconds=${BENCH_SECONDS:-5}
bench_whole_numbers "BENCH_* counts are whole numbers" "$delivered" "$finished" "$clients" "$seconds"
bench_need procurd procurctl
command -v wrk >/dev/null 2>&1 || bench_die "wrk is needed (make deps installs it)"

bench_workdir bls
bench_pg_start
bench_log4crc warn procurd procurd.notify
bench_configure 4 ""
bench_accounts
admin=$(bench_ctl user add bench-admin --role admin --agency 430102 2>/dev/null)

bench_say "seeding $delivered delivered notifications and $finished fired deadlines"
bench_sql <<SQL
INSERT INTO project (agency, fiscal_year, title, state, version, created_by, created_at,
	updated_at, last_seq, last_hash)
SELECT '430102', 2025, 'lists bench ' || g, 'in_service', 1,
	(SELECT id FROM app_user WHERE name = 'bench-officer'), now(), now(), 0, '\x'::bytea
FROM generate_series(1, 20000) g;
INSERT INTO outbox (project_id, event_seq, channel, recipient, template, data, status, attempts,
	next_attempt_at, created_at, delivered_at)
SELECT g % 20000 + 1, 1, 'email', 'officer@example.org', 'submitted', '{}', 'delivered', 1,
	now() - interval '100 days', now() - interval '100 days', now() - interval '100 days'
FROM generate_series(1, $delivered) g;
-- the daemon counts delivered rows as its statements move them (migration 020)
INSERT INTO outbox_count (status, n) VALUES ('delivered', $delivered);
INSERT INTO outbox (project_id, event_seq, channel, recipient, template, data, status,
	next_attempt_at, created_at)
SELECT g % 20000 + 1, 1, 'email', 'officer@example.org', 'submitted', '{}', 'pending',
	now() + interval '1 hour', now()
FROM generate_series(1, 1000) g;
INSERT INTO deadline (project_id, state, kind, level, event, due_at, fire_at, status, fired_at,
	created_at)
SELECT g % 20000 + 1, 'in_service', 'in_service', 1, 'escalate', now() - interval '50 days',
	now() - interval '50 days', 'fired', now() - interval '50 days', now() - interval '60 days'
FROM generate_series(1, $finished) g;
INSERT INTO deadline (project_id, state, kind, level, event, due_at, fire_at, status, created_at)
SELECT g % 20000 + 1, 'in_service', 'in_service', 1, 'escalate', now() + interval '30 days',
	now() + interval '30 days', 'pending', now()
FROM generate_series(1, 1000) g;
VACUUM ANALYZE;
SQL
bench_start_daemon
bench_say "procurd ready on $url"

due=$(date -u -d '+365 days' +%Y-%m-%dT%H:%M:%SZ)
status=0
for path in "/v1/notifications?status=pending&limit=50" "/v1/deadlines?due_before=$due&limit=50" \
	"/metrics"; do
	n=$(curl -fsS -H "Authorization: Bearer $admin" "$url$path" | grep -o '"id":' | wc -l)
	out=$(wrk -t "$clients" -c "$clients" -d "${seconds}s" --latency \
		-H "Authorization: Bearer $admin" "$url$path" 2>&1) || bench_die "wrk failed: $out"
	p50=$(printf '%s\n' "$out" | awk '$1 == "50%" { print $2 }')
	p99=$(printf '%s\n' "$out" | awk '$1 == "99%" { print $2 }')
	p99ms=$(printf '%s' "$p99" | awk '/us$/ { sub("us", ""); print $0 / 1000; next }
		/ms$/ { sub("ms", ""); print; next } /s$/ { sub("s", ""); print $0 * 1000 }')
	target=20
	[ "$path" = /metrics ] && target=50
	met=$(awk -v p="$p99ms" -v t="$target" 'BEGIN { print (p < t) ? "met" : "missed" }')
	[ "$met" = met ] || status=1
	echo "lists route=${path%%\?*} rows=$n delivered=$delivered finished=$finished p50=$p50 p99=$p99 (target p99 < $target ms: $met)"
done
[ "$status" = 0 ] || [ "${BENCH_STRICT:-0}" != 1 ] || exit 1
