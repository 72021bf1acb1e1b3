#!/bin/sh
# `make bench-mix`: the mixed benchmark of the scale issue (bench/README.md).
#
# On a throwaway PostgreSQL cluster, a province's worth of purchases:
#   - one province, 14 cities, 6 counties each (3 levels);
#   - BENCH_MIX_PROJECTS projects over the counties and fifteen fiscal years,
#     nine in ten closed, the rest spread over the live states, each with
#     the history of its path so far (14 events for a closed one, from its creation), chained
#     through the schema's own event_hash() and with its head set, so
#     `procurctl verify` checks every seeded event; one project of the
#     first county has a history of 500 events;
#   - a fired deadline for each project and 2 delivered notifications
#     (five in a hundred older than [notify] keep_delivered_days, which
#     the daemon removes while the load runs);
# Then BENCH_MIX_DAEMONS procurd processes on the one database (each with
# a procur-notify worker) and bench/mix drives them for BENCH_MIX_SECONDS
# (after a warm-up of BENCH_MIX_WARMUP s) with BENCH_MIX_LIFECYCLES officers
# taking projects from draft to closed and BENCH_MIX_CONTESTED clients on
# the same four projects, four reads per write, while BENCH_MIX_DUE
# escalations of in-service projects fall due (the timer fires them among
# the requests). The daemons' resident
# memory is sampled every 5 s. Afterwards: every acknowledged event is in
# the history, every version matches its chain, every chain verifies,
# every deadline of the run fired once, every notification of the run was
# sent once. Last, with the daemons stopped, the reference transition on
# the same database.
#
# Environment:
#   BENCH_MIX_PROJECTS    projects seeded (1000000)
#   BENCH_MIX_SECONDS     the measured run (60; 600 for the memory target)
#   BENCH_MIX_WARMUP      the unmeasured run before it (10)
#   BENCH_MIX_DAEMONS     1 or 2 (1)
#   BENCH_MIX_LIFECYCLES  officer clients (6)
#   BENCH_MIX_CONTESTED   clients on the contested projects (2)
#   BENCH_MIX_DUE         deadlines falling due during the run (2000)
#   BENCH_MIX_TEMPLATE    a directory: the first run keeps its seeded cluster
#                         there (5 GB at 1,000,000), later runs copy it
#   BENCH_MIX_SPOOL       where the workers' spool channel writes: it stands
#                         for the SMS gateway, another machine, so by default
#                         a directory in /dev/shm (tmpfs), whose fsyncs do not
#                         queue with the database's WAL; "work": in the
#                         temporary directory, on the database's disk (every
#                         route slower: bench/README.md)
#   BENCH_POOL            each daemon's pool_size (8)
#   BENCH_REF_CLIENTS     the reference's clients (8), BENCH_REF_SECONDS (20)
#   BENCH_STRICT          1: exit 1 when a target is missed
#   BENCH_KEEP            1: keep the temporary directory
#   B                     build directory (build); BENCH_SHARED (ROOT/../shared)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$root"
# shellcheck source=bench-lib.sh source-path=SCRIPTDIR
. "$root/scripts/bench-lib.sh"
bench_init bench-mix.sh

projects=${BENCH_MIX_PROJECTS:-1000000}
seconds=${BENCH_MIX_SECONDS:-60}
warmup=${BENCH_MIX_WARMUP:-10}
ndaemons=${BENCH_MIX_DAEMONS:-1}
lifecycles=${BENCH_MIX_LIFECYCLES:-6}
ncontested=${BENCH_MIX_CONTESTED:-2}
due=${BENCH_MIX_DUE:-2000}
pool=${BENCH_POOL:-8}
ref_clients=${BENCH_REF_CLIENTS:-8}
ref_seconds=${BENCH_REF_SECONDS:-20}
spool_base=${BENCH_MIX_SPOOL-/dev/shm}
if [ "$spool_base" = work ] || ! [ -d "$spool_base" ] || ! [ -w "$spool_base" ]; then
	spool_base=
