#!/bin/sh
# `make bench`, part 5: publication. BENCH_OCDS public projects, each closed
# after a whole public life (announced, awarded among three bids, contracted,
# paid, evaluated: six OCDS releases each), seeded straight into the tables.
# Measures
#   - GET /v1/ocds/releases?limit=1000, a release package of 1,000 releases,
#     under BENCH_CLIENTS clients for BENCH_SECONDS (wrk --latency), against
#     the issue's target (p99 < 100 ms);
#   - procurctl ocds export of every project: releases a second (target at
#     least 20,000) and the resident memory at its peak (it must stay flat).
#
# Environment:
#   BENCH_OCDS      public projects (100000)
#   BENCH_CLIENTS   concurrent clients for the package (1: the time one request takes)
#   BENCH_SECONDS   length of the measured phase (10)
#   BENCH_STRICT    1: exit 1 when a target is missed
#   BENCH_KEEP      1: keep the temporary directory
#   B               build directory (build)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$root"
# shellcheck source=bench-lib.sh source-path=SCRIPTDIR
. "$root/scripts/bench-lib.sh"
bench_init bench-ocds.sh

n=${BENCH_OCDS:-100000}
clients=${BENCH_CLIENTS:-1}
seconds=${BENCH_SECONDS:-10}
bench_whole_numbers "BENCH_* counts are whole numbers" "$n" "$clients" "$seconds"
bench_need procurd procurctl
command -v wrk >/dev/null 2>&1 || bench_die "wrk is needed (make deps installs it)"

bench_workdir boc
bench_pg_start
bench_log4crc warn procurd procurd.notify
# the routes open to all, without their per-address budget for the benchmark
bench_configure 4 "[http]
public_per_minute = 1000000"
bench_accounts

bench_say "seeding $n public projects with their histories (six releases each)"
bench_sql <<SQL
INSERT INTO catalog_item (code, name, category, level, approved, purchasable, created_at)
VALUES ('BENCH.casework', '社会救助个案服务', 'social_assistance', 'county', true, true, now());
INSERT INTO contractor (name, kind, credit_code, independent_liability, facilities, staff,
	professional_capability, governance, financial_management, created_by, created_at)
SELECT '长沙社工服务中心' || c, 'social_organization', '5243010' || c || 'MJ00000' || c || 'X',
	true, true, true, true, true, true, '430102', now()
FROM generate_series(1, 3) c;
INSERT INTO project (agency, fiscal_year, title, catalog_items, budget_fen, funding_source,
	method, quantity, quality_standard, service_start, service_end, state, version, created_by,
	created_at, updated_at, last_seq, last_hash, published_at, public_since, bid_deadline,
	requirements, evaluators_required, criteria, award_bid_id, award_contractor_id,
	award_price_fen, awarded_at, contract, paid_fen, evaluation, budget_approved)
SELECT '430102', 2025, '困难群众走访服务 ' || g, '{BENCH.casework}', 1000000 + g, 'work_funds',
	'public_tender', '12 名社工', '每户每月走访', '2025-03-01', '2025-12-31', 'closed', 13,
	(SELECT id FROM app_user WHERE name = 'bench-officer'), now(), now(), 13, '\x'::bytea,
	now() - interval '300 days', now() - interval '300 days', now() - interval '280 days',
	'依法登记的社会组织', 3,
	'[{"name":"服务方案","kind":"quality","weight":50},{"name":"人员配备","kind":"quality","weight":30},{"name":"价格","kind":"price","weight":20}]',
	3 * g - 2, 1, 900000 + g, now() - interval '279 days',
	jsonb_build_object('contract_no', 'HT-' || g, 'amount_fen', 900000 + g), 900000 + g,
	'{"purchaser_score":90,"recipient_satisfaction":85,"third_party_score":80,"composite":84.5}',
	true
FROM generate_series(1, $n) g;
INSERT INTO bid (project_id, contractor_id, price_fen, round, created_by, created_at)
SELECT p.id, c, 900000 + p.id + (c - 1) * 10000, 1,
	(SELECT id FROM app_user WHERE name = 'bench-officer'), now() - interval '285 days'
FROM project p, generate_series(1, 3) c;
INSERT INTO project_event (project_id, seq, event, from_state, to_state, actor, at, payload,
	prev_hash, hash)
