#!/bin/sh
# The runner behind `make fuzz` and `make fuzz-merge`.
#
#   fuzz.sh run BUILD_DIR TARGET...     each target for FUZZ_SECONDS (60), in
#                                       FUZZ_JOBS lanes at once (1), its
#                                       committed corpus as seeds; new inputs
#                                       are kept in var/fuzz/TARGET (not in
#                                       the tree), a crash leaves
#                                       var/fuzz/crash-TARGET-* and fails
#   fuzz.sh merge BUILD_DIR TARGET...   fold what var/fuzz/TARGET found that
#                                       adds coverage into tests/fuzz/corpus/
#                                       TARGET (libFuzzer's -merge=1)
#
# Each run's seconds and inputs go to var/fuzz/ledger: add them to the table
# in tests/fuzz/README.md.
set -u
mode=$1
build=$2
shift 2
secs=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-1}
root=$(cd "$(dirname "$0")/.." && pwd -P)
mkdir -p "$root/var/fuzz"

one() {
	t=$1
	work=$root/var/fuzz/$t
	mkdir -p "$work"
	echo "fuzz: $t for ${secs}s"
	if ! "$root/$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$root/var/fuzz/crash-$t-" \
		"$work" "$root/tests/fuzz/corpus/$t" 2>"$work.log"; then
		tail -n 40 "$work.log"
		echo "fuzz: $t FAILED (log: $work.log)"
		return 1
	fi
	units=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work.log")
	rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$work.log")
	echo "fuzz: $t: ${secs}s, $units inputs, peak ${rss} MB, no crash"
	echo "$(date -u +%Y-%m-%dT%H:%MZ) $t ${secs}s $units inputs" >>"$root/var/fuzz/ledger"
}

case $mode in
run)
	status=0
	# lanes: target i runs in lane i % jobs, the lanes side by side
	lane=0
	pids=
	while [ "$lane" -lt "$jobs" ]; do
		(
			i=0 rc=0
			for t in "$@"; do
				if [ $((i % jobs)) -eq "$lane" ]; then one "$t" || rc=1; fi
				i=$((i + 1))
			done
			exit $rc
		) &
		pids="$pids $!"
		lane=$((lane + 1))
	done
	for p in $pids; do wait "$p" || status=1; done
	exit $status
	;;
merge)
	for t in "$@"; do
		[ -d "$root/var/fuzz/$t" ] || continue
		before=$(ls "$root/tests/fuzz/corpus/$t" | wc -l)
		"$root/$build/tests/fuzz/fuzz_$t" -merge=1 "$root/tests/fuzz/corpus/$t" \
			"$root/var/fuzz/$t" >"$root/var/fuzz/$t.merge.log" 2>&1 ||
			{ tail -n 20 "$root/var/fuzz/$t.merge.log"; exit 1; }
		echo "fuzz: $t: corpus $before -> $(ls "$root/tests/fuzz/corpus/$t" | wc -l) files"
	done
	;;
*)
	echo "usage: fuzz.sh run|merge BUILD_DIR TARGET..." >&2
	exit 2
	;;
esac