fi
bench_whole_numbers "BENCH_MIX_* and BENCH_* are whole numbers" "$projects" "$seconds" "$warmup" \
	"$ndaemons" "$lifecycles" "$ncontested" "$due" "$pool" "$ref_clients" "$ref_seconds"
[ "$projects" -ge 20000 ] || bench_die "BENCH_MIX_PROJECTS must be at least 20000 (page 50 of a list)"
case $ndaemons in 1 | 2) ;; *) bench_die "BENCH_MIX_DAEMONS is 1 or 2" ;; esac
bench_need procurd procurctl procur-notify bench/mix
units=$lifecycles
[ "$units" -ge 1 ] || units=1
[ "$units" -le 6 ] || units=6

bench_workdir bmx
spool=$work/spool
if [ -n "$spool_base" ]; then
	spool=$(mktemp -d "$spool_base/procurd-bmx-spool.XXXXXX") || bench_die "cannot make a directory in $spool_base"
	bench_also_remove=$spool
fi
bench_say "the workers' spool channel writes to $spool"
# seed_world: agencies, people, projects and their histories, deadlines,
# notifications (SQL on the bench database; the world file for bench/mix).
seed_world() {
# --- the world ---------------------------------------------------------------
bench_say "seeding agencies and people"
bench_sql <<SQL
INSERT INTO agency (code, name, level, parent, path, created_at)
VALUES ('43', 'Province civil affairs department', 'province', NULL, '/43/', now());
INSERT INTO agency (code, name, level, parent, path, created_at)
SELECT '43' || lpad(c::text, 2, '0'), 'City ' || c || ' civil affairs bureau', 'city', '43',
	'/43/43' || lpad(c::text, 2, '0') || '/', now()
FROM generate_series(1, 14) c;
INSERT INTO agency (code, name, level, parent, path, created_at)
SELECT '43' || lpad(c::text, 2, '0') || lpad(k::text, 2, '0'),
	'County ' || c || '-' || k || ' civil affairs bureau', 'county', '43' || lpad(c::text, 2, '0'),
	'/43/43' || lpad(c::text, 2, '0') || '/43' || lpad(c::text, 2, '0') || lpad(k::text, 2, '0') || '/',
	now()
FROM generate_series(1, 14) c, generate_series(2, 7) k;
SQL
user() { bench_ctl user add "$1" --role "$2" --agency "$3" 2>/dev/null || bench_die "user $1"; }
admin=$(user bench-admin admin 43)
auditor=$(user bench-auditor auditor 43)
: >"$work/world"
k=0
while [ "$k" -lt "$units" ]; do
	code=4301$(printf %02d $((k + 2)))
	line="unit $code"
	for r in officer reviewer finance evaluator evaluator evaluator; do
		line="$line $(user "$code-$r-$(printf '%s' "$line" | wc -w)" "$r" "$code")"
	done
	echo "$line" >>"$work/world"
	k=$((k + 1))
done
officer=$(awk 'NR == 1 { print $3 }' "$work/world")
echo "auditor $auditor" >>"$work/world"
bench_say "seeding $projects projects with their histories (a few minutes at 1,000,000)"
t0=$(date +%s)
bench_sql <<SQL
SET synchronous_commit = off;
SET maintenance_work_mem = '512MB';
CREATE TEMP TABLE path (k int PRIMARY KEY, event text, from_state text, to_state text);
INSERT INTO path VALUES (1, 'create', '', 'draft'), (2, 'submit', 'draft', 'needs_review'),
	(3, 'approve_needs', 'needs_review', 'budget_review'),
	(4, 'approve_budget', 'budget_review', 'approved'), (5, 'publish', 'approved', 'announced'),
	(6, 'close_bidding', 'announced', 'scoring'), (7, 'award', 'scoring', 'awarded'),
	(8, 'sign_contract', 'awarded', 'contracted'), (9, 'start_service', 'contracted', 'in_service'),
	(10, 'record_supervision', 'in_service', 'in_service'),
	(11, 'complete_service', 'in_service', 'acceptance'), (12, 'accept', 'acceptance', 'payment'),
	(13, 'confirm_payment', 'payment', 'year_end_review'), (14, 'evaluate', 'year_end_review', 'closed');
-- every project's state and the number of its events: the closed ones over
-- the fourteen years before this one, the live ones this year's
CREATE TEMP TABLE seed AS
SELECT n, agency, CASE WHEN k = 14 THEN 2012 + n % 14
	ELSE extract(year FROM now())::int END AS fiscal_year, k
FROM (SELECT g AS n, c.code AS agency, CASE WHEN g % 10 <> 0 THEN 14
		ELSE (ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 10, 10, 11, 12, 13])[1 + (g / 10) % 13] END AS k
	FROM generate_series(1, $projects) g
	JOIN (SELECT code, row_number() OVER (ORDER BY code) - 1 AS i FROM agency
		WHERE level = 'county') c ON c.i = g % 84) x;