SELECT p.id, e.seq, e.event, e.f, e.t, 'officer/bench-officer',
	now() - (320 - e.seq * 10) * interval '1 day' + p.id * interval '1 second',
	CASE e.event
	WHEN 'create' THEN jsonb_build_object('method', 'public_tender')
	WHEN 'publish' THEN jsonb_build_object('bid_deadline', to_char(now() - interval '280 days',
		'YYYY-MM-DD"T"HH24:MI:SS"+08:00"'), 'requirements', '依法登记的社会组织',
		'evaluators_required', 3, 'criteria', p.criteria)
	WHEN 'close_bidding' THEN '{"result":{"eligible_bids":3}}'::jsonb
	WHEN 'award' THEN jsonb_build_object('result', jsonb_build_object('award', jsonb_build_object(
		'bid_id', 3 * p.id - 2, 'contractor_id', 1, 'price_fen', 900000 + p.id)))
	WHEN 'sign_contract' THEN jsonb_build_object('contract_no', 'HT-' || p.id, 'amount_fen',
		900000 + p.id, 'takeover_plan', '{"interim_provider":"in_house","handover_days":3}'::jsonb)
	WHEN 'confirm_payment' THEN jsonb_build_object('voucher_no', 'GK-' || p.id, 'amount_fen',
		900000 + p.id)
	WHEN 'evaluate' THEN '{"purchaser_score":90,"recipient_satisfaction":85,"third_party_score":80}'::jsonb
	ELSE '{}'::jsonb END,
	'\x'::bytea, '\x'::bytea
FROM project p, (VALUES (1, 'create', '', 'draft'), (2, 'submit', 'draft', 'needs_review'),
	(3, 'approve_needs', 'needs_review', 'budget_review'),
	(4, 'approve_budget', 'budget_review', 'approved'), (5, 'publish', 'approved', 'announced'),
	(6, 'close_bidding', 'announced', 'scoring'), (7, 'award', 'scoring', 'awarded'),
	(8, 'sign_contract', 'awarded', 'contracted'), (9, 'start_service', 'contracted', 'in_service'),
	(10, 'complete_service', 'in_service', 'acceptance'), (11, 'accept', 'acceptance', 'payment'),
	(12, 'confirm_payment', 'payment', 'year_end_review'),
	(13, 'evaluate', 'year_end_review', 'closed')) AS e(seq, event, f, t);
VACUUM ANALYZE;
SQL
bench_start_daemon
bench_say "procurd ready on $url"

releases=$(curl -fsS "$url/v1/ocds/releases?limit=1000" | grep -o '"ocid":"ocds-procurd-[0-9]*","id"' | wc -l)
[ "$releases" -ge 999 ] && [ "$releases" -le 1000 ] ||
	bench_die "the package holds $releases releases, not 1000"
out=$(wrk -t "$clients" -c "$clients" -d "${seconds}s" --latency \
	"$url/v1/ocds/releases?limit=1000" 2>&1) || bench_die "wrk failed: $out"
p50=$(printf '%s\n' "$out" | awk '$1 == "50%" { print $2 }')
p99=$(printf '%s\n' "$out" | awk '$1 == "99%" { print $2 }')
rate=$(printf '%s\n' "$out" | awk '$1 == "Requests/sec:" { print $2 }')
p99ms=$(printf '%s' "$p99" | awk '/us$/ { sub("us", ""); print $0 / 1000; next }
	/ms$/ { sub("ms", ""); print; next } /s$/ { sub("s", ""); print $0 * 1000 }')
met=$(awk -v p="$p99ms" 'BEGIN { print (p < 100) ? "met" : "missed" }')
status=0
[ "$met" = met ] || status=1
echo "ocds_package releases=1000 projects=$n clients=$clients requests_per_s=$rate p50=$p50 p99=$p99 (target p99 < 100 ms: $met)"

bench_stop_daemon
bench_say "procurctl ocds export of $n projects"
start=$(date +%s.%N)
"$build/procurctl" -c "$work/procurd.conf" ocds export --out "$work/export.json" 2>"$work/export.log" &
ctl=$!
peak=0
while kill -0 "$ctl" 2>/dev/null; do
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$ctl/status" 2>/dev/null || echo 0)
	[ "${hwm:-0}" -gt "$peak" ] && peak=$hwm
	sleep 0.2
done
wait "$ctl" || bench_die "the export failed: $(cat "$work/export.log")"
end=$(date +%s.%N)
exported=$(sed -n 's/^procurctl: \([0-9]*\) releases of.*/\1/p' "$work/export.log")
[ "$exported" -eq $((n * 6)) ] || bench_die "exported $exported releases, not $((n * 6))"
rps=$(awk -v a="$start" -v b="$end" -v r="$exported" 'BEGIN { printf "%.0f", r / (b - a) }')
secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
met=$(awk -v r="$rps" 'BEGIN { print (r >= 20000) ? "met" : "missed" }')
[ "$met" = met ] || status=1
echo "ocds_export projects=$n releases=$exported seconds=$secs releases_per_s=$rps peak_rss_kb=$peak bytes=$(wc -c <"$work/export.json") (target >= 20000/s: $met)"
[ "$status" = 0 ] || [ "${BENCH_STRICT:-0}" != 1 ] || exit 1
