#!/bin/sh
# procurctl verify on a large history (the scale issue: 10,000,000 events in
# 60 s, in constant memory). Seeds BENCH_VERIFY_PROJECTS projects of
# BENCH_VERIFY_EVENTS events each, hash-chained through the schema's own
# event_hash() with the projects' heads set, then runs `procurctl verify
# --jobs N` for each N of BENCH_VERIFY_JOBS under /usr/bin/time and prints
# the time and the peak resident memory of each run (the process that
# waits; each verifying child's is the same order). Then one changed event
# must be found.
#
# Environment:
#   BENCH_VERIFY_PROJECTS   projects (310000)
#   BENCH_VERIFY_EVENTS     events per project (10)
#   BENCH_VERIFY_JOBS       the --jobs values to run ("1 2")
#   BENCH_VERIFY_CTL        another procurctl to compare (e.g. an older build)
#   BENCH_KEEP              1: keep the temporary directory
#   B                       build directory (build)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$root"
# shellcheck source=bench-lib.sh source-path=SCRIPTDIR
. "$root/scripts/bench-lib.sh"
bench_init bench-verify.sh

projects=${BENCH_VERIFY_PROJECTS:-310000}
events=${BENCH_VERIFY_EVENTS:-10}
jobs_list=${BENCH_VERIFY_JOBS:-1 2}
bench_whole_numbers "BENCH_VERIFY_* counts are whole numbers" "$projects" "$events"
bench_need procurctl

bench_workdir bvf
bench_pg_start
bench_log4crc warn procurctl
bench_configure 2 ""
bench_accounts

bench_say "seeding $projects projects of $events events ($((projects * events)) events)"
t0=$(date +%s)
bench_sql <<SQL
SET synchronous_commit = off;
INSERT INTO project (agency, fiscal_year, title, state, version, created_by, created_at,
	updated_at, last_seq, last_hash)
SELECT '430102', 2025, 'verify bench ' || g, 'in_service', $events,
	(SELECT id FROM app_user WHERE name = 'bench-officer'), now(), now(), 0, '\x'::bytea
FROM generate_series(1, $projects) g;
CREATE TEMP TABLE head AS SELECT id AS project_id, '\x'::bytea AS hash FROM project;
DO \$\$
DECLARE s int;
BEGIN
	FOR s IN 1..$events LOOP
		CREATE TEMP TABLE next_head AS
		WITH ins AS (INSERT INTO project_event (project_id, seq, event, from_state, to_state,
			actor, at, payload, prev_hash, hash)
			SELECT h.project_id, s, 'record_supervision', 'in_service', 'in_service', 'bench',
				'2026-01-01T00:00:00Z'::timestamptz + s * interval '1 hour',
				jsonb_build_object('inspection', 'visit ' || s, 'finding', 'ok'), h.hash,
				event_hash(h.hash, h.project_id, s, 'record_supervision', 'in_service',
					'in_service', 'bench', '2026-01-01T00:00:00Z'::timestamptz + s * interval '1 hour',
					jsonb_build_object('inspection', 'visit ' || s, 'finding', 'ok'))
			FROM head h RETURNING project_id, hash)
		SELECT project_id, hash FROM ins;
		DROP TABLE head;
		ALTER TABLE next_head RENAME TO head;
	END LOOP;
END \$\$;
UPDATE project p SET last_seq = $events, last_hash = h.hash FROM head h WHERE h.project_id = p.id;
VACUUM ANALYZE project_event;
SQL
bench_say "seeded in $(( $(date +%s) - t0 )) s"

run() {	# run LABEL CTL JOBS
	out=$(/usr/bin/time -f 'TIME %e %M' "$2" -c "$work/procurd.conf" verify ${3:+--jobs $3} 2>&1 || true)
	secs=$(printf '%s\n' "$out" | sed -n 's/^TIME \([^ ]*\) .*/\1/p')
	kb=$(printf '%s\n' "$out" | sed -n 's/^TIME [^ ]* \(.*\)/\1/p')
	say=$(printf '%s\n' "$out" | grep -v '^TIME' | grep -v '^Command exited' | tail -1)
	echo "verify $1 jobs=${3:-1} events=$((projects * events)) seconds=$secs peak_rss_kb=$kb: $say"
}
for j in $jobs_list; do
	run streamed "$build/procurctl" "$j"
done
if [ -n "${BENCH_VERIFY_CTL:-}" ]; then
	run other "$BENCH_VERIFY_CTL" ""
fi
# one changed event is found
bench_sql -c "ALTER TABLE project_event DISABLE TRIGGER project_event_no_update;
	UPDATE project_event SET payload = '{\"finding\": \"changed\"}' WHERE project_id = $((projects / 2)) AND seq = 3;
	ALTER TABLE project_event ENABLE TRIGGER project_event_no_update" >/dev/null
run tampered "$build/procurctl" 2
bench_exit 0 met