INSERT INTO project (agency, fiscal_year, title, catalog_items, budget_fen, funding_source, method,
	quantity, quality_standard, service_start, service_end, state, version, created_by,
	created_at, updated_at, last_seq, last_hash, budget_approved)
SELECT s.agency, s.fiscal_year, 'Social assistance casework ' || s.n, ARRAY['casework'], 1000000,
	'work_funds', 'public_tender', '12 caseworkers in 4 townships', 'every household visited monthly',
	make_date(s.fiscal_year, 1, 1), make_date(s.fiscal_year, 12, 31),
	(SELECT to_state FROM path WHERE path.k = s.k), 0, (SELECT id FROM app_user WHERE name = 'bench-admin'),
	make_date(s.fiscal_year, 1, 1), make_date(s.fiscal_year, 1, 1), 0, '\x'::bytea, s.k >= 4
FROM seed s ORDER BY s.k < 14, s.fiscal_year, s.n;	-- ids in time: the live projects are the newest
-- each project's path so far: a seeded in_service project has had one supervision record
CREATE TEMP TABLE head AS
SELECT p.id AS project_id, (SELECT max(k) FROM path WHERE path.to_state = p.state) AS k,
	'\x'::bytea AS hash, make_date(p.fiscal_year, 1, 1)::timestamptz AS t0
FROM project p;
DO \$\$
DECLARE s int;
BEGIN
	FOR s IN 1..14 LOOP
		CREATE TEMP TABLE next_head AS
		WITH ins AS (INSERT INTO project_event (project_id, seq, event, from_state, to_state,
			actor, at, payload, prev_hash, hash)
			SELECT h.project_id, s, p.event, p.from_state, p.to_state, 'seed',
				h.t0 + s * interval '9 days', '{"seeded": true}'::jsonb, h.hash,
				event_hash(h.hash, h.project_id, s, p.event, p.from_state, p.to_state, 'seed',
					h.t0 + s * interval '9 days', '{"seeded": true}'::jsonb)
			FROM head h JOIN path p ON p.k = s WHERE h.k >= s
			RETURNING project_id, hash)
		SELECT h.project_id, h.k, coalesce(i.hash, h.hash) AS hash, h.t0
		FROM head h LEFT JOIN ins i USING (project_id);
		DROP TABLE head;
		ALTER TABLE next_head RENAME TO head;
	END LOOP;
END \$\$;
UPDATE project p SET last_seq = h.k, version = h.k, last_hash = h.hash
FROM head h WHERE h.project_id = p.id;
SQL
bench_say "projects and histories seeded in $(( $(date +%s) - t0 )) s"

# The long history: an in-service project of the first county, 500 events.
history=$(bench_sql -c "SELECT min(id) FROM project WHERE agency = '430102' AND state = 'in_service'")
bench_sql <<SQL
SET synchronous_commit = off;
DO \$\$
DECLARE
	pid bigint := $history;
	s int;
	h bytea;
	t timestamptz;
BEGIN
	SELECT last_seq, last_hash INTO s, h FROM project WHERE id = pid;
	t := now() - interval '400 days';
	WHILE s < 500 LOOP
		s := s + 1;
		t := t + interval '18 hours';
		INSERT INTO project_event (project_id, seq, event, from_state, to_state, actor, at,
			payload, prev_hash, hash)
		VALUES (pid, s, 'record_supervision', 'in_service', 'in_service', 'seed', t,
			jsonb_build_object('inspection', 'visit ' || s, 'finding', 'ok'), h,
			event_hash(h, pid, s, 'record_supervision', 'in_service', 'in_service', 'seed', t,
				jsonb_build_object('inspection', 'visit ' || s, 'finding', 'ok')))
		RETURNING hash INTO h;
	END LOOP;
	UPDATE project SET last_seq = s, version = s, last_hash = h WHERE id = pid;
END \$\$;
SQL
echo "history $history" >>"$work/world"
contested=$(bench_sql -c "SELECT string_agg(id::text, ' ') FROM (SELECT id FROM project
	WHERE agency = '430102' AND state = 'in_service' AND id <> $history ORDER BY id LIMIT 4) x")
echo "contested $contested" >>"$work/world"

bench_say "seeding deadlines and notifications"
bench_sql <<SQL
SET synchronous_commit = off;
INSERT INTO deadline (project_id, state, kind, level, event, due_at, fire_at, status, fired_at,
	created_at)
SELECT id, 'announced', 'close_bidding', 0, 'close_bidding', created_at + interval '30 days',
	created_at + interval '30 days', 'fired', created_at + interval '30 days', created_at
FROM project WHERE last_seq >= 6;
-- the live projects waiting on someone have their state's deadline: due
-- from ten days ago (overdue) to a month ahead, its escalation a year off
-- (nothing seeded fires during the run)
CREATE TEMP TABLE live_due AS
SELECT id, state, date_trunc('hour', now()) + ((id % 45) - 10) * interval '1 day' AS due
FROM project WHERE state IN ('needs_review', 'budget_review', 'approved', 'announced', 'scoring',
	'awarded', 'acceptance', 'payment', 'year_end_review');
INSERT INTO deadline (project_id, state, kind, level, event, due_at, fire_at, created_at)
SELECT id, state, state, 1, 'escalate', due, now() + interval '400 days', now() FROM live_due;
UPDATE project p SET due_at = l.due, next_check = now() + interval '400 days'
FROM live_due l WHERE l.id = p.id;
INSERT INTO outbox (project_id, event_seq, channel, recipient, template, data, status, attempts,
	next_attempt_at, created_at, delivered_at)
SELECT id, 1, 'email', 'officer@example.org', 'submitted', '{}', 'delivered', 1, t, t, t
FROM (SELECT id, now() - (CASE WHEN g % 20 = 0 THEN 100 ELSE g % 90 END) * interval '1 day' AS t
	FROM project, generate_series(1, 2) g WHERE last_seq >= 2) x;
INSERT INTO outbox_count (status, n) SELECT 'delivered', count(*) FROM outbox;
VACUUM ANALYZE;
CHECKPOINT;
SQL
bench_sql -c "SELECT 'seeded: ' || (SELECT count(*) FROM project) || ' projects, ' ||
	(SELECT count(*) FROM project_event) || ' events, ' || (SELECT count(*) FROM deadline) ||
	' deadlines, ' || (SELECT count(*) FROM outbox) || ' notifications; database ' ||
	pg_size_pretty(pg_database_size('bench'))" >&2
}

# seed_api: through a running daemon, the catalogue item, budgets and
# contractors the lifecycles use.
seed_api() {
api() {	# api TOKEN METHOD PATH BODY: the answer's body; dies unless 2xx
	curl -fsS -X "$2" -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
		-d "$4" "$url$3" || bench_die "$2 $3 failed"
}
api "$admin" POST /v1/catalog '{"code":"casework","name":"social assistance casework",
	"category":"social_assistance","approved":true,"purchasable":true}' >/dev/null
echo "item casework" >>"$work/world"
year=$(date -u -d '+2 days' +%Y)
awk '$1 == "unit" { print $2 }' "$work/world" | while read -r code; do
	for y in "$year" $((year + 1)); do
		api "$admin" PUT "/v1/agencies/$code/budgets/$y" '{"special_funds_fen":10000000000,
			"work_funds_fen":100000000000,"lottery_funds_fen":10000000000}' >/dev/null
	done
done
ids=
for c in 91430100MA4M000015 91430100MA4M000028 91430100MA4M00003B; do
	id=$(api "$officer" POST /v1/contractors "{\"name\":\"Social work service centre $c\",
		\"kind\":\"social_organization\",\"credit_code\":\"$c\",\"independent_liability\":true,
		\"facilities\":true,\"staff\":true,\"professional_capability\":true,\"governance\":true,
		\"financial_management\":true}" | sed -n 's/.*"id": *\([0-9]*\).*/\1/p' | head -1)
	ids="$ids $id"
done
echo "contractors$ids" >>"$work/world"
}

# start_daemons: BENCH_MIX_DAEMONS daemons, one procur-notify worker each.
start_daemons() {
bench_start_daemon
urls="--url $url"
daemons=$daemon
if [ "$ndaemons" = 2 ]; then
	# the second: its own port and endpoints, the same database
	first=$daemon
	port2=$((port + 1))
	sed -e "s|^listen = .*|listen = 127.0.0.1:$port2|" -e "s|ipc://$work/|ipc://$work/d2-|" \
		"$work/procurd.conf" >"$work/procurd2.conf"
	"$build/procurd" -c "$work/procurd2.conf" 2>"$work/procurd2.log" &
	daemon2=$!
	i=0
	until curl -fsS "http://127.0.0.1:$port2/healthz?ready=1" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ "$i" -ge 300 ] || ! kill -0 "$daemon2" 2>/dev/null; then
			bench_die "the second daemon did not start"
		fi
		sleep 0.1
	done
	urls="$urls --url http://127.0.0.1:$port2"
	daemons="$first $daemon2"
	"$build/procur-notify" -c "$work/procurd2.conf" 2>"$work/notify2.log" &
	workers="$workers $!"
fi
bench_start_workers 1
bench_say "$ndaemons daemon(s) ready: $urls"

}

# configure: the daemons' configuration, then the schema migrated.
configure() {
	bench_log4crc warn procurd procurd.notify
	mkdir -p "$spool"
	# The statutory windows are days; a lifecycle of the benchmark takes
	# seconds. Bidding stays open for a second after publication, and the
	# daemon's timer closes it, as it would at a real deadline.
	bench_configure "$pool" "[windows]
public_tender = 0 calendar_days

[worker]
spool_dir = $spool
templates_dir = $root/config/templates"
	bench_ctl migrate >/dev/null
}

template=${BENCH_MIX_TEMPLATE:-}
if [ -n "$template" ] && [ -f "$template/world" ]; then
	# a seeded province kept by an earlier run: minutes of seeding saved
	[ "$(cat "$template/projects")" = "$projects" ] ||
		bench_die "$template holds $(cat "$template/projects") projects, not $projects"
	bench_say "copying the seeded cluster of $template"
	mkdir -p "$pgdir"
	cp -a "$template/pg/." "$pgdir/"
	cp "$template/world" "$work/world"
	unset PGDATABASE PGSERVICE PGHOSTADDR PGPASSWORD
	bench_env=$(sh "$root/scripts/pg.sh" start "$pgdir") || bench_die "could not start PostgreSQL in $pgdir"
	eval "$bench_env"
	conninfo="host=$PGHOST port=$PGPORT user=$PGUSER dbname=bench"
	configure
else
	bench_pg_start
	configure

	seed_world
	bench_start_daemon
	seed_api
	if [ -n "$template" ]; then
		bench_say "keeping the seeded cluster in $template for later runs"
		bench_stop_daemon
		sh "$root/scripts/pg.sh" stop "$pgdir" >/dev/null
		mkdir -p "$template/pg"
		cp -a "$pgdir/." "$template/pg/"
		cp "$work/world" "$template/world"
		echo "$projects" >"$template/projects"
		eval "$(sh "$root/scripts/pg.sh" start "$pgdir")"
	else
		bench_stop_daemon
	fi
fi
seed_outbox=$(bench_sql -c 'SELECT coalesce(max(id), 0) FROM outbox')
start_daemons

# --- the load ---------------------------------------------------------------------
mix() {	# mix SECONDS ACKS: one run of the load, its lines on stdout
	# shellcheck disable=SC2086	# urls is a list of options
	"$build/bench/mix" $urls --world "$work/world" --acks "$2" --seconds "$1" \
		--lifecycles "$lifecycles" --contested "$ncontested" --reads 4
}
rss() {	# rss: the daemons' resident kilobytes, space-separated
	for d in $daemons; do awk '/^VmRSS/ { printf "%s ", $2 }' "/proc/$d/status"; done
}
if [ "$warmup" -gt 0 ]; then
	bench_say "warm-up: ${warmup}s"
	mix "$warmup" "$work/acked-warmup" >/dev/null || bench_say "the warm-up saw errors (above)"
fi
bench_sql -c CHECKPOINT
# Escalations of in-service projects outside the first county (its projects
# are the contested ones) falling due over the measured run, from its 2nd
# second to four fifths of it; the daemons hear of them as of any deadline
# another one writes.
bench_sql <<SQL
CREATE TABLE bench_due AS
SELECT id AS project_id, now() + interval '2 seconds'
	+ (row_number() OVER (ORDER BY id) - 1) * interval '$seconds seconds' * 0.8 / $due AS at
FROM project WHERE state = 'in_service' AND agency <> '430102' AND next_check IS NULL
ORDER BY id LIMIT $due;
INSERT INTO deadline (project_id, state, kind, level, event, due_at, fire_at, created_at)
SELECT project_id, 'in_service', 'in_service', 1, 'escalate', at, at, now() FROM bench_due;
UPDATE project p SET next_check = d.at FROM bench_due d WHERE d.project_id = p.id;
NOTIFY procurd_deadline;
SQL
n_due=$(bench_sql -c 'SELECT count(*) FROM bench_due')
[ "$n_due" = "$due" ] || bench_say "note: only $n_due in-service projects for $due deadlines"
bench_say "measured run: ${seconds}s, $lifecycles officers, $ncontested contested clients, $ndaemons daemon(s)"
: >"$work/rss"
(
	t=0
	while :; do
		echo "$t $(rss)" >>"$work/rss"
		sleep 5
		t=$((t + 5))
	done
) &
sampler=$!
fail=0
out=$(mix "$seconds" "$work/acked") || fail=1
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
echo "rss_end $(rss)" >>"$work/rss"
printf '%s\n' "$out"

# --- afterwards: nothing lost, nothing twice ------------------------------------------
bench_say "waiting for the outbox to drain"
# until nothing of the run waits; the timer goes on firing the seeded
# projects' deadlines meanwhile, so what it queues after this moment (ids
# above drained) may still be pending when the workers stop: it stays in
# the outbox for the next start, and is counted apart
i=0
drained=
while [ "$i" -lt 120 ]; do
	drained=$(bench_sql -c "SELECT CASE WHEN count(*) FILTER (WHERE status <> 'delivered') = 0
		THEN coalesce(max(id), $seed_outbox) END FROM outbox WHERE id > $seed_outbox")
	[ -z "$drained" ] || break
	sleep 1
	i=$((i + 1))
done
if [ -n "$drained" ]; then
	bench_say "the outbox drained in ${i} s"
else
	bench_say "the outbox did not drain in 120 s"
	drained=$(bench_sql -c "SELECT coalesce(max(id), $seed_outbox) FROM outbox")
fi
bench_stop_workers
for d in $daemons; do kill -TERM "$d" 2>/dev/null || true; done
for d in $daemons; do wait "$d" 2>/dev/null || true; done
daemon=

cat "$work/acked-warmup" "$work/acked" 2>/dev/null >"$work/acked-all"
acked=$(wc -l <"$work/acked-all")
lost=$(bench_sql <<SQL
CREATE TEMP TABLE acked (project_id bigint, seq int);
\copy acked FROM '$work/acked-all'
SELECT count(*) FROM acked a LEFT JOIN project_event e USING (project_id, seq) WHERE e.project_id IS NULL;
SQL
)
versions=$(bench_sql -c "SELECT count(*) FROM project p WHERE p.version <> p.last_seq OR p.last_seq <>
	coalesce((SELECT max(seq) FROM project_event e WHERE e.project_id = p.id), 0)")
fired=$(bench_sql -c "SELECT count(*) FROM bench_due b JOIN deadline d ON d.project_id = b.project_id
	AND d.event = 'escalate' AND d.status = 'fired'")
escalations=$(bench_sql -c "SELECT count(*) FROM project_event e JOIN bench_due b USING (project_id)
	WHERE e.event = 'escalate' AND e.actor = 'daemon'")
closings=$(bench_sql -c "SELECT count(*) FROM project_event WHERE event = 'close_bidding' AND actor = 'daemon'")
closed_on=$(bench_sql -c "SELECT count(DISTINCT project_id) FROM project_event
	WHERE event = 'close_bidding' AND actor = 'daemon'")
run_rows=$(bench_sql -c "SELECT count(*) FROM outbox WHERE id > $seed_outbox")
delivered=$(bench_sql -c "SELECT count(*) FROM outbox WHERE id > $seed_outbox AND status = 'delivered'")
undelivered=$(bench_sql -c "SELECT count(*) FROM outbox WHERE id > $seed_outbox AND status <> 'delivered'")
stuck=$(bench_sql -c "SELECT count(*) FROM outbox WHERE id > $seed_outbox AND id <= $drained
	AND status <> 'delivered'")
twice=$(bench_sql -c "SELECT count(*) FROM outbox WHERE id > $seed_outbox AND attempts > 1")
# (spool files are named by outbox id; earlier ones, from the seeding, are not the run's)
files=$(find "$spool" -maxdepth 1 -name '*.json' | sed 's|.*/||; s|\.json$||' |
	awk -v s="$seed_outbox" '$1 + 0 > s + 0' | wc -l)
[ "$lost" = 0 ] || { bench_say "FAIL: $lost of $acked acknowledged events are not in the history"; fail=1; }
[ "$versions" = 0 ] || { bench_say "FAIL: $versions projects whose version or head does not match their history"; fail=1; }
if [ "$fired" != "$n_due" ] || [ "$escalations" != "$n_due" ]; then
	bench_say "FAIL: of $n_due deadlines due, $fired fired with $escalations escalation events"
	fail=1
fi
[ "$closings" = "$closed_on" ] || { bench_say "FAIL: $closings daemon close_bidding events on $closed_on projects"; fail=1; }
[ "$twice" = 0 ] || { bench_say "FAIL: $twice notifications sent more than once"; fail=1; }
[ "$files" = "$delivered" ] || { bench_say "FAIL: $files spool files for $delivered notifications delivered"; fail=1; }
[ "$stuck" = 0 ] || { bench_say "FAIL: $stuck notifications of the run never delivered"; fail=1; }
# the deadlines' lag: fired minus due, in the daemons' clock
lag=$(bench_sql -c "SELECT round(extract(epoch FROM percentile_cont(0.99) WITHIN GROUP
	(ORDER BY d.fired_at - d.fire_at)) * 1000) || ' ' || round(extract(epoch FROM max(d.fired_at - d.fire_at)) * 1000)
	FROM bench_due b JOIN deadline d ON d.project_id = b.project_id AND d.event = 'escalate'
	AND d.status = 'fired'")
# procurctl verify of the whole history, timed, its peak memory
if out_v=$(/usr/bin/time -f 'TIME %e %M' "$build/procurctl" -c "$work/procurd.conf" verify 2>&1); then
	bench_say "verify: $(printf '%s\n' "$out_v" | grep -v '^TIME' | tail -1)"
else
	bench_say "FAIL: procurctl verify: $out_v"
	fail=1
fi
verify_s=$(printf '%s\n' "$out_v" | sed -n 's/^TIME \([^ ]*\) .*/\1/p')
verify_kb=$(printf '%s\n' "$out_v" | sed -n 's/^TIME [^ ]* \(.*\)/\1/p')

# --- the reference, same database, daemons stopped ------------------------------------
r=$(bench_ref "$ref_clients" "$ref_seconds") || bench_die "the reference failed"
rrate=$(bench_field "$r" ref_transitions_per_s)
rss_first=$(awk 'NR == 2 { $1 = ""; print }' "$work/rss")
rss_max=$(awk '$1 != "rss_end" { for (i = 2; i <= NF; i++) if ($i > m) m = $i } END { print m }' "$work/rss")
rss_last=$(awk '$1 == "rss_end" { $1 = ""; print }' "$work/rss")
echo "reference ref_transitions_per_s=$rrate clients=$ref_clients seconds=$ref_seconds"
echo "memory rss_kb_at_5s=$rss_first rss_kb_max=$rss_max rss_kb_end=$rss_last (target 65536 and flat)"
echo "verify seconds=$verify_s peak_rss_kb=$verify_kb; deadlines of the run: lag_p99_ms=${lag% *} lag_max_ms=${lag#* }"
echo "correctness acknowledged_events=$acked lost=$lost version_mismatches=$versions due_fired=$fired escalations=$escalations daemon_close_bidding=$closings notifications=$run_rows delivered=$delivered spool_files=$files sent_twice=$twice queued_after_the_drain=$undelivered verify=$(bench_verdict "$fail")"

# --- the scale issue's targets, as regression guards ---------------------------------
met=met
target() {	# target NAME VALUE LIMIT: VALUE at most LIMIT
	v=$(awk -v v="$2" -v l="$3" 'BEGIN { print (v != "" && v + 0 <= l + 0) ? "met" : "MISSED" }')
	[ "$v" = met ] || met=MISSED
	echo "target $1: $2 (at most $3): $v"
}
p99() { printf '%s\n' "$out" | grep "^route=\"$1\"" | sed -n 's/.* p99_ms=\([^ ]*\).*/\1/p'; }
for r in "GET /v1/tasks" "GET /v1/projects page 1" "GET /v1/projects page 50" \
	"GET /v1/projects?state=in_service" "GET /v1/projects?state=closed page 50" \
	"GET /v1/projects?agency=" "GET /v1/projects?overdue=true" "GET /v1/deadlines" \
	"GET /v1/notifications?status=pending" "GET /v1/incidents" "GET /v1/evaluations" \
	"GET /v1/projects/{id}/events (long)"; do
	target "p99_ms $r" "$(p99 "$r")" 20
done
target "p99_ms GET /metrics" "$(p99 "GET /metrics")" 50
target "p99/p50 of event writes" "$(printf '%s\n' "$out" | sed -n 's/^route="events.* ratio=\([^ ]*\).*/\1/p')" 5
target "daemon RSS max kB" "$rss_max" 65536
target "daemon RSS growth kB, 5 s to the end" "$(awk '$1 != "rss_end" && NR > 1 { for (i = 2; i <= NF; i++) if (!(i in f)) f[i] = $i; l = $0 }
	END { n = split(l, a, " "); g = 0; for (i = 2; i <= n; i++) if (a[i] - f[i] > g) g = a[i] - f[i]; print g }' "$work/rss")" 8192
target "verify peak RSS kB" "$verify_kb" 65536
[ "$bench_keep" = 1 ] && cp "$work/rss" "$work/rss.series"
bench_exit "$fail" "$met"
